# tests/ui/servers.sh - the real servers a UI test talks to (source after lib.sh).
#
#   ui_rig_start        a private Dovecot (tests/rig/rig) in RIGDIR; sources
#                       its rig.env (RIG_*).  RIG_* settings for `rig start`
#                       (RIG_SENT_NAME, ...) pass through the environment.
#   ui_rig_rawlog       Dovecot's protocol log of RIG_USER's sessions from
#                       now on; then rig_idles counts the IDLE commands the
#                       reader sent (its worker ends every pass in IDLE when
#                       sync_interval is more than a few seconds), rig_in_idle
#                       is true while the latest session waits in IDLE, and
#                       rig_idle_after N waits (30 s) until a wait after
#                       pass N has begun (IDLE number N+1 sent, not ended):
#                       the observable end of a background pass;
#                       rig_lists counts the passes begun (each starts
#                       with a LIST).
#   ui_rig_rc FILE DATA EDITOR
#                       an rc (mode 600) for account "work" (Alice) on both
#                       servers, data_dir DATA, the scripted EDITOR, no sidebar
#   ui_rig_account FILE append account "work" (Alice, IMAP only) to the rc FILE
#                       (global options before it are the caller's) and make
#                       it mode 600
#   ui_smtp_start       a private Postfix (tests/integration/smtp-rig) in
#                       SMTPDIR; sources smtp.env (SMTP_*).  Status 1 when it
#                       cannot start (the caller decides whether that fails).
#
# Both stop, and their directories go, when the test exits (with lib.sh's
# ui_cleanup).  They live under /tmp, not $UI_TMP: Dovecot's and Postfix's
# users must reach them, and $UI_TMP is 0700.
UI_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RIGDIR=
SMTPDIR=

ui_servers_stop() {
	[ -n "$SMTPDIR" ] && "$UI_SRC/tests/integration/smtp-rig" stop "$SMTPDIR" >/dev/null 2>&1
	[ -n "$RIGDIR" ] && "$UI_SRC/tests/rig/rig" stop "$RIGDIR" >/dev/null 2>&1
	if [ "${UI_KEEP:-0}" != 1 ]; then
		[ -n "$SMTPDIR" ] && rm -rf "$SMTPDIR"
		[ -n "$RIGDIR" ] && rm -rf "$RIGDIR"
	fi
	ui_cleanup
}
trap ui_servers_stop EXIT

ui_rig_start() {
	RIGDIR=$(mktemp -d /tmp/muttlike-rig.XXXXXX)
	RIG_QUIET=1 "$UI_SRC/tests/rig/rig" start "$RIGDIR" >/dev/null ||
		{ echo "FAIL - the rig did not start"; echo "0 passed, 1 failed"; exit 1; }
	# shellcheck disable=SC1091
	source "$RIGDIR/rig.env"
}

ui_rig_rawlog() { "$UI_SRC/tests/rig/rig" rawlog "$RIGDIR" "$RIG_USER" on; }
rig_idles() { "$UI_SRC/tests/rig/rig" rawlog "$RIGDIR" "$RIG_USER" sent | grep -c $' IDLE\r\\?$'; }
rig_in_idle() { "$UI_SRC/tests/rig/rig" rawlog "$RIGDIR" "$RIG_USER" last | tail -n 1 | grep -q $' IDLE\r\\?$'; }
rig_lists() { "$UI_SRC/tests/rig/rig" rawlog "$RIGDIR" "$RIG_USER" sent | grep -c ' LIST '; }
rig_idle_after() { ui_until eval "[ \"\$(rig_idles)\" -gt $1 ] && rig_in_idle"; }

ui_smtp_start() {
	SMTPDIR=$(mktemp -d /tmp/muttlike-smtp.XXXXXX)
	"$UI_SRC/tests/integration/smtp-rig" start "$SMTPDIR" $$ >/dev/null 2>&1 || return 1
	# shellcheck disable=SC1091
	source "$SMTPDIR/smtp.env"
}

ui_rig_account() { # FILE
	cat >> "$1" <<EOF
account work
set imap_url = "imaps://$RIG_USER@127.0.0.1:$RIG_IMAPS_PORT"
set imap_pass = "$RIG_PASS"
set tls_ca_file = "$RIG_CA"
EOF
	chmod 600 "$1"
}

ui_rig_rc() { # FILE DATA EDITOR
	cat > "$1" <<EOF
set data_dir = "$2"
set editor = "$3"
set sidebar_visible = no
account work
set imap_url = "imaps://$RIG_USER@127.0.0.1:$RIG_IMAPS_PORT"
set imap_pass = "$RIG_PASS"
set tls_ca_file = "$RIG_CA"
set smtp_url = "smtp://$RIG_USER@127.0.0.1:$SMTP_SUBMISSION_PORT"
set from = "Alice <alice@example.org>"
EOF
	chmod 600 "$1"
}
