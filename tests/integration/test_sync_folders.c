/* test_sync_folders.c - folders deleted or renamed on the server.
 *
 * A folder gone from LIST keeps its local copy while that holds mail (the
 * mail is on the server no more); an empty copy is removed; a rename
 * (same UIDVALIDITY under a new name) is followed by moving the local
 * copy, with nothing fetched again.  A folder made here (a Maildir the
 * server does not have and the sync never saw) is created on the server
 * and its messages uploaded. */
#include "sync_helpers.h"

#include <sys/stat.h>

#include "state.h"

static void append(const char *folder, const char *mid)
{
	char *name = xasprintf("%s.eml", mid);
	char *text = xasprintf("From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: %s\r\n"
			       "Message-ID: <%s>\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n\r\nbody of %s\r\n",
			       mid, mid, mid);
	char *path = tu_write(E.tmp, name, text, 0600);
	free(st_imap("append '%s' '%s'", folder, path));
	free(path);
	free(text);
	free(name);
}

/* Folder names are written as on the Dovecot rig and mapped to the rig's
 * namespace (st_local: "Alpha" is INBOX/Alpha on Cyrus classic). */
static bool exists(const char *name)
{
	char *p = xasprintf("%s/%s", E.acctdir, st_local(name));
	struct stat st;
	bool r = stat(p, &st) == 0;
	free(p);
	return r;
}

/* The folder's state file. */
static char *state_file(const char *name)
{
	char *dir = xasprintf("%s/state/test", E.data);
	char *p = state_path(dir, st_local(name));
	free(dir);
	return p;
}

static bool state_exists(const char *name)
{
	char *p = state_file(name);
	bool r = access(p, F_OK) == 0;
	free(p);
	return r;
}

static unsigned nm_in_folder(const char *name)
{
	char *q = xasprintf("folder:test/%s", st_local(name));
	unsigned n = st_nm_count(q);
	free(q);
	return n;
}

static unsigned files_in(const char *name)
{
	return st_count_files(st_local(name));
}

/* The folder's state file names a MAILBOXID (RFC 8474). */
static bool state_has_mailboxid(const char *name)
{
	char *p = state_file(name);
	char *text = tu_read(p);
	bool r = text && strstr(text, "\nmailboxid ");
	free(text);
	free(p);
	return r;
}

static void test_setup_folders(void **state)
{
	(void)state;
	free(st_imap("create Alpha"));
	append("Alpha", "a1@test");
	append("Alpha", "a2@test");
	free(st_imap("create Beta"));
	append("Beta", "b1@test");
	free(st_imap("create Empty"));
	free(st_imap("create Proj"));
	free(st_imap("create Proj/Sub"));
	append("Proj/Sub", "p1@test");
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 4);
	assert_int_equal(st_compare(), 0);
	assert_int_equal(files_in("Alpha"), 2);
	assert_true(exists("Empty/cur"));
	assert_true(state_exists("Empty"));
	/* Cyrus has OBJECTID: every folder's MAILBOXID is kept (renames are
	 * followed by it, not by UIDVALIDITY, which Cyrus shares between
	 * folders made in the same second); Dovecot 2.3 has none. */
	assert_true(state_has_mailboxid("Alpha") == tu_rig_is("cyrus"));
	if (tu_rig_is("cyrus")) {
		/* A state from before it was kept learns it, even on a pass
		 * that finds nothing to do. */
		int st;
		char *alpha = state_file("Alpha");
		free(tu_run(&st, "sed -i '/^mailboxid /d' '%s'", alpha));
		free(alpha);
		assert_false(state_has_mailboxid("Alpha"));
		r = st_sync();
		assert_int_equal(r.status, SYNC_OK);
		assert_int_equal(r.stats.fetched + r.stats.pushed + r.stats.pulled + r.stats.deleted, 0);
		assert_true(state_has_mailboxid("Alpha"));
	}
}

static void test_renamed_folder_is_followed(void **state)
{
	(void)state;
	free(st_imap("rename Alpha Alpha2"));
	free(st_imap("rename Proj Work"));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0); /* moved, not downloaded again */
	assert_int_equal(r.stats.deleted, 0);
	assert_false(exists("Alpha"));
	assert_int_equal(files_in("Alpha2"), 2);
	assert_int_equal(files_in("Work/Sub"), 1);
	assert_false(exists("Proj"));
	assert_false(state_exists("Alpha"));
	assert_true(state_exists("Alpha2"));
	assert_true(state_exists("Work/Sub"));
	assert_int_equal(st_compare(), 0);
	/* The index follows the files. */
	assert_int_equal(nm_in_folder("Alpha2"), 2);
	assert_int_equal(nm_in_folder("Alpha"), 0);
	assert_int_equal(nm_in_folder("Work/Sub"), 1);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched + r.stats.pushed + r.stats.pulled + r.stats.deleted, 0);
}

static void test_deleted_folder_keeps_its_mail(void **state)
{
	(void)state;
	free(st_imap("delete Beta"));
	free(st_imap("delete Empty"));
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	/* Beta's message is on the server no more: kept here. */
	assert_int_equal(files_in("Beta"), 1);
	assert_int_equal(st_nm_count("id:b1@test"), 1);
	/* The empty mirror went, with its state. */
	assert_false(exists("Empty"));
	assert_false(state_exists("Empty"));
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	/* And stays kept on the next pass. */
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(files_in("Beta"), 1);
}

static void test_rename_onto_existing_local_dir_loses_nothing(void **state)
{
	(void)state;
	/* The new name's directory is already taken locally: the rename
	 * cannot be followed, so it is a delete (mail kept) plus a new
	 * folder (fetched). */
	char *d = xasprintf("%s/%s/cur", E.acctdir, st_local("Gamma2"));
	assert_int_equal(util_mkdirs(d, 0700), 0);
	free(d);
	free(st_imap("create Gamma"));
	append("Gamma", "g1@test");
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	free(st_imap("rename Gamma Gamma2"));
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(files_in("Gamma"), 1);  /* kept */
	assert_int_equal(files_in("Gamma2"), 1); /* fetched under the new name */
	assert_int_equal(st_compare(), 0);
}

/* A Maildir made here: the folder's directory (st_local) with cur/new/tmp. */
static void make_local_maildir(const char *dir)
{
	static const char *const subs[] = { "cur", "new", "tmp" };
	for (size_t i = 0; i < 3; i++) {
		char *d = xasprintf("%s/%s/%s", E.acctdir, st_local(dir), subs[i]);
		assert_int_equal(util_mkdirs(d, 0700), 0);
		free(d);
	}
}

/* A message written locally (LF line ends, as an editor or MUA writes). */
static void write_local(const char *dir, const char *sub, const char *base, const char *mid)
{
	char *text = xasprintf("From: Alice <alice@example.org>\nTo: bob@example.org\nSubject: %s\n"
			       "Message-ID: <%s>\nDate: Tue, 02 Jan 2024 10:00:00 +0000\n\nwritten here: %s\n",
			       mid, mid, mid);
	char *d = xasprintf("%s/%s/%s", E.acctdir, st_local(dir), sub);
	free(tu_write(d, base, text, 0600));
	free(d);
	free(text);
}

static bool server_lists(const char *raw)
{
	char *out = st_imap("list");
	bool hit = false;
	for (char *save = NULL, *l = strtok_r(out, "\n", &save); l && !hit; l = strtok_r(NULL, "\n", &save))
		hit = strcmp(l, raw) == 0;
	free(out);
	return hit;
}

static void test_local_folder_is_created_on_the_server(void **state)
{
	(void)state;
	/* A plain local folder: one message written here, one copied from
	 * another folder's mirror (its name carries that folder's UID, which
	 * means nothing here: it must be uploaded, not taken for a message
	 * the server expunged). */
	make_local_maildir("Local");
	write_local("Local", "cur", "100.local:2,S", "l1@test");
	char *src = st_find_uid(st_local("Alpha2"), 1);
	assert_non_null(src);
	char *copy = xasprintf("%s/%s/cur/%s", E.acctdir, st_local("Local"), strrchr(src, '/') + 1);
	int st;
	free(tu_run(&st, "cp '%s' '%s'", src, copy));
	assert_int_equal(st, 0);
	free(src);
	free(copy);
	/* Nested under a directory that is no folder, and in new/. */
	make_local_maildir("Proj2/Deep");
	write_local("Proj2/Deep", "new", "101.local", "d1@test");
	/* Non-ASCII: modified UTF-7 on the server. */
	make_local_maildir("Caf\xc3\xa9");
	write_local("Caf\xc3\xa9", "cur", "102.local:2,F", "c1@test");
	/* No server name maps back to this directory: left alone, warned. */
	make_local_maildir("Bad%zz");
	write_local("Bad%zz", "cur", "103.local:2,", "x1@test");

	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.pushed, 4);
	assert_true(server_lists("Local"));
	assert_true(server_lists("Proj2/Deep"));
	assert_true(server_lists("Caf&AOk-"));
	assert_false(server_lists("Bad%zz"));
	assert_int_equal(st_server_count("Local"), 2);
	assert_int_equal(st_server_count("Proj2/Deep"), 1);
	assert_int_equal(st_server_count("Caf&AOk-"), 1);
	/* Every local file now carries its server UID, flags as they were. */
	assert_int_equal(st_compare(), 0);
	assert_int_equal(files_in("Local"), 2);
	assert_true(state_exists("Local"));
	assert_true(state_exists("Proj2/Deep"));
	assert_int_equal(files_in("Bad%zz"), 1);
	assert_int_equal(st_nm_count("id:l1@test"), 1);
	assert_int_equal(st_nm_count("id:c1@test and tag:flagged"), 1);
	/* The folder that cannot be synced is still indexed (a local-only
	 * folder, issue 19 part 4): every file is in the index. */
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	/* The next pass has nothing to do. */
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched + r.stats.pushed + r.stats.pulled + r.stats.deleted, 0);
	assert_int_equal(st_server_count("Local"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setup_folders),
		cmocka_unit_test(test_renamed_folder_is_followed),
		cmocka_unit_test(test_deleted_folder_keeps_its_mail),
		cmocka_unit_test(test_rename_onto_existing_local_dir_loses_nothing),
		cmocka_unit_test(test_local_folder_is_created_on_the_server),
	};
	st_test_filter();
	return cmocka_run_group_tests(tests, st_group_setup, st_group_teardown);
}
