#!/usr/bin/env bash
# 25-h2-attacks: every known HTTP/2 attack against a files listener, one
# connection each from 127.0.0.2, by tests/tools/h2attack.py (Python's h2 and
# frames written by hand). For each: the server closes the abuser as the
# limits promise, its VmRSS stays within a fixed margin of where it was, and
# an ordinary client (curl --http2, from 127.0.0.1) is served 200 over h2
# right after (and, for the attacks that hold a connection, during).
#   GOAWAY ENHANCE_YOUR_CALM (0xb) + close + the log line
#   "h2 127.0.0.2: HTTP/2 ... flood; closed":
#       rapid reset (CVE-2023-44487), MadeYouReset (CVE-2025-8671: WINDOW_UPDATE
#       overflowing the stream window; a malformed request), PING, SETTINGS,
#       RST_STREAM on a finished stream, empty DATA, PRIORITY, unknown frame
#       types, empty CONTINUATION
#   GOAWAY with an error (0xb, or a connection error at the first offence),
#   close, fewer than 500 of 5000 streams reset:
#       MadeYouReset by WINDOW_UPDATE of 0 and by DATA after END_STREAM
#   GOAWAY ENHANCE_YOUR_CALM + close (no log wording promised):
#       a header block that never ends (CVE-2024-27316: CONTINUATION of junk)
#   close (no GOAWAY promised), within the bounded wait:
#       zero window held (idle_timeout; also with PINGs), PINGs with no stream
#       (idle_timeout), no preface or half of it (handshake_timeout), a header
#       block begun and never finished (header_timeout)
#   no DATA frame under 1024 bytes but the last: 1-byte WINDOW_UPDATE dribble
#   431 on the stream: HPACK bomb (one 4000-byte dynamic entry referenced
#       16,000 times, or RST_STREAM), a header list over max_request_head,
#       more fields than max_headers
#   at most 128 streams open, the rest refused (REFUSED_STREAM): 300 at once
# Each check is one a server without the limit fails (it answers every PING,
# keeps the connection, sends 1-byte DATA, serves the bomb, accepts 300
# streams). Needs /usr/bin/python3 with python3-h2 (scripts/deps.sh test) and
# curl with HTTP/2. Memory is not asserted under a wrapper or for an
# AddressSanitizer build. Runs in about 30 s.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
H2ATTACK=$REPO/tests/tools/h2attack.py
RSS_MAX_GROWTH_KB=$((64 * 1024))
ATTACKER=127.0.0.2
FLOOD_RE="h2 127\.0\.0\.2: HTTP/2 .+ flood; closed"

require_cmd curl python3 || finish
if [ ! -x "$PY" ]; then
	fail "Debian's python3 is installed" "no $PY (scripts/deps.sh test installs python3)"
	finish
fi
if ! out=$("$PY" -c 'import h2.connection, h2.config, h2.events, h2.settings, hpack' 2>&1); then
	fail "python3-h2 is installed ($PY -c 'import h2')" "$out" \
		"the HTTP/2 attack client needs Debian's python3-h2 (scripts/deps.sh test installs it)"
	finish
fi
if ! curl -V 2>/dev/null | grep -q 'HTTP2'; then
	fail "curl supports HTTP/2" "$(curl -V 2>&1 | head -n 3)"
	finish
fi

if [ -n "$TLSERVE_WRAPPER" ]; then
	MEASURE_RSS="" RSS_WHY="not measured under $TLSERVE_WRAPPER"
else
	MEASURE_RSS=1 RSS_WHY=""
fi
# AddressSanitizer's shadow memory and quarantine make VmRSS say nothing about
# the server's own memory: report, do not assert.
if grep -aq __asan_init "$TLSERVE_BIN" 2>/dev/null; then
	MEASURE_RSS="" RSS_WHY="not asserted for an AddressSanitizer build"
fi

# ---------------------------------------------------------------- helpers

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null; }

# jflat FILE — the JSON line in FILE as KEY=VALUE lines (nested keys A.B).
jflat() {
	"$PY" - "$1" <<'EOF'
import json, sys
try:
    d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
except Exception as e:
    print("error=no JSON result (%s)" % e.__class__.__name__)
    sys.exit(0)
def out(prefix, v):
    if isinstance(v, dict):
        for k, x in v.items():
            out(prefix + "." + str(k) if prefix else str(k), x)
    else:
        print("%s=%s" % (prefix, v if isinstance(v, str) else json.dumps(v)))
out("", d)
EOF
}

jf() { sed -n "s/^$1=//p" "$KV" | head -n 1; }   # KEY — a field of the last result

# attack_bg MODE [ARGS...] — h2attack.py MODE in the background from 127.0.0.2;
# its JSON line goes to $TMP/MODE.json. Sets APID.
attack_bg() {
	local mode=$1
	shift
	timeout -k 5 $((30 * SLOW)) "$PY" "$H2ATTACK" "$mode" --port "$PORT" --ca "$CERTS/ca.crt" \
		--source "$ATTACKER" --wait $((6 * SLOW)) "$@" >"$TMP/$mode.json" 2>"$TMP/$mode.err" &
	APID=$!
	track_bg "$APID"
}

# sample_until PID... — wait (bounded: 40 s) for the PIDs to end, sampling
# VmRSS every 0.1 s into RSS_PEAK.
sample_until() {
	local i r p live
	for ((i = 0; i < 400 * SLOW; i++)); do
		r=$(rss_kb)
		[ -n "$r" ] && [ "$r" -gt "${RSS_PEAK:-0}" ] && RSS_PEAK=$r
		live=""
		for p in "$@"; do kill -0 "$p" 2>/dev/null && live=1; done
		[ -z "$live" ] && break
		sleep 0.1
	done
	r=$(rss_kb)
	[ -n "$r" ] && [ "$r" -gt "${RSS_PEAK:-0}" ] && RSS_PEAK=$r
}

# load_result MODE — KV := the flattened result of MODE, and a note of it.
load_result() {
	KV=$TMP/$1.kv
	jflat "$TMP/$1.json" >"$KV"
	note "$1: $(head -c 700 "$TMP/$1.json")"
	if [ -s "$TMP/$1.err" ]; then
		note "$1 stderr: $(head -c 300 "$TMP/$1.err" | tr '\n' ' ')"
	fi
	if [ -n "$(jf error)" ]; then
		fail "$1: the attack ran" "$(jf error)" "$(excerpt "$TMP/$1.err")"
		return 1
	fi
	return 0
}

# run_attack MODE [ARGS...] — one attack, waited for, VmRSS sampled; sets KV,
# RSS_BEFORE, RSS_PEAK, LOG_N0 (flood lines in the log before it).
run_attack() {
	local mode=$1 rc
	LOG_N0=$(grep -aEc -- "$FLOOD_RE" "$SERVER_LOG")
	RSS_BEFORE=$(rss_kb)
	RSS_PEAK=$RSS_BEFORE
	attack_bg "$@"
	sample_until "$APID"
	wait "$APID"
	rc=$?
	[ $rc -eq 0 ] || note "$mode: h2attack.py exited with status $rc"
	load_result "$mode"
}

# check_rss DESC — VmRSS growth from RSS_BEFORE to RSS_PEAK under the margin.
check_rss() {
	local growth=$((${RSS_PEAK:-0} - ${RSS_BEFORE:-0}))
	if [ -z "$MEASURE_RSS" ]; then
		note "$1: VmRSS ${RSS_BEFORE:-?} -> ${RSS_PEAK:-?} kB, $RSS_WHY"
	elif [ -z "$RSS_BEFORE" ] || [ -z "$RSS_PEAK" ]; then
		fail "$1: server memory stays bounded" "VmRSS could not be read (server gone?)"
	elif [ "$growth" -lt "$RSS_MAX_GROWTH_KB" ]; then
		pass "$1: VmRSS grew by less than $((RSS_MAX_GROWTH_KB / 1024)) MiB ($RSS_BEFORE -> $RSS_PEAK kB)"
	else
		fail "$1: VmRSS grew by less than $((RSS_MAX_GROWTH_KB / 1024)) MiB" "VmRSS $RSS_BEFORE kB before, $RSS_PEAK kB at peak"
	fi
}

# h2_status PATH — "CODE VERSION" of a curl --http2 GET (200 2 when served over h2).
h2_status() {
	hcurl h2 "$1" --http2 -o /dev/null -w '%{http_code} %{http_version}' 2>/dev/null
}

check_served() {   # DESC
	local got
	if ! server_alive; then
		fail "$1: the server is alive" "$(server_log_tail 20)"
		return 1
	fi
	got=$(h2_status /small.txt)
	check_eq "$1: curl --http2 is served 200 over h2" "200 2" "$got"
}

# check_flood WHAT — GOAWAY ENHANCE_YOUR_CALM, the close, the log line, memory, service.
check_flood() {
	local what=$1
	check_eq "$what: GOAWAY ENHANCE_YOUR_CALM (0xb) received" 11 "$(jf goaway)"
	check_eq "$what: the server closed the connection" true "$(jf closed)"
	if wait_log "$FLOOD_RE" $((LOG_N0 + 1)) 30; then
		pass "$what: logged \"$(grep -aE -- "$FLOOD_RE" "$SERVER_LOG" | tail -n 1 | sed -E 's/.*(h2 127)/\1/')\""
	else
		fail "$what: the log says \"h2 $ATTACKER: HTTP/2 ... flood; closed\"" \
			"$(grep -a "$ATTACKER" "$SERVER_LOG" | tail -n 5)"
	fi
	check_rss "$what"
	check_served "$what"
}

# ---------------------------------------------------------------- the server

www=$TMP/www
mkdir -p "$www"
printf 'small\n' >"$www/small.txt"
random_file "$www/big" $((8 * 1024 * 1024))

conf=$TMP/h2.yaml
CFG_WORKERS=1 CFG_LEVEL=info write_config "$conf" <<EOF
limits: {idle_timeout: 2s, handshake_timeout: 2s, header_timeout: 2s}
listeners:
  - {name: h2, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
start_server "$conf" || finish
PORT=$(port_of h2)

got=$(h2_status /small.txt)
check_eq "curl --http2 is served 200 over h2 before any attack" "200 2" "$got"
timeout -k 5 $((30 * SLOW)) "$PY" "$H2ATTACK" get --port "$PORT" --ca "$CERTS/ca.crt" \
	--source "$ATTACKER" --wait $((8 * SLOW)) >"$TMP/get.json" 2>"$TMP/get.err"
load_result get
check_eq "h2attack.py's plain GET (h2's state machine) from $ATTACKER: 200" 200 "$(jf status)"
check_eq "... with the file's 6 bytes" 6 "$(jf body_bytes)"
getok=$(jf status)
# A GET whose HEADERS leave the stream open and an empty DATA frame ends it
# (legal, RFC 9113 8.1): served like any GET, not refused for a body.
timeout -k 5 $((30 * SLOW)) "$PY" "$H2ATTACK" get-empty-data --port "$PORT" --ca "$CERTS/ca.crt" \
	--source "$ATTACKER" --wait $((8 * SLOW)) >"$TMP/get-empty-data.json" 2>"$TMP/get-empty-data.err"
load_result get-empty-data
check_eq "a GET ended by an empty DATA frame: 200" 200 "$(jf status)"
check_eq "... with the file's 6 bytes" 6 "$(jf body_bytes)"
if [ "$got" != "200 2" ] || [ "$getok" != 200 ]; then
	fail "the listener speaks h2: the attacks would say nothing" "$(server_log_tail 10)"
	finish
fi
RSS_START=$(rss_kb)
note "VmRSS at start: ${RSS_START:-?} kB"

# ---------------------------------------------------------------- floods
# Budgets (burst, then refill per second): RST_STREAM received 100, PING 50,
# SETTINGS 20, empty frames 100, RST_STREAM sent 100. Each flood is 5,000 to
# 20,000 frames in a burst: far over the burst, far over any refill in the
# time a burst takes. A server without the budget answers them all and never
# sends GOAWAY ENHANCE_YOUR_CALM.

run_attack rapid-reset && check_flood "rapid reset: 5000 x (HEADERS GET /big + RST_STREAM CANCEL)"
# MadeYouReset: frames after a valid request that RFC 9113 makes a stream
# error, so that the server resets the stream (and may have begun the work).
# A WINDOW_UPDATE overflowing the stream window (RFC 9113 6.9.1) and a
# malformed request (8.1.1; the 2019 reset flood) are stream errors the RFC
# answers with RST_STREAM, not with the end of the connection: the budget of
# resets sent must end it.
run_attack made-you-reset-overflow &&
	check_flood "MadeYouReset: 5000 x (HEADERS GET /big + WINDOW_UPDATE overflowing the stream window)"
run_attack made-you-reset-malformed &&
	check_flood "MadeYouReset: 5000 x HEADERS GET /big with an upper-case header name"
# A WINDOW_UPDATE of 0 and DATA after END_STREAM a server may also treat as
# a connection error at the first one (RFC 9113 5.4.1), which ends the
# attack at once: GOAWAY ENHANCE_YOUR_CALM after the budget or GOAWAY with
# another error right away, and far fewer resets than streams either way. A
# server without the budget resets all 5000 streams and keeps the connection.
check_made_you_reset() {   # WHAT
	local what=$1 g n
	g=$(jf goaway) n=$(jf rst_received)
	case $g in
	null | 0) fail "$what: GOAWAY with an error (0xb after the budget, or a connection error)" "GOAWAY: $g, RST_STREAM received: $n" ;;
	*) pass "$what: GOAWAY with an error: $(jf goaway_name) ($(jf goaway_debug))" ;;
	esac
	check_eq "$what: the server closed the connection" true "$(jf closed)"
	if [ "${n:-99999}" -lt 500 ]; then
		pass "$what: the server reset $n of the $(jf streams_opened) streams sent (fewer than 500)"
	else
		fail "$what: the server reset fewer than 500 streams" "$n RST_STREAM received for $(jf streams_opened) streams"
	fi
	if [ "$g" = 11 ]; then
		if wait_log "$FLOOD_RE" $((LOG_N0 + 1)) 30; then
			pass "$what: logged the flood"
		else
			fail "$what: the log says \"h2 $ATTACKER: HTTP/2 ... flood; closed\"" "$(grep -a "$ATTACKER" "$SERVER_LOG" | tail -n 5)"
		fi
	fi
	check_rss "$what"
	check_served "$what"
}
run_attack made-you-reset && check_made_you_reset "MadeYouReset: 5000 x (HEADERS GET /big + WINDOW_UPDATE 0 on the stream)"
run_attack made-you-reset-data && check_made_you_reset "MadeYouReset: 5000 x (HEADERS GET /big + DATA after END_STREAM)"
run_attack ping && check_flood "PING flood: 10000 PINGs"
run_attack settings && check_flood "SETTINGS flood: 10000 SETTINGS"
run_attack reset && check_flood "reset flood: 10000 RST_STREAM on a finished stream"
run_attack empty-data && check_flood "empty frames: 10000 DATA of length 0 without END_STREAM"
run_attack priority && check_flood "empty frames: 10000 PRIORITY"
run_attack unknown && check_flood "empty frames: 10000 frames of unknown type 0xfa"
run_attack continuation-empty && check_flood "CONTINUATION flood: 20000 empty CONTINUATION frames"

# The wire size of one header block is bounded by 2 x max_request_head + 16384
# (48 KiB here); the client offers up to 20 MiB of junk fields.
if run_attack continuation; then
	what="CONTINUATION flood: a header block of junk fields that never ends (up to 20 MiB)"
	check_eq "$what: GOAWAY ENHANCE_YOUR_CALM (0xb) received" 11 "$(jf goaway)"
	check_eq "$what: the server closed the connection" true "$(jf closed)"
	note "$what: $(jf block_bytes_sent) bytes of header block sent before the close"
	note "$what: the server's last line about $ATTACKER: $(grep -a "$ATTACKER" "$SERVER_LOG" | tail -n 1 | sed -E 's/.*(h2 127)/\1/')"
	check_rss "$what"
	check_served "$what"
fi

# ---------------------------------------------------------------- held connections
# Each of these holds one connection open and waits (at most 6 s) for the
# server to close it; idle_timeout, handshake_timeout and header_timeout are
# 2 s. They run at once; an ordinary request is made while they are held.
RSS_BEFORE=$(rss_kb)
RSS_PEAK=$RSS_BEFORE
pids=()
for mode in zero-window zero-window-ping idle-ping preface-timeout preface-half headers-stall; do
	attack_bg "$mode"
	pids+=("$APID")
done
attack_bg dribble --duration 4
pids+=("$APID")
sleep 1
check_eq "while 7 connections are held (zero window, dribble, no preface, ...), curl --http2 is served 200 over h2" \
	"200 2" "$(h2_status /small.txt)"
sample_until "${pids[@]}"
for p in "${pids[@]}"; do wait "$p"; done

if load_result zero-window; then
	check_eq "zero window (SETTINGS_INITIAL_WINDOW_SIZE 0, GET /big, window never opened): the server closes the stalled connection" \
		true "$(jf closed)"
fi
if load_result zero-window-ping; then
	check_eq "zero window with a PING every 0.5 s: PINGs are no progress, the server closes" true "$(jf closed)"
fi
if load_result idle-ping; then
	check_eq "no stream, a PING every 0.5 s: the server closes the idle connection" true "$(jf closed)"
fi
if load_result preface-timeout; then
	check_eq "TLS with ALPN h2, then no preface: the server closes" true "$(jf closed)"
fi
if load_result preface-half; then
	check_eq "TLS with ALPN h2, then half a preface: the server closes" true "$(jf closed)"
fi
if load_result headers-stall; then
	check_eq "HEADERS without END_HEADERS, then nothing: the server closes" true "$(jf closed)"
fi
if load_result dribble; then
	what="data dribble (stream window 1, WINDOW_UPDATE +1 about 1000 times a second)"
	check_eq "$what: the response starts (200)" 200 "$(jf status)"
	n=$(jf data_frames)
	if [ "${n:-0}" -ge 1 ]; then
		pass "$what: DATA is sent ($n frames, $(jf data_bytes) bytes for $(jf window_given) bytes of window)"
	else
		fail "$what: DATA is sent once 1024 bytes of window are open" "no DATA frame for $(jf window_given) bytes of window"
	fi
	check_eq "$what: no DATA frame under 1024 bytes but the last (sizes $(jf small_sizes))" 0 "$(jf small_data_frames)"
fi
check_rss "the held connections"
check_served "the held connections"

# ---------------------------------------------------------------- headers and streams

if run_attack hpack-bomb; then
	what="HPACK bomb ($(jf references) references to a $(jf entry_bytes)-byte dynamic entry: $(($(jf decoded_bytes) / 1048576)) MiB decoded)"
	note "$what: seed request $(jf status_seed), bomb $(jf status_bomb) / RST $(jf rst_bomb), next request $(jf status_after), GOAWAY $(jf goaway)"
	if [ "$(jf status_bomb)" = 431 ] || [ "$(jf rst_bomb)" != null ]; then
		pass "$what: answered 431 (or RST_STREAM): status $(jf status_bomb), RST $(jf rst_bomb)"
	else
		fail "$what: answered 431 (or RST_STREAM)" "status $(jf status_bomb), RST $(jf rst_bomb), GOAWAY $(jf goaway), closed $(jf closed)"
	fi
	check_rss "HPACK bomb"
	check_served "HPACK bomb"
fi

if run_attack big-headers; then
	check_eq "a header list over max_request_head (24 fields of 1000 bytes): 431" 431 "$(jf status_big)"
	check_eq "more header fields than max_headers (150): 431" 431 "$(jf status_many)"
	note "big headers: the next request on that connection: $(jf status_after)"
	check_rss "big headers"
	check_served "big headers"
fi

if run_attack streams; then
	what="300 streams for /big at once, nothing read"
	check_eq "$what: SETTINGS_MAX_CONCURRENT_STREAMS is 128" 128 "$(jf max_concurrent_streams)"
	a=$(jf accepted) r=$(jf refused)
	if [ "${a:-999}" -le 128 ]; then
		pass "$what: at most 128 answered ($a)"
	else
		fail "$what: at most 128 answered" "$a streams got a response head"
	fi
	# Streams over the limit the client has acknowledged are refused one by
	# one (REFUSED_STREAM), or, as nghttp2 does once the client has
	# acknowledged the limit, the connection ends with GOAWAY
	# PROTOCOL_ERROR naming no stream past the burst: nothing beyond the
	# limit is ever served.
	g=$(jf goaway) gl=$(jf goaway_last_stream)
	if [ "${r:-0}" -ge 172 ] || { [ "$g" = 1 ] && [ "${gl:-999}" -le 599 ]; }; then
		pass "$what: the streams over 128 are refused, or the connection ends with GOAWAY PROTOCOL_ERROR ($r refused, GOAWAY ${g:-none})"
	else
		fail "$what: the streams over 128 are refused, or the connection ends with GOAWAY PROTOCOL_ERROR" \
			"$r refused, $a answered, $(jf unanswered) without an answer, GOAWAY ${g:-none} last ${gl:-none}; RST codes: $(grep '^rst_codes' "$KV" | tr '\n' ' ')"
	fi
	if [ "${r:-0}" -ge 172 ] || grep -aq "h2 $ATTACKER: HTTP/2 PROTOCOL_ERROR: request HEADERS: max concurrent streams exceeded; closed" "$SERVER_LOG"; then
		pass "$what: the log says why the connection ended (or nothing ended it)"
	else
		fail "$what: the log says why the connection ended" "$(grep -a "$ATTACKER" "$SERVER_LOG" | tail -n 3)"
	fi
	check_rss "300 streams"
	check_served "300 streams"
fi

# ---------------------------------------------------------------- the end
note "VmRSS at start ${RSS_START:-?} kB, at the end $(rss_kb) kB"
n=$(grep -ac "$ATTACKER" "$SERVER_LOG")
note "error log lines about $ATTACKER: $n"
grep -a "$ATTACKER" "$SERVER_LOG" | sed -E 's/.*(h2 127\.0\.0\.2)/\1/' | sort | uniq -c | sort -rn | head -n 12 | sed 's/^/#   /'
stop_server
finish
