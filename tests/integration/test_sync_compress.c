/* test_sync_compress.c - COMPRESS=DEFLATE (RFC 4978) against Dovecot's
 * imap_zlib: a pass with it (the default when the server offers it) sends
 * COMPRESS DEFLATE after login and mirrors the server exactly, with fewer
 * bytes on the wire than it read as IMAP text; with imap_compress = no it
 * is not sent.  The rig's protocol log is what the client sent (inflated
 * by `rig rawlog sent`).  The tests run in order on one server. */
#include "sync_helpers.h"

/* A pass with a fresh protocol log on, expecting `fetched` new messages and
 * the mirror equal to the server. */
static struct st_result logged_pass(const char *rig, size_t fetched)
{
	int st;
	free(tu_run(&st, "%s off; %s on", rig, rig));
	assert_int_equal(st, 0);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, fetched);
	assert_int_equal(st_compare(), 0);
	return r;
}

static void test_compressed_pass(void **state)
{
	(void)state;
	st_populate(47, 60, NULL);
	char *rig = st_rig_rawlog();
	int st;
	struct st_result r = logged_pass(rig, 60);
	/* COMPRESS was asked for once, and the commands after it are readable
	 * (inflated) in the log: the server understood them */
	assert_int_equal(st_sent_count(rig, "^[^ ]+ COMPRESS DEFLATE$"), 1);
	assert_true(st_sent_count(rig, "^[^ ]+ (UID FETCH|SELECT) ") >= 2);
	assert_true(r.stats.compressed);
	assert_true(r.stats.commands > 5);
	assert_true(r.stats.plain_in > 20000);
	assert_true(r.stats.wire_in < r.stats.plain_in);
	assert_true(r.stats.wire_out > 0);
	/* a second pass on a new session */
	free(st_imap("appendmany INBOX 2 second"));
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 2);
	assert_true(r.stats.compressed);
	assert_int_equal(st_sent_count(rig, "^[^ ]+ COMPRESS DEFLATE$"), 2);
	assert_int_equal(st_compare(), 0);
	free(tu_run(&st, "%s off", rig));
	free(rig);
}

static void test_compress_off(void **state)
{
	(void)state;
	char *rc = E.rc;
	E.rc = xasprintf("%sset imap_compress = no\n", rc);
	char *rig = st_rig_rawlog();
	int st;
	free(st_imap("appendmany INBOX 3 plain"));
	struct st_result r = logged_pass(rig, 3);
	assert_int_equal(st_sent_count(rig, "COMPRESS"), 0);
	assert_true(st_sent_count(rig, "^[^ ]+ SELECT ") >= 1);
	assert_false(r.stats.compressed);
	assert_int_equal(r.stats.wire_in, r.stats.plain_in);
	assert_int_equal(r.stats.wire_out, r.stats.plain_out);
	free(tu_run(&st, "%s off", rig));
	free(rig);
	free(E.rc);
	E.rc = rc;
}

int main(void)
{
	st_test_filter();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compressed_pass),
		cmocka_unit_test(test_compress_off),
	};
	return cmocka_run_group_tests(tests, st_group_setup, st_group_teardown);
}
