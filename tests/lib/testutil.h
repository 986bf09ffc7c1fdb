/* testutil.h - small helpers shared by the cmocka tests. */
#ifndef MUTTLIKE_TESTUTIL_H
#define MUTTLIKE_TESTUTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

/* A fresh private temp directory (removed by tu_rmtree). New string. */
char *tu_tmpdir(void);
/* Remove a directory tree. */
void tu_rmtree(const char *path);
/* Write text to dir/name with the mode; returns the full path (new string). */
char *tu_write(const char *dir, const char *name, const char *text, unsigned mode);
/* Read a whole file (new string) or NULL. */
char *tu_read(const char *path);
/* Required environment variable: fails the test if unset. */
const char *tu_env(const char *name);
/* Connection settings for the rig's account: host, port, implicit TLS,
 * RIG_USER/RIG_PASS, the rig's CA, dir/certs as the pin file, 10 s. */
struct conn_params;
void tu_rig_conn(struct conn_params *p, const char *host, int port, bool implicit, const char *dir);
/* True when the rig runs this server profile (RIG_SERVER: "dovecot",
 * the default, or "cyrus"; tests/rig/README.md). */
bool tu_rig_is(const char *server);
/* A folder name as the tests write it ("Work/Projects") spelled in the
 * rig server's personal namespace (RIG_NS_PREFIX, RIG_NS_SEP: the Cyrus
 * classic layout gives "INBOX.Work.Projects"), as imapctl.py does.  New string. */
char *tu_server_folder(const char *name);
/* Run a command line with /bin/sh, capturing stdout+stderr (new string);
 * *status gets the exit status. */
char *tu_run(int *status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* tests/integration/imapctl.py ARGS (ARGS split as the shell would): its
 * output (new string), *status its exit status.  One "imapctl.py serve"
 * per process and rig answers every call (Python's start and imports cost
 * more than most commands); a forked child runs its own. */
char *tu_imapctl(int *status, const char *args);

/* Capture log lines instead of printing them. */
void tu_log_capture_start(void);
/* All captured lines joined by '\n' (owned by testutil; valid until next start). */
const char *tu_log_captured(void);
void tu_log_capture_stop(void);

#endif
