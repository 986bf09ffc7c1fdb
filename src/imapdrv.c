/* imapdrv.c - the sync's IMAP operations over libetpan (imapdrv.h). */
#include "imapdrv.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <libetpan/libetpan.h>

#include "imap.h"
#include "imapcmd.h"
#include "log.h"
#include "maildir.h"
#include "util.h"

/* Stream-level errors mean the connection is gone; a NO/BAD (or an
 * argument libetpan refused) only fails the command. */
static enum imapdrv_rc rc_of(int r)
{
	if (r == MAILIMAP_NO_ERROR)
		return IMAPDRV_OK;
	if (r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE || r == MAILIMAP_ERROR_CONNECTION_REFUSED ||
	    r == MAILIMAP_ERROR_MEMORY || r == MAILIMAP_ERROR_FATAL)
		return IMAPDRV_LOST;
	return IMAPDRV_REFUSED;
}

/* ---- flag lists ---- */

void imapdrv_flist_clear(struct imapdrv_flist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].kw);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

void imapdrv_flist_push(struct imapdrv_flist *l, uint32_t uid, unsigned flags, char *kw)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = (struct imapdrv_flags){ uid, flags, kw };
}

static int flags_cmp(const void *a, const void *b)
{
	const struct imapdrv_flags *x = a, *y = b;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

void imapdrv_flist_sort(struct imapdrv_flist *l)
{
	if (l->n < 2)
		return;
	qsort(l->v, l->n, sizeof(*l->v), flags_cmp);
	size_t w = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (w && l->v[w - 1].uid == l->v[i].uid) {
			free(l->v[w - 1].kw);
			l->v[w - 1] = l->v[i];
		} else {
			l->v[w++] = l->v[i];
		}
	}
	l->n = w;
}

struct imapdrv_flags *imapdrv_flist_find(const struct imapdrv_flist *l, uint32_t uid)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->v[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->n && l->v[lo].uid == uid ? &l->v[lo] : NULL;
}

/* ---- flags on the wire ---- */

/* Keywords are atoms; anything else would break the state file.  words
 * sorted, so that equal sets compare equal as strings. */
static char *join_keywords(char **words, size_t nkw)
{
	for (size_t i = 1; i < nkw; i++)
		for (size_t j = i; j > 0 && strcmp(words[j - 1], words[j]) > 0; j--) {
			char *t = words[j];
			words[j] = words[j - 1];
			words[j - 1] = t;
		}
	struct strbuf k;
	strbuf_init(&k);
	for (size_t i = 0; i < nkw; i++) {
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
	char *out = k.len ? strbuf_detach(&k) : NULL;
	strbuf_free(&k);
	return out;
}

/* The IMAP flag list of a fetch as MAILDIR_F_* bits and keywords. */
static unsigned parse_flags(clist *list, char **kw)
{
	unsigned f = 0;
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
	*kw = join_keywords(words, nkw);
	return f;
}

/* MAILDIR_F_* flags and space-separated keywords as a STORE/APPEND list. */
static struct mailimap_flag_list *flag_list_of(unsigned flags, const char *keywords)
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
	char *copy = xstrdup(keywords ? keywords : "");
	for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		mailimap_flag_list_add(fl, mailimap_flag_new_flag_keyword(xstrdup(w)));
	free(copy);
	return fl;
}

/* A UID set from a sorted array, runs merged into ranges; NULL: 1:*. */
static struct mailimap_set *uid_set(const uint32_t *uids, size_t n)
{
	if (!uids)
		return mailimap_set_new_interval(1, 0);
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

/* ---- FETCH ---- */

static time_t date_to_time(const struct mailimap_date_time *d)
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

static void parse_static(const struct mailimap_msg_att_static *st, struct imapdrv_msg *out)
{
	switch (st->att_type) {
	case MAILIMAP_MSG_ATT_UID: out->uid = st->att_data.att_uid; break;
	case MAILIMAP_MSG_ATT_RFC822_SIZE: out->size = st->att_data.att_rfc822_size; break;
	case MAILIMAP_MSG_ATT_INTERNALDATE:
		if (st->att_data.att_internal_date)
			out->idate = date_to_time(st->att_data.att_internal_date);
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

static void parse_msg_att(struct mailimap_msg_att *att, struct imapdrv_msg *out)
{
	memset(out, 0, sizeof(*out));
	for (clistiter *it = clist_begin(att->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
			free(out->kw);
			out->flags = parse_flags(item->att_data.att_dyn->att_list, &out->kw);
			out->has_flags = true;
		} else if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC) {
			parse_static(item->att_data.att_static, out);
		}
	}
}

/* The FETCH responses of res into out (which takes res). */
static void batch_of(clist *res, struct imapdrv_batch *out)
{
	out->v = xcalloc((size_t)(res ? clist_count(res) : 0) + 1, sizeof(*out->v));
	out->n = 0;
	out->priv = res;
	for (clistiter *it = res ? clist_begin(res) : NULL; it; it = clist_next(it)) {
		struct imapdrv_msg *x = &out->v[out->n];
		parse_msg_att(clist_content(it), x);
		if (x->uid)
			out->n++;
		else
			free(x->kw);
	}
}

void imapdrv_batch_clear(struct imapdrv_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].kw);
	xfree(&b->v);
	b->n = 0;
	if (b->priv)
		mailimap_fetch_list_free(b->priv);
	b->priv = NULL;
}

static struct mailimap_section *message_id_section(void)
{
	clist *hdrs = clist_new();
	clist_append(hdrs, xstrdup("MESSAGE-ID"));
	return mailimap_section_new_header_fields(mailimap_header_list_new(hdrs));
}

static struct mailimap_fetch_type *fetch_type_of(unsigned items)
{
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	if (items & IMAPDRV_FLAGS)
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_flags());
	if (items & IMAPDRV_IDATE)
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_internaldate());
	if (items & IMAPDRV_SIZE)
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
	struct mailimap_section *sec = NULL;
	if (items & IMAPDRV_BODY)
		sec = mailimap_section_new(NULL);
	else if (items & IMAPDRV_HEADER)
		sec = mailimap_section_new_header();
	else if (items & IMAPDRV_MESSAGE_ID)
		sec = message_id_section();
	if (sec)
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_body_peek_section(sec));
	return ft;
}

/* UID FETCH uids (NULL: 1:*) (UID <items>) [CHANGEDSINCE]: *res the responses. */
static int uid_fetch(imap_t *m, const uint32_t *uids, size_t n, unsigned items, uint64_t changedsince, clist **res)
{
	mailimap *mi = imap_mailimap(m);
	struct mailimap_set *set = uid_set(uids, n);
	struct mailimap_fetch_type *ft = fetch_type_of(items);
	*res = NULL;
	int rc = changedsince ? mailimap_uid_fetch_changedsince(mi, set, ft, changedsince, res)
			      : mailimap_uid_fetch(mi, set, ft, res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	return rc;
}

enum imapdrv_rc imapdrv_fetch(imap_t *m, const uint32_t *uids, size_t n, unsigned items, uint64_t changedsince,
			      struct imapdrv_batch *out)
{
	memset(out, 0, sizeof(*out));
	clist *res = NULL;
	int rc = uid_fetch(m, uids, n, items, changedsince, &res);
	if (rc != MAILIMAP_NO_ERROR)
		return rc_of(rc);
	batch_of(res, out);
	return IMAPDRV_OK;
}

/* UID and FLAGS of each FETCH response in fetched, into l (sorted). */
static void flags_of(clist *fetched, struct imapdrv_flist *l)
{
	for (clistiter *it = fetched ? clist_begin(fetched) : NULL; it; it = clist_next(it)) {
		struct imapdrv_msg fm;
		parse_msg_att(clist_content(it), &fm);
		if (fm.uid && fm.has_flags)
			imapdrv_flist_push(l, fm.uid, fm.flags, fm.kw);
		else
			free(fm.kw);
	}
	imapdrv_flist_sort(l);
}

enum imapdrv_rc imapdrv_fetch_flags(imap_t *m, uint64_t changedsince, struct imapdrv_flist *l)
{
	clist *res = NULL;
	int rc = uid_fetch(m, NULL, 0, IMAPDRV_FLAGS, changedsince, &res);
	if (rc != MAILIMAP_NO_ERROR)
		return rc_of(rc);
	flags_of(res, l);
	mailimap_fetch_list_free(res);
	return IMAPDRV_OK;
}

/* ---- pipelining ---- */

struct imapdrv_pipe {
	imap_t *m;
	size_t inflight; /* commands sent, answers not read; the last one has tag mi->imap_tag */
	bool lost;
};

imapdrv_pipe_t *imapdrv_pipe_new(imap_t *m)
{
	imapdrv_pipe_t *p = xcalloc(1, sizeof(*p));
	p->m = m;
	return p;
}

size_t imapdrv_pipe_inflight(const imapdrv_pipe_t *p)
{
	return p->inflight;
}

/* Answers read only to be rid of them: their messages are not kept. */
static void drop_msg(struct imapdrv_msg *msg, void *ud)
{
	(void)msg;
	(void)ud;
}

void imapdrv_pipe_free(imapdrv_pipe_t **pp)
{
	imapdrv_pipe_t *p = *pp;
	if (!p)
		return;
	while (p->inflight && !p->lost)
		imapdrv_pipe_next(p, drop_msg, NULL);
	free(p);
	*pp = NULL;
}

/* A sorted UID array as a sequence set, runs merged ("1:5,9"). */
static char *uid_set_text(const uint32_t *uids, size_t n)
{
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		strbuf_addf(&b, i ? ",%u" : "%u", uids[i]);
		if (j > i)
			strbuf_addf(&b, ":%u", uids[j]);
		i = j + 1;
	}
	char *out = strbuf_detach(&b);
	strbuf_free(&b);
	return out;
}

/* "<tag> " cmd CRLF, flushed, without reading anything. */
static enum imapdrv_rc pipe_send(imapdrv_pipe_t *p, char *cmd)
{
	mailimap *mi = imap_mailimap(p->m);
	if (!cmd)
		return IMAPDRV_REFUSED;
	if (p->lost || !mi) {
		free(cmd);
		p->lost = true;
		return IMAPDRV_LOST;
	}
	int r = mailimap_send_current_tag(mi);
	if (r == MAILIMAP_NO_ERROR &&
	    (mailstream_write(mi->imap_stream, cmd, strlen(cmd)) == -1 ||
	     mailstream_write(mi->imap_stream, "\r\n", 2) == -1 || mailstream_flush(mi->imap_stream) == -1))
		r = MAILIMAP_ERROR_STREAM;
	free(cmd);
	if (r != MAILIMAP_NO_ERROR) {
		p->lost = true;
		return IMAPDRV_LOST;
	}
	if (p->inflight++)
		imap_note_pipelined(p->m);
	return IMAPDRV_OK;
}

enum imapdrv_rc imapdrv_pipe_fetch(imapdrv_pipe_t *p, const uint32_t *uids, size_t n, unsigned items)
{
	const char *atts[4];
	size_t na = 0;
	atts[na++] = "UID";
	if (items & IMAPDRV_FLAGS)
		atts[na++] = "FLAGS";
	if (items & IMAPDRV_IDATE)
		atts[na++] = "INTERNALDATE";
	if (items & IMAPDRV_SIZE)
		atts[na++] = "RFC822.SIZE";
	const char *section = items & IMAPDRV_BODY	 ? ""
			      : items & IMAPDRV_HEADER	 ? "HEADER"
			      : items & IMAPDRV_MESSAGE_ID ? "HEADER.FIELDS (MESSAGE-ID)"
							   : NULL;
	char *set = uid_set_text(uids, n);
	char *cmd = n ? imapcmd_uid_fetch(set, atts, na, section) : NULL;
	free(set);
	return pipe_send(p, cmd);
}

/* UID STORE set +FLAGS.SILENT or -FLAGS.SILENT (...), or NULL. */
static char *store_command(const uint32_t *uids, size_t n, bool add, unsigned flags, const char *keywords)
{
	static const struct {
		unsigned f;
		const char *name;
	} sys[] = {
		{ MAILDIR_F_REPLIED, "\\Answered" }, { MAILDIR_F_FLAGGED, "\\Flagged" },
		{ MAILDIR_F_TRASHED, "\\Deleted" },  { MAILDIR_F_SEEN, "\\Seen" },
		{ MAILDIR_F_DRAFT, "\\Draft" },	    { MAILDIR_F_PASSED, "$Forwarded" },
	};
	char *copy = xstrdup(keywords ? keywords : "");
	const char **names = xcalloc(ARRAY_SIZE(sys) + strlen(copy) / 2 + 2, sizeof(*names));
	size_t k = 0;
	for (size_t i = 0; i < ARRAY_SIZE(sys); i++)
		if (flags & sys[i].f)
			names[k++] = sys[i].name;
	for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		names[k++] = w;
	char *set = uid_set_text(uids, n);
	char *cmd = n && k ? imapcmd_uid_store(set, add, names, k) : NULL;
	free(set);
	free(names);
	free(copy);
	return cmd;
}

bool imapdrv_pipe_can_store(unsigned flags, const char *keywords)
{
	static const uint32_t one = 1;
	char *cmd = store_command(&one, 1, true, flags, keywords);
	bool ok = cmd != NULL;
	free(cmd);
	return ok;
}

enum imapdrv_rc imapdrv_pipe_store(imapdrv_pipe_t *p, const uint32_t *uids, size_t n, bool add, unsigned flags,
				   const char *keywords)
{
	return pipe_send(p, store_command(uids, n, add, flags, keywords));
}

struct pipe_read {
	imap_t *m;
	imapdrv_msg_fn *fn;
	void *ud;
	size_t n; /* FETCH responses handed to fn */
};

/* libetpan's msg_att_handler: one FETCH response, freed by libetpan
 * after the call instead of kept in the response. */
static void pipe_msg_att(struct mailimap_msg_att *att, void *ctx)
{
	struct pipe_read *pr = ctx;
	struct imapdrv_msg x;
	parse_msg_att(att, &x);
	if (x.uid) {
		pr->fn(&x, pr->ud);
		pr->n++;
	}
	free(x.kw);
	/* that message is gone from memory: the cap counts from here */
	imap_response_begin(pr->m);
}

/* libetpan calls msg_att_handler only while a progress function is set. */
static void no_progress(size_t current, size_t maximum, void *ctx)
{
	(void)current;
	(void)maximum;
	(void)ctx;
}

/* The tagged answer to the oldest command in flight; libetpan parses it
 * (and the untagged data before it) as it would its own command's. */
enum imapdrv_rc imapdrv_pipe_next(imapdrv_pipe_t *p, imapdrv_msg_fn *fn, void *ud)
{
	mailimap *mi = imap_mailimap(p->m);
	if (!p->inflight || p->lost || !mi) {
		p->lost = p->inflight > 0;
		return p->inflight ? IMAPDRV_LOST : IMAPDRV_REFUSED;
	}
	int last = mi->imap_tag;
	/* mailimap_parse_response wants the tag it finds to be imap_tag */
	mi->imap_tag = last - (int)p->inflight + 1;
	p->inflight--;
	imap_response_begin(p->m);
	struct pipe_read pr = { p->m, fn, ud, 0 };
	if (fn) {
		mailimap_set_msg_att_handler(mi, pipe_msg_att, &pr);
		mailimap_set_progress_callback(mi, no_progress, NULL, NULL);
	}
	struct mailimap_response *resp = NULL;
	int r = mailimap_read_line(mi) ? mailimap_parse_response(mi, &resp) : MAILIMAP_ERROR_STREAM;
	if (fn) {
		mailimap_set_msg_att_handler(mi, NULL, NULL);
		mailimap_set_progress_callback(mi, NULL, NULL, NULL);
	}
	mi->imap_tag = last;
	if (r != MAILIMAP_NO_ERROR) {
		if (rc_of(r) == IMAPDRV_LOST)
			p->lost = true;
		return rc_of(r);
	}
	int code = resp->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type;
	mailimap_response_free(resp);
	/* as libetpan's UID FETCH: responses are an answer even under a NO */
	return code == MAILIMAP_RESP_COND_STATE_OK || pr.n ? IMAPDRV_OK : IMAPDRV_REFUSED;
}

/* ---- SELECT ---- */

void imapdrv_selected_clear(struct imapdrv_selected *sel)
{
	free(sel->mailboxid);
	imapdrv_flist_clear(&sel->changed);
	free(sel->vanished);
	memset(sel, 0, sizeof(*sel));
}

static int range_cmp(const void *a, const void *b)
{
	const struct imapdrv_range *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* VANISHED ranges as ours: "*" (0) is UINT32_MAX, first <= last, sorted. */
static void ranges_of(const struct mailimap_set *v, struct imapdrv_selected *out)
{
	size_t cap = 0;
	for (clistiter *it = v && v->set_list ? clist_begin(v->set_list) : NULL; it; it = clist_next(it)) {
		const struct mailimap_set_item *item = clist_content(it);
		uint32_t a = item->set_first ? item->set_first : UINT32_MAX;
		uint32_t b = item->set_last ? item->set_last : UINT32_MAX;
		if (out->nvanished == cap) {
			cap = cap ? cap * 2 : 16;
			out->vanished = xreallocarray(out->vanished, cap, sizeof(*out->vanished));
		}
		out->vanished[out->nvanished++] = (struct imapdrv_range){ a < b ? a : b, a < b ? b : a };
	}
	if (out->nvanished)
		qsort(out->vanished, out->nvanished, sizeof(*out->vanished), range_cmp);
}

static int select_qresync(imap_t *m, const char *raw, const struct imapdrv_qresync *q, struct imapdrv_selected *out)
{
	clist *fetched = NULL;
	struct mailimap_set *vanished = NULL;
	int rc = imap_select_qresync(m, raw, q->uidvalidity, q->modseq, q->known_uids, &fetched, &vanished,
				     &out->highestmodseq);
	if (rc == MAILIMAP_NO_ERROR) {
		out->qresync = true;
		flags_of(fetched, &out->changed);
		ranges_of(vanished, out);
	}
	if (fetched)
		mailimap_fetch_list_free(fetched);
	if (vanished)
		mailimap_set_free(vanished);
	return rc;
}

static void selection_of(imap_t *m, struct imapdrv_selected *out)
{
	mailimap *mi = imap_mailimap(m);
	out->mailboxid = imap_selected_mailboxid(m);
	struct mailimap_selection_info *sel = mi->imap_selection_info;
	if (!sel)
		return;
	for (clistiter *it = sel->sel_perm_flags ? clist_begin(sel->sel_perm_flags) : NULL; it; it = clist_next(it)) {
		struct mailimap_flag_perm *fp = clist_content(it);
		if (fp && fp->fl_type == MAILIMAP_FLAG_PERM_ALL)
			out->keywords_ok = true;
	}
	out->uidvalidity = sel->sel_uidvalidity;
	out->uidnext = sel->sel_uidnext;
	out->exists = sel->sel_exists;
}

enum imapdrv_rc imapdrv_select(imap_t *m, const char *raw, bool condstore, const struct imapdrv_qresync *q,
			       struct imapdrv_selected *out)
{
	memset(out, 0, sizeof(*out));
	mailimap *mi = imap_mailimap(m);
	int rc;
	if (q) {
		rc = select_qresync(m, raw, q, out);
		if (rc == MAILIMAP_ERROR_SELECT || rc == MAILIMAP_ERROR_INVAL) {
			log_debug("%s: SELECT (QRESYNC) refused (%s); selecting with CONDSTORE", raw,
				  imapdrv_server_text(m));
			rc = mailimap_select_condstore(mi, raw, &out->highestmodseq);
		}
	} else {
		rc = condstore ? mailimap_select_condstore(mi, raw, &out->highestmodseq) : mailimap_select(mi, raw);
	}
	if (rc != MAILIMAP_NO_ERROR) {
		imapdrv_selected_clear(out);
		return rc_of(rc);
	}
	selection_of(m, out);
	return IMAPDRV_OK;
}

/* ---- SEARCH ---- */

enum imapdrv_rc imapdrv_search_all(imap_t *m, uint32_t **out, size_t *n)
{
	struct mailimap_search_key *key = mailimap_search_key_new_all();
	clist *res = NULL;
	int rc = mailimap_uid_search(imap_mailimap(m), NULL, key, &res);
	mailimap_search_key_free(key);
	*out = NULL;
	*n = 0;
	if (rc != MAILIMAP_NO_ERROR)
		return rc_of(rc);
	uint32_t *v = xreallocarray(NULL, (size_t)clist_count(res) + 1, sizeof(*v));
	size_t k = 0;
	for (clistiter *it = clist_begin(res); it; it = clist_next(it))
		v[k++] = *(uint32_t *)clist_content(it);
	mailimap_search_result_free(res);
	qsort(v, k, sizeof(*v), u32_cmp);
	*out = v;
	*n = k;
	return IMAPDRV_OK;
}

uint32_t imapdrv_search_message_id(imap_t *m, uint32_t from, const char *msgid)
{
	struct mailimap_search_key *key = mailimap_search_key_new_multiple_empty();
	mailimap_search_key_multiple_add(key, mailimap_search_key_new_uid(mailimap_set_new_interval(from, 0)));
	mailimap_search_key_multiple_add(key, mailimap_search_key_new_header(xstrdup("Message-ID"), xstrdup(msgid)));
	clist *res = NULL;
	uint32_t uid = 0;
	if (mailimap_uid_search(imap_mailimap(m), NULL, key, &res) == MAILIMAP_NO_ERROR) {
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

/* ---- changes ---- */

enum imapdrv_rc imapdrv_store(imap_t *m, const uint32_t *uids, size_t n, bool add, unsigned flags,
			      const char *keywords)
{
	struct mailimap_set *set = uid_set(uids, n);
	struct mailimap_flag_list *fl = flag_list_of(flags, keywords);
	struct mailimap_store_att_flags *sa = add ? mailimap_store_att_flags_new_add_flags_silent(fl)
						  : mailimap_store_att_flags_new_remove_flags_silent(fl);
	int rc = mailimap_uid_store(imap_mailimap(m), set, sa);
	mailimap_store_att_flags_free(sa);
	mailimap_set_free(set);
	return rc_of(rc);
}

enum imapdrv_rc imapdrv_append(imap_t *m, const char *raw, unsigned flags, const char *data, size_t len,
			       uint32_t *uidvalidity, uint32_t *uid)
{
	struct mailimap_flag_list *fl = flag_list_of(flags, NULL);
	*uidvalidity = *uid = 0;
	int rc = mailimap_uidplus_append(imap_mailimap(m), raw, fl, NULL, data, len, uidvalidity, uid);
	mailimap_flag_list_free(fl);
	return rc_of(rc);
}

/* UID MOVE or UID COPY; with uidvalidity, the UIDPLUS variant. */
static enum imapdrv_rc copy_or_move(imap_t *m, bool move, const uint32_t *uids, size_t n, const char *raw,
				    uint32_t *uidvalidity, uint32_t *first_uid)
{
	mailimap *mi = imap_mailimap(m);
	struct mailimap_set *set = uid_set(uids, n), *from = NULL, *to = NULL;
	int rc;
	if (!uidvalidity)
		rc = move ? mailimap_uid_move(mi, set, raw) : mailimap_uid_copy(mi, set, raw);
	else if (move)
		rc = mailimap_uidplus_uid_move(mi, set, raw, uidvalidity, &from, &to);
	else
		rc = mailimap_uidplus_uid_copy(mi, set, raw, uidvalidity, &from, &to);
	if (first_uid)
		*first_uid = 0;
	if (rc == MAILIMAP_NO_ERROR && first_uid && to && clist_begin(to->set_list)) {
		struct mailimap_set_item *it = clist_content(clist_begin(to->set_list));
		*first_uid = it->set_first;
	}
	if (from)
		mailimap_set_free(from);
	if (to)
		mailimap_set_free(to);
	mailimap_set_free(set);
	return rc_of(rc);
}

enum imapdrv_rc imapdrv_move(imap_t *m, const uint32_t *uids, size_t n, const char *raw, uint32_t *uidvalidity,
			     uint32_t *first_uid)
{
	return copy_or_move(m, true, uids, n, raw, uidvalidity, first_uid);
}

enum imapdrv_rc imapdrv_copy(imap_t *m, const uint32_t *uids, size_t n, const char *raw, uint32_t *uidvalidity,
			     uint32_t *first_uid)
{
	return copy_or_move(m, false, uids, n, raw, uidvalidity, first_uid);
}

enum imapdrv_rc imapdrv_expunge(imap_t *m, const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = uid_set(uids, n);
	int rc = mailimap_uid_expunge(imap_mailimap(m), set);
	mailimap_set_free(set);
	return rc_of(rc);
}

/* ---- folders ---- */

enum imapdrv_rc imapdrv_create(imap_t *m, const char *raw)
{
	return rc_of(mailimap_create(imap_mailimap(m), raw));
}

enum imapdrv_rc imapdrv_status_ids(imap_t *m, const char *raw, uint32_t *uidvalidity, char **mailboxid)
{
	return rc_of(imap_status_ids(m, raw, uidvalidity, mailboxid));
}

/* ---- the session ---- */

bool imapdrv_connected(imap_t *m)
{
	return m && imap_mailimap(m);
}

const char *imapdrv_server_text(imap_t *m)
{
	mailimap *mi = imap_mailimap(m);
	if (mi && mi->imap_response && *mi->imap_response)
		return mi->imap_response;
	return "no reason given";
}

void imapdrv_drop(imap_t *m)
{
	mailimap *mi = imap_mailimap(m);
	if (mi && mi->imap_stream)
		shutdown(mailstream_low_get_fd(mailstream_get_low(mi->imap_stream)), SHUT_RDWR);
}

/* Written here, not with mailimap_idle(): libetpan reads the untagged
 * lines before the continuation and drops them (an EXISTS that raced the
 * IDLE was lost), and it needs a folder selected (a NOTIFY listener has
 * none).  mailimap_idle_done() ends it as usual. */
enum imapdrv_rc imapdrv_idle(imap_t *m, int *fd, bool *early)
{
	*fd = -1;
	*early = false;
	mailimap *mi = imap_mailimap(m);
	if (!mi)
		return IMAPDRV_LOST;
	int r = mailimap_send_current_tag(mi);
	if (r != MAILIMAP_NO_ERROR)
		return rc_of(r);
	if (mailstream_write(mi->imap_stream, "IDLE\r\n", 6) == -1 || mailstream_flush(mi->imap_stream) == -1)
		return IMAPDRV_LOST;
	for (int i = 0; i < 10000; i++) { /* a bound on what may come first */
		char *l = mailimap_read_line(mi);
		if (!l)
			return IMAPDRV_LOST;
		if (l[0] == '+') {
			*fd = mailimap_idle_get_fd(mi);
			return IMAPDRV_OK;
		}
		if (l[0] != '*')
			return IMAPDRV_REFUSED; /* the tagged NO or BAD */
		*early = true;
	}
	return IMAPDRV_LOST;
}

enum imapdrv_rc imapdrv_idle_done(imap_t *m, uint32_t *exists)
{
	mailimap *mi = imap_mailimap(m);
	int rc = mailimap_idle_done(mi);
	if (mi->imap_selection_info)
		*exists = mi->imap_selection_info->sel_exists;
	return rc_of(rc);
}

/* RFC 5465.  The selected folder's filter comes first (a folder matching
 * both is the selected one's), then every personal folder, so that one
 * connection hears of each.  FlagChange in the second list: Dovecot
 * accepts it (and sends nothing), a server that reports it gives a STATUS. */
#define NOTIFY_SET                                                                                                     \
	"NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) "                                             \
	"(personal (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange))"

enum imapdrv_rc imapdrv_notify(imap_t *m)
{
	mailimap *mi = imap_mailimap(m);
	if (!mi)
		return IMAPDRV_LOST;
	return rc_of(imap_command(mi, NOTIFY_SET));
}

enum imapdrv_rc imapdrv_idle_line(imap_t *m, int timeout_ms, const char **line, size_t *len)
{
	*line = NULL;
	*len = 0;
	mailimap *mi = imap_mailimap(m);
	if (!mi)
		return IMAPDRV_LOST;
	enum net_status ns = imap_wait_input(m, timeout_ms);
	if (ns == NET_ERR_TIMEOUT)
		return IMAPDRV_OK;
	if (ns != NET_OK)
		return IMAPDRV_LOST;
	char *l = mailimap_read_line(mi);
	if (!l)
		return IMAPDRV_LOST;
	size_t n = strlen(l);
	while (n && (l[n - 1] == '\n' || l[n - 1] == '\r'))
		n--;
	*line = l;
	*len = n;
	return IMAPDRV_OK;
}
