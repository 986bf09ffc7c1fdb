/* state.c - per-folder sync state, a text file replaced atomically.
 *
 * Format (one record a line, so that a human can read it after a crash):
 *   muttlike-state 1
 *   folder <server name>
 *   uidvalidity <n>
 *   uidnext <n>
 *   highestmodseq <n>
 *   mailboxid <RFC 8474 objectid>   (only when the server gave one)
 *   m <uid> <flag letters or -> [keyword ...]
 */
#include "state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "maildir.h"
#include "util.h"

struct state {
	uint32_t uidvalidity, uidnext;
	uint64_t highestmodseq;
	int64_t verified; /* time of the last full UID comparison; 0: due */
	char *folder;
	char *mailboxid; /* "" when unknown */
	struct state_msg *v; /* owned, sorted by uid */
	size_t n, cap;
};

state_t *state_new(void)
{
	state_t *s = xcalloc(1, sizeof(*s));
	s->folder = xstrdup("");
	s->mailboxid = xstrdup("");
	return s;
}

void state_clear_msgs(state_t *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].keywords);
	s->n = 0;
}

void state_free(state_t **sp)
{
	state_t *s = *sp;
	if (!s)
		return;
	state_clear_msgs(s);
	free(s->v);
	free(s->folder);
	free(s->mailboxid);
	free(s);
	*sp = NULL;
}

uint32_t state_uidvalidity(const state_t *s) { return s->uidvalidity; }
uint32_t state_uidnext(const state_t *s) { return s->uidnext; }
uint64_t state_highestmodseq(const state_t *s) { return s->highestmodseq; }
int64_t state_verified(const state_t *s) { return s->verified; }
void state_set_verified(state_t *s, int64_t t) { s->verified = t; }
const char *state_folder(const state_t *s) { return s->folder; }
void state_set_uidvalidity(state_t *s, uint32_t v) { s->uidvalidity = v; }
void state_set_uidnext(state_t *s, uint32_t v) { s->uidnext = v; }
void state_set_highestmodseq(state_t *s, uint64_t v) { s->highestmodseq = v; }

void state_set_folder(state_t *s, const char *name)
{
	free(s->folder);
	s->folder = xstrdup(name ? name : "");
}

const char *state_mailboxid(const state_t *s) { return s->mailboxid; }

void state_set_mailboxid(state_t *s, const char *id)
{
	/* An objectid is 1*255 of ALPHA / DIGIT / "_" / "-" (RFC 8474); anything
	 * else is not kept (it would not survive the line format either). */
	size_t n = id ? strlen(id) : 0;
	bool ok = n > 0 && n <= 255;
	for (size_t i = 0; ok && i < n; i++)
		ok = (id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') ||
		     id[i] == '_' || id[i] == '-';
	free(s->mailboxid);
	s->mailboxid = xstrdup(ok ? id : "");
}

size_t state_count(const state_t *s) { return s->n; }
const struct state_msg *state_at(const state_t *s, size_t i) { return &s->v[i]; }

/* Index of the first record with uid >= uid. */
static size_t lower_bound(const state_t *s, uint32_t uid)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->v[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct state_msg *state_get(const state_t *s, uint32_t uid)
{
	size_t i = lower_bound(s, uid);
	return i < s->n && s->v[i].uid == uid ? &s->v[i] : NULL;
}

void state_put(state_t *s, uint32_t uid, unsigned flags, const char *keywords)
{
	size_t i;
	/* Appending in UID order is the common case (a fetch). */
	if (s->n == 0 || s->v[s->n - 1].uid < uid)
		i = s->n;
	else
		i = lower_bound(s, uid);
	char *kw = keywords && *keywords ? xstrdup(keywords) : NULL;
	if (i < s->n && s->v[i].uid == uid) {
		free(s->v[i].keywords);
		s->v[i].flags = flags;
		s->v[i].keywords = kw;
		return;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
	s->v[i] = (struct state_msg){ .uid = uid, .flags = flags, .keywords = kw };
	s->n++;
}

void state_del(state_t *s, uint32_t uid)
{
	size_t i = lower_bound(s, uid);
	if (i >= s->n || s->v[i].uid != uid)
		return;
	free(s->v[i].keywords);
	memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
	s->n--;
}

static enum state_status parse_line(state_t *s, char *line)
{
	char *sp = strchr(line, ' ');
	if (!sp)
		return STATE_ERR_PARSE;
	*sp = '\0';
	char *val = sp + 1;
	unsigned long long n;
	if (strcmp(line, "folder") == 0) {
		state_set_folder(s, val);
		return STATE_OK;
	}
	if (strcmp(line, "mailboxid") == 0) {
		state_set_mailboxid(s, val);
		return STATE_OK;
	}
	if (strcmp(line, "m") == 0) {
		char *end;
		errno = 0;
		n = strtoull(val, &end, 10);
		if (errno || end == val || *end != ' ' || n == 0 || n > UINT32_MAX)
			return STATE_ERR_PARSE;
		char *fl = end + 1;
		char *kw = strchr(fl, ' ');
		if (kw)
			*kw++ = '\0';
		state_put(s, (uint32_t)n, strcmp(fl, "-") == 0 ? 0 : maildir_flags_parse(fl), kw);
		return STATE_OK;
	}
	char *end;
	errno = 0;
	n = strtoull(val, &end, 10);
	if (errno || end == val || *end)
		return STATE_ERR_PARSE;
	if (strcmp(line, "uidvalidity") == 0 && n <= UINT32_MAX)
		s->uidvalidity = (uint32_t)n;
	else if (strcmp(line, "uidnext") == 0 && n <= UINT32_MAX)
		s->uidnext = (uint32_t)n;
	else if (strcmp(line, "highestmodseq") == 0)
		s->highestmodseq = n;
	else if (strcmp(line, "verified") == 0)
		s->verified = (int64_t)n;
	else if (strcmp(line, "muttlike-state") != 0)
		return STATE_ERR_PARSE;
	return STATE_OK;
}

enum state_status state_load(const char *path, state_t **out)
{
	*out = state_new();
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? STATE_MISSING : STATE_ERR_IO;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	enum state_status st = STATE_OK;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (!len)
			continue;
		st = parse_line(*out, line);
		if (st != STATE_OK)
			break;
	}
	free(line);
	fclose(f);
	return st;
}

int state_save(const state_t *s, const char *path)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addf(&b, "muttlike-state 1\nfolder %s\nuidvalidity %" PRIu32 "\nuidnext %" PRIu32
			"\nhighestmodseq %" PRIu64 "\nverified %" PRId64 "\n",
		    s->folder, s->uidvalidity, s->uidnext, s->highestmodseq, s->verified);
	if (*s->mailboxid)
		strbuf_addf(&b, "mailboxid %s\n", s->mailboxid);
	for (size_t i = 0; i < s->n; i++) {
		char fl[8];
		maildir_flags_format(s->v[i].flags, fl);
		strbuf_addf(&b, "m %" PRIu32 " %s%s%s\n", s->v[i].uid, *fl ? fl : "-",
			    s->v[i].keywords ? " " : "", s->v[i].keywords ? s->v[i].keywords : "");
	}
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		util_mkdirs(dir, 0700);
	}
	free(dir);
	int rc = util_write_file_atomic(path, b.s, b.len, 0600);
	int e = errno;
	strbuf_free(&b);
	errno = e;
	return rc;
}

char *state_path(const char *state_dir, const char *relpath)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, state_dir);
	strbuf_addc(&b, '/');
	/* Components are already %-escaped, so "%2F" cannot occur in one. */
	for (const char *p = relpath; *p; p++) {
		if (*p == '/')
			strbuf_adds(&b, "%2F");
		else
			strbuf_addc(&b, *p);
	}
	strbuf_adds(&b, ".state");
	return strbuf_detach(&b);
}
