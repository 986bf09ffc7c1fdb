/* test_tagdump.c - notmuch's dump format: the lines `notmuch dump` 0.37
 * writes (taken from its output), written and parsed back. */
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "tagdump.h"
#include "util.h"

/* What notmuch 0.37 printed for these tags and Message-IDs. */
static const struct {
	const char *id;
	const char *tags[6];
	const char *line;
} notmuch_lines[] = {
	{ "plain@x", { "A-Z_@=.,+9", "account:test", "x/y!#$&*;<>?[]^`{|}~'" },
	  "+A-Z_@=.,+9 +account%3atest +x%2fy%21%23%24%26%2a%3b%3c%3e%3f%5b%5d%5e%60%7b%7c%7d%7e%27 -- id:plain@x\n" },
	{ "\xc3\xbcn\xc3\xaf@x", { "a(b)", "sp ace", "unread", "weird%tag", "\xc3\xbc" },
	  "+a%28b%29 +sp%20ace +unread +weird%25tag +%c3%bc -- id:\"\xc3\xbcn\xc3\xaf@x\"\n" },
	{ "weird\"id)@x", { "x" }, "+x -- id:\"weird\"\"id)@x\"\n" },
	{ "pa(ren@y", { "unread" }, "+unread -- id:\"pa(ren@y\"\n" },
	{ "plain@x", { NULL }, " -- id:plain@x\n" },
	{ "notmuch-sha1-7dc98cb1", { "unread" }, "+unread -- id:notmuch-sha1-7dc98cb1\n" },
};

static size_t ntags(const char *const *v)
{
	size_t n = 0;
	while (n < 6 && v[n])
		n++;
	return n;
}

static void test_format_as_notmuch(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(notmuch_lines); i++) {
		struct strbuf b;
		strbuf_init(&b);
		tagdump_format_line(&b, notmuch_lines[i].id, notmuch_lines[i].tags, ntags(notmuch_lines[i].tags));
		assert_string_equal(b.s, notmuch_lines[i].line);
		strbuf_free(&b);
	}
}

static void test_parse_back(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(notmuch_lines); i++) {
		char *line = xstrdup(notmuch_lines[i].line);
		char **tags, *id;
		size_t n;
		assert_int_equal(tagdump_parse_line(line, &tags, &n, &id), 1);
		assert_string_equal(id, notmuch_lines[i].id);
		assert_int_equal(n, ntags(notmuch_lines[i].tags));
		for (size_t k = 0; k < n; k++)
			assert_string_equal(tags[k], notmuch_lines[i].tags[k]);
		free(tags);
		free(line);
	}
}

static void test_parse_other_lines(void **state)
{
	(void)state;
	static const char *const skipped[] = { "#notmuch-dump batch-tag:3 tags\n", "\n", "", "   \n", "# x\n" };
	static const char *const bad[] = { "+a +b\n", "+a -- \n", "+a -- id:\"open\n", "+a%zz -- id:x\n",
					   "a -- id:x\n", "+a -- tag:x\n", "+ -- id:x\n", "+a -- id:x)\n" };
	char **tags, *id;
	size_t n;
	for (size_t i = 0; i < ARRAY_SIZE(skipped); i++) {
		char *l = xstrdup(skipped[i]);
		assert_int_equal(tagdump_parse_line(l, &tags, &n, &id), 0);
		free(l);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *l = xstrdup(bad[i]);
		if (tagdump_parse_line(l, &tags, &n, &id) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_null(tags);
		free(l);
	}
	/* "-tag" (restore's removal) is read and left out of the set. */
	char *l = xstrdup("+a -b +c -- id:m@x");
	assert_int_equal(tagdump_parse_line(l, &tags, &n, &id), 1);
	assert_int_equal(n, 2);
	assert_string_equal(tags[1], "c");
	assert_string_equal(id, "m@x");
	free(tags);
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_as_notmuch),
		cmocka_unit_test(test_parse_back),
		cmocka_unit_test(test_parse_other_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
