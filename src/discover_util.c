/* discover_util.c - what the discovery steps share: candidates, addresses,
 * the test hook's ports, timeouts and a probe's connection settings.  The
 * lowest part of the discover family: it calls none of the others. */
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "discover_private.h"
#include "util.h"

void disc_server_clear(struct disc_server *s)
{
	free(s->host);
	free(s->user);
	free(s->source);
	free(s->mechs);
	free(s->error);
	free(s->tls_version);
	tls_cert_info_free(&s->cert);
	memset(s, 0, sizeof(*s));
}

void disc_server_copy(struct disc_server *d, const struct disc_server *s)
{
	*d = *s;
	d->host = xstrdup_null(s->host);
	d->user = xstrdup_null(s->user);
	d->source = xstrdup_null(s->source);
	d->mechs = xstrdup_null(s->mechs);
	d->error = xstrdup_null(s->error);
	d->tls_version = xstrdup_null(s->tls_version);
	d->cert = s->cert ? tls_cert_info_dup(s->cert) : NULL;
}

const char *disc_sec_name(enum disc_sec sec)
{
	static const char *const n[] = { "TLS", "STARTTLS", "none (plaintext)" };
	return n[sec];
}

const char *disc_probe_name(enum disc_probe p)
{
	static const char *const n[] = { "not tried", "works", "certificate refused", "plaintext only", "failed" };
	return n[p];
}

char *disc_server_url(const struct disc_server *s, const char *user)
{
	static const char *const schemes[2][2] = { { "imaps", "imap" }, { "smtps", "smtp" } };
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addf(&b, "%s://", schemes[s->proto][s->sec == DISC_SEC_TLS ? 0 : 1]);
	if (user && *user) {
		/* percent-encode all but unreserved characters: the '@' of an address */
		for (const unsigned char *p = (const unsigned char *)user; *p; p++) {
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			    strchr("-._~", *p))
				strbuf_addc(&b, (char)*p);
			else
				strbuf_addf(&b, "%%%02X", *p);
		}
		strbuf_addc(&b, '@');
	}
	int def = conn_default_port(s->proto == DISC_IMAP ? CONN_IMAP : CONN_SMTP, s->sec == DISC_SEC_TLS);
	strbuf_adds(&b, s->host);
	if (s->port != def)
		strbuf_addf(&b, ":%d", s->port);
	return strbuf_detach(&b);
}

bool disc_hostname_ok(const char *host)
{
	size_t n = host ? strlen(host) : 0, label = 0;
	if (n == 0 || n > 253 || host[0] == '.' || host[0] == '-')
		return false;
	for (const char *p = host; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			   *p == '-' || *p == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

static bool email_split(const char *email, bool dotless_ok, char **local, char **domain, char **err)
{
	*local = *domain = NULL;
	const char *at = email ? strrchr(email, '@') : NULL;
	if (!at || at == email || strlen(email) > 254) {
		*err = xstrdup("an e-mail address looks like name@example.org");
		return false;
	}
	for (const unsigned char *p = (const unsigned char *)email; p < (const unsigned char *)at; p++) {
		if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '\\') {
			*err = xstrdup("the part before '@' has spaces, quotes or control characters");
			return false;
		}
	}
	const char *d = at + 1;
	if (!disc_hostname_ok(d) || (!dotless_ok && !strchr(d, '.')) || d[strlen(d) - 1] == '.') {
		*err = xasprintf("'%s' is not a valid mail domain", d);
		return false;
	}
	*local = xstrndup(email, (size_t)(at - email));
	*domain = xstrdup(d);
	for (char *p = *domain; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return true;
}

bool disc_email_split(const char *email, char **local, char **domain, char **err)
{
	return email_split(email, false, local, domain, err);
}

bool disc_email_split_local(const char *email, char **local, char **domain, char **err)
{
	return email_split(email, true, local, domain, err);
}

int disc_port(const struct disc_opts *o, int port)
{
	for (const struct disc_port_map *m = o->port_map; m && m->from; m++)
		if (m->from == port)
			return m->to;
	return port;
}

int disc_timeout_ms(const struct disc_opts *o)
{
	return o->step_timeout_ms > 0 ? o->step_timeout_ms : 5000;
}

void disc_conn(const struct disc_opts *o, const struct disc_server *s, struct conn_params *p)
{
	memset(p, 0, sizeof(*p));
	p->host = xstrdup(s->host);
	p->port = disc_port(o, s->port);
	p->implicit_tls = s->sec == DISC_SEC_TLS;
	p->tls_none = s->sec == DISC_SEC_PLAIN; /* only ever the user's explicit choice */
	p->ca_file = xstrdup_null(o->ca_file);
	p->pin_file = xstrdup_null(o->pin_file);
	p->timeout_s = o->probe_timeout_s > 0 ? o->probe_timeout_s : 10;
	p->label = xstrdup("setup");
}
