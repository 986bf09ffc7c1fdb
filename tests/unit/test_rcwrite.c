/* test_rcwrite.c - adding an account to an rc: quoting that nothing can
 * escape, never clobbering, backups, modes, links, secret files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "rcwrite.h"
#include "testutil.h"
#include "util.h"

static char *tmp;

static int setup(void **state)
{
	(void)state;
	tmp = tu_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmtree(tmp);
	free(tmp);
	return 0;
}

/* Parse "account t\nset from = QUOTED" and return what from became. */
static char *roundtrip(const char *value)
{
	char *q = rcwrite_quote(value);
	assert_non_null(q);
	char *text = xasprintf("account t\nset from = %s\n", q);
	conf_t *c = conf_new();
	assert_int_equal(conf_load_string(c, "t.rc", text), 0);
	char *got = xstrdup(conf_str(c, 0, OPT_ID_from));
	assert_false(conf_is_set(c, 0, OPT_ID_imap_pass));
	conf_free(&c);
	free(text);
	free(q);
	return got;
}

static void test_quote_roundtrip(void **state)
{
	(void)state;
	static const char *const values[] = {
		"Alice <alice@example.org>", "a \"quoted\" name", "back\\slash \\n not a newline",
		"hash # and = and ; and $HOME and ~ and 'single'", "two\nlines\tand tab\rcr\033esc",
		"x\"\nset imap_pass = \"evil", "ends with a backslash \\", "", "Ünïcödé ✓",
	};
	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		char *got = roundtrip(values[i]);
		assert_string_equal(got, values[i]);
		free(got);
	}
}

static void test_quote_refuses_controls(void **state)
{
	(void)state;
	assert_null(rcwrite_quote("bell\a"));
	assert_null(rcwrite_quote("del\x7f"));
	char *q = rcwrite_quote("ok");
	assert_string_equal(q, "\"ok\"");
	free(q);
}

static void test_shell_quote(void **state)
{
	(void)state;
	const char *v = "it's $(rm -rf /) `x` \"y\" \\ ;|&";
	char *q = rcwrite_shell_quote(v);
	char *f = xasprintf("%s/out", tmp);
	int st;
	char *out = tu_run(&st, "printf %%s %s > %s", q, f);
	free(out);
	assert_int_equal(st, 0);
	char *got = tu_read(f);
	assert_string_equal(got, v);
	free(got);
	free(f);
	free(q);
}

static const struct rc_setting settings[] = {
	{ "imap_url", "imaps://alice%40example.org@imap.example.org" },
	{ "imap_pass_cmd", "pass show 'mail/work'" },
	{ "from", "Alice \"Al\" Example <alice@example.org>" },
};

static void test_block_checks(void **state)
{
	(void)state;
	char *err;
	assert_null(rcwrite_block("bad name", settings, 1, NULL, &err));
	assert_non_null(strstr(err, "account name"));
	free(err);
	struct rc_setting global = { "editor", "vi" };
	assert_null(rcwrite_block("ok", &global, 1, NULL, &err));
	free(err);
	struct rc_setting bad = { "from", "a\x01" };
	assert_null(rcwrite_block("ok", &bad, 1, NULL, &err));
	free(err);
	char *b = rcwrite_block("ok", settings, 1, "comment\nset imap_pass = x", &err);
	assert_non_null(b);
	assert_null(strstr(b, "set imap_pass"));
	free(b);
}

static void test_new_file(void **state)
{
	(void)state;
	char *path = xasprintf("%s/conf/muttlike/muttlike.rc", tmp);
	char *backup, *err = NULL;
	assert_int_equal(rcwrite_append_account(path, "work", settings, ARRAY_SIZE(settings), &backup, &err), 0);
	assert_null(backup);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *dir = xasprintf("%s/conf/muttlike", tmp);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	conf_t *c = conf_new();
	assert_int_equal(conf_load_file(c, path), 0);
	assert_int_equal(conf_account_count(c), 1);
	assert_string_equal(conf_str(c, 0, OPT_ID_from), settings[2].value);
	assert_string_equal(conf_str(c, 0, OPT_ID_imap_pass_cmd), settings[1].value);
	conf_free(&c);
	free(dir);
	free(path);
}

static void test_existing_file_kept(void **state)
{
	(void)state;
	/* no final newline, and a dangling continuation on the last line */
	const char *old = "set editor = vim\naccount personal\nset imap_url = \"imaps://bob@mail.example.net\"\n"
			  "# trailing comment \\";
	char *path = tu_write(tmp, "muttlike.rc", old, 0640);
	char *backup, *err = NULL;
	assert_int_equal(rcwrite_append_account(path, "work", settings, ARRAY_SIZE(settings), &backup, &err), 0);
	assert_non_null(backup);
	char *b = tu_read(backup);
	assert_string_equal(b, old);
	char *now = tu_read(path);
	assert_memory_equal(now, old, strlen(old));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	conf_t *c = conf_new();
	assert_int_equal(conf_load_file(c, path), 0);
	assert_int_equal(conf_account_count(c), 2);
	assert_string_equal(conf_str(c, 0, OPT_ID_imap_url), "imaps://bob@mail.example.net");
	assert_string_equal(conf_str(c, 1, OPT_ID_imap_url), settings[0].value);
	conf_free(&c);
	/* a second run makes a second backup, not overwriting the first */
	char *backup2;
	const struct rc_setting one = { "from", "x@example.org" };
	assert_int_equal(rcwrite_append_account(path, "third", &one, 1, &backup2, &err), 0);
	assert_string_not_equal(backup, backup2);
	free(backup2);
	free(now);
	free(b);
	free(backup);
	free(path);
}

static void test_duplicate_refused(void **state)
{
	(void)state;
	const char *old = "account work\nset from = a@example.org\n";
	char *path = tu_write(tmp, "dup.rc", old, 0600);
	char *backup, *err = NULL;
	assert_int_equal(rcwrite_append_account(path, "work", settings, 1, &backup, &err), -1);
	assert_non_null(strstr(err, "already has an account"));
	char *now = tu_read(path);
	assert_string_equal(now, old);
	char *bak = xasprintf("%s.bak", path);
	assert_int_not_equal(access(bak, F_OK), 0);
	char *name = rcwrite_free_account_name(path, "work");
	assert_string_equal(name, "work-2");
	free(name);
	name = rcwrite_free_account_name(path, "we ird/na..me");
	assert_string_equal(name, "we-ird-na..me");
	free(name);
	free(bak);
	free(now);
	free(err);
	free(path);
}

static void test_symlink_followed(void **state)
{
	(void)state;
	char *real = tu_write(tmp, "dotfiles.rc", "set editor = vi\n", 0600);
	char *link = xasprintf("%s/link.rc", tmp);
	assert_int_equal(symlink(real, link), 0);
	char *backup, *err = NULL;
	assert_int_equal(rcwrite_append_account(link, "work", settings, 1, &backup, &err), 0);
	struct stat st;
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	char *now = tu_read(real);
	assert_non_null(strstr(now, "account work"));
	free(now);
	free(backup);
	free(link);
	free(real);
}

static void test_secret_file(void **state)
{
	(void)state;
	char *path = xasprintf("%s/secrets/work.pass", tmp);
	char *err = NULL;
	assert_int_equal(rcwrite_secret_file(path, "s3cret", &err), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *s = tu_read(path);
	assert_string_equal(s, "s3cret\n");
	free(s);
	assert_int_equal(rcwrite_secret_file(path, "other", &err), -1);
	free(err);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_roundtrip),
		cmocka_unit_test(test_quote_refuses_controls),
		cmocka_unit_test_setup_teardown(test_shell_quote, setup, teardown),
		cmocka_unit_test(test_block_checks),
		cmocka_unit_test_setup_teardown(test_new_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_file_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
