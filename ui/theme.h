/* theme.h - colours: the theme file, `color` lines, NO_COLOR. */
#ifndef MUTTLIKE_UI_THEME_H
#define MUTTLIKE_UI_THEME_H

#include "conf.h"
#include "draw.h"

typedef struct theme theme_t;

/* The objects of `color` (conf.c checks the same names). */
#define COLOR_OBJECTS(X)                                                                             \
	X(normal) X(indicator) X(status) X(message) X(error) X(prompt) X(tree) X(index) X(index_date) \
	X(index_from) X(index_subject) X(index_flags) X(index_tags) X(index_unread) X(index_flagged)   \
	X(index_deleted) X(index_replied) X(sidebar) X(sidebar_highlight) X(sidebar_unread)            \
	X(sidebar_divider) X(header) X(header_name) X(body) X(quoted) X(quoted1) X(quoted2) X(quoted3) \
	X(quoted4) X(signature) X(url) X(attachment) X(search) X(markers) X(tilde) X(help) X(offline)
enum color_obj {
#define CO_ENUM(name) CO_##name,
	COLOR_OBJECTS(CO_ENUM)
#undef CO_ENUM
	CO_COUNT
};
theme_t *theme_new(const conf_t *c);
void theme_free(theme_t **t);
attr_t theme_attr(const theme_t *t, enum color_obj o);
/* attr of the first `color index ... REGEX` that matches text, or 0. */
attr_t theme_index_regex(const theme_t *t, const char *text);
/* Body regex highlights: first match at or after s; true with its span. */
bool theme_body_regex(const theme_t *t, const char *s, size_t *start, size_t *len, attr_t *attr);
/* Describe what the terminal gave us ("256 colours", "mono (NO_COLOR)"). */
const char *theme_describe(const theme_t *t);
/* Problems while loading the theme file (new string, or NULL). */
char *theme_problem(const theme_t *t);

#endif
