/* test_maildir.c - Maildir names, safe folder paths, crash-safe delivery. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "maildir.h"
#include "util.h"

static void test_flags(void **state)
{
	(void)state;
	char out[8];
	assert_int_equal(maildir_flags_parse("SRF"), MAILDIR_F_SEEN | MAILDIR_F_REPLIED | MAILDIR_F_FLAGGED);
	maildir_flags_format(MAILDIR_F_SEEN | MAILDIR_F_DRAFT | MAILDIR_F_TRASHED, out);
	assert_string_equal(out, "DST");
	assert_int_equal(maildir_flags_parse("xyz"), 0);
	maildir_flags_format(0, out);
	assert_string_equal(out, "");
}

static void test_safe_paths(void **state)
{
	(void)state;
	static const struct { const char *in; char delim; const char *out; } cases[] = {
		{ "INBOX", '/', "INBOX" },
		{ "Lists/dev", '/', "Lists/dev" },
		{ "..", '/', "%2E." },
		{ "../../etc", '/', "%2E./%2E./etc" },
		{ "/abs", '/', "%00/abs" },
		{ "a\x1b[31mb", '/', "a%1B[31mb" },
		{ "A.B", '.', "A/B" },
		{ "x/y", '.', "x%2Fy" },
		{ "cur", '/', "%63ur" },
		{ "Work/new", '/', "Work/%6Eew" },
		{ "100%", '/', "100%25" },
		{ "$(rm -rf ~)`x`", '/', "$(rm -rf ~)`x`" }, /* harmless in a path: never reaches a shell */
		{ ".hidden", '/', "%2Ehidden" },
		{ "a\\b", '/', "a%5Cb" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *p = maildir_folder_relpath(cases[i].in, cases[i].delim);
		assert_string_equal(p, cases[i].out);
		/* No component is ".", ".." or empty. */
		char *copy = xstrdup(p);
		for (char *save = NULL, *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save))
			assert_true(strcmp(c, ".") != 0 && strcmp(c, "..") != 0 && *c);
		free(copy);
		free(p);
	}
	assert_null(maildir_folder_relpath("", '/'));
}

/* maildir_name_parse / maildir_name_format: a name written is read back. */
static void test_name_round_trip(void **state)
{
	(void)state;
	static const struct { bool has_uid; uint32_t uid; unsigned flags; } cases[] = {
		{ true, 7, MAILDIR_F_SEEN }, { false, 0, MAILDIR_F_FLAGGED | MAILDIR_F_REPLIED },
		{ true, 0, 0 }, /* an orphan */
		{ true, UINT32_MAX, MAILDIR_F_ALL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *name = maildir_name_format("1700000000.M1P2Q3.host", cases[i].has_uid, cases[i].uid,
						 cases[i].flags);
		char *path = xasprintf("/mail/a/INBOX/cur/%s", name);
		struct maildir_name n;
		assert_true(maildir_name_parse(path, &n));
		assert_string_equal(n.base, name);
		assert_int_equal(n.unique_len, strlen("1700000000.M1P2Q3.host"));
		assert_int_equal(n.has_uid, cases[i].has_uid);
		assert_int_equal(n.uid, cases[i].uid);
		assert_int_equal(n.flags, cases[i].flags);
		assert_non_null(n.info);
		assert_false(n.has_size);
		assert_int_equal(n.append, 0);
		char *stem = maildir_name_stem(&n);
		char *again = maildir_name_format(stem, n.has_uid, n.uid, n.flags);
		assert_string_equal(again, name);
		free(again);
		free(stem);
		free(path);
		free(name);
	}
}

/* Other tools' fields, the pending-upload marker, keyword letters, no info. */
static void test_name_odd(void **state)
{
	(void)state;
	struct maildir_name n;
	assert_true(maildir_name_parse("cur/123.abc,S=4567,U=12,A=9:2,FSab", &n));
	assert_int_equal(n.unique_len, 7);
	assert_int_equal(n.stem_len, strlen("123.abc,S=4567,U=12,A=9"));
	assert_true(n.has_uid);
	assert_int_equal(n.uid, 12);
	assert_true(n.has_size);
	assert_int_equal(n.size, 4567);
	assert_int_equal(n.append, 9);
	assert_string_equal(n.info, "FSab"); /* the keyword letters stay in info */
	assert_int_equal(n.flags, MAILDIR_F_FLAGGED | MAILDIR_F_SEEN);
	char *stem = maildir_name_stem(&n);
	assert_string_equal(stem, "123.abc,S=4567,A=9");
	char *moved = maildir_name_format(stem, true, 13, MAILDIR_F_SEEN);
	assert_string_equal(moved, "123.abc,S=4567,A=9,U=13:2,S");
	free(moved);
	free(stem);
	/* no ":2,": a new/ file of another tool, or another info version */
	assert_true(maildir_name_parse("new/1700.x.host", &n));
	assert_null(n.info);
	assert_int_equal(n.flags, 0);
	assert_false(n.has_uid);
	assert_int_equal(n.stem_len, strlen("1700.x.host"));
	assert_true(maildir_name_parse("1700.x.host,U=5:1,stuff", &n));
	assert_null(n.info);
	assert_true(n.has_uid);
	assert_int_equal(n.uid, 5);
	assert_int_equal(n.stem_len, strlen("1700.x.host,U=5"));
	/* an empty info; a field given twice: the last counts */
	assert_true(maildir_name_parse("x,U=1,U=2:2,", &n));
	assert_int_equal(n.uid, 2);
	assert_string_equal(n.info, "");
	assert_int_equal(n.flags, 0);
	assert_true(maildir_is_index_copy_name("x,U=1:2,S"));
	assert_false(maildir_is_index_copy_name("x,U=1"));
	assert_false(maildir_is_index_copy_name("x:2,S"));
}

/* Garbage: no message name, or fields that are not numbers. */
static void test_name_garbage(void **state)
{
	(void)state;
	struct maildir_name n;
	static const char *const bad[] = { "", "cur/", ".hidden,U=3:2,S", ",U=3:2,S", ":2,S" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_false(maildir_name_parse(bad[i], &n));
	assert_int_equal(n.flags, MAILDIR_F_SEEN); /* still filled */
	static const char *const no_uid[] = { "x,U=:2,S", "x,U=12a:2,S", "x,U=4294967296:2,S", "x,U=-1:2,S",
					      "x,u=3:2,S", "x,U3:2,S" };
	for (size_t i = 0; i < ARRAY_SIZE(no_uid); i++) {
		assert_true(maildir_name_parse(no_uid[i], &n));
		assert_false(n.has_uid);
		assert_int_equal(n.uid, 0);
		assert_int_equal(n.flags, MAILDIR_F_SEEN);
	}
	assert_true(maildir_name_parse("x,U=4294967295,S=99999999999999999999,A=x:2,Szz", &n));
	assert_int_equal(n.uid, UINT32_MAX);
	assert_false(n.has_size); /* over 64 bits */
	assert_int_equal(n.append, 0);
	assert_int_equal(n.flags, MAILDIR_F_SEEN);
	assert_true(maildir_name_parse("x:2,S:2,F", &n)); /* the first ":2," is the info */
	assert_int_equal(n.stem_len, 1);
	assert_string_equal(n.info, "S:2,F");
}

static void test_deliver_scan_rename(void **state)
{
	(void)state;
	char *tmp = tu_tmpdir();
	char *dir = xasprintf("%s/INBOX", tmp);
	assert_int_equal(maildir_create(dir), 0);
	char *n1 = NULL, *n2 = NULL, *n3 = NULL;
	assert_int_equal(maildir_deliver(dir, "a\r\n", 3, 7, true, MAILDIR_F_SEEN, 1700000000, &n1), 0);
	assert_int_equal(maildir_deliver(dir, "b\r\n", 3, 3, true, 0, 0, &n2), 0);
	assert_int_equal(maildir_deliver(dir, "c\r\n", 3, 0, false, MAILDIR_F_FLAGGED, 0, &n3), 0);
	assert_non_null(strstr(n1, ",U=7:2,S"));
	assert_non_null(strstr(n3, ":2,F"));
	assert_null(strstr(n3, ",U="));
	char *p1 = xasprintf("%s/%s", dir, n1);
	struct stat st;
	assert_int_equal(stat(p1, &st), 0);
	assert_int_equal(st.st_mtime, 1700000000);
	free(p1);
	/* Nothing is left in tmp/. */
	char *t = xasprintf("%s/tmp", dir);
	assert_int_equal(rmdir(t), 0);
	assert_int_equal(mkdir(t, 0700), 0);
	free(t);

	struct maildir_list l;
	assert_int_equal(maildir_scan(dir, &l), 0);
	assert_int_equal(l.n, 3);
	assert_false(l.v[0].has_uid); /* no UID sorts first */
	assert_int_equal(l.v[1].uid, 3);
	assert_int_equal(l.v[2].uid, 7);
	assert_int_equal(l.v[2].flags, MAILDIR_F_SEEN);
	assert_non_null(maildir_list_find(&l, 7));
	assert_null(maildir_list_find(&l, 5));
	assert_null(maildir_list_find(&l, 0));

	char *nn = NULL;
	assert_int_equal(maildir_rename(dir, n1, true, 9, MAILDIR_F_SEEN | MAILDIR_F_FLAGGED, &nn), 0);
	assert_non_null(strstr(nn, ",U=9:2,FS"));
	assert_null(strstr(nn, ",U=7"));
	char *same = NULL;
	assert_int_equal(maildir_rename(dir, nn, true, 9, MAILDIR_F_SEEN | MAILDIR_F_FLAGGED, &same), 0);
	assert_string_equal(same, nn);
	char *data;
	size_t len;
	assert_int_equal(maildir_read(dir, nn, &data, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "a\r\n", 3);
	free(data);
	assert_int_equal(maildir_remove(dir, nn), 0);
	assert_int_equal(maildir_remove(dir, nn), 0); /* already gone: fine */
	maildir_list_clear(&l);
	assert_int_equal(maildir_scan(dir, &l), 0);
	assert_int_equal(l.n, 2);
	maildir_list_clear(&l);
	free(same);
	free(nn);
	free(n1);
	free(n2);
	free(n3);
	free(dir);
	tu_rmtree(tmp);
	free(tmp);
}

/* tmp/: a file of a writer that is gone goes at once, one of a live
 * writer or of another program stays until it is 36 hours old. */
static void test_clean_tmp(void **state)
{
	(void)state;
	char *tmp = tu_tmpdir();
	char *dir = xasprintf("%s/INBOX", tmp), *tdir = xasprintf("%s/INBOX/tmp", tmp);
	assert_int_equal(maildir_create(dir), 0);
	char host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	/* A pid that is gone: a reaped child's. */
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	char *gone = xasprintf("1700000000.M1P%ldQ1.%s", (long)dead, host);
	char *live = xasprintf("1700000000.M1P%ldQ2.%s", (long)getppid(), host);
	char *mine = xasprintf("1700000000.M1P%ldQ3.%s", (long)getpid(), host);
	char *other = xasprintf("1700000000.M1P%ldQ4.otherhost", (long)dead);
	const char *names[] = { gone, live, mine, other, "foreign-tool-file" };
	for (size_t i = 0; i < 5; i++)
		free(tu_write(tdir, names[i], "x", 0600));
	time_t now = time(NULL);
	assert_int_equal(maildir_clean_tmp(dir, now), 1);
	char *p = xasprintf("%s/%s", tdir, gone);
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	for (size_t i = 1; i < 5; i++) {
		p = xasprintf("%s/%s", tdir, names[i]);
		assert_int_equal(access(p, F_OK), 0);
		free(p);
	}
	/* 36 hours later (by the clock passed in) everything old goes. */
	assert_int_equal(maildir_clean_tmp(dir, now + MAILDIR_TMP_MAX_AGE + 10), 4);
	free(gone);
	free(live);
	free(mine);
	free(other);
	tu_rmtree(tmp);
	free(tdir);
	free(dir);
	free(tmp);
}

static void test_message_id(void **state)
{
	(void)state;
	const char *m1 = "From: a\r\nMessage-ID:\r\n <abc@x>\r\n\r\nMessage-ID: <body@x>\r\n";
	char *id = maildir_message_id(m1, strlen(m1));
	assert_string_equal(id, "abc@x");
	free(id);
	const char *m2 = "Subject: x\n\nMessage-ID: <body@x>\n";
	assert_null(maildir_message_id(m2, strlen(m2)));
	const char *m3 = "message-id: <Q@y>\n";
	id = maildir_message_id(m3, strlen(m3));
	assert_string_equal(id, "Q@y");
	free(id);
}

/* Stored with LF; the server's size counts CRLF (old CRLF files too). */
static void test_line_ends(void **state)
{
	(void)state;
	const char *crlf = "Subject: x\r\n\r\nbody\r\nlone\rcr\r\nbare\nend";
	size_t n = 0;
	char *lf = maildir_lf(crlf, strlen(crlf), &n);
	assert_string_equal(lf, "Subject: x\n\nbody\nlone\rcr\nbare\nend");
	assert_int_equal(n, strlen(lf));
	/* the server's size of either form: every line end as CRLF */
	assert_int_equal(maildir_crlf_size(lf, n), strlen(crlf) + 1);
	assert_int_equal(maildir_crlf_size(crlf, strlen(crlf)), strlen(crlf) + 1);
	assert_int_equal(maildir_crlf_size("\n", 1), 2);
	free(lf);
	lf = maildir_lf("a\r", 2, &n); /* a CR at the end stays */
	assert_int_equal(n, 2);
	free(lf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_safe_paths),
		cmocka_unit_test(test_name_round_trip),
		cmocka_unit_test(test_name_odd),
		cmocka_unit_test(test_name_garbage),
		cmocka_unit_test(test_deliver_scan_rename),
		cmocka_unit_test(test_message_id),
		cmocka_unit_test(test_clean_tmp),
		cmocka_unit_test(test_line_ends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
