/* conf.h - the rc language and the typed option table.
 *
 * A conf_t holds every option's value (globally and per account), the
 * key bindings, macros, colours and saved searches read from rc files,
 * and the list of problems found while reading them.  Loading never stops
 * at the first error: a bad line is reported as "file:line: what" and the
 * rest is read, so the reader can start with what parsed.
 *
 * All strings returned point into the conf_t and live as long as it does.
 */
#ifndef MUTTLIKE_CONF_H
#define MUTTLIKE_CONF_H

#include <stdbool.h>
#include <stddef.h>

enum opt_type { OPT_BOOL, OPT_NUM, OPT_STR, OPT_PATH, OPT_ENUM, OPT_URL, OPT_QUAD };
enum opt_scope { OPT_GLOBAL, OPT_ACCOUNT };
enum quad { QUAD_NO, QUAD_YES, QUAD_ASK_NO, QUAD_ASK_YES };

enum opt_id {
#define OPT(name, type, scope, def, cons, doc) OPT_ID_##name,
#include "options.def"
#undef OPT
	OPT_COUNT
};

struct opt_def {
	const char *name;
	enum opt_type type;
	enum opt_scope scope;
	const char *def;        /* default, as written in an rc */
	const char *constraint; /* enum values "a|b", number range "min..max", url schemes */
	const char *doc;
};

/* The option table, OPT_COUNT entries, in options.def order. */
const struct opt_def *conf_options(void);
/* Look an option up by name; NULL if unknown. */
const struct opt_def *conf_option(const char *name);
const char *conf_type_name(enum opt_type t);

typedef struct conf conf_t;

struct conf_binding {
	char *menu;     /* index, pager, ... (one menu per entry) */
	char *key;      /* as written, e.g. "<Esc>v" */
	int *keys;      /* parsed key codes, see keys.h; nkeys entries */
	size_t nkeys;
	char *function; /* for bind */
	char *macro;    /* for macro: the keys to replay (as written) */
	char *desc;     /* optional macro description */
	char *file;     /* where it was defined */
	int line;
};

struct conf_color {
	char *object;
	int attrs;      /* COLOR_ATTR_* bits */
	int fg, bg;     /* -1 default, 0..255 */
	char *regex;    /* NULL unless given */
	char *file;
	int line;
};

enum { COLOR_ATTR_BOLD = 1, COLOR_ATTR_UNDERLINE = 2, COLOR_ATTR_REVERSE = 4,
       COLOR_ATTR_DIM = 8, COLOR_ATTR_ITALIC = 16, COLOR_ATTR_BLINK = 32 };

struct conf_search {
	char *name;
	char *query;
};

conf_t *conf_new(void);
void conf_free(conf_t **c);

/* Read a file and everything it sources.  Returns the number of errors
 * this call added (0: clean). */
size_t conf_load_file(conf_t *c, const char *path);
/* Read rc text held in memory; name is used in error messages and as the
 * base for relative `source` paths (its directory). */
size_t conf_load_string(conf_t *c, const char *name, const char *text);
/* Run one rc command at run time (the UI's ":set ..." prompt). */
size_t conf_command(conf_t *c, long account, const char *line);

/* Errors as "file:line: message", in the order found, already passed
 * through text_sanitize() (a config's bytes never reach a terminal raw). */
size_t conf_error_count(const conf_t *c);
const char *conf_error(const conf_t *c, size_t i);
/* The errors as they are printed: fn gets each line, but of a run of
 * errors from one file only the first max_run, then one line
 * "... and N more errors in FILE".  Every line is sanitized. */
#define CONF_REPORT_MAX_RUN 10
void conf_report_errors(const conf_t *c, size_t max_run, void (*fn)(const char *line, void *ud), void *ud);
/* Warnings (e.g. a world-readable file holding imap_pass), sanitized. */
size_t conf_warning_count(const conf_t *c);
const char *conf_warning(const conf_t *c, size_t i);

/* Accounts in the order first seen. */
size_t conf_account_count(const conf_t *c);
const char *conf_account_name(const conf_t *c, size_t i);
/* Index of the account named name, or -1. */
long conf_account_find(const conf_t *c, const char *name);

/* Typed getters.  account is an index from conf_account_count() or -1 for
 * the global value; for an ACCOUNT option -1 gives the value set before the
 * first account line (the default for all). */
const char *conf_str(const conf_t *c, long account, enum opt_id id);
bool conf_bool(const conf_t *c, long account, enum opt_id id);
long conf_num(const conf_t *c, long account, enum opt_id id);
/* Index into the option's enum constraint list. */
int conf_enum(const conf_t *c, long account, enum opt_id id);
enum quad conf_quad(const conf_t *c, long account, enum opt_id id);
/* Path options with ~ and $VAR expanded (new string, caller frees). */
char *conf_path(const conf_t *c, long account, enum opt_id id);
/* True when the option was set explicitly in the rc (not the default). */
bool conf_is_set(const conf_t *c, long account, enum opt_id id);

/* Set an option's value the way `set` in an rc would; on a bad value
 * returns false and *err gets a one-line message (caller frees). */
bool conf_set(conf_t *c, long account, const char *name, const char *value, char **err);

size_t conf_binding_count(const conf_t *c);
const struct conf_binding *conf_binding(const conf_t *c, size_t i);
size_t conf_color_count(const conf_t *c);
const struct conf_color *conf_color(const conf_t *c, size_t i);
size_t conf_search_count(const conf_t *c);
const struct conf_search *conf_search(const conf_t *c, size_t i);

/* Pick the rc to read: explicit (from -F) if given, else
 * $XDG_CONFIG_HOME/muttlike/muttlike.rc, ~/.config/muttlike/muttlike.rc,
 * ~/.muttlikerc, the first that exists.  Returns a new string, or NULL
 * when none exists (explicit is returned even if missing, so that the
 * caller reports it). */
char *conf_find_file(const char *explicit_path);

/* The data directory: data_dir if set, else $XDG_DATA_HOME/muttlike or
 * ~/.local/share/muttlike.  New string. */
char *conf_data_dir(const conf_t *c);

/* The power-user tables the rc fills (lent, live as long as c):
 * aliases (`alias`, `unalias`, alias_file), hooks (`*-hook`, `unhook`),
 * and the mailing-list regexes (`lists`/`subscribe`, NULL-terminated). */
struct alias_table;
struct hooks;
struct alias_table *conf_aliases(const conf_t *c);
const struct hooks *conf_hooks(const conf_t *c);
const char *const *conf_lists(const conf_t *c);
const char *const *conf_subscribed(const conf_t *c);
/* mutt's my_hdr headers ("Name: value", no control characters), the
 * `mailboxes` folder names and the `auto_view` types (NULL-terminated). */
const char *const *conf_my_hdr(const conf_t *c);
const char *const *conf_mailboxes(const conf_t *c);
const char *const *conf_auto_view(const conf_t *c);

/* Notices of rc lines muttlike let pass ("file:line: mutt's sort_aux
 * means nothing in muttlike: ignored") read before the log was open, for
 * the caller to log; once it is open they go straight to it. */
size_t conf_notice_count(const conf_t *c);
const char *conf_notice(const conf_t *c, size_t i);

#endif
