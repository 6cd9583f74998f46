#!/usr/bin/env bash
# 27-redirect: the plain-HTTP redirect listener (mode: redirect) — 308 to
# https://HOST[:PORT]PATH?QUERY for any method and path, the port of the
# first files listener by default (also with port: 0), to_port, none when
# 443; the Host lower-cased and without its port; 400 for a missing or
# invalid Host; keep-alive and pipelining; a TLS ClientHello answered with a
# plain 400 and a close; header_timeout; the PROXY protocol; the access log;
# -t's redirect lines and what it refuses.
# Clients: curl, python3 (raw sockets), openssl s_client. About 10 s.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
require_cmd curl openssl
require_exec "$PY" "Debian's python3; scripts/deps.sh test installs it"

www=$TMP/www
mkdir -p "$www"
printf 'files index\n' >"$www/index.html"

# The redirect listener comes first; the first FILES listener (https, not
# https2) gives the default port.
conf=$TMP/redirect.yaml
{
	printf 'workers: 2\n'
	printf 'log: {level: debug, error: stderr, access: %s, access_format: json}\n' "$TMP/access.json"
	printf 'tls: {certificate: %s, key: %s}\n' "$CERTS/server.crt" "$CERTS/server.key"
	cat <<EOF
limits: {idle_timeout: 30s, header_timeout: 2s}
listeners:
  - {name: http, host: 127.0.0.1, port: 0, mode: redirect}
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
  - {name: https2, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
} >"$conf"

# ================================================================ tlserve -t
out=$(run_tlserve -t -c "$conf" 2>&1)
rc=$?
check_eq "-t: the configuration passes (exit 0)" 0 "$rc"
check_has_line "-t: the redirect line (port: 0: the port of listener https)" "$out" \
	"$conf: listener http: redirect to https on the port of listener https"

# refuse DESC ERE — the listeners: part of a configuration on stdin; tlserve
# -t must exit 1 with a positioned message matching ERE (case-insensitive).
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
F="  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}"
refuse "to_port on a files listener" 'to_port' <<EOF
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www, to_port: 443}
EOF
refuse "to_port on an echo listener" 'to_port' <<EOF
listeners:
$F
  - {name: echo, host: 127.0.0.1, port: 0, mode: echo, to_port: 443}
EOF
for v in 0 65536 -1 abc; do
	refuse "to_port: $v" 'to_port' <<EOF
listeners:
$F
  - {name: http, host: 127.0.0.1, port: 0, mode: redirect, to_port: $v}
EOF
done
for k in 'headers: {X-A: b}' 'cache: [{match: "*.css", control: no-cache}]' 'error_pages: {404: /404.html}' \
	'fallback: /index.html' 'sites: [{names: [b.test], root: '"$www"'}]'; do
	refuse "${k%%:*} on a redirect listener" "${k%%:*}" <<EOF
listeners:
$F
  - {name: http, host: 127.0.0.1, port: 0, mode: redirect, $k}
EOF
done
# A redirect listener alone needs no certificate.
only=$TMP/only.yaml
cat >"$only" <<EOF
workers: 1
log: {level: info, error: stderr, access: $TMP/only.log}
listeners:
  - {name: http, host: 127.0.0.1, port: 0, mode: redirect, to_port: 443}
EOF
out=$(run_tlserve -t -c "$only" 2>&1)
rc=$?
check_eq "-t: a redirect listener alone, no tls: anywhere, passes" 0 "$rc"
[ "$rc" = 0 ] || note "$(head -n 5 <<<"$out")"
check_has_line "-t: ... redirect to https port 443" "$out" "$only: listener http: redirect to https port 443"

# ================================================================ the server
start_server "$conf" || finish
rport=$(port_of http)
fport=$(port_of https)
check_match "the redirect listener logs its listening line (mode=redirect)" "$(grep -a 'listening' "$SERVER_LOG")" \
	"listening name=\"?http\"? address=\"?127\\.0\\.0\\.1\"? port=\"?$rport\"? mode=\"?redirect"
check_ne "https and https2 got different ports" "$fport" "$(port_of https2)"

N308=0
NR=0
# redir PATH [CURL ARGS...] — curl http://127.0.0.1:RPORT/PATH; sets R (status),
# LOC (Location), H (head, CRs removed), B (the body file). Counts the 308s.
redir() {
	local path=$1 tag
	shift
	NR=$((NR + 1))
	tag=$TMP/r.$NR
	B=$tag.body
	: >"$B"
	R=$(curl -sS --max-time "$NET_TIMEOUT" --connect-timeout 10 --noproxy '*' --http1.1 --path-as-is \
		-D "$tag.head" -o "$B" -w '%{http_code}' "$@" "http://127.0.0.1:$rport$path" 2>"$tag.err")
	H=$(tr -d '\r' <"$tag.head" 2>/dev/null)
	LOC=$(sed -nE 's/^[Ll]ocation: (.*)$/\1/p' <<<"$H")
	[ "$R" = 308 ] && N308=$((N308 + 1))
}
# check_redir DESC LOCATION PATH [CURL ARGS...] — a 308 to LOCATION.
check_redir() {
	local desc=$1 want=$2
	shift 2
	redir "$@"
	if [ "$R $LOC" = "308 $want" ]; then
		pass "$desc: 308 $want"
	else
		fail "$desc: 308 $want" "got: $R ${LOC:-(no Location)}" "$H" "$(cat "$TMP/r.$NR.err")"
	fi
}

out=$(curl -sS --max-time "$NET_TIMEOUT" --noproxy '*' -o /dev/null -w '%{http_code} %{redirect_url}' \
	"http://127.0.0.1:$rport/x?y" -H 'Host: example.test' 2>&1)
check_eq "curl -w '%{http_code} %{redirect_url}' /x?y, Host example.test" "308 https://example.test:$fport/x?y" "$out"
N308=$((N308 + 1))
check_redir "GET /x?y, Host example.test" "https://example.test:$fport/x?y" "/x?y" -H 'Host: example.test'
check_match "the status line: HTTP/1.1 308 Permanent Redirect" "$(head -n 1 <<<"$H")" '^HTTP/1\.1 308 Permanent Redirect$'
check_match "a short HTML body: Content-Type text/html" "$(sed -nE 's/^[Cc]ontent-[Tt]ype: (.*)$/\1/p' <<<"$H")" '^text/html'
size=$(file_size "$B")
if [ "$size" -gt 0 ] && [ "$size" -lt 2048 ]; then pass "a short HTML body ($size bytes)"; else fail "a short HTML body" "$size bytes"; fi
check_eq "Content-Length is the body's" "$size" "$(sed -nE 's/^[Cc]ontent-[Ll]ength: (.*)$/\1/p' <<<"$H")"
check_eq "no Connection: close on a keep-alive request" "" "$(grep -i '^connection: close' <<<"$H")"
check_redir "Host with a port: the port is left out" "https://example.test:$fport/x?y" "/x?y" -H 'Host: example.test:8080'
check_redir "Host in upper case: lower-cased" "https://example.test:$fport/x?y" "/x?y" -H 'Host: EXAMPLE.Test:80'
check_redir "Host 127.0.0.1:RPORT (curl's own)" "https://127.0.0.1:$fport/" "/"
check_redir "Host [::1]:8080 (an IPv6 literal keeps its brackets)" "https://[::1]:$fport/a" "/a" -H 'Host: [::1]:8080'
check_redir "the path and query as sent (escapes kept)" "https://example.test:$fport/a%20b/c%2F..%2F?q=1&r=%22x%22&s=/t" \
	"/a%20b/c%2F..%2F?q=1&r=%22x%22&s=/t" -H 'Host: example.test'
check_redir "an empty query kept" "https://example.test:$fport/x?" "/x?" -H 'Host: example.test'
check_redir "a dot segment as sent" "https://example.test:$fport/a/../b" "/a/../b" -H 'Host: example.test'
check_redir "POST with a body" "https://example.test:$fport/form?a=1" "/form?a=1" -H 'Host: example.test' --data 'x=1'
check_redir "PUT" "https://example.test:$fport/x" "/x" -H 'Host: example.test' -X PUT
check_redir "DELETE" "https://example.test:$fport/x" "/x" -H 'Host: example.test' -X DELETE
check_redir "OPTIONS" "https://example.test:$fport/x" "/x" -H 'Host: example.test' -X OPTIONS
check_redir "an unknown method (BREW)" "https://example.test:$fport/x" "/x" -H 'Host: example.test' -X BREW
check_redir "HEAD (curl -I)" "https://example.test:$fport/h" "/h" -H 'Host: example.test' -I
check_redir "HTTP/1.0 with a Host" "https://example.test:$fport/x" "/x" -H 'Host: example.test' --http1.0
check_redir "the access log's request" "https://logged.example.test:$fport/logged?z=1" "/logged?z=1" \
	-H 'Host: Logged.Example.Test'

# ---- a missing or invalid Host: 400.
redir /x --http1.0 -H 'Host:'
check_eq "HTTP/1.0 without Host: 400" 400 "$R"
check_eq "... no Location" "" "$LOC"
redir /x -H 'Host:'
check_eq "HTTP/1.1 without Host: 400" 400 "$R"
for h in 'a b' 'a/b' 'x@evil.test' '[::1' 'a:b:c' 'evil.test:80/x' 'h"x' 'a<b'; do
	redir /x -H "Host: $h"
	check_eq "invalid Host '$h': 400" 400 "$R"
	check_eq "... no Location" "" "$LOC"
done
redir /x -H 'Host;'
check_eq "an empty Host: 400" 400 "$R"

# raw FILE [SECONDS] — send FILE's bytes on a new TCP connection to the
# redirect listener (the file name "-hello": a TLS 1.3 ClientHello for
# example.test) and read until the server closes or SECONDS (5) pass. Sets
# RAW (the bytes, CRs removed), RAW_FILE, RAW_HOW (closed, reset or open),
# RAW_T (seconds until then).
cat >"$TMP/raw.py" <<'PY'
import socket, ssl, sys, time
port, what, limit = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
host = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
if what == "-hello":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="example.test")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    data = out.read()
else:
    data = open(what, "rb").read()
s = socket.create_connection((host, port), timeout=limit)
t0 = time.monotonic()
try:
    s.sendall(data)
except (BrokenPipeError, ConnectionResetError):
    pass
got, how = b"", "open"
while True:
    left = t0 + limit - time.monotonic()
    if left <= 0:
        break
    s.settimeout(left)
    try:
        c = s.recv(65536)
    except socket.timeout:
        break
    except ConnectionResetError:
        how = "reset"
        break
    if not c:
        how = "closed"
        break
    got += c
sys.stdout.buffer.write(got)
sys.stderr.write("%s %.2f %d\n" % (how, time.monotonic() - t0, len(data)))
PY
NRAW=0
raw() {
	local meta
	NRAW=$((NRAW + 1))
	RAW_FILE=$TMP/raw.$NRAW.out
	timeout -k 2 $((${2:-5} * SLOW + 5)) "$PY" "$TMP/raw.py" "${RAW_PORT:-$rport}" "$1" $((${2:-5} * SLOW)) \
		>"$RAW_FILE" 2>"$RAW_FILE.meta"
	meta=$(tail -n 1 "$RAW_FILE.meta")
	RAW_HOW=${meta%% *}
	RAW_T=$(cut -d' ' -f2 <<<"$meta")
	RAW=$(LC_ALL=C tr -d '\r' <"$RAW_FILE" | LC_ALL=C tr -c '[:print:]\n' '.')
}
req() { printf '%b' "$1" >"$TMP/req.bin"; }

req 'HEAD /h?x HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n'
raw "$TMP/req.bin"
check_match "HEAD (raw): 308" "$(head -n 1 <<<"$RAW")" '^HTTP/1\.1 308 '
N308=$((N308 + 1))
check_has_line "HEAD (raw): the Location" "$RAW" "Location: https://example.test:$fport/h?x"
check_eq "HEAD (raw): no body after the head" "" "$(awk 'f { print } /^$/ { f = 1 }' <<<"$RAW")"
check_eq "HEAD (raw): the connection is closed (Connection: close)" closed "$RAW_HOW"

# absolute-form targets (RFC 9112 3.2.2): their path and query; the host
# is the validated Host, never the target's authority
for t in 'http://evil.test/p?q=1|/p?q=1' 'http://evil.test?q=1|/?q=1' 'http://evil.test|/' 'HTTP://evil.test/a/b|/a/b'; do
	req "GET ${t%%|*} HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n"
	raw "$TMP/req.bin"
	N308=$((N308 + 1))
	check_has_line "absolute-form GET ${t%%|*}: Location https://example.test:PORT${t#*|}" "$RAW" \
		"Location: https://example.test:$fport${t#*|}"
done

req 'GET /x HTTP/1.0\r\n\r\n'
raw "$TMP/req.bin"
check_match "HTTP/1.0 without Host (raw): 400" "$(head -n 1 <<<"$RAW")" '^HTTP/1\.[01] 400 '
check_eq "... and closed" closed "$RAW_HOW"
req 'GET /x HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n'
raw "$TMP/req.bin"
check_match "two Host headers: 400" "$(head -n 1 <<<"$RAW")" '^HTTP/1\.1 400 '
req 'BLAH\r\n\r\n'
raw "$TMP/req.bin"
check_match "a malformed request line: 400 (the files listeners' parser)" "$(head -n 1 <<<"$RAW")" '^HTTP/1\.1 400 '
req 'GET /x HTTP/2.0\r\nHost: example.test\r\n\r\n'
raw "$TMP/req.bin"
check_match "version HTTP/2.0 in a request line: 505" "$(head -n 1 <<<"$RAW")" '^HTTP/1\.1 505 '
{
	printf 'GET /x HTTP/1.1\r\nHost: example.test\r\nX-Big: '
	head -c 100000 /dev/zero | tr '\0' 'a'
	printf '\r\n\r\n'
} >"$TMP/req.bin"
raw "$TMP/req.bin"
check_match "a 100 KB head: 431 (the files listeners' limits)" "$(head -n 1 <<<"$RAW")" '^HTTP/1\.1 431 '

# ---- keep-alive and pipelining.
o=(-sS --max-time "$NET_TIMEOUT" --noproxy '*' --http1.1 -H 'Host: example.test' -w '%{http_code} %{num_connects}\n')
out=$(curl "${o[@]}" -o /dev/null -o /dev/null "http://127.0.0.1:$rport/one" "http://127.0.0.1:$rport/two" 2>&1)
check_eq "keep-alive: two URLs, two 308s on one connection (num_connects 1, 0)" $'308 1\n308 0' "$out"
N308=$((N308 + 2))
req 'GET /p1 HTTP/1.1\r\nHost: example.test\r\n\r\nGET /p2?q HTTP/1.1\r\nHost: Example.Test:99\r\n\r\nGET /p3 HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n'
raw "$TMP/req.bin"
check_eq "three pipelined requests: three 308s" 3 "$(grep -c '^HTTP/1\.1 308 ' <<<"$RAW")"
N308=$((N308 + $(grep -c '^HTTP/1\.1 308 ' <<<"$RAW")))
check_eq "... in order" "https://example.test:$fport/p1 https://example.test:$fport/p2?q https://example.test:$fport/p3" \
	"$(sed -nE 's/^Location: (.*)$/\1/p' <<<"$RAW" | tr '\n' ' ' | sed 's/ $//')"
check_eq "... then closed" closed "$RAW_HOW"
# A 308 is no error: whatever the method, without a body the connection stays.
for m in DELETE POST PUT OPTIONS BREW; do
	req "$m /d HTTP/1.1\r\nHost: example.test\r\n\r\nGET /after-$m HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n"
	raw "$TMP/req.bin"
	n=$(grep -c '^HTTP/1\.1 308 ' <<<"$RAW")
	N308=$((N308 + n))
	check_eq "$m without a body, then GET on the same connection: two 308s" 2 "$n"
done

# ---- a TLS ClientHello: a plain-text 400, then the close.
raw -hello
check_match "a TLS ClientHello: a plain HTTP/1.1 400" "$(head -n 1 <<<"$RAW")" '^HTTP/1\.1 400 '
case $RAW_HOW in
closed | reset) pass "a TLS ClientHello: the connection is closed after the 400 ($RAW_HOW after ${RAW_T}s)" ;;
*) fail "a TLS ClientHello: the connection is closed after the 400" "still open after ${RAW_T}s" ;;
esac
out=$(timeout -k 2 10 openssl s_client -connect "127.0.0.1:$rport" -servername example.test </dev/null 2>&1)
check_ne "openssl s_client on the redirect listener: no TLS session" "" "$(grep -E 'no peer certificate|wrong version|packet length|errno|error' <<<"$out" | head -n 1)"
check_redir "the listener still answers after the ClientHellos" "https://example.test:$fport/after" "/after" -H 'Host: example.test'

# ---- header_timeout (2s): half a head gets 408 or a close within it.
req 'GET /slow HTTP/1.1\r\nHost: exa'
raw "$TMP/req.bin" 8
if [ "$RAW_HOW" = closed ] || [ "$RAW_HOW" = reset ]; then
	pass "half a head: the connection is closed ($RAW_HOW after ${RAW_T}s)"
else
	fail "half a head: the connection is closed within header_timeout (2s)" "still open after ${RAW_T}s" "$RAW"
fi
if awk -v t="$RAW_T" 'BEGIN { exit !(t >= 1.5 && t <= 5 * '"$SLOW"') }'; then
	pass "half a head: closed after about header_timeout (${RAW_T}s, 1.5..5s)"
else
	fail "half a head: closed after about header_timeout (1.5..5s)" "after ${RAW_T}s"
fi
case $RAW in
'' | 'HTTP/1.1 408 '*) pass "half a head: a 408 or nothing (got: ${RAW%%$'\n'*})" ;;
*) fail "half a head: a 408 or nothing" "$RAW" ;;
esac

# ---- the access log: one line per redirect, status 308, site = the Host.
wait_file_match "$TMP/access.json" '/after' 30
sleep 0.3
out=$("$PY" - "$TMP/access.json" "$N308" <<'PY' 2>&1
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1], "rb").read().decode("utf-8").splitlines()]
n308 = int(sys.argv[2])
def check(name, ok, detail=""):
    print(("ok - " if ok else "not ok - ") + "access log: " + name)
    if not ok and detail:
        print("#   " + detail[:600])
got = sum(1 for o in objs if o.get("status") == 308)
check("one line with status 308 per redirect sent (%d)" % n308, got == n308, "%d lines with 308" % got)
l = [o for o in objs if o.get("request") == "GET /logged?z=1 HTTP/1.1"]
check("GET /logged?z=1: one line, 308, site logged.example.test",
      len(l) == 1 and l[0].get("status") == 308 and l[0].get("site") == "logged.example.test", repr(l))
l = [o for o in objs if o.get("request") == "POST /form?a=1 HTTP/1.1"]
check("POST /form?a=1: 308", len(l) == 1 and l[0].get("status") == 308, repr(l))
l = [o for o in objs if o.get("request") == "GET /p2?q HTTP/1.1"]
check("pipelined GET /p2?q: 308, site example.test (the Host without its port, lower-cased)",
      len(l) == 1 and l[0].get("status") == 308 and l[0].get("site") == "example.test", repr(l))
l = [o for o in objs if o.get("request") == "GET /x HTTP/1.0" and o.get("status") == 400]
check("HTTP/1.0 without Host: 400 lines with site \"\"", len(l) >= 1 and all(o.get("site") == "" for o in l), repr(l))
check("every line has a site field", all("site" in o for o in objs))
PY
)
while IFS= read -r l; do
	case $l in
	"ok - "*) pass "${l#ok - }" ;;
	"not ok - "*) fail "${l#not ok - }" ;;
	"#"*) printf '%s\n' "$l" ;;
	*) fail "access log: parsed by python3" "$l" "$(tail -n 3 "$TMP/access.json")" ;;
	esac
done <<<"$out"
stop_server

# ================================================================ to_port, PROXY protocol
conf2=$TMP/to_port.yaml
{
	printf 'workers: 1\n'
	printf 'log: {level: debug, error: stderr, access: %s, access_format: json}\n' "$TMP/access2.json"
	printf 'tls: {certificate: %s, key: %s}\n' "$CERTS/server.crt" "$CERTS/server.key"
	cat <<EOF
limits: {idle_timeout: 30s, header_timeout: 5s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
  - name: r443
    host: 127.0.0.1
    port: 0
    mode: redirect
    to_port: 443
    root: $www
    index: [a.html]
    listing: true
    dotfiles: allow
    http2: false
    tls: {min_version: "1.3"}
    sni:
      - {names: [example.test], certificate: $CERTS/example.crt, key: $CERTS/example.key}
  - {name: r8443, host: 127.0.0.1, port: 0, mode: redirect, to_port: 8443, proxy_protocol: v1}
EOF
} >"$conf2"
out=$(run_tlserve -t -c "$conf2" 2>&1)
rc=$?
check_eq "-t: to_port 443 and 8443, tls/sni/root/index/listing/dotfiles/http2 on a redirect listener: passes" 0 "$rc"
[ "$rc" = 0 ] || note "$(head -n 5 <<<"$out")"
check_has_line "-t: redirect to https port 443" "$out" "$conf2: listener r443: redirect to https port 443"
check_has_line "-t: redirect to https port 8443" "$out" "$conf2: listener r8443: redirect to https port 8443"
if start_server "$conf2"; then
	rport=$(port_of r443)
	check_redir "to_port 443: no port in the URL" "https://example.test/x?y" "/x?y" -H 'Host: example.test'
	check_redir "to_port 443, Host with a port: none either" "https://example.test/" "/" -H 'Host: Example.Test:80'
	RAW_PORT=$(port_of r8443)
	req 'PROXY TCP4 192.0.2.7 127.0.0.1 5555 80\r\nGET /p?q HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n'
	raw "$TMP/req.bin"
	check_match "to_port 8443 behind the PROXY protocol: 308" "$(head -n 1 <<<"$RAW")" '^HTTP/1\.1 308 '
	check_has_line "... to https://example.test:8443/p?q" "$RAW" "Location: https://example.test:8443/p?q"
	req 'GET /p?q HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n'
	raw "$TMP/req.bin"
	check_eq "proxy_protocol: v1: a request without the PROXY header gets no redirect" "" \
		"$(grep -F 'Location:' <<<"$RAW")"
	unset RAW_PORT
	wait_file_match "$TMP/access2.json" '/p\?q' 30
	line=$(grep -F '/p?q' "$TMP/access2.json")
	check_match "the access log: the PROXY header's client" "$line" '"client": ?"192\.0\.2\.7"'
	check_match "the access log: status 308" "$line" '"status": ?308[,}]'
	check_match "the access log: site example.test" "$line" '"site": ?"example\.test"'
	# SIGHUP applies a new to_port.
	sed -i 's/to_port: 443$/to_port: 9443/' "$conf2"
	before=$(wc -l <"$SERVER_LOG")
	kill -HUP "$SERVER_PID"
	for ((i = 0; i < 100 * SLOW; i++)); do
		tail -n +$((before + 1)) "$SERVER_LOG" | grep -qE 'configuration reloaded|reload failed|reload refused' && break
		sleep 0.1
	done
	check_contains "SIGHUP: reloaded" "$(tail -n +$((before + 1)) "$SERVER_LOG")" "configuration reloaded"
	check_redir "after the reload: to_port 9443" "https://example.test:9443/x?y" "/x?y" -H 'Host: example.test'
	stop_server
fi

finish
