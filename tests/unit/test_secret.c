/* test_secret.c - password commands: first line, errors, no shell data. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secret.h"
#include "testutil.h"
#include "util.h"

static char *run_ok(const char *cmd)
{
	char *out = NULL, *err = NULL;
	enum secret_status st = secret_run("imap_pass_cmd", cmd, &out, &err);
	if (st != SECRET_OK)
		fail_msg("%s: %s", cmd, err);
	return out;
}

static void test_first_line(void **state)
{
	(void)state;
	char *s = run_ok("printf 'hunter2\\nsecond\\n'");
	assert_string_equal(s, "hunter2");
	secret_free(&s);
	assert_null(s);
	s = run_ok("printf 'no newline'");
	assert_string_equal(s, "no newline");
	secret_free(&s);
	s = run_ok("printf 'crlf\\r\\n'");
	assert_string_equal(s, "crlf");
	secret_free(&s);
	s = run_ok("printf ' spaces kept '");
	assert_string_equal(s, " spaces kept ");
	secret_free(&s);
}

static void test_errors(void **state)
{
	(void)state;
	char *out = NULL, *err = NULL;
	assert_int_equal(secret_run("imap_pass_cmd", "echo leaked; exit 7", &out, &err), SECRET_ERR_EXIT);
	assert_null(out);
	assert_string_equal(err, "imap_pass_cmd failed (exit status 7)");
	assert_null(strstr(err, "leaked"));
	free(err);
	assert_int_equal(secret_run("imap_oauth_cmd", "true", &out, &err), SECRET_ERR_EMPTY);
	assert_string_equal(err, "imap_oauth_cmd printed nothing");
	free(err);
	assert_int_equal(secret_run("imap_pass_cmd", "kill -9 $$", &out, &err), SECRET_ERR_EXIT);
	assert_non_null(strstr(err, "signal 9"));
	free(err);
	/* a huge first line is refused, and the child is not left blocked */
	assert_int_equal(secret_run("imap_pass_cmd", "head -c 100000 /dev/zero | tr '\\0' x", &out, &err),
			 SECRET_ERR_TOOBIG);
	free(err);
	/* lots after the first line is fine */
	out = run_ok("echo pw; head -c 1000000 /dev/zero");
	assert_string_equal(out, "pw");
	secret_free(&out);
}

static void test_stdin_is_not_ours(void **state)
{
	(void)state;
	/* the command reads /dev/null, never the terminal the UI owns */
	char *s = run_ok("if read x; then echo got-input; else echo eof; fi");
	assert_string_equal(s, "eof");
	secret_free(&s);
}

static void test_wipe(void **state)
{
	(void)state;
	char buf[8] = "secret!";
	secret_wipe(buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	char *s = NULL;
	secret_free(&s); /* NULL-safe */
}

static void test_feed(void **state)
{
	(void)state;
	char *dir = tu_tmpdir(), *err = NULL;
	char *cmd = xasprintf("cat > '%s/got'", dir), *path = xasprintf("%s/got", dir);
	assert_int_equal(secret_feed("oauth_store_cmd", cmd, "1//tok en\\x", &err), SECRET_OK);
	assert_null(err);
	char *got = tu_read(path);
	assert_string_equal(got, "1//tok en\\x"); /* as is: no newline, no shell on it */
	free(got);
	assert_int_equal(secret_feed("oauth_store_cmd", "cat >/dev/null; exit 4", "x", &err), SECRET_ERR_EXIT);
	assert_string_equal(err, "oauth_store_cmd failed (exit status 4)");
	free(err);
	/* a command that never reads: no SIGPIPE for us, its status reported */
	assert_int_equal(secret_feed("oauth_store_cmd", "exec 0<&-; kill -9 $$", "x", &err), SECRET_ERR_EXIT);
	assert_non_null(strstr(err, "signal 9"));
	free(err);
	free(cmd);
	free(path);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_line),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_stdin_is_not_ours),
		cmocka_unit_test(test_wipe),
		cmocka_unit_test(test_feed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
