#!/usr/bin/env bash
# 10-protocol: HTTP/1.x connection handling — pipelining, HTTP/1.0 and
# keep-alive, Connection: close, request bodies refused (413, never read as a
# next request) for every method, framing errors (400, 501), Host validation,
# list headers over several lines, OPTIONS/POST/unknown methods, configured
# head limits, and the header and idle timeouts.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

www=$TMP/www
mkdir -p "$www"
printf 'alpha\n' >"$www/a.txt"
printf 'bravo\n' >"$www/b.txt"
printf 'charlie\n' >"$www/c.txt"
printf '<p>index</p>\n' >"$www/index.html"
mkdir -p "$www/p"
for i in $(seq -w 0 99); do printf 'body-%s\n' "$i" >"$www/p/$i.txt"; done

conf=$TMP/proto.yaml
write_config "$conf" <<EOF
limits: {idle_timeout: 30s, header_timeout: 10s, max_request_head: 2k, max_headers: 10}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
start_server "$conf" || finish
SCLIENT_TIMEOUT=$((10 * SLOW))
export SCLIENT_TIMEOUT

H11=$'Host: localhost\r\n'
# statuses FILE — the status codes of the responses in FILE, in order, space-separated.
statuses() { LC_ALL=C grep -aoE '^HTTP/1\.[01] [0-9]{3}' "$1" | awk '{ printf "%s ", $2 }'; }
# closed DESC — the server closed the connection of the last send.
closed() {
	if [ "$RESP_RC" = 124 ]; then
		fail "$1" "still open after ${SCLIENT_TIMEOUT}s"
	else
		pass "$1"
	fi
}

# ---- a request and then the client's end of the stream, in one go: the
# request is answered, then the server sees the end (a bare FIN, or a
# close_notify) and closes at once, not after idle_timeout (30 s here). The
# FIN often arrives with the request, in the read that empties the socket.
if have_tls_pipe; then
	printf 'GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n' >"$TMP/req-fin.in"
	for how in -f close_notify; do
		flag=$how
		[ "$how" = close_notify ] && flag=
		for round in 1 2 3; do
			t0=$(date +%s%N)
			# shellcheck disable=SC2086
			timeout -k 2 $((10 * SLOW)) "$TLS_PIPE" $flag 127.0.0.1 "$(port_of https)" "$CERTS/ca.crt" \
				<"$TMP/req-fin.in" >"$TMP/req-fin.out" 2>"$TMP/req-fin.err"
			rc=$?
			ms=$((($(date +%s%N) - t0) / 1000000))
			[ "$rc" = 0 ] && [ "$(statuses "$TMP/req-fin.out")" = "200 " ] &&
				grep -q '^alpha' "$TMP/req-fin.out" || break
		done
		check_eq "request then $how: answered (200, alpha) and closed by the server (status 0), 3 times" \
			"0 200 " "$rc $(statuses "$TMP/req-fin.out")" || note "$(cat "$TMP/req-fin.err")"
		check_true "... the last close came after $ms ms, well before idle_timeout (30 s)" test "$ms" -lt 5000
	done
else
	fail "request then end of stream" "no $TLS_PIPE (make unit-bins builds it)"
fi

# ---- pipelining: three requests in one write, answered in order.
send https "GET /a.txt HTTP/1.1"$'\r\n'"$H11"$'\r\n'"GET /b.txt HTTP/1.1"$'\r\n'"$H11"$'\r\n'"GET /c.txt HTTP/1.1"$'\r\n'"$H11"$'Connection: close\r\n\r\n'
check_eq "three pipelined requests: three 200s" "200 200 200 " "$(statuses "$RESP")"
order=$(LC_ALL=C grep -aoE '^(alpha|bravo|charlie)$' "$RESP" | tr '\n' ' ')
check_eq "... with the bodies in request order" "alpha bravo charlie " "$order"
closed "... and the connection closes after the third (Connection: close)"
send https "GET /a.txt HTTP/1.1"$'\r\n'"$H11"$'\r\n'"HEAD /b.txt HTTP/1.1"$'\r\n'"$H11"$'\r\n'"GET /missing HTTP/1.1"$'\r\n'"$H11"$'Connection: close\r\n\r\n'
check_eq "pipelined GET, HEAD, GET of a missing file: 200 200 404 in order" "200 200 404 " "$(statuses "$RESP")"
check_eq "... the HEAD response has no body (only alpha is there)" "alpha " "$(LC_ALL=C grep -aoE '^(alpha|bravo)$' "$RESP" | tr '\n' ' ')"

# A burst of 100 pipelined requests in one write: 100 answers, in order.
burst=""
for i in $(seq -w 0 99); do
	burst+="GET /p/$i.txt HTTP/1.1"$'\r\n'"$H11"
	[ "$i" = 99 ] && burst+=$'Connection: close\r\n'
	burst+=$'\r\n'
done
send https "$burst"
check_eq "100 pipelined requests in one write: 100 answers of 200" 100 \
	"$(statuses "$RESP" | tr ' ' '\n' | grep -c '^200$')"
check_eq "... with the bodies in request order" "$(seq -w 0 99 | sed 's/^/body-/' | tr '\n' ' ')" \
	"$(LC_ALL=C grep -aoE '^body-[0-9]+$' "$RESP" | tr '\n' ' ')"

# ---- HTTP/1.0.
send https $'GET /a.txt HTTP/1.0\r\n\r\n'
check_eq "HTTP/1.0 without keep-alive: 200" 200 "$(resp_status "$RESP")"
check_eq "... the response says Connection: close" close "$(resp_header "$RESP" Connection)"
closed "... and the server closes the connection"

conn_open https
conn_write $'GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'
if conn_wait_for alpha; then
	pass "HTTP/1.0 with Connection: keep-alive: the response arrives"
else
	fail "HTTP/1.0 with Connection: keep-alive: the response arrives" "$(excerpt "$CONN_OUT")"
fi
check_eq "... it says Connection: keep-alive" keep-alive "$(resp_header "$CONN_OUT" Connection)"
check_eq "... and has a Content-Length" 6 "$(resp_header "$CONN_OUT" Content-Length)"
sleep 0.5
if kill -0 "$CONN_PID" 2>/dev/null; then
	pass "... the connection stays open"
else
	fail "... the connection stays open" "s_client exited: $(excerpt "$CONN_OUT")"
fi
conn_write $'GET /b.txt HTTP/1.0\r\n\r\n'
if conn_wait_for bravo; then
	pass "... a second request on it is answered"
else
	fail "... a second request on it is answered" "$(excerpt "$CONN_OUT")"
fi
if conn_wait_closed 50; then
	pass "... and the server closes after that one (no keep-alive asked)"
else
	fail "... and the server closes after that one (no keep-alive asked)" "still open after $((5 * SLOW))s"
fi
conn_close

# ---- Connection: close on HTTP/1.1.
send https "GET /a.txt HTTP/1.1"$'\r\n'"$H11"$'Connection: close\r\n\r\n'
check_eq "HTTP/1.1 with Connection: close: the response says Connection: close" close "$(resp_header "$RESP" Connection)"
closed "... and the server closes"
send https "GET /a.txt HTTP/1.1"$'\r\n'"$H11"$'Connection: Close\r\n\r\n'
closed "Connection: Close (any case) is honoured"

# ---- request bodies on GET: 413, the connection closed, the body never parsed.
send https "GET /a.txt HTTP/1.1"$'\r\n'"$H11"$'Content-Length: 5\r\n\r\nhello'
check_eq "GET with Content-Length: 5 and a body: 413" 413 "$(resp_status "$RESP")"
closed "... and the connection is closed"
send https $'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 18\r\n\r\nGET /a HTTP/1.1\r\n\r\n'
check_eq "GET with a body that looks like a request: 413" 413 "$(resp_status "$RESP")"
check_eq "... and only ONE response comes back" 1 "$(count_status "$RESP")"
closed "... and the connection is closed"
smuggled=$'GET /b.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
send https "GET /a.txt HTTP/1.1"$'\r\n'"$H11"$'Content-Length: '"${#smuggled}"$'\r\n\r\n'"$smuggled"
check_eq "GET whose body is a complete valid request: only ONE response (413)" "413 " "$(statuses "$RESP")"
check_file_not_contains "... the body's request is never answered" "$RESP" bravo
send https "GET /a.txt HTTP/1.1"$'\r\n'"$H11"$'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'
check_eq "GET with Transfer-Encoding: chunked: 413" 413 "$(resp_status "$RESP")"
check_eq "... one response" 1 "$(count_status "$RESP")"
closed "... and the connection is closed"
send https "HEAD /a.txt HTTP/1.1"$'\r\n'"$H11"$'Content-Length: 3\r\n\r\nabc'
check_eq "HEAD with a body: 413" 413 "$(resp_status "$RESP")"
closed "... and the connection is closed"
send https "GET /a.txt HTTP/1.1"$'\r\n'"$H11"$'Content-Length: 0\r\nConnection: close\r\n\r\n'
check_eq "GET with Content-Length: 0 (no body) is served: 200" 200 "$(resp_status "$RESP")"

# ---- methods.
send https "OPTIONS /a.txt HTTP/1.1"$'\r\n'"$H11"$'\r\n'"GET /b.txt HTTP/1.1"$'\r\n'"$H11"$'Connection: close\r\n\r\n'
check_eq "OPTIONS: 204" 204 "$(resp_status "$RESP")"
check_eq "... Allow: GET, HEAD, OPTIONS" "GET, HEAD, OPTIONS" "$(resp_header "$RESP" Allow)"
check_eq "... no body: the next pipelined response follows directly" "HTTP/1.1 200 " "$(resp_body "$RESP" | head -c 13)"
send https "POST /a.txt HTTP/1.1"$'\r\n'"$H11"$'Content-Length: 0\r\n\r\n'
check_eq "POST: 405" 405 "$(resp_status "$RESP")"
check_eq "... Allow: GET, HEAD" "GET, HEAD" "$(resp_header "$RESP" Allow)"
closed "... and the connection is closed"
send https "BREW /pot HTTP/1.1"$'\r\n'"$H11"$'\r\n'
check_eq "an unknown method (BREW): 501" 501 "$(resp_status "$RESP")"
closed "... and the connection is closed"

# ---- every method with a body that itself looks like a request: exactly one
# response, and the connection closes (the body is never read as a request).
secret=$'GET /b.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
for m in GET HEAD OPTIONS POST PUT DELETE PATCH TRACE BREW; do
	send https "$m /a.txt HTTP/1.1"$'\r\n'"$H11"$'Content-Length: '"${#secret}"$'\r\n\r\n'"$secret"
	check_eq "$m with Content-Length and a body that is a request: exactly one response" 1 "$(count_status "$RESP")"
	check_file_not_contains "... the body's request is never answered ($m)" "$RESP" bravo
	closed "... and the connection is closed ($m)"
	send https "$m /a.txt HTTP/1.1"$'\r\n'"$H11"$'Transfer-Encoding: chunked\r\n\r\n'"${#secret}"$'\r\n'"$secret"$'\r\n0\r\n\r\n'
	check_eq "$m with Transfer-Encoding: chunked and a request inside: exactly one response" 1 "$(count_status "$RESP")"
	closed "... and the connection is closed ($m, chunked)"
done
send https "OPTIONS /a.txt HTTP/1.1"$'\r\n'"$H11"$'Content-Length: 0\r\n\r\n'"GET /b.txt HTTP/1.1"$'\r\n'"$H11"$'Connection: close\r\n\r\n'
check_eq "OPTIONS with Content-Length: 0 keeps the connection: 204 then the next 200" "204 200 " "$(statuses "$RESP")"

# ---- message framing (RFC 9112 6): a malformed Content-Length is a 400, an
# unknown transfer coding a 501; both close.
for cl in -1 +5 abc '5, 6' 99999999999999999999999 '1 2' ''; do
	send https "GET /a.txt HTTP/1.1"$'\r\n'"$H11"'Content-Length: '"$cl"$'\r\n\r\n'
	check_eq "Content-Length: '$cl': 400" 400 "$(resp_status "$RESP")"
	closed "... and the connection is closed (Content-Length: '$cl')"
done
send https "GET /a.txt HTTP/1.1"$'\r\n'"$H11"$'Content-Length: 0\r\nContent-Length: 1\r\n\r\nx'
check_eq "two Content-Length lines that differ: 400" 400 "$(resp_status "$RESP")"
send https "GET /a.txt HTTP/1.1"$'\r\n'"$H11"$'Content-Length: 0, 0\r\nConnection: close\r\n\r\n'
check_eq "Content-Length: 0, 0 (the same value twice) is no body: 200" 200 "$(resp_status "$RESP")"
send https "GET /a.txt HTTP/1.1"$'\r\n'"$H11"$'Transfer-Encoding: frobnicate\r\n\r\n'
check_eq "an unknown transfer coding: 501" 501 "$(resp_status "$RESP")"
closed "... and the connection is closed"
send https "GET /a.txt HTTP/1.1"$'\r\n'"$H11"$'Transfer-Encoding: chunked, gzip\r\n\r\n'
check_eq "chunked not the final transfer coding: 400" 400 "$(resp_status "$RESP")"
closed "... and the connection is closed"
send https "GET /a.txt HTTP/1.1"$'\r\n'"$H11"$'Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n'
check_eq "Transfer-Encoding and Content-Length together: 400" 400 "$(resp_status "$RESP")"
closed "... and the connection is closed"

# ---- Host (RFC 9112 3.2, RFC 3986 3.2.2): a malformed authority is a 400.
for h in 'a b' 'a/b' 'a@b' 'a:b' 'a:99999' '[::1' '[zz::1]:8443' 'a\b' $'a\x01b' 'a:80:80' '[::1]x'; do
	send https "GET /a.txt HTTP/1.1"$'\r\n'"Host: $h"$'\r\n\r\n'
	check_eq "Host: '$(printf '%q' "$h")': 400" 400 "$(resp_status "$RESP")"
done
for h in localhost 'localhost:8443' '127.0.0.1:1' '[::1]:8443' '[::1]' 'xn--bcher-kva.example' 'a-b_c~d.example' ''; do
	send https "GET /a.txt HTTP/1.1"$'\r\n'"Host: $h"$'\r\nConnection: close\r\n\r\n'
	check_eq "Host: '$h': 200" 200 "$(resp_status "$RESP")"
done

# ---- list headers split over several lines are read whole (RFC 9110 5.3).
send https "GET /a.txt HTTP/1.1"$'\r\n'"$H11"$'Connection: keep-alive\r\nConnection: close\r\n\r\n'
check_eq "Connection: close on a second Connection line: the response says close" close "$(resp_header "$RESP" Connection)"
closed "... and the server closes"
send https $'GET /a.txt HTTP/1.0\r\nConnection: x-foo\r\nConnection: keep-alive\r\n\r\nGET /b.txt HTTP/1.0\r\n\r\n'
check_eq "HTTP/1.0 keep-alive on a second Connection line: both pipelined requests answered" "200 200 " "$(statuses "$RESP")"

# ---- configured limits: max_headers: 10, max_request_head: 2k.
hdrs=""
for ((i = 0; i < 8; i++)); do hdrs+="X-H-$i: v"$'\r\n'; done
send https "GET /a.txt HTTP/1.1"$'\r\n'"$H11$hdrs"$'Connection: close\r\n\r\n'
check_eq "max_headers: 10 — exactly 10 header lines: 200" 200 "$(resp_status "$RESP")"
send https "GET /a.txt HTTP/1.1"$'\r\n'"$H11${hdrs}X-H-8: v"$'\r\nX-H-9: v\r\n\r\n'
check_eq "max_headers: 10 — 11 header lines: 431" 431 "$(resp_status "$RESP")"
closed "... and the connection is closed"
big=$(head -c 2500 /dev/zero | tr '\0' 'b')
send https "GET /a.txt HTTP/1.1"$'\r\n'"${H11}X-Big: $big"$'\r\n\r\n'
check_eq "max_request_head: 2k — a 2.5k header: 431" 431 "$(resp_status "$RESP")"
closed "... and the connection is closed"
send https "GET /a.txt?$big HTTP/1.1"$'\r\n'"$H11"$'\r\n'
check_eq "max_request_head: 2k — a 2.5k request line: 414" 414 "$(resp_status "$RESP")"
closed "... and the connection is closed"
mid=$(head -c 1500 /dev/zero | tr '\0' 'm')
send https "GET /a.txt HTTP/1.1"$'\r\n'"${H11}X-Mid: $mid"$'\r\nConnection: close\r\n\r\n'
check_eq "max_request_head: 2k — a 1.5k head is fine: 200" 200 "$(resp_status "$RESP")"
stop_server

# ---- header_timeout: a request head that does not complete in time gets 408.
conf_h=$TMP/header-timeout.yaml
write_config "$conf_h" <<EOF
limits: {idle_timeout: 30s, header_timeout: 1s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
start_server "$conf_h" || finish
conn_open https
conn_write $'GET /a.txt HTTP/1.1\r\nHost: localhost\r\n'
t0=$(date +%s%N)
if conn_wait_closed 25; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	pass "header_timeout: 1s — a partial head: the server closes ($ms ms)"
	if [ "$ms" -ge 500 ]; then
		pass "... not before the timeout"
	else
		fail "... not before the timeout" "closed after $ms ms"
	fi
else
	fail "header_timeout: 1s — a partial head: the server closes within $((25 * SLOW / 10))s" "$(excerpt "$CONN_OUT")"
fi
check_eq "... after sending 408" 408 "$(resp_status "$CONN_OUT")"
conn_close
# Dripping the head a byte at a time does not extend it: the whole head has 1 s.
conn_open https
req=$'GET /a.txt HTTP/1.1\r\nHost: localhost\r\nX-Slow: '
req+=$(head -c 100 /dev/zero | tr '\0' 's')
t0=$(date +%s%N)
for ((i = 0; i < ${#req} && i < 40 * SLOW; i++)); do
	conn_write "${req:i:1}"
	kill -0 "$CONN_PID" 2>/dev/null || break
	sleep 0.1
done
conn_wait_closed 10
ms=$((($(date +%s%N) - t0) / 1000000))
if ! kill -0 "$CONN_PID" 2>/dev/null && [ "$ms" -lt $((2500 * SLOW)) ]; then
	pass "header_timeout: a head dripped a byte every 100 ms is cut at the timeout ($ms ms)"
else
	fail "header_timeout: a head dripped a byte every 100 ms is cut at the timeout" "after $ms ms: $(excerpt "$CONN_OUT")"
fi
check_eq "... with a 408" 408 "$(resp_status "$CONN_OUT")"
conn_close
check_status "the server still serves after the timeouts" 200 https /a.txt
stop_server

# ---- idle_timeout: an idle keep-alive connection is closed, silently.
# Under a slow wrapper the timeout is SLOW seconds: the server computes its
# deadlines from the time its loop woke up, and a first handshake under
# valgrind can take most of a second of that.
conf_i=$TMP/idle-timeout.yaml
write_config "$conf_i" <<EOF
limits: {idle_timeout: ${SLOW}s, header_timeout: 10s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
start_server "$conf_i" || finish
conn_open https
conn_write "GET /a.txt HTTP/1.1"$'\r\n'"$H11"$'\r\n'
if conn_wait_for alpha; then
	pass "idle_timeout: ${SLOW}s — a keep-alive request is answered"
else
	fail "idle_timeout: ${SLOW}s — a keep-alive request is answered" "$(excerpt "$CONN_OUT")"
fi
# bravos — how many /b.txt bodies came back so far.
bravos() { LC_ALL=C grep -ac '^bravo$' "$CONN_OUT"; }
# Requests 0.5 s apart keep it alive: each response restarts the idle clock.
for n in 2 3; do
	sleep 0.5
	conn_write "GET /b.txt HTTP/1.1"$'\r\n'"$H11"$'\r\n'
	for ((i = 0; i < 20 * SLOW; i++)); do
		[ "$(bravos)" -ge $((n - 1)) ] && break
		sleep 0.1
	done
	if [ "$(bravos)" = $((n - 1)) ]; then
		pass "... request $n, 0.5 s after the last response, is answered on the same connection"
	else
		fail "... request $n, 0.5 s after the last response, is answered on the same connection" "$(excerpt "$CONN_OUT")"
	fi
done
t0=$(date +%s%N)
size0=$(file_size "$CONN_OUT")
if conn_wait_closed 25; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	pass "... then, idle, the connection is closed ($ms ms)"
	if [ "$ms" -ge 500 ]; then
		pass "... not before the timeout"
	else
		fail "... not before the timeout" "closed after $ms ms"
	fi
else
	fail "... then, idle, the connection is closed within $((25 * SLOW / 10))s" "$(excerpt "$CONN_OUT")"
fi
check_eq "... without sending any bytes (no 408 for an idle connection)" "$size0" "$(file_size "$CONN_OUT")"
conn_close

finish
