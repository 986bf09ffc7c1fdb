/* cmd_search.c - `muttlike search QUERY`: the mirror, usable from scripts.
 *
 * Reads the store through its own read-only notmuch handle (never the
 * writer's), newest first, one line per message:
 *     DATE<TAB>FROM<TAB>SUBJECT<TAB>FOLDER
 * FOLDER is "<account>/<folder path>" as in notmuch's folder: queries.
 * Every field is sanitized (no control characters, no escape sequences, no
 * tabs), because all of it comes from mail.  Exit 0 (also with no match),
 * 1 when the store cannot be read, 2 on a usage or query error.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <notmuch.h>

#include "commands.h"
#include "mailview.h"
#include "text.h"
#include "util.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

static void put_field(const char *s)
{
	char *t = text_sanitize(s ? s : "", s ? strlen(s) : 0, false);
	for (char *p = t; *p; p++)
		if (*p == '\t')
			*p = ' ';
	fputs(t, stdout);
	free(t);
}

/* "<account>/<folder>" from a file path below root. */
static char *folder_of(const char *root, const char *file)
{
	size_t rl = strlen(root);
	const char *rel = strncmp(file, root, rl) == 0 && file[rl] == '/' ? file + rl + 1 : file;
	const char *slash = strrchr(rel, '/');
	size_t n = slash ? (size_t)(slash - rel) : 0;
	/* Drop the trailing "/cur" or "/new". */
	if (n >= 4 && (strncmp(rel + n - 4, "/cur", 4) == 0 || strncmp(rel + n - 4, "/new", 4) == 0))
		n -= 4;
	return xstrndup(rel, n);
}

static void index_unreadable(const char *root, notmuch_status_t st)
{
	char *line = mailview_unreadable(root, notmuch_status_to_string(st));
	line[0] = 't'; /* mid-sentence here */
	fprintf(stderr, "muttlike: search: %s\n", line);
	free(line);
}

int cmd_search(conf_t *c, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs("usage: muttlike search QUERY   (notmuch query syntax, e.g. 'tag:unread and from:alice')\n",
		      argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	struct strbuf q;
	strbuf_init(&q);
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			strbuf_addc(&q, ' ');
		strbuf_adds(&q, argv[i]);
	}
	char *data = conf_data_dir(c);
	char *root = xasprintf("%s/mail", data);
	char *dirty = xasprintf("%s/state/store.dirty", data);
	free(data);
	notmuch_database_t *db = NULL;
	char *msg = NULL;
	notmuch_status_t st =
		notmuch_database_open_with_config(root, NOTMUCH_DATABASE_MODE_READ_ONLY, "", NULL, &db, &msg);
	free(msg);
	char *nmdir = xasprintf("%s/.notmuch", root);
	bool have_index = access(nmdir, F_OK) == 0;
	free(nmdir);
	if (st != NOTMUCH_STATUS_SUCCESS) {
		if (have_index)
			index_unreadable(root, st);
		else
			text_print(stderr, "muttlike: search: no mail store in %s yet (%s); run 'muttlike sync' first",
				root, notmuch_status_to_string(st));
		free(root);
		free(dirty);
		strbuf_free(&q);
		return EXIT_RUNTIME;
	}
	/* A writer that did not finish (killed, or a full disk) leaves the
	 * marker: the index may lack messages until the next sync. */
	if (access(dirty, F_OK) == 0)
		text_print(stderr, "muttlike: search: a sync is writing the index, or the last one did not finish: "
				"results may be incomplete until a sync ends");
	free(dirty);
	int rc = 0;
	notmuch_query_t *query = NULL;
	st = notmuch_query_create_with_syntax(db, q.s, NOTMUCH_QUERY_SYNTAX_XAPIAN, &query);
	notmuch_messages_t *ms = NULL;
	if (st == NOTMUCH_STATUS_SUCCESS) {
		notmuch_query_set_sort(query, NOTMUCH_SORT_NEWEST_FIRST);
		st = notmuch_query_search_messages(query, &ms);
	}
	if (st != NOTMUCH_STATUS_SUCCESS) {
		char *sq = text_sanitize(q.s, q.len, false);
		if (st == NOTMUCH_STATUS_XAPIAN_EXCEPTION) {
			index_unreadable(root, st);
			rc = EXIT_RUNTIME;
		} else {
			text_print(stderr, "muttlike: search: cannot run the query '%s': %s", sq,
				notmuch_status_to_string(st));
			rc = EXIT_USAGE;
		}
		free(sq);
	}
	for (; rc == 0 && notmuch_messages_valid(ms); notmuch_messages_move_to_next(ms)) {
		notmuch_message_t *m = notmuch_messages_get(ms);
		time_t t = notmuch_message_get_date(m);
		struct tm tm;
		char date[32] = "";
		if (localtime_r(&t, &tm))
			strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
		fputs(date, stdout);
		putchar('\t');
		put_field(notmuch_message_get_header(m, "from"));
		putchar('\t');
		put_field(notmuch_message_get_header(m, "subject"));
		putchar('\t');
		char *folder = folder_of(root, notmuch_message_get_filename(m));
		put_field(folder);
		free(folder);
		putchar('\n');
		notmuch_message_destroy(m);
	}
	if (query)
		notmuch_query_destroy(query);
	notmuch_database_destroy(db);
	free(root);
	strbuf_free(&q);
	if (fflush(stdout) != 0 && rc == 0)
		rc = EXIT_RUNTIME;
	return rc;
}
