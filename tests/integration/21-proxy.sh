#!/usr/bin/env bash
# 21-proxy: the PROXY protocol (v1 text, v2 binary) that a load balancer sends
# before the TLS handshake — proxy_protocol: v1 | v2 | any | off. The access
# log shows the header's client address; a listener refuses the other version,
# a connection without a header, a garbage or oversized header (at once) and a
# truncated one (after handshake_timeout); an `off` listener treats a header
# as a failed handshake. No HAProxy needed: tls_pipe -P v1|v2 sends a header
# naming 203.0.113.7 (a documentation address), curl --haproxy-protocol a v1
# header naming the real client.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

www=$TMP/www
mkdir -p "$www"
printf 'proxied\n' >"$www/index.html"

FAKE=203.0.113.7               # the client tls_pipe -P names in its header
HS_MS=$((1000 * SLOW))         # handshake_timeout
FAST_MS=$((HS_MS - 250))       # a refusal comes well before the timeout would

conf=$TMP/proxy.yaml
write_config "$conf" <<EOF
limits: {handshake_timeout: ${HS_MS}ms, idle_timeout: 30s}
listeners:
  - {name: fv1, host: 127.0.0.1, port: 0, mode: files, root: $www, proxy_protocol: v1}
  - {name: fv2, host: 127.0.0.1, port: 0, mode: files, root: $www, proxy_protocol: v2}
  - {name: fany, host: 127.0.0.1, port: 0, mode: files, root: $www, proxy_protocol: any}
  - {name: foff, host: 127.0.0.1, port: 0, mode: files, root: $www, proxy_protocol: off}
  - {name: ev1, host: 127.0.0.1, port: 0, mode: echo, proxy_protocol: v1}
  - {name: ev2, host: 127.0.0.1, port: 0, mode: echo, proxy_protocol: v2}
  - {name: eany, host: 127.0.0.1, port: 0, mode: echo, proxy_protocol: any}
  - {name: eoff, host: 127.0.0.1, port: 0, mode: echo}
EOF
if ipv6_available; then
	echo '  - {name: e6, host: "::1", port: 0, mode: echo, proxy_protocol: v2}' >>"$conf"
fi
start_server "$conf" || finish
ACCESS=$TMP/access.log

now_ms() { date +%s%3N; }

# log_count ERE — lines of the error log matching.
log_count() { grep -aEc -- "$1" "$SERVER_LOG" 2>/dev/null; }

# access_wait ERE — wait (bounded) for an access-log line matching; 0 when there is one.
access_wait() { wait_file_match "$ACCESS" "$1" 30; }

# access_count ERE — access-log lines matching.
access_count() { grep -aEc -- "$1" "$ACCESS" 2>/dev/null; }

# access_wait_count ERE N — wait (bounded) until N access-log lines match.
access_wait_count() {
	local i
	for ((i = 0; i < 30 * SLOW; i++)); do
		[ "$(access_count "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	[ "$(access_count "$1")" -ge "$2" ]
}

# probe NAME BYTES — a raw TCP connection to listener NAME: send BYTES (a printf
# %b string), say nothing more, and wait (bounded) until the server closes.
# Sets PROBE_MS (connect to close, in ms) and PROBE_RC (124: still open at the end).
probe() {
	local port fd t0
	port=$(port_of "$1")
	PROBE_RC=1
	PROBE_MS=""
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
	t0=$(now_ms)
	# in a subshell: a write after the server closed must not SIGPIPE the script
	(printf '%b' "$2" >&"$fd") 2>/dev/null
	timeout $((5 * SLOW)) cat <&"$fd" >/dev/null 2>&1
	PROBE_RC=$?
	PROBE_MS=$(($(now_ms) - t0))
	exec {fd}>&-
}

# check_refused DESC NAME BYTES — the server refuses at once: it closes the
# connection well before handshake_timeout and logs "no valid PROXY protocol header".
check_refused() {
	local desc=$1 name=$2 before after
	before=$(log_count "$name 127\.0\.0\.1: no valid PROXY protocol header")
	probe "$name" "$3"
	wait_log "$name 127\.0\.0\.1: no valid PROXY protocol header" $((before + 1)) 20
	after=$(log_count "$name 127\.0\.0\.1: no valid PROXY protocol header")
	if [ "$PROBE_RC" != 124 ] && [ "${PROBE_MS:-99999}" -lt "$FAST_MS" ] && [ "$after" -gt "$before" ]; then
		pass "$desc (closed after ${PROBE_MS} ms, logged)"
	else
		fail "$desc" "closed: $([ "$PROBE_RC" = 124 ] && echo no || echo "yes, after ${PROBE_MS} ms (want < $FAST_MS)")" \
			"error-log lines for $name before/after: $before/$after" "$(server_log_tail 4)"
	fi
}

# check_timed_out DESC NAME BYTES — a valid but unfinished header, then
# silence: the server closes after handshake_timeout, logging "PROXY header timed out".
check_timed_out() {
	local desc=$1 name=$2 before after
	before=$(log_count "$name 127\.0\.0\.1: PROXY header timed out")
	probe "$name" "$3"
	wait_log "$name 127\.0\.0\.1: PROXY header timed out" $((before + 1)) 20
	after=$(log_count "$name 127\.0\.0\.1: PROXY header timed out")
	if [ "$PROBE_RC" != 124 ] && [ "$PROBE_MS" -ge $((HS_MS - 200)) ] &&
		[ "$PROBE_MS" -le $((HS_MS + 2000 * SLOW)) ] && [ "$after" -gt "$before" ]; then
		pass "$desc (closed after ${PROBE_MS} ms, handshake_timeout ${HS_MS} ms, logged)"
	else
		fail "$desc" "closed: $([ "$PROBE_RC" = 124 ] && echo no || echo "yes, after ${PROBE_MS} ms")" \
			"want $((HS_MS - 200))..$((HS_MS + 2000 * SLOW)) ms; error-log lines before/after: $before/$after" \
			"$(server_log_tail 4)"
	fi
}

# A v2 header: signature, version/command, family, length, then the rest.
V2SIG='\r\n\r\n\0\r\nQUIT\n'

# ---- files listeners: curl --haproxy-protocol sends a v1 header with the real
# client address; tls_pipe -P v1|v2 a header naming $FAKE.
if curl --help all 2>/dev/null | grep -q -- '--haproxy-protocol'; then
	check_status "fv1: curl --haproxy-protocol (PROXY v1) gets 200" 200 fv1 '/?curl-v1' --haproxy-protocol
	access_wait '^127\.0\.0\.1 .*"GET /\?curl-v1 HTTP/1\.1" 200 '
	check_match "fv1: the access log shows curl's address from its header (127.0.0.1)" \
		"$(cat "$ACCESS")" '^127\.0\.0\.1 .*"GET /\?curl-v1 HTTP/1\.1" 200 '
	check_status "fany: curl --haproxy-protocol (v1) gets 200" 200 fany / --haproxy-protocol
	check_status "fv2: a v1 header (curl --haproxy-protocol) is refused" 000 fv2 / --haproxy-protocol
	check_status "foff: a PROXY header (curl --haproxy-protocol) fails the handshake" 000 foff / --haproxy-protocol
else
	fail "curl --haproxy-protocol checks" "this curl has no --haproxy-protocol"
fi
check_status "foff: a client without a header gets 200" 200 foff /
check_status "fv1: a client without a header (plain TLS) fails" 000 fv1 /

if have_tls_pipe; then
	for v in v1 v2; do
		printf 'GET /?pipe-%s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$v" >"$TMP/req.$v"
		for name in "f$v" fany; do
			pipe_stream "$name" "$TMP/req.$v" "$TMP/resp.$name.$v" -P "$v"
			check_eq "$name: a request after a PROXY $v header gets 200" 200 "$(resp_status "$TMP/resp.$name.$v")"
			check_eq "$name: ... and the page" proxied "$(resp_body "$TMP/resp.$name.$v")"
		done
		access_wait_count "^${FAKE//./\\.} .*\"GET /\\?pipe-$v HTTP/1\\.1\" 200 " 2
		check_eq "files: the access log shows the PROXY $v header's client $FAKE (twice: f$v and fany)" 2 \
			"$(grep -acE "^${FAKE//./\\.} .*\"GET /\\?pipe-$v HTTP/1\\.1\" 200 " "$ACCESS")"
		check_match "the error log notes PROXY $v from the balancer's address on f$v" "$(cat "$SERVER_LOG")" \
			"f$v ${FAKE//./\\.}: PROXY ${v} from 127\\.0\\.0\\.1"
	done
	grep -aE "^127\.0\.0\.1 .*pipe-" "$ACCESS" >"$TMP/leaked"
	check_eq "no access-log line for those requests shows the balancer's own address" 0 "$(wc -l <"$TMP/leaked")"

	# ---- echo listeners.
	printf 'through the balancer\n' >"$TMP/line.in"
	echo_re="^${FAKE//./\\.} .*\"ECHO\" 200 "
	n_fake=$(access_count "$echo_re")
	for pair in ev1:v1 ev2:v2 eany:v1 eany:v2; do
		name=${pair%%:*}
		v=${pair#*:}
		pipe_stream "$name" "$TMP/line.in" "$TMP/echo.$name.$v" -P "$v"
		rc=$?
		check_same_file "$name: PROXY $v header, then the echo round trip" "$TMP/line.in" "$TMP/echo.$name.$v"
		check_eq "$name: ... ends with the server's close_notify (status 0)" 0 "$rc"
		n_fake=$((n_fake + 1))
		if access_wait_count "$echo_re" "$n_fake"; then
			pass "$name: the echo session's access-log line shows $FAKE (PROXY $v)"
		else
			fail "$name: the echo session's access-log line shows $FAKE (PROXY $v)" "$(tail -n 3 "$ACCESS")"
		fi
	done
	check_match "the error log notes PROXY v2 on ev2" "$(cat "$SERVER_LOG")" "ev2 ${FAKE//./\\.}: PROXY v2 from 127\\.0\\.0\\.1"
	check_match "the error log notes PROXY v1 on ev1" "$(cat "$SERVER_LOG")" "ev1 ${FAKE//./\\.}: PROXY v1 from 127\\.0\\.0\\.1"

	if [ -n "$(port_of e6)" ]; then
		n6=$(log_count "e6 ${FAKE//./\\.}: PROXY v2 from ::1")
		pipe_stream e6 "$TMP/line.in" "$TMP/echo.e6" -P v2
		check_same_file "e6 (::1): PROXY v2 header (TCP4 inside), then the echo round trip" "$TMP/line.in" "$TMP/echo.e6"
		wait_log "e6 ${FAKE//./\\.}: PROXY v2 from ::1" $((n6 + 1)) 20
		check_eq "e6 (::1): the error log names $FAKE, from ::1" $((n6 + 1)) "$(log_count "e6 ${FAKE//./\\.}: PROXY v2 from ::1")"
	fi

	# ---- the wrong version, and no header at all: refused, fast, logged.
	# ev1 expects v1, ev2 v2, eany either
	for pair in ev1:v2 ev2:v1 ev1:none ev2:none eany:none; do
		name=${pair%%:*}
		v=${pair#*:}
		before=$(log_count "$name 127\.0\.0\.1: no valid PROXY protocol header")
		t0=$(now_ms)
		if [ "$v" = none ]; then
			pipe_stream "$name" "$TMP/line.in" "$TMP/refused.$name.$v"
		else
			pipe_stream "$name" "$TMP/line.in" "$TMP/refused.$name.$v" -P "$v"
		fi
		rc=$?
		ms=$(($(now_ms) - t0))
		what="a PROXY $v header"
		[ "$v" = none ] && what="a plain TLS ClientHello without a header"
		if [ "$rc" -ne 0 ] && [ ! -s "$TMP/refused.$name.$v" ] && [ "$ms" -lt "$FAST_MS" ]; then
			pass "$name: $what is refused; the client's handshake fails after $ms ms"
		else
			fail "$name: $what is refused; the client's handshake fails fast" \
				"tls_pipe status $rc after $ms ms (want non-zero, < $FAST_MS ms)" "$(cat "$TMP/refused.$name.$v.err")"
		fi
		wait_log "$name 127\.0\.0\.1: no valid PROXY protocol header" $((before + 1)) 20
		check_eq "$name: ... the error log says \"no valid PROXY protocol header\"" $((before + 1)) \
			"$(log_count "$name 127\.0\.0\.1: no valid PROXY protocol header")"
	done

	# ---- proxy_protocol: off — a header is just bytes that are not a
	# ClientHello: a failed handshake, logged; the next client is served.
	for v in v1 v2; do
		before=$(log_count 'eoff 127\.0\.0\.1: (TLS handshake failed|.*plain HTTP)')
		pipe_stream eoff "$TMP/line.in" "$TMP/off.$v" -P "$v"
		rc=$?
		check_ne "eoff: a PROXY $v header fails the handshake" 0 "$rc"
		wait_log 'eoff 127\.0\.0\.1: (TLS handshake failed|.*plain HTTP)' $((before + 1)) 20
		check_eq "eoff: ... logged as a failed handshake" $((before + 1)) \
			"$(log_count 'eoff 127\.0\.0\.1: (TLS handshake failed|.*plain HTTP)')"
		pipe_stream eoff "$TMP/line.in" "$TMP/off-next.$v"
		check_same_file "eoff: the next client (no header) is served" "$TMP/line.in" "$TMP/off-next.$v"
	done
else
	fail "tls_pipe -P checks (fake client address, echo, wrong version)" "no $TLS_PIPE (make unit-bins builds it)"
fi

# ---- no header: openssl s_client on files listeners fails fast.
for name in fv1 fv2 fany; do
	before=$(log_count "$name 127\.0\.0\.1: no valid PROXY protocol header")
	t0=$(now_ms)
	out=$(timeout $((10 * SLOW)) openssl s_client -connect "127.0.0.1:$(port_of "$name")" -servername localhost \
		-CAfile "$CERTS/ca.crt" </dev/null 2>&1)
	rc=$?
	ms=$(($(now_ms) - t0))
	if [ "$rc" -ne 0 ] && ! grep -qE 'Cipher is [A-Z]' <<<"$out" && [ "$ms" -lt "$FAST_MS" ]; then
		pass "$name: openssl s_client without a PROXY header fails after $ms ms"
	else
		fail "$name: openssl s_client without a PROXY header fails fast" "status $rc after $ms ms" \
			"$(grep -aiE 'error|Cipher' <<<"$out" | head -n 3)"
	fi
	wait_log "$name 127\.0\.0\.1: no valid PROXY protocol header" $((before + 1)) 20
	check_eq "$name: ... logged \"no valid PROXY protocol header\"" $((before + 1)) \
		"$(log_count "$name 127\.0\.0\.1: no valid PROXY protocol header")"
done

# ---- garbage and oversized headers: refused at once.
long=$(printf 'x%.0s' {1..150})
check_refused "fv1: a v1 line longer than 107 bytes (PROXY UNKNOWN + 150 bytes + CRLF) is refused" fv1 \
	"PROXY UNKNOWN $long\r\n"
check_refused "fv1: a v1 line without CRLF (150 bytes) is refused" fv1 "PROXY TCP4 $long"
check_refused "ev1: a v1 header with a bad address (203.0.113.700) is refused" ev1 \
	'PROXY TCP4 203.0.113.700 192.0.2.1 4242 443\r\n'
check_refused "ev1: a v1 header whose family does not match (TCP6 with IPv4) is refused" ev1 \
	'PROXY TCP6 203.0.113.7 192.0.2.1 4242 443\r\n'
check_refused "ev1: a v1 header with a port over 65535 is refused" ev1 \
	'PROXY TCP4 203.0.113.7 192.0.2.1 70000 443\r\n'
check_refused "ev1: an HTTP request instead of a header is refused" ev1 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
check_refused "fv2: a v2 header announcing 4095 bytes (over the limit) is refused" fv2 "${V2SIG}\x21\x11\x0f\xff"
check_refused "fv2: a v2 header of version 1 is refused" fv2 "${V2SIG}\x11\x11\x00\x0c"
check_refused "fv2: a v2 header with an unknown command is refused" fv2 "${V2SIG}\x2f\x11\x00\x0c"
check_refused "fv2: a v2 TCP4 header whose address block is too short is refused" fv2 \
	"${V2SIG}\x21\x11\x00\x04\xcb\x00\x71\x07"
check_refused "eany: an SSH banner is refused" eany 'SSH-2.0-OpenSSH_9.2\r\n'
check_refused "eany: binary garbage is refused" eany '\x00\x01\x02\x03\xff\xfe\xfd\xfc\x16\x03\x01\x00\x00'

# ---- truncated headers followed by silence: closed after handshake_timeout
# (TCP_DEFER_ACCEPT does not delay these: data arrived, the accept is at once).
check_timed_out "fv1: a truncated v1 header, then silence, is closed after handshake_timeout" fv1 \
	'PROXY TCP4 203.0.113.7 19'
check_timed_out "ev2: a truncated v2 header (4 of 12 address bytes), then silence, is closed after handshake_timeout" \
	ev2 "${V2SIG}\x21\x11\x00\x0c\xcb\x00\x71\x07"
check_timed_out "eany: the first bytes of a v2 signature, then silence, are closed after handshake_timeout" \
	eany '\r\n\r\n'
check_timed_out "eany: \"PRO\", then silence, is closed after handshake_timeout" eany 'PRO'

# ---- still healthy.
if curl --help all 2>/dev/null | grep -q -- '--haproxy-protocol'; then
	check_status "fv1 still serves after all that" 200 fv1 / --haproxy-protocol
fi
if have_tls_pipe; then
	pipe_stream ev2 "$TMP/line.in" "$TMP/final.out" -P v2
	check_same_file "ev2 still echoes after all that" "$TMP/line.in" "$TMP/final.out"
fi
if server_alive; then pass "the server is still running"; else fail "the server is still running"; fi
finish
