/* outbox_view.h - the current account's outbox screen (view-outbox). */
#ifndef MUTTLIKE_UI_OUTBOX_VIEW_H
#define MUTTLIKE_UI_OUTBOX_VIEW_H

struct ui;
struct view;

/* It follows the sender through its class's outbox_changed hook
 * (ui_outbox_changed). */
struct view *outbox_view_new(struct ui *u);

#endif
