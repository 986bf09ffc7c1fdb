/* imapdrv - the IMAP operations the sync needs, in plain C types.
 *
 * The sync (sync*.c) speaks to the server only through these calls, on a
 * session that imap.h connected and logged in; this file (imapdrv.c) is
 * the one that drives libetpan for it, in the spirit of isync's driver.h.
 * Everything that crosses the line is ours: UID arrays, MAILDIR_F_* flag
 * sets, keywords as sorted space-separated strings.  Nothing here decides
 * anything: it sends one command (or a fixed short sequence, stated per
 * call) and reports what the server answered.
 *
 * Every command returns an enum imapdrv_rc: OK, REFUSED (the server said
 * NO or BAD, or the arguments cannot be sent: only this folder fails) or
 * LOST (the connection is gone or its data unreadable: the pass ends).
 * imapdrv_server_text() is the text of the last NO/BAD.  A size cap the
 * transport enforced reads as LOST; imap_limit_error() says which.
 */
#ifndef MUTTLIKE_IMAPDRV_H
#define MUTTLIKE_IMAPDRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct imap imap_t;

enum imapdrv_rc {
	IMAPDRV_OK = 0,
	IMAPDRV_REFUSED, /* NO, BAD, or nothing the server could be sent */
	IMAPDRV_LOST,    /* stream, parse or memory error: the session is over */
};

/* ---- messages as the server has them ---- */

/* UID and flags of one message (a FETCH FLAGS answer). */
struct imapdrv_flags {
	uint32_t uid;
	unsigned flags; /* MAILDIR_F_*; $Forwarded is MAILDIR_F_PASSED */
	char *kw;       /* owned: other keywords, sorted, space-separated; NULL when none */
};

/* A growing list of them (sorted by UID after imapdrv_flist_sort). */
struct imapdrv_flist {
	struct imapdrv_flags *v;
	size_t n, cap;
};
void imapdrv_flist_push(struct imapdrv_flist *l, uint32_t uid, unsigned flags, char *kw); /* takes kw */
/* Sort by UID and drop duplicates (a server may answer twice for one
 * UID: the last answer wins). */
void imapdrv_flist_sort(struct imapdrv_flist *l);
/* Binary search of a sorted list; NULL when absent. */
struct imapdrv_flags *imapdrv_flist_find(const struct imapdrv_flist *l, uint32_t uid);
void imapdrv_flist_clear(struct imapdrv_flist *l);

/* A UID range from VANISHED: first <= last, "*" read as UINT32_MAX. */
struct imapdrv_range {
	uint32_t first, last;
};

/* ---- SELECT ---- */

/* What SELECT answered.  Strings and arrays owned (imapdrv_selected_clear). */
struct imapdrv_selected {
	uint32_t uidvalidity, uidnext, exists;
	uint64_t highestmodseq; /* 0: none (or no CONDSTORE) */
	bool keywords_ok;       /* PERMANENTFLAGS holds \*: new keywords can be stored */
	char *mailboxid;        /* RFC 8474 response code, or NULL */
	/* qresync: the SELECT ran with QRESYNC parameters and the server took
	 * them; then changed holds its FETCH responses (sorted) and vanished
	 * its VANISHED (EARLIER) ranges (sorted by first). */
	bool qresync;
	struct imapdrv_flist changed;
	struct imapdrv_range *vanished;
	size_t nvanished;
};
void imapdrv_selected_clear(struct imapdrv_selected *sel);

/* QRESYNC parameters (RFC 7162): the state's UIDVALIDITY and
 * HIGHESTMODSEQ, and its known UIDs as a set ("1:5,9") or NULL. */
struct imapdrv_qresync {
	uint32_t uidvalidity;
	uint64_t modseq;
	const char *known_uids;
};

/* SELECT raw.  With q: SELECT (QRESYNC ...), and when the server refuses
 * that command (or the name needs a literal) SELECT (CONDSTORE) instead,
 * with out->qresync false.  Else with condstore SELECT (CONDSTORE), else a
 * plain SELECT.  out is filled on OK (cleared first either way). */
enum imapdrv_rc imapdrv_select(imap_t *m, const char *raw, bool condstore, const struct imapdrv_qresync *q,
			       struct imapdrv_selected *out);

/* ---- FETCH ---- */

/* What a UID FETCH asks for besides UID, in this order on the wire. */
enum {
	IMAPDRV_FLAGS = 1 << 0,        /* FLAGS */
	IMAPDRV_IDATE = 1 << 1,        /* INTERNALDATE */
	IMAPDRV_SIZE = 1 << 2,         /* RFC822.SIZE */
	IMAPDRV_BODY = 1 << 3,         /* BODY.PEEK[] */
	IMAPDRV_HEADER = 1 << 4,       /* BODY.PEEK[HEADER] */
	IMAPDRV_MESSAGE_ID = 1 << 5,   /* BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)] */
};

/* One FETCH response. */
struct imapdrv_msg {
	uint32_t uid;       /* never 0: responses without a UID are left out */
	uint32_t size;      /* RFC822.SIZE, when asked */
	bool has_flags;
	unsigned flags;     /* MAILDIR_F_* */
	char *kw;           /* owned by the batch; a caller may take it (and set it NULL) */
	const char *body;   /* the section asked for, or NULL; valid until imapdrv_batch_clear */
	size_t len;
	time_t idate;       /* INTERNALDATE, 0 when not asked */
};

/* The FETCH responses of one command, in the server's order (unsolicited
 * ones included: callers check the UID and what they asked for). */
struct imapdrv_batch {
	struct imapdrv_msg *v; /* owned */
	size_t n;
	void *priv;            /* owned: the parsed response the bodies live in */
};
void imapdrv_batch_clear(struct imapdrv_batch *b);

/* UID FETCH uids (sorted; NULL: every message, 1:*) (UID <items>),
 * with CHANGEDSINCE changedsince when not 0. */
enum imapdrv_rc imapdrv_fetch(imap_t *m, const uint32_t *uids, size_t n, unsigned items, uint64_t changedsince,
			      struct imapdrv_batch *out);
/* UID FETCH 1:* (UID FLAGS) [CHANGEDSINCE], into l (sorted). */
enum imapdrv_rc imapdrv_fetch_flags(imap_t *m, uint64_t changedsince, struct imapdrv_flist *l);

/* ---- pipelining ---- */

/* Several commands in flight on one session, so that a slow link costs a
 * round trip per window, not per command: imapdrv_pipe_fetch and
 * imapdrv_pipe_store write their command at once and return without
 * waiting; imapdrv_pipe_next reads the answer to the oldest one still
 * unanswered (tagged answers come in the order sent).  While commands are
 * in flight no other imapdrv call may be made on the session.  The
 * caller bounds the window (IMAPDRV_PIPE_MAX): the commands are small,
 * and their answers wait in the server and the socket, not in memory
 * here.  A failure to send (LOST) makes every later call LOST. */
#define IMAPDRV_PIPE_MAX 16
typedef struct imapdrv_pipe imapdrv_pipe_t;
imapdrv_pipe_t *imapdrv_pipe_new(imap_t *m);
/* Read and drop the answers still owed (unless the session is gone), and
 * free *pp. */
void imapdrv_pipe_free(imapdrv_pipe_t **pp);
/* Commands sent whose answer was not read yet. */
size_t imapdrv_pipe_inflight(const imapdrv_pipe_t *p);
/* Send UID FETCH uids (sorted, n > 0) (UID <items>).  REFUSED (nothing
 * sent) when the command cannot be written.  Its FETCH responses reach
 * the fn of an imapdrv_pipe_next, not necessarily of the one that reads
 * its tagged answer. */
enum imapdrv_rc imapdrv_pipe_fetch(imapdrv_pipe_t *p, const uint32_t *uids, size_t n, unsigned items);
/* Send UID STORE uids (sorted, n > 0) +FLAGS.SILENT or -FLAGS.SILENT
 * (the MAILDIR_F_* flags and space-separated keywords, as imapdrv_store).
 * REFUSED (nothing sent) when the command cannot be written (a keyword
 * that is no atom): send it with imapdrv_store then. */
enum imapdrv_rc imapdrv_pipe_store(imapdrv_pipe_t *p, const uint32_t *uids, size_t n, bool add, unsigned flags,
				   const char *keywords);
/* Can imapdrv_pipe_store send these (are the keywords atoms)? */
bool imapdrv_pipe_can_store(unsigned flags, const char *keywords);
/* Each FETCH response of an answer, as it is read (msg and its body are
 * valid during the call only; fn may take msg->kw and set it NULL). */
typedef void imapdrv_msg_fn(struct imapdrv_msg *msg, void *ud);
/* Read up to the tagged answer to the oldest command in flight, handing
 * every FETCH response on the way to fn (when not NULL; else they are
 * dropped).  Those need not belong to that command: a server may run
 * pipelined commands in parallel (Dovecot does), so the data of later
 * FETCHes can come before this one's tagged OK; callers go by UID.  The
 * responses are not kept: memory holds one message at a time, and the
 * response size cap counts per message.  OK, REFUSED (that command got
 * NO or BAD: the next ones still have their answers), or LOST. */
enum imapdrv_rc imapdrv_pipe_next(imapdrv_pipe_t *p, imapdrv_msg_fn *fn, void *ud);

/* ---- SEARCH ---- */

/* UID SEARCH ALL: every UID (*out sorted, caller frees). */
enum imapdrv_rc imapdrv_search_all(imap_t *m, uint32_t **out, size_t *n);
/* UID SEARCH UID from:* HEADER Message-ID msgid: the highest UID >= from
 * it answers, or 0 (also on any error). */
uint32_t imapdrv_search_message_id(imap_t *m, uint32_t from, const char *msgid);

/* ---- changes ---- */

/* UID STORE uids (sorted) +FLAGS.SILENT (add) or -FLAGS.SILENT: the
 * MAILDIR_F_* flags and the space-separated keywords (either may be
 * empty). */
enum imapdrv_rc imapdrv_store(imap_t *m, const uint32_t *uids, size_t n, bool add, unsigned flags,
			      const char *keywords);
/* APPEND data to raw with flags; with UIDPLUS *uidvalidity and *uid say
 * where it went (0: the server did not say). */
enum imapdrv_rc imapdrv_append(imap_t *m, const char *raw, unsigned flags, const char *data, size_t len,
			       uint32_t *uidvalidity, uint32_t *uid);
/* UID MOVE / UID COPY uids (sorted) to raw.  When uidvalidity is not
 * NULL, the COPYUID response code (UIDPLUS) is read: *uidvalidity and the
 * new UID of the first message in *first_uid (0: not given). */
enum imapdrv_rc imapdrv_move(imap_t *m, const uint32_t *uids, size_t n, const char *raw, uint32_t *uidvalidity,
			     uint32_t *first_uid);
enum imapdrv_rc imapdrv_copy(imap_t *m, const uint32_t *uids, size_t n, const char *raw, uint32_t *uidvalidity,
			     uint32_t *first_uid);
/* UID EXPUNGE uids (sorted), RFC 4315. */
enum imapdrv_rc imapdrv_expunge(imap_t *m, const uint32_t *uids, size_t n);

/* ---- folders ---- */

enum imapdrv_rc imapdrv_create(imap_t *m, const char *raw);
/* STATUS (UIDVALIDITY[ MAILBOXID]) (imap_status_ids). */
enum imapdrv_rc imapdrv_status_ids(imap_t *m, const char *raw, uint32_t *uidvalidity, char **mailboxid);

/* ---- the session ---- */

/* Logged in and not dropped? */
bool imapdrv_connected(imap_t *m);
/* The text of the server's last NO/BAD ("no reason given" when none). */
const char *imapdrv_server_text(imap_t *m);
/* Shut the connection down under the session (fault tests: the server
 * "goes away" before the next command). */
void imapdrv_drop(imap_t *m);
/* IDLE (on the selected folder, or with NOTIFY on none): sends it and
 * reads up to the continuation; *fd is the socket to wait on, *early
 * whether untagged lines came before the continuation (news that raced
 * the IDLE: they are read and gone).  Bytes already buffered after the
 * continuation do not show on *fd: ask imap_wait_input(m, 0). */
enum imapdrv_rc imapdrv_idle(imap_t *m, int *fd, bool *early);
/* DONE, ending an IDLE; *exists becomes the message count after it
 * (left as it was when the session does not know it). */
enum imapdrv_rc imapdrv_idle_done(imap_t *m, uint32_t *exists);
/* Between imapdrv_idle and imapdrv_idle_done: wait at most timeout_ms
 * for one untagged line and read it (a literal's bytes, should a server
 * send one, come as the next lines).  *line (NULL
 * when the wait ran out) is lent until the next read, without its CRLF,
 * *len bytes; a cancel (imap_cancel) or a broken stream is LOST. */
enum imapdrv_rc imapdrv_idle_line(imap_t *m, int timeout_ms, const char **line, size_t *len);
/* NOTIFY SET (RFC 5465): MessageNew, MessageExpunge and FlagChange of the
 * selected folder; MessageNew, MessageExpunge, FlagChange, MailboxName and
 * SubscriptionChange of every personal folder.  Only when the server has
 * IMAP_CAP_NOTIFY; the news arrives as untagged STATUS, EXISTS, EXPUNGE,
 * FETCH and LIST lines (read them with imapdrv_idle_line). */
enum imapdrv_rc imapdrv_notify(imap_t *m);

#endif
