/* ui.c - the reader's main loop: one poll() over the terminal and the
 * sync engine's event pipe, a stack of views, and key → function name →
 * op_* dispatch.
 *
 * Nothing here waits on the network: lists load in slices between
 * keypresses (view idle hooks), and the store is re-read when the writer
 * commits (an event, or the Xapian version file changing on disk when a
 * headless `muttlike sync` runs beside us).
 */
#include "ui.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "composer/composer.h"
#include "conf.h"
#include "draw.h"
#include "entry.h"
#include "help.h"
#include "index.h"
#include "keymap.h"
#include "keys.h"
#include "listview.h"
#include "log.h"
#include "mailview.h"
#include "ops.h"
#include "sidebar.h"
#include "status.h"
#include "syncglue.h"
#include "text.h"
#include "theme.h"
#include "uistate.h"
#include "util.h"
#include "view.h"

#define STORE_CHECK_MS 1000
#define AMBIGUOUS_KEY_MS 1000

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

static void open_store(struct ui *u)
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
		open_store(u);
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

/* The terminal first, then each source with a descriptor; src[i] is the
 * source of fds[i] (NULL for the terminal). */
static nfds_t build_fds(struct ui *u, struct pollfd *fds, struct ui_source *src)
{
	nfds_t n = 0;
	fds[n] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	src[n++] = (struct ui_source){ .fd = -1 };
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
	for (nfds_t i = 1; i < nfds; i++)
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
	struct pollfd fds[UI_MAX_SOURCES + 1];
	struct ui_source src[UI_MAX_SOURCES + 1];
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


static const struct op *find_op(const struct op *t, const char *fn)
{
	for (; t && t->name; t++)
		if (strcmp(t->name, fn) == 0)
			return t;
	return NULL;
}

extern const struct op global_ops[];

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
		op = find_op(lv_ops, fn);
	if (!op)
		op = find_op(global_ops, fn);
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
	ui_push(u, index_view_new(u, title, query));
}

/* The account's INBOX, else everything of the account. */
static void open_account(struct ui *u)
{
	if (u->account < 0) {
		ui_open_query(u, "", NULL);
		return;
	}
	const char *acc = conf_account_name(u->conf, (size_t)u->account);
	char *dir = xasprintf("%s/%s/INBOX", u->mail_dir, acc);
	struct stat st;
	char *title = xasprintf("%s/INBOX", acc);
	char *q = stat(dir, &st) == 0 ? sidebar_folder_query(u, title) : xasprintf("path:\"%s/**\"", acc);
	ui_open_query(u, title, q);
	free(q);
	free(title);
	free(dir);
}

void ui_switch_account(struct ui *u, long account)
{
	u->account = account;
	sidebar_refresh(u, u->sb);
	open_account(u);
}

/* ---- start and stop ---- */

static void redirect_stderr(const conf_t *c)
{
	/* libraries (notmuch, Xapian) may print; never onto the screen */
	char *dir = conf_data_dir(c);
	char *file = xasprintf("%s/log", dir);
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	free(file);
	free(dir);
}

static SCREEN *g_screen;

/* "/long/path/muttlike.rc:5: ..." without the directories, for one line
 * (the help screen has it whole). */
static const char *short_problem(const char *e)
{
	const char *end = e;
	while ((end = strchr(end, ':')) && !(end[1] >= '0' && end[1] <= '9'))
		end++;
	const char *base = e;
	for (const char *p = e; end && p < end; p++)
		if (*p == '/')
			base = p + 1;
	return base;
}

static bool start_curses(void)
{
	g_screen = newterm(NULL, stdout, stdin);
	if (!g_screen)
		return false;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(50);
	curs_set(0);
	return true;
}

static void ui_free(struct ui *u)
{
	while (u->top) {
		struct view *v = u->top;
		u->top = v->below;
		v->cls->destroy(v);
	}
	/* the sender may be waiting for a password from the manager: wake it
	 * and stop it before the manager goes */
	sync_glue_stop_asking(u);
	compose_send_stop(); /* the outbox sender (issue 7) */
	sync_glue_stop(u);
	sidebar_free(&u->sb);
	mailview_free(&u->mv);
	keymap_free(&u->km);
	theme_free(&u->th);
	for (int h = 0; h < HIST_COUNT; h++) {
		for (size_t i = 0; i < u->nhist[h]; i++)
			free(u->hist[h][i]);
		free(u->hist[h]);
	}
	free(u->pending);
	free(u->msg);
	free(u->mail_dir);
	free(u->store_problem);
	free(u->last_search);
	free(u->opener);
	free(u->opener_url);
}

int ui_run(conf_t *c, const char *account, bool *want_setup)
{
	setlocale(LC_ALL, "");
	struct ui u = { 0 };
	u.conf = c;
	u.account = account ? conf_account_find(c, account) : (conf_account_count(c) ? 0 : -1);
	u.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	draw_set_utf8(u.utf8);
	char *data = conf_data_dir(c);
	u.mail_dir = xasprintf("%s/mail", data);
	free(data);
	if (!start_curses()) {
		text_print(stderr, "muttlike: cannot start curses on this terminal (TERM=%s)",
			getenv("TERM") ? getenv("TERM") : "");
		free(u.mail_dir);
		return 1;
	}
	int saved_stderr = dup(STDERR_FILENO);
	redirect_stderr(c);
	ui_reload_config(&u);
	sidebar_restore_visible(&u);
	open_store(&u);
	u.sb = sidebar_new(&u);
	sync_glue_start(&u);
	compose_send_start(&u);
	open_account(&u);
	size_t nerr = conf_error_count(c);
	if (nerr) /* the count first: the first problem may not fit the line */
		status_error(&u, "%zu config problem%s (press ? to see): %s", nerr, nerr == 1 ? "" : "s",
		             short_problem(conf_error(c, 0)));
	while (!u.quit && u.top) {
		ui_draw(&u);
		dispatch_one(&u);
	}
	endwin();
	delscreen(g_screen);
	if (want_setup)
		*want_setup = u.want_setup;
	ui_free(&u);
	if (saved_stderr >= 0) { /* the terminal again, for what comes after the reader */
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
	}
	return 0;
}
