/* compose_orig.c - read the message being replied to, forwarded or
 * recalled into a struct compose_orig, through the mime module (which
 * decodes, caps and sanitizes everything).  Kept apart from compose.c so
 * the message builder can be tested without parsing files. */
#include "compose_private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "charset.h"
#include "mime.h"
#include "text.h"

static char *hdr(const mime_msg_t *m, enum mime_header h)
{
	const char *v = mime_msg_header(m, h);
	return v ? xstrdup(v) : NULL;
}

static void addrs(const mime_msg_t *m, enum mime_header h, struct addr_list *out)
{
	const struct mime_addrlist *l = mime_msg_addrs(m, h);
	for (size_t i = 0; i < l->n; i++)
		addr_list_add(out, l->v[i].name, l->v[i].mailbox);
}

/* Headers mime.h does not parse as addresses: parse their decoded text. */
static void addrs_named(mime_msg_t *m, const char *name, struct addr_list *out)
{
	const char *v = mime_msg_header_named(m, name);
	char *err = NULL;
	if (v && !addr_parse(v, out, &err))
		free(err); /* what parsed before the bad entry is kept */
}

struct find_text {
	const mime_part_t *part;
};

static enum mime_walk_ret first_text(const mime_part_t *p, void *ud)
{
	struct find_text *f = ud;
	if (strcmp(mime_part_type(p), "text/plain") == 0 && !mime_part_is_attachment_disposition(p)) {
		f->part = p;
		return MIME_WALK_STOP;
	}
	return MIME_WALK_CONTINUE;
}

/* The first text/plain part, decoded and converted; else the rendered
 * view (HTML through the converter), without placeholders. */
static char *body_text(const mime_msg_t *m)
{
	struct find_text f = { NULL };
	mime_walk(m, first_text, &f);
	char *data;
	size_t len;
	if (f.part && mime_part_decode(f.part, &data, &len) == MIME_OK) {
		struct strbuf u;
		strbuf_init(&u);
		charset_to_utf8(mime_part_charset(f.part), data, len, &u);
		free(data);
		size_t o = 0; /* CRLF on the wire; '\n' lines in here */
		for (size_t i = 0; i < u.len; i++)
			if (u.s[i] != '\r' || i + 1 == u.len || u.s[i + 1] != '\n')
				u.s[o++] = u.s[i];
		u.len = o;
		char *clean = text_sanitize(u.s ? u.s : "", u.len, true);
		strbuf_free(&u);
		return clean;
	}
	mime_view_t *v = mime_render(m, NULL);
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < mime_view_line_count(v); i++) {
		const struct mime_line *l = mime_view_line(v, i);
		if (l->kind == MIME_LINE_HEADER || l->kind == MIME_LINE_ATTACHMENT)
			continue;
		strbuf_adds(&b, l->text);
		strbuf_addc(&b, '\n');
	}
	mime_view_free(&v);
	return strbuf_detach(&b);
}

static bool read_raw(const char *path, struct compose_orig *o, char **err)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > MIME_MAX_FILE) {
		*err = xasprintf("%s: %s", path, f ? "not a message file" : strerror(errno));
		if (f)
			fclose(f);
		return false;
	}
	o->raw = xmalloc((size_t)st.st_size + 1);
	o->raw_len = fread(o->raw, 1, (size_t)st.st_size, f);
	o->raw[o->raw_len] = '\0';
	fclose(f);
	return true;
}

/* A draft's attachments come back as data attachments (recall). */
static void draft_attachments(const mime_msg_t *m, const mime_part_t *text, struct compose_orig *o)
{
	for (size_t i = 0; i < mime_msg_attachment_count(m); i++) {
		const struct mime_attachment *a = mime_msg_attachment(m, i);
		if (a->part == text || a->depth > 1 || strncmp(a->type, "multipart/", 10) == 0)
			continue;
		char *data;
		size_t len;
		if (mime_part_decode(a->part, &data, &len) != MIME_OK)
			continue;
		o->att = xreallocarray(o->att, o->natt + 1, sizeof(*o->att));
		struct compose_orig_att *oa = &o->att[o->natt++];
		oa->name = mime_safe_filename(a->filename, a->index);
		oa->type = xstrdup(a->type);
		oa->data = data;
		oa->len = len;
	}
}

enum compose_status compose_orig_load(const char *path, bool attachments, struct compose_orig *o, char **err)
{
	memset(o, 0, sizeof(*o));
	*err = NULL;
	if (!read_raw(path, o, err))
		return COMPOSE_ERR_IO;
	mime_msg_t *m = NULL;
	if (mime_msg_parse(o->raw, o->raw_len, &m) != MIME_OK) {
		*err = xasprintf("%s: cannot parse the message", path);
		compose_orig_clear(o);
		return COMPOSE_ERR_IO;
	}
	o->path = xstrdup(path);
	o->subject = hdr(m, MIME_H_SUBJECT);
	o->message_id = hdr(m, MIME_H_MESSAGE_ID);
	o->in_reply_to = hdr(m, MIME_H_IN_REPLY_TO);
	o->references = hdr(m, MIME_H_REFERENCES);
	o->list_post = hdr(m, MIME_H_LIST_POST);
	o->date_text = hdr(m, MIME_H_DATE);
	if (!mime_msg_date(m, &o->date))
		o->date = 0;
	addrs(m, MIME_H_FROM, &o->from);
	addrs(m, MIME_H_TO, &o->to);
	addrs(m, MIME_H_CC, &o->cc);
	addrs(m, MIME_H_REPLY_TO, &o->reply_to);
	addrs_named(m, "Bcc", &o->bcc);
	addrs_named(m, "Delivered-To", &o->delivered_to);
	addrs_named(m, "X-Original-To", &o->delivered_to);
	o->body = body_text(m);
	if (attachments) {
		struct find_text f = { NULL };
		mime_walk(m, first_text, &f);
		draft_attachments(m, f.part, o);
	}
	mime_msg_free(&m);
	return COMPOSE_OK;
}

void compose_orig_use_decrypted(struct compose_orig *o, const mime_msg_t *inner, bool attachments)
{
	if (o->body)
		explicit_bzero(o->body, strlen(o->body));
	free(o->body);
	o->body = body_text(inner);
	const char *subject = mime_msg_header(inner, MIME_H_SUBJECT);
	if (subject) {
		free(o->subject);
		o->subject = xstrdup(subject);
	}
	compose_orig_clear_atts(o); /* the outer ones are the ciphertext */
	if (attachments) {
		struct find_text f = { NULL };
		mime_walk(inner, first_text, &f);
		draft_attachments(inner, f.part, o);
	}
}
