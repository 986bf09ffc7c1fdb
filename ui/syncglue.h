/* syncglue.h - the reader's side of the sync engine: start the account
 * workers, poll their event pipe together with the terminal, show their
 * state in the status line, and hand them the user's actions.
 *
 * This is the only UI file that knows the account manager's API
 * (src/account.h).  sync_glue_start registers its event pipe, its
 * questions and its part of the status line with the main loop
 * (ui_add_source). */
#ifndef MUTTLIKE_SYNCGLUE_H
#define MUTTLIKE_SYNCGLUE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct ui;

void sync_glue_start(struct ui *u);
/* Wake a thread waiting for a decision (the sender waits for a password
 * from the manager): first at exit, so the sender can be stopped before
 * sync_glue_stop frees the manager. */
void sync_glue_stop_asking(struct ui *u);
void sync_glue_stop(struct ui *u);
/* Ask for a sync of the current account now. */
void sync_glue_sync_now(struct ui *u);

/* Actions on messages (by Message-ID); applied locally at once and queued
 * for the server.  false with *err (caller frees) when they cannot be. */
enum sync_action { SA_TAGS, SA_MOVE, SA_COPY, SA_DELETE, SA_ARCHIVE, SA_JUNK /* to the \\Junk role folder, undoable */ };
struct sync_req {
	enum sync_action action;
	const char *const *ids; /* Message-IDs */
	size_t nids;
	const char *tags;       /* SA_TAGS: "+flagged -unread" */
	const char *folder;     /* SA_MOVE/SA_COPY: "Folder" of the current account */
};
bool sync_glue_apply(struct ui *u, const struct sync_req *req, char **err);
/* Remove a message file for good (a recalled draft once its text is safe
 * elsewhere): locally at once, on the server at the next pass (expunged,
 * not moved to the Trash).  false with *err (caller frees). */
bool sync_glue_expunge_file(struct ui *u, const char *path, char **err);
/* Delete the message file at path as delete-message does (per
 * delete_policy, to the Trash), replacing what undelete-message puts
 * back.  false with *err (caller frees). */
bool sync_glue_delete_file(struct ui *u, const char *path, char **err);
/* Index a message file just written into a folder of an account (a
 * postponed draft), at once, online or not.  false with *err. */
bool sync_glue_index_file(struct ui *u, const char *path, char **err);
/* Is there an engine to apply actions at all? */
bool sync_glue_available(struct ui *u);

/* The sender's source of decisions for an account, made on the UI
 * thread (NULL without an account manager); sync_glue_smtp_ask is an
 * smtp_ask_secret_fn and sync_glue_smtp_cert an smtp_ask_cert_fn for the
 * sender's thread (both ask through the account manager's questions and
 * wait).  Valid until sync_glue_stop, which stops the sender first. */
struct sync_secret_src;
struct tls_cert_info;
struct sync_secret_src *sync_glue_secret_src(struct ui *u, long account, const char *smtp_user);
char *sync_glue_smtp_ask(void *src, const char *prompt);
bool sync_glue_smtp_cert(void *src, const struct tls_cert_info *ci);
/* The server refused the password the sender was given. */
void sync_glue_smtp_refused(struct sync_secret_src *src);
/* The user sends now: a declined SMTP password may be asked again. */
void sync_glue_smtp_ask_again(struct ui *u, long account);
void sync_glue_secret_src_free(struct sync_secret_src **src);

#endif
