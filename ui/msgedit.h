/* msgedit.h - edit-message in the index and the pager, as mutt does it:
 * the raw message (LF line ends) in a file of a private temporary
 * directory (0700, the file 0600, both removed afterwards), `editor` on
 * it, and when the file changed the result stored as a new message in the
 * same folder (same flags, LF line ends as the sync stores mail; the next
 * pass uploads it) and the old one
 * deleted per delete_policy (to the Trash, u undoes it).  An unchanged or
 * emptied file, or a failed editor, changes nothing.  The store knows a
 * message by its Message-ID, so an edited text that kept the old one gets
 * a new one (In-Reply-To and References stay: it keeps its place in the
 * thread); a Message-ID the user changed is kept. */
#ifndef MUTTLIKE_UI_MSGEDIT_H
#define MUTTLIKE_UI_MSGEDIT_H

#include <stdbool.h>

struct ui;

/* Edit the message with Message-ID id.  true when the old one was
 * deleted (undelete-message may bring it back); the outcome is on the
 * message line. */
bool msgedit_edit(struct ui *u, const char *id);

#endif
