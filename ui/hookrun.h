/* hookrun.h - running mutt's hooks (src/hooks.h, filled by the rc) at the
 * reader's points: each matching hook's command goes back through the rc
 * parser for the current account, in the order the rc defined them (mutt's
 * `push KEYS` and `exec FUNCTION...` are queued as keys); a failing
 * command is shown on the message line, and the keymap, colours and mouse
 * are read again after folder-, account- and startup-hooks ran. */
#ifndef MUTTLIKE_UI_HOOKRUN_H
#define MUTTLIKE_UI_HOOKRUN_H

#include <stdbool.h>
#include <stddef.h>

#include "hooks.h"

struct ui;

/* folder-hook / account-hook (name: the folder or the account),
 * startup-hook and shutdown-hook (name NULL).  Returns how many ran. */
size_t hookrun_named(struct ui *u, enum hook_type t, const char *name);
/* folder-hook for the folder titled title (struct ui's folder_opening). */
void hookrun_folder(struct ui *u, const char *title);
/* send-hook, reply-hook, message-hook on a message's headers; msgid (may
 * be NULL) lets message-hook ask the store about letters the header
 * matcher does not know. */
size_t hookrun_msg(struct ui *u, enum hook_type t, const struct hook_msg *m, const char *msgid);
/* The same for the message in file (reply-hook, message-hook). */
size_t hookrun_file(struct ui *u, enum hook_type t, const char *file, const char *msgid);

/* new-mail-hook: the reader's own view of new mail.  The check goes as a
 * ui_source's store_changed (data: from hookrun_mail_new); when an
 * account's INBOX holds unread messages not seen there before in this
 * session (a message moved out and back is not new), its new-mail-hooks
 * run on a worker with MUTTLIKE_ACCOUNT, MUTTLIKE_FOLDER and MUTTLIKE_NEW
 * (how many) in the environment.  Nothing is looked at while no
 * new-mail-hook is defined. */
struct hookrun_mail;
struct hookrun_mail *hookrun_mail_new(void);
void hookrun_mail_free(struct hookrun_mail **m);
void hookrun_mail_check(struct ui *u, void *data);

#endif
