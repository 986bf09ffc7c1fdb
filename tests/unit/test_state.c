/* test_state.c - per-folder sync state, the journal and the merge rules. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "journal.h"
#include "maildir.h"
#include "merge.h"
#include "state.h"
#include "sync.h"
#include "util.h"

static void test_roundtrip(void **state)
{
	(void)state;
	char *tmp = tu_tmpdir();
	char *path = state_path(tmp, "Lists/dev");
	assert_non_null(strstr(path, "/Lists%2Fdev.state"));
	state_t *s = state_new();
	state_set_folder(s, "Lists/dev");
	state_set_uidvalidity(s, 1234);
	state_set_uidnext(s, 99);
	state_set_highestmodseq(s, 1ull << 40);
	state_put(s, 5, MAILDIR_F_SEEN, "$label1 work");
	state_put(s, 2, 0, NULL);
	state_put(s, 9, MAILDIR_F_FLAGGED | MAILDIR_F_SEEN, "");
	state_put(s, 5, MAILDIR_F_SEEN | MAILDIR_F_REPLIED, "work");
	state_del(s, 9);
	state_put(s, 9, MAILDIR_F_FLAGGED, NULL);
	assert_int_equal(state_save(s, path), 0);
	state_free(&s);
	assert_null(s);

	state_t *t;
	assert_int_equal(state_load(path, &t), STATE_OK);
	assert_int_equal(state_uidvalidity(t), 1234);
	assert_int_equal(state_uidnext(t), 99);
	assert_true(state_highestmodseq(t) == (1ull << 40));
	assert_string_equal(state_folder(t), "Lists/dev");
	assert_int_equal(state_count(t), 3);
	assert_int_equal(state_at(t, 0)->uid, 2);
	const struct state_msg *m = state_get(t, 5);
	assert_non_null(m);
	assert_int_equal(m->flags, MAILDIR_F_SEEN | MAILDIR_F_REPLIED);
	assert_string_equal(m->keywords, "work");
	assert_null(state_get(t, 2)->keywords);
	assert_int_equal(state_get(t, 9)->flags, MAILDIR_F_FLAGGED);
	assert_null(state_get(t, 7));
	state_free(&t);

	/* Missing is not an error; garbage is reported. */
	char *miss = xasprintf("%s/none.state", tmp);
	assert_int_equal(state_load(miss, &t), STATE_MISSING);
	assert_int_equal(state_count(t), 0);
	state_free(&t);
	free(tu_write(tmp, "bad.state", "muttlike-state 1\nm x y\n", 0600));
	char *bad = xasprintf("%s/bad.state", tmp);
	assert_int_equal(state_load(bad, &t), STATE_ERR_PARSE);
	state_free(&t);
	free(bad);
	free(miss);
	free(path);
	tu_rmtree(tmp);
	free(tmp);
}

/* RFC 8474 MAILBOXID: kept when the server gave one; a state file from
 * before (no such line) loads with "" and saves without the line. */
static void test_mailboxid(void **state)
{
	(void)state;
	char *tmp = tu_tmpdir();
	char *path = state_path(tmp, "Work");
	state_t *s = state_new();
	assert_string_equal(state_mailboxid(s), "");
	state_set_mailboxid(s, "F2212ea87-6097_4256");
	assert_int_equal(state_save(s, path), 0);
	state_free(&s);
	state_t *t;
	assert_int_equal(state_load(path, &t), STATE_OK);
	assert_string_equal(state_mailboxid(t), "F2212ea87-6097_4256");
	/* not an objectid: not kept (it could break the line format) */
	state_set_mailboxid(t, "a b");
	assert_string_equal(state_mailboxid(t), "");
	state_set_mailboxid(t, "x\nm 1 S");
	assert_string_equal(state_mailboxid(t), "");
	char *long_id = xcalloc(1, 257);
	memset(long_id, 'a', 256);
	state_set_mailboxid(t, long_id);
	assert_string_equal(state_mailboxid(t), "");
	long_id[255] = '\0';
	state_set_mailboxid(t, long_id);
	assert_string_equal(state_mailboxid(t), long_id);
	free(long_id);
	state_set_mailboxid(t, NULL);
	assert_int_equal(state_save(t, path), 0);
	state_free(&t);
	char *text = tu_read(path);
	assert_null(strstr(text, "mailboxid"));
	free(text);
	/* a state written before this field existed */
	free(tu_write(tmp, "old.state",
		      "muttlike-state 1\nfolder Work\nuidvalidity 7\nuidnext 3\nhighestmodseq 9\nverified 0\nm 1 S\n",
		      0600));
	char *old = xasprintf("%s/old.state", tmp);
	assert_int_equal(state_load(old, &t), STATE_OK);
	assert_string_equal(state_mailboxid(t), "");
	assert_int_equal(state_uidvalidity(t), 7);
	assert_int_equal(state_count(t), 1);
	state_free(&t);
	free(old);
	free(path);
	tu_rmtree(tmp);
	free(tmp);
}

static void test_merge(void **state)
{
	(void)state;
	enum { S = MAILDIR_F_SEEN, F = MAILDIR_F_FLAGGED, R = MAILDIR_F_REPLIED };
	/* No change anywhere. */
	assert_int_equal(merge_flags(S, S, S), S);
	/* One side changed: it wins. */
	assert_int_equal(merge_flags(S, S | F, S), S | F);
	assert_int_equal(merge_flags(S, S, S | F), S | F);
	assert_int_equal(merge_flags(S, 0, S), 0);
	assert_int_equal(merge_flags(S, S, 0), 0);
	/* Both changed, different flags: both changes kept. */
	assert_int_equal(merge_flags(0, S, F), S | F);
	assert_int_equal(merge_flags(S | F, F, S | F | R), F | R);
	/* Both made the same change. */
	assert_int_equal(merge_flags(0, F, F), F);
}

static void check_kw(const char *b, const char *l, const char *r, const char *want)
{
	char *m = sync_merge_keywords(b, l, r);
	if (!want)
		assert_null(m);
	else
		assert_string_equal(m, want);
	free(m);
}

static void test_merge_keywords(void **state)
{
	(void)state;
	check_kw(NULL, NULL, NULL, NULL);
	check_kw("a", "a", "a", "a");
	/* One side added or removed: it wins. */
	check_kw("a", "a b", "a", "a b");
	check_kw("a", "a", "a c", "a c");
	check_kw("a b", "b", "a b", "b");
	check_kw("a b", "a b", "a", "a");
	/* Both changed different keywords: both kept. */
	check_kw("a", "a x", NULL, "x");
	check_kw(NULL, "x", "y", "x y");
	/* Case: one keyword; the server's spelling wins. */
	check_kw("Work", "work", "WORK", "WORK");
	check_kw("work", "work", "Work", "Work");
	/* Which tags travel. */
	assert_true(sync_tag_is_keyword("project-x"));
	assert_true(sync_tag_is_keyword("$Label1"));
	assert_false(sync_tag_is_keyword("inbox"));
	assert_false(sync_tag_is_keyword("account:work"));
	assert_false(sync_tag_is_keyword("unread"));
	assert_false(sync_tag_is_keyword("attachment"));
	assert_false(sync_tag_is_keyword("a(b"));
	assert_false(sync_tag_is_keyword("caf\xc3\xa9"));
	assert_false(sync_tag_is_keyword("\\Seen"));
	assert_false(sync_tag_is_keyword("$forwarded"));
}

static void test_guard(void **state)
{
	(void)state;
	assert_false(merge_guard_trips(19, 19, 50));  /* fewer than 20 never trips */
	assert_true(merge_guard_trips(20, 20, 50));
	assert_false(merge_guard_trips(20, 100, 50));
	assert_true(merge_guard_trips(51, 100, 50));
	assert_false(merge_guard_trips(50, 100, 50));
	assert_true(merge_guard_trips(1000, 1000, 100) == false);
}

static void test_folder_patterns(void **state)
{
	(void)state;
	assert_true(sync_folder_selected("*", "INBOX"));
	assert_true(sync_folder_selected("", "Lists/dev"));
	assert_true(sync_folder_selected("INBOX Lists/*", "Lists/dev"));
	assert_false(sync_folder_selected("INBOX Lists/*", "Archive"));
	assert_false(sync_folder_selected("* !Junk !Lists/*", "Lists/dev"));
	assert_true(sync_folder_selected("* !Junk", "Sent"));
	assert_false(sync_folder_selected("* !Junk", "Junk"));
}

static void test_journal(void **state)
{
	(void)state;
	char *tmp = tu_tmpdir();
	char *path = xasprintf("%s/acct/journal", tmp);
	journal_t *j;
	assert_int_equal(journal_open(path, &j), JOURNAL_OK);
	struct journal_entry a = { .op = JOURNAL_MOVE, .folder = "INBOX", .uid = 7, .dest = "Old Stuff/2023",
				   .dest_file = "cur/1.x:2,S" };
	struct journal_entry b = { .op = JOURNAL_EXPUNGE, .folder = "100% spam", .uid = 9 };
	assert_int_equal(journal_add(j, &a), JOURNAL_OK);
	assert_int_equal(journal_add(j, &b), JOURNAL_OK);
	assert_int_equal(a.seq, 1);
	assert_int_equal(b.seq, 2);
	struct journal_entry *v;
	size_t n;
	assert_int_equal(journal_pending(j, &v, &n), JOURNAL_OK);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].op, JOURNAL_MOVE);
	assert_string_equal(v[0].dest, "Old Stuff/2023");
	assert_string_equal(v[0].dest_file, "cur/1.x:2,S");
	assert_string_equal(v[1].folder, "100% spam");
	assert_int_equal(v[1].uid, 9);
	journal_entries_free(&v, n);
	assert_null(v);

	assert_int_equal(journal_done(j, 1), JOURNAL_OK);
	/* A torn last line (crash mid-append) is ignored. */
	FILE *f = fopen(path, "a");
	fputs("a 3 expunge INBOX 4", f);
	fclose(f);
	assert_int_equal(journal_pending(j, &v, &n), JOURNAL_OK);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].seq, 2);
	journal_entries_free(&v, n);
	/* Compaction keeps pending entries (and drops the torn line) and the
	 * sequence keeps growing. */
	assert_int_equal(journal_compact(j), JOURNAL_OK);
	assert_int_equal(journal_pending(j, &v, &n), JOURNAL_OK);
	assert_int_equal(n, 1);
	journal_entries_free(&v, n);
	assert_int_equal(journal_done(j, 2), JOURNAL_OK);
	assert_int_equal(journal_compact(j), JOURNAL_OK);
	struct journal_entry c = { .op = JOURNAL_EXPUNGE, .folder = "INBOX", .uid = 1 };
	assert_int_equal(journal_add(j, &c), JOURNAL_OK);
	assert_true(c.seq > 2);
	journal_free(&j);
	assert_null(j);
	free(path);
	tu_rmtree(tmp);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_mailboxid),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_merge_keywords),
		cmocka_unit_test(test_guard),
		cmocka_unit_test(test_folder_patterns),
		cmocka_unit_test(test_journal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
