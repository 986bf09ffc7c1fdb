/* test_imapcmd.c - the command lines muttlike writes itself are exactly
 * RFC 3501/9051 syntax: one space between tokens, none after "(" or before
 * ")", none at the end (Cyrus answers a trailing space with BAD), quoted
 * strings escaped, and anything that would need a literal refused. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "imapcmd.h"

static void expect(char *got, const char *want)
{
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void select_qresync(void **state)
{
	(void)state;
	expect(imapcmd_select_qresync("INBOX", 1700000000u, 42, "1:5,9"),
	       "SELECT \"INBOX\" (QRESYNC (1700000000 42 1:5,9))");
	/* no known UIDs: no trailing space inside the parentheses */
	expect(imapcmd_select_qresync("INBOX.Sent", 7, 18446744073709551615ull, NULL),
	       "SELECT \"INBOX.Sent\" (QRESYNC (7 18446744073709551615))");
	expect(imapcmd_select_qresync("a\"b\\c", 1, 2, ""), "SELECT \"a\\\"b\\\\c\" (QRESYNC (1 2))");
}

static void select_needs_literal(void **state)
{
	(void)state;
	assert_null(imapcmd_select_qresync("bad\r\nname", 1, 2, NULL));
	assert_null(imapcmd_select_qresync("caf\xc3\xa9", 1, 2, NULL));
	assert_null(imapcmd_select_qresync("tab\there", 1, 2, NULL));
	/* a known-UID list that is not a sequence set never reaches the wire */
	assert_null(imapcmd_select_qresync("INBOX", 1, 2, "1:5 X"));
	assert_null(imapcmd_select_qresync("INBOX", 1, 2, "0"));
	assert_null(imapcmd_select_qresync("INBOX", 1, 2, "1,,2"));
	assert_null(imapcmd_select_qresync("INBOX", 1, 2, "1:"));
}

static void list_return(void **state)
{
	(void)state;
	expect(imapcmd_list_return(true, true),
	       "LIST \"\" \"*\" RETURN (SPECIAL-USE STATUS (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ))");
	expect(imapcmd_list_return(false, true), "LIST \"\" \"*\" RETURN (STATUS (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ))");
	expect(imapcmd_list_return(true, false), "LIST \"\" \"*\" RETURN (SPECIAL-USE)");
}

static void status(void **state)
{
	(void)state;
	const char *items[] = { "UIDVALIDITY", "MAILBOXID" };
	expect(imapcmd_status("INBOX.Work", items, 2), "STATUS \"INBOX.Work\" (UIDVALIDITY MAILBOXID)");
	expect(imapcmd_status("Caf&AOk-", items, 1), "STATUS \"Caf&AOk-\" (UIDVALIDITY)");
	expect(imapcmd_status("a \"q\"", items + 1, 1), "STATUS \"a \\\"q\\\"\" (MAILBOXID)");
	/* no items, an item that is no atom, a name that needs a literal */
	assert_null(imapcmd_status("INBOX", items, 0));
	const char *bad[] = { "UID VALIDITY" };
	assert_null(imapcmd_status("INBOX", bad, 1));
	assert_null(imapcmd_status("line\r\nbreak", items, 2));
}

static void tokens(void **state)
{
	(void)state;
	struct imapcmd c;
	imapcmd_init(&c, "UID");
	imapcmd_atom(&c, "STORE");
	imapcmd_set(&c, "1:*");
	imapcmd_atom(&c, "+FLAGS.SILENT");
	imapcmd_open(&c);
	imapcmd_atom(&c, "\\Seen");
	imapcmd_atom(&c, "$Forwarded");
	imapcmd_close(&c);
	expect(imapcmd_finish(&c), "UID STORE 1:* +FLAGS.SILENT (\\Seen $Forwarded)");
	imapcmd_init(&c, "NOOP");
	expect(imapcmd_finish(&c), "NOOP");
	/* invalid atoms and unbalanced parentheses give no line at all */
	const char *bad_atoms[] = { "a b", "x(", "\\", "", "br]", "%", "\x7f" };
	for (size_t i = 0; i < sizeof(bad_atoms) / sizeof(bad_atoms[0]); i++) {
		imapcmd_init(&c, "X");
		imapcmd_atom(&c, bad_atoms[i]);
		assert_null(imapcmd_finish(&c));
	}
	imapcmd_init(&c, "X");
	imapcmd_open(&c);
	assert_null(imapcmd_finish(&c));
	imapcmd_init(&c, "X");
	imapcmd_close(&c);
	assert_null(imapcmd_finish(&c));
}

/* The pipelined commands of imapdrv: UID FETCH with a BODY.PEEK section
 * and UID STORE with a flag list. */
static void uid_fetch_store(void **state)
{
	(void)state;
	const char *atts[] = { "UID", "FLAGS", "INTERNALDATE" };
	expect(imapcmd_uid_fetch("1:64,70", atts, 3, ""), "UID FETCH 1:64,70 (UID FLAGS INTERNALDATE BODY.PEEK[])");
	expect(imapcmd_uid_fetch("5", atts, 1, "HEADER.FIELDS (MESSAGE-ID)"),
	       "UID FETCH 5 (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
	expect(imapcmd_uid_fetch("5", atts, 2, NULL), "UID FETCH 5 (UID FLAGS)");
	assert_null(imapcmd_uid_fetch("5 6", atts, 1, NULL));
	assert_null(imapcmd_uid_fetch("5", atts, 1, "HEADER]"));
	assert_null(imapcmd_uid_fetch("5", atts, 1, "HEADER.FIELDS (A (B))"));
	const char *flags[] = { "\\Seen", "\\Flagged", "$Forwarded", "work" };
	expect(imapcmd_uid_store("1,5,9:12", true, flags, 4), "UID STORE 1,5,9:12 +FLAGS.SILENT (\\Seen \\Flagged $Forwarded work)");
	expect(imapcmd_uid_store("3", false, flags, 1), "UID STORE 3 -FLAGS.SILENT (\\Seen)");
	const char *bad[] = { "a(b" };
	assert_null(imapcmd_uid_store("3", true, bad, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(select_qresync),
		cmocka_unit_test(select_needs_literal),
		cmocka_unit_test(list_return),
		cmocka_unit_test(status),
		cmocka_unit_test(tokens),
		cmocka_unit_test(uid_fetch_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
