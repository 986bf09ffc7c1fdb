/* query.h - mutt's query_command: an external address book.
 *
 * The protocol (khard, abook, goobook, notmuch-addrlookup ...): the
 * command prints one status line, then one result a line as
 * ADDRESS<TAB>NAME<TAB>OTHER (name and other may be missing).
 *
 * The user's string keeps mutt's `%s` for the query, but the query is
 * never put into the shell line: each %s becomes a reference to "$1" that
 * stays one word in whatever quoting surrounds it ('%s' -> '"$1"', "%s"
 * -> "$1", %s -> "$1"; %% is %; no %s at all appends "$1" as mutt
 * appends the query), and the query itself is passed as $1 (runcmd.h).
 */
#ifndef MUTTLIKE_QUERY_H
#define MUTTLIKE_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#define QUERY_MAX_RESULTS 1000
#define QUERY_MAX_OUTPUT (1024 * 1024)
#define QUERY_TIMEOUT_MS 15000L

struct query_result {
	char *address; /* owned: a valid mailbox */
	char *name;    /* owned: "" when none; no controls */
	char *other;   /* owned: "" when none; no controls */
};

struct query_results {
	char *status; /* owned: the first line, no controls */
	struct query_result *v; /* owned */
	size_t n;
};

/* query_command with %s rewritten as above.  New string. */
char *query_command_line(const char *command);

/* Parse a command's output (status line, then results).  Lines without a
 * valid address are skipped; at most QUERY_MAX_RESULTS are kept. */
void query_parse(const char *text, size_t len, struct query_results *out);
void query_results_clear(struct query_results *r);

/* `query` (Q) and completion: run command for query, at most timeout_ms
 * (0: QUERY_TIMEOUT_MS) and QUERY_MAX_OUTPUT bytes of output.  A command
 * that exits non-zero after printing its status line is fine (khard exits
 * 1 when it finds nothing; we take what it printed).  false + *err (new
 * string) when it could not run, timed out, printed too much, or failed
 * without printing anything. */
bool query_run(const char *command, const char *query, long timeout_ms, struct query_results *out, char **err);

/* "Name <address>" (quoted as needed) for the To: prompt.  New string. */
char *query_result_format(const struct query_result *r);

#endif
