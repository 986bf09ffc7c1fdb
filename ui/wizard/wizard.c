/* wizard.c - the setup wizard's steps, shared by every front end.
 *
 * identity -> discovery -> servers (editable, re-probed) -> certificate or
 * plaintext decision when needed -> password (asked once, tested for real)
 * -> how to keep it -> summary -> write -> first sync.  OAuth2 instead of
 * a password: sign-in page (client id) -> summary -> the authorization
 * (in the form; the plain mode runs setup --oauth after writing) -> write.
 *
 * Nothing is written before the last step: a pin chosen on the certificate
 * page, a password file and the rc are all written together at the end, so
 * cancelling at any point leaves no trace.  In batch mode (`setup --yes`)
 * no page is shown: a missing answer is an error that says which flag
 * gives it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "discover.h"
#include "log.h"
#include "oauth2.h"
#include "rcwrite.h"
#include "secret.h"
#include "text.h"
#include "tls.h"
#include "url.h"
#include "util.h"
#include "entry.h"
#include "wizard_fe.h"
#include "wizard_private.h"

enum step { S_IDENTITY, S_DISCOVER, S_SERVERS, S_PASSWORD, S_STORE, S_SUMMARY, S_AUTHORIZE, S_WRITE, S_DONE, S_FAIL,
	    S_CANCEL };

/* ---- small helpers ---- */

static void progress_cb(void *ud, const char *line)
{
	struct wiz *w = ud;
	char *s = text_sanitize(line, strlen(line), false);
	wiz_say(w, "  %s", s);
	free(s);
}

/* ---- step: who are you ---- */

static enum step identity(struct wiz *w)
{
	struct wiz_field f[3] = {
		{ .label = "Your name", .kind = WF_TEXT, .help = "Shown to the people you write to" },
		{ .label = "E-mail address", .kind = WF_TEXT, .help = "name@example.org" },
		{ .label = "Account name", .kind = WF_TEXT, .help = "A short name for muttlike (empty: from the domain)" },
	};
	snprintf(f[0].value, sizeof(f[0].value), "%s", w->name);
	snprintf(f[1].value, sizeof(f[1].value), "%s", w->email);
	snprintf(f[2].value, sizeof(f[2].value), "%s", w->account);
	struct wiz_page p = { .title = "New account (1/5): who you are", .fields = f, .nfields = 3,
			      .next_label = "Find my servers" };
	p.info[0] = "Type your name and address; muttlike finds the servers.";
	char *err = NULL;
	for (;;) {
		if (w->fe) {
			p.error = err;
			enum wiz_result r = w->fe->page(w->fe, &p);
			if (r != WIZ_NEXT) {
				free(err);
				return S_CANCEL; /* the first page has nothing to go back to */
			}
			snprintf(w->name, sizeof(w->name), "%s", f[0].value);
			snprintf(w->email, sizeof(w->email), "%s", f[1].value);
			snprintf(w->account, sizeof(w->account), "%s", f[2].value);
		}
		free(err);
		err = NULL;
		char *local, *domain;
		/* with the servers given by hand nothing is looked up in the
		 * domain, so a local one ("alice@localhost") is fine */
		bool split = w->a.imap_url ? disc_email_split_local(w->email, &local, &domain, &err)
					   : disc_email_split(w->email, &local, &domain, &err);
		if (split) {
			snprintf(w->domain, sizeof(w->domain), "%s", domain);
			snprintf(w->local, sizeof(w->local), "%s", local);
			free(local);
			free(domain);
			if (!*w->account) {
				char *n = rcwrite_free_account_name(w->rc_path, w->domain);
				snprintf(w->account, sizeof(w->account), "%s", n);
				free(n);
			}
			return S_DISCOVER;
		}
		if (!w->fe) {
			wiz_fail(w, "%s: %s", *w->email ? w->email : "--email", err);
			free(err);
			return S_FAIL;
		}
	}
}

/* ---- step: discovery ---- */

static void discover_job(void *arg)
{
	struct wiz *w = arg;
	discover_run(w->d, w->email);
}

static void discover_job_cancel(void *arg)
{
	discover_cancel(((struct wiz *)arg)->d);
}

/* A server from a URL the user gave (--imap-url / --smtp-url). */
static bool server_from_url(struct wiz *w, const char *url, enum disc_proto proto, struct disc_server *s)
{
	struct url u;
	char *err;
	if (!url_parse(url, proto == DISC_IMAP ? "imaps|imap" : "smtps|smtp", &u, &err)) {
		wiz_fail(w, "%s: %s", url, err);
		free(err);
		return false;
	}
	disc_server_clear(s);
	s->proto = proto;
	s->host = xstrdup(u.host);
	s->sec = u.implicit_tls ? DISC_SEC_TLS : DISC_SEC_STARTTLS;
	s->port = u.port ? u.port : proto == DISC_IMAP ? (u.implicit_tls ? 993 : 143) : (u.implicit_tls ? 465 : 587);
	s->user = u.user ? xstrdup(u.user) : NULL;
	s->source = xstrdup("your command line");
	url_clear(&u);
	return true;
}

static void take_best(struct wiz *w, enum disc_proto proto, struct disc_server *dst)
{
	const struct disc_server *b = discover_best(w->d, proto);
	if (b)
		disc_server_copy(dst, b);
}

static enum step discover(struct wiz *w)
{
	disc_server_clear(&w->imap);
	disc_server_clear(&w->smtp);
	w->use_sendmail = w->a.smtp_url && strcmp(w->a.smtp_url, "sendmail") == 0;
	bool imap_given = w->a.imap_url, smtp_given = w->a.smtp_url && !w->use_sendmail;
	if (imap_given && !server_from_url(w, w->a.imap_url, DISC_IMAP, &w->imap))
		return S_FAIL;
	w->user_given = w->imap.user != NULL; /* the URL named the login: use it as it is */
	if (smtp_given && !server_from_url(w, w->a.smtp_url, DISC_SMTP, &w->smtp))
		return S_FAIL;
	if (!imap_given || (!smtp_given && !w->use_sendmail)) {
		discover_free(&w->d);
		w->d = discover_new(&w->o);
		if (imap_given)
			discover_skip(w->d, DISC_IMAP);
		if (smtp_given || w->use_sendmail)
			discover_skip(w->d, DISC_SMTP);
		char *title = xasprintf("Looking for the servers of %s ...", w->domain);
		bool ok = wiz_run_job(w, title, discover_job, discover_job_cancel, w);
		free(title);
		if (!ok)
			return w->fe ? S_IDENTITY : S_CANCEL;
		if (!imap_given)
			take_best(w, DISC_IMAP, &w->imap);
		if (!smtp_given && !w->use_sendmail)
			take_best(w, DISC_SMTP, &w->smtp);
		for (size_t i = 0; i < discover_warning_count(w->d); i++)
			wiz_warn(w, "%s", discover_warning(w->d, i));
		w->oauth = discover_oauth_hint(w->d);
	}
	if (imap_given && !wiz_probe(w, &w->imap, NULL))
		return S_IDENTITY;
	if (smtp_given && !wiz_probe(w, &w->smtp, NULL))
		return S_IDENTITY;
	if (!w->imap.host && !w->fe) {
		wiz_fail(w, "no IMAP server found for %s (tried SRV, autoconfig, the ISPDB, MX and guessing); "
			"give it with --imap-url imaps://HOST", w->domain);
		return S_FAIL;
	}
	return S_SERVERS;
}

/* ---- step: servers ---- */

/* Decide what a probed server's state means; returns the next step or
 * S_SERVERS to show the page again with *err. */
static enum step settle(struct wiz *w, struct disc_server *s, char **err)
{
	const char *what = s->proto == DISC_IMAP ? "incoming (IMAP)" : "outgoing (SMTP)";
	switch (s->probe) {
	case DISC_WORKS:
		return S_PASSWORD;
	case DISC_CERT:
	case DISC_INSECURE: {
		enum wiz_decision d = s->probe == DISC_CERT ? wiz_cert_decision(w, s, err) : wiz_plaintext_decision(w, s, err);
		return d == WIZ_DEC_OK ? S_PASSWORD : d == WIZ_DEC_AGAIN ? S_SERVERS : S_CANCEL;
	}
	case DISC_UNPROBED:
	case DISC_FAILED:
		break;
	}
	*err = xasprintf("%s server %s:%d does not work: %s", what, s->host ? s->host : "?", s->port,
			 s->error ? s->error : "not reachable");
	return S_SERVERS;
}

static enum step servers(struct wiz *w)
{
	char *err = NULL;
	for (;;) {
		if (w->fe) {
			enum wiz_result r = wiz_servers_page(w, &err);
			if (r == WIZ_BACK)
				return S_IDENTITY;
			if (r == WIZ_CANCEL)
				return S_CANCEL;
			if (err) /* the page could not even read the fields */
				continue;
		}
		enum step next = settle(w, &w->imap, &err);
		if (next == S_PASSWORD && !w->use_sendmail && w->smtp.host) {
			next = settle(w, &w->smtp, &err);
			if (next == S_SERVERS && !w->fe) { /* batch: go on without SMTP, say so */
				wiz_warn(w, "%s; no outgoing server written (set smtp_url later)", err);
				free(err);
				err = NULL;
				disc_server_clear(&w->smtp);
				next = S_PASSWORD;
			}
		} else if (next == S_PASSWORD && !w->use_sendmail && !w->smtp.host) {
			wiz_warn(w, "no outgoing (SMTP) server found; set smtp_url or sendmail later to send mail");
		}
		if (next != S_SERVERS) {
			free(err);
			return next;
		}
		if (!w->fe) {
			wiz_fail(w, "%s", err);
			free(err);
			return next == S_SERVERS ? S_FAIL : next;
		}
	}
}

/* ---- step: password ---- */

struct login_arg {
	struct wiz *w;
	int rc;
	char *err;
};

static const char *login_user(const struct wiz *w)
{
	return *w->user ? w->user : w->imap.user ? w->imap.user : w->email;
}

static void login_job(void *arg)
{
	struct login_arg *a = arg;
	struct wiz *w = a->w;
	a->rc = discover_login(&w->o, &w->imap, login_user(w), w->password, w->once_imap, &a->err);
	/* servers differ on the login name: the address, or its local part */
	if (a->rc && !w->user_given && strcmp(login_user(w), w->email) == 0) {
		char *e2 = NULL;
		if (discover_login(&w->o, &w->imap, w->local, w->password, w->once_imap, &e2) == 0) {
			snprintf(w->user, sizeof(w->user), "%s", w->local);
			a->rc = 0;
			free(a->err);
			a->err = NULL;
		}
		free(e2);
	}
	if (a->rc == 0 && w->smtp.host && w->smtp.probe == DISC_WORKS && !w->use_sendmail) {
		char *e = NULL;
		if (discover_login(&w->o, &w->smtp, login_user(w), w->password, w->once_smtp, &e) != 0) {
			free(w->smtp_warning);
			w->smtp_warning = e;
		}
	}
}

/* Test the login; on failure *err says why.  False if cancelled. */
static bool test_login(struct wiz *w, char **err)
{
	struct login_arg a = { .w = w };
	char *title = xasprintf("Logging in to %s as %s ...", w->imap.host, login_user(w));

	bool ok = wiz_run_job(w, title, login_job, NULL, &a);
	free(title);
	if (!ok)
		return false;
	if (a.rc)
		*err = a.err ? a.err : xstrdup("login failed");
	else
		free(a.err);
	return true;
}

/* OAuth2 for a host the provider table knows, or one whose autoconfig
 * says OAuth2 (interactive modes only): S_SUMMARY when chosen, S_PASSWORD's
 * own pages otherwise (-1).  The client id (and secret) set globally in
 * the rc is offered. */
static int oauth_choice(struct wiz *w)
{
	const struct oauth2_provider *p = w->fe ? oauth2_provider_for_host(w->imap.host) : NULL;
	w->oauth_provider = p ? p->name : NULL;
	w->use_oauth = false;
	if (!p && !(w->fe && w->oauth))
		return -1;
	const char *id = conf_str(w->c, -1, OPT_ID_oauth_client_id);
	const char *secret = conf_str(w->c, -1, OPT_ID_oauth_client_secret);
	if (!*w->client_id && id)
		snprintf(w->client_id, sizeof(w->client_id), "%s", id);
	if (!*w->client_secret && secret)
		snprintf(w->client_secret, sizeof(w->client_secret), "%s", secret);
	enum wiz_result r = wiz_oauth_page(w);
	if (r != WIZ_NEXT)
		return r == WIZ_BACK ? S_SERVERS : S_CANCEL;
	if (!w->use_oauth)
		return -1;
	w->pass_cmd[0] = '\0';
	return S_SUMMARY;
}

static enum step password(struct wiz *w)
{
	char *err = NULL;
	int o = oauth_choice(w);
	if (o >= 0)
		return (enum step)o;
	for (;;) {
		secret_free(&w->password);
		if (w->fe) {
			enum wiz_result r = wiz_password_page(w, err);
			free(err);
			err = NULL;
			if (r != WIZ_NEXT)
				return r == WIZ_BACK ? S_SERVERS : S_CANCEL;
		} else if (!wiz_batch_password(w)) {
			return S_FAIL;
		}
		if (!test_login(w, &err))
			return w->fe ? S_PASSWORD : S_CANCEL;
		if (!err) {
			wiz_say(w, "  logged in as %s", login_user(w));
			if (w->smtp_warning)
				wiz_warn(w, "outgoing server: %s", w->smtp_warning);
			return S_STORE;
		}
		if (!w->fe) {
			wiz_fail(w, "login to %s failed: %s", w->imap.host, err);
			free(err);
			return S_FAIL;
		}
	}
}

/* ---- steps: storage, summary ---- */

static enum step store(struct wiz *w)
{
	if (!w->fe) {
		snprintf(w->pass_cmd, sizeof(w->pass_cmd), "%s", w->a.password_cmd);
		w->store = WIZ_STORE_COMMAND;
		return S_SUMMARY;
	}
	enum wiz_result r = wiz_store_page(w);
	return r == WIZ_NEXT ? S_SUMMARY : r == WIZ_BACK ? S_PASSWORD : S_CANCEL;
}

static enum step summary(struct wiz *w)
{
	if (!w->fe)
		return S_WRITE;
	enum wiz_result r = wiz_summary_page(w);
	if (r == WIZ_NEXT && w->use_oauth && w->fe->keeps_screen)
		return S_AUTHORIZE;
	return r == WIZ_NEXT ? S_WRITE : r == WIZ_BACK ? (w->use_oauth ? S_PASSWORD : S_STORE) : S_CANCEL;
}

/* The OAuth2 authorization inside the form: written afterwards when it
 * worked, the sign-in page again with the reason when not. */
static enum step authorize(struct wiz *w)
{
	char *err = NULL;
	switch (wiz_authorize(w, login_user(w), &err)) {
	case WIZ_AUTH_OK:
		w->authorized = true;
		return S_WRITE;
	case WIZ_AUTH_CANCELLED:
		return S_SUMMARY;
	case WIZ_AUTH_FAILED:
		break;
	}
	free(w->oauth_error);
	w->oauth_error = err;
	return S_PASSWORD;
}

static enum step do_write(struct wiz *w)
{
	char *err = NULL;
	if (wiz_write(w, &err) < 0) {
		wiz_fail(w, "%s", err);
		free(err);
		if (w->token_file) /* nothing left behind */
			unlink(w->token_file);
		return S_FAIL;
	}
	return S_DONE;
}

/* ---- the first sync ---- */

/* Run `muttlike -F RC SUBCOMMAND [--oauth] ACCOUNT` with the terminal, so
 * its own output shows: the first sync (a separate process keeps the
 * wizard independent of the sync engine's threads), the OAuth2
 * authorization (setup --oauth: the device code or the browser, with
 * the terminal to itself after the form). */
static int run_self(struct wiz *w, const char *what, const char *sub, const char *flag)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	printf("%s: muttlike -F %s %s%s%s %s\n", what, w->rc_path, sub, flag ? " " : "", flag ? flag : "", w->account);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (flag)
			execl(exe, "muttlike", "-F", w->rc_path, sub, flag, w->account, (char *)NULL);
		else
			execl(exe, "muttlike", "-F", w->rc_path, sub, w->account, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- driver ---- */

static void opts_init(struct wiz *w)
{
	w->o.ca_file = w->a.ca_file;
	w->o.ispdb_url = w->a.ispdb_url ? w->a.ispdb_url : getenv("MUTTLIKE_ISPDB_URL");
	char *dd = conf_data_dir(w->c);
	w->pin_file = xasprintf("%s/certs", dd);
	free(dd);
	w->o.pin_file = w->pin_file;
	w->o.progress = progress_cb;
	w->o.ud = w;
	w->o.step_timeout_ms = 5000;
	w->o.probe_timeout_s = (int)conf_num(w->c, -1, OPT_ID_timeout) > 15 ? 15 : (int)conf_num(w->c, -1, OPT_ID_timeout);
	/* test hook: MUTTLIKE_PORT_MAP="993=10993,443=8443" */
	const char *pm = getenv("MUTTLIKE_PORT_MAP");
	size_t k = 0;
	for (const char *p = pm; p && *p && k + 1 < ARRAY_SIZE(w->port_map);) {
		int from, to, used = 0;
		if (sscanf(p, "%d=%d%n", &from, &to, &used) != 2 || from <= 0 || to <= 0 || to > 65535)
			break;
		w->port_map[k].from = from;
		w->port_map[k++].to = to;
		p += used;
		p += *p == ',';
	}
	w->o.port_map = k ? w->port_map : NULL;
}

static void wiz_clear(struct wiz *w)
{
	discover_free(&w->d);
	disc_server_clear(&w->imap);
	disc_server_clear(&w->smtp);
	secret_free(&w->password);
	free(w->once_imap);
	free(w->once_smtp);
	free(w->pin_file);
	free(w->failure);
	free(w->smtp_warning);
	free(w->backup);
	free(w->oauth_error);
	free(w->token_file);
	for (size_t i = 0; i < w->nkept; i++)
		free(w->kept[i]);
	free(w->kept);
	for (size_t i = 0; i < w->nwarn; i++)
		free(w->warnings[i]);
	free(w->warnings);
	if (w->fe)
		w->fe->free(w->fe);
}

static enum step run_steps(struct wiz *w)
{
	enum step s = S_IDENTITY;
	while (s != S_DONE && s != S_FAIL && s != S_CANCEL) {
		switch (s) {
		case S_IDENTITY: s = identity(w); break;
		case S_DISCOVER: s = discover(w); break;
		case S_SERVERS: s = servers(w); break;
		case S_PASSWORD: s = password(w); break;
		case S_STORE: s = store(w); break;
		case S_SUMMARY: s = summary(w); break;
		case S_AUTHORIZE: s = authorize(w); break;
		case S_WRITE: s = do_write(w); break;
		default: s = S_FAIL; break;
		}
	}
	return s;
}

static struct wiz_fe *pick_fe(enum wizard_mode mode)
{
	if (mode == WIZARD_BATCH)
		return NULL;
	const char *term = getenv("TERM");
	bool dumb = !term || !*term || strcmp(term, "dumb") == 0 || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO);
	struct wiz_fe *fe = NULL;
	if (mode != WIZARD_PLAIN && !dumb)
		fe = wizard_form_new();
	return fe ? fe : wizard_plain_new();
}

char *wizard_rc_path(const char *explicit_path)
{
	if (explicit_path)
		return xstrdup(explicit_path);
	char *found = conf_find_file(NULL);
	if (found)
		return found;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (xdg && *xdg == '/')
		return xasprintf("%s/muttlike/muttlike.rc", xdg);
	return xasprintf("%s/.config/muttlike/muttlike.rc", util_home());
}

int wizard_run(conf_t *c, const char *rc_path, const struct wizard_args *args, char **account_out)
{
	static const struct wizard_args none = { 0 };
	struct wiz w = { .c = c, .rc_path = rc_path, .a = args ? *args : none };
	if (account_out)
		*account_out = NULL;
	snprintf(w.name, sizeof(w.name), "%s", w.a.name ? w.a.name : "");
	snprintf(w.email, sizeof(w.email), "%s", w.a.email ? w.a.email : "");
	snprintf(w.account, sizeof(w.account), "%s", w.a.account ? w.a.account : "");
	opts_init(&w);
	w.want_sync = w.a.sync; /* --sync; the interactive summary page may change it */
	w.fe = pick_fe(w.a.mode);
	enum step s = run_steps(&w);
	if (w.fe) { /* give the terminal back before the last words */
		w.fe->free(w.fe);
		w.fe = NULL;
	}
	int rc = 0;
	if (s == S_DONE) {
		wiz_report(&w);
		if (account_out)
			*account_out = xstrdup(w.account);
		bool authorized = true;
		if (w.use_oauth && !w.authorized && run_self(&w, "Authorizing the account", "setup", "--oauth") != 0) {
			text_print(stderr, "muttlike: setup: the account is written but not authorized; run "
					   "'muttlike setup --oauth %s' later",
				   w.account);
			authorized = false;
		}
		if (authorized && w.want_sync && run_self(&w, "Running the first sync", "sync", NULL) != 0)
			text_print(stderr, "muttlike: setup: the first sync did not finish; run 'muttlike sync %s' later",
				w.account);
	} else if (s == S_CANCEL) {
		text_print(stderr, "muttlike: setup cancelled; nothing was written");
		rc = 1;
	} else {
		text_print(stderr, "muttlike: setup: %s; nothing was written", w.failure ? w.failure : "failed");
		rc = 1;
	}
	wiz_clear(&w);
	return rc;
}
