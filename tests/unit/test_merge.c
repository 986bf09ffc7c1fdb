/* test_merge.c - the sync's decision table (merge.h, doc/sync.md "The
 * merge"), row by row, without a server: which side has the message, what
 * each side did to its flags, and when the delete guard holds deletions. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "maildir.h"
#include "merge.h"
#include "util.h"

#define S MAILDIR_F_SEEN
#define F MAILDIR_F_FLAGGED
#define R MAILDIR_F_REPLIED
#define T MAILDIR_F_TRASHED

/* One row: base ('-' none), local ('-' no file), server ('-' not there),
 * as flag sets, and what must happen. */
struct row {
	const char *what;
	int base, local, server; /* flag sets, or -1: absent */
	enum merge_action action;
	unsigned merged, add, rem;
	bool pull;
};

static const struct row rows[] = {
	/* both sides have it: three-way per flag */
	{ "unchanged", S, S, S, MERGE_FLAGS, S, 0, 0, false },
	{ "read here", 0, S, 0, MERGE_FLAGS, S, S, 0, false },
	{ "read there", 0, 0, S, MERGE_FLAGS, S, 0, 0, true },
	{ "unread here", S, 0, S, MERGE_FLAGS, 0, 0, S, false },
	{ "unread there", S, S, 0, MERGE_FLAGS, 0, 0, 0, true },
	{ "flagged here, replied there", S, S | F, S | R, MERGE_FLAGS, S | F | R, F, 0, true },
	{ "both flagged", 0, F, F, MERGE_FLAGS, F, 0, 0, false },
	{ "both unflagged differently", S | F, S, F, MERGE_FLAGS, 0, 0, F, true },
	{ "no base: the server's flags win", -1, S, F, MERGE_FLAGS, F, 0, 0, true },
	{ "no base, same flags", -1, S | R, S | R, MERGE_FLAGS, S | R, 0, 0, false },
	{ "trashed there", S, S, S | T, MERGE_FLAGS, S | T, 0, 0, true },
	/* one side lacks it */
	{ "expunged on the server", S, S, -1, MERGE_DELETE_LOCAL, 0, 0, 0, false },
	{ "expunged there, no base (adopted)", -1, S, -1, MERGE_DELETE_LOCAL, 0, 0, 0, false },
	{ "deleted here", S, -1, S, MERGE_DELETE_REMOTE, 0, 0, 0, false },
	{ "deleted here, changed there: delete wins", S, -1, S | F, MERGE_DELETE_REMOTE, 0, 0, 0, false },
	{ "new on the server", -1, -1, 0, MERGE_FETCH, 0, 0, 0, false },
	{ "gone on both sides", S, -1, -1, MERGE_FORGET, 0, 0, 0, false },
};

static struct merge_in in_of(const struct row *r, uint32_t uid)
{
	return (struct merge_in){ .uid = uid,
				  .has_base = r->base >= 0,
				  .has_local = r->local >= 0,
				  .on_server = r->server >= 0,
				  .base_flags = r->base >= 0 ? (unsigned)r->base : 0,
				  .local_flags = r->local >= 0 ? (unsigned)r->local : 0,
				  .server_flags = r->server >= 0 ? (unsigned)r->server : 0 };
}

static void test_table(void **state)
{
	(void)state;
	size_t n = sizeof(rows) / sizeof(rows[0]);
	struct merge_in in[sizeof(rows) / sizeof(rows[0])];
	struct merge_out out[sizeof(rows) / sizeof(rows[0])];
	for (size_t i = 0; i < n; i++)
		in[i] = in_of(&rows[i], (uint32_t)i + 1);
	struct merge_summary sum;
	merge_decide(in, n, 10, 50, false, out, &sum);
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		if (out[i].action != r->action)
			fail_msg("%s: action %d, want %d", r->what, out[i].action, r->action);
		if (r->action != MERGE_FLAGS)
			continue;
		if (out[i].merged != r->merged || out[i].push_add != r->add || out[i].push_rem != r->rem ||
		    out[i].pull != r->pull)
			fail_msg("%s: merged %x add %x rem %x pull %d; want %x %x %x %d", r->what, out[i].merged,
				 out[i].push_add, out[i].push_rem, out[i].pull, r->merged, r->add, r->rem, r->pull);
	}
	assert_int_equal(sum.ndel_local, 2);
	assert_int_equal(sum.ndel_remote, 2);
	assert_int_equal(sum.nlocal, 13);
	assert_false(sum.guard_local);
	assert_false(sum.guard_remote);
}

/* n messages in a folder of total; `gone` of them expunged on the server
 * (remote = false) or deleted here (remote = true). */
static struct merge_summary guarded(size_t total, size_t gone, bool remote, bool allow, struct merge_out **outp)
{
	struct merge_in *in = xcalloc(total, sizeof(*in));
	struct merge_out *out = xcalloc(total, sizeof(*out));
	for (size_t i = 0; i < total; i++) {
		in[i] = (struct merge_in){ .uid = (uint32_t)i + 1, .has_base = true, .has_local = true, .on_server = true };
		if (i < gone) {
			if (remote)
				in[i].has_local = false;
			else
				in[i].on_server = false;
		}
	}
	struct merge_summary sum;
	merge_decide(in, total, total, 50, allow, out, &sum);
	free(in);
	*outp = out;
	return sum;
}

static void test_guard(void **state)
{
	(void)state;
	struct merge_out *out;
	/* 60 of 100 expunged on the server: held, nothing deleted here */
	struct merge_summary s = guarded(100, 60, false, false, &out);
	assert_true(s.guard_local);
	assert_false(s.guard_remote);
	for (size_t i = 0; i < 60; i++)
		assert_int_equal(out[i].action, MERGE_HELD);
	assert_int_equal(out[60].action, MERGE_FLAGS);
	free(out);
	/* the same, allowed */
	s = guarded(100, 60, false, true, &out);
	assert_false(s.guard_local);
	assert_int_equal(out[0].action, MERGE_DELETE_LOCAL);
	free(out);
	/* 60 of 100 deleted here: the server's copies are kept */
	s = guarded(100, 60, true, false, &out);
	assert_true(s.guard_remote);
	assert_int_equal(out[59].action, MERGE_HELD);
	free(out);
	/* 40 of 100 is under the guard; 19 of 19 is too few to trip it */
	s = guarded(100, 40, true, false, &out);
	assert_false(s.guard_remote);
	assert_int_equal(out[0].action, MERGE_DELETE_REMOTE);
	free(out);
	s = guarded(19, 19, false, false, &out);
	assert_false(s.guard_local);
	free(out);
}

/* Flags: every combination of one bit, against sync's per-flag rule. */
static void test_flag_bits(void **state)
{
	(void)state;
	for (unsigned b = 0; b < 2; b++)
		for (unsigned l = 0; l < 2; l++)
			for (unsigned r = 0; r < 2; r++) {
				unsigned want = l != b ? l : r; /* the side that changed wins */
				assert_int_equal(merge_flags(b * F, l * F, r * F), want * F);
			}
	assert_true(merge_guard_trips(20, 20, 50));
	assert_false(merge_guard_trips(19, 19, 50));
	assert_false(merge_guard_trips(50, 100, 50));
	assert_true(merge_guard_trips(51, 100, 50));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_guard),
		cmocka_unit_test(test_flag_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
