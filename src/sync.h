/* sync.h - the account worker's engine: mirror one IMAP account.
 *
 * One sync_t per account.  sync_run() does a full pass: connect and
 * log in (imap.h), replay the journal, then for every folder that LIST
 * returns and sync_folders selects:
 *   1. SELECT (with CONDSTORE when the server has it) and compare
 *      UIDVALIDITY with the folder's state (state.h); a change is re-mapped
 *      by Message-ID and size, and local messages that match nothing are
 *      kept as orphans (",U=0"), never deleted;
 *   2. learn what changed on the server: nothing (HIGHESTMODSEQ, UIDNEXT
 *      and the count unchanged), UID FETCH (FLAGS) CHANGEDSINCE, or the
 *      full UID/FLAGS list on servers without CONDSTORE;
 *   3. merge every UID three ways (local Maildir flags, server flags, last
 *      synced flags) per flag: a change on one side beats no change, and
 *      since each flag is one bit the two sides can never disagree about a
 *      flag they both changed; IMAP keywords are merged the same way
 *      against the notmuch tags of the message (doc/sync.md, Keywords);
 *   4. refuse the folder's deletions (both directions) when more than
 *      sync_delete_guard percent (and at least 20) of its messages would
 *      go, unless the folder was named in allow_deletes;
 *   5. apply: push flags (UID STORE), pull flags (rename), delete locally
 *      what the server expunged, delete on the server what was deleted
 *      locally (delete_policy: move to Trash, or \Deleted + UID EXPUNGE),
 *      upload local new messages (APPEND), fetch new messages newest first
 *      in batches (each file tmp -> fsync -> cur, then queued to the store
 *      writer, which indexes batch N while batch N+1 downloads);
 *   6. save the folder state atomically.
 * Before the folders, folders with a state here that LIST no longer shows
 * are followed: a rename (same UIDVALIDITY under a new name) moves the
 * local copy; a deleted folder's copy is kept while it holds mail and
 * removed when empty.  With sync_max_size, large messages arrive as
 * header-only stubs (sync_fetch_full() completes one).
 * Every step is idempotent against the Maildir file names, so a pass killed
 * at any point and run again converges on the same result.
 *
 * All blocking happens on the caller's thread; sync_cancel() may be called
 * from any thread.  Progress is reported through the event callback, on the
 * worker's thread.
 */
#ifndef MUTTLIKE_SYNC_H
#define MUTTLIKE_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "store.h"

enum sync_status {
	SYNC_OK = 0,
	SYNC_ERR_CONFIG,   /* the account's settings are unusable */
	SYNC_ERR_NET,      /* connect, TLS, login, server or connection failure */
	SYNC_ERR_FOLDER,   /* the pass finished but a folder stopped (guard, UIDVALIDITY, error) */
	SYNC_ERR_STORE,    /* the local store could not be written */
	SYNC_ERR_CANCELLED,
};

enum sync_event_kind {
	SYNC_EV_CONNECT,     /* connecting and logging in */
	SYNC_EV_FOLDER,      /* starting a folder */
	SYNC_EV_PROGRESS,    /* a fetch batch arrived: done/total, bytes */
	SYNC_EV_WARNING,     /* message: something the user should read (guard, orphans) */
	SYNC_EV_ERROR,       /* message: a folder or the account failed */
	SYNC_EV_DONE,        /* the pass ended (stats are final) */
	SYNC_EV_COUNTS,      /* state/<account>/folder-counts changed (foldercounts.h): a first sync */
};

struct sync_event {
	enum sync_event_kind kind;
	const char *account;
	const char *folder;   /* UTF-8 name (untrusted: sanitize before display), or NULL */
	size_t done, total;   /* messages fetched / to fetch in this folder */
	uint64_t bytes;       /* bytes fetched in this pass */
	const char *message;  /* WARNING / ERROR: one line */
};
typedef void (*sync_event_fn)(const struct sync_event *ev, void *ud);

struct sync_stats {
	size_t fetched;      /* new messages downloaded */
	size_t copied;       /* new messages taken from a local copy of the same message (no download) */
	size_t pulled;       /* local flag changes from the server */
	size_t pushed;       /* flag changes, moves, deletions and uploads sent */
	size_t deleted;      /* local files removed because the server expunged them */
	size_t folders;
	size_t folder_errors;
	uint64_t bytes;
	size_t qresync_selects; /* folders whose changes came from SELECT (QRESYNC ...) */
	size_t uid_searches;    /* UID SEARCH ALL sent to find expunged messages */
	size_t verified;        /* folders compared with the server's full UID list */
	size_t repaired_fetched;   /* --verify: messages fetched again (file gone, state said mirrored) */
	size_t repaired_indexed;   /* --verify: files the index did not know, indexed */
	size_t repaired_pruned;    /* --verify: index entries whose file was gone, dropped */
	/* The connection during the pass: bytes on the wire (compressed with
	 * COMPRESS=DEFLATE) and as IMAP text, the commands sent and the round
	 * trips they cost (imap_wire_stats: pipelined ones cost none). */
	uint64_t wire_in, wire_out, plain_in, plain_out;
	uint64_t commands, round_trips;
	bool compressed;           /* the last session was compressed */
};

struct sync_options {
	const conf_t *conf;          /* foreign */
	long account;                /* index in conf */
	store_t *store;         /* foreign: the writer for data_dir/mail */
	const char *const *allow_deletes; /* folder names (UTF-8 or local path); foreign */
	size_t n_allow;
	/* muttlike sync --verify: every folder is compared with the server's
	 * full UID list, a message whose file is gone is fetched again (not
	 * deleted on the server), and the index is repaired both ways. */
	bool verify;
	sync_event_fn event;         /* may be NULL */
	void *event_ud;
	/* The front end's password prompt (imap_set_ask_secret): called on
	 * the pass's thread when the account has no password or command.
	 * Returns a new string (wiped and freed by the core) or NULL. */
	char *(*ask_secret)(void *ud, const char *prompt);
	void *ask_ud;
};

typedef struct sync sync_t;

sync_t *sync_new(const struct sync_options *o);
void sync_free(sync_t **s);

/* The store writer to use from the next pass on (foreign). */
void sync_set_store(sync_t *s, store_t *store);

/* One full pass.  Leaves the connection open for sync_watch(). */
enum sync_status sync_run(sync_t *s);
/* A pass over just these folders (raw names; those sync_folders leaves
 * out are skipped): the ones a watch (watch.h) heard of.  No journal
 * replay and no folder list unless the session is new; what a full pass
 * does besides is left to the next full pass. */
enum sync_status sync_run_folders(sync_t *s, const char *const *raw, size_t n);
/* The raw names of the synced folders (after a pass) that match patterns
 * (imap_idle_folders; "" matches none), INBOX left out, in the pass's order; *out is a
 * new array of new strings (NULL-terminated). */
size_t sync_watch_folders(sync_t *s, const char *patterns, char ***out);
/* Does the session's server offer NOTIFY (RFC 5465)? */
bool sync_has_notify(const sync_t *s);
/* Wait for news on INBOX with IDLE (or just sleep when the server has no
 * IDLE) for at most timeout_s; true when the server reported a change. */
bool sync_watch(sync_t *s, int timeout_s);
/* End a sync_watch() at once, from any thread, without cancelling
 * anything else (a wake before the watch starts ends it at once too). */
void sync_wake(sync_t *s);
/* Log out and close the connection. */
void sync_disconnect(sync_t *s);
/* Stop a blocked pass from any thread. */
void sync_cancel(sync_t *s);

/* sync_max_size: a new message larger than it is stored as a header-only
 * stub, whose first line is "X-Muttlike-Stub: <the server's size>" (the
 * rest: the server's header and one line of explanation).  The size a
 * stub stands for, or 0 when data is not a stub. */
uint32_t sync_stub_size(const char *data, size_t len);
/* Replace the stub at path (relative to data_dir/mail, as the store names
 * files: "<account>/<folder>/cur/<file>") by the full message from the
 * server: the same file name (the current one if its flags changed),
 * written tmp -> fsync -> rename over the stub, so there is never a second
 * copy; then indexed again with its tags kept.  Connects if needed; run
 * it on the account's worker thread, between passes.  SYNC_OK also when
 * the file is no stub (nothing to do); on failure sync_error() says why
 * and the stub is left as it was. */
enum sync_status sync_fetch_full(sync_t *s, const char *path);

/* ---- decisions for the reader (the core never asks by itself) ---- */
struct tls_cert_info;
/* Trust this certificate (hex SHA-256) for every later connect of this
 * sync (accept once, for the session); NULL forgets it. */
void sync_set_accept_once(sync_t *s, const char *sha256hex);
/* Replace the allow_deletes list (copied) from the next pass on. */
void sync_set_allow_deletes(sync_t *s, const char *const *names, size_t n);
/* The certificate the last connect refused (owned by s, valid until the
 * next connect), or NULL when it did not fail on the certificate. */
const struct tls_cert_info *sync_refused_cert(const sync_t *s);
/* Did the last connect fail because the login was refused or no
 * password was given (IMAP_ERR_AUTH)? */
bool sync_auth_refused(const sync_t *s);
/* A folder whose deletions the guard stopped in the last pass. */
struct sync_guard {
	char *folder;     /* UTF-8 name as the event's folder (untrusted); owned by s */
	size_t deleted;   /* messages that would be deleted */
	size_t total;     /* of this many */
	bool local;       /* deleted locally (to push); else deleted on the server */
};
/* The guard stops of the last pass (owned by s, until the next pass). */
size_t sync_guards(const sync_t *s, const struct sync_guard **out);

const struct sync_stats *sync_get_stats(const sync_t *s);
/* The account-level error of the last pass, one line, or "". */
const char *sync_error(const sync_t *s);
const char *sync_account(const sync_t *s);

/* Helpers, public for the unit tests. */
/* Per-keyword three-way merge of space-separated keyword sets (NULL:
 * empty); keywords compare ignoring case, the server's spelling wins.
 * New string, or NULL when the result is empty. */
char *sync_merge_keywords(const char *base, const char *local, const char *remote);
/* Is this notmuch tag one that travels to the server as an IMAP keyword?
 * False for local-only tags (account:*, inbox, new, attachment, signed,
 * encrypted, oversized), the tags that stand for flags, and non-atoms. */
bool sync_tag_is_keyword(const char *tag);
/* Does a UTF-8 folder name match the sync_folders patterns? */
bool sync_folder_selected(const char *patterns, const char *name);

#endif
