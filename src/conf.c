/* conf.c - the rc language: tokenizer, commands, option values.
 *
 * Reading is line by line.  A physical line ending in a backslash joins
 * the next one; the joined line is split into words (quotes and escapes
 * resolved); the first word names a command from the `commands` table.
 * Every problem becomes one "file:line: message" entry and reading goes on.
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alias.h"
#include "hooks.h"
#include "keys.h"
#include "log.h"
#include "text.h"
#include "url.h"
#include "util.h"

#define CONF_MAX_FILE_SIZE (4L * 1024 * 1024) /* an rc larger than this is a mistake */
#define CONF_MAX_SOURCE_DEPTH 32
#define CONF_MAX_WORDS 64

static const struct opt_def options[] = {
#define OPT(name, type, scope, def, cons, doc) { #name, OPT_##type, OPT_##scope, def, cons, doc },
#include "options.def"
#undef OPT
};

struct optval {
	char *val; /* owned; NULL: not set here */
};

struct account {
	char *name;                 /* owned */
	struct optval v[OPT_COUNT]; /* only ACCOUNT-scope entries are used */
};

struct strvec {
	char **v;
	size_t n;
};

struct conf {
	struct optval global[OPT_COUNT];
	struct account *acct;
	size_t nacct;
	struct strvec errors, warnings; /* sanitized: safe to print */
	struct strvec error_files;      /* the file of each error */
	struct conf_binding *bind;
	size_t nbind;
	struct conf_color *color;
	size_t ncolor;
	struct conf_search *search;
	size_t nsearch;
	alias_table_t *aliases;
	hooks_t *hooks;
	char **lists, **subscribed; /* NULL-terminated regexes (`lists`, `subscribe`) */
	/* mutt's ignore / unignore / hdr_order prefixes (NULL-terminated;
	 * ignore NULL until the first of them), written into header_list */
	char **ignore, **unignore, **hdr_order;
	char **my_hdr;    /* NULL-terminated "Name: value" (`my_hdr`) */
	char **mailboxes; /* NULL-terminated folder names (`mailboxes`) */
	char **auto_view; /* NULL-terminated MIME types (`auto_view`) */
	char *folder;     /* mutt's folder, to strip from mailboxes' paths */
	struct strvec notices; /* for the log, once it is open */
	/* while loading */
	long cur;           /* account lines now apply to, -1: none yet */
	struct strvec stack; /* real paths of the files being read, for loops */
};

/* Where a command runs: for messages and relative paths. */
struct ctx {
	const char *file;
	int line;
	size_t errors; /* errors added by this load */
};

struct word {
	char *s;  /* owned */
	long eq;  /* offset of the first unquoted '=', -1 if none */
	bool quoted;
};

struct words {
	struct word w[CONF_MAX_WORDS];
	size_t n;
};

static size_t load_file(conf_t *c, struct ctx *parent, const char *path);
static void run_line(conf_t *c, struct ctx *x, const char *line);

/* ---------- option table ---------- */

const struct opt_def *conf_options(void)
{
	return options;
}

/* mutt's names for options muttlike spells otherwise: an unchanged
 * muttrc line sets ours. */
static const struct {
	const char *mutt, *ours;
} mutt_names[] = {
	{ "realname", "real_name" },
};

const struct opt_def *conf_option(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(mutt_names); i++)
		if (strcmp(mutt_names[i].mutt, name) == 0)
			name = mutt_names[i].ours;
	for (size_t i = 0; i < OPT_COUNT; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

const char *conf_type_name(enum opt_type t)
{
	static const char *const names[] = { "boolean", "number", "string", "path", "enum", "url", "quad" };
	return names[t];
}

/* ---------- small helpers ---------- */

static void strvec_push(struct strvec *v, char *s)
{
	v->v = xreallocarray(v->v, v->n + 1, sizeof(*v->v));
	v->v[v->n++] = s;
}

static void strvec_free(struct strvec *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

/* Push s (taken) made safe to print: a config file's bytes reach the
 * terminal only through text_sanitize(), as message content does. */
static void push_clean(struct strvec *v, char *s)
{
	strvec_push(v, text_sanitize(s, strlen(s), false));
	free(s);
}

static void add_error(conf_t *c, const char *file, char *msg)
{
	push_clean(&c->errors, msg);
	strvec_push(&c->error_files, xstrdup(file));
}

static void conf_err(conf_t *c, struct ctx *x, const char *fmt, ...) ML_PRINTF(3, 4);
static void conf_err(conf_t *c, struct ctx *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	add_error(c, x->file, xasprintf("%s:%d: %s", x->file, x->line, msg));
	free(msg);
	x->errors++;
}

/* The closest candidate to word within a small edit distance, or NULL. */
static const char *did_you_mean(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t best_d = strlen(word) <= 4 ? 1 : 3;
	for (size_t i = 0; i < n; i++) {
		size_t d = util_edit_distance(word, cands[i], best_d);
		if (d <= best_d && (!best || d < best_d)) {
			best = cands[i];
			best_d = d;
		}
	}
	return best;
}

/* " (did you mean X?)" or "" as a new string. */
static char *suggest(const char *word, const char *const *cands, size_t n)
{
	const char *s = did_you_mean(word, cands, n);
	return s ? xasprintf(" (did you mean %s?)", s) : xstrdup("");
}

static char *suggest_option(const char *name)
{
	const char *cands[OPT_COUNT];
	for (size_t i = 0; i < OPT_COUNT; i++)
		cands[i] = options[i].name;
	return suggest(name, cands, OPT_COUNT);
}

/* ---------- values ---------- */

static bool parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static const char quad_values[] = "no|yes|ask-no|ask-yes";

/* Check a tls_pin value: "sha256:" + 64 hex digits, colons allowed. */
static bool pin_ok(const char *v)
{
	if (!*v)
		return true;
	if (strncasecmp(v, "sha256:", 7) != 0)
		return false;
	size_t hex = 0;
	for (const char *p = v + 7; *p; p++) {
		if (*p == ':')
			continue;
		if (!strchr("0123456789abcdefABCDEF", *p))
			return false;
		hex++;
	}
	return hex == 64;
}

/* Validate value for opt; returns the canonical value to store or NULL with *err. */
static char *check_value(const struct opt_def *o, const char *value, char **err)
{
	*err = NULL;
	switch (o->type) {
	case OPT_BOOL: {
		bool b;
		if (!parse_bool(value, &b)) {
			*err = xasprintf("%s is a boolean: '%s' is not yes or no", o->name, value);
			return NULL;
		}
		return xstrdup(b ? "yes" : "no");
	}
	case OPT_NUM: {
		char *dots;
		long min = strtol(o->constraint, &dots, 10), v;
		long max = strncmp(dots, "..", 2) == 0 ? strtol(dots + 2, NULL, 10) : LONG_MAX;
		if (!util_parse_long(value, min, max, &v)) {
			*err = xasprintf("%s takes a number from %ld to %ld, not '%s'", o->name, min, max, value);
			return NULL;
		}
		return xasprintf("%ld", v);
	}
	case OPT_ENUM:
		if (util_list_index(o->constraint, value) < 0) {
			char *l = util_list_pretty(o->constraint);
			*err = xasprintf("%s is one of %s, not '%s'", o->name, l, value);
			free(l);
			return NULL;
		}
		return xstrdup(value);
	case OPT_QUAD:
		if (util_list_index(quad_values, value) < 0) {
			*err = xasprintf("%s is one of yes, no, ask-yes or ask-no, not '%s'", o->name, value);
			return NULL;
		}
		return xstrdup(value);
	case OPT_URL: {
		if (!*value)
			return xstrdup("");
		struct url u;
		char *e;
		if (!url_parse(value, o->constraint, &u, &e)) {
			*err = xasprintf("%s: %s", o->name, e);
			free(e);
			return NULL;
		}
		url_clear(&u);
		return xstrdup(value);
	}
	case OPT_STR:
	case OPT_PATH:
		if (strcmp(o->name, "tls_pin") == 0 && !pin_ok(value)) {
			*err = xasprintf("tls_pin must be \"sha256:\" followed by 64 hex digits, not '%s'", value);
			return NULL;
		}
		return xstrdup(value);
	}
	return NULL;
}

static struct optval *slot(conf_t *c, long account, const struct opt_def *o)
{
	size_t id = (size_t)(o - options);
	if (o->scope == OPT_ACCOUNT && account >= 0 && (size_t)account < c->nacct)
		return &c->acct[account].v[id];
	return &c->global[id];
}

bool conf_set(conf_t *c, long account, const char *name, const char *value, char **err)
{
	const struct opt_def *o = conf_option(name);
	if (!o) {
		char *s = suggest_option(name);
		*err = xasprintf("unknown option '%s'%s", name, s);
		free(s);
		return false;
	}
	char *v = check_value(o, value, err);
	if (!v)
		return false;
	struct optval *sv = slot(c, account, o);
	free(sv->val);
	sv->val = v;
	return true;
}

static const char *raw_value(const conf_t *c, long account, enum opt_id id)
{
	const struct opt_def *o = &options[id];
	if (o->scope == OPT_ACCOUNT && account >= 0 && (size_t)account < c->nacct && c->acct[account].v[id].val)
		return c->acct[account].v[id].val;
	if (c->global[id].val)
		return c->global[id].val;
	return o->def;
}

const char *conf_str(const conf_t *c, long account, enum opt_id id)
{
	return raw_value(c, account, id);
}

bool conf_bool(const conf_t *c, long account, enum opt_id id)
{
	bool b = false;
	parse_bool(raw_value(c, account, id), &b);
	return b;
}

long conf_num(const conf_t *c, long account, enum opt_id id)
{
	return strtol(raw_value(c, account, id), NULL, 10);
}

int conf_enum(const conf_t *c, long account, enum opt_id id)
{
	int i = util_list_index(options[id].constraint, raw_value(c, account, id));
	return i < 0 ? 0 : i;
}

enum quad conf_quad(const conf_t *c, long account, enum opt_id id)
{
	int i = util_list_index(quad_values, raw_value(c, account, id));
	return i < 0 ? QUAD_NO : (enum quad)i;
}

char *conf_path(const conf_t *c, long account, enum opt_id id)
{
	return util_expand_path(raw_value(c, account, id));
}

bool conf_is_set(const conf_t *c, long account, enum opt_id id)
{
	if (options[id].scope == OPT_ACCOUNT && account >= 0 && (size_t)account < c->nacct &&
	    c->acct[account].v[id].val)
		return true;
	return c->global[id].val != NULL;
}

/* ---------- life cycle ---------- */

conf_t *conf_new(void)
{
	conf_t *c = xcalloc(1, sizeof(*c));
	c->cur = -1;
	c->aliases = alias_table_new();
	c->hooks = hooks_new();
	c->lists = xcalloc(1, sizeof(char *));
	c->subscribed = xcalloc(1, sizeof(char *));
	c->my_hdr = xcalloc(1, sizeof(char *));
	c->mailboxes = xcalloc(1, sizeof(char *));
	c->auto_view = xcalloc(1, sizeof(char *));
	return c;
}

static void binding_clear(struct conf_binding *b)
{
	free(b->menu);
	free(b->key);
	free(b->keys);
	free(b->function);
	free(b->macro);
	free(b->desc);
	free(b->file);
}

void conf_free(conf_t **cp)
{
	conf_t *c = *cp;
	if (!c)
		return;
	for (size_t i = 0; i < OPT_COUNT; i++)
		util_wipe_free(&c->global[i].val);
	for (size_t a = 0; a < c->nacct; a++) {
		for (size_t i = 0; i < OPT_COUNT; i++)
			util_wipe_free(&c->acct[a].v[i].val); /* may hold imap_pass */
		free(c->acct[a].name);
	}
	free(c->acct);
	for (size_t i = 0; i < c->nbind; i++)
		binding_clear(&c->bind[i]);
	free(c->bind);
	for (size_t i = 0; i < c->ncolor; i++) {
		free(c->color[i].object);
		free(c->color[i].regex);
		free(c->color[i].file);
	}
	free(c->color);
	for (size_t i = 0; i < c->nsearch; i++) {
		free(c->search[i].name);
		free(c->search[i].query);
	}
	free(c->search);
	strvec_free(&c->errors);
	strvec_free(&c->error_files);
	strvec_free(&c->warnings);
	strvec_free(&c->stack);
	alias_table_free(&c->aliases);
	hooks_free(&c->hooks);
	for (char **l = c->lists; *l; l++)
		free(*l);
	free(c->lists);
	for (char **l = c->subscribed; *l; l++)
		free(*l);
	free(c->subscribed);
	char **const owned[] = { c->ignore, c->unignore, c->hdr_order, c->my_hdr, c->mailboxes, c->auto_view };
	for (size_t i = 0; i < ARRAY_SIZE(owned); i++) {
		for (char **l = owned[i]; l && *l; l++)
			free(*l);
		free(owned[i]);
	}
	free(c->folder);
	strvec_free(&c->notices);
	free(c);
	*cp = NULL;
}

size_t conf_error_count(const conf_t *c) { return c->errors.n; }
const char *conf_error(const conf_t *c, size_t i) { return i < c->errors.n ? c->errors.v[i] : NULL; }
void conf_report_errors(const conf_t *c, size_t max_run, void (*fn)(const char *line, void *ud), void *ud)
{
	size_t i = 0;
	while (i < c->errors.n) {
		const char *file = c->error_files.v[i];
		size_t end = i;
		while (end < c->errors.n && strcmp(c->error_files.v[end], file) == 0)
			end++;
		for (size_t k = i; k < end && k - i < max_run; k++)
			fn(c->errors.v[k], ud);
		if (end - i > max_run) {
			char *f = text_sanitize(file, strlen(file), false);
			char *line = xasprintf("... and %zu more error%s in %s", end - i - max_run,
					       end - i - max_run == 1 ? "" : "s", f);
			fn(line, ud);
			free(line);
			free(f);
		}
		i = end;
	}
}

size_t conf_warning_count(const conf_t *c) { return c->warnings.n; }
const char *conf_warning(const conf_t *c, size_t i) { return i < c->warnings.n ? c->warnings.v[i] : NULL; }
size_t conf_account_count(const conf_t *c) { return c->nacct; }
const char *conf_account_name(const conf_t *c, size_t i) { return i < c->nacct ? c->acct[i].name : NULL; }
size_t conf_binding_count(const conf_t *c) { return c->nbind; }
const struct conf_binding *conf_binding(const conf_t *c, size_t i) { return i < c->nbind ? &c->bind[i] : NULL; }
size_t conf_color_count(const conf_t *c) { return c->ncolor; }
const struct conf_color *conf_color(const conf_t *c, size_t i) { return i < c->ncolor ? &c->color[i] : NULL; }
size_t conf_search_count(const conf_t *c) { return c->nsearch; }
const struct conf_search *conf_search(const conf_t *c, size_t i) { return i < c->nsearch ? &c->search[i] : NULL; }

long conf_account_find(const conf_t *c, const char *name)
{
	for (size_t i = 0; i < c->nacct; i++)
		if (strcmp(c->acct[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* ---------- tokenizer ---------- */

static void words_free(struct words *ws)
{
	for (size_t i = 0; i < ws->n; i++)
		free(ws->w[i].s);
	ws->n = 0;
}

/* Resolve one backslash escape at *p (just after the backslash). */
static void escape(struct strbuf *b, const char **p)
{
	char e = **p;
	if (!e) {
		strbuf_addc(b, '\\');
		return;
	}
	(*p)++;
	switch (e) {
	case 'n': strbuf_addc(b, '\n'); break;
	case 't': strbuf_addc(b, '\t'); break;
	case 'r': strbuf_addc(b, '\r'); break;
	case 'e':
	case 'E': strbuf_addc(b, '\033'); break;
	default:
		/* \C, \<, ^ and the like are key syntax: keep them for keys_parse */
		if (e == 'C' || e == 'c') {
			strbuf_addc(b, '\\');
			strbuf_addc(b, e);
		} else {
			strbuf_addc(b, e);
		}
	}
}

/* Split line into words.  false with *err on an unterminated quote or too
 * many words.  An unquoted '#' starts a comment. */
static bool tokenize(const char *line, struct words *ws, char **err)
{
	const char *p = line;
	ws->n = 0;
	*err = NULL;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p || *p == '#')
			return true;
		if (ws->n == CONF_MAX_WORDS) {
			*err = xasprintf("too many words on one line (at most %d)", CONF_MAX_WORDS);
			return false;
		}
		struct strbuf b;
		strbuf_init(&b);
		struct word *w = &ws->w[ws->n];
		w->eq = -1;
		w->quoted = false;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '#') {
			if (*p == '"' || *p == '\'') {
				char q = *p++;
				w->quoted = true;
				while (*p && *p != q) {
					if (*p == '\\') {
						p++;
						escape(&b, &p);
					} else {
						strbuf_addc(&b, *p++);
					}
				}
				if (!*p) {
					strbuf_free(&b);
					*err = xasprintf("unterminated %c quote", q);
					return false;
				}
				p++;
			} else if (*p == '\\') {
				p++;
				escape(&b, &p);
			} else {
				if (*p == '=' && w->eq < 0)
					w->eq = (long)b.len;
				strbuf_addc(&b, *p++);
			}
		}
		w->s = strbuf_detach(&b);
		ws->n++;
	}
}

/* ---------- commands ---------- */

struct command {
	const char *name;
	size_t min_args, max_args;
	const char *usage;
	void (*run)(conf_t *c, struct ctx *x, struct words *ws);
};

/* alias_file was set: read it into the alias table (mutt's file as is);
 * its problems are reported as "file:line: ..." of that file. */
static void alias_file_error(void *ud, const char *msg)
{
	void **p = ud;
	conf_t *c = p[0];
	struct ctx *x = p[1];
	add_error(c, x->file, xstrdup(msg));
	x->errors++;
}

static void load_alias_file(conf_t *c, struct ctx *x)
{
	char *path = conf_path(c, -1, OPT_ID_alias_file);
	void *ud[2] = { c, x };
	if (path && *path)
		alias_load_file(c->aliases, path, alias_file_error, ud);
	free(path);
}

/* mutt options that mean nothing here (the mirror, the sync and the
 * index do what they tune): an unchanged muttrc sets them with a notice
 * in the log, not an error.  An option neither mutt's nor ours stays one. */
static const char *const mutt_ignored[] = {
	"allow_8bit", "askbcc", "askcc", "assumed_charset", "auto_tag", "beep", "beep_new",
	"certificate_file", "charset", "check_new", "collapse_unread", "confirmappend", "confirmcreate",
	"copy", "crypt_replyencrypt", "crypt_replysign", "crypt_replysignencrypted", "crypt_use_gpgme",
	"crypt_verify_sig", "delete", "edit_hdrs", "envelope_from", "fast_reply", "fcc_attach", "folder_format",
	"forward_decode", "forward_format", "forward_quote", "header_cache", "help", "hidden_host", "history",
	"history_file", "hostname", "imap_check_subscribed", "imap_delim_chars", "imap_headers", "imap_idle",
	"imap_keepalive", "imap_list_subscribed", "imap_passive", "imap_peek", "imap_servernoise", "include",
	"mail_check", "mail_check_stats", "mark_old", "mbox", "mbox_type", "menu_scroll",
	"message_cachedir", "metoo", "mime_forward", "move", "narrow_tree", "net_inc", "pager_context",
	"pager_format", "pager_index_lines", "pager_stop", "pgp_use_gpg_agent", "pipe_decode", "postpone",
	"print", "quit", "read_inc", "recall", "reply_regexp", "reply_to", "resolve", "reverse_alias",
	"reverse_name", "reverse_realname", "save_history", "send_charset", "sidebar_folder_indent",
	"sidebar_format", "sidebar_short_path", "sig_dashes", "sig_on_top", "sleep_time", "smart_wrap",
	"sort_alias", "sort_aux", "sort_browser", "spoolfile", "ssl_force_tls", "ssl_starttls", "status_format",
	"status_on_top", "strict_threads", "tilde", "uncollapse_jump", "use_domain", "use_envelope_from",
	"use_from", "user_agent", "wait_key", "write_inc",
};

/* A notice for the log: straight there once it is open (hooks at run
 * time), else kept for conf_notice() until the caller opened it. */
static void conf_notice_add(conf_t *c, struct ctx *x, const char *what)
{
	char *line = xasprintf("%s:%d: %s", x->file, x->line, what);
	if (log_file_is_open()) {
		log_info("%s", line);
		free(line);
	} else {
		push_clean(&c->notices, line);
	}
}

size_t conf_notice_count(const conf_t *c) { return c->notices.n; }
const char *conf_notice(const conf_t *c, size_t i) { return i < c->notices.n ? c->notices.v[i] : NULL; }

/* Is name (or noNAME / invNAME) one of mutt_ignored?  Then say so in the
 * log and let the line pass. */
static bool mutt_option_ignored(conf_t *c, struct ctx *x, const char *name)
{
	const char *base = strncmp(name, "no", 2) == 0 ? name + 2 : strncmp(name, "inv", 3) == 0 ? name + 3 : name;
	for (size_t i = 0; i < ARRAY_SIZE(mutt_ignored); i++) {
		if (strcmp(mutt_ignored[i], name) == 0 || strcmp(mutt_ignored[i], base) == 0) {
			char *m = xasprintf("mutt's %s means nothing in muttlike: ignored", mutt_ignored[i]);
			conf_notice_add(c, x, m);
			free(m);
			return true;
		}
	}
	return false;
}

/* One `set` assignment: value==NULL means the bare form (`set foo`). */
static void do_assign(conf_t *c, struct ctx *x, const char *name, const char *value)
{
	bool invert = false, negate = false;
	const struct opt_def *o = conf_option(name);
	if (!o && !value && strncmp(name, "no", 2) == 0 && conf_option(name + 2)) {
		o = conf_option(name + 2);
		negate = true;
	} else if (!o && !value && strncmp(name, "inv", 3) == 0 && conf_option(name + 3)) {
		o = conf_option(name + 3);
		invert = true;
	}
	if (!o && strcmp(name, "folder") == 0 && value) {
		free(c->folder); /* mutt's root of =name and +name: the account here */
		c->folder = xstrdup(value);
		return;
	}
	if (!o && mutt_option_ignored(c, x, name))
		return;
	if (!o) {
		char *s = suggest_option(name);
		conf_err(c, x, "unknown option '%s'%s", name, s);
		free(s);
		return;
	}
	char *err = NULL;
	if (!value) {
		if (o->type != OPT_BOOL) {
			conf_err(c, x, "%s needs a value: set %s = ...", o->name, o->name);
			return;
		}
		bool cur = conf_bool(c, c->cur, (enum opt_id)(o - options));
		value = negate ? "no" : invert ? (cur ? "no" : "yes") : "yes";
	}
	char *keep = NULL;
	if (o == &options[OPT_ID_sort] && (strcmp(value, "threads") == 0 || strcmp(value, "reverse-threads") == 0)) {
		/* mutt's sort=threads: threading is an option of its own here */
		conf_set(c, c->cur, "threads", "yes", &err);
		value = keep = xstrdup(strcmp(value, "threads") == 0 ? conf_str(c, c->cur, OPT_ID_sort) : "newest-first");
	}
	if (!conf_set(c, c->cur, o->name, value, &err)) {
		conf_err(c, x, "%s", err);
		free(err);
	} else if (o == &options[OPT_ID_alias_file]) {
		load_alias_file(c, x);
	}
	free(keep);
}

static void cmd_set(conf_t *c, struct ctx *x, struct words *ws)
{
	for (size_t i = 1; i < ws->n; i++) {
		struct word *w = &ws->w[i];
		if (w->eq == 0) {
			conf_err(c, x, "'=' without an option name before it");
			return;
		}
		if (w->eq > 0) {
			char *name = xstrndup(w->s, (size_t)w->eq);
			const char *rest = w->s + w->eq + 1;
			if (!*rest && !w->quoted) { /* "name= value" */
				if (i + 1 >= ws->n) {
					conf_err(c, x, "%s needs a value after '='", name);
					free(name);
					return;
				}
				rest = ws->w[++i].s;
			}
			do_assign(c, x, name, rest);
			free(name);
		} else if (i + 1 < ws->n && ws->w[i + 1].eq == 0) { /* "name = value" or "name =value" */
			const char *rest = ws->w[i + 1].s + 1;
			i++;
			if (!*rest && !ws->w[i].quoted) {
				if (i + 1 >= ws->n) {
					conf_err(c, x, "%s needs a value after '='", w->s);
					return;
				}
				rest = ws->w[++i].s;
			}
			do_assign(c, x, w->s, rest);
		} else {
			do_assign(c, x, w->s, NULL);
		}
	}
}

/* unset / toggle / reset share the name checks. */
static const struct opt_def *named_option(conf_t *c, struct ctx *x, const char *name)
{
	const struct opt_def *o = conf_option(name);
	if (!o && (strcmp(name, "folder") == 0 || mutt_option_ignored(c, x, name)))
		return NULL;
	if (!o) {
		char *s = suggest_option(name);
		conf_err(c, x, "unknown option '%s'%s", name, s);
		free(s);
	}
	return o;
}

static void cmd_unset(conf_t *c, struct ctx *x, struct words *ws)
{
	for (size_t i = 1; i < ws->n; i++) {
		const struct opt_def *o = named_option(c, x, ws->w[i].s);
		if (!o)
			continue;
		struct optval *sv = slot(c, c->cur, o);
		free(sv->val);
		/* a boolean unset is "no"; anything else goes back to empty or its default */
		if (o->type == OPT_BOOL)
			sv->val = xstrdup("no");
		else if (o->type == OPT_STR || o->type == OPT_PATH || o->type == OPT_URL)
			sv->val = xstrdup("");
		else
			sv->val = NULL;
	}
}

static void cmd_reset(conf_t *c, struct ctx *x, struct words *ws)
{
	for (size_t i = 1; i < ws->n; i++) {
		const struct opt_def *o = named_option(c, x, ws->w[i].s);
		if (o)
			xfree(&slot(c, c->cur, o)->val);
	}
}

static void cmd_toggle(conf_t *c, struct ctx *x, struct words *ws)
{
	for (size_t i = 1; i < ws->n; i++) {
		const struct opt_def *o = named_option(c, x, ws->w[i].s);
		if (!o)
			continue;
		enum opt_id id = (enum opt_id)(o - options);
		char *err = NULL;
		if (o->type == OPT_BOOL) {
			conf_set(c, c->cur, o->name, conf_bool(c, c->cur, id) ? "no" : "yes", &err);
		} else if (o->type == OPT_QUAD) {
			static const char *const flip[] = { "yes", "no", "ask-yes", "ask-no" };
			conf_set(c, c->cur, o->name, flip[conf_quad(c, c->cur, id)], &err);
		} else {
			conf_err(c, x, "toggle works on booleans and quads; %s is a %s", o->name, conf_type_name(o->type));
		}
		free(err);
	}
}

static bool account_name_ok(const char *s)
{
	if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strlen(s) > 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.'))
			return false;
	return true;
}

static void cmd_account(conf_t *c, struct ctx *x, struct words *ws)
{
	const char *name = ws->w[1].s;
	if (!account_name_ok(name)) {
		conf_err(c, x, "account name '%s' may use only letters, digits, '-', '_' and '.' (64 at most)", name);
		return;
	}
	long i = conf_account_find(c, name);
	if (i < 0) {
		c->acct = xreallocarray(c->acct, c->nacct + 1, sizeof(*c->acct));
		memset(&c->acct[c->nacct], 0, sizeof(*c->acct));
		c->acct[c->nacct].name = xstrdup(name);
		i = (long)c->nacct++;
	}
	c->cur = i;
}

static char *resolve_relative(const char *file, const char *path)
{
	char *exp = util_expand_path(path);
	if (exp[0] == '/' || !strchr(file, '/'))
		return exp;
	const char *slash = strrchr(file, '/');
	char *full = xasprintf("%.*s/%s", (int)(slash - file), file, exp);
	free(exp);
	return full;
}

static void cmd_source(conf_t *c, struct ctx *x, struct words *ws)
{
	char *path = resolve_relative(x->file, ws->w[1].s);
	x->errors += load_file(c, x, path);
	free(path);
}

static unsigned parse_menus(conf_t *c, struct ctx *x, const char *list)
{
	unsigned bits = 0;
	char *copy = xstrdup(list), *save = NULL;
	for (char *m = strtok_r(copy, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
		unsigned b = keys_menu_bit(m);
		if (!b) {
			static const char *const names[] = { "generic", "index", "pager",   "thread", "attach",
							      "compose", "sidebar", "browser", "editor", "outbox" };
			char *s = suggest(m, names, ARRAY_SIZE(names));
			conf_err(c, x, "unknown menu '%s'%s; menus are %s", m, s, keys_menu_names());
			free(s);
			free(copy);
			return 0;
		}
		bits |= b;
	}
	free(copy);
	return bits;
}

static void add_binding(conf_t *c, struct ctx *x, unsigned menus, const char *key, int *keys, size_t nkeys,
			const char *fn, const char *macro, const char *desc)
{
	for (unsigned bit = 1; bit < MENU_ALL; bit <<= 1) {
		if (!(menus & bit))
			continue;
		c->bind = xreallocarray(c->bind, c->nbind + 1, sizeof(*c->bind));
		struct conf_binding *b = &c->bind[c->nbind++];
		memset(b, 0, sizeof(*b));
		b->menu = xstrdup(keys_menu_name(bit));
		b->key = xstrdup(key);
		b->keys = xreallocarray(NULL, nkeys, sizeof(int));
		memcpy(b->keys, keys, nkeys * sizeof(int));
		b->nkeys = nkeys;
		b->function = fn ? xstrdup(fn) : NULL;
		b->macro = macro ? xstrdup(macro) : NULL;
		b->desc = desc ? xstrdup(desc) : NULL;
		b->file = xstrdup(x->file);
		b->line = x->line;
	}
}

static int *parse_key_arg(conf_t *c, struct ctx *x, const char *spec, size_t *n, bool macro)
{
	char *err;
	int *keys = macro ? keys_parse_macro(spec, n, &err) : keys_parse(spec, n, &err);
	if (!keys) {
		conf_err(c, x, "bad key '%s': %s", spec, err);
		free(err);
	}
	return keys;
}

static void cmd_bind(conf_t *c, struct ctx *x, struct words *ws)
{
	unsigned menus = parse_menus(c, x, ws->w[1].s);
	if (!menus)
		return;
	const char *fname = ws->w[3].s;
	const struct fn_def *f = keys_function(fname);
	if (!f) {
		size_t n;
		const struct fn_def *all = keys_functions(&n);
		const char **names = xcalloc(n, sizeof(*names));
		for (size_t i = 0; i < n; i++)
			names[i] = all[i].name;
		char *s = suggest(fname, names, n);
		conf_err(c, x, "unknown function '%s'%s", fname, s);
		free(s);
		free(names);
		return;
	}
	if ((f->menus & menus) != menus && !(f->menus & MENU_GENERIC)) {
		conf_err(c, x, "function '%s' does not work in menu '%s'", fname, ws->w[1].s);
		return;
	}
	size_t n;
	int *keys = parse_key_arg(c, x, ws->w[2].s, &n, false);
	if (!keys)
		return;
	add_binding(c, x, menus, ws->w[2].s, keys, n, fname, NULL, NULL);
	free(keys);
}

static void cmd_macro(conf_t *c, struct ctx *x, struct words *ws)
{
	unsigned menus = parse_menus(c, x, ws->w[1].s);
	if (!menus)
		return;
	size_t n, nm;
	int *keys = parse_key_arg(c, x, ws->w[2].s, &n, false);
	if (!keys)
		return;
	int *seq = parse_key_arg(c, x, ws->w[3].s, &nm, true);
	if (seq)
		add_binding(c, x, menus, ws->w[2].s, keys, n, NULL, ws->w[3].s, ws->n > 4 ? ws->w[4].s : NULL);
	free(seq);
	free(keys);
}

static const char *const color_objects[] = {
	"normal",        "indicator",     "status",         "message",        "error",
	"prompt",        "tree",          "index",          "index_date",     "index_from",
	"index_subject", "index_flags",   "index_tags",     "index_unread",   "index_flagged",
	"index_deleted", "index_replied", "sidebar",        "sidebar_highlight", "sidebar_unread",
	"sidebar_divider", "header",      "header_name",    "body",           "quoted",
	"quoted1",       "quoted2",       "quoted3",        "quoted4",        "signature",
	"url",           "attachment",    "search",         "markers",        "tilde",
	"help",          "offline",
};

static const char *const color_names[] = { "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white" };

/* -1 for default, 0-255, or -2 if not a colour. */
static int parse_color(const char *s)
{
	if (strcasecmp(s, "default") == 0)
		return -1;
	int bright = 0;
	if (strncasecmp(s, "bright", 6) == 0) {
		bright = 8;
		s += 6;
	}
	for (int i = 0; i < 8; i++)
		if (strcasecmp(s, color_names[i]) == 0)
			return i + bright;
	long n;
	if (!bright && strncasecmp(s, "color", 5) == 0 && util_parse_long(s + 5, 0, 255, &n))
		return (int)n;
	return -2;
}

static int parse_attr(const char *s)
{
	static const struct {
		const char *name;
		int bit;
	} attrs[] = { { "bold", COLOR_ATTR_BOLD },       { "underline", COLOR_ATTR_UNDERLINE },
		      { "reverse", COLOR_ATTR_REVERSE }, { "standout", COLOR_ATTR_REVERSE },
		      { "dim", COLOR_ATTR_DIM },         { "italic", COLOR_ATTR_ITALIC },
		      { "blink", COLOR_ATTR_BLINK },     { "none", 0 } };
	for (size_t i = 0; i < ARRAY_SIZE(attrs); i++)
		if (strcasecmp(s, attrs[i].name) == 0)
			return attrs[i].bit;
	return -1;
}

static bool object_takes_regex(const char *obj)
{
	return strncmp(obj, "index", 5) == 0 || strcmp(obj, "header") == 0 || strcmp(obj, "body") == 0;
}

static void cmd_color(conf_t *c, struct ctx *x, struct words *ws)
{
	const char *obj = ws->w[1].s;
	bool known = false;
	for (size_t i = 0; i < ARRAY_SIZE(color_objects); i++)
		known = known || strcmp(obj, color_objects[i]) == 0;
	if (!known) {
		char *s = suggest(obj, color_objects, ARRAY_SIZE(color_objects));
		conf_err(c, x, "unknown colour object '%s'%s", obj, s);
		free(s);
		return;
	}
	size_t i = 2;
	int attrs = 0, a;
	while (i < ws->n && (a = parse_attr(ws->w[i].s)) >= 0) {
		attrs |= a;
		i++;
	}
	if (i + 2 > ws->n) {
		conf_err(c, x, "usage: color OBJECT [ATTRIBUTE...] FOREGROUND BACKGROUND [REGEX]");
		return;
	}
	int fg = parse_color(ws->w[i].s), bg = parse_color(ws->w[i + 1].s);
	if (fg == -2 || bg == -2) {
		conf_err(c, x, "bad colour '%s': use default, black, red, green, yellow, blue, magenta, cyan, white, brightNAME or color0-color255",
			 fg == -2 ? ws->w[i].s : ws->w[i + 1].s);
		return;
	}
	const char *re = i + 2 < ws->n ? ws->w[i + 2].s : NULL;
	if (i + 3 < ws->n) {
		conf_err(c, x, "too many arguments to color");
		return;
	}
	if (re) {
		if (!object_takes_regex(obj)) {
			conf_err(c, x, "colour object '%s' takes no pattern (only index*, header and body do)", obj);
			return;
		}
		regex_t rx;
		int rc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char msg[128];
			regerror(rc, &rx, msg, sizeof(msg));
			conf_err(c, x, "bad pattern '%s': %s", re, msg);
			return;
		}
		regfree(&rx);
	}
	c->color = xreallocarray(c->color, c->ncolor + 1, sizeof(*c->color));
	struct conf_color *col = &c->color[c->ncolor++];
	col->object = xstrdup(obj);
	col->attrs = attrs;
	col->fg = fg;
	col->bg = bg;
	col->regex = re ? xstrdup(re) : NULL;
	col->file = xstrdup(x->file);
	col->line = x->line;
}

static void cmd_search(conf_t *c, struct ctx *x, struct words *ws)
{
	const char *name = ws->w[1].s, *query = ws->w[2].s;
	if (!*name || !*query) {
		conf_err(c, x, "search needs a name and a query");
		return;
	}
	for (size_t i = 0; i < c->nsearch; i++) {
		if (strcmp(c->search[i].name, name) == 0) { /* a later definition wins */
			free(c->search[i].query);
			c->search[i].query = xstrdup(query);
			return;
		}
	}
	c->search = xreallocarray(c->search, c->nsearch + 1, sizeof(*c->search));
	c->search[c->nsearch].name = xstrdup(name);
	c->search[c->nsearch].query = xstrdup(query);
	c->nsearch++;
}

/* ---------- power-user commands: hooks and mailing lists ---------- */

/* Words after the pattern as one command: a single word as it is, more
 * (mutt's unquoted `folder-hook . set sort=date`) joined again, each
 * word that needs it single-quoted so the rc parser reads the same words. */
static char *join_words(const struct words *ws, size_t from)
{
	if (from + 1 == ws->n)
		return xstrdup(ws->w[from].s);
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = from; i < ws->n; i++) {
		const char *w = ws->w[i].s;
		if (i > from)
			strbuf_addc(&b, ' ');
		if (*w && !strpbrk(w, " \t'\"#\\")) {
			strbuf_adds(&b, w);
			continue;
		}
		strbuf_addc(&b, '\'');
		for (; *w; w++) {
			if (*w == '\'' || *w == '\\')
				strbuf_addc(&b, '\\');
			strbuf_addc(&b, *w);
		}
		strbuf_addc(&b, '\'');
	}
	return strbuf_detach(&b);
}

static void cmd_hook(conf_t *c, struct ctx *x, struct words *ws)
{
	enum hook_type t = hooks_type_by_name(ws->w[0].s);
	bool pat = hooks_type_has_pattern(t);
	if (ws->n < (pat ? 3u : 2u)) {
		conf_err(c, x, "usage: %s %sCOMMAND", ws->w[0].s, pat ? "PATTERN " : "");
		return;
	}
	char *cmd = join_words(ws, pat ? 2 : 1), *err = NULL;
	if (!hooks_add(c->hooks, t, pat ? ws->w[1].s : NULL, cmd, &err)) {
		conf_err(c, x, "%s: %s", ws->w[0].s, err ? err : "bad hook");
		free(err);
	}
	free(cmd);
}

static void cmd_unhook(conf_t *c, struct ctx *x, struct words *ws)
{
	for (size_t i = 1; i < ws->n; i++) {
		enum hook_type t = strcmp(ws->w[i].s, "*") == 0 ? HOOK_NONE : hooks_type_by_name(ws->w[i].s);
		if (t == HOOK_NONE && strcmp(ws->w[i].s, "*") != 0)
			conf_err(c, x, "unhook: unknown hook type '%s'", ws->w[i].s);
		else
			hooks_remove(c->hooks, t);
	}
}

static bool regex_ok(conf_t *c, struct ctx *x, const char *re)
{
	regex_t r;
	int rc = regcomp(&r, re, REG_EXTENDED | REG_ICASE | REG_NOSUB);
	if (rc != 0) {
		char msg[128];
		regerror(rc, &r, msg, sizeof(msg));
		conf_err(c, x, "bad regular expression '%s': %s", re, msg);
		return false;
	}
	regfree(&r);
	return true;
}

static void strlist_add(char ***l, const char *s)
{
	size_t n = 0;
	while ((*l)[n]) {
		if (strcmp((*l)[n], s) == 0)
			return;
		n++;
	}
	*l = xreallocarray(*l, n + 2, sizeof(char *));
	(*l)[n] = xstrdup(s);
	(*l)[n + 1] = NULL;
}

static void strlist_del(char **l, const char *s)
{
	size_t k = 0;
	for (size_t i = 0; l[i]; i++) {
		if (strcmp(s, "*") == 0 || strcmp(l[i], s) == 0)
			free(l[i]);
		else
			l[k++] = l[i];
	}
	l[k] = NULL;
}

/* mutt's `alternates REGEX...` command: each regex joins the alternates
 * option ("a|b"); `unalternates *` empties it, `unalternates REGEX`
 * takes that one out. */
static void cmd_alternates(conf_t *c, struct ctx *x, struct words *ws)
{
	bool un = strcmp(ws->w[0].s, "unalternates") == 0;
	for (size_t i = 1; i < ws->n; i++) {
		const char *re = ws->w[i].s, *cur = conf_str(c, c->cur, OPT_ID_alternates);
		struct strbuf b;
		strbuf_init(&b);
		if (!un && !regex_ok(c, x, re))
			continue;
		if (!un)
			strbuf_addf(&b, "%s%s(%s)", cur && *cur ? cur : "", cur && *cur ? "|" : "", re);
		else if (strcmp(re, "*") != 0 && cur && *cur) {
			char *piece = xasprintf("(%s)", re), *copy = xstrdup(cur), *save = NULL;
			for (char *t = strtok_r(copy, "|", &save); t; t = strtok_r(NULL, "|", &save))
				if (strcmp(t, piece) != 0)
					strbuf_addf(&b, "%s%s", b.len ? "|" : "", t);
			free(copy);
			free(piece);
		}
		char *err = NULL;
		if (!conf_set(c, c->cur, "alternates", b.s ? b.s : "", &err))
			conf_err(c, x, "%s", err);
		free(err);
		strbuf_free(&b);
	}
}

/* lists / subscribe add (subscribed lists are lists too, as in mutt);
 * unlists removes from both, unsubscribe from the subscribed ones. */
static void cmd_lists(conf_t *c, struct ctx *x, struct words *ws)
{
	bool sub = strcmp(ws->w[0].s, "subscribe") == 0;
	for (size_t i = 1; i < ws->n; i++) {
		if (!regex_ok(c, x, ws->w[i].s))
			continue;
		strlist_add(&c->lists, ws->w[i].s);
		if (sub)
			strlist_add(&c->subscribed, ws->w[i].s);
	}
}

static void cmd_unlists(conf_t *c, struct ctx *x, struct words *ws)
{
	(void)x;
	bool all = strcmp(ws->w[0].s, "unlists") == 0;
	for (size_t i = 1; i < ws->n; i++) {
		strlist_del(c->subscribed, ws->w[i].s);
		if (all)
			strlist_del(c->lists, ws->w[i].s);
	}
}

/* ---------- mutt's header display, my_hdr, mailboxes, MIME ---------- */

static bool prefix_ci(const char *s, const char *pre)
{
	return strcmp(pre, "*") == 0 || strncasecmp(s, pre, strlen(pre)) == 0;
}

static bool any_prefix(char **l, const char *s)
{
	for (; l && *l; l++)
		if (prefix_ci(s, *l))
			return true;
	return false;
}

/* Does an entry of l start with s, or s with it? */
static bool any_related(char **l, const char *s)
{
	for (; l && *l; l++)
		if (prefix_ci(s, *l) || prefix_ci(*l, s))
			return true;
	return false;
}

/* One mutt prefix as a header_list token: "from:" is the header From,
 * "x-" every header starting so ("X-*"); capitalized as headers are. */
static void add_token(struct strbuf *b, const char *p, bool hide)
{
	size_t n = strlen(p);
	bool exact = n > 0 && p[n - 1] == ':';
	if (b->len)
		strbuf_addc(b, ' ');
	if (hide)
		strbuf_addc(b, '!');
	for (size_t i = 0; i < n - exact; i++) {
		char ch = p[i];
		bool start = i == 0 || p[i - 1] == '-';
		strbuf_addc(b, (char)(start ? toupper((unsigned char)ch) : tolower((unsigned char)ch)));
	}
	if (!exact)
		strbuf_addc(b, '*');
}

/* Write mutt's three lists into header_list: hdr_order's visible ones
 * first, then with `ignore *` the unignored ones, else every header
 * not ignored in the message's order. */
static void write_header_list(conf_t *c, struct ctx *x)
{
	struct strbuf b;
	strbuf_init(&b);
	bool all_ignored = false;
	for (char **l = c->ignore; *l; l++)
		all_ignored = all_ignored || strcmp(*l, "*") == 0;
	for (char **l = c->hdr_order; *l; l++)
		if (!any_prefix(c->ignore, *l) || any_related(c->unignore, *l))
			add_token(&b, *l, false);
	for (char **l = c->unignore; *l; l++)
		if ((all_ignored || any_prefix(c->ignore, *l)) && !any_prefix(c->hdr_order, *l))
			add_token(&b, *l, false);
	if (!all_ignored) {
		for (char **l = c->ignore; *l; l++)
			add_token(&b, *l, true);
		strbuf_adds(&b, b.len ? " *" : "*");
	}
	char *err = NULL;
	if (!conf_set(c, c->cur, "header_list", b.s ? b.s : "", &err))
		conf_err(c, x, "%s", err);
	free(err);
	strbuf_free(&b);
}

/* Before the first of them, mutt's lists are those of its system rc
 * (ignore *, unignore the five) which header_list's default shows. */
static void seed_header_lists(conf_t *c)
{
	if (c->ignore)
		return;
	c->ignore = xcalloc(1, sizeof(char *));
	c->unignore = xcalloc(1, sizeof(char *));
	c->hdr_order = xcalloc(1, sizeof(char *));
	strlist_add(&c->ignore, "*");
	static const char *const shown[] = { "date:", "from:", "to:", "cc:", "subject:" };
	for (size_t i = 0; i < ARRAY_SIZE(shown); i++)
		strlist_add(&c->unignore, shown[i]);
}

/* mutt's ignore / unignore / hdr_order / unhdr_order PREFIX... | *:
 * ignore takes a prefix off unignore (`ignore *` empties it), unignore
 * off ignore (`unignore *` empties that: every header shows). */
static void cmd_ignore(conf_t *c, struct ctx *x, struct words *ws)
{
	const char *cmd = ws->w[0].s;
	seed_header_lists(c);
	for (size_t i = 1; i < ws->n; i++) {
		char *p = ws->w[i].s;
		for (char *q = p; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		if (strcmp(cmd, "ignore") == 0) {
			strlist_del(c->unignore, p);
			strlist_add(&c->ignore, p);
		} else if (strcmp(cmd, "unignore") == 0) {
			if (strcmp(p, "*") != 0)
				strlist_add(&c->unignore, p);
			strlist_del(c->ignore, p);
		} else if (strcmp(cmd, "hdr_order") == 0) {
			if (strcmp(p, "*") != 0)
				strlist_add(&c->hdr_order, p);
		} else {
			strlist_del(c->hdr_order, p);
		}
	}
	write_header_list(c, x);
}

/* A header my_hdr may add: a field name of printable ASCII, a value
 * without control characters (no CR or LF: no second header). */
static bool my_hdr_ok(const char *h, size_t *name_len)
{
	size_t n = strcspn(h, ":");
	if (n == 0 || !h[n])
		return false;
	for (size_t i = 0; i < n; i++)
		if (h[i] <= ' ' || h[i] > '~')
			return false;
	for (const char *v = h + n + 1; *v; v++)
		if ((unsigned char)*v < ' ' && *v != '\t')
			return false;
	*name_len = n;
	return true;
}

static bool same_header(const char *entry, const char *name, size_t n)
{
	return strncasecmp(entry, name, n) == 0 && entry[n] == ':';
}

static void my_hdr_del(conf_t *c, const char *name, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; c->my_hdr[i]; i++) {
		if (same_header(c->my_hdr[i], name, n))
			free(c->my_hdr[i]);
		else
			c->my_hdr[k++] = c->my_hdr[i];
	}
	c->my_hdr[k] = NULL;
}

/* mutt's `my_hdr Name: value` (the rest of the line; a later one of the
 * same name replaces it) and `unmy_hdr Name... | *`. */
static void cmd_my_hdr(conf_t *c, struct ctx *x, struct words *ws)
{
	if (strcmp(ws->w[0].s, "unmy_hdr") == 0) {
		for (size_t i = 1; i < ws->n; i++) {
			const char *nm = ws->w[i].s;
			size_t n = strcspn(nm, ":");
			if (strcmp(nm, "*") == 0)
				strlist_del(c->my_hdr, "*");
			else
				my_hdr_del(c, nm, n);
		}
		return;
	}
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 1; i < ws->n; i++)
		strbuf_addf(&b, "%s%s", i > 1 ? " " : "", ws->w[i].s);
	size_t n = 0;
	if (!my_hdr_ok(b.s, &n)) {
		conf_err(c, x, "my_hdr wants one header, Name: value (no control characters)");
	} else {
		const char *v = b.s + n + 1;
		v += strspn(v, " \t");
		char *h = xasprintf("%.*s: %s", (int)n, b.s, v);
		my_hdr_del(c, b.s, n);
		strlist_add(&c->my_hdr, h);
		free(h);
	}
	strbuf_free(&b);
}

/* mutt's `mailboxes =INBOX +lists ...`: every folder of the account is
 * mirrored and in the sidebar already, so the list is kept as folder
 * names (mutt's folder, = and + taken off); unmailboxes takes out. */
static char *mailbox_name(const conf_t *c, const char *m)
{
	size_t fl = c->folder ? strlen(c->folder) : 0;
	if (*m == '=' || *m == '+')
		m++;
	else if (fl && strncmp(m, c->folder, fl) == 0)
		m += fl;
	m += strspn(m, "/");
	return xstrdup(*m ? m : "INBOX");
}

static void cmd_mailboxes(conf_t *c, struct ctx *x, struct words *ws)
{
	(void)x;
	bool un = strcmp(ws->w[0].s, "unmailboxes") == 0;
	for (size_t i = 1; i < ws->n; i++) {
		const char *m = ws->w[i].s;
		if (un && strcmp(m, "*") == 0) {
			strlist_del(c->mailboxes, "*");
			continue;
		}
		if (strcmp(m, "-label") == 0 || strcmp(m, "-notify") == 0 || strcmp(m, "-poll") == 0) {
			i += strcmp(m, "-label") == 0; /* neomutt's flags: the label is a word */
			continue;
		}
		char *name = mailbox_name(c, m);
		if (un)
			strlist_del(c->mailboxes, name);
		else
			strlist_add(&c->mailboxes, name);
		free(name);
	}
}

/* mutt's `alternative_order TYPE...` appends to the option;
 * `unalternative_order *` puts the default back. */
static void cmd_alternative_order(conf_t *c, struct ctx *x, struct words *ws)
{
	const struct opt_def *o = &options[OPT_ID_alternative_order];
	struct optval *sv = slot(c, c->cur, o);
	if (strcmp(ws->w[0].s, "unalternative_order") == 0) {
		xfree(&sv->val);
		return;
	}
	struct strbuf b;
	strbuf_init(&b);
	if (sv->val && *sv->val)
		strbuf_adds(&b, sv->val);
	for (size_t i = 1; i < ws->n; i++)
		strbuf_addf(&b, "%s%s", b.len ? " " : "", ws->w[i].s);
	char *err = NULL;
	if (!conf_set(c, c->cur, o->name, b.s ? b.s : "", &err))
		conf_err(c, x, "%s", err);
	free(err);
	strbuf_free(&b);
}

/* mutt's `auto_view TYPE...`: the pager shows every text part inline
 * already (text/html through html_filter or the built-in converter), so
 * the types are only kept (conf_auto_view); any other type gets a notice. */
static void cmd_auto_view(conf_t *c, struct ctx *x, struct words *ws)
{
	bool un = strcmp(ws->w[0].s, "unauto_view") == 0;
	for (size_t i = 1; i < ws->n; i++) {
		if (un) {
			strlist_del(c->auto_view, ws->w[i].s);
			continue;
		}
		strlist_add(&c->auto_view, ws->w[i].s);
		if (strncasecmp(ws->w[i].s, "text/", 5) != 0) {
			char *m = xasprintf("auto_view %s: only text parts are shown inline; open it with view-attachments",
					    ws->w[i].s);
			conf_notice_add(c, x, m);
			free(m);
		}
	}
}

const char *const *conf_my_hdr(const conf_t *c) { return (const char *const *)c->my_hdr; }
const char *const *conf_mailboxes(const conf_t *c) { return (const char *const *)c->mailboxes; }
const char *const *conf_auto_view(const conf_t *c) { return (const char *const *)c->auto_view; }

alias_table_t *conf_aliases(const conf_t *c) { return c->aliases; }
const hooks_t *conf_hooks(const conf_t *c) { return c->hooks; }
const char *const *conf_lists(const conf_t *c) { return (const char *const *)c->lists; }
const char *const *conf_subscribed(const conf_t *c) { return (const char *const *)c->subscribed; }

static const struct command commands[] = {
	{ "set", 1, CONF_MAX_WORDS, "set OPTION = VALUE", cmd_set },
	{ "unset", 1, CONF_MAX_WORDS, "unset OPTION...", cmd_unset },
	{ "reset", 1, CONF_MAX_WORDS, "reset OPTION...", cmd_reset },
	{ "toggle", 1, CONF_MAX_WORDS, "toggle OPTION...", cmd_toggle },
	{ "account", 1, 1, "account NAME", cmd_account },
	{ "source", 1, 1, "source FILE", cmd_source },
	{ "bind", 3, 3, "bind MENU KEY FUNCTION", cmd_bind },
	{ "macro", 3, 4, "macro MENU KEY KEYS [DESCRIPTION]", cmd_macro },
	{ "color", 3, 8, "color OBJECT [ATTRIBUTE...] FOREGROUND BACKGROUND [REGEX]", cmd_color },
	{ "search", 2, 2, "search NAME QUERY", cmd_search },
	{ "folder-hook", 2, CONF_MAX_WORDS, "folder-hook [!]REGEX COMMAND", cmd_hook },
	{ "account-hook", 2, CONF_MAX_WORDS, "account-hook [!]REGEX COMMAND", cmd_hook },
	{ "send-hook", 2, CONF_MAX_WORDS, "send-hook PATTERN COMMAND", cmd_hook },
	{ "reply-hook", 2, CONF_MAX_WORDS, "reply-hook PATTERN COMMAND", cmd_hook },
	{ "message-hook", 2, CONF_MAX_WORDS, "message-hook PATTERN COMMAND", cmd_hook },
	{ "startup-hook", 1, CONF_MAX_WORDS, "startup-hook COMMAND", cmd_hook },
	{ "shutdown-hook", 1, CONF_MAX_WORDS, "shutdown-hook COMMAND", cmd_hook },
	{ "new-mail-hook", 1, CONF_MAX_WORDS, "new-mail-hook SHELL-COMMAND", cmd_hook },
	{ "sent-hook", 1, CONF_MAX_WORDS, "sent-hook SHELL-COMMAND", cmd_hook },
	{ "unhook", 1, CONF_MAX_WORDS, "unhook TYPE... | *", cmd_unhook },
	{ "lists", 1, CONF_MAX_WORDS, "lists REGEX...", cmd_lists },
	{ "subscribe", 1, CONF_MAX_WORDS, "subscribe REGEX...", cmd_lists },
	{ "unlists", 1, CONF_MAX_WORDS, "unlists REGEX... | *", cmd_unlists },
	{ "unsubscribe", 1, CONF_MAX_WORDS, "unsubscribe REGEX... | *", cmd_unlists },
	{ "alternates", 1, CONF_MAX_WORDS, "alternates REGEX...", cmd_alternates },
	{ "unalternates", 1, CONF_MAX_WORDS, "unalternates REGEX... | *", cmd_alternates },
	{ "ignore", 1, CONF_MAX_WORDS, "ignore HEADER-PREFIX... | *", cmd_ignore },
	{ "unignore", 1, CONF_MAX_WORDS, "unignore HEADER-PREFIX... | *", cmd_ignore },
	{ "hdr_order", 1, CONF_MAX_WORDS, "hdr_order HEADER-PREFIX...", cmd_ignore },
	{ "unhdr_order", 1, CONF_MAX_WORDS, "unhdr_order HEADER-PREFIX... | *", cmd_ignore },
	{ "my_hdr", 1, CONF_MAX_WORDS, "my_hdr NAME: VALUE", cmd_my_hdr },
	{ "unmy_hdr", 1, CONF_MAX_WORDS, "unmy_hdr NAME... | *", cmd_my_hdr },
	{ "mailboxes", 1, CONF_MAX_WORDS, "mailboxes FOLDER...", cmd_mailboxes },
	{ "unmailboxes", 1, CONF_MAX_WORDS, "unmailboxes FOLDER... | *", cmd_mailboxes },
	{ "alternative_order", 1, CONF_MAX_WORDS, "alternative_order TYPE...", cmd_alternative_order },
	{ "unalternative_order", 1, CONF_MAX_WORDS, "unalternative_order TYPE... | *", cmd_alternative_order },
	{ "auto_view", 1, CONF_MAX_WORDS, "auto_view TYPE...", cmd_auto_view },
	{ "unauto_view", 1, CONF_MAX_WORDS, "unauto_view TYPE... | *", cmd_auto_view },
};

/* alias and unalias take the rest of the line as alias.c reads it
 * (mutt's quoting and comments inside address lists). */
static bool run_alias_line(conf_t *c, struct ctx *x, const char *line)
{
	const char *p = line + strspn(line, " \t");
	size_t n = strcspn(p, " \t\r");
	bool def = n == 5 && strncmp(p, "alias", 5) == 0;
	if (!def && !(n == 7 && strncmp(p, "unalias", 7) == 0))
		return false;
	const char *rest = p + n + strspn(p + n, " \t");
	char *err = NULL;
	if (!*rest || *rest == '#')
		conf_err(c, x, "usage: %s", def ? "alias [-group NAME]... KEY ADDRESS[, ADDRESS...]" : "unalias KEY... | *");
	else if (def && !alias_define(c->aliases, rest, &err))
		conf_err(c, x, "alias: %s", err ? err : "bad alias");
	else if (!def)
		alias_undefine(c->aliases, rest);
	free(err);
	return true;
}

static void run_line(conf_t *c, struct ctx *x, const char *line)
{
	struct words ws;
	char *err;
	if (run_alias_line(c, x, line))
		return;
	if (!tokenize(line, &ws, &err)) {
		conf_err(c, x, "%s", err);
		free(err);
		words_free(&ws);
		return;
	}
	if (ws.n == 0)
		return;
	const char *name = ws.w[0].s;
	const struct command *cmd = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			cmd = &commands[i];
	if (!cmd && strcmp(name, "colour") == 0)
		cmd = &commands[8];
	if (!cmd) {
		const char *names[ARRAY_SIZE(commands)];
		for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
			names[i] = commands[i].name;
		char *s = suggest(name, names, ARRAY_SIZE(commands));
		conf_err(c, x, "unknown command '%s'%s", name, s);
		free(s);
	} else if (ws.n - 1 < cmd->min_args || ws.n - 1 > cmd->max_args) {
		conf_err(c, x, "usage: %s", cmd->usage);
	} else {
		cmd->run(c, x, &ws);
	}
	words_free(&ws);
}

/* ---------- files ---------- */

/* Does the line end in an unescaped backslash (a continuation)? */
static bool continues(const char *s, size_t len)
{
	size_t n = 0;
	while (n < len && s[len - 1 - n] == '\\')
		n++;
	return n % 2 == 1;
}

static size_t load_text(conf_t *c, const char *name, const char *text, size_t len)
{
	struct ctx x = { name, 0, 0 };
	struct strbuf logical;
	strbuf_init(&logical);
	int lineno = 0, start = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		if (!logical.len)
			start = lineno;
		if (memchr(p, '\0', l)) {
			x.line = lineno;
			conf_err(c, &x, "line contains a NUL byte");
			strbuf_reset(&logical);
		} else if (continues(p, l)) {
			strbuf_add(&logical, p, l - 1);
			if (!nl) { /* a backslash at the end of the file continues nothing */
				x.line = start;
				run_line(c, &x, logical.s);
				strbuf_reset(&logical);
			}
		} else {
			strbuf_add(&logical, p, l);
			x.line = start;
			run_line(c, &x, logical.s);
			strbuf_reset(&logical);
		}
		p = nl ? nl + 1 : end;
	}
	strbuf_free(&logical);
	return x.errors;
}

size_t conf_load_string(conf_t *c, const char *name, const char *text)
{
	return load_text(c, name, text, strlen(text));
}

size_t conf_command(conf_t *c, long account, const char *line)
{
	long saved = c->cur;
	c->cur = account;
	struct ctx x = { "(command)", 1, 0 };
	run_line(c, &x, line);
	c->cur = saved;
	return x.errors;
}

static bool read_all(const char *path, char **out, size_t *len, struct stat *st, char **err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		*err = xasprintf("cannot read %s: %s", path, strerror(errno));
		return false;
	}
	if (fstat(fileno(f), st) < 0 || !S_ISREG(st->st_mode)) {
		*err = xasprintf("%s is not a regular file", path);
		fclose(f);
		return false;
	}
	if (st->st_size > CONF_MAX_FILE_SIZE) {
		*err = xasprintf("%s is larger than %ld bytes; not a config file?", path, CONF_MAX_FILE_SIZE);
		fclose(f);
		return false;
	}
	struct strbuf b;
	strbuf_init(&b);
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && b.len <= (size_t)CONF_MAX_FILE_SIZE)
		strbuf_add(&b, buf, n);
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		*err = xasprintf("cannot read %s: %s", path, strerror(errno));
		strbuf_free(&b);
		return false;
	}
	*len = b.len;
	*out = strbuf_detach(&b);
	return true;
}

/* Warn about a file others can read that holds a password. */
static void check_secret_perms(conf_t *c, const char *path, const char *text, const struct stat *st)
{
	if (!(st->st_mode & 077))
		return;
	bool has_pass = false;
	for (size_t a = 0; a < c->nacct && !has_pass; a++)
		has_pass = c->acct[a].v[OPT_ID_imap_pass].val && *c->acct[a].v[OPT_ID_imap_pass].val;
	has_pass = has_pass || (c->global[OPT_ID_imap_pass].val && *c->global[OPT_ID_imap_pass].val);
	if (has_pass && strstr(text, "imap_pass") &&
	    (strstr(text, "imap_pass ") || strstr(text, "imap_pass=") || strstr(text, "imap_pass\t")))
		push_clean(&c->warnings, xasprintf("%s: holds imap_pass but is readable by group or others; run: chmod 600 %s",
						    path, path));
}

static size_t load_file(conf_t *c, struct ctx *parent, const char *path)
{
	struct ctx here = { parent ? parent->file : path, parent ? parent->line : 0, 0 };
	char *real = realpath(path, NULL);
	if (real) {
		for (size_t i = 0; i < c->stack.n; i++) {
			if (strcmp(c->stack.v[i], real) == 0) {
				conf_err(c, &here, "source loop: %s is already being read", path);
				free(real);
				return here.errors;
			}
		}
	}
	if (c->stack.n >= CONF_MAX_SOURCE_DEPTH) {
		conf_err(c, &here, "source nested deeper than %d files", CONF_MAX_SOURCE_DEPTH);
		free(real);
		return here.errors;
	}
	char *text, *err;
	size_t len;
	struct stat st;
	if (!read_all(path, &text, &len, &st, &err)) {
		if (parent)
			conf_err(c, &here, "%s", err);
		else
			add_error(c, path, xstrdup(err));
		free(err);
		free(real);
		return here.errors + (parent ? 0 : 1);
	}
	strvec_push(&c->stack, real ? real : xstrdup(path));
	size_t n = load_text(c, path, text, len);
	check_secret_perms(c, path, text, &st);
	free(c->stack.v[--c->stack.n]);
	free(text);
	return n + here.errors;
}

size_t conf_load_file(conf_t *c, const char *path)
{
	c->cur = -1;
	return load_file(c, NULL, path);
}

/* ---------- locations ---------- */

static bool exists(const char *p)
{
	return access(p, F_OK) == 0;
}

char *conf_find_file(const char *explicit_path)
{
	if (explicit_path)
		return xstrdup(explicit_path);
	const char *xdg = getenv("XDG_CONFIG_HOME");
	char *p;
	if (xdg && *xdg == '/') {
		p = xasprintf("%s/muttlike/muttlike.rc", xdg);
		if (exists(p))
			return p;
		free(p);
	}
	p = xasprintf("%s/.config/muttlike/muttlike.rc", util_home());
	if (exists(p))
		return p;
	free(p);
	p = xasprintf("%s/.muttlikerc", util_home());
	if (exists(p))
		return p;
	free(p);
	return NULL;
}

char *conf_data_dir(const conf_t *c)
{
	const char *dd = conf_str(c, -1, OPT_ID_data_dir);
	if (*dd)
		return util_expand_path(dd);
	const char *xdg = getenv("XDG_DATA_HOME");
	if (xdg && *xdg == '/')
		return xasprintf("%s/muttlike", xdg);
	return xasprintf("%s/.local/share/muttlike", util_home());
}
