/* export.c - save, pipe and print messages outside the mirror (see export.h). */
#include "export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "mailview.h"
#include "mbox.h"
#include "mime.h"
#include "prompt.h"
#include "runcmd.h"
#include "status.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"
#include "view.h"

bool export_is_path(const char *typed)
{
	return typed[0] == '/' || typed[0] == '~' || strncmp(typed, "./", 2) == 0 || strncmp(typed, "../", 3) == 0;
}

/* The message as the pager shows it: the header lines shown, then one
 * text/plain part with the rendered body. */
static char *decoded(struct ui *u, const char *raw, size_t rlen, size_t *len)
{
	mime_msg_t *m = NULL;
	if (mime_msg_parse(raw, rlen, &m) != MIME_OK)
		return NULL;
	struct mime_render_opts o = { .header_list = "Date From To Cc Subject Message-ID",
				      .alternative_order = conf_str(u->conf, -1, OPT_ID_alternative_order),
				      .html_filter = conf_str(u->conf, -1, OPT_ID_html_filter) };
	mime_view_t *mv = mime_render(m, &o);
	struct strbuf b;
	strbuf_init(&b);
	size_t i = 0, nl = mime_view_line_count(mv);
	for (; i < nl && mime_view_line(mv, i)->kind == MIME_LINE_HEADER; i++) {
		strbuf_adds(&b, mime_view_line(mv, i)->text);
		strbuf_addc(&b, '\n');
	}
	strbuf_adds(&b, "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
			"Content-Transfer-Encoding: 8bit\n\n");
	if (i < nl && !*mime_view_line(mv, i)->text)
		i++; /* the blank line under the headers */
	for (; i < nl; i++) {
		strbuf_adds(&b, mime_view_line(mv, i)->text);
		strbuf_addc(&b, '\n');
	}
	mime_view_free(&mv);
	mime_msg_free(&m);
	*len = b.len;
	return strbuf_detach(&b);
}

struct batch {
	struct mbox_msg *v;
	char **data;
	size_t n;
};

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->data[i]);
	free(b->data);
	free(b->v);
}

/* Read the messages' files (decoded when asked); false with the reason shown. */
static bool batch_load(struct ui *u, char **ids, size_t n, bool decode, struct batch *b)
{
	*b = (struct batch){ .v = xcalloc(n + 1, sizeof(*b->v)), .data = xcalloc(n + 1, sizeof(char *)) };
	for (size_t i = 0; i < n; i++) {
		char *file = u->mv ? mailview_message_file(u->mv, ids[i]) : NULL;
		size_t len = 0;
		char *raw = file ? util_read_file(file, &len) : NULL;
		free(file);
		if (raw && decode) {
			size_t dl = 0;
			char *d = decoded(u, raw, len, &dl);
			free(raw);
			raw = d;
			len = dl;
		}
		if (!raw) {
			status_error(u, "Cannot read message %zu of %zu.", i + 1, n);
			batch_free(b);
			return false;
		}
		b->data[b->n] = raw;
		b->v[b->n++] = (struct mbox_msg){ raw, len };
	}
	return true;
}

void export_save(struct ui *u, char **ids, size_t n, const char *path, bool decode)
{
	struct batch b;
	char *p = util_expand_path(path), *err = NULL;
	if (n && batch_load(u, ids, n, decode, &b)) {
		if (mbox_save(p, b.v, b.n, &err))
			status_message(u, "%zu message%s %s to %s.", n, n == 1 ? "" : "s",
				       decode ? "decoded and saved" : "saved", p);
		else
			status_error(u, "Cannot save to %s: %s", p, err ? err : "?");
		batch_free(&b);
	}
	free(err);
	free(p);
}

static char **targets(struct ui *u, struct view *v, size_t *n)
{
	*n = 0;
	char **ids = v->cls->targets ? v->cls->targets(u, v, n) : NULL;
	u->tag_prefix = false;
	if (!*n)
		status_error(u, "No message selected.");
	return ids;
}

void export_op_decode_save(struct ui *u, struct view *v)
{
	size_t n;
	char **ids = targets(u, v, &n);
	char *path = n ? prompt_line(u, "Decode-save to file: ", "", HIST_FILE, COMPLETE_FILE) : NULL;
	if (path && *path)
		export_save(u, ids, n, path, true);
	free(path);
	ui_free_strv(ids, n);
}

/* The Message-IDs of the whole thread of message id, oldest first, or
 * NULL (*n 0) with the reason shown. */
static char **thread_ids(struct ui *u, const char *id, size_t *n)
{
	*n = 0;
	if (strpbrk(id, "\"{}")) {
		status_error(u, "This message's Message-ID cannot be searched for.");
		return NULL;
	}
	char *q = xasprintf("thread:{id:\"%s\"}", id), *err = NULL;
	mv_list_t *l = u->mv ? mv_list_open(u->mv, q, MV_MESSAGES, MV_OLDEST_FIRST, &err) : NULL;
	while (l && !mv_list_complete(l) && mv_list_fill(l, 1000, 0) > 0)
		;
	char **ids = NULL;
	if (l && mv_list_complete(l)) {
		*n = mv_list_count(l);
		ids = xcalloc(*n + 1, sizeof(char *));
		for (size_t i = 0; i < *n; i++)
			ids[i] = xstrdup(mv_list_entry(l, i)->id);
	} else {
		status_error(u, "Cannot read the thread: %s", err ? err : "the store changed; try again");
	}
	mv_list_free(&l);
	free(err);
	free(q);
	return ids;
}

void export_op_thread(struct ui *u, struct view *v)
{
	size_t n, nt = 0;
	char **ids = targets(u, v, &n);
	char **all = n ? thread_ids(u, ids[0], &nt) : NULL;
	ui_free_strv(ids, n);
	char *q = nt ? xasprintf("Export the thread (%zu message%s) to mbox: ", nt, nt == 1 ? "" : "s") : NULL;
	char *path = q ? prompt_line(u, q, "", HIST_FILE, COMPLETE_FILE) : NULL;
	if (path && *path)
		export_save(u, all, nt, path, false);
	free(path);
	free(q);
	ui_free_strv(all, nt);
}

/* data to cmd's stdin with the terminal given back (through an unlinked
 * temporary file, as the pipe used the message file before). */
static void run_with_terminal(struct ui *u, char *cmd, const char *data, size_t len)
{
	char tmpl[] = "/tmp/muttlike-pipe-XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0) {
		status_error(u, "Cannot make a temporary file: %s", strerror(errno));
		return;
	}
	unlink(tmpl);
	bool ok = util_write_all(fd, data, len) == 0 && lseek(fd, 0, SEEK_SET) == 0;
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	if (ok)
		ui_run_external(u, argv, fd, true);
	else
		status_error(u, "Cannot write a temporary file: %s", strerror(errno));
	close(fd);
}

void export_op_pipe(struct ui *u, struct view *v)
{
	size_t n;
	char **ids = targets(u, v, &n);
	struct batch b;
	if (!n || !batch_load(u, ids, n, false, &b)) {
		ui_free_strv(ids, n);
		return;
	}
	ui_free_strv(ids, n);
	char *cmd = prompt_line(u, n > 1 ? "Pipe the messages to command: " : "Pipe to command: ", "", HIST_SHELL,
				COMPLETE_FILE);
	bool split = conf_bool(u->conf, -1, OPT_ID_pipe_split);
	for (size_t i = 0; cmd && *cmd && i < (split ? b.n : 1); i++) {
		char *data;
		size_t len;
		mbox_pipe_data(split ? &b.v[i] : b.v, split ? 1 : b.n, &data, &len);
		run_with_terminal(u, cmd, data, len);
		free(data);
	}
	free(cmd);
	batch_free(&b);
}

void export_op_print(struct ui *u, struct view *v)
{
	size_t n;
	char **ids = targets(u, v, &n);
	struct batch b;
	if (!n || !batch_load(u, ids, n, true, &b)) {
		ui_free_strv(ids, n);
		return;
	}
	ui_free_strv(ids, n);
	const char *cmd = conf_str(u->conf, -1, OPT_ID_print_command);
	bool split = conf_bool(u->conf, -1, OPT_ID_pipe_split);
	if (!cmd || !*cmd) {
		status_error(u, "print_command is not set.");
	} else if (ui_yesno(u, n > 1 ? "Print the tagged messages?" : "Print the message?", true)) {
		size_t done = 0;
		for (size_t i = 0; i < (split ? b.n : 1); i++) {
			char *data, *err = NULL;
			size_t len;
			mbox_pipe_data(split ? &b.v[i] : b.v, split ? 1 : b.n, &data, &len);
			struct runcmd r = { .what = "print_command", .cmd = cmd, .in = data, .in_len = len,
					    .output = RUNCMD_OUT_NULL, .timeout_ms = 60000 };
			if (runcmd_run(&r, NULL, NULL, &err) == RUNCMD_OK)
				done++;
			else
				status_error(u, "print_command: %s", err ? err : "failed");
			free(err);
			free(data);
		}
		if (done == (split ? b.n : 1))
			status_message(u, "%zu message%s printed.", n, n == 1 ? "" : "s");
	}
	batch_free(&b);
}
