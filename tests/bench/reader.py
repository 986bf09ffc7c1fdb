#!/usr/bin/env python3
"""reader.py BINARY RCFILE - time the reader from outside, in a pseudo-terminal.

Figures (printed one per line, "name: value unit"):
  first screen   spawn -> the index's status line ("[Msgs:") is on the terminal,
                 threaded, newest first, account "big" (100,000 messages)
  load complete  spawn -> the rest of the folder loaded behind the first screen
  next page      keypress -> last byte of the redraw, after loading (mean of 10)
  jump to end    keypress -> last byte of the redraw
  open 1 MB      Enter on a 1 MB message (account "small") -> last byte of the pager
  peak RSS       VmHWM of the reader with the 100,000-message folder open
"""
import os
import pty
import select
import signal
import statistics
import struct
import sys
import termios
import time
import fcntl

QUIET = 0.25  # no output for this long = the screen is drawn


def spawn(argv, rows=24, cols=80):
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
        os.execve(argv[0], argv, env)
    return pid, fd


def read_until(fd, pattern, timeout=30.0):
    buf = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            buf += data
            if pattern in buf:
                return time.monotonic(), buf
    raise RuntimeError("timeout waiting for %r" % pattern)


def wait_quiet(fd, quiet=QUIET, timeout=120.0):
    """Read until no output for `quiet` seconds; return the time of the last byte."""
    last = time.monotonic()
    end = last + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], quiet)
        if not r:
            return last
        try:
            if not os.read(fd, 65536):
                return last
        except OSError:
            return last
        last = time.monotonic()
    return last


def key_latency(fd, key):
    t0 = time.monotonic()
    os.write(fd, key)
    return wait_quiet(fd) - t0


def stop(pid, fd):
    try:
        os.write(fd, b"Q")
        for _ in range(40):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
    except OSError:
        pass
    os.close(fd)


def peak_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def ms(s):
    return "%.1f ms" % (s * 1000)


def main():
    binary, rc = sys.argv[1], sys.argv[2]
    firsts = []
    for _ in range(3):
        t0 = time.monotonic()
        pid, fd = spawn([binary, "-F", rc, "-a", "big"])
        t1, _ = read_until(fd, b"[Msgs:")
        firsts.append(t1 - t0)
        stop(pid, fd)
    print("first screen (100,000 messages, threaded): %s (median of 3; %s)"
          % (ms(statistics.median(firsts)), ", ".join(ms(x) for x in firsts)))

    t0 = time.monotonic()
    pid, fd = spawn([binary, "-F", rc, "-a", "big"])
    read_until(fd, b"[Msgs:")
    loaded = wait_quiet(fd, quiet=1.0) - t0
    print("load complete behind it: %.2f s" % loaded)
    pages = [key_latency(fd, b" ") for _ in range(10)]
    print("next page: %s per keypress (mean of 10, max %s)" % (ms(statistics.mean(pages)), ms(max(pages))))
    print("jump to end: %s" % ms(key_latency(fd, b"*")))
    print("jump to start: %s" % ms(key_latency(fd, b"=")))
    print("peak RSS with the 100,000-message folder open: %.1f MB" % (peak_rss_kb(pid) / 1024))
    stop(pid, fd)

    pid, fd = spawn([binary, "-F", rc, "-a", "small"])
    read_until(fd, b"[Msgs:")
    wait_quiet(fd, quiet=1.0)
    t0 = time.monotonic()
    os.write(fd, b"\r")
    t1 = wait_quiet(fd)
    print("open a 1 MB message: %s" % ms(t1 - t0))
    stop(pid, fd)


if __name__ == "__main__":
    main()
