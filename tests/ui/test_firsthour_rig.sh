#!/bin/bash
# test_firsthour_rig.sh - issue 12 items that need a real server: a
# password from imap_pass_cmd that the server refuses is explained (not
# just "offline"), logged, and not tried again by itself.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
ui_rig_start

cat > "$T/a.rc" <<EOR
set data_dir = "$DATA"
account work
set imap_url = "imaps://$RIG_USER@127.0.0.1:$RIG_IMAPS_PORT"
set imap_pass_cmd = "echo not-the-password"
set tls_ca_file = "$RIG_CA"
EOR
chmod 600 "$T/a.rc"

ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "the reader opens" ui_wait "-- muttlike: work"
check "the status says why it is offline (item 3)" ui_wait "offline: login refused: " 30
check "with the server's words" eval 'ui_screen | grep -q "login refused: .*Authentication failed"'
check "the message line says it too" ui_until eval 'ui_row 29 | grep -q "work: login refused:"'
check "and the log has it" ui_until grep -q "login refused" "$DATA/log"
ui_keys q
ui_exited >/dev/null
finish
