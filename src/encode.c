/* encode.c - see encode.h. */
#include "encode.h"

#include <string.h>

#include "utf8.h"

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	return utf8_decode_strict((const char *)s, n, &cp);
}

char *encode_header_clean(const char *s)
{
	struct strbuf b;
	strbuf_init(&b);
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t k = utf8_len(p + i, n - i);
		if (k == 0) {
			strbuf_adds(&b, "\xEF\xBF\xBD");
			i++;
		} else if (k == 1 && (p[i] < 0x20 || p[i] == 0x7F)) {
			strbuf_addc(&b, ' ');
			i++;
		} else if (k == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0) {
			strbuf_addc(&b, ' '); /* C1 control */
			i += 2;
		} else {
			strbuf_add(&b, s + i, k);
			i += k;
		}
	}
	/* trim: leading/trailing blanks carry no meaning in a header */
	size_t start = 0;
	while (start < b.len && b.s[start] == ' ')
		start++;
	while (b.len > start && b.s[b.len - 1] == ' ')
		b.len--;
	char *out = xstrndup(b.s ? b.s + start : "", b.len - start);
	strbuf_free(&b);
	return out;
}

bool encode_is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E)
			return false;
	return true;
}

/* ---- encoded words ---- */

static const char hexd[] = "0123456789ABCDEF";

/* Characters a Q-encoded word may carry as themselves in any header
 * position (RFC 2047 5(3), the strictest of the three). */
static bool q_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '!' || c == '*' ||
	       c == '+' || c == '-' || c == '/';
}

static size_t q_cost(const unsigned char *p, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += (q_plain(p[i]) || p[i] == ' ') ? 1 : 3;
	return c;
}

static void q_word(const unsigned char *p, size_t n, struct strbuf *out)
{
	strbuf_adds(out, "=?UTF-8?Q?");
	for (size_t i = 0; i < n; i++) {
		if (p[i] == ' ')
			strbuf_addc(out, '_');
		else if (q_plain(p[i]))
			strbuf_addc(out, (char)p[i]);
		else {
			strbuf_addc(out, '=');
			strbuf_addc(out, hexd[p[i] >> 4]);
			strbuf_addc(out, hexd[p[i] & 15]);
		}
	}
	strbuf_adds(out, "?=");
}

static void b_word(const unsigned char *p, size_t n, struct strbuf *out)
{
	strbuf_adds(out, "=?UTF-8?B?");
	char *b = encode_base64_line(p, n);
	strbuf_adds(out, b);
	free(b);
	strbuf_adds(out, "?=");
}

/* Encode s[0..n) (valid UTF-8) as encoded words separated by spaces, each
 * at most 75 characters, cut only between characters. */
static void encode_words(const char *s, size_t n, struct strbuf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	bool use_q = q_cost(p, n) <= (n + 2) / 3 * 4;
	const size_t room = 75 - 12; /* "=?UTF-8?Q?" + "?=" */
	size_t start = 0;
	bool first = true;
	while (start < n) {
		size_t end = start, cost = 0;
		while (end < n) {
			size_t k = utf8_len(p + end, n - end);
			if (k == 0)
				k = 1;
			size_t c = use_q ? q_cost(p + end, k) : 0;
			size_t next = use_q ? cost + c : (end - start + k + 2) / 3 * 4;
			if (next > room && end > start)
				break;
			cost += c;
			end += k;
		}
		if (!first)
			strbuf_addc(out, ' ');
		first = false;
		if (use_q)
			q_word(p + start, end - start, out);
		else
			b_word(p + start, end - start, out);
		start = end;
	}
}

static bool word_needs_encoding(const char *w, size_t n)
{
	if (!encode_is_ascii(w, n))
		return true;
	for (size_t i = 0; i + 1 < n; i++)
		if (w[i] == '=' && w[i + 1] == '?')
			return true; /* would be decoded by the reader otherwise */
	return false;
}

void encode_rfc2047_text(const char *value, struct strbuf *out)
{
	char *v = encode_header_clean(value);
	size_t n = strlen(v);
	/* find the first and last word that must be encoded */
	size_t first = n, last_end = 0;
	for (size_t i = 0; i < n;) {
		while (i < n && v[i] == ' ')
			i++;
		size_t j = i;
		while (j < n && v[j] != ' ')
			j++;
		if (j > i && word_needs_encoding(v + i, j - i)) {
			if (first == n)
				first = i;
			last_end = j;
		}
		i = j;
	}
	if (first == n) {
		strbuf_adds(out, v);
	} else {
		strbuf_add(out, v, first);
		encode_words(v + first, last_end - first, out);
		strbuf_adds(out, v + last_end);
	}
	free(v);
}

static bool atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

void encode_rfc2047_phrase(const char *name, struct strbuf *out)
{
	char *v = encode_header_clean(name);
	size_t n = strlen(v);
	bool plain = true;
	for (size_t i = 0; i < n; i++)
		if (!atext((unsigned char)v[i]) && v[i] != ' ')
			plain = false;
	if (!encode_is_ascii(v, n) || word_needs_encoding(v, n)) {
		encode_words(v, n, out);
	} else if (plain) {
		strbuf_adds(out, v);
	} else {
		strbuf_addc(out, '"');
		for (size_t i = 0; i < n; i++) {
			if (v[i] == '"' || v[i] == '\\')
				strbuf_addc(out, '\\');
			strbuf_addc(out, v[i]);
		}
		strbuf_addc(out, '"');
	}
	free(v);
}

/* ---- RFC 2231 ---- */

static bool attr_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$&+-.^_`|~", c));
}

void encode_rfc2231_param(const char *attr, const char *value, struct strbuf *out)
{
	char *v = encode_header_clean(value);
	size_t n = strlen(v);
	if (encode_is_ascii(v, n) && n <= 60 && !strpbrk(v, "\"\\")) {
		strbuf_addf(out, "; %s=\"%s\"", attr, v);
		free(v);
		return;
	}
	struct strbuf pct;
	strbuf_init(&pct);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (attr_char(c))
			strbuf_addc(&pct, (char)c);
		else
			strbuf_addf(&pct, "%%%c%c", hexd[c >> 4], hexd[c & 15]);
	}
	const size_t piece = 60;
	if (pct.len <= piece) {
		strbuf_addf(out, "; %s*=UTF-8''%s", attr, pct.s);
	} else {
		size_t at = 0;
		for (int k = 0; at < pct.len; k++) {
			size_t len = pct.len - at < piece ? pct.len - at : piece;
			/* never cut inside a %XX */
			if (at + len < pct.len && len >= 2 && pct.s[at + len - 1] == '%')
				len -= 1;
			else if (at + len < pct.len && len >= 2 && pct.s[at + len - 2] == '%')
				len -= 2;
			strbuf_addf(out, "; %s*%d*=%s%.*s", attr, k, k == 0 ? "UTF-8''" : "", (int)len, pct.s + at);
			at += len;
		}
	}
	strbuf_free(&pct);
	free(v);
}

/* ---- folding ---- */

void encode_fold_header(const char *name, const char *value, struct strbuf *out)
{
	strbuf_adds(out, name);
	strbuf_addc(out, ':');
	size_t col = strlen(name) + 1;
	const char *p = value;
	while (*p == ' ')
		p++;
	bool first = true;
	while (*p) {
		size_t tok = strcspn(p, " ");
		if (!first && col + 1 + tok > ENCODE_FOLD_AT) {
			strbuf_adds(out, "\r\n");
			col = 0;
		}
		strbuf_addc(out, ' ');
		for (size_t i = 0; i < tok; i++) /* last defence against injection */
			strbuf_addc(out, (p[i] == '\r' || p[i] == '\n') ? ' ' : p[i]);
		col += 1 + tok;
		first = false;
		p += tok;
		if (*p == ' ')
			p++;
	}
	strbuf_adds(out, "\r\n");
}

/* ---- base64, quoted-printable ---- */

static const char b64tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_group(const unsigned char *in, size_t n, char o[4])
{
	unsigned v = (unsigned)in[0] << 16;
	if (n > 1)
		v |= (unsigned)in[1] << 8;
	if (n > 2)
		v |= in[2];
	o[0] = b64tab[(v >> 18) & 63];
	o[1] = b64tab[(v >> 12) & 63];
	o[2] = n > 1 ? b64tab[(v >> 6) & 63] : '=';
	o[3] = n > 2 ? b64tab[v & 63] : '=';
}

char *encode_base64_line(const void *data, size_t n)
{
	const unsigned char *in = data;
	char *out = xmalloc((n + 2) / 3 * 4 + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3, o += 4)
		b64_group(in + i, n - i, out + o);
	out[o] = '\0';
	return out;
}

void encode_base64(const void *data, size_t n, struct strbuf *out)
{
	const unsigned char *in = data;
	size_t col = 0;
	for (size_t i = 0; i < n; i += 3) {
		char o[4];
		b64_group(in + i, n - i, o);
		strbuf_add(out, o, 4);
		col += 4;
		if (col >= 76) {
			strbuf_adds(out, "\r\n");
			col = 0;
		}
	}
	if (col)
		strbuf_adds(out, "\r\n");
}

static void qp_line(const unsigned char *p, size_t n, struct strbuf *out)
{
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		char tok[4];
		size_t tl;
		bool at_end = i + 1 == n;
		bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_end);
		if (i == 0 && c == 'F' && n >= 5 && memcmp(p, "From ", 5) == 0)
			literal = false; /* mbox readers would mangle it */
		if (i == 0 && c == '.' && n == 1)
			literal = false; /* a lone dot ends SMTP DATA on careless relays */
		if (literal) {
			tok[0] = (char)c;
			tl = 1;
		} else {
			tok[0] = '=';
			tok[1] = hexd[c >> 4];
			tok[2] = hexd[c & 15];
			tl = 3;
		}
		size_t limit = at_end ? 76 : 75; /* room for the soft break's '=' */
		if (col + tl > limit) {
			strbuf_adds(out, "=\r\n");
			col = 0;
		}
		strbuf_add(out, tok, tl);
		col += tl;
	}
	strbuf_adds(out, "\r\n");
}

void encode_qp(const char *text, size_t n, struct strbuf *out)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0;
	while (i < n) {
		const unsigned char *nl = memchr(p + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - p) : n;
		size_t len = end - i;
		if (len && p[end - 1] == '\r')
			len--;
		qp_line(p + i, len, out);
		i = nl ? end + 1 : n;
	}
}

bool encode_text_is_7bit(const char *text, size_t n)
{
	size_t line = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == 0 || c >= 0x80)
			return false;
		if (c == '\r' && (i + 1 == n || text[i + 1] != '\n'))
			return false;
		if (c == '\n')
			line = 0;
		else if (++line > 998)
			return false;
	}
	return true;
}

void encode_crlf(const char *text, size_t n, struct strbuf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '\r') {
			strbuf_adds(out, "\r\n");
			if (i + 1 < n && text[i + 1] == '\n')
				i++;
		} else if (text[i] == '\n') {
			strbuf_adds(out, "\r\n");
		} else {
			strbuf_addc(out, text[i]);
		}
	}
}
