/* cmd_doctor.c - `muttlike doctor [ACCOUNT]`: check Maildir <-> state <->
 * index offline (repair.h), repair what is local and safe, and name the
 * command for the rest.
 *
 * One line per finding on stdout (at most MAX_SAME in a row of one kind
 * in one folder, then a count), then one summary line.  Exit 0 when
 * nothing was found or everything found was repaired, 1 when a problem
 * remains, 2 on usage.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "repair.h"
#include "store.h"
#include "text.h"
#include "util.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };
#define MAX_SAME 20

struct out {
	enum repair_kind kind;
	char *folder;   /* owned: the folder of the current run of findings */
	size_t same;    /* findings in the current run */
};

static void flush_run(struct out *o)
{
	if (o->same > MAX_SAME)
		printf("%s: ... and %zu more like this\n", o->folder ? o->folder : "", o->same - MAX_SAME);
	o->same = 0;
	xfree(&o->folder);
}

static void print_finding(const struct repair_finding *f)
{
	char *what = f->what ? text_sanitize(f->what, strlen(f->what), false) : xstrdup("");
	char *acct = f->account ? text_sanitize(f->account, strlen(f->account), false) : xstrdup("ACCOUNT");
	if (f->folder) {
		char *folder = text_sanitize(f->folder, strlen(f->folder), false);
		printf("%s: ", folder);
		free(folder);
	}
	switch (f->kind) {
	case REPAIR_NOT_IN_STATE:
		printf("%s: UID %lu is not in the sync state; the next sync adopts it\n", what, f->uid);
		break;
	case REPAIR_FILE_GONE:
		printf("UID %lu: the sync state says it is here but its file is gone; run 'muttlike sync --verify %s' "
		       "to fetch it again (a plain sync would delete it on the server)\n",
		       f->uid, acct);
		break;
	case REPAIR_DEAD_ENTRY:
		printf("%s: in the index but the file is gone; entry dropped\n", what);
		break;
	case REPAIR_UNINDEXED:
		printf("%s: not in the index; indexed\n", what);
		break;
	case REPAIR_STALE_TMP:
		printf("%s: unfinished file removed\n", what);
		break;
	case REPAIR_DUPLICATE_UID:
		printf("UID %lu is in more than one file (%s is one); keep one and remove the others\n", f->uid, what);
		break;
	case REPAIR_INDEX_UNREADABLE:
		printf("the index cannot be read; run 'muttlike reindex' to rebuild it from the Maildirs\n");
		break;
	case REPAIR_RECOVERED:
		printf("the last writer of the index did not finish; the index was checked against the Maildirs\n");
		break;
	}
	free(what);
	free(acct);
}

static void on_finding(const struct repair_finding *f, void *ud)
{
	struct out *o = ud;
	if (o->same && (o->kind != f->kind || !f->folder || !o->folder || strcmp(o->folder, f->folder) != 0))
		flush_run(o);
	if (!o->same) {
		o->kind = f->kind;
		o->folder = f->folder ? xstrdup(f->folder) : NULL;
	}
	if (++o->same <= MAX_SAME)
		print_finding(f);
}

int cmd_doctor(conf_t *c, int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		bool help = argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
		fputs("usage: muttlike doctor [ACCOUNT]   check the Maildirs, sync states and index offline\n",
		      help ? stdout : stderr);
		return help ? 0 : EXIT_USAGE;
	}
	long account = -1;
	if (argc == 2 && (account = conf_account_find(c, argv[1])) < 0) {
		fprintf(stderr, "muttlike: doctor: no account named '%s' in the config\n", argv[1]);
		return EXIT_USAGE;
	}
	store_global_init();
	struct out o = { 0 };
	struct repair_doctor_result r;
	char *err = NULL;
	if (repair_doctor(c, account, on_finding, &o, &r, &err) < 0) {
		fprintf(stderr, "muttlike: doctor: %s\n", err);
		free(err);
		return EXIT_RUNTIME;
	}
	flush_run(&o);
	size_t left = r.found - r.repaired;
	printf("doctor: %zu accounts, %zu folders, %zu files: %zu problems found, %zu repaired, %zu left\n",
	       r.accounts, r.folders, r.files, r.found, r.repaired, left);
	if (r.repair_failed)
		fprintf(stderr, "muttlike: doctor: %zu repairs of the index failed (see the log)\n", r.repair_failed);
	if (fflush(stdout) != 0)
		return EXIT_RUNTIME;
	return left || r.repair_failed ? EXIT_RUNTIME : 0;
}
