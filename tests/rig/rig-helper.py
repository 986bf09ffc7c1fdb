#!/usr/bin/env python3
"""Small network/name helpers for tests/rig/rig (stdlib only).

Subcommands:
  ports N                 print N distinct free TCP ports on 127.0.0.1
  wait HOST PLAIN TLS SECS
                          wait until the plain port greets with "* OK" and
                          the TLS port completes a handshake (no certificate
                          verification: the rig may be serving a bad cert on
                          purpose) and greets with "* OK"; exit 1 on timeout
  mutf7-decode NAME...    decode IMAP modified UTF-7 (on-disk folder names)
                          to UTF-8, one per line
"""

import base64
import random
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


def cmd_wait(host, plain, tls, secs):
    deadline = time.monotonic() + secs
    pending = [(int(plain), False), (int(tls), True)]
    last = {}
    while pending:
        port, use_tls = pending[0]
        try:
            line = greeting(host, port, use_tls, 2.0)
            if line.startswith("* OK"):
                pending.pop(0)
                continue
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


def main(argv):
    if len(argv) >= 2 and argv[0] == "ports":
        cmd_ports(int(argv[1]))
    elif len(argv) == 5 and argv[0] == "wait":
        cmd_wait(argv[1], argv[2], argv[3], float(argv[4]))
    elif argv and argv[0] == "mutf7-decode":
        for name in argv[1:]:
            print(mutf7_decode(name))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
