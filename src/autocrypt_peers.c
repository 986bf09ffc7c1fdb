/* autocrypt_peers.c - the Autocrypt peer table and keyring of one account
 * (autocrypt.h, "Storage"): data_dir/autocrypt/<account>/peers, rewritten
 * atomically, and data_dir/autocrypt/<account>/gnupg, a GnuPG home of
 * its own (crypto_t with gnupg_home: GPGME's engine info), so that keys
 * learnt from headers never enter the user's keyring. */
#include "autocrypt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "maildir.h"
#include "mime.h"
#include "util.h"

#define PEERS_MAGIC "# muttlike autocrypt peers 1"
/* The header block read from a message for its Autocrypt: field. */
#define AUTOCRYPT_MAX_HEADER ((size_t)256 * 1024)

struct peer_row {
	char *addr; /* owned, lower-cased */
	char *fpr;  /* owned or NULL: the key of public_key in the keyring */
	struct autocrypt_peer p;
};

struct autocrypt_peers {
	char *dir; /* owned */
	struct peer_row *v;
	size_t n;
};

char *autocrypt_dir(const char *data_dir, const char *account)
{
	char *acct = maildir_safe_component(account);
	char *d = xasprintf("%s/autocrypt/%s", data_dir, acct);
	free(acct);
	return d;
}

char *autocrypt_gnupg_home(const char *dir)
{
	return xasprintf("%s/gnupg", dir);
}

/* A word of the table: no whitespace, not empty ("-" stands for none). */
static bool word_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return false;
	return true;
}

static struct peer_row *row_add(autocrypt_peers_t *t, const char *addr)
{
	t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
	struct peer_row *r = &t->v[t->n++];
	memset(r, 0, sizeof(*r));
	r->addr = xstrdup(addr);
	for (char *c = r->addr; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return r;
}

static struct peer_row *row_find(const autocrypt_peers_t *t, const char *addr)
{
	for (size_t i = 0; addr && i < t->n; i++)
		if (strcasecmp(t->v[i].addr, addr) == 0)
			return &t->v[i];
	return NULL;
}

static char *opt_word(const char *w)
{
	return strcmp(w, "-") == 0 ? NULL : xstrdup(w);
}

/* "addr last_seen autocrypt_timestamp prefer fpr keydata"; bad lines skipped */
static void parse_line(autocrypt_peers_t *t, char *line)
{
	char *w[6], *save = NULL;
	int n = 0;
	for (char *tok = strtok_r(line, " \t", &save); tok && n < 6; tok = strtok_r(NULL, " \t", &save))
		w[n++] = tok;
	long long seen, ts;
	if (n != 6 || !strchr(w[0], '@') || sscanf(w[1], "%lld", &seen) != 1 || sscanf(w[2], "%lld", &ts) != 1 ||
	    row_find(t, w[0]))
		return;
	struct peer_row *r = row_add(t, w[0]);
	r->p.last_seen = (time_t)seen;
	r->p.autocrypt_timestamp = (time_t)ts;
	r->p.prefer_encrypt = strcmp(w[3], "mutual") == 0;
	r->fpr = opt_word(w[4]);
	r->p.public_key = opt_word(w[5]);
}

autocrypt_peers_t *autocrypt_peers_load(const char *dir)
{
	autocrypt_peers_t *t = xcalloc(1, sizeof(*t));
	t->dir = xstrdup(dir);
	char *path = xasprintf("%s/peers", dir);
	size_t len = 0;
	char *data = util_read_file(path, &len);
	free(path);
	for (char *line = data, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*line != '#')
			parse_line(t, line);
		if (!next)
			break;
	}
	free(data);
	return t;
}

int autocrypt_peers_save(const autocrypt_peers_t *t, char **err)
{
	*err = NULL;
	if (util_mkdirs(t->dir, 0700) != 0) {
		*err = xasprintf("cannot create %s: %s", t->dir, strerror(errno));
		return -1;
	}
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, PEERS_MAGIC "\n");
	for (size_t i = 0; i < t->n; i++) {
		const struct peer_row *r = &t->v[i];
		strbuf_addf(&b, "%s %lld %lld %s %s %s\n", r->addr, (long long)r->p.last_seen,
			    (long long)r->p.autocrypt_timestamp, r->p.prefer_encrypt ? "mutual" : "nopreference",
			    r->fpr ? r->fpr : "-", r->p.public_key ? r->p.public_key : "-");
	}
	char *path = xasprintf("%s/peers", t->dir);
	int rc = util_write_file_atomic(path, b.s, b.len, 0600);
	if (rc != 0)
		*err = xasprintf("cannot write %s: %s", path, strerror(errno));
	free(path);
	strbuf_free(&b);
	return rc;
}

void autocrypt_peers_free(autocrypt_peers_t **t)
{
	if (!*t)
		return;
	for (size_t i = 0; i < (*t)->n; i++) {
		free((*t)->v[i].addr);
		free((*t)->v[i].fpr);
		autocrypt_peer_clear(&(*t)->v[i].p);
	}
	free((*t)->v);
	free((*t)->dir);
	free(*t);
	*t = NULL;
}

const struct autocrypt_peer *autocrypt_peers_find(const autocrypt_peers_t *t, const char *addr, const char **fpr)
{
	struct peer_row *r = row_find(t, addr);
	if (fpr)
		*fpr = r ? r->fpr : NULL;
	return r ? &r->p : NULL;
}

enum autocrypt_rec autocrypt_peers_recommend(const autocrypt_peers_t *t, const char *const *addrs, bool me_mutual)
{
	size_t n = 0;
	while (addrs && addrs[n])
		n++;
	enum autocrypt_rec *v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		const char *fpr = NULL;
		const struct autocrypt_peer *p = autocrypt_peers_find(t, addrs[i], &fpr);
		v[i] = fpr ? autocrypt_recommend(p, me_mutual) : AUTOCRYPT_DISABLE;
	}
	enum autocrypt_rec r = autocrypt_recommend_all(v, (int)n);
	free(v);
	return r;
}

/* ---- the header of a message ---- */

size_t autocrypt_header_find(const char *raw, size_t n, char **value)
{
	*value = NULL;
	size_t count = 0;
	const char *p = raw, *end = raw + n;
	while (p < end && *p != '\r' && *p != '\n') {
		const char *q = p; /* one field with its continuation lines */
		do {
			const char *nl = memchr(q, '\n', (size_t)(end - q));
			q = nl ? nl + 1 : end;
		} while (q < end && (*q == ' ' || *q == '\t'));
		if ((size_t)(q - p) > 10 && strncasecmp(p, "Autocrypt:", 10) == 0 && count++ == 0) {
			struct strbuf b;
			strbuf_init(&b);
			for (const char *c = p + 10; c < q; c++)
				if (*c != '\r' && *c != '\n')
					strbuf_addc(&b, *c);
			*value = strbuf_detach(&b);
		}
		p = q;
	}
	if (count != 1) /* several: the spec treats the message as having none */
		xfree(value);
	return count;
}

/* The header block of the message file at path (up to the empty line,
 * capped).  New buffer, or NULL. */
static char *read_header(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct strbuf b;
	strbuf_init(&b);
	char *line = NULL;
	size_t cap = 0;
	ssize_t r;
	while ((r = getline(&line, &cap, f)) > 0 && b.len < AUTOCRYPT_MAX_HEADER) {
		strbuf_add(&b, line, (size_t)r);
		if (line[0] == '\n' || (line[0] == '\r' && line[1] == '\n'))
			break;
	}
	free(line);
	fclose(f);
	*len = b.len;
	if (!b.s)
		strbuf_adds(&b, "");
	return strbuf_detach(&b);
}

/* Import the peer's new key into the keyring; its fingerprint or NULL. */
static char *import_key(const char *dir, const char *keydata, char **err)
{
	char *home = autocrypt_gnupg_home(dir), *fpr = NULL;
	if (util_mkdirs(home, 0700) != 0) {
		*err = xasprintf("cannot create %s: %s", home, strerror(errno));
		free(home);
		return NULL;
	}
	crypto_t *c = crypto_new(&(struct crypto_opts){ .gnupg_home = home }, err);
	if (c && crypto_import_keydata(c, keydata, &fpr, err) != 0)
		fpr = NULL;
	crypto_free(&c);
	free(home);
	return fpr;
}

int autocrypt_learn(autocrypt_peers_t *t, const char *from, time_t date, const char *header, char **err)
{
	*err = NULL;
	if (!word_ok(from) || !strchr(from, '@'))
		return 0;
	time_t now = time(NULL);
	if (date > now) /* Level 1: a date in the future counts as now */
		date = now;
	struct peer_row *r = row_find(t, from);
	if (!r)
		r = row_add(t, from);
	struct autocrypt_peer *p = &r->p;
	char *old_key = xstrdup_null(p->public_key);
	if (!autocrypt_peer_update(p, from, date, header)) {
		free(old_key);
		return 0;
	}
	if (p->public_key && (!old_key || strcmp(old_key, p->public_key) != 0 || !r->fpr)) {
		free(r->fpr);
		r->fpr = import_key(t->dir, p->public_key, err);
		if (!r->fpr) { /* a key GnuPG refuses is no key */
			xfree(&p->public_key);
			p->autocrypt_timestamp = 0;
		}
	}
	free(old_key);
	return 1;
}

int autocrypt_learn_file(const char *dir, const char *path, char **err)
{
	*err = NULL;
	size_t len = 0;
	char *hdr = read_header(path, &len), *value = NULL;
	if (!hdr)
		return 0;
	mime_msg_t *m = NULL;
	time_t date = 0;
	int rc = 0;
	autocrypt_header_find(hdr, len, &value);
	if (mime_msg_parse(hdr, len, &m) == MIME_OK && mime_msg_date(m, &date)) {
		const struct mime_addrlist *from = mime_msg_addrs(m, MIME_H_FROM);
		const char *type = mime_part_type(mime_msg_root(m));
		/* Level 1: one From: address; reports (bounces) say nothing of the peer */
		if (from->n == 1 && strcmp(type, "multipart/report") != 0) {
			autocrypt_peers_t *t = autocrypt_peers_load(dir);
			rc = autocrypt_learn(t, from->v[0].mailbox, date, value, err);
			if (rc > 0 && autocrypt_peers_save(t, err) != 0)
				rc = -1;
			autocrypt_peers_free(&t);
		}
	}
	mime_msg_free(&m);
	free(value);
	free(hdr);
	return rc;
}
