/* test_url.c - the imap/smtp URLs of the rc (url_parse). */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "url.h"

static void test_url_parse(void **state)
{
	(void)state;
	struct url u;
	char *err;
	assert_true(url_parse("imaps://alice%40corp@imap.example.org", "imaps|imap", &u, &err));
	assert_string_equal(u.scheme, "imaps");
	assert_string_equal(u.user, "alice@corp");
	assert_string_equal(u.host, "imap.example.org");
	assert_int_equal(u.port, 0);
	assert_true(u.implicit_tls);
	url_clear(&u);
	assert_true(url_parse("IMAP://[::1]:1143/", "imaps|imap", &u, &err));
	assert_string_equal(u.scheme, "imap");
	assert_null(u.user);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 1143);
	assert_false(u.implicit_tls);
	url_clear(&u);
	assert_false(url_parse("imaps://[::1", "imaps|imap", &u, &err));
	assert_non_null(strstr(err, "unterminated ["));
	free(err);
	assert_false(url_parse("imaps://a%0d%0aX@h", "imaps|imap", &u, &err));
	free(err);
}

/* Each error names what is wrong; *out is left empty. */
static void expect_error(const char *url, const char *schemes, const char *what)
{
	struct url u;
	char *err;
	assert_false(url_parse(url, schemes, &u, &err));
	assert_non_null(err);
	if (!strstr(err, what))
		fail_msg("'%s': '%s' lacks '%s'", url, err, what);
	assert_null(u.scheme);
	assert_null(u.user);
	assert_null(u.host);
	assert_int_equal(u.port, 0);
	free(err);
}

static void test_url_errors(void **state)
{
	(void)state;
	expect_error("imap.example.org", "imaps|imap", "not a URL; write imaps or imap://host");
	expect_error("pop3://h", "imaps|imap", "unsupported scheme 'pop3' (use imaps or imap)");
	expect_error("smtp://h/inbox", "smtps|smtp", "unexpected path or query");
	expect_error("smtp://h?x", "smtps|smtp", "unexpected path or query");
	expect_error("imap://@h", "imaps|imap", "bad user name");
	expect_error("imap://a%4@h", "imaps|imap", "bad user name");
	expect_error("imap://[::1]x", "imaps|imap", "junk after ]");
	expect_error("imap://", "imaps|imap", "no host");
	expect_error("imap://u@:143", "imaps|imap", "no host");
	expect_error("imap://h%20x", "imaps|imap", "bad character in host name 'h%20x'");
	expect_error("imap://h:0", "imaps|imap", "bad port");
	expect_error("imap://h:65536", "imaps|imap", "bad port");
	expect_error("imap://h:", "imaps|imap", "bad port");
}

static void test_url_parts(void **state)
{
	(void)state;
	struct url u;
	char *err;
	/* the last '@' ends the user; a port after an IPv6 literal */
	assert_true(url_parse("SMTPS://a@b@mail.example.org:2465", "smtps|smtp", &u, &err));
	assert_string_equal(u.scheme, "smtps");
	assert_string_equal(u.user, "a@b");
	assert_string_equal(u.host, "mail.example.org");
	assert_int_equal(u.port, 2465);
	assert_true(u.implicit_tls);
	url_clear(&u);
	assert_true(url_parse("smtp://[2001:db8::1]:587", "smtps|smtp", &u, &err));
	assert_string_equal(u.host, "2001:db8::1");
	assert_int_equal(u.port, 587);
	assert_false(u.implicit_tls);
	url_clear(&u);
	assert_null(u.host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_url_errors),
		cmocka_unit_test(test_url_parts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
