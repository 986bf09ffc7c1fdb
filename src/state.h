/* state.h - what one folder looked like after its last successful sync.
 *
 * The sync merges flags three ways: local now, server now, and the value
 * both sides agreed on last time, which lives here.  A folder's state is
 * UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, the server's folder name, its
 * MAILBOXID (RFC 8474, when the server has OBJECTID) and, per UID, the
 * flags and keywords last synced.  It is kept in
 * data_dir/state/<account>/<folder>.state as text and always replaced
 * atomically (tmp, fsync, rename), so a crash leaves the old or the new
 * state, never a mix.  The Maildir file names carry the UIDs too, so a lost
 * or stale state costs a comparison, never a message.
 */
#ifndef MUTTLIKE_STATE_H
#define MUTTLIKE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum state_status {
	STATE_OK = 0,
	STATE_MISSING, /* no file yet: a first sync */
	STATE_ERR_IO,  /* errno set */
	STATE_ERR_PARSE,
};

struct state_msg {
	uint32_t uid;
	unsigned flags;   /* MAILDIR_F_* last synced */
	char *keywords;   /* owned: space-separated IMAP keywords, sorted; NULL: none */
};

typedef struct state state_t;

state_t *state_new(void);
void state_free(state_t **s);

/* Load path into a fresh state (*out is always set, empty on a miss). */
enum state_status state_load(const char *path, state_t **out);
/* Replace path atomically; 0, or -1 with errno. */
int state_save(const state_t *s, const char *path);

uint32_t state_uidvalidity(const state_t *s);
uint32_t state_uidnext(const state_t *s);
uint64_t state_highestmodseq(const state_t *s);
/* The server's (modified UTF-7) name; "" when unknown. */
const char *state_folder(const state_t *s);
void state_set_uidvalidity(state_t *s, uint32_t v);
void state_set_uidnext(state_t *s, uint32_t v);
void state_set_highestmodseq(state_t *s, uint64_t v);
void state_set_folder(state_t *s, const char *name);
/* The folder's MAILBOXID (RFC 8474: the same across RENAME); "" when
 * unknown (a server without OBJECTID, or a state from before).  An id
 * that is not an RFC 8474 objectid is stored as "". */
const char *state_mailboxid(const state_t *s);
void state_set_mailboxid(state_t *s, const char *id);
/* When the folder was last compared with the server's full UID list
 * (seconds since the epoch); 0: never, or a pass since then failed. */
int64_t state_verified(const state_t *s);
void state_set_verified(state_t *s, int64_t t);

/* Messages sorted by UID. */
size_t state_count(const state_t *s);
const struct state_msg *state_at(const state_t *s, size_t i);
const struct state_msg *state_get(const state_t *s, uint32_t uid);
/* Insert or replace uid's record (keywords copied; NULL or "": none). */
void state_put(state_t *s, uint32_t uid, unsigned flags, const char *keywords);
void state_del(state_t *s, uint32_t uid);
/* Forget every message (UIDVALIDITY changed). */
void state_clear_msgs(state_t *s);

/* The file of a folder: state_dir/<relpath with '/' as %2F>.state.  New string. */
char *state_path(const char *state_dir, const char *relpath);

#endif
