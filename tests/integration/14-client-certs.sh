#!/usr/bin/env bash
# 14-client-certs: client certificate verification (client_ca, verify_client
# require/optional, client_crl): who gets in, who does not, and the subject in
# the access log.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# The revoked/expired/stranger certificates come with the newer make-certs.sh.
if [ ! -s "$CERTS/revoked.crt" ] || [ ! -s "$CERTS/ca.crl" ] || [ ! -s "$CERTS/stranger.crt" ] ||
	[ ! -s "$CERTS/expired.crt" ]; then
	"$REPO/scripts/make-certs.sh" "$CERTS" >/dev/null || { fail "make-certs.sh $CERTS"; finish; }
fi

www=$TMP/www
mkdir -p "$www"
printf 'members only\n' >"$www/index.html"

ca=$CERTS/ca.crt
conf=$TMP/mtls.yaml
write_config "$conf" <<EOF
limits: {idle_timeout: 30s, handshake_timeout: 5s}
listeners:
  - {name: req, host: 127.0.0.1, port: 0, mode: files, root: $www, tls: {client_ca: $ca, verify_client: require}}
  - {name: crl, host: 127.0.0.1, port: 0, mode: files, root: $www, tls: {client_ca: $ca, client_crl: $CERTS/ca.crl, verify_client: require}}
  - {name: opt, host: 127.0.0.1, port: 0, mode: files, root: $www, tls: {client_ca: $ca, verify_client: optional}}
  - {name: open, host: 127.0.0.1, port: 0, mode: files, root: $www}
  - name: sni
    host: 127.0.0.1
    port: 0
    root: $www
    tls: {client_ca: $ca, client_crl: $CERTS/ca.crl, verify_client: require}
    sni:
      - {names: [example.test], certificate: $CERTS/example.crt, key: $CERTS/example.key}
  - {name: echo, host: 127.0.0.1, port: 0, mode: echo, tls: {client_ca: $ca, verify_client: require}}
EOF
start_server "$conf" || finish

# The access log lines are found by a unique User-Agent per request.
N_REQ=0
# req NAME [CURL ARGS...] — GET / on listener NAME; sets CODE (000 when no
# response) and TAG (the request's User-Agent).
req() {
	local name=$1
	shift
	N_REQ=$((N_REQ + 1))
	TAG="t14-$N_REQ-$RANDOM"
	CODE=$(hcurl "$name" / -o "$TMP/body.$N_REQ" -w '%{http_code}' -A "$TAG" "$@" 2>"$TMP/curl.$N_REQ.err")
	CURL_RC=$?
}

# log_line TAG — the access log line of the request with that User-Agent (waits for it).
log_line() {
	wait_file_match "$TMP/access.log" "$1" 30
	grep -aF -- "$1" "$TMP/access.log" | head -n 1
}

mine=(--cert "$CERTS/client.crt" --key "$CERTS/client.key")
# check_in DESC NAME [CURL ARGS...] — 200 and the page.
check_in() {
	local desc=$1
	shift
	req "$@"
	if [ "$CODE" = 200 ] && [ "$(cat "$TMP/body.$N_REQ")" = "members only" ]; then
		pass "$desc"
	else
		fail "$desc" "HTTP status $CODE (curl status $CURL_RC)" "$(cat "$TMP/curl.$N_REQ.err")"
	fi
}
# check_out DESC NAME [CURL ARGS...] — no HTTP response at all.
check_out() {
	local desc=$1
	shift
	req "$@"
	if [ "$CODE" = 000 ] && [ "$CURL_RC" -ne 0 ] && [ "$CURL_RC" -ne 28 ]; then
		pass "$desc ($(head -n 1 "$TMP/curl.$N_REQ.err" | cut -c1-100))"
	elif [ "$CURL_RC" -eq 28 ]; then
		fail "$desc" "curl timed out: the server neither refused nor answered"
	else
		fail "$desc" "HTTP status $CODE (curl status $CURL_RC)"
	fi
}

# ---- verify_client: require.
for v in 1.2 1.3; do
	ver=(--tlsv"$v" --tls-max "$v")
	check_out "require, TLS $v: no client certificate is refused" req "${ver[@]}"
	check_in "require, TLS $v: the test client certificate gets 200" req "${ver[@]}" "${mine[@]}"
	line=$(log_line "$TAG")
	check_match "require, TLS $v: the access log line ends with the subject in quotes" "$line" \
		" TLSv$v \"[^\"]*CN=tlserve test client[^\"]*\" \"[^\"]*\"\$"
	check_out "require, TLS $v: a certificate from another CA is refused" req "${ver[@]}" \
		--cert "$CERTS/stranger.crt" --key "$CERTS/stranger.key"
	check_out "require, TLS $v: an expired certificate is refused" req "${ver[@]}" \
		--cert "$CERTS/expired.crt" --key "$CERTS/expired.key"
	check_out "require + client_crl, TLS $v: the revoked certificate is refused" crl "${ver[@]}" \
		--cert "$CERTS/revoked.crt" --key "$CERTS/revoked.key"
	check_in "require + client_crl, TLS $v: a certificate not on the CRL gets 200" crl "${ver[@]}" "${mine[@]}"
	check_in "require without client_crl, TLS $v: the revoked certificate gets 200" req "${ver[@]}" \
		--cert "$CERTS/revoked.crt" --key "$CERTS/revoked.key"
	line=$(log_line "$TAG")
	check_contains "... and its subject is logged" "$line" "CN=tlserve revoked client"
done

# A certificate whose signature does not verify: the test CA's name, subject
# and key identifiers, but signed by another key. The client holds the
# certificate's key, so s_client goes through with the handshake and only the
# server's chain check can refuse it (RFC 8446 4.4.2.4: the server aborts with
# an alert). The server's log must name the reason, once per attempt.
forge=$TMP/forge
mkdir -p "$forge"
forge_ok=1
ca_skid=$(openssl x509 -in "$ca" -noout -ext subjectKeyIdentifier 2>/dev/null | tail -n 1 | tr -d ' ')
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=%s\n' \
	"$ca_skid" >"$forge/ca.ext"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nauthorityKeyIdentifier=keyid\n' \
	>"$forge/client.ext"
{
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$forge/ca.key" &&
		openssl req -new -key "$forge/ca.key" -subj "/O=tlserve/CN=tlserve development CA" -out "$forge/ca.csr" &&
		openssl x509 -req -in "$forge/ca.csr" -signkey "$forge/ca.key" -days 30 -extfile "$forge/ca.ext" \
			-out "$forge/ca.crt" &&
		openssl req -new -key "$CERTS/client.key" -subj "/O=tlserve/CN=tlserve forged client" -out "$forge/client.csr" &&
		openssl x509 -req -in "$forge/client.csr" -CA "$forge/ca.crt" -CAkey "$forge/ca.key" -set_serial 0x1f0e \
			-days 30 -extfile "$forge/client.ext" -out "$forge/client.crt"
} >"$forge/openssl.log" 2>&1 || forge_ok=0
# The forgery is what it should be: same issuer name and key identifier as the
# test CA's certificates, a signature that fails against it.
if [ "$forge_ok" = 1 ] && [ -n "$ca_skid" ] &&
	openssl x509 -in "$forge/client.crt" -noout -ext authorityKeyIdentifier | grep -qF "$ca_skid" &&
	openssl verify -CAfile "$ca" "$forge/client.crt" 2>&1 | grep -q 'certificate signature failure'; then
	pass "a client certificate naming the test CA but signed by another key (openssl verify: signature failure)"
else
	fail "a client certificate naming the test CA but signed by another key" "$(excerpt "$forge/openssl.log")"
fi
printf 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >"$TMP/forged.req"
for v in 1_2 1_3; do
	before=$(grep -ac 'TLS handshake failed: client certificate: certificate signature failure' "$SERVER_LOG")
	SCLIENT_TIMEOUT=$((10 * SLOW)) sclient req -tls"$v" -cert "$forge/client.crt" -key "$CERTS/client.key" \
		<"$TMP/forged.req" >"$TMP/forged.$v.out"
	rc=$?
	cp "$TMP/sclient.err" "$TMP/forged.$v.err"
	check_eq "require, TLS ${v/_/.}: a forged certificate gets no HTTP response" 0 \
		"$(grep -ac 'HTTP/1' "$TMP/forged.$v.out")"
	check_ne "... and the connection ends (not held open)" 124 "$rc"
	if wait_log 'TLS handshake failed: client certificate: certificate signature failure' $((before + 1)) 50; then
		pass "... and the server refused it: its log says \"certificate signature failure\""
	else
		fail "... and the server refused it: its log says \"certificate signature failure\"" \
			"s_client: $(excerpt "$TMP/forged.$v.err" 400)" "$(server_log_tail 5)"
	fi
done
# TLS 1.2: the client sends nothing before the server's Finished, so the
# server's alert is what it reads (decrypt_error, RFC 5246 7.2.2: a signature
# that cannot be verified).
check_file_contains "require, TLS 1.2: s_client read the server's decrypt_error alert" "$TMP/forged.1_2.err" \
	"alert decrypt error"

# TLS 1.3 may report the refusal only on the first read: whatever curl says,
# no HTTP response may ever come back. s_client sends a request right away.
for v in 1_2 1_3; do
	printf 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >"$TMP/get.req"
	SCLIENT_TIMEOUT=$((10 * SLOW)) sclient req -tls"$v" <"$TMP/get.req" >"$TMP/nocert.$v.out"
	rc=$?
	check_eq "require, s_client -tls${v/_/.} without a certificate: no HTTP response" 0 \
		"$(grep -ac 'HTTP/1' "$TMP/nocert.$v.out")"
	check_ne "... and the connection ends (not held open)" 124 "$rc"
	SCLIENT_TIMEOUT=$((10 * SLOW)) sclient req -tls"$v" -cert "$CERTS/client.crt" -key "$CERTS/client.key" \
		<"$TMP/get.req" >"$TMP/cert.$v.out"
	check_eq "require, s_client -tls${v/_/.} with the certificate: 200" 200 "$(resp_status "$TMP/cert.$v.out")"
done

# Refused handshakes leave no access log line (checked after a later request's line is in).
check_in "an open listener still serves" open
log_line "$TAG" >/dev/null
n_refused=0
for ((i = 1; i <= N_REQ; i++)); do
	if [ "$(cat "$TMP/body.$i" 2>/dev/null)" != "members only" ]; then
		grep -aq "t14-$i-" "$TMP/access.log" && n_refused=$((n_refused + 1))
	fi
done
check_eq "refused clients have no access log line" 0 "$n_refused"
check_file_contains "the error log says why: expired" "$SERVER_LOG" "expired"
check_file_contains "the error log says why: revoked" "$SERVER_LOG" "revoked"

# ---- verify_client: optional.
check_in "optional: no certificate gets 200" opt
line=$(log_line "$TAG")
check_match "optional: no certificate: the subject field is \"-\"" "$line" ' TLSv1\.[23] "-" "[^"]*"$'
check_in "optional: a valid certificate gets 200" opt "${mine[@]}"
line=$(log_line "$TAG")
check_match "optional: a valid certificate: its subject is logged" "$line" '"[^"]*CN=tlserve test client[^"]*" "[^"]*"$'
req opt --cert "$CERTS/stranger.crt" --key "$CERTS/stranger.key"
if [ "$CODE" = 000 ]; then
	pass "optional: a certificate from another CA is refused"
else
	line=$(log_line "$TAG")
	check_not_contains "optional: a certificate from another CA is refused, or at least not logged as verified" \
		"$line" "stranger"
fi
req opt --cert "$CERTS/expired.crt" --key "$CERTS/expired.key"
check_eq "optional: an expired certificate is refused" 000 "$CODE"

# ---- off: a client certificate is neither asked for nor logged.
check_in "no verify_client: a client certificate is simply not asked for" open "${mine[@]}"
line=$(log_line "$TAG")
check_match "no verify_client: the subject field is \"-\"" "$line" ' TLSv1\.[23] "-" "[^"]*"$'

# ---- an SNI certificate keeps the listener's client certificate policy.
sni_port=$(port_of sni)
sni_req() {
	N_REQ=$((N_REQ + 1))
	CODE=$(tcurl --resolve "example.test:$sni_port:127.0.0.1" -o /dev/null -w '%{http_code}' \
		"$@" "https://example.test:$sni_port/" 2>/dev/null)
}
sni_req
check_eq "SNI example.test on a require listener: no certificate is refused" 000 "$CODE"
sni_req "${mine[@]}"
check_eq "SNI example.test on a require listener: the client certificate gets 200" 200 "$CODE"
sni_req --cert "$CERTS/revoked.crt" --key "$CERTS/revoked.key"
check_eq "SNI example.test on a require + client_crl listener: the revoked certificate is refused" 000 "$CODE"
sni_req --cert "$CERTS/stranger.crt" --key "$CERTS/stranger.key"
check_eq "SNI example.test on a require listener: a certificate from another CA is refused" 000 "$CODE"

# ---- echo with verify_client: require (s_client through a fifo).
conn_open echo -cert "$CERTS/client.crt" -key "$CERTS/client.key"
conn_write $'echo with a certificate\n'
if conn_wait_for "echo with a certificate" 50; then
	pass "echo, require: with the client certificate the line comes back"
else
	fail "echo, require: with the client certificate the line comes back" "$(excerpt "$CONN_OUT.err")"
fi
conn_close
conn_open echo
conn_write $'echo without a certificate\n'
conn_wait_closed 50
sleep 0.2
check_file_not_contains "echo, require: without a certificate nothing comes back" "$CONN_OUT" "echo without"
conn_close
conn_open echo -cert "$CERTS/stranger.crt" -key "$CERTS/stranger.key"
conn_write $'echo from a stranger\n'
conn_wait_closed 50
sleep 0.2
check_file_not_contains "echo, require: with another CA's certificate nothing comes back" "$CONN_OUT" "echo from"
conn_close

if server_alive; then pass "the server is still running"; else fail "the server is still running"; fi
finish
