/* addrbook.c - create-alias and query: the reader's side of aliases and
 * of mutt's query_command (see addrbook.h). */
#include "addrbook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "alias.h"
#include "composer/composer.h"
#include "conf.h"
#include "mailview.h"
#include "mime.h"
#include "prompt.h"
#include "query.h"
#include "status.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"
#include "view.h"

/* The sender's addresses as the user would type them, or NULL. */
static char *sender_of(const char *file, char **key)
{
	mime_msg_t *m = NULL;
	if (mime_msg_parse_file(file, &m) != MIME_OK)
		return NULL;
	const struct mime_addrlist *from = mime_msg_addrs(m, MIME_H_FROM);
	struct addr_list l;
	addr_list_init(&l);
	for (size_t i = 0; i < from->n; i++)
		addr_list_add(&l, from->v[i].name, from->v[i].mailbox);
	char *text = l.n ? addr_list_format(&l) : NULL;
	if (l.n)
		*key = xstrndup(l.v[0].mailbox, strcspn(l.v[0].mailbox, "@"));
	addr_list_clear(&l);
	mime_msg_free(&m);
	return text;
}

/* Append KEY ADDRESSES to alias_file (when set) and define it now. */
static void make_alias(struct ui *u, const char *key, const char *addrs)
{
	alias_table_t *t = conf_aliases(u->conf);
	struct addr_list l;
	addr_list_init(&l);
	char *err = NULL, *path = conf_path(u->conf, -1, OPT_ID_alias_file);
	if (!alias_key_valid(key)) {
		status_error(u, "Bad alias name: %s", key);
	} else if (alias_find(t, key)) {
		status_error(u, "The alias %s already exists.", key);
	} else if (!alias_expand(t, addrs, &l, &err) || !l.n) {
		status_error(u, "%s", err ? err : "No address.");
	} else if (path && *path && !alias_append(path, key, &l, &err)) {
		status_error(u, "Cannot save the alias: %s", err ? err : "?");
	} else {
		char *line = alias_format_line(key, &l);
		if (!alias_define(t, line + strlen("alias "), &err))
			status_error(u, "%s", err ? err : "bad alias");
		else if (path && *path)
			status_message(u, "Alias %s added to %s.", key, path);
		else
			status_message(u, "Alias %s defined (not saved: alias_file is not set).", key);
		free(line);
	}
	free(err);
	free(path);
	addr_list_clear(&l);
}

void addrbook_op_create_alias(struct ui *u, struct view *v)
{
	char *file = ui_current_message_file(u, v), *key = NULL;
	char *addrs = file ? sender_of(file, &key) : NULL;
	free(file);
	if (!addrs) {
		status_error(u, "The message has no sender address.");
		free(key);
		return;
	}
	char *k = prompt_line(u, "Alias as: ", key, HIST_CMD, COMPLETE_NONE);
	char *a = k && *k ? prompt_line(u, "Address: ", addrs, HIST_SEARCH, COMPLETE_ADDRESS) : NULL;
	if (a && *a)
		make_alias(u, k, a);
	free(a);
	free(k);
	free(key);
	free(addrs);
}

/* The results as a numbered list; the key typed picks one. */
static const struct query_result *pick(struct ui *u, const struct query_results *r)
{
	static const char keys[] = "123456789abcdefghijklmnoprstuvwxyz";
	size_t n = r->n < sizeof(keys) - 1 ? r->n : sizeof(keys) - 1;
	char **lines = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		lines[i] = xasprintf("%c  %-30s %-30s %s", keys[i], r->v[i].address, r->v[i].name, r->v[i].other);
	char *q = xasprintf("%s -- pick one (q: none)", r->status && *r->status ? r->status : "Results");
	char allowed[sizeof(keys) + 1];
	snprintf(allowed, sizeof(allowed), "%.*sq", (int)n, keys);
	int k = prompt_choice(u, (const char *const *)lines, n, q, allowed, 'q');
	free(q);
	ui_free_strv(lines, n);
	const char *at = k == 'q' ? NULL : strchr(keys, k);
	return at ? &r->v[at - keys] : NULL;
}

void addrbook_op_query(struct ui *u, struct view *v)
{
	(void)v;
	const char *cmd = conf_str(u->conf, -1, OPT_ID_query_command);
	if (!cmd || !*cmd) {
		status_error(u, "query_command is not set.");
		return;
	}
	char *typed = prompt_line(u, "Query: ", "", HIST_QUERY, COMPLETE_NONE), *err = NULL;
	if (!typed || !*typed) {
		free(typed);
		return;
	}
	struct query_results r = { 0 };
	if (!query_run(cmd, typed, 0, &r, &err)) {
		status_error(u, "query_command: %s", err ? err : "failed");
	} else if (!r.n) {
		status_message(u, "No results for %s.", typed);
	} else {
		const struct query_result *res = pick(u, &r);
		char *to = res ? query_result_format(res) : NULL;
		if (to)
			compose_mail_prefilled(u, &(struct compose_prefill){ .to = to });
		free(to);
	}
	query_results_clear(&r);
	free(err);
	free(typed);
}
