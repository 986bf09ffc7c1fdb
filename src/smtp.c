/* smtp.c - SMTP submission over our TLS transport, and the sendmail pipe.
 * See smtp.h. */
#include "smtp.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "conn.h"
#include "encode.h"
#include "log.h"
#include "net.h"
#include "secret.h"
#include "text.h"
#include "util.h"

extern char **environ;

/* Replies longer than this many lines are hostile, not helpful. */
#define REPLY_MAX_LINES 128

struct smtp_session {
	struct smtp_params p;       /* owned copy */
	mailsmtp *smtp;             /* owned; NULL when disconnected */
	tls_stream_t *tls;     /* owned; outlives the mailstream over it */
	net_cancel_t *cancel;  /* owned */
	char *accept_once;          /* owned */
	smtp_ask_secret_fn ask;
	void *ask_ud;
	smtp_ask_cert_fn ask_cert;
	void *ask_cert_ud;
	char *hp;                   /* "host:port" for messages */
	char *error;                /* owned, "" when none */
	struct tls_cert_info *cert; /* owned */
	char *tls_version;          /* owned */
	unsigned mechs;             /* SMTP_MECH_* from the last EHLO */
	bool authenticated;
	bool broken;                /* stream unusable: close without QUIT */
	const char *auth_used;
};

const char *smtp_status_str(enum smtp_status st)
{
	static const char *const names[] = {
		"ok", "configuration error", "network error", "TLS error", "certificate refused",
		"insecure connection refused", "protocol error", "authentication failed", "temporary failure",
		"rejected", "sendmail failed", "cancelled",
	};
	return (size_t)st < ARRAY_SIZE(names) ? names[st] : "?";
}

bool smtp_status_retryable(enum smtp_status st)
{
	return st == SMTP_ERR_NET || st == SMTP_ERR_TEMPORARY || st == SMTP_ERR_TLS || st == SMTP_ERR_PROTOCOL ||
	       st == SMTP_ERR_CANCELLED;
}

/* ---- parameters ---- */

bool smtp_params_from_conf(const conf_t *c, long account, struct smtp_params *p, char **err)
{
	memset(p, 0, sizeof(*p));
	*err = NULL;
	const char *sm = conf_str(c, account, OPT_ID_sendmail);
	p->sendmail = sm && *sm ? xstrdup(sm) : NULL;
	const char *url = conf_str(c, account, OPT_ID_smtp_url);
	if (url && *url) {
		if (conn_from_conf(c, account, CONN_SMTP, &p->conn, err))
			return true;
	} else if (p->sendmail) {
		if (account >= 0)
			p->conn.label = xstrdup(conf_account_name(c, (size_t)account));
		return true;
	} else {
		*err = xstrdup("neither smtp_url nor sendmail is set for this account");
	}
	smtp_params_clear(p);
	return false;
}

void smtp_params_clear(struct smtp_params *p)
{
	conn_params_clear(&p->conn);
	free(p->sendmail);
	memset(p, 0, sizeof(*p));
}

static void params_copy(struct smtp_params *d, const struct smtp_params *s)
{
	*d = *s;
	conn_params_copy(&d->conn, &s->conn);
	d->sendmail = xstrdup_null(s->sendmail);
	if (!d->conn.pass_what)
		d->conn.pass_what = "smtp_pass_cmd";
}

/* ---- session ---- */

static void set_err(smtp_t *s, const char *fmt, ...) ML_PRINTF(2, 3);
static void set_err(smtp_t *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	free(s->error);
	s->error = xasprintf("%s: %s", s->hp, what);
	free(what);
}

/* The server's last reply as one safe line ("550 5.1.1 no such user"). */
static char *server_text(const smtp_t *s)
{
	const char *r = s->smtp && s->smtp->response ? s->smtp->response : "";
	char *flat = xstrndup(r, strlen(r) > 300 ? 300 : strlen(r));
	for (char *p = flat; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	char *clean = text_sanitize(flat, strlen(flat), false);
	free(flat);
	char *out = s->smtp && s->smtp->response_code ? xasprintf("%d %s", s->smtp->response_code, clean)
						      : xstrdup(*clean ? clean : "no reply");
	free(clean);
	return out;
}

smtp_t *smtp_new(const struct smtp_params *p)
{
	smtp_t *s = xcalloc(1, sizeof(*s));
	params_copy(&s->p, p);
	s->cancel = net_cancel_new();
	s->error = xstrdup("");
	s->hp = p->conn.host ? net_host_port(p->conn.host, p->conn.port) : xstrdup("sendmail");
	return s;
}

static void close_session(smtp_t *s)
{
	if (s->smtp) {
		if (s->broken && s->smtp->stream) {
			mailstream_close(s->smtp->stream);
			s->smtp->stream = NULL;
		}
		mailsmtp_free(s->smtp); /* QUIT first when the stream is healthy */
		s->smtp = NULL;
	}
	tls_stream_free(&s->tls);
	s->authenticated = false;
	s->broken = false;
	s->mechs = 0;
}

void smtp_disconnect(smtp_t *s)
{
	close_session(s);
}

void smtp_free(smtp_t **sp)
{
	smtp_t *s = *sp;
	if (!s)
		return;
	close_session(s);
	smtp_params_clear(&s->p);
	net_cancel_free(&s->cancel);
	free(s->accept_once);
	free(s->hp);
	free(s->error);
	tls_cert_info_free(&s->cert);
	free(s->tls_version);
	free(s);
	*sp = NULL;
}

void smtp_set_ask_secret(smtp_t *s, smtp_ask_secret_fn fn, void *ud)
{
	s->ask = fn;
	s->ask_ud = ud;
}

void smtp_set_ask_cert(smtp_t *s, smtp_ask_cert_fn fn, void *ud)
{
	s->ask_cert = fn;
	s->ask_cert_ud = ud;
}

void smtp_set_accept_once(smtp_t *s, const char *sha256hex)
{
	free(s->accept_once);
	s->accept_once = sha256hex && *sha256hex ? xstrdup(sha256hex) : NULL;
}

void smtp_cancel(smtp_t *s)
{
	net_cancel_trigger(s->cancel);
}

const char *smtp_error(const smtp_t *s)
{
	return s->error;
}

const struct tls_cert_info *smtp_cert(const smtp_t *s)
{
	return s->cert;
}

const char *smtp_auth_used(const smtp_t *s)
{
	return s->auth_used ? s->auth_used : "";
}

const char *smtp_tls_version(const smtp_t *s)
{
	return s->tls_version ? s->tls_version : "";
}

/* A libetpan failure: the stream's own story when it broke. */
static enum smtp_status lib_fail(smtp_t *s, int r, const char *doing)
{
	const char *te = s->tls ? tls_stream_error(s->tls) : NULL;
	enum tls_status ts = s->tls ? tls_stream_status(s->tls) : TLS_OK;
	if (r == MAILSMTP_ERROR_STREAM || ts != TLS_OK)
		s->broken = true;
	if (ts == TLS_ERR_CANCELLED || net_cancel_is_set(s->cancel)) {
		set_err(s, "cancelled %s", doing);
		return SMTP_ERR_CANCELLED;
	}
	if (ts == TLS_ERR_LIMIT) {
		set_err(s, "%s (%s); giving up", te, doing);
		return SMTP_ERR_PROTOCOL;
	}
	if (r == MAILSMTP_ERROR_STREAM) {
		set_err(s, "%s (%s)", te ? te : "connection lost", doing);
		return SMTP_ERR_NET;
	}
	if (r == MAILSMTP_ERROR_MEMORY)
		util_oom();
	char *st = server_text(s);
	set_err(s, "%s failed: %s", doing, st);
	free(st);
	int code = s->smtp ? s->smtp->response_code : 0;
	return code >= 500 ? SMTP_ERR_REJECTED : code >= 400 ? SMTP_ERR_TEMPORARY : SMTP_ERR_PROTOCOL;
}

static enum smtp_status start_tls(smtp_t *s)
{
	enum tls_status ts = tls_stream_handshake(s->tls);
	tls_cert_info_free(&s->cert);
	s->cert = tls_cert_info_dup(tls_stream_cert(s->tls));
	if (ts == TLS_OK) {
		free(s->tls_version);
		s->tls_version = xstrdup(tls_stream_version(s->tls));
		return SMTP_OK;
	}
	s->broken = true;
	const char *te = tls_stream_error(s->tls);
	switch (ts) {
	case TLS_ERR_CERT: {
		char *fp = tls_fingerprint_pretty(s->cert ? s->cert->sha256 : "");
		set_err(s, "%s (SHA256 %s); refusing", te, fp);
		free(fp);
		return SMTP_ERR_CERT;
	}
	case TLS_ERR_CANCELLED:
		set_err(s, "cancelled");
		return SMTP_ERR_CANCELLED;
	case TLS_ERR_CONFIG:
		set_err(s, "%s", te);
		return SMTP_ERR_CONFIG;
	case TLS_ERR_NET:
		set_err(s, "%s", te);
		return SMTP_ERR_NET;
	default:
		set_err(s, "%s", te ? te : "TLS handshake failed");
		return SMTP_ERR_TLS;
	}
}

unsigned smtp_parse_auth(const char *text)
{
	unsigned m = 0;
	static const struct {
		const char *name;
		unsigned bit;
	} mechs[] = { { "PLAIN", SMTP_MECH_PLAIN },
		      { "LOGIN", SMTP_MECH_LOGIN },
		      { "XOAUTH2", SMTP_MECH_XOAUTH2 },
		      { "OAUTHBEARER", SMTP_MECH_OAUTHBEARER } };
	for (const char *l = text ? text : ""; *l; l += strcspn(l, "\n"), l += *l == '\n') {
		if (strncasecmp(l, "AUTH", 4) != 0 || (l[4] != ' ' && l[4] != '='))
			continue;
		size_t len = strcspn(l, "\n");
		for (size_t i = 5; i < len;) {
			size_t w = strcspn(l + i, " \n");
			for (size_t k = 0; k < ARRAY_SIZE(mechs); k++)
				if (w == strlen(mechs[k].name) && strncasecmp(l + i, mechs[k].name, w) == 0)
					m |= mechs[k].bit;
			i += w + 1;
		}
	}
	return m;
}

static enum smtp_status ehlo(smtp_t *s)
{
	/* an address literal, not our host name: nothing about the machine leaks */
	int r = mailesmtp_ehlo_with_ip(s->smtp, 1);
	if (r == MAILSMTP_ERROR_STREAM || r == MAILSMTP_ERROR_MEMORY)
		return lib_fail(s, r, "during EHLO");
	if (r != MAILSMTP_NO_ERROR) {
		/* not ESMTP: no STARTTLS and no AUTH, which do_starttls/login refuse */
		s->smtp->esmtp = 0;
		r = mailsmtp_helo_with_ip(s->smtp, 1);
		if (r != MAILSMTP_NO_ERROR)
			return lib_fail(s, r, "during HELO");
	}
	s->mechs = smtp_parse_auth(s->smtp->response);
	return SMTP_OK;
}

/* smtp://: STARTTLS with every check the IMAP CVEs taught. */
static enum smtp_status do_starttls(smtp_t *s)
{
	if (!(s->smtp->esmtp & MAILSMTP_ESMTP_STARTTLS)) {
		s->broken = true;
		set_err(s, "the server does not offer STARTTLS; refusing to continue without TLS "
			   "(use smtps://, or set tls = none only on a network you trust)");
		return SMTP_ERR_INSECURE;
	}
	int r = mailesmtp_starttls(s->smtp);
	mailstream *ms = s->smtp->stream;
	/* bytes already read after the 220 would pass as if they came over
	 * TLS (CVE-2020-15953 class): refuse */
	if (ms && ms->read_buffer_len != 0) {
		s->broken = true;
		set_err(s, "the server sent data after its STARTTLS response (possible injection attack); refusing");
		return SMTP_ERR_INSECURE;
	}
	if (r != MAILSMTP_NO_ERROR) {
		if (r == MAILSMTP_ERROR_STREAM)
			return lib_fail(s, r, "during STARTTLS");
		char *st = server_text(s);
		s->broken = true;
		set_err(s, "the server refused STARTTLS: %s", st);
		free(st);
		return SMTP_ERR_INSECURE;
	}
	/* whatever was said in clear may have been forged */
	s->smtp->esmtp = 0;
	s->smtp->auth = 0;
	s->mechs = 0;
	enum smtp_status st = start_tls(s);
	return st != SMTP_OK ? st : ehlo(s);
}

/* Protocol traces at LOG_TRACE, credentials redacted; private writes
 * (AUTH payloads) are never passed on at all. */
static void trace(mailsmtp *session, int type, const char *str, size_t size, void *ud)
{
	(void)session;
	(void)ud;
	if (!log_enabled(LOG_TRACE) || (type != MAILSTREAM_LOG_TYPE_DATA_RECEIVED && type != MAILSTREAM_LOG_TYPE_DATA_SENT))
		return;
	bool in_auth = false;
	char *line = xstrndup(str, size > 512 ? 512 : size);
	line[strcspn(line, "\r\n")] = '\0';
	char *red = log_redact_line(line, type == MAILSTREAM_LOG_TYPE_DATA_SENT, &in_auth);
	char *clean = text_sanitize(red, strlen(red), false);
	log_msg(LOG_TRACE, "smtp %s %s", type == MAILSTREAM_LOG_TYPE_DATA_SENT ? ">" : "<", clean);
	free(clean);
	free(red);
	free(line);
}

static enum smtp_status open_stream(smtp_t *s, mailstream **out)
{
	int fd;
	char *err;
	enum net_status ns = net_connect(s->p.conn.host, s->p.conn.port, conn_timeout_ms(&s->p.conn), s->cancel, &fd,
					 &err);
	if (ns != NET_OK) {
		free(s->error);
		s->error = err;
		return ns == NET_ERR_CANCELLED ? SMTP_ERR_CANCELLED : SMTP_ERR_NET;
	}
	struct tls_config cfg = conn_tls_config(&s->p.conn, s->accept_once, s->cancel);
	s->tls = tls_stream_new(fd, &cfg);
	/* SMTP has no IMAP literals: only the line and reply caps matter */
	struct tls_limits lim = { .max_literal = 0, .max_line = 64 * 1024, .max_response = 4 * 1024 * 1024 };
	tls_stream_set_limits(s->tls, &lim);
	*out = mailstream_new(tls_stream_low(s->tls), 8192);
	if (!*out)
		util_oom();
	s->smtp = mailsmtp_new(0, NULL);
	if (!s->smtp)
		util_oom();
	mailsmtp_set_logger(s->smtp, trace, s);
	return SMTP_OK;
}

static enum smtp_status connect_once(smtp_t *s)
{
	close_session(s);
	net_cancel_reset(s->cancel);
	tls_cert_info_free(&s->cert);
	free(s->error);
	s->error = xstrdup("");
	if (!s->p.conn.host) {
		set_err(s, "no SMTP server (set smtp_url)");
		return SMTP_ERR_CONFIG;
	}
	if (s->p.conn.tls_none)
		log_warn("%s: plaintext SMTP without TLS (set tls = none)", s->hp);
	mailstream *ms;
	enum smtp_status st = open_stream(s, &ms);
	if (st != SMTP_OK)
		return st;
	if (s->p.conn.implicit_tls && (st = start_tls(s)) != SMTP_OK) {
		mailstream_close(ms);
		return st;
	}
	int r = mailsmtp_connect(s->smtp, ms); /* closes ms itself on failure */
	if (r != MAILSMTP_NO_ERROR) {
		s->broken = true;
		if (r == MAILSMTP_ERROR_STREAM)
			return lib_fail(s, r, "reading the greeting");
		char *t = server_text(s);
		set_err(s, "the server refused the connection: %s", t);
		free(t);
		return SMTP_ERR_TEMPORARY;
	}
	if ((st = ehlo(s)) != SMTP_OK)
		return st;
	if (!s->p.conn.implicit_tls && !s->p.conn.tls_none && (st = do_starttls(s)) != SMTP_OK)
		return st;
	log_debug("%s: connected (%s)", s->hp, *smtp_tls_version(s) ? smtp_tls_version(s) : "no TLS");
	return SMTP_OK;
}

enum smtp_status smtp_connect(smtp_t *s)
{
	enum smtp_status st = connect_once(s);
	if (st != SMTP_ERR_CERT || !s->ask_cert || !s->cert || !s->cert->sha256[0])
		return st;
	/* accepted already and still refused: asking again would loop */
	if (s->accept_once && strcmp(s->accept_once, s->cert->sha256) == 0)
		return st;
	if (!s->ask_cert(s->ask_cert_ud, s->cert))
		return st;
	char sha[sizeof(s->cert->sha256)];
	memcpy(sha, s->cert->sha256, sizeof(sha));
	log_info("%s: certificate SHA256 %s accepted by the user", s->hp, sha);
	smtp_set_accept_once(s, sha);
	return connect_once(s);
}

/* ---- AUTH ---- */

/* After sending credentials, scrub the copy left in libetpan's buffer. */
static void wipe_write_buffer(smtp_t *s)
{
	mailstream *ms = s->smtp ? s->smtp->stream : NULL;
	if (ms && ms->write_buffer)
		secret_wipe(ms->write_buffer, ms->buffer_max_size);
}

static bool send_private(smtp_t *s, const char *line)
{
	mailstream *ms = s->smtp->stream;
	mailstream_set_privacy(ms, 0);
	bool ok = mailstream_write(ms, line, strlen(line)) >= 0 && mailstream_write(ms, "\r\n", 2) >= 0 &&
		  mailstream_flush(ms) >= 0;
	mailstream_set_privacy(ms, 1);
	wipe_write_buffer(s);
	return ok;
}

/* Read one reply (all its lines); returns the code, 0 on a broken stream
 * or an unreadable reply. */
static int read_reply(smtp_t *s)
{
	mailsmtp *m = s->smtp;
	mmap_string_assign(m->response_buffer, "");
	int code = 0;
	for (int n = 0; n < REPLY_MAX_LINES; n++) {
		char *line = mailstream_read_line_remove_eol(m->stream, m->line_buffer);
		if (!line || strlen(line) < 3 || !isdigit((unsigned char)line[0]) || !isdigit((unsigned char)line[1]) ||
		    !isdigit((unsigned char)line[2]))
			break;
		mmap_string_append(m->response_buffer, line[3] ? line + 4 : "");
		mmap_string_append_c(m->response_buffer, '\n');
		if (line[3] != '-') {
			code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
			break;
		}
	}
	m->response = m->response_buffer->str;
	m->response_code = code;
	return code;
}

/* One AUTH exchange: the first line (with any initial response), then
 * each 334 challenge gets the next of resp[] (LOGIN's user and password)
 * and, when they are used up, on_error so that the server can finish
 * with its 5xx. */
static int sasl(smtp_t *s, const char *first, const char *const *resp, size_t nresp, const char *on_error)
{
	if (!send_private(s, first))
		return 0;
	int code = read_reply(s);
	for (size_t round = 0; code == 334 && round < nresp + 1; round++) {
		if (!send_private(s, round < nresp ? resp[round] : on_error))
			return 0;
		code = read_reply(s);
	}
	return code;
}

static int auth_plain(smtp_t *s, const char *secret)
{
	size_t ul = strlen(s->p.conn.user), sl = strlen(secret);
	char *raw = xmalloc(ul + sl + 2);
	raw[0] = '\0';
	memcpy(raw + 1, s->p.conn.user, ul);
	raw[1 + ul] = '\0';
	memcpy(raw + 2 + ul, secret, sl);
	char *b = encode_base64_line(raw, ul + sl + 2);
	secret_wipe(raw, ul + sl + 2);
	free(raw);
	char *line = xasprintf("AUTH PLAIN %s", b);
	int code = sasl(s, line, NULL, 0, "*");
	secret_wipe(line, strlen(line));
	free(line);
	secret_free(&b);
	return code;
}

static int auth_login(smtp_t *s, const char *secret)
{
	char *u = encode_base64_line(s->p.conn.user, strlen(s->p.conn.user));
	char *p = encode_base64_line(secret, strlen(secret));
	const char *resp[] = { u, p };
	int code = sasl(s, "AUTH LOGIN", resp, 2, "*");
	free(u);
	secret_free(&p);
	return code;
}

static int auth_oauth(smtp_t *s, bool bearer, const char *token)
{
	const struct conn_params *p = &s->p.conn;
	char *raw = bearer ? xasprintf("n,a=%s,\001host=%s\001port=%d\001auth=Bearer %s\001\001", p->user, p->host,
				       p->port, token)
			   : xasprintf("user=%s\001auth=Bearer %s\001\001", p->user, token);
	char *b = encode_base64_line(raw, strlen(raw));
	secret_wipe(raw, strlen(raw));
	free(raw);
	char *line = xasprintf("AUTH %s %s", bearer ? "OAUTHBEARER" : "XOAUTH2", b);
	/* the error challenge is answered with an empty response (XOAUTH2) or
	 * %x01 (OAUTHBEARER, RFC 7628) */
	int code = sasl(s, line, NULL, 0, bearer ? "AQ==" : "");
	secret_wipe(line, strlen(line));
	free(line);
	secret_free(&b);
	return code;
}

/* The secret: the command, the config, or the front end; a token from
 * the built-in OAuth2 login (force_refresh: the server refused the last). */
static enum smtp_status get_secret(smtp_t *s, bool oauth, bool force_refresh, char **out)
{
	char *prompt = xasprintf("SMTP password for %s@%s: ", s->p.conn.user, s->p.conn.host), *err;
	enum conn_secret r = conn_get_secret(&s->p.conn, oauth, force_refresh, s->ask, s->ask_ud, prompt, out, &err);
	free(prompt);
	if (r == CONN_SECRET_OK)
		return SMTP_OK;
	if (r == CONN_SECRET_FAILED)
		set_err(s, "%s", err);
	else
		set_err(s, "no %s for SMTP: set smtp_pass_cmd", oauth ? "OAuth token" : "password");
	free(err);
	return SMTP_ERR_AUTH;
}

static unsigned choose_mech(const smtp_t *s)
{
	static const unsigned with_oauth[] = { SMTP_MECH_OAUTHBEARER, SMTP_MECH_XOAUTH2 };
	static const unsigned with_pass[] = { SMTP_MECH_PLAIN, SMTP_MECH_LOGIN };
	if (s->p.only_mech)
		return s->mechs & s->p.only_mech;
	const unsigned *order = s->p.conn.oauth_cmd || conn_oauth_on(&s->p.conn) ? with_oauth : with_pass;
	for (size_t i = 0; i < 2; i++)
		if (s->mechs & order[i])
			return order[i];
	return 0;
}

enum smtp_status smtp_login(smtp_t *s)
{
	if (!s->p.conn.user || s->authenticated)
		return SMTP_OK;
	if (!s->smtp || s->broken) {
		set_err(s, "not connected");
		return SMTP_ERR_NET;
	}
	/* the floor: credentials only over verified TLS (or tls = none) */
	if (!s->p.conn.tls_none && !tls_stream_is_tls(s->tls)) {
		set_err(s, "refusing to send credentials without TLS");
		return SMTP_ERR_INSECURE;
	}
	unsigned mech = choose_mech(s);
	if (!mech) {
		set_err(s, "no usable login method (the server offers%s%s%s%s)",
			s->mechs & SMTP_MECH_PLAIN ? " PLAIN" : "", s->mechs & SMTP_MECH_LOGIN ? " LOGIN" : "",
			s->mechs & SMTP_MECH_XOAUTH2 ? " XOAUTH2" : "", s->mechs ? "" : " none we know");
		return SMTP_ERR_AUTH;
	}
	bool oauth = mech == SMTP_MECH_XOAUTH2 || mech == SMTP_MECH_OAUTHBEARER;
	char *secret;
	enum smtp_status st = get_secret(s, oauth, false, &secret);
	if (st != SMTP_OK)
		return st;
	int code = mech == SMTP_MECH_PLAIN   ? auth_plain(s, secret)
		   : mech == SMTP_MECH_LOGIN ? auth_login(s, secret)
					     : auth_oauth(s, mech == SMTP_MECH_OAUTHBEARER, secret);
	secret_free(&secret);
	if (oauth && conn_oauth_on(&s->p.conn) && code >= 500 && code < 600 && !s->broken) {
		/* the token was refused (535: expired, revoked early): once more with a fresh one */
		log_info("%s: the server refused the OAuth2 token; refreshing it once", s->p.conn.host);
		st = get_secret(s, true, true, &secret);
		if (st != SMTP_OK)
			return st;
		code = auth_oauth(s, mech == SMTP_MECH_OAUTHBEARER, secret);
		secret_free(&secret);
	}
	s->auth_used = mech == SMTP_MECH_PLAIN	  ? "PLAIN"
		       : mech == SMTP_MECH_LOGIN  ? "LOGIN"
		       : mech == SMTP_MECH_XOAUTH2 ? "XOAUTH2"
						   : "OAUTHBEARER";
	if (code == 235) {
		s->authenticated = true;
		return SMTP_OK;
	}
	if (code == 0)
		return lib_fail(s, MAILSMTP_ERROR_STREAM, "during AUTH");
	char *t = server_text(s);
	set_err(s, "login as %s refused (%s): %s", s->p.conn.user, s->auth_used, t);
	free(t);
	return code >= 400 && code < 500 ? SMTP_ERR_TEMPORARY : SMTP_ERR_AUTH;
}

/* ---- sending ---- */

static enum smtp_status refuse_rcpts(smtp_t *s, const char *rcpt, int r)
{
	enum smtp_status st = lib_fail(s, r, "RCPT TO");
	if (st == SMTP_ERR_NET || st == SMTP_ERR_CANCELLED)
		return st;
	char *t = server_text(s);
	set_err(s, "the server refused the recipient <%s>: %s", rcpt, t);
	free(t);
	mailsmtp_reset(s->smtp);
	return st;
}

enum smtp_status smtp_send(smtp_t *s, const char *from, char *const *rcpts, const char *msg, size_t len)
{
	if (!addr_mailbox_valid(from)) {
		set_err(s, "invalid sender address");
		return SMTP_ERR_REJECTED;
	}
	for (size_t i = 0; rcpts[i]; i++) {
		if (!addr_mailbox_valid(rcpts[i])) { /* nothing that could end a command early */
			set_err(s, "invalid recipient address");
			return SMTP_ERR_REJECTED;
		}
	}
	if (!rcpts[0]) {
		set_err(s, "no recipients");
		return SMTP_ERR_REJECTED;
	}
	if (!s->smtp || s->broken) {
		set_err(s, "not connected");
		return SMTP_ERR_NET;
	}
	int r = mailsmtp_mail(s->smtp, from);
	if (r != MAILSMTP_NO_ERROR) {
		enum smtp_status st = lib_fail(s, r, "MAIL FROM");
		mailsmtp_reset(s->smtp);
		return st;
	}
	for (size_t i = 0; rcpts[i]; i++)
		if ((r = mailsmtp_rcpt(s->smtp, rcpts[i])) != MAILSMTP_NO_ERROR)
			return refuse_rcpts(s, rcpts[i], r);
	if ((r = mailsmtp_data(s->smtp)) != MAILSMTP_NO_ERROR)
		return lib_fail(s, r, "DATA");
	/* libetpan ends DATA with CRLF . CRLF itself: do not double the CRLF */
	if (len >= 2 && msg[len - 2] == '\r' && msg[len - 1] == '\n')
		len -= 2;
	if ((r = mailsmtp_data_message(s->smtp, msg, len)) != MAILSMTP_NO_ERROR)
		return lib_fail(s, r, "sending the message");
	log_info("%s: message accepted (%zu bytes)", s->hp, len);
	return SMTP_OK;
}

enum smtp_status smtp_deliver(smtp_t *s, const char *from, char *const *rcpts, const char *msg, size_t len)
{
	if (s->p.sendmail) {
		char *err = NULL;
		enum smtp_status st = smtp_sendmail(s->p.sendmail, rcpts, msg, len, &err);
		free(s->error);
		s->error = err ? err : xstrdup("");
		return st;
	}
	enum smtp_status st = smtp_connect(s);
	if (st == SMTP_OK)
		st = smtp_login(s);
	if (st == SMTP_OK)
		st = smtp_send(s, from, rcpts, msg, len);
	smtp_disconnect(s);
	return st;
}

/* ---- sendmail ---- */

/* The message with local (LF) line ends, as sendmail(1) expects. */
static bool feed(int fd, const char *msg, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i + 1 < len; i++) {
		if (msg[i] == '\r' && msg[i + 1] == '\n') {
			if (util_write_all(fd, msg + start, i - start) < 0)
				return false;
			start = i + 1;
		}
	}
	return util_write_all(fd, msg + start, len - start) == 0;
}

static char *read_some(int fd)
{
	char buf[512];
	size_t got = 0;
	ssize_t k;
	while (got < sizeof(buf) - 1 && (k = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)k;
	buf[got] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return text_sanitize(buf, strlen(buf), false);
}

enum smtp_status smtp_sendmail(const char *cmd, char *const *rcpts, const char *msg, size_t len, char **err)
{
	*err = NULL;
	size_t n = 0;
	while (rcpts[n]) {
		if (!addr_mailbox_valid(rcpts[n])) {
			*err = xstrdup("sendmail: invalid recipient address");
			return SMTP_ERR_REJECTED;
		}
		n++;
	}
	char *script = xasprintf("%s \"$@\"", cmd);
	char **argv = xcalloc(n + 6, sizeof(*argv));
	argv[0] = (char *)"/bin/sh";
	argv[1] = (char *)"-c";
	argv[2] = script;
	argv[3] = (char *)"sendmail"; /* $0 */
	argv[4] = (char *)"--";
	for (size_t i = 0; i < n; i++)
		argv[5 + i] = rcpts[i];
	int in[2], errp[2];
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0)
		util_oom(); /* out of descriptors: nothing sensible to do */
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, errp[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
	pid_t pid;
	int r = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(errp[1]);
	free(argv);
	free(script);
	if (r != 0) {
		close(in[1]);
		close(errp[0]);
		*err = xasprintf("sendmail: cannot run /bin/sh: %s", strerror(r));
		return SMTP_ERR_SENDMAIL;
	}
	/* a command that exits early must not kill us with SIGPIPE: block it
	 * in this thread and swallow the pending one (other threads untouched) */
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	bool fed = feed(in[1], msg, len);
	close(in[1]);
	struct timespec zero = { 0, 0 };
	while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	char *out = read_some(errp[0]);
	close(errp[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	enum smtp_status st = SMTP_OK;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !fed) {
		*err = xasprintf("sendmail command failed (%s %d)%s%s", WIFEXITED(status) ? "exit" : "signal",
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), *out ? ": " : "", out);
		st = SMTP_ERR_SENDMAIL;
	}
	free(out);
	return st;
}
