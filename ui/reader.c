/* reader.c - the reader's start and end (reader_run, entry.h): the
 * terminal, the config, the store, the modules that register with the
 * main loop (sidebar, sync glue, sender), the table of views; then the
 * main loop (ui.c) until the user quits.  The top of ui/: nothing calls
 * into it but cli/. */
#include "entry.h"

#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "composer/composer.h"
#include "draw.h"
#include "help.h"
#include "hookrun.h"
#include "index.h"
#include "keymap.h"
#include "listview.h"
#include "ops.h"
#include "outbox_view.h"
#include "pager.h"
#include "sidebar.h"
#include "status.h"
#include "syncglue.h"
#include "text.h"
#include "theme.h"
#include "thread.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"
#include "verdict.h"
#include "view.h"

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

static void reader_free(struct ui *u)
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
	verdict_forget(u);
}

static const struct view_ops views = {
	.index = index_view_new,
	.thread = thread_view_new,
	.pager = pager_view_new,
	.pager_text = pager_view_text,
	.attach = attach_view_new,
	.urls = urls_view_new,
	.help = help_view_new,
	.outbox = outbox_view_new,
};

int reader_run(conf_t *c, const char *account, bool *want_setup)
{
	setlocale(LC_ALL, "");
	struct ui u = { .conf = c, .views = &views, .list_ops = lv_ops, .global_ops = global_ops };
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
	/* the terminal: its input only wakes the loop, which reads keys first */
	ui_add_source(&u, &(struct ui_source){ .fd = STDIN_FILENO, .events = POLLIN });
	int saved_stderr = dup(STDERR_FILENO);
	redirect_stderr(c);
	ui_reload_config(&u);
	sidebar_restore_visible(&u);
	ui_open_store(&u);
	u.folder_opening = hookrun_folder;
	hookrun_named(&u, HOOK_STARTUP, NULL);
	struct hookrun_mail *newmail = hookrun_mail_new();
	hookrun_mail_check(&u, newmail); /* what is there at the start is not new */
	ui_add_source(&u, &(struct ui_source){ .fd = -1, .store_changed = hookrun_mail_check, .data = newmail });
	if (u.account >= 0)
		hookrun_named(&u, HOOK_ACCOUNT, conf_account_name(c, (size_t)u.account));
	u.sb = sidebar_new(&u);
	sync_glue_start(&u);
	compose_send_start(&u);
	sidebar_open_account(&u);
	size_t nerr = conf_error_count(c);
	if (nerr) /* the count first: the first problem may not fit the line */
		status_error(&u, "%zu config problem%s (press ? to see): %s", nerr, nerr == 1 ? "" : "s",
		             short_problem(conf_error(c, 0)));
	ui_loop(&u);
	hookrun_named(&u, HOOK_SHUTDOWN, NULL);
	endwin();
	delscreen(g_screen);
	if (want_setup)
		*want_setup = u.want_setup;
	reader_free(&u);
	hookrun_mail_free(&newmail);
	if (saved_stderr >= 0) { /* the terminal again, for what comes after the reader */
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
	}
	return 0;
}
