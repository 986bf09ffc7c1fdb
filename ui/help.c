/* help.c - two small list screens: the help screen, generated from the
 * live keymap of the screen it was opened from (bound keys first, then
 * the functions of that screen with no key), and the message's links. */
#include "help.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "draw.h"
#include "encode.h"
#include "keymap.h"
#include "keys.h"
#include "listview.h"
#include "status.h"
#include "theme.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"
#include "view.h"

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

/* The URL as it may go to the terminal: printable ASCII kept, every other
 * byte (controls, ESC, BEL, spaces, UTF-8) percent-encoded, so the OSC 52
 * payload and the message line carry nothing a terminal would act on. */
static char *url_sanitize(const char *url)
{
	struct strbuf b;
	strbuf_init(&b);
	for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
		if (*p > 0x20 && *p < 0x7f)
			strbuf_addc(&b, (char)*p);
		else
			strbuf_addf(&b, "%%%02X", *p);
	}
	return strbuf_detach(&b);
}

/* Copy through OSC 52 (the terminal, or tmux with set-clipboard, puts it
 * on the clipboard; over SSH it is the local terminal's clipboard). */
static void url_copy(const char *clean)
{
	char *b64 = encode_base64_line(clean, strlen(clean));
	char *seq = xasprintf("\033]52;c;%s\a", b64);
	fflush(stdout); /* after what curses has buffered */
	for (size_t off = 0, n = strlen(seq); off < n;) {
		ssize_t w = write(STDOUT_FILENO, seq + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(seq);
	free(b64);
}

/* xdg-open needs a display; over SSH there is none. */
static bool no_display(const char *opener)
{
	const char *d = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
	if ((d && *d) || (w && *w))
		return false;
	const char *base = strrchr(opener, '/');
	return strcmp(base ? base + 1 : opener, "xdg-open") == 0;
}

/* The URL could not be opened here: copy it when url_copy allows, and
 * print it either way. */
static void url_fallback(struct ui *u, const char *why, const char *url)
{
	char *clean = url_sanitize(url);
	if (conf_bool(u->conf, -1, OPT_ID_url_copy)) {
		url_copy(clean);
		status_error(u, "%s; copied (OSC 52): %s", why, clean);
	} else {
		status_error(u, "%s (set url_copy to copy it): %s", why, clean);
	}
	free(clean);
}

static void reap_opener(struct ui *u, void *data);

/* Start url_opener with the URL as one argument: no shell, no terminal.
 * An exec failure comes back through a close-on-exec pipe at once; the
 * exit status is collected by urls_reap from the main loop. */
static void open_url(struct ui *u, const char *url)
{
	const char *opener = conf_str(u->conf, -1, OPT_ID_url_opener);
	if (!opener || !*opener) {
		url_fallback(u, "url_opener is not set", url);
		return;
	}
	if (no_display(opener)) {
		url_fallback(u, "No display to open it on", url);
		return;
	}
	if (u->opener_pid > 0) {
		status_error(u, "%s is still running.", u->opener);
		return;
	}
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		status_error(u, "Cannot start %s: %s", opener, strerror(errno));
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
		execlp(opener, opener, url, (char *)NULL);
		int e = errno;
		(void)!write(pfd[1], &e, sizeof(e));
		_exit(127);
	}
	close(pfd[1]);
	int err = 0;
	ssize_t r = pid > 0 ? read(pfd[0], &err, sizeof(err)) : -1;
	close(pfd[0]);
	if (pid < 0) {
		status_error(u, "Cannot start %s: %s", opener, strerror(errno));
		return;
	}
	if (r == (ssize_t)sizeof(err)) {
		waitpid(pid, NULL, 0);
		char *why = xasprintf("Cannot run %s: %s", opener, strerror(err));
		url_fallback(u, why, url);
		free(why);
		return;
	}
	if (!u->opener) /* the first one: from now on the loop looks after it */
		ui_add_source(u, &(struct ui_source){ .fd = -1, .ready = reap_opener });
	u->opener_pid = pid;
	free(u->opener);
	u->opener = xstrdup(opener);
	free(u->opener_url);
	u->opener_url = xstrdup(url);
	status_message(u, "Opening with %s...", opener);
}

/* Collect a finished url_opener and report a failure (after every wait
 * of the main loop, from the first opener on). */
static void reap_opener(struct ui *u, void *data)
{
	(void)data;
	int st;
	if (u->opener_pid <= 0 || waitpid(u->opener_pid, &st, WNOHANG) != u->opener_pid)
		return;
	u->opener_pid = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		status_message(u, "Opened with %s.", u->opener);
	} else {
		char *why = WIFEXITED(st) ? xasprintf("%s failed (exit status %d)", u->opener, WEXITSTATUS(st))
					  : xasprintf("%s was killed (signal %d)", u->opener, WTERMSIG(st));
		url_fallback(u, why, u->opener_url);
		free(why);
	}
	ui_draw(u);
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
