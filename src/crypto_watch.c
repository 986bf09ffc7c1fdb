/* crypto_watch.c - a time bound on each GPGME operation: a watchdog thread
 * cancels it (gpgme_cancel_async) when GnuPG works longer than the
 * crypto_t's timeout, e.g. on a message encrypted to thousands of
 * anonymous recipients.  The time the UI's passphrase prompt takes does
 * not count: the clock restarts when the prompt returns. */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "crypto_private.h"
#include "util.h"

struct crypto_watch {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	gpgme_ctx_t ctx;
	long long start_ms; /* util_now_ms() when the clock (re)started */
	long timeout_ms;
	bool done, paused, fired;
};

static struct timespec deadline(const struct crypto_watch *w)
{
	long long at = w->start_ms + w->timeout_ms, now = util_now_ms();
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	long long ns = ts.tv_nsec + (at > now ? at - now : 0) * 1000000LL;
	ts.tv_sec += (time_t)(ns / 1000000000LL);
	ts.tv_nsec = (long)(ns % 1000000000LL);
	return ts;
}

static void *watch_main(void *arg)
{
	struct crypto_watch *w = arg;
	pthread_mutex_lock(&w->mu);
	while (!w->done) {
		if (w->paused) {
			pthread_cond_wait(&w->cv, &w->mu);
			continue;
		}
		struct timespec ts = deadline(w);
		if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT && !w->done && !w->paused &&
		    util_now_ms() >= w->start_ms + w->timeout_ms) {
			w->fired = true;
			gpgme_cancel_async(w->ctx);
			break;
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

void crypto_watch_start(crypto_t *c, gpgme_ctx_t ctx)
{
	struct crypto_watch *w = xcalloc(1, sizeof(*w));
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&w->mu, NULL);
	w->ctx = ctx;
	w->timeout_ms = c->timeout_ms;
	w->start_ms = util_now_ms();
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0)
		util_oom();
	c->watch = w;
}

bool crypto_watch_stop(crypto_t *c)
{
	struct crypto_watch *w = c->watch;
	if (!w)
		return false;
	pthread_mutex_lock(&w->mu);
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	bool fired = w->fired;
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	c->watch = NULL;
	return fired;
}

void crypto_watch_pause(crypto_t *c, bool paused)
{
	struct crypto_watch *w = c->watch;
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->paused = paused;
	w->start_ms = util_now_ms();
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}
