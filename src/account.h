/* account.h - the reader's account manager: one worker thread per account
 * running the sync engine (sync.h), one store writer (store.h) shared by
 * the workers and the reader's actions, and the local half of every action
 * (tags through store_tag, moves through the Maildir + journal.h).
 *
 * The workers sync at start, on account_mgr_sync_now(), every
 * sync_interval seconds, and about a second after a local change (so a
 * burst of keys costs one pass).  Between passes a connected worker waits
 * in IDLE on INBOX (new mail starts a pass), and listeners (watch.h) report
 * news of the other folders, each synced alone at once; commands wake it at once.  What happens on a worker is kept in a
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
#include "sync.h"

typedef struct account_mgr account_mgr_t;

account_mgr_t *account_mgr_new(const conf_t *conf, int notify_fd);
/* Start one worker per account; each syncs at once. */
void account_mgr_start(account_mgr_t *m);
/* Cancel the passes, wait for the workers (the journal keeps what they
 * did not push), free everything.  NULL-safe. */
void account_mgr_free(account_mgr_t **m);

/* ---- headless: `muttlike sync` on the same manager ----
 *
 * Workers only for the accounts asked for, nobody to ask (no password
 * prompt, no questions: a refused certificate or login is an error of
 * the pass), and each worker either runs one pass or, with watch, keeps
 * going: after a pass it waits on INBOX with IDLE (or sleeps
 * sync_interval without IDLE) and passes again, and after a network or
 * store failure it tries again with backoff (5 s doubling to 300 s). */
struct account_run {
	const long *accounts;  /* foreign: the accounts to sync */
	size_t naccounts;
	bool watch;
	bool verify;                      /* sync_options.verify */
	const char *const *allow_deletes; /* foreign: sync_options.allow_deletes */
	size_t n_allow;
	/* Called on the account's worker thread, without the manager's
	 * mutex: every event of its passes, the end of each pass with its
	 * stats, and a store that could not be opened (why) or could not
	 * commit the index when closed at the end of a pass (why NULL; the
	 * pass then counts as SYNC_ERR_STORE). */
	void (*event)(long account, const struct sync_event *ev, void *ud);
	void (*pass_done)(long account, enum sync_status status, const struct sync_stats *stats, void *ud);
	void (*store_error)(long account, const char *why, void *ud);
	void *ud;
};
/* run is copied (what it points to is not). */
account_mgr_t *account_mgr_new_headless(const conf_t *conf, const struct account_run *run);
/* Stop every worker at once (their passes are cancelled) and ask nothing
 * more; from any thread but not from a signal handler. */
void account_mgr_stop(account_mgr_t *m);
/* Wait until every worker has ended (headless: after its pass, or after
 * account_mgr_stop). */
void account_mgr_wait(account_mgr_t *m);

/* Sync account (-1: all) now / about a second from now. */
void account_mgr_sync_now(account_mgr_t *m, long account);
void account_mgr_touch(account_mgr_t *m, long account);

struct account_status {
	bool syncing;
	bool offline;        /* the last pass could not reach the server */
	bool failed;         /* the last pass ended with another error */
	bool no_password;    /* the user declined to give a password (until sync-now) */
	bool cert_rejected;  /* the user rejected the server's certificate (until sync-now) */
	bool auth_refused;   /* the server refused the configured password (until sync-now) */
	char why[128];       /* with auth_refused: the server's words (raw UTF-8: sanitize) */
	char folder[64];     /* the folder being synced (raw UTF-8: sanitize) */
	size_t done, total;  /* fetch progress in that folder */
};
void account_mgr_status(account_mgr_t *m, long account, struct account_status *out);
/* What happened since the last call: *changed when the store committed,
 * *msg (caller frees, or NULL) a warning or error to show. */
void account_mgr_take_news(account_mgr_t *m, bool *changed, char **msg);

/* ---- decisions: what the workers need the user to decide ----
 *
 * A worker never blocks the UI: it queues a question, announces it on
 * notify_fd, and the UI thread takes the oldest with account_mgr_question()
 * and answers it by id.  A password question keeps the asking thread (an
 * account worker inside its login, or the sender) waiting for the answer,
 * and so does the sender's certificate question; the account workers'
 * certificate and deletion questions do not: the answer schedules a pass.
 *
 * Passwords the user types are kept (wiped at exit) for the session, for
 * IMAP and for SMTP when the SMTP user is the IMAP user; a refused one is
 * forgotten and asked for again.  Declining (NULL) is remembered until
 * account_mgr_sync_now() for that account. */
enum account_ask {
	ACCOUNT_ASK_PASSWORD,      /* text: the prompt; note: why again, or NULL */
	ACCOUNT_ASK_SMTP_PASSWORD, /* the same, for the sender */
	ACCOUNT_ASK_CERT,          /* cert: the refused certificate */
	ACCOUNT_ASK_SMTP_CERT,     /* the same, refused by the sender (who waits) */
	ACCOUNT_ASK_GUARD,         /* folder, deleted, total, local: the deletion guard stopped a folder */
	ACCOUNT_ASK_OAUTH,         /* text: the OAuth2 grant is revoked or expired: authorize again? */
};
struct tls_cert_info;
struct account_question {
	unsigned long id;
	enum account_ask kind;
	long account;
	char *text, *note;          /* owned, untrusted (server text): sanitize */
	struct tls_cert_info *cert; /* owned */
	char *folder;               /* owned, UTF-8 (untrusted) */
	size_t deleted, total;
	bool local;                 /* GUARD: deleted locally (else on the server) */
};
/* Is a question waiting? */
bool account_mgr_has_question(account_mgr_t *m);
/* Copy the oldest waiting question into *q (account_question_clear). */
bool account_mgr_question(account_mgr_t *m, struct account_question *q);
void account_question_clear(struct account_question *q);
/* Answer a password question: secret (copied) or NULL to decline. */
void account_mgr_answer_secret(account_mgr_t *m, unsigned long id, const char *secret);
enum account_cert_choice { ACCOUNT_CERT_REJECT, ACCOUNT_CERT_ONCE, ACCOUNT_CERT_ALWAYS };
/* Reject (the account stays offline until sync-now), accept once (for
 * this session) or always (a pin in data_dir/certs); false with *err
 * (caller frees) when the pin could not be written.  For an SMTP
 * certificate the waiting sender gets the answer (a pin that could not be
 * written: not trusted, but not remembered as rejected either). */
bool account_mgr_answer_cert(account_mgr_t *m, unsigned long id, enum account_cert_choice c, char **err);
/* Apply the deletions (one pass with the folder in allow_deletes), or
 * keep the local copies (not asked again until the counts change). */
void account_mgr_answer_guard(account_mgr_t *m, unsigned long id, bool apply);

/* For the sender's thread (never the UI's): the SMTP password of account:
 * the one typed for SMTP this session, else (same_user) the IMAP one
 * typed this session, else ask the user and wait.  New string for
 * secret_free, or NULL (declined, or quitting). */
char *account_mgr_smtp_secret(account_mgr_t *m, long account, bool same_user, const char *prompt);
/* For the sender's thread: the SMTP server's certificate ci was refused.
 * True when it is trusted for this session without asking (accepted once
 * for SMTP, or for the IMAP server of this account with the same SHA-256:
 * one server, one certificate), or when the user, asked now, accepts it
 * once or always (then the pin is on disk).  False when rejected (now, or
 * before: that certificate is not asked about again until an explicit
 * send or sync-now) or when quitting. */
bool account_mgr_smtp_cert(account_mgr_t *m, long account, const struct tls_cert_info *ci);
/* The SMTP server refused the password it was given: forget it. */
void account_mgr_smtp_refused(account_mgr_t *m, long account);
/* The user sends explicitly: ask again even if the password was declined
 * or the certificate rejected. */
void account_mgr_smtp_ask_again(account_mgr_t *m, long account);
/* ---- OAuth2: authorizing an account again without leaving the reader ----
 *
 * A pass whose login found the account's OAuth2 grant revoked or expired
 * (conn_oauth_reauth_needed) asks ACCOUNT_ASK_OAUTH, once; the account
 * waits (no retries) until it is answered.  Yes starts the device grant
 * (RFC 8628) on a thread of the manager with the account's shared context;
 * the UI shows what account_mgr_reauth_state() says (the address and the
 * code once the provider gave them) and may cancel.  On success the new
 * refresh token is stored and the account syncs at once.  One at a time. */
struct account_reauth {
	bool running;              /* started and not yet ended by account_mgr_reauth_end */
	bool done, ok;
	long account;
	char *uri, *uri_complete;  /* untrusted (the provider's): sanitize; NULL until known */
	char *code;
	long expires_in;           /* seconds */
	char *err;                 /* one line when !ok */
};
/* Answer ACCOUNT_ASK_OAUTH: no leaves the account offline (sync-now asks
 * again); yes starts the flow (false with *err when it cannot start). */
bool account_mgr_answer_oauth(account_mgr_t *m, unsigned long id, bool yes, char **err);
/* A copy of the flow's state (account_reauth_clear it). */
void account_mgr_reauth_state(account_mgr_t *m, struct account_reauth *out);
void account_reauth_clear(struct account_reauth *r);
/* Stop waiting for the user's answer at the provider. */
void account_mgr_reauth_cancel(account_mgr_t *m);
/* After done (or cancel): wait for the thread and forget the flow. */
void account_mgr_reauth_end(account_mgr_t *m);

/* Wake every thread waiting for an answer (they get NULL) and ask
 * nothing more: before stopping a thread that may be asking. */
void account_mgr_stop_asking(account_mgr_t *m);

/* The account a message file belongs to (its path under data_dir/mail), or -1. */
long account_mgr_account_of(account_mgr_t *m, const char *path);

/* Change the tags of messages ("+flagged -unread"); the file names
 * follow and the next pass pushes them.  false with *err (caller frees). */
bool account_mgr_tag(account_mgr_t *m, const char *const *ids, size_t n, const char *changes, char **err);

/* Move (or copy) the message file at path to the folder dest_rel (local
 * relative path, "Archive") of its account.  For a move, *undo (when not
 * NULL) gets what account_mgr_undo needs to put it back. */
typedef struct account_undo account_undo_t;
bool account_mgr_move(account_mgr_t *m, const char *path, const char *dest_rel, bool copy,
		      account_undo_t **undo, char **err);
/* Delete per delete_policy: to the Trash folder (trash, or "Trash"), or
 * out of the Maildir (delete_policy = expunge, or a message in the Trash
 * already: the next pass removes it on the server for good, no undo). */
bool account_mgr_delete(account_mgr_t *m, const char *path, account_undo_t **undo, char **err);
/* Remove the message at path for good, whatever delete_policy says: out of
 * the Maildir and the store, and (when it has a UID) a journal EXPUNGE so
 * the next pass deletes it on the server, not to the Trash.  No undo.  For
 * a recalled draft once its text is safe elsewhere.  path may predate a
 * rename (flags, or the UID an upload gave it). */
bool account_mgr_expunge(account_mgr_t *m, const char *path, char **err);
/* Index a message file just written into an account's folder (a
 * postponed draft): the index and the folder list show it at once,
 * online or not; the next pass uploads it.  false with *err (caller
 * frees). */
bool account_mgr_index_file(account_mgr_t *m, const char *path, char **err);
/* Put a deleted or moved message back where it was.  Frees *u. */
bool account_mgr_undo(account_mgr_t *m, account_undo_t **u, char **err);
void account_undo_free(account_undo_t **u);

/* path, or the file of the same message in the same folder after a
 * rename (flags changed since the index was read); new string or NULL. */
char *account_mgr_find_file(const char *path);

/* The file in the Maildir dir (absolute) whose Message-ID is id (without
 * <>), or NULL: a message copied to several folders has one Message-ID,
 * and an action in a folder's index means the copy in that folder.  Reads
 * each file's header: for that ambiguous case only. */
char *account_mgr_file_in_dir(const char *dir, const char *id);

/* The local relative path of a folder name of account ("INBOX", "a/b"). */
char *account_mgr_folder_rel(account_mgr_t *m, long account, const char *name);

#endif
