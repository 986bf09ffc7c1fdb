/* outbox_view.c - the outbox screen (view-outbox): every message of the
 * current account waiting to leave, with when it was queued, To,
 * Subject, its state (waiting, sending, failed with the last reason,
 * held while being edited) and the attempts so far.
 *
 * Actions: send-message flushes the outbox on the background sender (the
 * UI never waits); edit-message takes the message out of the queue into
 * the compose flow (compose_edit_queued: abort puts it back unchanged);
 * delete-message removes it for good after a question; display-message
 * opens it in the pager.  The list is read again whenever the sender
 * reports (outbox_view_refresh), so it follows a send as it happens. */
#include "outbox_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "composer/composer.h"
#include "conf.h"
#include "draw.h"
#include "keys.h"
#include "listview.h"
#include "mime.h"
#include "outbox.h"
#include "status.h"
#include "theme.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"
#include "view.h"

struct ob_row {
	char *to;      /* owned */
	char *subject; /* owned */
	bool busy;     /* someone holds its lock: being sent */
};

struct outbox_view {
	struct view base;
	long account;
	struct outbox_entry *e; /* owned */
	struct ob_row *r;       /* owned, one per entry */
	size_t n;
	struct listview lv;
};

static const char *const outbox_helpbar[] = { "exit", "send-message", "edit-message", "delete-message",
					      "display-message", "help", NULL };

static struct outbox_view *ov_of(struct view *v)
{
	return (struct outbox_view *)v;
}

static void ov_clear(struct outbox_view *ov)
{
	for (size_t i = 0; i < ov->n; i++) {
		free(ov->r[i].to);
		free(ov->r[i].subject);
	}
	free(ov->r);
	ov->r = NULL;
	outbox_entries_free(&ov->e, ov->n);
	ov->n = 0;
}

/* To and Subject as the message says (decoded by the MIME reader); the
 * envelope's recipients when it has no To (a Bcc-only message). */
static void read_headers(outbox_t *ob, const struct outbox_entry *e, struct ob_row *r)
{
	char *file = outbox_message_file(ob, e->id);
	mime_msg_t *m = NULL;
	if (file && mime_msg_parse_file(file, &m) == MIME_OK) {
		const char *to = mime_msg_header(m, MIME_H_TO), *s = mime_msg_header(m, MIME_H_SUBJECT);
		r->to = to && *to ? xstrdup(to) : NULL;
		r->subject = xstrdup(s ? s : "");
	}
	mime_msg_free(&m);
	free(file);
	if (!r->subject)
		r->subject = xstrdup("(unreadable)");
	if (!r->to) {
		struct strbuf b;
		strbuf_init(&b);
		for (size_t i = 0; e->rcpts[i]; i++)
			strbuf_addf(&b, "%s%s", i ? ", " : "", e->rcpts[i]);
		r->to = strbuf_detach(&b);
	}
}

/* Read the outbox again, keeping the cursor on the same message. */
static void load(struct ui *u, struct outbox_view *ov)
{
	char *keep = ov->lv.cur < ov->n ? xstrdup(ov->e[ov->lv.cur].id) : NULL;
	ov_clear(ov);
	outbox_t *ob = compose_open_outbox(u, ov->account);
	ov->n = ob ? outbox_list(ob, &ov->e) : 0;
	ov->r = xcalloc(ov->n ? ov->n : 1, sizeof(*ov->r));
	size_t cur = 0;
	for (size_t i = 0; i < ov->n; i++) {
		read_headers(ob, &ov->e[i], &ov->r[i]);
		ov->r[i].busy = outbox_busy(ob, ov->e[i].id);
		if (keep && strcmp(keep, ov->e[i].id) == 0)
			cur = i;
	}
	outbox_free(&ob);
	free(keep);
	compose_send_outbox_changed(); /* the status line counts again */
	ov->lv.count = ov->n;
	lv_set_cur(&ov->lv, keep ? cur : ov->lv.cur);
}

/* Is a compose screen on the stack editing entry id? */
static bool being_edited(struct ui *u, const char *id)
{
	for (struct view *v = u->top; v; v = v->below) {
		const char *e = compose_view_outbox_id(v);
		if (e && strcmp(e, id) == 0)
			return true;
	}
	return false;
}

static void state_text(struct ui *u, const struct outbox_entry *e, const struct ob_row *r, struct strbuf *b)
{
	if (e->held)
		strbuf_adds(b, being_edited(u, e->id) ? "editing" : "held (edit not finished: y sends it)");
	else if (r->busy || compose_send_busy())
		strbuf_adds(b, "sending");
	else if (e->sent)
		strbuf_addf(b, "sent; %s", e->error ? e->error : "the Sent copy is still to do");
	else if (e->error)
		strbuf_addf(b, "failed: %s", e->error);
	else
		strbuf_adds(b, "waiting");
}

static void row(struct ui *u, void *ctx, size_t i, int y, int x, int w, bool cur)
{
	struct outbox_view *ov = ctx;
	const struct outbox_entry *e = &ov->e[i];
	attr_t at = theme_attr(u->th, cur ? CO_indicator : CO_normal);
	draw_fill(y, x, w, at);
	char date[32] = "";
	struct tm tm;
	time_t t = e->created;
	if (localtime_r(&t, &tm))
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addf(&b, "%3zu %-16s ", i + 1, date);
	text_fit(&b, ov->r[i].to, 22, 22, true);
	strbuf_addc(&b, ' ');
	text_fit(&b, ov->r[i].subject, 24, 24, true);
	strbuf_addf(&b, " %3d  ", e->attempts);
	state_text(u, e, &ov->r[i], &b);
	draw_text(y, x, w, b.s, at); /* sanitized there: headers and reasons are foreign */
	strbuf_free(&b);
}

static void outbox_draw(struct ui *u, struct view *v)
{
	struct outbox_view *ov = ov_of(v);
	int y = ui_top_row(), rows = ui_content_rows();
	if (ov->n == 0) {
		for (int r = 0; r < rows; r++)
			draw_fill(y + r, 0, COLS, theme_attr(u->th, CO_normal));
		draw_text(y, 0, COLS, "The outbox is empty.", theme_attr(u->th, CO_normal));
		return;
	}
	draw_fill(y, 0, COLS, theme_attr(u->th, CO_header_name));
	draw_text(y, 0, COLS, "  # Queued           To                     Subject                  Tries State",
		  theme_attr(u->th, CO_header_name));
	lv_draw(u, &ov->lv, y + 1, 0, COLS, rows - 1, row, ov);
}

static void outbox_status(struct ui *u, struct view *v, struct strbuf *b)
{
	struct outbox_view *ov = ov_of(v);
	const char *acct = ov->account >= 0 ? conf_account_name(u->conf, (size_t)ov->account) : "?";
	strbuf_addf(b, "-- Outbox: %s (%zu message%s) --", acct, ov->n, ov->n == 1 ? "" : "s");
}

static struct listview *outbox_list_of(struct view *v)
{
	return &ov_of(v)->lv;
}

static void outbox_search_text(struct view *v, size_t i, struct strbuf *b)
{
	struct outbox_view *ov = ov_of(v);
	if (i < ov->n)
		strbuf_addf(b, "%s %s", ov->r[i].to, ov->r[i].subject);
}

static void outbox_destroy(struct view *v)
{
	ov_clear(ov_of(v));
	free(v);
}

static void outbox_store_changed(struct ui *u, struct view *v)
{
	load(u, ov_of(v));
}

/* ---- actions ---- */

static const struct outbox_entry *current(struct ui *u, struct outbox_view *ov)
{
	u->tag_prefix = false; /* one message at a time */
	if (ov->lv.cur < ov->n)
		return &ov->e[ov->lv.cur];
	status_error(u, "The outbox is empty.");
	return NULL;
}

static void op_view(struct ui *u, struct view *v)
{
	struct outbox_view *ov = ov_of(v);
	const struct outbox_entry *e = current(u, ov);
	outbox_t *ob = e ? compose_open_outbox(u, ov->account) : NULL;
	char *file = ob ? outbox_message_file(ob, e->id) : NULL;
	if (file)
		ui_push(u, u->views->pager(u, file, NULL));
	else if (ob)
		status_error(u, "That message is no longer in the outbox.");
	free(file);
	outbox_free(&ob);
}

/* Send everything waiting now; a held entry that no screen edits (the
 * reader ended while it was out) goes back into the queue first. */
static void op_send(struct ui *u, struct view *v)
{
	struct outbox_view *ov = ov_of(v);
	const struct outbox_entry *e = current(u, ov);
	if (!e)
		return;
	if (e->held && being_edited(u, e->id)) {
		status_error(u, "That message is open in the compose screen: send it from there.");
		return;
	}
	outbox_t *ob = e->held ? compose_open_outbox(u, ov->account) : NULL;
	if (ob && outbox_release(ob, e->id) != OUTBOX_OK)
		status_error(u, "Cannot put the message back in the queue.");
	outbox_free(&ob);
	if (compose_send_kick(u))
		status_message(u, "Sending the outbox in the background...");
	load(u, ov);
}

static void op_edit(struct ui *u, struct view *v)
{
	struct outbox_view *ov = ov_of(v);
	const struct outbox_entry *e = current(u, ov);
	if (!e)
		return;
	if (e->held && being_edited(u, e->id)) {
		status_error(u, "That message is open in the compose screen already.");
		return;
	}
	char *id = xstrdup(e->id);
	outbox_t *ob = e->held ? compose_open_outbox(u, ov->account) : NULL;
	if (ob)
		outbox_release(ob, id); /* an interrupted edit: take it out afresh */
	outbox_free(&ob);
	if (ov->account != u->account)
		status_error(u, "The outbox shown is not the current account's; open it again.");
	else
		compose_edit_queued(u, id);
	free(id);
	load(u, ov); /* the compose screen (if any) is on top now; this list shows "editing" after it */
}

static void op_delete(struct ui *u, struct view *v)
{
	struct outbox_view *ov = ov_of(v);
	const struct outbox_entry *e = current(u, ov);
	if (!e)
		return;
	if (e->held && being_edited(u, e->id)) {
		status_error(u, "That message is open in the compose screen: abort it there first.");
		return;
	}
	/* the question waits for a key, and a sender event meanwhile reloads
	 * the list (e with it) */
	char *id = xstrdup(e->id);
	if (!ui_yesno(u, "Delete this message from the outbox for good?", false)) {
		free(id);
		return;
	}
	outbox_t *ob = compose_open_outbox(u, ov->account);
	enum outbox_status st = ob ? outbox_remove(ob, id) : OUTBOX_ERR_IO;
	outbox_free(&ob);
	free(id);
	if (st == OUTBOX_OK || st == OUTBOX_ERR_NOT_FOUND)
		status_message(u, "Message deleted from the outbox.");
	else if (st == OUTBOX_ERR_BUSY)
		status_error(u, "The message is being sent right now; it cannot be deleted.");
	else
		status_error(u, "Cannot delete the message from the outbox.");
	load(u, ov);
}

static const struct op outbox_ops[] = {
	{ "display-message", op_view },
	{ "select-entry", op_view },
	{ "send-message", op_send },
	{ "edit-message", op_edit },
	{ "delete-message", op_delete },
	{ NULL, NULL },
};

/* The sender did something: follow it as it happens. */
static void outbox_changed(struct ui *u, struct view *v)
{
	load(u, ov_of(v));
	if (v == u->top)
		ui_draw(u);
}

static const struct view_class outbox_class = {
	.name = "outbox",
	.menus = { MENU_OUTBOX, 0, 0 },
	.ops = outbox_ops,
	.draw = outbox_draw,
	.destroy = outbox_destroy,
	.list = outbox_list_of,
	.status = outbox_status,
	.store_changed = outbox_store_changed,
	.outbox_changed = outbox_changed,
	.search_text = outbox_search_text,
	.helpbar = outbox_helpbar,
};

struct view *outbox_view_new(struct ui *u)
{
	struct outbox_view *ov = xcalloc(1, sizeof(*ov));
	ov->base.cls = &outbox_class;
	ov->account = u->account;
	ov->lv.rows = ui_content_rows() - 1;
	load(u, ov);
	return &ov->base;
}
