#!/usr/bin/env python3
"""push.py - new-mail latency of `muttlike sync --watch` (run inside tests/rig/with-rig).

  push.py MUTTLIKE_BIN [N]

For INBOX and a folder besides it (Work), with NOTIFY (imap_notify = yes,
the default) and without (imap_notify = no, Work in imap_idle_folders):
a second client APPENDs a message, and from the moment the APPEND
completed the time until its file is in the local Maildir of the running
`muttlike sync --watch`, and until the index (notmuch) counts it, is
taken, N times (default 20).  Prints one line per case with the medians
and the worst, in milliseconds.  sync_interval is an hour, so nothing
arrives by polling.  Dovecot waits 0.5 s after a change before it tells
an IDLE or NOTIFY listener (its notify delay): that is in every figure.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from imapctl import connect  # noqa: E402  (the tests' second client)

TIMEOUT = 10.0


def count(d):
    n = 0
    for sub in ("cur", "new"):
        try:
            n += len(os.listdir(os.path.join(d, sub)))
        except FileNotFoundError:
            pass
    return n


def wait_count(d, want, deadline):
    while time.monotonic() < deadline:
        if count(d) >= want:
            return True
        time.sleep(0.002)
    return False


def index_count(cfg, folder):
    out = subprocess.run(["notmuch", "count", f"folder:test/{folder}"], env=dict(os.environ, NOTMUCH_CONFIG=cfg),
                         capture_output=True, text=True).stdout.strip()
    return int(out) if out.isdigit() else 0


def wait_indexed(cfg, folder, want, deadline):
    while time.monotonic() < deadline:
        if index_count(cfg, folder) >= want:
            return True
        time.sleep(0.002)
    return False


def message(i, folder):
    return (f"From: bench <bench@example.org>\r\nTo: alice@example.org\r\n"
            f"Subject: push {folder} {i}\r\nMessage-ID: <push-{folder}-{i}-{time.time_ns()}@bench>\r\n"
            f"\r\nbody {i}\r\n").encode()


def run_case(binary, notify, n, cli):
    tmp = tempfile.mkdtemp(prefix="push-bench-")
    try:
        data = os.path.join(tmp, "data")
        rc = os.path.join(tmp, "rc")
        with open(rc, "w") as f:
            f.write(f'set data_dir = "{data}"\nset sync_interval = 3600\naccount test\n'
                    f'set imap_url = "imaps://{os.environ["RIG_USER"]}@{os.environ["RIG_HOST"]}:{os.environ["RIG_IMAPS_PORT"]}"\n'
                    f'set imap_pass = "{os.environ["RIG_PASS"]}"\nset tls_ca_file = "{os.environ["RIG_CA"]}"\n'
                    f'set imap_notify = {"yes" if notify else "no"}\nset imap_idle_folders = "Work"\n')
        os.chmod(rc, 0o600)
        proc = subprocess.Popen([binary, "-F", rc, "sync", "--watch"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        results = {}
        try:
            root = os.path.join(data, "mail", "test")
            # the first pass: both folders exist locally
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (os.path.isdir(os.path.join(root, "Work", "cur"))
                                                       and os.path.isdir(os.path.join(root, "INBOX", "cur"))):
                time.sleep(0.01)
            time.sleep(0.5)  # the watch's connections log in (no figure depends on it but the first)
            cfg = os.path.join(tmp, "notmuch.cfg")
            with open(cfg, "w") as f:
                f.write(f"[database]\npath={os.path.join(data, 'mail')}\n")
            for folder in ("INBOX", "Work"):
                d = os.path.join(root, folder)
                files, index = [], []
                for i in range(n):
                    have = count(d)
                    cli.append(folder, None, None, message(i, folder))
                    t0 = time.monotonic()  # the message is on the server
                    ok = wait_count(d, have + 1, t0 + TIMEOUT)
                    files.append((time.monotonic() - t0) * 1000 if ok else float("inf"))
                    ok = ok and wait_indexed(cfg, folder, have + 1, t0 + TIMEOUT)
                    index.append((time.monotonic() - t0) * 1000 if ok else float("inf"))
                results[folder] = (files, index)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        return results
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    binary = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    cli = connect()
    if cli.select("Work")[0] != "OK":
        cli.create("Work")
    for notify in (True, False):
        res = run_case(binary, notify, n, cli)
        for folder, (files, index) in res.items():
            print(f"new-mail latency {folder:5s} {'NOTIFY' if notify else 'IDLE  '}: in the Maildir median "
                  f"{statistics.median(files):6.1f} ms (worst {max(files):6.1f}), indexed median "
                  f"{statistics.median(index):6.1f} ms (worst {max(index):6.1f}); n={n}, target < 1000 ms")
    cli.logout()


if __name__ == "__main__":
    main()
