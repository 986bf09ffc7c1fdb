/* attach.h - the attachments of a message (save, view, mailcap, pipe). */
#ifndef MUTTLIKE_UI_ATTACH_H
#define MUTTLIKE_UI_ATTACH_H

struct ui;
struct view;

struct view *attach_view_new(struct ui *u, const char *file);

#endif
