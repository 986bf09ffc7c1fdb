/* text.h - make untrusted text safe to show on a terminal.
 *
 * Everything from a server, a message or a file the user did not write
 * goes through text_sanitize() before it reaches the screen: C0 and C1
 * controls (ESC, CSI 0x9B ...), DEL, bidi overrides and isolates, and
 * zero-width characters become U+FFFD or '?', and invalid UTF-8 bytes too.
 */
#ifndef MUTTLIKE_TEXT_H
#define MUTTLIKE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util.h"

/* Return a new UTF-8 string safe to print; keep_newlines keeps '\n' and
 * expands '\t' to spaces is not done here (the caller lays out tabs). */
char *text_sanitize(const char *s, size_t len, bool keep_newlines);

/* Format one line, pass it through text_sanitize() (no control character
 * and no newline survive) and write it to f with a '\n'.  How the front end
 * prints every message that may carry bytes from a file, a server or a
 * message (issue 17: an rc line's ESC must not reach the terminal). */
void text_print(FILE *f, const char *fmt, ...) ML_PRINTF(2, 3);

/* Would text_sanitize() leave s as it is? */
bool text_is_clean(const char *s, size_t len);

/* Is this code point one we never show as-is? */
bool text_is_dangerous(unsigned cp);

/* s after its leading reply or forward prefixes, any number of them, each
 * one of words ("re", "fwd", ...) case-insensitively, with an optional
 * "[N]", then ':' ("Re: Fwd: RE[2]: x" -> "x").  Points into s. */
const char *text_subject_strip(const char *s, const char *const *words);

#endif
