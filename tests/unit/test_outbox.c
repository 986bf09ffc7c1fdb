/* test_outbox.c - the on-disk outbox: queued before sending, kept with
 * the reason on failure, never sent twice, Sent copy and \Answered after
 * success.  Sending goes through smtp's sendmail mode (a shell script),
 * so no server is needed here; test_send_smtp covers SMTP itself. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "log.h"
#include "outbox.h"
#include "smtp.h"
#include "util.h"

static char *tmp;

static int setup(void **state)
{
	(void)state;
	tmp = tu_tmpdir();
	tu_log_capture_start();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_log_capture_stop();
	tu_rmtree(tmp);
	free(tmp);
	return 0;
}

static const char msg[] = "From: a@example.org\r\nTo: b@example.org\r\nSubject: s\r\n\r\nbody\r\n";
static char *const rcpts[] = { (char *)"b@example.org", (char *)"c@example.org", NULL };

/* An smtp_t whose delivery is a script: appends to tmp/sent.log or fails. */
static smtp_t *sender(bool ok)
{
	struct smtp_params p = { 0 };
	p.sendmail = ok ? xasprintf("f() { echo \"$*\" >> %s/calls; cat >> %s/sent.log; }; f", tmp, tmp)
			: xasprintf("f() { echo \"$*\" >> %s/calls; echo 'mail server on fire' >&2; exit 75; }; f", tmp);
	smtp_t *s = smtp_new(&p);
	smtp_params_clear(&p);
	return s;
}

static int count_calls(void)
{
	char *p = xasprintf("%s/calls", tmp);
	char *t = tu_read(p);
	free(p);
	int n = 0;
	for (char *c = t; c && *c; c++)
		n += *c == '\n';
	free(t);
	return n;
}

static size_t count_files(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void test_queue_and_fail(void **state)
{
	(void)state;
	char *err = NULL;
	outbox_t *o = outbox_open(tmp, "work", &err);
	assert_non_null(o);
	struct stat st;
	assert_int_equal(stat(outbox_dir(o), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	char *id = outbox_add(o, msg, strlen(msg), NULL, 0, "a@example.org", rcpts, "/no/such\nforged 1", NULL, &err);
	assert_non_null(id);
	struct outbox_entry *v;
	assert_int_equal(outbox_list(o, &v), 1);
	assert_string_equal(v[0].from, "a@example.org");
	assert_string_equal(v[0].rcpts[1], "c@example.org");
	assert_null(v[0].rcpts[2]);
	assert_null(v[0].answered); /* a path with a line break is not taken */
	assert_false(v[0].sent);
	assert_int_equal(v[0].size, strlen(msg));
	outbox_entries_free(&v, 1);

	smtp_t *s = sender(false);
	size_t failed;
	assert_int_equal(outbox_flush(o, s, NULL, &failed), 0);
	assert_int_equal(failed, 1);
	assert_int_equal(outbox_list(o, &v), 1);
	assert_int_equal(v[0].attempts, 1);
	assert_non_null(strstr(v[0].error, "mail server on fire"));
	assert_null(strchr(v[0].error, '\n'));
	outbox_entries_free(&v, 1);
	/* the text is still all there */
	char *back;
	size_t len;
	assert_int_equal(outbox_read(o, id, &back, &len), OUTBOX_OK);
	assert_int_equal(len, strlen(msg));
	assert_memory_equal(back, msg, len);
	free(back);
	/* a second failure counts */
	outbox_flush(o, s, NULL, &failed);
	assert_int_equal(outbox_list(o, &v), 1);
	assert_int_equal(v[0].attempts, 2);
	outbox_entries_free(&v, 1);
	smtp_free(&s);
	assert_int_equal(outbox_read(o, "../../etc/passwd", &back, &len), OUTBOX_ERR_NOT_FOUND);
	assert_int_equal(outbox_remove(o, id), OUTBOX_OK);
	assert_int_equal(outbox_list(o, &v), 0);
	assert_int_equal(outbox_remove(o, id), OUTBOX_ERR_NOT_FOUND);
	free(id);
	outbox_free(&o);
}

static void test_send_sent_answered(void **state)
{
	(void)state;
	char *err = NULL;
	outbox_t *o = outbox_open(tmp, "work", &err);
	/* the replied-to message in the local mirror */
	char *inbox = outbox_folder_dir(tmp, "work", "INBOX");
	char *orig = xasprintf("%s/cur/1700000000.M1P1Q1.host,U=42:2,S", inbox);
	char *cur = xasprintf("%s/cur", inbox);
	assert_int_equal(util_mkdirs(cur, 0700), 0);
	free(tu_write(cur, "1700000000.M1P1Q1.host,U=42:2,S", "orig\n", 0600));
	const char *copy = "Bcc: hidden@example.org\r\nSubject: s\r\n\r\nbody\r\n";
	char *id = outbox_add(o, msg, strlen(msg), copy, strlen(copy), "a@example.org", rcpts, orig, NULL, &err);
	assert_non_null(id);
	char *sent_dir = outbox_folder_dir(tmp, "work", "Sent");
	struct outbox_after after = { .sent_dir = sent_dir };
	smtp_t *s = sender(true);
	size_t failed;
	assert_int_equal(outbox_flush(o, s, &after, &failed), 1);
	assert_int_equal(failed, 0);
	/* sendmail got the message (LF line ends) and the recipients as arguments */
	char *lp = xasprintf("%s/sent.log", tmp);
	char *log = tu_read(lp);
	assert_string_equal(log, "From: a@example.org\nTo: b@example.org\nSubject: s\n\nbody\n");
	free(log);
	free(lp);
	assert_int_equal(count_calls(), 1);
	/* the Sent copy (with Bcc) is a local new message, seen, without UID */
	char *sent_cur = xasprintf("%s/cur", sent_dir);
	assert_int_equal(count_files(sent_cur), 1);
	DIR *d = opendir(sent_cur);
	struct dirent *e;
	while ((e = readdir(d)) && e->d_name[0] == '.')
		;
	assert_null(strstr(e->d_name, ",U="));
	assert_non_null(strstr(e->d_name, ":2,S"));
	char *sp = xasprintf("%s/%s", sent_cur, e->d_name);
	closedir(d);
	char *sent_text = tu_read(sp);
	assert_string_equal(sent_text, copy);
	free(sent_text);
	free(sp);
	/* the original is \Answered (R), UID kept */
	assert_int_equal(access(orig, F_OK), -1);
	char *answered = xasprintf("%s/cur/1700000000.M1P1Q1.host,U=42:2,RS", inbox);
	assert_int_equal(access(answered, F_OK), 0);
	/* and the outbox is empty */
	struct outbox_entry *v;
	assert_int_equal(outbox_list(o, &v), 0);
	assert_int_equal(count_files(outbox_dir(o)), 1); /* edit/ only */
	smtp_free(&s);
	free(answered);
	free(sent_cur);
	free(sent_dir);
	free(orig);
	free(cur);
	free(inbox);
	free(id);
	outbox_free(&o);
}

/* Accepted by the server, then the Sent copy failed (or we crashed): the
 * next flush finishes the copy and never sends again. */
static void test_never_twice(void **state)
{
	(void)state;
	char *err = NULL;
	outbox_t *o = outbox_open(tmp, "work", &err);
	char *id = outbox_add(o, msg, strlen(msg), NULL, 0, "a@example.org", rcpts, NULL, NULL, &err);
	char *blocker = xasprintf("%s/not-a-dir", tmp);
	free(tu_write(tmp, "not-a-dir", "x", 0600));
	struct outbox_after bad = { .sent_dir = blocker };
	smtp_t *s = sender(true);
	size_t failed;
	assert_int_equal(outbox_flush(o, s, &bad, &failed), 0);
	assert_int_equal(failed, 1);
	assert_int_equal(count_calls(), 1);
	struct outbox_entry *v;
	assert_int_equal(outbox_list(o, &v), 1);
	assert_true(v[0].sent);
	assert_non_null(strstr(v[0].error, "copy"));
	outbox_entries_free(&v, 1);
	char *sent_dir = outbox_folder_dir(tmp, "work", "Sent");
	struct outbox_after good = { .sent_dir = sent_dir };
	assert_int_equal(outbox_flush(o, s, &good, &failed), 1);
	assert_int_equal(count_calls(), 1); /* not sent again */
	assert_int_equal(outbox_list(o, &v), 0);
	char *sent_cur = xasprintf("%s/cur", sent_dir);
	assert_int_equal(count_files(sent_cur), 1);
	free(sent_cur);
	free(sent_dir);
	free(blocker);
	smtp_free(&s);
	free(id);
	outbox_free(&o);
}

/* A crash while queueing leaves no half entry: without .env it is not an
 * entry (and the message file is ignored, not sent). */
static void test_half_written(void **state)
{
	(void)state;
	char *err = NULL;
	outbox_t *o = outbox_open(tmp, "work", &err);
	free(tu_write(outbox_dir(o), "123.1.abcdef.eml", msg, 0600));
	struct outbox_entry *v;
	assert_int_equal(outbox_list(o, &v), 0);
	outbox_free(&o);
}

static void test_edit_files(void **state)
{
	(void)state;
	char *err = NULL;
	outbox_t *o = outbox_open(tmp, "work", &err);
	char *p = outbox_edit_file(o, "To: x@example.org\n\nhalf-written reply\n", &err);
	assert_non_null(p);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char **left;
	assert_int_equal(outbox_edit_leftovers(o, &left), 1);
	assert_string_equal(left[0], p);
	free(left[0]);
	free(left);
	free(p);
	outbox_free(&o);
}

static void test_postpone_local(void **state)
{
	(void)state;
	char *drafts = outbox_folder_dir(tmp, "work", "Drafts");
	char *path;
	assert_int_equal(outbox_deliver_local(drafts, msg, strlen(msg), "DS", &path), 0);
	assert_non_null(strstr(path, ":2,DS"));
	char *t = tu_read(path);
	assert_string_equal(t, msg);
	free(t);
	free(path);
	free(drafts);
	/* folder names are made safe: no escaping the account's tree */
	char *evil = outbox_folder_dir(tmp, "../x", "../../etc");
	assert_null(strstr(evil, "/../"));
	free(evil);
	assert_int_equal(outbox_mark_answered("/not/a/maildir/file", NULL), -1);
}

/* Held entries are never sent and come back unchanged; a locked entry
 * (being sent) cannot be held, deleted, or sent a second time. */
static void test_hold_and_lock(void **state)
{
	(void)state;
	char *err = NULL;
	outbox_t *o = outbox_open(tmp, "work", &err);
	static const char copy[] = "From: a@example.org\r\nBcc: z@example.org\r\n\r\nbody\r\n";
	char *id = outbox_add(o, msg, strlen(msg), copy, strlen(copy), "a@example.org", rcpts, NULL, NULL, &err);
	assert_non_null(id);
	char *mf = outbox_message_file(o, id);
	assert_non_null(strstr(mf, ".copy")); /* the user's text has the Bcc */
	free(mf);
	assert_null(outbox_message_file(o, "../x"));

	assert_int_equal(outbox_hold(o, id), OUTBOX_OK);
	struct outbox_entry *v;
	assert_int_equal(outbox_list(o, &v), 1);
	assert_true(v[0].held);
	outbox_entries_free(&v, 1);
	smtp_t *s = sender(true);
	size_t failed = 9;
	assert_int_equal(outbox_flush(o, s, NULL, &failed), 0);
	assert_int_equal(failed, 0);
	assert_int_equal(count_calls(), 0);
	assert_int_equal(outbox_release(o, id), OUTBOX_OK);
	assert_int_equal(outbox_list(o, &v), 1);
	assert_false(v[0].held);
	outbox_entries_free(&v, 1);

	/* someone (another reader's sender) has the entry's lock */
	char *eml = xasprintf("%s/%s.eml", outbox_dir(o), id);
	int fd = open(eml, O_RDONLY);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_true(outbox_busy(o, id));
	assert_int_equal(outbox_hold(o, id), OUTBOX_ERR_BUSY);
	assert_int_equal(outbox_remove(o, id), OUTBOX_ERR_BUSY);
	assert_int_equal(outbox_flush(o, s, NULL, &failed), 0);
	assert_int_equal(count_calls(), 0);
	close(fd);
	assert_false(outbox_busy(o, id));

	/* a held entry can be deleted; a crash between hold's renames lists it once */
	assert_int_equal(outbox_hold(o, id), OUTBOX_OK);
	char *held = xasprintf("%s/%s.held", outbox_dir(o), id), *env = xasprintf("%s/%s.env", outbox_dir(o), id);
	assert_int_equal(link(held, env), 0);
	assert_int_equal(outbox_list(o, &v), 1);
	outbox_entries_free(&v, 1);
	assert_int_equal(outbox_remove(o, id), OUTBOX_OK);
	assert_int_equal(outbox_list(o, &v), 0);
	assert_int_equal(access(held, F_OK), -1);
	assert_int_equal(access(eml, F_OK), -1);
	assert_int_equal(outbox_hold(o, id), OUTBOX_ERR_NOT_FOUND);
	free(held);
	free(env);
	free(eml);
	free(id);

	/* its bytes lost (never by us): reported, and it can still be deleted */
	id = outbox_add(o, msg, strlen(msg), NULL, 0, "a@example.org", rcpts, NULL, NULL, &err);
	eml = xasprintf("%s/%s.eml", outbox_dir(o), id);
	assert_int_equal(unlink(eml), 0);
	assert_int_equal(outbox_flush(o, s, NULL, &failed), 0);
	assert_int_equal(failed, 1);
	assert_int_equal(outbox_list(o, &v), 1);
	assert_non_null(v[0].error);
	outbox_entries_free(&v, 1);
	assert_int_equal(outbox_remove(o, id), OUTBOX_OK);
	assert_int_equal(outbox_list(o, &v), 0);
	free(eml);
	smtp_free(&s);
	free(id);
	outbox_free(&o);
}

/* Files (cur/ and new/) of a folder's local Maildir. */
static size_t folder_files(const char *folder)
{
	char *dir = outbox_folder_dir(tmp, "work", folder);
	char *cur = xasprintf("%s/cur", dir), *nw = xasprintf("%s/new", dir);
	size_t n = count_files(cur) + count_files(nw);
	free(nw);
	free(cur);
	free(dir);
	return n;
}

/* The Fcc is part of the entry's metadata: it survives a failed attempt
 * (ID.env rewritten), a hold/release and a reload; the copy lands in that
 * folder, none for "", and an entry written without it (an older version's)
 * reads as NULL and files its copy in record (sent_dir). */
static void test_fcc(void **state)
{
	(void)state;
	char *err = NULL;
	outbox_t *o = outbox_open(tmp, "work", &err);
	char *a = outbox_add(o, msg, strlen(msg), NULL, 0, "a@example.org", rcpts, NULL, "Projects/Fcc", &err);
	char *b = outbox_add(o, msg, strlen(msg), NULL, 0, "a@example.org", rcpts, NULL, "", &err);
	char *c = outbox_add(o, msg, strlen(msg), NULL, 0, "a@example.org", rcpts, NULL, NULL, &err);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	/* a name that could forge a line is refused, not dropped */
	assert_null(outbox_add(o, msg, strlen(msg), NULL, 0, "a@example.org", rcpts, NULL, "X\nfrom evil", &err));
	assert_non_null(strstr(err, "Fcc"));
	free(err);
	err = NULL;
	/* an older version's entry: the same lines without fcc */
	char *old_env = xasprintf("%s/%s.env", outbox_dir(o), c);
	char *t = tu_read(old_env);
	assert_null(strstr(t, "fcc"));
	free(t);
	free(old_env);
	smtp_t *bad = sender(false);
	size_t failed;
	assert_int_equal(outbox_flush(o, bad, NULL, &failed), 0);
	assert_int_equal(failed, 3);
	assert_int_equal(outbox_hold(o, a), OUTBOX_OK);
	assert_int_equal(outbox_release(o, a), OUTBOX_OK);
	struct outbox_entry *v;
	assert_int_equal(outbox_list(o, &v), 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(v[i].attempts, 1);
		if (strcmp(v[i].id, a) == 0)
			assert_string_equal(v[i].fcc, "Projects/Fcc");
		else if (strcmp(v[i].id, b) == 0)
			assert_string_equal(v[i].fcc, "");
		else
			assert_null(v[i].fcc);
	}
	outbox_entries_free(&v, 3);
	char *sent_dir = outbox_folder_dir(tmp, "work", "Sent");
	struct outbox_after after = { .sent_dir = sent_dir, .data_dir = tmp, .account = "work" };
	smtp_t *good = sender(true);
	assert_int_equal(outbox_flush(o, good, &after, &failed), 3);
	assert_int_equal(failed, 0);
	assert_int_equal(folder_files("Projects/Fcc"), 1); /* a's copy */
	assert_int_equal(folder_files("Sent"), 1);         /* c's: the old entry's default; b kept none */
	assert_int_equal(outbox_list(o, &v), 0);
	smtp_free(&good);
	smtp_free(&bad);
	free(sent_dir);
	free(a);
	free(b);
	free(c);
	outbox_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue_and_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_sent_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fcc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edit_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_postpone_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_and_lock, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
