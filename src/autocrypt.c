/* autocrypt.c - Autocrypt Level 1 headers, peer state and recommendation
 * (autocrypt.h). */
#include "autocrypt.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define AUTOCRYPT_STALE ((time_t)35 * 24 * 60 * 60)

void autocrypt_header_clear(struct autocrypt_header *h)
{
	free(h->addr);
	free(h->keydata);
	memset(h, 0, sizeof(*h));
}

void autocrypt_peer_clear(struct autocrypt_peer *p)
{
	free(p->public_key);
	memset(p, 0, sizeof(*p));
}

/* keydata: base64 with folding whitespace; new string without it, or NULL */
static char *keydata_clean(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isspace(c))
			continue;
		if (!isalnum(c) && c != '+' && c != '/' && c != '=') {
			free(out);
			return NULL;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (o == 0 || o % 4 != 0) {
		free(out);
		return NULL;
	}
	return out;
}

bool autocrypt_header_parse(const char *value, struct autocrypt_header *out)
{
	memset(out, 0, sizeof(*out));
	bool ok = value != NULL, dup = false;
	for (const char *p = value; ok && p && *p;) {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		char *name = eq ? xstrndup_trim(p, (size_t)(eq - p)) : xstrndup_trim(p, n);
		if (!eq) {
			ok = !*name; /* an empty attribute (a trailing ';') */
		} else if (strcasecmp(name, "addr") == 0) {
			dup |= out->addr != NULL;
			free(out->addr);
			out->addr = xstrndup_trim(eq + 1, n - (size_t)(eq + 1 - p));
			for (char *c = out->addr; *c; c++)
				*c = (char)tolower((unsigned char)*c);
		} else if (strcasecmp(name, "prefer-encrypt") == 0) {
			char *v = xstrndup_trim(eq + 1, n - (size_t)(eq + 1 - p));
			out->prefer_encrypt = strcmp(v, "mutual") == 0;
			free(v);
		} else if (strcasecmp(name, "keydata") == 0) {
			dup |= out->keydata != NULL;
			free(out->keydata);
			out->keydata = keydata_clean(eq + 1, n - (size_t)(eq + 1 - p));
			ok = out->keydata != NULL;
		} else {
			ok = name[0] == '_'; /* unknown non-critical attributes are ignored */
		}
		free(name);
		p = end ? end + 1 : NULL;
	}
	ok = ok && !dup && out->addr && *out->addr && strchr(out->addr, '@') && out->keydata;
	if (!ok)
		autocrypt_header_clear(out);
	return ok;
}

bool autocrypt_peer_update(struct autocrypt_peer *p, const char *from_addr, time_t date, const char *header)
{
	/* Level 1, "Updating Autocrypt Peer State": older than the newest
	 * header seen: nothing changes */
	if (!from_addr || date <= p->autocrypt_timestamp)
		return false;
	bool changed = date > p->last_seen;
	if (changed)
		p->last_seen = date;
	struct autocrypt_header h;
	if (!header || !autocrypt_header_parse(header, &h))
		return changed;
	if (strcasecmp(h.addr, from_addr) == 0) { /* else forged or someone else's: ignored */
		p->autocrypt_timestamp = date;
		free(p->public_key);
		p->public_key = h.keydata;
		h.keydata = NULL;
		p->prefer_encrypt = h.prefer_encrypt;
		changed = true;
	}
	autocrypt_header_clear(&h);
	return changed;
}

enum autocrypt_rec autocrypt_recommend(const struct autocrypt_peer *p, bool me_mutual)
{
	if (!p || !p->public_key)
		return AUTOCRYPT_DISABLE;
	if (p->autocrypt_timestamp < p->last_seen - AUTOCRYPT_STALE)
		return AUTOCRYPT_DISCOURAGE;
	return me_mutual && p->prefer_encrypt ? AUTOCRYPT_ENCRYPT : AUTOCRYPT_AVAILABLE;
}

enum autocrypt_rec autocrypt_recommend_all(const enum autocrypt_rec *v, int n)
{
	enum autocrypt_rec r = n > 0 ? AUTOCRYPT_ENCRYPT : AUTOCRYPT_DISABLE;
	for (int i = 0; i < n; i++)
		if (v[i] < r)
			r = v[i];
	return r;
}

const char *autocrypt_rec_name(enum autocrypt_rec r)
{
	static const char *const names[] = { "disable", "discourage", "available", "encrypt" };
	return names[r];
}

char *autocrypt_header_make(const char *addr, bool prefer_encrypt, const char *keydata)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addf(&b, "addr=%s; %skeydata=", addr, prefer_encrypt ? "prefer-encrypt=mutual; " : "");
	for (size_t i = 0, n = strlen(keydata); i < n; i += 76) {
		strbuf_adds(&b, "\r\n ");
		strbuf_add(&b, keydata + i, n - i < 76 ? n - i : 76);
	}
	return strbuf_detach(&b);
}
