#!/bin/bash
# test_outbox.sh - the outbox screen (view-outbox) and recalled drafts, end
# to end: the rig's Dovecot, the private Postfix of
# tests/integration/smtp-rig, the reader in tmux with a scripted $EDITOR.
# Checked: a send that fails (Postfix stopped) is listed with its reason
# and attempts, and counted on the status line; while another process
# holds its lock it shows as sending and cannot be deleted or edited;
# edit takes it out of the queue (held) and an abort puts it
# back unchanged; edit + send replaces it with the new text; delete asks
# and removes it; send-message after Postfix is back delivers it (the new
# body, not the old; the deleted one never) and the list empties; a
# recalled draft, once sent, is gone from Drafts locally and, after the
# background sync, on the server (expunged, not moved to the Trash), also
# when it is postponed again.  The server's \Sent and \Drafts folders have
# other names ("Sent Messages", "Brouillons"): the Sent copy, postpone and
# recall all follow the SPECIAL-USE folders the sync recorded (roles.h).
source "$(dirname "$0")/lib.sh"
T=$UI_TMP
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
OB=$DATA/state/work/outbox

source "$(dirname "$0")/servers.sh"
RIG_SENT_NAME="Sent Messages" RIG_DRAFTS_NAME=Brouillons ui_rig_start
ui_smtp_start || { echo "FAIL - the SMTP rig did not start"; echo "0 passed, 1 failed"; exit 1; }

# the server: a message in the INBOX, a postponed draft in Drafts
for f in INBOX Brouillons; do mkdir -p "$T/seed/$f/cur" "$T/seed/$f/new" "$T/seed/$f/tmp"; done
printf 'From: Bob <bob@example.org>\nTo: Alice <alice@example.org>\nSubject: Hello Alice\nDate: Tue, 01 Jan 2030 10:00:00 +0000\nMessage-ID: <in1@test.example>\n\nHi.\n' \
	> "$T/seed/INBOX/cur/1893492000.M1P1.rig:2,S"
printf 'From: Alice <alice@example.org>\nTo: Carol <carol@example.org>\nSubject: Half-written plan\nDate: Tue, 01 Jan 2030 11:00:00 +0000\nMessage-ID: <draft1@test.example>\nContent-Type: text/plain; charset=utf-8\n\nThe plan so far.\n' \
	> "$T/seed/Brouillons/cur/1893495600.M2P1.rig:2,DS"
"$SRC/tests/rig/rig" populate "$RIGDIR" alice "$T/seed" >/dev/null

# the scripted editor: what it does is in $T/editor.mode
cat > "$T/editor.sh" <<'EOF'
#!/bin/sh
f=$1
case "$(cat "$EDITOR_MODE_FILE")" in
one) sed -i 's/^To: *$/To: Bob <bob@example.org>/; s/^Subject: *$/Subject: Outbox one/' "$f"
     printf 'The first body.\n' >> "$f" ;;
two) sed -i 's/^To: *$/To: Dave <dave@example.org>/; s/^Subject: *$/Subject: Delete me/' "$f"
     printf 'Never to be sent.\n' >> "$f" ;;
rewrite) sed -i 's/The first body\./The edited body./' "$f" ;;
draft) printf 'Finished after the recall.\n' >> "$f" ;;
keep) ;;
esac
EOF
chmod +x "$T/editor.sh"
export EDITOR_MODE_FILE=$T/editor.mode
mode() { echo "$1" > "$T/editor.mode"; }

ui_rig_rc "$T/a.rc" "$DATA" "$T/editor.sh"

"$MUTTLIKE_BIN" -F "$T/a.rc" sync >"$T/sync1.log" 2>&1
DRAFTS=$DATA/mail/work/Brouillons
check "the first sync brings the draft from the server's \\Drafts" eval 'grep -lq "Half-written plan" "$DRAFTS"/cur/*'

delivered() { grep -l "^Subject: $1" "$SMTP_MAILDIR"/new/* "$SMTP_MAILDIR"/cur/* 2>/dev/null | head -1; }
wait_delivered() { for _ in $(seq 300); do [ -n "$(delivered "$1")" ] && return 0; sleep 0.1; done; return 1; }
envs() { ls "$OB" | grep -c '\.env$'; }

ui_start -x 140 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "the reader opens on the INBOX" ui_wait "-- muttlike: work/INBOX"

# ---- Postfix stopped: the send fails and the outbox screen says why ----
"$SRC/tests/integration/smtp-rig" stop "$SMTPDIR" >/dev/null 2>&1
mode one
ui_keys m
ui_wait "-- Compose: new message" >/dev/null
ui_keys y
check "the send fails and stays in the outbox" ui_wait "Not sent, kept in the outbox:" 30
status_row() { ui_row 28; }
status_says() { for _ in $(seq 600); do status_row | grep -q "$1" && return 0; sleep 0.05; done; status_row >&2; return 1; }
# the status line is drawn and no longer says it
status_clears() {
	local r
	for _ in $(seq 600); do
		r=$(status_row)
		[ -n "$r" ] && ! grep -q "$1" <<<"$r" && return 0
		sleep 0.05
	done
	status_row >&2; return 1
}
check "the status line counts the waiting message" status_says "outbox: 1 *$"
ui_keys O
check "view-outbox (O) opens the outbox screen" ui_wait "-- Outbox: work (1 message)"
check "the row shows To and Subject" eval 'ui_screen | grep -q "Bob <bob@example.org> *Outbox one"'
check "the row shows the state failed with the reason" eval 'ui_screen | grep "Outbox one" | grep -q "failed: .*127.0.0.1"'
check "the row shows one attempt" eval 'ui_screen | grep "Outbox one" | grep -Eq "Outbox one +1  failed"'
[ -n "${OUTBOX_CAPTURE:-}" ] && ui_screen > "$OUTBOX_CAPTURE"
check "the help bar shows the outbox keys" eval 'ui_row 0 | grep -q "y:send-message" && ui_row 0 | grep -q "e:edit-message"'
ui_keys '?'
check "help lists the outbox functions" ui_wait "delete-message"
ui_keys q
ui_wait "-- Outbox: work" >/dev/null

# ---- view: the message in the pager ----
ui_keys Enter
check "display-message opens it in the pager" ui_wait "The first body."
ui_keys q
ui_wait "-- Outbox: work" >/dev/null

# ---- while someone sends it (another reader holds its lock), it is left alone ----
OLD_ID=$(ls "$OB" | sed -n 's/\.env$//p')
# the holder says when it has the lock, and keeps it until $T/unlock
flock -x "$OB/$OLD_ID.eml" sh -c 'touch "$1/locked"; while [ ! -e "$1/unlock" ]; do sleep 0.05; done' sh "$T" &
LOCKER=$!
ui_until test -e "$T/locked"
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null
ui_keys O
check "a message being sent shows as sending" eval 'ui_wait "-- Outbox: work" && ui_screen | grep "Outbox one" | grep -q " sending"'
ui_keys d
ui_wait "Delete this message from the outbox for good?" >/dev/null
ui_keys y
check "it cannot be deleted while it is sent" ui_wait "being sent right now; it cannot be deleted"
check "and it is still there" [ -f "$OB/$OLD_ID.env" ]
ui_keys e
check "nor edited" ui_wait "being sent right now; try again"
check "nor held" eval '[ -f "$OB/$OLD_ID.env" ] && [ ! -e "$OB/$OLD_ID.held" ]'
touch "$T/unlock"
wait "$LOCKER"
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null
ui_keys O
check "once the lock is gone it is failed again" eval 'ui_wait "-- Outbox: work" && ui_screen | grep "Outbox one" | grep -q "failed: "'

# ---- edit, then abort: back unchanged ----
mode rewrite
ui_keys e
check "edit-message opens the compose screen on the queued text" ui_wait "-- Compose: queued message"
check "while it is edited the entry is held, not queued" eval '[ -f "$OB/$OLD_ID.held" ] && [ ! -f "$OB/$OLD_ID.env" ]'
ui_keys q
check "abort asks" ui_wait "Abort the changes?"
ui_keys y
check "abort puts it back" ui_wait "the message is back in the outbox"
check "the same entry is queued again" eval '[ -f "$OB/$OLD_ID.env" ] && [ ! -f "$OB/$OLD_ID.held" ]'
check "with its text unchanged" grep -q "The first body." "$OB/$OLD_ID.eml"
check "the outbox screen shows it again" ui_wait "-- Outbox: work (1 message)"

# ---- edit, then send (Postfix still down): the new text replaces the old ----
ui_keys e
ui_wait "-- Compose: queued message" >/dev/null
ui_keys y
check "the edited message fails again (Postfix is down)" ui_wait "Not sent, kept in the outbox:" 30
check "the old entry is gone" eval '[ ! -e "$OB/$OLD_ID.eml" ] && [ ! -e "$OB/$OLD_ID.held" ]'
check "one entry, with the edited text" eval '[ "$(envs)" = 1 ] && grep -q "The edited body." "$OB"/*.eml'
check "the list follows: one message" ui_wait "-- Outbox: work (1 message)"

# ---- a second message, deleted after confirmation ----
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null
mode two
ui_keys m
ui_wait "-- Compose: new message" >/dev/null
ui_keys y
ui_wait "Not sent, kept in the outbox:" 30 >/dev/null
ui_keys O
check "both messages are listed" ui_wait "-- Outbox: work (2 messages)"
check "the status line counts two" status_says "outbox: 2 *$"
check "the second is there, below the first (oldest first)" \
	eval 'ui_screen | grep -A1 "Outbox one" | grep -q "Delete me"'
ui_keys j d
check "delete asks first" ui_wait "Delete this message from the outbox for good?"
ui_keys n
ui_settled >/dev/null # the answer handled: a deletion it made would be done
check "no keeps it" eval 'ui_wait "-- Outbox: work (2 messages)" && [ "$(envs)" = 2 ]'
ui_keys d
ui_wait "Delete this message from the outbox for good?" >/dev/null
ui_keys y
check "yes deletes it" ui_wait "Message deleted from the outbox."
check "one left on screen" ui_wait "-- Outbox: work (1 message)"
check "one left on disk, not the deleted one" eval '[ "$(envs)" = 1 ] && ! grep -q "Delete me" "$OB"/*.eml'

# ---- Postfix back: send now delivers it, the list empties ----
SMTP_RIG_SAME_PORTS=1 "$SRC/tests/integration/smtp-rig" start "$SMTPDIR" $$ >/dev/null ||
	echo "FAIL - the SMTP rig did not restart"
ui_keys y
check "send-message sends in the background" ui_wait "1 message sent." 30
check "the list empties" ui_wait "-- Outbox: work (0 messages)"
check "the status line no longer counts" status_clears "outbox: [0-9]"
check "the outbox is empty on disk" eval '[ "$(envs)" = 0 ] && ! ls "$OB" | grep -q "\.held$"'
check "Postfix delivered it" wait_delivered "Outbox one"
check "with the edited body" eval 'grep -q "The edited body." "$(delivered "Outbox one")"'
check "not the old one" eval '! grep -q "The first body." "$(delivered "Outbox one")"'
check "the Sent copy is in the server's \\Sent folder (locally)" \
	eval 'grep -lq "^Subject: Outbox one" "$DATA/mail/work/Sent Messages"/cur/*'
check "the deleted message never left" eval '[ -z "$(delivered "Delete me")" ]'

# ---- recall a draft, send it: the draft goes, locally and on the server ----
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null
ui_keys c
ui_type "Brouillons"
ui_keys Enter
check "the Drafts folder opens" ui_wait "-- muttlike: Brouillons"
check "with the draft" ui_wait "Half-written plan"
draft_files() { grep -ls "Half-written plan" "$DRAFTS"/cur/* "$DRAFTS"/new/* 2>/dev/null; }
OLD_DRAFT=$(draft_files)
mode draft
ui_keys R
check "recall-message opens the compose screen" ui_wait "-- Compose: postponed message"
check "the draft is still there while it is edited" [ -e "$OLD_DRAFT" ]
ui_keys P
check "postponed again" ui_wait "Message postponed"
check "into the server's \\Drafts folder, the old draft replaced" \
	ui_until eval '[ "$(draft_files | wc -l)" = 1 ] && grep -q "Finished after the recall." "$(draft_files)"'
check "the new draft is listed" ui_wait "Half-written plan"
# let the background sync upload the new draft and expunge the old one:
# the server has only the new one, and that pass is over
srv_draft() { "$SRC/tests/rig/rig" doveadm "$RIGDIR" search -u alice mailbox Brouillons "$@" 2>/dev/null | wc -l; }
ui_until eval '[ "$(srv_draft subject "Half-written plan")" = 1 ] && [ "$(srv_draft body "Finished after the recall.")" = 1 ]'
ui_wait_synced >/dev/null
mode keep
ui_keys R
check "the new draft is recalled" ui_wait "-- Compose: postponed message"
ui_keys y
check "the recalled message is sent" ui_wait "1 message sent." 30
check "Postfix delivered it with the new text" \
	eval 'wait_delivered "Half-written plan" && grep -q "Finished after the recall." "$(delivered "Half-written plan")"'
check "the draft is gone from the local Drafts" ui_until eval '[ -z "$(draft_files)" ]'
on_server() { "$SRC/tests/rig/rig" doveadm "$RIGDIR" search -u alice mailbox "$1" subject "${2:-Half-written plan}" 2>/dev/null | grep -q .; }
gone_from_server() { for _ in $(seq 300); do on_server Brouillons || return 0; sleep 0.1; done; return 1; }
check "after the background sync the draft is gone from the server's \\Drafts" gone_from_server
check "expunged, not moved to the server's Trash" eval '! on_server Trash'
on_server_sent() { for _ in $(seq 300); do on_server "Sent Messages" "Outbox one" && return 0; sleep 0.1; done; return 1; }
check "the Sent copy reached the server's \\Sent folder" on_server_sent

ui_keys q
st=$(ui_exited); check "q quits with status 0 (got $st)" [ "$st" = 0 ]
finish
