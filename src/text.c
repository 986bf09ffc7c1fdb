/* text.c - see text.h. */
#include "text.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"
#include "util.h"

bool text_is_dangerous(unsigned cp)
{
	if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
		return true; /* C0, DEL, C1 (0x9B is a one-byte CSI on some terminals) */
	if (cp >= 0x202A && cp <= 0x202E)
		return true; /* LRE RLE PDF LRO RLO */
	if (cp >= 0x2066 && cp <= 0x2069)
		return true; /* LRI RLI FSI PDI */
	if (cp == 0x200E || cp == 0x200F || cp == 0x061C)
		return true; /* LRM RLM ALM */
	if (cp >= 0x200B && cp <= 0x200D)
		return true; /* zero-width space, non-joiner, joiner */
	if (cp == 0x2060 || cp == 0xFEFF || cp == 0x00AD)
		return true; /* word joiner, BOM/ZWNBSP, soft hyphen */
	if (cp >= 0xFFF9 && cp <= 0xFFFB)
		return true; /* interlinear annotation controls */
	if (cp >= 0xD800 && cp <= 0xDFFF)
		return true;
	return cp > 0x10FFFF;
}

char *text_sanitize(const char *s, size_t len, bool keep_newlines)
{
	struct strbuf b;
	strbuf_init(&b);
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0; /* s[run..i) is kept as is, copied in one go */
	while (i < len) {
		uint32_t cp;
		size_t n;
		if (p[i] >= 0x20 && p[i] < 0x7F) { /* printable ASCII: the common case */
			i++;
			continue;
		}
		n = utf8_decode(s + i, len - i, &cp);
		if (n && ((cp == '\n' && keep_newlines) || cp == '\t' || !text_is_dangerous(cp))) {
			i += n;
			continue;
		}
		strbuf_add(&b, s + run, i - run);
		if (n == 0) {
			strbuf_adds(&b, "\xEF\xBF\xBD"); /* U+FFFD for a bad byte */
			n = 1;
		} else {
			strbuf_addc(&b, '?');
		}
		i += n;
		run = i;
	}
	strbuf_add(&b, s + run, i - run);
	return strbuf_detach(&b);
}

bool text_is_clean(const char *s, size_t len)
{
	char *t = text_sanitize(s, len, false);
	bool same = strlen(t) == len && memcmp(t, s, len) == 0;
	free(t);
	return same;
}

void text_print(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *raw = xvasprintf(fmt, ap);
	va_end(ap);
	char *line = text_sanitize(raw, strlen(raw), false);
	fprintf(f, "%s\n", line);
	fflush(f);
	free(line);
	free(raw);
}

/* ---- subjects ---- */

/* Length of a leading "Re:", "RE:", "Re[2]:", "Aw:", "Fwd:", "Fw:" ... */
static size_t prefix_len(const char *s, const char *const *words)
{
	for (size_t w = 0; words[w]; w++) {
		size_t n = strlen(words[w]);
		if (strncasecmp(s, words[w], n) != 0)
			continue;
		const char *p = s + n;
		if (*p == '[') {
			while (isdigit((unsigned char)*++p))
				;
			if (*p++ != ']')
				continue;
		}
		if (*p == ':')
			return (size_t)(p + 1 - s);
	}
	return 0;
}

const char *text_subject_strip(const char *s, const char *const *words)
{
	for (;;) {
		while (*s == ' ')
			s++;
		size_t n = prefix_len(s, words);
		if (!n)
			return s;
		s += n;
	}
}
