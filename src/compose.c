/* compose.c - the compose_t model, attachments, the editor's text and the
 * SMTP envelope.  See compose.h. */
#include "compose_private.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "charset.h"
#include "encode.h"

char *compose_clean_dup(const char *s)
{
	return s ? encode_header_clean(s) : NULL;
}

bool compose_msgid_valid(const char *s, size_t n)
{
	if (n < 3 || n > 250 || s[0] != '<' || s[n - 1] != '>')
		return false;
	for (size_t i = 1; i + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7F || c == '<' || c == '>')
			return false;
	}
	return true;
}

compose_t *compose_new(enum compose_kind kind)
{
	compose_t *c = xcalloc(1, sizeof(*c));
	c->kind = kind;
	for (int i = 0; i < CF_FIELD_COUNT; i++)
		addr_list_init(&c->f[i]);
	c->subject = xstrdup("");
	c->body = xstrdup("");
	c->message_id = compose_new_message_id(NULL);
	return c;
}

static void att_clear(struct compose_att *a)
{
	free(a->path);
	free(a->name);
	free(a->type);
	free(a->data);
}

void compose_free(compose_t **cp)
{
	compose_t *c = *cp;
	if (!c)
		return;
	for (int i = 0; i < CF_FIELD_COUNT; i++)
		addr_list_clear(&c->f[i]);
	free(c->subject);
	free(c->body);
	free(c->in_reply_to);
	free(c->references);
	free(c->orig_path);
	free(c->message_id);
	for (size_t i = 0; i < c->nextra; i++)
		free(c->extra[i]);
	free(c->extra);
	for (size_t i = 0; i < c->natt; i++)
		att_clear(&c->att[i]);
	free(c->att);
	free(c->bounce_raw);
	free(c);
	*cp = NULL;
}

enum compose_kind compose_kind(const compose_t *c)
{
	return c->kind;
}

const struct addr_list *compose_addrs(const compose_t *c, enum compose_field f)
{
	return &c->f[f];
}

bool compose_set_addrs(compose_t *c, enum compose_field f, const char *text, char **err)
{
	struct addr_list l;
	addr_list_init(&l);
	if (!addr_parse(text, &l, err)) {
		addr_list_clear(&l);
		return false;
	}
	addr_list_clear(&c->f[f]);
	c->f[f] = l;
	return true;
}

char *compose_addrs_text(const compose_t *c, enum compose_field f)
{
	return addr_list_format(&c->f[f]);
}

const char *compose_subject(const compose_t *c)
{
	return c->subject;
}

void compose_set_subject(compose_t *c, const char *s)
{
	free(c->subject);
	c->subject = encode_header_clean(s ? s : "");
}

const char *compose_body(const compose_t *c)
{
	return c->body;
}

/* Bodies are kept as valid UTF-8 with '\n' line ends: an editor that
 * wrote latin-1 or CRLF gets the same message as one that did not. */
void compose_set_body(compose_t *c, const char *s)
{
	struct strbuf b;
	strbuf_init(&b);
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		strbuf_addc(&b, s[i] == '\r' ? '\n' : s[i]);
	}
	free(c->body);
	if (charset_utf8_valid(b.s ? b.s : "", b.len)) {
		c->body = strbuf_detach(&b);
	} else {
		struct strbuf u;
		strbuf_init(&u);
		charset_raw_to_utf8(b.s, b.len, &u);
		c->body = strbuf_detach(&u);
		strbuf_free(&b);
	}
}

const char *compose_in_reply_to(const compose_t *c)
{
	return c->in_reply_to;
}

const char *compose_references(const compose_t *c)
{
	return c->references;
}

const char *compose_orig_path(const compose_t *c)
{
	return c->orig_path;
}

void compose_set_orig_path(compose_t *c, const char *path)
{
	free(c->orig_path);
	c->orig_path = path && *path && !strpbrk(path, "\r\n") ? xstrdup(path) : NULL;
}

const char *compose_message_id(const compose_t *c)
{
	return c->message_id;
}

bool compose_flowed(const compose_t *c)
{
	return c->flowed;
}

void compose_set_flowed(compose_t *c, bool flowed)
{
	c->flowed = flowed;
}

size_t compose_extra_count(const compose_t *c)
{
	return c->nextra;
}

const char *compose_extra(const compose_t *c, size_t i)
{
	return i < c->nextra ? c->extra[i] : NULL;
}

bool compose_has_content(const compose_t *c)
{
	for (const char *p = c->body; *p; p++)
		if (!isspace((unsigned char)*p))
			return true;
	return c->natt > 0;
}

/* ---- attachments ---- */

/* The base name of a path, cleaned to one line; never empty. */
static char *att_name(const char *name)
{
	const char *slash = strrchr(name, '/');
	char *n = encode_header_clean(slash ? slash + 1 : name);
	if (!*n || strcmp(n, ".") == 0 || strcmp(n, "..") == 0) {
		free(n);
		n = xstrdup("attachment");
	}
	return n;
}

/* "type/subtype", optionally with simple parameters ("; method=REPLY":
 * tokens only, no quotes), as they go into the Content-Type header. */
static bool type_valid(const char *t)
{
	const char *slash = strchr(t, '/'), *semi = strchr(t, ';');
	if (!slash || slash == t || !slash[1] || slash[1] == ';' || strlen(t) > 127 || (semi && semi < slash))
		return false;
	for (const char *p = t; *p; p++) {
		if (semi && p >= semi) {
			if (!isalnum((unsigned char)*p) && !strchr("!#$&-^_.+;= ", *p))
				return false;
		} else if (p != slash && !isalnum((unsigned char)*p) && !strchr("!#$&-^_.+", *p)) {
			return false;
		}
	}
	return true;
}

static struct compose_att *att_add(compose_t *c)
{
	c->att = xreallocarray(c->att, c->natt + 1, sizeof(*c->att));
	struct compose_att *a = &c->att[c->natt++];
	memset(a, 0, sizeof(*a));
	return a;
}

bool compose_attach_file(compose_t *c, const char *path, const char *name, const char *type, char **err)
{
	struct stat st;
	*err = NULL;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		*err = xasprintf("%s: not a readable file", path);
		return false;
	}
	struct compose_att *a = att_add(c);
	a->path = xstrdup(path);
	a->name = att_name(name ? name : path);
	a->type = (type && type_valid(type)) ? xstrdup(type) : compose_detect_type(path);
	a->len = (size_t)st.st_size;
	return true;
}

void compose_attach_data(compose_t *c, const char *name, const char *type, const void *data, size_t len)
{
	struct compose_att *a = att_add(c);
	a->name = att_name(name ? name : "attachment");
	a->type = xstrdup(type && type_valid(type) ? type : "application/octet-stream");
	a->data = xmalloc(len + 1);
	memcpy(a->data, data, len);
	a->data[len] = '\0';
	a->len = len;
}

size_t compose_att_count(const compose_t *c)
{
	return c->natt;
}

bool compose_att_info(const compose_t *c, size_t i, struct compose_att_info *out)
{
	if (i >= c->natt)
		return false;
	out->path = c->att[i].path;
	out->name = c->att[i].name;
	out->type = c->att[i].type;
	out->size = c->att[i].len;
	return true;
}

bool compose_detach(compose_t *c, size_t i)
{
	if (i >= c->natt)
		return false;
	att_clear(&c->att[i]);
	memmove(&c->att[i], &c->att[i + 1], (c->natt - i - 1) * sizeof(*c->att));
	c->natt--;
	return true;
}

bool compose_att_rename(compose_t *c, size_t i, const char *name)
{
	if (i >= c->natt || !name)
		return false;
	free(c->att[i].name);
	c->att[i].name = att_name(name);
	return true;
}

/* ---- the editor's text ---- */

static const struct {
	const char *name;
	enum compose_field f;
} addr_headers[] = {
	{ "From", CF_FROM }, { "To", CF_TO }, { "Cc", CF_CC }, { "Bcc", CF_BCC }, { "Reply-To", CF_REPLY_TO },
};

char *compose_to_editable(const compose_t *c, bool with_headers)
{
	struct strbuf b;
	strbuf_init(&b);
	if (with_headers) {
		for (size_t i = 0; i < ARRAY_SIZE(addr_headers); i++) {
			char *v = addr_list_format(&c->f[addr_headers[i].f]);
			strbuf_addf(&b, "%s: %s\n", addr_headers[i].name, v);
			free(v);
			if (addr_headers[i].f == CF_BCC)
				strbuf_addf(&b, "Subject: %s\n", c->subject);
		}
		for (size_t i = 0; i < c->nextra; i++)
			strbuf_addf(&b, "%s\n", c->extra[i]);
		strbuf_addc(&b, '\n');
	}
	strbuf_adds(&b, c->body);
	return strbuf_detach(&b);
}

/* One "Name: value" of the editor's header block. */
struct ed_header {
	char *name;
	struct strbuf value;
};

static bool header_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 76)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

/* Split the editor's text into header lines and the body.  A first line
 * that is not "Name: value" means the user removed the block: all body. */
static size_t split_headers(const char *text, struct ed_header **hv, size_t *nh, const char **body)
{
	const char *p = text;
	*hv = NULL;
	*nh = 0;
	while (*p && *p != '\n') {
		size_t len = strcspn(p, "\n");
		const char *colon = memchr(p, ':', len);
		if ((*p == ' ' || *p == '\t') && *nh) {
			strbuf_addc(&(*hv)[*nh - 1].value, ' ');
			strbuf_add(&(*hv)[*nh - 1].value, p, len);
		} else if (colon && header_name_ok(p, (size_t)(colon - p))) {
			*hv = xreallocarray(*hv, *nh + 1, sizeof(**hv));
			struct ed_header *h = &(*hv)[(*nh)++];
			h->name = xstrndup(p, (size_t)(colon - p));
			strbuf_init(&h->value);
			strbuf_add(&h->value, colon + 1, len - (size_t)(colon + 1 - p));
		} else {
			break;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	if (*p == '\n')
		p++;
	else if (*p) { /* not a header block after all */
		p = text;
		for (size_t i = 0; i < *nh; i++) {
			free((*hv)[i].name);
			strbuf_free(&(*hv)[i].value);
		}
		*nh = 0;
	}
	*body = p;
	return *nh;
}

static void free_headers(struct ed_header *hv, size_t nh)
{
	for (size_t i = 0; i < nh; i++) {
		free(hv[i].name);
		strbuf_free(&hv[i].value);
	}
	free(hv);
}

/* Parse every address header into lists first, so that one bad address
 * changes nothing. */
static bool parse_addr_headers(const struct ed_header *hv, size_t nh, struct addr_list *lists, bool *seen,
			       char **err)
{
	for (size_t i = 0; i < nh; i++) {
		for (size_t k = 0; k < ARRAY_SIZE(addr_headers); k++) {
			if (strcasecmp(hv[i].name, addr_headers[k].name) != 0)
				continue;
			enum compose_field f = addr_headers[k].f;
			seen[f] = true;
			char *e = NULL;
			if (!addr_parse(hv[i].value.s ? hv[i].value.s : "", &lists[f], &e)) {
				*err = xasprintf("%s: %s", addr_headers[k].name, e);
				free(e);
				return false;
			}
		}
	}
	return true;
}

static void add_extra(compose_t *c, const char *name, const char *value)
{
	char *v = encode_header_clean(value);
	c->extra = xreallocarray(c->extra, c->nextra + 1, sizeof(*c->extra));
	c->extra[c->nextra++] = xasprintf("%s: %s", name, v);
	free(v);
}

/* Headers the message writes itself (or the editor's block handles):
 * an extra header of these names would be a second one. */
static bool header_reserved(const char *n)
{
	static const char *const ours[] = { "Date", "From", "To", "Cc", "Bcc", "Subject", "Reply-To", "Message-ID",
					    "In-Reply-To", "References", "MIME-Version", "Attach", "User-Agent",
					    "Received", "Return-Path", "Fcc" };
	for (size_t i = 0; i < ARRAY_SIZE(ours); i++)
		if (strcasecmp(n, ours[i]) == 0)
			return true;
	return strncasecmp(n, "Content-", 8) == 0 || strncasecmp(n, "Resent-", 7) == 0;
}

/* A field name (RFC 5322: printable ASCII but ':'), not one of ours. */
static bool extra_name_ok(const char *n)
{
	for (const char *p = n; *p; p++)
		if (*p <= ' ' || *p > '~' || *p == ':')
			return false;
	return *n && !header_reserved(n);
}

void compose_remove_header(compose_t *c, const char *name)
{
	size_t k = 0, n = strcspn(name, ":");
	for (size_t i = 0; i < c->nextra; i++) {
		if (strncasecmp(c->extra[i], name, n) == 0 && c->extra[i][n] == ':')
			free(c->extra[i]);
		else
			c->extra[k++] = c->extra[i];
	}
	c->nextra = k;
}

bool compose_add_header(compose_t *c, const char *header, char **err)
{
	*err = NULL;
	const char *colon = strchr(header, ':');
	char *name = colon ? xstrndup(header, (size_t)(colon - header)) : xstrdup(header);
	const char *v = colon ? colon + 1 + strspn(colon + 1, " \t") : "";
	bool ok = true;
	if (colon && (strcasecmp(name, "From") == 0 || strcasecmp(name, "Reply-To") == 0)) {
		ok = compose_set_addrs(c, strcasecmp(name, "From") == 0 ? CF_FROM : CF_REPLY_TO, v, err);
	} else if (!colon || !extra_name_ok(name) || strpbrk(v, "\r\n")) {
		*err = xasprintf("%s: not a header muttlike can add", name);
		ok = false;
	} else {
		compose_remove_header(c, name); /* mutt's my_hdr: one of a name */
		add_extra(c, name, v);
	}
	free(name);
	return ok;
}

/* Apply the non-address headers: Subject, Attach, threading, and the
 * extra ones (X-*, Organization, what my_hdr added). */
static bool apply_other_headers(compose_t *c, const struct ed_header *hv, size_t nh, char **err)
{
	for (size_t i = 0; i < c->nextra; i++)
		free(c->extra[i]);
	c->nextra = 0;
	for (size_t i = 0; i < nh; i++) {
		const char *n = hv[i].name, *v = hv[i].value.s ? hv[i].value.s : "";
		if (strcasecmp(n, "Subject") == 0) {
			compose_set_subject(c, v);
		} else if (strcasecmp(n, "Attach") == 0) {
			char *path = encode_header_clean(v);
			bool ok = !*path || compose_attach_file(c, path, NULL, NULL, err);
			free(path);
			if (!ok)
				return false;
		} else if (extra_name_ok(n)) {
			add_extra(c, n, v);
		}
		/* anything else (Date, Message-ID, Content-*) is ours to write */
	}
	return true;
}

bool compose_from_editable(compose_t *c, const char *text, bool with_headers, char **err)
{
	*err = NULL;
	struct ed_header *hv = NULL;
	size_t nh = 0;
	const char *body = text;
	if (with_headers)
		split_headers(text, &hv, &nh, &body);
	struct addr_list lists[CF_FIELD_COUNT];
	bool seen[CF_FIELD_COUNT] = { false };
	for (int i = 0; i < CF_FIELD_COUNT; i++)
		addr_list_init(&lists[i]);
	bool ok = parse_addr_headers(hv, nh, lists, seen, err);
	if (ok && with_headers && nh)
		ok = apply_other_headers(c, hv, nh, err);
	for (int i = 0; i < CF_FIELD_COUNT; i++) {
		if (ok && seen[i]) {
			addr_list_clear(&c->f[i]);
			c->f[i] = lists[i];
		} else {
			addr_list_clear(&lists[i]);
		}
	}
	if (ok)
		compose_set_body(c, body);
	free_headers(hv, nh);
	return ok;
}
