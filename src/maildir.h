/* maildir.h - the local half of the mirror: one Maildir per IMAP folder.
 *
 * Layout: data_dir/mail/<account>/<folder>/{cur,new,tmp}.  A message that
 * came from the server is named
 *     <secs>.M<usecs>P<pid>Q<n>.<host>,U=<uid>:2,<flags>
 * so that the UID survives a lost state file (a scan finds it again), and
 * the flags are the standard Maildir info letters that notmuch and every
 * other Maildir tool understand.  A file without ",U=" is a message created
 * locally that the sync must upload.  ",U=0" marks an orphan: a message left
 * over from an old UIDVALIDITY that matched nothing on the server; the sync
 * keeps it and never uploads or deletes it on its own.
 *
 * Every write is tmp -> fsync -> rename (-> fsync of the directory), so a
 * crash leaves either the old file or the new one, never half of one.
 */
#ifndef MUTTLIKE_MAILDIR_H
#define MUTTLIKE_MAILDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum maildir_status {
	MAILDIR_OK = 0,
	MAILDIR_ERR_IO,   /* errno is set */
	MAILDIR_ERR_NAME, /* a folder name that cannot be made safe */
};

/* Maildir info flags as bits; the letters are the Maildir spec's. */
enum {
	MAILDIR_F_DRAFT = 1 << 0,   /* D  \Draft */
	MAILDIR_F_FLAGGED = 1 << 1, /* F  \Flagged */
	MAILDIR_F_PASSED = 1 << 2,  /* P  (forwarded; no IMAP flag) */
	MAILDIR_F_REPLIED = 1 << 3, /* R  \Answered */
	MAILDIR_F_SEEN = 1 << 4,    /* S  \Seen */
	MAILDIR_F_TRASHED = 1 << 5, /* T  \Deleted */
};
#define MAILDIR_F_ALL 0x3fu

/* Parse the letters after ":2," (unknown letters are ignored). */
unsigned maildir_flags_parse(const char *letters);
/* Write the letters of flags in the spec's ASCII order; out needs 8 bytes. */
void maildir_flags_format(unsigned flags, char out[8]);

/* A message file name taken apart by maildir_name_parse(): pointers and
 * lengths into the parsed string, nothing allocated.  A name is
 *     <unique>[,<field>=<value>]...[:2,<info letters>]
 * where the fields are ours (",U=" the UID, ",A=" the pending-upload
 * marker) or other tools' (",S=" the size). */
struct maildir_name {
	const char *base;  /* the file name without its directory */
	size_t unique_len; /* base[0, unique_len): the part before the first ',' or ':', the same through every rename */
	size_t stem_len;   /* base[0, stem_len): all before the info (":2,", or a ':' of another info version) */
	bool has_uid;      /* ",U=<uid>" (uid 0: an orphan, maildir.h above) */
	uint32_t uid;
	bool has_size;     /* ",S=<bytes>" */
	uint64_t size;
	uint32_t append;   /* ",A=<n>": an APPEND may have reached the server with a UID >= n; 0: none */
	const char *info;  /* the letters after ":2," (keyword letters a-z too), or NULL: no ":2," */
	unsigned flags;    /* MAILDIR_F_* of info; keyword and unknown letters ignored */
};

/* Take a message file name apart: a bare base name, "cur/<base>" or a
 * whole path (the part after the last '/').  A field whose value is not
 * only digits, or overflows, counts as absent; of a field given twice the
 * last counts.  false (out still filled) when the name is no message
 * file's: empty, or starting with '.', ',' or ':'. */
bool maildir_name_parse(const char *name, struct maildir_name *out);

/* "<stem>[,U=<uid>]:2,<the letters of flags>" (no directory): new string.
 * stem is a unique part, or maildir_name_stem(). */
char *maildir_name_format(const char *stem, bool has_uid, uint32_t uid, unsigned flags);

/* The stem of a parsed name without its ",U=" field (the other fields
 * stay): what maildir_name_format() puts a new UID and flags on.  New
 * string. */
char *maildir_name_stem(const struct maildir_name *n);

/* One path component made safe: bytes below 0x20, 0x7f, '/', '\\', '%'
 * and a leading '.' become %XX; the names cur, new and tmp (which would
 * collide with the Maildir's own directories) get their first letter
 * escaped; an empty name is "%00".  Reversible, so two server names never
 * share a directory.  New string. */
char *maildir_safe_component(const char *name);

/* The name a directory component stands for: the inverse of
 * maildir_safe_component().  New string, or NULL when component is not
 * exactly what maildir_safe_component() makes of some name. */
char *maildir_component_name(const char *component);

/* The relative directory of a folder: name (UTF-8) split at the server's
 * hierarchy delimiter (0: none), each component made safe, joined by '/'.
 * New string, or NULL when name is empty. */
char *maildir_folder_relpath(const char *name, char delim);

/* Every directory at or below root/rel (rel may be "") that has a cur/
 * subdirectory, as paths relative to root, parents before children,
 * appended to *out (a growing array of new strings; *n counts them).
 * Names starting with '.' and the cur/new/tmp directories themselves are
 * not descended into; the walk stops 64 levels down. */
void maildir_find_tree(const char *root, const char *rel, char ***out, size_t *n);

/* Create dir/{cur,new,tmp} (and dir's parents).  0, or -1 with errno. */
int maildir_create(const char *dir);

/* Remove what no writer will finish from dir/tmp: any file older than
 * MAILDIR_TMP_MAX_AGE (the Maildir rule: 36 hours), and at once a file
 * of ours (our stem, this host) whose writer process is gone (a sync
 * killed between write and rename).  now is the current time.  Returns
 * how many were removed. */
#define MAILDIR_TMP_MAX_AGE (36 * 3600)
size_t maildir_clean_tmp(const char *dir, time_t now);

/* One message file found by a scan. */
struct maildir_entry {
	char *name;     /* owned: "cur/<basename>" or "new/<basename>" */
	uint32_t uid;   /* 0: no ",U=" (local new) or ",U=0" (orphan) */
	bool has_uid;   /* ",U=" present (uid may be 0 for an orphan) */
	unsigned flags; /* MAILDIR_F_* (a file in new/ has no flags) */
};

struct maildir_list {
	struct maildir_entry *v; /* owned, sorted by uid then name */
	size_t n;
};

/* Is base, found in new/, a name only the store's header-only indexing
 * puts there (a UID and an info part: the sync never writes to new/, and
 * what other tools deliver there has no ",U=")?  Such a file is the
 * header copy being indexed, or a second link to the cur/ file of the
 * same name: maildir_scan() does not list it (store.c). */
bool maildir_is_index_copy_name(const char *base);

/* List cur/ and new/ of dir.  A missing dir gives an empty list.
 * 0, or -1 with errno. */
int maildir_scan(const char *dir, struct maildir_list *out);
void maildir_list_clear(struct maildir_list *l);
/* The entry with this uid in a scanned list, or NULL. */
struct maildir_entry *maildir_list_find(struct maildir_list *l, uint32_t uid);

/* Deliver len bytes as a message with uid and flags into dir/cur: written
 * to tmp, fsynced, renamed.  mtime (0: now) is the file's time (the
 * message's INTERNALDATE).  *name_out gets "cur/BASENAME" (caller frees).
 * 0, or -1 with errno. */
int maildir_deliver(const char *dir, const void *data, size_t len, uint32_t uid, bool has_uid,
		    unsigned flags, time_t mtime, char **name_out);

/* The same without the fsync of dir/cur: for a batch of deliveries, which
 * must be followed by maildir_sync() before anything records them. */
int maildir_deliver_nosync(const char *dir, const void *data, size_t len, uint32_t uid, bool has_uid,
			   unsigned flags, time_t mtime, char **name_out);
/* fsync dir/cur, making the renames of the deliveries before it durable. */
int maildir_sync(const char *dir);

/* Delivery of a batch in two steps, with one journal commit instead of
 * one per message: maildir_stage() writes a message into dir/tmp (not
 * durable yet, the file stays open); maildir_commit() makes every staged
 * file durable (fdatasync), only then renames each into dir/cur and
 * fsyncs dir/cur once.  names[i] gets "cur/BASENAME" (caller frees).
 * On error (-1, errno) nothing of the batch may be recorded: names are
 * all NULL, files not renamed yet are removed (renamed ones carry their
 * UIDs, so the next pass adopts them).  maildir_staged_discard() drops a
 * batch that will not be committed. */
struct maildir_staged {
	int fd;
	char *tmp;  /* owned */
	char *base; /* owned */
};
int maildir_stage(const char *dir, const void *data, size_t len, uint32_t uid, bool has_uid, unsigned flags,
		  time_t mtime, struct maildir_staged *out);
int maildir_commit(const char *dir, struct maildir_staged *v, size_t n, char **names);
void maildir_staged_discard(struct maildir_staged *v, size_t n);

/* Rename dir/name so that it carries uid (has_uid false: drop ",U=") and
 * flags, moving it from new/ to cur/.  *name_out gets the new relative
 * name (equal to name when nothing changed).  0, or -1 with errno. */
int maildir_rename(const char *dir, const char *name, bool has_uid, uint32_t uid, unsigned flags,
		   char **name_out);

/* Remove dir/name and fsync the directory.  A missing file is not an error. */
int maildir_remove(const char *dir, const char *name);

/* Read dir/name whole into *data and *len (caller frees).  0, or -1 with errno. */
int maildir_read(const char *dir, const char *name, char **data, size_t *len);

/* The Message-ID of a message (without <>), from its header.  New string
 * or NULL. */
char *maildir_message_id(const char *data, size_t len);
/* Line ends as files are stored here (as Dovecot, mbsync and OfflineIMAP
 * store them): each CRLF becomes LF, a lone CR stays.  New NUL-terminated
 * string of *outlen bytes. */
char *maildir_lf(const char *data, size_t len, size_t *outlen);
/* The size of data with every bare LF counted as CRLF: the server's
 * RFC822.SIZE of a file stored with LF line ends, and of one written with
 * CRLF by earlier versions. */
uint64_t maildir_crlf_size(const char *data, size_t len);

#endif
