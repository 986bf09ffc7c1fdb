/* attach.c - the attachments of one message: view, save (safe base names,
 * never overwriting without asking), open with the user's mailcap, pipe.
 *
 * Nothing from the message reaches a shell as it came: mailcap's %s is a
 * temporary file whose name we made (a random stem, plus the extension
 * only when it is [A-Za-z0-9]{1,8}, in a fresh 0700 directory), so it
 * needs no quoting and survives a mailcap that quotes '%s' itself; %t is
 * the type only when it is plain [a-z0-9.+-/]; %{parameter} is the
 * part's parameter reduced to [A-Za-z0-9+,-.:=@_]. */
#include "attach.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "charset.h"
#include "conf.h"
#include "draw.h"
#include "keys.h"
#include "listview.h"
#include "mime.h"
#include "prompt.h"
#include "status.h"
#include "theme.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"
#include "view.h"

struct attach_view {
	struct view base;
	char *file;      /* owned */
	mime_msg_t *msg; /* owned */
	struct listview lv;
};

static const char *const attach_helpbar[] = { "exit", "save-entry", "save-all", "view-attach", "view-mailcap",
					      "pipe-entry", "help", NULL };

static const struct mime_attachment *cur_att(struct attach_view *av)
{
	return mime_msg_attachment(av->msg, av->lv.cur);
}

static void human_size(char *buf, size_t n, size_t size)
{
	if (size < 1024)
		snprintf(buf, n, "%zu", size);
	else if (size < 1024 * 1024)
		snprintf(buf, n, "%.0fK", (double)size / 1024);
	else
		snprintf(buf, n, "%.1fM", (double)size / (1024 * 1024));
}

static void row(struct ui *u, void *ctx, size_t i, int y, int x, int w, bool cur)
{
	struct attach_view *av = ctx;
	const struct mime_attachment *a = mime_msg_attachment(av->msg, i);
	attr_t at = cur ? theme_attr(u->th, CO_indicator) : theme_attr(u->th, CO_normal);
	draw_fill(y, x, w, at);
	char size[32];
	human_size(size, sizeof(size), a->size);
	char *line = xasprintf("%3zu %*s%-30s %8s  %s", a->index, a->depth * 2, "", a->type, size,
			       a->filename ? a->filename : "");
	draw_text(y, x, w, line, at);
	free(line);
}

static void attach_draw(struct ui *u, struct view *v)
{
	struct attach_view *av = (struct attach_view *)v;
	lv_draw(u, &av->lv, ui_top_row(), 0, COLS, ui_content_rows(), row, av);
}

static void attach_status(struct ui *u, struct view *v, struct strbuf *b)
{
	(void)u;
	struct attach_view *av = (struct attach_view *)v;
	strbuf_addf(b, "-- Attachments (%zu) --", mime_msg_attachment_count(av->msg));
}

static struct listview *attach_list(struct view *v)
{
	return &((struct attach_view *)v)->lv;
}

static void attach_search_text(struct view *v, size_t i, struct strbuf *b)
{
	const struct mime_attachment *a = mime_msg_attachment(((struct attach_view *)v)->msg, i);
	strbuf_addf(b, "%s %s", a->type, a->filename ? a->filename : "");
}

static void attach_destroy(struct view *v)
{
	struct attach_view *av = (struct attach_view *)v;
	mime_msg_free(&av->msg);
	free(av->file);
	free(av);
}

/* ---- saving ---- */

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Write data to path; asks before replacing an existing file. */
static bool write_new(struct ui *u, const char *path, const char *data, size_t len)
{
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = open(path, flags, 0600);
	if (fd < 0 && errno == EEXIST) {
		char *q = xasprintf("%s exists. Overwrite?", path);
		bool yes = ui_yesno(u, q, false);
		free(q);
		if (!yes) {
			status_message(u, "Not saved.");
			return false;
		}
		fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		status_error(u, "Cannot write %s: %s", path, strerror(errno));
		return false;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			status_error(u, "Cannot write %s: %s", path, strerror(errno));
			close(fd);
			return false;
		}
		off += (size_t)n;
	}
	if (close(fd) != 0) {
		status_error(u, "Cannot write %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

static bool save_part(struct ui *u, const struct mime_attachment *a, const char *path)
{
	char *data = NULL;
	size_t len = 0;
	if (mime_part_decode(a->part, &data, &len) != MIME_OK) {
		status_error(u, "Cannot decode attachment %zu.", a->index);
		return false;
	}
	bool ok = write_new(u, path, data, len);
	free(data);
	return ok;
}

static void op_save(struct ui *u, struct view *v)
{
	const struct mime_attachment *a = cur_att((struct attach_view *)v);
	if (!a)
		return;
	char *safe = mime_safe_filename(a->filename, a->index);
	char *dir = conf_path(u->conf, -1, OPT_ID_attach_save_dir);
	char *def = dir && *dir && is_dir(dir) ? xasprintf("%s/%s", dir, safe) : xstrdup(safe);
	char *in = prompt_line(u, "Save to file: ", def, HIST_FILE, COMPLETE_FILE);
	if (in && *in) {
		char *path = util_expand_path(in);
		if (is_dir(path)) {
			char *p2 = xasprintf("%s/%s", path, safe);
			free(path);
			path = p2;
		}
		if (save_part(u, a, path))
			status_message(u, "Saved %s.", path);
		free(path);
	}
	free(in);
	free(def);
	free(dir);
	free(safe);
}

static void op_save_all(struct ui *u, struct view *v)
{
	struct attach_view *av = (struct attach_view *)v;
	char *dir = conf_path(u->conf, -1, OPT_ID_attach_save_dir);
	char *in = prompt_line(u, "Save all to directory: ", dir ? dir : "", HIST_FILE, COMPLETE_FILE);
	free(dir);
	if (!in || !*in) {
		free(in);
		return;
	}
	char *d = util_expand_path(in);
	free(in);
	if (!is_dir(d)) {
		status_error(u, "%s is not a directory.", d);
		free(d);
		return;
	}
	size_t saved = 0, n = mime_msg_attachment_count(av->msg);
	for (size_t i = 0; i < n; i++) {
		const struct mime_attachment *a = mime_msg_attachment(av->msg, i);
		if (!a->filename && strncmp(a->type, "multipart/", 10) == 0)
			continue;
		char *safe = mime_safe_filename(a->filename, a->index);
		char *path = xasprintf("%s/%s", d, safe);
		saved += save_part(u, a, path);
		free(path);
		free(safe);
	}
	status_message(u, "Saved %zu of %zu attachments to %s.", saved, n, d);
	free(d);
}

/* ---- viewing ---- */

static void view_text(struct ui *u, const struct mime_attachment *a)
{
	char *data = NULL;
	size_t len = 0;
	if (mime_part_decode(a->part, &data, &len) != MIME_OK) {
		status_error(u, "Cannot decode attachment %zu.", a->index);
		return;
	}
	struct strbuf b;
	strbuf_init(&b);
	charset_to_utf8(mime_part_charset(a->part), data, len, &b);
	free(data);
	char *title = xasprintf("%s %s", a->type, a->filename ? a->filename : "");
	ui_push(u, u->views->pager_text(u, title, strbuf_detach(&b)));
	free(title);
}

static void view_message(struct ui *u, const struct mime_attachment *a)
{
	char *data = NULL;
	size_t len = 0;
	mime_msg_t *m = NULL;
	if (mime_part_decode(a->part, &data, &len) != MIME_OK || mime_msg_parse(data, len, &m) != MIME_OK) {
		free(data);
		status_error(u, "Cannot open the attached message.");
		return;
	}
	free(data);
	struct mime_render_opts o = { .header_list = conf_str(u->conf, -1, OPT_ID_header_list),
				      .alternative_order = conf_str(u->conf, -1, OPT_ID_alternative_order),
				      .html_filter = conf_str(u->conf, -1, OPT_ID_html_filter) };
	mime_view_t *mv = mime_render(m, &o);
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < mime_view_line_count(mv); i++) {
		strbuf_adds(&b, mime_view_line(mv, i)->text);
		strbuf_addc(&b, '\n');
	}
	mime_view_free(&mv);
	mime_msg_free(&m);
	ui_push(u, u->views->pager_text(u, "attached message", strbuf_detach(&b)));
}

/* ---- mailcap ---- */

static char *shell_quote(const char *s)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addc(&b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			strbuf_adds(&b, "'\\''");
		else
			strbuf_addc(&b, *s);
	}
	strbuf_addc(&b, '\'');
	return strbuf_detach(&b);
}

static bool plain_type(const char *t)
{
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9') || strchr(".+-/", *t)))
			return false;
	return true;
}

/* Only characters no shell and no quoting changes: then a path goes in as
 * it is, and a mailcap entry that quotes '%s' itself still gets one word. */
static bool shell_plain(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("/._+,-", *s))
			return false;
	return true;
}

/* Expand a mailcap command; *uses_file tells whether %s appeared. */
static char *expand_mailcap(const char *cmd, const mime_part_t *part, const char *type, const char *path,
			    bool *uses_file)
{
	struct strbuf b;
	strbuf_init(&b);
	*uses_file = false;
	for (const char *p = cmd; *p; p++) {
		if (*p == '\\' && p[1]) {
			strbuf_addc(&b, *++p);
			continue;
		}
		if (*p != '%' || !p[1]) {
			strbuf_addc(&b, *p);
			continue;
		}
		p++;
		if (*p == 's') {
			char *q = shell_plain(path) ? xstrdup(path) : shell_quote(path);
			strbuf_adds(&b, q);
			free(q);
			*uses_file = true;
		} else if (*p == 't') {
			char *q = shell_quote(plain_type(type) ? type : "application/octet-stream");
			strbuf_adds(&b, q);
			free(q);
		} else if (*p == '{') {
			const char *e = strchr(p, '}');
			char *name = e ? xstrndup(p + 1, (size_t)(e - p - 1)) : NULL;
			char *v = mime_mailcap_sanitize(name && part ? mime_part_param(part, name) : NULL);
			strbuf_adds(&b, *v ? v : "''");
			free(v);
			free(name);
			p = e ? e : p + strlen(p) - 1;
		} else if (*p == '%') {
			strbuf_addc(&b, '%');
		}
	}
	return strbuf_detach(&b);
}

struct mailcap_entry {
	char *command;
	bool copious;
	bool needs_terminal;
};

static bool type_matches(const char *pattern, const char *type)
{
	size_t n = strlen(pattern);
	if (n >= 2 && strcmp(pattern + n - 2, "/*") == 0)
		return strncasecmp(pattern, type, n - 1) == 0;
	if (!strchr(pattern, '/'))
		return strncasecmp(pattern, type, n) == 0 && type[n] == '/';
	return strcasecmp(pattern, type) == 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'))
		*--e = 0;
	return s;
}

/* Split a mailcap line on unescaped ';'. */
static size_t split_fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == ';') {
			*p = 0;
			f[n++] = p + 1;
		}
	}
	for (size_t i = 0; i < n; i++)
		f[i] = trim(f[i]);
	return n;
}

static bool test_passes(const char *test)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl("/bin/sh", "sh", "-c", test, (char *)NULL);
		_exit(127);
	}
	int st = 1;
	if (pid > 0)
		waitpid(pid, &st, 0);
	return pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static bool mailcap_lookup_file(const char *file, const char *type, struct mailcap_entry *out)
{
	FILE *f = fopen(file, "r");
	if (!f)
		return false;
	char line[4096];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		char *fld[32];
		size_t n = split_fields(s, fld, ARRAY_SIZE(fld));
		if (n < 2 || !type_matches(fld[0], type))
			continue;
		bool copious = false, term = false, ok = true;
		for (size_t i = 2; i < n; i++) {
			if (strcasecmp(fld[i], "copiousoutput") == 0)
				copious = true;
			else if (strcasecmp(fld[i], "needsterminal") == 0)
				term = true;
			else if (strncasecmp(fld[i], "test=", 5) == 0)
				ok = test_passes(fld[i] + 5);
		}
		if (!ok)
			continue;
		out->command = xstrdup(fld[1]);
		out->copious = copious;
		out->needs_terminal = term;
		found = true;
	}
	fclose(f);
	return found;
}

static bool mailcap_lookup(struct ui *u, const char *type, struct mailcap_entry *out)
{
	char *paths = xstrdup(conf_str(u->conf, -1, OPT_ID_mailcap_path));
	bool found = false;
	char *save = NULL;
	for (char *p = strtok_r(paths, ":", &save); p && !found; p = strtok_r(NULL, ":", &save)) {
		char *file = util_expand_path(p);
		found = mailcap_lookup_file(file, type, out);
		free(file);
	}
	free(paths);
	return found;
}

/* The part in a fresh private directory under a name we made; *dir to remove. */
static char *temp_copy(struct ui *u, const struct mime_attachment *a, char **dir)
{
	const char *tmp = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/muttlike-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl)) {
		status_error(u, "Cannot create a temporary directory: %s", strerror(errno));
		free(tmpl);
		return NULL;
	}
	char *name = mime_temp_name(a->filename);
	char *path = xasprintf("%s/%s", tmpl, name);
	free(name);
	if (!save_part(u, a, path)) {
		rmdir(tmpl);
		free(tmpl);
		free(path);
		return NULL;
	}
	*dir = tmpl;
	return path;
}

static void run_with_part(struct ui *u, const struct mime_attachment *a, const char *cmd_tmpl, bool wait_key)
{
	char *dir = NULL;
	char *path = temp_copy(u, a, &dir);
	if (!path)
		return;
	bool uses_file;
	char *cmd = expand_mailcap(cmd_tmpl, a->part, a->type, path, &uses_file);
	int in = uses_file ? -1 : open(path, O_RDONLY | O_CLOEXEC);
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	int st = ui_run_external(u, argv, in, wait_key);
	if (in >= 0)
		close(in);
	if (st != 0)
		status_error(u, "The command exited with status %d.", st);
	unlink(path);
	rmdir(dir);
	free(cmd);
	free(path);
	free(dir);
}

static void op_mailcap(struct ui *u, struct view *v)
{
	const struct mime_attachment *a = cur_att((struct attach_view *)v);
	if (!a)
		return;
	struct mailcap_entry e = { 0 };
	if (!mailcap_lookup(u, a->type, &e)) {
		status_error(u, "No mailcap entry for %s.", a->type);
		return;
	}
	run_with_part(u, a, e.command, e.copious);
	free(e.command);
}

static void op_view(struct ui *u, struct view *v)
{
	const struct mime_attachment *a = cur_att((struct attach_view *)v);
	if (!a)
		return;
	if (strcmp(a->type, "message/rfc822") == 0)
		view_message(u, a);
	else if (strncmp(a->type, "text/", 5) == 0)
		view_text(u, a);
	else
		op_mailcap(u, v);
}

static void op_pipe(struct ui *u, struct view *v)
{
	const struct mime_attachment *a = cur_att((struct attach_view *)v);
	if (!a)
		return;
	char *cmd = prompt_line(u, "Pipe to command: ", "", HIST_SHELL, COMPLETE_FILE);
	if (cmd && *cmd) {
		/* the user's command reads the part on stdin; no %s here */
		struct strbuf b;
		strbuf_init(&b);
		for (const char *p = cmd; *p; p++) {
			if (*p == '%' || *p == '\\')
				strbuf_addc(&b, '\\');
			strbuf_addc(&b, *p);
		}
		run_with_part(u, a, b.s, true);
		strbuf_free(&b);
	}
	free(cmd);
}

static const struct op attach_ops[] = {
	{ "save-entry", op_save },
	{ "save-all", op_save_all },
	{ "view-attach", op_view },
	{ "select-entry", op_view },
	{ "view-mailcap", op_mailcap },
	{ "pipe-entry", op_pipe },
	{ NULL, NULL },
};

struct view *attach_view_new(struct ui *u, const char *file)
{
	static const struct view_class cls = {
		.name = "attach",
		.menus = { MENU_ATTACH, 0, 0 },
		.ops = attach_ops,
		.draw = attach_draw,
		.destroy = attach_destroy,
		.list = attach_list,
		.status = attach_status,
		.search_text = attach_search_text,
		.helpbar = attach_helpbar,
	};
	struct attach_view *av = xcalloc(1, sizeof(*av));
	av->base.cls = &cls;
	av->file = xstrdup(file);
	if (mime_msg_parse_file(file, &av->msg) != MIME_OK) {
		status_error(u, "Cannot read %s.", file);
		mime_msg_parse("", 0, &av->msg);
	}
	av->lv.count = mime_msg_attachment_count(av->msg);
	av->lv.rows = ui_content_rows();
	return &av->base;
}
