/* hooks.h - mutt's hooks: which rc commands run when, and event hooks.
 *
 * The table keeps hooks in the order the rc defines them; when an event
 * happens, hooks_collect() gives the commands of every matching hook in
 * that order and the caller runs each through the rc parser.  As in mutt
 * there is no implicit reset: a `folder-hook . 'set sort=date'` placed
 * first matches every folder and so restores the default before the
 * specific hooks after it change it.  The same (type, pattern, command)
 * defined twice is kept once; `unhook TYPE` / `unhook *` remove hooks.
 *
 * Patterns:
 *  - folder-hook, account-hook: a regular expression (POSIX extended,
 *    case-sensitive as in mutt) searched in the folder or account name;
 *    `!` in front negates; a leading `=` or `+` (mutt's folder shortcut)
 *    is dropped.
 *  - send-hook, reply-hook, message-hook: mutt's pattern language.  A
 *    message's headers are matched here, without the store, for ~t ~c ~C
 *    ~f ~s ~l ~A with `!`, `|`, `( )` and juxtaposition (regexes are
 *    case-insensitive unless they hold an upper-case letter, as in mutt).
 *    A pattern without `~` is a regex on the recipients (~C) for
 *    send-hook and on the sender (~f) for reply-hook and message-hook,
 *    as mutt's default_hook makes it.  message-hook patterns are also
 *    translated to a notmuch query (pattern.h), which the caller can test
 *    against the store through hook_ctx.query_match for letters the
 *    header matcher does not know (~d, ~U, ~y ...).
 *  - startup-hook, shutdown-hook, new-mail-hook, sent-hook: no pattern.
 * Regexes are capped as pattern.c caps them (no {n}, at most 8 `+`, 256
 * bytes): glibc's regcomp is exponential in stacked repetitions.
 *
 * new-mail-hook and sent-hook hold a shell command (the user's own
 * string), run by hooks_run_event() with the event's data only in
 * environment variables and on stdin (runcmd.h).
 */
#ifndef MUTTLIKE_HOOKS_H
#define MUTTLIKE_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

enum hook_type {
	HOOK_FOLDER,
	HOOK_SEND,
	HOOK_REPLY,
	HOOK_MESSAGE,
	HOOK_ACCOUNT,
	HOOK_STARTUP,
	HOOK_SHUTDOWN,
	HOOK_NEW_MAIL,
	HOOK_SENT,
	HOOK_NTYPES,
	HOOK_NONE = -1,
};

/* "folder-hook" -> HOOK_FOLDER, HOOK_NONE when unknown. */
enum hook_type hooks_type_by_name(const char *name);
const char *hooks_type_name(enum hook_type t);
/* Does this type take a pattern before its command? */
bool hooks_type_has_pattern(enum hook_type t);

typedef struct hooks hooks_t;

hooks_t *hooks_new(void);
void hooks_free(hooks_t **h);

/* The rc command `TYPE-hook [PATTERN] COMMAND` (pattern NULL for types
 * without one).  false + *err (new string) when the pattern does not
 * compile or is missing. */
bool hooks_add(hooks_t *h, enum hook_type t, const char *pattern, const char *command, char **err);

/* `unhook TYPE` (HOOK_NONE: every hook).  Returns how many went. */
size_t hooks_remove(hooks_t *h, enum hook_type t);

/* A message's headers for send-, reply- and message-hooks (all lent,
 * any may be NULL). */
struct hook_msg {
	const struct addr_list *from, *to, *cc;
	const char *subject;
	const char *const *lists; /* the `lists`/`subscribe` regexes, NULL-terminated, for ~l */
};

struct hook_ctx {
	const char *name;           /* folder-hook: folder; account-hook: account */
	const struct hook_msg *msg; /* send-, reply-, message-hook */
	/* message-hook when the header matcher cannot decide: does the
	 * message match this notmuch query?  May be NULL. */
	bool (*query_match)(void *ud, const char *query);
	void *ud;
};

/* How many hooks of type t there are (HOOK_NONE: all). */
size_t hooks_count(const hooks_t *h, enum hook_type t);

/* The commands of the hooks of type t matching ctx, in definition order
 * (lent strings, owned by h; the array is new: free it).  *n gets the
 * count. */
const char **hooks_collect(const hooks_t *h, enum hook_type t, const struct hook_ctx *ctx, size_t *n);

/* Run an event hook's command: `/bin/sh -c CMD` with env ("NAME=value",
 * NULL-terminated, may be NULL) added to the environment and in (may be
 * NULL) on stdin; output discarded; killed after timeout_ms (0: none).
 * true, or false + *err (new string). */
bool hooks_run_event(const char *cmd, const char *const *env, const char *in, size_t in_len, long timeout_ms,
		     char **err);

#endif
