#!/usr/bin/env python3
"""Run muttlike's client against scripted hostile servers.

Each case starts a loopback server playing one script, runs
`muttlike -F RC check` against it (the ASan/UBSan build when MUTTLIKE_BIN
points there), and checks: the exit status, the one-line reason on stderr,
no LOGIN/AUTHENTICATE (nor the password) among the bytes the server got,
the time taken (bounded by the client's timeout), peak memory, and no
sanitizer report.  Prints one line per case and "N passed, M failed".
"""
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_server as hs  # noqa: E402

SRC = os.environ.get("MUTTLIKE_SRCDIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
BIN = os.environ.get("MUTTLIKE_BIN", os.path.join(SRC, "build/san/muttlike"))
TIMEOUT = 2          # the client's `set timeout`
PASSWORD = "s3cret-pw-xyzzy"
WORK = tempfile.mkdtemp(prefix="muttlike-hostile.")
CERTS = os.path.join(WORK, "certs")
hs.gen_certs(CERTS)
GOOD_CAPS = "IMAP4rev1 AUTH=PLAIN SASL-IR ID"


def fp(name):
    return open(os.path.join(CERTS, name + ".sha256")).read().strip().replace(":", "").lower()


def run_client(url, extra="", timeout=30, cmd=("check", "h"), rc_pre=None):
    rc = os.path.join(WORK, "rc")
    with open(rc, "w") as f:
        f.write(f'set data_dir = "{WORK}/data"\nset timeout = {TIMEOUT}\naccount h\n'
                f'set imap_url = "{url}"\nset imap_pass = "{PASSWORD}"\n'
                f'set tls_ca_file = "{CERTS}/ca.pem"\n{extra}\n')
    os.chmod(rc, 0o600)
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "detect_leaks=1") + ":exitcode=86"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:exitcode=87"
    t0 = time.time()
    argv = [BIN, "-F", rc, *cmd]
    if rc_pre:
        argv = rc_pre(argv)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    out, err = [], []
    readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read()), daemon=True)
               for s, b in ((p.stdout, out), (p.stderr, err))]
    for r in readers:
        r.start()
    killed = False
    deadline = t0 + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.time() > deadline:
            p.kill()
            killed = True
            pid, status, ru = os.wait4(p.pid, 0)
            break
        time.sleep(0.02)
    for r in readers:
        r.join(5)
    p.returncode = os.waitstatus_to_exitcode(status)
    return dict(rc=p.returncode, out=(out[0] if out else b"").decode(errors="replace"),
                err=(err[0] if err else b"").decode(errors="replace"), secs=time.time() - t0,
                maxrss_mb=ru.ru_maxrss / 1024, killed=killed)


def load_factor():
    """How much slower than an idle machine a run may be now: the time
    limits above hold on an idle machine; on a busy one (make check on a
    shared 2-core machine) the sanitized client's start-up and handshake
    wait for a core.  Never past 25 s for the usual limit, under the 30 s
    after which run_client kills a client that hangs."""
    busy = os.getloadavg()[0] / (os.cpu_count() or 1)
    return min(max(1.0, busy), 25.0 / (TIMEOUT + 4))


passed = failed = 0


def case(name, scenario, url_scheme, expect_rc=1, expect_err=None, cert="server", implicit=None,
         extra="", no_creds=True, max_secs=None, max_rss_mb=None, post=None, cmd=("check", "h"), rc_pre=None):
    global passed, failed
    implicit = url_scheme == "imaps" if implicit is None else implicit
    srv = hs.Server(scenario, hs.tls_context(CERTS, cert), implicit_tls=implicit)
    srv.cert = cert
    r = run_client(f"{url_scheme}://alice@localhost:{srv.port}", extra, cmd=cmd, rc_pre=rc_pre)
    srv.close()
    got = srv.received()
    problems = []
    rcs = expect_rc if isinstance(expect_rc, (list, tuple)) else [expect_rc]
    if r["killed"]:
        problems.append("hung (killed)")
    if r["rc"] not in rcs:
        problems.append(f"exit {r['rc']}, wanted {rcs}")
    if re.search(r"Sanitizer|runtime error:", r["err"]):
        problems.append("sanitizer report")
    lines = [l for l in r["err"].splitlines() if l.strip()]
    if expect_err:
        if not any(re.search(expect_err, l) for l in lines):
            problems.append(f"stderr lacks /{expect_err}/")
    if 1 in rcs and r["rc"] == 1 and not lines:
        problems.append("no error line")
    if no_creds and (re.search(rb"(?i)\b(LOGIN|AUTHENTICATE)\b", got) or PASSWORD.encode() in got):
        problems.append("credentials were sent")
    if PASSWORD.encode() in r["err"].encode() + r["out"].encode():
        problems.append("password printed")
    limit = (max_secs if max_secs is not None else TIMEOUT + 4) * load_factor()
    if r["secs"] > limit:
        problems.append(f"took {r['secs']:.1f}s (limit {limit:.1f}s)")
    if max_rss_mb and r["maxrss_mb"] > max_rss_mb:
        problems.append(f"peak RSS {r['maxrss_mb']:.0f} MB > {max_rss_mb} MB")
    if post:
        p = post(r, srv)
        if p:
            problems.append(p)
    last = lines[-1] if lines else (r["out"].splitlines() or [""])[-1]
    if problems:
        failed += 1
        print(f"FAIL {name}: {'; '.join(problems)}\n     stderr: {r['err'].strip()[:2000]}\n"
              f"     received: {got[:300]!r}")
    else:
        passed += 1
        print(f"ok   {name} ({r['secs']:.1f}s, {r['maxrss_mb']:.0f} MB): {last[:220]}")
    sys.stdout.flush()


# ---------------------------------------------------------------- scenarios

def greet(conn, caps="IMAP4rev1 STARTTLS AUTH=PLAIN"):
    conn.send(f"* OK [CAPABILITY {caps}] hostile ready\r\n")


def good_handlers(status_reply=None, list_extra="", pre_tagged=""):
    def login_ok(conn, tag, args):
        conn.send(f"{tag} OK [CAPABILITY IMAP4rev1 ID] logged in\r\n")

    def authenticate(conn, tag, args):
        if " " not in args.strip():        # no SASL-IR: ask for the response
            conn.send("+ \r\n")
            conn.readline()
        conn.send(f"{tag} OK logged in\r\n")

    def lst(conn, tag, args):
        conn.send('* LIST (\\HasNoChildren) "/" INBOX\r\n'
                  '* LIST (\\HasNoChildren \\Sent) "/" "Sent &AMk-l&AOk-ments"\r\n'
                  '* LIST (\\HasNoChildren) "/" {8}\r\nLiteral1\r\n' + list_extra + f"{tag} OK listed\r\n")

    def status(conn, tag, args):
        mb = args.split(" (")[0]
        reply = status_reply(mb) if status_reply else f"* STATUS {mb} (MESSAGES 3 UNSEEN 1)\r\n"
        conn.send(reply + pre_tagged + f"{tag} OK status\r\n")

    def id_(conn, tag, args):
        conn.send(f'* ID ("name" "hostile")\r\n{tag} OK id\r\n')

    return {"LOGIN": login_ok, "AUTHENTICATE": authenticate, "LIST": lst, "STATUS": status, "ID": id_}


def s_good_implicit(conn, srv):
    greet(conn, GOOD_CAPS)
    hs.serve_commands(conn, srv, GOOD_CAPS, good_handlers())


def s_good_starttls(conn, srv):
    greet(conn, "IMAP4rev1 STARTTLS LOGINDISABLED")

    def starttls(c, tag, args):
        c.send(f"{tag} OK begin TLS\r\n")
        c.starttls(srv.ctx)
    h = good_handlers()
    h["STARTTLS"] = starttls
    hs.serve_commands(conn, srv, lambda: GOOD_CAPS if conn.phase == "tls" else "IMAP4rev1 STARTTLS LOGINDISABLED", h)


def s_no_sasl_ir(conn, srv):
    caps = "IMAP4rev1 AUTH=PLAIN"
    greet(conn, caps)
    hs.serve_commands(conn, srv, caps, good_handlers())


def s_oauth(mech, fail=False):
    caps = "IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=OAUTHBEARER AUTH=XOAUTH2"

    state = {}

    def authenticate(conn, tag, args):
        import base64
        m, _, ir = args.partition(" ")
        payload = base64.b64decode(ir) if ir else b""
        if m.upper() != mech or b"auth=Bearer tok-123\x01\x01" not in payload or fail:
            conn.send('+ eyJzdGF0dXMiOiI0MDEifQ==\r\n')
            state["srv"].answer = conn.readline()
            conn.send(f"{tag} NO [AUTHENTICATIONFAILED] bad token\r\n")
        else:
            conn.send(f"{tag} OK welcome\r\n")

    def sc(conn, srv):
        state["srv"] = srv
        greet(conn, caps)
        h = good_handlers()
        h["AUTHENTICATE"] = authenticate
        hs.serve_commands(conn, srv, caps, h)
    return sc


# 1. bytes after the STARTTLS OK in the same packet
def s_starttls_inject(conn, srv):
    greet(conn)

    def starttls(c, tag, args):
        c.send(f"{tag} OK begin TLS\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n")
        c.drain(TIMEOUT + 1)
        return False
    hs.serve_commands(conn, srv, "IMAP4rev1 STARTTLS AUTH=PLAIN", {"STARTTLS": starttls})


# 2. no STARTTLS on the 143 role
def s_no_starttls(conn, srv):
    greet(conn, "IMAP4rev1 AUTH=PLAIN")
    hs.serve_commands(conn, srv, "IMAP4rev1 AUTH=PLAIN")


def s_starttls_refused(conn, srv):
    greet(conn)

    def starttls(c, tag, args):
        c.send(f"{tag} NO not today\r\n")
    hs.serve_commands(conn, srv, "IMAP4rev1 STARTTLS AUTH=PLAIN", {"STARTTLS": starttls})


# 3. PREAUTH in clear
def s_preauth(conn, srv):
    conn.send("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in already\r\n")
    conn.drain(TIMEOUT + 1)


# 4. untagged data before TLS must be forgotten; CAPABILITY asked again
def s_pre_tls_untagged(conn, srv):
    greet(conn)

    def starttls(c, tag, args):
        c.send("* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR\r\n")
        time.sleep(0.2)               # a separate packet: not caught by the buffer check
        c.send(f"{tag} OK begin TLS\r\n")
        c.starttls(srv.ctx)
    after = "IMAP4rev1 AUTH=X-NOTHING-YOU-KNOW LOGINDISABLED"
    hs.serve_commands(conn, srv, lambda: after if conn.phase == "tls" else "IMAP4rev1 STARTTLS",
                      {"STARTTLS": starttls})


def asked_caps_after_tls(r, srv):
    if b"CAPABILITY" not in srv.received_tls().upper():
        return "did not ask CAPABILITY again after TLS"
    return None


# 5. garbage / BYE greetings
def s_garbage(conn, srv):
    conn.send("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    conn.drain(TIMEOUT + 1)


def s_bye(conn, srv):
    conn.send("* BYE [UNAVAILABLE] go away\r\n")
    conn.drain(1)


# 6. certificates: a normal server; the cert is the defect
def s_cert_implicit(conn, srv):
    s_good_implicit(conn, srv)


def s_cert_starttls(conn, srv):
    s_good_starttls(conn, srv)


# 7. literals, sent before login in the CAPABILITY response
def s_literal(decl, data=b"", then="hang"):
    def sc(conn, srv):
        conn.send("* OK hostile\r\n")

        def cap(c, tag, args):
            c.send(f'* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n* LIST () "/" {{{decl}}}\r\n'.encode() + data)
            if then == "stream":
                chunk = b"x" * 65536
                try:
                    for _ in range(decl // len(chunk)):
                        c.send(chunk)
                except OSError:
                    return False
            elif then == "eof":
                return False
            c.drain(TIMEOUT + 2)
            return False
        hs.serve_commands(conn, srv, "", {"CAPABILITY": cap})
    return sc


# 7b. the same over-cap literal in a sync, answering SELECT (issue 17)
def s_sync_select_literal(conn, srv):
    greet(conn, GOOD_CAPS)
    h = good_handlers(list_extra="")

    def lst(c, tag, args):
        c.send(f'* LIST (\\HasNoChildren) "/" INBOX\r\n{tag} OK listed\r\n')

    def select(c, tag, args):
        c.send("* FLAGS (\\Seen)\r\n* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n"
               "* 1 FETCH (BODY[] {104857600}\r\n")
        chunk = b"x" * 65536
        try:
            for _ in range(1600):
                c.send(chunk)
        except OSError:
            pass
        return False
    h["LIST"] = lst
    h["SELECT"] = select
    h["EXAMINE"] = select
    hs.serve_commands(conn, srv, GOOD_CAPS, h)


# 7c. COMPRESS=DEFLATE (RFC 4978), then a deflate bomb: about 100 kB on the
# wire that inflates to one 100 MiB line.  The caps count inflated bytes.
def s_deflate_bomb(conn, srv):
    caps = GOOD_CAPS + " COMPRESS=DEFLATE"
    greet(conn, caps)
    h = good_handlers()

    def compress(c, tag, args):
        c.send(f"{tag} OK DEFLATE active\r\n")
        z = zlib.compressobj(9, zlib.DEFLATED, -15)
        chunk = b"A" * (1 << 20)
        bomb = z.compress(b"* OK ") + b"".join(z.compress(chunk) for _ in range(100)) + z.flush(zlib.Z_SYNC_FLUSH)
        srv.bomb_len = len(bomb)
        try:
            c.send(bomb)
        except OSError:
            pass
        c.drain(TIMEOUT + 3)
        return False
    h["COMPRESS"] = compress
    hs.serve_commands(conn, srv, caps, h)


def asked_compress(r, srv):
    if b"COMPRESS DEFLATE\r\n" not in srv.received():
        return "COMPRESS DEFLATE was not sent"
    if getattr(srv, "bomb_len", 1 << 30) > 1 << 20:
        return "the bomb was not small"
    return None


# 9. odd but survivable data
def s_status_empty(conn, srv):
    greet(conn, GOOD_CAPS)
    hs.serve_commands(conn, srv, GOOD_CAPS, good_handlers(status_reply=lambda mb: f"* STATUS {mb} ()\r\n"))


def s_bad_capability(conn, srv):
    conn.send("* OK hostile\r\n")
    hs.serve_commands(conn, srv, "IMAP4rev1 AUTH=PLAIN ((( ]]] \x01")


def s_no_without_text(conn, srv):
    conn.send("* OK hostile\r\n")

    def cap(c, tag, args):
        c.send(f"* NO\r\n* CAPABILITY IMAP4rev1\r\n{tag} OK\r\n")
    hs.serve_commands(conn, srv, "", {"CAPABILITY": cap})


def s_seqset_comma(conn, srv):
    greet(conn, GOOD_CAPS)
    hs.serve_commands(conn, srv, GOOD_CAPS, good_handlers(pre_tagged="* SEARCH 1,\r\n* VANISHED 1:3,\r\n"))


# 16. a server that never answers
def s_silent(conn, srv):
    conn.drain(TIMEOUT + 3)


def s_silent_after_starttls(conn, srv):
    greet(conn)

    def starttls(c, tag, args):
        c.drain(TIMEOUT + 3)
        return False
    hs.serve_commands(conn, srv, "IMAP4rev1 STARTTLS AUTH=PLAIN", {"STARTTLS": starttls})


# ---------------------------------------------------------------- the cases

def main():
    if not os.access(BIN, os.X_OK):
        print(f"run_hostile: {BIN} not built (make check-build)")
        print("0 passed, 1 failed")
        return 1
    # sanity: the scripted server is a server the client accepts
    case("sanity: imaps, good server", s_good_implicit, "imaps", expect_rc=0, no_creds=False)
    case("sanity: imap+STARTTLS, good server", s_good_starttls, "imap", expect_rc=0, no_creds=False,
         post=asked_caps_after_tls)

    case("auth: PLAIN after a '+' (no SASL-IR)", s_no_sasl_ir, "imaps", expect_rc=0, no_creds=False,
         post=lambda r, srv: None if "logged in (PLAIN)" in r["out"] else "not logged in with PLAIN")
    oauth = 'set imap_oauth_cmd = "echo tok-123"'
    case("auth: OAUTHBEARER from imap_oauth_cmd", s_oauth("OAUTHBEARER"), "imaps", expect_rc=0, no_creds=False,
         extra=oauth, post=lambda r, srv: None if "(OAUTHBEARER)" in r["out"] else "not OAUTHBEARER")
    case("auth: XOAUTH2 via imap_auth", s_oauth("XOAUTH2"), "imaps", expect_rc=0, no_creds=False,
         extra=oauth + '\nset imap_auth = "xoauth2 plain"',
         post=lambda r, srv: None if "(XOAUTH2)" in r["out"] else "not XOAUTH2")
    case("auth: rejected token, one attempt only", s_oauth("OAUTHBEARER", fail=True), "imaps", no_creds=False,
         extra=oauth, expect_err=r"login as alice failed \(OAUTHBEARER\): .*bad token",
         post=lambda r, srv: (None if srv.received().count(b"AUTHENTICATE") == 1 and getattr(srv, "answer", None) == "AQ=="
                              else "retried or did not end the exchange with AQ=="))

    case("1 STARTTLS OK + injected bytes", s_starttls_inject, "imap", expect_err=r"after its STARTTLS response")
    case("2 no STARTTLS in CAPABILITY", s_no_starttls, "imap", expect_err=r"does not offer STARTTLS")
    case("2b STARTTLS refused", s_starttls_refused, "imap", expect_err=r"refused STARTTLS")
    case("3 PREAUTH greeting in clear", s_preauth, "imap", expect_err=r"PREAUTH",
         post=lambda r, srv: "sent a command after PREAUTH" if srv.received() else None)
    case("4 untagged data before TLS", s_pre_tls_untagged, "imap", expect_err=r"no usable login method",
         post=asked_caps_after_tls)
    case("5 garbage greeting (imap)", s_garbage, "imap", expect_err=r"unreadable|greeting")
    case("5 garbage greeting (imaps)", s_garbage, "imaps", expect_err=r"unreadable|greeting")
    case("5 BYE greeting (imap)", s_bye, "imap", expect_err=r"refused the connection")
    case("5 BYE greeting (imaps)", s_bye, "imaps", expect_err=r"refused the connection")

    reasons = {"selfsigned": r"self-signed", "expired": r"expired on 2020-01-01",
               "wronghost": r"is for wrong\.example, not localhost", "untrusted": r"not trusted",
               "cnonly": r"is for other\.example, not localhost"}
    for cert, why in reasons.items():
        for scheme, sc in (("imaps", s_cert_implicit), ("imap", s_cert_starttls)):
            case(f"6 {cert} certificate ({scheme})", sc, scheme, cert=cert,
                 expect_err=why + r".*SHA256 [0-9a-f:]{95}.*set tls_pin = \"sha256:" + fp(cert) + '"')
    case("6 self-signed + right tls_pin (imaps)", s_cert_implicit, "imaps", cert="selfsigned", expect_rc=0,
         no_creds=False, extra=f'set tls_pin = "sha256:{fp("selfsigned")}"')
    case("6 wrong host + right tls_pin (imap)", s_cert_starttls, "imap", cert="wronghost", expect_rc=0,
         no_creds=False, extra=f'set tls_pin = "sha256:{fp("wronghost")}"')
    case("6 self-signed + wrong tls_pin (imaps)", s_cert_implicit, "imaps", cert="selfsigned",
         expect_err=r"does not match tls_pin", extra=f'set tls_pin = "sha256:{fp("server")}"')
    case("6 trusted cert + wrong tls_pin (imaps)", s_cert_implicit, "imaps", cert="server",
         expect_err=r"does not match tls_pin", extra=f'set tls_pin = "sha256:{fp("selfsigned")}"')

    case("7 literal {4294967296}", s_literal(4294967296), "imaps",
         expect_err=r"literal of 4096 MiB, over the 64 MiB limit", max_secs=TIMEOUT)
    case("7 literal longer than its data", s_literal(100, b"short\r\n"), "imaps", expect_err=r"timed out")
    case("7 EOF inside a literal", s_literal(100, b"short", then="eof"), "imaps",
         expect_err=r"closed the connection")
    case("7 100 MB literal", s_literal(100 << 20, then="stream"), "imaps",
         expect_err=r"the server sent a literal of 100 MiB, over the 64 MiB limit", max_rss_mb=150)

    case("7 deflate bomb after COMPRESS", s_deflate_bomb, "imaps", cmd=("sync", "h"), no_creds=False,
         expect_err=r"^muttlike: h: .*the server sent a line of 8\.0 MiB, over the 8 MiB limit \(listing folders\); "
         r"giving up$",
         max_rss_mb=150, post=asked_compress)
    case("7 100 MB literal answering SELECT in a sync", s_sync_select_literal, "imaps", cmd=("sync", "h"),
         no_creds=False, expect_err=r"^muttlike: h: the server sent a literal of 100 MiB, over the 64 MiB limit "
         r"\(SELECT of INBOX\); giving up$", max_rss_mb=150,
         post=lambda r, srv: "still says connection lost" if "connection lost" in r["err"] else None)

    case("9 * STATUS INBOX ()", s_status_empty, "imaps", expect_rc=0, no_creds=False,
         post=lambda r, srv: None if re.search(r"(?m)^  INBOX: the server gave no message count$", r["out"])
         and "?" not in r["out"] else "no 'the server gave no message count' for INBOX")
    case("9 malformed CAPABILITY", s_bad_capability, "imaps", expect_rc=1, expect_err=r"unreadable")
    case("9 * NO without text", s_no_without_text, "imaps", expect_rc=[0, 1], no_creds=False)
    case("9 sequence set ending in ','", s_seqset_comma, "imaps", expect_rc=[0, 1], no_creds=False)

    case("16 silent: no TLS handshake (imaps)", s_silent, "imaps", implicit=False, expect_err=r"timed out")
    case("16 silent: no greeting (imap)", s_silent, "imap", expect_err=r"timed out")
    case("16 silent: no greeting after TLS (imaps)", s_silent, "imaps", expect_err=r"timed out")
    case("16 silent: no STARTTLS answer (imap)", s_silent_after_starttls, "imap", expect_err=r"timed out")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    rc = main()
    if rc == 0:
        import shutil
        shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(rc)
