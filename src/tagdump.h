/* tagdump.h - the tags of a notmuch database in notmuch's own dump format.
 *
 * libnotmuch has no public dump API (notmuch_database_dump is internal),
 * so this module writes and reads the format of `notmuch dump` (batch-tag
 * version 3) through the public API:
 *
 *   #notmuch-dump batch-tag:3 tags
 *   +inbox +sp%20ace -- id:msg@example.org
 *    -- id:"two""quotes@x"                    (a message without tags)
 *
 * A tag is written with every byte outside [A-Za-z0-9+-_@=.,] as %xx
 * (lower-case hex); a Message-ID is written bare unless it is empty or
 * holds a byte <= ' ', '"', '(', ')' or >= 0x80: then inside double quotes
 * with '"' doubled (notmuch's make_boolean_term).  `notmuch restore` reads
 * what tagdump_write() writes, and tagdump_restore() reads what `notmuch
 * dump --include=tags` writes.  The store keeps such a dump beside the
 * index (store.h), so that local-only tags survive an index rebuild.
 */
#ifndef MUTTLIKE_TAGDUMP_H
#define MUTTLIKE_TAGDUMP_H

#include <stdbool.h>
#include <stddef.h>

#include <notmuch.h>

#include "util.h"

#define TAGDUMP_HEADER "#notmuch-dump batch-tag:3 tags\n"

/* Append one line (with its '\n') for a message id and its tags. */
void tagdump_format_line(struct strbuf *b, const char *id, const char *const *tags, size_t n);

/* Parse one line in place (its '\n' may be there or not).  Returns 1 for a
 * message line: *tags gets an array (caller frees the array only) of the
 * decoded "+" tags, pointing into line, *id the Message-ID (into line);
 * 0 for a blank or '#' line; -1 for a malformed line. */
int tagdump_parse_line(char *line, char ***tags, size_t *ntags, char **id);

/* Write every message's tags to path (atomically: the old dump stays
 * whole until the new one is complete).  Returns the number of messages,
 * or -1 when the index could not be read whole or the file not written
 * (the old dump is kept then). */
long tagdump_write(notmuch_database_t *db, const char *path);

/* Tags the dump does not decide (their values come from elsewhere: the
 * Maildir flags, the folder path). */
typedef bool (*tagdump_keep_fn)(const char *tag);

struct tagdump_restored {
	size_t messages;  /* lines applied */
	size_t missing;   /* lines for messages the index does not have */
	size_t malformed; /* lines that could not be parsed */
};

/* Give each message of the dump exactly the dump's tags, except the tags
 * keep() says are not the dump's to decide (kept as they are; keep may
 * be NULL).  Messages not in the dump are left alone.  0, or -1 when path
 * cannot be read (errno set). */
int tagdump_restore(notmuch_database_t *db, const char *path, tagdump_keep_fn keep, struct tagdump_restored *out);

#endif
