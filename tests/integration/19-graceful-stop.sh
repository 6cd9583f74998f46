#!/usr/bin/env bash
# 19-graceful-stop: SIGTERM is a graceful stop — the listening sockets close
# at once (new connections are refused), a download in flight completes
# byte-exact and the server exits 0 after it; a client that never reads
# holds the stop back no longer than limits.shutdown_timeout; an idle
# keep-alive connection gets close_notify promptly.
# (05-signals.sh checks the plain stop and that an idle connection is closed.)
# Clients: curl, openssl s_client and tests/tools/hostile.c ($HOSTILE). About 15 s.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

HOSTILE=${HOSTILE:-$REPO/build/tools/hostile}
case $HOSTILE in /*) ;; *) HOSTILE=$REPO/${HOSTILE#./} ;; esac

now_ms() { date +%s%3N; }

# port_refuses PORT — a TCP connect to 127.0.0.1:PORT is refused (or fails).
# shellcheck disable=SC2016 # $1 is the inner shell's
port_refuses() { ! timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1' _ "$1" 2>/dev/null; }

# term_wait MAX_SECONDS T0_MS — after a SIGTERM sent at T0_MS, wait (bounded) for
# the server to exit; sets STOP_STATUS (its status, or "running" when it had to
# be killed) and STOP_MS (ms from T0_MS to its exit).
term_wait() {
	local max=$1 t0=$2 pid=$SERVER_PID i
	for ((i = 0; i < max * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	STOP_MS=$(($(now_ms) - t0))
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		STOP_STATUS=running
	else
		wait "$pid"
		STOP_STATUS=$?
	fi
	SERVER_PID=""
}

www=$TMP/www
mkdir -p "$www"
printf 'small\n' >"$www/small.txt"
random_file "$www/32m.bin" $((32 * 1024 * 1024))

# ---------------------------------------------------------------- a download in flight
conf=$TMP/stop.yaml
CFG_WORKERS=2 write_config "$conf" <<EOF
limits: {shutdown_timeout: 30s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
if start_server "$conf"; then
	port=$(port_of https)
	# 32 MiB at 8 MB/s: about 4 s
	tcurl --max-time $((60 * SLOW)) --resolve "localhost:$port:127.0.0.1" --limit-rate 8M \
		-o "$TMP/dl.out" -w '%{http_code}' "https://localhost:$port/32m.bin" >"$TMP/dl.code" 2>"$TMP/dl.err" &
	cpid=$!
	track_bg "$cpid"
	for ((i = 0; i < 100 * SLOW; i++)); do
		sz=$(stat -c %s "$TMP/dl.out" 2>/dev/null)
		[ "${sz:-0}" -ge $((1024 * 1024)) ] && break
		sleep 0.1
	done
	got=$(stat -c %s "$TMP/dl.out" 2>/dev/null)
	note "SIGTERM after $got bytes of 33554432"
	t0=$(now_ms)
	kill -TERM "$SERVER_PID"
	refused=""
	for ((i = 0; i < 20 * SLOW; i++)); do
		port_refuses "$port" && { refused=$(($(now_ms) - t0)); break; }
		sleep 0.05
	done
	if [ -n "$refused" ]; then
		pass "right after SIGTERM, new connections are refused (after $refused ms)"
	else
		fail "right after SIGTERM, new connections are refused (within $((SLOW))s)" "$(server_log_tail)"
	fi
	code=$(status_of https /small.txt)
	check_eq "... a new request fails" 000 "$code"
	wait "$cpid"
	crc=$?
	t_dl=$(($(now_ms) - t0))
	check_eq "the download in flight completes (curl status)" 0 "$crc"
	check_eq "... with 200" 200 "$(cat "$TMP/dl.code")"
	check_same_file "... byte-exact (sha256)" "$www/32m.bin" "$TMP/dl.out"
	note "the download finished $t_dl ms after SIGTERM"
	term_wait $((20 * SLOW)) "$t0"
	check_eq "the server exits with status 0 after it" 0 "$STOP_STATUS"
	if [ "$STOP_STATUS" != running ] && [ "$STOP_MS" -ge "$((t_dl - 200))" ]; then
		pass "... not before the download was done (exit at $STOP_MS ms, download done at $t_dl ms)"
	else
		fail "... not before the download was done" "exit at $STOP_MS ms, download done at $t_dl ms"
	fi
	if [ "$STOP_STATUS" != running ] && [ "$STOP_MS" -le $((t_dl + 3000 * SLOW)) ]; then
		pass "... and promptly after it"
	else
		fail "... and promptly after it" "exit at $STOP_MS ms, download done at $t_dl ms"
	fi
fi

# ---------------------------------------------------------------- shutdown_timeout
conf=$TMP/shutdown.yaml
write_config "$conf" <<EOF
limits: {shutdown_timeout: 1s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
if [ ! -x "$HOSTILE" ]; then
	fail "shutdown_timeout: 1s with a client that never reads" "no $HOSTILE (make unit-bins builds it)"
elif start_server "$conf"; then
	timeout -k 5 $((60 * SLOW)) "$HOSTILE" -h 127.0.0.1 -p "$(port_of https)" -c "$CERTS/ca.crt" \
		-t $((20 * SLOW)) noread /32m.bin >"$TMP/noread.out" 2>&1 &
	hpid=$!
	track_bg "$hpid"
	wait_file_match "$TMP/noread.out" '^hostile: ready ' $((100 * SLOW))
	sleep 0.5   # the response is under way, the socket buffers full
	t0=$(now_ms)
	kill -TERM "$SERVER_PID"
	term_wait $((10 * SLOW)) "$t0"
	check_eq "shutdown_timeout: 1s — with a client that never reads, SIGTERM: status 0" 0 "$STOP_STATUS"
	if [ "$STOP_STATUS" != running ] && [ "$STOP_MS" -ge 800 ] && [ "$STOP_MS" -le $((3000 * SLOW)) ]; then
		pass "... the server waits out shutdown_timeout, then exits ($STOP_MS ms)"
	else
		fail "... the server waits out shutdown_timeout, then exits (0.8 s .. $((3 * SLOW)) s)" \
			"exit after $STOP_MS ms (status $STOP_STATUS)" "$(tail -n 5 "$SERVER_LOG")"
	fi
	kill -TERM "$hpid" 2>/dev/null
	wait "$hpid" 2>/dev/null
fi

# ---------------------------------------------------------------- an idle keep-alive connection
conf=$TMP/idle.yaml
write_config "$conf" <<EOF
limits: {idle_timeout: 60s, shutdown_timeout: 30s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
if start_server "$conf"; then
	# -msg prints the TLS records: the server's close_notify alert shows as "<<< ... close_notify"
	conn_open https -msg
	conn_write $'GET /small.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
	if conn_wait_for small 50; then
		pass "an idle keep-alive connection got its response"
	else
		fail "an idle keep-alive connection got its response" "$(excerpt "$CONN_OUT")"
	fi
	sleep 0.3
	t0=$(now_ms)
	kill -TERM "$SERVER_PID"
	if conn_wait_closed 30; then
		ms=$(($(now_ms) - t0))
		pass "SIGTERM: the idle connection is closed promptly ($ms ms)"
	else
		fail "SIGTERM: the idle connection is closed within $((3 * SLOW))s" "$(tail -n 5 "$CONN_OUT")"
	fi
	if grep -aEq '^<<< TLS 1\.[23], Alert .*close_notify' "$CONN_OUT"; then
		pass "... with close_notify from the server"
	else
		fail "... with close_notify from the server" "$(grep -a '<<<' "$CONN_OUT" | tail -n 4)"
	fi
	conn_close
	term_wait $((10 * SLOW)) "$t0"
	check_eq "the server exits with status 0" 0 "$STOP_STATUS"
fi

finish
