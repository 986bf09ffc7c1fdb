/* test_tls.c - size caps on server data, pins, certificate messages. */
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "testutil.h"
#include "tls.h"
#include "util.h"

static bool scan(struct tls_frame *f, const struct tls_limits *l, const char *s, char **err)
{
	return tls_frame_scan(f, l, (const unsigned char *)s, strlen(s), err);
}

static void test_literal_cap(void **state)
{
	(void)state;
	struct tls_limits l;
	tls_limits_default(&l);
	struct tls_frame f = { 0 };
	char *err;
	assert_true(scan(&f, &l, "* LIST () \"/\" {5}\r\nINBOX\r\n", &err));
	assert_int_equal(f.lit_left, 0);
	memset(&f, 0, sizeof(f));
	assert_false(scan(&f, &l, "* 1 FETCH (BODY[] {4294967296}\r\n", &err));
	assert_string_equal(err, "the server sent a literal of 4096 MiB, over the 64 MiB limit");
	free(err);
	/* digits beyond 64 bits saturate rather than wrap to something small */
	memset(&f, 0, sizeof(f));
	assert_false(scan(&f, &l, "* X {99999999999999999999999999}\r\n", &err));
	free(err);
	/* split across reads, LF-only line end, literal8 and LITERAL+ forms */
	memset(&f, 0, sizeof(f));
	assert_true(scan(&f, &l, "* 1 FETCH (BINARY[] ~{1", &err));
	assert_false(scan(&f, &l, "00000000}\n", &err));
	free(err);
	memset(&f, 0, sizeof(f));
	assert_false(scan(&f, &l, "a {67108865+}\r\n", &err));
	free(err);
	/* exactly the cap is fine; braces not at the line end are not literals */
	memset(&f, 0, sizeof(f));
	assert_true(scan(&f, &l, "* OK {67108864} is text here\r\n", &err));
	assert_int_equal(f.lit_left, 0);
	assert_true(scan(&f, &l, "* X {67108864}\r\n", &err));
	assert_int_equal(f.lit_left, 67108864);
}

static void test_literal_data_is_not_scanned(void **state)
{
	(void)state;
	struct tls_limits l = { .max_literal = 100, .max_line = 50, .max_response = 0 };
	struct tls_frame f = { 0 };
	char *err;
	/* inside the literal, "{999}\r\n" is just data */
	assert_true(scan(&f, &l, "* 1 FETCH (BODY[] {20}\r\nxx {999}\r\nxxxxxxxxx)\r\n", &err));
	assert_int_equal(f.lit_left, 0);
	assert_int_equal(f.line_len, 0);
}

static void test_line_and_response_caps(void **state)
{
	(void)state;
	struct tls_limits l = { .max_literal = 1000, .max_line = 10, .max_response = 40 };
	struct tls_frame f = { 0 };
	char *err;
	assert_true(scan(&f, &l, "* OK 12\r\n", &err));
	assert_false(scan(&f, &l, "* OK 123456789\r\n", &err));
	assert_string_equal(err, "the server sent a line of 11 bytes, over the 10-byte limit");
	free(err);
	memset(&f, 0, sizeof(f));
	for (int i = 0; i < 5; i++) /* 40 bytes: at the cap, not past it */
		assert_true(scan(&f, &l, "* OK 1\r\n", &err));
	assert_false(scan(&f, &l, "* OK 1\r\n", &err));
	assert_non_null(strstr(err, "a response of"));
	free(err);
}

static void test_pins(void **state)
{
	(void)state;
	char out[65];
	const char *hex = "33169dc4587ba38c38db9afcb86f26d21f8990ab37cdb20ed2f657d4637b1e81";
	assert_true(tls_pin_normalize("sha256:33169DC4587BA38C38DB9AFCB86F26D21F8990AB37CDB20ED2F657D4637B1E81", out));
	assert_string_equal(out, hex);
	assert_true(tls_pin_normalize("SHA256:33:16:9d:c4:58:7b:a3:8c:38:db:9a:fc:b8:6f:26:d2:1f:89:90:ab:37:cd:b2:0e:d2:"
				      "f6:57:d4:63:7b:1e:81", out));
	assert_string_equal(out, hex);
	assert_false(tls_pin_normalize("sha1:33169dc4", out));
	assert_false(tls_pin_normalize("sha256:33169dc4", out));
	assert_false(tls_pin_normalize("sha256:33169dc4587ba38c38db9afcb86f26d21f8990ab37cdb20ed2f657d4637b1e8100", out));
	assert_false(tls_pin_normalize("sha256:g3169dc4587ba38c38db9afcb86f26d21f8990ab37cdb20ed2f657d4637b1e81", out));

	char *dir = tu_tmpdir();
	char *file = xasprintf("%s/sub/certs", dir);
	char *err = NULL;
	assert_false(tls_pin_file_match(file, "imap.example.org", hex));
	assert_int_equal(tls_pin_file_add(file, "imap.example.org", hex, &err), 0);
	assert_int_equal(tls_pin_file_add(file, "imap.example.org", hex, &err), 0); /* no duplicate */
	assert_true(tls_pin_file_match(file, "imap.example.org", hex));
	assert_true(tls_pin_file_match(file, "IMAP.example.org", hex));
	assert_false(tls_pin_file_match(file, "other.example.org", hex));
	char *text = tu_read(file);
	assert_non_null(strstr(text, "imap.example.org sha256:"));
	assert_ptr_equal(strstr(text, "imap.example.org"), strrchr(text, '\n') - strlen("imap.example.org sha256:") - 64);
	free(text);
	assert_int_equal(tls_pin_file_add(file, "bad host", hex, &err), -1);
	free(err);
	free(file);
	tu_rmtree(dir);
	free(dir);
}

static void test_messages(void **state)
{
	(void)state;
	struct tls_cert_info ci = { .reasons = TLS_CERT_UNTRUSTED, .host = (char *)"imap.example.org",
				    .issuer = (char *)"CN=Evil CA", .self_signed = true, .not_after = 0 };
	strcpy(ci.sha256, "ab12cd34");
	char *s = tls_cert_describe(&ci);
	assert_string_equal(s, "certificate for imap.example.org is self-signed and not trusted");
	free(s);
	ci.reasons = TLS_CERT_UNTRUSTED | TLS_CERT_EXPIRED;
	ci.not_after = 1577836800; /* 2020-01-01 */
	s = tls_cert_describe(&ci);
	assert_string_equal(s, "certificate for imap.example.org expired on 2020-01-01");
	free(s);
	ci.reasons = TLS_CERT_WRONG_HOST;
	ci.names = (char *)"mail.example.net, 192.0.2.1";
	s = tls_cert_describe(&ci);
	assert_string_equal(s, "certificate is for mail.example.net, 192.0.2.1, not imap.example.org");
	free(s);
	s = tls_fingerprint_pretty("ab12cd34");
	assert_string_equal(s, "ab:12:cd:34");
	free(s);
	s = tls_cert_pin_line(&ci);
	assert_string_equal(s, "set tls_pin = \"sha256:ab12cd34\"");
	free(s);
}

static void test_caps_parse(void **state)
{
	(void)state;
	unsigned c = imap_caps_parse("IMAP4rev1 starttls  AUTH=PLAIN LOGINDISABLED AUTH=XOAUTH2 IDLE X-FOO AUTH=");
	assert_true(c & IMAP_CAP_STARTTLS);
	assert_true(c & IMAP_CAP_AUTH_PLAIN);
	assert_true(c & IMAP_CAP_LOGINDISABLED);
	assert_true(c & IMAP_CAP_AUTH_XOAUTH2);
	assert_true(c & IMAP_CAP_IDLE);
	assert_false(c & IMAP_CAP_MOVE);
	assert_int_equal(imap_caps_parse(""), 0);
	assert_int_equal(imap_caps_parse("STARTTLSX XSTARTTLS AUTH=PLAINX"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal_cap),
		cmocka_unit_test(test_literal_data_is_not_scanned),
		cmocka_unit_test(test_line_and_response_caps),
		cmocka_unit_test(test_pins),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_caps_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
