/* cmd_sync.c - `muttlike sync [ACCOUNT...] [--watch] [--allow-deletes FOLDER]`.
 *
 * Headless mirror: one worker thread per account (sync.h) and one notmuch
 * writer (store.h) shared by all of them.  On a terminal a progress line
 * shows what each account is doing and a summary follows; otherwise only
 * warnings and errors are printed (stderr), so cron mail stays empty when
 * all is well.  Exit: 0 when every account synced completely, 1 when any
 * failed at run time (network, server, a folder stopped by a guard), 2 on
 * usage or config errors.
 *
 * --watch keeps going: after each pass it waits on INBOX with IDLE (or
 * sleeps sync_interval without IDLE), reconnects with backoff after
 * failures, and ends cleanly on SIGINT/SIGTERM.  The notmuch database is
 * open for writing only during a pass, so `notmuch tag` and the reader
 * can write in between.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "net.h"
#include "store.h"
#include "sync.h"
#include "text.h"
#include "util.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* The store, opened by the first account that needs it and closed by the
 * last one done, so that a pass never waits on another's idle time. */
struct shared_store {
	pthread_mutex_t mu;
	struct store *store;
	unsigned users;
	char *mail_root, *state_root;
	char *error;
};

struct worker {
	struct cmd_sync *cs;
	struct sync *sync;
	pthread_t thread;
	enum sync_status status;
	char line[256];         /* the account's part of the progress line */
	long long folder_start; /* ms */
	size_t summary_fetched, summary_pulled, summary_pushed, summary_deleted, summary_errors;
};

struct cmd_sync {
	conf_t *conf;
	struct shared_store ss;
	struct worker *w;
	size_t nw;
	bool tty;
	bool watch;
	volatile bool stop;
	pthread_mutex_t out_mu; /* one writer of the terminal at a time */
	long long start_ms;
};

/* NULL when the store cannot be opened; then *why is the reason to print
 * (a new string), or NULL when it was printed already (by another
 * account's worker, or the last pass): one line, not one per account. */
static struct store *store_acquire(struct shared_store *ss, char **why)
{
	*why = NULL;
	pthread_mutex_lock(&ss->mu);
	if (!ss->store) {
		char *err = NULL;
		if (store_open(ss->mail_root, ss->state_root, &ss->store, &err) != STORE_OK) {
			if (!err)
				err = xstrdup("cannot open the mail store");
			if (!ss->error || strcmp(ss->error, err) != 0)
				*why = xstrdup(err);
			free(ss->error);
			ss->error = err;
			pthread_mutex_unlock(&ss->mu);
			return NULL;
		}
	}
	ss->users++;
	struct store *s = ss->store;
	pthread_mutex_unlock(&ss->mu);
	return s;
}

/* false when the index could not be committed at the close. */
static bool store_release(struct shared_store *ss)
{
	bool ok = true;
	pthread_mutex_lock(&ss->mu);
	if (ss->users && --ss->users == 0)
		ok = store_close(&ss->store) == 0;
	pthread_mutex_unlock(&ss->mu);
	return ok;
}

static void print_progress(struct cmd_sync *cs)
{
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < cs->nw; i++) {
		if (!cs->w[i].line[0])
			continue;
		if (b.len)
			strbuf_adds(&b, " | ");
		strbuf_adds(&b, cs->w[i].line);
	}
	/* Keep to one terminal line: a wrapped line cannot be redrawn by \r. */
	if (b.len > 150)
		b.s[150] = '\0';
	printf("\r\033[K%s", b.s);
	fflush(stdout);
	strbuf_free(&b);
}

static void clear_progress(struct cmd_sync *cs)
{
	if (cs->tty) {
		printf("\r\033[K");
		fflush(stdout);
	}
}

static void on_event(const struct sync_event *ev, void *ud)
{
	struct worker *w = ud;
	struct cmd_sync *cs = w->cs;
	char *folder = ev->folder ? text_sanitize(ev->folder, strlen(ev->folder), false) : NULL;
	char *acct = text_sanitize(ev->account, strlen(ev->account), false);
	char *msg = ev->message ? text_sanitize(ev->message, strlen(ev->message), false) : NULL;
	pthread_mutex_lock(&cs->out_mu);
	switch (ev->kind) {
	case SYNC_EV_CONNECT:
		snprintf(w->line, sizeof(w->line), "%s: connecting", acct);
		break;
	case SYNC_EV_FOLDER:
		w->folder_start = net_now_ms();
		snprintf(w->line, sizeof(w->line), "%s: %s", acct, folder ? folder : "");
		break;
	case SYNC_EV_PROGRESS: {
		double secs = (double)(net_now_ms() - cs->start_ms) / 1000.0;
		double mb = (double)ev->bytes / 1e6;
		double rate = secs > 0.1 ? mb / secs : 0;
		long long fsecs = net_now_ms() - w->folder_start;
		long eta = ev->done ? (long)((double)fsecs / 1000.0 * (double)(ev->total - ev->done) / (double)ev->done)
				    : 0;
		snprintf(w->line, sizeof(w->line), "%s: %s %zu/%zu %.1f MB %.1f MB/s ETA %ld:%02ld", acct,
			 folder ? folder : "", ev->done, ev->total, mb, rate, eta / 60, eta % 60);
		break;
	}
	case SYNC_EV_WARNING:
	case SYNC_EV_ERROR:
		clear_progress(cs);
		text_print(stderr, "muttlike: %s%s", ev->kind == SYNC_EV_WARNING ? "warning: " : "",
			msg ? msg : "");
		break;
	case SYNC_EV_DONE:
		snprintf(w->line, sizeof(w->line), "%s: done", acct);
		break;
	}
	if (cs->tty && ev->kind != SYNC_EV_WARNING)
		print_progress(cs);
	else if (cs->tty)
		print_progress(cs);
	pthread_mutex_unlock(&cs->out_mu);
	free(folder);
	free(acct);
	free(msg);
}

static void add_summary(struct worker *w)
{
	const struct sync_stats *st = sync_get_stats(w->sync);
	w->summary_fetched += st->fetched;
	w->summary_pulled += st->pulled;
	w->summary_pushed += st->pushed;
	w->summary_deleted += st->deleted;
	w->summary_errors += st->folder_errors + (w->status != SYNC_OK && w->status != SYNC_ERR_FOLDER);
}

static void nap(struct cmd_sync *cs, int secs)
{
	for (int i = 0; i < secs * 10 && !cs->stop; i++) {
		struct timespec ts = { 0, 100L * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* One pass with the store held. */
static enum sync_status one_pass(struct worker *w)
{
	struct cmd_sync *cs = w->cs;
	char *why;
	struct store *store = store_acquire(&cs->ss, &why);
	if (!store) {
		if (why) {
			pthread_mutex_lock(&cs->out_mu);
			clear_progress(cs);
			text_print(stderr, "muttlike: %s", why);
			pthread_mutex_unlock(&cs->out_mu);
			free(why);
		}
		return SYNC_ERR_STORE;
	}
	sync_set_store(w->sync, store);
	enum sync_status st = sync_run(w->sync);
	sync_set_store(w->sync, NULL);
	if (!store_release(&cs->ss)) {
		pthread_mutex_lock(&cs->out_mu);
		clear_progress(cs);
		text_print(stderr, "muttlike: %s: the index in %s could not be written%s; every message is in the "
				"Maildir: free space and run sync again",
			sync_account(w->sync), cs->ss.mail_root, util_disk_low(cs->ss.mail_root) ? " (disk full)" : "");
		pthread_mutex_unlock(&cs->out_mu);
		if (st == SYNC_OK)
			st = SYNC_ERR_STORE;
	}
	return st;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct cmd_sync *cs = w->cs;
	int backoff = 5;
	do {
		w->status = one_pass(w);
		add_summary(w);
		if (!cs->watch || cs->stop || w->status == SYNC_ERR_CONFIG)
			break;
		if (w->status == SYNC_ERR_NET || w->status == SYNC_ERR_STORE) {
			log_info("%s: retrying in %d s", sync_account(w->sync), backoff);
			nap(cs, backoff);
			backoff = backoff * 2 > 300 ? 300 : backoff * 2;
			continue;
		}
		backoff = 5;
		sync_watch(w->sync, (int)conf_num(cs->conf, -1, OPT_ID_sync_interval));
	} while (!cs->stop);
	sync_disconnect(w->sync);
	return NULL;
}

/* Waits for SIGINT/SIGTERM (blocked in every other thread) and stops the
 * workers from a normal thread, where taking locks is allowed. */
static void *signal_main(void *arg)
{
	struct cmd_sync *cs = arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	int sig = 0;
	sigwait(&set, &sig);
	if (sig == SIGUSR1)
		return NULL; /* the workers are done: just go */
	cs->stop = true;
	for (size_t i = 0; i < cs->nw; i++)
		sync_cancel(cs->w[i].sync);
	return NULL;
}

static void usage(void)
{
	fputs("usage: muttlike sync [ACCOUNT...] [--watch] [--verify] [--allow-deletes FOLDER]...\n", stderr);
}

int cmd_sync(conf_t *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "watch", no_argument, NULL, 'w' },
		{ "verify", no_argument, NULL, 'V' },
		{ "allow-deletes", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_sync cs = { .conf = c };
	const char **allow = xcalloc((size_t)argc + 1, sizeof(*allow));
	size_t nallow = 0;
	optind = 1;
	int ch;
	bool verify = false;
	while ((ch = getopt_long(argc, argv, "+wVA:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'w': cs.watch = true; break;
		case 'V': verify = true; break;
		case 'A': allow[nallow++] = optarg; break;
		case 'h': usage(); free(allow); return 0;
		default: usage(); free(allow); return EXIT_USAGE;
		}
	}
	size_t nacct = conf_account_count(c);
	if (nacct == 0) {
		fputs("muttlike: sync: no account in the config; add one with 'muttlike setup'\n", stderr);
		free(allow);
		return EXIT_USAGE;
	}
	long *which = xcalloc(nacct + (size_t)argc + 1, sizeof(*which));
	size_t nwhich = 0;
	for (int i = optind; i < argc; i++) {
		long a = conf_account_find(c, argv[i]);
		if (a < 0) {
			text_print(stderr, "muttlike: sync: no account named '%s' in the config", argv[i]);
			free(which);
			free(allow);
			return EXIT_USAGE;
		}
		which[nwhich++] = a;
	}
	if (!nwhich)
		for (size_t i = 0; i < nacct; i++)
			which[nwhich++] = (long)i;

	cs.tty = isatty(STDOUT_FILENO);
	cs.start_ms = net_now_ms();
	char *data = conf_data_dir(c);
	cs.ss.mail_root = xasprintf("%s/mail", data);
	cs.ss.state_root = xasprintf("%s/state", data);
	free(data);
	pthread_mutex_init(&cs.ss.mu, NULL);
	pthread_mutex_init(&cs.out_mu, NULL);

	store_global_init(); /* touches the environment: before any thread */
	/* Block the stop signals everywhere but in the signal thread. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);

	cs.nw = nwhich;
	cs.w = xcalloc(nwhich, sizeof(*cs.w));
	for (size_t i = 0; i < nwhich; i++) {
		struct worker *w = &cs.w[i];
		w->cs = &cs;
		struct sync_options o = { .conf = c, .account = which[i], .store = NULL, .allow_deletes = allow,
					  .n_allow = nallow, .verify = verify, .event = on_event, .event_ud = w };
		w->sync = sync_new(&o);
	}
	/* The store pointer is only known once opened; sync reads it per pass. */
	pthread_t sigthr;
	pthread_create(&sigthr, NULL, signal_main, &cs);
	for (size_t i = 0; i < nwhich; i++)
		pthread_create(&cs.w[i].thread, NULL, worker_main, &cs.w[i]);
	for (size_t i = 0; i < nwhich; i++)
		pthread_join(cs.w[i].thread, NULL);
	pthread_kill(sigthr, SIGUSR1);
	pthread_join(sigthr, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	clear_progress(&cs);
	int rc = 0;
	for (size_t i = 0; i < nwhich; i++) {
		struct worker *w = &cs.w[i];
		if (cs.tty) {
			char *acct = text_sanitize(sync_account(w->sync), strlen(sync_account(w->sync)), false);
			printf("%s: %zu new, %zu changed, %zu deleted, %zu pushed, %zu errors\n", acct,
			       w->summary_fetched, w->summary_pulled, w->summary_deleted, w->summary_pushed,
			       w->summary_errors);
			free(acct);
		}
		if (verify) {
			/* What the comparison found and repaired: printed on a
			 * TTY or not (it is what the user asked for). */
			const struct sync_stats *vs = sync_get_stats(w->sync);
			char *acct = text_sanitize(sync_account(w->sync), strlen(sync_account(w->sync)), false);
			printf("%s: verify: %zu folders compared with the server; %zu missing messages fetched "
			       "(%zu whose file was gone), %zu files indexed, %zu stale index entries dropped\n",
			       acct, vs->verified, w->summary_fetched, vs->repaired_fetched, vs->repaired_indexed,
			       vs->repaired_pruned);
			free(acct);
		}
		if (w->status == SYNC_ERR_CONFIG && rc < EXIT_USAGE)
			rc = EXIT_USAGE;
		else if (w->status != SYNC_OK && w->status != SYNC_ERR_CANCELLED && !rc)
			rc = EXIT_RUNTIME;
		else if (w->status == SYNC_ERR_CANCELLED && !cs.stop && !rc)
			rc = EXIT_RUNTIME;
		sync_free(&w->sync);
	}
	if (cs.stop && !cs.watch && !rc)
		rc = EXIT_RUNTIME; /* interrupted: not every account synced */
	free(cs.w);
	free(which);
	free(allow);
	free(cs.ss.mail_root);
	free(cs.ss.state_root);
	free(cs.ss.error);
	pthread_mutex_destroy(&cs.ss.mu);
	pthread_mutex_destroy(&cs.out_mu);
	return rc;
}
