#!/bin/bash
# test_spam.sh - mark-as-spam / mark-as-ham (issue 16) on the rig's
# Dovecot, checked by imapctl.py (a second client): spam moves the message
# to the \Junk folder with the $Junk keyword after spam_command learned
# it (raw message on stdin, MUTTLIKE_SPAM=1); undelete-message (u) puts it
# back; ham sets $NotJunk through ham_command.  new-mail-hook runs for a
# message that arrives later (not for the one u brought back).
source "$(dirname "$0")/lib.sh"
T=$UI_TMP
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
source "$(dirname "$0")/servers.sh"
imapctl() { python3 "$SRC/tests/integration/imapctl.py" "$@"; }
count_wait() { # N FOLDER
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(imapctl count "$2" 2>/dev/null)" = "$1" ] && return 0
		sleep 0.2
	done
	echo "server: $2 holds $(imapctl count "$2" 2>/dev/null), wanted $1" >&2
	return 1
}
kw_wait() { # FOLDER KEYWORD: some message in FOLDER has KEYWORD (lower case)
	local i uid
	for ((i = 0; i < 100; i++)); do
		for uid in $(imapctl uids "$1" 2>/dev/null | cut -d' ' -f1); do
			imapctl uidkw "$1" "$uid" 2>/dev/null | grep -qw -- "$2" && return 0
		done
		sleep 0.2
	done
	return 1
}
ui_rig_start
imapctl appendmany INBOX 2 spamtest >/dev/null
cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set sidebar_visible = no
set spam_command = "cat >> $T/learned.txt; echo spam=\\\$MUTTLIKE_SPAM >> $T/learned.txt"
new-mail-hook "env | grep ^MUTTLIKE_ | sort > $T/newmail.env"
set ham_command = "cat >> $T/learned.txt; echo ham=\\\$MUTTLIKE_SPAM >> $T/learned.txt"
account work
set imap_url = "imaps://$RIG_USER@127.0.0.1:$RIG_IMAPS_PORT"
set imap_pass = "$RIG_PASS"
set tls_ca_file = "$RIG_CA"
EOF
chmod 600 "$T/a.rc"
"$MUTTLIKE_BIN" -F "$T/a.rc" sync > "$T/sync.log" 2>&1
ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "the reader opens on the INBOX" ui_wait "-- muttlike: work/INBOX [Msgs:2"
ui_wait_gone "syncing" >/dev/null
ui_keys :
ui_type "exec mark-as-spam"
ui_keys Enter
check "mark-as-spam says so" ui_wait "1 message marked as spam and moved to Junk (u to undo)."
check "spam_command got the raw message and MUTTLIKE_SPAM=1" eval 'grep -q "^Message-ID: <spamtest-" "$T/learned.txt" && grep -qx "spam=1" "$T/learned.txt"'
check "the server's Junk holds it" count_wait 1 Junk
check "and its INBOX one message less" count_wait 1 INBOX
check "with the \$Junk keyword" kw_wait Junk '$junk'
ui_keys u
check "u undoes the move" ui_wait "Restored 1 message."
check "back in the server's INBOX" count_wait 2 INBOX
check "Junk empty again" count_wait 0 Junk
ui_keys :
ui_type "exec mark-as-ham"
ui_keys Enter
check "mark-as-ham says so" ui_wait "1 message marked as not spam."
check "ham_command ran with MUTTLIKE_SPAM=0" eval 'grep -qx "ham=0" "$T/learned.txt"'
check "the server has \$NotJunk" kw_wait INBOX '$notjunk'
imapctl appendmany INBOX 1 fresh >/dev/null
ui_keys '$'
check "sync-mailbox brings the new message" ui_wait "[Msgs:3" 30
newmail_wait() { for _ in $(seq 300); do [ -s "$T/newmail.env" ] && return 0; sleep 0.1; done; return 1; }
check "new-mail-hook runs when new mail arrives" newmail_wait
check "with account, folder and count in its environment" ui_until eval '[ "$(grep -E "^MUTTLIKE_(ACCOUNT|FOLDER|NEW)=" "$T/newmail.env")" = "MUTTLIKE_ACCOUNT=work
MUTTLIKE_FOLDER=INBOX
MUTTLIKE_NEW=1" ]'
ui_keys q
finish
