/* test_sync_pipeline.c - the commands a pass sends in bulk go out
 * pipelined (doc/sync.md, "The wire"): the UID FETCH batches of a first
 * download are several in flight (round trips fewer than commands), and
 * flag pushes are one UID STORE per distinct change, whatever the number
 * of messages.  What the client sent is read from the rig's protocol log
 * (`rig rawlog sent`).  The tests run in order on one server. */
#include "sync_helpers.h"

#define MSGS 300 /* five FETCH batches of 64 */

static struct st_result logged_pass(const char *rig)
{
	int st;
	free(tu_run(&st, "%s off; %s on", rig, rig));
	assert_int_equal(st, 0);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_compare(), 0);
	return r;
}

/* Nothing was left behind and the state knows it all: one more pass
 * fetches and pushes nothing.  The protocol log goes off (rig freed). */
static void settled(char *rig)
{
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched + r.stats.pushed + r.stats.pulled, 0);
	int st;
	free(tu_run(&st, "%s off", rig));
	free(rig);
}

static void test_fetch_pipelined(void **state)
{
	(void)state;
	free(st_imap("create Pipe"));
	free(st_imap("appendmany Pipe %d pipe 2000", MSGS));
	char *rig = st_rawlog();
	struct st_result r = logged_pass(rig);
	assert_int_equal(r.stats.fetched, MSGS);
	assert_int_equal(st_sent_count(rig, "^[^ ]+ UID FETCH [0-9:,]+ \\(UID FLAGS INTERNALDATE BODY\\.PEEK\\[\\]\\)$"),
			 (MSGS + 63) / 64);
	/* the first batch (the newest, for the reader) goes alone; the three
	 * after the second were sent behind it */
	assert_true(r.stats.round_trips + (MSGS + 63) / 64 - 2 <= r.stats.commands);
	assert_int_equal(st_count_files(st_local("Pipe")), MSGS);
	settled(rig);
}

static void set_flags(unsigned from, unsigned to, const char *letters)
{
	for (unsigned uid = from; uid <= to; uid++) {
		char *path = st_find_uid(st_local("Pipe"), uid);
		assert_non_null(path);
		st_set_local_flags(path, letters);
		free(path);
	}
}

static void test_store_per_change(void **state)
{
	(void)state;
	set_flags(1, 10, "S");
	set_flags(11, 15, "F");
	set_flags(20, 20, "FS");
	set_flags(30, 40, "S");
	char *rig = st_rawlog();
	struct st_result r = logged_pass(rig);
	assert_int_equal(r.stats.pushed, 10 + 5 + 1 + 11);
	/* three distinct changes, three commands, 27 messages */
	assert_int_equal(st_sent_count(rig, "^[^ ]+ UID STORE "), 3);
	assert_int_equal(st_sent_count(rig, "^[^ ]+ UID STORE 1:10,30:40 \\+FLAGS\\.SILENT \\(\\\\Seen\\)$"), 1);
	assert_int_equal(st_sent_count(rig, "^[^ ]+ UID STORE 11:15 \\+FLAGS\\.SILENT \\(\\\\Flagged\\)$"), 1);
	assert_int_equal(st_sent_count(rig, "^[^ ]+ UID STORE 20 \\+FLAGS\\.SILENT \\(\\\\Flagged \\\\Seen\\)$"), 1);
	assert_true(r.stats.round_trips < r.stats.commands);
	/* the server has them (Maildir letters) */
	char *out = st_imap("uidflags %s 35", st_server("Pipe"));
	assert_string_equal(out, "S\n");
	free(out);
	out = st_imap("uidflags %s 20", st_server("Pipe"));
	assert_string_equal(out, "FS\n");
	free(out);
	/* and back: the removals are grouped the same way */
	set_flags(1, 10, "");
	set_flags(30, 40, "");
	logged_pass(rig);
	assert_int_equal(st_sent_count(rig, "^[^ ]+ UID STORE 1:10,30:40 -FLAGS\\.SILENT \\(\\\\Seen\\)$"), 1);
	assert_int_equal(st_sent_count(rig, "^[^ ]+ UID STORE "), 1);
	settled(rig);
}

int main(void)
{
	st_test_filter();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetch_pipelined),
		cmocka_unit_test(test_store_per_change),
	};
	return cmocka_run_group_tests(tests, st_group_setup, st_group_teardown);
}
