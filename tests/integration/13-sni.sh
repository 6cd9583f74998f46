#!/usr/bin/env bash
# 13-sni: certificates chosen by the client's server name (sni: on a
# listener): exact names, one-label wildcards, the default certificate for
# everything else; tlserve -t describes every certificate and points at an
# SNI key that does not match its certificate.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

www=$TMP/www
mkdir -p "$www"
printf 'sni page\n' >"$www/index.html"

conf=$TMP/sni.yaml
write_config "$conf" <<EOF
limits: {idle_timeout: 30s}
listeners:
  - name: https
    host: 127.0.0.1
    port: 0
    mode: files
    root: $www
    sni:
      - names: [example.test, "*.example.test"]
        certificate: $CERTS/example.crt
        key: $CERTS/example.key
  - name: strict
    host: 127.0.0.1
    port: 0
    mode: files
    root: $www
    tls: {min_version: "1.3"}
    sni:
      - {names: example.test, certificate: $CERTS/example.crt, key: $CERTS/example.key}
  - name: echo
    host: 127.0.0.1
    port: 0
    mode: echo
    sni:
      - {names: ["*.example.test"], certificate: $CERTS/example.crt, key: $CERTS/example.key}
EOF

# ---- tlserve -t describes the SNI certificate as well as the default one.
out=$(run_tlserve -t -c "$conf" 2>&1)
rc=$?
check_eq "tlserve -t accepts the SNI configuration (exit 0)" 0 "$rc"
check_contains "tlserve -t prints the default certificate's subject" "$out" "CN=localhost"
check_contains "tlserve -t prints the SNI certificate's subject" "$out" "CN=example.test"
check_match "... with its names" "$out" 'example\.test.*\*\.example\.test'

start_server "$conf" || finish

# cert_of NAME SERVERNAME [S_CLIENT ARGS...] — handshake with that server name
# ("" sends none); sets CERT_SUBJ (RFC 2253 subject), CERT_SAN, HS_OUT, HS_RC.
cert_of() {
	local name=$1 sn=$2 pem sni
	shift 2
	if [ -n "$sn" ]; then sni=(-servername "$sn"); else sni=(-noservername); fi
	HS_OUT=$(timeout -k 2 $((10 * SLOW)) openssl s_client -connect "$(_host_of "$name"):$(port_of "$name")" \
		"${sni[@]}" -CAfile "$CERTS/ca.crt" -verify_return_error "$@" </dev/null 2>&1)
	HS_RC=$?
	pem=$(sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' <<<"$HS_OUT")
	CERT_SUBJ=$(openssl x509 -noout -subject -nameopt RFC2253 <<<"$pem" 2>/dev/null | sed 's/^subject=//')
	CERT_SAN=$(openssl x509 -noout -ext subjectAltName <<<"$pem" 2>/dev/null | sed -n '2,$p' | tr -d ' ')
}

# check_cert DESC NAME SERVERNAME EXPECTED-CN [S_CLIENT ARGS...]
check_cert() {
	local desc=$1 name=$2 sn=$3 cn=$4
	shift 4
	cert_of "$name" "$sn" "$@"
	if [ "$HS_RC" -eq 0 ] && [ "$CERT_SUBJ" = "CN=$cn,O=tlserve" ]; then
		pass "$desc"
	else
		fail "$desc" "expected subject CN=$cn,O=tlserve" "got: ${CERT_SUBJ:-no certificate} (s_client status $HS_RC)" \
			"$(grep -aiE 'alert|error' <<<"$HS_OUT" | head -n 3)"
	fi
}

check_cert "SNI example.test gets the example certificate" https example.test example.test
check_eq "... whose names are example.test and *.example.test" "DNS:example.test,DNS:*.example.test" "$CERT_SAN"
check_cert "SNI a.example.test (wildcard) gets the example certificate" https a.example.test example.test
check_cert "SNI A.Example.TEST (case differs) gets the example certificate" https A.Example.TEST example.test
check_cert "SNI a.example.test over TLS 1.2 gets the example certificate" https a.example.test example.test -tls1_2
check_cert "SNI a.b.example.test (two labels under the wildcard) gets the default certificate" https a.b.example.test localhost
check_cert "SNI example.test.other gets the default certificate" https example.test.other localhost
check_cert "SNI other.test gets the default certificate" https other.test localhost
check_cert "SNI xexample.test gets the default certificate" https xexample.test localhost
check_cert "SNI localhost gets the default certificate" https localhost localhost
check_cert "no SNI gets the default certificate" https "" localhost
check_cert "no SNI over TLS 1.2 gets the default certificate" https "" localhost -tls1_2

# ---- the certificate verifies for the name (as a browser would check it).
cert_of https a.example.test -verify_hostname a.example.test
check_contains "s_client -verify_hostname a.example.test: the chain and name verify" "$HS_OUT" "Verify return code: 0 (ok)"
port=$(port_of https)
body=$(tcurl --resolve "example.test:$port:127.0.0.1" "https://example.test:$port/" 2>&1)
check_eq "curl https://example.test:PORT/ verifies the SNI certificate and gets the page" "sni page" "$body"
body=$(tcurl --resolve "www.example.test:$port:127.0.0.1" "https://www.example.test:$port/" 2>&1)
check_eq "curl https://www.example.test:PORT/ (wildcard) gets the page" "sni page" "$body"
body=$(tcurl --resolve "a.b.example.test:$port:127.0.0.1" -o /dev/null -w '%{http_code}' "https://a.b.example.test:$port/" 2>/dev/null)
check_eq "curl https://a.b.example.test:PORT/ fails verification (default certificate, name mismatch)" 000 "$body"
check_status "curl https://localhost:PORT/ still gets the page" 200 https /

# ---- the SNI certificate's context keeps the listener's policy and ALPN.
cert_of https example.test -alpn http/1.1
check_contains "SNI example.test: ALPN http/1.1 is selected" "$HS_OUT" "ALPN protocol: http/1.1"
cert_of https example.test -alpn h2
check_contains "SNI example.test: ALPN h2 is selected" "$HS_OUT" "ALPN protocol: h2"
cert_of https example.test -alpn spdy/3
check_contains "SNI example.test: ALPN of an unknown protocol only gets no_application_protocol" \
	"$HS_OUT" "no application protocol"
check_cert "min_version 1.3 listener: SNI example.test over TLS 1.3 gets the example certificate" strict example.test example.test -tls1_3
cert_of strict example.test -tls1_2
if [ "$HS_RC" -ne 0 ] && ! grep -qE '^New, TLSv1\.2, Cipher is [A-Z]' <<<"$HS_OUT"; then
	pass "min_version 1.3 listener: SNI example.test over TLS 1.2 is refused"
else
	fail "min_version 1.3 listener: SNI example.test over TLS 1.2 is refused" "$(grep -E '^New,' <<<"$HS_OUT")"
fi
cert_of https example.test -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA
if [ "$HS_RC" -ne 0 ] && ! grep -qE 'Cipher is [A-Z]' <<<"$HS_OUT"; then
	pass "SNI example.test: CBC suites are refused too"
else
	fail "SNI example.test: CBC suites are refused too" "$(grep -E '^New,' <<<"$HS_OUT")"
fi

# ---- echo listener with SNI.
check_cert "echo: SNI b.example.test gets the example certificate" echo b.example.test example.test
check_cert "echo: SNI example.test (not listed there) gets the default certificate" echo example.test localhost
out=$( (
	printf 'sni echo\n'
	sleep $((1 * SLOW))
) | timeout -k 2 $((10 * SLOW)) openssl s_client -quiet -no_ign_eof -connect "127.0.0.1:$(port_of echo)" \
	-servername b.example.test -CAfile "$CERTS/ca.crt" -verify_return_error 2>/dev/null)
check_eq "echo: a session on the SNI certificate echoes" "sni echo" "$out"

# ---- a server name of the longest length (255 bytes): the handshake completes
# (either certificate will do) and the server stays up.
long=$(head -c 242 /dev/zero | tr '\0' 'a').example.test
cert_of https "$long"
if [ "$HS_RC" -eq 0 ] && [ -n "$CERT_SUBJ" ]; then
	pass "a 255-byte server name: the handshake completes ($CERT_SUBJ)"
else
	fail "a 255-byte server name: the handshake completes" "status $HS_RC" "$(grep -aiE 'alert|error' <<<"$HS_OUT" | head -n 3)"
fi
check_status "the server still serves after odd server names" 200 https /
stop_server

# ---- an SNI key that does not match its certificate: tlserve -t points at it.
bad=$TMP/bad.yaml
write_config "$bad" <<EOF
listeners:
  - name: https
    host: 127.0.0.1
    port: 0
    root: $www
    sni:
      - names: [example.test]
        certificate: $CERTS/example.crt
        key: $CERTS/rsa.key
EOF
keyline=$(grep -n 'key: .*rsa\.key' "$bad" | cut -d: -f1)
out=$(run_tlserve -t -c "$bad" 2>&1)
rc=$?
check_eq "tlserve -t: a mismatched SNI key exits 1" 1 "$rc"
check_match "tlserve -t: the error is FILE:LINE:COLUMN at the SNI key's line ($keyline)" "$out" \
	"^$(sed 's/[.[\*^$/]/\\&/g' <<<"$bad"):$keyline:[0-9]+: .*(match|key)"
out=$(run_tlserve -c "$bad" 2>&1)
check_eq "starting with a mismatched SNI key exits 1" 1 "$?"

# A missing SNI certificate file is an error at its line too.
missing=$TMP/missing.yaml
sed "s#$CERTS/example.crt#$TMP/no-such.crt#; s#$CERTS/rsa.key#$CERTS/example.key#" "$bad" >"$missing"
certline=$(grep -n 'no-such\.crt' "$missing" | cut -d: -f1)
out=$(run_tlserve -t -c "$missing" 2>&1)
rc=$?
check_eq "tlserve -t: a missing SNI certificate exits 1" 1 "$rc"
check_match "tlserve -t: the error is FILE:LINE:COLUMN at the certificate's line ($certline)" "$out" \
	"^$(sed 's/[.[\*^$/]/\\&/g' <<<"$missing"):$certline:[0-9]+: "

finish
