#!/bin/bash
# tests/unit/crypto_fixture.sh DIR - a throwaway GnuPG home for test_crypto
# in DIR/gnupg: OpenPGP keys made by gpg, an S/MIME CA and user
# certificate made by certtool and gpgsm.  Writes DIR/keys (NAME=FPR lines).
#   alice    alice@example.org, no passphrase (also the S/MIME user)
#   bob      bob@example.org, passphrase "bob-secret" (loopback pinentry)
#   mallory  mallory@example.org
#   carol    carol@example.org, expired (made and used in 2020)
#   dave     dave@example.org, revoked
#   team1/2  two keys for team@example.org
#   eve      eve@example.org, imported from elsewhere: unknown validity
#   zed      zed@example.org, only in DIR/other (an unknown key here)
# Also DIR/carol.asc, DIR/dave.asc: a clearsigned text by carol and dave
# (made before expiry or revocation).
set -eu
D=$1
export GNUPGHOME=$D/gnupg
mkdir -p "$GNUPGHOME" "$D/other"
chmod 700 "$GNUPGHOME" "$D/other"
printf 'allow-loopback-pinentry\ndefault-cache-ttl 0\nmax-cache-ttl 0\n' > "$GNUPGHOME/gpg-agent.conf"
G="gpg --batch --quiet --no-tty"
fpr() { $G --with-colons --list-keys "$1" | awk -F: '/^fpr/{print $10; exit}'; }
gen() { # uid passphrase [gpg options]
	local uid=$1 pw=$2; shift 2
	$G --pinentry-mode loopback --passphrase "$pw" "$@" --quick-gen-key "$uid" future-default default "${EXPIRE:-never}"
}
gen 'Alice <alice@example.org>' ''
gen 'Bob <bob@example.org>' 'bob-secret'
gen 'Mallory <mallory@example.org>' ''
gen 'Team One <team@example.org>' ''
gen 'Team Two <team@example.org>' ''
gen 'Dave <dave@example.org>' ''
EXPIRE=1d gen 'Carol <carol@example.org>' '' --faked-system-time 20200101T000000
echo "expired text" | $G --faked-system-time 20200101T010000 -u carol@example.org --clearsign > "$D/carol.asc"
echo "revoked text" | $G -u dave@example.org --clearsign > "$D/dave.asc"
{
	echo "alice=$(fpr alice@example.org)"; echo "bob=$(fpr bob@example.org)"
	echo "mallory=$(fpr mallory@example.org)"; echo "carol=$(fpr carol@example.org)"
	echo "dave=$(fpr dave@example.org)"
	$G --with-colons --list-keys team@example.org | awk -F: '/^pub/{n++} /^fpr/&&!seen[n]++{print "team" n "=" $10}'
} > "$D/keys"
rev="$GNUPGHOME/openpgp-revocs.d/$(fpr dave@example.org).rev"
sed 's/^:-----/-----/' "$rev" | $G --import 2>/dev/null
# eve: a key from another home, imported without any certification
GNUPGHOME=$D/other $G --pinentry-mode loopback --passphrase '' --quick-gen-key 'Eve <eve@example.org>' future-default default never
GNUPGHOME=$D/other $G --export eve@example.org | $G --import 2>/dev/null
echo "eve=$(fpr eve@example.org)" >> "$D/keys"
# zed: a key only DIR/other has (signatures by an unknown key)
GNUPGHOME=$D/other $G --pinentry-mode loopback --passphrase '' --quick-gen-key 'Zed <zed@example.org>' future-default default never

# S/MIME: a CA made by certtool, alice's key made by gpgsm, her certificate signed by the CA
cat > "$D/ca.tmpl" <<'T'
cn = "Muttlike Test CA"
ca
cert_signing_key
crl_signing_key
expiration_days = 3650
T
cat > "$D/user.tmpl" <<'T'
cn = "Alice"
email = "alice@example.org"
signing_key
encryption_key
email_protection_key
expiration_days = 3650
T
printf 'Key-Type: RSA\nKey-Length: 2048\nKey-Usage: sign, encrypt\nName-DN: CN=Alice,O=Example\nName-Email: alice@example.org\n' > "$D/req.parm"
certtool --generate-privkey --key-type rsa --bits 2048 --outfile "$D/ca.key" 2>/dev/null
certtool --generate-self-signed --load-privkey "$D/ca.key" --template "$D/ca.tmpl" --outfile "$D/ca.pem" >/dev/null 2>&1
echo "" | gpgsm --batch --armor --pinentry-mode loopback --passphrase-fd 0 --gen-key "$D/req.parm" > "$D/req.pem" 2>/dev/null
certtool --generate-certificate --load-request "$D/req.pem" --load-ca-certificate "$D/ca.pem" \
	--load-ca-privkey "$D/ca.key" --template "$D/user.tmpl" --outfile "$D/user.pem" >/dev/null 2>&1
gpgsm --batch --import "$D/ca.pem" "$D/user.pem" 2>/dev/null
cafpr=$(gpgsm --with-colons --list-keys 'Muttlike Test CA' 2>/dev/null | awk -F: '/^fpr/{print $10; exit}')
echo "$cafpr S relax" > "$GNUPGHOME/trustlist.txt"
printf 'disable-crl-checks\n' > "$GNUPGHOME/gpgsm.conf"
echo "smime=$(gpgsm --with-colons --list-secret-keys alice@example.org 2>/dev/null | awk -F: '/^fpr/{print $10; exit}')" >> "$D/keys"
