#!/usr/bin/env bash
# shellcheck disable=SC2154 # PB_API_main, PB_API_two: set by pebble_config (printf -v)
# 29-acme: certificates from ACME (RFC 8555), end to end against a local
# pebble (Debian's, the Let's Encrypt test CA) whose DNS server
# (pebble-challtestsrv) resolves every name to 127.0.0.1, with real
# validation and pebble rejecting 5 % of good nonces (see pebble.sh).
# First -t (what it refuses, with its position; the stored certificate
# lines), then, seen from the outside:
#  - no certificate at all and the CA down: the handshake for an acme name
#    fails with unrecognized_name, the failure is logged with "retrying in
#    2 s" then "4 s" (backoff, no tight loop), SIGTERM still exits 0;
#  - the CA down at start: the listener's own certificate is served (for
#    other names and, meanwhile, for the acme names), the certificate arrives
#    once the CA is up;
#  - TLS-ALPN-01: the chain verifies against pebble's root for every name, the
#    SANs are exactly the configured names, one certificate for all, content
#    served with it; storage 0700/0600; -t lists it; plain HTTP still 308;
#  - a restart serves the stored certificate at once and orders nothing;
#  - a name added on SIGHUP gets a certificate, the others keep working;
#  - renewal (renew_before longer than what is left, on SIGHUP) keeps an open
#    keep-alive connection answering; a new handshake gets a new serial;
#  - HTTP-01 through the redirect listener (the CA's requests in its access
#    log), which still redirects everything else (unknown tokens too); a
#    client without SNI gets the acme certificate;
#  - a CA answering 429 rateLimited with Retry-After: logged with the
#    problem's type and detail, the retry waits what the CA asked.
# Clients: openssl s_client, curl. About 30 s (3 minutes under valgrind).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/pebble.sh
. "$(dirname "$0")/pebble.sh"

require_cmd curl openssl "$PEBBLE" "$CHALLTESTSRV" || finish

www=$TMP/www
mkdir -p "$www"
printf 'acme index\n' >"$www/index.html"

# esc STRING — STRING as an ERE matching itself.
# shellcheck disable=SC2001,SC2016 # a bracket expression; no expansion meant
esc() { sed 's/[].[\*^$()+?{}|]/\\&/g' <<<"$1"; }

# iso_date DATE — an openssl date ("Dec  5 01:02:03 2031 GMT") as 2031-12-05T01:02:03Z.
iso_date() { date -u -d "$1" '+%Y-%m-%dT%H:%M:%SZ' 2>/dev/null; }

# Properties of a PEM certificate file (the first certificate in it).
serial_of() { openssl x509 -in "$1" -noout -serial 2>/dev/null | sed 's/^serial=//'; }
not_after_of() { iso_date "$(openssl x509 -in "$1" -noout -enddate 2>/dev/null | sed 's/^notAfter=//')"; }
issuer_of() { openssl x509 -in "$1" -noout -issuer -nameopt RFC2253 2>/dev/null | sed 's/^issuer=//'; }
# sans_of FILE — its DNS names, sorted, joined by ",".
sans_of() {
	openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tr ',' '\n' |
		sed -nE 's/^ *DNS:([^ ]+) *$/\1/p' | sort | paste -sd, -
}
count_certs() { grep -c -- '-----BEGIN CERTIFICATE-----' "$1" 2>/dev/null; }

# hs SNI CAFILE [PORT] — one TLS handshake with openssl s_client to
# 127.0.0.1:PORT (TLS_PORT), server name SNI, verifying the chain against
# CAFILE and the certificate's name against SNI. Sets HS (s_client's output),
# HS_LEAF (the server's certificate, PEM; empty when none), HS_VERIFY (the
# "Verify return code" line).
HS_N=0
hs() {
	local sni=$1 ca=$2 port=${3:-$TLS_PORT}
	HS_N=$((HS_N + 1))
	HS=$TMP/hs.$HS_N.out
	HS_LEAF=$TMP/hs.$HS_N.pem
	timeout -k 2 "$NET_TIMEOUT" openssl s_client -connect "127.0.0.1:$port" -servername "$sni" \
		-CAfile "$ca" -verify_hostname "$sni" -showcerts </dev/null >"$HS" 2>&1
	openssl x509 -in "$HS" -out "$HS_LEAF" 2>/dev/null || : >"$HS_LEAF"
	HS_VERIFY=$(grep -a -m 1 'Verify return code' "$HS")
}

# check_acme_cert DESC SNI ROOT SANS — a handshake for SNI verifies against
# ROOT (chain and name) and the certificate's DNS names are exactly SANS
# (sorted, comma-joined). Sets SERIAL to the served certificate's serial.
check_acme_cert() {
	local desc=$1 sni=$2 root=$3 want=$4
	hs "$sni" "$root"
	SERIAL=$(serial_of "$HS_LEAF")
	check_eq "$desc: the chain verifies against pebble's root, name $sni (openssl s_client)" \
		"Verify return code: 0 (ok)" "$HS_VERIFY" || note "$(grep -a -E 'depth|error|alert' "$HS" | head -n 5)"
	check_eq "$desc: the certificate's DNS names are exactly $want" "$want" "$(sans_of "$HS_LEAF")"
}

# The server's log, as fixed text followed by an ERE for the rest.
acme_re() { printf 'acme: %s: %s' "$(esc "$1")" "$2"; }

# check_storage DESC DIR — every directory under DIR (itself included) is
# 0700 and every file 0600.
check_storage() {
	local bad
	bad=$(find "$1" \( -type d ! -perm 700 \) -o \( -type f ! -perm 600 \) -printf '%m %p\n' 2>&1)
	if [ -d "$1" ] && [ -z "$bad" ]; then
		pass "$2: every directory under the storage is 0700, every file 0600 ($(find "$1" | wc -l) entries)"
	else
		fail "$2: every directory under the storage is 0700, every file 0600" "$bad"
	fi
}

# check_mode DESC MODE FILE
check_mode() { check_eq "$1" "$2" "$(stat -c '%a' "$3" 2>&1)"; }

# write_acme FILE — a configuration from A_DIR (directory URL), A_STORE,
# A_CHAL, A_NAMES (space-separated), A_RENEW (optional), A_CERT (1: the
# top-level tls: certificate of tests/certs, which every listener has),
# A_HTTPS_PORT (TLS_PORT). Written to a new file, then renamed: a reload never
# reads half of it.
A_RENEW=""
A_CERT=1
A_HTTPS_PORT=""
A_ACCESS=$TMP/access.log
write_acme() {
	local names=${A_NAMES// /, }
	{
		printf 'workers: 2\n'
		printf 'log: {level: debug, error: stderr, access: %s}\n' "$A_ACCESS"
		[ "$A_CERT" = 1 ] && printf 'tls: {certificate: %s, key: %s}\n' "$CERTS/server.crt" "$CERTS/server.key"
		printf 'limits: {idle_timeout: %ss}\n' $((120 * SLOW))
		printf 'acme:\n'
		printf '  directory: %s\n' "$A_DIR"
		printf '  ca_file: %s\n' "$PB_CA"
		printf '  email: ops@example.com\n'
		printf '  storage: %s\n' "$A_STORE"
		printf '  challenge: %s\n' "$A_CHAL"
		[ -n "$A_RENEW" ] && printf '  renew_before: %s\n' "$A_RENEW"
		cat <<EOF
listeners:
  - name: https
    host: 127.0.0.1
    port: ${A_HTTPS_PORT:-$TLS_PORT}
    mode: files
    root: $www
    acme: [$names]
  - name: http
    host: 127.0.0.1
    port: $HTTP_PORT
    mode: redirect
EOF
	} >"$1.new"
	mv -f "$1.new" "$1"
}

# hup — SIGHUP the server and wait (bounded) for "configuration reloaded".
hup() {
	local n
	n=$(grep -ac 'configuration reloaded' "$SERVER_LOG")
	kill -HUP "$SERVER_PID"
	wait_log 'configuration reloaded' $((n + 1)) 100 && return 0
	fail "SIGHUP: configuration reloaded" "$(server_log_tail 8)"
}

# wait_acme NAMES ERE [COUNT] [TENTHS] — wait (bounded: TENTHS/10 s, 30 s by
# default, times 3 under a wrapper) until COUNT (1) lines "acme: NAMES: ERE"
# are in the server's log.
wait_acme() {
	wait_log "$(acme_re "$1" "$2")" "${3:-1}" "${4:-300}"
}

# log_count ERE — lines of the server's log matching ERE.
log_count() { grep -aEc -- "$1" "$SERVER_LOG" 2>/dev/null; }

# log_line ERE — the last line of the server's log matching ERE.
log_line() { grep -aE -- "$1" "$SERVER_LOG" 2>/dev/null | tail -n 1; }

# ================================================================ tlserve -t
# Ports and the API CA first: the configurations name them.
pebble_ports || finish
pebble_api_cert
pebble_config main || fail "free ports for pebble"
pebble_config two || fail "free ports for the second pebble"
DIR_MAIN=$(pebble_dir main)
DIR_TWO=$(pebble_dir two)

conf=$TMP/acme.yaml
A_DIR=$DIR_MAIN
A_STORE=$TMP/store   # not there yet: tlserve makes it
A_CHAL=tls-alpn-01
A_NAMES="a.test b.test"
write_acme "$conf"
out=$(run_tlserve -t -c "$conf" 2>&1)
rc=$?
check_eq "-t: the acme configuration passes (exit 0)" 0 "$rc"
[ "$rc" = 0 ] || note "$(head -n 5 <<<"$out")"
check_has_line "-t: the acme names without a stored certificate" "$out" \
	"$conf: acme: a.test, b.test: no stored certificate"
check_has_line "-t: ends with FILE: ok" "$(tail -n 1 <<<"$out")" "$conf: ok"

# refuse DESC ERE MARKER — the configuration on stdin; tlserve -t must exit 1
# with a message "FILE:LINE:COL: ..." whose LINE is the line of the file
# holding the fixed string MARKER and which matches ERE (case-insensitive) and
# is not an "unknown key" (every acme key is known). Under a wrapper
# (valgrind) only every 4th check runs wrapped (the sanitizer run checks them
# all).
NREF=0
refuse() {
	local desc=$1 re=$2 marker=$3 f out rc line msg
	NREF=$((NREF + 1))
	f=$TMP/bad.$NREF.yaml
	cat >"$f"
	line=$(grep -nF -- "$marker" "$f" | head -n 1 | cut -d: -f1)
	if [ -n "$TLSERVE_WRAPPER" ] && [ $((NREF % 4)) -ne 0 ]; then
		# shellcheck disable=SC2086 # the prefix is a command line on purpose
		out=$(timeout -k 5 30 $TLSERVE_PREFIX "$TLSERVE_BIN" -t -c "$f" 2>&1)
	else
		out=$(run_tlserve -t -c "$f" 2>&1)
	fi
	rc=$?
	msg=$(grep -E -- "^$(esc "$f"):$line:[0-9]+: " <<<"$out")
	if [ "$rc" = 1 ] && [ -n "$msg" ] && grep -Eqi -- "$re" <<<"$msg" && ! grep -qi 'unknown key' <<<"$msg"; then
		pass "-t refuses $desc (exit 1, FILE:$line:COL: ... /$re/)"
	else
		fail "-t refuses $desc (exit 1, FILE:$line:COL: ... /$re/, not \"unknown key\")" "exit $rc" "$out"
	fi
}
HEAD="workers: 1
log: {level: info, error: stderr}
tls: {certificate: $CERTS/server.crt, key: $CERTS/server.key}"
ACME="acme:
  directory: $DIR_MAIN
  ca_file: $PB_CA
  storage: $TMP/store-t"
FILES="  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www"

refuse "a directory that is not https" 'https' 'directory: http:' <<EOF
$HEAD
acme:
  directory: http://127.0.0.1:$PB_API_main/dir
  storage: $TMP/store-t
listeners:
$FILES, acme: [a.test]}
EOF
refuse "a wildcard acme name" '\*\.w\.test' '*.w.test' <<EOF
$HEAD
$ACME
listeners:
$FILES, acme: [a.test, "*.w.test"]}
EOF
L64=$(printf '%064d' 0)
for n in '"a..test"' '"bad name.test"' '"a.test:443"' '"-a.test"' '"a-.test"' '"a.test/x"' "\"$L64.test\"" '""'; do
	re=$(esc "${n//\"/}")
	d="the acme name $n"
	case $n in
	'""') re='name|empty' ;;
	*"$L64"*) re='label|host name' d="an acme name with a 64-character label" ;;   # the message may shorten the name
	esac
	refuse "$d" "$re" "$n" <<EOF
$HEAD
$ACME
listeners:
$FILES,
     acme: [ok.test, $n]}
EOF
done
refuse "a name twice in one acme list" 'a\.test' '[a.test, b.test, a.test]' <<EOF
$HEAD
$ACME
listeners:
$FILES,
     acme: [a.test, b.test, a.test]}
EOF
refuse "a name twice in different case" 'a\.test' '[a.test, A.TEST]' <<EOF
$HEAD
$ACME
listeners:
$FILES,
     acme: [a.test, A.TEST]}
EOF
refuse "a name in the acme lists of two listeners" 'a\.test' '[x.test, a.test]' <<EOF
$HEAD
$ACME
listeners:
$FILES, acme: [a.test]}
  - {name: https2, host: 127.0.0.1, port: 0, mode: files, root: $www,
     acme: [x.test, a.test]}
EOF
refuse "acme: on a redirect listener" 'acme' 'acme: [r.test]' <<EOF
$HEAD
$ACME
listeners:
$FILES}
  - {name: http, host: 127.0.0.1, port: 0, mode: redirect,
     acme: [r.test]}
EOF
refuse "acme: on an echo listener" 'acme' 'acme: [e.test]' <<EOF
$HEAD
$ACME
listeners:
$FILES}
  - {name: echo, host: 127.0.0.1, port: 0, mode: echo,
     acme: [e.test]}
EOF
refuse "acme names without a top-level acme block" 'acme' 'acme: [a.test]' <<EOF
$HEAD
listeners:
$FILES,
     acme: [a.test]}
EOF
refuse "an unknown challenge (dns-01)" 'challenge|dns-01' 'challenge:' <<EOF
$HEAD
$ACME
  challenge: dns-01
listeners:
$FILES, acme: [a.test]}
EOF

# ================================================================ the CA
challtestsrv_start || finish
pebble_start main || finish
ROOT=$TMP/pebble-root.pem
pebble_roots main "$ROOT" || finish
DIRID_MAIN=$(pebble_dirid "$DIR_MAIN")

# ================================================================ no certificate, CA down
# No certificate anywhere and the directory (pebble two) not answering:
# the acme name cannot be served; the failure is retried after 2 s, then 4 s.
conf0=$TMP/nocert.yaml
A_DIR=$DIR_TWO A_STORE=$TMP/store0 A_NAMES="a.test" A_CERT=0 A_HTTPS_PORT=0
write_acme "$conf0"
A_CERT=1 A_HTTPS_PORT=""
if start_server "$conf0"; then
	if wait_acme a.test '.*; retrying in [0-9]+ s' 1 100; then
		check_match "CA down: the first failure is retried after 2 s" \
			"$(log_line "$(acme_re a.test '.*; retrying in')")" '; retrying in 2 s$'
	else
		fail "CA down: a failure with \"retrying in\" is logged" "$(server_log_tail 8)"
	fi
	hs a.test "$CERTS/ca.crt" "$(port_of https)"
	check_match "no certificate for a.test (no listener certificate, none ordered yet): the handshake fails with unrecognized_name" \
		"$(cat "$HS")" 'unrecognized name|alert number 112'
	check_eq "... and no certificate is sent" "" "$(cat "$HS_LEAF")"
	t0=$SECONDS
	if wait_acme a.test '.*; retrying in [0-9]+ s' 2 100; then
		check_match "CA down: the second failure is retried after 4 s (doubling)" \
			"$(log_line "$(acme_re a.test '.*; retrying in')")" '; retrying in 4 s$'
		note "the second attempt came $((SECONDS - t0)) s after the first failure was seen"
	else
		fail "CA down: a second attempt, 2 s after the first" "$(server_log_tail 8)"
	fi
	check_eq "CA down: two attempts so far (no tight loop)" 2 \
		"$(log_count "$(acme_re a.test '.*; retrying in')")"
	check_match "the failure says which directory was tried or why" \
		"$(log_line "$(acme_re a.test '.*; retrying in')")" "$(esc "$DIR_TWO")|127\.0\.0\.1:$PB_API_two|connect|refused"
	stop_server   # SIGTERM while the ACME thread waits to retry: exits 0 at once
fi

# ================================================================ the CA down at start
# The directory is pebble two, started only once tlserve has failed once:
# meanwhile the listener's certificate (tests/certs) is served, then the
# certificate for d.test arrives.
conf1=$TMP/down.yaml
A_DIR=$DIR_TWO A_STORE=$TMP/store1 A_NAMES="d.test"
write_acme "$conf1"
if start_server "$conf1"; then
	wait_acme d.test '.*; retrying in [0-9]+ s' 1 100 ||
		fail "CA down at start: a failure with \"retrying in\" is logged" "$(server_log_tail 8)"
	hs localhost "$CERTS/ca.crt"
	check_eq "CA down at start: another name (localhost) gets the listener's certificate, verified" \
		"Verify return code: 0 (ok)" "$HS_VERIFY"
	hs d.test "$CERTS/ca.crt"
	check_eq "CA down at start: d.test gets the listener's certificate meanwhile" \
		"$(serial_of "$CERTS/server.crt")" "$(serial_of "$HS_LEAF")"
	check_status "CA down at start: content is served (localhost, listener certificate)" 200 https /index.html
	ROOT2=$TMP/pebble-root2.pem
	if pebble_start two && pebble_roots two "$ROOT2"; then
		t0=$SECONDS
		if wait_acme d.test 'certificate installed, valid until ' 1 300; then
			pass "the CA back: d.test's certificate installed $((SECONDS - t0)) s after the CA came up"
			check_acme_cert "CA back" d.test "$ROOT2" d.test
			hs localhost "$CERTS/ca.crt"
			check_eq "CA back: localhost still gets the listener's certificate" \
				"$(serial_of "$CERTS/server.crt")" "$(serial_of "$HS_LEAF")"
		else
			fail "the CA back: d.test's certificate is installed" "$(server_log_tail 8)"
		fi
	fi
	stop_server
	pebble_stop two
fi

# ================================================================ TLS-ALPN-01
A_DIR=$DIR_MAIN A_STORE=$TMP/store A_NAMES="a.test b.test" A_CHAL=tls-alpn-01
write_acme "$conf"
start_server "$conf" || finish
if wait_acme "a.test, b.test" 'certificate installed, valid until ' 1 300; then
	pass "tls-alpn-01: the certificate for a.test, b.test is installed"
else
	fail "tls-alpn-01: the certificate for a.test, b.test is installed" "$(server_log_tail 10)"
fi
check_eq "tls-alpn-01: the order is logged with the directory and the challenge" 1 \
	"$(log_count "$(acme_re "a.test, b.test" "ordering a certificate from $(esc "$DIR_MAIN") \\(tls-alpn-01\\)")")"
check_acme_cert "tls-alpn-01 (a.test)" a.test "$ROOT" "a.test,b.test"
SERIAL1=$SERIAL
LEAF1=$HS_LEAF
check_eq "tls-alpn-01: the chain sent is leaf + intermediate" 2 "$(count_certs "$HS")"
check_eq "tls-alpn-01: the issuer is pebble's intermediate" "$(openssl x509 -in "$ROOT.int" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')" \
	"$(issuer_of "$LEAF1")"
installed=$(log_line "$(acme_re "a.test, b.test" 'certificate installed, valid until ')" | sed -nE 's/.*valid until ([^ ]+)$/\1/p')
check_eq "tls-alpn-01: the log's \"valid until\" is the certificate's notAfter" "$(not_after_of "$LEAF1")" "$installed"
check_acme_cert "tls-alpn-01 (b.test)" b.test "$ROOT" "a.test,b.test"
check_eq "tls-alpn-01: b.test gets the same certificate as a.test" "$SERIAL1" "$SERIAL"
hs localhost "$CERTS/ca.crt"
check_eq "tls-alpn-01: a name outside acme: (localhost) still gets the listener's certificate" \
	"$(serial_of "$CERTS/server.crt")" "$(serial_of "$HS_LEAF")"
got=$(curl -sS --max-time "$NET_TIMEOUT" --noproxy '*' --http1.1 --cacert "$ROOT" \
	--resolve "a.test:$TLS_PORT:127.0.0.1" "https://a.test:$TLS_PORT/index.html" 2>&1)
check_eq "tls-alpn-01: curl --cacert pebble's root https://a.test/index.html gets the file" "acme index" "$got"

# Storage.
S=$A_STORE/$DIRID_MAIN
check_mode "storage: the directory tlserve made is 0700" 700 "$A_STORE"
check_mode "storage: $DIRID_MAIN/ is 0700" 700 "$S"
for f in account.key a.test.key a.test.crt; do
	check_mode "storage: $DIRID_MAIN/$f is 0600" 600 "$S/$f"
done
check_storage "$A_STORE" "tls-alpn-01"
check_eq "storage: a.test.crt is the certificate served" "$SERIAL1" "$(serial_of "$S/a.test.crt")"
check_eq "storage: a.test.crt holds the leaf and the chain" 2 "$(count_certs "$S/a.test.crt")"
check_eq "storage: a.test.key is the certificate's key" \
	"$(openssl x509 -in "$S/a.test.crt" -noout -pubkey 2>/dev/null | sha256sum)" \
	"$(openssl pkey -in "$S/a.test.key" -pubout 2>/dev/null | sha256sum)"
check_match "storage: the certificate's key is P-256" "$(openssl pkey -in "$S/a.test.key" -noout -text 2>/dev/null)" 'prime256v1|P-256'
ACCOUNT_SUM=$(sha256sum <"$S/account.key" 2>/dev/null)

# -t with the stored certificate.
out=$(run_tlserve -t -c "$conf" 2>&1)
days=$(( ($(date -u -d "$(not_after_of "$LEAF1")" +%s) - $(date +%s)) / 86400 ))
line=$(grep -F "$conf: acme: a.test, b.test: stored certificate valid until " <<<"$out")
check_match "-t: the stored certificate's line (valid until its notAfter, N days)" "$line" \
	"^$(esc "$conf"): acme: a\\.test, b\\.test: stored certificate valid until $(esc "$(not_after_of "$LEAF1")") \\(($days|$((days + 1))) days\\)\$"

# A ClientHello offering only acme-tls/1 while no validation is under way:
# the handshake may fail, but no content is ever served on that protocol.
printf 'GET /index.html HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n' |
	timeout -k 2 "$NET_TIMEOUT" openssl s_client -quiet -connect "127.0.0.1:$TLS_PORT" -servername a.test \
		-alpn acme-tls/1 >"$TMP/alpn.out" 2>"$TMP/alpn.err"
check_file_not_contains "tls-alpn-01: a ClientHello offering only acme-tls/1 gets no HTTP answer" "$TMP/alpn.out" "HTTP/1.1"
[ -s "$TMP/alpn.err" ] && note "acme-tls/1 alone: $(grep -a -m 1 -E 'alert|error|ALPN' "$TMP/alpn.err")"

# The redirect listener still redirects.
got=$(curl -sS --max-time "$NET_TIMEOUT" --noproxy '*' --http1.1 -o /dev/null -w '%{http_code} %{redirect_url}' \
	"http://127.0.0.1:$HTTP_PORT/other?q=1" 2>&1)
check_eq "tls-alpn-01: GET http://127.0.0.1:HTTP_PORT/other is still a 308 to the files listener" \
	"308 https://127.0.0.1:$TLS_PORT/other?q=1" "$got"

# ================================================================ restart
stop_server
start_server "$conf" || finish
hs a.test "$ROOT"
check_eq "restart: a.test is served the stored certificate at once (same serial)" "$SERIAL1" "$(serial_of "$HS_LEAF")"
check_eq "restart: ... and it verifies" "Verify return code: 0 (ok)" "$HS_VERIFY"
if wait_acme "a.test, b.test" 'using the stored certificate, valid until ' 1 100; then
	pass "restart: the log says the stored certificate is used"
else
	fail "restart: the log says the stored certificate is used" "$(server_log_tail 8)"
fi
check_eq "restart: nothing is ordered" 0 "$(log_count 'acme: .*ordering a certificate')"

# ================================================================ a name added on SIGHUP
A_NAMES="a.test b.test c.test"
write_acme "$conf"
hup
if wait_acme "a.test, b.test, c.test" 'certificate installed, valid until ' 1 300; then
	pass "SIGHUP with c.test added: a certificate for a.test, b.test, c.test is installed"
else
	fail "SIGHUP with c.test added: a certificate for a.test, b.test, c.test is installed" "$(server_log_tail 10)"
fi
check_eq "SIGHUP with c.test added: one order for the new set" 1 \
	"$(log_count "$(acme_re "a.test, b.test, c.test" "ordering a certificate from $(esc "$DIR_MAIN")")")"
check_acme_cert "c.test added" c.test "$ROOT" "a.test,b.test,c.test"
SERIAL2=$SERIAL
check_acme_cert "c.test added: a.test still works" a.test "$ROOT" "a.test,b.test,c.test"
check_ne "c.test added: a new certificate (serial)" "$SERIAL1" "$SERIAL2"

# ================================================================ renewal
# A keep-alive connection to a.test answers a request before the renewal and
# one after it.
acme_conn_open() {   # SNI CAFILE — as lib.sh's conn_open, to TLS_PORT with SNI, verified against CAFILE
	local fifo
	[ -n "$CONN_PID" ] && conn_close
	CONN_N=$((CONN_N + 1))
	fifo=$TMP/conn.$CONN_N.fifo
	CONN_OUT=$TMP/conn.$CONN_N.out
	: >"$CONN_OUT"
	mkfifo "$fifo" || return 1
	timeout -k 2 $((90 * SLOW)) openssl s_client -quiet -CAfile "$2" -verify_return_error -verify_hostname "$1" \
		-connect "127.0.0.1:$TLS_PORT" -servername "$1" <"$fifo" >"$CONN_OUT" 2>"$CONN_OUT.err" &
	CONN_PID=$!
	track_bg "$CONN_PID"
	# shellcheck disable=SC2034 # lib.sh's conn_write and conn_close use it
	exec {CONN_FD}>"$fifo"
}
acme_conn_open a.test "$ROOT"
conn_write $'GET /index.html HTTP/1.1\r\nHost: a.test\r\n\r\n'
if conn_wait_for 'acme index' 50; then
	pass "renewal: a keep-alive connection to a.test (verified) gets its first answer"
else
	fail "renewal: a keep-alive connection to a.test (verified) gets its first answer" \
		"$(excerpt "$CONN_OUT")" "$(excerpt "$CONN_OUT.err")"
fi
A_RENEW=3000d
write_acme "$conf"
hup
if wait_acme "a.test, b.test, c.test" 'renewing, valid until ' 1 300; then
	pass "renewal: renew_before 3000d on SIGHUP: the log says renewing"
else
	fail "renewal: renew_before 3000d on SIGHUP: the log says renewing" "$(server_log_tail 10)"
fi
if wait_acme "a.test, b.test, c.test" 'certificate installed, valid until ' 2 300; then
	pass "renewal: the renewed certificate is installed"
else
	fail "renewal: the renewed certificate is installed" "$(server_log_tail 10)"
fi
t_renewed=$SECONDS
if [ -n "$CONN_PID" ] && kill -0 "$CONN_PID" 2>/dev/null; then
	pass "renewal: the keep-alive connection is still open"
else
	fail "renewal: the keep-alive connection is still open" "$(excerpt "$CONN_OUT.err")"
fi
conn_write $'GET /index.html HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n'
conn_wait_closed 50
check_eq "renewal: the connection opened before answers a request sent after (two 200s)" 2 \
	"$(LC_ALL=C grep -ac '^HTTP/1.1 200' "$CONN_OUT")"
conn_close
check_acme_cert "renewed" a.test "$ROOT" "a.test,b.test,c.test"
SERIAL3=$SERIAL
check_ne "renewal: a new handshake gets a new certificate (serial)" "$SERIAL2" "$SERIAL3"
check_eq "renewal: the stored certificate is the new one" "$SERIAL3" "$(serial_of "$S/a.test.crt")"
check_eq "storage: the account key is kept through restart, new names and renewal" "$ACCOUNT_SUM" \
	"$(sha256sum <"$S/account.key" 2>/dev/null)"
check_storage "$A_STORE" "after renewal"
# Nothing more is ordered by itself: one renewal, not a loop (the next
# check is a reload or a timer, not right after the installation).
sleep $((t_renewed + 2 - SECONDS > 0 ? t_renewed + 2 - SECONDS : 0))
check_eq "renewal: exactly one renewal (none more $((SECONDS - t_renewed)) s later)" 1 \
	"$(log_count 'acme: .*renewing, valid until ')"
check_eq "this run ordered twice: the added name and the renewal" 2 "$(log_count 'acme: .*ordering a certificate')"
stop_server

# ================================================================ HTTP-01
conf2=$TMP/http01.yaml
# (no certificate of its own: the acme names' serve clients without SNI)
A_DIR=$DIR_MAIN A_STORE=$TMP/store2 A_NAMES="h.test www.h.test" A_CHAL=http-01 A_RENEW="" A_ACCESS=$TMP/access2.log A_CERT=0
write_acme "$conf2"
start_server "$conf2" || finish
if wait_acme "h.test, www.h.test" 'certificate installed, valid until ' 1 300; then
	pass "http-01: the certificate for h.test, www.h.test is installed"
else
	fail "http-01: the certificate for h.test, www.h.test is installed" "$(server_log_tail 10)"
fi
check_eq "http-01: the order is logged with the challenge" 1 \
	"$(log_count "$(acme_re "h.test, www.h.test" "ordering a certificate from $(esc "$DIR_MAIN") \\(http-01\\)")")"
check_acme_cert "http-01 (h.test)" h.test "$ROOT" "h.test,www.h.test"
check_acme_cert "http-01 (www.h.test)" www.h.test "$ROOT" "h.test,www.h.test"
check_match "http-01: the CA's requests for the token were answered 200 by the redirect listener (access log)" \
	"$(cat "$A_ACCESS" 2>/dev/null)" '"GET /\.well-known/acme-challenge/[A-Za-z0-9_-]{20,} HTTP/1\.1" 200 '
got=$(curl -sS --max-time "$NET_TIMEOUT" --noproxy '*' --http1.1 -o /dev/null -w '%{http_code} %{redirect_url}' \
	"http://127.0.0.1:$HTTP_PORT/other" 2>&1)
check_eq "http-01: GET http://127.0.0.1:HTTP_PORT/other is still a 308" "308 https://127.0.0.1:$TLS_PORT/other" "$got"
got=$(curl -sS --max-time "$NET_TIMEOUT" --noproxy '*' --http1.1 -o /dev/null -w '%{http_code} %{redirect_url}' \
	"http://127.0.0.1:$HTTP_PORT/.well-known/acme-challenge/no-such-token-0123456789" 2>&1)
check_eq "http-01: a token no validation waits for is redirected like any path" \
	"308 https://127.0.0.1:$TLS_PORT/.well-known/acme-challenge/no-such-token-0123456789" "$got"
check_storage "$A_STORE" "http-01"
# A client that sends no server name (by IP address) on a listener with no
# certificate of its own gets the first acme name's certificate.
out=$(openssl s_client -connect "127.0.0.1:$TLS_PORT" -noservername -CAfile "$ROOT" </dev/null 2>&1)
check_contains "no SNI: the handshake gets the acme certificate (verifies against pebble's root)" \
	"$out" "Verify return code: 0 (ok)"
check_match "no SNI: ... the certificate of h.test" "$out" 'subject=.*CN *= *h\.test'
stop_server

# ======================================================= a rate-limited CA
# A CA that answers every new account with 429 rateLimited and Retry-After:
# the problem is logged with its type and detail, and the next attempt
# waits as long as the CA asked, not the backoff's minute.
pebble_free_port fake_ca_port || finish
cat >"$TMP/fakeca.py" <<'PY'
import http.server, json, ssl, sys
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
base = "https://127.0.0.1:%d" % port
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def send(self, code, body, ctype, extra=()):
        b = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        self.send_header("Replay-Nonce", "bm9uY2Vub25jZW5vbmNl")
        for k, v in extra: self.send_header(k, v)
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        self.send(200, {"newNonce": base + "/nonce", "newAccount": base + "/account",
                        "newOrder": base + "/order"}, "application/json")
    def do_HEAD(self):
        self.send_response(200); self.send_header("Replay-Nonce", "bm9uY2Vub25jZW5vbmNl"); self.end_headers()
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send(429, {"type": "urn:ietf:params:acme:error:rateLimited",
                        "detail": "too many new accounts from this address", "status": 429},
                  "application/problem+json", [("Retry-After", "1234")])
srv = http.server.HTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
/usr/bin/python3 "$TMP/fakeca.py" "$fake_ca_port" "$PB_CERT" "$PB_KEY" >"$TMP/fakeca.log" 2>&1 &
fake_pid=$!
track_bg "$fake_pid"
for _ in $(seq 50); do
	curl -s --max-time 2 --cacert "$PB_CA" "https://127.0.0.1:$fake_ca_port/dir" >/dev/null 2>&1 && break
	sleep 0.1
done
conf3=$TMP/ratelimit.yaml
A_DIR=https://127.0.0.1:$fake_ca_port/dir A_STORE=$TMP/store3 A_NAMES="r.test" A_CHAL=tls-alpn-01 A_RENEW="" A_ACCESS=$TMP/access3.log
write_acme "$conf3"
start_server "$conf3" || finish
if wait_log 'acme: r\.test: .*retrying in ' 1 300; then
	pass "rate limit: the failure is logged"
else
	fail "rate limit: the failure is logged" "$(server_log_tail 8)"
fi
check_match "rate limit: the log has the problem's type and detail, and the CA's Retry-After as the delay" \
	"$(cat "$SERVER_LOG")" 'acme: r\.test: newAccount: the CA answered 429: urn:ietf:params:acme:error:rateLimited: too many new accounts from this address; retrying in 1234 s'
stop_server
kill "$fake_pid" 2>/dev/null
note "badNonce answers retried by tlserve in this script: $(cat "$TMP"/server.*.log | grep -ac 'badNonce')"
finish
