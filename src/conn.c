/* conn.c - connection settings from the config.  See conn.h. */
#include "conn.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oauth2.h"
#include "secret.h"
#include "url.h"
#include "util.h"

/* What differs between the protocols' options. */
static const struct {
	enum opt_id url, user;
	const char *url_name, *schemes;
	int port_tls, port_plain;
} protos[] = {
	[CONN_IMAP] = { OPT_ID_imap_url, OPT_ID_imap_user, "imap_url", "imaps|imap", 993, 143 },
	[CONN_SMTP] = { OPT_ID_smtp_url, OPT_ID_smtp_user, "smtp_url", "smtps|smtp", 465, 587 },
};

int conn_default_port(enum conn_proto proto, bool implicit_tls)
{
	return implicit_tls ? protos[proto].port_tls : protos[proto].port_plain;
}

int conn_timeout_ms(const struct conn_params *p)
{
	return (p->timeout_s > 0 ? p->timeout_s : 30) * 1000;
}

struct tls_config conn_tls_config(const struct conn_params *p, const char *accept_once, net_cancel_t *cancel)
{
	return (struct tls_config){
		.host = p->host, .port = p->port, .ca_file = p->ca_file, .pin = p->pin, .pin_file = p->pin_file,
		.accept_once = accept_once, .timeout_ms = conn_timeout_ms(p), .cancel = cancel,
	};
}

enum conn_secret conn_get_secret(const struct conn_params *p, bool oauth, bool force_refresh, conn_ask_secret_fn ask,
				 void *ud, const char *prompt, char **out, char **err)
{
	*out = *err = NULL;
	if (oauth && conn_oauth_on(p))
		return conn_oauth_token(p, force_refresh, out, err, NULL);
	const char *cmd = oauth ? p->oauth_cmd : p->pass_cmd;
	if (cmd)
		return secret_run(oauth ? "imap_oauth_cmd" : p->pass_what, cmd, out, err) == SECRET_OK ? CONN_SECRET_OK
												 : CONN_SECRET_FAILED;
	if (!oauth && p->pass) {
		*out = secret_dup(p->pass);
		return CONN_SECRET_OK;
	}
	if (!oauth && ask)
		*out = ask(ud, prompt);
	return *out ? CONN_SECRET_OK : CONN_SECRET_NONE;
}

static char *opt_dup(const conf_t *c, long a, enum opt_id id)
{
	const char *v = conf_str(c, a, id);
	return v && *v ? xstrdup(v) : NULL;
}

/* ---- the built-in OAuth2 login ---- */

/* The fields of struct conn_oauth, for copying and freeing them alike. */
enum { OAUTH_NFIELDS = 11 };
static void oauth_fields(struct conn_oauth *o, char **f[OAUTH_NFIELDS])
{
	char **all[OAUTH_NFIELDS] = { &o->provider,  &o->client_id,  &o->client_secret, &o->auth_url,
				     &o->token_url, &o->device_url, &o->scope,         &o->tenant,
				     &o->store_cmd, &o->lookup_cmd, &o->data_dir };
	memcpy(f, all, sizeof(all));
}

void conn_oauth_options(const conf_t *c, long a, struct conn_oauth *o)
{
	static const enum opt_id ids[] = { OPT_ID_oauth_provider,  OPT_ID_oauth_client_id, OPT_ID_oauth_client_secret,
					  OPT_ID_oauth_auth_url,  OPT_ID_oauth_token_url, OPT_ID_oauth_device_url,
					  OPT_ID_oauth_scope,     OPT_ID_oauth_tenant,    OPT_ID_oauth_store_cmd,
					  OPT_ID_oauth_lookup_cmd };
	char **f[OAUTH_NFIELDS];
	oauth_fields(o, f);
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++)
		*f[i] = opt_dup(c, a, ids[i]);
	if (o->provider || o->token_url || o->client_id)
		o->data_dir = conf_data_dir(c);
}

bool conn_oauth_on(const struct conn_params *p)
{
	return !p->oauth_cmd && p->oauth.data_dir;
}

static struct {
	pthread_mutex_t mu;
	struct shared_ctx {
		char *label;
		oauth2_t *ctx;
		bool reauth; /* the last token asked for: the grant is gone */
	} *v;
	size_t n;
} shared = { .mu = PTHREAD_MUTEX_INITIALIZER };

oauth2_t *conn_oauth_new(const struct conn_params *p, char **err)
{
	*err = NULL;
	const char *label = p->label ? p->label : "";
	const struct conn_oauth *o = &p->oauth;
	struct oauth2_config cfg = {
		.account = label,
		.provider = o->provider,
		.client_id = o->client_id,
		.client_secret = o->client_secret,
		.auth_url = o->auth_url,
		.token_url = o->token_url,
		.device_url = o->device_url,
		.scope = o->scope,
		.tenant = o->tenant,
		.login_hint = p->user,
		.ca_file = p->ca_file,
		.store_cmd = o->store_cmd,
		.lookup_cmd = o->lookup_cmd,
		.data_dir = o->data_dir,
		.timeout_ms = conn_timeout_ms(p),
	};
	return oauth2_new(&cfg, err);
}

oauth2_t *conn_oauth_ctx(const struct conn_params *p, char **err)
{
	*err = NULL;
	const char *label = p->label ? p->label : "";
	pthread_mutex_lock(&shared.mu);
	oauth2_t *ctx = NULL;
	for (size_t i = 0; i < shared.n && !ctx; i++)
		if (strcmp(shared.v[i].label, label) == 0)
			ctx = shared.v[i].ctx;
	if (!ctx) {
		ctx = conn_oauth_new(p, err);
		if (ctx) {
			shared.v = xrealloc(shared.v, (shared.n + 1) * sizeof(*shared.v));
			shared.v[shared.n++] = (struct shared_ctx){ .label = xstrdup(label), .ctx = ctx };
		}
	}
	pthread_mutex_unlock(&shared.mu);
	return ctx;
}

bool conn_oauth_reauth_needed(const char *label)
{
	bool r = false;
	pthread_mutex_lock(&shared.mu);
	for (size_t i = 0; i < shared.n; i++)
		if (strcmp(shared.v[i].label, label ? label : "") == 0)
			r = shared.v[i].reauth;
	pthread_mutex_unlock(&shared.mu);
	return r;
}

void conn_oauth_forget_all(void)
{
	pthread_mutex_lock(&shared.mu);
	for (size_t i = 0; i < shared.n; i++) {
		free(shared.v[i].label);
		oauth2_free(&shared.v[i].ctx);
	}
	free(shared.v);
	shared.v = NULL;
	shared.n = 0;
	pthread_mutex_unlock(&shared.mu);
}

enum conn_secret conn_oauth_token(const struct conn_params *p, bool force_refresh, char **out, char **err, bool *reauth)
{
	*out = NULL;
	if (reauth)
		*reauth = false;
	oauth2_t *ctx = conn_oauth_ctx(p, err);
	if (!ctx)
		return CONN_SECRET_FAILED;
	enum oauth2_status st = oauth2_token_get(ctx, force_refresh, out, err);
	pthread_mutex_lock(&shared.mu);
	for (size_t i = 0; i < shared.n; i++)
		if (shared.v[i].ctx == ctx)
			shared.v[i].reauth = st == OAUTH2_ERR_REAUTH;
	pthread_mutex_unlock(&shared.mu);
	if (st == OAUTH2_OK)
		return CONN_SECRET_OK;
	if (reauth)
		*reauth = st == OAUTH2_ERR_REAUTH;
	util_wipe_free(out);
	return CONN_SECRET_FAILED;
}

/* The account's URL for proto, parsed; false with *err (caller frees). */
static bool parse_url(const conf_t *c, long a, enum conn_proto proto, struct url *u, char **err)
{
	const char *url = conf_str(c, a, protos[proto].url);
	char *e = NULL;
	if (!url || !*url) {
		*err = xasprintf("%s is not set", protos[proto].url_name);
		memset(u, 0, sizeof(*u));
		return false;
	}
	if (!url_parse(url, protos[proto].schemes, u, &e)) {
		*err = xasprintf("%s: %s", protos[proto].url_name, e);
		free(e);
		return false;
	}
	return true;
}

/* The IMAP login name (imap_user, else the user in imap_url) and host
 * (NULL when imap_url is unusable), for SMTP's defaults. */
static void imap_side(const conf_t *c, long a, char **user, char **host)
{
	struct url u;
	char *e = NULL;
	bool ok = parse_url(c, a, CONN_IMAP, &u, &e);
	free(e);
	*user = opt_dup(c, a, OPT_ID_imap_user);
	if (!*user && ok && u.user)
		*user = xstrdup(u.user);
	*host = ok ? xstrdup(u.host) : NULL;
	url_clear(&u);
}

static void imap_secret(const conf_t *c, long a, struct conn_params *p)
{
	p->pass = opt_dup(c, a, OPT_ID_imap_pass);
	p->pass_cmd = opt_dup(c, a, OPT_ID_imap_pass_cmd);
	p->oauth_cmd = opt_dup(c, a, OPT_ID_imap_oauth_cmd);
	p->pass_what = "imap_pass_cmd";
}

/* SMTP's secret: smtp_pass_cmd, else the IMAP one when the login is the
 * same (one password, one place to keep it). */
static void smtp_secret(const conf_t *c, long a, const char *imap_user, struct conn_params *p)
{
	p->pass_cmd = opt_dup(c, a, OPT_ID_smtp_pass_cmd);
	p->pass_what = "smtp_pass_cmd";
	if (p->pass_cmd || !p->user || !imap_user || strcmp(imap_user, p->user) != 0)
		return;
	imap_secret(c, a, p);
	p->pass_what = p->oauth_cmd ? "imap_oauth_cmd" : "imap_pass_cmd";
}

static void tls_options(const conf_t *c, long a, struct conn_params *p)
{
	p->tls_none = conf_enum(c, a, OPT_ID_tls) == 1;
	char *ca = conf_path(c, a, OPT_ID_tls_ca_file);
	if (ca && *ca)
		p->ca_file = ca;
	else
		free(ca);
	char *dd = conf_data_dir(c);
	p->pin_file = xasprintf("%s/certs", dd);
	free(dd);
	p->timeout_s = (int)conf_num(c, -1, OPT_ID_timeout);
}

/* SMTP's defaults from the IMAP side.  tls_pin names the IMAP server's
 * leaf: a different SMTP host has a different certificate, which the pin
 * file (accept always) covers. */
static void smtp_from_imap(const conf_t *c, long a, struct conn_params *p)
{
	char *iu, *ih;
	imap_side(c, a, &iu, &ih);
	if (!p->user)
		p->user = xstrdup_null(iu);
	smtp_secret(c, a, iu, p);
	if (ih && p->host && strcasecmp(ih, p->host) == 0)
		p->pin = opt_dup(c, a, OPT_ID_tls_pin);
	free(iu);
	free(ih);
}

bool conn_from_conf(const conf_t *c, long account, enum conn_proto proto, struct conn_params *p, char **err)
{
	memset(p, 0, sizeof(*p));
	*err = NULL;
	struct url u;
	if (!parse_url(c, account, proto, &u, err))
		return false;
	p->host = u.host;
	u.host = NULL;
	p->implicit_tls = u.implicit_tls;
	p->port = u.port ? u.port : conn_default_port(proto, u.implicit_tls);
	p->user = opt_dup(c, account, protos[proto].user);
	if (!p->user && u.user)
		p->user = xstrdup(u.user);
	url_clear(&u);
	tls_options(c, account, p);
	if (proto == CONN_IMAP) {
		imap_secret(c, account, p);
		p->pin = opt_dup(c, account, OPT_ID_tls_pin);
	} else {
		smtp_from_imap(c, account, p);
	}
	if (proto == CONN_IMAP || !p->pass_cmd || p->oauth_cmd) /* smtp_pass_cmd wins over OAuth2 */
		conn_oauth_options(c, account, &p->oauth);
	if (account >= 0)
		p->label = xstrdup(conf_account_name(c, (size_t)account));
	return true;
}

void conn_params_copy(struct conn_params *d, const struct conn_params *s)
{
	*d = *s;
	d->host = xstrdup_null(s->host);
	d->user = xstrdup_null(s->user);
	d->pass = s->pass ? secret_dup(s->pass) : NULL;
	d->pass_cmd = xstrdup_null(s->pass_cmd);
	d->oauth_cmd = xstrdup_null(s->oauth_cmd);
	d->ca_file = xstrdup_null(s->ca_file);
	d->pin = xstrdup_null(s->pin);
	d->pin_file = xstrdup_null(s->pin_file);
	d->label = xstrdup_null(s->label);
	char **f[OAUTH_NFIELDS];
	oauth_fields(&d->oauth, f);
	for (size_t i = 0; i < OAUTH_NFIELDS; i++)
		*f[i] = xstrdup_null(*f[i]); /* d->oauth is still s->oauth's pointers */
}

void conn_params_clear(struct conn_params *p)
{
	free(p->host);
	free(p->user);
	secret_free(&p->pass);
	free(p->pass_cmd);
	free(p->oauth_cmd);
	free(p->ca_file);
	free(p->pin);
	free(p->pin_file);
	free(p->label);
	char **f[OAUTH_NFIELDS];
	oauth_fields(&p->oauth, f);
	for (size_t i = 0; i < OAUTH_NFIELDS; i++)
		free(*f[i]);
	memset(p, 0, sizeof(*p));
}
