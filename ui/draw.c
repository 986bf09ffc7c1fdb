/* draw.c - put untrusted UTF-8 on the screen by display width.
 *
 * Every string is decoded here code point by code point: controls, bidi
 * and zero-width characters (text_is_dangerous) become U+FFFD (or '?'
 * when the locale is not UTF-8), wide CJK and emoji take two columns and
 * are never cut in half, combining marks join the previous cell.  So even
 * a caller that forgot text_sanitize cannot send an escape sequence.
 */
#include "draw.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "text.h"
#include "utf8.h"
#include "util.h"

static bool g_utf8 = true;

void draw_set_utf8(bool utf8)
{
	g_utf8 = utf8;
}

unsigned utf8_next(const char **pp, const char *end)
{
	uint32_t cp;
	size_t n = utf8_decode_strict(*pp, (size_t)(end - *pp), &cp);
	if (!n) {
		*pp += 1;
		return 0xFFFD;
	}
	*pp += n;
	return cp;
}

/* Outside UTF-8: the thread tree and other box drawing in ASCII, and
 * what the locale's character set cannot show (all of it under C) as
 * '?', one column whatever the character's width in UTF-8. */
static unsigned shown_cp_legacy(unsigned cp)
{
	static const struct {
		unsigned cp, ascii;
	} box[] = { { 0x2500, '-' }, { 0x2502, '|' }, { 0x251C, '|' }, { 0x2514, '`' }, { 0x2192, '>' } };
	for (size_t i = 0; i < ARRAY_SIZE(box); i++)
		if (cp == box[i].cp)
			return box[i].ascii;
	char mb[MB_LEN_MAX];
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	if (wcwidth((wchar_t)cp) < 0 || wcrtomb(mb, (wchar_t)cp, &st) == (size_t)-1)
		return '?';
	return cp;
}

/* What we actually draw for a code point. */
static unsigned shown_cp(unsigned cp)
{
	if (cp == '\t')
		return ' ';
	if (cp < 0x20 || cp == 0x7f || text_is_dangerous(cp))
		return g_utf8 ? 0xFFFD : '?';
	if (!g_utf8 && cp > 0x7e)
		return shown_cp_legacy(cp);
	return cp;
}

int cp_width(unsigned cp)
{
	cp = shown_cp(cp);
	int w = wcwidth((wchar_t)cp);
	if (w < 0)
		return 1;
	return w;
}

int text_width(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	int w = 0;
	while (p < end && *p)
		w += cp_width(utf8_next(&p, end));
	return w;
}

size_t text_prefix_bytes(const char *s, size_t len, int w)
{
	const char *p = s, *end = s + len;
	int used = 0;
	while (p < end && *p) {
		const char *q = p;
		int cw = cp_width(utf8_next(&q, end));
		if (used + cw > w)
			break;
		used += cw;
		p = q;
	}
	return (size_t)(p - s);
}

void text_fit(struct strbuf *b, const char *s, int minw, int maxw, bool left)
{
	size_t len = strlen(s);
	if (maxw >= 0)
		len = text_prefix_bytes(s, len, maxw);
	int w = text_width(s, len);
	int pad = minw > w ? minw - w : 0;
	if (!left)
		for (int i = 0; i < pad; i++)
			strbuf_addc(b, ' ');
	strbuf_add(b, s, len);
	if (left)
		for (int i = 0; i < pad; i++)
			strbuf_addc(b, ' ');
}

void draw_fill(int y, int x, int w, attr_t attr)
{
	if (w <= 0 || y < 0 || y >= LINES)
		return;
	attrset(attr);
	mvhline(y, x, ' ', w);
	attrset(A_NORMAL);
}

int draw_textn(int y, int x, int w, const char *s, size_t len, attr_t attr)
{
	if (w <= 0 || y < 0 || y >= LINES || x >= COLS)
		return 0;
	if (x + w > COLS)
		w = COLS - x;
	wchar_t buf[512];
	size_t nb = 0;
	int used = 0;
	const char *p = s, *end = s + len;
	attrset(attr);
	move(y, x);
	while (p < end && *p) {
		unsigned cp = shown_cp(utf8_next(&p, end));
		int cw = wcwidth((wchar_t)cp);
		if (cw < 0) {
			cp = g_utf8 ? 0xFFFD : '?';
			cw = 1;
		}
		if (cw == 0 && nb == 0)
			continue; /* a combining mark with nothing to join */
		if (used + cw > w)
			break;
		buf[nb++] = (wchar_t)cp;
		used += cw;
		if (nb >= ARRAY_SIZE(buf) - 1) {
			addnwstr(buf, (int)nb);
			nb = 0;
		}
	}
	if (nb)
		addnwstr(buf, (int)nb);
	attrset(A_NORMAL);
	return used;
}

int draw_text(int y, int x, int w, const char *s, attr_t attr)
{
	return s ? draw_textn(y, x, w, s, strlen(s), attr) : 0;
}
