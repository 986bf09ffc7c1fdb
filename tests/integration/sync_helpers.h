/* sync_helpers.h - shared by tests/integration/test_sync_*.c (static, header-only).
 *
 * Each test binary runs inside its own rig (tests/run-all uses with-rig).
 * The oracle is tests/integration/imapctl.py: Python's imaplib against
 * the server, compared with the Maildir on disk, so the check never goes
 * through the code it checks.
 */
#ifndef SYNC_HELPERS_H
#define SYNC_HELPERS_H

#include <dirent.h>
#include <notmuch.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "conf.h"
#include "fault.h"
#include "log.h"
#include "store.h"
#include "sync.h"
#include "util.h"

struct st_env {
	char *tmp;     /* owned */
	char *data;    /* owned: data_dir */
	char *acctdir; /* owned: data/mail/test */
	char *rc;      /* owned: rc text */
};

static struct st_env E;

static void st_quiet_sink(enum log_level level, const char *line, void *ud)
{
	(void)ud;
	if (getenv("SYNC_TEST_VERBOSE"))
		fprintf(stderr, "[%s] %s\n", log_level_name(level), line);
}

static void st_setup_env(void)
{
	log_set_sink(st_quiet_sink, NULL);
	if (getenv("SYNC_TEST_VERBOSE"))
		log_set_level(LOG_DEBUG);
	E.tmp = tu_tmpdir();
	E.data = xasprintf("%s/data", E.tmp);
	E.acctdir = xasprintf("%s/mail/test", E.data);
	E.rc = xasprintf("set data_dir = \"%s\"\n"
			 "account test\n"
			 "set imap_url = \"imaps://%s@%s:%s\"\n"
			 "set imap_pass = \"%s\"\n"
			 "set tls_ca_file = \"%s\"\n",
			 E.data, tu_env("RIG_USER"), tu_env("RIG_HOST"), tu_env("RIG_IMAPS_PORT"), tu_env("RIG_PASS"),
			 tu_env("RIG_CA"));
}

static void st_teardown_env(void)
{
	if (!getenv("SYNC_TEST_KEEP"))
		tu_rmtree(E.tmp);
	free(E.tmp);
	free(E.data);
	free(E.acctdir);
	free(E.rc);
	memset(&E, 0, sizeof(E));
}

/* ---- folder names in the rig's personal namespace ----
 *
 * The tests write a folder as on the Dovecot rig: "INBOX", "Sent",
 * "Work/Projects".  On a server whose personal namespace has a prefix
 * (Cyrus classic, RIG_PROFILE=courier: RIG_NS_PREFIX "INBOX.", RIG_NS_SEP
 * ".") the server's name is "INBOX.Work.Projects" and the local mirror
 * keeps the prefix in its path, split at the server's separator:
 * INBOX/Work/Projects (doc/sync.md, "Folders made here").  INBOX itself
 * is INBOX everywhere.  (imapctl.py translates names the same way for its
 * own commands.)  Plain ASCII names only: no Maildir escaping is done.
 * Each returns a string owned by a small ring, valid for the next 15
 * calls, so that a test can write st_count_files(st_local("Trash")). */
static const char *st_ring(char *s)
{
	static char *ring[16];
	static unsigned next;
	unsigned i = next++ % 16;
	free(ring[i]);
	ring[i] = s;
	return s;
}

/* The server's name (before modified UTF-7) of a folder as the tests write it. */
__attribute__((unused)) static const char *st_server(const char *name)
{
	return st_ring(tu_server_folder(name));
}

/* The folder's directory relative to the account's Maildir root (and the
 * journal's and notmuch's folder: test/<this>). */
__attribute__((unused)) static const char *st_local(const char *name)
{
	char *rel = tu_server_folder(name);
	const char *sep = getenv("RIG_NS_SEP");
	for (char *p = rel; sep && *sep && *p; p++)
		if (*p == *sep)
			*p = '/';
	return st_ring(rel);
}

/* cmocka group setup/teardown for the usual environment. */
__attribute__((unused)) static int st_group_setup(void **state)
{
	(void)state;
	st_setup_env();
	return 0;
}

__attribute__((unused)) static int st_group_teardown(void **state)
{
	(void)state;
	st_teardown_env();
	return 0;
}

/* The rig's server capability set (tests/run-all's CAPS_MATRIX), as the
 * group's name. */
__attribute__((unused)) static const char *st_caps(void)
{
	return getenv("RIG_NO_CONDSTORE") ? "neither" : getenv("RIG_NO_QRESYNC") ? "CONDSTORE" : "QRESYNC";
}

/* SYNC_TEST_FILTER=NAME-GLOB runs only the matching cases. */
__attribute__((unused)) static void st_test_filter(void)
{
	if (getenv("SYNC_TEST_FILTER"))
		cmocka_set_test_filter(getenv("SYNC_TEST_FILTER"));
}

/* Generate a corpus and load it into alice's server store. */
__attribute__((unused)) static void st_populate(unsigned seed, unsigned count, const char *extra)
{
	int st;
	char *dir = xasprintf("%s/corpus-%u", E.tmp, seed);
	char *out = tu_run(&st, "'%s/gencorpus' --seed %u --count %u %s '%s' && '%s/tests/rig/rig' populate '%s' %s '%s'",
			   tu_env("MUTTLIKE_BUILD"), seed, count, extra ? extra : "", dir, tu_env("MUTTLIKE_SRCDIR"),
			   tu_env("RIG_DIR"), tu_env("RIG_USER"), dir);
	if (st != 0)
		fail_msg("populate failed: %s", out);
	free(out);
	free(dir);
}

/* Per-case setup for suites whose cases each start from an empty local
 * side against one server: the usual environment, and the server loaded
 * with a corpus once per test binary (the first case).  Pair it with
 * st_group_teardown. */
__attribute__((unused)) static void st_fresh_local(unsigned seed, unsigned count)
{
	static bool populated;
	st_setup_env();
	if (!populated) {
		st_populate(seed, count, NULL);
		populated = true;
	}
}

struct st_result {
	enum sync_status status;
	struct sync_stats stats;
};

/* true: the passes run as `sync --verify`. */
static bool st_verify;

/* A sync session: one sync_t (its connection, what it learned) for
 * several passes, each with the store opened for it, as the account
 * manager's worker runs them. */
struct st_session {
	conf_t *conf;
	const char *allowv[1];
	sync_t *s;
};

static void st_session_new(struct st_session *x, const char *allow)
{
	x->conf = conf_new();
	assert_int_equal(conf_load_string(x->conf, "test.rc", E.rc), 0);
	x->allowv[0] = allow;
	struct sync_options o = { .conf = x->conf, .account = 0, .allow_deletes = x->allowv,
				  .n_allow = allow ? 1 : 0, .verify = st_verify };
	x->s = sync_new(&o);
}

/* One pass: a full one (folders NULL) the way cmd_sync runs it, or a
 * partial one over these raw folder names the way the push listener runs
 * it (sync_run_folders). */
static struct st_result st_session_pass(struct st_session *x, const char *const *folders, size_t n)
{
	char *mail = xasprintf("%s/mail", E.data), *state = xasprintf("%s/state", E.data);
	store_t *store = NULL;
	char *err = NULL;
	if (store_open(mail, state, &store, &err) != STORE_OK)
		fail_msg("store_open: %s", err);
	sync_set_store(x->s, store);
	struct st_result r;
	r.status = folders ? sync_run_folders(x->s, folders, n) : sync_run(x->s);
	r.stats = *sync_get_stats(x->s);
	if (r.status != SYNC_OK && getenv("SYNC_TEST_VERBOSE"))
		fprintf(stderr, "sync: status %d: %s\n", r.status, sync_error(x->s));
	sync_set_store(x->s, NULL);
	store_close(&store);
	free(mail);
	free(state);
	return r;
}

static void st_session_free(struct st_session *x)
{
	sync_free(&x->s);
	conf_free(&x->conf);
}

/* One pass on a new session. */
static struct st_result st_pass(const char *allow, const char *const *folders, size_t n)
{
	struct st_session x;
	st_session_new(&x, allow);
	struct st_result r = st_session_pass(&x, folders, n);
	st_session_free(&x);
	return r;
}

__attribute__((unused)) static struct st_result st_sync_allow(const char *allow)
{
	return st_pass(allow, NULL, 0);
}

static struct st_result st_sync(void)
{
	return st_pass(NULL, NULL, 0);
}

/* A partial pass over these raw folder names (st_server()). */
__attribute__((unused)) static struct st_result st_sync_partial(const char *const *folders, size_t n)
{
	return st_pass(NULL, folders, n);
}

/* Run a pass (as st_pass) in a child with a fault armed; returns the
 * child's exit status (99: it died at the fault point). */
static int st_pass_fault(const char *spec, const char *const *folders, size_t n)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		fault_set(spec);
		struct st_result r = st_pass(NULL, folders, n);
		_exit(r.status == SYNC_OK ? 0 : 10 + (int)r.status);
	}
	int ws = 0;
	waitpid(pid, &ws, 0);
	fault_set(NULL);
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

__attribute__((unused)) static int st_sync_fault(const char *spec)
{
	return st_pass_fault(spec, NULL, 0);
}

__attribute__((unused)) static int st_sync_partial_fault(const char *spec, const char *const *folders, size_t n)
{
	return st_pass_fault(spec, folders, n);
}

/* As the push listener does it: a child's session makes a full pass,
 * then (after between() ran here: changes on both sides) a partial pass
 * over folders with a fault armed, on the same session.  The child's
 * exit status (99: it died at the fault point). */
__attribute__((unused)) static int st_session_partial_fault(const char *spec, const char *const *folders, size_t n,
							     void (*between)(void *), void *ud)
{
	int ready[2], go[2];
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		struct st_session x;
		st_session_new(&x, NULL);
		struct st_result r = st_session_pass(&x, NULL, 0);
		char c = r.status == SYNC_OK ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1 || c != 'y' || read(go[0], &c, 1) != 1)
			_exit(2);
		fault_set(spec);
		r = st_session_pass(&x, folders, n);
		_exit(r.status == SYNC_OK ? 0 : 10 + (int)r.status);
	}
	close(ready[1]);
	close(go[0]);
	char c = 0;
	bool ok = read(ready[0], &c, 1) == 1 && c == 'y';
	if (ok)
		between(ud);
	if (ok && write(go[1], "g", 1) != 1)
		ok = false;
	close(go[1]);
	close(ready[0]);
	int ws = 0;
	waitpid(pid, &ws, 0);
	fault_set(NULL);
	if (!ok)
		fail_msg("the session's first (full) pass failed");
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* A pass cut at spec ended as it should: a dropped connection ("drop-")
 * fails the pass (neither 0 nor 99), a kill ends it with 99. */
__attribute__((unused)) static void st_assert_cut(const char *spec, int rc)
{
	if (strncmp(spec, "drop-", 5) == 0) {
		if (rc == 0 || rc == 99)
			fail_msg("%s: expected the dropped connection to fail the pass, got %d", spec, rc);
	} else if (rc != 99) {
		fail_msg("%s: expected the fault to end the pass (99), got %d", spec, rc);
	}
}

/* Cases that start from a mirrored account: the first one mirrors the
 * server from nothing and keeps a copy of the whole data_dir (Maildir,
 * notmuch, state); each later one starts from that copy, and its first
 * pass, an incremental one, catches up with what the earlier cases
 * changed on the server since.  The same check as a full first pass each
 * time, for the price of one.  st_mirrored_teardown() is the group teardown. */
static char *st_mirrored_copy; /* a directory outside any case's E.tmp */

__attribute__((unused)) static void st_start_mirrored(void)
{
	int st;
	if (st_mirrored_copy)
		free(tu_run(&st, "rm -rf '%s' && cp -a '%s/data' '%s'", E.data, st_mirrored_copy, E.data));
	else
		st = 0;
	assert_int_equal(st, 0);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	if (st_mirrored_copy)
		return;
	st_mirrored_copy = tu_tmpdir();
	free(tu_run(&st, "cp -a '%s' '%s/data'", E.data, st_mirrored_copy));
	assert_int_equal(st, 0);
}

/* cmocka group teardown of a suite that used st_start_mirrored(). */
__attribute__((unused)) static int st_mirrored_teardown(void **state)
{
	(void)state;
	if (st_mirrored_copy)
		tu_rmtree(st_mirrored_copy);
	free(st_mirrored_copy);
	st_mirrored_copy = NULL;
	return 0;
}

/* The oracle: 0 when server and Maildir agree; prints the differences. */
__attribute__((unused)) static int st_compare(void)
{
	int st;
	char *args = xasprintf("compare '%s'", E.acctdir);
	char *out = tu_imapctl(&st, args);
	free(args);
	if (st != 0 || getenv("SYNC_TEST_VERBOSE"))
		fprintf(stderr, "%s", out);
	free(out);
	return st;
}

/* Run imapctl.py with arguments (a second client acting on the server). */
static char *st_imap(const char *fmt, ...) ML_PRINTF(1, 2);
static char *st_imap(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *args = xvasprintf(fmt, ap);
	va_end(ap);
	int st;
	char *out = tu_imapctl(&st, args);
	if (st != 0)
		fail_msg("imapctl %s: %s", args, out);
	free(args);
	return out;
}

/* How many messages of this Message-ID (without <>) a server folder holds. */
__attribute__((unused)) static unsigned st_midcount(const char *folder, const char *mid)
{
	char *out = st_imap("midcount '%s' '%s'", folder, mid);
	unsigned n = (unsigned)strtoul(out, NULL, 10);
	free(out);
	return n;
}

/* The server's flag letters of a UID ("RS", "" or "GONE"); a new string. */
__attribute__((unused)) static char *st_uidflags(const char *folder, unsigned uid)
{
	char *out = st_imap("uidflags '%s' %u", folder, uid);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* How many messages a server folder holds (raw name), as another client sees it. */
__attribute__((unused)) static unsigned st_server_count(const char *raw)
{
	char *out = st_imap("count '%s'", raw);
	unsigned n = (unsigned)strtoul(out, NULL, 10);
	free(out);
	return n;
}

/* Count notmuch messages matching a query, read-only. */
__attribute__((unused)) static unsigned st_nm_count(const char *query)
{
	char *mail = xasprintf("%s/mail", E.data);
	notmuch_database_t *db = NULL;
	char *msg = NULL;
	notmuch_status_t s = notmuch_database_open_with_config(mail, NOTMUCH_DATABASE_MODE_READ_ONLY, "", NULL, &db, &msg);
	free(msg);
	free(mail);
	if (s != NOTMUCH_STATUS_SUCCESS)
		fail_msg("notmuch open: %s", notmuch_status_to_string(s));
	notmuch_query_t *q = NULL;
	assert_int_equal(notmuch_query_create_with_syntax(db, query, NOTMUCH_QUERY_SYNTAX_XAPIAN, &q), 0);
	unsigned n = 0;
	assert_int_equal(notmuch_query_count_messages(q, &n), 0);
	notmuch_query_destroy(q);
	notmuch_database_destroy(db);
	return n;
}

/* The index opened for writing, as another notmuch program would. */
__attribute__((unused)) static notmuch_database_t *st_nm_open_rw(void)
{
	char *mail = xasprintf("%s/mail", E.data);
	notmuch_database_t *db = NULL;
	char *msg = NULL;
	assert_int_equal(notmuch_database_open_with_config(mail, NOTMUCH_DATABASE_MODE_READ_WRITE, "", NULL, &db, &msg),
			 NOTMUCH_STATUS_SUCCESS);
	free(msg);
	free(mail);
	return db;
}

/* Forget one file in the index, as a tool that deleted it would. */
__attribute__((unused)) static void st_nm_unindex(const char *path)
{
	notmuch_database_t *db = st_nm_open_rw();
	notmuch_status_t st = notmuch_database_remove_message(db, path);
	assert_true(st == NOTMUCH_STATUS_SUCCESS || st == NOTMUCH_STATUS_DUPLICATE_MESSAGE_ID);
	notmuch_database_destroy(db);
}

/* Count notmuch file names (a message in two folders counts twice). */
__attribute__((unused)) static unsigned st_nm_files(const char *query)
{
	char *mail = xasprintf("%s/mail", E.data);
	notmuch_database_t *db = NULL;
	char *msg = NULL;
	notmuch_status_t s = notmuch_database_open_with_config(mail, NOTMUCH_DATABASE_MODE_READ_ONLY, "", NULL, &db, &msg);
	free(msg);
	free(mail);
	if (s != NOTMUCH_STATUS_SUCCESS)
		fail_msg("notmuch open: %s", notmuch_status_to_string(s));
	notmuch_query_t *q = NULL;
	assert_int_equal(notmuch_query_create_with_syntax(db, query, NOTMUCH_QUERY_SYNTAX_XAPIAN, &q), 0);
	unsigned n = 0;
	notmuch_messages_t *ms = NULL;
	assert_int_equal(notmuch_query_search_messages(q, &ms), 0);
	for (; notmuch_messages_valid(ms); notmuch_messages_move_to_next(ms)) {
		notmuch_message_t *m = notmuch_messages_get(ms);
		notmuch_filenames_t *f = notmuch_message_get_filenames(m);
		for (; notmuch_filenames_valid(f); notmuch_filenames_move_to_next(f))
			if (access(notmuch_filenames_get(f), F_OK) == 0)
				n++;
		notmuch_filenames_destroy(f);
		notmuch_message_destroy(m);
	}
	notmuch_query_destroy(q);
	notmuch_database_destroy(db);
	return n;
}

/* Files in the account's Maildirs (all folders). */
__attribute__((unused)) static unsigned st_count_files(const char *sub)
{
	int st;
	char *out = tu_run(&st, "find '%s/%s' -path '*/cur/*' -o -path '*/new/*' | wc -l", E.acctdir, sub ? sub : "");
	unsigned n = (unsigned)strtoul(out, NULL, 10);
	free(out);
	return n;
}

/* The first file name in a folder's cur/ whose name contains ",U=<uid>:". */
__attribute__((unused)) static char *st_find_uid(const char *folder, unsigned uid)
{
	char *dir = xasprintf("%s/%s/cur", E.acctdir, folder);
	char *pat = xasprintf(",U=%u:", uid);
	DIR *d = opendir(dir);
	char *hit = NULL;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strstr(de->d_name, pat))
			hit = xasprintf("%s/%s", dir, de->d_name);
	if (d)
		closedir(d);
	free(dir);
	free(pat);
	return hit;
}

/* Rename a file to carry other Maildir flags, as a reader would. */
__attribute__((unused)) static void st_set_local_flags(const char *path, const char *letters)
{
	char *n = xstrdup(path);
	char *info = strstr(n, ":2,");
	assert_non_null(info);
	info[3] = '\0';
	char *nn = xasprintf("%s%s", n, letters);
	assert_int_equal(rename(path, nn), 0);
	free(n);
	free(nn);
}

/* Run this test binary again inside a nested rig started with var=1
 * (RIG_NO_QRESYNC, RIG_NO_CONDSTORE); its exit status. */
__attribute__((unused)) static int st_nested_rig_with(const char *var, const char *value, char **argv)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		setenv(var, value, 1);
		setenv("RIG_QUIET", "1", 1);
		char *with = xasprintf("%s/tests/rig/with-rig", getenv("MUTTLIKE_SRCDIR") ? getenv("MUTTLIKE_SRCDIR") : ".");
		execl(with, with, argv[0], (char *)NULL);
		perror("exec with-rig");
		_exit(1);
	}
	int ws = 0;
	waitpid(pid, &ws, 0);
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 1;
}

__attribute__((unused)) static int st_nested_rig(const char *var, char **argv)
{
	return st_nested_rig_with(var, "1", argv);
}

/* `rig rawlog` for this rig's user (append on|off|sent|last). */
__attribute__((unused)) static char *st_rawlog(void)
{
	return xasprintf("'%s/tests/rig/rig' rawlog '%s' '%s'", tu_env("MUTTLIKE_SRCDIR"), tu_env("RIG_DIR"),
			 tu_env("RIG_USER"));
}

/* How many lines of what the client sent (rig: st_rawlog()) match the
 * extended regex re. */
__attribute__((unused)) static unsigned long st_sent_count(const char *rig, const char *re)
{
	int st;
	char *out = tu_run(&st, "%s sent | tr -d '\\r' | grep -c -E '%s'", rig, re);
	unsigned long n = strtoul(out, NULL, 10);
	free(out);
	return n;
}

#endif
