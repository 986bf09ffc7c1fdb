/* entry.h - the curses front end's entry points, the one ui/ header
 * cli/ includes: the reader and the account setup wizard (curses form, plain
 * line mode, or non-interactive), shared by `muttlike setup` and the
 * reader's start-up when no account is configured. */
#ifndef MUTTLIKE_UI_ENTRY_H
#define MUTTLIKE_UI_ENTRY_H

#include <stdbool.h>

#include "conf.h"

/* Run the reader until the user quits; returns the exit status.
 * *want_setup (may be NULL) is set when the user left to add an account
 * (add-account): the caller runs the wizard and then the reader again. */
int reader_run(conf_t *c, const char *account, bool *want_setup);

enum wizard_mode { WIZARD_AUTO = 0, WIZARD_FORM, WIZARD_PLAIN, WIZARD_BATCH };

/* What the command line already said (all optional, borrowed). */
struct wizard_args {
	enum wizard_mode mode;    /* AUTO: the form on a capable terminal, else plain */
	const char *email;
	const char *name;
	const char *account;      /* account name; default: from the domain */
	const char *password_cmd; /* becomes imap_pass_cmd; also used to test the login */
	const char *imap_url;     /* skip discovery for IMAP */
	const char *smtp_url;     /* skip discovery for SMTP ("sendmail" for the local MTA) */
	const char *ca_file;      /* extra trust anchor: probes, HTTPS, and tls_ca_file */
	const char *ispdb_url;
	const char *pin;          /* batch: trust a refused certificate with this SHA-256 */
	bool sync;                /* batch: run the first sync after writing */
};

/* Run the wizard; on success the account is in rc_path (created if
 * missing) and *account_out (if not NULL) gets its name (caller frees).
 * Returns the exit status: 0 written, 1 failed or cancelled (nothing
 * written), 2 usage. */
int wizard_run(conf_t *c, const char *rc_path, const struct wizard_args *args, char **account_out);

/* Where setup writes: -F FILE, else the rc muttlike would read, else
 * $XDG_CONFIG_HOME/muttlike/muttlike.rc (~/.config/...).  New string. */
char *wizard_rc_path(const char *explicit_path);

#endif
