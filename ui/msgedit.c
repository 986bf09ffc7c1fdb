/* msgedit.c - edit-message in the index and the pager (see msgedit.h). */
#include "msgedit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "composer/composer.h"
#include "conf.h"
#include "compose.h"
#include "mailview.h"
#include "maildir.h"
#include "mbox.h"
#include "status.h"
#include "syncglue.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"

/* A fresh private directory (0700) with the text in it (0600); the
 * file's path (*dir: the directory), or NULL with the reason shown. */
static char *write_private(struct ui *u, const char *text, size_t len, char **dir)
{
	const char *tmp = getenv("TMPDIR");
	char *d = xasprintf("%s/muttlike-edit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d)) {
		status_error(u, "Cannot create a temporary directory: %s", strerror(errno));
		free(d);
		return NULL;
	}
	char *path = xasprintf("%s/message.eml", d);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || util_write_all(fd, text, len) != 0 || close(fd) != 0) {
		status_error(u, "Cannot write the temporary file: %s", strerror(errno));
		if (fd >= 0)
			unlink(path);
		rmdir(d);
		free(d);
		free(path);
		return NULL;
	}
	*dir = d;
	return path;
}

/* Where the Message-ID field of the header block is ([*start, *end),
 * with its continuation lines); false when there is none. */
static bool find_message_id(const char *text, size_t len, size_t *start, size_t *end)
{
	for (size_t i = 0; i < len && text[i] != '\n';) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t next = nl ? (size_t)(nl - text) + 1 : len;
		while (next < len && (text[next] == ' ' || text[next] == '\t')) { /* folded */
			nl = memchr(text + next, '\n', len - next);
			next = nl ? (size_t)(nl - text) + 1 : len;
		}
		if (len - i > 11 && strncasecmp(text + i, "Message-ID:", 11) == 0) {
			*start = i;
			*end = next;
			return true;
		}
		i = next;
	}
	return false;
}

/* The store knows a message by its Message-ID: an edited text that kept
 * the old one would be taken for the copy in the Trash.  It gets a new
 * one (on the old one's domain); one the user changed stays.  New string. */
static char *renew_message_id(const char *text, size_t len, const char *old_id, size_t *outlen)
{
	char *cur = maildir_message_id(text, len);
	size_t a, b;
	struct strbuf out;
	strbuf_init(&out);
	if (cur && strcmp(cur, old_id) == 0 && find_message_id(text, len, &a, &b)) {
		const char *at = strrchr(old_id, '@');
		char *id = compose_new_message_id(at ? at + 1 : NULL);
		strbuf_add(&out, text, a);
		strbuf_addf(&out, "Message-ID: %s\n", id);
		strbuf_add(&out, text + b, len - b);
		free(id);
	} else {
		strbuf_add(&out, text, len);
	}
	free(cur);
	*outlen = out.len;
	return strbuf_detach(&out);
}

/* The edited text as a new message in the folder of file, with its
 * flags, stored with LF line ends as the sync stores mail; indexed at
 * once.  false with the reason shown. */
static bool store_edited(struct ui *u, const char *file, const char *id, const char *text, size_t len)
{
	const char *slash = strrchr(file, '/');
	if (!slash || slash - file < 4) {
		status_error(u, "The message is not in a Maildir folder.");
		return false;
	}
	struct maildir_name mn;
	maildir_name_parse(slash + 1, &mn);
	char *dir = xstrndup(file, (size_t)(slash - 4 - file)), *name = NULL, *err = NULL;
	size_t lflen = 0, mlen = 0;
	char *lf = maildir_lf(text, len, &lflen);
	char *msg = renew_message_id(lf, lflen, id, &mlen);
	bool ok = maildir_deliver(dir, msg, mlen, 0, false, mn.flags, 0, &name) == 0;
	char *path = ok ? xasprintf("%s/%s", dir, name) : NULL;
	if (!ok)
		status_error(u, "Cannot store the edited message in %s: %s", dir, strerror(errno));
	else if (!sync_glue_index_file(u, path, &err))
		status_error(u, "The edited message is stored, but %s.", err ? err : "not indexed yet");
	free(msg);
	free(lf);
	free(err);
	free(path);
	free(name);
	free(dir);
	return ok;
}

/* After the editor: nothing when unchanged, else the new message, then
 * the old one to the Trash.  true when the old one was deleted. */
static bool replace(struct ui *u, const char *file, const char *id, const char *before, size_t blen,
		    const char *path)
{
	size_t alen = 0;
	char *after = util_read_file(path, &alen), *err = NULL;
	bool deleted = false;
	if (!after) {
		status_error(u, "Cannot read the edited file: %s", strerror(errno));
	} else if (alen == blen && memcmp(after, before, blen) == 0) {
		status_message(u, "Message not changed.");
	} else if (strspn(after, " \t\r\n") == alen) {
		status_error(u, "The edited message is empty; nothing was changed.");
	} else if (store_edited(u, file, id, after, alen)) {
		deleted = sync_glue_delete_file(u, file, &err);
		if (!deleted)
			status_error(u, "The edited message is stored; the old one stays: %s", err ? err : "?");
		else if (conf_enum(u->conf, u->account, OPT_ID_delete_policy) == 0)
			status_message(u, "Message edited: stored as a new message, the old one moved to Trash (u to undo).");
		else
			status_message(u, "Message edited: stored as a new message, the old one deleted.");
		ui_store_changed(u);
	}
	free(err);
	free(after);
	return deleted;
}

bool msgedit_edit(struct ui *u, const char *id)
{
	if (!sync_glue_available(u)) {
		status_error(u, "Editing a message needs an account in the config.");
		return false;
	}
	char *file = u->mv ? mailview_message_file(u->mv, id) : NULL;
	size_t len = 0;
	char *raw = file ? util_read_file(file, &len) : NULL;
	if (!raw) {
		status_error(u, "Cannot read the message: %s", file ? strerror(errno) : "no file");
		free(file);
		return false;
	}
	char *text = NULL, *dir = NULL;
	size_t tlen = 0;
	mbox_pipe_data(&(struct mbox_msg){ raw, len }, 1, &text, &tlen); /* LF line ends for the editor */
	free(raw);
	char *path = write_private(u, text, tlen, &dir);
	bool deleted = false;
	if (path) {
		int st = compose_run_editor(u, path);
		if (st != 0)
			status_error(u, "The editor failed (%s %d); the message is unchanged.", st < 0 ? "signal or" : "status",
				     st);
		else
			deleted = replace(u, file, id, text, tlen, path);
		util_unlink_files(dir, true); /* and whatever the editor left there */
		rmdir(dir);
	}
	free(dir);
	free(path);
	free(text);
	free(file);
	return deleted;
}
