/* crypto_parse.c - what crypto parses itself around GPGME: armor blocks in
 * text, the two parts of a multipart/signed body, CRLF canonical form.
 * Pure functions over bytes, fuzzed by tests/fuzz/fuzz_crypto.c. */
#include <string.h>

#include "crypto.h"
#include "util.h"

/* The line at s[i..n): its end (past the '\n', or n). */
static size_t line_end(const char *s, size_t n, size_t i)
{
	const char *nl = memchr(s + i, '\n', n - i);
	return nl ? (size_t)(nl - s) + 1 : n;
}

/* Does line s[i..e) hold exactly marker, maybe followed by blanks/CR? */
static bool line_is(const char *s, size_t i, size_t e, const char *marker)
{
	size_t ml = strlen(marker);
	if (e - i < ml || memcmp(s + i, marker, ml) != 0)
		return false;
	for (size_t k = i + ml; k < e; k++)
		if (s[k] != ' ' && s[k] != '\t' && s[k] != '\r' && s[k] != '\n')
			return false;
	return true;
}

static const char *const armor_begin[] = {
	[CRYPTO_ARMOR_SIGNED] = "-----BEGIN PGP SIGNED MESSAGE-----",
	[CRYPTO_ARMOR_MESSAGE] = "-----BEGIN PGP MESSAGE-----",
};
static const char *const armor_end[] = {
	[CRYPTO_ARMOR_SIGNED] = "-----END PGP SIGNATURE-----",
	[CRYPTO_ARMOR_MESSAGE] = "-----END PGP MESSAGE-----",
};

/* The end of the block of kind k whose BEGIN line ends at i, or 0. */
static size_t armor_close(const char *s, size_t n, size_t i, enum crypto_armor k)
{
	while (i < n) {
		size_t e = line_end(s, n, i);
		if (line_is(s, i, e, armor_end[k]))
			return e;
		i = e;
	}
	return 0;
}

bool crypto_armor_find(const char *s, size_t n, size_t *pos, size_t *start, size_t *len, enum crypto_armor *kind)
{
	size_t i = *pos;
	while (i < n) {
		size_t e = line_end(s, n, i);
		for (int k = CRYPTO_ARMOR_SIGNED; k <= CRYPTO_ARMOR_MESSAGE; k++) {
			size_t end;
			if (!line_is(s, i, e, armor_begin[k]) || !(end = armor_close(s, n, e, k)))
				continue;
			*start = i;
			*len = end - i;
			*kind = k;
			*pos = end;
			return true;
		}
		i = e;
	}
	*pos = n;
	return false;
}

/* Is line s[i..e) a delimiter "--boundary" or "--boundary--" (trailing
 * blanks allowed), as mime.c reads it?  *close for the latter. */
static bool delimiter(const char *s, size_t i, size_t e, const char *b, size_t bl, bool *close)
{
	if (e - i < 2 + bl || s[i] != '-' || s[i + 1] != '-' || memcmp(s + i + 2, b, bl) != 0)
		return false;
	size_t k = i + 2 + bl;
	*close = e - k >= 2 && s[k] == '-' && s[k + 1] == '-';
	if (*close)
		k += 2;
	while (k < e && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r' || s[k] == '\n'))
		k++;
	return k == e;
}

/* The next delimiter line at or after i: its start (n when none), with
 * *after the start of the next line. */
static size_t next_delimiter(const char *s, size_t n, size_t i, const char *b, size_t bl, size_t *after, bool *close)
{
	while (i < n) {
		size_t e = line_end(s, n, i);
		if (delimiter(s, i, e, b, bl, close)) {
			*after = e;
			return i;
		}
		i = e;
	}
	*after = n;
	*close = true;
	return n;
}

/* The end of a part's content that the delimiter line at d follows: the
 * line break before the delimiter belongs to the delimiter (RFC 2046). */
static size_t content_end(const char *s, size_t start, size_t d)
{
	if (d > start && s[d - 1] == '\n')
		d--;
	if (d > start && s[d - 1] == '\r')
		d--;
	return d;
}

bool crypto_signed_split(const char *body, size_t n, const char *boundary, const char **signed_part,
			 size_t *signed_len, const char **sig_part, size_t *sig_len)
{
	size_t bl = boundary ? strlen(boundary) : 0, p1, p2, d2, d3;
	bool close;
	if (!bl || next_delimiter(body, n, 0, boundary, bl, &p1, &close) == n || close)
		return false;
	d2 = next_delimiter(body, n, p1, boundary, bl, &p2, &close);
	if (d2 == n || close)
		return false;
	d3 = next_delimiter(body, n, p2, boundary, bl, &(size_t){0}, &close);
	*signed_part = body + p1;
	*signed_len = content_end(body, p1, d2) - p1;
	*sig_part = body + p2;
	*sig_len = content_end(body, p2, d3) - p2;
	return true;
}

char *crypto_canon_crlf(const char *s, size_t n, size_t *out_len)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_add(&b, "", 0);
	size_t i = 0;
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - s) : n;
		size_t te = e > i && s[e - 1] == '\r' ? e - 1 : e;
		strbuf_add(&b, s + i, te - i);
		if (nl)
			strbuf_add(&b, "\r\n", 2);
		i = nl ? e + 1 : n;
	}
	*out_len = b.len;
	return strbuf_detach(&b);
}
