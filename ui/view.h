/* view.h - a view: a screen on the reader's stack (index, thread, pager,
 * attachments, help, URLs, outbox, compose screen).
 *
 * Each view class names the menus its keys come from and a NULL-terminated
 * table of { function name, handler }; the main loop (ui.c) resolves a key
 * sequence to a function name through the keymap and runs the first
 * handler found in the view's table, then the list-movement table (if the
 * view has a list), then the global table.  Everything else the loop needs
 * from a view it asks through the class's hooks. */
#ifndef MUTTLIKE_UI_VIEW_H
#define MUTTLIKE_UI_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct ui;
struct view;
struct listview;

typedef void (*op_fn)(struct ui *u, struct view *v);
struct op {
	const char *name;
	op_fn fn;
};

struct view_class {
	const char *name;
	unsigned menus[3];  /* key lookup order (0-terminated); generic always last */
	const struct op *ops;
	void (*draw)(struct ui *u, struct view *v);
	void (*destroy)(struct view *v);
	/* optional */
	struct listview *(*list)(struct view *v);
	void (*status)(struct ui *u, struct view *v, struct strbuf *b);
	bool (*idle)(struct ui *u, struct view *v); /* did a slice of background work (draw, call again)? */
	void (*store_changed)(struct ui *u, struct view *v);
	void (*click)(struct ui *u, struct view *v, int y, int x);
	void (*search_text)(struct view *v, size_t i, struct strbuf *b); /* text of entry i for / */
	/* "/" with a mutt pattern (~f ...): move to the next row matching the
	 * notmuch query, or say why not */
	void (*search_query)(struct ui *u, struct view *v, const char *query, bool forward);
	const char *const *helpbar; /* functions shown on the top row, NULL-terminated */
	/* the pager asks the view it was opened from for the next/previous message */
	/* dir: +1/-1 the next/previous entry, NAV_NEXT_UNREAD/NAV_PREV_UNREAD
	 * the next/previous unread message */
	bool (*nav)(struct ui *u, struct view *v, int dir, char **file, char **msgid);
	/* Message-IDs an action applies to: the current entry, or the selected
	 * ones when tag-prefix is on (new array of new strings) */
	char **(*targets)(struct ui *u, struct view *v, size_t *n);
	/* the notmuch query of the folder shown (the sync fetches it first) */
	const char *(*query)(struct view *v);
	/* the outbox changed (the sender did something, a message was taken
	 * out to edit): reload what shows it */
	void (*outbox_changed)(struct ui *u, struct view *v);
};

/* How to open each kind of view: registered in struct ui (u->views) when
 * the reader starts.  A view opens another through this table, so no view
 * module calls another's constructor, and none depends on the views that
 * are opened from it. */
struct view_ops {
	struct view *(*index)(struct ui *u, const char *title, const char *query);
	struct view *(*thread)(struct ui *u, const char *thread_id, const char *query, const char *subject);
	struct view *(*pager)(struct ui *u, const char *file, const char *msgid);
	/* a text page (help texts, piped output); takes text */
	struct view *(*pager_text)(struct ui *u, const char *title, char *text);
	struct view *(*attach)(struct ui *u, const char *file);
	struct view *(*urls)(struct ui *u, char **urls, size_t n);
	struct view *(*help)(struct ui *u, const struct view *for_view);
	struct view *(*outbox)(struct ui *u);
};

#define NAV_NEXT_UNREAD 2
#define NAV_PREV_UNREAD (-2)

struct view {
	const struct view_class *cls;
	struct view *below; /* the view this one was opened from */
};

#endif
