/* encode.h - the sending side of MIME: RFC 2047 encoded words, RFC 2231
 * parameters, quoted-printable, base64 and header folding.
 *
 * rfc2047.h only decodes; everything muttlike writes into a message it
 * sends goes through here.  All output is ASCII with CRLF line ends, and
 * no function here ever emits a CR or LF that was in its input: header
 * values have their line breaks and controls turned into spaces first, so
 * text copied from a hostile message cannot start a new header.
 */
#ifndef MUTTLIKE_ENCODE_H
#define MUTTLIKE_ENCODE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Longest header line we produce when we have a choice (RFC 5322 says 78). */
#define ENCODE_FOLD_AT 78

/* A copy of s with CR, LF, TAB and other controls (C0, DEL, C1) turned into
 * single spaces and invalid UTF-8 bytes into U+FFFD: a safe one-line header
 * value.  New string. */
char *encode_header_clean(const char *s);

/* True when s is printable ASCII (and may hold spaces). */
bool encode_is_ascii(const char *s, size_t n);

/* Unstructured text (Subject): ASCII words stay readable; a run of words
 * that need it (non-ASCII, or looking like an encoded word) becomes UTF-8
 * encoded words, each at most 75 characters and never splitting a
 * character.  The value is cleaned first.  Appends to out. */
void encode_rfc2047_text(const char *value, struct strbuf *out);

/* A display name as a phrase: atoms as is, ASCII with specials as a quoted
 * string, anything else as encoded words.  Appends to out. */
void encode_rfc2047_phrase(const char *name, struct strbuf *out);

/* "; attr=value", "; attr=\"va lue\"" or, for non-ASCII or long values,
 * RFC 2231 "; attr*=UTF-8''%.." split into attr*0*, attr*1* ... pieces,
 * each on its own folded line.  Appends to out. */
void encode_rfc2231_param(const char *attr, const char *value, struct strbuf *out);

/* Write "Name: value" folded at spaces to ENCODE_FOLD_AT columns where it
 * can, then CRLF.  value must already be encoded (ASCII); any CR or LF in
 * it is replaced by a space as a last defence.  Appends to out. */
void encode_fold_header(const char *name, const char *value, struct strbuf *out);

/* base64 with CRLF after every 76 output characters (and at the end). */
void encode_base64(const void *data, size_t n, struct strbuf *out);
/* base64 on one line, no CRLF (SASL). New string. */
char *encode_base64_line(const void *data, size_t n);

/* Body text (LF or CRLF line ends) as quoted-printable with CRLF line
 * ends, lines at most 76 characters. */
void encode_qp(const char *text, size_t n, struct strbuf *out);

/* Can this text go as 7bit: ASCII, no NUL, no bare CR, no line over 998? */
bool encode_text_is_7bit(const char *text, size_t n);

/* Text with its line ends made CRLF (bare CR and LF both count). */
void encode_crlf(const char *text, size_t n, struct strbuf *out);

#endif
