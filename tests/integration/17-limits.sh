#!/usr/bin/env bash
# 17-limits: the limits: section against clients that hold connections —
# max_connections (a new connection over it is closed at once, logged, and the
# server serves again when the holders leave); handshake_timeout (a silent TCP
# client); header_timeout against many slowloris connections at once;
# idle_timeout right after the handshake (close_notify); a slow but steady
# download is not cut while a client that never reads is; min_send_rate.
# One connection's 408 at header_timeout and idle_timeout between keep-alive
# requests are 10-protocol.sh's checks and are not repeated here.
# Clients: tests/tools/hostile.c ($HOSTILE) and curl. Runs in about 50 s.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

HOSTILE=${HOSTILE:-$REPO/build/tools/hostile}
case $HOSTILE in /*) ;; *) HOSTILE=$REPO/${HOSTILE#./} ;; esac

if [ ! -x "$HOSTILE" ]; then
	fail "limits" "no $HOSTILE (make unit-bins builds it)"
	finish
fi

# ---------------------------------------------------------------- helpers

now_ms() { date +%s%3N; }

# hostile NAME ARGS... — the hostile client against listener NAME, verifying the
# server with the test CA; its own -t bounds it, the timeout is a safety net.
hostile() {
	local name=$1 port host
	shift
	port=$(port_of "$name")
	host=$(addr_of "$name")
	timeout -k 5 $((120 * SLOW)) "$HOSTILE" -h "${host:-127.0.0.1}" -p "$port" \
		-c "$CERTS/ca.crt" -w $((10 * SLOW)) "$@"
}

# hostile_bg OUT NAME ARGS... — the same in the background, output to OUT. Sets
# HPID: the timeout process, which passes a SIGTERM on to hostile (which then
# prints its summary and closes its connections).
hostile_bg() {
	local out=$1 name=$2 port host
	shift 2
	port=$(port_of "$name")
	host=$(addr_of "$name")
	timeout -k 5 $((120 * SLOW)) "$HOSTILE" -h "${host:-127.0.0.1}" -p "$port" \
		-c "$CERTS/ca.crt" -w $((10 * SLOW)) "$@" >"$out" 2>&1 &
	HPID=$!
	track_bg "$HPID"
}

# hfield FILE KEY — KEY's value on the last summary line of a hostile output.
hfield() {
	grep -a '^hostile: mode=' "$1" 2>/dev/null | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# hsummary FILE — the summary line, for failure details.
hsummary() { grep -a '^hostile: ' "$1" 2>/dev/null | tail -n 3; }

# wait_ready FILE TENTHS — until hostile has set up every connection.
wait_ready() { wait_file_match "$1" '^hostile: ready ' "$2"; }

# in_range DESC VALUE LOW HIGH — LOW <= VALUE <= HIGH (integers).
in_range() {
	local v=${2:-x}
	case $v in '' | *[!0-9]*) fail "$1" "not a number: '$2'"; return 1 ;; esac
	if [ "$v" -ge "$3" ] && [ "$v" -le "$4" ]; then
		pass "$1 ($v)"
	else
		fail "$1" "expected $3..$4, got $v"
	fi
}

# log_count ERE — lines of the server's error log matching.
log_count() { grep -aEc -- "$1" "$SERVER_LOG" 2>/dev/null || true; }

# wait_log_ms ERE MAX_MS — wait for a log line; prints the ms waited (or nothing).
wait_log_ms() {
	local t0 i
	t0=$(now_ms)
	for ((i = 0; i < $2 / 100; i++)); do
		if grep -aEq -- "$1" "$SERVER_LOG" 2>/dev/null; then
			echo $(($(now_ms) - t0))
			return 0
		fi
		sleep 0.1
	done
	return 1
}

www=$TMP/www
mkdir -p "$www"
printf 'small\n' >"$www/small.txt"
random_file "$www/2m.bin" $((2 * 1024 * 1024))
random_file "$www/big.bin" $((32 * 1024 * 1024))

# ---------------------------------------------------------------- max_connections
conf=$TMP/maxconn.yaml
CFG_WORKERS=2 CFG_LEVEL=info write_config "$conf" <<EOF
limits: {max_connections: 50}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
if start_server "$conf"; then
	hostile_bg "$TMP/maxconn.out" https -t $((40 * SLOW)) silent-tls 60
	hpid=$HPID
	if wait_ready "$TMP/maxconn.out" $((200 * SLOW)); then
		ready=$(grep -a '^hostile: ready' "$TMP/maxconn.out")
		note "$ready"
		check_contains "max_connections: 50 — 50 of 60 silent TLS connections are held" "$ready" "established=50 "
		check_contains "... and the other 10 are closed during their handshake" "$ready" "failed=10"
		t0=$(now_ms)
		got=$(status_of https /small.txt)
		ms=$(($(now_ms) - t0))
		check_eq "with 50 held, a new request fails" 000 "$got"
		in_range "... at once, not by a timeout (ms)" "$ms" 0 $((3000 * SLOW))
		if wait_log 'max_connections \(50\) reached' 1 30; then
			pass "the server logs that max_connections was reached"
		else
			fail "the server logs that max_connections was reached" "$(server_log_tail)"
		fi
		# rate-limited (a line a second per worker), not one per refused connection (11)
		n=$(log_count 'max_connections \(50\) reached')
		in_range "... a line or so, not one per refused connection (lines)" "$n" 1 4
		check_true "the server is still running" server_alive
	else
		fail "max_connections: hostile set up its 60 connections" "$(hsummary "$TMP/maxconn.out")"
	fi
	kill -TERM "$hpid" 2>/dev/null
	wait "$hpid" 2>/dev/null
	note "$(hsummary "$TMP/maxconn.out" | tail -n 1)"
	check_eq "... the held connections stayed open until the client closed them" 50 \
		"$(hfield "$TMP/maxconn.out" open)"
	ok=""
	for ((i = 0; i < 50 * SLOW; i++)); do
		[ "$(status_of https /small.txt)" = 200 ] && { ok=1; break; }
		sleep 0.1
	done
	if [ -n "$ok" ]; then
		pass "once the holders are gone, the server serves again"
	else
		fail "once the holders are gone, the server serves again" "$(server_log_tail)"
	fi
	stop_server
fi

# ---------------------------------------------------------------- timeouts
# All at once on one server: silent TCP clients (handshake_timeout), silent TLS
# clients (idle_timeout after the handshake), slowloris clients
# (header_timeout), a client that never reads (idle_timeout while sending,
# from 127.0.0.2 to tell its log line apart), and two steady downloads at
# 200 KB/s (must not be cut by idle_timeout: they make progress).
conf=$TMP/timeouts.yaml
CFG_WORKERS=2 CFG_LEVEL=info write_config "$conf" <<EOF
limits: {handshake_timeout: 1s, header_timeout: 2s, idle_timeout: 2s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
if start_server "$conf"; then
	port=$(port_of https)
	hostile_bg "$TMP/silent.out" https -t $((16 * SLOW)) silent 3
	p_silent=$HPID
	hostile_bg "$TMP/silenttls.out" https -t $((10 * SLOW)) silent-tls 3
	p_stls=$HPID
	hostile_bg "$TMP/loris.out" https -t $((10 * SLOW)) -i 300 slowloris 5
	p_loris=$HPID
	t_noread=$(now_ms)
	# the non-reading and the steady client run for hold_s: their pace is the
	# client's, a slow server only needs a little more time for the handshake
	hold_s=$((10 + HOLD_SETUP))
	hostile_bg "$TMP/noread.out" https -t "$hold_s" -s 127.0.0.2 noread /big.bin
	p_noread=$HPID
	# the brief's case (2 MiB: it fits in the socket buffers, so the server is
	# done writing early) and a longer one the buffers cannot hide (10 s of a 32 MiB file)
	tcurl --resolve "localhost:$port:127.0.0.1" --limit-rate 200k \
		-o "$TMP/2m.out" -w '%{http_code}' "https://localhost:$port/2m.bin" \
		>"$TMP/2m.code" 2>"$TMP/2m.err" &
	p_c2=$!
	# A steady reader of a large file with a 4 KiB receive buffer: what it has
	# not read is not acknowledged, so the server sees its pace. (A client with
	# megabytes of receive buffer acknowledges in bursts half a buffer apart —
	# about 10 s at 200 KB/s on loopback — which no 2 s timeout can tell from a
	# stall; idle_timeout's default of 60 s can.)
	hostile_bg "$TMP/steady.out" https -t "$hold_s" slowread 1 200000 /big.bin
	p_steady=$HPID
	track_bg "$p_c2"

	# the client that never reads: cut after idle_timeout without progress
	t_wait=$(now_ms)
	if ms=$(wait_log_ms 'https 127\.0\.0\.2: send timed out' $((8000 * SLOW))); then
		ms=$((ms + t_wait - t_noread))
		pass "idle_timeout: 2s — a client that never reads is cut: \"send timed out\" after ~${ms} ms"
		in_range "... not before idle_timeout, nor long after (ms)" "$ms" 1500 $((5000 * SLOW))
	else
		fail "idle_timeout: 2s — a client that never reads is cut (\"send timed out\" within $((8 * SLOW))s)" \
			"$(server_log_tail)"
	fi

	wait "$p_steady"
	wait "$p_c2"
	c2_rc=$?
	check_eq "a 2 MiB download at 200 KB/s completes (curl status)" 0 "$c2_rc"
	check_eq "... with 200" 200 "$(cat "$TMP/2m.code" 2>/dev/null)"
	check_same_file "... byte-exact" "$www/2m.bin" "$TMP/2m.out"
	note "$(hsummary "$TMP/steady.out" | tail -n 2 | tr '\n' ' ')"
	check_eq "a steady 200 KB/s reader of a 32 MiB file is still open at the end of its run" 0 \
		"$(hfield "$TMP/steady.out" closed)"
	size=$(grep -a '^hostile: conn=' "$TMP/steady.out" | head -n 1 | tr ' ' '\n' | sed -n 's/^body=//p')
	in_range "... receiving its bytes all along (bytes in $hold_s s)" "${size:-0}" \
		$((1024 * 1024)) $((32 * 1024 * 1024))
	n=$(log_count 'https 127\.0\.0\.1: send timed out')
	if [ "$n" -eq 0 ]; then
		pass "idle_timeout: 2s does not cut a download that makes progress (no \"send timed out\" for it)"
	else
		fail "idle_timeout: 2s does not cut a download that makes progress" \
			"the server logged \"send timed out\" $n time(s) for the 200 KB/s readers:" \
			"$(grep -a 'send timed out' "$SERVER_LOG" | head -n 3)"
	fi

	wait "$p_stls" "$p_loris" "$p_noread"
	note "$(hsummary "$TMP/silenttls.out" | tail -n 1)"
	check_eq "idle_timeout: 2s — 3 silent TLS connections are closed" 3 "$(hfield "$TMP/silenttls.out" closed)"
	check_eq "... each with close_notify" 3 "$(hfield "$TMP/silenttls.out" close_notify)"
	in_range "... first after idle_timeout (ms)" "$(hfield "$TMP/silenttls.out" close_ms_min)" 1900 $((4500 * SLOW))
	in_range "... last (ms)" "$(hfield "$TMP/silenttls.out" close_ms_max)" 1900 $((4500 * SLOW))

	note "$(hsummary "$TMP/loris.out" | tail -n 1)"
	check_eq "header_timeout: 2s — 5 slowloris connections (a byte every 300 ms) are closed" 5 \
		"$(hfield "$TMP/loris.out" closed)"
	check_eq "... each after a 408" 5 "$(hfield "$TMP/loris.out" status_408)"
	in_range "... first at header_timeout (ms)" "$(hfield "$TMP/loris.out" close_ms_min)" 1900 $((4500 * SLOW))
	in_range "... last (ms)" "$(hfield "$TMP/loris.out" close_ms_max)" 1900 $((4500 * SLOW))

	note "$(hsummary "$TMP/noread.out" | tail -n 1)"
	check_eq "... the non-reading client finds its response cut short when it finally reads" 1 \
		"$(hfield "$TMP/noread.out" cut)"

	# handshake_timeout: 1s. The listener sets TCP_DEFER_ACCEPT (5 s): the
	# kernel keeps a connection that sent no data out of accept() and
	# retransmits its SYN-ACK (after 1, 2 and 4 s) until the deferral is over,
	# so a silent client reaches the server's handshake timer only ~7 s after
	# its connect(). Expect the close at 1 s + ~7 s, within 1 + 8 s + slack.
	wait "$p_silent"
	note "$(hsummary "$TMP/silent.out" | tail -n 1)"
	check_eq "handshake_timeout: 1s — 3 silent TCP connections are closed" 3 "$(hfield "$TMP/silent.out" closed)"
	in_range "... not before handshake_timeout (ms after connect)" "$(hfield "$TMP/silent.out" close_ms_min)" \
		1000 $((12000 * SLOW))
	in_range "... within handshake_timeout + the deferred accept (ms after connect)" \
		"$(hfield "$TMP/silent.out" close_ms_max)" 1000 $((12000 * SLOW))
	n=$(log_count 'https 127\.0\.0\.1: handshake timed out')
	in_range "... each logged once as \"handshake timed out\"" "$n" 3 3
	check_status "the server still serves" 200 https /small.txt
	stop_server
fi

# ---------------------------------------------------------------- echo: a client that does not read
# It sends 8 MiB and reads nothing: the echoed bytes fill both socket
# buffers, the server's write blocks and it stops reading (bounded memory).
# idle_timeout: 2s without the client taking bytes ends it: about 2 s after
# the stall, not twice that (the acknowledgements of bytes still in flight
# when the writes blocked are not the client reading).
conf=$TMP/echo-idle.yaml
CFG_LEVEL=info write_config "$conf" <<EOF
limits: {idle_timeout: 2s}
listeners:
  - {name: echo, host: 127.0.0.1, port: 0, mode: echo}
EOF
if start_server "$conf"; then
	hostile echo -t $((15 * SLOW)) flood $((8 * 1024 * 1024)) >"$TMP/flood.out" 2>&1
	note "$(hsummary "$TMP/flood.out" | tail -n 1)"
	check_eq "echo, idle_timeout: 2s — a client that sends and never reads is cut" 1 \
		"$(hfield "$TMP/flood.out" closed)"
	in_range "... after idle_timeout, well before twice it (ms after connect)" \
		"$(hfield "$TMP/flood.out" close_ms_min)" 1900 $((3500 * SLOW))
	n=$(log_count 'echo 127\.0\.0\.1: send timed out')
	check_eq "... logged once as \"send timed out\"" 1 "$n"
	check_true "the server is still running" server_alive
	stop_server
fi

# ---------------------------------------------------------------- min_send_rate
# A reader taking 2000 bytes/s (SO_RCVBUF 4 KiB) of a 32 MiB file. With
# min_send_rate: 100k it must be cut once the first 10 s window is over;
# idle_timeout is 30 s so that no other limit can be what cuts it. The
# server's socket buffer swallows the first megabytes at once, so the client
# cannot see the cut for minutes: the server's log line is what is timed.
conf=$TMP/rate.yaml
CFG_LEVEL=info write_config "$conf" <<EOF
limits: {idle_timeout: 30s, min_send_rate: 100k}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
if start_server "$conf"; then
	# the times are the reader's and the limit's, not the server's speed: not scaled by SLOW
	hostile_bg "$TMP/rate.out" https -t 20 slowread 1 2000 /big.bin
	hpid=$HPID
	if ms=$(wait_log_ms 'reading slower than min_send_rate' 19000); then
		pass "min_send_rate: 100k — a 2000 B/s reader is cut (after ~${ms} ms)"
		in_range "... after the first 10 s window, not long after (ms)" "$ms" 9000 16000
	else
		fail "min_send_rate: 100k — a 2000 B/s reader is cut within 19s" \
			"no \"reading slower than min_send_rate\" line; the reader: $(grep -a '^hostile: conn=' "$TMP/rate.out")" \
			"$(server_log_tail 5)"
	fi
	kill -TERM "$hpid" 2>/dev/null
	wait "$hpid" 2>/dev/null
	note "$(hsummary "$TMP/rate.out" | tail -n 1)"
	check_status "the server still serves" 200 https /small.txt
	stop_server
fi

# With the default min_send_rate (0: off) the same reader is not cut in 15 s.
conf=$TMP/norate.yaml
CFG_LEVEL=info write_config "$conf" <<EOF
limits: {idle_timeout: 30s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
if start_server "$conf"; then
	hostile https -t 15 slowread 1 2000 /big.bin >"$TMP/norate.out" 2>&1
	note "$(grep -a '^hostile: conn=' "$TMP/norate.out")"
	check_eq "min_send_rate: 0 — a 2000 B/s reader is still open after 15 s" open \
		"$(grep -a '^hostile: conn=0 ' "$TMP/norate.out" | tr ' ' '\n' | sed -n 's/^state=//p')"
	in_range "... and read at its pace all along (bytes)" "$(hfield "$TMP/norate.out" body_total)" 20000 40000
	n=$(log_count 'min_send_rate|send timed out')
	check_eq "... nothing about it in the server log" 0 "$n"
	stop_server
fi

finish
