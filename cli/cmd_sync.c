/* cmd_sync.c - `muttlike sync [ACCOUNT...] [--watch] [--allow-deletes FOLDER]`.
 *
 * Headless mirror on the reader's account manager (account.h): one worker
 * thread per account and one notmuch writer shared by all of them.  On a terminal a progress line
 * shows what each account is doing and a summary follows; otherwise only
 * warnings and errors are printed (stderr), so cron mail stays empty when
 * all is well.  Exit: 0 when every account synced completely, 1 when any
 * failed at run time (network, server, a folder stopped by a guard), 2 on
 * usage or config errors.
 *
 * --watch keeps going: after each pass it waits on INBOX with IDLE (or
 * sleeps sync_interval without IDLE) while listeners (src/watch.c: NOTIFY,
 * or IDLE on imap_idle_folders) name other folders that changed, each
 * then synced alone; it reconnects with backoff after failures, and ends
 * cleanly on SIGINT/SIGTERM.  The notmuch database is
 * open for writing only during a pass, so `notmuch tag` and the reader
 * can write in between.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "commands.h"
#include "net.h"
#include "sync.h"
#include "text.h"
#include "util.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* What the terminal shows of one account. */
struct acct_out {
	char line[256];         /* the account's part of the progress line */
	long long folder_start; /* ms */
	enum sync_status status; /* of the last pass */
	struct sync_stats last;  /* of the last pass */
	size_t summary_fetched, summary_pulled, summary_pushed, summary_deleted, summary_errors;
};

struct cmd_sync {
	conf_t *conf;
	account_mgr_t *m;
	struct acct_out *a;     /* per account index of the config */
	bool tty;
	bool watch;
	bool verbose;           /* -v: the wire of each pass */
	volatile bool stop;
	pthread_mutex_t out_mu; /* one writer of the terminal at a time */
	long long start_ms;
	char *mail_root;
	char *store_error;      /* the last store error said (under out_mu): one line, not one per account */
};

static void print_progress(struct cmd_sync *cs)
{
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < conf_account_count(cs->conf); i++) {
		if (!cs->a[i].line[0])
			continue;
		if (b.len)
			strbuf_adds(&b, " | ");
		strbuf_adds(&b, cs->a[i].line);
	}
	/* Keep to one terminal line: a wrapped line cannot be redrawn by \r. */
	if (b.len > 150)
		b.s[150] = '\0';
	printf("\r\033[K%s", b.s ? b.s : "");
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

/* Under out_mu: the account's part of the progress line for ev. */
static void progress_line(struct cmd_sync *cs, struct acct_out *w, const struct sync_event *ev, const char *acct,
			  const char *folder)
{
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
	case SYNC_EV_DONE:
		snprintf(w->line, sizeof(w->line), "%s: done", acct);
		break;
	case SYNC_EV_WARNING:
	case SYNC_EV_ERROR:
	case SYNC_EV_COUNTS:
		break;
	}
}

static void on_event(long account, const struct sync_event *ev, void *ud)
{
	struct cmd_sync *cs = ud;
	char *folder = ev->folder ? text_sanitize(ev->folder, strlen(ev->folder), false) : NULL;
	char *acct = text_sanitize(ev->account, strlen(ev->account), false);
	char *msg = ev->message ? text_sanitize(ev->message, strlen(ev->message), false) : NULL;
	pthread_mutex_lock(&cs->out_mu);
	if (ev->kind == SYNC_EV_WARNING || ev->kind == SYNC_EV_ERROR) {
		clear_progress(cs);
		text_print(stderr, "muttlike: %s%s", ev->kind == SYNC_EV_WARNING ? "warning: " : "",
			msg ? msg : "");
	}
	progress_line(cs, &cs->a[account], ev, acct, folder);
	if (cs->tty)
		print_progress(cs);
	pthread_mutex_unlock(&cs->out_mu);
	free(folder);
	free(acct);
	free(msg);
}

static void on_pass_done(long account, enum sync_status status, const struct sync_stats *st, void *ud)
{
	struct cmd_sync *cs = ud;
	struct acct_out *w = &cs->a[account];
	w->status = status;
	w->last = *st;
	w->summary_fetched += st->fetched;
	w->summary_pulled += st->pulled;
	w->summary_pushed += st->pushed;
	w->summary_deleted += st->deleted;
	w->summary_errors += st->folder_errors + (status != SYNC_OK && status != SYNC_ERR_FOLDER);
	if (cs->verbose) {
		const char *name = conf_account_name(cs->conf, (size_t)account);
		char *acct = text_sanitize(name, strlen(name), false);
		pthread_mutex_lock(&cs->out_mu);
		clear_progress(cs);
		printf("%s: wire: %llu bytes in (%llu inflated), %llu bytes out (%llu before compression), "
		       "%llu commands in %llu round trips, %s\n",
		       acct, (unsigned long long)st->wire_in, (unsigned long long)st->plain_in,
		       (unsigned long long)st->wire_out, (unsigned long long)st->plain_out,
		       (unsigned long long)st->commands, (unsigned long long)st->round_trips,
		       st->compressed ? "compressed" : "not compressed");
		fflush(stdout);
		pthread_mutex_unlock(&cs->out_mu);
		free(acct);
	}
}

/* The store could not be opened (why), or not written at its close. */
static void on_store_error(long account, const char *why, void *ud)
{
	struct cmd_sync *cs = ud;
	pthread_mutex_lock(&cs->out_mu);
	if (!why) {
		clear_progress(cs);
		text_print(stderr, "muttlike: %s: the index in %s could not be written%s; every message is in the "
				"Maildir: free space and run sync again",
			conf_account_name(cs->conf, (size_t)account), cs->mail_root,
			util_disk_low(cs->mail_root) ? " (disk full)" : "");
	} else if (!cs->store_error || strcmp(cs->store_error, why) != 0) {
		clear_progress(cs);
		text_print(stderr, "muttlike: %s", why);
		free(cs->store_error);
		cs->store_error = xstrdup(why);
	}
	pthread_mutex_unlock(&cs->out_mu);
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
	account_mgr_stop(cs->m);
	return NULL;
}

static void usage(void)
{
	fputs("usage: muttlike sync [ACCOUNT...] [-v] [--watch] [--verify] [--allow-deletes FOLDER]...\n", stderr);
}

/* The command line: options into run and cs, the accounts into *which
 * (new array, the config's order when none is named).  -1: go on, else
 * the exit status. */
static int parse_args(struct cmd_sync *cs, int argc, char **argv, struct account_run *run, const char ***allow,
		      long **which)
{
	static const struct option longopts[] = {
		{ "watch", no_argument, NULL, 'w' },
		{ "verify", no_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "allow-deletes", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	*allow = xcalloc((size_t)argc + 1, sizeof(**allow));
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "+wVvA:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'w': cs->watch = run->watch = true; break;
		case 'V': run->verify = true; break;
		case 'v': cs->verbose = true; break;
		case 'A': (*allow)[run->n_allow++] = optarg; break;
		case 'h': usage(); return 0;
		default: usage(); return EXIT_USAGE;
		}
	}
	run->allow_deletes = *allow;
	size_t nacct = conf_account_count(cs->conf);
	if (nacct == 0) {
		fputs("muttlike: sync: no account in the config; add one with 'muttlike setup'\n", stderr);
		return EXIT_USAGE;
	}
	*which = xcalloc(nacct + (size_t)argc + 1, sizeof(**which));
	for (int i = optind; i < argc; i++) {
		long a = conf_account_find(cs->conf, argv[i]);
		if (a < 0) {
			text_print(stderr, "muttlike: sync: no account named '%s' in the config", argv[i]);
			return EXIT_USAGE;
		}
		bool dup = false;
		for (size_t k = 0; k < run->naccounts; k++)
			dup |= (*which)[k] == a;
		if (!dup)
			(*which)[run->naccounts++] = a;
	}
	if (!run->naccounts)
		for (size_t i = 0; i < nacct; i++)
			(*which)[run->naccounts++] = (long)i;
	run->accounts = *which;
	return -1;
}

/* Run the workers until they are done or a signal stops them. */
static void run_workers(struct cmd_sync *cs)
{
	/* Block the stop signals everywhere but in the signal thread. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);
	pthread_t sigthr;
	pthread_create(&sigthr, NULL, signal_main, cs);
	account_mgr_start(cs->m);
	account_mgr_wait(cs->m);
	pthread_kill(sigthr, SIGUSR1);
	pthread_join(sigthr, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The summary of one account (on a terminal, or what --verify found);
 * its part of the exit status. */
static int report(struct cmd_sync *cs, long account, bool verify, int rc)
{
	const struct acct_out *w = &cs->a[account];
	char *acct = text_sanitize(conf_account_name(cs->conf, (size_t)account),
				   strlen(conf_account_name(cs->conf, (size_t)account)), false);
	if (cs->tty)
		printf("%s: %zu new, %zu changed, %zu deleted, %zu pushed, %zu errors\n", acct, w->summary_fetched,
		       w->summary_pulled, w->summary_deleted, w->summary_pushed, w->summary_errors);
	if (verify) {
		/* What the comparison found and repaired: printed on a TTY or
		 * not (it is what the user asked for). */
		printf("%s: verify: %zu folders compared with the server; %zu missing messages fetched "
		       "(%zu whose file was gone), %zu files indexed, %zu stale index entries dropped\n",
		       acct, w->last.verified, w->summary_fetched, w->last.repaired_fetched, w->last.repaired_indexed,
		       w->last.repaired_pruned);
	}
	free(acct);
	if (w->status == SYNC_ERR_CONFIG && rc < EXIT_USAGE)
		rc = EXIT_USAGE;
	else if (w->status != SYNC_OK && w->status != SYNC_ERR_CANCELLED && !rc)
		rc = EXIT_RUNTIME;
	else if (w->status == SYNC_ERR_CANCELLED && !cs->stop && !rc)
		rc = EXIT_RUNTIME;
	return rc;
}

int cmd_sync(conf_t *c, int argc, char **argv)
{
	struct cmd_sync cs = { .conf = c };
	struct account_run run = { .event = on_event, .pass_done = on_pass_done, .store_error = on_store_error,
				   .ud = &cs };
	const char **allow = NULL;
	long *which = NULL;
	int rc = parse_args(&cs, argc, argv, &run, &allow, &which);
	if (rc >= 0) {
		free(which);
		free(allow);
		return rc;
	}
	rc = 0;
	cs.tty = isatty(STDOUT_FILENO);
	cs.start_ms = net_now_ms();
	char *data = conf_data_dir(c);
	cs.mail_root = xasprintf("%s/mail", data);
	free(data);
	pthread_mutex_init(&cs.out_mu, NULL);
	cs.a = xcalloc(conf_account_count(c), sizeof(*cs.a));
	cs.m = account_mgr_new_headless(c, &run);
	run_workers(&cs);
	clear_progress(&cs);
	for (size_t i = 0; i < run.naccounts; i++)
		rc = report(&cs, which[i], run.verify, rc);
	if (cs.stop && !cs.watch && !rc)
		rc = EXIT_RUNTIME; /* interrupted: not every account synced */
	account_mgr_free(&cs.m);
	free(cs.a);
	free(which);
	free(allow);
	free(cs.mail_root);
	free(cs.store_error);
	pthread_mutex_destroy(&cs.out_mu);
	return rc;
}
