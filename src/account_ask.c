/* account_ask.c - the account manager's questions for the user
 * (account.h "decisions"): passwords, certificates and the deletion
 * guard, queued by the workers and the sender, answered by the UI. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account_int.h"
#include "conn.h"
#include "log.h"
#include "secret.h"
#include "tls.h"
#include "util.h"

/* ---- questions ---- */

/* Under m->mu: queue a question (the caller notifies after unlocking). */
struct question *account_q_post(account_mgr_t *m, long account, enum account_ask kind)
{
	struct question *q = xcalloc(1, sizeof(*q));
	q->q.id = ++m->next_qid;
	q->q.kind = kind;
	q->q.account = account;
	q->linked = true;
	struct question **t = &m->questions;
	while (*t)
		t = &(*t)->next;
	*t = q;
	return q;
}

static void q_unlink(account_mgr_t *m, struct question *q)
{
	for (struct question **t = &m->questions; *t; t = &(*t)->next) {
		if (*t == q) {
			*t = q->next;
			break;
		}
	}
	q->linked = false;
	q->next = NULL;
}

void account_q_free(struct question *q)
{
	if (!q)
		return;
	account_question_clear(&q->q);
	secret_free(&q->secret);
	free(q);
}

static struct question *q_find(account_mgr_t *m, unsigned long id)
{
	struct question *q = m->questions;
	while (q && q->q.id != id)
		q = q->next;
	return q;
}

struct question *account_q_take(account_mgr_t *m, unsigned long id, enum account_ask kind)
{
	struct question *q = q_find(m, id);
	if (!q || q->q.kind != kind)
		return NULL;
	q_unlink(m, q);
	return q;
}

bool account_q_pending(account_mgr_t *m, long account, enum account_ask kind, const char *folder)
{
	for (struct question *q = m->questions; q; q = q->next)
		if (q->q.account == account && q->q.kind == kind && (!folder || strcmp(q->q.folder, folder) == 0))
			return true;
	return false;
}

/* Under m->mu: announce q and wait until it is answered (or nobody will
 * answer it: quitting); q is out of the list after, the caller frees it. */
static void wait_answer(account_mgr_t *m, struct question *q)
{
	pthread_mutex_unlock(&m->mu);
	account_notify(m);
	pthread_mutex_lock(&m->mu);
	while (!q->answered && !m->stop && !m->no_asking)
		pthread_cond_wait(&m->cond, &m->mu);
	if (q->linked)
		q_unlink(m, q);
}

/* Under m->mu: queue a password question and wait for its answer (the
 * UI thread is never the caller).  New secret or NULL. */
static char *ask_and_wait(account_mgr_t *m, long account, enum account_ask kind, char *text, const char *note)
{
	if (m->stop || m->no_asking) {
		free(text);
		return NULL;
	}
	struct question *q = account_q_post(m, account, kind);
	q->q.text = text;
	q->q.note = note ? xstrdup(note) : NULL;
	wait_answer(m, q);
	char *secret = q->secret;
	q->secret = NULL;
	account_q_free(q);
	return secret;
}

/* "Password for alice@host: " -> "Password for alice@host (account work): " */
static char *account_prompt(account_mgr_t *m, long account, const char *prompt)
{
	size_t n = strlen(prompt);
	while (n && (prompt[n - 1] == ' ' || prompt[n - 1] == ':'))
		n--;
	return xasprintf("%.*s (account %s): ", (int)n, prompt, conf_account_name(m->conf, (size_t)account));
}

/* The sync's password callback, on the worker's thread during a login. */
char *account_ask_imap_secret(void *ud, const char *prompt)
{
	struct worker *w = ud;
	account_mgr_t *m = w->m;
	pthread_mutex_lock(&m->mu);
	bool ask = !w->pass && !w->pass_declined;
	pthread_mutex_unlock(&m->mu);
	/* The login is the first thing of the pass: no folder has been looked
	 * at, so the user's moves and deletes may go on while the prompt
	 * waits (one_pass holds pass_mu on this thread). */
	if (ask)
		pthread_mutex_unlock(&w->pass_mu);
	pthread_mutex_lock(&m->mu);
	char *secret = NULL;
	if (w->pass) {
		secret = secret_dup(w->pass);
	} else if (!w->pass_declined) {
		char *text = account_prompt(m, w->idx, prompt);
		secret = ask_and_wait(m, w->idx, ACCOUNT_ASK_PASSWORD, text, w->login_note);
		if (secret)
			w->pass = secret_dup(secret);
		else if (!m->stop && !m->no_asking)
			w->pass_declined = true;
	}
	w->gave_pass = secret != NULL;
	pthread_mutex_unlock(&m->mu);
	if (ask)
		pthread_mutex_lock(&w->pass_mu);
	return secret;
}

char *account_mgr_smtp_secret(account_mgr_t *m, long account, bool same_user, const char *prompt)
{
	if (account < 0 || (size_t)account >= m->n)
		return NULL;
	struct worker *w = &m->w[account];
	pthread_mutex_lock(&m->mu);
	char *secret = NULL;
	if (w->smtp_pass)
		secret = secret_dup(w->smtp_pass);
	else if (same_user && w->pass && !w->smtp_own)
		secret = secret_dup(w->pass);
	else if (!w->smtp_declined) {
		secret = ask_and_wait(m, account, ACCOUNT_ASK_SMTP_PASSWORD, account_prompt(m, account, prompt), NULL);
		if (secret)
			w->smtp_pass = secret_dup(secret);
		else if (!m->stop && !m->no_asking)
			w->smtp_declined = true;
	}
	pthread_mutex_unlock(&m->mu);
	return secret;
}

static bool same_sha(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

bool account_mgr_smtp_cert(account_mgr_t *m, long account, const struct tls_cert_info *ci)
{
	if (!ci || !ci->sha256[0] || account < 0 || (size_t)account >= m->n)
		return false;
	struct worker *w = &m->w[account];
	pthread_mutex_lock(&m->mu);
	bool trusted = same_sha(w->smtp_once, ci->sha256) || same_sha(w->imap_once, ci->sha256);
	if (!trusted && !same_sha(w->smtp_rejected, ci->sha256) && !m->stop && !m->no_asking) {
		struct question *q = account_q_post(m, account, ACCOUNT_ASK_SMTP_CERT);
		q->q.cert = tls_cert_info_dup(ci);
		wait_answer(m, q);
		trusted = q->answered && q->trusted;
		account_q_free(q);
	}
	pthread_mutex_unlock(&m->mu);
	return trusted;
}

void account_mgr_smtp_refused(account_mgr_t *m, long account)
{
	if (account < 0 || (size_t)account >= m->n)
		return;
	struct worker *w = &m->w[account];
	pthread_mutex_lock(&m->mu);
	if (!w->smtp_pass)
		w->smtp_own = true; /* the IMAP password is not the SMTP one */
	secret_free(&w->smtp_pass);
	pthread_mutex_unlock(&m->mu);
}

void account_mgr_smtp_ask_again(account_mgr_t *m, long account)
{
	if (account < 0 || (size_t)account >= m->n)
		return;
	pthread_mutex_lock(&m->mu);
	m->w[account].smtp_declined = false;
	xfree(&m->w[account].smtp_rejected);
	pthread_mutex_unlock(&m->mu);
}

void account_mgr_stop_asking(account_mgr_t *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	m->no_asking = true;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->mu);
}

bool account_mgr_has_question(account_mgr_t *m)
{
	pthread_mutex_lock(&m->mu);
	bool any = m->questions != NULL;
	pthread_mutex_unlock(&m->mu);
	return any;
}

bool account_mgr_question(account_mgr_t *m, struct account_question *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&m->mu);
	const struct question *q = m->questions;
	if (q) {
		*out = q->q;
		out->text = q->q.text ? xstrdup(q->q.text) : NULL;
		out->note = q->q.note ? xstrdup(q->q.note) : NULL;
		out->cert = q->q.cert ? tls_cert_info_dup(q->q.cert) : NULL;
		out->folder = q->q.folder ? xstrdup(q->q.folder) : NULL;
	}
	pthread_mutex_unlock(&m->mu);
	return q != NULL;
}

void account_question_clear(struct account_question *q)
{
	xfree(&q->text);
	xfree(&q->note);
	xfree(&q->folder);
	tls_cert_info_free(&q->cert);
}

void account_mgr_answer_secret(account_mgr_t *m, unsigned long id, const char *secret)
{
	pthread_mutex_lock(&m->mu);
	struct question *q = q_find(m, id);
	if (q && (q->q.kind == ACCOUNT_ASK_PASSWORD || q->q.kind == ACCOUNT_ASK_SMTP_PASSWORD)) {
		q_unlink(m, q); /* the asker frees it */
		q->secret = secret ? secret_dup(secret) : NULL;
		q->answered = true;
		pthread_cond_broadcast(&m->cond);
	}
	pthread_mutex_unlock(&m->mu);
}
/* data_dir/certs, where imap_params_from_conf and smtp_params_from_conf
 * look.  Not under m->mu: the file is written with fsync. */
static bool pin_add(account_mgr_t *m, const char *host, const char *sha256, char **err)
{
	char *data = conf_data_dir(m->conf);
	char *path = xasprintf("%s/certs", data);
	bool ok = tls_pin_file_add(path, host, sha256, err) == 0;
	free(path);
	free(data);
	return ok;
}

/* Under m->mu, which it releases: the sender waits for q and frees it,
 * also when quitting wakes it while the pin is written, so q is looked up
 * again afterwards. */
static bool answer_smtp_cert(account_mgr_t *m, struct question *q, enum account_cert_choice c, char **err)
{
	unsigned long id = q->q.id;
	struct worker *w = &m->w[q->q.account];
	char sha[sizeof(q->q.cert->sha256)];
	memcpy(sha, q->q.cert->sha256, sizeof(sha));
	bool ok = true;
	if (c == ACCOUNT_CERT_ALWAYS) {
		char *host = xstrdup(q->q.cert->host ? q->q.cert->host : "");
		pthread_mutex_unlock(&m->mu);
		ok = pin_add(m, host, sha, err);
		free(host);
		pthread_mutex_lock(&m->mu);
		q = q_find(m, id);
	} else if (c == ACCOUNT_CERT_ONCE) {
		free(w->smtp_once);
		w->smtp_once = xstrdup(sha);
	} else {
		free(w->smtp_rejected);
		w->smtp_rejected = xstrdup(sha);
	}
	if (q) {
		q_unlink(m, q);
		q->trusted = ok && c != ACCOUNT_CERT_REJECT;
		q->answered = true;
		pthread_cond_broadcast(&m->cond);
	}
	pthread_mutex_unlock(&m->mu);
	return ok;
}

bool account_mgr_answer_cert(account_mgr_t *m, unsigned long id, enum account_cert_choice c, char **err)
{
	pthread_mutex_lock(&m->mu);
	struct question *q = q_find(m, id);
	if (q && q->q.kind == ACCOUNT_ASK_SMTP_CERT && q->q.cert)
		return answer_smtp_cert(m, q, c, err);
	if (!q || q->q.kind != ACCOUNT_ASK_CERT || !q->q.cert) {
		pthread_mutex_unlock(&m->mu);
		return true;
	}
	q_unlink(m, q);
	struct worker *w = &m->w[q->q.account];
	bool ok = true;
	if (c == ACCOUNT_CERT_REJECT) {
		w->cert_rejected = true;
		w->st.cert_rejected = true;
	} else if (c == ACCOUNT_CERT_ONCE) {
		free(w->accept_once);
		w->accept_once = xstrdup(q->q.cert->sha256);
		free(w->imap_once);
		w->imap_once = xstrdup(q->q.cert->sha256);
		account_due_now(m, w);
	} else {
		/* written without holding up the workers */
		pthread_mutex_unlock(&m->mu);
		ok = pin_add(m, q->q.cert->host, q->q.cert->sha256, err);
		pthread_mutex_lock(&m->mu);
		if (ok)
			account_due_now(m, w);
	}
	pthread_mutex_unlock(&m->mu);
	account_q_free(q);
	return ok;
}

void account_mgr_answer_guard(account_mgr_t *m, unsigned long id, bool apply)
{
	pthread_mutex_lock(&m->mu);
	struct question *q = q_find(m, id);
	if (q && q->q.kind == ACCOUNT_ASK_GUARD) {
		q_unlink(m, q);
		struct worker *w = &m->w[q->q.account];
		if (apply) {
			w->allow_next = xreallocarray(w->allow_next, w->nallow_next + 1, sizeof(*w->allow_next));
			w->allow_next[w->nallow_next++] = xstrdup(q->q.folder);
			account_due_now(m, w);
		} else {
			w->kept = xreallocarray(w->kept, w->nkept + 1, sizeof(*w->kept));
			w->kept[w->nkept++] = (struct sync_guard){ .folder = xstrdup(q->q.folder),
								   .deleted = q->q.deleted,
								   .total = q->q.total,
								   .local = q->q.local };
		}
	} else {
		q = NULL;
	}
	pthread_mutex_unlock(&m->mu);
	account_q_free(q);
}

/* The server's words in "acc: host:port: login as U failed (MECH): words",
 * or the message without "acc: " (imap_pass_cmd failed, no usable method). */
static const char *login_why(const char *err, const char *account)
{
	size_t al = strlen(account);
	if (strncmp(err, account, al) == 0 && strncmp(err + al, ": ", 2) == 0)
		err += al + 2;
	const char *login = strstr(err, "login as ");
	const char *p = login ? strstr(login, "): ") : NULL;
	return p ? p + 3 : err;
}

/* Under m->mu: a configured password was refused. */
static void refused_login(struct worker *w)
{
	account_mgr_t *m = w->m;
	const char *acc = conf_account_name(m->conf, (size_t)w->idx);
	const char *err = sync_error(w->sync);
	snprintf(w->st.why, sizeof(w->st.why), "%s", login_why(err && *err ? err : "refused", acc));
	w->st.auth_refused = true;
	w->due_ms = LLONG_MAX;
	log_warn("%s: login refused: %s", acc, err && *err ? err : "?");
	account_set_news(m, xasprintf("%s: login refused: %s (fix the password, then sync-now)", acc, w->st.why));
}

/* Under m->mu, after a pass whose login was refused: true when it was the
 * OAuth2 grant (revoked or expired); the question is asked once and the
 * account waits for the answer (account_oauth.c). */
static bool oauth_refused(struct worker *w)
{
	account_mgr_t *m = w->m;
	const char *acc = conf_account_name(m->conf, (size_t)w->idx);
	if (m->no_asking || !conn_oauth_reauth_needed(acc))
		return false;
	const char *err = sync_error(w->sync);
	snprintf(w->st.why, sizeof(w->st.why), "%s", err && *err ? err : "the OAuth2 grant is revoked or expired");
	w->st.auth_refused = true;
	w->due_ms = LLONG_MAX; /* until the user answers */
	bool flowing = m->re.running && m->re.account == w->idx;
	if (!flowing && !account_q_pending(m, w->idx, ACCOUNT_ASK_OAUTH, NULL)) {
		log_info("%s: the OAuth2 grant is gone; asking to authorize again", acc);
		struct question *q = account_q_post(m, w->idx, ACCOUNT_ASK_OAUTH);
		q->q.text = xstrdup(err && *err ? err : w->st.why); /* whole: st.why is cut short */
	}
	return true;
}

/* Under m->mu, after a pass: what the user must decide. */
void account_after_pass(struct worker *w)
{
	account_mgr_t *m = w->m;
	const struct tls_cert_info *ci = sync_refused_cert(w->sync);
	w->st.no_password = w->st.auth_refused = false;
	if (ci) {
		/* no retries with this certificate until the user decided */
		w->due_ms = LLONG_MAX;
		if (!w->cert_rejected && !m->no_asking && !account_q_pending(m, w->idx, ACCOUNT_ASK_CERT, NULL)) {
			struct question *q = account_q_post(m, w->idx, ACCOUNT_ASK_CERT);
			q->q.cert = tls_cert_info_dup(ci);
		}
	} else if (sync_auth_refused(w->sync)) {
		if (oauth_refused(w)) {
			/* asked (once); the account waits for the answer */
		} else if (w->pass_declined) {
			w->st.no_password = true;
			w->due_ms = LLONG_MAX;
		} else if (!w->gave_pass) {
			/* the rc's password or imap_pass_cmd: say why, once, and do
			 * not try it again by itself (refused logins lock accounts) */
			refused_login(w);
		} else {
			/* the server refused what the user typed: ask again at once */
			secret_free(&w->pass);
			free(w->login_note);
			w->login_note = xstrdup(sync_error(w->sync));
			w->due_ms = util_now_ms();
		}
	} else {
		xfree(&w->login_note);
	}
	const struct sync_guard *g;
	size_t n = sync_guards(w->sync, &g);
	for (size_t i = 0; i < n && !m->no_asking; i++) {
		bool kept = false;
		for (size_t k = 0; k < w->nkept && !kept; k++)
			kept = strcmp(w->kept[k].folder, g[i].folder) == 0 && w->kept[k].deleted == g[i].deleted &&
			       w->kept[k].total == g[i].total && w->kept[k].local == g[i].local;
		if (kept || account_q_pending(m, w->idx, ACCOUNT_ASK_GUARD, g[i].folder))
			continue;
		log_info("%s: asking about the deletions in %s", conf_account_name(m->conf, (size_t)w->idx),
			 g[i].folder);
		struct question *q = account_q_post(m, w->idx, ACCOUNT_ASK_GUARD);
		q->q.folder = xstrdup(g[i].folder);
		q->q.deleted = g[i].deleted;
		q->q.total = g[i].total;
		q->q.local = g[i].local;
	}
}

void account_questions_free(account_mgr_t *m)
{
	while (m->questions) {
		struct question *q = m->questions;
		q_unlink(m, q);
		account_q_free(q);
	}
}
