/* pager.h - the pager: a message (mime rendering, wrapping, colours,
 * search, links) or a page of text. */
#ifndef MUTTLIKE_UI_PAGER_H
#define MUTTLIKE_UI_PAGER_H

struct ui;
struct view;

/* nav: the list the pager steps through with next/previous-entry */
struct view *pager_view_new(struct ui *u, const char *file, const char *msgid);
/* Open a text page in a pager (help texts, piped output); takes text. */
struct view *pager_view_text(struct ui *u, const char *title, char *text);

#endif
