#!/usr/bin/env bash
# tests/bench/hostile.sh BUILD - part of `make bench`: `muttlike sync` of one
# hostile message at a time into a fresh store, under /usr/bin/time -v.
# Prints wall time and peak RSS of each and FAILS (exit 1) when a peak RSS
# is over the bound (issue 11: <= 128 MB on every message up to the 64 MiB
# literal cap), or when the message is not stored in full and indexed
# (by its headers only, tagged oversized, where the caps say so).
#
#   HOSTILE_RSS_MAX_KB  the bound (default 131072)
set -euo pipefail
BUILD=${1:?usage: tests/bench/hostile.sh BUILD}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$SRC/$BUILD/muttlike
MAX_KB=${HOSTILE_RSS_MAX_KB:-131072}
for t in notmuch /usr/bin/time python3; do
	command -v "$t" >/dev/null || { echo "hostile: needs $t"; exit 1; }
done
W=$(mktemp -d /tmp/muttlike-hostile.XXXXXX)
chmod 755 "$W"
cleanup() { "$SRC/tests/rig/rig" stop "$W/rig" >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT

# gen KIND N FILE: parts = N empty parts ("deepword" only after them);
# text = N bytes of distinct words; textcap = N words just under the
# text caps; attach = N bytes of base64 attachment.
gen() {
	python3 - "$@" <<'PY'
import base64, random, sys
kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
r = random.Random(11)
with open(out, "w", newline="") as f:
    f.write("From: Mallory <m@example.org>\r\nTo: alice@example.org\r\nSubject: hostile zebraheader\r\n"
            "Message-ID: <hostile-%s-%d@example.org>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
            "MIME-Version: 1.0\r\n" % (kind, n))
    if kind == "parts":
        f.write('Content-Type: multipart/mixed; boundary="b"\r\n\r\n')
        f.write(("--b\r\n\r\n\r\n\r\n" if n > 500000 else "--b\r\nContent-Type: text/plain\r\n\r\n\r\n") * n)
        f.write("--b\r\nContent-Type: text/plain\r\n\r\ndeepword\r\n--b--\r\n")
    elif kind == "text":
        f.write("Content-Type: text/plain\r\n\r\ndeepword\r\n")
        size = 0
        while size < n:
            s = " ".join("w%x" % r.getrandbits(40) for _ in range(8)) + "\r\n"
            f.write(s)
            size += len(s)
    elif kind == "textcap":
        # just under the caps: n words drawn from 19,000 distinct ones
        f.write("Content-Type: text/plain\r\n\r\ndeepword\r\n")
        for i in range(0, n, 10):
            f.write(" ".join("v%d" % r.randrange(19000) for _ in range(10)) + "\r\n")
    else:
        f.write('Content-Type: multipart/mixed; boundary="z"\r\n\r\n--z\r\nContent-Type: text/plain\r\n\r\n'
                'deepword\r\n--z\r\nContent-Type: application/octet-stream\r\n'
                'Content-Transfer-Encoding: base64\r\n\r\n')
        f.write(base64.encodebytes(r.randbytes(n * 3 // 4)).decode().replace("\n", "\r\n"))
        f.write("--z--\r\n")
PY
}

RIG_QUIET=1 "$SRC/tests/rig/rig" start "$W/rig" >/dev/null
# shellcheck disable=SC1091
source "$W/rig/rig.env"
fail=0
printf '%-40s %8s %9s %10s  %s\n' "message" "MB" "seconds" "peak RSS" "indexed as"
# name kind n oversized(1/0)
while read -r name kind n over; do
	gen "$kind" "$n" "$W/msg.eml"
	mb=$(python3 -c "import os; print('%.1f' % (os.path.getsize('$W/msg.eml') / 1e6))")
	rm -rf "$W/corpus" "$W/ml"
	mkdir -p "$W/corpus/$name/cur"
	cp "$W/msg.eml" "$W/corpus/$name/cur/1000.M1P1.rig:2,"
	RIG_QUIET=1 "$SRC/tests/rig/rig" populate "$W/rig" alice "$W/corpus" >/dev/null
	cat > "$W/rc" <<RC
set data_dir = "$W/ml"
set sync_folders = "$name"
account h
set imap_url = "imaps://alice@$RIG_HOST:$RIG_IMAPS_PORT"
set imap_pass_cmd = "echo alice-pw"
set tls_ca_file = "$RIG_CA"
RC
	/usr/bin/time -v -o "$W/time.out" "$BIN" -F "$W/rc" sync > "$W/sync.log" 2>&1 || {
		echo "hostile: sync of $name failed:"; tail -5 "$W/sync.log"; exit 1; }
	secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$W/time.out")
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$W/time.out")
	printf '[database]\npath=%s\n' "$W/ml/mail" > "$W/nm"
	nm() { NOTMUCH_CONFIG="$W/nm" notmuch "$@"; }
	file=$(nm search --output=files "folder:h/$name")
	as="full"
	[[ $(nm count "folder:h/$name and tag:oversized") == 1 ]] && as="headers only"
	printf '%-40s %8s %9s %8sMB  %s\n' "$name ($kind $n)" "$mb" "$secs" "$((rss / 1024))" "$as"
	if ((rss > MAX_KB)); then echo "hostile: FAIL: $name peak RSS $((rss / 1024)) MB > $((MAX_KB / 1024)) MB"; fail=1; fi
	if ! cmp -s "$file" "$W/msg.eml"; then echo "hostile: FAIL: $name: the indexed file is not the whole message"; fail=1; fi
	want="full"; ((over)) && want="headers only"
	if [[ $as != "$want" ]]; then echo "hostile: FAIL: $name indexed as $as, expected $want"; fail=1; fi
	if [[ $(nm count "folder:h/$name and zebraheader") != 1 ]]; then echo "hostile: FAIL: $name: its header is not searchable"; fail=1; fi
	if ((over)) && [[ $(nm count "folder:h/$name and deepword") != 0 ]]; then echo "hostile: FAIL: $name: body indexed"; fail=1; fi
done <<'LIST'
Parts1M parts 1000000 1
Parts100k parts 100000 1
Parts9990 parts 9990 0
Text64M text 66000000 1
TextUnderCaps textcap 480000 0
Attach64M attach 64000000 0
LIST
((fail == 0)) && echo "hostile: every peak RSS <= $((MAX_KB / 1024)) MB"
exit $fail
