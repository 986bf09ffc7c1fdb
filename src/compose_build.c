/* compose_build.c - start a reply, group or list reply, forward, bounce,
 * edit-as-new or recall from an original message.  See compose.h. */
#include "compose_private.h"

#include <ctype.h>
#include <regex.h>
#include <string.h>
#include <strings.h>

#include "encode.h"
#include "text.h"

void compose_orig_clear(struct compose_orig *o)
{
	free(o->path);
	free(o->subject);
	free(o->message_id);
	free(o->in_reply_to);
	free(o->references);
	free(o->list_post);
	free(o->date_text);
	addr_list_clear(&o->from);
	addr_list_clear(&o->to);
	addr_list_clear(&o->cc);
	addr_list_clear(&o->bcc);
	addr_list_clear(&o->reply_to);
	addr_list_clear(&o->delivered_to);
	if (o->body) /* may be decrypted text */
		explicit_bzero(o->body, strlen(o->body));
	free(o->body);
	free(o->raw);
	compose_orig_clear_atts(o);
	memset(o, 0, sizeof(*o));
}

void compose_orig_clear_atts(struct compose_orig *o)
{
	for (size_t i = 0; i < o->natt; i++) {
		free(o->att[i].name);
		free(o->att[i].type);
		if (o->att[i].data)
			explicit_bzero(o->att[i].data, o->att[i].len);
		free(o->att[i].data);
	}
	free(o->att);
	o->att = NULL;
	o->natt = 0;
}

/* ---- subjects and threading ---- */

char *compose_reply_subject(const char *subject)
{
	static const char *const re[] = { "re", "aw", "sv", NULL };
	char *clean = encode_header_clean(subject ? subject : "");
	char *out = xasprintf("Re: %s", text_subject_strip(clean, re));
	free(clean);
	return out;
}

char *compose_forward_subject(const char *subject)
{
	static const char *const fw[] = { "fwd", "fw", NULL };
	char *clean = encode_header_clean(subject ? subject : "");
	char *out = xasprintf("Fwd: %s", text_subject_strip(clean, fw));
	free(clean);
	return out;
}

/* Append each well-formed <id> of s not yet in ids. */
static void collect_ids(const char *s, char ***ids, size_t *n)
{
	for (const char *p = s ? s : ""; (p = strchr(p, '<')) != NULL;) {
		const char *e = strchr(p, '>');
		if (!e)
			break;
		size_t len = (size_t)(e + 1 - p);
		if (compose_msgid_valid(p, len)) {
			bool dup = false;
			for (size_t i = 0; i < *n && !dup; i++)
				dup = strlen((*ids)[i]) == len && memcmp((*ids)[i], p, len) == 0;
			if (!dup) {
				*ids = xreallocarray(*ids, *n + 1, sizeof(**ids));
				(*ids)[(*n)++] = xstrndup(p, len);
			}
			p = e + 1;
		} else {
			p++;
		}
	}
}

char *compose_references_for_reply(const struct compose_orig *o)
{
	char **ids = NULL;
	size_t n = 0;
	collect_ids(o->references && *o->references ? o->references : o->in_reply_to, &ids, &n);
	collect_ids(o->message_id, &ids, &n);
	struct strbuf b;
	strbuf_init(&b);
	const size_t keep = 20;
	for (size_t i = 0; i < n; i++) {
		/* the thread's root and the most recent ancestors */
		if (n <= keep || i == 0 || i >= n - (keep - 1)) {
			if (b.len)
				strbuf_addc(&b, ' ');
			strbuf_adds(&b, ids[i]);
		}
		free(ids[i]);
	}
	free(ids);
	return strbuf_detach(&b);
}

/* ---- who am I ---- */

struct me {
	struct addr_list from; /* the account's From */
	regex_t re;
	bool has_re;
};

static void me_init(struct me *me, const struct compose_identity *id)
{
	memset(me, 0, sizeof(*me));
	addr_list_init(&me->from);
	char *err = NULL;
	if (id && id->from && *id->from && !addr_parse(id->from, &me->from, &err))
		free(err); /* a bad `from` leaves From empty: the send step says so */
	if (id && me->from.n && !*me->from.v[0].name && id->real_name && *id->real_name) {
		free(me->from.v[0].name);
		me->from.v[0].name = encode_header_clean(id->real_name);
	}
	if (id && id->alternates && *id->alternates)
		me->has_re = regcomp(&me->re, id->alternates, REG_EXTENDED | REG_ICASE | REG_NOSUB) == 0;
}

static void me_clear(struct me *me)
{
	addr_list_clear(&me->from);
	if (me->has_re)
		regfree(&me->re);
}

static bool is_me(const struct me *me, const char *mailbox)
{
	if (addr_list_contains(&me->from, mailbox))
		return true;
	return me->has_re && regexec(&me->re, mailbox, 0, NULL, 0) == 0;
}

/* From: the account's, or the alternate address the original was sent to. */
static void choose_from(compose_t *c, const struct me *me, const struct compose_orig *o)
{
	addr_list_copy(&c->f[CF_FROM], &me->from);
	if (!o || !me->has_re)
		return;
	const struct addr_list *where[] = { &o->delivered_to, &o->to, &o->cc };
	for (size_t k = 0; k < ARRAY_SIZE(where); k++) {
		for (size_t i = 0; i < where[k]->n; i++) {
			const char *mb = where[k]->v[i].mailbox;
			if (!is_me(me, mb) || addr_list_contains(&me->from, mb))
				continue;
			const char *name = me->from.n ? me->from.v[0].name : "";
			addr_list_clear(&c->f[CF_FROM]);
			addr_list_add(&c->f[CF_FROM], name, mb);
			return;
		}
	}
}

static void drop_me(struct addr_list *l, const struct me *me)
{
	struct addr_list mine;
	addr_list_init(&mine);
	for (size_t i = 0; i < l->n; i++)
		if (is_me(me, l->v[i].mailbox))
			addr_list_add(&mine, NULL, l->v[i].mailbox);
	addr_list_remove(l, &mine);
	addr_list_clear(&mine);
}

/* ---- bodies ---- */

static void expand_attribution(const char *fmt, const struct compose_orig *o, const char *datefmt,
			       struct strbuf *b)
{
	const struct addr *a = o->from.n ? &o->from.v[0] : NULL;
	for (const char *p = fmt; *p; p++) {
		if (*p != '%' || !p[1]) {
			strbuf_addc(b, *p);
			continue;
		}
		p++;
		if (*p == 'n') {
			strbuf_adds(b, a ? (*a->name ? a->name : a->mailbox) : "someone");
		} else if (*p == 'a') {
			strbuf_adds(b, a ? a->mailbox : "");
		} else if (*p == 'd') {
			char buf[128] = "";
			struct tm tm;
			if (o->date && localtime_r(&o->date, &tm) &&
			    strftime(buf, sizeof(buf), datefmt && *datefmt ? datefmt : "%Y-%m-%d %H:%M", &tm))
				strbuf_adds(b, buf);
			else
				strbuf_adds(b, o->date_text ? o->date_text : "an unknown date");
		} else {
			strbuf_addc(b, *p); /* "%%" and unknown escapes print the character */
		}
	}
}

/* The original text with each line behind the quote prefix; its
 * signature and trailing blank lines are left out. */
static void quote_body(const char *body, const char *prefix, struct strbuf *b)
{
	char *trimmed_prefix = xstrdup(prefix);
	size_t tl = strlen(trimmed_prefix);
	while (tl && trimmed_prefix[tl - 1] == ' ')
		trimmed_prefix[--tl] = '\0';
	size_t end = strlen(body);
	const char *sig = strstr(body, "\n-- \n");
	if (strncmp(body, "-- \n", 4) == 0)
		end = 0;
	else if (sig)
		end = (size_t)(sig - body) + 1;
	while (end && (body[end - 1] == '\n' || body[end - 1] == ' '))
		end--;
	for (size_t i = 0; i < end;) {
		size_t len = strcspn(body + i, "\n");
		if (i + len > end)
			len = end - i;
		bool bare = len == 0 || body[i] == '>';
		strbuf_adds(b, bare ? trimmed_prefix : prefix);
		strbuf_add(b, body + i, len);
		strbuf_addc(b, '\n');
		i += len + 1;
	}
	free(trimmed_prefix);
}

static void add_signature(struct strbuf *b, const struct compose_identity *id)
{
	if (!id || !id->signature || !*id->signature)
		return;
	const char *s = id->signature;
	if (strncmp(s, "-- \n", 4) == 0)
		s += 4;
	strbuf_adds(b, "\n-- \n");
	strbuf_adds(b, s);
	if (s[strlen(s) - 1] != '\n')
		strbuf_addc(b, '\n');
}

static void forward_body(const struct compose_orig *o, struct strbuf *b)
{
	const struct addr *a = o->from.n ? &o->from.v[0] : NULL;
	char *from = a ? addr_format(a) : xstrdup("unknown sender");
	strbuf_addf(b, "\n----- Forwarded message from %s -----\n\n", from);
	free(from);
	if (o->date_text)
		strbuf_addf(b, "Date: %s\n", o->date_text);
	const struct {
		const char *name;
		const struct addr_list *l;
	} lists[] = { { "From", &o->from }, { "To", &o->to }, { "Cc", &o->cc } };
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		if (!lists[i].l->n)
			continue;
		char *v = addr_list_format(lists[i].l);
		strbuf_addf(b, "%s: %s\n", lists[i].name, v);
		free(v);
	}
	strbuf_addf(b, "Subject: %s\n\n", o->subject ? o->subject : "");
	strbuf_adds(b, o->body);
	if (b->len && b->s[b->len - 1] != '\n')
		strbuf_addc(b, '\n');
	strbuf_adds(b, "\n----- End forwarded message -----\n");
}

/* ---- the kinds ---- */

static void set_threading(compose_t *c, const struct compose_orig *o)
{
	char **ids = NULL;
	size_t n = 0;
	collect_ids(o->message_id, &ids, &n);
	if (n)
		c->in_reply_to = xstrdup(ids[0]);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	char *refs = compose_references_for_reply(o);
	if (*refs)
		c->references = refs;
	else
		free(refs);
}

/* The first To or Cc address that one of the user's `lists` regexes
 * matches (mutt's list-reply without List-Post), or NULL.  New string. */
static char *known_list(const struct compose_orig *o, const char *const *lists)
{
	const struct addr_list *ls[] = { &o->to, &o->cc };
	for (size_t k = 0; lists && lists[k]; k++) {
		regex_t re;
		if (regcomp(&re, lists[k], REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
			continue;
		char *hit = NULL;
		for (size_t l = 0; l < 2 && !hit; l++)
			for (size_t i = 0; i < ls[l]->n && !hit; i++)
				if (regexec(&re, ls[l]->v[i].mailbox, 0, NULL, 0) == 0)
					hit = xstrdup(ls[l]->v[i].mailbox);
		regfree(&re);
		if (hit)
			return hit;
	}
	return NULL;
}

static enum compose_status build_reply(compose_t *c, enum compose_kind kind, const struct compose_orig *o,
				       const struct compose_identity *id, const struct me *me, char **err)
{
	if (kind == COMPOSE_LIST_REPLY) {
		char *list = addr_from_list_post(o->list_post);
		if (!list && !o->list_post)
			list = known_list(o, id->lists);
		if (!list) {
			*err = xstrdup("this message has no List-Post address to reply to");
			return COMPOSE_ERR_NO_LIST;
		}
		addr_list_add(&c->f[CF_TO], NULL, list);
		free(list);
	} else if (o->from.n && is_me(me, o->from.v[0].mailbox)) {
		addr_list_copy(&c->f[CF_TO], &o->to); /* replying to my own mail: to its recipients */
	} else {
		addr_list_copy(&c->f[CF_TO], o->reply_to.n ? &o->reply_to : &o->from);
	}
	if (kind == COMPOSE_GROUP_REPLY) {
		addr_list_merge(&c->f[CF_CC], &o->to);
		addr_list_merge(&c->f[CF_CC], &o->cc);
		addr_list_remove(&c->f[CF_CC], &c->f[CF_TO]);
		drop_me(&c->f[CF_CC], me);
	}
	if (kind == COMPOSE_GROUP_REPLY) {
		/* my own address in To only if nobody else is left */
		struct addr_list others;
		addr_list_init(&others);
		addr_list_copy(&others, &c->f[CF_TO]);
		drop_me(&others, me);
		if (others.n) {
			addr_list_clear(&c->f[CF_TO]);
			c->f[CF_TO] = others;
		} else {
			addr_list_clear(&others);
		}
	}
	c->subject = compose_reply_subject(o->subject);
	set_threading(c, o);
	struct strbuf b;
	strbuf_init(&b);
	expand_attribution(id && id->attribution ? id->attribution : "On %d, %n wrote:", o,
			   id ? id->date_format : NULL, &b);
	char *attr = encode_header_clean(b.s ? b.s : "");
	strbuf_reset(&b);
	strbuf_addf(&b, "%s\n", attr);
	free(attr);
	quote_body(o->body, id && id->quote_prefix ? id->quote_prefix : "> ", &b);
	strbuf_addc(&b, '\n');
	add_signature(&b, id);
	c->body = strbuf_detach(&b);
	return COMPOSE_OK;
}

static void build_forward(compose_t *c, enum compose_kind kind, const struct compose_orig *o,
			  const struct compose_identity *id)
{
	c->subject = compose_forward_subject(o->subject);
	struct strbuf b;
	strbuf_init(&b);
	if (kind == COMPOSE_FORWARD)
		forward_body(o, &b);
	else
		compose_attach_data(c, "forwarded-message.eml", "message/rfc822", o->raw ? o->raw : "",
				    o->raw ? o->raw_len : 0);
	add_signature(&b, id);
	c->body = strbuf_detach(&b);
}

static void build_copy(compose_t *c, enum compose_kind kind, const struct compose_orig *o,
		       const struct compose_identity *id)
{
	addr_list_copy(&c->f[CF_TO], &o->to);
	addr_list_copy(&c->f[CF_CC], &o->cc);
	c->subject = encode_header_clean(o->subject ? o->subject : "");
	c->body = xstrdup(o->body);
	if (kind == COMPOSE_RECALL) {
		addr_list_copy(&c->f[CF_BCC], &o->bcc);
		addr_list_copy(&c->f[CF_REPLY_TO], &o->reply_to);
		if (o->in_reply_to && compose_msgid_valid(o->in_reply_to, strlen(o->in_reply_to)))
			c->in_reply_to = xstrdup(o->in_reply_to);
		char *refs = NULL;
		struct compose_orig tmp = { .references = o->references };
		if (o->references)
			refs = compose_references_for_reply(&tmp);
		if (refs && *refs)
			c->references = refs;
		else
			free(refs);
		/* a draft keeps its own From when it is one of mine */
		if (o->from.n)
			addr_list_copy(&c->f[CF_FROM], &o->from);
	}
	for (size_t i = 0; i < o->natt; i++)
		compose_attach_data(c, o->att[i].name, o->att[i].type, o->att[i].data, o->att[i].len);
	(void)id;
}

/* mutt's my_hdr lines (checked by the rc; one the message writes
 * itself is left out). */
static void add_my_hdr(compose_t *c, const struct compose_identity *id)
{
	for (const char *const *h = id ? id->my_hdr : NULL; h && *h; h++) {
		char *err = NULL;
		compose_add_header(c, *h, &err);
		free(err);
	}
}

static char *host_of(const struct addr_list *from, const struct compose_identity *id)
{
	if (id && id->hostname && *id->hostname)
		return xstrdup(id->hostname);
	const char *at = from->n ? strrchr(from->v[0].mailbox, '@') : NULL;
	return xstrdup(at ? at + 1 : "");
}

enum compose_status compose_build(enum compose_kind kind, const struct compose_orig *orig,
				  const struct compose_identity *id, compose_t **out, char **err)
{
	*out = NULL;
	*err = NULL;
	if (kind != COMPOSE_NEW && !orig) {
		*err = xstrdup("no message selected");
		return COMPOSE_ERR_INPUT;
	}
	compose_t *c = compose_new(kind);
	struct me me;
	me_init(&me, id);
	choose_from(c, &me, kind == COMPOSE_NEW ? NULL : orig);
	free(c->subject);
	free(c->body);
	c->subject = NULL;
	c->body = NULL;
	enum compose_status st = COMPOSE_OK;
	switch (kind) {
	case COMPOSE_REPLY:
	case COMPOSE_GROUP_REPLY:
	case COMPOSE_LIST_REPLY:
		st = build_reply(c, kind, orig, id, &me, err);
		free(c->orig_path);
		c->orig_path = orig->path ? xstrdup(orig->path) : NULL;
		break;
	case COMPOSE_FORWARD:
	case COMPOSE_FORWARD_ATTACH:
		build_forward(c, kind, orig, id);
		break;
	case COMPOSE_BOUNCE:
		c->bounce_raw = xmalloc(orig->raw_len + 1);
		memcpy(c->bounce_raw, orig->raw ? orig->raw : "", orig->raw_len);
		c->bounce_raw[orig->raw_len] = '\0';
		c->bounce_len = orig->raw_len;
		break;
	case COMPOSE_EDIT_AS_NEW:
	case COMPOSE_RECALL:
		build_copy(c, kind, orig, id);
		break;
	case COMPOSE_NEW: {
		struct strbuf b;
		strbuf_init(&b);
		strbuf_addc(&b, '\n');
		add_signature(&b, id);
		c->body = strbuf_detach(&b);
		break;
	}
	}
	if (!c->subject)
		c->subject = xstrdup("");
	if (!c->body)
		c->body = xstrdup("");
	if (kind != COMPOSE_BOUNCE && kind != COMPOSE_RECALL && kind != COMPOSE_EDIT_AS_NEW)
		add_my_hdr(c, id);
	char *host = host_of(&c->f[CF_FROM], id);
	free(c->message_id);
	c->message_id = compose_new_message_id(host);
	free(host);
	me_clear(&me);
	if (st != COMPOSE_OK)
		compose_free(&c);
	*out = c;
	return st;
}
