/* sync_remote.c - what changed on the server: SELECT (QRESYNC, CONDSTORE),
 * FETCH FLAGS, SEARCH, and the UIDVALIDITY re-map. */
#include "sync_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "merge.h"

/* UID SEARCH ALL: every UID in the folder, sorted. */
enum imapdrv_rc sync_search_all(sync_t *s, uint32_t **out, size_t *n)
{
	s->stats.uid_searches++;
	return imapdrv_search_all(s->imap, out, n);
}

/* ---- UIDVALIDITY re-map ---- */

struct idsize {
	char *mid;
	uint32_t size;
	uint32_t uid;
	bool taken;
};

/* The server's Message-ID and size of every message. */
static enum imapdrv_rc fetch_ids(sync_t *s, struct idsize **out, size_t *n)
{
	struct imapdrv_batch b;
	enum imapdrv_rc rc = imapdrv_fetch(s->imap, NULL, 0, IMAPDRV_SIZE | IMAPDRV_MESSAGE_ID, 0, &b);
	*out = NULL;
	*n = 0;
	if (rc != IMAPDRV_OK)
		return rc;
	struct idsize *v = xreallocarray(NULL, b.n + 1, sizeof(*v));
	for (size_t i = 0; i < b.n; i++)
		v[i] = (struct idsize){ .uid = b.v[i].uid, .size = b.v[i].size,
					.mid = b.v[i].body ? maildir_message_id(b.v[i].body, b.v[i].len) : NULL };
	*out = v;
	*n = b.n;
	imapdrv_batch_clear(&b);
	return IMAPDRV_OK;
}

/* The server message (not taken yet) with the Message-ID and size of the
 * local file e, or NULL. */
static struct idsize *match_of(struct folder_ctx *c, const struct maildir_entry *e, struct idsize *ids, size_t nids)
{
	char *data = NULL;
	size_t len = 0;
	uint64_t size = 0;
	char *mid = NULL;
	if (maildir_read(c->dir, e->name, &data, &len) == 0) {
		mid = maildir_message_id(data, len);
		/* The server counts CRLF where the file has LF; a stub stands
		 * for the server's size, not its own. */
		uint32_t ss = sync_stub_size(data, len);
		size = ss ? ss : maildir_crlf_size(data, len);
	}
	free(data);
	struct idsize *hit = NULL;
	for (size_t k = 0; mid && k < nids && !hit; k++)
		if (!ids[k].taken && ids[k].mid && ids[k].size == size && strcmp(ids[k].mid, mid) == 0)
			hit = &ids[k];
	free(mid);
	return hit;
}

/* Give e the UID of its match (hit), or make it an orphan (",U=0"). */
static bool remap_one(sync_t *s, struct folder_ctx *c, const struct maildir_entry *e, struct idsize *hit)
{
	uint32_t uid = hit ? hit->uid : 0;
	char *nn = NULL;
	if (maildir_rename(c->dir, e->name, true, uid, e->flags, &nn) < 0) {
		sync_folder_error(s, c->name, "%s: cannot rename %s: %s", c->name, e->name, strerror(errno));
		return false;
	}
	char *op = sync_store_path(c, e->name), *np = sync_store_path(c, nn);
	store_rename(s->store, op, np, s->account, NULL);
	free(op);
	free(np);
	free(nn);
	if (hit) {
		hit->taken = true;
		state_put(c->st, uid, e->flags, NULL);
	}
	return true;
}

/* The folder's UIDVALIDITY changed: give every local message that matches
 * a server message (same Message-ID and size) the new UID, keep the rest
 * as orphans, and start the state afresh. */
static int remap_uidvalidity(sync_t *s, struct folder_ctx *c, uint32_t newv)
{
	if (c->scan_deferred && sync_scan_local(s, c) < 0)
		return -1;
	struct idsize *ids;
	size_t nids;
	enum imapdrv_rc rc = fetch_ids(s, &ids, &nids);
	if (rc != IMAPDRV_OK) {
		sync_imap_failed(s, rc, c->name, "UID FETCH (Message-ID)");
		return -1;
	}
	if (sync_will_change_local(s, c->name) < 0) {
		for (size_t k = 0; k < nids; k++)
			free(ids[k].mid);
		free(ids);
		return -1;
	}
	size_t matched = 0, orphans = 0;
	state_clear_msgs(c->st);
	for (size_t i = 0; i < c->local.n; i++) {
		struct maildir_entry *e = &c->local.v[i];
		if (!e->has_uid || e->uid == 0)
			continue; /* local new (still to upload) or an orphan already */
		struct idsize *hit = match_of(c, e, ids, nids);
		if (remap_one(s, c, e, hit) && hit)
			matched++;
		else if (!hit)
			orphans++;
	}
	for (size_t k = 0; k < nids; k++)
		free(ids[k].mid);
	free(ids);
	sync_warn(s, c->name,
		  "%s: the server renumbered this folder (UIDVALIDITY %u -> %u); %zu local messages matched, %zu "
		  "kept locally as orphans (never uploaded or deleted by sync; find them with: muttlike search "
		  "'path:%s/**' and look for ,U=0 in the file name)",
		  c->name, state_uidvalidity(c->st), newv, matched, orphans, c->store_prefix);
	state_set_uidvalidity(c->st, newv);
	state_set_uidnext(c->st, 0);
	state_set_highestmodseq(c->st, 0);
	if (sync_save_state(s, c) < 0)
		return -1;
	maildir_list_clear(&c->local);
	return maildir_scan(c->dir, &c->local);
}

/* ---- QRESYNC (RFC 7162) ---- */

/* known-uids for SELECT (QRESYNC ...): the state's UIDs as ranges, and
 * every UID above the highest of them ("1:5,9,10:4294967295").  Dovecot
 * sends FETCH and VANISHED only for UIDs in this set, so the open range is
 * what brings the messages that arrived since (and those a pass fetched
 * before a crash kept it from saving the state).  NULL (no known-uids: no
 * limit) when the state has no message or its UIDs are too scattered for
 * a short command line. */
static char *known_uids(const state_t *st)
{
	size_t n = state_count(st), ranges = 0;
	/* Only below the UIDNEXT of the last complete pass: above it, a
	 * stopped pass may have fetched some messages and not others (newest
	 * first), so everything from there on is asked for (doc/sync.md, the
	 * invariant). */
	uint32_t fence = state_uidnext(st);
	while (fence && n > 0 && state_at(st, n - 1)->uid >= fence)
		n--;
	if (n == 0)
		return NULL;
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < n; ranges++) {
		if (ranges == 256) {
			strbuf_free(&b);
			return NULL;
		}
		size_t j = i;
		while (j + 1 < n && state_at(st, j + 1)->uid == state_at(st, j)->uid + 1)
			j++;
		if (j == i)
			strbuf_addf(&b, "%s%" PRIu32, i ? "," : "", state_at(st, i)->uid);
		else
			strbuf_addf(&b, "%s%" PRIu32 ":%" PRIu32, i ? "," : "", state_at(st, i)->uid, state_at(st, j)->uid);
		i = j + 1;
	}
	uint32_t max = state_at(st, n - 1)->uid;
	if (max < UINT32_MAX)
		strbuf_addf(&b, ",%" PRIu32 ":%" PRIu32, max + 1, UINT32_MAX);
	return strbuf_detach(&b);
}

/* Every UID the server still has, from the state, VANISHED (EARLIER) and
 * the changed messages in r: (state - vanished) + r, sorted, unique.  The
 * vanished ranges (sorted by first) are never expanded (a server may send
 * 1:4294967295); each state UID is looked up in them. */
static uint32_t *qresync_uids(const state_t *st, const struct imapdrv_range *rg, size_t nr,
			      const struct imapdrv_flist *r, size_t *n)
{
	size_t ns = state_count(st), k = 0, j = 0;
	uint32_t maxlast = 0; /* the highest end among the ranges passed so far */
	uint32_t *v = xreallocarray(NULL, ns + r->n + 1, sizeof(*v));
	for (size_t i = 0; i < ns; i++) {
		uint32_t uid = state_at(st, i)->uid; /* ascending */
		while (j < nr && rg[j].first <= uid) {
			if (rg[j].last > maxlast)
				maxlast = rg[j].last;
			j++;
		}
		if (maxlast >= uid)
			continue; /* vanished */
		v[k++] = uid;
	}
	for (size_t i = 0; i < r->n; i++)
		v[k++] = r->v[i].uid;
	if (k)
		qsort(v, k, sizeof(*v), sync_u32_cmp);
	size_t w = 0;
	for (size_t i = 0; i < k; i++)
		if (!w || v[w - 1] != v[i])
			v[w++] = v[i];
	*n = w;
	return v;
}

void sync_remote_clear(struct remote *rm)
{
	imapdrv_flist_clear(&rm->r);
	xfree(&rm->alluids);
	rm->nall = 0;
}

/* In the state, or removed from the server by this pass. */
static bool claimed(const struct folder_ctx *c, uint32_t uid)
{
	return state_get(c->st, uid) || (c->ngone && bsearch(&uid, c->gone, c->ngone, sizeof(uid), sync_u32_cmp));
}

/* How many of the server's messages (alluids when asked, else those in r:
 * the state's own are on the server by the merge) the state does not hold
 * after the merge and the fetch: non-zero means a UIDNEXT or
 * HIGHESTMODSEQ saved now would claim messages that are not on disk. */
size_t sync_state_unmirrored(const struct folder_ctx *c, const uint32_t *alluids, size_t nall,
			     const struct imapdrv_flist *r)
{
	size_t missing = 0;
	for (size_t i = 0; i < nall; i++)
		if (!claimed(c, alluids[i]))
			missing++;
	if (!alluids)
		for (size_t i = 0; i < r->n; i++)
			if (!claimed(c, r->v[i].uid))
				missing++;
	if (missing)
		log_error("invariant: %zu server messages are not in the state; UIDNEXT and HIGHESTMODSEQ not advanced",
			  missing);
	return missing;
}

/* The SELECT (QRESYNC ...) answer: the changed messages, and every UID
 * but the vanished ones. */
static int learn_qresync(sync_t *s, struct folder_ctx *c, struct remote *rm, struct imapdrv_selected *sel)
{
	rm->r = sel->changed; /* taken */
	sel->changed = (struct imapdrv_flist){ 0 };
	rm->complete = false;
	s->stats.qresync_selects++;
	rm->alluids = qresync_uids(c->st, sel->vanished, sel->nvanished, &rm->r, &rm->nall);
	log_debug("%s: SELECT (QRESYNC): %zu changed, %zu of %zu known messages left, %u on the server", c->name,
		  rm->r.n, rm->nall, state_count(c->st), sel->exists);
	if (rm->nall == sel->exists)
		return 0;
	/* Not what the server counts (a VANISHED line missing or
	 * incomplete): ask for every UID. */
	xfree(&rm->alluids);
	rm->nall = 0;
	enum imapdrv_rc rc = sync_search_all(s, &rm->alluids, &rm->nall);
	if (rc != IMAPDRV_OK) {
		sync_imap_failed(s, rc, c->name, "UID SEARCH");
		return -1;
	}
	return 0;
}

/* UID FETCH (FLAGS): of what changed since the state's HIGHESTMODSEQ
 * (changed, and then every UID when the count does not add up), or of
 * every message. */
static int learn_flags(sync_t *s, struct folder_ctx *c, struct remote *rm, bool changed, uint32_t exists)
{
	enum imapdrv_rc rc;
	if (changed) {
		rc = imapdrv_fetch_flags(s->imap, state_highestmodseq(c->st), &rm->r);
		rm->complete = false;
		if (rc == IMAPDRV_OK) {
			size_t nnew = 0;
			for (size_t i = 0; i < rm->r.n; i++)
				if (!state_get(c->st, rm->r.v[i].uid))
					nnew++;
			if (state_count(c->st) + nnew != exists)
				rc = sync_search_all(s, &rm->alluids, &rm->nall);
		}
	} else {
		rc = imapdrv_fetch_flags(s->imap, 0, &rm->r);
	}
	if (rc != IMAPDRV_OK) {
		sync_imap_failed(s, rc, c->name, "UID FETCH (FLAGS)");
		return -1;
	}
	return 0;
}

/* After the SELECT of sync_learn_remote(): the plan (merge_select_plan)
 * and the commands it needs. */
static int learn_changes(sync_t *s, struct folder_ctx *c, struct remote *rm, bool condstore,
			 struct imapdrv_selected *sel)
{
	c->kw_ok = sel->keywords_ok;
	rm->uidvalidity = sel->uidvalidity;
	rm->uidnext = sel->uidnext;
	if (strcasecmp(c->f->raw, "INBOX") == 0)
		s->inbox_uidnext = sel->uidnext; /* for sync_watch: what arrived after this */
	rm->modseq = sel->highestmodseq;
	rm->complete = true;
	rm->noop = false;
	struct merge_select in = { .st_uidvalidity = state_uidvalidity(c->st),
				   .st_uidnext = state_uidnext(c->st),
				   .st_modseq = state_highestmodseq(c->st),
				   .st_count = state_count(c->st),
				   .uidvalidity = sel->uidvalidity,
				   .uidnext = sel->uidnext,
				   .exists = sel->exists,
				   .modseq = sel->highestmodseq,
				   .condstore = condstore,
				   .qresync = sel->qresync };
	struct merge_start plan = merge_select_plan(&in);
	if (plan.remap && remap_uidvalidity(s, c, rm->uidvalidity) < 0)
		return -1;
	switch (plan.learn) {
	case MERGE_LEARN_NOOP:
		rm->noop = true; /* nothing changed on the server */
		rm->complete = false;
		return 0;
	case MERGE_LEARN_EMPTY: return 0; /* nothing there: every known UID is gone */
	case MERGE_LEARN_QRESYNC: return learn_qresync(s, c, rm, sel);
	case MERGE_LEARN_CHANGEDSINCE: return learn_flags(s, c, rm, true, sel->exists);
	case MERGE_LEARN_ALL: break;
	}
	return learn_flags(s, c, rm, false, sel->exists);
}

/* SELECT, then learn what the server changed (rm). */
int sync_learn_remote(sync_t *s, struct folder_ctx *c, struct remote *rm)
{
	bool condstore = imap_condstore_enabled(s->imap) || imap_has_cap(s->imap, IMAP_CAP_CONDSTORE);
	/* QRESYNC: the SELECT itself returns VANISHED (EARLIER) and the
	 * FETCH FLAGS of what changed since the state's HIGHESTMODSEQ. */
	bool qresync = imap_qresync_enabled(s->imap) && state_uidvalidity(c->st) && state_highestmodseq(c->st);
	char *known = qresync ? known_uids(c->st) : NULL;
	struct imapdrv_qresync q = { state_uidvalidity(c->st), state_highestmodseq(c->st), known };
	struct imapdrv_selected sel;
	enum imapdrv_rc rc = imapdrv_select(s->imap, c->f->raw, condstore, qresync ? &q : NULL, &sel);
	free(known);
	if (rc != IMAPDRV_OK) {
		sync_imap_failed(s, rc, c->name, "SELECT");
		return -1;
	}
	/* RFC 8474: the folder's MAILBOXID (the SELECT's response code),
	 * which follows it through a RENAME (folder_gone). */
	if (sel.mailboxid && strcmp(state_mailboxid(c->st), sel.mailboxid) != 0) {
		state_set_mailboxid(c->st, sel.mailboxid);
		c->mailboxid_new = true;
	}
	int r = learn_changes(s, c, rm, condstore, &sel);
	imapdrv_selected_clear(&sel);
	return r;
}
