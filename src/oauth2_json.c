/* oauth2_json.c - the one JSON shape OAuth endpoints answer with: a flat
 * object of strings and numbers.  Nested values are validated and skipped
 * (Microsoft adds "error_codes": [...]); depth, size and member count are
 * capped.  Strings are decoded into buffers sized up front, so no stray
 * copy of a token is left behind by a realloc, and wiped on free. */
#include <string.h>

#include "oauth2_private.h"
#include "utf8.h"
#include "util.h"

enum { MAX_DEPTH = 32, MAX_FIELDS = 256 };

struct parser {
	const char *s;
	size_t len, pos;
};

static void ws(struct parser *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
		p->pos++;
}

static bool eat(struct parser *p, char c)
{
	ws(p);
	if (p->pos < p->len && p->s[p->pos] == c) {
		p->pos++;
		return true;
	}
	return false;
}

static int hex4(const char *s)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* One \u escape (p at the 'u'), a surrogate pair joined; the code point, or -1. */
static long unicode_escape(struct parser *p)
{
	if (p->len - p->pos < 5)
		return -1;
	long cp = hex4(p->s + p->pos + 1);
	p->pos += 5;
	if (cp >= 0xd800 && cp < 0xdc00) {
		if (p->len - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
			return -1;
		long lo = hex4(p->s + p->pos + 2);
		if (lo < 0xdc00 || lo > 0xdfff)
			return -1;
		p->pos += 6;
		return 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if ((cp >= 0xdc00 && cp <= 0xdfff) || cp == 0)
		return -1; /* a lone low surrogate; NUL would cut the C string */
	return cp;
}

/* A string at p (on its opening quote) decoded into a new buffer when out
 * is not NULL.  false when malformed. */
static bool string(struct parser *p, char **out)
{
	size_t cap = 0;
	if (out) {
		/* a dry run finds its end; every escape decodes to no more bytes than it takes */
		struct parser dry = *p;
		if (!string(&dry, NULL))
			return false;
		cap = dry.pos - p->pos;
	}
	if (!eat(p, '"'))
		return false;
	char *o = out ? xmalloc(cap) : NULL;
	size_t n = 0;
	char tmp[4];
	while (p->pos < p->len) {
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->pos++;
			if (o) {
				o[n] = '\0';
				*out = o;
			}
			return true;
		}
		if (c < 0x20)
			break;
		if (c != '\\') {
			if (o)
				o[n] = (char)c;
			n++;
			p->pos++;
			continue;
		}
		if (++p->pos >= p->len)
			break;
		const char *esc = strchr("\"\\/bfnrtu", p->s[p->pos]);
		if (!esc || !p->s[p->pos])
			break;
		if (*esc == 'u') {
			long cp = unicode_escape(p);
			if (cp < 0)
				break;
			size_t k = utf8_encode(tmp, (uint32_t)cp);
			if (o)
				memcpy(o + n, tmp, k);
			n += k;
			continue;
		}
		if (o)
			o[n] = "\"\\/\b\f\n\r\t"[esc - "\"\\/bfnrtu"];
		n++;
		p->pos++;
	}
	if (o) {
		explicit_bzero(o, cap);
		free(o);
	}
	return false;
}

static bool digits(struct parser *p)
{
	size_t start = p->pos;
	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	return p->pos > start;
}

static bool number(struct parser *p)
{
	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '0')
		p->pos++;
	else if (!digits(p))
		return false;
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (!digits(p))
			return false;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (!digits(p))
			return false;
	}
	return true;
}

static bool literal(struct parser *p)
{
	static const char *const words[] = { "true", "false", "null" };
	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		size_t k = strlen(words[i]);
		if (p->len - p->pos >= k && memcmp(p->s + p->pos, words[i], k) == 0) {
			p->pos += k;
			return true;
		}
	}
	return false;
}

static bool value(struct parser *p, int depth);

/* An array or object at p, skipped. */
static bool nested(struct parser *p, int depth)
{
	if (depth >= MAX_DEPTH)
		return false;
	char open = p->s[p->pos++], close = open == '{' ? '}' : ']';
	if (eat(p, close))
		return true;
	do {
		if (open == '{' && !(string(p, NULL) && eat(p, ':')))
			return false;
		if (!value(p, depth + 1))
			return false;
	} while (eat(p, ','));
	return eat(p, close);
}

/* Any value, skipped. */
static bool value(struct parser *p, int depth)
{
	ws(p);
	if (p->pos >= p->len)
		return false;
	char c = p->s[p->pos];
	if (c == '"')
		return string(p, NULL);
	if (c == '{' || c == '[')
		return nested(p, depth);
	if (c == '-' || (c >= '0' && c <= '9'))
		return number(p);
	return literal(p);
}

static const struct oauth2_json_field *field(const struct oauth2_json *j, const char *key)
{
	for (size_t i = 0; i < j->n; i++)
		if (strcmp(j->f[i].key, key) == 0)
			return &j->f[i];
	return NULL;
}

/* One "key": value member into j (a duplicate key is checked, not kept). */
static bool member(struct parser *p, struct oauth2_json *j)
{
	char *key = NULL;
	if (!string(p, &key))
		return false;
	if (!eat(p, ':') || j->n >= MAX_FIELDS) {
		free(key);
		return false;
	}
	ws(p);
	size_t start = p->pos;
	char c = p->pos < p->len ? p->s[p->pos] : '\0';
	char *val = NULL;
	bool ok = c == '"' ? string(p, &val) : value(p, 1);
	if (!ok || field(j, key)) {
		free(key);
		util_wipe_free(&val);
		return ok;
	}
	enum oauth2_json_kind kind = c == '"' ? OJ_STRING : c == '{' || c == '[' ? OJ_NESTED
					   : c == '-' || (c >= '0' && c <= '9') ? OJ_NUMBER : OJ_LITERAL;
	if (!val)
		val = kind == OJ_NESTED ? xstrdup("") : xstrndup(p->s + start, p->pos - start);
	j->f = xreallocarray(j->f, j->n + 1, sizeof(*j->f));
	j->f[j->n++] = (struct oauth2_json_field){ .key = key, .val = val, .kind = kind };
	return true;
}

int oauth2_json_parse(const char *s, size_t len, struct oauth2_json *out)
{
	struct parser p = { .s = s, .len = len, .pos = 0 };
	*out = (struct oauth2_json){ 0 };
	bool ok = eat(&p, '{');
	if (ok && !eat(&p, '}')) {
		do
			ok = member(&p, out);
		while (ok && eat(&p, ','));
		ok = ok && eat(&p, '}');
	}
	ws(&p);
	if (ok && p.pos == len)
		return 0;
	oauth2_json_free(out);
	return -1;
}

const char *oauth2_json_str(const struct oauth2_json *j, const char *key)
{
	const struct oauth2_json_field *f = field(j, key);
	return f && f->kind == OJ_STRING ? f->val : NULL;
}

bool oauth2_json_long(const struct oauth2_json *j, const char *key, long *out)
{
	const struct oauth2_json_field *f = field(j, key);
	if (!f || (f->kind != OJ_STRING && f->kind != OJ_NUMBER))
		return false;
	return util_parse_long(f->val, -2147483647L, 2147483647L, out);
}

void oauth2_json_free(struct oauth2_json *j)
{
	for (size_t i = 0; i < j->n; i++) {
		free(j->f[i].key);
		util_wipe_free(&j->f[i].val);
	}
	free(j->f);
	*j = (struct oauth2_json){ 0 };
}
