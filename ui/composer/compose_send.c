/* compose_send.c - send the outbox on a worker thread, so that the UI
 * never waits on SMTP.
 *
 * The UI thread reads the config (conf_t is not thread-safe) into a job
 * (account, SMTP parameters, Sent folder) and queues it; one worker runs
 * outbox_flush for each job, then writes a byte to a pipe that the main
 * loop polls (through the sync glue), and the UI thread puts the outcome
 * on the message line.  Whatever fails stays in the outbox with the
 * reason (outbox.h) and is tried again with the next send, at start-up
 * and every sync_interval seconds (a timer next to the pipe: the main
 * loop polls one fd, an epoll set of both).
 *
 * When issue 4's account workers land, a job becomes a command to the
 * account's worker and this file shrinks to the result display. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "composer.h"
#include "conf.h"
#include "hooks.h"
#include "log.h"
#include "maildir.h"
#include "mime.h"
#include "outbox.h"
#include "roles.h"
#include "smtp.h"
#include "status.h"
#include "syncglue.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"

struct send_job {
	char *account;  /* owned */
	char *data_dir; /* owned */
	char *sent_dir; /* owned */
	struct smtp_params p;
	struct sync_secret_src *src; /* owned: asks the user (missing password, refused certificate), or NULL */
	bool ask_pass;               /* no password configured: src asks for it */
	bool gave;                   /* the user's password was used (sender thread) */
	char **sent_hooks;           /* owned, NULL-terminated: the sent-hook commands when queued */
	struct send_job *next;
};

/* Shared between the UI thread and the worker; everything under mu. */
static struct {
	pthread_mutex_t mu;
	pthread_t th;
	bool running;  /* a worker exists and has not been joined */
	bool finished; /* it has left its loop (join it before starting anew) */
	bool stopping;
	int pipe[2];
	int timer;     /* UI thread only: the retry timer (timerfd) */
	int ep;        /* UI thread only: epoll set of pipe[0] and timer, what the loop polls */
	bool periodic; /* the timer runs every sync_interval (after the start-up shot) */
	bool fds_made; /* make_fds ran (once: a failure must not leak a timer per loop) */
	struct send_job *jobs;
	smtp_t *cur; /* the session in use, for cancel */
	size_t sent, failed;
	char *error; /* owned: why the newest failure failed */
} S = { .mu = PTHREAD_MUTEX_INITIALIZER, .pipe = { -1, -1 }, .timer = -1, .ep = -1 };

static void job_free(struct send_job *j)
{
	smtp_params_clear(&j->p);
	sync_glue_secret_src_free(&j->src);
	free(j->account);
	free(j->data_dir);
	free(j->sent_dir);
	for (char **h = j->sent_hooks; h && *h; h++)
		free(*h);
	free(j->sent_hooks);
	free(j);
}

/* ---- the worker ---- */

/* The reason of the newest entry that failed (entries are oldest first). */
static char *last_error(outbox_t *ob)
{
	struct outbox_entry *v;
	size_t n = outbox_list(ob, &v);
	char *e = NULL;
	for (size_t i = n; i-- > 0 && !e;)
		if (v[i].error && !v[i].held) /* a held entry's reason is from before */
			e = xstrdup(v[i].error);
	outbox_entries_free(&v, n);
	return e;
}

/* No password configured: the one typed in this session, else ask the
 * user through the account manager's questions (sync_glue_smtp_ask). */
static char *ask_secret(void *ud, const char *prompt)
{
	struct send_job *j = ud;
	char *secret = sync_glue_smtp_ask(j->src, prompt);
	j->gave |= secret != NULL;
	return secret;
}

/* sent-hook: the message on stdin, its envelope and headers in the
 * environment, never in the command line. */
static void on_sent(void *ud, const struct outbox_entry *e, const char *msg, size_t len)
{
	struct send_job *j = ud;
	if (!j->sent_hooks || !*j->sent_hooks)
		return;
	mime_msg_t *m = NULL;
	mime_msg_parse(msg, len, &m);
	const char *subj = m ? mime_msg_header(m, MIME_H_SUBJECT) : NULL;
	const char *mid = m ? mime_msg_header(m, MIME_H_MESSAGE_ID) : NULL;
	struct strbuf to;
	strbuf_init(&to);
	for (char **r = e->rcpts; r && *r; r++) {
		if (to.len)
			strbuf_addc(&to, ' ');
		strbuf_adds(&to, *r);
	}
	char *env[] = { xasprintf("MUTTLIKE_ACCOUNT=%s", j->account), xasprintf("MUTTLIKE_FROM=%s", e->from),
			xasprintf("MUTTLIKE_TO=%s", to.s ? to.s : ""), xasprintf("MUTTLIKE_SUBJECT=%s", subj ? subj : ""),
			xasprintf("MUTTLIKE_MESSAGE_ID=%s", mid ? mid : ""), NULL };
	for (char **h = j->sent_hooks; *h; h++) {
		char *err = NULL;
		if (!hooks_run_event(*h, (const char *const *)env, msg, len, 60000, &err))
			log_warn("sent-hook: %s", err ? err : "failed");
		free(err);
	}
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
	strbuf_free(&to);
	mime_msg_free(&m);
}

static void run_job(struct send_job *j)
{
	char *err = NULL;
	outbox_t *ob = outbox_open(j->data_dir, j->account, &err);
	smtp_t *s = ob ? smtp_new(&j->p) : NULL;
	if (s && j->src && j->ask_pass)
		smtp_set_ask_secret(s, ask_secret, j);
	if (s && j->src)
		smtp_set_ask_cert(s, sync_glue_smtp_cert, j->src);
	pthread_mutex_lock(&S.mu);
	S.cur = s;
	pthread_mutex_unlock(&S.mu);
	struct outbox_after after = { .sent_dir = j->sent_dir, .data_dir = j->data_dir, .account = j->account,
				      .on_sent = on_sent, .ud = j };
	size_t failed = 0, sent = s ? outbox_flush(ob, s, &after, &failed) : 0;
	char *why = failed ? last_error(ob) : err ? xasprintf("outbox: %s", err) : NULL;
	/* a typed password the server refused is forgotten, and asked again */
	if (failed && j->gave && s && strstr(smtp_error(s), "login as "))
		sync_glue_smtp_refused(j->src);
	pthread_mutex_lock(&S.mu);
	S.cur = NULL;
	S.sent += sent;
	S.failed += failed + (ob ? 0 : 1);
	if (why) {
		free(S.error);
		S.error = why;
	}
	pthread_mutex_unlock(&S.mu);
	smtp_free(&s);
	outbox_free(&ob);
	free(err);
}

static void notify(void)
{
	ssize_t r;
	do
		r = write(S.pipe[1], "x", 1);
	while (r < 0 && errno == EINTR);
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&S.mu);
		struct send_job *j = S.stopping ? NULL : S.jobs;
		if (!j) {
			S.finished = true;
			pthread_mutex_unlock(&S.mu);
			break;
		}
		S.jobs = j->next;
		pthread_mutex_unlock(&S.mu);
		notify(); /* an open outbox screen shows "sending" */
		run_job(j);
		job_free(j);
		notify();
	}
	notify();
	return NULL;
}

/* ---- the UI side ---- */

static bool make_pipe(void)
{
	if (S.pipe[0] >= 0)
		return true;
	if (pipe2(S.pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		S.pipe[0] = S.pipe[1] = -1;
		return false;
	}
	return true;
}

/* Join a worker that has left its loop (it no longer looks at the queue
 * once finished is set, so a job queued after that needs a new one). */
static void reap(void)
{
	pthread_mutex_lock(&S.mu);
	bool join = S.running && S.finished;
	pthread_mutex_unlock(&S.mu);
	if (!join)
		return;
	pthread_join(S.th, NULL);
	S.running = S.finished = false;
}

static struct send_job *job_for(struct ui *u, long account, char **err)
{
	struct send_job *j = xcalloc(1, sizeof(*j));
	if (!smtp_params_from_conf(u->conf, account, &j->p, err)) {
		job_free(j);
		return NULL;
	}
	j->account = xstrdup(conf_account_name(u->conf, (size_t)account));
	j->data_dir = conf_data_dir(u->conf);
	j->ask_pass = j->p.conn.user && !j->p.conn.pass && !j->p.conn.pass_cmd && !j->p.conn.oauth_cmd &&
		      !conn_oauth_on(&j->p.conn);
	if (!j->p.sendmail)
		j->src = sync_glue_secret_src(u, account, j->p.conn.user);
	char *rec = NULL;
	free(roles_folder(u->conf, account, IMAP_SPECIAL_SENT, &rec));
	j->sent_dir = outbox_folder_dir(j->data_dir, j->account, rec);
	free(rec);
	size_t nh = 0;
	const char **hooks = hooks_collect(conf_hooks(u->conf), HOOK_SENT, &(struct hook_ctx){ 0 }, &nh);
	j->sent_hooks = xcalloc(nh + 1, sizeof(char *));
	for (size_t i = 0; i < nh; i++)
		j->sent_hooks[i] = xstrdup(hooks[i]);
	free(hooks);
	return j;
}

/* Queue j unless a job for the same account is already waiting. */
static void enqueue(struct send_job *j)
{
	struct send_job **tail = &S.jobs;
	for (; *tail; tail = &(*tail)->next) {
		if (strcmp((*tail)->account, j->account) == 0) {
			job_free(j);
			return;
		}
	}
	*tail = j;
}

/* Queue a flush of account's outbox and make sure a worker runs; false
 * with *err when it cannot be (no SMTP settings, no thread). */
static bool queue_job(struct ui *u, long account, char **err)
{
	struct send_job *j = job_for(u, account, err);
	if (!j || !make_pipe()) {
		if (j) {
			*err = xasprintf("no pipe for the sender: %s", strerror(errno));
			job_free(j);
		}
		return false;
	}
	pthread_mutex_lock(&S.mu);
	enqueue(j);
	bool start = !S.running || S.finished;
	pthread_mutex_unlock(&S.mu);
	if (!start)
		return true; /* the running worker takes it from the queue */
	reap();
	S.stopping = false;
	if (pthread_create(&S.th, NULL, worker, NULL) == 0) {
		S.running = true;
		return true;
	}
	*err = xstrdup("cannot start the sending thread");
	return false;
}

bool compose_send_kick(struct ui *u)
{
	compose_send_outbox_changed();
	char *err = NULL;
	if (u->account >= 0)
		sync_glue_smtp_ask_again(u, u->account); /* sent by hand: a declined password is asked again */
	bool ok = u->account >= 0 && queue_job(u, u->account, &err);
	if (!ok)
		status_error(u, "Not sent: %s; the message waits in the outbox.", err ? err : "no account");
	free(err);
	return ok;
}

/* ---- retries ---- */

/* Messages in an account's outbox, without creating it (start-up must
 * not make directories for accounts that never sent anything). */
static size_t waiting_in(struct ui *u, size_t account)
{
	char *data = conf_data_dir(u->conf), *acct = maildir_safe_component(conf_account_name(u->conf, account));
	char *dir = xasprintf("%s/state/%s/outbox", data, acct), *err = NULL;
	struct stat st;
	outbox_t *ob = stat(dir, &st) == 0 ? outbox_open(data, conf_account_name(u->conf, account), &err) : NULL;
	struct outbox_entry *v = NULL;
	size_t all = ob ? outbox_list(ob, &v) : 0, n = 0;
	for (size_t i = 0; i < all; i++)
		n += !v[i].held; /* taken out to edit: not waiting */
	outbox_entries_free(&v, all);
	outbox_free(&ob);
	free(err);
	free(dir);
	free(acct);
	free(data);
	return n;
}

static bool sender_busy(void)
{
	pthread_mutex_lock(&S.mu);
	bool busy = (S.running && !S.finished) || S.jobs;
	pthread_mutex_unlock(&S.mu);
	return busy;
}

bool compose_send_busy(void)
{
	return sender_busy();
}

/* ---- the status line ---- */

static struct {
	long account;
	size_t n;
	bool fresh;
} W = { .account = -1 };

void compose_send_outbox_changed(void)
{
	W.fresh = false;
}

static void send_status(struct ui *u, void *data, struct strbuf *b)
{
	(void)data;
	if (u->account < 0)
		return;
	if (!W.fresh || W.account != u->account) {
		W.n = waiting_in(u, (size_t)u->account);
		W.account = u->account;
		W.fresh = true;
	}
	if (W.n)
		strbuf_addf(b, " outbox: %zu ", W.n);
}

/* Flush every outbox that holds messages.  Not while a send is under way:
 * its result comes first, and the next tick looks again. */
static void retry_waiting(struct ui *u)
{
	if (sender_busy())
		return;
	size_t waiting = 0;
	char *err = NULL;
	for (size_t a = 0; a < conf_account_count(u->conf); a++) {
		size_t n = waiting_in(u, a);
		char *why = NULL;
		if (n && queue_job(u, (long)a, &why))
			waiting += n;
		if (why && !err)
			err = why; /* the first reason is enough for one line */
		else
			free(why);
	}
	if (err)
		status_error(u, "Messages wait in the outbox but cannot be sent: %s", err);
	else if (waiting)
		status_message(u, "%zu message%s waiting in the outbox: sending...", waiting, waiting == 1 ? "" : "s");
	free(err);
	if (err || waiting)
		ui_draw(u);
}

static void arm_timer(long first_ms, long every_s)
{
	struct itimerspec t = { .it_interval = { .tv_sec = every_s },
				.it_value = { .tv_sec = first_ms / 1000, .tv_nsec = first_ms % 1000 * 1000000L } };
	timerfd_settime(S.timer, 0, &t, NULL);
}

/* The pipe and the timer in one epoll set; the timer's first shot is at
 * once, so the first dispatch (which has the config) looks at the outbox
 * at start-up.  Falls back to the bare pipe (no retries) on failure. */
static int make_fds(void)
{
	if (S.fds_made || !make_pipe())
		return S.ep >= 0 ? S.ep : S.pipe[0];
	S.fds_made = true;
	S.timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	S.ep = S.timer >= 0 ? epoll_create1(EPOLL_CLOEXEC) : -1;
	struct epoll_event e = { .events = EPOLLIN };
	if (S.ep >= 0 && (epoll_ctl(S.ep, EPOLL_CTL_ADD, S.pipe[0], &e) != 0 ||
			  epoll_ctl(S.ep, EPOLL_CTL_ADD, S.timer, &e) != 0)) {
		close(S.ep);
		S.ep = -1;
	}
	if (S.ep < 0) {
		if (S.timer >= 0)
			close(S.timer);
		S.timer = -1;
		log_warn("compose: no retry timer (%s); the outbox is sent with the next message", strerror(errno));
		return S.pipe[0];
	}
	arm_timer(1, 0);
	return S.ep;
}

/* Did the retry timer fire?  Switches it to sync_interval after the
 * start-up shot. */
static bool timer_fired(struct ui *u)
{
	uint64_t n = 0;
	if (S.timer < 0 || read(S.timer, &n, sizeof(n)) != (ssize_t)sizeof(n) || n == 0)
		return false;
	if (!S.periodic) {
		long every = conf_num(u->conf, -1, OPT_ID_sync_interval);
		arm_timer(every * 1000, every);
		S.periodic = true;
	}
	return true;
}

static void send_dispatch(struct ui *u, void *data)
{
	(void)data;
	char buf[64];
	while (S.pipe[0] >= 0 && read(S.pipe[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&S.mu);
	size_t sent = S.sent, failed = S.failed;
	char *why = S.error;
	S.sent = S.failed = 0;
	S.error = NULL;
	pthread_mutex_unlock(&S.mu);
	reap();
	if (failed)
		status_error(u, "Not sent, kept in the outbox: %s", why ? why : "unknown error");
	else if (sent)
		status_message(u, "%zu message%s sent.", sent, sent == 1 ? "" : "s");
	free(why);
	compose_send_outbox_changed();
	ui_outbox_changed(u);
	if (failed || sent)
		ui_draw(u);
	if (timer_fired(u))
		retry_waiting(u);
}

void compose_send_start(struct ui *u)
{
	int fd = make_fds();
	ui_add_source(u, &(struct ui_source){ .fd = fd, .events = POLLIN, .ready = fd >= 0 ? send_dispatch : NULL,
					      .status = send_status });
}

void compose_send_stop(void)
{
	pthread_mutex_lock(&S.mu);
	S.stopping = true;
	if (S.cur)
		smtp_cancel(S.cur);
	bool join = S.running;
	pthread_mutex_unlock(&S.mu);
	if (join) {
		pthread_join(S.th, NULL);
		S.running = S.finished = false;
	}
	while (S.jobs) {
		struct send_job *j = S.jobs;
		S.jobs = j->next;
		job_free(j);
	}
	free(S.error);
	S.error = NULL;
	int *fds[] = { &S.pipe[0], &S.pipe[1], &S.timer, &S.ep };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	S.periodic = S.fds_made = false;
}
