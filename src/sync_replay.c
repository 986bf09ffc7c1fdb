/* sync_replay.c - the journal replay: moves and deletions made in the reader. */
#include "sync_int.h"

#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "journal.h"
#include "mutf7.h"
#include "net.h"

/* A move's source UID whose copy the server has not confirmed: the
 * folder pass must not delete it there (it stays until a later pass has
 * moved it). */
static void hold(sync_t *s, const char *rel, uint32_t uid)
{
	s->held = xreallocarray(s->held, s->nheld + 1, sizeof(*s->held));
	s->held[s->nheld++] = xasprintf("%s\n%" PRIu32, rel, uid);
}

/* The destination of a move is a folder made here that the server does
 * not have yet (the reader filed into a new folder, or into a role folder
 * that does not exist there): create it now, in the personal namespace,
 * so that the move is a server-side MOVE/COPY the server confirms, not an
 * upload after the source was deleted.  The listed folder, or NULL with
 * *tried set when a CREATE was refused (the move then waits). */
static const struct imap_folder *create_for_move(sync_t *s, const char *rel, bool *tried)
{
	*tried = false;
	if (sync_has_state(s, rel) || !sync_is_dir_at(s->mail_dir, rel, "cur"))
		return NULL;
	const char *why = NULL;
	char *name = sync_server_name_of(rel, sync_server_delim(s), &why);
	char *raw = name && sync_in_namespace(name, imap_namespace_prefix(s->imap)) &&
				    sync_folder_selected(conf_str(s->conf, s->acct, OPT_ID_sync_folders), name)
			    ? mutf7_encode(name)
			    : NULL;
	const struct imap_folder *f = NULL;
	if (raw) {
		*tried = true;
		fault_point("create");
		if (fault_hit("drop-create")) /* the server goes away (tests) */
			imapdrv_drop(s->imap);
		enum imapdrv_rc r = imapdrv_create(s->imap, raw);
		if (r == IMAPDRV_OK)
			fault_point("create");
		if (r != IMAPDRV_OK) {
			sync_imap_failed(s, r, name, "CREATE");
		} else if (sync_relist(s)) {
			log_info("%s: created %s on the server for a move into it", s->account, name);
			f = sync_folder_by_rel(s, rel);
		}
	}
	free(raw);
	free(name);
	return f;
}

/* SELECT src; false (the failure told) when refused. */
static bool select_source(sync_t *s, const struct imap_folder *src)
{
	struct imapdrv_selected sel;
	enum imapdrv_rc rc = imapdrv_select(s->imap, src->raw, false, NULL, &sel);
	imapdrv_selected_clear(&sel);
	if (rc != IMAPDRV_OK)
		sync_imap_failed(s, rc, src->name, "SELECT");
	return rc == IMAPDRV_OK;
}

/* The source forgets the UID: it is gone from both sides now. */
static void source_forgets(sync_t *s, const struct imap_folder *src, uint32_t uid)
{
	char *srel = maildir_folder_relpath(src->name, src->delim);
	char *sspath = state_path(s->state_dir, srel);
	state_t *sst;
	if (state_load(sspath, &sst) == STATE_OK) {
		state_del(sst, uid);
		state_save(sst, sspath);
	}
	state_free(&sst);
	free(sspath);
	free(srel);
}

/* The moved file in dst takes its new UID (COPYUID), and the
 * destination's state learns it with the file's flags (the server copied
 * them), so nothing is fetched again. */
static void adopt_moved(sync_t *s, const struct journal_entry *e, const struct imap_folder *dst, uint32_t uv,
			uint32_t newuid)
{
	char *rel = maildir_folder_relpath(dst->name, dst->delim);
	char *dir = xasprintf("%s/%s", s->mail_dir, rel);
	char *spath = state_path(s->state_dir, rel);
	state_t *st;
	state_load(spath, &st);
	struct maildir_name dn;
	maildir_name_parse(e->dest_file, &dn);
	unsigned flags = dn.flags;
	char *nn = NULL;
	if (maildir_rename(dir, e->dest_file, true, newuid, flags, &nn) == 0) {
		sync_store_rename(s, rel, e->dest_file, nn);
		free(nn);
		if (state_uidvalidity(st) == uv || !state_uidvalidity(st)) {
			state_put(st, newuid, flags, NULL);
			state_save(st, spath);
		}
	}
	state_free(&st);
	free(spath);
	free(dir);
	free(rel);
}

/* UID MOVE (or COPY, \Deleted and UID EXPUNGE) of e's message from src to
 * dst; false (the source held back) when it failed. */
static bool move_on_server(sync_t *s, const struct journal_entry *e, const struct imap_folder *src,
			   const struct imap_folder *dst, uint32_t *uv, uint32_t *newuid)
{
	bool move = imap_has_cap(s->imap, IMAP_CAP_MOVE);
	enum imapdrv_rc rc = move ? imapdrv_move(s->imap, &e->uid, 1, dst->raw, uv, newuid)
				  : imapdrv_copy(s->imap, &e->uid, 1, dst->raw, uv, newuid);
	if (rc == IMAPDRV_OK && !move) {
		sync_uid_store(s, &e->uid, 1, MAILDIR_F_TRASHED, true);
		imapdrv_expunge(s->imap, &e->uid, 1);
	}
	if (rc != IMAPDRV_OK) {
		sync_imap_failed(s, rc, src->name, "UID MOVE");
		hold(s, e->folder, e->uid);
	}
	return rc == IMAPDRV_OK;
}

/* Replay one move: UID MOVE, then give the moved local file its new UID. */
static int replay_move(sync_t *s, const struct journal_entry *e)
{
	s->server_written = true;
	const struct imap_folder *src = sync_folder_by_rel(s, e->folder), *dst = sync_folder_by_rel(s, e->dest);
	bool tried = false;
	if (src && !dst)
		dst = create_for_move(s, e->dest, &tried);
	if (src && !dst && tried) {
		hold(s, e->folder, e->uid); /* the server refused the folder: keep the source */
		return -1;
	}
	if (!src || !dst)
		return 0; /* the folder is gone: the local file is uploaded as new */
	src = sync_folder_by_rel(s, e->folder); /* the LIST may have moved it */
	uint32_t uv = 0, newuid = 0;
	if (!select_source(s, src) || !move_on_server(s, e, src, dst, &uv, &newuid))
		return -1;
	s->stats.pushed++;
	if (newuid)
		adopt_moved(s, e, dst, uv, newuid);
	source_forgets(s, src, e->uid);
	return 0;
}

static int replay_expunge(sync_t *s, const struct journal_entry *e)
{
	s->server_written = true;
	const struct imap_folder *src = sync_folder_by_rel(s, e->folder);
	if (!src)
		return 0;
	struct imapdrv_selected sel;
	enum imapdrv_rc rc = imapdrv_select(s->imap, src->raw, false, NULL, &sel);
	imapdrv_selected_clear(&sel);
	if (rc == IMAPDRV_OK)
		rc = sync_uid_store(s, &e->uid, 1, MAILDIR_F_TRASHED, true);
	if (rc == IMAPDRV_OK && imap_has_cap(s->imap, IMAP_CAP_UIDPLUS))
		rc = imapdrv_expunge(s->imap, &e->uid, 1);
	if (rc != IMAPDRV_OK) {
		sync_imap_failed(s, rc, src->name, "UID EXPUNGE");
		return -1;
	}
	s->stats.pushed++;
	source_forgets(s, src, e->uid);
	return 0;
}

void sync_replay_journal(sync_t *s)
{
	char *path = xasprintf("%s/journal", s->state_dir);
	journal_t *j;
	journal_open(path, &j);
	free(path);
	struct journal_entry *v;
	size_t n;
	if (journal_pending(j, &v, &n) == JOURNAL_OK) {
		/* A replayed move renames its local file to carry the new UID. */
		if (n && sync_will_change_local(s, "the journal") < 0) {
			for (size_t i = 0; i < n; i++)
				hold(s, v[i].folder, v[i].uid);
			n = 0;
		}
		for (size_t i = 0; i < n && !s->net_failed; i++) {
			int rc = v[i].op == JOURNAL_MOVE ? replay_move(s, &v[i]) : replay_expunge(s, &v[i]);
			fault_point("replay"); /* done on the server, not yet in the journal */
			if (rc == 0)
				journal_done(j, v[i].seq);
		}
		if (n && !s->net_failed)
			journal_compact(j);
		journal_entries_free(&v, n);
	}
	journal_free(&j);
}
