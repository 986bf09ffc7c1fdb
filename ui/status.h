/* status.h - what the reader says: the message line (the one every view
 * calls to say something), the top row's key hints and the status line.
 *
 * The bottom of the ui/ modules: it draws (draw.h, theme.h, keymap.h) and
 * calls nothing else.  The status line's right-hand part comes from the
 * sources registered with the main loop (ui_add_source: sync state,
 * "outbox: N"), read from struct ui. */
#ifndef MUTTLIKE_UI_STATUS_H
#define MUTTLIKE_UI_STATUS_H

#include "util.h"

struct ui;
struct view;

/* Put a message on the message line (replacing the one there); an error
 * stays until the next message, and is logged. */
void status_message(struct ui *u, const char *fmt, ...) ML_PRINTF(2, 3);
void status_error(struct ui *u, const char *fmt, ...) ML_PRINTF(2, 3);

/* The top row: the keys of v's help bar functions. */
void status_draw_helpbar(struct ui *u, struct view *v);
/* The status line (v's status and the sources' parts; none without v)
 * and the message line. */
void status_draw(struct ui *u, struct view *v);

#endif
