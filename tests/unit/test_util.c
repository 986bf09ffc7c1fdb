/* test_util.c - util, keys, log redaction and text sanitizing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "keys.h"
#include "log.h"
#include "text.h"
#include "util.h"

static void test_strbuf(void **state)
{
	(void)state;
	struct strbuf b;
	strbuf_init(&b);
	for (int i = 0; i < 1000; i++)
		strbuf_addf(&b, "%d,", i);
	assert_int_equal(strlen(b.s), b.len);
	assert_memory_equal(b.s, "0,1,2,", 6);
	strbuf_reset(&b);
	assert_string_equal(b.s, "");
	strbuf_addc(&b, 'x');
	char *s = strbuf_detach(&b);
	assert_string_equal(s, "x");
	assert_null(b.s);
	free(s);
	s = strbuf_detach(&b); /* empty buffer gives "" not NULL */
	assert_string_equal(s, "");
	free(s);
}

static void test_edit_distance(void **state)
{
	(void)state;
	assert_int_equal(util_edit_distance("timeout", "timout", 3), 1);
	assert_int_equal(util_edit_distance("abc", "abc", 3), 0);
	assert_int_equal(util_edit_distance("", "abc", 3), 3);
	assert_int_equal(util_edit_distance("kitten", "sitting", 5), 3);
	assert_int_equal(util_edit_distance("a", "something long", 3), 4); /* capped */
}

static void test_parse_long(void **state)
{
	(void)state;
	long v;
	assert_true(util_parse_long("42", 0, 100, &v));
	assert_int_equal(v, 42);
	assert_false(util_parse_long("101", 0, 100, &v));
	assert_false(util_parse_long("", 0, 100, &v));
	assert_false(util_parse_long("4x", 0, 100, &v));
	assert_false(util_parse_long("99999999999999999999", 0, 100, &v));
	assert_true(util_parse_long("-5", -10, 0, &v));
	assert_int_equal(v, -5);
}

static void test_expand_path(void **state)
{
	(void)state;
	setenv("HOME", "/home/u", 1);
	setenv("ML_X", "val", 1);
	unsetenv("ML_UNSET");
	char *p = util_expand_path("~/a/$ML_X/${ML_X}b/$ML_UNSET/c$/~d/$");
	assert_string_equal(p, "/home/u/a/val/valb//c$/~d/$");
	free(p);
	p = util_expand_path("~user/x");
	assert_string_equal(p, "~user/x"); /* only a bare ~ is the home directory */
	free(p);
	p = util_expand_path("${ML_X");
	assert_string_equal(p, "${ML_X");
	free(p);
}

static void test_atomic_write_and_mkdirs(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *deep = xasprintf("%s/a/b/c", dir);
	assert_int_equal(util_mkdirs(deep, 0700), 0);
	assert_int_equal(util_mkdirs(deep, 0700), 0); /* exists: fine */
	char *f = xasprintf("%s/state", deep);
	assert_int_equal(util_write_file_atomic(f, "one", 3, 0600), 0);
	assert_int_equal(util_write_file_atomic(f, "two!", 4, 0600), 0);
	char *text = tu_read(f);
	assert_string_equal(text, "two!");
	struct stat st;
	assert_int_equal(stat(f, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *bad = xasprintf("%s/missing/dir/file", dir);
	assert_int_equal(util_write_file_atomic(bad, "x", 1, 0600), -1);
	tu_rmtree(dir);
	free(bad);
	free(text);
	free(f);
	free(deep);
	free(dir);
}

static void test_wipe(void **state)
{
	(void)state;
	char *s = xstrdup("hunter2");
	util_wipe_free(&s);
	assert_null(s);
	util_wipe_free(&s); /* NULL-safe */
}

static void test_keys_parse(void **state)
{
	(void)state;
	size_t n;
	char *err = NULL;
	int *k = keys_parse("<Esc>v^X\\Ca<F12><pageup>\\e\\tö", &n, &err);
	assert_non_null(k);
	assert_int_equal(n, 9);
	assert_int_equal(k[0], 27);
	assert_int_equal(k[1], 'v');
	assert_int_equal(k[2], 24);
	assert_int_equal(k[3], 1);
	assert_int_equal(k[4], KEYCODE_F0 + 12);
	assert_int_equal(k[5], KEYCODE_PAGEUP);
	assert_int_equal(k[6], 27);
	assert_int_equal(k[7], '\t');
	assert_int_equal(k[8], 0xF6);
	free(k);
	k = keys_parse("<", &n, &err); /* a lone < is the key itself */
	assert_non_null(k);
	assert_int_equal(k[0], '<');
	free(k);
	assert_null(keys_parse("<F25>", &n, &err));
	assert_non_null(strstr(err, "unknown key name <F25>"));
	free(err);
	assert_null(keys_parse("\xff", &n, &err));
	free(err);
	assert_null(keys_parse("<next-entry>", &n, &err));
	free(err);
	k = keys_parse_macro("<next-entry>x", &n, &err);
	assert_non_null(k);
	assert_int_equal(n, 2);
	assert_true(k[0] >= KEYCODE_FUNCTION);
	char *name = keys_name(k[0]);
	assert_string_equal(name, "<next-entry>");
	free(name);
	free(k);
}

static void test_keys_name_roundtrip(void **state)
{
	(void)state;
	int codes[] = { 'a', 27, 1, KEYCODE_UP, KEYCODE_F0 + 3, '\r', ' ', '\t', 0x263A, KEYCODE_BACKTAB };
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		char *name = keys_name(codes[i]);
		size_t n;
		char *err = NULL;
		int *k = keys_parse(name, &n, &err);
		if (!k || n != 1 || k[0] != codes[i])
			fail_msg("key %d named '%s' does not parse back", codes[i], name);
		free(k);
		free(name);
	}
}

static void test_functions_table(void **state)
{
	(void)state;
	size_t n;
	const struct fn_def *f = keys_functions(&n);
	assert_true(n > 50);
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(keys_function(f[i].name), &f[i]);
		assert_true(f[i].menus != 0);
	}
	assert_int_equal(keys_menu_bit("pager"), MENU_PAGER);
	assert_int_equal(keys_menu_bit("nope"), 0);
}

static void test_log_redaction(void **state)
{
	(void)state;
	bool in_auth = false;
	char *s = log_redact_line("a1 LOGIN alice \"hunter2\"", true, &in_auth);
	assert_string_equal(s, "a1 LOGIN <redacted>");
	assert_false(in_auth);
	free(s);
	s = log_redact_line("a2 AUTHENTICATE PLAIN AGFsaWNlAGh1bnRlcjI=", true, &in_auth);
	assert_string_equal(s, "a2 AUTHENTICATE PLAIN <redacted>");
	assert_true(in_auth);
	free(s);
	in_auth = false;
	s = log_redact_line("a3 AUTHENTICATE XOAUTH2", true, &in_auth);
	assert_string_equal(s, "a3 AUTHENTICATE XOAUTH2");
	assert_true(in_auth);
	free(s);
	s = log_redact_line("+ ", false, &in_auth);
	assert_true(in_auth);
	free(s);
	s = log_redact_line("dXNlcj1hbGljZQFhdXRoPUJlYXJlciB0b2tlbgEB", true, &in_auth);
	assert_string_equal(s, "<redacted>");
	free(s);
	s = log_redact_line("a3 OK done", false, &in_auth);
	assert_false(in_auth);
	free(s);
	s = log_redact_line("a4 SELECT INBOX", true, &in_auth);
	assert_string_equal(s, "a4 SELECT INBOX");
	free(s);
	s = log_redact_line("AUTH PLAIN AGFsaWNl", true, &in_auth); /* SMTP */
	assert_string_equal(s, "AUTH PLAIN <redacted>");
	free(s);
}

static void test_log_sink_and_level(void **state)
{
	(void)state;
	tu_log_capture_start();
	log_set_level(LOG_INFO);
	log_info("hello %d", 1);
	log_debug("hidden");
	log_error("bad");
	assert_string_equal(tu_log_captured(), "info: hello 1\nerror: bad\n");
	log_set_level(LOG_DEBUG);
	log_debug("now seen");
	assert_non_null(strstr(tu_log_captured(), "debug: now seen"));
	log_set_level(LOG_INFO);
	tu_log_capture_stop();
}

static void test_log_file(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *path = xasprintf("%s/log", dir);
	assert_int_equal(log_open_file(path), 0);
	log_warn("to the file");
	log_close_file();
	char *text = tu_read(path);
	assert_non_null(strstr(text, "[warn] to the file"));
	struct stat st;
	stat(path, &st);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(text);
	tu_rmtree(dir);
	free(path);
	free(dir);
}

static void test_sanitize(void **state)
{
	(void)state;
	static const char evil[] = "a\033[31mred\033]0;title\007 \xc2\x9b" "6n \xe2\x80\xae" "gpj.exe"
				   "\xe2\x80\x8bz\xff\xfe \xc3\xa9\xe6\x97\xa5\t\r\n.";
	char *s = text_sanitize(evil, sizeof(evil) - 1, false);
	assert_null(strchr(s, '\033'));
	assert_null(strstr(s, "\xc2\x9b"));
	assert_null(strstr(s, "\xe2\x80\xae"));
	assert_null(strstr(s, "\xe2\x80\x8b"));
	assert_null(strchr(s, '\r'));
	assert_null(strchr(s, '\n'));
	assert_non_null(strstr(s, "\xc3\xa9\xe6\x97\xa5")); /* é and 日 survive */
	assert_non_null(strstr(s, "\xef\xbf\xbd"));         /* bad bytes become U+FFFD */
	free(s);
	s = text_sanitize("l1\nl2", 5, true);
	assert_string_equal(s, "l1\nl2");
	free(s);
	s = text_sanitize("\xc0\xaf", 2, false); /* overlong '/' */
	assert_string_equal(s, "\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
	/* the exact result, so that the runs copied in one go are checked too */
	s = text_sanitize(evil, sizeof(evil) - 1, false);
	assert_string_equal(s, "a?[31mred?]0;title? ?6n ?gpj.exe?z\xef\xbf\xbd\xef\xbf\xbd \xc3\xa9\xe6\x97\xa5\t??.");
	free(s);
	s = text_sanitize("", 0, false);
	assert_string_equal(s, "");
	free(s);
	s = text_sanitize("end\xe2\x80", 5, false); /* truncated sequence at the end */
	assert_string_equal(s, "end\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
	assert_true(text_is_dangerous(0x2066));
	assert_false(text_is_dangerous('A'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strbuf),
		cmocka_unit_test(test_edit_distance),
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_expand_path),
		cmocka_unit_test(test_atomic_write_and_mkdirs),
		cmocka_unit_test(test_wipe),
		cmocka_unit_test(test_keys_parse),
		cmocka_unit_test(test_keys_name_roundtrip),
		cmocka_unit_test(test_functions_table),
		cmocka_unit_test(test_log_redaction),
		cmocka_unit_test(test_log_sink_and_level),
		cmocka_unit_test(test_log_file),
		cmocka_unit_test(test_sanitize),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
