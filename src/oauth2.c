/* oauth2.c - providers, the context, access tokens and their refresh. */
#include "oauth2.h"

#include <ctype.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "curlso.h"
#include "encode.h"
#include "log.h"
#include "oauth2_private.h"
#include "text.h"
#include "util.h"

/* ---- providers ---- */

static const char *const google_hosts[] = { "imap.gmail.com", "smtp.gmail.com", "imap.googlemail.com",
					    "smtp.googlemail.com", NULL };
static const char *const microsoft_hosts[] = { "outlook.office365.com", "smtp.office365.com", "outlook.office.com",
					       "imap-mail.outlook.com", "smtp-mail.outlook.com", ".outlook.com",
					       NULL };

static const struct oauth2_provider providers[] = {
	{
		.name = "google",
		.auth_url = "https://accounts.google.com/o/oauth2/v2/auth",
		.token_url = "https://oauth2.googleapis.com/token",
		.device_url = "https://oauth2.googleapis.com/device/code",
		.scope = "https://mail.google.com/",
		.hosts = google_hosts,
		/* Google's device grant serves a short list of scopes, mail not among them */
		.prefer_browser = true,
	},
	{
		.name = "microsoft",
		.auth_url = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
		.token_url = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
		.device_url = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
		.scope = "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send "
			 "offline_access",
		.tenant = "common",
		.hosts = microsoft_hosts,
	},
};

static const struct {
	const char *alias, *name;
} aliases[] = { { "gmail", "google" }, { "outlook", "microsoft" }, { "office365", "microsoft" },
		{ "hotmail", "microsoft" }, { "live", "microsoft" } };

const struct oauth2_provider *oauth2_provider_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++)
		if (strcasecmp(name, aliases[i].alias) == 0)
			name = aliases[i].name;
	for (size_t i = 0; i < ARRAY_SIZE(providers); i++)
		if (strcasecmp(name, providers[i].name) == 0)
			return &providers[i];
	return NULL;
}

static bool host_matches(const char *host, const char *pat)
{
	if (*pat != '.')
		return strcasecmp(host, pat) == 0;
	size_t h = strlen(host), p = strlen(pat);
	return h > p && strcasecmp(host + h - p, pat) == 0;
}

const struct oauth2_provider *oauth2_provider_for_host(const char *host)
{
	for (size_t i = 0; host && i < ARRAY_SIZE(providers); i++)
		for (const char *const *h = providers[i].hosts; *h; h++)
			if (host_matches(host, *h))
				return &providers[i];
	return NULL;
}

/* ---- URLs, forms, PKCE ---- */

void oauth2_url_escape(const char *s, struct strbuf *out)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("-._~", c))
			strbuf_addc(out, (char)c);
		else
			strbuf_addf(out, "%%%02X", c);
	}
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decode n bytes of a query value ('+' is a space) into a new string; NUL
 * bytes are refused (NULL). */
static char *query_decode(const char *s, size_t n)
{
	char *o = xmalloc(n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '+')
			c = ' ';
		else if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		}
		if (c == '\0') {
			explicit_bzero(o, n + 1);
			free(o);
			return NULL;
		}
		o[k++] = c;
	}
	o[k] = '\0';
	return o;
}

char *oauth2_query_param(const char *url, const char *name)
{
	const char *q = strchr(url, '?');
	if (!q)
		return NULL;
	size_t nlen = strlen(name), end = strcspn(q + 1, "#") + 1;
	for (const char *p = q + 1; p < q + end;) {
		size_t len = strcspn(p, "&#");
		if (len > nlen && p[nlen] == '=' && strncmp(p, name, nlen) == 0)
			return query_decode(p + nlen + 1, len - nlen - 1);
		p += len + 1;
	}
	return NULL;
}

void oauth2_form_add(struct strbuf *b, const char *name, const char *value)
{
	if (b->len)
		strbuf_addc(b, '&');
	strbuf_adds(b, name);
	strbuf_addc(b, '=');
	oauth2_url_escape(value, b);
}

void oauth2_form_client(const oauth2_t *ctx, struct strbuf *b)
{
	oauth2_form_add(b, "client_id", ctx->client_id);
	if (ctx->client_secret)
		oauth2_form_add(b, "client_secret", ctx->client_secret);
}

void oauth2_form_free(struct strbuf *b)
{
	if (b->s)
		explicit_bzero(b->s, b->cap);
	strbuf_free(b);
}

/* base64url without padding (RFC 7636 appendix A). */
static char *base64url(const void *data, size_t n)
{
	char *s = encode_base64_line(data, n);
	for (char *p = s; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	s[strcspn(s, "=")] = '\0';
	return s;
}

char *oauth2_pkce_challenge(const char *verifier)
{
	unsigned char md[32];
	gnutls_hash_fast(GNUTLS_DIG_SHA256, verifier, strlen(verifier), md);
	return base64url(md, sizeof(md));
}

char *oauth2_pkce_verifier(void)
{
	unsigned char rnd[32];
	if (gnutls_rnd(GNUTLS_RND_KEY, rnd, sizeof(rnd)) != 0)
		util_oom(); /* no randomness: nothing safe to do */
	char *v = base64url(rnd, sizeof(rnd));
	explicit_bzero(rnd, sizeof(rnd));
	return v;
}

/* ---- the context ---- */

/* "{tenant}" in a provider URL replaced (new string). */
static char *with_tenant(const char *url, const char *tenant)
{
	const char *t = url ? strstr(url, "{tenant}") : NULL;
	if (!t)
		return xstrdup_null(url);
	return xasprintf("%.*s%s%s", (int)(t - url), url, tenant ? tenant : "common", t + 8);
}

/* The account name made safe as a file name. */
static char *safe_name(const char *account)
{
	char *s = xstrdup(account);
	for (char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.@+", *p))
			*p = '_';
	if (*s == '.')
		*s = '_';
	return s;
}

static bool check_config(const struct oauth2_config *cfg, const oauth2_t *ctx, char **err)
{
	if (!cfg->account || !*cfg->account)
		*err = xstrdup("OAuth2: no account name");
	else if (!ctx->client_id || !*ctx->client_id)
		*err = xasprintf("account %s: OAuth2 needs a client id: set oauth_client_id", cfg->account);
	else if (!ctx->token_url)
		*err = xasprintf("account %s: no OAuth2 token endpoint: set oauth_provider or oauth_token_url",
				 cfg->account);
	else if (!oauth2_url_ok(ctx->token_url))
		*err = xasprintf("account %s: the OAuth2 token endpoint is not an https:// URL", cfg->account);
	else if (!cfg->data_dir || !*cfg->data_dir)
		*err = xasprintf("account %s: OAuth2 needs data_dir for its lock", cfg->account);
	else if (!cfg->store_cmd != !cfg->lookup_cmd)
		*err = xasprintf("account %s: set both oauth_store_cmd and oauth_lookup_cmd, or neither", cfg->account);
	else
		return true;
	return false;
}

oauth2_t *oauth2_new(const struct oauth2_config *cfg, char **err)
{
	*err = NULL;
	const struct oauth2_provider *p = oauth2_provider_find(cfg->provider);
	if (cfg->provider && !p) {
		*err = xasprintf("account %s: unknown OAuth2 provider \"%s\" (known: google, microsoft); set the "
				 "oauth_*_url options instead",
				 cfg->account ? cfg->account : "?", cfg->provider);
		return NULL;
	}
	oauth2_t *c = xcalloc(1, sizeof(*c));
	const char *tenant = cfg->tenant ? cfg->tenant : p ? p->tenant : NULL;
	c->account = xstrdup_null(cfg->account);
	c->client_id = xstrdup_null(cfg->client_id);
	c->client_secret = xstrdup_null(cfg->client_secret);
	c->auth_url = with_tenant(cfg->auth_url ? cfg->auth_url : p ? p->auth_url : NULL, tenant);
	c->token_url = with_tenant(cfg->token_url ? cfg->token_url : p ? p->token_url : NULL, tenant);
	c->device_url = with_tenant(cfg->device_url ? cfg->device_url : p ? p->device_url : NULL, tenant);
	c->scope = xstrdup_null(cfg->scope ? cfg->scope : p ? p->scope : NULL);
	c->prefer_browser = p && p->prefer_browser && !cfg->device_url;
	c->login_hint = xstrdup_null(cfg->login_hint);
	c->ca_file = xstrdup_null(cfg->ca_file);
	c->store_cmd = xstrdup_null(cfg->store_cmd);
	c->lookup_cmd = xstrdup_null(cfg->lookup_cmd);
	c->data_dir = xstrdup_null(cfg->data_dir);
	c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
	c->unit_ms = cfg->time_unit_ms > 0 ? cfg->time_unit_ms : 1000;
	c->margin_ms = (cfg->refresh_margin_s > 0 ? cfg->refresh_margin_s : 300) * c->unit_ms;
	c->lock_fd = -1;
	(void)curlso_get(); /* curl_global_init is not thread-safe: load it on the creating thread */
	pthread_mutex_init(&c->mu, NULL);
	if (!check_config(cfg, c, err)) {
		oauth2_free(&c);
		return NULL;
	}
	char *dir = xasprintf("%s/oauth2", c->data_dir), *name = safe_name(c->account);
	if (util_mkdirs(dir, 0700) != 0)
		log_warn("%s: %s", dir, strerror(errno));
	c->lock_file = xasprintf("%s/%s.lock", dir, name);
	if (!c->store_cmd)
		c->token_file = xasprintf("%s/%s.token", dir, name);
	free(dir);
	free(name);
	return c;
}

void oauth2_free(oauth2_t **pc)
{
	oauth2_t *c = *pc;
	if (!c)
		return;
	oauth2_unlock(c);
	util_wipe_free(&c->access);
	util_wipe_free(&c->client_secret);
	char **owned[] = { &c->account,	 &c->client_id,	 &c->auth_url,	&c->token_url, &c->device_url,
			   &c->scope,	 &c->login_hint, &c->ca_file,	&c->store_cmd, &c->lookup_cmd,
			   &c->data_dir, &c->token_file, &c->lock_file };
	for (size_t i = 0; i < ARRAY_SIZE(owned); i++)
		xfree(owned[i]);
	pthread_mutex_destroy(&c->mu);
	free(c);
	*pc = NULL;
}

/* ---- answers ---- */

static const struct {
	const char *code;
	enum oauth2_status st;
	const char *what; /* what to do */
} errors[] = {
	{ "invalid_grant", OAUTH2_ERR_REAUTH, "the grant was revoked or has expired; run: muttlike setup --reauth %s" },
	{ "invalid_client", OAUTH2_ERR_CONFIG, "the client was refused; check oauth_client_id and oauth_client_secret" },
	{ "unauthorized_client", OAUTH2_ERR_CONFIG,
	  "this client may not use this grant; check the app registration (doc/oauth2.md)" },
	{ "invalid_scope", OAUTH2_ERR_CONFIG, "the scope was refused; check oauth_scope" },
	{ "unsupported_grant_type", OAUTH2_ERR_CONFIG, "the grant is not supported; check the endpoints" },
	{ "access_denied", OAUTH2_ERR_DENIED, "access was denied; run the setup again to retry" },
	{ "expired_token", OAUTH2_ERR_EXPIRED, "the code expired before it was entered; run the setup again" },
	{ "temporarily_unavailable", OAUTH2_ERR_NET, "the server is busy; it will be tried again" },
	{ "server_error", OAUTH2_ERR_NET, "the server failed; it will be tried again" },
};

enum oauth2_status oauth2_error_map(const oauth2_t *ctx, const char *what, long http, const struct oauth2_json *j,
				    char **err)
{
	const char *code = oauth2_json_str(j, "error"), *desc = oauth2_json_str(j, "error_description");
	enum oauth2_status st = http >= 500 ? OAUTH2_ERR_NET : OAUTH2_ERR_PROTOCOL;
	const char *todo = NULL;
	for (size_t i = 0; code && i < ARRAY_SIZE(errors); i++)
		if (strcmp(code, errors[i].code) == 0) {
			st = errors[i].st;
			todo = errors[i].what;
		}
	/* descriptions run to paragraphs (Microsoft's carry trace ids): the first line */
	char *c = code ? text_sanitize(code, strnlen(code, 64), false) : xasprintf("HTTP %ld", http);
	char *d = desc ? text_sanitize(desc, strcspn(desc, "\r\n") > 200 ? 200 : strcspn(desc, "\r\n"), false) : NULL;
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addf(&b, "account %s: %s: %s%s%s%s", ctx->account, what, c, d ? " (" : "", d ? d : "", d ? ")" : "");
	if (todo) {
		strbuf_adds(&b, "; ");
		strbuf_addf(&b, todo, ctx->account);
	} else if (!code) {
		strbuf_adds(&b, " without an OAuth2 error code");
	}
	free(c);
	free(d);
	*err = strbuf_detach(&b);
	return st;
}

enum oauth2_status oauth2_take_tokens(oauth2_t *ctx, const struct oauth2_json *j, char **err)
{
	const char *at = oauth2_json_str(j, "access_token"), *type = oauth2_json_str(j, "token_type");
	if (!at || !*at || (type && strcasecmp(type, "bearer") != 0)) {
		*err = xasprintf("account %s: the token endpoint sent no bearer access token", ctx->account);
		return OAUTH2_ERR_PROTOCOL;
	}
	long exp = 3600;
	if (!oauth2_json_long(j, "expires_in", &exp) || exp <= 0)
		exp = 3600; /* RFC 6749 leaves it optional; the server's refusal forces a refresh anyway */
	util_wipe_free(&ctx->access);
	ctx->access = xstrdup(at);
	ctx->access_expires = util_now_ms() + exp * ctx->unit_ms;
	const char *rt = oauth2_json_str(j, "refresh_token");
	if (!rt || !*rt)
		return OAUTH2_OK; /* no rotation: the stored one stays valid */
	return oauth2_store_save(ctx, rt, err);
}

/* ---- refresh ---- */

/* Under the lock: read the refresh token again (another process may have
 * rotated it), trade it, save its successor before unlocking. */
static enum oauth2_status refresh(oauth2_t *ctx, char **err)
{
	enum oauth2_status st = oauth2_lock(ctx, err);
	if (st != OAUTH2_OK)
		return st;
	char *rt = NULL;
	st = oauth2_store_load(ctx, &rt, err);
	if (st == OAUTH2_OK) {
		struct strbuf form;
		strbuf_init(&form);
		oauth2_form_add(&form, "grant_type", "refresh_token");
		oauth2_form_add(&form, "refresh_token", rt);
		oauth2_form_client(ctx, &form);
		if (ctx->scope)
			oauth2_form_add(&form, "scope", ctx->scope);
		util_wipe_free(&rt);
		struct oauth2_json j;
		long http;
		st = oauth2_http_post(ctx, ctx->token_url, form.s, &http, &j, err);
		oauth2_form_free(&form);
		if (st == OAUTH2_OK && (http != 200 || oauth2_json_str(&j, "error")))
			st = oauth2_error_map(ctx, "refreshing the OAuth2 token", http, &j, err);
		else if (st == OAUTH2_OK)
			st = oauth2_take_tokens(ctx, &j, err);
		oauth2_json_free(&j);
	}
	oauth2_unlock(ctx);
	if (st == OAUTH2_OK)
		log_info("account %s: OAuth2 access token refreshed", ctx->account);
	return st;
}

enum oauth2_status oauth2_token_get(oauth2_t *ctx, bool force_refresh, char **token, char **err)
{
	*token = NULL;
	*err = NULL;
	pthread_mutex_lock(&ctx->mu);
	enum oauth2_status st = OAUTH2_OK;
	long long now = util_now_ms();
	if (force_refresh || !ctx->access || now + ctx->margin_ms >= ctx->access_expires)
		st = refresh(ctx, err);
	/* an early refresh that met a network failure: the token still serves */
	if (st == OAUTH2_ERR_NET && !force_refresh && ctx->access && now < ctx->access_expires) {
		log_warn("%s; the access token is still valid for %lld s", *err, (ctx->access_expires - now) / ctx->unit_ms);
		xfree(err);
		st = OAUTH2_OK;
	}
	if (st == OAUTH2_OK)
		*token = xstrdup(ctx->access);
	pthread_mutex_unlock(&ctx->mu);
	return st;
}

void oauth2_token_forget(oauth2_t *ctx)
{
	pthread_mutex_lock(&ctx->mu);
	util_wipe_free(&ctx->access);
	pthread_mutex_unlock(&ctx->mu);
}

bool oauth2_wait(const struct oauth2_ui *ui, long ms)
{
	long long end = util_now_ms() + ms;
	for (;;) {
		if (ui && ui->cancelled && ui->cancelled(ui->ud))
			return false;
		long long left = end - util_now_ms();
		if (left <= 0)
			return true;
		long step = left > 100 ? 100 : (long)left;
		struct timespec ts = { step / 1000, (step % 1000) * 1000000L };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}
