#!/bin/bash
# test_crypto_autocrypt.sh - Autocrypt Level 1 and opportunistic
# encryption in the real reader, on the rig's Dovecot and Postfix (issue
# 15): Zed (a key alice's keyring does not have) writes with an
# Autocrypt: header; once the pager has shown it, his key is in the
# account's Autocrypt keyring under data_dir (not in the user's) and
# the compose screen to him says "Autocrypt: encrypt"; the message sent
# signed + encrypted through Postfix carries our own Autocrypt: header
# (alice's key), Zed's gpg decrypts it and gpg --verify checks alice's
# signature inside.  A header forged by Mallory for Zed's address is not
# learnt.  crypt_opportunistic_encrypt: to Bob (a valid key) the screen
# says encrypt and what Postfix delivered is encrypted; to someone
# without a key it stays clear.  crypt_index_decrypted: an encrypted
# message is found by a word of its plaintext (notmuch decrypted it), and
# that word is nowhere under data_dir but in notmuch's own index.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
source "$(dirname "$0")/servers.sh"
source "$(dirname "$0")/crypto.sh"
T=$UI_TMP
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"

crypto_keys
# No pinentry, ever: a message encrypted to Bob and alice is decrypted
# here by gpg (below) and in the reader (notmuch indexes it decrypted);
# whichever tries Bob's key first asks the agent for his passphrase, and an
# agent that learnt the reader's tty drew its pinentry over the reader's
# screen (seen once).  Refused at once, alice's key (no passphrase) is
# used instead, which is what these checks are about.
echo "pinentry-program /bin/false" >> "$GNUPGHOME/gpg-agent.conf"
gpgconf --kill gpg-agent 2>/dev/null # the fixture's agent read its config before
ZEDHOME=$T/keys/other
DATA=$T/data
stop_agents() {
	gpgconf --kill all 2>/dev/null
	GNUPGHOME=$ZEDHOME gpgconf --kill all 2>/dev/null
	[ -d "$DATA/autocrypt/work/gnupg" ] && GNUPGHOME=$DATA/autocrypt/work/gnupg gpgconf --kill all 2>/dev/null
}
trap 'stop_agents; ui_servers_stop' EXIT
ALICE=$(sed -n 's/^alice=//p' "$T/keys/keys")
G="gpg --batch --quiet --no-tty --trust-model always"
COMPOSED="Kestrel-6604 written to Zed"
OPP="Heron-3391 opportunistic words"
INDEXED="Quokka4471"

ui_rig_start
ui_smtp_start || { echo "FAIL - the SMTP rig did not start"; finish; exit 1; }
imapctl() { python3 "$SRC/tests/integration/imapctl.py" "$@"; }
# Zed's message with his Autocrypt header (his key, base64 on folded lines)
ZEDKEY=$(GNUPGHOME=$ZEDHOME $G --export --export-options export-minimal zed@example.org | base64 -w 76 | sed 's/^/ /')
ZEDFPR=$(GNUPGHOME=$ZEDHOME $G --with-colons --list-keys zed@example.org | awk -F: '/^fpr/{print $10; exit}')
NOW=$(date -R)
printf 'From: Zed <zed@example.org>\r\nTo: Alice <alice@example.org>\r\nSubject: Hello from Zed\r\nDate: %s\r\nMessage-ID: <zed-1@test>\r\nAutocrypt: addr=zed@example.org; prefer-encrypt=mutual; keydata=\r\n%s\r\n\r\nHi Alice, write me encrypted.\r\n' \
	"$NOW" "$(printf '%s\n' "$ZEDKEY" | sed 's/$/\r/' | head -c -2)" > "$T/zed.eml"
# Mallory's header for Zed's address (his own key): not Mallory's From:, ignored
MALKEY=$($G --export --export-options export-minimal mallory@example.org | base64 -w0)
printf 'From: Mallory <mallory@example.org>\r\nTo: Alice <alice@example.org>\r\nSubject: Forged header\r\nDate: %s\r\nMessage-ID: <mal-1@test>\r\nAutocrypt: addr=zed@example.org; prefer-encrypt=mutual; keydata=%s\r\n\r\nTrust me.\r\n' \
	"$NOW" "$MALKEY" > "$T/mal.eml"
# an encrypted message to alice, for crypt_index_decrypted
printf 'Content-Type: text/plain\n\nThe indexed word is %s.\n' "$INDEXED" | $G --armor --encrypt -r alice@example.org > "$T/idx.asc"
printf 'From: Bob <bob@example.org>\r\nTo: Alice <alice@example.org>\r\nSubject: Indexed secret\r\nDate: %s\r\nMessage-ID: <idx-1@test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/encrypted; boundary="e"; protocol="application/pgp-encrypted"\r\n\r\n--e\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--e\r\nContent-Type: application/octet-stream\r\n\r\n%s\r\n--e--\r\n' \
	"$NOW" "$(sed 's/$/\r/' "$T/idx.asc" | head -c -2)" > "$T/idx.eml"
for m in zed mal idx; do RIG_USER=$RIG_USER imapctl append INBOX "$T/$m.eml" >/dev/null || echo "append $m failed" >&2; done

cat > "$T/editor.sh" <<'EOF'
#!/bin/sh
sed -i "s/^To: *$/To: $(cat "$EDITOR_TO")/; s/^Subject: *$/Subject: Autocrypt test/" "$1"
cat "$EDITOR_BODY" >> "$1"
EOF
chmod +x "$T/editor.sh"
export EDITOR_TO=$T/editor.to EDITOR_BODY=$T/editor.body
ui_rig_rc "$T/a.rc" "$DATA" "$T/editor.sh"
cat >> "$T/a.rc" <<EOF
set threads = no
set crypt_index_decrypted = yes
set autocrypt = yes
set autocrypt_prefer_encrypt = yes
set crypt_opportunistic_encrypt = yes
EOF
ui_start -x 160 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "the reader opens with the three messages" ui_wait "-- muttlike: work/INBOX [Msgs:3" 30
ui_wait_synced >/dev/null

AC=$DATA/autocrypt/work
open_msg "Hello from Zed" >/dev/null
check "peer table: Zed learnt when his message was read" ui_until grep -q "^zed@example.org .* mutual $ZEDFPR " "$AC/peers"
check "peer table: mode 600" eval '[ "$(stat -c %a "$AC/peers")" = 600 ]'
check "Autocrypt keyring: Zed's key is there" eval 'GNUPGHOME=$AC/gnupg gpg --batch --with-colons --list-keys 2>/dev/null | grep -q "^fpr:.*$ZEDFPR"'
check "the user's keyring: Zed's key is not" eval '! gpg --batch --list-keys zed@example.org >/dev/null 2>&1'
open_msg "Forged header" >/dev/null
back
check "a header for Zed's address in Mallory's mail: Zed's key stays" eval 'grep "^zed@example.org " "$AC/peers" | grep -q "$ZEDFPR" && ! grep -q "^mallory@example.org .*[0-9A-F]\{40\}" "$AC/peers"'

# compose to Zed: Autocrypt recommends encrypt (both sides mutual)
echo 'Zed <zed@example.org>' > "$EDITOR_TO"
printf '%s\n' "$COMPOSED" > "$EDITOR_BODY"
ui_keys m
check "compose to Zed: encrypt, as Autocrypt recommends" ui_wait "Security: encrypt (PGP/MIME), as Autocrypt recommends; Autocrypt: encrypt"
ui_keys p
ui_wait "(e)ncrypt, (s)ign, (b)oth" >/dev/null
ui_keys b
check "compose to Zed: sign + encrypt chosen" ui_wait "Security: sign + encrypt (PGP/MIME); Autocrypt: encrypt"
ui_keys y
check "compose to Zed: sent" ui_wait "1 message sent." 30
delivered() { grep -l "^To: $1" "$SMTP_MAILDIR"/new/* "$SMTP_MAILDIR"/cur/* 2>/dev/null | head -1; }
ui_until eval '[ -n "$(delivered Zed)" ]' >/dev/null
D=$(delivered Zed)
check "Postfix delivered it" [ -n "$D" ]
check "delivered: multipart/encrypted, Subject hidden" eval 'grep -q "Content-Type: multipart/encrypted" "$D" && grep -q "^Subject: \.\.\." "$D"'
check "delivered: no plaintext" eval '! grep -q Kestrel "$D"'
check "delivered: our Autocrypt header (alice, mutual)" grep -q "^Autocrypt: addr=alice@example.org; prefer-encrypt=mutual; keydata=" "$D"
# the header's keydata: unfolded, base64 -> alice's key
tr -d '\r' < "$D" | awk '/^Autocrypt:/{p=1; sub(/.*keydata=/, ""); print; next} p&&/^[ \t]/{print; next} {p=0}' | tr -d ' \t\n' | base64 -d > "$T/ours.key" 2>/dev/null
check "delivered: the header's keydata is alice's key" eval 'gpg --batch --import --dry-run --import-options show-only --with-colons "$T/ours.key" 2>/dev/null | grep -q "$ALICE"'
sed -n '/^-----BEGIN PGP MESSAGE-----/,/^-----END PGP MESSAGE-----/p' "$D" | tr -d '\r' > "$T/zed.asc"
GNUPGHOME=$ZEDHOME $G --status-fd 3 --decrypt "$T/zed.asc" > "$T/zed.out" 3> "$T/zed.status" 2>/dev/null
check "Zed's gpg --decrypt gives the text" grep -q "$COMPOSED" "$T/zed.out"
check "encrypted to Zed's key and to alice's (self)" eval '[ "$(grep -c ENC_TO "$T/zed.status")" = 2 ]'
check "inside: the real Subject and a multipart/signed entity" eval 'grep -q "^Subject: Autocrypt test" "$T/zed.out" && grep -q "multipart/signed" "$T/zed.out"'
# gpg --verify of the signed part (exact bytes between the delimiters) against its signature
python3 - "$T/zed.out" "$T/zed.part" "$T/zed.sig" <<'PY'
import re, sys
data = open(sys.argv[1], 'rb').read()
b = re.search(rb'boundary="([^"]+)"', data).group(1)
start = data.index(b'\r\n--' + b + b'\r\n') + len(b) + 6
end = data.index(b'\r\n--' + b, start)
open(sys.argv[2], 'wb').write(data[start:end])
sig = data[end:][data[end:].index(b'-----BEGIN PGP SIGNATURE'):]
open(sys.argv[3], 'wb').write(sig[:sig.index(b'-----END PGP SIGNATURE-----') + 27])
PY
$G --status-fd 3 --verify "$T/zed.sig" "$T/zed.part" 3> "$T/verify.status" 2>/dev/null
check "gpg --verify: a good signature by alice over the signed part" grep -q "GOODSIG.*alice@example.org" "$T/verify.status"
check "the Sent copy is encrypted" eval '[ -n "$(grep -rl "multipart/encrypted" "$DATA"/mail/work/Sent/cur 2>/dev/null)" ]'

# opportunistic: Bob has a valid key in the user's keyring
echo 'Bob <bob@example.org>' > "$EDITOR_TO"
printf '%s\n' "$OPP" > "$EDITOR_BODY"
ui_keys m
check "opportunistic: to Bob the screen says encrypt" ui_wait "Security: encrypt (PGP/MIME): every recipient has a valid key; Autocrypt: disable"
ui_keys y
check "opportunistic: sent" ui_wait "1 message sent." 30
ui_until eval '[ -n "$(delivered Bob)" ]' >/dev/null
D=$(delivered Bob)
check "opportunistic: delivered encrypted, no plaintext" eval 'grep -q "Content-Type: multipart/encrypted" "$D" && ! grep -q Heron "$D"'
sed -n '/^-----BEGIN PGP MESSAGE-----/,/^-----END PGP MESSAGE-----/p' "$D" | tr -d '\r' > "$T/bob.asc"
$G --status-fd 3 --decrypt "$T/bob.asc" > "$T/bob.out" 3> "$T/bob.status" 2>/dev/null
check "opportunistic: gpg --decrypt (self) gives the text, encrypted to two keys" eval 'grep -q "$OPP" "$T/bob.out" && [ "$(grep -c ENC_TO "$T/bob.status")" = 2 ]'
# nobody has no key anywhere: clear
echo 'Nobody <nobody@example.org>' > "$EDITOR_TO"
echo 'Plain words for nobody.' > "$EDITOR_BODY"
ui_keys m
check "opportunistic: without a key the screen says none, encrypted only if keys" ui_wait "Security: none (PGP/MIME); encrypted if every recipient has a valid key; Autocrypt: disable"
ui_keys y
check "opportunistic: sent in clear" ui_wait "1 message sent." 30
ui_until eval '[ -n "$(delivered Nobody)" ]' >/dev/null
check "opportunistic: delivered as plain text, with our Autocrypt header" eval 'D=$(delivered Nobody); grep -q "Plain words for nobody." "$D" && grep -q "^Autocrypt: addr=alice@example.org" "$D"'
ui_keys q
ui_exited >/dev/null

# crypt_index_decrypted: notmuch decrypted the message when it indexed it
NMC=$(store_nmconfig "$DATA")
check "crypt_index_decrypted: a word of the plaintext finds the message" eval '[ "$(NOTMUCH_CONFIG=$NMC notmuch count "$INDEXED")" = 1 ]'
stop_agents
check "no decrypted or composed text under data_dir (notmuch's index aside)" eval '! grep -rq --exclude-dir=.notmuch "Kestrel-6604\|Heron-3391\|$INDEXED" "$DATA"'
finish
