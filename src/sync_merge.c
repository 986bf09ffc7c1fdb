/* sync_merge.c - one folder's merge: collect what each side knows, decide
 * (merge_decide, merge.h), apply the plan. */
#include "sync_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fault.h"
#include "merge.h"

/* ---- applying changes ---- */

/* UID STORE groups: one command per distinct change, flags (add, rem)
 * or keywords (kw_add, kw_rem: borrowed from the merge's uidinfo). */
struct push_group {
	unsigned add, rem;
	const char *kw_add, *kw_rem;
	uint32_t *uids; /* ascending */
	size_t n, cap;
};

static bool same_kw(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static void push_add(struct push_group **g, size_t *ng, const struct push_group *key, uint32_t uid)
{
	size_t i;
	for (i = 0; i < *ng; i++)
		if ((*g)[i].add == key->add && (*g)[i].rem == key->rem && same_kw((*g)[i].kw_add, key->kw_add) &&
		    same_kw((*g)[i].kw_rem, key->kw_rem))
			break;
	if (i == *ng) {
		*g = xreallocarray(*g, *ng + 1, sizeof(**g));
		(*g)[i] = (struct push_group){ .add = key->add, .rem = key->rem, .kw_add = key->kw_add, .kw_rem = key->kw_rem };
		(*ng)++;
	}
	struct push_group *p = &(*g)[i];
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->uids = xreallocarray(p->uids, p->cap, sizeof(*p->uids));
	}
	p->uids[p->n++] = uid;
}

/* delete_policy = trash (not expunge). */
static bool policy_trash(const sync_t *s)
{
	return conf_enum(s->conf, s->acct, OPT_ID_delete_policy) == 0;
}

/* A label of a Gmail account: the server says it is Gmail (X-GM-EXT-1)
 * and has an \All folder, and f is neither INBOX nor a special-use
 * folder.  Deleting there removes the label; Gmail keeps the message in
 * All Mail and its other labels (doc/sync.md, Gmail).  An \All folder
 * alone is not enough: on Dovecot's virtual All an expunge is for good. */
static bool gmail_label(const sync_t *s, const struct imap_folder *f)
{
	return imap_has_cap(s->imap, IMAP_CAP_GMAIL) && f->special == IMAP_SPECIAL_NONE &&
	       strcasecmp(f->raw, "INBOX") != 0 && sync_has_all_folder(s);
}

/* Delete uids (sorted) on the server as the account's policy says. */
static enum imapdrv_rc remote_delete(sync_t *s, struct folder_ctx *c, const uint32_t *uids, size_t n)
{
	s->server_written = true;
	bool to_trash = policy_trash(s) && s->trash_raw && strcmp(s->trash_raw, c->f->raw) != 0 && !gmail_label(s, c->f);
	if (to_trash && imap_has_cap(s->imap, IMAP_CAP_MOVE))
		return imapdrv_move(s->imap, uids, n, s->trash_raw, NULL, NULL);
	enum imapdrv_rc rc = IMAPDRV_OK;
	if (to_trash)
		rc = imapdrv_copy(s->imap, uids, n, s->trash_raw, NULL, NULL);
	if (rc == IMAPDRV_OK)
		rc = sync_uid_store(s, uids, n, MAILDIR_F_TRASHED, true);
	/* Without UIDPLUS, EXPUNGE would also remove messages that
	 * others marked \Deleted; leave them marked instead. */
	if (rc == IMAPDRV_OK && imap_has_cap(s->imap, IMAP_CAP_UIDPLUS))
		rc = imapdrv_expunge(s->imap, uids, n);
	return rc;
}

/* Everything known about one UID. */
struct uidinfo {
	uint32_t uid;
	/* A copy, not a pointer into the state: the loop below inserts and
	 * deletes state records, which moves them. */
	const struct state_msg *base; /* NULL or &base_copy */
	struct state_msg base_copy;   /* keywords owned */
	struct maildir_entry *loc;    /* NULL: no local file */
	bool on_server;
	unsigned rflags;
	const char *rkw;
	char *mkw;        /* owned: merged keywords */
	char *kw_add;     /* owned: keywords to add on the server, or NULL */
	char *kw_rem;     /* owned: keywords to remove on the server, or NULL */
};

static int uidinfo_cmp(const void *key, const void *elem)
{
	uint32_t k = *(const uint32_t *)key, u = ((const struct uidinfo *)elem)->uid;
	return k < u ? -1 : k > u;
}

/* The keywords the state may record for x now: the merged ones once the
 * server has them, else the old base. */
static const char *kw_for_state(const struct uidinfo *x)
{
	if (x->kw_add || x->kw_rem)
		return x->base ? x->base->keywords : NULL;
	return x->mkw;
}

/* Keywords, three ways like the flags: x's merged set and what to push;
 * the index's side goes through the store writer.  True when the local
 * tags changed. */
static bool merge_keywords(sync_t *s, struct folder_ctx *c, struct uidinfo *x)
{
	const char *bkw = x->base ? x->base->keywords : NULL;
	char *lraw = NULL;
	char *lkw = sync_local_keywords(c, x->loc, bkw, x->rkw, &lraw);
	x->mkw = sync_merge_keywords(bkw, lkw, x->rkw);
	x->kw_add = sync_kw_minus(x->mkw, x->rkw, "");
	x->kw_rem = sync_kw_minus(x->rkw, x->mkw, "");
	/* Add what the index lacks (also tags a crash lost); remove only
	 * tags that took part in the merge. */
	char *ladd = sync_kw_minus(x->mkw, lraw, "+"), *lrem = sync_kw_minus(lkw, x->mkw, "-");
	free(lraw);
	bool pulled = ladd || lrem;
	if (pulled) {
		/* Before any rename: the writer finds the message by this
		 * file name. */
		char *ch = xasprintf("%s%s%s", ladd ? ladd : "", ladd && lrem ? " " : "", lrem ? lrem : "");
		char *p = sync_store_path(c, x->loc->name);
		log_debug("%s: %s uid %u: keywords base '%s' local '%s' server '%s' -> '%s'", s->account, c->name,
			  x->uid, bkw ? bkw : "", lkw ? lkw : "", x->rkw ? x->rkw : "", x->mkw ? x->mkw : "");
		store_retag(s->store, p, ch);
		free(p);
		free(ch);
	}
	free(ladd);
	free(lrem);
	free(lkw);
	return pulled;
}

/* The merged flags on the local file (through the store writer, which
 * renames it); true when they changed. */
static bool pull_flags(sync_t *s, struct folder_ctx *c, struct uidinfo *x, unsigned merged)
{
	/* A local rename by a tool that did not tell notmuch: index the new
	 * name (which drops the old one). */
	if (merged == x->loc->flags && x->base && x->base->flags != x->loc->flags) {
		char *p = sync_store_path(c, x->loc->name);
		store_add(s->store, p, s->account, x->mkw);
		free(p);
	}
	if (merged == x->loc->flags)
		return false;
	/* Flushed by the caller, before the state can say so. */
	char *p = sync_store_path(c, x->loc->name);
	store_set_flags(s->store, p, merged, s->account, x->mkw);
	free(p);
	x->loc->flags = merged;
	return true;
}

/* MERGE_FLAGS for one UID: flags and keywords three ways; the server's
 * side is queued in groups (pushed by the caller), the local side goes
 * through the store writer.  True when the local side changed. */
static bool apply_flags(sync_t *s, struct folder_ctx *c, struct uidinfo *x, const struct merge_out *o,
			struct push_group **groups, size_t *ngroups)
{
	unsigned merged = o->merged, add = o->push_add, rem = o->push_rem;
	if (add || rem || o->pull)
		log_debug("%s: %s uid %u: base %02x local %02x server %02x -> %02x", s->account, c->name, x->uid,
			  x->base ? x->base->flags : x->loc->flags, x->loc->flags, x->rflags, merged);
	if (add || rem)
		push_add(groups, ngroups, &(struct push_group){ .add = add, .rem = rem }, x->uid);
	bool kw_pulled = merge_keywords(s, c, x);
	bool flags_pulled = pull_flags(s, c, x, merged);
	if (kw_pulled || flags_pulled)
		s->stats.pulled++;
	/* The state learns the merged value only once the push is done
	 * (push_flags), so a crash retries it; until the keywords are
	 * stored, the state keeps the old keywords (a crash then merges them
	 * again, never reading a keyword added here as one the server
	 * removed). */
	if (!(add || rem))
		state_put(c->st, x->uid, merged, kw_for_state(x));
	return kw_pulled || flags_pulled;
}

/* MERGE_DELETE_LOCAL: the server expunged it. */
static void delete_local(sync_t *s, struct folder_ctx *c, const struct uidinfo *x)
{
	char *p = sync_store_path(c, x->loc->name);
	if (maildir_remove(c->dir, x->loc->name) == 0) {
		store_remove(s->store, p);
		s->stats.deleted++;
		state_del(c->st, x->uid);
		fault_point("delete");
	}
	free(p);
}

/* One folder's merge, from what each side knows to the pushes. */
struct merge_run {
	uint32_t *uids;          /* every UID any side knows, ascending */
	size_t n;
	struct uidinfo *info;    /* info[i] about uids[i] */
	struct merge_out *plan;  /* plan[i] for uids[i] */
	struct merge_summary sum;
	struct push_group *groups; /* flag changes for the server */
	size_t ngroups;
	uint32_t *rdel;          /* to delete on the server, ascending */
	size_t nrdel;
};

/* Every UID any side knows: the state, the files, the server's answer,
 * and every UID the server has (alluids), also those neither the state
 * nor a file knows (a gap an interrupted pass left below messages it did
 * fetch): those are fetched, whatever told us of them. */
static void collect_uids(struct folder_ctx *c, const struct remote *rm, struct merge_run *mr)
{
	size_t ns = state_count(c->st);
	uint32_t *u = xreallocarray(NULL, ns + c->local.n + rm->r.n + rm->nall + 1, sizeof(*u));
	size_t nu = 0;
	for (size_t i = 0; i < ns; i++)
		u[nu++] = state_at(c->st, i)->uid;
	for (size_t i = 0; i < c->local.n; i++)
		if (c->local.v[i].has_uid && c->local.v[i].uid)
			u[nu++] = c->local.v[i].uid;
	for (size_t i = 0; i < rm->r.n; i++)
		u[nu++] = rm->r.v[i].uid;
	for (size_t i = 0; i < rm->nall; i++)
		u[nu++] = rm->alluids[i];
	qsort(u, nu, sizeof(*u), sync_u32_cmp);
	size_t w = 0;
	for (size_t i = 0; i < nu; i++)
		if (!w || u[w - 1] != u[i])
			u[w++] = u[i];
	mr->uids = u;
	mr->n = w;
}

/* The server's side of x: in its answer, or (when the answer has only
 * what changed) unchanged since the last sync if it still exists. */
static void server_side(const struct remote *rm, struct uidinfo *x)
{
	struct imapdrv_flags *rf = imapdrv_flist_find(&rm->r, x->uid);
	if (rf) {
		x->on_server = true;
		x->rflags = rf->flags;
		x->rkw = rf->kw;
		return;
	}
	if (rm->complete) {
		x->on_server = false;
		return;
	}
	bool exists = x->base != NULL;
	if (rm->alluids)
		exists = bsearch(&x->uid, rm->alluids, rm->nall, sizeof(*rm->alluids), sync_u32_cmp) != NULL;
	else if (!x->base && x->loc)
		exists = true; /* unknown here: never read as expunged (see learn_changes) */
	x->on_server = exists;
	if (exists && x->base) {
		x->rflags = x->base->flags;
		x->rkw = x->base->keywords;
	} else if (exists && x->loc) {
		x->rflags = x->loc->flags; /* adopted: its name is its base */
		x->rkw = NULL;
	}
}

/* What the state, the file and the server say about uid. */
static void collect_one(sync_t *s, struct folder_ctx *c, const struct remote *rm, uint32_t uid,
			struct uidinfo *x, struct merge_in *in)
{
	*x = (struct uidinfo){ .uid = uid };
	const struct state_msg *b = state_get(c->st, uid);
	if (b) {
		x->base_copy = *b;
		x->base_copy.keywords = b->keywords ? xstrdup(b->keywords) : NULL;
		x->base = &x->base_copy;
	}
	x->loc = maildir_list_find(&c->local, uid);
	server_side(rm, x);
	*in = (struct merge_in){ .uid = uid,
				 .has_base = x->base != NULL,
				 .has_local = x->loc != NULL,
				 .on_server = x->on_server,
				 .base_flags = x->base ? x->base->flags : 0,
				 .local_flags = x->loc ? x->loc->flags : 0,
				 .server_flags = x->rflags,
				 .held = s->nheld && sync_held(s, c->rel, uid),
				 .repair = c->repair };
}

/* Keep what the guard stopped, for the reader to ask about (sync_guards). */
static void guard_report(sync_t *s, const char *folder, size_t deleted, size_t total, bool local)
{
	s->guards = xreallocarray(s->guards, s->nguards + 1, sizeof(*s->guards));
	s->guards[s->nguards++] = (struct sync_guard){ .folder = xstrdup(folder), .deleted = deleted,
						       .total = total, .local = local };
}

/* The plan (merge_decide), and the guard's stops told to the user. */
static void decide(sync_t *s, struct folder_ctx *c, const struct remote *rm, struct merge_run *mr)
{
	size_t nbase = state_count(c->st);
	struct merge_in *in = xreallocarray(NULL, mr->n + 1, sizeof(*in));
	mr->info = xreallocarray(NULL, mr->n + 1, sizeof(*mr->info));
	for (size_t i = 0; i < mr->n; i++)
		collect_one(s, c, rm, mr->uids[i], &mr->info[i], &in[i]);
	mr->plan = xreallocarray(NULL, mr->n + 1, sizeof(*mr->plan));
	merge_decide(in, mr->n, nbase, conf_num(s->conf, -1, OPT_ID_sync_delete_guard), c->allow_deletes, mr->plan,
		     &mr->sum);
	free(in);
	const struct merge_summary *sum = &mr->sum;
	if (sum->guard_local) {
		sync_folder_error(s, c->name,
				  "%s: the server no longer has %zu of the %zu local messages; not deleting them "
				  "locally. If that is right, run: muttlike sync %s --allow-deletes '%s'",
				  c->name, sum->ndel_local, sum->nlocal, s->account, c->name);
		guard_report(s, c->name, sum->ndel_local, sum->nlocal, false);
	}
	if (sum->guard_remote) {
		sync_folder_error(s, c->name,
				  "%s: %zu of %zu messages were deleted locally; not deleting them on the server. If "
				  "that is right, run: muttlike sync %s --allow-deletes '%s'",
				  c->name, sum->ndel_remote, nbase, s->account, c->name);
		guard_report(s, c->name, sum->ndel_remote, nbase, true);
	}
}

/* --verify: the state says mirrored, the file is gone: damage, not a
 * deletion; the base goes and the message is fetched again. */
static void refetch(sync_t *s, struct folder_ctx *c, const struct uidinfo *x)
{
	log_info("%s: %s: verify: uid %u is on the server and in the state but has no file; fetching it again",
		 s->account, c->name, x->uid);
	state_del(c->st, x->uid);
	s->stats.repaired_fetched++;
}

/* The local side of the plan; the server's is queued in mr. */
static void apply_local(sync_t *s, struct folder_ctx *c, struct merge_run *mr, uint32_t *fetch, size_t *nfetch)
{
	size_t npulled = 0;
	for (size_t i = 0; i < mr->n; i++) {
		struct uidinfo *x = &mr->info[i];
		switch (mr->plan[i].action) {
		case MERGE_FLAGS: npulled += apply_flags(s, c, x, &mr->plan[i], &mr->groups, &mr->ngroups); break;
		case MERGE_DELETE_LOCAL: delete_local(s, c, x); break;
		case MERGE_DELETE_REMOTE: mr->rdel[mr->nrdel++] = x->uid; break;
		case MERGE_FORGET: state_del(c->st, x->uid); break;
		case MERGE_FETCH:
			if (mr->plan[i].refetch)
				refetch(s, c, x);
			fetch[(*nfetch)++] = x->uid;
			break;
		case MERGE_HELD: break;
		}
	}
	/* The new flags must be on disk before any state records them: a
	 * crash in between would otherwise look like a local change and undo
	 * the server's. */
	if (npulled && store_flush(s->store))
		sync_folder_error(s, c->name, "%s: could not apply some flag changes locally (see the log)", c->name);
	/* Files deleted here by hand leave stale names in the index. */
	if (mr->sum.ndel_remote)
		store_prune(s->store, c->store_prefix);
}

/* The UID STOREs of group g (one for what is added, one for what is
 * removed) sent into p: the number of commands sent, or -1.  A group
 * whose keywords cannot be written as atoms is stored with imapdrv_store,
 * once nothing is in flight before it: 0 commands in p, its result in
 * *sync_rc (left alone when it has to wait: *waits). */
static int send_group(sync_t *s, struct folder_ctx *c, imapdrv_pipe_t *p, const struct push_group *g,
		      enum imapdrv_rc *sync_rc, bool *waits)
{
	*waits = false;
	s->server_written = true;
	bool pipe_ok = (!(g->add || g->kw_add) || imapdrv_pipe_can_store(g->add, g->kw_add)) &&
		       (!(g->rem || g->kw_rem) || imapdrv_pipe_can_store(g->rem, g->kw_rem));
	if (!pipe_ok) {
		*waits = imapdrv_pipe_inflight(p) > 0;
		if (*waits)
			return 0;
		*sync_rc = IMAPDRV_OK;
		if (g->add || g->kw_add)
			*sync_rc = imapdrv_store(s->imap, g->uids, g->n, true, g->add, g->kw_add);
		if (*sync_rc == IMAPDRV_OK && (g->rem || g->kw_rem))
			*sync_rc = imapdrv_store(s->imap, g->uids, g->n, false, g->rem, g->kw_rem);
		return 0;
	}
	int sent = 0;
	enum imapdrv_rc rc = IMAPDRV_OK;
	if ((g->add || g->kw_add) && (rc = imapdrv_pipe_store(p, g->uids, g->n, true, g->add, g->kw_add)) == IMAPDRV_OK)
		sent++;
	if (rc == IMAPDRV_OK && (g->rem || g->kw_rem) &&
	    (rc = imapdrv_pipe_store(p, g->uids, g->n, false, g->rem, g->kw_rem)) == IMAPDRV_OK)
		sent++;
	if (rc != IMAPDRV_OK) {
		sync_imap_failed(s, rc, c->name, "UID STORE");
		return -1;
	}
	return sent;
}

/* The server has group p's flags: the state learns the merged flags of
 * each of its messages (and keeps the old keywords until those are
 * stored too). */
static void pushed_flags(sync_t *s, struct folder_ctx *c, struct merge_run *mr, const struct push_group *p)
{
	for (size_t k = 0; k < p->n; k++) {
		struct maildir_entry *e = maildir_list_find(&c->local, p->uids[k]);
		const struct uidinfo *x = bsearch(&p->uids[k], mr->info, mr->n, sizeof(*mr->info), uidinfo_cmp);
		char *kwcopy = x && kw_for_state(x) ? xstrdup(kw_for_state(x)) : NULL;
		if (e)
			state_put(c->st, p->uids[k], e->flags, kwcopy);
		free(kwcopy);
	}
	s->stats.pushed += p->n;
}

/* The server has group p's keywords: the state learns the merged ones. */
static void pushed_keywords(sync_t *s, struct folder_ctx *c, struct merge_run *mr, const struct push_group *p)
{
	for (size_t k = 0; k < p->n; k++) {
		const struct uidinfo *x = bsearch(&p->uids[k], mr->info, mr->n, sizeof(*mr->info), uidinfo_cmp);
		if (!x)
			continue;
		const struct state_msg *b = state_get(c->st, x->uid);
		unsigned fl = b ? b->flags : x->loc ? x->loc->flags : 0;
		state_put(c->st, x->uid, fl, x->mkw);
	}
	s->stats.pushed += p->n;
}

typedef void (*pushed_fn)(sync_t *s, struct folder_ctx *c, struct merge_run *mr, const struct push_group *p);

/* UID STORE of groups g[0..ng), one command per group and direction,
 * pipelined (imapdrv_pipe: up to IMAPDRV_PIPE_MAX in flight, a slow link
 * costs a round trip per window); done(group) once the server has
 * answered OK to that group's commands, in order, so the state learns
 * only what the server has. */
static int push_groups(sync_t *s, struct folder_ctx *c, struct merge_run *mr, struct push_group *g, size_t ng,
		       pushed_fn done)
{
	if (!ng)
		return 0;
	imapdrv_pipe_t *p = imapdrv_pipe_new(s->imap);
	int *ncmd = xcalloc(ng, sizeof(*ncmd));             /* commands in p per group */
	enum imapdrv_rc *grc = xcalloc(ng, sizeof(*grc)); /* the result of a group not in p */
	size_t sent = 0;
	int r = 0;
	for (size_t i = 0; i < ng && r == 0; i++) {
		bool waits = false;
		while (r == 0 && !waits && sent < ng && (sent == i || imapdrv_pipe_inflight(p) + 2 <= IMAPDRV_PIPE_MAX)) {
			ncmd[sent] = send_group(s, c, p, &g[sent], &grc[sent], &waits);
			r = ncmd[sent] < 0 ? -1 : 0;
			sent += !waits;
		}
		enum imapdrv_rc rc = grc[i];
		for (int k = 0; r == 0 && k < ncmd[i]; k++) {
			enum imapdrv_rc one = imapdrv_pipe_next(p, NULL, NULL);
			rc = rc == IMAPDRV_OK ? one : rc;
		}
		if (r == 0 && rc != IMAPDRV_OK) {
			sync_imap_failed(s, rc, c->name, "UID STORE");
			r = -1;
		}
		if (r == 0) {
			fault_point("push");
			done(s, c, mr, &g[i]);
		}
	}
	imapdrv_pipe_free(&p);
	free(ncmd);
	free(grc);
	return r;
}

/* Keywords: one UID STORE per distinct change (the same keywords added
 * and removed), after the flags. */
static int push_keywords(sync_t *s, struct folder_ctx *c, struct merge_run *mr)
{
	struct push_group *g = NULL;
	size_t ng = 0;
	for (size_t i = 0; i < mr->n; i++) {
		struct uidinfo *x = &mr->info[i];
		if (x->kw_add || x->kw_rem)
			push_add(&g, &ng, &(struct push_group){ .kw_add = x->kw_add, .kw_rem = x->kw_rem }, x->uid);
	}
	int r = push_groups(s, c, mr, g, ng, pushed_keywords);
	for (size_t i = 0; i < ng; i++)
		free(g[i].uids);
	free(g);
	return r;
}

/* The deletions made here, on the server (delete_policy). */
static int push_deletes(sync_t *s, struct folder_ctx *c, struct merge_run *mr)
{
	if (!mr->nrdel)
		return 0;
	if (policy_trash(s) && !s->trash_raw && !gmail_label(s, c->f)) {
		/* delete_policy = trash and nothing to move to: an expunge
		 * here would take the only server copy.  Keep them (the state
		 * keeps their UIDs, so every pass says so again). */
		sync_folder_error(s, c->name,
				  "%s: no Trash folder on the server (none marked \\Trash, none named Trash); not "
				  "deleting %zu messages there: set trash = \"<folder>\" or delete_policy = expunge",
				  c->name, mr->nrdel);
		return 0;
	}
	enum imapdrv_rc rc = remote_delete(s, c, mr->rdel, mr->nrdel);
	if (rc != IMAPDRV_OK) {
		sync_imap_failed(s, rc, c->name, "deleting on the server");
		return -1;
	}
	fault_point("delete");
	for (size_t k = 0; k < mr->nrdel; k++)
		state_del(c->st, mr->rdel[k]);
	c->gone = xreallocarray(c->gone, mr->nrdel + 1, sizeof(*c->gone));
	memcpy(c->gone, mr->rdel, mr->nrdel * sizeof(*mr->rdel)); /* ascending, like uids */
	c->ngone = mr->nrdel;
	s->stats.pushed += mr->nrdel;
	return 0;
}

static void merge_run_clear(struct merge_run *mr)
{
	for (size_t g = 0; g < mr->ngroups; g++)
		free(mr->groups[g].uids);
	free(mr->groups);
	free(mr->rdel);
	for (size_t i = 0; i < mr->n; i++) {
		free(mr->info[i].base_copy.keywords);
		free(mr->info[i].mkw);
		free(mr->info[i].kw_add);
		free(mr->info[i].kw_rem);
	}
	free(mr->info);
	free(mr->plan);
	free(mr->uids);
}

/* The merge: collect, decide (merge_decide), apply everything but the
 * downloads, which *fetch lists (ascending). */
int sync_merge_and_apply(sync_t *s, struct folder_ctx *c, const struct remote *rm, uint32_t **fetch,
			 size_t *nfetch)
{
	struct merge_run mr = { 0 };
	collect_uids(c, rm, &mr);
	decide(s, c, rm, &mr);
	*fetch = xreallocarray(NULL, mr.n + 1, sizeof(**fetch));
	*nfetch = 0;
	mr.rdel = xreallocarray(NULL, mr.n + 1, sizeof(*mr.rdel));
	apply_local(s, c, &mr, *fetch, nfetch);
	int result = push_groups(s, c, &mr, mr.groups, mr.ngroups, pushed_flags);
	if (result == 0)
		result = push_keywords(s, c, &mr);
	if (result == 0)
		result = push_deletes(s, c, &mr);
	merge_run_clear(&mr);
	return result;
}

