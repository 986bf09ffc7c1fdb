/* index.h - the index: threads (folded or open) or messages of a folder
 * or query, in columns from index_format. */
#ifndef MUTTLIKE_UI_INDEX_H
#define MUTTLIKE_UI_INDEX_H

#include <stdbool.h>
#include <stddef.h>

#include "mailview.h"
#include "theme.h"
#include "util.h"

struct ui;
struct view;

struct view *index_view_new(struct ui *u, const char *title, const char *query);
/* index.c: one index line, in columns from index_format, with colour runs */
struct fmt_seg {
	size_t off, len;
	enum color_obj obj;
};
struct fmt_line {
	struct strbuf text;
	struct fmt_seg seg[32];
	size_t nseg;
};
void index_format_line(struct ui *u, const struct mv_entry *e, size_t num, bool selected, bool thread_mode,
		       struct fmt_line *out);
void index_draw_line(struct ui *u, const struct mv_entry *e, size_t num, bool selected, bool thread_mode,
		     int y, int x, int w, bool cursor);
/* Draw the sidebar (when visible) and return the x where the list starts. */
int index_draw_sidebar(struct ui *u);
/* Columns the sidebar takes (not its divider), 0 when hidden. */
int index_sidebar_width(struct ui *u);
/* A click at (y, x) on the sidebar or its divider: handled (a folder
 * clicked is opened, which replaces the views); false elsewhere. */
bool index_click_sidebar(struct ui *u, int y, int x);

#endif
