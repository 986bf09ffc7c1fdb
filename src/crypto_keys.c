/* crypto_keys.c - choosing keys by address for encrypting and signing,
 * and my public key as an attachment. */
#include <string.h>
#include <strings.h>

#include "crypto_private.h"
#include "encode.h"
#include "util.h"

/* Why key (with the user id that matched, or NULL) cannot be used, or NULL. */
const char *crypto_key_unusable(gpgme_key_t key, gpgme_user_id_t uid, bool encrypt)
{
	if (key->revoked || (uid && uid->revoked))
		return "revoked";
	if (key->expired)
		return "expired";
	if (key->disabled)
		return "disabled";
	if (key->invalid || (uid && uid->invalid))
		return "invalid";
	if (encrypt ? !key->can_encrypt : !key->can_sign)
		return encrypt ? "not usable for encryption" : "not usable for signing";
	if (encrypt && uid && uid->validity < GPGME_VALIDITY_MARGINAL)
		return "not certified as belonging to this address (validity unknown)";
	return NULL;
}

static void keysel_add(struct crypto_keysel *out, gpgme_key_t key, gpgme_user_id_t uid)
{
	out->fprs = xreallocarray(out->fprs, out->n + 1, sizeof(*out->fprs));
	out->uids = xreallocarray(out->uids, out->n + 1, sizeof(*out->uids));
	out->fprs[out->n] = xstrdup(key->fpr ? key->fpr : "");
	out->uids[out->n] = crypto_clean(uid->uid ? uid->uid : "");
	out->n++;
}

/* List the keys whose user ids have address; the last reason one was refused in *why. */
static void keys_list(gpgme_ctx_t ctx, const char *address, bool encrypt, struct crypto_keysel *out, size_t *seen,
		      const char **why)
{
	char *pattern = xasprintf("<%s>", address);
	gpgme_set_keylist_mode(ctx, GPGME_KEYLIST_MODE_LOCAL | GPGME_KEYLIST_MODE_VALIDATE);
	gpgme_key_t key;
	if (!gpgme_op_keylist_start(ctx, pattern, !encrypt)) {
		while (!gpgme_op_keylist_next(ctx, &key)) {
			gpgme_user_id_t uid = crypto_uid_for(key, address, true);
			const char *r = uid ? crypto_key_unusable(key, uid, encrypt) : NULL;
			*seen += uid != NULL;
			if (uid && !r)
				keysel_add(out, key, uid);
			*why = r ? r : *why;
			gpgme_key_unref(key);
		}
	}
	gpgme_op_keylist_end(ctx);
	free(pattern);
}

void crypto_key_for(crypto_t *c, enum crypto_proto proto, const char *address, bool encrypt,
		    struct crypto_keysel *out)
{
	memset(out, 0, sizeof(*out));
	char *err = NULL, *clean = crypto_clean(address ? address : "");
	gpgme_ctx_t ctx = crypto_ctx(c, proto, &err);
	size_t seen = 0;
	const char *why = NULL;
	if (ctx && *clean)
		keys_list(ctx, clean, encrypt, out, &seen, &why);
	gpgme_release(ctx);
	if (out->n) {
		out->status = out->n == 1 ? CRYPTO_KEY_OK : CRYPTO_KEY_AMBIGUOUS;
		out->fpr = out->n == 1 ? xstrdup(out->fprs[0]) : NULL;
	} else if (seen) {
		out->status = CRYPTO_KEY_UNUSABLE;
		out->reason = xasprintf("the key for %s is %s", clean, why);
	} else {
		out->status = CRYPTO_KEY_MISSING;
		out->reason = err ? xasprintf("no key for %s (%s)", clean, err)
				  : xasprintf("no %s key for %s", encrypt ? "public" : "secret", clean);
	}
	free(err);
	free(clean);
}

void crypto_keysel_clear(struct crypto_keysel *k)
{
	for (size_t i = 0; i < k->n; i++) {
		free(k->fprs[i]);
		free(k->uids[i]);
	}
	free(k->fprs);
	free(k->uids);
	free(k->fpr);
	free(k->reason);
	memset(k, 0, sizeof(*k));
}

/* The minimal export of key (fingerprint or address), armored or binary:
 * a new buffer of *n bytes and *fpr (new string), or NULL and *err. */
static char *key_export(crypto_t *c, const char *key, bool armor, size_t *n, char **fpr, char **err)
{
	*fpr = NULL;
	*err = NULL;
	gpgme_ctx_t ctx = crypto_ctx(c, CRYPTO_OPENPGP, err);
	if (!ctx)
		return NULL;
	gpgme_key_t k = crypto_key_get(ctx, key, false);
	gpgme_data_t d = crypto_data_out();
	gpgme_set_armor(ctx, armor);
	gpgme_error_t e = k ? gpgme_op_export(ctx, k->fpr, GPGME_EXPORT_MODE_MINIMAL, d) : gpg_error(GPG_ERR_NO_PUBKEY);
	char *out = crypto_data_take(d, n);
	if (!e && *n == 0)
		e = gpg_error(GPG_ERR_NO_PUBKEY);
	if (e) {
		char *what = xasprintf("exporting the key %s", key);
		*err = crypto_err(what, e);
		free(what);
		xfree(&out);
	} else {
		*fpr = xstrdup(k->fpr);
	}
	gpgme_key_unref(k);
	gpgme_release(ctx);
	return out;
}

int crypto_key_part(crypto_t *c, const char *key, char **out, size_t *out_len, char **err)
{
	*out = NULL;
	size_t n = 0;
	char *fpr = NULL, *armor = key_export(c, key, true, &n, &fpr, err);
	if (!armor)
		return -1;
	const char *id = strlen(fpr) > 16 ? fpr + strlen(fpr) - 16 : fpr;
	char *canon = crypto_canon_crlf(armor, n, &n);
	*out = xasprintf("Content-Type: application/pgp-keys; name=\"0x%s.asc\"\r\n"
			 "Content-Disposition: attachment; filename=\"0x%s.asc\"\r\n"
			 "Content-Description: OpenPGP public key\r\n\r\n%s",
			 id, id, canon);
	*out_len = strlen(*out);
	free(canon);
	free(armor);
	free(fpr);
	return 0;
}

int crypto_export_keydata(crypto_t *c, const char *key, char **keydata, char **fpr, char **err)
{
	size_t n = 0;
	char *bin = key_export(c, key, false, &n, fpr, err);
	*keydata = bin ? encode_base64_line(bin, n) : NULL;
	free(bin);
	return bin ? 0 : -1;
}

#define B64 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

int crypto_import_keydata(crypto_t *c, const char *keydata, char **fpr, char **err)
{
	*fpr = NULL;
	*err = NULL;
	if (strlen(keydata) > CRYPTO_MAX_INPUT) {
		*err = xstrdup("the key data is too big");
		return -1;
	}
	gpgme_ctx_t ctx = crypto_ctx(c, CRYPTO_OPENPGP, err);
	if (!ctx)
		return -1;
	/* the binary key: keydata is plain base64 (autocrypt.c checked it) */
	struct strbuf a;
	strbuf_init(&a);
	unsigned v = 0;
	int bits = 0;
	for (const char *p = keydata; *p && *p != '='; p++) {
		const char *k = strchr(B64, *p);
		if (!k)
			continue;
		v = (v << 6) | (unsigned)(k - B64);
		if ((bits += 6) >= 8) {
			bits -= 8;
			strbuf_addc(&a, (char)((v >> bits) & 0xff));
		}
	}
	gpgme_data_t d = NULL;
	gpgme_error_t e = gpgme_data_new_from_mem(&d, a.s, a.len, 0);
	if (!e)
		e = gpgme_op_import(ctx, d);
	gpgme_import_result_t r = e ? NULL : gpgme_op_import_result(ctx);
	if (!e && (!r || r->considered != 1 || !r->imports || r->imports->result || !r->imports->fpr))
		e = gpg_error(GPG_ERR_INV_DATA); /* exactly one key */
	if (e)
		*err = crypto_err("importing the Autocrypt key", e);
	else
		*fpr = xstrdup(r->imports->fpr);
	gpgme_data_release(d);
	gpgme_release(ctx);
	strbuf_free(&a);
	return e ? -1 : 0;
}
