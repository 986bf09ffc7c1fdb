#!/bin/bash
# test_keys.sh - keymaps from keymaps/NAME.keys plus the rc's bind and
# macro lines, themes on small terminals, the messages (non-threaded) index.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
store_make "$DATA" work --seed 9 --count 60 >/dev/null || { echo "FAIL - cannot build the store"; exit 1; }

cat > "$T/vim.rc" <<EOF2
set data_dir = "$DATA"
set keymap = vim
set theme = solarized-dark
set threads = no
bind index x toggle-threads
macro index X "<change-folder>Archive<Enter>" "open the archive"
account work
set imap_url = imaps://alice@imap.work.example
EOF2
ui_start "$MUTTLIKE_BIN" -F "$T/vim.rc"
check "messages index (threads = no)" ui_wait "-- muttlike: work/INBOX [Msgs:"
check "no thread count in message mode" eval '! ui_row 22 | grep -q "Threads:"'
ui_keys G
check "vim G goes to the last entry" ui_until eval 'ui_screen | grep -qE "^ *[a-zA-Z ]+[0-9]+/[0-9]+│ +[0-9]+ " && ui_screen | grep -E "│" | tail -1 | grep -q "$(NOTMUCH_CONFIG=$DATA/notmuch-config notmuch count folder:work/INBOX)"'
ui_keys g g
check "vim gg goes back to the first entry" ui_until eval 'ui_row 1 | grep -q "│   1 "'
ui_keys x
check "an rc bind runs its function" ui_wait "Showing threads."
check "threads now" ui_wait "Threads:"
ui_keys X
check "an rc macro replays its keys" ui_wait "-- muttlike: Archive [Msgs:"
ui_keys '?'
ui_keys /
ui_type "open the arch"
ui_keys Enter
check "help lists the macro with its description" ui_wait "open the archive"
ui_keys /
ui_type "^gg "
ui_keys Enter
check "help lists vim's gg" ui_until eval 'ui_screen | grep -q "^gg  *first-entry"'
ui_keys q q
st=$(ui_exited); check "quits (status $st)" [ "$st" = 0 ]

# 8-colour terminal: 256-colour themes fold down; still usable
printf 'set data_dir = "%s"\naccount work\nset imap_url = imaps://a@b.example\n' "$DATA" > "$T/plain.rc"
ui_start env TERM=xterm "$MUTTLIKE_BIN" -F "$T/plain.rc"
check "starts on an 8-colour terminal" ui_wait "-- muttlike: work/INBOX [Msgs:"
ui_keys :
ui_type "set theme = nosuch"
ui_keys Enter
check "a missing theme is reported, the reader goes on" ui_wait "theme 'nosuch' not found"
ui_keys q
st=$(ui_exited); check "quits (status $st)" [ "$st" = 0 ]
finish
