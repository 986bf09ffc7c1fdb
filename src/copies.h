/* copies - a message the account already mirrors, found by Message-ID and
 * size, so that a message in several folders is downloaded once.
 *
 * On a Gmail-shaped account the same message sits in INBOX, in each of its
 * labels and in All Mail, byte for byte.  The sync notes every file it
 * writes during a pass (copies_note), and before fetching a folder's new
 * messages asks for a local copy of each (copies_read): first among the
 * files noted this pass, then among the files the index knows in the
 * account (a read-only notmuch handle, opened at the first miss; what the
 * writer has not committed yet is not seen there, which costs a download,
 * never a wrong copy).  A copy counts only when its size is the server's
 * RFC822.SIZE and its own Message-ID is the one asked for, the same test
 * the UIDVALIDITY re-map trusts; a header-only stub never matches. */
#ifndef MUTTLIKE_COPIES_H
#define MUTTLIKE_COPIES_H

#include <stddef.h>

typedef struct copies copies_t;

/* mail_root: data_dir/mail (the index); acct_dir: the account's directory
 * in it (a copy is taken from there only). */
copies_t *copies_new(const char *mail_root, const char *acct_dir);
void copies_free(copies_t **c);

/* path (absolute) holds a message with this Message-ID and server size. */
void copies_note(copies_t *c, const char *mid, size_t size, const char *path);

/* The bytes of a local message with Message-ID mid whose server size
 * (RFC822.SIZE: its lines counted with CRLF) is size: a new buffer of *len
 * bytes with LF line ends (caller frees), or NULL. */
char *copies_read(copies_t *c, const char *mid, size_t size, size_t *len);

#endif
