/* repair.h - offline repairs of the mirror: rebuilding the index from the
 * Maildirs (`muttlike reindex`) and checking Maildir <-> state <-> index
 * (`muttlike doctor`).  No network: what only the server can give back is
 * named, with the command that does it (`muttlike sync --verify`).
 *
 * Both work on data_dir/mail (the Maildirs and the one notmuch database
 * of all accounts) and data_dir/state, through the store writer (store.h),
 * so that a file indexed here gets the same tags as a synced one
 * (flags -> tags, account:<name>, the keywords the state records).
 */
#ifndef MUTTLIKE_REPAIR_H
#define MUTTLIKE_REPAIR_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

/* Called now and then with files queued so far and the total. */
typedef void (*repair_progress_fn)(size_t done, size_t total, void *ud);

struct repair_reindex_result {
	bool rebuilt;          /* the database was built anew (else one account re-indexed in place) */
	bool was_readable;     /* the old index could be read (its tags were dumped first) */
	size_t folders, files; /* Maildirs and message files indexed */
	size_t failed;         /* files the store could not index (logged) */
	bool dump_found;       /* a tag dump was restored */
	size_t tags_restored;  /* messages that got their tags from the dump */
	size_t tags_missing;   /* dump lines for messages no Maildir has */
	char *aside;           /* owned: where the old database went, or NULL */
};

/* Rebuild the index.  account < 0: move the database aside
 * (mail/.notmuch.broken-<time>, or .old-<time> when it was readable; kept
 * for the user to delete), index every Maildir of every account
 * directory, restore the tag dump (taken fresh from the old index when it
 * can still be read).  account >= 0 and the index readable: index that
 * account's files again in place (tags kept, files the index lacks added,
 * entries whose file is gone dropped); unreadable: as account < 0.
 * 0 on success; -1 with *err (caller frees) when it could not start or
 * the new index could not be committed (r says how far it got). */
int repair_reindex(const conf_t *c, long account, repair_progress_fn progress, void *ud,
		   struct repair_reindex_result *r, char **err);
void repair_reindex_result_clear(struct repair_reindex_result *r);

enum repair_kind {
	REPAIR_NOT_IN_STATE,    /* a file whose UID the state does not know: the next sync adopts it */
	REPAIR_FILE_GONE,       /* a state UID without a file: sync --verify fetches it again */
	REPAIR_DEAD_ENTRY,      /* an index entry whose file is gone: dropped */
	REPAIR_UNINDEXED,       /* a file the index lacks: indexed */
	REPAIR_STALE_TMP,       /* an unfinished file in tmp/: removed */
	REPAIR_DUPLICATE_UID,   /* two files with one UID in a folder: left for the user */
	REPAIR_INDEX_UNREADABLE,/* the index cannot be read: muttlike reindex */
	REPAIR_RECOVERED,       /* the last writer died; opening the index reconciled it */
};

struct repair_finding {
	enum repair_kind kind;
	const char *account; /* the rc's name */
	const char *folder;  /* "<account dir>/<folder relpath>", or NULL */
	const char *what;    /* a file name ("cur/...", "tmp/..."), or NULL */
	unsigned long uid;
	bool repaired;
};
typedef void (*repair_finding_fn)(const struct repair_finding *f, void *ud);

struct repair_doctor_result {
	size_t accounts, folders, files;
	size_t found, repaired;
	size_t repair_failed; /* repairs the store could not apply (logged) */
};

/* Check account (< 0: every account of the rc) offline, repair what is
 * local and safe, report each finding through fn.  0 when the check
 * could run; -1 with *err (caller frees) when the index could not be
 * opened for writing at all (another writer holds it). */
int repair_doctor(const conf_t *c, long account, repair_finding_fn fn, void *ud, struct repair_doctor_result *r,
		  char **err);

#endif
