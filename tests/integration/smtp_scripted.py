#!/usr/bin/env python3
"""A scripted SMTP server for the cases no real server produces.

    smtp_scripted.py SCENARIO PORTFILE RECORDFILE [CERT KEY]

Loopback only, one connection.  Writes the port it listens on to PORTFILE
(atomically) and, at the end, everything the client sent to RECORDFILE as
"plain:" / "tls:" lines (after TLS, the decrypted bytes).  Scenarios:

  inject      STARTTLS answered "220" with "250 injected" in the same packet
              (CVE-2020-15953 class): the client must stop before the handshake
  oauth       implicit TLS offering only XOAUTH2 and OAUTHBEARER; accepts a
              well-formed token for user alice with token "tok3n"
  oauth-retry the same, but refuses the first AUTH whatever its token (an
              expired one) and accepts the second with any "at-" token from
              oauth_provider.py
"""
import base64
import os
import socket
import ssl
import sys


def main():
    scenario, portfile, recfile = sys.argv[1:4]
    cert = key = None
    if len(sys.argv) > 5:
        cert, key = sys.argv[4:6]
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(30)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    rec = []
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        return
    conn.settimeout(10)
    phase = ["plain"]
    buf = [b""]

    def readline(c):
        while b"\n" not in buf[0]:
            try:
                d = c.recv(65536)
            except (OSError, ssl.SSLError):
                d = b""
            if not d:
                return None
            rec.append((phase[0], d))
            buf[0] += d
        line, buf[0] = buf[0].split(b"\n", 1)
        return line.rstrip(b"\r").decode("latin-1")

    def drain(c):
        c.settimeout(1)
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                rec.append((phase[0], d))
        except (OSError, ssl.SSLError):
            pass

    try:
        if scenario == "inject":
            conn.sendall(b"220 scripted ESMTP\r\n")
            if readline(conn) is None:
                return
            conn.sendall(b"250-scripted\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n")
            line = readline(conn)
            if line and line.upper() == "STARTTLS":
                conn.sendall(b"220 go ahead\r\n250 injected\r\n")
            drain(conn)
        elif scenario in ("oauth", "oauth-retry"):
            auths = 0
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            conn = ctx.wrap_socket(conn, server_side=True)
            phase[0] = "tls"
            conn.sendall(b"220 scripted ESMTP\r\n")
            while True:
                line = readline(conn)
                if line is None:
                    break
                word = line.split(" ")[0].upper()
                if word == "EHLO":
                    conn.sendall(b"250-scripted\r\n250 AUTH XOAUTH2 OAUTHBEARER\r\n")
                elif word == "AUTH":
                    parts = line.split(" ")
                    raw = base64.b64decode(parts[2]) if len(parts) > 2 else b""
                    auths += 1
                    if scenario == "oauth-retry":
                        good = (auths > 1 and b"\x01auth=Bearer at-" in raw
                                and (raw.startswith(b"n,a=alice,") or raw.startswith(b"user=alice\x01")))
                    else:
                        good = (parts[1].upper() == "OAUTHBEARER" and raw.startswith(b"n,a=alice,")
                                and b"\x01auth=Bearer tok3n\x01\x01" in raw) or \
                               (parts[1].upper() == "XOAUTH2" and raw == b"user=alice\x01auth=Bearer tok3n\x01\x01")
                    if good:
                        conn.sendall(b"235 2.7.0 ok\r\n")
                    else:
                        conn.sendall(b"334 eyJzdGF0dXMiOiI0MDEifQ==\r\n")
                        readline(conn)
                        conn.sendall(b"535 5.7.8 bad token\r\n")
                elif word == "QUIT":
                    conn.sendall(b"221 bye\r\n")
                    break
                else:
                    conn.sendall(b"502 not here\r\n")
    finally:
        with open(recfile + ".tmp", "w") as f:
            for ph, d in rec:
                for l in d.decode("latin-1").splitlines():
                    f.write("%s: %s\n" % (ph, l))
        os.rename(recfile + ".tmp", recfile)
        try:
            conn.close()
        except OSError:
            pass


if __name__ == "__main__":
    main()
