#!/bin/bash
# test_editmsg.sh - edit-message (e) in the index and the pager (issue
# 16) against the rig's Dovecot, checked by imapctl.py (a second client):
# the raw message goes to the editor in a private temporary directory
# (0700, the file 0600, both gone afterwards); an unchanged file changes
# nothing; a changed one is stored as a new message in the same folder,
# which the sync appends on the server, and the old one goes to Trash on
# the server too; u brings the old one back.
source "$(dirname "$0")/lib.sh"
T=$UI_TMP
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME= TMPDIR=$T/tmp
mkdir -p "$HOME" "$TMPDIR"
DATA=$T/data
source "$(dirname "$0")/servers.sh"
imapctl() { python3 "$SRC/tests/integration/imapctl.py" "$@"; }
server_wait() { # WHAT COMMAND...: until the command succeeds (30 s)
	local what=$1 i
	shift
	for ((i = 0; i < 150; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.2
	done
	echo "server: $what did not happen $(cat "$T/last.count" 2>/dev/null)" >&2; imapctl uids INBOX >&2; imapctl uids Trash >&2
	return 1
}
midcount_is() { local n; n=$(imapctl midcount "$1" "$2"); [ "$n" = "$3" ] && return 0; echo "$1 has $n of $2" > "$T/last.count"; return 1; }
body_has() { imapctl body "$1" "$2" | grep -q "$3"; }
ui_rig_start
for i in 1 2; do
	printf 'From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: edit %s\r\nDate: Tue, 0%s Jan 2030 10:00:00 +0000\r\nMessage-ID: <edit-%s@test>\r\n\r\nbody %s\r\n' $i $i $i $i > "$T/m$i.eml"
	imapctl append INBOX "$T/m$i.eml"
done
# the editor: records where and how its file lives, then edits it (or not)
cat > "$T/editor.sh" <<'EOF'
#!/bin/sh
{ stat -c '%a' "$1"; stat -c '%a' "$(dirname "$1")"; echo "$1"; } > "$EDLOG"
cp "$1" "$EDSEEN"
[ -f "$EDMODE" ] && [ "$(cat "$EDMODE")" = change ] || exit 0
sed -i -e 's/^Subject: edit 1$/Subject: edit 1 (fixed)/' -e 's/^body 1$/body 1, corrected/' "$1"
EOF
chmod +x "$T/editor.sh"
export EDLOG=$T/editor.log EDMODE=$T/editor.mode EDSEEN=$T/seen.eml
echo keep > "$EDMODE"
cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set sidebar_visible = no
set editor = "$T/editor.sh"
account work
set imap_url = "imaps://$RIG_USER@127.0.0.1:$RIG_IMAPS_PORT"
set imap_pass = "$RIG_PASS"
set tls_ca_file = "$RIG_CA"
EOF
chmod 600 "$T/a.rc"
"$MUTTLIKE_BIN" -F "$T/a.rc" sync > "$T/sync.log" 2>&1
ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "the reader opens on the INBOX" ui_wait "-- muttlike: work/INBOX [Msgs:2"
ui_wait_synced
# newest first: edit 2, then edit 1
ui_keys j e
check "an unchanged file changes nothing" ui_wait "Message not changed."
check "the editor's file was 0600 in a 0700 directory under TMPDIR" eval '[ "$(head -2 "$EDLOG" | tr "\n" " ")" = "600 700 " ] && sed -n 3p "$EDLOG" | grep -q "^$TMPDIR/muttlike-edit-"'
check "both are gone" ui_until eval '[ -z "$(ls -A "$TMPDIR")" ]'
check "the editor saw the raw message with LF line ends" eval 'grep -q "^Message-ID: <edit-1@test>$" "$EDSEEN" && ! grep -q $'"'"'\r'"'"' "$EDSEEN"'
check "still two messages locally" eval '[ "$(ls "$DATA/mail/work/INBOX/cur" | wc -l)" = 2 ]'

echo change > "$EDMODE"
ui_keys e
check "a changed file: a new message, the old one to Trash" ui_wait "Message edited: stored as a new message, the old one moved to Trash (u to undo)."
check "the temporary directory is gone" ui_until eval '[ -z "$(ls -A "$TMPDIR")" ]'
check "the index shows the edited subject" ui_wait "edit 1 (fixed)"
new_id() { grep -l "^body 1, corrected" "$DATA"/mail/work/INBOX/cur/* 2>/dev/null | head -1 | xargs -r grep -m1 "^Message-ID:" | sed 's/^Message-ID: *//'; }
check "stored locally under a new Message-ID (the store knows a message by it)" \
	eval 'NEW=$(new_id) && [ -n "$NEW" ] && [ "$NEW" != "<edit-1@test>" ] && [[ "$NEW" == *@test\> ]]'
NEW=$(new_id)
check "the server's INBOX has the edited message (appended by the sync)" \
	server_wait "the upload" body_has INBOX "$NEW" "^body 1, corrected"
check "with the edited subject" eval 'imapctl body INBOX "$NEW" | grep -q "^Subject: edit 1 (fixed)"'
check "the old one left the server's INBOX" server_wait "the move" midcount_is INBOX edit-1@test 0
check "the server's Trash has the old one" server_wait "the move to Trash" body_has Trash "<edit-1@test>" "^Subject: edit 1.$"
check "the other message is untouched" eval 'imapctl body INBOX "<edit-2@test>" | grep -q "^Subject: edit 2"'

ui_keys u
check "u brings the old one back" ui_wait "Restored 1 message."
check "the server's Trash is empty again" server_wait "the move back" midcount_is Trash edit-1@test 0
check "the old one is back in the server's INBOX" server_wait "the move back" midcount_is INBOX edit-1@test 1
check "next to the edited one" eval '[ "$(imapctl count INBOX)" = 3 ]'

# from the pager: the other message
echo keep > "$EDMODE"
ui_keys Enter
ui_wait "Subject: edit"
ui_keys e
check "edit-message in the pager" ui_wait "Message not changed."
ui_keys q q
st=$(ui_exited); check "quits (status $st)" [ "$st" = 0 ]
finish
