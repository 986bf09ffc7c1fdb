/* draw.h - width-correct, sanitized text on the curses screen: the
 * drawing layer under every view (and the one place that pulls in
 * curses for the reader's headers). */
#ifndef MUTTLIKE_UI_DRAW_H
#define MUTTLIKE_UI_DRAW_H

#define _XOPEN_SOURCE_EXTENDED 1 /* wide-character curses */
#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Draw UTF-8 text at (y, x) in at most w columns; the text is sanitized
 * here, so anything may be passed.  Returns the columns used. */
int draw_text(int y, int x, int w, const char *s, attr_t attr);
/* Same, but for len bytes of s. */
int draw_textn(int y, int x, int w, const char *s, size_t len, attr_t attr);
/* Fill columns [x, x+w) of row y with spaces in attr. */
void draw_fill(int y, int x, int w, attr_t attr);
/* Display width of UTF-8 text (invalid bytes and controls count 1). */
int text_width(const char *s, size_t len);
/* Append s cut to at most maxw columns (maxw < 0: no limit) and padded to
 * minw, left- or right-aligned. */
void text_fit(struct strbuf *b, const char *s, int minw, int maxw, bool left);
/* Byte length of the longest prefix of s that fits in w columns. */
size_t text_prefix_bytes(const char *s, size_t len, int w);
/* Decode one UTF-8 code point (invalid bytes give U+FFFD, 1 byte). */
unsigned utf8_next(const char **p, const char *end);
/* Column width of a code point as drawn (controls 1, combining 0). */
int cp_width(unsigned cp);
void draw_set_utf8(bool utf8);

#endif
