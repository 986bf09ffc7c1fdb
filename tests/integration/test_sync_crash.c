/* test_sync_crash.c - never lose mail: die at every fault point, resume.
 *
 * A child process runs a sync with MUTTLIKE_FAULT-style fault armed
 * (fault_set), which ends it with _exit(99) at the n-th arrival at a
 * point, as kill -9 would: no cleanup, notmuch not closed, the state file
 * not written.  Then a clean sync runs and the result must be what an
 * uninterrupted sync gives: the oracle (imapctl.py compare) finds no
 * difference and no duplicate Message-ID, the index holds exactly the
 * files, and every local change made before the crash reached the server.
 * tests/run-all runs it under each server capability set (QRESYNC,
 * CONDSTORE only with RIG_NO_QRESYNC=1, neither with RIG_NO_CONDSTORE=1):
 * every fault point x initial and incremental x three capability sets.
 */
#include "sync_helpers.h"

static int start_fresh_local(void **state)
{
	(void)state;
	st_fresh_local(11, 300);
	return 0;
}

static unsigned files_without_uid(void)
{
	int st;
	char *out = tu_run(&st, "find '%s' -path '*/cur/*' -type f ! -name '*,U=*' | wc -l", E.acctdir);
	unsigned n = (unsigned)strtoul(out, NULL, 10);
	free(out);
	return n;
}

static void check_converged(void)
{
	assert_int_equal(st_compare(), 0);
	assert_int_equal(files_without_uid(), 0);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	assert_int_equal(st_nm_files("tag:account:test"), st_count_files(NULL));
}

/* Crash during the first sync at each point, then finish. */
static void crash_initial(const char *spec)
{
	int rc = st_sync_fault(spec);
	if (rc != 99)
		fail_msg("%s: expected the fault to end the sync (99), got %d", spec, rc);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	check_converged();
	/* And a third pass finds nothing to do. */
	r = st_sync();
	assert_int_equal(r.stats.fetched + r.stats.pushed + r.stats.pulled + r.stats.deleted, 0);
}

/* 300 messages in 6 folders: fetch:1, :57 and :250 die early, mid-way and
 * near the end of the first pass.  The index writer takes what is queued,
 * up to 256 operations a batch, so how many batches a pass makes depends
 * on timing; more than 256 messages make at least two, so store-batch:2
 * is reached on any machine (with 200 messages store-batch:3 was not, on
 * a loaded one). */
static void test_initial_fetch_1(void **s) { (void)s; crash_initial("fetch:1"); }
static void test_initial_fetch_57(void **s) { (void)s; crash_initial("fetch:57"); }
static void test_initial_fetch_250(void **s) { (void)s; crash_initial("fetch:250"); }
static void test_initial_state_1(void **s) { (void)s; crash_initial("state:1"); }
static void test_initial_state_5(void **s) { (void)s; crash_initial("state:5"); }
static void test_initial_store_1(void **s) { (void)s; crash_initial("store-batch:1"); }
static void test_initial_store_2(void **s) { (void)s; crash_initial("store-batch:2"); }

static char *message_id_of(const char *path)
{
	char *data = tu_read(path);
	assert_non_null(data);
	char *p = strcasestr(data, "\nMessage-ID:");
	assert_non_null(p);
	char *lt = strchr(p, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	assert_non_null(gt);
	char *mid = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	free(data);
	return mid;
}

/* Changes on both sides, a crash at spec during the sync that carries
 * them, then a clean sync: every change arrives exactly once. */
/* The incremental and create cases start from a mirrored account
 * (st_start_mirrored). */
static void crash_incremental(const char *spec)
{
	st_start_mirrored();
	struct st_result r;
	static unsigned round;
	unsigned k = round++;
	unsigned u1 = 10 + k * 5, u2 = u1 + 1, u3 = u1 + 2, u4 = u1 + 3;
	if (getenv("SYNC_TEST_VERBOSE")) {
		char *x = st_uidflags("INBOX", u3);
		char *lp = st_find_uid("INBOX", u3);
		fprintf(stderr, "after initial: u3=%u server %s local %s\n", u3, x, lp ? strstr(lp, ",U=") : "NONE");
		int stt;
		char *o = tu_run(&stt, "grep '^m %u ' '%s'/state/test/INBOX.state; ls '%s'/state/test/", u3, E.data, E.data);
		fprintf(stderr, "state: %s\n", o);
		free(o);
		free(x);
		free(lp);
	}

	/* The server: a flag, an expunge, a new message. */
	free(st_imap("flags INBOX %u +\\\\Flagged", u1));
	free(st_imap("expunge INBOX %u", u2));
	char *srvmid = xasprintf("crash-srv-%u@test", k);
	char *body = xasprintf("From: a@example.org\nSubject: server %u\nMessage-ID: <%s>\n\nbody\n", k, srvmid);
	char *f = tu_write(E.tmp, "srv.eml", body, 0600);
	free(st_imap("append INBOX '%s'", f));
	free(f);
	free(body);

	/* Here: a flag change, a deletion, a new message in Sent. */
	char *p3 = st_find_uid("INBOX", u3), *p4 = st_find_uid("INBOX", u4);
	assert_non_null(p3);
	assert_non_null(p4);
	st_set_local_flags(p3, "RS");
	char *delmid = message_id_of(p4);
	unsigned trash_before = st_midcount("Trash", delmid);
	assert_int_equal(unlink(p4), 0);
	char *locmid = xasprintf("crash-local-%u@test", k);
	char *sent = xasprintf("%s/%s/cur", E.acctdir, st_local("Sent"));
	char *name = xasprintf("1700000%03u.crash.host:2,S", k);
	body = xasprintf("From: alice@example.org\nSubject: local %u\nMessage-ID: <%s>\n\nbody\n", k, locmid);
	free(tu_write(sent, name, body, 0600));
	free(body);
	free(name);
	free(sent);

	if (getenv("SYNC_TEST_VERBOSE")) {
		char *x = st_uidflags("INBOX", u3);
		fprintf(stderr, "before fault: u3=%u server %s\n", u3, x);
		free(x);
	}
	int rc = st_sync_fault(spec);
	if (rc != 99)
		fail_msg("%s: expected the fault to end the sync (99), got %d", spec, rc);
	if (getenv("SYNC_TEST_VERBOSE")) {
		char *x = st_uidflags("INBOX", u3);
		fprintf(stderr, "after fault: u3=%u server %s\n", u3, x);
		free(x);
	}
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	check_converged();

	char *fl = st_uidflags("INBOX", u3);
	assert_string_equal(fl, "RS"); /* the local change survived the crash */
	free(fl);
	fl = st_uidflags("INBOX", u4);
	assert_string_equal(fl, "GONE");
	free(fl);
	assert_int_equal(st_midcount("Trash", delmid), trash_before + 1);
	assert_int_equal(st_midcount("Sent", locmid), 1);
	assert_int_equal(st_midcount("INBOX", srvmid), 1);
	assert_null(st_find_uid("INBOX", u2));
	char *p1 = st_find_uid("INBOX", u1);
	assert_non_null(p1);
	assert_non_null(strchr(strstr(p1, ":2,"), 'F'));
	free(p1);
	free(p3);
	free(p4);
	free(delmid);
	free(locmid);
	free(srvmid);
}

static void test_incr_push_1(void **s) { (void)s; crash_incremental("push:1"); }
static void test_incr_delete_1(void **s) { (void)s; crash_incremental("delete:1"); }
static void test_incr_delete_2(void **s) { (void)s; crash_incremental("delete:2"); }
static void test_incr_append_1(void **s) { (void)s; crash_incremental("append:1"); }
static void test_incr_fetch_1(void **s) { (void)s; crash_incremental("fetch:1"); }
static void test_incr_state_1(void **s) { (void)s; crash_incremental("state:1"); }
static void test_incr_state_2(void **s) { (void)s; crash_incremental("state:2"); }
static void test_incr_store_1(void **s) { (void)s; crash_incremental("store-batch:1"); }

/* A folder made here (one message written here, one copied from
 * INBOX's mirror with INBOX's UID in its name), a crash before
 * (create:1) or after (create:2) its CREATE (a new folder each time: the
 * server is shared by the cases), then a clean sync: the
 * folder is on the server with each message exactly once. */
static void crash_create(const char *spec, const char *folder)
{
	st_start_mirrored();
	struct st_result r;
	static const char *const subs[] = { "cur", "new", "tmp" };
	for (size_t i = 0; i < 3; i++) {
		char *d = xasprintf("%s/%s/%s", E.acctdir, folder, subs[i]);
		assert_int_equal(util_mkdirs(d, 0700), 0);
		free(d);
	}
	char *dir = xasprintf("%s/%s/cur", E.acctdir, folder);
	free(tu_write(dir, "1700000999.made.host:2,S",
		      "From: alice@example.org\nSubject: made here\nMessage-ID: <made-here@test>\n\nbody\n", 0600));
	char *src = st_find_uid("INBOX", 3);
	assert_non_null(src);
	char *copied = message_id_of(src);
	int st;
	free(tu_run(&st, "cp '%s' '%s/'", src, dir));
	assert_int_equal(st, 0);
	free(src);
	free(dir);

	int rc = st_sync_fault(spec);
	if (rc != 99)
		fail_msg("%s: expected the fault to end the sync (99), got %d", spec, rc);
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	check_converged();
	assert_int_equal(st_midcount(folder, "made-here@test"), 1);
	assert_int_equal(st_midcount(folder, copied), 1);
	/* (Under a namespace prefix the mirror moved to the server's
	 * name: Made/Here1 is INBOX.Made.Here1, mirrored in INBOX/Made/Here1.) */
	assert_int_equal(st_count_files(st_local(folder)), 2);
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched + r.stats.pushed + r.stats.pulled + r.stats.deleted, 0);
	free(copied);
}

static void test_create_1(void **s) { (void)s; crash_create("create:1", "Made/Here1"); }
static void test_create_2(void **s) { (void)s; crash_create("create:2", "Made/Here2"); }

static int group_setup(void **state)
{
	(void)state;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_initial_fetch_1, start_fresh_local, st_group_teardown),
		cmocka_unit_test_setup_teardown(test_initial_fetch_57, start_fresh_local, st_group_teardown),
		cmocka_unit_test_setup_teardown(test_initial_fetch_250, start_fresh_local, st_group_teardown),
		cmocka_unit_test_setup_teardown(test_initial_state_1, start_fresh_local, st_group_teardown),
		cmocka_unit_test_setup_teardown(test_initial_state_5, start_fresh_local, st_group_teardown),
		cmocka_unit_test_setup_teardown(test_initial_store_1, start_fresh_local, st_group_teardown),
		cmocka_unit_test_setup_teardown(test_initial_store_2, start_fresh_local, st_group_teardown),
		cmocka_unit_test_setup_teardown(test_incr_push_1, start_fresh_local, st_group_teardown),
		cmocka_unit_test_setup_teardown(test_incr_delete_1, start_fresh_local, st_group_teardown),
		cmocka_unit_test_setup_teardown(test_incr_delete_2, start_fresh_local, st_group_teardown),
		cmocka_unit_test_setup_teardown(test_incr_append_1, start_fresh_local, st_group_teardown),
		cmocka_unit_test_setup_teardown(test_incr_fetch_1, start_fresh_local, st_group_teardown),
		cmocka_unit_test_setup_teardown(test_incr_state_1, start_fresh_local, st_group_teardown),
		cmocka_unit_test_setup_teardown(test_incr_state_2, start_fresh_local, st_group_teardown),
		cmocka_unit_test_setup_teardown(test_incr_store_1, start_fresh_local, st_group_teardown),
		cmocka_unit_test_setup_teardown(test_create_1, start_fresh_local, st_group_teardown),
		cmocka_unit_test_setup_teardown(test_create_2, start_fresh_local, st_group_teardown),
	};
	st_test_filter();
	const char *caps = st_caps();
	const char *profile = getenv("RIG_PROFILE");
	if (profile && strcmp(profile, "courier") == 0) {
		/* Courier's shape: no CONDSTORE or QRESYNC (the "neither"
		 * job's first-pass cases, with other folder names) and the
		 * INBOX. namespace, which matters where names are made and
		 * moved to: the incremental cases (Trash, Sent) and the
		 * create cases.  Each of them mirrors from nothing first. */
		size_t first_incr = 0;
		while (strncmp(tests[first_incr].name, "test_incr_", 10) != 0)
			first_incr++;
		return _cmocka_run_group_tests("courier", tests + first_incr, ARRAY_SIZE(tests) - first_incr,
					       group_setup, st_mirrored_teardown);
	}
	return cmocka_run_group_tests_name(caps, tests, group_setup, st_mirrored_teardown);
}
