/* sync_upload.c - uploading messages made here (APPEND), safe against a crash
 * between the APPEND and the rename. */
#include "sync_int.h"

#include <stdlib.h>
#include <string.h>

#include "fault.h"

/* ",A=<n>" in a local file name: an APPEND of this file may have reached
 * the server with a UID >= n before we could record it.  0: no marker. */
static uint32_t pending_append(const char *name)
{
	struct maildir_name n;
	maildir_name_parse(name, &n);
	return n.append;
}

/* After a crash between APPEND and the rename: is the message already on
 * the server (same Message-ID, UID >= from)?  Returns its UID or 0. */
static uint32_t find_appended(sync_t *s, uint32_t from, const char *data, size_t len)
{
	char *mid = maildir_message_id(data, len);
	if (!mid)
		return 0;
	uint32_t uid = imapdrv_search_message_id(s->imap, from, mid);
	free(mid);
	return uid;
}

/* IMAP messages have CRLF line ends; a file written locally may not.
 * Returns a CRLF copy (caller frees) or NULL when data is already right. */
static char *to_crlf(const char *data, size_t len, size_t *outlen)
{
	size_t bare = 0;
	for (size_t i = 0; i < len; i++)
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			bare++;
	if (!bare)
		return NULL;
	char *out = xmalloc(len + bare + 1);
	size_t k = 0;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			out[k++] = '\r';
		out[k++] = data[i];
	}
	out[k] = '\0';
	*outlen = k;
	return out;
}

/* The local file now is the server's message uid: renamed to carry it.
 * Its bytes stay as they are (LF line ends, or CRLF from an earlier
 * version): the server has the same message with CRLF. */
static void adopt_uploaded(sync_t *s, struct folder_ctx *c, struct maildir_entry *e, uint32_t uid)
{
	char *nn = NULL;
	if (maildir_rename(c->dir, e->name, true, uid, e->flags, &nn) == 0) {
		char *op = sync_store_path(c, e->name), *np = sync_store_path(c, nn);
		store_rename(s->store, op, np, s->account, NULL);
		free(op);
		free(np);
		free(nn);
		state_put(c->st, uid, e->flags, NULL);
	}
}

/* Rename e to carry ",A=<uidnext>" (see sync_append_new). */
static void mark_pending(sync_t *s, struct folder_ctx *c, struct maildir_entry *e, uint32_t uidnext)
{
	struct maildir_name n;
	maildir_name_parse(e->name, &n);
	char *marked = xasprintf("%.*s,A=%u%s", (int)n.stem_len, n.base, uidnext, n.base + n.stem_len);
	char *from_p = xasprintf("%s/%s", c->dir, e->name), *to_p = xasprintf("%s/%s", c->dir, marked);
	int rc = rename(from_p, to_p);
	free(from_p);
	free(to_p);
	if (rc != 0) {
		free(marked);
		return;
	}
	char *op = sync_store_path(c, e->name), *np = sync_store_path(c, marked);
	store_rename(s->store, op, np, s->account, NULL);
	free(op);
	free(np);
	free(e->name);
	e->name = marked;
}

/* APPEND e (data, CRLF), then adopt the server's UID for it. */
static int upload(sync_t *s, struct folder_ctx *c, struct maildir_entry *e, const char *data, size_t len,
		  uint32_t uidvalidity)
{
	uint32_t uv = 0, uid = 0;
	size_t cl = 0;
	char *crlf = to_crlf(data, len, &cl);
	s->server_written = true;
	enum imapdrv_rc rc = imapdrv_append(s->imap, c->f->raw, e->flags, crlf ? crlf : data, crlf ? cl : len, &uv, &uid);
	if (rc != IMAPDRV_OK) {
		free(crlf);
		sync_imap_failed(s, rc, c->name, "APPEND");
		return -1;
	}
	fault_point("append");
	s->stats.pushed++;
	if (uid == 0 || uv != uidvalidity) {
		/* No APPENDUID: the fetch will bring the server's copy; drop
		 * ours so that there is exactly one. */
		char *p = sync_store_path(c, e->name);
		maildir_remove(c->dir, e->name);
		store_remove(s->store, p);
		free(p);
	} else {
		adopt_uploaded(s, c, e, uid);
	}
	free(crlf);
	return 0;
}

/* One file without a UID: uploaded unless a stub, or adopted when an
 * APPEND of it before a crash reached the server. */
static int append_one(sync_t *s, struct folder_ctx *c, struct maildir_entry *e, uint32_t uidvalidity,
		      uint32_t uidnext)
{
	char *data;
	size_t len;
	if (maildir_read(c->dir, e->name, &data, &len) < 0)
		return 0;
	int rc = 0;
	uint32_t from = pending_append(e->name), uid = 0;
	if (sync_stub_size(data, len)) {
		/* Uploading a stub would replace a message by its header on
		 * the server; it stays here, untouched. */
		sync_warn(s, c->name, "%s: %s is a header-only stub without a server copy; not uploaded", c->name,
			  e->name);
	} else if (from && (uid = find_appended(s, from, data, len))) {
		adopt_uploaded(s, c, e, uid);
	} else {
		if (!from && uidnext)
			mark_pending(s, c, e, uidnext); /* before the APPEND (see sync_append_new) */
		rc = upload(s, c, e, data, len, uidvalidity);
	}
	free(data);
	return rc;
}

/* Upload local new messages (files without ",U=").  Each file is first
 * renamed to carry ",A=<UIDNEXT>", so that a crash after the APPEND but
 * before the file learns its UID is recognised on the next run (the
 * server is searched for the Message-ID) instead of uploading twice. */
int sync_append_new(sync_t *s, struct folder_ctx *c, uint32_t uidvalidity, uint32_t uidnext)
{
	for (size_t i = 0; i < c->local.n; i++)
		if (!c->local.v[i].has_uid && append_one(s, c, &c->local.v[i], uidvalidity, uidnext) < 0)
			return -1;
	return 0;
}
