/* syncglue.c - the reader's side of the account manager (src/account.h).
 *
 * The manager reports through a pipe, which this module registers with
 * the main loop (ui_add_source) together with its questions and its part
 * of the status line. */
#include "syncglue.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "conf.h"
#include "draw.h"
#include "imap.h"
#include "mailview.h"
#include "net.h"
#include "prompt.h"
#include "roles.h"
#include "secret.h"
#include "status.h"
#include "text.h"
#include "tls.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"
#include "view.h"

struct sync_glue {
	account_mgr_t *mgr;  /* NULL without accounts */
	int pipe[2];              /* the manager writes a byte per event */
	account_undo_t **undo; /* the last delete, for undelete-message */
	size_t nundo;
	char *shown;              /* the status text last drawn */
	bool asking;              /* a question is on screen (no second one on top) */
};

static void undo_clear(struct sync_glue *g)
{
	for (size_t i = 0; i < g->nundo; i++)
		account_undo_free(&g->undo[i]);
	free(g->undo);
	g->undo = NULL;
	g->nundo = 0;
}

static void glue_dispatch(struct ui *u, void *data);
static void glue_status(struct ui *u, void *data, struct strbuf *b);
static bool glue_waiting(struct ui *u, void *data);
static void glue_ask(struct ui *u, void *data);

void sync_glue_start(struct ui *u)
{
	struct sync_glue *g = xcalloc(1, sizeof(*g));
	u->sync = g;
	bool piped = pipe2(g->pipe, O_CLOEXEC | O_NONBLOCK) == 0;
	if (!piped)
		g->pipe[0] = g->pipe[1] = -1;
	ui_add_source(u, &(struct ui_source){ .fd = g->pipe[0], .events = POLLIN, .ready = piped ? glue_dispatch : NULL,
					      .status = glue_status, .waiting = glue_waiting, .ask = glue_ask,
					      .data = g });
	if (!piped) {
		status_error(u, "Cannot start the sync: %s", strerror(errno));
		return;
	}
	if (!conf_account_count(u->conf))
		return;
	g->mgr = account_mgr_new(u->conf, g->pipe[1]);
	account_mgr_start(g->mgr);
}

void sync_glue_stop_asking(struct ui *u)
{
	if (u->sync)
		account_mgr_stop_asking(u->sync->mgr);
}

void sync_glue_stop(struct ui *u)
{
	struct sync_glue *g = u->sync;
	if (!g)
		return;
	ui_remove_source(u, g);
	account_mgr_stop_asking(g->mgr);
	account_mgr_free(&g->mgr); /* waits at most about a second */
	undo_clear(g);
	for (int i = 0; i < 2; i++)
		if (g->pipe[i] >= 0)
			close(g->pipe[i]);
	free(g->shown);
	free(g);
	u->sync = NULL;
}

/* Did the status text change since it was last drawn?  (Redrawing for
 * nothing would also hide an open prompt until the next key.) */
static bool status_changed(struct ui *u, struct sync_glue *g)
{
	struct strbuf b;
	strbuf_init(&b);
	glue_status(u, g, &b);
	bool changed = !g->shown || strcmp(g->shown, b.s ? b.s : "") != 0;
	free(g->shown);
	g->shown = xstrdup(b.s ? b.s : "");
	strbuf_free(&b);
	return changed;
}

/* true when there is something new to draw */
static bool account_news(struct ui *u, struct sync_glue *g)
{
	char buf[64];
	while (read(g->pipe[0], buf, sizeof(buf)) > 0)
		;
	if (!g->mgr)
		return false;
	bool changed = false;
	char *msg = NULL;
	account_mgr_take_news(g->mgr, &changed, &msg);
	if (changed) {
		u->store_dirty = true; /* the main loop reopens the views */
		/* and once more at the next idle store check: a reopen that
		 * raced with the writer's commit can read an empty index */
		u->store_mtime = 0;
	}
	bool news = msg != NULL;
	if (msg) {
		char *clean = text_sanitize(msg, strlen(msg), false);
		status_error(u, "%s", clean);
		free(clean);
		free(msg);
	}
	return news;
}

static void glue_dispatch(struct ui *u, void *data)
{
	struct sync_glue *g = data;
	bool news = account_news(u, g);
	if (status_changed(u, g) || news)
		ui_draw(u); /* the status line follows the workers */
}

static void glue_status(struct ui *u, void *data, struct strbuf *b)
{
	struct sync_glue *g = data;
	if (!g->mgr || u->account < 0)
		return;
	struct account_status st;
	account_mgr_status(g->mgr, u->account, &st);
	if (st.syncing && st.total) {
		char *f = text_sanitize(st.folder, strlen(st.folder), false);
		strbuf_addf(b, " syncing %s %zu/%zu ", f, st.done, st.total);
		free(f);
	} else if (st.syncing) {
		strbuf_adds(b, " syncing ");
	} else if (st.no_password) {
		strbuf_adds(b, " offline: no password ");
	} else if (st.cert_rejected) {
		strbuf_adds(b, " offline: certificate rejected ");
	} else if (st.auth_refused) {
		char *why = text_sanitize(st.why, strlen(st.why), false);
		strbuf_addf(b, " offline: login refused: %s ", why);
		free(why);
	} else if (st.offline) {
		strbuf_adds(b, " offline ");
	} else if (st.failed) {
		strbuf_adds(b, " sync failed ");
	}
}

void sync_glue_sync_now(struct ui *u)
{
	struct sync_glue *g = u->sync;
	if (!g || !g->mgr) {
		status_error(u, "No account to sync.");
		return;
	}
	account_mgr_sync_now(g->mgr, u->account);
	status_message(u, "Syncing...");
}

/* The account manager, or NULL with *err. */
static account_mgr_t *mgr_or_err(struct ui *u, char **err)
{
	struct sync_glue *g = u->sync;
	*err = NULL;
	if (!g || !g->mgr)
		*err = xstrdup("changing mail needs an account in the config");
	return g ? g->mgr : NULL;
}

bool sync_glue_expunge_file(struct ui *u, const char *path, char **err)
{
	account_mgr_t *m = mgr_or_err(u, err);
	return m && account_mgr_expunge(m, path, err);
}

bool sync_glue_index_file(struct ui *u, const char *path, char **err)
{
	account_mgr_t *m = mgr_or_err(u, err);
	return m && account_mgr_index_file(m, path, err);
}

bool sync_glue_available(struct ui *u)
{
	struct sync_glue *g = u->sync;
	return g && g->mgr;
}

/* The Maildir of the folder the nearest index shows (folder:"acct/X"),
 * or NULL for a search or a virtual folder. */
static char *shown_folder_dir(struct ui *u)
{
	struct view *v = u->top;
	while (v && !v->cls->query) /* the index's */
		v = v->below;
	const char *q = v ? v->cls->query(v) : NULL;
	if (!q || strncmp(q, "folder:\"", 8) != 0)
		return NULL;
	struct strbuf b;
	strbuf_init(&b);
	for (const char *p = q + 8; *p; p++) {
		if (*p == '"' && p[1] == '"') {
			strbuf_addc(&b, *p++);
		} else if (*p == '"') {
			bool end = !p[1];
			char *dir = end && b.len ? xasprintf("%s/%s", u->mail_dir, b.s) : NULL;
			strbuf_free(&b);
			return dir; /* anything after the folder term: not a plain folder */
		} else {
			strbuf_addc(&b, *p);
		}
	}
	strbuf_free(&b);
	return NULL;
}

/* The message's file as it is on disk now, or NULL with *err.  When the
 * message has copies, the one in the folder on screen. */
static char *message_file(struct ui *u, const char *id, char **err)
{
	char *f = u->mv ? mailview_message_file(u->mv, id) : NULL;
	char *found = f ? account_mgr_find_file(f) : NULL;
	free(f);
	char *dir = found ? shown_folder_dir(u) : NULL;
	size_t dl = dir ? strlen(dir) : 0;
	if (dir && !(strncmp(found, dir, dl) == 0 && found[dl] == '/' && !strchr(found + dl + 5, '/'))) {
		char *here = account_mgr_file_in_dir(dir, id);
		if (here) {
			free(found);
			found = here;
		}
	}
	free(dir);
	if (!found && !*err)
		*err = xstrdup("cannot find the message file");
	return found;
}

static bool apply_tags(struct ui *u, struct sync_glue *g, const struct sync_req *req, char **err)
{
	if (!account_mgr_tag(g->mgr, req->ids, req->nids, req->tags, err))
		return false;
	/* Push soon: the accounts the messages live in. */
	for (size_t i = 0; i < req->nids; i++) {
		char *f = u->mv ? mailview_message_file(u->mv, req->ids[i]) : NULL;
		long a = f ? account_mgr_account_of(g->mgr, f) : -1;
		free(f);
		account_mgr_touch(g->mgr, a >= 0 ? a : u->account);
	}
	return true;
}

/* "Folder" or "account/Folder" (as completion offers it) -> local path. */
static char *dest_rel(struct ui *u, struct sync_glue *g, long account, const char *folder)
{
	const char *name = account >= 0 ? conf_account_name(u->conf, (size_t)account) : NULL;
	size_t nl = name ? strlen(name) : 0;
	if (name && strncmp(folder, name, nl) == 0 && folder[nl] == '/' && folder[nl + 1])
		folder += nl + 1;
	return account_mgr_folder_rel(g->mgr, account, folder);
}

static bool move_one(struct ui *u, struct sync_glue *g, const struct sync_req *req, const char *file,
		     account_undo_t **undo, char **err)
{
	if (req->action == SA_DELETE)
		return account_mgr_delete(g->mgr, file, undo, err);
	long a = account_mgr_account_of(g->mgr, file);
	char *rel = req->action == SA_ARCHIVE ? roles_folder(u->conf, a, IMAP_SPECIAL_ARCHIVE, NULL)
		    : req->action == SA_JUNK  ? roles_folder(u->conf, a, IMAP_SPECIAL_JUNK, NULL)
					      : dest_rel(u, g, a, req->folder);
	bool ok = rel && account_mgr_move(g->mgr, file, rel, req->action == SA_COPY,
					  req->action == SA_JUNK ? undo : NULL, err);
	if (!rel)
		*err = xstrdup("not a folder name");
	free(rel);
	return ok;
}

static bool apply_moves(struct ui *u, struct sync_glue *g, const struct sync_req *req, char **err)
{
	if (req->action == SA_DELETE || req->action == SA_JUNK)
		undo_clear(g);
	bool ok = true;
	for (size_t i = 0; i < req->nids && ok; i++) {
		char *file = message_file(u, req->ids[i], err);
		account_undo_t *undo = NULL;
		ok = file && move_one(u, g, req, file, &undo, err);
		free(file);
		if (undo) {
			g->undo = xreallocarray(g->undo, g->nundo + 1, sizeof(*g->undo));
			g->undo[g->nundo++] = undo;
		}
	}
	return ok;
}

bool sync_glue_delete_file(struct ui *u, const char *path, char **err)
{
	struct sync_glue *g = u->sync;
	if (!mgr_or_err(u, err))
		return false;
	undo_clear(g);
	account_undo_t *undo = NULL;
	bool ok = account_mgr_delete(g->mgr, path, &undo, err);
	if (undo) {
		g->undo = xcalloc(1, sizeof(*g->undo));
		g->undo[g->nundo++] = undo;
	}
	return ok;
}

/* undelete-message: the last delete, back where it was. */
static bool apply_undo(struct sync_glue *g, char **err)
{
	if (!g->nundo) {
		*err = xstrdup("nothing to undo (deletions with delete_policy = expunge cannot be undone)");
		return false;
	}
	bool ok = true;
	for (size_t i = 0; i < g->nundo; i++) {
		char *e = NULL;
		if (!account_mgr_undo(g->mgr, &g->undo[i], &e) && ok) {
			ok = false;
			*err = e;
			e = NULL;
		}
		free(e);
	}
	undo_clear(g);
	return ok;
}

bool sync_glue_apply(struct ui *u, const struct sync_req *req, char **err)
{
	struct sync_glue *g = u->sync;
	*err = NULL;
	if (!g || !g->mgr) {
		*err = xstrdup("changing mail needs an account in the config");
		return false;
	}
	if (req->action == SA_TAGS)
		return apply_tags(u, g, req, err);
	if (req->action == SA_MOVE && !req->folder)
		return apply_undo(g, err);
	return apply_moves(u, g, req, err);
}

/* ---- decisions (account.h, "decisions") ---- */

static bool glue_waiting(struct ui *u, void *data)
{
	(void)u;
	struct sync_glue *g = data;
	return g->mgr && !g->asking && account_mgr_has_question(g->mgr);
}

static char *clean(const char *s)
{
	return text_sanitize(s ? s : "", strlen(s ? s : ""), false);
}

static void ask_password(struct ui *u, struct sync_glue *g, const struct account_question *q)
{
	if (q->note) {
		char *n = clean(q->note);
		status_error(u, "%s", n);
		free(n);
	}
	char *p = clean(q->text);
	char *secret = prompt_secret(u, p);
	free(p);
	account_mgr_answer_secret(g->mgr, q->id, secret);
	const char *acct = conf_account_name(u->conf, (size_t)q->account);
	if (secret)
		status_message(u, "%s: logging in...", acct);
	else
		status_error(u, "%s: no password given; offline until you sync it ($).", acct);
	secret_free(&secret);
}

static char *fmt_date(time_t t)
{
	char buf[32];
	struct tm tm;
	if (!t || !gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d", &tm))
		return xstrdup("?");
	return xstrdup(buf);
}

static void ask_cert(struct ui *u, struct sync_glue *g, const struct account_question *q)
{
	const struct tls_cert_info *ci = q->cert;
	const char *acct = conf_account_name(u->conf, (size_t)q->account);
	char *why = tls_cert_describe(ci), *fp = tls_fingerprint_pretty(ci->sha256);
	char *from = fmt_date(ci->not_before), *to = fmt_date(ci->not_after);
	size_t fl = strlen(fp), half = fl > 48 ? 48 : fl; /* "ab:" x 16: wrap the 95 columns */
	char *lines[8];
	size_t n = 0;
	bool smtp = q->kind == ACCOUNT_ASK_SMTP_CERT;
	if (smtp) {
		char *hp = net_host_port(ci->host ? ci->host : "", ci->port);
		lines[n++] = xasprintf("Account %s: the certificate of the SMTP server %s is refused", acct, hp);
		free(hp);
	} else {
		lines[n++] = xasprintf("Account %s: the server's certificate is refused", acct);
	}
	lines[n++] = xasprintf("Reason:   %s", why);
	lines[n++] = xasprintf("Subject:  %s", ci->subject ? ci->subject : "");
	lines[n++] = xasprintf("Issuer:   %s", ci->issuer ? ci->issuer : "");
	lines[n++] = xasprintf("Valid:    %s to %s", from, to);
	lines[n++] = xasprintf("SHA-256:  %.*s", (int)half, fp);
	if (fl > half)
		lines[n++] = xasprintf("          %s", fp + half);
	/* all of it came from the server: make it safe to draw */
	for (size_t i = 0; i < n; i++) {
		char *c = clean(lines[i]);
		free(lines[i]);
		lines[i] = c;
	}
	int k = prompt_choice(u, (const char *const *)lines, n, "(r)eject, accept (o)nce, accept (a)lways? ", "roa",
			      'r');
	enum account_cert_choice c = k == 'o' ? ACCOUNT_CERT_ONCE : k == 'a' ? ACCOUNT_CERT_ALWAYS : ACCOUNT_CERT_REJECT;
	char *err = NULL;
	char *cwhy = clean(why);
	if (!account_mgr_answer_cert(g->mgr, q->id, c, &err)) {
		char *e = clean(err);
		status_error(u, "%s: cannot pin the certificate: %s", acct, e);
		free(e);
	} else if (c == ACCOUNT_CERT_REJECT && smtp) {
		status_error(u, "%s: not sent, %s (rejected; sending again asks again)", acct, cwhy);
	} else if (c == ACCOUNT_CERT_REJECT) {
		status_error(u, "%s: offline, %s (rejected; $ asks again)", acct, cwhy);
	} else if (smtp) {
		status_message(u, "%s: SMTP certificate accepted %s; sending...", acct,
		               c == ACCOUNT_CERT_ONCE ? "for this session" : "and pinned");
	} else {
		status_message(u, "%s: certificate accepted %s; syncing...", acct,
		               c == ACCOUNT_CERT_ONCE ? "for this session" : "and pinned");
	}
	free(cwhy);
	free(err);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(why);
	free(fp);
	free(from);
	free(to);
}

static void ask_guard(struct ui *u, struct sync_glue *g, const struct account_question *q)
{
	char *f = clean(q->folder);
	char *what = xasprintf("Folder %s: %zu of %zu messages were deleted %s.", f, q->deleted, q->total,
			       q->local ? "locally" : "on the server");
	const char *ask = q->local ? "Delete them on the server too? (y/N) " : "Apply the deletions? (y/N) ";
	char *question = xasprintf("%s %s", what, ask);
	/* one line when it fits, else the facts in a box and the question below */
	bool fits = text_width(question, strlen(question)) < COLS;
	const char *lines[] = { what };
	bool yes = prompt_choice(u, fits ? NULL : lines, fits ? 0 : 1, fits ? question : ask, "yn", 'n') == 'y';
	free(what);
	account_mgr_answer_guard(g->mgr, q->id, yes);
	if (yes)
		status_message(u, "%s: applying the deletions...", f);
	else
		status_message(u, "%s: local copies kept (asked again if the counts change).", f);
	free(question);
	free(f);
}

/* What the OAuth2 box shows while the device grant waits for the user. */
struct oauth_wait {
	account_mgr_t *mgr;
	struct account_reauth st;
	char *lines[6];
	size_t n;
};

static bool oauth_poll(void *ud, const char *const **lines, size_t *n)
{
	struct oauth_wait *ow = ud;
	account_reauth_clear(&ow->st);
	account_mgr_reauth_state(ow->mgr, &ow->st);
	if (ow->st.code && ow->n < 4) {
		char *uri = clean(ow->st.uri), *code = clean(ow->st.code);
		free(ow->lines[1]);
		ow->lines[1] = xasprintf("Open %s", uri);
		ow->lines[2] = xasprintf("and enter the code  %s", code);
		ow->lines[3] = xasprintf("(the code is good for %ld minutes; muttlike waits for the answer)",
					 (ow->st.expires_in + 59) / 60);
		ow->n = 4;
		free(uri);
		free(code);
	}
	*lines = (const char *const *)ow->lines;
	*n = ow->n;
	return ow->st.done;
}

static void ask_oauth(struct ui *u, struct sync_glue *g, const struct account_question *q)
{
	const char *acct = conf_account_name(u->conf, (size_t)q->account);
	char *why = clean(q->text ? q->text : "");
	char *l0 = xasprintf("Account %s: the OAuth2 sign-in is no longer valid", acct);
	/* the reason, cut at spaces into the box's width (three lines at most) */
	const char *lines[4] = { l0 };
	char *parts[3] = { NULL };
	size_t n = 1, width = COLS > 20 ? (size_t)COLS - 8 : 12;
	for (const char *p = why; *p && n < 4; n++) {
		size_t len = strlen(p), cut = len;
		if (len > width && n < 3) {
			cut = width;
			while (cut > width / 2 && p[cut] != ' ')
				cut--;
		}
		parts[n - 1] = xstrndup(p, cut);
		lines[n] = parts[n - 1];
		p += cut;
		p += *p == ' ';
	}
	bool yes = prompt_choice(u, lines, n, "Authorize it again now (a code to type in a browser)? (y/N) ", "yn",
				 'n') == 'y';
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		free(parts[i]);
	free(why);
	char *err = NULL;
	if (!account_mgr_answer_oauth(g->mgr, q->id, yes, &err) || !yes) {
		char *e = err ? clean(err) : NULL;
		if (e)
			status_error(u, "%s: %s", acct, e);
		else
			status_error(u, "%s: offline until authorized again ($ asks again)", acct);
		free(e);
		free(err);
		free(l0);
		return;
	}
	struct oauth_wait ow = { .mgr = g->mgr, .n = 2 };
	ow.lines[0] = l0;
	ow.lines[1] = xstrdup("Asking the provider for a code ...");
	if (!prompt_wait(u, "Esc: stop waiting", oauth_poll, &ow))
		account_mgr_reauth_cancel(g->mgr);
	account_mgr_reauth_end(g->mgr);
	if (ow.st.done && ow.st.ok) {
		status_message(u, "%s: authorized again; syncing...", acct);
	} else {
		char *e = clean(ow.st.err ? ow.st.err : "stopped");
		status_error(u, "%s: not authorized: %s ($ asks again)", acct, e);
		free(e);
	}
	account_reauth_clear(&ow.st);
	for (size_t i = 0; i < ARRAY_SIZE(ow.lines); i++)
		free(ow.lines[i]);
}

static void glue_ask(struct ui *u, void *data)
{
	struct sync_glue *g = data;
	if (!g->mgr || g->asking)
		return;
	g->asking = true;
	struct account_question q;
	while (account_mgr_question(g->mgr, &q)) {
		switch (q.kind) {
		case ACCOUNT_ASK_PASSWORD:
		case ACCOUNT_ASK_SMTP_PASSWORD: ask_password(u, g, &q); break;
		case ACCOUNT_ASK_CERT:
		case ACCOUNT_ASK_SMTP_CERT: ask_cert(u, g, &q); break;
		case ACCOUNT_ASK_GUARD: ask_guard(u, g, &q); break;
		case ACCOUNT_ASK_OAUTH: ask_oauth(u, g, &q); break;
		}
		account_question_clear(&q);
	}
	g->asking = false;
	ui_draw(u);
}

/* ---- the sender's password and certificate ---- */

struct sync_secret_src {
	account_mgr_t *mgr; /* foreign: lives until sync_glue_stop, which stops the sender first */
	long account;
	bool same_user;
};

struct sync_secret_src *sync_glue_secret_src(struct ui *u, long account, const char *smtp_user)
{
	struct sync_glue *g = u->sync;
	if (!g || !g->mgr || account < 0)
		return NULL;
	struct sync_secret_src *src = xcalloc(1, sizeof(*src));
	src->mgr = g->mgr;
	src->account = account;
	struct imap_params p = { 0 };
	char *err = NULL;
	if (smtp_user && imap_params_from_conf(u->conf, account, &p, &err))
		src->same_user = p.conn.user && strcmp(p.conn.user, smtp_user) == 0;
	imap_params_clear(&p);
	free(err);
	return src;
}

char *sync_glue_smtp_ask(void *ud, const char *prompt)
{
	struct sync_secret_src *src = ud;
	return src ? account_mgr_smtp_secret(src->mgr, src->account, src->same_user, prompt) : NULL;
}

bool sync_glue_smtp_cert(void *ud, const struct tls_cert_info *ci)
{
	struct sync_secret_src *src = ud;
	return src && account_mgr_smtp_cert(src->mgr, src->account, ci);
}

void sync_glue_smtp_refused(struct sync_secret_src *src)
{
	if (src)
		account_mgr_smtp_refused(src->mgr, src->account);
}

void sync_glue_smtp_ask_again(struct ui *u, long account)
{
	struct sync_glue *g = u->sync;
	if (g && g->mgr)
		account_mgr_smtp_ask_again(g->mgr, account);
}

void sync_glue_secret_src_free(struct sync_secret_src **src)
{
	free(*src);
	*src = NULL;
}
