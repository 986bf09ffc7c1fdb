/* test_imapparse.c - the server answers muttlike reads by hand: the
 * "* STATUS" lines of LIST-STATUS (RFC 5819) and RFC 8474's MAILBOXID, as
 * a STATUS attribute and as a response code through the libetpan
 * extension (libetpan 1.9 knows neither and would fail the response). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "imap.h"

static size_t mbid(const char *s, char out[IMAP_OBJECTID_MAX + 1])
{
	return imap_parse_mailboxid(s, strlen(s), out);
}

static void mailboxid(void **state)
{
	(void)state;
	char id[IMAP_OBJECTID_MAX + 1];
	assert_int_equal(mbid("MAILBOXID (F2212ea87-6097_4256) rest", id), strlen("MAILBOXID (F2212ea87-6097_4256)"));
	assert_string_equal(id, "F2212ea87-6097_4256");
	assert_int_equal(mbid("mailboxid (x823n23dn9ujl0mzmzlybjbu)", id), 36);
	assert_string_equal(id, "x823n23dn9ujl0mzmzlybjbu");
	/* not an objectid: empty, a bad character, no ")" , no "(", a literal */
	const char *bad[] = { "MAILBOXID ()", "MAILBOXID (a b)", "MAILBOXID (a.b)", "MAILBOXID (abc",
			      "MAILBOXID abc", "MAILBOXID  (abc)", "MAILBOXID ({3}\r\nabc)", "MAILBOX (abc)",
			      "EMAILID (abc)", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(mbid(bad[i], id), 0);
		assert_string_equal(id, "");
	}
	/* the length given is a bound: no read past it */
	assert_int_equal(imap_parse_mailboxid("MAILBOXID (abc)", 14, id), 0);
	assert_int_equal(imap_parse_mailboxid("MAILBOXID (abc)", 15, id), 15);
	/* 255 characters at most */
	char line[300];
	memcpy(line, "MAILBOXID (", 11);
	memset(line + 11, 'z', 255);
	strcpy(line + 11 + 255, ")");
	assert_int_equal(mbid(line, id), 11 + 255 + 1);
	assert_int_equal(strlen(id), 255);
	memset(line + 11, 'z', 256);
	strcpy(line + 11 + 256, ")");
	assert_int_equal(mbid(line, id), 0);
}

static bool status(const char *line, struct imap_status_line *st)
{
	return imap_parse_status_line(line, strlen(line), st);
}

static void status_line(void **state)
{
	(void)state;
	struct imap_status_line st;
	/* Cyrus's LIST-STATUS answer, with the MAILBOXID asked for */
	assert_true(status("* STATUS INBOX.Work (MESSAGES 2 UIDNEXT 3 UIDVALIDITY 1796530663 HIGHESTMODSEQ "
			   "9223372036854775807 MAILBOXID (x823n23dn9ujl0mzmzlybjbu))",
			   &st));
	assert_string_equal(st.mailbox, "INBOX.Work");
	assert_int_equal(st.seen, IMAP_STATUS_MESSAGES | IMAP_STATUS_UIDNEXT | IMAP_STATUS_UIDVALIDITY |
					  IMAP_STATUS_HIGHESTMODSEQ | IMAP_STATUS_MAILBOXID);
	assert_int_equal(st.messages, 2);
	assert_int_equal(st.uidnext, 3);
	assert_int_equal(st.uidvalidity, 1796530663u);
	assert_true(st.highestmodseq == INT64_MAX); /* RFC 7162: 63 bits */
	assert_string_equal(st.mailboxid, "x823n23dn9ujl0mzmzlybjbu");
	imap_status_line_clear(&st);
	/* MAILBOXID first, a quoted name with an escape, other attributes skipped */
	assert_true(status("* status \"a \\\"b\\\" c\" (MAILBOXID (F-1) UNSEEN 4 UIDVALIDITY 9)", &st));
	assert_string_equal(st.mailbox, "a \"b\" c");
	assert_int_equal(st.seen, IMAP_STATUS_MAILBOXID | IMAP_STATUS_UIDVALIDITY);
	assert_int_equal(st.uidvalidity, 9);
	assert_string_equal(st.mailboxid, "F-1");
	imap_status_line_clear(&st);
	/* Dovecot's, without MAILBOXID; an empty list */
	assert_true(status("* STATUS Sent (MESSAGES 0 UIDNEXT 1 UIDVALIDITY 5 HIGHESTMODSEQ 1)", &st));
	assert_int_equal(st.seen & IMAP_STATUS_MAILBOXID, 0);
	assert_string_equal(st.mailboxid, "");
	imap_status_line_clear(&st);
	assert_true(status("* STATUS X ()", &st));
	assert_int_equal(st.seen, 0);
	imap_status_line_clear(&st);
	/* malformed: the whole line gives nothing */
	const char *bad[] = {
		"* STATUS {5}",                                   /* a literal name */
		"* STATUS \"open (MESSAGES 1)",                   /* unterminated quote */
		"* STATUS X (MESSAGES 4294967296)",               /* over 32 bits */
		"* STATUS X (HIGHESTMODSEQ 100000000000000000000)", /* over 64 bits */
		"* STATUS X (MESSAGES x)",                        /* not a number */
		"* STATUS X (MAILBOXID (a b))",                   /* not an objectid */
		"* STATUS X (MESSAGES 1",                         /* no ")" */
		"* STATUS X MESSAGES 1",                          /* no "(" */
		"* STATUS  (MESSAGES 1)",                         /* no name */
		"* LIST () \"/\" X",                              /* not STATUS */
		"* STATUS X (MAILBOXID (abc)MESSAGES 1)",         /* no space between */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(status(bad[i], &st));
		assert_null(st.mailbox);
	}
	/* the length given is a bound */
	const char *l = "* STATUS X (MESSAGES 1)";
	assert_false(imap_parse_status_line(l, strlen(l) - 1, &st));
}

/* The libetpan extension, called as libetpan's parser calls it: at the
 * response code's or the attribute's first byte of the line it holds. */
static void extension(void **state)
{
	(void)state;
	const struct mailimap_extension_api *api = imap_objectid_extension();
	MMAPString *buf = mmap_string_new("* OK [MAILBOXID (F123-x)] Ok\r\n");
	size_t at = 6;
	struct mailimap_extension_data *d = NULL;
	assert_int_equal(api->ext_parser(MAILIMAP_EXTENDED_PARSER_RESP_TEXT_CODE, NULL, buf, NULL, &at, &d, 0, NULL),
			 MAILIMAP_NO_ERROR);
	assert_int_equal(at, 6 + strlen("MAILBOXID (F123-x)"));
	assert_non_null(d);
	assert_ptr_equal(d->ext_extension, api);
	assert_string_equal(d->ext_data, "F123-x");
	mailimap_extension_data_free(d);
	/* as a STATUS attribute */
	mmap_string_assign(buf, "* STATUS X (UIDVALIDITY 3 MAILBOXID (abc))\r\n");
	at = 26;
	d = NULL;
	assert_int_equal(api->ext_parser(MAILIMAP_EXTENDED_PARSER_STATUS_ATT, NULL, buf, NULL, &at, &d, 0, NULL),
			 MAILIMAP_NO_ERROR);
	assert_string_equal(d->ext_data, "abc");
	assert_int_equal(at, 26 + strlen("MAILBOXID (abc)"));
	mailimap_extension_data_free(d);
	/* anything else is left to the other parsers, the index unmoved */
	size_t before = at = 12;
	d = NULL;
	assert_int_equal(api->ext_parser(MAILIMAP_EXTENDED_PARSER_STATUS_ATT, NULL, buf, NULL, &at, &d, 0, NULL),
			 MAILIMAP_ERROR_PARSE);
	assert_int_equal(at, before);
	assert_null(d);
	at = 26;
	assert_int_equal(api->ext_parser(MAILIMAP_EXTENDED_PARSER_FETCH_DATA, NULL, buf, NULL, &at, &d, 0, NULL),
			 MAILIMAP_ERROR_PARSE);
	at = buf->len;
	assert_int_equal(api->ext_parser(MAILIMAP_EXTENDED_PARSER_STATUS_ATT, NULL, buf, NULL, &at, &d, 0, NULL),
			 MAILIMAP_ERROR_PARSE);
	mmap_string_free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mailboxid),
		cmocka_unit_test(status_line),
		cmocka_unit_test(extension),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
