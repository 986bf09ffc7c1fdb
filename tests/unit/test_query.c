/* test_query.c - query_command: mutt's protocol, the query only in $1. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query.h"
#include "testutil.h"
#include "util.h"

static void test_command_line(void **state)
{
	(void)state;
	struct {
		const char *in, *out;
	} cases[] = {
		{ "khard email --parsable '%s'", "khard email --parsable ''\"$1\"''" },
		{ "abook --mutt-query \"%s\"", "abook --mutt-query \"$1\"" },
		{ "lbdbq %s", "lbdbq \"$1\"" },
		{ "goobook query", "goobook query \"$1\"" },
		{ "echo 100%% '%s' \\'%s", "echo 100% ''\"$1\"'' \\'\"$1\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = query_command_line(cases[i].in);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

static void test_parse(void **state)
{
	(void)state;
	static const char out[] = "Searching database ... found 3 matching entries\r\n"
				  "ann@example.org\tAnn Example\twork\r\n"
				  "bob@example.org\tBob\x1b[31m B\n"
				  "not an address\tX\tY\n"
				  "\n"
				  "carol@example.org\n";
	struct query_results r;
	query_parse(out, sizeof(out) - 1, &r);
	assert_string_equal(r.status, "Searching database ... found 3 matching entries");
	assert_int_equal(r.n, 3);
	assert_string_equal(r.v[0].other, "work");
	assert_string_equal(r.v[1].name, "Bob [31m B"); /* no escape reaches the screen */
	assert_string_equal(r.v[2].address, "carol@example.org");
	assert_string_equal(r.v[2].name, "");
	char *f = query_result_format(&r.v[0]);
	assert_string_equal(f, "Ann Example <ann@example.org>");
	free(f);
	query_results_clear(&r);
	query_parse("", 0, &r);
	assert_int_equal(r.n, 0);
	assert_string_equal(r.status, "");
	query_results_clear(&r);
}

/* A khard-like address book: a status line, then the matching entries;
 * exit 1 when nothing matches (as khard does); records its $1. */
static char *book(const char *dir)
{
	char *script = xasprintf("#!/bin/sh\n"
				 "printf '%%s' \"$1\" > %s/got\n"
				 "echo 'searching...'\n"
				 "printf 'ann@example.org\\tAnn Example\\twork\\nbob@example.org\\tBob\\thome\\n' | grep -i -- \"$1\" "
				 "|| exit 1\n",
				 dir);
	char *path = tu_write(dir, "book", script, 0755);
	free(script);
	return path;
}

static void test_run(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *prog = book(dir);
	char *cmd = xasprintf("%s '%%s'", prog);
	struct query_results r;
	char *err = NULL;
	assert_true(query_run(cmd, "ANN", 0, &r, &err));
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].address, "ann@example.org");
	query_results_clear(&r);
	/* nothing found, exit 1: no results, no error */
	assert_true(query_run(cmd, "zed", 0, &r, &err));
	assert_int_equal(r.n, 0);
	query_results_clear(&r);
	/* the query is data: quotes and $(...) reach the script unchanged */
	char *marker = xasprintf("%s/pwned", dir);
	char *evil = xasprintf("x' \"; touch %s; $(touch %s) `touch %s` '", marker, marker, marker);
	assert_true(query_run(cmd, evil, 0, &r, &err));
	query_results_clear(&r);
	char *gotp = xasprintf("%s/got", dir), *got = tu_read(gotp);
	assert_string_equal(got, evil);
	assert_int_not_equal(access(marker, F_OK), 0);
	free(got);
	/* failures */
	assert_false(query_run("exit 3", "a", 0, &r, &err));
	assert_string_equal(err, "query_command failed (exit status 3)");
	free(err);
	assert_false(query_run("sleep 30 # %s", "a", 200, &r, &err));
	if (!strstr(err, "did not finish"))
		fail_msg("%s", err);
	free(err);
	assert_false(query_run("echo s; yes a@example.org", "a", 0, &r, &err));
	assert_non_null(strstr(err, "printed more than"));
	free(err);
	free(gotp);
	free(evil);
	free(marker);
	free(cmd);
	free(prog);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_line),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
