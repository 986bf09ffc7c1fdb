/* prompt.c - the line editor on the last row: editing keys from the
 * `editor` menu, history per kind of prompt, Tab completion of commands,
 * options, accounts, folders, tags, file names and addresses.  While it waits for a
 * key, ui_getkey keeps handling events, so sync progress still shows. */
#include "prompt.h"

#include <ctype.h>
#include <dirent.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "alias.h"
#include "conf.h"
#include "draw.h"
#include "keymap.h"
#include "keys.h"
#include "mailview.h"
#include "query.h"
#include "secret.h"
#include "status.h"
#include "theme.h"
#include "ui.h"
#include "uistate.h"
#include "utf8.h"
#include "util.h"

#define HIST_MAX 100

struct line {
	unsigned *cp; /* code points */
	size_t n, cap, pos;
};

static void line_set(struct line *l, const char *s)
{
	l->n = l->pos = 0;
	const char *p = s, *end = s + strlen(s);
	while (p < end) {
		if (l->n + 1 >= l->cap) {
			l->cap = l->cap ? l->cap * 2 : 64;
			l->cp = xreallocarray(l->cp, l->cap, sizeof(unsigned));
		}
		l->cp[l->n++] = utf8_next(&p, end);
	}
	l->pos = l->n;
}

static void line_insert(struct line *l, unsigned c)
{
	if (l->n + 1 >= l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->cp = xreallocarray(l->cp, l->cap, sizeof(unsigned));
	}
	memmove(l->cp + l->pos + 1, l->cp + l->pos, (l->n - l->pos) * sizeof(unsigned));
	l->cp[l->pos++] = c;
	l->n++;
}

static char *line_str(const struct line *l, size_t from, size_t to)
{
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = from; i < to; i++)
		utf8_put(&b, l->cp[i]);
	return strbuf_detach(&b);
}

void prompt_history_add(struct ui *u, enum hist_kind h, const char *line)
{
	if (!*line)
		return;
	if (u->nhist[h] && strcmp(u->hist[h][u->nhist[h] - 1], line) == 0)
		return;
	if (u->nhist[h] == HIST_MAX) {
		free(u->hist[h][0]);
		memmove(u->hist[h], u->hist[h] + 1, (HIST_MAX - 1) * sizeof(char *));
		u->nhist[h]--;
	}
	u->hist[h] = xreallocarray(u->hist[h], u->nhist[h] + 1, sizeof(char *));
	u->hist[h][u->nhist[h]++] = xstrdup(line);
}

/* ---- completion ---- */

struct cands {
	char **v;
	size_t n;
};

static void cand_add(struct cands *c, const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) != 0)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i], s) == 0)
			return;
	c->v = xreallocarray(c->v, c->n + 1, sizeof(char *));
	c->v[c->n++] = xstrdup(s);
}

static void cands_free(struct cands *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
}

static void complete_files(struct cands *c, const char *prefix)
{
	char *pat = xasprintf("%s*", prefix);
	char *exp = util_expand_path(pat);
	glob_t g;
	if (glob(exp, GLOB_MARK, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && i < 500; i++)
			cand_add(c, g.gl_pathv[i], "");
		globfree(&g);
	}
	free(exp);
	free(pat);
}

static void complete_tags(struct ui *u, struct cands *c, const char *prefix, const char *lead)
{
	if (!u->mv)
		return;
	char **tags = mailview_all_tags(u->mv);
	for (size_t i = 0; tags[i]; i++) {
		char *s = xasprintf("%s%s", lead, tags[i]);
		cand_add(c, s, prefix);
		free(s);
		free(tags[i]);
	}
	free(tags);
}

static void complete_folders(struct ui *u, struct cands *c, const char *prefix, const char *lead)
{
	const char *const *f = u->folders ? u->folders(u) : NULL;
	const char *acc = u->account >= 0 ? conf_account_name(u->conf, (size_t)u->account) : NULL;
	size_t al = acc ? strlen(acc) : 0;
	for (size_t i = 0; f && f[i]; i++) {
		char *s = xasprintf("%s%s", lead, f[i]);
		cand_add(c, s, prefix);
		free(s);
		/* the current account's folders also without "account/" */
		if (acc && strncmp(f[i], acc, al) == 0 && f[i][al] == '/') {
			s = xasprintf("%s%s", lead, f[i] + al + 1);
			cand_add(c, s, prefix);
			free(s);
		}
	}
}

/* Case-insensitive prefix of the name, any word of it, or the mailbox:
 * "bob", "build" and "bob@ex" all find "Bob Builder <bob@example.org>". */
static bool addr_matches(const struct addr *a, const char *word)
{
	size_t n = strlen(word);
	if (strncasecmp(a->mailbox, word, n) == 0)
		return true;
	for (const char *p = a->name; *p; p++)
		if ((p == a->name || p[-1] == ' ' || p[-1] == '"') && strncasecmp(p, word, n) == 0)
			return true;
	return false;
}

/* Aliases first (each as the addresses it stands for), then what
 * query_command finds, then the store's addresses. */
static void complete_addresses(struct ui *u, struct cands *c, const char *word)
{
	const alias_table_t *t = conf_aliases(u->conf);
	const struct alias *al[200];
	size_t na = alias_complete(t, word, al, ARRAY_SIZE(al), NULL);
	for (size_t i = 0; i < na && i < ARRAY_SIZE(al); i++) {
		char *err = NULL, *s = alias_expand_format(t, al[i]->key, &err);
		if (s && *s)
			cand_add(c, s, "");
		free(s);
		free(err);
	}
	const char *qc = conf_str(u->conf, -1, OPT_ID_query_command);
	if (qc && *qc && *word) {
		struct query_results r = { 0 };
		char *err = NULL;
		if (query_run(qc, word, 0, &r, &err)) {
			for (size_t i = 0; i < r.n && c->n < 200; i++) {
				char *s = query_result_format(&r.v[i]);
				cand_add(c, s, "");
				free(s);
			}
		}
		if (err)
			status_error(u, "query_command: %s", err);
		query_results_clear(&r);
		free(err);
	}
	const struct addr_list *l = u->mv && *word ? mailview_addresses(u->mv) : NULL;
	for (size_t i = 0; l && i < l->n && c->n < 200; i++) {
		if (!addr_matches(&l->v[i], word))
			continue;
		char *s = addr_format(&l->v[i]);
		cand_add(c, s, ""); /* matched above, not by the text's prefix */
		free(s);
	}
}

static void complete_cmd(struct ui *u, struct cands *c, const char *line, const char *word)
{
	static const char *const cmds[] = { "set", "unset", "toggle", "reset", "source", "account",
					    "bind", "macro", "color", "search", "exec", "push", "alias", "unalias",
					    "folder-hook", "account-hook", "send-hook", "reply-hook", "message-hook",
					    "startup-hook", "shutdown-hook", "new-mail-hook", "sent-hook", "unhook",
					    "lists", "unlists", "subscribe", "unsubscribe" };
	const char *sp = strchr(line, ' ');
	if (!sp) {
		for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
			cand_add(c, cmds[i], word);
		return;
	}
	size_t cl = (size_t)(sp - line);
	if (strncmp(line, "account", cl) == 0 && cl == 7) {
		for (size_t i = 0; i < conf_account_count(u->conf); i++)
			cand_add(c, conf_account_name(u->conf, i), word);
	} else if (cl == 6 && strncmp(line, "source", 6) == 0) {
		complete_files(c, word);
	} else if (cl == 4 && strncmp(line, "exec", 4) == 0) {
		size_t nf;
		const struct fn_def *f = keys_functions(&nf);
		for (size_t i = 0; i < nf; i++)
			cand_add(c, f[i].name, word);
	} else {
		const struct opt_def *o = conf_options();
		for (size_t i = 0; i < OPT_COUNT; i++)
			cand_add(c, o[i].name, word);
	}
}

/* The word being completed: from the last space (or tag:/folder: prefix) to the cursor. */
static size_t word_start(const struct line *l)
{
	size_t s = l->pos;
	while (s > 0 && l->cp[s - 1] != ' ')
		s--;
	return s;
}

static void gather(struct ui *u, enum complete_kind kind, const char *line, const char *word, struct cands *c)
{
	switch (kind) {
	case COMPLETE_CMD: complete_cmd(u, c, line, word); break;
	case COMPLETE_FOLDER: /* mutt's "=" and "+" stay in front */
		complete_folders(u, c, word, word[0] == '=' ? "=" : word[0] == '+' ? "+" : "");
		break;
	case COMPLETE_FILE: complete_files(c, word); break;
	case COMPLETE_TAGS:
		if (word[0] == '+' || word[0] == '-')
			complete_tags(u, c, word, word[0] == '+' ? "+" : "-");
		else
			complete_tags(u, c, word, "");
		break;
	case COMPLETE_ADDRESS: complete_addresses(u, c, word); break;
	case COMPLETE_QUERY:
		if (strncmp(word, "tag:", 4) == 0)
			complete_tags(u, c, word, "tag:");
		else if (strncmp(word, "folder:", 7) == 0)
			complete_folders(u, c, word, "folder:");
		break;
	default: break;
	}
}

/* An address entry starts after the last comma (names hold spaces). */
static size_t address_start(const struct line *l)
{
	size_t s = l->pos;
	while (s > 0 && l->cp[s - 1] != ',')
		s--;
	while (s < l->pos && l->cp[s] == ' ')
		s++;
	return s;
}

/* Bytes the candidates share at the start (cut on a UTF-8 boundary). */
static size_t common_len(const struct cands *c)
{
	size_t common = strlen(c->v[0]);
	for (size_t i = 1; i < c->n; i++) {
		size_t k = 0;
		while (k < common && c->v[i][k] == c->v[0][k])
			k++;
		common = k;
	}
	while (common > 0 && (c->v[0][common] & 0xC0) == 0x80)
		common--;
	return common;
}

/* Replace [ws, pos) by len bytes of text (and a space), cursor after it. */
static void replace_word(struct line *l, size_t ws, const char *text, size_t len, bool space)
{
	char *rest = line_str(l, l->pos, l->n);
	char *head = line_str(l, 0, ws);
	char *nl = xasprintf("%s%.*s%s%s", head, (int)len, text, space ? " " : "", rest);
	size_t keep = strlen(head) + len + space;
	line_set(l, nl);
	const char *p = nl, *end = nl + keep;
	l->pos = 0;
	while (p < end) {
		utf8_next(&p, nl + strlen(nl));
		l->pos++;
	}
	free(nl);
	free(head);
	free(rest);
}

/* The choices on the message line (addresses hold spaces: ";" between). */
static void list_choices(struct ui *u, const struct cands *c, const char *sep)
{
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < c->n && i < 50; i++) {
		if (i)
			strbuf_adds(&b, sep);
		strbuf_adds(&b, c->v[i]);
	}
	status_message(u, "%s", b.s);
	strbuf_free(&b);
}

static void do_complete(struct ui *u, struct line *l, enum complete_kind kind)
{
	bool addr = kind == COMPLETE_ADDRESS;
	size_t ws = kind == COMPLETE_FOLDER ? 0 : addr ? address_start(l) : word_start(l);
	char *word = line_str(l, ws, l->pos);
	char *whole = line_str(l, 0, l->pos);
	struct cands c = { 0 };
	gather(u, kind, whole, word, &c);
	if (c.n == 0) {
		status_error(u, "No completions.");
	} else {
		size_t common = common_len(&c);
		/* addresses match inside names too: a shorter common part would
		 * lose what was typed, so keep the text and list the choices */
		const char *with = c.v[0];
		if (addr && c.n > 1 && common < strlen(word)) {
			with = word;
			common = strlen(word);
		}
		bool space = c.n == 1 && kind != COMPLETE_FOLDER && !addr && c.v[0][strlen(c.v[0]) - 1] != '/';
		replace_word(l, ws, with, common, space);
		if (c.n > 1)
			list_choices(u, &c, addr ? "; " : " ");
	}
	cands_free(&c);
	free(word);
	free(whole);
}

/* ---- drawing and editing ---- */

struct line_prompt {
	const char *prompt;
	const struct line *l;
};

/* ui_draw's overlay, so that a redraw for news (the sync status, a sent
 * message) while the line is edited keeps the prompt on the screen */
static void draw_prompt(struct ui *u, void *ctx)
{
	const struct line_prompt *lp = ctx;
	const char *prompt = lp->prompt;
	const struct line *l = lp->l;
	int y = LINES - 1;
	/* the prompt takes the message row: what completion says (the
	 * choices, "No completions.") goes on the status row above it */
	if (u->msg && y > 1) {
		attr_t ma = theme_attr(u->th, u->msg_error ? CO_error : CO_message);
		draw_fill(y - 1, 0, COLS, ma);
		draw_text(y - 1, 0, COLS, u->msg, ma);
	}
	attr_t pa = theme_attr(u->th, CO_prompt);
	draw_fill(y, 0, COLS, theme_attr(u->th, CO_normal));
	int px = draw_text(y, 0, COLS / 2, prompt, pa);
	int avail = COLS - px - 1;
	/* scroll so the cursor stays visible */
	int wcur = 0;
	for (size_t i = 0; i < l->pos; i++)
		wcur += cp_width(l->cp[i]);
	size_t first = 0;
	while (wcur > avail && first < l->pos)
		wcur -= cp_width(l->cp[first++]);
	char *s = line_str(l, first, l->n);
	draw_text(y, px, avail, s, theme_attr(u->th, CO_normal));
	free(s);
	move(y, px + wcur);
	curs_set(1);
}

enum edit_ret { ED_CONTINUE, ED_ACCEPT, ED_CANCEL };

static void hist_move(struct ui *u, struct line *l, enum hist_kind h, size_t *hi, int dir)
{
	size_t n = u->nhist[h];
	if (dir < 0 && *hi > 0)
		(*hi)--;
	else if (dir > 0 && *hi < n)
		(*hi)++;
	else
		return;
	line_set(l, *hi < n ? u->hist[h][*hi] : "");
}

static enum edit_ret edit_fn(struct ui *u, struct line *l, const char *fn, enum hist_kind h, size_t *hi,
			     enum complete_kind ck)
{
	if (strcmp(fn, "backspace") == 0 && l->pos > 0) {
		memmove(l->cp + l->pos - 1, l->cp + l->pos, (l->n - l->pos) * sizeof(unsigned));
		l->pos--;
		l->n--;
	} else if (strcmp(fn, "delete-char") == 0 && l->pos < l->n) {
		memmove(l->cp + l->pos, l->cp + l->pos + 1, (l->n - l->pos - 1) * sizeof(unsigned));
		l->n--;
	} else if (strcmp(fn, "backward-char") == 0 && l->pos > 0) {
		l->pos--;
	} else if (strcmp(fn, "forward-char") == 0 && l->pos < l->n) {
		l->pos++;
	} else if (strcmp(fn, "bol") == 0) {
		l->pos = 0;
	} else if (strcmp(fn, "eol") == 0) {
		l->pos = l->n;
	} else if (strcmp(fn, "kill-line") == 0) {
		l->n = l->pos = 0;
	} else if (strcmp(fn, "kill-eol") == 0) {
		l->n = l->pos;
	} else if (strcmp(fn, "kill-word") == 0) {
		size_t s = l->pos;
		while (s > 0 && l->cp[s - 1] == ' ')
			s--;
		while (s > 0 && l->cp[s - 1] != ' ')
			s--;
		if (l->cp) /* an empty line may have no buffer yet */
			memmove(l->cp + s, l->cp + l->pos, (l->n - l->pos) * sizeof(unsigned));
		l->n -= l->pos - s;
		l->pos = s;
	} else if (strcmp(fn, "history-up") == 0) {
		hist_move(u, l, h, hi, -1);
	} else if (strcmp(fn, "history-down") == 0) {
		hist_move(u, l, h, hi, 1);
	} else if (strcmp(fn, "complete") == 0 || strcmp(fn, "complete-query") == 0) {
		do_complete(u, l, ck);
	}
	return ED_CONTINUE;
}

static enum edit_ret edit_key(struct ui *u, struct line *l, int k, enum hist_kind h, size_t *hi,
			      enum complete_kind ck)
{
	static const unsigned editor[] = { MENU_EDITOR, 0, 0 };
	if (k == '\r' || k == '\n' || k == KEYCODE_ENTER)
		return ED_ACCEPT;
	if (k == 27 || k == 7) /* Esc, ^G */
		return ED_CANCEL;
	const char *fn = NULL, *macro = NULL;
	int keys[1] = { k };
	enum km_result r = keymap_lookup(u->km, editor, keys, 1, &fn, &macro);
	if ((r == KM_FUNCTION || r == KM_AMBIGUOUS) && fn)
		return edit_fn(u, l, fn, h, hi, ck);
	if (k == KEYCODE_BACKSPACE)
		return edit_fn(u, l, "backspace", h, hi, ck);
	if (k >= 0x20 && k < KEYCODE_BASE && k != 0x7f)
		line_insert(l, (unsigned)k);
	return ED_CONTINUE;
}

char *prompt_line(struct ui *u, const char *prompt, const char *initial, enum hist_kind h,
		  enum complete_kind ck)
{
	struct line l = { 0 };
	line_set(&l, initial ? initial : "");
	size_t hi = u->nhist[h];
	char *ret = NULL;
	free(u->msg);
	u->msg = NULL;
	struct line_prompt lp = { prompt, &l };
	void (*old)(struct ui *, void *) = u->overlay;
	void *old_ctx = u->overlay_ctx;
	u->overlay = draw_prompt;
	u->overlay_ctx = &lp;
	for (;;) {
		ui_draw(u);
		int k = ui_getkey(u, -1);
		if (k == KEYCODE_RESIZE || k == ERR)
			continue;
		enum edit_ret r = edit_key(u, &l, k, h, &hi, ck);
		if (r == ED_CANCEL)
			break;
		if (r == ED_ACCEPT) {
			ret = line_str(&l, 0, l.n);
			prompt_history_add(u, h, ret);
			break;
		}
	}
	u->overlay = old;
	u->overlay_ctx = old_ctx;
	curs_set(0);
	free(l.cp);
	return ret;
}

/* ---- secrets and decisions ---- */

/* The longest password the masked prompt takes (code points); the buffer
 * never grows, so no copy of the secret is left behind by a realloc. */
#define SECRET_CHARS 1024

struct secret_prompt {
	const char *prompt;
	size_t n;
};

/* ui_draw's overlay: the message above, the prompt, a star per character */
static void draw_secret(struct ui *u, void *ctx)
{
	const struct secret_prompt *sp = ctx;
	int y = LINES - 1;
	if (u->msg && y > 1) {
		attr_t ma = theme_attr(u->th, u->msg_error ? CO_error : CO_message);
		draw_fill(y - 1, 0, COLS, ma);
		draw_text(y - 1, 0, COLS, u->msg, ma);
	}
	draw_fill(y, 0, COLS, theme_attr(u->th, CO_normal));
	int px = draw_text(y, 0, COLS - 2, sp->prompt, theme_attr(u->th, CO_prompt));
	int stars = (int)sp->n < COLS - px - 1 ? (int)sp->n : COLS - px - 1;
	for (int i = 0; i < stars; i++)
		mvaddch(y, px + i, '*');
	move(y, px + stars);
	curs_set(1);
}

static char *utf8_of(const unsigned *cp, size_t n)
{
	/* straight into a buffer of its final size: no realloc copies */
	char *ret = xmalloc(n * 4 + 1);
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned c = cp[i];
		if (c < 0x80) {
			ret[len++] = (char)c;
		} else if (c < 0x800) {
			ret[len++] = (char)(0xC0 | (c >> 6));
			ret[len++] = (char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			ret[len++] = (char)(0xE0 | (c >> 12));
			ret[len++] = (char)(0x80 | ((c >> 6) & 0x3F));
			ret[len++] = (char)(0x80 | (c & 0x3F));
		} else {
			ret[len++] = (char)(0xF0 | (c >> 18));
			ret[len++] = (char)(0x80 | ((c >> 12) & 0x3F));
			ret[len++] = (char)(0x80 | ((c >> 6) & 0x3F));
			ret[len++] = (char)(0x80 | (c & 0x3F));
		}
	}
	ret[len] = '\0';
	return ret;
}

char *prompt_secret(struct ui *u, const char *prompt)
{
	unsigned *cp = xcalloc(SECRET_CHARS, sizeof(unsigned));
	struct secret_prompt sp = { .prompt = prompt };
	void (*old)(struct ui *, void *) = u->overlay;
	void *old_ctx = u->overlay_ctx;
	u->overlay = draw_secret;
	u->overlay_ctx = &sp;
	bool ok = false;
	for (;;) {
		ui_draw(u);
		int k = ui_getkey(u, -1);
		if (k == KEYCODE_RESIZE || k == ERR)
			continue;
		if (k == '\r' || k == '\n' || k == KEYCODE_ENTER) {
			ok = true;
			break;
		}
		if (k == 27 || k == 7)
			break;
		if ((k == KEYCODE_BACKSPACE || k == 0x7f || k == 8) && sp.n > 0)
			cp[--sp.n] = 0;
		else if (k == 21) /* ^U */
			while (sp.n)
				cp[--sp.n] = 0;
		else if (k >= 0x20 && k < KEYCODE_BASE && k != 0x7f && sp.n < SECRET_CHARS)
			cp[sp.n++] = (unsigned)k;
	}
	u->overlay = old;
	u->overlay_ctx = old_ctx;
	curs_set(0);
	char *ret = ok ? utf8_of(cp, sp.n) : NULL;
	secret_wipe(cp, SECRET_CHARS * sizeof(unsigned));
	free(cp);
	return ret;
}

struct choice_prompt {
	const char *const *lines;
	size_t n;
	const char *question;
};

/* ui_draw's overlay: the lines in a framed box over the content, the
 * question on the prompt row */
static void draw_choice(struct ui *u, void *ctx)
{
	const struct choice_prompt *cp = ctx;
	if (cp->n && COLS > 8) {
		int w = COLS - 4, h = (int)cp->n + 2;
		int top = ui_top_row() + (ui_content_rows() > h ? (ui_content_rows() - h) / 2 : 0);
		attr_t a = theme_attr(u->th, CO_normal) | A_BOLD;
		for (int r = 0; r < h && top + r < LINES - 2; r++) {
			draw_fill(top + r, 2, w, theme_attr(u->th, CO_normal));
			mvaddch(top + r, 1, r == 0 || r == h - 1 ? '+' : '|');
			mvaddch(top + r, 2 + w, r == 0 || r == h - 1 ? '+' : '|');
			if (r == 0 || r == h - 1)
				mvhline(top + r, 2, '-', w);
			else
				draw_text(top + r, 3, w - 2, cp->lines[r - 1], r == 1 ? a : theme_attr(u->th, CO_normal));
		}
	}
	int y = LINES - 1;
	draw_fill(y, 0, COLS, theme_attr(u->th, CO_normal));
	int px = draw_text(y, 0, COLS - 1, cp->question, theme_attr(u->th, CO_prompt));
	move(y, px < COLS ? px : COLS - 1);
	curs_set(1);
}

int prompt_choice(struct ui *u, const char *const *lines, size_t n, const char *question, const char *keys,
		  int dflt)
{
	struct choice_prompt cp = { .lines = lines, .n = n, .question = question };
	void (*old)(struct ui *, void *) = u->overlay;
	void *old_ctx = u->overlay_ctx;
	u->overlay = draw_choice;
	u->overlay_ctx = &cp;
	int ret = dflt;
	for (;;) {
		ui_draw(u);
		int k = ui_getkey(u, -1);
		if (k == KEYCODE_RESIZE || k == ERR)
			continue;
		if (k == 27 || k == 7 || k == '\r' || k == '\n' || k == KEYCODE_ENTER)
			break;
		if (k > 0 && k < 0x80 && strchr(keys, tolower(k))) {
			ret = tolower(k);
			break;
		}
	}
	u->overlay = old;
	u->overlay_ctx = old_ctx;
	curs_set(0);
	return ret;
}

bool prompt_wait(struct ui *u, const char *question, bool (*poll)(void *ud, const char *const **lines, size_t *n),
		void *ud)
{
	struct choice_prompt cp = { .question = question };
	void (*old)(struct ui *, void *) = u->overlay;
	void *old_ctx = u->overlay_ctx;
	u->overlay = draw_choice;
	u->overlay_ctx = &cp;
	bool done = false;
	while (!(done = poll(ud, &cp.lines, &cp.n))) {
		ui_draw(u);
		int k = ui_getkey(u, 200);
		if (k == 27 || k == 7)
			break;
	}
	u->overlay = old;
	u->overlay_ctx = old_ctx;
	curs_set(0);
	return done;
}
