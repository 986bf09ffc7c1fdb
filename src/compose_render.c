/* compose_render.c - the final message: headers encoded and folded, the
 * text as UTF-8 (7bit or quoted-printable, optionally format=flowed),
 * attachments in base64 under multipart/mixed; Message-ID and Date;
 * MIME types of attached files; the SMTP envelope.  See compose.h. */
#include "compose_private.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "charset.h"
#include "encode.h"

extern char **environ;

/* Largest attachment read into memory when rendering. */
#define ATT_MAX_SIZE (64u * 1024 * 1024)

/* ---- ids and dates ---- */

/* A host part safe inside <...>: letters, digits, '.', '-'. */
static char *safe_host(const char *host)
{
	struct strbuf b;
	strbuf_init(&b);
	for (const char *p = host ? host : ""; *p && b.len < 200; p++)
		if (isalnum((unsigned char)*p) || *p == '.' || *p == '-')
			strbuf_addc(&b, *p);
	if (b.len == 0 || b.s[0] == '.')
		strbuf_adds(&b, "muttlike.invalid");
	return strbuf_detach(&b);
}

char *compose_new_message_id(const char *host)
{
	char rnd[33];
	util_random_hex(rnd, 12);
	char *h = safe_host(host);
	char *id = xasprintf("<%lld.%s@%s>", (long long)time(NULL), rnd, h);
	free(h);
	return id;
}

char *compose_date(time_t t)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mons[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	localtime_r(&t, &tm);
	long off = tm.tm_gmtoff / 60;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	/* names spelled out here: strftime's %a/%b follow the locale */
	return xasprintf("%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld", days[tm.tm_wday % 7], tm.tm_mday,
			 mons[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 60,
			 off % 60);
}

/* ---- MIME types ---- */

static const struct {
	const char *ext, *type;
} ext_types[] = {
	{ "txt", "text/plain" },        { "text", "text/plain" },     { "log", "text/plain" },
	{ "md", "text/markdown" },      { "csv", "text/csv" },        { "html", "text/html" },
	{ "htm", "text/html" },         { "css", "text/css" },        { "ics", "text/calendar" },
	{ "vcf", "text/vcard" },        { "c", "text/x-c" },          { "h", "text/x-c" },
	{ "py", "text/x-python" },      { "diff", "text/x-diff" },    { "patch", "text/x-diff" },
	{ "sh", "application/x-sh" },   { "json", "application/json" }, { "xml", "application/xml" },
	{ "pdf", "application/pdf" },   { "zip", "application/zip" }, { "gz", "application/gzip" },
	{ "tgz", "application/gzip" },  { "tar", "application/x-tar" }, { "bz2", "application/x-bzip2" },
	{ "xz", "application/x-xz" },   { "7z", "application/x-7z-compressed" },
	{ "rtf", "application/rtf" },   { "epub", "application/epub+zip" },
	{ "doc", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "xls", "application/vnd.ms-excel" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "png", "image/png" },         { "jpg", "image/jpeg" },      { "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },         { "webp", "image/webp" },     { "svg", "image/svg+xml" },
	{ "bmp", "image/bmp" },         { "tif", "image/tiff" },      { "tiff", "image/tiff" },
	{ "mp3", "audio/mpeg" },        { "ogg", "audio/ogg" },       { "wav", "audio/wav" },
	{ "flac", "audio/flac" },       { "mp4", "video/mp4" },       { "webm", "video/webm" },
	{ "mkv", "video/x-matroska" },  { "eml", "message/rfc822" },  { "asc", "application/pgp-keys" },
	{ "pem", "application/x-pem-file" },
};

/* `file --mime-type -b -- PATH` without a shell: the path is one argv
 * entry whatever characters it holds.  NULL when file is not there. */
static char *type_from_file_cmd(const char *path)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	char *argv[] = { (char *)"file", (char *)"--mime-type", (char *)"-b", (char *)"--", (char *)path, NULL };
	pid_t pid;
	int r = posix_spawnp(&pid, "file", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	char buf[160];
	size_t got = 0;
	if (r == 0) {
		ssize_t k;
		while (got < sizeof(buf) - 1 && (k = read(fds[0], buf + got, sizeof(buf) - 1 - got)) > 0)
			got += (size_t)k;
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			got = 0;
	}
	close(fds[0]);
	buf[got] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return got && strchr(buf, '/') && !strpbrk(buf, " ;\"") ? xstrdup(buf) : NULL;
}

char *compose_detect_type(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	if (dot && dot != base) {
		for (size_t i = 0; i < ARRAY_SIZE(ext_types); i++)
			if (strcasecmp(dot + 1, ext_types[i].ext) == 0)
				return xstrdup(ext_types[i].type);
	}
	char *t = type_from_file_cmd(path);
	if (t && strcmp(t, "inode/x-empty") == 0) {
		free(t);
		t = xstrdup("text/plain");
	}
	return t ? t : xstrdup("application/octet-stream");
}

/* ---- headers ---- */

static void add_addr_header(struct strbuf *m, const char *name, const struct addr_list *l)
{
	if (l->n == 0)
		return;
	char *v = addr_list_encode(l);
	encode_fold_header(name, v, m);
	free(v);
}

static void add_text_header(struct strbuf *m, const char *name, const char *text)
{
	struct strbuf v;
	strbuf_init(&v);
	encode_rfc2047_text(text, &v);
	encode_fold_header(name, v.s ? v.s : "", m);
	strbuf_free(&v);
}

static void add_headers(const compose_t *c, const struct compose_render_opts *o, struct strbuf *m)
{
	char *date = compose_date(o && o->date ? o->date : time(NULL));
	encode_fold_header("Date", date, m);
	free(date);
	add_addr_header(m, "From", &c->f[CF_FROM]);
	add_addr_header(m, "To", &c->f[CF_TO]);
	add_addr_header(m, "Cc", &c->f[CF_CC]);
	if (o && o->include_bcc)
		add_addr_header(m, "Bcc", &c->f[CF_BCC]);
	add_text_header(m, "Subject", c->subject);
	add_addr_header(m, "Reply-To", &c->f[CF_REPLY_TO]);
	const char *mid = o && o->message_id ? o->message_id : c->message_id;
	encode_fold_header("Message-ID", mid, m);
	if (c->in_reply_to)
		encode_fold_header("In-Reply-To", c->in_reply_to, m);
	if (c->references)
		encode_fold_header("References", c->references, m);
	if (o && o->user_agent)
		add_text_header(m, "User-Agent", o->user_agent);
	for (size_t i = 0; i < c->nextra; i++) {
		const char *colon = strchr(c->extra[i], ':');
		char *name = xstrndup(c->extra[i], (size_t)(colon - c->extra[i]));
		add_text_header(m, name, colon + 1);
		free(name);
	}
	strbuf_adds(m, "MIME-Version: 1.0\r\n");
}

/* ---- parts ---- */

/* format=flowed (RFC 3676): space-stuff lines that start with a space or
 * "From "; trailing spaces the user typed stay as soft breaks. */
static char *flowed_text(const char *body)
{
	struct strbuf b;
	strbuf_init(&b);
	const char *p = body;
	while (*p) {
		size_t len = strcspn(p, "\n");
		if (*p == ' ' || (len >= 5 && strncmp(p, "From ", 5) == 0))
			strbuf_addc(&b, ' ');
		strbuf_add(&b, p, len);
		strbuf_addc(&b, '\n');
		p += len;
		if (*p)
			p++;
	}
	return strbuf_detach(&b);
}

static void text_part(const compose_t *c, struct strbuf *m)
{
	char *text = c->flowed ? flowed_text(c->body) : xstrdup(c->body);
	size_t n = strlen(text);
	bool seven = encode_text_is_7bit(text, n);
	strbuf_addf(m, "Content-Type: text/plain; charset=utf-8%s\r\n", c->flowed ? "; format=flowed" : "");
	strbuf_addf(m, "Content-Transfer-Encoding: %s\r\n\r\n", seven ? "7bit" : "quoted-printable");
	if (seven) {
		encode_crlf(text, n, m);
		if (n && text[n - 1] != '\n')
			strbuf_adds(m, "\r\n");
	} else {
		encode_qp(text, n, m);
	}
	free(text);
}

static bool read_whole(const char *path, char **out, size_t *len, char **err)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > ATT_MAX_SIZE) {
		*err = xasprintf("%s: %s", path, !f ? strerror(errno) : "not a regular file of at most 64 MiB");
		if (f)
			fclose(f);
		return false;
	}
	*out = xmalloc((size_t)st.st_size + 1);
	*len = fread(*out, 1, (size_t)st.st_size, f);
	bool ok = !ferror(f);
	fclose(f);
	if (!ok) {
		*err = xasprintf("%s: read error", path);
		xfree(out);
	}
	return ok;
}

static void rfc822_part(const struct compose_att *a, const char *data, size_t len, struct strbuf *m)
{
	bool seven = encode_text_is_7bit(data, len);
	bool binary = memchr(data, '\0', len) != NULL;
	strbuf_adds(m, "Content-Type: message/rfc822\r\n");
	struct strbuf d;
	strbuf_init(&d);
	strbuf_adds(&d, "Content-Disposition: inline");
	encode_rfc2231_param("filename", a->name, &d);
	encode_fold_header("Content-Disposition", d.s + strlen("Content-Disposition: "), m);
	strbuf_free(&d);
	strbuf_addf(m, "Content-Transfer-Encoding: %s\r\n\r\n", seven ? "7bit" : binary ? "binary" : "8bit");
	encode_crlf(data, len, m);
	if (len && data[len - 1] != '\n')
		strbuf_adds(m, "\r\n");
}

static enum compose_status att_part(const struct compose_att *a, struct strbuf *m, char **err)
{
	char *buf = NULL;
	size_t len = a->len;
	const char *data = a->data;
	if (a->path) {
		if (!read_whole(a->path, &buf, &len, err))
			return COMPOSE_ERR_IO;
		data = buf;
	}
	if (strcasecmp(a->type, "message/rfc822") == 0) {
		rfc822_part(a, data, len, m);
		free(buf);
		return COMPOSE_OK;
	}
	struct strbuf h;
	strbuf_init(&h);
	strbuf_adds(&h, a->type);
	if (strncasecmp(a->type, "text/", 5) == 0 && charset_utf8_valid(data, len))
		strbuf_adds(&h, "; charset=utf-8");
	encode_rfc2231_param("name", a->name, &h);
	encode_fold_header("Content-Type", h.s, m);
	strbuf_reset(&h);
	strbuf_adds(&h, "attachment");
	encode_rfc2231_param("filename", a->name, &h);
	encode_fold_header("Content-Disposition", h.s, m);
	strbuf_free(&h);
	strbuf_adds(m, "Content-Transfer-Encoding: base64\r\n\r\n");
	encode_base64(data, len, m);
	free(buf);
	return COMPOSE_OK;
}

/* "=_" cannot occur in base64 or quoted-printable output, so only 7bit
 * and 8bit parts could hold the boundary by chance: check those. */
static char *new_boundary(void)
{
	char rnd[33];
	util_random_hex(rnd, 16);
	return xasprintf("=_muttlike_%s", rnd);
}

static enum compose_status multipart(const compose_t *c, struct strbuf *m, char **err)
{
	char *bnd = new_boundary();
	struct strbuf body;
	strbuf_init(&body);
	enum compose_status st = COMPOSE_OK;
	strbuf_addf(&body, "This is a multi-part message in MIME format.\r\n\r\n--%s\r\n", bnd);
	text_part(c, &body);
	for (size_t i = 0; i < c->natt && st == COMPOSE_OK; i++) {
		strbuf_addf(&body, "\r\n--%s\r\n", bnd);
		st = att_part(&c->att[i], &body, err);
	}
	strbuf_addf(&body, "\r\n--%s--\r\n", bnd);
	size_t blen = strlen(bnd), count = 0;
	for (const char *p = body.s; st == COMPOSE_OK && (p = memmem(p, body.len - (size_t)(p - body.s), bnd, blen));
	     p += blen)
		count++;
	if (st == COMPOSE_OK && count != c->natt + 2) {
		/* never in practice (128 random bits); a clear error beats a broken message */
		*err = xstrdup("MIME boundary collision; try again");
		st = COMPOSE_ERR_IO;
	}
	if (st == COMPOSE_OK) {
		strbuf_addf(m, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", bnd);
		strbuf_add(m, body.s, body.len);
	}
	strbuf_free(&body);
	free(bnd);
	return st;
}

/* ---- envelope ---- */

void compose_strv_free(char ***vp)
{
	char **v = *vp;
	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
	*vp = NULL;
}

enum compose_status compose_envelope(const compose_t *c, char **sender, char ***rcpts, char **err)
{
	*sender = NULL;
	*rcpts = NULL;
	*err = NULL;
	if (c->f[CF_FROM].n == 0) {
		*err = xstrdup("no From address (set `from` for the account)");
		return COMPOSE_ERR_INPUT;
	}
	struct addr_list all;
	addr_list_init(&all);
	addr_list_merge(&all, &c->f[CF_TO]);
	addr_list_merge(&all, &c->f[CF_CC]);
	addr_list_merge(&all, &c->f[CF_BCC]);
	if (all.n == 0) {
		addr_list_clear(&all);
		*err = xstrdup("no recipients");
		return COMPOSE_ERR_INPUT;
	}
	char **v = xcalloc(all.n + 1, sizeof(*v));
	for (size_t i = 0; i < all.n; i++)
		v[i] = xstrdup(all.v[i].mailbox);
	addr_list_clear(&all);
	*sender = xstrdup(c->f[CF_FROM].v[0].mailbox);
	*rcpts = v;
	return COMPOSE_OK;
}

/* Is there a sender and a recipient?  (Else *err.) */
static enum compose_status envelope_check(const compose_t *c, char **err)
{
	char *sender;
	char **rcpts;
	enum compose_status st = compose_envelope(c, &sender, &rcpts, err);
	if (st == COMPOSE_OK) {
		free(sender);
		compose_strv_free(&rcpts);
	}
	return st;
}

enum compose_status compose_render(const compose_t *c, const struct compose_render_opts *o, bool draft, char **out,
				   size_t *len, char **err)
{
	*out = NULL;
	*len = 0;
	*err = NULL;
	if (!draft) {
		enum compose_status st = envelope_check(c, err);
		if (st != COMPOSE_OK)
			return st;
	}
	struct strbuf m;
	strbuf_init(&m);
	add_headers(c, o, &m);
	enum compose_status st = COMPOSE_OK;
	if (c->natt == 0)
		text_part(c, &m);
	else
		st = multipart(c, &m, err);
	if (st != COMPOSE_OK) {
		strbuf_free(&m);
		return st;
	}
	*len = m.len;
	*out = strbuf_detach(&m);
	return COMPOSE_OK;
}

enum compose_status compose_render_bounce(const compose_t *c, const struct compose_render_opts *o, char **out,
					  size_t *len, char **err)
{
	*out = NULL;
	*len = 0;
	enum compose_status st = envelope_check(c, err);
	if (st != COMPOSE_OK)
		return st;
	if (!c->bounce_raw) {
		*err = xstrdup("nothing to resend");
		return COMPOSE_ERR_INPUT;
	}
	struct strbuf m;
	strbuf_init(&m);
	add_addr_header(&m, "Resent-From", &c->f[CF_FROM]);
	add_addr_header(&m, "Resent-To", &c->f[CF_TO]);
	add_addr_header(&m, "Resent-Cc", &c->f[CF_CC]);
	char *date = compose_date(o && o->date ? o->date : time(NULL));
	encode_fold_header("Resent-Date", date, &m);
	free(date);
	encode_fold_header("Resent-Message-ID", o && o->message_id ? o->message_id : c->message_id, &m);
	const char *raw = c->bounce_raw;
	size_t rl = c->bounce_len;
	if (rl > 5 && memcmp(raw, "From ", 5) == 0) { /* an mbox separator is not part of the message */
		const char *nl = memchr(raw, '\n', rl);
		size_t skip = nl ? (size_t)(nl + 1 - raw) : rl;
		raw += skip;
		rl -= skip;
	}
	encode_crlf(raw, rl, &m);
	*len = m.len;
	*out = strbuf_detach(&m);
	return COMPOSE_OK;
}
