/* test_sync_keywords.c - IMAP keywords <-> notmuch tags, both ways, merged
 * three ways against the last synced state (Dovecot's PERMANENTFLAGS has
 * \*, so new keywords may be created).
 *
 * The tests run in order on one server and one local store. */
#include "sync_helpers.h"

/* The Message-ID (without <>) of INBOX's message uid, from its file. */
static char *mid_of(unsigned uid)
{
	char *p = st_find_uid("INBOX", uid);
	assert_non_null(p);
	char *data = tu_read(p);
	char *lt = strchr(strcasestr(data, "\nMessage-ID:"), '<');
	char *mid = xstrndup(lt + 1, strcspn(lt + 1, ">"));
	free(data);
	free(p);
	return mid;
}

/* What the reader does: change tags through the single writer. */
static void reader_tag(unsigned uid, const char *changes)
{
	char *mid = mid_of(uid);
	char *mail = xasprintf("%s/mail", E.data), *stdir = xasprintf("%s/state", E.data);
	store_t *store = NULL;
	char *err = NULL;
	assert_int_equal(store_open(mail, stdir, &store, &err), STORE_OK);
	store_tag(store, mid, changes);
	assert_int_equal(store_flush(store), 0);
	store_close(&store);
	free(mail);
	free(stdir);
	free(mid);
}

/* What `notmuch tag` does: its own read-write handle, no muttlike code. */
static void notmuch_tag(unsigned uid, const char *tag, bool add)
{
	char *mid = mid_of(uid);
	notmuch_database_t *db = st_nm_open_rw();
	notmuch_message_t *m = NULL;
	assert_int_equal(notmuch_database_find_message(db, mid, &m), NOTMUCH_STATUS_SUCCESS);
	assert_non_null(m);
	if (add)
		notmuch_message_add_tag(m, tag);
	else
		notmuch_message_remove_tag(m, tag);
	notmuch_message_destroy(m);
	notmuch_database_close(db);
	notmuch_database_destroy(db);
	free(mid);
}

/* 1 when INBOX's message uid has tag locally, else 0. */
static unsigned has_tag(unsigned uid, const char *tag)
{
	char *mid = mid_of(uid);
	char *q = xasprintf("id:\"%s\" and tag:\"%s\"", mid, tag);
	unsigned n = st_nm_count(q);
	free(q);
	free(mid);
	return n;
}

static void assert_server_kw(unsigned uid, const char *want)
{
	char *out = st_imap("uidkw INBOX %u", uid);
	char *nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
	if (strcmp(out, want) != 0)
		fail_msg("uid %u: server keywords '%s', want '%s'", uid, out, want);
	free(out);
}

static void test_initial(void **state)
{
	(void)state;
	st_populate(11, 40, NULL);
	/* Start from no keywords on the first messages. */
	free(st_imap("flags INBOX 1:10 '-work alpha beta project-x viacli crashy srvk new late'"));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_compare(), 0);
	for (unsigned u = 1; u <= 6; u++)
		assert_server_kw(u, "-");
}

static void test_server_keyword_becomes_tag(void **state)
{
	(void)state;
	free(st_imap("flags INBOX 1 '+work $Label1'"));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.pushed, 0);
	assert_int_equal(has_tag(1, "work"), 1);
	assert_int_equal(has_tag(1, "$Label1"), 1);
}

static void test_local_tag_becomes_keyword(void **state)
{
	(void)state;
	/* A keyword-able tag, and local-only tags that must stay local. */
	reader_tag(2, "+project-x +inbox +attachment +signed");
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.pushed, 1);
	assert_server_kw(2, "project-x");
	assert_int_equal(st_compare(), 0);
	/* Nothing left to do. */
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.pushed + r.stats.pulled + r.stats.fetched, 0);
}

static void test_notmuch_tool_tag_becomes_keyword(void **state)
{
	(void)state;
	notmuch_tag(5, "viacli", true);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.pushed, 1);
	assert_server_kw(5, "viacli");
}

static void test_local_removal_removes_keyword(void **state)
{
	(void)state;
	reader_tag(1, "-work");
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.pushed, 1);
	assert_server_kw(1, "$label1");
	assert_int_equal(has_tag(1, "work"), 0);
	assert_int_equal(has_tag(1, "$Label1"), 1);
}

static void test_server_removal_removes_tag(void **state)
{
	(void)state;
	free(st_imap("flags INBOX 2 -project-x"));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.pushed, 0);
	assert_int_equal(has_tag(2, "project-x"), 0);
	/* The local-only tags were left alone. */
	assert_int_equal(has_tag(2, "inbox"), 1);
	assert_server_kw(2, "-");
}

static void test_both_sides_merge(void **state)
{
	(void)state;
	/* Message 4: the server adds alpha, here beta is added: both win.
	 * Message 5: the server removes viacli while a flag changes here. */
	free(st_imap("flags INBOX 4 +alpha"));
	free(st_imap("flags INBOX 5 -viacli"));
	reader_tag(4, "+beta");
	reader_tag(5, "+flagged");
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_server_kw(4, "alpha beta");
	assert_int_equal(has_tag(4, "alpha"), 1);
	assert_int_equal(has_tag(4, "beta"), 1);
	assert_server_kw(5, "-");
	assert_int_equal(has_tag(5, "viacli"), 0);
	assert_int_equal(has_tag(5, "flagged"), 1);
	assert_int_equal(st_compare(), 0);
	r = st_sync();
	assert_int_equal(r.stats.pushed + r.stats.pulled + r.stats.fetched, 0);
}

static void test_server_keyword_named_like_local_tag(void **state)
{
	(void)state;
	/* "new" is a local-only tag here; as a server keyword it has no local
	 * side, and only the server adds or removes it. */
	free(st_imap("flags INBOX 8 +new"));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.pushed + r.stats.pulled, 0);
	assert_server_kw(8, "new");
	free(st_imap("flags INBOX 8 -new"));
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.pushed, 0);
	assert_server_kw(8, "-");
}

static void test_crash_never_reads_lost_tag_as_removal(void **state)
{
	(void)state;
	/* A writer died before notmuch committed a keyword tag: the index
	 * lacks it while the state says it was synced.  That must bring the
	 * tag back, not remove the keyword from the server. */
	notmuch_tag(4, "alpha", false);
	char *m = tu_write(E.data, "state/store.dirty", "1\n", 0600);
	free(m);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_server_kw(4, "alpha beta");
	assert_int_equal(has_tag(4, "alpha"), 1);
	assert_int_equal(has_tag(4, "beta"), 1);
}

static void test_killed_passes_converge(void **state)
{
	(void)state;
	/* Killed right after the keyword STORE, before the state is saved. */
	reader_tag(6, "+crashy");
	assert_int_equal(st_sync_fault("push:1"), 99);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_server_kw(6, "crashy");
	assert_int_equal(has_tag(6, "crashy"), 1);
	/* Killed after a server keyword was given to the index (not
	 * committed) and before the state was saved. */
	free(st_imap("flags INBOX 7 +srvk"));
	assert_int_equal(st_sync_fault("state:1"), 99);
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_server_kw(7, "srvk");
	assert_int_equal(has_tag(7, "srvk"), 1);
	r = st_sync();
	assert_int_equal(r.stats.pushed + r.stats.pulled + r.stats.fetched, 0);
	assert_int_equal(st_compare(), 0);
}

/* `muttlike sync` in its own process: there a no-op pass skips reading
 * the tags (the index stamp is unchanged), so this checks that a later
 * `notmuch tag` is still seen. */
static void cli_sync(void)
{
	char *rc = tu_write(E.tmp, "cli.rc", E.rc, 0600);
	int st;
	char *out = tu_run(&st, "'%s' -F '%s' sync 2>&1", tu_env("MUTTLIKE_BIN"), rc);
	if (st != 0)
		fail_msg("muttlike sync: %s", out);
	free(out);
	free(rc);
}

static void test_cli_passes_see_notmuch_tags(void **state)
{
	(void)state;
	cli_sync();
	cli_sync(); /* a no-op: the stamp is recorded and unchanged */
	char *stamp = xasprintf("%s/state/test/index.stamp", E.data);
	assert_int_equal(access(stamp, F_OK), 0);
	free(stamp);
	notmuch_tag(9, "late", true);
	cli_sync();
	assert_server_kw(9, "late");
	notmuch_tag(9, "late", false);
	cli_sync();
	cli_sync();
	assert_server_kw(9, "-");
	assert_int_equal(has_tag(9, "late"), 0);
}

static void test_lost_state_keeps_keywords(void **state)
{
	(void)state;
	int st;
	char *out = tu_run(&st, "rm -f '%s'/state/test/*.state", E.data);
	free(out);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0);
	assert_server_kw(1, "$label1");
	assert_server_kw(4, "alpha beta");
	assert_int_equal(has_tag(1, "$Label1"), 1);
	assert_int_equal(st_compare(), 0);
}

/* Keyword pushes are one UID STORE per distinct change, not per
 * message (doc/sync.md, "The wire"). */
static void test_keyword_store_per_change(void **state)
{
	(void)state;
	for (unsigned u = 8; u <= 10; u++)
		reader_tag(u, "+grp");
	char *rig = st_rawlog();
	int st;
	free(tu_run(&st, "%s off; %s on", rig, rig));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.pushed, 3);
	assert_int_equal(st_sent_count(rig, "^[^ ]+ UID STORE "), 1);
	assert_int_equal(st_sent_count(rig, "^[^ ]+ UID STORE 8:10 \\+FLAGS\\.SILENT \\(grp\\)$"), 1);
	for (unsigned u = 8; u <= 10; u++)
		assert_server_kw(u, "grp");
	r = st_sync();
	assert_int_equal(r.stats.pushed + r.stats.pulled + r.stats.fetched, 0);
	free(tu_run(&st, "%s off", rig));
	free(rig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial),
		cmocka_unit_test(test_server_keyword_becomes_tag),
		cmocka_unit_test(test_local_tag_becomes_keyword),
		cmocka_unit_test(test_notmuch_tool_tag_becomes_keyword),
		cmocka_unit_test(test_local_removal_removes_keyword),
		cmocka_unit_test(test_server_removal_removes_tag),
		cmocka_unit_test(test_both_sides_merge),
		cmocka_unit_test(test_server_keyword_named_like_local_tag),
		cmocka_unit_test(test_crash_never_reads_lost_tag_as_removal),
		cmocka_unit_test(test_killed_passes_converge),
		cmocka_unit_test(test_cli_passes_see_notmuch_tags),
		cmocka_unit_test(test_lost_state_keeps_keywords),
		cmocka_unit_test(test_keyword_store_per_change),
	};
	st_test_filter();
	return cmocka_run_group_tests(tests, st_group_setup, st_group_teardown);
}
