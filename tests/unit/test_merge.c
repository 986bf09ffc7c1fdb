/* test_merge.c - the sync's decision table (merge.h, doc/sync.md "The
 * merge"), row by row, without a server: which side has the message, what
 * each side did to its flags, and when the delete guard holds deletions. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "maildir.h"
#include "merge.h"
#include "sync.h"
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

/* ---- every flag x the change on each side ---- */

/* One flag's three-way merge: its bit in base (-1: no base, an adopted
 * file), local and server, and the exact outcome for that bit. */
struct flag_row {
	const char *what;
	int base, local, server;
	int merged;
	bool add, rem, pull;
};

static const struct flag_row flag_rows[] = {
	{ "none here, none there (off)", 0, 0, 0, 0, false, false, false },
	{ "none here, none there (on)", 1, 1, 1, 1, false, false, false },
	{ "added here, none there", 0, 1, 0, 1, true, false, false },
	{ "none here, added there", 0, 0, 1, 1, false, false, true },
	{ "added on both sides", 0, 1, 1, 1, false, false, false },
	{ "removed here, none there", 1, 0, 1, 0, false, true, false },
	{ "none here, removed there", 1, 1, 0, 0, false, false, true },
	{ "removed on both sides", 1, 0, 0, 0, false, false, false },
	{ "no base: set only here, the server wins", -1, 1, 0, 0, false, false, true },
	{ "no base: set only there, the server wins", -1, 0, 1, 1, false, false, true },
	{ "no base: set on both", -1, 1, 1, 1, false, false, false },
};

static const struct {
	const char *name;
	unsigned bit;
} flags[] = {
	{ "seen", MAILDIR_F_SEEN },       { "answered", MAILDIR_F_REPLIED }, { "flagged", MAILDIR_F_FLAGGED },
	{ "deleted", MAILDIR_F_TRASHED }, { "draft", MAILDIR_F_DRAFT },      { "forwarded", MAILDIR_F_PASSED },
};

static struct merge_out decide_one(const struct merge_in *in)
{
	struct merge_out out;
	merge_decide(in, 1, 1, 50, false, &out, NULL);
	return out;
}

/* Each row for each flag, alone and with every other flag set (and
 * unchanged) on all three sides: the other bits never move. */
static void test_flag_table(void **state)
{
	(void)state;
	for (size_t fi = 0; fi < ARRAY_SIZE(flags); fi++)
		for (size_t ri = 0; ri < ARRAY_SIZE(flag_rows); ri++)
			for (int withothers = 0; withothers < 2; withothers++) {
				const struct flag_row *r = &flag_rows[ri];
				unsigned f = flags[fi].bit, bg = withothers ? MAILDIR_F_ALL & ~f : 0;
				struct merge_in in = { .uid = 1, .has_base = r->base >= 0, .has_local = true,
						       .on_server = true };
				in.base_flags = bg | (r->base > 0 ? f : 0);
				in.local_flags = bg | (r->local ? f : 0);
				in.server_flags = bg | (r->server ? f : 0);
				struct merge_out o = decide_one(&in);
				unsigned merged = bg | (r->merged ? f : 0);
				if (o.action != MERGE_FLAGS || o.merged != merged || o.push_add != (r->add ? f : 0) ||
				    o.push_rem != (r->rem ? f : 0) || o.pull != r->pull || o.refetch)
					fail_msg("%s, %s%s: action %d merged %x add %x rem %x pull %d", flags[fi].name,
						 r->what, withothers ? " (others set)" : "", o.action, o.merged,
						 o.push_add, o.push_rem, o.pull);
			}
}

/* Two flags changed at once, one on each side, in opposite directions:
 * both changes survive, each pushed or pulled to the other side. */
static void test_flag_conflicts(void **state)
{
	(void)state;
	for (size_t a = 0; a < ARRAY_SIZE(flags); a++)
		for (size_t b = 0; b < ARRAY_SIZE(flags); b++) {
			if (a == b)
				continue;
			unsigned fa = flags[a].bit, fb = flags[b].bit;
			/* base has b; here a is added; there b is removed */
			struct merge_in in = { .uid = 7, .has_base = true, .has_local = true, .on_server = true,
					       .base_flags = fb, .local_flags = fa | fb, .server_flags = 0 };
			struct merge_out o = decide_one(&in);
			assert_int_equal(o.action, MERGE_FLAGS);
			assert_int_equal(o.merged, fa);
			assert_int_equal(o.push_add, fa);
			assert_int_equal(o.push_rem, 0);
			assert_true(o.pull);
		}
}

/* ---- keywords (sync_merge_keywords): the same rule per keyword ---- */

static const struct {
	const char *what, *base, *local, *remote, *want; /* NULL: empty */
} kw_rows[] = {
	{ "none anywhere", NULL, NULL, NULL, NULL },
	{ "unchanged", "work", "work", "work", "work" },
	{ "added here", NULL, "work", NULL, "work" },
	{ "added there", NULL, NULL, "work", "work" },
	{ "added on both sides", NULL, "work", "work", "work" },
	{ "removed here", "work", NULL, "work", NULL },
	{ "removed there", "work", "work", NULL, NULL },
	{ "removed on both sides", "work", NULL, NULL, NULL },
	{ "added here, another removed there", "a", "a b", NULL, "b" },
	{ "removed here, another added there", "a", NULL, "a b", "b" },
	{ "the server's spelling wins", "Work", "work", "WORK", "WORK" },
	{ "a case-only change here is no change", "work", "WORK", "work", "work" },
	{ "sorted, one of each", NULL, "c a", "b a", "a b c" },
};

static void test_keyword_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(kw_rows); i++) {
		char *got = sync_merge_keywords(kw_rows[i].base, kw_rows[i].local, kw_rows[i].remote);
		const char *want = kw_rows[i].want;
		if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0))
			fail_msg("%s: '%s', want '%s'", kw_rows[i].what, got ? got : "(none)", want ? want : "(none)");
		free(got);
	}
}

/* ---- the delete guards ---- */

/* total messages with a base, a file and a server copy; ndel of them
 * deleted (remote: here, so deleted on the server; else expunged there). */
static const struct {
	const char *what;
	size_t total, ndel;
	bool remote, allow;
	long percent;
	bool trips;
} guard_rows[] = {
	{ "19 of 19 expunged there: too few", 19, 19, false, false, 50, false },
	{ "20 of 20 expunged there", 20, 20, false, false, 50, true },
	{ "50 of 100 expunged there: not over 50%", 100, 50, false, false, 50, false },
	{ "51 of 100 expunged there", 100, 51, false, false, 50, true },
	{ "51 of 100 expunged there, allowed", 100, 51, false, true, 50, false },
	{ "20 of 100 expunged there, guard 10%", 100, 20, false, false, 10, true },
	{ "19 of 19 deleted here: too few", 19, 19, true, false, 50, false },
	{ "20 of 20 deleted here", 20, 20, true, false, 50, true },
	{ "50 of 100 deleted here", 100, 50, true, false, 50, false },
	{ "51 of 100 deleted here", 100, 51, true, false, 50, true },
	{ "51 of 100 deleted here, allowed", 100, 51, true, true, 50, false },
	{ "100 of 100 deleted here, guard 100%", 100, 100, true, false, 100, false },
};

static void test_guard_table(void **state)
{
	(void)state;
	for (size_t g = 0; g < ARRAY_SIZE(guard_rows); g++) {
		size_t total = guard_rows[g].total, ndel = guard_rows[g].ndel;
		bool remote = guard_rows[g].remote;
		struct merge_in *in = xcalloc(total, sizeof(*in));
		struct merge_out *out = xcalloc(total, sizeof(*out));
		for (size_t i = 0; i < total; i++)
			in[i] = (struct merge_in){ .uid = (uint32_t)i + 1, .has_base = true,
						   .has_local = !(remote && i < ndel),
						   .on_server = !(!remote && i < ndel), .base_flags = MAILDIR_F_SEEN,
						   .local_flags = MAILDIR_F_SEEN, .server_flags = MAILDIR_F_SEEN };
		struct merge_summary sum;
		merge_decide(in, total, total, guard_rows[g].percent, guard_rows[g].allow, out, &sum);
		bool trips = guard_rows[g].trips;
		enum merge_action del = remote ? MERGE_DELETE_REMOTE : MERGE_DELETE_LOCAL;
		if ((remote ? sum.guard_remote : sum.guard_local) != trips || (remote ? sum.guard_local : sum.guard_remote))
			fail_msg("%s: guard local %d remote %d", guard_rows[g].what, sum.guard_local, sum.guard_remote);
		assert_int_equal(remote ? sum.ndel_remote : sum.ndel_local, ndel);
		for (size_t i = 0; i < total; i++)
			if (out[i].action != (i < ndel ? (trips ? MERGE_HELD : del) : MERGE_FLAGS))
				fail_msg("%s: uid %zu: action %d", guard_rows[g].what, i + 1, out[i].action);
		free(in);
		free(out);
	}
}

/* A move the server has not confirmed (held) is never deleted there but
 * still counts for the guard; --verify (repair) fetches a missing file
 * again instead of deleting it, and that is no deletion. */
static void test_held_and_repair(void **state)
{
	(void)state;
	struct merge_in in[3] = {
		{ .uid = 1, .has_base = true, .on_server = true, .held = true },
		{ .uid = 2, .has_base = true, .on_server = true, .repair = true },
		{ .uid = 3, .has_base = false, .on_server = true, .repair = true },
	};
	struct merge_out out[3];
	struct merge_summary sum;
	merge_decide(in, 3, 2, 50, false, out, &sum);
	assert_int_equal(out[0].action, MERGE_HELD);
	assert_int_equal(out[1].action, MERGE_FETCH);
	assert_true(out[1].refetch);
	assert_int_equal(out[2].action, MERGE_FETCH);
	assert_false(out[2].refetch);
	assert_int_equal(sum.ndel_remote, 1);
	assert_false(sum.guard_remote);
	/* held with allow_deletes: still held */
	merge_decide(in, 1, 2, 50, true, out, &sum);
	assert_int_equal(out[0].action, MERGE_HELD);
}

/* ---- UIDVALIDITY and how the changes are learned ---- */

#define UV 100u
static const struct {
	const char *what;
	struct merge_select in;
	bool remap;
	enum merge_learn learn;
} select_rows[] = {
	{ "first sync (no state)", { 0, 0, 0, 0, UV, 10, 5, 50, true, false }, false, MERGE_LEARN_ALL },
	{ "first sync, empty folder", { 0, 0, 0, 0, UV, 1, 0, 1, true, false }, false, MERGE_LEARN_EMPTY },
	{ "nothing changed (CONDSTORE)", { UV, 10, 50, 5, UV, 10, 5, 50, true, false }, false, MERGE_LEARN_NOOP },
	{ "nothing changed, QRESYNC taken", { UV, 10, 50, 5, UV, 10, 5, 50, true, true }, false, MERGE_LEARN_NOOP },
	{ "flags changed (CONDSTORE)", { UV, 10, 50, 5, UV, 10, 5, 51, true, false }, false,
	  MERGE_LEARN_CHANGEDSINCE },
	{ "flags changed (QRESYNC)", { UV, 10, 50, 5, UV, 10, 5, 51, true, true }, false, MERGE_LEARN_QRESYNC },
	{ "new mail (UIDNEXT moved)", { UV, 10, 50, 5, UV, 11, 6, 50, true, false }, false,
	  MERGE_LEARN_CHANGEDSINCE },
	{ "an expunge (count differs)", { UV, 10, 50, 5, UV, 10, 4, 50, true, false }, false,
	  MERGE_LEARN_CHANGEDSINCE },
	{ "no CONDSTORE: always the whole list", { UV, 10, 0, 5, UV, 10, 5, 0, false, false }, false,
	  MERGE_LEARN_ALL },
	{ "state without HIGHESTMODSEQ", { UV, 10, 0, 5, UV, 10, 5, 50, true, false }, false, MERGE_LEARN_ALL },
	{ "server without HIGHESTMODSEQ (NOMODSEQ)", { UV, 10, 50, 5, UV, 10, 5, 0, true, false }, false,
	  MERGE_LEARN_ALL },
	{ "emptied", { UV, 10, 50, 5, UV, 10, 0, 51, true, false }, false, MERGE_LEARN_EMPTY },
	{ "UIDVALIDITY changed", { UV, 10, 50, 5, UV + 1, 10, 5, 50, true, false }, true, MERGE_LEARN_ALL },
	{ "UIDVALIDITY changed, QRESYNC answer ignored", { UV, 10, 50, 5, UV + 1, 10, 5, 50, true, true }, true,
	  MERGE_LEARN_ALL },
	{ "UIDVALIDITY changed, folder empty", { UV, 10, 50, 5, UV + 1, 1, 0, 1, true, false }, true,
	  MERGE_LEARN_EMPTY },
	{ "UIDVALIDITY changed, no CONDSTORE", { UV, 10, 0, 5, UV + 1, 10, 5, 0, false, false }, true,
	  MERGE_LEARN_ALL },
};

static void test_select_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(select_rows); i++) {
		struct merge_start got = merge_select_plan(&select_rows[i].in);
		if (got.remap != select_rows[i].remap || got.learn != select_rows[i].learn)
			fail_msg("%s: remap %d learn %d; want %d %d", select_rows[i].what, got.remap, got.learn,
				 select_rows[i].remap, select_rows[i].learn);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_guard),
		cmocka_unit_test(test_flag_bits),
		cmocka_unit_test(test_flag_table),
		cmocka_unit_test(test_flag_conflicts),
		cmocka_unit_test(test_keyword_table),
		cmocka_unit_test(test_guard_table),
		cmocka_unit_test(test_held_and_repair),
		cmocka_unit_test(test_select_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
