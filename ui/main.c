/* main.c - command line: parse arguments, load the config, dispatch.
 *
 * Contract (doc/muttlike.1):
 *   muttlike [-F FILE] [-a ACCOUNT] [-d]          the reader
 *   muttlike [-F FILE] sync|setup|search|check ... subcommands
 *   muttlike --version | --help | --help-options[=text|man|rc]
 * Exit: 0 ok, 1 runtime failure, 2 usage or config error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "conf.h"
#include "log.h"
#include "optdoc.h"
#include "ui.h"
#include "util.h"
#include "wizard.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

static void usage(FILE *f)
{
	fputs("usage: muttlike [-F FILE] [-a ACCOUNT] [-d]           open the reader\n"
	      "       muttlike [-F FILE] sync [ACCOUNT...] [--watch]  mirror accounts without the UI\n"
	      "       muttlike [-F FILE] setup [--email ADDR ...]     add an account\n"
	      "       muttlike [-F FILE] search QUERY                 print matching messages\n"
	      "       muttlike [-F FILE] check [ACCOUNT]              test the connection and login\n"
	      "       muttlike --version | --help | --help-options[=text|man|rc]\n"
	      "\n"
	      "  -F FILE       read FILE instead of the default config\n"
	      "                ($XDG_CONFIG_HOME/muttlike/muttlike.rc, ~/.config/muttlike/muttlike.rc, ~/.muttlikerc)\n"
	      "  -a ACCOUNT    start on this account\n"
	      "  -d, --debug   log debug detail to data_dir/log\n"
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

/* Load the config; print its errors and warnings.  *c is always set. */
static size_t load_config(const struct args *a, conf_t **c)
{
	*c = conf_new();
	char *path = conf_find_file(a->config);
	if (!path)
		return 0; /* no config at all: the reader offers the wizard */
	if (a->config && access(path, F_OK) != 0) {
		fprintf(stderr, "muttlike: %s: no such config file\n", path);
		free(path);
		return 1;
	}
	conf_load_file(*c, path);
	free(path);
	for (size_t i = 0; i < conf_warning_count(*c); i++)
		fprintf(stderr, "muttlike: warning: %s\n", conf_warning(*c, i));
	for (size_t i = 0; i < conf_error_count(*c); i++)
		fprintf(stderr, "muttlike: %s\n", conf_error(*c, i));
	return conf_error_count(*c);
}

/* Send log lines to data_dir/log; on failure keep stderr and say why. */
static void setup_logging(const conf_t *c, bool debug)
{
	static const enum log_level levels[] = { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };
	enum log_level lvl = levels[conf_enum(c, -1, OPT_ID_log_level)];
	if (debug && lvl < LOG_DEBUG)
		lvl = LOG_DEBUG;
	log_set_level(lvl);
	char *dir = conf_data_dir(c);
	char *file = xasprintf("%s/log", dir);
	if (util_mkdirs(dir, 0700) < 0 || log_open_file(file) < 0)
		fprintf(stderr, "muttlike: cannot open log %s; logging to stderr\n", file);
	free(file);
	free(dir);
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
		if (strcmp(cmd, "check") == 0) {
			/* the check still runs (it may say more), but a config
			 * with errors is a usage error, as for sync */
			rc = cmd_check(c, argc - a.cmd_index, argv + a.cmd_index);
			conf_free(&c);
			return errors ? EXIT_USAGE : rc;
		}
		if (strcmp(cmd, "sync") == 0 || strcmp(cmd, "search") == 0) {
			/* A broken config line must not make a sync run with half
			 * an account: refuse, as design.md's exit 2 says. */
			if (errors) {
				conf_free(&c);
				return EXIT_USAGE;
			}
			rc = cmd[1] == 'y' ? cmd_sync(c, argc - a.cmd_index, argv + a.cmd_index)
					   : cmd_search(c, argc - a.cmd_index, argv + a.cmd_index);
			conf_free(&c);
			return rc;
		}
		if (strcmp(cmd, "setup") == 0) {
			char *rc_path = wizard_rc_path(a.config);
			rc = cmd_setup(c, rc_path, argc - a.cmd_index, argv + a.cmd_index);
			free(rc_path);
			conf_free(&c);
			return rc;
		}
		fprintf(stderr, "muttlike: unknown command '%s'; try 'muttlike --help'\n", cmd);
		conf_free(&c);
		return EXIT_USAGE;
	}

	if (a.account && conf_account_find(c, a.account) < 0) {
		fprintf(stderr, "muttlike: no account named '%s' in the config\n", a.account);
		conf_free(&c);
		return EXIT_USAGE;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fputs("muttlike: the reader needs a terminal; for scripts use 'muttlike sync' or 'muttlike search'\n",
		      stderr);
		conf_free(&c);
		return EXIT_USAGE;
	}
	char *found = conf_find_file(a.config);
	if (!found) {
		/* first start, no rc at all: the wizard writes one, then the reader
		 * opens it (an existing rc without accounts gets the reader's hint) */
		char *rc_path = wizard_rc_path(a.config);
		rc = wizard_run(c, rc_path, NULL, NULL);
		conf_free(&c);
		c = conf_new();
		if (rc == 0)
			conf_load_file(c, rc_path);
		free(rc_path);
		if (rc != 0 || conf_account_count(c) == 0) {
			conf_free(&c);
			return rc ? rc : EXIT_RUNTIME;
		}
	}
	free(found);
	setup_logging(c, a.debug);
	char *account = a.account ? xstrdup(a.account) : NULL;
	bool want_setup = false;
	/* add-account leaves the reader (workers stopped, everything on disk),
	 * runs the wizard on the terminal, and opens the reader again: on the
	 * new account when one was written, as it was otherwise */
	while ((rc = ui_run(c, account, &want_setup)) == 0 && want_setup) {
		log_close_file();
		char *rc_path = wizard_rc_path(a.config);
		char *added = NULL;
		/* an extra trust anchor the user already set (a company CA) is
		 * offered to the new account's probes too */
		long cur = account ? conf_account_find(c, account) : 0;
		char *ca = cur >= 0 && (size_t)cur < conf_account_count(c) ? conf_path(c, cur, OPT_ID_tls_ca_file) : NULL;
		struct wizard_args wa = { .ca_file = ca && *ca ? ca : NULL };
		int w = wizard_run(c, rc_path, &wa, &added);
		free(ca);
		if (w == 0 && added) {
			conf_free(&c);
			c = conf_new();
			conf_load_file(c, rc_path);
			free(account);
			account = added;
			added = NULL;
		}
		free(added);
		free(rc_path);
		setup_logging(c, a.debug);
	}
	free(account);
	log_close_file();
	conf_free(&c);
	return rc;
}
