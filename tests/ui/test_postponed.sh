#!/bin/bash
# test_postponed.sh - a draft postponed while offline (issue 12 item 4):
# it is indexed at once (its folder opens with it, the sidebar counts it)
# without any sync, and recall-message (R) away from Drafts offers the
# postponed messages directly: the only one at once, else a list to pick
# from, as mutt does.  The account's server does not exist: offline.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
printf 'From: Bob <bob@example.org>\nTo: you@example.org\nSubject: Hello\nDate: Tue, 01 Jan 2030 10:00:00 +0000\nMessage-ID: <h1@test>\n\nHi.\n' |
	store_add_message "$DATA" work INBOX h1
store_index "$DATA" work || { echo "FAIL - cannot build the store"; exit 1; }
cat > "$T/editor.sh" <<'EOF'
#!/bin/sh
# a new message (empty Subject) gets "Plan one", the next "Plan two"; a recalled draft keeps its own
grep -q '^Subject: *$' "$1" || exit 0
n=$(cat "$EDIT_COUNT" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "$EDIT_COUNT"
case $n in 1) s="Plan one" ;; *) s="Plan two" ;; esac
sed -i "s/^To: *\$/To: Bob <bob@example.org>/; s/^Subject: *\$/Subject: $s/" "$1"
EOF
chmod +x "$T/editor.sh"
export EDIT_COUNT=$T/count
cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set editor = "$T/editor.sh"
set sidebar_visible = yes
set sidebar_width = 22
account work
set imap_url = imaps://alice@imap.invalid
set from = "Alice <alice@example.org>"
EOF

ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
ui_wait "-- muttlike: work/INBOX"
check "the account is offline" ui_wait "offline" 30
ui_keys R
check "recall with nothing postponed says so" ui_wait "No postponed messages."
ui_keys m
check "the compose screen opens" ui_wait "-- Compose: new message"
ui_keys P
check "postponed" ui_wait "Message postponed to"
drafts_counted() { # the sidebar's Drafts row says N messages
	local i
	for i in $(seq 600); do
		ui_screen | grep -Eq "Drafts +$1([^0-9/]|\$)" && return 0
		sleep 0.05
	done
	ui_screen >&2
	return 1
}
check "the sidebar lists Drafts with the draft counted" drafts_counted 1
# the draft indexed (counted above): a problem with it would be reported by now
check "no indexing problem is reported" eval '! ui_screen | grep -q "could not be indexed"'
ui_keys R
check "R away from Drafts recalls the only draft at once" ui_wait "-- Compose: postponed message"
check "it is the postponed one" ui_wait "Subject: Plan one"
ui_keys P
check "postponed again" ui_wait "Message postponed to"
ui_keys m
check "a second message" ui_wait "-- Compose: new message"
ui_keys P
ui_wait "-- muttlike: work/INBOX" >/dev/null
ui_keys R
check "with two drafts R lists the postponed messages" ui_wait "-- Postponed messages (2) --"
check "the list shows both subjects" ui_until eval 'ui_screen | grep -q "Plan one" && ui_screen | grep -q "Plan two"'
ui_keys q
check "exit leaves the list" ui_wait "-- muttlike: work/INBOX"
ui_keys c
ui_type "Drafts"
ui_keys Enter
check "the Drafts folder opens with both drafts, unsynced (indexed at once)" \
	eval 'ui_wait "muttlike: Drafts [Msgs:2" && ui_wait "Plan one" && ui_wait "Plan two"'
ui_keys c
ui_type "INBOX"
ui_keys Enter
ui_wait "muttlike: INBOX [" >/dev/null
ui_keys R
ui_wait "-- Postponed messages (2) --" >/dev/null
check "newest first" ui_until eval 'ui_screen | grep -A1 "# Postponed" | tail -1 | grep -q "Plan two"'
ui_keys Down Enter
check "select-entry recalls the chosen draft" eval 'ui_wait "-- Compose: postponed message" && ui_wait "Subject: Plan one"'
ui_keys q
ui_keys q
finish
