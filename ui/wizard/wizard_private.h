/* wizard_private.h - the wizard's state, shared by wizard*.c only. */
#ifndef MUTTLIKE_WIZARD_PRIVATE_H
#define MUTTLIKE_WIZARD_PRIVATE_H

#include <limits.h>

#include "rcwrite.h"

#include "conf.h"
#include "discover.h"
#include "util.h"
#include "entry.h"
#include "wizard_fe.h"

enum wiz_store { WIZ_STORE_COMMAND = 0, WIZ_STORE_PASS, WIZ_STORE_SECRET_TOOL, WIZ_STORE_FILE, WIZ_STORE_ASK };

struct wiz {
	conf_t *c;                   /* foreign */
	const char *rc_path;         /* foreign */
	struct wizard_args a;        /* strings foreign */
	struct wiz_fe *fe;           /* owned; NULL in batch mode */
	struct disc_opts o;
	struct disc_port_map port_map[8];
	char *pin_file;
	discover_t *d;
	char name[WIZ_VALUE_MAX], email[WIZ_VALUE_MAX], account[WIZ_VALUE_MAX], domain[WIZ_VALUE_MAX], local[WIZ_VALUE_MAX];
	char user[WIZ_VALUE_MAX];            /* login name; empty: the address */
	bool user_given;
	struct disc_server imap, smtp; /* the chosen servers (owned) */
	bool use_sendmail;
	bool oauth;                  /* the provider wants OAuth2 */
	bool use_oauth;              /* the user chose OAuth2: no password; setup --oauth after writing */
	const char *oauth_provider;  /* the built-in table knows the IMAP host (oauth2_provider_for_host), or NULL */
	char client_id[WIZ_VALUE_MAX], client_secret[WIZ_VALUE_MAX];
	char oauth_way[16];          /* the form: "code" (device grant) or "browser" */
	char *oauth_error;           /* why the authorization in the form failed, for the sign-in page */
	bool authorized;             /* the form authorized the account: no setup --oauth afterwards */
	char *token_file;            /* where that put the refresh token (removed if the write fails) */
	char *once_imap, *once_smtp; /* accepted certificate SHA-256 for this run */
	bool pin_imap, pin_smtp;     /* accept always: pinned when writing */
	bool plaintext;              /* the user said yes to no TLS */
	char *password;              /* secret, wiped */
	enum wiz_store store;
	char pass_cmd[1024];
	char pass_file[PATH_MAX];
	char *smtp_warning;
	bool want_sync;
	char *failure;
	char **kept;                 /* sanitized lines pages borrow */
	size_t nkept;
	char **warnings;
	size_t nwarn;
	char *backup;                /* where the old rc was saved */
};

/* wizard_common.c: used by the steps (wizard.c), the pages and the
 * write; calls no other wizard file. */
/* A line to the user: the front end's notes, stdout in batch. */
void wiz_say(struct wiz *w, const char *fmt, ...) ML_PRINTF(2, 3);
/* A warning, said once however often it comes. */
void wiz_warn(struct wiz *w, const char *fmt, ...) ML_PRINTF(2, 3);
/* Why the wizard failed (the last one said). */
void wiz_fail(struct wiz *w, const char *fmt, ...) ML_PRINTF(2, 3);
/* Untrusted text (from a server, DNS, XML) made safe and kept until the
 * wizard ends, for info lines that borrow it. */
const char *wiz_keep(struct wiz *w, const char *fmt, ...) ML_PRINTF(2, 3);
/* Run fn(arg) through the front end's busy screen, or directly in batch;
 * false if cancelled. */
bool wiz_run_job(struct wiz *w, const char *title, void (*fn)(void *), void (*cancel)(void *), void *arg);
/* Probe one server through the busy screen; false if cancelled. */
bool wiz_probe(struct wiz *w, struct disc_server *s, const char *once);

/* wizard_pages.c: the pages; each returns what the user chose. */
enum wiz_result wiz_servers_page(struct wiz *w, char **err);
enum wiz_result wiz_password_page(struct wiz *w, const char *err);
/* OAuth2 or a password, for a host the provider table knows; sets
 * w->use_oauth and the client id/secret. */
enum wiz_result wiz_oauth_page(struct wiz *w);
enum wiz_result wiz_store_page(struct wiz *w);
/* wizard_oauth.c: the OAuth2 authorization inside a front end that keeps
 * the screen (the device code shown, or the browser's address with a line
 * to paste where it ended), before the account is written. */
enum wiz_auth { WIZ_AUTH_OK, WIZ_AUTH_FAILED, WIZ_AUTH_CANCELLED };
enum wiz_auth wiz_authorize(struct wiz *w, const char *user, char **err);
/* Whether the device grant is the way to offer first. */
bool wiz_device_default(const struct wiz *w);
enum wiz_result wiz_summary_page(struct wiz *w);
/* A refused certificate or a plaintext-only server: OK when the user
 * accepted it (the server works now), AGAIN with *err to show the servers
 * page again (batch: the failure), CANCEL. */
enum wiz_decision { WIZ_DEC_OK, WIZ_DEC_AGAIN, WIZ_DEC_CANCEL };
enum wiz_decision wiz_cert_decision(struct wiz *w, struct disc_server *s, char **err);
enum wiz_decision wiz_plaintext_decision(struct wiz *w, struct disc_server *s, char **err);

/* wizard_write.c */
bool wiz_batch_password(struct wiz *w);
/* The settings of the new account block (values owned by the array). */
size_t wiz_settings(struct wiz *w, struct rc_setting *out, size_t max, char **owned);
int wiz_write(struct wiz *w, char **err);
void wiz_report(struct wiz *w);

#endif
