/* test_foldercounts.c - the server's folder counts of a first sync
 * (foldercounts.h): the file's round trip, what a damaged file gives, and
 * the file going away once nothing is pending. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "foldercounts.h"
#include "util.h"

static void roundtrip(void **state)
{
	(void)state;
	char *tmp = tu_tmpdir();
	char *path = foldercounts_path(tmp);
	assert_non_null(strstr(path, "/folder-counts"));
	struct foldercounts fc = { 0 };
	assert_false(foldercounts_load(path, &fc)); /* no file: no first sync */
	foldercounts_put(&fc, "INBOX", 4340, -1, true);
	foldercounts_put(&fc, "Lists/dev", 1273, 110, true);
	foldercounts_put(&fc, "Folder with spaces", 0, 0, false);
	foldercounts_put(&fc, "INBOX", 4341, 7, true); /* replaces */
	assert_int_equal(fc.n, 3);
	assert_true(foldercounts_pending(&fc));
	assert_int_equal(foldercounts_total(&fc), 4341 + 1273);
	assert_int_equal(foldercounts_save(path, &fc), 0);
	struct foldercounts back = { 0 };
	assert_true(foldercounts_load(path, &back));
	assert_int_equal(back.n, 3);
	const struct foldercount *e = foldercounts_find(&back, "INBOX");
	assert_non_null(e);
	assert_int_equal(e->messages, 4341);
	assert_int_equal(e->unseen, 7);
	assert_true(e->pending);
	e = foldercounts_find(&back, "Folder with spaces");
	assert_non_null(e);
	assert_false(e->pending);
	assert_int_equal(foldercounts_find(&back, "Lists/dev")->unseen, 110);
	assert_null(foldercounts_find(&back, "Lists"));
	/* every folder done: the file goes */
	for (size_t i = 0; i < back.n; i++)
		back.v[i].pending = false;
	assert_false(foldercounts_pending(&back));
	assert_int_equal(foldercounts_save(path, &back), 0);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(foldercounts_save(path, &back), 0); /* already gone: fine */
	foldercounts_clear(&fc);
	foldercounts_clear(&back);
	assert_int_equal(fc.n, 0);
	free(path);
	tu_rmtree(tmp);
	free(tmp);
}

static void damaged(void **state)
{
	(void)state;
	char *tmp = tu_tmpdir();
	/* malformed lines are skipped, a torn last line too; no path leaves
	 * the account (the sidebar joins it to the account's directory) */
	char *path = tu_write(tmp, "folder-counts",
			      "12 -1 p INBOX\n"
			      "x y p Bad\n"
			      "5 -1 q Bad\n"
			      "-3 -1 p Bad\n"
			      "4 -2 p Bad\n"
			      "4 -1 p ../../etc\n"
			      "4 -1 p /abs\n"
			      "4 -1 p \n"
			      "7 2 d Sent\n"
			      "9 -1 p Torn",
			      0600);
	struct foldercounts fc = { 0 };
	assert_true(foldercounts_load(path, &fc));
	assert_int_equal(fc.n, 2);
	assert_int_equal(foldercounts_find(&fc, "INBOX")->messages, 12);
	assert_false(foldercounts_find(&fc, "Sent")->pending);
	assert_null(foldercounts_find(&fc, "Torn"));
	foldercounts_clear(&fc);
	free(path);
	tu_rmtree(tmp);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roundtrip),
		cmocka_unit_test(damaged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
