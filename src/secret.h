/* secret.h - passwords and tokens: where they come from and how they die.
 *
 * A secret comes from a command the user wrote (imap_pass_cmd,
 * imap_oauth_cmd), from the config (imap_pass) or from the front end asking
 * the user; the core never reads the terminal.  Secrets are held only until
 * the login is done and are wiped before their memory is freed.
 *
 * The command string is the user's own and runs as `/bin/sh -c CMD` with
 * nothing appended or substituted: no server or message data ever reaches it.
 */
#ifndef MUTTLIKE_SECRET_H
#define MUTTLIKE_SECRET_H

#include <stddef.h>

enum secret_status {
	SECRET_OK = 0,
	SECRET_ERR_SPAWN,  /* could not start /bin/sh */
	SECRET_ERR_EXIT,   /* exited non-zero or was killed */
	SECRET_ERR_EMPTY,  /* printed nothing on its first line */
	SECRET_ERR_TOOBIG, /* first line longer than SECRET_MAX */
};

/* Longest secret accepted from a command (OAuth tokens run to a few KiB). */
#define SECRET_MAX 16384

/* Run `/bin/sh -c cmd` with stdin from /dev/null and return the first line
 * of its standard output (without the newline) in *out (caller frees with
 * secret_free).  what names the option in error messages ("imap_pass_cmd").
 * On failure *out is NULL and *err is a one-line message (caller frees)
 * that never contains the command's output. */
enum secret_status secret_run(const char *what, const char *cmd, char **out, char **err);

/* Run `/bin/sh -c cmd` with input on its standard input (at most
 * SECRET_MAX bytes, no newline added) and its standard output discarded:
 * a store command (`secret-tool store ...`, `pass insert -m -f ...`).
 * SECRET_OK when it exited 0; else *err (caller frees). */
enum secret_status secret_feed(const char *what, const char *cmd, const char *input, char **err);

/* Overwrite n bytes in a way the compiler cannot drop. */
void secret_wipe(void *p, size_t n);

/* Wipe a NUL-terminated secret, free it and set *s to NULL.  NULL-safe. */
void secret_free(char **s);

/* A copy of s that secret_free() can wipe. */
char *secret_dup(const char *s);

#endif
