/* prompt.h - the line editor on the bottom row (history per prompt kind,
 * completion), the masked password prompt and the choice dialog. */
#ifndef MUTTLIKE_UI_PROMPT_H
#define MUTTLIKE_UI_PROMPT_H

#include "uistate.h"

/* Read a line; NULL when cancelled (Esc, ^G).  New string. */
char *prompt_line(struct ui *u, const char *prompt, const char *initial, enum hist_kind hist,
		  enum complete_kind complete);
void prompt_history_add(struct ui *u, enum hist_kind hist, const char *line);
/* Read a secret, echoing '*' (no history, no completion); NULL when
 * cancelled.  The caller frees the result with secret_free. */
char *prompt_secret(struct ui *u, const char *prompt);
/* Show lines (n may be 0) in a box over the content and question on the
 * prompt row; returns the key typed (lower case) that is in keys, or
 * dflt for Escape, ^G and Enter. */
int prompt_choice(struct ui *u, const char *const *lines, size_t n, const char *question, const char *keys,
		  int dflt);
/* The same box while something happens elsewhere: poll(ud, &lines, &n)
 * runs every 200 ms and may change what is shown; true from it ends the
 * wait (returns true), Escape or ^G stops waiting (returns false). */
bool prompt_wait(struct ui *u, const char *question, bool (*poll)(void *ud, const char *const **lines, size_t *n),
		void *ud);

#endif
