/* mbox.h - save messages outside the mirror: mboxrd files and Maildirs.
 *
 * For save-message, decode-save, copy-message to a path, export of a
 * thread and pipe-message.  Messages come as raw bytes (the mirror's files
 * may have CRLF line ends); everything written has LF line ends.
 *
 * mboxrd: each message starts with "From SENDER DATE" (the envelope
 * sender from Return-Path, else From:; the Date: header in UTC in
 * asctime form, else now), every line matching ^>*From  gets one more
 * '>', and a blank line follows each message.  Appending takes a dotlock
 * (PATH.lock, created by link(2) as mutt's dotlock does) and an fcntl
 * write lock; a failed write truncates the file back, so a mailbox never
 * ends in half a message.
 *
 * Maildir: each message goes to tmp/ under a unique name, is fsynced and
 * renamed into new/; then new/ is fsynced.
 */
#ifndef MUTTLIKE_MBOX_H
#define MUTTLIKE_MBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* A message in memory: raw RFC 5322 bytes, CRLF or LF.  Lent. */
struct mbox_msg {
	const char *data;
	size_t len;
};

enum mbox_kind {
	MBOX_KIND_ERROR = 0, /* neither: *err says why */
	MBOX_KIND_MBOX,
	MBOX_KIND_MAILDIR,
};

/* Which kind a save to path makes: a trailing '/' or an existing
 * directory is a Maildir (an existing directory must have cur/new/tmp or
 * be empty), an existing file must be an mbox (empty, or starting with
 * "From "), a new name is an mbox. */
enum mbox_kind mbox_target_kind(const char *path, char **err);

/* Save n messages to path (as mbox_target_kind decides), all or none for
 * an mbox.  true, or false with *err (new string). */
bool mbox_save(const char *path, const struct mbox_msg *msgs, size_t n, char **err);

/* Append one message in mboxrd form ("From " line, escaped body, blank
 * line) to out. */
void mbox_format(struct strbuf *out, const struct mbox_msg *m);

/* The "From SENDER DATE\n" line for m.  New string. */
char *mbox_from_line(const struct mbox_msg *m);

/* pipe-message: the bytes that go to the command's stdin.  One message
 * is itself with LF line ends (with pipe_split set the caller passes the
 * messages one at a time, one command run each); several are one mboxrd
 * stream (pipe_split unset).  New string in *out, length *len. */
void mbox_pipe_data(const struct mbox_msg *msgs, size_t n, char **out, size_t *len);

/* A message read back from an mbox. */
struct mbox_read_msg {
	char *from_line; /* owned: the "From ..." line without its LF */
	char *data;      /* owned: the message, un-escaped, LF line ends */
	size_t len;
};

/* Split an mboxrd text into messages: a message starts at a line
 * beginning "From " (at the start or after a blank line), one '>' is
 * taken off each ^>+From  line, and the blank line before the next
 * "From " is the separator's.  Returns the count; *out (new array) must
 * go to mbox_read_free. */
size_t mbox_read(const char *text, size_t len, struct mbox_read_msg **out);
void mbox_read_free(struct mbox_read_msg **v, size_t n);

#endif
