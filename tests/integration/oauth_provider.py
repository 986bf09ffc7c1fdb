#!/usr/bin/env python3
"""A small scripted OAuth2 authorization server for test_oauth2_flow.

    oauth_provider.py STATEFILE [--time-unit-ms N] [--seed CLIENT:TOKEN ...] [--tls CERTDIR]
    oauth_provider.py --browse URL [--no-follow]

Serves plain HTTP on 127.0.0.1 at a random port and prints the port on its
first line of output.  After every request it rewrites STATEFILE (JSON,
atomically) with what the tests check: the current refresh token of each
grant, how many refreshes and refused refreshes there were, device polls
that came sooner than the interval asked, slow_downs sent.  With --tls it
serves HTTPS with a certificate for 127.0.0.1 from a test CA it makes in
CERTDIR (ca.pem; tests/hostile/hostile_server.py's gen_certs).  A "second"
of the protocol (interval, slow_down's +5, expires_in) lasts N ms.

Endpoints (the client id picks the behaviour):
  POST /device     RFC 8628 device authorization.  dev-ok: pending, slow_down,
                   pending, then tokens; dev-expired: pending, then
                   expired_token; dev-denied: access_denied; dev-google: tokens
                   at the first poll, "verification_url" spelled as Google does;
                   dev-wait: pending until POST /approve (user_code=...), the
                   person at the browser
  GET /authorize   checks response_type, S256 and a loopback redirect_uri,
                   redirects there with a code and the state (auth-badstate:
                   a state that is not the client's; auth-deny: access_denied)
  POST /token      device_code, authorization_code (the PKCE verifier checked
                   against the challenge, the code used once), refresh_token
                   (rotated at each use; an old or unknown one is invalid_grant;
                   client norotate keeps it; client short: expires_in 1)
  POST /introspect RFC 7662 for an access token (what Dovecot's oauth2 passdb
                   asks): active, username "alice", exp; POST /revoke: a refresh
                   token's grant revoked (RFC 7009), its access tokens too;
                   POST /expire: every access token issued so far expires now
                   (the client still holds it: the server refuses it)
  POST /approve    the device code with that user_code is approved (dev-wait)
  POST /redirect   answers 302 to another host;  POST /huge: 100 KB of JSON;
  POST /garbage    HTML instead of JSON

--browse plays the browser: GET URL, and follow its redirect to the loopback
(or with --no-follow print the Location); prints the final status line.
"""
import base64
import hashlib
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
UNIT = 1.0  # seconds per protocol second
STATEFILE = None
S = {
    "grants": {},          # grant id -> current refresh token
    "refresh_ok": 0,
    "refresh_refused": 0,
    "too_soon": 0,
    "slow_downs": 0,
    "pkce_refused": 0,
    "codes_issued": 0,
}
RT_GRANT = {}              # refresh token -> grant id (old ones too)
RT_CLIENT = {}             # grant id -> client id
DEVICES = {}               # device_code -> dict
CODES = {}                 # code -> dict
ACCESS = {}                # access token -> {"grant", "exp"}


def save_state():
    tmp = STATEFILE + ".tmp"
    with open(tmp, "w") as f:
        json.dump(S, f, sort_keys=True)
    os.rename(tmp, STATEFILE)


def new_grant(client, token=None):
    gid = "g%d" % (len(S["grants"]) + 1)
    rt = token or "rt-" + secrets.token_urlsafe(12)
    S["grants"][gid] = rt
    RT_GRANT[rt] = gid
    RT_CLIENT[gid] = client
    return gid, rt


def tokens(client, gid, rotate, send_rt=True):
    rt = S["grants"][gid]
    if rotate:
        rt = "rt-" + secrets.token_urlsafe(12)
        S["grants"][gid] = rt
        RT_GRANT[rt] = gid
    at = "at-" + secrets.token_urlsafe(12)
    life = 1 if client == "short" else 3600
    ACCESS[at] = {"grant": gid, "exp": time.time() + life * UNIT}
    body = {"access_token": at, "token_type": "Bearer", "expires_in": life, "scope": "mail"}
    if send_rt:
        body["refresh_token"] = rt
    return body


def err(code, desc=None):
    b = {"error": code}
    if desc:
        b["error_description"] = desc
    return 400, b


def device_start(form):
    client = form.get("client_id", "")
    dc = "dc-" + secrets.token_urlsafe(8)
    DEVICES[dc] = {"client": client, "polls": 0, "interval": 1, "last": None}
    body = {"device_code": dc, "user_code": "WDJB-MJHT", "expires_in": 600, "interval": 1}
    if client == "dev-google":
        body["verification_url"] = "https://www.google.com/device"
    else:
        body["verification_uri"] = "https://provider.test/device"
        body["verification_uri_complete"] = "https://provider.test/device?user_code=WDJB-MJHT"
    return 200, body


def device_poll(form):
    d = DEVICES.get(form.get("device_code", ""))
    if not d:
        return err("invalid_grant", "unknown device_code")
    now = time.monotonic()
    if d["last"] is not None and now - d["last"] < d["interval"] * UNIT * 0.9:
        S["too_soon"] += 1
        d["interval"] += 5
        S["slow_downs"] += 1
        d["last"] = now
        return err("slow_down")
    d["last"] = now
    d["polls"] += 1
    n, client = d["polls"], d["client"]
    script = {
        "dev-ok": ["authorization_pending", "slow_down", "authorization_pending"],
        "dev-expired": ["authorization_pending", "expired_token"],
        "dev-denied": ["access_denied"],
    }.get(client, [])
    if n <= len(script):
        e = script[n - 1]
        if e == "slow_down":
            d["interval"] += 5
            S["slow_downs"] += 1
        return err(e)
    if client == "dev-wait" and not d.get("approved"):
        return err("authorization_pending")
    del DEVICES[form["device_code"]]
    gid, _ = new_grant(client)
    return 200, tokens(client, gid, False)


def code_exchange(form):
    c = CODES.pop(form.get("code", ""), None)
    if not c:
        return err("invalid_grant", "unknown or used code")
    verifier = form.get("code_verifier", "")
    digest = hashlib.sha256(verifier.encode()).digest()
    if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != c["challenge"]:
        S["pkce_refused"] += 1
        return err("invalid_grant", "code_verifier does not match the code_challenge")
    if form.get("redirect_uri") != c["redirect_uri"] or form.get("client_id") != c["client"]:
        return err("invalid_grant", "redirect_uri or client_id mismatch")
    gid, _ = new_grant(c["client"])
    return 200, tokens(c["client"], gid, False)


def refresh(form):
    rt = form.get("refresh_token", "")
    gid = RT_GRANT.get(rt)
    if not gid or S["grants"].get(gid) != rt:
        S["refresh_refused"] += 1
        return err("invalid_grant", "Token has been expired or revoked.")
    S["refresh_ok"] += 1
    client = RT_CLIENT[gid]
    rotate = client != "norotate"
    return 200, tokens(client, gid, rotate, send_rt=rotate)


def introspect(form):
    a = ACCESS.get(form.get("token", ""))
    if not a or a["exp"] < time.time() or a["grant"] not in S["grants"]:
        return 200, {"active": False}
    return 200, {"active": True, "username": "alice", "exp": int(a["exp"]), "scope": "mail",
                 "client_id": RT_CLIENT[a["grant"]]}


def revoke(form):
    gid = RT_GRANT.get(form.get("token", ""))
    if gid in S["grants"]:
        del S["grants"][gid]
    return 200, {}


def approve(form):
    n = 0
    for d in DEVICES.values():
        if form.get("user_code") == "WDJB-MJHT":
            d["approved"] = True
            n += 1
    S["approved"] = S.get("approved", 0) + n
    return 200, {"approved": n}


def expire(form):
    for a in ACCESS.values():
        a["exp"] = 0
    return 200, {}


def authorize(q):
    client = q.get("client_id", "")
    redirect = q.get("redirect_uri", "")
    if (q.get("response_type") != "code" or q.get("code_challenge_method") != "S256"
            or not redirect.startswith("http://127.0.0.1:") or len(q.get("code_challenge", "")) != 43):
        return 400, None, "bad authorization request"
    state = q.get("state", "")
    if client == "auth-badstate":
        state = "not-" + state
    if client == "auth-deny":
        args = {"error": "access_denied", "error_description": "The user said no", "state": state}
    else:
        code = "code-" + secrets.token_urlsafe(8)
        CODES[code] = {"client": client, "challenge": q["code_challenge"], "redirect_uri": redirect}
        S["codes_issued"] += 1
        args = {"code": code, "state": state}
    return 302, redirect + "?" + urllib.parse.urlencode(args), None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body, ctype="application/json", extra=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/authorize":
            return self.reply(404, {"error": "not_found"})
        q = dict(urllib.parse.parse_qsl(url.query))
        with LOCK:
            code, loc, msg = authorize(q)
            save_state()
        if code == 302:
            return self.reply(302, b"", "text/plain", [("Location", loc)])
        return self.reply(code, msg.encode(), "text/plain")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
        path = urllib.parse.urlsplit(self.path).path
        if path == "/redirect":
            return self.reply(302, b"", "text/plain", [("Location", "https://evil.example/token")])
        if path == "/garbage":
            return self.reply(200, b"<html>Sign in</html>", "text/html")
        if path == "/huge":
            return self.reply(200, {"access_token": "x" * 100000, "token_type": "Bearer"})
        if path == "/token" and form.get("grant_type") == "refresh_token":
            time.sleep(0.05)  # widens the window in which two refreshers could race
        with LOCK:
            if path == "/device":
                code, body = device_start(form)
            elif path in ("/introspect", "/revoke", "/expire", "/approve"):
                code, body = {"/introspect": introspect, "/revoke": revoke, "/expire": expire,
                              "/approve": approve}[path](form)
            elif path != "/token":
                code, body = 404, {"error": "not_found"}
            else:
                grant = form.get("grant_type")
                handler = {"urn:ietf:params:oauth:grant-type:device_code": device_poll,
                           "authorization_code": code_exchange, "refresh_token": refresh}.get(grant)
                code, body = handler(form) if handler else err("unsupported_grant_type")
            save_state()
        self.reply(code, body)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up on /huge is what the test wants


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


def browse(url, follow):
    opener = urllib.request.build_opener(NoRedirect)
    try:
        r = opener.open(url)
        print(r.status)
        return 0
    except urllib.error.HTTPError as e:
        if e.code != 302:
            print(e.code, e.read().decode(errors="replace"))
            return 1
        loc = e.headers["Location"]
    if not follow:
        print(loc)
        return 0
    try:
        r = urllib.request.urlopen(loc)
        print(r.status, r.read().decode(errors="replace").strip())
    except urllib.error.HTTPError as e:
        print(e.code, e.read().decode(errors="replace").strip())
    return 0


def main():
    global UNIT, STATEFILE
    args = sys.argv[1:]
    certdir = None
    if args and args[0] == "--browse":
        return browse(args[1], "--no-follow" not in args)
    STATEFILE = args.pop(0)
    while args:
        a = args.pop(0)
        if a == "--time-unit-ms":
            UNIT = int(args.pop(0)) / 1000.0
        elif a == "--seed":
            client, token = args.pop(0).split(":", 1)
            new_grant(client, token)
        elif a == "--tls":
            certdir = args.pop(0)
    save_state()
    srv = Server(("127.0.0.1", 0), Handler)
    if certdir:
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../hostile"))
        import hostile_server
        hostile_server.gen_certs(certdir)
        tls = hostile_server.tls_context(certdir, "server")
        srv.socket = tls.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
