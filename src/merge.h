/* merge - the sync's decision for one folder, as a pure function.
 *
 * The sync collects, per UID, what each side knows (the last synced state
 * = base, the local Maildir file, the server's FLAGS), asks merge_decide()
 * what to do, and then applies the plan (sync_merge.c).  Nothing here reads a
 * file, the index or the network, so the whole decision table is tested
 * by tests/unit/test_merge.c.  The table is in doc/sync.md, "The merge":
 *
 *   local file | server | base | action
 *   yes        | yes    | any  | MERGE_FLAGS: three-way flag merge; push and/or pull
 *   yes        | no     | any  | MERGE_DELETE_LOCAL (the server expunged it)
 *   no         | yes    | yes  | MERGE_DELETE_REMOTE (deleted here), but with
 *              |        |      | repair (sync --verify): MERGE_FETCH (damage)
 *   no         | yes    | no   | MERGE_FETCH (new on the server)
 *   no         | no     | any  | MERGE_FORGET (gone on both sides)
 *
 * Deletions in one direction are held back (MERGE_HELD) when they trip the
 * delete guard: more than sync_delete_guard percent of the folder, and at
 * least 20 messages, unless the user allowed them; a server deletion of a
 * message the reader moved away, whose copy the server has not confirmed
 * (held), is held back too.  Either way it still counts for the guard.
 */
#ifndef MUTTLIKE_MERGE_H
#define MUTTLIKE_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct merge_in {
	uint32_t uid;
	bool has_base, has_local, on_server;
	unsigned base_flags, local_flags, server_flags; /* MAILDIR_F_* */
	bool held;   /* moved away here, the copy not confirmed: never deleted on the server */
	bool repair; /* sync --verify: a file the base says was mirrored is missing by damage */
};

enum merge_action {
	MERGE_FLAGS,         /* both sides have it: merged flags below */
	MERGE_DELETE_LOCAL,  /* remove the local file */
	MERGE_DELETE_REMOTE, /* delete on the server (delete_policy) */
	MERGE_FETCH,         /* download it */
	MERGE_FORGET,        /* drop it from the state */
	MERGE_HELD,          /* a deletion the guard holds back: nothing */
};

struct merge_out {
	enum merge_action action;
	unsigned merged;   /* MERGE_FLAGS: the flags both sides end with */
	unsigned push_add; /* MERGE_FLAGS: flags to set on the server */
	unsigned push_rem; /* MERGE_FLAGS: flags to clear on the server */
	bool pull;         /* MERGE_FLAGS: the local file takes merged */
	bool refetch;      /* MERGE_FETCH by repair: the base is dropped first */
};

struct merge_summary {
	size_t nlocal, ndel_local;  /* local files; of them, gone on the server */
	size_t nbase, ndel_remote;  /* state records; of them, deleted here */
	bool guard_local;           /* local deletions held back */
	bool guard_remote;          /* server deletions held back */
};

/* Per-flag three-way merge of MAILDIR_F_* sets: a side that changed a
 * flag wins; if both changed it they hold the same value. */
unsigned merge_flags(unsigned base, unsigned local, unsigned remote);

/* True when deleting ndel of ntotal messages trips the guard (percent). */
bool merge_guard_trips(size_t ndel, size_t ntotal, long percent);

/* Decide for n UIDs (in[] any order; out[i] answers in[i]).  nbase is the
 * number of state records (the guard's measure for server deletions);
 * guard_percent is sync_delete_guard; allow_deletes lifts both guards.
 * Fills *sum when not NULL. */
void merge_decide(const struct merge_in *in, size_t n, size_t nbase, long guard_percent, bool allow_deletes,
		  struct merge_out *out, struct merge_summary *sum);

/* How a folder pass learns what changed on the server, decided from the
 * folder's state and its SELECT answer (learn_changes, sync_remote.c):
 * a changed UIDVALIDITY first re-maps the folder (remap; its state then
 * has no base, so the whole list is read), and then
 *   NOOP          nothing changed: CONDSTORE, and HIGHESTMODSEQ, UIDNEXT
 *                 and the count as the state has them
 *   EMPTY         the folder is empty: every known UID is gone
 *   QRESYNC       the SELECT (QRESYNC ...) answer is the change list
 *   CHANGEDSINCE  UID FETCH (FLAGS) CHANGEDSINCE the state's HIGHESTMODSEQ
 *   ALL           UID FETCH (FLAGS) of every message */
enum merge_learn {
	MERGE_LEARN_NOOP,
	MERGE_LEARN_EMPTY,
	MERGE_LEARN_QRESYNC,
	MERGE_LEARN_CHANGEDSINCE,
	MERGE_LEARN_ALL,
};

struct merge_select {
	/* the folder's state (0: none) */
	uint32_t st_uidvalidity, st_uidnext;
	uint64_t st_modseq;
	size_t st_count;
	/* the SELECT's answer */
	uint32_t uidvalidity, uidnext, exists;
	uint64_t modseq;   /* HIGHESTMODSEQ, 0: none */
	bool condstore;    /* CONDSTORE in use */
	bool qresync;      /* the server took the SELECT's QRESYNC parameters */
};

struct merge_start {
	bool remap;               /* UIDVALIDITY changed: re-map by Message-ID first */
	enum merge_learn learn;
};

struct merge_start merge_select_plan(const struct merge_select *in);

#endif
