/* account.c - the reader's account manager (account.h): workers, their
 * schedule and status, and the local half of the reader's actions. */
#include "account.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "maildir.h"
#include "roles.h"
#include "secret.h"
#include "store.h"
#include "sync.h"
#include "tls.h"
#include "util.h"

/* Wait this long after a local change before pushing it, so that a burst
 * of keys costs one pass. */
#define DEBOUNCE_MS 1000
/* How long an action waits for a running pass to end before refusing:
 * a move during a pass could look like a deletion to it. */
#define PASS_WAIT_S 2
/* Quitting waits this long for the workers; the journal and the file
 * names keep whatever they did not push. */
#define QUIT_WAIT_MS 1000

struct worker {
	struct account_mgr *m;
	long idx;
	struct sync *sync;
	pthread_t th;
	bool running;
	pthread_mutex_t pass_mu;   /* held during a pass; actions that move files take it */
	unsigned long passes;      /* completed passes (under pass_mu) */
	long long due_ms;          /* next pass (under m->mu) */
	int backoff_s;
	struct account_status st;  /* under m->mu */
	char *error;               /* last ERROR event of this pass (under m->mu) */
	char *acct_dir;            /* safe component of the account name */
	/* decisions (under m->mu) */
	char *pass;                /* secret: the IMAP password typed this session */
	char *smtp_pass;           /* secret: the SMTP one, when asked separately */
	bool smtp_own;             /* SMTP refused the IMAP password: ask for its own */
	bool pass_declined;        /* Escape at the prompt: not asked again until sync-now */
	bool smtp_declined;
	bool gave_pass;            /* this pass's login got a typed password */
	char *login_note;          /* why the password is asked again */
	bool cert_rejected;
	char *accept_once;         /* for the worker to hand to its sync before the next pass */
	char *imap_once;           /* the last IMAP accept-once: SMTP trusts the same SHA-256 */
	char *smtp_once;           /* the sender's accept-once (SHA-256), for the session */
	char *smtp_rejected;       /* the SMTP certificate rejected (not asked again until a send) */
	char **allow_next;         /* folders whose deletions the next pass applies */
	size_t nallow_next;
	struct sync_guard *kept;   /* guard stops the user answered "no" to (folder owned) */
	size_t nkept;
	/* between passes */
	bool connected;            /* the last pass left the session open: wait in IDLE */
	bool woken;                /* sync_wake() was called for a command (under m->mu) */
};

/* A question for the user (account.h).  Password questions are answered
 * into the question, which the asking thread then frees. */
struct question {
	struct question *next;
	struct account_question q;
	bool linked;               /* still in the manager's list */
	bool answered;
	char *secret;
	bool trusted;              /* SMTP_CERT: the answer */
};

struct account_mgr {
	const conf_t *conf;
	int notify_fd;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stop;
	bool changed;
	char *news;
	struct worker *w;
	size_t n;
	char *mail_root, *state_root;
	/* the shared writer, opened while a pass or an action uses it */
	pthread_mutex_t store_mu;
	struct store *store;
	unsigned users;
	struct question *questions; /* oldest first (under mu) */
	unsigned long next_qid;
	bool no_asking;
};

struct account_undo {
	long account;
	char *src_rel, *orig_name; /* where it was: folder and "cur/<name>" */
	char *dest_dir;            /* absolute directory it went to */
	char *base;                /* file name part before ",U=" / ":2," */
	uint64_t seq;              /* journal entry of the move, 0 none */
	bool had_uid;
	unsigned long passes;      /* the worker's pass count at the time */
};

static void notify(struct account_mgr *m)
{
	int fd = __atomic_load_n(&m->notify_fd, __ATOMIC_ACQUIRE);
	if (fd < 0)
		return;
	/* A full pipe already says "look": EAGAIN is fine. */
	ssize_t r = write(fd, "a", 1);
	(void)r;
}

static void set_news(struct account_mgr *m, char *msg)
{
	free(m->news);
	m->news = msg;
}

/* ---- the shared store ---- */

static void on_store_changed(void *ud)
{
	struct account_mgr *m = ud;
	pthread_mutex_lock(&m->mu);
	m->changed = true;
	pthread_mutex_unlock(&m->mu);
	notify(m);
}

static struct store *store_acquire(struct account_mgr *m, char **err)
{
	pthread_mutex_lock(&m->store_mu);
	if (!m->store) {
		char *e = NULL;
		if (store_open(m->mail_root, m->state_root, &m->store, &e) != STORE_OK) {
			pthread_mutex_unlock(&m->store_mu);
			if (err)
				*err = e ? e : xstrdup("cannot open the mail store");
			else
				free(e);
			return NULL;
		}
		store_set_changed(m->store, on_store_changed, m);
	}
	m->users++;
	struct store *s = m->store;
	pthread_mutex_unlock(&m->store_mu);
	return s;
}

/* The last user closes it, so `notmuch tag` and other writers get their turn. */
static void store_release(struct account_mgr *m)
{
	pthread_mutex_lock(&m->store_mu);
	if (m->users && --m->users == 0)
		store_close(&m->store);
	pthread_mutex_unlock(&m->store_mu);
}

/* ---- questions ---- */

/* Under m->mu: queue a question (the caller notifies after unlocking). */
static struct question *q_post(struct account_mgr *m, long account, enum account_ask kind)
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

static void q_unlink(struct account_mgr *m, struct question *q)
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

static void q_free(struct question *q)
{
	if (!q)
		return;
	account_question_clear(&q->q);
	secret_free(&q->secret);
	free(q);
}

static struct question *q_find(struct account_mgr *m, unsigned long id)
{
	struct question *q = m->questions;
	while (q && q->q.id != id)
		q = q->next;
	return q;
}

static bool q_pending(struct account_mgr *m, long account, enum account_ask kind, const char *folder)
{
	for (struct question *q = m->questions; q; q = q->next)
		if (q->q.account == account && q->q.kind == kind && (!folder || strcmp(q->q.folder, folder) == 0))
			return true;
	return false;
}

/* Under m->mu: announce q and wait until it is answered (or nobody will
 * answer it: quitting); q is out of the list after, the caller frees it. */
static void wait_answer(struct account_mgr *m, struct question *q)
{
	pthread_mutex_unlock(&m->mu);
	notify(m);
	pthread_mutex_lock(&m->mu);
	while (!q->answered && !m->stop && !m->no_asking)
		pthread_cond_wait(&m->cond, &m->mu);
	if (q->linked)
		q_unlink(m, q);
}

/* Under m->mu: queue a password question and wait for its answer (the
 * UI thread is never the caller).  New secret or NULL. */
static char *ask_and_wait(struct account_mgr *m, long account, enum account_ask kind, char *text, const char *note)
{
	if (m->stop || m->no_asking) {
		free(text);
		return NULL;
	}
	struct question *q = q_post(m, account, kind);
	q->q.text = text;
	q->q.note = note ? xstrdup(note) : NULL;
	wait_answer(m, q);
	char *secret = q->secret;
	q->secret = NULL;
	q_free(q);
	return secret;
}

/* "Password for alice@host: " -> "Password for alice@host (account work): " */
static char *account_prompt(struct account_mgr *m, long account, const char *prompt)
{
	size_t n = strlen(prompt);
	while (n && (prompt[n - 1] == ' ' || prompt[n - 1] == ':'))
		n--;
	return xasprintf("%.*s (account %s): ", (int)n, prompt, conf_account_name(m->conf, (size_t)account));
}

/* The sync's password callback, on the worker's thread during a login. */
static char *ask_imap_secret(void *ud, const char *prompt)
{
	struct worker *w = ud;
	struct account_mgr *m = w->m;
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

char *account_mgr_smtp_secret(struct account_mgr *m, long account, bool same_user, const char *prompt)
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

bool account_mgr_smtp_cert(struct account_mgr *m, long account, const struct tls_cert_info *ci)
{
	if (!ci || !ci->sha256[0] || account < 0 || (size_t)account >= m->n)
		return false;
	struct worker *w = &m->w[account];
	pthread_mutex_lock(&m->mu);
	bool trusted = same_sha(w->smtp_once, ci->sha256) || same_sha(w->imap_once, ci->sha256);
	if (!trusted && !same_sha(w->smtp_rejected, ci->sha256) && !m->stop && !m->no_asking) {
		struct question *q = q_post(m, account, ACCOUNT_ASK_SMTP_CERT);
		q->q.cert = tls_cert_info_dup(ci);
		wait_answer(m, q);
		trusted = q->answered && q->trusted;
		q_free(q);
	}
	pthread_mutex_unlock(&m->mu);
	return trusted;
}

void account_mgr_smtp_refused(struct account_mgr *m, long account)
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

void account_mgr_smtp_ask_again(struct account_mgr *m, long account)
{
	if (account < 0 || (size_t)account >= m->n)
		return;
	pthread_mutex_lock(&m->mu);
	m->w[account].smtp_declined = false;
	xfree(&m->w[account].smtp_rejected);
	pthread_mutex_unlock(&m->mu);
}

void account_mgr_stop_asking(struct account_mgr *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	m->no_asking = true;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->mu);
}

bool account_mgr_has_question(struct account_mgr *m)
{
	pthread_mutex_lock(&m->mu);
	bool any = m->questions != NULL;
	pthread_mutex_unlock(&m->mu);
	return any;
}

bool account_mgr_question(struct account_mgr *m, struct account_question *out)
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

void account_mgr_answer_secret(struct account_mgr *m, unsigned long id, const char *secret)
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

/* Under m->mu: run the account's next pass now. */
static void due_now(struct account_mgr *m, struct worker *w)
{
	w->due_ms = 0;
	w->backoff_s = 5;
	w->woken = true;
	sync_wake(w->sync);
	pthread_cond_broadcast(&m->cond);
}

/* data_dir/certs, where imap_params_from_conf and smtp_params_from_conf
 * look.  Not under m->mu: the file is written with fsync. */
static bool pin_add(struct account_mgr *m, const char *host, const char *sha256, char **err)
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
static bool answer_smtp_cert(struct account_mgr *m, struct question *q, enum account_cert_choice c, char **err)
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

bool account_mgr_answer_cert(struct account_mgr *m, unsigned long id, enum account_cert_choice c, char **err)
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
		due_now(m, w);
	} else {
		/* written without holding up the workers */
		pthread_mutex_unlock(&m->mu);
		ok = pin_add(m, q->q.cert->host, q->q.cert->sha256, err);
		pthread_mutex_lock(&m->mu);
		if (ok)
			due_now(m, w);
	}
	pthread_mutex_unlock(&m->mu);
	q_free(q);
	return ok;
}

void account_mgr_answer_guard(struct account_mgr *m, unsigned long id, bool apply)
{
	pthread_mutex_lock(&m->mu);
	struct question *q = q_find(m, id);
	if (q && q->q.kind == ACCOUNT_ASK_GUARD) {
		q_unlink(m, q);
		struct worker *w = &m->w[q->q.account];
		if (apply) {
			w->allow_next = xreallocarray(w->allow_next, w->nallow_next + 1, sizeof(*w->allow_next));
			w->allow_next[w->nallow_next++] = xstrdup(q->q.folder);
			due_now(m, w);
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
	q_free(q);
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
	struct account_mgr *m = w->m;
	const char *acc = conf_account_name(m->conf, (size_t)w->idx);
	const char *err = sync_error(w->sync);
	snprintf(w->st.why, sizeof(w->st.why), "%s", login_why(err && *err ? err : "refused", acc));
	w->st.auth_refused = true;
	w->due_ms = LLONG_MAX;
	log_warn("%s: login refused: %s", acc, err && *err ? err : "?");
	set_news(m, xasprintf("%s: login refused: %s (fix the password, then sync-now)", acc, w->st.why));
}

/* Under m->mu, after a pass: what the user must decide. */
static void after_pass(struct worker *w)
{
	struct account_mgr *m = w->m;
	const struct tls_cert_info *ci = sync_refused_cert(w->sync);
	w->st.no_password = w->st.auth_refused = false;
	if (ci) {
		/* no retries with this certificate until the user decided */
		w->due_ms = LLONG_MAX;
		if (!w->cert_rejected && !m->no_asking && !q_pending(m, w->idx, ACCOUNT_ASK_CERT, NULL)) {
			struct question *q = q_post(m, w->idx, ACCOUNT_ASK_CERT);
			q->q.cert = tls_cert_info_dup(ci);
		}
	} else if (sync_auth_refused(w->sync)) {
		if (w->pass_declined) {
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
		if (kept || q_pending(m, w->idx, ACCOUNT_ASK_GUARD, g[i].folder))
			continue;
		log_info("%s: asking about the deletions in %s", conf_account_name(m->conf, (size_t)w->idx),
			 g[i].folder);
		struct question *q = q_post(m, w->idx, ACCOUNT_ASK_GUARD);
		q->q.folder = xstrdup(g[i].folder);
		q->q.deleted = g[i].deleted;
		q->q.total = g[i].total;
		q->q.local = g[i].local;
	}
}

/* ---- workers ---- */

static void on_event(const struct sync_event *ev, void *ud)
{
	struct worker *w = ud;
	struct account_mgr *m = w->m;
	pthread_mutex_lock(&m->mu);
	switch (ev->kind) {
	case SYNC_EV_CONNECT:
		w->st.folder[0] = '\0';
		w->st.done = w->st.total = 0;
		break;
	case SYNC_EV_FOLDER:
		snprintf(w->st.folder, sizeof(w->st.folder), "%s", ev->folder ? ev->folder : "");
		w->st.done = w->st.total = 0;
		break;
	case SYNC_EV_PROGRESS:
		w->st.done = ev->done;
		w->st.total = ev->total;
		break;
	case SYNC_EV_WARNING:
		set_news(m, xasprintf("%s: %s", ev->account, ev->message ? ev->message : "warning"));
		break;
	case SYNC_EV_ERROR:
		free(w->error);
		w->error = xstrdup(ev->message ? ev->message : "error");
		break;
	case SYNC_EV_DONE:
		break;
	}
	pthread_mutex_unlock(&m->mu);
	notify(m);
}

static enum sync_status one_pass(struct worker *w)
{
	struct account_mgr *m = w->m;
	pthread_mutex_lock(&w->pass_mu);
	char *err = NULL;
	struct store *store = store_acquire(m, &err);
	enum sync_status st = SYNC_ERR_STORE;
	if (store) {
		sync_set_store(w->sync, store);
		st = sync_run(w->sync);
		sync_set_store(w->sync, NULL);
		store_release(m);
	} else {
		pthread_mutex_lock(&m->mu);
		free(w->error);
		w->error = err;
		pthread_mutex_unlock(&m->mu);
	}
	w->passes++;
	pthread_mutex_unlock(&w->pass_mu);
	return st;
}

/* Under m->mu: record how the pass ended and when the next one is due. */
static void pass_ended(struct worker *w, enum sync_status st)
{
	struct account_mgr *m = w->m;
	long interval = conf_num(m->conf, -1, OPT_ID_sync_interval);
	w->st.syncing = false;
	w->st.folder[0] = '\0';
	w->st.offline = st == SYNC_ERR_NET;
	w->st.failed = st != SYNC_OK && st != SYNC_ERR_NET && st != SYNC_ERR_CANCELLED;
	if (w->st.failed && w->error)
		set_news(m, xasprintf("%s: %s", conf_account_name(m->conf, (size_t)w->idx), w->error));
	xfree(&w->error);
	long delay = interval;
	if (st == SYNC_ERR_NET) {
		/* Offline: try again sooner than the interval, backing off. */
		delay = w->backoff_s < interval ? w->backoff_s : interval;
		w->backoff_s = w->backoff_s * 2 > 300 ? 300 : w->backoff_s * 2;
	} else {
		w->backoff_s = 5;
	}
	long long next = util_now_ms() + delay * 1000LL;
	if (next < w->due_ms)
		w->due_ms = next;
}

static void wait_until(struct account_mgr *m, long long due)
{
	long long left = due - util_now_ms();
	if (left > 3600000)
		left = 3600000;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	long long ns = ts.tv_nsec + (left % 1000) * 1000000LL;
	ts.tv_sec += (time_t)(left / 1000 + ns / 1000000000LL);
	ts.tv_nsec = (long)(ns % 1000000000LL);
	pthread_cond_timedwait(&m->cond, &m->mu, &ts);
}

/* Under m->mu, the session open and the next pass not due for a while:
 * wait in IDLE on INBOX (sync_watch), so new mail starts a pass at once;
 * commands end the wait through sync_wake(). */
static void idle_wait(struct worker *w)
{
	struct account_mgr *m = w->m;
	long interval = conf_num(m->conf, -1, OPT_ID_sync_interval);
	long long left = w->due_ms - util_now_ms();
	int secs = left / 1000 + 1 < interval ? (int)(left / 1000 + 1) : (int)interval;
	if (secs < 1)
		secs = 1;
	w->woken = false;
	pthread_mutex_unlock(&m->mu);
	long long start = util_now_ms();
	bool news = sync_watch(w->sync, secs);
	long long took = util_now_ms() - start;
	pthread_mutex_lock(&m->mu);
	if (news) {
		w->due_ms = 0; /* the server has news: a pass now */
	} else if (!w->woken && !m->stop && took < (long long)secs * 1000 - 500) {
		/* IDLE could not run (the session broke): plain waiting until the pass */
		w->connected = false;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct account_mgr *m = w->m;
	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		if (util_now_ms() < w->due_ms) {
			if (w->connected && w->due_ms - util_now_ms() > 2000)
				idle_wait(w);
			else
				wait_until(m, w->due_ms);
			continue;
		}
		w->due_ms = LLONG_MAX;
		w->st.syncing = true;
		w->gave_pass = false;
		char *once = w->accept_once;
		char **allow = w->allow_next;
		size_t nallow = w->nallow_next;
		w->accept_once = NULL;
		w->allow_next = NULL;
		w->nallow_next = 0;
		pthread_mutex_unlock(&m->mu);
		notify(m);
		if (once)
			sync_set_accept_once(w->sync, once); /* for the rest of the session */
		if (nallow)
			sync_set_allow_deletes(w->sync, (const char *const *)allow, nallow);
		enum sync_status st = one_pass(w);
		if (nallow)
			sync_set_allow_deletes(w->sync, NULL, 0); /* that one pass only */
		free(once);
		for (size_t i = 0; i < nallow; i++)
			free(allow[i]);
		free(allow);
		pthread_mutex_lock(&m->mu);
		w->connected = st == SYNC_OK || st == SYNC_ERR_FOLDER;
		pass_ended(w, st);
		after_pass(w);
		pthread_mutex_unlock(&m->mu);
		notify(m);
		pthread_mutex_lock(&m->mu);
	}
	pthread_mutex_unlock(&m->mu);
	sync_disconnect(w->sync);
	return NULL;
}

struct account_mgr *account_mgr_new(const conf_t *conf, int notify_fd)
{
	struct account_mgr *m = xcalloc(1, sizeof(*m));
	m->conf = conf;
	m->notify_fd = notify_fd;
	pthread_mutex_init(&m->mu, NULL);
	pthread_mutex_init(&m->store_mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cond, &ca);
	pthread_condattr_destroy(&ca);
	char *data = conf_data_dir(conf);
	m->mail_root = xasprintf("%s/mail", data);
	m->state_root = xasprintf("%s/state", data);
	free(data);
	m->n = conf_account_count(conf);
	m->w = xcalloc(m->n ? m->n : 1, sizeof(*m->w));
	for (size_t i = 0; i < m->n; i++) {
		struct worker *w = &m->w[i];
		w->m = m;
		w->idx = (long)i;
		w->backoff_s = 5;
		w->acct_dir = maildir_safe_component(conf_account_name(conf, i));
		pthread_mutex_init(&w->pass_mu, NULL);
		struct sync_options o = { .conf = conf, .account = (long)i, .event = on_event, .event_ud = w,
					  .ask_secret = ask_imap_secret, .ask_ud = w };
		w->sync = sync_new(&o);
	}
	store_global_init(); /* touches the environment: before our threads */
	return m;
}

void account_mgr_start(struct account_mgr *m)
{
	for (size_t i = 0; i < m->n; i++) {
		struct worker *w = &m->w[i];
		if (!w->sync || w->running)
			continue;
		w->due_ms = 0;
		w->running = pthread_create(&w->th, NULL, worker_main, w) == 0;
	}
}

/* A manager whose workers did not end in time (see account_mgr_free). */
static struct account_mgr *abandoned;

/* Join every worker, waiting at most QUIT_WAIT_MS in all. */
static bool join_workers(struct account_mgr *m)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_nsec += (QUIT_WAIT_MS % 1000) * 1000000L;
	dl.tv_sec += QUIT_WAIT_MS / 1000 + dl.tv_nsec / 1000000000L;
	dl.tv_nsec %= 1000000000L;
	bool all = true;
	for (size_t i = 0; i < m->n; i++) {
		struct worker *w = &m->w[i];
		if (w->running && pthread_timedjoin_np(w->th, NULL, &dl) != 0)
			all = false;
		else
			w->running = false;
	}
	return all;
}

void account_mgr_free(struct account_mgr **pm)
{
	struct account_mgr *m = *pm;
	if (!m)
		return;
	/* Nobody reads the pipe any more, and the UI closes it even when a
	 * worker outlives this call. */
	__atomic_store_n(&m->notify_fd, -1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&m->mu);
	m->stop = true;
	m->no_asking = true;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->mu);
	/* A blocked libetpan call returns at once; what the pass did not push
	 * stays in the file names and the journal for the next run. */
	for (size_t i = 0; i < m->n; i++) {
		if (m->w[i].sync) {
			sync_wake(m->w[i].sync);
			sync_cancel(m->w[i].sync);
		}
	}
	if (!join_workers(m)) {
		/* A worker is stuck where cancelling cannot reach (a DNS lookup):
		 * the user is not kept waiting; the process ends with it, and the
		 * manager stays reachable for it meanwhile. */
		abandoned = m;
		*pm = NULL;
		return;
	}
	for (size_t i = 0; i < m->n; i++) {
		struct worker *w = &m->w[i];
		sync_free(&w->sync);
		free(w->error);
		free(w->acct_dir);
		secret_free(&w->pass);
		secret_free(&w->smtp_pass);
		free(w->login_note);
		free(w->accept_once);
		free(w->imap_once);
		free(w->smtp_once);
		free(w->smtp_rejected);
		for (size_t k = 0; k < w->nallow_next; k++)
			free(w->allow_next[k]);
		free(w->allow_next);
		for (size_t k = 0; k < w->nkept; k++)
			free(w->kept[k].folder);
		free(w->kept);
		pthread_mutex_destroy(&w->pass_mu);
	}
	store_close(&m->store);
	while (m->questions) {
		struct question *q = m->questions;
		q_unlink(m, q);
		q_free(q);
	}
	free(m->w);
	free(m->news);
	free(m->mail_root);
	free(m->state_root);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->mu);
	pthread_mutex_destroy(&m->store_mu);
	free(m);
	*pm = NULL;
}

static void schedule(struct account_mgr *m, long account, long long delay)
{
	pthread_mutex_lock(&m->mu);
	long long due = util_now_ms() + delay;
	for (size_t i = 0; i < m->n; i++) {
		if (account >= 0 && (long)i != account)
			continue;
		if (delay && m->w[i].st.auth_refused)
			continue; /* a refused password is tried again only when asked */
		if (due < m->w[i].due_ms)
			m->w[i].due_ms = due;
		m->w[i].backoff_s = 5; /* asked for: try the network again at once */
		m->w[i].woken = true;
		sync_wake(m->w[i].sync); /* out of IDLE */
		if (delay == 0) {
			/* the user asked: ask again what was declined */
			m->w[i].pass_declined = m->w[i].smtp_declined = false;
			m->w[i].cert_rejected = false;
			xfree(&m->w[i].smtp_rejected);
			m->w[i].st.no_password = m->w[i].st.cert_rejected = m->w[i].st.auth_refused = false;
		}
	}
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->mu);
}

void account_mgr_sync_now(struct account_mgr *m, long account) { schedule(m, account, 0); }
void account_mgr_touch(struct account_mgr *m, long account) { schedule(m, account, DEBOUNCE_MS); }

void account_mgr_status(struct account_mgr *m, long account, struct account_status *out)
{
	memset(out, 0, sizeof(*out));
	if (account < 0 || (size_t)account >= m->n)
		return;
	pthread_mutex_lock(&m->mu);
	*out = m->w[account].st;
	pthread_mutex_unlock(&m->mu);
}

void account_mgr_take_news(struct account_mgr *m, bool *changed, char **msg)
{
	pthread_mutex_lock(&m->mu);
	*changed = m->changed;
	m->changed = false;
	*msg = m->news;
	m->news = NULL;
	pthread_mutex_unlock(&m->mu);
}

/* ---- paths ---- */

/* Split path (under mail_root) into account, folder and "cur/<name>". */
struct msg_path {
	long account;
	char *folder; /* relative to the account directory */
	char *name;   /* "cur/<name>" or "new/<name>" */
};

static void msg_path_clear(struct msg_path *p)
{
	xfree(&p->folder);
	xfree(&p->name);
}

static bool msg_path_parse(struct account_mgr *m, const char *path, struct msg_path *out)
{
	memset(out, 0, sizeof(*out));
	out->account = -1;
	size_t rl = strlen(m->mail_root);
	if (strncmp(path, m->mail_root, rl) != 0 || path[rl] != '/')
		return false;
	const char *rest = path + rl + 1;
	for (size_t i = 0; i < m->n; i++) {
		size_t al = strlen(m->w[i].acct_dir);
		if (strncmp(rest, m->w[i].acct_dir, al) == 0 && rest[al] == '/') {
			out->account = (long)i;
			rest += al + 1;
			break;
		}
	}
	const char *slash = strrchr(rest, '/');
	if (out->account < 0 || !slash || slash - rest < 4)
		return false;
	const char *sub = slash - 3;
	if ((strncmp(sub, "cur/", 4) != 0 && strncmp(sub, "new/", 4) != 0) || (sub != rest && sub[-1] != '/'))
		return false;
	if (sub == rest)
		return false; /* a Maildir at the account's root has no folder */
	out->folder = xstrndup(rest, (size_t)(sub - 1 - rest));
	out->name = xstrdup(sub);
	return true;
}

long account_mgr_account_of(struct account_mgr *m, const char *path)
{
	struct msg_path p;
	bool ok = msg_path_parse(m, path, &p);
	long a = ok ? p.account : -1;
	msg_path_clear(&p);
	return a;
}

char *account_mgr_folder_rel(struct account_mgr *m, long account, const char *name)
{
	(void)m;
	(void)account;
	return maildir_folder_relpath(name, '/');
}

/* The file name without directory, ",U=" and flags: what stays the same
 * through renames. */
static char *name_base(const char *name)
{
	const char *b = strrchr(name, '/');
	b = b ? b + 1 : name;
	return xstrndup(b, strcspn(b, ",:"));
}

static bool name_uid(const char *name, uint32_t *uid)
{
	const char *u = strstr(name, ",U=");
	if (!u)
		return false;
	*uid = (uint32_t)strtoul(u + 3, NULL, 10);
	return true;
}

static unsigned name_flags(const char *name)
{
	const char *f = strstr(name, ":2,");
	return f ? maildir_flags_parse(f + 3) : 0;
}

/* "cur/<base>[,U=<uid>]:2,<flags>" */
static char *make_name(const char *base, bool has_uid, uint32_t uid, unsigned flags)
{
	char letters[8];
	maildir_flags_format(flags, letters);
	if (has_uid)
		return xasprintf("cur/%s,U=%u:2,%s", base, uid, letters);
	return xasprintf("cur/%s:2,%s", base, letters);
}

/* Find the file of base in dir's cur/ or new/ ("cur/<name>"), or NULL. */
static char *find_base(const char *dir, const char *base)
{
	size_t bl = strlen(base);
	char *found = NULL;
	for (int i = 0; i < 2 && !found; i++) {
		char *sub = xasprintf("%s/%s", dir, i ? "new" : "cur");
		DIR *d = opendir(sub);
		for (struct dirent *de; d && !found && (de = readdir(d));)
			if (strncmp(de->d_name, base, bl) == 0 && strchr(",:", de->d_name[bl]) && de->d_name[bl])
				found = xasprintf("%s/%s", i ? "new" : "cur", de->d_name);
		if (d)
			closedir(d);
		free(sub);
	}
	return found;
}

char *account_mgr_find_file(const char *path)
{
	if (access(path, F_OK) == 0)
		return xstrdup(path);
	const char *name = strrchr(path, '/');
	if (!name || name - path < 4 || (strncmp(name - 4, "/cur", 4) != 0 && strncmp(name - 4, "/new", 4) != 0))
		return NULL;
	char *dir = xstrndup(path, (size_t)(name - 4 - path));
	char *base = name_base(name + 1);
	char *rel = find_base(dir, base);
	char *found = rel ? xasprintf("%s/%s", dir, rel) : NULL;
	free(rel);
	free(base);
	free(dir);
	return found;
}

/* The Message-ID of the file (from its first 64 KiB), or NULL. */
static char *file_message_id(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	char *buf = xmalloc(65536);
	ssize_t n = read(fd, buf, 65536);
	close(fd);
	char *id = n > 0 ? maildir_message_id(buf, (size_t)n) : NULL;
	free(buf);
	return id;
}

char *account_mgr_file_in_dir(const char *dir, const char *id)
{
	char *found = NULL;
	for (int i = 0; i < 2 && !found; i++) {
		char *sub = xasprintf("%s/%s", dir, i ? "new" : "cur");
		DIR *d = opendir(sub);
		for (struct dirent *de; d && !found && (de = readdir(d));) {
			if (de->d_name[0] == '.')
				continue;
			char *path = xasprintf("%s/%s", sub, de->d_name);
			char *mid = file_message_id(path);
			if (mid && strcmp(mid, id) == 0)
				found = path;
			else
				free(path);
			free(mid);
		}
		if (d)
			closedir(d);
		free(sub);
	}
	return found;
}

/* Rename dir_a/name_a to dir_b/name_b durably. */
static int move_file(const char *dir_a, const char *name_a, const char *dir_b, const char *name_b)
{
	if (maildir_create(dir_b) != 0)
		return -1;
	char *a = xasprintf("%s/%s", dir_a, name_a), *b = xasprintf("%s/%s", dir_b, name_b);
	int rc = rename(a, b);
	free(a);
	free(b);
	if (rc == 0) {
		char *cb = xasprintf("%s/cur", dir_b), *ca = xasprintf("%s/%.3s", dir_a, name_a);
		util_fsync_dir(cb);
		util_fsync_dir(ca);
		free(cb);
		free(ca);
	}
	return rc;
}

/* Lock the account's pass, waiting a little for a running one. */
static bool lock_pass(struct worker *w, char **err)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += PASS_WAIT_S;
	if (pthread_mutex_timedlock(&w->pass_mu, &ts) == 0)
		return true;
	*err = xstrdup("a sync of this account is running; try again in a moment");
	return false;
}

/* ---- actions ---- */

bool account_mgr_tag(struct account_mgr *m, const char *const *ids, size_t n, const char *changes, char **err)
{
	struct store *s = store_acquire(m, err);
	if (!s)
		return false;
	for (size_t i = 0; i < n; i++)
		store_tag(s, ids[i], changes);
	size_t failed = store_flush(s);
	store_release(m);
	if (failed) {
		*err = xasprintf("%zu change%s could not be applied (see the log)", failed, failed == 1 ? "" : "s");
		return false;
	}
	return true;
}

static char *acct_path(struct account_mgr *m, long account, const char *rel)
{
	return xasprintf("%s/%s/%s", m->mail_root, m->w[account].acct_dir, rel);
}

static char *store_rel(struct account_mgr *m, long account, const char *folder, const char *name)
{
	return xasprintf("%s/%s/%s", m->w[account].acct_dir, folder, name);
}

/* Tell the store about a rename (old_folder/old_name -> new_folder/new_name). */
static void store_moved(struct account_mgr *m, long account, const char *of, const char *on, const char *nf,
			const char *nn)
{
	struct store *s = store_acquire(m, NULL);
	if (!s)
		return; /* the next open reconciles the index with the Maildirs */
	char *o = store_rel(m, account, of, on), *n = store_rel(m, account, nf, nn);
	store_rename(s, o, n, conf_account_name(m->conf, (size_t)account), NULL);
	store_flush(s);
	store_release(m);
	free(o);
	free(n);
}

static uint64_t journal_move(struct account_mgr *m, long account, const char *from, uint32_t uid, const char *dest,
			     const char *dest_file)
{
	char *jp = xasprintf("%s/%s/journal", m->state_root, m->w[account].acct_dir);
	char *dir = xasprintf("%s/%s", m->state_root, m->w[account].acct_dir);
	util_mkdirs(dir, 0700);
	free(dir);
	struct journal *j = NULL;
	uint64_t seq = 0;
	struct journal_entry e = { .op = JOURNAL_MOVE, .folder = (char *)from, .uid = uid, .dest = (char *)dest,
				   .dest_file = (char *)dest_file };
	if (journal_open(jp, &j) == JOURNAL_OK && journal_add(j, &e) == JOURNAL_OK)
		seq = e.seq;
	journal_free(&j);
	free(jp);
	return seq;
}

/* Index a file just delivered into folder/name (no ",U=": the next pass
 * uploads it).  No store (it is busy or broken): the next open reconciles. */
static size_t index_new(struct account_mgr *m, long account, const char *folder, const char *name)
{
	struct store *s = store_acquire(m, NULL);
	if (!s)
		return 1;
	char *rel = store_rel(m, account, folder, name);
	store_add(s, rel, conf_account_name(m->conf, (size_t)account), NULL);
	size_t failed = store_flush(s);
	store_release(m);
	free(rel);
	return failed;
}

bool account_mgr_index_file(struct account_mgr *m, const char *path, char **err)
{
	struct msg_path p;
	bool ok = msg_path_parse(m, path, &p);
	if (!ok)
		*err = xstrdup("the file is not in an account's folder");
	else if (!(ok = index_new(m, p.account, p.folder, p.name) == 0))
		*err = xstrdup("it could not be indexed now (see the log); the next sync indexes it");
	msg_path_clear(&p);
	return ok;
}

static bool copy_msg(struct account_mgr *m, const struct msg_path *p, const char *dest_rel, char **err)
{
	char *src = acct_path(m, p->account, p->folder), *dst = acct_path(m, p->account, dest_rel);
	char *data = NULL, *nn = NULL;
	size_t len = 0;
	bool ok = maildir_read(src, p->name, &data, &len) == 0 && maildir_create(dst) == 0 &&
		  maildir_deliver(dst, data, len, 0, false, name_flags(p->name), 0, &nn) == 0;
	if (ok) {
		index_new(m, p->account, dest_rel, nn);
	} else {
		*err = xasprintf("cannot copy the message: %s", strerror(errno));
	}
	free(data);
	free(nn);
	free(src);
	free(dst);
	return ok;
}

/* The move itself, with the pass locked: rename without ",U=", tell the
 * store, journal it (doc/sync.md "The journal"). */
static bool move_locked(struct account_mgr *m, const struct msg_path *p, const char *dest_rel,
			struct account_undo **undo, char **err)
{
	struct worker *w = &m->w[p->account];
	char *src = acct_path(m, p->account, p->folder), *dst = acct_path(m, p->account, dest_rel);
	char *base = name_base(p->name);
	uint32_t uid = 0;
	bool has_uid = name_uid(p->name, &uid) && uid;
	char *nn = make_name(base, false, 0, name_flags(p->name));
	bool ok = move_file(src, p->name, dst, nn) == 0;
	if (!ok)
		*err = xasprintf("cannot move the message: %s", strerror(errno));
	uint64_t seq = 0;
	if (ok) {
		store_moved(m, p->account, p->folder, p->name, dest_rel, nn);
		if (has_uid)
			seq = journal_move(m, p->account, p->folder, uid, dest_rel, nn);
	}
	if (ok && undo) {
		struct account_undo *u = xcalloc(1, sizeof(*u));
		*u = (struct account_undo){ .account = p->account, .src_rel = xstrdup(p->folder),
					    .orig_name = xstrdup(p->name), .dest_dir = xstrdup(dest_rel),
					    .base = base, .seq = seq, .had_uid = has_uid, .passes = w->passes };
		base = NULL;
		*undo = u;
	}
	free(base);
	free(nn);
	free(src);
	free(dst);
	return ok;
}

bool account_mgr_move(struct account_mgr *m, const char *path, const char *dest_rel, bool copy,
		      struct account_undo **undo, char **err)
{
	struct msg_path p;
	if (!msg_path_parse(m, path, &p)) {
		msg_path_clear(&p);
		*err = xstrdup("the message is not in an account's folder");
		return false;
	}
	bool ok;
	if (!dest_rel || !*dest_rel) {
		*err = xstrdup("no destination folder");
		ok = false;
	} else if (strcmp(p.folder, dest_rel) == 0) {
		*err = xstrdup("the message is already in that folder");
		ok = false;
	} else if (copy) {
		ok = copy_msg(m, &p, dest_rel, err);
	} else if ((ok = lock_pass(&m->w[p.account], err))) {
		ok = move_locked(m, &p, dest_rel, undo, err);
		pthread_mutex_unlock(&m->w[p.account].pass_mu);
	}
	if (ok)
		account_mgr_touch(m, p.account);
	msg_path_clear(&p);
	return ok;
}

static char *trash_rel(struct account_mgr *m, long account)
{
	return roles_folder(m->conf, account, IMAP_SPECIAL_TRASH, NULL);
}

static void journal_expunge(struct account_mgr *m, long account, const char *folder, uint32_t uid)
{
	char *jp = xasprintf("%s/%s/journal", m->state_root, m->w[account].acct_dir);
	struct journal *j = NULL;
	struct journal_entry e = { .op = JOURNAL_EXPUNGE, .folder = (char *)folder, .uid = uid };
	if (journal_open(jp, &j) == JOURNAL_OK)
		journal_add(j, &e);
	journal_free(&j);
	free(jp);
}

/* With the pass locked: take the file out of the Maildir and the index
 * (the next pass deletes it on the server).  for_good: journal an
 * expunge, so that delete_policy = trash does not move it again (it is in
 * the Trash already). */
static bool remove_locked(struct account_mgr *m, const struct msg_path *p, bool for_good, char **err)
{
	char *dir = acct_path(m, p->account, p->folder);
	uint32_t uid = 0;
	bool has_uid = name_uid(p->name, &uid) && uid;
	bool ok = maildir_remove(dir, p->name) == 0;
	if (!ok)
		*err = xasprintf("cannot delete: %s", strerror(errno));
	if (ok && for_good && has_uid)
		journal_expunge(m, p->account, p->folder, uid);
	struct store *s = ok ? store_acquire(m, NULL) : NULL;
	if (s) {
		char *rel = store_rel(m, p->account, p->folder, p->name);
		store_remove(s, rel);
		store_flush(s);
		store_release(m);
		free(rel);
	}
	free(dir);
	return ok;
}

bool account_mgr_delete(struct account_mgr *m, const char *path, struct account_undo **undo, char **err)
{
	struct msg_path p;
	if (undo)
		*undo = NULL;
	if (!msg_path_parse(m, path, &p)) {
		msg_path_clear(&p);
		*err = xstrdup("the message is not in an account's folder");
		return false;
	}
	char *trash = trash_rel(m, p.account);
	bool in_trash = trash && strcmp(trash, p.folder) == 0;
	/* Gmail: a delete in a label folder removes that label (the sync
	 * expunges it from that folder only); the message stays in All Mail. */
	bool label = roles_is_label(m->conf, p.account, p.folder);
	bool ok;
	if (conf_enum(m->conf, p.account, OPT_ID_delete_policy) == 0 && !in_trash && !label) {
		ok = account_mgr_move(m, path, trash, false, undo, err);
	} else if ((ok = lock_pass(&m->w[p.account], err))) {
		/* delete_policy = expunge, or already in the Trash: for good (no
		 * undo); a label: the sync's pass removes it from that folder */
		ok = remove_locked(m, &p, in_trash && !label, err);
		pthread_mutex_unlock(&m->w[p.account].pass_mu);
		if (ok)
			account_mgr_touch(m, p.account);
	}
	free(trash);
	msg_path_clear(&p);
	return ok;
}

bool account_mgr_expunge(struct account_mgr *m, const char *path, char **err)
{
	struct msg_path p;
	bool ok = msg_path_parse(m, path, &p);
	if (!ok)
		*err = xstrdup("the message is not in an account's folder");
	else if ((ok = lock_pass(&m->w[p.account], err))) {
		/* with the pass locked: an upload may have renamed it (,U=) just before */
		char *now = account_mgr_find_file(path);
		struct msg_path q = { 0 };
		ok = now && msg_path_parse(m, now, &q);
		if (ok)
			ok = remove_locked(m, &q, true, err);
		else
			*err = xstrdup("the message is gone already");
		if (now)
			msg_path_clear(&q);
		free(now);
		pthread_mutex_unlock(&m->w[p.account].pass_mu);
		if (ok)
			account_mgr_touch(m, p.account);
	}
	msg_path_clear(&p);
	return ok;
}

/* Is journal entry seq of the account still waiting? */
static bool journal_waiting(struct account_mgr *m, long account, uint64_t seq, bool mark_done)
{
	char *jp = xasprintf("%s/%s/journal", m->state_root, m->w[account].acct_dir);
	struct journal *j = NULL;
	struct journal_entry *v = NULL;
	size_t n = 0;
	bool found = false;
	if (journal_open(jp, &j) == JOURNAL_OK && journal_pending(j, &v, &n) == JOURNAL_OK) {
		for (size_t i = 0; i < n; i++)
			found |= v[i].seq == seq;
		if (found && mark_done)
			journal_done(j, seq);
		journal_entries_free(&v, n);
	}
	journal_free(&j);
	free(jp);
	return found;
}

/* With the pass locked: bring the file back.  If no pass pushed the move
 * yet, cancel its journal entry and restore the old name (nothing reaches
 * the server); otherwise move it back as a new move. */
static bool undo_locked(struct account_mgr *m, struct account_undo *u, char **err)
{
	char *dst = acct_path(m, u->account, u->dest_dir), *src = acct_path(m, u->account, u->src_rel);
	char *cur = find_base(dst, u->base);
	bool ok = cur != NULL;
	if (!ok) {
		*err = xstrdup("the message is no longer where it was moved to");
	} else {
		uint32_t uid = 0;
		bool now_uid = name_uid(cur, &uid) && uid;
		bool pending = u->seq && !now_uid && journal_waiting(m, u->account, u->seq, true);
		uint32_t old_uid = 0;
		name_uid(u->orig_name, &old_uid);
		bool keep_uid = pending || (!u->seq && u->had_uid);
		char *back = make_name(u->base, keep_uid, old_uid, name_flags(cur));
		ok = move_file(dst, cur, src, back) == 0;
		if (ok) {
			store_moved(m, u->account, u->dest_dir, cur, u->src_rel, back);
			if (now_uid)
				journal_move(m, u->account, u->dest_dir, uid, u->src_rel, back);
		} else {
			*err = xasprintf("cannot move the message back: %s", strerror(errno));
		}
		free(back);
	}
	free(cur);
	free(dst);
	free(src);
	return ok;
}

bool account_mgr_undo(struct account_mgr *m, struct account_undo **pu, char **err)
{
	struct account_undo *u = *pu;
	if (!u) {
		*err = xstrdup("nothing to undo");
		return false;
	}
	bool ok = lock_pass(&m->w[u->account], err);
	if (ok) {
		ok = undo_locked(m, u, err);
		pthread_mutex_unlock(&m->w[u->account].pass_mu);
	}
	if (ok)
		account_mgr_touch(m, u->account);
	account_undo_free(pu);
	return ok;
}

void account_undo_free(struct account_undo **pu)
{
	struct account_undo *u = *pu;
	if (!u)
		return;
	free(u->src_rel);
	free(u->orig_name);
	free(u->dest_dir);
	free(u->base);
	free(u);
	*pu = NULL;
}
