#!/bin/bash
# test_crypto.sh - signed and encrypted mail in the real reader (issue 15,
# doc/crypto.md "The reader"): messages made by gpg itself, opened in the
# pager; the verdict rows above the body (good, BAD, unknown key,
# decrypted, a tampered ciphertext as an error with no plaintext), a
# signed part inside an unsigned multipart/mixed ("part 2", the unsigned
# part set apart), a body that draws a fake verdict (it stays on a body
# row and does not look like ours), the index marks; then compose, sign +
# encrypt and send through the SMTP rig, what Postfix delivered checked
# with gpg --verify / --decrypt.  Afterwards no decrypted text is anywhere
# under data_dir.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
source "$(dirname "$0")/crypto.sh"
T=$UI_TMP
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data

# ---- keys: tests/unit/crypto_fixture.sh (alice has no passphrase; zed is only in $T/keys/other) ----
crypto_keys
stop_agents() { gpgconf --kill all 2>/dev/null; GNUPGHOME=$T/keys/other gpgconf --kill all 2>/dev/null; }
trap 'stop_agents; ui_cleanup' EXIT
ALICE=$(sed -n 's/^alice=//p' "$T/keys/keys")
G="gpg --batch --quiet --no-tty --trust-model always"
SECRET="Sesame-7431 the decrypted secret"

# ---- messages made by gpg ----
hdr() { # FROM SUBJECT DATE-HOUR
	printf 'From: %s\nTo: Alice <alice@example.org>\nSubject: %s\nDate: Tue, 01 Jan 2030 %02d:00:00 +0000\nMessage-ID: <%s@test>\nMIME-Version: 1.0\n' \
		"$1" "$2" "$3" "$(echo "$2" | tr -c 'a-zA-Z0-9\n' _)"
}
# A multipart/signed entity (RFC 3156) over ENTITY (stdin) signed by KEY
# in GNUPGHOME HOME; TAMPER: a sed expression run over the signed part
# after signing.
signed_entity() { # KEY HOME [TAMPER]
	local e sig
	e=$(cat)
	sig=$(printf '%s' "$e" | awk 'BEGIN { ORS = "" } NR > 1 { print "\r\n" } { print }' |
		GNUPGHOME=$2 $G -u "$1" --armor --detach-sign --digest-algo SHA256)
	[ -n "${3:-}" ] && e=$(printf '%s\n' "$e" | sed "$3")
	printf 'Content-Type: multipart/signed; boundary="sig-b"; micalg=pgp-sha256;\n protocol="application/pgp-signature"\n\n'
	printf -- '--sig-b\n%s\n--sig-b\nContent-Type: application/pgp-signature\n\n%s\n--sig-b--\n' "$e" "$sig"
}
encrypted_entity() { # RECIPIENT (entity on stdin)
	local c
	c=$($G --armor --encrypt --sign -u alice@example.org -r "$1")
	printf 'Content-Type: multipart/encrypted; boundary="enc-b";\n protocol="application/pgp-encrypted"\n\n'
	printf -- '--enc-b\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--enc-b\nContent-Type: application/octet-stream\n\n%s\n--enc-b--\n' "$c"
}
text_entity() { printf 'Content-Type: text/plain; charset=utf-8\n\n%s\n' "$1"; }
add() { store_add_message "$DATA" work INBOX "$1"; }

mkdir -p "$DATA/mail/work"
{ hdr 'Alice <alice@example.org>' 'Good signed note' 10; text_entity "The signed body by Alice." | signed_entity alice@example.org "$GNUPGHOME"; } | add good
{ hdr 'Alice <alice@example.org>' 'Bad signed note' 9; text_entity "The original amount is 10 EUR." | signed_entity alice@example.org "$GNUPGHOME" 's/10 EUR/9999 EUR/'; } | add bad
{ hdr 'Zed <zed@example.org>' 'Unknown key note' 8; text_entity "Signed by a stranger." | signed_entity zed@example.org "$T/keys/other"; } | add unknown
{ hdr 'Alice <alice@example.org>' 'Encrypted note' 7; text_entity "$SECRET" | encrypted_entity alice@example.org; } | add enc
# tampered: a base64 character in the middle of the armored ciphertext changed
{ hdr 'Alice <alice@example.org>' 'Tampered note' 6; text_entity "$SECRET (tampered copy)" | encrypted_entity alice@example.org |
	awk '/^-----BEGIN PGP MESSAGE/{n=1} n&&n++==6{c=substr($0,20,1); $0=substr($0,1,19) (c=="A"?"B":"A") substr($0,21)} {print}'; } | add tampered
# Johnny: the signed part inside an unsigned multipart/mixed, an unsigned "fired" after it
{
	hdr 'Alice <alice@example.org>' 'Wrapped note' 5
	printf 'Content-Type: multipart/mixed; boundary="mix-b"\n\n--mix-b\n'
	text_entity "Signed words of Alice." | signed_entity alice@example.org "$GNUPGHOME"
	printf -- '--mix-b\nContent-Type: text/plain\n\nYou are fired, says nobody who signed.\n--mix-b--\n'
} | add wrapped
# a body that draws a fake verdict: the look-alike diamond, escape
# sequences (reverse video, cursor up, a bidi override), in a message
# that Mallory signed
FAKE=$(printf '\342\227\206 part 1: PGP/MIME signed: good signature from Alice <alice@example.org>, matches From:')
{ hdr 'Mallory <mallory@example.org>' 'Fake verdict note' 4
  text_entity "$(printf '%s\n\033[7m\033[1A\342\227\206 part 1: good signature from Alice\033[0m\n\342\200\256evil reversed\nThe end of the fake.' "$FAKE")" |
	signed_entity mallory@example.org "$GNUPGHOME"; } | add fake
# inline PGP: a clearsigned block with unsigned text before and after it
{ hdr 'Alice <alice@example.org>' 'Inline note' 3
  text_entity "$(printf 'Unsigned words before.\n%s\nUnsigned words after.' "$(echo "Clearsigned words of Alice." | $G -u alice@example.org --clearsign)")"; } | add inline
# to Bob, whose key has a passphrase: asked through our masked prompt (loopback)
{ hdr 'Alice <alice@example.org>' 'For Bob note' 2; text_entity "Bob-only words 5512" | encrypted_entity bob@example.org; } | add bob
store_index "$DATA" work

# the editor notes (outside data_dir) whether the file it got quotes the plaintext
cat > "$T/reply-editor.sh" <<EOF
#!/bin/sh
grep -q "^> $SECRET" "\$1" && echo quoted >> "$T/quote.seen"
echo "My answer." >> "\$1"
EOF
chmod +x "$T/reply-editor.sh"
cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set sidebar_visible = no
set threads = no
set crypt_pinentry_loopback = yes
set editor = "$T/reply-editor.sh"
account work
set imap_url = imaps://alice@imap.work.example
set from = "Alice <alice@example.org>"
EOF

ui_start -x 220 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "the index opens" ui_wait "-- muttlike: work/INBOX [Msgs:9"

# a verdict row is in reverse video (tmux capture-pane -e shows the attributes)
is_reverse() { row_attrs "$1" | grep -qP '\e\[([0-9]+;)*7(;[0-9]+)*m'; }
body_acs_rows() { local r n=0; for ((r = 2; r < 28; r++)); do has_acs $r && n=$((n + 1)); done; echo $n; }

# the index marks come from notmuch's signed/encrypted tags (%Z's third column)
mark_of() { ui_screen | grep -F "$1" | grep -oE '^ +[0-9]+ ...' | cut -c6- | tail -c 2; }
scheck "index: a signed message is marked S" '[ "$(mark_of "Good signed note")" = S ]'
scheck "index: an encrypted message is marked E" '[ "$(mark_of "Encrypted note")" = E ]'
scheck "index: a message with a signed part inside is S too (notmuch tags it)" '[ "$(mark_of "Wrapped note")" = S ]'
ui_keys /
ui_type "Good signed note"
ui_keys Enter Enter
ui_wait "-- Good signed note" >/dev/null
scheck "good: the verdict row says good, the signer, matches From:" 'verdict_row | grep -qE "^\` part 1: PGP/MIME signed: good signature from Alice <alice@example.org> \($ALICE, validity (full|ultimate)\), matches From:"'
scheck "good: the verdict row is in reverse video, its diamond from the line-drawing set" 'is_reverse 1 && has_acs 1' 
scheck "good: the body is shown under it" 'ui_screen | sed -n "3,30p" | grep -q "The signed body by Alice."'
scheck "good: no unsigned-part mark (the whole message is signed)" '! ui_screen | grep -q "unsigned part"'

back
scheck "index: after the pager found it good, V" '[ "$(mark_of "Good signed note")" = V ]'
open_msg "Bad signed note"
scheck "bad: BAD signature" 'verdict_row | grep -q "part 1: PGP/MIME signed: BAD signature from Alice"'
scheck "bad: what was checked (the changed text) is what is shown" 'ui_screen | grep -q "9999 EUR"'

open_msg "Unknown key note"
scheck "unknown key: says so, no signer" 'verdict_row | grep -q "part 1: PGP/MIME signed: unknown key (" && ! verdict_row | grep -q "from Zed"'

open_msg "Encrypted note"
scheck "encrypted: decrypted and signed by Alice" 'verdict_row | grep -q "part 1: PGP/MIME encrypted: decrypted; good signature from Alice"'
scheck "encrypted: the plaintext is shown" 'ui_screen | grep -q "$SECRET"'
scheck "encrypted: not the ciphertext" '! ui_screen | grep -q "BEGIN PGP MESSAGE"'
ui_keys r
check "reply to an encrypted message: encrypted by default" ui_wait "Security: encrypt (PGP/MIME)"
check "reply: the editor's file quotes the decrypted text" grep -qc quoted "$T/quote.seen"
# postponed: the draft is stored encrypted to me
ui_keys P
check "reply: postponed" ui_wait "Message postponed"
draft() { grep -l "multipart/encrypted" "$DATA"/mail/work/Drafts/cur/* 2>/dev/null | head -1; }
check "draft: stored as multipart/encrypted" eval '[ -n "$(draft)" ]'
check "draft: no plaintext in it" eval '! grep -rq "My answer\|Sesame" "$DATA"/mail/work/Drafts'
sed -n '/^-----BEGIN PGP MESSAGE-----/,/^-----END PGP MESSAGE-----/p' "$(draft)" | tr -d '\r' > "$T/draft.asc"
$G --status-fd 3 --decrypt "$T/draft.asc" 3> "$T/draft.status" > /dev/null 2>&1
check "draft: encrypted to alice only" eval '[ "$(grep -c ENC_TO "$T/draft.status")" = 1 ]'
# recalled (the only draft: no list): decrypted back into the editor and the compose screen, still encrypted
rm -f "$T/quote.seen"
back
ui_keys R
check "recall: the encrypted draft comes back encrypted" ui_wait "Security: encrypt (PGP/MIME)"
check "recall: the editor's file has the decrypted quote again" grep -qc quoted "$T/quote.seen"
scheck "recall: the real Subject (protected headers), not ..." 'ui_screen | grep -q "Subject: Re: Encrypted note"'
ui_keys y
check "reply: sent (it waits in the outbox: this reader has no server)" ui_wait "outbox"
scheck "reply: the outbox holds it encrypted" '[ -n "$(grep -rl "multipart/encrypted" "$DATA"/state/work/outbox/)" ] && ! grep -rq "My answer" "$DATA"/state/work/outbox/'
scheck "reply: the editor's file (in the outbox) is gone once queued" '[ -z "$(grep -rl "My answer" "$DATA")" ]'
ui_wait "-- muttlike: work/INBOX" >/dev/null
scheck "index: an encrypted message signed good by its From: is V once read" '[ "$(mark_of "Encrypted note")" = V ]'
open_msg "Tampered note"
scheck "tampered: an error, not decrypted" 'verdict_row | grep -q "part 1: PGP/MIME encrypted: NOT decrypted; error"'
scheck "tampered: no plaintext and no ciphertext" '! ui_screen | grep -q "Sesame" && ! ui_screen | grep -q "BEGIN PGP MESSAGE" && ui_screen | grep -q "part 1: nothing to show"'

open_msg "Wrapped note"
scheck "wrapped: the verdict names part 2 only" 'verdict_row | grep -q "part 2: PGP/MIME signed: good signature from Alice.*; only this part"'
scheck "wrapped: the signed part between marks" 'ui_screen | grep -q "── part 2 (signed) begins ──" && ui_screen | grep -q "── part 2 (signed) ends ──"'
scheck "wrapped: the unsigned part set apart by our mark, in reverse video" 'ui_screen | grep -q "── unsigned part 5 ──" && r=$(ui_screen | grep -n "── unsigned part 5 ──" | cut -d: -f1) && is_reverse $((r - 1))' 
scheck "wrapped: the fired line comes after the unsigned mark" 'a=$(ui_screen | grep -n "unsigned part 5" | cut -d: -f1); b=$(ui_screen | grep -n "You are fired" | cut -d: -f1); [ "$b" -gt "$a" ]'

open_msg "Inline note"
scheck "inline: the verdict says the text around the block is not covered" 'verdict_row | grep -q "part 1: inline PGP signed: good signature from Alice.*; the text around it is not covered"'
scheck "inline: the unsigned text before, the block, the unsigned text after, each marked" 'ui_screen | grep -A1 "── unsigned text of part 1 ──" | grep -q "Unsigned words before." && ui_screen | grep -A1 "── part 1 (signed block) begins ──" | grep -q "Clearsigned words of Alice." && ui_screen | grep -B1 "Unsigned words after." | grep -q "── unsigned text of part 1 ──"'
scheck "inline: the armor lines are not shown" '! ui_screen | grep -q "BEGIN PGP SIGNED MESSAGE"'

ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null
ui_keys /
ui_type "For Bob note"
ui_keys Enter Enter
check "loopback: our masked prompt asks for Bob's passphrase" ui_wait "Passphrase for "
ui_type "not-the-one"
ui_keys Enter
check "loopback: a wrong answer is asked again" ui_wait "Wrong passphrase. Passphrase for"
ui_type "bob-secret"
check "loopback: the answer is masked while typed" ui_wait "**********"
scheck "loopback: no answer in clear on the screen" '! ui_screen | grep -q "bob-secret\|not-the-one"'
ui_keys Enter
check "loopback: the right one decrypts" ui_wait "Bob-only words 5512"
scheck "loopback: the verdict says decrypted" 'verdict_row | grep -q "part 1: PGP/MIME encrypted: decrypted; good signature from Alice"'

open_msg "Fake verdict note"
scheck "fake: the real verdict row names Mallory" 'verdict_row | grep -q "^\` part 1: PGP/MIME signed: good signature from Mallory <mallory@example.org>"'
scheck "fake: the body's fake line is on a body row, below the verdict" 'r=$(ui_screen | grep -n "good signature from Alice" | head -1 | cut -d: -f1); [ -n "$r" ] && [ "$r" -gt 2 ]'
scheck "fake: the verdict row is not the body's line" '[ "$(verdict_row)" != "$(ui_screen | grep "good signature from Alice" | head -1)" ]'
scheck "fake: the verdict row has our diamond, no body row has one" 'has_acs 1 && [ "$(body_acs_rows)" = 0 ]' 
scheck "fake: the escape sequences did not move the body onto the verdict row" '[ "$(ui_screen | grep -c "good signature from")" -ge 2 ] && verdict_row | grep -q Mallory'
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null

ui_keys q
ui_exited >/dev/null

# ---- compose, sign + encrypt, send through Postfix (a reader of its own on the rig's account) ----
source "$(dirname "$0")/servers.sh"
trap 'stop_agents; ui_servers_stop' EXIT
ui_rig_start
ui_smtp_start || { echo "FAIL - the SMTP rig did not start"; finish; exit 1; }
DATA2=$T/data2
COMPOSED="Rosebud-2958 written and encrypted"
cat > "$T/editor.sh" <<'EOF'
#!/bin/sh
sed -i "s/^To: *$/To: $(cat "$EDITOR_TO")/; s/^Subject: *$/Subject: Hidden plans/" "$1"
cat "$EDITOR_BODY" >> "$1"
EOF
chmod +x "$T/editor.sh"
export EDITOR_TO=$T/editor.to EDITOR_BODY=$T/editor.body COMPOSED
printf '%s\n' "$COMPOSED" > "$EDITOR_BODY"
ui_rig_rc "$T/b.rc" "$DATA2" "$T/editor.sh"
ui_start -x 120 -y 30 "$MUTTLIKE_BIN" -F "$T/b.rc"
check "the second reader opens" ui_wait "-- muttlike: work/INBOX" 30

# a recipient without a key: refused with the reason, nothing queued
echo 'Nobody <nobody@example.org>' > "$EDITOR_TO"
ui_keys m
check "compose: the screen shows the security state (none)" ui_wait "Security: none (PGP/MIME)"
ui_keys p
check "compose: p offers the choice" ui_wait "(e)ncrypt, (s)ign, (b)oth"
ui_keys e
check "compose: encrypt chosen" ui_wait "Security: encrypt (PGP/MIME)"
ui_keys y
check "compose: a recipient without a key is named, nothing sent" ui_wait "Not sent: no public key for nobody@example.org"
scheck "compose: nothing in the outbox" '! ls "$DATA2"/state/work/outbox/ 2>/dev/null | grep -q "\.env$"'
scheck "compose: still on the compose screen" 'ui_screen | grep -q -- "-- Compose:"'
ui_keys q
ui_wait "Abort this message?" >/dev/null && ui_keys y
ui_wait "Message aborted." >/dev/null

# sign + encrypt to Bob (and to self), sent through Postfix
echo 'Bob <bob@example.org>' > "$EDITOR_TO"
ui_keys m
ui_wait "Security: none" >/dev/null
ui_keys p
ui_wait "(e)ncrypt, (s)ign, (b)oth" >/dev/null
ui_keys b
check "compose: sign + encrypt on the screen's header" ui_wait "Security: sign + encrypt (PGP/MIME)"
ui_keys y
check "compose: sent" ui_wait "1 message sent." 30
delivered() { grep -l "^To: Bob" "$SMTP_MAILDIR"/new/* "$SMTP_MAILDIR"/cur/* 2>/dev/null | head -1; }
ui_until eval '[ -n "$(delivered)" ]'
D=$(delivered)
check "Postfix delivered it" [ -n "$D" ]
check "delivered: multipart/encrypted (PGP/MIME)" grep -q 'Content-Type: multipart/encrypted' "$D"
check "delivered: the Subject outside is hidden (protected headers)" grep -q '^Subject: \.\.\.' "$D"
check "delivered: no plaintext on the wire" eval '! grep -q "Rosebud" "$D"'
sed -n '/^-----BEGIN PGP MESSAGE-----/,/^-----END PGP MESSAGE-----/p' "$D" | tr -d '\r' > "$T/wire.asc"
$G --status-fd 3 --decrypt "$T/wire.asc" > "$T/wire.out" 3> "$T/wire.status" 2>/dev/null
check "gpg --decrypt (alice's key: encrypted to self) gives the text" grep -q "$COMPOSED" "$T/wire.out"
check "gpg: a good signature by alice" grep -q "GOODSIG.*alice@example.org" "$T/wire.status"
check "gpg: encrypted to bob and to alice" eval '[ "$(grep -c ENC_TO "$T/wire.status")" -ge 2 ]'
check "the real Subject is inside (protected headers)" grep -q "^Subject: Hidden plans" "$T/wire.out"
check "the Sent copy is the encrypted message" eval '[ -n "$(grep -l "multipart/encrypted" -r "$DATA2"/mail/work/Sent/cur)" ]'

# pgp-attach-key (mutt keymap: Esc k): my public key as an application/pgp-keys part
echo 'Carol <carol@example.org>' > "$EDITOR_TO"
echo 'Here is my key.' > "$EDITOR_BODY" # sent in clear: not the text checked below
ui_keys m
ui_wait "Security: none" >/dev/null
ui_keys M-k
check "attach-key: the key is attached" ui_wait "Attached the public key 0x"
scheck "attach-key: listed as an application/pgp-keys attachment" 'ui_screen | grep -q "application/pgp-keys"'
ui_keys y
check "attach-key: sent" ui_wait "1 message sent." 30
ui_until eval 'grep -lq "^To: Carol" "$SMTP_MAILDIR"/new/* "$SMTP_MAILDIR"/cur/* 2>/dev/null'
KD=$(grep -l "^To: Carol" "$SMTP_MAILDIR"/new/* "$SMTP_MAILDIR"/cur/* 2>/dev/null | head -1)
check "attach-key: delivered with an application/pgp-keys part" grep -q "^Content-Type: application/pgp-keys" "$KD"
# the part's base64 body: from the empty line after its header to the next boundary
tr -d '\r' < "$KD" | awk '/^Content-Type: application\/pgp-keys/{p=1} p==1&&/^$/{p=2;next} p==2&&/^--/{exit} p==2{print}' | base64 -d > "$T/key.asc" 2>/dev/null
check "attach-key: the part is alice's armored public key" grep -q "BEGIN PGP PUBLIC KEY BLOCK" "$T/key.asc"
$G --import --dry-run --import-options show-only --with-colons "$T/key.asc" > "$T/key.import" 2>&1
check "attach-key: gpg --import --dry-run accepts it, alice's fingerprint" grep -q "$ALICE" "$T/key.import"
printf '%s\n' "$COMPOSED" > "$EDITOR_BODY"

# two keys for one address: a choice, and the one chosen is used
echo 'Team <team@example.org>' > "$EDITOR_TO"
ui_keys m
ui_wait "Security: none" >/dev/null
ui_keys p
ui_wait "(e)ncrypt, (s)ign, (b)oth" >/dev/null
ui_keys e
ui_wait "Security: encrypt" >/dev/null
ui_keys y
check "compose: several keys for an address: a choice" ui_wait "Several keys for team@example.org: which one (1-2)?"
# the fingerprint on the second line of the choice
chosen=$(ui_screen | grep -oE "2  [0-9A-F]{40}" | head -1 | cut -c4-)
ui_keys 2
check "compose: sent with the key chosen" ui_wait "1 message sent." 30
t1=$(sed -n 's/^team1=//p' "$T/keys/keys")
t2=$(sed -n 's/^team2=//p' "$T/keys/keys")
other=$([ "$chosen" = "$t1" ] && echo "$t2" || echo "$t1")
ui_until eval 'grep -lq "^To: Team" "$SMTP_MAILDIR"/new/* "$SMTP_MAILDIR"/cur/* 2>/dev/null'
TD=$(grep -l "^To: Team" "$SMTP_MAILDIR"/new/* "$SMTP_MAILDIR"/cur/* 2>/dev/null | head -1)
sed -n '/^-----BEGIN PGP MESSAGE-----/,/^-----END PGP MESSAGE-----/p' "$TD" | tr -d '\r' > "$T/team.asc"
$G --list-packets "$T/team.asc" > "$T/team.packets" 2>&1
subs() { $G --with-colons --list-keys "$1" | awk -F: '/^sub/{print $5}'; }
check "compose: the choice listed a team key second" eval '[ "$chosen" = "$t1" ] || [ "$chosen" = "$t2" ]'
check "compose: encrypted to the key chosen (and self), not to the other" eval '[ "$(grep -c "pubkey enc packet" "$T/team.packets")" = 2 ] && grep -q "$(subs "$chosen")" "$T/team.packets" && ! grep -q "$(subs "$other")" "$T/team.packets"'
ui_keys q
ui_exited >/dev/null

stop_agents
check "no decrypted text under either data_dir" eval '! grep -rq "Sesame-7431" "$DATA" "$DATA2"'
check "no composed text left under data_dir once sent" eval '! grep -rq "Rosebud-2958" "$DATA2"'
finish
