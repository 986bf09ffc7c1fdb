/* runcmd.h - run a command string the user wrote, feeding it data safely.
 *
 * For query_command, pipe-message, print_command, spam_command and the
 * event hooks.  The user's string runs as `/bin/sh -c CMD sh ARG...`:
 * data (a query, a message, a folder name) reaches the command only as
 * positional parameters ("$1"), environment variables or stdin, never as
 * text of the shell line, so nothing from a message is interpreted by the
 * shell.  Like secret_run() (secret.c) it uses posix_spawn; unlike it,
 * stdin may carry data, stdout may be captured up to a cap, and a timeout
 * kills the command's whole process group.
 */
#ifndef MUTTLIKE_RUNCMD_H
#define MUTTLIKE_RUNCMD_H

#include <stdbool.h>
#include <stddef.h>

enum runcmd_status {
	RUNCMD_OK = 0,
	RUNCMD_ERR_SPAWN,   /* could not start /bin/sh */
	RUNCMD_ERR_EXIT,    /* exited non-zero or was killed by a signal */
	RUNCMD_ERR_TIMEOUT, /* still running after timeout_ms: killed */
	RUNCMD_ERR_TOOBIG,  /* printed more than out_max bytes: killed */
};

enum runcmd_output {
	RUNCMD_OUT_NULL = 0, /* stdout and stderr to /dev/null */
	RUNCMD_OUT_CAPTURE,  /* stdout into *out (stderr to /dev/null) */
	RUNCMD_OUT_INHERIT,  /* our stdout/stderr (the front end gave it the terminal) */
};

struct runcmd {
	const char *what;             /* the option, for messages ("query_command") */
	const char *cmd;              /* the user's command string */
	const char *const *args;      /* NULL-terminated: $1, $2, ... (may be NULL) */
	const char *const *env;       /* NULL-terminated "NAME=value" added (may be NULL) */
	const char *in;               /* stdin data (NULL: /dev/null) */
	size_t in_len;
	enum runcmd_output output;
	size_t out_max;               /* RUNCMD_OUT_CAPTURE: cap on stdout */
	long timeout_ms;              /* 0: wait as long as it runs */
};

/* Run it.  With RUNCMD_OUT_CAPTURE, *out gets stdout (NUL-terminated, new
 * string, also on an exit error) and *out_len its length; out/out_len may
 * be NULL otherwise.  A command that stops reading stdin early is not an
 * error by itself.  On failure *err (new string) says what happened in one
 * line and never holds the command's output. */
enum runcmd_status runcmd_run(const struct runcmd *r, char **out, size_t *out_len, char **err);

#endif
