#!/usr/bin/env bash
# tests/rig/test-rig.sh -- self-test of the Dovecot test rig.
#
# Runs the checks below against real rigs (via with-rig and rig directly),
# prints "ok"/"FAIL" per check and a last line "N passed, M failed"; exits
# non-zero if anything failed.  Works as root and as an ordinary user.
#
# Internally it re-invokes itself under with-rig (--inner-* modes); results
# of all processes are collected in one file ($RIG_TEST_RESULTS).

# SC1091: rig.env only exists at run time.  SC2016: the single-quoted
# snippets are meant to expand in the child shell (or are Python code).
# shellcheck disable=SC1091,SC2016
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
self=$here/test-rig.sh
RIG=$here/rig
WITH=$here/with-rig
if [[ -x /usr/bin/python3 ]]; then PY=/usr/bin/python3; else PY=python3; fi
export RIG_QUIET=1

# ---------------------------------------------------------------------------
# Reporting helpers.

pass() { echo "ok   - $1"; echo ok >> "$RIG_TEST_RESULTS"; }
fail() { echo "FAIL - $1"; echo fail >> "$RIG_TEST_RESULTS"; }

# check NAME CMD...  -- pass if CMD succeeds; show its output if not.
check() {
	local name=$1 out; shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name"
		printf '%s\n' "$out" | tail -n 15 | sed 's/^/    | /'
	fi
}

# check_fails NAME CMD...  -- pass if CMD fails.
check_fails() {
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then fail "$name (unexpectedly succeeded)"; else pass "$name"; fi
}

# ---------------------------------------------------------------------------
# Probes.  All take their target from the RIG_* environment.

# tls_verify PORT HOSTNAME [CAFILE] [starttls]  -- gnutls-cli must verify
# the served certificate for HOSTNAME against CAFILE and complete a LOGOUT.
tls_verify() {
	local port=$1 host=$2 ca=${3:-$RIG_CA} mode=${4:-} args out in writer st=0
	args=(--x509cafile "$ca" --verify-hostname "$host" -p "$port" 127.0.0.1)
	[[ $mode == starttls ]] && args=(--starttls-proto=imap "${args[@]}")
	# gnutls-cli quits at EOF on stdin, possibly before the server's answer
	# arrives: stdin stays open until the server, done with the LOGOUT,
	# closes the connection (gnutls-cli ends then; 10 s at most).
	exec {in}< <(printf 'a LOGOUT\r\n'; exec sleep 10)
	writer=$!
	out=$(timeout 10 gnutls-cli "${args[@]}" <&"$in" 2>&1) || st=$?
	exec {in}<&-
	kill "$writer" 2>/dev/null
	if [ "$st" -ne 0 ]; then
		printf '%s\n' "$out" | grep -E 'Status|rror|fail' >&2
		return 1
	fi
	grep -q '^a OK' <<<"$out"
}

# greeting PORT -- read the plaintext greeting with bash's /dev/tcp.
greeting() {
	local line
	exec 3<>"/dev/tcp/127.0.0.1/$1"
	IFS= read -r -t 5 line <&3 || true
	exec 3<&- 3>&-
	echo "$line"
	[[ $line == '* OK'* ]]
}

# py CODE ARGS... -- run python3 with imaplib helpers preloaded.
py() {
	local code=$1; shift
	"$PY" - "$@" <<EOF
import imaplib, os, ssl, sys, time
H, CA = os.environ["RIG_HOST"], os.environ["RIG_CA"]
TLS_PORT, PLAIN_PORT = int(os.environ["RIG_IMAPS_PORT"]), int(os.environ["RIG_IMAP_PORT"])
def ctx():
    c = ssl.create_default_context(cafile=CA)
    c.check_hostname = False  # dialing 127.0.0.1; gnutls-cli checks names
    return c
def tls():
    return imaplib.IMAP4_SSL(H, TLS_PORT, ssl_context=ctx(), timeout=10)
def login(user=os.environ["RIG_USER"], pw=os.environ["RIG_PASS"]):
    m = tls(); m.login(user, pw); return m
def caps(m):
    typ, data = m.capability(); return data[0].decode().upper().split()
$code
EOF
}

# ---------------------------------------------------------------------------
# Checks run inside a default rig (under with-rig).

inner_main() {
	local v missing=()
	for v in RIG_DIR RIG_HOST RIG_IMAPS_PORT RIG_IMAP_PORT RIG_CA RIG_CERTS \
	         RIG_USER RIG_PASS RIG_USER2 RIG_PASS2 RIG_MAILDIR_alice \
	         RIG_MAILDIR_bob RIG_PID RIG_DOVECOT_CONF; do
		[[ -n ${!v:-} ]] || missing+=("$v")
	done
	check "rig.env exports all variables${missing:+ (missing: ${missing[*]})}" test ${#missing[@]} -eq 0
	check "RIG_HOST is 127.0.0.1 and ports differ" \
		test "$RIG_HOST" = 127.0.0.1 -a "$RIG_IMAPS_PORT" != "$RIG_IMAP_PORT"
	check "listeners bound to 127.0.0.1 only" \
		bash -c "! grep -Eq '^(listen|  address) = .*[^0-9.]' '$RIG_DOVECOT_CONF' && grep -q '^listen = 127.0.0.1$' '$RIG_DOVECOT_CONF'"

	# --- certificates
	check "server.sha256 is the SHA-256 of server.pem's DER" bash -c \
		"[[ \$(certtool -i --infile '$RIG_CERTS/server.pem' --outder 2>/dev/null | sha256sum | cut -d' ' -f1) == \$(cat '$RIG_CERTS/server.sha256') ]] && grep -Eqx '[0-9a-f]{64}' '$RIG_CERTS/server.sha256'"
	local c
	for c in ca other-ca server selfsigned expired wronghost untrusted cnonly; do
		check "certs/$c.pem and $c-key.pem exist" test -s "$RIG_CERTS/$c.pem" -a -s "$RIG_CERTS/$c-key.pem"
	done

	# --- both ports answer
	check "imap port ($RIG_IMAP_PORT) greets with * OK" greeting "$RIG_IMAP_PORT"
	check "imaps: implicit TLS verifies against RIG_CA as localhost" tls_verify "$RIG_IMAPS_PORT" localhost
	local h
	for h in imap.test.example mail.test.example smtp.test.example test.example 127.0.0.1; do
		check "imaps: server cert valid for $h" tls_verify "$RIG_IMAPS_PORT" "$h"
	done
	check_fails "imaps: server cert NOT valid for wrong.example" tls_verify "$RIG_IMAPS_PORT" wrong.example
	check "imap: STARTTLS advertised before login" py '
m = imaplib.IMAP4(H, PLAIN_PORT, timeout=10)
assert "STARTTLS" in m.capabilities, m.capabilities
m.logout()'
	check "imap: STARTTLS verifies against RIG_CA as localhost" \
		tls_verify "$RIG_IMAP_PORT" localhost "$RIG_CA" starttls

	# --- authentication
	check "LOGIN alice over TLS; CAPABILITY has CONDSTORE and QRESYNC" py '
m = login(); c = caps(m)
assert "CONDSTORE" in c and "QRESYNC" in c, c
typ, data = m._simple_command("ENABLE", "QRESYNC")
assert typ == "OK" and m.untagged_responses.get("ENABLED") == [b"QRESYNC"], (typ, m.untagged_responses)
m.logout()'
	check "LOGIN bob works" py 'm = login(os.environ["RIG_USER2"], os.environ["RIG_PASS2"]); m.logout()'
	check "plaintext LOGIN on the imap port (tls = none case)" py '
m = imaplib.IMAP4(H, PLAIN_PORT, timeout=10)
assert "LOGINDISABLED" not in m.capabilities
m.login(os.environ["RIG_USER"], os.environ["RIG_PASS"]); m.logout()'
	check "wrong password is rejected" py '
m = tls()
try:
    m.login("alice", "wrong"); sys.exit("login with a wrong password succeeded")
except imaplib.IMAP4.error as e:
    assert "AUTHENTICATIONFAILED" in str(e) or "failed" in str(e).lower(), e'
	check "no auth penalty: 3 failures then a good login in < 3 s" py '
t = time.monotonic()
for i in range(3):
    m = tls()
    try: m.login("alice", "wrong")
    except imaplib.IMAP4.error: pass
    m.shutdown()
login().logout()
d = time.monotonic() - t
assert d < 3, "took %.1f s" % d'
	check "special-use folders are listed" py '
m = login(); typ, data = m.list()
s = b"\n".join(data).decode()
for flag, name in [("Sent","Sent"),("Drafts","Drafts"),("Trash","Trash"),("Junk","Junk"),("Archive","Archive")]:
    assert ("\\" + flag) in s and name in s, s
m.logout()'

	# --- populate
	local src=$RIG_DIR/src
	mkdir -p "$src"
	local f i
	for f in INBOX "Foo/Bar" Lists/dev "Caf&AOk-"; do mkdir -p "$src/$f"/{cur,new,tmp}; done
	for i in 3 1 2; do   # created out of order: UIDs must follow file names
		printf 'From: t@test.example\nSubject: inbox %s\n\nbody %s\n' "$i" "$i" \
			> "$src/INBOX/cur/170000000$i.M${i}P1.rig:2,S"
	done
	printf 'Subject: unread\n\nx\n' > "$src/INBOX/new/1700000009.M9P1.rig"
	for i in 1 2; do printf 'Subject: bar %s\n\nx\n' "$i" > "$src/Foo/Bar/cur/170000000$i.M${i}P1.rig:2,"; done
	printf 'Subject: dev\n\nx\n' > "$src/Lists/dev/cur/1700000001.M1P1.rig:2,F"
	printf 'Subject: cafe\n\nx\n' > "$src/Caf&AOk-/cur/1700000001.M1P1.rig:2,"
	check "rig populate alice" "$RIG" populate "$RIG_DIR" alice "$src"
	check "populated messages visible via IMAP SELECT" py '
m = login()
for box, n in [("INBOX", 4), ("Foo/Bar", 2), ("Lists/dev", 1), ("Caf&AOk-", 1)]:
    typ, data = m.select(box, readonly=True)
    assert typ == "OK" and int(data[0]) == n, (box, typ, data)
m.logout()'
	check "UIDs follow file-name order" py '
m = login(); m.select("INBOX", readonly=True)
typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
subj = [d[1].decode().strip() for d in data if isinstance(d, tuple)]
assert subj == ["Subject: inbox 1", "Subject: inbox 2", "Subject: inbox 3", "Subject: unread"], subj
m.logout()'
	check "populated folders are subscribed (LSUB)" py '
m = login(); typ, data = m.lsub()
s = b"\n".join(data).decode()
for box in ["Foo/Bar", "Lists/dev", "Caf&AOk-", "INBOX"]:
    assert ("\"/\" " + box) in s or ("\"/\" \"" + box + "\"") in s, s
m.logout()'
	check "bob's store untouched" py '
m = login(os.environ["RIG_USER2"], os.environ["RIG_PASS2"])
typ, data = m.select("INBOX", readonly=True); assert int(data[0]) == 0, data
m.logout()'
	check "doveadm -c CONF mailbox status" bash -c \
		"doveadm -c '$RIG_DOVECOT_CONF' mailbox status -u alice messages Foo/Bar | grep -qx 'Foo/Bar messages=2'"
	check "doveadm -c CONF force-resync" doveadm -c "$RIG_DOVECOT_CONF" force-resync -u alice '*'
	check "rig doveadm wrapper" "$RIG" doveadm "$RIG_DIR" user alice

	# --- restart-with-cert: each bad cert fails for its one defect only
	local old_pid=$RIG_PID old_ports="$RIG_IMAPS_PORT $RIG_IMAP_PORT"
	check "restart-with-cert expired" "$RIG" restart-with-cert "$RIG_DIR" expired
	source "$RIG_DIR/rig.env"
	check "restart keeps ports, changes pid" \
		test "$RIG_IMAPS_PORT $RIG_IMAP_PORT" = "$old_ports" -a "$RIG_PID" != "$old_pid"
	check_fails "expired: imaps verification fails" tls_verify "$RIG_IMAPS_PORT" localhost
	check_fails "expired: STARTTLS verification fails" tls_verify "$RIG_IMAP_PORT" localhost "$RIG_CA" starttls
	check "expired: served cert really is certs/expired.pem" bash -c \
		"printf 'a LOGOUT\r\n' | gnutls-cli --insecure -p $RIG_IMAPS_PORT 127.0.0.1 2>&1 | grep -qi 'expired'"

	"$RIG" restart-with-cert "$RIG_DIR" selfsigned
	check_fails "selfsigned: fails against RIG_CA" tls_verify "$RIG_IMAPS_PORT" localhost
	check "selfsigned: trusted when pinned as its own CA" tls_verify "$RIG_IMAPS_PORT" localhost "$RIG_CERTS/selfsigned.pem"

	"$RIG" restart-with-cert "$RIG_DIR" untrusted
	check_fails "untrusted: fails against RIG_CA" tls_verify "$RIG_IMAPS_PORT" localhost
	check "untrusted: valid under other-ca.pem" tls_verify "$RIG_IMAPS_PORT" localhost "$RIG_CERTS/other-ca.pem"

	"$RIG" restart-with-cert "$RIG_DIR" wronghost
	check_fails "wronghost: fails for localhost (imaps)" tls_verify "$RIG_IMAPS_PORT" localhost
	check_fails "wronghost: fails for localhost (STARTTLS)" tls_verify "$RIG_IMAP_PORT" localhost "$RIG_CA" starttls
	check "wronghost: valid for wrong.example" tls_verify "$RIG_IMAPS_PORT" wrong.example

	"$RIG" restart-with-cert "$RIG_DIR" cnonly
	check_fails "cnonly: CN=localhost is ignored when SAN exists" tls_verify "$RIG_IMAPS_PORT" localhost
	check "cnonly: valid for its SAN other.example" tls_verify "$RIG_IMAPS_PORT" other.example

	check "restart-with-cert server restores a valid cert" "$RIG" restart-with-cert "$RIG_DIR" server
	check "after restore: imaps verifies again" tls_verify "$RIG_IMAPS_PORT" localhost
	check "after restore: mail still there" py '
m = login(); typ, data = m.select("Foo/Bar", readonly=True); assert int(data[0]) == 2, data; m.logout()'
	check_fails "restart-with-cert rejects an unknown cert name" "$RIG" restart-with-cert "$RIG_DIR" nosuchcert
	check "server still up after rejected restart" "$RIG" status "$RIG_DIR"
}

# Checks inside a RIG_NO_CONDSTORE=1 rig.
inner_nocondstore() {
	check "RIG_NO_CONDSTORE=1: CAPABILITY lacks CONDSTORE/QRESYNC" py '
m = login(); c = caps(m)
assert "CONDSTORE" not in c and "QRESYNC" not in c, c
assert "IDLE" in c and "UIDPLUS" in c and "MOVE" in c and "SPECIAL-USE" in c, c
m.logout()'
	check "RIG_NO_CONDSTORE=1: not in pre-login CAPABILITY either" py '
m = imaplib.IMAP4(H, PLAIN_PORT, timeout=10)
assert "CONDSTORE" not in m.capabilities and "STARTTLS" in m.capabilities, m.capabilities'
}

# Checks inside a RIG_PROFILE=courier rig: rig.env names the namespace the
# server has (the tests spell folders by it).
inner_courier() {
	check "RIG_PROFILE=courier: rig.env exports the INBOX. namespace" \
		test "$RIG_PROFILE:$RIG_NS_PREFIX:$RIG_NS_SEP" = "courier:INBOX.:."
	check "RIG_PROFILE=courier: NAMESPACE and LIST agree with rig.env" py '
m = login()
typ, ns = m.namespace()
pre, sep = os.environ["RIG_NS_PREFIX"], os.environ["RIG_NS_SEP"]
assert ns[0].decode().startswith("((\"%s\" \"%s\"))" % (pre, sep)), ns
typ, l = m.list()
assert any(x.decode().endswith("\"%s\" %sTrash" % (sep, pre)) for x in l), l
m.logout()'
}

# ---------------------------------------------------------------------------
# Checks of the rig's own life cycle (run outside any rig).

# rig_procs DIR -- PIDs of any process belonging to the rig in DIR.
rig_procs() {
	local inst
	inst=$(sed -n 's/^S_INSTANCE=//p' "$1/dovecot/state.env")
	{ pgrep -f "dovecot -c $1/dovecot/dovecot.conf" || true
	  pgrep -f "^dovecot-$inst/" || true; } | sort -u
}

# pid_gone PID -- true if PID no longer exists or is a zombie (our PID 1 may
# reap the daemonized master a little later).
pid_gone() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
	[[ $st == Z ]]
}

port_closed() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

outer_lifecycle() {
	local d1=$work/p1 d2=$work/p2 s1=0 s2=0
	# Two rigs started concurrently must not collide.
	"$RIG" start "$d1" & local j1=$!
	"$RIG" start "$d2" & local j2=$!
	wait "$j1" || s1=$?
	wait "$j2" || s2=$?
	check "two rigs start in parallel" test "$s1$s2" = 00
	local p1 p2
	p1=$(set +u; source "$d1/rig.env"; echo "$RIG_IMAPS_PORT $RIG_IMAP_PORT")
	p2=$(set +u; source "$d2/rig.env"; echo "$RIG_IMAPS_PORT $RIG_IMAP_PORT")
	# shellcheck disable=SC2086  # split "imaps imap" into two words
	check "parallel rigs use four different ports ($p1 / $p2)" \
		test "$(printf '%s\n' $p1 $p2 | sort -u | wc -l)" -eq 4
	check "both parallel rigs answer" bash -c \
		"source '$d1/rig.env'; exec 3<>/dev/tcp/127.0.0.1/\$RIG_IMAP_PORT; read -t 5 l <&3; [[ \$l == '* OK'* ]] &&
		 source '$d2/rig.env'; exec 4<>/dev/tcp/127.0.0.1/\$RIG_IMAP_PORT; read -t 5 l <&4; [[ \$l == '* OK'* ]]"

	# Hold an IMAP session open across stop: its imap process must die too.
	local pid1 procs
	pid1=$(set +u; source "$d1/rig.env"; echo "$RIG_PID")
	# (it says when the server has answered the LOGIN, then holds the
	# connection until killed)
	(set +u; source "$d1/rig.env"; exec 3<>"/dev/tcp/127.0.0.1/$RIG_IMAP_PORT"
	 printf 'a LOGIN alice alice-pw\r\n' >&3
	 while read -r -t 30 l <&3; do [[ $l == 'a '* ]] && { touch "$work/held"; break; }; done
	 exec sleep 60) & local holder=$!
	local n=0
	while [[ ! -e $work/held ]] && ((n++ < 600)); do sleep 0.05; done
	check "rig 1 has processes before stop" test -n "$(rig_procs "$d1")"
	check "rig stop" "$RIG" stop "$d1"
	procs=$(rig_procs "$d1")
	check "stop leaves no process of that rig${procs:+ (left: $procs)}" test -z "$procs"
	check "stop: master $pid1 gone" pid_gone "$pid1"
	check "stop: ports closed" bash -c "$(declare -f port_closed); port_closed ${p1% *} && port_closed ${p1#* }"
	check "stop did not touch the other rig" "$RIG" status "$d2"
	check "stop is idempotent" "$RIG" stop "$d1"
	check "stop of a non-rig dir is a no-op" "$RIG" stop "$work/nonexistent"
	check_fails "status reports stopped" "$RIG" status "$d1"
	kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true
	check "rig 1 can be started again in the same DIR" "$RIG" start "$d1"
	"$RIG" stop "$d1"; "$RIG" stop "$d2"
	check "both stopped" test -z "$(rig_procs "$d1")$(rig_procs "$d2")"

	# with-rig: status propagation, cleanup, RIG_KEEP, signals.
	local st=0 rd
	"$WITH" bash -c 'echo "$RIG_DIR $RIG_PID" > "$0"; exit 7' "$work/wr1" || st=$?
	read -r rd pid1 < "$work/wr1"
	check "with-rig exits with CMD's status (7)" test "$st" -eq 7
	check "with-rig stopped the server and removed its dir" \
		bash -c "$(declare -f pid_gone); pid_gone $pid1 && [[ ! -e $rd ]]"
	st=0; RIG_KEEP=1 "$WITH" bash -c 'echo "$RIG_DIR $RIG_PID" > "$0"' "$work/wr2" 2>/dev/null || st=$?
	read -r rd pid1 < "$work/wr2"
	check "RIG_KEEP=1 keeps the dir (server stopped)" \
		bash -c "$(declare -f pid_gone); [[ $st == 0 && -f $rd/rig.env ]] && pid_gone $pid1"
	rm -rf "$rd"
	"$WITH" bash -c 'echo "$RIG_DIR $RIG_PID" > "$0"; exec sleep 30' "$work/wr3" & local wp=$!
	local n=0
	while [[ ! -s $work/wr3 ]] && ((n++ < 100)); do sleep 0.05; done
	kill -TERM "$wp"; st=0; wait "$wp" || st=$?
	read -r rd pid1 < "$work/wr3"
	check "with-rig on SIGTERM: exit 143, server stopped, dir removed" \
		bash -c "$(declare -f pid_gone); [[ $st == 143 && ! -e $rd ]] && pid_gone $pid1"
	# Ctrl-C: SIGINT to the whole process group (with-rig and CMD alike).
	setsid -w "$WITH" bash -c 'echo "$RIG_DIR $RIG_PID" > "$0"; exec sleep 30' "$work/wr4" & wp=$!
	n=0
	while [[ ! -s $work/wr4 ]] && ((n++ < 100)); do sleep 0.05; done
	kill -INT -- "-$wp" 2>/dev/null || kill -INT "$wp"; st=0; wait "$wp" || st=$?
	read -r rd pid1 < "$work/wr4"
	check "with-rig on Ctrl-C (SIGINT to group): exit 130, server stopped, dir removed" \
		bash -c "$(declare -f pid_gone); [[ $st == 130 && ! -e $rd ]] && pid_gone $pid1"
	st=0; "$WITH" false || st=$?
	check "with-rig propagates failure (exit 1)" test "$st" -eq 1
}

# ---------------------------------------------------------------------------

case ${1:-} in
	--inner-main) inner_main; exit 0 ;;
	--inner-nocondstore) inner_nocondstore; exit 0 ;;
	--inner-courier) inner_courier; exit 0 ;;
	"") ;;
	*) echo "usage: $0" >&2; exit 2 ;;
esac

t0=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/rig-selftest.XXXXXX")
chmod 755 "$work"   # as root, the rig's 'mail' user must be able to traverse it
export RIG_TEST_RESULTS=$work/results
: > "$RIG_TEST_RESULTS"
cleanup() {
	local d
	for d in "$work"/p1 "$work"/p2; do
		if [[ -d $d ]]; then "$RIG" stop "$d" || true; fi
	done
	rm -rf "$work"
}
trap cleanup EXIT

echo "# default rig"
"$WITH" "$self" --inner-main || fail "with-rig run of the main checks"
echo "# RIG_NO_CONDSTORE=1 rig"
RIG_NO_CONDSTORE=1 "$WITH" "$self" --inner-nocondstore || fail "with-rig run of the no-condstore checks"
echo "# RIG_PROFILE=courier rig"
RIG_PROFILE=courier "$WITH" "$self" --inner-courier || fail "with-rig run of the courier checks"
echo "# life cycle"
outer_lifecycle

passed=$(grep -c '^ok$' "$RIG_TEST_RESULTS" || true)
failed=$(grep -c '^fail$' "$RIG_TEST_RESULTS" || true)
echo "# took $((SECONDS - t0)) s as $(id -un)"
echo "$passed passed, $failed failed"
((failed == 0))
