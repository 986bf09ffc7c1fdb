/* outbox_view.h - the current account's outbox screen (view-outbox). */
#ifndef MUTTLIKE_UI_OUTBOX_VIEW_H
#define MUTTLIKE_UI_OUTBOX_VIEW_H

struct ui;
struct view;

struct view *outbox_view_new(struct ui *u);
/* Reload the outbox screen, if open, after the sender did something. */
void outbox_view_refresh(struct ui *u);

#endif
