#!/bin/bash
# test_cli.sh - the command-line contract: --help, --version, --help-options,
# config errors with file:line, exit codes 0/2, no terminal for the reader.
source "$(dirname "$0")/lib.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"

out=$("$MUTTLIKE_BIN" --version); st=$?
check "--version prints the version and exits 0" [ $st -eq 0 -a "${out%% *}" = muttlike ]
out=$("$MUTTLIKE_BIN" --help); st=$?
check "--help shows the usage" eval '[ $st -eq 0 ] && grep -q "usage: muttlike" <<<"$out"'
out=$("$MUTTLIKE_BIN" --help-options); st=$?
check "--help-options lists options" eval '[ $st -eq 0 ] && grep -q "^imap_url " <<<"$out" && grep -q "^timeout " <<<"$out"'
n=$("$MUTTLIKE_BIN" --help-options=rc | grep -c '^# set ')
check "--help-options=rc has one entry per option" [ "$n" -ge 40 ]
"$MUTTLIKE_BIN" --help-options=bogus >/dev/null 2>"$T/err"; st=$?
check "--help-options=bogus is a usage error" eval '[ $st -eq 2 ] && grep -q "takes text, man or rc" "$T/err"'

cat > "$T/broken.rc" <<'RC'
set timout = 5
set tls = maybe
bind index j next-entyr
source missing.rc
set sidebar_width = 40
RC
"$MUTTLIKE_BIN" -F "$T/broken.rc" --help-options >/dev/null 2>"$T/err"; st=$?
check "broken rc: exit 2" [ $st -eq 2 ]
check "broken rc: unknown option with file:line and suggestion" \
	grep -q "^muttlike: $T/broken.rc:1: unknown option 'timout' (did you mean timeout?)\$" "$T/err"
check "broken rc: bad enum lists values" grep -q "broken.rc:2: tls is one of required or none, not 'maybe'" "$T/err"
check "broken rc: unknown function" grep -q "broken.rc:3: unknown function 'next-entyr' (did you mean next-entry?)" "$T/err"
check "broken rc: missing source" grep -q "broken.rc:4: cannot read .*missing.rc: No such file" "$T/err"
check "broken rc: exactly four errors" [ "$(wc -l < "$T/err")" -eq 4 ]

"$MUTTLIKE_BIN" -F "$T/nope.rc" --help-options >/dev/null 2>"$T/err"; st=$?
check "-F with a missing file: exit 2, says so" eval '[ $st -eq 2 ] && grep -q "nope.rc: no such config file" "$T/err"'
"$MUTTLIKE_BIN" frobnicate 2>"$T/err"; st=$?
check "unknown command: exit 2" eval '[ $st -eq 2 ] && grep -q "unknown command .frobnicate." "$T/err"'
"$MUTTLIKE_BIN" --no-such-flag 2>"$T/err"; st=$?
check "unknown flag: exit 2" [ $st -eq 2 ]
printf 'account work\nset imap_url = imaps://x.example\n' > "$T/ok.rc"
"$MUTTLIKE_BIN" -F "$T/ok.rc" -a home </dev/null 2>"$T/err"; st=$?
check "-a with an unknown account: exit 2" eval '[ $st -eq 2 ] && grep -q "no account named .home." "$T/err"'
"$MUTTLIKE_BIN" -F "$T/ok.rc" </dev/null >/dev/null 2>"$T/err"; st=$?
check "the reader without a terminal: exit 2 with advice" eval '[ $st -eq 2 ] && grep -q "needs a terminal" "$T/err"'

printf 'account a\nset imap_pass = "pw"\n' > "$T/pass.rc"; chmod 644 "$T/pass.rc"
"$MUTTLIKE_BIN" -F "$T/pass.rc" --help-options >/dev/null 2>"$T/err"; st=$?
check "world-readable rc with imap_pass: warned, not an error" \
	eval '[ $st -eq 0 ] && grep -q "warning: .*pass.rc: holds imap_pass but is readable by group or others; run: chmod 600" "$T/err"'
finish
