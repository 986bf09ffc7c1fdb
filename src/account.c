/* account.c - the reader's account manager (account.h): the manager,
 * its workers, their schedule and status.  The questions for the user
 * are in account_ask.c, the local half of the reader's actions in
 * account_actions.c. */
#include "account.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account_int.h"
#include "log.h"
#include "maildir.h"
#include "secret.h"
#include "store.h"
#include "sync.h"
#include "util.h"

/* Wait this long after a local change before pushing it, so that a burst
 * of keys costs one pass. */
#define DEBOUNCE_MS 1000
/* Quitting waits this long for the workers; the journal and the file
 * names keep whatever they did not push. */
#define QUIT_WAIT_MS 1000

/* ---- the shared store ---- */

static void on_store_changed(void *ud)
{
	account_mgr_t *m = ud;
	pthread_mutex_lock(&m->mu);
	m->changed = true;
	m->unclosed = true;
	pthread_mutex_unlock(&m->mu);
	account_notify(m);
}

store_t *account_store_acquire(account_mgr_t *m, char **err)
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
		store_set_index_decrypt(m->store, conf_bool(m->conf, -1, OPT_ID_crypt_index_decrypted));
	}
	m->users++;
	store_t *s = m->store;
	pthread_mutex_unlock(&m->store_mu);
	return s;
}

bool account_store_release(account_mgr_t *m)
{
	bool ok = true, closed = false;
	pthread_mutex_lock(&m->store_mu);
	if (m->users && --m->users == 0) {
		ok = store_close(&m->store) == 0;
		closed = true;
	}
	pthread_mutex_unlock(&m->store_mu);
	/* notmuch's batches become visible to the reader's handle when the
	 * writer closes: announce the change again now, or the reader would
	 * see it only at its next look at the index (up to a second later) */
	pthread_mutex_lock(&m->mu);
	bool tell = closed && m->unclosed;
	if (tell)
		m->changed = true;
	if (closed)
		m->unclosed = false;
	pthread_mutex_unlock(&m->mu);
	if (tell)
		account_notify(m);
	return ok;
}

/* ---- workers ---- */

static void on_event(const struct sync_event *ev, void *ud)
{
	struct worker *w = ud;
	account_mgr_t *m = w->m;
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
		account_set_news(m, xasprintf("%s: %s", ev->account, ev->message ? ev->message : "warning"));
		break;
	case SYNC_EV_ERROR:
		free(w->error);
		w->error = xstrdup(ev->message ? ev->message : "error");
		break;
	case SYNC_EV_COUNTS:
		m->changed = true; /* the sidebar reads the server's counts again */
		break;
	case SYNC_EV_DONE:
		break;
	}
	pthread_mutex_unlock(&m->mu);
	account_notify(m);
	if (m->run.event)
		m->run.event(w->idx, ev, m->run.ud);
}

/* A full pass, or (only) a pass over the folders the watch heard of. */
static enum sync_status one_pass(struct worker *w, char *const *only, size_t nonly)
{
	account_mgr_t *m = w->m;
	pthread_mutex_lock(&w->pass_mu);
	char *err = NULL;
	store_t *store = account_store_acquire(m, &err);
	enum sync_status st = SYNC_ERR_STORE;
	if (store) {
		sync_set_store(w->sync, store);
		st = only ? sync_run_folders(w->sync, (const char *const *)only, nonly) : sync_run(w->sync);
		sync_set_store(w->sync, NULL);
		if (!account_store_release(m) && m->run.store_error) {
			m->run.store_error(w->idx, NULL, m->run.ud);
			if (st == SYNC_OK)
				st = SYNC_ERR_STORE;
		}
	} else if (m->run.store_error) {
		m->run.store_error(w->idx, err, m->run.ud);
		free(err);
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

/* Under m->mu, headless: when the next pass is due, or false when this
 * worker is done (one pass only, stopping, or a config error). */
static bool headless_next(struct worker *w, enum sync_status st)
{
	account_mgr_t *m = w->m;
	if (!m->run.watch || m->stop || st == SYNC_ERR_CONFIG)
		return false;
	if (st == SYNC_ERR_NET || st == SYNC_ERR_STORE) {
		log_info("%s: retrying in %d s", conf_account_name(m->conf, (size_t)w->idx), w->backoff_s);
		w->due_ms = util_now_ms() + w->backoff_s * 1000LL;
		w->backoff_s = w->backoff_s * 2 > 300 ? 300 : w->backoff_s * 2;
		w->connected = false;
	} else {
		w->backoff_s = 5;
		w->due_ms = util_now_ms() + conf_num(m->conf, -1, OPT_ID_sync_interval) * 1000LL;
	}
	return true;
}

/* Under m->mu: record how the pass ended and when the next one is due. */
static void pass_ended(struct worker *w, enum sync_status st)
{
	account_mgr_t *m = w->m;
	long interval = conf_num(m->conf, -1, OPT_ID_sync_interval);
	w->st.syncing = false;
	w->st.folder[0] = '\0';
	w->st.offline = st == SYNC_ERR_NET;
	w->st.failed = st != SYNC_OK && st != SYNC_ERR_NET && st != SYNC_ERR_CANCELLED;
	if (w->st.failed && w->error)
		account_set_news(m, xasprintf("%s: %s", conf_account_name(m->conf, (size_t)w->idx), w->error));
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

/* Under m->mu: folder (raw; NULL: all) changed on the server. */
static void add_dirty(struct worker *w, const char *folder)
{
	if (!folder) {
		w->dirty_all = true;
		return;
	}
	for (size_t i = 0; i < w->ndirty; i++)
		if (strcmp(w->dirty[i], folder) == 0)
			return;
	w->dirty = xrealloc(w->dirty, (w->ndirty + 1) * sizeof(*w->dirty));
	w->dirty[w->ndirty++] = xstrdup(folder);
}

static void dirty_clear(struct worker *w)
{
	for (size_t i = 0; i < w->ndirty; i++)
		free(w->dirty[i]);
	xfree(&w->dirty);
	w->ndirty = 0;
	w->dirty_all = false;
}

static void wait_until(account_mgr_t *m, long long due)
{
	long long left = due - util_now_ms();
	if (left > 5000)
		left = 5000; /* a look at the clocks (resumed) every 5 s */
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
	account_mgr_t *m = w->m;
	long interval = conf_num(m->conf, -1, OPT_ID_sync_interval);
	long long left = w->due_ms - util_now_ms();
	int secs = left / 1000 + 1 < interval ? (int)(left / 1000 + 1) : (int)interval;
	if (secs < 1)
		secs = 1;
	pthread_mutex_unlock(&m->mu);
	long long start = util_now_ms();
	bool news = sync_watch(w->sync, secs);
	long long took = util_now_ms() - start;
	pthread_mutex_lock(&m->mu);
	/* A command during the pass before this watch (a local change, say)
	 * left its wake set: the watch ended at once because of it, not
	 * because the session broke.  So woken is read after the watch. */
	bool woke = w->woken;
	w->woken = false;
	if (news) {
		add_dirty(w, "INBOX"); /* a pass over INBOX now */
	} else if (m->headless && !woke) {
		w->due_ms = 0; /* headless: a pass after every watch that ended by itself */
	} else if (!woke && !m->stop && took < (long long)secs * 1000 - 500) {
		/* IDLE could not run (the session broke): plain waiting until the pass */
		w->connected = false;
	}
}

/* ---- push: the watch beside the session (watch.h) ---- */

/* On a watch thread: the server changed folder; the worker syncs it now. */
static void on_watch(void *ud, const char *folder)
{
	struct worker *w = ud;
	account_mgr_t *m = w->m;
	pthread_mutex_lock(&m->mu);
	log_debug("%s: news of %s", conf_account_name(m->conf, (size_t)w->idx), folder ? folder : "every folder");
	add_dirty(w, folder);
	w->woken = true;
	sync_wake(w->sync); /* out of the INBOX IDLE */
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->mu);
}

/* The watch's logins use the password typed this session, never a prompt. */
static char *watch_secret(void *ud, const char *prompt)
{
	(void)prompt;
	struct worker *w = ud;
	pthread_mutex_lock(&w->m->mu);
	char *p = w->pass ? secret_dup(w->pass) : NULL;
	pthread_mutex_unlock(&w->m->mu);
	return p;
}

static void watch_end(struct worker *w)
{
	pthread_mutex_lock(&w->m->mu);
	watch_t *old = w->watch;
	w->watch = NULL;
	pthread_mutex_unlock(&w->m->mu);
	if (old) {
		w->watch_limit = watch_limit(old);
		watch_free(&old);
	}
}

/* After a full pass that left the session open: (re)start the watch when
 * its folders changed.  On the worker's thread, without m->mu. */
static void watch_update(struct worker *w)
{
	account_mgr_t *m = w->m;
	long max = conf_num(m->conf, w->idx, OPT_ID_imap_max_connections) - 1; /* the session's own */
	if (w->watch_limit && (long)w->watch_limit < max)
		max = (long)w->watch_limit;
	char **names = NULL;
	size_t n = sync_watch_folders(w->sync, conf_str(m->conf, w->idx, OPT_ID_imap_idle_folders), &names);
	if (!n && !(conf_bool(m->conf, w->idx, OPT_ID_imap_notify) && sync_has_notify(w->sync)))
		max = 0; /* nothing to listen to: no connection at all */
	struct strbuf key;
	strbuf_init(&key);
	pthread_mutex_lock(&m->mu);
	strbuf_addf(&key, "%ld %s", max, w->imap_once ? w->imap_once : "-"); /* a new accept-once: new logins */
	pthread_mutex_unlock(&m->mu);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&key, "\n%s", names[i]);
	if (!w->watch_key || strcmp(w->watch_key, key.s) != 0) {
		watch_end(w);
		free(w->watch_key);
		w->watch_key = strbuf_detach(&key);
		pthread_mutex_lock(&m->mu);
		struct watch_options o = { .conf = m->conf, .account = w->idx, .folders = (const char *const *)names,
					   .nfolders = n, .max_conns = (size_t)max, .accept_once = w->imap_once,
					   .ask_secret = watch_secret, .ask_ud = w, .changed = on_watch, .ud = w };
		if (max > 0 && !m->stop)
			w->watch = watch_start(&o);
		pthread_mutex_unlock(&m->mu);
	}
	strbuf_free(&key);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Under m->mu: after a resume from suspend (the wall clock jumped) the
 * session is most likely dead: a pass now on a new one. */
static bool resumed(struct worker *w)
{
	long long r, mono;
	watch_clock_now(&r, &mono);
	bool j = w->clk_mono && watch_clock_jumped(w->clk_real, w->clk_mono, r, mono);
	w->clk_real = r;
	w->clk_mono = mono;
	if (j) {
		log_info("%s: the wall clock jumped (a resume?): connecting again",
			 conf_account_name(w->m->conf, (size_t)w->idx));
		w->due_ms = 0;
		w->backoff_s = 5;
		w->connected = false;
	}
	return j;
}

/* What one pass of a worker works from, taken from the worker under
 * m->mu: the folders a listener named (a partial pass) or, for a full
 * pass, the deletions the user allowed; a certificate accepted once. */
struct pass_input {
	char **only; /* partial: these folders */
	size_t nonly;
	char *once;
	char **allow;
	size_t nallow;
};

static void take_pass_input(struct worker *w, bool partial, struct pass_input *in)
{
	*in = (struct pass_input){ .once = w->accept_once };
	w->accept_once = NULL;
	if (partial) {
		in->only = w->dirty;
		in->nonly = w->ndirty;
		w->dirty = NULL;
		w->ndirty = 0;
		return;
	}
	w->due_ms = LLONG_MAX;
	dirty_clear(w);
	in->allow = w->allow_next;
	in->nallow = w->nallow_next;
	w->allow_next = NULL;
	w->nallow_next = 0;
}

static void pass_input_free(struct pass_input *in)
{
	free(in->once);
	for (size_t i = 0; i < in->nallow; i++)
		free(in->allow[i]);
	free(in->allow);
	for (size_t i = 0; i < in->nonly; i++)
		free(in->only[i]);
	free(in->only);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	account_mgr_t *m = w->m;
	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		bool jump = resumed(w);
		if (w->dirty_all)
			w->due_ms = 0;
		bool partial = w->ndirty && util_now_ms() < w->due_ms;
		if (!partial && util_now_ms() < w->due_ms) {
			if (w->connected && w->due_ms - util_now_ms() > 2000)
				idle_wait(w);
			else
				wait_until(m, w->due_ms);
			continue;
		}
		struct pass_input in;
		take_pass_input(w, partial, &in);
		w->st.syncing = true;
		w->gave_pass = false;
		pthread_mutex_unlock(&m->mu);
		account_notify(m);
		if (jump)
			sync_disconnect(w->sync);
		if (in.once)
			sync_set_accept_once(w->sync, in.once); /* for the rest of the session */
		if (in.nallow)
			sync_set_allow_deletes(w->sync, (const char *const *)in.allow, in.nallow);
		enum sync_status st = one_pass(w, in.only, in.nonly);
		if (m->run.pass_done)
			m->run.pass_done(w->idx, st, sync_get_stats(w->sync), m->run.ud);
		if (in.nallow)
			sync_set_allow_deletes(w->sync, NULL, 0); /* that one pass only */
		pass_input_free(&in);
		bool connected = st == SYNC_OK || st == SYNC_ERR_FOLDER;
		if (!partial && connected && (!m->headless || m->run.watch))
			watch_update(w);
		pthread_mutex_lock(&m->mu);
		w->connected = connected;
		bool more = true;
		if (m->headless) {
			/* a folder's pass keeps the full pass when it was due */
			more = partial && connected ? !m->stop : headless_next(w, st);
		} else {
			pass_ended(w, st);
			account_after_pass(w);
		}
		pthread_mutex_unlock(&m->mu);
		account_notify(m);
		pthread_mutex_lock(&m->mu);
		if (!more)
			break;
	}
	pthread_mutex_unlock(&m->mu);
	watch_end(w);
	sync_disconnect(w->sync);
	return NULL;
}

static bool run_wants(const struct account_run *run, long account)
{
	for (size_t i = 0; run && i < run->naccounts; i++)
		if (run->accounts[i] == account)
			return true;
	return !run;
}

/* A worker per account; a sync only for those run wants (all: the reader). */
static void init_workers(account_mgr_t *m, const struct account_run *run)
{
	m->n = conf_account_count(m->conf);
	m->w = xcalloc(m->n ? m->n : 1, sizeof(*m->w));
	for (size_t i = 0; i < m->n; i++) {
		struct worker *w = &m->w[i];
		w->m = m;
		w->idx = (long)i;
		w->backoff_s = 5;
		w->acct_dir = maildir_safe_component(conf_account_name(m->conf, i));
		pthread_mutex_init(&w->pass_mu, NULL);
		if (!run_wants(run, (long)i))
			continue;
		struct sync_options o = { .conf = m->conf, .account = (long)i, .event = on_event, .event_ud = w };
		if (run) {
			o.allow_deletes = run->allow_deletes;
			o.n_allow = run->n_allow;
			o.verify = run->verify;
		} else {
			o.ask_secret = account_ask_imap_secret;
			o.ask_ud = w;
		}
		w->sync = sync_new(&o);
	}
}

static account_mgr_t *mgr_new(const conf_t *conf, int notify_fd, const struct account_run *run)
{
	account_mgr_t *m = xcalloc(1, sizeof(*m));
	m->conf = conf;
	m->notify_fd = notify_fd;
	if (run) {
		m->headless = true;
		m->no_asking = true; /* nobody to ask */
		m->run = *run;
	}
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
	init_workers(m, run);
	store_global_init(); /* touches the environment: before our threads */
	return m;
}

account_mgr_t *account_mgr_new(const conf_t *conf, int notify_fd)
{
	return mgr_new(conf, notify_fd, NULL);
}

account_mgr_t *account_mgr_new_headless(const conf_t *conf, const struct account_run *run)
{
	return mgr_new(conf, -1, run);
}

void account_mgr_start(account_mgr_t *m)
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
static account_mgr_t *abandoned;

/* Join every worker, waiting at most QUIT_WAIT_MS in all. */
static bool join_workers(account_mgr_t *m)
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

void account_mgr_stop(account_mgr_t *m)
{
	pthread_mutex_lock(&m->mu);
	m->stop = true;
	m->no_asking = true;
	for (size_t i = 0; i < m->n; i++)
		watch_stop(m->w[i].watch);
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
}

void account_mgr_wait(account_mgr_t *m)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->w[i].running)
			pthread_join(m->w[i].th, NULL);
		m->w[i].running = false;
	}
}

void account_mgr_free(account_mgr_t **pm)
{
	account_mgr_t *m = *pm;
	if (!m)
		return;
	/* Nobody reads the pipe any more, and the UI closes it even when a
	 * worker outlives this call. */
	__atomic_store_n(&m->notify_fd, -1, __ATOMIC_RELEASE);
	account_mgr_stop(m);
	account_reauth_stop(m);
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
		free(w->watch_key);
		dirty_clear(w);
		for (size_t k = 0; k < w->nkept; k++)
			free(w->kept[k].folder);
		free(w->kept);
		pthread_mutex_destroy(&w->pass_mu);
	}
	store_close(&m->store);
	account_questions_free(m);
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

static void schedule(account_mgr_t *m, long account, long long delay)
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

void account_mgr_sync_now(account_mgr_t *m, long account) { schedule(m, account, 0); }
void account_mgr_touch(account_mgr_t *m, long account) { schedule(m, account, DEBOUNCE_MS); }

void account_mgr_status(account_mgr_t *m, long account, struct account_status *out)
{
	memset(out, 0, sizeof(*out));
	if (account < 0 || (size_t)account >= m->n)
		return;
	pthread_mutex_lock(&m->mu);
	*out = m->w[account].st;
	pthread_mutex_unlock(&m->mu);
}

void account_mgr_take_news(account_mgr_t *m, bool *changed, char **msg)
{
	pthread_mutex_lock(&m->mu);
	*changed = m->changed;
	m->changed = false;
	*msg = m->news;
	m->news = NULL;
	pthread_mutex_unlock(&m->mu);
}
