#!/bin/bash
# test_smtp_cert.sh - the background sender asks about an SMTP server's
# certificate the way the account worker asks about the IMAP server's
# (doc/READER.md, "Decisions the workers ask for"), against the rig's
# Dovecot and a private Postfix (tests/integration/smtp-rig) serving the
# rig's self-signed certificate (SMTP_RIG_CERT=selfsigned):
#   1. sending shows the dialog (server, reason, subject, issuer, validity,
#      fingerprint); reject keeps the message in the outbox with the reason
#      (outbox directory and outbox screen), nothing is delivered;
#   2. `y` in the outbox screen asks again; accept once sends it, pins
#      nothing, and a second message in the session is sent without asking;
#   3. a new session asks again; accept always writes data_dir/certs (0600)
#      and sends; a later session sends without asking;
#   4. an accept-once given for the IMAP server carries over to SMTP only
#      when the fingerprint is the same.
source "$(dirname "$0")/lib.sh"
T=$UI_TMP
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"

source "$(dirname "$0")/servers.sh"
ui_rig_start
if ! SMTP_RIG_CERT=selfsigned ui_smtp_start; then
	echo "FAIL - the SMTP rig did not start"
	echo "0 passed, 1 failed"
	exit 1
fi

mkdir -p "$T/seed/INBOX/cur" "$T/seed/INBOX/new" "$T/seed/INBOX/tmp"
printf 'From: Bob <bob@example.org>\nTo: Alice <alice@example.org>\nSubject: Hello note\nDate: Tue, 01 Jan 2030 10:00:00 +0000\nMessage-ID: <hello@test.example>\n\nHi.\n' \
	> "$T/seed/INBOX/cur/1893492000.M1P1.rig:2,S"
"$SRC/tests/rig/rig" populate "$RIGDIR" alice "$T/seed" >/dev/null

SHA=$(cat "$RIG_CERTS/selfsigned.sha256")
FP16=$(echo "$SHA" | cut -c1-16 | sed 's/../&:/g; s/:$//') # "ab:cd:..." of the first 8 bytes

cat > "$T/editor.sh" <<'EOF'
#!/bin/sh
sed -i "s/^To: *$/To: Bob <bob@example.org>/; s/^Subject: *$/Subject: $(cat "$SUBJECT_FILE")/" "$1"
printf 'A body.\n' >> "$1"
EOF
chmod +x "$T/editor.sh"
export SUBJECT_FILE=$T/subject

rc() { # FILE DATA_DIR
	cat > "$1" <<EOF
set data_dir = "$2"
set sidebar_visible = no
set sync_interval = 600
account work
set imap_url = "imaps://$RIG_USER@127.0.0.1:$RIG_IMAPS_PORT"
set imap_pass = "$RIG_PASS"
set tls_ca_file = "$RIG_CA"
set smtp_url = "smtp://$RIG_USER@127.0.0.1:$SMTP_SUBMISSION_PORT"
set from = "Alice <alice@example.org>"
set editor = "$T/editor.sh"
EOF
	chmod 600 "$1"
}
# a new session (ui_start ends the old tmux server and waits for it)
restart_ui() { ui_start "$@"; }
quit_ui() {
	ui_keys q
	local st
	st=$(ui_exited 30)
	[ "$st" = 0 ] || echo "quit: status $st" >&2
}
delivered() { grep -l "^Subject: $1\$" "$SMTP_MAILDIR"/new/* "$SMTP_MAILDIR"/cur/* 2>/dev/null | head -1; }
wait_delivered() { # SUBJECT
	local i
	for i in $(seq 300); do [ -n "$(delivered "$1")" ] && return 0; sleep 0.1; done
	return 1
}
send() { # SUBJECT
	echo "$1" > "$SUBJECT_FILE"
	ui_keys m
	ui_wait "-- Compose: new message" 30 >/dev/null
	ui_keys y
}
envs() { ls "$1/state/work/outbox/"*.env 2>/dev/null | wc -l; }
dialog() { ui_screen | grep -q "SHA-256:"; }
start() { # RC
	ui_start -x 160 -y 30 "$MUTTLIKE_BIN" -F "$1"
	ui_wait "Hello note" 30 >/dev/null
	ui_wait_gone "syncing " 30 >/dev/null
}

# ==== 1. the dialog; reject ====
D1=$T/d1
rc "$T/a.rc" "$D1"
start "$T/a.rc"
check "smtp cert: the IMAP side syncs without a question" eval '! dialog'
send "Rejected first"
check "smtp cert: sending shows the dialog with the fingerprint" ui_wait "SHA-256:  $FP16" 30
check "smtp cert: it names the SMTP server" \
	ui_wait "the certificate of the SMTP server 127.0.0.1:$SMTP_SUBMISSION_PORT is refused" 30
check "smtp cert: the reason" ui_wait "self-signed" 30
check "smtp cert: the subject" ui_wait "Subject:  CN=localhost" 30
check "smtp cert: the issuer" ui_wait "Issuer:   CN=localhost" 30
check "smtp cert: the validity" ui_until eval 'ui_screen | grep -qE "Valid: +[0-9]{4}-[0-9]{2}-[0-9]{2} to [0-9]{4}-"'
check "smtp cert: the three choices" ui_wait "(r)eject, accept (o)nce, accept (a)lways?" 30
ui_keys r
check "smtp cert: reject: not sent, kept in the outbox with the reason" \
	eval 'ui_wait "Not sent, kept in the outbox: " 30 && ui_screen | grep -qE "Not sent, kept in the outbox: .*self-signed"'
check "smtp cert: the entry is in the outbox directory" eval '[ "$(envs "$D1")" = 1 ]'
check "smtp cert: with the reason on disk" eval 'grep -q "^error .*self-signed" "$D1"/state/work/outbox/*.env'
check "smtp cert: the text is kept" eval 'grep -q "^Subject: Rejected first" "$D1"/state/work/outbox/*.eml'
check "smtp cert: nothing was delivered" eval '[ -z "$(delivered "Rejected first")" ]'
check "smtp cert: no pin was written" eval '[ ! -e "$D1/certs" ]'
ui_keys O
check "smtp cert: the outbox screen lists it as failed with the reason" \
	eval 'ui_wait "-- Outbox" 30 && ui_screen | grep -F "Rejected first" | grep -qE "failed: 127\.0\.0\.1:$SMTP_SUBMISSION_PORT: certificate .*(self-signed|not trusted)" || { ui_screen >&2; false; }'
check "smtp cert: the outbox screen shows the subject" ui_wait "Rejected first" 30

# ==== 2. y asks again; accept once ====
ui_keys y
check "smtp cert: sending again asks again" ui_wait "SHA-256:  $FP16" 30
ui_keys o
check "smtp cert: accept once sends it" ui_wait "1 message sent." 30
check "smtp cert: Postfix delivered it" wait_delivered "Rejected first"
check "smtp cert: the outbox is empty" eval '[ "$(envs "$D1")" = 0 ]'
check "smtp cert: accept once pins nothing" eval '[ ! -e "$D1/certs" ]'
ui_keys q
ui_wait_gone "-- Outbox" 30 >/dev/null
send "Second in session"
check "smtp cert: accepted for the session: the next message is sent" ui_wait "1 message sent." 30
check "smtp cert: without asking again" eval '! dialog'
check "smtp cert: and delivered" wait_delivered "Second in session"
quit_ui

# ==== 3. accept always ====
restart_ui -x 160 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
ui_wait "Hello note" 30 >/dev/null
ui_wait_gone "syncing " 30 >/dev/null
send "Pinned first"
check "smtp cert: a new session asks again" ui_wait "SHA-256:  $FP16" 30
ui_keys a
check "smtp cert: accept always writes the pin" eval 'for i in $(seq 300); do grep -q "^127.0.0.1 sha256:$SHA" "$D1/certs" 2>/dev/null && break; sleep 0.1; done; grep -q "^127.0.0.1 sha256:$SHA" "$D1/certs"'
check "smtp cert: the pin file is private (0600)" eval '[ "$(stat -c %a "$D1/certs")" = 600 ]'
check "smtp cert: and sends" ui_wait "1 message sent." 30
check "smtp cert: delivered" wait_delivered "Pinned first"
quit_ui

restart_ui -x 160 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
ui_wait "Hello note" 30 >/dev/null
ui_wait_gone "syncing " 30 >/dev/null
send "Pinned later"
check "smtp cert: a later session sends without asking" ui_wait "1 message sent." 30
check "smtp cert: no dialog with the pin" eval '! dialog'
check "smtp cert: delivered by the pinned server" wait_delivered "Pinned later"
quit_ui

# ==== 4. IMAP's accept-once applies to SMTP only for the same certificate ====
# Dovecot with another untrusted certificate: accepted once for IMAP, SMTP
# (the self-signed one) still asks
RIG_QUIET=1 "$SRC/tests/rig/rig" restart-with-cert "$RIGDIR" untrusted >/dev/null 2>&1
source "$RIGDIR/rig.env"
D4=$T/d4
rc "$T/b.rc" "$D4"
restart_ui -x 160 -y 30 "$MUTTLIKE_BIN" -F "$T/b.rc"
check "imap once: IMAP asks about its certificate" ui_wait "the server's certificate is refused" 30
check "imap once: it is another certificate than the SMTP one" eval 'ui_screen | grep -q "SHA-256:" && ! ui_screen | grep -q "SHA-256:  $FP16"'
ui_keys o
check "imap once: the IMAP side syncs" ui_wait "Hello note" 30
ui_wait_gone "syncing " 30 >/dev/null
send "Other cert"
check "imap once: a different SMTP certificate is asked about" \
	ui_wait "the certificate of the SMTP server 127.0.0.1:$SMTP_SUBMISSION_PORT is refused" 30
check "imap once: with the SMTP server's fingerprint" ui_wait "SHA-256:  $FP16" 30
ui_keys r
ui_wait "Not sent, kept in the outbox" 30 >/dev/null
check "imap once: rejected, not delivered" eval '[ -z "$(delivered "Other cert")" ] && [ "$(envs "$D4")" = 1 ]'
quit_ui

# Dovecot with the same self-signed certificate as Postfix: accepted once
# for IMAP, the sender trusts it without asking
RIG_QUIET=1 "$SRC/tests/rig/rig" restart-with-cert "$RIGDIR" selfsigned >/dev/null 2>&1
source "$RIGDIR/rig.env"
D5=$T/d5
rc "$T/c.rc" "$D5"
restart_ui -x 160 -y 30 "$MUTTLIKE_BIN" -F "$T/c.rc"
check "same cert: IMAP asks first" ui_wait "SHA-256:  $FP16" 30
ui_keys o
ui_wait "Hello note" 30 >/dev/null
ui_wait_gone "syncing " 30 >/dev/null
send "Same cert"
check "same cert: the sender uses IMAP's accept-once" ui_wait "1 message sent." 30
check "same cert: without asking" eval '! dialog'
check "same cert: delivered" wait_delivered "Same cert"
check "same cert: nothing pinned" eval '[ ! -e "$D5/certs" ]'
quit_ui
RIG_QUIET=1 "$SRC/tests/rig/rig" restart-with-cert "$RIGDIR" server >/dev/null 2>&1

[ "${UI_FAILED}" -eq 0 ] || { echo "--- logs"; tail -20 "$D1/log" "$D4/log" "$D5/log" 2>/dev/null; }
finish
