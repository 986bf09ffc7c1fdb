#!/bin/bash
# test_frame.sh - the reader's frame in a real terminal (tmux) before any
# sync: accounts in the sidebar, no store yet said plainly, config
# problems shown harmlessly, help, resize, quit.
source "$(dirname "$0")/lib.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"

printf 'account work\nset imap_url = imaps://alice@imap.work.example\naccount home\nset imap_url = imap://bob@mail.home.example\nset \033[31mevil\033]0;pwned\007 = 1\n' > "$T/a.rc"
ui_start "$MUTTLIKE_BIN" -F "$T/a.rc"
check "the sidebar lists the first account" ui_wait "work"
check "the sidebar lists the second account" ui_until eval 'ui_screen | grep -q "^home "'
check "no store yet: says so and what to do" ui_wait "run a sync first"
check "the config problem with file:line on the message line" ui_until eval 'ui_row 23 | grep -q "a.rc:5: unknown option"'
# (config errors are stored sanitized, control bytes as '?': text_print)
check "escape sequences from the rc are shown harmlessly" ui_until eval 'ui_row 23 | grep -qF "?[31mevil?]0;pwned?"'
check "status line on the second-to-last row" ui_until eval 'ui_row 22 | grep -q -- "-- muttlike: work/INBOX"'
ui_keys '?'
check "help screen from the live keymap" ui_wait "Help for index"
ui_keys '*'
check "help lists the config problems" ui_wait "Config problems (1):"
ui_keys q
check "back from help" ui_wait "-- muttlike: work/INBOX"
ui_keys Escape a
check "next-account switches to home" ui_wait "-- muttlike: home/INBOX"
ui_resize 120 40
check "redraws after a resize (status on the new second-to-last row)" ui_until eval 'ui_row 38 | grep -q -- "-- muttlike: home"'
ui_resize 80 24
ui_keys x
check "an unbound key says so" ui_wait "Key is not bound."
ui_keys q
st=$(ui_exited); check "q quits with status 0 (got $st)" [ "$st" = 0 ]

printf '' > "$T/empty.rc"
ui_start "$MUTTLIKE_BIN" -F "$T/empty.rc"
check "no account: says how to add one" ui_wait "No account is configured."
check "no account: points at setup" ui_wait "muttlike setup"
ui_keys q
st=$(ui_exited); check "quits (status $st)" [ "$st" = 0 ]
check "the log file was created 0600 in data_dir" eval '[ "$(stat -c %a "$HOME/.local/share/muttlike/log")" = 600 ]'

printf 'account work\nset imap_url = imaps://alice@imap.work.example\n' > "$T/b.rc"
NO_COLOR=1 ui_start env NO_COLOR=1 "$MUTTLIKE_BIN" -F "$T/b.rc"
check "starts with NO_COLOR" ui_wait "-- muttlike: work/INBOX"
ui_keys :
ui_type "account nosuch"
ui_keys Enter
check ":account with an unknown name is an error" ui_wait "No account named 'nosuch'."
ui_keys q
st=$(ui_exited); check "q quits (status $st; Q is query in the index)" [ "$st" = 0 ]
finish
