/* wizard_write.c - the last step: store the password the chosen way, write
 * the account block, pin accepted certificates; and the batch password. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "secret.h"
#include "tls.h"
#include "wizard_private.h"

bool wiz_batch_password(struct wiz *w)
{
	if (!w->a.password_cmd || !*w->a.password_cmd) {
		wiz_fail(w, "--password-cmd CMD is needed with --yes (a command that prints the password)");
		return false;
	}
	char *err = NULL;
	if (secret_run("--password-cmd", w->a.password_cmd, &w->password, &err) != SECRET_OK) {
		wiz_fail(w, "%s", err);
		free(err);
		return false;
	}
	return true;
}

/* "Name <addr>", quoting the name when RFC 5322 needs it. */
static char *from_line(const struct wiz *w)
{
	if (!*w->name)
		return xstrdup(w->email);
	bool special = strpbrk(w->name, "()<>[]:;@\\,.\"") != NULL;
	if (!special)
		return xasprintf("%s <%s>", w->name, w->email);
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addc(&b, '"');
	for (const char *p = w->name; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addc(&b, '\\');
		strbuf_addc(&b, *p);
	}
	strbuf_addf(&b, "\" <%s>", w->email);
	return strbuf_detach(&b);
}

static const char *login(const struct wiz *w)
{
	return *w->user ? w->user : w->imap.user ? w->imap.user : w->email;
}

size_t wiz_settings(struct wiz *w, struct rc_setting *out, size_t max, char **owned)
{
	size_t n = 0, o = 0;
#define SET(k, v)                                  \
	do {                                       \
		if (n < max) {                     \
			out[n].name = (k);         \
			out[n++].value = (v);      \
		}                                  \
	} while (0)
	owned[o] = disc_server_url(&w->imap, login(w));
	SET("imap_url", owned[o++]);
	if (*w->pass_cmd)
		SET("imap_pass_cmd", w->pass_cmd);
	if (w->use_oauth) {
		SET("oauth_provider", w->oauth_provider);
		SET("oauth_client_id", w->client_id);
		if (*w->client_secret)
			SET("oauth_client_secret", w->client_secret);
	}
	if (w->use_sendmail) {
		SET("sendmail", "/usr/sbin/sendmail -oi -t");
	} else if (w->smtp.host) {
		owned[o] = disc_server_url(&w->smtp, login(w));
		SET("smtp_url", owned[o++]);
	}
	owned[o] = from_line(w);
	SET("from", owned[o++]);
	if (*w->name)
		SET("real_name", w->name);
	if (w->a.ca_file) {
		char *abs = realpath(w->a.ca_file, NULL);
		owned[o] = abs ? abs : xstrdup(w->a.ca_file);
		SET("tls_ca_file", owned[o++]);
	}
	if (w->plaintext)
		SET("tls", "none");
#undef SET
	return n;
}

/* Run argv with the password on its stdin (no shell: nothing is interpolated). */
static int store_with(const char *const argv[], const char *secret, char **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		*err = xasprintf("pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[0], 0);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 1);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[0]);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	size_t len = strlen(secret);
	bool ok = pid > 0 && write(p[1], secret, len) == (ssize_t)len && write(p[1], "\n", 1) == 1;
	close(p[1]);
	signal(SIGPIPE, old);
	int st = 0;
	if (pid > 0)
		waitpid(pid, &st, 0);
	if (!ok || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		*err = xasprintf("'%s' could not store the password (exit %d)", argv[0], WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return -1;
	}
	return 0;
}

/* Keep the password the chosen way and check it reads back. */
static int store_secret(struct wiz *w, char **err)
{
	char *label = xasprintf("muttlike %s", w->account);
	char *entry = xasprintf("muttlike/%s", w->account);
	const char *pass_argv[] = { "pass", "insert", "-m", entry, NULL };
	const char *st_argv[] = { "secret-tool", "store", "--label", label, "service", "muttlike", "account", w->account, NULL };
	int rc = 0;
	switch (w->store) {
	case WIZ_STORE_FILE: rc = rcwrite_secret_file(w->pass_file, w->password, err); break;
	case WIZ_STORE_PASS: rc = store_with(pass_argv, w->password, err); break;
	case WIZ_STORE_SECRET_TOOL: rc = store_with(st_argv, w->password, err); break;
	case WIZ_STORE_COMMAND:
	case WIZ_STORE_ASK: break;
	}
	free(label);
	free(entry);
	if (rc == 0 && *w->pass_cmd && w->store != WIZ_STORE_COMMAND) {
		char *out = NULL, *e = NULL;
		if (secret_run("imap_pass_cmd", w->pass_cmd, &out, &e) != SECRET_OK || strcmp(out, w->password) != 0) {
			*err = e ? e : xstrdup("the stored password does not read back");
			rc = -1;
		}
		secret_free(&out);
	}
	return rc;
}

static void pin(struct wiz *w, const struct disc_server *s)
{
	char *err = NULL, *dir = xstrdup(w->pin_file);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	util_mkdirs(dir, 0700);
	free(dir);
	if (tls_pin_file_add(w->pin_file, s->host, s->cert->sha256, &err) < 0) {
		wiz_warn(w, "could not pin the certificate of %s: %s", s->host, err);
		free(err);
	}
}

int wiz_write(struct wiz *w, char **err)
{
	if (store_secret(w, err) < 0)
		return -1;
	struct rc_setting set[16];
	char *owned[16] = { 0 };
	size_t n = wiz_settings(w, set, 16, owned);
	int rc = rcwrite_append_account(w->rc_path, w->account, set, n, &w->backup, err);
	for (size_t i = 0; i < 16; i++)
		free(owned[i]);
	if (rc < 0) {
		if (w->store == WIZ_STORE_FILE)
			unlink(w->pass_file);
		return -1;
	}
	if (w->pin_imap && w->imap.cert)
		pin(w, &w->imap);
	if (w->pin_smtp && w->smtp.cert && !w->use_sendmail)
		pin(w, &w->smtp);
	if ((w->once_imap && !w->pin_imap) || (w->once_smtp && !w->pin_smtp))
		wiz_warn(w, "a certificate was accepted for this setup only; 'muttlike sync' will refuse it until "
			    "you pin it");
	return 0;
}

void wiz_report(struct wiz *w)
{
	printf("Account '%s' written to %s", w->account, w->rc_path);
	if (w->backup)
		printf(" (previous file saved as %s)", w->backup);
	printf("\n");
	struct rc_setting set[16];
	char *owned[16] = { 0 };
	size_t n = wiz_settings(w, set, 16, owned);
	for (size_t i = 0; i < n; i++)
		printf("  %-14s %s\n", set[i].name, set[i].value);
	for (size_t i = 0; i < 16; i++)
		free(owned[i]);
	for (size_t i = 0; i < w->nwarn; i++)
		printf("warning: %s\n", w->warnings[i]);
	fflush(stdout);
}
