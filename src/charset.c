/* charset.c - see charset.h. */
#include "charset.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"

#define REPLACEMENT "\xEF\xBF\xBD"
#define LABEL_MAX 40

/* Length of the well-formed UTF-8 sequence at s, or 0. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	uint32_t cp;
	return utf8_decode_strict((const char *)s, len, &cp);
}

bool charset_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(p + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* Append valid UTF-8 as is and each bad byte as U+FFFD; true if any was bad. */
static bool utf8_repair(const char *in, size_t len, struct strbuf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	bool bad = false;
	size_t run = 0; /* in[run..i) is valid, copied in one go */
	for (size_t i = 0; i < len;) {
		size_t n = p[i] < 0x80 ? 1 : utf8_seq(p + i, len - i);
		if (n == 0) {
			strbuf_add(out, in + run, i - run);
			strbuf_adds(out, REPLACEMENT);
			bad = true;
			i++;
			run = i;
		} else {
			i += n;
		}
	}
	strbuf_add(out, in + run, len - run);
	return bad;
}

/* windows-1252 0x80..0x9F; 0 marks the five unassigned bytes. */
static const unsigned short cp1252_high[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/* windows-1252 without iconv: it is the fallback for everything. */
static bool cp1252_to_utf8(const char *in, size_t len, struct strbuf *out)
{
	bool bad = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		unsigned cp = c;
		if (c >= 0x80 && c <= 0x9F)
			cp = cp1252_high[c - 0x80];
		if (cp == 0 && c != 0) {
			strbuf_adds(out, REPLACEMENT);
			bad = true;
		} else {
			utf8_put(out, cp);
		}
	}
	return bad;
}

/* Byte by byte, so that a header mixing raw UTF-8 and raw latin-1 (seen
 * in the wild) reads right in both halves. */
void charset_raw_to_utf8(const char *in, size_t len, struct strbuf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	if (charset_utf8_valid(in, len)) {
		strbuf_add(out, in, len);
		return;
	}
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(p + i, len - i);
		if (n == 0) {
			cp1252_to_utf8(in + i, 1, out);
			n = 1;
		} else {
			strbuf_add(out, in + i, n);
		}
		i += n;
	}
}

enum canon { CANON_ICONV, CANON_UTF8, CANON_RAW, CANON_CP1252, CANON_BAD };

struct alias {
	const char *label;
	enum canon kind;
	const char *iconv_name;
};

/* Mislabels seen in real mail, mapped the way browsers (WHATWG) do. */
static const struct alias aliases[] = {
	{ "utf-8", CANON_UTF8, NULL },          { "utf8", CANON_UTF8, NULL },
	{ "unicode-1-1-utf-8", CANON_UTF8, NULL }, { "us-ascii", CANON_RAW, NULL },
	{ "ascii", CANON_RAW, NULL },           { "ansi_x3.4-1968", CANON_RAW, NULL },
	{ "unknown-8bit", CANON_RAW, NULL },    { "x-unknown", CANON_RAW, NULL },
	{ "x-user-defined", CANON_RAW, NULL },  { "iso-8859-1", CANON_CP1252, NULL },
	{ "iso8859-1", CANON_CP1252, NULL },    { "iso_8859-1", CANON_CP1252, NULL },
	{ "latin1", CANON_CP1252, NULL },       { "l1", CANON_CP1252, NULL },
	{ "windows-1252", CANON_CP1252, NULL }, { "cp1252", CANON_CP1252, NULL },
	{ "gb2312", CANON_ICONV, "GB18030" },   { "gbk", CANON_ICONV, "GB18030" },
	{ "x-gbk", CANON_ICONV, "GB18030" },    { "ks_c_5601-1987", CANON_ICONV, "CP949" },
	{ "euc-kr", CANON_ICONV, "CP949" },     { "iso-8859-8-i", CANON_ICONV, "ISO-8859-8" },
	{ "shift-jis", CANON_ICONV, "SHIFT_JIS" }, { "x-sjis", CANON_ICONV, "SHIFT_JIS" },
	{ "windows-874", CANON_ICONV, "CP874" }, { "tis-620", CANON_ICONV, "CP874" },
};

/* Only [A-Za-z0-9._:+-] reaches iconv_open: no "//" suffixes, no paths. */
static bool label_plausible(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > LABEL_MAX)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:+-") == n;
}

static enum canon canon(const char *label, const char **iconv_name)
{
	*iconv_name = label;
	if (label == NULL || *label == '\0')
		return CANON_RAW;
	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++)
		if (strcasecmp(label, aliases[i].label) == 0) {
			if (aliases[i].iconv_name)
				*iconv_name = aliases[i].iconv_name;
			return aliases[i].kind;
		}
	return label_plausible(label) ? CANON_ICONV : CANON_BAD;
}

/* Run iconv over the whole input; invalid or truncated input becomes
 * U+FFFD and conversion goes on.  Returns true if anything was replaced.
 * Every round either fills the output buffer or skips a byte, so it ends. */
static bool iconv_all(iconv_t cd, const char *in, size_t len, struct strbuf *out)
{
	char buf[4096];
	char *ip = (char *)in;
	size_t ileft = len;
	bool bad = false;
	while (ileft > 0) {
		char *op = buf;
		size_t oleft = sizeof(buf);
		size_t r = iconv(cd, &ip, &ileft, &op, &oleft);
		int err = errno;
		strbuf_add(out, buf, sizeof(buf) - oleft);
		if (r != (size_t)-1 || err == E2BIG)
			continue;
		strbuf_adds(out, REPLACEMENT); /* EILSEQ, or EINVAL at the end */
		bad = true;
		if (ileft > 0) {
			ip++;
			ileft--;
		}
	}
	char *op = buf;
	size_t oleft = sizeof(buf);
	iconv(cd, NULL, NULL, &op, &oleft); /* back to the initial shift state */
	strbuf_add(out, buf, sizeof(buf) - oleft);
	return bad;
}

enum charset_status charset_to_utf8(const char *charset, const char *in, size_t len,
				    struct strbuf *out)
{
	const char *name;
	switch (canon(charset, &name)) {
	case CANON_RAW:
		charset_raw_to_utf8(in, len, out);
		return CHARSET_OK;
	case CANON_UTF8:
		return utf8_repair(in, len, out) ? CHARSET_REPLACED : CHARSET_OK;
	case CANON_CP1252:
		return cp1252_to_utf8(in, len, out) ? CHARSET_REPLACED : CHARSET_OK;
	case CANON_BAD:
		charset_raw_to_utf8(in, len, out);
		return CHARSET_UNKNOWN;
	case CANON_ICONV:
		break;
	}
	iconv_t cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1) {
		charset_raw_to_utf8(in, len, out);
		return CHARSET_UNKNOWN;
	}
	bool bad = iconv_all(cd, in, len, out);
	iconv_close(cd);
	return bad ? CHARSET_REPLACED : CHARSET_OK;
}

char *charset_label_for_display(const char *charset)
{
	struct strbuf b;
	strbuf_init(&b);
	for (const char *p = charset ? charset : ""; *p && b.len < LABEL_MAX; p++)
		strbuf_addc(&b, (*p > 0x20 && *p < 0x7F) ? *p : '?');
	return strbuf_detach(&b);
}
