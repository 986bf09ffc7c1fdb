/* main.c - command line: parse arguments, load the config, dispatch.
 *
 * Contract (doc/muttlike.1):
 *   muttlike [-F FILE] [-a ACCOUNT] [-d]          the reader
 *   muttlike [-F FILE] sync|setup|search|check|reindex|doctor ... subcommands
 *   muttlike --version | --help | --help-options[=text|man|rc]
 * Exit: 0 ok, 1 runtime failure, 2 usage or config error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../ui/entry.h"
#include "commands.h"
#include "conf.h"
#include "log.h"
#include "optdoc.h"
#include "text.h"
#include "util.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

static void usage(FILE *f)
{
	fputs("usage: muttlike [-F FILE] [-a ACCOUNT] [-d]           open the reader\n"
	      "       muttlike [-F FILE] sync [ACCOUNT...] [--watch]  mirror accounts without the UI\n"
	      "       muttlike [-F FILE] setup [--email ADDR ...]     add an account\n"
	      "       muttlike [-F FILE] search QUERY                 print matching messages\n"
	      "       muttlike [-F FILE] check [ACCOUNT]              test the connection and login\n"
	      "       muttlike [-F FILE] reindex [ACCOUNT]            rebuild the index from the Maildirs, keeping tags\n"
	      "       muttlike [-F FILE] doctor [ACCOUNT]             check Maildirs, sync state and index offline\n"
	      "       muttlike --version | --help | --help-options[=text|man|rc]\n"
	      "\n"
	      "  -F FILE       read FILE instead of the default config\n"
	      "                ($XDG_CONFIG_HOME/muttlike/muttlike.rc, ~/.config/muttlike/muttlike.rc, ~/.muttlikerc)\n"
	      "  -a ACCOUNT    start on this account\n"
	      "  -d, --debug   log debug detail to data_dir/log (any command; may follow it)\n"
	      "  --help-options  list every option with its type, default and meaning\n",
	      f);
}

struct args {
	const char *config;
	const char *account;
	bool debug;
	const char *help_options; /* NULL, or the format */
	int cmd_index;            /* argv index of the subcommand, 0 if none */
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help-options", optional_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	/* '+': stop at the first non-option so subcommands keep their flags */
	while ((ch = getopt_long(argc, argv, "+F:a:dhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'F': a->config = optarg; break;
		case 'a': a->account = optarg; break;
		case 'd': a->debug = true; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("muttlike %s\n", MUTTLIKE_VERSION); exit(0);
		case 'O': a->help_options = optarg ? optarg : "text"; break;
		default:
			fputs("muttlike: try 'muttlike --help'\n", stderr);
			return EXIT_USAGE;
		}
	}
	a->cmd_index = optind < argc ? optind : 0;
	return 0;
}

static void print_error_line(const char *line, void *ud)
{
	(void)ud;
	text_print(stderr, "muttlike: %s", line);
}

/* Load the config; print its warnings and errors (a long run from one
 * file, such as a binary file read as an rc, cut short).  *c is always set. */
static size_t load_config(const struct args *a, conf_t **c)
{
	*c = conf_new();
	char *path = conf_find_file(a->config);
	if (!path)
		return 0; /* no config at all: the reader offers the wizard */
	if (a->config && access(path, F_OK) != 0) {
		text_print(stderr, "muttlike: %s: no such config file", path);
		free(path);
		return 1;
	}
	conf_load_file(*c, path);
	free(path);
	for (size_t i = 0; i < conf_warning_count(*c); i++)
		text_print(stderr, "muttlike: warning: %s", conf_warning(*c, i));
	conf_report_errors(*c, CONF_REPORT_MAX_RUN, print_error_line, NULL);
	return conf_error_count(*c);
}

static void drop_line(enum log_level level, const char *line, void *ud)
{
	(void)level;
	(void)line;
	(void)ud;
}

/* Send log lines to data_dir/log at log_level, at least debug with -d (the
 * same for the reader and every command; secrets are never logged, and
 * protocol traces are redacted).  When the file cannot be opened, the
 * reader and -d say so and log to stderr; a headless command without -d
 * drops the lines: what it must say it prints itself (a read-only
 * data_dir is reported once, not once more from the log). */
static void setup_logging(const conf_t *c, bool debug, bool headless)
{
	static const enum log_level levels[] = { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };
	enum log_level lvl = levels[conf_enum(c, -1, OPT_ID_log_level)];
	if (debug && lvl < LOG_DEBUG)
		lvl = LOG_DEBUG;
	log_set_level(lvl);
	char *dir = conf_data_dir(c);
	char *file = xasprintf("%s/log", dir);
	if (util_mkdirs(dir, 0700) < 0 || log_open_file(file) < 0) {
		if (!headless || debug)
			text_print(stderr, "muttlike: cannot open log %s; logging to stderr", file);
		else
			log_set_sink(drop_line, NULL);
	}
	free(file);
	free(dir);
	for (size_t i = 0; i < conf_notice_count(c); i++)
		log_info("%s", conf_notice(c, i));
}

/* -d/--debug after a subcommand (`muttlike sync -d`) means what it means
 * before it: take it out of the subcommand's arguments, up to a "--". */
static int take_debug_flag(int argc, char **argv, int from, bool *debug)
{
	int out = from;
	bool rest = false;
	for (int i = from; i < argc; i++) {
		if (!rest && strcmp(argv[i], "--") == 0)
			rest = true;
		if (!rest && (strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--debug") == 0)) {
			*debug = true;
			continue;
		}
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	return out;
}

/* A subcommand: argv[a->cmd_index] names it. */
static int run_command(const struct args *a, conf_t *c, size_t errors, int argc, char **argv)
{
	const char *cmd = argv[a->cmd_index];
	int n = argc - a->cmd_index;
	char **v = argv + a->cmd_index;
	if (strcmp(cmd, "check") == 0) {
		/* the check still runs (it may say more), but a config with
		 * errors is a usage error, as for sync */
		int rc = cmd_check(c, n, v);
		return errors ? EXIT_USAGE : rc;
	}
	if (strcmp(cmd, "sync") == 0 || strcmp(cmd, "search") == 0) {
		/* A broken config line must not make a sync run with half an
		 * account: refuse, as design.md's exit 2 says. */
		if (errors)
			return EXIT_USAGE;
		return cmd[1] == 'y' ? cmd_sync(c, n, v) : cmd_search(c, n, v);
	}
	if (strcmp(cmd, "reindex") == 0 || strcmp(cmd, "doctor") == 0) {
		if (errors)
			return EXIT_USAGE;
		return cmd[0] == 'r' ? cmd_reindex(c, n, v) : cmd_doctor(c, n, v);
	}
	if (strcmp(cmd, "setup") == 0) {
		char *rc_path = wizard_rc_path(a->config);
		int rc = cmd_setup(c, rc_path, n, v);
		free(rc_path);
		return rc;
	}
	text_print(stderr, "muttlike: unknown command '%s'; try 'muttlike --help'", cmd);
	return EXIT_USAGE;
}

/* First start, no rc at all: the wizard writes one, then the reader opens
 * it (an existing rc without accounts gets the reader's hint).  0 to go
 * on with the new *c, else the exit status. */
static int first_start(const struct args *a, conf_t **c)
{
	char *rc_path = wizard_rc_path(a->config);
	int rc = wizard_run(*c, rc_path, NULL, NULL);
	conf_free(c);
	*c = conf_new();
	if (rc == 0)
		conf_load_file(*c, rc_path);
	free(rc_path);
	if (rc != 0 || conf_account_count(*c) == 0)
		return rc ? rc : EXIT_RUNTIME;
	return 0;
}

/* add-account: the wizard on the terminal, between two runs of the reader;
 * the config is read again and *account becomes the new one when one was
 * written. */
static void add_account(const struct args *a, conf_t **c, char **account)
{
	char *rc_path = wizard_rc_path(a->config);
	char *added = NULL;
	/* an extra trust anchor the user already set (a company CA, for the
	 * current account or globally) is offered to the new account's
	 * probes too */
	long cur = *account ? conf_account_find(*c, *account) : 0;
	char *ca = conf_path(*c, cur >= 0 && (size_t)cur < conf_account_count(*c) ? cur : -1, OPT_ID_tls_ca_file);
	struct wizard_args wa = { .ca_file = ca && *ca ? ca : NULL };
	int w = wizard_run(*c, rc_path, &wa, &added);
	free(ca);
	if (w == 0 && added) {
		conf_free(c);
		*c = conf_new();
		conf_load_file(*c, rc_path);
		free(*account);
		*account = added;
		added = NULL;
	}
	free(added);
	free(rc_path);
}

/* The reader (no subcommand); *c may be replaced (the wizard wrote the
 * rc).  Returns the exit status. */
static int run_reader(const struct args *a, conf_t **c)
{
	if (a->account && conf_account_find(*c, a->account) < 0) {
		text_print(stderr, "muttlike: no account named '%s' in the config", a->account);
		return EXIT_USAGE;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fputs("muttlike: the reader needs a terminal; for scripts use 'muttlike sync' or 'muttlike search'\n",
		      stderr);
		return EXIT_USAGE;
	}
	char *found = conf_find_file(a->config);
	int rc = found ? 0 : first_start(a, c);
	free(found);
	if (rc)
		return rc;
	setup_logging(*c, a->debug, false);
	char *account = a->account ? xstrdup(a->account) : NULL;
	bool want_setup = false;
	/* add-account leaves the reader (workers stopped, everything on disk),
	 * runs the wizard on the terminal, and opens the reader again: on the
	 * new account when one was written, as it was otherwise */
	while ((rc = reader_run(*c, account, &want_setup)) == 0 && want_setup) {
		log_close_file();
		add_account(a, c, &account);
		setup_logging(*c, a->debug, false);
	}
	free(account);
	log_close_file();
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;

	conf_t *c;
	/* setup creates the -F file: its absence is no error there */
	bool setup_new = a.cmd_index && strcmp(argv[a.cmd_index], "setup") == 0 && a.config &&
			 access(a.config, F_OK) != 0;
	size_t errors = setup_new ? (c = conf_new(), 0) : load_config(&a, &c);

	if (a.help_options) {
		rc = optdoc_print(stdout, a.help_options);
		conf_free(&c);
		return rc ? EXIT_USAGE : errors ? EXIT_USAGE : 0;
	}

	if (a.cmd_index) {
		const char *cmd = argv[a.cmd_index];
		argc = take_debug_flag(argc, argv, a.cmd_index + 1, &a.debug);
		/* sync and reindex always keep data_dir/log; the others only with -d */
		if (a.debug || strcmp(cmd, "sync") == 0 || strcmp(cmd, "reindex") == 0)
			setup_logging(c, a.debug, true);
		rc = run_command(&a, c, errors, argc, argv);
		log_close_file();
		conf_free(&c);
		return rc;
	}

	rc = run_reader(&a, &c);
	conf_free(&c);
	return rc;
}
