/* sync_fetch.c - downloading new messages (batches, stubs, local copies) and
 * completing a stub (sync_fetch_full). */
#include "sync_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include "copies.h"
#include "fault.h"
#include "net.h"

/* Messages per UID FETCH of bodies, and the byte budget of one batch:
 * libetpan keeps a whole response in memory, so batches are bounded. */
#define FETCH_BATCH 64
#define FETCH_BATCH_BYTES (4u << 20)
/* Save the state of a long first fetch this often (messages). */
#define STATE_SAVE_EVERY 1000

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
	char *p = sync_store_path(c, name);
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
		sync_folder_error(s, c->name, "%s: disk full at %s: %zu messages not stored; free space and run sync again",
				  c->name, c->dir, left);
		return -1;
	}
	if (werr) {
		sync_folder_error(s, c->name, "%s: cannot write a message into %s: %s", c->name, c->dir, strerror(werr));
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
		sync_imap_failed(s, rc, c->name, "UID FETCH (BODY)");
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
	sync_emit(s, SYNC_EV_PROGRESS, c->name, 0, n, NULL);
	size_t end = n; /* fetch uids[start..end) newest first */
	while (end > 0 && !s->cancelled) {
		size_t start = end > FETCH_BATCH ? end - FETCH_BATCH : 0;
		if (fetch_batch(s, c, uids + start, end - start, stubs, &fp) < 0)
			return -1;
		end = start;
		sync_emit(s, SYNC_EV_PROGRESS, c->name, fp.done, n, NULL);
		if (fp.since_save >= STATE_SAVE_EVERY) {
			if (sync_save_state(s, c) < 0)
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
		sync_imap_failed(s, rc, c->name, "UID FETCH (RFC822.SIZE)");
		return -1;
	}
	for (size_t i = 0; i < b.n; i++)
		if (b.v[i].size > (uint64_t)max && bsearch(&b.v[i].uid, uids, n, sizeof(*uids), sync_u32_cmp))
			big[(*nbig)++] = b.v[i].uid;
	imapdrv_batch_free(&b);
	qsort(big, *nbig, sizeof(*big), sync_u32_cmp);
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
		if (!bsearch(&uids[i], big, nbig, sizeof(*big), sync_u32_cmp))
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
	if (bsearch(&fm->uid, uids, n, sizeof(*uids), sync_u32_cmp) && !state_get(c->st, fm->uid))
		data = copies_read(s->copies, mid, fm->size);
	struct maildir_staged one;
	char *name = NULL;
	if (data && maildir_stage(c->dir, data, fm->size, fm->uid, true, fm->flags, fm->idate, &one) < 0)
		*werr = errno;
	else if (data && maildir_commit(c->dir, &one, 1, &name) < 0)
		*werr = errno;
	bool taken = data && !*werr;
	if (taken) {
		char *p = sync_store_path(c, name);
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
		sync_imap_failed(s, rc, c->name, "UID FETCH (Message-ID)");
		return -1;
	}
	uint32_t *taken = xcalloc(n + 1, sizeof(*taken));
	size_t ntaken = 0;
	int werr = 0;
	for (size_t i = 0; i < b.n && !werr; i++)
		if (reuse_one(s, c, &b.v[i], uids, n, &werr))
			taken[ntaken++] = b.v[i].uid;
	imapdrv_batch_free(&b);
	qsort(taken, ntaken, sizeof(*taken), sync_u32_cmp);
	*nrest = 0;
	for (size_t i = 0; i < n; i++)
		if (!bsearch(&uids[i], taken, ntaken, sizeof(*taken), sync_u32_cmp))
			rest[(*nrest)++] = uids[i];
	free(taken);
	if (werr) {
		sync_folder_error(s, c->name, "%s: cannot write a message into %s: %s", c->name, c->dir, strerror(werr));
		return -1;
	}
	return 0;
}

/* New messages: copied from the local mirror when it has them already
 * (a Gmail-shaped account), else downloaded. */
int sync_fetch_new(struct sync *s, struct folder_ctx *c, const uint32_t *uids, size_t n)
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
	struct state *state = NULL;
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
static enum sync_status fetch_whole(struct sync *s, const struct imap_folder *f, uint32_t uid,
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
		sync_set_error(s, "%s: %s: the local file of uid %u is gone", s->account, f->name, uid);
		st = SYNC_ERR_FOLDER;
	} else if (!sync_stub_size(data, len)) {
		/* already whole */
	} else if (replace_file(dir, e->name, fm->body, fm->len, fm->idate) < 0) {
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

enum sync_status sync_fetch_full(struct sync *s, const char *path)
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
	imapdrv_batch_free(&b);
	free(rel);
	return st;
}
