#!/usr/bin/env bash
# 11-access-log: the access log formats — combined (+ TLS version and client
# subject), common, json — their exact shapes, escaping of hostile bytes so a
# request can never forge or break a line, UTF-8 handling in json, one line
# per request, and the periodic flush; on a pipe whose reader stalls, whole
# lines only, workers that keep answering, and drops counted and reported
# (also for a reader that never reads, and on a full disk).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

www=$TMP/www
mkdir -p "$www"
printf 'alpha\n' >"$www/a.txt"
printf 'quote\n' >"$www/a\"b.txt"
random_file "$www/big.bin" $((4 * 1024 * 1024))

# log_config FILE FORMAT ACCESS-LOG — write_config with log.access_format set.
log_config() {
	{
		printf 'workers: 1\n'
		printf 'log: {level: debug, error: stderr, access: %s, access_format: %s}\n' "$3" "$2"
		printf 'tls: {certificate: %s, key: %s}\n' "$CERTS/server.crt" "$CERTS/server.key"
		printf 'limits: {idle_timeout: 30s, header_timeout: 10s}\n'
		printf 'listeners:\n  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: %s}\n' "$www"
	} >"$1"
}

SCLIENT_TIMEOUT=$((10 * SLOW))
export SCLIENT_TIMEOUT
UA='ua-test/1.0'
REF='https://referer.test/page?x=1'
date_re='\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} \+0000\]'
QS='"([^"\\[:cntrl:]]|\\.)*"'   # a quoted, escaped field: no bare quote, no control byte

# expect_lines DESC FILE COUNT — wait (bounded) until FILE has COUNT lines; check exactly COUNT.
expect_lines() {
	if wait_file_lines "$2" "$3" 20; then
		pass "$1: the line(s) are written within 2s"
	else
		fail "$1: the line(s) are written within 2s" "$(excerpt "$2")"
	fi
	sleep 0.3
	check_eq "$1: exactly $3 line(s) so far" "$3" "$(wc -l <"$2" | tr -d ' ')"
}

# ================================================================ combined
alog=$TMP/combined.log
log_config "$TMP/combined.yaml" combined "$alog"
start_server "$TMP/combined.yaml" || finish
day_before=$(LC_ALL=C date -u +%d/%b/%Y)
hcurl https /a.txt -o /dev/null -A "$UA" -e "$REF"
day_after=$(LC_ALL=C date -u +%d/%b/%Y)
expect_lines "combined, GET /a.txt" "$alog" 1
line=$(sed -n 1p "$alog")
note "combined: $line"
check_match "combined: CLIENT - - [TIME] \"REQUEST\" STATUS BYTES \"REFERER\" \"UA\" TLSv1.3 \"-\" \"SITE\"" "$line" \
	"^127\\.0\\.0\\.1 - - $date_re \"GET /a\\.txt HTTP/1\\.1\" 200 6 \"https://referer\\.test/page\\?x=1\" \"ua-test/1\\.0\" TLSv1\\.3 \"-\" \"localhost\"\$"
case $line in
*"[$day_before:"* | *"[$day_after:"*) pass "combined: the time is today's UTC date" ;;
*) fail "combined: the time is today's UTC date" "expected [$day_before:..." "got: $line" ;;
esac
hcurl https /missing -o /dev/null -H 'User-Agent:'
expect_lines "combined, a 404 without referer or agent" "$alog" 2
check_match "combined: absent referer and agent are \"-\"" "$(sed -n 2p "$alog")" \
	"^127\\.0\\.0\\.1 - - $date_re \"GET /missing HTTP/1\\.1\" 404 [0-9]+ \"-\" \"-\" TLSv1\\.3 \"-\" \"localhost\"\$"
hcurl https /a.txt -o /dev/null -A "$UA" --tls-max 1.2
expect_lines "combined, over TLS 1.2" "$alog" 3
check_match "combined: the TLS version field says TLSv1.2" "$(sed -n 3p "$alog")" ' TLSv1\.2 "-" "localhost"$'

# Hostile fields: a quote and a backslash in the agent, %22 in the target.
send https $'GET /a%22b.txt HTTP/1.1\r\nHost: localhost\r\nUser-Agent: evil" agent\\ "x" - 200 0\r\nReferer: r"ef\r\nConnection: close\r\n\r\n'
check_eq "a request for /a%22b.txt is served" 200 "$(resp_status "$RESP")"
expect_lines "combined, a quote and a backslash in the agent" "$alog" 4
line=$(sed -n 4p "$alog")
note "combined: $line"
check_match "combined: the line keeps its shape (every quoted field escaped)" "$line" \
	"^127\\.0\\.0\\.1 - - $date_re $QS 200 [0-9]+ $QS $QS TLSv1\\.3 $QS $QS\$"
check_contains "combined: %22 in the target is logged as sent" "$line" '"GET /a%22b.txt HTTP/1.1"'
if grep -qE '"evil(\\x22|\\")' <<<"$line"; then pass "combined: the quote in the agent is escaped (\\x22 or \\\")"; else fail "combined: the quote in the agent is escaped (\\x22 or \\\")" "$line"; fi
if grep -qE 'agent(\\x5[cC]|\\\\) ' <<<"$line"; then pass "combined: the backslash in the agent is escaped (\\x5c or \\\\)"; else fail "combined: the backslash in the agent is escaped (\\x5c or \\\\)" "$line"; fi
if grep -qE '"r(\\x22|\\")ef"' <<<"$line"; then pass "combined: the quote in the referer is escaped"; else fail "combined: the quote in the referer is escaped" "$line"; fi

# Control bytes: in a header value they make the request invalid (400), in
# the request line too; whatever is logged must stay one escaped line.
send https $'GET /a.txt HTTP/1.1\r\nHost: localhost\r\nUser-Agent: ctl\x01\x1b[31mred\x7f\r\nConnection: close\r\n\r\n'
note "control bytes in the agent: status $(resp_status "$RESP")"
send https $'GET /a\x01\x1b[2J".txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
note "control bytes and a quote in the target: status $(resp_status "$RESP")"
send https $'GET /a.txt HTTP/1.1\r\nHost: localhost\r\nUser-Agent: tab\there\r\nConnection: close\r\n\r\n'
check_eq "a tab inside the agent is valid (200)" 200 "$(resp_status "$RESP")"
expect_lines "combined, control bytes in agent and target, a tab in the agent" "$alog" 7
ctl=$(LC_ALL=C grep -ac '[[:cntrl:]]' "$alog")
check_eq "combined: no raw control byte (tab included) anywhere in the log" 0 "$ctl"
bad=$(LC_ALL=C grep -avE "^[0-9a-f.:]+ - - $date_re $QS [0-9]{3} [0-9-]+ $QS $QS TLSv1\\.[23] $QS $QS\$" "$alog")
check_eq "combined: every line has the combined shape" "" "$bad"
check_match "combined: the control bytes in the target are \\xHH escapes" "$(sed -n 6p "$alog")" '\\x01\\x1[bB]\[2J'
check_match "combined: the tab in the agent is escaped" "$(sed -n 7p "$alog")" '"tab(\\x09|\\t)here"'
note "combined, line 5: $(sed -n 5p "$alog")"

# One line per request, also on a kept-alive connection.
hcurl https '/a.txt?n=[1-20]' -o /dev/null -A "$UA"
expect_lines "combined, 20 requests on one connection" "$alog" 27
stop_server

# ================================================================ common
clog=$TMP/common.log
log_config "$TMP/common.yaml" common "$clog"
start_server "$TMP/common.yaml" || finish
hcurl https /a.txt -o /dev/null -A "$UA" -e "$REF"
expect_lines "common, GET /a.txt" "$clog" 1
line=$(sed -n 1p "$clog")
note "common: $line"
check_match "common: CLIENT - - [TIME] \"REQUEST\" STATUS BYTES and nothing more" "$line" \
	"^127\\.0\\.0\\.1 - - $date_re \"GET /a\\.txt HTTP/1\\.1\" 200 6\$"
send https $'HEAD /a.txt HTTP/1.1\r\nHost: localhost\r\nUser-Agent: e"vil\r\nConnection: close\r\n\r\n'
expect_lines "common, HEAD" "$clog" 2
check_match "common: HEAD logs no body bytes" "$(sed -n 2p "$clog")" \
	"^127\\.0\\.0\\.1 - - $date_re \"HEAD /a\\.txt HTTP/1\\.1\" 200 (0|-)\$"
stop_server

# ================================================================ json
jlog=$TMP/json.log
log_config "$TMP/json.yaml" json "$jlog"
start_server "$TMP/json.yaml" || finish
hcurl https /a.txt -o /dev/null -A "$UA" -e "$REF"
expect_lines "json, GET /a.txt" "$jlog" 1
note "json: $(sed -n 1p "$jlog")"
send https $'GET /a%22b.txt HTTP/1.1\r\nHost: localhost\r\nUser-Agent: q" b\\s \t end\r\nConnection: close\r\n\r\n'
send https $'GET /a.txt HTTP/1.1\r\nHost: localhost\r\nUser-Agent: ua-\xff\xfe-end\r\nConnection: close\r\n\r\n'
send https $'GET /a.txt HTTP/1.1\r\nHost: localhost\r\nUser-Agent: caf\xc3\xa9\r\nConnection: close\r\n\r\n'
send https $'GET /a\x01".txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
expect_lines "json, five requests" "$jlog" 5
note "json, invalid UTF-8: $(sed -n 3p "$jlog" | LC_ALL=C tr -c '[:print:]' '?')"
check_match "json: invalid UTF-8 bytes in the agent become \\u00XX escapes" "$(sed -n 3p "$jlog")" \
	'ua-\\u00[fF][fF]\\u00[fF][eE]-end'
if LC_ALL=C grep -aq $'caf\xc3\xa9' "$jlog"; then
	pass "json: valid UTF-8 (é) stays as it is"
else
	fail "json: valid UTF-8 (é) stays as it is" "$(sed -n 4p "$jlog")"
fi
check_eq "json: no raw control byte anywhere in the log" 0 "$(LC_ALL=C grep -ac '[[:cntrl:]]' "$jlog")"

# The structure: every line one JSON object with the documented keys.
if require_cmd python3; then
	out=$(python3 - "$jlog" <<'PY' 2>&1
import json, sys
keys = ["time", "client", "request", "status", "bytes", "referer", "user_agent", "tls", "site",
        "client_subject", "duration_us"]
raw = open(sys.argv[1], "rb").read()
text = raw.decode("utf-8")          # strict: a raw invalid byte fails here
objs = [json.loads(l) for l in text.splitlines()]
def check(name, ok):
    print(("ok - " if ok else "not ok - ") + "json: " + name)
check("every line is a JSON object", all(isinstance(o, dict) for o in objs))
check("every object has " + ", ".join(keys), all(all(k in o for k in keys) for o in objs))
o = objs[0]
print("# json line 1 parsed: " + repr(o))
check("client is 127.0.0.1", o.get("client") == "127.0.0.1")
check("request is the request line", o.get("request") == "GET /a.txt HTTP/1.1")
check("status is 200", str(o.get("status")) == "200")
check("bytes is 6", str(o.get("bytes")) == "6")
check("referer is the referer", o.get("referer") == "https://referer.test/page?x=1")
check("user_agent is the agent", o.get("user_agent") == "ua-test/1.0")
check("tls is TLSv1.3", o.get("tls") == "TLSv1.3")
check("site is the Host without its port", o.get("site") == "localhost")
check("duration_us is a non-negative number",
      isinstance(o.get("duration_us"), (int, float)) and o["duration_us"] >= 0)
check("status and bytes are numbers", isinstance(o.get("status"), int) and isinstance(o.get("bytes"), int))
check("a quote, a backslash and a tab in the agent round-trip exactly",
      objs[1].get("user_agent") == 'q" b\\s \t end')
check("%22 in the target is logged as sent", objs[1].get("request") == "GET /a%22b.txt HTTP/1.1")
check("the invalid UTF-8 agent decodes to U+00FF U+00FE", objs[2].get("user_agent") == "ua-\u00ff\u00fe-end")
check("the UTF-8 agent decodes to café", objs[3].get("user_agent") == "caf\u00e9")
check("a control byte and a quote in the target round-trip", "\x01\"" in str(objs[4].get("request")))
PY
)
	rc=$?
	while IFS= read -r l; do
		case $l in
		"ok - "*) pass "${l#ok - }" ;;
		"not ok - "*) fail "${l#not ok - }" ;;
		"# "*) printf '%s\n' "$l" ;;
		esac
	done <<<"$out"
	# the line of the request whose path holds a control byte and a quote
	line=$(grep -a -m 1 'u0001' "$jlog")
	if [ -n "$line" ] && printf '%s\n' "$line" | python3 -m json.tool >/dev/null 2>&1; then
		pass "json: python3 -m json.tool accepts the line of a path with a quote and a control byte"
	else
		fail "json: python3 -m json.tool accepts the line of a path with a quote and a control byte" \
			"line: ${line:-none found}"
	fi
	if [ $rc -ne 0 ]; then
		fail "json: every line is valid JSON in valid UTF-8 (python3)" "$out" "$(excerpt "$jlog" 1500)"
	else
		pass "json: every line is valid JSON in valid UTF-8 (python3)"
	fi
fi

# ---- duration_us measures the response: a 4 MiB body takes more than 0 us.
hcurl https /big.bin -o /dev/null
expect_lines "json, a 4 MiB download" "$jlog" 6
dur=$(sed -n 6p "$jlog" | sed -nE 's/.*"duration_us": *([0-9]+).*/\1/p')
note "json, 4 MiB download: $(sed -n 6p "$jlog")"
if [ -n "$dur" ] && [ "$dur" -gt 0 ]; then
	pass "json: duration_us of a 4 MiB download is more than 0 ($dur)"
else
	fail "json: duration_us of a 4 MiB download is more than 0" "$(sed -n 6p "$jlog")"
fi

# ---- the flush: a line appears well within 2 s of a lone request.
t0=$(date +%s%N)
hcurl https /a.txt -o /dev/null
for ((i = 0; i < 40 * SLOW; i++)); do
	[ "$(wc -l <"$jlog")" -ge 7 ] && break
	sleep 0.05
done
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$(wc -l <"$jlog")" -ge 7 ]; then
	pass "the access log line of a lone request is flushed without more traffic ($ms ms)"
else
	fail "the access log line of a lone request is flushed without more traffic (within $((2 * SLOW))s)"
fi
stop_server

# ================================================================ a stalled pipe
# The access log on a pipe (stdout under systemd or Kubernetes) whose reader
# stops reading: workers keep answering, lines the pipe cannot take are
# dropped whole, counted and reported, and every line that arrives is whole
# and parses, even from two workers and lines longer than PIPE_BUF.
fifo=$TMP/access.fifo
got=$TMP/fifo.out
go=$TMP/fifo.go
mkfifo "$fifo"
# The reader opens the FIFO at once (the server's open waits for it) and
# reads nothing until $go exists.
(for ((i = 0; i < 1200; i++)); do [ -e "$go" ] && break; sleep 0.1; done; exec cat) <"$fifo" >"$got" &
reader=$!
track_bg $reader
{
	printf 'workers: 2\n'
	printf 'log: {level: info, error: stderr, access: %s, access_format: json}\n' "$fifo"
	printf 'tls: {certificate: %s, key: %s}\n' "$CERTS/server.crt" "$CERTS/server.key"
	printf 'limits: {idle_timeout: 30s, header_timeout: 10s}\n'
	printf 'listeners:\n  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: %s}\n' "$www"
} >"$TMP/fifo.yaml"
start_server "$TMP/fifo.yaml" || finish
# Fields under the 1024-byte clamp, the agent's 100 quotes escaped at 6 bytes each.
pad=$(printf 'x%.0s' {1..800})
FUA="flood $(printf '"%.0s' {1..100}) \\ $pad"
FREF="https://referer.test/$pad"
FLOODS=4
PER=150
# flood PATH [CURL ARGS...] — the requests of a URL glob, on one connection; curl's
# --max-time holds for each transfer, so the whole run is bounded here.
flood() {
	local path=$1 port
	shift
	port=$(port_of https)
	timeout -k 2 $((60 * SLOW)) curl -sS --http1.1 --max-time "$NET_TIMEOUT" --connect-timeout 10 \
		--noproxy '*' --cacert "$CERTS/ca.crt" --resolve "localhost:$port:127.0.0.1" \
		-w '\nSTATUS %{http_code}\n' "$@" "https://localhost:$port$path" 2>&1
}
# Half the clients send a 2000-byte query: their lines are longer than PIPE_BUF.
for ((k = 0; k < FLOODS; k++)); do
	q=""
	[ $((k % 2)) = 1 ] && q="&long=$(printf 'q%.0s' {1..2000})"
	flood "/a.txt?c=$k&n=[1-$PER]$q" -A "$FUA" -e "$FREF" >"$TMP/flood.$k" &
	fpid[k]=$!
done
for ((k = 0; k < FLOODS; k++)); do
	wait "${fpid[k]}"
done
answered=$(cat "$TMP"/flood.* | grep -c '^STATUS 200$')
check_eq "stalled pipe: $((FLOODS * PER)) keep-alive requests from $FLOODS clients are all answered" \
	$((FLOODS * PER)) "$answered"
if wait_log 'access log: [0-9]+ lines dropped \(the reader is too slow\)' 1 100; then
	pass "stalled pipe: the error log says lines were dropped because the reader is too slow"
else
	fail "stalled pipe: the error log says lines were dropped because the reader is too slow" \
		"$(server_log_tail)"
fi
check_eq "stalled pipe: a request is answered while the pipe is full" 200 \
	"$(status_of https /a.txt -A probe/1 --max-time $((10 * SLOW)))"
answered=$((answered + 1))
touch "$go"
# Once the reader reads again, what the rings hold (lines longer than
# PIPE_BUF among them, each waiting for an empty pipe) goes out at once:
# the stop does not wait out shutdown_timeout, nor a tick per long line.
stop_server TERM 3
for ((i = 0; i < 100 * SLOW; i++)); do
	kill -0 "$reader" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$reader" 2>/dev/null; then
	fail "stalled pipe: the reader sees the end of the log once the server stopped"
else
	pass "stalled pipe: the reader sees the end of the log once the server stopped"
fi
total=$(sed -nE 's/.*access log: ([0-9]+) lines? written, ([0-9]+) dropped.*/\1 \2/p' "$SERVER_LOG" | tail -n 1)
note "stalled pipe: $(wc -l <"$got") lines read, written and dropped: ${total:-none}"
out=$(/usr/bin/python3 - "$got" "$FUA" "$FREF" <<'PY' 2>&1
import json, sys
raw = open(sys.argv[1], "rb").read()
ua, ref = sys.argv[2], sys.argv[3]
bad = 0
n = 0
for l in raw.split(b"\n")[:-1]:
    n += 1
    try:
        o = json.loads(l.decode("utf-8"))
        ok = (o["status"] == 200 and o["request"].startswith("GET /a.txt") and
              o["request"].endswith(" HTTP/1.1") and
              (o["user_agent"], o["referer"]) in ((ua, ref), ("probe/1", "")))
    except Exception as e:
        ok = False
    if not ok:
        bad += 1
        if bad <= 3:
            print("# bad line %d: %r" % (n, l[:300]))
print("lines %d bad %d tail %s" % (n, bad, "newline" if raw.endswith(b"\n") or not raw else "cut"))
PY
)
printf '%s\n' "$out" | grep '^#'
summary=$(printf '%s\n' "$out" | grep '^lines ')
lines=$(wc -l <"$got" | tr -d ' ')
check_eq "stalled pipe: every line read is one whole JSON object (none torn or interleaved)" \
	"lines $lines bad 0 tail newline" "$summary"
check_ne "stalled pipe: lines reached the reader" 0 "$lines"
check_eq "stalled pipe: the stop line counts what was written and dropped" \
	"$lines $((answered - lines))" "${total:-none}"

# ================================================================ a reader that never reads
# A stop does not wait for it longer than shutdown_timeout: what it did not
# take is counted as dropped, and the server exits.
fifo2=$TMP/never.fifo
mkfifo "$fifo2"
sleep 600 <"$fifo2" &
track_bg $!
{
	printf 'workers: 1\n'
	printf 'log: {level: info, error: stderr, access: %s, access_format: combined}\n' "$fifo2"
	printf 'tls: {certificate: %s, key: %s}\n' "$CERTS/server.crt" "$CERTS/server.key"
	printf 'limits: {idle_timeout: 30s, header_timeout: 10s, shutdown_timeout: 1s}\n'
	printf 'listeners:\n  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: %s}\n' "$www"
} >"$TMP/never.yaml"
start_server "$TMP/never.yaml" || finish
answered=$(flood "/a.txt?n=[1-100]" -A "$FUA" -e "$FREF" | grep -c '^STATUS 200$')
check_eq "never-read pipe: 100 requests are answered" 100 "$answered"
stop_server TERM 10
line=$(grep -a 'access log: .* written' "$SERVER_LOG")
check_match "never-read pipe: the stop line counts the lines the reader never took as dropped" \
	"$line" 'access log: [0-9]+ lines? written, [1-9][0-9]* dropped'

# ================================================================ ENOSPC
# A full disk (/dev/full): lines are dropped, counted and reported; requests are answered.
{
	printf 'workers: 1\n'
	printf 'log: {level: info, error: stderr, access: /dev/full, access_format: combined}\n'
	printf 'tls: {certificate: %s, key: %s}\n' "$CERTS/server.crt" "$CERTS/server.key"
	printf 'limits: {idle_timeout: 30s, header_timeout: 10s}\n'
	printf 'listeners:\n  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: %s}\n' "$www"
} >"$TMP/full.yaml"
start_server "$TMP/full.yaml" || finish
check_status "full disk: a request is answered" 200 https /a.txt
if wait_log 'access log: 1 lines? dropped \(write: No space left on device\)' 1 50; then
	pass "full disk: the error log says the line was dropped (ENOSPC)"
else
	fail "full disk: the error log says the line was dropped (ENOSPC)" "$(server_log_tail)"
fi
check_status "full disk: the next request is answered too" 200 https /a.txt
stop_server
check_file_contains "full disk: the stop line counts 0 written, 2 dropped" "$SERVER_LOG" \
	"access log: 0 lines written, 2 dropped"

finish
