/* log.h - levelled logging through a sink the front end chooses.
 *
 * The core never writes to the terminal: it logs here, and the UI (or the
 * headless CLI) decides where lines go.  Tests install a capturing sink so
 * they stay quiet and can assert on what was logged.
 *
 * Never pass a password, token or AUTHENTICATE payload to these functions;
 * log_redact_imap() exists for protocol traces.
 */
#ifndef MUTTLIKE_LOG_H
#define MUTTLIKE_LOG_H

#include "util.h"

enum log_level {
	LOG_ERROR = 0,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
	LOG_TRACE, /* protocol traces (redacted) */
};

typedef void (*log_sink_fn)(enum log_level level, const char *line, void *ud);

/* Install a sink (NULL: the default, which writes to stderr). */
void log_set_sink(log_sink_fn fn, void *ud);
/* The sink installed now (to put it back later). */
void log_get_sink(log_sink_fn *fn, void **ud);
/* Messages above this level are dropped before formatting. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) ML_PRINTF(2, 3);
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

const char *log_level_name(enum log_level level);

/* Open path for appending (0600) and make it the sink; also keeps stderr
 * quiet.  Returns 0, or -1 with errno. */
int log_open_file(const char *path);
void log_close_file(void);
/* Is the sink the file of log_open_file()? */
bool log_file_is_open(void);

/* Return a copy of one IMAP/SMTP protocol line with credentials removed:
 * the arguments of a client's LOGIN, AUTHENTICATE (after the mechanism) and
 * SMTP AUTH, and every client line while an authentication exchange is
 * open, become "<redacted>".  *in_auth carries that state between lines
 * (start false); a server line that is not a "+" continuation ends it. */
char *log_redact_line(const char *line, bool from_client, bool *in_auth);

#endif
