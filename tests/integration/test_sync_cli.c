/* test_sync_cli.c - the `muttlike sync` and `muttlike search` contracts:
 * exit statuses, quiet output off a terminal, one-line errors, the guard's
 * hint, search lines with sanitized fields. */
#include "sync_helpers.h"

static char *rcfile;

static char *ml(int *st, const char *args)
{
	return tu_run(st, "'%s' -F '%s' %s", tu_env("MUTTLIKE_BIN"), rcfile, args);
}

static void test_sync_quiet_and_ok(void **state)
{
	(void)state;
	st_populate(41, 120, NULL);
	int st;
	char *out = ml(&st, "sync");
	assert_int_equal(st, 0);
	assert_string_equal(out, ""); /* not a terminal: nothing to say */
	free(out);
	assert_int_equal(st_compare(), 0);
	out = ml(&st, "sync test");
	assert_int_equal(st, 0);
	free(out);
}

static void test_search_lines(void **state)
{
	(void)state;
	char *f = tu_write(E.tmp, "evil.eml",
			   "From: Mallory <m@example.org>\nSubject: =?UTF-8?B?G1szMW1yZWQbWzBt?= \x1b]0;title\x07 x\n"
			   "Message-ID: <evil-1@test>\nDate: Tue, 02 Jan 2024 10:00:00 +0000\n\nbody\n",
			   0600);
	free(st_imap("append INBOX '%s'", f));
	free(f);
	int st;
	free(ml(&st, "sync"));
	assert_int_equal(st, 0);
	char *out = ml(&st, "search id:evil-1@test");
	assert_int_equal(st, 0);
	assert_null(strchr(out, '\x1b'));
	assert_null(strchr(out, '\x07'));
	/* date, from, subject, folder */
	size_t tabs = 0;
	for (char *p = out; *p; p++)
		tabs += *p == '\t';
	assert_int_equal(tabs, 3);
	assert_non_null(strstr(out, "\ttest/INBOX\n"));
	assert_non_null(strstr(out, "2024-01-02"));
	free(out);
	out = ml(&st, "search 'tag:account:test'");
	assert_int_equal(st, 0);
	size_t lines = 0;
	for (char *p = out; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, st_count_files(NULL));
	free(out);
	out = ml(&st, "search");
	assert_int_equal(st, 2);
	free(out);
}

static void test_usage_errors(void **state)
{
	(void)state;
	int st;
	char *out = ml(&st, "sync nosuchaccount");
	assert_int_equal(st, 2);
	assert_non_null(strstr(out, "nosuchaccount"));
	free(out);
	out = ml(&st, "sync --bogus");
	assert_int_equal(st, 2);
	free(out);
}

static void test_guard_exit_and_hint(void **state)
{
	(void)state;
	free(st_imap("expunge-all INBOX"));
	int st;
	char *out = ml(&st, "sync");
	assert_int_equal(st, 1);
	assert_non_null(strstr(out, "--allow-deletes"));
	assert_non_null(strstr(out, "INBOX"));
	assert_true(st_count_files("INBOX") > 20);
	free(out);
	out = ml(&st, "sync --allow-deletes INBOX");
	assert_int_equal(st, 0);
	free(out);
	assert_int_equal(st_count_files("INBOX"), 0);
}

static void test_bad_password(void **state)
{
	(void)state;
	char *rc = xasprintf("set data_dir = \"%s\"\naccount test\nset imap_url = \"imaps://%s@%s:%s\"\n"
			     "set imap_pass_cmd = \"echo wrong\"\nset tls_ca_file = \"%s\"\n",
			     E.data, tu_env("RIG_USER"), tu_env("RIG_HOST"), tu_env("RIG_IMAPS_PORT"), tu_env("RIG_CA"));
	char *bad = tu_write(E.tmp, "bad.rc", rc, 0600);
	int st;
	char *out = tu_run(&st, "'%s' -F '%s' sync", tu_env("MUTTLIKE_BIN"), bad);
	assert_int_equal(st, 1);
	assert_non_null(strstr(out, "muttlike: "));
	assert_null(strstr(out, "wrong")); /* the secret never reaches the output */
	free(out);
	free(bad);
	free(rc);
}

/* issue 17, item 3: -d works for sync and check (before or after the
 * subcommand): debug lines in data_dir/log, the password never there. */
static size_t log_count(const char *what)
{
	int st;
	char *out = tu_run(&st, "grep -cF -- '%s' '%s/log' 2>/dev/null", what, E.data);
	size_t n = strtoul(out, NULL, 10);
	free(out);
	return n;
}

static void test_debug_every_command(void **state)
{
	(void)state;
	int st;
	char *out = ml(&st, "sync");
	assert_int_equal(st, 0);
	free(out);
	assert_int_equal(log_count("[debug]"), 0); /* log_level info */
	out = ml(&st, "sync -d");
	assert_int_equal(st, 0);
	assert_string_equal(out, ""); /* still quiet off a terminal */
	free(out);
	size_t after_sync = log_count("[debug]");
	assert_true(after_sync > 0);
	assert_true(log_count("logging in as") > 0);
	out = tu_run(&st, "'%s' -F '%s' -d check test", tu_env("MUTTLIKE_BIN"), rcfile);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "logged in"));
	free(out);
	size_t after_check = log_count("[debug]");
	assert_true(after_check > after_sync);
	out = ml(&st, "check -d test");
	assert_int_equal(st, 0);
	free(out);
	assert_true(log_count("[debug]") > after_check);
	out = ml(&st, "search -d tag:inbox");
	assert_int_equal(st, 0);
	free(out);
	assert_int_equal(log_count(tu_env("RIG_PASS")), 0); /* the secret is never logged */
}

/* issue 17, item 4: a read-only data_dir is named as not writable, once
 * (not "is another muttlike writing to it?", not twice).  The index is
 * created at the first sync, so a data_dir without one needs it at once. */
static void test_readonly_data_dir(void **state)
{
	(void)state;
	char *data = xasprintf("%s/rodata", E.tmp);
	char *rc = xasprintf("set data_dir = \"%s\"\naccount test\nset imap_url = \"imaps://%s@%s:%s\"\n"
			     "set imap_pass_cmd = \"echo %s\"\nset tls_ca_file = \"%s\"\n"
			     "account other\nset imap_url = \"imaps://%s@%s:%s\"\n"
			     "set imap_pass_cmd = \"echo %s\"\nset tls_ca_file = \"%s\"\n",
			     data, tu_env("RIG_USER"), tu_env("RIG_HOST"), tu_env("RIG_IMAPS_PORT"), tu_env("RIG_PASS"),
			     tu_env("RIG_CA"), tu_env("RIG_USER"), tu_env("RIG_HOST"), tu_env("RIG_IMAPS_PORT"),
			     tu_env("RIG_PASS"), tu_env("RIG_CA"));
	char *rcf = tu_write(E.tmp, "ro.rc", rc, 0600);
	int st;
	char *out = tu_run(&st, "mkdir -p '%s/mail' '%s/state'", data, data);
	free(out);
	/* a private mount namespace: the read-only bind mount goes with the command */
	out = tu_run(&st,
		     "unshare -m --propagation private sh -c \"mount --bind '%s' '%s' && "
		     "mount -o remount,bind,ro '%s' && exec '%s' -F '%s' sync\"",
		     data, data, data, tu_env("MUTTLIKE_BIN"), rcf);
	assert_int_equal(st, 1);
	if (!strstr(out, "/mail is not writable (Read-only file system)") || strstr(out, "writing to it?"))
		fail_msg("not the reason wanted: %s", out);
	size_t lines = 0;
	for (const char *p = out; *p; p++)
		lines += *p == '\n';
	if (lines != 1) /* two accounts, one store: said once */
		fail_msg("wanted one line, got %zu: %s", lines, out);
	free(out);
	free(rcf);
	free(rc);
	free(data);
}

static int setup(void **state)
{
	(void)state;
	st_setup_env();
	/* imap_pass_cmd: imap_pass in a file would draw a warning. */
	char *rc = xasprintf("set data_dir = \"%s\"\naccount test\nset imap_url = \"imaps://%s@%s:%s\"\n"
			     "set imap_pass_cmd = \"echo %s\"\nset tls_ca_file = \"%s\"\n",
			     E.data, tu_env("RIG_USER"), tu_env("RIG_HOST"), tu_env("RIG_IMAPS_PORT"), tu_env("RIG_PASS"),
			     tu_env("RIG_CA"));
	rcfile = tu_write(E.tmp, "test.rc", rc, 0600);
	free(rc);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(rcfile);
	st_teardown_env();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sync_quiet_and_ok),
		cmocka_unit_test(test_search_lines),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_guard_exit_and_hint),
		cmocka_unit_test(test_bad_password),
		cmocka_unit_test(test_debug_every_command),
		cmocka_unit_test(test_readonly_data_dir),
	};
	st_test_filter();
	return cmocka_run_group_tests(tests, setup, teardown);
}
