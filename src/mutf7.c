/* mutf7.c - modified UTF-7 <-> UTF-8 for mailbox names. */
#include "mutf7.h"

#include <stdint.h>
#include <string.h>

#include "utf8.h"
#include "util.h"

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int b64val(unsigned char c)
{
	const char *p = c ? strchr(b64chars, c) : NULL;
	return p ? (int)(p - b64chars) : -1;
}

/* Decode one shift sequence starting after '&'; *pp is left after the '-'. */
static bool decode_shift(const char **pp, struct strbuf *out)
{
	const char *p = *pp;
	uint32_t bits = 0, high = 0;
	int nbits = 0;
	size_t units = 0;
	for (; *p && *p != '-'; p++) {
		int v = b64val((unsigned char)*p);
		if (v < 0)
			return false;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t u = (bits >> nbits) & 0xFFFF;
		bits &= (1u << nbits) - 1;
		units++;
		if (high) {
			if (u < 0xDC00 || u > 0xDFFF)
				return false;
			utf8_put(out, 0x10000 + ((high - 0xD800) << 10) + (u - 0xDC00));
			high = 0;
		} else if (u >= 0xD800 && u <= 0xDBFF) {
			high = u;
		} else if (u >= 0xDC00 && u <= 0xDFFF) {
			return false;
		} else if ((u >= 0x20 && u <= 0x7E) || u == 0) {
			return false; /* written directly, or a NUL no C string can hold */
		} else {
			utf8_put(out, u);
		}
	}
	/* '&-' is handled by the caller; an empty shift here is "&...-" junk */
	if (*p != '-' || units == 0 || high || nbits >= 6 || bits != 0)
		return false;
	*pp = p + 1;
	return true;
}

char *mutf7_decode(const char *in)
{
	struct strbuf out;
	strbuf_init(&out);
	strbuf_add(&out, "", 0);
	const char *p = in;
	const char *shift_end = NULL; /* just after the last shift's '-' */
	while (*p) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c > 0x7E) {
			strbuf_free(&out);
			return NULL;
		}
		if (c != '&') {
			strbuf_addc(&out, (char)c);
			p++;
			continue;
		}
		p++;
		if (*p == '-') {
			strbuf_addc(&out, '&');
			p++;
			continue;
		}
		/* two shifts back to back must have been written as one */
		if (p - 1 == shift_end || !decode_shift(&p, &out)) {
			strbuf_free(&out);
			return NULL;
		}
		shift_end = p;
	}
	return strbuf_detach(&out);
}

static void flush_bits(struct strbuf *out, uint32_t *bits, int *nbits)
{
	while (*nbits >= 6) {
		*nbits -= 6;
		strbuf_addc(out, b64chars[(*bits >> *nbits) & 0x3F]);
	}
	*bits &= (1u << *nbits) - 1;
}

char *mutf7_encode(const char *in)
{
	struct strbuf out;
	strbuf_init(&out);
	strbuf_add(&out, "", 0);
	const char *p = in, *end = in + strlen(in);
	bool shifted = false;
	uint32_t bits = 0;
	int nbits = 0;
	while (*p) {
		uint32_t cp;
		size_t n = utf8_decode_strict(p, (size_t)(end - p), &cp);
		if (!n) {
			strbuf_free(&out);
			return NULL;
		}
		p += n;
		if (cp >= 0x20 && cp <= 0x7E) {
			if (shifted) {
				if (nbits)
					strbuf_addc(&out, b64chars[(bits << (6 - nbits)) & 0x3F]);
				strbuf_addc(&out, '-');
				shifted = false;
				bits = 0;
				nbits = 0;
			}
			strbuf_adds(&out, cp == '&' ? "&-" : (char[]){ (char)cp, 0 });
			continue;
		}
		if (!shifted) {
			strbuf_addc(&out, '&');
			shifted = true;
		}
		uint32_t units[2];
		int nu = 1;
		if (cp >= 0x10000) {
			units[0] = 0xD800 + ((cp - 0x10000) >> 10);
			units[1] = 0xDC00 + ((cp - 0x10000) & 0x3FF);
			nu = 2;
		} else {
			units[0] = cp;
		}
		for (int i = 0; i < nu; i++) {
			bits = (bits << 16) | units[i];
			nbits += 16;
			flush_bits(&out, &bits, &nbits);
		}
	}
	if (shifted) {
		if (nbits)
			strbuf_addc(&out, b64chars[(bits << (6 - nbits)) & 0x3F]);
		strbuf_addc(&out, '-');
	}
	return strbuf_detach(&out);
}
