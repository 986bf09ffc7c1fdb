/* store.h - the single writer of the notmuch database.
 *
 * notmuch allows one writer at a time, so one thread owns the read-write
 * handle and everything that changes the index goes through its queue:
 * account workers drop a file into a Maildir, then queue "add this file";
 * the writer applies queued operations in batches, each batch inside one
 * notmuch atomic section, while the workers go on fetching.  The queue is
 * bounded, so a fast network cannot pile up memory ahead of the indexer.
 *
 * Database: data_dir/mail/.notmuch, mail root data_dir/mail, no notmuch
 * config file (muttlike never reads or writes ~/.notmuch-config).
 *
 * Tags written by the store (the scheme later issues rely on):
 *   account:<name>     every message of that account (local-only)
 *   unread flagged replied draft passed   from the Maildir flags, as
 *                      notmuch's own maildir synchronisation does
 *   deleted            the file has the T flag (\Deleted on the server)
 *   IMAP keywords      as tags of the same name (keywords are case-
 *                      insensitive on IMAP; tags keep the server's spelling)
 *   oversized          (local-only) the file is over the MIME caps
 *                      (mime_scan_file()): indexed by its headers only,
 *                      so words of its body do not find it
 * Queries by place: folder:<account>/<folder relpath> (or path: with a trailing double star).
 *
 * Crash safety: notmuch commits lazily, so a crash can lose the index's
 * last changes while the Maildir has them.  The store keeps a marker file
 * (state_dir/store.dirty) while the database is open for writing; finding
 * it at open means the last writer died, and store_open() reconciles the
 * index with the Maildirs (adds missing files, drops vanished ones).
 *
 * Tag dump: everything but the tags can be rebuilt from the Maildirs and
 * the sync states; the tags that cannot (the reader's, `notmuch tag`'s)
 * are kept in state_dir/tags.dump, in notmuch's own dump format
 * (tagdump.h), rewritten atomically after each committed batch that
 * changed such tags (store_tag, store_retag, a restore), and after the
 * first batch of a run when someone else wrote the index since the dump
 * was current (state_dir/tags.dump.stamp holds the index stamp, see
 * store_index_stamp, as of the last clean close with the dump current).
 * `muttlike reindex` rebuilds the index and restores it
 * (store_restore_tags).
 */
#ifndef MUTTLIKE_STORE_H
#define MUTTLIKE_STORE_H

#include <stdbool.h>
#include <stddef.h>

struct tagdump_restored;

enum store_status {
	STORE_OK = 0,
	STORE_ERR_DB,   /* notmuch refused (locked by another writer, corrupt ...) */
	STORE_ERR_IO,
};

typedef struct store store_t;

#define STORE_TAG_OVERSIZED "oversized"

/* Process-wide setup (Xapian's flush threshold in the environment); call
 * before starting threads.  store_open() calls it too. */
void store_global_init(void);

/* Called on the writer thread after each committed batch (store changed). */
typedef void (*store_changed_fn)(void *ud);

/* Open (creating if needed) the database under mail_root and start the
 * writer thread.  On error *err gets one line (caller frees). */
enum store_status store_open(const char *mail_root, const char *state_dir, store_t **out, char **err);
/* Flush, close the database (committing it), stop the thread, clear the
 * dirty marker.  NULL-safe. */
/* -1 when the index could not be committed, or a Xapian error made the
 * writer close and reopen it during the run (the Maildirs hold every
 * message; the next open reconciles): the caller says so and fails. */
int store_close(store_t **s);

void store_set_changed(store_t *s, store_changed_fn fn, void *ud);
/* crypt_index_decrypted: index encrypted mail with notmuch's decryption
 * policy (NOTMUCH_DECRYPT_TRUE: notmuch decrypts in memory through GnuPG,
 * indexes the text and keeps the session key in the database); off:
 * notmuch's defaults.  Any thread, any time: the next index operation
 * uses it. */
void store_set_index_decrypt(store_t *s, bool on);

/* Queue operations.  Paths are relative to mail_root
 * ("<account>/<folder>/cur/<file>").  keywords: space-separated or NULL.
 * These block only while the queue is full. */
void store_add(store_t *s, const char *path, const char *account, const char *keywords);
/* The file was renamed (flags changed): index the new name, drop the old
 * one, and make the tags follow the new name's flags. */
void store_rename(store_t *s, const char *old_path, const char *new_path, const char *account,
		  const char *keywords);
void store_remove(store_t *s, const char *path);
/* The file at path must carry these Maildir flags (MAILDIR_F_*): the
 * writer sets the tags and lets notmuch rename the file (every file of
 * that message, as notmuch's flag synchronisation does), without reading
 * the message again.  The rename happens on the writer thread: call
 * store_flush() before relying on the new name being on disk. */
void store_set_flags(store_t *s, const char *path, unsigned flags, const char *account,
		     const char *keywords);
/* Forget the files of one folder ("<account>/<folder relpath>") that are
 * gone from disk: the sync calls it when another tool renamed or deleted
 * files without telling notmuch.  (store_add of a renamed file also drops
 * the message's vanished names.) */
void store_prune(store_t *s, const char *folder);

/* The reader's action API for tags: change the tags of one message
 * ("+flagged -unread +work"; Message-ID without <>), and make its file
 * names follow (unread/flagged/replied/draft/passed, and deleted = T), so
 * that the next sync pushes the change to the server.  Tags that are
 * neither flags nor keywords stay local. */
void store_tag(store_t *s, const char *message_id, const char *changes);

/* Change the tags of the message whose file is path ("<account>/<folder>/cur/<file>"):
 * changes is "+tag -tag ...".  Unlike store_tag() the file names are not
 * touched: the sync uses it for IMAP keywords, which are not Maildir flags. */
void store_retag(store_t *s, const char *path, const char *changes);

/* The file at path was replaced in place (a stub by the full message):
 * index its content again, keeping the message's tags. */
void store_reindex(store_t *s, const char *path);

/* Index the file at path again (as store_reindex), or, when the index
 * does not know it, add it as store_add(path, account, keywords) would. */
void store_reindex_file(store_t *s, const char *path, const char *account, const char *keywords);

/* Give the messages of a tag dump (tagdump.h) the dump's tags, except
 * those that come from the files: the flag tags (unread flagged replied
 * draft passed deleted), account:<name>, and notmuch's attachment,
 * signed, encrypted.  Waits for the queue (and takes store_flush()'s
 * failure count).  0, or -1 when the dump could not be read or applied. */
int store_restore_tags(store_t *s, const char *dump, struct tagdump_restored *out);

/* state_dir/tags.dump (lent). */
const char *store_dump_path(const store_t *s);

/* The tags of the files of one folder, as the writer's own handle sees
 * them (notmuch commits lazily, so a second read-only handle could miss
 * this process's latest changes and mistake them for removals). */
struct store_tagged {
	char *path; /* owned: relative to mail_root */
	char *tags; /* owned: space-separated, sorted by notmuch */
};
/* Waits for the queue to drain.  0, or -1 when the database cannot be
 * read (then nothing is known about local tags). */
int store_folder_tags(store_t *s, const char *folder, struct store_tagged **out, size_t *n);
void store_tagged_free(struct store_tagged **v, size_t n);

/* Cheap "did tags change?" tests, so that a no-op pass need not open the
 * database.  The generation counts store_tag() calls in this process, on
 * any store (the reader's tag changes, maybe not committed to disk yet); the stamp identifies
 * the last commit of the database by anyone (Xapian's glass backend
 * rewrites xapian/iamglass on every commit): "" when unknown, then the
 * caller must look at the tags.  out needs 96 bytes. */
unsigned long store_tag_generation(const store_t *s);
void store_index_stamp(const store_t *s, char out[96]);

/* True when this store found the crash marker of a writer that died and
 * reconciled the index: tags written before the crash may be missing, so
 * the sync must not read a missing keyword tag as "removed locally". */
bool store_recovered(const store_t *s);

/* Make what was queued so far visible to other handles (the reader's,
 * `muttlike search`) once it is applied: notmuch commits only on close
 * otherwise.  Costs a commit (a few fsyncs); the sync asks for it while a
 * long first download runs (doc/sync.md, "A new account"). */
void store_commit(store_t *s);

/* Put the dirty marker on disk now (once a run), before a change the
 * index must follow becomes durable elsewhere: the caller (the sync,
 * before it moves fetched files into cur/ and its state claims them)
 * must not make the change when this fails, for without the marker a
 * failed index write would never be repaired (the next open reconciles
 * the index with the Maildirs only when it finds the marker).  The writer
 * thread writes it too, lazily, on its first open.  0, or -1 with errno. */
int store_mark_dirty(store_t *s);

/* Wait until every queued operation is applied.  Returns the number of
 * operations that failed since the last call (each was logged). */
size_t store_flush(store_t *s);

/* Number of files added since open (for summaries). */
size_t store_added(const store_t *s);

#endif
