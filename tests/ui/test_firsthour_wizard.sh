#!/bin/bash
# test_firsthour_wizard.sh - issue 12, item 2: the first start's setup form
# is not written over by the core's log lines (discover's "trying ..."),
# ^L repaints it, and alice@localhost is taken when the servers are given
# by hand.  No servers needed: discovery of a domain that does not resolve
# still logs every step.
source "$(dirname "$0")/lib.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=$T/xdg
mkdir -p "$HOME"

# first start: no rc, the reader runs the wizard (the core logs at info level)
ui_start "$MUTTLIKE_BIN"
check "first start shows the form" ui_wait "who you are"
ui_type "Alice"; ui_keys Tab
ui_type "alice@nowhere.invalid"; ui_keys Enter Enter Enter
seen_log() { ui_screen | grep -q "muttlike: discover"; }
# until discovery is over (its page or its error), the log must not show
for _ in $(seq 600); do
	seen_log && break
	ui_screen | grep -qE "\(2/5\)|found no|not find|No server|could not" && break
	sleep 0.05
done
check "no log line was written over the form (item 2)" eval '! seen_log'
ui_screen > "$T/after-discovery.screen"
ui_keys C-l
check "^L repaints the form" ui_wait "muttlike setup"
ui_keys C-c
ui_exited 30 >/dev/null

# servers by hand: a local domain is fine
ui_start "$MUTTLIKE_BIN" -F "$T/local.rc" setup --imap-url imaps://127.0.0.1:1 --smtp-url smtp://127.0.0.1:1
check "setup form" ui_wait "who you are"
ui_type "Alice"; ui_keys Tab
ui_type "alice@localhost"; ui_keys Enter Enter Enter
check "alice@localhost is taken with servers given by hand (item 2)" ui_wait "(2/5)" 30
check "not 'not a valid mail domain'" eval '! ui_screen | grep -q "not a valid mail domain"'
ui_keys C-c
ui_exited 30 >/dev/null
finish
