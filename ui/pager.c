/* pager.c - one message: headers, the body the mime module renders,
 * quoted levels in colour, the signature dimmed, URLs underlined, long
 * lines wrapped (at `wrap` or the window) with a `+` marker, search with
 * / and n, next/previous message through the view it was opened from. */
#include "pager.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "conf.h"
#include "draw.h"
#include "hookrun.h"
#include "keys.h"
#include "mailview.h"
#include "mime.h"
#include "prompt.h"
#include "rfc2047.h"
#include "status.h"
#include "store.h"
#include "text.h"
#include "theme.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"
#include "verdict.h"
#include "view.h"

#define RAW_HEADER_MAX (256 * 1024)
#define RAW_MESSAGE_MAX (4 * 1024 * 1024)

struct src_line {
	char *text; /* owned: tabs expanded, sanitized */
	enum mime_line_kind kind;
	int level;
};

struct vline {
	size_t src;
	size_t off, len;
	bool cont; /* a wrapped continuation */
	unsigned hidden; /* > 0: stands for this many hidden quoted lines (from src on) */
};

struct pager_view {
	struct view base;
	char *file;    /* owned, NULL for a text page */
	char *msgid;   /* owned */
	char *title;   /* owned */
	mime_msg_t *msg;
	mime_view_t *mview;
	struct verdict *verdict; /* owned: signatures and decryption, NULL when nothing is signed or encrypted */
	char *text;    /* owned: a text page's content */
	struct src_line *src;
	size_t nsrc, src_cap;
	struct vline *vl;
	size_t nvl;
	int layout_width;
	size_t top;
	bool hide_quoted;
	bool all_headers;
	bool oversized; /* tagged oversized: indexed by its headers only */
	regex_t search;
	bool have_search;
	size_t search_line; /* vline of the last match, for n */
};

static const char *const pager_helpbar[] = { "exit", "previous-entry", "next-entry", "view-attachments",
					     "view-urls", "reply", "help", NULL };

/* ---- building the source lines ---- */

static void add_src(struct pager_view *p, const char *s, size_t len, enum mime_line_kind kind, int level,
		    bool trusted)
{
	struct strbuf b;
	strbuf_init(&b);
	int col = 0;
	/* expand tabs by display column (widths matter only up to the last tab) */
	const char *last_tab = len ? memrchr(s, '\t', len) : NULL;
	size_t tail = last_tab ? (size_t)(last_tab - s) + 1 : 0;
	for (size_t i = 0; i < tail;) {
		if (s[i] == '\t') {
			int n = 8 - col % 8;
			for (int k = 0; k < n; k++)
				strbuf_addc(&b, ' ');
			col += n;
			i++;
			continue;
		}
		const char *q = s + i;
		unsigned cp = utf8_next(&q, s + len);
		strbuf_add(&b, s + i, (size_t)(q - (s + i)));
		col += cp_width(cp);
		i = (size_t)(q - s);
	}
	strbuf_add(&b, s + tail, len - tail);
	if (p->nsrc == p->src_cap) {
		p->src_cap = p->src_cap ? p->src_cap * 2 : 64;
		p->src = xreallocarray(p->src, p->src_cap, sizeof(*p->src));
	}
	/* mime's lines are sanitized already; raw headers and text pages are
	 * not (draw_textn filters again anyway) */
	p->src[p->nsrc].text = trusted ? strbuf_detach(&b) : text_sanitize(b.s ? b.s : "", b.len, false);
	p->src[p->nsrc].kind = kind;
	p->src[p->nsrc].level = level;
	p->nsrc++;
	strbuf_free(&b);
}

static void clear_src(struct pager_view *p)
{
	for (size_t i = 0; i < p->nsrc; i++)
		free(p->src[i].text);
	free(p->src);
	p->src = NULL;
	p->nsrc = 0;
	p->src_cap = 0;
	free(p->vl);
	p->vl = NULL;
	p->nvl = 0;
	p->layout_width = 0;
}

/* Read up to max bytes of the message file.  A flag change (reading it
 * marks it seen: ":2," becomes ":2,S") renames the file under the pager,
 * so a name that is gone is looked up again and kept.  NULL when
 * unreadable; *n gets the length (the buffer is NUL-terminated). */
static char *read_message_file(struct pager_view *p, size_t max, size_t *n)
{
	FILE *f = p->file ? fopen(p->file, "r") : NULL;
	if (!f && p->file) {
		char *now = mailview_current_file(p->file);
		if (now) {
			f = fopen(now, "r");
			free(p->file);
			p->file = now;
		}
	}
	if (!f)
		return NULL;
	char *buf = xmalloc(max + 1);
	*n = fread(buf, 1, max, f);
	fclose(f);
	buf[*n] = 0;
	return buf;
}

/* Every header of the message (display-toggle-weed), in file order, each
 * field unfolded and its value decoded (RFC 2047, raw 8-bit); add_src
 * sanitizes what came encoded. */
static void add_all_headers(struct pager_view *p)
{
	size_t n;
	char *buf = read_message_file(p, RAW_HEADER_MAX, &n);
	if (!buf) {
		static const char gone[] = "[-- The message file is gone; its headers cannot be shown --]";
		add_src(p, gone, sizeof(gone) - 1, MIME_LINE_ATTACHMENT, 0, true);
		return;
	}
	size_t end = 0; /* the header block: up to the first empty line */
	while (end < n && buf[end] != '\n' && !(buf[end] == '\r' && end + 1 < n && buf[end + 1] == '\n')) {
		const char *nl = memchr(buf + end, '\n', n - end);
		end = nl ? (size_t)(nl - buf) + 1 : n;
	}
	struct strbuf line;
	strbuf_init(&line);
	for (size_t i = 0; i < end;) {
		size_t j = i; /* one field: its line and the continuation lines */
		do {
			const char *nl = memchr(buf + j, '\n', end - j);
			j = nl ? (size_t)(nl - buf) + 1 : end;
		} while (j < end && (buf[j] == ' ' || buf[j] == '\t'));
		const char *colon = memchr(buf + i, ':', j - i);
		strbuf_reset(&line);
		if (colon) {
			strbuf_add(&line, buf + i, (size_t)(colon - (buf + i)) + 1);
			const char *v = colon + 1;
			while (v < buf + j && (*v == ' ' || *v == '\t'))
				v++;
			strbuf_addc(&line, ' ');
			/* unfold: a line break and the blanks after it become one space */
			struct strbuf val;
			strbuf_init(&val);
			for (const char *c = v; c < buf + j; c++) {
				if (*c == '\r' || *c == '\n') {
					while (c + 1 < buf + j && (c[1] == '\r' || c[1] == '\n' || c[1] == ' ' || c[1] == '\t'))
						c++;
					strbuf_addc(&val, ' ');
				} else {
					strbuf_addc(&val, *c);
				}
			}
			rfc2047_decode(val.s ? val.s : "", val.len, &line);
			strbuf_free(&val);
		} else {
			rfc2047_unfold(buf + i, j - i, &line);
		}
		while (line.len && (line.s[line.len - 1] == '\n' || line.s[line.len - 1] == '\r' ||
				    line.s[line.len - 1] == ' '))
			line.s[--line.len] = 0;
		add_src(p, line.s ? line.s : "", line.len, MIME_LINE_HEADER, 0, false);
		i = j;
	}
	strbuf_free(&line);
	add_src(p, "", 0, MIME_LINE_NORMAL, 0, true);
	free(buf);
}

static void build_from_message(struct ui *u, struct pager_view *p)
{
	const char *hl = conf_str(u->conf, -1, OPT_ID_header_list);
	struct mime_render_opts o = {
		.header_list = p->all_headers ? "" : hl,
		.alternative_order = conf_str(u->conf, -1, OPT_ID_alternative_order),
		.html_filter = conf_str(u->conf, -1, OPT_ID_html_filter),
	};
	verdict_render_opts(p->verdict, &o);
	if (!p->mview)
		p->mview = mime_render(p->msg, &o);
	if (p->all_headers)
		add_all_headers(p);
	size_t n = mime_view_line_count(p->mview);
	bool noted = !p->oversized;
	for (size_t i = 0; i < n; i++) {
		const struct mime_line *l = mime_view_line(p->mview, i);
		if (!noted && l->kind != MIME_LINE_HEADER) {
			/* after the header block: the one place everyone reads */
			static const char note[] = "[-- This message is over the MIME caps (parts, nesting, header "
						   "size or text); it was indexed by its headers only: words of its "
						   "body do not find it in a search --]";
			add_src(p, note, sizeof(note) - 1, MIME_LINE_ATTACHMENT, 0, true);
			noted = true;
		}
		if (p->all_headers && l->kind == MIME_LINE_HEADER)
			continue;
		add_src(p, l->text, strlen(l->text), l->kind, l->quote_level, true);
	}
}

static void build_from_text(struct pager_view *p)
{
	const char *s = p->text;
	for (;;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		if (!nl && len == 0)
			break;
		add_src(p, s, len, MIME_LINE_NORMAL, 0, false);
		if (!nl)
			break;
		s = nl + 1;
	}
}

static void build(struct ui *u, struct pager_view *p)
{
	clear_src(p);
	if (p->msg)
		build_from_message(u, p);
	else if (p->text)
		build_from_text(p);
}

/* ---- layout: wrap source lines into screen lines ---- */

static void push_vl(struct pager_view *p, size_t src, size_t off, size_t len, bool cont)
{
	if ((p->nvl & (p->nvl - 1)) == 0 || p->nvl == 0)
		p->vl = xreallocarray(p->vl, p->nvl ? p->nvl * 2 : 64, sizeof(*p->vl));
	p->vl[p->nvl].src = src;
	p->vl[p->nvl].off = off;
	p->vl[p->nvl].len = len;
	p->vl[p->nvl].cont = cont;
	p->vl[p->nvl].hidden = 0;
	p->nvl++;
}

static void wrap_line(struct pager_view *p, size_t i, int width, bool markers)
{
	const char *s = p->src[i].text;
	size_t len = strlen(s), off = 0;
	bool cont = false;
	do {
		int w = width - (cont && markers ? 1 : 0);
		if (w < 1)
			w = 1;
		size_t n = text_prefix_bytes(s + off, len - off, w);
		if (n == 0 && off < len) { /* a character wider than the line */
			const char *q = s + off;
			utf8_next(&q, s + len);
			n = (size_t)(q - (s + off));
		}
		if (off + n < len) {
			/* break after the last space in the second half, when there is one */
			size_t k = n;
			while (k > n / 2 && s[off + k - 1] != ' ')
				k--;
			if (k > n / 2)
				n = k;
		}
		push_vl(p, i, off, n, cont);
		off += n;
		cont = true;
	} while (off < len);
}

/* The end of the quoted block that starts at i: quoted lines, and the
 * empty lines between two of them. */
static size_t quoted_run(const struct pager_view *p, size_t i)
{
	size_t end = i;
	for (size_t j = i; j < p->nsrc; j++) {
		if (p->src[j].kind == MIME_LINE_QUOTED)
			end = j + 1;
		else if (p->src[j].text[0] != '\0')
			break;
	}
	return end;
}

static void layout(struct ui *u, struct pager_view *p, int width)
{
	long wrap = conf_num(u->conf, -1, OPT_ID_wrap);
	if (wrap > 0 && wrap < width)
		width = (int)wrap;
	if (p->layout_width == width && p->vl)
		return;
	bool markers = conf_bool(u->conf, -1, OPT_ID_markers);
	free(p->vl);
	p->vl = NULL;
	p->nvl = 0;
	for (size_t i = 0; i < p->nsrc; i++) {
		if (p->hide_quoted && p->src[i].kind == MIME_LINE_QUOTED) {
			size_t j = quoted_run(p, i);
			push_vl(p, i, 0, 0, false);
			p->vl[p->nvl - 1].hidden = (unsigned)(j - i);
			i = j - 1;
			continue;
		}
		wrap_line(p, i, width, markers);
	}
	p->layout_width = width;
	if (p->top >= p->nvl)
		p->top = p->nvl ? p->nvl - 1 : 0;
}

static void relayout(struct pager_view *p)
{
	p->layout_width = 0;
}

/* ---- drawing ---- */

static attr_t kind_attr(struct ui *u, const struct src_line *s)
{
	static const enum color_obj q[] = { CO_quoted, CO_quoted1, CO_quoted2, CO_quoted3, CO_quoted4 };
	switch (s->kind) {
	case MIME_LINE_HEADER: return theme_attr(u->th, CO_header);
	case MIME_LINE_QUOTED: return theme_attr(u->th, q[(s->level > 0 ? s->level - 1 : 0) % 5]);
	case MIME_LINE_SIGNATURE: return theme_attr(u->th, CO_signature);
	case MIME_LINE_ATTACHMENT: return theme_attr(u->th, CO_attachment);
	case MIME_LINE_MARK: return A_REVERSE; /* ours (verdict.c): no theme or message changes it */
	default: return theme_attr(u->th, CO_normal);
	}
}

/* Draw s[from, from+n) over the line at the column where it starts. */
static void draw_over(int y, int x, int w, const char *line, size_t from, size_t n, attr_t a)
{
	int col = text_width(line, from);
	if (col < w)
		draw_textn(y, x + col, w - col, line + from, n, a);
}

static void draw_vline(struct ui *u, struct pager_view *p, const struct vline *v, int y)
{
	const struct src_line *s = &p->src[v->src];
	const char *t = s->text + v->off;
	attr_t base = kind_attr(u, s);
	if (v->hidden) { /* mutt's marker for hidden quoted text */
		char mark[64];
		unsigned n = 0;
		for (size_t i = v->src; i < v->src + v->hidden; i++)
			n += p->src[i].kind == MIME_LINE_QUOTED;
		snprintf(mark, sizeof(mark), "[-- %u line%s of quoted text --]", n, n == 1 ? "" : "s");
		draw_text(y, 0, COLS, mark, base);
		return;
	}
	int x = 0, w = COLS;
	if (v->cont && conf_bool(u->conf, -1, OPT_ID_markers)) {
		draw_text(y, 0, 1, "+", theme_attr(u->th, CO_markers));
		x = 1;
		w--;
	}
	draw_textn(y, x, w, t, v->len, base);
	if (s->kind == MIME_LINE_HEADER && !v->cont) {
		const char *colon = memchr(t, ':', v->len);
		if (colon)
			draw_over(y, x, w, t, 0, (size_t)(colon - t) + 1, theme_attr(u->th, CO_header_name));
	}
	char *seg = xstrndup(t, v->len);
	size_t st, ln, pos = 0;
	attr_t ra;
	while (pos < v->len && mime_url_find(seg + pos, v->len - pos, &st, &ln)) {
		draw_over(y, x, w, seg, pos + st, ln, theme_attr(u->th, CO_url));
		pos += st + ln;
	}
	if (s->kind == MIME_LINE_NORMAL && theme_body_regex(u->th, seg, &st, &ln, &ra))
		draw_over(y, x, w, seg, st, ln, ra);
	regmatch_t m;
	if (p->have_search && regexec(&p->search, seg, 1, &m, 0) == 0 && m.rm_eo > m.rm_so)
		draw_over(y, x, w, seg, (size_t)m.rm_so, (size_t)(m.rm_eo - m.rm_so), theme_attr(u->th, CO_search));
	free(seg);
}

/* The verdict's rows come first, leaving the body one row at least. */
static int verdict_above(const struct pager_view *p)
{
	int n = verdict_rows(p->verdict), max = ui_content_rows() - 1;
	return n < max ? n : max > 0 ? max : 0;
}

static int page_rows(const struct pager_view *p)
{
	int n = ui_content_rows() - verdict_above(p);
	return n > 1 ? n : 1;
}

static void pager_draw(struct ui *u, struct view *v)
{
	struct pager_view *p = (struct pager_view *)v;
	layout(u, p, COLS);
	int rows = page_rows(p), above = verdict_above(p);
	verdict_draw(u, p->verdict, ui_top_row(), above);
	for (int r = 0; r < rows; r++) {
		size_t i = p->top + (size_t)r;
		int y = ui_top_row() + above + r;
		if (i < p->nvl)
			draw_vline(u, p, &p->vl[i], y);
		else
			draw_text(y, 0, 1, "~", theme_attr(u->th, CO_tilde));
	}
}

static void pager_status(struct ui *u, struct view *v, struct strbuf *b)
{
	(void)u;
	struct pager_view *p = (struct pager_view *)v;
	size_t rows = (size_t)page_rows(p);
	const char *where = p->nvl <= rows ? "all" : p->top + rows >= p->nvl ? "end" : NULL;
	strbuf_addf(b, "-- %s", p->title);
	if (where)
		strbuf_addf(b, " (%s)", where);
	else
		strbuf_addf(b, " (%zu%%)", p->nvl ? (p->top + rows) * 100 / p->nvl : 100);
	if (p->hide_quoted)
		strbuf_adds(b, " [quoted hidden]");
	strbuf_adds(b, " --");
}

/* ---- loading ---- */

static bool load_message(struct ui *u, struct pager_view *p, const char *file, const char *msgid)
{
	/* the list's name may predate a flag change (the R flag of a reply) */
	char *now = mailview_current_file(file);
	mime_msg_t *m = NULL;
	hookrun_file(u, HOOK_MESSAGE, now ? now : file, msgid); /* before the text is laid out */
	enum mime_status st = mime_msg_parse_file(now ? now : file, &m);
	if (st != MIME_OK) {
		status_error(u, "Cannot open the message: %s", mime_strerror(st));
		free(now);
		return false;
	}
	struct verdict *vd = verdict_new(u, m);
	verdict_autocrypt(u, now ? now : file);
	verdict_free(&p->verdict);
	mime_msg_free(&p->msg);
	mime_view_free(&p->mview);
	p->msg = m;
	p->verdict = vd;
	free(p->file);
	p->file = now ? now : xstrdup(file);
	free(p->msgid);
	p->msgid = xstrdup(msgid ? msgid : "");
	p->oversized = *p->msgid && action_has_tag(u, p->msgid, STORE_TAG_OVERSIZED);
	free(p->title);
	const char *subj = mime_msg_header(m, MIME_H_SUBJECT);
	p->title = xstrdup(subj ? subj : "(no subject)");
	p->top = 0;
	verdict_remember(u, p->verdict, p->msgid);
	build(u, p);
	return true;
}

/* ---- ops ---- */

static void pager_scroll(struct pager_view *p, long d)
{
	long rows = page_rows(p);
	long max = (long)p->nvl - rows;
	if (max < 0)
		max = 0;
	long t = (long)p->top + d;
	if (t > max)
		t = max;
	if (t < 0)
		t = 0;
	p->top = (size_t)t;
}

#define PV(v) ((struct pager_view *)(v))
static void op_next_line(struct ui *u, struct view *v) { (void)u; pager_scroll(PV(v), 1); }
static void op_prev_line(struct ui *u, struct view *v) { (void)u; pager_scroll(PV(v), -1); }
static void op_half_down(struct ui *u, struct view *v) { (void)u; pager_scroll(PV(v), page_rows(PV(v)) / 2); }
static void op_half_up(struct ui *u, struct view *v) { (void)u; pager_scroll(PV(v), -page_rows(PV(v)) / 2); }
static void op_top(struct ui *u, struct view *v) { (void)u; PV(v)->top = 0; }
static void op_bottom(struct ui *u, struct view *v) { (void)u; pager_scroll(PV(v), (long)PV(v)->nvl); }
static void op_prev_page(struct ui *u, struct view *v) { (void)u; pager_scroll(PV(v), -(page_rows(PV(v)) - 1)); }

static void step(struct ui *u, struct view *v, int dir)
{
	struct pager_view *p = PV(v);
	struct view *below = v->below;
	char *file = NULL, *id = NULL;
	bool unread = dir == NAV_NEXT_UNREAD || dir == NAV_PREV_UNREAD;
	bool found = below && below->cls->nav && below->cls->nav(u, below, dir, &file, &id);
	/* no unread message left in a thread view: go on in the list under it */
	if (!found && unread && below && below->below && below->below->cls->nav)
		found = below->below->cls->nav(u, below->below, dir, &file, &id);
	if (!found) {
		status_error(u, unread    ? "No more unread messages."
		                : dir > 0 ? "No next message."
		                          : "No previous message.");
		return;
	}
	if (load_message(u, p, file, id))
		action_seen(u, p->msgid);
	free(file);
	free(id);
}

static void op_next_entry(struct ui *u, struct view *v) { step(u, v, 1); }
static void op_prev_entry(struct ui *u, struct view *v) { step(u, v, -1); }
static void op_next_unread(struct ui *u, struct view *v) { step(u, v, NAV_NEXT_UNREAD); }
static void op_prev_unread(struct ui *u, struct view *v) { step(u, v, NAV_PREV_UNREAD); }

static void op_next_page(struct ui *u, struct view *v)
{
	struct pager_view *p = PV(v);
	if (p->top + (size_t)page_rows(p) >= p->nvl) {
		if (p->msg)
			step(u, v, NAV_NEXT_UNREAD); /* mutt: Space at the end goes on to the next unread message */
		return;
	}
	pager_scroll(p, page_rows(p) - 1);
}

static void op_toggle_quoted(struct ui *u, struct view *v)
{
	(void)u;
	PV(v)->hide_quoted = !PV(v)->hide_quoted;
	relayout(PV(v));
}

static void op_weed(struct ui *u, struct view *v)
{
	struct pager_view *p = PV(v);
	if (!p->msg)
		return;
	p->all_headers = !p->all_headers;
	mime_view_free(&p->mview);
	build(u, p);
}

/* The message as it is in the file (view-raw-message), in a text page:
 * encoded words, folding, transfer encodings as they are; sanitized like
 * every text page. */
static void op_raw(struct ui *u, struct view *v)
{
	struct pager_view *p = PV(v);
	if (!p->msg)
		return;
	size_t n;
	char *buf = read_message_file(p, RAW_MESSAGE_MAX, &n);
	if (!buf) {
		status_error(u, "The message file is gone.");
		return;
	}
	struct strbuf t; /* CRLF as LF: a CR would show as a replacement character */
	strbuf_init(&t);
	for (size_t i = 0; i < n; i++)
		if (!(buf[i] == '\r' && i + 1 < n && buf[i + 1] == '\n'))
			strbuf_addc(&t, buf[i]);
	if (n == RAW_MESSAGE_MAX)
		strbuf_adds(&t, "\n[-- cut: the message is larger than what is shown --]\n");
	free(buf);
	char *title = xasprintf("Raw: %s", p->title);
	ui_push(u, pager_view_text(u, title, strbuf_detach(&t)));
	free(title);
}

static void search(struct ui *u, struct pager_view *p, bool again, int dir)
{
	if (!again || !p->have_search) {
		char *s = prompt_line(u, "Search for: ", "", HIST_SEARCH, COMPLETE_NONE);
		if (!s || !*s) {
			free(s);
			return;
		}
		if (p->have_search)
			regfree(&p->search);
		p->have_search = regcomp(&p->search, s, REG_EXTENDED | REG_ICASE) == 0;
		free(s);
		if (!p->have_search) {
			status_error(u, "Not a valid regular expression.");
			return;
		}
		p->search_line = p->top - (dir > 0 ? 1 : 0);
		if (p->top == 0 && dir > 0)
			p->search_line = (size_t)-1;
	}
	for (size_t k = 1; k <= p->nvl; k++) {
		size_t i = dir > 0 ? p->search_line + k : p->search_line - k;
		if (i >= p->nvl)
			break;
		const struct vline *vl = &p->vl[i];
		char *seg = xstrndup(p->src[vl->src].text + vl->off, vl->len);
		bool hit = regexec(&p->search, seg, 0, NULL, 0) == 0;
		free(seg);
		if (hit) {
			p->search_line = i;
			p->top = i > 2 ? i - 2 : 0;
			pager_scroll(p, 0);
			return;
		}
	}
	status_error(u, "Not found.");
}

static void op_search(struct ui *u, struct view *v) { search(u, PV(v), false, 1); }
static void op_search_rev(struct ui *u, struct view *v) { search(u, PV(v), false, -1); }
static void op_search_next(struct ui *u, struct view *v) { search(u, PV(v), true, 1); }
static void op_search_opp(struct ui *u, struct view *v) { search(u, PV(v), true, -1); }

static void op_urls(struct ui *u, struct view *v)
{
	struct pager_view *p = PV(v);
	size_t n = p->mview ? mime_view_url_count(p->mview) : 0;
	if (!n) {
		status_error(u, "No links in this message.");
		return;
	}
	char **urls = xcalloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		urls[i] = xstrdup(mime_view_url(p->mview, i));
	ui_push(u, u->views->urls(u, urls, n));
}

static void op_attachments(struct ui *u, struct view *v)
{
	struct pager_view *p = PV(v);
	/* opening the message marked it read, which renamed its file */
	char *now = p->file ? mailview_current_file(p->file) : NULL;
	if (p->file)
		ui_push(u, u->views->attach(u, now ? now : p->file));
	free(now);
}

static char **pager_targets(struct ui *u, struct view *v, size_t *n)
{
	(void)u;
	struct pager_view *p = PV(v);
	*n = 0;
	if (!p->msgid || !*p->msgid)
		return NULL;
	char **ids = xcalloc(1, sizeof(char *));
	ids[0] = xstrdup(p->msgid);
	*n = 1;
	return ids;
}

static void pager_click(struct ui *u, struct view *v, int y, int x)
{
	(void)u;
	(void)y;
	(void)x;
	(void)v;
}

static void pager_destroy(struct view *v)
{
	struct pager_view *p = PV(v);
	clear_src(p);
	mime_view_free(&p->mview);
	verdict_free(&p->verdict);
	mime_msg_free(&p->msg);
	if (p->have_search)
		regfree(&p->search);
	free(p->file);
	free(p->msgid);
	free(p->title);
	free(p->text);
	free(p);
}

static const struct op pager_ops[] = {
	{ "next-line", op_next_line },
	{ "previous-line", op_prev_line },
	{ "select-entry", op_next_line },
	{ "next-page", op_next_page },
	{ "previous-page", op_prev_page },
	{ "half-down", op_half_down },
	{ "half-up", op_half_up },
	{ "top", op_top },
	{ "first-entry", op_top },
	{ "bottom", op_bottom },
	{ "last-entry", op_bottom },
	{ "next-entry", op_next_entry },
	{ "previous-entry", op_prev_entry },
	{ "next-unread", op_next_unread },
	{ "previous-unread", op_prev_unread },
	{ "next-thread", op_next_entry },
	{ "previous-thread", op_prev_entry },
	{ "toggle-quoted", op_toggle_quoted },
	{ "display-toggle-weed", op_weed },
	{ "search", op_search },
	{ "search-reverse", op_search_rev },
	{ "search-next", op_search_next },
	{ "search-opposite", op_search_opp },
	{ "view-urls", op_urls },
	{ "view-raw-message", op_raw },
	{ "view-attachments", op_attachments },
	{ NULL, NULL },
};

static const struct op *ops_with_actions(void)
{
	static struct op all[64];
	return ui_join_ops(all, ARRAY_SIZE(all), pager_ops, action_ops);
}

static struct view_class pager_class = {
	.name = "pager",
	.menus = { MENU_PAGER, 0, 0 },
	.draw = pager_draw,
	.destroy = pager_destroy,
	.status = pager_status,
	.click = pager_click,
	.helpbar = pager_helpbar,
	.targets = pager_targets,
};

static struct pager_view *pager_alloc(void)
{
	if (!pager_class.ops)
		pager_class.ops = ops_with_actions();
	struct pager_view *p = xcalloc(1, sizeof(*p));
	p->base.cls = &pager_class;
	return p;
}

struct view *pager_view_new(struct ui *u, const char *file, const char *msgid)
{
	struct pager_view *p = pager_alloc();
	if (!load_message(u, p, file, msgid)) {
		p->title = xstrdup("(unreadable message)");
		p->text = xasprintf("The message file could not be read:\n%s\n", file);
		build(u, p);
	} else {
		action_seen(u, msgid);
	}
	return &p->base;
}

struct view *pager_view_text(struct ui *u, const char *title, char *text)
{
	struct pager_view *p = pager_alloc();
	p->title = xstrdup(title);
	p->text = text;
	build(u, p);
	return &p->base;
}
