/* test_mbox.c - mboxrd writing, locking, Maildir saving, reading back. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mbox.h"
#include "testutil.h"
#include "util.h"

/* CRLF, as the mirror stores it, with From lines inside the body */
static const char msg1[] = "Return-Path: <bounce@lists.example.org>\r\n"
			   "From: Alice <alice@example.org>\r\n"
			   "Date: Tue, 01 Dec 2026 10:30:00 +0100\r\n"
			   "Subject: one\r\n"
			   "\r\n"
			   "From the start\r\n"
			   ">From quoted once\r\n"
			   ">>From twice\r\n"
			   " From indented\r\n"
			   "\r\n"
			   "From after a blank line\r\n";
static const char msg2[] = "From: \"Bob B\" <bob@example.net>\n"
			   "Subject: two\n"
			   "Date: 3 Feb 2025 23:59:59 -0800\n"
			   "\n"
			   "body\n"
			   "\n";

static char *lf(const char *s)
{
	struct strbuf b;
	strbuf_init(&b);
	for (; *s; s++)
		if (*s != '\r')
			strbuf_addc(&b, *s);
	return strbuf_detach(&b);
}

static void test_format(void **state)
{
	(void)state;
	struct mbox_msg m = { msg1, strlen(msg1) };
	struct strbuf b;
	strbuf_init(&b);
	mbox_format(&b, &m);
	assert_string_equal(b.s, "From bounce@lists.example.org Tue Dec  1 09:30:00 2026\n"
				 "Return-Path: <bounce@lists.example.org>\n"
				 "From: Alice <alice@example.org>\n"
				 "Date: Tue, 01 Dec 2026 10:30:00 +0100\n"
				 "Subject: one\n"
				 "\n"
				 ">From the start\n"
				 ">>From quoted once\n"
				 ">>>From twice\n"
				 " From indented\n"
				 "\n"
				 ">From after a blank line\n"
				 "\n");
	strbuf_free(&b);
	struct mbox_msg m2 = { msg2, strlen(msg2) };
	char *from = mbox_from_line(&m2);
	assert_string_equal(from, "From bob@example.net Tue Feb  4 07:59:59 2025\n");
	free(from);
	struct mbox_msg m3 = { "Subject: x\n\nno sender", 21 };
	from = mbox_from_line(&m3);
	assert_true(strncmp(from, "From MAILER-DAEMON ", 19) == 0);
	free(from);
}

static void check_roundtrip(const char *text, size_t len)
{
	struct mbox_read_msg *v;
	size_t n = mbox_read(text, len, &v);
	assert_int_equal(n, 2);
	char *want1 = lf(msg1);
	assert_string_equal(v[0].data, want1);
	assert_string_equal(v[1].data, msg2);
	assert_string_equal(v[1].from_line, "From bob@example.net Tue Feb  4 07:59:59 2025");
	free(want1);
	mbox_read_free(&v, n);
	assert_null(v);
}

static void test_save_mbox(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *path = xasprintf("%s/saved", dir);
	struct mbox_msg ms[2] = { { msg1, strlen(msg1) }, { msg2, strlen(msg2) } };
	char *err = NULL;
	assert_true(mbox_save(path, ms, 1, &err));
	assert_true(mbox_save(path, ms + 1, 1, &err)); /* appended */
	char *text = tu_read(path);
	check_roundtrip(text, strlen(text));
	free(text);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *lock = xasprintf("%s.lock", path);
	assert_int_not_equal(access(lock, F_OK), 0); /* the dotlock is gone */
	/* held by another program: refused, the file untouched */
	int fd = open(lock, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_false(mbox_save(path, ms, 1, &err));
	assert_non_null(strstr(err, "is locked"));
	free(err);
	struct stat st2;
	stat(path, &st2);
	assert_int_equal(st2.st_size, st.st_size);
	unlink(lock);
	free(lock);
	/* not an mbox: refused */
	char *other = tu_write(dir, "notes.txt", "hello\n", 0600);
	assert_false(mbox_save(other, ms, 1, &err));
	assert_non_null(strstr(err, "not an mbox"));
	free(err);
	/* an mbox without the final blank line gets one before the next message */
	char *bare = tu_write(dir, "bare", "From x Thu Jan  1 00:00:00 2026\nSubject: a\n\nA", 0600);
	assert_true(mbox_save(bare, ms + 1, 1, &err));
	text = tu_read(bare);
	struct mbox_read_msg *v;
	size_t n = mbox_read(text, strlen(text), &v);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].data, "Subject: a\n\nA\n");
	assert_string_equal(v[1].data, msg2);
	mbox_read_free(&v, n);
	free(text);
	free(bare);
	free(other);
	free(path);
	tu_rmtree(dir);
	free(dir);
}

static size_t count_files(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void test_save_maildir(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *md = xasprintf("%s/Saved/", dir);
	struct mbox_msg ms[2] = { { msg1, strlen(msg1) }, { msg2, strlen(msg2) } };
	char *err = NULL;
	assert_int_equal(mbox_target_kind(md, &err), MBOX_KIND_MAILDIR);
	assert_true(mbox_save(md, ms, 2, &err));
	char *new = xasprintf("%snew", md), *tmp = xasprintf("%stmp", md);
	assert_int_equal(count_files(new), 2);
	assert_int_equal(count_files(tmp), 0);
	/* the existing Maildir is chosen without the slash */
	md[strlen(md) - 1] = '\0';
	assert_int_equal(mbox_target_kind(md, &err), MBOX_KIND_MAILDIR);
	assert_true(mbox_save(md, ms, 1, &err));
	assert_int_equal(count_files(new), 3);
	/* each file is one message with LF line ends */
	DIR *d = opendir(new);
	struct dirent *e;
	char *want = lf(msg1);
	size_t hits = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *p = xasprintf("%s/%s", new, e->d_name);
		char *t = tu_read(p);
		assert_null(strchr(t, '\r'));
		hits += strcmp(t, want) == 0;
		free(t);
		free(p);
	}
	closedir(d);
	assert_int_equal(hits, 2);
	free(want);
	/* a directory that is not a Maildir is refused */
	char *junk = tu_write(dir, "file", "x", 0600);
	assert_int_equal(mbox_target_kind(dir, &err), MBOX_KIND_ERROR);
	assert_non_null(strstr(err, "not a Maildir"));
	free(err);
	free(junk);
	free(new);
	free(tmp);
	free(md);
	tu_rmtree(dir);
	free(dir);
}

static void test_pipe_data(void **state)
{
	(void)state;
	struct mbox_msg ms[2] = { { msg1, strlen(msg1) }, { msg2, strlen(msg2) } };
	char *out;
	size_t len;
	mbox_pipe_data(ms, 1, &out, &len);
	char *want = lf(msg1);
	assert_string_equal(out, want); /* one message: itself, no From line */
	free(want);
	free(out);
	mbox_pipe_data(ms, 2, &out, &len);
	assert_int_equal(strlen(out), len);
	check_roundtrip(out, len);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_save_mbox),
		cmocka_unit_test(test_save_maildir),
		cmocka_unit_test(test_pipe_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
