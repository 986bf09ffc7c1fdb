/* help.c - two small list screens: the help screen, generated from the
 * live keymap of the screen it was opened from (bound keys first, then
 * the functions of that screen with no key), and the message's links. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uiint.h"

struct text_list {
	struct view base;
	char *title;  /* owned */
	char **lines; /* owned */
	size_t n;
	struct listview lv;
};

static void tl_add(struct text_list *t, char *line)
{
	t->lines = xreallocarray(t->lines, t->n + 1, sizeof(char *));
	t->lines[t->n++] = line;
	t->lv.count = t->n;
}

static void tl_row(struct ui *u, void *ctx, size_t i, int y, int x, int w, bool cur)
{
	struct text_list *t = ctx;
	attr_t a = cur ? theme_attr(u->th, CO_indicator) : theme_attr(u->th, CO_normal);
	draw_fill(y, x, w, a);
	draw_text(y, x, w, t->lines[i], a);
}

static void tl_draw(struct ui *u, struct view *v)
{
	struct text_list *t = (struct text_list *)v;
	lv_draw(u, &t->lv, ui_top_row(), 0, COLS, ui_content_rows(), tl_row, t);
}

static void tl_status(struct ui *u, struct view *v, struct strbuf *b)
{
	(void)u;
	struct text_list *t = (struct text_list *)v;
	strbuf_addf(b, "-- %s (%zu) --", t->title, t->n);
}

static struct listview *tl_list(struct view *v)
{
	return &((struct text_list *)v)->lv;
}

static void tl_search_text(struct view *v, size_t i, struct strbuf *b)
{
	strbuf_adds(b, ((struct text_list *)v)->lines[i]);
}

static void tl_click(struct ui *u, struct view *v, int y, int x)
{
	(void)u;
	(void)x;
	struct text_list *t = (struct text_list *)v;
	size_t i = t->lv.top + (size_t)(y - ui_top_row());
	if (y >= ui_top_row() && i < t->n)
		lv_set_cur(&t->lv, i);
}

static void tl_destroy(struct view *v)
{
	struct text_list *t = (struct text_list *)v;
	for (size_t i = 0; i < t->n; i++)
		free(t->lines[i]);
	free(t->lines);
	free(t->title);
	free(t);
}

/* ---- help ---- */

struct help_ctx {
	struct text_list *t;
	const unsigned *menus;
	char **seen; /* functions listed */
	size_t nseen;
};

static void help_line(const char *key, const char *fn, const char *macro, const char *desc, void *ud)
{
	struct help_ctx *h = ud;
	const struct fn_def *f = fn ? keys_function(fn) : NULL;
	if (fn) {
		tl_add(h->t, xasprintf("%-12s %-24s %s", key, fn, f ? f->doc : ""));
		h->seen = xreallocarray(h->seen, h->nseen + 1, sizeof(char *));
		h->seen[h->nseen++] = xstrdup(fn);
	} else {
		tl_add(h->t, xasprintf("%-12s macro %s  %s", key, macro, desc ? desc : ""));
	}
}

static bool seen(const struct help_ctx *h, const char *fn)
{
	for (size_t i = 0; i < h->nseen; i++)
		if (strcmp(h->seen[i], fn) == 0)
			return true;
	return false;
}

static const char *const help_helpbar[] = { "exit", "search", "help", NULL };

struct view *help_view_new(struct ui *u, const struct view *for_view)
{
	static struct view_class cls = {
		.name = "help",
		.menus = { 0, 0, 0 },
		.draw = tl_draw,
		.destroy = tl_destroy,
		.list = tl_list,
		.status = tl_status,
		.click = tl_click,
		.search_text = tl_search_text,
		.helpbar = help_helpbar,
	};
	struct text_list *t = xcalloc(1, sizeof(*t));
	t->base.cls = &cls;
	t->title = xasprintf("Help for %s", for_view->cls->name);
	struct help_ctx h = { t, for_view->cls->menus, NULL, 0 };
	keymap_each(u->km, for_view->cls->menus, help_line, &h);
	tl_add(t, xstrdup(""));
	tl_add(t, xstrdup("Unbound functions:"));
	size_t nf;
	const struct fn_def *all = keys_functions(&nf);
	unsigned mask = MENU_GENERIC;
	for (size_t i = 0; i < 3 && for_view->cls->menus[i]; i++)
		mask |= for_view->cls->menus[i];
	for (size_t i = 0; i < nf; i++)
		if ((all[i].menus & mask) && !seen(&h, all[i].name) && strcmp(all[i].name, "noop") != 0)
			tl_add(t, xasprintf("%-12s %-24s %s", "", all[i].name, all[i].doc));
	for (size_t i = 0; i < h.nseen; i++)
		free(h.seen[i]);
	free(h.seen);
	/* the config's problems, so nothing is only in the log */
	if (conf_error_count(u->conf)) {
		tl_add(t, xstrdup(""));
		tl_add(t, xasprintf("Config problems (%zu):", conf_error_count(u->conf)));
		for (size_t i = 0; i < conf_error_count(u->conf); i++)
			tl_add(t, xasprintf("  %s", conf_error(u->conf, i)));
	}
	t->lv.rows = ui_content_rows();
	return &t->base;
}

/* ---- links ---- */

/* Start url_opener with the URL as one argument, detached: no shell, no
 * terminal, nothing to wait for. */
static void open_url(struct ui *u, const char *url)
{
	const char *opener = conf_str(u->conf, -1, OPT_ID_url_opener);
	if (!opener || !*opener) {
		ui_error(u, "url_opener is not set.");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		setsid();
		int fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (fork() == 0) {
			execlp(opener, opener, url, (char *)NULL);
			_exit(127);
		}
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	ui_message(u, "Opened with %s.", opener);
}

static void op_open_url(struct ui *u, struct view *v)
{
	struct text_list *t = (struct text_list *)v;
	if (t->lv.cur < t->n)
		open_url(u, t->lines[t->lv.cur]);
}

static const struct op url_ops[] = {
	{ "select-entry", op_open_url },
	{ NULL, NULL },
};

static const char *const url_helpbar[] = { "exit", "select-entry", "help", NULL };

struct view *urls_view_new(struct ui *u, char **urls, size_t n)
{
	static struct view_class cls = {
		.name = "links",
		.menus = { 0, 0, 0 },
		.ops = url_ops,
		.draw = tl_draw,
		.destroy = tl_destroy,
		.list = tl_list,
		.status = tl_status,
		.click = tl_click,
		.search_text = tl_search_text,
		.helpbar = url_helpbar,
	};
	(void)u;
	struct text_list *t = xcalloc(1, sizeof(*t));
	t->base.cls = &cls;
	t->title = xstrdup("Links");
	for (size_t i = 0; i < n; i++)
		tl_add(t, urls[i]);
	free(urls);
	t->lv.rows = ui_content_rows();
	return &t->base;
}
