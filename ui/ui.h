/* ui.h - the reader's main loop (ui.c): the view stack, reading keys
 * while polling the descriptors modules register, key → function
 * dispatch, external commands. */
#ifndef MUTTLIKE_UI_UI_H
#define MUTTLIKE_UI_UI_H

#include <stdbool.h>

#include "uistate.h"
#include "util.h"
#include "view.h"

void ui_push(struct ui *u, struct view *v);
void ui_pop(struct ui *u);
/* Register what a module needs from the loop (struct ui_source in
 * uistate.h; copied), and take it out again by its data (not NULL). */
void ui_add_source(struct ui *u, const struct ui_source *s);
void ui_remove_source(struct ui *u, const void *data);
/* Read a key (waiting for input or events, doing background work
 * meanwhile); timeout_ms < 0 waits for ever, else ERR on timeout. */
int ui_getkey(struct ui *u, int timeout_ms);
/* Draw everything now (prompts call it before waiting). */
void ui_draw(struct ui *u);
/* Content area: rows [1, LINES-2) */
int ui_top_row(void);
int ui_content_rows(void);
/* Ask a yes/no question; dflt when the user just presses Enter. */
bool ui_yesno(struct ui *u, const char *question, bool dflt);
/* Run a bindable function on the top view (`:exec`, key dispatch). */
void ui_run_function(struct ui *u, const char *fn);
/* Queue keys in macro syntax ("<limit>~N<Enter>") before anything pending
 * (`:push`, macros). */
void ui_push_keys(struct ui *u, const char *keys);
/* Run a command with the terminal given back to it (shell escape,
 * mailcap, pipe); waits for a key afterwards when wait_key. */
int ui_run_external(struct ui *u, char *const argv[], int stdin_fd, bool wait_key);
/* Open the current account's folder / a query as the index (replacing
 * every view). */
void ui_open_query(struct ui *u, const char *title, const char *query);
/* Rebuild keymap and theme after :set/:source/:bind. */
void ui_reload_config(struct ui *u);
/* Current time in milliseconds (monotonic). */
long ui_now_ms(void);
/* Open the store (mailview) at u->mail_dir, or say why not in
 * u->store_problem. */
void ui_open_store(struct ui *u);
/* Read keys and run what they are bound to until the user quits. */
void ui_loop(struct ui *u);
/* Called when the store changed: reopen and refresh every view. */
void ui_store_changed(struct ui *u);
/* The outbox changed: tell the views that show it. */
void ui_outbox_changed(struct ui *u);
/* Join a view's own ops and the shared action ops into all[cap] once
 * (own first, so a view's op wins); returns all. */
const struct op *ui_join_ops(struct op *all, size_t cap, const struct op *own, const struct op *more);
/* Free n strings and the array. */
void ui_free_strv(char **v, size_t n);
/* The Maildir file of the view's current message (its first target; a
 * pending tag-prefix is used up), or NULL with the reason shown. */
char *ui_current_message_file(struct ui *u, struct view *v);

#endif
