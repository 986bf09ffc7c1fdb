/* uistate.h - the reader's shared state: struct ui, one per run, made by
 * reader_run and passed to every view and module. */
#ifndef MUTTLIKE_UI_UISTATE_H
#define MUTTLIKE_UI_UISTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "conf.h"
#include "keys.h"
#include "mailview.h"

struct ui;
struct view;
typedef struct keymap keymap_t;
typedef struct theme theme_t;
struct sidebar;
struct sync_glue;
struct strbuf;
struct op;
struct view_ops;

/* What a module needs from the main loop, registered with ui_add_source
 * (ui.h): a descriptor to poll, work to do while no key is typed, news of
 * the store, questions to ask, a part of the status line.  Every hook is
 * optional; data is passed back to each. */
struct ui_source {
	int fd;       /* polled for events (-1: none); without ready, its events only wake the loop */
	short events; /* POLLIN, ... */
	/* fd has events; for a source without fd: after every wait */
	void (*ready)(struct ui *u, void *data);
	/* nothing typed: did a slice of background work? (draw, call again) */
	bool (*idle)(struct ui *u, void *data);
	/* the store changed (the views hear it through their class) */
	void (*store_changed)(struct ui *u, void *data);
	/* a worker waits for the user's decision; asked from the main loop's
	 * top (not inside another prompt) */
	bool (*waiting)(struct ui *u, void *data);
	void (*ask)(struct ui *u, void *data);
	/* append the right-hand part of the status line ("offline", " outbox: 2 ") */
	void (*status)(struct ui *u, void *data, struct strbuf *b);
	void *data;
};
#define UI_MAX_SOURCES 8

/* ---- history of a prompt ---- */
enum hist_kind { HIST_CMD, HIST_QUERY, HIST_SEARCH, HIST_FILE, HIST_FOLDER, HIST_TAGS, HIST_SHELL, HIST_COUNT };

enum complete_kind {
	COMPLETE_NONE, COMPLETE_CMD, COMPLETE_FOLDER, COMPLETE_TAGS, COMPLETE_FILE, COMPLETE_QUERY,
	COMPLETE_ADDRESS, /* the entry after the last comma, from the store's addresses */
};

struct ui {
	conf_t *conf;          /* foreign */
	long account;          /* current account, -1 none */
	keymap_t *km;     /* owned */
	theme_t *th;      /* owned */
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
	struct ui_source sources[UI_MAX_SOURCES]; /* polled and asked by the main loop */
	size_t nsources;
	/* registered when the reader starts (reader_run) */
	const struct view_ops *views; /* how to open each kind of view */
	const struct op *list_ops;    /* movement and search in a list (listview.c) */
	const struct op *global_ops;  /* what every view has (ops.c) */
	/* a folder's index is about to open (folder-hook, hookrun.c); may be NULL */
	void (*folder_opening)(struct ui *u, const char *title);
	/* folder names for completion, NULL-terminated, borrowed (the sidebar's) */
	const char *const *(*folders)(struct ui *u);
	pid_t opener_pid;      /* url_opener still running, 0 none (help.c) */
	char *opener, *opener_url; /* owned: its name and URL, for the report */
	char **verified;       /* owned: Message-IDs the pager found well signed in this run (verdict.c) */
	size_t nverified;
};

/* A mouse event returned by ui_getkey (not bindable); details in u->mouse_y/x/button. */
#define UI_KEY_MOUSE (KEYCODE_LAST + 1)
/* ui_getkey at the main loop's top: a worker waits for the user's decision */
#define UI_KEY_ASK (KEYCODE_LAST + 2)

#endif
