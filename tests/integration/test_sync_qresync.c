/* test_sync_qresync.c - server changes through QRESYNC (RFC 7162).
 *
 * The rig's Dovecot offers QRESYNC, so imap_login() ENABLEs it and a
 * folder with a saved state is selected with SELECT folder (QRESYNC
 * (uidvalidity modseq known-uids)): VANISHED (EARLIER) and the changed
 * FETCH FLAGS come back in the SELECT's answer.  The sync's stats count
 * the folders learned that way (qresync_selects) and every UID SEARCH ALL
 * (uid_searches), so the tests can tell the paths apart.  Once QRESYNC is
 * on, the server answers our own UID EXPUNGE / UID MOVE and IDLE with
 * VANISHED instead of EXPUNGE: those are exercised too.
 *
 * The cases run in order on one server and one local store.  At the end
 * the binary re-runs itself in a nested rig that hides QRESYNC only
 * (RIG_NO_QRESYNC=1): the CONDSTORE fallback (CHANGEDSINCE + UID SEARCH
 * ALL) must still see an expunge.  The oracle is imapctl.py.
 */
#include "sync_helpers.h"

#include "journal.h"

static void test_initial(void **state)
{
	(void)state;
	st_populate(41, 200, NULL);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_true(r.stats.fetched >= 200);
	assert_int_equal(r.stats.qresync_selects, 0); /* no state yet: nothing to resync from */
	assert_int_equal(r.stats.uid_searches, 0);
	assert_int_equal(st_compare(), 0);
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.pushed + r.stats.pulled + r.stats.deleted + r.stats.fetched, 0);
	assert_int_equal(r.stats.uid_searches, 0);
}

static void test_server_expunge_and_flags(void **state)
{
	(void)state;
	free(st_imap("flags INBOX 1:3 -\\\\Flagged"));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	free(st_imap("flags INBOX 1:3 +\\\\Flagged"));
	free(st_imap("expunge INBOX 4 5"));
	/* A new message too: it must come in the SELECT's FETCH answer. */
	char *msg = tu_write(E.tmp, "new.eml",
			     "From: Bob <bob@example.org>\nTo: alice@example.org\nSubject: new since\n"
			     "Message-ID: <qresync-new@test>\nDate: Mon, 01 Jan 2024 10:00:00 +0000\n\nhello\n",
			     0600);
	free(st_imap("append INBOX '%s' '\\Seen'", msg));
	free(msg);
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 1);
	assert_int_equal(st_nm_count("id:qresync-new@test"), 1);
	assert_int_equal(r.stats.deleted, 2);
	assert_int_equal(r.stats.pulled, 3);
	assert_int_equal(r.stats.qresync_selects, 1);
	assert_int_equal(r.stats.uid_searches, 0);
	char *p = st_find_uid("INBOX", 4);
	assert_null(p);
	p = st_find_uid("INBOX", 2);
	assert_non_null(p);
	assert_non_null(strchr(strstr(p, ":2,"), 'F'));
	free(p);
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
}

static void test_local_delete_and_moves(void **state)
{
	(void)state;
	/* A deleted file goes to the Trash (UID MOVE), a journal move to
	 * Archive (UID MOVE), a journal expunge (UID EXPUNGE): each answered
	 * with VANISHED now. */
	char *p6 = st_find_uid("INBOX", 6);
	assert_non_null(p6);
	assert_int_equal(unlink(p6), 0);
	free(p6);
	char *src = st_find_uid("INBOX", 7);
	assert_non_null(src);
	char *base = strrchr(src, '/') + 1;
	char *stem = xstrndup(base, (size_t)(strstr(base, ",U=") - base));
	char *dest_file = xasprintf("cur/%s%s", stem, strstr(base, ":2,"));
	char *dst = xasprintf("%s/%s/%s", E.acctdir, st_local("Archive"), dest_file);
	assert_int_equal(rename(src, dst), 0);
	char *jpath = xasprintf("%s/state/test/journal", E.data);
	journal_t *j;
	assert_int_equal(journal_open(jpath, &j), JOURNAL_OK);
	struct journal_entry e = { .op = JOURNAL_MOVE, .folder = "INBOX", .uid = 7, .dest = (char *)st_local("Archive"),
				   .dest_file = dest_file };
	assert_int_equal(journal_add(j, &e), JOURNAL_OK);
	char *p8 = st_find_uid("INBOX", 8);
	assert_non_null(p8);
	assert_int_equal(unlink(p8), 0);
	free(p8);
	struct journal_entry x = { .op = JOURNAL_EXPUNGE, .folder = "INBOX", .uid = 8 };
	assert_int_equal(journal_add(j, &x), JOURNAL_OK);
	unsigned trash_before = st_count_files(st_local("Trash"));

	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 1); /* the Trash's copy of uid 6; the move downloads nothing */
	assert_true(r.stats.pushed >= 1);
	assert_int_equal(r.stats.uid_searches, 0);
	assert_int_equal(st_count_files(st_local("Trash")), trash_before + 1);
	assert_int_equal(st_compare(), 0);
	char *out = st_imap("uidflags INBOX 6");
	assert_int_equal(strncmp(out, "GONE", 4), 0);
	free(out);
	out = st_imap("uidflags INBOX 8");
	assert_int_equal(strncmp(out, "GONE", 4), 0);
	free(out);
	struct journal_entry *v;
	size_t n;
	assert_int_equal(journal_pending(j, &v, &n), JOURNAL_OK);
	assert_int_equal(n, 0);
	journal_entries_free(&v, n);
	journal_free(&j);

	/* The next server change is still learned through QRESYNC. */
	free(st_imap("expunge INBOX 9"));
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.deleted, 1);
	assert_int_equal(r.stats.qresync_selects, 1);
	assert_int_equal(r.stats.uid_searches, 0);
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	r = st_sync();
	assert_int_equal(r.stats.pushed + r.stats.pulled + r.stats.deleted + r.stats.fetched, 0);
	free(jpath);
	free(dst);
	free(dest_file);
	free(stem);
	free(src);
}

/* A pass, then IDLE on the same connection while another client expunges
 * (the server says VANISHED, not EXPUNGE), then a pass again. */
static void test_idle_sees_vanished(void **state)
{
	(void)state;
	conf_t *c = conf_new();
	assert_int_equal(conf_load_string(c, "test.rc", E.rc), 0);
	char *mail = xasprintf("%s/mail", E.data), *stdir = xasprintf("%s/state", E.data);
	store_t *store = NULL;
	char *err = NULL;
	if (store_open(mail, stdir, &store, &err) != STORE_OK)
		fail_msg("store_open: %s", err);
	struct sync_options o = { .conf = c, .account = 0, .store = store };
	sync_t *s = sync_new(&o);
	sync_set_store(s, store);
	/* The rig's protocol log of this session shows when IDLE was sent:
	 * the other client expunges only then. */
	int st;
	char *rig = xasprintf("'%s/tests/rig/rig' rawlog '%s' '%s'", tu_env("MUTTLIKE_SRCDIR"), tu_env("RIG_DIR"),
			      tu_env("RIG_USER"));
	free(tu_run(&st, "%s on", rig));
	assert_int_equal(st, 0);
	assert_int_equal(sync_run(s), SYNC_OK);
	char *idles = xasprintf("%s sent | tr -d '\\r' | grep -c ' IDLE$'", rig);
	char *out = tu_run(&st, "%s", idles);
	unsigned long before = strtoul(out, NULL, 10);
	free(out);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 300; i++) { /* 15 s, within the watch's 20 */
			out = tu_run(&st, "%s", idles);
			bool idle = strtoul(out, NULL, 10) > before;
			free(out);
			if (idle)
				break;
			usleep(50000);
		}
		out = tu_run(&st, "python3 '%s/tests/integration/imapctl.py' expunge INBOX 10",
			     tu_env("MUTTLIKE_SRCDIR"));
		free(out);
		_exit(st == 0 ? 0 : 1);
	}
	bool news = sync_watch(s, 20);
	int ws = 0;
	waitpid(pid, &ws, 0);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	assert_true(news);
	assert_int_equal(sync_run(s), SYNC_OK);
	const struct sync_stats *stats = sync_get_stats(s);
	assert_int_equal(stats->deleted, 1);
	assert_int_equal(stats->qresync_selects, 1);
	assert_int_equal(stats->uid_searches, 0);
	sync_free(&s);
	store_close(&store);
	free(mail);
	free(stdir);
	conf_free(&c);
	assert_null(st_find_uid("INBOX", 10));
	assert_int_equal(st_compare(), 0);
	free(tu_run(&st, "%s off", rig));
	free(idles);
	free(rig);
}

static void test_uidvalidity_change(void **state)
{
	(void)state;
	/* The server ignores the QRESYNC parameters of a SELECT whose
	 * UIDVALIDITY is stale; the re-map still runs (nothing downloaded). */
	free(st_imap("recreate Archive"));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0);
	assert_int_equal(st_compare(), 0);
	free(st_imap("expunge Archive 1"));
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.deleted, 1);
	assert_int_equal(r.stats.qresync_selects, 1);
	assert_int_equal(r.stats.uid_searches, 0);
	assert_int_equal(st_compare(), 0);
}

/* Every command on the wire ends in CRLF right after its last argument:
 * Cyrus answers a space before the CRLF with BAD "Unexpected extra
 * arguments" (libetpan's mailimap_custom_command() sends one; issue 19).
 * The rig's protocol log (Dovecot's rawlog, Cyrus's telemetry) records
 * what the client sent. */
static void test_wire_no_trailing_space(void **state)
{
	(void)state;
	int st;
	char *rig = xasprintf("'%s/tests/rig/rig' rawlog '%s' '%s'", tu_env("MUTTLIKE_SRCDIR"), tu_env("RIG_DIR"),
			      tu_env("RIG_USER"));
	char *out = tu_run(&st, "%s on", rig);
	assert_int_equal(st, 0);
	free(out);
	free(st_imap("flags INBOX 3 +\\Flagged"));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_true(r.stats.qresync_selects >= 1);
	/* The hand-built commands were sent (LIST RETURN, SELECT QRESYNC) ... */
	out = tu_run(&st, "%s sent | grep -c -e ' (QRESYNC (' -e 'RETURN ('", rig);
	assert_true(strtoul(out, NULL, 10) >= 2);
	free(out);
	/* ... and no line ends in a space. */
	out = tu_run(&st, "%s sent | tr -d '\r' | grep -n ' $'", rig);
	if (st == 0)
		fail_msg("commands with a space before CRLF: %s", out);
	free(out);
	free(tu_run(&st, "%s off", rig));
	free(rig);
}

/* Inside the RIG_NO_QRESYNC=1 rig: CONDSTORE only. */
static void test_condstore_fallback(void **state)
{
	(void)state;
	st_populate(43, 80, NULL);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_compare(), 0);
	free(st_imap("flags INBOX 1 +\\\\Flagged"));
	free(st_imap("expunge INBOX 2"));
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.deleted, 1);
	assert_int_equal(r.stats.qresync_selects, 0);
	assert_int_equal(r.stats.uid_searches, 1); /* CHANGEDSINCE, then SEARCH for the expunge */
	assert_int_equal(st_compare(), 0);
	/* The states carry a HIGHESTMODSEQ: CONDSTORE was used. */
	int st;
	char *out = tu_run(&st, "grep -h '^highestmodseq ' '%s'/state/test/INBOX.state", E.data);
	assert_true(strtoull(out + strlen("highestmodseq "), NULL, 10) > 0);
	free(out);
}

int main(int argc, char **argv)
{
	(void)argc;
	st_test_filter();
	if (getenv("RIG_NO_QRESYNC")) {
		const struct CMUnitTest inner[] = {
			cmocka_unit_test(test_condstore_fallback),
		};
		return cmocka_run_group_tests(inner, st_group_setup, st_group_teardown);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial),
		cmocka_unit_test(test_server_expunge_and_flags),
		cmocka_unit_test(test_wire_no_trailing_space),
		cmocka_unit_test(test_local_delete_and_moves),
		cmocka_unit_test(test_idle_sees_vanished),
		cmocka_unit_test(test_uidvalidity_change),
	};
	int rc = cmocka_run_group_tests(tests, st_group_setup, st_group_teardown);
	/* The fallback, in a nested rig whose server hides QRESYNC only. */
	int inner = st_nested_rig("RIG_NO_QRESYNC", argv);
	if (inner)
		rc = rc ? rc : 1;
	return rc;
}
