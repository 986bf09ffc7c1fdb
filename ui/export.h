/* export.h - messages handed on outside the mirror: saved to an mbox or
 * Maildir (save-message / copy-message to a path, decode-save), piped
 * (pipe-message, pipe_split) and printed (print-message, print_command).
 * Everything written or piped has LF line ends (src/mbox.h). */
#ifndef MUTTLIKE_UI_EXPORT_H
#define MUTTLIKE_UI_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

struct ui;
struct view;

/* Is what the user typed at a save prompt a path outside the mirror
 * (starts with '/', '~', './' or '../') rather than a folder name? */
bool export_is_path(const char *typed);
/* Save the messages (ids, n) to path as they are (decode: as the pager
 * shows them, one text/plain part each).  The result goes to the message line. */
void export_save(struct ui *u, char **ids, size_t n, const char *path, bool decode);
/* export-thread: every message of the current message's thread, oldest
 * first, saved as save-message saves (mboxrd, or a Maildir for a
 * directory). */
void export_op_thread(struct ui *u, struct view *v);
/* decode-save, pipe-message and print-message on the view's targets. */
void export_op_decode_save(struct ui *u, struct view *v);
void export_op_pipe(struct ui *u, struct view *v);
void export_op_print(struct ui *u, struct view *v);

#endif
