/* cmd_search.c - `muttlike search QUERY`: the mirror, usable from scripts.
 *
 * Reads the store through mailview (its own read-only notmuch handle, never the
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

/* The line of mailview_unreadable() mid-sentence. */
static void index_unreadable(char *line)
{
	line[0] = 't';
	fprintf(stderr, "muttlike: search: %s\n", line);
}

/* DATE<TAB>FROM<TAB>SUBJECT<TAB>FOLDER */
static void print_hit(const struct mv_hit *h, void *ud)
{
	const char *root = ud;
	struct tm tm;
	char date[32] = "";
	if (localtime_r(&h->date, &tm))
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	fputs(date, stdout);
	putchar('\t');
	put_field(h->from);
	putchar('\t');
	put_field(h->subject);
	putchar('\t');
	char *folder = folder_of(root, h->file);
	put_field(folder);
	free(folder);
	putchar('\n');
}

/* The read-only view of data_dir/mail, or NULL (said why). */
static mailview_t *open_view(const char *root)
{
	mailview_t *mv = NULL;
	char *err = NULL;
	enum mv_status st = mailview_open(root, &mv, &err);
	if (st == MV_ERR_NO_DB)
		text_print(stderr, "muttlike: search: no mail store in %s yet; run 'muttlike sync' first", root);
	else if (st != MV_OK)
		index_unreadable(err);
	free(err);
	return mv;
}

/* Print the matches of q; the exit status. */
static int search(const char *data, const char *q)
{
	char *root = xasprintf("%s/mail", data);
	mailview_t *mv = open_view(root);
	if (!mv) {
		free(root);
		return EXIT_RUNTIME;
	}
	/* A writer that did not finish (killed, or a full disk) leaves the
	 * marker: the index may lack messages until the next sync. */
	char *dirty = xasprintf("%s/state/store.dirty", data);
	if (access(dirty, F_OK) == 0)
		text_print(stderr, "muttlike: search: a sync is writing the index, or the last one did not finish: "
				"results may be incomplete until a sync ends");
	free(dirty);
	int rc = 0;
	char *err = NULL;
	enum mv_status st = mailview_search(mv, q, print_hit, root, &err);
	if (st == MV_ERR_OPEN) {
		index_unreadable(err);
		rc = EXIT_RUNTIME;
	} else if (st != MV_OK) {
		char *sq = text_sanitize(q, strlen(q), false);
		text_print(stderr, "muttlike: search: cannot run the query '%s': %s", sq, err);
		free(sq);
		rc = EXIT_USAGE;
	}
	free(err);
	mailview_free(&mv);
	free(root);
	return rc;
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
	int rc = search(data, q.s);
	free(data);
	strbuf_free(&q);
	if (fflush(stdout) != 0 && rc == 0)
		rc = EXIT_RUNTIME;
	return rc;
}
