/* imapcmd - IMAP command lines built token by token (imapcmd.h). */
#include "imapcmd.h"

#include <inttypes.h>
#include <string.h>

static void sep(struct imapcmd *c)
{
	if (c->b.len && c->b.s[c->b.len - 1] != '(')
		strbuf_addc(&c->b, ' ');
}

void imapcmd_init(struct imapcmd *c, const char *verb)
{
	strbuf_init(&c->b);
	c->depth = 0;
	c->bad = false;
	imapcmd_atom(c, verb);
}

static bool atom_char(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && !strchr("(){%*\"\\]", ch);
}

void imapcmd_atom(struct imapcmd *c, const char *atom)
{
	const char *p = atom;
	if (*p == '\\') /* a flag: "\" atom */
		p++;
	if (!*p)
		c->bad = true;
	for (; *p; p++)
		if (!atom_char((unsigned char)*p))
			c->bad = true;
	sep(c);
	strbuf_adds(&c->b, atom);
}

void imapcmd_string(struct imapcmd *c, const char *s)
{
	sep(c);
	strbuf_addc(&c->b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p >= 0x7f)
			c->bad = true; /* needs a literal (CR, LF, 8-bit; other controls kept out too) */
		if (*p == '"' || *p == '\\')
			strbuf_addc(&c->b, '\\');
		strbuf_addc(&c->b, (char)*p);
	}
	strbuf_addc(&c->b, '"');
}

void imapcmd_number(struct imapcmd *c, uint64_t n)
{
	sep(c);
	strbuf_addf(&c->b, "%" PRIu64, n);
}

/* seq-number = nz-number / "*"; seq-range = seq-number ":" seq-number;
 * sequence-set = (seq-number / seq-range) ["," sequence-set] */
static bool valid_set(const char *s)
{
	bool want_number = true;
	for (const char *p = s;; p++) {
		if (want_number) {
			if (*p == '*') {
				want_number = false;
			} else if (*p >= '1' && *p <= '9') {
				while (p[1] >= '0' && p[1] <= '9')
					p++;
				want_number = false;
			} else {
				return false;
			}
		} else if (*p == ':' || *p == ',') {
			want_number = true;
		} else {
			return *p == '\0';
		}
	}
}

void imapcmd_set(struct imapcmd *c, const char *set)
{
	if (!valid_set(set))
		c->bad = true;
	sep(c);
	strbuf_adds(&c->b, set);
}

void imapcmd_open(struct imapcmd *c)
{
	sep(c);
	strbuf_addc(&c->b, '(');
	c->depth++;
}

void imapcmd_close(struct imapcmd *c)
{
	if (c->depth-- <= 0)
		c->bad = true;
	strbuf_addc(&c->b, ')');
}

char *imapcmd_finish(struct imapcmd *c)
{
	char *line = NULL;
	if (!c->bad && c->depth == 0)
		line = strbuf_detach(&c->b);
	strbuf_free(&c->b);
	c->depth = 0;
	c->bad = false;
	return line;
}

char *imapcmd_select_qresync(const char *raw, uint32_t uidvalidity, uint64_t modseq, const char *known_uids)
{
	struct imapcmd c;
	imapcmd_init(&c, "SELECT");
	imapcmd_string(&c, raw);
	imapcmd_open(&c);
	imapcmd_atom(&c, "QRESYNC");
	imapcmd_open(&c);
	imapcmd_number(&c, uidvalidity);
	imapcmd_number(&c, modseq);
	if (known_uids && *known_uids)
		imapcmd_set(&c, known_uids);
	imapcmd_close(&c);
	imapcmd_close(&c);
	return imapcmd_finish(&c);
}

char *imapcmd_list_return(bool special_use, bool status)
{
	struct imapcmd c;
	imapcmd_init(&c, "LIST");
	imapcmd_string(&c, "");
	imapcmd_string(&c, "*");
	imapcmd_atom(&c, "RETURN");
	imapcmd_open(&c);
	if (special_use)
		imapcmd_atom(&c, "SPECIAL-USE");
	if (status) {
		imapcmd_atom(&c, "STATUS");
		imapcmd_open(&c);
		static const char *const items[] = { "MESSAGES", "UIDNEXT", "UIDVALIDITY", "HIGHESTMODSEQ" };
		for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
			imapcmd_atom(&c, items[i]);
		imapcmd_close(&c);
	}
	imapcmd_close(&c);
	return imapcmd_finish(&c);
}

char *imapcmd_status(const char *raw, const char *const *items, size_t n)
{
	struct imapcmd c;
	imapcmd_init(&c, "STATUS");
	imapcmd_string(&c, raw);
	imapcmd_open(&c);
	if (!n)
		c.bad = true; /* RFC 3501: at least one status-att */
	for (size_t i = 0; i < n; i++)
		imapcmd_atom(&c, items[i]);
	imapcmd_close(&c);
	return imapcmd_finish(&c);
}

/* section-spec: atoms and one parenthesised list of atoms ("HEADER",
 * "HEADER.FIELDS (MESSAGE-ID)"), or "". */
static bool valid_section(const char *sec)
{
	int depth = 0;
	for (const char *p = sec; *p; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (*p != ' ' && !atom_char((unsigned char)*p))
			return false;
		if (depth < 0 || depth > 1)
			return false;
	}
	return depth == 0;
}

char *imapcmd_uid_fetch(const char *set, const char *const *atts, size_t n, const char *section)
{
	struct imapcmd c;
	imapcmd_init(&c, "UID");
	imapcmd_atom(&c, "FETCH");
	imapcmd_set(&c, set);
	imapcmd_open(&c);
	for (size_t i = 0; i < n; i++)
		imapcmd_atom(&c, atts[i]);
	if (section) {
		if (!valid_section(section))
			c.bad = true;
		sep(&c);
		strbuf_addf(&c.b, "BODY.PEEK[%s]", section);
	}
	imapcmd_close(&c);
	return imapcmd_finish(&c);
}

char *imapcmd_uid_store(const char *set, bool add, const char *const *flags, size_t n)
{
	struct imapcmd c;
	imapcmd_init(&c, "UID");
	imapcmd_atom(&c, "STORE");
	imapcmd_set(&c, set);
	imapcmd_atom(&c, add ? "+FLAGS.SILENT" : "-FLAGS.SILENT");
	imapcmd_open(&c);
	for (size_t i = 0; i < n; i++)
		imapcmd_atom(&c, flags[i]);
	imapcmd_close(&c);
	return imapcmd_finish(&c);
}
