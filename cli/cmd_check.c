/* cmd_check.c - `muttlike check [ACCOUNT]`: prove an account works.
 *
 * Headless: a certificate that fails is refused with the one line that
 * says how to pin it; nothing is ever accepted without the user's rc. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "commands.h"
#include "imap.h"
#include "log.h"
#include "secret.h"
#include "text.h"
#include "util.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

static void quiet_sink(enum log_level level, const char *line, void *ud)
{
	(void)ud;
	text_print(stderr, "muttlike: %s: %s", log_level_name(level), line);
}

/* Ask on the controlling terminal with echo off; NULL without one. */
static char *ask_tty(void *ud, const char *prompt)
{
	(void)ud;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return NULL;
	struct termios old, quiet;
	bool restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* still try to read */
	}
	char buf[1024];
	size_t n = 0;
	char ch;
	while (n + 1 < sizeof(buf) && read(fd, &ch, 1) == 1 && ch != '\n')
		buf[n++] = ch;
	buf[n] = '\0';
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* cosmetic */
	}
	close(fd);
	char *s = n ? xstrdup(buf) : NULL;
	secret_wipe(buf, sizeof(buf));
	return s;
}

/* INBOX first, then by name: the order a person scans. */
static int folder_cmp(const void *a, const void *b)
{
	const struct imap_folder *x = a, *y = b;
	if ((x->special == IMAP_SPECIAL_INBOX) != (y->special == IMAP_SPECIAL_INBOX))
		return x->special == IMAP_SPECIAL_INBOX ? -1 : 1;
	return strcmp(x->name, y->name);
}

static enum imap_status print_folders(imap_t *m)
{
	struct imap_folder *f;
	size_t n;
	enum imap_status st = imap_list(m, &f, &n);
	if (st != IMAP_OK)
		return st;
	qsort(f, n, sizeof(*f), folder_cmp);
	printf("%zu folders:\n", n);
	for (size_t i = 0; i < n; i++) {
		char *name = text_sanitize(f[i].name, strlen(f[i].name), false);
		const char *sp = imap_special_name(f[i].special);
		char tag[32] = "";
		if (*sp && f[i].special != IMAP_SPECIAL_INBOX)
			snprintf(tag, sizeof(tag), " [%s]", sp);
		if (f[i].flags & IMAP_FOLDER_NOSELECT) {
			printf("  %s%s (not selectable)\n", name, tag);
		} else {
			long msgs, unseen;
			st = imap_status_counts(m, f[i].raw, &msgs, &unseen);
			if (st == IMAP_ERR_SERVER)
				printf("  %s%s: counts unavailable\n", name, tag);
			else if (st != IMAP_OK) {
				free(name);
				break;
			}
			else if (msgs < 0) /* "* STATUS INBOX ()": say so, not "?" */
				printf("  %s%s: the server gave no message count\n", name, tag);
			else if (unseen < 0)
				printf("  %s%s: %ld messages (the server gave no unseen count)\n", name, tag, msgs);
			else
				printf("  %s%s: %ld messages, %ld unseen\n", name, tag, msgs, unseen);
		}
		free(name);
	}
	imap_folders_free(&f, n);
	return st == IMAP_ERR_SERVER ? IMAP_OK : st;
}

int cmd_check(conf_t *c, int argc, char **argv)
{
	bool verbose = false;
	const char *acct = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0) {
			verbose = true;
		} else if (argv[i][0] == '-' || acct) {
			fputs("usage: muttlike [-F FILE] check [-v] [ACCOUNT]\n", stderr);
			return EXIT_USAGE;
		} else {
			acct = argv[i];
		}
	}
	if (conf_account_count(c) == 0) {
		fputs("muttlike: check: no account in the config; add one with 'account NAME' and 'set imap_url'\n",
		      stderr);
		return EXIT_USAGE;
	}
	long a = acct ? conf_account_find(c, acct) : 0;
	if (a < 0) {
		text_print(stderr, "muttlike: check: no account named '%s' in the config", acct);
		return EXIT_USAGE;
	}
	const char *name = conf_account_name(c, (size_t)a);
	/* with -d the log is data_dir/log (main.c); else errors (-v: debug
	 * detail) go to stderr */
	bool own_sink = !log_file_is_open();
	if (own_sink) {
		log_set_sink(quiet_sink, NULL);
		log_set_level(verbose ? LOG_DEBUG : LOG_ERROR);
	}

	struct imap_params p;
	char *err;
	if (!imap_params_from_conf(c, a, &p, &err)) {
		text_print(stderr, "muttlike: %s: %s", name, err);
		free(err);
		return EXIT_USAGE;
	}
	imap_t *m = imap_new(&p);
	imap_params_clear(&p);
	if (isatty(STDIN_FILENO))
		imap_set_ask_secret(m, ask_tty, NULL);

	int rc = 0;
	enum imap_status st = imap_connect(m);
	if (imap_warning(m))
		text_print(stderr, "muttlike: %s: warning: %s", name, imap_warning(m));
	if (st == IMAP_OK) {
		const struct tls_cert_info *ci = imap_cert(m);
		if (*imap_tls_version(m))
			text_print(stdout, "%s: connected with %s, certificate %s", name, imap_tls_version(m),
			       ci && ci->pinned ? "accepted by pin" : "verified");
		else
			text_print(stdout, "%s: connected without TLS", name);
		st = imap_login(m);
	}
	if (st == IMAP_OK) {
		text_print(stdout, "%s: logged in (%s)", name, imap_auth_used(m));
		st = print_folders(m);
	}
	if (st != IMAP_OK) {
		text_print(stderr, "muttlike: %s: %s", name, imap_error(m));
		rc = st == IMAP_ERR_CONFIG ? EXIT_USAGE : EXIT_RUNTIME;
	}
	imap_free(&m);
	if (own_sink)
		log_set_sink(NULL, NULL);
	return rc;
}
