/* test_watch.c - the pure parts of the push watch (watch.h): the untagged
 * lines heard during IDLE (NOTIFY's STATUS and LIST, a selected folder's
 * EXISTS/EXPUNGE/FETCH/VANISHED), the connection limit in a server's
 * refusal, and the wall-clock jump of a resume from suspend. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "watch.h"

static enum watch_news parse(const char *line, char **folder)
{
	return watch_parse_line(line, strlen(line), folder);
}

static void lines(void **state)
{
	(void)state;
	char *f = NULL;
	/* NOTIFY (RFC 5465) of a folder not selected: as Dovecot 2.3 sends it */
	assert_int_equal(parse("* STATUS Work (MESSAGES 1 UIDNEXT 2 UIDVALIDITY 1796549748 UNSEEN 1)", &f),
			 WATCH_FOLDER);
	assert_string_equal(f, "Work");
	free(f);
	assert_int_equal(parse("* STATUS \"a \\\"b\\\" c\" (MESSAGES 3 HIGHESTMODSEQ 9)", &f), WATCH_FOLDER);
	assert_string_equal(f, "a \"b\" c");
	free(f);
	/* a STATUS we cannot read (a literal name): every folder */
	assert_int_equal(parse("* STATUS {4}", &f), WATCH_ALL);
	assert_null(f);
	/* MailboxName / SubscriptionChange, an overflow */
	assert_int_equal(parse("* LIST () \"/\" Newf", &f), WATCH_ALL);
	assert_int_equal(parse("* LIST (\\NonExistent) \"/\" Gone", &f), WATCH_ALL);
	assert_int_equal(parse("* OK [NOTIFICATIONOVERFLOW] Too many", &f), WATCH_ALL);
	assert_null(f);
	/* the selected folder */
	assert_int_equal(parse("* 12 EXISTS", &f), WATCH_SELECTED);
	assert_int_equal(parse("* 3 EXPUNGE", &f), WATCH_SELECTED);
	assert_int_equal(parse("* 4 FETCH (UID 9 FLAGS (\\Seen) MODSEQ (12))", &f), WATCH_SELECTED);
	assert_int_equal(parse("* VANISHED 5:7", &f), WATCH_SELECTED);
	/* nothing that changes a folder */
	assert_int_equal(parse("* 0 RECENT", &f), WATCH_NOTHING);
	assert_int_equal(parse("+ idling", &f), WATCH_NOTHING);
	assert_int_equal(parse("* OK Still here", &f), WATCH_NOTHING);
	assert_int_equal(parse("* CAPABILITY IMAP4rev1 IDLE", &f), WATCH_NOTHING);
	assert_int_equal(parse("* 12EXISTS", &f), WATCH_NOTHING);
	assert_int_equal(parse("* 123456789012345 EXISTS", &f), WATCH_NOTHING);
	assert_int_equal(parse("* EXISTSX", &f), WATCH_NOTHING);
	/* the end of the connection or of the IDLE */
	assert_int_equal(parse("* BYE Server shutting down", &f), WATCH_BYE);
	assert_int_equal(parse("8 BAD Expected DONE", &f), WATCH_BYE);
	assert_int_equal(parse("", &f), WATCH_BYE);
	/* len counts, not the NUL: "* 1 EXISTS" cut before the verb */
	assert_int_equal(watch_parse_line("* 1 EXISTS", 4, &f), WATCH_NOTHING);
	assert_null(f);
}

static void refusal(void **state)
{
	(void)state;
	bool lim;
	assert_int_equal(watch_refusal_limit("[LIMIT] Maximum number of connections from user+IP exceeded "
					     "(mail_max_userip_connections=10)",
					     &lim),
			 10);
	assert_true(lim);
	assert_int_equal(watch_refusal_limit("Too many simultaneous connections", &lim), 0);
	assert_true(lim);
	assert_int_equal(watch_refusal_limit("[AUTHENTICATIONFAILED] Authentication failed.", &lim), 0);
	assert_false(lim);
	assert_int_equal(watch_refusal_limit(NULL, &lim), 0);
	assert_false(lim);
}

static void clock_jump(void **state)
{
	(void)state;
	/* both clocks moved on alike: no jump */
	assert_false(watch_clock_jumped(1000000, 5000, 1001000, 6000));
	assert_false(watch_clock_jumped(1000000, 5000, 1003900, 8000));
	/* an hour of suspend: the monotonic clock stood still */
	assert_true(watch_clock_jumped(1000000, 5000, 1000000 + 3600000 + 1000, 6000));
	/* the clock set back */
	assert_true(watch_clock_jumped(1000000, 5000, 990000, 6000));
	long long r0, m0, r1, m1;
	watch_clock_now(&r0, &m0);
	watch_clock_now(&r1, &m1);
	assert_false(watch_clock_jumped(r0, m0, r1, m1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines),
		cmocka_unit_test(refusal),
		cmocka_unit_test(clock_jump),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
