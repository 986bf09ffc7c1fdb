/* listview.h - the list shared by index, thread, sidebar, attachments,
 * help, URLs: cursor, scrolling, movement ops, "/" search. */
#ifndef MUTTLIKE_UI_LISTVIEW_H
#define MUTTLIKE_UI_LISTVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "view.h"

struct listview {
	size_t cur, top, count;
	int rows; /* visible rows, set by the owner before drawing */
};
typedef void (*lv_row_fn)(struct ui *u, void *ctx, size_t i, int y, int x, int w, bool selected);
void lv_draw(struct ui *u, struct listview *lv, int y, int x, int w, int h, lv_row_fn row, void *ctx);
void lv_set_cur(struct listview *lv, size_t i);
extern const struct op lv_ops[];
/* Generic "/" over a list using the class's search_text. */
void lv_search(struct ui *u, struct view *v, bool forward, bool again);
/* What the user typed at a query prompt as a notmuch query: mutt patterns
 * translated (pattern.h), notmuch syntax as is; NULL after saying on the
 * message line what is not supported. */
char *ui_pattern_query(struct ui *u, const char *typed);

#endif
