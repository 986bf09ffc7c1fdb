/* wizard_plain.c - the wizard line by line, for TERM=dumb, --plain, a
 * thin SSH link or a script feeding stdin.
 *
 * Each field is one prompt "Label [default]: ".  An empty answer keeps the
 * default, "<" goes back a page, end of input or Ctrl-C cancels (nothing
 * has been written by then).  A secret is read with echo off when stdin is
 * a terminal. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "secret.h"
#include "util.h"
#include "wizard_fe.h"

struct plain {
	struct wiz_fe fe;
	struct termios saved;
	bool echo_off;
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void echo(struct plain *p, bool on)
{
	if (!isatty(STDIN_FILENO))
		return;
	if (!on && !p->echo_off) {
		struct termios t;
		if (tcgetattr(STDIN_FILENO, &p->saved) < 0)
			return;
		t = p->saved;
		t.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
		p->echo_off = true;
	} else if (on && p->echo_off) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &p->saved);
		p->echo_off = false;
		fputc('\n', stdout);
	}
}

/* One line from stdin without its newline; false at end of input or Ctrl-C. */
static bool read_line(char *buf, size_t size)
{
	size_t n = 0;
	for (;;) {
		char ch;
		ssize_t r = read(STDIN_FILENO, &ch, 1);
		if (r < 0 && errno == EINTR && !interrupted)
			continue;
		if (r <= 0 || interrupted)
			return false;
		if (ch == '\n')
			break;
		if (n + 1 < size)
			buf[n++] = ch;
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return true;
}

/* Accept a choice by any unambiguous prefix. */
static const char *match_choice(const char *const *choices, const char *in)
{
	const char *hit = NULL;
	for (size_t i = 0; choices[i]; i++) {
		if (strcasecmp(choices[i], in) == 0)
			return choices[i];
		if (strncasecmp(choices[i], in, strlen(in)) == 0) {
			if (hit)
				return NULL;
			hit = choices[i];
		}
	}
	return hit;
}

static void prompt(const struct wiz_field *f)
{
	printf("%s", f->label);
	if (f->kind == WF_CHOICE) {
		printf(" (");
		for (size_t i = 0; f->choices[i]; i++)
			printf("%s%s", i ? "/" : "", f->choices[i]);
		printf(")");
	}
	if (f->kind != WF_SECRET && *f->value)
		printf(" [%s]", f->value);
	printf(": ");
	fflush(stdout);
}

static enum wiz_result ask(struct plain *p, struct wiz_field *f)
{
	char buf[WIZ_VALUE_MAX];
	for (;;) {
		prompt(f);
		echo(p, f->kind != WF_SECRET);
		bool ok = read_line(buf, sizeof(buf));
		echo(p, true);
		if (!ok) {
			secret_wipe(buf, sizeof(buf));
			printf("\n");
			return WIZ_CANCEL;
		}
		if (strcmp(buf, "<") == 0)
			return WIZ_BACK;
		if (f->kind == WF_CHOICE && *buf) {
			const char *c = match_choice(f->choices, buf);
			if (!c) {
				printf("  please answer one of the words in parentheses\n");
				continue;
			}
			snprintf(f->value, sizeof(f->value), "%s", c);
		} else if (*buf || f->kind == WF_SECRET) {
			snprintf(f->value, sizeof(f->value), "%s", buf);
		}
		secret_wipe(buf, sizeof(buf));
		return WIZ_NEXT;
	}
}

static enum wiz_result page(struct wiz_fe *fe, struct wiz_page *pg)
{
	struct plain *p = (struct plain *)fe;
	printf("\n== %s ==\n", pg->title);
	for (size_t i = 0; pg->info[i]; i++)
		printf("%s\n", pg->info[i]);
	if (pg->error)
		printf("error: %s\n", pg->error);
	printf("(Enter keeps [the default]; '<' goes back; Ctrl-D cancels)\n");
	for (size_t i = 0; i < pg->nfields; i++) {
		enum wiz_result r = ask(p, &pg->fields[i]);
		if (r != WIZ_NEXT)
			return r;
	}
	return WIZ_NEXT;
}

static bool busy(struct wiz_fe *fe, const char *title, const struct wiz_job *job)
{
	(void)fe;
	printf("%s\n", title);
	fflush(stdout);
	job->run(job->arg);
	return !interrupted;
}

static void note(struct wiz_fe *fe, const char *line)
{
	(void)fe;
	printf("%s\n", line);
	fflush(stdout);
}

static void end(struct wiz_fe *fe)
{
	echo((struct plain *)fe, true);
	fflush(stdout);
}

static void plain_free(struct wiz_fe *fe)
{
	end(fe);
	signal(SIGINT, SIG_DFL);
	free(fe);
}

struct wiz_fe *wizard_plain_new(void)
{
	struct plain *p = xcalloc(1, sizeof(*p));
	p->fe.page = page;
	p->fe.busy = busy;
	p->fe.note = note;
	p->fe.end = end;
	p->fe.free = plain_free;
	/* no SA_RESTART: Ctrl-C interrupts the read and cancels the wizard */
	struct sigaction sa = { .sa_handler = on_sigint };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	interrupted = 0;
	return &p->fe;
}
