#!/usr/bin/env python3
"""tests/bench/firstread.py W BIN LOG - muttlike's initial sync of the bench
corpus, timed as a new account's user sees it (issue 13, "a new account is
usable at once"), while /usr/bin/time measures the whole run as before.

From the start of `muttlike sync`:
  counts   data_dir/state/bench/folder-counts exists (the sidebar's folder
           list with the server's counts)
  newest50 a second, read-only notmuch handle (the reader's) finds 50 INBOX
           messages (the first batch is INBOX's 50 newest)
Polled every 10 ms until both are seen (the poller then stops, so that the
rest of the sync is timed without it).  Prints "COUNTS_S NEWEST50_S";
/usr/bin/time's "%e %M" goes to W/time.out as run() in tests/bench/run expects.
"""
import os
import subprocess
import sys
import time

w, binary, log = sys.argv[1], sys.argv[2], sys.argv[3]
with open(w + "/nm-reader", "w") as f:
    f.write("[database]\npath=%s/ml/mail\n" % w)
env = dict(os.environ, NOTMUCH_CONFIG=w + "/nm-reader")
counts_file = w + "/ml/state/bench/folder-counts"
t0 = time.perf_counter()
with open(log, "w") as out:
    p = subprocess.Popen(["/usr/bin/time", "-f", "%e %M", "-o", w + "/time.out", binary, "-F", w + "/muttlike.rc",
                          "sync"], stdout=out, stderr=subprocess.STDOUT)
    counts = newest = None
    while p.poll() is None and (counts is None or newest is None):
        now = time.perf_counter() - t0
        if counts is None and os.path.exists(counts_file):
            counts = now
        if newest is None and os.path.isdir(w + "/ml/mail/.notmuch"):
            r = subprocess.run(["notmuch", "count", "folder:bench/INBOX"], env=env, capture_output=True, text=True)
            if r.returncode == 0 and r.stdout.strip().isdigit() and int(r.stdout) >= 50:
                newest = time.perf_counter() - t0
        time.sleep(0.01)
    rc = p.wait()
if rc != 0:
    sys.exit("bench: muttlike sync failed (status %d); see %s" % (rc, log))
print("%.2f %.2f" % (counts if counts is not None else -1, newest if newest is not None else -1))
