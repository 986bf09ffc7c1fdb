/* alias.h - mutt's aliases: the `alias` command, alias_file, expansion,
 * completion and create-alias.
 *
 * A line is mutt's:  alias [-group NAME]... KEY ADDRESS[, ADDRESS...] [# comment]
 * ADDRESS is anything addr_parse() takes ("Name <a@b>", a@b (comment),
 * "Last, First" <a@b>) or the KEY of another alias.  A `\` at the end of
 * a line continues it; `#` outside quotes starts a comment; other rc
 * commands in the file (set, source, ...) are reported and skipped, so an
 * existing ~/.mutt/aliases loads unchanged.
 *
 * Values are kept as written and expanded when used (alias_expand): an
 * alias may name other aliases, defined before or after it, as in mutt.
 * Expansion is recursive and loop-safe (a key already being expanded adds
 * nothing again) and depth-capped.  Keys compare case-insensitively.
 */
#ifndef MUTTLIKE_ALIAS_H
#define MUTTLIKE_ALIAS_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

#define ALIAS_MAX_LINE (64 * 1024)
#define ALIAS_MAX_DEPTH 16

struct alias {
	char *key;      /* owned */
	char *value;    /* owned: the address list as written, comment removed */
	char *comment;  /* owned: the text after `#`, "" when none */
	char **groups;  /* owned: -group names */
	size_t ngroups;
};

typedef struct alias_table alias_table_t;

alias_table_t *alias_table_new(void);
void alias_table_free(alias_table_t **t);

/* The rc command `alias ARGS`: args is the text after the word `alias`.
 * A key defined again replaces the old value (mutt).  false + *err (new
 * string) when the line is malformed or an address in it is invalid. */
bool alias_define(alias_table_t *t, const char *args, char **err);

/* The rc command `unalias [-group NAME]... KEY...`; `*` removes every
 * alias.  Returns how many were removed. */
size_t alias_undefine(alias_table_t *t, const char *args);

/* Read alias_file (path already expanded).  Each problem goes to
 * on_error (may be NULL) as "path:line: message" (line 0: the file as a
 * whole); loading goes on after it.  A missing
 * file is not an error (returns true: nothing to load); false when the
 * file exists but cannot be read (reported through on_error). */
typedef void (*alias_error_fn)(void *ud, const char *msg);
bool alias_load_file(alias_table_t *t, const char *path, alias_error_fn on_error, void *ud);

/* Lent: NULL when there is no such key. */
const struct alias *alias_find(const alias_table_t *t, const char *key);
size_t alias_count(const alias_table_t *t);
const struct alias *alias_at(const alias_table_t *t, size_t i);

/* What the user typed in To:/Cc: ("bob, team, Carol <c@x>") with each bare
 * word that is an alias key replaced by its addresses, recursively,
 * appended to out.  false + *err when an entry is neither an alias nor a
 * valid address (out then holds the entries before it). */
bool alias_expand(const alias_table_t *t, const char *typed, struct addr_list *out, char **err);

/* alias_expand, formatted as addr_list_format does ("Name <a@b>, c@d"),
 * for a field the user typed: new string, or NULL + *err. */
char *alias_expand_format(const alias_table_t *t, const char *typed, char **err);

/* The editor's text with aliases expanded in the To:, Cc: and Bcc: fields
 * of its header block (up to the first empty line; continuation lines
 * joined); a field that does not expand cleanly is left as written for
 * the header parser to report.  New string. */
char *alias_expand_header_block(const alias_table_t *t, const char *text);

/* Aliases whose key starts with prefix (case-insensitively), sorted by
 * key, at most max of them into out (lent pointers).  Returns the number
 * of matches (may exceed max).  *common (new string, may be NULL) gets the
 * longest prefix shared by every match, for Tab completion. */
size_t alias_complete(const alias_table_t *t, const char *prefix, const struct alias **out, size_t max,
		      char **common);

/* The first alias whose value is exactly the single mailbox given
 * (mutt's reverse_alias), or NULL.  Lent. */
const struct alias *alias_reverse(const alias_table_t *t, const char *mailbox);

/* A key we can write: 1..128 bytes of visible ASCII without quotes,
 * `#`, `,`, `\` or a leading `-`. */
bool alias_key_valid(const char *key);

/* The line create-alias writes ("alias KEY Name <a@b>, c@d\n"), with
 * display names quoted and rc-special characters escaped so that
 * alias_define() and mutt read it back to the same addresses.  New string. */
char *alias_format_line(const char *key, const struct addr_list *addrs);

/* create-alias: append the line for key to file (created 0600 when it does
 * not exist).  Refuses a key the file already defines and an invalid key.
 * The file is replaced atomically (tmp, fsync, rename) through a symlink
 * to it, keeping its mode.  false + *err (new string). */
bool alias_append(const char *file, const char *key, const struct addr_list *addrs, char **err);

#endif
