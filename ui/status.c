/* status.c - the message line, the help bar on the top row and the status
 * line; see status.h. */
#include "status.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "keymap.h"
#include "log.h"
#include "text.h"
#include "theme.h"
#include "uistate.h"
#include "view.h"

static void set_msg(struct ui *u, bool error, const char *fmt, va_list ap)
{
	free(u->msg);
	char *raw = xvasprintf(fmt, ap);
	u->msg = text_sanitize(raw, strlen(raw), false); /* like every message printed */
	free(raw);
	u->msg_error = error;
	if (error)
		log_info("ui: %s", u->msg);
}

void status_message(struct ui *u, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_msg(u, false, fmt, ap);
	va_end(ap);
}

void status_error(struct ui *u, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_msg(u, true, fmt, ap);
	va_end(ap);
}

/* Short words for the top row; the help screen has the full names. */
static const char *helpbar_label(const char *fn)
{
	static const char *const labels[][2] = {
		{ "quit", "Quit" },          { "exit", "Exit" },           { "display-message", "Open" },
		{ "select-entry", "Open" },  { "delete-message", "Del" },  { "save-message", "Move" },
		{ "vfolder-from-query", "Search" }, { "change-folder", "Folder" }, { "help", "Help" },
		{ "reply", "Reply" },        { "view-attachments", "Attach" }, { "view-urls", "Links" },
		{ "next-entry", "Next" },    { "previous-entry", "Prev" }, { "save-entry", "Save" },
		{ "save-all", "SaveAll" },   { "view-attach", "View" },    { "view-mailcap", "Mailcap" },
		{ "pipe-entry", "Pipe" },    { "collapse-thread", "Fold" }, { "collapse-all", "FoldAll" },
		{ "search", "Find" },        { "toggle-new", "Unread" },   { "flag-message", "Flag" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(labels); i++)
		if (strcmp(labels[i][0], fn) == 0)
			return labels[i][1];
	return fn;
}

void status_draw_helpbar(struct ui *u, struct view *v)
{
	attr_t a = theme_attr(u->th, CO_status);
	draw_fill(0, 0, COLS, a);
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; v->cls->helpbar && v->cls->helpbar[i]; i++) {
		const char *k = keymap_key_for(u->km, v->cls->menus, v->cls->helpbar[i]);
		if (!k)
			continue;
		strbuf_addf(&b, "%s:%s  ", k, helpbar_label(v->cls->helpbar[i]));
	}
	draw_text(0, 0, COLS, b.s ? b.s : "", a);
	strbuf_free(&b);
}

static void draw_status_line(struct ui *u, struct view *v)
{
	attr_t a = theme_attr(u->th, CO_status);
	int y = LINES - 2;
	draw_fill(y, 0, COLS, a);
	struct strbuf b;
	strbuf_init(&b);
	if (v->cls->status)
		v->cls->status(u, v, &b);
	else
		strbuf_addf(&b, "-- muttlike: %s", v->cls->name);
	int used = draw_text(y, 0, COLS, b.s ? b.s : "", a);
	strbuf_reset(&b);
	/* the sync state, then " outbox: N " while messages wait */
	for (size_t i = 0; i < u->nsources; i++)
		if (u->sources[i].status)
			u->sources[i].status(u, u->sources[i].data, &b);
	if (b.len) {
		/* why the account is offline matters more than the end of the
		 * view's status: it may cover that, up to the middle */
		int w = text_width(b.s, b.len);
		int x = COLS - w > used ? COLS - w : used < COLS / 2 ? used : COLS / 2;
		if (x < COLS)
			draw_text(y, x, COLS - x, b.s, theme_attr(u->th, CO_offline));
	}
	strbuf_free(&b);
}

void status_draw(struct ui *u, struct view *v)
{
	if (v)
		draw_status_line(u, v);
	if (u->msg)
		draw_text(LINES - 1, 0, COLS, u->msg, theme_attr(u->th, u->msg_error ? CO_error : CO_message));
}
