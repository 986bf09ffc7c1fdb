/* listhdr.c - mailing-list headers and one-click unsubscribe (listhdr.h). */
#include "listhdr.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "curlso.h"
#include "util.h"

#define LISTHDR_MAX_COMMENT_DEPTH 16
#define ONE_CLICK_TIMEOUT_MS 30000L
#define ONE_CLICK_MAX_ANSWER (64 * 1024)

/* ---- List-* URI lists (RFC 2369) ---- */

/* Skip a (comment), nested up to a depth; returns the char after it. */
static const char *skip_comment(const char *s)
{
	int depth = 0;
	for (; *s; s++) {
		if (*s == '\\' && s[1])
			s++;
		else if (*s == '(')
			depth++;
		else if (*s == ')' && --depth == 0)
			return s + 1;
		if (depth > LISTHDR_MAX_COMMENT_DEPTH)
			break;
	}
	return s + strlen(s);
}

/* scheme ":" then visible ASCII only. */
static bool uri_ok(const char *u, size_t n)
{
	size_t i = 0;
	if (n == 0 || n > LISTHDR_MAX_URI || !isalpha((unsigned char)u[0]))
		return false;
	while (i < n && (isalnum((unsigned char)u[i]) || strchr("+.-", u[i])))
		i++;
	if (i == n || u[i] != ':' || i + 1 == n)
		return false;
	for (; i < n; i++)
		if ((unsigned char)u[i] <= ' ' || (unsigned char)u[i] >= 127)
			return false;
	return true;
}

/* <...> starting at s (after '<'): the URI with blanks dropped; returns
 * the char after '>' (or the end when it is not closed). */
static const char *take_uri(const char *s, struct listhdr_uris *out)
{
	struct strbuf b;
	strbuf_init(&b);
	for (; *s && *s != '>' && b.len <= LISTHDR_MAX_URI; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			strbuf_addc(&b, *s);
	bool closed = *s == '>';
	if (closed && out->n < LISTHDR_MAX_URIS && uri_ok(b.s ? b.s : "", b.len))
		out->v[out->n++] = strbuf_detach(&b);
	strbuf_free(&b);
	if (!closed)
		s = strchr(s, '>') ? strchr(s, '>') : s + strlen(s);
	return *s ? s + 1 : s;
}

void listhdr_parse_uris(const char *value, struct listhdr_uris *out)
{
	memset(out, 0, sizeof(*out));
	const char *s = value ? value : "";
	while (*s) {
		if (*s == '(') {
			s = skip_comment(s);
		} else if (*s == '<') {
			s = take_uri(s + 1, out);
		} else if (strncasecmp(s, "NO", 2) == 0 && !isalnum((unsigned char)s[2]) &&
			   (s == value || !isalnum((unsigned char)s[-1]))) {
			out->no = true;
			s += 2;
		} else {
			s++;
		}
	}
}

void listhdr_uris_clear(struct listhdr_uris *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->v[i]);
	memset(u, 0, sizeof(*u));
}

const char *listhdr_first(const struct listhdr_uris *u, const char *scheme)
{
	size_t n = strlen(scheme);
	for (size_t i = 0; i < u->n; i++)
		if (strncasecmp(u->v[i], scheme, n) == 0 && u->v[i][n] == ':')
			return u->v[i];
	return NULL;
}

/* ---- List-Id (RFC 2919) ---- */

static char *clean_phrase(const char *s, size_t n)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, "");
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '"')
			continue;
		if (c == '\\' && i + 1 < n)
			c = s[++i];
		strbuf_addc(&b, (unsigned char)c < ' ' || c == 127 ? ' ' : c);
	}
	char *r = b.s;
	size_t len = b.len;
	while (len && r[len - 1] == ' ')
		r[--len] = '\0';
	size_t lead = strspn(r, " ");
	memmove(r, r + lead, len - lead + 1);
	return strbuf_detach(&b);
}

bool listhdr_list_id(const char *value, char **id, char **name)
{
	*id = NULL;
	if (name)
		*name = NULL;
	const char *lt = value ? strrchr(value, '<') : NULL;
	const char *gt = lt ? strchr(lt, '>') : NULL;
	if (!gt || gt == lt + 1 || gt - lt > 256)
		return false;
	for (const char *c = lt + 1; c < gt; c++)
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 127)
			return false;
	*id = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	for (char *c = *id; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (name)
		*name = clean_phrase(value, (size_t)(lt - value));
	return true;
}

/* ---- RFC 8058 ---- */

bool listhdr_one_click_ok(const char *unsubscribe_post, const struct listhdr_uris *u, const char **url)
{
	*url = NULL;
	if (!unsubscribe_post)
		return false;
	const char *s = unsubscribe_post;
	while (isspace((unsigned char)*s))
		s++;
	static const char want[] = "List-Unsubscribe=One-Click";
	size_t n = sizeof(want) - 1;
	if (strncasecmp(s, want, n) != 0)
		return false;
	for (s += n; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	*url = listhdr_first(u, "https");
	return *url != NULL;
}

/* ---- mailto: (RFC 6068) ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode s[0..n) (no '+' for space in mailto). New string. */
static char *pct_decode(const char *s, size_t n)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, "");
	for (size_t i = 0; i < n; i++) {
		int h, l;
		if (s[i] == '%' && i + 2 < n && (h = hexval(s[i + 1])) >= 0 && (l = hexval(s[i + 2])) >= 0) {
			char c = (char)(h * 16 + l);
			if (c)
				strbuf_addc(&b, c);
			i += 2;
		} else {
			strbuf_addc(&b, s[i]);
		}
	}
	return strbuf_detach(&b);
}

/* Controls (CR, LF, tabs ...) of a header value as spaces. */
static void flatten(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 127)
			*s = ' ';
}

/* CRLF and lone CR as LF. */
static void lf_only(char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		if (*r == '\r') {
			*w++ = '\n';
			if (r[1] == '\n')
				r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static bool add_addrs(struct addr_list *l, const char *s, size_t n, char **err)
{
	char *v = pct_decode(s, n);
	bool ok = addr_parse(v, l, err);
	free(v);
	return ok;
}

/* One hfield "name=value" of the query. */
static bool hfield(struct listhdr_mailto *m, const char *s, size_t n, char **err)
{
	const char *eq = memchr(s, '=', n);
	if (!eq)
		return true;
	char *name = pct_decode(s, (size_t)(eq - s));
	const char *v = eq + 1;
	size_t vn = n - (size_t)(v - s);
	bool ok = true;
	if (strcasecmp(name, "to") == 0) {
		ok = add_addrs(&m->to, v, vn, err);
	} else if (strcasecmp(name, "cc") == 0) {
		ok = add_addrs(&m->cc, v, vn, err);
	} else if (strcasecmp(name, "subject") == 0) {
		free(m->subject);
		m->subject = pct_decode(v, vn);
		flatten(m->subject);
	} else if (strcasecmp(name, "body") == 0) {
		free(m->body);
		m->body = pct_decode(v, vn);
		lf_only(m->body);
	}
	free(name);
	return ok;
}

bool listhdr_mailto_parse(const char *uri, struct listhdr_mailto *out, char **err)
{
	*err = NULL;
	addr_list_init(&out->to);
	addr_list_init(&out->cc);
	out->subject = xstrdup("");
	out->body = xstrdup("");
	if (strncasecmp(uri, "mailto:", 7) != 0 || strlen(uri) > LISTHDR_MAX_URI) {
		*err = xstrdup("not a mailto: address");
		return false;
	}
	const char *p = uri + 7;
	size_t plen = strcspn(p, "?");
	bool ok = add_addrs(&out->to, p, plen, err);
	for (const char *q = p + plen; ok && *q;) {
		q++;
		size_t n = strcspn(q, "&");
		ok = hfield(out, q, n, err);
		q += n;
	}
	if (ok && out->to.n == 0) {
		*err = xstrdup("the mailto: address names no recipient");
		ok = false;
	}
	return ok;
}

void listhdr_mailto_clear(struct listhdr_mailto *m)
{
	addr_list_clear(&m->to);
	addr_list_clear(&m->cc);
	xfree(&m->subject);
	xfree(&m->body);
}

/* ---- one-click POST ---- */

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	size_t *total = ud;
	(void)p;
	*total += size * n;
	return *total > ONE_CLICK_MAX_ANSWER ? 0 : size * n;
}

static void set_post_options(const struct curlso *cu, CURL *c, const char *url, const char *ca_file, size_t *total)
{
	cu->easy_setopt(c, CURLOPT_URL, url);
	cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	cu->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	cu->easy_setopt(c, CURLOPT_POSTFIELDS, "List-Unsubscribe=One-Click");
	cu->easy_setopt(c, CURLOPT_TIMEOUT_MS, ONE_CLICK_TIMEOUT_MS);
	cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ONE_CLICK_TIMEOUT_MS);
	cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(c, CURLOPT_USERAGENT, "muttlike/" MUTTLIKE_VERSION);
	cu->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	cu->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	cu->easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (ca_file && *ca_file) {
		/* CAINFO alone would replace the system store: keep it through CAPATH */
		cu->easy_setopt(c, CURLOPT_CAINFO, ca_file);
		cu->easy_setopt(c, CURLOPT_CAPATH, "/etc/ssl/certs");
	}
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	cu->easy_setopt(c, CURLOPT_WRITEDATA, total);
}

bool listhdr_one_click(const char *url, const char *ca_file, char **err)
{
	*err = NULL;
	if (strncasecmp(url, "https://", 8) != 0 || !uri_ok(url, strlen(url))) {
		*err = strncasecmp(url, "http://", 7) == 0
			       ? xstrdup("refused: one-click unsubscribe only over HTTPS, and this target is plain http:")
			       : xstrdup("refused: one-click unsubscribe needs an https: address");
		return false;
	}
	const struct curlso *cu = curlso_get();
	if (!cu) {
		*err = xstrdup("one-click unsubscribe needs " CURLSO_LIB " (apt-get install libcurl3-gnutls)");
		return false;
	}
	CURL *c = cu->easy_init();
	if (!c)
		util_oom();
	size_t total = 0;
	set_post_options(cu, c, url, ca_file, &total);
	CURLcode r = cu->easy_perform(c);
	long code = 0;
	cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	cu->easy_cleanup(c);
	if (r == CURLE_OK && code >= 200 && code < 300)
		return true;
	if (r != CURLE_OK && r != CURLE_WRITE_ERROR)
		*err = xasprintf("one-click unsubscribe failed: %s", cu->easy_strerror(r));
	else
		*err = xasprintf("one-click unsubscribe: the server answered HTTP %ld", code);
	return false;
}
