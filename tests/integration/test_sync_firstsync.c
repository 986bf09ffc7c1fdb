/* test_sync_firstsync.c - a new account is usable at once (doc/sync.md,
 * "A new account"): the server's folder counts are written for the reader
 * before anything is downloaded, the newest INBOX messages arrive (and are
 * committed to the index) first, and a first pass cut short claims only
 * what it stored.
 *
 * The pass runs in this thread; what it has done at each point is looked
 * at from its own event callback (the folder-counts file when INBOX
 * starts, the Maildir and the index after INBOX's first batch), so no
 * timing is involved. */
#include "sync_helpers.h"

#include <stdint.h>
#include <stdlib.h>

#include "foldercounts.h"
#include "maildir.h"
#include "state.h"

/* Folders of the corpus as the tests write them. */
static const char *const folders[] = { "INBOX", "Archive", "Lists/dev", "Sent", "Work/Projects" };
#define NFOLDERS (sizeof(folders) / sizeof(folders[0]))

/* What the event callback saw. */
static struct seen {
	sync_t *s;
	store_t *store;
	bool cancel_after_first; /* stop the pass after INBOX's first batch */
	/* when INBOX started */
	bool counts_at_inbox;     /* the file was there */
	bool counts_pending_inbox; /* INBOX was pending in it */
	long counts[NFOLDERS];    /* each folder's count in it (-1: missing) */
	size_t counts_events;
	/* after INBOX's first batch */
	bool batch_seen;
	size_t first_done, first_total;
	unsigned min_uid, max_uid, nfiles; /* INBOX's cur/ then */
	unsigned indexed;                  /* folder:test/INBOX in a reader's handle then */
	unsigned newest_indexed, oldest_indexed;
} seen;

static unsigned server_n[NFOLDERS];

static char *counts_path(void)
{
	return xasprintf("%s/state/test/folder-counts", E.data);
}

static void look_at_counts(void)
{
	char *p = counts_path();
	struct foldercounts fc = { 0 };
	seen.counts_at_inbox = foldercounts_load(p, &fc);
	for (size_t i = 0; i < NFOLDERS; i++) {
		const struct foldercount *e = foldercounts_find(&fc, st_local(folders[i]));
		seen.counts[i] = e ? e->messages : -1;
		if (i == 0)
			seen.counts_pending_inbox = e && e->pending;
	}
	foldercounts_clear(&fc);
	free(p);
}

/* A reader's view: is the message with this UID in INBOX indexed? (0:
 * not, or its file is not there) */
static unsigned indexed_uid(unsigned uid)
{
	char *path = st_find_uid("INBOX", uid);
	size_t len = 0;
	char *data = path ? util_read_file(path, &len) : NULL;
	char *mid = data ? maildir_message_id(data, len) : NULL;
	unsigned n = 0;
	if (mid) {
		char *q = xasprintf("id:\"%s\"", mid);
		n = st_nm_count(q);
		free(q);
	}
	free(mid);
	free(data);
	free(path);
	return n;
}

static void look_at_first_batch(const struct sync_event *ev)
{
	seen.batch_seen = true;
	seen.first_done = ev->done;
	seen.first_total = ev->total;
	char *dir = xasprintf("%s/INBOX", E.acctdir);
	struct maildir_list l = { 0 };
	assert_int_equal(maildir_scan(dir, &l), 0);
	seen.min_uid = UINT32_MAX;
	for (size_t i = 0; i < l.n; i++) {
		if (!l.v[i].has_uid)
			continue;
		seen.nfiles++;
		seen.min_uid = l.v[i].uid < seen.min_uid ? l.v[i].uid : seen.min_uid;
		seen.max_uid = l.v[i].uid > seen.max_uid ? l.v[i].uid : seen.max_uid;
	}
	maildir_list_clear(&l);
	free(dir);
	/* The pass asked for a commit after this batch: once the writer has
	 * applied it, a second (read-only) handle sees the batch. */
	store_flush(seen.store);
	seen.indexed = st_nm_count("folder:test/INBOX");
	seen.newest_indexed = indexed_uid(server_n[0]);
	seen.oldest_indexed = indexed_uid(1);
	if (seen.cancel_after_first)
		sync_cancel(seen.s);
}

static void on_event(const struct sync_event *ev, void *ud)
{
	(void)ud;
	bool inbox = ev->folder && strcmp(ev->folder, "INBOX") == 0;
	if (ev->kind == SYNC_EV_COUNTS)
		seen.counts_events++;
	if (ev->kind == SYNC_EV_FOLDER && inbox)
		look_at_counts();
	if (ev->kind == SYNC_EV_PROGRESS && inbox && ev->done && !seen.batch_seen)
		look_at_first_batch(ev);
}

/* One pass with the callback above. */
static enum sync_status pass(bool cancel_after_first)
{
	memset(&seen, 0, sizeof(seen));
	seen.cancel_after_first = cancel_after_first;
	conf_t *c = conf_new();
	assert_int_equal(conf_load_string(c, "test.rc", E.rc), 0);
	char *mail = xasprintf("%s/mail", E.data), *state = xasprintf("%s/state", E.data);
	char *err = NULL;
	if (store_open(mail, state, &seen.store, &err) != STORE_OK)
		fail_msg("store_open: %s", err);
	struct sync_options o = { .conf = c, .account = 0, .store = seen.store, .event = on_event };
	seen.s = sync_new(&o);
	enum sync_status st = sync_run(seen.s);
	sync_free(&seen.s);
	store_close(&seen.store);
	free(mail);
	free(state);
	conf_free(&c);
	return st;
}

static bool counts_file_exists(void)
{
	char *p = counts_path();
	bool yes = access(p, F_OK) == 0;
	free(p);
	return yes;
}

static int group_setup(void **state)
{
	(void)state;
	st_setup_env();
	st_populate(13, 700, NULL);
	for (size_t i = 0; i < NFOLDERS; i++)
		server_n[i] = st_server_count(st_server(folders[i]));
	/* a few hundred in INBOX, so that its first batch is not all of it */
	assert_true(server_n[0] >= 200);
	return 0;
}

/* The counts are there before INBOX starts, the newest 50 come first. */
static void test_counts_first_newest_first(void **state)
{
	(void)state;
	assert_int_equal(pass(false), SYNC_OK);
	assert_true(seen.counts_at_inbox);
	assert_true(seen.counts_pending_inbox);
	for (size_t i = 0; i < NFOLDERS; i++) {
		print_message("%s: server %u, folder-counts %ld\n", folders[i], server_n[i], seen.counts[i]);
		assert_int_equal(seen.counts[i], (long)server_n[i]);
	}
	/* INBOX's first batch: its 50 newest (UIDs are 1..N after populate) */
	assert_true(seen.batch_seen);
	assert_int_equal(seen.first_done, 50);
	assert_int_equal(seen.first_total, server_n[0]);
	assert_int_equal(seen.nfiles, 50);
	assert_int_equal(seen.max_uid, server_n[0]);
	assert_int_equal(seen.min_uid, server_n[0] - 49);
	/* ... readable by another handle, the newest before the oldest */
	assert_int_equal(seen.indexed, 50);
	assert_int_equal(seen.newest_indexed, 1);
	assert_int_equal(seen.oldest_indexed, 0);
	/* the first sync finished: the file is gone, the mirror complete */
	assert_true(seen.counts_events >= 2);
	assert_false(counts_file_exists());
	assert_int_equal(st_compare(), 0);
	/* a later pass writes nothing of it */
	assert_int_equal(pass(false), SYNC_OK);
	assert_int_equal(seen.counts_events, 0);
	assert_false(seen.counts_at_inbox);
	assert_false(counts_file_exists());
}

/* A first pass cut short after INBOX's newest batch: the state claims
 * those 50 UIDs and nothing below them (no UIDNEXT), the folders stay
 * pending, and the next pass completes them. */
static void test_cut_short(void **state)
{
	(void)state;
	tu_rmtree(E.data);
	assert_int_equal(pass(true), SYNC_ERR_CANCELLED);
	assert_true(counts_file_exists());
	char *sp = xasprintf("%s/state/test/INBOX.state", E.data);
	state_t *st = NULL;
	assert_int_equal(state_load(sp, &st), STATE_OK);
	assert_int_equal(state_uidnext(st), 0);
	assert_int_equal(state_count(st), 50);
	for (size_t i = 0; i < state_count(st); i++)
		assert_true(state_at(st, i)->uid > server_n[0] - 50);
	state_free(&st);
	/* INBOX has a state now, yet its first sync is still pending */
	assert_int_equal(pass(false), SYNC_OK);
	assert_true(seen.counts_at_inbox);
	assert_true(seen.counts_pending_inbox);
	assert_false(counts_file_exists());
	assert_int_equal(st_compare(), 0);
	assert_int_equal(st_count_files(NULL), st_nm_files("*"));
	free(sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_first_newest_first),
		cmocka_unit_test(test_cut_short),
	};
	st_test_filter();
	return cmocka_run_group_tests(tests, group_setup, st_group_teardown);
}
