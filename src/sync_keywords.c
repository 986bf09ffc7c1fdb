/* sync_keywords.c - IMAP keywords against notmuch tags: sets, the three-way
 * merge, and the local side of a message. */
#include "sync_int.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- small pure helpers (unit-tested) ---- */

bool sync_folder_selected(const char *patterns, const char *name)
{
	if (!patterns || !*patterns)
		patterns = "*";
	bool in = false;
	char *copy = xstrdup(patterns);
	for (char *save = NULL, *p = strtok_r(copy, " \t", &save); p; p = strtok_r(NULL, " \t", &save)) {
		bool neg = *p == '!';
		if (fnmatch(neg ? p + 1 : p, name, 0) == 0) {
			if (neg) {
				in = false;
				break;
			}
			in = true;
		}
	}
	free(copy);
	return in;
}

static void kw_split(struct kwset *k, const char *s)
{
	k->buf = xstrdup(s ? s : "");
	k->n = 0;
	k->v = xreallocarray(NULL, strlen(k->buf) / 2 + 2, sizeof(*k->v));
	for (char *save = NULL, *w = strtok_r(k->buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		k->v[k->n++] = w;
}

static void kw_free(struct kwset *k)
{
	free(k->buf);
	free(k->v);
	k->buf = NULL;
	k->v = NULL;
	k->n = 0;
}

/* IMAP keywords are case-insensitive (RFC 3501 2.3.2); tags are not, so
 * every comparison between the two worlds ignores case. */
static const char *kw_find(const struct kwset *k, const char *w)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcasecmp(k->v[i], w) == 0)
			return k->v[i];
	return NULL;
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, duplicates (ignoring case) dropped; NULL when empty. */
static char *kw_join(char **v, size_t n)
{
	qsort(v, n, sizeof(*v), str_ptr_cmp);
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < n; i++) {
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = strcasecmp(v[i], v[j]) == 0;
		if (dup)
			continue;
		if (b.len)
			strbuf_addc(&b, ' ');
		strbuf_adds(&b, v[i]);
	}
	char *out = b.len ? strbuf_detach(&b) : NULL;
	strbuf_free(&b);
	return out;
}

bool sync_tag_is_keyword(const char *tag)
{
	/* Local-only tags: the account tag, notmuch's own tags, and the tags
	 * that stand for flags (those travel as flags, through the file
	 * names). */
	static const char *const local_only[] = {
		"inbox", "new", "attachment", "signed", "encrypted", "unread", "flagged",
		"replied", "draft", "passed", "deleted", "$Forwarded", STORE_TAG_OVERSIZED,
	};
	if (!tag || !*tag || strncmp(tag, "account:", 8) == 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(local_only); i++)
		if (strcasecmp(tag, local_only[i]) == 0)
			return false;
	/* Only an IMAP atom can be a keyword (RFC 3501 flag-keyword): ASCII
	 * without atom-specials; a leading backslash would be a system flag.
	 * Any other tag stays local. */
	if (*tag == '\\')
		return false;
	for (const unsigned char *p = (const unsigned char *)tag; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("(){%*\"\\]", *p))
			return false;
	return true;
}

/* The keyword tags among a message's tags, sorted; NULL when none. */
static char *keywords_of_tags(const char *tags)
{
	struct kwset t;
	kw_split(&t, tags);
	size_t w = 0;
	for (size_t i = 0; i < t.n; i++)
		if (sync_tag_is_keyword(t.v[i]))
			t.v[w++] = t.v[i];
	char *out = kw_join(t.v, w);
	kw_free(&t);
	return out;
}

char *sync_merge_keywords(const char *base, const char *local, const char *remote)
{
	struct kwset b, l, r;
	kw_split(&b, base);
	kw_split(&l, local);
	kw_split(&r, remote);
	char **out = xreallocarray(NULL, b.n + l.n + r.n + 1, sizeof(*out));
	size_t n = 0;
	/* Every keyword any side has, in the server's spelling first. */
	struct kwset *sides[3] = { &r, &l, &b };
	for (size_t si = 0; si < 3; si++) {
		for (size_t i = 0; i < sides[si]->n; i++) {
			const char *w = sides[si]->v[i];
			bool seen = false;
			for (size_t j = 0; j < n && !seen; j++)
				seen = strcasecmp(out[j], w) == 0;
			if (seen)
				continue;
			bool inb = kw_find(&b, w) != NULL, inl = kw_find(&l, w) != NULL, inr = kw_find(&r, w) != NULL;
			/* Per keyword, as per flag: the side that changed wins;
			 * if both changed, both hold the same value. */
			bool keep = inb != inl ? inl : inr;
			if (keep)
				out[n++] = (char *)w;
		}
	}
	char *res = kw_join(out, n);
	free(out);
	kw_free(&b);
	kw_free(&l);
	kw_free(&r);
	return res;
}

/* The words of a that b lacks (ignoring case), space-separated, each
 * prefixed with prefix ("+", "-" or ""); NULL when none. */
char *sync_kw_minus(const char *a, const char *b, const char *prefix)
{
	struct kwset x, y;
	kw_split(&x, a);
	kw_split(&y, b);
	struct strbuf o;
	strbuf_init(&o);
	/* Tag changes ("+", "-") only ever touch keyword tags. */
	bool tags = *prefix == '+' || *prefix == '-';
	for (size_t i = 0; i < x.n; i++) {
		if (kw_find(&y, x.v[i]) || (tags && !sync_tag_is_keyword(x.v[i])))
			continue;
		if (o.len)
			strbuf_addc(&o, ' ');
		strbuf_adds(&o, prefix);
		strbuf_adds(&o, x.v[i]);
	}
	kw_free(&x);
	kw_free(&y);
	char *out = o.len ? strbuf_detach(&o) : NULL;
	strbuf_free(&o);
	return out;
}

/* Equal as keyword sets (ignoring case)? */
bool sync_kw_equal(const char *a, const char *b)
{
	char *d1 = sync_kw_minus(a, b, ""), *d2 = sync_kw_minus(b, a, "");
	bool eq = !d1 && !d2;
	free(d1);
	free(d2);
	return eq;
}

/* The words of lk that base or remote have (the keywords a server
 * without PERMANENTFLAGS \* knows). */
static char *known_only(const char *lk, const char *base_kw, const char *remote_kw)
{
	struct kwset l, b, r;
	kw_split(&l, lk);
	kw_split(&b, base_kw);
	kw_split(&r, remote_kw);
	size_t w = 0;
	for (size_t i = 0; i < l.n; i++)
		if (kw_find(&b, l.v[i]) || kw_find(&r, l.v[i]))
			l.v[w++] = l.v[i];
	char *out = kw_join(l.v, w);
	kw_free(&l);
	kw_free(&b);
	kw_free(&r);
	return out;
}

/* The local keyword set of a file: its message's keyword tags.  When the
 * index cannot tell (file not indexed yet, database unreadable) the local
 * side is taken as unchanged (base), so that an unknown is never read as
 * "every keyword removed".  After a crash the index may have lost tags it
 * had been given, so a missing tag is not a removal then either (base is
 * added back).  Without PERMANENTFLAGS \* only keywords the server already
 * knows can be stored, so other tags stay local.  *raw gets the keyword
 * tags the index really has, to learn which tags to add. */
char *sync_local_keywords(struct folder_ctx *c, const struct maildir_entry *e, const char *base_kw,
			  const char *remote_kw, char **raw)
{
	const struct store_tagged *t = NULL;
	if (c->tags_known && c->ntagged) {
		char *p = sync_store_path(c, e->name);
		t = bsearch(p, c->tagged, c->ntagged, sizeof(*c->tagged), sync_tagged_path_cmp);
		free(p);
	}
	if (!t) {
		*raw = base_kw ? xstrdup(base_kw) : NULL;
		return base_kw ? xstrdup(base_kw) : NULL;
	}
	char *lk = keywords_of_tags(t->tags);
	/* A server keyword spelled like a local-only tag ("inbox", "new" ...)
	 * has no local side: it counts as unchanged here, so only the server
	 * adds or removes it. */
	struct kwset b;
	kw_split(&b, base_kw);
	size_t w = 0;
	for (size_t i = 0; i < b.n; i++)
		if (!sync_tag_is_keyword(b.v[i]))
			b.v[w++] = b.v[i];
	if (w) {
		char *extra = kw_join(b.v, w);
		char *u = sync_merge_keywords(NULL, lk, extra);
		free(extra);
		free(lk);
		lk = u;
	}
	kw_free(&b);
	*raw = lk ? xstrdup(lk) : NULL;
	if (c->recovered) {
		char *u = sync_merge_keywords(NULL, lk, base_kw); /* empty base: the union */
		free(lk);
		lk = u;
	}
	if (!c->kw_ok && lk) {
		char *known = known_only(lk, base_kw, remote_kw);
		free(lk);
		lk = known;
	}
	return lk;
}
