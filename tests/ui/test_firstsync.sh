#!/bin/bash
# test_firstsync.sh - issue 13, "a new account is usable at once": the
# reader on an account it has never synced shows every folder of the
# server in the sidebar with the server's counts, and the newest INBOX
# message, while the first sync is still running (its progress on the
# status line); a search then says it covers what is indexed so far.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
T=$UI_TMP
SRC=$(cd "$(dirname "$0")/../.." && pwd)
GENCORPUS=${MUTTLIKE_BUILD:-$SRC/build/san}/gencorpus
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
ui_rig_start

# A few hundred messages in INBOX and several folders, then one more in
# INBOX (the highest UID) whose subject the test looks for.
"$GENCORPUS" --seed 13 --count 900 "$T/corpus" >/dev/null
"$SRC/tests/rig/rig" populate "$RIGDIR" alice "$T/corpus" >/dev/null
printf 'From: Bob <bob@example.org>\r\nTo: Alice <alice@example.org>\r\nSubject: Zeppelin newest of all\r\nDate: Tue, 01 Jan 2036 10:00:00 +0000\r\nMessage-ID: <newest@test.example>\r\n\r\nThe last one.\r\n' > "$T/newest.eml"
imapctl() { python3 "$SRC/tests/integration/imapctl.py" "$@"; }
imapctl append INBOX "$T/newest.eml" >/dev/null
inbox_n=$(imapctl count INBOX)
archive_n=$(imapctl count Archive)
dev_n=$(imapctl count Lists/dev)

# The reader reaches the rig only through a relay that holds its first
# sync inside INBOX (tests/ui/helpers/holdrelay.py): the second UID FETCH
# of bodies is not passed on until the test says so.  The first one, sent
# alone, is the newest 50 (sync_fetch.c, FIRST_BATCH); the sync commits
# it for the reader and counts it on the status line before it sends the
# next, then waits for that answer.  Plaintext IMAP (tls = none, no
# COMPRESS) so that the relay sees the commands; a timeout longer than
# any wait of the test, so that the held reader does not give up.
python3 "$SRC/tests/ui/helpers/holdrelay.py" "$T/relay.port" "$RIG_IMAP_PORT" \
	'^[^ ]+ UID FETCH .*BODY\.PEEK\[\]' 2 "$T/held" "$T/release" &
RELAYPID=$!
trap 'kill "$RELAYPID" 2>/dev/null; ui_servers_stop' EXIT
check "the relay listens" ui_until test -s "$T/relay.port"
relay_port=$(cat "$T/relay.port")

cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set sidebar_visible = yes
set sidebar_width = 28
set timeout = 600
account work
set imap_url = "imap://$RIG_USER@127.0.0.1:$relay_port"
set tls = none
set imap_compress = no
set imap_pass = "$RIG_PASS"
EOF
chmod 600 "$T/a.rc"

# One screen that has it all at once: the newest subject in the index,
# the server's counts of folders in the sidebar (Archive and Lists/dev
# come after INBOX, so they are not mirrored yet while INBOX syncs), and
# the progress of the first sync on the status line.
all_at_once() {
	local scr
	scr=$(ui_screen) || return 1
	grep -q "Zeppelin newest of all" <<< "$scr" &&
		grep -Eq "^ *Archive +${archive_n}[^0-9]" <<< "$scr" &&
		grep -Eq "^ +dev +${dev_n}[^0-9]" <<< "$scr" &&
		grep -Eq "syncing INBOX [0-9]+/$inbox_n" <<< "$scr"
}

ui_start -x 140 -y 40 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "the reader opens" ui_wait "-- muttlike: work"
check "the first sync is held after INBOX's newest batch" ui_until test -s "$T/held"
check "newest subject, sidebar counts and progress on one screen while INBOX syncs" ui_until all_at_once
: > "$T/release"

check "the first sync ends" ui_wait_synced
# The sidebar takes its counts from the index after the sync's last
# commit reaches the reader: waited for, not looked at once.
check "the folder counts are gone with the first sync" ui_until eval '[ ! -e "$DATA/state/work/folder-counts" ]'
check "and INBOX counts from the index: all of it" ui_until eval "ui_screen | grep -Eq '^ *INBOX +([0-9]+/)?${inbox_n}[^0-9]'"
ui_keys q
ui_exited >/dev/null

# A search while a first sync is unfinished says what it covers.  The
# state of a first sync cut short (folder-counts with pending folders),
# and a reader that cannot reach the server, so that nothing finishes it
# while the test looks.
all_n=$(find "$DATA/mail/work" -path '*/cur/*' -type f | wc -l)
printf '5000 -1 p INBOX\n%s -1 d Archive\n' "$archive_n" > "$DATA/state/work/folder-counts"
sed "s/:$relay_port\"/:1\"/" "$T/a.rc" > "$T/off.rc"
chmod 600 "$T/off.rc"
ui_start -x 180 -y 40 "$MUTTLIKE_BIN" -F "$T/off.rc"
check "the offline reader opens" ui_wait "-- muttlike: work"
check "a folder still pending shows the server's count" ui_until eval "ui_screen | grep -Eq '^ *INBOX +5000[^0-9]'"
ui_type '\'
check "vfolder prompt" ui_wait "Query (pattern or notmuch syntax):"
ui_type "tag:unread or not tag:unread"
ui_keys Enter
check "the search says it covers what is indexed so far" ui_wait "(searching $all_n of $((5000 + archive_n)) messages indexed so far)"
ui_keys q
ui_exited >/dev/null
finish
