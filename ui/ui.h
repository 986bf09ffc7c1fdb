/* ui.h - the curses front end. */
#ifndef MUTTLIKE_UI_H
#define MUTTLIKE_UI_H

#include "conf.h"

/* Run the reader until the user quits; returns the exit status. */
int ui_run(conf_t *c, const char *account);

#endif
