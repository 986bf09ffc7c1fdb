/* test_sync_courier.c - a server shaped like Courier-IMAP (issue 19).
 *
 * Every folder lives under "INBOX." with '.' as separator, no folder has
 * a SPECIAL-USE mark, and there is no CONDSTORE, QRESYNC, MOVE,
 * LIST-EXTENDED or ESEARCH: the rig's RIG_PROFILE=courier (Dovecot with
 * Courier's namespace and capability list; Debian's courier-imap conflicts
 * with the other servers the tests need).  This binary re-runs itself in
 * such a rig when started in the default one; tests/run-all also runs it
 * against Cyrus in its classic layout (INBOX. prefix, '.').
 *
 *  - the first and later passes mirror every folder (INBOX/Archive locally
 *    for INBOX.Archive), flags both ways;
 *  - the Trash is the existing INBOX.Trash (no CREATE of a top-level
 *    Trash); a local delete reaches it by COPY, and only then is the
 *    source expunged;
 *  - a folder made here outside the namespace ("Projects") is created on
 *    the server as INBOX.Projects and its message uploaded; the local
 *    folder moves to INBOX/Projects, keeping its index entry;
 *  - the roles file names INBOX.Trash, and INBOX.Sent... for the roles the
 *    reader files into;
 *  - a move into a folder the server does not have yet creates it first
 *    and copies server-side; with delete_policy = expunge the source goes
 *    only after that.
 */
#include "sync_helpers.h"

#include <sys/stat.h>

#include "journal.h"
#include "maildir.h"

static void test_initial_and_incremental(void **state)
{
	(void)state;
	st_populate(31, 300, NULL);
	char *list = st_imap("rawlist");
	assert_non_null(strstr(list, "INBOX.Trash"));
	assert_non_null(strstr(list, "INBOX.Archive")); /* the corpus' Archive, inside the namespace */
	free(list);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_compare(), 0);
	assert_true(st_count_files("INBOX/Archive") > 0);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	/* new mail and a flag changed on the server, a flag changed here */
	free(st_imap("appendmany INBOX 70 courier-new"));
	free(st_imap("flagmany INBOX 5 +\\Flagged"));
	char *f = st_find_uid("INBOX", 7);
	assert_non_null(f);
	st_set_local_flags(f, "RS");
	free(f);
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_compare(), 0);
	char *out = st_imap("uidflags INBOX 7");
	assert_non_null(strstr(out, "R"));
	free(out);
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0);
}

static void test_roles_in_namespace(void **state)
{
	(void)state;
	char *path = xasprintf("%s/state/test", E.data);
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(maildir_read(path, "roles", &text, &len), 0);
	assert_non_null(strstr(text, "Trash 2e INBOX.Trash\n"));
	assert_non_null(strstr(text, "Sent 2e INBOX.Sent\n"));
	assert_non_null(strstr(text, "Archive 2e INBOX.Archive\n"));
	free(text);
	free(path);
}

static void test_delete_goes_to_existing_trash(void **state)
{
	(void)state;
	unsigned inbox = st_server_count("INBOX"), trash = st_server_count("INBOX.Trash");
	assert_true(inbox > 10);
	char *f = st_find_uid("INBOX", 3);
	assert_non_null(f);
	assert_int_equal(unlink(f), 0);
	free(f);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_server_count("INBOX"), inbox - 1);
	assert_int_equal(st_server_count("INBOX.Trash"), trash + 1);
	char *list = st_imap("rawlist");
	/* no folder outside the namespace was made */
	for (char *p = list, *line; (line = strsep(&p, "\n"));)
		if (*line && strncmp(line, "INBOX", 5) != 0)
			fail_msg("a folder outside INBOX.: %s", line);
	free(list);
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_compare(), 0);
}

static void test_local_folder_created_in_namespace(void **state)
{
	(void)state;
	char *dir = xasprintf("%s/Projects", E.acctdir);
	assert_int_equal(maildir_create(dir), 0);
	const char *msg = "From: a@example.org\r\nSubject: made here\r\nMessage-ID: <made-here@test>\r\n\r\nlocal\r\n";
	char *name = NULL;
	assert_int_equal(maildir_deliver(dir, msg, strlen(msg), 0, false, MAILDIR_F_SEEN, 0, &name), 0);
	free(name);
	/* the reader indexes what it files; do the same with notmuch */
	notmuch_database_t *db = st_nm_open_rw();
	notmuch_message_t *m = NULL;
	char *file = NULL;
	int st;
	char *out = tu_run(&st, "ls '%s'/cur/*", dir);
	file = xstrndup(out, strcspn(out, "\n"));
	free(out);
	assert_int_equal(notmuch_database_index_file(db, file, NULL, &m), NOTMUCH_STATUS_SUCCESS);
	notmuch_message_add_tag(m, "kept-local-tag");
	notmuch_message_destroy(m);
	notmuch_database_destroy(db);
	free(file);

	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	char *list = st_imap("rawlist");
	assert_non_null(strstr(list, "INBOX.Projects\n"));
	assert_null(strstr(list, "\nProjects\n"));
	free(list);
	assert_int_equal(st_server_count("INBOX.Projects"), 1);
	struct stat sb;
	assert_int_not_equal(stat(dir, &sb), 0); /* moved to INBOX/Projects */
	assert_int_equal(st_count_files("INBOX/Projects"), 1);
	assert_int_equal(st_compare(), 0);
	/* the moved file kept its index entry and its local tag */
	assert_int_equal(st_nm_count("tag:kept-local-tag"), 1);
	assert_int_equal(st_nm_files("id:made-here@test"), 1);
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_server_count("INBOX.Projects"), 1);
	free(dir);
}

/* The reader files a message into a folder the server does not have yet
 * (INBOX/Later here): with delete_policy = expunge the source may only go
 * once the server holds the copy, so the folder is created first and the
 * message copied server-side (COPY, no MOVE on Courier), not uploaded
 * after the source was expunged. */
static void test_move_into_new_folder(void **state)
{
	(void)state;
	char *saved = E.rc;
	E.rc = xasprintf("%sset delete_policy = expunge\n", saved);
	char *src = st_find_uid("INBOX", 10);
	assert_non_null(src);
	char *base = strrchr(src, '/') + 1;
	char *stem = xstrndup(base, (size_t)(strstr(base, ",U=") - base));
	char *dest_file = xasprintf("cur/%s%s", stem, strstr(base, ":2,"));
	char *dir = xasprintf("%s/INBOX/Later", E.acctdir);
	assert_int_equal(maildir_create(dir), 0);
	char *dst = xasprintf("%s/%s", dir, dest_file);
	assert_int_equal(rename(src, dst), 0);
	char *jpath = xasprintf("%s/state/test/journal", E.data);
	journal_t *j;
	assert_int_equal(journal_open(jpath, &j), JOURNAL_OK);
	struct journal_entry e = { .op = JOURNAL_MOVE, .folder = "INBOX", .uid = 10, .dest = "INBOX/Later",
				   .dest_file = dest_file };
	assert_int_equal(journal_add(j, &e), JOURNAL_OK);
	journal_free(&j);
	unsigned inbox = st_server_count("INBOX"), trash = st_server_count("INBOX.Trash");
	int st;
	char *rig = xasprintf("'%s/tests/rig/rig' rawlog '%s' '%s'", tu_env("MUTTLIKE_SRCDIR"), tu_env("RIG_DIR"),
			      tu_env("RIG_USER"));
	free(tu_run(&st, "%s on", rig));
	assert_int_equal(st, 0);

	struct st_result r = st_sync();
	/* the copy was made on the server (MOVE, or COPY on Courier), never
	 * uploaded (APPEND) */
	char *out = tu_run(&st, "%s sent | tr -d '\r' | grep -c -E 'UID (MOVE|COPY) 10 \"?INBOX\\.Later'", rig);
	assert_int_equal(strtoul(out, NULL, 10), 1);
	free(out);
	out = tu_run(&st, "%s sent | grep -c -E 'APPEND \"?INBOX\\.Later'", rig);
	assert_int_equal(strtoul(out, NULL, 10), 0);
	free(out);
	free(tu_run(&st, "%s off", rig));
	free(rig);
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0);
	assert_int_equal(st_server_count("INBOX.Later"), 1);
	assert_int_equal(st_server_count("INBOX"), inbox - 1);
	assert_int_equal(st_server_count("INBOX.Trash"), trash);
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_count_files("INBOX/Later"), 1);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(st_server_count("INBOX.Later"), 1); /* not uploaded again */
	free(E.rc);
	E.rc = saved;
	free(jpath);
	free(dst);
	free(dir);
	free(dest_file);
	free(stem);
	free(src);
}

/* The same move cut short: the client killed before and after the
 * CREATE, and the connection dropped at it (the server going away); the
 * next pass ends with the message once on the server, in the new folder,
 * and nothing lost or doubled. */
static void move_cut(const char *spec, const char *folder, unsigned uid)
{
	char *saved = E.rc;
	E.rc = xasprintf("%sset delete_policy = expunge\n", saved);
	char *src = st_find_uid("INBOX", uid);
	assert_non_null(src);
	char *data = tu_read(src);
	char *lt = strchr(strcasestr(data, "\nMessage-ID:"), '<');
	char *mid = xstrndup(lt + 1, strcspn(lt + 1, ">"));
	free(data);
	char *base = strrchr(src, '/') + 1;
	char *stem = xstrndup(base, (size_t)(strstr(base, ",U=") - base));
	char *dest_file = xasprintf("cur/%s%s", stem, strstr(base, ":2,"));
	char *rel = xasprintf("INBOX/%s", folder), *raw = xasprintf("INBOX.%s", folder);
	char *dir = xasprintf("%s/%s", E.acctdir, rel);
	assert_int_equal(maildir_create(dir), 0);
	char *dst = xasprintf("%s/%s", dir, dest_file);
	assert_int_equal(rename(src, dst), 0);
	char *jpath = xasprintf("%s/state/test/journal", E.data);
	journal_t *j;
	assert_int_equal(journal_open(jpath, &j), JOURNAL_OK);
	struct journal_entry e = { .op = JOURNAL_MOVE, .folder = "INBOX", .uid = uid, .dest = rel,
				   .dest_file = dest_file };
	assert_int_equal(journal_add(j, &e), JOURNAL_OK);
	journal_free(&j);

	int rc = st_sync_fault(spec);
	assert_int_not_equal(rc, 0); /* killed (99) or failed (the dropped connection) */
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	char *out = st_imap("midcount INBOX '%s'", mid);
	assert_int_equal(strtoul(out, NULL, 10), 0);
	free(out);
	out = st_imap("midcount %s '%s'", raw, mid);
	assert_int_equal(strtoul(out, NULL, 10), 1);
	free(out);
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	free(E.rc);
	E.rc = saved;
	free(jpath);
	free(dst);
	free(dir);
	free(rel);
	free(raw);
	free(dest_file);
	free(stem);
	free(mid);
	free(src);
}

static void test_move_cut(void **state)
{
	(void)state;
	move_cut("create:1", "Cut1", 11);
	move_cut("create:2", "Cut2", 12);
	move_cut("drop-create:1", "Cut3", 13);
}

int main(int argc, char **argv)
{
	(void)argc;
	/* Cyrus in its classic layout has the same namespace (tests/run-all's
	 * cyrus kind runs this there too); any other rig: nest a courier one. */
	const char *profile = getenv("RIG_PROFILE"), *server = getenv("RIG_SERVER");
	const char *layout = getenv("RIG_CYRUS_LAYOUT");
	bool cyrus_classic = server && strcmp(server, "cyrus") == 0 && layout && strcmp(layout, "classic") == 0;
	if (!cyrus_classic && (!profile || strcmp(profile, "courier") != 0))
		return st_nested_rig_with("RIG_PROFILE", "courier", argv);
	st_test_filter();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial_and_incremental),
		cmocka_unit_test(test_roles_in_namespace),
		cmocka_unit_test(test_delete_goes_to_existing_trash),
		cmocka_unit_test(test_local_folder_created_in_namespace),
		cmocka_unit_test(test_move_into_new_folder),
		cmocka_unit_test(test_move_cut),
	};
	return cmocka_run_group_tests_name(cyrus_classic ? "cyrus-classic" : "courier", tests, st_group_setup,
					   st_group_teardown);
}
