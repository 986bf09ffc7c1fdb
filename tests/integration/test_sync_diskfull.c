/* test_sync_diskfull.c - a full disk loses no mail and leaves a readable index.
 *
 * Issue 11.2.  The test runs in a private mount namespace (it re-executes
 * itself under `unshare -m`) with data_dir on a small tmpfs.  Each round:
 * new mail on the server, the disk filled to a few hundred KB free, `muttlike
 * sync` (the real binary), the space freed, `muttlike sync` again.  The
 * cut sync must not claim success while messages are missing, and must not
 * abort; the sync after it must end complete (the oracle finds no
 * difference), and the index must be readable by notmuch and by `muttlike
 * search`, counting every file.  Several rounds in a row, as a laptop disk
 * that keeps filling up would do.
 */
#include "sync_helpers.h"

#include <sys/mount.h>

#define ROUNDS 6

static char *rcfile;

static char *muttlike(int *st, const char *args)
{
	return tu_run(st, "'%s' -F '%s' %s 2>&1", tu_env("MUTTLIKE_BIN"), rcfile, args);
}

/* Fill the file system of data_dir until about `left` bytes are free. */
static void fill_disk(long long left)
{
	int st;
	char *out = tu_run(&st, "df -B1 --output=avail '%s' | tail -1", E.data);
	long long avail = strtoll(out, NULL, 10);
	free(out);
	long long n = avail - left;
	if (n > 0) {
		free(tu_run(&st, "head -c %lld /dev/zero > '%s/filler' 2>/dev/null; sync -f '%s/filler'", n, E.tmp, E.tmp));
	}
}

static void free_disk(void)
{
	char *p = xasprintf("%s/filler", E.tmp);
	unlink(p);
	free(p);
}

static unsigned search_count(void)
{
	int st;
	char *out = muttlike(&st, "search '*' | wc -l");
	unsigned n = (unsigned)strtoul(out, NULL, 10);
	free(out);
	assert_int_equal(st, 0);
	return n;
}

static void test_rounds(void **state)
{
	(void)state;
	int st;
	char *out = muttlike(&st, "sync");
	if (st != 0)
		fail_msg("first sync: %s", out);
	free(out);
	for (int round = 0; round < ROUNDS; round++) {
		char *tag = xasprintf("full%d", round);
		/* About 3 MB of new mail against less room than that: the
		 * room left differs from round to round, so the disk fills
		 * in the Maildir writes, in the index or at its commit. */
		static const long long room[ROUNDS] = { 1500 * 1024, 300 * 1024, 2600 * 1024, 3300 * 1024, 3500 * 1024, 3700 * 1024 };
		free(st_imap("appendmany INBOX 150 %s 20000", tag));
		free(tag);
		fill_disk(room[round]);
		out = muttlike(&st, "sync");
		fprintf(stderr, "# round %d, disk full: exit %d: %s", round, st, out);
		int lst;
		free(tu_run(&lst, "grep -h 'store:' '%s/log' >&2; : > '%s/log'", E.data, E.data));
		/* Never an abort, never success with messages missing. */
		assert_true(st == 0 || st == 1);
		if (st == 0)
			assert_int_equal(st_compare(), 0);
		else
			assert_non_null(strstr(out, "free space and run sync again"));
		free(out);
		free_disk();
		out = muttlike(&st, "sync");
		if (st != 0)
			fail_msg("round %d: sync with space again: exit %d: %s", round, st, out);
		free(out);
		assert_int_equal(st_compare(), 0);
		unsigned files = st_count_files(NULL);
		assert_int_equal(st_nm_files("*"), files);
		/* The reader's own search reads the index: one line a message. */
		assert_true(search_count() > 0);
		/* And notmuch's own command line reads it. */
		out = tu_run(&st, "NOTMUCH_DATABASE='%s/mail' notmuch --config='' count --output=files '*' 2>&1", E.data);
		if (st != 0 || strtoul(out, NULL, 10) != files)
			fail_msg("round %d: notmuch count: exit %d: %s (files: %u)", round, st, out, files);
		free(out);
		/* No unfinished file is left behind in tmp/. */
		out = tu_run(&st, "find '%s' -path '%s/*/tmp/*' -type f", E.acctdir, E.acctdir);
		if (*out)
			fail_msg("round %d: files left in tmp/: %.300s", round, out);
		free(out);
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	if (!getenv("DISKFULL_NS")) {
		/* Our own mount namespace, so the tmpfs goes with us. */
		setenv("DISKFULL_NS", "1", 1);
		if (geteuid() == 0)
			execlp("unshare", "unshare", "-m", "--propagation", "private", argv[0], (char *)NULL);
		else /* a user namespace lets an unprivileged user mount a tmpfs */
			execlp("unshare", "unshare", "-r", "-m", "--propagation", "private", argv[0], (char *)NULL);
		perror("exec unshare");
		return 1;
	}
	st_setup_env();
	if (mount("tmpfs", E.tmp, "tmpfs", 0, "size=96m,mode=0700") != 0) {
		perror("mount tmpfs");
		return 1;
	}
	st_populate(3, 40, NULL);
	rcfile = tu_write(E.tmp, "test.rc", E.rc, 0600);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rounds),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(rcfile);
	umount2(E.tmp, MNT_DETACH);
	st_teardown_env();
	return rc;
}
