/* index.c - the index: one line per thread or per message of a folder or
 * query, newest first, loaded lazily (the first screen first, the rest
 * between keypresses), columns from index_format.
 *
 * In threads mode a thread is one line (folded) until collapse-thread
 * opens it: then each of its messages is a line, in reply order with the
 * tree.  An open thread's messages are loaded only when one of its lines
 * is on the screen or under the cursor; until then it counts as as many
 * lines as notmuch says it has messages.  So unfolding everything
 * (collapse-all) on a 100,000-message folder costs nothing for the
 * threads nobody looks at, and folding never loads anything.
 */
#include "index.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "actions.h"
#include "conf.h"
#include "draw.h"
#include "keys.h"
#include "listview.h"
#include "log.h"
#include "mailview.h"
#include "pattern.h"
#include "prompt.h"
#include "sidebar.h"
#include "status.h"
#include "theme.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"
#include "verdict.h"
#include "view.h"

#define INDEX_SLICE_MS 12
/* open threads whose messages stay loaded when off the screen */
#define INDEX_THREAD_CACHE 256
/* a reload that failed (the store changing under us) is tried again after
 * INDEX_RETRY_MS, at most INDEX_RETRIES times in a row */
#define INDEX_RETRY_MS 300
#define INDEX_RETRIES 5

struct ithread {
	mv_list_t *msgs; /* owned: an open thread's messages, once loaded */
	size_t first;    /* its first row */
};

struct index_view {
	struct view base;
	char *title;       /* owned */
	char *query;       /* owned: the folder's query */
	char *limit;       /* owned: the limit pattern, or NULL */
	mv_list_t *list;   /* owned, NULL without a store */
	struct listview lv; /* rows: threads and the messages of open threads */
	enum mv_mode mode;
	enum mv_sort sort;
	unsigned unread;
	bool unread_known;
	char *note;        /* owned: a search during a first sync (sidebar_first_sync_note), or NULL */
	bool follow_end;   /* last-entry while loading: stay at the end */
	char **sel;        /* owned: selected ids (threads in threads mode), sorted */
	size_t nsel;
	char *err;         /* owned: why the list is empty */
	struct ithread *thr; /* owned: one per loaded entry of list */
	size_t nthr, ncached;
	bool all_open;     /* collapse-all unfolded: threads are open unless in flip */
	char **flip;       /* owned: ids of threads folded the other way, sorted */
	size_t nflip;
	bool stale;        /* the last reload failed: the list shown is older (or none) */
	long retry_ms;
	int retries;
};

static const char *const index_helpbar[] = { "quit", "display-message", "delete-message", "save-message",
					     "toggle-new", "flag-message", "vfolder-from-query", "change-folder",
					     "help", NULL };

/* ---- sets of ids (selection, folding) ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool idset_has(char *const *v, size_t n, const char *id)
{
	return n && bsearch(&id, v, n, sizeof(char *), cmp_str);
}

static void idset_set(char ***pv, size_t *pn, const char *id, bool on)
{
	char **v = *pv;
	size_t n = *pn, lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(v[mid], id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	bool there = lo < n && strcmp(v[lo], id) == 0;
	if (on && !there) {
		v = xreallocarray(v, n + 1, sizeof(char *));
		memmove(v + lo + 1, v + lo, (n - lo) * sizeof(char *));
		v[lo] = xstrdup(id);
		n++;
	} else if (!on && there) {
		free(v[lo]);
		memmove(v + lo, v + lo + 1, (n - lo - 1) * sizeof(char *));
		n--;
	}
	*pv = v;
	*pn = n;
}

static void idset_clear(char ***pv, size_t *pn)
{
	for (size_t i = 0; i < *pn; i++)
		free((*pv)[i]);
	free(*pv);
	*pv = NULL;
	*pn = 0;
}

static bool sel_has(const struct index_view *iv, const char *id)
{
	return idset_has(iv->sel, iv->nsel, id);
}

static void sel_set(struct index_view *iv, const char *id, bool on)
{
	idset_set(&iv->sel, &iv->nsel, id, on);
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

static void fmt_flags(struct ui *u, struct strbuf *b, const struct mv_entry *e, bool selected)
{
	char c[4] = "   ";
	c[0] = selected ? '*' : (e->flags & MV_DELETED) ? 'D' : (e->flags & MV_UNREAD) ? 'N' : ' ';
	c[1] = (e->flags & MV_FLAGGED) ? '!' : (e->flags & MV_REPLIED) ? 'r' : ' ';
	/* signed or encrypted (notmuch's tags: no GnuPG here), V when the
	 * pager found a good signature matching From: in this run */
	c[2] = verdict_seen(u, e->id)             ? 'V'
	       : (e->flags & MV_ENCRYPTED)        ? 'E'
	       : (e->flags & MV_SIGNED)           ? 'S'
	       : (e->flags & MV_ATTACHMENT)       ? '@'
	                                          : ' ';
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
	case 'Z': fmt_flags(u, tmp, e, selected); return CO_index_flags;
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
		/* mutt's hide_thread_subject: a reply's tree line without its parent's subject again */
		if (!e->tree || !e->same_subject || !conf_bool(u->conf, -1, OPT_ID_hide_thread_subject))
			strbuf_adds(tmp, e->subject);
		/* a folded thread: how many messages its line hides */
		if (thread_mode && e->total > 1)
			strbuf_addf(tmp, " (+%u)", e->total - 1);
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

int index_sidebar_width(struct ui *u)
{
	if (!conf_bool(u->conf, -1, OPT_ID_sidebar_visible) || COLS < 60)
		return 0;
	int w = (int)conf_num(u->conf, -1, OPT_ID_sidebar_width);
	/* 0 (the default): a fifth of the screen, 14 to 28 columns, so that
	 * 80 columns leave the subject about 25 instead of 13 */
	if (w == 0)
		w = COLS / 5 < 14 ? 14 : COLS / 5 > 28 ? 28 : COLS / 5;
	else if (w < 8)
		w = 8;
	return w > COLS / 2 ? COLS / 2 : w;
}

bool index_click_sidebar(struct ui *u, int y, int x)
{
	int w = index_sidebar_width(u);
	if (!w || x > w)
		return false;
	/* on the divider, or off the sidebar's rows: nothing */
	if (x < w && y >= ui_top_row() && y < ui_top_row() + ui_content_rows())
		sidebar_click(u, u->sb, y - ui_top_row());
	return true;
}

int index_draw_sidebar(struct ui *u)
{
	int w = index_sidebar_width(u);
	if (!w)
		return 0;
	sidebar_draw(u, u->sb, ui_top_row(), 0, w, ui_content_rows());
	for (int r = 0; r < ui_content_rows(); r++)
		draw_text(ui_top_row() + r, w, 1, u->utf8 ? "\xe2\x94\x82" : "|", theme_attr(u->th, CO_sidebar_divider));
	return w + 1;
}

/* ---- rows: threads, and the messages of open threads ---- */

static bool thr_open(const struct index_view *iv, size_t t)
{
	const struct mv_entry *e = mv_list_entry(iv->list, t);
	return iv->mode == MV_THREADS && e && e->total > 1 && iv->all_open != idset_has(iv->flip, iv->nflip, e->id);
}

static size_t thr_rows(const struct index_view *iv, size_t t)
{
	if (!thr_open(iv, t))
		return 1;
	if (iv->thr[t].msgs)
		return mv_list_count(iv->thr[t].msgs) ? mv_list_count(iv->thr[t].msgs) : 1;
	return mv_list_entry(iv->list, t)->total;
}

/* Row positions from thread t on. */
static void layout_from(struct index_view *iv, size_t t)
{
	size_t r = t > 0 && t <= iv->nthr ? iv->thr[t - 1].first + thr_rows(iv, t - 1) : 0;
	for (size_t i = t; i < iv->nthr; i++) {
		iv->thr[i].first = r;
		r += thr_rows(iv, i);
	}
	iv->lv.count = iv->nthr ? r : 0;
}

static void thr_free_msgs(struct index_view *iv, size_t t)
{
	if (iv->thr[t].msgs) {
		mv_list_free(&iv->thr[t].msgs);
		iv->ncached--;
	}
}

static void thr_drop(struct index_view *iv)
{
	for (size_t t = 0; t < iv->nthr; t++)
		thr_free_msgs(iv, t);
	free(iv->thr);
	iv->thr = NULL;
	iv->nthr = iv->ncached = 0;
	iv->lv.count = 0;
}

/* Threads the list loaded since: rows for them. */
static void thr_sync(struct index_view *iv)
{
	size_t n = iv->list ? mv_list_count(iv->list) : 0;
	if (n <= iv->nthr)
		return;
	iv->thr = xreallocarray(iv->thr, n, sizeof(*iv->thr));
	memset(iv->thr + iv->nthr, 0, (n - iv->nthr) * sizeof(*iv->thr));
	size_t old = iv->nthr;
	iv->nthr = n;
	layout_from(iv, old);
}

static size_t fill(struct index_view *iv, size_t max, int budget_ms)
{
	bool was = mv_list_complete(iv->list);
	size_t n = mv_list_fill(iv->list, max, budget_ms);
	/* subject and from sorts reorder the entries when the list completes */
	if (!was && mv_list_complete(iv->list) && mv_sort_reorders(iv->sort))
		thr_drop(iv);
	thr_sync(iv);
	return n;
}

/* The thread row r belongs to (r < lv.count). */
static size_t row_thread(const struct index_view *iv, size_t r)
{
	size_t lo = 0, hi = iv->nthr;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (iv->thr[mid].first <= r)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Load an open thread's messages.  Its rows change when the count was
 * off (the store changed since, or a reply chain deeper than the tree's
 * cap); the cursor and the scroll position stay on what they showed. */
static void thr_load(struct ui *u, struct index_view *iv, size_t t)
{
	struct ithread *h = &iv->thr[t];
	if (h->msgs || !u->mv || !thr_open(iv, t))
		return;
	size_t before = thr_rows(iv, t), end = h->first + before;
	char *err = NULL;
	/* without the folder's query: the lines need no match marks, and
	 * "thread:X and (folder:...)" costs some 10 ms a thread, "thread:X" 0.1 */
	h->msgs = mv_list_thread(u->mv, mv_list_entry(iv->list, t)->id, NULL, &err);
	free(err);
	if (!h->msgs)
		return;
	iv->ncached++;
	size_t after = thr_rows(iv, t);
	if (after == before)
		return;
	layout_from(iv, t + 1);
	if (iv->lv.cur >= end)
		iv->lv.cur = iv->lv.cur + after - before;
	if (iv->lv.top >= end)
		iv->lv.top = iv->lv.top + after - before;
}

/* What row r shows: a message of an open thread (*is_msg), else the
 * thread's line (or a message's, in messages mode).  With u, an open
 * thread's messages are loaded first. */
static struct mv_entry *row_entry(struct ui *u, struct index_view *iv, size_t r, size_t *thread, bool *is_msg)
{
	*is_msg = false;
	if (!iv->list || r >= iv->lv.count)
		return NULL;
	size_t t = row_thread(iv, r);
	if (u && thr_open(iv, t) && !iv->thr[t].msgs) {
		thr_load(u, iv, t);
		if (r >= iv->lv.count)
			return NULL;
		t = row_thread(iv, r);
	}
	*thread = t;
	struct ithread *h = &iv->thr[t];
	size_t m = r - h->first;
	if (thr_open(iv, t) && h->msgs && m < mv_list_count(h->msgs)) {
		*is_msg = true;
		return mv_list_entry(h->msgs, m);
	}
	return mv_list_entry(iv->list, t);
}

static struct mv_entry *cur_entry(struct ui *u, struct index_view *iv, size_t *thread, bool *is_msg)
{
	size_t t;
	bool m;
	return row_entry(u, iv, iv->lv.cur, thread ? thread : &t, is_msg ? is_msg : &m);
}

/* Keep the messages of open threads near the screen; free the rest
 * (those whose count matched, so no row moves). */
static void thr_evict(struct index_view *iv)
{
	if (iv->ncached <= INDEX_THREAD_CACHE)
		return;
	size_t rows = iv->lv.rows > 0 ? (size_t)iv->lv.rows : 1;
	size_t lo = iv->lv.top > rows ? iv->lv.top - rows : 0, hi = iv->lv.top + 2 * rows;
	for (size_t t = 0; t < iv->nthr; t++) {
		struct ithread *h = &iv->thr[t];
		if (!h->msgs || mv_list_count(h->msgs) != mv_list_entry(iv->list, t)->total)
			continue;
		if (h->first + mv_list_count(h->msgs) <= lo || h->first >= hi)
			thr_free_msgs(iv, t);
	}
}

/* ---- the list ---- */

static enum mv_sort sort_of(struct ui *u)
{
	/* in the order of the option's values (options.def) */
	static const enum mv_sort s[] = { MV_NEWEST_FIRST,	   MV_OLDEST_FIRST,	   MV_SORT_SUBJECT,
					  MV_SORT_FROM,		   MV_OLDEST_FIRST,	   MV_NEWEST_FIRST,
					  MV_SORT_REVERSE_SUBJECT, MV_SORT_REVERSE_FROM, MV_SORT_LAST_DATE,
					  MV_NEWEST_FIRST };
	return s[conf_enum(u->conf, -1, OPT_ID_sort)];
}

static char *effective_query(const struct index_view *iv)
{
	if (!iv->limit)
		return xstrdup(iv->query);
	/* the limit is kept as typed (shown again at the prompt and on the
	 * status line); op_limit checked that it translates */
	char *err = NULL;
	char *l = pattern_to_notmuch(iv->limit, &err);
	const char *lim = l ? l : iv->limit;
	/* notmuch reads "(*) and (x)" as a wildcard term: all mail is just x */
	char *q = strcmp(iv->query, "*") == 0 ? xstrdup(lim) : xasprintf("(%s) and (%s)", iv->query, lim);
	free(l);
	free(err);
	return q;
}

/* Where the cursor was: its thread, its message (in an open thread),
 * and its row on the screen. */
struct keep {
	char *thread; /* owned */
	char *msg;    /* owned */
	size_t row, screen;
};

static void keep_save(struct ui *u, struct index_view *iv, struct keep *k)
{
	memset(k, 0, sizeof(*k));
	size_t t;
	bool is_msg;
	struct mv_entry *e = cur_entry(u, iv, &t, &is_msg);
	if (e) {
		k->thread = xstrdup(mv_list_entry(iv->list, t)->id);
		k->msg = is_msg ? xstrdup(e->id) : NULL;
	}
	k->row = iv->lv.cur;
	k->screen = iv->lv.cur >= iv->lv.top ? iv->lv.cur - iv->lv.top : 0;
}

static void keep_free(struct keep *k)
{
	free(k->thread);
	free(k->msg);
}

/* Put the cursor back on the kept thread (and message), on the same
 * screen row; else on the same row number. */
static void keep_restore(struct ui *u, struct index_view *iv, const struct keep *k)
{
	size_t t = k->thread && iv->list ? mv_list_find(iv->list, k->thread) : (size_t)-1;
	size_t at = k->row;
	if (t != (size_t)-1 && t < iv->nthr) {
		at = iv->thr[t].first;
		if (k->msg && thr_open(iv, t)) {
			thr_load(u, iv, t);
			size_t m = iv->thr[t].msgs ? mv_list_find(iv->thr[t].msgs, k->msg) : (size_t)-1;
			if (m != (size_t)-1 && m < thr_rows(iv, t))
				at = iv->thr[t].first + m;
		}
	}
	iv->lv.cur = at;
	iv->lv.top = at >= k->screen ? at - k->screen : 0;
	lv_set_cur(&iv->lv, at);
}

/* Open the list on the current query with its first screen loaded.  A
 * failure while the writer commits is tried again on a reopened store. */
static mv_list_t *open_list(struct ui *u, struct index_view *iv, size_t want, char **err)
{
	char *q = effective_query(iv);
	mv_list_t *l = NULL;
	for (int attempt = 0; attempt < 2 && !l; attempt++) {
		if (attempt) {
			if (mailview_reopen(u->mv) != MV_OK)
				break;
			xfree(err);
		}
		l = mv_list_open(u->mv, q, iv->mode, iv->sort, err);
		if (l) {
			mv_list_fill(l, want, 0);
			if (mv_list_failed(l)) {
				mv_list_free(&l);
				*err = xstrdup("The mail store changed while it was read; trying again.");
			}
		}
	}
	free(q);
	return l;
}

/* (Re)open the list and keep the cursor where k says.  When it fails and
 * keep_old, the old list stays on the screen (marked stale, retried when
 * idle) rather than an empty one; returns whether the new list is in. */
static bool reload(struct ui *u, struct index_view *iv, const struct keep *k, bool keep_old)
{
	if (!u->mv) {
		mv_list_free(&iv->list);
		thr_drop(iv);
		xfree(&iv->err);
		iv->err = xstrdup(u->store_problem ? u->store_problem : "No mail store.");
		return false;
	}
	enum mv_mode mode = iv->mode;
	enum mv_sort sort = iv->sort;
	iv->mode = conf_bool(u->conf, -1, OPT_ID_threads) ? MV_THREADS : MV_MESSAGES;
	iv->sort = sort_of(u);
	/* the first screen now, at once; the rest in idle slices */
	size_t want = (size_t)ui_content_rows() + 8;
	if (k && k->row + (size_t)ui_content_rows() > want)
		want = k->row + (size_t)ui_content_rows();
	char *err = NULL;
	mv_list_t *l = open_list(u, iv, want, &err);
	if (!l && keep_old) {
		iv->stale = iv->retries++ < INDEX_RETRIES;
		iv->retry_ms = ui_now_ms() + INDEX_RETRY_MS;
	}
	if (!l && keep_old && iv->list) {
		log_warn("index: reload of %s failed, keeping the list shown: %s", iv->query, err ? err : "?");
		free(err);
		iv->mode = mode;
		iv->sort = sort;
		return false;
	}
	thr_drop(iv);
	mv_list_free(&iv->list);
	xfree(&iv->err);
	iv->list = l;
	iv->err = err;
	if (l) {
		iv->stale = false;
		iv->retries = 0;
	}
	iv->unread_known = false; /* counted when idle, after the first screen */
	if (!l)
		return false;
	thr_sync(iv);
	struct keep none = { 0 };
	keep_restore(u, iv, k ? k : &none);
	return true;
}

static bool index_reload_keep(struct ui *u, struct index_view *iv)
{
	struct keep k;
	keep_save(u, iv, &k);
	bool ok = reload(u, iv, &k, true);
	keep_free(&k);
	return ok;
}

/* ---- view hooks ---- */

static void row(struct ui *u, void *ctx, size_t i, int y, int x, int w, bool cur)
{
	struct index_view *iv = ctx;
	size_t t;
	bool is_msg;
	struct mv_entry *e = row_entry(u, iv, i, &t, &is_msg);
	if (!e)
		return;
	bool sel = sel_has(iv, mv_list_entry(iv->list, t)->id);
	index_draw_line(u, e, i, sel, iv->mode == MV_THREADS && !is_msg, y, x, w, cur);
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

/* Load the open threads on the screen before drawing (their rows may
 * move once), then let go of those far from it. */
static void load_visible(struct ui *u, struct index_view *iv)
{
	if (iv->mode != MV_THREADS || !iv->nthr)
		return;
	for (int pass = 0; pass < 4; pass++) {
		lv_set_cur(&iv->lv, iv->lv.cur);
		size_t before = iv->lv.count, top = iv->lv.top;
		for (size_t r = top; r < top + (size_t)iv->lv.rows && r < iv->lv.count;) {
			size_t t = row_thread(iv, r);
			thr_load(u, iv, t);
			r = iv->thr[t].first + thr_rows(iv, t);
		}
		if (iv->lv.count == before && iv->lv.top == top)
			break;
	}
	thr_evict(iv);
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
	iv->lv.rows = ui_content_rows();
	load_visible(u, iv);
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
		if (iv->note)
			strbuf_addf(b, " (%s)", iv->note);
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
	if (u->mv && (iv->stale || (iv->list && mv_list_failed(iv->list)))) {
		/* the store changed under the list: read it again, at most every INDEX_RETRY_MS */
		if ((iv->stale && ui_now_ms() < iv->retry_ms) || (!iv->stale && iv->retries > INDEX_RETRIES))
			return false; /* wait, or give up until the store changes again */
		mailview_reopen(u->mv);
		return index_reload_keep(u, iv);
	}
	if (iv->list && !iv->unread_known) {
		char *q = effective_query(iv);
		char *uq = xasprintf("(%s) and tag:unread", q);
		iv->unread = 0;
		mailview_count(u->mv, uq, &iv->unread);
		iv->unread_known = true;
		xfree(&iv->note);
		if (iv->limit || strncmp(iv->title, "search: ", 8) == 0)
			iv->note = sidebar_first_sync_note(u); /* covers what is indexed so far */
		free(uq);
		free(q);
		return true;
	}
	if (!iv->list || mv_list_complete(iv->list) || mv_list_failed(iv->list))
		return false;
	fill(iv, (size_t)-1, INDEX_SLICE_MS);
	if (iv->follow_end)
		lv_set_cur(&iv->lv, iv->lv.count ? iv->lv.count - 1 : 0);
	if (mv_list_complete(iv->list))
		iv->follow_end = false;
	/* true even for the slice that completed the list: the caller draws
	 * only then, and the status line still says "loading..." (issue 12) */
	return true;
}

static void index_store_changed(struct ui *u, struct view *v)
{
	struct index_view *iv = (struct index_view *)v;
	iv->retries = 0;
	index_reload_keep(u, iv);
}

/* Text of row i for "/": what the line shows (an open thread's messages
 * not loaded yet answer with the thread's line). */
static void index_search_text(struct view *v, size_t i, struct strbuf *b)
{
	struct index_view *iv = (struct index_view *)v;
	size_t t;
	bool is_msg;
	struct mv_entry *e = row_entry(NULL, iv, i, &t, &is_msg);
	if (e)
		strbuf_addf(b, "%s\t%s\t%s", e->from, e->subject, e->tags);
}

/* "/" with a mutt pattern: the rows whose thread or message matches
 * the translated query within the folder's (and limit's) query. */
static void index_search_query(struct ui *u, struct view *v, const char *query, bool forward)
{
	struct index_view *iv = (struct index_view *)v;
	char *base = effective_query(iv);
	char *q = xasprintf("(%s) and (%s)", base, query);
	char *err = NULL;
	mv_list_t *th = iv->mode == MV_THREADS ? mv_list_open(u->mv, q, MV_THREADS, MV_NEWEST_FIRST, &err) : NULL;
	mv_list_t *ms = err ? NULL : mv_list_open(u->mv, q, MV_MESSAGES, MV_NEWEST_FIRST, &err);
	bool found = false;
	if (ms) {
		mv_list_fill(ms, (size_t)-1, 0);
		if (th)
			mv_list_fill(th, (size_t)-1, 0);
		size_t n = iv->lv.count;
		for (size_t k = 1; k <= n && !found; k++) {
			size_t i = forward ? (iv->lv.cur + k) % n : (iv->lv.cur + n - k % n) % n;
			size_t t;
			bool is_msg;
			struct mv_entry *e = row_entry(u, iv, i, &t, &is_msg);
			if (e && mv_list_find(is_msg || !th ? ms : th, e->id) != (size_t)-1) {
				lv_set_cur(&iv->lv, i);
				found = true;
			}
		}
	}
	if (err)
		status_error(u, "%s", err);
	else if (!found)
		status_error(u, "Not found.");
	mv_list_free(&th);
	mv_list_free(&ms);
	free(err);
	free(q);
	free(base);
}

static struct listview *index_list(struct view *v)
{
	return &((struct index_view *)v)->lv;
}

static void index_click(struct ui *u, struct view *v, int y, int x)
{
	struct index_view *iv = (struct index_view *)v;
	if (index_click_sidebar(u, y, x))
		return; /* a folder may have replaced this view */
	if (y < ui_top_row() || y >= ui_top_row() + ui_content_rows())
		return;
	size_t i = iv->lv.top + (size_t)(y - ui_top_row());
	if (i < iv->lv.count)
		lv_set_cur(&iv->lv, i);
}

/* The newest unread message of thread t, else its newest (newest: false
 * takes the first); new strings; false when it has none. */
static bool thread_pick(struct ui *u, const char *thread_id, bool newest, char **file, char **msgid)
{
	char *err = NULL;
	mv_list_t *t = mv_list_thread(u->mv, thread_id, NULL, &err);
	free(err);
	struct mv_entry *best = NULL;
	bool best_unread = false;
	for (size_t i = 0; t && i < (newest ? mv_list_count(t) : 1); i++) {
		struct mv_entry *m = mv_list_entry(t, i);
		bool unread = m->flags & MV_UNREAD;
		if (!m->file || (best && (best_unread > unread || (best_unread == unread && m->date < best->date))))
			continue;
		best = m;
		best_unread = unread;
	}
	bool ok = best != NULL;
	if (ok) {
		*file = xstrdup(best->file);
		*msgid = xstrdup(best->id);
	}
	mv_list_free(&t);
	return ok;
}

/* The message the cursor's line stands for: itself, or of a folded thread
 * its first message (its newest unread when unread). */
static bool nav_current(struct ui *u, struct index_view *iv, bool unread, char **file, char **msgid)
{
	bool is_msg;
	struct mv_entry *e = cur_entry(u, iv, NULL, &is_msg);
	if (!e)
		return false;
	if (iv->mode == MV_MESSAGES || is_msg) {
		*file = e->file ? xstrdup(e->file) : NULL;
		*msgid = xstrdup(e->id);
		return *file != NULL;
	}
	return thread_pick(u, e->id, unread, file, msgid);
}

static bool find_unread(struct ui *u, struct index_view *iv, int dir);

static bool index_nav(struct ui *u, struct view *v, int dir, char **file, char **msgid)
{
	struct index_view *iv = (struct index_view *)v;
	if (!iv->list)
		return false;
	bool unread = dir == NAV_NEXT_UNREAD || dir == NAV_PREV_UNREAD;
	if (unread) {
		if (!find_unread(u, iv, dir > 0 ? 1 : -1))
			return false;
		return nav_current(u, iv, true, file, msgid);
	}
	size_t want = iv->lv.cur + (size_t)(dir > 0 ? 1 : 0);
	while (dir > 0 && want >= iv->lv.count && !mv_list_complete(iv->list) && !mv_list_failed(iv->list))
		fill(iv, 64, 0);
	if ((dir < 0 && iv->lv.cur == 0) || (dir > 0 && iv->lv.cur + 1 >= iv->lv.count))
		return false;
	lv_set_cur(&iv->lv, dir > 0 ? iv->lv.cur + 1 : iv->lv.cur - 1);
	return nav_current(u, iv, false, file, msgid);
}

static char **index_targets(struct ui *u, struct view *v, size_t *n)
{
	struct index_view *iv = (struct index_view *)v;
	*n = 0;
	char **ids = NULL;
	if (!iv->list || !u->mv)
		return NULL;
	bool is_msg;
	struct mv_entry *e = cur_entry(u, iv, NULL, &is_msg);
	if (!u->tag_prefix && e && is_msg) {
		/* a message line of an open thread: that message */
		ids = xcalloc(1, sizeof(char *));
		ids[(*n)++] = xstrdup(e->id);
		return ids;
	}
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
	thr_drop(iv);
	mv_list_free(&iv->list);
	idset_clear(&iv->sel, &iv->nsel);
	idset_clear(&iv->flip, &iv->nflip);
	free(iv->title);
	free(iv->note);
	free(iv->query);
	free(iv->limit);
	free(iv->err);
	free(iv);
}

/* ---- ops ---- */

/* A message opens in the pager; a folded thread at its newest unread
 * message (else its newest), as in mutt; view-thread shows the tree. */
static void open_entry(struct ui *u, struct view *v)
{
	struct index_view *iv = (struct index_view *)v;
	char *file = NULL, *id = NULL;
	if (!cur_entry(u, iv, NULL, &(bool){ false }))
		return;
	if (nav_current(u, iv, true, &file, &id))
		ui_push(u, u->views->pager(u, file, id));
	else
		status_error(u, "Cannot open this message: no file");
	free(file);
	free(id);
}

/* The thread under the cursor as a tree of its own (what Enter did before
 * it opened the message, as mutt does). */
static void op_view_thread(struct ui *u, struct view *v)
{
	struct index_view *iv = (struct index_view *)v;
	bool is_msg;
	struct mv_entry *e = cur_entry(u, iv, NULL, &is_msg);
	if (!e)
		return;
	if (iv->mode == MV_MESSAGES || is_msg) {
		status_error(u, "view-thread works on a thread line (toggle-threads shows threads).");
		return;
	}
	ui_push(u, u->views->thread(u, e->id, iv->query, e->subject));
}

static void op_last(struct ui *u, struct view *v)
{
	(void)u;
	struct index_view *iv = (struct index_view *)v;
	if (iv->lv.count)
		lv_set_cur(&iv->lv, iv->lv.count - 1);
	if (iv->list && !mv_list_complete(iv->list)) {
		iv->follow_end = true;
		status_message(u, "Still loading; staying at the end.");
	}
}

static bool need_threads(struct ui *u, struct index_view *iv)
{
	if (iv->mode == MV_THREADS)
		return true;
	status_error(u, "Switch to threads (toggle-threads) to fold threads.");
	return false;
}

/* Put row at the screen row the cursor had. */
static void cursor_to(struct index_view *iv, size_t at, size_t screen)
{
	iv->lv.top = at >= screen ? at - screen : 0;
	lv_set_cur(&iv->lv, at);
}

/* collapse-thread: fold the thread under the cursor onto its line, or
 * open it (the cursor goes to its first message). */
static void op_collapse(struct ui *u, struct view *v)
{
	struct index_view *iv = (struct index_view *)v;
	if (!need_threads(u, iv) || !iv->lv.count)
		return;
	size_t t = row_thread(iv, iv->lv.cur), screen = iv->lv.cur - iv->lv.top;
	const char *id = mv_list_entry(iv->list, t)->id;
	if (mv_list_entry(iv->list, t)->total < 2) {
		status_message(u, "This thread has only one message.");
		return;
	}
	bool open = thr_open(iv, t);
	idset_set(&iv->flip, &iv->nflip, id, !idset_has(iv->flip, iv->nflip, id));
	thr_free_msgs(iv, t);
	layout_from(iv, t);
	if (!open)
		thr_load(u, iv, t);
	cursor_to(iv, iv->thr[t].first, screen);
}

/* Fold or open every thread (each open one loads when it comes on the
 * screen); the cursor stays on its message, or on the line of the
 * thread that now hides it. */
static void set_all(struct ui *u, struct index_view *iv, bool open)
{
	if (!need_threads(u, iv) || !iv->lv.count)
		return;
	struct keep k;
	keep_save(u, iv, &k);
	iv->all_open = open;
	idset_clear(&iv->flip, &iv->nflip);
	if (!open)
		for (size_t t = 0; t < iv->nthr; t++)
			thr_free_msgs(iv, t);
	layout_from(iv, 0);
	keep_restore(u, iv, &k);
	keep_free(&k);
	status_message(u, open ? "All threads unfolded." : "All threads folded.");
}

/* collapse-all: fold everything when any thread is open, else unfold all. */
static void op_collapse_all(struct ui *u, struct view *v)
{
	struct index_view *iv = (struct index_view *)v;
	set_all(u, iv, !(iv->all_open || iv->nflip));
}

static void op_fold_all(struct ui *u, struct view *v) { set_all(u, (struct index_view *)v, false); }
static void op_unfold_all(struct ui *u, struct view *v) { set_all(u, (struct index_view *)v, true); }

static void op_toggle_threads(struct ui *u, struct view *v)
{
	(void)v;
	char *err = NULL;
	bool on = conf_bool(u->conf, -1, OPT_ID_threads);
	conf_set(u->conf, -1, "threads", on ? "no" : "yes", &err);
	free(err);
	status_message(u, on ? "Showing messages." : "Showing threads.");
}

static void op_sort(struct ui *u, struct view *v)
{
	(void)v;
	char *s = prompt_line(u, "Sort (date, subject, from, last-date, or reverse- one of them): ", "", HIST_CMD, COMPLETE_NONE);
	if (s && *s) {
		char *err = NULL;
		if (!conf_set(u->conf, -1, "sort", s, &err))
			status_error(u, "%s", err);
		free(err);
	}
	free(s);
}

static void op_limit(struct ui *u, struct view *v)
{
	struct index_view *iv = (struct index_view *)v;
	char *s = prompt_line(u, "Limit to (pattern or notmuch query, empty for all): ", iv->limit ? iv->limit : "",
			      HIST_QUERY, COMPLETE_QUERY);
	if (!s)
		return;
	char *checked = ui_pattern_query(u, s);
	if (!checked) {
		free(s);
		return;
	}
	free(checked);
	char *old = iv->limit;
	iv->limit = *s && strcmp(s, "all") != 0 && strcmp(s, "*") != 0 ? s : NULL;
	if (!iv->limit)
		free(s);
	if (reload(u, iv, NULL, false) || !u->mv) {
		free(old);
		return;
	}
	/* a bad query: say why and keep the old limit and its list */
	status_error(u, "%s", iv->err ? iv->err : "bad query");
	free(iv->limit);
	iv->limit = old;
	xfree(&iv->err);
	reload(u, iv, NULL, false);
}

static void op_tag_entry(struct ui *u, struct view *v)
{
	struct index_view *iv = (struct index_view *)v;
	size_t t;
	if (!cur_entry(u, iv, &t, NULL))
		return;
	/* in threads mode the selection is of threads, also from a message line */
	const char *id = mv_list_entry(iv->list, t)->id;
	sel_set(iv, id, !sel_has(iv, id));
	lv_set_cur(&iv->lv, iv->lv.cur + 1);
}

static void tag_pattern(struct ui *u, struct index_view *iv, bool on)
{
	char *typed = prompt_line(u, on ? "Select messages matching: " : "Unselect messages matching: ", "",
				  HIST_QUERY, COMPLETE_QUERY);
	char *pat = typed && *typed && u->mv ? ui_pattern_query(u, typed) : NULL;
	free(typed);
	if (!pat)
		return;
	char *q = xasprintf("(%s) and (%s)", iv->query, pat);
	char *err = NULL;
	mv_list_t *l = mv_list_open(u->mv, q, iv->mode, MV_NEWEST_FIRST, &err);
	if (!l) {
		status_error(u, "%s", err);
	} else {
		mv_list_fill(l, (size_t)-1, 0);
		for (size_t i = 0; i < mv_list_count(l); i++)
			sel_set(iv, mv_list_entry(l, i)->id, on);
		status_message(u, "%zu %s %sselected.", mv_list_count(l),
		               iv->mode == MV_THREADS ? "threads" : "messages", on ? "" : "un");
		mv_list_free(&l);
	}
	free(err);
	free(q);
	free(pat);
}

/* Message-IDs of the messages matching q (a new array of new strings);
 * NULL after saying why when the query fails. */
static char **query_message_ids(struct ui *u, const char *q, size_t *n)
{
	*n = 0;
	char *err = NULL;
	mv_list_t *l = u->mv ? mv_list_open(u->mv, q, MV_MESSAGES, MV_NEWEST_FIRST, &err) : NULL;
	if (!l) {
		status_error(u, "%s", err ? err : "No mail store.");
		free(err);
		return NULL;
	}
	mv_list_fill(l, (size_t)-1, 0);
	char **ids = xcalloc(mv_list_count(l) + 1, sizeof(char *));
	for (size_t i = 0; i < mv_list_count(l); i++)
		ids[(*n)++] = xstrdup(mv_list_entry(l, i)->id);
	mv_list_free(&l);
	return ids;
}

/* The messages of the current line's thread in this folder (a query). */
static char *cur_thread_query(struct ui *u, struct index_view *iv)
{
	size_t t;
	bool is_msg;
	struct mv_entry *e = cur_entry(u, iv, &t, &is_msg);
	if (!e)
		return NULL;
	if (iv->mode == MV_THREADS)
		return xasprintf("(%s) and thread:%s", iv->query, mv_list_entry(iv->list, t)->id);
	if (strpbrk(e->id, "\"{}")) {
		status_error(u, "This message's Message-ID cannot be searched for.");
		return NULL;
	}
	return xasprintf("(%s) and thread:{id:\"%s\"}", iv->query, e->id);
}

/* mutt's D: delete the messages matching a pattern. */
static void op_delete_pattern(struct ui *u, struct view *v)
{
	struct index_view *iv = (struct index_view *)v;
	char *typed = prompt_line(u, "Delete messages matching: ", "", HIST_QUERY, COMPLETE_QUERY);
	char *pat = typed && *typed ? ui_pattern_query(u, typed) : NULL;
	free(typed);
	if (!pat)
		return;
	char *base = effective_query(iv);
	char *q = xasprintf("(%s) and (%s)", base, pat);
	size_t n;
	char **ids = query_message_ids(u, q, &n);
	if (ids && !n)
		status_error(u, "No message matches.");
	if (n)
		action_delete(u, ids, n);
	else
		free(ids);
	free(q);
	free(base);
	free(pat);
}

/* mutt's ^D: delete the current thread's messages in this folder. */
static void op_delete_thread(struct ui *u, struct view *v)
{
	char *q = cur_thread_query(u, (struct index_view *)v);
	size_t n = 0;
	char **ids = q ? query_message_ids(u, q, &n) : NULL;
	if (n)
		action_delete(u, ids, n);
	else
		free(ids);
	free(q);
}

/* mutt's Esc t: select or unselect the current line's whole thread. */
static void op_tag_thread(struct ui *u, struct view *v)
{
	struct index_view *iv = (struct index_view *)v;
	size_t t;
	if (!cur_entry(u, iv, &t, NULL))
		return;
	if (iv->mode == MV_THREADS) {
		const char *id = mv_list_entry(iv->list, t)->id;
		sel_set(iv, id, !sel_has(iv, id));
	} else {
		char *q = cur_thread_query(u, iv);
		size_t n = 0;
		char **ids = q ? query_message_ids(u, q, &n) : NULL;
		bool on = n && !sel_has(iv, mv_list_entry(iv->list, t)->id);
		for (size_t i = 0; i < n; i++)
			sel_set(iv, ids[i], on);
		ui_free_strv(ids, n);
		free(q);
	}
	lv_set_cur(&iv->lv, iv->lv.cur + 1);
}

static void op_tag_pattern(struct ui *u, struct view *v) { tag_pattern(u, (struct index_view *)v, true); }
static void op_untag_pattern(struct ui *u, struct view *v) { tag_pattern(u, (struct index_view *)v, false); }

/* Load one more slice when row r is past what is loaded; false at the end. */
static bool have_row(struct index_view *iv, size_t r)
{
	while (r >= iv->lv.count) {
		if (mv_list_complete(iv->list) || mv_list_failed(iv->list) || !fill(iv, 256, 0))
			return false;
	}
	return true;
}

/* Move the cursor to the next or previous line with an unread message;
 * false when there is none. */
static bool find_unread(struct ui *u, struct index_view *iv, int dir)
{
	if (!iv->list)
		return false;
	size_t r = iv->lv.cur;
	for (;;) {
		if (dir > 0 && !have_row(iv, r + 1))
			break;
		if (dir < 0 && r == 0)
			break;
		r = dir > 0 ? r + 1 : r - 1;
		/* a thread without unread messages is skipped without loading it */
		size_t t = row_thread(iv, r);
		if (!(mv_list_entry(iv->list, t)->flags & MV_UNREAD)) {
			r = dir > 0 ? iv->thr[t].first + thr_rows(iv, t) - 1 : iv->thr[t].first;
			continue;
		}
		bool is_msg;
		struct mv_entry *e = row_entry(u, iv, r, &t, &is_msg);
		if (e && (e->flags & MV_UNREAD)) {
			lv_set_cur(&iv->lv, r);
			return true;
		}
	}
	return false;
}

static void jump_unread(struct ui *u, struct view *v, int dir)
{
	if (!find_unread(u, (struct index_view *)v, dir))
		status_error(u, "No more unread messages.");
}

static void op_next_unread(struct ui *u, struct view *v) { jump_unread(u, v, 1); }
static void op_prev_unread(struct ui *u, struct view *v) { jump_unread(u, v, -1); }

/* The first line of the next or previous thread (the next line in
 * messages mode). */
static void jump_thread(struct ui *u, struct view *v, int dir)
{
	struct index_view *iv = (struct index_view *)v;
	if (!iv->lv.count)
		return;
	size_t t = row_thread(iv, iv->lv.cur);
	if (dir > 0) {
		size_t next = iv->thr[t].first + thr_rows(iv, t);
		if (!have_row(iv, next)) {
			status_message(u, "You are on the last thread.");
			return;
		}
		lv_set_cur(&iv->lv, next);
		return;
	}
	if (iv->lv.cur > iv->thr[t].first && iv->mode == MV_THREADS) {
		lv_set_cur(&iv->lv, iv->thr[t].first);
		return;
	}
	if (t == 0) {
		status_message(u, "You are on the first thread.");
		return;
	}
	lv_set_cur(&iv->lv, iv->thr[t - 1].first);
}

static void op_next_thread(struct ui *u, struct view *v) { jump_thread(u, v, 1); }
static void op_prev_thread(struct ui *u, struct view *v) { jump_thread(u, v, -1); }

static const struct op index_ops[] = {
	{ "select-entry", open_entry },
	{ "display-message", open_entry },
	{ "view-thread", op_view_thread },
	{ "last-entry", op_last },
	{ "collapse-thread", op_collapse },
	{ "collapse-all", op_collapse_all },
	{ "fold-all", op_fold_all },
	{ "unfold-all", op_unfold_all },
	{ "toggle-threads", op_toggle_threads },
	{ "sort-mailbox", op_sort },
	{ "limit", op_limit },
	{ "tag-entry", op_tag_entry },
	{ "tag-pattern", op_tag_pattern },
	{ "tag-thread", op_tag_thread },
	{ "delete-pattern", op_delete_pattern },
	{ "delete-thread", op_delete_thread },
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
	return ui_join_ops(all, ARRAY_SIZE(all), index_ops, action_ops);
}

static const char *index_view_query(struct view *v)
{
	return ((struct index_view *)v)->query;
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
	.search_query = index_search_query,
	.helpbar = index_helpbar,
	.nav = index_nav,
	.targets = index_targets,
	.query = index_view_query,
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
	reload(u, iv, NULL, false);
	return &iv->base;
}
