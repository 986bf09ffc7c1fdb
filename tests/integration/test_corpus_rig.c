/* test_corpus_rig.c - the rig and the corpus generator together: generated
 * mail loaded into the rig's Dovecot is what an IMAP client sees there.
 * (Plain IMAP on loopback on purpose: this checks the rig, not our TLS.) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "testutil.h"
#include "util.h"

static char *corpus_dir;

/* Files in dir/cur + dir/new. */
static size_t count_maildir(const char *dir)
{
	size_t n = 0;
	static const char *const subs[] = { "cur", "new" };
	for (size_t i = 0; i < 2; i++) {
		char *p = xasprintf("%s/%s", dir, subs[i]);
		DIR *d = opendir(p);
		free(p);
		if (!d)
			continue;
		struct dirent *e;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				n++;
		closedir(d);
	}
	return n;
}

static int setup(void **state)
{
	(void)state;
	char *tmp = tu_tmpdir();
	corpus_dir = xasprintf("%s/corpus", tmp);
	free(tmp);
	int st;
	char *out = tu_run(&st, "%s/gencorpus --seed 11 --count 250 '%s'", tu_env("MUTTLIKE_BUILD"), corpus_dir);
	if (st) {
		fprintf(stderr, "gencorpus failed: %s\n", out);
		free(out);
		return -1;
	}
	free(out);
	out = tu_run(&st, "%s/tests/rig/rig populate '%s' '%s' '%s'", tu_env("MUTTLIKE_SRCDIR"), tu_env("RIG_DIR"),
		     tu_env("RIG_USER"), corpus_dir);
	if (st) {
		fprintf(stderr, "rig populate failed: %s\n", out);
		free(out);
		return -1;
	}
	free(out);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *parent = xstrndup(corpus_dir, strrchr(corpus_dir, '/') - corpus_dir);
	tu_rmtree(parent);
	free(parent);
	free(corpus_dir);
	return 0;
}

static mailimap *login(void)
{
	mailimap *imap = mailimap_new(0, NULL);
	int port = atoi(tu_env("RIG_IMAP_PORT"));
	int r = mailimap_socket_connect(imap, tu_env("RIG_HOST"), (uint16_t)port);
	assert_true(r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED);
	r = mailimap_login(imap, tu_env("RIG_USER"), tu_env("RIG_PASS"));
	assert_int_equal(r, MAILIMAP_NO_ERROR);
	return imap;
}

/* MESSAGES count of a folder via STATUS. */
static long status_messages(mailimap *imap, const char *folder)
{
	struct mailimap_status_att_list *atts = mailimap_status_att_list_new_empty();
	mailimap_status_att_list_add(atts, MAILIMAP_STATUS_ATT_MESSAGES);
	struct mailimap_mailbox_data_status *st = NULL;
	int r = mailimap_status(imap, folder, atts, &st);
	mailimap_status_att_list_free(atts);
	if (r != MAILIMAP_NO_ERROR)
		return -1;
	long n = -1;
	for (clistiter *it = clist_begin(st->st_info_list); it; it = clist_next(it)) {
		struct mailimap_status_info *info = clist_content(it);
		if (info->st_att == MAILIMAP_STATUS_ATT_MESSAGES)
			n = (long)info->st_value;
	}
	mailimap_mailbox_data_status_free(st);
	return n;
}

static void test_every_generated_folder_is_on_the_server(void **state)
{
	(void)state;
	mailimap *imap = login();
	static const char *const folders[] = { "INBOX", "Archive", "Lists/dev", "Lists/announce", "Sent", "Work/Projects" };
	size_t total = 0;
	for (size_t i = 0; i < ARRAY_SIZE(folders); i++) {
		char *dir = xasprintf("%s/%s", corpus_dir, folders[i]);
		size_t want = count_maildir(dir);
		free(dir);
		long got = status_messages(imap, folders[i]);
		if (got != (long)want)
			fail_msg("%s: server has %ld messages, corpus %zu", folders[i], got, want);
		total += want;
	}
	assert_int_equal(total, 250);
	mailimap_logout(imap);
	mailimap_free(imap);
}

static void test_wrong_password_is_refused(void **state)
{
	(void)state;
	mailimap *imap = mailimap_new(0, NULL);
	int r = mailimap_socket_connect(imap, tu_env("RIG_HOST"), (uint16_t)atoi(tu_env("RIG_IMAP_PORT")));
	assert_true(r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED);
	assert_int_not_equal(mailimap_login(imap, tu_env("RIG_USER"), "wrong"), MAILIMAP_NO_ERROR);
	mailimap_free(imap);
}

static void test_special_use_folders_exist(void **state)
{
	(void)state;
	mailimap *imap = login();
	clist *list = NULL;
	int r = mailimap_list(imap, "", "*", &list);
	assert_int_equal(r, MAILIMAP_NO_ERROR);
	static const char *const want[] = { "Sent", "Drafts", "Trash", "Junk", "Archive" };
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		bool found = false;
		for (clistiter *it = clist_begin(list); it; it = clist_next(it)) {
			struct mailimap_mailbox_list *mb = clist_content(it);
			found = found || strcmp(mb->mb_name, want[i]) == 0;
		}
		if (!found)
			fail_msg("folder %s missing on the rig's server", want[i]);
	}
	mailimap_list_result_free(list);
	mailimap_logout(imap);
	mailimap_free(imap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_generated_folder_is_on_the_server),
		cmocka_unit_test(test_wrong_password_is_refused),
		cmocka_unit_test(test_special_use_folders_exist),
	};
	return cmocka_run_group_tests_name("corpus_rig", tests, setup, teardown);
}
