/* test_mailview.c - the reader's read-only, lazily loaded view of the
 * notmuch store: threads and messages newest first, slices, thread trees,
 * sanitized text, counts, reopen after the writer changed the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "mailview.h"
#include "util.h"

struct fx {
	char *dir;
	char *mail;
	char *nmcfg;
};

static void put_msg(struct fx *f, const char *name, const char *id, const char *date, const char *subject,
		    const char *reply_to, const char *flags)
{
	char *dir = xasprintf("%s/acc/INBOX/cur", f->mail);
	char *file = xasprintf("%s:2,%s", name, flags);
	char *text = xasprintf("From: Alice Example <alice@example.org>\nTo: bob@example.org\nSubject: %s\n"
			       "Date: %s\nMessage-ID: <%s>\n%s%s%s\nbody of %s\n",
			       subject, date, id, reply_to ? "In-Reply-To: <" : "", reply_to ? reply_to : "",
			       reply_to ? ">\n" : "", id);
	free(tu_write(dir, file, text, 0600));
	free(text);
	free(file);
	free(dir);
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	f->dir = tu_tmpdir();
	f->mail = xasprintf("%s/mail", f->dir);
	char *p = xasprintf("%s/acc/INBOX", f->mail);
	util_mkdirs(p, 0700);
	char *sub[] = { "cur", "new", "tmp" };
	for (int i = 0; i < 3; i++) {
		char *s = xasprintf("%s/%s", p, sub[i]);
		util_mkdirs(s, 0700);
		free(s);
	}
	free(p);
	put_msg(f, "m1", "root@t", "Mon, 01 Jan 2024 10:00:00 +0000", "Plan", NULL, "S");
	put_msg(f, "m2", "reply@t", "Tue, 02 Jan 2024 10:00:00 +0000", "Re: Plan", "root@t", "");
	put_msg(f, "m3", "evil@t", "Wed, 03 Jan 2024 10:00:00 +0000", "Evil \033]0;pwned\007 title", NULL, "SF");
	char *cfg = xasprintf("[database]\npath=%s\n[new]\ntags=unread;\n[maildir]\nsynchronize_flags=true\n", f->mail);
	f->nmcfg = tu_write(f->dir, "nmcfg", cfg, 0600);
	free(cfg);
	int st;
	free(tu_run(&st, "NOTMUCH_CONFIG=%s notmuch new --quiet", f->nmcfg));
	assert_int_equal(st, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	tu_rmtree(f->dir);
	free(f->dir);
	free(f->mail);
	free(f->nmcfg);
	free(f);
	return 0;
}

static void test_no_store(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	mailview_t *mv = NULL;
	char *err = NULL;
	assert_int_equal(mailview_open(dir, &mv, &err), MV_ERR_NO_DB);
	assert_null(mv);
	assert_non_null(strstr(err, "run a sync first"));
	free(err);
	tu_rmtree(dir);
	free(dir);
}

/* An index that cannot be read: one line that names the fix. */
static void test_unreadable_names_reindex(void **state)
{
	struct fx *f = *state;
	int st;
	/* every block: which one holds the root depends on the history */
	free(tu_run(&st, "f='%s/.notmuch/xapian/postlist.glass'; head -c $(stat -c %%s \"$f\") /dev/zero | tr '\\0' x | "
			 "dd of=\"$f\" conv=notrunc",
		    f->mail));
	assert_int_equal(st, 0);
	mailview_t *mv = NULL;
	char *err = NULL;
	assert_int_equal(mailview_open(f->mail, &mv, &err), MV_ERR_OPEN);
	assert_null(mv);
	assert_non_null(strstr(err, "cannot be read"));
	assert_non_null(strstr(err, "run 'muttlike reindex' to rebuild it"));
	assert_null(strchr(err, '\n'));
	xfree(&err);
	/* the Xapian directory gone: damaged, not "no mail yet" */
	free(tu_run(&st, "rm -r '%s/.notmuch/xapian'", f->mail));
	assert_int_equal(st, 0);
	assert_int_equal(mailview_open(f->mail, &mv, &err), MV_ERR_OPEN);
	assert_non_null(strstr(err, "run 'muttlike reindex' to rebuild it"));
	free(err);
}

static mailview_t *open_mv(struct fx *f)
{
	mailview_t *mv = NULL;
	char *err = NULL;
	assert_int_equal(mailview_open(f->mail, &mv, &err), MV_OK);
	assert_null(err);
	return mv;
}

static void test_threads_newest_first(void **state)
{
	struct fx *f = *state;
	mailview_t *mv = open_mv(f);
	char *err = NULL;
	mv_list_t *l = mv_list_open(mv, "folder:acc/INBOX", MV_THREADS, MV_NEWEST_FIRST, &err);
	assert_non_null(l);
	assert_int_equal(mv_list_messages(l), 3);
	assert_int_equal(mv_list_count(l), 0); /* nothing loaded before fill */
	assert_int_equal(mv_list_fill(l, 1, 0), 1);
	assert_false(mv_list_complete(l));
	mv_list_fill(l, 100, 50);
	assert_true(mv_list_complete(l));
	assert_int_equal(mv_list_count(l), 2);
	struct mv_entry *e0 = mv_list_entry(l, 0), *e1 = mv_list_entry(l, 1);
	assert_non_null(strstr(e0->subject, "Evil"));
	assert_null(strchr(e0->subject, '\033')); /* sanitized */
	assert_null(strchr(e0->subject, '\007'));
	assert_true(e0->flags & MV_FLAGGED);
	assert_false(e0->flags & MV_UNREAD);
	assert_int_equal(e1->total, 2);
	assert_true(e1->flags & MV_UNREAD); /* the reply has no S flag */
	assert_true(e0->date > e1->date);
	assert_int_equal(mv_list_find(l, e1->id), 1);
	assert_int_equal(mv_list_find(l, "nope"), (size_t)-1);
	mv_list_free(&l);
	assert_null(l);
	mailview_free(&mv);
}

static void test_messages_and_sorts(void **state)
{
	struct fx *f = *state;
	mailview_t *mv = open_mv(f);
	char *err = NULL;
	mv_list_t *l = mv_list_open(mv, "*", MV_MESSAGES, MV_OLDEST_FIRST, &err);
	mv_list_fill(l, (size_t)-1, 0);
	assert_int_equal(mv_list_count(l), 3);
	assert_string_equal(mv_list_entry(l, 0)->id, "root@t");
	assert_non_null(mv_list_entry(l, 0)->file);
	assert_non_null(strstr(mv_list_entry(l, 0)->from, "Alice Example"));
	mv_list_free(&l);
	l = mv_list_open(mv, "*", MV_MESSAGES, MV_SORT_SUBJECT, &err);
	mv_list_fill(l, (size_t)-1, 0);
	/* "Re: Plan" sorts with "Plan" */
	assert_non_null(strstr(mv_list_entry(l, 0)->subject, "Evil"));
	assert_non_null(strstr(mv_list_entry(l, 1)->subject, "Plan"));
	mv_list_free(&l);
	mailview_free(&mv);
}

/* mailview_search (muttlike search): every match newest first, the raw
 * headers for the caller to sanitize. */
struct hits {
	size_t n;
	time_t dates[8];
	char *subjects[8];
	char *files[8];
};

static void collect(const struct mv_hit *h, void *ud)
{
	struct hits *x = ud;
	if (x->n < 8) {
		x->dates[x->n] = h->date;
		x->subjects[x->n] = xstrdup(h->subject ? h->subject : "");
		x->files[x->n] = xstrdup(h->file);
	}
	x->n++;
}

static void test_search(void **state)
{
	struct fx *f = *state;
	mailview_t *mv = open_mv(f);
	struct hits x = { 0 };
	char *err = NULL;
	assert_int_equal(mailview_search(mv, "folder:acc/INBOX", collect, &x, &err), MV_OK);
	assert_null(err);
	assert_int_equal(x.n, 3);
	assert_true(x.dates[0] > x.dates[1] && x.dates[1] > x.dates[2]);
	assert_non_null(strchr(x.subjects[0], '\033')); /* raw: the caller sanitizes */
	assert_string_equal(x.subjects[2], "Plan");
	assert_non_null(strstr(x.files[2], "/acc/INBOX/cur/m1:2,S"));
	for (size_t i = 0; i < 3; i++) {
		free(x.subjects[i]);
		free(x.files[i]);
	}
	memset(&x, 0, sizeof(x));
	assert_int_equal(mailview_search(mv, "tag:nosuchtag", collect, &x, &err), MV_OK);
	assert_int_equal(x.n, 0);
	/* notmuch 0.37 reports a query Xapian cannot parse as a Xapian
	 * exception, the status of a damaged index too: MV_ERR_OPEN, as
	 * `muttlike search` always said */
	assert_int_equal(mailview_search(mv, "from:a OR", collect, &x, &err), MV_ERR_OPEN);
	assert_non_null(strstr(err, "muttlike reindex"));
	assert_int_equal(x.n, 0);
	free(err);
	mailview_free(&mv);
}

static void test_thread_tree(void **state)
{
	struct fx *f = *state;
	mailview_t *mv = open_mv(f);
	char *err = NULL;
	mv_list_t *l = mv_list_open(mv, "id:reply@t", MV_THREADS, MV_NEWEST_FIRST, &err);
	mv_list_fill(l, 1, 0);
	char *tid = xstrdup(mv_list_entry(l, 0)->id);
	mv_list_free(&l);
	l = mv_list_thread(mv, tid, "tag:unread", &err);
	assert_non_null(l);
	assert_int_equal(mv_list_count(l), 2);
	struct mv_entry *root = mv_list_entry(l, 0), *rep = mv_list_entry(l, 1);
	assert_string_equal(root->id, "root@t");
	assert_int_equal(root->depth, 0);
	assert_int_equal(rep->depth, 1);
	assert_string_equal(rep->tree, "\xe2\x94\x94\xe2\x94\x80>");
	assert_false(root->flags & MV_MATCH); /* read: does not match tag:unread */
	assert_true(rep->flags & MV_MATCH);
	mv_list_free(&l);
	free(tid);
	mailview_free(&mv);
}

static void test_counts_tags_and_reopen(void **state)
{
	struct fx *f = *state;
	mailview_t *mv = open_mv(f);
	unsigned n = 0;
	assert_true(mailview_count(mv, "tag:unread", &n));
	assert_int_equal(n, 1);
	char *file = mailview_message_file(mv, "evil@t");
	assert_non_null(file);
	assert_non_null(strstr(file, "/acc/INBOX/cur/m3"));
	free(file);
	assert_null(mailview_message_file(mv, "missing@t"));
	/* the writer (here: the notmuch CLI) changes the store */
	int st;
	free(tu_run(&st, "NOTMUCH_CONFIG=%s notmuch tag +project -unread -- id:reply@t", f->nmcfg));
	assert_int_equal(st, 0);
	assert_int_equal(mailview_reopen(mv), MV_OK);
	assert_true(mailview_count(mv, "tag:unread", &n));
	assert_int_equal(n, 0);
	char **tags = mailview_all_tags(mv);
	bool found = false;
	for (size_t i = 0; tags[i]; i++) {
		found |= strcmp(tags[i], "project") == 0;
		free(tags[i]);
	}
	free(tags);
	assert_true(found);
	char *err = NULL;
	mv_list_t *l = mv_list_open(mv, "tag:project", MV_MESSAGES, MV_NEWEST_FIRST, &err);
	mv_list_fill(l, 10, 0);
	assert_int_equal(mv_list_count(l), 1);
	assert_string_equal(mv_list_entry(l, 0)->tags, "project");
	mv_list_free(&l);
	mailview_free(&mv);
	assert_null(mv);
}

/* After a reply the original gets the R flag: its file is renamed, but the
 * read-only view still has the old name until the writer indexes it. */
static void test_renamed_file_found(void **state)
{
	struct fx *f = *state;
	mailview_t *mv = open_mv(f);
	char *old = mailview_message_file(mv, "root@t");
	assert_non_null(strstr(old, "/cur/m1:2,S"));
	char *renamed = xasprintf("%s/acc/INBOX/cur/m1:2,RS", f->mail);
	assert_int_equal(rename(old, renamed), 0);
	char *now = mailview_message_file(mv, "root@t");
	assert_string_equal(now, renamed);
	free(now);
	now = mailview_current_file(old);
	assert_string_equal(now, renamed);
	free(now);
	/* moved to new/ (a sync may do that): found in the folder's other half */
	char *in_new = xasprintf("%s/acc/INBOX/new/m1", f->mail);
	assert_int_equal(rename(renamed, in_new), 0);
	now = mailview_current_file(old);
	assert_string_equal(now, in_new);
	free(now);
	/* the same base only: "m1" must not find "m10" */
	char *m10 = xasprintf("%s/acc/INBOX/cur/m10:2,S", f->mail);
	assert_int_equal(rename(in_new, m10), 0);
	assert_null(mailview_current_file(old));
	/* really gone: the recorded name, so that opening it says why */
	now = mailview_message_file(mv, "root@t");
	assert_string_equal(now, old);
	free(now);
	free(m10);
	free(in_new);
	free(renamed);
	free(old);
	mailview_free(&mv);
}

/* Completion's address book: From/To/Cc of the store, one per mailbox,
 * collected once per session. */
static void test_addresses(void **state)
{
	struct fx *f = *state;
	mailview_t *mv = open_mv(f);
	const struct addr_list *l = mailview_addresses(mv);
	assert_int_equal(l->n, 2);
	bool alice = false, bob = false;
	for (size_t i = 0; i < l->n; i++) {
		alice |= strcmp(l->v[i].mailbox, "alice@example.org") == 0 &&
			 strcmp(l->v[i].name, "Alice Example") == 0;
		bob |= strcmp(l->v[i].mailbox, "bob@example.org") == 0;
	}
	assert_true(alice);
	assert_true(bob);
	/* a message written later is not seen: the list is the session's cache */
	put_msg(f, "m4", "new@t", "Thu, 04 Jan 2024 10:00:00 +0000", "Later", NULL, "S");
	int st;
	free(tu_run(&st, "NOTMUCH_CONFIG=%s notmuch new --quiet", f->nmcfg));
	assert_int_equal(mailview_reopen(mv), MV_OK);
	assert_ptr_equal(mailview_addresses(mv), l);
	mailview_free(&mv);
}

/* A writer committing over and over while the reader reopens and reads
 * (the index reloading on store-changed during a sync): the old revision
 * the reader holds goes away under it (Xapian's DatabaseModifiedError).
 * A list must then say it failed, never end early as if complete: that
 * showed as an empty index. */
static void test_reload_while_writing(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 300; i++) {
		char name[32], id[32], parent[32];
		snprintf(name, sizeof(name), "w%03d", i);
		snprintf(id, sizeof(id), "w%03d@t", i);
		snprintf(parent, sizeof(parent), "w%03d@t", i - 1);
		put_msg(f, name, id, "Fri, 05 Jan 2024 10:00:00 +0000", "Busy", i % 3 ? parent : NULL, "");
	}
	int st;
	free(tu_run(&st, "NOTMUCH_CONFIG=%s notmuch new --quiet", f->nmcfg));
	assert_int_equal(st, 0);
	mailview_t *mv = open_mv(f);
	char *err = NULL;
	mv_list_t *l = mv_list_open(mv, "*", MV_THREADS, MV_NEWEST_FIRST, &err);
	assert_non_null(l);
	mv_list_fill(l, (size_t)-1, 0);
	size_t threads = mv_list_count(l);
	assert_true(mv_list_complete(l));
	mv_list_free(&l);
	pid_t pid = fork();
	if (pid == 0) {
		char *cmd = xasprintf("i=0; while [ $i -lt 60 ]; do NOTMUCH_CONFIG=%s notmuch tag +w$i -w$((i-1)) -- '*' "
				      ">/dev/null 2>&1; i=$((i+1)); done", f->nmcfg);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	unsigned reads = 0, failed = 0;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		unsigned n = 0;
		if (mailview_count(mv, "*", &n)) /* a count is right or says it failed */
			assert_int_equal(n, 303);
		mailview_reopen(mv);
		l = mv_list_open(mv, "*", MV_THREADS, MV_NEWEST_FIRST, &err);
		if (!l) { /* a query that failed even after the retry says so */
			free(err);
			err = NULL;
			failed++;
			continue;
		}
		while (!mv_list_complete(l) && !mv_list_failed(l)) {
			mv_list_fill(l, 7, 0);
			usleep(1000);
		}
		if (mv_list_failed(l))
			failed++;
		else
			assert_int_equal(mv_list_count(l), threads);
		reads++;
		mv_list_free(&l);
	}
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	print_message("%u reads while writing, %u stopped by a concurrent commit\n", reads, failed);
	assert_true(reads > 0);
	/* after the writer: a reopen reads everything again */
	assert_int_equal(mailview_reopen(mv), MV_OK);
	l = mv_list_open(mv, "*", MV_THREADS, MV_NEWEST_FIRST, &err);
	mv_list_fill(l, (size_t)-1, 0);
	assert_int_equal(mv_list_count(l), threads);
	mv_list_free(&l);
	mailview_free(&mv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_store),
		cmocka_unit_test_setup_teardown(test_threads_newest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_messages_and_sorts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counts_tags_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renamed_file_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_while_writing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_names_reindex, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
