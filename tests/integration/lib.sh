# shellcheck shell=bash
# shellcheck disable=SC2034,SC2119,SC2120 # variables and optional arguments for the scripts
# lib.sh — sourced by every tests/integration/NN-scenario.sh.
#
# Gives each script a temporary directory ($TMP, removed on exit), starts and
# stops the server under test ($TLSERVE_WRAPPER $TLSERVE_BIN -c FILE), finds
# the ports it bound from its `listening` log lines, and prints TAP-ish lines
# ("ok - ..." / "not ok - ..." / "ok - ... # SKIP ..." with a few "#" detail
# lines) that it counts. A script ends with `finish`, which prints
# "# NAME: N passed, M failed, K skipped" (the line tests/run.sh reads) and
# exits non-zero when anything failed. A skip is not a pass: `make ci` fails
# on any. A missing tool is never a skip: `require_cmd` fails the check
# (scripts/deps.sh test installs every tool the tests use).
#
# A sanitizer report (AddressSanitizer, UndefinedBehaviorSanitizer) from the
# server, the tests' tools or a foreground run fails the script even when the
# exit status looked as expected: the reports go to $TMP/sanitizer.PID
# (log_path, unless ASAN_OPTIONS/UBSAN_OPTIONS already set one) and every
# server log is scanned for "runtime error:" and "Sanitizer" when the server
# stops and at `finish`.
#
# Environment:
#   TLSERVE_BIN      the server binary (default ./tlserve of the repository)
#   TLSERVE_WRAPPER  command prepended to the server, e.g.
#                    "valgrind --leak-check=full --error-exitcode=99 -q"
#   TLSERVE_PREFIX   command prepended before the wrapper, for a script that
#                    runs the server in a sandbox (tests/tools/nosys)
#   CERTS            certificate directory (default tests/certs, made if absent)
#   TLS_PIPE         the echo test client tests/tools/tls_pipe.c (default
#                    build/tools/tls_pipe)
#   KEEP_TMP=1       keep $TMP for inspection
#
# Every wait is bounded; every curl and openssl call has a timeout; nothing
# talks to any address but 127.0.0.1 and ::1.

set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCRIPT=$(basename "$0" .sh)

TLSERVE_BIN=${TLSERVE_BIN:-$REPO/tlserve}
case $TLSERVE_BIN in /*) ;; *) TLSERVE_BIN=$REPO/${TLSERVE_BIN#./} ;; esac
TLSERVE_WRAPPER=${TLSERVE_WRAPPER:-}
TLSERVE_PREFIX=${TLSERVE_PREFIX:-}
CERTS=${CERTS:-$REPO/tests/certs}
case $CERTS in /*) ;; *) CERTS=$REPO/$CERTS ;; esac
TLS_PIPE=${TLS_PIPE:-$REPO/build/tools/tls_pipe}
case $TLS_PIPE in /*) ;; *) TLS_PIPE=$REPO/${TLS_PIPE#./} ;; esac
export TLSERVE_BIN TLSERVE_WRAPPER CERTS TLS_PIPE

# Slow wrappers (valgrind) get longer waits. A client that holds a
# connection for a time of its own (a slow or a non-reading reader) needs no
# more than HOLD_SETUP seconds more for a slow server's handshakes: its pace
# is its own, so its hold is not SLOW times longer.
if [ -n "$TLSERVE_WRAPPER" ]; then
	SLOW=3
	START_TRIES=300
	HOLD_SETUP=6
else
	SLOW=1
	START_TRIES=100
	HOLD_SETUP=0
fi
NET_TIMEOUT=$((20 * SLOW))   # seconds for one curl / s_client exchange

# Never let a proxy setting send test traffic elsewhere.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy NO_PROXY no_proxy

N_PASS=0
N_FAIL=0
N_SKIP=0
SERVER_PID=""
SERVER_LOG=""
SERVER_CONF=""
N_SERVER=0
BG_PIDS=()

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tlserve-$SCRIPT.XXXXXX") || {
	echo "not ok - mktemp -d failed"
	echo "# $SCRIPT: 0 passed, 1 failed, 0 skipped"
	exit 1
}

# Sanitizer reports of every process started from here go to files in $TMP
# (one per process), so a report on a path whose exit status a check expects
# (a configuration error exits 1) cannot pass unseen.
case ${ASAN_OPTIONS:-} in *log_path=*) ;; *) export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TMP/sanitizer" ;; esac
case ${UBSAN_OPTIONS:-} in *log_path=*) ;; *) export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$TMP/sanitizer" ;; esac

_cleanup() {
	local pid
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		_wait_gone "$SERVER_PID" $((50 * SLOW)) || kill -KILL "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	for pid in "${BG_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "# kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap _cleanup EXIT
trap 'echo "# $SCRIPT: interrupted"; exit 130' INT
trap 'echo "# $SCRIPT: terminated"; exit 143' TERM

# ---------------------------------------------------------------- reporting

note() { printf '# %s\n' "$*"; }

pass() {
	N_PASS=$((N_PASS + 1))
	printf 'ok - %s\n' "$1"
}

# fail DESC [DETAIL...] — each detail (may be multi-line) printed as "#   ...", at most 15 lines.
fail() {
	local desc=$1
	shift
	N_FAIL=$((N_FAIL + 1))
	printf 'not ok - %s\n' "$desc"
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@" | head -n 15 | sed 's/^/#   /'
	fi
	return 1
}

# skip DESC WHY — a check that did not run. Counted apart from passes; any
# skip fails `make ci`. Never for a missing tool (use require_cmd).
skip() { N_SKIP=$((N_SKIP + 1)); printf 'ok - %s # SKIP %s\n' "$1" "${2:-}"; }

# require_cmd CMD... — fails one check per missing command and returns 1 when
# any is missing: the tests never skip for a tool, scripts/deps.sh test
# installs them all.
require_cmd() {
	local c rc=0
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			fail "$c is installed" "$c not found in PATH; scripts/deps.sh test installs it"
			rc=1
		fi
	done
	return $rc
}

# require_exec FILE HOW — fails a check and returns 1 when FILE is not an
# executable (a test tool the Makefile builds; HOW says how to get it).
require_exec() {
	[ -x "$1" ] && return 0
	fail "$(basename "$1") is built" "no executable $1 ($2)"
	return 1
}

# A short, printable excerpt of a file for failure details.
excerpt() {
	if [ -f "$1" ]; then
		head -c "${2:-600}" "$1" | LC_ALL=C tr -c '[:print:]\n' '.'
	else
		echo "(no file $1)"
	fi
}

check_eq() {   # DESC EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "got:      $3"; fi
}

check_ne() {   # DESC UNEXPECTED ACTUAL
	if [ "$2" != "$3" ]; then pass "$1"; else fail "$1" "did not expect: $2"; fi
}

check_contains() {   # DESC HAYSTACK NEEDLE
	case $2 in
	*"$3"*) pass "$1" ;;
	*) fail "$1" "expected to contain: $3" "got: ${2:0:600}" ;;
	esac
}

check_not_contains() {   # DESC HAYSTACK NEEDLE
	case $2 in
	*"$3"*) fail "$1" "must not contain: $3" "got: ${2:0:600}" ;;
	*) pass "$1" ;;
	esac
}

check_match() {   # DESC STRING ERE — some line of STRING matches the extended regex
	if grep -Eq -- "$3" <<<"$2"; then pass "$1"; else fail "$1" "expected a line matching: $3" "got: ${2:0:600}"; fi
}

check_has_line() {   # DESC STRING LINE — STRING has exactly LINE as one of its lines
	if grep -Fxq -- "$3" <<<"$2"; then pass "$1"; else fail "$1" "expected the line: $3" "got: ${2:0:600}"; fi
}

check_file_contains() {   # DESC FILE FIXED-STRING
	if [ -f "$2" ] && grep -aFq -- "$3" "$2"; then
		pass "$1"
	else
		fail "$1" "expected $2 to contain: $3" "$(excerpt "$2")"
	fi
}

check_file_not_contains() {   # DESC FILE FIXED-STRING
	if [ -f "$2" ] && grep -aFq -- "$3" "$2"; then
		fail "$1" "$2 must not contain: $3" "$(excerpt "$2")"
	else
		pass "$1"
	fi
}

check_true() {   # DESC COMMAND... — passes when the command exits 0
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then pass "$desc"; else fail "$desc" "command failed ($rc): $*" "$out"; fi
}

check_false() {   # DESC COMMAND... — passes when the command exits non-zero
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then pass "$desc"; else fail "$desc" "command unexpectedly succeeded: $*" "$out"; fi
}

check_same_file() {   # DESC EXPECTED-FILE ACTUAL-FILE — compared by size and sha256
	local a b
	a=$(sha256sum <"$2" | cut -d' ' -f1)
	b=$(sha256sum <"$3" 2>/dev/null | cut -d' ' -f1)
	if [ "$a" = "$b" ]; then
		pass "$1"
	else
		fail "$1" "expected $(wc -c <"$2") bytes sha256 $a" \
			"got $(wc -c <"$3" 2>/dev/null || echo 0) bytes sha256 ${b:-none}"
	fi
}

# finish — stop the server if still running (checking its exit status),
# check that no sanitizer reported anything, print the summary line and exit
# non-zero if any check failed.
finish() {
	if [ -n "$SERVER_PID" ]; then
		stop_server
	fi
	check_no_sanitizer_report
	printf '# %s: %d passed, %d failed, %d skipped\n' "$SCRIPT" "$N_PASS" "$N_FAIL" "$N_SKIP"
	[ "$N_FAIL" -eq 0 ]
	exit
}

# Server logs and outputs of this script (start_server's, and any a script
# registers with watch_log FILE), scanned for sanitizer reports.
WATCHED_LOGS=()
watch_log() { WATCHED_LOGS+=("$1"); }

SANITIZER_RE='runtime error:|Sanitizer'
SANITIZER_SEEN=""
# _sanitizer_reports — the report files and logs holding a report not yet
# failed for, one per line.
_sanitizer_reports() {
	local f
	for f in "$TMP"/sanitizer.* "$TMP"/server.*.log "$TMP"/server.*.out "${WATCHED_LOGS[@]}"; do
		[ -f "$f" ] || continue
		case " $SANITIZER_SEEN " in *" $f "*) continue ;; esac
		case $f in
		"$TMP"/sanitizer.*) [ -s "$f" ] && printf '%s\n' "$f" ;;
		*) LC_ALL=C grep -aEq -- "$SANITIZER_RE" "$f" && printf '%s\n' "$f" ;;
		esac
	done
}

# check_no_sanitizer_report [WHEN] — one check: no sanitizer report since the
# last one (each report fails once).
check_no_sanitizer_report() {
	local files f detail=()
	files=$(_sanitizer_reports)
	if [ -z "$files" ]; then
		pass "no sanitizer report${1:+ $1}"
		return 0
	fi
	for f in $files; do
		SANITIZER_SEEN="$SANITIZER_SEEN $f"
		detail+=("$f:" "$(LC_ALL=C grep -aE -m 3 -A 4 -- "$SANITIZER_RE|ERROR|SUMMARY" "$f" | head -n 12)")
	done
	fail "no sanitizer report${1:+ $1}" "${detail[@]}"
}

# ---------------------------------------------------------------- helpers

# _wait_gone PID TENTHS — wait up to TENTHS/10 s for PID to disappear.
_wait_gone() {
	local i
	for ((i = 0; i < $2; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	! kill -0 "$1" 2>/dev/null
}

# track_bg PID — a helper process killed (SIGTERM) when the script exits.
track_bg() { BG_PIDS+=("$1"); }

# random_file FILE BYTES
random_file() {
	head -c "$2" /dev/urandom >"$1"
}

file_size() { wc -c <"$1" | tr -d ' '; }

ipv6_available() {
	[ -r /proc/net/if_inet6 ] && grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6
}

# write_config FILE — the common head (workers, log, tls) followed by stdin,
# which holds the rest of the YAML (limits:, listeners:, ...).
# CFG_WORKERS and CFG_LEVEL override the defaults 1 and debug.
write_config() {
	{
		printf 'workers: %s\n' "${CFG_WORKERS:-1}"
		printf 'log: {level: %s, error: stderr, access: %s}\n' "${CFG_LEVEL:-debug}" "$TMP/access.log"
		printf 'tls: {certificate: %s, key: %s}\n' "$CERTS/server.crt" "$CERTS/server.key"
		cat
	} >"$1"
}

# run_tlserve ARGS... — the binary (under the wrapper) in the foreground, bounded.
run_tlserve() {
	# shellcheck disable=SC2086 # the wrapper is a command line on purpose
	timeout -k 5 $((30 * SLOW)) $TLSERVE_PREFIX $TLSERVE_WRAPPER "$TLSERVE_BIN" "$@"
}

# ---------------------------------------------------------------- server

# Listening lines as "name address port", one per bound address.
listen_lines() {
	[ -n "$SERVER_LOG" ] && [ -f "$SERVER_LOG" ] || return 0
	awk '/listening/ {
		n = ""; a = ""; p = ""
		for (i = 1; i <= NF; i++) {
			v = $i; gsub(/"/, "", v)
			if (v ~ /^name=/) n = substr(v, 6)
			else if (v ~ /^address=/) a = substr(v, 9)
			else if (v ~ /^port=/) p = substr(v, 6)
		}
		if (n != "" && p != "") print n, a, p
	}' "$SERVER_LOG"
}

# port_of NAME [ADDRESS] — the port listener NAME bound (on ADDRESS if given).
port_of() {
	listen_lines | awk -v n="$1" -v a="${2:-}" '$1 == n && (a == "" || $2 == a) { print $3; exit }'
}

# addr_of NAME — the first address listener NAME bound.
addr_of() {
	listen_lines | awk -v n="$1" '$1 == n { print $2; exit }'
}

# Listener names in a config file (keys "name:", not "names:").
_config_names() {
	grep -oE '(^|[{ ,-])name: *"?[A-Za-z0-9_.-]+' "$1" | sed -E 's/.*name: *"?//'
}

server_alive() { [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; }

server_log_tail() { [ -f "$SERVER_LOG" ] && tail -n "${1:-15}" "$SERVER_LOG"; }

# start_server CONFIG [ARGS...] — start the server in the background and wait
# (bounded) until every listener named in CONFIG has logged its listening line.
# Counts as a check; returns non-zero if the server did not come up.
start_server() {
	local conf=$1 names missing name i
	shift
	if [ -n "$SERVER_PID" ]; then
		stop_server
	fi
	N_SERVER=$((N_SERVER + 1))
	SERVER_LOG=$TMP/server.$N_SERVER.log
	SERVER_CONF=$conf
	if [ ! -x "$TLSERVE_BIN" ]; then
		fail "server starts ($conf)" "no executable $TLSERVE_BIN (run make)"
		return 1
	fi
	# shellcheck disable=SC2086 # the wrapper is a command line on purpose
	$TLSERVE_PREFIX $TLSERVE_WRAPPER "$TLSERVE_BIN" -c "$conf" "$@" >"$TMP/server.$N_SERVER.out" 2>"$SERVER_LOG" &
	SERVER_PID=$!
	names=$(_config_names "$conf")
	for ((i = 0; i < START_TRIES; i++)); do
		missing=""
		for name in $names; do
			[ -n "$(port_of "$name")" ] || missing="$missing $name"
		done
		[ -z "$missing" ] && break
		server_alive || break
		sleep 0.1
	done
	if [ -z "$missing" ] && server_alive; then
		pass "server started, listening:$(listen_lines | awk '{ printf " %s=%s:%s", $1, $2, $3 }')"
		return 0
	fi
	if server_alive; then
		fail "server started (no listening line for:$missing after $((START_TRIES / 10))s)" "$(server_log_tail)"
		kill -KILL "$SERVER_PID" 2>/dev/null
	else
		wait "$SERVER_PID"
		fail "server started (exited with status $?)" "$(server_log_tail)"
	fi
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=""
	return 1
}

# stop_server [SIGNAL] [MAX_SECONDS] — signal the server (TERM), wait up to
# MAX_SECONDS (10) for it to exit (SIGKILL after that) and check that it exited
# with status 0. Sets STOP_STATUS and STOP_TENTHS (time taken in tenths of a second).
stop_server() {
	local sig=${1:-TERM} max=${2:-10} tenths status pid=$SERVER_PID
	STOP_STATUS=""
	STOP_TENTHS=""
	[ -n "$pid" ] || return 0
	SERVER_PID=""
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid"
		status=$?
		STOP_STATUS=$status
		fail "server still running at stop (it had exited with status $status)" "$(server_log_tail)"
		return 1
	fi
	kill -"$sig" "$pid"
	max=$((max * SLOW * 10))
	for ((tenths = 0; tenths < max; tenths++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	STOP_TENTHS=$tenths
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		STOP_STATUS=killed
		fail "server exits after SIG$sig (still running after $((max / 10))s; killed)" "$(server_log_tail)"
		return 1
	fi
	wait "$pid"
	status=$?
	STOP_STATUS=$status
	if [ "$status" -eq 0 ]; then
		pass "server exits with status 0 after SIG$sig"
		[ -z "$(_sanitizer_reports)" ] || check_no_sanitizer_report "from the server"
		return 0
	fi
	case $status in
	99) fail "server exits with status 0 after SIG$sig (status 99: valgrind found errors)" "$(server_log_tail 40)" ;;
	86) fail "server exits with status 0 after SIG$sig (status 86: a sanitizer report)" "$(server_log_tail 40)" ;;
	*) fail "server exits with status 0 after SIG$sig (status $status)" "$(server_log_tail 40)" ;;
	esac
	return 1
}

# wait_log ERE [COUNT] [TENTHS] — wait until COUNT (1) lines of the server log match.
wait_log() {
	local i n
	for ((i = 0; i < ${3:-50} * SLOW; i++)); do
		n=$(grep -aEc -- "$1" "$SERVER_LOG" 2>/dev/null)
		[ "${n:-0}" -ge "${2:-1}" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_file_lines FILE COUNT [TENTHS] — wait until FILE has at least COUNT lines.
wait_file_lines() {
	local i n
	for ((i = 0; i < ${3:-50} * SLOW; i++)); do
		n=$(wc -l <"$1" 2>/dev/null)
		[ "${n:-0}" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- clients

# _host_of NAME — the address to reach listener NAME at, for s_client and curl --resolve
# (a wildcard address becomes the loopback one).
_host_of() {
	local a
	a=$(addr_of "$1")
	case $a in
	::) printf '[::1]' ;;
	*:*) printf '[%s]' "$a" ;;
	'' | 0.0.0.0) printf '127.0.0.1' ;;
	*) printf '%s' "$a" ;;
	esac
}

# tcurl ARGS... — curl trusting only the test CA, bounded, never via a proxy.
# HTTP/1.1 unless ARGS say --http2: the HTTP/1.1 suites check its wire
# (status line, Connection); 24-http2 runs the same matrix over h2.
tcurl() {
	curl -sS --max-time "$NET_TIMEOUT" --connect-timeout 10 --noproxy '*' \
		--http1.1 --cacert "$CERTS/ca.crt" "$@"
}

# hcurl NAME PATH [ARGS...] — tcurl https://localhost:PORT/PATH of listener NAME.
hcurl() {
	local name=$1 path=$2 port host
	shift 2
	port=$(port_of "$name")
	host=$(_host_of "$name")
	tcurl --resolve "localhost:$port:$host" "$@" "https://localhost:$port$path"
}

# status_of NAME PATH [ARGS...] — the HTTP status code curl saw ("000" on failure).
status_of() {
	local name=$1 path=$2
	shift 2
	hcurl "$name" "$path" -o /dev/null -w '%{http_code}' "$@" 2>/dev/null
}

# check_status DESC EXPECTED NAME PATH [CURL ARGS...]
check_status() {
	local desc=$1 want=$2 got
	shift 2
	got=$(status_of "$@")
	check_eq "$desc" "$want" "$got"
}

# sclient NAME [S_CLIENT ARGS...] — openssl s_client to listener NAME, verifying
# the server; stdin is sent, what the server sends comes out on stdout, session
# chatter goes to $TMP/sclient.err. -quiet keeps reading after stdin's end until
# the server closes (or the timeout).
sclient() {
	local name=$1 port host
	shift
	port=$(port_of "$name")
	host=$(_host_of "$name")
	timeout -k 2 "${SCLIENT_TIMEOUT:-$NET_TIMEOUT}" openssl s_client -quiet \
		-CAfile "$CERTS/ca.crt" -verify_return_error \
		-connect "$host:$port" -servername localhost "$@" 2>"$TMP/sclient.err"
}

# raw NAME REQUEST-FILE RESPONSE-FILE — send REQUEST-FILE over TLS, save the reply.
raw() {
	sclient "$1" <"$2" >"$3"
}

# send NAME REQUEST — send the bytes of the string REQUEST over TLS to listener
# NAME. Sets RESP (the file holding the response) and RESP_RC (s_client's status;
# 124 means the server had not closed the connection when the timeout came).
RAW_N=0
send() {
	RAW_N=$((RAW_N + 1))
	RESP=$TMP/resp.$RAW_N
	printf '%s' "$2" >"$TMP/req.$RAW_N"
	raw "$1" "$TMP/req.$RAW_N" "$RESP"
	RESP_RC=$?
}

# echo_stream NAME INFILE OUTFILE [SECONDS] — send INFILE through the echo
# listener NAME with s_client and collect what comes back in OUTFILE. s_client's
# input stays open until as many bytes came back as were sent (or time is up);
# then its end makes s_client send close_notify and close. Returns s_client's status.
echo_stream() {
	local name=$1 in=$2 out=$3 t=${4:-$NET_TIMEOUT} port host fifo pid catpid fd i size rc
	port=$(port_of "$name")
	host=$(_host_of "$name")
	size=$(file_size "$in")
	fifo=$TMP/echo.fifo.$BASHPID.$RANDOM
	mkfifo "$fifo" || return 1
	: >"$out"
	timeout -k 2 "$t" openssl s_client -quiet -no_ign_eof -nocommands \
		-CAfile "$CERTS/ca.crt" -verify_return_error \
		-connect "$host:$port" -servername localhost <"$fifo" >"$out" 2>"$fifo.err" &
	pid=$!
	exec {fd}>"$fifo"
	cat "$in" 2>/dev/null >"$fifo" &
	catpid=$!
	for ((i = 0; i < t * 10; i++)); do
		[ "$(file_size "$out")" -ge "$size" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$catpid" 2>/dev/null
	wait "$catpid" 2>/dev/null
	exec {fd}>&-
	wait "$pid"
	rc=$?
	rm -f "$fifo"
	return $rc
}

# pipe_stream NAME INFILE OUTFILE [TLS_PIPE ARGS...] — INFILE through listener
# NAME with tls_pipe: full duplex, then close_notify (or with -f a bare TCP FIN),
# then read until the server closes. Returns tls_pipe's status: 0 when the
# server ended with close_notify after our close, 3 when it closed first.
pipe_stream() {
	local name=$1 in=$2 out=$3 port host
	shift 3
	port=$(port_of "$name")
	host=$(addr_of "$name")
	timeout -k 2 $((60 * SLOW)) "$TLS_PIPE" "$@" "${host:-127.0.0.1}" "$port" "$CERTS/ca.crt" \
		<"$in" >"$out" 2>"$out.err"
}

have_tls_pipe() { [ -x "$TLS_PIPE" ]; }

# Response file helpers: the status code, a header value, the body.
resp_status() {
	head -n 1 "$1" 2>/dev/null | LC_ALL=C sed -nE 's/^HTTP\/1\.[01] ([0-9]{3}).*/\1/p'
}

resp_head() {   # the first response head, CRs removed
	LC_ALL=C sed -n '1,/^\r\{0,1\}$/p' "$1" 2>/dev/null | tr -d '\r'
}

resp_header() {   # FILE NAME — value of the first NAME header of the first response
	resp_head "$1" | awk -v n="$2" 'BEGIN { n = tolower(n) }
		{ i = index($0, ":"); if (i > 0 && tolower(substr($0, 1, i - 1)) == n) {
			v = substr($0, i + 1); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v); print v; exit } }'
}

resp_body() {   # FILE — everything after the first head (binary-safe)
	local n
	n=$(LC_ALL=C sed -n '1,/^\r\{0,1\}$/p' "$1" | wc -c)
	tail -c +$((n + 1)) "$1"
}

# Certificates are made by `make test`; make them when a script runs alone.
if [ ! -s "$CERTS/server.crt" ] || [ ! -s "$CERTS/rsa.key" ]; then
	"$REPO/scripts/make-certs.sh" "$CERTS" >/dev/null || {
		echo "not ok - certificates in $CERTS"
		echo "# $SCRIPT: 0 passed, 1 failed, 0 skipped"
		exit 1
	}
fi

# ---------------------------------------------------------------- more helpers (06-11)

# http_date_of FILE — FILE's mtime as an IMF-fixdate, the Last-Modified form.
http_date_of() { LC_ALL=C date -u -r "$1" '+%a, %d %b %Y %H:%M:%S GMT'; }

# http_date_at EPOCH — an IMF-fixdate for a time in seconds since the epoch.
http_date_at() { LC_ALL=C date -u -d "@$1" '+%a, %d %b %Y %H:%M:%S GMT'; }

# count_status FILE — how many HTTP/1.x status lines start a line of FILE.
count_status() { LC_ALL=C grep -acE '^HTTP/1\.[01] [0-9]{3} ' "$1"; }

# wait_file_match FILE ERE [TENTHS] — wait (bounded, scaled by SLOW) until
# some line of FILE matches; 0 when one does.
wait_file_match() {
	local i
	for ((i = 0; i < ${3:-20} * SLOW; i++)); do
		LC_ALL=C grep -aEq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	LC_ALL=C grep -aEq -- "$2" "$1" 2>/dev/null
}

# A connection held open: s_client reads what to send from a fifo we keep
# open, so the test decides when (and whether) the next bytes go out.
#   conn_open NAME [S_CLIENT ARGS...]  connect to listener NAME; what the server
#                      sends goes to $CONN_OUT; sets CONN_PID and CONN_FD
#   conn_write STRING  send the bytes of STRING (printf %s)
#   conn_wait_for FIXED [TENTHS]  wait until $CONN_OUT contains FIXED
#   conn_wait_closed [TENTHS]     wait until the server has closed (s_client exited)
#   conn_close         close our side and reap s_client (killed if need be)
# One connection at a time; timeouts scale with SLOW.
CONN_N=0
CONN_PID=""
CONN_FD=""
conn_open() {
	local name=$1 port host fifo
	shift
	[ -n "$CONN_PID" ] && conn_close
	CONN_N=$((CONN_N + 1))
	port=$(port_of "$name")
	host=$(_host_of "$name")
	fifo=$TMP/conn.$CONN_N.fifo
	CONN_OUT=$TMP/conn.$CONN_N.out
	: >"$CONN_OUT"
	mkfifo "$fifo" || return 1
	timeout -k 2 $((60 * SLOW)) openssl s_client -quiet -CAfile "$CERTS/ca.crt" -verify_return_error \
		-connect "$host:$port" -servername localhost "$@" <"$fifo" >"$CONN_OUT" 2>"$CONN_OUT.err" &
	CONN_PID=$!
	track_bg "$CONN_PID"
	exec {CONN_FD}>"$fifo"
}

conn_write() {   # in a subshell: a write after the server closed must not SIGPIPE the script
	[ -n "$CONN_FD" ] && (printf '%s' "$1" >&"$CONN_FD") 2>/dev/null
}

conn_wait_for() {
	local i
	for ((i = 0; i < ${2:-50} * SLOW; i++)); do
		LC_ALL=C grep -aFq -- "$1" "$CONN_OUT" 2>/dev/null && return 0
		sleep 0.1
	done
	LC_ALL=C grep -aFq -- "$1" "$CONN_OUT" 2>/dev/null
}

conn_wait_closed() {
	[ -n "$CONN_PID" ] || return 0
	_wait_gone "$CONN_PID" $((${1:-50} * SLOW))
}

conn_close() {
	if [ -n "$CONN_FD" ]; then
		exec {CONN_FD}>&-
		CONN_FD=""
	fi
	if [ -n "$CONN_PID" ]; then
		_wait_gone "$CONN_PID" $((20 * SLOW)) || kill -TERM "$CONN_PID" 2>/dev/null
		wait "$CONN_PID" 2>/dev/null
		CONN_PID=""
	fi
}

# ---- an openssl s_client session driven line by line (the KeyUpdate
# checks): s_client takes command letters (K, k) only without -quiet and with
# -no_ign_eof, and only from a read of stdin that starts with the letter, so
# each line goes out once the previous one had its effect (waited for,
# bounded). stdbuf -o0 keeps s_client's chatter and the bytes received in the
# order they happened; -msg goes to a file of its own.
KU_N=0
KU_PID=""
KU_FD=""
# ku_open NAME [S_CLIENT ARGS...] — s_client to listener NAME reading from a
# fifo we hold ($KU_FD): stdout in $KU_OUT, stderr in $KU_ERR, -msg in $KU_MSG.
ku_open() {
	local name=$1 fifo
	shift
	KU_N=$((KU_N + 1))
	fifo=$TMP/ku.$KU_N.fifo
	KU_OUT=$TMP/ku.$KU_N.out
	KU_ERR=$TMP/ku.$KU_N.err
	KU_MSG=$TMP/ku.$KU_N.msg
	: >"$KU_OUT"
	: >"$KU_ERR"
	mkfifo "$fifo" || return 1
	timeout -k 2 $((30 * SLOW)) stdbuf -o0 openssl s_client -no_ign_eof -msg -msgfile "$KU_MSG" \
		-CAfile "$CERTS/ca.crt" -verify_return_error -connect "$(_host_of "$name"):$(port_of "$name")" \
		-servername localhost "$@" <"$fifo" >"$KU_OUT" 2>"$KU_ERR" &
	KU_PID=$!
	track_bg "$KU_PID"
	exec {KU_FD}>"$fifo"
}
ku_write() { (printf '%s' "$1" >&"$KU_FD") 2>/dev/null; }
# ku_wait FILE FIXED COUNT — wait (5 s at most) until COUNT lines of FILE contain FIXED.
ku_wait() {
	local i n
	for ((i = 0; i <= 50 * SLOW; i++)); do
		n=$(LC_ALL=C grep -acF -- "$2" "$1" 2>/dev/null)
		[ "${n:-0}" -ge "$3" ] && return 0
		kill -0 "$KU_PID" 2>/dev/null || break
		sleep 0.1
	done
	n=$(LC_ALL=C grep -acF -- "$2" "$1" 2>/dev/null)
	[ "${n:-0}" -ge "$3" ]
}
# ku_close — end our input (s_client then sends close_notify and exits) and
# reap s_client (killed after 5 s); KU_RC is its status.
ku_close() {
	exec {KU_FD}>&-
	_wait_gone "$KU_PID" $((50 * SLOW)) || kill -TERM "$KU_PID" 2>/dev/null
	wait "$KU_PID"
	KU_RC=$?
}
