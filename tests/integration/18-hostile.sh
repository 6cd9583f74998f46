#!/usr/bin/env bash
# 18-hostile: the server under hostile clients from this machine —
# 500 slowloris + 500 silent TLS connections held while 50 ordinary requests
# (each a new connection and a full handshake) all succeed; 200 slow readers
# and a client that never reads a 64 MiB file cost bounded memory (VmRSS);
# plain HTTP, random bytes, a truncated ClientHello, a reset mid-response and
# junk after the handshake cost one log line each at info and none at warn;
# the server never crashes and stops with status 0.
# Under a wrapper (valgrind) the counts drop to 50 + 50, 20 readers and 20
# requests, and memory is not asserted (valgrind's own RSS is what one sees).
# Clients: tests/tools/hostile.c ($HOSTILE). Runs in about 40 s.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

HOSTILE=${HOSTILE:-$REPO/build/tools/hostile}
case $HOSTILE in /*) ;; *) HOSTILE=$REPO/${HOSTILE#./} ;; esac

if [ ! -x "$HOSTILE" ]; then
	fail "hostile clients" "no $HOSTILE (make unit-bins builds it)"
	finish
fi

# 1000 held connections need more descriptors than the usual 1024, for the
# server (a child of this script) as for the client.
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
	if ! ulimit -n 4096 2>/dev/null; then
		fail "hostile clients" "ulimit -n is $(ulimit -n) and cannot be raised to 4096 (hard limit $(ulimit -Hn))"
		finish
	fi
fi
note "ulimit -n $(ulimit -n)"

# (HOLD_SETUP, lib.sh: seconds added to a holding run under a slow wrapper)
if [ -n "$TLSERVE_WRAPPER" ]; then
	N_ATTACK=50 N_READERS=20 N_LATENCY=20 MEASURE_RSS="" RSS_WHY="not measured under $TLSERVE_WRAPPER"
else
	N_ATTACK=500 N_READERS=200 N_LATENCY=50 MEASURE_RSS=1 RSS_WHY=""
fi
# AddressSanitizer's shadow memory and quarantine of freed blocks make VmRSS
# say nothing about the server's own memory (make asan): report, do not assert.
if grep -aq __asan_init "$TLSERVE_BIN" 2>/dev/null; then
	MEASURE_RSS="" RSS_WHY="not asserted for an AddressSanitizer build"
fi
RSS_MAX_GROWTH_KB=$((16 * 1024))

# ---------------------------------------------------------------- helpers

hostile() {   # NAME ARGS... — bounded by its -t; the timeout is a safety net
	local name=$1 port host
	shift
	port=$(port_of "$name")
	host=$(addr_of "$name")
	timeout -k 5 $((120 * SLOW)) "$HOSTILE" -h "${host:-127.0.0.1}" -p "$port" \
		-c "$CERTS/ca.crt" -w $((10 * SLOW)) "$@"
}

hostile_bg() {   # OUT NAME ARGS... — in the background; HPID is the timeout process (it passes SIGTERM on)
	local out=$1 name=$2 port host
	shift 2
	port=$(port_of "$name")
	host=$(addr_of "$name")
	timeout -k 5 $((120 * SLOW)) "$HOSTILE" -h "${host:-127.0.0.1}" -p "$port" \
		-c "$CERTS/ca.crt" -w $((10 * SLOW)) "$@" >"$out" 2>&1 &
	HPID=$!
	track_bg "$HPID"
}

hfield() {   # FILE KEY — KEY's value on the last summary line
	grep -a '^hostile: mode=' "$1" 2>/dev/null | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

hready_field() {   # FILE KEY — KEY's value on the ready line
	grep -a '^hostile: ready ' "$1" 2>/dev/null | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

hsummary() { grep -a '^hostile: ' "$1" 2>/dev/null | grep -av '^hostile: conn=' | tail -n 2; }

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null; }

# check_rss DESC BEFORE_KB PEAK_KB
check_rss() {
	local growth=$(($3 - $2))
	note "$1: VmRSS before ${2} kB, peak during ${3} kB, growth ${growth} kB"
	if [ -z "$MEASURE_RSS" ]; then
		note "$1: memory growth not asserted: $RSS_WHY"
	elif [ "$growth" -lt "$RSS_MAX_GROWTH_KB" ]; then
		pass "$1: memory growth under $((RSS_MAX_GROWTH_KB / 1024)) MiB ($((growth / 1024)) MiB)"
	else
		fail "$1: memory growth under $((RSS_MAX_GROWTH_KB / 1024)) MiB" \
			"VmRSS went from $2 kB to $3 kB"
	fi
}

# sample_rss SECONDS — the highest VmRSS seen over SECONDS (every 0.5 s) in RSS_PEAK.
sample_rss() {
	local i r
	RSS_PEAK=$(rss_kb)
	for ((i = 0; i < $1 * 2; i++)); do
		sleep 0.5
		r=$(rss_kb)
		[ -n "$r" ] && [ "$r" -gt "${RSS_PEAK:-0}" ] && RSS_PEAK=$r
	done
}

alive() {   # DESC
	if server_alive; then pass "$1"; else fail "$1" "$(server_log_tail 30)"; fi
}

www=$TMP/www
mkdir -p "$www"
printf 'small\n' >"$www/small.txt"
random_file "$www/1m.bin" $((1024 * 1024))
random_file "$www/64m.bin" $((64 * 1024 * 1024))

# header_timeout is raised so that the slowloris connections are all still
# held while the requests are timed (at the default 10 s they would be cut
# with a 408 part-way through: 17-limits.sh checks that).
conf=$TMP/hostile.yaml
CFG_WORKERS=2 CFG_LEVEL=info write_config "$conf" <<EOF
limits: {header_timeout: 60s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
start_server "$conf" || finish

# ---------------------------------------------------------------- slowloris + silent TLS
rss0=$(rss_kb)
hostile_bg "$TMP/loris.out" https -t $((40 * SLOW)) slowloris "$N_ATTACK"
p_loris=$HPID
hostile_bg "$TMP/silent.out" https -t $((40 * SLOW)) silent-tls "$N_ATTACK"
p_silent=$HPID
wait_file_match "$TMP/loris.out" '^hostile: ready ' $((300 * SLOW))
wait_file_match "$TMP/silent.out" '^hostile: ready ' $((300 * SLOW))
check_eq "$N_ATTACK slowloris connections are set up (handshake done, head dripping)" "$N_ATTACK" \
	"$(hready_field "$TMP/loris.out" established)"
check_eq "$N_ATTACK silent TLS connections are set up" "$N_ATTACK" "$(hready_field "$TMP/silent.out" established)"
sleep 2   # a couple of drips
rss_attack=$(rss_kb)
hostile https -t $((60 * SLOW)) latency "$N_LATENCY" /small.txt >"$TMP/latency.out" 2>&1
lat_rc=$?
lat=$(grep -a '^hostile: mode=latency' "$TMP/latency.out")
note "under attack: $lat"
check_eq "under attack, $N_LATENCY new-connection GETs all succeed (hostile latency status)" 0 "$lat_rc"
check_eq "... $N_LATENCY of $N_LATENCY answered 200 in full" "$N_LATENCY" "$(hfield "$TMP/latency.out" ok)"
note "p99 under attack: $(hfield "$TMP/latency.out" p99_ms) ms (p50 $(hfield "$TMP/latency.out" p50_ms) ms, max $(hfield "$TMP/latency.out" max_ms) ms)"
kill -TERM "$p_loris" "$p_silent" 2>/dev/null
wait "$p_loris" "$p_silent" 2>/dev/null
note "$(hsummary "$TMP/loris.out" | tail -n 1)"
note "$(hsummary "$TMP/silent.out" | tail -n 1)"
check_eq "... while every slowloris connection was still held" "$N_ATTACK" "$(hfield "$TMP/loris.out" open)"
check_eq "... and every silent TLS connection" "$N_ATTACK" "$(hfield "$TMP/silent.out" open)"
note "VmRSS ${rss0:-?} kB before the attack, ${rss_attack:-?} kB with $((2 * N_ATTACK)) connections held"
alive "the server is alive after the attack"

# ---------------------------------------------------------------- slow readers
sleep 1   # let the attack's connections go
rss_before=$(rss_kb)
hostile_bg "$TMP/slowread.out" https -t $((15 + HOLD_SETUP)) slowread "$N_READERS" 512 /1m.bin
p_read=$HPID
sample_rss $((14 + HOLD_SETUP))
wait "$p_read"
note "$(hsummary "$TMP/slowread.out" | tail -n 1)"
check_eq "$N_READERS slow readers (512 B/s of a 1 MiB file) stay connected for 15 s" "$N_READERS" \
	"$(hfield "$TMP/slowread.out" open)"
check_rss "$N_READERS slow readers" "${rss_before:-0}" "${RSS_PEAK:-0}"
alive "the server is alive after the slow readers"

# ---------------------------------------------------------------- a client that never reads
sleep 1
rss_before=$(rss_kb)
hostile_bg "$TMP/noread.out" https -t $((8 + HOLD_SETUP)) noread /64m.bin
p_noread=$HPID
sample_rss $((5 + HOLD_SETUP))
wait "$p_noread"
note "$(hsummary "$TMP/noread.out" | tail -n 1)"
check_eq "a client that never reads a 64 MiB file holds its connection" 1 "$(hfield "$TMP/noread.out" established)"
check_rss "a client that never reads a 64 MiB file" "${rss_before:-0}" "${RSS_PEAK:-0}"
alive "the server is alive after the non-reading client"

# ---------------------------------------------------------------- garbage
# From 127.0.0.2, so the server's lines about these connections can be counted.
hostile https -w $((3 * SLOW)) -s 127.0.0.2 garbage /64m.bin >"$TMP/garbage.out" 2>&1
g=$(grep -a '^hostile: mode=garbage' "$TMP/garbage.out")
note "$g"
check_eq "garbage: plain HTTP on the TLS port gets the 400 hint" 400 "$(hfield "$TMP/garbage.out" plain)"
check_eq "garbage: 4 KiB of random bytes: the server closes" closed "$(hfield "$TMP/garbage.out" random)"
check_eq "garbage: junk after the handshake: the server closes" closed "$(hfield "$TMP/garbage.out" junk)"
check_eq "garbage: a reset mid-response was sent" reset "$(hfield "$TMP/garbage.out" reset)"
sleep 0.5
alive "the server is alive after the garbage"
check_status "... and serves" 200 https /small.txt
n=$(grep -ac '127\.0\.0\.2' "$SERVER_LOG")
note "error log lines about the 5 garbage connections at level info: $n"
grep -a '127\.0\.0\.2' "$SERVER_LOG" | head -n 8 | sed 's/^/#   /'
if [ "$n" -le 5 ]; then
	pass "log: {level: info} — at most one line per garbage connection ($n for 5)"
else
	fail "log: {level: info} — at most one line per garbage connection" "$n lines for 5 connections"
fi
stop_server

# At level warn the server logs no "listening" line, which is how lib.sh finds
# the port: this one is started by hand and its port read with ss.
CFG_WORKERS=2 CFG_LEVEL=warn write_config "$conf" <<EOF
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
if ! command -v ss >/dev/null 2>&1; then
	fail "log: {level: warn} — garbage makes no log line" "no ss(8) to find the port"
else
	N_SERVER=$((N_SERVER + 1))
	SERVER_LOG=$TMP/server.$N_SERVER.log
	# shellcheck disable=SC2086 # the wrapper is a command line on purpose
	$TLSERVE_WRAPPER "$TLSERVE_BIN" -c "$conf" >"$TMP/server.$N_SERVER.out" 2>"$SERVER_LOG" &
	SERVER_PID=$!
	wport=""
	for ((i = 0; i < START_TRIES; i++)); do
		wport=$(ss -Hltnp 2>/dev/null | grep -F "pid=$SERVER_PID," | awk '{ n = split($4, a, ":"); print a[n]; exit }')
		[ -n "$wport" ] && break
		server_alive || break
		sleep 0.1
	done
	if [ -n "$wport" ]; then
		pass "server started at log level warn (port $wport, found with ss)"
		timeout -k 5 $((60 * SLOW)) "$HOSTILE" -h 127.0.0.1 -p "$wport" -c "$CERTS/ca.crt" \
			-w $((3 * SLOW)) -s 127.0.0.3 garbage /64m.bin >"$TMP/garbage2.out" 2>&1
		note "$(grep -a '^hostile: mode=garbage' "$TMP/garbage2.out")"
		check_eq "log: {level: warn} — plain HTTP still gets the 400 hint" 400 "$(hfield "$TMP/garbage2.out" plain)"
		sleep 0.5
		alive "log: {level: warn} — the server is alive after the garbage"
		check_eq "log: {level: warn} — the garbage connections make no log line" 0 \
			"$(grep -ac '127\.0\.0\.3' "$SERVER_LOG")"
		stop_server
	else
		fail "server started at log level warn (no listening socket of pid $SERVER_PID)" "$(server_log_tail)"
		stop_server
	fi
fi

finish
