/* sync.c - the per-account sync engine (see sync.h for the algorithm). */
#include "sync.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "copies.h"
#include "fault.h"
#include "imap.h"
#include "imapdrv.h"
#include "journal.h"
#include "log.h"
#include "maildir.h"
#include "merge.h"
#include "mutf7.h"
#include "net.h"
#include "roles.h"
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
	bool verify;          /* sync --verify: compare and repair every folder */
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
	/* Skipping the tag query of the keyword merge when no tag can have
	 * changed since the last complete pass (see tags_maybe_changed). */
	bool tags_unchanged;          /* this pass: the index is as we left it */
	bool tags_seen;               /* tags_gen is from a complete pass */
	unsigned long tags_gen;       /* store_tag_generation() then */
	char tags_stamp[96];          /* the index stamp at the start of this pass */
	unsigned long tags_gen_now;
	/* Skipping the Maildir listing of folders nothing touched (see
	 * folder_key): state_dir/dirstamps as read at the start of the pass,
	 * and what this pass found true. */
	char *stamps_old;             /* owned, or NULL */
	struct strbuf stamps_new;
	bool stamps_active;           /* stamps_load() ran this pass */
	bool server_written;          /* this pass changed something on the server */
	char **held;                  /* owned: "rel\nuid" of moves not confirmed this pass */
	size_t nheld;
	char **recheck;               /* owned: folders synced in full this pass */
	size_t nrecheck;
	/* the reader's decisions (sync.h, near connect_login) */
	char *(*ask_secret)(void *ud, const char *prompt);
	void *ask_ud;
	char *accept_once;            /* owned: hex SHA-256 accepted for the session */
	struct tls_cert_info *refused; /* owned: the certificate the last connect refused */
	bool auth_refused;
	struct sync_guard *guards;    /* owned: the guard stops of this pass */
	size_t nguards;
	struct net_cancel *wake;      /* owned: sync_wake() ends a sync_watch() */
	/* A Gmail-shaped account (an \All folder): the files of this pass by
	 * Message-ID, so that a message in several folders is downloaded
	 * once (copies.h).  NULL otherwise. */
	struct copies *copies;        /* owned, for one pass */
};

/* ---- small pure helpers (unit-tested) ---- */

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

/* ---- keywords ---- */

/* A keyword set: the words of a space-separated string (a copy). */
struct kwset {
	char *buf;
	char **v;
	size_t n;
};

static void kw_split(struct kwset *k, const char *s)
{
	k->buf = xstrdup(s ? s : "");
	k->n = 0;
	k->v = xreallocarray(NULL, strlen(k->buf) / 2 + 2, sizeof(*k->v));
	for (char *save = NULL, *w = strtok_r(k->buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		k->v[k->n++] = w;
}

static void kw_free(struct kwset *k)
{
	free(k->buf);
	free(k->v);
	k->buf = NULL;
	k->v = NULL;
	k->n = 0;
}

/* IMAP keywords are case-insensitive (RFC 3501 2.3.2); tags are not, so
 * every comparison between the two worlds ignores case. */
static const char *kw_find(const struct kwset *k, const char *w)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcasecmp(k->v[i], w) == 0)
			return k->v[i];
	return NULL;
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, duplicates (ignoring case) dropped; NULL when empty. */
static char *kw_join(char **v, size_t n)
{
	qsort(v, n, sizeof(*v), str_ptr_cmp);
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < n; i++) {
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = strcasecmp(v[i], v[j]) == 0;
		if (dup)
			continue;
		if (b.len)
			strbuf_addc(&b, ' ');
		strbuf_adds(&b, v[i]);
	}
	char *out = b.len ? strbuf_detach(&b) : NULL;
	strbuf_free(&b);
	return out;
}

bool sync_tag_is_keyword(const char *tag)
{
	/* Local-only tags: the account tag, notmuch's own tags, and the tags
	 * that stand for flags (those travel as flags, through the file
	 * names). */
	static const char *const local_only[] = {
		"inbox", "new", "attachment", "signed", "encrypted", "unread", "flagged",
		"replied", "draft", "passed", "deleted", "$Forwarded", STORE_TAG_OVERSIZED,
	};
	if (!tag || !*tag || strncmp(tag, "account:", 8) == 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(local_only); i++)
		if (strcasecmp(tag, local_only[i]) == 0)
			return false;
	/* Only an IMAP atom can be a keyword (RFC 3501 flag-keyword): ASCII
	 * without atom-specials; a leading backslash would be a system flag.
	 * Any other tag stays local. */
	if (*tag == '\\')
		return false;
	for (const unsigned char *p = (const unsigned char *)tag; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("(){%*\"\\]", *p))
			return false;
	return true;
}

/* The keyword tags among a message's tags, sorted; NULL when none. */
static char *keywords_of_tags(const char *tags)
{
	struct kwset t;
	kw_split(&t, tags);
	size_t w = 0;
	for (size_t i = 0; i < t.n; i++)
		if (sync_tag_is_keyword(t.v[i]))
			t.v[w++] = t.v[i];
	char *out = kw_join(t.v, w);
	kw_free(&t);
	return out;
}

char *sync_merge_keywords(const char *base, const char *local, const char *remote)
{
	struct kwset b, l, r;
	kw_split(&b, base);
	kw_split(&l, local);
	kw_split(&r, remote);
	char **out = xreallocarray(NULL, b.n + l.n + r.n + 1, sizeof(*out));
	size_t n = 0;
	/* Every keyword any side has, in the server's spelling first. */
	struct kwset *sides[3] = { &r, &l, &b };
	for (size_t si = 0; si < 3; si++) {
		for (size_t i = 0; i < sides[si]->n; i++) {
			const char *w = sides[si]->v[i];
			bool seen = false;
			for (size_t j = 0; j < n && !seen; j++)
				seen = strcasecmp(out[j], w) == 0;
			if (seen)
				continue;
			bool inb = kw_find(&b, w) != NULL, inl = kw_find(&l, w) != NULL, inr = kw_find(&r, w) != NULL;
			/* Per keyword, as per flag: the side that changed wins;
			 * if both changed, both hold the same value. */
			bool keep = inb != inl ? inl : inr;
			if (keep)
				out[n++] = (char *)w;
		}
	}
	char *res = kw_join(out, n);
	free(out);
	kw_free(&b);
	kw_free(&l);
	kw_free(&r);
	return res;
}

/* The words of a that b lacks (ignoring case), space-separated, each
 * prefixed with prefix ("+", "-" or ""); NULL when none. */
static char *kw_minus(const char *a, const char *b, const char *prefix)
{
	struct kwset x, y;
	kw_split(&x, a);
	kw_split(&y, b);
	struct strbuf o;
	strbuf_init(&o);
	/* Tag changes ("+", "-") only ever touch keyword tags. */
	bool tags = *prefix == '+' || *prefix == '-';
	for (size_t i = 0; i < x.n; i++) {
		if (kw_find(&y, x.v[i]) || (tags && !sync_tag_is_keyword(x.v[i])))
			continue;
		if (o.len)
			strbuf_addc(&o, ' ');
		strbuf_adds(&o, prefix);
		strbuf_adds(&o, x.v[i]);
	}
	kw_free(&x);
	kw_free(&y);
	char *out = o.len ? strbuf_detach(&o) : NULL;
	strbuf_free(&o);
	return out;
}

/* Equal as keyword sets (ignoring case)? */
static bool kw_equal(const char *a, const char *b)
{
	char *d1 = kw_minus(a, b, ""), *d2 = kw_minus(b, a, "");
	bool eq = !d1 && !d2;
	free(d1);
	free(d2);
	return eq;
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

static void imap_failed(struct sync *s, enum imapdrv_rc r, const char *folder, const char *what)
{
	if (s->cancelled) {
		set_error(s, "cancelled");
		s->net_failed = true;
		return;
	}
	const char *cap = imap_limit_error(s->imap);
	if (cap) { /* not a lost connection: we ended it, and the user should know why */
		set_error(s, "%s: %s (%s%s%s); giving up", s->account, cap, what, folder ? " of " : "",
			  folder ? folder : "");
		s->net_failed = true;
		return;
	}
	if (r == IMAPDRV_LOST) {
		const char *why = imap_error(s->imap);
		set_error(s, "%s: connection lost during %s%s%s", s->account, what, why && *why ? ": " : "",
			  why ? why : "");
		s->net_failed = true;
		return;
	}
	folder_error(s, folder, "%s: %s failed: %s", folder ? folder : "", what, imapdrv_server_text(s->imap));
}

/* ---- header-only stubs (sync_max_size) ---- */

#define STUB_HEADER "X-Muttlike-Stub: "

uint32_t sync_stub_size(const char *data, size_t len)
{
	/* The marker is always the first line we write, so only the start
	 * is looked at (a header further down is the sender's, not ours). */
	size_t hl = strlen(STUB_HEADER);
	if (!data || len <= hl || strncasecmp(data, STUB_HEADER, hl) != 0)
		return 0;
	unsigned long v = 0;
	size_t i = hl;
	for (; i < len && data[i] >= '0' && data[i] <= '9' && v <= UINT32_MAX; i++)
		v = v * 10 + (unsigned long)(data[i] - '0');
	if (i == hl || v == 0 || v > UINT32_MAX)
		return 0;
	return (uint32_t)v;
}

/* A stub: our marker line, the server's header (which ends with its
 * blank line), and a line saying where the rest is. */
static char *make_stub(const char *hdr, size_t hlen, uint32_t size, size_t *outlen)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addf(&b, STUB_HEADER "%u\r\n", size);
	strbuf_add(&b, hdr, hlen);
	if (hlen < 2 || hdr[hlen - 2] != '\r' || hdr[hlen - 1] != '\n')
		strbuf_adds(&b, "\r\n");
	if (hlen < 4 || memcmp(hdr + hlen - 4, "\r\n\r\n", 4) != 0)
		strbuf_adds(&b, "\r\n");
	strbuf_addf(&b,
		    "[muttlike: this message is %u bytes, more than sync_max_size; only its header was "
		    "downloaded. Opening it fetches the rest.]\r\n",
		    size);
	*outlen = b.len;
	char *out = strbuf_detach(&b);
	strbuf_free(&b);
	return out;
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
	bool kw_ok;           /* PERMANENTFLAGS has \*: new keywords can be stored */
	bool tags_known;      /* tagged holds the index's view of this folder */
	bool recovered;       /* the store reconciled after a crash (store_recovered) */
	struct store_tagged *tagged; /* owned, sorted by path */
	size_t ntagged;
	bool scan_deferred;   /* local not listed yet: see folder_key */
	bool verify;          /* compare with the server's full UID list this pass */
	bool repair;          /* sync --verify: a missing file is damage, fetched again */
	bool mailboxid_new;   /* the state learned its MAILBOXID this pass */
	uint32_t *gone;       /* owned, sorted: UIDs this pass removed from the server */
	size_t ngone;
};

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

static char *store_path(struct folder_ctx *c, const char *name)
{
	return xasprintf("%s/%s", c->store_prefix, name);
}

static int tagged_path_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct store_tagged *)elem)->path);
}

/* The local keyword set of a file: its message's keyword tags.  When the
 * index cannot tell (file not indexed yet, database unreadable) the local
 * side is taken as unchanged (base), so that an unknown is never read as
 * "every keyword removed".  After a crash the index may have lost tags it
 * had been given, so a missing tag is not a removal then either (base is
 * added back).  Without PERMANENTFLAGS \* only keywords the server already
 * knows can be stored, so other tags stay local.  *raw gets the keyword
 * tags the index really has, to learn which tags to add. */
static char *local_keywords(struct folder_ctx *c, const struct maildir_entry *e, const char *base_kw,
			    const char *remote_kw, char **raw)
{
	const struct store_tagged *t = NULL;
	if (c->tags_known && c->ntagged) {
		char *p = store_path(c, e->name);
		t = bsearch(p, c->tagged, c->ntagged, sizeof(*c->tagged), tagged_path_cmp);
		free(p);
	}
	if (!t) {
		*raw = base_kw ? xstrdup(base_kw) : NULL;
		return base_kw ? xstrdup(base_kw) : NULL;
	}
	char *lk = keywords_of_tags(t->tags);
	/* A server keyword spelled like a local-only tag ("inbox", "new" ...)
	 * has no local side: it counts as unchanged here, so only the server
	 * adds or removes it. */
	struct kwset b;
	kw_split(&b, base_kw);
	size_t w = 0;
	for (size_t i = 0; i < b.n; i++)
		if (!sync_tag_is_keyword(b.v[i]))
			b.v[w++] = b.v[i];
	if (w) {
		char *extra = kw_join(b.v, w);
		char *u = sync_merge_keywords(NULL, lk, extra);
		free(extra);
		free(lk);
		lk = u;
	}
	kw_free(&b);
	*raw = lk ? xstrdup(lk) : NULL;
	if (c->recovered) {
		char *u = sync_merge_keywords(NULL, lk, base_kw); /* empty base: the union */
		free(lk);
		lk = u;
	}
	if (!c->kw_ok && lk) {
		struct kwset l, b, r;
		kw_split(&l, lk);
		kw_split(&b, base_kw);
		kw_split(&r, remote_kw);
		size_t w = 0;
		for (size_t i = 0; i < l.n; i++)
			if (kw_find(&b, l.v[i]) || kw_find(&r, l.v[i]))
				l.v[w++] = l.v[i];
		free(lk);
		lk = kw_join(l.v, w);
		kw_free(&l);
		kw_free(&b);
		kw_free(&r);
	}
	return lk;
}

/* Keep what the guard stopped, for the reader to ask about (sync_guards). */
static void guard_report(struct sync *s, const char *folder, size_t deleted, size_t total, bool local)
{
	s->guards = xreallocarray(s->guards, s->nguards + 1, sizeof(*s->guards));
	s->guards[s->nguards++] = (struct sync_guard){ .folder = xstrdup(folder), .deleted = deleted,
						       .total = total, .local = local };
}

static void guards_clear(struct sync *s)
{
	for (size_t i = 0; i < s->nguards; i++)
		free(s->guards[i].folder);
	xfree(&s->guards);
	s->nguards = 0;
}

size_t sync_guards(const struct sync *s, const struct sync_guard **out)
{
	*out = s->guards;
	return s->nguards;
}

void sync_set_allow_deletes(struct sync *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < s->n_allow; i++)
		free(s->allow[i]);
	free(s->allow);
	s->n_allow = n;
	s->allow = xcalloc(n + 1, sizeof(*s->allow));
	for (size_t i = 0; i < n; i++)
		s->allow[i] = xstrdup(names[i]);
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

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* UID SEARCH ALL: every UID in the folder, sorted. */
static enum imapdrv_rc search_all(struct sync *s, uint32_t **out, size_t *n)
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
static enum imapdrv_rc fetch_ids(struct sync *s, struct idsize **out, size_t *n)
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
	imapdrv_batch_free(&b);
	return IMAPDRV_OK;
}

/* The folder's UIDVALIDITY changed: give every local message that matches
 * a server message (same Message-ID and size) the new UID, keep the rest
 * as orphans, and start the state afresh. */
static int scan_local(struct sync *s, struct folder_ctx *c);

static int remap_uidvalidity(struct sync *s, struct folder_ctx *c, uint32_t newv)
{
	if (c->scan_deferred && scan_local(s, c) < 0)
		return -1;
	struct idsize *ids;
	size_t nids;
	enum imapdrv_rc rc = fetch_ids(s, &ids, &nids);
	if (rc != IMAPDRV_OK) {
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
		if (maildir_read(c->dir, e->name, &data, &len) == 0) {
			mid = maildir_message_id(data, len);
			/* A stub stands for the server's size, not its own. */
			uint32_t ss = sync_stub_size(data, len);
			if (ss)
				len = ss;
		}
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

static enum imapdrv_rc uid_store(struct sync *s, const uint32_t *uids, size_t n, unsigned flags, bool add)
{
	s->server_written = true;
	return imapdrv_store(s->imap, uids, n, add, flags, NULL);
}

/* Delete uids (sorted) on the server as the account's policy says. */
/* delete_policy = trash (not expunge). */
static bool policy_trash(const struct sync *s)
{
	return conf_enum(s->conf, s->acct, OPT_ID_delete_policy) == 0;
}

/* A Gmail-shaped account: LIST has a folder marked \All (All Mail), so
 * the same message sits in several folders. */
static bool has_all_folder(const struct sync *s)
{
	for (size_t i = 0; i < s->nfolders; i++)
		if (s->folders[i].special == IMAP_SPECIAL_ALL)
			return true;
	return false;
}

/* A label of a Gmail account: the server says it is Gmail (X-GM-EXT-1)
 * and has an \All folder, and f is neither INBOX nor a special-use
 * folder.  Deleting there removes the label; Gmail keeps the message in
 * All Mail and its other labels (doc/sync.md, Gmail).  An \All folder
 * alone is not enough: on Dovecot's virtual All an expunge is for good. */
static bool gmail_label(const struct sync *s, const struct imap_folder *f)
{
	return imap_has_cap(s->imap, IMAP_CAP_GMAIL) && f->special == IMAP_SPECIAL_NONE &&
	       strcasecmp(f->raw, "INBOX") != 0 && has_all_folder(s);
}

static enum imapdrv_rc remote_delete(struct sync *s, struct folder_ctx *c, const uint32_t *uids, size_t n)
{
	s->server_written = true;
	bool to_trash = policy_trash(s) && s->trash_raw && strcmp(s->trash_raw, c->f->raw) != 0 && !gmail_label(s, c->f);
	if (to_trash && imap_has_cap(s->imap, IMAP_CAP_MOVE))
		return imapdrv_move(s->imap, uids, n, s->trash_raw, NULL, NULL);
	enum imapdrv_rc rc = IMAPDRV_OK;
	if (to_trash)
		rc = imapdrv_copy(s->imap, uids, n, s->trash_raw, NULL, NULL);
	if (rc == IMAPDRV_OK)
		rc = uid_store(s, uids, n, MAILDIR_F_TRASHED, true);
	/* Without UIDPLUS, EXPUNGE would also remove messages that
	 * others marked \Deleted; leave them marked instead. */
	if (rc == IMAPDRV_OK && imap_has_cap(s->imap, IMAP_CAP_UIDPLUS))
		rc = imapdrv_expunge(s->imap, uids, n);
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
	uint32_t uid = imapdrv_search_message_id(s->imap, from, mid);
	free(mid);
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
	for (size_t i = 0; i < c->local.n; i++) {
		struct maildir_entry *e = &c->local.v[i];
		if (e->has_uid)
			continue;
		char *data;
		size_t len;
		if (maildir_read(c->dir, e->name, &data, &len) < 0)
			continue;
		if (sync_stub_size(data, len)) {
			/* Uploading a stub would replace a message by its header
			 * on the server; it stays here, untouched. */
			warn(s, c->name, "%s: %s is a header-only stub without a server copy; not uploaded", c->name,
			     e->name);
			free(data);
			continue;
		}
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
		uint32_t uv = 0, uid = 0;
		size_t cl = 0;
		char *crlf = to_crlf(data, len, &cl);
		s->server_written = true;
		enum imapdrv_rc rc =
			imapdrv_append(s->imap, c->f->raw, e->flags, crlf ? crlf : data, crlf ? cl : len, &uv, &uid);
		free(data);
		if (rc != IMAPDRV_OK) {
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

/* A fetched message staged in tmp/. */
struct staged_msg {
	struct maildir_staged f;
	uint32_t uid;
	unsigned flags;
	char *kw;  /* owned */
	size_t len;
	char *mid; /* owned, when s->copies */
};

/* The counts of one fetch_batches() run. */
struct fetch_pass {
	size_t n, done, since_save;
	long long t_net, t_local, t_start; /* MUTTLIKE_TIMING */
};

/* Stage one message (as a stub: its header only); 0 or an errno. */
static int stage_one(struct sync *s, struct folder_ctx *c, struct imapdrv_msg *fm, bool stubs, struct staged_msg *out)
{
	const char *body = fm->body;
	size_t len = fm->len;
	char *stub = NULL;
	if (stubs) {
		stub = make_stub(body, len, fm->size ? fm->size : (uint32_t)len, &len);
		body = stub;
	}
	int werr = 0;
	if (maildir_stage(c->dir, body, len, fm->uid, true, fm->flags, fm->idate, &out->f) < 0) {
		werr = errno;
	} else {
		out->uid = fm->uid;
		out->flags = fm->flags;
		out->kw = fm->kw;
		fm->kw = NULL;
		out->len = len;
		out->mid = s->copies && !stubs ? maildir_message_id(body, len) : NULL;
	}
	free(stub);
	return werr;
}

/* Stage the bodies of a batch in v (*nv of them); 0 or an errno. */
static int stage_batch(struct sync *s, struct folder_ctx *c, struct imapdrv_batch *b, bool stubs,
		       struct staged_msg *v, size_t *nv)
{
	int werr = 0;
	*nv = 0;
	for (size_t i = 0; i < b->n && !werr; i++) {
		struct imapdrv_msg *fm = &b->v[i];
		/* Unsolicited FETCHes (flag news about other messages) carry
		 * no body; the next pass sees those changes. */
		bool dup = false;
		for (size_t k = 0; k < *nv && !dup; k++)
			dup = v[k].uid == fm->uid;
		if (!fm->body || dup || state_get(c->st, fm->uid))
			continue;
		werr = stage_one(s, c, fm, stubs, &v[*nv]);
		if (!werr)
			(*nv)++;
	}
	return werr;
}

/* A committed message joins the index, the state, the copies and the
 * counts. */
static void record_fetched(struct sync *s, struct folder_ctx *c, const struct staged_msg *m, const char *name)
{
	fault_point("fetch");
	char *p = store_path(c, name);
	store_add(s->store, p, s->account, m->kw);
	free(p);
	state_put(c->st, m->uid, m->flags, m->kw);
	if (m->mid) {
		char *abs = xasprintf("%s/%s", c->dir, name);
		copies_note(s->copies, m->mid, m->len, abs);
		free(abs);
	}
	s->stats.fetched++;
	s->stats.bytes += m->len;
	s->pass_bytes += m->len;
}

/* Make the staged batch durable with one journal commit and one
 * directory fsync (or discard it after werr), and only then let the
 * state, the index or the progress count it.  0 or an errno. */
static int commit_batch(struct sync *s, struct folder_ctx *c, struct staged_msg *b, size_t nb, int werr,
			struct fetch_pass *fp)
{
	char **names = xcalloc(nb + 1, sizeof(*names));
	struct maildir_staged *v = xcalloc(nb + 1, sizeof(*v));
	for (size_t k = 0; k < nb; k++)
		v[k] = b[k].f;
	if (werr)
		maildir_staged_discard(v, nb);
	else if (maildir_commit(c->dir, v, nb, names) < 0)
		werr = errno;
	free(v);
	for (size_t k = 0; k < nb && !werr; k++) {
		record_fetched(s, c, &b[k], names[k]);
		fp->done++;
		fp->since_save++;
	}
	for (size_t k = 0; k < nb; k++) {
		free(b[k].kw);
		free(b[k].mid);
		free(names[k]);
	}
	free(names);
	return werr;
}

static int write_failed(struct sync *s, struct folder_ctx *c, int werr, size_t left)
{
	if (werr == ENOSPC || werr == EDQUOT) {
		folder_error(s, c->name, "%s: disk full at %s: %zu messages not stored; free space and run sync again",
			     c->name, c->dir, left);
		return -1;
	}
	if (werr) {
		folder_error(s, c->name, "%s: cannot write a message into %s: %s", c->name, c->dir, strerror(werr));
		return -1;
	}
	return 0;
}

/* One UID FETCH of bodies, staged, committed and counted. */
static int fetch_batch(struct sync *s, struct folder_ctx *c, const uint32_t *uids, size_t n, bool stubs,
		       struct fetch_pass *fp)
{
	unsigned items = IMAPDRV_FLAGS | IMAPDRV_IDATE | (stubs ? IMAPDRV_SIZE | IMAPDRV_HEADER : IMAPDRV_BODY);
	struct imapdrv_batch b;
	long long t0 = net_now_ms();
	if (fault_hit("drop-fetch"))
		imapdrv_drop(s->imap);
	enum imapdrv_rc rc = imapdrv_fetch(s->imap, uids, n, items, 0, &b);
	fp->t_net += net_now_ms() - t0;
	t0 = net_now_ms();
	if (rc != IMAPDRV_OK) {
		imap_failed(s, rc, c->name, "UID FETCH (BODY)");
		return -1;
	}
	struct staged_msg *v = xcalloc(b.n + 1, sizeof(*v));
	size_t nv = 0;
	int werr = stage_batch(s, c, &b, stubs, v, &nv);
	imapdrv_batch_free(&b);
	werr = commit_batch(s, c, v, nv, werr, fp);
	free(v);
	fp->t_local += net_now_ms() - t0;
	return write_failed(s, c, werr, fp->n - fp->done);
}

/* Download uids (sorted ascending) newest first, in bounded batches;
 * stubs: only the header of each (see make_stub). */
static int fetch_batches(struct sync *s, struct folder_ctx *c, const uint32_t *uids, size_t n, bool stubs)
{
	struct fetch_pass fp = { .n = n, .t_start = net_now_ms() };
	emit(s, SYNC_EV_PROGRESS, c->name, 0, n, NULL);
	size_t end = n; /* fetch uids[start..end) newest first */
	while (end > 0 && !s->cancelled) {
		size_t start = end > FETCH_BATCH ? end - FETCH_BATCH : 0;
		if (fetch_batch(s, c, uids + start, end - start, stubs, &fp) < 0)
			return -1;
		end = start;
		emit(s, SYNC_EV_PROGRESS, c->name, fp.done, n, NULL);
		if (fp.since_save >= STATE_SAVE_EVERY) {
			if (save_state(s, c) < 0)
				return -1;
			fp.since_save = 0;
		}
	}
	if (getenv("MUTTLIKE_TIMING"))
		log_info("%s: timing: %zu fetched in %.2f s: FETCH %.2f s, files and queue %.2f s", c->name, fp.done,
			 (net_now_ms() - fp.t_start) / 1e3, fp.t_net / 1e3, fp.t_local / 1e3);
	return s->cancelled ? -1 : 0;
}

/* The UIDs of uids (sorted) whose message is larger than max, sorted,
 * into big (*nbig); one UID FETCH (RFC822.SIZE). */
static int big_ones(struct sync *s, struct folder_ctx *c, const uint32_t *uids, size_t n, long max, uint32_t *big,
		    size_t *nbig)
{
	struct imapdrv_batch b;
	enum imapdrv_rc rc = imapdrv_fetch(s->imap, uids, n, IMAPDRV_SIZE, 0, &b);
	*nbig = 0;
	if (rc != IMAPDRV_OK) {
		imap_failed(s, rc, c->name, "UID FETCH (RFC822.SIZE)");
		return -1;
	}
	for (size_t i = 0; i < b.n; i++)
		if (b.v[i].size > (uint64_t)max && bsearch(&b.v[i].uid, uids, n, sizeof(*uids), u32_cmp))
			big[(*nbig)++] = b.v[i].uid;
	imapdrv_batch_free(&b);
	qsort(big, *nbig, sizeof(*big), u32_cmp);
	size_t w = 0;
	for (size_t i = 0; i < *nbig; i++)
		if (!w || big[w - 1] != big[i])
			big[w++] = big[i];
	*nbig = w;
	return 0;
}

/* Download new messages; with sync_max_size, the larger ones as stubs
 * (their sizes are asked first, in one command). */
static int download_new(struct sync *s, struct folder_ctx *c, const uint32_t *uids, size_t n)
{
	long max = conf_num(s->conf, -1, OPT_ID_sync_max_size);
	if (max <= 0)
		return fetch_batches(s, c, uids, n, false);
	uint32_t *big = xreallocarray(NULL, n + 1, sizeof(*big));
	size_t nbig = 0;
	if (big_ones(s, c, uids, n, max, big, &nbig) < 0) {
		free(big);
		return -1;
	}
	uint32_t *small = xreallocarray(NULL, n + 1, sizeof(*small));
	size_t nsmall = 0;
	for (size_t i = 0; i < n; i++)
		if (!bsearch(&uids[i], big, nbig, sizeof(*big), u32_cmp))
			small[nsmall++] = uids[i];
	int r = 0;
	if (nsmall)
		r = fetch_batches(s, c, small, nsmall, false);
	if (r == 0 && nbig)
		r = fetch_batches(s, c, big, nbig, true);
	free(small);
	free(big);
	return r;
}

/* One message of reuse_copies(): written from the local copy when there
 * is one.  True when it was; *werr an errno on failure. */
static bool reuse_one(struct sync *s, struct folder_ctx *c, const struct imapdrv_msg *fm, const uint32_t *uids,
		      size_t n, int *werr)
{
	char *mid = fm->body ? maildir_message_id(fm->body, fm->len) : NULL;
	char *data = NULL;
	if (bsearch(&fm->uid, uids, n, sizeof(*uids), u32_cmp) && !state_get(c->st, fm->uid))
		data = copies_read(s->copies, mid, fm->size);
	struct maildir_staged one;
	char *name = NULL;
	if (data && maildir_stage(c->dir, data, fm->size, fm->uid, true, fm->flags, fm->idate, &one) < 0)
		*werr = errno;
	else if (data && maildir_commit(c->dir, &one, 1, &name) < 0)
		*werr = errno;
	bool taken = data && !*werr;
	if (taken) {
		char *p = store_path(c, name);
		store_add(s->store, p, s->account, fm->kw);
		free(p);
		state_put(c->st, fm->uid, fm->flags, fm->kw);
		char *abs = xasprintf("%s/%s", c->dir, name);
		copies_note(s->copies, mid, fm->size, abs);
		free(abs);
		s->stats.copied++;
	}
	free(name);
	free(data);
	free(mid);
	return taken;
}

/* Take the new messages of uids (sorted) that the account already has in
 * another folder from there (copies.h): one UID FETCH of their sizes,
 * flags, dates and Message-IDs, then each copy written as a fetched one
 * would be (tmp -> fdatasync -> cur, the state, the index).  rest gets the
 * UIDs still to download (*nrest of them). */
static int reuse_copies(struct sync *s, struct folder_ctx *c, const uint32_t *uids, size_t n, uint32_t *rest,
			size_t *nrest)
{
	struct imapdrv_batch b;
	enum imapdrv_rc rc = imapdrv_fetch(s->imap, uids, n,
					   IMAPDRV_FLAGS | IMAPDRV_IDATE | IMAPDRV_SIZE | IMAPDRV_MESSAGE_ID, 0, &b);
	if (rc != IMAPDRV_OK) {
		imap_failed(s, rc, c->name, "UID FETCH (Message-ID)");
		return -1;
	}
	uint32_t *taken = xcalloc(n + 1, sizeof(*taken));
	size_t ntaken = 0;
	int werr = 0;
	for (size_t i = 0; i < b.n && !werr; i++)
		if (reuse_one(s, c, &b.v[i], uids, n, &werr))
			taken[ntaken++] = b.v[i].uid;
	imapdrv_batch_free(&b);
	qsort(taken, ntaken, sizeof(*taken), u32_cmp);
	*nrest = 0;
	for (size_t i = 0; i < n; i++)
		if (!bsearch(&uids[i], taken, ntaken, sizeof(*taken), u32_cmp))
			rest[(*nrest)++] = uids[i];
	free(taken);
	if (werr) {
		folder_error(s, c->name, "%s: cannot write a message into %s: %s", c->name, c->dir, strerror(werr));
		return -1;
	}
	return 0;
}

/* New messages: copied from the local mirror when it has them already
 * (a Gmail-shaped account), else downloaded. */
static int fetch_new(struct sync *s, struct folder_ctx *c, const uint32_t *uids, size_t n)
{
	if (!s->copies || !n)
		return download_new(s, c, uids, n);
	uint32_t *rest = xcalloc(n + 1, sizeof(*rest));
	size_t nrest = 0;
	int r = reuse_copies(s, c, uids, n, rest, &nrest);
	if (r == 0 && nrest)
		r = download_new(s, c, rest, nrest);
	free(rest);
	return r;
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

/* UID STORE of keywords (space-separated) on one message. */
static enum imapdrv_rc uid_store_kw(struct sync *s, uint32_t uid, const char *kws, bool add)
{
	s->server_written = true;
	return imapdrv_store(s->imap, &uid, 1, add, 0, kws);
}

/* The keywords the state may record for x now: the merged ones once the
 * server has them, else the old base. */
static const char *kw_for_state(const struct uidinfo *x)
{
	if (x->kw_add || x->kw_rem)
		return x->base ? x->base->keywords : NULL;
	return x->mkw;
}

static bool held(const struct sync *s, const char *rel, uint32_t uid);

/* MERGE_FLAGS for one UID: flags and keywords three ways; the server's
 * side is queued in groups (pushed by the caller), the local side goes
 * through the store writer.  True when the local side changed. */
static bool apply_flags(struct sync *s, struct folder_ctx *c, struct uidinfo *x, const struct merge_out *o,
			struct push_group **groups, size_t *ngroups)
{
	unsigned merged = o->merged, add = o->push_add, rem = o->push_rem;
	if (add || rem || o->pull)
		log_debug("%s: %s uid %u: base %02x local %02x server %02x -> %02x", s->account, c->name,
			  x->uid, x->base ? x->base->flags : x->loc->flags, x->loc->flags, x->rflags, merged);
	if (add || rem)
		push_add(groups, ngroups, add, rem, x->uid);
	/* Keywords, three ways like the flags. */
	const char *bkw = x->base ? x->base->keywords : NULL;
	char *lraw = NULL;
	char *lkw = local_keywords(c, x->loc, bkw, x->rkw, &lraw);
	x->mkw = sync_merge_keywords(bkw, lkw, x->rkw);
	x->kw_add = kw_minus(x->mkw, x->rkw, "");
	x->kw_rem = kw_minus(x->rkw, x->mkw, "");
	/* Add what the index lacks (also tags a crash lost);
	 * remove only tags that took part in the merge. */
	char *ladd = kw_minus(x->mkw, lraw, "+"), *lrem = kw_minus(lkw, x->mkw, "-");
	free(lraw);
	bool kw_pulled = ladd || lrem;
	if (kw_pulled) {
		/* Before any rename below: the writer finds the
		 * message by this file name. */
		char *ch = xasprintf("%s%s%s", ladd ? ladd : "", ladd && lrem ? " " : "", lrem ? lrem : "");
		char *p = store_path(c, x->loc->name);
		log_debug("%s: %s uid %u: keywords base '%s' local '%s' server '%s' -> '%s'", s->account,
			  c->name, x->uid, bkw ? bkw : "", lkw ? lkw : "", x->rkw ? x->rkw : "",
			  x->mkw ? x->mkw : "");
		store_retag(s->store, p, ch);
		free(p);
		free(ch);
	}
	free(ladd);
	free(lrem);
	free(lkw);
	/* A local rename by a tool that did not tell notmuch:
	 * index the new name (which drops the old one). */
	if (merged == x->loc->flags && x->base && x->base->flags != x->loc->flags) {
		char *p = store_path(c, x->loc->name);
		store_add(s->store, p, s->account, x->mkw);
		free(p);
	}
	bool flags_pulled = merged != x->loc->flags;
	if (flags_pulled) {
		/* The store writer renames the file (through notmuch);
		 * flushed below, before the state can say so. */
		char *p = store_path(c, x->loc->name);
		store_set_flags(s->store, p, merged, s->account, x->mkw);
		free(p);
		x->loc->flags = merged;
	}
	if (kw_pulled || flags_pulled)
		s->stats.pulled++;
	/* The state learns the merged value only once the push
	 * is done (below), so a crash retries it; until the
	 * keywords are stored, the state keeps the old keywords
	 * (a crash then merges them again, never reading a
	 * keyword added here as one the server removed). */
	if (!(add || rem))
		state_put(c->st, x->uid, merged, kw_for_state(x));
	return kw_pulled || flags_pulled;
}

/* MERGE_DELETE_LOCAL: the server expunged it. */
static void delete_local(struct sync *s, struct folder_ctx *c, const struct uidinfo *x)
{
	char *p = store_path(c, x->loc->name);
	if (maildir_remove(c->dir, x->loc->name) == 0) {
		store_remove(s->store, p);
		s->stats.deleted++;
		state_del(c->st, x->uid);
		fault_point("delete");
	}
	free(p);
}

/* The merge: decide and apply everything but the downloads. */
static int merge_and_apply(struct sync *s, struct folder_ctx *c, struct imapdrv_flist *r, bool r_complete,
			   const uint32_t *alluids, size_t nall, uint32_t **fetch, size_t *nfetch)
{
	/* Every UID any side knows. */
	size_t cap = state_count(c->st) + c->local.n + r->n + nall + 1;
	uint32_t *u = xreallocarray(NULL, cap, sizeof(*u));
	size_t nu = 0;
	for (size_t i = 0; i < state_count(c->st); i++)
		u[nu++] = state_at(c->st, i)->uid;
	for (size_t i = 0; i < c->local.n; i++)
		if (c->local.v[i].has_uid && c->local.v[i].uid)
			u[nu++] = c->local.v[i].uid;
	for (size_t i = 0; i < r->n; i++)
		u[nu++] = r->v[i].uid;
	/* Every UID the server has, also those neither the state nor a file
	 * knows (a gap an interrupted pass left below messages it did fetch):
	 * those are fetched below, whatever told us of them. */
	for (size_t i = 0; i < nall; i++)
		u[nu++] = alluids[i];
	qsort(u, nu, sizeof(*u), u32_cmp);
	size_t w = 0;
	for (size_t i = 0; i < nu; i++)
		if (!w || u[w - 1] != u[i])
			u[w++] = u[i];
	nu = w;

	struct uidinfo *info = xreallocarray(NULL, nu + 1, sizeof(*info));
	size_t nbase = state_count(c->st);
	struct merge_in *in = xreallocarray(NULL, nu + 1, sizeof(*in));
	*fetch = xreallocarray(NULL, nu + 1, sizeof(**fetch));
	*nfetch = 0;
	for (size_t i = 0; i < nu; i++) {
		struct uidinfo *x = &info[i];
		x->uid = u[i];
		const struct state_msg *b = state_get(c->st, u[i]);
		x->base = NULL;
		x->base_copy = (struct state_msg){ 0 };
		x->mkw = x->kw_add = x->kw_rem = NULL;
		if (b) {
			x->base_copy = *b;
			x->base_copy.keywords = b->keywords ? xstrdup(b->keywords) : NULL;
			x->base = &x->base_copy;
		}
		x->loc = maildir_list_find(&c->local, u[i]);
		struct imapdrv_flags *rm = imapdrv_flist_find(r, u[i]);
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
			else if (!x->base && x->loc)
				exists = true; /* unknown here: never read as expunged (see learn_changes) */
			x->on_server = exists;
			if (x->on_server && x->base) {
				x->rflags = x->base->flags;
				x->rkw = x->base->keywords;
			} else if (x->on_server && x->loc) {
				x->rflags = x->loc->flags; /* adopted: its name is its base */
				x->rkw = NULL;
			}
		}
		if (!x->loc && x->on_server && x->base && c->repair) {
			/* --verify: the state says mirrored, the file is gone:
			 * damage, not a deletion; fetch it again. */
			log_info("%s: %s: verify: uid %u is on the server and in the state but has no file; fetching it "
				 "again",
				 s->account, c->name, x->uid);
			state_del(c->st, x->uid);
			x->base = NULL;
			s->stats.repaired_fetched++;
		}
		in[i] = (struct merge_in){ .uid = x->uid,
					   .has_base = x->base != NULL,
					   .has_local = x->loc != NULL,
					   .on_server = x->on_server,
					   .base_flags = x->base ? x->base->flags : 0,
					   .local_flags = x->loc ? x->loc->flags : 0,
					   .server_flags = x->rflags };
	}

	struct merge_out *plan = xreallocarray(NULL, nu + 1, sizeof(*plan));
	struct merge_summary sum;
	merge_decide(in, nu, nbase, conf_num(s->conf, -1, OPT_ID_sync_delete_guard), c->allow_deletes, plan, &sum);
	free(in);
	for (size_t i = 0; i < nu; i++) {
		if (plan[i].action == MERGE_FETCH)
			(*fetch)[(*nfetch)++] = info[i].uid;
		else if (plan[i].action == MERGE_DELETE_REMOTE && held(s, c->rel, info[i].uid))
			plan[i].action = MERGE_HELD; /* a move the server has not confirmed */
	}
	if (sum.guard_local) {
		folder_error(s, c->name,
			     "%s: the server no longer has %zu of the %zu local messages; not deleting them "
			     "locally. If that is right, run: muttlike sync %s --allow-deletes '%s'",
			     c->name, sum.ndel_local, sum.nlocal, s->account, c->name);
		guard_report(s, c->name, sum.ndel_local, sum.nlocal, false);
	}
	if (sum.guard_remote) {
		folder_error(s, c->name,
			     "%s: %zu of %zu messages were deleted locally; not deleting them on the server. If "
			     "that is right, run: muttlike sync %s --allow-deletes '%s'",
			     c->name, sum.ndel_remote, nbase, s->account, c->name);
		guard_report(s, c->name, sum.ndel_remote, nbase, true);
	}

	struct push_group *groups = NULL;
	size_t ngroups = 0, npulled = 0;
	uint32_t *rdel = xreallocarray(NULL, nu + 1, sizeof(*rdel));
	size_t nrdel = 0;
	int result = 0;

	for (size_t i = 0; i < nu; i++) {
		struct uidinfo *x = &info[i];
		switch (plan[i].action) {
		case MERGE_FLAGS:
			npulled += apply_flags(s, c, x, &plan[i], &groups, &ngroups);
			break;
		case MERGE_DELETE_LOCAL:
			delete_local(s, c, x);
			break;
		case MERGE_DELETE_REMOTE:
			rdel[nrdel++] = x->uid;
			break;
		case MERGE_FORGET:
			state_del(c->st, x->uid);
			break;
		case MERGE_FETCH:
		case MERGE_HELD:
			break;
		}
	}
	free(plan);

	/* The new flags must be on disk before any state records them: a
	 * crash in between would otherwise look like a local change and undo
	 * the server's. */
	if (npulled && store_flush(s->store))
		folder_error(s, c->name, "%s: could not apply some flag changes locally (see the log)", c->name);

	/* Files deleted here by hand leave stale names in the index. */
	if (sum.ndel_remote)
		store_prune(s->store, c->store_prefix);

	for (size_t g = 0; g < ngroups && result == 0; g++) {
		struct push_group *p = &groups[g];
		enum imapdrv_rc rc = IMAPDRV_OK;
		if (p->add)
			rc = uid_store(s, p->uids, p->n, p->add, true);
		if (rc == IMAPDRV_OK && p->rem)
			rc = uid_store(s, p->uids, p->n, p->rem, false);
		if (rc != IMAPDRV_OK) {
			imap_failed(s, rc, c->name, "UID STORE");
			result = -1;
			break;
		}
		fault_point("push");
		for (size_t k = 0; k < p->n; k++) {
			struct maildir_entry *e = maildir_list_find(&c->local, p->uids[k]);
			const struct uidinfo *x = bsearch(&p->uids[k], info, nu, sizeof(*info), uidinfo_cmp);
			char *kwcopy = x && kw_for_state(x) ? xstrdup(kw_for_state(x)) : NULL;
			if (e)
				state_put(c->st, p->uids[k], e->flags, kwcopy);
			free(kwcopy);
		}
		s->stats.pushed += p->n;
	}
	/* Keywords: one UID STORE per changed message (keyword changes are
	 * few, and their sets differ from message to message). */
	for (size_t i = 0; i < nu && result == 0; i++) {
		struct uidinfo *x = &info[i];
		if (!x->kw_add && !x->kw_rem)
			continue;
		enum imapdrv_rc rc = IMAPDRV_OK;
		if (x->kw_add)
			rc = uid_store_kw(s, x->uid, x->kw_add, true);
		if (rc == IMAPDRV_OK && x->kw_rem)
			rc = uid_store_kw(s, x->uid, x->kw_rem, false);
		if (rc != IMAPDRV_OK) {
			imap_failed(s, rc, c->name, "UID STORE (keywords)");
			result = -1;
			break;
		}
		fault_point("push");
		const struct state_msg *b = state_get(c->st, x->uid);
		unsigned fl = b ? b->flags : x->loc ? x->loc->flags : 0;
		state_put(c->st, x->uid, fl, x->mkw);
		s->stats.pushed++;
	}
	if (result == 0 && nrdel && policy_trash(s) && !s->trash_raw && !gmail_label(s, c->f)) {
		/* delete_policy = trash and nothing to move to: an expunge
		 * here would take the only server copy.  Keep them (the state
		 * keeps their UIDs, so every pass says so again). */
		folder_error(s, c->name,
			     "%s: no Trash folder on the server (none marked \\Trash, none named Trash); not deleting "
			     "%zu messages there: set trash = \"<folder>\" or delete_policy = expunge",
			     c->name, nrdel);
		nrdel = 0;
	}
	if (result == 0 && nrdel) {
		enum imapdrv_rc rc = remote_delete(s, c, rdel, nrdel);
		if (rc != IMAPDRV_OK) {
			imap_failed(s, rc, c->name, "deleting on the server");
			result = -1;
		} else {
			fault_point("delete");
			for (size_t k = 0; k < nrdel; k++)
				state_del(c->st, rdel[k]);
			c->gone = xreallocarray(c->gone, nrdel + 1, sizeof(*c->gone));
			memcpy(c->gone, rdel, nrdel * sizeof(*rdel)); /* ascending, like u */
			c->ngone = nrdel;
			s->stats.pushed += nrdel;
		}
	}
	for (size_t g = 0; g < ngroups; g++)
		free(groups[g].uids);
	free(groups);
	free(rdel);
	for (size_t i = 0; i < nu; i++) {
		free(info[i].base_copy.keywords);
		free(info[i].mkw);
		free(info[i].kw_add);
		free(info[i].kw_rem);
	}
	free(info);
	free(u);
	return result;
}

/* ---- QRESYNC (RFC 7162) ---- */

/* known-uids for SELECT (QRESYNC ...): the state's UIDs as ranges, and
 * every UID above the highest of them ("1:5,9,10:4294967295").  Dovecot
 * sends FETCH and VANISHED only for UIDs in this set, so the open range is
 * what brings the messages that arrived since (and those a pass fetched
 * before a crash kept it from saving the state).  NULL (no known-uids: no
 * limit) when the state has no message or its UIDs are too scattered for
 * a short command line. */
static char *known_uids(const struct state *st)
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
static uint32_t *qresync_uids(const struct state *st, const struct imapdrv_range *rg, size_t nr,
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
		qsort(v, k, sizeof(*v), u32_cmp);
	size_t w = 0;
	for (size_t i = 0; i < k; i++)
		if (!w || v[w - 1] != v[i])
			v[w++] = v[i];
	*n = w;
	return v;
}

/* What learn_remote() found out about the server's side of a folder. */
struct remote {
	struct imapdrv_flist r; /* the flags of its messages (sorted) */
	bool complete;          /* r lists every message, else only the changed ones */
	uint32_t *alluids;      /* owned: every UID on the server, when asked; else NULL */
	size_t nall;
	uint32_t uidvalidity, uidnext;
	uint64_t modseq;
	bool noop;              /* nothing changed on the server */
};

static void remote_clear(struct remote *rm)
{
	imapdrv_flist_clear(&rm->r);
	xfree(&rm->alluids);
	rm->nall = 0;
}

static int learn_changes(struct sync *s, struct folder_ctx *c, struct remote *rm, bool condstore,
			 struct imapdrv_selected *sel);

/* In the state, or removed from the server by this pass. */
static bool claimed(const struct folder_ctx *c, uint32_t uid)
{
	return state_get(c->st, uid) || (c->ngone && bsearch(&uid, c->gone, c->ngone, sizeof(uid), u32_cmp));
}

/* How many of the server's messages (alluids when asked, else those in r:
 * the state's own are on the server by the merge) the state does not hold
 * after the merge and the fetch: non-zero means a UIDNEXT or
 * HIGHESTMODSEQ saved now would claim messages that are not on disk. */
static size_t state_unmirrored(const struct folder_ctx *c, const uint32_t *alluids, size_t nall,
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

/* SELECT, then learn what the server changed (rm). */
static int learn_remote(struct sync *s, struct folder_ctx *c, struct remote *rm)
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
		imap_failed(s, rc, c->name, "SELECT");
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

/* The SELECT (QRESYNC ...) answer: the changed messages, and every UID
 * but the vanished ones. */
static int learn_qresync(struct sync *s, struct folder_ctx *c, struct remote *rm, struct imapdrv_selected *sel)
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
	enum imapdrv_rc rc = search_all(s, &rm->alluids, &rm->nall);
	if (rc != IMAPDRV_OK) {
		imap_failed(s, rc, c->name, "UID SEARCH");
		return -1;
	}
	return 0;
}

/* UID FETCH (FLAGS): of what changed since the state's HIGHESTMODSEQ
 * (changed, and then every UID when the count does not add up), or of
 * every message. */
static int learn_flags(struct sync *s, struct folder_ctx *c, struct remote *rm, bool changed, uint32_t exists)
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
				rc = search_all(s, &rm->alluids, &rm->nall);
		}
	} else {
		rc = imapdrv_fetch_flags(s->imap, 0, &rm->r);
	}
	if (rc != IMAPDRV_OK) {
		imap_failed(s, rc, c->name, "UID FETCH (FLAGS)");
		return -1;
	}
	return 0;
}

/* After the SELECT of learn_remote(). */
static int learn_changes(struct sync *s, struct folder_ctx *c, struct remote *rm, bool condstore,
			 struct imapdrv_selected *sel)
{
	c->kw_ok = sel->keywords_ok;
	rm->uidvalidity = sel->uidvalidity;
	rm->uidnext = sel->uidnext;
	rm->modseq = sel->highestmodseq;
	rm->complete = true;
	rm->noop = false;
	bool qresync = sel->qresync;
	if (state_uidvalidity(c->st) && state_uidvalidity(c->st) != rm->uidvalidity) {
		qresync = false; /* the server ignored the QRESYNC parameters */
		if (remap_uidvalidity(s, c, rm->uidvalidity) < 0)
			return -1;
	}
	bool have_base = state_uidvalidity(c->st) == rm->uidvalidity && state_highestmodseq(c->st);
	if (condstore && rm->modseq && have_base && rm->uidnext && state_uidnext(c->st) == rm->uidnext &&
	    state_highestmodseq(c->st) == rm->modseq && sel->exists == state_count(c->st)) {
		rm->noop = true; /* nothing changed on the server */
		rm->complete = false;
		return 0;
	}
	if (sel->exists == 0)
		return 0; /* nothing there: every known UID is gone */
	if (qresync && rm->modseq && have_base)
		return learn_qresync(s, c, rm, sel);
	return learn_flags(s, c, rm, condstore && rm->modseq && have_base, sel->exists);
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
static bool stamp_matches(const struct sync *s, const char *rel, const char *key)
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

static void stamps_load(struct sync *s)
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
static void record_if_consistent(struct sync *s, const char *rel)
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
static void stamps_save(struct sync *s)
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

static int scan_local(struct sync *s, struct folder_ctx *c)
{
	c->scan_deferred = false;
	if (maildir_scan(c->dir, &c->local) < 0) {
		folder_error(s, c->name, "%s: cannot read %s: %s", c->name, c->dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* sync --verify: the index against the files of this folder, both ways.
 * A file the index lacks is indexed; an index entry whose file is gone is
 * dropped (store_prune). */
static void repair_index(struct sync *s, struct folder_ctx *c)
{
	maildir_list_clear(&c->local);
	if (maildir_scan(c->dir, &c->local) < 0)
		return;
	struct store_tagged *tagged = NULL;
	size_t ntagged = 0;
	if (store_folder_tags(s->store, c->store_prefix, &tagged, &ntagged) != 0)
		return;
	for (size_t i = 0; i < c->local.n; i++) {
		char *p = store_path(c, c->local.v[i].name);
		if (!ntagged || !bsearch(p, tagged, ntagged, sizeof(*tagged), tagged_path_cmp)) {
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
static void keep_mailboxid(struct sync *s, struct folder_ctx *c, int64_t prev_verified)
{
	if (!c->mailboxid_new)
		return;
	state_set_verified(c->st, prev_verified);
	save_state(s, c);
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
	struct remote rm = { 0 };
	uint32_t *fetch = NULL;
	size_t nfetch = 0;
	if (maildir_create(c.dir) < 0) {
		folder_error(s, f->name, "%s: cannot create %s: %s", f->name, c.dir, strerror(errno));
		goto out;
	}
	size_t stale = maildir_clean_tmp(c.dir, time(NULL));
	if (stale)
		log_info("%s: %s: removed %zu unfinished files from tmp/", s->account, f->name, stale);
	char key[320];
	folder_key(&c, key, sizeof(key)); /* before reading anything: see folder_key */
	c.scan_deferred = stamp_matches(s, c.rel, key);
	enum state_status sst = state_load(c.state_path, &c.st);
	if (sst == STATE_ERR_IO || sst == STATE_ERR_PARSE) {
		/* The Maildir names carry the UIDs, so starting over is safe. */
		warn(s, f->name, "%s: sync state %s unreadable; comparing everything again", f->name, c.state_path);
		state_free(&c.st);
		c.st = state_new();
	}
	state_set_folder(c.st, f->raw);
	if (sst != STATE_OK)
		c.scan_deferred = false;
	/* The verify pass: asked (--verify), due (sync_verify_interval), or
	 * the last pass over this folder did not finish (verified 0).  Until
	 * this pass ends well, the state says a verify is due. */
	int64_t prev_verified = state_verified(c.st);
	long ivl = conf_num(s->conf, -1, OPT_ID_sync_verify_interval);
	c.repair = s->verify;
	c.verify = s->verify || ivl <= 0 || prev_verified <= 0 || (int64_t)time(NULL) - prev_verified >= ivl;
	state_set_verified(c.st, 0);
	if (c.verify)
		c.scan_deferred = false;
	/* Nothing changed here (the key), nor in the tags, nor on the server
	 * by the STATUS that came with LIST (taken before this pass wrote
	 * anything to the server): not even a SELECT.  The same test as the
	 * CONDSTORE no-op in learn_remote. */
	if (c.scan_deferred && !c.verify && f->has_status && !s->server_written && s->tags_unchanged &&
	    !store_recovered(s->store) && state_highestmodseq(c.st) && f->st_uidvalidity &&
	    f->st_uidvalidity == state_uidvalidity(c.st) && f->st_uidnext == state_uidnext(c.st) &&
	    f->st_highestmodseq == state_highestmodseq(c.st) && f->st_messages == state_count(c.st)) {
		strbuf_addf(&s->stamps_new, "%s %s\n", key, c.rel);
		log_debug("%s: %s: no change here or on the server (LIST-STATUS) since the last pass; not selected, "
			  "not listed",
			  s->account, f->name);
		result = 0;
		if (imap_has_cap(s->imap, IMAP_CAP_OBJECTID) && !*state_mailboxid(c.st)) {
			/* A state from before MAILBOXIDs were kept learns it
			 * (once: one STATUS). */
			uint32_t uv;
			char *id = NULL;
			if (imapdrv_status_ids(s->imap, f->raw, &uv, &id) == IMAPDRV_OK && id &&
			    uv == state_uidvalidity(c.st)) {
				state_set_mailboxid(c.st, id);
				c.mailboxid_new = true;
			}
			free(id);
		}
		keep_mailboxid(s, &c, prev_verified);
		goto out;
	}
	if (!c.scan_deferred && scan_local(s, &c) < 0)
		goto out;
	if (learn_remote(s, &c, &rm) < 0)
		goto out;
	if (c.verify && !rm.complete && !rm.alluids) {
		/* The server's whole UID list: whatever the state or the
		 * extension in use says, a UID missing here is fetched. */
		enum imapdrv_rc rc = search_all(s, &rm.alluids, &rm.nall);
		if (rc != IMAPDRV_OK) {
			imap_failed(s, rc, c.name, "UID SEARCH");
			goto out;
		}
		if (!rm.alluids)
			rm.alluids = xcalloc(1, sizeof(*rm.alluids)); /* an empty folder */
	}
	if (c.verify)
		s->stats.verified++;
	/* The index's tags (the local side of the keyword merge); queued
	 * renames of the UIDVALIDITY re-map are applied before the query. */
	c.recovered = store_recovered(s->store);
	if (c.scan_deferred) {
		if (rm.noop && s->tags_unchanged && !c.recovered) {
			strbuf_addf(&s->stamps_new, "%s %s\n", key, c.rel);
			log_debug("%s: %s: no change here or on the server since the last pass; not listed", s->account,
				  f->name);
			result = 0; /* nothing changed on either side: nothing to list */
			keep_mailboxid(s, &c, prev_verified);
			goto out;
		}
		if (scan_local(s, &c) < 0)
			goto out;
	}
	/* Only files with a UID can have a base to merge against; without
	 * any (a first sync), asking would only wait for the writer to index
	 * everything queued so far, stalling the fetch. */
	bool any_uid = false;
	for (size_t i = 0; i < c.local.n && !any_uid; i++)
		any_uid = c.local.v[i].has_uid && c.local.v[i].uid;
	if (any_uid && (!s->tags_unchanged || c.recovered))
		c.tags_known = store_folder_tags(s->store, c.store_prefix, &c.tagged, &c.ntagged) == 0;
	bool local_changes = false;
	for (size_t i = 0; i < c.local.n && !local_changes; i++) {
		const struct maildir_entry *e = &c.local.v[i];
		const struct state_msg *b = e->has_uid && e->uid ? state_get(c.st, e->uid) : NULL;
		if (!e->has_uid || (e->uid && (!b || b->flags != e->flags)))
			local_changes = true;
		else if (b) {
			char *raw = NULL;
			char *lk = local_keywords(&c, e, b->keywords, b->keywords, &raw);
			/* Changed here, or the index lacks a synced keyword
			 * (lost in a crash: it is given back). */
			char *missing = kw_minus(b->keywords, raw, "");
			local_changes = !kw_equal(lk, b->keywords) || missing;
			free(missing);
			free(lk);
			free(raw);
		}
	}
	size_t nlocal_uid = 0;
	for (size_t i = 0; i < c.local.n; i++)
		if (c.local.v[i].has_uid && c.local.v[i].uid)
			nlocal_uid++;
	if (rm.noop && !c.verify && !local_changes && nlocal_uid == state_count(c.st)) {
		if (*key)
			strbuf_addf(&s->stamps_new, "%s %s\n", key, c.rel);
		result = 0; /* the fast path of a no-op resync */
		keep_mailboxid(s, &c, prev_verified);
		goto out;
	}
	if (merge_and_apply(s, &c, &rm.r, rm.complete, rm.alluids, rm.nall, &fetch, &nfetch) < 0)
		goto out;
	if (save_state(s, &c) < 0)
		goto out;
	if (append_new(s, &c, rm.uidvalidity, rm.uidnext) < 0)
		goto out;
	if (nfetch && fetch_new(s, &c, fetch, nfetch) < 0) {
		save_state(s, &c); /* keep what arrived */
		goto out;
	}
	size_t unclaimed = state_unmirrored(&c, rm.alluids, rm.nall, &rm.r);
	if (unclaimed) {
		/* The invariant (doc/sync.md): UIDNEXT and HIGHESTMODSEQ move
		 * only when every message the server has is durable here. */
		folder_error(s, f->name, "%s: %zu messages on the server were not stored; run sync again", f->name,
			     unclaimed);
		save_state(s, &c);
		goto out;
	}
	if (c.repair)
		repair_index(s, &c);
	state_set_verified(c.st, c.verify ? (int64_t)time(NULL) : prev_verified);
	state_set_uidvalidity(c.st, rm.uidvalidity);
	/* Our own APPENDs may have moved UIDNEXT past what SELECT said; the
	 * next pass then sees a difference and looks, which is harmless. */
	state_set_uidnext(c.st, rm.uidnext);
	state_set_highestmodseq(c.st, rm.modseq);
	if (save_state(s, &c) < 0)
		goto out;
	result = 0;
	s->recheck = xreallocarray(s->recheck, s->nrecheck + 1, sizeof(*s->recheck));
	s->recheck[s->nrecheck++] = xstrdup(c.rel);
out:
	remote_clear(&rm);
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

static bool in_namespace(const char *name, const char *prefix);
static char *server_name_of(const char *rel, char delim, const char **why);
static bool is_dir_at(const char *root, const char *rel, const char *leaf);
static void pick_trash(struct sync *s);

/* The hierarchy delimiter for names we make: the personal namespace's,
 * else that of any listed folder (0: a flat server). */
static char server_delim(struct sync *s)
{
	char delim = imap_namespace_delim(s->imap);
	for (size_t i = 0; i < s->nfolders && !delim; i++)
		delim = s->folders[i].delim;
	return delim;
}

/* Has the sync a state for the local folder rel (it saw it on the
 * server once)? */
static bool has_state(struct sync *s, const char *rel)
{
	char *spath = state_path(s->state_dir, rel);
	bool known = access(spath, F_OK) == 0;
	free(spath);
	return known;
}

/* LIST again after a CREATE: the new folders join this pass (with the
 * server's spelling, flags and delimiter).  false when LIST failed (the
 * pass ends as on a dropped connection). */
static bool relist(struct sync *s)
{
	struct imap_folder *f = NULL;
	size_t nf = 0;
	if (imap_list(s->imap, &f, &nf) != IMAP_OK) {
		set_error(s, "%s: LIST failed: %s", s->account, imap_error(s->imap));
		s->net_failed = true;
		return false;
	}
	imap_folders_free(&s->folders, s->nfolders);
	s->folders = f;
	s->nfolders = nf;
	pick_trash(s);
	return true;
}

static void held_clear(struct sync *s)
{
	for (size_t i = 0; i < s->nheld; i++)
		free(s->held[i]);
	xfree(&s->held);
	s->nheld = 0;
}

/* A move's source UID whose copy the server has not confirmed: the
 * folder pass must not delete it there (it stays until a later pass has
 * moved it). */
static void hold(struct sync *s, const char *rel, uint32_t uid)
{
	s->held = xreallocarray(s->held, s->nheld + 1, sizeof(*s->held));
	s->held[s->nheld++] = xasprintf("%s\n%" PRIu32, rel, uid);
}

static bool held(const struct sync *s, const char *rel, uint32_t uid)
{
	char *key = xasprintf("%s\n%" PRIu32, rel, uid);
	bool yes = false;
	for (size_t i = 0; i < s->nheld && !yes; i++)
		yes = strcmp(s->held[i], key) == 0;
	free(key);
	return yes;
}

/* The destination of a move is a folder made here that the server does
 * not have yet (the reader filed into a new folder, or into a role folder
 * that does not exist there): create it now, in the personal namespace,
 * so that the move is a server-side MOVE/COPY the server confirms, not an
 * upload after the source was deleted.  The listed folder, or NULL with
 * *tried set when a CREATE was refused (the move then waits). */
static const struct imap_folder *create_for_move(struct sync *s, const char *rel, bool *tried)
{
	*tried = false;
	if (has_state(s, rel) || !is_dir_at(s->mail_dir, rel, "cur"))
		return NULL;
	const char *why = NULL;
	char *name = server_name_of(rel, server_delim(s), &why);
	char *raw = name && in_namespace(name, imap_namespace_prefix(s->imap)) &&
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
			imap_failed(s, r, name, "CREATE");
		} else if (relist(s)) {
			log_info("%s: created %s on the server for a move into it", s->account, name);
			f = folder_by_rel(s, rel);
		}
	}
	free(raw);
	free(name);
	return f;
}

/* Replay one move: UID MOVE, then give the moved local file its new UID. */
static int replay_move(struct sync *s, const struct journal_entry *e)
{
	s->server_written = true;
	const struct imap_folder *src = folder_by_rel(s, e->folder), *dst = folder_by_rel(s, e->dest);
	bool tried = false;
	if (src && !dst)
		dst = create_for_move(s, e->dest, &tried);
	if (src && !dst && tried) {
		hold(s, e->folder, e->uid); /* the server refused the folder: keep the source */
		return -1;
	}
	if (!src || !dst)
		return 0; /* the folder is gone: the local file is uploaded as new */
	src = folder_by_rel(s, e->folder); /* the LIST may have moved it */
	struct imapdrv_selected sel;
	enum imapdrv_rc rc = imapdrv_select(s->imap, src->raw, false, NULL, &sel);
	imapdrv_selected_clear(&sel);
	if (rc != IMAPDRV_OK) {
		imap_failed(s, rc, src->name, "SELECT");
		return -1;
	}
	uint32_t uv = 0, newuid = 0;
	bool move = imap_has_cap(s->imap, IMAP_CAP_MOVE);
	rc = move ? imapdrv_move(s->imap, &e->uid, 1, dst->raw, &uv, &newuid)
		  : imapdrv_copy(s->imap, &e->uid, 1, dst->raw, &uv, &newuid);
	if (rc == IMAPDRV_OK && !move) {
		uid_store(s, &e->uid, 1, MAILDIR_F_TRASHED, true);
		imapdrv_expunge(s->imap, &e->uid, 1);
	}
	if (rc != IMAPDRV_OK) {
		imap_failed(s, rc, src->name, "UID MOVE");
		hold(s, e->folder, e->uid);
		return -1;
	}
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
	s->server_written = true;
	const struct imap_folder *src = folder_by_rel(s, e->folder);
	if (!src)
		return 0;
	struct imapdrv_selected sel;
	enum imapdrv_rc rc = imapdrv_select(s->imap, src->raw, false, NULL, &sel);
	imapdrv_selected_clear(&sel);
	if (rc == IMAPDRV_OK)
		rc = uid_store(s, &e->uid, 1, MAILDIR_F_TRASHED, true);
	if (rc == IMAPDRV_OK && imap_has_cap(s->imap, IMAP_CAP_UIDPLUS))
		rc = imapdrv_expunge(s->imap, &e->uid, 1);
	if (rc != IMAPDRV_OK) {
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

/* ---- folders gone from LIST (deleted or renamed on the server) ---- */

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_dir_at(const char *root, const char *rel, const char *leaf)
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

static const struct folder_ids *folder_ids_of(struct sync *s, const struct imap_folder *f, struct folder_ids *ids)
{
	if (ids->asked)
		return ids;
	ids->asked = true;
	enum imapdrv_rc rc = imapdrv_status_ids(s->imap, f->raw, &ids->uidvalidity, &ids->mailboxid);
	if (rc == IMAPDRV_LOST)
		imap_failed(s, rc, f->name, "STATUS");
	return ids;
}

/* Tell the store that every file of dir (relative to the account) now
 * lives there: adding a known message's new name keeps its tags. */
static void index_moved_tree(struct sync *s, const char *rel, int depth)
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
	DIR *dh = opendir(tmp);
	struct dirent *de;
	while (dh && (de = readdir(dh))) {
		if (de->d_name[0] == '.')
			continue;
		char *p = xasprintf("%s/%s", tmp, de->d_name);
		unlink(p);
		free(p);
	}
	if (dh)
		closedir(dh);
	free(tmp);
	static const char *const subs[] = { "cur", "new", "tmp" };
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		char *p = xasprintf("%s/%s", dir, subs[i]);
		rmdir(p);
		free(p);
	}
	rmdir(dir);
}

/* One folder that has a state here but is not in LIST any more. */
static void folder_gone(struct sync *s, const char *rel, char **listed, struct folder_ids *ids)
{
	char *spath = state_path(s->state_dir, rel);
	struct state *st = NULL;
	state_load(spath, &st);
	uint32_t uv = state_uidvalidity(st);
	/* RFC 8474: a MAILBOXID is unique and kept across RENAME, so with one
	 * known (and a server that still has OBJECTID) it alone decides. */
	const char *mbid = imap_has_cap(s->imap, IMAP_CAP_OBJECTID) && *state_mailboxid(st) ? state_mailboxid(st) : NULL;
	char *dir = xasprintf("%s/%s", s->mail_dir, rel);
	const char *patterns = conf_str(s->conf, s->acct, OPT_ID_sync_folders);
	/* Renamed?  Without MAILBOXID: RENAME keeps UIDVALIDITY (RFC 3501
	 * 6.3.5), so a listed folder we have never synced with the same
	 * UIDVALIDITY is the same folder under its new name.  Two candidates:
	 * not detectable (Cyrus gives folders made in the same second one
	 * UIDVALIDITY; hence MAILBOXID first). */
	const struct imap_folder *to = NULL;
	size_t ncand = 0, to_i = 0;
	for (size_t i = 0; (mbid || uv) && i < s->nfolders && !s->net_failed; i++) {
		const struct imap_folder *f = &s->folders[i];
		if ((f->flags & IMAP_FOLDER_NOSELECT) || !listed[i] || !sync_folder_selected(patterns, f->name))
			continue;
		char *fs = state_path(s->state_dir, listed[i]);
		bool known = access(fs, F_OK) == 0;
		free(fs);
		if (known)
			continue;
		bool same;
		if (mbid) {
			const char *id = folder_ids_of(s, f, &ids[i])->mailboxid;
			same = id && strcmp(id, mbid) == 0;
		} else {
			same = folder_ids_of(s, f, &ids[i])->uidvalidity == uv;
		}
		if (same) {
			to = f;
			to_i = i;
			ncand++;
		}
	}
	if (ncand == 1) {
		char *ndir = xasprintf("%s/%s", s->mail_dir, listed[to_i]);
		bool moved = false;
		if (is_dir(dir) && !is_dir(ndir)) {
			/* The parents of the new place first (a rename may
			 * move a folder into another). */
			char *parent = xstrdup(ndir);
			char *sl = strrchr(parent, '/');
			if (sl)
				*sl = '\0';
			moved = util_mkdirs(parent, 0700) == 0 && rename(dir, ndir) == 0;
			free(parent);
		} else if (!is_dir(dir) && is_dir(ndir)) {
			moved = true; /* moved with its parent folder already */
		}
		if (moved) {
			/* The files first, the state second: a crash in between
			 * leaves files whose names carry their UIDs (adopted
			 * by the next pass) and a state without a folder. */
			index_moved_tree(s, listed[to_i], 0);
			char *old_prefix = xasprintf("%s/%s", s->acct_dir, rel);
			store_prune(s->store, old_prefix);
			free(old_prefix);
			state_set_folder(st, to->raw);
			char *nspath = state_path(s->state_dir, listed[to_i]);
			if (state_save(st, nspath) == 0)
				unlink(spath);
			free(nspath);
			warn(s, to->name, "%s was renamed on the server to %s; the local copy followed", rel, to->name);
			free(ndir);
			goto out;
		}
		free(ndir);
	}
	/* Deleted (or a rename we cannot follow): what it holds locally is
	 * on the server no more, so it is kept; only an empty mirror goes. */
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
		warn(s, rel,
		     "%s is gone from the server; its %zu local messages are kept in %s (not on the server any "
		     "more: move them to another folder to upload them, or delete the directory)",
		     rel, l.n, dir);
	}
	maildir_list_clear(&l);
out:
	state_free(&st);
	free(dir);
	free(spath);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every folder with a state here that LIST no longer shows (parents
 * before their subfolders, so that a renamed parent carries its
 * subfolders along before they are looked at). */
static void follow_gone_folders(struct sync *s)
{
	DIR *dh = opendir(s->state_dir);
	if (!dh)
		return;
	char **rels = NULL;
	size_t nrels = 0;
	struct dirent *de;
	while ((de = readdir(dh))) {
		size_t n = strlen(de->d_name);
		if (de->d_name[0] == '.' || n <= 6 || strcmp(de->d_name + n - 6, ".state") != 0)
			continue;
		/* state_path() wrote '/' as %2F; components never hold it. */
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
		rels = xreallocarray(rels, nrels + 1, sizeof(*rels));
		rels[nrels++] = strbuf_detach(&b);
		strbuf_free(&b);
	}
	closedir(dh);
	if (!nrels)
		return;
	qsort(rels, nrels, sizeof(*rels), str_cmp);
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
static void find_maildirs(const char *root, char ***out, size_t *n)
{
	char **all = NULL;
	size_t nall = 0;
	maildir_find_tree(root, "", &all, &nall);
	for (size_t i = 0; i < nall; i++) {
		if (*all[i] && is_dir_at(root, all[i], "new") && is_dir_at(root, all[i], "tmp")) {
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
static char *server_name_of(const char *rel, char delim, const char **why)
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
static int forget_uids(struct sync *s, const char *rel, const char *dir)
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
		char *op = xasprintf("%s/%s/%s", s->acct_dir, rel, e->name);
		char *np = xasprintf("%s/%s/%s", s->acct_dir, rel, nn);
		store_rename(s->store, op, np, s->account, NULL);
		free(op);
		free(np);
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
static bool in_namespace(const char *name, const char *prefix)
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
static int move_local_folder(struct sync *s, const char *rel, const char *to)
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

/* A Maildir made here (by the user or a Maildir tool) that the server
 * does not have and the sync never saw (no state file: a folder the
 * server deleted keeps its state, see folder_gone) is created on the
 * server; the folder loop then uploads its messages as new local ones.
 * Crash safety: UIDs are dropped from the file names before the CREATE
 * (after it, a listed folder without a state would adopt such files as
 * server messages and find them expunged); a crash after the CREATE
 * leaves a listed folder whose files have no UID, which are uploaded. */
static bool folder_listed(struct sync *s, const char *rel);

/* Courier and classic Cyrus keep every folder under "INBOX.": a local
 * folder made outside it (name) moves to where prefix+name is mirrored
 * (*rel is replaced), with its UIDs dropped first as for any new folder.
 * The name to create on the server (a new string), or NULL: nothing to
 * create (the folder is already on the server, whose pass uploads the
 * files, or the move failed, which is a folder error).  Takes name. */
static char *into_namespace(struct sync *s, char **rel, char *name, char delim, const char *prefix)
{
	char *full = xasprintf("%s%s", prefix, name);
	char *to = maildir_folder_relpath(full, delim);
	char *dir = xasprintf("%s/%s", s->mail_dir, *rel);
	free(name);
	log_info("%s: the local folder %s becomes %s (the server's personal namespace is \"%s\")", s->account, *rel,
		 full, prefix);
	if (!to || forget_uids(s, *rel, dir) < 0 || move_local_folder(s, *rel, to) != 0) {
		folder_error(s, full, "%s: cannot move the local folder %s into %s: %s", full, *rel, to ? to : "?",
			     strerror(errno));
		xfree(&full);
	} else if (folder_listed(s, to)) {
		xfree(&full);
	}
	free(dir);
	free(*rel);
	*rel = to;
	return full;
}

static bool folder_listed(struct sync *s, const char *rel)
{
	bool listed = false;
	for (size_t i = 0; i < s->nfolders && !listed; i++) {
		char *r = maildir_folder_relpath(s->folders[i].name, s->folders[i].delim);
		listed = r && strcmp(r, rel) == 0;
		free(r);
	}
	return listed;
}

static void pick_trash(struct sync *s);

static void create_local_folders(struct sync *s, char **rels, size_t nrels)
{
	char delim = server_delim(s);
	const char *prefix = imap_namespace_prefix(s->imap);
	const char *patterns = conf_str(s->conf, s->acct, OPT_ID_sync_folders);
	bool created = false;
	for (size_t k = 0; k < nrels && !s->net_failed && !s->cancelled; k++) {
		if (!rels[k] || folder_listed(s, rels[k]) || has_state(s, rels[k]))
			continue;
		const char *why = NULL;
		char *name = server_name_of(rels[k], delim, &why);
		if (name && !in_namespace(name, prefix) && !(name = into_namespace(s, &rels[k], name, delim, prefix)))
			continue;
		char *raw = name ? mutf7_encode(name) : NULL;
		if (!name || !raw) {
			warn(s, rels[k], "%s: the local folder %s cannot be created on the server: %s", s->account,
			     rels[k], why ? why : "its name is not valid UTF-8");
		} else if (sync_folder_selected(patterns, name)) {
			char *dir = xasprintf("%s/%s", s->mail_dir, rels[k]);
			if (forget_uids(s, rels[k], dir) < 0) {
				folder_error(s, name, "%s: cannot prepare %s for the upload: %s", name, dir,
					     strerror(errno));
			} else {
				fault_point("create");
				enum imapdrv_rc r = imapdrv_create(s->imap, raw);
				if (r == IMAPDRV_OK) {
					fault_point("create");
					log_info("%s: created %s on the server (a folder made here)", s->account, name);
					created = true;
				} else {
					imap_failed(s, r, name, "CREATE");
				}
			}
			free(dir);
		}
		free(raw);
		free(name);
	}
	if (created && !s->net_failed)
		relist(s);
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
	s->verify = o->verify;
	s->n_allow = o->n_allow;
	s->allow = xcalloc(o->n_allow + 1, sizeof(*s->allow));
	for (size_t i = 0; i < o->n_allow; i++)
		s->allow[i] = xstrdup(o->allow_deletes[i]);
	s->event = o->event;
	s->event_ud = o->event_ud;
	s->ask_secret = o->ask_secret;
	s->ask_ud = o->ask_ud;
	s->wake = net_cancel_new();
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
	free(s->accept_once);
	free(s->stamps_old);
	strbuf_free(&s->stamps_new);
	tls_cert_info_free(&s->refused);
	guards_clear(s);
	held_clear(s);
	net_cancel_free(&s->wake);
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

/* Could a tag have changed since the last complete pass?  Reading every
 * folder's tags costs an index open and a query per folder, which would
 * triple a no-op resync; a tag change leaves no trace in the Maildir, but
 * it does in the index files (another process's commit changes the
 * stamp) or in our own store (store_tag() generation).  Our own writes in
 * a pass set tags to the merged keywords, which the state records, so
 * they need no second look.  When unsure, look. */
static void tags_check_start(struct sync *s)
{
	s->tags_unchanged = false;
	store_index_stamp(s->store, s->tags_stamp);
	s->tags_gen_now = store_tag_generation(s->store);
	if (!s->tags_stamp[0])
		return;
	bool gen_same = s->tags_seen ? s->tags_gen_now == s->tags_gen : s->tags_gen_now == 0;
	char *path = xasprintf("%s/index.stamp", s->state_dir);
	FILE *f = gen_same ? fopen(path, "re") : NULL;
	if (f) {
		char old[96];
		size_t n = fread(old, 1, sizeof(old) - 1, f);
		old[n] = '\0';
		s->tags_unchanged = strcmp(old, s->tags_stamp) == 0;
		fclose(f);
	}
	free(path);
}

/* Remember the stamp only after a complete pass: a pass that stopped may
 * have left a keyword change unmerged, which must be looked at again. */
static void tags_check_end(struct sync *s, bool complete)
{
	char *path = xasprintf("%s/index.stamp", s->state_dir);
	if (complete && s->tags_stamp[0]) {
		if (!s->tags_unchanged)
			util_write_file_atomic(path, s->tags_stamp, strlen(s->tags_stamp), 0600);
		s->tags_seen = true;
		s->tags_gen = s->tags_gen_now;
	} else {
		unlink(path);
		s->tags_seen = false;
	}
	free(path);
}

void sync_set_accept_once(struct sync *s, const char *sha256hex)
{
	free(s->accept_once);
	s->accept_once = sha256hex && *sha256hex ? xstrdup(sha256hex) : NULL;
}

const struct tls_cert_info *sync_refused_cert(const struct sync *s) { return s->refused; }
bool sync_auth_refused(const struct sync *s) { return s->auth_refused; }

static enum sync_status connect_login(struct sync *s)
{
	if (imapdrv_connected(s->imap))
		return SYNC_OK;
	sync_disconnect(s);
	tls_cert_info_free(&s->refused);
	s->auth_refused = false;
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
	if (s->ask_secret)
		imap_set_ask_secret(s->imap, s->ask_secret, s->ask_ud);
	if (s->accept_once)
		imap_set_accept_once(s->imap, s->accept_once);
	enum imap_status st = imap_connect(s->imap);
	if (st == IMAP_OK)
		st = imap_login(s->imap);
	if (st != IMAP_OK) {
		if (st == IMAP_ERR_CERT && imap_cert(s->imap))
			s->refused = tls_cert_info_dup(imap_cert(s->imap));
		s->auth_refused = st == IMAP_ERR_AUTH;
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
	const struct imap_folder *f =
		roles_find(s->folders, s->nfolders, IMAP_SPECIAL_TRASH, conf_str(s->conf, s->acct, OPT_ID_trash));
	s->trash_raw = f ? xstrdup(f->raw) : NULL;
}

/* INBOX first (new mail is most wanted), then LIST order, and the Trash
 * last, so that what this pass moved there arrives in the same pass. */
static int folder_order(const struct sync *s, const struct imap_folder *f)
{
	if (f->special == IMAP_SPECIAL_INBOX || strcasecmp(f->raw, "INBOX") == 0)
		return 0;
	return s->trash_raw && strcmp(f->raw, s->trash_raw) == 0 ? 2 : 1;
}

/* A local folder the sync does not mirror (left out by sync_folders, or
 * one the server would not create) is still the user's mail: its files
 * are indexed like any other, so that the reader counts and shows them,
 * and entries whose file is gone are dropped.  One index query per such
 * folder and pass. */
static void index_local_only(struct sync *s, char *const *rels, size_t nrels)
{
	const char *patterns = conf_str(s->conf, s->acct, OPT_ID_sync_folders);
	for (size_t k = 0; k < nrels; k++) {
		if (!rels[k])
			continue; /* a folder create_local_folders could not move */
		const struct imap_folder *f = folder_by_rel(s, rels[k]);
		bool mirrored = f && !(f->flags & IMAP_FOLDER_NOSELECT) && sync_folder_selected(patterns, f->name);
		char *prefix = xasprintf("%s/%s", s->acct_dir, rels[k]), *dir = xasprintf("%s/%s", s->mail_dir, rels[k]);
		struct maildir_list l = { 0 };
		struct store_tagged *t = NULL;
		size_t nt = 0, added = 0;
		if (!mirrored && maildir_scan(dir, &l) == 0 && store_folder_tags(s->store, prefix, &t, &nt) == 0) {
			for (size_t i = 0; i < l.n; i++) {
				char *p = xasprintf("%s/%s", prefix, l.v[i].name);
				if (!nt || !bsearch(p, t, nt, sizeof(*t), tagged_path_cmp)) {
					store_add(s->store, p, s->account, NULL);
					added++;
				}
				free(p);
			}
			if (nt + added != l.n)
				store_prune(s->store, prefix);
			if (added)
				log_info("%s: %s: indexed %zu file(s) of this local-only folder", s->account, rels[k], added);
		}
		store_tagged_free(&t, nt);
		maildir_list_clear(&l);
		free(prefix);
		free(dir);
	}
}

enum sync_status sync_run(struct sync *s)
{
	memset(&s->stats, 0, sizeof(s->stats));
	guards_clear(s);
	held_clear(s);
	s->pass_bytes = 0;
	s->net_failed = false;
	s->server_written = false;
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
	copies_free(&s->copies);
	if (has_all_folder(s))
		s->copies = copies_new(s->mail_root, s->acct_dir);
	if (roles_save(s->state_dir, s->folders, s->nfolders, imap_namespace_prefix(s->imap),
		       imap_namespace_delim(s->imap), imap_has_cap(s->imap, IMAP_CAP_GMAIL) && has_all_folder(s)) != 0)
		warn(s, NULL, "%s: cannot record the special-use folders: %s", s->account, strerror(errno));
	replay_journal(s);
	follow_gone_folders(s);
	/* One walk of the local tree serves both: folders made here, then
	 * the local-only ones (after the moves into the namespace). */
	char **rels = NULL;
	size_t nrels = 0;
	find_maildirs(s->mail_dir, &rels, &nrels);
	if (nrels)
		qsort(rels, nrels, sizeof(*rels), str_cmp); /* parents first */
	create_local_folders(s, rels, nrels);
	index_local_only(s, rels, nrels);
	for (size_t k = 0; k < nrels; k++)
		free(rels[k]);
	free(rels);
	tags_check_start(s);
	stamps_load(s);
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
	tags_check_end(s, st == SYNC_OK);
	if (s->net_failed)
		sync_disconnect(s);
done:;
	size_t unindexed = store_flush(s->store); /* (a declaration cannot follow a label before C23) */
	if (unindexed && st == SYNC_OK) {
		if (util_disk_low(s->mail_dir))
			set_error(s, "%s: disk full at %s: %zu changes not indexed; free space and run sync again",
				  s->account, s->mail_dir, unindexed);
		else
			set_error(s, "%s: %zu changes could not be indexed (see the log); run sync again", s->account,
				  unindexed);
		st = SYNC_ERR_STORE;
	}
	if (s->stamps_active) {
		for (size_t i = 0; i < s->nrecheck && (st == SYNC_OK || st == SYNC_ERR_FOLDER); i++)
			record_if_consistent(s, s->recheck[i]);
		stamps_save(s);
	}
	copies_free(&s->copies);
	for (size_t i = 0; i < s->nrecheck; i++)
		free(s->recheck[i]);
	xfree(&s->recheck);
	s->nrecheck = 0;
	if (st == SYNC_ERR_FOLDER && !*s->error)
		set_error(s, "%s: %zu folder(s) not fully synced", s->account, s->stats.folder_errors);
	if (st != SYNC_OK && st != SYNC_ERR_FOLDER)
		emit(s, SYNC_EV_ERROR, NULL, 0, 0, s->error);
	emit(s, SYNC_EV_DONE, NULL, 0, 0, NULL);
	return st;
}

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
		size_t off = 0;
		while (off < len) {
			ssize_t w = write(fd, data + off, len - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		bool ok = off == len && fsync(fd) == 0;
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

/* The folder (a new string) and UID of a store path
 * ("<account>/<folder>/cur/<file>"); false when it names no server
 * message of this account. */
static bool stub_location(struct sync *s, const char *path, char **rel, uint32_t *uid)
{
	size_t al = strlen(s->acct_dir);
	const char *rest = strncmp(path, s->acct_dir, al) == 0 && path[al] == '/' ? path + al + 1 : NULL;
	/* "cur" and "new" are escaped inside folder names, so the first
	 * "/cur/" is the Maildir's own. */
	const char *sub = rest ? strstr(rest, "/cur/") : NULL;
	if (rest && !sub)
		sub = strstr(rest, "/new/");
	const char *u = sub ? strstr(sub, ",U=") : NULL;
	*uid = u ? (uint32_t)strtoul(u + 3, NULL, 10) : 0;
	if (!sub || !*uid)
		return false;
	*rel = xstrndup(rest, (size_t)(sub - rest));
	return true;
}

/* SELECT the folder of rel, whose UIDs must still mean what they did when
 * the stub was fetched (the same UIDVALIDITY). */
static enum sync_status select_for_full(struct sync *s, const char *rel, const struct imap_folder **out)
{
	if (!s->folders && imap_list(s->imap, &s->folders, &s->nfolders) != IMAP_OK) {
		set_error(s, "%s: LIST failed: %s", s->account, imap_error(s->imap));
		sync_disconnect(s);
		return SYNC_ERR_NET;
	}
	const struct imap_folder *f = *out = folder_by_rel(s, rel);
	if (!f) {
		set_error(s, "%s: the folder %s is not on the server any more", s->account, rel);
		return SYNC_ERR_FOLDER;
	}
	struct imapdrv_selected sel;
	enum imapdrv_rc rc = imapdrv_select(s->imap, f->raw, false, NULL, &sel);
	if (rc != IMAPDRV_OK) {
		set_error(s, "%s: %s: SELECT failed: %s", s->account, f->name, imapdrv_server_text(s->imap));
		return rc == IMAPDRV_LOST ? SYNC_ERR_NET : SYNC_ERR_FOLDER;
	}
	char *spath = state_path(s->state_dir, rel);
	struct state *state = NULL;
	state_load(spath, &state);
	bool same = state_uidvalidity(state) == sel.uidvalidity;
	state_free(&state);
	free(spath);
	imapdrv_selected_clear(&sel);
	if (!same) {
		set_error(s, "%s: %s changed on the server since the last sync; sync first", s->account, f->name);
		return SYNC_ERR_FOLDER;
	}
	return SYNC_OK;
}

/* UID FETCH (UID INTERNALDATE BODY.PEEK[]) of uid into b; *fm its answer. */
static enum sync_status fetch_whole(struct sync *s, const struct imap_folder *f, uint32_t uid,
				    struct imapdrv_batch *b, const struct imapdrv_msg **fm)
{
	enum imapdrv_rc rc = imapdrv_fetch(s->imap, &uid, 1, IMAPDRV_IDATE | IMAPDRV_BODY, 0, b);
	if (rc != IMAPDRV_OK) {
		set_error(s, "%s: %s: UID FETCH failed: %s", s->account, f->name, imapdrv_server_text(s->imap));
		if (rc == IMAPDRV_LOST)
			sync_disconnect(s);
		return rc == IMAPDRV_LOST ? SYNC_ERR_NET : SYNC_ERR_FOLDER;
	}
	*fm = NULL;
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].uid == uid && b->v[i].body)
			*fm = &b->v[i];
	if (!*fm) {
		set_error(s, "%s: %s: the server no longer has this message", s->account, f->name);
		return SYNC_ERR_FOLDER;
	}
	return SYNC_OK;
}

/* Write the whole message over the stub of uid in rel and index it again. */
static enum sync_status replace_stub(struct sync *s, const char *rel, const struct imap_folder *f, uint32_t uid,
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
		set_error(s, "%s: %s: the local file of uid %u is gone", s->account, f->name, uid);
		st = SYNC_ERR_FOLDER;
	} else if (!sync_stub_size(data, len)) {
		/* already whole */
	} else if (replace_file(dir, e->name, fm->body, fm->len, fm->idate) < 0) {
		set_error(s, "%s: cannot write %s/%s: %s", s->account, dir, e->name, strerror(errno));
		st = SYNC_ERR_STORE;
	} else {
		s->stats.fetched++;
		s->stats.bytes += fm->len;
		sp = xasprintf("%s/%s/%s", s->acct_dir, rel, e->name);
		store_reindex(s->store, sp);
		if (store_flush(s->store)) {
			set_error(s, "%s: %s was fetched but could not be indexed again (see the log)", s->account, sp);
			st = SYNC_ERR_STORE;
		}
	}
	maildir_list_clear(&local);
	free(sp);
	free(data);
	free(dir);
	return st;
}

enum sync_status sync_fetch_full(struct sync *s, const char *path)
{
	free(s->error);
	s->error = xstrdup("");
	char *rel = NULL;
	uint32_t uid = 0;
	if (!stub_location(s, path, &rel, &uid)) {
		set_error(s, "%s: %s is not a message of this account on the server", s->account, path);
		return SYNC_ERR_CONFIG;
	}
	const struct imap_folder *f = NULL;
	const struct imapdrv_msg *fm = NULL;
	struct imapdrv_batch b = { 0 };
	enum sync_status st = connect_login(s);
	if (st == SYNC_OK)
		st = select_for_full(s, rel, &f);
	if (st == SYNC_OK)
		st = fetch_whole(s, f, uid, &b, &fm);
	if (st == SYNC_OK)
		st = replace_stub(s, rel, f, uid, fm);
	imapdrv_batch_free(&b);
	free(rel);
	return st;
}

void sync_wake(struct sync *s)
{
	if (s->wake)
		net_cancel_trigger(s->wake);
}

static bool watch(struct sync *s, int timeout_s);

bool sync_watch(struct sync *s, int timeout_s)
{
	bool news = watch(s, timeout_s);
	if (s->wake) /* a wake that came meanwhile ends this watch, not the next */
		net_cancel_reset(s->wake);
	return news;
}

static bool watch(struct sync *s, int timeout_s)
{
	if (s->wake && net_cancel_is_set(s->wake))
		return false;
	if (!imapdrv_connected(s->imap) || !imap_has_cap(s->imap, IMAP_CAP_IDLE)) {
		for (int i = 0; i < timeout_s * 10 && !s->cancelled && !(s->wake && net_cancel_is_set(s->wake)); i++) {
			struct timespec ts = { 0, 100L * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		return false;
	}
	struct imapdrv_selected sel;
	enum imapdrv_rc rc = imapdrv_select(s->imap, "INBOX", false, NULL, &sel);
	uint32_t before = sel.exists, after = before;
	imapdrv_selected_clear(&sel);
	int fd = -1;
	if (rc != IMAPDRV_OK || imapdrv_idle(s->imap, &fd) != IMAPDRV_OK)
		return false;
	bool news = false;
	long long end = net_now_ms() + (long long)timeout_s * 1000;
	while (!s->cancelled && net_now_ms() < end && fd >= 0) {
		/* A 1 s slice keeps SIGINT/cancel responsive. */
		enum net_status ns = net_wait(fd, false, 1000, s->wake); /* sync_wake: at once */
		if (ns == NET_OK) {
			news = true;
			break;
		}
		if (ns != NET_ERR_TIMEOUT)
			break;
	}
	if (imapdrv_idle_done(s->imap, &after) != IMAPDRV_OK) {
		sync_disconnect(s);
		return true;
	}
	if (after != before)
		news = true;
	return news;
}
