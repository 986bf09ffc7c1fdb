/* wizard_fe.h - what the wizard's steps need from a front end: show a page
 * of fields and wait for the user, and keep the user informed (and able to
 * cancel) while something blocks.  Two front ends implement it: the curses
 * form (wizard_form.c) and the plain line mode (wizard_plain.c). */
#ifndef MUTTLIKE_WIZARD_FE_H
#define MUTTLIKE_WIZARD_FE_H

#include <stdbool.h>
#include <stddef.h>

enum wiz_field_kind { WF_TEXT, WF_SECRET, WF_CHOICE };

enum { WIZ_VALUE_MAX = 512, WIZ_INFO_MAX = 14 };

struct wiz_field {
	const char *label;
	enum wiz_field_kind kind;
	char value[WIZ_VALUE_MAX];   /* edited in place; a choice holds the chosen word */
	const char *const *choices;  /* WF_CHOICE: NULL-terminated words */
	const char *help;            /* one line about the field, or NULL */
};

struct wiz_page {
	const char *title;
	const char *info[WIZ_INFO_MAX + 1]; /* lines above the fields (already safe text), NULL-terminated */
	struct wiz_field *fields;
	size_t nfields;
	const char *error;                  /* why the page is shown again, or NULL */
	const char *next_label;             /* "Next", "Write", ... */
};

enum wiz_result { WIZ_NEXT = 0, WIZ_BACK, WIZ_CANCEL };

/* A blocking job run by busy(); cancel() is called from the front end's
 * thread when the user asks to stop. */
struct wiz_job {
	void (*run)(void *arg);
	void (*cancel)(void *arg);
	void *arg;
	/* Optional: a line the user may type while the job runs (a pasted
	 * address); input() gets it on the front end's thread, then wipes it. */
	const char *input_label;
	void (*input)(void *arg, const char *line);
};

struct wiz_fe {
	/* The front end keeps the terminal to itself (the curses form): a
	 * long interaction such as the OAuth2 authorization runs inside it
	 * instead of on the terminal after it. */
	bool keeps_screen;
	enum wiz_result (*page)(struct wiz_fe *fe, struct wiz_page *p);
	/* Run job while showing title and the latest note; false if cancelled. */
	bool (*busy)(struct wiz_fe *fe, const char *title, const struct wiz_job *job);
	/* A progress line; may be called from the job's thread. */
	void (*note)(struct wiz_fe *fe, const char *line);
	/* Forget the notes so far (a new screen's worth follows), or NULL. */
	void (*clear_notes)(struct wiz_fe *fe);
	/* Leave the screen to the terminal (before running a child or exiting). */
	void (*end)(struct wiz_fe *fe);
	void (*free)(struct wiz_fe *fe);
};

/* NULL when this terminal cannot do the form (the caller falls back to plain). */
struct wiz_fe *wizard_form_new(void);
struct wiz_fe *wizard_plain_new(void);

#endif
