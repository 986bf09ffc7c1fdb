/* cmd_setup.c - `muttlike setup`: add an account with the wizard.
 *
 *   muttlike [-F FILE] setup [--email ADDR] [--name NAME] [--account NAME]
 *       [--password-cmd CMD] [--imap-url URL] [--smtp-url URL|sendmail]
 *       [--ca-file FILE] [--ispdb-url URL] [--pin sha256:HEX]
 *       [--yes] [--plain] [--sync]
 *   muttlike [-F FILE] setup --oauth ACCOUNT | --reauth ACCOUNT
 *
 * With --yes nothing is asked: discovery, the probes and the login test
 * run, the account is written, exit 0; exit 1 says what failed.  Without
 * it the flags only pre-fill the form (or the plain mode's prompts).
 * --oauth / --reauth run the OAuth2 authorization of an account already
 * in the rc (cmd_oauth.c). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../ui/entry.h"
#include "commands.h"
#include "log.h"
#include "text.h"
#include "util.h"

enum { EXIT_USAGE = 2 };

static void setup_usage(void)
{
	fputs("usage: muttlike [-F FILE] setup [--email ADDR] [--name NAME] [--account NAME]\n"
	      "         [--password-cmd CMD] [--imap-url URL] [--smtp-url URL|sendmail]\n"
	      "         [--ca-file FILE] [--ispdb-url URL] [--pin sha256:HEX] [--yes] [--plain] [--sync]\n"
	      "       muttlike [-F FILE] setup --oauth ACCOUNT | --reauth ACCOUNT\n",
	      stderr);
}

static void quiet_sink(enum log_level level, const char *line, void *ud)
{
	(void)ud;
	if (level <= LOG_WARN)
		text_print(stderr, "muttlike: %s: %s", log_level_name(level), line);
}

/* --oauth ACCOUNT / --reauth ACCOUNT */
struct oauth_arg {
	const char *account;
	bool reauth;
};

static int parse(int argc, char **argv, struct wizard_args *a, bool *yes, bool *plain, struct oauth_arg *o)
{
	static const struct option longopts[] = {
		{ "email", required_argument, NULL, 'e' },   { "name", required_argument, NULL, 'n' },
		{ "account", required_argument, NULL, 'a' }, { "password-cmd", required_argument, NULL, 'p' },
		{ "imap-url", required_argument, NULL, 'i' }, { "smtp-url", required_argument, NULL, 's' },
		{ "ca-file", required_argument, NULL, 'c' }, { "ispdb-url", required_argument, NULL, 'd' },
		{ "pin", required_argument, NULL, 'P' },     { "yes", no_argument, NULL, 'y' },
		{ "plain", no_argument, NULL, 'l' },         { "sync", no_argument, NULL, 'S' },
		{ "oauth", required_argument, NULL, 'O' },   { "reauth", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e': a->email = optarg; break;
		case 'n': a->name = optarg; break;
		case 'a': a->account = optarg; break;
		case 'p': a->password_cmd = optarg; break;
		case 'i': a->imap_url = optarg; break;
		case 's': a->smtp_url = optarg; break;
		case 'c': a->ca_file = optarg; break;
		case 'd': a->ispdb_url = optarg; break;
		case 'P': a->pin = optarg; break;
		case 'y': *yes = true; break;
		case 'l': *plain = true; break;
		case 'S': a->sync = true; break;
		case 'O':
		case 'R':
			o->account = optarg;
			o->reauth = ch == 'R';
			break;
		default: setup_usage(); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		setup_usage();
		return EXIT_USAGE;
	}
	if (*yes && !a->email) {
		fputs("muttlike: setup: --yes needs at least --email and --password-cmd\n", stderr);
		return EXIT_USAGE;
	}
	return 0;
}

int cmd_setup(conf_t *c, const char *rc_path, int argc, char **argv)
{
	struct wizard_args a = { 0 };
	bool yes = false, plain = false;
	struct oauth_arg o = { 0 };
	int rc = parse(argc, argv, &a, &yes, &plain, &o);
	if (rc)
		return rc;
	a.mode = yes ? WIZARD_BATCH : plain ? WIZARD_PLAIN : WIZARD_AUTO;
	bool own_sink = !log_file_is_open(); /* -d: data_dir/log (main.c) */
	if (own_sink) {
		log_set_sink(quiet_sink, NULL);
		log_set_level(LOG_WARN);
	}
	rc = o.account ? cmd_setup_oauth(c, o.account, o.reauth) : wizard_run(c, rc_path, &a, NULL);
	if (own_sink)
		log_set_sink(NULL, NULL);
	return rc;
}
