/* sidebar.c - accounts, their folders as a tree, then saved searches,
 * each with unread/total counts from the store.
 *
 * Folders are the Maildirs under data_dir/mail/<account>/ (nested
 * directories are the folder hierarchy); counts are notmuch queries
 * (folder:"<account>/<folder>"), refreshed whenever the store changes.
 * While an account's first sync runs, the folders its sync listed on the
 * server (state/<account>/folder-counts, foldercounts.h) are shown too,
 * also those not mirrored yet, and a folder whose first sync has not
 * finished shows the server's counts instead of the index's. */
#include "sidebar.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "draw.h"
#include "foldercounts.h"
#include "hookrun.h"
#include "listview.h"
#include "log.h"
#include "mailview.h"
#include "maildir.h"
#include "theme.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"

#define SIDEBAR_MAX_FOLDERS 2000
#define SIDEBAR_MAX_DEPTH 16

enum sb_kind { SB_ACCOUNT, SB_FOLDER, SB_SEARCH_HEADER, SB_SEARCH };

struct sb_entry {
	enum sb_kind kind;
	char *label; /* owned: the last path component, or the account/search name */
	char *name;  /* owned: "account/Folder" (folders), name (searches, accounts) */
	char *query; /* owned */
	int depth;
	long account;
	unsigned unread, total;
	bool server;           /* first sync unfinished: the server's counts */
	long srv_total, srv_unseen; /* srv_unseen -1: unknown */
};

struct sidebar {
	struct sb_entry *v;
	size_t n;
	struct listview lv;
	char **folders; /* owned: NULL-terminated names for completion */
	bool counted;   /* counts are current (they are filled in when idle) */
};

static void add(struct sidebar *sb, enum sb_kind kind, const char *label, const char *name, char *query, int depth,
		long account)
{
	sb->v = xreallocarray(sb->v, sb->n + 1, sizeof(*sb->v));
	struct sb_entry *e = &sb->v[sb->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->label = xstrdup(label);
	e->name = xstrdup(name);
	e->query = query;
	e->depth = depth;
	e->account = account;
}

/* notmuch query string quoting: "..." with " doubled */
static char *quote_term(const char *prefix, const char *s)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, prefix);
	strbuf_addc(&b, '"');
	for (; *s; s++) {
		if (*s == '"')
			strbuf_addc(&b, '"');
		strbuf_addc(&b, *s);
	}
	strbuf_addc(&b, '"');
	return strbuf_detach(&b);
}

static int cmp_name(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	/* INBOX first, then alphabetical */
	bool ix = strcmp(x, "INBOX") == 0, iy = strcmp(y, "INBOX") == 0;
	if (ix != iy)
		return ix ? -1 : 1;
	return strcasecmp(x, y);
}

static bool is_maildir(const char *dir)
{
	char *cur = xasprintf("%s/cur", dir);
	struct stat st;
	bool r = stat(cur, &st) == 0 && S_ISDIR(st.st_mode);
	free(cur);
	return r;
}

/* Add the next component under rel of each folder the server listed
 * (fc) to names, unless there already. */
static void add_listed(const struct foldercounts *fc, const char *rel, char ***names, size_t *n)
{
	size_t rl = strlen(rel);
	for (size_t i = 0; i < fc->n && *n < SIDEBAR_MAX_FOLDERS; i++) {
		const char *r = fc->v[i].rel;
		if (rl && (strncmp(r, rel, rl) != 0 || r[rl] != '/'))
			continue;
		const char *c = rl ? r + rl + 1 : r;
		size_t cl = strcspn(c, "/");
		bool have = false;
		for (size_t k = 0; k < *n && !have; k++)
			have = strlen((*names)[k]) == cl && strncmp((*names)[k], c, cl) == 0;
		if (!have && cl && c[0] != '.') {
			*names = xreallocarray(*names, *n + 1, sizeof(char *));
			(*names)[(*n)++] = xstrndup(c, cl);
		}
	}
}

static void add_folder(struct sidebar *sb, const char *label, const char *name, bool maildir,
		       const struct foldercount *e, int depth, long account)
{
	add(sb, SB_FOLDER, label, name, maildir || e ? quote_term("folder:", name) : NULL, depth, account);
	struct sb_entry *x = &sb->v[sb->n - 1];
	if (e && e->pending) {
		x->server = true;
		x->srv_total = e->messages;
		x->srv_unseen = e->unseen;
	}
}

/* Folders under base/rel (and those the server listed, fc), depth-first,
 * sorted per level. */
static void scan(struct sidebar *sb, const char *base, const char *acc, const char *rel, int depth, long account,
		 const struct foldercounts *fc)
{
	if (depth > SIDEBAR_MAX_DEPTH || sb->n > SIDEBAR_MAX_FOLDERS)
		return;
	char *dir = *rel ? xasprintf("%s/%s", base, rel) : xstrdup(base);
	DIR *d = opendir(dir); /* missing: a folder not mirrored yet */
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)) && n < SIDEBAR_MAX_FOLDERS) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "cur") == 0 || strcmp(de->d_name, "new") == 0 ||
		    strcmp(de->d_name, "tmp") == 0)
			continue;
		char *p = xasprintf("%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			names = xreallocarray(names, n + 1, sizeof(char *));
			names[n++] = xstrdup(de->d_name);
		}
		free(p);
	}
	if (d)
		closedir(d);
	add_listed(fc, rel, &names, &n);
	if (n)
		qsort(names, n, sizeof(char *), cmp_name);
	for (size_t i = 0; i < n; i++) {
		char *r = *rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		char *full = xasprintf("%s/%s", base, r);
		char *name = xasprintf("%s/%s", acc, r);
		/* neither a Maildir nor listed: a plain parent, without a query */
		add_folder(sb, names[i], name, is_maildir(full), foldercounts_find(fc, r), depth, account);
		scan(sb, base, acc, r, depth + 1, account, fc);
		free(name);
		free(full);
		free(r);
		free(names[i]);
	}
	free(names);
	free(dir);
}

static void sb_clear(struct sidebar *sb)
{
	for (size_t i = 0; i < sb->n; i++) {
		free(sb->v[i].label);
		free(sb->v[i].name);
		free(sb->v[i].query);
	}
	free(sb->v);
	sb->v = NULL;
	sb->n = 0;
	for (size_t i = 0; sb->folders && sb->folders[i]; i++)
		free(sb->folders[i]);
	free(sb->folders);
	sb->folders = NULL;
}

/* Every message of an account: path:"<account>/" and everything below. */
static char *account_query(const char *acc)
{
	char *path = quote_term("path:", acc);
	char *q = xasprintf("%.*s/**\"", (int)strlen(path) - 1, path);
	free(path);
	return q;
}

char *sidebar_counts_path(struct ui *u, long account)
{
	char *data = conf_data_dir(u->conf);
	char *acc = maildir_safe_component(conf_account_name(u->conf, (size_t)account));
	char *dir = xasprintf("%s/state/%s", data, acc);
	char *p = foldercounts_path(dir);
	free(dir);
	free(acc);
	free(data);
	return p;
}

char *sidebar_first_sync_note(struct ui *u)
{
	if (u->account < 0 || !u->mv)
		return NULL;
	struct foldercounts fc = { 0 };
	char *fcp = sidebar_counts_path(u, u->account);
	bool running = foldercounts_load(fcp, &fc) && foldercounts_pending(&fc);
	free(fcp);
	size_t total = foldercounts_total(&fc);
	foldercounts_clear(&fc);
	unsigned indexed = 0;
	char *q = account_query(conf_account_name(u->conf, (size_t)u->account));
	if (running)
		mailview_count(u->mv, q, &indexed);
	free(q);
	if (!running || (size_t)indexed >= total)
		return NULL;
	return xasprintf("searching %u of %zu messages indexed so far", indexed, total);
}

static void build(struct ui *u, struct sidebar *sb)
{
	sb_clear(sb);
	for (size_t a = 0; a < conf_account_count(u->conf); a++) {
		const char *acc = conf_account_name(u->conf, a);
		add(sb, SB_ACCOUNT, acc, acc, account_query(acc), 0, (long)a);
		char *base = xasprintf("%s/%s", u->mail_dir, acc);
		struct foldercounts fc = { 0 };
		char *fcp = sidebar_counts_path(u, (long)a);
		foldercounts_load(fcp, &fc);
		free(fcp);
		scan(sb, base, acc, "", 1, (long)a, &fc);
		foldercounts_clear(&fc);
		free(base);
	}
	if (conf_search_count(u->conf))
		add(sb, SB_SEARCH_HEADER, "Searches", "", NULL, 0, -1);
	for (size_t i = 0; i < conf_search_count(u->conf); i++) {
		const struct conf_search *s = conf_search(u->conf, i);
		add(sb, SB_SEARCH, s->name, s->name, xstrdup(s->query), 1, -1);
	}
	size_t nf = 0;
	sb->folders = xcalloc(sb->n + 1, sizeof(char *));
	for (size_t i = 0; i < sb->n; i++)
		if (sb->v[i].kind == SB_FOLDER && sb->v[i].query)
			sb->folders[nf++] = xstrdup(sb->v[i].name);
	sb->lv.count = sb->n;
}

static void sb_count(struct ui *u, struct sidebar *sb)
{
	for (size_t i = 0; i < sb->n; i++) {
		struct sb_entry *e = &sb->v[i];
		e->total = e->unread = 0;
		if (!u->mv || !e->query || e->server)
			continue;
		mailview_count(u->mv, e->query, &e->total);
		char *q = xasprintf("(%s) and tag:unread", e->query);
		mailview_count(u->mv, q, &e->unread);
		free(q);
	}
}

static bool idle_source(struct ui *u, void *sb);
static const char *const *complete_folders(struct ui *u);
static void changed_source(struct ui *u, void *sb);

struct sidebar *sidebar_new(struct ui *u)
{
	struct sidebar *sb = xcalloc(1, sizeof(*sb));
	sidebar_refresh(u, sb);
	u->folders = complete_folders;
	/* counts in the background; the tree again when the store changes */
	ui_add_source(u, &(struct ui_source){ .fd = -1, .idle = idle_source, .store_changed = changed_source,
					      .data = sb });
	return sb;
}

void sidebar_free(struct sidebar **psb)
{
	struct sidebar *sb = *psb;
	if (!sb)
		return;
	sb_clear(sb);
	free(sb);
	*psb = NULL;
}

void sidebar_refresh(struct ui *u, struct sidebar *sb)
{
	if (!sb)
		return;
	size_t cur = sb->lv.cur;
	build(u, sb);
	sb->counted = false; /* the first screen must not wait for counts */
	lv_set_cur(&sb->lv, cur);
}

static void changed_source(struct ui *u, void *sb)
{
	sidebar_refresh(u, sb);
}

/* Fill in the counts if they are stale; true when it did work. */
static bool idle_source(struct ui *u, void *data)
{
	struct sidebar *sb = data;
	if (!sb || sb->counted)
		return false;
	sb_count(u, sb);
	sb->counted = true;
	return true;
}

static void row(struct ui *u, void *ctx, size_t i, int y, int x, int w, bool cur)
{
	struct sidebar *sb = ctx;
	struct sb_entry *e = &sb->v[i];
	attr_t a = theme_attr(u->th, CO_sidebar);
	if (e->kind == SB_ACCOUNT || e->kind == SB_SEARCH_HEADER)
		a |= A_BOLD;
	if (e->unread || (e->server && e->srv_unseen > 0))
		a = theme_attr(u->th, CO_sidebar_unread);
	if (cur)
		a = theme_attr(u->th, CO_sidebar_highlight);
	draw_fill(y, x, w, a);
	struct strbuf b;
	strbuf_init(&b);
	for (int d = 0; d < e->depth; d++)
		strbuf_adds(&b, " ");
	strbuf_adds(&b, e->label);
	char counts[48] = "";
	if (e->server && e->srv_unseen > 0) /* no index needed: at once */
		snprintf(counts, sizeof(counts), " %ld/%ld", e->srv_unseen, e->srv_total);
	else if (e->server)
		snprintf(counts, sizeof(counts), " %ld", e->srv_total);
	else if (e->query && u->mv && sb->counted)
		snprintf(counts, sizeof(counts), e->unread ? " %u/%u" : " %u", e->unread ? e->unread : e->total, e->total);
	int cw = (int)strlen(counts);
	int lw = w - cw;
	if (lw < 1)
		lw = w, cw = 0;
	draw_text(y, x, lw, b.s, a);
	if (cw)
		draw_text(y, x + w - cw, cw, counts, a);
	strbuf_free(&b);
}

void sidebar_draw(struct ui *u, struct sidebar *sb, int y, int x, int w, int h)
{
	lv_draw(u, &sb->lv, y, x, w, h, row, sb);
}

void sidebar_move(struct ui *u, struct sidebar *sb, int dir)
{
	(void)u;
	size_t c = sb->lv.cur;
	do {
		if (dir > 0 && c + 1 < sb->n)
			c++;
		else if (dir < 0 && c > 0)
			c--;
		else
			break;
	} while (!sb->v[c].query);
	if (sb->v[c].query)
		lv_set_cur(&sb->lv, c);
}

void sidebar_open(struct ui *u, struct sidebar *sb)
{
	if (sb->lv.cur >= sb->n || !sb->v[sb->lv.cur].query)
		return;
	struct sb_entry *e = &sb->v[sb->lv.cur];
	size_t keep = sb->lv.cur;
	if (e->account >= 0 && e->account != u->account) {
		u->account = e->account;
		hookrun_named(u, HOOK_ACCOUNT, conf_account_name(u->conf, (size_t)u->account));
	}
	char *title = e->kind == SB_SEARCH ? xasprintf("search: %s", e->name) : xstrdup(e->name);
	char *q = xstrdup(e->query);
	ui_open_query(u, title, q);
	lv_set_cur(&sb->lv, keep);
	free(title);
	free(q);
}

bool sidebar_click(struct ui *u, struct sidebar *sb, int r)
{
	size_t i = sb->lv.top + (size_t)(r < 0 ? 0 : r);
	if (r < 0 || i >= sb->n || !sb->v[i].query)
		return false;
	lv_set_cur(&sb->lv, i);
	sidebar_open(u, sb);
	return true;
}

/* u->folders: the names for completion */
static const char *const *complete_folders(struct ui *u)
{
	return u->sb ? (const char *const *)u->sb->folders : NULL;
}

const char *sidebar_folder_name(const char *typed)
{
	return typed[0] == '=' || typed[0] == '+' ? typed + 1 : typed;
}

char *sidebar_folder_query(struct ui *u, const char *name)
{
	struct sidebar *sb = u->sb;
	name = sidebar_folder_name(name);
	/* "acc/Folder" as listed, or "Folder" of the current account */
	for (size_t pass = 0; pass < 2; pass++) {
		char *full = pass == 0 || u->account < 0
				     ? xstrdup(name)
				     : xasprintf("%s/%s", conf_account_name(u->conf, (size_t)u->account), name);
		char *dir = xasprintf("%s/%s", u->mail_dir, full);
		bool ok = !strstr(full, "..") && is_maildir(dir);
		free(dir);
		if (ok) {
			char *q = quote_term("folder:", full);
			free(full);
			return q;
		}
		free(full);
	}
	(void)sb;
	return NULL;
}

/* ---- sidebar-toggle-visible, remembered across starts ----
 * data_dir/state/@reader holds "sidebar_visible = yes|no" once the user
 * toggled it ('@' is never in an account name, so it cannot meet an
 * account's state directory).  It wins over the rc's value. */

static char *reader_state_file(const struct ui *u, bool mkdir_too)
{
	char *data = conf_data_dir(u->conf);
	char *dir = xasprintf("%s/state", data);
	if (mkdir_too)
		util_mkdirs(dir, 0700);
	char *f = xasprintf("%s/@reader", dir);
	free(dir);
	free(data);
	return f;
}

void sidebar_restore_visible(struct ui *u)
{
	char *f = reader_state_file(u, false);
	FILE *fp = fopen(f, "re");
	char line[64], val[8];
	if (fp && fgets(line, sizeof(line), fp) && sscanf(line, "sidebar_visible = %7s", val) == 1 &&
	    (strcmp(val, "yes") == 0 || strcmp(val, "no") == 0)) {
		char *err = NULL;
		conf_set(u->conf, -1, "sidebar_visible", val, &err);
		free(err);
	}
	if (fp)
		fclose(fp);
	free(f);
}

void sidebar_save_visible(struct ui *u, bool on)
{
	char *f = reader_state_file(u, true);
	const char *line = on ? "sidebar_visible = yes\n" : "sidebar_visible = no\n";
	if (util_write_file_atomic(f, line, strlen(line), 0600) != 0)
		log_warn("sidebar: cannot remember the sidebar in %s", f);
	free(f);
}

/* The account's INBOX, else everything of the account. */
void sidebar_open_account(struct ui *u)
{
	if (u->account < 0) {
		ui_open_query(u, "", NULL);
		return;
	}
	const char *acc = conf_account_name(u->conf, (size_t)u->account);
	char *dir = xasprintf("%s/%s/INBOX", u->mail_dir, acc);
	struct stat st;
	char *title = xasprintf("%s/INBOX", acc);
	char *q = stat(dir, &st) == 0 ? sidebar_folder_query(u, title) : xasprintf("path:\"%s/**\"", acc);
	ui_open_query(u, title, q);
	free(q);
	free(title);
	free(dir);
}

void sidebar_switch_account(struct ui *u, long account)
{
	u->account = account;
	if (account >= 0)
		hookrun_named(u, HOOK_ACCOUNT, conf_account_name(u->conf, (size_t)account));
	sidebar_refresh(u, u->sb);
	sidebar_open_account(u);
}

/* The folder of the current account that the user means: without mutt's
 * "=" or "+" and without "account/" (completion offers both forms); NULL
 * when the answer was empty or a new folder was not wanted. */
char *sidebar_dest_folder(struct ui *u, const char *typed)
{
	const char *name = sidebar_folder_name(typed);
	const char *acc = u->account >= 0 ? conf_account_name(u->conf, (size_t)u->account) : NULL;
	size_t al = acc ? strlen(acc) : 0;
	if (acc && strncmp(name, acc, al) == 0 && name[al] == '/' && name[al + 1])
		name += al + 1;
	if (!*name)
		return NULL;
	char *q = sidebar_folder_query(u, name);
	if (q) {
		free(q);
		return xstrdup(name);
	}
	/* mutt asks before it creates a mailbox; an unknown name is most
	 * often a typo or another client's habit ("=Archive") */
	char *ask = xasprintf("Create folder %s?", name);
	bool yes = ui_yesno(u, ask, true);
	free(ask);
	return yes ? xstrdup(name) : NULL;
}
