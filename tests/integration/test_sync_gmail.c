/* test_sync_gmail.c - a Gmail-shaped account (issue 19).
 *
 * The rig's RIG_PROFILE=gmail: labels are ordinary folders, "[Gmail]/All
 * Mail" (\All) shows every message of INBOX, the labels, Sent Mail, Drafts
 * and the archived ones, the other "[Gmail]/" folders carry their
 * special-use marks, and the server says X-GM-EXT-1.  This binary re-runs
 * itself in such a rig when started in the default one.
 *
 *  - a message in INBOX, a label and All Mail is one notmuch message and
 *    one line of `muttlike search`, with a file per server copy;
 *  - a flag and a tag set here reach every server copy, All Mail's too;
 *  - a delete in a label folder removes that label only (the message stays
 *    in INBOX and All Mail, nothing goes to the Trash); a delete in INBOX
 *    goes to [Gmail]/Trash;
 *  - with All Mail left out by sync_folders, a message in two folders is
 *    downloaded once: the second folder gets a copy of the local file.
 */
#include "sync_helpers.h"

#include "maildir.h"

#define ALL "[Gmail]/All Mail"

/* Message-IDs (without <>) of the messages the cases work on. */
static char *m_both;   /* INBOX uid 1, copied into Work */
static char *m_both2;  /* INBOX uid 2, copied into Work */
static char *m_inbox;  /* INBOX uid 10, only in INBOX */

static char *ml(int *st, const char *args)
{
	char *rc = tu_write(E.tmp, "test.rc", E.rc, 0600);
	char *out = tu_run(st, "'%s' -F '%s' %s", tu_env("MUTTLIKE_BIN"), rc, args);
	free(rc);
	return out;
}

static size_t lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The Message-ID of a server message, from the local mirror's file. */
static char *mid_of(const char *folder, unsigned uid)
{
	char *f = st_find_uid(folder, uid);
	assert_non_null(f);
	char *data = NULL;
	size_t len = 0;
	char *slash = strrchr(f, '/');
	*slash = '\0';
	assert_int_equal(maildir_read(f, slash + 1, &data, &len), 0);
	char *mid = maildir_message_id(data, len);
	assert_non_null(mid);
	free(data);
	free(f);
	return mid;
}

/* "F\nF\n": the flag letters of every copy of mid in a server folder. */
static char *server_flags(const char *folder, const char *mid)
{
	return st_imap("midflags '%s' '%s'", folder, mid);
}

static unsigned server_copies(const char *folder, const char *mid)
{
	char *out = server_flags(folder, mid);
	unsigned n = (unsigned)lines(out);
	free(out);
	return n;
}

/* The local file of mid in folder (relative path under the account), or NULL. */
static char *local_file(const char *folder, const char *mid)
{
	int st;
	char *out = tu_run(&st, "grep -l -i -F 'Message-ID: <%s>' '%s/%s'/cur/* 2>/dev/null | head -1", mid, E.acctdir,
			   folder);
	out[strcspn(out, "\n")] = '\0';
	if (!*out) {
		free(out);
		return NULL;
	}
	return out;
}

/* st_compare() for every server folder but skip (not mirrored). */
static int compare_except(const char *skip)
{
	int st;
	char *args = xasprintf("compare '%s' '%s'", E.acctdir, skip);
	char *out = tu_imapctl(&st, args);
	free(args);
	if (st != 0 || getenv("SYNC_TEST_VERBOSE"))
		fprintf(stderr, "%s", out);
	free(out);
	return st;
}

static void test_one_message_per_id(void **state)
{
	(void)state;
	st_populate(19, 60, "--folders INBOX,Work,Lists/dev");
	free(st_imap("copy INBOX 1:2 Work")); /* the Work label on two INBOX messages */
	free(st_imap("appendmany '[Gmail]/Sent Mail' 3 gm-sent"));
	free(st_imap("appendmany '%s' 2 gm-archived", ALL)); /* archived: only in All Mail */
	char *list = st_imap("list");
	assert_non_null(strstr(list, ALL "\n"));
	assert_non_null(strstr(list, "[Gmail]/Trash\n"));
	free(list);
	unsigned inbox = st_server_count("INBOX"), work = st_server_count("Work"), dev = st_server_count("Lists/dev");
	assert_int_equal(st_server_count(ALL), inbox + work + dev + 3 + 2);

	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_compare(), 0);
	m_both = mid_of("INBOX", 1);
	m_both2 = mid_of("INBOX", 2);
	m_inbox = mid_of("INBOX", 10);
	/* in INBOX, in Work, twice in All Mail (a copy per folder on Dovecot) */
	assert_int_equal(server_copies(ALL, m_both), 2);
	char *q = xasprintf("id:%s", m_both);
	assert_int_equal(st_nm_count(q), 1);
	assert_int_equal(st_nm_files(q), 4);
	int st;
	char *cmd = xasprintf("search '%s'", q);
	char *out = ml(&st, cmd);
	assert_int_equal(st, 0);
	assert_int_equal(lines(out), 1);
	free(out);
	free(cmd);
	free(q);
	/* every message once: distinct Message-IDs = inbox + work + dev + sent + archived - the 2 copies */
	unsigned distinct = inbox + work - 2 + dev + 3 + 2;
	assert_int_equal(st_nm_count("tag:account:test"), distinct);
	/* each downloaded once; All Mail's and Work's copies come from here */
	assert_int_equal(r.stats.fetched, distinct);
	assert_int_equal(r.stats.copied, st_count_files(NULL) - distinct);
	out = ml(&st, "search tag:account:test");
	assert_int_equal(st, 0);
	assert_int_equal(lines(out), distinct);
	free(out);
	assert_int_equal(st_nm_count("id:gm-archived-1@test"), 1);
	assert_int_equal(st_count_files("[Gmail]/All Mail"), st_server_count(ALL));
}

static void test_flag_and_tag_reach_every_copy(void **state)
{
	(void)state;
	/* as the reader (and notmuch tag) do: tags, then the file names */
	notmuch_database_t *db = st_nm_open_rw();
	notmuch_message_t *m = NULL;
	assert_int_equal(notmuch_database_find_message(db, m_both, &m), NOTMUCH_STATUS_SUCCESS);
	assert_non_null(m);
	notmuch_message_add_tag(m, "flagged");
	notmuch_message_add_tag(m, "gmproject");
	assert_int_equal(notmuch_message_tags_to_maildir_flags(m), NOTMUCH_STATUS_SUCCESS);
	notmuch_message_destroy(m);
	notmuch_database_destroy(db);

	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	const char *folders[] = { "INBOX", "Work", ALL };
	for (size_t i = 0; i < 3; i++) {
		char *fl = server_flags(folders[i], m_both);
		assert_true(*fl);
		for (char *p = fl, *line; (line = strsep(&p, "\n"));)
			if (*line && !strchr(line, 'F'))
				fail_msg("%s: a copy of %s without \\Flagged: %s", folders[i], m_both, line);
		free(fl);
	}
	/* the keyword on both real copies (All Mail shows theirs) */
	unsigned inbox_uid = 1;
	char *kw = st_imap("uidkw INBOX %u", inbox_uid);
	assert_non_null(strstr(kw, "gmproject"));
	free(kw);
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0);
	assert_int_equal(st_compare(), 0);
}

static void test_delete_in_label_removes_the_label(void **state)
{
	(void)state;
	unsigned work = st_server_count("Work"), inbox = st_server_count("INBOX"),
		 trash = st_server_count("[Gmail]/Trash");
	char *f = local_file("Work", m_both2);
	assert_non_null(f);
	assert_int_equal(unlink(f), 0); /* a delete in the Work folder, as a Maildir tool does */
	free(f);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_server_count("Work"), work - 1);
	assert_int_equal(server_copies("Work", m_both2), 0);
	/* still in INBOX and All Mail; nothing in the Trash */
	assert_int_equal(st_server_count("INBOX"), inbox);
	assert_int_equal(server_copies("INBOX", m_both2), 1);
	assert_int_equal(server_copies(ALL, m_both2), 1);
	assert_int_equal(st_server_count("[Gmail]/Trash"), trash);
	char *q = xasprintf("id:%s", m_both2);
	assert_int_equal(st_nm_count(q), 1);
	free(q);

	/* a delete in INBOX goes to the Trash, as delete_policy = trash says */
	f = local_file("INBOX", m_inbox);
	assert_non_null(f);
	assert_int_equal(unlink(f), 0);
	free(f);
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_server_count("INBOX"), inbox - 1);
	assert_int_equal(server_copies("[Gmail]/Trash", m_inbox), 1);
	assert_int_equal(server_copies(ALL, m_inbox), 0); /* Gmail: Trash is not in All Mail */
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_compare(), 0);
}

static void test_no_message_fetched_twice(void **state)
{
	(void)state;
	/* a fresh local side that leaves All Mail out ('[' starts a glob class) */
	st_teardown_env();
	st_setup_env();
	char *rc = xasprintf("%sset sync_folders = \"* ![[]Gmail]/All?Mail\"\n", E.rc);
	free(E.rc);
	E.rc = rc;
	/* the same 4 messages (same bytes) in INBOX and Work */
	free(st_imap("appendmany INBOX 4 gm-twice"));
	free(st_imap("appendmany Work 4 gm-twice"));
	unsigned total = 0, distinct = 0;
	const char *folders[] = { "INBOX", "Work", "Lists/dev", "[Gmail]/Sent Mail", "[Gmail]/Trash" };
	for (size_t i = 0; i < 5; i++)
		total += st_server_count(folders[i]);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_count_files(NULL), total);
	distinct = st_nm_count("tag:account:test");
	/* one download per distinct message; the other copies come from here */
	assert_int_equal(r.stats.fetched, distinct);
	assert_int_equal(r.stats.copied, total - distinct);
	assert_int_equal(compare_except(ALL), 0);
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0);
	assert_int_equal(r.stats.copied, 0);
	/* a label put on a message mirrored in an earlier pass: the copy is
	 * found through the index */
	free(st_imap("appendmany INBOX 1 gm-later"));
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 1);
	free(st_imap("appendmany Work 1 gm-later"));
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0);
	assert_int_equal(r.stats.copied, 1);
	assert_int_equal(st_nm_files("id:gm-later-1@test"), 2);
	assert_int_equal(compare_except(ALL), 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	const char *profile = getenv("RIG_PROFILE");
	if (!profile || strcmp(profile, "gmail") != 0)
		return st_nested_rig_with("RIG_PROFILE", "gmail", argv);
	st_test_filter();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_message_per_id),
		cmocka_unit_test(test_flag_and_tag_reach_every_copy),
		cmocka_unit_test(test_delete_in_label_removes_the_label),
		cmocka_unit_test(test_no_message_fetched_twice),
	};
	int rc = cmocka_run_group_tests_name("gmail", tests, st_group_setup, st_group_teardown);
	free(m_both);
	free(m_both2);
	free(m_inbox);
	return rc;
}
