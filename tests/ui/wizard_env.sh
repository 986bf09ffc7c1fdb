# tests/ui/wizard_env.sh - a private little Internet for the setup wizard's
# tests, sourced by tests/ui/test_wizard*.sh.
#
# The calling script re-runs itself in a new network and mount namespace
# (unshare -n -m, so root only): there 127.0.0.1 is ours alone, so
#   - dnsmasq answers on 127.0.0.1:53 and a bind-mounted /etc/resolv.conf
#     points at it: getaddrinfo() resolves imap.test.example & co through
#     real A records, and the machine's own /etc files are never touched;
#     a second dnsmasq on another port serves the same zone to
#     MUTTLIKE_RESOLVER;
#   - HTTPS on 443 serves autoconfig files with a certificate from the
#     rig's CA (python3 http.server + ssl);
#   - the rig's Dovecot is the IMAP server (random ports), a small Python
#     server plays SMTP submission, another an IMAP server without STARTTLS.
# Test domains (see write_zone):
#   srv.example    SRV for IMAPS and submission
#   ac.example     autoconfig.ac.example serves config-v1.1.xml
#   wk.example     only https://wk.example/.well-known/autoconfig/...
#   isp.example    only the ISPDB (https://ispdb.test.example/v1.1/)
#   mx.example     only an MX pointing into srv.example
#   test.example   nothing: guessing imap.test.example on 993/143 (port map)
#   nostls.example SRV _imap._tcp to a server that never offers STARTTLS
#   outlook.com    autoconfig.outlook.com: IMAP at outlook.office365.com
#                  (the rig, a port of its own) with OAuth2 authentication
#
#   wiz_enter_netns "$0" "$@"   first line of a test: re-exec inside, or skip
#   wiz_start                   start everything; sets WIZ_* variables
#   wiz_stop                    stop everything we started (by pid)

wiz_enter_netns() {
	[ -n "${WIZ_IN_NETNS:-}" ] && return 0
	if [ "$(id -u)" != 0 ] || ! unshare -n -m true 2>/dev/null; then
		# A silent skip would hide ~90 cases from CI: count it as a failure
		# unless the person running the tests opts out.
		echo "the wizard tests need root for a private network namespace (unshare -n -m)"
		if [ "${WIZ_ALLOW_SKIP:-0}" = 1 ]; then
			echo "skipped (WIZ_ALLOW_SKIP=1)"
			echo "0 passed, 0 failed"
			exit 0
		fi
		echo "0 passed, 1 failed"
		exit 1
	fi
	exec unshare -n -m env WIZ_IN_NETNS=1 bash "$@"
}

WIZ_PY=/usr/bin/python3
[ -x "$WIZ_PY" ] || WIZ_PY=python3
WIZ_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WIZ_PIDS=()

wiz_die() {
	echo "wizard test setup failed: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

# Wait for a helper to print "ready" on its output file.
wiz_wait_ready() { # (30 s: a Python helper starts slowly on a busy machine)
	local f=$1 i
	for ((i = 0; i < 600; i++)); do
		grep -q ready "$f" 2>/dev/null && return 0
		sleep 0.05
	done
	cat "$f" >&2
	return 1
}

write_zone() {
	cat <<EOF
no-resolv
no-hosts
bind-interfaces
listen-address=127.0.0.1
local=/example/
local=/outlook.com/
host-record=autoconfig.outlook.com,127.0.0.1
host-record=imap.test.example,127.0.0.1
host-record=outlook.office365.com,127.0.0.1
host-record=mail.test.example,127.0.0.1
host-record=smtp.test.example,127.0.0.1
host-record=test.example,127.0.0.1
host-record=ispdb.test.example,127.0.0.1
host-record=autoconfig.ac.example,127.0.0.1
host-record=wk.example,127.0.0.1
srv-host=_imaps._tcp.srv.example,imap.test.example,$RIG_IMAPS_PORT,0,0
srv-host=_submission._tcp.srv.example,smtp.test.example,$WIZ_SMTP_PORT,0,0
srv-host=_imap._tcp.nostls.example,imap.test.example,$WIZ_NOSTLS_PORT,0,0
mx-host=mx.example,mx1.srv.example,10
EOF
}

autoconfig_xml() { # host port socketType [authentication]
	cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="$1">
    <incomingServer type="imap">
      <hostname>$1</hostname><port>$2</port><socketType>$3</socketType>
      <username>%EMAILLOCALPART%</username><authentication>${4:-password-cleartext}</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.test.example</hostname><port>$WIZ_SMTPS_PORT</port><socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>
EOF
}

write_www() {
	local w=$WIZ_DIR/www
	mkdir -p "$w/autoconfig.ac.example/mail" "$w/wk.example/.well-known/autoconfig/mail" \
		"$w/ispdb.test.example/v1.1" "$w/autoconfig.outlook.com/mail"
	autoconfig_xml outlook.office365.com "$RIG_IMAPS_PORT" SSL OAuth2 > "$w/autoconfig.outlook.com/mail/config-v1.1.xml"
	autoconfig_xml mail.test.example "$RIG_IMAP_PORT" STARTTLS > "$w/autoconfig.ac.example/mail/config-v1.1.xml"
	autoconfig_xml imap.test.example "$RIG_IMAPS_PORT" SSL > "$w/wk.example/.well-known/autoconfig/mail/config-v1.1.xml"
	autoconfig_xml imap.test.example "$RIG_IMAPS_PORT" SSL > "$w/ispdb.test.example/v1.1/isp.example"
}

# A leaf from the rig's CA for the HTTPS names.
make_web_cert() {
	local c=$WIZ_DIR/web
	mkdir -p "$c"
	cat > "$c/tmpl" <<EOF
cn = "autoconfig.ac.example"
dns_name = "autoconfig.ac.example"
dns_name = "wk.example"
dns_name = "ispdb.test.example"
dns_name = "autoconfig.outlook.com"
serial = 42
expiration_days = 30
tls_www_server
signing_key
EOF
	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --no-text --outfile "$c/key.pem" 2>/dev/null &&
	certtool --generate-certificate --load-privkey "$c/key.pem" --load-ca-certificate "$RIG_CERTS/ca.pem" \
		--load-ca-privkey "$RIG_CERTS/ca-key.pem" --template "$c/tmpl" --no-text --outfile "$c/cert.pem" 2>/dev/null
}

wiz_bg() { # name cmd...
	local name=$1; shift
	"$@" > "$WIZ_DIR/$name.out" 2>&1 &
	WIZ_PIDS+=($!)
	wiz_wait_ready "$WIZ_DIR/$name.out" || wiz_die "$name did not start"
}

wiz_start() {
	ip link set lo up || wiz_die "no loopback in the namespace"
	WIZ_DIR=$(mktemp -d /tmp/muttlike-wiz.XXXXXX)
	chmod 755 "$WIZ_DIR"
	RIG_QUIET=1 "$WIZ_SRC/tests/rig/rig" start "$WIZ_DIR/rig" || wiz_die "rig start"
	# shellcheck disable=SC1091
	source "$WIZ_DIR/rig/rig.env"
	read -r WIZ_SMTPS_PORT WIZ_SMTP_PORT WIZ_NOSTLS_PORT WIZ_DNS2_PORT < <("$WIZ_PY" "$WIZ_SRC/tests/ui/wizard_servers.py" ports 4)
	write_zone > "$WIZ_DIR/dnsmasq.conf"
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "$WIZ_DIR/resolv.conf"
	mount --bind "$WIZ_DIR/resolv.conf" /etc/resolv.conf || wiz_die "cannot bind-mount resolv.conf"
	local dnsmasq
	dnsmasq=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
	[ -x "$dnsmasq" ] || wiz_die "dnsmasq is not installed (make deps)"
	"$dnsmasq" --keep-in-foreground --conf-file="$WIZ_DIR/dnsmasq.conf" --port=53 --pid-file= --user=root > "$WIZ_DIR/dns.out" 2>&1 &
	WIZ_PIDS+=($!)
	"$dnsmasq" --keep-in-foreground --conf-file="$WIZ_DIR/dnsmasq.conf" --port="$WIZ_DNS2_PORT" --pid-file= --user=root > "$WIZ_DIR/dns2.out" 2>&1 &
	WIZ_PIDS+=($!)
	make_web_cert || wiz_die "certtool"
	write_www
	wiz_bg https "$WIZ_PY" "$WIZ_SRC/tests/ui/wizard_servers.py" https 443 "$WIZ_DIR/web/cert.pem" "$WIZ_DIR/web/key.pem" "$WIZ_DIR/www"
	wiz_bg smtp "$WIZ_PY" "$WIZ_SRC/tests/ui/wizard_servers.py" smtp "$WIZ_SMTPS_PORT" "$WIZ_SMTP_PORT" \
		"$RIG_CERTS/server.pem" "$RIG_CERTS/server-key.pem" "$RIG_USER" "$RIG_PASS"
	wiz_bg nostls "$WIZ_PY" "$WIZ_SRC/tests/ui/wizard_servers.py" imap-nostarttls "$WIZ_NOSTLS_PORT"
	local i
	for ((i = 0; i < 300; i++)); do
		getent hosts imap.test.example >/dev/null && break
		sleep 0.1
	done
	getent hosts imap.test.example >/dev/null || wiz_die "dnsmasq does not answer"
	export HOME=$WIZ_DIR/home XDG_CONFIG_HOME=$WIZ_DIR/home/.config XDG_DATA_HOME=$WIZ_DIR/home/.local/share
	mkdir -p "$HOME"
	export WIZ_PORT_MAP="993=$RIG_IMAPS_PORT,143=$RIG_IMAP_PORT,465=$WIZ_SMTPS_PORT,587=$WIZ_SMTP_PORT"
	export WIZ_DNS2="127.0.0.1:$WIZ_DNS2_PORT"
}

wiz_stop() {
	local p
	for p in "${WIZ_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "${WIZ_DIR:-}" ] && "$WIZ_SRC/tests/rig/rig" stop "$WIZ_DIR/rig" 2>/dev/null
	[ "${WIZ_KEEP:-0}" = 1 ] || rm -rf "${WIZ_DIR:-/nonexistent}"
}
