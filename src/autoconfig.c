/* autoconfig.c - parse Thunderbird's config-v1.1.xml with expat.
 *
 * The document comes from the network (the provider, the ISPDB, or whoever
 * answers for the domain), so it is hostile: no DOCTYPE (which also rules
 * out entity tricks), a depth cap, a cap on servers and on text, and host
 * names and ports are checked before anything else sees them.
 *
 * Only what muttlike uses is read:
 *   <incomingServer type="imap"> and <outgoingServer type="smtp"> with
 *   <hostname>, <port>, <socketType> SSL|STARTTLS|plain, <username>,
 *   <authentication> (OAuth2 is noted).  POP3 and everything else is skipped.
 */
#include <expat.h>
#include <string.h>
#include <strings.h>

#include "discover.h"
#include "util.h"

enum { MAX_DEPTH = 32, MAX_SERVERS = 16, MAX_TEXT = 1024, MAX_DOC = 256 * 1024 };

enum field { F_NONE, F_HOST, F_PORT, F_SOCKET, F_USER, F_AUTH };

struct acparse {
	XML_Parser p;
	const char *email, *source;
	int depth;
	int server_depth;        /* depth of the open server element, 0 if none */
	bool skip_server;        /* the open server is not one we use */
	enum field field;
	struct strbuf text;
	struct disc_server cur;
	bool cur_port_ok, cur_sec_ok;
	struct disc_server *out;
	size_t n;
	char *err;
};

static void fail(struct acparse *a, const char *msg)
{
	if (!a->err)
		a->err = xstrdup(msg);
	XML_StopParser(a->p, XML_FALSE);
}

static const char *attr(const XML_Char **atts, const char *name)
{
	for (size_t i = 0; atts[i]; i += 2)
		if (strcmp(atts[i], name) == 0)
			return atts[i + 1];
	return NULL;
}

/* Replace the placeholders the format defines; anything else stays. */
static char *expand_user(const char *tmpl, const char *email)
{
	const char *at = strrchr(email, '@');
	char *local = at ? xstrndup(email, (size_t)(at - email)) : xstrdup(email);
	const char *domain = at ? at + 1 : "";
	static const char *const keys[] = { "%EMAILADDRESS%", "%EMAILLOCALPART%", "%EMAILDOMAIN%" };
	const char *vals[] = { email, local, domain };
	struct strbuf b;
	strbuf_init(&b);
	for (const char *p = tmpl; *p;) {
		size_t k;
		for (k = 0; k < ARRAY_SIZE(keys); k++)
			if (strncmp(p, keys[k], strlen(keys[k])) == 0)
				break;
		if (k < ARRAY_SIZE(keys)) {
			strbuf_adds(&b, vals[k]);
			p += strlen(keys[k]);
		} else {
			strbuf_addc(&b, *p++);
		}
	}
	free(local);
	return strbuf_detach(&b);
}

static void start_server(struct acparse *a, const char *el, const XML_Char **atts)
{
	const char *type = attr(atts, "type");
	bool in = strcmp(el, "incomingServer") == 0;
	a->server_depth = a->depth;
	a->skip_server = !type || strcasecmp(type, in ? "imap" : "smtp") != 0;
	memset(&a->cur, 0, sizeof(a->cur));
	a->cur.proto = in ? DISC_IMAP : DISC_SMTP;
	a->cur.sec = DISC_SEC_TLS;
	a->cur_port_ok = a->cur_sec_ok = false;
}

static void XMLCALL on_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
	struct acparse *a = ud;
	if (++a->depth > MAX_DEPTH) {
		fail(a, "nested too deeply");
		return;
	}
	if (!a->server_depth) {
		if (strcmp(el, "incomingServer") == 0 || strcmp(el, "outgoingServer") == 0)
			start_server(a, el, atts);
		return;
	}
	if (a->skip_server || a->depth != a->server_depth + 1)
		return;
	static const struct { const char *name; enum field f; } fields[] = {
		{ "hostname", F_HOST }, { "port", F_PORT }, { "socketType", F_SOCKET },
		{ "username", F_USER }, { "authentication", F_AUTH },
	};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (strcmp(el, fields[i].name) == 0)
			a->field = fields[i].f;
	strbuf_reset(&a->text);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct acparse *a = ud;
	if (a->field == F_NONE)
		return;
	if (a->text.len + (size_t)len > MAX_TEXT) {
		fail(a, "element text too long");
		return;
	}
	strbuf_add(&a->text, s, (size_t)len);
}

static char *trimmed(const struct strbuf *b)
{
	const char *s = b->s ? b->s : "";
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	return xstrndup(s, n);
}

static bool printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static void end_field(struct acparse *a)
{
	char *v = trimmed(&a->text);
	struct disc_server *c = &a->cur;
	switch (a->field) {
	case F_HOST:
		free(c->host);
		c->host = v;
		v = NULL;
		break;
	case F_PORT: {
		long port;
		a->cur_port_ok = util_parse_long(v, 1, 65535, &port);
		c->port = (int)port;
		break;
	}
	case F_SOCKET:
		a->cur_sec_ok = true;
		if (strcasecmp(v, "SSL") == 0 || strcasecmp(v, "TLS") == 0)
			c->sec = DISC_SEC_TLS;
		else if (strcasecmp(v, "STARTTLS") == 0)
			c->sec = DISC_SEC_STARTTLS;
		else if (strcasecmp(v, "plain") == 0)
			c->sec = DISC_SEC_PLAIN;
		else
			a->cur_sec_ok = false;
		break;
	case F_USER:
		if (*v && printable(v) && strlen(v) <= 256) {
			free(c->user);
			c->user = expand_user(v, a->email);
		}
		break;
	case F_AUTH:
		if (strcasecmp(v, "OAuth2") == 0)
			c->oauth = true;
		break;
	case F_NONE: break;
	}
	free(v);
	a->field = F_NONE;
}

/* Keep the finished server if it is complete and sane. */
static void end_server(struct acparse *a)
{
	struct disc_server *c = &a->cur;
	a->server_depth = 0;
	if (a->skip_server || !c->host || !disc_hostname_ok(c->host) || !a->cur_port_ok || !a->cur_sec_ok) {
		disc_server_clear(c);
		return;
	}
	if (a->n == MAX_SERVERS) {
		disc_server_clear(c);
		fail(a, "too many servers");
		return;
	}
	c->source = xstrdup(a->source);
	a->out = xreallocarray(a->out, a->n + 1, sizeof(*a->out));
	a->out[a->n++] = *c;
	memset(c, 0, sizeof(*c));
}

static void XMLCALL on_end(void *ud, const XML_Char *el)
{
	struct acparse *a = ud;
	(void)el;
	if (a->field != F_NONE && a->depth == a->server_depth + 1)
		end_field(a);
	else if (a->server_depth && a->depth == a->server_depth)
		end_server(a);
	a->depth--;
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
			       int has_internal)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal;
	fail(ud, "DOCTYPE is not allowed in an autoconfig file");
}

static void free_all(struct acparse *a)
{
	for (size_t i = 0; i < a->n; i++)
		disc_server_clear(&a->out[i]);
	free(a->out);
	a->out = NULL;
	a->n = 0;
}

long autoconfig_parse(const char *xml, size_t len, const char *email, const char *source,
		      struct disc_server **out, char **err)
{
	*out = NULL;
	*err = NULL;
	if (len > MAX_DOC) {
		*err = xstrdup("autoconfig file too large");
		return -1;
	}
	struct acparse a = { .email = email, .source = source };
	strbuf_init(&a.text);
	a.p = XML_ParserCreate("UTF-8");
	if (!a.p)
		util_oom();
	XML_SetUserData(a.p, &a);
	XML_SetElementHandler(a.p, on_start, on_end);
	XML_SetCharacterDataHandler(a.p, on_text);
	XML_SetStartDoctypeDeclHandler(a.p, on_doctype);
	enum XML_Status st = XML_Parse(a.p, xml, (int)len, XML_TRUE);
	if (st != XML_STATUS_OK && !a.err)
		a.err = xasprintf("not valid XML (line %lu: %s)", (unsigned long)XML_GetCurrentLineNumber(a.p),
				  XML_ErrorString(XML_GetErrorCode(a.p)));
	XML_ParserFree(a.p);
	disc_server_clear(&a.cur);
	strbuf_free(&a.text);
	if (a.err) {
		free_all(&a);
		*err = a.err;
		return -1;
	}
	*out = a.out;
	return (long)a.n;
}
