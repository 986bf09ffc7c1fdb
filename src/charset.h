/* charset.h - convert message text from its declared charset to UTF-8.
 *
 * Labels come from hostile messages: only plausible names reach
 * iconv_open(3), common mislabels are mapped (latin-1 and us-ascii are
 * read as windows-1252, gb2312 as gb18030, ...), and bytes that are not
 * valid in the source charset become U+FFFD instead of ending the
 * conversion.  The output is UTF-8 but NOT sanitized for the terminal:
 * callers still pass it through text_sanitize().
 */
#ifndef MUTTLIKE_CHARSET_H
#define MUTTLIKE_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum charset_status {
	CHARSET_OK = 0,   /* converted cleanly */
	CHARSET_REPLACED, /* converted; some bytes were invalid and became U+FFFD */
	CHARSET_UNKNOWN,  /* iconv does not know the label; the text was appended as raw 8-bit */
};

/* Is s[0..len) well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF)? */
bool charset_utf8_valid(const char *s, size_t len);

/* Text of unknown origin (raw 8-bit headers, unlabelled bodies): valid
 * UTF-8 sequences are kept, every other byte is read as windows-1252. */
void charset_raw_to_utf8(const char *in, size_t len, struct strbuf *out);

/* Append in[0..len), declared as charset (NULL or "" = undeclared), to out
 * as UTF-8. */
enum charset_status charset_to_utf8(const char *charset, const char *in, size_t len,
				    struct strbuf *out);

/* The label reduced to printable ASCII, at most 40 bytes, for "[unknown
 * charset X]" markers.  New string. */
char *charset_label_for_display(const char *charset);

#endif
