/* rcwrite.h - add an account to an rc file without ever clobbering it.
 *
 * The file is read, a new `account` block is appended to its text, the
 * result is parsed back and compared with what was meant (so no value can
 * inject another rc command, and nothing that parsed before breaks), the old
 * file is copied to a backup, and the new text replaces it atomically (tmp,
 * fsync, rename).  A new file is created 0600 in a 0700 directory; an
 * existing one keeps its mode.  A symlinked rc is written through the link.
 */
#ifndef MUTTLIKE_RCWRITE_H
#define MUTTLIKE_RCWRITE_H

#include <stddef.h>

/* One `set NAME = VALUE` line of the block (borrowed strings). */
struct rc_setting {
	const char *name;
	const char *value;
};

/* VALUE as an rc word: double-quoted, with \ " and line breaks escaped.
 * NULL when the value holds a control character the rc cannot carry. */
char *rcwrite_quote(const char *value);

/* S as one /bin/sh word (single quotes).  New string. */
char *rcwrite_shell_quote(const char *s);

/* The text of an account block, a comment line first (may be NULL).
 * NULL with *err (caller frees) on a bad account name, an unknown option or
 * an unquotable value. */
char *rcwrite_block(const char *account, const struct rc_setting *set, size_t n, const char *comment,
		    char **err);

/* Append the block to the rc at path (created if missing).  *backup gets
 * the backup's path (new string) or NULL when the file was new.  0, or -1
 * with *err (caller frees); on failure the file is unchanged. */
int rcwrite_append_account(const char *path, const char *account, const struct rc_setting *set, size_t n,
			   char **backup, char **err);

/* Write a secret to a new file, mode 0600, refusing to follow a link or to
 * replace an existing file.  0, or -1 with *err. */
int rcwrite_secret_file(const char *path, const char *secret, char **err);

/* A name not used by any account in the rc at path (which may not exist):
 * base made safe ([A-Za-z0-9._-], 64 at most), then base-2, base-3...  New
 * string. */
char *rcwrite_free_account_name(const char *path, const char *base);

#endif
