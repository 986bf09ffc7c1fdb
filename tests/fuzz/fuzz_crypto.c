/* fuzz_crypto.c - what crypto parses itself around GPGME: armor blocks in
 * text, the two parts of a multipart/signed body, CRLF canonical form.
 * The first line of the input is the boundary, the rest the body (and the
 * text searched for armor).  Also the Autocrypt: field of the input as a
 * header block (autocrypt.h): what parses is well formed and survives our
 * own header made from it.  No crash, no hang, and every range found lies
 * inside the input where the rules put it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "autocrypt.h"
#include "crypto.h"

static void check_armor(const char *s, size_t n)
{
	size_t pos = 0, start, len, found = 0, last_end = 0;
	enum crypto_armor kind;
	while (crypto_armor_find(s, n, &pos, &start, &len, &kind)) {
		if (start < last_end || len == 0 || start + len > n || pos != start + len || ++found > n)
			abort();
		if (len < 15 || memcmp(s + start, "-----BEGIN PGP ", 15) != 0 || (start > 0 && s[start - 1] != '\n'))
			abort();
		if (kind != CRYPTO_ARMOR_SIGNED && kind != CRYPTO_ARMOR_MESSAGE)
			abort();
		last_end = start + len;
	}
	if (pos != n)
		abort();
}

/* The signed part is followed by an optional CRLF and a delimiter line. */
static void check_split(const char *body, size_t n, const char *b)
{
	const char *sp, *gp;
	size_t sl, gl, bl = strlen(b);
	if (!crypto_signed_split(body, n, b, &sp, &sl, &gp, &gl))
		return;
	if (sp < body || sp + sl > body + n || gp < sp + sl || gp + gl > body + n)
		abort();
	size_t after = (size_t)(sp - body) + sl;
	if (after < n && body[after] == '\r')
		after++;
	if (after < n && body[after] == '\n')
		after++;
	if (after + 2 + bl > n || memcmp(body + after, "--", 2) != 0 || memcmp(body + after + 2, b, bl) != 0)
		abort();
}

static void check_canon(const char *s, size_t n)
{
	size_t m;
	char *c = crypto_canon_crlf(s, n, &m);
	if (m > 2 * n || c[m] != '\0')
		abort();
	for (size_t i = 0; i < m; i++)
		if (c[i] == '\n' && (i == 0 || c[i - 1] != '\r'))
			abort();
	free(c);
}

static void check_autocrypt(const char *s, size_t n)
{
	char *v = NULL;
	size_t count = autocrypt_header_find(s, n, &v);
	if ((count == 1) != (v != NULL))
		abort();
	struct autocrypt_header h, back;
	if (v && autocrypt_header_parse(v, &h)) {
		size_t kl = strlen(h.keydata);
		if (!strchr(h.addr, '@') || kl == 0 || kl % 4 != 0 || strspn(h.keydata, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != kl)
			abort();
		for (const char *c = h.addr; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				abort();
		struct autocrypt_peer p = { 0 };
		if (!autocrypt_peer_update(&p, h.addr, 1000, v) || !p.public_key || strcmp(p.public_key, h.keydata) != 0)
			abort();
		autocrypt_peer_clear(&p);
		/* an addr with ';' cannot come back the same: ours never has one */
		char *mine = strchr(h.addr, ';') ? NULL : autocrypt_header_make(h.addr, h.prefer_encrypt, h.keydata);
		if (mine && autocrypt_header_parse(mine, &back)) {
			if (strcmp(back.keydata, h.keydata) != 0 || back.prefer_encrypt != h.prefer_encrypt)
				abort();
			autocrypt_header_clear(&back);
		}
		free(mine);
		autocrypt_header_clear(&h);
	}
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *nl = memchr(s, '\n', size);
	size_t bl = nl ? (size_t)(nl - s) : 0;
	if (bl > 70)
		bl = 70;
	char b[71];
	memcpy(b, s, bl);
	b[bl] = '\0';
	if (strlen(b) == bl && !memchr(b, '\r', bl)) {
		size_t off = nl ? (size_t)(nl - s) + 1 : size;
		check_split(s + off, size - off, b);
	}
	check_armor(s, size);
	check_canon(s, size);
	check_autocrypt(s, size);
	return 0;
}
