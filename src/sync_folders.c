/* sync_folders.c - the folder list: folders gone from the server (deleted or
 * renamed) and folders made here. */
#include "sync_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"
#include "mutf7.h"
#include "roles.h"

/* ---- the listed folders ---- */

const struct imap_folder *sync_folder_by_rel(sync_t *s, const char *rel)
{
	for (size_t i = 0; i < s->nfolders; i++) {
		char *r = maildir_folder_relpath(s->folders[i].name, s->folders[i].delim);
		bool hit = r && strcmp(r, rel) == 0;
		free(r);
		if (hit)
			return &s->folders[i];
	}
	return NULL;
}

/* The hierarchy delimiter for names we make: the personal namespace's,
 * else that of any listed folder (0: a flat server). */
char sync_server_delim(sync_t *s)
{
	char delim = imap_namespace_delim(s->imap);
	for (size_t i = 0; i < s->nfolders && !delim; i++)
		delim = s->folders[i].delim;
	return delim;
}

/* Has the sync a state for the local folder rel (it saw it on the
 * server once)? */
bool sync_has_state(sync_t *s, const char *rel)
{
	char *spath = state_path(s->state_dir, rel);
	bool known = access(spath, F_OK) == 0;
	free(spath);
	return known;
}

/* LIST again after a CREATE: the new folders join this pass (with the
 * server's spelling, flags and delimiter).  false when LIST failed (the
 * pass ends as on a dropped connection). */
bool sync_relist(sync_t *s)
{
	struct imap_folder *f = NULL;
	size_t nf = 0;
	if (imap_list(s->imap, &f, &nf) != IMAP_OK) {
		sync_set_error(s, "%s: LIST failed: %s", s->account, imap_error(s->imap));
		s->net_failed = true;
		return false;
	}
	imap_folders_free(&s->folders, s->nfolders);
	s->folders = f;
	s->nfolders = nf;
	sync_pick_trash(s);
	return true;
}

/* ---- folders gone from LIST (deleted or renamed on the server) ---- */

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool sync_is_dir_at(const char *root, const char *rel, const char *leaf)
{
	char *p = xasprintf("%s/%s/%s", root, rel, leaf);
	bool yes = is_dir(p);
	free(p);
	return yes;
}

/* What folder_gone() learned of a listed folder by STATUS (without
 * selecting it), asked once a pass. */
struct folder_ids {
	bool asked;
	uint32_t uidvalidity; /* 0: the server did not say */
	char *mailboxid;      /* owned; NULL: unknown */
};

static const struct folder_ids *folder_ids_of(sync_t *s, const struct imap_folder *f, struct folder_ids *ids)
{
	if (ids->asked)
		return ids;
	ids->asked = true;
	enum imapdrv_rc rc = imapdrv_status_ids(s->imap, f->raw, &ids->uidvalidity, &ids->mailboxid);
	if (rc == IMAPDRV_LOST)
		sync_imap_failed(s, rc, f->name, "STATUS");
	return ids;
}

/* Tell the store that every file of dir (relative to the account) now
 * lives there: adding a known message's new name keeps its tags. */
static void index_moved_tree(sync_t *s, const char *rel, int depth)
{
	if (depth > 64)
		return;
	char *dir = xasprintf("%s/%s", s->mail_dir, rel);
	struct maildir_list l = { 0 };
	if (maildir_scan(dir, &l) == 0)
		for (size_t i = 0; i < l.n; i++) {
			char *p = xasprintf("%s/%s/%s", s->acct_dir, rel, l.v[i].name);
			store_add(s->store, p, s->account, NULL);
			free(p);
		}
	maildir_list_clear(&l);
	DIR *dh = opendir(dir);
	struct dirent *de;
	while (dh && (de = readdir(dh))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "cur") || !strcmp(de->d_name, "new") ||
		    !strcmp(de->d_name, "tmp"))
			continue;
		char *sub = xasprintf("%s/%s", rel, de->d_name), *subabs = xasprintf("%s/%s", dir, de->d_name);
		if (is_dir(subabs))
			index_moved_tree(s, sub, depth + 1);
		free(sub);
		free(subabs);
	}
	if (dh)
		closedir(dh);
	free(dir);
}

/* Remove an empty mirror: its tmp leftovers (unfinished deliveries), the
 * Maildir's directories, and the folder's directory if nothing else (a
 * subfolder) is in it. */
static void remove_empty_mirror(const char *dir)
{
	char *tmp = xasprintf("%s/tmp", dir);
	util_unlink_files(tmp, false);
	free(tmp);
	static const char *const subs[] = { "cur", "new", "tmp" };
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		char *p = xasprintf("%s/%s", dir, subs[i]);
		rmdir(p);
		free(p);
	}
	rmdir(dir);
}

/* The listed folder that rel was renamed to: RFC 8474's MAILBOXID (mbid)
 * is unique and kept across RENAME, so with one known it alone decides;
 * without, RENAME keeps UIDVALIDITY (RFC 3501 6.3.5), so a listed folder
 * we have never synced with the same UIDVALIDITY is the same folder under
 * its new name.  Two candidates: not detectable (Cyrus gives folders made
 * in the same second one UIDVALIDITY; hence MAILBOXID first).  The index
 * in s->folders, or -1. */
static long rename_target(sync_t *s, const char *mbid, uint32_t uv, char **listed, struct folder_ids *ids)
{
	const char *patterns = conf_str(s->conf, s->acct, OPT_ID_sync_folders);
	size_t ncand = 0, to_i = 0;
	for (size_t i = 0; (mbid || uv) && i < s->nfolders && !s->net_failed; i++) {
		const struct imap_folder *f = &s->folders[i];
		if ((f->flags & IMAP_FOLDER_NOSELECT) || !listed[i] || !sync_folder_selected(patterns, f->name) ||
		    sync_has_state(s, listed[i]))
			continue;
		bool same;
		if (mbid) {
			const char *id = folder_ids_of(s, f, &ids[i])->mailboxid;
			same = id && strcmp(id, mbid) == 0;
		} else {
			same = folder_ids_of(s, f, &ids[i])->uidvalidity == uv;
		}
		if (same) {
			to_i = i;
			ncand++;
		}
	}
	return ncand == 1 ? (long)to_i : -1;
}

/* Move the local copy of rel (dir) to the renamed folder's place, to
 * (relative); true when it is there now. */
static bool move_mirror(sync_t *s, const char *dir, const char *to)
{
	char *ndir = xasprintf("%s/%s", s->mail_dir, to);
	bool moved = false;
	if (is_dir(dir) && !is_dir(ndir)) {
		/* The parents of the new place first (a rename may move a
		 * folder into another). */
		char *parent = xstrdup(ndir);
		char *sl = strrchr(parent, '/');
		if (sl)
			*sl = '\0';
		moved = util_mkdirs(parent, 0700) == 0 && rename(dir, ndir) == 0;
		free(parent);
	} else if (!is_dir(dir) && is_dir(ndir)) {
		moved = true; /* moved with its parent folder already */
	}
	free(ndir);
	return moved;
}

/* The files first, the state second: a crash in between leaves files
 * whose names carry their UIDs (adopted by the next pass) and a state
 * without a folder. */
static void follow_rename(sync_t *s, const char *rel, state_t *st, const char *spath, const char *to,
			  const struct imap_folder *f)
{
	index_moved_tree(s, to, 0);
	char *old_prefix = xasprintf("%s/%s", s->acct_dir, rel);
	store_prune(s->store, old_prefix);
	free(old_prefix);
	state_set_folder(st, f->raw);
	char *nspath = state_path(s->state_dir, to);
	if (state_save(st, nspath) == 0)
		unlink(spath);
	free(nspath);
	sync_warn(s, f->name, "%s was renamed on the server to %s; the local copy followed", rel, f->name);
}

/* Deleted (or a rename we cannot follow): what it holds locally is on the
 * server no more, so it is kept; only an empty mirror goes. */
static void folder_deleted(sync_t *s, const char *rel, const char *dir, const char *spath)
{
	struct maildir_list l = { 0 };
	maildir_scan(dir, &l);
	if (l.n == 0) {
		remove_empty_mirror(dir);
		unlink(spath);
		char *prefix = xasprintf("%s/%s", s->acct_dir, rel);
		store_prune(s->store, prefix);
		free(prefix);
		log_info("%s: %s is gone from the server; its empty local copy was removed", s->account, rel);
	} else {
		sync_warn(s, rel,
			  "%s is gone from the server; its %zu local messages are kept in %s (not on the server any "
			  "more: move them to another folder to upload them, or delete the directory)",
			  rel, l.n, dir);
	}
	maildir_list_clear(&l);
}

/* One folder that has a state here but is not in LIST any more. */
static void folder_gone(sync_t *s, const char *rel, char **listed, struct folder_ids *ids)
{
	char *spath = state_path(s->state_dir, rel);
	state_t *st = NULL;
	state_load(spath, &st);
	const char *mbid = imap_has_cap(s->imap, IMAP_CAP_OBJECTID) && *state_mailboxid(st) ? state_mailboxid(st) : NULL;
	char *dir = xasprintf("%s/%s", s->mail_dir, rel);
	long to = rename_target(s, mbid, state_uidvalidity(st), listed, ids);
	if (to >= 0 && sync_will_change_local(s, rel) < 0) {
		/* told: the next pass moves it */
	} else if (to >= 0 && move_mirror(s, dir, listed[to]))
		follow_rename(s, rel, st, spath, listed[to], &s->folders[to]);
	else
		folder_deleted(s, rel, dir, spath);
	state_free(&st);
	free(dir);
	free(spath);
}

/* The folders with a state file here (state_path() wrote '/' as %2F;
 * components never hold it), sorted: parents first. */
static void state_rels(const char *state_dir, char ***out, size_t *nout)
{
	DIR *dh = opendir(state_dir);
	struct dirent *de;
	while (dh && (de = readdir(dh))) {
		size_t n = strlen(de->d_name);
		if (de->d_name[0] == '.' || n <= 6 || strcmp(de->d_name + n - 6, ".state") != 0)
			continue;
		struct strbuf b;
		strbuf_init(&b);
		for (size_t i = 0; i < n - 6; i++) {
			if (strncmp(de->d_name + i, "%2F", 3) == 0) {
				strbuf_addc(&b, '/');
				i += 2;
			} else {
				strbuf_addc(&b, de->d_name[i]);
			}
		}
		*out = xreallocarray(*out, *nout + 1, sizeof(**out));
		(*out)[(*nout)++] = strbuf_detach(&b);
		strbuf_free(&b);
	}
	if (dh)
		closedir(dh);
	if (*nout)
		qsort(*out, *nout, sizeof(**out), sync_str_cmp);
}

/* Every folder with a state here that LIST no longer shows (parents
 * before their subfolders, so that a renamed parent carries its
 * subfolders along before they are looked at). */
void sync_follow_gone_folders(sync_t *s)
{
	char **rels = NULL;
	size_t nrels = 0;
	state_rels(s->state_dir, &rels, &nrels);
	if (!nrels)
		return;
	char **listed = xcalloc(s->nfolders + 1, sizeof(*listed));
	struct folder_ids *ids = xcalloc(s->nfolders + 1, sizeof(*ids));
	for (size_t i = 0; i < s->nfolders; i++)
		listed[i] = maildir_folder_relpath(s->folders[i].name, s->folders[i].delim);
	for (size_t k = 0; k < nrels && !s->net_failed && !s->cancelled; k++) {
		bool present = false;
		for (size_t i = 0; i < s->nfolders && !present; i++)
			present = listed[i] && strcmp(listed[i], rels[k]) == 0;
		if (!present)
			folder_gone(s, rels[k], listed, ids);
	}
	for (size_t i = 0; i < s->nfolders; i++) {
		free(listed[i]);
		free(ids[i].mailboxid);
	}
	free(listed);
	free(ids);
	for (size_t k = 0; k < nrels; k++)
		free(rels[k]);
	free(rels);
}

/* ---- folders made here ---- */

/* Every Maildir (a directory with cur/, new/ and tmp/) under root, as
 * paths relative to root.  A name starting with '.' is never one of ours
 * (maildir_safe_component escapes a leading dot). */
void sync_find_maildirs(const char *root, char ***out, size_t *n)
{
	char **all = NULL;
	size_t nall = 0;
	maildir_find_tree(root, "", &all, &nall);
	for (size_t i = 0; i < nall; i++) {
		if (*all[i] && sync_is_dir_at(root, all[i], "new") && sync_is_dir_at(root, all[i], "tmp")) {
			*out = xreallocarray(*out, *n + 1, sizeof(**out));
			(*out)[(*n)++] = all[i];
		} else {
			free(all[i]);
		}
	}
	free(all);
}

/* The server name (UTF-8) of a local folder path: its components decoded
 * and joined with the server's delimiter.  NULL with *why when there is
 * none that would map back to the same directory. */
char *sync_server_name_of(const char *rel, char delim, const char **why)
{
	struct strbuf b;
	strbuf_init(&b);
	char *copy = xstrdup(rel);
	char *name = NULL;
	*why = NULL;
	for (char *save = NULL, *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		char *part = maildir_component_name(c);
		if (!part) {
			*why = "its name is not one the sync can map back to this directory (a '%' not followed by the "
			       "escape of a character that needs one)";
		} else if (!*part || (delim && strchr(part, delim))) {
			*why = delim ? "a part of its name is empty or holds the server's hierarchy delimiter"
				     : "a part of its name is empty";
		} else if (b.len && !delim) {
			*why = "the server has no folder hierarchy";
		}
		if (*why) {
			free(part);
			goto out;
		}
		if (b.len)
			strbuf_addc(&b, delim);
		strbuf_adds(&b, part);
		free(part);
	}
	name = strbuf_detach(&b);
out:
	strbuf_free(&b);
	free(copy);
	return name;
}

/* Rename every file of dir that carries a UID (",U=<n>", n > 0: copied
 * from another folder's mirror) to a name without one, so that the first
 * pass over the new folder uploads it instead of taking it for a message
 * the server expunged.  Orphans (",U=0") stay as they are.  0, or -1. */
static int forget_uids(sync_t *s, const char *rel, const char *dir)
{
	struct maildir_list l = { 0 };
	if (maildir_scan(dir, &l) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < l.n; i++) {
		const struct maildir_entry *e = &l.v[i];
		if (!e->has_uid || !e->uid)
			continue;
		char *nn = NULL;
		if (maildir_rename(dir, e->name, false, 0, e->flags, &nn) < 0) {
			rc = -1;
			break;
		}
		sync_store_rename(s, rel, e->name, nn);
		free(nn);
	}
	maildir_list_clear(&l);
	if (rc == 0)
		rc = maildir_sync(dir);
	return rc;
}

/* Is name inside the personal namespace whose prefix is prefix ("INBOX."
 * on Courier and classic Cyrus)?  INBOX itself always is; the INBOX part
 * of a prefix compares without case (RFC 3501). */
bool sync_in_namespace(const char *name, const char *prefix)
{
	if (!prefix || !*prefix || strcasecmp(name, "INBOX") == 0)
		return true;
	size_t n = strlen(prefix);
	if (strncasecmp(prefix, "INBOX", 5) == 0)
		return strncasecmp(name, prefix, 5) == 0 && strncmp(name + 5, prefix + 5, n - 5) == 0;
	return strncmp(name, prefix, n) == 0;
}

/* Move the messages of the local folder rel into the local folder to
 * (created if needed), each file by rename and told to the index, so that
 * its tags stay.  A crash in between leaves files in both folders, which
 * the next pass moves again.  Subfolders stay (they are moved in their
 * own turn); an emptied rel is removed.  0, or -1 with errno. */
static int move_local_folder(sync_t *s, const char *rel, const char *to)
{
	char *from_dir = xasprintf("%s/%s", s->mail_dir, rel);
	char *to_dir = xasprintf("%s/%s", s->mail_dir, to);
	struct maildir_list l = { 0 };
	int rc = maildir_create(to_dir) == 0 && maildir_scan(from_dir, &l) == 0 ? 0 : -1;
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		char *op = xasprintf("%s/%s", from_dir, l.v[i].name);
		char *np = xasprintf("%s/%s", to_dir, l.v[i].name);
		rc = rename(op, np);
		free(op);
		free(np);
		if (rc == 0) {
			op = xasprintf("%s/%s/%s", s->acct_dir, rel, l.v[i].name);
			np = xasprintf("%s/%s/%s", s->acct_dir, to, l.v[i].name);
			store_rename(s->store, op, np, s->account, NULL);
			free(op);
			free(np);
		}
	}
	maildir_list_clear(&l);
	char *to_new = xasprintf("%s/new", to_dir);
	if (rc == 0 && (maildir_sync(to_dir) != 0 || util_fsync_dir(to_new) != 0))
		rc = -1;
	free(to_new);
	if (rc == 0) {
		static const char *const sub[] = { "cur", "new", "tmp" };
		for (size_t i = 0; i < 3; i++) {
			char *d = xasprintf("%s/%s", from_dir, sub[i]);
			rmdir(d); /* tmp may hold a file being written: then it stays */
			free(d);
		}
		rmdir(from_dir); /* fails while subfolders remain */
	}
	free(from_dir);
	free(to_dir);
	return rc;
}

/* Courier and classic Cyrus keep every folder under "INBOX.": a local
 * folder made outside it (name) moves to where prefix+name is mirrored
 * (*rel is replaced), with its UIDs dropped first as for any new folder.
 * The name to create on the server (a new string), or NULL: nothing to
 * create (the folder is already on the server, whose pass uploads the
 * files, or the move failed, which is a folder error).  Takes name. */
static char *into_namespace(sync_t *s, char **rel, char *name, char delim, const char *prefix)
{
	char *full = xasprintf("%s%s", prefix, name);
	char *to = maildir_folder_relpath(full, delim);
	char *dir = xasprintf("%s/%s", s->mail_dir, *rel);
	free(name);
	log_info("%s: the local folder %s becomes %s (the server's personal namespace is \"%s\")", s->account, *rel,
		 full, prefix);
	if (!to || sync_will_change_local(s, full) < 0) {
		xfree(&full); /* told */
	} else if (forget_uids(s, *rel, dir) < 0 || move_local_folder(s, *rel, to) != 0) {
		sync_folder_error(s, full, "%s: cannot move the local folder %s into %s: %s", full, *rel, to ? to : "?",
				  strerror(errno));
		xfree(&full);
	} else if (sync_folder_by_rel(s, to)) {
		xfree(&full);
	}
	free(dir);
	free(*rel);
	*rel = to;
	return full;
}

/* A Maildir made here (by the user or a Maildir tool) that the server
 * does not have and the sync never saw (no state file: a folder the
 * server deleted keeps its state, see folder_gone) is created on the
 * server; the folder loop then uploads its messages as new local ones.
 * Crash safety: UIDs are dropped from the file names before the CREATE
 * (after it, a listed folder without a state would adopt such files as
 * server messages and find them expunged); a crash after the CREATE
 * leaves a listed folder whose files have no UID, which are uploaded. */
void sync_create_local_folders(sync_t *s, char **rels, size_t nrels)
{
	char delim = sync_server_delim(s);
	const char *prefix = imap_namespace_prefix(s->imap);
	const char *patterns = conf_str(s->conf, s->acct, OPT_ID_sync_folders);
	bool created = false;
	for (size_t k = 0; k < nrels && !s->net_failed && !s->cancelled; k++) {
		if (!rels[k] || sync_folder_by_rel(s, rels[k]) || sync_has_state(s, rels[k]))
			continue;
		const char *why = NULL;
		char *name = sync_server_name_of(rels[k], delim, &why);
		if (name && !sync_in_namespace(name, prefix) && !(name = into_namespace(s, &rels[k], name, delim, prefix)))
			continue;
		char *raw = name ? mutf7_encode(name) : NULL;
		if (!name || !raw) {
			sync_warn(s, rels[k], "%s: the local folder %s cannot be created on the server: %s", s->account,
				  rels[k], why ? why : "its name is not valid UTF-8");
		} else if (sync_folder_selected(patterns, name)) {
			char *dir = xasprintf("%s/%s", s->mail_dir, rels[k]);
			if (forget_uids(s, rels[k], dir) < 0) {
				sync_folder_error(s, name, "%s: cannot prepare %s for the upload: %s", name, dir,
						  strerror(errno));
			} else {
				fault_point("create");
				enum imapdrv_rc r = imapdrv_create(s->imap, raw);
				if (r == IMAPDRV_OK) {
					fault_point("create");
					log_info("%s: created %s on the server (a folder made here)", s->account, name);
					created = true;
				} else {
					sync_imap_failed(s, r, name, "CREATE");
				}
			}
			free(dir);
		}
		free(raw);
		free(name);
	}
	if (created && !s->net_failed)
		sync_relist(s);
}

/* A Gmail-shaped account: LIST has a folder marked \All (All Mail), so
 * the same message sits in several folders. */
bool sync_has_all_folder(const sync_t *s)
{
	for (size_t i = 0; i < s->nfolders; i++)
		if (s->folders[i].special == IMAP_SPECIAL_ALL)
			return true;
	return false;
}

void sync_pick_trash(sync_t *s)
{
	free(s->trash_raw);
	const struct imap_folder *f =
		roles_find(s->folders, s->nfolders, IMAP_SPECIAL_TRASH, conf_str(s->conf, s->acct, OPT_ID_trash));
	s->trash_raw = f ? xstrdup(f->raw) : NULL;
}

/* ---- the server's counts during a first sync (foldercounts.h) ---- */

/* The counts of f: from LIST-STATUS when it came, else one STATUS. */
static void server_counts(sync_t *s, const struct imap_folder *f, long *messages, long *unseen)
{
	*messages = 0;
	*unseen = -1;
	if (f->has_status) {
		*messages = (long)f->st_messages;
		return;
	}
	long m = -1, u = -1;
	if (imap_status_counts(s->imap, f->raw, &m, &u) == IMAP_OK) {
		*messages = m > 0 ? m : 0;
		*unseen = u;
	}
}

/* Right after LIST: every mirrored folder that never finished a pass
 * (no state, or pending in the file of a pass cut short) is pending; while
 * any is, the file lists every mirrored folder with the server's counts,
 * so that the reader's sidebar shows them before anything is downloaded.
 * Nothing is asked or written when every folder was synced before. */
void sync_counts_begin(sync_t *s)
{
	if (!s->counts_path)
		s->counts_path = foldercounts_path(s->state_dir);
	struct foldercounts old = { 0 };
	bool had = foldercounts_load(s->counts_path, &old);
	foldercounts_clear(&s->counts);
	s->counts_changed = false;
	const char *patterns = conf_str(s->conf, s->acct, OPT_ID_sync_folders);
	bool pending = false;
	char **rels = xcalloc(s->nfolders + 1, sizeof(*rels));
	for (size_t i = 0; i < s->nfolders; i++) {
		const struct imap_folder *f = &s->folders[i];
		if ((f->flags & IMAP_FOLDER_NOSELECT) || !sync_folder_selected(patterns, f->name))
			continue;
		rels[i] = maildir_folder_relpath(f->name, f->delim);
		const struct foldercount *o = rels[i] ? foldercounts_find(&old, rels[i]) : NULL;
		pending |= rels[i] && ((o && o->pending) || !sync_has_state(s, rels[i]));
	}
	for (size_t i = 0; i < s->nfolders && pending && !s->net_failed; i++) {
		if (!rels[i])
			continue;
		const struct foldercount *o = foldercounts_find(&old, rels[i]);
		long m, u;
		server_counts(s, &s->folders[i], &m, &u);
		foldercounts_put(&s->counts, rels[i], m, u, (o && o->pending) || !sync_has_state(s, rels[i]));
	}
	for (size_t i = 0; i < s->nfolders; i++)
		free(rels[i]);
	free(rels);
	foldercounts_clear(&old);
	if (!pending && !had)
		return;
	if (foldercounts_save(s->counts_path, &s->counts) < 0)
		log_warn("%s: cannot write %s: %s", s->account, s->counts_path, strerror(errno));
	sync_emit(s, SYNC_EV_COUNTS, NULL, 0, 0, NULL);
}

/* rel's pass completed: its first sync is done (written at the end of
 * the pass, see sync_counts_end). */
void sync_counts_done(sync_t *s, const char *rel)
{
	struct foldercount *e = foldercounts_find(&s->counts, rel);
	if (!e || !e->pending)
		return;
	e->pending = false;
	s->counts_changed = true;
}

/* After the pass, the index flushed (the store's close commits it next):
 * the folders done stop showing the server's counts, and the file goes
 * once none is pending.  Not at each folder's end: the reader would then
 * count a folder in an index not committed yet, and a commit per folder
 * costs the writer (see COMMIT_FIRST_GAP_MS). */
void sync_counts_end(sync_t *s)
{
	if (!s->counts_changed)
		return;
	s->counts_changed = false;
	if (foldercounts_save(s->counts_path, &s->counts) < 0)
		log_warn("%s: cannot write %s: %s", s->account, s->counts_path, strerror(errno));
	sync_emit(s, SYNC_EV_COUNTS, NULL, 0, 0, NULL);
}
