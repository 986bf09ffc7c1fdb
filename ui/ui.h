/* ui.h - the curses front end. */
#ifndef MUTTLIKE_UI_H
#define MUTTLIKE_UI_H

#include <stdbool.h>

#include "conf.h"

/* Run the reader until the user quits; returns the exit status.
 * *want_setup (may be NULL) is set when the user left to add an account
 * (add-account): the caller runs the wizard and then the reader again. */
int ui_run(conf_t *c, const char *account, bool *want_setup);

#endif
