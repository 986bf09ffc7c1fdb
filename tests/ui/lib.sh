# tests/ui/lib.sh - drive the real binary in tmux, as a user would.
#
#   source tests/ui/lib.sh
#   ui_start [-x COLS] [-y ROWS] CMD...   start CMD in a private tmux server
#   ui_keys KEYS...                       tmux send-keys (names like Enter, C-l, Escape)
#   ui_type TEXT                          send literal text
#   ui_wait TEXT [SECONDS]                wait until TEXT is on screen (default 30 s);
#                                         fails at once, showing the screen, when the
#                                         program has ended without showing it
#   ui_wait_gone TEXT [SECONDS]           wait until TEXT is gone
#   ui_screen                             print the screen
#   ui_row N                              print screen row N (0-based)
#   ui_resize COLS ROWS
#   ui_until CMD...                       run CMD until it succeeds (30 s)
#   ui_stays_off TEXT SECONDS             fail if TEXT shows during SECONDS
#   ui_settled                            wait until the keys sent so far are handled
#   ui_status_row                         print the status bar (second-to-last row)
#   ui_wait_synced                        wait until the status bar no longer says syncing
#   ui_exited [SECONDS]                   wait for the program to end; echoes its status
#   ui_stop                               end the tmux server (ui_start does it too)
#   check NAME CMD...                     run an assertion; counts passes and failures
#   finish                                print "N passed, M failed"; exit status
#
# Each test, and each ui_start in it, gets its own tmux socket, so tests
# can run side by side and never touch the user's tmux.  ASan reports
# from the binary land in $UI_TMP/asan.* and fail the test in finish.
set -u
UI_TMP=$(mktemp -d /tmp/muttlike-ui.XXXXXX)
UI_PASSED=0
UI_FAILED=0
# How long a wait gives by default: generous, it costs nothing when the
# text comes (a busy 2-core machine runs the tests under ASan).
UI_WAIT_SECS=${UI_WAIT_SECS:-30}
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:log_path=$UI_TMP/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:log_path=$UI_TMP/ubsan"
MUTTLIKE_BIN=${MUTTLIKE_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/muttlike}

# Every ui_start has its own tmux socket (muttlike-ui-PID-N): a server
# still going away after the last one cannot take the new session down.
UI_NSTART=0
UI_SOCK="muttlike-ui-$$-0"

# End the current tmux server and wait until its process is gone.
ui_stop() {
	local pid i
	pid=$(tmux -L "$UI_SOCK" display -p '#{pid}' 2>/dev/null)
	tmux -L "$UI_SOCK" kill-server 2>/dev/null
	[ -n "$pid" ] || return 0
	for ((i = 0; i < 1200; i++)); do # 60 s
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	echo "ui_stop: tmux server $pid still running after 60 s" >&2
	return 1
}

ui_cleanup() {
	ui_stop
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
	ui_stop
	UI_NSTART=$((UI_NSTART + 1))
	UI_SOCK="muttlike-ui-$$-$UI_NSTART"
	local cmd
	printf -v cmd '%q ' "$@"
	rm -f "$UI_TMP/exit.status"
	# The shell wrapper records the exit status (tmux's pane_dead_status is
	# racy); remain-on-exit keeps the last screen readable after the end.
	# The options come from a file, so they hold from the first instant (a
	# program that ends at once still leaves its screen and status).
	printf 'set -g remain-on-exit on\nset -g status off\nset -g default-size %sx%s\n' \
		"$cols" "$rows" > "$UI_TMP/tmux.conf"
	if ! tmux -L "$UI_SOCK" -f "$UI_TMP/tmux.conf" new-session -d -s t -x "$cols" -y "$rows" \
		"env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 $cmd; echo \$? > $UI_TMP/exit.status.tmp && mv $UI_TMP/exit.status.tmp $UI_TMP/exit.status"; then
		echo "ui_start: tmux new-session failed (status $?) for: $cmd" >&2
		return 1
	fi
}

ui_keys() { tmux -L "$UI_SOCK" send-keys -t t "$@"; }
ui_type() { tmux -L "$UI_SOCK" send-keys -t t -l "$1"; }
ui_screen() { tmux -L "$UI_SOCK" capture-pane -p -t t; }
ui_row() { ui_screen | sed -n "$(($1 + 1))p"; }
ui_resize() { tmux -L "$UI_SOCK" resize-window -t t -x "$1" -y "$2"; }

# Wait until the screen does (want=0) or does not (want=1) contain TEXT.
# When the program has ended (or tmux is gone) the screen can no longer
# change: one last look, then fail at once instead of waiting the time out.
# Microseconds since the epoch: the deadlines below are in wall time, so a
# slow tmux or grep on a busy machine does not stretch them.
ui_now() { echo "${EPOCHREALTIME/./}"; }

ui_wait_for_text() { # NAME WANT TEXT SECS
	local name=$1 want=$2 text=$3 secs=$4 scr has end
	end=$(($(ui_now) + secs * 1000000))
	while (($(ui_now) < end)); do
		if ! scr=$(ui_screen 2>&1); then
			echo "$name: '$text': the tmux server is gone ($scr)" >&2
			return 1
		fi
		has=1
		grep -qF -- "$text" <<< "$scr" && has=0
		[ "$has" = "$want" ] && return 0
		if [ -f "$UI_TMP/exit.status" ]; then
			has=1
			ui_screen | grep -qF -- "$text" && has=0
			[ "$has" = "$want" ] && return 0
			ui_failed_wait "$name: '$text' $([ "$want" = 0 ] && echo "is not on screen" || echo "is still on screen"), and the program has ended"
			return 1
		fi
		sleep 0.05
	done
	ui_failed_wait "$name: '$text' $([ "$want" = 0 ] && echo "did not appear" || echo "still on screen") within ${secs}s"
}

# Why a wait failed: the message, then the screen (and the exit status).
ui_failed_wait() { # MESSAGE
	echo "$1; the screen:" >&2
	ui_screen 2>&1 | sed 's/^/  | /' >&2
	[ -f "$UI_TMP/exit.status" ] && echo "  (the program exited with status $(cat "$UI_TMP/exit.status"))" >&2
	return 1
}

ui_wait() { ui_wait_for_text ui_wait 0 "$1" "${2:-$UI_WAIT_SECS}"; }
ui_wait_gone() { ui_wait_for_text ui_wait_gone 1 "$1" "${2:-$UI_WAIT_SECS}"; }

# Run CMD... until it succeeds (every 50 ms, up to UI_WAIT_SECS): for a
# condition the screen or the files reach after a key, instead of a sleep
# before a single look.  On a timeout the screen is printed.
ui_until() {
	local end
	end=$(($(ui_now) + UI_WAIT_SECS * 1000000))
	while (($(ui_now) < end)); do
		"$@" && return 0
		sleep 0.05
	done
	ui_failed_wait "ui_until: '$*' did not hold within ${UI_WAIT_SECS}s"
}

# TEXT must not appear on the screen during the next SECONDS: watched
# every 50 ms (a dialog that comes and goes is seen too), failing at once
# when it shows.  Only for what has no later event to wait for (a retry
# timer that must not fire, with nothing that fires after it): name the
# product's timer the window covers where it is used.
ui_stays_off() { # TEXT SECONDS
	local text=$1 secs=$2 t0 now
	t0=$(ui_now)
	now=$t0
	while ((now - t0 < secs * 1000000)); do
		if ui_screen | grep -qF -- "$text"; then
			ui_failed_wait "ui_stays_off: '$text' appeared after $(((now - t0) / 1000)) ms"
			return 1
		fi
		sleep 0.05
		now=$(ui_now)
	done
}

# The status bar: the second-to-last row.
ui_status_row() { ui_row $(($(tmux -L "$UI_SOCK" display -p -t t '#{pane_height}') - 2)); }

# The status bar no longer says syncing: the background pass has ended.
# (Not ui_wait_gone "syncing": the message line keeps "...; syncing..."
# of an answered question after the pass.)
ui_wait_synced() { ui_until eval '! ui_status_row | grep -q syncing'; }

# Every key sent so far has been handled: F12 (bound to nothing) answers
# "Key is not bound" on the message line once the keys before it are done.
# For a check that something did NOT happen after a key or a click; not
# where that message may already be on screen.
ui_settled() {
	ui_keys F12
	ui_wait "Key is not bound."
}

ui_exited() {
	local secs=${1:-$UI_WAIT_SECS} i
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
