/* test_mutf7.c - modified UTF-7 mailbox names. */
#include <stdlib.h>
#include <string.h>

#include "mutf7.h"
#include "testutil.h"

static void both(const char *utf8, const char *m7)
{
	char *d = mutf7_decode(m7);
	assert_non_null(d);
	assert_string_equal(d, utf8);
	char *e = mutf7_encode(utf8);
	assert_non_null(e);
	assert_string_equal(e, m7);
	free(d);
	free(e);
}

static void test_round_trip(void **state)
{
	(void)state;
	both("INBOX", "INBOX");
	both("", "");
	both("a&b", "a&-b");
	both("&", "&-");
	both("Éléments envoyés", "&AMk-l&AOk-ments envoy&AOk-s");
	both("日本語", "&ZeVnLIqe-");
	both("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	both("\xF0\x9F\x93\xA7 mail", "&2D3c5w- mail"); /* U+1F4E7: a surrogate pair */
	both("tab\there", "tab&AAk-here");
}

static void test_bad_input(void **state)
{
	(void)state;
	const char *bad[] = {
		"&",          /* unterminated */
		"&AGE",       /* unterminated shift */
		"&AGE-",      /* encodes 'a', which must be written directly */
		"&2D3-",      /* lone high surrogate */
		"&3-c-",      /* junk */
		"&AMk!-",     /* bad base64 */
		"caf\xC3\xA9", /* raw 8-bit */
		"&AMl-",      /* non-zero padding bits */
		"&AOk-&AOk-", /* two shifts that must have been one (found by fuzz_mutf7) */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *d = mutf7_decode(bad[i]);
		if (d)
			fail_msg("accepted '%s' as '%s'", bad[i], d);
	}
	assert_null(mutf7_encode("caf\xE9"));          /* Latin-1, not UTF-8 */
	assert_null(mutf7_encode("\xED\xA0\x80"));     /* encoded surrogate */
	assert_null(mutf7_encode("\xC0\xAF"));         /* overlong '/' */
}

static void test_hostile_names_survive(void **state)
{
	(void)state;
	/* control characters and shell metacharacters decode as what they are;
	 * making them safe is the display and store layers' job */
	char *d = mutf7_decode("$(rm -rf ~)`x`&ABs-[2J");
	assert_non_null(d);
	assert_string_equal(d, "$(rm -rf ~)`x`\x1b[2J");
	char *e = mutf7_encode(d);
	assert_string_equal(e, "$(rm -rf ~)`x`&ABs-[2J");
	free(d);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_hostile_names_survive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
