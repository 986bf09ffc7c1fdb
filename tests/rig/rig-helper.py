#!/usr/bin/env python3
"""Small network/name helpers for tests/rig/rig (stdlib only).

Subcommands:
  ports N                 print N distinct free TCP ports on 127.0.0.1
  wait HOST PLAIN TLS SECS [TOKEN]
                          wait until the plain port greets with "* OK" and
                          the TLS port completes a handshake (no certificate
                          verification: the rig may be serving a bad cert on
                          purpose) and greets with "* OK"; exit 1 on timeout.
                          With TOKEN, a greeting without it is another
                          server's: exit 3 at once (the caller picks new ports)
  append-maildir PORT USER PASS PREFIX SEP SRCDIR
                          load a Maildir tree (SRCDIR/<Folder>/{cur,new}) into
                          a server over IMAP on 127.0.0.1:PORT (plaintext
                          LOGIN): CREATE + SUBSCRIBE each folder, APPEND each
                          message with its Maildir flags and its mtime as
                          INTERNALDATE, in file-name order (as Dovecot assigns
                          UIDs).  Folder "A/B" becomes PREFIX + "A" SEP "B";
                          INBOX and its children take no PREFIX.
  telemetry-sent DIR      print what clients sent, from the Cyrus telemetry
                          files in DIR (config/log/USER)
  mutf7-decode NAME...    decode IMAP modified UTF-7 (on-disk folder names)
                          to UTF-8, one per line
"""

import base64
import random
import re
import socket
import ssl
import sys
import time

# Pick ports below the kernel's usual ephemeral range (32768-60999) so that an
# outgoing connection of some other test cannot grab the port between the time
# we pick it and the time Dovecot binds it.  The caller still retries when
# Dovecot reports "Address already in use".
PORT_LO, PORT_HI = 20000, 32000


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def cmd_ports(n):
    rng = random.SystemRandom()
    chosen = []
    for _ in range(1000):
        if len(chosen) == n:
            break
        p = rng.randint(PORT_LO, PORT_HI)
        if p not in chosen and port_free(p):
            chosen.append(p)
    if len(chosen) != n:
        sys.exit("rig-helper: could not find %d free ports" % n)
    print(" ".join(str(p) for p in chosen))


def greeting(host, port, use_tls, timeout):
    """Return the first line sent by the server, or raise OSError."""
    raw = socket.create_connection((host, port), timeout=timeout)
    sock = raw
    try:
        if use_tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(raw, server_hostname="localhost")
        buf = b""
        while b"\n" not in buf:
            chunk = sock.recv(4096)
            if not chunk:
                break
            buf += chunk
        return buf.split(b"\r\n", 1)[0].decode("utf-8", "replace")
    finally:
        sock.close()


def cmd_wait(host, plain, tls, secs, token=None):
    deadline = time.monotonic() + secs
    pending = [(int(plain), False), (int(tls), True)]
    last = {}
    while pending:
        port, use_tls = pending[0]
        try:
            line = greeting(host, port, use_tls, 2.0)
            if line.startswith("* OK") and (token is None or token in line):
                pending.pop(0)
                continue
            if token is not None and line.startswith("* "):
                print("rig-helper: port %d greets as another server: %r" % (port, line),
                      file=sys.stderr)
                sys.exit(3)
            last[port] = "unexpected greeting %r" % line
        except (OSError, ssl.SSLError) as e:
            last[port] = str(e)
        if time.monotonic() >= deadline:
            for p, t in pending:
                print("rig-helper: port %d (%s): %s"
                      % (p, "imaps" if t else "imap", last.get(p, "?")),
                      file=sys.stderr)
            sys.exit(1)
        time.sleep(0.05)


def mutf7_decode(name):
    out, i = [], 0
    while i < len(name):
        c = name[i]
        if c != "&":
            out.append(c)
            i += 1
            continue
        j = name.index("-", i)
        if j == i + 1:
            out.append("&")
        else:
            b64 = name[i + 1:j].replace(",", "/")
            b64 += "=" * (-len(b64) % 4)
            out.append(base64.b64decode(b64).decode("utf-16-be"))
        i = j + 1
    return "".join(out)


# Maildir info letters -> IMAP flags (Dovecot's mapping; 'P' has no IMAP
# system flag and Dovecot does not show it either).
MAILDIR_FLAGS = {"S": "\\Seen", "R": "\\Answered", "F": "\\Flagged",
                 "T": "\\Deleted", "D": "\\Draft"}


def maildir_sort_key(fname):
    # Dovecot orders new files by name, comparing the leading timestamps
    # numerically.
    head = fname.split(".", 1)[0]
    return (int(head) if head.isdigit() else -1, fname)


def server_name(folder, prefix, sep):
    if folder == "INBOX" or folder.startswith("INBOX/"):
        return folder.replace("/", sep)
    return prefix + folder.replace("/", sep)


def imap_quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def multiappend(m, name, parts):
    tag = m._new_tag()
    m.send(tag + b" APPEND " + name.encode() + b" " + b" ".join(parts) + b"\r\n")
    typ, data = m._command_complete("APPEND", tag)
    if typ != "OK":
        sys.exit("rig-helper: APPEND %s: %s %r" % (name, typ, data))


def cmd_append_maildir(port, user, password, prefix, sep, src):
    import imaplib
    import os
    folders = sorted({os.path.relpath(d, src) for d, subs, _ in os.walk(src)
                      for s in subs if s in ("cur", "new", "tmp")})
    m = imaplib.IMAP4("127.0.0.1", int(port), timeout=30)
    m.login(user, password)
    count = 0
    for folder in folders:
        name = imap_quote(server_name(folder, prefix, sep))
        if folder != "INBOX":
            typ, data = m.create(name)
            if typ != "OK" and b"exists" not in b" ".join(x or b"" for x in data).lower():
                sys.exit("rig-helper: CREATE %s: %s %r" % (name, typ, data))
        m.subscribe(name)
        files = []
        for sub in ("new", "cur"):
            p = os.path.join(src, folder, sub)
            if os.path.isdir(p):
                files += [(f, os.path.join(p, f), sub == "cur") for f in os.listdir(p)]
        # One MULTIAPPEND (RFC 3502) with LITERAL+ per batch: the server
        # commits a batch at once (one APPEND each costs a commit each).
        batch = []
        for fname, path, in_cur in sorted(files, key=lambda t: maildir_sort_key(t[0])):
            info = fname.split(":2,", 1)[1] if in_cur and ":2," in fname else ""
            flags = " ".join(MAILDIR_FLAGS[c] for c in info if c in MAILDIR_FLAGS)
            with open(path, "rb") as fh:
                data = re.sub(rb"\r?\n", b"\r\n", fh.read())
            when = imaplib.Time2Internaldate(os.stat(path).st_mtime)
            batch.append(("(%s) %s {%d+}\r\n" % (flags, when, len(data))).encode() + data)
            if len(batch) == 100:
                multiappend(m, name, batch)
                count, batch = count + len(batch), []
        if batch:
            multiappend(m, name, batch)
            count += len(batch)
    m.logout()
    print("%d folder(s), %d message(s)" % (len(folders), count))


def cmd_telemetry_sent(logdir):
    """What clients sent, from Cyrus's telemetry files (config/log/USER/<pid>):
    each read is logged after a "<TIME<" marker, each write after ">TIME>"."""
    import os
    out = sys.stdout.buffer
    if not os.path.isdir(logdir):
        return
    for f in sorted(os.listdir(logdir)):
        with open(os.path.join(logdir, f), "rb") as fh:
            data = fh.read()
        parts = re.split(rb"(<\d+<|>\d+>)", data)
        sent = False
        for p in parts:
            if re.fullmatch(rb"<\d+<", p):
                sent = True
            elif re.fullmatch(rb">\d+>", p):
                sent = False
            elif sent:
                out.write(p)


def cmd_rawlog_sent(files):
    """What clients sent, from Dovecot's rawlog files (<date>.<pid>.in),
    without the timestamp that starts each line.  A session that said
    COMPRESS DEFLATE (RFC 4978) is logged as compressed bytes after it (a
    timestamp after each LF in them too): those are inflated."""
    import zlib
    out = sys.stdout.buffer
    for f in files:
        try:
            with open(f, "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        plain = b"\n".join(re.sub(rb"^\d+\.\d+ ", b"", r, count=1) for r in data.split(b"\n"))
        m = re.search(rb"^\S+ COMPRESS DEFLATE\r\n", plain, re.M | re.I)
        if not m:
            out.write(plain)
            continue
        try:
            text = zlib.decompressobj(-15).decompress(plain[m.end():])
        except zlib.error:
            out.write(plain)  # the server said NO: plaintext after all
            continue
        out.write(plain[:m.end()] + text)


def main(argv):
    if len(argv) >= 2 and argv[0] == "ports":
        cmd_ports(int(argv[1]))
    elif len(argv) in (5, 6) and argv[0] == "wait":
        cmd_wait(argv[1], argv[2], argv[3], float(argv[4]), argv[5] if len(argv) == 6 else None)
    elif len(argv) == 2 and argv[0] == "telemetry-sent":
        cmd_telemetry_sent(argv[1])
    elif argv and argv[0] == "rawlog-sent":
        cmd_rawlog_sent(argv[1:])
    elif len(argv) == 7 and argv[0] == "append-maildir":
        cmd_append_maildir(*argv[1:])
    elif argv and argv[0] == "mutf7-decode":
        for name in argv[1:]:
            print(mutf7_decode(name))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
