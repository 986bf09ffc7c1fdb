/* rfc2047.c - see rfc2047.h. */
#include "rfc2047.h"

#include <string.h>

#include <libetpan/libetpan.h>

#include "charset.h"

void rfc2047_unfold(const char *in, size_t len, struct strbuf *out)
{
	for (size_t i = 0; i < len; i++) {
		size_t eol = 0;
		if (in[i] == '\n')
			eol = 1;
		else if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
			eol = 2;
		if (eol && i + eol < len && (in[i + eol] == ' ' || in[i + eol] == '\t')) {
			i += eol - 1;
			continue;
		}
		if (eol && i + eol == len) /* a trailing line end is not part of the value */
			break;
		strbuf_addc(out, in[i]);
	}
}

static bool all_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

/* Position of the last "?=" in s, or len when there is none: an "=?" after
 * it cannot start an encoded word, so libetpan is not asked (it would take
 * the rest of the value as the word's text). */
static size_t last_close(const char *s, size_t len)
{
	for (size_t i = len; i >= 2; i--)
		if (s[i - 2] == '?' && s[i - 1] == '=')
			return i - 2;
	return len;
}

static void add_word(const struct mailmime_encoded_word *w, struct strbuf *out)
{
	const char *text = w->wd_text ? w->wd_text : "";
	struct strbuf tmp;
	strbuf_init(&tmp);
	if (charset_to_utf8(w->wd_charset, text, strlen(text), &tmp) == CHARSET_UNKNOWN) {
		char *label = charset_label_for_display(w->wd_charset);
		strbuf_addf(out, "[unknown charset %s] ", label);
		free(label);
	}
	strbuf_add(out, tmp.s, tmp.len);
	strbuf_free(&tmp);
}

/* Decode one encoded word at s+*pos (which points at "=?"); on success
 * *pos moves past it (and past same-charset words libetpan joined). */
static bool try_word(const char *s, size_t len, size_t *pos, struct strbuf *word)
{
	size_t idx = *pos;
	struct mailmime_encoded_word *w = NULL;
	int has_fwd = 0, missing_quote = 0;
	if (mailmime_encoded_word_parse(s, len, &idx, &w, &has_fwd, &missing_quote) != MAILIMF_NO_ERROR)
		return false;
	add_word(w, word);
	mailmime_encoded_word_free(w);
	*pos = idx;
	return true;
}

/* The encoded words of s (text already in UTF-8) decoded, the rest kept;
 * no UTF-8 is decoded here. */
static void decode_words(const char *s, size_t len, struct strbuf *out)
{
	size_t close = last_close(s, len);
	size_t pos = 0;
	bool after_word = false;
	struct strbuf word;
	strbuf_init(&word);
	while (pos < len) {
		const char *open = memmem(s + pos, len - pos, "=?", 2);
		size_t at = open ? (size_t)(open - s) : len;
		size_t next = at;
		strbuf_reset(&word);
		if (open && at + 2 <= close && try_word(s, len, &next, &word)) {
			/* blanks between two encoded words are not part of the text */
			if (!(after_word && all_blank(s + pos, at - pos)))
				strbuf_add(out, s + pos, at - pos);
			strbuf_add(out, word.s, word.len);
			after_word = true;
			pos = next;
			continue;
		}
		size_t end = open ? at + 2 : len;
		strbuf_add(out, s + pos, end - pos);
		after_word = false;
		pos = end;
	}
	strbuf_free(&word);
}

void rfc2047_decode(const char *in, size_t len, struct strbuf *out)
{
	bool cut = len > RFC2047_MAX_INPUT;
	struct strbuf raw, utf8;
	strbuf_init(&raw);
	strbuf_init(&utf8);
	rfc2047_unfold(in, cut ? RFC2047_MAX_INPUT : len, &raw);
	/* encoded words are ASCII, so converting raw 8-bit text first is safe */
	charset_raw_to_utf8(raw.s ? raw.s : "", raw.len, &utf8);
	decode_words(utf8.s ? utf8.s : "", utf8.len, out);
	if (cut)
		strbuf_adds(out, " [header truncated]");
	strbuf_free(&raw);
	strbuf_free(&utf8);
}
