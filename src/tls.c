/* tls.c - GnuTLS session, certificate verification, pins, and the
 * mailstream_low driver that carries IMAP over it. */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "log.h"
#include "util.h"
#include "zwire.h"

struct tls_stream {
	int fd;                           /* owned; -1 once closed */
	gnutls_session_t sess;            /* owned; NULL while plaintext */
	gnutls_certificate_credentials_t cred; /* owned */
	bool system_trust;  /* cred holds the system trust store (see make_cred) */
	char *host;                       /* owned */
	int port;
	char *ca_file, *pin, *pin_file, *accept_once; /* owned, may be NULL */
	int timeout_ms;
	long long deadline;               /* monotonic ms; 0: per-wait timeout only */
	net_cancel_t *cancel;        /* foreign */
	mailstream_low *low;              /* owned by libetpan's mailstream */
	enum tls_status status;
	enum net_status net;              /* why the last transport call failed */
	char *error;                      /* owned */
	struct tls_cert_info *cert;       /* owned */
	struct tls_limits lim;
	struct tls_frame frame;
	bool failed;                      /* a cap was broken: refuse to go on */
	char *peek;                       /* owned: bytes read by peek_line, not yet delivered */
	size_t peek_len, peek_off;
	struct strbuf capture;            /* tls_stream_capture_start() */
	size_t capture_max;               /* 0: not capturing */
	bool capture_full;
	zwire_t *z;                       /* owned: COMPRESS=DEFLATE is on */
	struct strbuf zout;               /* one compressed write */
	struct tls_wire_stats st;
};

/* ---- certificate info ---- */

void tls_cert_info_free(struct tls_cert_info **ci)
{
	if (!ci || !*ci)
		return;
	free((*ci)->host);
	free((*ci)->subject);
	free((*ci)->issuer);
	free((*ci)->names);
	free(*ci);
	*ci = NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

struct tls_cert_info *tls_cert_info_dup(const struct tls_cert_info *ci)
{
	if (!ci)
		return NULL;
	struct tls_cert_info *d = xmalloc(sizeof(*d));
	*d = *ci;
	d->host = dup_or_null(ci->host);
	d->subject = dup_or_null(ci->subject);
	d->issuer = dup_or_null(ci->issuer);
	d->names = dup_or_null(ci->names);
	return d;
}

char *tls_fingerprint_pretty(const char *hex)
{
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; hex[i] && hex[i + 1]; i += 2) {
		if (i)
			strbuf_addc(&b, ':');
		strbuf_add(&b, hex + i, 2);
	}
	return strbuf_detach(&b);
}

char *tls_cert_pin_line(const struct tls_cert_info *ci)
{
	return xasprintf("set tls_pin = \"sha256:%s\"", ci->sha256);
}

static void fmt_date(time_t t, char *buf, size_t n)
{
	struct tm tm;
	if (t == (time_t)-1 || !gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%d", &tm))
		snprintf(buf, n, "?");
}

char *tls_cert_describe(const struct tls_cert_info *ci)
{
	const char *h = ci->host ? ci->host : "?";
	unsigned r = ci->reasons;
	char d[32];
	if (r & TLS_CERT_REVOKED)
		return xasprintf("certificate for %s has been revoked", h);
	if (r & TLS_CERT_PIN_MISMATCH)
		return xasprintf("certificate for %s does not match tls_pin", h);
	if (r & TLS_CERT_WRONG_HOST)
		return xasprintf("certificate is for %s, not %s", ci->names && *ci->names ? ci->names : "another name", h);
	if (r & TLS_CERT_EXPIRED) {
		fmt_date(ci->not_after, d, sizeof(d));
		return xasprintf("certificate for %s expired on %s", h, d);
	}
	if (r & TLS_CERT_NOT_YET_VALID) {
		fmt_date(ci->not_before, d, sizeof(d));
		return xasprintf("certificate for %s is not valid before %s", h, d);
	}
	if (r & TLS_CERT_UNTRUSTED) {
		if (ci->self_signed)
			return xasprintf("certificate for %s is self-signed and not trusted", h);
		return xasprintf("certificate for %s is not trusted (issuer: %s)", h, ci->issuer ? ci->issuer : "?");
	}
	if (r & TLS_CERT_INSECURE)
		return xasprintf("certificate for %s uses an insecure algorithm", h);
	if (r)
		return xasprintf("certificate for %s could not be verified", h);
	return xasprintf("certificate for %s is trusted", h);
}

/* ---- pins ---- */

bool tls_pin_normalize(const char *pin, char out[65])
{
	if (!pin || strncasecmp(pin, "sha256:", 7) != 0)
		return false;
	size_t n = 0;
	for (const char *p = pin + 7; *p; p++) {
		if (*p == ':')
			continue;
		char c = *p;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || n >= 64)
			return false;
		out[n++] = c;
	}
	out[n] = '\0';
	return n == 64;
}

bool tls_pin_file_match(const char *path, const char *host, const char *sha256hex)
{
	if (!path || !*path)
		return false;
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	char line[1024];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *save = NULL;
		char *h = strtok_r(line, " \t\r\n", &save);
		char *p = h ? strtok_r(NULL, " \t\r\n", &save) : NULL;
		char norm[65];
		if (!h || *h == '#' || !p || !tls_pin_normalize(p, norm))
			continue;
		found = strcasecmp(h, host) == 0 && strcmp(norm, sha256hex) == 0;
	}
	fclose(f);
	return found;
}

int tls_pin_file_add(const char *path, const char *host, const char *sha256hex, char **err)
{
	*err = NULL;
	if (tls_pin_file_match(path, host, sha256hex))
		return 0;
	/* host comes from the user's config, but never let it break the format */
	for (const char *h = host; *h; h++) {
		if ((unsigned char)*h <= ' ' || *h == '#') {
			*err = xasprintf("cannot pin a certificate for host name '%s'", host);
			return -1;
		}
	}
	struct strbuf b;
	strbuf_init(&b);
	FILE *f = fopen(path, "re");
	if (f) {
		char buf[4096];
		size_t n;
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			strbuf_add(&b, buf, n);
		fclose(f);
		if (b.len && b.s[b.len - 1] != '\n')
			strbuf_addc(&b, '\n');
	} else {
		strbuf_adds(&b, "# muttlike pinned server certificates: HOST sha256:FINGERPRINT\n");
	}
	strbuf_addf(&b, "%s sha256:%s\n", host, sha256hex);
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int rc = 0;
	if (slash && slash != dir) {
		*slash = '\0';
		if (util_mkdirs(dir, 0700) < 0)
			rc = -1;
	}
	if (rc == 0)
		rc = util_write_file_atomic(path, b.s, b.len, 0600);
	if (rc < 0)
		*err = xasprintf("cannot write %s: %s", path, strerror(errno));
	free(dir);
	strbuf_free(&b);
	return rc;
}

/* ---- size caps ---- */

void tls_limits_default(struct tls_limits *l)
{
	l->max_literal = 64u << 20;
	l->max_line = 8u << 20;
	l->max_response = 256u << 20;
}

enum { PH_NONE, PH_DIGITS, PH_PLUS, PH_CLOSED, PH_CLOSED_CR };

/* "100 MiB", "100.5 MiB", or for less than a MiB "N bytes" (adjective:
 * "N-byte"). */
static char *size_words(uint64_t n, bool adjective)
{
	if (n >= (1u << 20) && n % (1u << 20) == 0)
		return xasprintf("%llu MiB", (unsigned long long)(n >> 20));
	if (n >= (1u << 20))
		return xasprintf("%.1f MiB", (double)n / (double)(1u << 20));
	return xasprintf(adjective ? "%llu-byte" : "%llu bytes", (unsigned long long)n);
}

/* "the server sent a literal of 100 MiB, over the 64 MiB limit": the size
 * and the limit, so the user knows what happened and what the cap is. */
static bool cap_error(char **err, const char *what, uint64_t got, uint64_t cap)
{
	char *g = size_words(got, false), *c = size_words(cap, true);
	*err = xasprintf("the server sent %s of %s, over the %s limit", what, g, c);
	free(g);
	free(c);
	return false;
}

/* Track "{N}" or "{N+}" at the end of each line: the N bytes after the line
 * end are literal data, not lines.  Literal8 "~{N}" ends the same way. */
bool tls_frame_scan(struct tls_frame *f, const struct tls_limits *lim, const unsigned char *p, size_t n,
		    char **err)
{
	*err = NULL;
	size_t i = 0;
	while (i < n) {
		if (f->lit_left) {
			size_t take = n - i < f->lit_left ? n - i : (size_t)f->lit_left;
			f->lit_left -= take;
			f->resp_len += take;
			i += take;
			if (lim->max_response && f->resp_len > lim->max_response)
				return cap_error(err, "a response", f->resp_len, lim->max_response);
			continue;
		}
		unsigned char c = p[i++];
		f->resp_len++;
		f->line_len++;
		if (lim->max_line && f->line_len > lim->max_line)
			return cap_error(err, "a line", f->line_len, lim->max_line);
		if (lim->max_response && f->resp_len > lim->max_response)
			return cap_error(err, "a response", f->resp_len, lim->max_response);
		if (c == '\n') {
			if (f->phase == PH_CLOSED || f->phase == PH_CLOSED_CR) {
				if (lim->max_literal && f->num > lim->max_literal)
					return cap_error(err, "a literal", f->num, lim->max_literal);
				f->lit_left = f->num;
			}
			f->line_len = 0;
			f->phase = PH_NONE;
			continue;
		}
		switch (f->phase) {
		case PH_DIGITS:
			if (c >= '0' && c <= '9') {
				uint64_t d = (uint64_t)(c - '0');
				f->num = f->num > (UINT64_MAX - d) / 10 ? UINT64_MAX : f->num * 10 + d;
				f->ndigits++;
				continue;
			}
			if (f->ndigits && c == '+') {
				f->phase = PH_PLUS;
				continue;
			}
			if (f->ndigits && c == '}') {
				f->phase = PH_CLOSED;
				continue;
			}
			break;
		case PH_PLUS:
			if (c == '}') {
				f->phase = PH_CLOSED;
				continue;
			}
			break;
		case PH_CLOSED:
			if (c == '\r') {
				f->phase = PH_CLOSED_CR;
				continue;
			}
			break;
		default:
			break;
		}
		f->phase = PH_NONE;
		if (c == '{') {
			f->phase = PH_DIGITS;
			f->num = 0;
			f->ndigits = 0;
		}
	}
	return true;
}

/* ---- transport ---- */

static void set_error(tls_stream_t *s, enum tls_status st, char *msg)
{
	free(s->error);
	s->error = msg;
	s->status = st;
}

static int wait_ms(const tls_stream_t *s)
{
	if (!s->deadline)
		return s->timeout_ms;
	long long left = s->deadline - net_now_ms();
	if (left < 0)
		left = 0;
	return left < s->timeout_ms ? (int)left : s->timeout_ms;
}

static void net_failed(tls_stream_t *s, enum net_status st, int e)
{
	s->net = st;
	if (st == NET_ERR_CANCELLED) {
		set_error(s, TLS_ERR_CANCELLED, xstrdup("cancelled"));
	} else if (st == NET_ERR_TIMEOUT) {
		set_error(s, TLS_ERR_NET, xasprintf("timed out after %d s waiting for the server",
						    (s->timeout_ms + 999) / 1000));
	} else if (st == NET_ERR_CLOSED) {
		set_error(s, TLS_ERR_NET, xstrdup("the server closed the connection"));
	} else {
		set_error(s, TLS_ERR_NET, xasprintf("network error: %s", strerror(e)));
	}
}

static ssize_t raw_recv(tls_stream_t *s, void *buf, size_t n)
{
	if (s->fd < 0)
		return -1;
	for (;;) {
		ssize_t r = recv(s->fd, buf, n, 0);
		if (r > 0)
			return r;
		if (r == 0) {
			net_failed(s, NET_ERR_CLOSED, 0);
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			int e = errno;
			net_failed(s, e == ECONNRESET ? NET_ERR_CLOSED : NET_ERR_IO, e);
			errno = e;
			return -1;
		}
		enum net_status st = net_wait(s->fd, false, wait_ms(s), s->cancel);
		if (st != NET_OK) {
			net_failed(s, st, 0);
			errno = st == NET_ERR_TIMEOUT ? ETIMEDOUT : ECANCELED;
			return -1;
		}
	}
}

static ssize_t raw_send(tls_stream_t *s, const void *buf, size_t n)
{
	if (s->fd < 0)
		return -1;
	for (;;) {
		ssize_t r = send(s->fd, buf, n, MSG_NOSIGNAL);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			int e = errno;
			net_failed(s, e == EPIPE || e == ECONNRESET ? NET_ERR_CLOSED : NET_ERR_IO, e);
			errno = e;
			return -1;
		}
		enum net_status st = net_wait(s->fd, true, wait_ms(s), s->cancel);
		if (st != NET_OK) {
			net_failed(s, st, 0);
			errno = st == NET_ERR_TIMEOUT ? ETIMEDOUT : ECANCELED;
			return -1;
		}
	}
}

static ssize_t pull_fn(gnutls_transport_ptr_t p, void *buf, size_t n)
{
	tls_stream_t *s = p;
	ssize_t r = raw_recv(s, buf, n);
	if (r < 0)
		gnutls_transport_set_errno(s->sess, errno);
	return r;
}

static ssize_t push_fn(gnutls_transport_ptr_t p, const void *buf, size_t n)
{
	tls_stream_t *s = p;
	ssize_t r = raw_send(s, buf, n);
	if (r < 0)
		gnutls_transport_set_errno(s->sess, errno);
	return r;
}

/* A GnuTLS error after the transport layer already said what happened
 * keeps the transport's words. */
static void gnutls_failed(tls_stream_t *s, int r, const char *doing)
{
	if (s->net != NET_OK)
		return;
	if (r == GNUTLS_E_FATAL_ALERT_RECEIVED || r == GNUTLS_E_WARNING_ALERT_RECEIVED)
		set_error(s, TLS_ERR_HANDSHAKE, xasprintf("TLS alert from the server %s: %s", doing,
							  gnutls_alert_get_name(gnutls_alert_get(s->sess))));
	else if (r == GNUTLS_E_PREMATURE_TERMINATION || r == GNUTLS_E_UNEXPECTED_PACKET_LENGTH)
		set_error(s, TLS_ERR_NET, xasprintf("the server closed the connection %s", doing));
	else
		set_error(s, TLS_ERR_HANDSHAKE, xasprintf("TLS error %s: %s", doing, gnutls_strerror(r)));
}

/* ---- the mailstream_low driver ---- */

/* Read from the wire (TLS or plaintext): >0 bytes, 0 EOF, -1 error. */
static ssize_t transport_read(tls_stream_t *s, void *buf, size_t count)
{
	ssize_t n;
	if (s->sess) {
		do
			n = gnutls_record_recv(s->sess, buf, count);
		while (n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_AGAIN);
		if (n < 0) {
			gnutls_failed(s, (int)n, "while reading");
			return -1;
		}
		if (n == 0)
			net_failed(s, NET_ERR_CLOSED, 0);
		s->st.wire_in += n > 0 ? (uint64_t)n : 0;
		return n;
	}
	n = raw_recv(s, buf, count);
	s->st.wire_in += n > 0 ? (uint64_t)n : 0;
	return n;
}

static ssize_t fill_from_transport(void *ctx, void *buf, size_t n)
{
	return transport_read(ctx, buf, n);
}

/* Plaintext IMAP bytes: from the transport, through inflate once
 * COMPRESS=DEFLATE is on. */
static ssize_t wire_read(tls_stream_t *s, void *buf, size_t count)
{
	if (!s->z)
		return transport_read(s, buf, count);
	char *err;
	ssize_t n = zwire_read(s->z, buf, count, fill_from_transport, s, &err);
	if (err) {
		s->failed = true;
		set_error(s, TLS_ERR_LIMIT, err);
		log_warn("%s: %s", s->host, err);
	}
	return n;
}

static ssize_t drv_read(mailstream_low *low, void *buf, size_t count)
{
	tls_stream_t *s = low->data;
	if (!s || s->failed || s->fd < 0)
		return -1;
	ssize_t n;
	if (s->peek_off < s->peek_len) {
		size_t left = s->peek_len - s->peek_off;
		n = (ssize_t)(left < count ? left : count);
		memcpy(buf, s->peek + s->peek_off, (size_t)n);
		s->peek_off += (size_t)n;
	} else {
		n = wire_read(s, buf, count);
	}
	if (n <= 0)
		return n;
	char *err;
	if (!tls_frame_scan(&s->frame, &s->lim, buf, (size_t)n, &err)) {
		/* refuse the whole chunk: libetpan must never see the header */
		s->failed = true;
		set_error(s, TLS_ERR_LIMIT, err);
		log_warn("%s: %s", s->host, err);
		return -1;
	}
	s->st.plain_in += (uint64_t)n;
	if (s->capture_max) {
		if (s->capture.len + (size_t)n > s->capture_max)
			s->capture_full = true;
		else
			strbuf_add(&s->capture, buf, (size_t)n);
	}
	return n;
}

void tls_stream_capture_start(tls_stream_t *s, size_t max)
{
	strbuf_free(&s->capture);
	s->capture_max = max;
	s->capture_full = false;
}

char *tls_stream_capture_end(tls_stream_t *s)
{
	bool ok = s->capture_max && !s->capture_full;
	s->capture_max = 0;
	char *r = ok ? strbuf_detach(&s->capture) : NULL;
	strbuf_free(&s->capture);
	return r;
}

const char *tls_stream_peek_line(tls_stream_t *s, size_t max)
{
	if (s->peek_off != 0 || s->fd < 0 || s->failed)
		return NULL;
	if (!s->peek)
		s->peek = xmalloc(max + 1);
	while (s->peek_len < max && !memchr(s->peek, '\n', s->peek_len)) {
		ssize_t n = transport_read(s, s->peek + s->peek_len, max - s->peek_len);
		if (n <= 0)
			return NULL;
		s->peek_len += (size_t)n;
	}
	s->peek[s->peek_len] = '\0';
	return s->peek;
}

/* Write to the wire (TLS or plaintext): bytes written or -1. */
static ssize_t transport_write(tls_stream_t *s, const void *buf, size_t count)
{
	ssize_t n;
	if (!s->sess) {
		n = raw_send(s, buf, count);
	} else {
		do
			n = gnutls_record_send(s->sess, buf, count);
		while (n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_AGAIN);
		if (n < 0) {
			gnutls_failed(s, (int)n, "while writing");
			return -1;
		}
	}
	s->st.wire_out += n > 0 ? (uint64_t)n : 0;
	return n;
}

static ssize_t drv_write(mailstream_low *low, const void *buf, size_t count)
{
	tls_stream_t *s = low->data;
	if (!s || s->failed || s->fd < 0)
		return -1;
	/* a new command: the response cap counts from here */
	s->frame.resp_len = 0;
	s->st.plain_out += count;
	if (!s->z)
		return transport_write(s, buf, count);
	strbuf_reset(&s->zout);
	if (!zwire_deflate(s->z, buf, count, &s->zout)) {
		s->failed = true;
		set_error(s, TLS_ERR_CONFIG, xstrdup("compressing a command failed"));
		return -1;
	}
	for (size_t off = 0; off < s->zout.len;) {
		ssize_t n = transport_write(s, s->zout.s + off, s->zout.len - off);
		if (n < 0)
			return -1;
		off += (size_t)n;
	}
	return (ssize_t)count;
}

static void close_fd(tls_stream_t *s)
{
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
}

static int drv_close(mailstream_low *low)
{
	tls_stream_t *s = low->data;
	if (s) {
		if (s->sess && !s->failed && s->net == NET_OK) {
			/* polite but bounded: don't wait for the peer's close_notify */
			s->deadline = net_now_ms() + 1000;
			gnutls_bye(s->sess, GNUTLS_SHUT_WR);
			s->deadline = 0;
		}
		close_fd(s);
	}
	return 0;
}

static int drv_get_fd(mailstream_low *low)
{
	tls_stream_t *s = low->data;
	return s ? s->fd : -1;
}

static void drv_free(mailstream_low *low)
{
	tls_stream_t *s = low->data;
	if (s)
		s->low = NULL;
	free(low);
}

static void drv_cancel(mailstream_low *low)
{
	tls_stream_t *s = low->data;
	if (s)
		net_cancel_trigger(s->cancel);
}

static mailstream_low_driver tls_driver = {
	.mailstream_read = drv_read,
	.mailstream_write = drv_write,
	.mailstream_close = drv_close,
	.mailstream_get_fd = drv_get_fd,
	.mailstream_free = drv_free,
	.mailstream_cancel = drv_cancel,
	.mailstream_get_cancel = NULL,
	.mailstream_get_certificate_chain = NULL,
	.mailstream_setup_idle = NULL,
	.mailstream_unsetup_idle = NULL,
	.mailstream_interrupt_idle = NULL,
};

/* ---- the stream ---- */

static char *nonempty_dup(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

tls_stream_t *tls_stream_new(int fd, const struct tls_config *cfg)
{
	tls_stream_t *s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->host = xstrdup(cfg->host);
	s->port = cfg->port;
	s->ca_file = nonempty_dup(cfg->ca_file);
	s->pin = nonempty_dup(cfg->pin);
	s->pin_file = nonempty_dup(cfg->pin_file);
	s->accept_once = nonempty_dup(cfg->accept_once);
	s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
	s->cancel = cfg->cancel;
	tls_limits_default(&s->lim);
	return s;
}

void tls_stream_free(tls_stream_t **sp)
{
	if (!sp || !*sp)
		return;
	tls_stream_t *s = *sp;
	if (s->low)
		s->low->data = NULL; /* a low still alive must not reach us */
	if (s->sess)
		gnutls_deinit(s->sess);
	if (s->cred)
		gnutls_certificate_free_credentials(s->cred);
	close_fd(s);
	free(s->host);
	free(s->ca_file);
	free(s->pin);
	free(s->pin_file);
	free(s->accept_once);
	free(s->error);
	free(s->peek);
	strbuf_free(&s->capture);
	strbuf_free(&s->zout);
	zwire_free(&s->z);
	tls_cert_info_free(&s->cert);
	free(s);
	*sp = NULL;
}

mailstream_low *tls_stream_low(tls_stream_t *s)
{
	if (s->low)
		return NULL;
	s->low = mailstream_low_new(s, &tls_driver);
	if (!s->low)
		util_oom();
	return s->low;
}

bool tls_stream_is_tls(const tls_stream_t *s)
{
	return s->sess != NULL;
}

const char *tls_stream_version(const tls_stream_t *s)
{
	if (!s->sess)
		return "";
	const char *v = gnutls_protocol_get_name(gnutls_protocol_get_version(s->sess));
	return v ? v : "";
}

const struct tls_cert_info *tls_stream_cert(const tls_stream_t *s)
{
	return s->cert;
}

const char *tls_stream_error(const tls_stream_t *s)
{
	return s->error;
}

enum tls_status tls_stream_status(const tls_stream_t *s)
{
	return s->status;
}

void tls_stream_set_limits(tls_stream_t *s, const struct tls_limits *l)
{
	s->lim = *l;
}

void tls_stream_reset_response(tls_stream_t *s)
{
	s->frame.resp_len = 0;
}

enum net_status tls_stream_wait_readable(tls_stream_t *s, int timeout_ms)
{
	if (s->fd < 0)
		return NET_ERR_CLOSED;
	if (s->sess && gnutls_record_check_pending(s->sess) > 0)
		return NET_OK;
	if (s->z && zwire_pending(s->z))
		return NET_OK;
	return net_wait(s->fd, false, timeout_ms, s->cancel);
}

bool tls_stream_start_deflate(tls_stream_t *s)
{
	if (s->z)
		return true;
	if (s->peek_off < s->peek_len)
		return false; /* plaintext bytes still unread: they would be taken for compressed ones */
	s->z = zwire_new();
	return s->z != NULL;
}

bool tls_stream_compressed(const tls_stream_t *s)
{
	return s->z != NULL;
}

void tls_stream_wire_stats(const tls_stream_t *s, struct tls_wire_stats *out)
{
	*out = s->st;
}

/* ---- verification ---- */

static char *cert_names(gnutls_x509_crt_t crt)
{
	struct strbuf b;
	strbuf_init(&b);
	for (unsigned i = 0; i < 64; i++) {
		char name[256];
		size_t len = sizeof(name) - 1;
		unsigned type;
		int r = gnutls_x509_crt_get_subject_alt_name2(crt, i, name, &len, &type, NULL);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0)
			continue;
		char ip[INET6_ADDRSTRLEN];
		const char *show = NULL;
		if (r == GNUTLS_SAN_DNSNAME) {
			name[len] = '\0';
			show = name;
		} else if (r == GNUTLS_SAN_IPADDRESS && (len == 4 || len == 16)) {
			show = inet_ntop(len == 4 ? AF_INET : AF_INET6, name, ip, sizeof(ip));
		}
		if (!show)
			continue;
		if (b.len > 200) {
			strbuf_adds(&b, ", ...");
			break;
		}
		strbuf_addf(&b, "%s%s", b.len ? ", " : "", show);
	}
	if (!b.len) {
		char cn[256];
		size_t len = sizeof(cn);
		if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &len) == 0)
			strbuf_adds(&b, cn);
	}
	return strbuf_detach(&b);
}

static char *dn_string(gnutls_x509_crt_t crt, bool issuer)
{
	gnutls_datum_t d = { NULL, 0 };
	int r = issuer ? gnutls_x509_crt_get_issuer_dn2(crt, &d) : gnutls_x509_crt_get_dn2(crt, &d);
	if (r < 0)
		return xstrdup("?");
	char *s = xstrndup((const char *)d.data, d.size);
	gnutls_free(d.data);
	return s;
}

static bool name_matches(gnutls_x509_crt_t crt, const char *host)
{
	unsigned char ip[16];
	if (inet_pton(AF_INET, host, ip) == 1)
		return gnutls_x509_crt_check_ip(crt, ip, 4, 0) != 0;
	if (inet_pton(AF_INET6, host, ip) == 1)
		return gnutls_x509_crt_check_ip(crt, ip, 16, 0) != 0;
	return gnutls_x509_crt_check_hostname2(crt, host, 0) != 0;
}

static unsigned map_status(unsigned st)
{
	unsigned r = 0;
	if (st & GNUTLS_CERT_REVOKED)
		r |= TLS_CERT_REVOKED;
	if (st & GNUTLS_CERT_INSECURE_ALGORITHM)
		r |= TLS_CERT_INSECURE;
	if (st & GNUTLS_CERT_EXPIRED)
		r |= TLS_CERT_EXPIRED;
	if (st & GNUTLS_CERT_NOT_ACTIVATED)
		r |= TLS_CERT_NOT_YET_VALID;
	if (st & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA | GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE))
		r |= TLS_CERT_UNTRUSTED;
	if ((st & GNUTLS_CERT_INVALID) && !r)
		r |= TLS_CERT_OTHER;
	return r;
}

static void load_system_trust(gnutls_certificate_credentials_t cred)
{
	int r = gnutls_certificate_set_x509_system_trust(cred);
	if (r < 0)
		log_warn("cannot load the system trust store: %s", gnutls_strerror(r));
}

/* Fill s->cert from the peer's chain; returns the reasons before pins. */
static struct tls_cert_info *examine_peer(tls_stream_t *s)
{
	struct tls_cert_info *ci = xcalloc(1, sizeof(*ci));
	ci->host = xstrdup(s->host);
	ci->port = s->port;
	ci->not_before = ci->not_after = (time_t)-1;
	unsigned n = 0;
	const gnutls_datum_t *chain = gnutls_certificate_get_peers(s->sess, &n);
	gnutls_x509_crt_t crt = NULL;
	if (!chain || n == 0 || gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) < 0) {
		if (crt)
			gnutls_x509_crt_deinit(crt);
		ci->reasons = TLS_CERT_OTHER;
		ci->subject = xstrdup("(no certificate)");
		return ci;
	}
	unsigned char md[32];
	gnutls_hash_fast(GNUTLS_DIG_SHA256, chain[0].data, chain[0].size, md);
	for (int i = 0; i < 32; i++)
		snprintf(ci->sha256 + 2 * i, 3, "%02x", md[i]);
	ci->subject = dn_string(crt, false);
	ci->issuer = dn_string(crt, true);
	ci->names = cert_names(crt);
	ci->not_before = gnutls_x509_crt_get_activation_time(crt);
	ci->not_after = gnutls_x509_crt_get_expiration_time(crt);
	ci->self_signed = strcmp(ci->subject, ci->issuer) == 0;

	unsigned status = 0;
	int r = gnutls_certificate_verify_peers2(s->sess, &status);
	if ((r < 0 || status) && !s->system_trust) {
		/* Not (fully) verified by tls_ca_file alone: verify again
		 * against it and the system store together, as if both had
		 * been loaded from the start. */
		s->system_trust = true;
		load_system_trust(s->cred);
		status = 0;
		r = gnutls_certificate_verify_peers2(s->sess, &status);
	}
	if (r < 0)
		ci->reasons |= TLS_CERT_OTHER;
	else
		ci->reasons |= map_status(status);
	/* our own check, against the name the user configured */
	if (!name_matches(crt, s->host))
		ci->reasons |= TLS_CERT_WRONG_HOST;
	gnutls_x509_crt_deinit(crt);
	return ci;
}

/* Apply tls_pin, data_dir/certs and accept-once to a verification result.
 * Returns true when the certificate is accepted. */
static bool decide(tls_stream_t *s, struct tls_cert_info *ci)
{
	if (!*ci->sha256)
		return false;
	char pin[65];
	bool pin_set = s->pin && tls_pin_normalize(s->pin, pin);
	bool pinned = (pin_set && strcmp(pin, ci->sha256) == 0) ||
		      (s->accept_once && strcasecmp(s->accept_once, ci->sha256) == 0) ||
		      tls_pin_file_match(s->pin_file, s->host, ci->sha256);
	/* an explicit tls_pin is a promise: only that certificate, even when
	 * a CA would vouch for another one */
	if (pin_set && !pinned)
		ci->reasons |= TLS_CERT_PIN_MISMATCH;
	if (!ci->reasons)
		return true;
	if (pinned && !(ci->reasons & TLS_CERT_REVOKED)) {
		ci->pinned = true;
		return true;
	}
	return false;
}

static gnutls_certificate_credentials_t make_cred(tls_stream_t *s)
{
	gnutls_certificate_credentials_t cred;
	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		set_error(s, TLS_ERR_CONFIG, xstrdup("cannot set up TLS credentials"));
		return NULL;
	}
	/* With tls_ca_file, the system store (parsing its bundle costs more
	 * than all the rest of a no-op sync) is loaded only when the CA file
	 * alone does not verify the peer: see examine_peer(). */
	s->system_trust = !s->ca_file;
	if (s->system_trust)
		load_system_trust(cred);
	if (s->ca_file) {
		int r = gnutls_certificate_set_x509_trust_file(cred, s->ca_file, GNUTLS_X509_FMT_PEM);
		if (r <= 0) {
			set_error(s, TLS_ERR_CONFIG, xasprintf("tls_ca_file %s: %s", s->ca_file,
							       r == 0 ? "no certificate in it" : gnutls_strerror(r)));
			gnutls_certificate_free_credentials(cred);
			return NULL;
		}
	}
	return cred;
}

enum tls_status tls_stream_handshake(tls_stream_t *s)
{
	if (s->sess || s->fd < 0) {
		set_error(s, TLS_ERR_CONFIG, xstrdup("TLS already started or connection closed"));
		return s->status;
	}
	s->cred = make_cred(s);
	if (!s->cred)
		return s->status;
	gnutls_session_t sess;
	if (gnutls_init(&sess, GNUTLS_CLIENT) < 0) {
		set_error(s, TLS_ERR_CONFIG, xstrdup("cannot set up a TLS session"));
		return s->status;
	}
	s->sess = sess;
	const char *errpos = NULL;
	int r = gnutls_set_default_priority_append(sess, "-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", &errpos, 0);
	if (r >= 0)
		r = gnutls_credentials_set(sess, GNUTLS_CRD_CERTIFICATE, s->cred);
	if (r >= 0 && !net_is_ip_literal(s->host))
		r = gnutls_server_name_set(sess, GNUTLS_NAME_DNS, s->host, strlen(s->host));
	if (r < 0) {
		set_error(s, TLS_ERR_CONFIG, xasprintf("TLS setup: %s", gnutls_strerror(r)));
		return s->status;
	}
	gnutls_transport_set_ptr(sess, s);
	gnutls_transport_set_push_function(sess, push_fn);
	gnutls_transport_set_pull_function(sess, pull_fn);
	s->net = NET_OK;
	s->deadline = net_now_ms() + s->timeout_ms;
	do
		r = gnutls_handshake(sess);
	while (r < 0 && !gnutls_error_is_fatal(r) && s->net == NET_OK);
	s->deadline = 0;
	if (r < 0) {
		gnutls_failed(s, r, "during the TLS handshake");
		if (s->status == TLS_OK)
			set_error(s, TLS_ERR_HANDSHAKE, xstrdup("TLS handshake failed"));
		s->failed = true;
		return s->status;
	}
	tls_cert_info_free(&s->cert);
	s->cert = examine_peer(s);
	if (!decide(s, s->cert)) {
		s->failed = true;
		set_error(s, TLS_ERR_CERT, tls_cert_describe(s->cert));
		return s->status;
	}
	if (s->cert->pinned)
		log_info("%s: accepted a pinned certificate (%s)", s->host, s->cert->sha256);
	log_debug("%s: %s, certificate verified", s->host, tls_stream_version(s));
	s->status = TLS_OK;
	return TLS_OK;
}
