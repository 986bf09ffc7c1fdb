#!/bin/bash
# listhdr_fixture.sh DIR - for test_listhdr: a test CA, an unrelated CA,
# a server certificate for 127.0.0.1/localhost signed by the first, and
# an HTTPS server (python http.server + ssl) that records each request.
set -eu
dir=$1
cd "$dir"
make_cert() { # NAME SIGNER TEMPLATE
	printf '%s\n' "$3" > "$1.tmpl"
	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --no-text --outfile "$1-key.pem" 2>>certtool.log
	if [ "$2" = self ]; then
		certtool --generate-self-signed --load-privkey "$1-key.pem" --template "$1.tmpl" \
			--no-text --outfile "$1.pem" 2>>certtool.log
	else
		certtool --generate-certificate --load-privkey "$1-key.pem" --load-ca-certificate "$2.pem" \
			--load-ca-privkey "$2-key.pem" --template "$1.tmpl" --no-text --outfile "$1.pem" 2>>certtool.log
	fi
}
ca='expiration_days = 30
ca
cert_signing_key'
make_cert ca self "cn = \"listhdr test CA\"
serial = 1
$ca"
make_cert other-ca self "cn = \"listhdr UNTRUSTED CA\"
serial = 1
$ca"
make_cert server ca "cn = \"localhost\"
dns_name = \"localhost\"
ip_address = \"127.0.0.1\"
serial = 2
expiration_days = 30
tls_www_server
signing_key"
cat > server.py <<'PY'
import http.server, os, ssl, sys
cert, key, log = sys.argv[1:4]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_POST(self):
        n = int(self.headers.get('Content-Length', 0))
        body = self.rfile.read(n).decode()
        with open(log, 'a') as f:
            f.write('%s %s %s %s\n' % (self.command, self.path, self.headers.get('Content-Type'), body))
        if self.path.startswith('/redirect'):
            self.send_response(302)
            self.send_header('Location', '/elsewhere')
        else:
            self.send_response(200)
        self.send_header('Content-Length', '0')
        self.end_headers()
srv = http.server.HTTPServer(('127.0.0.1', 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], os.getpid(), flush=True)
srv.serve_forever()
PY
