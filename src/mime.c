/* mime.c - message parsing, the part tree, attachments; see mime.h.
 * Rendering for the pager is in mime_render.c. */
#include "mime.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "charset.h"
#include "mime_private.h"
#include "rfc2047.h"
#include "text.h"

#define COMMENT_DEPTH_MAX 32 /* libetpan recurses once per nested '(' */
#define BOUNDARY_MAX 200
#define PARAMS_MAX 256
#define RFC2231_SEGMENTS_MAX 100
#define PARAM_VALUE_MAX 8192

const char *mime_strerror(enum mime_status st)
{
	switch (st) {
	case MIME_OK:
		return "ok";
	case MIME_ERR_IO:
		return "cannot read the message file";
	case MIME_ERR_TOO_LARGE:
		return "message file too large";
	case MIME_ERR_NOT_FOUND:
		return "no such part";
	}
	return "unknown error";
}

/* ---- header fields ---- */

/* End of a line's content (before "\n" or "\r\n"), given the index after it. */
static size_t content_end(const char *s, size_t start, size_t eol)
{
	if (eol > start && s[eol - 1] == '\n')
		eol--;
	if (eol > start && s[eol - 1] == '\r')
		eol--;
	return eol;
}

/* Length of a valid field name before a ':' in line[0..n), or 0. */
size_t mime_field_name_len(const char *line, size_t n)
{
	const char *colon = memchr(line, ':', n);
	if (!colon)
		return 0;
	size_t len = (size_t)(colon - line);
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] <= 32 || (unsigned char)line[i] >= 127)
			return 0;
	return len;
}

/* Split the header of the entity s[0..len) into fields; returns where the
 * body starts.  The header ends at an empty line, or at the first line
 * that is neither a field nor a continuation (as libetpan does). */
static size_t fields_split(const char *s, size_t len, struct mime_fields *f, bool *capped)
{
	size_t i = 0, cap = 0;
	bool in_field = false;
	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t eol = nl ? (size_t)(nl - s) + 1 : len;
		size_t end = content_end(s, i, eol);
		if (end == i)
			return eol; /* the empty line */
		if (s[i] == ' ' || s[i] == '\t') {
			if (in_field)
				f->v[f->n - 1].value_len = end - (size_t)(f->v[f->n - 1].value - s);
			i = eol;
			continue;
		}
		size_t name_len = mime_field_name_len(s + i, end - i);
		if (name_len == 0) {
			if (i == 0 && end - i >= 5 && memcmp(s, "From ", 5) == 0) {
				i = eol; /* an mbox separator line */
				continue;
			}
			return i;
		}
		in_field = f->n < MIME_MAX_HEADERS;
		if (!in_field) {
			*capped = true;
			i = eol;
			continue;
		}
		if (f->n == cap) {
			cap = cap ? cap * 2 : 16;
			f->v = xreallocarray(f->v, cap, sizeof(*f->v));
		}
		const char *value = (const char *)memchr(s + i, ':', end - i) + 1;
		f->v[f->n++] = (struct mime_field){ s + i, name_len, value, (size_t)(s + end - value) };
		i = eol;
	}
	return len;
}

const struct mime_field *mime_fields_find(const struct mime_fields *f, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].name_len == n && strncasecmp(f->v[i].name, name, n) == 0)
			return &f->v[i];
	return NULL;
}

/* Tabs and line breaks become blanks; leading and trailing blanks go. */
static char *one_line(struct strbuf *b)
{
	size_t start = 0, end = b->len;
	for (size_t i = 0; i < b->len; i++)
		if (b->s[i] == '\t' || b->s[i] == '\r' || b->s[i] == '\n')
			b->s[i] = ' ';
	while (start < end && b->s[start] == ' ')
		start++;
	while (end > start && b->s[end - 1] == ' ')
		end--;
	return text_sanitize(b->s ? b->s + start : "", end - start, false);
}

char *mime_field_display(const struct mime_field *fld, bool rfc2047)
{
	struct strbuf b;
	strbuf_init(&b);
	if (rfc2047) {
		rfc2047_decode(fld->value, fld->value_len, &b);
	} else {
		struct strbuf raw;
		strbuf_init(&raw);
		bool cut = fld->value_len > RFC2047_MAX_INPUT;
		rfc2047_unfold(fld->value, cut ? RFC2047_MAX_INPUT : fld->value_len, &raw);
		charset_raw_to_utf8(raw.s ? raw.s : "", raw.len, &b);
		if (cut)
			strbuf_adds(&b, " [header truncated]");
		strbuf_free(&raw);
	}
	char *s = one_line(&b);
	strbuf_free(&b);
	return s;
}

/* libetpan's comment parser recurses once per nested '('.  Counted so that
 * the count is never below libetpan's depth: every '(' opens (even an
 * escaped one), a ')' closes unless a backslash escapes it. */
static bool comments_shallow(const char *s, size_t len)
{
	int depth = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len) {
			i++;
			if (s[i] != '(')
				continue;
		}
		if (s[i] == '(' && ++depth > COMMENT_DEPTH_MAX)
			return false;
		if (s[i] == ')' && depth > 0)
			depth--;
	}
	return true;
}

/* The field's value unfolded into b (never NULL after this), if it is safe
 * to hand to a libetpan parser. */
static bool value_for_parser(const struct mime_field *f, struct strbuf *b)
{
	strbuf_adds(b, "");
	if (!f || f->value_len > RFC2047_MAX_INPUT)
		return false;
	size_t skip = 0;
	while (skip < f->value_len && (f->value[skip] == ' ' || f->value[skip] == '\t'))
		skip++;
	rfc2047_unfold(f->value + skip, f->value_len - skip, b);
	return comments_shallow(b->s, b->len);
}

/* ---- parameters (Content-Type and Content-Disposition), RFC 2231 ---- */

struct params {
	const char *name[PARAMS_MAX]; /* foreign: libetpan's strings */
	const char *value[PARAMS_MAX];
	size_t n;
};

static void params_add(struct params *ps, const char *name, const char *value)
{
	if (ps->n < PARAMS_MAX && name && value) {
		ps->name[ps->n] = name;
		ps->value[ps->n++] = value;
	}
}

static const char *params_get(const struct params *ps, const char *name)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcasecmp(ps->name[i], name) == 0)
			return ps->value[i];
	return NULL;
}

static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : isxdigit((unsigned char)c) ? tolower((unsigned char)c) - 'a' + 10 : -1;
}

static void pct_decode(const char *s, struct strbuf *b)
{
	for (; *s; s++) {
		int h, l;
		if (s[0] == '%' && (h = hexval(s[1])) >= 0 && (l = hexval(s[2])) >= 0) {
			strbuf_addc(b, (char)(h * 16 + l));
			s += 2;
		} else {
			strbuf_addc(b, *s);
		}
	}
}

/* An extended value charset'language'%XX...: charset into *charset. */
static void ext_first(const char *v, struct strbuf *bytes, char **charset)
{
	const char *q1 = strchr(v, '\'');
	const char *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
	if (!q2) {
		pct_decode(v, bytes);
		return;
	}
	*charset = xstrndup(v, (size_t)(q1 - v));
	pct_decode(q2 + 1, bytes);
}

/* RFC 2231: name*=..., or name*0[*]=..., name*1[*]=... (in order, until one
 * is missing).  Returns decoded UTF-8 (not sanitized) or NULL. */
static char *params_rfc2231(const struct params *ps, const char *name)
{
	struct strbuf bytes;
	char *charset = NULL;
	char key[64];
	bool any = false;
	strbuf_init(&bytes);
	snprintf(key, sizeof(key), "%s*", name);
	const char *v = params_get(ps, key);
	if (v) {
		ext_first(v, &bytes, &charset);
		any = true;
	}
	for (int k = 0; !v && k < RFC2231_SEGMENTS_MAX && bytes.len < PARAM_VALUE_MAX; k++) {
		snprintf(key, sizeof(key), "%s*%d*", name, k);
		const char *seg = params_get(ps, key);
		if (seg && k == 0)
			ext_first(seg, &bytes, &charset);
		else if (seg)
			pct_decode(seg, &bytes);
		snprintf(key, sizeof(key), "%s*%d", name, k);
		const char *plain = seg ? NULL : params_get(ps, key);
		if (plain)
			strbuf_adds(&bytes, plain);
		if (!seg && !plain)
			break;
		any = true;
	}
	char *res = NULL;
	if (any) {
		struct strbuf u;
		strbuf_init(&u);
		strbuf_adds(&u, "");
		charset_to_utf8(charset, bytes.s ? bytes.s : "", bytes.len, &u);
		res = strbuf_detach(&u);
	}
	free(charset);
	strbuf_free(&bytes);
	return res;
}

/* A file name parameter: RFC 2231 first, then a plain value (which some
 * mailers fill with RFC 2047 encoded words). */
static char *params_filename(const struct params *ps, const char *name)
{
	char *s = params_rfc2231(ps, name);
	const char *plain = s ? NULL : params_get(ps, name);
	if (plain) {
		struct strbuf b;
		strbuf_init(&b);
		rfc2047_decode(plain, strlen(plain), &b);
		s = strbuf_detach(&b);
	}
	if (!s)
		return NULL;
	struct strbuf b = { s, strlen(s), strlen(s) + 1 };
	char *line = one_line(&b);
	free(s);
	if (*line == '\0')
		xfree(&line); /* filename="" is no name */
	return line;
}

/* ---- Content-Type, -Disposition, -Transfer-Encoding ---- */

static const char *discrete_name(const struct mailmime_discrete_type *t)
{
	switch (t->dt_type) {
	case MAILMIME_DISCRETE_TYPE_TEXT:
		return "text";
	case MAILMIME_DISCRETE_TYPE_IMAGE:
		return "image";
	case MAILMIME_DISCRETE_TYPE_AUDIO:
		return "audio";
	case MAILMIME_DISCRETE_TYPE_VIDEO:
		return "video";
	case MAILMIME_DISCRETE_TYPE_EXTENSION:
		return t->dt_extension ? t->dt_extension : "application";
	}
	return "application";
}

static const char *major_name(const struct mailmime_type *t)
{
	if (t->tp_type == MAILMIME_TYPE_DISCRETE_TYPE)
		return discrete_name(t->tp_data.tp_discrete_type);
	const struct mailmime_composite_type *c = t->tp_data.tp_composite_type;
	if (c->ct_type == MAILMIME_COMPOSITE_TYPE_MESSAGE)
		return "message";
	if (c->ct_type == MAILMIME_COMPOSITE_TYPE_MULTIPART)
		return "multipart";
	return c->ct_token ? c->ct_token : "application";
}

/* "major/minor", lowercase, [a-z0-9.+_-] only: RFC 2045 tokens also allow
 * $ ` ' | & and friends, which no real type uses and which a mailcap
 * command template should never see. */
static char *type_string(const char *major, const char *minor)
{
	char *s = xasprintf("%.64s/%.64s", major, minor ? minor : "octet-stream");
	char *slash = strchr(s, '/');
	for (char *p = s; *p; p++) {
		*p = (char)tolower((unsigned char)*p);
		if (p != slash && !isalnum((unsigned char)*p) && !strchr(".+_-", *p))
			*p = '_';
	}
	return s;
}

static void part_content_type(struct mime_part *p, bool digest_child, struct params *ps,
			      struct mailmime_content **ct)
{
	struct strbuf v;
	strbuf_init(&v);
	size_t idx = 0;
	if (value_for_parser(mime_fields_find(&p->fields, "content-type"), &v) &&
	    mailmime_content_parse(v.s, v.len, &idx, ct) == MAILIMF_NO_ERROR) {
		p->type = type_string(major_name((*ct)->ct_type), (*ct)->ct_subtype);
		for (clistiter *it = clist_begin((*ct)->ct_parameters); it; it = clist_next(it)) {
			struct mailmime_parameter *pa = clist_content(it);
			params_add(ps, pa->pa_name, pa->pa_value);
		}
	} else {
		*ct = NULL;
		p->type = xstrdup(digest_child ? "message/rfc822" : "text/plain");
	}
	strbuf_free(&v);
}

static void part_disposition(struct mime_part *p, struct params *ps, struct mailmime_disposition **dsp)
{
	struct strbuf v;
	strbuf_init(&v);
	size_t idx = 0;
	*dsp = NULL;
	if (value_for_parser(mime_fields_find(&p->fields, "content-disposition"), &v) &&
	    mailmime_disposition_parse(v.s, v.len, &idx, dsp) == MAILIMF_NO_ERROR) {
		p->attachment = (*dsp)->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT;
		for (clistiter *it = clist_begin((*dsp)->dsp_parms); it; it = clist_next(it)) {
			struct mailmime_disposition_parm *pa = clist_content(it);
			if (pa->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME)
				params_add(ps, "filename", pa->pa_data.pa_filename);
			else if (pa->pa_type == MAILMIME_DISPOSITION_PARM_PARAMETER)
				params_add(ps, pa->pa_data.pa_parameter->pa_name, pa->pa_data.pa_parameter->pa_value);
		}
	}
	strbuf_free(&v);
}

static int part_encoding(const struct mime_part *p)
{
	struct strbuf v;
	strbuf_init(&v);
	size_t idx = 0;
	struct mailmime_mechanism *mech = NULL;
	int enc = MAILMIME_MECHANISM_8BIT;
	if (value_for_parser(mime_fields_find(&p->fields, "content-transfer-encoding"), &v) &&
	    mailmime_encoding_parse(v.s, v.len, &idx, &mech) == MAILIMF_NO_ERROR) {
		enc = mech->enc_type;
		mailmime_mechanism_free(mech);
	}
	strbuf_free(&v);
	return enc;
}

static bool boundary_ok(const char *b)
{
	size_t n = b ? strlen(b) : 0;
	return n > 0 && n <= BOUNDARY_MAX && !strpbrk(b, "\r\n");
}

static char *param_dup(const struct params *ps, const char *name)
{
	const char *v = params_get(ps, name);
	return v ? xstrdup(v) : NULL;
}

/* Keep the raw parameters for mime_part_param() (mailcap's %{name}). */
static void params_keep(struct mime_part *p, const struct params *ps)
{
	p->params = xcalloc(2 * ps->n + 1, sizeof(char *));
	for (size_t i = 0; i < ps->n; i++) {
		p->params[2 * i] = xstrdup(ps->name[i]);
		p->params[2 * i + 1] = xstrdup(ps->value[i]);
	}
	p->nparams = ps->n;
}

static void part_kind(struct mime_part *p)
{
	p->kind = BODY_LEAF;
	if (strncmp(p->type, "multipart/", 10) == 0 && boundary_ok(p->boundary))
		p->kind = BODY_MULTIPART;
	else if ((strcmp(p->type, "message/rfc822") == 0 || strcmp(p->type, "message/global") == 0) &&
		 p->encoding != MAILMIME_MECHANISM_BASE64 && p->encoding != MAILMIME_MECHANISM_QUOTED_PRINTABLE)
		p->kind = BODY_MESSAGE;
}

void mime_part_headers(struct mime_part *p, bool digest_child)
{
	struct params psb = { .n = 0 }, *ps = &psb; /* gone before entity_parse recurses */
	struct mailmime_content *ct;
	struct mailmime_disposition *dsp;
	part_content_type(p, digest_child, ps, &ct);
	part_disposition(p, ps, &dsp);
	p->encoding = part_encoding(p);
	p->charset = param_dup(ps, "charset");
	p->boundary = param_dup(ps, "boundary");
	const char *fmt = params_get(ps, "format"), *delsp = params_get(ps, "delsp");
	p->flowed = fmt && strcasecmp(fmt, "flowed") == 0;
	p->delsp = delsp && strcasecmp(delsp, "yes") == 0;
	p->filename = params_filename(ps, "filename");
	if (!p->filename)
		p->filename = params_filename(ps, "name");
	params_keep(p, ps);
	part_kind(p);
	if (ct)
		mailmime_content_free(ct);
	if (dsp)
		mailmime_disposition_free(dsp);
}

/* ---- decoding and sizes ---- */

static size_t base64_size(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '/')
			n++;
	return n / 4 * 3 + (n % 4 > 1 ? n % 4 - 1 : 0);
}

static bool needs_decoding(int enc)
{
	return enc == MAILMIME_MECHANISM_BASE64 || enc == MAILMIME_MECHANISM_QUOTED_PRINTABLE;
}

enum mime_status mime_part_decode(const mime_part_t *p, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (!p)
		return MIME_ERR_NOT_FOUND;
	char *res = NULL;
	size_t rlen = 0, idx = 0;
	bool decoded = needs_decoding(p->encoding) && p->body_len > 0 &&
		       mailmime_part_parse(p->body, p->body_len, &idx, p->encoding, &res, &rlen) == MAILIMF_NO_ERROR;
	const char *src = decoded ? res : p->body;
	*len = decoded ? rlen : p->body_len;
	*out = xmalloc(*len + 1); /* the body may hold NUL bytes: no strndup */
	if (*len)
		memcpy(*out, src, *len);
	(*out)[*len] = '\0';
	if (decoded)
		mailmime_decoded_part_free(res);
	return MIME_OK;
}

static size_t part_size(const struct mime_part *p)
{
	if (p->encoding == MAILMIME_MECHANISM_BASE64)
		return base64_size(p->body, p->body_len);
	if (p->encoding != MAILMIME_MECHANISM_QUOTED_PRINTABLE)
		return p->body_len;
	char *d;
	size_t n;
	mime_part_decode(p, &d, &n);
	free(d);
	return n;
}

/* ---- the part tree ---- */

static struct mime_part *part_new(mime_msg_t *m, struct mime_part *parent)
{
	struct mime_part *p = xcalloc(1, sizeof(*p));
	p->msg = m;
	p->parent = parent;
	p->depth = parent ? parent->depth + 1 : 0;
	p->number = ++m->nparts;
	if (parent) {
		if (parent->last)
			parent->last->next = p;
		else
			parent->child = p;
		parent->last = p;
	}
	return p;
}

static void entity_parse(mime_msg_t *m, struct mime_part *p, const char *s, size_t len, bool digest_child);

/* A child entity s[0..len) of p; false when the part cap stops the walk. */
static bool add_child(mime_msg_t *m, struct mime_part *p, const char *s, size_t len, bool digest_child)
{
	if (m->nparts >= MIME_MAX_PARTS) {
		p->cut = MIME_CUT_PARTS;
		m->limits |= MIME_LIMIT_PARTS;
		return false;
	}
	entity_parse(m, part_new(m, p), s, len, digest_child);
	return true;
}

/* Is line[0..n) "--boundary" or "--boundary--", maybe with trailing blanks? */
bool mime_delimiter(const char *line, size_t n, const char *b, size_t bl, bool *close)
{
	if (n < 2 + bl || line[0] != '-' || line[1] != '-' || memcmp(line + 2, b, bl) != 0)
		return false;
	size_t i = 2 + bl;
	*close = n - i >= 2 && line[i] == '-' && line[i + 1] == '-';
	if (*close)
		i += 2;
	while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n'))
		i++;
	return i == n;
}

/* Split a multipart body at its delimiter lines, in one pass.  A missing
 * close delimiter ends the last part at the end of the body. */
static void multipart_parse(mime_msg_t *m, struct mime_part *p)
{
	const char *s = p->body;
	size_t len = p->body_len, bl = strlen(p->boundary), i = 0;
	bool digest = strcmp(p->type, "multipart/digest") == 0, have = false, close;
	size_t part_start = 0;
	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t eol = nl ? (size_t)(nl - s) + 1 : len;
		if (mime_delimiter(s + i, eol - i, p->boundary, bl, &close)) {
			if (have && !add_child(m, p, s + part_start, content_end(s, part_start, i) - part_start, digest))
				return;
			if (close)
				return;
			have = true;
			part_start = eol;
		}
		i = eol;
	}
	if (have)
		add_child(m, p, s + part_start, len - part_start, digest);
}

static void entity_parse(mime_msg_t *m, struct mime_part *p, const char *s, size_t len, bool digest_child)
{
	bool capped = false;
	size_t off = fields_split(s, len, &p->fields, &capped);
	if (capped)
		m->limits |= MIME_LIMIT_HEADERS;
	p->body = s + off;
	p->body_len = len - off;
	mime_part_headers(p, digest_child);
	p->size = part_size(p);
	if (p->kind != BODY_LEAF && p->depth >= MIME_MAX_DEPTH) {
		p->cut = MIME_CUT_DEPTH;
		m->limits |= MIME_LIMIT_DEPTH;
	} else if (p->kind == BODY_MESSAGE) {
		add_child(m, p, p->body, p->body_len, false);
	} else if (p->kind == BODY_MULTIPART) {
		multipart_parse(m, p);
	}
}

/* ---- top-level headers, addresses, date ---- */

static const char *const header_names[MIME_H_COUNT] = {
	[MIME_H_SUBJECT] = "subject",       [MIME_H_FROM] = "from",
	[MIME_H_TO] = "to",                 [MIME_H_CC] = "cc",
	[MIME_H_DATE] = "date",             [MIME_H_MESSAGE_ID] = "message-id",
	[MIME_H_IN_REPLY_TO] = "in-reply-to", [MIME_H_REFERENCES] = "references",
	[MIME_H_LIST_ID] = "list-id",       [MIME_H_LIST_POST] = "list-post",
	[MIME_H_REPLY_TO] = "reply-to",
};

static bool is_address_header(enum mime_header h)
{
	return h == MIME_H_FROM || h == MIME_H_TO || h == MIME_H_CC || h == MIME_H_REPLY_TO;
}

static bool is_msgid_header(enum mime_header h)
{
	return h == MIME_H_MESSAGE_ID || h == MIME_H_IN_REPLY_TO || h == MIME_H_REFERENCES;
}

static char *display_string(const char *raw)
{
	struct strbuf b;
	strbuf_init(&b);
	rfc2047_decode(raw ? raw : "", raw ? strlen(raw) : 0, &b);
	char *s = one_line(&b);
	strbuf_free(&b);
	return s;
}

static bool addr_add(struct mime_addrlist *l, size_t *cap, const struct mailimf_mailbox *mb)
{
	if (l->n >= MIME_MAX_ADDRS) {
		l->truncated = true;
		return false;
	}
	if (l->n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		l->v = xreallocarray((void *)l->v, *cap, sizeof(*l->v));
	}
	struct mime_addr *a = (struct mime_addr *)&l->v[l->n++];
	a->name = display_string(mb ? mb->mb_display_name : NULL);
	a->mailbox = display_string(mb ? mb->mb_addr_spec : NULL);
	return true;
}

static void addrs_from_list(const struct mailimf_address_list *al, struct mime_addrlist *l)
{
	size_t cap = 0;
	for (clistiter *it = clist_begin(al->ad_list); it; it = clist_next(it)) {
		const struct mailimf_address *a = clist_content(it);
		if (a->ad_type == MAILIMF_ADDRESS_MAILBOX) {
			if (!addr_add(l, &cap, a->ad_data.ad_mailbox))
				return;
			continue;
		}
		const struct mailimf_mailbox_list *ml = a->ad_data.ad_group ? a->ad_data.ad_group->grp_mb_list : NULL;
		for (clistiter *j = ml ? clist_begin(ml->mb_list) : NULL; j; j = clist_next(j))
			if (!addr_add(l, &cap, clist_content(j)))
				return;
	}
}

static void addrs_parse(const struct mime_field *f, struct mime_addrlist *l)
{
	struct strbuf raw, v;
	strbuf_init(&raw);
	strbuf_init(&v);
	size_t n = f->value_len;
	if (n > RFC2047_MAX_INPUT) {
		const char *comma = NULL;
		for (size_t i = RFC2047_MAX_INPUT; i > 0 && !comma; i--)
			comma = f->value[i - 1] == ',' ? f->value + i - 1 : NULL;
		n = comma ? (size_t)(comma - f->value) : RFC2047_MAX_INPUT;
		l->truncated = true;
	}
	rfc2047_unfold(f->value, n, &raw);
	charset_raw_to_utf8(raw.s ? raw.s : "", raw.len, &v); /* RFC 6532 UTF-8 names */
	strbuf_adds(&v, "");
	struct mailimf_address_list *al = NULL;
	size_t idx = 0;
	if (comments_shallow(v.s, v.len) && mailimf_address_list_parse(v.s, v.len, &idx, &al) == MAILIMF_NO_ERROR) {
		addrs_from_list(al, l);
		mailimf_address_list_free(al);
	} else {
		l->unparsed = true;
	}
	strbuf_free(&raw);
	strbuf_free(&v);
}

static void top_headers(mime_msg_t *m)
{
	for (int h = 0; h < MIME_H_COUNT; h++) {
		const struct mime_field *f = mime_fields_find(&m->root->fields, header_names[h]);
		if (!f)
			continue;
		m->hdr[h] = mime_field_display(f, !is_msgid_header((enum mime_header)h));
		if (is_address_header((enum mime_header)h))
			addrs_parse(f, &m->addrs[h]);
	}
}

bool mime_msg_date(const mime_msg_t *m, time_t *out)
{
	struct strbuf v;
	strbuf_init(&v);
	struct mailimf_date_time *dt = NULL;
	size_t idx = 0;
	bool ok = false;
	if (value_for_parser(mime_fields_find(&m->root->fields, "date"), &v) &&
	    mailimf_date_time_parse(v.s, v.len, &idx, &dt) == MAILIMF_NO_ERROR) {
		struct tm tm = { .tm_year = dt->dt_year - 1900, .tm_mon = dt->dt_month - 1, .tm_mday = dt->dt_day,
				 .tm_hour = dt->dt_hour, .tm_min = dt->dt_min, .tm_sec = dt->dt_sec };
		int z = dt->dt_zone < 0 ? -dt->dt_zone : dt->dt_zone;
		ok = dt->dt_year >= 1900 && dt->dt_year <= 9999 && dt->dt_month >= 1 && dt->dt_month <= 12 &&
		     dt->dt_day >= 1 && dt->dt_day <= 31 && dt->dt_hour >= 0 && dt->dt_hour <= 23 &&
		     dt->dt_min >= 0 && dt->dt_min <= 59 && dt->dt_sec >= 0 && dt->dt_sec <= 60 && z <= 2400;
		if (ok) {
			long off = (z / 100) * 3600L + (z % 100) * 60L;
			*out = timegm(&tm) - (dt->dt_zone < 0 ? -off : off);
		}
		mailimf_date_time_free(dt);
	}
	strbuf_free(&v);
	return ok;
}

/* ---- attachments ---- */

static bool in_attachment_list(const struct mime_part *p)
{
	return p->kind != BODY_MULTIPART || p->cut == MIME_CUT_DEPTH;
}

static enum mime_walk_ret collect_attachment(const mime_part_t *cp, void *ud)
{
	mime_msg_t *m = ud;
	struct mime_part *p = (struct mime_part *)cp;
	if (!in_attachment_list(p))
		return MIME_WALK_CONTINUE;
	if ((m->natt & (m->natt - 1)) == 0) /* grow at powers of two */
		m->att = xreallocarray(m->att, m->natt ? 2 * m->natt : 1, sizeof(*m->att));
	p->attach_index = m->natt + 1;
	m->att[m->natt++] = (struct mime_attachment){ p->attach_index, p, p->type, p->filename, p->size, p->depth };
	return MIME_WALK_CONTINUE;
}

size_t mime_msg_attachment_count(const mime_msg_t *m)
{
	return m->natt;
}

const struct mime_attachment *mime_msg_attachment(const mime_msg_t *m, size_t i)
{
	return i < m->natt ? &m->att[i] : NULL;
}

/* ---- parse and free ---- */

enum mime_status mime_msg_parse(const char *data, size_t len, mime_msg_t **out)
{
	mime_msg_t *m = xcalloc(1, sizeof(*m));
	m->data = xmalloc(len + 1);
	if (len)
		memcpy(m->data, data, len);
	m->data[len] = '\0';
	m->len = len;
	m->root = part_new(m, NULL);
	entity_parse(m, m->root, m->data, m->len, false);
	top_headers(m);
	mime_walk(m, collect_attachment, m);
	*out = m;
	return MIME_OK;
}

enum mime_status mime_msg_parse_file(const char *path, mime_msg_t **out)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0)
		return MIME_ERR_IO;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int err = errno;
		if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
			err = EINVAL;
		close(fd);
		errno = err;
		return MIME_ERR_IO;
	}
	if ((unsigned long long)st.st_size > MIME_MAX_FILE) {
		close(fd);
		return MIME_ERR_TOO_LARGE;
	}
	size_t size = (size_t)st.st_size, got = 0;
	char *buf = xmalloc(size + 1);
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break; /* a file that shrank: parse what is there */
		got += (size_t)r;
	}
	close(fd);
	enum mime_status stt = mime_msg_parse(buf, got, out);
	free(buf);
	return stt;
}

void mime_part_headers_clear(struct mime_part *p)
{
	xfree(&p->type);
	xfree(&p->charset);
	xfree(&p->boundary);
	xfree(&p->filename);
	for (size_t i = 0; i < 2 * p->nparams; i++)
		free(p->params[i]);
	xfree(&p->params);
	p->nparams = 0;
}

/* Free a subtree without deep recursion on sibling chains. */
static void part_free(struct mime_part *p)
{
	while (p) {
		struct mime_part *next = p->next;
		part_free(p->child); /* depth is capped at MIME_MAX_DEPTH + 1 */
		free(p->fields.v);
		mime_part_headers_clear(p);
		free(p);
		p = next;
	}
}

void mime_msg_free(mime_msg_t **mp)
{
	mime_msg_t *m = *mp;
	if (!m)
		return;
	part_free(m->root);
	for (int h = 0; h < MIME_H_COUNT; h++) {
		free(m->hdr[h]);
		for (size_t i = 0; i < m->addrs[h].n; i++) {
			free((char *)m->addrs[h].v[i].name);
			free((char *)m->addrs[h].v[i].mailbox);
		}
		free((void *)m->addrs[h].v);
	}
	for (size_t i = 0; i < 2 * m->nnamed; i++)
		free(m->named[i]);
	free(m->named);
	free(m->att);
	free(m->data);
	free(m);
	*mp = NULL;
}

unsigned mime_msg_limits(const mime_msg_t *m)
{
	return m->limits;
}

/* ---- accessors ---- */

const char *mime_msg_header(const mime_msg_t *m, enum mime_header h)
{
	return (unsigned)h < MIME_H_COUNT ? m->hdr[h] : NULL;
}

const char *mime_msg_header_named(mime_msg_t *m, const char *name)
{
	for (size_t i = 0; i < m->nnamed; i++)
		if (strcasecmp(m->named[2 * i], name) == 0)
			return m->named[2 * i + 1];
	const struct mime_field *f = mime_fields_find(&m->root->fields, name);
	if (!f)
		return NULL;
	m->named = xreallocarray(m->named, 2 * (m->nnamed + 1), sizeof(*m->named));
	m->named[2 * m->nnamed] = xstrdup(name);
	bool msgid = strcasecmp(name, "message-id") == 0 || strcasecmp(name, "in-reply-to") == 0 ||
		     strcasecmp(name, "references") == 0;
	m->named[2 * m->nnamed + 1] = mime_field_display(f, !msgid);
	return m->named[2 * m->nnamed++ + 1];
}

const struct mime_addrlist *mime_msg_addrs(const mime_msg_t *m, enum mime_header h)
{
	static const struct mime_addrlist empty;
	return (unsigned)h < MIME_H_COUNT ? &m->addrs[h] : &empty;
}

const mime_part_t *mime_msg_root(const mime_msg_t *m)
{
	return m->root;
}

const char *mime_part_type(const mime_part_t *p)
{
	return p->type;
}

const char *mime_part_charset(const mime_part_t *p)
{
	return p->charset;
}

const char *mime_part_filename(const mime_part_t *p)
{
	return p->filename;
}

size_t mime_part_size(const mime_part_t *p)
{
	return p->size;
}

int mime_part_depth(const mime_part_t *p)
{
	return p->depth;
}

size_t mime_part_number(const mime_part_t *p)
{
	return p->number;
}

bool mime_part_is_attachment_disposition(const mime_part_t *p)
{
	return p->attachment;
}

enum mime_limit_kind mime_part_cut(const mime_part_t *p)
{
	return p->cut;
}

const mime_part_t *mime_part_first_child(const mime_part_t *p)
{
	return p->child;
}

const mime_part_t *mime_part_next(const mime_part_t *p)
{
	return p->next;
}

/* Recursion is bounded by MIME_MAX_DEPTH. */
static bool walk(const struct mime_part *p, mime_walk_fn fn, void *ud)
{
	for (; p; p = p->next) {
		enum mime_walk_ret r = fn(p, ud);
		if (r == MIME_WALK_STOP)
			return false;
		if (r == MIME_WALK_CONTINUE && !walk(p->child, fn, ud))
			return false;
	}
	return true;
}

void mime_walk(const mime_msg_t *m, mime_walk_fn fn, void *ud)
{
	walk(m->root, fn, ud);
}

/* ---- safe file names ---- */

static bool safe_ascii(unsigned char c)
{
	return isalnum(c) || strchr(" ._+,=@%()-", c) != NULL;
}

/* Append the name with unsafe characters replaced by '_'. */
static void safe_chars(const char *s, struct strbuf *b)
{
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
		if (c < 0x80) {
			strbuf_addc(b, safe_ascii(c) ? (char)c : '_');
			i++;
			continue;
		}
		if (n == 1 || n > len - i || !charset_utf8_valid(s + i, n)) {
			strbuf_addc(b, '_');
			i++;
			continue;
		}
		unsigned cp = n == 2 ? (c & 0x1Fu) : n == 3 ? (c & 0x0Fu) : (c & 0x07u);
		for (size_t k = 1; k < n; k++)
			cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3Fu);
		if (text_is_dangerous(cp) || cp == 0xFFFD)
			strbuf_addc(b, '_');
		else
			strbuf_add(b, s + i, n);
		i += n;
	}
}

/* Cut b to max bytes on a UTF-8 boundary, keeping a short extension. */
static void cut_name(struct strbuf *b, size_t max)
{
	if (b->len <= max)
		return;
	const char *dot = strrchr(b->s, '.');
	size_t ext = dot && b->len - (size_t)(dot - b->s) <= 16 ? b->len - (size_t)(dot - b->s) : 0;
	size_t keep = max - ext;
	while (keep > 0 && ((unsigned char)b->s[keep] & 0xC0) == 0x80)
		keep--;
	memmove(b->s + keep, b->s + b->len - ext, ext);
	b->len = keep + ext;
	b->s[b->len] = '\0';
}

const char *mime_part_param(const mime_part_t *p, const char *name)
{
	for (size_t i = 0; i < p->nparams; i++)
		if (strcasecmp(p->params[2 * i], name) == 0)
			return p->params[2 * i + 1];
	return NULL;
}

static bool alnum_ascii(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

char *mime_temp_name(const char *name)
{
	char stem[2 * MIME_TEMP_STEM_BYTES + 1];
	util_random_hex(stem, MIME_TEMP_STEM_BYTES);
	const char *dot = name ? strrchr(name, '.') : NULL;
	size_t n = dot ? strlen(dot + 1) : 0;
	bool ext_ok = n >= 1 && n <= 8;
	for (size_t i = 0; ext_ok && i < n; i++)
		ext_ok = alnum_ascii((unsigned char)dot[1 + i]);
	return ext_ok ? xasprintf("%s.%s", stem, dot + 1) : xstrdup(stem);
}

char *mime_mailcap_sanitize(const char *value)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, "");
	for (const char *s = value ? value : ""; *s && b.len < MIME_MAILCAP_PARAM_MAX; s++) {
		unsigned char c = (unsigned char)*s;
		bool keep = alnum_ascii(c) || (strchr("+,-.:=@_", c) && (c != '-' || b.len > 0));
		strbuf_addc(&b, keep ? (char)c : '_');
	}
	return strbuf_detach(&b);
}

char *mime_safe_filename(const char *name, size_t n)
{
	const char *base = name ? name : "";
	for (const char *p = base; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	base += strspn(base, " \t");
	if (base[strspn(base, ". \t")] == '\0')
		return xasprintf("attachment-%zu", n); /* "", ".", "..", "..." */
	struct strbuf b;
	strbuf_init(&b);
	safe_chars(base, &b);
	while (b.len > 0 && b.s[b.len - 1] == ' ')
		b.s[--b.len] = '\0';
	if (b.s[0] == '.' || b.s[0] == '-')
		b.s[0] = '_';
	cut_name(&b, MIME_MAX_FILENAME);
	return strbuf_detach(&b);
}
