/* journal.h - local changes waiting to reach the server, on disk.
 *
 * Flag and tag changes need no journal: they live in the Maildir file names
 * and notmuch tags, and the sync finds them by comparing with the last
 * synced state.  What a comparison cannot tell apart is recorded here:
 * a move (which would otherwise look like "deleted in A, new in B" and go
 * through the delete policy and a re-upload) and an explicit "expunge this
 * for good" (which overrides delete_policy = trash).
 *
 * The reader applies the change locally first (moves the file, dropping
 * its ",U=" in the destination), then calls journal_add(); the account
 * worker replays pending entries on its next sync and marks them done.
 *
 * One file per account, data_dir/state/<account>/journal: one line per
 * record, appended with O_APPEND under flock() and fsynced before
 * journal_add() returns, so several processes (the reader and a
 * `muttlike sync`) may add at once and a crash loses nothing acknowledged.
 * A torn last line (crash mid-write) is ignored on load.
 */
#ifndef MUTTLIKE_JOURNAL_H
#define MUTTLIKE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

enum journal_status {
	JOURNAL_OK = 0,
	JOURNAL_ERR_IO, /* errno set */
};

enum journal_op {
	JOURNAL_MOVE = 1, /* folder/uid was moved locally to dest (file dest_file) */
	JOURNAL_EXPUNGE,  /* folder/uid was deleted locally and must be expunged, not trashed */
};

/* Folders are the local relative paths (maildir_folder_relpath), as the
 * reader knows them; the sync maps them to server names. */
struct journal_entry {
	uint64_t seq;       /* assigned by journal_add */
	enum journal_op op;
	char *folder;       /* owned */
	uint32_t uid;
	char *dest;         /* owned; MOVE only */
	char *dest_file;    /* owned; MOVE only: "cur/<name>" inside dest */
};

typedef struct journal journal_t;

enum journal_status journal_open(const char *path, journal_t **out);
void journal_free(journal_t **j);

/* Append an entry (e->seq is set).  Durable when this returns JOURNAL_OK. */
enum journal_status journal_add(journal_t *j, struct journal_entry *e);
/* Mark seq as replayed. */
enum journal_status journal_done(journal_t *j, uint64_t seq);

/* Re-read the file and return the entries not yet done, oldest first
 * (*out owned by the caller: journal_entries_free). */
enum journal_status journal_pending(journal_t *j, struct journal_entry **out, size_t *n);
void journal_entries_free(struct journal_entry **v, size_t n);

/* Rewrite the file without done entries (atomically).  Call when no
 * other process can be adding (the sync does it after replaying). */
enum journal_status journal_compact(journal_t *j);

#endif
