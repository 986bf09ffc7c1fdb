/* compose_send.c - send the outbox on a worker thread, so that the UI
 * never waits on SMTP.
 *
 * The UI thread reads the config (conf_t is not thread-safe) into a job
 * (account, SMTP parameters, Sent folder) and queues it; one worker runs
 * outbox_flush for each job, then writes a byte to a pipe that the main
 * loop polls (through the sync glue), and the UI thread puts the outcome
 * on the message line.  Whatever fails stays in the outbox with the
 * reason (outbox.h) and is tried again with the next send.
 *
 * When issue 4's account workers land, a job becomes a command to the
 * account's worker and this file shrinks to the result display. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compose.h"
#include "log.h"
#include "outbox.h"
#include "smtp.h"
#include "uiint.h"

struct send_job {
	char *account;  /* owned */
	char *data_dir; /* owned */
	char *sent_dir; /* owned */
	struct smtp_params p;
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
	struct send_job *jobs;
	smtp_t *cur; /* the session in use, for cancel */
	size_t sent, failed;
	char *error; /* owned: why the newest failure failed */
} S = { .mu = PTHREAD_MUTEX_INITIALIZER, .pipe = { -1, -1 } };

static void job_free(struct send_job *j)
{
	smtp_params_clear(&j->p);
	free(j->account);
	free(j->data_dir);
	free(j->sent_dir);
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
		if (v[i].error)
			e = xstrdup(v[i].error);
	outbox_entries_free(&v, n);
	return e;
}

static void run_job(struct send_job *j)
{
	char *err = NULL;
	outbox_t *ob = outbox_open(j->data_dir, j->account, &err);
	smtp_t *s = ob ? smtp_new(&j->p) : NULL;
	pthread_mutex_lock(&S.mu);
	S.cur = s;
	pthread_mutex_unlock(&S.mu);
	struct outbox_after after = { .sent_dir = j->sent_dir };
	size_t failed = 0, sent = s ? outbox_flush(ob, s, &after, &failed) : 0;
	char *why = failed ? last_error(ob) : err ? xasprintf("outbox: %s", err) : NULL;
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

static struct send_job *job_for(struct ui *u, char **err)
{
	struct send_job *j = xcalloc(1, sizeof(*j));
	if (!smtp_params_from_conf(u->conf, u->account, &j->p, err)) {
		job_free(j);
		return NULL;
	}
	j->account = xstrdup(conf_account_name(u->conf, (size_t)u->account));
	j->data_dir = conf_data_dir(u->conf);
	const char *rec = conf_str(u->conf, u->account, OPT_ID_record);
	j->sent_dir = outbox_folder_dir(j->data_dir, j->account, rec && *rec ? rec : "Sent");
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

void compose_send_kick(struct ui *u)
{
	char *err = NULL;
	struct send_job *j = u->account >= 0 ? job_for(u, &err) : NULL;
	if (!j || !make_pipe()) {
		ui_error(u, "Cannot send now (%s); the message waits in the outbox.", err ? err : "no worker");
		free(err);
		if (j)
			job_free(j);
		return;
	}
	pthread_mutex_lock(&S.mu);
	enqueue(j);
	bool start = !S.running || S.finished;
	pthread_mutex_unlock(&S.mu);
	if (!start)
		return; /* the running worker takes it from the queue */
	reap();
	S.stopping = false;
	if (pthread_create(&S.th, NULL, worker, NULL) == 0)
		S.running = true;
	else
		ui_error(u, "Cannot start the sending thread; the message waits in the outbox.");
}

int compose_send_fd(void)
{
	return S.pipe[0];
}

void compose_send_dispatch(struct ui *u)
{
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
		ui_error(u, "Not sent, kept in the outbox: %s", why ? why : "unknown error");
	else if (sent)
		ui_message(u, "%zu message%s sent.", sent, sent == 1 ? "" : "s");
	free(why);
	if (failed || sent)
		ui_draw(u);
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
	for (int i = 0; i < 2; i++) {
		if (S.pipe[i] >= 0)
			close(S.pipe[i]);
		S.pipe[i] = -1;
	}
}
