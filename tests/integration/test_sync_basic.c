/* test_sync_basic.c - initial and incremental two-way sync against the rig.
 *
 * The tests run in order on one server and one local store, like a user's
 * days: first sync, then changes on either side and both, then syncs. */
#include "sync_helpers.h"

#include <sys/stat.h>

#include "journal.h"

static unsigned initial_count;

static void test_initial_sync(void **state)
{
	(void)state;
	st_populate(7, 600, NULL);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_true(r.stats.fetched >= 600);
	initial_count = (unsigned)r.stats.fetched;
	assert_int_equal(st_compare(), 0);
	/* Every file is indexed, with the account tag. */
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	assert_int_equal(st_nm_files("tag:account:test"), st_count_files(NULL));
	assert_true(st_nm_count("folder:test/INBOX") > 0);
	/* Unread mail on the server is unread locally. */
	assert_true(st_nm_count("tag:unread") > 0);
}

static void test_noop_resync(void **state)
{
	(void)state;
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0);
	assert_int_equal(r.stats.pushed, 0);
	assert_int_equal(r.stats.pulled, 0);
	assert_int_equal(r.stats.deleted, 0);
	assert_int_equal(st_compare(), 0);
}

static void test_flags_both_ways(void **state)
{
	(void)state;
	/* Start from known flags: none on uids 1-4. */
	free(st_imap("flags INBOX 1:4 '-\\Seen \\Flagged \\Answered \\Draft'"));
	struct st_result r0 = st_sync();
	assert_int_equal(r0.status, SYNC_OK);
	char *p1 = st_find_uid("INBOX", 1);
	assert_non_null(strstr(p1, ":2,"));
	assert_string_equal(strstr(p1, ":2,"), ":2,");
	free(p1);
	/* Server: flag uid 1, mark uid 2 seen.  Local: mark uid 3 replied+seen.
	 * Message 4 changes on both sides, different flags. */
	free(st_imap("flags INBOX 1 +\\\\Flagged"));
	free(st_imap("flags INBOX 2 +\\\\Seen"));
	free(st_imap("flags INBOX 4 +\\\\Flagged"));
	char *p3 = st_find_uid("INBOX", 3);
	char *p4 = st_find_uid("INBOX", 4);
	assert_non_null(p3);
	assert_non_null(p4);
	st_set_local_flags(p3, "RS");
	st_set_local_flags(p4, "S");
	free(p3);
	free(p4);
	struct st_result r = st_sync();
	print_message("fetched %zu pushed %zu pulled %zu\n", r.stats.fetched, r.stats.pushed, r.stats.pulled);
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0);
	assert_int_equal(r.stats.pushed, 2);
	assert_int_equal(r.stats.pulled, 3);
	assert_int_equal(st_compare(), 0);
	/* Message 4 merged: flagged from the server, seen from here. */
	char *p = st_find_uid("INBOX", 4);
	assert_non_null(strstr(p, ":2,FS"));
	free(p);
	/* The index follows. */
	assert_true(st_nm_count("tag:flagged") >= 2);
	assert_true(st_nm_count("tag:replied") >= 1);
	/* And a second pass has nothing left to do. */
	r = st_sync();
	assert_int_equal(r.stats.pushed + r.stats.pulled + r.stats.fetched, 0);
}

static void test_new_mail_both_sides(void **state)
{
	(void)state;
	char *msg = tu_write(E.tmp, "srv.eml",
			     "From: Bob <bob@example.org>\nTo: alice@example.org\nSubject: from the server side\n"
			     "Message-ID: <srv-1@test>\nDate: Mon, 01 Jan 2024 10:00:00 +0000\n\nhello\n",
			     0600);
	char *out = st_imap("append INBOX '%s' '\\Flagged'", msg);
	free(out);
	free(msg);
	/* A message written locally into Sent (no UID yet): uploaded. */
	char *sent = xasprintf("%s/%s/cur", E.acctdir, st_local("Sent"));
	char *local = tu_write(sent, "1700000000.local1.host:2,S",
			       "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: written here\r\n"
			       "Message-ID: <local-1@test>\r\nDate: Mon, 01 Jan 2024 11:00:00 +0000\r\n\r\nhi bob\r\n",
			       0600);
	free(local);
	free(sent);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 1);
	assert_true(r.stats.pushed >= 1);
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_nm_count("id:srv-1@test and tag:flagged"), 1);
	assert_int_equal(st_nm_count("id:local-1@test"), 1);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
}

static void test_deletions(void **state)
{
	(void)state;
	/* Server expunges uid 5; locally uid 6 is deleted: goes to Trash. */
	free(st_imap("expunge INBOX 5"));
	char *p6 = st_find_uid("INBOX", 6);
	assert_non_null(p6);
	unsigned trash_before = st_count_files(st_local("Trash"));
	assert_int_equal(unlink(p6), 0);
	free(p6);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.deleted, 1);
	char *p5 = st_find_uid("INBOX", 5);
	assert_null(p5);
	/* Trash is synced after INBOX in the same pass, so the moved message
	 * is already here. */
	assert_int_equal(st_count_files(st_local("Trash")), trash_before + 1);
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
}

static void test_server_move_and_new_folder(void **state)
{
	(void)state;
	free(st_imap("create Projects/New"));
	free(st_imap("move INBOX 7 Projects/New"));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_count_files(st_local("Projects/New")), 1);
	assert_null(st_find_uid("INBOX", 7));
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
}

static void test_lost_state_is_harmless(void **state)
{
	(void)state;
	/* Without the state files, the UIDs in the file names are enough:
	 * nothing is fetched twice and nothing is lost. */
	int st;
	char *out = tu_run(&st, "rm -f '%s'/state/test/*.state", E.data);
	free(out);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0);
	assert_int_equal(r.stats.deleted, 0);
	assert_int_equal(st_compare(), 0);
}

static void test_journal_move_and_expunge(void **state)
{
	(void)state;
	/* What the reader does for "move uid 8 to Archive": move the file
	 * (dropping ,U=), then record the move in the journal. */
	char *src = st_find_uid("INBOX", 8);
	assert_non_null(src);
	char *base = strrchr(src, '/') + 1;
	char *stem = xstrndup(base, (size_t)(strstr(base, ",U=") - base));
	char *dest_file = xasprintf("cur/%s%s", stem, strstr(base, ":2,"));
	char *dst = xasprintf("%s/%s/%s", E.acctdir, st_local("Archive"), dest_file);
	assert_int_equal(rename(src, dst), 0);
	char *jpath = xasprintf("%s/state/test/journal", E.data);
	journal_t *j;
	assert_int_equal(journal_open(jpath, &j), JOURNAL_OK);
	struct journal_entry e = { .op = JOURNAL_MOVE, .folder = "INBOX", .uid = 8, .dest = (char *)st_local("Archive"),
				   .dest_file = dest_file };
	assert_int_equal(journal_add(j, &e), JOURNAL_OK);
	/* And "expunge uid 9 for good". */
	char *p9 = st_find_uid("INBOX", 9);
	assert_non_null(p9);
	char *mid9 = NULL;
	{
		char *data = tu_read(p9);
		char *lt = strchr(strcasestr(data, "\nMessage-ID:"), '<');
		mid9 = xstrndup(lt + 1, strcspn(lt + 1, ">"));
		free(data);
	}
	assert_int_equal(unlink(p9), 0);
	struct journal_entry x = { .op = JOURNAL_EXPUNGE, .folder = "INBOX", .uid = 9 };
	assert_int_equal(journal_add(j, &x), JOURNAL_OK);
	unsigned archive_before = st_count_files(st_local("Archive"));

	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0); /* the move did not download anything */
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_count_files(st_local("Archive")), archive_before);
	assert_null(st_find_uid("INBOX", 8));
	char *out = st_imap("midcount Trash '%s'", mid9);
	assert_int_equal(strtoul(out, NULL, 10), 0); /* expunged, not trashed */
	free(out);
	struct journal_entry *v;
	size_t n;
	assert_int_equal(journal_pending(j, &v, &n), JOURNAL_OK);
	assert_int_equal(n, 0);
	journal_entries_free(&v, n);
	journal_free(&j);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	free(mid9);
	free(p9);
	free(jpath);
	free(dst);
	free(dest_file);
	free(stem);
	free(src);
}

static void test_reader_tags_reach_the_server(void **state)
{
	(void)state;
	free(st_imap("flags INBOX 10:11 '-\\Seen \\Flagged \\Deleted'"));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	char *ids[2];
	for (unsigned u = 10; u <= 11; u++) {
		char *p = st_find_uid("INBOX", u);
		assert_non_null(p);
		char *data = tu_read(p);
		char *lt = strchr(strcasestr(data, "\nMessage-ID:"), '<');
		ids[u - 10] = xstrndup(lt + 1, strcspn(lt + 1, ">"));
		free(data);
		free(p);
	}
	/* What the reader does, through the single writer. */
	char *mail = xasprintf("%s/mail", E.data), *stdir = xasprintf("%s/state", E.data);
	store_t *store = NULL;
	char *err = NULL;
	assert_int_equal(store_open(mail, stdir, &store, &err), STORE_OK);
	store_tag(store, ids[0], "+flagged -unread");
	store_tag(store, ids[1], "+deleted");
	assert_int_equal(store_flush(store), 0);
	store_close(&store);
	free(mail);
	free(stdir);
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.pushed, 2);
	char *out = st_imap("uidflags INBOX 10");
	assert_string_equal(out, "FS\n");
	free(out);
	out = st_imap("uidflags INBOX 11");
	assert_string_equal(out, "T\n");
	free(out);
	assert_int_equal(st_compare(), 0);
	char *q = xasprintf("id:%s and tag:deleted", ids[1]);
	assert_int_equal(st_nm_count(q), 1);
	free(q);
	free(ids[0]);
	free(ids[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial_sync),
		cmocka_unit_test(test_noop_resync),
		cmocka_unit_test(test_flags_both_ways),
		cmocka_unit_test(test_new_mail_both_sides),
		cmocka_unit_test(test_deletions),
		cmocka_unit_test(test_server_move_and_new_folder),
		cmocka_unit_test(test_lost_state_is_harmless),
		cmocka_unit_test(test_journal_move_and_expunge),
		cmocka_unit_test(test_reader_tags_reach_the_server),
	};
	st_test_filter();
	return cmocka_run_group_tests(tests, st_group_setup, st_group_teardown);
}
