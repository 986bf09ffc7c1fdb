/* imap.c - IMAP session setup over our TLS transport: STARTTLS hardening,
 * capabilities, authentication, and the folder list. */
#include "imap.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conn.h"
#include "encode.h"
#include "imapcmd.h"
#include "log.h"
#include "mutf7.h"
#include "net.h"
#include "secret.h"
#include "text.h"
#include "util.h"

struct imap {
	struct imap_params p;       /* owned copy */
	mailimap *imap;             /* owned; NULL when disconnected */
	tls_stream_t *tls;     /* owned; outlives the mailstream over it */
	net_cancel_t *cancel;  /* owned */
	struct tls_limits lim;
	char *accept_once;          /* owned */
	imap_ask_secret_fn ask;
	void *ask_ud;
	char *hp;                   /* "host:port" for messages */
	char *error;                /* owned, "" when none */
	char *warning;              /* owned or NULL */
	struct tls_cert_info *cert; /* owned: last handshake's certificate */
	char *tls_version;
	unsigned caps;
	char *cap_text;             /* sanitized, for messages */
	bool authenticated;
	bool broken;                /* stream unusable: close without LOGOUT */
	bool condstore, qresync;
	char *ns_prefix;
	char ns_delim;
	const char *auth_used;
	struct imap_wire_stats closed; /* of the sessions already closed */
	uint64_t pipelined;            /* this session's commands sent behind others */
};

/* ---- parameters ---- */

bool imap_params_from_conf(const conf_t *c, long account, struct imap_params *p, char **err)
{
	memset(p, 0, sizeof(*p));
	if (!conn_from_conf(c, account, CONN_IMAP, &p->conn, err))
		return false;
	const char *auth = conf_str(c, account, OPT_ID_imap_auth);
	p->auth = auth && *auth ? xstrdup(auth) : NULL;
	p->compress = conf_bool(c, account, OPT_ID_imap_compress);
	return true;
}

void imap_params_clear(struct imap_params *p)
{
	conn_params_clear(&p->conn);
	free(p->auth);
	p->auth = NULL;
}

static void params_copy(struct imap_params *d, const struct imap_params *s)
{
	conn_params_copy(&d->conn, &s->conn);
	d->conn.pass_what = "imap_pass_cmd";
	d->auth = xstrdup_null(s->auth);
	d->compress = s->compress;
}

/* ---- capabilities ---- */

static const struct {
	const char *name;
	unsigned bit;
} cap_names[] = {
	{ "STARTTLS", IMAP_CAP_STARTTLS },     { "LOGINDISABLED", IMAP_CAP_LOGINDISABLED },
	{ "AUTH=PLAIN", IMAP_CAP_AUTH_PLAIN }, { "AUTH=XOAUTH2", IMAP_CAP_AUTH_XOAUTH2 },
	{ "AUTH=OAUTHBEARER", IMAP_CAP_AUTH_OAUTHBEARER },
	{ "SASL-IR", IMAP_CAP_SASL_IR },       { "IDLE", IMAP_CAP_IDLE },
	{ "MOVE", IMAP_CAP_MOVE },             { "UIDPLUS", IMAP_CAP_UIDPLUS },
	{ "CONDSTORE", IMAP_CAP_CONDSTORE },   { "QRESYNC", IMAP_CAP_QRESYNC },
	{ "ENABLE", IMAP_CAP_ENABLE },         { "SPECIAL-USE", IMAP_CAP_SPECIAL_USE },
	{ "LIST-EXTENDED", IMAP_CAP_LIST_EXTENDED }, { "NAMESPACE", IMAP_CAP_NAMESPACE },
	{ "COMPRESS=DEFLATE", IMAP_CAP_COMPRESS }, { "ID", IMAP_CAP_ID },
	{ "IMAP4REV1", IMAP_CAP_IMAP4REV1 },   { "LITERAL+", IMAP_CAP_LITERALPLUS },
	{ "LIST-STATUS", IMAP_CAP_LIST_STATUS }, { "X-GM-EXT-1", IMAP_CAP_GMAIL },
	{ "OBJECTID", IMAP_CAP_OBJECTID },     { "NOTIFY", IMAP_CAP_NOTIFY },
};

unsigned imap_caps_parse(const char *words)
{
	unsigned bits = 0;
	const char *p = words;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		for (size_t i = 0; n && i < ARRAY_SIZE(cap_names); i++) {
			if (strlen(cap_names[i].name) == n && strncasecmp(p, cap_names[i].name, n) == 0)
				bits |= cap_names[i].bit;
		}
		p += n;
	}
	return bits;
}

/* Rebuild m->caps from what libetpan parsed last. */
static void caps_from_session(imap_t *m)
{
	m->caps = 0;
	free(m->cap_text);
	m->cap_text = NULL;
	struct mailimap_connection_info *ci = m->imap->imap_connection_info;
	if (!ci || !ci->imap_capability)
		return;
	struct strbuf b;
	strbuf_init(&b);
	for (clistiter *it = clist_begin(ci->imap_capability->cap_list); it; it = clist_next(it)) {
		struct mailimap_capability *c = clist_content(it);
		if (c->cap_type == MAILIMAP_CAPABILITY_AUTH_TYPE && c->cap_data.cap_auth_type)
			strbuf_addf(&b, "%sAUTH=%s", b.len ? " " : "", c->cap_data.cap_auth_type);
		else if (c->cap_type == MAILIMAP_CAPABILITY_NAME && c->cap_data.cap_name)
			strbuf_addf(&b, "%s%s", b.len ? " " : "", c->cap_data.cap_name);
	}
	if (b.s) {
		m->caps = imap_caps_parse(b.s);
		m->cap_text = text_sanitize(b.s, b.len, false);
	}
	strbuf_free(&b);
}

/* Forget every capability libetpan and we learned so far (before TLS or
 * before login they may have been forged or may change). */
static void caps_drop(imap_t *m)
{
	struct mailimap_connection_info *ci = m->imap->imap_connection_info;
	if (ci && ci->imap_capability) {
		mailimap_capability_data_free(ci->imap_capability);
		ci->imap_capability = NULL;
	}
	m->caps = 0;
	free(m->cap_text);
	m->cap_text = NULL;
}

/* ---- errors ---- */

static void set_err(imap_t *m, const char *fmt, ...) ML_PRINTF(2, 3);
static void set_err(imap_t *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	free(m->error);
	m->error = xasprintf("%s: %s", m->hp ? m->hp : "imap", what);
	free(what);
}

/* The server's words, made safe for a terminal and a single line. */
static char *server_text(const imap_t *m)
{
	const char *t = m->imap ? m->imap->imap_response : NULL;
	if (!t || !*t)
		return xstrdup("(no text)");
	size_t n = strlen(t);
	if (n > 300)
		n = 300;
	return text_sanitize(t, n, false);
}

/* Turn a failed libetpan call into a status and message. */
static enum imap_status lib_fail(imap_t *m, int r, const char *doing)
{
	const char *te = m->tls ? tls_stream_error(m->tls) : NULL;
	enum tls_status ts = m->tls ? tls_stream_status(m->tls) : TLS_OK;
	if (r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE || ts == TLS_ERR_LIMIT || ts == TLS_ERR_CANCELLED)
		m->broken = true;
	if (ts == TLS_ERR_CANCELLED || net_cancel_is_set(m->cancel)) {
		set_err(m, "cancelled %s", doing);
		return IMAP_ERR_CANCELLED;
	}
	if (ts == TLS_ERR_LIMIT) {
		set_err(m, "%s (%s); giving up", te, doing);
		return IMAP_ERR_PROTOCOL;
	}
	if (r == MAILIMAP_ERROR_STREAM) {
		set_err(m, "%s (%s)", te ? te : "connection lost", doing);
		return IMAP_ERR_NET;
	}
	if (r == MAILIMAP_ERROR_PARSE) {
		set_err(m, "unreadable response from the server (%s)", doing);
		return IMAP_ERR_PROTOCOL;
	}
	if (r == MAILIMAP_ERROR_MEMORY)
		util_oom();
	char *st = server_text(m);
	set_err(m, "%s failed: %s", doing, st);
	free(st);
	return IMAP_ERR_SERVER;
}

/* ---- RFC 8474 MAILBOXID ---- */

static bool objectid_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

size_t imap_parse_mailboxid(const char *p, size_t len, char out[IMAP_OBJECTID_MAX + 1])
{
	static const char kw[] = "MAILBOXID (";
	const size_t k = sizeof(kw) - 1;
	out[0] = '\0';
	if (len < k + 2 || strncasecmp(p, kw, k) != 0)
		return 0;
	size_t i = k, n = 0;
	for (; i < len && objectid_char(p[i]); i++) {
		if (n == IMAP_OBJECTID_MAX)
			return 0; /* longer than an objectid may be */
		out[n++] = p[i];
	}
	if (n == 0 || i >= len || p[i] != ')') {
		out[0] = '\0';
		return 0;
	}
	out[n] = '\0';
	return i + 1;
}

static struct mailimap_extension_api objectid_api;

/* libetpan's extension hook: a MAILBOXID response code (SELECT, EXAMINE,
 * CREATE) or STATUS attribute becomes extension data holding the id (a
 * string).  Reads only the line libetpan already holds (an objectid is
 * never a literal). */
static int objectid_parse(int calling_parser, mailstream *fd, MMAPString *buffer,
			  struct mailimap_parser_context *parser_ctx, size_t *indx,
			  struct mailimap_extension_data **result, size_t progr_rate, progress_function *progr_fun)
{
	(void)fd;
	(void)parser_ctx;
	(void)progr_rate;
	(void)progr_fun;
	if ((calling_parser != MAILIMAP_EXTENDED_PARSER_RESP_TEXT_CODE &&
	     calling_parser != MAILIMAP_EXTENDED_PARSER_STATUS_ATT) ||
	    !buffer || *indx >= buffer->len)
		return MAILIMAP_ERROR_PARSE;
	char id[IMAP_OBJECTID_MAX + 1];
	size_t used = imap_parse_mailboxid(buffer->str + *indx, buffer->len - *indx, id);
	if (!used)
		return MAILIMAP_ERROR_PARSE;
	char *copy = strdup(id);
	struct mailimap_extension_data *d = copy ? mailimap_extension_data_new(&objectid_api, 0, copy) : NULL;
	if (!d) {
		free(copy);
		return MAILIMAP_ERROR_MEMORY;
	}
	*result = d;
	*indx += used;
	return MAILIMAP_NO_ERROR;
}

static void objectid_free(struct mailimap_extension_data *d)
{
	if (!d)
		return;
	free(d->ext_data);
	free(d);
}

static struct mailimap_extension_api objectid_api = {
	.ext_name = (char *)"OBJECTID",
	.ext_id = -1,
	.ext_parser = objectid_parse,
	.ext_free = objectid_free,
};

const struct mailimap_extension_api *imap_objectid_extension(void)
{
	return &objectid_api;
}

static void objectid_register(void)
{
	mailimap_extension_register(&objectid_api);
}

/* The id of our extension data, or NULL. */
static const char *objectid_of(const struct mailimap_extension_data *d)
{
	return d && d->ext_extension == &objectid_api ? d->ext_data : NULL;
}

/* ---- session ---- */

imap_t *imap_new(const struct imap_params *p)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, objectid_register);
	imap_t *m = xcalloc(1, sizeof(*m));
	params_copy(&m->p, p);
	m->cancel = net_cancel_new();
	tls_limits_default(&m->lim);
	m->error = xstrdup("");
	m->hp = net_host_port(p->conn.host ? p->conn.host : "?", p->conn.port);
	m->ns_prefix = xstrdup("");
	return m;
}

/* This session's part of imap_wire_stats. */
static void session_stats(const imap_t *m, struct imap_wire_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (m->tls) {
		struct tls_wire_stats t;
		tls_stream_wire_stats(m->tls, &t);
		out->wire_in = t.wire_in;
		out->wire_out = t.wire_out;
		out->plain_in = t.plain_in;
		out->plain_out = t.plain_out;
	}
	if (m->imap)
		out->commands = m->imap->imap_tag;
	out->round_trips = out->commands - (m->pipelined < out->commands ? m->pipelined : out->commands);
}

void imap_wire_stats(const imap_t *m, struct imap_wire_stats *out)
{
	session_stats(m, out);
	out->wire_in += m->closed.wire_in;
	out->wire_out += m->closed.wire_out;
	out->plain_in += m->closed.plain_in;
	out->plain_out += m->closed.plain_out;
	out->commands += m->closed.commands;
	out->round_trips += m->closed.round_trips;
}

void imap_note_pipelined(imap_t *m)
{
	m->pipelined++;
}

void imap_response_begin(imap_t *m)
{
	if (m->tls)
		tls_stream_reset_response(m->tls);
}

bool imap_compressed(const imap_t *m)
{
	return m->tls && tls_stream_compressed(m->tls);
}

static void close_session(imap_t *m)
{
	imap_wire_stats(m, &m->closed);
	if (m->imap) {
		if (m->imap->imap_stream) {
			/* A healthy session says LOGOUT, but does not wait for the
			 * server's BYE and OK (mailimap_free would): nothing is
			 * pending once every command got its tagged answer, and the
			 * round trip was a tenth of a no-op sync. */
			if (!m->broken && mailstream_write(m->imap->imap_stream, "Z LOGOUT\r\n", 10) == 10)
				mailstream_flush(m->imap->imap_stream);
			mailstream_close(m->imap->imap_stream);
			m->imap->imap_stream = NULL;
		}
		mailimap_free(m->imap);
		m->imap = NULL;
	}
	tls_stream_free(&m->tls);
	m->pipelined = 0;
	m->authenticated = false;
	m->broken = false;
	m->caps = 0;
	m->condstore = m->qresync = false;
}

void imap_disconnect(imap_t *m)
{
	close_session(m);
}

void imap_free(imap_t **mp)
{
	if (!mp || !*mp)
		return;
	imap_t *m = *mp;
	close_session(m);
	imap_params_clear(&m->p);
	net_cancel_free(&m->cancel);
	free(m->accept_once);
	free(m->hp);
	free(m->error);
	free(m->warning);
	tls_cert_info_free(&m->cert);
	free(m->tls_version);
	free(m->cap_text);
	free(m->ns_prefix);
	free(m);
	*mp = NULL;
}

void imap_set_ask_secret(imap_t *m, imap_ask_secret_fn fn, void *ud)
{
	m->ask = fn;
	m->ask_ud = ud;
}

void imap_set_accept_once(imap_t *m, const char *sha256hex)
{
	free(m->accept_once);
	m->accept_once = sha256hex && *sha256hex ? xstrdup(sha256hex) : NULL;
}

void imap_set_limits(imap_t *m, const struct tls_limits *l)
{
	m->lim = *l;
	if (m->tls)
		tls_stream_set_limits(m->tls, l);
}

void imap_cancel(imap_t *m)
{
	net_cancel_trigger(m->cancel);
}

const char *imap_error(const imap_t *m) { return m->error; }
const char *imap_warning(const imap_t *m) { return m->warning; }
const char *imap_limit_error(const imap_t *m)
{
	return m->tls && tls_stream_status(m->tls) == TLS_ERR_LIMIT ? tls_stream_error(m->tls) : NULL;
}
const struct tls_cert_info *imap_cert(const imap_t *m) { return m->cert; }
const char *imap_tls_version(const imap_t *m) { return m->tls_version ? m->tls_version : ""; }
const char *imap_auth_used(const imap_t *m) { return m->auth_used ? m->auth_used : ""; }
unsigned imap_caps(const imap_t *m) { return m->caps; }
bool imap_has_cap(const imap_t *m, enum imap_cap cap) { return (m->caps & (unsigned)cap) != 0; }
bool imap_condstore_enabled(const imap_t *m) { return m->condstore; }
bool imap_qresync_enabled(const imap_t *m) { return m->qresync; }
const char *imap_namespace_prefix(const imap_t *m) { return m->ns_prefix; }
char imap_namespace_delim(const imap_t *m) { return m->ns_delim; }

enum net_status imap_wait_input(imap_t *m, int timeout_ms)
{
	if (!m->imap || !m->imap->imap_stream || !m->tls || m->broken)
		return NET_ERR_CLOSED;
	if (m->imap->imap_stream->read_buffer_len > 0)
		return NET_OK; /* libetpan already holds unread bytes */
	return tls_stream_wait_readable(m->tls, timeout_ms);
}

mailimap *imap_mailimap(imap_t *m)
{
	return m->authenticated ? m->imap : NULL;
}

int imap_command(mailimap *mi, const char *cmd)
{
	int r = mailimap_send_current_tag(mi); /* "<tag> " */
	if (r != MAILIMAP_NO_ERROR)
		return r;
	if (mailstream_write(mi->imap_stream, cmd, strlen(cmd)) == -1 || mailstream_write(mi->imap_stream, "\r\n", 2) == -1 ||
	    mailstream_flush(mi->imap_stream) == -1)
		return MAILIMAP_ERROR_STREAM;
	if (mailimap_read_line(mi) == NULL)
		return MAILIMAP_ERROR_STREAM;
	struct mailimap_response *resp = NULL;
	r = mailimap_parse_response(mi, &resp);
	if (r != MAILIMAP_NO_ERROR)
		return r;
	int code = MAILIMAP_RESP_COND_STATE_BAD;
	if (resp->rsp_resp_done && resp->rsp_resp_done->rsp_type == MAILIMAP_RESP_DONE_TYPE_TAGGED &&
	    resp->rsp_resp_done->rsp_data.rsp_tagged && resp->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state)
		code = resp->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type;
	else
		r = MAILIMAP_ERROR_STREAM; /* BYE instead of a tagged answer */
	mailimap_response_free(resp);
	if (r != MAILIMAP_NO_ERROR)
		return r;
	return code == MAILIMAP_RESP_COND_STATE_OK ? MAILIMAP_NO_ERROR : MAILIMAP_ERROR_CUSTOM_COMMAND;
}

/* libetpan 1.9.4's mailimap_select_qresync() sends "SELECT mb QRESYNC (...)"
 * without the parentheses RFC 7162 puts around select parameters, which
 * Dovecot accepts and ignores; so the command is written here, and
 * libetpan still parses the whole answer (imap_command() leaves it in
 * imap_response_info until the next command). */
int imap_select_qresync(imap_t *m, const char *raw, uint32_t uidvalidity, uint64_t modseq, const char *known_uids,
			clist **fetched, struct mailimap_set **vanished, uint64_t *highestmodseq)
{
	*fetched = NULL;
	*vanished = NULL;
	*highestmodseq = 0;
	mailimap *mi = imap_mailimap(m);
	if (!mi)
		return MAILIMAP_ERROR_BAD_STATE;
	char *cmd = imapcmd_select_qresync(raw, uidvalidity, modseq, known_uids);
	if (!cmd)
		return MAILIMAP_ERROR_INVAL; /* needs a literal: the caller selects without QRESYNC */
	if (mi->imap_selection_info)
		mailimap_selection_info_free(mi->imap_selection_info);
	mi->imap_selection_info = mailimap_selection_info_new();
	int rc = imap_command(mi, cmd);
	free(cmd);
	if (rc == MAILIMAP_ERROR_CUSTOM_COMMAND) {
		if (mi->imap_selection_info)
			mailimap_selection_info_free(mi->imap_selection_info);
		mi->imap_selection_info = NULL;
		mi->imap_state = MAILIMAP_STATE_AUTHENTICATED;
		return MAILIMAP_ERROR_SELECT;
	}
	if (rc != MAILIMAP_NO_ERROR)
		return rc;
	if (!mi->imap_selection_info)
		return MAILIMAP_ERROR_MEMORY;
	mi->imap_state = MAILIMAP_STATE_SELECTED;
	struct mailimap_response_info *ri = mi->imap_response_info;
	if (!ri)
		return MAILIMAP_NO_ERROR;
	*fetched = ri->rsp_fetch_list;
	ri->rsp_fetch_list = NULL;
	struct mailimap_set *v = mailimap_set_new_empty();
	for (clistiter *it = ri->rsp_extension_list ? clist_begin(ri->rsp_extension_list) : NULL; it;
	     it = clist_next(it)) {
		struct mailimap_extension_data *ext = clist_content(it);
		if (!ext || !ext->ext_extension || !ext->ext_data)
			continue;
		if (ext->ext_extension->ext_id == MAILIMAP_EXTENSION_QRESYNC &&
		    ext->ext_type == MAILIMAP_QRESYNC_TYPE_VANISHED) {
			/* Every VANISHED line (libetpan's own select keeps only the first). */
			struct mailimap_qresync_vanished *qv = ext->ext_data;
			for (clistiter *s = qv->qr_known_uids && qv->qr_known_uids->set_list
						    ? clist_begin(qv->qr_known_uids->set_list)
						    : NULL;
			     s; s = clist_next(s)) {
				struct mailimap_set_item *item = clist_content(s);
				mailimap_set_add_interval(v, item->set_first, item->set_last);
			}
		} else if (ext->ext_extension->ext_id == MAILIMAP_EXTENSION_CONDSTORE &&
			   ext->ext_type == MAILIMAP_CONDSTORE_TYPE_RESP_TEXT_CODE) {
			struct mailimap_condstore_resptextcode *code = ext->ext_data;
			if (code->cs_type == MAILIMAP_CONDSTORE_RESPTEXTCODE_HIGHESTMODSEQ)
				*highestmodseq = code->cs_data.cs_modseq_value;
			else if (code->cs_type == MAILIMAP_CONDSTORE_RESPTEXTCODE_NOMODSEQ)
				*highestmodseq = 0;
		}
	}
	*vanished = v;
	return MAILIMAP_NO_ERROR;
}

/* Handshake and keep what the caller may want to show. */
static enum imap_status start_tls(imap_t *m)
{
	enum tls_status ts = tls_stream_handshake(m->tls);
	tls_cert_info_free(&m->cert);
	m->cert = tls_cert_info_dup(tls_stream_cert(m->tls));
	if (ts == TLS_OK) {
		free(m->tls_version);
		m->tls_version = xstrdup(tls_stream_version(m->tls));
		return IMAP_OK;
	}
	m->broken = true;
	const char *te = tls_stream_error(m->tls);
	switch (ts) {
	case TLS_ERR_CERT: {
		char *fp = tls_fingerprint_pretty(m->cert->sha256);
		char *pin = tls_cert_pin_line(m->cert);
		if (m->cert->reasons & TLS_CERT_REVOKED)
			set_err(m, "%s (SHA256 %s); refusing", te, fp);
		else
			set_err(m, "%s (SHA256 %s); to trust this certificate, add to the account: %s", te, fp, pin);
		free(fp);
		free(pin);
		return IMAP_ERR_CERT;
	}
	case TLS_ERR_CANCELLED:
		set_err(m, "cancelled");
		return IMAP_ERR_CANCELLED;
	case TLS_ERR_CONFIG:
		set_err(m, "%s", te);
		return IMAP_ERR_CONFIG;
	case TLS_ERR_NET:
		set_err(m, "%s", te);
		return IMAP_ERR_NET;
	default:
		set_err(m, "%s", te ? te : "TLS handshake failed");
		return IMAP_ERR_TLS;
	}
}

static enum imap_status ask_capability(imap_t *m)
{
	struct mailimap_capability_data *cd = NULL;
	int r = mailimap_capability(m->imap, &cd);
	if (r != MAILIMAP_NO_ERROR)
		return lib_fail(m, r, "asking for CAPABILITY");
	mailimap_capability_data_free(cd); /* libetpan keeps its own copy */
	caps_from_session(m);
	return IMAP_OK;
}

/* imap://: STARTTLS with every check the CVEs taught. */
static enum imap_status do_starttls(imap_t *m)
{
	if (!(m->caps & IMAP_CAP_STARTTLS)) {
		set_err(m, "the server does not offer STARTTLS; refusing to continue without TLS "
			   "(use imaps://, or set tls = none only on a network you trust)");
		return IMAP_ERR_INSECURE;
	}
	int r = mailimap_starttls(m->imap);
	mailstream *ms = m->imap->imap_stream;
	/* Bytes already buffered after the tagged OK would be read as if they
	 * came over TLS (CVE-2020-15953, CVE-2020-14954): refuse. */
	if (ms && ms->read_buffer_len != 0) {
		m->broken = true;
		set_err(m, "the server sent data after its STARTTLS response (possible injection attack); refusing");
		return IMAP_ERR_INSECURE;
	}
	if (r != MAILIMAP_NO_ERROR) {
		if (r == MAILIMAP_ERROR_STARTTLS) {
			char *st = server_text(m);
			m->broken = true;
			set_err(m, "the server refused STARTTLS: %s", st);
			free(st);
			return IMAP_ERR_INSECURE;
		}
		return lib_fail(m, r, "during STARTTLS");
	}
	/* whatever was said in clear may have been forged */
	caps_drop(m);
	enum imap_status st = start_tls(m);
	if (st != IMAP_OK)
		return st;
	return ask_capability(m);
}

/* Forget the last connection, its certificate, warning and error. */
static void connect_reset(imap_t *m)
{
	close_session(m);
	net_cancel_reset(m->cancel);
	tls_cert_info_free(&m->cert);
	free(m->warning);
	m->warning = NULL;
	free(m->error);
	m->error = xstrdup("");
}

/* set tls = none is said at every connect. */
static void warn_plaintext(imap_t *m)
{
	free(m->warning);
	m->warning = xasprintf("%s: plaintext connection without TLS (set tls = none): "
			       "password and mail can be read and changed on the way",
			       m->hp);
	log_warn("%s", m->warning);
}

/* Connect the socket, our TLS stream over it (plaintext until a
 * handshake) and a mailstream over that; a new libetpan session. */
static enum imap_status open_stream(imap_t *m, mailstream **out)
{
	int fd;
	char *err;
	enum net_status ns = net_connect(m->p.conn.host, m->p.conn.port, conn_timeout_ms(&m->p.conn), m->cancel, &fd,
					 &err);
	if (ns != NET_OK) {
		free(m->error);
		m->error = err;
		return ns == NET_ERR_CANCELLED ? IMAP_ERR_CANCELLED : IMAP_ERR_NET;
	}
	struct tls_config cfg = conn_tls_config(&m->p.conn, m->accept_once, m->cancel);
	m->tls = tls_stream_new(fd, &cfg);
	tls_stream_set_limits(m->tls, &m->lim);
	*out = mailstream_new(tls_stream_low(m->tls), 8192);
	if (!*out)
		util_oom();
	m->imap = mailimap_new(0, NULL);
	if (!m->imap)
		util_oom();
	return IMAP_OK;
}

/* imaps:// verified before a single IMAP byte is read; then the greeting
 * peeked at, because libetpan 1.9.4 leaks a BYE greeting.  Closes ms on
 * failure. */
static enum imap_status before_greeting(imap_t *m, mailstream *ms)
{
	enum imap_status st = m->p.conn.implicit_tls ? start_tls(m) : IMAP_OK;
	if (st != IMAP_OK) {
		mailstream_close(ms);
		return st;
	}
	const char *greeting = tls_stream_peek_line(m->tls, 4096);
	if (!greeting) {
		mailstream_close(ms);
		return lib_fail(m, MAILIMAP_ERROR_STREAM, "reading the greeting");
	}
	if (strncasecmp(greeting, "* BYE", 5) == 0) {
		size_t n = strcspn(greeting, "\r\n");
		char *t = text_sanitize(greeting + 5, n > 5 ? n - 5 : 0, false);
		set_err(m, "the server refused the connection:%s", t);
		free(t);
		mailstream_close(ms);
		return IMAP_ERR_SERVER;
	}
	return IMAP_OK;
}

/* What mailimap_connect's r says about the greeting. */
static enum imap_status greeted(imap_t *m, int r, bool want_starttls)
{
	if (r == MAILIMAP_NO_ERROR_AUTHENTICATED) {
		if (want_starttls) {
			/* CVE-2020-14093: PREAUTH in clear would skip STARTTLS */
			m->broken = true;
			set_err(m, "the server greeted with PREAUTH on an unencrypted connection; "
				   "refusing (TLS is required)");
			return IMAP_ERR_INSECURE;
		}
		m->authenticated = true;
		m->auth_used = "PREAUTH";
	} else if (r == MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION) {
		char *st = server_text(m);
		set_err(m, "the server refused the connection: %s", st);
		free(st);
		return IMAP_ERR_SERVER;
	} else if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		return lib_fail(m, r, "reading the greeting");
	}
	return IMAP_OK;
}

/* The capabilities (from the greeting, else asked), then STARTTLS. */
static enum imap_status after_greeting(imap_t *m, bool want_starttls)
{
	caps_from_session(m);
	enum imap_status st = m->caps ? IMAP_OK : ask_capability(m);
	if (st == IMAP_OK && want_starttls)
		st = do_starttls(m);
	return st;
}

enum imap_status imap_connect(imap_t *m)
{
	connect_reset(m);
	if (!m->p.conn.host) {
		set_err(m, "no server host name");
		return IMAP_ERR_CONFIG;
	}
	if (m->p.conn.tls_none)
		warn_plaintext(m);
	bool want_starttls = !m->p.conn.implicit_tls && !m->p.conn.tls_none;
	mailstream *ms;
	enum imap_status st = open_stream(m, &ms);
	if (st == IMAP_OK)
		st = before_greeting(m, ms);
	if (st == IMAP_OK)
		st = greeted(m, mailimap_connect(m->imap, ms), want_starttls); /* closes ms itself on failure */
	if (st == IMAP_OK)
		st = after_greeting(m, want_starttls);
	if (st == IMAP_OK)
		log_debug("%s: connected (%s), capabilities: %s", m->hp,
			  *imap_tls_version(m) ? imap_tls_version(m) : "no TLS", m->cap_text ? m->cap_text : "");
	return st;
}

/* ---- authentication ---- */

/* After sending credentials, scrub the copy left in libetpan's buffer. */
static void wipe_write_buffer(imap_t *m)
{
	mailstream *ms = m->imap ? m->imap->imap_stream : NULL;
	if (ms && ms->write_buffer)
		secret_wipe(ms->write_buffer, ms->buffer_max_size);
}

static int send_raw(imap_t *m, const char *s)
{
	mailstream *ms = m->imap->imap_stream;
	if (mailstream_write(ms, s, strlen(s)) < 0 || mailstream_write(ms, "\r\n", 2) < 0 ||
	    mailstream_flush(ms) < 0)
		return MAILIMAP_ERROR_STREAM;
	return MAILIMAP_NO_ERROR;
}

/* AUTHENTICATE MECH with one client response (SASL-IR when offered, else
 * after the first "+").  A second "+" is an error challenge: answer it the
 * way the mechanism wants so the server can send its tagged NO. */
static enum imap_status sasl(imap_t *m, const char *mech, const char *resp64, const char *on_error)
{
	mailimap *s = m->imap;
	mailstream_set_privacy(s->imap_stream, 0);
	int r = mailimap_send_current_tag(s);
	bool ir = (m->caps & IMAP_CAP_SASL_IR) != 0;
	char *line = ir ? xasprintf("AUTHENTICATE %s %s", mech, *resp64 ? resp64 : "=")
			: xasprintf("AUTHENTICATE %s", mech);
	if (r == MAILIMAP_NO_ERROR)
		r = send_raw(m, line);
	secret_wipe(line, strlen(line));
	free(line);
	bool sent = ir;
	for (int round = 0; r == MAILIMAP_NO_ERROR && round < 4; round++) {
		if (!mailimap_read_line(s)) {
			r = MAILIMAP_ERROR_STREAM;
			break;
		}
		const char *l = s->imap_stream_buffer->str;
		if (l[0] != '+')
			break;
		r = send_raw(m, sent ? on_error : resp64);
		sent = true;
	}
	mailstream_set_privacy(s->imap_stream, 1);
	wipe_write_buffer(m);
	if (r != MAILIMAP_NO_ERROR)
		return lib_fail(m, r, "during AUTHENTICATE");
	struct mailimap_response *resp = NULL;
	r = mailimap_parse_response(s, &resp);
	if (r != MAILIMAP_NO_ERROR)
		return lib_fail(m, r, "during AUTHENTICATE");
	int type = resp->rsp_resp_done->rsp_type == MAILIMAP_RESP_DONE_TYPE_TAGGED
			   ? resp->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type
			   : MAILIMAP_RESP_COND_STATE_BAD;
	mailimap_response_free(resp);
	if (type != MAILIMAP_RESP_COND_STATE_OK)
		return IMAP_ERR_AUTH;
	s->imap_state = MAILIMAP_STATE_AUTHENTICATED;
	return IMAP_OK;
}

enum mech { MECH_NONE, MECH_PLAIN, MECH_LOGIN, MECH_XOAUTH2, MECH_OAUTHBEARER };
static const char *const mech_names[] = { "", "PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER" };

/* imap_oauth_cmd or the built-in OAuth2 login. */
static bool has_oauth(const imap_t *m)
{
	return m->p.conn.oauth_cmd || conn_oauth_on(&m->p.conn);
}

static bool mech_usable(const imap_t *m, enum mech k)
{
	switch (k) {
	case MECH_PLAIN: return m->caps & IMAP_CAP_AUTH_PLAIN;
	/* the LOGIN command: never when the server forbids it, never in clear */
	case MECH_LOGIN: return !(m->caps & IMAP_CAP_LOGINDISABLED) && m->tls && tls_stream_is_tls(m->tls);
	case MECH_XOAUTH2: return has_oauth(m) && (m->caps & IMAP_CAP_AUTH_XOAUTH2);
	case MECH_OAUTHBEARER: return has_oauth(m) && (m->caps & IMAP_CAP_AUTH_OAUTHBEARER);
	default: return false;
	}
}

/* The first usable mechanism in imap_auth's order or ours. */
static enum imap_status choose_mech(imap_t *m, enum mech *out)
{
	enum mech order[8];
	size_t n = 0;
	if (m->p.auth) {
		char *list = xstrdup(m->p.auth), *save = NULL;
		for (char *t = strtok_r(list, " ,:", &save); t && n < ARRAY_SIZE(order); t = strtok_r(NULL, " ,:", &save)) {
			size_t k;
			for (k = 1; k < ARRAY_SIZE(mech_names); k++)
				if (strcasecmp(t, mech_names[k]) == 0)
					break;
			if (k == ARRAY_SIZE(mech_names)) {
				set_err(m, "imap_auth: unknown mechanism '%s' (use PLAIN, LOGIN, XOAUTH2, OAUTHBEARER)", t);
				free(list);
				return IMAP_ERR_CONFIG;
			}
			order[n++] = (enum mech)k;
		}
		free(list);
	} else {
		if (has_oauth(m)) {
			order[n++] = MECH_OAUTHBEARER;
			order[n++] = MECH_XOAUTH2;
		}
		order[n++] = MECH_PLAIN;
		order[n++] = MECH_LOGIN;
	}
	for (size_t i = 0; i < n; i++) {
		if (mech_usable(m, order[i])) {
			*out = order[i];
			return IMAP_OK;
		}
	}
	set_err(m, "no usable login method (server offers: %s%s)", m->cap_text ? m->cap_text : "nothing",
		m->p.auth ? "; check imap_auth" : "");
	return IMAP_ERR_AUTH;
}

/* The secret for the chosen mechanism, from the command, the config or
 * the UI, in that order; a token from the built-in OAuth2 login
 * (force_refresh: the server refused the last one). */
static enum imap_status get_secret(imap_t *m, bool oauth, bool force_refresh, char **out)
{
	char *prompt = xasprintf("Password for %s@%s: ", m->p.conn.user, m->p.conn.host), *err;
	enum conn_secret r = conn_get_secret(&m->p.conn, oauth, force_refresh, m->ask, m->ask_ud, prompt, out, &err);
	free(prompt);
	if (r == CONN_SECRET_OK)
		return IMAP_OK;
	if (r == CONN_SECRET_FAILED)
		set_err(m, "%s", err);
	else
		set_err(m, "no %s: set %s", oauth ? "OAuth token" : "password",
			oauth ? "imap_oauth_cmd" : "imap_pass_cmd or imap_pass");
	free(err);
	return IMAP_ERR_AUTH;
}

static enum imap_status auth_with(imap_t *m, enum mech k, const char *secret)
{
	const char *u = m->p.conn.user;
	size_t ul = strlen(u), sl = strlen(secret);
	if (k == MECH_LOGIN) {
		mailstream_set_privacy(m->imap->imap_stream, 0);
		int r = mailimap_login(m->imap, u, secret);
		mailstream_set_privacy(m->imap->imap_stream, 1);
		wipe_write_buffer(m);
		if (r == MAILIMAP_NO_ERROR)
			return IMAP_OK;
		if (r == MAILIMAP_ERROR_LOGIN)
			return IMAP_ERR_AUTH;
		return lib_fail(m, r, "during LOGIN");
	}
	size_t cap = ul * 2 + sl + 64;
	char *raw = xmalloc(cap);
	size_t n;
	const char *on_error = "*";
	if (k == MECH_PLAIN) {
		/* authzid NUL authcid NUL passwd */
		raw[0] = '\0';
		memcpy(raw + 1, u, ul);
		raw[1 + ul] = '\0';
		memcpy(raw + 2 + ul, secret, sl);
		n = 2 + ul + sl;
	} else if (k == MECH_XOAUTH2) {
		n = (size_t)snprintf(raw, cap, "user=%s\001auth=Bearer %s\001\001", u, secret);
		on_error = "";
	} else {
		n = (size_t)snprintf(raw, cap, "n,a=%s,\001auth=Bearer %s\001\001", u, secret);
		on_error = "AQ=="; /* RFC 7628: a lone ^A ends a failed exchange */
	}
	char *enc = encode_base64_line(raw, n);
	secret_wipe(raw, cap);
	free(raw);
	enum imap_status st = sasl(m, mech_names[k], enc, on_error);
	secret_free(&enc);
	return st;
}

/* RFC 2971 ID.  mailimap_id_basic() leaks in 1.9.4, and
 * mailimap_id_params_list_free() only releases parser-owned strings, so
 * our own list is built and freed by hand. */
static void send_id(imap_t *m)
{
	static const char *const kv[][2] = { { "name", "muttlike" }, { "version", MUTTLIKE_VERSION } };
	clist *items = clist_new();
	if (!items)
		util_oom();
	for (size_t i = 0; i < ARRAY_SIZE(kv); i++)
		clist_append(items, mailimap_id_param_new(xstrdup(kv[i][0]), xstrdup(kv[i][1])));
	struct mailimap_id_params_list *me = mailimap_id_params_list_new(items);
	struct mailimap_id_params_list *them = NULL;
	if (mailimap_id(m->imap, me, &them) == MAILIMAP_NO_ERROR && them)
		mailimap_id_params_list_free(them);
	for (clistiter *it = clist_begin(items); it; it = clist_next(it)) {
		struct mailimap_id_param *p = clist_content(it);
		free(p->idpa_name);
		free(p->idpa_value);
		free(p);
	}
	clist_free(items);
	free(me);
}

/* RFC 4978, once authenticated: everything after the OK is deflated. */
static void start_compress(imap_t *m)
{
	if (!m->p.compress || !(m->caps & IMAP_CAP_COMPRESS) || !m->tls || tls_stream_compressed(m->tls))
		return;
	int r = imap_command(m->imap, "COMPRESS DEFLATE");
	if (r == MAILIMAP_ERROR_CUSTOM_COMMAND) {
		log_info("%s: the server refused COMPRESS DEFLATE; going on uncompressed", m->hp);
		return;
	}
	if (r != MAILIMAP_NO_ERROR) {
		lib_fail(m, r, "starting compression");
		m->broken = true;
		return;
	}
	/* nothing may sit in libetpan's buffer: it would be plaintext */
	if (m->imap->imap_stream->read_buffer_len || !tls_stream_start_deflate(m->tls)) {
		set_err(m, "could not start compression with %s", m->hp);
		m->broken = true;
		return;
	}
	log_debug("%s: COMPRESS DEFLATE on", m->hp);
}

static void after_login(imap_t *m)
{
	caps_drop(m); /* the authenticated state has its own list */
	if (ask_capability(m) != IMAP_OK)
		return;
	start_compress(m);
	if (m->broken)
		return;
	if ((m->caps & IMAP_CAP_ENABLE) && (m->caps & (IMAP_CAP_CONDSTORE | IMAP_CAP_QRESYNC))) {
		struct mailimap_capability_data *want = mailimap_capability_data_new(clist_new());
		const char *name = (m->caps & IMAP_CAP_QRESYNC) ? "QRESYNC" : "CONDSTORE";
		clist_append(want->cap_list, mailimap_capability_new(MAILIMAP_CAPABILITY_NAME, NULL, xstrdup(name)));
		struct mailimap_capability_data *got = NULL;
		if (mailimap_enable(m->imap, want, &got) == MAILIMAP_NO_ERROR && got) {
			for (clistiter *it = clist_begin(got->cap_list); it; it = clist_next(it)) {
				struct mailimap_capability *c = clist_content(it);
				if (c->cap_type != MAILIMAP_CAPABILITY_NAME || !c->cap_data.cap_name)
					continue;
				if (strcasecmp(c->cap_data.cap_name, "QRESYNC") == 0)
					m->qresync = m->condstore = true;
				else if (strcasecmp(c->cap_data.cap_name, "CONDSTORE") == 0)
					m->condstore = true;
			}
		}
		if (got)
			mailimap_capability_data_free(got);
		mailimap_capability_data_free(want);
	}
	if (m->caps & IMAP_CAP_ID)
		send_id(m);
	if (m->caps & IMAP_CAP_NAMESPACE) {
		struct mailimap_namespace_data *ns = NULL;
		if (mailimap_namespace(m->imap, &ns) == MAILIMAP_NO_ERROR && ns) {
			if (ns->ns_personal && ns->ns_personal->ns_data_list) {
				clistiter *it = clist_begin(ns->ns_personal->ns_data_list);
				struct mailimap_namespace_info *info = it ? clist_content(it) : NULL;
				if (info) {
					free(m->ns_prefix);
					m->ns_prefix = xstrdup(info->ns_prefix ? info->ns_prefix : "");
					m->ns_delim = info->ns_delimiter;
				}
			}
			mailimap_namespace_data_free(ns);
		}
	}
}

enum imap_status imap_login(imap_t *m)
{
	if (!m->imap || m->broken) {
		set_err(m, "not connected");
		return IMAP_ERR_NET;
	}
	if (m->authenticated) {
		after_login(m);
		return IMAP_OK;
	}
	/* the floor: no credentials over a link that is not verified TLS,
	 * unless the user asked for plaintext */
	if (!m->p.conn.tls_none && !(m->tls && tls_stream_is_tls(m->tls))) {
		set_err(m, "refusing to send credentials without TLS");
		return IMAP_ERR_INSECURE;
	}
	if (!m->p.conn.user || !*m->p.conn.user) {
		set_err(m, "no login name: put it in imap_url (imaps://USER@host) or set imap_user");
		return IMAP_ERR_CONFIG;
	}
	enum mech k;
	enum imap_status st = choose_mech(m, &k);
	if (st != IMAP_OK)
		return st;
	char *secret = NULL;
	bool oauth = k == MECH_XOAUTH2 || k == MECH_OAUTHBEARER;
	st = get_secret(m, oauth, false, &secret);
	if (st != IMAP_OK)
		return st;
	log_debug("%s: logging in as %s with %s", m->hp, m->p.conn.user, mech_names[k]);
	st = auth_with(m, k, secret);
	secret_free(&secret);
	if (st == IMAP_ERR_AUTH && oauth && conn_oauth_on(&m->p.conn) && !m->broken) {
		/* the token was refused (expired, revoked early): once more with a fresh one */
		log_info("%s: the server refused the OAuth2 token; refreshing it once", m->hp);
		st = get_secret(m, true, true, &secret);
		if (st != IMAP_OK)
			return st;
		st = auth_with(m, k, secret);
		secret_free(&secret);
	}
	if (st == IMAP_ERR_AUTH) {
		/* one attempt only: retrying a refused password locks accounts */
		char *t = server_text(m);
		set_err(m, "login as %s failed (%s): %s", m->p.conn.user, mech_names[k], t);
		free(t);
		return st;
	}
	if (st != IMAP_OK)
		return st;
	m->authenticated = true;
	m->auth_used = mech_names[k];
	after_login(m);
	return m->broken ? lib_fail(m, MAILIMAP_ERROR_STREAM, "after login") : IMAP_OK;
}

/* ---- folders ---- */

const char *imap_special_name(enum imap_special s)
{
	static const char *const n[] = { "", "Inbox", "Sent", "Drafts", "Trash", "Junk", "Archive", "All", "Flagged" };
	return (size_t)s < ARRAY_SIZE(n) ? n[s] : "";
}

static enum imap_special special_from(const char *flag)
{
	static const struct {
		const char *f;
		enum imap_special s;
	} t[] = {
		{ "Sent", IMAP_SPECIAL_SENT },   { "Drafts", IMAP_SPECIAL_DRAFTS },   { "Trash", IMAP_SPECIAL_TRASH },
		{ "Junk", IMAP_SPECIAL_JUNK },   { "Archive", IMAP_SPECIAL_ARCHIVE }, { "All", IMAP_SPECIAL_ALL },
		{ "Flagged", IMAP_SPECIAL_FLAGGED },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		if (strcasecmp(flag, t[i].f) == 0)
			return t[i].s;
	return IMAP_SPECIAL_NONE;
}

void imap_folders_free(struct imap_folder **f, size_t n)
{
	if (!f || !*f)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*f)[i].raw);
		free((*f)[i].name);
	}
	free(*f);
	*f = NULL;
}

static void folder_from(struct imap_folder *f, const struct mailimap_mailbox_list *mb)
{
	memset(f, 0, sizeof(*f));
	f->raw = xstrdup(mb->mb_name);
	f->name = mutf7_decode(mb->mb_name);
	if (!f->name)
		f->name = xstrdup(mb->mb_name);
	f->delim = mb->mb_delimiter;
	if (strcasecmp(mb->mb_name, "INBOX") == 0)
		f->special = IMAP_SPECIAL_INBOX;
	const struct mailimap_mbx_list_flags *fl = mb->mb_flag;
	if (!fl)
		return;
	if (fl->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG && fl->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT)
		f->flags |= IMAP_FOLDER_NOSELECT;
	for (clistiter *it = fl->mbf_oflags ? clist_begin(fl->mbf_oflags) : NULL; it; it = clist_next(it)) {
		const struct mailimap_mbx_list_oflag *o = clist_content(it);
		if (o->of_type == MAILIMAP_MBX_LIST_OFLAG_NOINFERIORS) {
			f->flags |= IMAP_FOLDER_NOINFERIORS;
		} else if (o->of_flag_ext) {
			if (strcasecmp(o->of_flag_ext, "NonExistent") == 0 || strcasecmp(o->of_flag_ext, "Noselect") == 0)
				f->flags |= IMAP_FOLDER_NOSELECT;
			else if (!f->special)
				f->special = special_from(o->of_flag_ext);
		}
	}
}

void imap_status_line_clear(struct imap_status_line *st)
{
	free(st->mailbox);
	memset(st, 0, sizeof(*st));
}

/* The mailbox name after "* STATUS " (quoted, or an atom; a literal is
 * refused) into name.  Returns where it ends, or NULL. */
static const char *status_mailbox(const char *p, const char *end, struct strbuf *name)
{
	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			strbuf_addc(name, *p);
		}
		return p < end ? p + 1 : NULL;
	}
	const char *a = p;
	while (p < end && *p != ' ' && *p != '(' && *p != '{' && *p != '"')
		p++;
	if (p == a || (p < end && *p != ' '))
		return NULL; /* empty, or a literal */
	strbuf_add(name, a, (size_t)(p - a));
	return p;
}

/* A decimal number at p into *x; returns where it ends, or NULL when
 * there is none or it may not fit 64 bits. */
static const char *status_number(const char *p, const char *end, unsigned long long *x)
{
	const char *d = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p == d || p - d > 19)
		return NULL;
	*x = 0;
	for (const char *q = d; q < p; q++)
		*x = *x * 10 + (unsigned)(*q - '0');
	return p;
}

/* One status item: "KEY number" (the four counts into v[], unknown keys
 * skipped) or MAILBOXID (id).  Returns where it ends, or NULL. */
static const char *status_item(const char *p, const char *end, unsigned long long v[4], struct imap_status_line *out)
{
	static const char *const keys[4] = { "MESSAGES", "UIDNEXT", "UIDVALIDITY", "HIGHESTMODSEQ" };
	char id[IMAP_OBJECTID_MAX + 1];
	size_t used = imap_parse_mailboxid(p, (size_t)(end - p), id);
	if (used) {
		memcpy(out->mailboxid, id, sizeof(id));
		out->seen |= IMAP_STATUS_MAILBOXID;
		return p + used;
	}
	const char *k = p;
	while (p < end && *p != ' ' && *p != ')')
		p++;
	size_t kl = (size_t)(p - k);
	unsigned long long x;
	if (p >= end || *p != ' ' || kl == 0 || !(p = status_number(p + 1, end, &x)))
		return NULL;
	for (unsigned i = 0; i < 4; i++)
		if (strlen(keys[i]) == kl && strncasecmp(k, keys[i], kl) == 0) {
			if (i < 3 && x > UINT32_MAX)
				return NULL;
			v[i] = x;
			out->seen |= 1u << i;
		}
	return p;
}

/* The items after "(", space-separated, up to the closing ')'. */
static bool status_items(const char *p, const char *end, unsigned long long v[4], struct imap_status_line *out)
{
	while (p < end && *p != ')') {
		if (!(p = status_item(p, end, v, out)))
			return false;
		if (p < end && *p == ' ')
			p++;
		else if (p < end && *p != ')')
			return false;
	}
	return p < end;
}

bool imap_parse_status_line(const char *line, size_t len, struct imap_status_line *out)
{
	memset(out, 0, sizeof(*out));
	const char *end = line + len;
	if (len < 9 || strncasecmp(line, "* STATUS ", 9) != 0)
		return false;
	struct strbuf name;
	strbuf_init(&name);
	unsigned long long v[4] = { 0 };
	const char *p = status_mailbox(line + 9, end, &name);
	if (!p || end - p < 2 || p[0] != ' ' || p[1] != '(' || !status_items(p + 2, end, v, out)) {
		strbuf_free(&name);
		memset(out, 0, sizeof(*out));
		return false;
	}
	out->messages = (uint32_t)v[0];
	out->uidnext = (uint32_t)v[1];
	out->uidvalidity = (uint32_t)v[2];
	out->highestmodseq = v[3];
	out->mailbox = strbuf_detach(&name);
	return true;
}

/* Each "* STATUS" line of a LIST-STATUS response, attached to the folder
 * of the same name when all four counts came; a malformed line gives its
 * folder nothing. */
static void apply_list_status(const char *text, struct imap_folder *f, size_t n)
{
	const unsigned counts = IMAP_STATUS_MESSAGES | IMAP_STATUS_UIDNEXT | IMAP_STATUS_UIDVALIDITY |
				IMAP_STATUS_HIGHESTMODSEQ;
	for (const char *p = text; *p;) {
		const char *eol = strstr(p, "\r\n");
		const char *end = eol ? eol : p + strlen(p);
		struct imap_status_line st;
		if (imap_parse_status_line(p, (size_t)(end - p), &st) && (st.seen & counts) == counts) {
			for (size_t i = 0; i < n; i++) {
				if (f[i].raw && strcmp(f[i].raw, st.mailbox) == 0) {
					f[i].has_status = true;
					f[i].st_messages = st.messages;
					f[i].st_uidnext = st.uidnext;
					f[i].st_uidvalidity = st.uidvalidity;
					f[i].st_highestmodseq = st.highestmodseq;
				}
			}
		}
		imap_status_line_clear(&st);
		if (!eol)
			break;
		p = eol + 2;
	}
}

enum imap_status imap_list(imap_t *m, struct imap_folder **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!m->authenticated || m->broken) {
		set_err(m, "not logged in");
		return IMAP_ERR_NET;
	}
	clist *list = NULL;
	int r;
	bool special = (m->caps & IMAP_CAP_SPECIAL_USE) && (m->caps & IMAP_CAP_LIST_EXTENDED);
	/* RFC 5819: every folder's STATUS in the same round trip, so that a
	 * sync can skip the SELECT of folders that did not change.  libetpan
	 * keeps only the last STATUS response of a command, so the bytes are
	 * read again from a copy the transport keeps (capture). */
	bool status = (m->caps & IMAP_CAP_LIST_STATUS) && (m->caps & IMAP_CAP_CONDSTORE) && m->tls;
	char *captured = NULL;
	if (special || status) {
		/* RFC 6154: ask for the special-use attributes explicitly */
		/* (Not MAILBOXID: Cyrus 3.6 answers it here with bytes of
		 * memory instead of the id; STATUS gives the right one.) */
		char *cmd = imapcmd_list_return(special, status);
		if (status)
			tls_stream_capture_start(m->tls, 4u << 20);
		r = imap_command(m->imap, cmd);
		free(cmd);
		if (status)
			captured = tls_stream_capture_end(m->tls);
		if (r == MAILIMAP_NO_ERROR && m->imap->imap_response_info) {
			list = m->imap->imap_response_info->rsp_mailbox_list;
			m->imap->imap_response_info->rsp_mailbox_list = NULL;
		}
	} else {
		r = mailimap_list(m->imap, "", "*", &list);
	}
	if (r != MAILIMAP_NO_ERROR) {
		free(captured);
		if (list)
			mailimap_list_result_free(list);
		return lib_fail(m, r, "listing folders");
	}
	size_t cnt = list ? (size_t)clist_count(list) : 0;
	struct imap_folder *f = xcalloc(cnt ? cnt : 1, sizeof(*f));
	size_t i = 0;
	for (clistiter *it = list ? clist_begin(list) : NULL; it; it = clist_next(it))
		folder_from(&f[i++], clist_content(it));
	if (list)
		mailimap_list_result_free(list);
	if (captured)
		apply_list_status(captured, f, i);
	free(captured);
	*out = f;
	*n = i;
	return IMAP_OK;
}

int imap_status_ids(imap_t *m, const char *raw, uint32_t *uidvalidity, char **mailboxid)
{
	*uidvalidity = 0;
	*mailboxid = NULL;
	mailimap *mi = imap_mailimap(m);
	if (!mi)
		return MAILIMAP_ERROR_BAD_STATE;
	static const char *const both[] = { "UIDVALIDITY", "MAILBOXID" };
	char *cmd = imapcmd_status(raw, both, (m->caps & IMAP_CAP_OBJECTID) ? 2 : 1);
	int rc;
	struct mailimap_mailbox_data_status *res = NULL;
	if (cmd) {
		rc = imap_command(mi, cmd);
		free(cmd);
		if (rc == MAILIMAP_ERROR_CUSTOM_COMMAND)
			return MAILIMAP_ERROR_STATUS;
		if (rc == MAILIMAP_NO_ERROR && mi->imap_response_info) {
			res = mi->imap_response_info->rsp_status; /* libetpan keeps the last STATUS */
			mi->imap_response_info->rsp_status = NULL;
		}
	} else {
		/* A name that needs a literal: libetpan writes it (no MAILBOXID). */
		struct mailimap_status_att_list *al = mailimap_status_att_list_new_empty();
		mailimap_status_att_list_add(al, MAILIMAP_STATUS_ATT_UIDVALIDITY);
		rc = mailimap_status(mi, raw, al, &res);
		mailimap_status_att_list_free(al);
	}
	if (rc != MAILIMAP_NO_ERROR) {
		if (res)
			mailimap_mailbox_data_status_free(res);
		return rc;
	}
	for (clistiter *it = res && res->st_info_list ? clist_begin(res->st_info_list) : NULL; it;
	     it = clist_next(it)) {
		struct mailimap_status_info *si = clist_content(it);
		if (si->st_att == MAILIMAP_STATUS_ATT_UIDVALIDITY)
			*uidvalidity = si->st_value;
		else if (si->st_att == MAILIMAP_STATUS_ATT_EXTENSION && objectid_of(si->st_ext_data) && !*mailboxid)
			*mailboxid = xstrdup(objectid_of(si->st_ext_data));
	}
	if (res)
		mailimap_mailbox_data_status_free(res);
	return MAILIMAP_NO_ERROR;
}

char *imap_selected_mailboxid(imap_t *m)
{
	mailimap *mi = imap_mailimap(m);
	struct mailimap_response_info *ri = mi ? mi->imap_response_info : NULL;
	const char *id = NULL;
	for (clistiter *it = ri && ri->rsp_extension_list ? clist_begin(ri->rsp_extension_list) : NULL; it;
	     it = clist_next(it))
		if (objectid_of(clist_content(it)))
			id = objectid_of(clist_content(it));
	return id ? xstrdup(id) : NULL;
}

enum imap_status imap_status_counts(imap_t *m, const char *raw, long *messages, long *unseen)
{
	*messages = *unseen = -1;
	if (!m->authenticated || m->broken) {
		set_err(m, "not logged in");
		return IMAP_ERR_NET;
	}
	struct mailimap_status_att_list *att = mailimap_status_att_list_new_empty();
	mailimap_status_att_list_add(att, MAILIMAP_STATUS_ATT_MESSAGES);
	mailimap_status_att_list_add(att, MAILIMAP_STATUS_ATT_UNSEEN);
	struct mailimap_mailbox_data_status *res = NULL;
	int r = mailimap_status(m->imap, raw, att, &res);
	mailimap_status_att_list_free(att);
	if (r != MAILIMAP_NO_ERROR)
		return lib_fail(m, r, "asking for folder STATUS");
	for (clistiter *it = res && res->st_info_list ? clist_begin(res->st_info_list) : NULL; it;
	     it = clist_next(it)) {
		struct mailimap_status_info *si = clist_content(it);
		if (si->st_att == MAILIMAP_STATUS_ATT_MESSAGES)
			*messages = (long)si->st_value;
		else if (si->st_att == MAILIMAP_STATUS_ATT_UNSEEN)
			*unseen = (long)si->st_value;
	}
	if (res)
		mailimap_mailbox_data_status_free(res);
	return IMAP_OK;
}
