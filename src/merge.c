/* merge - the sync's per-folder decision, pure (merge.h). */
#include "merge.h"

#include <string.h>

unsigned merge_flags(unsigned base, unsigned local, unsigned remote)
{
	/* For each bit: local if it changed, else remote.  If both changed,
	 * both now hold the same value, so either answer is the same. */
	unsigned lchanged = base ^ local;
	return (local & lchanged) | (remote & ~lchanged);
}

bool merge_guard_trips(size_t ndel, size_t ntotal, long percent)
{
	if (ndel < 20)
		return false;
	return ndel * 100 > (size_t)percent * ntotal;
}

static enum merge_action classify(const struct merge_in *x)
{
	if (x->has_local)
		return x->on_server ? MERGE_FLAGS : MERGE_DELETE_LOCAL;
	if (!x->on_server)
		return MERGE_FORGET;
	if (!x->has_base || x->repair)
		return MERGE_FETCH;
	return MERGE_DELETE_REMOTE;
}

static void merge_one(const struct merge_in *x, struct merge_out *o)
{
	/* A file with no base (adopted after a lost state) counts as
	 * unchanged here: the server's flags win. */
	unsigned base = x->has_base ? x->base_flags : x->local_flags;
	o->merged = merge_flags(base, x->local_flags, x->server_flags);
	o->push_add = o->merged & ~x->server_flags;
	o->push_rem = x->server_flags & ~o->merged;
	o->pull = o->merged != x->local_flags;
}

void merge_decide(const struct merge_in *in, size_t n, size_t nbase, long guard_percent, bool allow_deletes,
		  struct merge_out *out, struct merge_summary *sum)
{
	struct merge_summary s = { .nbase = nbase };
	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].action = classify(&in[i]);
		if (in[i].has_local)
			s.nlocal++;
		if (out[i].action == MERGE_DELETE_LOCAL)
			s.ndel_local++;
		else if (out[i].action == MERGE_DELETE_REMOTE)
			s.ndel_remote++;
		else if (out[i].action == MERGE_FLAGS)
			merge_one(&in[i], &out[i]);
		else if (out[i].action == MERGE_FETCH)
			out[i].refetch = in[i].has_base;
	}
	s.guard_local = !allow_deletes && merge_guard_trips(s.ndel_local, s.nlocal, guard_percent);
	s.guard_remote = !allow_deletes && merge_guard_trips(s.ndel_remote, s.nbase, guard_percent);
	for (size_t i = 0; i < n; i++)
		if ((out[i].action == MERGE_DELETE_LOCAL && s.guard_local) ||
		    (out[i].action == MERGE_DELETE_REMOTE && (s.guard_remote || in[i].held)))
			out[i].action = MERGE_HELD;
	if (sum)
		*sum = s;
}

struct merge_start merge_select_plan(const struct merge_select *in)
{
	struct merge_start out = { .remap = in->st_uidvalidity && in->st_uidvalidity != in->uidvalidity };
	/* After a re-map the state starts afresh (no HIGHESTMODSEQ): no base. */
	bool have_base = !out.remap && in->st_uidvalidity == in->uidvalidity && in->st_modseq;
	bool changes = in->condstore && in->modseq && have_base;
	if (changes && in->uidnext && in->st_uidnext == in->uidnext && in->st_modseq == in->modseq &&
	    in->exists == in->st_count)
		out.learn = MERGE_LEARN_NOOP;
	else if (in->exists == 0)
		out.learn = MERGE_LEARN_EMPTY;
	else if (in->qresync && !out.remap && in->modseq && have_base)
		out.learn = MERGE_LEARN_QRESYNC;
	else if (changes)
		out.learn = MERGE_LEARN_CHANGEDSINCE;
	else
		out.learn = MERGE_LEARN_ALL;
	return out;
}
