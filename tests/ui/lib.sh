# tests/ui/lib.sh - drive the real binary in tmux, as a user would.
#
#   source tests/ui/lib.sh
#   ui_start [-x COLS] [-y ROWS] CMD...   start CMD in a private tmux server
#   ui_keys KEYS...                       tmux send-keys (names like Enter, C-l, Escape)
#   ui_type TEXT                          send literal text
#   ui_wait TEXT [SECONDS]                wait until TEXT is on screen (default 10 s)
#   ui_wait_gone TEXT [SECONDS]           wait until TEXT is gone
#   ui_screen                             print the screen
#   ui_row N                              print screen row N (0-based)
#   ui_resize COLS ROWS
#   ui_exited [SECONDS]                   wait for the program to end; echoes its status
#   check NAME CMD...                     run an assertion; counts passes and failures
#   finish                                print "N passed, M failed"; exit status
#
# Each test gets its own tmux socket, so tests can run side by side and
# never touch the user's tmux.  ASan reports from the binary land in
# $UI_TMP/asan.* and fail the test in finish.
set -u
UI_TMP=$(mktemp -d /tmp/muttlike-ui.XXXXXX)
UI_SOCK="muttlike-ui-$$"
UI_PASSED=0
UI_FAILED=0
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:log_path=$UI_TMP/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:log_path=$UI_TMP/ubsan"
MUTTLIKE_BIN=${MUTTLIKE_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/muttlike}

ui_cleanup() {
	tmux -L "$UI_SOCK" kill-server 2>/dev/null
	[ "${UI_KEEP:-0}" = 1 ] || rm -rf "$UI_TMP"
}
trap ui_cleanup EXIT
trap 'exit 130' INT TERM

ui_start() {
	local cols=80 rows=24
	while [ $# -gt 0 ]; do
		case $1 in
		-x) cols=$2; shift 2 ;;
		-y) rows=$2; shift 2 ;;
		*) break ;;
		esac
	done
	tmux -L "$UI_SOCK" kill-server 2>/dev/null
	local cmd
	printf -v cmd '%q ' "$@"
	rm -f "$UI_TMP/exit.status"
	# The shell wrapper records the exit status (tmux's pane_dead_status is
	# racy); remain-on-exit keeps the last screen readable after the end.
	# A server that is still going away after kill-server can take the
	# new session down with it ("server exited unexpectedly"): wait until
	# it is gone, and try again if new-session itself failed.  The options
	# come from a file, so they hold from the first instant (a program
	# that ends at once still leaves its screen and status).
	local i
	for ((i = 0; i < 100; i++)); do
		tmux -L "$UI_SOCK" has-session 2>/dev/null || break
		sleep 0.05
	done
	printf 'set -g remain-on-exit on\nset -g status off\n' > "$UI_TMP/tmux.conf"
	for ((i = 0; i < 5; i++)); do
		tmux -L "$UI_SOCK" -f "$UI_TMP/tmux.conf" new-session -d -s t -x "$cols" -y "$rows" \
			"env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 $cmd; echo \$? > $UI_TMP/exit.status.tmp && mv $UI_TMP/exit.status.tmp $UI_TMP/exit.status" \
			&& break
		echo "ui_start: tmux new-session failed (attempt $((i + 1))); again" >&2
		tmux -L "$UI_SOCK" kill-server 2>/dev/null
		sleep 0.2
	done
}

ui_keys() { tmux -L "$UI_SOCK" send-keys -t t "$@"; }
ui_type() { tmux -L "$UI_SOCK" send-keys -t t -l "$1"; }
ui_screen() { tmux -L "$UI_SOCK" capture-pane -p -t t; }
ui_row() { ui_screen | sed -n "$(($1 + 1))p"; }
ui_resize() { tmux -L "$UI_SOCK" resize-window -t t -x "$1" -y "$2"; }

ui_wait() {
	local text=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		ui_screen | grep -qF -- "$text" && return 0
		sleep 0.05
	done
	echo "ui_wait: '$text' did not appear within ${secs}s; the screen:" >&2
	ui_screen | sed 's/^/  | /' >&2
	return 1
}

ui_wait_gone() {
	local text=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		ui_screen | grep -qF -- "$text" || return 0
		sleep 0.05
	done
	echo "ui_wait_gone: '$text' still on screen after ${secs}s" >&2
	return 1
}

ui_exited() {
	local secs=${1:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		if [ -f "$UI_TMP/exit.status" ]; then
			cat "$UI_TMP/exit.status"
			return 0
		fi
		sleep 0.05
	done
	echo "timeout"
	return 1
}

check() {
	local name=$1
	shift
	if "$@"; then
		UI_PASSED=$((UI_PASSED + 1))
		echo "ok   - $name"
	else
		UI_FAILED=$((UI_FAILED + 1))
		echo "FAIL - $name"
	fi
}

finish() {
	if compgen -G "$UI_TMP/asan*" >/dev/null || compgen -G "$UI_TMP/ubsan*" >/dev/null; then
		echo "FAIL - sanitizer reports from the binary:"
		cat "$UI_TMP"/asan* "$UI_TMP"/ubsan* 2>/dev/null | head -50
		UI_FAILED=$((UI_FAILED + 1))
	fi
	echo "$UI_PASSED passed, $UI_FAILED failed"
	[ "$UI_FAILED" -eq 0 ]
}
