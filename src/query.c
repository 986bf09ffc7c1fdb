/* query.c - mutt's query_command protocol (query.h). */
#include "query.h"

#include <string.h>

#include "addr.h"
#include "runcmd.h"
#include "util.h"

char *query_command_line(const char *command)
{
	struct strbuf b;
	strbuf_init(&b);
	char q = 0; /* the quote we are inside: 0, '\'' or '"' */
	bool used = false;
	for (const char *c = command; *c; c++) {
		if (c[0] == '%' && c[1] == '%') {
			strbuf_addc(&b, '%');
			c++;
		} else if (c[0] == '%' && c[1] == 's') {
			strbuf_adds(&b, q == '\'' ? "'\"$1\"'" : q == '"' ? "$1" : "\"$1\"");
			used = true;
			c++;
		} else {
			if (*c == '\\' && q != '\'' && c[1]) {
				strbuf_addc(&b, *c++);
			} else if ((*c == '\'' || *c == '"') && (!q || q == *c)) {
				q = q ? 0 : *c;
			}
			strbuf_addc(&b, *c);
		}
	}
	if (!used)
		strbuf_adds(&b, " \"$1\"");
	return strbuf_detach(&b);
}

/* s[0..n) with controls as spaces.  New string. */
static char *clean(const char *s, size_t n)
{
	char *r = xstrndup(s, n);
	for (char *c = r; *c; c++)
		if ((unsigned char)*c < ' ' || *c == 127)
			*c = ' ';
	return r;
}

static void parse_line(const char *s, size_t n, struct query_results *out)
{
	const char *t1 = memchr(s, '\t', n);
	size_t alen = t1 ? (size_t)(t1 - s) : n;
	char *addr = clean(s, alen);
	if (!addr_mailbox_valid(addr) || out->n >= QUERY_MAX_RESULTS) {
		free(addr);
		return;
	}
	const char *rest = t1 ? t1 + 1 : s + n;
	size_t rn = (size_t)(s + n - rest);
	const char *t2 = memchr(rest, '\t', rn);
	struct query_result *r;
	out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
	r = &out->v[out->n++];
	r->address = addr;
	r->name = clean(rest, t2 ? (size_t)(t2 - rest) : rn);
	r->other = t2 ? clean(t2 + 1, (size_t)(s + n - t2 - 1)) : xstrdup("");
}

void query_parse(const char *text, size_t len, struct query_results *out)
{
	memset(out, 0, sizeof(*out));
	const char *p = text, *end = text + len;
	for (bool first = true; p < end; first = false) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (first)
			out->status = clean(p, n);
		else
			parse_line(p, n, out);
		p = eol ? eol + 1 : end;
	}
	if (!out->status)
		out->status = xstrdup("");
}

void query_results_clear(struct query_results *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].address);
		free(r->v[i].name);
		free(r->v[i].other);
	}
	free(r->v);
	free(r->status);
	memset(r, 0, sizeof(*r));
}

bool query_run(const char *command, const char *query, long timeout_ms, struct query_results *out, char **err)
{
	memset(out, 0, sizeof(*out));
	*err = NULL;
	char *line = query_command_line(command);
	const char *args[] = { query, NULL };
	struct runcmd r = { .what = "query_command", .cmd = line, .args = args, .output = RUNCMD_OUT_CAPTURE,
			    .out_max = QUERY_MAX_OUTPUT, .timeout_ms = timeout_ms > 0 ? timeout_ms : QUERY_TIMEOUT_MS };
	char *text = NULL;
	size_t len = 0;
	enum runcmd_status st = runcmd_run(&r, &text, &len, err);
	free(line);
	if (st == RUNCMD_OK || st == RUNCMD_ERR_EXIT)
		query_parse(text ? text : "", len, out);
	free(text);
	if (st == RUNCMD_ERR_EXIT && (out->n > 0 || (out->status && *out->status))) {
		xfree(err);
		st = RUNCMD_OK;
	}
	if (st != RUNCMD_OK)
		query_results_clear(out);
	return st == RUNCMD_OK;
}

char *query_result_format(const struct query_result *r)
{
	struct addr a = { .name = r->name, .mailbox = r->address };
	return addr_format(&a);
}
