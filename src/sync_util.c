/* sync_util.c - what every file of the sync engine shares: events and
 * errors, store paths, the folder state file, the moves held back. */
#include "sync_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fault.h"

/* ---- events and errors ---- */

void sync_emit(sync_t *s, enum sync_event_kind k, const char *folder, size_t done, size_t total,
	       const char *msg)
{
	if (!s->event)
		return;
	struct sync_event ev = { .kind = k, .account = s->account, .folder = folder, .done = done,
				 .total = total, .bytes = s->pass_bytes, .message = msg };
	s->event(&ev, s->event_ud);
}

/* A folder error (counted) or a warning: logged and told as an event. */
static void report(sync_t *s, enum sync_event_kind k, const char *folder, const char *fmt, va_list ap)
{
	char *m = xvasprintf(fmt, ap);
	if (k == SYNC_EV_ERROR) {
		log_error("%s: %s", s->account, m);
		s->stats.folder_errors++;
	} else {
		log_warn("%s: %s", s->account, m);
	}
	sync_emit(s, k, folder, 0, 0, m);
	free(m);
}

void sync_folder_error(sync_t *s, const char *folder, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(s, SYNC_EV_ERROR, folder, fmt, ap);
	va_end(ap);
}

void sync_warn(sync_t *s, const char *folder, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(s, SYNC_EV_WARNING, folder, fmt, ap);
	va_end(ap);
}

void sync_set_error(sync_t *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(s->error);
	s->error = xvasprintf(fmt, ap);
	va_end(ap);
}

void sync_imap_failed(sync_t *s, enum imapdrv_rc r, const char *folder, const char *what)
{
	if (s->cancelled) {
		sync_set_error(s, "cancelled");
		s->net_failed = true;
		return;
	}
	const char *cap = imap_limit_error(s->imap);
	if (cap) { /* not a lost connection: we ended it, and the user should know why */
		sync_set_error(s, "%s: %s (%s%s%s); giving up", s->account, cap, what, folder ? " of " : "",
			       folder ? folder : "");
		s->net_failed = true;
		return;
	}
	if (r == IMAPDRV_LOST) {
		const char *why = imap_error(s->imap);
		sync_set_error(s, "%s: connection lost during %s%s%s", s->account, what, why && *why ? ": " : "",
			       why ? why : "");
		s->net_failed = true;
		return;
	}
	sync_folder_error(s, folder, "%s: %s failed: %s", folder ? folder : "", what, imapdrv_server_text(s->imap));
}

/* ---- header-only stubs (sync_max_size) ---- */


uint32_t sync_stub_size(const char *data, size_t len)
{
	/* The marker is always the first line we write, so only the start
	 * is looked at (a header further down is the sender's, not ours). */
	size_t hl = strlen(STUB_HEADER);
	if (!data || len <= hl || strncasecmp(data, STUB_HEADER, hl) != 0)
		return 0;
	unsigned long v = 0;
	size_t i = hl;
	for (; i < len && data[i] >= '0' && data[i] <= '9' && v <= UINT32_MAX; i++)
		v = v * 10 + (unsigned long)(data[i] - '0');
	if (i == hl || v == 0 || v > UINT32_MAX)
		return 0;
	return (uint32_t)v;
}

char *sync_store_path(struct folder_ctx *c, const char *name)
{
	return xasprintf("%s/%s", c->store_prefix, name);
}

int sync_tagged_path_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct store_tagged *)elem)->path);
}

int sync_save_state(sync_t *s, struct folder_ctx *c)
{
	fault_point("state");
	if (state_save(c->st, c->state_path) < 0) {
		sync_folder_error(s, c->name, "%s: cannot save the sync state %s: %s", c->name, c->state_path,
				  strerror(errno));
		return -1;
	}
	return 0;
}

int sync_scan_local(sync_t *s, struct folder_ctx *c)
{
	c->scan_deferred = false;
	if (maildir_scan(c->dir, &c->local) < 0) {
		sync_folder_error(s, c->name, "%s: cannot read %s: %s", c->name, c->dir, strerror(errno));
		return -1;
	}
	return 0;
}

int sync_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Before a change to the Maildir that the index must learn (a rename, a
 * removal, new content): the store's dirty marker, so that a crash after
 * the change and before the index has it is reconciled at the next open
 * (a store writes the marker itself only when it first opens the
 * database, which may be after the change).  0, or -1 (told as an error
 * of folder) when the marker cannot be written: then nothing may change. */
int sync_will_change_local(sync_t *s, const char *folder)
{
	if (store_mark_dirty(s->store) == 0)
		return 0;
	sync_folder_error(s, folder, "%s: nothing changed here: cannot write the index's crash marker: %s", folder,
			  strerror(errno));
	return -1;
}

/* Tell the store that the file from in the local folder rel is now to
 * (it keeps its tags). */
void sync_store_rename(sync_t *s, const char *rel, const char *from, const char *to)
{
	char *op = xasprintf("%s/%s/%s", s->acct_dir, rel, from);
	char *np = xasprintf("%s/%s/%s", s->acct_dir, rel, to);
	store_rename(s->store, op, np, s->account, NULL);
	free(op);
	free(np);
}

enum imapdrv_rc sync_uid_store(sync_t *s, const uint32_t *uids, size_t n, unsigned flags, bool add)
{
	s->server_written = true;
	return imapdrv_store(s->imap, uids, n, add, flags, NULL);
}

int sync_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

void sync_held_clear(sync_t *s)
{
	for (size_t i = 0; i < s->nheld; i++)
		free(s->held[i]);
	xfree(&s->held);
	s->nheld = 0;
}

bool sync_held(const sync_t *s, const char *rel, uint32_t uid)
{
	char *key = xasprintf("%s\n%" PRIu32, rel, uid);
	bool yes = false;
	for (size_t i = 0; i < s->nheld && !yes; i++)
		yes = strcmp(s->held[i], key) == 0;
	free(key);
	return yes;
}
