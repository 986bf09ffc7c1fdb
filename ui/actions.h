/* actions.h - the functions that change mail (through the sync engine). */
#ifndef MUTTLIKE_UI_ACTIONS_H
#define MUTTLIKE_UI_ACTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "view.h"

extern const struct op action_ops[];
/* The message was opened: mark it read (quietly; nothing when it is read). */
void action_seen(struct ui *u, const char *msgid);
/* Does the message (Message-ID) have this tag in the store? */
bool action_has_tag(struct ui *u, const char *id, const char *tag);
/* Delete these messages (asking per confirm_delete; undo-able); takes ids. */
void action_delete(struct ui *u, char **ids, size_t n);

#endif
