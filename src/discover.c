/* discover.c - the discovery steps, candidate probing and the results.
 *
 * Each step adds candidates (in the order its source gives them, implicit
 * TLS first); after each step the candidates of a protocol not yet settled
 * are probed, and the first that works settles it.  So a working SRV answer
 * is never overridden by a later autoconfig file, and guessing only happens
 * when nothing better worked.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "discover_private.h"
#include "imap.h"
#include "log.h"
#include "secret.h"
#include "util.h"

enum { MAX_CANDIDATES = 64, MAX_SRV = 8 };

struct discover {
	struct disc_opts o;          /* strings below are owned copies */
	char *resolver, *ca_file, *pin_file, *ispdb_url;
	struct disc_port_map *port_map;
	char *email, *domain;
	struct disc_server *c;       /* candidates */
	size_t n;
	long found[2];               /* index of the working server per proto, or -1 */
	bool skip[2];                /* not wanted: the user gave it */
	char **warnings;             /* owned lines */
	size_t nwarn;
	bool oauth_hint;
	atomic_bool cancelled;
	pthread_mutex_t lock;        /* guards cur */
	imap_t *cur;                 /* the session being probed (foreign to the lock's users) */
};

static void progress(const discover_t *d, const char *fmt, ...) ML_PRINTF(2, 3);
static void progress(const discover_t *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	log_info("discover: %s", line);
	if (d->o.progress)
		d->o.progress(d->o.ud, line);
	free(line);
}

static void warn(discover_t *d, const char *fmt, ...) ML_PRINTF(2, 3);
static void warn(discover_t *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	progress(d, "warning: %s", line);
	d->warnings = xreallocarray(d->warnings, d->nwarn + 1, sizeof(*d->warnings));
	d->warnings[d->nwarn++] = line;
}

/* ---- object ---- */

discover_t *discover_new(const struct disc_opts *opts)
{
	discover_t *d = xcalloc(1, sizeof(*d));
	d->o = *opts;
	d->o.resolver = d->resolver = xstrdup_null(opts->resolver);
	d->o.ca_file = d->ca_file = xstrdup_null(opts->ca_file);
	d->o.pin_file = d->pin_file = xstrdup_null(opts->pin_file);
	d->o.ispdb_url = d->ispdb_url = xstrdup_null(opts->ispdb_url);
	size_t nm = 0;
	while (opts->port_map && opts->port_map[nm].from)
		nm++;
	d->port_map = xcalloc(nm + 1, sizeof(*d->port_map));
	if (nm)
		memcpy(d->port_map, opts->port_map, nm * sizeof(*d->port_map));
	d->o.port_map = d->port_map;
	d->found[0] = d->found[1] = -1;
	pthread_mutex_init(&d->lock, NULL);
	disc_http_global_init(); /* not thread-safe: do it on the creating thread */
	return d;
}

void discover_free(discover_t **dp)
{
	discover_t *d = dp ? *dp : NULL;
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		disc_server_clear(&d->c[i]);
	free(d->c);
	free(d->resolver);
	free(d->ca_file);
	free(d->pin_file);
	free(d->ispdb_url);
	free(d->port_map);
	free(d->email);
	free(d->domain);
	for (size_t i = 0; i < d->nwarn; i++)
		free(d->warnings[i]);
	free(d->warnings);
	pthread_mutex_destroy(&d->lock);
	free(d);
	*dp = NULL;
}

void discover_cancel(discover_t *d)
{
	atomic_store(&d->cancelled, true);
	pthread_mutex_lock(&d->lock);
	if (d->cur)
		imap_cancel(d->cur);
	pthread_mutex_unlock(&d->lock);
}

void discover_skip(discover_t *d, enum disc_proto proto)
{
	d->skip[proto] = true;
}

/* Nothing more to look for in proto. */
static bool done(const discover_t *d, enum disc_proto proto)
{
	return d->found[proto] >= 0 || d->skip[proto];
}

size_t discover_count(const discover_t *d) { return d->n; }
const struct disc_server *discover_get(const discover_t *d, size_t i) { return i < d->n ? &d->c[i] : NULL; }
bool discover_oauth_hint(const discover_t *d) { return d->oauth_hint; }
size_t discover_warning_count(const discover_t *d) { return d->nwarn; }

const char *discover_warning(const discover_t *d, size_t i)
{
	return i < d->nwarn ? d->warnings[i] : NULL;
}

const struct disc_server *discover_best(const discover_t *d, enum disc_proto proto)
{
	if (d->skip[proto])
		return NULL;
	if (d->found[proto] >= 0)
		return &d->c[d->found[proto]];
	static const enum disc_probe order[] = { DISC_CERT, DISC_INSECURE };
	for (size_t k = 0; k < ARRAY_SIZE(order); k++)
		for (size_t i = 0; i < d->n; i++)
			if (d->c[i].proto == proto && d->c[i].probe == order[k])
				return &d->c[i];
	return NULL;
}

/* ---- probing ---- */

static void imap_mechs(struct disc_server *s, imap_t *m)
{
	struct strbuf b;
	strbuf_init(&b);
	if (imap_has_cap(m, IMAP_CAP_AUTH_PLAIN))
		strbuf_adds(&b, "PLAIN ");
	if (!imap_has_cap(m, IMAP_CAP_LOGINDISABLED))
		strbuf_adds(&b, "LOGIN ");
	if (imap_has_cap(m, IMAP_CAP_AUTH_XOAUTH2))
		strbuf_adds(&b, "XOAUTH2 ");
	if (imap_has_cap(m, IMAP_CAP_AUTH_OAUTHBEARER))
		strbuf_adds(&b, "OAUTHBEARER ");
	if (b.len)
		b.s[--b.len] = '\0';
	free(s->mechs);
	s->mechs = strbuf_detach(&b);
}

/* What a failed imap_connect means for the candidate. */
static enum disc_probe imap_failure(imap_t *m, enum imap_status st)
{
	if (st == IMAP_ERR_CERT)
		return DISC_CERT;
	if (st == IMAP_ERR_INSECURE && !imap_has_cap(m, IMAP_CAP_STARTTLS) && !*imap_tls_version(m))
		return DISC_INSECURE;
	return DISC_FAILED;
}

static void probe_imap(discover_t *d, const struct disc_opts *o, struct disc_server *s, const char *accept_once)
{
	struct imap_params p = { 0 };
	disc_conn(o, s, &p.conn);
	imap_t *m = imap_new(&p);
	imap_params_clear(&p);
	if (accept_once)
		imap_set_accept_once(m, accept_once);
	if (d) {
		pthread_mutex_lock(&d->lock);
		d->cur = m;
		pthread_mutex_unlock(&d->lock);
		if (atomic_load(&d->cancelled))
			imap_cancel(m);
	}
	enum imap_status st = imap_connect(m);
	if (d) {
		pthread_mutex_lock(&d->lock);
		d->cur = NULL;
		pthread_mutex_unlock(&d->lock);
	}
	tls_cert_info_free(&s->cert);
	if (imap_cert(m))
		s->cert = tls_cert_info_dup(imap_cert(m));
	free(s->tls_version);
	s->tls_version = *imap_tls_version(m) ? xstrdup(imap_tls_version(m)) : NULL;
	if (st == IMAP_OK) {
		s->probe = DISC_WORKS;
		imap_mechs(s, m);
	} else {
		s->probe = imap_failure(m, st);
		s->error = xstrdup(imap_error(m));
	}
	imap_free(&m);
}

static void probe_one(discover_t *d, const struct disc_opts *o, struct disc_server *s, const char *accept_once)
{
	free(s->error);
	s->error = NULL;
	s->probe = DISC_UNPROBED;
	if (s->proto == DISC_IMAP)
		probe_imap(d, o, s, accept_once);
	else
		disc_smtp_probe(o, s, accept_once);
}

void discover_probe(const struct disc_opts *opts, struct disc_server *s, const char *accept_once)
{
	probe_one(NULL, opts, s, accept_once);
}

int discover_login(const struct disc_opts *o, const struct disc_server *s, const char *user,
		   const char *password, const char *accept_once, char **err)
{
	*err = NULL;
	if (s->proto == DISC_SMTP)
		return disc_smtp_login(o, s, user, password, accept_once, err);
	struct imap_params p = { 0 };
	disc_conn(o, s, &p.conn);
	p.conn.user = xstrdup(user);
	p.conn.pass = secret_dup(password);
	imap_t *m = imap_new(&p);
	imap_params_clear(&p);
	if (accept_once)
		imap_set_accept_once(m, accept_once);
	enum imap_status st = imap_connect(m);
	if (st == IMAP_OK)
		st = imap_login(m);
	if (st != IMAP_OK)
		*err = xstrdup(imap_error(m));
	imap_free(&m);
	return st == IMAP_OK ? 0 : -1;
}

/* ---- collecting candidates ---- */

static bool same(const struct disc_server *a, const struct disc_server *b)
{
	return a->proto == b->proto && a->port == b->port && a->sec == b->sec && strcasecmp(a->host, b->host) == 0;
}

/* Take ownership of s unless it is a duplicate or over the cap. */
static void add(discover_t *d, struct disc_server *s)
{
	for (size_t i = 0; i < d->n; i++) {
		if (same(&d->c[i], s)) {
			disc_server_clear(s);
			return;
		}
	}
	if (d->n == MAX_CANDIDATES) {
		disc_server_clear(s);
		return;
	}
	if (s->oauth)
		d->oauth_hint = true;
	if (s->sec == DISC_SEC_PLAIN)
		s->sec = DISC_SEC_STARTTLS; /* see discover_probe */
	d->c = xreallocarray(d->c, d->n + 1, sizeof(*d->c));
	d->c[d->n++] = *s;
	memset(s, 0, sizeof(*s));
}

static void add_new(discover_t *d, enum disc_proto proto, const char *host, int port, enum disc_sec sec,
		    const char *source)
{
	struct disc_server s = { .proto = proto, .port = port, .sec = sec };
	s.host = xstrdup(host);
	s.source = xstrdup(source);
	add(d, &s);
}

/* Probe the not-yet-probed candidates from index `from` on, implicit TLS
 * first; true when IMAP is settled. */
static bool probe_new(discover_t *d, size_t from)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = from; i < d->n && !atomic_load(&d->cancelled); i++) {
			struct disc_server *s = &d->c[i];
			bool tls = s->sec == DISC_SEC_TLS;
			if (s->probe != DISC_UNPROBED || done(d, s->proto) || tls != (pass == 0))
				continue;
			char *url = disc_server_url(s, NULL);
			progress(d, "trying %s (from %s)", url, s->source);
			probe_one(d, &d->o, s, NULL);
			if (s->probe == DISC_WORKS) {
				d->found[s->proto] = (long)i;
				progress(d, "%s works (%s)", url, s->tls_version ? s->tls_version : "TLS");
			} else {
				progress(d, "%s: %s", url, s->error ? s->error : disc_probe_name(s->probe));
			}
			free(url);
		}
	}
	return done(d, DISC_IMAP);
}

static bool settled(const discover_t *d)
{
	return (done(d, DISC_IMAP) && done(d, DISC_SMTP)) || atomic_load(&d->cancelled);
}

/* ---- the steps ---- */

static void step_srv(discover_t *d, const char *domain)
{
	static const struct {
		const char *label;
		enum disc_proto proto;
		enum disc_sec sec;
	} services[] = {
		{ "_imaps._tcp", DISC_IMAP, DISC_SEC_TLS },
		{ "_imap._tcp", DISC_IMAP, DISC_SEC_STARTTLS },
		{ "_submissions._tcp", DISC_SMTP, DISC_SEC_TLS },
		{ "_submission._tcp", DISC_SMTP, DISC_SEC_STARTTLS },
	};
	for (size_t k = 0; k < ARRAY_SIZE(services) && !atomic_load(&d->cancelled); k++) {
		if (done(d, services[k].proto))
			continue;
		char *name = xasprintf("%s.%s", services[k].label, domain);
		struct disc_srv srv[MAX_SRV];
		int n = disc_dns_srv(&d->o, name, srv, MAX_SRV);
		int used = 0;
		for (int i = 0; i < n; i++) {
			/* RFC 6186: a target of "." says the service is not offered */
			if (!srv[i].target[0] || strcmp(srv[i].target, ".") == 0 || !disc_hostname_ok(srv[i].target) ||
			    srv[i].port == 0)
				continue;
			char *src = xasprintf("SRV %s", name);
			add_new(d, services[k].proto, srv[i].target, srv[i].port, services[k].sec, src);
			free(src);
			used++;
		}
		progress(d, "SRV %s: %s", name, used ? "found" : "none");
		free(name);
	}
}

/* Fetch one autoconfig URL and add what it lists; true if it answered. */
static bool fetch_config(discover_t *d, const char *url, const char *what)
{
	char *body, *err;
	size_t len;
	if (disc_http_get(&d->o, url, &body, &len, &err) < 0) {
		progress(d, "%s %s: %s", what, url, err);
		free(err);
		return false;
	}
	char *src = xasprintf("%s %s", what, url);
	struct disc_server *list;
	long n = autoconfig_parse(body, len, d->email, src, &list, &err);
	free(body);
	if (n < 0) {
		progress(d, "%s %s: unusable (%s)", what, url, err);
		free(err);
		free(src);
		return false;
	}
	progress(d, "%s %s: %ld server(s)", what, url, n);
	if (strncmp(url, "http://", 7) == 0)
		warn(d, "the server list came over plain HTTP (%s) and could have been changed on the way; "
			"check the host names before you go on", url);
	for (long i = 0; i < n; i++)
		add(d, &list[i]);
	free(list);
	free(src);
	return n > 0;
}

static char *url_escape(const char *s)
{
	struct strbuf b;
	strbuf_init(&b);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p))
			strbuf_addc(&b, (char)*p);
		else
			strbuf_addf(&b, "%%%02X", *p);
	}
	return strbuf_detach(&b);
}

static void step_autoconfig(discover_t *d, const char *domain)
{
	char *addr = url_escape(d->email);
	const char *schemes[] = { "https", "http" };
	for (size_t k = 0; k < (d->o.allow_http ? 2u : 1u) && !settled(d); k++) {
		char *u1 = xasprintf("%s://autoconfig.%s/mail/config-v1.1.xml?emailaddress=%s", schemes[k], domain, addr);
		char *u2 = xasprintf("%s://%s/.well-known/autoconfig/mail/config-v1.1.xml", schemes[k], domain);
		size_t from = d->n;
		if (!fetch_config(d, u1, "autoconfig") && !atomic_load(&d->cancelled))
			fetch_config(d, u2, "autoconfig");
		probe_new(d, from);
		free(u1);
		free(u2);
	}
	free(addr);
}

static void step_ispdb(discover_t *d, const char *domain)
{
	const char *base = d->o.ispdb_url ? d->o.ispdb_url : "https://autoconfig.thunderbird.net/v1.1/";
	char *url = xasprintf("%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/", domain);
	size_t from = d->n;
	fetch_config(d, url, "ISPDB");
	probe_new(d, from);
	free(url);
}

/* Steps 1-3 for one domain. */
static void lookups(discover_t *d, const char *domain)
{
	size_t from = d->n;
	step_srv(d, domain);
	probe_new(d, from);
	if (!settled(d))
		step_autoconfig(d, domain);
	if (!settled(d))
		step_ispdb(d, domain);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcasecmp(s + a - b, suffix) == 0 && (a == b || s[a - b - 1] == '.');
}

/* Providers that refuse passwords for IMAP and want OAuth2. */
static void oauth_check(discover_t *d, const char *host)
{
	static const char *const known[] = { "gmail.com", "googlemail.com", "google.com", "outlook.com",
					     "hotmail.com", "live.com", "office365.com", "yahoo.com", "aol.com" };
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (ends_with(host, known[i]))
			d->oauth_hint = true;
}

/* Step 4: the same lookups for the MX host's domain (and its parents, down
 * to two labels, since we have no public-suffix list). */
static void step_mx(discover_t *d)
{
	char mx[256];
	if (!disc_dns_mx(&d->o, d->domain, mx)) {
		progress(d, "MX %s: none", d->domain);
		return;
	}
	progress(d, "MX %s: %s", d->domain, mx);
	oauth_check(d, mx);
	const char *p = strchr(mx, '.');
	for (int depth = 0; p && strchr(p + 1, '.') && depth < 3 && !settled(d); depth++, p = strchr(p + 1, '.')) {
		if (strcasecmp(p + 1, d->domain) != 0)
			lookups(d, p + 1);
	}
}

/* Step 5: the usual host names on the standard ports. */
static void step_guess(discover_t *d)
{
	static const char *const imap_hosts[] = { "imap.", "mail.", "" };
	static const char *const smtp_hosts[] = { "smtp.", "mail.", "" };
	static const struct {
		enum disc_proto proto;
		int port;
		enum disc_sec sec;
	} ports[] = {
		{ DISC_IMAP, 993, DISC_SEC_TLS },   { DISC_IMAP, 143, DISC_SEC_STARTTLS },
		{ DISC_SMTP, 465, DISC_SEC_TLS },   { DISC_SMTP, 587, DISC_SEC_STARTTLS },
	};
	size_t from = d->n;
	for (size_t k = 0; k < ARRAY_SIZE(ports); k++) {
		if (done(d, ports[k].proto))
			continue;
		const char *const *hosts = ports[k].proto == DISC_IMAP ? imap_hosts : smtp_hosts;
		for (size_t h = 0; h < 3; h++) {
			char *host = xasprintf("%s%s", hosts[h], d->domain);
			char addr[INET_ADDRSTRLEN];
			/* with our own resolver, skip names that do not exist before dialing */
			if (!disc_resolver_overridden(&d->o) || disc_dns_a(&d->o, host, addr))
				add_new(d, ports[k].proto, host, ports[k].port, ports[k].sec, "guess");
			free(host);
		}
	}
	progress(d, "guessing: %zu candidate(s)", d->n - from);
	probe_new(d, from);
}

enum disc_status discover_run(discover_t *d, const char *email)
{
	char *local, *err;
	free(d->email);
	free(d->domain);
	d->email = d->domain = NULL;
	if (!disc_email_split(email, &local, &d->domain, &err)) {
		progress(d, "%s", err);
		free(err);
		return DISC_BAD_ADDRESS;
	}
	free(local);
	d->email = xstrdup(email);
	oauth_check(d, d->domain);
	lookups(d, d->domain);
	if (!settled(d))
		step_mx(d);
	if (!settled(d))
		step_guess(d);
	if (d->oauth_hint)
		warn(d, "%s is known to require OAuth2 for IMAP: set oauth_provider and oauth_client_id, then run "
			"muttlike setup --oauth ACCOUNT (doc/oauth2.md)", d->domain);
	if (atomic_load(&d->cancelled))
		return DISC_CANCELLED;
	return done(d, DISC_IMAP) ? DISC_OK : DISC_NOT_FOUND;
}
