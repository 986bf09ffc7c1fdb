/* lists.h - mailing-list functions from the current message's List-*
 * headers (RFC 2369, RFC 8058; src/listhdr.h): list-unsubscribe,
 * list-subscribe, list-post, list-help. */
#ifndef MUTTLIKE_UI_LISTS_H
#define MUTTLIKE_UI_LISTS_H

struct ui;
struct view;

void lists_op_unsubscribe(struct ui *u, struct view *v);
void lists_op_subscribe(struct ui *u, struct view *v);
void lists_op_post(struct ui *u, struct view *v);
void lists_op_help(struct ui *u, struct view *v);

#endif
