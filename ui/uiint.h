/* uiint.h - what the reader's views share: the ui context, the view stack,
 * key → function name → op_* handler tables.
 *
 * A view is a screen on the stack (index, thread, pager, attachments,
 * help, URLs).  Each view class names the menus its keys come from and
 * a NULL-terminated table of { function name, handler }; the main loop
 * resolves a key sequence to a function name through the keymap and runs
 * the first handler found in the view's table, then the list-movement
 * table (if the view has a list), then the global table.
 */
#ifndef MUTTLIKE_UIINT_H
#define MUTTLIKE_UIINT_H

#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "conf.h"
#include "keys.h"
#include "mailview.h"
#include "util.h"

struct ui;
struct view;
struct listview;
struct keymap;
struct theme;

typedef void (*op_fn)(struct ui *u, struct view *v);
struct op {
	const char *name;
	op_fn fn;
};

struct view_class {
	const char *name;
	unsigned menus[3];  /* key lookup order (0-terminated); generic always last */
	const struct op *ops;
	void (*draw)(struct ui *u, struct view *v);
	void (*destroy)(struct view *v);
	/* optional */
	struct listview *(*list)(struct view *v);
	void (*status)(struct ui *u, struct view *v, struct strbuf *b);
	bool (*idle)(struct ui *u, struct view *v); /* did a slice of background work (draw, call again)? */
	void (*store_changed)(struct ui *u, struct view *v);
	void (*click)(struct ui *u, struct view *v, int y, int x);
	void (*search_text)(struct view *v, size_t i, struct strbuf *b); /* text of entry i for / */
	/* "/" with a mutt pattern (~f ...): move to the next row matching the
	 * notmuch query, or say why not */
	void (*search_query)(struct ui *u, struct view *v, const char *query, bool forward);
	const char *const *helpbar; /* functions shown on the top row, NULL-terminated */
	/* the pager asks the view it was opened from for the next/previous message */
	/* dir: +1/-1 the next/previous entry, NAV_NEXT_UNREAD/NAV_PREV_UNREAD
	 * the next/previous unread message */
	bool (*nav)(struct ui *u, struct view *v, int dir, char **file, char **msgid);
	/* Message-IDs an action applies to: the current entry, or the selected
	 * ones when tag-prefix is on (new array of new strings) */
	char **(*targets)(struct ui *u, struct view *v, size_t *n);
};

#define NAV_NEXT_UNREAD 2
#define NAV_PREV_UNREAD (-2)

struct view {
	const struct view_class *cls;
	struct view *below; /* the view this one was opened from */
};

/* ---- history of a prompt ---- */
enum hist_kind { HIST_CMD, HIST_QUERY, HIST_SEARCH, HIST_FILE, HIST_FOLDER, HIST_TAGS, HIST_SHELL, HIST_COUNT };

enum complete_kind {
	COMPLETE_NONE, COMPLETE_CMD, COMPLETE_FOLDER, COMPLETE_TAGS, COMPLETE_FILE, COMPLETE_QUERY,
	COMPLETE_ADDRESS, /* the entry after the last comma, from the store's addresses */
};

struct ui {
	conf_t *conf;          /* foreign */
	long account;          /* current account, -1 none */
	struct keymap *km;     /* owned */
	struct theme *th;      /* owned */
	mailview_t *mv;        /* owned; NULL when there is no store yet */
	char *mail_dir;        /* owned: data_dir/mail */
	char *store_problem;   /* owned: why mv is NULL */
	struct view *top;      /* owned stack */
	struct sidebar *sb;    /* owned */
	char *msg;             /* owned: the message line */
	bool msg_error;
	bool quit;
	bool want_setup;       /* quit to run the setup wizard (add-account) */
	bool tag_prefix;       /* the next action applies to the selected entries */
	char **hist[HIST_COUNT];   /* owned: prompt history, oldest first */
	size_t nhist[HIST_COUNT];
	int *pending;          /* owned: keys pushed by a macro */
	size_t npending, pending_pos;
	char *last_search;     /* owned */
	time_t store_mtime;    /* last seen mtime of the Xapian version file */
	long last_store_check_ms;
	bool utf8;             /* the locale is UTF-8 */
	bool mouse;
	int mouse_y, mouse_x, mouse_button; /* 1 click, 4 wheel up, 5 wheel down */
	bool store_dirty;      /* views want reloading (set by events, handled in the loop) */
	bool at_top;           /* the main loop waits for a command key: a question may be asked */
	/* a prompt over the screen that ui_draw redraws last (an event's redraw must not hide it) */
	void (*overlay)(struct ui *u, void *ctx);
	void *overlay_ctx;
	struct sync_glue *sync; /* owned; NULL until the sync engine is linked */
	pid_t opener_pid;      /* url_opener still running, 0 none (help.c) */
	char *opener, *opener_url; /* owned: its name and URL, for the report */
};

/* A mouse event returned by ui_getkey (not bindable); details in u->mouse_y/x/button. */
#define UI_KEY_MOUSE (KEYCODE_LAST + 1)
/* ui_getkey at the main loop's top: a worker waits for the user's decision */
#define UI_KEY_ASK (KEYCODE_LAST + 2)

/* ---- ui.c ---- */
void ui_message(struct ui *u, const char *fmt, ...) ML_PRINTF(2, 3);
void ui_error(struct ui *u, const char *fmt, ...) ML_PRINTF(2, 3);
void ui_push(struct ui *u, struct view *v);
void ui_pop(struct ui *u);
/* Read a key (waiting for input or events, doing background work
 * meanwhile); timeout_ms < 0 waits for ever, else ERR on timeout. */
int ui_getkey(struct ui *u, int timeout_ms);
/* Draw everything now (prompts call it before waiting). */
void ui_draw(struct ui *u);
/* Content area: rows [1, LINES-2) */
int ui_top_row(void);
int ui_content_rows(void);
/* Ask a yes/no question; dflt when the user just presses Enter. */
bool ui_yesno(struct ui *u, const char *question, bool dflt);
/* Run a bindable function on the top view (`:exec`, key dispatch). */
void ui_run_function(struct ui *u, const char *fn);
/* Queue keys in macro syntax ("<limit>~N<Enter>") before anything pending
 * (`:push`, macros). */
void ui_push_keys(struct ui *u, const char *keys);
/* Run a command with the terminal given back to it (shell escape,
 * mailcap, pipe); waits for a key afterwards when wait_key. */
int ui_run_external(struct ui *u, char *const argv[], int stdin_fd, bool wait_key);
/* Open the current account's folder / a query as the index. */
void ui_open_query(struct ui *u, const char *title, const char *query);
/* Make account the current one and open its INBOX. */
void ui_switch_account(struct ui *u, long account);
/* Rebuild keymap and theme after :set/:source/:bind. */
void ui_reload_config(struct ui *u);
/* Current time in milliseconds (monotonic). */
long ui_now_ms(void);
/* Called when the store changed: reopen and refresh every view. */
void ui_store_changed(struct ui *u);

/* ---- draw.c: width-correct, sanitized text ---- */
/* Draw UTF-8 text at (y, x) in at most w columns; the text is sanitized
 * here, so anything may be passed.  Returns the columns used. */
int draw_text(int y, int x, int w, const char *s, attr_t attr);
/* Same, but for len bytes of s. */
int draw_textn(int y, int x, int w, const char *s, size_t len, attr_t attr);
/* Fill columns [x, x+w) of row y with spaces in attr. */
void draw_fill(int y, int x, int w, attr_t attr);
/* Display width of UTF-8 text (invalid bytes and controls count 1). */
int text_width(const char *s, size_t len);
/* Append s cut to at most maxw columns (maxw < 0: no limit) and padded to
 * minw, left- or right-aligned. */
void text_fit(struct strbuf *b, const char *s, int minw, int maxw, bool left);
/* Byte length of the longest prefix of s that fits in w columns. */
size_t text_prefix_bytes(const char *s, size_t len, int w);
/* Decode one UTF-8 code point (invalid bytes give U+FFFD, 1 byte). */
unsigned utf8_next(const char **p, const char *end);
/* Column width of a code point as drawn (controls 1, combining 0). */
int cp_width(unsigned cp);
void draw_set_utf8(bool utf8);

/* ---- theme.c ---- */
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
struct theme *theme_new(const conf_t *c);
void theme_free(struct theme **t);
attr_t theme_attr(const struct theme *t, enum color_obj o);
/* attr of the first `color index ... REGEX` that matches text, or 0. */
attr_t theme_index_regex(const struct theme *t, const char *text);
/* Body regex highlights: first match at or after s; true with its span. */
bool theme_body_regex(const struct theme *t, const char *s, size_t *start, size_t *len, attr_t *attr);
/* Describe what the terminal gave us ("256 colours", "mono (NO_COLOR)"). */
const char *theme_describe(const struct theme *t);
/* Problems while loading the theme file (new string, or NULL). */
char *theme_problem(const struct theme *t);

/* ---- keymap.c ---- */
struct keymap *keymap_new(const conf_t *c, char **problem);
void keymap_free(struct keymap **km);
enum km_result { KM_NONE, KM_PREFIX, KM_FUNCTION, KM_MACRO, KM_AMBIGUOUS };
/* Look up a key sequence in menu (then generic). */
enum km_result keymap_lookup(const struct keymap *km, const unsigned *menus, const int *keys, size_t n,
			     const char **fn, const char **macro);
/* Bindings of a menu (+ generic), for the help screen and the help bar:
 * calls fn for each effective binding, menu's own first. */
typedef void (*keymap_each_fn)(const char *key, const char *function, const char *macro, const char *desc,
			       void *ud);
void keymap_each(const struct keymap *km, const unsigned *menus, keymap_each_fn fn, void *ud);
/* The first key bound to function in menus, as written (or NULL). */
const char *keymap_key_for(const struct keymap *km, const unsigned *menus, const char *function);
/* Map a curses key to a keys.h code. */
int keymap_from_curses(int ch, bool is_keycode);
/* Where keymaps/ and themes/ live: first existing of the config dir,
 * MUTTLIKE_DATADIR and the binary's tree.  New string or NULL. */
char *ui_find_data_file(const char *subdir, const char *name);

/* ---- listview.c: the list shared by index, thread, sidebar, attachments, help, URLs ---- */
struct listview {
	size_t cur, top, count;
	int rows; /* visible rows, set by the owner before drawing */
};
typedef void (*lv_row_fn)(struct ui *u, void *ctx, size_t i, int y, int x, int w, bool selected);
void lv_draw(struct ui *u, struct listview *lv, int y, int x, int w, int h, lv_row_fn row, void *ctx);
void lv_set_cur(struct listview *lv, size_t i);
extern const struct op lv_ops[];
/* Generic "/" over a list using the class's search_text. */
void lv_search(struct ui *u, struct view *v, bool forward, bool again);
/* What the user typed at a query prompt as a notmuch query: mutt patterns
 * translated (pattern.h), notmuch syntax as is; NULL after saying on the
 * message line what is not supported. */
char *ui_pattern_query(struct ui *u, const char *typed);

/* ---- prompt.c ---- */
/* Read a line; NULL when cancelled (Esc, ^G).  New string. */
char *prompt_line(struct ui *u, const char *prompt, const char *initial, enum hist_kind hist,
		  enum complete_kind complete);
void prompt_history_add(struct ui *u, enum hist_kind hist, const char *line);
/* Read a secret, echoing '*' (no history, no completion); NULL when
 * cancelled.  The caller frees the result with secret_free. */
char *prompt_secret(struct ui *u, const char *prompt);
/* Show lines (n may be 0) in a box over the content and question on the
 * prompt row; returns the key typed (lower case) that is in keys, or
 * dflt for Escape, ^G and Enter. */
int prompt_choice(struct ui *u, const char *const *lines, size_t n, const char *question, const char *keys,
		  int dflt);

/* ---- views ---- */
struct view *index_view_new(struct ui *u, const char *title, const char *query);
const char *index_view_query(struct view *v);
struct view *thread_view_new(struct ui *u, const char *thread_id, const char *query, const char *subject);
/* nav: the list the pager steps through with next/previous-entry */
struct view *pager_view_new(struct ui *u, const char *file, const char *msgid);
struct view *attach_view_new(struct ui *u, const char *file);
struct view *help_view_new(struct ui *u, const struct view *for_view);
struct view *urls_view_new(struct ui *u, char **urls, size_t n);
/* Collect a finished url_opener and report a failure (main loop). */
void urls_reap(struct ui *u);
/* outbox_view.c: the current account's outbox (view-outbox) */
struct view *outbox_view_new(struct ui *u);
/* Open a text page in a pager (help texts, piped output); takes text. */
struct view *pager_view_text(struct ui *u, const char *title, char *text);

/* sidebar.c */
struct sidebar *sidebar_new(struct ui *u);
void sidebar_free(struct sidebar **sb);
void sidebar_draw(struct ui *u, struct sidebar *sb, int y, int x, int w, int h);
void sidebar_refresh(struct ui *u, struct sidebar *sb);
/* Fill in the counts if they are stale; true when it did work. */
bool sidebar_idle(struct ui *u, struct sidebar *sb);
void sidebar_move(struct ui *u, struct sidebar *sb, int dir);
void sidebar_open(struct ui *u, struct sidebar *sb);
bool sidebar_click(struct ui *u, struct sidebar *sb, int row);
/* sidebar_visible as last toggled (data_dir/state/@reader), over the rc's. */
void sidebar_restore_visible(struct ui *u);
void sidebar_save_visible(struct ui *u, bool on);
/* Folder names for completion ("account/Folder"), NULL-terminated; borrowed. */
const char *const *sidebar_folders(struct sidebar *sb);
/* Query of a folder name as the user writes it ("INBOX", "acc/INBOX",
 * mutt's "=INBOX" or "+INBOX"); NULL when there is no such folder. */
char *sidebar_folder_query(struct ui *u, const char *name);
/* The name without mutt's "=" or "+" (the mail folder) in front; borrowed. */
const char *sidebar_folder_name(const char *typed);
/* actions.c: the current account's folder the user typed (save, copy,
 * Fcc): without "=", "+" or "account/"; asks "Create folder X?" for an
 * unknown one.  New string, or NULL (empty, or not wanted). */
char *ui_dest_folder(struct ui *u, const char *typed);

/* index.c: one index line, in columns from index_format, with colour runs */
struct fmt_seg {
	size_t off, len;
	enum color_obj obj;
};
struct fmt_line {
	struct strbuf text;
	struct fmt_seg seg[32];
	size_t nseg;
};
void index_format_line(struct ui *u, const struct mv_entry *e, size_t num, bool selected, bool thread_mode,
		       struct fmt_line *out);
void index_draw_line(struct ui *u, const struct mv_entry *e, size_t num, bool selected, bool thread_mode,
		     int y, int x, int w, bool cursor);
/* Draw the sidebar (when visible) and return the x where the list starts. */
int index_draw_sidebar(struct ui *u);
/* Columns the sidebar takes (not its divider), 0 when hidden. */
int index_sidebar_width(struct ui *u);
/* A click at (y, x) on the sidebar or its divider: handled (a folder
 * clicked is opened, which replaces the views); false elsewhere. */
bool index_click_sidebar(struct ui *u, int y, int x);

/* actions.c: the functions that change mail (through the sync engine) */
extern const struct op action_ops[];
/* Join a view's own ops and the shared action ops into all[cap] once
 * (own first, so a view's op wins); returns all. */
const struct op *ops_join(struct op *all, size_t cap, const struct op *own, const struct op *more);
/* The message was opened: mark it read (quietly; nothing when it is read). */
void action_seen(struct ui *u, const char *msgid);
/* Does the message (Message-ID) have this tag in the store? */
bool action_has_tag(struct ui *u, const char *id, const char *tag);
/* Delete these messages (asking per confirm_delete; undo-able); takes ids. */
void action_delete(struct ui *u, char **ids, size_t n);
void free_strv(char **v, size_t n);

#endif
