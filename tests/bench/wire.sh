#!/usr/bin/env bash
# tests/bench/wire.sh BUILD - `make bench`: the wire.  The initial sync of
# the bench corpus at 0 ms and at WIRE_RTT_MS (default 100) round-trip
# time, muttlike beside mbsync at the same delay, and the bytes on the
# wire of muttlike's initial sync with and without COMPRESS=DEFLATE
# (imap_compress), with the commands and round trips `muttlike sync -v`
# counted.  Prints one table; not a pass/fail test (target: the delayed
# sync in at most 1.5x the time of the undelayed one).
#
# The delay: `tc netem` on the loopback of a private network namespace
# (unshare -rn, as the wizard tests make them), half the round trip on
# each way through lo.  A kernel without sch_netem (some VMs) gets a
# userspace relay instead (tests/bench/delayproxy.py, the same delay on
# every byte each way, no bandwidth cap); then both columns, 0 ms too, go
# through the relay, so that the ratio measures the delay alone.
#
#   BENCH_COUNT   messages to generate (default 10000, ~150 MB)
#   BENCH_SEED    corpus seed (default 42)
#   WIRE_RTT_MS   the delayed round trip (default 100)
#   WIRE_DELAY    netem | relay (default: netem when the kernel has it)
#   WIRE_BEFORE   another muttlike binary (e.g. one built from main) to time
#                 beside this one, at both delays
#   BENCH_KEEP=1  keep the work directory
set -euo pipefail
BUILD=${1:?usage: tests/bench/wire.sh BUILD}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$SRC/$BUILD/muttlike
GEN=$SRC/$BUILD/gencorpus
COUNT=${BENCH_COUNT:-10000}
SEED=${BENCH_SEED:-42}
RTT=${WIRE_RTT_MS:-100}
for t in mbsync /usr/bin/time python3 unshare; do
	command -v "$t" >/dev/null || { echo "wire bench: needs $t (apt-get install -y isync time python3 util-linux)"; exit 1; }
done
[[ -x $BIN && -x $GEN ]] || { echo "wire bench: build $BIN and $GEN first (make all $BUILD/gencorpus)"; exit 1; }

netem_works() {
	unshare -rn sh -c 'ip link set lo up && tc qdisc add dev lo root netem delay 1ms' 2>/dev/null
}
if [[ -z ${WIRE_IN_NETNS:-} ]]; then
	mode=${WIRE_DELAY:-}
	if [[ -z $mode ]]; then
		netem_works && mode=netem || mode=relay
	fi
	if [[ $mode == netem ]]; then
		exec unshare -rn env WIRE_IN_NETNS=1 bash "$0" "$@"
	fi
	MODE=relay
else
	MODE=netem
	ip link set lo up
fi

W=$(mktemp -d /tmp/muttlike-wire.XXXXXX)
chmod 755 "$W"
RIG=$W/rig
RELAY_PID=
cleanup() {
	[[ -n $RELAY_PID ]] && kill "$RELAY_PID" 2>/dev/null || true
	"$SRC/tests/rig/rig" stop "$RIG" >/dev/null 2>&1 || true
	[[ ${BENCH_KEEP:-0} == 1 ]] && echo "wire bench: kept $W" || rm -rf "$W"
}
trap cleanup EXIT

RIG_QUIET=1 "$SRC/tests/rig/rig" start "$RIG" >/dev/null
# shellcheck disable=SC1091
source "$RIG/rig.env"
echo "wire bench: generating $COUNT messages (seed $SEED)..."
"$GEN" --seed "$SEED" --count "$COUNT" "$W/corpus" >/dev/null
RIG_QUIET=1 "$SRC/tests/rig/rig" populate "$RIG" alice "$W/corpus" >/dev/null
doveadm -c "$RIG_DOVECOT_CONF" mailbox status -u alice -t messages '*' >/dev/null
corpus_mb=$(du -sm "$W/corpus" | cut -f1)

PORT=$RIG_IMAPS_PORT
if [[ $MODE == relay ]]; then
	echo 0 > "$W/delay"
	python3 "$SRC/tests/bench/delayproxy.py" "$W/relay.port" "$W/delay" "$RIG_IMAPS_PORT" &
	RELAY_PID=$!
	for ((i = 0; i < 100; i++)); do
		[[ -s $W/relay.port ]] && break
		python3 -c 'import time; time.sleep(0.05)'
	done
	[[ -s $W/relay.port ]] || { echo "wire bench: the delay relay did not start"; exit 1; }
	PORT=$(cat "$W/relay.port")
fi

# set_rtt MS: the round trip from here on
set_rtt() {
	if [[ $MODE == relay ]]; then
		echo "$1" > "$W/delay"
	elif (($1 > 0)); then
		tc qdisc replace dev lo root netem delay "$(($1 / 2))ms" limit 100000
	else
		tc qdisc del dev lo root 2>/dev/null || true
	fi
}

# ml_rc NAME COMPRESS: a muttlike rc with its own data_dir
ml_rc() {
	cat > "$W/$1.rc" <<RC
set data_dir = "$W/$1"
set imap_compress = $2
account bench
set imap_url = "imaps://alice@$RIG_HOST:$PORT"
set imap_pass_cmd = "echo alice-pw"
set tls_ca_file = "$RIG_CA"
RC
}

# mb_rc NAME: an mbsync config with its own Maildir
mb_rc() {
	mkdir -p "$W/$1/mail"
	cat > "$W/$1.rc" <<MB
IMAPAccount bench
Host localhost
Port $PORT
User alice
Pass alice-pw
SSLType IMAPS
CertificateFile $RIG_CA

IMAPStore remote
Account bench

MaildirStore local
Path $W/$1/mail/
Inbox $W/$1/mail/INBOX
SubFolders Verbatim

Channel bench
Far :remote:
Near :local:
Patterns *
Create Near
Sync All
SyncState *
MB
}

# timed LABEL CMD...: wall seconds into $secs
timed() {
	local label=$1; shift
	/usr/bin/time -f "%e" -o "$W/time.out" "$@" > "$W/$label.log" 2>&1 || {
		echo "wire bench: $label failed:"; tail -5 "$W/$label.log"; exit 1; }
	secs=$(tail -1 "$W/time.out")
}

# ml_wire LABEL: "bytes_in inflated bytes_out plain_out commands round_trips" from -v
ml_wire() {
	sed -n 's/.*wire: \([0-9]*\) bytes in (\([0-9]*\) inflated), \([0-9]*\) bytes out (\([0-9]*\) before compression), \([0-9]*\) commands in \([0-9]*\) round trips.*/\1 \2 \3 \4 \5 \6/p' \
		"$W/$1.log" | head -1
}

ml_rc ml0 yes; ml_rc ml1 yes; ml_rc mlz no; ml_rc bf0 yes; ml_rc bf1 yes
mb_rc mb0; mb_rc mb1

echo "wire bench: corpus $COUNT messages, $corpus_mb MB, Dovecot over TLS, delay by $MODE"
set_rtt 0
timed ml0 "$BIN" -F "$W/ml0.rc" sync -v; ml0=$secs
timed mb0 mbsync -c "$W/mb0.rc" -a;      mb0=$secs
timed mlz "$BIN" -F "$W/mlz.rc" sync -v; mlz=$secs
[[ -n ${WIRE_BEFORE:-} ]] && { timed bf0 "$WIRE_BEFORE" -F "$W/bf0.rc" sync; bf0=$secs; }
set_rtt "$RTT"
timed ml1 "$BIN" -F "$W/ml1.rc" sync -v; ml1=$secs
timed mb1 mbsync -c "$W/mb1.rc" -a;      mb1=$secs
[[ -n ${WIRE_BEFORE:-} ]] && { timed bf1 "$WIRE_BEFORE" -F "$W/bf1.rc" sync; bf1=$secs; }
set_rtt 0

read -r z_in z_plain_in z_out z_plain_out ml_cmds ml_rts < <(ml_wire ml0)
read -r n_in n_plain_in n_out n_plain_out _ _ < <(ml_wire mlz)
read -r _ _ _ _ ml1_cmds ml1_rts < <(ml_wire ml1)
ml_files=$(find "$W/ml1/mail/bench" -path '*/cur/*' -type f | wc -l)
mb_files=$(find "$W/mb1/mail" -path '*/cur/*' -type f -o -path '*/new/*' -type f | wc -l)
ratio() { python3 -c "print('%.2f' % ($1 / $2) if $2 > 0 else 'n/a')"; }
mib() { python3 -c "print('%.1f' % ($1 / 1048576))"; }

printf '\n%-40s %12s %12s %8s\n' "initial sync" "0 ms" "$RTT ms" "ratio"
printf '%-40s %11ss %11ss %8s  (target <= 1.50)\n' "muttlike (sync + index)" "$ml0" "$ml1" "$(ratio "$ml1" "$ml0")"
printf '%-40s %11ss %11ss %8s\n' "mbsync" "$mb0" "$mb1" "$(ratio "$mb1" "$mb0")"
[[ -n ${WIRE_BEFORE:-} ]] &&
	printf '%-40s %11ss %11ss %8s\n' "muttlike WIRE_BEFORE" "$bf0" "$bf1" "$(ratio "$bf1" "$bf0")"
printf '%-40s %12s %12s\n' "muttlike commands / round trips" "$ml_cmds / $ml_rts" "$ml1_cmds / $ml1_rts"
printf '%-40s %12s\n' "messages: muttlike / mbsync" "$ml_files / $mb_files"
kib() { python3 -c "print('%.1f' % ($1 / 1024))"; }
printf '\n%-40s %12s %12s %8s\n' "muttlike initial sync (0 ms)" "COMPRESS on" "off" "ratio"
printf '%-40s %10sMB %10sMB %8s\n' "bytes on the wire in" "$(mib "$z_in")" "$(mib "$n_in")" "$(ratio "$z_in" "$n_in")"
printf '%-40s %10sKB %10sKB %8s\n' "bytes on the wire out" "$(kib "$z_out")" "$(kib "$n_out")" "$(ratio "$z_out" "$n_out")"
printf '%-40s %10sMB %10sMB\n' "IMAP text in (after inflating)" "$(mib "$z_plain_in")" "$(mib "$n_plain_in")"
printf '%-40s %10sKB %10sKB\n' "IMAP text out (before deflating)" "$(kib "$z_plain_out")" "$(kib "$n_plain_out")"
printf '%-40s %11ss %11ss\n' "time" "$ml0" "$mlz"
