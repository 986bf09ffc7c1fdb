/* keys.c - see keys.h. */
#include "keys.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"
#include "util.h"

static const struct fn_def functions[] = {
#define FN(name, menus, doc) { #name, (menus), doc },
#include "functions.def"
#undef FN
};

static const struct {
	const char *name;
	unsigned bit;
} menus[] = {
	{ "generic", MENU_GENERIC }, { "index", MENU_INDEX },     { "pager", MENU_PAGER },
	{ "thread", MENU_THREAD },   { "attach", MENU_ATTACH },   { "compose", MENU_COMPOSE },
	{ "sidebar", MENU_SIDEBAR }, { "browser", MENU_BROWSER }, { "editor", MENU_EDITOR },
	{ "outbox", MENU_OUTBOX },
};

unsigned keys_menu_bit(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(menus); i++)
		if (strcmp(menus[i].name, name) == 0)
			return menus[i].bit;
	return 0;
}

const char *keys_menu_name(unsigned bit)
{
	for (size_t i = 0; i < ARRAY_SIZE(menus); i++)
		if (menus[i].bit == bit)
			return menus[i].name;
	return "?";
}

const char *keys_menu_names(void)
{
	return "generic, index, pager, thread, attach, compose, sidebar, browser, editor, outbox";
}

const struct fn_def *keys_functions(size_t *count)
{
	*count = ARRAY_SIZE(functions);
	return functions;
}

const struct fn_def *keys_function(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(functions); i++)
		if (strcmp(functions[i].name, name) == 0)
			return &functions[i];
	return NULL;
}

static const struct {
	const char *name;
	int code;
} named_keys[] = {
	{ "Up", KEYCODE_UP },
	{ "Down", KEYCODE_DOWN },
	{ "Left", KEYCODE_LEFT },
	{ "Right", KEYCODE_RIGHT },
	{ "PageUp", KEYCODE_PAGEUP },
	{ "PageDown", KEYCODE_PAGEDOWN },
	{ "Home", KEYCODE_HOME },
	{ "End", KEYCODE_END },
	{ "Insert", KEYCODE_INSERT },
	{ "Delete", KEYCODE_DELETE },
	{ "Backspace", KEYCODE_BACKSPACE },
	{ "BackTab", KEYCODE_BACKTAB },
	{ "KeypadEnter", KEYCODE_ENTER },
	{ "Enter", '\r' },
	{ "Return", '\r' },
	{ "Tab", '\t' },
	{ "Space", ' ' },
	{ "Esc", 27 },
};

/* Decode one UTF-8 sequence at *p; advance; -1 on invalid input (a
 * surrogate is taken, a code point past U+10FFFF is not). */
static int utf8_next(const char **p)
{
	uint32_t c;
	size_t n = utf8_decode(*p, strlen(*p), &c);
	if (!n || c > 0x10FFFF)
		return -1;
	*p += n;
	return (int)c;
}

/* Parse "<Name>" at *p (p points at '<'); -1 if not a known name. */
static int parse_named(const char **p, bool allow_functions)
{
	const char *end = strchr(*p, '>');
	if (!end)
		return -1;
	size_t len = (size_t)(end - *p - 1);
	const char *name = *p + 1;
	for (size_t i = 0; i < ARRAY_SIZE(named_keys); i++) {
		if (strlen(named_keys[i].name) == len && strncasecmp(name, named_keys[i].name, len) == 0) {
			*p = end + 1;
			return named_keys[i].code;
		}
	}
	if (allow_functions) {
		for (size_t i = 0; i < ARRAY_SIZE(functions); i++) {
			if (strlen(functions[i].name) == len && strncmp(name, functions[i].name, len) == 0) {
				*p = end + 1;
				return KEYCODE_FUNCTION + (int)i;
			}
		}
	}
	if ((name[0] == 'F' || name[0] == 'f') && len >= 2 && len <= 3) {
		long n;
		char *num = xstrndup(name + 1, len - 1);
		bool ok = util_parse_long(num, 1, 24, &n);
		free(num);
		if (ok) {
			*p = end + 1;
			return KEYCODE_F0 + (int)n;
		}
	}
	return -1;
}

/* Control code for the letter after ^ or \C; -1 if none. */
static int ctrl_of(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 1;
	if (c >= '@' && c <= '_')
		return c - '@';
	if (c == '?')
		return 127;
	return -1;
}

static int *parse_keys(const char *spec, size_t *n, char **err, bool allow_functions)
{
	size_t cap = strlen(spec) + 1, len = 0;
	int *out = xcalloc(cap, sizeof(*out));
	const char *p = spec;
	*err = NULL;
	while (*p) {
		int code;
		if (*p == '<' && p[1] && p[1] != '>') {
			const char *q = p;
			code = parse_named(&q, allow_functions);
			if (code < 0) {
				const char *end = strchr(p, '>');
				if (end) {
					*err = xasprintf("unknown key name %.*s", (int)(end - p + 1), p);
					goto fail;
				}
				code = '<';
				p++;
			} else {
				p = q;
			}
		} else if (*p == '^' && p[1]) {
			code = ctrl_of(p[1]);
			if (code < 0) {
				*err = xasprintf("bad control key ^%c", p[1]);
				goto fail;
			}
			p += 2;
		} else if (*p == '\\' && p[1]) {
			char e = p[1];
			p += 2;
			if (e == 'C' || e == 'c') {
				if (!*p || (code = ctrl_of(*p)) < 0) {
					*err = xstrdup("\\C must be followed by a letter");
					goto fail;
				}
				p++;
			} else if (e == 'e') {
				code = 27;
			} else if (e == 'n') {
				code = '\n';
			} else if (e == 'r') {
				code = '\r';
			} else if (e == 't') {
				code = '\t';
			} else {
				code = (unsigned char)e;
			}
		} else {
			code = utf8_next(&p);
			if (code < 0) {
				*err = xstrdup("key is not valid UTF-8");
				goto fail;
			}
		}
		out[len++] = code;
	}
	if (len == 0) {
		*err = xstrdup("empty key");
		goto fail;
	}
	*n = len;
	return out;
fail:
	free(out);
	return NULL;
}

int *keys_parse(const char *spec, size_t *n, char **err)
{
	return parse_keys(spec, n, err, false);
}

int *keys_parse_macro(const char *spec, size_t *n, char **err)
{
	return parse_keys(spec, n, err, true);
}

char *keys_name(int code)
{
	if (code >= KEYCODE_FUNCTION && (size_t)(code - KEYCODE_FUNCTION) < ARRAY_SIZE(functions))
		return xasprintf("<%s>", functions[code - KEYCODE_FUNCTION].name);
	for (size_t i = 0; i < ARRAY_SIZE(named_keys); i++)
		if (named_keys[i].code == code && code > 127)
			return xasprintf("<%s>", named_keys[i].name);
	if (code > KEYCODE_F0 && code < KEYCODE_LAST)
		return xasprintf("<F%d>", code - KEYCODE_F0);
	switch (code) {
	case '\r': return xstrdup("<Enter>");
	case '\t': return xstrdup("<Tab>");
	case ' ': return xstrdup("<Space>");
	case 27: return xstrdup("<Esc>");
	case 127: return xstrdup("^?");
	default: break;
	}
	if (code >= 0 && code < 32)
		return xasprintf("^%c", code + '@');
	if (code < 0 || code > 0x10FFFF)
		return xstrdup("<?>");
	struct strbuf b;
	strbuf_init(&b);
	utf8_put(&b, (uint32_t)code);
	return strbuf_detach(&b);
}
