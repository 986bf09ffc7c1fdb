/* wizard_pages.c - the wizard's pages: what each shows, and what the
 * answers mean.  Front-end neutral: a page is a list of fields (wizard_fe.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "secret.h"
#include "tls.h"
#include "wizard_private.h"

static const char *const sec_choices[] = { "TLS", "STARTTLS", NULL };
static const char *const send_choices[] = { "smtp", "sendmail", NULL };

/* "imaps://host:port works (TLS1.3), from SRV ..." for an info line. */
static const char *describe(struct wiz *w, const char *what, const struct disc_server *s)
{
	if (!s->host)
		return wiz_keep(w, "%s: nothing found; type the server below", what);
	char *url = disc_server_url(s, NULL);
	const char *line = wiz_keep(w, "%s: %s %s, from %s", what, url, disc_probe_name(s->probe),
				    s->source ? s->source : "you");
	free(url);
	return line;
}

static void set_value(struct wiz_field *f, const char *v)
{
	snprintf(f->value, sizeof(f->value), "%s", v ? v : "");
}

static void put_server(struct wiz_field *f, const struct disc_server *s)
{
	set_value(&f[0], s->host);
	snprintf(f[1].value, sizeof(f[1].value), "%d", s->port ? s->port : 0);
	if (!s->host)
		f[1].value[0] = '\0';
	set_value(&f[2], s->sec == DISC_SEC_TLS ? "TLS" : "STARTTLS");
}

/* Read a server back from its three fields; a change makes it unprobed. */
static bool get_server(struct wiz_field *f, struct disc_server *s, enum disc_proto proto, char **err)
{
	long port;
	const char *what = proto == DISC_IMAP ? "IMAP" : "SMTP";
	if (!disc_hostname_ok(f[0].value)) {
		*err = xasprintf("%s server: '%s' is not a host name", what, f[0].value);
		return false;
	}
	if (!util_parse_long(f[1].value, 1, 65535, &port)) {
		*err = xasprintf("%s port: a number from 1 to 65535", what);
		return false;
	}
	enum disc_sec sec = strcasecmp(f[2].value, "TLS") == 0 ? DISC_SEC_TLS : DISC_SEC_STARTTLS;
	if (s->host && strcasecmp(s->host, f[0].value) == 0 && s->port == port && s->sec == sec)
		return true;
	disc_server_clear(s);
	s->proto = proto;
	s->host = xstrdup(f[0].value);
	s->port = (int)port;
	s->sec = sec;
	s->source = xstrdup("you");
	return true;
}

static void servers_fields(struct wiz *w, struct wiz_field *f)
{
	static const struct wiz_field tmpl[8] = {
		{ .label = "IMAP server", .kind = WF_TEXT, .help = "Incoming mail server host name" },
		{ .label = "IMAP port", .kind = WF_TEXT, .help = "993 with TLS, 143 with STARTTLS" },
		{ .label = "IMAP security", .kind = WF_CHOICE, .choices = sec_choices,
		  .help = "TLS from the first byte, or STARTTLS (must be offered)" },
		{ .label = "Login name", .kind = WF_TEXT, .help = "Often your address, sometimes only the part before @" },
		{ .label = "Send with", .kind = WF_CHOICE, .choices = send_choices,
		  .help = "smtp: the server below; sendmail: this machine's mailer" },
		{ .label = "SMTP server", .kind = WF_TEXT, .help = "Outgoing (submission) server host name" },
		{ .label = "SMTP port", .kind = WF_TEXT, .help = "465 with TLS, 587 with STARTTLS" },
		{ .label = "SMTP security", .kind = WF_CHOICE, .choices = sec_choices, .help = NULL },
	};
	memcpy(f, tmpl, sizeof(tmpl));
	put_server(&f[0], &w->imap);
	const char *user = *w->user ? w->user : w->imap.user ? w->imap.user : w->email;
	set_value(&f[3], user);
	set_value(&f[4], w->use_sendmail ? "sendmail" : "smtp");
	put_server(&f[5], &w->smtp);
}

static bool read_servers(struct wiz *w, struct wiz_field *f, char **err)
{
	if (!get_server(&f[0], &w->imap, DISC_IMAP, err))
		return false;
	if (strcmp(f[3].value, w->email) != 0 || *w->user) {
		w->user_given = strcmp(f[3].value, w->email) != 0;
		snprintf(w->user, sizeof(w->user), "%s", f[3].value);
	}
	w->use_sendmail = strcmp(f[4].value, "sendmail") == 0;
	if (w->use_sendmail)
		return true;
	if (!*f[5].value) { /* no outgoing server: allowed, warned later */
		disc_server_clear(&w->smtp);
		return true;
	}
	return get_server(&f[5], &w->smtp, DISC_SMTP, err);
}

enum wiz_result wiz_servers_page(struct wiz *w, char **err)
{
	struct wiz_field f[8];
	servers_fields(w, f);
	struct wiz_page p = { .title = "New account (2/5): servers", .fields = f, .nfields = 8, .error = *err,
			      .next_label = "Check and go on" };
	size_t k = 0;
	p.info[k++] = describe(w, "Incoming", &w->imap);
	if (!w->use_sendmail)
		p.info[k++] = describe(w, "Outgoing", &w->smtp);
	if (w->oauth)
		p.info[k++] = "This provider wants OAuth2: the sign-in page asks for your client id (doc/oauth2.md).";
	for (size_t i = 0; i < w->nwarn && k < 4; i++)
		p.info[k++] = wiz_keep(w, "warning: %s", w->warnings[i]);
	p.info[k++] = "Change anything that looks wrong.";
	enum wiz_result r = w->fe->page(w->fe, &p);
	free(*err);
	*err = NULL;
	if (r != WIZ_NEXT)
		return r;
	if (!read_servers(w, f, err))
		return WIZ_NEXT;
	if (w->imap.probe == DISC_UNPROBED && !wiz_probe(w, &w->imap, w->once_imap))
		return WIZ_BACK;
	if (!w->use_sendmail && w->smtp.host && w->smtp.probe == DISC_UNPROBED && !wiz_probe(w, &w->smtp, w->once_smtp))
		return WIZ_BACK;
	return WIZ_NEXT;
}

enum wiz_result wiz_password_page(struct wiz *w, const char *err)
{
	struct wiz_field f = { .label = "Password", .kind = WF_SECRET, .help = "Asked once; tested now" };
	char *url = disc_server_url(&w->imap, NULL);
	struct wiz_page p = { .title = "New account (3/5): password", .fields = &f, .nfields = 1, .error = err,
			      .next_label = "Log in" };
	p.info[0] = wiz_keep(w, "Log in to %s as %s.", url, *w->user ? w->user : w->email);
	p.info[1] = "The password is tested now; next you choose how muttlike keeps it.";
	free(url);
	for (;;) {
		enum wiz_result r = w->fe->page(w->fe, &p);
		if (r != WIZ_NEXT || *f.value) {
			if (r == WIZ_NEXT)
				w->password = secret_dup(f.value);
			secret_wipe(f.value, sizeof(f.value));
			return r;
		}
		p.error = "type the password (it is not shown)";
	}
}

enum wiz_result wiz_oauth_page(struct wiz *w)
{
	static const char *const ways[] = { "oauth2", "password", NULL };
	static const char *const flows[] = { "code", "browser", NULL };
	struct wiz_field f[4] = {
		{ .label = "Sign in with", .kind = WF_CHOICE, .choices = ways,
		  .help = "oauth2: in a browser, no password kept; password: an app password" },
		{ .label = "Client id", .kind = WF_TEXT, .help = "The OAuth2 client you registered (doc/oauth2.md)" },
		{ .label = "Client secret", .kind = WF_TEXT, .help = "Google only; empty for Microsoft" },
		{ .label = "Authorize with", .kind = WF_CHOICE, .choices = flows,
		  .help = "code: type a code at the provider's page (any machine); browser: open an address" },
	};
	bool inside = w->fe->keeps_screen; /* the authorization runs in the form */
	set_value(&f[0], w->use_oauth || !*w->client_id ? "oauth2" : "password");
	snprintf(f[1].value, sizeof(f[1].value), "%s", w->client_id);
	snprintf(f[2].value, sizeof(f[2].value), "%s", w->client_secret);
	set_value(&f[3], *w->oauth_way ? w->oauth_way : wiz_device_default(w) ? "code" : "browser");
	struct wiz_page p = { .title = "New account (3/5): sign-in", .fields = f, .nfields = inside ? 4 : 3,
			      .next_label = "Next", .error = w->oauth_error };
	p.info[0] = wiz_keep(w, "%s signs in with OAuth2 (%s).", w->imap.host,
			     w->oauth_provider ? w->oauth_provider : "its autoconfig says so");
	p.info[1] = "muttlike ships no client id: register one once (doc/oauth2.md) and type it here.";
	p.info[2] = inside ? "Before writing the account you authorize it here: a code or a browser."
			   : "After writing the account you authorize it in a browser (muttlike setup --oauth).";
	enum wiz_result r;
	for (;;) {
		r = w->fe->page(w->fe, &p);
		if (r != WIZ_NEXT)
			break;
		w->use_oauth = strcmp(f[0].value, "oauth2") == 0;
		if (!w->use_oauth || *f[1].value) {
			snprintf(w->client_id, sizeof(w->client_id), "%s", f[1].value);
			snprintf(w->client_secret, sizeof(w->client_secret), "%s", f[2].value);
			snprintf(w->oauth_way, sizeof(w->oauth_way), "%s", strcmp(f[3].value, "browser") == 0 ? "browser" : "code");
			break;
		}
		p.error = "type the client id (or choose password)";
	}
	free(w->oauth_error);
	w->oauth_error = NULL;
	return r;
}

/* ---- keeping the password ---- */

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char *copy = xstrdup(path ? path : "/usr/bin:/bin"), *save = NULL;
	bool found = false;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/%s", d, prog);
		found = access(p, X_OK) == 0;
		free(p);
	}
	free(copy);
	return found;
}

/* The password command must print exactly the password just tested. */
static bool command_matches(struct wiz *w, const char *cmd, char **err)
{
	char *out = NULL, *e = NULL;
	if (secret_run("password command", cmd, &out, &e) != SECRET_OK) {
		*err = e;
		return false;
	}
	bool same = strcmp(out, w->password) == 0;
	secret_free(&out);
	if (!same)
		*err = xstrdup("that command prints a different password than the one you typed");
	return same;
}

static void pass_file_path(struct wiz *w)
{
	char *dir = xstrdup(w->rc_path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	snprintf(w->pass_file, sizeof(w->pass_file), "%s/%s.pass", slash ? dir : ".", w->account);
	free(dir);
}

/* Turn the chosen way into pass_cmd (and what wiz_write must do). */
static bool apply_store(struct wiz *w, const char *how, const char *cmd, char **err)
{
	w->pass_cmd[0] = '\0';
	w->pass_file[0] = '\0';
	if (strcmp(how, "command") == 0) {
		if (!*cmd) {
			*err = xstrdup("type the command that prints your password (e.g. pass show mail/work)");
			return false;
		}
		if (!command_matches(w, cmd, err))
			return false;
		w->store = WIZ_STORE_COMMAND;
		snprintf(w->pass_cmd, sizeof(w->pass_cmd), "%s", cmd);
	} else if (strcmp(how, "pass") == 0) {
		w->store = WIZ_STORE_PASS;
		snprintf(w->pass_cmd, sizeof(w->pass_cmd), "pass show muttlike/%s", w->account);
	} else if (strcmp(how, "secret-tool") == 0) {
		w->store = WIZ_STORE_SECRET_TOOL;
		snprintf(w->pass_cmd, sizeof(w->pass_cmd), "secret-tool lookup service muttlike account %s", w->account);
	} else if (strcmp(how, "file") == 0) {
		w->store = WIZ_STORE_FILE;
		pass_file_path(w);
		char *q = rcwrite_shell_quote(w->pass_file);
		snprintf(w->pass_cmd, sizeof(w->pass_cmd), "cat %s", q);
		free(q);
	} else {
		w->store = WIZ_STORE_ASK;
	}
	return true;
}

enum wiz_result wiz_store_page(struct wiz *w)
{
	const char *choices[6];
	size_t n = 0;
	choices[n++] = "command";
	if (in_path("pass"))
		choices[n++] = "pass";
	if (in_path("secret-tool"))
		choices[n++] = "secret-tool";
	choices[n++] = "file";
	choices[n++] = "ask";
	choices[n] = NULL;
	struct wiz_field f[2] = {
		{ .label = "Keep it with", .kind = WF_CHOICE, .choices = choices,
		  .help = "command: yours; pass/secret-tool: stored there; file: 0600 file; ask: every time" },
		{ .label = "Command", .kind = WF_TEXT, .help = "For 'command': prints the password, e.g. pass show mail/work" },
	};
	set_value(&f[0], n > 4 ? choices[1] : "command");
	struct wiz_page p = { .title = "New account (4/5): keeping the password", .fields = f, .nfields = 2,
			      .next_label = "Go on" };
	p.info[0] = "muttlike never writes your password into the rc in clear.";
	p.info[1] = "command: a command of yours prints it (checked now against what you typed)";
	p.info[2] = "pass / secret-tool: muttlike stores it there and reads it back";
	p.info[3] = "file: a 0600 file next to the rc (anyone with your files can read it)";
	p.info[4] = "ask: nothing stored; muttlike asks at start (headless sync cannot)";
	char *err = NULL;
	for (;;) {
		p.error = err;
		enum wiz_result r = w->fe->page(w->fe, &p);
		free(err);
		err = NULL;
		if (r != WIZ_NEXT)
			return r;
		if (apply_store(w, f[0].value, f[1].value, &err))
			break;
	}
	if (w->store == WIZ_STORE_FILE)
		wiz_warn(w, "the password will be in %s (mode 0600): anyone who can read your files can read it",
			 w->pass_file);
	if (w->store == WIZ_STORE_ASK)
		wiz_warn(w, "no password stored: 'muttlike sync' without a terminal will fail to log in");
	return WIZ_NEXT;
}

enum wiz_result wiz_summary_page(struct wiz *w)
{
	static const char *const yesno[] = { "yes", "no", NULL };
	struct wiz_field f = { .label = "Sync now", .kind = WF_CHOICE, .choices = yesno,
			       .help = "Download the mail right after writing the account" };
	set_value(&f, "yes");
	struct wiz_page p = { .title = "New account (5/5): write it", .fields = &f, .nfields = 1,
			      .next_label = "Write the account" };
	struct rc_setting set[16];
	char *owned[16] = { 0 };
	size_t n = wiz_settings(w, set, 16, owned), k = 0;
	p.info[k++] = wiz_keep(w, "These lines go into %s:", w->rc_path);
	p.info[k++] = wiz_keep(w, "  account %s", w->account);
	for (size_t i = 0; i < n && k < WIZ_INFO_MAX - 2; i++) {
		char *q = rcwrite_quote(set[i].value);
		p.info[k++] = wiz_keep(w, "  set %s = %s", set[i].name, q ? q : "?");
		free(q);
	}
	for (size_t i = 0; i < w->nwarn && k < WIZ_INFO_MAX; i++)
		p.info[k++] = wiz_keep(w, "warning: %s", w->warnings[i]);
	for (size_t i = 0; i < 16; i++)
		free(owned[i]);
	enum wiz_result r = w->fe->page(w->fe, &p);
	w->want_sync = strcmp(f.value, "yes") == 0;
	return r;
}

/* ---- decisions ---- */

static const char *when(struct wiz *w, time_t t)
{
	char buf[32];
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
	return wiz_keep(w, "%s", buf);
}

static void cert_info(struct wiz *w, const struct tls_cert_info *ci, struct wiz_page *p)
{
	char *why = tls_cert_describe(ci);
	char *fp = tls_fingerprint_pretty(ci->sha256);
	size_t k = 0;
	p->info[k++] = wiz_keep(w, "%s", why);
	p->info[k++] = wiz_keep(w, "Subject:  %s", ci->subject ? ci->subject : "?");
	p->info[k++] = wiz_keep(w, "Issuer:   %s", ci->issuer ? ci->issuer : "?");
	p->info[k++] = wiz_keep(w, "Names:    %s", ci->names ? ci->names : "?");
	p->info[k++] = wiz_keep(w, "Valid:    %s to %s", when(w, ci->not_before), when(w, ci->not_after));
	p->info[k++] = wiz_keep(w, "SHA-256:  %.48s", fp);
	p->info[k++] = wiz_keep(w, "          %s", strlen(fp) > 48 ? fp + 48 : "");
	p->info[k++] = "reject: do not connect; once: trust it for this setup only;";
	p->info[k++] = "always: pin it (data_dir/certs), like ssh's known_hosts.";
	free(fp);
	free(why);
}

static bool pin_given(const struct wiz *w, const struct tls_cert_info *ci)
{
	char want[65];
	return w->a.pin && tls_pin_normalize(w->a.pin, want) && strcmp(want, ci->sha256) == 0;
}

/* Trust the certificate for this run and probe again. */
static enum wiz_decision accept(struct wiz *w, struct disc_server *s, bool always, char **err)
{
	char **once = s->proto == DISC_IMAP ? &w->once_imap : &w->once_smtp;
	free(*once);
	*once = xstrdup(s->cert->sha256);
	if (s->proto == DISC_IMAP)
		w->pin_imap = always;
	else
		w->pin_smtp = always;
	if (!wiz_probe(w, s, *once))
		return WIZ_DEC_CANCEL;
	if (s->probe == DISC_WORKS)
		return WIZ_DEC_OK;
	*err = xasprintf("%s:%d: %s", s->host, s->port, s->error ? s->error : "still refused");
	return WIZ_DEC_AGAIN;
}

enum wiz_decision wiz_cert_decision(struct wiz *w, struct disc_server *s, char **err)
{
	const struct tls_cert_info *ci = s->cert;
	if (!ci) {
		*err = xasprintf("%s:%d: %s", s->host, s->port, s->error ? s->error : "certificate refused");
		return WIZ_DEC_AGAIN;
	}
	if (!w->fe) {
		if (pin_given(w, ci))
			return accept(w, s, true, err);
		char *fp = tls_fingerprint_pretty(ci->sha256);
		char *why = tls_cert_describe(ci);
		*err = xasprintf("%s (SHA256 %s); if you trust it, run again with --pin sha256:%s", why, fp, ci->sha256);
		free(why);
		free(fp);
		return WIZ_DEC_AGAIN;
	}
	static const char *const answers[] = { "reject", "once", "always", NULL };
	struct wiz_field f = { .label = "Your decision", .kind = WF_CHOICE, .choices = answers,
			       .help = "Only accept if you can check the fingerprint another way" };
	set_value(&f, "reject");
	struct wiz_page p = { .title = "The server's certificate is not trusted", .fields = &f, .nfields = 1,
			      .next_label = "Decide" };
	cert_info(w, ci, &p);
	enum wiz_result r = w->fe->page(w->fe, &p);
	if (r == WIZ_CANCEL)
		return WIZ_DEC_CANCEL;
	if (r == WIZ_BACK || strcmp(f.value, "reject") == 0) {
		*err = xasprintf("certificate of %s rejected; choose another server or go back", s->host);
		return WIZ_DEC_AGAIN;
	}
	return accept(w, s, strcmp(f.value, "always") == 0, err);
}

enum wiz_decision wiz_plaintext_decision(struct wiz *w, struct disc_server *s, char **err)
{
	if (!w->fe || s->proto == DISC_SMTP) {
		*err = xasprintf("%s:%d offers no TLS (no STARTTLS); refusing to send a password in clear%s", s->host,
				 s->port, s->proto == DISC_SMTP ? "; choose sendmail or another server" : "");
		return WIZ_DEC_AGAIN;
	}
	struct wiz_field f = { .label = "Type yes to use it", .kind = WF_TEXT,
			       .help = "Anything else goes back to the servers" };
	struct wiz_page p = { .title = "WARNING: this server offers no encryption", .fields = &f, .nfields = 1,
			      .next_label = "Decide" };
	p.info[0] = wiz_keep(w, "%s:%d talks only in clear (it does not offer STARTTLS).", s->host, s->port);
	p.info[1] = "Your password and all your mail would cross the network readable and";
	p.info[2] = "changeable by anyone on the way.  Only say yes on a network you control.";
	enum wiz_result r = w->fe->page(w->fe, &p);
	if (r == WIZ_CANCEL)
		return WIZ_DEC_CANCEL;
	if (r == WIZ_BACK || strcmp(f.value, "yes") != 0) {
		*err = xasprintf("%s offers no TLS; choose another server", s->host);
		return WIZ_DEC_AGAIN;
	}
	s->sec = DISC_SEC_PLAIN;
	w->plaintext = true;
	return WIZ_DEC_OK;
}
