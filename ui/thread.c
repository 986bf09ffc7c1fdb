/* thread.c - the thread view: every message of one thread in reply order
 * with its tree, subtrees folded and unfolded with collapse-thread. */
#include "thread.h"

#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "draw.h"
#include "index.h"
#include "keys.h"
#include "listview.h"
#include "mailview.h"
#include "status.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"
#include "view.h"

struct thread_view {
	struct view base;
	char *thread_id; /* owned */
	char *query;     /* owned: the folder's query (marks what matched) */
	char *subject;   /* owned */
	mv_list_t *list; /* owned */
	bool *folded;    /* owned: per entry, its replies are hidden */
	size_t *vis;     /* owned: visible entry indices */
	size_t nvis;
	struct listview lv;
};

static const char *const thread_helpbar[] = { "exit", "display-message", "collapse-thread", "collapse-all",
					      "help", NULL };

static void rebuild_vis(struct thread_view *tv)
{
	size_t n = tv->list ? mv_list_count(tv->list) : 0;
	free(tv->vis);
	tv->vis = xcalloc(n ? n : 1, sizeof(size_t));
	tv->nvis = 0;
	for (size_t i = 0; i < n;) {
		tv->vis[tv->nvis++] = i;
		int d = mv_list_entry(tv->list, i)->depth;
		size_t j = i + 1;
		if (tv->folded[i])
			while (j < n && mv_list_entry(tv->list, j)->depth > d)
				j++;
		i = j;
	}
	tv->lv.count = tv->nvis;
	lv_set_cur(&tv->lv, tv->lv.cur);
}

static struct mv_entry *cur_entry(struct thread_view *tv)
{
	return tv->nvis && tv->lv.cur < tv->nvis ? mv_list_entry(tv->list, tv->vis[tv->lv.cur]) : NULL;
}

static void load(struct ui *u, struct thread_view *tv)
{
	char *err = NULL;
	mv_list_t *l = u->mv ? mv_list_thread(u->mv, tv->thread_id, tv->query, &err) : NULL;
	if (!l && tv->list) {
		/* the store changing under us: keep showing what we have */
		free(err);
		return;
	}
	if (!l && err)
		status_error(u, "%s", err);
	free(err);
	char *id = cur_entry(tv) ? xstrdup(cur_entry(tv)->id) : NULL;
	mv_list_free(&tv->list);
	tv->list = l;
	free(tv->folded);
	tv->folded = NULL;
	size_t n = tv->list ? mv_list_count(tv->list) : 0;
	tv->folded = xcalloc(n ? n : 1, sizeof(bool));
	rebuild_vis(tv);
	/* start on the first unread message, else on the one we were on */
	size_t at = id ? mv_list_find(tv->list, id) : (size_t)-1;
	for (size_t i = 0; at == (size_t)-1 && i < n; i++)
		if (mv_list_entry(tv->list, i)->flags & MV_UNREAD)
			at = i;
	if (at != (size_t)-1)
		for (size_t k = 0; k < tv->nvis; k++)
			if (tv->vis[k] == at)
				lv_set_cur(&tv->lv, k);
	free(id);
}

static void row(struct ui *u, void *ctx, size_t i, int y, int x, int w, bool cur)
{
	struct thread_view *tv = ctx;
	size_t idx = tv->vis[i];
	struct mv_entry *e = mv_list_entry(tv->list, idx);
	/* show a folded subtree's size after the subject */
	struct mv_entry shown = *e;
	char *subj = NULL;
	if (tv->folded[idx]) {
		size_t hidden = (i + 1 < tv->nvis ? tv->vis[i + 1] : mv_list_count(tv->list)) - idx - 1;
		subj = xasprintf("%s (+%zu)", e->subject, hidden);
		shown.subject = subj;
		shown.same_subject = false; /* the count needs the subject */
	}
	index_draw_line(u, &shown, idx, false, false, y, x, w, cur);
	free(subj);
}

static void thread_draw(struct ui *u, struct view *v)
{
	struct thread_view *tv = (struct thread_view *)v;
	int x = index_draw_sidebar(u);
	lv_draw(u, &tv->lv, ui_top_row(), x, COLS - x, ui_content_rows(), row, tv);
}

static void thread_status(struct ui *u, struct view *v, struct strbuf *b)
{
	(void)u;
	struct thread_view *tv = (struct thread_view *)v;
	strbuf_addf(b, "-- thread: %s [%zu messages] --", tv->subject, tv->list ? mv_list_count(tv->list) : 0);
}

static void thread_store_changed(struct ui *u, struct view *v)
{
	load(u, (struct thread_view *)v);
}

static void thread_search_text(struct view *v, size_t i, struct strbuf *b)
{
	struct thread_view *tv = (struct thread_view *)v;
	struct mv_entry *e = mv_list_entry(tv->list, tv->vis[i]);
	strbuf_addf(b, "%s\t%s\t%s", e->from, e->subject, e->tags);
}

static struct listview *thread_list(struct view *v)
{
	return &((struct thread_view *)v)->lv;
}

static void thread_click(struct ui *u, struct view *v, int y, int x)
{
	struct thread_view *tv = (struct thread_view *)v;
	if (index_click_sidebar(u, y, x))
		return; /* a folder may have replaced this view */
	if (y < ui_top_row() || y >= ui_top_row() + ui_content_rows())
		return;
	size_t i = tv->lv.top + (size_t)(y - ui_top_row());
	if (i < tv->lv.count)
		lv_set_cur(&tv->lv, i);
}

static bool thread_nav(struct ui *u, struct view *v, int dir, char **file, char **msgid)
{
	(void)u;
	struct thread_view *tv = (struct thread_view *)v;
	size_t r = tv->lv.cur;
	for (;;) {
		if ((dir < 0 && r == 0) || (dir > 0 && r + 1 >= tv->nvis))
			return false;
		r = dir > 0 ? r + 1 : r - 1;
		if (dir == 1 || dir == -1 || (mv_list_entry(tv->list, tv->vis[r])->flags & MV_UNREAD))
			break;
	}
	lv_set_cur(&tv->lv, r);
	struct mv_entry *e = cur_entry(tv);
	if (!e->file)
		return false;
	*file = xstrdup(e->file);
	*msgid = xstrdup(e->id);
	return true;
}

static char **thread_targets(struct ui *u, struct view *v, size_t *n)
{
	(void)u;
	struct thread_view *tv = (struct thread_view *)v;
	struct mv_entry *e = cur_entry(tv);
	*n = 0;
	if (!e)
		return NULL;
	char **ids = xcalloc(1, sizeof(char *));
	ids[0] = xstrdup(e->id);
	*n = 1;
	return ids;
}

static void thread_destroy(struct view *v)
{
	struct thread_view *tv = (struct thread_view *)v;
	mv_list_free(&tv->list);
	free(tv->folded);
	free(tv->vis);
	free(tv->thread_id);
	free(tv->query);
	free(tv->subject);
	free(tv);
}

static void op_open(struct ui *u, struct view *v)
{
	struct mv_entry *e = cur_entry((struct thread_view *)v);
	if (e && e->file)
		ui_push(u, u->views->pager(u, e->file, e->id));
}

static void op_collapse(struct ui *u, struct view *v)
{
	(void)u;
	struct thread_view *tv = (struct thread_view *)v;
	if (!tv->nvis)
		return;
	size_t idx = tv->vis[tv->lv.cur];
	tv->folded[idx] = !tv->folded[idx];
	rebuild_vis(tv);
}

/* Fold every subtree at the top (fold) or none; stay on the entry, or
 * on the root that now hides it. */
static void set_all(struct thread_view *tv, bool fold)
{
	size_t n = tv->list ? mv_list_count(tv->list) : 0;
	for (size_t i = 0; i < n; i++)
		tv->folded[i] = fold && mv_list_entry(tv->list, i)->depth == 0;
	size_t at = tv->nvis ? tv->vis[tv->lv.cur] : 0;
	rebuild_vis(tv);
	size_t best = 0;
	for (size_t k = 0; k < tv->nvis; k++)
		if (tv->vis[k] <= at)
			best = k;
	lv_set_cur(&tv->lv, best);
}

static void op_collapse_all(struct ui *u, struct view *v)
{
	(void)u;
	struct thread_view *tv = (struct thread_view *)v;
	size_t n = tv->list ? mv_list_count(tv->list) : 0;
	bool any = false;
	for (size_t i = 0; i < n; i++)
		any |= tv->folded[i];
	set_all(tv, !any);
}

static void op_fold_all(struct ui *u, struct view *v) { (void)u; set_all((struct thread_view *)v, true); }
static void op_unfold_all(struct ui *u, struct view *v) { (void)u; set_all((struct thread_view *)v, false); }

static const struct op thread_ops[] = {
	{ "select-entry", op_open },
	{ "display-message", op_open },
	{ "collapse-thread", op_collapse },
	{ "collapse-all", op_collapse_all },
	{ "fold-all", op_fold_all },
	{ "unfold-all", op_unfold_all },
	{ NULL, NULL },
};

static const struct op *ops_with_actions(void)
{
	static struct op all[64];
	return ui_join_ops(all, ARRAY_SIZE(all), thread_ops, action_ops);
}

struct view *thread_view_new(struct ui *u, const char *thread_id, const char *query, const char *subject)
{
	static struct view_class cls = {
		.name = "thread",
		.menus = { MENU_THREAD, MENU_INDEX, 0 },
		.draw = thread_draw,
		.destroy = thread_destroy,
		.list = thread_list,
		.status = thread_status,
		.store_changed = thread_store_changed,
		.click = thread_click,
		.search_text = thread_search_text,
		.helpbar = thread_helpbar,
		.nav = thread_nav,
		.targets = thread_targets,
	};
	cls.ops = ops_with_actions();
	struct thread_view *tv = xcalloc(1, sizeof(*tv));
	tv->base.cls = &cls;
	tv->thread_id = xstrdup(thread_id);
	tv->query = query ? xstrdup(query) : NULL;
	tv->subject = xstrdup(subject ? subject : "");
	tv->lv.rows = ui_content_rows();
	load(u, tv);
	return &tv->base;
}
