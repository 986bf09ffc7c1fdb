/* discover_smtp.c - a small submission-server probe: greeting, EHLO,
 * STARTTLS (which must be advertised) or implicit TLS, AUTH mechanisms, and
 * an AUTH PLAIN login test.
 *
 * It rides on our own tls_stream (verification, pins, accept-once) under a
 * libetpan mailstream, exactly like the IMAP session, so the same security
 * floor holds: nothing is sent after STARTTLS until the handshake is done
 * and verified, bytes that arrive after the 220 before the handshake are an
 * attack, and no credential crosses an unencrypted connection.  Sending
 * mail is issue 7's src/smtp; this only answers "does it work?".
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "discover_private.h"
#include "encode.h"
#include "net.h"
#include "secret.h"
#include "text.h"
#include "tls.h"
#include "util.h"

enum { MAX_REPLY_LINES = 128 };

struct smtp {
	const struct disc_opts *o;
	struct disc_server *s;
	tls_stream_t *ts;
	mailstream *ms;
	MMAPString *line;
	struct strbuf ext;  /* EHLO keywords, one per line */
	char *err;
	enum disc_probe fail; /* what a failure means for the candidate */
};

static void set_err(struct smtp *c, enum disc_probe how, const char *fmt, ...) ML_PRINTF(3, 4);
static void set_err(struct smtp *c, enum disc_probe how, const char *fmt, ...)
{
	if (c->err)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	char *hp = net_host_port(c->s->host, c->s->port);
	c->err = xasprintf("%s: %s", hp, m);
	free(hp);
	free(m);
	c->fail = how;
}

/* Read one reply; returns its code (0 on error).  For EHLO, the keyword
 * lines are kept in c->ext. */
static int reply(struct smtp *c, bool keep)
{
	int code = 0;
	strbuf_reset(&c->ext);
	for (int i = 0; i < MAX_REPLY_LINES; i++) {
		char *l = mailstream_read_line_remove_eol(c->ms, c->line);
		if (!l || strlen(l) < 3 || l[0] < '1' || l[0] > '5') {
			set_err(c, DISC_FAILED, "%s", l ? "not an SMTP server" : "connection closed");
			return 0;
		}
		code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
		if (keep && i > 0) {
			strbuf_adds(&c->ext, l + 4 > l + strlen(l) ? "" : l + 4);
			strbuf_addc(&c->ext, '\n');
		}
		if (l[3] != '-')
			return code;
	}
	set_err(c, DISC_FAILED, "reply too long");
	return 0;
}

static bool send_line(struct smtp *c, const char *s)
{
	if (mailstream_write(c->ms, s, strlen(s)) < 0 || mailstream_write(c->ms, "\r\n", 2) < 0 ||
	    mailstream_flush(c->ms) < 0) {
		set_err(c, DISC_FAILED, "connection lost");
		return false;
	}
	return true;
}

/* The EHLO keyword line starting with kw ("AUTH"), or NULL. */
static const char *ext_find(const struct smtp *c, const char *kw)
{
	size_t n = strlen(kw);
	for (const char *p = c->ext.s ? c->ext.s : ""; *p; p = strchr(p, '\n') + 1) {
		if (strncasecmp(p, kw, n) == 0 && (p[n] == ' ' || p[n] == '\n' || p[n] == '='))
			return p;
	}
	return NULL;
}

static bool handshake(struct smtp *c)
{
	enum tls_status ts = tls_stream_handshake(c->ts);
	tls_cert_info_free(&c->s->cert);
	c->s->cert = tls_cert_info_dup(tls_stream_cert(c->ts));
	if (ts == TLS_OK) {
		free(c->s->tls_version);
		c->s->tls_version = xstrdup(tls_stream_version(c->ts));
		return true;
	}
	const char *e = tls_stream_error(c->ts);
	set_err(c, ts == TLS_ERR_CERT ? DISC_CERT : DISC_FAILED, "%s", e ? e : "TLS handshake failed");
	return false;
}

static bool ehlo(struct smtp *c)
{
	if (!send_line(c, "EHLO localhost"))
		return false;
	if (reply(c, true) != 250) {
		set_err(c, DISC_FAILED, "EHLO refused");
		return false;
	}
	return true;
}

static bool starttls(struct smtp *c)
{
	if (!ext_find(c, "STARTTLS")) {
		set_err(c, DISC_INSECURE, "the server does not offer STARTTLS; refusing to continue without TLS");
		return false;
	}
	if (!send_line(c, "STARTTLS"))
		return false;
	int code = reply(c, false);
	if (c->ms->read_buffer_len != 0) {
		set_err(c, DISC_FAILED, "the server sent data after its STARTTLS response (possible injection attack)");
		return false;
	}
	if (code != 220) {
		set_err(c, DISC_INSECURE, "the server refused STARTTLS");
		return false;
	}
	strbuf_reset(&c->ext); /* whatever was said in clear may be forged */
	return handshake(c) && ehlo(c);
}

/* Connect and get to an EHLO'd, secured session. */
static bool open_session(struct smtp *c, const char *accept_once)
{
	struct conn_params p;
	disc_conn(c->o, c->s, &p);
	int fd;
	char *err;
	if (net_connect(p.host, p.port, conn_timeout_ms(&p), NULL, &fd, &err) != NET_OK) {
		set_err(c, DISC_FAILED, "%s", strchr(err, ' ') ? strchr(err, ' ') + 1 : err);
		free(err);
		conn_params_clear(&p);
		return false;
	}
	struct tls_config cfg = conn_tls_config(&p, accept_once, NULL);
	cfg.port = c->s->port; /* the certificate is shown for the well-known port, not the test hook's */
	c->ts = tls_stream_new(fd, &cfg);
	conn_params_clear(&p);
	struct tls_limits lim = { .max_literal = 0, .max_line = 64 * 1024, .max_response = 1024 * 1024 };
	tls_stream_set_limits(c->ts, &lim);
	c->ms = mailstream_new(tls_stream_low(c->ts), 8192);
	c->line = mmap_string_new("");
	if (!c->ms || !c->line)
		util_oom();
	if (c->s->sec == DISC_SEC_TLS && !handshake(c))
		return false;
	if (reply(c, false) != 220) {
		set_err(c, DISC_FAILED, "no SMTP greeting");
		return false;
	}
	if (!ehlo(c))
		return false;
	return c->s->sec != DISC_SEC_STARTTLS || starttls(c);
}

static void close_session(struct smtp *c)
{
	if (c->ms) {
		if (!c->err)
			send_line(c, "QUIT");
		mailstream_close(c->ms);
	}
	if (c->line)
		mmap_string_free(c->line);
	tls_stream_free(&c->ts);
	strbuf_free(&c->ext);
	free(c->err); /* callers take the error they report before closing */
	c->err = NULL;
}

/* "PLAIN LOGIN" from "AUTH PLAIN LOGIN" (sanitized, capped). */
static char *mechs(const struct smtp *c)
{
	const char *a = ext_find(c, "AUTH");
	if (!a)
		return NULL;
	size_t n = strcspn(a + 5, "\n");
	return text_sanitize(a + 5, n > 200 ? 200 : n, false);
}

void disc_smtp_probe(const struct disc_opts *o, struct disc_server *s, const char *accept_once)
{
	struct smtp c = { .o = o, .s = s };
	strbuf_init(&c.ext);
	free(s->error);
	free(s->mechs);
	s->error = s->mechs = NULL;
	if (open_session(&c, accept_once)) {
		s->probe = DISC_WORKS;
		s->mechs = mechs(&c);
	} else {
		s->probe = c.fail;
		s->error = c.err;
		c.err = NULL;
	}
	close_session(&c);
}

/* AUTH PLAIN with the credentials inline; the copies are wiped. */
static int auth_plain(struct smtp *c, const char *user, const char *password)
{
	size_t ul = strlen(user), pl = strlen(password);
	unsigned char *raw = xmalloc(ul + pl + 2);
	raw[0] = '\0';
	memcpy(raw + 1, user, ul);
	raw[ul + 1] = '\0';
	memcpy(raw + ul + 2, password, pl);
	char *enc = encode_base64_line(raw, ul + pl + 2);
	secret_wipe(raw, ul + pl + 2);
	free(raw);
	char *cmd = xasprintf("AUTH PLAIN %s", enc);
	secret_free(&enc);
	bool sent = send_line(c, cmd);
	secret_free(&cmd);
	if (c->ms->write_buffer)
		secret_wipe(c->ms->write_buffer, c->ms->buffer_max_size);
	return sent ? reply(c, false) : 0;
}

int disc_smtp_login(const struct disc_opts *o, const struct disc_server *s, const char *user,
		    const char *password, const char *accept_once, char **err)
{
	struct disc_server tmp;
	disc_server_copy(&tmp, s);
	struct smtp c = { .o = o, .s = &tmp };
	strbuf_init(&c.ext);
	int rc = -1;
	if (open_session(&c, accept_once)) {
		char *m = mechs(&c);
		if (!m || !strcasestr(m, "PLAIN"))
			set_err(&c, DISC_FAILED, "the server offers no password login (AUTH %s)", m ? m : "missing");
		else if (auth_plain(&c, user, password) == 235)
			rc = 0;
		else
			set_err(&c, DISC_FAILED, "login refused for %s (wrong user name or password?)", user);
		free(m);
	}
	*err = rc ? (c.err ? c.err : xstrdup("login failed")) : NULL;
	if (rc)
		c.err = NULL;
	close_session(&c);
	disc_server_clear(&tmp);
	return rc;
}
