/* test_sync_nocondstore.c - the fallback for servers without CONDSTORE.
 *
 * tests/run-all starts one rig per binary; this one needs a server that
 * hides CONDSTORE and QRESYNC, so it re-runs itself inside a nested
 * with-rig with RIG_NO_CONDSTORE=1 (its own Dovecot, its own ports).  The
 * sync must then use plain SELECT and the full UID/FLAGS list, and still
 * see every change; the saved states prove no CONDSTORE SELECT was sent.
 */
#include "sync_helpers.h"

#include <sys/stat.h>

static void test_initial_and_changes(void **state)
{
	(void)state;
	st_populate(31, 200, NULL);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_compare(), 0);
	/* Changes on the server between syncs, seen without CHANGEDSINCE. */
	free(st_imap("flags INBOX 1:3 '-\\Seen \\Flagged'"));
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	free(st_imap("flags INBOX 2 +\\\\Flagged"));
	free(st_imap("expunge INBOX 3"));
	char *p1 = st_find_uid("INBOX", 1);
	assert_non_null(p1);
	st_set_local_flags(p1, "S");
	free(p1);
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.pushed, 1);
	assert_int_equal(r.stats.pulled, 1);
	assert_int_equal(r.stats.deleted, 1);
	assert_int_equal(st_compare(), 0);
	r = st_sync();
	assert_int_equal(r.stats.pushed + r.stats.pulled + r.stats.deleted + r.stats.fetched, 0);
}

static void test_no_condstore_on_the_wire(void **state)
{
	(void)state;
	/* A SELECT (CONDSTORE) would have brought a HIGHESTMODSEQ into the
	 * folder states; a plain SELECT never does. */
	int st;
	char *out = tu_run(&st, "cat '%s'/state/test/*.state | grep -c '^highestmodseq 0$'; ls '%s'/state/test/*.state | wc -l",
			   E.data, E.data);
	unsigned zero = 0, files = 0;
	assert_int_equal(sscanf(out, "%u %u", &zero, &files), 2);
	assert_true(files > 3);
	assert_int_equal(zero, files);
	free(out);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (!getenv("RIG_NO_CONDSTORE")) {
		/* Re-run inside a rig whose server hides CONDSTORE/QRESYNC. */
		setenv("RIG_NO_CONDSTORE", "1", 1);
		setenv("RIG_QUIET", "1", 1);
		char *with = xasprintf("%s/tests/rig/with-rig", getenv("MUTTLIKE_SRCDIR") ? getenv("MUTTLIKE_SRCDIR") : ".");
		execl(with, with, argv[0], (char *)NULL);
		perror("exec with-rig");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial_and_changes),
		cmocka_unit_test(test_no_condstore_on_the_wire),
	};
	st_test_filter();
	return cmocka_run_group_tests(tests, st_group_setup, st_group_teardown);
}
