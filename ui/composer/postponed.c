/* postponed.c - the postponed messages (recall-message): the drafts in the
 * account's Drafts Maildir, newest first, read from disk so that a draft
 * postponed offline is there at once.  select-entry (or recall-message)
 * continues the chosen one, as mutt's postponed menu does. */
#include "postponed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "draw.h"
#include "listview.h"
#include "maildir.h"
#include "mime.h"
#include "status.h"
#include "theme.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"
#include "view.h"

struct pp_entry {
	char *file;    /* owned: the draft's path */
	char *to;      /* owned, decoded (foreign: sanitized when drawn) */
	char *subject; /* owned */
	struct timespec mtime;
};

struct postponed_view {
	struct view base;
	struct pp_entry *e; /* owned */
	size_t n;
	struct listview lv;
	postponed_recall_fn recall;
};

static const char *const pp_helpbar[] = { "exit", "select-entry", "help", NULL };

static struct postponed_view *pv_of(struct view *v)
{
	return (struct postponed_view *)v;
}

static int newest_first(const void *a, const void *b)
{
	const struct pp_entry *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? 1 : -1;
	return (x->mtime.tv_nsec < y->mtime.tv_nsec) - (x->mtime.tv_nsec > y->mtime.tv_nsec);
}

static void read_entry(struct pp_entry *e)
{
	mime_msg_t *m = NULL;
	if (mime_msg_parse_file(e->file, &m) == MIME_OK) {
		const char *to = mime_msg_header(m, MIME_H_TO), *s = mime_msg_header(m, MIME_H_SUBJECT);
		e->to = xstrdup(to ? to : "");
		e->subject = xstrdup(s ? s : "");
	}
	mime_msg_free(&m);
	if (!e->subject) {
		e->to = xstrdup("");
		e->subject = xstrdup("(unreadable)");
	}
	struct stat st;
	if (stat(e->file, &st) == 0)
		e->mtime = st.st_mtim;
}

/* The drafts in dir (a Maildir); *out owned by the caller (pp_free). */
static size_t scan(const char *dir, struct pp_entry **out)
{
	struct maildir_list l = { 0 };
	*out = NULL;
	if (maildir_scan(dir, &l) != 0 || l.n == 0) {
		maildir_list_clear(&l);
		return 0;
	}
	struct pp_entry *v = xcalloc(l.n, sizeof(*v));
	for (size_t i = 0; i < l.n; i++) {
		v[i].file = xasprintf("%s/%s", dir, l.v[i].name);
		read_entry(&v[i]);
	}
	size_t n = l.n;
	maildir_list_clear(&l);
	qsort(v, n, sizeof(*v), newest_first);
	*out = v;
	return n;
}

static void pp_free(struct pp_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].file);
		free(v[i].to);
		free(v[i].subject);
	}
	free(v);
}

static void row(struct ui *u, void *ctx, size_t i, int y, int x, int w, bool cur)
{
	struct postponed_view *pv = ctx;
	const struct pp_entry *e = &pv->e[i];
	attr_t at = theme_attr(u->th, cur ? CO_indicator : CO_normal);
	draw_fill(y, x, w, at);
	char date[32] = "";
	struct tm tm;
	if (localtime_r(&e->mtime.tv_sec, &tm))
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addf(&b, "%3zu %-16s ", i + 1, date);
	text_fit(&b, e->to, 24, 24, true);
	strbuf_addc(&b, ' ');
	strbuf_adds(&b, e->subject);
	draw_text(y, x, w, b.s, at); /* sanitized there */
	strbuf_free(&b);
}

static void pp_draw(struct ui *u, struct view *v)
{
	struct postponed_view *pv = pv_of(v);
	int y = ui_top_row(), rows = ui_content_rows();
	draw_fill(y, 0, COLS, theme_attr(u->th, CO_header_name));
	draw_text(y, 0, COLS, "  # Postponed        To                       Subject", theme_attr(u->th, CO_header_name));
	lv_draw(u, &pv->lv, y + 1, 0, COLS, rows - 1, row, pv);
}

static void pp_status(struct ui *u, struct view *v, struct strbuf *b)
{
	(void)u;
	size_t n = pv_of(v)->n;
	strbuf_addf(b, "-- Postponed messages (%zu) --", n);
}

static struct listview *pp_list(struct view *v)
{
	return &pv_of(v)->lv;
}

static void pp_search_text(struct view *v, size_t i, struct strbuf *b)
{
	struct postponed_view *pv = pv_of(v);
	if (i < pv->n)
		strbuf_addf(b, "%s %s", pv->e[i].to, pv->e[i].subject);
}

static void pp_destroy(struct view *v)
{
	struct postponed_view *pv = pv_of(v);
	pp_free(pv->e, pv->n);
	free(pv);
}

/* Leave the list, then continue the draft (the compose screen replaces it). */
static void op_recall(struct ui *u, struct view *v)
{
	struct postponed_view *pv = pv_of(v);
	if (pv->lv.cur >= pv->n)
		return;
	char *file = xstrdup(pv->e[pv->lv.cur].file);
	postponed_recall_fn recall = pv->recall;
	ui_pop(u);
	recall(u, file);
	free(file);
}

static const struct op pp_ops[] = {
	{ "select-entry", op_recall },
	{ "recall-message", op_recall },
	{ NULL, NULL },
};

static const struct view_class postponed_class = {
	.name = "postponed",
	.menus = { 0, 0, 0 },
	.ops = pp_ops,
	.draw = pp_draw,
	.destroy = pp_destroy,
	.list = pp_list,
	.status = pp_status,
	.search_text = pp_search_text,
	.helpbar = pp_helpbar,
};

void postponed_offer(struct ui *u, const char *drafts_dir, postponed_recall_fn recall)
{
	struct pp_entry *v = NULL;
	size_t n = scan(drafts_dir, &v);
	if (n == 0) {
		status_message(u, "No postponed messages.");
	} else if (n == 1) {
		recall(u, v[0].file); /* mutt: the only one, without asking */
		pp_free(v, n);
	} else {
		struct postponed_view *pv = xcalloc(1, sizeof(*pv));
		pv->base.cls = &postponed_class;
		pv->e = v;
		pv->recall = recall;
		pv->n = pv->lv.count = n;
		pv->lv.rows = ui_content_rows() - 1;
		ui_push(u, &pv->base);
	}
}
