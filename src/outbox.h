/* outbox.h - messages on their way out, kept on disk until they are gone.
 *
 * Nothing written is ever lost.  A message is written to the outbox
 * (data_dir/state/<account>/outbox) atomically before any attempt to send
 * it, and leaves it only after the server took it AND its copy is in the
 * local Sent Maildir.  A failed send keeps the message with the reason and
 * the attempt count; a crash leaves it queued.  The editor's file lives in
 * outbox/edit/ (not /tmp), so an aborted or crashed edit leaves the text.
 *
 * Per message ID (time.pid.random):
 *   ID.eml   the bytes SMTP sends (no Bcc), CRLF
 *   ID.copy  the copy for Sent (with Bcc), when it differs
 *   ID.env   envelope and state, written last: an entry exists from then on;
 *            also the entry's Fcc ("fcc FOLDER", or "nofcc yes" for no
 *            copy), so the folder is committed with the entry; an entry
 *            without either (older versions) files its copy in record
 *   ID.sent  the server accepted it: never send again, only finish the
 *            Sent copy and \Answered (a crash between SMTP's 250 and this
 *            file can still send twice; that window is one rename wide)
 *   ID.held  instead of ID.env: taken out of the queue while the user
 *            edits it (outbox_hold); never sent until released
 *
 * Whoever sends or changes an entry holds flock(LOCK_EX) on its ID.eml
 * (written once, never replaced), so a send in progress is never deleted
 * or edited under the sender, and two readers never send one message
 * twice.  A crash drops the lock with the process.
 *
 * The Sent copy and postponed drafts are delivered into the account's local
 * Maildir (record / postponed, default "Sent" / "Drafts") without a UID,
 * which the sync uploads with APPEND and the store indexes; \Answered is the
 * Maildir R flag on the replied-to file, which the sync pushes as a flag
 * change.  So the UI never waits on the network for either.
 */
#ifndef MUTTLIKE_OUTBOX_H
#define MUTTLIKE_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "smtp.h"

enum outbox_status {
	OUTBOX_OK = 0,
	OUTBOX_ERR_IO,        /* errno is set; *err says which file */
	OUTBOX_ERR_NOT_FOUND,
	OUTBOX_ERR_BUSY,      /* it is being sent right now */
};

struct outbox_entry {
	char *id;       /* owned */
	char *from;     /* owned: envelope sender */
	char **rcpts;   /* owned, NULL-terminated */
	char *answered; /* owned: the replied-to Maildir file, or NULL */
	char *error;    /* owned: why the last attempt failed, or NULL */
	char *fcc;      /* owned: the folder for the sent copy ("" none), or NULL: the account's record */
	int attempts;
	time_t created;
	bool sent;      /* accepted by the server; Sent copy still to do */
	bool held;      /* taken out of the queue for editing (ID.held) */
	size_t size;
};
void outbox_entries_free(struct outbox_entry **v, size_t n);

typedef struct outbox outbox_t;

/* data_dir/state/<account>/outbox (created 0700).  NULL with *err. */
outbox_t *outbox_open(const char *data_dir, const char *account, char **err);
void outbox_free(outbox_t **o);
const char *outbox_dir(const outbox_t *o);

/* Queue a message: copy (NULL: msg) is what goes to Sent.  fcc is the
 * folder for that copy: NULL the account's record (outbox_after.sent_dir),
 * "" no copy at all, else a folder name (refused with *err when it holds a
 * line break).  Returns the new entry's id, or NULL with *err (nothing
 * half-written stays behind). */
char *outbox_add(outbox_t *o, const char *msg, size_t len, const char *copy, size_t copy_len, const char *from,
		 char *const *rcpts, const char *answered, const char *fcc, char **err);
/* Entries, oldest first. */
size_t outbox_list(outbox_t *o, struct outbox_entry **out);
enum outbox_status outbox_read(outbox_t *o, const char *id, char **msg, size_t *len);
/* Record a failed attempt (reason cleaned to one line). */
enum outbox_status outbox_set_error(outbox_t *o, const char *id, const char *reason);
/* Drop an entry (the user deleted it, or it is done), held or not;
 * OUTBOX_ERR_BUSY while it is being sent. */
enum outbox_status outbox_remove(outbox_t *o, const char *id);
/* Take an entry out of the queue (the user edits it): the sender skips it
 * until outbox_release puts it back as it was.  OUTBOX_ERR_BUSY while it
 * is being sent. */
enum outbox_status outbox_hold(outbox_t *o, const char *id);
enum outbox_status outbox_release(outbox_t *o, const char *id);
/* Is the entry being sent right now (someone holds its lock)? */
bool outbox_busy(outbox_t *o, const char *id);
/* The file of the message as the user wrote it: the Sent copy (with Bcc)
 * when there is one, else what SMTP sends.  New path, or NULL. */
char *outbox_message_file(outbox_t *o, const char *id);

/* Where finished messages go locally. */
struct outbox_after {
	const char *sent_dir;   /* the Sent folder's Maildir directory, or NULL */
	const char *data_dir;   /* with account: where an entry's own Fcc folder is */
	const char *account;    /* (outbox_folder_dir); NULL: such copies go to sent_dir */
	/* called once for each entry the server accepted in this call, with
	 * the message as queued (for sent-hook); may be NULL */
	void (*on_sent)(void *ud, const struct outbox_entry *e, const char *msg, size_t len);
	void *ud;
};
/* Send every entry through s (smtp_deliver), oldest first.  After each
 * success: the copy into the entry's Fcc folder, else sent_dir (flag S,
 * no UID; none when the Fcc is ""), the R flag on the
 * replied-to file, then the entry is removed.  Held entries and entries
 * locked by someone else are skipped.  Returns the number sent; *failed
 * counts those kept with an error. */
size_t outbox_flush(outbox_t *o, smtp_t *s, const struct outbox_after *after, size_t *failed);

/* A new private file for the editor in outbox/edit/ (0600, created
 * exclusively) holding text.  New path, or NULL with *err. */
char *outbox_edit_file(outbox_t *o, const char *text, char **err);
/* Edit files left behind (aborted or crashed compose), newest first. */
size_t outbox_edit_leftovers(outbox_t *o, char ***paths);

/* The local Maildir of an account's folder: data_dir/mail/<account>/<folder>
 * with each part made safe as maildir.h does (folder split at '/').  New
 * string. */
char *outbox_folder_dir(const char *data_dir, const char *account, const char *folder);
/* Deliver msg into a folder Maildir as a new local message (no UID) with
 * Maildir flags ("S" for Sent, "DS" for a draft).  0, or -1 with errno. */
int outbox_deliver_local(const char *dir, const char *msg, size_t len, const char *flags, char **path_out);
/* Add the R flag (\Answered) to a Maildir file; *new_path (may be NULL)
 * gets its new name.  0, or -1 with errno (ENOENT when it moved). */
int outbox_mark_answered(const char *path, char **new_path);

#endif
