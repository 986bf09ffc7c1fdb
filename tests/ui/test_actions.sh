#!/bin/bash
# test_actions.sh - the reader's actions go through the account manager:
# applied to the local store at once, pushed to the rig's Dovecot by the
# reader's own background sync.  Checked on the server (doveadm, not our
# code): F sets \Flagged, N removes \Seen, d moves to Trash; then, with
# the server stopped, the reader opens offline, says so, queues a flag
# change, and `$` pushes it once the server is back.
source "$(dirname "$0")/lib.sh"
T=$UI_TMP
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data

# the rig lives in its own directory: Dovecot's users must reach it, and $T is 0700
source "$(dirname "$0")/servers.sh"
ui_rig_start
ui_rig_rawlog # the passes begun, for the quick undo below

mkdir -p "$T/seed/INBOX/cur" "$T/seed/INBOX/new" "$T/seed/INBOX/tmp"
n=0
for s in Alpha Beta Gamma; do
	n=$((n + 1))
	printf 'From: Bob <bob@example.org>\nTo: Alice <alice@example.org>\nSubject: %s note\nDate: Tue, 0%d Jan 2030 10:00:00 +0000\nMessage-ID: <%s@test.example>\n\nBody of %s.\n' \
		"$s" "$n" "$s" "$s" > "$T/seed/INBOX/cur/189349200$n.M1P1.rig:2,S"
done
"$SRC/tests/rig/rig" populate "$RIGDIR" alice "$T/seed" >/dev/null

cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set sidebar_visible = no
set confirm_delete = no
account work
set imap_url = "imaps://$RIG_USER@127.0.0.1:$RIG_IMAPS_PORT"
set imap_pass = "$RIG_PASS"
set tls_ca_file = "$RIG_CA"
EOF
chmod 600 "$T/a.rc"

"$MUTTLIKE_BIN" -F "$T/a.rc" sync >"$T/sync1.log" 2>&1
check "the first sync fills the store" eval 'ls "$DATA/mail/work/INBOX/cur" | grep -q .'

# server-side queries, through Dovecot's own tool
srv() { "$SRC/tests/rig/rig" doveadm "$RIGDIR" search -u alice "$@" 2>/dev/null | wc -l; }
# wait (up to 30 s) until the server answers a query with N messages
# a new session (ui_start ends the old tmux server and waits for it)
restart_ui() { ui_start "$@"; }
srv_wait() { # N QUERY...
	local want=$1 i
	shift
	for ((i = 0; i < 150; i++)); do
		[ "$(srv "$@")" = "$want" ] && return 0
		sleep 0.2
	done
	echo "server: '$*' gave $(srv "$@"), wanted $want" >&2
	return 1
}

ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "the reader opens on the INBOX" ui_wait "-- muttlike: work/INBOX [Msgs:3"
check "the start-up sync ends" ui_wait_synced

ui_keys F
check "F says flagged" ui_wait "1 message flagged."
check "F: the server gets \\Flagged" srv_wait 1 mailbox INBOX FLAGGED

ui_keys N
check "N says marked unread" ui_wait "1 message marked unread."
check "N: the server loses \\Seen" srv_wait 1 mailbox INBOX UNSEEN

ui_keys Enter
check "Enter opens the message" ui_wait "Body of"
check "opening marks it read on the server" srv_wait 0 mailbox INBOX UNSEEN
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null

ui_keys N
ui_wait "1 message marked unread." >/dev/null
ui_keys C-r
check "read-thread marks the thread read" ui_wait "1 message marked read."
check "read-thread: the server has \\Seen again" srv_wait 0 mailbox INBOX UNSEEN

ui_keys d
check "d says moved to Trash" ui_wait "moved to Trash"
check "d: the message is in the server's Trash" srv_wait 1 mailbox Trash ALL
check "d: and gone from the server's INBOX" srv_wait 2 mailbox INBOX ALL
check "the index shows two messages" ui_wait "[Msgs:2"

ui_keys u
check "u restores the deleted message" ui_wait "Restored 1 message."
check "u: back in the server's INBOX" srv_wait 3 mailbox INBOX ALL
check "u: and out of the server's Trash" srv_wait 0 mailbox Trash ALL
check "u: still flagged on the server" srv_wait 1 mailbox INBOX FLAGGED

# undone before any sync ran: nothing reaches the server, once the pass
# the two changes asked for has begun (its LIST) and ended (the status
# line no longer says syncing; not IDLE again: a change made during a
# pass can keep the worker out of IDLE until the next one)
ui_wait_synced >/dev/null
n=$(rig_lists)
ui_keys d
ui_wait "moved to Trash" >/dev/null
ui_keys u
check "a quick undo restores too" ui_wait "Restored 1 message."
ui_until eval "[ \"\$(rig_lists)\" -gt $n ]"
ui_wait_synced >/dev/null
check "a quick undo leaves the server's INBOX alone" srv_wait 3 mailbox INBOX ALL
check "and its Trash empty" [ "$(srv mailbox Trash ALL)" = 0 ]

ui_keys '`'
ui_wait "Tags (+tag -tag):" >/dev/null
ui_type "+project"
ui_keys Enter
check "modify-tags changes tags" ui_wait "Tags changed on 1 message."

ui_keys A
check "A archives" ui_wait "1 message archived."
check "A: the server's Archive has it" srv_wait 1 mailbox Archive ALL
check "A: the server's INBOX has two" srv_wait 2 mailbox INBOX ALL
check "the index shows two messages" ui_wait "[Msgs:2"

ui_keys q
st=$(ui_exited); check "q quits with status 0 (got $st)" [ "$st" = 0 ]

# ---- offline: the server is down when the reader starts ----
"$SRC/tests/rig/rig" stop "$RIGDIR" >/dev/null 2>&1
restart_ui -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "offline: the reader opens" ui_wait "-- muttlike: work/INBOX [Msgs:2"
check "offline: the status line says offline" ui_wait "offline" 30
# Gamma (row 1) is flagged already: flag Beta (row 2)
ui_keys j F
check "offline: F still works locally" ui_wait "1 message flagged."
check "offline: the change is in the file name" ui_until eval '[ "$(ls "$DATA/mail/work/INBOX/cur" | grep -c ":2,.*F")" = 2 ]'
ui_keys k
check "offline: the UI keeps working" ui_wait "-- muttlike: work/INBOX [Msgs:2"

RIG_QUIET=1 "$SRC/tests/rig/rig" restart-with-cert "$RIGDIR" server >/dev/null 2>&1
source "$RIGDIR/rig.env"
check "the server is back" eval '"$SRC/tests/rig/rig" status "$RIGDIR" >/dev/null'
ui_keys '$'
check "\$: the queued flag reaches the server" srv_wait 2 mailbox INBOX FLAGGED
check "\$: the offline marker goes" ui_wait_gone "offline" 30

ui_keys q
st=$(ui_exited 5); check "q quits quickly with status 0 (got $st)" [ "$st" = 0 ]

"$MUTTLIKE_BIN" -F "$T/a.rc" sync >"$T/sync2.log" 2>&1
check "a sync afterwards agrees with the server" \
	eval 'RIG_USER=$RIG_USER python3 "$SRC/tests/integration/imapctl.py" compare "$DATA/mail/work" >"$T/compare.log" 2>&1'
check "no duplicate was left locally" eval '[ "$(ls "$DATA/mail/work/INBOX/cur" | wc -l)" = 2 ] && [ "$(ls "$DATA/mail/work/Archive/cur" | wc -l)" = 1 ] && [ "$(ls "$DATA/mail/work/Trash/cur" | wc -l)" = 0 ]'

# ---- delete in the Trash: gone for good ----
restart_ui -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
ui_wait "-- muttlike: work/INBOX [Msgs:2" >/dev/null
ui_wait_synced >/dev/null
ui_keys C
ui_wait "Copy to folder:" >/dev/null
ui_type "Archive"
ui_keys Enter
check "C copies" ui_wait "1 message copied to Archive."
check "C: the server's Archive has the copy" srv_wait 2 mailbox Archive ALL
check "C: the INBOX keeps the original" srv_wait 2 mailbox INBOX ALL
ui_keys d
check "d again: to the server's Trash" srv_wait 1 mailbox Trash ALL
ui_keys c
ui_wait "Open folder:" >/dev/null
ui_type "Trash"
ui_keys Enter
check "the Trash opens" ui_wait "Trash [Msgs:1"
ui_keys d
check "d in the Trash expunges on the server" srv_wait 0 mailbox Trash ALL
check "and nothing came back to the INBOX" srv_wait 1 mailbox INBOX ALL
ui_keys q
ui_exited >/dev/null

[ "${UI_FAILED}" -eq 0 ] || { echo "--- logs"; cat "$T"/sync*.log "$T/compare.log" 2>/dev/null; }
finish
