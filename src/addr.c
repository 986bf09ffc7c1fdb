/* addr.c - see addr.h.
 *
 * The parser is a single forward scan with no recursion: comments nest
 * only as a counter (capped), groups are flattened ("team: a, b;" gives
 * a and b), and separators (',' ';') with nothing between them are
 * skipped in O(1) each.
 */
#include "addr.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "encode.h"

#define COMMENT_DEPTH_MAX 32

void addr_list_init(struct addr_list *l)
{
	memset(l, 0, sizeof(*l));
}

void addr_list_clear(struct addr_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].mailbox);
	}
	free(l->v);
	addr_list_init(l);
}

void addr_list_copy(struct addr_list *dst, const struct addr_list *src)
{
	addr_list_clear(dst);
	addr_list_merge(dst, src);
}

bool addr_list_contains(const struct addr_list *l, const char *mailbox)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i].mailbox, mailbox) == 0)
			return true;
	return false;
}

bool addr_list_add(struct addr_list *l, const char *name, const char *mailbox)
{
	if (!mailbox || !addr_mailbox_valid(mailbox) || addr_list_contains(l, mailbox) || l->n >= ADDR_MAX)
		return false;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	char *clean = encode_header_clean(name ? name : "");
	if (strcasecmp(clean, mailbox) == 0)
		clean[0] = '\0'; /* "a@b <a@b>" says nothing more than a@b */
	l->v[l->n].name = clean;
	l->v[l->n].mailbox = xstrdup(mailbox);
	l->n++;
	return true;
}

void addr_list_merge(struct addr_list *l, const struct addr_list *src)
{
	for (size_t i = 0; i < src->n; i++)
		addr_list_add(l, src->v[i].name, src->v[i].mailbox);
}

void addr_list_remove(struct addr_list *l, const struct addr_list *drop)
{
	size_t o = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (addr_list_contains(drop, l->v[i].mailbox)) {
			free(l->v[i].name);
			free(l->v[i].mailbox);
		} else {
			l->v[o++] = l->v[i];
		}
	}
	l->n = o;
}

/* ---- validation ---- */

static bool atext(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static bool valid_local(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	if (s[0] == '"') {
		if (n < 2 || s[n - 1] != '"')
			return false;
		for (size_t i = 1; i + 1 < n; i++) {
			if (s[i] == '\\') {
				if (++i + 1 >= n)
					return false;
			} else if (s[i] == '"') {
				return false;
			}
		}
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (i == 0 || i + 1 == n || s[i + 1] == '.')
				return false;
		} else if (!atext((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

static bool valid_domain(const char *s, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	if (s[0] == '[')
		return n > 2 && s[n - 1] == ']' && strcspn(s + 1, "[]\\") == n - 2;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (isalnum(c) || (c == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && s[n - 1] != '-';
}

bool addr_mailbox_valid(const char *m)
{
	size_t n = strlen(m);
	if (n == 0 || n > ADDR_MAX_MAILBOX || !encode_is_ascii(m, n))
		return false;
	const char *at = strrchr(m, '@');
	if (!at)
		return false;
	return valid_local(m, (size_t)(at - m)) && valid_domain(at + 1, n - (size_t)(at - m) - 1);
}

/* ---- parsing ---- */

struct scan {
	const char *s;
	size_t i, n;
	struct strbuf phrase;  /* display text: quoted strings unquoted, blanks collapsed */
	struct strbuf spec;    /* the raw text outside comments, for a bare addr-spec */
	struct strbuf comment; /* text of the comments, a fallback display name */
	char *angle;           /* owned: what was inside <...>, or NULL */
};

static void scan_reset(struct scan *sc)
{
	strbuf_reset(&sc->phrase);
	strbuf_reset(&sc->spec);
	strbuf_reset(&sc->comment);
	xfree(&sc->angle);
}

/* A short, printable quote of bad input for an error message. */
static char *quote_bad(const char *s, size_t n)
{
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < n && b.len < 60; i++)
		strbuf_addc(&b, ((unsigned char)s[i] < 0x20 || s[i] == 0x7F) ? '?' : s[i]);
	if (b.len >= 60)
		strbuf_adds(&b, "...");
	char *clean = encode_header_clean(b.s ? b.s : "");
	strbuf_free(&b);
	return clean;
}

static bool fail(char **err, const char *fmt, const char *s, size_t n)
{
	char *q = quote_bad(s, n);
	*err = xasprintf(fmt, q);
	free(q);
	return false;
}

static void add_space(struct strbuf *b)
{
	if (b->s && b->len && b->s[b->len - 1] != ' ')
		strbuf_addc(b, ' ');
}

static bool scan_quoted(struct scan *sc, char **err)
{
	size_t start = sc->i++;
	while (sc->i < sc->n && sc->s[sc->i] != '"') {
		if (sc->s[sc->i] == '\\' && sc->i + 1 < sc->n)
			sc->i++;
		strbuf_addc(&sc->phrase, sc->s[sc->i]);
		sc->i++;
	}
	if (sc->i >= sc->n)
		return fail(err, "unterminated quote in '%s'", sc->s + start, sc->n - start);
	sc->i++;
	strbuf_add(&sc->spec, sc->s + start, sc->i - start);
	return true;
}

static bool scan_comment(struct scan *sc, char **err)
{
	size_t start = sc->i++;
	int depth = 1;
	add_space(&sc->comment);
	while (sc->i < sc->n && depth > 0) {
		char c = sc->s[sc->i];
		if (c == '\\' && sc->i + 1 < sc->n) {
			sc->i++;
			c = sc->s[sc->i];
		} else if (c == '(') {
			if (++depth > COMMENT_DEPTH_MAX)
				return fail(err, "comments nested too deep in '%s'", sc->s + start, sc->n - start);
		} else if (c == ')') {
			depth--;
		}
		if (depth > 0)
			strbuf_addc(&sc->comment, c);
		sc->i++;
	}
	if (depth > 0)
		return fail(err, "unterminated comment in '%s'", sc->s + start, sc->n - start);
	return true;
}

static bool scan_angle(struct scan *sc, char **err)
{
	size_t start = ++sc->i;
	/* a quoted local part and a domain literal may hold '<' and '>' */
	bool quoted = false, literal = false;
	while (sc->i < sc->n && (quoted || literal || (sc->s[sc->i] != '>' && sc->s[sc->i] != '<'))) {
		char c = sc->s[sc->i];
		if (quoted && c == '\\' && sc->i + 1 < sc->n)
			sc->i++;
		else if (c == '"' && !literal)
			quoted = !quoted;
		else if (!quoted && (c == '[' || c == ']'))
			literal = c == '[';
		sc->i++;
	}
	if (sc->i >= sc->n || sc->s[sc->i] != '>')
		return fail(err, "missing '>' after '<%s'", sc->s + start, sc->i - start);
	const char *a = sc->s + start;
	size_t len = sc->i - start;
	sc->i++;
	/* an obsolete source route "<@relay:user@host>" is ignored */
	if (len && a[0] == '@') {
		const char *colon = memchr(a, ':', len);
		if (colon) {
			len -= (size_t)(colon + 1 - a);
			a = colon + 1;
		}
	}
	while (len && isspace((unsigned char)a[0])) {
		a++;
		len--;
	}
	while (len && isspace((unsigned char)a[len - 1]))
		len--;
	free(sc->angle);
	sc->angle = xstrndup(a, len);
	return true;
}

/* After <...> only blanks and comments may come before the separator. */
static bool scan_after_angle(struct scan *sc, char **err)
{
	while (sc->i < sc->n && sc->s[sc->i] != ',' && sc->s[sc->i] != ';') {
		char c = sc->s[sc->i];
		if (c == '(') {
			if (!scan_comment(sc, err))
				return false;
		} else if (isspace((unsigned char)c)) {
			sc->i++;
		} else {
			return fail(err, "unexpected text after an address: '%s'", sc->s + sc->i, sc->n - sc->i);
		}
	}
	return true;
}

/* Scan one entry up to its separator.  *group is set for "name:". */
static bool scan_entry(struct scan *sc, bool *group, char **err)
{
	*group = false;
	while (sc->i < sc->n) {
		char c = sc->s[sc->i];
		if (c == ',' || c == ';')
			return true;
		if (c == '"') {
			if (!scan_quoted(sc, err))
				return false;
		} else if (c == '(') {
			if (!scan_comment(sc, err))
				return false;
		} else if (c == '<') {
			return scan_angle(sc, err) && scan_after_angle(sc, err);
		} else if (c == ':' && !memchr(sc->spec.s ? sc->spec.s : "", '@', sc->spec.len)) {
			*group = true; /* the group's name is dropped; members follow */
			sc->i++;
			return true;
		} else if (isspace((unsigned char)c)) {
			add_space(&sc->phrase);
			add_space(&sc->spec);
			sc->i++;
		} else {
			strbuf_addc(&sc->phrase, c);
			strbuf_addc(&sc->spec, c);
			sc->i++;
		}
	}
	return true;
}

static char *trimmed(const struct strbuf *b)
{
	const char *s = b->s ? b->s : "";
	size_t n = b->len;
	while (n && s[0] == ' ') {
		s++;
		n--;
	}
	while (n && s[n - 1] == ' ')
		n--;
	return xstrndup(s, n);
}

static bool check_mailbox(const char *mb, char **err)
{
	if (addr_mailbox_valid(mb))
		return true;
	if (!encode_is_ascii(mb, strlen(mb)))
		return fail(err, "'%s': addresses with non-ASCII characters are not supported", mb, strlen(mb));
	return fail(err, "'%s' is not a valid address (expected name@example.org)", mb, strlen(mb));
}

/* Turn what scan_entry collected into an address (or nothing). */
static bool finish_entry(struct scan *sc, struct addr_list *out, char **err)
{
	char *name = trimmed(&sc->phrase);
	char *comment = trimmed(&sc->comment);
	char *mb = sc->angle ? xstrdup(sc->angle) : trimmed(&sc->spec);
	bool ok = true;
	if (!sc->angle) {
		free(name);
		name = comment;
		comment = NULL;
	}
	if (*mb) {
		ok = check_mailbox(mb, err);
		if (ok && out->n >= ADDR_MAX && !addr_list_contains(out, mb))
			ok = fail(err, "too many addresses (at most %s)", "1000", 4);
		if (ok)
			addr_list_add(out, *name ? name : comment, mb);
	} else if (sc->angle) {
		ok = fail(err, "empty address '<>'%s", "", 0);
	}
	free(name);
	free(comment);
	free(mb);
	return ok;
}

bool addr_parse(const char *in, struct addr_list *out, char **err)
{
	*err = NULL;
	size_t n = strlen(in);
	if (n > ADDR_MAX_INPUT) {
		*err = xstrdup("the address list is too long");
		return false;
	}
	struct scan sc = { .s = in, .n = n };
	strbuf_init(&sc.phrase);
	strbuf_init(&sc.spec);
	strbuf_init(&sc.comment);
	bool ok = true;
	while (ok && sc.i < n) {
		char c = in[sc.i];
		if (c == ',' || c == ';' || isspace((unsigned char)c)) {
			sc.i++;
			continue;
		}
		bool group;
		scan_reset(&sc);
		ok = scan_entry(&sc, &group, err);
		if (ok && !group)
			ok = finish_entry(&sc, out, err);
	}
	scan_reset(&sc);
	strbuf_free(&sc.phrase);
	strbuf_free(&sc.spec);
	strbuf_free(&sc.comment);
	return ok;
}

/* ---- formatting ---- */

static bool needs_quotes(const char *s)
{
	return strpbrk(s, ",;<>@:\"()[]\\.") != NULL;
}

/* A mailbox without a name may stand bare only when nothing in it could
 * be read as list or group syntax (a quoted local part or a domain
 * literal can hold ',', ';', ':' ...); otherwise it goes in <>. */
static bool bare_ok(const char *mailbox)
{
	return !strpbrk(mailbox, ",;:<>()[]\" \\\t");
}

char *addr_format(const struct addr *a)
{
	if (!a->name || !*a->name)
		return bare_ok(a->mailbox) ? xstrdup(a->mailbox) : xasprintf("<%s>", a->mailbox);
	if (!needs_quotes(a->name))
		return xasprintf("%s <%s>", a->name, a->mailbox);
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addc(&b, '"');
	for (const char *p = a->name; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addc(&b, '\\');
		strbuf_addc(&b, *p);
	}
	strbuf_addf(&b, "\" <%s>", a->mailbox);
	return strbuf_detach(&b);
}

char *addr_list_format(const struct addr_list *l)
{
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < l->n; i++) {
		char *s = addr_format(&l->v[i]);
		if (i)
			strbuf_adds(&b, ", ");
		strbuf_adds(&b, s);
		free(s);
	}
	return strbuf_detach(&b);
}

char *addr_list_encode(const struct addr_list *l)
{
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			strbuf_adds(&b, ", ");
		if (l->v[i].name && *l->v[i].name) {
			encode_rfc2047_phrase(l->v[i].name, &b);
			strbuf_addf(&b, " <%s>", l->v[i].mailbox);
		} else if (bare_ok(l->v[i].mailbox)) {
			strbuf_adds(&b, l->v[i].mailbox);
		} else {
			strbuf_addf(&b, "<%s>", l->v[i].mailbox);
		}
	}
	return strbuf_detach(&b);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

char *addr_from_list_post(const char *value)
{
	if (!value)
		return NULL;
	for (const char *p = value; (p = strchr(p, '<')) != NULL; p++) {
		if (strncasecmp(p + 1, "mailto:", 7) != 0)
			continue;
		const char *s = p + 8;
		size_t len = strcspn(s, ">?");
		struct strbuf b;
		strbuf_init(&b);
		for (size_t i = 0; i < len; i++) {
			int h, l;
			if (s[i] == '%' && i + 2 < len && (h = hexval(s[i + 1])) >= 0 && (l = hexval(s[i + 2])) >= 0) {
				strbuf_addc(&b, (char)(h * 16 + l));
				i += 2;
			} else {
				strbuf_addc(&b, s[i]);
			}
		}
		char *mb = strbuf_detach(&b);
		if (addr_mailbox_valid(mb))
			return mb;
		free(mb);
	}
	return NULL;
}
