/* keymap.h - key bindings: key sequence → function name or macro, per menu. */
#ifndef MUTTLIKE_UI_KEYMAP_H
#define MUTTLIKE_UI_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

typedef struct keymap keymap_t;

keymap_t *keymap_new(const conf_t *c, char **problem);
void keymap_free(keymap_t **km);
enum km_result { KM_NONE, KM_PREFIX, KM_FUNCTION, KM_MACRO, KM_AMBIGUOUS };
/* Look up a key sequence in menu (then generic). */
enum km_result keymap_lookup(const keymap_t *km, const unsigned *menus, const int *keys, size_t n,
			     const char **fn, const char **macro);
/* Bindings of a menu (+ generic), for the help screen and the help bar:
 * calls fn for each effective binding, menu's own first. */
typedef void (*keymap_each_fn)(const char *key, const char *function, const char *macro, const char *desc,
			       void *ud);
void keymap_each(const keymap_t *km, const unsigned *menus, keymap_each_fn fn, void *ud);
/* The first key bound to function in menus, as written (or NULL). */
const char *keymap_key_for(const keymap_t *km, const unsigned *menus, const char *function);
/* Map a curses key to a keys.h code. */
int keymap_from_curses(int ch, bool is_keycode);
/* Where keymaps/ and themes/ live: first existing of the config dir,
 * MUTTLIKE_DATADIR and the binary's tree.  New string or NULL. */
char *ui_find_data_file(const char *subdir, const char *name);

#endif
