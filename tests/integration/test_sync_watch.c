/* test_sync_watch.c - push for every folder: `muttlike sync --watch` runs
 * with sync_interval at an hour (nothing arrives by polling), a second
 * client APPENDs to INBOX and to Work, and each message must reach the
 * local Maildir and the index within a bounded wait.  Once with NOTIFY
 * (RFC 5465: the rig's Dovecot offers it; one NOTIFY SET on one listening
 * connection), once with imap_notify = no (Work watched with IDLE on a
 * connection of its own, imap_idle_folders).  The rig's protocol log says
 * what the client sent. */
#include <signal.h>
#include <time.h>

#include "sync_helpers.h"

/* Long enough for a loaded machine running the suite under ASan; the
 * server itself waits 0.5 s before it tells (Dovecot's notify delay). */
#define ARRIVE_MS 15000

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void tick(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	nanosleep(&ts, NULL);
}

/* Wait (polling, at most ms) until folder's Maildir holds want files;
 * the time it took, or -1. */
static long long wait_files(const char *folder, unsigned want, long long ms)
{
	long long t0 = now_ms();
	while (now_ms() - t0 < ms) {
		if (st_count_files(folder) >= want)
			return now_ms() - t0;
		tick();
	}
	return -1;
}

static bool wait_indexed(const char *query, unsigned want, long long ms)
{
	long long t0 = now_ms();
	while (now_ms() - t0 < ms) {
		if (st_nm_count(query) >= want)
			return true;
		tick();
	}
	return false;
}

/* `muttlike -F <rc> sync --watch` in the background, rc = E.rc + extra. */
static pid_t start_watch(const char *extra)
{
	char *rcfile = xasprintf("%s/watch.rc", E.tmp);
	char *text = xasprintf("%sset sync_interval = 3600\n%s", E.rc, extra);
	assert_int_equal(util_write_file_atomic(rcfile, text, strlen(text), 0600), 0);
	free(text);
	const char *bin = tu_env("MUTTLIKE_BIN");
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(bin, bin, "-F", rcfile, "sync", "--watch", (char *)NULL);
		_exit(127);
	}
	free(rcfile);
	return p;
}

static void stop_watch(pid_t p)
{
	kill(p, SIGTERM);
	int st = 0;
	assert_int_equal(waitpid(p, &st, 0), p);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0); /* also: no leak report under ASan */
}

/* One run: the first pass, then a message to INBOX and one to Work by
 * another client, each seen locally and indexed without a pass being
 * due. */
static void push_both(const char *extra, const char *tag)
{
	unsigned inbox = st_server_count("INBOX"), work = st_server_count("Work");
	pid_t p = start_watch(extra);
	/* the first pass mirrors what is there */
	assert_true(wait_files("INBOX", inbox, 30000) >= 0);
	assert_true(wait_files("Work", work, 30000) >= 0);
	char *tagi = xasprintf("%s-inbox", tag), *tagw = xasprintf("%s-work", tag);
	char *qi = xasprintf("folder:test/INBOX and id:%s-1@test", tagi);
	char *qw = xasprintf("folder:test/Work and id:%s-1@test", tagw);
	/* the listening connections may still be logging in: a first message
	 * waits for them (bounded); later ones measure the push */
	free(st_imap("appendmany INBOX 1 %s", tagi));
	long long ti = wait_files("INBOX", inbox + 1, ARRIVE_MS);
	assert_true(ti >= 0);
	assert_true(wait_indexed(qi, 1, ARRIVE_MS));
	free(st_imap("appendmany Work 1 %s", tagw));
	long long tw = wait_files("Work", work + 1, ARRIVE_MS);
	assert_true(tw >= 0);
	assert_true(wait_indexed(qw, 1, ARRIVE_MS));
	/* a second one in Work: the watch is surely listening now */
	free(st_imap("appendmany Work 2 %s-again", tagw));
	tw = wait_files("Work", work + 3, ARRIVE_MS);
	assert_true(tw >= 0);
	if (getenv("SYNC_TEST_VERBOSE"))
		fprintf(stderr, "%s: INBOX %lld ms, Work %lld ms\n", tag, ti, tw);
	stop_watch(p);
	assert_int_equal(st_compare(), 0);
	free(tagi);
	free(tagw);
	free(qi);
	free(qw);
}

static void test_notify(void **state)
{
	(void)state;
	free(st_imap("create Work"));
	free(st_imap("appendmany Work 2 before"));
	char *rig = st_rawlog();
	int st;
	free(tu_run(&st, "%s off; %s on", rig, rig));
	push_both("", "notify");
	/* one listening connection, NOTIFY SET once on it (Dovecot 2.3 goes
	 * silent after a second one), and IDLE on no connection but the
	 * sync's own (INBOX) and the listener's */
	assert_int_equal(st_sent_count(rig, "^[^ ]+ NOTIFY SET \\(selected \\(MessageNew MessageExpunge FlagChange\\)\\) "
					 "\\(personal \\("),
			 1);
	assert_int_equal(st_sent_count(rig, "^[^ ]+ SELECT \"?Work\"? ?$"), 0);
	free(tu_run(&st, "%s off", rig));
	free(rig);
}

static void test_idle_folders(void **state)
{
	(void)state;
	char *rig = st_rawlog();
	int st;
	free(tu_run(&st, "%s off; %s on", rig, rig));
	push_both("set imap_notify = no\nset imap_idle_folders = \"Work\"\n", "idle");
	assert_int_equal(st_sent_count(rig, "NOTIFY"), 0);
	/* Work was selected for IDLE on a connection that did nothing else */
	assert_true(st_sent_count(rig, "^[^ ]+ SELECT \"?Work\"?$") >= 1);
	free(tu_run(&st, "%s off", rig));
	free(rig);
}

/* Wait (bounded) until data_dir/log has a line matching the regex. */
static bool wait_log(const char *re, long long ms)
{
	long long t0 = now_ms();
	while (now_ms() - t0 < ms) {
		int st;
		free(tu_run(&st, "grep -q -E '%s' '%s/log'", re, E.data));
		if (st == 0)
			return true;
		tick();
	}
	return false;
}

/* The server ends every session: the listener connects again (after its
 * 1 s back-off) and hears the next message. */
static void test_reconnect(void **state)
{
	(void)state;
	int st;
	free(tu_run(&st, "rm -f '%s/log'", E.data));
	unsigned work = st_server_count("Work");
	pid_t p = start_watch("");
	assert_true(wait_files("Work", work, 30000) >= 0);
	assert_true(wait_log("watch: NOTIFY on one connection", 30000));
	free(tu_run(&st, "'%s/tests/rig/rig' kick '%s' '%s'", tu_env("MUTTLIKE_SRCDIR"), tu_env("RIG_DIR"),
		    tu_env("RIG_USER")));
	assert_int_equal(st, 0);
	assert_true(wait_log("watch: connection 1 is back", ARRIVE_MS));
	free(st_imap("appendmany Work 1 after-kick"));
	assert_true(wait_files("Work", work + 1, ARRIVE_MS) >= 0);
	stop_watch(p);
	assert_int_equal(st_compare(), 0);
}

/* Without NOTIFY, more folders to IDLE on than the server allows
 * connections (Dovecot: 10 per user and address; 8 held by another
 * client here, 1 the sync's own, 4 listeners wanted: Dovecot counts
 * logins that come at once loosely, so the margin is wide): the listeners
 * it refuses end, the log says so, and the sync goes on. */
static void test_connection_limit(void **state)
{
	(void)state;
	int st;
	free(tu_run(&st, "rm -f '%s/log'", E.data));
	const char *names[] = { "L1", "L2", "L3", "L4" };
	for (size_t i = 0; i < 4; i++)
		free(st_imap("create %s", names[i]));
	/* another client holds 8 connections until the file hold goes */
	char *hold = xasprintf("%s/hold", E.tmp), *ready = xasprintf("%s/ready", E.tmp);
	char *py = xasprintf("%s/hold.py", E.tmp);
	char *script = xasprintf("import os, sys, time\n"
				 "sys.path.insert(0, '%s/tests/integration')\n"
				 "import imapctl\n"
				 "c = [imapctl.connect() for _ in range(8)]\n"
				 "open('%s', 'w').close()\n"
				 "while os.path.exists('%s'):\n"
				 "    time.sleep(0.05)\n"
				 "for x in c:\n"
				 "    x.logout()\n"
				 "os.remove('%s')\n",
				 tu_env("MUTTLIKE_SRCDIR"), ready, hold, ready);
	assert_int_equal(util_write_file_atomic(py, script, strlen(script), 0600), 0);
	free(tu_run(&st, "touch '%s'; (python3 '%s' >/dev/null 2>&1 &)", hold, py));
	long long t0 = now_ms();
	while (access(ready, F_OK) != 0 && now_ms() - t0 < 30000)
		tick();
	assert_int_equal(access(ready, F_OK), 0);
	pid_t p = start_watch("set imap_notify = no\nset imap_idle_folders = \"L*\"\nset imap_max_connections = 5\n");
	bool refused = wait_log("watch: the server refused connection [0-9]+ .*connections.*[0-9]+ listen", 30000);
	free(tu_run(&st, "rm -f '%s'", hold)); /* first: the next tests need their connections */
	t0 = now_ms();
	while (access(ready, F_OK) == 0 && now_ms() - t0 < 30000)
		tick(); /* the other client has logged out */
	if (!refused)
		stop_watch(p);
	assert_true(refused);
	free(hold);
	free(ready);
	free(py);
	free(script);
	/* the sync's own session still works: new mail in INBOX arrives */
	unsigned inbox = st_count_files("INBOX");
	free(st_imap("appendmany INBOX 1 after-limit"));
	assert_true(wait_files("INBOX", inbox + 1, ARRIVE_MS) >= 0);
	stop_watch(p);
	assert_int_equal(st_compare(), 0);
}

/* A resume from suspend (the fault "clock-jump": the wall clock an hour
 * ahead while the monotonic one stood still): the worker drops its
 * session and makes a full pass on a new one, the listener connects again
 * at once, and the next message is heard. */
static void test_resume(void **state)
{
	(void)state;
	int st;
	free(tu_run(&st, "rm -f '%s/log'", E.data));
	unsigned work = st_server_count("Work");
	/* about 8 s in: each of the worker's IDLE and the listener looks once a second */
	setenv("MUTTLIKE_FAULT", "clock-jump:16", 1);
	pid_t p = start_watch("");
	unsetenv("MUTTLIKE_FAULT");
	assert_true(wait_files("Work", work, 30000) >= 0);
	assert_true(wait_log("test: the wall clock jumped \\(a resume\\?\\): connecting again", 60000));
	assert_true(wait_log("watch: the wall clock jumped \\(a resume\\?\\): connecting again", ARRIVE_MS));
	assert_true(wait_log("watch: connection 1 is back", ARRIVE_MS));
	free(st_imap("appendmany Work 1 after-resume"));
	assert_true(wait_files("Work", work + 1, ARRIVE_MS) >= 0);
	stop_watch(p);
	assert_int_equal(st_compare(), 0);
}

int main(void)
{
	st_test_filter();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_idle_folders),
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_connection_limit),
		cmocka_unit_test(test_resume),
	};
	return cmocka_run_group_tests(tests, st_group_setup, st_group_teardown);
}
