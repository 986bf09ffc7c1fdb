/* test_sync_guard.c - the never-lose-mail guards against a real server.
 *
 *  - a folder emptied on the server: deletions refused until allowed;
 *  - a folder emptied locally: deletions on the server refused likewise;
 *  - UIDVALIDITY changed with the same messages: re-mapped, nothing fetched;
 *  - UIDVALIDITY changed with other messages: local ones kept as orphans;
 *  - the connection dropped in the middle of a FETCH: the next run resumes
 *    with no duplicate and no half-written file.
 */
#include "sync_helpers.h"

static void test_initial(void **state)
{
	(void)state;
	st_populate(21, 500, NULL);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_compare(), 0);
}

static void test_server_emptied_folder_is_not_mirrored(void **state)
{
	(void)state;
	unsigned before = st_count_files("INBOX");
	assert_true(before >= 40);
	free(st_imap("expunge-all INBOX"));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_ERR_FOLDER);
	assert_int_equal(st_count_files("INBOX"), before);
	assert_int_equal(r.stats.deleted, 0);
	/* Still refused on the next run: the decision is the user's. */
	r = st_sync();
	assert_int_equal(r.status, SYNC_ERR_FOLDER);
	assert_int_equal(st_count_files("INBOX"), before);
	/* muttlike sync --allow-deletes INBOX */
	r = st_sync_allow("INBOX");
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.deleted, before);
	assert_int_equal(st_count_files("INBOX"), 0);
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
}

static void test_local_emptied_folder_is_not_pushed(void **state)
{
	(void)state;
	char *out = st_imap("count Archive");
	unsigned srv = (unsigned)strtoul(out, NULL, 10);
	free(out);
	assert_true(srv >= 20);
	int st;
	out = tu_run(&st, "rm -f '%s'/Archive/cur/*", E.acctdir);
	free(out);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_ERR_FOLDER);
	out = st_imap("count Archive");
	assert_int_equal((unsigned)strtoul(out, NULL, 10), srv);
	free(out);
	/* Allowed: they go to the Trash, as delete_policy says. */
	r = st_sync_allow("Archive");
	assert_int_equal(r.status, SYNC_OK);
	out = st_imap("count Archive");
	assert_int_equal((unsigned)strtoul(out, NULL, 10), 0);
	free(out);
	assert_int_equal(st_compare(), 0);
}

static void test_uidvalidity_same_messages(void **state)
{
	(void)state;
	unsigned before = st_count_files("Sent");
	assert_true(before > 0);
	free(st_imap("recreate Sent"));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0); /* re-mapped, not downloaded again */
	assert_int_equal(st_count_files("Sent"), before);
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
}

static void test_uidvalidity_other_messages(void **state)
{
	(void)state;
	unsigned before = st_count_files("Work/Projects");
	assert_true(before > 0);
	free(st_imap("recreate-empty Work/Projects"));
	char *f = tu_write(E.tmp, "new.eml", "From: x@example.org\nSubject: after\nMessage-ID: <after-1@test>\n\nx\n", 0600);
	free(st_imap("append Work/Projects '%s'", f));
	free(f);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 1);
	assert_int_equal(r.stats.deleted, 0);
	/* The old ones are kept (as orphans, ",U=0"), the new one is here. */
	assert_int_equal(st_count_files("Work/Projects"), before + 1);
	int st;
	char *out = tu_run(&st, "ls '%s/Work/Projects/cur' | grep -c ',U=0:'", E.acctdir);
	assert_int_equal((unsigned)strtoul(out, NULL, 10), before);
	free(out);
	assert_int_equal(st_compare(), 0);
	/* And they stay: the next pass neither uploads nor deletes them. */
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_count_files("Work/Projects"), before + 1);
	out = st_imap("count Work/Projects");
	assert_int_equal((unsigned)strtoul(out, NULL, 10), 1);
	free(out);
}

/* Kick alice off the server at the first fetch batch. */
static void kick_on_progress(const struct sync_event *ev, void *ud)
{
	bool *done = ud;
	if (ev->kind != SYNC_EV_PROGRESS || ev->done == 0 || *done)
		return;
	*done = true;
	int st;
	char *out = tu_run(&st, "'%s/tests/rig/rig' kick '%s' '%s'", tu_env("MUTTLIKE_SRCDIR"), tu_env("RIG_DIR"),
			   tu_env("RIG_USER"));
	free(out);
}

static void test_connection_dropped_mid_fetch(void **state)
{
	(void)state;
	/* A fresh local copy, so that there is a lot to fetch. */
	st_teardown_env();
	st_setup_env();
	conf_t *c = conf_new();
	assert_int_equal(conf_load_string(c, "test.rc", E.rc), 0);
	char *mail = xasprintf("%s/mail", E.data), *stdir = xasprintf("%s/state", E.data);
	store_t *store = NULL;
	char *err = NULL;
	assert_int_equal(store_open(mail, stdir, &store, &err), STORE_OK);
	bool kicked = false;
	struct sync_options o = { .conf = c, .account = 0, .store = store, .event = kick_on_progress,
				  .event_ud = &kicked };
	sync_t *s = sync_new(&o);
	sync_set_store(s, store);
	enum sync_status st = sync_run(s);
	assert_true(kicked);
	assert_int_equal(st, SYNC_ERR_NET);
	assert_non_null(strstr(sync_error(s), "connection"));
	size_t got = sync_get_stats(s)->fetched;
	sync_free(&s);
	store_close(&store);
	free(mail);
	free(stdir);
	conf_free(&c);
	/* What arrived stays; the next run completes it. */
	assert_int_equal(st_count_files(NULL), got);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	int rc;
	char *out = tu_run(&rc, "find '%s' -type f -path '%s/*/tmp/*' | wc -l", E.acctdir, E.acctdir);
	assert_int_equal((unsigned)strtoul(out, NULL, 10), 0);
	free(out);
}

/* delete_policy = trash with no Trash folder: nothing is expunged on the
 * server (issue 19: on an INBOX.-namespace server a failed CREATE Trash
 * used to end in STORE \Deleted + UID EXPUNGE).  Then a folder whose last
 * component is the name (Courier's INBOX.Trash) is the Trash. */
static void test_no_trash_folder_no_expunge(void **state)
{
	(void)state;
	char *saved = E.rc;
	E.rc = xasprintf("%sset trash = \"Bin\"\n", saved); /* no folder of that name */
	free(st_imap("appendmany INBOX 3 trash-test"));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	char *out = st_imap("count INBOX");
	unsigned srv = (unsigned)strtoul(out, NULL, 10);
	free(out);
	out = st_imap("uids INBOX");
	unsigned uid = (unsigned)strtoul(out, NULL, 10); /* the first */
	free(out);
	char *p = st_find_uid("INBOX", uid);
	assert_non_null(p);
	assert_int_equal(unlink(p), 0);
	free(p);
	r = st_sync();
	assert_int_equal(r.status, SYNC_ERR_FOLDER); /* said, not done */
	out = st_imap("count INBOX");
	assert_int_equal((unsigned)strtoul(out, NULL, 10), srv);
	free(out);
	out = st_imap("uidflags INBOX %u", uid);
	assert_null(strstr(out, "GONE"));
	free(out);
	/* A folder "Archive/Bin" now exists: its last component names it. */
	free(st_imap("create Archive/Bin"));
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	out = st_imap("count INBOX");
	assert_int_equal((unsigned)strtoul(out, NULL, 10), srv - 1);
	free(out);
	out = st_imap("count Archive/Bin");
	assert_int_equal((unsigned)strtoul(out, NULL, 10), 1);
	free(out);
	assert_int_equal(st_compare(), 0);
	free(E.rc);
	E.rc = saved;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial),
		cmocka_unit_test(test_server_emptied_folder_is_not_mirrored),
		cmocka_unit_test(test_local_emptied_folder_is_not_pushed),
		cmocka_unit_test(test_uidvalidity_same_messages),
		cmocka_unit_test(test_uidvalidity_other_messages),
		cmocka_unit_test(test_connection_dropped_mid_fetch),
		cmocka_unit_test(test_no_trash_folder_no_expunge),
	};
	st_test_filter();
	return cmocka_run_group_tests(tests, st_group_setup, st_group_teardown);
}
