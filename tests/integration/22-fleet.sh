#!/usr/bin/env bash
# 22-fleet: two tlserve instances behind HAProxy in TCP mode, as dist/haproxy.cfg
# sets it up: PROXY protocol v2 from the balancer, TLS health checks, shared
# ticket keys, a graceful stop of one instance while traffic flows.
#   (a) round robin reaches both instances, every request gets 200;
#   (b) their access logs show the client's address from the PROXY header
#       (curl bound to 127.0.0.2; HAProxy itself connects from 127.0.0.1);
#   (c) a TLS session made through one instance resumes through the other;
#   (d) SIGTERM to one instance under a steady stream of requests: none fails,
#       HAProxy marks it down, it exits 0;
#   (e) a connection that finished its handshake but had not sent its request
#       yet when SIGTERM came still gets its response.
# HAProxy is Debian's package, which `scripts/deps.sh test` installs (the
# test installs nothing: without haproxy it fails). Only 127.0.0.0/8 is used.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------- HAProxy

# find_haproxy — sets HAPROXY to the haproxy binary (in /usr/sbin, which a
# user's PATH may lack); non-zero when there is none.
find_haproxy() {
	local f
	HAPROXY=$(command -v haproxy 2>/dev/null)
	for f in /usr/sbin/haproxy /usr/local/sbin/haproxy; do
		[ -n "$HAPROXY" ] && break
		[ -x "$f" ] && HAPROXY=$f
	done
	[ -n "$HAPROXY" ]
}

if find_haproxy; then
	pass "haproxy is installed ($("$HAPROXY" -v 2>/dev/null | head -n 1 | cut -d' ' -f1-3))"
else
	fail "haproxy is installed" "no haproxy in PATH, /usr/sbin or /usr/local/sbin; scripts/deps.sh test installs it"
	finish
fi
require_cmd curl openssl || finish

# ---------------------------------------------------------------- the fleet

ca=$CERTS/ca.crt
# One ticket key file shared by both instances: 80 random bytes (one key).
head -c 80 /dev/urandom >"$TMP/ticket.key"

# Each instance serves the same site, plus /who.txt naming the instance.
for x in a b; do
	mkdir -p "$TMP/www.$x"
	printf 'fleet\n' >"$TMP/www.$x/index.html"
	printf '%s\n' "$x" >"$TMP/www.$x/who.txt"
	{
		printf 'workers: 2\n'
		printf 'log: {level: debug, error: stderr, access: %s}\n' "$TMP/access.$x.log"
		printf 'tls: {certificate: %s, key: %s, ticket_key_file: %s}\n' \
			"$CERTS/server.crt" "$CERTS/server.key" "$TMP/ticket.key"
		cat <<EOF
limits: {shutdown_timeout: 10s, idle_timeout: 30s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $TMP/www.$x, proxy_protocol: v2}
EOF
	} >"$TMP/$x.yaml"
done

# start_instance X — tlserve -c $TMP/X.yaml in the background, error log
# $TMP/X.err; waits (bounded) for its listening line. Sets PID_X and PORT_X.
start_instance() {
	local x=$1 log=$TMP/$1.err pid port="" i
	# shellcheck disable=SC2086 # the wrapper is a command line on purpose
	$TLSERVE_PREFIX $TLSERVE_WRAPPER "$TLSERVE_BIN" -c "$TMP/$x.yaml" >"$TMP/$x.out" 2>"$log" &
	pid=$!
	track_bg "$pid"
	watch_log "$log"
	watch_log "$TMP/$x.out"
	for ((i = 0; i < START_TRIES; i++)); do
		port=$(awk '/listening/ && / name=https / { for (i = 1; i <= NF; i++) if ($i ~ /^port=/) { print substr($i, 6); exit } }' "$log" 2>/dev/null)
		[ -n "$port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	printf -v "PID_$x" '%s' "$pid"
	printf -v "PORT_$x" '%s' "$port"
	if [ -n "$port" ] && kill -0 "$pid" 2>/dev/null; then
		pass "instance $x started (127.0.0.1:$port, proxy_protocol: v2)"
		return 0
	fi
	fail "instance $x started" "$(tail -n 10 "$log")"
	return 1
}

# stop_instance X [MAX_SECONDS] — SIGTERM, wait (bounded), the exit status in STOP_STATUS.
stop_instance() {
	local pid i
	pid=$(eval "echo \$PID_$1")
	STOP_STATUS=""
	[ -n "$pid" ] || return 1
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < ${2:-15} * 10 * SLOW; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		STOP_STATUS=killed
	else
		wait "$pid"
		STOP_STATUS=$?
	fi
	printf -v "PID_$1" '%s' ""
}

PORT_a=""
PORT_b=""
PID_b=""
start_instance a || finish
start_instance b || finish

# free_port — a loopback TCP port nobody listens on now (bounded tries), below
# the ephemeral range: a port some client connection holds (or held, TIME_WAIT)
# could not be bound.
free_port() {
	local p i lo=32768
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null
	[ "${lo:-0}" -gt 11000 ] 2>/dev/null || lo=32768
	for ((i = 0; i < 50; i++)); do
		p=$((10000 + RANDOM % (lo - 10000)))
		# shellcheck disable=SC2016 # $1 is the inner shell's
		if ! timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1' _ "$p" 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# The configuration follows dist/haproxy.cfg, on loopback ports and with
# quicker checks. In TCP mode HAProxy cannot replay a request, only a
# connection attempt: when instance A closes its listening sockets (SIGTERM),
# a connection HAProxy opens to A is refused (RST) until the health check
# marks A down. "retries 3" retries such a refused connection, and
# "option redispatch 1" makes each retry pick another server, at once, so
# the client never sees the refusal.
write_haproxy_cfg() {
	cat >"$TMP/haproxy.cfg" <<EOF
global
    maxconn 1000
    # no log target: HAProxy's own warnings (servers going up or down) go to stderr

defaults
    mode tcp
    timeout connect 2s
    timeout client 20s
    timeout server 20s
    timeout check 2s
    retries 3
    option redispatch 1

frontend tls_in
    bind 127.0.0.1:$PH
    default_backend tlserve

backend tlserve
    balance roundrobin
    # send-proxy-v2: a PROXY v2 header opens every connection to an instance;
    # check-ssl verify none check-send-proxy: the health check is a TLS
    # handshake after a PROXY header (a LOCAL one), as the listener expects
    default-server send-proxy-v2 check check-ssl verify none check-send-proxy inter 500ms fall 1 rise 1
    server a 127.0.0.1:$PORT_a
    server b 127.0.0.1:$PORT_b

listen stats
    mode http
    bind 127.0.0.1:$PS
    timeout client 5s
    stats enable
    stats uri /
EOF
}

HA_PID=""
for ((try = 1; try <= 5; try++)); do
	if ! PH=$(free_port) || ! PS=$(free_port); then break; fi
	[ "$PH" = "$PS" ] && continue
	write_haproxy_cfg
	if ! out=$("$HAPROXY" -c -f "$TMP/haproxy.cfg" 2>&1); then
		fail "haproxy -c accepts the configuration" "$out"
		finish
	fi
	"$HAPROXY" -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.out" 2>"$TMP/haproxy.err" &
	HA_PID=$!
	track_bg "$HA_PID"
	for ((i = 0; i < 50; i++)); do
		# shellcheck disable=SC2016 # $1 is the inner shell's
		timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1' _ "$PS" 2>/dev/null && break
		kill -0 "$HA_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$HA_PID" 2>/dev/null && break
	wait "$HA_PID"
	note "haproxy did not start (try $try): $(tail -n 3 "$TMP/haproxy.err")"
	HA_PID=""
done
if [ -z "$HA_PID" ]; then
	fail "haproxy starts in the foreground (-db)" "$(tail -n 10 "$TMP/haproxy.err" 2>/dev/null)"
	finish
fi
pass "haproxy started (frontend 127.0.0.1:$PH, stats 127.0.0.1:$PS)"

# server_state X — HAProxy's view of server X: "STATUS CHECK_STATUS" (e.g. "UP L6OK").
server_state() {
	curl -sS --max-time 5 --noproxy '*' "http://127.0.0.1:$PS/;csv" 2>/dev/null |
		awk -F, -v s="$1" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i }
			$1 == "tlserve" && $2 == s { print $col["status"], $col["check_status"] }'
}

# wait_state X STATE [TENTHS] — wait until HAProxy's state of server X starts
# with STATE ("UP L6OK": the last check passed; "DOWN").
wait_state() {
	local i
	for ((i = 0; i < ${3:-100} * SLOW; i++)); do
		[[ $(server_state "$1") == "$2"* ]] && return 0
		sleep 0.1
	done
	return 1
}

for x in a b; do
	if wait_state "$x" "UP L6OK"; then
		pass "HAProxy's TLS health check (PROXY v2 LOCAL + handshake) finds instance $x up: $(server_state "$x")"
	else
		fail "HAProxy's TLS health check finds instance $x up" "state: $(server_state "$x")" \
			"$(tail -n 5 "$TMP/haproxy.err")" "$(tail -n 5 "$TMP/$x.err")"
	fi
done

# fcurl ARGS... — curl to the frontend (https://localhost:PH), trusting the test CA.
fcurl() {
	local path=$1
	shift
	tcurl --resolve "localhost:$PH:127.0.0.1" "$@" "https://localhost:$PH$path"
}

# access_count X ERE — lines of instance X's access log matching ("ab": both logs).
access_count() {
	local k c n=0
	for ((k = 0; k < ${#1}; k++)); do
		c=$(grep -aEc -- "$2" "$TMP/access.${1:k:1}.log" 2>/dev/null)
		n=$((n + ${c:-0}))
	done
	echo "$n"
}

# access_wait X ERE N — wait (bounded) until N lines of X's access log match
# (the access log is buffered and written at least every 200 ms).
access_wait() {
	local i
	for ((i = 0; i < 30 * SLOW; i++)); do
		[ "$(access_count "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

# ---- (a) round robin: ten requests, all 200, both instances served some.
: >"$TMP/a.who"
n200=0
for ((i = 1; i <= 10; i++)); do
	code=$(fcurl "/who.txt?rr=$i" -o "$TMP/who.$i" -w '%{http_code}' 2>>"$TMP/curl.err")
	[ "$code" = 200 ] && n200=$((n200 + 1))
	cat "$TMP/who.$i" >>"$TMP/a.who" 2>/dev/null
done
check_eq "(a) 10 requests through HAProxy: all 200" 10 "$n200"
access_wait ab '"GET /who\.txt\?rr=' 10
na=$(access_count a '"GET /who\.txt\?rr=')
nb=$(access_count b '"GET /who\.txt\?rr=')
if [ "$na" -ge 1 ] && [ "$nb" -ge 1 ] && [ $((na + nb)) -eq 10 ]; then
	pass "(a) round robin reached both instances (a: $na, b: $nb access-log lines)"
else
	fail "(a) round robin reached both instances" "a: $na, b: $nb access-log lines (want both > 0, 10 in all)"
fi
check_eq "(a) the instances answered a and b in turn (who.txt)" "5 5" \
	"$(grep -c '^a$' "$TMP/a.who") $(grep -c '^b$' "$TMP/a.who")"

# ---- (b) the client's address comes from the PROXY header.
check_eq "(b) the access logs show the client 127.0.0.1 (from the PROXY header)" 10 \
	"$(cat "$TMP/access.a.log" "$TMP/access.b.log" | grep -ac '^127\.0\.0\.1 .*"GET /who.txt?rr=')"
# HAProxy connects from 127.0.0.1 whoever the client is: a client bound to
# 127.0.0.2 shows that the logged address is the header's, not the socket's.
n200=0
for ((i = 1; i <= 4; i++)); do
	code=$(fcurl "/who.txt?src=$i" --interface 127.0.0.2 -o /dev/null -w '%{http_code}' 2>>"$TMP/curl.err")
	[ "$code" = 200 ] && n200=$((n200 + 1))
done
check_eq "(b) 4 requests from 127.0.0.2 through HAProxy: all 200" 4 "$n200"
access_wait ab '^127\.0\.0\.2 .*"GET /who\.txt\?src=' 4
check_eq "(b) both access logs show the client 127.0.0.2 for them (2 + 2 lines)" "2 2" \
	"$(access_count a '^127\.0\.0\.2 .*"GET /who\.txt\?src=') $(access_count b '^127\.0\.0\.2 .*"GET /who\.txt\?src=')"
check_match "(b) ... while the connections came from HAProxy at 127.0.0.1 (error log: PROXY v2 from 127.0.0.1)" \
	"$(cat "$TMP/a.err" "$TMP/b.err")" 'https 127\.0\.0\.2: PROXY v2 from 127\.0\.0\.1'
check_eq "(b) no request line is logged with another address" 0 \
	"$(cat "$TMP/access.a.log" "$TMP/access.b.log" | grep -avcE '^127\.0\.0\.[12] ')"

# ---- (c) a session made through one instance resumes through the other.
# s_client sends a request for /who.txt (which instance answered) and stays
# until the server closes (Connection: close), so the ticket has arrived.
req=$'GET /who.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
# via_haproxy VERSION SESSION-ARG FILE — sets S_OUT, S_LINE (New/Reused) and S_WHO.
via_haproxy() {
	S_OUT=$(printf '%s' "$req" | timeout -k 2 $((10 * SLOW)) openssl s_client -ign_eof -tls"${1/./_}" \
		-connect "127.0.0.1:$PH" -servername localhost -CAfile "$ca" -verify_return_error \
		"$2" "$3" 2>&1)
	S_LINE=$(grep -m 1 -aE '^(New|Reused), ' <<<"$S_OUT")
	S_WHO=$(grep -aE '^[ab]$' <<<"$S_OUT" | tail -n 1)
}
for v in 1.2 1.3; do
	rm -f "$TMP/s$v.pem"
	via_haproxy "$v" -sess_out "$TMP/s$v.pem"
	first=$S_WHO
	if [[ $S_LINE == "New, TLSv$v,"* ]] && [ -s "$TMP/s$v.pem" ] && [ -n "$first" ]; then
		pass "(c) TLS $v: a new session through HAProxy, served by instance $first"
	else
		fail "(c) TLS $v: a new session through HAProxy" "${S_LINE:-no New line}; who: ${first:-?}" \
			"$(grep -aiE 'error|alert' <<<"$S_OUT" | head -n 3)"
		continue
	fi
	via_haproxy "$v" -sess_in "$TMP/s$v.pem"
	if [[ $S_LINE == "Reused, TLSv$v,"* ]] && [ -n "$S_WHO" ] && [ "$S_WHO" != "$first" ]; then
		pass "(c) TLS $v: the session made on $first is resumed on $S_WHO (Reused), the shared ticket_key_file"
	else
		fail "(c) TLS $v: the session made on $first is resumed on the other instance" \
			"${S_LINE:-no New/Reused line}; served by: ${S_WHO:-?}" "$(grep -aiE 'error|alert' <<<"$S_OUT" | head -n 3)"
	fi
done

# ---- (d) graceful stop of instance a under a steady stream of requests,
# each on a new connection with a full handshake: hostile latency when
# $HOSTILE is there (quicker, so more connections are under way at the
# SIGTERM), else sequential curl requests.
HOSTILE=${HOSTILE:-$REPO/build/tools/hostile}
case $HOSTILE in /*) ;; *) HOSTILE=$REPO/${HOSTILE#./} ;; esac
: >"$TMP/stream.codes"
if [ -x "$HOSTILE" ]; then
	N_STREAM=400
	"$HOSTILE" -p "$PH" -c "$ca" -n localhost -t $((50 * SLOW)) -w 10 latency "$N_STREAM" '/who.txt?stream' \
		>"$TMP/stream.out" 2>"$TMP/stream.err" &
	stream_by="hostile latency"
else
	N_STREAM=200
	(
		for ((i = 1; i <= N_STREAM; i++)); do
			fcurl "/who.txt?stream=$i" -H 'Connection: close' -o /dev/null -w '%{http_code}\n' \
				>>"$TMP/stream.codes" 2>>"$TMP/stream.err"
		done
	) &
	stream_by="curl"
fi
stream_pid=$!
track_bg "$stream_pid"
# SIGTERM once about a third of the stream has been served (access logs).
for ((i = 0; i < 300 * SLOW; i++)); do
	[ "$(access_count ab 'stream')" -ge $((N_STREAM / 3)) ] && break
	kill -0 "$stream_pid" 2>/dev/null || break
	sleep 0.05
done
done_before=$(access_count ab 'stream')
note "SIGTERM to instance a after about $done_before of $N_STREAM requests ($stream_by)"
stop_instance a 15
check_eq "(d) instance a exits with status 0 after SIGTERM" 0 "$STOP_STATUS"
if wait_state a DOWN 50; then
	pass "(d) HAProxy's health check marks instance a down: $(server_state a)"
else
	fail "(d) HAProxy's health check marks instance a down" "state: $(server_state a)"
fi
for ((i = 0; i < 600 * SLOW; i++)); do
	kill -0 "$stream_pid" 2>/dev/null || break
	sleep 0.1
done
kill "$stream_pid" 2>/dev/null
wait "$stream_pid" 2>/dev/null
if [ "$stream_by" = curl ]; then
	n_ok=$(grep -c '^200$' "$TMP/stream.codes")
	detail="codes: $(sort "$TMP/stream.codes" | uniq -c | awk '{ printf "%s%s x %s", sep, $1, $2; sep = ", " }')"
else
	n_ok=$(grep -aoE ' ok=[0-9]+' "$TMP/stream.out" | cut -d= -f2)
	detail=$(cat "$TMP/stream.out")
fi
check_eq "(d) all $N_STREAM requests of the stream ($stream_by) got 200 while instance a stopped" \
	"$N_STREAM" "${n_ok:-0}" || note "$detail" "$(head -n 5 "$TMP/stream.err" 2>/dev/null)"
# a wrote its access log before it exited; b's lines may still be buffered
access_wait ab 'stream' "${n_ok:-0}"
a_total=$(access_count a 'stream')
b_total=$(access_count b 'stream')
note "stream served: a $a_total, b $b_total"
if [ "$a_total" -ge 1 ] && [ "$b_total" -ge $((N_STREAM - done_before)) ]; then
	pass "(d) a served part of the stream before it stopped, b the rest"
else
	fail "(d) a served part of the stream before it stopped, b the rest" "a: $a_total, b: $b_total"
fi
check_eq "(d) every request of the stream is in one of the access logs" "$N_STREAM" $((a_total + b_total))
code=$(fcurl /who.txt -o "$TMP/last.who" -w '%{http_code}' 2>/dev/null)
check_eq "(d) after the stop, a request through HAProxy gets 200, from b" "200 b" "$code $(cat "$TMP/last.who" 2>/dev/null)"

# ---- (e) a connection that has finished its handshake but not yet sent its
# first request when SIGTERM comes (a client between connect and request,
# as at any moment under load) is not idle: it still gets its response.
fifo=$TMP/held.fifo
mkfifo "$fifo"
timeout -k 2 $((30 * SLOW)) openssl s_client -nocommands -ign_eof -connect "127.0.0.1:$PH" \
	-servername localhost -CAfile "$ca" -verify_return_error <"$fifo" >"$TMP/held.out" 2>"$TMP/held.err" &
held_pid=$!
track_bg "$held_pid"
exec {held_fd}>"$fifo"
for ((i = 0; i < 50 * SLOW; i++)); do
	grep -aq '^New, TLS' "$TMP/held.out" && break
	kill -0 "$held_pid" 2>/dev/null || break
	sleep 0.1
done
if grep -aq '^New, TLS' "$TMP/held.out"; then
	kill -TERM "$PID_b"
	sleep "$(awk -v s="$SLOW" 'BEGIN { print 0.3 * s }')"
	(printf 'GET /who.txt?held HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&"$held_fd") 2>/dev/null
	for ((i = 0; i < 50 * SLOW; i++)); do
		kill -0 "$held_pid" 2>/dev/null || break
		sleep 0.1
	done
	if grep -aq '^HTTP/1.1 200 ' "$TMP/held.out" && grep -aqx 'b' "$TMP/held.out"; then
		pass "(e) a fresh connection (handshake done, request sent 0.3 s after SIGTERM) still gets 200"
	else
		fail "(e) a fresh connection (handshake done, request sent 0.3 s after SIGTERM) still gets 200" \
			"s_client's output ends with:" "$(tail -n 3 "$TMP/held.out")" "instance b's log ends with:" \
			"$(tail -n 3 "$TMP/b.err")"
	fi
else
	fail "(e) an s_client connection through HAProxy finished its handshake" "$(tail -n 5 "$TMP/held.err")"
fi
exec {held_fd}>&-
wait "$held_pid" 2>/dev/null
stop_instance b 15
check_eq "instance b exits with status 0 after SIGTERM" 0 "$STOP_STATUS"

kill -TERM "$HA_PID" 2>/dev/null
_wait_gone "$HA_PID" 50 || kill -KILL "$HA_PID" 2>/dev/null
wait "$HA_PID" 2>/dev/null
finish
