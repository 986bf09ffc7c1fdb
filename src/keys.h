/* keys.h - menus, bindable functions and key sequences, without curses.
 *
 * Keys are ints: a Unicode code point for printable and control keys
 * (Ctrl-A is 1, Esc is 27), or one of the KEYCODE_* values below for
 * special keys.  The UI maps curses' KEY_* to these.
 */
#ifndef MUTTLIKE_KEYS_H
#define MUTTLIKE_KEYS_H

#include <stdbool.h>
#include <stddef.h>

enum menu_bit {
	MENU_GENERIC = 1 << 0,
	MENU_INDEX = 1 << 1,
	MENU_PAGER = 1 << 2,
	MENU_THREAD = 1 << 3,
	MENU_ATTACH = 1 << 4,
	MENU_COMPOSE = 1 << 5,
	MENU_SIDEBAR = 1 << 6,
	MENU_BROWSER = 1 << 7,
	MENU_EDITOR = 1 << 8,
	MENU_OUTBOX = 1 << 9,
	MENU_ALL = (1 << 10) - 1,
};

/* Menu bit for a name ("index", "pager", ...), 0 if unknown. */
unsigned keys_menu_bit(const char *name);
/* Comma-separated list of menu names, for error messages. */
const char *keys_menu_names(void);
const char *keys_menu_name(unsigned bit);

enum keycode {
	KEYCODE_BASE = 0x110000, /* above every code point */
	KEYCODE_UP,
	KEYCODE_DOWN,
	KEYCODE_LEFT,
	KEYCODE_RIGHT,
	KEYCODE_PAGEUP,
	KEYCODE_PAGEDOWN,
	KEYCODE_HOME,
	KEYCODE_END,
	KEYCODE_INSERT,
	KEYCODE_DELETE,
	KEYCODE_BACKSPACE,
	KEYCODE_BACKTAB,
	KEYCODE_ENTER,  /* keypad enter; Return is '\r' */
	KEYCODE_RESIZE,
	KEYCODE_F0,     /* KEYCODE_F0 + n is Fn, n in 1..24 */
	KEYCODE_LAST = KEYCODE_F0 + 25,
	/* In a macro, "<function-name>" runs that function: KEYCODE_FUNCTION + its index in keys_functions(). */
	KEYCODE_FUNCTION = 0x120000,
};

struct fn_def {
	const char *name;
	unsigned menus;
	const char *doc;
};

const struct fn_def *keys_functions(size_t *count);
const struct fn_def *keys_function(const char *name);

/* Parse a key sequence as written in an rc: plain characters, \Cx or ^x for
 * control keys, \e or <Esc>, <Enter> <Return> <Tab> <BackTab> <Space>
 * <Up> <Down> <Left> <Right> <PageUp> <PageDown> <Home> <End> <Insert>
 * <Delete> <Backspace> <F1>..<F24>, \n \r \t, and UTF-8 text.
 * Returns a new array of *n codes, or NULL with *err (caller frees). */
int *keys_parse(const char *spec, size_t *n, char **err);
/* The same for a macro's key sequence, which may also name functions as
 * "<function-name>" (mutt's macro syntax). */
int *keys_parse_macro(const char *spec, size_t *n, char **err);
/* Render one key code the way keys_parse reads it ("<Up>", "^X", "j"). */
char *keys_name(int code);

#endif
