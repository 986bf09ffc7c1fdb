/* foldercounts.h - the server's message counts of an account's folders
 * while its first sync runs, for the reader.
 *
 * A new account's sidebar should list every folder with its counts at
 * once, long before the bodies are downloaded and indexed.  After LIST the
 * sync writes data_dir/state/<account>/folder-counts: one line per folder
 * it mirrors, "<messages> <unseen> <p|d> <relpath>" (unseen -1 when the
 * server did not say; p: the folder's first sync has not finished, d: it
 * has).  A folder's line turns to d when its pass completes; the file is
 * removed once every line is d, so it exists only while a first sync is
 * running or was cut short.  The counts are the server's at LIST time: a
 * hint for display, never a claim about the mirror (the folder state is
 * that).  Replaced atomically (util_write_file_atomic); it is written
 * only while a first sync runs (at LIST and as each folder completes).
 */
#ifndef MUTTLIKE_FOLDERCOUNTS_H
#define MUTTLIKE_FOLDERCOUNTS_H

#include <stdbool.h>
#include <stddef.h>

struct foldercount {
	char *rel;      /* owned: the Maildir path inside the account ("INBOX", "Lists/dev") */
	long messages;  /* the server's count */
	long unseen;    /* -1: unknown */
	bool pending;   /* its first sync has not finished */
};

struct foldercounts {
	struct foldercount *v; /* owned */
	size_t n;
};

/* state_dir/folder-counts (state_dir: the account's).  New string. */
char *foldercounts_path(const char *account_state_dir);
/* Read path into *fc (cleared first); false when there is no file (or it
 * cannot be read); malformed lines are skipped. */
bool foldercounts_load(const char *path, struct foldercounts *fc);
/* Replace path atomically; removes it when no folder is pending.
 * 0, or -1 with errno. */
int foldercounts_save(const char *path, const struct foldercounts *fc);
/* The entry of rel, or NULL (lent). */
struct foldercount *foldercounts_find(const struct foldercounts *fc, const char *rel);
/* Add or replace rel's entry (rel copied). */
void foldercounts_put(struct foldercounts *fc, const char *rel, long messages, long unseen, bool pending);
/* Is any folder's first sync still running? */
bool foldercounts_pending(const struct foldercounts *fc);
/* The server's messages of every folder (unknown counts as 0). */
size_t foldercounts_total(const struct foldercounts *fc);
void foldercounts_clear(struct foldercounts *fc);

#endif
