#!/usr/bin/env bash
# 28-metrics: the metrics listener (mode: metrics) seen from outside — every
# counter moves by exactly what the traffic did (25 GETs, h2 requests, full
# and resumed TLS 1.2 and 1.3 handshakes, 100,000 echoed bytes, a good and a
# bad reload, plain HTTP to the TLS port, a handshake timeout, a refused
# cipher), the active-connections gauge, the certificate expiry, build_info,
# process_*; `promtool check metrics` on a scrape; the listener's HTTP rules
# (404, 405, 501, HEAD, Content-Type); -t's line, warning and refusals; and a
# real Prometheus scraping it (up == 1).
# Clients: curl, openssl s_client, tls_pipe, python3, promtool, prometheus.
# About 15 s.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
require_cmd curl openssl promtool prometheus
require_exec "$PY" "Debian's python3; scripts/deps.sh test installs it"

www=$TMP/www
mkdir -p "$www"
random_file "$www/file.bin" 12345
printf 'index\n' >"$www/index.html"
FSIZE=$(file_size "$www/file.bin")

conf=$TMP/metrics.yaml
CFG_WORKERS=2 write_config "$conf" <<EOF
limits: {handshake_timeout: 2s, idle_timeout: 30s}
listeners:
  - {name: files, host: 127.0.0.1, port: 0, mode: files, root: $www}
  - {name: echo, host: 127.0.0.1, port: 0, mode: echo}
  - {name: metrics, host: 127.0.0.1, port: 0, mode: metrics}
EOF

# ================================================================ tlserve -t
out=$(run_tlserve -t -c "$conf" 2>&1)
check_eq "-t: the configuration passes (exit 0)" 0 "$?"
check_has_line "-t: the metrics line" "$out" "$conf: listener metrics: metrics at /metrics"
check_not_contains "-t: no warning for a metrics listener on 127.0.0.1" "$out" "binds every address"

nohost=$TMP/nohost.yaml
write_config "$nohost" <<EOF
listeners:
  - {name: files, host: 127.0.0.1, port: 0, mode: files, root: $www}
  - {name: open, port: 0, mode: metrics}
EOF
out=$(run_tlserve -t -c "$nohost" 2>&1)
check_eq "-t: a metrics listener without host still passes (exit 0)" 0 "$?"
check_contains "-t: ... with the warning" "$out" \
	'listener "open" (mode: metrics) binds every address: the metrics are open to every client that can reach it (host: 127.0.0.1 keeps them local)'

# Loopback is decided on the address, not its spelling.
for h in '::1' '0:0:0:0:0:0:0:1' '::ffff:127.0.0.1' '127.1.2.3' localhost; do
	write_config "$TMP/lo.yaml" <<EOF
listeners:
  - {name: files, host: 127.0.0.1, port: 0, mode: files, root: $www}
  - {name: lo, host: "$h", port: 0, mode: metrics}
EOF
	out=$(run_tlserve -t -c "$TMP/lo.yaml" 2>&1)
	check_not_contains "-t: no warning for a metrics listener on $h (loopback)" "$out" "(mode: metrics) binds"
done
write_config "$TMP/lo.yaml" <<EOF
listeners:
  - {name: files, host: 127.0.0.1, port: 0, mode: files, root: $www}
  - {name: wide, host: "::", port: 0, mode: metrics}
EOF
out=$(run_tlserve -t -c "$TMP/lo.yaml" 2>&1)
check_contains "-t: the warning for a metrics listener on ::" "$out" 'listener "wide" (mode: metrics) binds ::'

# refuse DESC ERE — listeners: on stdin; -t exits 1 with FILE:LINE:COL: and ERE.
NREF=0
refuse() {
	local desc=$1 re=$2 rc f out
	NREF=$((NREF + 1))
	f=$TMP/bad.$NREF.yaml
	write_config "$f"
	out=$(run_tlserve -t -c "$f" 2>&1)
	rc=$?
	if [ "$rc" = 1 ] && grep -Eqi -- "$re" <<<"$out" && grep -Eq -- "^$f:[0-9]+:[0-9]+: " <<<"$out"; then
		pass "-t refuses $desc (exit 1, FILE:LINE:COL: ... /$re/)"
	else
		fail "-t refuses $desc (exit 1, FILE:LINE:COL: ... /$re/)" "exit $rc" "$out"
	fi
}
for k in "sites: [{names: [b.test], root: $www}]" 'headers: {X-A: b}' 'to_port: 443'; do
	refuse "${k%%:*} on a metrics listener" "${k%%:*}" <<EOF
listeners:
  - {name: files, host: 127.0.0.1, port: 0, mode: files, root: $www}
  - {name: metrics, host: 127.0.0.1, port: 0, mode: metrics, $k}
EOF
done

# ================================================================ helpers

# scrape TAG — GET /metrics into $TMP/m.TAG (the current scrape, $M); 0 on a 200.
scrape() {
	M=$TMP/m.$1
	[ "$(curl -sS --max-time "$NET_TIMEOUT" --noproxy '*' -o "$M" -w '%{http_code}' \
		"http://127.0.0.1:$MPORT/metrics" 2>"$M.err")" = 200 ]
}

# metric NAME [LABELS] [FILE] — the value of exactly the sample NAME{LABELS}
# (NAME alone when LABELS is empty) of FILE (the last scrape); empty if absent.
metric() {
	local key=$1
	[ -n "${2:-}" ] && key="$1{$2}"
	awk -v k="$key" '/^#/ { next } { s = $0; sub(/ [^ ]*$/, "", s); if (s == k) { print $NF; exit } }' "${3:-$M}"
}

# settle TAG — scrape until no connection of files or echo is open (bounded:
# a client's close reaches the server after the client exits); that scrape
# is $TMP/m.TAG. 0 when they all closed.
settle() {
	local i
	for ((i = 0; i < 50 * SLOW; i++)); do
		scrape "$1" && [ "$(metric tlserve_connections_active 'listener="files"')" = 0 ] &&
			[ "$(metric tlserve_connections_active 'listener="echo"')" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

cat >"$TMP/deltas.py" <<'EOF'
# deltas.py BEFORE AFTER [SAMPLE=DELTA...] — every sample of AFTER minus the
# same sample of BEFORE (absent: 0) must be the DELTA given for it, or 0.
# Not compared: process_*, the reload timestamp, the metrics listener's own
# samples (the scrapes), the duration histogram's _sum and its finite buckets.
import sys

def load(path):
    d = {}
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        key, _, val = line.rpartition(" ")
        d[key] = float(val)
    return d

def ignored(k):
    return (k.startswith("process_") or k.startswith("tlserve_config_last_reload")
            or 'listener="metrics"' in k or k.startswith("tlserve_http_request_duration_seconds_sum")
            or (k.startswith("tlserve_http_request_duration_seconds_bucket") and 'le="+Inf"' not in k))

a, b = load(sys.argv[1]), load(sys.argv[2])
want = {}
for arg in sys.argv[3:]:
    k, _, v = arg.rpartition("=")
    want[k] = float(v)
bad = []
for k in sorted(set(a) | set(b) | set(want)):
    if k in want and k not in b:
        bad.append("%s: absent from the second scrape" % k)
        continue
    if ignored(k) and k not in want:
        continue
    got = b.get(k, 0) - a.get(k, 0)
    if got != want.get(k, 0):
        bad.append("%s: expected %+g, got %+g (%g -> %g)" % (k, want.get(k, 0), got, a.get(k, 0), b.get(k, 0)))
print("\n".join(bad))
EOF

# check_deltas DESC BEFORE AFTER [SAMPLE=DELTA...] — the samples given moved
# by exactly that; every other counter and gauge (bar the ignored ones) did
# not move.
check_deltas() {
	local desc=$1 a=$TMP/m.$2 b=$TMP/m.$3 out
	shift 3
	out=$("$PY" "$TMP/deltas.py" "$a" "$b" "$@" 2>&1)
	if [ -z "$out" ]; then pass "$desc"; else fail "$desc" "$out"; fi
}

# check_histogram DESC LISTENER — buckets cumulative (non-decreasing in le
# order), the +Inf bucket equal to _count, all 15 buckets present.
check_histogram() {
	local out
	out=$(awk -v l="listener=\"$2\"" '
		index($0, "tlserve_http_request_duration_seconds_bucket{" l ",") == 1 {
			n++; if (n > 1 && $NF + 0 < prev + 0) bad = bad " " $1 "<" prev; prev = $NF; last = $1; inf = $NF }
		index($0, "tlserve_http_request_duration_seconds_count{" l "}") == 1 { count = $NF }
		END {
			if (n != 15) print "expected 15 buckets, got " n
			if (last !~ /le="\+Inf"/) print "the last bucket is not +Inf: " last
			if (inf != count) print "+Inf bucket " inf " != _count " count
			if (bad != "") print "decreasing:" bad
		}' "$M")
	if [ -z "$out" ]; then pass "$1"; else fail "$1" "$out"; fi
}

# ================================================================ the server
start_server "$conf" || finish
MPORT=$(port_of metrics)
FPORT=$(port_of files)

if settle base; then pass "a first scrape: 200, no files or echo connection open"; else fail "a first scrape" "$(cat "$M.err")" "$(excerpt "$M")"; fi

# ---- promtool on a scrape.
out=$(promtool check metrics <"$M" 2>&1)
rc=$?
check_eq "promtool check metrics passes on a scrape (exit 0)" 0 "$rc"
[ "$rc" = 0 ] || note "$out"

# ---- every family present, with its TYPE.
for f in tlserve_connections_accepted_total:counter tlserve_connections_active:gauge \
	tlserve_connections_refused_total:counter tlserve_tls_handshakes_total:counter \
	tlserve_tls_handshake_failures_total:counter tlserve_http_requests_total:counter \
	tlserve_http_response_bytes_total:counter tlserve_http_request_duration_seconds:histogram \
	tlserve_echo_bytes_total:counter tlserve_certificate_expiry_timestamp_seconds:gauge \
	tlserve_config_reloads_total:counter tlserve_config_last_reload_success_timestamp_seconds:gauge \
	tlserve_build_info:gauge process_cpu_seconds_total:counter process_resident_memory_bytes:gauge \
	process_open_fds:gauge process_max_fds:gauge process_start_time_seconds:gauge; do
	check_has_line "# TYPE ${f%%:*} ${f##*:}" "$(cat "$M")" "# TYPE ${f%%:*} ${f##*:}"
done
missing=""
for l in files echo; do
	for v in TLSv1.2 TLSv1.3; do
		for r in false true; do
			[ -n "$(metric tlserve_tls_handshakes_total "listener=\"$l\",version=\"$v\",resumed=\"$r\"")" ] ||
				missing="$missing $l/$v/$r"
		done
	done
	for r in timeout protocol certificate plaintext proxy_header; do
		[ -n "$(metric tlserve_tls_handshake_failures_total "listener=\"$l\",reason=\"$r\"")" ] ||
			missing="$missing $l/$r"
	done
done
check_eq "all 4 handshake and 5 failure samples of files and echo are there" "" "$missing"
check_eq "no handshake samples for the metrics listener" "" \
	"$(grep -E '^tlserve_tls_handshake[a-z_]*\{listener="metrics"' "$M")"
check_eq "no echo_bytes sample for the files listener" "" "$(metric tlserve_echo_bytes_total 'listener="files"')"
check_eq "no http_requests_total sample for files before its first request" "" \
	"$(grep -E '^tlserve_http_requests_total\{listener="files"' "$M")"

# ---- certificate expiry, build_info, process_*.
not_after=$(date -u -d "$(openssl x509 -in "$CERTS/server.crt" -noout -enddate | cut -d= -f2)" +%s)
subject=$(openssl x509 -in "$CERTS/server.crt" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
for l in files echo; do
	check_eq "certificate_expiry_timestamp_seconds{listener=\"$l\",subject=\"$subject\"} is server.crt's notAfter" \
		"$not_after" "$(metric tlserve_certificate_expiry_timestamp_seconds "listener=\"$l\",subject=\"$subject\"")"
done
check_eq "no certificate sample for the metrics listener" "" \
	"$(grep -E '^tlserve_certificate_expiry_timestamp_seconds\{listener="metrics"' "$M")"
version=$(run_tlserve -V 2>&1 | head -n 1 | awk '{ print $2 }')
bi=$(grep -E '^tlserve_build_info\{' "$M")
check_match "build_info{version=\"$version\",openssl=\"OpenSSL ...\"} 1" "$bi" \
	"^tlserve_build_info\\{version=\"${version//./\\.}\",openssl=\"OpenSSL [0-9][^\"]*\"\\} 1\$"
now=$(date +%s)
st=$(metric process_start_time_seconds)
if [ -n "$st" ] && [ "$st" -le "$now" ] && [ "$st" -ge $((now - 600)) ]; then
	pass "process_start_time_seconds within the last 10 minutes ($st, now $now)"
else
	fail "process_start_time_seconds within the last 10 minutes" "got: '$st', now $now"
fi
lr=$(metric tlserve_config_last_reload_success_timestamp_seconds)
if [ -n "$lr" ] && [ "$lr" -ge "$st" ] && [ "$lr" -le "$now" ]; then
	pass "config_last_reload_success_timestamp_seconds: the start-up time ($lr)"
else
	fail "config_last_reload_success_timestamp_seconds: the start-up time" "got '$lr', start $st, now $now"
fi
fds=$(metric process_open_fds)
maxfds=$(metric process_max_fds)
if [ -n "$fds" ] && [ -n "$maxfds" ] && [ "$fds" -gt 0 ] && [ "$fds" -le "$maxfds" ]; then
	pass "process_open_fds > 0 and <= process_max_fds ($fds <= $maxfds)"
else
	fail "process_open_fds > 0 and <= process_max_fds" "open '$fds', max '$maxfds'"
fi
pfds=$(find "/proc/$SERVER_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
pmax=$(awk '/^Max open files/ { print $4 }' "/proc/$SERVER_PID/limits" 2>/dev/null)
if [ -z "$TLSERVE_WRAPPER$TLSERVE_PREFIX" ]; then
	check_eq "process_max_fds is the server's soft RLIMIT_NOFILE (/proc/PID/limits)" "$pmax" "$maxfds"
	d=$((pfds - fds))
	if [ "${d#-}" -le 3 ]; then
		pass "process_open_fds is about /proc/PID/fd's count ($fds vs $pfds)"
	else
		fail "process_open_fds is about /proc/PID/fd's count" "$fds vs $pfds"
	fi
fi
rss=$(metric process_resident_memory_bytes)
pcpu=$(metric process_cpu_seconds_total)
if [ -n "$rss" ] && [ "$rss" -gt 1000000 ] && [ "$rss" -lt 4000000000 ] &&
	awk -v c="$pcpu" 'BEGIN { exit !(c != "" && c + 0 >= 0 && c + 0 < 600) }'; then
	pass "process_resident_memory_bytes ($rss) and process_cpu_seconds_total ($pcpu) are sane"
else
	fail "process_resident_memory_bytes and process_cpu_seconds_total are sane" "rss '$rss', cpu '$pcpu'"
fi

# ================================================================ traffic, exact deltas

# ---- 25 GETs of a file on one keep-alive connection: one TLS 1.3 handshake.
args=()
for ((i = 0; i < 25; i++)); do args+=(-o /dev/null "https://localhost:$FPORT/file.bin"); done
codes=$(tcurl --resolve "localhost:$FPORT:127.0.0.1" -w '%{http_code} %{size_download}\n' "${args[@]}" 2>&1)
check_eq "25 GETs of file.bin: 25 x '200 $FSIZE'" "25" "$(grep -cx "200 $FSIZE" <<<"$codes")"
settle get25 || fail "the files connection closes after curl (connections_active back to 0)" "$(excerpt "$M")"
check_deltas "25 GETs: requests{code=200} +25, response_bytes +25 x $FSIZE, duration _count +25, one connection, one TLS 1.3 handshake, nothing else" \
	base get25 \
	'tlserve_http_requests_total{listener="files",code="200"}=25' \
	"tlserve_http_response_bytes_total{listener=\"files\"}=$((25 * FSIZE))" \
	'tlserve_http_request_duration_seconds_count{listener="files"}=25' \
	'tlserve_http_request_duration_seconds_bucket{listener="files",le="+Inf"}=25' \
	'tlserve_connections_accepted_total{listener="files"}=1' \
	'tlserve_tls_handshakes_total{listener="files",version="TLSv1.3",resumed="false"}=1'
check_histogram "the files histogram: 15 cumulative buckets, +Inf == _count" files

# ---- one GET of a file too big for one write: its duration spans several
# turns of the event loop, so the histogram's _sum grows (a short request
# answered within one turn may count 0 s).
random_file "$www/big.bin" $((8 * 1024 * 1024))
BSIZE=$(file_size "$www/big.bin")
check_eq "GET /big.bin (8 MiB): 200 $BSIZE" "200 $BSIZE" \
	"$(hcurl files /big.bin -o /dev/null -w '%{http_code} %{size_download}' 2>&1)"
settle big || fail "the files connection closes after curl" "$(excerpt "$M")"
check_deltas "GET /big.bin: requests{code=200} +1, response_bytes +$BSIZE, one connection and handshake" \
	get25 big \
	'tlserve_http_requests_total{listener="files",code="200"}=1' \
	"tlserve_http_response_bytes_total{listener=\"files\"}=$BSIZE" \
	'tlserve_http_request_duration_seconds_count{listener="files"}=1' \
	'tlserve_http_request_duration_seconds_bucket{listener="files",le="+Inf"}=1' \
	'tlserve_connections_accepted_total{listener="files"}=1' \
	'tlserve_tls_handshakes_total{listener="files",version="TLSv1.3",resumed="false"}=1'
sum_b=$(metric tlserve_http_request_duration_seconds_sum 'listener="files"' "$TMP/m.get25")
sum_a=$(metric tlserve_http_request_duration_seconds_sum 'listener="files"')
if awk -v a="$sum_b" -v b="$sum_a" 'BEGIN { exit !(a != "" && b + 0 > a + 0 && b - a < 10) }'; then
	pass "the duration _sum grew by the 8 MiB request's time, under 10 s ($sum_b -> $sum_a)"
else
	fail "the duration _sum grew by the 8 MiB request's time, under 10 s" "$sum_b -> $sum_a"
fi
check_histogram "the files histogram: still cumulative, +Inf == _count" files

# ---- 5 GETs over HTTP/2 count alike.
args=()
for ((i = 0; i < 5; i++)); do args+=(-o /dev/null "https://localhost:$FPORT/file.bin"); done
codes=$(curl -sS --max-time "$NET_TIMEOUT" --noproxy '*' --http2 --cacert "$CERTS/ca.crt" \
	--resolve "localhost:$FPORT:127.0.0.1" -w '%{http_version} %{http_code}\n' "${args[@]}" 2>&1)
check_eq "5 GETs over h2: 5 x '2 200'" 5 "$(grep -cx '2 200' <<<"$codes")"
settle h2 || fail "the h2 connection closes after curl" "$(excerpt "$M")"
check_deltas "5 h2 GETs: requests{code=200} +5, response_bytes +5 x $FSIZE, one connection and handshake" \
	big h2 \
	'tlserve_http_requests_total{listener="files",code="200"}=5' \
	"tlserve_http_response_bytes_total{listener=\"files\"}=$((5 * FSIZE))" \
	'tlserve_http_request_duration_seconds_count{listener="files"}=5' \
	'tlserve_http_request_duration_seconds_bucket{listener="files",le="+Inf"}=5' \
	'tlserve_connections_accepted_total{listener="files"}=1' \
	'tlserve_tls_handshakes_total{listener="files",version="TLSv1.3",resumed="false"}=1'

# ---- one full and one resumed handshake, TLS 1.3 then 1.2. Each connection
# sends a request and reads the response to the server's close (TLS 1.3
# tickets come after the handshake), then -sess_out holds the session.
REQ=$'GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
ISIZE=$(file_size "$www/index.html")
# hs VERSION SESSION-ARGS... — one connection; prints its "New, ..."/"Reused, ..." line.
hs() {
	local v=$1
	shift
	printf '%s' "$REQ" | timeout -k 2 "$NET_TIMEOUT" openssl s_client -ign_eof -tls"${v/./_}" \
		-connect "127.0.0.1:$FPORT" -servername localhost -CAfile "$CERTS/ca.crt" -verify_return_error \
		"$@" >"$TMP/hs.out" 2>&1
	grep -a -m 1 -E '^(New|Reused), ' "$TMP/hs.out"
}
prev=h2
for v in 1.3 1.2; do
	rm -f "$TMP/s$v.sess"
	l1=$(hs "$v" -sess_out "$TMP/s$v.sess")
	check_match "TLS $v: a full handshake, the session saved" "$l1" "^New, TLSv${v//./\\.},"
	[ -s "$TMP/s$v.sess" ] || fail "TLS $v: the session file is written" "$(tail -n 5 "$TMP/hs.out")"
	check_eq "... and the response was read (HTTP/1.1 200)" 1 "$(grep -ac '^HTTP/1.1 200' "$TMP/hs.out")"
	l2=$(hs "$v" -sess_in "$TMP/s$v.sess")
	check_match "TLS $v: the session resumes" "$l2" "^Reused, TLSv${v//./\\.},"
	settle "hs$v" || fail "the s_client connections close" "$(excerpt "$M")"
	check_deltas "TLS $v: handshakes{version=TLSv$v,resumed=false} +1 and {resumed=true} +1, two requests, nothing else" \
		"$prev" "hs$v" \
		"tlserve_tls_handshakes_total{listener=\"files\",version=\"TLSv$v\",resumed=\"false\"}=1" \
		"tlserve_tls_handshakes_total{listener=\"files\",version=\"TLSv$v\",resumed=\"true\"}=1" \
		'tlserve_connections_accepted_total{listener="files"}=2' \
		'tlserve_http_requests_total{listener="files",code="200"}=2' \
		"tlserve_http_response_bytes_total{listener=\"files\"}=$((2 * ISIZE))" \
		'tlserve_http_request_duration_seconds_count{listener="files"}=2' \
		'tlserve_http_request_duration_seconds_bucket{listener="files",le="+Inf"}=2'
	prev=hs$v
done

# ---- 100,000 bytes through the echo listener.
random_file "$TMP/echo.in" 100000
if have_tls_pipe; then
	pipe_stream echo "$TMP/echo.in" "$TMP/echo.out" -v 1.3
	rc=$?
	check_eq "tls_pipe: 100,000 bytes echoed, clean close (status 0)" 0 "$rc" || note "$(cat "$TMP/echo.out.err")"
	check_same_file "... and they come back unchanged" "$TMP/echo.in" "$TMP/echo.out"
	settle echo || fail "the echo connection closes" "$(excerpt "$M")"
	check_deltas "echo: echo_bytes_total +100000, one connection, one TLS 1.3 handshake, nothing else" \
		"$prev" echo \
		'tlserve_echo_bytes_total{listener="echo"}=100000' \
		'tlserve_connections_accepted_total{listener="echo"}=1' \
		'tlserve_tls_handshakes_total{listener="echo",version="TLSv1.3",resumed="false"}=1'
	prev="echo"
else
	fail "tls_pipe is built" "no $TLS_PIPE (make unit-bins builds it)"
fi

# ---- connections_active follows an open connection and comes back.
conn_open files -no_ign_eof
conn_write $'GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n'
conn_wait_for 'HTTP/1.1 200' || fail "a held connection gets its response" "$(excerpt "$CONN_OUT")"
scrape held
check_eq "connections_active{listener=\"files\"} is 1 while a connection is open" 1 \
	"$(metric tlserve_connections_active 'listener="files"')"
conn_close
if settle closed; then
	pass "connections_active{listener=\"files\"} returns to 0 after the client closes"
else
	fail "connections_active{listener=\"files\"} returns to 0 after the client closes" \
		"got $(metric tlserve_connections_active 'listener="files"')"
fi
check_deltas "the held connection: one connection, one handshake, one request" "$prev" closed \
	'tlserve_connections_accepted_total{listener="files"}=1' \
	'tlserve_tls_handshakes_total{listener="files",version="TLSv1.3",resumed="false"}=1' \
	'tlserve_http_requests_total{listener="files",code="200"}=1' \
	"tlserve_http_response_bytes_total{listener=\"files\"}=$ISIZE" \
	'tlserve_http_request_duration_seconds_count{listener="files"}=1' \
	'tlserve_http_request_duration_seconds_bucket{listener="files",le="+Inf"}=1'
prev=closed

# ---- failures: plain HTTP to the TLS port.
out=$(curl -sS --max-time "$NET_TIMEOUT" --noproxy '*' --http1.1 -o "$TMP/plain.body" -w '%{http_code}' \
	"http://127.0.0.1:$FPORT/" 2>&1)
note "plain HTTP to the TLS port: curl got $out"
settle plain || fail "the plain-HTTP connection closes" "$(excerpt "$M")"
check_deltas "plain HTTP to the TLS port: failures{reason=plaintext} +1, one connection, nothing else" \
	"$prev" plain \
	'tlserve_tls_handshake_failures_total{listener="files",reason="plaintext"}=1' \
	'tlserve_connections_accepted_total{listener="files"}=1'
prev=plain

# ---- failures: OPTIONS in plain HTTP (OpenSSL calls it "wrong version
# number", not an HTTP request): still plaintext.
curl -sS --max-time "$NET_TIMEOUT" --noproxy '*' --http1.1 -X OPTIONS -o /dev/null \
	"http://127.0.0.1:$FPORT/" >/dev/null 2>&1
settle plain2 || fail "the plain-HTTP OPTIONS connection closes" "$(excerpt "$M")"
check_deltas "OPTIONS in plain HTTP to the TLS port: failures{reason=plaintext} +1, one connection, nothing else" \
	"$prev" plain2 \
	'tlserve_tls_handshake_failures_total{listener="files",reason="plaintext"}=1' \
	'tlserve_connections_accepted_total{listener="files"}=1'
prev=plain2

# ---- failures: a TLS 1.2 client offering only CBC ciphers.
timeout -k 2 "$NET_TIMEOUT" openssl s_client -tls1_2 -cipher 'ECDHE-RSA-AES128-SHA:AES128-SHA' \
	-connect "127.0.0.1:$FPORT" -servername localhost </dev/null >/dev/null 2>&1
settle cbc || fail "the refused connection closes" "$(excerpt "$M")"
check_deltas "a refused cipher: failures{reason=protocol} +1, one connection, nothing else" \
	"$prev" cbc \
	'tlserve_tls_handshake_failures_total{listener="files",reason="protocol"}=1' \
	'tlserve_connections_accepted_total{listener="files"}=1'
prev=cbc

# ---- failures: a handshake that never completes (handshake_timeout 2s): the
# first 5 bytes of a TLS record (a ClientHello of 512 bytes announced), then
# nothing. (A connection that sends nothing at all stays in the kernel's
# deferred accept for some 7 s before the server's timer starts.)
t0=$SECONDS
got=x
if exec {fd}<>"/dev/tcp/127.0.0.1/$FPORT"; then
	printf '\026\003\001\002\000' >&"$fd"
	for ((i = 0; i < 50 * SLOW; i++)); do
		scrape wait
		[ "$(metric tlserve_tls_handshake_failures_total 'listener="files",reason="timeout"')" = \
			"$(metric tlserve_tls_handshake_failures_total 'listener="files",reason="timeout"' "$TMP/m.$prev")" ] || break
		sleep 0.1
	done
	got=$(timeout 5 cat <&"$fd" | wc -c)
	exec {fd}<&-
else
	fail "a TCP connection to the files listener"
fi
waited=$((SECONDS - t0))
if [ "$waited" -ge 1 ] && [ "$waited" -le $((4 * SLOW)) ]; then
	pass "the stalled handshake is timed out after about 2 s (${waited}s)"
else
	fail "the stalled handshake is timed out after about 2 s" "${waited}s"
fi
check_eq "... and the connection closed without a byte sent" 0 "$got"
settle silent || fail "the silent connection closes" "$(excerpt "$M")"
check_deltas "a stalled handshake: failures{reason=timeout} +1, one connection, nothing else" \
	"$prev" silent \
	'tlserve_tls_handshake_failures_total{listener="files",reason="timeout"}=1' \
	'tlserve_connections_accepted_total{listener="files"}=1'
prev=silent

# ---- a good reload keeps the counters.
n=$(grep -ac 'configuration reloaded' "$SERVER_LOG")
t0=$(date +%s)
kill -HUP "$SERVER_PID"
wait_log 'configuration reloaded' $((n + 1)) || fail "SIGHUP: configuration reloaded" "$(server_log_tail 5)"
settle reload || fail "a scrape after the reload" "$(excerpt "$M")"
check_deltas "SIGHUP: reloads_total{result=success} +1, every other counter kept (not reset)" \
	"$prev" reload 'tlserve_config_reloads_total{result="success"}=1'
for k in 'tlserve_connections_accepted_total|listener="files"' 'tlserve_http_requests_total|listener="files",code="200"'; do
	b=$(metric "${k%%|*}" "${k#*|}" "$TMP/m.$prev")
	a=$(metric "${k%%|*}" "${k#*|}")
	if [ -n "$a" ] && [ "$a" -ge "${b:-0}" ] && [ "$a" -gt 0 ]; then
		pass "after the reload ${k%%|*}{${k#*|}} is still $a (>= $b)"
	else
		fail "after the reload ${k%%|*}{${k#*|}} is not reset" "before $b, after '$a'"
	fi
done
lr2=$(metric tlserve_config_last_reload_success_timestamp_seconds)
if [ -n "$lr2" ] && [ "$lr2" -ge "$t0" ] && [ "$lr2" -le "$(date +%s)" ]; then
	pass "config_last_reload_success_timestamp_seconds is the reload's time ($lr2)"
else
	fail "config_last_reload_success_timestamp_seconds is the reload's time" "got '$lr2', SIGHUP at $t0"
fi
prev=reload

# ---- a bad reload is counted as a failure; the server goes on.
cp "$conf" "$TMP/good.yaml"
printf 'listeners: [\n' >>"$conf"
n=$(grep -acE 'reload failed|reload refused' "$SERVER_LOG")
kill -HUP "$SERVER_PID"
wait_log 'reload failed|reload refused' $((n + 1)) || fail "SIGHUP with a broken file: reload failed" "$(server_log_tail 5)"
cp "$TMP/good.yaml" "$conf"
settle badreload || fail "a scrape after the failed reload" "$(excerpt "$M")"
check_deltas "a broken configuration: reloads_total{result=failure} +1, nothing else" \
	"$prev" badreload 'tlserve_config_reloads_total{result="failure"}=1'
check_eq "... the last good reload time is unchanged" "$lr2" "$(metric tlserve_config_last_reload_success_timestamp_seconds)"
prev=badreload
out=$(promtool check metrics <"$M" 2>&1)
rc=$?
check_eq "promtool check metrics passes after traffic and reloads (exit 0)" 0 "$rc"
[ "$rc" = 0 ] || note "$out"
check_histogram "the files histogram after traffic: cumulative, +Inf == _count" files
check_histogram "the metrics listener's histogram: cumulative, +Inf == _count" metrics

# ================================================================ the metrics listener's HTTP
mcurl() { curl -sS --max-time "$NET_TIMEOUT" --noproxy '*' --http1.1 "$@"; }
mcurl -D "$TMP/get.head" -o "$TMP/get.body" "http://127.0.0.1:$MPORT/metrics" >/dev/null 2>&1
H=$(tr -d '\r' <"$TMP/get.head")
check_match "GET /metrics: HTTP/1.1 200" "$(head -n 1 <<<"$H")" '^HTTP/1\.1 200'
check_has_line "Content-Type: text/plain; version=0.0.4; charset=utf-8 (exactly)" "$H" \
	"Content-Type: text/plain; version=0.0.4; charset=utf-8"
check_has_line "Cache-Control: no-store" "$H" "Cache-Control: no-store"
cl=$(sed -nE 's/^[Cc]ontent-[Ll]ength: ([0-9]+)$/\1/p' <<<"$H")
check_eq "Content-Length is the body's" "$(file_size "$TMP/get.body")" "$cl"

# A window on the metrics listener alone: one keep-alive connection with two
# scrapes (a scrape counts itself once answered: the second sees the first).
mcurl -o "$TMP/m.ka1" "http://127.0.0.1:$MPORT/metrics" -o "$TMP/m.ka2" "http://127.0.0.1:$MPORT/metrics" 2>/dev/null
k='listener="metrics",code="200"'
a=$(metric tlserve_http_requests_total "$k" "$TMP/m.ka1")
b=$(metric tlserve_http_requests_total "$k" "$TMP/m.ka2")
check_eq "two scrapes on one connection: the second counts the first (code=200 +1)" $((a + 1)) "$b"
check_eq "... and the same connection (accepted{metrics} +0)" \
	"$(metric tlserve_connections_accepted_total 'listener="metrics"' "$TMP/m.ka1")" \
	"$(metric tlserve_connections_accepted_total 'listener="metrics"' "$TMP/m.ka2")"

check_eq "GET /metrics?x=1 (the query ignored): 200" 200 \
	"$(mcurl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/metrics?x=1")"
check_eq "GET /other: 404" 404 "$(mcurl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/other")"
check_eq "GET /metrics/: 404" 404 "$(mcurl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/metrics/")"
check_eq "POST /metrics: 405" 405 "$(mcurl -o /dev/null -w '%{http_code}' -d x "http://127.0.0.1:$MPORT/metrics")"
check_eq "FOO /metrics: 501" 501 "$(mcurl -o /dev/null -w '%{http_code}' -X FOO "http://127.0.0.1:$MPORT/metrics")"
# HEAD: read to the server's close, so a body would show.
if exec {fd}<>"/dev/tcp/127.0.0.1/$MPORT"; then
	printf 'HEAD /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&"$fd"
	timeout 5 cat <&"$fd" >"$TMP/head.resp"
	exec {fd}<&-
fi
check_eq "HEAD /metrics: 200" 200 "$(resp_status "$TMP/head.resp")"
check_eq "... Content-Type as GET's" "text/plain; version=0.0.4; charset=utf-8" "$(resp_header "$TMP/head.resp" Content-Type)"
check_eq "... and no body" 0 "$(resp_body "$TMP/head.resp" | wc -c)"
# A scrape once every other connection to the metrics listener has closed
# (each request is counted before its connection closes).
for ((i = 0; i < 50 * SLOW; i++)); do
	scrape mwin && [ "$(metric tlserve_connections_active 'listener="metrics"')" = 1 ] && break
	sleep 0.1
done
check_eq "connections_active{listener=\"metrics\"}: only the scrape's own" 1 \
	"$(metric tlserve_connections_active 'listener="metrics"')"
check_deltas "the metrics listener's requests by code: 404 +2, 405 +1, 501 +1 (ignored here: 200s)" ka2 mwin \
	'tlserve_http_requests_total{listener="metrics",code="404"}=2' \
	'tlserve_http_requests_total{listener="metrics",code="405"}=1' \
	'tlserve_http_requests_total{listener="metrics",code="501"}=1'
# The 200s since the second scrape was rendered: itself, ?x=1 and HEAD.
check_eq "... and code=200 +3 (the second scrape, ?x=1, HEAD)" \
	$((b + 3)) "$(metric tlserve_http_requests_total "$k")"
check_contains "the access log has the scrapes" "$(cat "$TMP/access.log")" "/metrics"
# absolute-form (RFC 9112 3.2.2), as a proxy would send it
check_eq "GET http://127.0.0.1:PORT/metrics (absolute-form): 200" 200 \
	"$(mcurl -o /dev/null -w '%{http_code}' --request-target "http://127.0.0.1:$MPORT/metrics" "http://127.0.0.1:$MPORT/")"
check_eq "GET http://127.0.0.1:PORT/other (absolute-form): 404" 404 \
	"$(mcurl -o /dev/null -w '%{http_code}' --request-target "http://127.0.0.1:$MPORT/other" "http://127.0.0.1:$MPORT/")"

# ================================================================ a real Prometheus
PPORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: tlserve
    scrape_interval: 1s
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" >"$TMP/prometheus.log" 2>&1 &
PROM_PID=$!
track_bg "$PROM_PID"

# pquery EXPR — the value of the first result of an instant query ("" if none).
pquery() {
	curl -sS --max-time 5 --noproxy '*' -G "http://127.0.0.1:$PPORT/api/v1/query" \
		--data-urlencode "query=$1" 2>/dev/null |
		"$PY" -c 'import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "")
except Exception:
    print("")'
}
up=""
for ((i = 0; i < 60 * SLOW; i++)); do
	kill -0 "$PROM_PID" 2>/dev/null || break
	up=$(pquery 'up{job="tlserve"}')
	[ "$up" = 1 ] && break
	sleep 0.5
done
check_eq "Prometheus scrapes tlserve: up{job=\"tlserve\"} == 1" 1 "$up" || note "$(tail -n 5 "$TMP/prometheus.log")"
scrape prom
want=$(metric tlserve_http_requests_total 'listener="files",code="200"')
got=$(pquery 'tlserve_http_requests_total{job="tlserve",listener="files",code="200"}')
check_eq "Prometheus holds tlserve_http_requests_total{listener=\"files\",code=\"200\"} as scraped" "$want" "$got"
got=$(pquery 'tlserve_echo_bytes_total{job="tlserve",listener="echo"}')
check_eq "Prometheus holds tlserve_echo_bytes_total{listener=\"echo\"}" "$(metric tlserve_echo_bytes_total 'listener="echo"')" "$got"
got=$(pquery 'tlserve_build_info{job="tlserve"}')
check_eq "Prometheus holds tlserve_build_info == 1" 1 "$got"
kill -TERM "$PROM_PID" 2>/dev/null
_wait_gone "$PROM_PID" 100 || kill -KILL "$PROM_PID" 2>/dev/null
wait "$PROM_PID" 2>/dev/null

if server_alive; then pass "the server is still running"; else fail "the server is still running"; fi
stop_server

# ================================================================ more failure reasons
# A listener behind a PROXY protocol sender, and one that requires a
# client certificate.
conf2=$TMP/reasons.yaml
write_config "$conf2" <<EOF
listeners:
  - {name: proxied, host: 127.0.0.1, port: 0, mode: files, root: $www, proxy_protocol: v1}
  - name: mtls
    host: 127.0.0.1
    port: 0
    mode: files
    root: $www
    tls: {client_ca: $CERTS/ca.crt, verify_client: require}
  - {name: metrics, host: 127.0.0.1, port: 0, mode: metrics}
EOF
if start_server "$conf2"; then
	MPORT=$(port_of metrics)
	fail_of() { metric tlserve_tls_handshake_failures_total "listener=\"$1\",reason=\"$2\""; }
	scrape r0
	# the peer leaves before its PROXY header is complete
	if exec {fd}<>"/dev/tcp/127.0.0.1/$(port_of proxied)"; then
		printf 'PROXY TCP4 1.2.3.4' >&"$fd"
		exec {fd}<&-
	fi
	for ((i = 0; i < 50 * SLOW; i++)); do
		scrape r1 && [ "$(fail_of proxied protocol)" = 1 ] && break
		sleep 0.1
	done
	check_eq "PROXY v1: a peer that leaves mid-header: failures{reason=protocol} +1" 1 "$(fail_of proxied protocol)"
	check_eq "... and not proxy_header" 0 "$(fail_of proxied proxy_header)"
	# a bad PROXY header
	curl -sS --max-time "$NET_TIMEOUT" --noproxy '*' -o /dev/null "http://127.0.0.1:$(port_of proxied)/" \
		>/dev/null 2>&1
	for ((i = 0; i < 50 * SLOW; i++)); do
		scrape r2 && [ "$(fail_of proxied proxy_header)" = 1 ] && break
		sleep 0.1
	done
	check_eq "PROXY v1: no valid header: failures{reason=proxy_header} +1" 1 "$(fail_of proxied proxy_header)"
	# verify_client: require, and a client without a certificate
	timeout -k 2 "$NET_TIMEOUT" openssl s_client -connect "127.0.0.1:$(port_of mtls)" -tls1_2 \
		-servername localhost </dev/null >/dev/null 2>&1
	for ((i = 0; i < 50 * SLOW; i++)); do
		scrape r3 && [ "$(fail_of mtls certificate)" = 1 ] && break
		sleep 0.1
	done
	check_eq "verify_client: require, no client certificate: failures{reason=certificate} +1" 1 \
		"$(fail_of mtls certificate)"
	check_eq "... and not protocol" 0 "$(fail_of mtls protocol)"
	stop_server
fi
finish
