/* test_sync_skip.c - a pass does not list a Maildir that nothing touched
 * since the last pass found it equal to its state (state_dir/<account>/
 * dirstamps: inode and ctime of the state file, cur/ and new/), and every
 * kind of change since is still seen: a rename (flags), a deletion, a new
 * local file, a tag changed by `notmuch tag` (no trace in the Maildir), a
 * change on the server, a lost state file.
 *
 * A key is recorded only when its parts are at least a second old (a
 * change within the same clock tick would not move a ctime): the quiet
 * passes wait until the ctimes are that old (aged()).  The tests run in
 * order on one server and one local store. */
#include "sync_helpers.h"

#include <time.h>
#include <unistd.h>

static unsigned skipped;

static void counting_sink(enum log_level level, const char *line, void *ud)
{
	(void)ud;
	if (strstr(line, "not listed"))
		skipped++;
	if (getenv("SYNC_TEST_VERBOSE"))
		fprintf(stderr, "[%s] %s\n", log_level_name(level), line);
}

/* A pass; *nskipped gets the number of folders it did not list. */
static struct st_result sync_counting(unsigned *nskipped)
{
	skipped = 0;
	log_set_sink(counting_sink, NULL);
	log_set_level(LOG_DEBUG);
	struct st_result r = st_sync();
	*nskipped = skipped;
	return r;
}

static unsigned changes(const struct st_result *r)
{
	return (unsigned)(r->stats.fetched + r->stats.pushed + r->stats.pulled + r->stats.deleted);
}

/* True when every part of a folder's key (each state file, each cur/
 * and new/) is old enough for the key (src/sync.c, ident(): its ctime's
 * second is before now - 1). */
static bool aged(void)
{
	int st;
	long long young = (long long)time(NULL) - 2; /* ctime after young.999999999: too young */
	char *out = tu_run(&st,
			   "{ find '%s' -type d \\( -name cur -o -name new \\) -newerct @%lld.999999999;"
			   "  find '%s/state' -name '*.state' -newerct @%lld.999999999; } 2>/dev/null | head -n 1",
			   E.acctdir, young, E.data, young);
	bool ok = st == 0 && !*out;
	free(out);
	return ok;
}

/* Let the last changes age past the ctime guard (at most 2 s after the
 * last change; 30 s at most), then make sure the stamps are recorded and
 * used: the second quiet pass lists nothing. */
static void quiet_passes(void)
{
	unsigned n;
	for (int i = 0; i < 600 && !aged(); i++)
		usleep(50000);
	assert_true(aged());
	struct st_result r = sync_counting(&n);
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(changes(&r), 0);
	r = sync_counting(&n);
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(changes(&r), 0);
	assert_true(n >= 1); /* INBOX at least */
}

static void test_setup(void **state)
{
	(void)state;
	st_populate(21, 40, NULL);
	unsigned n;
	struct st_result r = sync_counting(&n);
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 40);
	assert_int_equal(n, 0);
	quiet_passes();
	assert_int_equal(st_compare(), 0);
}

static void test_flag_change_by_rename_is_seen(void **state)
{
	(void)state;
	quiet_passes();
	/* Toggle F (the name must really change). */
	char *p = st_find_uid("INBOX", 2);
	assert_non_null(p);
	const char *info = strstr(p, ":2,") + 3;
	bool had_f = strchr(info, 'F') != NULL;
	char letters[8];
	size_t k = 0;
	for (const char *l = "DFPRST"; *l; l++)
		if ((*l == 'F') != (strchr(info, *l) != NULL))
			letters[k++] = *l;
	letters[k] = '\0';
	st_set_local_flags(p, letters);
	free(p);
	unsigned n;
	struct st_result r = sync_counting(&n); /* at once: same second as the rename */
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.pushed, 1);
	char *fl = st_imap("uidflags INBOX 2");
	assert_true((strchr(fl, 'F') != NULL) != had_f);
	free(fl);
	assert_int_equal(st_compare(), 0);
}

static void test_deletion_is_seen(void **state)
{
	(void)state;
	quiet_passes();
	char *p = st_find_uid("INBOX", 3);
	assert_non_null(p);
	assert_int_equal(unlink(p), 0);
	free(p);
	unsigned n;
	struct st_result r = sync_counting(&n);
	assert_int_equal(r.status, SYNC_OK);
	assert_true(r.stats.pushed >= 1);
	char *fl = st_imap("uidflags INBOX 3");
	assert_non_null(strstr(fl, "GONE"));
	free(fl);
	assert_int_equal(st_compare(), 0);
}

static void test_new_local_message_is_seen(void **state)
{
	(void)state;
	quiet_passes();
	char *d = xasprintf("%s/INBOX/new", E.acctdir);
	free(tu_write(d, "1700000001.skip.host",
		      "From: alice@example.org\nSubject: skip\nMessage-ID: <skip-new@test>\n\nbody\n", 0600));
	free(d);
	unsigned n;
	struct st_result r = sync_counting(&n);
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.pushed, 1);
	char *c = st_imap("midcount INBOX skip-new@test");
	assert_int_equal(strtoul(c, NULL, 10), 1);
	free(c);
	assert_int_equal(st_compare(), 0);
}

static void test_notmuch_tag_is_seen(void **state)
{
	(void)state;
	quiet_passes();
	/* `notmuch tag` from outside: the Maildir does not change. */
	char *p = st_find_uid("INBOX", 5);
	assert_non_null(p);
	char *data = tu_read(p);
	char *lt = strchr(strcasestr(data, "\nMessage-ID:"), '<');
	char *mid = xstrndup(lt + 1, strcspn(lt + 1, ">"));
	free(data);
	free(p);
	notmuch_database_t *db = st_nm_open_rw();
	notmuch_message_t *m = NULL;
	assert_int_equal(notmuch_database_find_message(db, mid, &m), NOTMUCH_STATUS_SUCCESS);
	assert_non_null(m);
	notmuch_message_add_tag(m, "skiptest");
	notmuch_message_destroy(m);
	notmuch_database_close(db);
	notmuch_database_destroy(db);
	free(mid);
	unsigned n;
	struct st_result r = sync_counting(&n);
	assert_int_equal(r.status, SYNC_OK);
	char *kw = st_imap("uidkw INBOX 5");
	assert_non_null(strstr(kw, "skiptest"));
	free(kw);
}

static void test_server_change_is_seen(void **state)
{
	(void)state;
	quiet_passes();
	char *fl = st_imap("uidflags INBOX 6");
	bool had_f = strchr(fl, 'F') != NULL;
	free(fl);
	free(st_imap("flags INBOX 6 %s\\\\Flagged", had_f ? "-" : "+"));
	unsigned n;
	struct st_result r = sync_counting(&n);
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.pulled, 1);
	assert_int_equal(st_compare(), 0);
}

static void test_lost_state_is_seen(void **state)
{
	(void)state;
	quiet_passes();
	char *sp = xasprintf("%s/state/test/INBOX.state", E.data);
	assert_int_equal(unlink(sp), 0);
	free(sp);
	unsigned n;
	struct st_result r = sync_counting(&n);
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0); /* adopted by the names, not downloaded */
	assert_int_equal(r.stats.deleted, 0);
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setup),
		cmocka_unit_test(test_flag_change_by_rename_is_seen),
		cmocka_unit_test(test_deletion_is_seen),
		cmocka_unit_test(test_new_local_message_is_seen),
		cmocka_unit_test(test_notmuch_tag_is_seen),
		cmocka_unit_test(test_server_change_is_seen),
		cmocka_unit_test(test_lost_state_is_seen),
	};
	st_test_filter();
	return cmocka_run_group_tests(tests, st_group_setup, st_group_teardown);
}
