/* hooks.c - mutt's hooks (hooks.h).
 *
 * The header matcher is a small recursive descent over the part of mutt's
 * pattern grammar that a message's headers can answer:
 *   or    := and ( '|' and )*
 *   and   := unary unary*
 *   unary := '!' unary | '(' or ')' | '~' LETTER [regex]
 * compiled into a tree of nodes, each field node holding its regex_t.
 */
#include "hooks.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "pattern.h"
#include "runcmd.h"
#include "util.h"

#define HOOK_MAX_DEPTH 32

enum node_kind { N_AND, N_OR, N_NOT, N_FIELD, N_ALL };

struct node {
	enum node_kind kind;
	char field;         /* N_FIELD: t c C f s l */
	bool has_rx;
	regex_t rx;
	struct node *a, *b; /* owned */
};

struct hook {
	enum hook_type type;
	char *pattern;      /* owned, as written (NULL: none) */
	char *command;      /* owned */
	bool negate;        /* folder/account: `!regex` */
	bool has_rx;
	regex_t rx;         /* folder/account */
	struct node *match; /* owned: send/reply/message header matcher, or NULL */
	char *query;        /* owned: message-hook as a notmuch query, or NULL */
};

struct hooks {
	struct hook *v; /* owned */
	size_t n, cap;
};

size_t hooks_count(const hooks_t *h, enum hook_type t)
{
	size_t n = 0;
	for (size_t i = 0; i < h->n; i++)
		n += t == HOOK_NONE || h->v[i].type == t;
	return n;
}

static const char *const type_names[HOOK_NTYPES] = {
	[HOOK_FOLDER] = "folder-hook",	   [HOOK_SEND] = "send-hook",	      [HOOK_REPLY] = "reply-hook",
	[HOOK_MESSAGE] = "message-hook",   [HOOK_ACCOUNT] = "account-hook",   [HOOK_STARTUP] = "startup-hook",
	[HOOK_SHUTDOWN] = "shutdown-hook", [HOOK_NEW_MAIL] = "new-mail-hook", [HOOK_SENT] = "sent-hook",
};

enum hook_type hooks_type_by_name(const char *name)
{
	for (int i = 0; i < HOOK_NTYPES; i++)
		if (strcmp(name, type_names[i]) == 0)
			return (enum hook_type)i;
	return HOOK_NONE;
}

const char *hooks_type_name(enum hook_type t)
{
	return t >= 0 && t < HOOK_NTYPES ? type_names[t] : "?";
}

bool hooks_type_has_pattern(enum hook_type t)
{
	return t == HOOK_FOLDER || t == HOOK_SEND || t == HOOK_REPLY || t == HOOK_MESSAGE || t == HOOK_ACCOUNT;
}

/* ---- the header matcher ---- */

static void node_free(struct node *n)
{
	if (!n)
		return;
	node_free(n->a);
	node_free(n->b);
	if (n->has_rx)
		regfree(&n->rx);
	free(n);
}

struct mparse {
	const char *s;
	int depth;
	char *err; /* owned: the first error */
};

static struct node *mfail(struct mparse *p, char *msg)
{
	if (!p->err)
		p->err = msg;
	else
		free(msg);
	return NULL;
}

static struct node *new_node(enum node_kind k, struct node *a, struct node *b)
{
	struct node *n = xcalloc(1, sizeof(*n));
	n->kind = k;
	n->a = a;
	n->b = b;
	return n;
}

/* The regex after ~X: "quoted", 'quoted' or up to a blank (or `)` in a group). */
static char *read_regex(struct mparse *p)
{
	while (isspace((unsigned char)*p->s))
		p->s++;
	struct strbuf v;
	strbuf_init(&v);
	char q = (*p->s == '"' || *p->s == '\'') ? *p->s++ : 0;
	while (*p->s && (q ? *p->s != q : !isspace((unsigned char)*p->s) && !(*p->s == ')' && p->depth > 0))) {
		if (*p->s == '\\' && p->s[1] && (q ? p->s[1] == q : strchr("() ", p->s[1]) != NULL))
			p->s++; /* an escaped quote, paren or blank; other escapes are the regex's */
		strbuf_addc(&v, *p->s++);
	}
	if (q && *p->s != q) {
		strbuf_free(&v);
		return mfail(p, xstrdup("a quote is not closed")), NULL;
	}
	if (q)
		p->s++;
	return strbuf_detach(&v);
}

/* mutt's smart case: a regex with no upper-case letter ignores case.
 * glibc's regcomp copies the tree under each + and {n}, so stacked ones
 * grow exponentially: refused with the limits pattern.c applies. */
static bool compile_rx(regex_t *rx, const char *re, bool smart_case)
{
	size_t plus = 0;
	for (const char *c = re; *c; c++)
		plus += *c == '+';
	if (strchr(re, '{') || plus > 8 || strlen(re) > 256)
		return false;
	bool icase = smart_case;
	for (const char *c = re; smart_case && *c; c++)
		if (isupper((unsigned char)*c))
			icase = false;
	return regcomp(rx, re, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0)) == 0;
}

static struct node *parse_field(struct mparse *p)
{
	char op = p->s[1];
	if (!op || !strchr("tcCfslA", op))
		return mfail(p, xasprintf("~%c is not supported in hooks that match headers (use ~t ~c ~C ~f ~s ~l ~A)",
					  op ? op : ' '));
	p->s += 2;
	if (op == 'A' || op == 'l') {
		struct node *n = new_node(op == 'A' ? N_ALL : N_FIELD, NULL, NULL);
		n->field = op;
		return n;
	}
	char *re = read_regex(p);
	if (!re)
		return NULL;
	struct node *n = new_node(N_FIELD, NULL, NULL);
	n->field = op;
	n->has_rx = *re && compile_rx(&n->rx, re, true);
	bool bad = !n->has_rx;
	free(re);
	if (bad) {
		node_free(n);
		return mfail(p, xasprintf("~%c needs a valid regular expression (no {n}, at most 8 +, 256 bytes)", op));
	}
	return n;
}

static struct node *parse_or(struct mparse *p);

static struct node *parse_unary(struct mparse *p)
{
	while (isspace((unsigned char)*p->s))
		p->s++;
	if (p->depth >= HOOK_MAX_DEPTH)
		return mfail(p, xstrdup("the pattern is nested too deeply"));
	if (*p->s == '!' || *p->s == '(') {
		bool neg = *p->s++ == '!';
		p->depth++;
		struct node *n = neg ? parse_unary(p) : parse_or(p);
		p->depth--;
		while (!neg && isspace((unsigned char)*p->s))
			p->s++;
		if (n && !neg && *p->s != ')') {
			node_free(n);
			return mfail(p, xstrdup("a ( is not closed"));
		}
		if (n && !neg)
			p->s++;
		return n && neg ? new_node(N_NOT, n, NULL) : n;
	}
	if (*p->s == '~')
		return parse_field(p);
	return mfail(p, xstrdup(*p->s ? "a pattern term starts with ~" : "the pattern ends too early"));
}

static bool at_and_end(struct mparse *p)
{
	while (isspace((unsigned char)*p->s))
		p->s++;
	return !*p->s || *p->s == '|' || *p->s == ')';
}

static struct node *parse_and(struct mparse *p)
{
	struct node *n = parse_unary(p);
	while (n && !at_and_end(p)) {
		struct node *r = parse_unary(p);
		n = r ? new_node(N_AND, n, r) : (node_free(n), NULL);
	}
	return n;
}

static struct node *parse_or(struct mparse *p)
{
	struct node *n = parse_and(p);
	while (n && *p->s == '|') {
		p->s++;
		struct node *r = parse_and(p);
		n = r ? new_node(N_OR, n, r) : (node_free(n), NULL);
	}
	return n;
}

static struct node *compile_match(const char *pattern, char **err)
{
	struct mparse p = { .s = pattern };
	struct node *n = parse_or(&p);
	if (n && *p.s) {
		node_free(n);
		n = mfail(&p, xstrdup(*p.s == ')' ? "a ) has no (" : "unexpected text after the pattern"));
	}
	*err = p.err;
	return n;
}

/* ---- matching headers ---- */

static bool addr_hit(const regex_t *rx, const struct addr_list *l)
{
	for (size_t i = 0; l && i < l->n; i++) {
		char *full = addr_format(&l->v[i]);
		bool hit = regexec(rx, l->v[i].mailbox, 0, NULL, 0) == 0 || regexec(rx, full, 0, NULL, 0) == 0;
		free(full);
		if (hit)
			return true;
	}
	return false;
}

/* ~l: a recipient matches one of the user's list regexes. */
static bool to_list(const struct hook_msg *m)
{
	for (size_t i = 0; m->lists && m->lists[i]; i++) {
		regex_t rx;
		if (!compile_rx(&rx, m->lists[i], true))
			continue;
		bool hit = addr_hit(&rx, m->to) || addr_hit(&rx, m->cc);
		regfree(&rx);
		if (hit)
			return true;
	}
	return false;
}

static bool eval(const struct node *n, const struct hook_msg *m)
{
	switch (n->kind) {
	case N_AND: return eval(n->a, m) && eval(n->b, m);
	case N_OR: return eval(n->a, m) || eval(n->b, m);
	case N_NOT: return !eval(n->a, m);
	case N_ALL: return true;
	case N_FIELD: break;
	}
	switch (n->field) {
	case 't': return addr_hit(&n->rx, m->to);
	case 'c': return addr_hit(&n->rx, m->cc);
	case 'C': return addr_hit(&n->rx, m->to) || addr_hit(&n->rx, m->cc);
	case 'f': return addr_hit(&n->rx, m->from);
	case 's': return m->subject && regexec(&n->rx, m->subject, 0, NULL, 0) == 0;
	case 'l': return to_list(m);
	default: return false;
	}
}

/* ---- the table ---- */

hooks_t *hooks_new(void)
{
	return xcalloc(1, sizeof(hooks_t));
}

static void hook_clear(struct hook *k)
{
	free(k->pattern);
	free(k->command);
	if (k->has_rx)
		regfree(&k->rx);
	node_free(k->match);
	free(k->query);
}

void hooks_free(hooks_t **h)
{
	if (!*h)
		return;
	for (size_t i = 0; i < (*h)->n; i++)
		hook_clear(&(*h)->v[i]);
	free((*h)->v);
	xfree(h);
}

/* folder-hook/account-hook: [!]regex, a leading = or + dropped. */
static bool compile_name(struct hook *k, const char *pattern, char **err)
{
	const char *re = pattern;
	k->negate = *re == '!';
	re += k->negate;
	if (*re == '=' || *re == '+')
		re++;
	k->has_rx = compile_rx(&k->rx, *re ? re : ".", false);
	if (!k->has_rx)
		*err = xasprintf("%s: '%s' is not a valid regular expression", type_names[k->type], pattern);
	return k->has_rx;
}

/* send/reply/message-hook: a mutt pattern, or a bare regex on the
 * recipients (send) or the sender (reply, message) as default_hook. */
static bool compile_msg(struct hook *k, const char *pattern, char **err)
{
	char *merr = NULL;
	if (strcmp(pattern, ".") == 0) {
		/* mutt's default-hook idiom means every message, also a new one
		 * whose recipients are typed in the editor (none yet) */
		k->match = new_node(N_ALL, NULL, NULL);
	} else if (!pattern_is_mutt(pattern)) {
		k->match = new_node(N_FIELD, NULL, NULL);
		k->match->field = k->type == HOOK_SEND ? 'C' : 'f';
		k->match->has_rx = compile_rx(&k->match->rx, pattern, true);
		if (!k->match->has_rx)
			merr = xasprintf("'%s' is not a valid regular expression", pattern);
	} else {
		k->match = compile_match(pattern, &merr);
	}
	if (k->type == HOOK_MESSAGE && pattern_is_mutt(pattern)) {
		char *qerr = NULL;
		k->query = pattern_to_notmuch(pattern, &qerr);
		free(qerr);
	}
	if (merr && !k->query) {
		*err = xasprintf("%s %s: %s", type_names[k->type], pattern, merr);
		free(merr);
		return false;
	}
	free(merr);
	return true;
}

static bool duplicate(const hooks_t *h, enum hook_type t, const char *pattern, const char *command)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->v[i].type == t && strcmp(h->v[i].command, command) == 0 &&
		    strcmp(h->v[i].pattern ? h->v[i].pattern : "", pattern ? pattern : "") == 0)
			return true;
	return false;
}

bool hooks_add(hooks_t *h, enum hook_type t, const char *pattern, const char *command, char **err)
{
	*err = NULL;
	if (t < 0 || t >= HOOK_NTYPES)
		return (*err = xstrdup("unknown hook type")), false;
	bool want = hooks_type_has_pattern(t);
	if (want && (!pattern || !*pattern))
		return (*err = xasprintf("%s needs a pattern and a command", type_names[t])), false;
	if (!command || !*command)
		return (*err = xasprintf("%s needs a command", type_names[t])), false;
	if (duplicate(h, t, want ? pattern : NULL, command))
		return true;
	struct hook k = { .type = t, .pattern = want ? xstrdup(pattern) : NULL, .command = xstrdup(command) };
	bool ok = true;
	if (t == HOOK_FOLDER || t == HOOK_ACCOUNT)
		ok = compile_name(&k, pattern, err);
	else if (want)
		ok = compile_msg(&k, pattern, err);
	if (!ok) {
		hook_clear(&k);
		return false;
	}
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 16;
		h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
	}
	h->v[h->n++] = k;
	return true;
}

size_t hooks_remove(hooks_t *h, enum hook_type t)
{
	size_t kept = 0, n = h->n;
	for (size_t i = 0; i < n; i++) {
		if (t == HOOK_NONE || h->v[i].type == t)
			hook_clear(&h->v[i]);
		else
			h->v[kept++] = h->v[i];
	}
	h->n = kept;
	return n - kept;
}

static bool matches(const struct hook *k, const struct hook_ctx *ctx)
{
	switch (k->type) {
	case HOOK_FOLDER:
	case HOOK_ACCOUNT:
		return ctx && ctx->name && (regexec(&k->rx, ctx->name, 0, NULL, 0) == 0) != k->negate;
	case HOOK_SEND:
	case HOOK_REPLY:
	case HOOK_MESSAGE:
		if (!ctx)
			return false;
		if (k->match && ctx->msg)
			return eval(k->match, ctx->msg);
		return k->query && ctx->query_match && ctx->query_match(ctx->ud, k->query);
	default:
		return true;
	}
}

const char **hooks_collect(const hooks_t *h, enum hook_type t, const struct hook_ctx *ctx, size_t *n)
{
	const char **out = xcalloc(h->n + 1, sizeof(char *));
	*n = 0;
	for (size_t i = 0; i < h->n; i++)
		if (h->v[i].type == t && matches(&h->v[i], ctx))
			out[(*n)++] = h->v[i].command;
	return out;
}

bool hooks_run_event(const char *cmd, const char *const *env, const char *in, size_t in_len, long timeout_ms,
		     char **err)
{
	struct runcmd r = { .what = "hook", .cmd = cmd, .env = env, .in = in, .in_len = in_len,
			    .output = RUNCMD_OUT_NULL, .timeout_ms = timeout_ms };
	return runcmd_run(&r, NULL, NULL, err) == RUNCMD_OK;
}
