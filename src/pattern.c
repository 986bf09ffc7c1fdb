/* pattern.c - mutt's search patterns as notmuch queries (pattern.h).
 *
 * A recursive descent over mutt's grammar:
 *   or     := and ( '|' and )*
 *   and    := unary unary*            (juxtaposition is "and")
 *   unary  := '!' unary | '(' or ')' | '~' LETTER [value]
 * writing the notmuch query as it goes.  Both languages bind "and"
 * tighter than "or", so no extra parentheses are needed.  A value ends
 * at white space, at one of `~ % = ! |` after its first character (as
 * in mutt's tokenizer, which lets `~d =1d` through) and,
 * inside a group, at `)`; quoted values ("…" or '…') keep everything.
 */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "util.h"

#define PATTERN_MAX_DEPTH 64

struct pat {
	const char *s;      /* foreign: the rest of the input */
	int depth;          /* open groups and `!`s */
	struct strbuf out;  /* owned: the query so far */
	char *err;          /* owned: the first error, or NULL */
};

static bool fail(struct pat *p, const char *fmt, const char *what)
{
	if (!p->err)
		p->err = xasprintf(fmt, what);
	return false;
}

static void skip_space(struct pat *p)
{
	while (*p->s && isspace((unsigned char)*p->s))
		p->s++;
}

bool pattern_is_mutt(const char *in)
{
	for (const char *c = in; *c; c++)
		if (*c == '~' && (c == in || isspace((unsigned char)c[-1]) || strchr("(!|", c[-1])))
			return true;
	return false;
}

/* The value after ~X, unquoted; NULL (with an error) when there is none. */
static char *read_value(struct pat *p, char op)
{
	skip_space(p);
	struct strbuf v;
	strbuf_init(&v);
	if (*p->s == '"' || *p->s == '\'') {
		char q = *p->s++;
		while (*p->s && *p->s != q) {
			if (*p->s == '\\' && p->s[1])
				p->s++;
			strbuf_addc(&v, *p->s++);
		}
		if (*p->s != q) {
			strbuf_free(&v);
			fail(p, "%s: the quote is not closed", (char[]){ '~', op, 0 });
			return NULL;
		}
		p->s++;
	} else {
		while (*p->s && !isspace((unsigned char)*p->s) && !(v.len && strchr("~%=!|", *p->s)) &&
		       !(*p->s == ')' && p->depth > 0)) {
			if (*p->s == '\\' && p->s[1])
				p->s++;
			strbuf_addc(&v, *p->s++);
		}
	}
	if (!v.len) {
		strbuf_free(&v);
		fail(p, "%s needs a value", (char[]){ '~', op, 0 });
		return NULL;
	}
	return strbuf_detach(&v);
}

/* `prefix:"value"` with Xapian's quote doubling; a value with regular
 * expression characters becomes notmuch's `prefix:"/re/"` where notmuch
 * supports it. */
static bool add_term(struct pat *p, char op, const char *prefix, bool regex_ok, const char *v)
{
	bool re = strpbrk(v, "[]()*+?^$|\\{}") != NULL;
	if (re) {
		char name[3] = { '~', op, 0 };
		if (!regex_ok)
			return fail(p, "%s: regular expressions are not supported here (notmuch matches words)", name);
		/* glibc's regcomp copies the tree under each + and {n}: stacked
		 * ones grow exponentially (fuzz_pattern found ~s t+++…++ taking
		 * gigabytes), and notmuch would compile the same regex */
		size_t plus = 0;
		for (const char *c = v; *c; c++)
			plus += *c == '+';
		if (strchr(v, '{') || plus > 8 || strlen(v) > 256)
			return fail(p, "%s: the regular expression is too complex ({n}, more than 8 +, over 256 bytes)",
				    name);
		regex_t rx;
		if (regcomp(&rx, v, REG_EXTENDED | REG_NOSUB) != 0)
			return fail(p, "%s: not a valid regular expression", name);
		regfree(&rx);
	}
	if (*prefix)
		strbuf_addf(&p->out, "%s:", prefix);
	strbuf_addc(&p->out, '"');
	if (re)
		strbuf_addc(&p->out, '/');
	for (const char *c = v; *c; c++) {
		if (*c == '"')
			strbuf_addc(&p->out, '"');
		strbuf_addc(&p->out, *c);
	}
	if (re)
		strbuf_addc(&p->out, '/');
	strbuf_addc(&p->out, '"');
	return true;
}

/* mutt's relative unit letter as notmuch's word. */
static const char *date_unit(char u)
{
	switch (u) {
	case 'y': return "years";
	case 'm': return "months";
	case 'w': return "weeks";
	case 'd': return "days";
	case 'H': return "hours";
	case 'M': return "minutes";
	case 'S': return "seconds";
	default: return NULL;
	}
}

/* DD/MM/YYYY (or YY: below 70 is 20YY) as YYYY-MM-DD into out[11]. */
static bool abs_date(const char *s, size_t n, char *out)
{
	char buf[16];
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	int d, m, y, used = 0;
	if (sscanf(buf, "%2d/%2d/%4d%n", &d, &m, &y, &used) != 3 || (size_t)used != n)
		return false;
	if (strlen(strrchr(buf, '/') + 1) == 2)
		y += y < 70 ? 2000 : 1900;
	if (d < 1 || d > 31 || m < 1 || m > 12 || y < 1900 || y > 9999)
		return false;
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
	return true;
}

static bool add_date(struct pat *p, const char *v)
{
	static const char fmt_help[] = "~d %s: use <N or >N (units y m w d H M S) or DD/MM/YYYY[-DD/MM/YYYY]";
	if (*v == '<' || *v == '>') {
		char *end;
		long n = strtol(v + 1, &end, 10);
		const char *unit = end > v + 1 && n >= 0 && n < 100000 && end[1] == 0 ? date_unit(end[0]) : NULL;
		if (!unit)
			return fail(p, fmt_help, v);
		if (*v == '<')
			strbuf_addf(&p->out, "date:%ld%s..", n, unit);
		else
			strbuf_addf(&p->out, "date:..%ld%s", n, unit);
		return true;
	}
	if (*v == '=')
		return fail(p, "~d %s: an exact age (=) is not supported; use < and >", v);
	char a[11] = "", b[11] = "";
	const char *dash = strchr(v, '-');
	size_t alen = dash ? (size_t)(dash - v) : strlen(v);
	if (alen && !abs_date(v, alen, a))
		return fail(p, fmt_help, v);
	if (dash && dash[1] && !abs_date(dash + 1, strlen(dash + 1), b))
		return fail(p, fmt_help, v);
	if (!*a && !*b)
		return fail(p, fmt_help, v);
	strbuf_addf(&p->out, "date:%s..%s", a, dash ? b : a);
	return true;
}

/* What a pattern letter means: a fixed query, a field with a value, or
 * a reason it is not supported. */
struct pat_op {
	char op;
	const char *query;   /* without a value: the whole query */
	const char *prefix;  /* with a value: the notmuch prefix ("" = free text) */
	bool regex_ok;
	const char *refused; /* not supported: why */
};

static const struct pat_op pat_ops[] = {
	{ 'A', "path:**", NULL, false, NULL },
	{ 'N', "tag:unread", NULL, false, NULL },
	{ 'U', "tag:unread", NULL, false, NULL },
	{ 'R', "not tag:unread", NULL, false, NULL },
	{ 'F', "tag:flagged", NULL, false, NULL },
	{ 'Q', "tag:replied", NULL, false, NULL },
	{ 'f', NULL, "from", true, NULL },
	{ 's', NULL, "subject", true, NULL },
	{ 't', NULL, "to", false, NULL },
	{ 'c', NULL, "to", false, NULL },
	{ 'C', NULL, "to", false, NULL },
	{ 'b', NULL, "body", false, NULL },
	{ 'B', NULL, "", false, NULL },
	{ 'i', NULL, "id", false, NULL },
	{ 'y', NULL, "tag", true, NULL },
	{ 'O', NULL, NULL, false, "old messages (muttlike has no old/new distinction; use ~U)" },
	{ 'D', NULL, NULL, false, "deleted messages (delete moves to Trash; open the Trash)" },
	{ 'T', NULL, NULL, false, "tagged messages (use ; to act on the selection)" },
	{ 'h', NULL, NULL, false, "header matching (use a notmuch query)" },
	{ 'e', NULL, NULL, false, "the Sender header" },
	{ 'l', NULL, NULL, false, "known mailing lists" },
	{ 'm', NULL, NULL, false, "message numbers" },
	{ 'n', NULL, NULL, false, "scores" },
	{ 'r', NULL, NULL, false, "the received date (use ~d)" },
	{ 'x', NULL, NULL, false, "References (use a notmuch query with thread:)" },
	{ 'z', NULL, NULL, false, "message sizes" },
};

static bool parse_or(struct pat *p);

static bool parse_atom(struct pat *p)
{
	char op = p->s[1];
	char name[3] = { '~', op, 0 };
	if (!op || isspace((unsigned char)op))
		return fail(p, "%s needs a letter after it", "~");
	p->s += 2;
	if (op == 'd' || op == 'L') {
		char *v = read_value(p, op);
		if (!v)
			return false;
		bool ok = true;
		if (op == 'd')
			ok = add_date(p, v);
		else {
			strbuf_adds(&p->out, "(");
			ok = add_term(p, op, "from", true, v);
			strbuf_adds(&p->out, " or ");
			ok = ok && add_term(p, op, "to", false, v);
			strbuf_adds(&p->out, ")");
		}
		free(v);
		return ok;
	}
	for (size_t i = 0; i < sizeof(pat_ops) / sizeof(pat_ops[0]); i++) {
		const struct pat_op *o = &pat_ops[i];
		if (o->op != op)
			continue;
		if (o->refused) {
			if (!p->err)
				p->err = xasprintf("%s is not supported: %s", name, o->refused);
			return false;
		}
		if (o->query) {
			strbuf_adds(&p->out, o->query);
			return true;
		}
		char *v = read_value(p, op);
		bool ok = v && add_term(p, op, o->prefix, o->regex_ok, v);
		free(v);
		return ok;
	}
	return fail(p, "%s is not supported", name);
}

static bool parse_unary(struct pat *p)
{
	skip_space(p);
	if (p->depth >= PATTERN_MAX_DEPTH)
		return fail(p, "%s", "the pattern is nested too deeply");
	switch (*p->s) {
	case '!': {
		p->s++;
		strbuf_adds(&p->out, "not ");
		p->depth++;
		bool ok = parse_unary(p);
		p->depth--;
		return ok;
	}
	case '(': {
		p->s++;
		strbuf_addc(&p->out, '(');
		p->depth++;
		bool ok = parse_or(p);
		p->depth--;
		skip_space(p);
		if (!ok)
			return false;
		if (*p->s != ')')
			return fail(p, "%s", "a ( is not closed");
		p->s++;
		strbuf_addc(&p->out, ')');
		return true;
	}
	case '~':
		return parse_atom(p);
	case '=':
	case '%':
		return fail(p, "%s (exact strings and groups) is not supported", (char[]){ *p->s, p->s[1], 0 });
	case 0:
		return fail(p, "%s", "the pattern ends too early");
	default:
		return fail(p, "'%s': a mutt pattern term starts with ~ (or use notmuch syntax without ~)",
			    (char[]){ *p->s, 0 });
	}
}

static bool at_and_end(struct pat *p)
{
	skip_space(p);
	return !*p->s || *p->s == '|' || (*p->s == ')' && p->depth > 0);
}

static bool parse_and(struct pat *p)
{
	if (!parse_unary(p))
		return false;
	while (!at_and_end(p)) {
		if (*p->s == ')')
			return fail(p, "%s", "a ) has no (");
		strbuf_adds(&p->out, " and ");
		if (!parse_unary(p))
			return false;
	}
	return true;
}

static bool parse_or(struct pat *p)
{
	if (!parse_and(p))
		return false;
	while (*p->s == '|') {
		p->s++;
		strbuf_adds(&p->out, " or ");
		if (!parse_and(p))
			return false;
	}
	return true;
}

char *pattern_to_notmuch(const char *in, char **err)
{
	*err = NULL;
	if (!pattern_is_mutt(in))
		return xstrdup(in);
	struct pat p = { .s = in };
	strbuf_init(&p.out);
	bool ok = parse_or(&p);
	skip_space(&p);
	if (ok && *p.s)
		ok = fail(&p, "%s", *p.s == ')' ? "a ) has no (" : "unexpected text after the pattern");
	if (!ok) {
		strbuf_free(&p.out);
		*err = p.err ? p.err : xstrdup("not a valid pattern");
		return NULL;
	}
	/* ~A alone is notmuch's "*", which the lists know as "everything" */
	if (strcmp(p.out.s, "path:**") == 0) {
		strbuf_free(&p.out);
		return xstrdup("*");
	}
	return strbuf_detach(&p.out);
}
