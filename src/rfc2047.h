/* rfc2047.h - decode header values: folding, RFC 2047 encoded words and
 * raw 8-bit text.
 *
 * libetpan's mailmime_encoded_phrase_parse() is not used directly: it maps
 * unknown charsets to latin-1 without saying so, fails the whole header on
 * one byte that is invalid in the declared charset, and stops at the first
 * "=?" that is not an encoded word.  Here libetpan decodes each encoded word
 * (mailmime_encoded_word_parse: tokenizing, B and Q, joining split words of
 * the same charset) and charset.c converts it; text around the words is kept.
 */
#ifndef MUTTLIKE_RFC2047_H
#define MUTTLIKE_RFC2047_H

#include <stddef.h>

#include "util.h"

/* Longest raw header value decoded; the rest is cut with a marker. */
#define RFC2047_MAX_INPUT ((size_t)64 * 1024)

/* Append the decoded value of a raw header field body (as in the message:
 * possibly folded, possibly 8-bit) to out as UTF-8.  Unknown charsets keep
 * their text behind "[unknown charset NAME] ".  The result is NOT safe for
 * the terminal yet: it may hold controls that came encoded; callers pass
 * it through text_sanitize(). */
void rfc2047_decode(const char *in, size_t len, struct strbuf *out);

/* Remove folding (CRLF or LF followed by a blank) from a header value.
 * Appends to out. */
void rfc2047_unfold(const char *in, size_t len, struct strbuf *out);

#endif
