/* test_sync_localonly.c - a local folder the sync does not mirror is
 * still indexed (issue 19 part 4: such folders showed a count of 0 in the
 * sidebar while they held mail).
 *
 * With sync_folders leaving "Keep" out, a message put into the local
 * folder Keep by hand (as a Maildir tool or an older mirror would) is in
 * the index after the next pass, under folder:"test/Keep"; once its file
 * is gone, the entry goes too; the server never sees the folder.
 */
#include "sync_helpers.h"

#include "maildir.h"

static void test_local_only_folder_is_indexed(void **state)
{
	(void)state;
	free(st_imap("appendmany INBOX 3 localonly"));
	char *saved = E.rc;
	E.rc = xasprintf("%sset sync_folders = \"* !Keep\"\n", saved);
	free(saved);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);

	char *dir = xasprintf("%s/Keep", E.acctdir);
	assert_int_equal(maildir_create(dir), 0);
	const char *msg = "From: b@example.org\r\nSubject: kept here\r\nMessage-ID: <kept-here@test>\r\n\r\nx\r\n";
	char *name = NULL;
	assert_int_equal(maildir_deliver(dir, msg, strlen(msg), 0, false, MAILDIR_F_SEEN, 0, &name), 0);
	assert_int_equal(st_nm_count("folder:\"test/Keep\""), 0);
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_nm_count("folder:\"test/Keep\""), 1);
	assert_int_equal(st_nm_count("id:kept-here@test and tag:account:test"), 1);
	char *list = st_imap("rawlist");
	assert_null(strstr(list, "Keep"));
	free(list);
	/* a second pass adds nothing */
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_nm_files("folder:\"test/Keep\""), 1);
	/* the file removed by hand: the entry goes */
	char *path = xasprintf("%s/%s", dir, name);
	assert_int_equal(unlink(path), 0);
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_nm_count("folder:\"test/Keep\""), 0);
	free(path);
	free(name);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_only_folder_is_indexed),
	};
	return cmocka_run_group_tests(tests, st_group_setup, st_group_teardown);
}
