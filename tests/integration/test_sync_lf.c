/* test_sync_lf.c - the local Maildir has LF line ends, as Dovecot, mbsync
 * and OfflineIMAP store it: a fetched message is written without CR (so
 * `grep '^Subject: X$'` finds it and pipe-message hands the command LF),
 * a message made here with LF reaches the server with CRLF and otherwise
 * the same bytes, a file an earlier version wrote with CRLF uploads
 * unchanged, and the UIDVALIDITY re-map still matches files to server
 * messages by Message-ID and size (the server's size counts CRLF).  The
 * tests run in order on one server, in the folder Archive. */
#include "sync_helpers.h"

#include <unistd.h>

#include "maildir.h"

#define FOLDER "Archive"

/* The server's bytes of the message with this Message-ID in FOLDER. */
static char *server_body(const char *mid)
{
	return st_imap("body %s '%s'", st_server(FOLDER), mid);
}

/* Write text as a new local message (no UID yet) in FOLDER's new/. */
static void local_new(const char *name, const char *text)
{
	char *dir = xasprintf("%s/%s/new", E.acctdir, st_local(FOLDER));
	free(tu_write(dir, name, text, 0600));
	free(dir);
}

/* The local file (cur/) holding the Message-ID, read whole; NULL if none. */
static char *local_with(const char *mid)
{
	int st;
	char *out = tu_run(&st, "grep -l -r -F 'Message-ID: <%s>' '%s/%s/cur' | head -n 1", mid, E.acctdir,
			   st_local(FOLDER));
	out[strcspn(out, "\n")] = '\0';
	char *data = *out ? tu_read(out) : NULL;
	free(out);
	return data;
}

static void test_fetched_files_have_lf(void **state)
{
	(void)state;
	free(st_imap("appendmany %s 3 lfcheck 200", st_server(FOLDER)));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_true(r.stats.fetched >= 3);
	assert_int_equal(st_compare(), 0);
	int st;
	/* not one CR in any mirrored file of the folder */
	char *out = tu_run(&st, "grep -l -r $'\\r' '%s/%s/cur' | wc -l", E.acctdir, st_local(FOLDER));
	assert_int_equal(strtoul(out, NULL, 10), 0);
	free(out);
	out = tu_run(&st, "grep -l -r '^Subject: lfcheck 2$' '%s/%s/cur' | wc -l", E.acctdir, st_local(FOLDER));
	assert_int_equal(strtoul(out, NULL, 10), 1);
	free(out);
	/* the server has the same message with CRLF */
	char *srv = server_body("lfcheck-2@test");
	char *loc = local_with("lfcheck-2@test");
	assert_non_null(loc);
	assert_non_null(strstr(srv, "Subject: lfcheck 2\r\n"));
	assert_non_null(strstr(loc, "Subject: lfcheck 2\nMessage-ID"));
	assert_int_equal(strlen(srv), maildir_crlf_size(loc, strlen(loc)));
	free(srv);
	free(loc);
}

/* Put text in FOLDER as a message made here, sync (one upload), and check
 * that the server holds exactly want and the file still text. */
static void upload_gives(const char *name, const char *text, const char *mid, const char *want)
{
	local_new(name, text);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.pushed, 1);
	assert_int_equal(st_compare(), 0);
	char *srv = server_body(mid);
	assert_string_equal(srv, want);
	free(srv);
	/* the local file keeps its bytes, now with its UID */
	char *loc = local_with(mid);
	assert_non_null(loc);
	assert_string_equal(loc, text);
	free(loc);
}

static void test_local_lf_uploads_crlf(void **state)
{
	(void)state;
	upload_gives("1700000000.lf.host",
		     "From: me@example.org\nTo: you@example.org\nSubject: made here with LF\n"
		     "Message-ID: <local-lf@test>\n\nline one\nline two\n",
		     "local-lf@test",
		     "From: me@example.org\r\nTo: you@example.org\r\nSubject: made here with LF\r\n"
		     "Message-ID: <local-lf@test>\r\n\r\nline one\r\nline two\r\n");
}

static void test_old_crlf_file_uploads_unchanged(void **state)
{
	(void)state;
	/* an earlier version's file: CRLF, with one bare LF that becomes CRLF */
	const char *crlf = "From: me@example.org\r\nSubject: an old CRLF file\r\nMessage-ID: <local-crlf@test>\r\n\r\n"
			   "body\r\nbare\nend\r\n";
	upload_gives("1700000001.crlf.host", crlf, "local-crlf@test",
		     "From: me@example.org\r\nSubject: an old CRLF file\r\nMessage-ID: <local-crlf@test>\r\n\r\n"
		     "body\r\nbare\r\nend\r\n");
	/* a second pass changes nothing: the old file goes on working */
	struct st_result r = st_sync();
	assert_true(r.status == SYNC_OK && r.stats.fetched + r.stats.pushed + r.stats.deleted == 0);
	assert_int_equal(st_compare(), 0);
}

static void test_uidvalidity_remap_by_size(void **state)
{
	(void)state;
	/* A new UIDVALIDITY with the same messages: every file (LF ones,
	 * the old CRLF one) is matched by Message-ID and server size;
	 * nothing is downloaded or uploaded again. */
	free(st_imap("recreate %s", st_server(FOLDER)));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0);
	assert_int_equal(r.stats.pushed, 0);
	assert_int_equal(st_compare(), 0);
	int st;
	char *out = tu_run(&st, "ls '%s/%s/cur' | grep -c ',U=0[,:]'", E.acctdir, st_local(FOLDER));
	assert_int_equal(strtoul(out, NULL, 10), 0);
	free(out);
}

int main(void)
{
	st_test_filter();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetched_files_have_lf),
		cmocka_unit_test(test_local_lf_uploads_crlf),
		cmocka_unit_test(test_old_crlf_file_uploads_unchanged),
		cmocka_unit_test(test_uidvalidity_remap_by_size),
	};
	return cmocka_run_group_tests(tests, st_group_setup, st_group_teardown);
}
