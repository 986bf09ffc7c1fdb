/* conn.h - where and how to reach a mail server: the connection settings
 * IMAP (imap.c), SMTP (smtp.c) and discovery's probes share, built from an
 * account's options in one place (conn_from_conf).
 *
 * The protocol sessions keep their own copy (conn_params_copy) and never
 * read the config themselves.
 */
#ifndef MUTTLIKE_CONN_H
#define MUTTLIKE_CONN_H

#include <stdbool.h>

#include "conf.h"
#include "net.h"
#include "tls.h"

enum conn_proto { CONN_IMAP, CONN_SMTP };

/* The built-in OAuth2 login's settings (the oauth_* options, doc/oauth2.md);
 * all NULL when the account has none.  Strings owned. */
struct conn_oauth {
	char *provider, *client_id, *client_secret, *auth_url, *token_url, *device_url, *scope, *tenant;
	char *store_cmd, *lookup_cmd;
	char *data_dir; /* the token file and the lock */
};

/* Strings owned; conn_params_clear frees them (and wipes pass). */
struct conn_params {
	char *host;
	int port;
	bool implicit_tls;     /* imaps:// or smtps:// */
	bool tls_none;         /* set tls = none: plaintext, warned at every connect */
	char *user;            /* NULL: none (SMTP then sends without AUTH) */
	char *pass;            /* a secret (imap_pass) or NULL */
	char *pass_cmd;        /* the command that prints the password, or NULL */
	char *oauth_cmd;       /* the command that prints an OAuth token, or NULL */
	const char *pass_what; /* static: the option pass_cmd came from, for errors */
	char *ca_file;         /* extra trust anchors or NULL */
	char *pin;             /* tls_pin or NULL */
	char *pin_file;        /* data_dir/certs */
	int timeout_s;         /* 0: 30 */
	char *label;           /* account name for messages, may be NULL */
	struct conn_oauth oauth; /* the built-in OAuth2 login (oauth_* options) */
};

/* The account's settings for proto: its URL (imap_url / smtp_url: host,
 * port or the scheme's default, TLS), user, secret sources, TLS options
 * and timeout.  SMTP falls back to the IMAP user, to the IMAP secrets when
 * the user is the same, and takes tls_pin only for the IMAP host.  False
 * with *err (caller frees) when the URL is missing or bad. */
bool conn_from_conf(const conf_t *c, long account, enum conn_proto proto, struct conn_params *p, char **err);
void conn_params_copy(struct conn_params *d, const struct conn_params *s);
void conn_params_clear(struct conn_params *p);

/* The front end's way to ask for a password: a new string (freed with
 * secret_free) or NULL when the user declines.  Called on the thread that
 * logs in. */
typedef char *(*conn_ask_secret_fn)(void *ud, const char *prompt);

enum conn_secret { CONN_SECRET_OK, CONN_SECRET_NONE, CONN_SECRET_FAILED };
/* The secret for a login to p, in this order: the command (oauth_cmd for
 * a token, else pass_cmd, named as pass_what in errors), the configured
 * password, ask(ud, prompt) (not for a token; ask may be NULL).  A token
 * without oauth_cmd comes from the built-in OAuth2 login
 * (conn_oauth_token; force_refresh: the server refused the last one).  *out is a
 * new string for secret_free; CONN_SECRET_FAILED with *err (caller frees)
 * when the command failed, CONN_SECRET_NONE when nothing gave one. */
enum conn_secret conn_get_secret(const struct conn_params *p, bool oauth, bool force_refresh, conn_ask_secret_fn ask,
				 void *ud, const char *prompt, char **out, char **err);

/* The oauth_* options of account a (-1: the global ones) into *o, which
 * must be empty; data_dir is set when any of provider, token URL or
 * client id is. */
void conn_oauth_options(const conf_t *c, long a, struct conn_oauth *o);
/* Does p log in with the built-in OAuth2 (an oauth_provider, oauth_token_url
 * or oauth_client_id set, and no imap_oauth_cmd, which wins)? */
bool conn_oauth_on(const struct conn_params *p);
/* The account's OAuth2 context, made at the first call and then shared by
 * every IMAP and SMTP session of that account in this process (keyed by
 * label), so one access token serves them all.  NULL with *err (caller
 * frees) when the settings are refused. */
struct oauth2;
struct oauth2 *conn_oauth_ctx(const struct conn_params *p, char **err);
/* A context of its own for p (not shared, the caller frees it with
 * oauth2_free): the wizard's first authorization, before the account is
 * in the rc.  NULL with *err. */
struct oauth2 *conn_oauth_new(const struct conn_params *p, char **err);
/* An access token from conn_oauth_ctx (force_refresh: the server refused
 * the last one).  CONN_SECRET_FAILED with *err; *reauth (may be NULL) set
 * when the refresh token is gone and only `muttlike setup --reauth` helps. */
enum conn_secret conn_oauth_token(const struct conn_params *p, bool force_refresh, char **out, char **err,
				  bool *reauth);
/* Did the last token asked for in this process for the account named
 * label find its grant revoked or expired (OAUTH2_ERR_REAUTH)?  Cleared by
 * the next token handed out. */
bool conn_oauth_reauth_needed(const char *label);
/* Free every shared context (at exit, and in tests). */
void conn_oauth_forget_all(void);

/* 993/143 for IMAP, 465/587 for SMTP. */
int conn_default_port(enum conn_proto proto, bool implicit_tls);
/* The per-operation timeout in milliseconds. */
int conn_timeout_ms(const struct conn_params *p);
/* The TLS settings for a connection to p (strings borrowed from p and
 * accept_once; tls_stream_new copies them). */
struct tls_config conn_tls_config(const struct conn_params *p, const char *accept_once, net_cancel_t *cancel);

#endif
