/* test_pattern.c - mutt patterns to notmuch queries, on a table. */
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "testutil.h"

static const struct {
	const char *in, *out;
} good[] = {
	/* notmuch syntax passes through untouched */
	{ "tag:inbox and from:carol", "tag:inbox and from:carol" },
	{ "not tag:spam", "not tag:spam" },
	{ "path:~backup/**", "path:~backup/**" },
	{ "*", "*" },
	/* fields */
	{ "~f carol", "from:\"carol\"" },
	{ "~s word", "subject:\"word\"" },
	{ "~s \"two words\"", "subject:\"two words\"" },
	{ "~s 'say \"hi\"'", "subject:\"say \"\"hi\"\"\"" },
	{ "~t bob@example.org", "to:\"bob@example.org\"" },
	{ "~c bob", "to:\"bob\"" },
	{ "~b invoice", "body:\"invoice\"" },
	{ "~B invoice", "\"invoice\"" },
	{ "~i abc@x", "id:\"abc@x\"" },
	{ "~y work", "tag:\"work\"" },
	{ "~L carol", "(from:\"carol\" or to:\"carol\")" },
	{ "~f ^car.l$", "from:\"/^car.l$/\"" },
	/* flags */
	{ "~N", "tag:unread" },
	{ "~U", "tag:unread" },
	{ "~R", "not tag:unread" },
	{ "~F", "tag:flagged" },
	{ "~Q", "tag:replied" },
	{ "~A", "*" },
	{ "~A ~F", "path:** and tag:flagged" },
	/* dates */
	{ "~d <1w", "date:1weeks.." },
	{ "~d >2m", "date:..2months" },
	{ "~d <36H", "date:36hours.." },
	{ "~d 01/03/2024-15/03/2024", "date:2024-03-01..2024-03-15" },
	{ "~d 01/03/2024-", "date:2024-03-01.." },
	{ "~d -01/03/24", "date:..2024-03-01" },
	{ "~d 1/3/2024", "date:2024-03-01..2024-03-01" },
	/* operators */
	{ "~f carol ~s word", "from:\"carol\" and subject:\"word\"" },
	{ "!~F", "not tag:flagged" },
	{ "! ~F", "not tag:flagged" },
	{ "~f a | ~f b", "from:\"a\" or from:\"b\"" },
	{ "~f a|~f b", "from:\"a\" or from:\"b\"" },
	{ "~N (~f a | ~f b)", "tag:unread and (from:\"a\" or from:\"b\")" },
	{ "(~f a|~f b)", "(from:\"a\" or from:\"b\")" },
	{ "!(~N|~F) ~d <1w", "not (tag:unread or tag:flagged) and date:1weeks.." },
	{ "  ~F  ", "tag:flagged" },
};

static const struct {
	const char *in, *needle; /* the message must name the problem */
} bad[] = {
	{ "~h X-Spam", "~h" },
	{ "~D", "~D" },
	{ "~O", "~O" },
	{ "~T", "~T" },
	{ "~z >1M", "~z" },
	{ "~W", "~W" },
	{ "~f", "~f needs a value" },
	{ "~s \"open", "quote" },
	{ "(~F", "(" },
	{ "~F)", ")" },
	{ "~N foo", "'f'" },
	{ "~d =1d", "=" },
	{ "~d <1x", "~d <1x" },
	{ "~d 32/13/2024", "DD/MM/YYYY" },
	{ "~b inv.*ice", "regular expressions" },
	{ "~f (", "regular expression" },
	{ "~s t+++++++++++++++", "too complex" },
	{ "~s a{1000}", "too complex" },
	{ "~F =s x", "=s" },
	{ "~", "letter" },
	{ "~F |", "ends" },
};

static void test_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *err = NULL;
		char *q = pattern_to_notmuch(good[i].in, &err);
		if (!q)
			fail_msg("'%s' refused: %s", good[i].in, err);
		if (strcmp(q, good[i].out) != 0)
			fail_msg("'%s' gave '%s', want '%s'", good[i].in, q, good[i].out);
		assert_null(err);
		free(q);
	}
}

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *err = NULL;
		char *q = pattern_to_notmuch(bad[i].in, &err);
		if (q)
			fail_msg("'%s' accepted as '%s'", bad[i].in, q);
		assert_non_null(err);
		if (!strstr(err, bad[i].needle))
			fail_msg("'%s': message '%s' does not name '%s'", bad[i].in, err, bad[i].needle);
		free(err);
	}
}

static void test_deep_nesting(void **state)
{
	(void)state;
	char deep[400];
	memset(deep, '(', 300);
	strcpy(deep + 300, "~F");
	char *err = NULL;
	assert_null(pattern_to_notmuch(deep, &err));
	assert_non_null(strstr(err, "deeply"));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_deep_nesting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
