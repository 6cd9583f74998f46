#!/usr/bin/env bash
# 12-tls-policy: protocol versions, cipher suites, server preference, no
# compression, no renegotiation, ALPN, per-listener tls: overrides, and junk
# sent to the TLS port.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

www=$TMP/www
mkdir -p "$www"
printf 'policy page\n' >"$www/index.html"

# Listeners: default policy (ECDSA), an RSA certificate (so RSA key exchange
# and ECDHE-RSA CBC suites are not refused merely for the key type), TLS 1.3
# only (min_version overridden, certificate inherited), one TLS 1.2 suite plus
# one TLS 1.3 suite, and echo.
conf=$TMP/policy.yaml
write_config "$conf" <<EOF
limits: {handshake_timeout: 2s, idle_timeout: 30s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
  - name: rsa
    host: 127.0.0.1
    port: 0
    root: $www
    tls: {certificate: $CERTS/rsa.crt, key: $CERTS/rsa.key}
  - name: strict
    host: 127.0.0.1
    port: 0
    root: $www
    tls: {min_version: "1.3"}
  - name: one
    host: 127.0.0.1
    port: 0
    root: $www
    tls: {ciphers: ECDHE-ECDSA-AES256-GCM-SHA384, ciphersuites: TLS_CHACHA20_POLY1305_SHA256}
  - {name: echo, host: 127.0.0.1, port: 0, mode: echo}
EOF
start_server "$conf" || finish

HS_T=$((10 * SLOW))

# hs NAME [S_CLIENT ARGS...] — one handshake with s_client (verifying the
# server against the test CA, SNI localhost), nothing sent. Sets HS_OUT (all
# output), HS_RC, HS_NEW (the "New, VERSION, Cipher is X" line), HS_CIPHER.
hs() {
	local name=$1
	shift
	HS_OUT=$(timeout -k 2 "$HS_T" openssl s_client -connect "$(_host_of "$name"):$(port_of "$name")" \
		-servername localhost -CAfile "$CERTS/ca.crt" -verify_return_error "$@" </dev/null 2>&1)
	HS_RC=$?
	HS_NEW=$(grep -m 1 -E '^New, ' <<<"$HS_OUT")
	HS_CIPHER=$(sed -nE 's/^New, [^,]+, Cipher is (.*)$/\1/p' <<<"$HS_NEW")
}

hs_established() { [ "$HS_RC" -eq 0 ] && grep -qE '^New, TLSv1\.[23], Cipher is [A-Z]' <<<"$HS_NEW"; }

# check_hs_ok DESC VERSION NAME [S_CLIENT ARGS...] — the handshake succeeds with VERSION (1.2/1.3).
check_hs_ok() {
	local desc=$1 v=$2
	shift 2
	hs "$@"
	if hs_established && [[ $HS_NEW == "New, TLSv$v,"* ]] && grep -q 'Verify return code: 0 (ok)' <<<"$HS_OUT"; then
		pass "$desc ($HS_CIPHER)"
	else
		fail "$desc" "s_client status $HS_RC" "${HS_NEW:-no New, line}" \
			"$(grep -aiE 'alert|error|Protocol *:' <<<"$HS_OUT" | head -n 4)"
	fi
}

# check_hs_refused DESC NAME [S_CLIENT ARGS...] — no session is established.
check_hs_refused() {
	local desc=$1
	shift
	hs "$@"
	if grep -q 'no protocols available\|no cipher match\|Call to SSL_CONF_cmd.*failed' <<<"$HS_OUT"; then
		fail "$desc" "this openssl s_client cannot offer it (use check_raw_refused):" \
			"$(grep -m 1 -E 'no protocols|no cipher|SSL_CONF' <<<"$HS_OUT")"
	elif [ "$HS_RC" = 124 ]; then
		fail "$desc (no answer within ${HS_T}s: the server neither refused nor accepted)"
	elif ! hs_established && ! grep -qE 'Cipher is [A-Z]' <<<"$HS_NEW"; then
		pass "$desc ($(grep -oE 'alert [a-z ]+[a-z]|no shared cipher|wrong version number' <<<"$HS_OUT" | head -n 1))"
	else
		fail "$desc" "s_client status $HS_RC" "$HS_NEW"
	fi
}

# client_hello_hex RECORD_VERSION CLIENT_VERSION SUITES [EXTENSIONS] — a
# ClientHello record, in hex, made by hand for what this openssl's s_client
# can no longer offer (SSLv3, 3DES): versions as 4 hex digits, suites and
# extensions as hex strings.
client_hello_hex() {
	local rv=$1 cv=$2 suites=$3 ext=${4:-} body hs
	body=$cv$(printf '11%.0s' $(seq 32))00$(printf '%04x' $((${#suites} / 2)))${suites}0100
	[ -n "$ext" ] && body=$body$(printf '%04x' $((${#ext} / 2)))$ext
	hs=01$(printf '%06x' $((${#body} / 2)))$body
	printf '16%s%04x%s' "$rv" $((${#hs} / 2)) "$hs"
}

# check_raw_refused DESC NAME HEX — send the record HEX to listener NAME: the
# server must answer with an alert (or close) and never with a handshake
# message (a ServerHello).
check_raw_refused() {
	local desc=$1 port answer
	port=$(port_of "$2")
	# shellcheck disable=SC2016 # the inner shell's variables
	answer=$(timeout -k 2 $((10 * SLOW)) bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "%b" "$(sed "s/../\\\\x&/g" <<<"$2")" >&3
		head -c 7 <&3 | od -An -tx1 | tr -d " \n"
	' _ "$port" "$3")
	case $answer in
	15*) pass "$desc (alert $answer)" ;;
	'') pass "$desc (closed without a word)" ;;
	*) fail "$desc" "the server answered $answer (16 = a handshake message)" ;;
	esac
}

# ---- protocol versions.
check_hs_refused "TLS 1.0 is refused" https -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
check_hs_refused "TLS 1.1 is refused" https -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
check_hs_refused "TLS 1.1 is refused on the RSA listener too" rsa -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
# SSLv3 (RFC 7568): a hand-made SSL 3.0 ClientHello with its usual suites
check_raw_refused "SSLv3 is refused" https "$(client_hello_hex 0300 0300 000a002f0035)"
check_raw_refused "SSLv3 is refused on the RSA listener too" rsa "$(client_hello_hex 0300 0300 000a002f0035)"
check_hs_ok "TLS 1.2 is accepted" 1.2 https -tls1_2
check_hs_ok "TLS 1.3 is accepted" 1.3 https -tls1_3
check_hs_ok "an unrestricted client gets TLS 1.3" 1.3 https
check_hs_ok "RSA listener: TLS 1.2 is accepted" 1.2 rsa -tls1_2
check_hs_ok "RSA listener: TLS 1.3 is accepted" 1.3 rsa -tls1_3

# ---- a listener's tls: overrides key by key.
check_hs_refused "min_version 1.3 listener: TLS 1.2 is refused" strict -tls1_2
check_hs_ok "min_version 1.3 listener: TLS 1.3 is accepted (certificate inherited from the global tls:)" 1.3 strict -tls1_3
check_hs_ok "... while the other listener still accepts TLS 1.2" 1.2 https -tls1_2

# ---- cipher suites: AEAD + forward secrecy only.
check_hs_refused "CBC suite ECDHE-ECDSA-AES128-SHA is refused" https -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA
check_hs_refused "CBC suite ECDHE-ECDSA-AES128-SHA256 is refused" https -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256
check_hs_refused "CBC suite ECDHE-RSA-AES128-SHA is refused (RSA certificate)" rsa -tls1_2 -cipher ECDHE-RSA-AES128-SHA
check_hs_refused "CBC suite AES128-SHA256 is refused (RSA certificate)" rsa -tls1_2 -cipher AES128-SHA256
check_hs_refused "non-forward-secret AES128-GCM-SHA256 is refused (RSA certificate)" rsa -tls1_2 -cipher AES128-GCM-SHA256
check_hs_refused "non-forward-secret AES256-GCM-SHA384 is refused (RSA certificate)" rsa -tls1_2 -cipher AES256-GCM-SHA384
check_hs_refused "finite-field DHE-RSA-AES128-GCM-SHA256 is refused (ECDHE only)" rsa -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256
# 3DES (Sweet32): a TLS 1.2 ClientHello offering only 3DES suites, with the
# groups, point formats and signature algorithms an ECDHE suite needs
check_raw_refused "3DES is refused" rsa "$(client_hello_hex 0301 0303 c012000ac008 \
	000a00040002001d000b00020100000d000400020401)"
# the same hello offering an AEAD suite as well is answered: the check can tell
hex=$(client_hello_hex 0301 0303 c012000ac02f 000a00040002001d000b00020100000d000400020401)
port=$(port_of rsa)
# shellcheck disable=SC2016 # the inner shell's variables
answer=$(timeout -k 2 $((10 * SLOW)) bash -c '
	exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
	printf "%b" "$(sed "s/../\\\\x&/g" <<<"$2")" >&3
	head -c 6 <&3 | od -An -tx1 | tr -d " \n"
' _ "$port" "$hex")
check_eq "... while the same hello with ECDHE-RSA-AES128-GCM-SHA256 added gets a ServerHello" \
	"160303" "${answer:0:6}"
check_hs_ok "ECDHE-RSA-AES128-GCM-SHA256 is accepted (RSA certificate)" 1.2 rsa -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
check_hs_ok "ECDHE-ECDSA-CHACHA20-POLY1305 is accepted" 1.2 https -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305

# ---- server preference.
hs https -tls1_2 -cipher 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256'
check_eq "TLS 1.2 server preference: the client offers CHACHA20 first, the server picks its own first choice" \
	ECDHE-ECDSA-AES128-GCM-SHA256 "$HS_CIPHER"
hs https -tls1_2 -cipher 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305'
check_eq "TLS 1.2 server preference: the same choice when the client offers the reverse order" \
	ECDHE-ECDSA-AES128-GCM-SHA256 "$HS_CIPHER"
# TLS 1.3: whatever the server's order, it does not follow the client's.
hs https -tls1_3 -ciphersuites 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256'
first=$HS_CIPHER
hs https -tls1_3 -ciphersuites 'TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256'
if [ -n "$first" ] && [ "$first" = "$HS_CIPHER" ]; then
	pass "TLS 1.3 server preference: the same suite ($first) whichever order the client offers"
else
	fail "TLS 1.3 server preference: the same suite whichever order the client offers" \
		"AES-128 first: ${first:-none}" "CHACHA20 first: ${HS_CIPHER:-none}"
fi

# ---- ciphers: / ciphersuites: set to one suite.
check_hs_ok "ciphers: one suite: a default client gets it" 1.2 one -tls1_2
check_eq "... and it is ECDHE-ECDSA-AES256-GCM-SHA384" ECDHE-ECDSA-AES256-GCM-SHA384 "$HS_CIPHER"
check_hs_refused "ciphers: one suite: another AEAD suite is refused" one -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
check_hs_ok "ciphersuites: one suite: TLS 1.3 gets it" 1.3 one -tls1_3
check_eq "... and it is TLS_CHACHA20_POLY1305_SHA256" TLS_CHACHA20_POLY1305_SHA256 "$HS_CIPHER"
check_hs_refused "ciphersuites: one suite: another TLS 1.3 suite is refused" one -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256
check_hs_ok "the default listener is unaffected by another listener's ciphers:" 1.2 https -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256

# ---- no compression; secure renegotiation extension (RFC 5746) present.
hs https -tls1_2
check_contains "TLS 1.2: no compression" "$HS_OUT" "Compression: NONE"
check_contains "TLS 1.2: the server announces secure renegotiation (RFC 5746)" "$HS_OUT" "Secure Renegotiation IS supported"
hs https -tls1_3
check_contains "TLS 1.3: no compression" "$HS_OUT" "Compression: NONE"

# ---- client-initiated renegotiation is refused. s_client renegotiates when it
# reads "R" on a line by itself; the server must answer the second ClientHello
# with no_renegotiation (or end the connection) — never a second ServerHello.
renego() {   # NAME DESC-PREFIX
	local name=$1 what=$2 out hellos
	out=$( (
		sleep $((1 * SLOW))
		echo R
		sleep $((1 * SLOW))
		printf 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
		sleep $((1 * SLOW))
	) | timeout -k 2 "$HS_T" openssl s_client -msg -tls1_2 -connect "$(_host_of "$name"):$(port_of "$name")" \
		-servername localhost -CAfile "$CERTS/ca.crt" -verify_return_error 2>&1)
	check_contains "$what: s_client asked to renegotiate" "$out" "RENEGOTIATING"
	hellos=$(grep -c '^<<< .*ServerHello$' <<<"$out")
	check_eq "$what: renegotiation is refused (one ServerHello only)" 1 "$hellos"
	if grep -qE 'no_renegotiation|no renegotiation|alert|errno|closed' <<<"$(sed -n '/RENEGOTIATING/,$p' <<<"$out")"; then
		pass "$what: the renegotiation attempt ends in no_renegotiation / an error"
	else
		fail "$what: the renegotiation attempt ends in no_renegotiation / an error" \
			"$(sed -n '/RENEGOTIATING/,$p' <<<"$out" | head -n 8)"
	fi
}
renego https "files"
renego echo "echo"
check_status "files still serves after the renegotiation attempts" 200 https /

# ---- ALPN.
hs https -alpn http/1.1
check_contains "ALPN http/1.1 is selected" "$HS_OUT" "ALPN protocol: http/1.1"
hs https -alpn http/1.1,h2
check_contains "ALPN http/1.1,h2: the server's preference, h2, is selected" "$HS_OUT" "ALPN protocol: h2"
hs https -alpn h2
check_contains "ALPN h2 only: h2 is selected" "$HS_OUT" "ALPN protocol: h2"
t0=$(date +%s%N)
hs https -alpn spdy/3,imap
ms=$((($(date +%s%N) - t0) / 1000000))
if ! hs_established && grep -q 'no application protocol' <<<"$HS_OUT"; then
	pass "ALPN of only unknown protocols on a files listener: alert no_application_protocol"
else
	fail "ALPN of only unknown protocols on a files listener: alert no_application_protocol" \
		"status $HS_RC" "$HS_NEW" \
		"$(grep -aiE 'alert|error|ALPN' <<<"$HS_OUT" | head -n 4)"
fi
if [ "$ms" -lt $((5000 * SLOW)) ] && [ "$HS_RC" != 124 ]; then
	pass "... and it ends at once, not a hang (${ms}ms)"
else
	fail "... and it ends at once, not a hang" "took ${ms}ms (s_client status $HS_RC)"
fi

# ---- a client whose first key share the server does not take (P-521):
# HelloRetryRequest, then the server's flight for the second ClientHello.
# That flight must leave at once: a flight held back in the socket would
# wait for the kernel's retransmission timer (200 ms or more) each time.
# hs_ms ARGS... — the fastest of three handshakes, in ms, into HS_MS.
hs_ms() {
	HS_MS=
	for _ in 1 2 3; do
		local t0 ms
		t0=$(date +%s%N)
		hs https "$@"
		ms=$((($(date +%s%N) - t0) / 1000000))
		hs_established || return 1
		if [ -z "$HS_MS" ] || [ "$ms" -lt "$HS_MS" ]; then HS_MS=$ms; fi
	done
}
if hs_ms -tls1_3 -groups X25519 && plain=$HS_MS && hs_ms -tls1_3 -groups P-521:X25519; then
	check_true "HelloRetryRequest (P-521 offered first): the handshake is not held back (${HS_MS} ms, ${plain} ms without the retry)" \
		test "$HS_MS" -lt $((plain + 150))
else
	fail "HelloRetryRequest (P-521 offered first): the handshake completes" "status $HS_RC" \
		"$(grep -aiE 'alert|error' <<<"$HS_OUT" | head -n 3)"
fi
hs https
check_contains "no ALPN offered: handshake fine, nothing negotiated" "$HS_OUT" "No ALPN negotiated"

# The echo listener does not speak ALPN: an h2-only client still gets its echo.
out=$( (
	printf 'alpn echo line\n'
	sleep $((1 * SLOW))
) | timeout -k 2 "$HS_T" openssl s_client -alpn h2 -no_ign_eof -connect "$(_host_of echo):$(port_of echo)" \
	-servername localhost -CAfile "$CERTS/ca.crt" -verify_return_error 2>&1)
check_contains "echo ignores ALPN h2: the handshake succeeds without ALPN" "$out" "No ALPN negotiated"
check_has_line "echo ignores ALPN h2: the line is echoed" "$out" "alpn echo line"

# ---- not TLS at all.
body=$(curl -sS --max-time "$NET_TIMEOUT" --noproxy '*' -o - -w '\n%{http_code}' "http://127.0.0.1:$(port_of https)/" 2>&1)
check_eq "plain HTTP to the TLS port gets 400" 400 "$(tail -n 1 <<<"$body")"
check_contains "... with the text saying the port speaks HTTPS" "$body" "HTTPS"

# tcp_send PORT FILE SECONDS — send FILE's bytes over plain TCP, then read until
# the server closes (or SECONDS pass: status 124). Sets TCP_MS.
tcp_send() {
	local t0 rc
	t0=$(date +%s%N)
	# shellcheck disable=SC2016 # the inner shell expands them
	timeout -k 1 "$3" bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 9; cat "$2" >&3; cat <&3 >/dev/null' \
		_ "$1" "$2" 2>/dev/null
	rc=$?
	TCP_MS=$((($(date +%s%N) - t0) / 1000))
	TCP_MS=$((TCP_MS / 1000))
	return $rc
}

random_file "$TMP/junk.bin" 4096
tcp_send "$(port_of https)" "$TMP/junk.bin" $((10 * SLOW))
check_ne "random bytes: the server closes the connection" 124 "$?"
check_status "... and serves the next client" 200 https /

# A TLS record header announcing a 512-byte ClientHello, and only 6 bytes of it.
printf '\026\003\001\002\000\001\000\001\374\003\003' >"$TMP/trunc.bin"
tcp_send "$(port_of https)" "$TMP/trunc.bin" $((10 * SLOW))
rc=$?
if [ "$rc" != 124 ] && [ "$TCP_MS" -lt $((6000 * SLOW)) ]; then
	pass "truncated ClientHello: closed by the handshake timeout (2s) (after ${TCP_MS}ms)"
else
	fail "truncated ClientHello: closed by the handshake timeout (2s)" "status $rc after ${TCP_MS}ms"
fi
check_status "... and the server serves the next client" 200 https /

# Several junk connections at once, then a good one.
pids=()
for i in 1 2 3 4 5; do
	random_file "$TMP/junk.$i" $((RANDOM % 2000 + 1))
	tcp_send "$(port_of echo)" "$TMP/junk.$i" $((10 * SLOW)) &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
printf 'after the junk\n' >"$TMP/after.in"
echo_stream echo "$TMP/after.in" "$TMP/after.out"
check_same_file "echo still works after junk connections" "$TMP/after.in" "$TMP/after.out"

# ---- what clients receive is whole and in order, whoever protects the
# records: tlserve seals TLS 1.3 records itself (the records of one large
# write batched into one send), OpenSSL does TLS 1.2, and OpenSSL again once a
# TLS 1.3 client asked the server to update its keys too (KeyUpdate with
# update_requested). A file of 3 MiB + 12345 bytes (not a whole number of
# 16 KiB records) and one of 100 bytes, compared by sha256; curl -v names the
# version and suite of the connection it used.
require_cmd curl openssl stdbuf /usr/bin/python3
big_size=$((3 * 1024 * 1024 + 12345))
random_file "$www/big.bin" "$big_size"
random_file "$www/small.bin" 100

# fetch NAME TAG PATH... [-- CURL ARGS...] — one curl fetching every PATH from
# listener NAME, in order, into $TMP/get.TAG.1, .2, ...; connections can be
# reused. FETCH_W: "RC | CODE BYTES CONNECTS | ..." (curl's status, then per
# transfer its status code, bytes and new connections); curl -v in $TMP/get.TAG.err.
fetch() {
	local name=$1 tag=$2 port i=0 args=()
	shift 2
	port=$(port_of "$name")
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		i=$((i + 1))
		args+=(-o "$TMP/get.$tag.$i" "https://localhost:$port$1")
		rm -f "$TMP/get.$tag.$i"
		shift
	done
	[ $# -gt 0 ] && shift
	FETCH_W=$(tcurl --resolve "localhost:$port:$(_host_of "$name")" -v "$@" \
		-w ' | %{http_code} %{size_download} %{num_connects}' "${args[@]}" 2>"$TMP/get.$tag.err")
	FETCH_W="$? |${FETCH_W#' |'}"
	FETCH_V=$(grep -aoE 'SSL connection using .*' "$TMP/get.$tag.err")
}

for suite in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
	fetch https "$suite" /big.bin /small.bin -- --tlsv1.3 --tls13-ciphers "$suite"
	check_eq "TLS 1.3 $suite: curl gets the large and the small file, 200 each, on one connection" \
		"0 | 200 $big_size 1 | 200 100 0" "$FETCH_W"
	check_eq "TLS 1.3 $suite: curl's connection was TLS 1.3 with $suite" \
		"SSL connection using TLSv1.3 / $suite" "$FETCH_V"
	check_same_file "TLS 1.3 $suite: the 3 MiB + 12345 bytes file arrives unchanged (sha256)" \
		"$www/big.bin" "$TMP/get.$suite.1"
	check_same_file "TLS 1.3 $suite: the 100-byte file arrives unchanged (sha256)" \
		"$www/small.bin" "$TMP/get.$suite.2"
done

# TLS 1.2: one ECDSA suite on the default listener, one RSA suite on the RSA listener.
for pair in https:ECDHE-ECDSA-AES256-GCM-SHA384 rsa:ECDHE-RSA-CHACHA20-POLY1305; do
	name=${pair%%:*}
	suite=${pair#*:}
	fetch "$name" "$suite" /big.bin -- --tlsv1.2 --tls-max 1.2 --ciphers "$suite"
	check_eq "TLS 1.2 $suite: curl gets the large file (200)" "0 | 200 $big_size 1" "$FETCH_W"
	check_eq "TLS 1.2 $suite: curl's connection was TLS 1.2 with $suite" \
		"SSL connection using TLSv1.2 / $suite" "$FETCH_V"
	check_same_file "TLS 1.2 $suite: the 3 MiB + 12345 bytes file arrives unchanged (sha256)" \
		"$www/big.bin" "$TMP/get.$suite.1"
done

# Keep-alive: large, small, large, small on one connection.
for v in 1.3 1.2; do
	fetch https "ka$v" /big.bin /small.bin /big.bin /small.bin -- --tlsv"$v" --tls-max "$v"
	check_eq "TLS $v keep-alive: four 200s on one connection (large, small, large, small)" \
		"0 | 200 $big_size 1 | 200 100 0 | 200 $big_size 0 | 200 100 0" "$FETCH_W"
	check_match "TLS $v keep-alive: curl's connection was TLS $v" "$FETCH_V" "^SSL connection using TLSv${v/./\\.} / "
	ok=0
	for i in 1 2 3 4; do
		if [ $((i % 2)) = 1 ]; then f=$www/big.bin; else f=$www/small.bin; fi
		cmp -s "$f" "$TMP/get.ka$v.$i" && ok=$((ok + 1))
	done
	check_eq "TLS $v keep-alive: all four bodies arrive unchanged" 4 "$ok"
done

# KeyUpdate, then a GET of the large file, for each TLS 1.3 suite: s_client's
# "K" asks the server to update its keys too; the response then comes from
# OpenSSL's record layer under the server's new key. s_client takes command
# letters only without -quiet and with -no_ign_eof, and only from a read of
# stdin starting with the letter: the request goes out once KEYUPDATE was
# printed (waited for, bounded). The server's own KeyUpdate need not come at
# once, only before its next application data (RFC 8446 4.6.3): it may wait
# for the response.
# stdbuf -o0 keeps s_client's session chatter ahead of the response, which
# starts at the first "HTTP/1.1 "; -msg goes to a file of its own.
# http_body_of FILE — "STATUS CONTENT-LENGTH BODY-BYTES SHA256" of the first
# HTTP/1.1 response in FILE, its body the Content-Length bytes after the head.
http_body_of() {
	/usr/bin/python3 - "$1" <<'PY'
import hashlib, sys
data = open(sys.argv[1], "rb").read()
start = data.find(b"HTTP/1.1 ")
end = data.find(b"\r\n\r\n", start) if start >= 0 else -1
if end < 0:
    print("no HTTP/1.1 response head")
    sys.exit(0)
lines = data[start:end].decode("latin-1").split("\r\n")
length = -1
for h in lines[1:]:
    k, _, v = h.partition(":")
    if k.strip().lower() == "content-length":
        length = int(v.strip())
body = data[end + 4:end + 4 + max(length, 0)]
print(lines[0].split(" ")[1], length, len(body), hashlib.sha256(body).hexdigest())
PY
}
big_sha=$(sha256sum <"$www/big.bin" | cut -d' ' -f1)
for suite in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
	what="KeyUpdate then GET over s_client ($suite)"
	ku_open https -crlf -tls1_3 -ciphersuites "$suite"
	ku_write $'K\n'
	if ku_wait "$KU_ERR" KEYUPDATE 1; then
		ku_write $'GET /big.bin HTTP/1.1\nHost: localhost\nConnection: close\n\n'
		# the server closes after the response (Connection: close), s_client then exits
		_wait_gone "$KU_PID" $((100 * SLOW))
	fi
	ku_close
	rc=$KU_RC
	check_eq "$what: the handshake is TLS 1.3 with $suite" "New, TLSv1.3, Cipher is $suite" \
		"$(LC_ALL=C grep -a -m 1 '^New, ' "$KU_OUT")"
	check_eq "$what: s_client sent its KeyUpdate, the server answered with its own" "sent 1, received 1" \
		"sent $(grep -c '^>>> TLS 1.3, Handshake \[length 0005\], KeyUpdate' "$KU_MSG" 2>/dev/null), received $(grep -c '^<<< TLS 1.3, Handshake \[length 0005\], KeyUpdate' "$KU_MSG" 2>/dev/null)"
	check_eq "$what: 200 with the whole 3 MiB + 12345 bytes body (Content-Length, size, sha256)" \
		"200 $big_size $big_size $big_sha" "$(http_body_of "$KU_OUT")"
	if [ "$rc" -eq 0 ] && ! grep -qiE 'error|alert' "$KU_ERR" && ! grep -qiE 'fatal' "$KU_MSG" \
		&& grep -qF '<<< TLS 1.3, Alert [length 0002], warning close_notify' "$KU_MSG"; then
		pass "$what: no error, no alert; the server ends with close_notify (status 0)"
	else
		fail "$what: no error, no alert; the server ends with close_notify (status 0)" "s_client status $rc" \
			"$(grep -aiE 'error|alert' "$KU_ERR" | head -n 4)" "$(grep -aiE 'alert' "$KU_MSG" | head -n 3)"
	fi
done

# A client's max_fragment_length (RFC 6066 4): records of at most 2048 bytes,
# so a body's 256 KiB no longer fits one batch of records. The part that does
# goes, the rest follows (the download stopped after the first batch, at
# 325,632 bytes, before). TLS 1.3 and 1.2; the server closes after the
# response and s_client then exits.
for v in 1.3 1.2; do
	what="max_fragment_length 2048 (TLS $v)"
	ku_open https -crlf -tls"${v/./_}" -maxfraglen 2048
	ku_write $'GET /big.bin HTTP/1.1\nHost: localhost\nConnection: close\n\n'
	_wait_gone "$KU_PID" $((100 * SLOW))
	ku_close
	check_eq "$what: the handshake is TLS $v" "TLSv$v" \
		"$(LC_ALL=C grep -a -m 1 -oE '^New, TLSv1\.[23]' "$KU_OUT" | cut -d' ' -f2)"
	check_eq "$what: 200 with the whole 3 MiB + 12345 bytes body (Content-Length, size, sha256)" \
		"200 $big_size $big_size $big_sha" "$(http_body_of "$KU_OUT")"
done

if server_alive; then pass "the server is still running"; else fail "the server is still running"; fi

finish
