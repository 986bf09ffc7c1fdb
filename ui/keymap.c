/* keymap.c - key bindings per menu, from keymaps/NAME.keys then the rc.
 *
 * The keymap file is read into a private conf_t, then the user's `bind`
 * and `macro` lines are laid over it; a later binding of the same keys in
 * the same menu replaces the earlier one.  Lookup walks the view's menus
 * in order and generic last, so `bind index q quit` beats
 * `bind generic q exit` in the index.
 */
#include "keymap.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "draw.h"
#include "keys.h"
#include "util.h"

#define NMENUS 10

struct kbind {
	int *keys;   /* owned */
	size_t n;
	char *key;   /* owned: as written */
	char *fn;    /* owned, or NULL for a macro */
	char *macro; /* owned */
	char *desc;  /* owned */
};

struct keymap {
	struct kbind *b[NMENUS];
	size_t n[NMENUS];
};

/* Used only when keymaps/mutt.keys cannot be found: enough to move,
 * open, get help and leave. */
static const char fallback_keys[] = "bind generic j next-entry\n"
				    "bind generic k previous-entry\n"
				    "bind generic <Down> next-entry\n"
				    "bind generic <Up> previous-entry\n"
				    "bind generic <Enter> select-entry\n"
				    "bind generic q exit\n"
				    "bind generic ? help\n"
				    "bind generic : enter-command\n"
				    "bind index q quit\n"
				    "bind index <Enter> display-message\n";

static int menu_slot(unsigned bit)
{
	for (int i = 0; i < NMENUS; i++)
		if (bit == (1u << i))
			return i;
	return -1;
}

static void add(keymap_t *km, const struct conf_binding *cb)
{
	int m = menu_slot(keys_menu_bit(cb->menu));
	if (m < 0 || cb->nkeys == 0)
		return;
	struct kbind *b = NULL;
	for (size_t i = 0; i < km->n[m]; i++)
		if (km->b[m][i].n == cb->nkeys && memcmp(km->b[m][i].keys, cb->keys, cb->nkeys * sizeof(int)) == 0)
			b = &km->b[m][i];
	if (b) {
		free(b->keys);
		free(b->key);
		free(b->fn);
		free(b->macro);
		free(b->desc);
	} else {
		km->b[m] = xreallocarray(km->b[m], km->n[m] + 1, sizeof(struct kbind));
		b = &km->b[m][km->n[m]++];
	}
	b->keys = xreallocarray(NULL, cb->nkeys, sizeof(int));
	memcpy(b->keys, cb->keys, cb->nkeys * sizeof(int));
	b->n = cb->nkeys;
	b->key = xstrdup(cb->key);
	b->fn = cb->function ? xstrdup(cb->function) : NULL;
	b->macro = cb->macro ? xstrdup(cb->macro) : NULL;
	b->desc = cb->desc ? xstrdup(cb->desc) : NULL;
}

static void add_all(keymap_t *km, const conf_t *c)
{
	for (size_t i = 0; i < conf_binding_count(c); i++)
		add(km, conf_binding(c, i));
}

static bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static char *try_dir(const char *dir, const char *subdir, const char *file)
{
	char *p = xasprintf("%s/%s/%s", dir, subdir, file);
	if (is_file(p))
		return p;
	free(p);
	return NULL;
}

char *ui_find_data_file(const char *subdir, const char *name)
{
	const char *ext = strcmp(subdir, "keymaps") == 0 ? ".keys" : ".theme";
	if (strchr(name, '/') || strstr(name, ".."))
		return NULL;
	char *file = xasprintf("%s%s", name, ext);
	char *found = NULL;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	char *cfg = xdg && *xdg ? xasprintf("%s/muttlike", xdg) : xasprintf("%s/.config/muttlike", util_home());
	found = try_dir(cfg, subdir, file);
	free(cfg);
	if (!found)
		found = try_dir(MUTTLIKE_DATADIR, subdir, file);
	/* running from the source tree: ./muttlike or build/san/muttlike */
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		for (int up = 0; up < 3 && !found; up++) {
			char *slash = strrchr(exe, '/');
			if (!slash)
				break;
			*slash = 0;
			found = try_dir(exe, subdir, file);
		}
	}
	free(file);
	return found;
}

keymap_t *keymap_new(const conf_t *c, char **problem)
{
	keymap_t *km = xcalloc(1, sizeof(*km));
	static const char *const names[] = { "mutt", "vim", "emacs" };
	const char *name = names[conf_enum(c, -1, OPT_ID_keymap)];
	char *path = ui_find_data_file("keymaps", name);
	conf_t *kc = conf_new();
	*problem = NULL;
	if (path) {
		conf_load_file(kc, path);
		if (conf_error_count(kc))
			*problem = xasprintf("%s", conf_error(kc, 0));
	} else {
		*problem = xasprintf("keymap %s.keys not found; using minimal bindings", name);
		conf_load_string(kc, "<built-in keys>", fallback_keys);
	}
	free(path);
	add_all(km, kc);
	conf_free(&kc);
	add_all(km, c);
	return km;
}

void keymap_free(keymap_t **pkm)
{
	keymap_t *km = *pkm;
	if (!km)
		return;
	for (int m = 0; m < NMENUS; m++) {
		for (size_t i = 0; i < km->n[m]; i++) {
			free(km->b[m][i].keys);
			free(km->b[m][i].key);
			free(km->b[m][i].fn);
			free(km->b[m][i].macro);
			free(km->b[m][i].desc);
		}
		free(km->b[m]);
	}
	free(km);
	*pkm = NULL;
}

/* The menus to search: the view's, then generic. */
static size_t menu_order(const unsigned *menus, int *slots)
{
	size_t n = 0;
	for (size_t i = 0; i < 3 && menus && menus[i]; i++) {
		int s = menu_slot(menus[i]);
		if (s >= 0 && s != menu_slot(MENU_GENERIC))
			slots[n++] = s;
	}
	/* the line editor must not see generic bindings such as j or q */
	if (!(menus && menus[0] == MENU_EDITOR))
		slots[n++] = menu_slot(MENU_GENERIC);
	return n;
}

enum km_result keymap_lookup(const keymap_t *km, const unsigned *menus, const int *keys, size_t n,
			     const char **fn, const char **macro)
{
	int slots[4];
	size_t ns = menu_order(menus, slots);
	const struct kbind *exact = NULL;
	bool longer = false;
	for (size_t s = 0; s < ns; s++) {
		int m = slots[s];
		for (size_t i = 0; i < km->n[m]; i++) {
			const struct kbind *b = &km->b[m][i];
			if (b->n < n || memcmp(b->keys, keys, n * sizeof(int)) != 0)
				continue;
			if (b->n == n) {
				if (!exact)
					exact = b;
			} else {
				longer = true;
			}
		}
	}
	if (!exact)
		return longer ? KM_PREFIX : KM_NONE;
	*fn = exact->fn;
	*macro = exact->macro;
	if (longer)
		return KM_AMBIGUOUS;
	return exact->fn ? KM_FUNCTION : KM_MACRO;
}

/* Is this binding shadowed by one of the same keys in an earlier menu? */
static bool shadowed(const keymap_t *km, const int *slots, size_t upto, const struct kbind *b)
{
	for (size_t s = 0; s < upto; s++)
		for (size_t i = 0; i < km->n[slots[s]]; i++) {
			const struct kbind *o = &km->b[slots[s]][i];
			if (o->n == b->n && memcmp(o->keys, b->keys, b->n * sizeof(int)) == 0)
				return true;
		}
	return false;
}

void keymap_each(const keymap_t *km, const unsigned *menus, keymap_each_fn fn, void *ud)
{
	int slots[4];
	size_t ns = menu_order(menus, slots);
	for (size_t s = 0; s < ns; s++)
		for (size_t i = 0; i < km->n[slots[s]]; i++) {
			const struct kbind *b = &km->b[slots[s]][i];
			if (b->fn && strcmp(b->fn, "noop") == 0)
				continue;
			if (!shadowed(km, slots, s, b))
				fn(b->key, b->fn, b->macro, b->desc, ud);
		}
}

const char *keymap_key_for(const keymap_t *km, const unsigned *menus, const char *function)
{
	int slots[4];
	size_t ns = menu_order(menus, slots);
	for (size_t s = 0; s < ns; s++)
		for (size_t i = 0; i < km->n[slots[s]]; i++) {
			const struct kbind *b = &km->b[slots[s]][i];
			if (b->fn && strcmp(b->fn, function) == 0 && !shadowed(km, slots, s, b))
				return b->key;
		}
	return NULL;
}

int keymap_from_curses(int ch, bool is_keycode)
{
	if (!is_keycode)
		return ch == 127 ? KEYCODE_BACKSPACE : ch;
	static const struct {
		int curses, code;
	} map[] = {
		{ KEY_UP, KEYCODE_UP },         { KEY_DOWN, KEYCODE_DOWN },       { KEY_LEFT, KEYCODE_LEFT },
		{ KEY_RIGHT, KEYCODE_RIGHT },   { KEY_PPAGE, KEYCODE_PAGEUP },    { KEY_NPAGE, KEYCODE_PAGEDOWN },
		{ KEY_HOME, KEYCODE_HOME },     { KEY_END, KEYCODE_END },         { KEY_IC, KEYCODE_INSERT },
		{ KEY_DC, KEYCODE_DELETE },     { KEY_BACKSPACE, KEYCODE_BACKSPACE }, { KEY_BTAB, KEYCODE_BACKTAB },
		{ KEY_ENTER, '\r' },            { KEY_RESIZE, KEYCODE_RESIZE },
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (map[i].curses == ch)
			return map[i].code;
	if (ch >= KEY_F(1) && ch <= KEY_F(24))
		return KEYCODE_F0 + (ch - KEY_F0);
	return -1;
}
