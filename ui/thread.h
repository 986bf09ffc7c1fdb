/* thread.h - the thread view (tree, folding). */
#ifndef MUTTLIKE_UI_THREAD_H
#define MUTTLIKE_UI_THREAD_H

struct ui;
struct view;

struct view *thread_view_new(struct ui *u, const char *thread_id, const char *query, const char *subject);

#endif
