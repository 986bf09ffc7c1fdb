/* mailview.h - the reader's read-only view of the notmuch store.
 *
 * The UI never waits for a whole folder: a list is opened on a query and
 * filled in slices (mv_list_fill with a time budget), so the first screen
 * of a 100,000-message folder needs only its first 40 entries, and the
 * rest loads between keypresses.  notmuch's thread iterator is lazy (it
 * builds a thread only when asked), which is what makes this cheap.
 *
 * The handle is read-only and private to the UI thread; the store writer
 * owns the read-write database.  When the store changes, call
 * mailview_reopen() and open the lists again (entries are copies, so an
 * old list stays readable until it is freed).
 *
 * Everything a list hands out is owned by the list and has been through
 * text_sanitize(): no control, bidi or zero-width characters.
 */
#ifndef MUTTLIKE_MAILVIEW_H
#define MUTTLIKE_MAILVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "addr.h"

enum mv_status {
	MV_OK = 0,
	MV_ERR_NO_DB,  /* no database at the path (the store was never synced) */
	MV_ERR_OPEN,   /* the database exists but could not be opened */
	MV_ERR_QUERY,  /* a query failed (bad syntax, Xapian error) */
};

typedef struct mailview mailview_t;
typedef struct mv_list mv_list_t;

enum mv_mode { MV_THREADS, MV_MESSAGES };
/* In threads mode notmuch orders threads by their newest message for
 * NEWEST_FIRST (thread activity) and by their oldest for OLDEST_FIRST.
 * The others reorder the list when it completes (mv_sort_reorders):
 * subject or From (either way), or LAST_DATE, threads by their newest
 * message, least recently active first. */
enum mv_sort {
	MV_NEWEST_FIRST,
	MV_OLDEST_FIRST,
	MV_SORT_SUBJECT,
	MV_SORT_FROM,
	MV_SORT_REVERSE_SUBJECT,
	MV_SORT_REVERSE_FROM,
	MV_SORT_LAST_DATE,
};
/* Does the sort reorder the entries when the list completes? */
bool mv_sort_reorders(enum mv_sort sort);

enum mv_flag {
	MV_UNREAD = 1 << 0,
	MV_FLAGGED = 1 << 1,
	MV_REPLIED = 1 << 2,
	MV_ATTACHMENT = 1 << 3,
	MV_DELETED = 1 << 4,
	MV_PASSED = 1 << 5,
	MV_MATCH = 1 << 6, /* thread view: the message matches the folder's query */
	MV_INBOX = 1 << 7, /* notmuch's habitual "inbox" tag, not shown as a tag */
	MV_SIGNED = 1 << 8,    /* notmuch's "signed" tag (the top part is multipart/signed); still a tag */
	MV_ENCRYPTED = 1 << 9, /* notmuch's "encrypted" tag (multipart/encrypted); still a tag */
};

struct mv_entry {
	char *id;          /* thread id (threads) or Message-ID (messages); owned */
	char *file;        /* one file of the message, or of the thread's newest message; owned */
	char *from;        /* From (messages) or the thread's authors; owned */
	char *subject;     /* owned */
	char *tags;        /* space-separated, without unread/flagged/replied/attachment; owned */
	time_t date;       /* the message's date, or the thread's newest */
	unsigned flags;    /* MV_* (a thread has a flag when any message has it) */
	unsigned total;    /* messages in the thread (1 for a message) */
	unsigned matched;  /* of which match the query */
	int depth;         /* reply depth in a thread list, 0 elsewhere */
	bool last_child;   /* thread list: no later sibling at this depth */
	char *tree;        /* thread list: the tree prefix ("├─>" ...) in UTF-8; owned */
	bool same_subject; /* thread list: the parent's subject, after Re:/Fwd: prefixes */
};

/* Open the database under db_path (data_dir/mail) read-only. */
/* The one line that says the index at db_path cannot be read and how to
 * rebuild it (`muttlike reindex`); why: notmuch's reason.  New string. */
char *mailview_unreadable(const char *db_path, const char *why);
enum mv_status mailview_open(const char *db_path, mailview_t **out, char **err);
void mailview_free(mailview_t **mv);
/* See the writer's latest commit (a few tries: a commit in progress can
 * make one fail).  Lists opened before stay readable. */
enum mv_status mailview_reopen(mailview_t *mv);
const char *mailview_path(const mailview_t *mv);
/* The database's revision (changes when the writer commits after a reopen). */
unsigned long mailview_revision(mailview_t *mv);

/* Messages matching query; false on a bad query.  A count that fails
 * because the writer committed meanwhile is tried again after a reopen. */
bool mailview_count(mailview_t *mv, const char *query, unsigned *count);

/* Every tag in the store (new strings in a NULL-terminated array). */
char **mailview_all_tags(mailview_t *mv);

/* The first file of the message with this Message-ID that exists now
 * (see mailview_current_file), else its first recorded name (new string);
 * NULL when there is no such message. */
char *mailview_message_file(mailview_t *mv, const char *message_id);

/* Where a Maildir file recorded in the store is now (new string), or NULL
 * when it is gone.  A flag change renames the file (the R flag after a
 * reply, a sync's flag changes) and this read-only view learns the new
 * name only when the writer indexes it again; the part of the name
 * before ":2," never changes, so it is looked up in the same directory,
 * then in the folder's other one of cur/ and new/. */
char *mailview_current_file(const char *recorded);

/* One message found by mailview_search(): borrowed for the callback. */
struct mv_hit {
	time_t date;
	const char *from, *subject; /* raw header values (untrusted: sanitize), or NULL */
	const char *file;           /* one file of the message */
};
typedef void (*mv_hit_fn)(const struct mv_hit *h, void *ud);
/* Every message matching query (notmuch's Xapian syntax), newest first,
 * in one go, for scripts (`muttlike search`).  MV_ERR_QUERY with *err
 * (caller frees: notmuch's reason) for a query it refuses, MV_ERR_OPEN
 * with *err (the line of mailview_unreadable) when the index cannot be
 * read. */
enum mv_status mailview_search(mailview_t *mv, const char *query, mv_hit_fn fn, void *ud, char **err);

/* Addresses for completion: From, To and Cc of the newest messages,
 * newest first, one entry per mailbox (the newest name wins), at most
 * ADDR_MAX.  Collected on the first call (bounded in messages and time)
 * and kept for the life of mv: a session's cache.  Borrowed. */
const struct addr_list *mailview_addresses(mailview_t *mv);

/* Open a lazily loaded list on query.  Nothing is loaded until
 * mv_list_fill.  Returns NULL with *err (caller frees) on a bad query.
 * When the writer has committed since the handle was (re)opened, the
 * handle is reopened first (lists opened before stop growing, see
 * mv_list_failed); a query that fails because of a commit meanwhile is
 * tried once more. */
mv_list_t *mv_list_open(mailview_t *mv, const char *query, enum mv_mode mode, enum mv_sort sort, char **err);
/* The messages of one thread in reply order with depth and tree (loaded
 * at once); NULL with *err (caller frees, NULL on entry) when the store
 * kept changing while it was read. */
mv_list_t *mv_list_thread(mailview_t *mv, const char *thread_id, const char *query, char **err);
/* Load up to max more entries, stopping early after budget_ms (0: no
 * limit).  Returns how many were added.  Subject/from sorts are applied
 * when the list completes. */
size_t mv_list_fill(mv_list_t *l, size_t max, int budget_ms);
bool mv_list_complete(const mv_list_t *l);
/* Reading stopped short because the store changed under the handle (a
 * Xapian DatabaseModifiedError while the writer commits): the list is
 * neither complete nor going to grow.  mailview_reopen() and open the
 * list again; what it holds stays readable meanwhile. */
bool mv_list_failed(const mv_list_t *l);
size_t mv_list_count(const mv_list_t *l);
/* Messages the query matches (known at open; exact). */
unsigned mv_list_messages(const mv_list_t *l);
struct mv_entry *mv_list_entry(mv_list_t *l, size_t i);
/* Index of the entry with this id, or (size_t)-1. */
size_t mv_list_find(const mv_list_t *l, const char *id);
const char *mv_list_query(const mv_list_t *l);
enum mv_mode mv_list_mode(const mv_list_t *l);
void mv_list_free(mv_list_t **l);

/* Flags and leftover tags from a tag list (for callers that read tags
 * themselves). */
unsigned mv_flags_from_tag(const char *tag);

#endif
