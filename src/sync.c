/* sync.c - the per-account sync engine (see sync.h for the algorithm). */
#include "sync.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "fault.h"
#include "imap.h"
#include "journal.h"
#include "log.h"
#include "maildir.h"
#include "net.h"
#include "state.h"
#include "util.h"

/* Messages per UID FETCH of bodies, and the byte budget of one batch:
 * libetpan keeps a whole response in memory, so batches are bounded. */
#define FETCH_BATCH 64
#define FETCH_BATCH_BYTES (4u << 20)
/* Save the state of a long first fetch this often (messages). */
#define STATE_SAVE_EVERY 1000

struct sync {
	const conf_t *conf;   /* foreign */
	long acct;
	char *account;        /* owned: the account name */
	char *acct_dir;       /* owned: safe component for paths */
	char *mail_root;      /* owned: data_dir/mail */
	char *mail_dir;       /* owned: mail_root/acct_dir */
	char *state_dir;      /* owned: data_dir/state/acct_dir */
	struct store *store;  /* foreign */
	char **allow;         /* owned copies */
	size_t n_allow;
	sync_event_fn event;
	void *event_ud;
	imap_t *imap;         /* owned */
	struct imap_folder *folders; /* owned */
	size_t nfolders;
	char *trash_raw;      /* owned or NULL */
	struct sync_stats stats;
	char *error;          /* owned */
	bool cancelled;
	bool net_failed;      /* the connection broke: stop the pass */
	uint64_t pass_bytes;
	long long pass_start_ms;
};

/* A message as the server has it. */
struct rmsg {
	uint32_t uid;
	unsigned flags;
	char *kw; /* owned, sorted space-separated keywords or NULL */
};

struct rlist {
	struct rmsg *v;
	size_t n, cap;
};

static void rlist_clear(struct rlist *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].kw);
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

static void rlist_push(struct rlist *r, uint32_t uid, unsigned flags, char *kw)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		r->v = xreallocarray(r->v, r->cap, sizeof(*r->v));
	}
	r->v[r->n++] = (struct rmsg){ uid, flags, kw };
}

static int rmsg_cmp(const void *a, const void *b)
{
	const struct rmsg *x = a, *y = b;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* Sort and drop duplicate UIDs (a server may answer twice for one UID;
 * the last answer wins). */
static void rlist_sort(struct rlist *r)
{
	if (r->n < 2)
		return;
	qsort(r->v, r->n, sizeof(*r->v), rmsg_cmp);
	size_t w = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (w && r->v[w - 1].uid == r->v[i].uid) {
			free(r->v[w - 1].kw);
			r->v[w - 1] = r->v[i];
		} else {
			r->v[w++] = r->v[i];
		}
	}
	r->n = w;
}

static struct rmsg *rlist_find(struct rlist *r, uint32_t uid)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->v[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->n && r->v[lo].uid == uid ? &r->v[lo] : NULL;
}

/* ---- small pure helpers (unit-tested) ---- */

unsigned sync_merge_flags(unsigned base, unsigned local, unsigned remote)
{
	/* For each bit: local if it changed, else remote.  If both changed,
	 * both now hold the same value, so either answer is the same. */
	unsigned lchanged = base ^ local;
	return (local & lchanged) | (remote & ~lchanged);
}

bool sync_guard_trips(size_t ndel, size_t nlocal, long percent)
{
	if (ndel < 20)
		return false;
	return ndel * 100 > (size_t)percent * nlocal;
}

bool sync_folder_selected(const char *patterns, const char *name)
{
	if (!patterns || !*patterns)
		patterns = "*";
	bool in = false;
	char *copy = xstrdup(patterns);
	for (char *save = NULL, *p = strtok_r(copy, " \t", &save); p; p = strtok_r(NULL, " \t", &save)) {
		bool neg = *p == '!';
		if (fnmatch(neg ? p + 1 : p, name, 0) == 0) {
			if (neg) {
				in = false;
				break;
			}
			in = true;
		}
	}
	free(copy);
	return in;
}

/* ---- events and errors ---- */

static void emit(struct sync *s, enum sync_event_kind k, const char *folder, size_t done, size_t total,
		 const char *msg)
{
	if (!s->event)
		return;
	struct sync_event ev = { .kind = k, .account = s->account, .folder = folder, .done = done,
				 .total = total, .bytes = s->pass_bytes, .message = msg };
	s->event(&ev, s->event_ud);
}

static void folder_error(struct sync *s, const char *folder, const char *fmt, ...) ML_PRINTF(3, 4);
static void folder_error(struct sync *s, const char *folder, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	log_error("%s: %s", s->account, m);
	s->stats.folder_errors++;
	emit(s, SYNC_EV_ERROR, folder, 0, 0, m);
	free(m);
}

static void warn(struct sync *s, const char *folder, const char *fmt, ...) ML_PRINTF(3, 4);
static void warn(struct sync *s, const char *folder, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	log_warn("%s: %s", s->account, m);
	emit(s, SYNC_EV_WARNING, folder, 0, 0, m);
	free(m);
}

static void set_error(struct sync *s, const char *fmt, ...) ML_PRINTF(2, 3);
static void set_error(struct sync *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(s->error);
	s->error = xvasprintf(fmt, ap);
	va_end(ap);
}

/* A libetpan error on the selected session.  Stream-level errors mean the
 * connection is gone and end the pass; a NO/BAD only fails the folder. */
static bool is_fatal(int r)
{
	return r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE || r == MAILIMAP_ERROR_CONNECTION_REFUSED ||
	       r == MAILIMAP_ERROR_MEMORY || r == MAILIMAP_ERROR_FATAL;
}

static const char *server_text(mailimap *mi)
{
	if (mi && mi->imap_response && *mi->imap_response)
		return mi->imap_response;
	return "no reason given";
}

static void imap_failed(struct sync *s, int r, const char *folder, const char *what)
{
	mailimap *mi = imap_mailimap(s->imap);
	if (s->cancelled) {
		set_error(s, "cancelled");
		s->net_failed = true;
		return;
	}
	if (is_fatal(r)) {
		const char *why = imap_error(s->imap);
		set_error(s, "%s: connection lost during %s%s%s", s->account, what, why && *why ? ": " : "",
			  why ? why : "");
		s->net_failed = true;
		return;
	}
	folder_error(s, folder, "%s: %s failed: %s", folder ? folder : "", what, server_text(mi));
}

/* ---- flags ---- */

/* The IMAP flag list of a fetch as MAILDIR_F_* bits and keywords. */
static unsigned parse_flags(clist *list, char **kw)
{
	unsigned f = 0;
	struct strbuf k;
	strbuf_init(&k);
	size_t nkw = 0;
	char *words[256];
	for (clistiter *it = list ? clist_begin(list) : NULL; it; it = clist_next(it)) {
		struct mailimap_flag_fetch *ff = clist_content(it);
		if (ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER || !ff->fl_flag)
			continue;
		struct mailimap_flag *fl = ff->fl_flag;
		switch (fl->fl_type) {
		case MAILIMAP_FLAG_ANSWERED: f |= MAILDIR_F_REPLIED; break;
		case MAILIMAP_FLAG_FLAGGED: f |= MAILDIR_F_FLAGGED; break;
		case MAILIMAP_FLAG_DELETED: f |= MAILDIR_F_TRASHED; break;
		case MAILIMAP_FLAG_SEEN: f |= MAILDIR_F_SEEN; break;
		case MAILIMAP_FLAG_DRAFT: f |= MAILDIR_F_DRAFT; break;
		case MAILIMAP_FLAG_KEYWORD:
			if (!fl->fl_data.fl_keyword)
				break;
			if (strcasecmp(fl->fl_data.fl_keyword, "$Forwarded") == 0)
				f |= MAILDIR_F_PASSED;
			else if (nkw < ARRAY_SIZE(words))
				words[nkw++] = fl->fl_data.fl_keyword;
			break;
		default: break;
		}
	}
	/* Sorted, so that equal sets compare equal as strings. */
	for (size_t i = 1; i < nkw; i++)
		for (size_t j = i; j > 0 && strcmp(words[j - 1], words[j]) > 0; j--) {
			char *t = words[j];
			words[j] = words[j - 1];
			words[j - 1] = t;
		}
	for (size_t i = 0; i < nkw; i++) {
		/* Keywords are atoms; anything else would break the state file. */
		bool ok = *words[i] != '\0';
		for (const char *p = words[i]; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f)
				ok = false;
		if (!ok || (i && strcmp(words[i], words[i - 1]) == 0))
			continue;
		if (k.len)
			strbuf_addc(&k, ' ');
		strbuf_adds(&k, words[i]);
	}
	*kw = k.len ? strbuf_detach(&k) : NULL;
	strbuf_free(&k);
	return f;
}

static struct mailimap_flag_list *flag_list_of(unsigned flags)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	if (flags & MAILDIR_F_REPLIED)
		mailimap_flag_list_add(fl, mailimap_flag_new_answered());
	if (flags & MAILDIR_F_FLAGGED)
		mailimap_flag_list_add(fl, mailimap_flag_new_flagged());
	if (flags & MAILDIR_F_TRASHED)
		mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
	if (flags & MAILDIR_F_SEEN)
		mailimap_flag_list_add(fl, mailimap_flag_new_seen());
	if (flags & MAILDIR_F_DRAFT)
		mailimap_flag_list_add(fl, mailimap_flag_new_draft());
	if (flags & MAILDIR_F_PASSED)
		mailimap_flag_list_add(fl, mailimap_flag_new_flag_keyword(xstrdup("$Forwarded")));
	return fl;
}

/* ---- one fetched message ---- */

struct fetched {
	uint32_t uid;
	unsigned flags;
	bool has_flags;
	char *kw;          /* owned */
	const char *body;  /* foreign (libetpan's) */
	size_t len;
	time_t idate;
};

static time_t imap_date_to_time(const struct mailimap_date_time *d)
{
	struct tm tm = { 0 };
	tm.tm_year = d->dt_year - 1900;
	tm.tm_mon = d->dt_month - 1;
	tm.tm_mday = d->dt_day;
	tm.tm_hour = d->dt_hour;
	tm.tm_min = d->dt_min;
	tm.tm_sec = d->dt_sec;
	time_t t = timegm(&tm);
	int z = d->dt_zone; /* +HHMM as a number */
	int off = (z / 100) * 3600 + (z % 100) * 60;
	return t - off;
}

static void parse_msg_att(struct mailimap_msg_att *att, struct fetched *out)
{
	memset(out, 0, sizeof(*out));
	for (clistiter *it = clist_begin(att->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
			free(out->kw);
			out->flags = parse_flags(item->att_data.att_dyn->att_list, &out->kw);
			out->has_flags = true;
		} else if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC) {
			struct mailimap_msg_att_static *st = item->att_data.att_static;
			switch (st->att_type) {
			case MAILIMAP_MSG_ATT_UID: out->uid = st->att_data.att_uid; break;
			case MAILIMAP_MSG_ATT_INTERNALDATE:
				if (st->att_data.att_internal_date)
					out->idate = imap_date_to_time(st->att_data.att_internal_date);
				break;
			case MAILIMAP_MSG_ATT_BODY_SECTION:
				if (st->att_data.att_body_section && st->att_data.att_body_section->sec_body_part) {
					out->body = st->att_data.att_body_section->sec_body_part;
					out->len = st->att_data.att_body_section->sec_length;
				}
				break;
			default: break;
			}
		}
	}
}

/* ---- one folder ---- */

struct folder_ctx {
	const struct imap_folder *f;
	const char *name;     /* UTF-8, for messages */
	char *rel;            /* owned: relpath inside the account */
	char *dir;            /* owned: absolute Maildir */
	char *store_prefix;   /* owned: acct_dir/rel, for store paths */
	char *state_path;     /* owned */
	struct state *st;     /* owned */
	struct maildir_list local;
	bool allow_deletes;
};

static void ctx_clear(struct folder_ctx *c)
{
	free(c->rel);
	free(c->dir);
	free(c->store_prefix);
	free(c->state_path);
	state_free(&c->st);
	maildir_list_clear(&c->local);
}

static char *store_path(struct folder_ctx *c, const char *name)
{
	return xasprintf("%s/%s", c->store_prefix, name);
}

static bool allowed_deletes(struct sync *s, struct folder_ctx *c)
{
	for (size_t i = 0; i < s->n_allow; i++)
		if (strcmp(s->allow[i], c->name) == 0 || strcmp(s->allow[i], c->rel) == 0 ||
		    strcmp(s->allow[i], c->f->raw) == 0)
			return true;
	return false;
}

static int save_state(struct sync *s, struct folder_ctx *c)
{
	fault_point("state");
	if (state_save(c->st, c->state_path) < 0) {
		folder_error(s, c->name, "%s: cannot save the sync state %s: %s", c->name, c->state_path,
			     strerror(errno));
		return -1;
	}
	return 0;
}

/* Build a UID set from a sorted array, merging runs into ranges. */
static struct mailimap_set *uid_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (j == i)
			mailimap_set_add_single(set, uids[i]);
		else
			mailimap_set_add_interval(set, uids[i], uids[j]);
		i = j + 1;
	}
	return set;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* UID FETCH set (UID FLAGS), optionally CHANGEDSINCE, into r. */
static int fetch_flags(struct sync *s, struct mailimap_set *set, uint64_t changedsince, struct rlist *r)
{
	mailimap *mi = imap_mailimap(s->imap);
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_flags());
	clist *res = NULL;
	int rc = changedsince ? mailimap_uid_fetch_changedsince(mi, set, ft, changedsince, &res)
			      : mailimap_uid_fetch(mi, set, ft, &res);
	mailimap_fetch_type_free(ft);
	if (rc != MAILIMAP_NO_ERROR)
		return rc;
	for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
		struct fetched fm;
		parse_msg_att(clist_content(it), &fm);
		if (fm.uid && fm.has_flags)
			rlist_push(r, fm.uid, fm.flags, fm.kw);
		else
			free(fm.kw);
	}
	mailimap_fetch_list_free(res);
	rlist_sort(r);
	return MAILIMAP_NO_ERROR;
}

/* UID SEARCH ALL: every UID in the folder, sorted. */
static int search_all(struct sync *s, uint32_t **out, size_t *n)
{
	mailimap *mi = imap_mailimap(s->imap);
	struct mailimap_search_key *key = mailimap_search_key_new_all();
	clist *res = NULL;
	int rc = mailimap_uid_search(mi, NULL, key, &res);
	mailimap_search_key_free(key);
	*out = NULL;
	*n = 0;
	if (rc != MAILIMAP_NO_ERROR)
		return rc;
	uint32_t *v = xreallocarray(NULL, (size_t)clist_count(res) + 1, sizeof(*v));
	size_t k = 0;
	for (clistiter *it = clist_begin(res); it; it = clist_next(it))
		v[k++] = *(uint32_t *)clist_content(it);
	mailimap_search_result_free(res);
	qsort(v, k, sizeof(*v), u32_cmp);
	*out = v;
	*n = k;
	return MAILIMAP_NO_ERROR;
}

/* ---- UIDVALIDITY re-map ---- */

struct idsize {
	char *mid;
	uint32_t size;
	uint32_t uid;
	bool taken;
};

/* The server's Message-ID and size of every message. */
static int fetch_ids(struct sync *s, struct idsize **out, size_t *n)
{
	mailimap *mi = imap_mailimap(s->imap);
	clist *hdrs = clist_new();
	clist_append(hdrs, xstrdup("MESSAGE-ID"));
	struct mailimap_section *sec = mailimap_section_new_header_fields(mailimap_header_list_new(hdrs));
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_body_peek_section(sec));
	struct mailimap_set *set = mailimap_set_new_interval(1, 0);
	clist *res = NULL;
	int rc = mailimap_uid_fetch(mi, set, ft, &res);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	*out = NULL;
	*n = 0;
	if (rc != MAILIMAP_NO_ERROR)
		return rc;
	struct idsize *v = xreallocarray(NULL, (size_t)clist_count(res) + 1, sizeof(*v));
	size_t k = 0;
	for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
		struct mailimap_msg_att *att = clist_content(it);
		struct idsize e = { 0 };
		for (clistiter *j = clist_begin(att->att_list); j; j = clist_next(j)) {
			struct mailimap_msg_att_item *item = clist_content(j);
			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			struct mailimap_msg_att_static *st = item->att_data.att_static;
			if (st->att_type == MAILIMAP_MSG_ATT_UID)
				e.uid = st->att_data.att_uid;
			else if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE)
				e.size = st->att_data.att_rfc822_size;
			else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION && st->att_data.att_body_section &&
				 st->att_data.att_body_section->sec_body_part)
				e.mid = maildir_message_id(st->att_data.att_body_section->sec_body_part,
							   st->att_data.att_body_section->sec_length);
		}
		if (e.uid)
			v[k++] = e;
		else
			free(e.mid);
	}
	mailimap_fetch_list_free(res);
	*out = v;
	*n = k;
	return MAILIMAP_NO_ERROR;
}

/* The folder's UIDVALIDITY changed: give every local message that matches
 * a server message (same Message-ID and size) the new UID, keep the rest
 * as orphans, and start the state afresh. */
static int remap_uidvalidity(struct sync *s, struct folder_ctx *c, uint32_t newv)
{
	struct idsize *ids;
	size_t nids;
	int rc = fetch_ids(s, &ids, &nids);
	if (rc != MAILIMAP_NO_ERROR) {
		imap_failed(s, rc, c->name, "UID FETCH (Message-ID)");
		return -1;
	}
	size_t matched = 0, orphans = 0;
	state_clear_msgs(c->st);
	for (size_t i = 0; i < c->local.n; i++) {
		struct maildir_entry *e = &c->local.v[i];
		if (!e->has_uid || e->uid == 0)
			continue; /* local new (still to upload) or an orphan already */
		char *data = NULL;
		size_t len = 0;
		char *mid = NULL;
		if (maildir_read(c->dir, e->name, &data, &len) == 0)
			mid = maildir_message_id(data, len);
		free(data);
		struct idsize *hit = NULL;
		for (size_t k = 0; mid && k < nids && !hit; k++)
			if (!ids[k].taken && ids[k].mid && ids[k].size == len && strcmp(ids[k].mid, mid) == 0)
				hit = &ids[k];
		free(mid);
		uint32_t uid = hit ? hit->uid : 0;
		char *nn = NULL;
		if (maildir_rename(c->dir, e->name, true, uid, e->flags, &nn) < 0) {
			folder_error(s, c->name, "%s: cannot rename %s: %s", c->name, e->name, strerror(errno));
			continue;
		}
		char *op = store_path(c, e->name), *np = store_path(c, nn);
		store_rename(s->store, op, np, s->account, NULL);
		free(op);
		free(np);
		free(nn);
		if (hit) {
			hit->taken = true;
			state_put(c->st, uid, e->flags, NULL);
			matched++;
		} else {
			orphans++;
		}
	}
	for (size_t k = 0; k < nids; k++)
		free(ids[k].mid);
	free(ids);
	warn(s, c->name,
	     "%s: the server renumbered this folder (UIDVALIDITY %u -> %u); %zu local messages matched, %zu "
	     "kept locally as orphans (never uploaded or deleted by sync; find them with: muttlike search "
	     "'path:%s/**' and look for ,U=0 in the file name)",
	     c->name, state_uidvalidity(c->st), newv, matched, orphans, c->store_prefix);
	state_set_uidvalidity(c->st, newv);
	state_set_uidnext(c->st, 0);
	state_set_highestmodseq(c->st, 0);
	if (save_state(s, c) < 0)
		return -1;
	maildir_list_clear(&c->local);
	return maildir_scan(c->dir, &c->local);
}

/* ---- applying changes ---- */

/* UID STORE groups: one command per distinct (add, remove) pair. */
struct push_group {
	unsigned add, rem;
	uint32_t *uids;
	size_t n, cap;
};

static void push_add(struct push_group **g, size_t *ng, unsigned add, unsigned rem, uint32_t uid)
{
	size_t i;
	for (i = 0; i < *ng; i++)
		if ((*g)[i].add == add && (*g)[i].rem == rem)
			break;
	if (i == *ng) {
		*g = xreallocarray(*g, *ng + 1, sizeof(**g));
		(*g)[i] = (struct push_group){ .add = add, .rem = rem };
		(*ng)++;
	}
	struct push_group *p = &(*g)[i];
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->uids = xreallocarray(p->uids, p->cap, sizeof(*p->uids));
	}
	p->uids[p->n++] = uid;
}

static int uid_store(struct sync *s, const uint32_t *uids, size_t n, unsigned flags, bool add)
{
	struct mailimap_set *set = uid_set(uids, n);
	struct mailimap_flag_list *fl = flag_list_of(flags);
	struct mailimap_store_att_flags *sa = add ? mailimap_store_att_flags_new_add_flags_silent(fl)
						  : mailimap_store_att_flags_new_remove_flags_silent(fl);
	int rc = mailimap_uid_store(imap_mailimap(s->imap), set, sa);
	mailimap_store_att_flags_free(sa);
	mailimap_set_free(set);
	return rc;
}

/* Delete uids (sorted) on the server as the account's policy says. */
static int remote_delete(struct sync *s, struct folder_ctx *c, const uint32_t *uids, size_t n)
{
	mailimap *mi = imap_mailimap(s->imap);
	bool to_trash = conf_enum(s->conf, s->acct, OPT_ID_delete_policy) == 0 && s->trash_raw &&
			strcmp(s->trash_raw, c->f->raw) != 0;
	struct mailimap_set *set = uid_set(uids, n);
	int rc;
	if (to_trash && imap_has_cap(s->imap, IMAP_CAP_MOVE)) {
		rc = mailimap_uid_move(mi, set, s->trash_raw);
	} else {
		rc = MAILIMAP_NO_ERROR;
		if (to_trash)
			rc = mailimap_uid_copy(mi, set, s->trash_raw);
		if (rc == MAILIMAP_NO_ERROR)
			rc = uid_store(s, uids, n, MAILDIR_F_TRASHED, true);
		/* Without UIDPLUS, EXPUNGE would also remove messages that
		 * others marked \Deleted; leave them marked instead. */
		if (rc == MAILIMAP_NO_ERROR && imap_has_cap(s->imap, IMAP_CAP_UIDPLUS))
			rc = mailimap_uid_expunge(mi, set);
	}
	mailimap_set_free(set);
	return rc;
}

/* ",A=<n>" in a local file name: an APPEND of this file may have reached
 * the server with a UID >= n before we could record it.  0: no marker. */
static uint32_t pending_append(const char *name)
{
	const char *a = strstr(name, ",A=");
	const char *colon = strstr(name, ":2,");
	if (!a || (colon && a > colon))
		return 0;
	unsigned long v = strtoul(a + 3, NULL, 10);
	return v <= UINT32_MAX ? (uint32_t)v : 0;
}

/* After a crash between APPEND and the rename: is the message already on
 * the server (same Message-ID, UID >= from)?  Returns its UID or 0. */
static uint32_t find_appended(struct sync *s, uint32_t from, const char *data, size_t len)
{
	char *mid = maildir_message_id(data, len);
	if (!mid)
		return 0;
	struct mailimap_search_key *key = mailimap_search_key_new_multiple_empty();
	mailimap_search_key_multiple_add(key, mailimap_search_key_new_uid(mailimap_set_new_interval(from, 0)));
	mailimap_search_key_multiple_add(key, mailimap_search_key_new_header(xstrdup("Message-ID"), mid));
	clist *res = NULL;
	uint32_t uid = 0;
	if (mailimap_uid_search(imap_mailimap(s->imap), NULL, key, &res) == MAILIMAP_NO_ERROR) {
		for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
			uint32_t u = *(uint32_t *)clist_content(it);
			if (u >= from && u > uid)
				uid = u;
		}
		mailimap_search_result_free(res);
	}
	mailimap_search_key_free(key);
	return uid;
}

/* IMAP messages have CRLF line ends; a file written locally may not.
 * Returns a CRLF copy (caller frees) or NULL when data is already right. */
static char *to_crlf(const char *data, size_t len, size_t *outlen)
{
	size_t bare = 0;
	for (size_t i = 0; i < len; i++)
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			bare++;
	if (!bare)
		return NULL;
	char *out = xmalloc(len + bare + 1);
	size_t k = 0;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			out[k++] = '\r';
		out[k++] = data[i];
	}
	out[k] = '\0';
	*outlen = k;
	return out;
}

/* The local file now is the server's message uid.  When the upload was a
 * CRLF copy, the local file is replaced by that copy, so that local and
 * server bytes agree; the old file goes first: the server has the message,
 * so a crash in between costs a download, never a duplicate. */
static void adopt_uploaded(struct sync *s, struct folder_ctx *c, struct maildir_entry *e, uint32_t uid,
			   const char *crlf, size_t crlf_len)
{
	if (crlf) {
		char *op = store_path(c, e->name);
		if (maildir_remove(c->dir, e->name) == 0) {
			store_remove(s->store, op);
			char *nn = NULL;
			if (maildir_deliver(c->dir, crlf, crlf_len, uid, true, e->flags, 0, &nn) == 0) {
				char *np = store_path(c, nn);
				store_add(s->store, np, s->account, NULL);
				free(np);
				free(nn);
				state_put(c->st, uid, e->flags, NULL);
			}
		}
		free(op);
		return;
	}
	char *nn = NULL;
	if (maildir_rename(c->dir, e->name, true, uid, e->flags, &nn) == 0) {
		char *op = store_path(c, e->name), *np = store_path(c, nn);
		store_rename(s->store, op, np, s->account, NULL);
		free(op);
		free(np);
		free(nn);
		state_put(c->st, uid, e->flags, NULL);
	}
}

/* Upload local new messages (files without ",U=").  Each file is first
 * renamed to carry ",A=<UIDNEXT>", so that a crash after the APPEND but
 * before the file learns its UID is recognised on the next run (the
 * server is searched for the Message-ID) instead of uploading twice. */
static int append_new(struct sync *s, struct folder_ctx *c, uint32_t uidvalidity, uint32_t uidnext)
{
	mailimap *mi = imap_mailimap(s->imap);
	for (size_t i = 0; i < c->local.n; i++) {
		struct maildir_entry *e = &c->local.v[i];
		if (e->has_uid)
			continue;
		char *data;
		size_t len;
		if (maildir_read(c->dir, e->name, &data, &len) < 0)
			continue;
		uint32_t from = pending_append(e->name);
		if (from) {
			uint32_t uid = find_appended(s, from, data, len);
			if (uid) {
				size_t cl = 0;
				char *crlf = to_crlf(data, len, &cl);
				free(data);
				adopt_uploaded(s, c, e, uid, crlf, cl);
				free(crlf);
				continue;
			}
		} else if (uidnext) {
			/* Mark it before the APPEND (see above). */
			const char *colon = strstr(e->name, ":2,");
			size_t stem = colon ? (size_t)(colon - e->name) : strlen(e->name);
			char *marked = xasprintf("%.*s,A=%u%s", (int)stem, e->name, uidnext, colon ? colon : "");
			char *from_p = xasprintf("%s/%s", c->dir, e->name), *to_p = xasprintf("%s/%s", c->dir, marked);
			int rc = rename(from_p, to_p);
			free(from_p);
			free(to_p);
			if (rc == 0) {
				char *op = store_path(c, e->name), *np = store_path(c, marked);
				store_rename(s->store, op, np, s->account, NULL);
				free(op);
				free(np);
				free(e->name);
				e->name = marked;
			} else {
				free(marked);
			}
		}
		struct mailimap_flag_list *fl = flag_list_of(e->flags);
		uint32_t uv = 0, uid = 0;
		size_t cl = 0;
		char *crlf = to_crlf(data, len, &cl);
		int rc = mailimap_uidplus_append(mi, c->f->raw, fl, NULL, crlf ? crlf : data, crlf ? cl : len, &uv,
						 &uid);
		mailimap_flag_list_free(fl);
		free(data);
		if (rc != MAILIMAP_NO_ERROR) {
			free(crlf);
			imap_failed(s, rc, c->name, "APPEND");
			return -1;
		}
		fault_point("append");
		s->stats.pushed++;
		if (uid == 0 || uv != uidvalidity) {
			/* No APPENDUID: the fetch will bring the server's copy; drop
			 * ours so that there is exactly one. */
			char *p = store_path(c, e->name);
			maildir_remove(c->dir, e->name);
			store_remove(s->store, p);
			free(p);
			free(crlf);
			continue;
		}
		adopt_uploaded(s, c, e, uid, crlf, cl);
		free(crlf);
	}
	return 0;
}

/* Download uids (sorted ascending) newest first, in bounded batches. */
static int fetch_new(struct sync *s, struct folder_ctx *c, const uint32_t *uids, size_t n)
{
	mailimap *mi = imap_mailimap(s->imap);
	size_t done = 0, since_save = 0;
	emit(s, SYNC_EV_PROGRESS, c->name, 0, n, NULL);
	size_t end = n; /* fetch uids[start..end) newest first */
	while (end > 0 && !s->cancelled) {
		size_t start = end > FETCH_BATCH ? end - FETCH_BATCH : 0;
		struct mailimap_set *set = uid_set(uids + start, end - start);
		struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_flags());
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_internaldate());
		mailimap_fetch_type_new_fetch_att_list_add(ft,
							   mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL)));
		clist *res = NULL;
		int rc = mailimap_uid_fetch(mi, set, ft, &res);
		mailimap_fetch_type_free(ft);
		mailimap_set_free(set);
		if (rc != MAILIMAP_NO_ERROR) {
			imap_failed(s, rc, c->name, "UID FETCH (BODY)");
			return -1;
		}
		for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
			struct fetched fm;
			parse_msg_att(clist_content(it), &fm);
			/* Unsolicited FETCHes (flag news about other messages) carry
			 * no body; the next pass sees those changes. */
			if (!fm.uid || !fm.body || state_get(c->st, fm.uid)) {
				free(fm.kw);
				continue;
			}
			char *name = NULL;
			/* One directory fsync per batch, below, before the state
			 * or the progress can count these. */
			if (maildir_deliver_nosync(c->dir, fm.body, fm.len, fm.uid, true, fm.flags, fm.idate, &name) < 0) {
				folder_error(s, c->name, "%s: cannot write a message into %s: %s", c->name, c->dir,
					     strerror(errno));
				free(fm.kw);
				mailimap_fetch_list_free(res);
				maildir_sync(c->dir);
				return -1;
			}
			fault_point("fetch");
			char *p = store_path(c, name);
			store_add(s->store, p, s->account, fm.kw);
			free(p);
			free(name);
			state_put(c->st, fm.uid, fm.flags, fm.kw);
			free(fm.kw);
			s->stats.fetched++;
			s->stats.bytes += fm.len;
			s->pass_bytes += fm.len;
			done++;
			since_save++;
		}
		mailimap_fetch_list_free(res);
		maildir_sync(c->dir);
		end = start;
		emit(s, SYNC_EV_PROGRESS, c->name, done, n, NULL);
		if (since_save >= STATE_SAVE_EVERY) {
			if (save_state(s, c) < 0)
				return -1;
			since_save = 0;
		}
	}
	return s->cancelled ? -1 : 0;
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
};

/* The merge: decide and apply everything but the downloads. */
static int merge_and_apply(struct sync *s, struct folder_ctx *c, struct rlist *r, bool r_complete,
			   const uint32_t *alluids, size_t nall, uint32_t **fetch, size_t *nfetch)
{
	/* Every UID any side knows. */
	size_t cap = state_count(c->st) + c->local.n + r->n + 1;
	uint32_t *u = xreallocarray(NULL, cap, sizeof(*u));
	size_t nu = 0;
	for (size_t i = 0; i < state_count(c->st); i++)
		u[nu++] = state_at(c->st, i)->uid;
	for (size_t i = 0; i < c->local.n; i++)
		if (c->local.v[i].has_uid && c->local.v[i].uid)
			u[nu++] = c->local.v[i].uid;
	for (size_t i = 0; i < r->n; i++)
		u[nu++] = r->v[i].uid;
	qsort(u, nu, sizeof(*u), u32_cmp);
	size_t w = 0;
	for (size_t i = 0; i < nu; i++)
		if (!w || u[w - 1] != u[i])
			u[w++] = u[i];
	nu = w;

	struct uidinfo *info = xreallocarray(NULL, nu + 1, sizeof(*info));
	size_t ndel_local = 0, ndel_remote = 0, nlocal = 0, nbase = state_count(c->st);
	*fetch = xreallocarray(NULL, nu + 1, sizeof(**fetch));
	*nfetch = 0;
	for (size_t i = 0; i < nu; i++) {
		struct uidinfo *x = &info[i];
		x->uid = u[i];
		const struct state_msg *b = state_get(c->st, u[i]);
		x->base = NULL;
		x->base_copy = (struct state_msg){ 0 };
		if (b) {
			x->base_copy = *b;
			x->base_copy.keywords = b->keywords ? xstrdup(b->keywords) : NULL;
			x->base = &x->base_copy;
		}
		x->loc = maildir_list_find(&c->local, u[i]);
		struct rmsg *rm = rlist_find(r, u[i]);
		if (rm) {
			x->on_server = true;
			x->rflags = rm->flags;
			x->rkw = rm->kw;
		} else if (r_complete) {
			x->on_server = false;
		} else {
			/* Not in CHANGEDSINCE: unchanged since the last sync, if it
			 * still exists (alluids, when we had to ask). */
			bool exists = x->base != NULL;
			if (alluids)
				exists = bsearch(&x->uid, alluids, nall, sizeof(*alluids), u32_cmp) != NULL;
			x->on_server = exists && x->base;
			if (x->on_server) {
				x->rflags = x->base->flags;
				x->rkw = x->base->keywords;
			}
		}
		if (x->loc)
			nlocal++;
		if (x->loc && !x->on_server)
			ndel_local++;
		if (!x->loc && x->on_server && x->base)
			ndel_remote++;
		if (x->on_server && !x->base && !x->loc)
			(*fetch)[(*nfetch)++] = x->uid;
	}

	bool guard_local = sync_guard_trips(ndel_local, nlocal, conf_num(s->conf, -1, OPT_ID_sync_delete_guard)) &&
			   !c->allow_deletes;
	bool guard_remote = sync_guard_trips(ndel_remote, nbase, conf_num(s->conf, -1, OPT_ID_sync_delete_guard)) &&
			    !c->allow_deletes;
	if (guard_local)
		folder_error(s, c->name,
			     "%s: the server no longer has %zu of the %zu local messages; not deleting them "
			     "locally. If that is right, run: muttlike sync %s --allow-deletes '%s'",
			     c->name, ndel_local, nlocal, s->account, c->name);
	if (guard_remote)
		folder_error(s, c->name,
			     "%s: %zu of %zu messages were deleted locally; not deleting them on the server. If "
			     "that is right, run: muttlike sync %s --allow-deletes '%s'",
			     c->name, ndel_remote, nbase, s->account, c->name);

	struct push_group *groups = NULL;
	size_t ngroups = 0, npulled = 0;
	uint32_t *rdel = xreallocarray(NULL, nu + 1, sizeof(*rdel));
	size_t nrdel = 0;
	int result = 0;

	for (size_t i = 0; i < nu; i++) {
		struct uidinfo *x = &info[i];
		if (x->loc && x->on_server) {
			unsigned base = x->base ? x->base->flags : x->loc->flags;
			unsigned merged = sync_merge_flags(base, x->loc->flags, x->rflags);
			unsigned add = merged & ~x->rflags, rem = x->rflags & ~merged;
			if (add || rem || merged != x->loc->flags)
				log_debug("%s: %s uid %u: base %02x local %02x server %02x -> %02x", s->account, c->name,
					  x->uid, base, x->loc->flags, x->rflags, merged);
			if (add || rem)
				push_add(&groups, &ngroups, add, rem, x->uid);
			/* A local rename by a tool that did not tell notmuch:
			 * index the new name (which drops the old one). */
			if (merged == x->loc->flags && x->base && x->base->flags != x->loc->flags) {
				char *p = store_path(c, x->loc->name);
				store_add(s->store, p, s->account, x->rkw);
				free(p);
			}
			if (merged != x->loc->flags) {
				/* The store writer renames the file (through notmuch);
				 * flushed below, before the state can say so. */
				char *p = store_path(c, x->loc->name);
				store_set_flags(s->store, p, merged, s->account, x->rkw);
				free(p);
				x->loc->flags = merged;
				s->stats.pulled++;
				npulled++;
			}
			/* The state learns the merged value only once the push
			 * is done (below), so a crash retries it. */
			if (!(add || rem))
				state_put(c->st, x->uid, merged, x->rkw);
		} else if (x->loc && !x->on_server) {
			if (guard_local)
				continue;
			char *p = store_path(c, x->loc->name);
			if (maildir_remove(c->dir, x->loc->name) == 0) {
				store_remove(s->store, p);
				s->stats.deleted++;
				state_del(c->st, x->uid);
				fault_point("delete");
			}
			free(p);
		} else if (!x->loc && x->on_server && x->base) {
			if (!guard_remote)
				rdel[nrdel++] = x->uid;
		} else if (!x->loc && !x->on_server) {
			state_del(c->st, x->uid);
		}
	}

	/* The new flags must be on disk before any state records them: a
	 * crash in between would otherwise look like a local change and undo
	 * the server's. */
	if (npulled && store_flush(s->store))
		folder_error(s, c->name, "%s: could not apply some flag changes locally (see the log)", c->name);

	/* Files deleted here by hand leave stale names in the index. */
	if (ndel_remote)
		store_prune(s->store, c->store_prefix);

	for (size_t g = 0; g < ngroups && result == 0; g++) {
		struct push_group *p = &groups[g];
		int rc = MAILIMAP_NO_ERROR;
		if (p->add)
			rc = uid_store(s, p->uids, p->n, p->add, true);
		if (rc == MAILIMAP_NO_ERROR && p->rem)
			rc = uid_store(s, p->uids, p->n, p->rem, false);
		if (rc != MAILIMAP_NO_ERROR) {
			imap_failed(s, rc, c->name, "UID STORE");
			result = -1;
			break;
		}
		fault_point("push");
		for (size_t k = 0; k < p->n; k++) {
			struct maildir_entry *e = maildir_list_find(&c->local, p->uids[k]);
			struct rmsg *rm = rlist_find(r, p->uids[k]);
			const struct state_msg *b = state_get(c->st, p->uids[k]);
			const char *kw = rm ? rm->kw : b ? b->keywords : NULL;
			char *kwcopy = kw ? xstrdup(kw) : NULL;
			if (e)
				state_put(c->st, p->uids[k], e->flags, kwcopy);
			free(kwcopy);
		}
		s->stats.pushed += p->n;
	}
	if (result == 0 && nrdel) {
		int rc = remote_delete(s, c, rdel, nrdel);
		if (rc != MAILIMAP_NO_ERROR) {
			imap_failed(s, rc, c->name, "deleting on the server");
			result = -1;
		} else {
			fault_point("delete");
			for (size_t k = 0; k < nrdel; k++)
				state_del(c->st, rdel[k]);
			s->stats.pushed += nrdel;
		}
	}
	for (size_t g = 0; g < ngroups; g++)
		free(groups[g].uids);
	free(groups);
	free(rdel);
	for (size_t i = 0; i < nu; i++)
		free(info[i].base_copy.keywords);
	free(info);
	free(u);
	return result;
}

/* SELECT, then learn what the server changed; fills r.  *complete tells
 * whether r lists every message or only the changed ones. */
static int learn_remote(struct sync *s, struct folder_ctx *c, struct rlist *r, bool *complete,
			uint32_t **alluids, size_t *nall, uint32_t *uidvalidity, uint32_t *uidnext, uint64_t *modseq,
			bool *noop)
{
	mailimap *mi = imap_mailimap(s->imap);
	bool condstore = imap_condstore_enabled(s->imap) || imap_has_cap(s->imap, IMAP_CAP_CONDSTORE);
	*modseq = 0;
	int rc = condstore ? mailimap_select_condstore(mi, c->f->raw, modseq) : mailimap_select(mi, c->f->raw);
	if (rc != MAILIMAP_NO_ERROR) {
		imap_failed(s, rc, c->name, "SELECT");
		return -1;
	}
	struct mailimap_selection_info *sel = mi->imap_selection_info;
	*uidvalidity = sel->sel_uidvalidity;
	*uidnext = sel->sel_uidnext;
	uint32_t exists = sel->sel_exists;
	*complete = true;
	*noop = false;
	*alluids = NULL;
	*nall = 0;

	if (state_uidvalidity(c->st) && state_uidvalidity(c->st) != *uidvalidity) {
		if (remap_uidvalidity(s, c, *uidvalidity) < 0)
			return -1;
	}
	bool have_base = state_uidvalidity(c->st) == *uidvalidity && state_highestmodseq(c->st);
	if (condstore && *modseq && have_base && *uidnext && state_uidnext(c->st) == *uidnext &&
	    state_highestmodseq(c->st) == *modseq && exists == state_count(c->st)) {
		*noop = true; /* nothing changed on the server */
		*complete = false;
		return 0;
	}
	if (exists == 0)
		return 0; /* nothing there: every known UID is gone */
	struct mailimap_set *all = mailimap_set_new_interval(1, 0);
	if (condstore && *modseq && have_base) {
		rc = fetch_flags(s, all, state_highestmodseq(c->st), r);
		*complete = false;
		if (rc == MAILIMAP_NO_ERROR) {
			size_t nnew = 0;
			for (size_t i = 0; i < r->n; i++)
				if (!state_get(c->st, r->v[i].uid))
					nnew++;
			if (state_count(c->st) + nnew != exists)
				rc = search_all(s, alluids, nall);
		}
	} else {
		rc = fetch_flags(s, all, 0, r);
	}
	mailimap_set_free(all);
	if (rc != MAILIMAP_NO_ERROR) {
		imap_failed(s, rc, c->name, "UID FETCH (FLAGS)");
		return -1;
	}
	return 0;
}

static int sync_folder(struct sync *s, const struct imap_folder *f)
{
	struct folder_ctx c = { .f = f, .name = f->name };
	c.rel = maildir_folder_relpath(f->name, f->delim);
	if (!c.rel) {
		folder_error(s, f->name, "a folder with an empty name; skipped");
		return -1;
	}
	c.dir = xasprintf("%s/%s", s->mail_dir, c.rel);
	c.store_prefix = xasprintf("%s/%s", s->acct_dir, c.rel);
	c.state_path = state_path(s->state_dir, c.rel);
	c.allow_deletes = allowed_deletes(s, &c);
	emit(s, SYNC_EV_FOLDER, f->name, 0, 0, NULL);
	int result = -1;
	struct rlist r = { 0 };
	uint32_t *alluids = NULL, *fetch = NULL;
	size_t nall = 0, nfetch = 0;
	if (maildir_create(c.dir) < 0) {
		folder_error(s, f->name, "%s: cannot create %s: %s", f->name, c.dir, strerror(errno));
		goto out;
	}
	enum state_status sst = state_load(c.state_path, &c.st);
	if (sst == STATE_ERR_IO || sst == STATE_ERR_PARSE) {
		/* The Maildir names carry the UIDs, so starting over is safe. */
		warn(s, f->name, "%s: sync state %s unreadable; comparing everything again", f->name, c.state_path);
		state_free(&c.st);
		c.st = state_new();
	}
	state_set_folder(c.st, f->raw);
	if (maildir_scan(c.dir, &c.local) < 0) {
		folder_error(s, f->name, "%s: cannot read %s: %s", f->name, c.dir, strerror(errno));
		goto out;
	}
	bool complete, noop;
	uint32_t uidvalidity, uidnext;
	uint64_t modseq;
	if (learn_remote(s, &c, &r, &complete, &alluids, &nall, &uidvalidity, &uidnext, &modseq, &noop) < 0)
		goto out;
	bool local_changes = false;
	for (size_t i = 0; i < c.local.n && !local_changes; i++) {
		const struct maildir_entry *e = &c.local.v[i];
		const struct state_msg *b = e->has_uid && e->uid ? state_get(c.st, e->uid) : NULL;
		if (!e->has_uid || (e->uid && (!b || b->flags != e->flags)))
			local_changes = true;
	}
	size_t nlocal_uid = 0;
	for (size_t i = 0; i < c.local.n; i++)
		if (c.local.v[i].has_uid && c.local.v[i].uid)
			nlocal_uid++;
	if (noop && !local_changes && nlocal_uid == state_count(c.st)) {
		result = 0; /* the fast path of a no-op resync */
		goto out;
	}
	if (merge_and_apply(s, &c, &r, complete, alluids, nall, &fetch, &nfetch) < 0)
		goto out;
	if (save_state(s, &c) < 0)
		goto out;
	if (append_new(s, &c, uidvalidity, uidnext) < 0)
		goto out;
	if (nfetch && fetch_new(s, &c, fetch, nfetch) < 0) {
		save_state(s, &c); /* keep what arrived */
		goto out;
	}
	state_set_uidvalidity(c.st, uidvalidity);
	/* Our own APPENDs may have moved UIDNEXT past what SELECT said; the
	 * next pass then sees a difference and looks, which is harmless. */
	state_set_uidnext(c.st, uidnext);
	state_set_highestmodseq(c.st, modseq);
	if (save_state(s, &c) < 0)
		goto out;
	result = 0;
out:
	rlist_clear(&r);
	free(alluids);
	free(fetch);
	ctx_clear(&c);
	s->stats.folders++;
	return result;
}

/* ---- journal replay ---- */

static const struct imap_folder *folder_by_rel(struct sync *s, const char *rel)
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

/* Replay one move: UID MOVE, then give the moved local file its new UID. */
static int replay_move(struct sync *s, const struct journal_entry *e)
{
	const struct imap_folder *src = folder_by_rel(s, e->folder), *dst = folder_by_rel(s, e->dest);
	if (!src || !dst)
		return 0; /* the folder is gone: the local file is uploaded as new */
	mailimap *mi = imap_mailimap(s->imap);
	int rc = mailimap_select(mi, src->raw);
	if (rc != MAILIMAP_NO_ERROR) {
		imap_failed(s, rc, src->name, "SELECT");
		return -1;
	}
	struct mailimap_set *set = mailimap_set_new_single(e->uid);
	uint32_t uv = 0;
	struct mailimap_set *from = NULL, *to = NULL;
	if (imap_has_cap(s->imap, IMAP_CAP_MOVE))
		rc = mailimap_uidplus_uid_move(mi, set, dst->raw, &uv, &from, &to);
	else
		rc = mailimap_uidplus_uid_copy(mi, set, dst->raw, &uv, &from, &to);
	if (rc == MAILIMAP_NO_ERROR && !imap_has_cap(s->imap, IMAP_CAP_MOVE)) {
		uid_store(s, &e->uid, 1, MAILDIR_F_TRASHED, true);
		mailimap_uid_expunge(mi, set);
	}
	mailimap_set_free(set);
	if (rc != MAILIMAP_NO_ERROR) {
		if (from)
			mailimap_set_free(from);
		if (to)
			mailimap_set_free(to);
		imap_failed(s, rc, src->name, "UID MOVE");
		return -1;
	}
	uint32_t newuid = 0;
	if (to && clist_begin(to->set_list)) {
		struct mailimap_set_item *it = clist_content(clist_begin(to->set_list));
		newuid = it->set_first;
	}
	if (from)
		mailimap_set_free(from);
	if (to)
		mailimap_set_free(to);
	s->stats.pushed++;
	char *rel = maildir_folder_relpath(dst->name, dst->delim);
	char *dir = xasprintf("%s/%s", s->mail_dir, rel);
	char *spath = state_path(s->state_dir, rel);
	if (newuid) {
		/* The destination's state learns the UID with the file's flags
		 * (the server copied them), so nothing is fetched again. */
		struct state *st;
		state_load(spath, &st);
		unsigned flags = 0;
		const char *slash = strstr(e->dest_file, ":2,");
		if (slash)
			flags = maildir_flags_parse(slash + 3);
		char *nn = NULL;
		if (maildir_rename(dir, e->dest_file, true, newuid, flags, &nn) == 0) {
			char *op = xasprintf("%s/%s/%s", s->acct_dir, rel, e->dest_file);
			char *np = xasprintf("%s/%s/%s", s->acct_dir, rel, nn);
			store_rename(s->store, op, np, s->account, NULL);
			free(op);
			free(np);
			free(nn);
			if (state_uidvalidity(st) == uv || !state_uidvalidity(st)) {
				state_put(st, newuid, flags, NULL);
				state_save(st, spath);
			}
		}
		state_free(&st);
	}
	free(spath);
	free(dir);
	free(rel);
	/* The source forgets the UID: it is gone from both sides now. */
	char *srel = maildir_folder_relpath(src->name, src->delim);
	char *sspath = state_path(s->state_dir, srel);
	struct state *sst;
	if (state_load(sspath, &sst) == STATE_OK) {
		state_del(sst, e->uid);
		state_save(sst, sspath);
	}
	state_free(&sst);
	free(sspath);
	free(srel);
	return 0;
}

static int replay_expunge(struct sync *s, const struct journal_entry *e)
{
	const struct imap_folder *src = folder_by_rel(s, e->folder);
	if (!src)
		return 0;
	mailimap *mi = imap_mailimap(s->imap);
	int rc = mailimap_select(mi, src->raw);
	if (rc == MAILIMAP_NO_ERROR)
		rc = uid_store(s, &e->uid, 1, MAILDIR_F_TRASHED, true);
	if (rc == MAILIMAP_NO_ERROR && imap_has_cap(s->imap, IMAP_CAP_UIDPLUS)) {
		struct mailimap_set *set = mailimap_set_new_single(e->uid);
		rc = mailimap_uid_expunge(mi, set);
		mailimap_set_free(set);
	}
	if (rc != MAILIMAP_NO_ERROR) {
		imap_failed(s, rc, src->name, "UID EXPUNGE");
		return -1;
	}
	s->stats.pushed++;
	char *srel = maildir_folder_relpath(src->name, src->delim);
	char *sspath = state_path(s->state_dir, srel);
	struct state *sst;
	if (state_load(sspath, &sst) == STATE_OK) {
		state_del(sst, e->uid);
		state_save(sst, sspath);
	}
	state_free(&sst);
	free(sspath);
	free(srel);
	return 0;
}

static void replay_journal(struct sync *s)
{
	char *path = xasprintf("%s/journal", s->state_dir);
	struct journal *j;
	journal_open(path, &j);
	free(path);
	struct journal_entry *v;
	size_t n;
	if (journal_pending(j, &v, &n) == JOURNAL_OK) {
		for (size_t i = 0; i < n && !s->net_failed; i++) {
			int rc = v[i].op == JOURNAL_MOVE ? replay_move(s, &v[i]) : replay_expunge(s, &v[i]);
			if (rc == 0)
				journal_done(j, v[i].seq);
		}
		if (n && !s->net_failed)
			journal_compact(j);
		journal_entries_free(&v, n);
	}
	journal_free(&j);
}

/* ---- the account pass ---- */

struct sync *sync_new(const struct sync_options *o)
{
	struct sync *s = xcalloc(1, sizeof(*s));
	s->conf = o->conf;
	s->acct = o->account;
	s->account = xstrdup(conf_account_name(o->conf, (size_t)o->account));
	s->acct_dir = maildir_safe_component(s->account);
	char *data = conf_data_dir(o->conf);
	s->mail_root = xasprintf("%s/mail", data);
	s->mail_dir = xasprintf("%s/%s", s->mail_root, s->acct_dir);
	s->state_dir = xasprintf("%s/state/%s", data, s->acct_dir);
	free(data);
	s->store = o->store;
	s->n_allow = o->n_allow;
	s->allow = xcalloc(o->n_allow + 1, sizeof(*s->allow));
	for (size_t i = 0; i < o->n_allow; i++)
		s->allow[i] = xstrdup(o->allow_deletes[i]);
	s->event = o->event;
	s->event_ud = o->event_ud;
	s->error = xstrdup("");
	return s;
}

void sync_disconnect(struct sync *s)
{
	if (s->imap) {
		imap_disconnect(s->imap);
		imap_free(&s->imap);
	}
	imap_folders_free(&s->folders, s->nfolders);
	s->nfolders = 0;
}

void sync_free(struct sync **sp)
{
	struct sync *s = *sp;
	if (!s)
		return;
	sync_disconnect(s);
	for (size_t i = 0; i < s->n_allow; i++)
		free(s->allow[i]);
	free(s->allow);
	free(s->trash_raw);
	free(s->account);
	free(s->acct_dir);
	free(s->mail_root);
	free(s->mail_dir);
	free(s->state_dir);
	free(s->error);
	free(s);
	*sp = NULL;
}

void sync_cancel(struct sync *s)
{
	__atomic_store_n(&s->cancelled, true, __ATOMIC_SEQ_CST);
	if (s->imap)
		imap_cancel(s->imap);
}

void sync_set_store(struct sync *s, struct store *store)
{
	s->store = store;
}

const struct sync_stats *sync_get_stats(const struct sync *s) { return &s->stats; }
const char *sync_error(const struct sync *s) { return s->error; }
const char *sync_account(const struct sync *s) { return s->account; }

static enum sync_status connect_login(struct sync *s)
{
	if (s->imap && imap_mailimap(s->imap))
		return SYNC_OK;
	sync_disconnect(s);
	struct imap_params p = { 0 };
	char *err = NULL;
	if (!imap_params_from_conf(s->conf, s->acct, &p, &err)) {
		set_error(s, "%s: %s", s->account, err ? err : "bad imap_url");
		free(err);
		imap_params_clear(&p);
		return SYNC_ERR_CONFIG;
	}
	emit(s, SYNC_EV_CONNECT, NULL, 0, 0, NULL);
	s->imap = imap_new(&p);
	imap_params_clear(&p);
	enum imap_status st = imap_connect(s->imap);
	if (st == IMAP_OK)
		st = imap_login(s->imap);
	if (st != IMAP_OK) {
		set_error(s, "%s: %s", s->account, imap_error(s->imap));
		sync_disconnect(s);
		return st == IMAP_ERR_CONFIG ? SYNC_ERR_CONFIG : st == IMAP_ERR_CANCELLED ? SYNC_ERR_CANCELLED : SYNC_ERR_NET;
	}
	if (imap_warning(s->imap))
		warn(s, NULL, "%s: %s", s->account, imap_warning(s->imap));
	return SYNC_OK;
}

static void pick_trash(struct sync *s)
{
	free(s->trash_raw);
	s->trash_raw = NULL;
	const char *want = conf_str(s->conf, s->acct, OPT_ID_trash);
	for (size_t i = 0; i < s->nfolders && !s->trash_raw; i++) {
		const struct imap_folder *f = &s->folders[i];
		if (want && *want ? strcmp(f->name, want) == 0 : f->special == IMAP_SPECIAL_TRASH)
			s->trash_raw = xstrdup(f->raw);
	}
}

/* INBOX first (new mail is most wanted), then LIST order, and the Trash
 * last, so that what this pass moved there arrives in the same pass. */
static int folder_order(const struct sync *s, const struct imap_folder *f)
{
	if (f->special == IMAP_SPECIAL_INBOX || strcasecmp(f->raw, "INBOX") == 0)
		return 0;
	return s->trash_raw && strcmp(f->raw, s->trash_raw) == 0 ? 2 : 1;
}

enum sync_status sync_run(struct sync *s)
{
	memset(&s->stats, 0, sizeof(s->stats));
	s->pass_bytes = 0;
	s->net_failed = false;
	s->pass_start_ms = net_now_ms();
	free(s->error);
	s->error = xstrdup("");
	enum sync_status st = connect_login(s);
	if (st != SYNC_OK)
		goto done;
	imap_folders_free(&s->folders, s->nfolders);
	s->nfolders = 0;
	enum imap_status ist = imap_list(s->imap, &s->folders, &s->nfolders);
	if (ist != IMAP_OK) {
		set_error(s, "%s: LIST failed: %s", s->account, imap_error(s->imap));
		sync_disconnect(s);
		st = SYNC_ERR_NET;
		goto done;
	}
	pick_trash(s);
	replay_journal(s);
	const char *patterns = conf_str(s->conf, s->acct, OPT_ID_sync_folders);
	for (int pass = 0; pass < 3 && !s->net_failed; pass++) {
		for (size_t i = 0; i < s->nfolders && !s->net_failed && !s->cancelled; i++) {
			const struct imap_folder *f = &s->folders[i];
			if (folder_order(s, f) != pass || (f->flags & IMAP_FOLDER_NOSELECT))
				continue;
			if (!sync_folder_selected(patterns, f->name))
				continue;
			sync_folder(s, f);
		}
	}
	if (s->cancelled)
		st = SYNC_ERR_CANCELLED;
	else if (s->net_failed)
		st = SYNC_ERR_NET;
	else if (s->stats.folder_errors)
		st = SYNC_ERR_FOLDER;
	if (s->net_failed)
		sync_disconnect(s);
done:
	if (store_flush(s->store) && st == SYNC_OK) {
		set_error(s, "%s: some messages could not be indexed (see the log)", s->account);
		st = SYNC_ERR_STORE;
	}
	if (st == SYNC_ERR_FOLDER && !*s->error)
		set_error(s, "%s: %zu folder(s) not fully synced", s->account, s->stats.folder_errors);
	if (st != SYNC_OK && st != SYNC_ERR_FOLDER)
		emit(s, SYNC_EV_ERROR, NULL, 0, 0, s->error);
	emit(s, SYNC_EV_DONE, NULL, 0, 0, NULL);
	return st;
}

bool sync_watch(struct sync *s, int timeout_s)
{
	if (!s->imap || !imap_mailimap(s->imap) || !imap_has_cap(s->imap, IMAP_CAP_IDLE)) {
		for (int i = 0; i < timeout_s * 10 && !s->cancelled; i++) {
			struct timespec ts = { 0, 100L * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		return false;
	}
	mailimap *mi = imap_mailimap(s->imap);
	if (mailimap_select(mi, "INBOX") != MAILIMAP_NO_ERROR)
		return false;
	uint32_t before = mi->imap_selection_info ? mi->imap_selection_info->sel_exists : 0;
	if (mailimap_idle(mi) != MAILIMAP_NO_ERROR)
		return false;
	int fd = mailimap_idle_get_fd(mi);
	bool news = false;
	long long end = net_now_ms() + (long long)timeout_s * 1000;
	while (!s->cancelled && net_now_ms() < end && fd >= 0) {
		/* A 1 s slice keeps SIGINT/cancel responsive. */
		enum net_status ns = net_wait(fd, false, 1000, NULL);
		if (ns == NET_OK) {
			news = true;
			break;
		}
		if (ns != NET_ERR_TIMEOUT)
			break;
	}
	if (mailimap_idle_done(mi) != MAILIMAP_NO_ERROR) {
		sync_disconnect(s);
		return true;
	}
	if (mi->imap_selection_info && mi->imap_selection_info->sel_exists != before)
		news = true;
	return news;
}
