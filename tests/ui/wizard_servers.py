#!/usr/bin/env python3
"""wizard_servers.py - the small real servers the setup wizard's tests need
besides the rig's Dovecot and dnsmasq.

  https PORT CERT KEY WWWDIR     HTTPS; serves WWWDIR/<Host>/<path> (query ignored)
  smtp TLSPORT STARTTLSPORT CERT KEY USER PASS
                                 submission: implicit TLS on TLSPORT, STARTTLS on
                                 STARTTLSPORT; AUTH PLAIN accepts USER/PASS only
                                 after TLS
  imap-nostarttls PORT           an IMAP server that never offers STARTTLS

Each prints "ready" on stdout once listening and serves until killed.
"""
import base64
import http.server
import os
import socket
import socketserver
import ssl
import sys
import threading


def https(port, cert, key, root):
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            host = (self.headers.get("Host") or "").split(":")[0].lower()
            path = self.path.split("?")[0]
            f = os.path.normpath(os.path.join(root, host, path.lstrip("/")))
            if not f.startswith(os.path.normpath(root) + "/") or not os.path.isfile(f):
                self.send_error(404)
                return
            data = open(f, "rb").read()
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("ready", flush=True)
    srv.serve_forever()


class Smtp(socketserver.StreamRequestHandler):
    implicit = False

    def send(self, line):
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        tls = self.implicit
        self.send("220 smtp.test.example ESMTP test")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode(errors="replace").strip()
            verb = cmd.split(" ")[0].upper()
            if verb == "EHLO":
                ext = ["250-smtp.test.example", "250-PIPELINING"]
                ext.append("250-AUTH PLAIN LOGIN" if tls else "250-STARTTLS")
                ext.append("250 8BITMIME")
                for e in ext:
                    self.send(e)
            elif verb == "STARTTLS" and not tls:
                self.send("220 go ahead")
                conn = self.server.ctx.wrap_socket(self.connection, server_side=True)
                self.connection = conn
                self.rfile = conn.makefile("rb")
                self.wfile = conn.makefile("wb")
                tls = True
            elif verb == "AUTH" and tls:
                parts = cmd.split(" ")
                ok = False
                if len(parts) == 3 and parts[1].upper() == "PLAIN":
                    try:
                        _, u, p = base64.b64decode(parts[2]).decode().split("\0")
                        ok = (u, p) == (self.server.user, self.server.password)
                    except Exception:
                        ok = False
                self.send("235 ok" if ok else "535 authentication failed")
            elif verb == "QUIT":
                self.send("221 bye")
                return
            else:
                self.send("502 no")


def smtp(tls_port, starttls_port, cert, key, user, password):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    class Implicit(Smtp):
        implicit = True

        def setup(self):
            self.request = ctx.wrap_socket(self.request, server_side=True)
            super().setup()

    servers = []
    for port, handler in ((tls_port, Implicit), (starttls_port, Smtp)):
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        s = socketserver.ThreadingTCPServer(("127.0.0.1", port), handler)
        s.ctx, s.user, s.password = ctx, user, password
        s.daemon_threads = True
        servers.append(s)
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


class NoStarttls(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"* OK IMAP4rev1 plaintext only\r\n")
        for line in self.rfile:
            parts = line.decode(errors="replace").split(" ")
            tag = parts[0]
            if len(parts) > 1 and parts[1].strip().upper() == "CAPABILITY":
                self.wfile.write(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n")
                self.wfile.write(tag.encode() + b" OK done\r\n")
            elif len(parts) > 1 and parts[1].strip().upper() == "LOGOUT":
                self.wfile.write(b"* BYE\r\n" + tag.encode() + b" OK bye\r\n")
                return
            else:
                self.wfile.write(tag.encode() + b" BAD no\r\n")


def imap_nostarttls(port):
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    s = socketserver.ThreadingTCPServer(("127.0.0.1", port), NoStarttls)
    s.daemon_threads = True
    print("ready", flush=True)
    s.serve_forever()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "https":
        https(int(args[0]), args[1], args[2], args[3])
    elif cmd == "smtp":
        smtp(int(args[0]), int(args[1]), args[2], args[3], args[4], args[5])
    elif cmd == "imap-nostarttls":
        imap_nostarttls(int(args[0]))
    elif cmd == "ports":
        print(" ".join(str(free_port()) for _ in range(int(args[0]))))
    else:
        sys.exit("unknown command " + cmd)
