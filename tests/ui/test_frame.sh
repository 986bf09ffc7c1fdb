#!/bin/bash
# test_frame.sh - the reader's frame in a real terminal (tmux): accounts,
# config problems shown harmlessly, resize, quit.
source "$(dirname "$0")/lib.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"

printf 'account work\nset imap_url = imaps://alice@imap.work.example\naccount home\nset imap_url = imap://bob@mail.home.example\nset \033[31mevil\033]0;pwned\007 = 1\n' > "$T/a.rc"
ui_start "$MUTTLIKE_BIN" -F "$T/a.rc"
check "shows the accounts" ui_wait "work  imaps://alice@imap.work.example"
check "shows the second account" ui_wait "home  imap://bob@mail.home.example"
check "lists the config problem with file:line" ui_wait "a.rc:5: unknown option"
check "escape sequences from the rc are shown harmlessly" ui_wait "'?[31mevil?]0;pwned?'"
check "status line on the second-to-last row" eval 'ui_row 22 | grep -q -- "-- muttlike: 2 accounts"'
check "the first account is selected" eval 'ui_screen | grep -q "> work"'
ui_keys j
check "j moves to the next account" ui_wait "> home"
ui_resize 120 40
check "redraws after a resize (status on the new second-to-last row)" eval 'sleep 0.3; ui_row 38 | grep -q -- "-- muttlike: 2 accounts"'
ui_resize 80 24
ui_keys q
st=$(ui_exited); check "q quits with status 0 (got $st)" [ "$st" = 0 ]

printf '' > "$T/empty.rc"
ui_start "$MUTTLIKE_BIN" -F "$T/empty.rc"
check "no account: says how to add one" ui_wait "No account is configured."
check "no account: points at setup" ui_wait "muttlike setup"
ui_keys q
st=$(ui_exited); check "quits (status $st)" [ "$st" = 0 ]
check "the log file was created 0600 in data_dir" eval '[ "$(stat -c %a "$HOME/.local/share/muttlike/log")" = 600 ]'
finish
