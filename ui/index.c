/* index.c - the index: one line per thread or per message of a folder or
 * query, newest first, loaded lazily (the first screen first, the rest
 * between keypresses), columns from index_format. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "syncglue.h"
#include "uiint.h"

#define INDEX_SLICE_MS 12

struct index_view {
	struct view base;
	char *title;       /* owned */
	char *query;       /* owned: the folder's query */
	char *limit;       /* owned: the limit pattern, or NULL */
	mv_list_t *list;   /* owned, NULL without a store */
	struct listview lv;
	enum mv_mode mode;
	enum mv_sort sort;
	unsigned unread;
	bool unread_known;
	bool follow_end;   /* last-entry while loading: stay at the end */
	char **sel;        /* owned: selected ids, sorted */
	size_t nsel;
	char *err;         /* owned: why the list is empty */
};

static const char *const index_helpbar[] = { "quit", "display-message", "delete-message", "save-message",
					     "toggle-new", "flag-message", "vfolder-from-query", "change-folder",
					     "help", NULL };

/* ---- selection (tag-entry, tag-pattern) ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool sel_has(const struct index_view *iv, const char *id)
{
	return iv->nsel && bsearch(&id, iv->sel, iv->nsel, sizeof(char *), cmp_str);
}

static void sel_set(struct index_view *iv, const char *id, bool on)
{
	size_t lo = 0, hi = iv->nsel;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(iv->sel[mid], id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	bool there = lo < iv->nsel && strcmp(iv->sel[lo], id) == 0;
	if (on && !there) {
		iv->sel = xreallocarray(iv->sel, iv->nsel + 1, sizeof(char *));
		memmove(iv->sel + lo + 1, iv->sel + lo, (iv->nsel - lo) * sizeof(char *));
		iv->sel[lo] = xstrdup(id);
		iv->nsel++;
	} else if (!on && there) {
		free(iv->sel[lo]);
		memmove(iv->sel + lo, iv->sel + lo + 1, (iv->nsel - lo - 1) * sizeof(char *));
		iv->nsel--;
	}
}

/* ---- formatting ---- */

static void seg(struct fmt_line *f, size_t from, enum color_obj o)
{
	if (f->nseg < ARRAY_SIZE(f->seg) && f->text.len > from) {
		f->seg[f->nseg].off = from;
		f->seg[f->nseg].len = f->text.len - from;
		f->seg[f->nseg].obj = o;
		f->nseg++;
	}
}

static void fmt_date(struct strbuf *b, const char *fmt, time_t t)
{
	struct tm tm;
	char buf[128];
	localtime_r(&t, &tm);
	size_t n = strftime(buf, sizeof(buf), fmt, &tm);
	strbuf_add(b, buf, n);
}

static void fmt_size(struct strbuf *b, const char *file)
{
	struct stat st;
	if (!file || stat(file, &st) != 0) {
		strbuf_adds(b, "?");
		return;
	}
	double s = (double)st.st_size;
	if (s < 1024)
		strbuf_addf(b, "%ld", (long)st.st_size);
	else if (s < 1024 * 1024)
		strbuf_addf(b, "%.0fK", s / 1024);
	else
		strbuf_addf(b, "%.1fM", s / (1024 * 1024));
}

static void fmt_flags(struct strbuf *b, const struct mv_entry *e, bool selected)
{
	char c[4] = "   ";
	c[0] = selected ? '*' : (e->flags & MV_DELETED) ? 'D' : (e->flags & MV_UNREAD) ? 'N' : ' ';
	c[1] = (e->flags & MV_FLAGGED) ? '!' : (e->flags & MV_REPLIED) ? 'r' : ' ';
	c[2] = (e->flags & MV_ATTACHMENT) ? '@' : ' ';
	strbuf_adds(b, c);
}

/* The display name of a From header ("Name <a@b>" -> Name), else the
 * address; thread author lists ("A, B| C") pass through. */
static void from_name(struct strbuf *b, const char *from)
{
	const char *lt = strchr(from, '<');
	if (!lt || strchr(from, ',') || strchr(from, '|')) {
		strbuf_adds(b, from);
		return;
	}
	const char *s = from, *e = lt;
	while (s < e && *s == ' ')
		s++;
	while (e > s && e[-1] == ' ')
		e--;
	if (e - s >= 2 && *s == '"' && e[-1] == '"') {
		s++;
		e--;
	}
	if (e > s) {
		for (const char *p = s; p < e; p++) {
			if (*p == '\\' && p + 1 < e)
				p++;
			strbuf_addc(b, *p);
		}
		return;
	}
	const char *gt = strchr(lt, '>');
	strbuf_add(b, lt + 1, gt ? (size_t)(gt - lt - 1) : strlen(lt + 1));
}

/* Expand one %-expando into tmp; returns its colour. */
static enum color_obj expand(struct ui *u, char ch, const char *arg, const struct mv_entry *e, size_t num,
			     bool selected, bool thread_mode, struct strbuf *tmp)
{
	switch (ch) {
	case 'C': strbuf_addf(tmp, "%zu", num + 1); return CO_normal;
	case 'Z': fmt_flags(tmp, e, selected); return CO_index_flags;
	case '{': fmt_date(tmp, arg, e->date); return CO_index_date;
	case 'd':
	case 'D': fmt_date(tmp, conf_str(u->conf, -1, OPT_ID_date_format), e->date); return CO_index_date;
	case 'F':
	case 'L':
	case 'n': from_name(tmp, e->from); return CO_index_from;
	case 'a': strbuf_adds(tmp, e->from); return CO_index_from;
	case 'g': strbuf_adds(tmp, e->tags); return CO_index_tags;
	case 'N': strbuf_addf(tmp, "%u", e->total); return CO_normal;
	case 'c': fmt_size(tmp, e->file); return CO_normal;
	case 's':
	case 'S':
		if (e->tree) {
			strbuf_adds(tmp, e->tree);
		}
		strbuf_adds(tmp, e->subject);
		if (thread_mode && e->total > 1)
			strbuf_addf(tmp, " (%u)", e->total);
		return CO_index_subject;
	case '%': strbuf_addc(tmp, '%'); return CO_normal;
	default: strbuf_addc(tmp, '%'); strbuf_addc(tmp, ch); return CO_normal;
	}
}

void index_format_line(struct ui *u, const struct mv_entry *e, size_t num, bool selected, bool thread_mode,
		       struct fmt_line *f)
{
	const char *p = conf_str(u->conf, -1, OPT_ID_index_format);
	struct strbuf tmp;
	strbuf_init(&tmp);
	strbuf_reset(&f->text);
	f->nseg = 0;
	while (*p) {
		if (*p != '%') {
			const char *q = strchr(p, '%');
			size_t n = q ? (size_t)(q - p) : strlen(p);
			strbuf_add(&f->text, p, n);
			p += n;
			continue;
		}
		p++;
		bool left = false;
		if (*p == '-') {
			left = true;
			p++;
		}
		int minw = 0, maxw = -1;
		while (*p >= '0' && *p <= '9')
			minw = minw * 10 + (*p++ - '0');
		if (*p == '.') {
			p++;
			maxw = 0;
			while (*p >= '0' && *p <= '9')
				maxw = maxw * 10 + (*p++ - '0');
		}
		if (!*p)
			break;
		char ch = *p++;
		char arg[64] = "";
		if (ch == '{') {
			const char *end = strchr(p, '}');
			size_t n = end ? (size_t)(end - p) : strlen(p);
			if (n >= sizeof(arg))
				n = sizeof(arg) - 1;
			memcpy(arg, p, n);
			arg[n] = '\0';
			p = end ? end + 1 : p + strlen(p);
		}
		strbuf_reset(&tmp);
		enum color_obj o = expand(u, ch, arg, e, num, selected, thread_mode, &tmp);
		size_t from = f->text.len;
		text_fit(&f->text, tmp.s ? tmp.s : "", minw, maxw, left);
		seg(f, from, o);
	}
	strbuf_free(&tmp);
}

void index_draw_line(struct ui *u, const struct mv_entry *e, size_t num, bool selected, bool thread_mode,
		     int y, int x, int w, bool cursor)
{
	struct fmt_line f = { 0 };
	strbuf_init(&f.text);
	index_format_line(u, e, num, selected, thread_mode, &f);
	attr_t line = 0;
	if (cursor)
		line = theme_attr(u->th, CO_indicator);
	else if (e->flags & MV_DELETED)
		line = theme_attr(u->th, CO_index_deleted);
	else if (e->flags & MV_FLAGGED)
		line = theme_attr(u->th, CO_index_flagged);
	else if (e->flags & MV_UNREAD)
		line = theme_attr(u->th, CO_index_unread);
	if (!line && f.text.s)
		line = theme_index_regex(u->th, f.text.s);
	draw_fill(y, x, w, line ? line : theme_attr(u->th, CO_normal));
	int col = 0;
	size_t pos = 0;
	for (size_t i = 0; i <= f.nseg && col < w; i++) {
		size_t end = i < f.nseg ? f.seg[i].off : f.text.len;
		if (end > pos) /* literal text between expandos */
			col += draw_textn(y, x + col, w - col, f.text.s + pos, end - pos,
					  line ? line : theme_attr(u->th, CO_normal));
		if (i == f.nseg)
			break;
		attr_t a = line ? line : theme_attr(u->th, f.seg[i].obj);
		col += draw_textn(y, x + col, w - col, f.text.s + f.seg[i].off, f.seg[i].len, a);
		pos = f.seg[i].off + f.seg[i].len;
	}
	strbuf_free(&f.text);
}

int index_draw_sidebar(struct ui *u)
{
	if (!conf_bool(u->conf, -1, OPT_ID_sidebar_visible) || COLS < 60)
		return 0;
	int w = (int)conf_num(u->conf, -1, OPT_ID_sidebar_width);
	if (w > COLS / 2)
		w = COLS / 2;
	sidebar_draw(u, u->sb, ui_top_row(), 0, w, ui_content_rows());
	for (int r = 0; r < ui_content_rows(); r++)
		draw_text(ui_top_row() + r, w, 1, u->utf8 ? "\xe2\x94\x82" : "|", theme_attr(u->th, CO_sidebar_divider));
	return w + 1;
}

/* ---- the list ---- */

static enum mv_sort sort_of(struct ui *u)
{
	static const enum mv_sort s[] = { MV_NEWEST_FIRST, MV_OLDEST_FIRST, MV_SORT_SUBJECT, MV_SORT_FROM };
	return s[conf_enum(u->conf, -1, OPT_ID_sort)];
}

static char *effective_query(const struct index_view *iv)
{
	if (iv->limit)
		return xasprintf("(%s) and (%s)", iv->query, iv->limit);
	return xstrdup(iv->query);
}

/* (Re)open the list; keep the cursor on the entry with id when possible. */
static void reload(struct ui *u, struct index_view *iv, const char *keep_id, size_t keep_pos)
{
	mv_list_free(&iv->list);
	xfree(&iv->err);
	iv->lv.count = 0;
	if (!u->mv) {
		iv->err = xstrdup(u->store_problem ? u->store_problem : "No mail store.");
		return;
	}
	iv->mode = conf_bool(u->conf, -1, OPT_ID_threads) ? MV_THREADS : MV_MESSAGES;
	iv->sort = sort_of(u);
	char *q = effective_query(iv);
	iv->list = mv_list_open(u->mv, q, iv->mode, iv->sort, &iv->err);
	iv->unread_known = false; /* counted when idle, after the first screen */
	free(q);
	if (!iv->list)
		return;
	/* the first screen now, at once; the rest in idle slices */
	size_t want = (size_t)ui_content_rows() + 8;
	if (keep_pos + (size_t)ui_content_rows() > want)
		want = keep_pos + (size_t)ui_content_rows();
	mv_list_fill(iv->list, want, 0);
	iv->lv.count = mv_list_count(iv->list);
	size_t at = keep_id ? mv_list_find(iv->list, keep_id) : (size_t)-1;
	iv->lv.cur = at != (size_t)-1 ? at : keep_pos;
	lv_set_cur(&iv->lv, iv->lv.cur);
}

static struct mv_entry *cur_entry(struct index_view *iv)
{
	return iv->list ? mv_list_entry(iv->list, iv->lv.cur) : NULL;
}

static void index_reload_keep(struct ui *u, struct index_view *iv)
{
	struct mv_entry *e = cur_entry(iv);
	char *id = e ? xstrdup(e->id) : NULL;
	size_t top_off = iv->lv.cur - iv->lv.top;
	reload(u, iv, id, iv->lv.cur);
	if (iv->lv.cur >= top_off)
		iv->lv.top = iv->lv.cur - top_off;
	lv_set_cur(&iv->lv, iv->lv.cur);
	free(id);
}

/* ---- view hooks ---- */

struct row_ctx {
	struct index_view *iv;
};

static void row(struct ui *u, void *ctx, size_t i, int y, int x, int w, bool cur)
{
	struct index_view *iv = ctx;
	struct mv_entry *e = mv_list_entry(iv->list, i);
	if (e)
		index_draw_line(u, e, i, sel_has(iv, e->id), iv->mode == MV_THREADS, y, x, w, cur);
}

static void draw_empty(struct ui *u, struct index_view *iv, int x)
{
	int y = ui_top_row() + 1;
	if (u->account < 0 && conf_account_count(u->conf) == 0) {
		draw_text(y++, x + 2, COLS - x - 2, "No account is configured.", theme_attr(u->th, CO_normal));
		draw_text(y++, x + 2, COLS - x - 2, "Run 'muttlike setup' to add one, or see muttlike.rc.example.",
			  theme_attr(u->th, CO_normal));
	} else if (iv->err) {
		draw_text(y++, x + 2, COLS - x - 2, iv->err, theme_attr(u->th, CO_error));
	} else {
		draw_text(y++, x + 2, COLS - x - 2, "No messages.", theme_attr(u->th, CO_normal));
	}
}

static void index_draw(struct ui *u, struct view *v)
{
	struct index_view *iv = (struct index_view *)v;
	if (iv->list && (iv->mode != (conf_bool(u->conf, -1, OPT_ID_threads) ? MV_THREADS : MV_MESSAGES) ||
			 iv->sort != sort_of(u)))
		index_reload_keep(u, iv);
	int x = index_draw_sidebar(u);
	if (!iv->list || iv->lv.count == 0) {
		iv->lv.rows = ui_content_rows();
		draw_empty(u, iv, x);
		return;
	}
	lv_draw(u, &iv->lv, ui_top_row(), x, COLS - x, ui_content_rows(), row, iv);
}

static void index_status(struct ui *u, struct view *v, struct strbuf *b)
{
	struct index_view *iv = (struct index_view *)v;
	strbuf_addf(b, "-- muttlike: %s", *iv->title ? iv->title : "(no folder)");
	if (iv->list) {
		strbuf_addf(b, " [Msgs:%u", mv_list_messages(iv->list));
		if (iv->unread_known)
			strbuf_addf(b, " New:%u", iv->unread);
		if (iv->mode == MV_THREADS)
			strbuf_addf(b, " Threads:%zu%s", mv_list_count(iv->list),
				    mv_list_complete(iv->list) ? "" : "+");
		if (iv->nsel)
			strbuf_addf(b, " Sel:%zu", iv->nsel);
		strbuf_adds(b, "]");
		if (iv->limit)
			strbuf_addf(b, " limit: %s", iv->limit);
		if (!mv_list_complete(iv->list))
			strbuf_adds(b, " loading...");
	}
	if (u->tag_prefix)
		strbuf_adds(b, " (tag-prefix)");
	strbuf_adds(b, " --");
}

static bool index_idle(struct ui *u, struct view *v)
{
	struct index_view *iv = (struct index_view *)v;
	if (iv->list && !iv->unread_known) {
		char *q = effective_query(iv);
		char *uq = xasprintf("(%s) and tag:unread", q);
		iv->unread = 0;
		mailview_count(u->mv, uq, &iv->unread);
		iv->unread_known = true;
		free(uq);
		free(q);
		return true;
	}
	if (!iv->list || mv_list_complete(iv->list))
		return false;
	mv_list_fill(iv->list, (size_t)-1, INDEX_SLICE_MS);
	iv->lv.count = mv_list_count(iv->list);
	if (iv->follow_end)
		lv_set_cur(&iv->lv, iv->lv.count ? iv->lv.count - 1 : 0);
	if (mv_list_complete(iv->list)) {
		iv->follow_end = false;
		return false;
	}
	return true;
}

static void index_store_changed(struct ui *u, struct view *v)
{
	index_reload_keep(u, (struct index_view *)v);
}

static void index_search_text(struct view *v, size_t i, struct strbuf *b)
{
	struct index_view *iv = (struct index_view *)v;
	struct mv_entry *e = mv_list_entry(iv->list, i);
	if (e)
		strbuf_addf(b, "%s\t%s\t%s", e->from, e->subject, e->tags);
}

static struct listview *index_list(struct view *v)
{
	return &((struct index_view *)v)->lv;
}

static void index_click(struct ui *u, struct view *v, int y, int x)
{
	struct index_view *iv = (struct index_view *)v;
	int sw = conf_bool(u->conf, -1, OPT_ID_sidebar_visible) && COLS >= 60 ? (int)conf_num(u->conf, -1, OPT_ID_sidebar_width) : -1;
	if (x < sw) {
		sidebar_click(u, u->sb, y - ui_top_row());
		return;
	}
	size_t i = iv->lv.top + (size_t)(y - ui_top_row());
	if (y >= ui_top_row() && i < iv->lv.count)
		lv_set_cur(&iv->lv, i);
}

static bool index_nav(struct ui *u, struct view *v, int dir, char **file, char **msgid)
{
	struct index_view *iv = (struct index_view *)v;
	if (!iv->list)
		return false;
	size_t want = iv->lv.cur + (size_t)(dir > 0 ? 1 : 0);
	while (dir > 0 && want >= mv_list_count(iv->list) && !mv_list_complete(iv->list))
		mv_list_fill(iv->list, 64, 0);
	iv->lv.count = mv_list_count(iv->list);
	if ((dir < 0 && iv->lv.cur == 0) || (dir > 0 && iv->lv.cur + 1 >= iv->lv.count))
		return false;
	lv_set_cur(&iv->lv, dir > 0 ? iv->lv.cur + 1 : iv->lv.cur - 1);
	struct mv_entry *e = cur_entry(iv);
	if (iv->mode == MV_MESSAGES) {
		*file = e->file ? xstrdup(e->file) : NULL;
		*msgid = xstrdup(e->id);
		return *file != NULL;
	}
	char *err = NULL;
	mv_list_t *t = mv_list_thread(u->mv, e->id, NULL, &err);
	free(err);
	struct mv_entry *m = t ? mv_list_entry(t, 0) : NULL;
	bool ok = m && m->file;
	if (ok) {
		*file = xstrdup(m->file);
		*msgid = xstrdup(m->id);
	}
	mv_list_free(&t);
	return ok;
}

static char **index_targets(struct ui *u, struct view *v, size_t *n)
{
	struct index_view *iv = (struct index_view *)v;
	*n = 0;
	char **ids = NULL;
	if (!iv->list || !u->mv)
		return NULL;
	struct mv_entry *e = cur_entry(iv);
	char **src = u->tag_prefix ? iv->sel : (e ? &e->id : NULL);
	size_t ns = u->tag_prefix ? iv->nsel : (e ? 1 : 0);
	for (size_t i = 0; i < ns; i++) {
		if (iv->mode == MV_MESSAGES) {
			ids = xreallocarray(ids, *n + 1, sizeof(char *));
			ids[(*n)++] = xstrdup(src[i]);
			continue;
		}
		char *err = NULL;
		mv_list_t *t = mv_list_thread(u->mv, src[i], iv->query, &err);
		free(err);
		for (size_t k = 0; t && k < mv_list_count(t); k++) {
			struct mv_entry *m = mv_list_entry(t, k);
			if (!(m->flags & MV_MATCH))
				continue;
			ids = xreallocarray(ids, *n + 1, sizeof(char *));
			ids[(*n)++] = xstrdup(m->id);
		}
		mv_list_free(&t);
	}
	return ids;
}

static void index_destroy(struct view *v)
{
	struct index_view *iv = (struct index_view *)v;
	mv_list_free(&iv->list);
	for (size_t i = 0; i < iv->nsel; i++)
		free(iv->sel[i]);
	free(iv->sel);
	free(iv->title);
	free(iv->query);
	free(iv->limit);
	free(iv->err);
	free(iv);
}

/* ---- ops ---- */

static void open_entry(struct ui *u, struct view *v)
{
	struct index_view *iv = (struct index_view *)v;
	struct mv_entry *e = cur_entry(iv);
	if (!e)
		return;
	if (iv->mode == MV_MESSAGES) {
		if (e->file)
			ui_push(u, pager_view_new(u, e->file, e->id));
		return;
	}
	if (e->total > 1) {
		ui_push(u, thread_view_new(u, e->id, iv->query, e->subject));
		return;
	}
	char *err = NULL;
	mv_list_t *t = mv_list_thread(u->mv, e->id, NULL, &err);
	struct mv_entry *m = t ? mv_list_entry(t, 0) : NULL;
	if (m && m->file)
		ui_push(u, pager_view_new(u, m->file, m->id));
	else
		ui_error(u, "Cannot open this message: %s", err ? err : "no file");
	free(err);
	mv_list_free(&t);
}

static void op_last(struct ui *u, struct view *v)
{
	(void)u;
	struct index_view *iv = (struct index_view *)v;
	if (iv->lv.count)
		lv_set_cur(&iv->lv, iv->lv.count - 1);
	if (iv->list && !mv_list_complete(iv->list)) {
		iv->follow_end = true;
		ui_message(u, "Still loading; staying at the end.");
	}
}

static void op_thread_view(struct ui *u, struct view *v)
{
	struct index_view *iv = (struct index_view *)v;
	struct mv_entry *e = cur_entry(iv);
	if (!e)
		return;
	if (iv->mode == MV_THREADS) {
		ui_push(u, thread_view_new(u, e->id, iv->query, e->subject));
		return;
	}
	ui_error(u, "Switch to threads (toggle-threads) to fold threads.");
}

static void op_toggle_threads(struct ui *u, struct view *v)
{
	(void)v;
	char *err = NULL;
	bool on = conf_bool(u->conf, -1, OPT_ID_threads);
	conf_set(u->conf, -1, "threads", on ? "no" : "yes", &err);
	free(err);
	ui_message(u, on ? "Showing messages." : "Showing threads.");
}

static void op_sort(struct ui *u, struct view *v)
{
	(void)v;
	char *s = prompt_line(u, "Sort (newest-first, oldest-first, subject, from): ", "", HIST_CMD, COMPLETE_NONE);
	if (s && *s) {
		char *err = NULL;
		if (!conf_set(u->conf, -1, "sort", s, &err))
			ui_error(u, "%s", err);
		free(err);
	}
	free(s);
}

static void op_limit(struct ui *u, struct view *v)
{
	struct index_view *iv = (struct index_view *)v;
	char *s = prompt_line(u, "Limit to (notmuch query, empty for all): ", iv->limit ? iv->limit : "",
			      HIST_QUERY, COMPLETE_QUERY);
	if (!s)
		return;
	free(iv->limit);
	iv->limit = *s && strcmp(s, "all") != 0 && strcmp(s, "*") != 0 ? s : NULL;
	if (!iv->limit)
		free(s);
	reload(u, iv, NULL, 0);
	if (!iv->list)
		ui_error(u, "%s", iv->err ? iv->err : "bad query");
}

static void op_tag_entry(struct ui *u, struct view *v)
{
	struct index_view *iv = (struct index_view *)v;
	struct mv_entry *e = cur_entry(iv);
	if (!e)
		return;
	sel_set(iv, e->id, !sel_has(iv, e->id));
	size_t before = iv->lv.cur;
	lv_set_cur(&iv->lv, iv->lv.cur + 1);
	(void)before;
	(void)u;
}

static void tag_pattern(struct ui *u, struct index_view *iv, bool on)
{
	char *pat = prompt_line(u, on ? "Select messages matching: " : "Unselect messages matching: ", "",
				HIST_QUERY, COMPLETE_QUERY);
	if (!pat || !*pat || !u->mv) {
		free(pat);
		return;
	}
	char *q = xasprintf("(%s) and (%s)", iv->query, pat);
	char *err = NULL;
	mv_list_t *l = mv_list_open(u->mv, q, iv->mode, MV_NEWEST_FIRST, &err);
	if (!l) {
		ui_error(u, "%s", err);
	} else {
		mv_list_fill(l, (size_t)-1, 0);
		for (size_t i = 0; i < mv_list_count(l); i++)
			sel_set(iv, mv_list_entry(l, i)->id, on);
		ui_message(u, "%zu %s %sselected.", mv_list_count(l), iv->mode == MV_THREADS ? "threads" : "messages",
			   on ? "" : "un");
		mv_list_free(&l);
	}
	free(err);
	free(q);
	free(pat);
}

static void op_tag_pattern(struct ui *u, struct view *v) { tag_pattern(u, (struct index_view *)v, true); }
static void op_untag_pattern(struct ui *u, struct view *v) { tag_pattern(u, (struct index_view *)v, false); }

static void jump_unread(struct ui *u, struct view *v, int dir)
{
	struct index_view *iv = (struct index_view *)v;
	if (!iv->list)
		return;
	size_t i = iv->lv.cur;
	for (;;) {
		if (dir > 0 && i + 1 >= mv_list_count(iv->list)) {
			if (mv_list_complete(iv->list) || !mv_list_fill(iv->list, 256, 0))
				break;
			iv->lv.count = mv_list_count(iv->list);
			continue;
		}
		if (dir < 0 && i == 0)
			break;
		i = dir > 0 ? i + 1 : i - 1;
		if (mv_list_entry(iv->list, i)->flags & MV_UNREAD) {
			lv_set_cur(&iv->lv, i);
			return;
		}
	}
	ui_error(u, "No more unread messages.");
}

static void op_next_unread(struct ui *u, struct view *v) { jump_unread(u, v, 1); }
static void op_prev_unread(struct ui *u, struct view *v) { jump_unread(u, v, -1); }

/* In the threaded index a line is a thread; otherwise jump to the next line
 * of another thread the cheap way: the next entry. */
static void run_lv(struct ui *u, struct view *v, const char *name)
{
	for (const struct op *o = lv_ops; o->name; o++)
		if (strcmp(o->name, name) == 0)
			o->fn(u, v);
}

static void op_next_thread(struct ui *u, struct view *v) { run_lv(u, v, "next-entry"); }
static void op_prev_thread(struct ui *u, struct view *v) { run_lv(u, v, "previous-entry"); }

static const struct op index_ops[] = {
	{ "select-entry", open_entry },
	{ "display-message", open_entry },
	{ "last-entry", op_last },
	{ "collapse-thread", op_thread_view },
	{ "collapse-all", op_toggle_threads },
	{ "toggle-threads", op_toggle_threads },
	{ "sort-mailbox", op_sort },
	{ "limit", op_limit },
	{ "tag-entry", op_tag_entry },
	{ "tag-pattern", op_tag_pattern },
	{ "untag-pattern", op_untag_pattern },
	{ "next-unread", op_next_unread },
	{ "previous-unread", op_prev_unread },
	{ "next-thread", op_next_thread },
	{ "previous-thread", op_prev_thread },
	{ NULL, NULL },
};

static const struct op *ops_with_actions(void)
{
	static struct op all[64];
	return ops_join(all, ARRAY_SIZE(all), index_ops, action_ops);
}

static const struct view_class index_class = {
	.name = "index",
	.menus = { MENU_INDEX, 0, 0 },
	.draw = index_draw,
	.destroy = index_destroy,
	.list = index_list,
	.status = index_status,
	.idle = index_idle,
	.store_changed = index_store_changed,
	.click = index_click,
	.search_text = index_search_text,
	.helpbar = index_helpbar,
	.nav = index_nav,
	.targets = index_targets,
};

struct view *index_view_new(struct ui *u, const char *title, const char *query)
{
	static struct view_class cls;
	if (!cls.name) {
		cls = index_class;
		cls.ops = ops_with_actions();
	}
	struct index_view *iv = xcalloc(1, sizeof(*iv));
	iv->base.cls = &cls;
	iv->title = xstrdup(title ? title : "");
	iv->query = xstrdup(query && *query ? query : "*");
	iv->lv.rows = ui_content_rows();
	reload(u, iv, NULL, 0);
	return &iv->base;
}

const char *index_view_query(struct view *v)
{
	return ((struct index_view *)v)->query;
}
