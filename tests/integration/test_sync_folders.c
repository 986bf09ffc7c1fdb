/* test_sync_folders.c - folders deleted or renamed on the server.
 *
 * A folder gone from LIST keeps its local copy while that holds mail (the
 * mail is on the server no more); an empty copy is removed; a rename
 * (same UIDVALIDITY under a new name) is followed by moving the local
 * copy, with nothing fetched again. */
#include "sync_helpers.h"

#include <sys/stat.h>

static void append(const char *folder, const char *mid)
{
	char *name = xasprintf("%s.eml", mid);
	char *text = xasprintf("From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: %s\r\n"
			       "Message-ID: <%s>\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n\r\nbody of %s\r\n",
			       mid, mid, mid);
	char *path = tu_write(E.tmp, name, text, 0600);
	free(st_imap("append '%s' '%s'", folder, path));
	free(path);
	free(text);
	free(name);
}

static bool exists(const char *rel)
{
	char *p = xasprintf("%s/%s", E.acctdir, rel);
	struct stat st;
	bool r = stat(p, &st) == 0;
	free(p);
	return r;
}

static bool state_exists(const char *name)
{
	char *p = xasprintf("%s/state/test/%s.state", E.data, name);
	bool r = access(p, F_OK) == 0;
	free(p);
	return r;
}

static void test_setup_folders(void **state)
{
	(void)state;
	free(st_imap("create Alpha"));
	append("Alpha", "a1@test");
	append("Alpha", "a2@test");
	free(st_imap("create Beta"));
	append("Beta", "b1@test");
	free(st_imap("create Empty"));
	free(st_imap("create Proj"));
	free(st_imap("create Proj/Sub"));
	append("Proj/Sub", "p1@test");
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 4);
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_count_files("Alpha"), 2);
	assert_true(exists("Empty/cur"));
	assert_true(state_exists("Empty"));
}

static void test_renamed_folder_is_followed(void **state)
{
	(void)state;
	free(st_imap("rename Alpha Alpha2"));
	free(st_imap("rename Proj Work"));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0); /* moved, not downloaded again */
	assert_int_equal(r.stats.deleted, 0);
	assert_false(exists("Alpha"));
	assert_int_equal(st_count_files("Alpha2"), 2);
	assert_int_equal(st_count_files("Work/Sub"), 1);
	assert_false(exists("Proj"));
	assert_false(state_exists("Alpha"));
	assert_true(state_exists("Alpha2"));
	assert_true(state_exists("Work%2FSub"));
	assert_int_equal(st_compare(), 0);
	/* The index follows the files. */
	assert_int_equal(st_nm_count("folder:test/Alpha2"), 2);
	assert_int_equal(st_nm_count("folder:test/Alpha"), 0);
	assert_int_equal(st_nm_count("folder:test/Work/Sub"), 1);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched + r.stats.pushed + r.stats.pulled + r.stats.deleted, 0);
}

static void test_deleted_folder_keeps_its_mail(void **state)
{
	(void)state;
	free(st_imap("delete Beta"));
	free(st_imap("delete Empty"));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	/* Beta's message is on the server no more: kept here. */
	assert_int_equal(st_count_files("Beta"), 1);
	assert_int_equal(st_nm_count("id:b1@test"), 1);
	/* The empty mirror went, with its state. */
	assert_false(exists("Empty"));
	assert_false(state_exists("Empty"));
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	/* And stays kept on the next pass. */
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_count_files("Beta"), 1);
}

static void test_rename_onto_existing_local_dir_loses_nothing(void **state)
{
	(void)state;
	/* The new name's directory is already taken locally: the rename
	 * cannot be followed, so it is a delete (mail kept) plus a new
	 * folder (fetched). */
	char *d = xasprintf("%s/Gamma2/cur", E.acctdir);
	assert_int_equal(util_mkdirs(d, 0700), 0);
	free(d);
	free(st_imap("create Gamma"));
	append("Gamma", "g1@test");
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	free(st_imap("rename Gamma Gamma2"));
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_count_files("Gamma"), 1);  /* kept */
	assert_int_equal(st_count_files("Gamma2"), 1); /* fetched under the new name */
	assert_int_equal(st_compare(), 0);
}

static int setup(void **state)
{
	(void)state;
	st_setup_env();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	st_teardown_env();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setup_folders),
		cmocka_unit_test(test_renamed_folder_is_followed),
		cmocka_unit_test(test_deleted_folder_keeps_its_mail),
		cmocka_unit_test(test_rename_onto_existing_local_dir_loses_nothing),
	};
	if (getenv("SYNC_TEST_FILTER"))
		cmocka_set_test_filter(getenv("SYNC_TEST_FILTER"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
