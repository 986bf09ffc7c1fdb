/* test_sync_stubs.c - sync_max_size: large messages arrive as header-only
 * stubs and sync_fetch_full() replaces a stub by the whole message (same
 * file name, indexed again with its tags, never a second copy). */
#include "sync_helpers.h"

#define MAX_SIZE 4000

static char *big_path;   /* absolute path of the stub, after the first sync */

static void append_msg(const char *name, const char *mid, const char *subject, const char *body_word, size_t pad)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addf(&b,
		    "From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: %s\r\n"
		    "Message-ID: <%s>\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n\r\n%s\r\n",
		    subject, mid, body_word);
	for (size_t i = 0; i < pad / 64; i++)
		strbuf_adds(&b, "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiu\r\n");
	char *path = tu_write(E.tmp, name, b.s, 0600);
	free(st_imap("append INBOX '%s'", path));
	free(path);
	strbuf_free(&b);
}

static char *file_of(const char *mid)
{
	char *q = xasprintf("grep -l -r '<%s>' '%s/INBOX/cur'", mid, E.acctdir);
	int st;
	char *out = tu_run(&st, "%s", q);
	free(q);
	char *nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
	if (!*out) {
		free(out);
		return NULL;
	}
	return out;
}

static sync_t *new_sync(conf_t **c, store_t **store)
{
	*c = conf_new();
	assert_int_equal(conf_load_string(*c, "test.rc", E.rc), 0);
	char *mail = xasprintf("%s/mail", E.data), *state = xasprintf("%s/state", E.data);
	char *err = NULL;
	if (store_open(mail, state, store, &err) != STORE_OK)
		fail_msg("store_open: %s", err);
	free(mail);
	free(state);
	struct sync_options o = { .conf = *c, .account = 0, .store = *store };
	return sync_new(&o);
}

static void test_large_message_is_a_stub(void **state)
{
	(void)state;
	append_msg("small.eml", "small-1@test", "a small one", "smallbodyword", 200);
	append_msg("big.eml", "big-1@test", "a big one", "bigbodyword", 20000);
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 2);
	/* The oracle reads the marker's size for stubs. */
	assert_int_equal(st_compare(), 0);
	big_path = file_of("big-1@test");
	assert_non_null(big_path);
	char *data = tu_read(big_path);
	assert_true(sync_stub_size(data, strlen(data)) > 20000);
	assert_true(strlen(data) < MAX_SIZE);
	assert_null(strstr(data, "bigbodyword"));
	free(data);
	char *small = file_of("small-1@test");
	data = tu_read(small);
	assert_int_equal(sync_stub_size(data, strlen(data)), 0);
	assert_non_null(strstr(data, "smallbodyword"));
	free(data);
	free(small);
	/* Indexed by its header; the body is not here yet. */
	assert_int_equal(st_nm_count("id:big-1@test"), 1);
	assert_int_equal(st_nm_count("bigbodyword"), 0);
	/* Nothing left to do. */
	r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched + r.stats.pushed + r.stats.pulled, 0);
}

static void test_fetch_full_replaces_the_stub(void **state)
{
	(void)state;
	/* The reader marked it flagged and gave it a tag meanwhile. */
	{
		conf_t *c;
		store_t *store;
		sync_t *s = new_sync(&c, &store);
		store_tag(store, "big-1@test", "+flagged +keepme");
		assert_int_equal(store_flush(store), 0);
		sync_free(&s);
		store_close(&store);
		conf_free(&c);
	}
	free(big_path);
	big_path = file_of("big-1@test"); /* renamed for F */
	assert_non_null(strstr(big_path, ":2,F"));
	unsigned files_before = st_count_files(NULL);

	conf_t *c;
	store_t *store;
	sync_t *s = new_sync(&c, &store);
	const char *rel = big_path + strlen(E.data) + strlen("/mail/");
	enum sync_status st = sync_fetch_full(s, rel);
	if (st != SYNC_OK)
		fail_msg("sync_fetch_full: %s", sync_error(s));
	/* Again: it is whole now, nothing to do. */
	assert_int_equal(sync_fetch_full(s, rel), SYNC_OK);
	sync_disconnect(s);
	sync_free(&s);
	store_close(&store);
	conf_free(&c);

	/* Same file, whole message, no second copy. */
	char *data = tu_read(big_path);
	assert_int_equal(sync_stub_size(data, strlen(data)), 0);
	assert_non_null(strstr(data, "bigbodyword"));
	assert_true(strlen(data) > 20000);
	free(data);
	assert_int_equal(st_count_files(NULL), files_before);
	assert_int_equal(st_nm_files("*"), st_count_files(NULL));
	assert_int_equal(st_nm_count("bigbodyword"), 1);
	assert_int_equal(st_nm_count("id:big-1@test and tag:keepme and tag:flagged"), 1);
	/* A pass agrees with the server: flag and keyword pushed, nothing
	 * fetched again. */
	struct st_result r = st_sync();
	assert_int_equal(r.status, SYNC_OK);
	assert_int_equal(r.stats.fetched, 0);
	assert_int_equal(st_compare(), 0);
	r = st_sync();
	assert_int_equal(r.stats.fetched + r.stats.pushed + r.stats.pulled, 0);
}

static void test_fetch_full_refuses_bad_paths(void **state)
{
	(void)state;
	conf_t *c;
	store_t *store;
	sync_t *s = new_sync(&c, &store);
	assert_int_not_equal(sync_fetch_full(s, "other/INBOX/cur/x,U=1:2,"), SYNC_OK);
	assert_int_not_equal(sync_fetch_full(s, "test/INBOX/cur/local-no-uid:2,"), SYNC_OK);
	assert_true(*sync_error(s));
	sync_free(&s);
	store_close(&store);
	conf_free(&c);
}

static int setup(void **state)
{
	(void)state;
	st_setup_env();
	/* A global option: before the first account. */
	char *rc = xasprintf("set sync_max_size = %d\n%s", MAX_SIZE, E.rc);
	free(E.rc);
	E.rc = rc;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(big_path);
	st_teardown_env();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_large_message_is_a_stub),
		cmocka_unit_test(test_fetch_full_replaces_the_stub),
		cmocka_unit_test(test_fetch_full_refuses_bad_paths),
	};
	st_test_filter();
	return cmocka_run_group_tests(tests, setup, teardown);
}
