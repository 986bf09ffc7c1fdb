/* test_repair.c - `muttlike reindex` and `muttlike doctor` (issue 11).
 *
 * The index is damaged the two ways a full disk or a careless hand does
 * it (the Xapian tables overwritten, the Xapian directory removed) after
 * a sync and local-only tags added both through the store (as the reader
 * does) and through notmuch directly (as `notmuch tag` does); `muttlike
 * reindex` must bring back every message, a database `notmuch count`
 * reads, and every tag.  The tag dump is compared with what `notmuch
 * dump` itself writes.  `muttlike doctor` gets each kind of damage made
 * by hand and must repair the local ones and name the rest.
 */
#include "sync_helpers.h"

#include <sys/stat.h>
#include <utime.h>

static char *rcfile, *nmconfig;

static int fresh(void **state)
{
	(void)state;
	st_fresh_local(11, 60);
	rcfile = tu_write(E.tmp, "test.rc", E.rc, 0600);
	char *nm = xasprintf("[database]\npath=%s/mail\n", E.data);
	nmconfig = tu_write(E.tmp, "notmuch-config", nm, 0600);
	free(nm);
	return 0;
}

static int teardown(void **state)
{
	free(rcfile);
	free(nmconfig);
	return st_group_teardown(state);
}

static char *ml(int *st, const char *args)
{
	return tu_run(st, "'%s' -F '%s' %s", tu_env("MUTTLIKE_BIN"), rcfile, args);
}

/* notmuch's own command line on our database. */
static char *nm(int *st, const char *args)
{
	return tu_run(st, "NOTMUCH_CONFIG='%s' notmuch %s 2>/dev/null", nmconfig, args);
}

static size_t lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The first n Message-IDs in id order. */
static char **first_ids(size_t n)
{
	char *mail = xasprintf("%s/mail", E.data);
	notmuch_database_t *db = NULL;
	assert_int_equal(notmuch_database_open_with_config(mail, NOTMUCH_DATABASE_MODE_READ_ONLY, "", NULL, &db, NULL),
			 0);
	notmuch_query_t *q = NULL;
	assert_int_equal(notmuch_query_create_with_syntax(db, "*", NOTMUCH_QUERY_SYNTAX_XAPIAN, &q), 0);
	notmuch_query_set_sort(q, NOTMUCH_SORT_MESSAGE_ID);
	notmuch_messages_t *ms = NULL;
	assert_int_equal(notmuch_query_search_messages(q, &ms), 0);
	char **ids = xcalloc(n, sizeof(*ids));
	for (size_t i = 0; i < n && notmuch_messages_valid(ms); i++, notmuch_messages_move_to_next(ms)) {
		notmuch_message_t *m = notmuch_messages_get(ms);
		ids[i] = xstrdup(notmuch_message_get_message_id(m));
		notmuch_message_destroy(m);
	}
	notmuch_query_destroy(q);
	notmuch_database_destroy(db);
	free(mail);
	for (size_t i = 0; i < n; i++)
		assert_non_null(ids[i]);
	return ids;
}

static void free_ids(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* Tags through the store writer, as the reader sets them. */
static void store_tags(char **ids, size_t n, const char *changes)
{
	char *mail = xasprintf("%s/mail", E.data), *state = xasprintf("%s/state", E.data);
	store_t *s = NULL;
	char *err = NULL;
	if (store_open(mail, state, &s, &err) != STORE_OK)
		fail_msg("store_open: %s", err);
	for (size_t i = 0; i < n; i++)
		store_tag(s, ids[i], changes);
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(store_close(&s), 0);
	free(mail);
	free(state);
}

/* A tag through notmuch directly, as `notmuch tag` sets it. */
static void nm_tag(const char *id, const char *tag)
{
	notmuch_database_t *db = st_nm_open_rw();
	notmuch_message_t *m = NULL;
	assert_int_equal(notmuch_database_find_message(db, id, &m), 0);
	assert_non_null(m);
	assert_int_equal(notmuch_message_add_tag(m, tag), 0);
	notmuch_message_destroy(m);
	assert_int_equal(notmuch_database_close(db), 0);
	notmuch_database_destroy(db);
}

/* Our dump holds exactly what `notmuch dump --include=tags` writes. */
static void check_dump_matches_notmuch(void)
{
	int st;
	char *ours = tu_run(&st, "grep -v '^#' '%s/state/tags.dump' | sort", E.data);
	assert_int_equal(st, 0);
	char *theirs = nm(&st, "dump --include=tags");
	assert_int_equal(st, 0);
	free(theirs);
	theirs = tu_run(&st, "NOTMUCH_CONFIG='%s' notmuch dump --include=tags 2>/dev/null | grep -v '^#' | sort",
			nmconfig);
	assert_int_equal(st, 0);
	assert_string_equal(ours, theirs);
	free(ours);
	free(theirs);
}

struct tag_counts {
	unsigned all, lokal, weird, work, inbox, flagged, unread, account;
};

static struct tag_counts count_tags(void)
{
	struct tag_counts c = {
		.all = st_nm_count("*"),
		.lokal = st_nm_count("tag:lokal-\xc3\xbc"),
		.weird = st_nm_count("tag:\"sp ace(\xc3\xbc)\""),
		.work = st_nm_count("tag:work"),
		.inbox = st_nm_count("tag:inbox"),
		.flagged = st_nm_count("tag:flagged"),
		.unread = st_nm_count("tag:unread"),
		.account = st_nm_count("tag:account:test"),
	};
	return c;
}

static void damage(int how)
{
	int st;
	char *out;
	if (how == 0) /* the table overwritten (every block: which holds the root varies) */
		out = tu_run(&st, "f='%s/mail/.notmuch/xapian/postlist.glass'; head -c $(stat -c %%s \"$f\") /dev/zero | "
				  "tr '\\0' x | dd of=\"$f\" conv=notrunc",
			     E.data);
	else
		out = tu_run(&st, "rm -r '%s/mail/.notmuch/xapian'", E.data);
	assert_int_equal(st, 0);
	free(out);
}

static void test_reindex_restores(void **state)
{
	(void)state;
	assert_int_equal(st_sync().status, SYNC_OK);
	char **ids = first_ids(6);
	/* local-only tags (not IMAP atoms), a keyword, a flag, through the store */
	store_tags(ids, 3, "+lokal-\xc3\xbc +inbox");
	store_tags(ids + 3, 1, "+work +flagged");
	/* and behind the store's back: the next writer dumps again */
	nm_tag(ids[4], "sp ace(\xc3\xbc)");
	nm_tag(ids[5], "lokal-\xc3\xbc");
	assert_int_equal(st_sync().status, SYNC_OK); /* pushes "work" and the flag, reads the tags: dumps */
	check_dump_matches_notmuch();
	struct tag_counts before = count_tags();
	assert_int_equal(before.lokal, 4);
	assert_int_equal(before.weird, 1);
	assert_int_equal(before.work, 1);
	assert_int_equal(before.account, before.all);
	unsigned files = st_count_files(NULL);
	assert_int_equal(st_nm_files("*"), files);

	for (int round = 0; round < 2; round++) {
		damage(round);
		int st;
		char *out = ml(&st, "search '*'");
		assert_int_equal(st, 1);
		assert_non_null(strstr(out, "cannot be read"));
		assert_non_null(strstr(out, "run 'muttlike reindex'"));
		assert_int_equal(lines(out), 1);
		free(out);
		out = ml(&st, "doctor");
		assert_int_equal(st, 1);
		assert_non_null(strstr(out, "run 'muttlike reindex'"));
		free(out);

		out = ml(&st, "reindex");
		assert_int_equal(st, 0);
		assert_int_equal(lines(out), 1); /* not a terminal: the summary only */
		char *want = xasprintf("reindex: %u files in", files);
		assert_non_null(strstr(out, want));
		free(want);
		assert_non_null(strstr(out, "tags restored for"));
		assert_non_null(strstr(out, "the unreadable index is in"));
		free(out);

		out = ml(&st, "search '*'");
		assert_int_equal(st, 0);
		assert_int_equal(lines(out), before.all);
		free(out);
		out = nm(&st, "count '*'");
		assert_int_equal(st, 0);
		assert_int_equal(strtoul(out, NULL, 10), before.all);
		free(out);
		struct tag_counts after = count_tags();
		assert_memory_equal(&after, &before, sizeof(before));
		assert_int_equal(st_nm_files("*"), files);
		/* the restored tags are in the new dump, and nothing waits */
		check_dump_matches_notmuch();
		char *pending = xasprintf("%s/state/tags.dump.rebuild", E.data);
		assert_int_not_equal(access(pending, F_OK), 0);
		free(pending);
	}
	/* The old databases are kept aside for the user. */
	int st;
	char *out = tu_run(&st, "ls -d '%s'/mail/.notmuch.broken-* | wc -l", E.data);
	assert_int_equal(strtoul(out, NULL, 10), 2);
	free(out);
	/* The mirror carries on as if nothing happened. */
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched + r.stats.pushed + r.stats.deleted, 0);
	assert_int_equal(st_compare(), 0);
	free_ids(ids, 6);
}

/* On request: a readable index is dumped first; one account is indexed
 * again in place; an index another writer holds is left alone. */
static void test_reindex_on_request(void **state)
{
	(void)state;
	assert_int_equal(st_sync().status, SYNC_OK);
	char **ids = first_ids(2);
	nm_tag(ids[0], "sp ace(\xc3\xbc)"); /* only in the index: no dump has it yet */
	struct tag_counts before = count_tags();
	int st;
	notmuch_database_t *held = st_nm_open_rw();
	char *out = ml(&st, "reindex");
	assert_int_equal(st, 1);
	assert_non_null(strstr(out, "in use"));
	free(out);
	notmuch_database_destroy(held);

	out = ml(&st, "reindex test");
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "indexed again (tags kept)"));
	free(out);
	struct tag_counts after = count_tags();
	assert_memory_equal(&after, &before, sizeof(before));

	out = ml(&st, "reindex");
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "the old index is in"));
	free(out);
	after = count_tags();
	assert_memory_equal(&after, &before, sizeof(before));
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	out = ml(&st, "reindex nosuch");
	assert_int_equal(st, 2);
	free(out);
	free_ids(ids, 2);
}

static char *uid_file(const char *folder, unsigned uid)
{
	char *f = st_find_uid(folder, uid);
	assert_non_null(f);
	return f;
}

static void test_doctor(void **state)
{
	(void)state;
	assert_int_equal(st_sync().status, SYNC_OK);
	int st;
	char *out = ml(&st, "doctor");
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, ": 0 problems found"));
	free(out);

	out = st_imap("uids INBOX");
	unsigned u[5];
	char *p = out;
	for (int i = 0; i < 5; i++) {
		u[i] = (unsigned)strtoul(p, &p, 10);
		assert_true(u[i] > 0);
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	free(out);
	/* 1. a file removed: its state line stays */
	char *f0 = uid_file("INBOX", u[0]);
	assert_int_equal(unlink(f0), 0);
	/* 2. a state line removed */
	free(tu_run(&st, "sed -i '/^m %u /d' '%s/state/test/INBOX.state'", u[1], E.data));
	/* 3. an index entry removed */
	char *f2 = uid_file("INBOX", u[2]);
	st_nm_unindex(f2);
	/* 4. a file moved away behind the index's back */
	char *f3 = uid_file("INBOX", u[3]);
	char *away = xasprintf("%s/away", E.tmp);
	assert_int_equal(rename(f3, away), 0);
	/* 5. a copy of a file under another name: its UID twice */
	char *f4 = uid_file("INBOX", u[4]);
	char *copy = xasprintf("%s/INBOX/cur/1.M1P1Q1.copy,U=%u:2,S", E.acctdir, u[4]);
	free(tu_run(&st, "cp '%s' '%s'", f4, copy));
	assert_int_equal(st, 0);
	/* 6. an unfinished file in tmp/, two days old */
	char *stale = tu_write(E.acctdir, "INBOX/tmp/1.M2P2Q2.elsewhere", "partial", 0600);
	struct utimbuf old = { time(NULL) - 48 * 3600, time(NULL) - 48 * 3600 };
	assert_int_equal(utime(stale, &old), 0);
	assert_int_equal(st_nm_files("*") + 2, st_count_files(NULL)); /* f2 and the copy */

	out = ml(&st, "doctor test");
	assert_int_equal(st, 1);
	char *want = xasprintf("UID %u: the sync state says it is here but its file is gone; run 'muttlike sync "
			       "--verify test'",
			       u[0]);
	assert_non_null(strstr(out, want));
	free(want);
	want = xasprintf("UID %u is not in the sync state; the next sync adopts it", u[1]);
	assert_non_null(strstr(out, want));
	free(want);
	want = xasprintf("%s: not in the index; indexed", strrchr(f2, '/') - 3);
	assert_non_null(strstr(out, want));
	free(want);
	want = xasprintf("%s: in the index but the file is gone; entry dropped", strrchr(f3, '/') - 3);
	assert_non_null(strstr(out, want));
	free(want);
	want = xasprintf("UID %u is in more than one file", u[4]);
	assert_non_null(strstr(out, want));
	free(want);
	assert_non_null(strstr(out, "test/INBOX: tmp/1.M2P2Q2.elsewhere: unfinished file removed"));
	/* f0, f3 (the state says here), u1 (not in the state), the duplicate:
	 * left; f2 and the copy indexed, the entries of f0 and f3 dropped,
	 * tmp cleaned: repaired */
	if (!strstr(out, "9 problems found, 5 repaired, 4 left"))
		fail_msg("doctor said:\n%s", out);
	free(out);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	assert_int_not_equal(access(stale, F_OK), 0);

	/* What doctor left is for the user and sync --verify. */
	assert_int_equal(unlink(copy), 0);
	st_verify = true;
	struct st_result r = st_sync();
	st_verify = false;
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.repaired_fetched, 2);
	out = ml(&st, "doctor");
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, ": 0 problems found"));
	free(out);
	assert_int_equal(st_compare(), 0);
	free(f0);
	free(f2);
	free(f3);
	free(f4);
	free(away);
	free(copy);
	free(stale);
}

int main(void)
{
	st_test_filter();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reindex_restores, fresh, teardown),
		cmocka_unit_test_setup_teardown(test_reindex_on_request, fresh, teardown),
		cmocka_unit_test_setup_teardown(test_doctor, fresh, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
