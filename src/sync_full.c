/* sync_full.c - sync_fetch_full(): a header-only stub replaced by the
 * whole message from the server. */
#include "sync_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* Write data over dir/name (name: "cur/<file>") atomically: a temporary
 * file in dir/tmp, fsync, rename over, fsync of the directory.  The
 * rename replaces the stub in one step, so a crash leaves the stub or the
 * full message, never both and never half of one. */
static int replace_file(const char *dir, const char *name, const char *data, size_t len, time_t mtime)
{
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	char *tmp = xasprintf("%s/tmp/%s.full.%ld", dir, base, (long)getpid());
	char *dst = xasprintf("%s/%s", dir, name);
	int rc = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		bool ok = util_write_all(fd, data, len) == 0 && fsync(fd) == 0;
		int e = errno;
		close(fd);
		if (ok && mtime) {
			struct timeval tv[2] = { { mtime, 0 }, { mtime, 0 } };
			utimes(tmp, tv);
		}
		if (ok && rename(tmp, dst) == 0)
			rc = maildir_sync(dir);
		else {
			if (ok) /* the rename failed; else keep the write/fsync error */
				e = errno;
			unlink(tmp);
			errno = e;
		}
	}
	free(tmp);
	free(dst);
	return rc;
}

/* replace_file with the server's bytes stored with LF line ends. */
static int replace_lf(const char *dir, const char *name, const char *data, size_t len, time_t mtime)
{
	size_t lflen = 0;
	char *lf = maildir_lf(data, len, &lflen);
	int rc = replace_file(dir, name, lf, lflen, mtime);
	int e = errno;
	free(lf);
	errno = e;
	return rc;
}

/* The folder (a new string) and UID of a store path
 * ("<account>/<folder>/cur/<file>"); false when it names no server
 * message of this account. */
static bool stub_location(sync_t *s, const char *path, char **rel, uint32_t *uid)
{
	size_t al = strlen(s->acct_dir);
	const char *rest = strncmp(path, s->acct_dir, al) == 0 && path[al] == '/' ? path + al + 1 : NULL;
	/* "cur" and "new" are escaped inside folder names, so the first
	 * "/cur/" is the Maildir's own. */
	const char *sub = rest ? strstr(rest, "/cur/") : NULL;
	if (rest && !sub)
		sub = strstr(rest, "/new/");
	struct maildir_name n;
	*uid = sub && maildir_name_parse(sub, &n) && n.has_uid ? n.uid : 0;
	if (!sub || !*uid)
		return false;
	*rel = xstrndup(rest, (size_t)(sub - rest));
	return true;
}

/* SELECT the folder of rel, whose UIDs must still mean what they did when
 * the stub was fetched (the same UIDVALIDITY). */
static enum sync_status select_for_full(sync_t *s, const char *rel, const struct imap_folder **out)
{
	if (!s->folders && imap_list(s->imap, &s->folders, &s->nfolders) != IMAP_OK) {
		sync_set_error(s, "%s: LIST failed: %s", s->account, imap_error(s->imap));
		sync_disconnect(s);
		return SYNC_ERR_NET;
	}
	const struct imap_folder *f = *out = sync_folder_by_rel(s, rel);
	if (!f) {
		sync_set_error(s, "%s: the folder %s is not on the server any more", s->account, rel);
		return SYNC_ERR_FOLDER;
	}
	struct imapdrv_selected sel;
	enum imapdrv_rc rc = imapdrv_select(s->imap, f->raw, false, NULL, &sel);
	if (rc != IMAPDRV_OK) {
		sync_set_error(s, "%s: %s: SELECT failed: %s", s->account, f->name, imapdrv_server_text(s->imap));
		return rc == IMAPDRV_LOST ? SYNC_ERR_NET : SYNC_ERR_FOLDER;
	}
	char *spath = state_path(s->state_dir, rel);
	state_t *state = NULL;
	state_load(spath, &state);
	bool same = state_uidvalidity(state) == sel.uidvalidity;
	state_free(&state);
	free(spath);
	imapdrv_selected_clear(&sel);
	if (!same) {
		sync_set_error(s, "%s: %s changed on the server since the last sync; sync first", s->account, f->name);
		return SYNC_ERR_FOLDER;
	}
	return SYNC_OK;
}

/* UID FETCH (UID INTERNALDATE BODY.PEEK[]) of uid into b; *fm its answer. */
static enum sync_status fetch_whole(sync_t *s, const struct imap_folder *f, uint32_t uid,
				    struct imapdrv_batch *b, const struct imapdrv_msg **fm)
{
	enum imapdrv_rc rc = imapdrv_fetch(s->imap, &uid, 1, IMAPDRV_IDATE | IMAPDRV_BODY, 0, b);
	if (rc != IMAPDRV_OK) {
		sync_set_error(s, "%s: %s: UID FETCH failed: %s", s->account, f->name, imapdrv_server_text(s->imap));
		if (rc == IMAPDRV_LOST)
			sync_disconnect(s);
		return rc == IMAPDRV_LOST ? SYNC_ERR_NET : SYNC_ERR_FOLDER;
	}
	*fm = NULL;
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].uid == uid && b->v[i].body)
			*fm = &b->v[i];
	if (!*fm) {
		sync_set_error(s, "%s: %s: the server no longer has this message", s->account, f->name);
		return SYNC_ERR_FOLDER;
	}
	return SYNC_OK;
}

/* Write the whole message over the stub of uid in rel and index it again. */
static enum sync_status replace_stub(sync_t *s, const char *rel, const struct imap_folder *f, uint32_t uid,
				     const struct imapdrv_msg *fm)
{
	char *dir = xasprintf("%s/%s", s->mail_dir, rel), *data = NULL, *sp = NULL;
	struct maildir_list local = { 0 };
	enum sync_status st = SYNC_OK;
	/* The file's current name: the reader may have changed its flags
	 * (renamed it) since path was taken. */
	struct maildir_entry *e = maildir_scan(dir, &local) == 0 ? maildir_list_find(&local, uid) : NULL;
	size_t len = 0;
	if (!e || maildir_read(dir, e->name, &data, &len) < 0) {
		sync_set_error(s, "%s: %s: the local file of uid %u is gone", s->account, f->name, uid);
		st = SYNC_ERR_FOLDER;
	} else if (!sync_stub_size(data, len)) {
		/* already whole */
	} else if (sync_will_change_local(s, f->name) < 0) {
		st = SYNC_ERR_STORE;
	} else if (replace_lf(dir, e->name, fm->body, fm->len, fm->idate) < 0) {
		sync_set_error(s, "%s: cannot write %s/%s: %s", s->account, dir, e->name, strerror(errno));
		st = SYNC_ERR_STORE;
	} else {
		s->stats.fetched++;
		s->stats.bytes += fm->len;
		sp = xasprintf("%s/%s/%s", s->acct_dir, rel, e->name);
		store_reindex(s->store, sp);
		if (store_flush(s->store)) {
			sync_set_error(s, "%s: %s was fetched but could not be indexed again (see the log)", s->account, sp);
			st = SYNC_ERR_STORE;
		}
	}
	maildir_list_clear(&local);
	free(sp);
	free(data);
	free(dir);
	return st;
}

enum sync_status sync_fetch_full(sync_t *s, const char *path)
{
	free(s->error);
	s->error = xstrdup("");
	char *rel = NULL;
	uint32_t uid = 0;
	if (!stub_location(s, path, &rel, &uid)) {
		sync_set_error(s, "%s: %s is not a message of this account on the server", s->account, path);
		return SYNC_ERR_CONFIG;
	}
	const struct imap_folder *f = NULL;
	const struct imapdrv_msg *fm = NULL;
	struct imapdrv_batch b = { 0 };
	enum sync_status st = sync_connect_login(s);
	if (st == SYNC_OK)
		st = select_for_full(s, rel, &f);
	if (st == SYNC_OK)
		st = fetch_whole(s, f, uid, &b, &fm);
	if (st == SYNC_OK)
		st = replace_stub(s, rel, f, uid, fm);
	imapdrv_batch_clear(&b);
	free(rel);
	return st;
}
