/* ui.c - the curses front end's main loop.
 *
 * For now this is the reader's frame: title, account list, config problems
 * and a status line, redrawn on resize.  The index, pager and sidebar
 * (issue "The reader") plug into this loop.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include "ui.h"

#include <curses.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "text.h"
#include "util.h"

struct ui {
	conf_t *conf;
	long account;
	char *message; /* owned: the message line */
};

/* Print untrusted text at the cursor, cut to the window's width. */
static void put_safe(int y, int x, const char *s)
{
	char *clean = text_sanitize(s, strlen(s), false);
	int w = COLS - x;
	if (w > 0)
		mvaddnstr(y, x, clean, -1);
	clrtoeol();
	free(clean);
	(void)w;
}

static void draw(struct ui *u)
{
	erase();
	attron(A_REVERSE);
	mvhline(0, 0, ' ', COLS);
	put_safe(0, 0, "muttlike " MUTTLIKE_VERSION "  q:Quit  ?:Help");
	attroff(A_REVERSE);
	int y = 2;
	size_t na = conf_account_count(u->conf);
	if (na == 0) {
		put_safe(y++, 2, "No account is configured.");
		put_safe(y++, 2, "Run 'muttlike setup' to add one, or see muttlike.rc.example.");
	} else {
		put_safe(y++, 2, "Accounts:");
		for (size_t i = 0; i < na && y < LINES - 3; i++) {
			char *line = xasprintf("%c %s  %s", (long)i == u->account ? '>' : ' ',
					       conf_account_name(u->conf, i), conf_str(u->conf, (long)i, OPT_ID_imap_url));
			put_safe(y++, 4, line);
			free(line);
		}
	}
	size_t ne = conf_error_count(u->conf);
	if (ne && y < LINES - 4) {
		y++;
		char *hdr = xasprintf("Config problems (%zu):", ne);
		put_safe(y++, 2, hdr);
		free(hdr);
		for (size_t i = 0; i < ne && y < LINES - 3; i++)
			put_safe(y++, 4, conf_error(u->conf, i));
	}
	attron(A_REVERSE);
	mvhline(LINES - 2, 0, ' ', COLS);
	char *status = xasprintf("-- muttlike: %zu account%s", na, na == 1 ? "" : "s");
	put_safe(LINES - 2, 0, status);
	free(status);
	attroff(A_REVERSE);
	if (u->message)
		put_safe(LINES - 1, 0, u->message);
	refresh();
}

static void set_message(struct ui *u, const char *msg)
{
	free(u->message);
	u->message = msg ? xstrdup(msg) : NULL;
}

int ui_run(conf_t *c, const char *account)
{
	setlocale(LC_ALL, "");
	struct ui u = { c, account ? conf_account_find(c, account) : (conf_account_count(c) ? 0 : -1), NULL };
	if (!newterm(NULL, stdout, stdin)) {
		fprintf(stderr, "muttlike: cannot start curses on this terminal (TERM=%s)\n",
			getenv("TERM") ? getenv("TERM") : "");
		return 1;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	if (conf_error_count(c))
		set_message(&u, "The config has problems; they are listed above.");
	for (;;) {
		draw(&u);
		int ch = getch();
		if (ch == 'q')
			break;
		if (ch == KEY_RESIZE || ch == 12 /* ^L */) {
			clearok(curscr, TRUE);
			continue;
		}
		if (ch == '?')
			set_message(&u, "The full reader with its help screen comes with the index and pager.");
		else if (ch == 'j' || ch == KEY_DOWN) {
			if (u.account + 1 < (long)conf_account_count(c))
				u.account++;
		} else if (ch == 'k' || ch == KEY_UP) {
			if (u.account > 0)
				u.account--;
		}
	}
	endwin();
	free(u.message);
	return 0;
}
