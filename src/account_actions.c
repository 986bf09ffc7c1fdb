/* account_actions.c - the local half of the reader's actions (account.h):
 * tags through the shared store, moves, deletions and undo in the
 * Maildirs with a journal entry for the next pass (doc/sync.md "The
 * journal"), and the message paths they work on. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account_int.h"
#include "fault.h"
#include "journal.h"
#include "maildir.h"
#include "roles.h"
#include "util.h"

/* How long an action waits for a running pass to end before refusing:
 * a move during a pass could look like a deletion to it. */
#define PASS_WAIT_S 2

struct account_undo {
	long account;
	char *src_rel, *orig_name; /* where it was: folder and "cur/<name>" */
	char *dest_dir;            /* absolute directory it went to */
	char *base;                /* file name part before ",U=" / ":2," */
	uint64_t seq;              /* journal entry of the move, 0 none */
	bool had_uid;
	unsigned long passes;      /* the worker's pass count at the time */
};

/* ---- paths ---- */

/* Split path (under mail_root) into account, folder and "cur/<name>". */
struct msg_path {
	long account;
	char *folder; /* relative to the account directory */
	char *name;   /* "cur/<name>" or "new/<name>" */
};

static void msg_path_clear(struct msg_path *p)
{
	xfree(&p->folder);
	xfree(&p->name);
}

static bool msg_path_parse(account_mgr_t *m, const char *path, struct msg_path *out)
{
	memset(out, 0, sizeof(*out));
	out->account = -1;
	size_t rl = strlen(m->mail_root);
	if (strncmp(path, m->mail_root, rl) != 0 || path[rl] != '/')
		return false;
	const char *rest = path + rl + 1;
	for (size_t i = 0; i < m->n; i++) {
		size_t al = strlen(m->w[i].acct_dir);
		if (strncmp(rest, m->w[i].acct_dir, al) == 0 && rest[al] == '/') {
			out->account = (long)i;
			rest += al + 1;
			break;
		}
	}
	const char *slash = strrchr(rest, '/');
	if (out->account < 0 || !slash || slash - rest < 4)
		return false;
	const char *sub = slash - 3;
	if ((strncmp(sub, "cur/", 4) != 0 && strncmp(sub, "new/", 4) != 0) || (sub != rest && sub[-1] != '/'))
		return false;
	if (sub == rest)
		return false; /* a Maildir at the account's root has no folder */
	out->folder = xstrndup(rest, (size_t)(sub - 1 - rest));
	out->name = xstrdup(sub);
	return true;
}

long account_mgr_account_of(account_mgr_t *m, const char *path)
{
	struct msg_path p;
	bool ok = msg_path_parse(m, path, &p);
	long a = ok ? p.account : -1;
	msg_path_clear(&p);
	return a;
}

char *account_mgr_folder_rel(account_mgr_t *m, long account, const char *name)
{
	(void)m;
	(void)account;
	return maildir_folder_relpath(name, '/');
}

/* The unique part of a file name (maildir.h): what stays the same
 * through renames. */
static char *name_base(const char *name)
{
	struct maildir_name n;
	maildir_name_parse(name, &n);
	return xstrndup(n.base, n.unique_len);
}

/* The UID in a file name, 0: none (or an orphan's). */
static uint32_t name_uid(const char *name)
{
	struct maildir_name n;
	maildir_name_parse(name, &n);
	return n.has_uid ? n.uid : 0;
}

static unsigned name_flags(const char *name)
{
	struct maildir_name n;
	maildir_name_parse(name, &n);
	return n.flags;
}

/* "cur/<base>[,U=<uid>]:2,<flags>" */
static char *make_name(const char *base, bool has_uid, uint32_t uid, unsigned flags)
{
	char *name = maildir_name_format(base, has_uid, uid, flags);
	char *rel = xasprintf("cur/%s", name);
	free(name);
	return rel;
}

/* Find the file of base in dir's cur/ or new/ ("cur/<name>"), or NULL. */
static char *find_base(const char *dir, const char *base)
{
	size_t bl = strlen(base);
	char *found = NULL;
	for (int i = 0; i < 2 && !found; i++) {
		char *sub = xasprintf("%s/%s", dir, i ? "new" : "cur");
		DIR *d = opendir(sub);
		for (struct dirent *de; d && !found && (de = readdir(d));) {
			struct maildir_name n;
			maildir_name_parse(de->d_name, &n);
			if (n.unique_len == bl && n.base[bl] && strncmp(n.base, base, bl) == 0)
				found = xasprintf("%s/%s", i ? "new" : "cur", de->d_name);
		}
		if (d)
			closedir(d);
		free(sub);
	}
	return found;
}

char *account_mgr_find_file(const char *path)
{
	if (access(path, F_OK) == 0)
		return xstrdup(path);
	const char *name = strrchr(path, '/');
	if (!name || name - path < 4 || (strncmp(name - 4, "/cur", 4) != 0 && strncmp(name - 4, "/new", 4) != 0))
		return NULL;
	char *dir = xstrndup(path, (size_t)(name - 4 - path));
	char *base = name_base(name + 1);
	char *rel = find_base(dir, base);
	char *found = rel ? xasprintf("%s/%s", dir, rel) : NULL;
	free(rel);
	free(base);
	free(dir);
	return found;
}

/* The Message-ID of the file (from its first 64 KiB), or NULL. */
static char *file_message_id(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	char *buf = xmalloc(65536);
	ssize_t n = read(fd, buf, 65536);
	close(fd);
	char *id = n > 0 ? maildir_message_id(buf, (size_t)n) : NULL;
	free(buf);
	return id;
}

char *account_mgr_file_in_dir(const char *dir, const char *id)
{
	char *found = NULL;
	for (int i = 0; i < 2 && !found; i++) {
		char *sub = xasprintf("%s/%s", dir, i ? "new" : "cur");
		DIR *d = opendir(sub);
		for (struct dirent *de; d && !found && (de = readdir(d));) {
			if (de->d_name[0] == '.')
				continue;
			char *path = xasprintf("%s/%s", sub, de->d_name);
			char *mid = file_message_id(path);
			if (mid && strcmp(mid, id) == 0)
				found = path;
			else
				free(path);
			free(mid);
		}
		if (d)
			closedir(d);
		free(sub);
	}
	return found;
}

/* Rename dir_a/name_a to dir_b/name_b durably. */
static int move_file(const char *dir_a, const char *name_a, const char *dir_b, const char *name_b)
{
	if (maildir_create(dir_b) != 0)
		return -1;
	char *a = xasprintf("%s/%s", dir_a, name_a), *b = xasprintf("%s/%s", dir_b, name_b);
	int rc = rename(a, b);
	free(a);
	free(b);
	if (rc == 0) {
		char *cb = xasprintf("%s/cur", dir_b), *ca = xasprintf("%s/%.3s", dir_a, name_a);
		util_fsync_dir(cb);
		util_fsync_dir(ca);
		free(cb);
		free(ca);
	}
	return rc;
}

/* Lock the account's pass, waiting a little for a running one. */
static bool lock_pass(struct worker *w, char **err)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += PASS_WAIT_S;
	if (pthread_mutex_timedlock(&w->pass_mu, &ts) == 0)
		return true;
	*err = xstrdup("a sync of this account is running; try again in a moment");
	return false;
}

/* ---- actions ---- */

bool account_mgr_tag(account_mgr_t *m, const char *const *ids, size_t n, const char *changes, char **err)
{
	store_t *s = account_store_acquire(m, err);
	if (!s)
		return false;
	for (size_t i = 0; i < n; i++)
		store_tag(s, ids[i], changes);
	size_t failed = store_flush(s);
	account_store_release(m);
	if (failed) {
		*err = xasprintf("%zu change%s could not be applied (see the log)", failed, failed == 1 ? "" : "s");
		return false;
	}
	return true;
}

static char *acct_path(account_mgr_t *m, long account, const char *rel)
{
	return xasprintf("%s/%s/%s", m->mail_root, m->w[account].acct_dir, rel);
}

static char *store_rel(account_mgr_t *m, long account, const char *folder, const char *name)
{
	return xasprintf("%s/%s/%s", m->w[account].acct_dir, folder, name);
}

/* The store, held (account_store_release), with its crash marker written:
 * taken before a change to the Maildir that the index must learn, so that
 * a crash between the change and the index write is reconciled at the
 * next open.  NULL (change nothing) with *err. */
static store_t *store_for_change(account_mgr_t *m, char **err)
{
	store_t *s = account_store_acquire(m, err);
	if (s && store_mark_dirty(s) < 0) {
		*err = xasprintf("cannot write the index's crash marker: %s", strerror(errno));
		account_store_release(m);
		s = NULL;
	}
	return s;
}

/* Tell the store about a rename (old_folder/old_name -> new_folder/new_name). */
static void store_moved(account_mgr_t *m, long account, const char *of, const char *on, const char *nf,
			const char *nn)
{
	store_t *s = account_store_acquire(m, NULL);
	if (!s)
		return; /* the next open reconciles the index with the Maildirs */
	char *o = store_rel(m, account, of, on), *n = store_rel(m, account, nf, nn);
	store_rename(s, o, n, conf_account_name(m->conf, (size_t)account), NULL);
	store_flush(s);
	account_store_release(m);
	free(o);
	free(n);
}

static uint64_t journal_move(account_mgr_t *m, long account, const char *from, uint32_t uid, const char *dest,
			     const char *dest_file)
{
	char *jp = xasprintf("%s/%s/journal", m->state_root, m->w[account].acct_dir);
	char *dir = xasprintf("%s/%s", m->state_root, m->w[account].acct_dir);
	util_mkdirs(dir, 0700);
	free(dir);
	journal_t *j = NULL;
	uint64_t seq = 0;
	struct journal_entry e = { .op = JOURNAL_MOVE, .folder = (char *)from, .uid = uid, .dest = (char *)dest,
				   .dest_file = (char *)dest_file };
	if (journal_open(jp, &j) == JOURNAL_OK && journal_add(j, &e) == JOURNAL_OK)
		seq = e.seq;
	journal_free(&j);
	free(jp);
	return seq;
}

/* Index a file just delivered into folder/name (no ",U=": the next pass
 * uploads it).  No store (it is busy or broken): the next open reconciles. */
static size_t index_new(account_mgr_t *m, long account, const char *folder, const char *name)
{
	store_t *s = account_store_acquire(m, NULL);
	if (!s)
		return 1;
	char *rel = store_rel(m, account, folder, name);
	store_add(s, rel, conf_account_name(m->conf, (size_t)account), NULL);
	size_t failed = store_flush(s);
	account_store_release(m);
	free(rel);
	return failed;
}

bool account_mgr_index_file(account_mgr_t *m, const char *path, char **err)
{
	struct msg_path p;
	bool ok = msg_path_parse(m, path, &p);
	if (!ok)
		*err = xstrdup("the file is not in an account's folder");
	else if (!(ok = index_new(m, p.account, p.folder, p.name) == 0))
		*err = xstrdup("it could not be indexed now (see the log); the next sync indexes it");
	msg_path_clear(&p);
	return ok;
}

static bool copy_msg(account_mgr_t *m, const struct msg_path *p, const char *dest_rel, char **err)
{
	char *src = acct_path(m, p->account, p->folder), *dst = acct_path(m, p->account, dest_rel);
	char *data = NULL, *nn = NULL;
	size_t len = 0;
	store_t *held = store_for_change(m, err);
	bool ok = held && maildir_read(src, p->name, &data, &len) == 0 && maildir_create(dst) == 0 &&
		  maildir_deliver(dst, data, len, 0, false, name_flags(p->name), 0, &nn) == 0;
	if (ok)
		index_new(m, p->account, dest_rel, nn);
	else if (held)
		*err = xasprintf("cannot copy the message: %s", strerror(errno));
	if (held)
		account_store_release(m);
	free(data);
	free(nn);
	free(src);
	free(dst);
	return ok;
}

/* The move itself, with the pass locked: rename without ",U=", tell the
 * store, journal it (doc/sync.md "The journal"). */
static bool move_locked(account_mgr_t *m, const struct msg_path *p, const char *dest_rel,
			account_undo_t **undo, char **err)
{
	struct worker *w = &m->w[p->account];
	char *src = acct_path(m, p->account, p->folder), *dst = acct_path(m, p->account, dest_rel);
	char *base = name_base(p->name);
	uint32_t uid = name_uid(p->name);
	bool has_uid = uid != 0;
	char *nn = make_name(base, false, 0, name_flags(p->name));
	store_t *held = store_for_change(m, err);
	bool ok = held && move_file(src, p->name, dst, nn) == 0;
	if (ok)
		fault_point("action"); /* moved, the index not told yet */
	if (held && !ok)
		*err = xasprintf("cannot move the message: %s", strerror(errno));
	uint64_t seq = 0;
	if (ok) {
		store_moved(m, p->account, p->folder, p->name, dest_rel, nn);
		if (has_uid)
			seq = journal_move(m, p->account, p->folder, uid, dest_rel, nn);
	}
	if (ok && undo) {
		account_undo_t *u = xcalloc(1, sizeof(*u));
		*u = (account_undo_t){ .account = p->account, .src_rel = xstrdup(p->folder),
					    .orig_name = xstrdup(p->name), .dest_dir = xstrdup(dest_rel),
					    .base = base, .seq = seq, .had_uid = has_uid, .passes = w->passes };
		base = NULL;
		*undo = u;
	}
	if (held)
		account_store_release(m);
	free(base);
	free(nn);
	free(src);
	free(dst);
	return ok;
}

bool account_mgr_move(account_mgr_t *m, const char *path, const char *dest_rel, bool copy,
		      account_undo_t **undo, char **err)
{
	struct msg_path p;
	if (!msg_path_parse(m, path, &p)) {
		msg_path_clear(&p);
		*err = xstrdup("the message is not in an account's folder");
		return false;
	}
	bool ok;
	if (!dest_rel || !*dest_rel) {
		*err = xstrdup("no destination folder");
		ok = false;
	} else if (strcmp(p.folder, dest_rel) == 0) {
		*err = xstrdup("the message is already in that folder");
		ok = false;
	} else if (copy) {
		ok = copy_msg(m, &p, dest_rel, err);
	} else if ((ok = lock_pass(&m->w[p.account], err))) {
		ok = move_locked(m, &p, dest_rel, undo, err);
		pthread_mutex_unlock(&m->w[p.account].pass_mu);
	}
	if (ok)
		account_mgr_touch(m, p.account);
	msg_path_clear(&p);
	return ok;
}

static char *trash_rel(account_mgr_t *m, long account)
{
	return roles_folder(m->conf, account, IMAP_SPECIAL_TRASH, NULL);
}

static void journal_expunge(account_mgr_t *m, long account, const char *folder, uint32_t uid)
{
	char *jp = xasprintf("%s/%s/journal", m->state_root, m->w[account].acct_dir);
	journal_t *j = NULL;
	struct journal_entry e = { .op = JOURNAL_EXPUNGE, .folder = (char *)folder, .uid = uid };
	if (journal_open(jp, &j) == JOURNAL_OK)
		journal_add(j, &e);
	journal_free(&j);
	free(jp);
}

/* With the pass locked: take the file out of the Maildir and the index
 * (the next pass deletes it on the server).  for_good: journal an
 * expunge, so that delete_policy = trash does not move it again (it is in
 * the Trash already). */
static bool remove_locked(account_mgr_t *m, const struct msg_path *p, bool for_good, char **err)
{
	char *dir = acct_path(m, p->account, p->folder);
	uint32_t uid = name_uid(p->name);
	bool has_uid = uid != 0;
	store_t *s = store_for_change(m, err);
	bool ok = s && maildir_remove(dir, p->name) == 0;
	if (s && !ok)
		*err = xasprintf("cannot delete: %s", strerror(errno));
	if (ok && for_good && has_uid)
		journal_expunge(m, p->account, p->folder, uid);
	if (ok) {
		char *rel = store_rel(m, p->account, p->folder, p->name);
		store_remove(s, rel);
		store_flush(s);
		free(rel);
	}
	if (s)
		account_store_release(m);
	free(dir);
	return ok;
}

bool account_mgr_delete(account_mgr_t *m, const char *path, account_undo_t **undo, char **err)
{
	struct msg_path p;
	if (undo)
		*undo = NULL;
	if (!msg_path_parse(m, path, &p)) {
		msg_path_clear(&p);
		*err = xstrdup("the message is not in an account's folder");
		return false;
	}
	char *trash = trash_rel(m, p.account);
	bool in_trash = trash && strcmp(trash, p.folder) == 0;
	/* Gmail: a delete in a label folder removes that label (the sync
	 * expunges it from that folder only); the message stays in All Mail. */
	bool label = roles_is_label(m->conf, p.account, p.folder);
	bool ok;
	if (conf_enum(m->conf, p.account, OPT_ID_delete_policy) == 0 && !in_trash && !label) {
		ok = account_mgr_move(m, path, trash, false, undo, err);
	} else if ((ok = lock_pass(&m->w[p.account], err))) {
		/* delete_policy = expunge, or already in the Trash: for good (no
		 * undo); a label: the sync's pass removes it from that folder */
		ok = remove_locked(m, &p, in_trash && !label, err);
		pthread_mutex_unlock(&m->w[p.account].pass_mu);
		if (ok)
			account_mgr_touch(m, p.account);
	}
	free(trash);
	msg_path_clear(&p);
	return ok;
}

bool account_mgr_expunge(account_mgr_t *m, const char *path, char **err)
{
	struct msg_path p;
	bool ok = msg_path_parse(m, path, &p);
	if (!ok)
		*err = xstrdup("the message is not in an account's folder");
	else if ((ok = lock_pass(&m->w[p.account], err))) {
		/* with the pass locked: an upload may have renamed it (,U=) just before */
		char *now = account_mgr_find_file(path);
		struct msg_path q = { 0 };
		ok = now && msg_path_parse(m, now, &q);
		if (ok)
			ok = remove_locked(m, &q, true, err);
		else
			*err = xstrdup("the message is gone already");
		if (now)
			msg_path_clear(&q);
		free(now);
		pthread_mutex_unlock(&m->w[p.account].pass_mu);
		if (ok)
			account_mgr_touch(m, p.account);
	}
	msg_path_clear(&p);
	return ok;
}

/* Is journal entry seq of the account still waiting? */
static bool journal_waiting(account_mgr_t *m, long account, uint64_t seq, bool mark_done)
{
	char *jp = xasprintf("%s/%s/journal", m->state_root, m->w[account].acct_dir);
	journal_t *j = NULL;
	struct journal_entry *v = NULL;
	size_t n = 0;
	bool found = false;
	if (journal_open(jp, &j) == JOURNAL_OK && journal_pending(j, &v, &n) == JOURNAL_OK) {
		for (size_t i = 0; i < n; i++)
			found |= v[i].seq == seq;
		if (found && mark_done)
			journal_done(j, seq);
		journal_entries_free(&v, n);
	}
	journal_free(&j);
	free(jp);
	return found;
}

/* With the pass locked: bring the file back.  If no pass pushed the move
 * yet, cancel its journal entry and restore the old name (nothing reaches
 * the server); otherwise move it back as a new move. */
static bool undo_locked(account_mgr_t *m, account_undo_t *u, char **err)
{
	char *dst = acct_path(m, u->account, u->dest_dir), *src = acct_path(m, u->account, u->src_rel);
	char *cur = find_base(dst, u->base);
	bool ok = cur != NULL;
	if (!ok) {
		*err = xstrdup("the message is no longer where it was moved to");
	} else {
		uint32_t uid = name_uid(cur);
		bool now_uid = uid != 0;
		bool pending = u->seq && !now_uid && journal_waiting(m, u->account, u->seq, true);
		uint32_t old_uid = name_uid(u->orig_name);
		bool keep_uid = pending || (!u->seq && u->had_uid);
		char *back = make_name(u->base, keep_uid, old_uid, name_flags(cur));
		store_t *held = store_for_change(m, err);
		ok = held && move_file(dst, cur, src, back) == 0;
		if (ok) {
			store_moved(m, u->account, u->dest_dir, cur, u->src_rel, back);
			if (now_uid)
				journal_move(m, u->account, u->dest_dir, uid, u->src_rel, back);
		} else if (held) {
			*err = xasprintf("cannot move the message back: %s", strerror(errno));
		}
		if (held)
			account_store_release(m);
		free(back);
	}
	free(cur);
	free(dst);
	free(src);
	return ok;
}

bool account_mgr_undo(account_mgr_t *m, account_undo_t **pu, char **err)
{
	account_undo_t *u = *pu;
	if (!u) {
		*err = xstrdup("nothing to undo");
		return false;
	}
	bool ok = lock_pass(&m->w[u->account], err);
	if (ok) {
		ok = undo_locked(m, u, err);
		pthread_mutex_unlock(&m->w[u->account].pass_mu);
	}
	if (ok)
		account_mgr_touch(m, u->account);
	account_undo_free(pu);
	return ok;
}

void account_undo_free(account_undo_t **pu)
{
	account_undo_t *u = *pu;
	if (!u)
		return;
	free(u->src_rel);
	free(u->orig_name);
	free(u->dest_dir);
	free(u->base);
	free(u);
	*pu = NULL;
}
