/* oauth2_http.c - POST a form to an OAuth endpoint, read a JSON answer.
 *
 * HTTPS with the peer and host verified (system trust plus ca_file), TLS
 * 1.2 or newer; plain http only to the loopback address (tests, and what
 * RFC 8252 allows for redirects).  Redirects are not followed: a token
 * endpoint that redirects elsewhere would carry our refresh token with it.
 * The answer goes into one buffer of MAX_BODY allocated up front (growing
 * it would leave copies of tokens in freed memory) and is wiped. */
#include <string.h>

#include "curlso.h"
#include "log.h"
#include "oauth2_private.h"
#include "text.h"
#include "util.h"

enum { MAX_BODY = 64 * 1024 };

bool oauth2_url_ok(const char *url)
{
	if (!url)
		return false;
	if (strncmp(url, "https://", 8) == 0)
		return url[8] && !strchr("/?#", url[8]);
	static const char *const loop[] = { "http://127.0.0.1:", "http://127.0.0.1/", "http://[::1]:", "http://[::1]/" };
	for (size_t i = 0; i < ARRAY_SIZE(loop); i++)
		if (strncmp(url, loop[i], strlen(loop[i])) == 0)
			return true;
	return false;
}

struct body {
	char *buf; /* owned, MAX_BODY + 1 */
	size_t len;
	bool too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct body *b = ud;
	size_t len = size * n;
	if (len > MAX_BODY - b->len) {
		b->too_big = true;
		return 0; /* aborts the transfer */
	}
	memcpy(b->buf + b->len, p, len);
	b->len += len;
	return len;
}

static void set_options(const struct curlso *cu, CURL *c, const oauth2_t *ctx, const char *url, const char *form,
			struct body *b, struct curl_slist *hdr)
{
	bool http = strncmp(url, "http://", 7) == 0;
	cu->easy_setopt(c, CURLOPT_URL, url);
	cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, http ? "http" : "https");
	cu->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	cu->easy_setopt(c, CURLOPT_TIMEOUT_MS, ctx->timeout_ms);
	cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ctx->timeout_ms);
	cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(c, CURLOPT_NOPROXY, "127.0.0.1,::1");
	cu->easy_setopt(c, CURLOPT_USERAGENT, "muttlike/" MUTTLIKE_VERSION);
	cu->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	cu->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	cu->easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (ctx->ca_file && *ctx->ca_file) {
		/* CAINFO alone would replace the system store: keep it through CAPATH */
		cu->easy_setopt(c, CURLOPT_CAINFO, ctx->ca_file);
		cu->easy_setopt(c, CURLOPT_CAPATH, "/etc/ssl/certs");
	}
	cu->easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	cu->easy_setopt(c, CURLOPT_POSTFIELDS, form);
	cu->easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	cu->easy_setopt(c, CURLOPT_WRITEDATA, b);
}

/* What went wrong with a transfer that gave no JSON, as one line. */
static enum oauth2_status failure(const struct curlso *cu, CURLcode r, long code, const struct body *b,
				  const char *url, char **err)
{
	if (b->too_big || r == CURLE_WRITE_ERROR) {
		*err = xasprintf("%s: answer larger than %d KiB", url, MAX_BODY / 1024);
		return OAUTH2_ERR_PROTOCOL;
	}
	if (r == CURLE_PEER_FAILED_VERIFICATION) {
		*err = xasprintf("%s: the server's certificate is not trusted (or not for this host); a private CA goes "
				 "in tls_ca_file",
				 url);
		return OAUTH2_ERR_NET;
	}
	if (r != CURLE_OK) {
		*err = xasprintf("%s: %s", url, cu->easy_strerror(r));
		return OAUTH2_ERR_NET;
	}
	if (code >= 300 && code < 400) {
		*err = xasprintf("%s answered with a redirect (HTTP %ld); refusing to follow it", url, code);
		return OAUTH2_ERR_PROTOCOL;
	}
	*err = xasprintf("%s: HTTP %ld without a JSON answer", url, code);
	return code >= 500 ? OAUTH2_ERR_NET : OAUTH2_ERR_PROTOCOL;
}

enum oauth2_status oauth2_http_post(const oauth2_t *ctx, const char *url, const char *form, long *http,
				    struct oauth2_json *out, char **err)
{
	*http = 0;
	*out = (struct oauth2_json){ 0 };
	if (!oauth2_url_ok(url)) {
		char *safe = text_sanitize(url ? url : "(none)", url ? strlen(url) : 6, false);
		*err = xasprintf("%s: not an https:// URL; refusing to send credentials there", safe);
		free(safe);
		return OAUTH2_ERR_CONFIG;
	}
	const struct curlso *cu = curlso_get();
	if (!cu) {
		*err = xstrdup("OAuth2 needs " CURLSO_LIB " (apt-get install libcurl3-gnutls)");
		return OAUTH2_ERR_CONFIG;
	}
	CURL *c = cu->easy_init();
	struct curl_slist *hdr = cu->slist_append(NULL, "Accept: application/json");
	if (!c || !hdr)
		util_oom();
	struct body b = { .buf = xmalloc(MAX_BODY + 1) };
	set_options(cu, c, ctx, url, form, &b, hdr);
	log_debug("oauth2: POST %s", url);
	CURLcode r = cu->easy_perform(c);
	cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, http);
	cu->easy_cleanup(c);
	cu->slist_free_all(hdr);
	enum oauth2_status st = OAUTH2_OK;
	if (r != CURLE_OK || (*http >= 300 && *http < 400) || oauth2_json_parse(b.buf, b.len, out) != 0)
		st = failure(cu, r, *http, &b, url, err);
	else
		log_debug("oauth2: HTTP %ld, %zu bytes of JSON", *http, b.len);
	explicit_bzero(b.buf, MAX_BODY + 1);
	free(b.buf);
	return st;
}
