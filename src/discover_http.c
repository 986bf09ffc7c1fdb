/* discover_http.c - fetch an autoconfig document with libcurl.
 *
 * HTTPS is verified (system trust plus opts->ca_file, host name checked);
 * plain HTTP only when the caller allows it.  The body is capped, every
 * transfer has the step timeout, and redirects stay on the same scheme.
 * When MUTTLIKE_RESOLVER is set, the host's address comes from that server
 * (CURLOPT_CONNECT_TO keeps the URL's name for SNI and the certificate
 * check); the test port map is applied the same way.
 *
 * libcurl is loaded with dlopen at the first fetch (curldl.h).
 */
#include <stdio.h>
#include <string.h>

#include "curldl.h"
#include "discover_private.h"
#include "util.h"

enum { MAX_BODY = 256 * 1024 };

static const struct curldl *cu;

void disc_http_global_init(void)
{
	cu = curldl_get();
}

struct body {
	struct strbuf b;
	bool too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct body *b = ud;
	size_t len = size * n;
	if (b->b.len + len > MAX_BODY) {
		b->too_big = true;
		return 0; /* aborts the transfer */
	}
	strbuf_add(&b->b, p, len);
	return len;
}

/* Split "scheme://host[:port]/..." enough to build a CONNECT_TO entry. */
static bool url_host(const char *url, char *host, size_t hsize, int *port)
{
	bool https = strncmp(url, "https://", 8) == 0;
	const char *h = url + (https ? 8 : 7);
	size_t n = strcspn(h, ":/?#");
	if (n == 0 || n >= hsize)
		return false;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = https ? 443 : 80;
	if (h[n] == ':')
		*port = atoi(h + n + 1);
	return disc_hostname_ok(host);
}

/* Where to really connect, when the resolver or the port map says so. */
static struct curl_slist *connect_to(const struct disc_opts *o, const char *url)
{
	char host[256], addr[INET_ADDRSTRLEN] = "";
	int port;
	if (!url_host(url, host, sizeof(host), &port))
		return NULL;
	if (disc_resolver_overridden(o) && !disc_dns_a(o, host, addr))
		snprintf(addr, sizeof(addr), "%s", "0.0.0.0"); /* unresolvable: fail fast, never leak to the system resolver */
	int to = disc_port(o, port);
	if (!*addr && to == port)
		return NULL;
	char *line = xasprintf("%s:%d:%s:%d", host, port, addr, to);
	struct curl_slist *l = cu->slist_append(NULL, line);
	free(line);
	if (!l)
		util_oom();
	return l;
}

static void set_options(CURL *c, const struct disc_opts *o, const char *url, struct body *b)
{
	bool http = strncmp(url, "http://", 7) == 0;
	long tmo = disc_timeout_ms(o);
	cu->easy_setopt(c, CURLOPT_URL, url);
	cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, http ? "http" : "https");
	cu->easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, http ? "http" : "https");
	cu->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	cu->easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
	cu->easy_setopt(c, CURLOPT_TIMEOUT_MS, tmo);
	cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, tmo);
	cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(c, CURLOPT_MAXFILESIZE, (long)MAX_BODY);
	cu->easy_setopt(c, CURLOPT_USERAGENT, "muttlike/" MUTTLIKE_VERSION);
	cu->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	cu->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	cu->easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (o->ca_file && *o->ca_file) {
		/* CAINFO alone would replace the system store: keep it through CAPATH */
		cu->easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
		cu->easy_setopt(c, CURLOPT_CAPATH, "/etc/ssl/certs");
	}
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	cu->easy_setopt(c, CURLOPT_WRITEDATA, b);
}

int disc_http_get(const struct disc_opts *o, const char *url, char **body, size_t *len, char **err)
{
	*body = NULL;
	*err = NULL;
	*len = 0;
	disc_http_global_init();
	if (!cu) {
		*err = xstrdup("HTTP fetches need " CURLDL_LIB " (apt-get install libcurl3-gnutls)");
		return -1;
	}
	CURL *c = cu->easy_init();
	if (!c)
		util_oom();
	struct body b = { .too_big = false };
	strbuf_init(&b.b);
	set_options(c, o, url, &b);
	struct curl_slist *ct = connect_to(o, url);
	if (ct)
		cu->easy_setopt(c, CURLOPT_CONNECT_TO, ct);
	CURLcode r = cu->easy_perform(c);
	long code = 0;
	cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	cu->easy_cleanup(c);
	cu->slist_free_all(ct);
	if (r == CURLE_OK && code == 200) {
		*len = b.b.len;
		*body = strbuf_detach(&b.b);
		return 0;
	}
	if (b.too_big || r == CURLE_FILESIZE_EXCEEDED)
		*err = xstrdup("answer larger than 256 KiB");
	else if (r != CURLE_OK)
		*err = xstrdup(cu->easy_strerror(r));
	else
		*err = xasprintf("HTTP status %ld", code);
	strbuf_free(&b.b);
	return -1;
}
