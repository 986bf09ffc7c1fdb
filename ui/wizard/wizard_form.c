/* wizard_form.c - the wizard as a full-screen curses form (fits 80x24).
 *
 * Keys: Tab / Down next field, Shift-Tab / Up previous, Left / Right /
 * Space change a choice, Enter next field (on the button: go on), Esc back
 * a page, Ctrl-C cancel (nothing is written before the last page).
 * Blocking work (discovery, probes, the login test) runs on a worker
 * thread while this thread draws a spinner and watches for Ctrl-C / Esc,
 * which cancel the job.  Only this thread touches curses.
 */
#include <curses.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "log.h"
#include "secret.h"
#include "text.h"
#include "util.h"
#include "wizard_fe.h"

enum { NOTES = 12, LABEL_W = 16, CTRL_C = 3, CTRL_L = 12, CTRL_U = 21, ESC = 27 };

struct form {
	struct wiz_fe fe;
	SCREEN *scr;
	pthread_mutex_t lock;        /* guards notes (written from the job thread) */
	log_sink_fn old_sink;        /* the log sink before the form, put back at the end */
	void *old_sink_ud;
	char *notes[NOTES];          /* newest last */
	bool ended;
};

/* ---- notes ---- */

static void note(struct wiz_fe *fe, const char *line)
{
	struct form *f = (struct form *)fe;
	pthread_mutex_lock(&f->lock);
	free(f->notes[0]);
	memmove(f->notes, f->notes + 1, (NOTES - 1) * sizeof(f->notes[0]));
	f->notes[NOTES - 1] = xstrdup(line);
	pthread_mutex_unlock(&f->lock);
}

static void clear_notes(struct wiz_fe *fe)
{
	struct form *f = (struct form *)fe;
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < NOTES; i++)
		xfree(&f->notes[i]);
	pthread_mutex_unlock(&f->lock);
}

/* The core's log while the form is up: nothing may write to the terminal
 * behind curses (discover's "trying ..." went straight over the form).
 * Warnings and errors become notes; the rest is what the progress notes
 * already say.  Called under the log's lock, from any thread. */
static void form_log(enum log_level level, const char *line, void *ud)
{
	struct form *f = ud;
	if (f->ended) {
		if (f->old_sink)
			f->old_sink(level, line, f->old_sink_ud);
		return;
	}
	if (level > LOG_WARN)
		return;
	char *s = text_sanitize(line, strlen(line), false);
	char *n = xasprintf("%s: %s", log_level_name(level), s);
	note(&f->fe, n);
	free(n);
	free(s);
}

/* ---- drawing ---- */

static void draw_title(const char *title)
{
	attron(A_REVERSE);
	mvhline(0, 0, ' ', COLS);
	mvprintw(0, 1, "muttlike setup - %.*s", COLS > 20 ? COLS - 20 : 0, title);
	attroff(A_REVERSE);
}

static void draw_hints(const char *hints)
{
	attron(A_REVERSE);
	mvhline(LINES - 1, 0, ' ', COLS);
	mvaddnstr(LINES - 1, 1, hints, COLS - 2);
	attroff(A_REVERSE);
}

/* The last `width` columns' worth of a UTF-8 value (ASCII-width estimate). */
static const char *tail(const char *s, int width)
{
	size_t n = strlen(s);
	while ((int)n > width) {
		s++;
		n--;
		while ((*s & 0xc0) == 0x80) {
			s++;
			n--;
		}
	}
	return s;
}

static void draw_field(const struct wiz_field *fl, int y, bool focus)
{
	int w = COLS - LABEL_W - 6;
	if (w > 54)
		w = 54;
	mvprintw(y, 2, "%-*.*s", LABEL_W, LABEL_W, fl->label);
	if (focus)
		attron(A_BOLD);
	if (fl->kind == WF_CHOICE) {
		mvprintw(y, LABEL_W + 3, "< %s >", fl->value);
	} else {
		attron(A_UNDERLINE);
		mvhline(y, LABEL_W + 3, ' ', w);
		if (fl->kind == WF_SECRET) {
			size_t n = 0;
			for (const char *p = fl->value; *p; p++)
				n += (*p & 0xc0) != 0x80;
			for (size_t i = 0; i < n && (int)i < w - 1; i++)
				mvaddch(y, LABEL_W + 3 + (int)i, '*');
		} else {
			mvaddstr(y, LABEL_W + 3, tail(fl->value, w - 1));
		}
		attroff(A_UNDERLINE);
	}
	if (focus)
		attroff(A_BOLD);
}

/* Lay a page out; returns the cursor position for the focused field. */
static void draw_page(const struct wiz_page *p, size_t focus, int *cy, int *cx)
{
	erase();
	draw_title(p->title);
	int y = 2;
	for (size_t i = 0; p->info[i] && y < LINES - 6 - (int)p->nfields; i++)
		mvaddnstr(y++, 1, p->info[i], COLS - 2);
	y++;
	*cy = y;
	*cx = LABEL_W + 3;
	for (size_t i = 0; i < p->nfields; i++, y++) {
		draw_field(&p->fields[i], y, i == focus);
		if (i == focus) {
			*cy = y;
			*cx = LABEL_W + 3 + (p->fields[i].kind == WF_CHOICE ? 2 : (int)strlen(tail(p->fields[i].value, 53)));
		}
	}
	y++;
	if (focus == p->nfields)
		attron(A_REVERSE);
	mvprintw(y, LABEL_W + 3, "[ %s ]", p->next_label ? p->next_label : "Next");
	if (focus == p->nfields) {
		attroff(A_REVERSE);
		*cy = y;
		*cx = LABEL_W + 5;
	}
	if (focus < p->nfields && p->fields[focus].help)
		mvaddnstr(LINES - 3, 1, p->fields[focus].help, COLS - 2);
	if (p->error) {
		attron(A_BOLD);
		mvaddnstr(LINES - 2, 1, p->error, COLS - 2);
		attroff(A_BOLD);
	}
	draw_hints("Tab/S-Tab/arrows move  Left/Right choose  Enter next  Esc back  ^C cancel");
}

/* ---- editing ---- */

static void cycle(struct wiz_field *fl, int dir)
{
	size_t n = 0, cur = 0;
	while (fl->choices[n]) {
		if (strcmp(fl->choices[n], fl->value) == 0)
			cur = n;
		n++;
	}
	if (n == 0)
		return;
	cur = (cur + n + (size_t)(dir + (int)n)) % n;
	snprintf(fl->value, sizeof(fl->value), "%s", fl->choices[cur]);
}

static void backspace(char *v)
{
	size_t n = strlen(v);
	while (n && (v[n - 1] & 0xc0) == 0x80)
		n--;
	if (n)
		n--;
	v[n] = '\0';
}

static void insert(struct wiz_field *fl, wint_t ch)
{
	char mb[MB_LEN_MAX + 1];
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	size_t n = wcrtomb(mb, (wchar_t)ch, &st);
	size_t len = strlen(fl->value);
	if (n == (size_t)-1 || len + n + 1 > sizeof(fl->value))
		return;
	memcpy(fl->value + len, mb, n);
	fl->value[len + n] = '\0';
}

/* One key on the page; returns -1 to stay, or a wiz_result. */
static int key(struct wiz_page *p, size_t *focus, int r, wint_t ch)
{
	size_t last = p->nfields; /* the button */
	struct wiz_field *fl = *focus < p->nfields ? &p->fields[*focus] : NULL;
	if (r == KEY_CODE_YES) {
		switch (ch) {
		case KEY_DOWN: *focus = *focus < last ? *focus + 1 : 0; return -1;
		case KEY_UP:
		case KEY_BTAB: *focus = *focus ? *focus - 1 : last; return -1;
		case KEY_LEFT: if (fl && fl->kind == WF_CHOICE) cycle(fl, -1); return -1;
		case KEY_RIGHT: if (fl && fl->kind == WF_CHOICE) cycle(fl, 1); return -1;
		case KEY_BACKSPACE: if (fl && fl->kind != WF_CHOICE) backspace(fl->value); return -1;
		case KEY_ENTER: break;
		default: return -1;
		}
		ch = '\n';
	}
	switch (ch) {
	case CTRL_C: return WIZ_CANCEL;
	case ESC: return WIZ_BACK;
	case '\t': *focus = *focus < last ? *focus + 1 : 0; return -1;
	case '\r':
	case '\n':
		if (*focus == last)
			return WIZ_NEXT;
		(*focus)++;
		return -1;
	case 127:
	case 8: if (fl && fl->kind != WF_CHOICE) backspace(fl->value); return -1;
	case CTRL_U: if (fl && fl->kind != WF_CHOICE) secret_wipe(fl->value, sizeof(fl->value)); return -1;
	case ' ':
		if (fl && fl->kind == WF_CHOICE) {
			cycle(fl, 1);
			return -1;
		}
		break;
	default: break;
	}
	if (fl && fl->kind != WF_CHOICE && ch >= 0x20 && ch != 0x7f && !(ch >= 0x80 && ch < 0xa0))
		insert(fl, ch);
	return -1;
}

static enum wiz_result page(struct wiz_fe *fe, struct wiz_page *p)
{
	(void)fe;
	size_t focus = 0;
	for (;;) {
		int cy, cx;
		draw_page(p, focus, &cy, &cx);
		move(cy, cx);
		curs_set(1);
		refresh();
		wint_t ch;
		int r = get_wch(&ch);
		if (r == ERR)
			continue;
		if (r == KEY_CODE_YES && ch == KEY_RESIZE)
			continue;
		if (r == OK && ch == CTRL_L) {
			clearok(curscr, TRUE); /* the next refresh repaints everything */
			continue;
		}
		int res = key(p, &focus, r, ch);
		if (res >= 0)
			return (enum wiz_result)res;
	}
}

/* ---- busy ---- */

struct running {
	const struct wiz_job *job;
	pthread_mutex_t lock;
	bool done;
};

static void *worker(void *arg)
{
	struct running *r = arg;
	r->job->run(r->job->arg);
	pthread_mutex_lock(&r->lock);
	r->done = true;
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void draw_busy(struct form *f, const char *title, int tick, bool cancelling, const struct wiz_job *job,
		       const struct wiz_field *in)
{
	static const char spin[] = "|/-\\";
	erase();
	draw_title("working");
	mvprintw(2, 1, "%c %.*s", spin[tick % 4], COLS - 4, title);
	int last = job->input ? LINES - 4 : LINES - 2;
	pthread_mutex_lock(&f->lock);
	int y = 4;
	for (size_t i = 0; i < NOTES && y < last; i++)
		if (f->notes[i])
			mvaddnstr(y++, 1, f->notes[i], COLS - 2);
	pthread_mutex_unlock(&f->lock);
	draw_hints(cancelling ? "cancelling..." : job->input ? "Enter: use the address typed  ^C or Esc: stop"
							      : "^C or Esc: stop");
	if (job->input) {
		draw_field(in, LINES - 3, true);
		move(LINES - 3, LABEL_W + 3 + (int)strlen(tail(in->value, 53)));
	}
	curs_set(job->input ? 1 : 0);
	refresh();
}

/* A key on the busy screen's input line; true when Enter gave it a line. */
static bool busy_key(struct wiz_field *in, int k, wint_t ch)
{
	if (k == KEY_CODE_YES && ch == KEY_BACKSPACE)
		backspace(in->value);
	else if (k == KEY_CODE_YES && ch == KEY_ENTER)
		return true;
	else if (k != OK)
		return false;
	else if (ch == '\r' || ch == '\n')
		return true;
	else if (ch == 127 || ch == 8)
		backspace(in->value);
	else if (ch == CTRL_U)
		secret_wipe(in->value, sizeof(in->value));
	else if (ch >= 0x20 && !(ch >= 0x7f && ch < 0xa0))
		insert(in, ch);
	return false;
}

static bool busy(struct wiz_fe *fe, const char *title, const struct wiz_job *job)
{
	struct form *f = (struct form *)fe;
	struct running r = { .job = job, .done = false };
	pthread_mutex_init(&r.lock, NULL);
	pthread_t t;
	if (pthread_create(&t, NULL, worker, &r) != 0)
		util_oom();
	bool cancelled = false;
	struct wiz_field in = { .label = job->input_label ? job->input_label : "", .kind = WF_TEXT };
	timeout(100);
	for (int tick = 0;; tick++) {
		pthread_mutex_lock(&r.lock);
		bool done = r.done;
		pthread_mutex_unlock(&r.lock);
		if (done)
			break;
		draw_busy(f, title, tick, cancelled, job, &in);
		wint_t ch;
		int k = get_wch(&ch);
		if (k == OK && ch == CTRL_L) {
			clearok(curscr, TRUE);
		} else if (k == OK && (ch == CTRL_C || ch == ESC)) {
			if (!cancelled && job->cancel)
				job->cancel(job->arg);
			cancelled = true;
		} else if (job->input && !cancelled && busy_key(&in, k, ch) && *in.value) {
			job->input(job->arg, in.value);
			secret_wipe(in.value, sizeof(in.value));
		}
	}
	secret_wipe(in.value, sizeof(in.value));
	timeout(-1);
	pthread_join(t, NULL);
	pthread_mutex_destroy(&r.lock);
	return !cancelled;
}

/* ---- lifetime ---- */

static void end(struct wiz_fe *fe)
{
	struct form *f = (struct form *)fe;
	if (!f->ended) {
		endwin();
		f->ended = true;
	}
}

static void form_free(struct wiz_fe *fe)
{
	struct form *f = (struct form *)fe;
	end(fe);
	log_set_sink(f->old_sink, f->old_sink_ud);
	delscreen(f->scr);
	for (size_t i = 0; i < NOTES; i++)
		free(f->notes[i]);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

struct wiz_fe *wizard_form_new(void)
{
	setlocale(LC_ALL, "");
	SCREEN *s = newterm(NULL, stdout, stdin);
	if (!s)
		return NULL;
	struct form *f = xcalloc(1, sizeof(*f));
	f->scr = s;
	set_term(s);
	raw(); /* Ctrl-C arrives as a key: cancel cleanly instead of dying mid-page */
	noecho();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	pthread_mutex_init(&f->lock, NULL);
	f->fe.keeps_screen = true;
	f->fe.page = page;
	f->fe.busy = busy;
	f->fe.note = note;
	f->fe.clear_notes = clear_notes;
	f->fe.end = end;
	f->fe.free = form_free;
	log_get_sink(&f->old_sink, &f->old_sink_ud);
	log_set_sink(form_log, f);
	return &f->fe;
}
