/* verdict.c - the pager's side of signed and encrypted mail (verdict.h).
 *
 * Nothing of the message can imitate what is drawn here: the result rows
 * lie above the body's first row (the body is drawn below them and never
 * reaches them), start with a curses line-drawing diamond (ACS_DIAMOND,
 * from the terminal's alternate character set, which text drawing never
 * uses) and are in reverse video; the marks around parts are lines of
 * their own kind (MIME_LINE_MARK) that only this hook adds, drawn in
 * reverse video too.  See doc/crypto.md, "The reader". */
#include "verdict.h"

#include <stdlib.h>
#include <string.h>

#include "autocrypt.h"
#include "conf.h"
#include "crypto.h"
#include "draw.h"
#include "log.h"
#include "maildir.h"
#include "prompt.h"
#include "status.h"
#include "theme.h"
#include "util.h"

/* Result rows shown above the body; more are summed up on the last. */
#define VERDICT_MAX_ROWS 4

/* A forwarded message (message/rfc822 part) being rendered: its parts
 * are numbered from the part's own number on in the outer parse, and
 * from 1 in crypto_process's parse of the forwarded message. */
struct fwd {
	const mime_msg_t *m;
	size_t base, end; /* part numbers: the message/rfc822 part, its last descendant */
	char *prefix;     /* owned: "3>" */
};

struct verdict {
	const mime_msg_t *m;       /* foreign */
	struct crypto_report *r;   /* owned */
	struct fwd fwd[MIME_MAX_DEPTH + 1];
	size_t nfwd;
	int inside;                /* rendering what a result verified or decrypted */
};

/* ---- running GnuPG ---- */

/* Answers asked for one message before it is shown as not decrypted. */
#define VERDICT_PASSPHRASE_TRIES 3

/* Did an operation fail on a wrong passphrase (then ask again)? */
static bool bad_passphrase(const struct crypto_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].error && strstr(r->v[i].error, "Bad passphrase"))
			return true;
	return false;
}

struct scan {
	bool any;    /* something signed or encrypted may be there */
	bool secret; /* ... and something may need a secret key */
};

static bool type_is(const mime_part_t *p, const char *t)
{
	return strcmp(mime_part_type(p), t) == 0;
}

static enum mime_walk_ret scan_part(const mime_part_t *p, void *ud)
{
	struct scan *s = ud;
	if (type_is(p, "multipart/signed")) {
		s->any = true;
	} else if (type_is(p, "multipart/encrypted") || type_is(p, "application/pkcs7-mime") ||
		   type_is(p, "application/x-pkcs7-mime")) {
		s->any = s->secret = true;
	} else if (type_is(p, "text/plain") && !mime_part_first_child(p)) {
		char *t = NULL;
		size_t n = 0;
		mime_part_decode(p, &t, &n);
		s->any |= memmem(t, n, "-----BEGIN PGP ", 15) != NULL;
		s->secret |= memmem(t, n, "-----BEGIN PGP MESSAGE-----", 27) != NULL;
		free(t);
	}
	return MIME_WALK_CONTINUE;
}

/* crypt_pinentry_loopback: our masked prompt (we are on the UI thread,
 * inside the op that opened the message). */
static char *ask_passphrase(void *ud, const char *uid_hint, bool prev_bad)
{
	struct verdict_ask *a = ud;
	char *q = xasprintf("%sPassphrase for %s: ", prev_bad || a->was_bad ? "Wrong passphrase. " : "", uid_hint);
	char *pw = prompt_secret(a->u, q);
	free(q);
	a->asked = true;
	return pw;
}

crypto_t *verdict_crypto(struct ui *u, const char *what, struct verdict_ask *ask)
{
	bool loopback = conf_bool(u->conf, -1, OPT_ID_crypt_pinentry_loopback);
	*ask = (struct verdict_ask){ .u = u };
	struct crypto_opts o = { .passphrase = loopback ? ask_passphrase : NULL, .passphrase_ud = ask };
	char *err = NULL;
	crypto_t *c = crypto_new(&o, &err);
	if (!c) {
		status_error(u, "%s: %s", what, err);
		free(err);
	}
	return c;
}

bool verdict_screen_leave(struct ui *u, bool may_ask)
{
	/* gpg-agent's pinentry (curses on this terminal, over SSH) needs the
	 * screen while it may ask */
	if (!may_ask || conf_bool(u->conf, -1, OPT_ID_crypt_pinentry_loopback))
		return false;
	def_prog_mode();
	endwin();
	return true;
}

void verdict_screen_back(bool left)
{
	if (!left)
		return;
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
}

struct crypto_report *verdict_process(struct ui *u, const mime_msg_t *m, bool secret, const char *what)
{
	struct verdict_ask ask;
	crypto_t *c = verdict_crypto(u, what, &ask);
	if (!c)
		return NULL;
	bool left = verdict_screen_leave(u, secret);
	struct crypto_report *r = crypto_process(c, m);
	/* loopback: GnuPG asks once per operation, a wrong answer fails it */
	for (int tries = 1; tries < VERDICT_PASSPHRASE_TRIES && ask.asked && bad_passphrase(r); tries++) {
		crypto_report_free(&r);
		ask.asked = false;
		ask.was_bad = true;
		r = crypto_process(c, m);
	}
	verdict_screen_back(left);
	crypto_free(&c);
	return r;
}

struct verdict *verdict_new(struct ui *u, const mime_msg_t *m)
{
	struct scan s = { 0 };
	mime_walk(m, scan_part, &s);
	if (!s.any)
		return NULL;
	struct crypto_report *r = verdict_process(u, m, s.secret, "Signatures are not checked");
	if (!r)
		return NULL;
	if (r->n == 0) {
		crypto_report_free(&r);
		return NULL;
	}
	struct verdict *v = xcalloc(1, sizeof(*v));
	v->m = m;
	v->r = r;
	return v;
}

static void fwd_pop_to(struct verdict *v, size_t n)
{
	while (v->nfwd > n)
		free(v->fwd[--v->nfwd].prefix);
}

void verdict_free(struct verdict **vp)
{
	struct verdict *v = *vp;
	if (!v)
		return;
	fwd_pop_to(v, 0);
	crypto_report_free(&v->r);
	xfree(vp);
}

/* ---- the rows above the body ---- */

int verdict_rows(const struct verdict *v)
{
	if (!v)
		return 0;
	return v->r->n > VERDICT_MAX_ROWS ? VERDICT_MAX_ROWS : (int)v->r->n;
}

static bool result_trusted(const struct crypto_result *r)
{
	if (r->encrypted && (!r->decrypted || !r->integrity))
		return false;
	if (!r->is_signed)
		return r->status == CRYPTO_NONE;
	return r->status == CRYPTO_GOOD && r->from_matches && r->validity >= CRYPTO_V_MARGINAL;
}

static void draw_row(struct ui *u, int y, const char *text, bool ok)
{
	attr_t a = A_REVERSE | (ok ? A_BOLD : theme_attr(u->th, CO_error));
	draw_fill(y, 0, COLS, a);
	mvaddch(y, 0, ACS_DIAMOND | a);
	draw_text(y, 2, COLS - 2, text, a);
}

void verdict_draw(struct ui *u, const struct verdict *v, int y, int max)
{
	int rows = verdict_rows(v) < max ? verdict_rows(v) : max;
	for (int i = 0; i < rows; i++) {
		if (i == rows - 1 && v->r->n > (size_t)rows) {
			char *more = xasprintf("%zu more signed or encrypted parts (their marks are in the text)%s",
					       v->r->n - (size_t)i, v->r->truncated ? "; not all were checked" : "");
			draw_row(u, y + i, more, false);
			free(more);
			break;
		}
		const struct crypto_result *r = &v->r->v[i];
		char *line = crypto_result_line(r);
		draw_row(u, y + i, line, result_trusted(r));
		free(line);
	}
}

/* ---- the index's V mark ---- */

#define VERDICT_MAX_SEEN 4096

bool verdict_seen(const struct ui *u, const char *msgid)
{
	for (size_t i = 0; msgid && i < u->nverified; i++)
		if (strcmp(u->verified[i], msgid) == 0)
			return true;
	return false;
}

void verdict_remember(struct ui *u, const struct verdict *v, const char *msgid)
{
	/* every part covered, every result trusted, and a signature among them */
	bool good = v && msgid && *msgid && !v->r->truncated && v->r->unprotected == 0, signed_ = false;
	for (size_t i = 0; good && i < v->r->n; i++) {
		good = result_trusted(&v->r->v[i]);
		signed_ |= v->r->v[i].is_signed;
	}
	if (!good || !signed_ || verdict_seen(u, msgid) || u->nverified >= VERDICT_MAX_SEEN)
		return;
	u->verified = xreallocarray(u->verified, u->nverified + 1, sizeof(char *));
	u->verified[u->nverified++] = xstrdup(msgid);
}

void verdict_forget(struct ui *u)
{
	for (size_t i = 0; i < u->nverified; i++)
		free(u->verified[i]);
	xfree(&u->verified);
	u->nverified = 0;
}

/* ---- the render hook ---- */

/* Number of parts in p's subtree, p included. */
static size_t subtree_size(const mime_part_t *p)
{
	size_t n = 1;
	for (const mime_part_t *c = mime_part_first_child(p); c; c = mime_part_next(c))
		n += subtree_size(c);
	return n;
}

/* The path crypto_process gives part p of message m ("3", "3/2", "3>1"). */
static char *part_path(struct verdict *v, const mime_msg_t *m, const mime_part_t *p)
{
	size_t num = mime_part_number(p);
	while (v->nfwd && v->fwd[v->nfwd - 1].m == m && num > v->fwd[v->nfwd - 1].end)
		fwd_pop_to(v, v->nfwd - 1);
	if (v->nfwd && v->fwd[v->nfwd - 1].m == m)
		return xasprintf("%s%zu", v->fwd[v->nfwd - 1].prefix, num - v->fwd[v->nfwd - 1].base);
	for (size_t i = 0; m != v->m && i < v->r->n; i++)
		if (v->r->v[i].inner == m)
			return xasprintf("%s/%zu", v->r->v[i].path, num);
	return xasprintf("%zu", num);
}

static void mark(struct mime_render_ctx *ctx, const char *fmt, const char *path, const char *what)
{
	char *s = xasprintf(fmt, path, what);
	mime_render_mark(ctx, s);
	free(s);
}

/* Plaintext is shown only when its integrity was checked; S/MIME
 * enveloped-data has none by design (marked as such). */
static bool may_show(const struct crypto_result *r)
{
	return !r->encrypted || (r->decrypted && (r->integrity || r->kind == CRYPTO_SMIME_ENVELOPED));
}

/* What a PGP/MIME or S/MIME result verified or decrypted, in place of its
 * part; never the part itself (ciphertext, or bytes GnuPG did not see). */
static void show_entity(struct verdict *v, struct mime_render_ctx *ctx, const struct crypto_result *r)
{
	const char *what = r->encrypted ? "encrypted" : "signed";
	if (!r->whole)
		mark(ctx, "── part %s (%s) begins ──", r->path, what);
	if (r->inner && may_show(r)) {
		if (r->encrypted && !r->integrity)
			mark(ctx, "── part %s: %s ──", r->path, "decrypted, NOT integrity protected (S/MIME)");
		size_t depth = v->nfwd;
		v->inside++;
		mime_render_message(ctx, r->inner);
		v->inside--;
		fwd_pop_to(v, depth);
	} else {
		mark(ctx, "── part %s: nothing to show (%s) ──", r->path,
		     r->error ? r->error : r->encrypted ? "not decrypted" : "not verified");
	}
	if (!r->whole)
		mark(ctx, "── part %s (%s) ends ──", r->path, what);
}

/* A text part with inline PGP blocks: the text around them set apart,
 * each block's verified or decrypted text in its place. */
static void show_inline(struct verdict *v, struct mime_render_ctx *ctx, const mime_part_t *p, const char *path,
			size_t first)
{
	char *t = NULL;
	size_t n = 0, at = 0;
	mime_part_decode(p, &t, &n);
	for (size_t i = first; i < v->r->n && strcmp(v->r->v[i].path, path) == 0; i++) {
		const struct crypto_result *r = &v->r->v[i];
		if (r->inline_start > at && r->inline_start <= n) {
			mark(ctx, "── unsigned text of part %s%s ──", path, "");
			mime_render_text(ctx, t + at, r->inline_start - at);
		}
		const char *what = r->encrypted ? "encrypted" : "signed";
		mark(ctx, "── part %s (%s block) begins ──", path, what);
		if (r->content && may_show(r)) {
			v->inside++;
			mime_render_text(ctx, r->content, r->content_len);
			v->inside--;
		} else {
			mark(ctx, "── part %s: nothing to show (%s) ──", path, r->error ? r->error : "not verified");
		}
		mark(ctx, "── part %s (%s block) ends ──", path, what);
		if (r->inline_start + r->inline_len > at)
			at = r->inline_start + r->inline_len;
	}
	if (at < n && strspn(t + at, " \t\r\n") < n - at) {
		mark(ctx, "── unsigned text of part %s%s ──", path, "");
		mime_render_text(ctx, t + at, n - at);
	}
	free(t);
}

static bool hook(void *ud, struct mime_render_ctx *ctx, const mime_msg_t *m, const mime_part_t *p)
{
	struct verdict *v = ud;
	char *path = part_path(v, m, p);
	bool done = false;
	size_t i = 0;
	while (i < v->r->n && strcmp(v->r->v[i].path, path) != 0)
		i++;
	if (i < v->r->n) {
		const struct crypto_result *r = &v->r->v[i];
		if (r->kind == CRYPTO_PGP_INLINE_SIGNED || r->kind == CRYPTO_PGP_INLINE_ENCRYPTED)
			show_inline(v, ctx, p, path, i);
		else
			show_entity(v, ctx, r);
		done = true;
	} else if (type_is(p, "message/rfc822") && v->nfwd < ARRAY_SIZE(v->fwd)) {
		struct fwd *f = &v->fwd[v->nfwd++];
		f->m = m;
		f->base = mime_part_number(p);
		f->end = f->base + subtree_size(p) - 1;
		f->prefix = xasprintf("%s>", path);
	} else if (!mime_part_first_child(p) && !v->inside) {
		mark(ctx, "── unsigned part %s%s ──", path, "");
	}
	free(path);
	return done;
}

void verdict_render_opts(struct verdict *v, struct mime_render_opts *o)
{
	if (!v)
		return;
	fwd_pop_to(v, 0);
	o->part_hook = hook;
	o->hook_ud = v;
}

/* ---- Autocrypt ---- */

/* The account whose Maildirs hold file (data_dir/mail/<account>/...), or -1. */
static long account_of_file(struct ui *u, const char *data, const char *file)
{
	size_t n = conf_account_count(u->conf);
	for (size_t i = 0; i < n; i++) {
		char *acct = maildir_safe_component(conf_account_name(u->conf, i));
		char *prefix = xasprintf("%s/mail/%s/", data, acct);
		bool in = strncmp(file, prefix, strlen(prefix)) == 0;
		free(prefix);
		free(acct);
		if (in)
			return (long)i;
	}
	return -1;
}

void verdict_autocrypt(struct ui *u, const char *file)
{
	char *data = conf_data_dir(u->conf), *err = NULL;
	long a = account_of_file(u, data, file);
	if (a < 0)
		a = u->account;
	if (a >= 0 && conf_bool(u->conf, a, OPT_ID_autocrypt)) {
		char *dir = autocrypt_dir(data, conf_account_name(u->conf, (size_t)a));
		if (autocrypt_learn_file(dir, file, &err) < 0)
			status_error(u, "Autocrypt: %s", err);
		else if (err)
			log_warn("autocrypt: %s: %s", file, err);
		free(dir);
	}
	free(err);
	free(data);
}
