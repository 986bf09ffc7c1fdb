/* sync_fetch.c - downloading new messages: in batches, as header-only stubs
 * (sync_max_size), or from a local copy (copies.h). */
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
/* UID FETCH batches in flight at once (imapdrv_pipe). */
#define FETCH_WINDOW IMAPDRV_PIPE_MAX
/* Save the state of a long first fetch this often (messages). */
#define STATE_SAVE_EVERY 1000
/* The first batch of a folder: the newest messages, readable at once (a
 * new account's INBOX is what its user looks at first). */
#define FIRST_BATCH 50
/* While a long download runs, make what arrived visible to the reader
 * (store_commit) after the pass's first batch, then after 2 s, 4 s, ...
 * up to every 30 s: a commit costs more as the index grows (0.4 s at
 * 10,000 messages on a busy machine), and the writer is what bounds a
 * first sync. */
#define COMMIT_FIRST_GAP_MS 2000
#define COMMIT_MAX_GAP_MS 30000

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
	size_t len;      /* the server's bytes (the file has LF line ends) */
	uint64_t size;   /* the server's size (RFC822.SIZE), for the copies */
	char *mid; /* owned, when s->copies */
};

/* The counts of one fetch_batches() run. */
struct fetch_pass {
	size_t n, done, since_save;
	long long t_net, t_local, t_start; /* MUTTLIKE_TIMING */
};

/* Stage one message (as a stub: its header only); 0 or an errno. */
static int stage_one(sync_t *s, struct folder_ctx *c, struct imapdrv_msg *fm, bool stubs, struct staged_msg *out)
{
	const char *body = fm->body;
	size_t len = fm->len;
	char *stub = NULL;
	if (stubs) {
		stub = make_stub(body, len, fm->size ? fm->size : (uint32_t)len, &len);
		body = stub;
	}
	/* stored with LF line ends */
	size_t lflen = 0;
	char *lf = maildir_lf(body, len, &lflen);
	int werr = 0;
	if (maildir_stage(c->dir, lf, lflen, fm->uid, true, fm->flags, fm->idate, &out->f) < 0) {
		werr = errno;
	} else {
		out->uid = fm->uid;
		out->flags = fm->flags;
		out->kw = fm->kw;
		fm->kw = NULL;
		out->len = len;
		out->size = fm->size ? fm->size : maildir_crlf_size(body, len);
		out->mid = s->copies && !stubs ? maildir_message_id(lf, lflen) : NULL;
	}
	free(lf);
	free(stub);
	return werr;
}

/* A committed message joins the index, the state, the copies and the
 * counts. */
static void record_fetched(sync_t *s, struct folder_ctx *c, const struct staged_msg *m, const char *name)
{
	fault_point("fetch");
	char *p = sync_store_path(c, name);
	store_add(s->store, p, s->account, m->kw);
	free(p);
	state_put(c->st, m->uid, m->flags, m->kw);
	if (m->mid) {
		char *abs = xasprintf("%s/%s", c->dir, name);
		copies_note(s->copies, m->mid, (size_t)m->size, abs);
		free(abs);
	}
	s->stats.fetched++;
	s->stats.bytes += m->len;
	s->pass_bytes += m->len;
}

/* Make the staged batch durable with one journal commit and one
 * directory fsync (or discard it after werr), and only then let the
 * state, the index or the progress count it.  The store's dirty marker
 * goes first (store_mark_dirty): the state claims what is in cur/, so
 * an index write that fails after it (a full disk) must be repaired by
 * the next open.  0 or an errno. */
static int commit_batch(sync_t *s, struct folder_ctx *c, struct staged_msg *b, size_t nb, int werr,
			struct fetch_pass *fp)
{
	char **names = xcalloc(nb + 1, sizeof(*names));
	struct maildir_staged *v = xcalloc(nb + 1, sizeof(*v));
	for (size_t k = 0; k < nb; k++)
		v[k] = b[k].f;
	if (!werr && nb && store_mark_dirty(s->store) < 0)
		werr = errno;
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

static int write_failed(sync_t *s, struct folder_ctx *c, int werr, size_t left)
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

/* The messages of the FETCH answers being read: staged in tmp/ as they
 * arrive, committed FETCH_BATCH at a time and at each tagged answer. */
struct fetch_read {
	sync_t *s;
	struct folder_ctx *c;
	bool stubs;
	struct fetch_pass *fp;
	struct staged_msg v[FETCH_BATCH];
	size_t nv;
	int werr; /* the first write error: nothing more is staged */
};

/* Commit what is staged (or discard it after an error). */
static void fetch_flush(struct fetch_read *fr)
{
	long long t0 = net_now_ms();
	fr->werr = commit_batch(fr->s, fr->c, fr->v, fr->nv, fr->werr, fr->fp);
	fr->nv = 0;
	fr->fp->t_local += net_now_ms() - t0;
}

/* One FETCH response (imapdrv_msg_fn).  Unsolicited ones (flag news
 * about other messages) carry no body: the next pass sees those changes. */
static void fetch_one(struct imapdrv_msg *fm, void *ud)
{
	struct fetch_read *fr = ud;
	bool dup = false;
	for (size_t k = 0; k < fr->nv && !dup; k++)
		dup = fr->v[k].uid == fm->uid;
	if (fr->werr || !fm->body || dup || state_get(fr->c->st, fm->uid))
		return;
	long long t0 = net_now_ms();
	fr->werr = stage_one(fr->s, fr->c, fm, fr->stubs, &fr->v[fr->nv]);
	if (!fr->werr)
		fr->nv++;
	fr->fp->t_local += net_now_ms() - t0;
	if (fr->nv == FETCH_BATCH)
		fetch_flush(fr);
}

/* Read up to the answer to the oldest UID FETCH of bodies in flight:
 * the messages on the way staged, committed and counted.  The state
 * learns each one only after its commit (tmp -> fdatasync -> cur). */
static int fetch_batch(sync_t *s, struct folder_ctx *c, imapdrv_pipe_t *p, struct fetch_read *fr)
{
	long long t0 = net_now_ms(), local0 = fr->fp->t_local;
	enum imapdrv_rc rc = imapdrv_pipe_next(p, fetch_one, fr);
	/* even after an error: what was read whole is a good copy */
	fetch_flush(fr);
	fr->fp->t_net += net_now_ms() - t0 - (fr->fp->t_local - local0);
	if (rc != IMAPDRV_OK) {
		sync_imap_failed(s, rc, c->name, "UID FETCH (BODY)");
		return -1;
	}
	return write_failed(s, c, fr->werr, fr->fp->n - fr->fp->done);
}

/* Send UID FETCH commands for the batches before *end (newest first)
 * until FETCH_WINDOW are in flight or none is left; the first one
 * (the newest) is FIRST_BATCH long and sent alone. */
static int send_batches(sync_t *s, struct folder_ctx *c, imapdrv_pipe_t *p, const uint32_t *uids, size_t n,
			size_t *end, bool stubs)
{
	unsigned items = IMAPDRV_FLAGS | IMAPDRV_IDATE | (stubs ? IMAPDRV_SIZE | IMAPDRV_HEADER : IMAPDRV_BODY);
	/* The first batch goes alone: its answer is the first thing the
	 * reader can show, and nothing later is mixed into its commit. */
	size_t window = *end == n ? 1 : FETCH_WINDOW;
	while (*end > 0 && imapdrv_pipe_inflight(p) < window && !s->cancelled) {
		size_t size = *end == n ? FIRST_BATCH : FETCH_BATCH;
		size_t start = *end > size ? *end - size : 0;
		if (fault_hit("drop-fetch"))
			imapdrv_drop(s->imap);
		enum imapdrv_rc rc = imapdrv_pipe_fetch(p, uids + start, *end - start, items);
		if (rc != IMAPDRV_OK) {
			sync_imap_failed(s, rc, c->name, "UID FETCH (BODY)");
			return -1;
		}
		*end = start;
	}
	return 0;
}

/* More is still to come: let the reader see what arrived (see
 * COMMIT_FIRST_GAP_MS).  What is committed to the index is already
 * durable in cur/; the state claims only those UIDs (state_put per
 * message), never a range, and UIDNEXT moves only when the folder is
 * complete (folder_done), so fetching newest first claims nothing below. */
static void commit_for_reader(sync_t *s, const struct fetch_pass *fp, bool more)
{
	long long now = net_now_ms();
	if (!more || !fp->done || (s->commit_ms && now - s->commit_ms < s->commit_gap_ms))
		return;
	store_commit(s->store);
	s->commit_ms = now;
	s->commit_gap_ms = s->commit_gap_ms ? s->commit_gap_ms * 2 : COMMIT_FIRST_GAP_MS;
	if (s->commit_gap_ms > COMMIT_MAX_GAP_MS)
		s->commit_gap_ms = COMMIT_MAX_GAP_MS;
}

/* Download uids (sorted ascending) newest first, in bounded batches, up
 * to FETCH_WINDOW of them in flight (a slow link then costs a round trip
 * per window, not per batch); stubs: only the header of each (see
 * make_stub).  Each batch is committed as its answer arrives, in order,
 * so the state still records only files on disk.  When cancelled, no
 * batch is sent any more and those in flight are still taken. */
static int fetch_batches(sync_t *s, struct folder_ctx *c, const uint32_t *uids, size_t n, bool stubs)
{
	struct fetch_pass fp = { .n = n, .t_start = net_now_ms() };
	sync_emit(s, SYNC_EV_PROGRESS, c->name, 0, n, NULL);
	imapdrv_pipe_t *p = imapdrv_pipe_new(s->imap);
	struct fetch_read *fr = xcalloc(1, sizeof(*fr));
	*fr = (struct fetch_read){ .s = s, .c = c, .stubs = stubs, .fp = &fp };
	size_t end = n; /* uids[0..end) are still to be sent */
	int r = 0;
	while (r == 0 && (r = send_batches(s, c, p, uids, n, &end, stubs)) == 0 && imapdrv_pipe_inflight(p)) {
		r = fetch_batch(s, c, p, fr);
		if (r < 0)
			break;
		commit_for_reader(s, &fp, end > 0 || imapdrv_pipe_inflight(p));
		sync_emit(s, SYNC_EV_PROGRESS, c->name, fp.done, n, NULL);
		if (fp.since_save >= STATE_SAVE_EVERY) {
			r = sync_save_state(s, c);
			fp.since_save = 0;
		}
	}
	imapdrv_pipe_free(&p);
	free(fr);
	if (getenv("MUTTLIKE_TIMING"))
		log_info("%s: timing: %zu fetched in %.2f s: FETCH %.2f s, files and queue %.2f s", c->name, fp.done,
			 (net_now_ms() - fp.t_start) / 1e3, fp.t_net / 1e3, fp.t_local / 1e3);
	return r < 0 || s->cancelled ? -1 : 0;
}

/* The UIDs of uids (sorted) whose message is larger than max, sorted,
 * into big (*nbig); one UID FETCH (RFC822.SIZE). */
static int big_ones(sync_t *s, struct folder_ctx *c, const uint32_t *uids, size_t n, long max, uint32_t *big,
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
	imapdrv_batch_clear(&b);
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
static int download_new(sync_t *s, struct folder_ctx *c, const uint32_t *uids, size_t n)
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
static bool reuse_one(sync_t *s, struct folder_ctx *c, const struct imapdrv_msg *fm, const uint32_t *uids,
		      size_t n, int *werr)
{
	char *mid = fm->body ? maildir_message_id(fm->body, fm->len) : NULL;
	char *data = NULL;
	size_t len = 0;
	if (bsearch(&fm->uid, uids, n, sizeof(*uids), sync_u32_cmp) && !state_get(c->st, fm->uid))
		data = copies_read(s->copies, mid, fm->size, &len);
	struct maildir_staged one;
	char *name = NULL;
	if (data && maildir_stage(c->dir, data, len, fm->uid, true, fm->flags, fm->idate, &one) < 0) {
		*werr = errno;
	} else if (data && store_mark_dirty(s->store) < 0) { /* as commit_batch */
		*werr = errno;
		maildir_staged_discard(&one, 1);
	} else if (data && maildir_commit(c->dir, &one, 1, &name) < 0) {
		*werr = errno;
	}
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
static int reuse_copies(sync_t *s, struct folder_ctx *c, const uint32_t *uids, size_t n, uint32_t *rest,
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
	imapdrv_batch_clear(&b);
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
int sync_fetch_new(sync_t *s, struct folder_ctx *c, const uint32_t *uids, size_t n)
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

