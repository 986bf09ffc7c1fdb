/* fuzz_mime.c - any bytes as a message: parse, render, list and decode
 * attachments, make safe file names.  No crash, no leak, no hang, and
 * nothing dangerous in what would reach the screen or the file system. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "mime.h"
#include "text.h"
#include "util.h"

static void check_clean(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			abort();
	if (!charset_utf8_valid(s, strlen(s)) || strstr(s, "\xc2\x9b") || strstr(s, "\xe2\x80\xae"))
		abort();
}

static void check_safe_name(const char *name, size_t n)
{
	char *safe = mime_safe_filename(name, n);
	if (!*safe || strchr(safe, '/') || safe[0] == '.' || safe[0] == '-' || strlen(safe) > MIME_MAX_FILENAME)
		abort();
	check_clean(safe);
	free(safe);
}

static enum mime_walk_ret count_one(const mime_part_t *p, void *ud)
{
	(void)p;
	(*(size_t *)ud)++;
	return MIME_WALK_CONTINUE;
}

static size_t count_parts(const mime_msg_t *m)
{
	size_t n = 0;
	mime_walk(m, count_one, &n);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The indexing pre-scan must agree with the walk: whatever the
	 * input, it never counts fewer parts than the walk builds. */
	struct mime_scan sc;
	struct strbuf hdr;
	strbuf_init(&hdr);
	mime_scan_mem((const char *)data, size, &sc, &hdr);
	if (hdr.len > MIME_INDEX_COPY_MAX + 2)
		abort();
	strbuf_free(&hdr);
	mime_msg_t *m = NULL;
	if (mime_msg_parse((const char *)data, size, &m) != MIME_OK)
		abort();
	if (!sc.limits && !mime_msg_limits(m) && sc.parts != count_parts(m))
		abort();
	for (int h = 0; h < MIME_H_COUNT; h++) {
		const char *v = mime_msg_header(m, (enum mime_header)h);
		if (v)
			check_clean(v);
		const struct mime_addrlist *l = mime_msg_addrs(m, (enum mime_header)h);
		for (size_t i = 0; i < l->n; i++) {
			check_clean(l->v[i].name);
			check_clean(l->v[i].mailbox);
		}
	}
	time_t t;
	mime_msg_date(m, &t);
	struct mime_render_opts o = { .header_list = "Date From To Cc Subject X-Mailer",
				      .alternative_order = size % 2 ? "text/html text/plain" : NULL };
	mime_view_t *v = mime_render(m, &o);
	for (size_t i = 0; i < mime_view_line_count(v); i++)
		check_clean(mime_view_line(v, i)->text);
	for (size_t i = 0; i < mime_view_url_count(v); i++)
		check_clean(mime_view_url(v, i));
	mime_view_free(&v);
	for (size_t i = 0; i < mime_msg_attachment_count(m); i++) {
		const struct mime_attachment *a = mime_msg_attachment(m, i);
		if (a->filename)
			check_clean(a->filename);
		check_safe_name(a->filename, a->index);
		char *d;
		size_t len;
		mime_part_decode(a->part, &d, &len);
		free(d);
	}
	char *raw = xstrndup((const char *)data, size > 300 ? 300 : size);
	check_safe_name(raw, 1);
	free(raw);
	mime_msg_free(&m);
	return 0;
}
