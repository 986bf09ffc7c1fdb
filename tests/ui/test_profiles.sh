#!/bin/bash
# test_profiles.sh - the reader on servers whose folders all live under
# "INBOX." (issue 19): the Courier-shaped Dovecot (no SPECIAL-USE, no MOVE,
# no CONDSTORE/QRESYNC) and Cyrus IMAP in its classic layout.  The real
# binary in tmux: F flags on the server, d files into the existing
# INBOX.Trash (no top-level Trash is made), A archives into INBOX.Archive,
# which the sync creates in the namespace; the server is checked by
# imapctl.py, a second client, not by our code.
source "$(dirname "$0")/lib.sh"
T=$UI_TMP
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
source "$(dirname "$0")/servers.sh"

imapctl() { python3 "$SRC/tests/integration/imapctl.py" "$@"; }
# wait (up to 30 s) until the server folder holds N messages
count_wait() { # N FOLDER
	local i
	for ((i = 0; i < 150; i++)); do
		[ "$(imapctl count "$2" 2>/dev/null)" = "$1" ] && return 0
		sleep 0.2
	done
	echo "server: $2 holds $(imapctl count "$2" 2>/dev/null), wanted $1" >&2
	return 1
}
flagged_wait() { # FOLDER: some message has F
	local i
	for ((i = 0; i < 150; i++)); do
		imapctl uids "$1" 2>/dev/null | grep -q 'F' && return 0
		sleep 0.2
	done
	return 1
}

one_profile() { # NAME, with RIG_PROFILE / RIG_SERVER set by the caller
	local name=$1 data=$T/data-$1
	ui_rig_start
	imapctl appendmany INBOX 3 "prof-$name" >/dev/null
	cat > "$T/$name.rc" <<EOF
set data_dir = "$data"
set sidebar_visible = no
set confirm_delete = no
account work
set imap_url = "imaps://$RIG_USER@127.0.0.1:$RIG_IMAPS_PORT"
set imap_pass = "$RIG_PASS"
set tls_ca_file = "$RIG_CA"
EOF
	chmod 600 "$T/$name.rc"
	"$MUTTLIKE_BIN" -F "$T/$name.rc" sync > "$T/$name.sync.log" 2>&1
	check "$name: the first sync ends well" [ $? = 0 ]
	ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/$name.rc"
	check "$name: the reader opens on the INBOX" ui_wait "-- muttlike: work/INBOX [Msgs:3"
	ui_wait_synced >/dev/null
	local trash
	trash=$(imapctl count INBOX.Trash)
	ui_keys F
	check "$name: F says flagged" ui_wait "1 message flagged."
	check "$name: F: the server has \\Flagged" flagged_wait INBOX
	ui_keys d
	check "$name: d says moved to the Trash" ui_wait "moved to"
	check "$name: d: the message is in INBOX.Trash" count_wait $((trash + 1)) INBOX.Trash
	check "$name: d: and gone from the server's INBOX" count_wait 2 INBOX
	ui_keys A
	check "$name: A archives" ui_wait "1 message archived."
	check "$name: A: INBOX.Archive is made and has it" count_wait 1 INBOX.Archive
	check "$name: A: the server's INBOX has one" count_wait 1 INBOX
	check "$name: no folder outside INBOX. on the server" eval '! imapctl rawlist | grep -v "^INBOX"'
	ui_keys q
	local st
	st=$(ui_exited 30)
	check "$name: q quits with status 0 (got $st)" [ "$st" = 0 ]
	"$SRC/tests/rig/rig" stop "$RIGDIR" >/dev/null 2>&1
	rm -rf "$RIGDIR"
	RIGDIR=
}

export RIG_PROFILE=courier
one_profile courier
unset RIG_PROFILE
export RIG_SERVER=cyrus RIG_CYRUS_LAYOUT=classic
one_profile cyrus-classic
unset RIG_SERVER RIG_CYRUS_LAYOUT
finish
