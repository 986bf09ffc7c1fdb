/*
 * gencorpus — deterministic Maildir test-corpus generator for muttlike.
 *
 * Writes realistic (and, with --hostile, deliberately nasty) mail into
 * Maildir folders.  Output depends only on the command-line arguments:
 * the same seed and options give byte-identical files with identical
 * names.  Only libc is used; see tests/tools/README.md for the options.
 *
 * Layout of this file, top to bottom:
 *   errors, byte buffers, PRNG, dates
 *   charsets (UTF-8 -> legacy charsets), RFC 2047 / 2231 encoders,
 *   header folding, transfer encodings (QP, base64)
 *   data tables (people, sentences, subjects, attachments)
 *   body model + renderers (plain, flowed, long lines, HTML)
 *   MIME entities (text, html, attachments, forwards)
 *   message assembly, hostile messages, CLI and main loop
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define LIT(s) (s), (sizeof(s) - 1)

/* ======================================================================
 * Errors
 * ====================================================================== */

static const char USAGE[] =
	"usage: gencorpus [--seed N] [--count N] [--folders LIST] "
	"[--one-folder NAME] [--attach-rate PCT] [--html-rate PCT] "
	"[--max-size BYTES] [--hostile] [--stats] [--verbose] "
	"[--manifest FILE] OUTDIR";

/* Bad arguments: one line on stderr and exit 2, as the test rig expects. */
static void usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("gencorpus: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; %s\n", USAGE);
	exit(2);
}

/* I/O failure: name the path so a failing test log is actionable. */
static void die_io(const char *what, const char *path)
{
	fprintf(stderr, "gencorpus: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

/* Allocation failure is not recoverable for a batch tool. */
static void die_oom(void)
{
	fputs("gencorpus: out of memory\n", stderr);
	exit(1);
}

/* ======================================================================
 * Growable byte buffers — every message is built in memory, then written
 * with a single write(2), which keeps 100k-message runs fast.
 * ====================================================================== */

struct buf {
	char *p;
	size_t len, cap;
};

/* Ensures room for `extra` more bytes, doubling so appends are O(1). */
static void buf_need(struct buf *b, size_t extra)
{
	if (b->cap - b->len > extra)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len <= extra)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p)
		die_oom();
	b->p = p;
	b->cap = cap;
}

/* Appends raw bytes (may contain NULs — hostile messages need that). */
static void buf_add(struct buf *b, const void *s, size_t n)
{
	if (n == 0)
		return;
	buf_need(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* Appends a C string. */
static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Appends one byte. */
static void buf_ch(struct buf *b, char c)
{
	buf_need(b, 1);
	b->p[b->len++] = c;
}

/* Appends `n` copies of byte `c` (huge hostile headers). */
static void buf_rep(struct buf *b, char c, size_t n)
{
	buf_need(b, n);
	memset(b->p + b->len, c, n);
	b->len += n;
}

/* printf into the buffer; tries in place first, grows once if needed. */
__attribute__((format(printf, 2, 3)))
static void buf_fmt(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	buf_need(b, 256);
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		die_oom();
	if ((size_t)n >= b->cap - b->len) {
		buf_need(b, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* Makes the buffer a NUL-terminated C string without changing len. */
static const char *buf_cstr(struct buf *b)
{
	buf_need(b, 1);
	b->p[b->len] = '\0';
	return b->p;
}

/* ======================================================================
 * PRNG — splitmix64.  Each message gets its own stream derived from
 * (seed, index), so messages don't depend on each other's random draws.
 * ====================================================================== */

struct rng {
	uint64_t s;
};

/* splitmix64 finaliser: a good 64-bit mixing function. */
static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Next 64 random bits. */
static uint64_t rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	uint64_t z = r->s;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform integer in [0, n) without modulo bias worth caring about. */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform integer in [lo, hi]. */
static uint32_t rng_range(struct rng *r, uint32_t lo, uint32_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

/* True with probability pct/100. */
static int rng_pct(struct rng *r, unsigned pct)
{
	return rng_below(r, 100) < pct;
}

#define PICK(r, arr) ((arr)[rng_below((r), (uint32_t)NELEM(arr))])

/* Fills n pseudo-random bytes (attachment payloads). */
static void rng_bytes(struct rng *r, unsigned char *p, size_t n)
{
	while (n >= 8) {
		uint64_t v = rng_next(r);
		memcpy(p, &v, 8);
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = rng_next(r);
		memcpy(p, &v, n);
	}
}

/* ======================================================================
 * Dates (RFC 5322), computed from a seed-derived epoch, never from now.
 * ====================================================================== */

/* Formats `t` shown in a zone `tzmin` minutes east of UTC; `style`
 * varies zero-padding and zone comments like real clients do. */
static void put_date(struct buf *b, int64_t t, int tzmin, unsigned style)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t lt = (time_t)(t + (int64_t)tzmin * 60);
	struct tm tm;
	gmtime_r(&lt, &tm);
	int a = tzmin < 0 ? -tzmin : tzmin;
	buf_fmt(b, style & 1 ? "%s, %d %s %d %02d:%02d:%02d %c%02d%02d"
			     : "%s, %02d %s %d %02d:%02d:%02d %c%02d%02d",
		wd[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
		tm.tm_hour, tm.tm_min, tm.tm_sec, tzmin < 0 ? '-' : '+', a / 60, a % 60);
	if ((style & 6) == 6 && tzmin == 0)
		buf_str(b, " (UTC)");
}

/* ======================================================================
 * Charsets.  Text is authored in UTF-8 and converted to the legacy
 * charset only when every character fits, so declared charsets are
 * always truthful.
 * ====================================================================== */

enum charset { CS_UTF8, CS_LATIN1, CS_LATIN9, CS_CP1252, CS_KOI8R, CS_ASCII, CS_N };

static const char *const cs_lower[CS_N] = {
	"utf-8", "iso-8859-1", "iso-8859-15", "windows-1252", "koi8-r", "us-ascii"
};
static const char *const cs_upper[CS_N] = {
	"UTF-8", "ISO-8859-1", "ISO-8859-15", "Windows-1252", "KOI8-R", "US-ASCII"
};

/* Decodes one UTF-8 sequence at s; returns its length (1 with U+FFFD
 * for malformed input, which never occurs in our own tables). */
static size_t utf8_dec(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (c >= 0x80 && c < 0xc0)
		len = 0;
	if (len == 0 || len > n) {
		*cp = 0xfffd;
		return 1;
	}
	uint32_t v = len == 1 ? c : len == 2 ? (c & 0x1fu) : len == 3 ? (c & 0x0fu) : (c & 0x07u);
	for (size_t i = 1; i < len; i++)
		v = (v << 6) | (s[i] & 0x3fu);
	*cp = v;
	return len;
}

/* Windows-1252 0x80..0x9F (0 = unassigned). */
static const uint16_t cp1252_hi[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

/* ISO-8859-15 differs from Latin-1 at exactly these eight positions. */
static const struct { unsigned char byte; uint16_t cp; } latin9_diff[8] = {
	{ 0xa4, 0x20ac }, { 0xa6, 0x0160 }, { 0xa8, 0x0161 }, { 0xb4, 0x017d },
	{ 0xb8, 0x017e }, { 0xbc, 0x0152 }, { 0xbd, 0x0153 }, { 0xbe, 0x0178 },
};

/* KOI8-R lower-case letters at 0xC0..0xDF (upper case = these - 0x20
 * at 0xE0..0xFF); the odd order is the charset's, not a typo. */
static const uint16_t koi8_lower[32] = {
	0x044e, 0x0430, 0x0431, 0x0446, 0x0434, 0x0435, 0x0444, 0x0433,
	0x0445, 0x0438, 0x0439, 0x043a, 0x043b, 0x043c, 0x043d, 0x043e,
	0x043f, 0x044f, 0x0440, 0x0441, 0x0442, 0x0443, 0x0436, 0x0432,
	0x044c, 0x044b, 0x0437, 0x0448, 0x044d, 0x0449, 0x0447, 0x044a,
};

/* Maps a code point to its byte in a single-byte charset, -1 if absent. */
static int cs_byte(enum charset cs, uint32_t c)
{
	if (c < 0x80)
		return (int)c;
	switch (cs) {
	case CS_LATIN1:
		return c < 0x100 ? (int)c : -1;
	case CS_LATIN9:
		for (size_t i = 0; i < NELEM(latin9_diff); i++) {
			if (latin9_diff[i].cp == c)
				return latin9_diff[i].byte;
			if (latin9_diff[i].byte == c)
				return -1;
		}
		return c < 0x100 ? (int)c : -1;
	case CS_CP1252:
		if (c >= 0xa0 && c < 0x100)
			return (int)c;
		for (int i = 0; i < 32; i++)
			if (cp1252_hi[i] == c)
				return 0x80 + i;
		return -1;
	case CS_KOI8R:
		if (c == 0x0451)
			return 0xa3; /* ё */
		if (c == 0x0401)
			return 0xb3; /* Ё */
		for (int i = 0; i < 32; i++) {
			if (koi8_lower[i] == c)
				return 0xc0 + i;
			if (koi8_lower[i] - 0x20 == (int)c)
				return 0xe0 + i;
		}
		return -1;
	default:
		return -1;
	}
}

/* Appends `utf8` converted to `cs`; returns -1 (and appends nothing) if
 * some character is not representable. */
static int cs_convert(struct buf *out, const char *utf8, size_t n, enum charset cs)
{
	if (cs == CS_UTF8) {
		buf_add(out, utf8, n);
		return 0;
	}
	size_t mark = out->len;
	const unsigned char *s = (const unsigned char *)utf8;
	buf_need(out, n);
	for (size_t i = 0; i < n;) {
		uint32_t c;
		i += utf8_dec(s + i, n - i, &c);
		int byte = cs == CS_ASCII ? (c < 0x80 ? (int)c : -1) : cs_byte(cs, c);
		if (byte < 0) {
			out->len = mark;
			return -1;
		}
		buf_ch(out, (char)byte);
	}
	return 0;
}

/* True when the text is 7-bit clean. */
static int is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* Picks the charset a client would plausibly use for this text: mostly
 * UTF-8, otherwise one of the legacy charsets the text fits in. */
static enum charset pick_charset(struct rng *r, const char *s, size_t n, struct buf *scratch)
{
	if (is_ascii(s, n))
		return rng_pct(r, 25) ? CS_ASCII : CS_UTF8;
	if (rng_pct(r, 50))
		return CS_UTF8;
	static const enum charset legacy[] = { CS_LATIN1, CS_LATIN9, CS_CP1252, CS_KOI8R };
	enum charset fits[NELEM(legacy)];
	unsigned nfit = 0;
	for (size_t i = 0; i < NELEM(legacy); i++) {
		scratch->len = 0;
		if (cs_convert(scratch, s, n, legacy[i]) == 0)
			fits[nfit++] = legacy[i];
	}
	return nfit ? fits[rng_below(r, nfit)] : CS_UTF8;
}

/* ======================================================================
 * Header writing with folding at 78 columns.
 * Tokens are joined by one space, or by "\n " when the line would get
 * too long; unfolding therefore restores the original single space.
 * ====================================================================== */

struct hdr {
	struct buf *b;
	size_t col;
	int empty;
};

/* Starts "Name:". */
static void hdr_begin(struct hdr *h, struct buf *b, const char *name)
{
	h->b = b;
	h->empty = 1;
	buf_str(b, name);
	buf_ch(b, ':');
	h->col = strlen(name) + 1;
}

/* Adds one unbreakable token, folding before it if needed. */
static void hdr_tok(struct hdr *h, const char *t, size_t n)
{
	if (!h->empty && h->col + 1 + n > 78) {
		buf_str(h->b, "\n ");
		h->col = 1;
	} else {
		buf_ch(h->b, ' ');
		h->col++;
	}
	buf_add(h->b, t, n);
	h->col += n;
	h->empty = 0;
}

/* Adds plain text, one token per space-separated word. */
static void hdr_text(struct hdr *h, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != ' ')
			j++;
		if (j > i)
			hdr_tok(h, s + i, j - i);
		i = j + 1;
	}
}

/* Ends the header line. */
static void hdr_end(struct hdr *h)
{
	buf_ch(h->b, '\n');
}

/* ======================================================================
 * RFC 2047 encoded-words.
 * ====================================================================== */

/* Length of the character starting at s in charset cs; encoded-words
 * must never split a multi-byte character. */
static size_t cs_charlen(const unsigned char *s, size_t n, enum charset cs)
{
	if (cs != CS_UTF8)
		return 1;
	uint32_t c;
	size_t l = utf8_dec(s, n, &c);
	return l;
}

/* Bytes that may appear literally in a Q-encoded word inside a phrase. */
static int q_literal(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

static const char b64_tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Appends the raw base64 of n bytes (no line breaks) to a char array. */
static size_t b64_raw(char *out, const unsigned char *s, size_t n)
{
	size_t o = 0, i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		out[o++] = b64_tbl[v >> 18];
		out[o++] = b64_tbl[(v >> 12) & 63];
		out[o++] = b64_tbl[(v >> 6) & 63];
		out[o++] = b64_tbl[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
		out[o++] = b64_tbl[v >> 18];
		out[o++] = b64_tbl[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64_tbl[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	return o;
}

/* Appends the Q encoding of n bytes to a char array. */
static size_t q_raw(char *out, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (q_literal(s[i]))
			out[o++] = (char)s[i];
		else if (s[i] == ' ')
			out[o++] = '_';
		else {
			out[o++] = '=';
			out[o++] = hex[s[i] >> 4];
			out[o++] = hex[s[i] & 15];
		}
	}
	return o;
}

/* Encoded length of n bytes under B or Q. */
static size_t ew_payload_len(const unsigned char *s, size_t n, int b64)
{
	if (b64)
		return 4 * ((n + 2) / 3);
	size_t l = 0;
	for (size_t i = 0; i < n; i++)
		l += (q_literal(s[i]) || s[i] == ' ') ? 1 : 3;
	return l;
}

/* Emits bytes (already in charset cs) as a run of encoded-words, each at
 * most 75 characters, split only on character boundaries.  Adjacent
 * encoded-words are separated by folding whitespace, which decoders drop. */
static void hdr_ew(struct hdr *h, const unsigned char *s, size_t n, enum charset cs,
		   int b64, int upper)
{
	const char *label = upper ? cs_upper[cs] : cs_lower[cs];
	size_t maxp = 75 - 7 - strlen(label);
	char tok[96];
	size_t i = 0;
	while (i < n) {
		size_t start = i;
		while (i < n) {
			size_t cl = cs_charlen(s + i, n - i, cs);
			if (i > start && ew_payload_len(s + start, i - start + cl, b64) > maxp)
				break;
			i += cl;
		}
		int k = snprintf(tok, sizeof tok, "=?%s?%c?", label, b64 ? (upper ? 'B' : 'b') : (upper ? 'Q' : 'q'));
		size_t o = (size_t)k;
		o += b64 ? b64_raw(tok + o, s + start, i - start) : q_raw(tok + o, s + start, i - start);
		tok[o++] = '?';
		tok[o++] = '=';
		hdr_tok(h, tok, o);
	}
}

/* Emits UTF-8 text as encoded-words in a charset chosen to fit it. */
static void hdr_ew_text(struct hdr *h, struct rng *r, const char *utf8, size_t n, struct buf *scratch)
{
	enum charset cs = pick_charset(r, utf8, n, scratch);
	if (cs == CS_ASCII)
		cs = CS_UTF8;
	scratch->len = 0;
	cs_convert(scratch, utf8, n, cs);
	hdr_ew(h, (const unsigned char *)scratch->p, scratch->len, cs, rng_pct(r, 50), rng_pct(r, 60));
}

/* Unstructured text (Subject): leading ASCII words stay plain, the rest
 * from the first non-ASCII word on is encoded; a few pure-ASCII values
 * are encoded anyway, as some clients do. */
static void hdr_unstructured(struct hdr *h, struct rng *r, const char *s, size_t n, struct buf *scratch)
{
	size_t i = 0;
	int need = !is_ascii(s, n) || rng_pct(r, 4);
	if (!need) {
		hdr_text(h, s, n);
		return;
	}
	/* find the start of the first word containing a non-ASCII byte */
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != ' ')
			j++;
		if (!is_ascii(s + i, j - i))
			break;
		i = j + 1;
	}
	if (i >= n || rng_pct(r, 20))
		i = 0; /* encode everything */
	if (i > 0)
		hdr_text(h, s, i - 1);
	hdr_ew_text(h, r, s + i, n - i, scratch);
}

/* ======================================================================
 * Transfer encodings for bodies.
 * ====================================================================== */

enum cte { CTE_7BIT, CTE_8BIT, CTE_QP, CTE_B64 };
static const char *const cte_name[] = { "7bit", "8bit", "quoted-printable", "base64" };

/* Base64 with 76-column lines, as RFC 2045 requires. */
static void b64_put(struct buf *out, const unsigned char *s, size_t n)
{
	size_t enc = 4 * ((n + 2) / 3);
	buf_need(out, enc + enc / 76 + 2);
	while (n > 0) {
		size_t chunk = n > 57 ? 57 : n; /* 57 bytes -> 76 chars */
		out->len += b64_raw(out->p + out->len, s, chunk);
		out->p[out->len++] = '\n';
		s += chunk;
		n -= chunk;
	}
}

/* Quoted-printable: hard line breaks kept, soft breaks keep encoded
 * lines at most 76 characters, trailing blanks and 8-bit bytes escaped. */
static void qp_put(struct buf *out, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;
	buf_need(out, n + n / 8 + 16);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c == '\n') {
			buf_ch(out, '\n');
			col = 0;
			continue;
		}
		int eol = i + 1 == n || s[i + 1] == '\n';
		int lit = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !eol);
		size_t w = lit ? 1 : 3;
		if (col + w > (eol ? 76u : 75u)) {
			buf_add(out, "=\n", 2);
			col = 0;
		}
		if (lit) {
			buf_ch(out, (char)c);
		} else {
			char e[3] = { '=', hex[c >> 4], hex[c & 15] };
			buf_add(out, e, 3);
		}
		col += w;
	}
	if (n && s[n - 1] != '\n')
		buf_add(out, "=\n", 2);
}

/* Writes a body in the chosen transfer encoding. */
static void put_body_cte(struct buf *out, const char *s, size_t n, enum cte cte)
{
	if (cte == CTE_QP)
		qp_put(out, (const unsigned char *)s, n);
	else if (cte == CTE_B64)
		b64_put(out, (const unsigned char *)s, n);
	else
		buf_add(out, s, n);
}

/* ======================================================================
 * Data: people.  Index 0 is the mailbox owner.  Names cover ASCII
 * (including ones needing quoting), Latin-1, Latin-9/cp1252-only
 * characters, Cyrillic (KOI8-R-representable and not), Greek, CJK,
 * Korean, RTL scripts and emoji.
 * ====================================================================== */

enum lang { L_EN, L_FR, L_DE, L_ES, L_RU, L_EL, L_JA, L_ZH, L_KO, L_HE, L_AR, L_NLANG };

struct person {
	const char *name; /* UTF-8 display name, "" for a bare address */
	const char *addr;
	enum lang lang;
	short tz; /* minutes east of UTC */
};

#define ME 0
static const struct person people[] = {
	{ "Morgan Tester", "morgan@gencorpus.test", L_EN, 60 },
	{ "Alice Johnson", "alice.johnson@example.com", L_EN, -300 },
	{ "Bob Smith", "bob@example.org", L_EN, -480 },
	{ "O'Brien, Patrick", "pobrien@example.net", L_EN, 0 },
	{ "Dr. Jane R. Doe", "jane.doe@university.example", L_EN, -300 },
	{ "Mike \"Hammer\" Davis", "mike.davis@example.com", L_EN, -360 },
	{ "Carol Martinez", "carol@example.org", L_EN, -420 },
	{ "Dave Lee", "dlee@example.net", L_EN, 600 },
	{ "Eve Thompson", "eve.t@example.com", L_EN, 0 },
	{ "Frank Miller", "frank@ops.example.org", L_EN, 60 },
	{ "Grace Hopper-Walsh", "grace@example.com", L_EN, -240 },
	{ "Henry Wu", "henry.wu@example.net", L_EN, 480 },
	{ "Laura Chen", "laura.chen@example.com", L_EN, -480 },
	{ "", "noreply@notifications.example.com", L_EN, 0 },
	{ "", "ci-bot@ci.example.org", L_EN, 0 },
	{ "Billing Department", "billing@shop.example", L_EN, -300 },
	{ "José García", "jose.garcia@example.es", L_ES, 60 },
	{ "François Lefèvre", "f.lefevre@example.fr", L_FR, 60 },
	{ "Zoë Müller", "zoe.mueller@example.de", L_DE, 60 },
	{ "Jürgen Groß", "juergen@example.de", L_DE, 60 },
	{ "Søren Østergaard", "soren@example.dk", L_EN, 60 },
	{ "Åsa Lindström", "asa.lindstrom@example.se", L_EN, 60 },
	{ "Inês Gonçalves", "ines@example.pt", L_ES, 0 },
	{ "Björn Þórsson", "bjorn@example.is", L_EN, 0 },
	{ "Renée Dubois", "renee.dubois@example.fr", L_FR, 60 },
	{ "Núria Puigdomènech", "nuria@example.cat", L_ES, 60 },
	{ "Šárka Žižková", "sarka@example.cz", L_EN, 60 },
	{ "Jean-Loup Cœurderoy", "jl.coeurderoy@example.fr", L_FR, 60 },
	{ "Tom “Tommy” O’Reilly", "tom.oreilly@example.ie", L_EN, 0 },
	{ "Anna Schmidt – Vertrieb", "anna.schmidt@example.de", L_DE, 60 },
	{ "Иван Петров", "ivan.petrov@example.ru", L_RU, 180 },
	{ "Мария Иванова", "maria@example.ru", L_RU, 180 },
	{ "Алексей Смирнов", "alexey@example.ru", L_RU, 180 },
	{ "Ольга Ёлкина", "olga.yolkina@example.ru", L_RU, 180 },
	{ "Дмитрий Кузнецов", "dkuznetsov@example.ru", L_RU, 420 },
	{ "Тарас Їжакевич", "taras@example.ua", L_RU, 120 },
	{ "Γιώργος Παπαδόπουλος", "giorgos@example.gr", L_EL, 120 },
	{ "Ελένη Νικολάου", "eleni@example.gr", L_EL, 120 },
	{ "山田太郎", "taro.yamada@example.jp", L_JA, 540 },
	{ "佐藤 花子", "hanako.sato@example.jp", L_JA, 540 },
	{ "鈴木 一郎", "ichiro@example.jp", L_JA, 540 },
	{ "王小明", "xiaoming.wang@example.cn", L_ZH, 480 },
	{ "李娜", "li.na@example.cn", L_ZH, 480 },
	{ "陈伟", "chen.wei@example.tw", L_ZH, 480 },
	{ "김민준", "minjun.kim@example.kr", L_KO, 540 },
	{ "דוד כהן", "david.cohen@example.il", L_HE, 120 },
	{ "محمد علي", "m.ali@example.eg", L_AR, 120 },
	{ "प्रिया शर्मा", "priya@example.in", L_EN, 330 },
	{ "สมชาย ใจดี", "somchai@example.th", L_EN, 420 },
	{ "Sam 🚀 Rivera", "sam.rivera@example.com", L_EN, -420 },
	{ "🌸 Sakura Team", "team@sakura.example", L_JA, 540 },
	{ "Pat 🐙", "pat@example.org", L_EN, -300 },
	{ "Kai ✨ Nakamura", "kai@example.net", L_EN, -600 },
	{ "Nguyễn Văn An", "an.nguyen@example.vn", L_EN, 420 },
	{ "Łukasz Wiśniewski", "lukasz@example.pl", L_EN, 60 },
	{ "Ayşe Yılmaz", "ayse@example.com.tr", L_EN, 180 },
	{ "Priscila Araújo", "priscila@example.br", L_ES, -180 },
	{ "Olivier Hœrner", "olivier@example.fr", L_FR, 60 },
	{ "Ramesh 🙏 Iyer", "ramesh@example.in", L_EN, 330 },
	{ "Helpdesk", "helpdesk@it.example.com", L_EN, 0 },
};
#define NPEOPLE ((uint32_t)NELEM(people))

/* ======================================================================
 * Data: body sentences per language.
 * ====================================================================== */

static const char *const s_en[] = {
	"Thanks for sending this over so quickly.",
	"I had a look at the numbers and they mostly match what we expected.",
	"Could you double-check the figures in the second table before Friday?",
	"The build on the main branch has been failing since yesterday afternoon.",
	"Let's discuss this in the next team meeting rather than over email.",
	"I've attached the latest version of the document for your review.",
	"The deadline has moved to the end of the month, which gives us a bit more room.",
	"Please let me know if anything is unclear.",
	"We should probably loop in the infrastructure team as well.",
	"I agree with most of your points, but I am not sure about the third one.",
	"The migration script ran without errors on the staging server.",
	"Can we move the call to Thursday at 3pm?",
	"Here is a short summary of what we decided.",
	"I will be out of office next week with limited access to email.",
	"The customer reported that the issue only happens with large attachments.",
	"Memory usage went down by about 30% after the last patch.",
	"I pushed a fix to the review branch; it needs another pair of eyes.",
	"Sorry for the late reply, this got buried in my inbox.",
	"Do we have a test case that reproduces this reliably?",
	"The new layout looks great on small terminals too.",
	"I suspect the parser is confused by the folded header.",
	"Budget approval is still pending with finance.",
	"We could also cache the decoded headers to speed up the index view.",
	"Looking forward to seeing everyone at the offsite.",
	"The conference room on the third floor is booked for the whole day.",
	"Just a quick reminder that timesheets are due today.",
	"I ran the benchmark again with a cold cache and got similar results.",
	"Feel free to forward this to anyone who might be interested.",
	"This looks good to me, ship it.",
	"The vendor promised a new firmware release by the end of the quarter.",
	"Unfortunately the printer on the second floor is broken again.",
	"I think we need a clearer policy on who owns the release notes.",
	"Let me know what time works best for you.",
	"The logs show a timeout after exactly thirty seconds.",
	"We have been seeing intermittent failures in the integration tests.",
	"Happy to help if you need more hands on this.",
	"The draft contract needs a signature from both parties.",
	"I've updated the wiki page with the new instructions, see https://wiki.example.com/Team/Onboarding#setup for details.",
	"Could you send me the raw data as well?",
	"Full log: https://ci.example.org/job/muttlike-nightly/builds/20231114.3/artifacts/logs/integration-tests/run-7/stderr.txt",
	"Totals: 1,204 items processed, 17 skipped, 3 failed (0.25%).",
	"The quick brown fox jumps over the lazy dog; the lazy dog doesn't seem to mind.",
};
static const char *const s_fr[] = {
	"Merci beaucoup pour votre réponse rapide.",
	"Je vous envoie le compte rendu de la réunion de mardi.",
	"Pourriez-vous vérifier les chiffres avant vendredi ?",
	"Le déjeuner est prévu à midi et demi au café d'en face.",
	"Nous avons déjà reçu la facture, elle sera réglée la semaine prochaine.",
	"À bientôt, et bonne fin de journée !",
	"Les résultats préliminaires sont très encourageants.",
	"Je suis d'accord avec l'idée générale, mais il faut préciser le calendrier.",
	"Le cœur du problème reste la migration des données.",
};
static const char *const s_de[] = {
	"Vielen Dank für die schnelle Rückmeldung.",
	"Anbei die überarbeitete Version des Angebots.",
	"Können wir den Termin auf nächste Woche verschieben?",
	"Die Größe der Datei überschreitet leider das Limit.",
	"Ich bin ab Montag wieder im Büro erreichbar.",
	"Schöne Grüße aus München und ein erholsames Wochenende.",
	"Die Änderungen sind im Repository eingecheckt.",
	"Der Preis beträgt 1.250 € zzgl. MwSt.",
};
static const char *const s_es[] = {
	"Muchas gracias por la información.",
	"¿Podemos hablar mañana por la mañana?",
	"Adjunto el presupuesto actualizado para el año próximo.",
	"La reunión se canceló por problemas técnicos.",
	"Saludos cordiales desde Valencia.",
	"La configuração do servidor já está concluída.",
};
static const char *const s_ru[] = {
	"Спасибо за быстрый ответ.",
	"Прикладываю отчёт за третий квартал.",
	"Давайте обсудим это на встрече в четверг.",
	"Сборка на основной ветке снова падает.",
	"Я посмотрел изменения, в целом всё хорошо.",
	"Ёлка в офисе уже стоит, приходите на праздник!",
	"Пожалуйста, проверьте цифры во второй таблице.",
	"Съешь же ещё этих мягких французских булок да выпей чаю.",
};
static const char *const s_el[] = {
	"Ευχαριστώ πολύ για την άμεση απάντηση.",
	"Σας στέλνω τα πρακτικά της συνάντησης.",
	"Μπορούμε να μεταφέρουμε τη συνάντηση την Πέμπτη;",
	"Ο προϋπολογισμός δεν έχει εγκριθεί ακόμα.",
	"Καλό Σαββατοκύριακο σε όλους!",
};
static const char *const s_ja[] = {
	"お疲れ様です。",
	"会議の議事録を添付いたします。",
	"来週の打ち合わせの日程をご確認ください。",
	"ご確認のほど、よろしくお願いいたします。",
	"ビルドが昨日から失敗しています。",
	"資料は共有フォルダにアップロードしました。",
};
static const char *const s_zh[] = {
	"谢谢你的快速回复。",
	"附件是最新版本的项目计划。",
	"我们下周三下午开会讨论这个问题。",
	"测试环境已经部署完成。",
	"请在周五之前确认预算。",
};
static const char *const s_ko[] = {
	"빠른 답변 감사합니다.",
	"회의록을 첨부합니다.",
	"다음 주 일정 확인 부탁드립니다.",
};
static const char *const s_he[] = {
	"תודה רבה על התשובה המהירה.",
	"מצורף הדוח הרבעוני.",
};
static const char *const s_ar[] = {
	"شكرا جزيلا على الرد السريع.",
	"مرفق التقرير الفصلي.",
};
static const char *const s_emoji[] = {
	"Great work everyone! 🎉",
	"Coffee is on me ☕",
	"Shipping it 🚀",
	"Thanks a lot! 🙏",
};

struct pool {
	const char *const *s;
	uint32_t n;
	int spaced; /* scripts that separate sentences with a space */
};
#define POOL(a, sp) { a, (uint32_t)NELEM(a), sp }
static const struct pool pools[L_NLANG] = {
	POOL(s_en, 1), POOL(s_fr, 1), POOL(s_de, 1), POOL(s_es, 1), POOL(s_ru, 1), POOL(s_el, 1),
	POOL(s_ja, 0), POOL(s_zh, 0), POOL(s_ko, 1), POOL(s_he, 1), POOL(s_ar, 1),
};

/* Greeting / closing / attribution formats per language (%s = name). */
static const char *const greet[L_NLANG] = {
	"Hi %s,", "Bonjour %s,", "Hallo %s,", "Hola %s:", "Привет, %s!", "Γεια σου %s,",
	"%sさん", "%s，你好：", "%s님, 안녕하세요.", "שלום %s,", "مرحبا %s،",
};
static const char *const closing[L_NLANG] = {
	"Thanks,", "Cordialement,", "Viele Grüße", "Saludos,", "С уважением,", "Με εκτίμηση,",
	"よろしくお願いします。", "谢谢！", "감사합니다.", "בברכה,", "مع التحية،",
};

static const char *const sig_lines[] = {
	"Senior Engineer, Example Corp", "+1 555 0100 ext. 42", "https://www.example.com/",
	"Sent from my phone, please excuse typos.", "PGP: 0x1234 ABCD 5678 EF90",
	"\"Simplicity is prerequisite for reliability.\"", "Example GmbH · Musterstraße 1 · 80331 München",
	"Head of Operations", "This email and any attachments are confidential.",
};

/* ======================================================================
 * Data: subjects.  A thread's subject is rebuilt from a 64-bit seed so
 * replies can reproduce their root's subject without storing strings.
 * ====================================================================== */

static const char *const subjects[] = {
	"Quarterly report", "Meeting notes from Tuesday", "Lunch on Friday?",
	"Build failure on main", "[PATCH v3 2/7] parser: handle folded headers",
	"Invitation: design review @ Wed 14:00", "Your invoice is ready", "Offsite agenda",
	"Question about the API rate limits", "Release checklist for 2.4", "Out of office",
	"Welcome to the team!", "Server maintenance this weekend", "Expense report approval needed",
	"Flaky test in CI", "Draft: customer newsletter", "Password expiry notice",
	"Slides for tomorrow", "Holiday schedule", "Security advisory: update required",
	"Résumé de la réunion", "Grüße aus München", "Über die Änderungen im Vertrag",
	"Café à 15h ?", "Año nuevo, presupuesto nuevo", "Smörgåsbord på fredag",
	"Prix en € pour 2024", "Œuvres complètes, édition révisée", "“Smart quotes” in the newsletter",
	"Budget – final version", "Отчёт за квартал", "Встреча в четверг", "Привет!",
	"Ёлка в офисе", "Συνάντηση την Πέμπτη", "Προϋπολογισμός 2024", "会議の議事録",
	"来週の予定について", "项目进度更新", "회의 일정", "🎉 Release 2.0 is out!", "Coffee? ☕",
	"Lunch poll 🍕🍣", "עדכון פרויקט", "تحديث المشروع", "Zażółć gęślą jaźń",
	"Follow-up on the discussion about migrating the storage backend to the new cluster and what it means for the nightly batch jobs",
	"Summary of action items from the planning meeting, including owners, deadlines, and open questions that still need an answer",
};

/* Rebuilds a thread's base subject from its seed. */
static void subject_base(struct buf *out, uint64_t seed)
{
	struct rng r = { seed };
	unsigned kind = rng_below(&r, 100);
	buf_str(out, PICK(&r, subjects));
	if (kind < 10) {
		buf_fmt(out, " (#%u)", rng_range(&r, 100, 99999));
	} else if (kind < 18) {
		buf_str(out, " / ");
		buf_str(out, PICK(&r, subjects));
		buf_str(out, " / ");
		buf_str(out, PICK(&r, subjects));
	} else if (kind < 22) {
		buf_fmt(out, " [ticket-%u]", rng_range(&r, 1000, 9999));
	}
}

/* ======================================================================
 * Data: attachments — right magic header, pseudo-random content,
 * realistic file names (some non-ASCII) and log-spread sizes.
 * ====================================================================== */

static const char *const n_pdf[] = {
	"report-Q3.pdf", "Rechnung_2023-11.pdf", "Übersicht März.pdf", "Счёт-фактура 42.pdf",
	"見積書.pdf", "contract (signed).pdf",
	"very long filename for the annual budget planning meeting minutes final v2.pdf",
	"Προσφορά.pdf", "résumé_français_très_long_nom_de_fichier_avec_accents_é_è_ê.pdf",
};
static const char *const n_png[] = {
	"screenshot.png", "IMG_2041.png", "Снимок экрана.png", "スクリーンショット 2023-10-01.png",
	"diagram 🚀.png", "chart.png",
};
static const char *const n_jpg[] = {
	"photo.jpg", "DSC_0042.JPG", "Ελλάδα 2023.jpg", "holiday-beach.jpeg", "café.jpg",
};
static const char *const n_zip[] = {
	"logs.zip", "project-backup.zip", "données_brutes.zip", "资料.zip",
};
static const char *const n_xlsx[] = {
	"budget.xlsx", "Kostenübersicht.xlsx", "timesheet-week-45.xlsx",
};
static const char *const n_bin[] = {
	"firmware.bin", "core.dump", "data.dat",
};

struct atype {
	const char *mime;
	const char *magic;
	size_t mlen;
	const char *tail;
	size_t tlen;
	unsigned lo_kb, octaves; /* size is lo_kb * 2^k * (1..2) KiB, k < octaves */
	const char *const *names;
	uint32_t nnames;
};

#define ANAMES(a) a, (uint32_t)NELEM(a)
static const struct atype atypes[] = {
	{ "application/pdf", LIT("%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"), LIT("\n%%EOF\n"), 10, 5, ANAMES(n_pdf) },
	{ "image/png", LIT("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
	  LIT("\0\0\0\0IEND\xae\x42\x60\x82"), 4, 6, ANAMES(n_png) },
	{ "image/jpeg", LIT("\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01"), LIT("\xff\xd9"), 20, 4, ANAMES(n_jpg) },
	{ "application/zip", LIT("PK\x03\x04\x14\0\0\0\x08\0"),
	  LIT("PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), 6, 6, ANAMES(n_zip) },
	{ "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	  LIT("PK\x03\x04\x14\0\x06\0"), LIT("PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), 8, 3, ANAMES(n_xlsx) },
	{ "application/octet-stream", LIT("\x7f" "ELF\x02\x01\x01\0"), LIT(""), 2, 5, ANAMES(n_bin) },
};

/* Draws an attachment size: log-spread, biased toward the small end. */
static size_t attach_size(struct rng *r, const struct atype *t)
{
	unsigned k1 = rng_below(r, t->octaves), k2 = rng_below(r, t->octaves);
	unsigned k = k1 < k2 ? k1 : k2;
	size_t base = (size_t)t->lo_kb * 1024u << k;
	return base + rng_below(r, (uint32_t)base);
}

/* Encoded size of n bytes in base64 with line breaks. */
static size_t b64_size(size_t n)
{
	size_t e = 4 * ((n + 2) / 3);
	return e + (e + 75) / 76;
}

/* ======================================================================
 * Options, folders and per-message metadata.
 * ====================================================================== */

#define MAX_FOLDERS 64
#define RING 32
#define MAX_DEPTH 8
#define NO_PARENT UINT32_MAX
#define MAX_COUNT 10000000UL

struct opts {
	uint64_t seed;
	unsigned long count;
	unsigned attach_rate, html_rate;
	size_t max_size; /* 0 = unlimited */
	int hostile, stats, verbose;
	const char *folders, *one_folder, *outdir, *manifest;
};

struct folder {
	char name[256];  /* as given, e.g. "Lists/dev" */
	char list[64];   /* list short name for folders under Lists/, else "" */
	int sent;        /* messages here are from the owner */
	unsigned weight; /* relative share of messages */
	unsigned long n; /* messages written (for --stats) */
	uint32_t ring[RING];
	unsigned ring_n, ring_pos; /* recent messages, candidates for replies */
};

struct meta {
	int64_t time;
	uint64_t subj;   /* seed of the thread's base subject */
	uint32_t parent; /* NO_PARENT for thread roots */
	uint16_t from;
	uint8_t depth, folder, tag_folder; /* tag_folder: folder of the root */
};

struct block {
	uint32_t off, len;
	uint8_t level, kind, tight;
};
enum { B_PARA, B_VERB };
#define MAX_BLOCKS 48

/* A body as structured blocks, so the same content can be rendered as
 * wrapped text, format=flowed, long lines or HTML. */
struct body {
	struct buf text;
	struct block b[MAX_BLOCKS];
	unsigned n;
};

struct gen {
	struct opts o;
	struct folder f[MAX_FOLDERS];
	unsigned nf, inbox;
	struct meta *meta;
	int64_t epoch, span;
	struct body body;
	struct buf msg, render, conv, scratch, blob, path, subj, subj2;
	unsigned long long total_bytes, normal_bytes;
	unsigned long files, hostile_in_inbox; /* hostile_in_inbox: when INBOX isn't a --folders entry */
	FILE *manifest;
};

/* ======================================================================
 * Body model.
 * ====================================================================== */

/* Clears the body for a new message. */
static void body_reset(struct body *bd)
{
	bd->text.len = 0;
	bd->n = 0;
}

/* Opens a block; text appended to bd->text until blk_end belongs to it.
 * Bodies are built with well under MAX_BLOCKS blocks; extra ones merge
 * into the last block rather than overflow. */
static void blk_begin(struct body *bd, int kind, int level, int tight)
{
	if (bd->n == MAX_BLOCKS)
		return;
	struct block *b = &bd->b[bd->n];
	b->off = (uint32_t)bd->text.len;
	b->kind = (uint8_t)kind;
	b->level = (uint8_t)level;
	b->tight = (uint8_t)tight;
}

/* Closes the block opened by blk_begin. */
static void blk_end(struct body *bd)
{
	if (bd->n == MAX_BLOCKS) {
		bd->b[MAX_BLOCKS - 1].len = (uint32_t)bd->text.len - bd->b[MAX_BLOCKS - 1].off;
		return;
	}
	bd->b[bd->n].len = (uint32_t)bd->text.len - bd->b[bd->n].off;
	bd->n++;
}

/* Adds a paragraph of 1–5 sentences in a language. */
static void blk_para(struct body *bd, struct rng *r, enum lang lang, int level)
{
	const struct pool *p = &pools[lang];
	unsigned ns = rng_range(r, 1, 5);
	blk_begin(bd, B_PARA, level, 0);
	for (unsigned k = 0; k < ns; k++) {
		if (k && p->spaced)
			buf_ch(&bd->text, ' ');
		buf_str(&bd->text, p->s[rng_below(r, p->n)]);
	}
	if (rng_pct(r, 5)) {
		buf_ch(&bd->text, ' ');
		buf_str(&bd->text, PICK(r, s_emoji));
	}
	blk_end(bd);
}

/* Adds verbatim lines (greeting, attribution, closing, signature). */
__attribute__((format(printf, 4, 5)))
static void blk_verb(struct body *bd, int level, int tight, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	blk_begin(bd, B_VERB, level, tight);
	buf_str(&bd->text, tmp);
	blk_end(bd);
}

/* First word of a display name, for greetings ("Hi Alice,"). */
static void first_name(char *out, size_t n, const struct person *p)
{
	const char *s = p->name[0] ? p->name : p->addr;
	size_t l = strcspn(s, " @,");
	if (l >= n)
		l = n - 1;
	memcpy(out, s, l);
	out[l] = '\0';
}

/* Short attribution date ("Tue, 14 Nov 2023 at 09:05"). */
static void attrib_date(char *out, size_t n, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, n, "%a, %d %b %Y at %H:%M", &tm);
}

/* Quoted history of a reply: nested attributions, then paragraphs from
 * the deepest quote level outwards — how real reply chains look. */
static void body_quotes(struct gen *g, struct rng *r, const struct meta *m)
{
	struct body *bd = &g->body;
	const struct meta *pm = &g->meta[m->parent];
	int maxlvl = m->depth < 3 ? m->depth : 3;
	char date[64];
	attrib_date(date, sizeof date, pm->time);
	blk_verb(bd, 0, 0, "On %s, %s wrote:", date,
		 people[pm->from].name[0] ? people[pm->from].name : people[pm->from].addr);
	const struct meta *q = pm;
	for (int lvl = 1; lvl < maxlvl; lvl++) {
		q = q->parent != NO_PARENT ? &g->meta[q->parent] : q;
		attrib_date(date, sizeof date, q->time);
		blk_verb(bd, lvl, 1, "On %s, %s wrote:", date,
			 people[q->from].name[0] ? people[q->from].name : people[q->from].addr);
	}
	for (int lvl = maxlvl; lvl >= 1; lvl--) {
		blk_para(bd, r, rng_pct(r, 70) ? L_EN : people[pm->from].lang, lvl);
		bd->b[bd->n - 1].tight = lvl == maxlvl;
	}
}

/* Closing line and "-- " signature. */
static void body_signoff(struct body *bd, struct rng *r, const struct person *from)
{
	const char *name = from->name[0] ? from->name : from->addr;
	blk_verb(bd, 0, 0, "%s\n%s", closing[rng_pct(r, 60) ? from->lang : L_EN], name);
	if (rng_pct(r, 60)) {
		unsigned nl = rng_range(r, 1, 3);
		blk_begin(bd, B_VERB, 0, 0);
		buf_fmt(&bd->text, "-- \n%s", name);
		for (unsigned k = 0; k < nl; k++)
			buf_fmt(&bd->text, "\n%s", PICK(r, sig_lines));
		blk_end(bd);
	}
}

/* Builds the whole body model for a message. */
static void body_build(struct gen *g, struct rng *r, const struct meta *m,
		       const struct person *to, int forward_inline)
{
	struct body *bd = &g->body;
	const struct person *from = &people[m->from];
	enum lang lang = rng_pct(r, 65) ? from->lang : L_EN;
	char fn[64];
	body_reset(bd);
	int top_post = rng_pct(r, 40);
	if (m->parent != NO_PARENT && !top_post)
		body_quotes(g, r, m);
	if (rng_pct(r, 70)) {
		first_name(fn, sizeof fn, to);
		blk_verb(bd, 0, 0, greet[lang], fn);
	}
	unsigned np = rng_range(r, 1, 4);
	for (unsigned k = 0; k < np; k++)
		blk_para(bd, r, rng_pct(r, 85) ? lang : L_EN, 0);
	if (forward_inline) {
		const struct person *o = &people[rng_below(r, NPEOPLE)];
		char date[64];
		attrib_date(date, sizeof date, m->time - rng_range(r, 3600, 86400 * 30));
		blk_verb(bd, 0, 0, "---------- Forwarded message ---------\nFrom: %s <%s>\nDate: %s\nSubject: %s",
			 o->name, o->addr, date, PICK(r, subjects));
		blk_para(bd, r, o->lang, 0);
		blk_para(bd, r, L_EN, 0);
	}
	body_signoff(bd, r, from);
	if (m->parent != NO_PARENT && top_post)
		body_quotes(g, r, m);
}

/* True when the body contains double-width (CJK) text, which we don't
 * render as format=flowed (joining would insert spaces). */
static int body_has_wide(const struct body *bd)
{
	const unsigned char *s = (const unsigned char *)bd->text.p;
	for (size_t i = 0; i < bd->text.len; i++)
		if (s[i] >= 0xe3 && s[i] <= 0xef)
			return 1;
	return 0;
}

/* ======================================================================
 * Renderers.
 * ====================================================================== */

/* Display width of a code point: 2 for East Asian wide and emoji. */
static int cp_width(uint32_t c)
{
	return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
	       (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	       (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	       (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff)
		       ? 2 : 1;
}

/* Ideographs and kana may be broken between any two characters; Hangul
 * and emoji are wide too but, like Latin text, break only at spaces. */
static int cjk_breakable(uint32_t c)
{
	return (c >= 0x2e80 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff) ||
	       (c >= 0xff00 && c <= 0xff60);
}

/* Quote prefix for a level: "> > " (mutt style), ">> " (flowed style). */
static void quote_prefix(char *out, size_t n, int level, int compact)
{
	size_t o = 0;
	for (int i = 0; i < level && o + 3 < n; i++) {
		out[o++] = '>';
		if (!compact)
			out[o++] = ' ';
	}
	if (compact && level && o + 1 < n)
		out[o++] = ' ';
	out[o] = '\0';
}

/* Emits one output line: prefix, optional flowed space-stuffing, text. */
static void emit_line(struct buf *out, const char *prefix, const char *s, size_t n, int flowed)
{
	buf_str(out, prefix);
	if (flowed && !prefix[0] && n && (s[0] == ' ' || s[0] == '>' || (n >= 5 && !memcmp(s, "From ", 5))))
		buf_ch(out, ' ');
	buf_add(out, s, n);
	buf_ch(out, '\n');
}

/* Greedy word wrap by display width; breaks at spaces, or between
 * CJK characters.  Flowed output keeps the space at soft breaks. */
static void wrap_para(struct buf *out, const char *s, size_t n, size_t width,
		      const char *prefix, int flowed)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t start = 0;
	while (start < n) {
		size_t i = start, col = 0, brk = 0;
		int have = 0, sp = 0;
		while (i < n) {
			uint32_t c;
			size_t l = utf8_dec(u + i, n - i, &c);
			int w = cp_width(c);
			if (c == ' ') {
				brk = i, have = 1, sp = 1;
			} else if (cjk_breakable(c) && i > start && u[i - 1] != ' ') {
				brk = i, have = 1, sp = 0;
			}
			if (col + (size_t)w > width && have)
				break;
			col += (size_t)w;
			i += l;
		}
		if (i >= n) {
			emit_line(out, prefix, s + start, n - start, flowed);
			return;
		}
		emit_line(out, prefix, s + start, brk - start + (flowed && sp), flowed);
		start = sp ? brk + 1 : brk;
	}
}

/* Emits verbatim lines of a block with the quote prefix. */
static void emit_verb(struct buf *out, const char *s, size_t n, const char *prefix)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != '\n')
			j++;
		emit_line(out, prefix, s + i, j - i, 0);
		i = j + 1;
	}
}

enum { R_WRAPPED, R_FLOWED, R_LONG };

/* Renders the body as text/plain.  R_LONG leaves paragraphs unwrapped
 * (only used with QP/base64, like HTML-era clients do). */
static void render_plain(struct buf *out, const struct body *bd, int mode, int compact)
{
	char pre[32], blank[32];
	int flowed = mode == R_FLOWED;
	if (flowed)
		compact = 1;
	for (unsigned k = 0; k < bd->n; k++) {
		const struct block *b = &bd->b[k];
		const char *s = bd->text.p + b->off;
		quote_prefix(pre, sizeof pre, b->level, compact);
		if (k && !b->tight) {
			int lv = bd->b[k - 1].level < b->level ? bd->b[k - 1].level : b->level;
			quote_prefix(blank, sizeof blank, lv, compact);
			size_t bl = strlen(blank);
			while (bl && blank[bl - 1] == ' ')
				blank[--bl] = '\0';
			emit_line(out, blank, "", 0, 0);
		}
		if (b->kind == B_VERB)
			emit_verb(out, s, b->len, pre);
		else
			wrap_para(out, s, b->len, mode == R_LONG ? 900 : 72 - strlen(pre), pre, flowed);
	}
}

/* HTML-escapes text. */
static void html_esc(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': buf_str(out, "&amp;"); break;
		case '<': buf_str(out, "&lt;"); break;
		case '>': buf_str(out, "&gt;"); break;
		case '"': buf_str(out, "&quot;"); break;
		case '\n': buf_str(out, "<br>\n"); break;
		default: buf_ch(out, s[i]);
		}
	}
}

/* Renders the same body as a typical HTML mail (blockquotes for quotes). */
static void render_html(struct buf *out, const struct body *bd, struct rng *r)
{
	int level = 0;
	buf_str(out, "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n"
		     "<style>body { font-family: Arial, sans-serif; font-size: 11pt; } "
		     "blockquote { margin: 0 0 0 .8ex; border-left: 1px #ccc solid; padding-left: 1ex; }</style>\n"
		     "</head>\n<body>\n<div dir=\"ltr\">\n");
	for (unsigned k = 0; k < bd->n; k++) {
		const struct block *b = &bd->b[k];
		for (; level < b->level; level++)
			buf_str(out, "<blockquote type=\"cite\">\n");
		for (; level > b->level; level--)
			buf_str(out, "</blockquote>\n");
		buf_str(out, b->kind == B_PARA ? "<p>" : "<div>");
		html_esc(out, bd->text.p + b->off, b->len);
		buf_str(out, b->kind == B_PARA ? "</p>\n" : "</div>\n");
	}
	for (; level > 0; level--)
		buf_str(out, "</blockquote>\n");
	if (rng_pct(r, 30))
		buf_fmt(out, "<p><a href=\"https://www.example.com/track?id=%08x\">View in browser</a></p>\n",
			(unsigned)rng_next(r));
	buf_str(out, "</div>\n</body>\n</html>\n");
}

/* ======================================================================
 * MIME entities.  Each put_* writes "Content-*" headers, a blank line
 * and the encoded body; the caller has written any outer headers.
 * ====================================================================== */

/* Picks a transfer encoding that is legal for the content. */
static enum cte pick_cte(struct rng *r, int ascii, int long_lines, int allow_8bit)
{
	unsigned x = rng_below(r, 100);
	if (long_lines)
		return x < 65 ? CTE_QP : CTE_B64;
	if (ascii)
		return x < 80 ? CTE_7BIT : x < 90 ? CTE_QP : CTE_B64;
	if (allow_8bit && x < 40)
		return CTE_8BIT;
	return x < 75 ? CTE_QP : CTE_B64;
}

/* text/plain part from g->body in a random style, charset and CTE. */
static void put_text_entity(struct gen *g, struct rng *r, int allow_8bit)
{
	unsigned x = rng_below(r, 100);
	int mode = x < 12 ? R_LONG : (x < 30 && !body_has_wide(&g->body)) ? R_FLOWED : R_WRAPPED;
	g->render.len = 0;
	render_plain(&g->render, &g->body, mode, rng_pct(r, 30));
	int ascii = is_ascii(g->render.p, g->render.len);
	enum charset cs = pick_charset(r, g->render.p, g->render.len, &g->conv);
	g->conv.len = 0;
	cs_convert(&g->conv, g->render.p, g->render.len, cs);
	enum cte cte = pick_cte(r, ascii, mode == R_LONG, allow_8bit);
	const char *label = rng_pct(r, 50) ? cs_upper[cs] : cs_lower[cs];
	buf_fmt(&g->msg, rng_pct(r, 50) ? "Content-Type: text/plain; charset=%s"
					: "Content-Type: text/plain; charset=\"%s\"", label);
	if (mode == R_FLOWED)
		buf_str(&g->msg, rng_pct(r, 30) ? "; format=flowed; delsp=no" : "; format=flowed");
	buf_fmt(&g->msg, "\nContent-Transfer-Encoding: %s\n\n", cte_name[cte]);
	put_body_cte(&g->msg, g->conv.p, g->conv.len, cte);
}

/* text/html part rendered from g->body. */
static void put_html_entity(struct gen *g, struct rng *r)
{
	g->render.len = 0;
	render_html(&g->render, &g->body, r);
	enum cte cte = rng_pct(r, 70) ? CTE_QP : CTE_B64;
	buf_fmt(&g->msg, "Content-Type: text/html; charset=%s\nContent-Transfer-Encoding: %s\n\n",
		rng_pct(r, 50) ? "UTF-8" : "\"utf-8\"", cte_name[cte]);
	put_body_cte(&g->msg, g->render.p, g->render.len, cte);
}

/* Makes a boundary in one of several real-world styles. */
static void make_boundary(char *out, size_t n, struct rng *r)
{
	uint64_t a = rng_next(r), b = rng_next(r);
	switch (rng_below(r, 5)) {
	case 0:
		snprintf(out, n, "----=_Part_%u_%u.%llu", (unsigned)(a % 100000), (unsigned)(b % 1000000000),
			 (unsigned long long)(a >> 20));
		break;
	case 1:
		snprintf(out, n, "000000000000%012llx", (unsigned long long)(a & 0xffffffffffffULL));
		break;
	case 2:
		snprintf(out, n, "Apple-Mail=_%08X-%04X-%04X-%04X-%012llX", (unsigned)a, (unsigned)(a >> 32) & 0xffff,
			 (unsigned)(a >> 48), (unsigned)b & 0xffff, (unsigned long long)(b >> 16));
		break;
	case 3:
		snprintf(out, n, "------------%016llX%08X", (unsigned long long)a, (unsigned)b);
		break;
	default:
		snprintf(out, n, "=_gencorpus_%016llx", (unsigned long long)a);
	}
}

/* Starts a multipart entity: Content-Type with boundary, optional preamble. */
static void mp_open(struct buf *b, struct rng *r, const char *subtype, char *bnd, size_t bn)
{
	make_boundary(bnd, bn, r);
	if (strlen(bnd) + strlen(subtype) + 35 > 78)
		buf_fmt(b, "Content-Type: multipart/%s;\n boundary=\"%s\"\n\n", subtype, bnd);
	else
		buf_fmt(b, "Content-Type: multipart/%s; boundary=\"%s\"\n\n", subtype, bnd);
	if (rng_pct(r, 40))
		buf_str(b, "This is a multi-part message in MIME format.\n");
}

/* Delimiter before a body part. */
static void mp_part(struct buf *b, const char *bnd)
{
	buf_fmt(b, "\n--%s\n", bnd);
}

/* Closing delimiter. */
static void mp_close(struct buf *b, const char *bnd)
{
	buf_fmt(b, "\n--%s--\n", bnd);
}

/* multipart/alternative text+html, or a lone text/plain / text/html. */
static void put_textual(struct gen *g, struct rng *r, int want_html)
{
	if (!want_html) {
		put_text_entity(g, r, 1);
		return;
	}
	if (rng_pct(r, 8)) { /* HTML-only mail, as newsletters send */
		put_html_entity(g, r);
		return;
	}
	char bnd[96];
	mp_open(&g->msg, r, "alternative", bnd, sizeof bnd);
	mp_part(&g->msg, bnd);
	put_text_entity(g, r, 1);
	mp_part(&g->msg, bnd);
	put_html_entity(g, r);
	mp_close(&g->msg, bnd);
}

/* Percent-encodes for RFC 2231 (attribute-chars stay literal). */
static void pct_encode(struct buf *out, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_')
			buf_ch(out, (char)c);
		else
			buf_fmt(out, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

/* True when the text starts with "%XX" encoding a UTF-8 continuation byte. */
static int pct_continuation(const char *p)
{
	return p[0] == '%' && (p[1] == '8' || p[1] == '9' || p[1] == 'A' || p[1] == 'B');
}

/* RFC 2231 extended parameter, split into numbered continuations when
 * long (never inside a %XX triplet). */
static void put_param_2231(struct buf *b, struct gen *g, struct rng *r, const char *attr, const char *utf8)
{
	enum charset cs = CS_UTF8;
	g->scratch.len = 0;
	if (rng_pct(r, 30) && cs_convert(&g->scratch, utf8, strlen(utf8), CS_LATIN1) == 0)
		cs = CS_LATIN1;
	else {
		g->scratch.len = 0;
		buf_str(&g->scratch, utf8);
	}
	struct buf enc = { 0 };
	pct_encode(&enc, (const unsigned char *)g->scratch.p, g->scratch.len);
	const char *lang = cs == CS_LATIN1 ? "de" : "";
	if (enc.len <= 50) {
		buf_fmt(b, ";\n %s*=%s'%s'%.*s", attr, cs_lower[cs], lang, (int)enc.len, enc.p);
	} else {
		size_t i = 0;
		for (unsigned k = 0; i < enc.len; k++) {
			size_t j = i + 50 < enc.len ? i + 50 : enc.len;
			while (j < enc.len && j > i && (enc.p[j - 1] == '%' || (j >= 2 && enc.p[j - 2] == '%')))
				j--; /* not inside a %XX triplet */
			while (j < enc.len && j > i + 3 && pct_continuation(enc.p + j))
				j -= 3; /* nor inside a UTF-8 character, for per-segment decoders */
			if (k == 0)
				buf_fmt(b, ";\n %s*0*=%s'%s'%.*s", attr, cs_lower[cs], lang, (int)(j - i), enc.p + i);
			else
				buf_fmt(b, ";\n %s*%u*=%.*s", attr, k, (int)(j - i), enc.p + i);
			i = j;
		}
	}
	free(enc.p);
}

/* Content-Type name= / Content-Disposition filename= for an attachment:
 * plain quoted for ASCII; for non-ASCII an encoded-word name= (as
 * Thunderbird/Outlook do) plus RFC 2231 filename*=. */
static void put_file_params(struct gen *g, struct rng *r, const char *mime, const char *fname, int inl)
{
	struct buf *b = &g->msg;
	if (is_ascii(fname, strlen(fname))) {
		buf_fmt(b, "Content-Type: %s;\n name=\"%s\"\n", mime, fname);
		buf_fmt(b, "Content-Disposition: %s;\n filename=\"%s\"\n", inl ? "inline" : "attachment", fname);
		return;
	}
	buf_fmt(b, "Content-Type: %s", mime);
	if (strlen(fname) <= 30 && rng_pct(r, 60)) {
		char tok[128];
		size_t o = (size_t)snprintf(tok, sizeof tok, "=?UTF-8?B?");
		o += b64_raw(tok + o, (const unsigned char *)fname, strlen(fname));
		buf_fmt(b, ";\n name=\"%.*s?=\"", (int)o, tok);
	} else {
		put_param_2231(b, g, r, "name", fname);
	}
	buf_fmt(b, "\nContent-Disposition: %s", inl ? "inline" : "attachment");
	put_param_2231(b, g, r, "filename", fname);
	buf_ch(b, '\n');
}

/* One base64 attachment if it fits the --max-size budget; returns 0 if
 * skipped.  The delimiter is written only when the part is kept. */
static int put_attachment(struct gen *g, struct rng *r, const char *bnd)
{
	const struct atype *t = &atypes[rng_below(r, (uint32_t)NELEM(atypes))];
	size_t size = attach_size(r, t);
	const char *fname = t->names[rng_below(r, t->nnames)];
	int inl = !strncmp(t->mime, "image/", 6) && rng_pct(r, 25);
	if (g->o.max_size && g->msg.len + b64_size(size) + 400 > g->o.max_size)
		return 0;
	g->blob.len = 0;
	buf_need(&g->blob, size);
	unsigned char *p = (unsigned char *)g->blob.p;
	rng_bytes(r, p, size);
	memcpy(p, t->magic, t->mlen);
	if (t->tlen)
		memcpy(p + size - t->tlen, t->tail, t->tlen);
	g->blob.len = size;
	mp_part(&g->msg, bnd);
	put_file_params(g, r, t->mime, fname, inl);
	if (inl)
		buf_fmt(&g->msg, "Content-ID: <part%u.%08x@gencorpus.test>\n", rng_below(r, 10), (unsigned)rng_next(r));
	buf_str(&g->msg, "Content-Transfer-Encoding: base64\n\n");
	b64_put(&g->msg, (const unsigned char *)g->blob.p, g->blob.len);
	return 1;
}

/* ======================================================================
 * Headers of a normal message.
 * ====================================================================== */

/* Message-ID of message i: a function of (seed, i) only, so replies can
 * reference parents without storing strings.  Several real styles. */
static void fmt_msgid(char *out, size_t n, const struct gen *g, uint32_t i)
{
	uint64_t h = mix64(g->o.seed * 0x100000001b3ULL ^ ((uint64_t)i << 20));
	switch (h & 3) {
	case 0:
		snprintf(out, n, "<%u.%016llx@gencorpus.test>", i, (unsigned long long)h);
		break;
	case 1:
		snprintf(out, n, "<CAG%013llX+%u-%c@gencorpus.test>", (unsigned long long)(h >> 12), i,
			 "abcdefgh"[(h >> 8) & 7]);
		break;
	case 2:
		snprintf(out, n, "<%08llx-%04x-%u@gencorpus.test>", (unsigned long long)(h >> 32),
			 (unsigned)(h >> 16) & 0xffff, i);
		break;
	default:
		snprintf(out, n, "<20%02u%04u.GA%u@gencorpus.test>", (unsigned)(h >> 8) % 30,
			 (unsigned)(h >> 16) % 10000, i);
	}
}

/* A mailbox (name + address) as tokens of an address header. */
static void hdr_mailbox(struct hdr *h, struct gen *g, struct rng *r, const struct person *p, int comma)
{
	char addr[160];
	size_t nl = strlen(p->name);
	if (!nl) {
		int k = snprintf(addr, sizeof addr, "%s%s", p->addr, comma ? "," : "");
		hdr_tok(h, addr, (size_t)k);
		return;
	}
	if (!is_ascii(p->name, nl) || rng_pct(r, 3)) {
		hdr_ew_text(h, r, p->name, nl, &g->scratch);
	} else if (strpbrk(p->name, "()<>[]:;@\\,.\"")) {
		/* quoted-string, escaping quotes and backslashes */
		g->scratch.len = 0;
		buf_ch(&g->scratch, '"');
		for (const char *s = p->name; *s; s++) {
			if (*s == '"' || *s == '\\')
				buf_ch(&g->scratch, '\\');
			buf_ch(&g->scratch, *s);
		}
		buf_ch(&g->scratch, '"');
		hdr_tok(h, g->scratch.p, g->scratch.len);
	} else {
		hdr_text(h, p->name, nl);
	}
	int k = snprintf(addr, sizeof addr, "<%s>%s", p->addr, comma ? "," : "");
	hdr_tok(h, addr, (size_t)k);
}

/* A random person other than the owner and `not`. */
static uint32_t other_person(struct rng *r, uint32_t not)
{
	for (;;) {
		uint32_t p = rng_range(r, 1, NPEOPLE - 1);
		if (p != not)
			return p;
	}
}

/* Received: trace headers, as an MTA would prepend them. */
static void put_received(struct gen *g, struct rng *r, const struct person *from, int64_t t)
{
	const char *dom = strchr(from->addr, '@') + 1;
	unsigned hops = rng_range(r, 1, 2);
	for (unsigned k = 0; k < hops; k++) {
		buf_fmt(&g->msg, "Received: from mail%u.%s (mail%u.%s [%s.%u])\n"
				 "\tby %s (Postfix) with ESMTPS id %08X%02X\n\tfor <%s>; ",
			rng_below(r, 9), dom, rng_below(r, 9), dom,
			PICK(r, ((const char *const[]){ "192.0.2", "198.51.100", "203.0.113" })),
			rng_range(r, 1, 254), k ? "relay.gencorpus.test" : "mx.gencorpus.test",
			(unsigned)rng_next(r), rng_below(r, 256), people[ME].addr);
		put_date(&g->msg, t + 5 - (int64_t)k * 2, people[ME].tz, 2);
		buf_ch(&g->msg, '\n');
	}
}

/* A DKIM-Signature-shaped header (bulk of many real messages' headers). */
static void put_dkim(struct gen *g, struct rng *r, const struct person *from, int64_t t)
{
	unsigned char raw[270];
	char enc[400];
	rng_bytes(r, raw, sizeof raw);
	size_t bh = b64_raw(enc, raw, 33);
	buf_fmt(&g->msg, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s;\n\ts=sel%u; t=%u;\n"
		"\th=from:to:subject:date:message-id:mime-version:content-type;\n\tbh=%.*s;\n\tb=",
		strchr(from->addr, '@') + 1, rng_below(r, 3), (unsigned)t, (int)bh, enc);
	size_t b = b64_raw(enc, raw + 33, 192);
	for (size_t i = 0; i < b; i += 70)
		buf_fmt(&g->msg, "%s%.*s", i ? "\n\t " : "", (int)(b - i < 70 ? b - i : 70), enc + i);
	buf_ch(&g->msg, '\n');
}

/* List-* headers for a message in a Lists/ folder. */
static void put_list_headers(struct gen *g, const struct folder *f)
{
	buf_fmt(&g->msg,
		"List-Id: %s mailing list <%s.lists.gencorpus.test>\n"
		"List-Post: <mailto:%s@lists.gencorpus.test>\n"
		"List-Unsubscribe: <mailto:%s-leave@lists.gencorpus.test>,\n <https://lists.gencorpus.test/unsubscribe/%s>\n"
		"List-Archive: <https://lists.gencorpus.test/archive/%s/>\n"
		"Precedence: list\n",
		f->list, f->list, f->list, f->list, f->list, f->list);
}

/* Full subject of message i (thread tag, reply prefix) into g->subj. */
static void make_subject(struct gen *g, struct rng *r, const struct meta *m, int forward)
{
	g->subj.len = 0;
	if (m->parent != NO_PARENT) {
		unsigned x = rng_below(r, 100);
		buf_str(&g->subj, x < 88 ? "Re: " : x < 93 ? "RE: " : x < 97 ? "AW: " : "Re: Re: ");
	} else if (forward) {
		buf_str(&g->subj, rng_pct(r, 80) ? "Fwd: " : "FW: ");
	}
	const struct folder *tf = &g->f[m->tag_folder];
	if (tf->list[0])
		buf_fmt(&g->subj, "[%s] ", tf->list);
	subject_base(&g->subj, m->subj);
}

/* To/Cc for a message, depending on folder and thread. */
static void put_recipients(struct gen *g, struct rng *r, const struct meta *m, uint32_t *to_first)
{
	struct hdr h;
	const struct folder *f = &g->f[m->folder];
	uint32_t list[24];
	unsigned n = 0;
	uint32_t parent_from = m->parent != NO_PARENT ? g->meta[m->parent].from : ME;
	if (f->sent)
		list[n++] = parent_from != ME ? parent_from : other_person(r, ME);
	else if (!f->list[0])
		list[n++] = ME;
	unsigned x = rng_below(r, 100);
	unsigned extra = x < 70 ? 0 : x < 95 ? rng_range(r, 1, 3) : rng_range(r, 8, 20);
	while (n < 1 + extra && n < NELEM(list))
		list[n++] = other_person(r, m->from);
	*to_first = f->list[0] ? parent_from : list[0];
	hdr_begin(&h, &g->msg, "To");
	if (f->list[0]) {
		char la[128];
		int k = snprintf(la, sizeof la, "%s@lists.gencorpus.test", f->list);
		hdr_tok(&h, la, (size_t)k);
	} else {
		for (unsigned i = 0; i < n; i++)
			hdr_mailbox(&h, g, r, &people[list[i]], i + 1 < n);
	}
	hdr_end(&h);
	if (rng_pct(r, 25) || (f->list[0] && m->parent != NO_PARENT && rng_pct(r, 40))) {
		unsigned nc = rng_range(r, 1, 3);
		hdr_begin(&h, &g->msg, "Cc");
		for (unsigned i = 0; i < nc; i++) {
			uint32_t p = (i == 0 && f->list[0]) ? parent_from : other_person(r, m->from);
			hdr_mailbox(&h, g, r, &people[p], i + 1 < nc);
		}
		hdr_end(&h);
	}
}

/* In-Reply-To and References (root first), folded one id per token. */
static void put_thread_headers(struct gen *g, const struct meta *m)
{
	char id[96];
	uint32_t chain[MAX_DEPTH + 1];
	unsigned n = 0;
	for (uint32_t p = m->parent; p != NO_PARENT && n < NELEM(chain); p = g->meta[p].parent)
		chain[n++] = p;
	fmt_msgid(id, sizeof id, g, m->parent);
	buf_fmt(&g->msg, "In-Reply-To: %s\n", id);
	struct hdr h;
	hdr_begin(&h, &g->msg, "References");
	while (n--) {
		fmt_msgid(id, sizeof id, g, chain[n]);
		hdr_tok(&h, id, strlen(id));
	}
	hdr_end(&h);
}

static const char *const agents[] = {
	"User-Agent: Mutt/2.2.9 (2022-11-12)",
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.4.1",
	"X-Mailer: Microsoft Outlook 16.0",
	"X-Mailer: Apple Mail (2.3731.700.6)",
	"User-Agent: NeoMutt/20220429",
	"X-Mailer: git-send-email 2.39.2",
	"User-Agent: Roundcube Webmail/1.6.5",
};

/* ======================================================================
 * Message assembly.
 * ====================================================================== */

/* Headers + body of a forwarded message inside message/rfc822.  The
 * inner text avoids 8bit so the outer part stays 7bit-clean. */
static void put_rfc822(struct gen *g, struct rng *r, const struct meta *outer, uint32_t i)
{
	struct meta inner = { 0 };
	struct hdr h;
	inner.time = outer->time - rng_range(r, 3600, 86400 * 60);
	inner.parent = NO_PARENT;
	inner.from = (uint16_t)other_person(r, ME);
	inner.subj = rng_next(r);
	buf_fmt(&g->msg, "Content-Type: message/rfc822\nContent-Disposition: %s\n\n",
		rng_pct(r, 50) ? "inline" : "attachment; filename=\"forwarded message.eml\"");
	buf_str(&g->msg, "Date: ");
	put_date(&g->msg, inner.time, people[inner.from].tz, rng_below(r, 8));
	hdr_begin(&h, &g->msg, "\nFrom");
	hdr_mailbox(&h, g, r, &people[inner.from], 0);
	hdr_end(&h);
	hdr_begin(&h, &g->msg, "To");
	hdr_mailbox(&h, g, r, &people[ME], 0);
	hdr_end(&h);
	g->subj2.len = 0;
	subject_base(&g->subj2, inner.subj);
	hdr_begin(&h, &g->msg, "Subject");
	hdr_unstructured(&h, r, g->subj2.p, g->subj2.len, &g->scratch);
	hdr_end(&h);
	buf_fmt(&g->msg, "Message-ID: <fwd.%u.%016llx@gencorpus.test>\nMIME-Version: 1.0\n", i,
		(unsigned long long)rng_next(r));
	body_build(g, r, &inner, &people[ME], 0);
	put_text_entity(g, r, 0);
}

/* Body of a normal message: textual part, then attachments / forward. */
static void put_mime_body(struct gen *g, struct rng *r, const struct meta *m, int fwd_kind, uint32_t i)
{
	int html = rng_pct(r, g->o.html_rate);
	int attach = !fwd_kind && rng_pct(r, g->o.attach_rate);
	if (!attach && fwd_kind != 2) {
		put_textual(g, r, html);
		return;
	}
	char bnd[96];
	mp_open(&g->msg, r, "mixed", bnd, sizeof bnd);
	mp_part(&g->msg, bnd);
	put_textual(g, r, html);
	if (fwd_kind == 2) {
		size_t mark = g->msg.len;
		mp_part(&g->msg, bnd);
		put_rfc822(g, r, m, i);
		if (g->o.max_size && g->msg.len + 64 > g->o.max_size)
			g->msg.len = mark; /* over budget: drop the forwarded message */
	} else {
		unsigned x = rng_below(r, 100);
		unsigned na = x < 70 ? 1 : x < 90 ? 2 : 3;
		for (unsigned k = 0; k < na; k++)
			put_attachment(g, r, bnd);
	}
	mp_close(&g->msg, bnd);
}

/* Weighted folder choice ("most in INBOX"). */
static unsigned pick_folder(const struct gen *g, struct rng *r)
{
	unsigned total = 0;
	for (unsigned k = 0; k < g->nf; k++)
		total += g->f[k].weight;
	unsigned x = rng_below(r, total);
	for (unsigned k = 0; k < g->nf; k++) {
		if (x < g->f[k].weight)
			return k;
		x -= g->f[k].weight;
	}
	return 0;
}

/* A recent message to reply to (parents always precede children).
 * Replies in Sent mostly answer mail from INBOX. */
static uint32_t pick_parent(const struct gen *g, struct rng *r, unsigned folder)
{
	unsigned src = folder;
	if (g->f[folder].sent && g->inbox != folder && rng_pct(r, 80))
		src = g->inbox;
	const struct folder *f = &g->f[src];
	for (int tries = 0; tries < 4 && f->ring_n; tries++) {
		uint32_t c = f->ring[rng_below(r, f->ring_n)];
		if (g->meta[c].depth < MAX_DEPTH)
			return c;
	}
	return NO_PARENT;
}

/* Remembers message i as a reply candidate in its folder. */
static void ring_push(struct folder *f, uint32_t i)
{
	f->ring[f->ring_pos] = i;
	f->ring_pos = (f->ring_pos + 1) % RING;
	if (f->ring_n < RING)
		f->ring_n++;
}

/* Maildir flags, in the required alphabetical order. */
static void pick_flags(char *out, struct rng *r, const struct gen *g, const struct meta *m, uint32_t i)
{
	int recent = i >= g->o.count - g->o.count / 20;
	int seen = g->f[m->folder].sent || !rng_pct(r, recent ? 50 : 6);
	size_t o = 0;
	if (rng_pct(r, 7))
		out[o++] = 'F';
	if (seen && rng_pct(r, 15))
		out[o++] = 'R';
	if (seen)
		out[o++] = 'S';
	out[o] = '\0';
}

/* Writes a buffer to OUTDIR/<folder>/cur/<name> (one write, no fsync). */
static void write_file(struct gen *g, const char *folder, const char *name, const struct buf *b)
{
	g->path.len = 0;
	buf_fmt(&g->path, "%s/%s/cur/%s", g->o.outdir, folder, name);
	const char *path = buf_cstr(&g->path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die_io("cannot create", path);
	size_t off = 0;
	while (off < b->len) {
		ssize_t w = write(fd, b->p + off, b->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die_io("cannot write", path);
		off += (size_t)w;
	}
	if (close(fd) != 0)
		die_io("cannot write", path);
	g->total_bytes += b->len;
	g->files++;
}

/* Manifest line: path, Message-ID, parent id, decoded From name,
 * decoded Subject — lets tests compare muttlike's decoding. */
static void manifest_line(struct gen *g, const char *folder, const char *name, uint32_t i,
			  const struct meta *m)
{
	if (!g->manifest)
		return;
	char id[96], pid[96] = "-";
	fmt_msgid(id, sizeof id, g, i);
	if (m->parent != NO_PARENT)
		fmt_msgid(pid, sizeof pid, g, m->parent);
	fprintf(g->manifest, "%s/cur/%s\t%s\t%s\t%s\t%.*s\n", folder, name, id, pid,
		people[m->from].name, (int)g->subj.len, g->subj.p);
}

/* Generates, writes and records message i. */
static void gen_message(struct gen *g, uint32_t i)
{
	struct rng r = { mix64(g->o.seed ^ mix64((uint64_t)i + 1)) };
	struct meta *m = &g->meta[i];
	struct hdr h;
	char id[96], flags[8], name[128];
	uint64_t step = (uint64_t)g->span / g->o.count;
	m->time = g->epoch - g->span + (int64_t)((uint64_t)i * (uint64_t)g->span / g->o.count) +
		  (int64_t)(step > 1 ? rng_next(&r) % step : 0);
	m->folder = (uint8_t)pick_folder(g, &r);
	unsigned fx = rng_below(&r, 100);
	int fwd_kind = fx < 1 ? 1 : fx < 3 ? 2 : 0; /* 1 = inline forward, 2 = message/rfc822 */
	m->parent = (!fwd_kind && rng_pct(&r, 42)) ? pick_parent(g, &r, m->folder) : NO_PARENT;
	const struct folder *f = &g->f[m->folder];
	if (m->parent != NO_PARENT) {
		const struct meta *pm = &g->meta[m->parent];
		m->depth = (uint8_t)(pm->depth + 1);
		m->subj = pm->subj;
		m->tag_folder = pm->tag_folder;
	} else {
		m->depth = 0;
		m->subj = rng_next(&r);
		m->tag_folder = m->folder;
	}
	uint32_t pf = m->parent != NO_PARENT ? g->meta[m->parent].from : ME;
	m->from = (uint16_t)(f->sent ? ME : other_person(&r, pf));
	const struct person *from = &people[m->from];

	g->msg.len = 0;
	if (!f->sent) {
		buf_fmt(&g->msg, "Return-Path: <%s>\nDelivered-To: %s\n", from->addr, people[ME].addr);
		put_received(g, &r, from, m->time);
		if (rng_pct(&r, 35))
			put_dkim(g, &r, from, m->time);
	}
	buf_str(&g->msg, "Date: ");
	put_date(&g->msg, m->time, from->tz, rng_below(&r, 8));
	buf_ch(&g->msg, '\n');
	hdr_begin(&h, &g->msg, "From");
	hdr_mailbox(&h, g, &r, from, 0);
	hdr_end(&h);
	uint32_t to_first;
	put_recipients(g, &r, m, &to_first);
	make_subject(g, &r, m, fwd_kind);
	hdr_begin(&h, &g->msg, "Subject");
	hdr_unstructured(&h, &r, g->subj.p, g->subj.len, &g->scratch);
	hdr_end(&h);
	fmt_msgid(id, sizeof id, g, i);
	buf_fmt(&g->msg, "Message-ID: %s\n", id);
	if (m->parent != NO_PARENT)
		put_thread_headers(g, m);
	if (f->list[0])
		put_list_headers(g, f);
	buf_fmt(&g->msg, "%s\nMIME-Version: 1.0\n", PICK(&r, agents));
	body_build(g, &r, m, &people[to_first], fwd_kind == 1);
	put_mime_body(g, &r, m, fwd_kind, i);

	pick_flags(flags, &r, g, m, i);
	snprintf(name, sizeof name, "%lld.%u_%llu.gencorpus:2,%s", (long long)m->time, i,
		 (unsigned long long)g->o.seed, flags);
	write_file(g, f->name, name, &g->msg);
	g->normal_bytes += g->msg.len;
	manifest_line(g, f->name, name, i, m);
	g->f[m->folder].n++;
	ring_push(&g->f[m->folder], i);
}

/* ======================================================================
 * Hostile messages (--hostile).  Each one targets a specific class of
 * parser/terminal bug and carries "X-Gencorpus-Hostile: <name>" as its
 * first header so tests can find it with a plain grep.  They are not
 * meant to be valid; they are meant to be survived.
 * Escapes are written in octal (\033 ESC, \007 BEL, \233 C1 CSI) because
 * octal escapes stop after three digits and can't swallow what follows.
 * ====================================================================== */

#define EVIL_FROM "From: Mallory <mallory@attacker.test>\n"
#define EVIL_TO "To: Morgan Tester <morgan@gencorpus.test>\n"

/* Writes a whole header made of encoded-words over raw bytes. */
static void hostile_ew(struct gen *g, const char *name, const char *bytes, size_t n,
		       enum charset cs, int b64, const char *suffix)
{
	struct hdr h;
	hdr_begin(&h, &g->msg, name);
	hdr_ew(&h, (const unsigned char *)bytes, n, cs, b64, 1);
	if (suffix)
		hdr_tok(&h, suffix, strlen(suffix));
	hdr_end(&h);
}

/* One base64 body part with arbitrary (possibly evil) headers. */
static void hostile_part(struct gen *g, const char *bnd, const char *headers, const char *payload)
{
	mp_part(&g->msg, bnd);
	buf_str(&g->msg, headers);
	buf_str(&g->msg, "\nContent-Transfer-Encoding: base64\n\n");
	b64_put(&g->msg, (const unsigned char *)payload, strlen(payload));
}

/* Raw ESC/CSI/OSC/C1 sequences in From, Subject and body. */
static void h_control_chars_raw(struct gen *g, struct rng *r)
{
	(void)r;
	buf_str(&g->msg,
		"From: \"Evil \033[31mRed\033[0m \2335m\" <evil@attacker.test>\n" EVIL_TO
		"Subject: Invoice \033[2J\033[H cleared \033]0;owned title\007 \2331;31m C1 CSI "
		"\033]52;c;dG91Y2ggL3RtcC9wd25lZA==\007 \033P+q544e\033\\ done\010\010\177\n"
		"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
		"Clear screen: \033[2J\033[H\n"
		"Blink: \033[5mblink\033[0m, bold \033[1mbold\033[0m, hidden \033[8mhidden\033[0m\n"
		"Title: \033]0;you have been pwned\007\n"
		"OSC 8 link: \033]8;;https://evil.attacker.test/\007innocent text\033]8;;\007\n"
		"OSC 52 clipboard: \033]52;c;cm0gLXJmIH4K\007\n"
		"Raw C1 CSI: \2332J \2336n, DCS \220qsixel\234, OSC \2350;c1 title\234\n"
		"UTF-8 encoded C1 CSI: \302\2332J \302\233" "31mred\n"
		"Backspaces: safe\010\010\010\010evil and DEL \177\n"
		"Device status report (terminal answers on stdin): \033[6n \033[c \033[>c\n"
		"Bell: \007\007\007\n"
		"Carriage return: visible text\rhidden\n");
}

/* The same control characters hidden inside RFC 2047 encoded-words and
 * QP/base64 bodies, which only appear after decoding. */
static void h_control_chars_encoded(struct gen *g, struct rng *r)
{
	static const char subj[] = "\033[2J\033]0;pwned\007 red \302\233" "31mtext\033[0m \033]52;c;eA==\007";
	static const char subj2[] = "\033[5m\233" "2J latin1 C1";
	static const char from[] = "Mallory\033]0;x\007\233" "7m";
	char bnd[96];
	hostile_ew(g, "From", from, sizeof from - 1, CS_CP1252, 0, "<mallory@attacker.test>");
	buf_str(&g->msg, EVIL_TO);
	struct hdr h;
	hdr_begin(&h, &g->msg, "Subject");
	hdr_ew(&h, (const unsigned char *)subj, sizeof subj - 1, CS_UTF8, 1, 1);
	hdr_ew(&h, (const unsigned char *)subj2, sizeof subj2 - 1, CS_LATIN1, 0, 0);
	hdr_end(&h);
	mp_open(&g->msg, r, "mixed", bnd, sizeof bnd);
	mp_part(&g->msg, bnd);
	buf_str(&g->msg, "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n");
	static const char qp[] = "QP escape: \033[2J\033[H and C1 \302\233" "6n and raw \2332J\n";
	qp_put(&g->msg, (const unsigned char *)qp, sizeof qp - 1);
	hostile_part(g, bnd, "Content-Type: text/plain; charset=utf-8",
		     "base64 escape: \033]0;title\007 \033[31mred\033[0m \033]8;;http://evil.test\007link\033]8;;\007\n");
	mp_close(&g->msg, bnd);
}

/* Bidi overrides and zero-width characters in names, subject, filename. */
static void h_bidi_zero_width(struct gen *g, struct rng *r)
{
	static const char from[] = "PayPal\u200b\u200d Support \u202egnp.exe\u202c";
	static const char subj[] = "Invoice \u202efdp.exe\u202c paid \u2066isolate\u2069 zero\u200bwidth\ufeff "
				   "join\u200d RLM\u200f ALM\u061c WJ\u2060";
	char bnd[96];
	hostile_ew(g, "From", from, sizeof from - 1, CS_UTF8, 1, "<service@paypa1.attacker.test>");
	buf_str(&g->msg, EVIL_TO);
	hostile_ew(g, "Subject", subj, sizeof subj - 1, CS_UTF8, 0, NULL);
	mp_open(&g->msg, r, "mixed", bnd, sizeof bnd);
	mp_part(&g->msg, bnd);
	buf_str(&g->msg, "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
			 "Open the attachment \u202e\u2066cod.exe\u2069\u202c today.\n"
			 "Zero\u200bwidth\u200cspaces\u200dand\ufeffBOM.\n");
	mp_part(&g->msg, bnd);
	buf_str(&g->msg, "Content-Type: application/x-msdownload;\n name*=utf-8''invoice%E2%80%AEfdp.exe\n"
			 "Content-Disposition: attachment;\n filename*=utf-8''invoice%E2%80%AEfdp.exe\n"
			 "Content-Transfer-Encoding: base64\n\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAA=\n");
	mp_close(&g->msg, bnd);
}

/* Invalid UTF-8 inside encoded-words and in a utf-8 declared body. */
static void h_invalid_utf8(struct gen *g, struct rng *r)
{
	(void)r;
	static const char subj[] = "bad: \xc0\xaf overlong, \xed\xa0\x80 surrogate, \xf4\x90\x80\x80 too big, "
				   "\xf8\x88\x80\x80\x80 five, \x80\xbf lone, \xfe\xff, trunc \xe2\x82";
	static const char from[] = "Bad \xc3\x28 Name \xe2\x28\xa1";
	hostile_ew(g, "From", from, sizeof from - 1, CS_UTF8, 0, "<bad@attacker.test>");
	buf_str(&g->msg, EVIL_TO);
	hostile_ew(g, "Subject", subj, sizeof subj - 1, CS_UTF8, 1, NULL);
	buf_str(&g->msg, "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
			 "Overlong slash: \xc0\xaf\nSurrogate: \xed\xa0\x80\xed\xbf\xbf\nToo big: \xf4\x90\x80\x80\n"
			 "Five bytes: \xf8\x88\x80\x80\x80\nLone continuation: \x80\x80\xbf\nBOM-ish: \xfe\xff\n"
			 "Truncated at end of line: \xe2\x82\n\xf0\x9f\x98\n");
}

/* Unencoded 8-bit bytes in headers, in several charsets, no charset. */
static void h_raw_8bit_headers(struct gen *g, struct rng *r)
{
	(void)r;
	buf_str(&g->msg, "From: Jos\351 Garc\355a <jose@example.es>\n"
			 "To: \351\327\301\316 <ivan.petrov@example.ru>\n"
			 "Cc: \223Quoted\224 Name <q@example.com>\n"
			 "Subject: Grüße – Привет 日本 🎉 raw UTF-8 and raw latin1 caf\351\n"
			 "\n"
			 "No Content-Type at all, yet 8-bit: caf\351 Gr\374\337e \320\237\321\200\320\270\n");
}

/* Charsets nobody knows, empty, and an ESC-bearing but legitimate one. */
static void h_unknown_charset(struct gen *g, struct rng *r)
{
	char bnd[96];
	buf_str(&g->msg, "From: =?x-unknown?B?U29tZW9uZQ==?= <u@attacker.test>\n" EVIL_TO
			 "Subject: =?x-klingon?Q?nuqneH_=E9?= =?utf-99?B?SGVsbG8=?= =?UTF-8*en?Q?lang_tag?=\n");
	mp_open(&g->msg, r, "mixed", bnd, sizeof bnd);
	mp_part(&g->msg, bnd);
	buf_str(&g->msg, "Content-Type: text/plain; charset=\"x-unknown-charset-42\"\n"
			 "Content-Transfer-Encoding: quoted-printable\n\nUnknown: =E9=E8=FF=00=9B\n");
	mp_part(&g->msg, bnd);
	buf_str(&g->msg, "Content-Type: text/plain; charset=\"\"\nContent-Transfer-Encoding: 8bit\n\nEmpty charset: \351\n");
	mp_part(&g->msg, bnd);
	buf_str(&g->msg, "Content-Type: text/plain; charset=\"utf-8\033[31m\"\n\nESC in charset name\n");
	mp_part(&g->msg, bnd);
	/* ISO-2022-JP legitimately uses ESC: "こんにちは" must be decoded, not printed raw */
	buf_str(&g->msg, "Content-Type: text/plain; charset=iso-2022-jp\nContent-Transfer-Encoding: 7bit\n\n"
			 "\033$B$3$s$K$A$O\033(B\n");
	mp_close(&g->msg, bnd);
}

/* One 1 MiB header line (no folding possible). */
static void h_huge_header_line(struct gen *g, struct rng *r)
{
	(void)r;
	buf_str(&g->msg, EVIL_FROM EVIL_TO "Subject: ");
	buf_rep(&g->msg, 'A', 1u << 20);
	buf_str(&g->msg, "\nContent-Type: text/plain\n\nThe Subject is a single 1 MiB line.\n");
}

/* To: with 100,000 ';' separators, plus an empty group. */
static void h_semicolon_to(struct gen *g, struct rng *r)
{
	(void)r;
	buf_str(&g->msg, EVIL_FROM "To: a@gencorpus.test");
	buf_rep(&g->msg, ';', 100000);
	buf_str(&g->msg, "b@gencorpus.test\nCc: undisclosed-recipients:;\n"
			 "Subject: 100k semicolons in To\nContent-Type: text/plain\n\nSee To.\n");
}

/* Attachment names that try to escape the save directory. */
static void h_path_traversal(struct gen *g, struct rng *r)
{
	static const char *const params[] = {
		"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"../../.bashrc\"",
		"Content-Type: text/plain\nContent-Disposition: attachment; filename=\"/etc/passwd\"",
		"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename*=utf-8''..%2F..%2Fx",
		"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"\"",
		"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"..\"",
		"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\".\"",
		"Content-Type: application/octet-stream\nContent-Disposition: attachment;\n filename=\"..\\\\..\\\\windows\\\\win.ini\"",
		"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"~/.ssh/authorized_keys\"",
		"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=/tmp/unquoted",
		"Content-Type: application/octet-stream\nContent-Disposition: attachment;\n filename*0=\"../\"; filename*1=\"../y\"",
		"Content-Type: application/octet-stream; name=\"../../../../tmp/evil.sh\"",
		"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"/dev/tty\"",
		"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"a\\/b\"",
	};
	char bnd[96];
	buf_str(&g->msg, EVIL_FROM EVIL_TO "Subject: Path traversal in attachment names\n");
	mp_open(&g->msg, r, "mixed", bnd, sizeof bnd);
	mp_part(&g->msg, bnd);
	buf_str(&g->msg, "Content-Type: text/plain\n\nSave all attachments, please.\n");
	for (size_t k = 0; k < NELEM(params); k++)
		hostile_part(g, bnd, params[k], "echo pwned > /tmp/pwned\n");
	mp_close(&g->msg, bnd);
}

/* Shell metacharacters in MIME parameters (mailcap %s / %{name} bugs). */
static void h_shell_params(struct gen *g, struct rng *r)
{
	static const char *const params[] = {
		"Content-Type: application/x-sh; name=\"`touch /tmp/pwned`.sh\"",
		("Content-Type: application/pdf; name=\"$(touch /tmp/pwned).pdf\"\n"
		 "Content-Disposition: attachment; filename=\"$(touch /tmp/pwned).pdf\""),
		"Content-Type: text/plain; charset=\"utf-8'; touch /tmp/pwned; echo '\"; name=\"it's a 'quote'.txt\"",
		"Content-Type: image/png; name=\"a;b|c&d>e<f.png\"; x-cmd=\"$(touch /tmp/pwned)\"",
		"Content-Type: application/$(touch /tmp/pwned); name=x",
		"Content-Type: text/plain; name='single-quoted.txt'",
		"Content-Type: text/plain\nContent-Disposition: attachment; filename=\"\\\"; touch /tmp/pwned; echo \\\".txt\"",
		"Content-Type: text/plain\nContent-Disposition: attachment; filename=\"-rf\"",
		"Content-Type: text/plain\nContent-Disposition: attachment; filename=\"--help\"",
		"Content-Type: text/plain\nContent-Disposition: attachment; filename=\"%s %n %x.txt\"",
		"Content-Type: text/html; charset=`id`; name=\"`id`.html\"",
		"Content-Type: text/plain\nContent-Disposition: attachment; filename=\"new\nline.txt\"",
	};
	char bnd[96];
	buf_str(&g->msg, EVIL_FROM EVIL_TO "Subject: Shell metacharacters in parameters\n");
	mp_open(&g->msg, r, "mixed", bnd, sizeof bnd);
	mp_part(&g->msg, bnd);
	buf_str(&g->msg, "Content-Type: text/plain\n\nView each attachment with mailcap.\n");
	for (size_t k = 0; k < NELEM(params); k++)
		hostile_part(g, bnd, params[k], "#!/bin/sh\ntouch /tmp/pwned\n");
	mp_close(&g->msg, bnd);
}

/* Bare CR in Subject/From/body (overwrites the line on a terminal). */
static void h_cr_in_subject(struct gen *g, struct rng *r)
{
	(void)r;
	buf_str(&g->msg, "From: \"IT Support\rCEO\" <ceo@attacker.test>\n" EVIL_TO
			 "Subject: Payment received\rSubject: URGENT: reset your password now\n"
			 "X-Crlf-Folded: first part\r\n second part\r\n"
			 "Content-Type: text/plain\n\nvisible innocent text\rEVIL\nline\r\r\rwith many CRs\r\n");
}

/* message/rfc822 nested 1000 deep (recursion-depth bugs). */
static void h_nested_rfc822(struct gen *g, struct rng *r)
{
	(void)r;
	buf_str(&g->msg, EVIL_FROM EVIL_TO "Subject: message/rfc822 nested 1000 deep\n"
			 "Content-Type: message/rfc822\n\n");
	for (unsigned k = 1; k < 1000; k++)
		buf_fmt(&g->msg, "From: level%u@attacker.test\nSubject: level %u\nMIME-Version: 1.0\n"
				 "Content-Type: message/rfc822\n\n", k, k);
	buf_str(&g->msg, "From: bottom@attacker.test\nSubject: bottom\n\nYou reached the bottom.\n");
}

/* multipart nested 1000 deep. */
static void h_nested_multipart(struct gen *g, struct rng *r)
{
	(void)r;
	buf_str(&g->msg, EVIL_FROM EVIL_TO "Subject: multipart nested 1000 deep\n");
	for (unsigned k = 0; k < 1000; k++)
		buf_fmt(&g->msg, "Content-Type: multipart/mixed; boundary=\"n%u\"\n\n--n%u\n", k, k);
	buf_str(&g->msg, "Content-Type: text/plain\n\nbottom\n");
	for (unsigned k = 1000; k-- > 0;)
		buf_fmt(&g->msg, "--n%u--\n", k);
}

/* A multipart with 10,000 parts.  (The task asked for "a million is too
 * big for a corpus": 10,000 already exercises per-part costs.) */
static void h_many_parts(struct gen *g, struct rng *r)
{
	(void)r;
	buf_str(&g->msg, EVIL_FROM EVIL_TO "Subject: 10000 MIME parts\n"
			 "Content-Type: multipart/mixed; boundary=\"p\"\n\n");
	for (unsigned k = 0; k < 10000; k++)
		buf_fmt(&g->msg, "--p\nContent-Type: text/plain\n\npart %u\n", k);
	buf_str(&g->msg, "--p--\n");
}

/* Multipart whose closing delimiter never comes; last part truncated. */
static void h_missing_final_boundary(struct gen *g, struct rng *r)
{
	char bnd[96];
	buf_str(&g->msg, EVIL_FROM EVIL_TO "Subject: Missing final boundary\n");
	mp_open(&g->msg, r, "mixed", bnd, sizeof bnd);
	mp_part(&g->msg, bnd);
	buf_str(&g->msg, "Content-Type: text/plain\n\nFirst part.\n");
	mp_part(&g->msg, bnd);
	buf_str(&g->msg, "Content-Type: application/pdf; name=\"cut.pdf\"\n"
			 "Content-Disposition: attachment; filename=\"cut.pdf\"\n"
			 "Content-Transfer-Encoding: base64\n\nJVBERi0xLjUKJeLjz9MKMSAwIG9iago8PC9UeXBlL0NhdGFsb2cvUGFnZXMgMiAw\nUiA+Pgpl");
}

/* NUL bytes in a header and the body. */
static void h_nul_bytes(struct gen *g, struct rng *r)
{
	(void)r;
	static const char raw[] = EVIL_FROM EVIL_TO "Subject: before\0after NUL\n"
				  "Content-Type: text/plain\n\nNUL here:\0:and here\0\0\0end\n";
	buf_add(&g->msg, raw, sizeof raw - 1);
}

/* Broken base64: bad alphabet, bad padding, an overlong line. */
static void h_bad_base64(struct gen *g, struct rng *r)
{
	(void)r;
	buf_str(&g->msg, EVIL_FROM EVIL_TO "Subject: Broken base64 body\n"
			 "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
			 "SGVsbG8gd29ybGQ=garbage!!@@##\nSGVsbG8\n====\nS\n\033[2J\n");
	buf_rep(&g->msg, 'Q', 5000);
	buf_str(&g->msg, "\n");
}

/* Message that is its own parent. */
static void h_self_reference(struct gen *g, struct rng *r)
{
	(void)r;
	buf_fmt(&g->msg, EVIL_FROM EVIL_TO "Subject: I am my own parent\n"
		"In-Reply-To: <hostile-self-reference.%llu@gencorpus.test>\n"
		"References: <hostile-self-reference.%llu@gencorpus.test>\n"
		"Content-Type: text/plain\n\nThreading loop of length one.\n",
		(unsigned long long)g->o.seed, (unsigned long long)g->o.seed);
}

/* Two messages that are each other's parent. */
static void h_reference_loop(struct gen *g, const char *other)
{
	buf_fmt(&g->msg, EVIL_FROM EVIL_TO "Subject: Reference loop\n"
		"In-Reply-To: <hostile-%s.%llu@gencorpus.test>\n"
		"References: <hostile-%s.%llu@gencorpus.test>\n"
		"Content-Type: text/plain\n\nThreading loop of length two.\n",
		other, (unsigned long long)g->o.seed, other, (unsigned long long)g->o.seed);
}

/* Loop halves (separate functions so the table stays uniform). */
static void h_reference_loop_a(struct gen *g, struct rng *r)
{
	(void)r;
	h_reference_loop(g, "reference-loop-b");
}

static void h_reference_loop_b(struct gen *g, struct rng *r)
{
	(void)r;
	h_reference_loop(g, "reference-loop-a");
}

/* References with 10,000 message-ids (threading cost). */
static void h_references_10000(struct gen *g, struct rng *r)
{
	struct hdr h;
	char id[96];
	buf_str(&g->msg, EVIL_FROM EVIL_TO "Subject: 10000 references\n");
	hdr_begin(&h, &g->msg, "References");
	for (unsigned k = 0; k < 10000; k++) {
		int n = snprintf(id, sizeof id, "<ref%u.%08x@attacker.test>", k, (unsigned)rng_next(r));
		hdr_tok(&h, id, (size_t)n);
	}
	hdr_end(&h);
	buf_str(&g->msg, "Content-Type: text/plain\n\nLong References.\n");
}

/* 1 MiB body line with no final newline. */
static void h_huge_body_line(struct gen *g, struct rng *r)
{
	(void)r;
	buf_str(&g->msg, EVIL_FROM EVIL_TO "Subject: 1 MiB body line, no final newline\n"
			 "Content-Type: text/plain\n\n");
	for (unsigned k = 0; k < (1u << 20) / 8; k++)
		buf_str(&g->msg, "abcdefg ");
}

/* Headers only: no blank line, no body, no final newline. */
static void h_headers_only(struct gen *g, struct rng *r)
{
	(void)r;
	buf_str(&g->msg, EVIL_FROM EVIL_TO "Subject: headers only, no body");
}

struct hostile {
	const char *name;
	void (*gen)(struct gen *, struct rng *);
};

static const struct hostile hostiles[] = {
	{ "control-chars-raw", h_control_chars_raw },
	{ "control-chars-encoded", h_control_chars_encoded },
	{ "bidi-zero-width", h_bidi_zero_width },
	{ "invalid-utf8", h_invalid_utf8 },
	{ "raw-8bit-headers", h_raw_8bit_headers },
	{ "unknown-charset", h_unknown_charset },
	{ "huge-header-line", h_huge_header_line },
	{ "semicolon-to", h_semicolon_to },
	{ "path-traversal-filenames", h_path_traversal },
	{ "shell-metachar-params", h_shell_params },
	{ "cr-in-subject", h_cr_in_subject },
	{ "nested-rfc822-1000", h_nested_rfc822 },
	{ "nested-multipart-1000", h_nested_multipart },
	{ "many-parts-10000", h_many_parts },
	{ "missing-final-boundary", h_missing_final_boundary },
	{ "nul-bytes", h_nul_bytes },
	{ "bad-base64", h_bad_base64 },
	{ "self-reference", h_self_reference },
	{ "reference-loop-a", h_reference_loop_a },
	{ "reference-loop-b", h_reference_loop_b },
	{ "references-10000", h_references_10000 },
	{ "huge-body-line", h_huge_body_line },
	{ "headers-only", h_headers_only },
};

/* Writes all hostile messages into INBOX, after the normal ones. */
static void gen_hostile(struct gen *g, const char *inbox)
{
	unsigned long *count = &g->hostile_in_inbox;
	for (unsigned k = 0; k < g->nf; k++)
		if (!strcmp(g->f[k].name, inbox))
			count = &g->f[k].n;
	*count += NELEM(hostiles);
	for (size_t k = 0; k < NELEM(hostiles); k++) {
		struct rng r = { mix64(g->o.seed ^ 0x486f7374696c65ULL ^ k) };
		char name[128];
		g->msg.len = 0;
		buf_fmt(&g->msg, "X-Gencorpus-Hostile: %s\nDate: ", hostiles[k].name);
		put_date(&g->msg, g->epoch + (int64_t)k, 0, 0);
		buf_fmt(&g->msg, "\nMessage-ID: <hostile-%s.%llu@gencorpus.test>\nMIME-Version: 1.0\n",
			hostiles[k].name, (unsigned long long)g->o.seed);
		hostiles[k].gen(g, &r);
		snprintf(name, sizeof name, "%lld.%lu_%llu.gencorpus:2,", (long long)(g->epoch + (int64_t)k),
			 g->o.count + k, (unsigned long long)g->o.seed);
		write_file(g, inbox, name, &g->msg);
	}
}

/* ======================================================================
 * Command line, folders, directories.
 * ====================================================================== */

/* Strict unsigned decimal parse; exit 2 on anything else. */
static unsigned long long parse_num(const char *opt, const char *v, unsigned long long max)
{
	char *end;
	if (!v || !*v || *v < '0' || *v > '9')
		usage_error("%s: '%s' is not a non-negative number", opt, v ? v : "");
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || *end || n > max)
		usage_error("%s: '%s' is not a number in 0..%llu", opt, v, max);
	return n;
}

/* Folder names must be relative paths we can create safely. */
static int folder_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 200 || s[0] == '/' || s[n - 1] == '/')
		return 0;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == ',')
			return 0;
	for (const char *p = s; *p;) {
		size_t l = strcspn(p, "/");
		if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && !memcmp(p, "..", 2)) ||
		    (l == 3 && (!memcmp(p, "cur", 3) || !memcmp(p, "new", 3) || !memcmp(p, "tmp", 3))))
			return 0;
		p += l;
		if (*p == '/')
			p++;
	}
	return 1;
}

/* Registers a folder with its weight and role (list / sent). */
static void add_folder(struct gen *g, const char *name, size_t len)
{
	if (g->nf == MAX_FOLDERS)
		usage_error("too many folders (max %d)", MAX_FOLDERS);
	struct folder *f = &g->f[g->nf];
	memset(f, 0, sizeof *f);
	if (len >= sizeof f->name)
		usage_error("folder name too long");
	memcpy(f->name, name, len);
	if (!folder_name_ok(f->name))
		usage_error("bad folder name '%s'", f->name);
	for (unsigned k = 0; k < g->nf; k++)
		if (!strcmp(g->f[k].name, f->name))
			usage_error("duplicate folder '%s'", f->name);
	f->weight = 8;
	if (!strcmp(f->name, "INBOX")) {
		f->weight = 40;
		g->inbox = g->nf;
	} else if (!strcmp(f->name, "Sent") || !strcmp(f->name, "Sent Items")) {
		f->sent = 1;
		f->weight = 10;
	} else if (!strcmp(f->name, "Archive")) {
		f->weight = 10;
	} else if (!strncmp(f->name, "Lists/", 6)) {
		const char *base = strrchr(f->name, '/') + 1;
		size_t o = 0;
		for (; *base && o + 1 < sizeof f->list; base++)
			f->list[o++] = (*base >= 'A' && *base <= 'Z') ? (char)(*base + 32)
				     : ((*base >= 'a' && *base <= 'z') || (*base >= '0' && *base <= '9')) ? *base : '-';
		f->weight = 12;
	}
	g->nf++;
}

/* Splits --folders on commas. */
static void parse_folders(struct gen *g, const char *list)
{
	const char *p = list;
	for (;;) {
		size_t l = strcspn(p, ",");
		add_folder(g, p, l);
		if (!p[l])
			break;
		p += l + 1;
	}
}

/* Parses argv into g->o; any problem is a one-line usage error. */
static void parse_args(struct gen *g, int argc, char **argv)
{
	struct opts *o = &g->o;
	o->seed = 1;
	o->count = 300;
	o->attach_rate = 18;
	o->html_rate = 30;
	o->folders = "INBOX,Archive,Lists/dev,Lists/announce,Sent,Work/Projects";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		char opt[32];
		if (a[0] != '-' || !strcmp(a, "-")) {
			if (o->outdir)
				usage_error("more than one OUTDIR ('%s', '%s')", o->outdir, a);
			o->outdir = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			if (i + 2 != argc || o->outdir)
				usage_error("exactly one OUTDIR expected after --");
			o->outdir = argv[++i];
			continue;
		}
		const char *eq = strchr(a, '=');
		size_t ol = eq ? (size_t)(eq - a) : strlen(a);
		if (ol >= sizeof opt)
			usage_error("unknown option '%s'", a);
		memcpy(opt, a, ol);
		opt[ol] = '\0';
		int flag = !strcmp(opt, "--hostile") || !strcmp(opt, "--stats") || !strcmp(opt, "--verbose") ||
			   !strcmp(opt, "--help");
		if (flag && eq)
			usage_error("%s takes no value", opt);
		if (!flag) {
			v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v)
				usage_error("%s needs a value", opt);
		}
		if (!strcmp(opt, "--help")) {
			printf("%s\n", USAGE);
			exit(0);
		} else if (!strcmp(opt, "--hostile"))
			o->hostile = 1;
		else if (!strcmp(opt, "--stats"))
			o->stats = 1;
		else if (!strcmp(opt, "--verbose"))
			o->verbose = 1;
		else if (!strcmp(opt, "--seed"))
			o->seed = parse_num(opt, v, UINT64_MAX);
		else if (!strcmp(opt, "--count"))
			o->count = (unsigned long)parse_num(opt, v, MAX_COUNT);
		else if (!strcmp(opt, "--attach-rate"))
			o->attach_rate = (unsigned)parse_num(opt, v, 100);
		else if (!strcmp(opt, "--html-rate"))
			o->html_rate = (unsigned)parse_num(opt, v, 100);
		else if (!strcmp(opt, "--max-size"))
			o->max_size = (size_t)parse_num(opt, v, SIZE_MAX / 2);
		else if (!strcmp(opt, "--folders"))
			o->folders = v;
		else if (!strcmp(opt, "--one-folder"))
			o->one_folder = v;
		else if (!strcmp(opt, "--manifest"))
			o->manifest = v;
		else
			usage_error("unknown option '%s'", opt);
	}
	if (!o->outdir || !*o->outdir)
		usage_error("missing OUTDIR");
	if (o->max_size && o->max_size < 1024)
		usage_error("--max-size: must be at least 1024");
	if (o->one_folder)
		add_folder(g, o->one_folder, strlen(o->one_folder));
	else
		parse_folders(g, o->folders);
}

/* mkdir -p; an existing directory is fine. */
static void mkdirs(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path);
	if (n >= sizeof tmp) {
		errno = ENAMETOOLONG;
		die_io("cannot create directory", path);
	}
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		char c = tmp[i];
		tmp[i] = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			die_io("cannot create directory", tmp);
		struct stat st;
		if (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			die_io("cannot create directory", tmp);
		}
		tmp[i] = c;
	}
}

/* Creates OUTDIR/<folder>/{cur,new,tmp}. */
static void make_maildir(struct gen *g, const char *folder)
{
	static const char *const sub[] = { "cur", "new", "tmp" };
	for (size_t k = 0; k < NELEM(sub); k++) {
		g->path.len = 0;
		buf_fmt(&g->path, "%s/%s/%s", g->o.outdir, folder, sub[k]);
		mkdirs(buf_cstr(&g->path));
	}
}

/* --stats report on stdout. */
static void print_stats(const struct gen *g)
{
	printf("messages: %lu\n", g->o.count);
	printf("hostile: %lu\n", g->o.hostile ? (unsigned long)NELEM(hostiles) : 0UL);
	printf("total bytes: %llu\n", g->total_bytes);
	printf("average bytes: %llu\n", g->o.count ? g->normal_bytes / g->o.count : 0);
	for (unsigned k = 0; k < g->nf; k++)
		printf("folder %s: %lu\n", g->f[k].name, g->f[k].n);
	if (g->hostile_in_inbox)
		printf("folder INBOX: %lu\n", g->hostile_in_inbox);
}

int main(int argc, char **argv)
{
	static struct gen g;
	parse_args(&g, argc, argv);
	g.epoch = 1700000000 + (int64_t)(mix64(g.o.seed) % (365u * 86400u));
	g.span = 2 * 365 * 86400;
	if (g.o.count) {
		g.meta = calloc(g.o.count, sizeof *g.meta);
		if (!g.meta)
			die_oom();
	}
	for (unsigned k = 0; k < g.nf; k++)
		make_maildir(&g, g.f[k].name);
	if (g.o.hostile)
		make_maildir(&g, "INBOX");
	if (g.o.manifest) {
		g.manifest = fopen(g.o.manifest, "w");
		if (!g.manifest)
			die_io("cannot create", g.o.manifest);
	}
	for (unsigned long i = 0; i < g.o.count; i++) {
		gen_message(&g, (uint32_t)i);
		if (g.o.verbose && (i + 1) % 10000 == 0)
			fprintf(stderr, "gencorpus: %lu messages\n", i + 1);
	}
	if (g.o.hostile)
		gen_hostile(&g, "INBOX");
	if (g.manifest && fclose(g.manifest) != 0)
		die_io("cannot write", g.o.manifest);
	if (g.o.verbose)
		fprintf(stderr, "gencorpus: wrote %lu files, %llu bytes to %s\n", g.files, g.total_bytes, g.o.outdir);
	if (g.o.stats)
		print_stats(&g);
	if (fflush(stdout) != 0)
		die_io("cannot write", "<stdout>");
	return 0;
}
