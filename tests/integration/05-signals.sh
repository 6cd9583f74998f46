#!/usr/bin/env bash
# 05-signals: SIGTERM and SIGINT stop the server promptly with status 0 and
# close its ports; IPv6 ::1 listeners; host: localhost binds every address.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

www=$TMP/www
mkdir -p "$www"
printf 'signals\n' >"$www/index.html"

conf=$TMP/sig.yaml
write_config "$conf" <<EOF
limits: {idle_timeout: 60s, shutdown_timeout: 30s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
  - {name: echo, host: 127.0.0.1, port: 0, mode: echo}
EOF

# port_closed PORT — nothing accepts TCP connections on 127.0.0.1:PORT.
# shellcheck disable=SC2016,SC2317 # $1 is the inner shell's; called via check_true
port_closed() {
	! timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1' _ "$1" 2>/dev/null
}

for sig in TERM INT; do
	start_server "$conf" || continue
	port=$(port_of https)
	eport=$(port_of echo)
	check_status "SIG$sig run: the files listener serves" 200 https /

	# An idle keep-alive connection must not hold the stop back.
	fifo=$TMP/idle.$sig.fifo
	mkfifo "$fifo"
	timeout $((30 * SLOW)) openssl s_client -quiet -CAfile "$CERTS/ca.crt" -verify_return_error \
		-connect "127.0.0.1:$port" -servername localhost <"$fifo" >"$TMP/idle.$sig.out" 2>/dev/null &
	idle_pid=$!
	track_bg "$idle_pid"
	exec {idle_fd}>"$fifo"
	printf 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n' >&"$idle_fd"
	for ((i = 0; i < 50 * SLOW; i++)); do
		grep -q signals "$TMP/idle.$sig.out" 2>/dev/null && break
		sleep 0.1
	done
	check_file_contains "SIG$sig run: a keep-alive connection got its response" "$TMP/idle.$sig.out" signals

	stop_server "$sig" 10
	if [ "$STOP_STATUS" = 0 ] && [ "$STOP_TENTHS" -le $((50 * SLOW)) ]; then
		pass "SIG$sig: the server stopped within $((5 * SLOW))s with an idle keep-alive connection open ($((STOP_TENTHS / 10)).$((STOP_TENTHS % 10))s)"
	else
		fail "SIG$sig: the server stopped within $((5 * SLOW))s with an idle keep-alive connection open" \
			"status ${STOP_STATUS:-?} after ${STOP_TENTHS:-?} tenths of a second"
	fi
	check_true "SIG$sig: the files port $port is closed" port_closed "$port"
	check_true "SIG$sig: the echo port $eport is closed" port_closed "$eport"
	exec {idle_fd}>&-
	if _wait_gone "$idle_pid" 50; then
		pass "SIG$sig: the idle client's connection was closed"
	else
		fail "SIG$sig: the idle client's connection was closed" "s_client still connected"
		kill "$idle_pid" 2>/dev/null
	fi
	wait "$idle_pid" 2>/dev/null
done

# ---- IPv6 loopback.
if ipv6_available; then
	conf6=$TMP/v6.yaml
	write_config "$conf6" <<EOF
listeners:
  - {name: v4, host: 127.0.0.1, port: 0, mode: files, root: $www}
  - {name: v6, host: "::1", port: 0, mode: files, root: $www}
EOF
	if start_server "$conf6"; then
		check_eq "the v6 listener logs address=::1" "::1" "$(addr_of v6)"
		p6=$(port_of v6)
		body=$(tcurl -g "https://[::1]:$p6/" 2>&1)
		check_eq "curl https://[::1]:PORT/ gets the page" signals "$body"
		check_status "the IPv4 listener beside it serves too" 200 v4 /
		stop_server
	fi
else
	fail "IPv6 ::1 listener" "no IPv6 loopback on this machine"
fi

# ---- host: localhost binds every address getaddrinfo gives for it.
confl=$TMP/localhost.yaml
write_config "$confl" <<EOF
listeners:
  - {name: lh, host: localhost, port: 0, mode: files, root: $www}
EOF
mapfile -t want < <(getent ahosts localhost | awk '$2 == "STREAM" && !seen[$1]++ { print $1 }')
[ ${#want[@]} -gt 0 ] || want=(127.0.0.1)
note "getaddrinfo(localhost): ${want[*]}"
if start_server "$confl"; then
	wait_log 'listening.*name=lh' "${#want[@]}" 30
	for a in "${want[@]}"; do
		case $a in
		*:*) ipv6_available || { fail "host: localhost listens on $a" "no IPv6 loopback"; continue; } ;;
		esac
		p=$(port_of lh "$a")
		if [ -z "$p" ]; then
			fail "host: localhost logs a listening line for $a" "$(grep -a listening "$SERVER_LOG")"
			continue
		fi
		pass "host: localhost logs a listening line for $a (port $p)"
		case $a in *:*) h="[$a]" ;; *) h=$a ;; esac
		body=$(tcurl --resolve "localhost:$p:$h" "https://localhost:$p/" 2>&1)
		check_eq "host: localhost serves on $a" signals "$body"
	done
	[ ${#want[@]} -lt 2 ] && note "getaddrinfo gives only ${want[*]} for localhost here"
	stop_server INT
fi

# ---- signals during start-up. A configuration that takes a while to load
# (ten SNI certificates, each with a client_ca bundle of 100 certificates to
# parse) leaves a window between exec and serving; a SIGHUP or SIGTERM sent
# in it must not kill the server with the signal's default action: SIGHUP is
# taken once the server runs (a reload), SIGTERM stops it cleanly (status 0).
for i in $(seq 100); do cat "$CERTS/ca.crt"; done >"$TMP/bundle.pem"
confs=$TMP/slow-start.yaml
{
	printf 'log: {level: info, error: stderr, access: off}\n'
	printf 'tls: {certificate: %s, key: %s, client_ca: %s, verify_client: optional}\n' \
		"$CERTS/server.crt" "$CERTS/server.key" "$TMP/bundle.pem"
	printf 'listeners:\n  - name: https\n    host: 127.0.0.1\n    port: 0\n    root: %s\n    sni:\n' "$www"
	for i in $(seq 10); do
		printf '      - {names: [s%d.test], certificate: %s, key: %s}\n' "$i" "$CERTS/server.crt" "$CERTS/server.key"
	done
} >"$confs"
t0=$(date +%s%N)
timeout $((60 * SLOW)) "$TLSERVE_BIN" -t -c "$confs" >/dev/null 2>&1
load_ms=$((($(date +%s%N) - t0) / 1000000))
note "loading that configuration takes ${load_ms} ms (tlserve -t)"
# the signal goes a third of the load time after exec (under a wrapper, after
# the wrapper's own start too): inside the window, and past the loader
delay_ms=$((load_ms / 3))
[ -n "$TLSERVE_WRAPPER" ] && delay_ms=$((load_ms * 3 + 2000))
for sig in HUP TERM; do
	log=$TMP/slow-start.$sig.log
	# shellcheck disable=SC2086 # the wrapper is a command line on purpose
	$TLSERVE_PREFIX $TLSERVE_WRAPPER "$TLSERVE_BIN" -c "$confs" >/dev/null 2>"$log" &
	pid=$!
	watch_log "$log"
	track_bg "$pid"
	sleep "$(awk -v m="$delay_ms" 'BEGIN { printf "%.3f", m / 1000 }')"
	listening_before=$(grep -ac 'listening name=' "$log")
	kill -"$sig" "$pid"
	# bounded wait: listening (HUP) or exit (TERM)
	for ((i = 0; i < 100 * SLOW; i++)); do
		[ "$sig" = HUP ] && grep -aq 'configuration reloaded' "$log" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ "$listening_before" -ne 0 ]; then
		fail "SIG$sig during start-up: sent before the server was listening" \
			"the server was already listening after ${delay_ms} ms"
	fi
	if [ "$sig" = HUP ]; then
		check_true "SIGHUP during start-up: the server is running" kill -0 "$pid"
		check_file_contains "... it listens" "$log" "listening name=https"
		check_file_contains "... and the SIGHUP was not lost: a reload followed" "$log" \
			"configuration reloaded"
		kill -TERM "$pid" 2>/dev/null
	fi
	for ((i = 0; i < 100 * SLOW; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
	st=$?
	check_eq "SIG$sig during start-up: the server exits with status 0, not killed by the signal" 0 "$st"
	check_file_not_contains "... and reports no error" "$log" "[error]"
done

finish
