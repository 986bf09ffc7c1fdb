/* tagdump.c - notmuch's dump format through the public notmuch API. */
#include "tagdump.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "nmsafe.h"

/* notmuch's hex_encode: these bytes stand for themselves. */
static bool tag_byte_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("+-_@=.,", c);
}

static void add_tag(struct strbuf *b, const char *tag)
{
	static const char hex[] = "0123456789abcdef";
	strbuf_addc(b, '+');
	for (const unsigned char *p = (const unsigned char *)tag; *p; p++) {
		if (tag_byte_plain(*p)) {
			strbuf_addc(b, (char)*p);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			strbuf_add(b, e, 3);
		}
	}
}

/* notmuch's make_boolean_term for "id". */
static void add_id(struct strbuf *b, const char *id)
{
	bool quote = !*id;
	for (const unsigned char *p = (const unsigned char *)id; *p && !quote; p++)
		quote = *p <= ' ' || *p == '"' || *p == '(' || *p == ')' || *p >= 0x80;
	strbuf_adds(b, "id:");
	if (!quote) {
		strbuf_adds(b, id);
		return;
	}
	strbuf_addc(b, '"');
	for (const char *p = id; *p; p++) {
		if (*p == '"')
			strbuf_addc(b, '"');
		strbuf_addc(b, *p);
	}
	strbuf_addc(b, '"');
}

void tagdump_format_line(struct strbuf *b, const char *id, const char *const *tags, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addc(b, ' ');
		add_tag(b, tags[i]);
	}
	strbuf_adds(b, " -- ");
	add_id(b, id);
	strbuf_addc(b, '\n');
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode %xx in place; false on a bad escape or an empty result. */
static bool hex_decode(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
		if (hi < 0 || lo < 0)
			return false;
		*o++ = (char)(hi * 16 + lo);
		p += 2;
	}
	*o = '\0';
	return o != s;
}

/* The id term after "id:": bare up to a blank or ')', or quoted with
 * doubled quotes.  In place; NULL when malformed. */
static char *parse_id(char *p)
{
	if (*p != '"') {
		size_t n = strcspn(p, " \t\r\n)");
		if (p[n] == ')')
			return NULL;
		p[n] = '\0';
		return n ? p : NULL;
	}
	char *o = p, *in = p + 1;
	for (;;) {
		if (!*in || *in == '\n')
			return NULL; /* no closing quote */
		if (*in == '"') {
			if (in[1] != '"')
				break;
			in++;
		}
		*o++ = *in++;
	}
	*o = '\0';
	return p;
}

int tagdump_parse_line(char *line, char ***tags, size_t *ntags, char **id)
{
	*tags = NULL;
	*ntags = 0;
	*id = NULL;
	line[strcspn(line, "\n")] = '\0';
	if (!line[strspn(line, " \t\r")] || line[0] == '#')
		return 0;
	char *p = line;
	size_t cap = 0;
	for (;;) {
		p += strspn(p, " ");
		char *tok = p;
		p += strcspn(p, " ");
		if (tok == p)
			goto bad; /* the line ended before "--" */
		bool last = !*p;
		*p = '\0';
		if (!last)
			p++;
		if (strcmp(tok, "--") == 0)
			break;
		if ((*tok != '+' && *tok != '-') || !hex_decode(tok + 1))
			goto bad;
		if (*tok == '-')
			continue; /* the tag is absent, as the dump's set says anyway */
		if (*ntags == cap) {
			cap = cap ? cap * 2 : 8;
			*tags = xreallocarray(*tags, cap, sizeof(**tags));
		}
		(*tags)[(*ntags)++] = tok + 1;
		if (last)
			goto bad;
	}
	p += strspn(p, " ");
	if (strncmp(p, "id:", 3) != 0 || !(*id = parse_id(p + 3)))
		goto bad;
	return 1;
bad:
	free(*tags);
	*tags = NULL;
	*ntags = 0;
	*id = NULL;
	return -1;
}

long tagdump_write(notmuch_database_t *db, const char *path)
{
	notmuch_query_t *q = NULL;
	if (notmuch_query_create_with_syntax(db, "*", NOTMUCH_QUERY_SYNTAX_XAPIAN, &q) != NOTMUCH_STATUS_SUCCESS)
		return -1;
	notmuch_query_set_sort(q, NOTMUCH_SORT_UNSORTED);
	unsigned expect = 0;
	notmuch_messages_t *ms = NULL;
	if (notmuch_query_count_messages(q, &expect) != NOTMUCH_STATUS_SUCCESS ||
	    notmuch_query_search_messages(q, &ms) != NOTMUCH_STATUS_SUCCESS) {
		notmuch_query_destroy(q);
		return -1;
	}
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, TAGDUMP_HEADER);
	const char **tv = NULL;
	size_t cap = 0;
	long n = 0;
	for (; notmuch_messages_valid(ms); notmuch_messages_move_to_next(ms), n++) {
		notmuch_message_t *m = notmuch_messages_get(ms);
		size_t nt = 0;
		notmuch_tags_t *ts = notmuch_message_get_tags(m);
		for (; notmuch_tags_valid(ts); notmuch_tags_move_to_next(ts)) {
			if (nt == cap) {
				cap = cap ? cap * 2 : 16;
				tv = xreallocarray(tv, cap, sizeof(*tv));
			}
			tv[nt++] = notmuch_tags_get(ts); /* valid until the message is destroyed */
		}
		const char *id = notmuch_message_get_message_id(m);
		if (id)
			tagdump_format_line(&b, id, tv, nt);
		notmuch_tags_destroy(ts);
		notmuch_message_destroy(m);
	}
	free(tv);
	notmuch_query_destroy(q);
	/* A Xapian error ends notmuch's iteration early without a word: never
	 * replace a whole dump with part of one. */
	long rc = n;
	if ((unsigned long)n < expect) {
		log_error("tagdump: read %ld of %u messages from the index; %s not replaced", n, expect, path);
		rc = -1;
	} else if (util_write_file_atomic(path, b.s, b.len, 0600) < 0) {
		log_error("tagdump: cannot write %s: %s", path, strerror(errno));
		rc = -1;
	}
	strbuf_free(&b);
	return rc;
}

static bool in_list(const char *t, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t, v[i]) == 0)
			return true;
	return false;
}

/* Set m's tags to the dump's, leaving the kept ones alone. */
static void restore_one(notmuch_message_t *m, char *const *tags, size_t n, tagdump_keep_fn keep)
{
	nmsafe_message_freeze(m);
	/* Collect first: removing a tag while iterating would invalidate it. */
	struct strbuf drop;
	strbuf_init(&drop);
	notmuch_tags_t *ts = notmuch_message_get_tags(m);
	for (; notmuch_tags_valid(ts); notmuch_tags_move_to_next(ts)) {
		const char *t = notmuch_tags_get(ts);
		if (!(keep && keep(t)) && !in_list(t, tags, n)) {
			strbuf_adds(&drop, t);
			strbuf_addc(&drop, '\0');
		}
	}
	notmuch_tags_destroy(ts);
	for (size_t off = 0; off < drop.len; off += strlen(drop.s + off) + 1)
		nmsafe_message_remove_tag(m, drop.s + off);
	strbuf_free(&drop);
	for (size_t i = 0; i < n; i++)
		if (!(keep && keep(tags[i])))
			nmsafe_message_add_tag(m, tags[i]);
	nmsafe_message_thaw(m);
}

int tagdump_restore(notmuch_database_t *db, const char *path, tagdump_keep_fn keep, struct tagdump_restored *out)
{
	memset(out, 0, sizeof(*out));
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	char *line = NULL;
	size_t lcap = 0;
	while (getline(&line, &lcap, f) > 0) {
		char **tags = NULL, *id = NULL;
		size_t n = 0;
		int r = tagdump_parse_line(line, &tags, &n, &id);
		if (r < 0)
			out->malformed++;
		if (r <= 0)
			continue;
		notmuch_message_t *m = NULL;
		if (notmuch_database_find_message(db, id, &m) == NOTMUCH_STATUS_SUCCESS && m) {
			restore_one(m, tags, n, keep);
			notmuch_message_destroy(m);
			out->messages++;
		} else {
			out->missing++;
		}
		free(tags);
	}
	free(line);
	fclose(f);
	return 0;
}
