#!/usr/bin/env python3
"""A scripted hostile IMAP server for muttlike's tests.

Loopback only, on a random port, one connection per instance.  It plays a
scenario (a Python function) and records every byte it receives (after TLS
is up, the decrypted bytes), so a test can assert that the client never sent
LOGIN or AUTHENTICATE.  Used by run_hostile.py; nothing here is a general
IMAP server.
"""
import os
import socket
import ssl
import subprocess
import threading
import time


class Conn:
    def __init__(self, sock, rec):
        self.sock = sock
        self.rec = rec          # list of (phase, bytes)
        self.phase = "plain"
        self.buf = b""
        self.sock.settimeout(30)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def readline(self):
        while b"\n" not in self.buf:
            try:
                d = self.sock.recv(65536)
            except (OSError, ssl.SSLError):
                d = b""
            if not d:
                return None
            self.rec.append((self.phase, d))
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("latin-1")

    def drain(self, seconds):
        """Keep recording whatever arrives until EOF or seconds pass."""
        end = time.time() + seconds
        self.sock.settimeout(0.2)
        while time.time() < end:
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                continue
            except (OSError, ssl.SSLError):
                return
            if not d:
                return
            self.rec.append((self.phase, d))
        self.sock.settimeout(30)

    def starttls(self, ctx):
        self.sock = ctx.wrap_socket(self.sock, server_side=True)
        self.phase = "tls"
        self.sock.settimeout(30)


class Server:
    """Serve one connection with scenario(conn, server) in a thread."""

    def __init__(self, scenario, ctx=None, implicit_tls=False):
        self.scenario = scenario
        self.ctx = ctx
        self.implicit_tls = implicit_tls
        self.rec = []
        self.error = None
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(4)
        self.port = self.lsock.getsockname()[1]
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.lsock.settimeout(60)
        try:
            s, _ = self.lsock.accept()
        except OSError:
            return
        conn = Conn(s, self.rec)
        try:
            if self.implicit_tls:
                conn.starttls(self.ctx)
            self.scenario(conn, self)
        except (OSError, ssl.SSLError) as e:
            self.error = e
        finally:
            try:
                conn.sock.close()
            except OSError:
                pass

    def received(self):
        return b"".join(d for _, d in self.rec)

    def received_tls(self):
        return b"".join(d for p, d in self.rec if p == "tls")

    def close(self):
        self.lsock.close()
        self.thread.join(5)


def serve_commands(conn, srv, caps, handlers=None, after_starttls=None):
    """A minimal command loop: CAPABILITY and LOGOUT built in, handlers for
    the rest (name -> fn(conn, tag, args) returning False to stop)."""
    handlers = handlers or {}
    while True:
        line = conn.readline()
        if line is None:
            return
        parts = line.split(" ", 2)
        if len(parts) < 2:
            conn.send("* BAD what\r\n")
            continue
        tag, cmd = parts[0], parts[1].upper()
        args = parts[2] if len(parts) > 2 else ""
        if cmd in handlers:
            if handlers[cmd](conn, tag, args) is False:
                return
        elif cmd == "CAPABILITY":
            c = caps() if callable(caps) else caps
            conn.send(f"* CAPABILITY {c}\r\n{tag} OK done\r\n")
        elif cmd == "LOGOUT":
            conn.send(f"* BYE bye\r\n{tag} OK bye\r\n")
            return
        else:
            conn.send(f"{tag} NO not here\r\n")


def gen_certs(d):
    """CA, a second (untrusted) CA, and one leaf per defect, like the rig."""
    os.makedirs(os.path.join(d, "tmpl"), exist_ok=True)
    leaf = "expiration_days = 3650\ntls_www_server\nsigning_key\n"
    ca = "expiration_days = 3650\nca\ncert_signing_key\ncrl_signing_key\n"
    specs = [
        ("ca", "self", 'cn = "hostile test CA"\nserial = 1\n' + ca),
        ("other-ca", "self", 'cn = "hostile UNTRUSTED CA"\nserial = 1\n' + ca),
        ("server", "ca", 'cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\nserial = 2\n' + leaf),
        ("selfsigned", "self", 'cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\nserial = 3\n' + leaf),
        ("expired", "ca", 'cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\nserial = 4\n'
         'activation_date = "2019-01-01 00:00:00 UTC"\nexpiration_date = "2020-01-01 00:00:00 UTC"\n'
         'tls_www_server\nsigning_key\n'),
        ("wronghost", "ca", 'cn = "wrong.example"\ndns_name = "wrong.example"\nserial = 5\n' + leaf),
        ("untrusted", "other-ca", 'cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\nserial = 6\n' + leaf),
        ("cnonly", "ca", 'cn = "localhost"\ndns_name = "other.example"\nserial = 7\n' + leaf),
    ]
    for name, signer, tmpl in specs:
        t = os.path.join(d, "tmpl", name + ".tmpl")
        with open(t, "w") as f:
            f.write(tmpl)
        key = os.path.join(d, name + "-key.pem")
        pem = os.path.join(d, name + ".pem")
        q = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        subprocess.run(["certtool", "--generate-privkey", "--key-type=ecdsa", "--curve=secp256r1",
                        "--no-text", "--outfile", key], **q)
        if signer == "self":
            subprocess.run(["certtool", "--generate-self-signed", "--load-privkey", key,
                            "--template", t, "--no-text", "--outfile", pem], **q)
        else:
            subprocess.run(["certtool", "--generate-certificate", "--load-privkey", key,
                            "--load-ca-certificate", os.path.join(d, signer + ".pem"),
                            "--load-ca-privkey", os.path.join(d, signer + "-key.pem"),
                            "--template", t, "--no-text", "--outfile", pem], **q)
        fp = subprocess.run(["certtool", "--fingerprint", "--hash", "sha256", "--infile", pem],
                            capture_output=True, text=True, check=True).stdout.strip()
        with open(os.path.join(d, name + ".sha256"), "w") as f:
            f.write(fp + "\n")


def tls_context(certdir, name):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(certdir, name + ".pem"), os.path.join(certdir, name + "-key.pem"))
    return ctx
