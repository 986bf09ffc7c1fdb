/* ops.c - functions that work on every screen: quit, help, redraw, the
 * command line, the shell, accounts, folders and the sidebar. */
#include "ops.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "draw.h"
#include "keys.h"
#include "listview.h"
#include "outbox_view.h"
#include "prompt.h"
#include "sidebar.h"
#include "status.h"
#include "syncglue.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"
#include "view.h"

/* confirm_quit: no quits at once; yes, ask-yes and ask-no ask first. */
static void op_quit(struct ui *u, struct view *v)
{
	(void)v;
	enum quad q = conf_quad(u->conf, -1, OPT_ID_confirm_quit);
	if (q != QUAD_NO && !ui_yesno(u, "Quit muttlike?", q != QUAD_ASK_NO))
		return;
	u->quit = true;
}

/* Leave the reader cleanly (workers stopped, journal on disk), run the
 * setup wizard, and come back on the new account (main.c). */
static void op_add_account(struct ui *u, struct view *v)
{
	(void)v;
	if (!ui_yesno(u, "Close the reader to set up another account?", true))
		return;
	u->want_setup = true;
	u->quit = true;
}

static void op_exit(struct ui *u, struct view *v)
{
	(void)v;
	if (u->top && u->top->below)
		ui_pop(u);
	else
		u->quit = true;
}

static void op_help(struct ui *u, struct view *v)
{
	ui_push(u, u->views->help(u, v));
}

static void op_redraw(struct ui *u, struct view *v)
{
	(void)v;
	(void)u;
	clearok(curscr, TRUE);
}

static void op_noop(struct ui *u, struct view *v)
{
	(void)u;
	(void)v;
}

static void op_what_key(struct ui *u, struct view *v)
{
	(void)v;
	status_message(u, "Press a key...");
	ui_draw(u);
	int k;
	do
		k = ui_getkey(u, -1);
	while (k == ERR || k == KEYCODE_RESIZE);
	char *name = keys_name(k);
	status_message(u, "Key: %s (code %d, octal %o)", name, k, (unsigned)k);
	free(name);
}

/* ":account NAME" switches the reader; everything else is an rc command. */
/* mutt's `exec f1 f2 ...` (run functions) and `push "keys"` (queue keys,
 * macro syntax); both in `:` and therefore in macros that type `:`. */
static void run_exec_push(struct ui *u, bool exec, const char *arg)
{
	while (*arg == ' ')
		arg++;
	if (!exec) {
		size_t len = strlen(arg);
		if (len >= 2 && (arg[0] == '"' || arg[0] == '\'') && arg[len - 1] == arg[0]) {
			char *inner = xstrndup(arg + 1, len - 2);
			ui_push_keys(u, inner);
			free(inner);
		} else if (*arg) {
			ui_push_keys(u, arg);
		}
		return;
	}
	char *copy = xstrdup(arg), *save = NULL;
	for (char *fn = strtok_r(copy, " ", &save); fn; fn = strtok_r(NULL, " ", &save)) {
		if (!keys_function(fn)) {
			status_error(u, "exec: unknown function '%s'.", fn);
			break;
		}
		ui_run_function(u, fn);
	}
	free(copy);
}

static void run_command(struct ui *u, const char *line)
{
	while (*line == ' ')
		line++;
	if (strncmp(line, "account ", 8) == 0) {
		const char *name = line + 8;
		while (*name == ' ')
			name++;
		long a = conf_account_find(u->conf, name);
		if (a < 0) {
			status_error(u, "No account named '%s'.", name);
			return;
		}
		sidebar_switch_account(u, a);
		status_message(u, "Account %s.", name);
		return;
	}
	if (strncmp(line, "exec ", 5) == 0 || strncmp(line, "push ", 5) == 0) {
		run_exec_push(u, line[0] == 'e', line + 5);
		return;
	}
	size_t before = conf_error_count(u->conf);
	size_t n = conf_command(u->conf, u->account, line);
	ui_reload_config(u);
	if (n)
		status_error(u, "%s", conf_error(u->conf, before + n - 1));
	else if (!u->msg_error || !u->msg)
		status_message(u, "OK: %s", line);
	sidebar_refresh(u, u->sb);
}

static void op_enter_command(struct ui *u, struct view *v)
{
	(void)v;
	char *line = prompt_line(u, ":", "", HIST_CMD, COMPLETE_CMD);
	if (line && *line)
		run_command(u, line);
	free(line);
}

static void op_shell_escape(struct ui *u, struct view *v)
{
	(void)v;
	char *cmd = prompt_line(u, "Shell command: ", "", HIST_SHELL, COMPLETE_FILE);
	if (cmd && *cmd) {
		char *argv[] = { "/bin/sh", "-c", cmd, NULL };
		ui_run_external(u, argv, -1, true);
	}
	free(cmd);
}

static void op_tag_prefix(struct ui *u, struct view *v)
{
	(void)v;
	u->tag_prefix = !u->tag_prefix;
	status_message(u,
	               u->tag_prefix ? "Next action applies to the selected entries (tag-prefix)." : "tag-prefix off.");
}

static void op_next_account(struct ui *u, struct view *v)
{
	(void)v;
	size_t n = conf_account_count(u->conf);
	if (n < 2) {
		status_error(u, "There is only one account.");
		return;
	}
	sidebar_switch_account(u, (u->account + 1) % (long)n);
	status_message(u, "Account %s.", conf_account_name(u->conf, (size_t)u->account));
}

static void op_change_folder(struct ui *u, struct view *v)
{
	(void)v;
	char *f = prompt_line(u, "Open folder: ", "", HIST_FOLDER, COMPLETE_FOLDER);
	if (f && *f) {
		char *q = sidebar_folder_query(u, f);
		if (q)
			ui_open_query(u, sidebar_folder_name(f), q);
		else
			status_error(u, "No folder named '%s'.", f);
		free(q);
	}
	free(f);
}

static void op_vfolder(struct ui *u, struct view *v)
{
	(void)v;
	if (!u->mv) {
		status_error(u, "%s", u->store_problem ? u->store_problem : "No mail store.");
		return;
	}
	char *typed = prompt_line(u, "Query (pattern or notmuch syntax): ", "", HIST_QUERY, COMPLETE_QUERY);
	char *q = typed && *typed ? ui_pattern_query(u, typed) : NULL;
	if (q) {
		char *title = xasprintf("search: %s", typed);
		ui_open_query(u, title, q);
		free(title);
	}
	free(q);
	free(typed);
}

static void op_sidebar_toggle(struct ui *u, struct view *v)
{
	(void)v;
	bool on = conf_bool(u->conf, -1, OPT_ID_sidebar_visible);
	char *err = NULL;
	conf_set(u->conf, -1, "sidebar_visible", on ? "no" : "yes", &err);
	free(err);
	sidebar_save_visible(u, !on);
}

static void op_sidebar_next(struct ui *u, struct view *v)
{
	(void)v;
	sidebar_move(u, u->sb, 1);
}

static void op_sidebar_prev(struct ui *u, struct view *v)
{
	(void)v;
	sidebar_move(u, u->sb, -1);
}

static void op_sidebar_open(struct ui *u, struct view *v)
{
	(void)v;
	sidebar_open(u, u->sb);
}

static void op_view_outbox(struct ui *u, struct view *v)
{
	(void)v;
	if (u->account < 0)
		status_error(u, "No account is configured.");
	else
		ui_push(u, u->views->outbox(u));
}

static void op_sync(struct ui *u, struct view *v)
{
	(void)v;
	sync_glue_sync_now(u);
}

const struct op global_ops[] = {
	{ "quit", op_quit },
	{ "add-account", op_add_account },
	{ "exit", op_exit },
	{ "help", op_help },
	{ "redraw-screen", op_redraw },
	{ "noop", op_noop },
	{ "what-key", op_what_key },
	{ "enter-command", op_enter_command },
	{ "shell-escape", op_shell_escape },
	{ "tag-prefix", op_tag_prefix },
	{ "next-account", op_next_account },
	{ "change-folder", op_change_folder },
	{ "vfolder-from-query", op_vfolder },
	{ "sidebar-toggle-visible", op_sidebar_toggle },
	{ "sidebar-next", op_sidebar_next },
	{ "sidebar-prev", op_sidebar_prev },
	{ "sidebar-open", op_sidebar_open },
	{ "sync-mailbox", op_sync },
	{ "view-outbox", op_view_outbox },
	{ NULL, NULL },
};
