/* imap.h - one IMAP session: connect, secure, log in, learn the server.
 *
 * imap_connect() resolves, connects, runs TLS (imaps://) or STARTTLS
 * (imap://, required unless `set tls = none`), verifies the certificate and
 * learns the capabilities; imap_login() authenticates.  Both block, so they
 * run on an account worker; imap_cancel() may be called from any thread.
 * Errors come back as a status and a one-line message (imap_error()); a
 * refused certificate also as a struct tls_cert_info (imap_cert()) so the
 * caller can offer reject / accept once / accept always.  The core never
 * asks the user anything except through the password callback.
 *
 * After imap_login() the sync's commands go through imapdrv.h, which
 * drives libetpan through imap_mailimap(); the session keeps owning it.
 */
#ifndef MUTTLIKE_IMAP_H
#define MUTTLIKE_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libetpan/libetpan.h>

#include "conf.h"
#include "conn.h"
#include "tls.h"

enum imap_status {
	IMAP_OK = 0,
	IMAP_ERR_CONFIG,    /* bad URL, no user, unreadable tls_ca_file ... */
	IMAP_ERR_NET,       /* resolve, connect, timeout, connection lost */
	IMAP_ERR_TLS,       /* handshake failed, TLS alert */
	IMAP_ERR_CERT,      /* certificate refused: imap_cert() says why */
	IMAP_ERR_INSECURE,  /* STARTTLS missing/failed, PREAUTH in clear, injection */
	IMAP_ERR_PROTOCOL,  /* unreadable or hostile server data, size caps */
	IMAP_ERR_AUTH,      /* login refused, no usable mechanism, no secret */
	IMAP_ERR_SERVER,    /* a command failed (NO/BAD) */
	IMAP_ERR_CANCELLED,
};

/* Capabilities the rest of muttlike cares about (bits). */
enum imap_cap {
	IMAP_CAP_STARTTLS = 1 << 0,
	IMAP_CAP_LOGINDISABLED = 1 << 1,
	IMAP_CAP_AUTH_PLAIN = 1 << 2,
	IMAP_CAP_AUTH_XOAUTH2 = 1 << 3,
	IMAP_CAP_AUTH_OAUTHBEARER = 1 << 4,
	IMAP_CAP_SASL_IR = 1 << 5,
	IMAP_CAP_IDLE = 1 << 6,
	IMAP_CAP_MOVE = 1 << 7,
	IMAP_CAP_UIDPLUS = 1 << 8,
	IMAP_CAP_CONDSTORE = 1 << 9,
	IMAP_CAP_QRESYNC = 1 << 10,
	IMAP_CAP_ENABLE = 1 << 11,
	IMAP_CAP_SPECIAL_USE = 1 << 12,
	IMAP_CAP_LIST_EXTENDED = 1 << 13,
	IMAP_CAP_NAMESPACE = 1 << 14,
	IMAP_CAP_COMPRESS = 1 << 15,
	IMAP_CAP_ID = 1 << 16,
	IMAP_CAP_IMAP4REV1 = 1 << 17,
	IMAP_CAP_LITERALPLUS = 1 << 18,
	IMAP_CAP_LIST_STATUS = 1 << 19,
	IMAP_CAP_GMAIL = 1 << 20, /* X-GM-EXT-1: the server is Gmail (its folders are labels) */
	IMAP_CAP_OBJECTID = 1 << 21, /* RFC 8474: MAILBOXID, kept across RENAME */
	IMAP_CAP_NOTIFY = 1 << 22,   /* RFC 5465: news of every folder on one connection */
};

/* Parse a capability list ("IMAP4rev1 STARTTLS AUTH=PLAIN ...") into bits;
 * used on libetpan's parsed list, public for tests and fuzzing. */
unsigned imap_caps_parse(const char *words);

/* Where and how to connect (conn.h), and imap_auth: the mechanisms to try
 * in order, or NULL.  Strings owned; imap_params_clear frees them (and
 * wipes the password). */
struct imap_params {
	struct conn_params conn;
	char *auth;
	bool compress;      /* imap_compress: COMPRESS=DEFLATE when offered */
};
/* Fill params from an account (index from conf_account_find).  False with
 * *err (caller frees) on a missing or bad imap_url. */
bool imap_params_from_conf(const conf_t *c, long account, struct imap_params *p, char **err);
void imap_params_clear(struct imap_params *p);

/* The UI's way to ask for a password.  Returns a new string (freed by the
 * core with secret_free) or NULL when the user declines.  Called on the
 * thread running imap_login(). */
typedef conn_ask_secret_fn imap_ask_secret_fn;

enum imap_special {
	IMAP_SPECIAL_NONE = 0,
	IMAP_SPECIAL_INBOX,
	IMAP_SPECIAL_SENT,
	IMAP_SPECIAL_DRAFTS,
	IMAP_SPECIAL_TRASH,
	IMAP_SPECIAL_JUNK,
	IMAP_SPECIAL_ARCHIVE,
	IMAP_SPECIAL_ALL,
	IMAP_SPECIAL_FLAGGED,
};
const char *imap_special_name(enum imap_special s);

enum { IMAP_FOLDER_NOSELECT = 1, IMAP_FOLDER_NOINFERIORS = 2 };

struct imap_folder {
	char *raw;          /* the server's name (modified UTF-7), for commands */
	char *name;         /* UTF-8 (the raw name if it did not decode); untrusted */
	char delim;         /* hierarchy delimiter, 0 if flat */
	unsigned flags;     /* IMAP_FOLDER_* */
	enum imap_special special;
	/* From LIST-STATUS (RFC 5819) with CONDSTORE, when has_status: the
	 * folder's STATUS at the time of the LIST. */
	bool has_status;
	uint32_t st_messages, st_uidnext, st_uidvalidity;
	uint64_t st_highestmodseq;
};
void imap_folders_free(struct imap_folder **f, size_t n);

typedef struct imap imap_t;

imap_t *imap_new(const struct imap_params *p);
void imap_free(imap_t **m);

void imap_set_ask_secret(imap_t *m, imap_ask_secret_fn fn, void *ud);
/* Trust this certificate (hex SHA-256) for the next connect only. */
void imap_set_accept_once(imap_t *m, const char *sha256hex);
void imap_set_limits(imap_t *m, const struct tls_limits *l);

enum imap_status imap_connect(imap_t *m);
enum imap_status imap_login(imap_t *m);
/* LOGOUT and close; safe at any state. */
void imap_disconnect(imap_t *m);
/* Stop whatever the session is blocked on, from any thread; the blocked
 * call returns IMAP_ERR_CANCELLED.  Sticky until the next imap_connect. */
void imap_cancel(imap_t *m);

/* The last error, one line ("imap.example.org:993: connection refused"),
 * or "" when none. */
const char *imap_error(const imap_t *m);
/* When the transport under the session broke a size cap (a literal, a
 * line or a response over tls_limits), the one-line reason ("the server
 * sent a literal of 100 MiB, over the 64 MiB limit"); else NULL.  For
 * callers that drive imap_mailimap() themselves. */
const char *imap_limit_error(const imap_t *m);
/* What went over this imap_t's connections so far (every session, also the
 * closed ones): bytes on the wire (compressed when COMPRESS is on) and as
 * IMAP text, the tagged commands sent, and the round trips: the commands
 * whose answer was waited for with no other command in flight before
 * them.  A command sent behind others still unanswered (imapdrv's
 * pipelined FETCH and STORE, imap_note_pipelined) costs no round trip of
 * its own, so round_trips <= commands. */
struct imap_wire_stats {
	uint64_t wire_in, wire_out;
	uint64_t plain_in, plain_out;
	uint64_t commands;
	uint64_t round_trips;
};
void imap_wire_stats(const imap_t *m, struct imap_wire_stats *out);
/* One command was just sent while an earlier one was still unanswered. */
void imap_note_pipelined(imap_t *m);
/* The next bytes read start the answer to another command: the response
 * size cap (tls_limits.max_response) counts from here.  For callers that
 * read answers to commands written earlier (pipelining). */
void imap_response_begin(imap_t *m);
/* Is the current session compressed (COMPRESS=DEFLATE)? */
bool imap_compressed(const imap_t *m);
/* A warning for the caller to show (plaintext connection), or NULL. */
const char *imap_warning(const imap_t *m);
/* The certificate of the last TLS handshake (refused or accepted). */
const struct tls_cert_info *imap_cert(const imap_t *m);
/* "TLS1.3" or "" before/without TLS. */
const char *imap_tls_version(const imap_t *m);
/* The mechanism that logged in ("PLAIN", "LOGIN", ...), or "". */
const char *imap_auth_used(const imap_t *m);

unsigned imap_caps(const imap_t *m);
bool imap_has_cap(const imap_t *m, enum imap_cap cap);
/* After login: which of CONDSTORE/QRESYNC ENABLE turned on. */
bool imap_condstore_enabled(const imap_t *m);
bool imap_qresync_enabled(const imap_t *m);
/* Personal namespace prefix ("" or "INBOX.") and its delimiter (0: none). */
const char *imap_namespace_prefix(const imap_t *m);
char imap_namespace_delim(const imap_t *m);

/* Wait until the server has sent something (for IDLE): NET_OK,
 * NET_ERR_TIMEOUT or NET_ERR_CANCELLED.  Use this, not libetpan's
 * mailstream_wait_idle(), which cannot see our driver or GnuTLS's buffer. */
enum net_status imap_wait_input(imap_t *m, int timeout_ms);

/* The libetpan session once logged in (foreign: owned by m), or NULL. */
mailimap *imap_mailimap(imap_t *m);

/* Send one command written by hand ("<tag> " + cmd + CRLF, nothing
 * else: libetpan's mailimap_custom_command() adds a space before the CRLF,
 * which Cyrus answers with BAD "Unexpected extra arguments") and parse
 * the answer as libetpan does, leaving the untagged data in
 * imap_response_info.  MAILIMAP_NO_ERROR on OK, MAILIMAP_ERROR_CUSTOM_COMMAND
 * on NO/BAD, or a stream/parse error. */
int imap_command(mailimap *mi, const char *cmd);

/* SELECT raw (QRESYNC (uidvalidity modseq [known_uids])) (RFC 7162), once
 * QRESYNC is enabled; known_uids is a UID set ("1:5,9") or NULL.  A libetpan
 * code: MAILIMAP_NO_ERROR (selected), MAILIMAP_ERROR_SELECT (NO/BAD),
 * MAILIMAP_ERROR_INVAL (a name that needs a literal: select another way),
 * or a stream error.  On success *fetched is the FETCH responses (caller
 * frees with mailimap_fetch_list_free; may be NULL), *vanished the UIDs of
 * every VANISHED response (caller frees with mailimap_set_free), and
 * *highestmodseq the folder's HIGHESTMODSEQ (0: none). */
int imap_select_qresync(imap_t *m, const char *raw, uint32_t uidvalidity, uint64_t modseq, const char *known_uids,
			clist **fetched, struct mailimap_set **vanished, uint64_t *highestmodseq);

/* LIST "" "*" (with SPECIAL-USE when offered); *out is an array of *n
 * folders (caller frees with imap_folders_free). */
enum imap_status imap_list(imap_t *m, struct imap_folder **out, size_t *n);
/* STATUS (UIDVALIDITY[ MAILBOXID]): MAILBOXID only when the server has
 * OBJECTID.  *uidvalidity 0 and *mailboxid NULL (else a new string) for
 * what the server did not give; a libetpan code (MAILIMAP_NO_ERROR, or
 * an error: NO, stream). */
int imap_status_ids(imap_t *m, const char *raw, uint32_t *uidvalidity, char **mailboxid);
/* The MAILBOXID the last SELECT or EXAMINE answered with (RFC 8474 response
 * code), as a new string, or NULL; read it before the next command. */
char *imap_selected_mailboxid(imap_t *m);

/* RFC 8474 objectid: 1 to 255 of ALPHA / DIGIT / "_" / "-". */
enum { IMAP_OBJECTID_MAX = 255 };
/* "MAILBOXID (<objectid>)" at p (case-insensitive keyword, at most len
 * bytes read): the bytes it takes, with the id in out (NUL-terminated);
 * 0 when p does not start with one.  Public for tests. */
size_t imap_parse_mailboxid(const char *p, size_t len, char out[IMAP_OBJECTID_MAX + 1]);

/* One "* STATUS <mailbox> (<att> <value> ...)" line (without CRLF), as a
 * LIST-STATUS or a STATUS command answers: the mailbox as an atom or a
 * quoted string, numbers for MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ
 * (others skipped), MAILBOXID (<objectid>).  False when malformed (a
 * literal name, a number out of range, an attribute whose value is
 * neither).  Public for tests. */
struct imap_status_line {
	char *mailbox; /* owned */
	unsigned seen; /* IMAP_STATUS_* bits given */
	uint32_t messages, uidnext, uidvalidity;
	uint64_t highestmodseq;
	char mailboxid[IMAP_OBJECTID_MAX + 1];
};
enum {
	IMAP_STATUS_MESSAGES = 1,
	IMAP_STATUS_UIDNEXT = 2,
	IMAP_STATUS_UIDVALIDITY = 4,
	IMAP_STATUS_HIGHESTMODSEQ = 8,
	IMAP_STATUS_MAILBOXID = 16,
};
bool imap_parse_status_line(const char *line, size_t len, struct imap_status_line *out);
void imap_status_line_clear(struct imap_status_line *st);

/* The libetpan extension that reads MAILBOXID (as a SELECT response code
 * and a STATUS attribute; libetpan 1.9 knows neither and would fail the
 * whole response).  Registered once by imap_new(); public for tests. */
const struct mailimap_extension_api *imap_objectid_extension(void);

/* STATUS (MESSAGES UNSEEN); -1 for a count the server did not give. */
enum imap_status imap_status_counts(imap_t *m, const char *raw, long *messages, long *unseen);

#endif
