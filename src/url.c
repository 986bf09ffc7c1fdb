/* url.c - the imap/smtp URLs of the rc.  See url.h. */
#include "url.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

void url_clear(struct url *u)
{
	xfree(&u->scheme);
	xfree(&u->user);
	xfree(&u->host);
	u->port = 0;
	u->implicit_tls = false;
}

static bool host_char_ok(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
	       ch == '.' || ch == '_' || ch == ':';
}

/* Percent-decode the user part of a URL; false on a bad escape or a control byte. */
static bool unescape_user(const char *in, size_t n, char **out)
{
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)in[i];
		if (ch == '%') {
			if (i + 2 >= n || !strchr("0123456789abcdefABCDEF", in[i + 1]) ||
			    !strchr("0123456789abcdefABCDEF", in[i + 2]))
				goto bad;
			char hex[3] = { in[i + 1], in[i + 2], 0 };
			ch = (unsigned char)strtoul(hex, NULL, 16);
			i += 2;
		}
		if (ch < 0x20 || ch == 0x7f)
			goto bad;
		strbuf_addc(&b, (char)ch);
	}
	*out = strbuf_detach(&b);
	return true;
bad:
	strbuf_free(&b);
	return false;
}

/* "scheme://": lower-cased into out->scheme, which must be one of schemes.
 * Returns what follows "://", or NULL with *err. */
static const char *parse_scheme(const char *url, const char *schemes, struct url *out, char **err)
{
	const char *sep = strstr(url, "://");
	if (!sep) {
		char *s = util_list_pretty(schemes);
		*err = xasprintf("'%s' is not a URL; write %s://host", url, s);
		free(s);
		return NULL;
	}
	out->scheme = xstrndup(url, (size_t)(sep - url));
	for (char *p = out->scheme; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (util_list_index(schemes, out->scheme) < 0) {
		char *s = util_list_pretty(schemes);
		*err = xasprintf("unsupported scheme '%s' (use %s)", out->scheme, s);
		free(s);
		return NULL;
	}
	out->implicit_tls = out->scheme[strlen(out->scheme) - 1] == 's';
	return sep + 3;
}

/* The user before the last '@' of [p,end); returns where the host starts,
 * or NULL with *err. */
static const char *parse_user(const char *url, const char *p, const char *end, struct url *out, char **err)
{
	const char *at = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (!at)
		return p;
	if (!unescape_user(p, (size_t)(at - p), &out->user) || !*out->user) {
		*err = xasprintf("bad user name in '%s'", url);
		return NULL;
	}
	return at + 1;
}

/* The host of [p,end) into out->host; *colon is the ':' before a port (or
 * NULL).  False with *err. */
static bool parse_host(const char *url, const char *p, const char *end, struct url *out, const char **colon,
		       char **err)
{
	*colon = NULL;
	if (*p == '[') { /* IPv6 literal */
		const char *rb = memchr(p, ']', (size_t)(end - p));
		if (!rb) {
			*err = xasprintf("unterminated [ in '%s'", url);
			return false;
		}
		out->host = xstrndup(p + 1, (size_t)(rb - p - 1));
		if (rb + 1 < end) {
			if (rb[1] != ':') {
				*err = xasprintf("junk after ] in '%s'", url);
				return false;
			}
			*colon = rb + 1;
		}
	} else {
		*colon = memchr(p, ':', (size_t)(end - p));
		out->host = xstrndup(p, (size_t)((*colon ? *colon : end) - p));
	}
	if (!*out->host) {
		*err = xasprintf("no host in '%s'", url);
		return false;
	}
	for (const char *h = out->host; *h; h++) {
		if (!host_char_ok((unsigned char)*h)) {
			*err = xasprintf("bad character in host name '%s'", out->host);
			return false;
		}
	}
	return true;
}

/* The port between colon and end (1-65535). */
static bool parse_port(const char *url, const char *colon, const char *end, struct url *out, char **err)
{
	long port;
	char *ps = xstrndup(colon + 1, (size_t)(end - colon - 1));
	bool ok = util_parse_long(ps, 1, 65535, &port);
	free(ps);
	if (!ok) {
		*err = xasprintf("bad port in '%s' (1-65535)", url);
		return false;
	}
	out->port = (int)port;
	return true;
}

bool url_parse(const char *url, const char *schemes, struct url *out, char **err)
{
	memset(out, 0, sizeof(*out));
	*err = NULL;
	const char *p = parse_scheme(url, schemes, out, err);
	if (!p)
		goto fail;
	const char *end = p + strcspn(p, "/?#");
	if (*end && !(end[0] == '/' && end[1] == '\0')) {
		*err = xasprintf("unexpected path or query in '%s'", url);
		goto fail;
	}
	p = parse_user(url, p, end, out, err);
	const char *colon;
	if (!p || !parse_host(url, p, end, out, &colon, err))
		goto fail;
	if (colon && !parse_port(url, colon, end, out, err))
		goto fail;
	return true;
fail:
	url_clear(out);
	return false;
}
