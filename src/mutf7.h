/* mutf7.h - IMAP modified UTF-7 mailbox names (RFC 3501 section 5.1.3).
 *
 * Servers name mailboxes in modified UTF-7; users and the local store see
 * UTF-8.  Decoding is strict (no raw 8-bit bytes, no directly encodable
 * ASCII inside a shift, padding bits must be zero, surrogates must pair) so
 * that every name has exactly one encoding and encode(decode(x)) == x.
 */
#ifndef MUTTLIKE_MUTF7_H
#define MUTTLIKE_MUTF7_H

/* Decode a modified UTF-7 name to UTF-8.  Returns a new string, or NULL when
 * in is not valid modified UTF-7 (the caller then shows the raw name). */
char *mutf7_decode(const char *in);

/* Encode a UTF-8 name to modified UTF-7.  Returns a new string, or NULL when
 * in is not valid UTF-8. */
char *mutf7_encode(const char *in);

#endif
