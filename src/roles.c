/* roles - the account's special-use folders, recorded by the sync and
 * resolved for the reader and the sender (roles.h). */
#include "roles.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maildir.h"
#include "util.h"

static const enum imap_special kept[] = { IMAP_SPECIAL_SENT, IMAP_SPECIAL_DRAFTS, IMAP_SPECIAL_TRASH,
					  IMAP_SPECIAL_ARCHIVE, IMAP_SPECIAL_JUNK };

static bool role_kept(enum imap_special r)
{
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (kept[i] == r)
			return true;
	return false;
}

static bool usable(const struct imap_folder *f)
{
	return !(f->flags & IMAP_FOLDER_NOSELECT) && f->name && f->name[0] && !strpbrk(f->name, "\r\n");
}

const struct imap_folder *roles_find(const struct imap_folder *f, size_t n, enum imap_special role, const char *name)
{
	const struct imap_folder *best = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!usable(&f[i]))
			continue;
		if (name && *name ? strcmp(f[i].name, name) == 0 : f[i].special == role)
			return &f[i];
	}
	const char *want = name && *name ? name : imap_special_name(role);
	for (size_t i = 0; i < n; i++) {
		if (!usable(&f[i]))
			continue;
		const char *last = f[i].delim ? strrchr(f[i].name, f[i].delim) : NULL;
		last = last ? last + 1 : f[i].name;
		if (strcasecmp(last, want) == 0 && (!best || strlen(f[i].name) < strlen(best->name)))
			best = &f[i];
	}
	return best;
}

/* One line per role: "<Role> <delimiter as two hex digits, 00 for none>
 * <UTF-8 name>\n" (hex, so that any delimiter byte, '-' or ' ' included,
 * reads back unambiguously).  The name
 * is untrusted server text: a name holding a newline is not recorded. */
int roles_save(const char *state_dir, const struct imap_folder *f, size_t n, const char *prefix, char delim,
	       bool labels)
{
	struct strbuf b;
	strbuf_init(&b);
	if (labels) /* a Gmail-shaped account: its folders are labels (roles_labels) */
		strbuf_adds(&b, "Labels 00 yes\n");
	for (size_t k = 0; k < sizeof(kept) / sizeof(kept[0]); k++) {
		const char *role = imap_special_name(kept[k]);
		const struct imap_folder *hit = roles_find(f, n, kept[k], NULL);
		if (hit)
			strbuf_addf(&b, "%s %02x %s\n", role, (unsigned char)hit->delim, hit->name);
		else if (prefix && *prefix && !strpbrk(prefix, "\r\n"))
			/* nothing on the server yet: the folder we would make
			 * lives in the personal namespace ("INBOX.Sent") */
			strbuf_addf(&b, "%s %02x %s%s\n", role, (unsigned char)delim, prefix, role);
	}
	char *path = xasprintf("%s/roles", state_dir);
	size_t len = 0;
	char *old = NULL;
	int rc = 0;
	if (maildir_read(state_dir, "roles", &old, &len) != 0 || len != b.len || memcmp(old, b.s, len) != 0) {
		if (util_mkdirs(state_dir, 0700) != 0)
			rc = -1;
		else
			rc = util_write_file_atomic(path, b.s, b.len, 0600);
	}
	free(old);
	free(path);
	strbuf_free(&b);
	return rc;
}

static enum opt_id role_option(enum imap_special role)
{
	switch (role) {
	case IMAP_SPECIAL_SENT:
		return OPT_ID_record;
	case IMAP_SPECIAL_DRAFTS:
		return OPT_ID_postponed;
	case IMAP_SPECIAL_TRASH:
		return OPT_ID_trash;
	case IMAP_SPECIAL_ARCHIVE:
		return OPT_ID_archive;
	default:
		return OPT_COUNT;
	}
}

/* The recorded name for role, with the server's delimiter turned into
 * '/' (a '/' inside a component would change the folder: then NULL). */
/* The account's roles file (a new string), or NULL when there is none. */
static char *read_roles(const conf_t *c, long account)
{
	char *data = conf_data_dir(c);
	char *acct = maildir_safe_component(conf_account_name(c, (size_t)account));
	char *dir = xasprintf("%s/state/%s", data, acct);
	size_t len = 0;
	char *text = NULL;
	if (maildir_read(dir, "roles", &text, &len) != 0)
		xfree(&text);
	free(dir);
	free(acct);
	free(data);
	return text;
}

static char *recorded(const conf_t *c, long account, enum imap_special role)
{
	char *text = read_roles(c, account);
	if (!text)
		return NULL;
	const char *want = imap_special_name(role);
	size_t wl = strlen(want);
	char *out = NULL;
	for (char *line = text, *next; line && *line && !out; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, want, wl) != 0 || line[wl] != ' ' || !isxdigit((unsigned char)line[wl + 1]) ||
		    !isxdigit((unsigned char)line[wl + 2]) || line[wl + 3] != ' ')
			continue;
		char d = (char)strtoul((char[]){ line[wl + 1], line[wl + 2], 0 }, NULL, 16);
		const char *name = line + wl + 4;
		if (!*name || (d != '/' && strchr(name, '/')))
			continue;
		out = xstrdup(name);
		if (d && d != '/')
			for (char *p = out; *p; p++)
				if (*p == d)
					*p = '/';
	}
	free(text);
	return out;
}

char *roles_folder(const conf_t *c, long account, enum imap_special role, char **name_out)
{
	if (name_out)
		*name_out = NULL;
	if (!role_kept(role))
		return NULL;
	enum opt_id o = role_option(role);
	const char *opt = o != OPT_COUNT && account >= 0 ? conf_str(c, account, o) : NULL;
	if (opt && (*opt == '+' || *opt == '=')) /* mutt's "+Sent": the account's folder */
		opt++;
	char *name = opt && *opt ? xstrdup(opt) : NULL;
	if (!name && account >= 0)
		name = recorded(c, account, role);
	if (!name)
		name = xstrdup(imap_special_name(role));
	char *rel = maildir_folder_relpath(name, '/');
	if (name_out)
		*name_out = name;
	else
		free(name);
	return rel;
}

bool roles_labels(const conf_t *c, long account)
{
	char *text = read_roles(c, account);
	bool yes = text && strncmp(text, "Labels 00 yes\n", 14) == 0;
	free(text);
	return yes;
}

bool roles_is_label(const conf_t *c, long account, const char *rel)
{
	if (strcmp(rel, "INBOX") == 0 || !roles_labels(c, account))
		return false;
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		char *f = roles_folder(c, account, kept[i], NULL);
		bool same = f && strcmp(f, rel) == 0;
		free(f);
		if (same)
			return false;
	}
	return true;
}
