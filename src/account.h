/* account.h - the reader's account manager: one worker thread per account
 * running the sync engine (sync.h), one store writer (store.h) shared by
 * the workers and the reader's actions, and the local half of every action
 * (tags through store_tag, moves through the Maildir + journal.h).
 *
 * The workers sync at start, on account_mgr_sync_now(), every
 * sync_interval seconds, and about a second after a local change (so a
 * burst of keys costs one pass).  What happens on a worker is kept in a
 * per-account status under a mutex and announced by writing one byte to
 * notify_fd; the UI thread then reads account_mgr_status() /
 * account_mgr_take_news().  No curses here.
 *
 * The store writer is opened only while a pass or an action needs it, as
 * `muttlike sync` does, so `notmuch tag` or a headless sync may write in
 * between. */
#ifndef MUTTLIKE_ACCOUNT_H
#define MUTTLIKE_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct account_mgr;

struct account_mgr *account_mgr_new(const conf_t *conf, int notify_fd);
/* Start one worker per account; each syncs at once. */
void account_mgr_start(struct account_mgr *m);
/* Cancel the passes, wait for the workers (the journal keeps what they
 * did not push), free everything.  NULL-safe. */
void account_mgr_free(struct account_mgr **m);

/* Sync account (-1: all) now / about a second from now. */
void account_mgr_sync_now(struct account_mgr *m, long account);
void account_mgr_touch(struct account_mgr *m, long account);

struct account_status {
	bool syncing;
	bool offline;        /* the last pass could not reach the server */
	bool failed;         /* the last pass ended with another error */
	char folder[64];     /* the folder being synced (raw UTF-8: sanitize) */
	size_t done, total;  /* fetch progress in that folder */
};
void account_mgr_status(struct account_mgr *m, long account, struct account_status *out);
/* What happened since the last call: *changed when the store committed,
 * *msg (caller frees, or NULL) a warning or error to show. */
void account_mgr_take_news(struct account_mgr *m, bool *changed, char **msg);

/* The account a message file belongs to (its path under data_dir/mail), or -1. */
long account_mgr_account_of(struct account_mgr *m, const char *path);

/* Change the tags of messages ("+flagged -unread"); the file names
 * follow and the next pass pushes them.  false with *err (caller frees). */
bool account_mgr_tag(struct account_mgr *m, const char *const *ids, size_t n, const char *changes, char **err);

/* Move (or copy) the message file at path to the folder dest_rel (local
 * relative path, "Archive") of its account.  For a move, *undo (when not
 * NULL) gets what account_mgr_undo needs to put it back. */
struct account_undo;
bool account_mgr_move(struct account_mgr *m, const char *path, const char *dest_rel, bool copy,
		      struct account_undo **undo, char **err);
/* Delete per delete_policy: to the Trash folder (trash, or "Trash"), or
 * out of the Maildir (delete_policy = expunge, or a message in the Trash
 * already: the next pass removes it on the server for good, no undo). */
bool account_mgr_delete(struct account_mgr *m, const char *path, struct account_undo **undo, char **err);
/* Put a deleted or moved message back where it was.  Frees *u. */
bool account_mgr_undo(struct account_mgr *m, struct account_undo **u, char **err);
void account_undo_free(struct account_undo **u);

/* path, or the file of the same message in the same folder after a
 * rename (flags changed since the index was read); new string or NULL. */
char *account_mgr_find_file(const char *path);

/* The file in the Maildir dir (absolute) whose Message-ID is id (without
 * <>), or NULL: a message copied to several folders has one Message-ID,
 * and an action in a folder's index means the copy in that folder.  Reads
 * each file's header: for that ambiguous case only. */
char *account_mgr_file_in_dir(const char *dir, const char *id);

/* The local relative path of a folder name of account ("INBOX", "a/b"). */
char *account_mgr_folder_rel(struct account_mgr *m, long account, const char *name);

#endif
