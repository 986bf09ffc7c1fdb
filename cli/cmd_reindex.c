/* cmd_reindex.c - `muttlike reindex [ACCOUNT]`: rebuild the notmuch index
 * from the Maildirs (repair.h), for an index that cannot be read any more
 * or on request, and put the tags back from the tag dump.
 *
 * On a terminal a progress line (files indexed of all), then one summary
 * line on stdout; off a terminal only the summary.  Exit 0 when the new
 * index holds every file and is committed, 1 otherwise, 2 on usage.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "repair.h"
#include "store.h"
#include "util.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

static void progress(size_t done, size_t total, void *ud)
{
	(void)ud;
	printf("\r\033[Kreindex: %zu/%zu files", done, total);
	fflush(stdout);
}

static void summary(const struct repair_reindex_result *r)
{
	if (r->rebuilt)
		printf("reindex: %zu files in %zu folders indexed", r->files, r->folders);
	else
		printf("reindex: %zu files in %zu folders indexed again (tags kept)", r->files, r->folders);
	if (r->dump_found)
		printf("; tags restored for %zu messages from the tag dump (%zu no longer here)", r->tags_restored,
		       r->tags_missing);
	else if (r->rebuilt)
		printf("; no tag dump to restore");
	if (r->aside)
		printf("; the %s index is in %s (delete it when done)", r->was_readable ? "old" : "unreadable",
		       r->aside);
	putchar('\n');
}

int cmd_reindex(conf_t *c, int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		bool help = argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
		fputs("usage: muttlike reindex [ACCOUNT]   rebuild the index from the Maildirs, keeping tags\n",
		      help ? stdout : stderr);
		return help ? 0 : EXIT_USAGE;
	}
	long account = -1;
	if (argc == 2 && (account = conf_account_find(c, argv[1])) < 0) {
		fprintf(stderr, "muttlike: reindex: no account named '%s' in the config\n", argv[1]);
		return EXIT_USAGE;
	}
	store_global_init();
	bool tty = isatty(STDOUT_FILENO);
	struct repair_reindex_result r;
	char *err = NULL;
	int rc = repair_reindex(c, account, tty ? progress : NULL, NULL, &r, &err);
	if (tty) {
		printf("\r\033[K");
		fflush(stdout);
	}
	if (r.files || r.rebuilt)
		summary(&r);
	if (rc < 0)
		fprintf(stderr, "muttlike: reindex: %s\n", err ? err : "failed");
	free(err);
	repair_reindex_result_clear(&r);
	if (fflush(stdout) != 0)
		rc = -1;
	return rc < 0 ? EXIT_RUNTIME : 0;
}
