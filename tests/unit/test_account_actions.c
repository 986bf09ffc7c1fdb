/* test_account_actions.c - a reader's move killed between the rename and
 * the index write (fault point "action") loses nothing from the index:
 * the store's crash marker was written before the file moved, so the next
 * open reconciles the index with the Maildir.  A real notmuch database; no
 * server (the account manager is not started, so nothing syncs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <notmuch.h>

#include "testutil.h"
#include "account.h"
#include "conf.h"
#include "fault.h"
#include "maildir.h"
#include "store.h"
#include "util.h"

#define MSG_NAME "1700000000.test.host,U=5:2,S"

struct fx {
	char *tmp, *data, *mail, *state, *src;
	conf_t *conf;
};

/* A data_dir with account "test": INBOX holds one message (UID 5) that
 * the index knows, and an empty Archive. */
static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	f->tmp = tu_tmpdir();
	f->data = xasprintf("%s/data", f->tmp);
	f->mail = xasprintf("%s/mail", f->data);
	f->state = xasprintf("%s/state", f->data);
	char *inbox = xasprintf("%s/test/INBOX", f->mail), *archive = xasprintf("%s/test/Archive", f->mail);
	assert_int_equal(maildir_create(inbox), 0);
	assert_int_equal(maildir_create(archive), 0);
	char *cur = xasprintf("%s/cur", inbox);
	f->src = tu_write(cur, MSG_NAME,
			  "From: a@example.org\nSubject: to move\nMessage-ID: <move-me@test>\n\nbody\n", 0600);
	store_t *s = NULL;
	char *err = NULL;
	assert_int_equal(store_open(f->mail, f->state, &s, &err), STORE_OK);
	store_add(s, "test/INBOX/cur/" MSG_NAME, "test", NULL);
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(store_close(&s), 0);
	char *rc = xasprintf("set data_dir = \"%s\"\naccount test\nset imap_url = \"imaps://u@127.0.0.1:1\"\n"
			     "set imap_pass = \"x\"\n",
			     f->data);
	f->conf = conf_new();
	conf_load_string(f->conf, "t.rc", rc);
	free(rc);
	free(cur);
	free(inbox);
	free(archive);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	conf_free(&f->conf);
	tu_rmtree(f->tmp);
	free(f->tmp);
	free(f->data);
	free(f->mail);
	free(f->state);
	free(f->src);
	free(f);
	return 0;
}

/* The files of <move-me@test> the index names, relative to the mail root,
 * one a line. */
static char *indexed_files(const struct fx *f)
{
	notmuch_database_t *db = NULL;
	char *msg = NULL;
	assert_int_equal(notmuch_database_open_with_config(f->mail, NOTMUCH_DATABASE_MODE_READ_ONLY, "", NULL, &db,
							   &msg),
			 NOTMUCH_STATUS_SUCCESS);
	free(msg);
	struct strbuf b;
	strbuf_init(&b);
	notmuch_message_t *m = NULL;
	if (notmuch_database_find_message(db, "move-me@test", &m) == NOTMUCH_STATUS_SUCCESS && m) {
		notmuch_filenames_t *fns = notmuch_message_get_filenames(m);
		for (; notmuch_filenames_valid(fns); notmuch_filenames_move_to_next(fns))
			strbuf_addf(&b, "%s\n", notmuch_filenames_get(fns) + strlen(f->mail) + 1);
		notmuch_filenames_destroy(fns);
		notmuch_message_destroy(m);
	}
	notmuch_database_destroy(db);
	return b.s ? strbuf_detach(&b) : xstrdup("");
}

static void test_move_killed_before_the_index_hears(void **state)
{
	struct fx *f = *state;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		fault_set("action:1");
		account_mgr_t *m = account_mgr_new(f->conf, -1);
		char *err = NULL;
		account_mgr_move(m, f->src, "Archive", false, NULL, &err);
		_exit(1); /* not reached: the fault ends the process */
	}
	int ws = 0;
	waitpid(pid, &ws, 0);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 99);
	assert_int_not_equal(access(f->src, F_OK), 0); /* the file moved */
	char *marker = xasprintf("%s/store.dirty", f->state);
	assert_int_equal(access(marker, F_OK), 0); /* ...after the marker */
	free(marker);

	/* The next writer reconciles: the index names the moved file only. */
	store_t *s = NULL;
	char *err = NULL;
	assert_int_equal(store_open(f->mail, f->state, &s, &err), STORE_OK);
	assert_true(store_recovered(s));
	assert_int_equal(store_close(&s), 0);
	char *files = indexed_files(f);
	assert_string_equal(files, "test/Archive/cur/1700000000.test.host:2,S\n");
	free(files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_move_killed_before_the_index_hears, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
