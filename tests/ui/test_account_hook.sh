#!/bin/bash
# test_account_hook.sh - account-hook (issue 16): runs when the reader
# switches to the account (next-account, Esc a), with mutt's `.` reset
# idiom; its options apply there: a global one (index_format) and an
# account one (from, seen on the compose screen).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
printf 'From: Bob <bob@example.org>\nTo: alice@example.org\nSubject: Work mail\nDate: Tue, 01 Jan 2030 10:00:00 +0000\nMessage-ID: <w1@test>\n\nHi.\n' |
	store_add_message "$DATA" work INBOX w1
store_index "$DATA" work || { echo "FAIL - cannot build the store"; exit 1; }
printf 'From: Mum <mum@example.net>\nTo: alice@example.net\nSubject: Home mail\nDate: Tue, 01 Jan 2030 11:00:00 +0000\nMessage-ID: <p1@test>\n\nDinner?\n' |
	store_add_message "$DATA" home INBOX p1
store_index "$DATA" home || { echo "FAIL - cannot build the store"; exit 1; }
cat > "$T/editor.sh" <<'EOF'
#!/bin/sh
printf 'some text\n' >> "$1"
EOF
chmod +x "$T/editor.sh"
cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set editor = "$T/editor.sh"
set sidebar_visible = no
set index_format = "%4C %s"
account-hook . 'set index_format = "%4C %s"'
account-hook home 'set index_format = "HOME %4C %s"'
account-hook home 'set from = "Alice at home <alice@home.example>"'
account work
set imap_url = imaps://alice@imap.work.example
set from = "Alice <alice@work.example>"
account home
set imap_url = imaps://alice@imap.home.example
set from = "Alice <alice@example.net>"
EOF

ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
ui_wait "-- muttlike: work/INBOX"
check "work: no home marker" eval 'ui_wait "Work mail" && ! ui_screen | grep -q HOME'
ui_keys Escape a
check "switching to home runs its account-hook (index_format)" ui_wait "HOME    1 Home mail"
ui_keys m
check "and its account option (from) applies there" ui_wait "From: Alice at home <alice@home.example>"
ui_keys q
ui_wait "Abort this message?"
ui_keys y
ui_wait "Message aborted."
ui_keys Escape a
check "back on work: the . hook resets index_format" eval 'ui_wait "-- muttlike: work/INBOX" && ui_wait "Work mail" && ! ui_screen | grep -q HOME'
ui_keys m
check "work's own from is untouched" ui_wait "From: Alice <alice@work.example>"
ui_keys q
ui_wait "Abort this message?"
ui_keys y
ui_wait "Message aborted."
ui_keys q
st=$(ui_exited); check "quits (status $st)" [ "$st" = 0 ]
finish
