/* smtp.h - send a message: SMTP submission over our TLS transport, or a
 * sendmail command.
 *
 * The session rides on the same tls_stream as IMAP (tls.h): system trust
 * plus tls_ca_file, host name check, pins, accept-once, TLS 1.2+.
 * smtps:// does TLS before the first byte; smtp:// requires STARTTLS with
 * the IMAP hardening: refused when not advertised, refused when bytes
 * follow the 220 to STARTTLS before the handshake (CVE-2020-15953 class),
 * and EHLO is asked again over TLS, forgetting everything said in clear.
 * No credential crosses a connection that is not encrypted and verified
 * unless `set tls = none`.
 *
 * AUTH (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) is ours, not libetpan's Cyrus
 * SASL path: the secret is wiped from every buffer after use and never
 * logged.  The password comes from smtp_pass_cmd, else (when the SMTP user
 * is the IMAP user) from the IMAP credentials, else from the front end.
 *
 * Calls block; run them on an account worker.  smtp_cancel() may be called
 * from any thread.
 */
#ifndef MUTTLIKE_SMTP_H
#define MUTTLIKE_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "conn.h"
#include "tls.h"

enum smtp_status {
	SMTP_OK = 0,
	SMTP_ERR_CONFIG,    /* no smtp_url/sendmail, bad URL, unreadable CA file */
	SMTP_ERR_NET,       /* resolve, connect, timeout, connection lost */
	SMTP_ERR_TLS,       /* handshake failed */
	SMTP_ERR_CERT,      /* certificate refused: smtp_cert() says why */
	SMTP_ERR_INSECURE,  /* STARTTLS missing or refused, data injected after it */
	SMTP_ERR_PROTOCOL,  /* unreadable server replies */
	SMTP_ERR_AUTH,      /* login refused, no usable mechanism, no secret */
	SMTP_ERR_TEMPORARY, /* 4xx: try again later */
	SMTP_ERR_REJECTED,  /* 5xx: the server will not take this message as is */
	SMTP_ERR_SENDMAIL,  /* the sendmail command failed */
	SMTP_ERR_CANCELLED,
};
const char *smtp_status_str(enum smtp_status st);
/* Worth retrying later unchanged (network, temporary, TLS trouble)? */
bool smtp_status_retryable(enum smtp_status st);

/* Where and how to connect (conn.h; conn.pin only when the host is the
 * IMAP host), or the sendmail command instead.  Strings owned;
 * smtp_params_clear frees them (and wipes the password). */
struct smtp_params {
	struct conn_params conn; /* conn.user NULL: send without AUTH */
	char *sendmail;          /* set: pipe to this command instead of SMTP */
	unsigned only_mech;      /* SMTP_MECH_* to insist on (tests); 0: choose */
};
/* From an account: smtp_url, smtp_user (default: the IMAP user),
 * smtp_pass_cmd (default: the IMAP credentials when the user is the same),
 * the account's TLS options, sendmail.  False with *err when neither
 * smtp_url nor sendmail is usable. */
bool smtp_params_from_conf(const conf_t *c, long account, struct smtp_params *p, char **err);
void smtp_params_clear(struct smtp_params *p);

typedef struct smtp_session smtp_t;
/* The front end's password prompt; a new string or NULL (declined). */
typedef conn_ask_secret_fn smtp_ask_secret_fn;

smtp_t *smtp_new(const struct smtp_params *p);
void smtp_free(smtp_t **s);
void smtp_set_ask_secret(smtp_t *s, smtp_ask_secret_fn fn, void *ud);
/* Trust this certificate (hex SHA-256) for the following connects of s
 * (NULL: none). */
void smtp_set_accept_once(smtp_t *s, const char *sha256hex);
/* The front end's certificate decision, called on the connecting thread
 * when the handshake refuses ci (the core never asks itself): true trusts
 * that certificate (smtp_set_accept_once with its SHA-256) and connects
 * again at once; false leaves it refused (SMTP_ERR_CERT, smtp_error says
 * why).  Not called again for a certificate it has already accepted. */
typedef bool (*smtp_ask_cert_fn)(void *ud, const struct tls_cert_info *ci);
void smtp_set_ask_cert(smtp_t *s, smtp_ask_cert_fn fn, void *ud);

/* Connect, secure (TLS or STARTTLS) and EHLO. */
enum smtp_status smtp_connect(smtp_t *s);
/* AUTH when a user is configured (else nothing). */
enum smtp_status smtp_login(smtp_t *s);
/* MAIL FROM, RCPT TO each, DATA.  from and rcpts must be valid mailboxes
 * (addr_mailbox_valid): anything else is refused before a byte is sent.
 * msg has CRLF line ends (compose_render); dot-stuffing is done here. */
enum smtp_status smtp_send(smtp_t *s, const char *from, char *const *rcpts, const char *msg, size_t len);
/* QUIT and close; safe at any state. */
void smtp_disconnect(smtp_t *s);
void smtp_cancel(smtp_t *s);

/* The whole delivery: the sendmail command when set, else connect, login,
 * send, disconnect. */
enum smtp_status smtp_deliver(smtp_t *s, const char *from, char *const *rcpts, const char *msg, size_t len);

/* One line saying what failed ("smtp.example.org:587: the server refused
 * RCPT TO <x@y>: 550 5.1.1 no such user"), or "". */
const char *smtp_error(const smtp_t *s);
/* The last handshake's certificate (refused or accepted), or NULL. */
const struct tls_cert_info *smtp_cert(const smtp_t *s);
const char *smtp_auth_used(const smtp_t *s);
/* "TLS1.3" or "" without TLS. */
const char *smtp_tls_version(const smtp_t *s);

/* Pipe msg to `/bin/sh -c 'CMD "$@"' sendmail -- RCPT...`: the
 * recipients are arguments the shell never re-parses. */
enum smtp_status smtp_sendmail(const char *cmd, char *const *rcpts, const char *msg, size_t len, char **err);

/* Parse the AUTH mechanisms of an EHLO reply into SMTP_MECH_* bits;
 * public for tests. */
enum {
	SMTP_MECH_PLAIN = 1,
	SMTP_MECH_LOGIN = 2,
	SMTP_MECH_XOAUTH2 = 4,
	SMTP_MECH_OAUTHBEARER = 8,
};
unsigned smtp_parse_auth(const char *ehlo_text);

#endif
