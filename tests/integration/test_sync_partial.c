/* test_sync_partial.c - never lose mail in the push listener's pass.
 *
 * The watch (watch.c, account.c) runs sync_run_folders() over only the
 * folders the server said changed: the journal replayed, then those
 * folders synced.  Here a child runs such a pass over INBOX and Sent with
 * a fault armed (fault_set): _exit(99) at the n-th arrival at a point, as
 * kill -9 would, or the connection dropped before a UID FETCH batch
 * ("drop-fetch": the pass fails).  Before it, both sides changed: on the
 * server a flag, an expunge and NEW_MSGS new messages (a fetch of two
 * batches: the newest 50 alone, then the rest); here a flag, a deletion (to the Trash), a new
 * message in Sent and a move to Archive that the reader recorded in the
 * journal (replayed first; "replay" kills after the server's MOVE,
 * before the journal says done, with the index writer held back:
 * "writer-stall").  Then a clean full pass must give what an
 * uninterrupted one gives: the oracle (imapctl.py compare) finds no
 * difference and no duplicate Message-ID, the index holds exactly the
 * files, each local change reached the server once, and one more pass
 * has nothing to do.  A folder the partial passes did not name keeps its
 * changes on both sides for the next full pass.  The partial pass runs on
 * a new session (as after a reconnect), and in the "session" cases on
 * the session that made a full pass just before the changes, as the
 * listener's usual pass does (st_session_partial_fault).  tests/run-all
 * runs this program under each server capability set (CAPS_MATRIX).
 */
#include "sync_helpers.h"

#include "journal.h"

#define BASE_MSGS 5  /* appended and mirrored first: the messages each case changes */
#define NEW_MSGS 80 /* the server's new mail: two UID FETCH batches (50, 30) */

/* The tags of what the current case appended to the server. */
static char *base_tag, *new_tag;

static int fresh_local(void **state)
{
	(void)state;
	st_fresh_local(23, 60);
	return 0;
}

/* Take away what the case appended (the deleted one is in the Trash), so
 * that the server does not grow by NEW_MSGS a case. */
static int case_teardown(void **state)
{
	if (base_tag) {
		free(st_imap("expunge-tag INBOX '%s'", base_tag));
		free(st_imap("expunge-tag Trash '%s'", base_tag));
		free(st_imap("expunge-tag Archive '%s'", base_tag));
	}
	if (new_tag)
		free(st_imap("expunge-tag INBOX '%s'", new_tag));
	xfree(&base_tag);
	xfree(&new_tag);
	return st_group_teardown(state);
}

/* The last n UIDs of a server folder, ascending. */
static void last_uids(const char *folder, unsigned *u, unsigned n)
{
	char *out = st_imap("uids '%s'", folder);
	unsigned all[4096], k = 0;
	for (char *p = out, *line; (line = strsep(&p, "\n")) && k < 4096;)
		if (*line)
			all[k++] = (unsigned)strtoul(line, NULL, 10);
	free(out);
	assert_true(k >= n);
	memcpy(u, all + k - n, n * sizeof(*u));
}

/* A new message written here into a folder's cur/ (no UID: to upload). */
static void write_local(const char *folder, const char *mid, unsigned k)
{
	char *dir = xasprintf("%s/%s/cur", E.acctdir, st_local(folder));
	char *name = xasprintf("1700001%03u.partial.host:2,S", k);
	char *body = xasprintf("From: alice@example.org\nSubject: local %u\nMessage-ID: <%s>\n\nbody\n", k, mid);
	free(tu_write(dir, name, body, 0600));
	free(body);
	free(name);
	free(dir);
}

/* What the reader does for "move to Archive": move the file (dropping
 * ,U=), then record the move in the journal, which the partial pass
 * replays first although it does not sync Archive. */
static void reader_moves(const char *path)
{
	const char *base = strrchr(path, '/') + 1;
	char *stem = xstrndup(base, (size_t)(strstr(base, ",U=") - base));
	char *dest_file = xasprintf("cur/%s%s", stem, strstr(base, ":2,"));
	char *dst = xasprintf("%s/%s/%s", E.acctdir, st_local("Archive"), dest_file);
	assert_int_equal(rename(path, dst), 0);
	char *jpath = xasprintf("%s/state/test/journal", E.data);
	journal_t *j;
	assert_int_equal(journal_open(jpath, &j), JOURNAL_OK);
	const char *uidp = strstr(base, ",U=") + 3;
	struct journal_entry e = { .op = JOURNAL_MOVE, .folder = "INBOX", .uid = (uint32_t)strtoul(uidp, NULL, 10),
				   .dest = (char *)st_local("Archive"), .dest_file = dest_file };
	assert_int_equal(journal_add(j, &e), JOURNAL_OK);
	journal_free(&j);
	free(jpath);
	free(dst);
	free(dest_file);
	free(stem);
}

static void append_one(const char *folder, const char *mid)
{
	char *body = xasprintf("From: a@example.org\nSubject: server\nMessage-ID: <%s>\n\nbody\n", mid);
	char *f = tu_write(E.tmp, "srv.eml", body, 0600);
	free(st_imap("append '%s' '%s'", folder, f));
	free(f);
	free(body);
}

static void assert_flag(const char *folder, unsigned uid, char letter)
{
	char *p = st_find_uid(folder, uid);
	assert_non_null(p);
	if (!strchr(strstr(p, ":2,"), letter))
		fail_msg("%s UID %u: no %c in %s", folder, uid, letter, p);
	free(p);
}

/* Changes to Archive on both sides, for a case whose partial passes
 * leave it out. */
struct other {
	unsigned srv_uid, loc_uid;
	char *srv_mid, *loc_mid; /* owned */
};

static void other_change(struct other *o, unsigned k)
{
	unsigned u[2];
	last_uids("Archive", u, 2);
	o->srv_uid = u[0];
	o->loc_uid = u[1];
	free(st_imap("flags Archive %u +\\\\Flagged", o->srv_uid));
	o->srv_mid = xasprintf("partial-arch-srv-%u-%d@test", k, (int)getpid());
	append_one("Archive", o->srv_mid);
	char *p = st_find_uid(st_local("Archive"), o->loc_uid);
	assert_non_null(p);
	st_set_local_flags(p, "FRS");
	free(p);
	o->loc_mid = xasprintf("partial-arch-loc-%u-%d@test", k, (int)getpid());
	write_local("Archive", o->loc_mid, 100 + k);
}

static void other_arrived(const struct other *o)
{
	assert_flag(st_local("Archive"), o->srv_uid, 'F');
	assert_int_equal(st_midcount("Archive", o->srv_mid), 1);
	char *fl = st_uidflags("Archive", o->loc_uid);
	assert_string_equal(fl, "FRS");
	free(fl);
	assert_int_equal(st_midcount("Archive", o->loc_mid), 1);
	/* The server's copy is back here with its UID, and only once. */
	assert_int_equal(st_count_files(st_local("Archive")), st_server_count(st_server("Archive")));
}

/* What a case changed on both sides, for the checks after the cut. */
struct changes {
	unsigned k;
	bool other_folder;
	unsigned u[BASE_MSGS]; /* u[i]: <base_tag-(i+1)@test> */
	char *p2, *p3;	       /* the local files flagged and deleted */
	char *delmid, *movedmid, *locmid;
	struct other o;
};

/* The server: a flag, an expunge, new mail.  Here: a flag change, a
 * deletion, a new message in Sent, a move to Archive through the
 * journal; (other_folder) changes to Archive on both sides. */
static void make_changes(void *ud)
{
	struct changes *ch = ud;
	unsigned *u = ch->u;
	free(st_imap("flags INBOX %u +\\\\Flagged", u[0]));
	free(st_imap("expunge INBOX %u", u[1]));
	free(st_imap("appendmany INBOX %d %s", NEW_MSGS, new_tag));
	ch->p2 = st_find_uid("INBOX", u[2]);
	ch->p3 = st_find_uid("INBOX", u[3]);
	char *p4 = st_find_uid("INBOX", u[4]);
	assert_non_null(ch->p2);
	assert_non_null(ch->p3);
	assert_non_null(p4);
	reader_moves(p4);
	free(p4);
	st_set_local_flags(ch->p2, "RS");
	assert_int_equal(unlink(ch->p3), 0);
	ch->delmid = xasprintf("%s-4@test", base_tag);
	ch->movedmid = xasprintf("%s-5@test", base_tag);
	ch->locmid = xasprintf("partial-local-%u-%d@test", ch->k, (int)getpid());
	write_local("Sent", ch->locmid, ch->k);
	if (ch->other_folder)
		other_change(&ch->o, ch->k);
}

/* After the cut: a clean full pass gives what an uninterrupted one
 * gives, and one more has nothing to do. */
static void check_after(struct changes *ch)
{
	unsigned *u = ch->u;
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	assert_int_equal(st_nm_files("tag:account:test"), st_count_files(NULL));

	char *fl = st_uidflags("INBOX", u[2]);
	assert_string_equal(fl, "RS"); /* the local flag survived the cut */
	free(fl);
	fl = st_uidflags("INBOX", u[3]);
	assert_string_equal(fl, "GONE");
	free(fl);
	assert_int_equal(st_midcount("Trash", ch->delmid), 1);
	assert_int_equal(st_midcount("Sent", ch->locmid), 1);
	fl = st_uidflags("INBOX", u[4]);
	assert_string_equal(fl, "GONE");
	free(fl);
	assert_int_equal(st_midcount("Archive", ch->movedmid), 1); /* moved once, not uploaded again */
	assert_flag("INBOX", u[0], 'F');
	assert_null(st_find_uid("INBOX", u[1]));
	assert_int_equal(st_count_files("INBOX"), st_server_count("INBOX")); /* every new message, once */
	if (ch->other_folder)
		other_arrived(&ch->o);

	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched + r.stats.pushed + r.stats.pulled + r.stats.deleted, 0);
}

static void changes_free(struct changes *ch)
{
	free(ch->p2);
	free(ch->p3);
	free(ch->delmid);
	free(ch->movedmid);
	free(ch->locmid);
	free(ch->o.srv_mid);
	free(ch->o.loc_mid);
}

enum cut_on { NEW_SESSION, SAME_SESSION };

/* A mirrored account, changes on both sides, a partial pass over INBOX
 * and Sent cut at spec — on a new session (as after a reconnect), or on
 * the session that just made a full pass (the listener's usual path) —,
 * (with other_folder) a clean partial pass, then the checks. */
static void partial_case_on(const char *spec, bool other_folder, enum cut_on on)
{
	static unsigned round;
	struct changes ch = { .k = round++, .other_folder = other_folder };
	base_tag = xasprintf("pbase%u-%d", ch.k, (int)getpid());
	new_tag = xasprintf("pnew%u-%d", ch.k, (int)getpid());
	free(st_imap("appendmany INBOX %d %s", BASE_MSGS, base_tag));
	st_start_mirrored();
	last_uids("INBOX", ch.u, BASE_MSGS);

	const char *only[] = { st_server("INBOX"), st_server("Sent") };
	if (on == SAME_SESSION) {
		st_assert_cut(spec, st_session_partial_fault(spec, only, 2, make_changes, &ch));
	} else {
		make_changes(&ch);
		st_assert_cut(spec, st_sync_partial_fault(spec, only, 2));
	}
	if (other_folder) {
		/* The watch's next pass, clean: still only INBOX and Sent. */
		struct st_result r = st_sync_partial(only, 2);
		assert_int_equal(r.status, SYNC_OK);
		assert_int_equal(st_midcount("Archive", ch.o.loc_mid), 0); /* Archive was not looked at */
	}
	check_after(&ch);
	changes_free(&ch);
}

static void partial_case(const char *spec, bool other_folder)
{
	partial_case_on(spec, other_folder, NEW_SESSION);
}

static void test_fetch_1(void **s) { (void)s; partial_case("fetch:1", false); }
static void test_fetch_65(void **s) { (void)s; partial_case("fetch:65", false); }
static void test_state_1(void **s) { (void)s; partial_case("state:1", false); }
static void test_store_1(void **s) { (void)s; partial_case("store-batch:1", false); }
static void test_push_1(void **s) { (void)s; partial_case("push:1", false); }
static void test_delete_1(void **s) { (void)s; partial_case("delete:1", false); }
static void test_append_1(void **s) { (void)s; partial_case("append:1", false); }
/* The store's writer held back: the replayed move's rename is on disk,
 * the index has not heard of it when the kill comes. */
static void test_replay_1(void **s) { (void)s; partial_case("replay:1,writer-stall:1", false); }
static void test_drop_fetch_2(void **s) { (void)s; partial_case("drop-fetch:2", false); }
static void test_other_folder_fetch_65(void **s) { (void)s; partial_case("fetch:65", true); }
/* On the session that made the full pass just before. */
static void test_session_fetch_65(void **s) { (void)s; partial_case_on("fetch:65", false, SAME_SESSION); }
static void test_session_push_1(void **s) { (void)s; partial_case_on("push:1", false, SAME_SESSION); }
static void test_session_replay_1(void **s)
{
	(void)s;
	partial_case_on("replay:1,writer-stall:1", false, SAME_SESSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fetch_1, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_fetch_65, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_state_1, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_store_1, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_push_1, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_delete_1, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_append_1, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_replay_1, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_drop_fetch_2, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_other_folder_fetch_65, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_session_fetch_65, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_session_push_1, fresh_local, case_teardown),
		cmocka_unit_test_setup_teardown(test_session_replay_1, fresh_local, case_teardown),
	};
	st_test_filter();
	return cmocka_run_group_tests_name(st_caps(), tests, NULL, st_mirrored_teardown);
}
