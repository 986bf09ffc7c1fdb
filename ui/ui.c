/* ui.c - the reader's main loop: one poll() over the terminal and the
 * descriptors modules register (struct ui_source: the sync engine's event
 * pipe, the sender's), a stack of views drawn and asked through their
 * class, and key → function name → op_* dispatch (the view's ops, the
 * list's, the global ones, as registered in struct ui).  It calls only the
 * layers below it (status, draw, theme, keymap) and what is registered.
 *
 * Nothing here waits on the network: lists load in slices between
 * keypresses (view idle hooks), and the store is re-read when the writer
 * commits (an event, or the Xapian version file changing on disk when a
 * headless `muttlike sync` runs beside us).
 */
#include "ui.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "draw.h"
#include "keymap.h"
#include "keys.h"
#include "mailview.h"
#include "status.h"
#include "theme.h"
#include "uistate.h"
#include "util.h"
#include "view.h"

#define STORE_CHECK_MS 1000
#define AMBIGUOUS_KEY_MS 1000

void ui_free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

long ui_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ui_top_row(void)
{
	return 1;
}

int ui_content_rows(void)
{
	return LINES > 3 ? LINES - 3 : 0;
}

void ui_push(struct ui *u, struct view *v)
{
	v->below = u->top;
	u->top = v;
}

void ui_pop(struct ui *u)
{
	struct view *v = u->top;
	if (!v)
		return;
	u->top = v->below;
	v->cls->destroy(v);
	if (!u->top)
		u->quit = true;
}

/* ---- the store ---- */

static char *version_file(const struct ui *u)
{
	return xasprintf("%s/.notmuch/xapian/iamglass", u->mail_dir);
}

static time_t store_stamp(const struct ui *u)
{
	char *f = version_file(u);
	struct stat st;
	time_t t = stat(f, &st) == 0 ? st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000 : 0;
	free(f);
	return t;
}

void ui_open_store(struct ui *u)
{
	char *err = NULL;
	xfree(&u->store_problem);
	if (mailview_open(u->mail_dir, &u->mv, &err) != MV_OK) {
		u->store_problem = err;
		return;
	}
	u->store_mtime = store_stamp(u);
}

void ui_store_changed(struct ui *u)
{
	if (!u->mv) {
		ui_open_store(u);
		if (!u->mv)
			return;
	} else {
		mailview_reopen(u->mv);
	}
	for (struct view *v = u->top; v; v = v->below)
		if (v->cls->store_changed)
			v->cls->store_changed(u, v);
	for (size_t i = 0; i < u->nsources; i++)
		if (u->sources[i].store_changed)
			u->sources[i].store_changed(u, u->sources[i].data);
}

void ui_outbox_changed(struct ui *u)
{
	for (struct view *v = u->top; v; v = v->below)
		if (v->cls->outbox_changed)
			v->cls->outbox_changed(u, v);
}

/* A headless sync in another process commits: notice within a second. */
static void check_store(struct ui *u)
{
	long now = ui_now_ms();
	if (now - u->last_store_check_ms < STORE_CHECK_MS)
		return;
	u->last_store_check_ms = now;
	time_t t = store_stamp(u);
	if (t && t != u->store_mtime) {
		u->store_mtime = t;
		ui_store_changed(u);
		ui_draw(u);
	}
}

/* ---- drawing ---- */

void ui_draw(struct ui *u)
{
	erase();
	if (LINES < 5 || COLS < 20) {
		draw_text(0, 0, COLS, "Terminal too small.", A_NORMAL);
		refresh();
		return;
	}
	struct view *v = u->top;
	if (v) {
		status_draw_helpbar(u, v);
		v->cls->draw(u, v);
	}
	status_draw(u, v);
	if (u->overlay)
		u->overlay(u, u->overlay_ctx);
	refresh();
}

/* ---- input ---- */

/* With mouse off, curses knows the terminal's report prefix (kmous)
 * but leaves the rest of a report unread: "\e[<0;5;3m" would go on as
 * keys, ending in m (mail).  Read it away: SGR "digits;digits;digitsM|m",
 * or the 3 bytes of an X10 report. */
static void swallow_mouse_report(void)
{
	const char *km = tigetstr("kmous");
	bool x10 = km && km != (char *)-1 && *km && km[strlen(km) - 1] == 'M';
	wint_t c;
	for (int i = 0; i < 32; i++) {
		int r = get_wch(&c);
		if (r == ERR)
			return;
		if (x10 ? i == 2 : r == OK && (c == 'M' || c == 'm'))
			return;
		if (!x10 && (r != OK || !((c >= '0' && c <= '9') || c == ';'))) {
			if (r == OK)
				unget_wch((wchar_t)c);
			else
				ungetch((int)c);
			return;
		}
	}
}

static int read_key(struct ui *u)
{
	wint_t wc;
	int r = get_wch(&wc);
	if (r == ERR)
		return ERR;
	if (r == KEY_CODE_YES && wc == KEY_MOUSE) {
		MEVENT me;
		/* with mouse off, or for events we did not ask for, nothing happens */
		if (getmouse(&me) != OK) {
			if (!u->mouse)
				swallow_mouse_report(); /* with mouse on, curses read it all */
			return ERR;
		}
		if (!u->mouse)
			return ERR;
		u->mouse_y = me.y;
		u->mouse_x = me.x;
		u->mouse_button = (me.bstate & BUTTON4_PRESSED) ? 4
				  : (me.bstate & BUTTON5_PRESSED) ? 5
				  : (me.bstate & BUTTON1_PRESSED) ? 1 : 0;
		return u->mouse_button ? UI_KEY_MOUSE : ERR;
	}
	int k = keymap_from_curses((int)wc, r == KEY_CODE_YES);
	return k < 0 ? ERR : k;
}

/* ---- sources: what the loop polls and asks ---- */

void ui_add_source(struct ui *u, const struct ui_source *s)
{
	if (u->nsources == UI_MAX_SOURCES)
		abort(); /* a fixed set of modules registers: a programming error */
	u->sources[u->nsources++] = *s;
}

void ui_remove_source(struct ui *u, const void *data)
{
	size_t out = 0;
	for (size_t i = 0; i < u->nsources; i++)
		if (u->sources[i].data != data)
			u->sources[out++] = u->sources[i];
	u->nsources = out;
}

/* Each source with a descriptor (the terminal is one); src[i] is the
 * source of fds[i]. */
static nfds_t build_fds(struct ui *u, struct pollfd *fds, struct ui_source *src)
{
	nfds_t n = 0;
	for (size_t i = 0; i < u->nsources; i++) {
		if (u->sources[i].fd < 0)
			continue;
		fds[n] = (struct pollfd){ .fd = u->sources[i].fd, .events = u->sources[i].events };
		src[n++] = u->sources[i];
	}
	return n;
}

static bool question_waiting(struct ui *u)
{
	for (size_t i = 0; i < u->nsources; i++)
		if (u->sources[i].waiting && u->sources[i].waiting(u, u->sources[i].data))
			return true;
	return false;
}

/* Ask what the workers wait for (UI_KEY_ASK). */
static void ask_questions(struct ui *u)
{
	for (size_t i = 0; i < u->nsources; i++)
		if (u->sources[i].ask)
			u->sources[i].ask(u, u->sources[i].data);
}

/* Nothing typed: a slice of background work (the sidebar's counts, the
 * rest of the top view's list); true when one did something. */
static bool idle_work(struct ui *u, struct pollfd *fds, nfds_t nfds)
{
	for (size_t i = 0; i < u->nsources; i++)
		if (u->sources[i].idle && poll(fds, nfds, 0) == 0 && u->sources[i].idle(u, u->sources[i].data))
			return true;
	return u->top && u->top->cls->idle && poll(fds, nfds, 0) == 0 && u->top->cls->idle(u, u->top);
}

/* After a wait: the sources with events, then those without a descriptor. */
static void serve_sources(struct ui *u, const struct pollfd *fds, const struct ui_source *src, nfds_t nfds)
{
	for (nfds_t i = 0; i < nfds; i++)
		if ((fds[i].revents & fds[i].events) && src[i].ready)
			src[i].ready(u, src[i].data);
	check_store(u);
	struct ui_source after[UI_MAX_SOURCES];
	size_t n = 0;
	for (size_t i = 0; i < u->nsources; i++)
		if (u->sources[i].fd < 0 && u->sources[i].ready)
			after[n++] = u->sources[i];
	for (size_t i = 0; i < n; i++)
		after[i].ready(u, after[i].data);
}

int ui_getkey(struct ui *u, int timeout_ms)
{
	if (u->pending_pos < u->npending)
		return u->pending[u->pending_pos++];
	long deadline = timeout_ms >= 0 ? ui_now_ms() + timeout_ms : -1;
	struct pollfd fds[UI_MAX_SOURCES];
	struct ui_source src[UI_MAX_SOURCES];
	for (;;) {
		int k = read_key(u);
		if (k != ERR)
			return k;
		if (u->at_top && question_waiting(u))
			return UI_KEY_ASK;
		if (u->store_dirty) {
			u->store_dirty = false;
			ui_store_changed(u);
			ui_draw(u);
		}
		nfds_t nfds = build_fds(u, fds, src);
		if (idle_work(u, fds, nfds)) {
			ui_draw(u);
			continue;
		}
		int wait = STORE_CHECK_MS;
		if (deadline >= 0) {
			long left = deadline - ui_now_ms();
			if (left <= 0)
				return ERR;
			if (left < wait)
				wait = (int)left;
		}
		int n = poll(fds, nfds, wait);
		if (n < 0 && errno == EINTR)
			continue; /* SIGWINCH: get_wch reports KEY_RESIZE next */
		if (n < 0)
			memset(fds, 0, sizeof(fds[0]) * nfds); /* no events to serve */
		serve_sources(u, fds, src, nfds);
	}
}

/* ---- dispatch ---- */


const struct op *ui_join_ops(struct op *all, size_t cap, const struct op *own, const struct op *more)
{
	if (all[0].name)
		return all;
	size_t n = 0;
	for (const struct op *o = own; o->name && n + 1 < cap; o++)
		if (o->fn)
			all[n++] = *o;
	for (const struct op *o = more; o->name && n + 1 < cap; o++)
		all[n++] = *o;
	return all;
}

static const struct op *find_op(const struct op *t, const char *fn)
{
	for (; t && t->name; t++)
		if (strcmp(t->name, fn) == 0)
			return t;
	return NULL;
}

void ui_push_keys(struct ui *u, const char *macro)
{
	size_t n;
	char *err = NULL;
	int *keys = keys_parse_macro(macro, &n, &err);
	if (!keys) {
		status_error(u, "bad macro: %s", err ? err : "?");
		free(err);
		return;
	}
	/* the macro's keys come before anything still pending */
	size_t rest = u->npending - u->pending_pos;
	int *nv = xreallocarray(NULL, n + rest + 1, sizeof(int));
	memcpy(nv, keys, n * sizeof(int));
	if (rest)
		memcpy(nv + n, u->pending + u->pending_pos, rest * sizeof(int));
	free(u->pending);
	u->pending = nv;
	u->npending = n + rest;
	u->pending_pos = 0;
	free(keys);
}

void ui_run_function(struct ui *u, const char *fn)
{
	struct view *v = u->top;
	const struct op *op = find_op(v->cls->ops, fn);
	if (!op && v->cls->list)
		op = find_op(u->list_ops, fn);
	if (!op)
		op = find_op(u->global_ops, fn);
	if (!op) {
		const struct fn_def *f = keys_function(fn);
		status_error(u, "%s: not available %s.", fn, f ? "on this screen" : "(unknown function)");
		return;
	}
	op->fn(u, v);
}

static void handle_mouse(struct ui *u)
{
	struct view *v = u->top;
	if (u->mouse_button == 4 || u->mouse_button == 5) {
		/* lists move their cursor; the pager scrolls (its next-entry is the next message) */
		bool up = u->mouse_button == 4, list = v->cls->list != NULL;
		for (int i = 0; i < 3; i++)
			ui_run_function(u, list ? (up ? "previous-entry" : "next-entry") : (up ? "previous-line" : "next-line"));
		return;
	}
	if (v->cls->click)
		v->cls->click(u, v, u->mouse_y, u->mouse_x);
}

/* Read keys until they form a bound sequence, then run it. */
static void dispatch_one(struct ui *u)
{
	int keys[8];
	size_t n = 0;
	for (;;) {
		u->at_top = n == 0;
		int k = ui_getkey(u, n ? AMBIGUOUS_KEY_MS : -1);
		u->at_top = false;
		if (k == UI_KEY_ASK) {
			ask_questions(u); /* a worker waits for the user's decision */
			return;
		}
		if (k == ERR && n == 0)
			continue;
		if (k == KEYCODE_RESIZE) {
			clearok(curscr, TRUE);
			return;
		}
		if (k == UI_KEY_MOUSE) {
			handle_mouse(u);
			return;
		}
		const char *fn = NULL, *macro = NULL;
		if (k == ERR) {
			/* timeout after an ambiguous prefix: take the shorter binding */
			if (keymap_lookup(u->km, u->top->cls->menus, keys, n, &fn, &macro) == KM_AMBIGUOUS)
				goto run;
			return;
		}
		if (k >= KEYCODE_FUNCTION) {
			size_t nf;
			const struct fn_def *all = keys_functions(&nf);
			if ((size_t)(k - KEYCODE_FUNCTION) < nf)
				ui_run_function(u, all[k - KEYCODE_FUNCTION].name);
			return;
		}
		keys[n++] = k;
		enum km_result r = keymap_lookup(u->km, u->top->cls->menus, keys, n, &fn, &macro);
		if (r == KM_PREFIX || (r == KM_AMBIGUOUS && n < ARRAY_SIZE(keys))) {
			if (n < ARRAY_SIZE(keys))
				continue;
		}
		if (r == KM_NONE || r == KM_PREFIX) {
			char *name = keys_name(keys[n - 1]);
			status_error(u, "Key is not bound.  Press '%s' for help.",
			             keymap_key_for(u->km, u->top->cls->menus, "help") ?: "?");
			free(name);
			return;
		}
	run:
		if (fn) {
			if (u->msg && !u->msg_error)
				xfree(&u->msg);
			ui_run_function(u, fn);
		} else if (macro) {
			ui_push_keys(u, macro);
		}
		return;
	}
}

/* ---- external commands ---- */

int ui_run_external(struct ui *u, char *const argv[], int stdin_fd, bool wait_key)
{
	(void)u;
	def_prog_mode();
	endwin();
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (stdin_fd >= 0) {
			dup2(stdin_fd, STDIN_FILENO);
			close(stdin_fd);
		}
		int tty = open("/dev/tty", O_WRONLY);
		if (tty >= 0) {
			dup2(tty, STDERR_FILENO);
			close(tty);
		}
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		/* a forked child of a threaded process: no malloc, so no
		 * text_print; argv[0] is the user's own command */
		fprintf(stderr, "muttlike: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int st = -1;
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	if (wait_key) {
		fputs("\nPress any key to continue...", stdout);
		fflush(stdout);
		reset_prog_mode();
		timeout(-1);
		getch();
		nodelay(stdscr, TRUE);
	}
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
	return pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ui_draw's overlay: a redraw for news while asking keeps the question */
static void draw_question(struct ui *u, void *ctx)
{
	draw_fill(LINES - 1, 0, COLS, A_NORMAL);
	draw_text(LINES - 1, 0, COLS, ctx, theme_attr(u->th, CO_prompt));
}

bool ui_yesno(struct ui *u, const char *question, bool dflt)
{
	char *q = xasprintf("%s ([%s]/%s): ", question, dflt ? "yes" : "no", dflt ? "no" : "yes");
	bool ans = dflt;
	void (*old)(struct ui *, void *) = u->overlay;
	void *old_ctx = u->overlay_ctx;
	u->overlay = draw_question;
	u->overlay_ctx = q;
	for (;;) {
		ui_draw(u);
		int k = ui_getkey(u, -1);
		if (k == 'y' || k == 'Y') {
			ans = true;
			break;
		}
		if (k == 'n' || k == 'N' || k == 27 || k == 7) {
			ans = false;
			break;
		}
		if (k == '\r' || k == '\n')
			break;
	}
	u->overlay = old;
	u->overlay_ctx = old_ctx;
	free(q);
	return ans;
}

/* ---- configuration ---- */

void ui_reload_config(struct ui *u)
{
	char *problem = NULL;
	keymap_free(&u->km);
	u->km = keymap_new(u->conf, &problem);
	theme_free(&u->th);
	u->th = theme_new(u->conf);
	if (!problem)
		problem = theme_problem(u->th);
	if (problem)
		status_error(u, "%s", problem);
	free(problem);
	bool mouse = conf_bool(u->conf, -1, OPT_ID_mouse);
	if (mouse != u->mouse) {
		u->mouse = mouse;
		/* act on the press: curses' click detection waits for the
		 * release with a timer that does not work with nodelay input */
		mouseinterval(0);
		mousemask(mouse ? BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED : 0, NULL);
	}
	for (struct view *v = u->top; v; v = v->below)
		if (v->cls->store_changed)
			v->cls->store_changed(u, v);
}

char *ui_current_message_file(struct ui *u, struct view *v)
{
	size_t n = 0;
	char **ids = v->cls->targets ? v->cls->targets(u, v, &n) : NULL;
	u->tag_prefix = false;
	char *file = n && u->mv ? mailview_message_file(u->mv, ids[0]) : NULL;
	ui_free_strv(ids, n);
	if (!file)
		status_error(u, n ? "Cannot find the message file." : "No message selected.");
	return file;
}

void ui_open_query(struct ui *u, const char *title, const char *query)
{
	/* a new folder replaces the index (and everything above it) */
	while (u->top && u->top->below)
		ui_pop(u);
	if (u->top) {
		struct view *old = u->top;
		u->top = NULL;
		old->cls->destroy(old);
	}
	u->quit = false;
	if (u->folder_opening) /* folder-hooks, before the index reads its options */
		u->folder_opening(u, title ? title : "");
	ui_push(u, u->views->index(u, title, query));
}

/* Read keys and run what they are bound to until the user quits. */
void ui_loop(struct ui *u)
{
	while (!u->quit && u->top) {
		ui_draw(u);
		dispatch_one(u);
	}
}
