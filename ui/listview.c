/* listview.c - the one list every list screen uses: a cursor, a scroll
 * position, movement ops and a row-drawing loop. */
#include "listview.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "pattern.h"
#include "prompt.h"
#include "status.h"
#include "theme.h"
#include "uistate.h"
#include "util.h"
#include "view.h"

static void clamp(struct listview *lv)
{
	if (lv->count == 0) {
		lv->cur = lv->top = 0;
		return;
	}
	if (lv->cur >= lv->count)
		lv->cur = lv->count - 1;
	size_t rows = lv->rows > 0 ? (size_t)lv->rows : 1;
	if (lv->cur < lv->top)
		lv->top = lv->cur;
	if (lv->cur >= lv->top + rows)
		lv->top = lv->cur - rows + 1;
	if (lv->top + rows > lv->count)
		lv->top = lv->count > rows ? lv->count - rows : 0;
}

void lv_set_cur(struct listview *lv, size_t i)
{
	lv->cur = i;
	clamp(lv);
}

void lv_draw(struct ui *u, struct listview *lv, int y, int x, int w, int h, lv_row_fn row, void *ctx)
{
	lv->rows = h;
	clamp(lv);
	for (int r = 0; r < h; r++) {
		size_t i = lv->top + (size_t)r;
		if (i < lv->count)
			row(u, ctx, i, y + r, x, w, i == lv->cur);
		else
			draw_fill(y + r, x, w, theme_attr(u->th, CO_normal));
	}
}

static struct listview *lv_of(struct view *v)
{
	return v->cls->list ? v->cls->list(v) : NULL;
}

static void move_by(struct ui *u, struct view *v, long d)
{
	struct listview *lv = lv_of(v);
	if (!lv || lv->count == 0)
		return;
	long c = (long)lv->cur + d;
	if (c < 0) {
		if (lv->cur == 0)
			status_message(u, "You are on the first entry.");
		c = 0;
	}
	if (c >= (long)lv->count) {
		if (lv->cur + 1 == lv->count && !(v->cls->idle && v->cls->idle(u, v)))
			status_message(u, "You are on the last entry.");
		c = (long)lv->count - 1;
	}
	lv->cur = (size_t)c;
	clamp(lv);
}

static long page(struct view *v)
{
	struct listview *lv = lv_of(v);
	return lv && lv->rows > 1 ? lv->rows : 1;
}

static void op_next(struct ui *u, struct view *v) { move_by(u, v, 1); }
static void op_prev(struct ui *u, struct view *v) { move_by(u, v, -1); }
static void op_half_down(struct ui *u, struct view *v) { move_by(u, v, page(v) / 2 ? page(v) / 2 : 1); }
static void op_half_up(struct ui *u, struct view *v) { move_by(u, v, -(page(v) / 2 ? page(v) / 2 : 1)); }

static void op_next_page(struct ui *u, struct view *v)
{
	struct listview *lv = lv_of(v);
	if (!lv)
		return;
	size_t rows = (size_t)page(v);
	if (lv->top + rows < lv->count) {
		lv->top += rows;
		lv->cur = lv->top;
	} else {
		move_by(u, v, (long)rows);
	}
	clamp(lv);
}

static void op_prev_page(struct ui *u, struct view *v)
{
	struct listview *lv = lv_of(v);
	if (!lv)
		return;
	size_t rows = (size_t)page(v);
	if (lv->top == 0) {
		move_by(u, v, -(long)rows);
		return;
	}
	lv->top = lv->top > rows ? lv->top - rows : 0;
	lv->cur = lv->top + rows - 1;
	clamp(lv);
}

static void op_first(struct ui *u, struct view *v)
{
	(void)u;
	struct listview *lv = lv_of(v);
	if (lv)
		lv_set_cur(lv, 0);
}

static void op_last(struct ui *u, struct view *v)
{
	(void)u;
	struct listview *lv = lv_of(v);
	if (lv && lv->count)
		lv_set_cur(lv, lv->count - 1);
}

static void place(struct view *v, int where)
{
	struct listview *lv = lv_of(v);
	if (!lv)
		return;
	size_t rows = (size_t)page(v);
	size_t off = where == 0 ? 0 : where == 1 ? rows / 2 : rows - 1;
	lv->top = lv->cur > off ? lv->cur - off : 0;
}

static void op_cur_top(struct ui *u, struct view *v) { (void)u; place(v, 0); }
static void op_cur_mid(struct ui *u, struct view *v) { (void)u; place(v, 1); }
static void op_cur_bot(struct ui *u, struct view *v) { (void)u; place(v, 2); }

static void op_search(struct ui *u, struct view *v) { lv_search(u, v, true, false); }
static void op_search_rev(struct ui *u, struct view *v) { lv_search(u, v, false, false); }
static void op_search_next(struct ui *u, struct view *v) { lv_search(u, v, true, true); }
static void op_search_opp(struct ui *u, struct view *v) { lv_search(u, v, false, true); }

const struct op lv_ops[] = {
	{ "next-entry", op_next },
	{ "previous-entry", op_prev },
	{ "first-entry", op_first },
	{ "last-entry", op_last },
	{ "next-page", op_next_page },
	{ "previous-page", op_prev_page },
	{ "half-down", op_half_down },
	{ "half-up", op_half_up },
	{ "current-top", op_cur_top },
	{ "current-middle", op_cur_mid },
	{ "current-bottom", op_cur_bot },
	{ "search", op_search },
	{ "search-reverse", op_search_rev },
	{ "search-next", op_search_next },
	{ "search-opposite", op_search_opp },
	{ NULL, NULL },
};

/* Search the entries' text with a case-insensitive extended regex,
 * wrapping around; a mutt pattern goes to the view's search_query. */
void lv_search(struct ui *u, struct view *v, bool forward, bool again)
{
	struct listview *lv = lv_of(v);
	if (!lv || !v->cls->search_text) {
		status_error(u, "Searching is not supported here.");
		return;
	}
	if (!again || !u->last_search) {
		char *s = prompt_line(u, forward ? "Search for: " : "Reverse search for: ", "", HIST_SEARCH,
				      COMPLETE_NONE);
		if (!s || !*s) {
			free(s);
			return;
		}
		free(u->last_search);
		u->last_search = s;
	}
	if (v->cls->search_query && pattern_is_mutt(u->last_search)) {
		char *q = ui_pattern_query(u, u->last_search);
		if (q)
			v->cls->search_query(u, v, q, forward);
		free(q);
		return;
	}
	regex_t re;
	if (regcomp(&re, u->last_search, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
		status_error(u, "Not a valid regular expression.");
		return;
	}
	struct strbuf b;
	strbuf_init(&b);
	bool found = false;
	for (size_t k = 1; k <= lv->count && !found; k++) {
		size_t i = forward ? (lv->cur + k) % lv->count : (lv->cur + lv->count - k % lv->count) % lv->count;
		strbuf_reset(&b);
		v->cls->search_text(v, i, &b);
		if (b.s && regexec(&re, b.s, 0, NULL, 0) == 0) {
			lv_set_cur(lv, i);
			found = true;
		}
	}
	strbuf_free(&b);
	regfree(&re);
	if (!found)
		status_error(u, "Not found.");
}

char *ui_pattern_query(struct ui *u, const char *typed)
{
	char *err = NULL;
	char *q = pattern_to_notmuch(typed, &err);
	if (!q)
		status_error(u, "Pattern: %s", err);
	free(err);
	return q;
}
