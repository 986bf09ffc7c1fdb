/* mime_render.c - lay a parsed message out as pager lines; see mime.h. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "calendar.h"
#include "charset.h"
#include "html.h"
#include "mime.h"
#include "mime_private.h"
#include "text.h"

#define URLS_MAX 1000
#define URL_LEN_MAX 2048
#define URL_FINDS_MAX 10000
#define RENDER_TOTAL_MAX (4 * MIME_MAX_TEXT)
#define ORDER_TOKENS_MAX 16

struct mime_view {
	struct mime_line *lines; /* owned, each text owned */
	size_t n, cap;
	char **urls; /* owned */
	size_t nurls;
	size_t url_finds;
	size_t bytes;
};

struct mime_render_ctx {
	const mime_msg_t *m;
	const struct mime_render_opts *o;
	mime_view_t *v;
	bool body_started; /* later text parts get a placeholder line first */
	bool full;         /* RENDER_TOTAL_MAX reached */
};

/* ---- URLs ---- */

static bool url_char(unsigned char c)
{
	return c > 0x20 && c < 0x7F && !strchr("<>\"'`{}|\\^", c);
}

/* Length of the URL whose scheme starts at s (0 if none). */
static size_t url_at(const char *s, size_t len)
{
	static const char *const schemes[] = { "http://", "https://", "ftp://", "mailto:" };
	for (size_t k = 0; k < ARRAY_SIZE(schemes); k++) {
		size_t sl = strlen(schemes[k]), j = sl, open = 0, close = 0;
		if (len < sl || strncasecmp(s, schemes[k], sl) != 0)
			continue;
		while (j < len && url_char((unsigned char)s[j])) {
			open += s[j] == '(';
			close += s[j] == ')';
			j++;
		}
		/* trailing punctuation belongs to the sentence, a ')' unless balanced */
		while (j > sl && strchr(".,;:!?)]", s[j - 1])) {
			if (s[j - 1] == ')' && close <= open)
				break;
			close -= s[j - 1] == ')';
			j--;
		}
		if (j > sl)
			return j;
	}
	return 0;
}

bool mime_url_find(const char *s, size_t len, size_t *start, size_t *ulen)
{
	for (size_t i = 0; i < len; i++) {
		char c = (char)tolower((unsigned char)s[i]);
		if ((c != 'h' && c != 'f' && c != 'm') || (i > 0 && isalnum((unsigned char)s[i - 1])))
			continue;
		size_t n = url_at(s + i, len - i);
		if (n) {
			*start = i;
			*ulen = n;
			return true;
		}
	}
	return false;
}

static void url_add(mime_view_t *v, const char *u, size_t n)
{
	if (n > URL_LEN_MAX || v->nurls >= URLS_MAX)
		return;
	for (size_t i = 0; i < v->nurls; i++)
		if (strlen(v->urls[i]) == n && memcmp(v->urls[i], u, n) == 0)
			return;
	if ((v->nurls & (v->nurls - 1)) == 0) /* grow at powers of two */
		v->urls = xreallocarray(v->urls, v->nurls ? 2 * v->nurls : 1, sizeof(*v->urls));
	v->urls[v->nurls++] = xstrndup(u, n);
}

static void urls_scan(mime_view_t *v, const char *s)
{
	size_t len = strlen(s), off = 0, start, n;
	while (v->nurls < URLS_MAX && v->url_finds < URL_FINDS_MAX &&
	       mime_url_find(s + off, len - off, &start, &n)) {
		v->url_finds++;
		url_add(v, s + off + start, n);
		off += start + n;
	}
}

/* ---- lines ---- */

/* Take ownership of text (already sanitized). */
static void add_line(struct mime_render_ctx *r, enum mime_line_kind kind, int level, char *text)
{
	mime_view_t *v = r->v;
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->lines = xreallocarray(v->lines, v->cap, sizeof(*v->lines));
	}
	v->lines[v->n++] = (struct mime_line){ kind, level, text };
	v->bytes += strlen(text) + 1;
	if (kind != MIME_LINE_HEADER && kind != MIME_LINE_ATTACHMENT)
		urls_scan(v, text);
}

static void add_notice(struct mime_render_ctx *r, const char *fmt, ...) ML_PRINTF(2, 3);
static void add_notice(struct mime_render_ctx *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *raw = xvasprintf(fmt, ap);
	va_end(ap);
	add_line(r, MIME_LINE_ATTACHMENT, 0, text_sanitize(raw, strlen(raw), false));
	free(raw);
}

static int quote_level(const char *s, size_t n)
{
	int q = 0;
	size_t i = 0;
	while (i < n && q < 100) {
		if (s[i] == '>') {
			q++;
			i++;
		} else if ((s[i] == ' ' || s[i] == '\t') && i + 1 < n && s[i + 1] == '>') {
			i++;
		} else {
			break;
		}
	}
	return q;
}

/* Split text into classified, sanitized lines. */
static void emit_text(struct mime_render_ctx *r, const char *s, size_t len)
{
	bool sig = false;
	size_t i = 0;
	while (i < len && !r->full) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t eol = nl ? (size_t)(nl - s) : len, n = eol - i;
		if (n > 0 && s[i + n - 1] == '\r')
			n--;
		if (n == 3 && memcmp(s + i, "-- ", 3) == 0)
			sig = true;
		int q = quote_level(s + i, n);
		enum mime_line_kind kind = sig ? MIME_LINE_SIGNATURE : q ? MIME_LINE_QUOTED : MIME_LINE_NORMAL;
		add_line(r, kind, q, text_sanitize(s + i, n, false));
		r->full = r->v->bytes > RENDER_TOTAL_MAX;
		i = eol + 1;
	}
	if (r->full)
		add_notice(r, "[-- the rest of this message is not shown (more than %zu MB of text) --]",
			   RENDER_TOTAL_MAX >> 20);
}

/* ---- format=flowed (RFC 3676) ---- */

static void flowed_flush(struct strbuf *para, int q, struct strbuf *out)
{
	for (int i = 0; i < q; i++)
		strbuf_addc(out, '>');
	if (q)
		strbuf_addc(out, ' ');
	strbuf_add(out, para->s ? para->s : "", para->len);
	strbuf_addc(out, '\n');
	strbuf_reset(para);
}

/* Join soft-broken lines (ending in a space) into paragraphs. */
static void reflow(const char *s, size_t len, bool delsp, struct strbuf *out)
{
	struct strbuf para;
	strbuf_init(&para);
	int pq = -1;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t eol = nl ? (size_t)(nl - s) : len, n = eol - i;
		const char *line = s + i;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		int q = 0;
		while ((size_t)q < n && line[q] == '>')
			q++;
		const char *c = line + q;
		size_t cl = n - (size_t)q;
		if (cl > 0 && c[0] == ' ') { /* space-stuffing */
			c++;
			cl--;
		}
		bool sigsep = cl == 3 && memcmp(c, "-- ", 3) == 0;
		bool soft = !sigsep && cl > 0 && c[cl - 1] == ' ';
		if (pq >= 0 && (q != pq || sigsep))
			flowed_flush(&para, pq, out);
		if (soft && delsp)
			cl--;
		strbuf_add(&para, c, cl);
		pq = q;
		if (!soft) {
			flowed_flush(&para, pq, out);
			pq = -1;
		}
		i = eol + 1;
	}
	if (pq >= 0)
		flowed_flush(&para, pq, out);
	strbuf_free(&para);
}

/* ---- text parts ---- */

static void human_size(size_t n, char *buf, size_t len)
{
	if (n < 1024)
		snprintf(buf, len, "%zu B", n);
	else if (n < (size_t)1024 * 1024)
		snprintf(buf, len, "%zu KB", (n + 1023) / 1024);
	else
		snprintf(buf, len, "%.1f MB", (double)n / (1024.0 * 1024.0));
}

static void placeholder(struct mime_render_ctx *r, const struct mime_part *p)
{
	char size[32];
	human_size(p->size, size, sizeof(size));
	if (p->filename)
		add_notice(r, "[-- Attachment #%zu: %s (%s, %s) --]", p->attach_index, p->filename, p->type, size);
	else
		add_notice(r, "[-- Attachment #%zu: %s, %s --]", p->attach_index, p->type, size);
}

/* A charset named in the HTML itself (<meta charset=...>), when the
 * Content-Type has none. */
static char *html_sniff_charset(const char *s, size_t len)
{
	size_t n = len < 2048 ? len : 2048;
	for (size_t i = 0; i + 8 < n; i++) {
		if (strncasecmp(s + i, "charset=", 8) != 0)
			continue;
		size_t j = i + 8 + (s[i + 8] == '"' || s[i + 8] == '\'');
		size_t k = j;
		while (k < n && k - j < 40 && (isalnum((unsigned char)s[k]) || strchr("._:-", s[k])))
			k++;
		return k > j ? xstrndup(s + j, k - j) : NULL;
	}
	return NULL;
}

static void html_convert(struct mime_render_ctx *r, const char *html, size_t len, struct strbuf *out)
{
	const char *cmd = r->o ? r->o->html_filter : NULL;
	if (cmd && *cmd) {
		int t = r->o->html_filter_timeout_ms > 0 ? r->o->html_filter_timeout_ms : 5000;
		enum html_filter_status st = html_filter_run(cmd, html, len, t, MIME_MAX_TEXT, out);
		if (st == HTML_FILTER_OK)
			return;
		add_notice(r, "[-- html_filter %s; built-in HTML converter used --]",
			   st == HTML_FILTER_TIMEOUT ? "timed out" : st == HTML_FILTER_TOO_LARGE ? "gave too much output" : "failed");
	}
	html_to_text(html, len, out);
}

/* The part's text as UTF-8 in out: transfer decoding, charset, HTML. */
static void part_text(struct mime_render_ctx *r, const struct mime_part *p, bool html, struct strbuf *out)
{
	char *raw;
	size_t len;
	mime_part_decode(p, &raw, &len);
	bool cut = len > MIME_MAX_TEXT;
	if (cut)
		len = MIME_MAX_TEXT;
	char *sniffed = html && !p->charset ? html_sniff_charset(raw, len) : NULL;
	const char *cs = p->charset ? p->charset : sniffed;
	struct strbuf u;
	strbuf_init(&u);
	if (charset_to_utf8(cs, raw, len, &u) == CHARSET_UNKNOWN) {
		char *label = charset_label_for_display(cs);
		add_notice(r, "[-- unknown charset %s; shown as raw text --]", label);
		free(label);
	}
	if (html)
		html_convert(r, u.s ? u.s : "", u.len, out);
	else if (p->flowed)
		reflow(u.s ? u.s : "", u.len, p->delsp, out);
	else
		strbuf_add(out, u.s ? u.s : "", u.len);
	if (cut)
		strbuf_addf(out, "\n[-- text cut at %zu MB --]\n", MIME_MAX_TEXT >> 20);
	strbuf_free(&u);
	free(sniffed);
	free(raw);
}

/* An invitation (text/calendar) as calendar_summary's lines instead of
 * raw iCalendar; text libical cannot read stays as it is. */
static void calendar_text(struct strbuf *out)
{
	char *err = NULL;
	calendar_t *c = out->len ? calendar_parse(out->s, out->len, &err) : NULL;
	free(err);
	if (!c)
		return;
	char *sum = calendar_summary(c);
	const char *method = calendar_method(c);
	strbuf_reset(out);
	strbuf_addf(out, "[-- %s (text/calendar%s%s)%s --]\n",
		    strcmp(method, "REQUEST") == 0  ? "Invitation"
		    : strcmp(method, "CANCEL") == 0 ? "Cancelled event"
						    : "Calendar event",
		    *method ? ", " : "", method,
		    strcmp(method, "REQUEST") == 0 ? ": answer with accept, tentative or decline" : "");
	strbuf_adds(out, sum);
	free(sum);
	calendar_free(&c);
}

static void render_text(struct mime_render_ctx *r, const struct mime_part *p, bool html)
{
	if (r->body_started)
		placeholder(r, p);
	r->body_started = true;
	struct strbuf out;
	strbuf_init(&out);
	part_text(r, p, html, &out);
	if (strcasecmp(p->type, "text/calendar") == 0)
		calendar_text(&out);
	emit_text(r, out.s ? out.s : "", out.len);
	strbuf_free(&out);
}

/* ---- headers ---- */

static bool is_msgid_name(const char *n)
{
	return strcasecmp(n, "message-id") == 0 || strcasecmp(n, "in-reply-to") == 0 ||
	       strcasecmp(n, "references") == 0;
}

/* Does header_list's token (name, "Prefix*" or "*") match this field? */
static bool token_matches(const char *tok, size_t n, const struct mime_field *fld)
{
	if (n > 0 && tok[n - 1] == '*')
		return fld->name_len >= n - 1 && strncasecmp(fld->name, tok, n - 1) == 0;
	return fld->name_len == n && strncasecmp(fld->name, tok, n) == 0;
}

/* Hidden from "*" and "Prefix*" by a "!Name" / "!Prefix*" token? */
static bool excluded(const char *list, const struct mime_field *fld)
{
	while (*list) {
		size_t n = strcspn(list, " \t,");
		if (n > 1 && *list == '!' && token_matches(list + 1, n - 1, fld))
			return true;
		list += n;
		list += strspn(list, " \t,");
	}
	return false;
}

static void show_field(struct mime_render_ctx *r, const char *name, size_t name_len, const struct mime_field *fld)
{
	char nm[64];
	size_t n = name_len < sizeof(nm) - 1 ? name_len : sizeof(nm) - 1;
	memcpy(nm, name, n);
	nm[n] = '\0';
	char *val = mime_field_display(fld, !is_msgid_name(nm));
	add_notice(r, "%s: %s", nm, val);
	r->v->lines[r->v->n - 1].kind = MIME_LINE_HEADER;
	free(val);
}

/* header_list, token by token: a name shows that header as the list
 * spells it; "Prefix*" every header starting so and "*" every other one,
 * in the message's order, skipping those shown already and those a
 * "!Name" / "!Prefix*" token hides (mutt's ignore / unignore / hdr_order
 * are written in these terms by the rc parser). */
static void render_headers(struct mime_render_ctx *r, const struct mime_fields *f)
{
	const char *list = r->o && r->o->header_list ? r->o->header_list : "";
	bool *shown = f->n ? xcalloc(f->n, sizeof(*shown)) : NULL, any = false;
	for (const char *t = list; *t;) {
		size_t n = strcspn(t, " \t,");
		if (n > 0 && n < 64 && *t != '!') {
			bool wild = t[n - 1] == '*';
			for (size_t i = 0; i < f->n; i++) {
				if (shown[i] || !token_matches(t, n, &f->v[i]) || (wild && excluded(list, &f->v[i])))
					continue;
				shown[i] = any = true;
				show_field(r, wild ? f->v[i].name : t, wild ? f->v[i].name_len : n, &f->v[i]);
				if (!wild)
					break;
			}
		}
		t += n;
		t += strspn(t, " \t,");
	}
	free(shown);
	if (any)
		add_line(r, MIME_LINE_NORMAL, 0, xstrdup(""));
}

/* ---- multipart/alternative ---- */

static const char *effective_type(const struct mime_part *p)
{
	if (strcmp(p->type, "multipart/related") == 0 && p->child)
		return p->child->type;
	return p->type;
}

static bool type_matches(const char *type, const char *pat, size_t n)
{
	const char *slash = memchr(pat, '/', n);
	size_t major = slash ? (size_t)(slash - pat) : n;
	if (!slash || (n == major + 2 && pat[major + 1] == '*'))
		return strncasecmp(type, pat, major) == 0 && type[major] == '/';
	return strlen(type) == n && strncasecmp(type, pat, n) == 0;
}

static const struct mime_part *alt_choose(const struct mime_part *p, const char *order)
{
	const char *o = order && *order ? order : "text/plain text/html";
	for (int t = 0; *o && t < ORDER_TOKENS_MAX; t++) {
		o += strspn(o, " \t,");
		size_t n = strcspn(o, " \t,");
		const struct mime_part *best = NULL;
		for (const struct mime_part *c = p->child; c && n; c = c->next)
			if (type_matches(effective_type(c), o, n))
				best = c; /* the last match is the most faithful (RFC 2046) */
		if (best)
			return best;
		o += n;
	}
	const struct mime_part *best = p->child;
	for (const struct mime_part *c = p->child; c; c = c->next)
		if (strncmp(c->type, "text/", 5) == 0)
			best = c;
	return best;
}

/* ---- parts ---- */

static void render_part(struct mime_render_ctx *r, const struct mime_part *p);

static void render_cut(struct mime_render_ctx *r, const struct mime_part *p)
{
	placeholder(r, p);
	if (p->cut == MIME_CUT_DEPTH)
		add_notice(r, "[-- nested more than %d levels deep; not shown (save it to read it) --]", MIME_MAX_DEPTH);
}

static void render_message(struct mime_render_ctx *r, const struct mime_part *p)
{
	placeholder(r, p);
	if (!p->child)
		return;
	render_headers(r, &p->child->fields);
	bool started = r->body_started;
	r->body_started = false; /* the forwarded message's own body needs no placeholder */
	render_part(r, p->child);
	r->body_started = started || r->body_started;
}

static void render_multipart(struct mime_render_ctx *r, const struct mime_part *p)
{
	if (strcmp(p->type, "multipart/alternative") == 0) {
		const struct mime_part *c = alt_choose(p, r->o ? r->o->alternative_order : NULL);
		if (c)
			render_part(r, c);
		/* an invitation's calendar is shown too, whatever the text chosen */
		for (const struct mime_part *k = p->child; k && !r->full; k = k->next)
			if (k != c && k->kind != BODY_MULTIPART && strcasecmp(k->type, "text/calendar") == 0)
				render_part(r, k);
	} else if (strcmp(p->type, "multipart/related") == 0) {
		if (p->child)
			render_part(r, p->child);
	} else {
		for (const struct mime_part *c = p->child; c && !r->full; c = c->next)
			render_part(r, c);
	}
	if (p->cut == MIME_CUT_PARTS)
		add_notice(r, "[-- more than %d parts; the rest of this message is not shown --]", MIME_MAX_PARTS);
}

static bool shown_inline(const struct mime_part *p)
{
	if (strcmp(p->type, "text/html") == 0)
		return !p->attachment;
	return strncmp(p->type, "text/", 5) == 0 || strcmp(p->type, "message/delivery-status") == 0;
}

static void render_part(struct mime_render_ctx *r, const struct mime_part *p)
{
	if (r->full)
		return;
	if (r->o && r->o->part_hook && r->o->part_hook(r->o->hook_ud, r, r->m, p))
		return;
	if (p->cut == MIME_CUT_DEPTH)
		render_cut(r, p);
	else if (p->kind == BODY_MULTIPART)
		render_multipart(r, p);
	else if (p->kind == BODY_MESSAGE)
		render_message(r, p);
	else if (shown_inline(p))
		render_text(r, p, strcmp(p->type, "text/html") == 0);
	else
		placeholder(r, p);
}

mime_view_t *mime_render(const mime_msg_t *m, const struct mime_render_opts *opts)
{
	struct mime_render_ctx r = { .m = m, .o = opts, .v = xcalloc(1, sizeof(mime_view_t)) };
	render_headers(&r, &m->root->fields);
	render_part(&r, m->root);
	return r.v;
}

void mime_render_mark(struct mime_render_ctx *r, const char *text)
{
	add_line(r, MIME_LINE_MARK, 0, text_sanitize(text, strlen(text), false));
}

void mime_render_message(struct mime_render_ctx *r, const mime_msg_t *m)
{
	const mime_msg_t *outer = r->m;
	r->m = m;
	render_headers(r, &m->root->fields);
	render_part(r, m->root);
	r->m = outer;
}

void mime_render_text(struct mime_render_ctx *r, const char *s, size_t len)
{
	emit_text(r, s, len);
}

void mime_view_free(mime_view_t **vp)
{
	mime_view_t *v = *vp;
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++)
		free((char *)v->lines[i].text);
	for (size_t i = 0; i < v->nurls; i++)
		free(v->urls[i]);
	free(v->lines);
	free(v->urls);
	free(v);
	*vp = NULL;
}

size_t mime_view_line_count(const mime_view_t *v)
{
	return v->n;
}

const struct mime_line *mime_view_line(const mime_view_t *v, size_t i)
{
	return i < v->n ? &v->lines[i] : NULL;
}

size_t mime_view_url_count(const mime_view_t *v)
{
	return v->nurls;
}

const char *mime_view_url(const mime_view_t *v, size_t i)
{
	return i < v->nurls ? v->urls[i] : NULL;
}
