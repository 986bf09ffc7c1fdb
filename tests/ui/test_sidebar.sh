#!/bin/bash
# test_sidebar.sh - at 80x24 the sidebar leaves the subject room (a fifth
# of the screen by default), hides below 60 columns, and
# sidebar-toggle-visible is remembered across starts (data_dir/state/@reader).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
mkdir -p "$DATA/mail/work"
printf 'From: Carol Crane <carol@example.org>\nTo: you@example.org\nSubject: Alpha bravo charlie delta echo foxtrot golf hotel india\nDate: Mon, 06 Jan 2020 12:00:00 +0000\nMessage-ID: <s1@test>\n\nbody\n' |
	store_add_message "$DATA" work INBOX s1
store_index "$DATA" work || { echo "FAIL - cannot index"; exit 1; }
cat > "$T/a.rc" <<EOF2
set data_dir = "$DATA"
account work
set imap_url = imaps://alice@imap.work.example
EOF2

ui_start -x 80 -y 24 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "index at 80x24 with the sidebar" ui_wait "Alpha bravo"
check "the sidebar is there" eval 'ui_row 1 | grep -q "^work "'
check "the subject keeps at least 25 columns" ui_until eval 'ui_row 1 | grep -qF "Alpha bravo charlie delta"'
ui_resize 59 24
check "hidden below 60 columns" ui_wait_gone "│"
ui_resize 80 24
check "back at 80 columns" ui_wait "│"
ui_keys B
check "B hides the sidebar" ui_wait_gone "│"
check "the toggle is written to the state file" ui_until eval 'grep -qx "sidebar_visible = no" "$DATA/state/@reader"'
ui_keys q
st=$(ui_exited); check "quits (status $st)" [ "$st" = 0 ]

ui_start -x 80 -y 24 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "restarted" ui_wait "Alpha bravo"
check "the sidebar stays hidden after a restart" eval '! ui_screen | grep -q "│"'
ui_keys B
check "B shows it again" ui_wait "│"
ui_keys q
st=$(ui_exited); check "quits (status $st)" [ "$st" = 0 ]

ui_start -x 80 -y 24 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "shown after the next restart" ui_wait "│"
check "the sidebar lists the account" ui_until eval 'ui_row 1 | grep -q "^work "'
ui_keys q
st=$(ui_exited); check "quits (status $st)" [ "$st" = 0 ]
finish
