/* theme.c - colours from themes/NAME.theme and the rc's `color` lines.
 *
 * The theme file is read into a private conf_t first, then the user's own
 * colours are laid over it.  256-colour values are folded to the nearest
 * of 16 or 8 on smaller terminals (bright colours become bold on 8);
 * NO_COLOR, theme = mono or a terminal without colour keep only the
 * attributes (bold, underline, reverse ...).
 */
#include "theme.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "draw.h"
#include "keymap.h"
#include "util.h"

struct rx_color {
	regex_t re;
	attr_t attr;
};

struct theme {
	attr_t attr[CO_COUNT];
	bool set[CO_COUNT];
	struct rx_color *index_rx, *body_rx;
	size_t nindex_rx, nbody_rx;
	short next_pair;
	int depth;    /* 256, 16, 8, or 0 for mono */
	bool no_color; /* NO_COLOR in the environment */
	char *problem;
};

static const char *const obj_names[] = {
#define CO_NAME(name) #name,
	COLOR_OBJECTS(CO_NAME)
#undef CO_NAME
};

static int obj_find(const char *name)
{
	for (int i = 0; i < CO_COUNT; i++)
		if (strcmp(obj_names[i], name) == 0)
			return i;
	return -1;
}

static void rgb_of(int c, int rgb[3])
{
	static const int base[16][3] = { { 0, 0, 0 },       { 205, 0, 0 },     { 0, 205, 0 },    { 205, 205, 0 },
					 { 0, 0, 238 },     { 205, 0, 205 },   { 0, 205, 205 },  { 229, 229, 229 },
					 { 127, 127, 127 }, { 255, 0, 0 },     { 0, 255, 0 },    { 255, 255, 0 },
					 { 92, 92, 255 },   { 255, 0, 255 },   { 0, 255, 255 },  { 255, 255, 255 } };
	static const int level[6] = { 0, 95, 135, 175, 215, 255 };
	if (c < 16) {
		memcpy(rgb, base[c], sizeof(base[c]));
	} else if (c < 232) {
		c -= 16;
		rgb[0] = level[c / 36];
		rgb[1] = level[(c / 6) % 6];
		rgb[2] = level[c % 6];
	} else {
		rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
	}
}

/* Nearest of the first n (16 or 8) colours. */
static int nearest(int c, int n)
{
	int a[3], best = 0;
	long bestd = -1;
	rgb_of(c, a);
	for (int i = 0; i < n; i++) {
		int b[3];
		rgb_of(i, b);
		long d = 0;
		for (int k = 0; k < 3; k++)
			d += (long)(a[k] - b[k]) * (a[k] - b[k]);
		if (bestd < 0 || d < bestd) {
			bestd = d;
			best = i;
		}
	}
	return best;
}

/* Fold colour c to the terminal's depth; *bold when bright became bold. */
static int fold(int c, int depth, bool *bold)
{
	if (c < 0 || depth >= 256)
		return c;
	if (depth >= 16)
		return c < 16 ? c : nearest(c, 16);
	if (c >= 16)
		c = nearest(c, 16);
	if (c >= 8) {
		*bold = true;
		c -= 8;
	}
	return c;
}

static attr_t attrs_of(int a)
{
	attr_t r = A_NORMAL;
	if (a & COLOR_ATTR_BOLD)
		r |= A_BOLD;
	if (a & COLOR_ATTR_UNDERLINE)
		r |= A_UNDERLINE;
	if (a & COLOR_ATTR_REVERSE)
		r |= A_REVERSE;
	if (a & COLOR_ATTR_DIM)
		r |= A_DIM;
	if (a & COLOR_ATTR_BLINK)
		r |= A_BLINK;
#ifdef A_ITALIC
	if (a & COLOR_ATTR_ITALIC)
		r |= A_ITALIC;
#endif
	return r;
}

static attr_t make_attr(theme_t *t, const struct conf_color *cc)
{
	attr_t a = attrs_of(cc->attrs);
	if (t->depth == 0 || (cc->fg < 0 && cc->bg < 0))
		return a;
	bool bold = false;
	int fg = fold(cc->fg, t->depth, &bold);
	bool ignore = false;
	int bg = fold(cc->bg, t->depth, &ignore);
	if (bold)
		a |= A_BOLD;
	if (t->next_pair >= COLOR_PAIRS)
		return a;
	short pair = t->next_pair++;
	init_pair(pair, (short)fg, (short)bg);
	return a | COLOR_PAIR(pair);
}

static void add_rx(struct rx_color **v, size_t *n, const char *re, attr_t a)
{
	regex_t r;
	if (regcomp(&r, re, REG_EXTENDED | REG_ICASE) != 0)
		return;
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].re = r;
	(*v)[*n].attr = a;
	(*n)++;
}

static void apply_colors(theme_t *t, const conf_t *c)
{
	for (size_t i = 0; i < conf_color_count(c); i++) {
		const struct conf_color *cc = conf_color(c, i);
		int o = obj_find(cc->object);
		if (o < 0)
			continue;
		attr_t a = make_attr(t, cc);
		if (cc->regex) {
			if (o == CO_index)
				add_rx(&t->index_rx, &t->nindex_rx, cc->regex, a);
			else if (o == CO_body)
				add_rx(&t->body_rx, &t->nbody_rx, cc->regex, a);
			continue;
		}
		t->attr[o] = a;
		t->set[o] = true;
	}
}

/* Read the theme file named by the theme option into its own conf. */
static conf_t *load_theme_file(theme_t *t, const conf_t *c)
{
	const char *name = t->no_color ? "mono" : conf_str(c, -1, OPT_ID_theme);
	if (!name || !*name)
		return NULL;
	char *path = strchr(name, '/') ? util_expand_path(name) : ui_find_data_file("themes", name);
	if (!path || access(path, R_OK) != 0) {
		t->problem = xasprintf("theme '%s' not found", name);
		free(path);
		return NULL;
	}
	conf_t *tc = conf_new();
	conf_load_file(tc, path);
	if (conf_error_count(tc))
		t->problem = xasprintf("%s", conf_error(tc, 0));
	free(path);
	return tc;
}

static void defaults(theme_t *t)
{
	t->attr[CO_indicator] = A_REVERSE;
	t->attr[CO_status] = A_REVERSE;
	t->attr[CO_sidebar_highlight] = A_REVERSE;
	t->attr[CO_index_unread] = A_BOLD;
	t->attr[CO_sidebar_unread] = A_BOLD;
	t->attr[CO_error] = A_BOLD;
	t->attr[CO_header_name] = A_BOLD;
	t->attr[CO_signature] = A_DIM;
	t->attr[CO_search] = A_REVERSE;
	t->attr[CO_url] = A_UNDERLINE;
	t->attr[CO_offline] = A_REVERSE;
}

theme_t *theme_new(const conf_t *c)
{
	theme_t *t = xcalloc(1, sizeof(*t));
	const char *nc = getenv("NO_COLOR");
	t->no_color = nc && *nc;
	t->next_pair = 1;
	defaults(t);
	if (!t->no_color && has_colors() && strcmp(conf_str(c, -1, OPT_ID_theme), "mono") != 0) {
		start_color();
		use_default_colors();
		t->depth = COLORS >= 256 ? 256 : COLORS >= 16 ? 16 : COLORS >= 8 ? 8 : 0;
	}
	conf_t *tc = load_theme_file(t, c);
	if (tc) {
		apply_colors(t, tc);
		conf_free(&tc);
	}
	if (!t->no_color)
		apply_colors(t, c);
	/* quoted levels fall back on the first level's colour */
	for (int o = CO_quoted1; o <= CO_quoted4; o++)
		if (!t->set[o])
			t->attr[o] = t->attr[o - 1];
	return t;
}

void theme_free(theme_t **pt)
{
	theme_t *t = *pt;
	if (!t)
		return;
	for (size_t i = 0; i < t->nindex_rx; i++)
		regfree(&t->index_rx[i].re);
	for (size_t i = 0; i < t->nbody_rx; i++)
		regfree(&t->body_rx[i].re);
	free(t->index_rx);
	free(t->body_rx);
	free(t->problem);
	free(t);
	*pt = NULL;
}

attr_t theme_attr(const theme_t *t, enum color_obj o)
{
	return t->attr[o];
}

attr_t theme_index_regex(const theme_t *t, const char *text)
{
	for (size_t i = 0; i < t->nindex_rx; i++)
		if (regexec(&t->index_rx[i].re, text, 0, NULL, 0) == 0)
			return t->index_rx[i].attr;
	return 0;
}

bool theme_body_regex(const theme_t *t, const char *s, size_t *start, size_t *len, attr_t *attr)
{
	bool found = false;
	for (size_t i = 0; i < t->nbody_rx; i++) {
		regmatch_t m;
		if (regexec(&t->body_rx[i].re, s, 1, &m, 0) != 0 || m.rm_eo <= m.rm_so)
			continue;
		if (!found || (size_t)m.rm_so < *start) {
			*start = (size_t)m.rm_so;
			*len = (size_t)(m.rm_eo - m.rm_so);
			*attr = t->body_rx[i].attr;
			found = true;
		}
	}
	return found;
}

const char *theme_describe(const theme_t *t)
{
	if (t->no_color)
		return "mono (NO_COLOR)";
	switch (t->depth) {
	case 256: return "256 colours";
	case 16: return "16 colours";
	case 8: return "8 colours";
	default: return "mono";
	}
}

char *theme_problem(const theme_t *t)
{
	return t->problem ? xstrdup(t->problem) : NULL;
}
