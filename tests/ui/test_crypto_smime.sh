#!/bin/bash
# test_crypto_smime.sh - S/MIME mail in the real reader (issue 15): the
# certificates of tests/unit/crypto_fixture.sh (a CA made by certtool,
# alice's key by gpgsm, her certificate signed by that CA), messages made
# by gpgsm itself: detached signed (multipart/signed), opaque signed
# (application/pkcs7-mime signed-data), enveloped (encrypted, no
# integrity protection: said so), signed then enveloped, and a detached
# signature over changed content.  The verdict rows above the body are
# asserted; afterwards no decrypted text is anywhere under data_dir.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
source "$(dirname "$0")/crypto.sh"
T=$UI_TMP
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data

crypto_keys
stop_agents() { gpgconf --kill all 2>/dev/null; GNUPGHOME=$T/keys/other gpgconf --kill all 2>/dev/null; }
trap 'stop_agents; ui_cleanup' EXIT
SMIME=$(sed -n 's/^smime=//p' "$T/keys/keys")
SECRET="Enveloped-8812 the decrypted secret"

hdr() { # SUBJECT DATE-HOUR
	printf 'From: Alice <alice@example.org>\nTo: Alice <alice@example.org>\nSubject: %s\nDate: Tue, 01 Jan 2030 %02d:00:00 +0000\nMessage-ID: <%s@test>\nMIME-Version: 1.0\n' \
		"$1" "$2" "$(echo "$1" | tr -c 'a-zA-Z0-9\n' _)"
}
crlf() { sed 's/$/\r/'; }
# multipart/signed over ENTITY (stdin) by gpgsm; TAMPER: sed over the signed part afterwards
smime_signed() { # [TAMPER]
	local e sig
	e=$(cat)
	sig=$(printf '%s\n' "$e" | crlf | head -c -2 | gpgsm --batch -u alice@example.org --detach-sign 2>/dev/null | base64)
	[ -n "${1:-}" ] && e=$(printf '%s\n' "$e" | sed "$1")
	printf 'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="s-b"\n\n'
	printf -- '--s-b\n%s\n--s-b\nContent-Type: application/pkcs7-signature; name=smime.p7s\nContent-Transfer-Encoding: base64\n\n%s\n--s-b--\n' "$e" "$sig"
}
smime_app() { # TYPE (the CMS object on stdin)
	printf 'Content-Type: application/pkcs7-mime; smime-type=%s; name=smime.p7m\nContent-Transfer-Encoding: base64\n\n' "$1"
	base64
}
text_entity() { printf 'Content-Type: text/plain; charset=utf-8\n\n%s\n' "$1"; }
add() { store_add_message "$DATA" work INBOX "$1"; }

mkdir -p "$DATA/mail/work"
{ hdr 'SMIME signed note' 10; text_entity "Signed with a certificate by Alice." | smime_signed; } | add signed
{ hdr 'SMIME bad note' 9; text_entity "The amount is 10 EUR." | smime_signed 's/10 EUR/9999 EUR/'; } | add bad
{ hdr 'SMIME opaque note' 8; text_entity "Opaque words of Alice." | crlf | gpgsm --batch -u alice@example.org --sign 2>/dev/null | smime_app signed-data; } | add opaque
{ hdr 'SMIME enveloped note' 7; text_entity "$SECRET" | crlf | gpgsm --batch -r alice@example.org --encrypt 2>/dev/null | smime_app enveloped-data; } | add env
# signed, then the multipart/signed entity enveloped (what muttlike and most clients write)
{ hdr 'SMIME both note' 6; text_entity "$SECRET (signed inside)" | smime_signed | crlf | gpgsm --batch -r alice@example.org --encrypt 2>/dev/null | smime_app enveloped-data; } | add both
store_index "$DATA" work

cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set sidebar_visible = no
set threads = no
account work
set imap_url = imaps://alice@imap.work.example
set from = "Alice <alice@example.org>"
EOF

ui_start -x 220 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "the index opens" ui_wait "-- muttlike: work/INBOX [Msgs:5"
row2() { ui_row 2; }

open_msg "SMIME signed note"
scheck "S/MIME signed: good, by the certificate's subject, its fingerprint, matches From:" 'verdict_row | grep -qE "^\` part 1: S/MIME signed: good signature from .*CN=Alice.* \($SMIME, validity (full|ultimate)\), matches From:"'
scheck "S/MIME signed: the row is ours (line-drawing diamond)" 'has_acs 1'
scheck "S/MIME signed: the body is shown" 'ui_screen | grep -q "Signed with a certificate by Alice."'

open_msg "SMIME bad note"
scheck "S/MIME changed after signing: BAD signature" 'verdict_row | grep -q "part 1: S/MIME signed: BAD signature"'
scheck "S/MIME changed: what was checked is what is shown" 'ui_screen | grep -q "9999 EUR"'

open_msg "SMIME opaque note"
scheck "S/MIME opaque: good signature" 'verdict_row | grep -q "part 1: S/MIME signed (opaque): good signature from .*CN=Alice"'
scheck "S/MIME opaque: the content that came out of the signature is shown" 'ui_screen | grep -q "Opaque words of Alice."'

open_msg "SMIME enveloped note"
scheck "S/MIME enveloped: decrypted, and said to have no integrity protection" 'verdict_row | grep -q "part 1: S/MIME encrypted: decrypted, NOT integrity protected"'
scheck "S/MIME enveloped: the plaintext is shown, marked" 'ui_screen | grep -q "$SECRET" && ui_screen | grep -q "NOT integrity protected"'
scheck "S/MIME enveloped: not the base64 CMS" '! ui_screen | grep -q "smime.p7m"'

open_msg "SMIME both note"
scheck "S/MIME signed inside enveloped: row 1 decrypted" 'verdict_row | grep -q "part 1: S/MIME encrypted: decrypted, NOT integrity protected"'
scheck "S/MIME signed inside enveloped: row 2 the inner signature, good by Alice" 'row2 | grep -q "part 1/1: S/MIME signed: good signature from .*CN=Alice.*matches From:"'
scheck "S/MIME signed inside enveloped: the plaintext" 'ui_screen | grep -q "(signed inside)"'
back
ui_keys q
ui_exited >/dev/null

stop_agents
check "no decrypted text under data_dir" eval '! grep -rq "Enveloped-8812" "$DATA"'
finish
