/* utf8.h - the one UTF-8 decoder and encoder of the core.
 *
 * Callers differ in what they do with bad input (a U+FFFD per byte, '?'
 * for a dangerous character, an error, Windows-1252), not in how they
 * read a sequence; each decides on what these return.
 */
#ifndef MUTTLIKE_UTF8_H
#define MUTTLIKE_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* The sequence at s (at most len bytes, len > 0): its length (1-4) with
 * the code point in *cp, or 0 when it is cut short, has a bad lead or
 * continuation byte, or is overlong.  Surrogates and code points past
 * U+10FFFF (leads F4 90.. to F7) do decode: utf8_decode_strict refuses
 * them too. */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp);
/* Well-formed UTF-8 only (RFC 3629): also 0 for a surrogate or a code
 * point past U+10FFFF. */
size_t utf8_decode_strict(const char *s, size_t len, uint32_t *cp);
/* Append cp (at most U+1FFFFF) as UTF-8, as it is: callers that may hold
 * a surrogate or NUL decide themselves what to write instead. */
void utf8_put(struct strbuf *b, uint32_t cp);
/* The same into out: returns how many bytes (1-4). */
size_t utf8_encode(char out[4], uint32_t cp);

#endif
