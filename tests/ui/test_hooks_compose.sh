#!/bin/bash
# test_hooks_compose.sh - send-hooks run again when the recipients change
# (issue 16, mutt's semantics): after the editor (the To the user typed in
# the header block decides the From) and after edit-to / edit-cc on the
# compose screen (From and Fcc follow); a From the user set on the compose
# screen stays.  No server: the drafts are postponed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
printf 'From: Bob <bob@example.org>\nTo: alice@example.org\nSubject: Hello\nDate: Tue, 01 Jan 2030 10:00:00 +0000\nMessage-ID: <h1@test>\n\nHi.\n' |
	store_add_message "$DATA" work INBOX h1
store_index "$DATA" work || { echo "FAIL - cannot build the store"; exit 1; }
cat > "$T/editor.sh" <<'EOF'
#!/bin/sh
sed -i 's/^To: *$/To: Bob <bob@example.org>/; s/^Subject: *$/Subject: For Bob/' "$1"
printf 'some text\n' >> "$1"
EOF
chmod +x "$T/editor.sh"
cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set editor = "$T/editor.sh"
set sidebar_visible = no
send-hook . 'set from = "Alice <alice@example.org>"'
send-hook . 'set record = "Sent"'
send-hook '~t bob@example.org' 'set from = "Alice Work <alice@work.example>"'
send-hook '~c carol@example.org' 'set record = "Carol"'
account work
set imap_url = imaps://alice@imap.work.example
EOF

ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
ui_wait "-- muttlike: work/INBOX"
ui_keys m
check "the To typed in the editor ran the send-hooks again: Bob's From" ui_wait "From: Alice Work <alice@work.example>"
check "the draft has that To" ui_wait "To: Bob <bob@example.org>"
ui_keys t C-u
ui_type "dave@example.org"
ui_keys Enter
check "edit-to: the send-hooks again, the . hook's From" ui_wait "From: Alice <alice@example.org>"
check "Fcc as before" ui_wait "Fcc: Sent"
ui_keys c
ui_type "carol@example.org"
ui_keys Enter
check "edit-cc: ~c carol sets the Fcc" ui_wait "Fcc: Carol"
check "the From stays the . hook's" ui_wait "From: Alice <alice@example.org>"
ui_keys Escape f C-u
ui_type "Me <me@example.net>"
ui_keys Enter
ui_wait "From: Me <me@example.net>"
ui_keys t C-u
ui_type "bob@example.org"
ui_keys Enter
check "the To changed again, but a From the user set stays" eval 'ui_wait "To: bob@example.org" && ui_screen | grep -q "From: Me <me@example.net>"'
ui_keys c C-u Enter
check "no Carol in Cc: the Fcc follows the hooks back to Sent" ui_wait "Fcc: Sent"
ui_keys P
check "postponed" ui_wait "Message postponed"
ui_keys q
st=$(ui_exited); check "quits (status $st)" [ "$st" = 0 ]
finish
