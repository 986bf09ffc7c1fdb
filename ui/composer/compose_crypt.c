/* compose_crypt.c - signing and encrypting what the compose screen
 * sends or postpones (doc/crypto.md, "Writing from the reader").
 *
 * The message is rendered as usual (src/compose_render.c: 7bit or
 * quoted-printable text, base64 attachments); its Content-* fields and
 * body become the entity crypto_wrap signs and/or encrypts, and the other
 * header fields stay outside (with Subject "..." when encrypting: the real
 * one goes inside, protected headers).  What is queued in the outbox is
 * then exactly what is sent; a draft is encrypted to my own key only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "autocrypt.h"
#include "compose.h"
#include "composer.h"
#include "conf.h"
#include "log.h"
#include "crypto.h"
#include "prompt.h"
#include "status.h"
#include "uistate.h"
#include "util.h"
#include "verdict.h"

struct recipients {
	char **v; /* owned */
	size_t n;
};
static void recipients_free(struct recipients *r);
static bool recipient_keys(struct ui *u, crypto_t *cx, enum crypto_proto proto, compose_t *c, bool ask,
			   struct recipients *out);

/* Was the message at path sent encrypted (its top part)?  Then so is
 * the answer, as mutt's crypt_replyencrypt does. */
static bool top_encrypted(const mime_msg_t *m, enum crypto_proto *proto)
{
	const char *t = mime_part_type(mime_msg_root(m));
	bool pgp = strcmp(t, "multipart/encrypted") == 0;
	bool smime = strcmp(t, "application/pkcs7-mime") == 0 || strcmp(t, "application/x-pkcs7-mime") == 0;
	if (pgp || smime)
		*proto = pgp ? CRYPTO_OPENPGP : CRYPTO_SMIME;
	return pgp || smime;
}

static bool orig_encrypted(const char *path, enum crypto_proto *proto)
{
	mime_msg_t *m = NULL;
	if (!path || mime_msg_parse_file(path, &m) != MIME_OK)
		return false;
	bool r = top_encrypted(m, proto);
	mime_msg_free(&m);
	return r;
}

/* The message o came encrypted: decrypt it (in memory, GnuPG asking for
 * the passphrase as the pager does) and use what was inside.  false with
 * the reason on the message line when it could not be decrypted. */
bool compose_crypt_orig(struct ui *u, struct compose_orig *o, bool attachments)
{
	mime_msg_t *m = NULL;
	if (!o->raw || mime_msg_parse(o->raw, o->raw_len, &m) != MIME_OK)
		return true;
	enum crypto_proto proto;
	bool enc = top_encrypted(m, &proto), ok = !enc;
	struct crypto_report *r = enc ? verdict_process(u, m, true, "Not decrypted") : NULL;
	for (size_t i = 0; r && i < r->n && !ok; i++) {
		const struct crypto_result *x = &r->v[i];
		if (x->decrypted && (x->integrity || proto == CRYPTO_SMIME) && x->inner && strcmp(x->path, "1") == 0) {
			compose_orig_use_decrypted(o, x->inner, attachments);
			ok = true;
		}
	}
	if (enc && r && !ok)
		status_error(u, "Not decrypted: %s", r->n && r->v[0].error ? r->v[0].error : "no usable key");
	crypto_report_free(&r);
	mime_msg_free(&m);
	return ok;
}

void compose_crypt_init(struct ui *u, struct compose_crypt *cc, const char *orig_path)
{
	*cc = (struct compose_crypt){
		.sign = conf_bool(u->conf, u->account, OPT_ID_crypt_autosign),
		.proto = strcmp(conf_str(u->conf, u->account, OPT_ID_crypt_protocol), "smime") == 0 ? CRYPTO_SMIME
												    : CRYPTO_OPENPGP,
	};
	cc->encrypt = orig_encrypted(orig_path, &cc->proto);
}

void compose_crypt_clear(struct compose_crypt *cc)
{
	xfree(&cc->seen);
}

/* ---- what the recipients allow (opportunistic encryption, Autocrypt) ---- */

static bool autocrypt_enabled(struct ui *u, enum crypto_proto proto)
{
	return proto == CRYPTO_OPENPGP && u->account >= 0 && conf_bool(u->conf, u->account, OPT_ID_autocrypt);
}

/* data_dir/autocrypt/<account>.  New string. */
static char *autocrypt_home(struct ui *u)
{
	char *data = conf_data_dir(u->conf);
	char *dir = autocrypt_dir(data, conf_account_name(u->conf, (size_t)u->account));
	free(data);
	return dir;
}

struct judgement {
	bool keys_ok; /* every recipient has a usable key in the user's keyring */
	int rec;      /* enum autocrypt_rec, -1: autocrypt off */
};

/* Look at the envelope recipients of c (no question asked). */
static struct judgement judge(struct ui *u, enum crypto_proto proto, compose_t *c, crypto_t *cx)
{
	struct judgement j = { .rec = -1 };
	char *sender = NULL, **rcpts = NULL, *err = NULL;
	bool any = compose_envelope(c, &sender, &rcpts, &err) == COMPOSE_OK && rcpts && rcpts[0];
	struct recipients r = { 0 };
	j.keys_ok = any && cx && recipient_keys(u, cx, proto, c, false, &r);
	recipients_free(&r);
	if (any && autocrypt_enabled(u, proto)) {
		char *dir = autocrypt_home(u);
		autocrypt_peers_t *t = autocrypt_peers_load(dir);
		j.rec = (int)autocrypt_peers_recommend(t, (const char *const *)rcpts,
						       conf_bool(u->conf, u->account, OPT_ID_autocrypt_prefer_encrypt));
		autocrypt_peers_free(&t);
		free(dir);
	} else if (autocrypt_enabled(u, proto)) {
		j.rec = AUTOCRYPT_DISABLE;
	}
	free(sender);
	free(err);
	compose_strv_free(&rcpts);
	return j;
}

/* Not chosen with pgp-menu: encrypt anyway?  Autocrypt says encrypt
 * (both sides mutual), or crypt_opportunistic_encrypt and a key for
 * everyone (in the user's keyring, or learnt by Autocrypt). */
static bool auto_encrypt(struct ui *u, const struct compose_crypt *cc, const struct judgement *j)
{
	if (cc->chosen || cc->encrypt)
		return false;
	bool opp = conf_bool(u->conf, u->account, OPT_ID_crypt_opportunistic_encrypt);
	return j->rec == AUTOCRYPT_ENCRYPT || (opp && (j->keys_ok || j->rec >= AUTOCRYPT_AVAILABLE));
}

/* The recipients as the cache key of the compose screen's line. */
static char *recipients_key(compose_t *c, enum crypto_proto proto)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addf(&b, "%d", (int)proto);
	for (enum compose_field f = CF_TO; f <= CF_BCC; f++) {
		char *t = compose_addrs_text(c, f);
		strbuf_addf(&b, "\n%s", t ? t : "");
		free(t);
	}
	return strbuf_detach(&b);
}

char *compose_crypt_describe(struct ui *u, struct compose_crypt *cc, compose_t *c)
{
	char *key = recipients_key(c, cc->proto);
	if (!cc->seen || strcmp(cc->seen, key) != 0) {
		struct verdict_ask ask;
		bool opp = conf_bool(u->conf, u->account, OPT_ID_crypt_opportunistic_encrypt);
		crypto_t *cx = opp ? verdict_crypto(u, "Keys not looked up", &ask) : NULL;
		struct judgement j = judge(u, cc->proto, c, cx);
		crypto_free(&cx);
		cc->keys_ok = j.keys_ok;
		cc->autocrypt = j.rec;
		free(cc->seen);
		cc->seen = key;
	} else {
		free(key);
	}
	struct judgement j = { .keys_ok = cc->keys_ok, .rec = cc->autocrypt };
	bool opp = !cc->chosen && !cc->encrypt && conf_bool(u->conf, u->account, OPT_ID_crypt_opportunistic_encrypt);
	bool autoenc = auto_encrypt(u, cc, &j), encrypt = cc->encrypt || autoenc;
	const char *proto = cc->proto == CRYPTO_SMIME ? "S/MIME" : "PGP/MIME";
	const char *what = cc->sign && encrypt ? "sign + encrypt"
			   : encrypt            ? "encrypt"
			   : cc->sign           ? "sign"
						: "none";
	const char *why = autoenc && j.rec == AUTOCRYPT_ENCRYPT ? ", as Autocrypt recommends"
			  : autoenc && j.keys_ok               ? ": every recipient has a valid key"
			  : autoenc                            ? ": every recipient has an Autocrypt key"
			  : opp                                ? "; encrypted if every recipient has a valid key"
							       : "";
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addf(&b, "%s (%s)%s", what, proto, why);
	if (j.rec >= 0)
		strbuf_addf(&b, "; Autocrypt: %s", autocrypt_rec_name((enum autocrypt_rec)j.rec));
	return strbuf_detach(&b);
}

void compose_crypt_menu(struct ui *u, struct compose_crypt *cc)
{
	static const char *const lines[] = {
		"e  encrypt",        "s  sign",          "b  sign and encrypt",
		"p  use PGP/MIME",   "m  use S/MIME",    "c  none: neither sign nor encrypt",
	};
	int k = prompt_choice(u, lines, ARRAY_SIZE(lines), "Security: (e)ncrypt, (s)ign, (b)oth, (p)gp, s/(m)ime, (c)lear? ",
			      "esbpmc", 0);
	switch (k) {
	case 'e': cc->encrypt = true; cc->sign = false; break;
	case 's': cc->sign = true; cc->encrypt = false; break;
	case 'b': cc->sign = cc->encrypt = true; break;
	case 'p': cc->proto = CRYPTO_OPENPGP; break;
	case 'm': cc->proto = CRYPTO_SMIME; break;
	case 'c': cc->sign = cc->encrypt = false; break;
	default: return;
	}
	cc->chosen = true;
}

/* ---- keys ---- */

/* The one key of sel, or the user's choice among several; NULL (reason on
 * the message line) when there is none or the user cancelled.  New string. */
static char *key_of(struct ui *u, struct crypto_keysel *sel, const char *address, bool ask, const char *what)
{
	if (sel->status == CRYPTO_KEY_OK)
		return xstrdup(sel->fpr);
	if (sel->status != CRYPTO_KEY_AMBIGUOUS) {
		status_error(u, "%s: %s.", what, sel->reason ? sel->reason : address);
		return NULL;
	}
	if (!ask)
		return NULL;
	size_t n = sel->n < 9 ? sel->n : 9;
	char **lines = xcalloc(n, sizeof(char *));
	char keys[10] = "";
	for (size_t i = 0; i < n; i++) {
		lines[i] = xasprintf("%zu  %s  %s", i + 1, sel->fprs[i], sel->uids[i]);
		keys[i] = (char)('1' + i);
	}
	char *q = xasprintf("Several keys for %s: which one (1-%zu)? ", address, n);
	int k = prompt_choice(u, (const char *const *)lines, n, q, keys, 0);
	free(q);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	if (k < '1' || k > (int)('0' + n)) {
		status_error(u, "%s: no key chosen for %s.", what, address);
		return NULL;
	}
	return xstrdup(sel->fprs[k - '1']);
}

static char *key_for(struct ui *u, crypto_t *cx, enum crypto_proto proto, const char *address, bool encrypt,
		     bool ask, const char *what)
{
	struct crypto_keysel sel = { 0 };
	crypto_key_for(cx, proto, address, encrypt, &sel);
	char *k = ask || sel.status == CRYPTO_KEY_OK ? key_of(u, &sel, address, ask, what) : NULL;
	crypto_keysel_clear(&sel);
	return k;
}

/* My key: pgp_sign_as / smime_sign_as, else the one of From:. */
static char *my_key(struct ui *u, crypto_t *cx, enum crypto_proto proto, compose_t *c, const char *what)
{
	const char *as = conf_str(u->conf, u->account, proto == CRYPTO_SMIME ? OPT_ID_smime_sign_as : OPT_ID_pgp_sign_as);
	if (as && *as)
		return xstrdup(as);
	const struct addr_list *from = compose_addrs(c, CF_FROM);
	if (!from->n) {
		status_error(u, "%s: no From: address to find my key by.", what);
		return NULL;
	}
	return key_for(u, cx, proto, from->v[0].mailbox, false, true, what);
}

static void recipients_free(struct recipients *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

/* A key for every envelope recipient; ask: choose among several and say
 * what is missing (else, the opportunistic check, silently false). */
static bool recipient_keys(struct ui *u, crypto_t *cx, enum crypto_proto proto, compose_t *c, bool ask,
			   struct recipients *out)
{
	char *sender = NULL, **rcpts = NULL, *err = NULL;
	if (compose_envelope(c, &sender, &rcpts, &err) != COMPOSE_OK) {
		if (ask)
			status_error(u, "%s", err ? err : "No recipients.");
		free(err);
		return false;
	}
	bool ok = true;
	for (size_t i = 0; ok && rcpts[i]; i++) {
		char *k = key_for(u, cx, proto, rcpts[i], true, ask, "Not sent");
		ok = k != NULL;
		if (ok) {
			out->v = xreallocarray(out->v, out->n + 1, sizeof(char *));
			out->v[out->n++] = k;
		}
	}
	free(sender);
	compose_strv_free(&rcpts);
	if (!ok)
		recipients_free(out);
	return ok;
}

/* ---- the message around the wrapped entity ---- */

static bool is_field(const char *line, const char *name)
{
	size_t n = strlen(name);
	return strncasecmp(line, name, n) == 0;
}

/* Split a rendered message (CRLF) into the fields that stay outside and
 * the entity (Content-* fields, empty line, body).  false when it has no
 * header/body boundary. */
static bool split_message(const char *msg, size_t len, bool hide_subject, struct strbuf *outer, struct strbuf *entity)
{
	const char *end = memmem(msg, len, "\r\n\r\n", 4);
	if (!end)
		return false;
	const char *p = msg, *hend = end + 2;
	while (p < hend) {
		const char *q = p; /* one field with its continuation lines */
		do {
			const char *nl = memmem(q, (size_t)(hend - q), "\r\n", 2);
			q = nl ? nl + 2 : hend;
		} while (q < hend && (*q == ' ' || *q == '\t'));
		if (is_field(p, "Content-"))
			strbuf_add(entity, p, (size_t)(q - p));
		else if (hide_subject && is_field(p, "Subject:"))
			strbuf_addf(outer, "Subject: %s\r\n", CRYPTO_HIDDEN_SUBJECT);
		else
			strbuf_add(outer, p, (size_t)(q - p));
		p = q;
	}
	strbuf_add(entity, end + 2, len - (size_t)(end + 2 - msg));
	return true;
}

/* Wrap one rendered message in place. */
static bool wrap_one(struct ui *u, crypto_t *cx, const struct crypto_write *w, char **msg, size_t *len)
{
	struct strbuf outer, entity;
	strbuf_init(&outer);
	strbuf_init(&entity);
	char *out = NULL, *err = NULL;
	size_t out_len = 0;
	bool ok = split_message(*msg, *len, w->encrypt, &outer, &entity);
	if (!ok)
		status_error(u, "Not sent: the message has no header block.");
	else if ((ok = crypto_wrap(cx, w, entity.s, entity.len, &out, &out_len, &err) == 0) == false)
		status_error(u, "Not sent: %s.", err ? err : "GnuPG failed");
	if (ok) {
		strbuf_add(&outer, out, out_len);
		explicit_bzero(*msg, *len);
		free(*msg);
		*len = outer.len;
		*msg = strbuf_detach(&outer);
	}
	if (entity.s)
		explicit_bzero(entity.s, entity.len);
	strbuf_free(&entity);
	strbuf_free(&outer);
	free(out);
	free(err);
	return ok;
}

/* Insert the header field line (CRLF-terminated) at the end of the
 * header block of the rendered message *msg. */
static void add_field(char **msg, size_t *len, const char *field)
{
	const char *end = *msg ? memmem(*msg, *len, "\r\n\r\n", 4) : NULL;
	if (!end)
		return;
	size_t at = (size_t)(end - *msg) + 2, n = strlen(field);
	char *m = xmalloc(*len + n + 1);
	memcpy(m, *msg, at);
	memcpy(m + at, field, n);
	memcpy(m + at + n, *msg + at, *len - at);
	m[*len + n] = '\0';
	free(*msg);
	*msg = m;
	*len += n;
}

/* My OpenPGP key for Autocrypt (pgp_sign_as, else the one key of From:),
 * exported as keydata; NULL (and nothing said) when there is none. */
static char *my_keydata(struct ui *u, crypto_t *cx, compose_t *c, char **fpr)
{
	const char *as = conf_str(u->conf, u->account, OPT_ID_pgp_sign_as);
	const struct addr_list *from = compose_addrs(c, CF_FROM);
	char *key = as && *as ? xstrdup(as)
		    : from->n ? key_for(u, cx, CRYPTO_OPENPGP, from->v[0].mailbox, false, false, "Autocrypt")
			      : NULL;
	char *kd = NULL, *err = NULL;
	*fpr = NULL;
	if (key && crypto_export_keydata(cx, key, &kd, fpr, &err) != 0)
		log_warn("autocrypt: no header sent: %s", err ? err : "?");
	free(err);
	free(key);
	return kd;
}

/* autocrypt: our Autocrypt: header on what is sent (both copies). */
static void autocrypt_header(struct ui *u, crypto_t *cx, compose_t *c, char **msg, size_t *len, char **copy,
			     size_t *clen)
{
	const struct addr_list *from = compose_addrs(c, CF_FROM);
	char *fpr = NULL, *kd = from->n ? my_keydata(u, cx, c, &fpr) : NULL;
	free(fpr);
	if (!kd)
		return;
	char *v = autocrypt_header_make(from->v[0].mailbox,
					conf_bool(u->conf, u->account, OPT_ID_autocrypt_prefer_encrypt), kd);
	char *field = xasprintf("Autocrypt: %s\r\n", v);
	add_field(msg, len, field);
	if (copy && *copy)
		add_field(copy, clen, field);
	free(field);
	free(v);
	free(kd);
}

/* The Autocrypt keyring of the account; NULL with the reason shown. */
static crypto_t *autocrypt_crypto(struct ui *u, const char *what)
{
	char *dir = autocrypt_home(u), *home = autocrypt_gnupg_home(dir), *err = NULL;
	crypto_t *ax = util_mkdirs(home, 0700) == 0 ? crypto_new(&(struct crypto_opts){ .gnupg_home = home }, &err)
						    : NULL;
	if (!ax)
		status_error(u, "%s: the Autocrypt keyring %s: %s", what, home, err ? err : strerror(errno));
	free(err);
	free(home);
	free(dir);
	return ax;
}

/* Every recipient's key from the Autocrypt peer table (fingerprints in
 * its keyring); false with the recipient named when one has none. */
static bool autocrypt_keys(struct ui *u, compose_t *c, struct recipients *out, const char *what)
{
	char *sender = NULL, **rcpts = NULL, *err = NULL, *dir = autocrypt_home(u);
	autocrypt_peers_t *t = autocrypt_peers_load(dir);
	bool ok = compose_envelope(c, &sender, &rcpts, &err) == COMPOSE_OK;
	for (size_t i = 0; ok && rcpts[i]; i++) {
		const char *fpr = NULL;
		ok = autocrypt_peers_find(t, rcpts[i], &fpr) && fpr;
		if (!ok)
			status_error(u, "%s: no Autocrypt key for %s.", what, rcpts[i]);
		else {
			out->v = xreallocarray(out->v, out->n + 1, sizeof(char *));
			out->v[out->n++] = xstrdup(fpr);
		}
	}
	autocrypt_peers_free(&t);
	free(dir);
	free(sender);
	free(err);
	compose_strv_free(&rcpts);
	if (!ok)
		recipients_free(out);
	return ok;
}

/* Encrypt with the peers' Autocrypt keys: signed first with my key in my
 * keyring (a multipart/signed entity), then encrypted in the Autocrypt
 * keyring to them and to my key imported there. */
static bool autocrypt_wrap(struct ui *u, crypto_t *cx, compose_t *c, bool sign,
			   const char *me, const char *me_fpr, char **msg, size_t *len, char **copy, size_t *clen)
{
	const char *what = "Not sent";
	struct recipients r = { 0 };
	crypto_t *ax = autocrypt_keys(u, c, &r, what) ? autocrypt_crypto(u, what) : NULL;
	bool ok = ax != NULL;
	bool self = ok && me_fpr && conf_bool(u->conf, u->account, OPT_ID_crypt_self_encrypt);
	struct crypto_write sw = { .proto = CRYPTO_OPENPGP, .sign = true, .signer = me };
	struct crypto_write ew = {
		.proto = CRYPTO_OPENPGP,
		.encrypt = true,
		.recipients = (const char *const *)r.v,
		.nrecipients = r.n,
		.self = self ? me_fpr : NULL,
		.subject = compose_subject(c),
	};
	if (ok && sign) {
		bool left = verdict_screen_leave(u, true);
		ok = wrap_one(u, cx, &sw, msg, len) && (!copy || !*copy || wrap_one(u, cx, &sw, copy, clen));
		verdict_screen_back(left);
	}
	ok = ok && wrap_one(u, ax, &ew, msg, len) && (!copy || !*copy || wrap_one(u, ax, &ew, copy, clen));
	crypto_free(&ax);
	recipients_free(&r);
	return ok;
}

/* My own key into the Autocrypt keyring (for self-encryption); its
 * fingerprint there is the same. */
static void autocrypt_import_me(struct ui *u, crypto_t *cx, compose_t *c, char **me_fpr)
{
	crypto_t *ax = autocrypt_crypto(u, "Not sent");
	char *kd = ax ? my_keydata(u, cx, c, me_fpr) : NULL, *fpr = NULL, *err = NULL;
	if (kd && crypto_import_keydata(ax, kd, &fpr, &err) != 0)
		xfree(me_fpr);
	free(fpr);
	free(err);
	free(kd);
	crypto_free(&ax);
}

bool compose_crypt_apply(struct ui *u, const struct compose_crypt *cc, compose_t *c, bool draft, char **msg,
			 size_t *len, char **copy, size_t *clen)
{
	const char *what = draft ? "Not postponed" : "Not sent";
	bool ac = !draft && autocrypt_enabled(u, CRYPTO_OPENPGP);
	bool opp = !draft && !cc->chosen && !cc->encrypt &&
		   (conf_bool(u->conf, u->account, OPT_ID_crypt_opportunistic_encrypt) || ac);
	bool sign = cc->sign && !draft, encrypt = cc->encrypt;
	if (!sign && !encrypt && !opp && !ac)
		return true;
	struct verdict_ask ask;
	crypto_t *cx = verdict_crypto(u, what, &ask);
	if (!cx)
		return false;
	/* only signing: the recipients' keys do not matter */
	struct judgement j = draft || !(encrypt || opp) ? (struct judgement){ .rec = -1 } : judge(u, cc->proto, c, cx);
	encrypt = encrypt || auto_encrypt(u, cc, &j);
	/* the peers' Autocrypt keys when the user's keyring lacks one */
	bool via_ac = encrypt && !draft && !j.keys_ok && j.rec >= AUTOCRYPT_DISCOURAGE && cc->proto == CRYPTO_OPENPGP;
	char *me_fpr = NULL;
	if (ac)
		autocrypt_header(u, cx, c, msg, len, copy, clen);
	struct recipients r = { 0 };
	char *me = NULL;
	bool ok = true;
	if (encrypt && !draft && !via_ac)
		ok = recipient_keys(u, cx, cc->proto, c, true, &r);
	bool self = encrypt && (draft || conf_bool(u->conf, u->account, OPT_ID_crypt_self_encrypt));
	if (ok && (sign || (self && !via_ac)))
		ok = (me = my_key(u, cx, cc->proto, c, what)) != NULL;
	if (ok && via_ac) {
		if (self)
			autocrypt_import_me(u, cx, c, &me_fpr);
		ok = autocrypt_wrap(u, cx, c, sign, me, me_fpr, msg, len, copy, clen);
	} else if (ok && (sign || encrypt)) {
		struct crypto_write w = {
			.proto = cc->proto,
			.sign = sign,
			.encrypt = encrypt,
			.signer = me,
			.recipients = (const char *const *)r.v,
			.nrecipients = r.n,
			.self = self ? me : NULL,
			.subject = encrypt ? compose_subject(c) : NULL,
		};
		bool left = verdict_screen_leave(u, sign);
		ok = wrap_one(u, cx, &w, msg, len) && (!copy || !*copy || wrap_one(u, cx, &w, copy, clen));
		verdict_screen_back(left);
	}
	free(me_fpr);
	free(me);
	recipients_free(&r);
	crypto_free(&cx);
	return ok;
}

/* pgp-attach-key: my OpenPGP public key (pgp_sign_as, else the key of
 * From:) as an application/pgp-keys attachment, as crypto_key_part makes
 * it: its armored body, under its file name. */
bool compose_crypt_attach_key(struct ui *u, compose_t *c)
{
	const char *what = "No key attached";
	struct verdict_ask ask;
	crypto_t *cx = verdict_crypto(u, what, &ask);
	if (!cx)
		return false;
	char *me = my_key(u, cx, CRYPTO_OPENPGP, c, what), *part = NULL, *err = NULL;
	size_t len = 0;
	bool ok = me && crypto_key_part(cx, me, &part, &len, &err) == 0;
	if (me && !ok)
		status_error(u, "%s: %s.", what, err ? err : "GnuPG failed");
	const char *body = ok ? strstr(part, "\r\n\r\n") : NULL;
	const char *fn = ok ? strstr(part, "filename=\"") : NULL;
	if (body && fn) {
		fn += strlen("filename=\"");
		char *name = xstrndup(fn, strcspn(fn, "\""));
		body += 4;
		compose_attach_data(c, name, "application/pgp-keys", body, len - (size_t)(body - part));
		status_message(u, "Attached the public key %s.", name);
		free(name);
	}
	free(part);
	free(err);
	free(me);
	crypto_free(&cx);
	return body && fn;
}
