/* oauth2.h - OAuth 2.0 for IMAP and SMTP logins (doc/oauth2.md).
 *
 * One oauth2_t per account.  It hands out access tokens for SASL XOAUTH2 /
 * OAUTHBEARER (oauth2_token_get), refreshing them before they expire and
 * once more when a server refuses one.  The refresh token lives only in its
 * store (a user's command pair, else a 0600 file under data_dir), is read
 * again under a lock before every refresh, and a rotated one is written back
 * before the lock is released, so two processes never lose a rotation.
 *
 * First authorization: the device grant (RFC 8628, oauth2_device_flow) or
 * the authorization code with PKCE and a loopback redirect (RFC 7636 and
 * RFC 8252, oauth2_authcode_*).  The core asks nothing itself: it calls back
 * with what to show and takes a pasted redirect URL from the front end.
 *
 * HTTP goes through libcurl (loaded at first use), HTTPS only with the
 * certificate verified (plain http only to 127.0.0.1, for tests), redirects
 * refused.  Tokens, codes and verifiers are never logged and are wiped.
 * Error strings are one line, server text sanitized; caller frees them.
 */
#ifndef MUTTLIKE_OAUTH2_H
#define MUTTLIKE_OAUTH2_H

#include <stdbool.h>

#include "util.h"

enum oauth2_status {
	OAUTH2_OK = 0,
	OAUTH2_PENDING,      /* authcode: the request on the loopback was not the redirect; call again */
	OAUTH2_ERR_CONFIG,   /* a missing or refused setting (client id, endpoint, scope) */
	OAUTH2_ERR_REAUTH,   /* no refresh token, or it was revoked/expired: run the setup again */
	OAUTH2_ERR_DENIED,   /* the user said no (access_denied) */
	OAUTH2_ERR_EXPIRED,  /* the device code or the wait ran out (expired_token) */
	OAUTH2_ERR_STATE,    /* a redirect whose state is not ours */
	OAUTH2_ERR_NET,      /* network, TLS, HTTP 5xx, timeouts: worth trying later */
	OAUTH2_ERR_PROTOCOL, /* an answer that breaks the protocol */
	OAUTH2_ERR_STORE,    /* the token store failed, or the lock was held too long (try again) */
	OAUTH2_ERR_CANCELLED,
};

/* A known provider.  Everything static. */
struct oauth2_provider {
	const char *name;       /* "google", "microsoft" */
	const char *auth_url;   /* "{tenant}" is replaced by the tenant */
	const char *token_url;
	const char *device_url; /* NULL: no device grant */
	const char *scope;      /* space-separated */
	const char *tenant;     /* default tenant, or NULL */
	const char *const *hosts; /* IMAP/SMTP host names or ".suffix"es, NULL-terminated */
	bool prefer_browser;    /* the device endpoint refuses mail scopes (Google) */
};

/* By name ("google", "microsoft", also "gmail", "outlook", "office365"),
 * case-insensitive; NULL when unknown. */
const struct oauth2_provider *oauth2_provider_find(const char *name);
/* By an IMAP or SMTP host name (imap.gmail.com, outlook.office365.com). */
const struct oauth2_provider *oauth2_provider_for_host(const char *host);

/* Settings; every string is borrowed and copied by oauth2_new.  A field
 * left NULL comes from the provider. */
struct oauth2_config {
	const char *account;       /* names the store and the lock; required */
	const char *provider;      /* a name for oauth2_provider_find, or NULL */
	const char *client_id;     /* required */
	const char *client_secret; /* where the provider wants one (Google) */
	const char *auth_url, *token_url, *device_url, *scope, *tenant;
	const char *login_hint;    /* the address, sent as login_hint */
	const char *ca_file;       /* extra trust anchor, on top of the system's */
	const char *store_cmd;     /* gets the refresh token on stdin */
	const char *lookup_cmd;    /* prints the refresh token */
	const char *data_dir;      /* lock file; the token file without a command pair */
	long timeout_ms;           /* per HTTP request; 0: 30 s */
	long refresh_margin_s;     /* refresh this long before expiry; 0: 300 s */
	long time_unit_ms;         /* tests only: length of a protocol second; 0: 1000 */
};

typedef struct oauth2 oauth2_t;

/* A context, or NULL with *err set (a missing client id or endpoint, a
 * token endpoint that is not https). */
oauth2_t *oauth2_new(const struct oauth2_config *cfg, char **err);
void oauth2_free(oauth2_t **ctx);

/* The access token for a login, in *token (free with util_wipe_free).
 * Refreshes when there is none, when it expires within the margin, or
 * when force_refresh (the server refused the last one: call once with
 * true, then give up).  An early refresh that fails on the network
 * returns the token still valid (with a warning logged).  Thread-safe for one context; across processes
 * through the lock.  OAUTH2_ERR_REAUTH says to run
 * `muttlike setup --reauth ACCOUNT` (the message says so). */
enum oauth2_status oauth2_token_get(oauth2_t *ctx, bool force_refresh, char **token, char **err);

/* Forget the access token in memory (wiped). */
void oauth2_token_forget(oauth2_t *ctx);

/* ---- device authorization grant (RFC 8628) ---- */

struct oauth2_device_prompt {
	const char *verification_uri;
	const char *verification_uri_complete; /* or NULL */
	const char *user_code;
	long expires_in; /* seconds */
};

struct oauth2_ui {
	/* Show where to go and the code to type (the device grant). */
	void (*device_prompt)(const struct oauth2_device_prompt *p, void *ud);
	/* Polled while waiting; true stops the flow (OAUTH2_ERR_CANCELLED). */
	bool (*cancelled)(void *ud);
	void *ud;
};

/* Should a front end offer the device grant first?  True when there is a
 * device endpoint and the provider serves mail scopes there (not Google). */
bool oauth2_device_preferred(const oauth2_t *ctx);

/* Start the device grant, call ui->device_prompt, poll the token endpoint
 * at the interval the server asks (slow_down adds 5 s), and on success
 * store the refresh token and keep the access token. */
enum oauth2_status oauth2_device_flow(oauth2_t *ctx, const struct oauth2_ui *ui, char **err);

/* ---- authorization code + PKCE with a loopback redirect ---- */

typedef struct oauth2_authcode oauth2_authcode_t;

/* Listen on 127.0.0.1:<random port> and build the authorization URL
 * (S256 challenge, random state).  NULL with *err on failure. */
oauth2_authcode_t *oauth2_authcode_start(oauth2_t *ctx, char **err);
/* The URL to open in a browser (owned by ac). */
const char *oauth2_authcode_url(const oauth2_authcode_t *ac);
/* The redirect URI sent ("http://127.0.0.1:PORT/"; owned by ac). */
const char *oauth2_authcode_redirect_uri(const oauth2_authcode_t *ac);
/* The listening socket, for a poll loop that also watches the terminal. */
int oauth2_authcode_fd(const oauth2_authcode_t *ac);
/* Take one browser request on the loopback (waiting up to timeout_ms,
 * -1: forever), answer it with a short page and, when it carries our
 * state and a code, exchange the code.  OAUTH2_PENDING: nothing arrived in
 * time, or a request that was not the redirect (a favicon): call again. */
enum oauth2_status oauth2_authcode_accept(oauth2_t *ctx, oauth2_authcode_t *ac, int timeout_ms, char **err);
/* The same with the URL the browser ended on, pasted by the user (a
 * browser on another machine cannot reach our loopback). */
enum oauth2_status oauth2_authcode_paste(oauth2_t *ctx, oauth2_authcode_t *ac, const char *url, char **err);
void oauth2_authcode_free(oauth2_authcode_t **ac);

/* ---- pieces, public for the wizard and the tests ---- */

/* RFC 7636 S256: base64url(SHA-256(verifier)) without padding (new string). */
char *oauth2_pkce_challenge(const char *verifier);
/* A fresh verifier: 43 characters of base64url (new string). */
char *oauth2_pkce_verifier(void);
/* application/x-www-form-urlencoded / query component escaping. */
void oauth2_url_escape(const char *s, struct strbuf *out);
/* One parameter of a URL's query ("?a=1&b=2"), decoded; NULL when absent.
 * New string (util_wipe_free it: it can be a code). */
char *oauth2_query_param(const char *url, const char *name);

/* The refresh token from the store (NULL in *rt with OAUTH2_ERR_REAUTH
 * when there is none), and writing one (atomically for the file). */
enum oauth2_status oauth2_store_load(oauth2_t *ctx, char **rt, char **err);
enum oauth2_status oauth2_store_save(oauth2_t *ctx, const char *rt, char **err);
/* The token file's path when no command pair is set, else NULL (owned). */
const char *oauth2_store_file(const oauth2_t *ctx);
/* The cross-process lock around load - refresh - save; waits up to three
 * times timeout_ms for another holder. */
enum oauth2_status oauth2_lock(oauth2_t *ctx, char **err);
void oauth2_unlock(oauth2_t *ctx);

#endif
