/* invite.h - answering a calendar invitation (text/calendar
 * METHOD:REQUEST, src/calendar.h): accept, tentative, decline send the
 * RFC 5546 REPLY to the organizer through the outbox. */
#ifndef MUTTLIKE_UI_INVITE_H
#define MUTTLIKE_UI_INVITE_H

struct ui;
struct view;

void invite_op_accept(struct ui *u, struct view *v);
void invite_op_tentative(struct ui *u, struct view *v);
void invite_op_decline(struct ui *u, struct view *v);

#endif
