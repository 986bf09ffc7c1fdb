/* compose_screen.c - the screen between the editor and sending: the
 * headers, the attachment list, and the compose menu's functions (send,
 * postpone, edit again, attach/detach/rename, edit a header, abort).
 *
 * The draft's editor file stays on disk while this screen is open and is
 * rewritten after every change made here, so quitting the reader or a
 * crash leaves the newest text for the next compose to offer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sidebar.h"
#include "alias.h"
#include "compose.h"
#include "composer.h"
#include "conf.h"
#include "draw.h"
#include "keys.h"
#include "listview.h"
#include "prompt.h"
#include "roles.h"
#include "status.h"
#include "theme.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"
#include "view.h"

#define HEADER_ROWS 8

struct compose_view {
	struct view base;
	compose_t *c;     /* owned */
	char *edit_file;  /* owned: the text's safe copy on disk */
	bool file_ahead;  /* the file has text the draft could not take */
	struct compose_origin origin; /* owned: a recalled draft, a held outbox entry */
	char *fcc;        /* owned: the folder for the sent copy, "" for none */
	struct compose_crypt crypt; /* sign, encrypt (pgp-menu) */
	struct compose_hooked hooked; /* owned: for the send-hooks when the recipients change */
	struct listview lv;
};

static const char *const compose_helpbar[] = { "send-message", "postpone-message", "edit-message", "attach-file",
					       "edit-subject", "exit", "help", NULL };

static struct compose_view *cv_of(struct view *v)
{
	return (struct compose_view *)v;
}

/* ---- drawing ---- */

static void draw_field(struct ui *u, int y, const char *name, const char *value)
{
	draw_fill(y, 0, COLS, theme_attr(u->th, CO_normal));
	char *label = xasprintf("%9s ", name);
	int x = draw_text(y, 0, COLS, label, theme_attr(u->th, CO_header_name));
	draw_text(y, x, COLS - x, value, theme_attr(u->th, CO_header));
	free(label);
}

static void draw_headers(struct ui *u, struct compose_view *cv, int y)
{
	static const struct {
		const char *name;
		enum compose_field f;
	} rows[] = { { "From:", CF_FROM }, { "To:", CF_TO }, { "Cc:", CF_CC }, { "Bcc:", CF_BCC },
		     { "Reply-To:", CF_REPLY_TO } };
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		char *v = compose_addrs_text(cv->c, rows[i].f);
		draw_field(u, y + (int)i + (i >= 4), rows[i].name, v);
		free(v);
	}
	draw_field(u, y + 4, "Subject:", compose_subject(cv->c));
	draw_field(u, y + 6, "Fcc:", *cv->fcc ? cv->fcc : "(none: no copy is kept)");
	char *sec = compose_crypt_describe(u, &cv->crypt, cv->c);
	draw_field(u, y + 7, "Security:", sec);
	free(sec);
}

static void human_size(char *buf, size_t n, size_t size)
{
	if (size < 1024)
		snprintf(buf, n, "%zu", size);
	else if (size < (size_t)1024 * 1024)
		snprintf(buf, n, "%.0fK", (double)size / 1024);
	else
		snprintf(buf, n, "%.1fM", (double)size / (1024 * 1024));
}

static void att_row(struct ui *u, void *ctx, size_t i, int y, int x, int w, bool cur)
{
	struct compose_view *cv = ctx;
	struct compose_att_info a;
	attr_t at = theme_attr(u->th, cur ? CO_indicator : CO_attachment);
	draw_fill(y, x, w, at);
	if (!compose_att_info(cv->c, i, &a))
		return;
	char size[32];
	human_size(size, sizeof(size), a.size);
	char *line = xasprintf("%3zu %-30s %8s  %s", i + 1, a.type ? a.type : "", size, a.name ? a.name : "");
	draw_text(y, x, w, line, at);
	free(line);
}

/* One line for the text itself, above the attachments. */
static void draw_body_line(struct ui *u, struct compose_view *cv, int y)
{
	const char *b = compose_body(cv->c);
	size_t lines = 0;
	for (const char *p = b; p && *p; p++)
		lines += *p == '\n';
	/* what compose_render writes: UTF-8 always, flowed when format_flowed */
	char *s = xasprintf("  - %-30s %8zu  (the text, %zu line%s)",
			    compose_flowed(cv->c) ? "text/plain; charset=utf-8; format=flowed" : "text/plain; charset=utf-8",
			    b ? strlen(b) : 0, lines, lines == 1 ? "" : "s");
	draw_fill(y, 0, COLS, theme_attr(u->th, CO_normal));
	draw_text(y, 0, COLS, s, theme_attr(u->th, CO_normal));
	free(s);
}

static void compose_draw(struct ui *u, struct view *v)
{
	struct compose_view *cv = cv_of(v);
	int y = ui_top_row(), rows = ui_content_rows();
	if (rows < HEADER_ROWS + 3) {
		draw_text(y, 0, COLS, "Compose: the terminal is too small.", A_NORMAL);
		return;
	}
	draw_headers(u, cv, y);
	y += HEADER_ROWS;
	draw_fill(y, 0, COLS, theme_attr(u->th, CO_normal));
	draw_text(y, 0, COLS, "-- Attachments", theme_attr(u->th, CO_header_name));
	draw_body_line(u, cv, y + 1);
	cv->lv.count = compose_att_count(cv->c);
	lv_draw(u, &cv->lv, y + 2, 0, COLS, rows - HEADER_ROWS - 2, att_row, cv);
}

static const char *kind_name(enum compose_kind k)
{
	static const char *const names[] = { "new message", "reply", "group reply", "list reply", "forward",
					     "forward", "bounce", "edit as new", "postponed message" };
	return (size_t)k < ARRAY_SIZE(names) ? names[k] : "message";
}

static void compose_status(struct ui *u, struct view *v, struct strbuf *b)
{
	(void)u;
	struct compose_view *cv = cv_of(v);
	size_t n = compose_att_count(cv->c);
	const char *kind = cv->origin.outbox_id ? "queued message" : kind_name(compose_kind(cv->c));
	strbuf_addf(b, "-- Compose: %s [%zu attachment%s]", kind, n, n == 1 ? "" : "s");
}

static struct listview *compose_list(struct view *v)
{
	return &cv_of(v)->lv;
}

static void compose_search_text(struct view *v, size_t i, struct strbuf *b)
{
	struct compose_att_info a;
	if (compose_att_info(cv_of(v)->c, i, &a))
		strbuf_adds(b, a.name ? a.name : "");
}

static void compose_destroy(struct view *v)
{
	struct compose_view *cv = cv_of(v);
	/* the editor's file stays: it is the text's only copy until sent; a
	 * held outbox entry and a recalled draft stay too (never lose text) */
	compose_free(&cv->c);
	compose_crypt_clear(&cv->crypt);
	free(cv->edit_file);
	free(cv->origin.draft_file);
	free(cv->origin.outbox_id);
	free(cv->fcc);
	compose_hooked_clear(&cv->hooked);
	free(cv);
}

/* ---- leaving ---- */

/* The text is safe elsewhere (queued, postponed: safe) or thrown away;
 * then what it came from is done with (compose_origin_done). */
static void close_screen(struct ui *u, struct compose_view *cv, bool safe)
{
	if (cv->edit_file)
		unlink(cv->edit_file);
	compose_origin_done(u, &cv->origin, safe);
	ui_pop(u);
}

static void op_send(struct ui *u, struct view *v)
{
	struct compose_view *cv = cv_of(v);
	if (cv->file_ahead) {
		status_error(u, "The last edit could not be read back; press e to fix it first.");
		return;
	}
	if (!*compose_subject(cv->c) && !ui_yesno(u, "No subject. Send anyway?", false))
		return;
	bool sending;
	if (!compose_queue(u, cv->c, &cv->crypt, cv->fcc, &sending))
		return;
	if (sending) /* else the reason is on the message line */
		status_message(u, "Sending in the background...");
	close_screen(u, cv, true); /* after: a problem with the origin is the newer news */
}

static void op_postpone(struct ui *u, struct view *v)
{
	struct compose_view *cv = cv_of(v);
	if (cv->file_ahead) {
		status_error(u, "The last edit could not be read back; press e to fix it first.");
		return;
	}
	if (compose_postpone(u, cv->c, &cv->crypt))
		close_screen(u, cv, true);
}

static void op_abort(struct ui *u, struct view *v)
{
	struct compose_view *cv = cv_of(v);
	bool text = compose_has_content(cv->c) || cv->file_ahead;
	if (cv->origin.outbox_id) {
		/* the queued text is still there: abort puts it back unchanged */
		if (!ui_yesno(u, "Abort the changes? The message goes back to the outbox as it was", false))
			return;
		status_message(u, "Changes aborted; the message is back in the outbox.");
		close_screen(u, cv, false);
		return;
	}
	if (text && !ui_yesno(u, "Abort this message? Its text will be thrown away", false))
		return;
	status_message(u, "Message aborted.");
	close_screen(u, cv, false);
}

/* ---- editing ---- */

/* After a change made on this screen, the file on disk follows. */
static void changed(struct ui *u, struct compose_view *cv)
{
	if (!cv->file_ahead)
		compose_save_file(u, cv->c, &cv->edit_file);
}

static void op_edit(struct ui *u, struct view *v)
{
	struct compose_view *cv = cv_of(v);
	enum compose_edit_result r = compose_edit(u, cv->c, &cv->edit_file, cv->file_ahead);
	/* after a failed editor the file may hold text the draft lacks */
	cv->file_ahead = r == EDIT_BAD || r == EDIT_FAILED;
	if (r == EDIT_OK && compose_rehook(u, cv->c, &cv->hooked, &cv->fcc))
		changed(u, cv);
}

static void edit_addrs(struct ui *u, struct view *v, enum compose_field f, const char *prompt)
{
	struct compose_view *cv = cv_of(v);
	char *cur = compose_addrs_text(cv->c, f);
	/* addresses share the search history: there is no address kind yet */
	char *line = prompt_line(u, prompt, cur, HIST_SEARCH, COMPLETE_ADDRESS), *err = NULL;
	char *expanded = line ? alias_expand_format(conf_aliases(u->conf), line, &err) : NULL;
	free(line);
	line = expanded;
	if ((!line && err) || (line && !compose_set_addrs(cv->c, f, line, &err)))
		status_error(u, "%s", err ? err : "bad address");
	else if (line && f != CF_FROM && f != CF_REPLY_TO)
		compose_rehook(u, cv->c, &cv->hooked, &cv->fcc);
	if (line && !err)
		changed(u, cv);
	free(err);
	free(line);
	free(cur);
}

static void op_edit_to(struct ui *u, struct view *v) { edit_addrs(u, v, CF_TO, "To: "); }
static void op_edit_reply_to(struct ui *u, struct view *v) { edit_addrs(u, v, CF_REPLY_TO, "Reply-To: "); }
static void op_edit_cc(struct ui *u, struct view *v) { edit_addrs(u, v, CF_CC, "Cc: "); }
static void op_edit_bcc(struct ui *u, struct view *v) { edit_addrs(u, v, CF_BCC, "Bcc: "); }
static void op_edit_from(struct ui *u, struct view *v) { edit_addrs(u, v, CF_FROM, "From: "); }

/* mutt's ispell: the spell checker works on the editor's file, then it is
 * read back as after the editor. */
static void op_ispell(struct ui *u, struct view *v)
{
	struct compose_view *cv = cv_of(v);
	const char *cmd = conf_str(u->conf, -1, OPT_ID_ispell);
	if (!cmd || !*cmd) {
		status_error(u, "ispell is not set.");
		return;
	}
	enum compose_edit_result r = compose_edit_with(u, cv->c, &cv->edit_file, cv->file_ahead, cmd);
	cv->file_ahead = r == EDIT_BAD || r == EDIT_FAILED;
	if (r == EDIT_OK)
		status_message(u, "Spell check done: the text was changed.");
	else if (r == EDIT_UNCHANGED)
		status_message(u, "Spell check done: nothing changed.");
}

static void op_edit_subject(struct ui *u, struct view *v)
{
	struct compose_view *cv = cv_of(v);
	char *line = prompt_line(u, "Subject: ", compose_subject(cv->c), HIST_SEARCH, COMPLETE_NONE);
	if (line) {
		compose_set_subject(cv->c, line);
		changed(u, cv);
	}
	free(line);
}

/* mutt's edit-fcc: the folder for the sent copy, "=" / "+" as for save
 * (an unknown folder is created after asking); empty keeps no copy.  The
 * outbox entry carries it (outbox.h). */
static void op_edit_fcc(struct ui *u, struct view *v)
{
	struct compose_view *cv = cv_of(v);
	char *cur = *cv->fcc ? xasprintf("=%s", cv->fcc) : xstrdup("");
	char *line = prompt_line(u, "Fcc: ", cur, HIST_FOLDER, COMPLETE_FOLDER);
	free(cur);
	if (line && !*line) {
		free(cv->fcc);
		cv->fcc = xstrdup("");
		status_message(u, "No copy of this message will be kept.");
	} else if (line) {
		char *f = sidebar_dest_folder(u, line);
		if (f) {
			free(cv->fcc);
			cv->fcc = f;
		}
	}
	free(line);
}

static void op_attach(struct ui *u, struct view *v)
{
	struct compose_view *cv = cv_of(v);
	char *line = prompt_line(u, "Attach file: ", "", HIST_FILE, COMPLETE_FILE), *err = NULL;
	char *path = line && *line ? util_expand_path(line) : NULL;
	/* completion ends a unique match with a space: drop it unless the
	 * name really ends so */
	for (size_t n = path ? strlen(path) : 0; n && path[n - 1] == ' ' && access(path, F_OK) != 0; n--)
		path[n - 1] = '\0';
	if (path && compose_attach_file(cv->c, path, NULL, NULL, &err)) {
		cv->lv.count = compose_att_count(cv->c);
		lv_set_cur(&cv->lv, cv->lv.count - 1);
		changed(u, cv);
	} else if (path) {
		status_error(u, "%s", err ? err : "cannot attach");
	}
	free(err);
	free(path);
	free(line);
}

static bool have_attachment(struct ui *u, struct compose_view *cv)
{
	if (cv->lv.cur < compose_att_count(cv->c))
		return true;
	status_error(u, "There are no attachments.");
	return false;
}

static void op_detach(struct ui *u, struct view *v)
{
	struct compose_view *cv = cv_of(v);
	if (!have_attachment(u, cv))
		return;
	compose_detach(cv->c, cv->lv.cur);
	cv->lv.count = compose_att_count(cv->c);
	lv_set_cur(&cv->lv, cv->lv.cur);
	changed(u, cv);
}

static void op_rename(struct ui *u, struct view *v)
{
	struct compose_view *cv = cv_of(v);
	struct compose_att_info a;
	if (!have_attachment(u, cv) || !compose_att_info(cv->c, cv->lv.cur, &a))
		return;
	char *line = prompt_line(u, "Send the file as: ", a.name ? a.name : "", HIST_FILE, COMPLETE_NONE);
	if (line && *line && compose_att_rename(cv->c, cv->lv.cur, line))
		changed(u, cv);
	else if (line && *line)
		status_error(u, "Not a usable file name.");
	free(line);
}

static void op_crypt_menu(struct ui *u, struct view *v)
{
	compose_crypt_menu(u, &cv_of(v)->crypt);
}

static void op_attach_key(struct ui *u, struct view *v)
{
	struct compose_view *cv = cv_of(v);
	if (!compose_crypt_attach_key(u, cv->c))
		return;
	cv->lv.count = compose_att_count(cv->c);
	lv_set_cur(&cv->lv, cv->lv.count - 1);
	changed(u, cv);
}

static const struct op compose_ops[] = {
	{ "send-message", op_send },
	{ "postpone-message", op_postpone },
	{ "edit-message", op_edit },
	{ "attach-file", op_attach },
	{ "detach-file", op_detach },
	{ "rename-attachment", op_rename },
	{ "edit-to", op_edit_to },
	{ "edit-cc", op_edit_cc },
	{ "edit-bcc", op_edit_bcc },
	{ "edit-subject", op_edit_subject },
	{ "edit-from", op_edit_from },
	{ "edit-reply-to", op_edit_reply_to },
	{ "ispell", op_ispell },
	{ "edit-fcc", op_edit_fcc },
	{ "pgp-menu", op_crypt_menu },
	{ "pgp-attach-key", op_attach_key },
	{ "exit", op_abort },
	{ NULL, NULL },
};

static const struct view_class compose_class = {
	.name = "compose",
	.menus = { MENU_COMPOSE, 0, 0 },
	.ops = compose_ops,
	.draw = compose_draw,
	.destroy = compose_destroy,
	.list = compose_list,
	.status = compose_status,
	.search_text = compose_search_text,
	.helpbar = compose_helpbar,
};

const char *compose_view_outbox_id(const struct view *v)
{
	return v && v->cls == &compose_class ? ((const struct compose_view *)v)->origin.outbox_id : NULL;
}

struct view *compose_view_new(struct ui *u, compose_t *c, char *edit_file, bool file_ahead,
			      struct compose_origin *origin, const char *fcc)
{
	struct compose_view *cv = xcalloc(1, sizeof(*cv));
	cv->base.cls = &compose_class;
	if (origin) {
		cv->origin = *origin;
		*origin = (struct compose_origin){ 0 };
	}
	cv->c = c;
	cv->edit_file = edit_file;
	cv->file_ahead = file_ahead;
	if (fcc) {
		cv->fcc = xstrdup(fcc);
	} else {
		/* the account's record folder, as the sender would choose it */
		cv->fcc = compose_record_folder(u);
	}
	compose_hooked_take(u, c, cv->fcc, &cv->hooked);
	cv->lv.count = compose_att_count(c);
	/* a recalled draft that was stored encrypted stays encrypted */
	compose_crypt_init(u, &cv->crypt, compose_orig_path(c) ? compose_orig_path(c) : cv->origin.draft_file);
	return &cv->base;
}
