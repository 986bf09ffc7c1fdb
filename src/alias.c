/* alias.c - mutt's aliases (alias.h). */
#include "alias.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "util.h"

#define ALIAS_MAX_FILE (16 * 1024 * 1024)

struct alias_table {
	struct alias *v; /* owned */
	size_t n, cap;
};

alias_table_t *alias_table_new(void)
{
	return xcalloc(1, sizeof(alias_table_t));
}

static void alias_clear(struct alias *a)
{
	free(a->key);
	free(a->value);
	free(a->comment);
	for (size_t i = 0; i < a->ngroups; i++)
		free(a->groups[i]);
	free(a->groups);
	memset(a, 0, sizeof(*a));
}

void alias_table_free(alias_table_t **t)
{
	if (!*t)
		return;
	for (size_t i = 0; i < (*t)->n; i++)
		alias_clear(&(*t)->v[i]);
	free((*t)->v);
	xfree(t);
}

size_t alias_count(const alias_table_t *t)
{
	return t->n;
}

const struct alias *alias_at(const alias_table_t *t, size_t i)
{
	return i < t->n ? &t->v[i] : NULL;
}

static struct alias *find(const alias_table_t *t, const char *key, size_t len)
{
	for (size_t i = 0; i < t->n; i++)
		if (strlen(t->v[i].key) == len && strncasecmp(t->v[i].key, key, len) == 0)
			return &t->v[i];
	return NULL;
}

const struct alias *alias_find(const alias_table_t *t, const char *key)
{
	return find(t, key, strlen(key));
}

bool alias_key_valid(const char *key)
{
	size_t n = strlen(key);
	if (n == 0 || n > 128 || key[0] == '-')
		return false;
	for (const char *c = key; *c; c++)
		if (*c <= ' ' || *c >= 127 || strchr("\"'#,\\;<>()", *c))
			return false;
	return true;
}

/* ---- lexing ---- */

static const char *skip_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* The next blank-separated word of *p (new string), or NULL at the end. */
static char *next_word(const char **p)
{
	const char *s = skip_blank(*p);
	size_t n = strcspn(s, " \t");
	*p = s + n;
	return n ? xstrndup(s, n) : NULL;
}

/* Where an unquoted `#` at the start or after a blank starts the comment,
 * or the end of s.  Quotes and backslash escapes protect it; a `#` inside
 * a word is part of it (a#b@example.org is a valid address). */
static const char *comment_start(const char *s)
{
	bool q = false;
	for (const char *start = s; *s; s++) {
		if (*s == '\\' && s[1])
			s++;
		else if (*s == '"')
			q = !q;
		else if (*s == '#' && !q && (s == start || s[-1] == ' ' || s[-1] == '\t'))
			return s;
	}
	return s;
}

/* The next comma-separated entry of *p (trimmed, new string), or NULL at
 * the end.  Commas inside quotes, <...> and (...) do not separate. */
static char *next_entry(const char **p)
{
	const char *s = *p;
	if (!*s)
		return NULL;
	bool q = false;
	int paren = 0, angle = 0;
	const char *e = s;
	for (; *e; e++) {
		if (*e == '\\' && e[1])
			e++;
		else if (*e == '"')
			q = !q;
		else if (!q && *e == '(')
			paren++;
		else if (!q && *e == ')' && paren)
			paren--;
		else if (!q && !paren && *e == '<')
			angle = 1;
		else if (!q && !paren && *e == '>')
			angle = 0;
		else if (!q && !paren && !angle && *e == ',')
			break;
	}
	*p = *e ? e + 1 : e;
	return xstrndup_trim(s, (size_t)(e - s));
}

/* A bare word that may name an alias: no '@', no quotes or brackets. */
static bool maybe_key(const char *entry)
{
	return alias_key_valid(entry) && !strchr(entry, '@');
}

/* ---- define / undefine ---- */

/* Every entry is a possible alias key or a valid address. */
static bool check_value(const char *value, char **err)
{
	const char *p = value;
	char *e;
	bool ok = true, any = false;
	while (ok && (e = next_entry(&p)) != NULL) {
		if (*e && !maybe_key(e)) {
			struct addr_list l;
			addr_list_init(&l);
			ok = addr_parse(e, &l, err);
			addr_list_clear(&l);
		}
		any = any || *e;
		free(e);
	}
	if (ok && !any)
		*err = xstrdup("the alias has no address");
	return ok && any;
}

static void add_group(struct alias *a, const char *g)
{
	a->groups = xreallocarray(a->groups, a->ngroups + 1, sizeof(char *));
	a->groups[a->ngroups++] = xstrdup(g);
}

static void store(alias_table_t *t, struct alias *a)
{
	struct alias *old = find(t, a->key, strlen(a->key));
	if (old) {
		alias_clear(old);
		*old = *a;
		return;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 32;
		t->v = xreallocarray(t->v, t->cap, sizeof(struct alias));
	}
	t->v[t->n++] = *a;
}

/* `-group NAME`... then KEY: fills a->groups and a->key. */
static bool parse_head(const char **p, struct alias *a, char **err)
{
	char *w;
	while ((w = next_word(p)) != NULL && strcmp(w, "-group") == 0) {
		free(w);
		if (!(w = next_word(p))) {
			*err = xstrdup("-group needs a group name");
			return false;
		}
		add_group(a, w);
		free(w);
	}
	if (!w) {
		*err = xstrdup("alias needs a key and an address");
		return false;
	}
	if (!alias_key_valid(w)) {
		*err = xasprintf("'%.40s' is not a valid alias key", w);
		free(w);
		return false;
	}
	a->key = w;
	return true;
}

bool alias_define(alias_table_t *t, const char *args, char **err)
{
	*err = NULL;
	struct alias a = { 0 };
	const char *p = args;
	if (strlen(args) > ALIAS_MAX_LINE) {
		*err = xstrdup("the alias line is too long");
		return false;
	}
	if (!parse_head(&p, &a, err)) {
		alias_clear(&a);
		return false;
	}
	const char *c = comment_start(p);
	a.value = xstrndup_trim(p, (size_t)(c - p));
	a.comment = *c ? xstrndup_trim(c + 1, strlen(c + 1)) : xstrdup("");
	if (!check_value(a.value, err)) {
		char *inner = *err;
		*err = xasprintf("alias %s: %s", a.key, inner);
		free(inner);
		alias_clear(&a);
		return false;
	}
	store(t, &a);
	return true;
}

size_t alias_undefine(alias_table_t *t, const char *args)
{
	const char *p = args;
	size_t removed = 0;
	char *w;
	while ((w = next_word(&p)) != NULL) {
		if (strcmp(w, "-group") == 0) {
			free(next_word(&p));
		} else if (strcmp(w, "*") == 0) {
			for (size_t i = 0; i < t->n; i++)
				alias_clear(&t->v[i]);
			removed += t->n;
			t->n = 0;
		} else {
			struct alias *a = find(t, w, strlen(w));
			if (a) {
				alias_clear(a);
				memmove(a, a + 1, (size_t)(t->v + t->n - a - 1) * sizeof(*a));
				t->n--;
				removed++;
			}
		}
		free(w);
	}
	return removed;
}

/* ---- the file ---- */

static void report(alias_error_fn fn, void *ud, const char *path, int line, const char *msg)
{
	if (!fn)
		return;
	char *m = xasprintf("%s:%d: %s", path, line, msg);
	fn(ud, m);
	free(m);
}

/* One logical line (continuations joined) of the file. */
static void load_line(alias_table_t *t, const char *text, const char *path, int line, alias_error_fn fn, void *ud)
{
	const char *p = skip_blank(text);
	if (!*p || *p == '#')
		return;
	char *cmd = next_word(&p);
	char *err = NULL;
	if (strcmp(cmd, "alias") == 0) {
		if (!alias_define(t, p, &err))
			report(fn, ud, path, line, err);
	} else if (strcmp(cmd, "unalias") == 0) {
		alias_undefine(t, p);
	} else {
		err = xasprintf("'%.40s': only alias and unalias are read from alias_file", cmd);
		report(fn, ud, path, line, err);
	}
	free(err);
	free(cmd);
}

static char *read_all(const char *path, int *errnum)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		*errnum = errno;
		return NULL;
	}
	struct strbuf b;
	strbuf_init(&b);
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && b.len < ALIAS_MAX_FILE)
		strbuf_add(&b, buf, n);
	*errnum = ferror(f) ? EIO : (b.len >= ALIAS_MAX_FILE ? EFBIG : 0);
	fclose(f);
	if (*errnum) {
		strbuf_free(&b);
		return NULL;
	}
	return strbuf_detach(&b);
}

bool alias_load_file(alias_table_t *t, const char *path, alias_error_fn on_error, void *ud)
{
	int e;
	char *text = read_all(path, &e);
	if (!text) {
		if (e == ENOENT)
			return true;
		report(on_error, ud, path, 0, strerror(e));
		return false;
	}
	struct strbuf logical;
	strbuf_init(&logical);
	int line = 0, first = 1;
	for (char *s = text, *nl; *s; s = nl ? nl + 1 : s + strlen(s)) {
		nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		if (n && s[n - 1] == '\r')
			n--;
		line++;
		if (!logical.len)
			first = line;
		bool cont = n && s[n - 1] == '\\';
		strbuf_add(&logical, s, cont ? n - 1 : n);
		if (cont && nl)
			continue;
		load_line(t, logical.s, path, first, on_error, ud);
		strbuf_reset(&logical);
		if (!nl)
			break;
	}
	strbuf_free(&logical);
	free(text);
	return true;
}

/* ---- expansion ---- */

struct expand {
	const alias_table_t *t;
	const struct alias *stack[ALIAS_MAX_DEPTH];
	int depth;
	struct addr_list *out;
	char **err;
};

static bool on_stack(const struct expand *x, const struct alias *a)
{
	for (int i = 0; i < x->depth; i++)
		if (x->stack[i] == a)
			return true;
	return false;
}

static bool expand_text(struct expand *x, const char *text)
{
	const char *p = text;
	char *e;
	bool ok = true;
	while (ok && (e = next_entry(&p)) != NULL) {
		const struct alias *a = maybe_key(e) ? find(x->t, e, strlen(e)) : NULL;
		if (a && on_stack(x, a)) {
			/* a loop: its addresses are being added already */
		} else if (a && x->depth >= ALIAS_MAX_DEPTH) {
			*x->err = xasprintf("alias %s: aliases nested more than %d deep", a->key, ALIAS_MAX_DEPTH);
			ok = false;
		} else if (a) {
			x->stack[x->depth++] = a;
			ok = expand_text(x, a->value);
			x->depth--;
		} else if (*e) {
			ok = addr_parse(e, x->out, x->err);
		}
		free(e);
	}
	return ok;
}

bool alias_expand(const alias_table_t *t, const char *typed, struct addr_list *out, char **err)
{
	*err = NULL;
	struct expand x = { .t = t, .out = out, .err = err };
	return expand_text(&x, typed);
}

char *alias_expand_format(const alias_table_t *t, const char *typed, char **err)
{
	struct addr_list l;
	addr_list_init(&l);
	char *out = alias_expand(t, typed, &l, err) ? addr_list_format(&l) : NULL;
	addr_list_clear(&l);
	return out;
}

/* Is the header line at p (length n) an address field aliases apply to? */
static size_t addr_field(const char *p, size_t n)
{
	static const char *const names[] = { "To:", "Cc:", "Bcc:" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t l = strlen(names[i]);
		if (n >= l && strncasecmp(p, names[i], l) == 0)
			return l;
	}
	return 0;
}

char *alias_expand_header_block(const alias_table_t *t, const char *text)
{
	struct strbuf out;
	strbuf_init(&out);
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, "\n");
		if (n == 0 || (n == 1 && p[0] == '\r'))
			break; /* the end of the header block */
		size_t end = n; /* a field with its continuation lines */
		while (p[end] == '\n' && (p[end + 1] == ' ' || p[end + 1] == '\t'))
			end += 1 + strcspn(p + end + 1, "\n");
		size_t name = t->n ? addr_field(p, n) : 0;
		char *value = name ? xstrndup(p + name, end - name) : NULL, *err = NULL;
		for (char *c = value; c && *c; c++)
			if (*c == '\n' || *c == '\r' || *c == '\t')
				*c = ' ';
		char *expanded = value ? alias_expand_format(t, value, &err) : NULL;
		if (expanded) {
			strbuf_add(&out, p, name);
			strbuf_addc(&out, ' ');
			strbuf_adds(&out, expanded);
		} else { /* not an address field, or left for the parser to report */
			strbuf_add(&out, p, end);
		}
		free(expanded);
		free(value);
		free(err);
		p += end;
		if (*p == '\n')
			strbuf_addc(&out, *p++);
	}
	strbuf_adds(&out, p);
	return strbuf_detach(&out);
}

/* ---- completion ---- */

static int by_key(const void *a, const void *b)
{
	const struct alias *const *x = a, *const *y = b;
	return strcasecmp((*x)->key, (*y)->key);
}

size_t alias_complete(const alias_table_t *t, const char *prefix, const struct alias **out, size_t max,
		      char **common)
{
	size_t plen = strlen(prefix), n = 0;
	const struct alias **all = xcalloc(t->n + 1, sizeof(*all));
	for (size_t i = 0; i < t->n; i++)
		if (strncasecmp(t->v[i].key, prefix, plen) == 0)
			all[n++] = &t->v[i];
	qsort(all, n, sizeof(*all), by_key);
	size_t clen = n ? strlen(all[0]->key) : 0;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < clen && tolower((unsigned char)all[i]->key[j]) == tolower((unsigned char)all[0]->key[j]))
			j++;
		clen = j;
		if (i < max)
			out[i] = all[i];
	}
	if (common)
		*common = n ? xstrndup(all[0]->key, clen) : NULL;
	free(all);
	return n;
}

const struct alias *alias_reverse(const alias_table_t *t, const char *mailbox)
{
	for (size_t i = 0; i < t->n; i++) {
		struct addr_list l;
		addr_list_init(&l);
		char *err = NULL;
		bool hit = addr_parse(t->v[i].value, &l, &err) && l.n == 1 && strcasecmp(l.v[0].mailbox, mailbox) == 0;
		free(err);
		addr_list_clear(&l);
		if (hit)
			return &t->v[i];
	}
	return NULL;
}

/* ---- writing ---- */

/* A display name as mutt's rc reads it back: always in double quotes,
 * with `"`, `\`, `` ` `` and `$` escaped (mutt expands the last two in
 * double quotes). */
static void add_quoted_name(struct strbuf *b, const char *name)
{
	strbuf_addc(b, '"');
	for (const char *c = name; *c; c++) {
		if (strchr("\"\\`$", *c))
			strbuf_addc(b, '\\');
		strbuf_addc(b, *c);
	}
	strbuf_addc(b, '"');
}

char *alias_format_line(const char *key, const struct addr_list *addrs)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addf(&b, "alias %s ", key);
	for (size_t i = 0; i < addrs->n; i++) {
		const struct addr *a = &addrs->v[i];
		if (i)
			strbuf_adds(&b, ", ");
		if (a->name && *a->name) {
			add_quoted_name(&b, a->name);
			strbuf_addc(&b, ' ');
		}
		strbuf_addf(&b, "<%s>", a->mailbox);
	}
	strbuf_addc(&b, '\n');
	return strbuf_detach(&b);
}

bool alias_append(const char *file, const char *key, const struct addr_list *addrs, char **err)
{
	*err = NULL;
	if (!alias_key_valid(key))
		return (*err = xasprintf("'%.40s' is not a valid alias key (no spaces, quotes, # or ,)", key)), false;
	if (addrs->n == 0)
		return (*err = xstrdup("the alias has no address")), false;
	char real[PATH_MAX];
	const char *path = realpath(file, real) ? real : file;
	int e;
	char *old = read_all(path, &e);
	if (!old && e != ENOENT)
		return (*err = xasprintf("%s: cannot read the alias file: %s", file, strerror(e))), false;
	alias_table_t *t = alias_table_new();
	alias_load_file(t, path, NULL, NULL);
	bool taken = alias_find(t, key) != NULL;
	alias_table_free(&t);
	if (taken) {
		free(old);
		return (*err = xasprintf("alias %s already exists in %s", key, file)), false;
	}
	struct stat st;
	unsigned mode = stat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0600;
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, old ? old : "");
	if (b.len && b.s[b.len - 1] != '\n')
		strbuf_addc(&b, '\n');
	char *line = alias_format_line(key, addrs);
	strbuf_adds(&b, line);
	free(line);
	free(old);
	bool ok = util_write_file_atomic(path, b.s, b.len, mode) == 0;
	if (!ok)
		*err = xasprintf("%s: cannot write the alias file: %s", file, strerror(errno));
	strbuf_free(&b);
	return ok;
}
