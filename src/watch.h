/* watch - push for every folder of an account, beside its sync session.
 *
 * The account worker's own session waits in IDLE on INBOX between passes
 * (sync_watch).  A watch_t adds connections of its own that only listen,
 * and says which folder changed on the server, so that the worker syncs
 * just that folder:
 *   - with NOTIFY (RFC 5465, imap_notify = yes): one connection, NOTIFY
 *     SET for every personal folder, then IDLE without a folder selected;
 *     "* STATUS <folder> ..." names the folder, "* LIST" (created,
 *     deleted, renamed, subscribed) or an overflow means everything;
 *   - without: IDLE on each of the given folders (the caller picks them:
 *     imap_idle_folders, INBOX left out), a connection each, at most
 *     max_conns of them; EXISTS, EXPUNGE, FETCH or VANISHED name the
 *     connection's folder.
 * The folders beyond the budget, or beyond what the server allows (a
 * refusal such as Dovecot's "NO [LIMIT] ... (mail_max_userip_connections=10)"
 * lowers the budget for the rest of the watch, see watch_limit), are
 * polled by the worker's passes.
 *
 * Each connection has its thread.  A dropped connection is opened again
 * after 1, 2, 4 ... 300 s, at once after a wall-clock jump (a resume from
 * suspend: CLOCK_REALTIME moved on while CLOCK_MONOTONIC stood still);
 * after any gap its folders are reported changed (what happened meanwhile
 * was not heard).  The callback runs on the watch's threads.
 */
#ifndef MUTTLIKE_WATCH_H
#define MUTTLIKE_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* folder: the server's (raw) name of the folder that changed, or NULL
 * for "anything may have changed" (the folder list, an overflow, a gap
 * in the NOTIFY connection). */
typedef void (*watch_fn)(void *ud, const char *folder);

struct watch_options {
	const conf_t *conf;            /* foreign */
	long account;
	const char *const *folders;    /* raw names to IDLE on without NOTIFY (copied) */
	size_t nfolders;
	size_t max_conns;              /* connections this watch may open (>= 1) */
	const char *accept_once;       /* hex SHA-256 trusted for the session, or NULL */
	char *(*ask_secret)(void *ud, const char *prompt); /* imap_set_ask_secret, or NULL */
	void *ask_ud;
	watch_fn changed;
	void *ud;
};

typedef struct watch watch_t;

/* Start listening (returns at once; the connections open on the watch's
 * threads). */
watch_t *watch_start(const struct watch_options *o);
/* End every connection: from any thread, returns at once. */
void watch_stop(watch_t *w);
/* Stop, wait for the threads, free. */
void watch_free(watch_t **w);
/* The connection budget after what the server refused (<= max_conns),
 * for the next watch of the account. */
size_t watch_limit(watch_t *w);
/* Connections listening now, and whether the watch uses NOTIFY (for tests
 * and the log). */
size_t watch_listening(watch_t *w);
bool watch_uses_notify(watch_t *w);

/* ---- pure helpers, public for tests and fuzzing ---- */

enum watch_news {
	WATCH_NOTHING = 0, /* nothing that changes a folder (RECENT, OK, continuation) */
	WATCH_SELECTED,    /* EXISTS, EXPUNGE, FETCH, VANISHED: the selected folder */
	WATCH_FOLDER,      /* STATUS: *folder (new string) */
	WATCH_ALL,         /* LIST, NOTIFICATIONOVERFLOW, anything unreadable: every folder */
	WATCH_BYE,         /* the server is closing the connection */
};
/* One untagged line read during IDLE (without CRLF, len bytes). */
enum watch_news watch_parse_line(const char *line, size_t len, char **folder);

/* The connection limit in a refusal's text ("... (mail_max_userip_connections=10)"),
 * or 0 when the text is no connection-limit refusal; *is_limit says
 * whether it is one (a [LIMIT] code or "connections" in the words). */
size_t watch_refusal_limit(const char *text, bool *is_limit);

/* Did the wall clock jump between two samples?  real/mono in ms, from
 * CLOCK_REALTIME and CLOCK_MONOTONIC: a difference between their deltas
 * of more than 3 s (a suspend, or the clock set). */
bool watch_clock_jumped(long long real0, long long mono0, long long real1, long long mono1);
/* Both clocks now, in ms (the fault "clock-jump" moves the wall clock an
 * hour ahead for tests). */
void watch_clock_now(long long *real, long long *mono);

#endif
