#!/bin/bash
# test_rc_errors.sh - what muttlike prints about a bad rc (issue 17, item
# 2): escape bytes in an rc line never reach the terminal (stderr, the
# message line, :help), and a long run of errors from one file, such as a
# binary read as an rc, is cut to a few lines and "... and N more errors".
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data

printf 'foo\033]0;PWNED\007 bar\nset editor = "vi"\nset sort\033[2J = x\n' > "$T/esc.rc"
head -c 300000 "$MUTTLIKE_BIN" > "$T/binary.rc"
title() { tmux -L "$UI_SOCK" display -p "#{pane_title}"; }
# Start muttlike once the pane is ready (a key), so that nothing it prints
# races the pane's first resize.
ui_start_on_key() {
	ui_start -x 120 -y 30 sh -c 'read _; exec "$0" "$@"' "$@"
	ui_keys Enter
}

# stderr on a terminal
ui_start_on_key "$MUTTLIKE_BIN" -F "$T/esc.rc" check
check "check ends (exit 2: no account)" eval '[ "$(ui_exited)" = 2 ]'
check "the unknown command is named, its escape bytes shown as '?'" \
	ui_wait "esc.rc:1: unknown command 'foo?]0;PWNED?'"
check "the terminal title was not changed" eval '! title | grep -q PWNED'
check "the screen was not cleared by the second line's CSI" ui_wait "esc.rc:3:"

# the same bytes captured: no ESC, BEL or other C0 control but the newline
"$MUTTLIKE_BIN" -F "$T/esc.rc" check 2> "$T/esc.err" >/dev/null
check "stderr holds no control byte" eval '! LC_ALL=C grep -q "[[:cntrl:]]" "$T/esc.err" && [ -s "$T/esc.err" ]'
"$MUTTLIKE_BIN" -F "$T/binary.rc" check 2> "$T/bin.err" >/dev/null
check "a binary rc: no control byte on stderr" eval '! LC_ALL=C grep -q "[[:cntrl:]]" "$T/bin.err"'
check "a binary rc: at most $((10 + 2)) lines" eval '[ "$(wc -l < "$T/bin.err")" -le 12 ]'
check "a binary rc: the rest is counted" eval 'grep -Eq "^muttlike: \.\.\. and [0-9]+ more errors in .*binary.rc$" "$T/bin.err"'

ui_start_on_key "$MUTTLIKE_BIN" -F "$T/binary.rc" check
check "on the terminal too, the run is cut" ui_wait "more errors in $T/binary.rc"
check "and the title is untouched" eval '! title | grep -q PWNED'

# the reader: the message line and :help
printf 'From: a@example.org\nSubject: hello\nDate: Tue, 01 Jan 2030 10:00:00 +0000\nMessage-ID: <h1@test>\n\nhi\n' |
	store_add_message "$DATA" work INBOX h1
store_index "$DATA" work || { echo "FAIL - cannot build the store"; exit 1; }
cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
account work
set imap_url = imaps://alice@imap.work.example
EOF
cat "$T/esc.rc" >> "$T/a.rc"
ui_start -x 120 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "the reader starts despite the errors" ui_wait "hello"
check "the message line names the first error, sanitized" ui_wait "unknown command 'foo?]0;PWNED?'"
check "the reader left the title alone" eval '! title | grep -q PWNED'
ui_keys '?'
ui_wait "Help for index" >/dev/null
ui_keys '*'
check ":help lists the config problems, sanitized" ui_wait "Config problems (2):"
check ":help shows the CSI line harmlessly" ui_until eval 'ui_screen | grep -q "a.rc:6: .*sort?\[2J"'
ui_keys q q
finish
