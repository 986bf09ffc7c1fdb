/* sync_folder.c - one folder's pass, and skipping the listing of Maildirs
 * nothing touched. */
#include "sync_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"

static void ctx_clear(struct folder_ctx *c)
{
	free(c->rel);
	free(c->dir);
	free(c->store_prefix);
	free(c->state_path);
	state_free(&c->st);
	maildir_list_clear(&c->local);
	store_tagged_free(&c->tagged, c->ntagged);
	free(c->gone);
}

/* ---- skipping the listing of untouched Maildirs ---- */

/* The identity of a file or directory: inode, ctime and size; false when
 * unknown or when the ctime is not a full second old (a change within the
 * same clock tick, a few ms, would not move it).  Any file added to,
 * removed from or renamed in a directory changes the directory's ctime,
 * and no tool can set a ctime; a state file is replaced by rename, so it
 * gets a new inode. */
static bool ident(const char *path, time_t now, char *out, size_t outsz)
{
	struct stat st;
	if (stat(path, &st) < 0 || st.st_ctim.tv_sec >= now - 1)
		return false;
	snprintf(out, outsz, "%llu.%lld.%09ld.%lld", (unsigned long long)st.st_ino, (long long)st.st_ctim.tv_sec,
		 (long)st.st_ctim.tv_nsec, (long long)st.st_size);
	return true;
}

/* A folder's key: the identities of its state file and of its cur/ and
 * new/.  A pass that listed the Maildir and found it equal to the state
 * (the no-op fast path) records the key it computed before reading
 * either; a later pass that computes the same key knows that neither the
 * state nor the names in the Maildir changed since, so when the server
 * reports no change and no tag changed either (tags_unchanged), there is
 * nothing to list.  "" when any part is unknown. */
static void folder_key(const struct folder_ctx *c, char *out, size_t outsz)
{
	time_t now = time(NULL);
	char a[96], b[96], d[96];
	char *cur = xasprintf("%s/cur", c->dir), *nw = xasprintf("%s/new", c->dir);
	bool ok = ident(c->state_path, now, a, sizeof(a)) && ident(cur, now, b, sizeof(b)) &&
		  ident(nw, now, d, sizeof(d));
	free(cur);
	free(nw);
	if (ok)
		snprintf(out, outsz, "%s-%s-%s", a, b, d);
	else
		*out = '\0';
}

/* Does state_dir/dirstamps ("<key> <rel>" lines) hold this key for rel? */
static bool stamp_matches(const sync_t *s, const char *rel, const char *key)
{
	if (!s->stamps_old || !*key)
		return false;
	size_t kl = strlen(key), rl = strlen(rel);
	for (const char *p = s->stamps_old; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == kl + 1 + rl && strncmp(p, key, kl) == 0 && p[kl] == ' ' && strncmp(p + kl + 1, rel, rl) == 0)
			return true;
		p += len + (nl ? 1 : 0);
	}
	return false;
}

void sync_stamps_load(sync_t *s)
{
	xfree(&s->stamps_old);
	strbuf_free(&s->stamps_new);
	s->stamps_active = true;
	char *p = xasprintf("%s/dirstamps", s->state_dir);
	FILE *f = fopen(p, "re");
	free(p);
	if (!f)
		return;
	struct strbuf b;
	strbuf_init(&b);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && b.len < (1u << 20))
		strbuf_add(&b, buf, n);
	fclose(f);
	s->stamps_old = strbuf_detach(&b);
}

/* After a pass (the store flushed: its renames are done), a folder synced
 * in full whose Maildir names now equal its state (every file carries a
 * UID the state has, with the state's flags, and nothing else is there)
 * gets its key recorded, as the no-op fast path would record it, so that
 * the next pass need not list it either. */
void sync_record_if_consistent(sync_t *s, const char *rel)
{
	struct folder_ctx c = { 0 };
	c.dir = xasprintf("%s/%s", s->mail_dir, rel);
	c.state_path = state_path(s->state_dir, rel);
	char key[320];
	folder_key(&c, key, sizeof(key));
	bool ok = false;
	if (*key && state_load(c.state_path, &c.st) == STATE_OK && maildir_scan(c.dir, &c.local) == 0) {
		ok = c.local.n == state_count(c.st);
		for (size_t i = 0; i < c.local.n && ok; i++) {
			const struct maildir_entry *e = &c.local.v[i];
			const struct state_msg *b = e->has_uid && e->uid ? state_get(c.st, e->uid) : NULL;
			ok = b && b->flags == e->flags;
		}
	}
	if (ok)
		strbuf_addf(&s->stamps_new, "%s %s\n", key, rel);
	state_free(&c.st);
	maildir_list_clear(&c.local);
	free(c.dir);
	free(c.state_path);
}

/* Written without fsync: a lost or stale file only costs a listing
 * (a stale line cannot match, see folder_key). */
void sync_stamps_save(sync_t *s)
{
	s->stamps_active = false;
	const char *now = s->stamps_new.s ? s->stamps_new.s : "";
	if (s->stamps_old ? strcmp(s->stamps_old, now) == 0 : !*now) {
		strbuf_free(&s->stamps_new);
		return;
	}
	char *p = xasprintf("%s/dirstamps", s->state_dir), *tmp = xasprintf("%s/dirstamps.tmp", s->state_dir);
	FILE *f = fopen(tmp, "we");
	if (f) {
		bool ok = fwrite(now, 1, strlen(now), f) == strlen(now);
		if (fclose(f) == 0 && ok)
			rename(tmp, p);
		else
			unlink(tmp);
	}
	free(p);
	free(tmp);
	strbuf_free(&s->stamps_new);
}

/* sync --verify: the index against the files of this folder, both ways.
 * A file the index lacks is indexed; an index entry whose file is gone is
 * dropped (store_prune). */
static void repair_index(sync_t *s, struct folder_ctx *c)
{
	maildir_list_clear(&c->local);
	if (maildir_scan(c->dir, &c->local) < 0)
		return;
	struct store_tagged *tagged = NULL;
	size_t ntagged = 0;
	if (store_folder_tags(s->store, c->store_prefix, &tagged, &ntagged) != 0)
		return;
	for (size_t i = 0; i < c->local.n; i++) {
		char *p = sync_store_path(c, c->local.v[i].name);
		if (!ntagged || !bsearch(p, tagged, ntagged, sizeof(*tagged), sync_tagged_path_cmp)) {
			log_info("%s: %s: verify: %s was not indexed; indexing it", s->account, c->name, p);
			const struct state_msg *b = c->local.v[i].has_uid ? state_get(c->st, c->local.v[i].uid) : NULL;
			store_add(s->store, p, s->account, b ? b->keywords : NULL);
			s->stats.repaired_indexed++;
		}
		free(p);
	}
	for (size_t i = 0; i < ntagged; i++) {
		char *abs = xasprintf("%s/%s", s->mail_root, tagged[i].path);
		if (access(abs, F_OK) != 0) {
			log_info("%s: %s: verify: the index names %s, which is gone; dropping it", s->account, c->name,
				 tagged[i].path);
			s->stats.repaired_pruned++;
		}
		free(abs);
	}
	store_tagged_free(&tagged, ntagged);
	store_prune(s->store, c->store_prefix);
}

/* A pass that finds nothing to do still keeps the MAILBOXID the state
 * learned (a state from before they were kept): saved with the verify
 * time it had, since the pass ended well. */
static void keep_mailboxid(sync_t *s, struct folder_ctx *c, int64_t prev_verified)
{
	if (!c->mailboxid_new)
		return;
	state_set_verified(c->st, prev_verified);
	sync_save_state(s, c);
}

static bool allowed_deletes(sync_t *s, struct folder_ctx *c)
{
	for (size_t i = 0; i < s->n_allow; i++)
		if (strcmp(s->allow[i], c->name) == 0 || strcmp(s->allow[i], c->rel) == 0 ||
		    strcmp(s->allow[i], c->f->raw) == 0)
			return true;
	return false;
}

/* The folder's context: paths, the Maildir (created), the state (a new
 * one when unreadable), whether to verify, and whether its listing may be
 * skipped (scan_deferred). */
static int folder_open(sync_t *s, struct folder_ctx *c)
{
	const struct imap_folder *f = c->f;
	c->dir = xasprintf("%s/%s", s->mail_dir, c->rel);
	c->store_prefix = xasprintf("%s/%s", s->acct_dir, c->rel);
	c->state_path = state_path(s->state_dir, c->rel);
	c->allow_deletes = allowed_deletes(s, c);
	sync_emit(s, SYNC_EV_FOLDER, f->name, 0, 0, NULL);
	if (maildir_create(c->dir) < 0) {
		sync_folder_error(s, f->name, "%s: cannot create %s: %s", f->name, c->dir, strerror(errno));
		return -1;
	}
	size_t stale = maildir_clean_tmp(c->dir, time(NULL));
	if (stale)
		log_info("%s: %s: removed %zu unfinished files from tmp/", s->account, f->name, stale);
	folder_key(c, c->key, sizeof(c->key)); /* before reading anything: see folder_key */
	c->scan_deferred = stamp_matches(s, c->rel, c->key);
	enum state_status sst = state_load(c->state_path, &c->st);
	if (sst == STATE_ERR_IO || sst == STATE_ERR_PARSE) {
		/* The Maildir names carry the UIDs, so starting over is safe. */
		sync_warn(s, f->name, "%s: sync state %s unreadable; comparing everything again", f->name, c->state_path);
		state_free(&c->st);
		c->st = state_new();
	}
	state_set_folder(c->st, f->raw);
	if (sst != STATE_OK)
		c->scan_deferred = false;
	/* The verify pass: asked (--verify), due (sync_verify_interval), or
	 * the last pass over this folder did not finish (verified 0).  Until
	 * this pass ends well, the state says a verify is due. */
	c->prev_verified = state_verified(c->st);
	long ivl = conf_num(s->conf, -1, OPT_ID_sync_verify_interval);
	c->repair = s->verify;
	c->verify = s->verify || ivl <= 0 || c->prev_verified <= 0 || (int64_t)time(NULL) - c->prev_verified >= ivl;
	state_set_verified(c->st, 0);
	if (c->verify)
		c->scan_deferred = false;
	return 0;
}

/* Nothing changed here (the key), nor in the tags, nor on the server by
 * the STATUS that came with LIST (taken before this pass wrote anything
 * to the server): not even a SELECT.  The same test as the CONDSTORE
 * no-op in learn_changes. */
static bool status_unchanged(const sync_t *s, const struct folder_ctx *c)
{
	const struct imap_folder *f = c->f;
	return c->scan_deferred && !c->verify && f->has_status && !s->server_written && s->tags_unchanged &&
	       !store_recovered(s->store) && state_highestmodseq(c->st) && f->st_uidvalidity &&
	       f->st_uidvalidity == state_uidvalidity(c->st) && f->st_uidnext == state_uidnext(c->st) &&
	       f->st_highestmodseq == state_highestmodseq(c->st) && f->st_messages == state_count(c->st);
}

/* A state from before MAILBOXIDs were kept learns it (once: one STATUS). */
static void learn_mailboxid(sync_t *s, struct folder_ctx *c)
{
	if (!imap_has_cap(s->imap, IMAP_CAP_OBJECTID) || *state_mailboxid(c->st))
		return;
	uint32_t uv;
	char *id = NULL;
	if (imapdrv_status_ids(s->imap, c->f->raw, &uv, &id) == IMAPDRV_OK && id && uv == state_uidvalidity(c->st)) {
		state_set_mailboxid(c->st, id);
		c->mailboxid_new = true;
	}
	free(id);
}

/* Nothing to do in this folder: its key is recorded (see folder_key). */
static int unchanged(sync_t *s, struct folder_ctx *c)
{
	if (*c->key)
		strbuf_addf(&s->stamps_new, "%s %s\n", c->key, c->rel);
	keep_mailboxid(s, c, c->prev_verified);
	return 0;
}

/* The server's whole UID list when verifying: whatever the state or the
 * extension in use says, a UID missing here is fetched. */
static int learn_all_uids(sync_t *s, struct folder_ctx *c, struct remote *rm)
{
	if (c->verify && !rm->complete && !rm->alluids) {
		enum imapdrv_rc rc = sync_search_all(s, &rm->alluids, &rm->nall);
		if (rc != IMAPDRV_OK) {
			sync_imap_failed(s, rc, c->name, "UID SEARCH");
			return -1;
		}
		if (!rm->alluids)
			rm->alluids = xcalloc(1, sizeof(*rm->alluids)); /* an empty folder */
	}
	if (c->verify)
		s->stats.verified++;
	return 0;
}

/* The index's tags (the local side of the keyword merge).  Only files
 * with a UID can have a base to merge against; without any (a first
 * sync), asking would only wait for the writer to index everything
 * queued so far, stalling the fetch. */
static void load_tags(sync_t *s, struct folder_ctx *c)
{
	bool any_uid = false;
	for (size_t i = 0; i < c->local.n && !any_uid; i++)
		any_uid = c->local.v[i].has_uid && c->local.v[i].uid;
	if (any_uid && (!s->tags_unchanged || c->recovered))
		c->tags_known = store_folder_tags(s->store, c->store_prefix, &c->tagged, &c->ntagged) == 0;
}

/* Did e change here since the last sync (flags, keywords, a new file)? */
static bool changed_here(struct folder_ctx *c, const struct maildir_entry *e)
{
	const struct state_msg *b = e->has_uid && e->uid ? state_get(c->st, e->uid) : NULL;
	if (!e->has_uid || (e->uid && (!b || b->flags != e->flags)))
		return true;
	if (!b)
		return false;
	char *raw = NULL;
	char *lk = sync_local_keywords(c, e, b->keywords, b->keywords, &raw);
	/* Changed here, or the index lacks a synced keyword (lost in a
	 * crash: it is given back). */
	char *missing = sync_kw_minus(b->keywords, raw, "");
	bool changed = !sync_kw_equal(lk, b->keywords) || missing;
	free(missing);
	free(lk);
	free(raw);
	return changed;
}

/* Is the Maildir exactly what the state says (the no-op fast path)? */
static bool local_unchanged(struct folder_ctx *c)
{
	size_t nlocal_uid = 0;
	for (size_t i = 0; i < c->local.n; i++) {
		if (changed_here(c, &c->local.v[i]))
			return false;
		if (c->local.v[i].has_uid && c->local.v[i].uid)
			nlocal_uid++;
	}
	return nlocal_uid == state_count(c->st);
}

/* The invariant (doc/sync.md): UIDNEXT and HIGHESTMODSEQ move only when
 * every message the server has is durable here; then the state takes
 * what SELECT said. */
static int folder_done(sync_t *s, struct folder_ctx *c, const struct remote *rm)
{
	size_t unclaimed = sync_state_unmirrored(c, rm->alluids, rm->nall, &rm->r);
	if (unclaimed) {
		sync_folder_error(s, c->name, "%s: %zu messages on the server were not stored; run sync again", c->name,
				  unclaimed);
		sync_save_state(s, c);
		return -1;
	}
	if (c->repair)
		repair_index(s, c);
	state_set_verified(c->st, c->verify ? (int64_t)time(NULL) : c->prev_verified);
	state_set_uidvalidity(c->st, rm->uidvalidity);
	/* Our own APPENDs may have moved UIDNEXT past what SELECT said; the
	 * next pass then sees a difference and looks, which is harmless. */
	state_set_uidnext(c->st, rm->uidnext);
	state_set_highestmodseq(c->st, rm->modseq);
	if (sync_save_state(s, c) < 0)
		return -1;
	s->recheck = xreallocarray(s->recheck, s->nrecheck + 1, sizeof(*s->recheck));
	s->recheck[s->nrecheck++] = xstrdup(c->rel);
	return 0;
}

/* Merge, upload, download, and record the result. */
static int folder_apply(sync_t *s, struct folder_ctx *c, const struct remote *rm)
{
	if (sync_will_change_local(s, c->name) < 0)
		return -1;
	uint32_t *fetch = NULL;
	size_t nfetch = 0;
	int r = sync_merge_and_apply(s, c, rm, &fetch, &nfetch);
	if (r == 0)
		r = sync_save_state(s, c);
	if (r == 0)
		r = sync_append_new(s, c, rm->uidvalidity, rm->uidnext);
	if (r == 0 && nfetch && sync_fetch_new(s, c, fetch, nfetch) < 0) {
		sync_save_state(s, c); /* keep what arrived */
		r = -1;
	}
	free(fetch);
	return r == 0 ? folder_done(s, c, rm) : -1;
}

/* The folder's pass once its context is open. */
static int folder_pass(sync_t *s, struct folder_ctx *c, struct remote *rm)
{
	if (status_unchanged(s, c)) {
		log_debug("%s: %s: no change here or on the server (LIST-STATUS) since the last pass; not selected, "
			  "not listed",
			  s->account, c->name);
		learn_mailboxid(s, c);
		return unchanged(s, c);
	}
	if (!c->scan_deferred && sync_scan_local(s, c) < 0)
		return -1;
	if (sync_learn_remote(s, c, rm) < 0 || learn_all_uids(s, c, rm) < 0)
		return -1;
	/* Queued renames of the UIDVALIDITY re-map are applied before the
	 * tag query. */
	c->recovered = store_recovered(s->store);
	if (c->scan_deferred && rm->noop && s->tags_unchanged && !c->recovered) {
		log_debug("%s: %s: no change here or on the server since the last pass; not listed", s->account,
			  c->name);
		return unchanged(s, c); /* nothing changed on either side: nothing to list */
	}
	if (c->scan_deferred && sync_scan_local(s, c) < 0)
		return -1;
	load_tags(s, c);
	if (rm->noop && !c->verify && local_unchanged(c))
		return unchanged(s, c); /* the fast path of a no-op resync */
	return folder_apply(s, c, rm);
}

int sync_folder(sync_t *s, const struct imap_folder *f)
{
	struct folder_ctx c = { .f = f, .name = f->name };
	c.rel = maildir_folder_relpath(f->name, f->delim);
	if (!c.rel) {
		sync_folder_error(s, f->name, "a folder with an empty name; skipped");
		return -1;
	}
	struct remote rm = { 0 };
	int result = folder_open(s, &c);
	if (result == 0)
		result = folder_pass(s, &c, &rm);
	if (result == 0)
		sync_counts_done(s, c.rel);
	sync_remote_clear(&rm);
	ctx_clear(&c);
	s->stats.folders++;
	return result;
}

