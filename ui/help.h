/* help.h - the help screen from the live keymap; the links list. */
#ifndef MUTTLIKE_UI_HELP_H
#define MUTTLIKE_UI_HELP_H

#include <stddef.h>

struct ui;
struct view;

struct view *help_view_new(struct ui *u, const struct view *for_view);
struct view *urls_view_new(struct ui *u, char **urls, size_t n);

#endif
