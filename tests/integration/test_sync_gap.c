/* test_sync_gap.c - an interrupted pass never leaves a hole in the mirror.
 *
 * The case from issue 11: a folder is mirrored, many new messages arrive
 * on the server, the next pass (which fetches newest first) is cut off
 * after some of them, and later passes must still fetch every one in
 * between.  The cut is made three ways: the connection drops before a
 * UID FETCH batch (fault "drop-fetch": the socket is shut down under the
 * session, as a server that goes away or a Wi-Fi that drops), the client
 * is killed after a file reached cur/ ("fetch"), and the client is killed
 * as it saves the state ("state").  Each case runs under the three server
 * capability sets: tests/run-all runs this binary against the default
 * rig (QRESYNC), and with RIG_NO_QRESYNC=1 (CONDSTORE only) and
 * RIG_NO_CONDSTORE=1 (neither), as three jobs (CAPS_MATRIX).  After the clean
 * pass the oracle (imapctl.py compare: UIDs, Message-IDs, sizes, flags)
 * finds no difference, the state holds every server UID, and one more
 * pass fetches nothing.
 */
#include "sync_helpers.h"

#include "state.h"

#define NEW_MSGS 200 /* more than three FETCH batches of 64 */

static int fresh_local(void **state)
{
	(void)state;
	st_fresh_local(7, 60);
	return 0;
}

/* The tags of the messages the current case appended to the server. */
static char *case_tags[2];

static const char *case_tag(const char *fmt, unsigned n)
{
	size_t i = case_tags[0] ? 1 : 0;
	case_tags[i] = xasprintf(fmt, n, (int)getpid());
	return case_tags[i];
}

/* Each case starts from an empty local side against one server: take
 * away what the case appended, so that the next case's first pass
 * mirrors the corpus and its own new messages, not every earlier case's
 * as well (the server would grow by NEW_MSGS a case). */
static int case_teardown(void **state)
{
	for (size_t i = 0; i < 2; i++) {
		if (case_tags[i])
			free(st_imap("expunge-tag INBOX '%s'", case_tags[i]));
		free(case_tags[i]);
		case_tags[i] = NULL;
	}
	return st_group_teardown(state);
}

/* The state's view of INBOX agrees with the server: as many records as
 * messages, and no UIDNEXT beyond what is there. */
static void check_state_invariant(void)
{
	char *path = xasprintf("%s/state/test/INBOX.state", E.data);
	state_t *st = NULL;
	assert_int_equal(state_load(path, &st), STATE_OK);
	char *out = st_imap("count INBOX");
	unsigned server = (unsigned)strtoul(out, NULL, 10);
	free(out);
	assert_int_equal(state_count(st), server);
	out = st_imap("uids INBOX");
	/* Every server UID has a state record. */
	for (char *p = out, *line; (line = strsep(&p, "\n"));) { /* "uid flags" a line */
		if (!*line)
			continue;
		uint32_t uid = (uint32_t)strtoul(line, NULL, 10);
		if (!state_get(st, uid))
			fail_msg("server UID %u is not in the state", uid);
		assert_true(uid < state_uidnext(st));
	}
	free(out);
	state_free(&st);
	free(path);
}

static void converge(void)
{
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	check_state_invariant();
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0);
	assert_int_equal(st_compare(), 0);
}

/* A mirrored account, NEW_MSGS new messages in INBOX, a pass cut at
 * spec; a drop fails the pass (not 0), a kill ends it with 99. */
static void gap_case(const char *spec, bool initial)
{
	static unsigned round;
	if (!initial) {
		struct st_result r = st_sync();
		assert_int_equal(r.status, SYNC_OK);
	}
	const char *tag = case_tag("gap%u-%d", round++);
	free(st_imap("appendmany INBOX %d %s", NEW_MSGS, tag));
	st_assert_cut(spec, st_sync_fault(spec));
	/* A cut in the fetch leaves some of the new messages behind. */
	unsigned local = st_count_files("INBOX");
	char *out = st_imap("count INBOX");
	unsigned server = (unsigned)strtoul(out, NULL, 10);
	free(out);
	if (strncmp(spec, "state:", 6) != 0)
		assert_true(local < server);
	converge();
}

static void test_drop_incremental_2(void **s) { (void)s; gap_case("drop-fetch:2", false); }
static void test_drop_incremental_3(void **s) { (void)s; gap_case("drop-fetch:3", false); }
static void test_drop_initial_2(void **s) { (void)s; gap_case("drop-fetch:2", true); }
static void test_kill_incremental_fetch_100(void **s) { (void)s; gap_case("fetch:100", false); }
static void test_kill_incremental_state_2(void **s) { (void)s; gap_case("state:2", false); }
static void test_kill_initial_fetch_70(void **s) { (void)s; gap_case("fetch:70", true); }

/* Two cut passes in a row, then a clean one. */
static void test_drop_twice(void **s)
{
	(void)s;
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	free(st_imap("appendmany INBOX %d %s", NEW_MSGS, case_tag("twice%u-%d", 0)));
	int rc = st_sync_fault("drop-fetch:2");
	assert_true(rc != 0 && rc != 99);
	free(st_imap("appendmany INBOX %d %s", NEW_MSGS, case_tag("twice%u-%d", 1)));
	rc = st_sync_fault("drop-fetch:3");
	assert_true(rc != 0 && rc != 99);
	converge();
}

/* sync --verify finds and repairs each kind of damage made by hand: a
 * file removed (fetched again, not deleted on the server), a state line
 * removed (adopted), an index entry removed (indexed again), an index
 * entry left for a file that is gone (dropped). */
static void test_verify_repairs(void **s)
{
	(void)s;
	free(st_imap("appendmany INBOX 10 %s", case_tag("verify%u-%d", 0)));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	char *out = st_imap("uids INBOX");
	uint32_t u[4];
	char *p = out;
	for (int i = 0; i < 4; i++) {
		u[i] = (uint32_t)strtoul(p, &p, 10);
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	free(out);
	out = st_imap("count INBOX");
	unsigned server = (unsigned)strtoul(out, NULL, 10);
	free(out);
	/* 1. a file removed */
	char *f0 = st_find_uid("INBOX", u[0]);
	assert_non_null(f0);
	assert_int_equal(unlink(f0), 0);
	/* 2. a state line removed */
	int st;
	free(tu_run(&st, "sed -i '/^m %u /d' '%s/state/test/INBOX.state'", u[1], E.data));
	/* 3. an index entry removed */
	char *f2 = st_find_uid("INBOX", u[2]);
	assert_non_null(f2);
	st_nm_unindex(f2);
	/* 4. a file gone behind the index's back, its UID kept in a copy: the
	 * index still names the old path */
	char *f3 = st_find_uid("INBOX", u[3]);
	assert_non_null(f3);
	char *tmpcopy = xasprintf("%s/keep", E.tmp);
	assert_int_equal(rename(f3, tmpcopy), 0);
	assert_int_equal(st_nm_files("*") + 1, st_count_files(NULL)); /* the index lost f2 */
	st_verify = true;
	r = st_sync();
	st_verify = false;
	assert_int_equal(r.status, SYNC_OK);
	assert_true(r.stats.verified >= 1);
	/* f0 and f3 are fetched again: their state lines say mirrored */
	assert_int_equal(r.stats.repaired_fetched, 2);
	assert_true(r.stats.repaired_indexed >= 1);
	assert_true(r.stats.repaired_pruned >= 1);
	out = st_imap("count INBOX");
	assert_int_equal((unsigned)strtoul(out, NULL, 10), server); /* nothing deleted on the server */
	free(out);
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	check_state_invariant();
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched + r.stats.pushed + r.stats.deleted, 0);
	free(f0);
	free(f2);
	free(f3);
	free(tmpcopy);
}

int main(void)
{
	st_test_filter();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_drop_incremental_2, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_drop_incremental_3, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_drop_initial_2, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_kill_incremental_fetch_100, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_kill_incremental_state_2, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_kill_initial_fetch_70, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_drop_twice, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_verify_repairs, fresh_local, case_teardown),
	};
	const char *caps = st_caps();
	fprintf(stderr, "# server capabilities: %s\n", caps);
	/* tests/run-all runs this program once per capability set (its
	 * CAPS_MATRIX), as parallel jobs. */
	return cmocka_run_group_tests_name(caps, tests, NULL, NULL);
}
