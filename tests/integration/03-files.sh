#!/usr/bin/env bash
# 03-files: static files over HTTP/1.1 — content, headers, errors, keep-alive,
# pipelining, limits and the access log.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

www=$TMP/www
mkdir -p "$www/sub" "$www/noindex"
printf '<!doctype html>\n<title>tlserve</title>\n<p>index page %s</p>\n' "$RANDOM$RANDOM" >"$www/index.html"
printf 'alpha\n' >"$www/a.txt"
printf 'bravo\n' >"$www/b.txt"
printf 'body { color: black }\n' >"$www/style.css"
printf '\211PNG\r\n\032\n\0\0\0\rIHDR' >"$www/img.png"
printf 'mystery\n' >"$www/data.xyzunknown"
printf 'sub index\n' >"$www/sub/index.html"
printf 'not an index\n' >"$www/noindex/file.txt"
random_file "$www/bin.dat" $((3 * 1024 * 1024))
printf 'kept version 1\n' >"$www/kept.txt"   # settled by the time it is asked for
# A fixed modification time, to check Last-Modified.
touch -d '2024-02-29 12:34:56 UTC' "$www/a.txt"

conf=$TMP/files.yaml
CFG_WORKERS=2 write_config "$conf" <<EOF
limits: {idle_timeout: 30s, header_timeout: 10s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
start_server "$conf" || finish
port=$(port_of https)
base=https://localhost:$port

# ---- access log: one combined-format line per request.
hcurl https / -o /dev/null -A "tlserve-test/1.0" -e "https://referer.test/page"
hcurl https /missing.txt -o /dev/null -A "tlserve-test/1.0"
hcurl https /a.txt -I -o /dev/null -A "tlserve-test/1.0"
if wait_file_lines "$TMP/access.log" 3 100; then
	pass "the access log gets a line per request"
else
	fail "the access log gets a line per request (3 within 10s)" "$(excerpt "$TMP/access.log")"
fi
acc=$(cat "$TMP/access.log" 2>/dev/null)
check_eq "exactly three access log lines for three requests" 3 "$(grep -c . <<<"$acc")"
date_re='\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\]'
size=$(file_size "$www/index.html")
check_match "combined line for GET / (client, time, request, 200, body bytes, referer, agent)" "$acc" \
	"^127\\.0\\.0\\.1 [^ ]+ [^ ]+ $date_re \"GET / HTTP/1\\.1\" 200 $size \"https://referer\\.test/page\" \"tlserve-test/1\\.0\""
check_match "combined line for the 404" "$acc" \
	"^127\\.0\\.0\\.1 [^ ]+ [^ ]+ $date_re \"GET /missing\\.txt HTTP/1\\.1\" 404 [0-9-]+ \"-\" \"tlserve-test/1\\.0\""
check_match "combined line for HEAD (no body bytes)" "$acc" \
	"^127\\.0\\.0\\.1 [^ ]+ [^ ]+ $date_re \"HEAD /a\\.txt HTTP/1\\.1\" 200 (0|-) \"-\" \"tlserve-test/1\\.0\""

# ---- content.
hcurl https / -o "$TMP/index.out"
check_same_file "GET / serves index.html" "$www/index.html" "$TMP/index.out"
hcurl https /index.html -o "$TMP/index2.out"
check_same_file "GET /index.html serves it" "$www/index.html" "$TMP/index2.out"
hcurl https /bin.dat -o "$TMP/bin.out"
check_same_file "a 3 MiB binary file arrives byte-exact (sha256)" "$www/bin.dat" "$TMP/bin.out"
check_status "a missing file is 404" 404 https /no/such/file.html
check_status "a missing file at the top is 404" 404 https /nope

# ---- headers.
hcurl https /a.txt -D "$TMP/a.head" -o "$TMP/a.out"
head_a=$(tr -d '\r' <"$TMP/a.head")
check_match "status line HTTP/1.1 200" "$head_a" '^HTTP/1\.1 200'
check_match "Date header (IMF-fixdate)" "$head_a" \
	'^[Dd]ate: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$'
check_match "Server: tlserve" "$head_a" '^[Ss]erver: tlserve'
check_match "Content-Length matches the file" "$head_a" '^[Cc]ontent-[Ll]ength: 6$'
lm=$(LC_ALL=C date -u -d '2024-02-29 12:34:56 UTC' '+%a, %d %b %Y %H:%M:%S GMT')
check_match "Last-Modified is the file's mtime" "$head_a" "^[Ll]ast-[Mm]odified: $lm\$"
check_match "ETag header" "$head_a" '^[Ee][Tt]ag: (W/)?"[^"]+"$'
check_match "Accept-Ranges: bytes" "$head_a" '^[Aa]ccept-[Rr]anges: bytes$'
check_same_file "the body is the file" "$www/a.txt" "$TMP/a.out"

# ---- Content-Type by extension.
ctype() { hcurl https "$1" -o /dev/null -w '%{content_type}'; }
check_eq "Content-Type of .html" "text/html; charset=utf-8" "$(ctype /index.html)"
check_eq "Content-Type of .txt" "text/plain; charset=utf-8" "$(ctype /a.txt)"
check_eq "Content-Type of .css" "text/css; charset=utf-8" "$(ctype /style.css)"
check_eq "Content-Type of .png" "image/png" "$(ctype /img.png)"
check_eq "Content-Type of an unknown extension" "application/octet-stream" "$(ctype /data.xyzunknown)"

# ---- HEAD: the headers of GET, no body.
hcurl https /bin.dat -I -o "$TMP/head.out"
head_h=$(tr -d '\r' <"$TMP/head.out")
check_match "HEAD gets 200" "$head_h" '^HTTP/1\.1 200'
check_match "HEAD carries the file's Content-Length" "$head_h" "^[Cc]ontent-[Ll]ength: $((3 * 1024 * 1024))\$"
send https $'HEAD /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
check_eq "raw HEAD gets 200" 200 "$(resp_status "$RESP")"
check_eq "raw HEAD: Content-Length is the file's" 6 "$(resp_header "$RESP" Content-Length)"
check_eq "raw HEAD: no body bytes follow the head" 0 "$(resp_body "$RESP" | wc -c)"

# ---- directories.
hcurl https /sub -D "$TMP/sub.head" -o /dev/null
sub_h=$(tr -d '\r' <"$TMP/sub.head")
check_match "a directory without its slash gets 301" "$sub_h" '^HTTP/1\.1 301'
check_match "... with Location ending in /sub/" "$sub_h" '^[Ll]ocation: ([a-z]+://[^/]+)?/sub/$'
hcurl https /sub/ -o "$TMP/sub.out"
check_same_file "a directory serves its index" "$www/sub/index.html" "$TMP/sub.out"
check_status "a directory without index (and no listing) is 403" 403 https /noindex/
check_status "a file inside it is still served" 200 https /noindex/file.txt
check_status "the query string is dropped" 200 https '/a.txt?x=1&y=../../etc/passwd'
check_status "percent-escapes are decoded" 200 https '/%61.txt'

# ---- keep-alive: two URLs, one connection.
nc=$(tcurl --resolve "localhost:$port:127.0.0.1" -o /dev/null -o /dev/null -w '%{num_connects}\n' \
	"$base/a.txt" "$base/b.txt" | tr '\n' ' ')
check_eq "two requests in one curl call reuse the connection (connects per transfer)" "1 0 " "$nc"

# ---- methods.
for m in POST PUT DELETE PATCH; do
	hcurl https /a.txt -X "$m" -D "$TMP/m.head" -o /dev/null
	mh=$(tr -d '\r' <"$TMP/m.head")
	check_match "$m gets 405" "$mh" '^HTTP/1\.1 405'
	check_match "$m's 405 carries Allow: GET, HEAD" "$mh" '^[Aa]llow: GET, HEAD$'
done

# OPTIONS is answered (204) with the methods the resource supports.
hcurl https /a.txt -X OPTIONS -D "$TMP/m.head" -o /dev/null
mh=$(tr -d '\r' <"$TMP/m.head")
check_match "OPTIONS gets 204" "$mh" '^HTTP/1\.1 204'
check_match "OPTIONS' 204 carries Allow: GET, HEAD, OPTIONS" "$mh" '^[Aa]llow: GET, HEAD, OPTIONS$'

# ---- malformed and oversized requests, sent raw; each closes the connection.
SCLIENT_TIMEOUT=$((10 * SLOW))
export SCLIENT_TIMEOUT
raw_check() {   # DESC EXPECTED-STATUS REQUEST
	send https "$3"
	check_eq "$1 gets $2" "$2" "$(resp_status "$RESP")"
	if [ "$RESP_RC" = 124 ]; then
		fail "$1: the connection is closed after the $2" "still open after ${SCLIENT_TIMEOUT}s"
	else
		pass "$1: the connection is closed after the $2"
	fi
}
raw_check "a header line without a colon" 400 $'GET / HTTP/1.1\r\nHost: localhost\r\nthis is not a header\r\n\r\n'
raw_check "an HTTP/2.0 request line" 505 $'GET / HTTP/2.0\r\nHost: localhost\r\n\r\n'
raw_check "HTTP/1.1 without Host" 400 $'GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n'
long=$(head -c 17000 /dev/zero | tr '\0' 'a')
raw_check "a request line over 16k" 414 "GET /$long HTTP/1.1"$'\r\nHost: localhost\r\n\r\n'
big=$(head -c 1000 /dev/zero | tr '\0' 'b')
hdrs=""
for ((i = 0; i < 18; i++)); do hdrs+="X-Big-$i: $big"$'\r\n'; done
raw_check "request headers over 16k" 431 $'GET / HTTP/1.1\r\nHost: localhost\r\n'"$hdrs"$'\r\n'
hdrs=""
for ((i = 0; i < 101; i++)); do hdrs+="X-H-$i: v"$'\r\n'; done
raw_check "more than 100 request headers" 431 $'GET / HTTP/1.1\r\nHost: localhost\r\n'"$hdrs"$'\r\n'
hdrs=""
for ((i = 0; i < 90; i++)); do hdrs+="X-H-$i: v"$'\r\n'; done
send https $'GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n'"$hdrs"$'\r\n'
check_eq "92 request headers are fine" 200 "$(resp_status "$RESP")"

# ---- pipelining: two requests in one write, answered in order.
send https $'GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\nGET /b.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
n200=$(grep -ac '^HTTP/1\.1 200' "$RESP")
check_eq "two pipelined requests get two responses" 2 "$n200"
pa=$(grep -abo alpha "$RESP" | head -n 1 | cut -d: -f1)
pb=$(grep -abo bravo "$RESP" | head -n 1 | cut -d: -f1)
if [ -n "$pa" ] && [ -n "$pb" ] && [ "$pa" -lt "$pb" ]; then
	pass "pipelined responses come in request order"
else
	fail "pipelined responses come in request order" "$(excerpt "$RESP")"
fi
check_ne "the connection closes after Connection: close" 124 "$RESP_RC"

# ---- connection handling.
send https $'GET /a.txt HTTP/1.0\r\n\r\n'
check_eq "HTTP/1.0 request gets 200" 200 "$(resp_status "$RESP")"
check_eq "HTTP/1.0 gets the body" alpha "$(resp_body "$RESP")"
check_ne "HTTP/1.0 without keep-alive: the server closes the connection" 124 "$RESP_RC"
send https $'GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
check_ne "HTTP/1.1 with Connection: close: the server closes the connection" 124 "$RESP_RC"
check_eq "... after the full response" alpha "$(resp_body "$RESP")"
SCLIENT_TIMEOUT=$((3 * SLOW))
send https $'GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
check_eq "HTTP/1.1 keep-alive: the connection stays open after the response" 124 "$RESP_RC"
check_eq "... which was complete" alpha "$(resp_body "$RESP")"
unset SCLIENT_TIMEOUT

# ---- a file replaced by rename (the usual deploy: write a temporary file,
# mv it over the old one) is served new, with a new ETag, on the next request
# on the same connection (same worker: its open-file cache is hot).
printf 'version one\n' >"$www/deploy.txt"
ln "$www/deploy.txt" "$TMP/deploy.keep"   # an old release kept as a hard link
conn_open https
conn_write $'GET /deploy.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
conn_wait_for 'version one' || fail "deploy: the first version is served" "$(excerpt "$CONN_OUT")"
printf 'version two!\n' >"$www/.deploy.tmp"
mv -f "$www/.deploy.tmp" "$www/deploy.txt"
conn_write $'GET /deploy.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
conn_wait_closed 50
check_eq "deploy by rename, cache hot: two responses on one connection" 2 "$(count_status "$CONN_OUT")"
check_file_contains "... the second has the new content" "$CONN_OUT" 'version two!'
etags=$(tr -d '\r' <"$CONN_OUT" | awk -F': ' 'tolower($1) == "etag" { print $2 }' | sort -u | wc -l)
check_eq "... and a new ETag" 2 "$etags"
conn_close
printf 'version three\n' >"$www/.deploy.tmp"
mv -f "$www/.deploy.tmp" "$www/deploy.txt"
check_eq "... and a third deploy right after is served at once" "version three" "$(tcurl "$base/deploy.txt" --resolve "localhost:$port:127.0.0.1")"

# ---- a small file unchanged for more than a second is kept in memory by the
# worker; written in place (same inode, same size) it is served new on the
# very next request on the same connection, the kept bytes never again.
for _ in 1 2 3 4; do   # its times must be more than a second old (bounded wait)
	[ $(($(date +%s) - $(stat -c %Z "$www/kept.txt"))) -ge 3 ] && break
	sleep 1
done
conn_open https
conn_write $'GET /kept.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
conn_wait_for 'kept version 1' || fail "kept: the file is served" "$(excerpt "$CONN_OUT")"
conn_write $'GET /kept.txt HTTP/1.1\r\nHost: localhost\r\n\r\nGET /b.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
conn_wait_for 'bravo' || fail "kept: a second request and another file" "$(excerpt "$CONN_OUT")"
printf 'kept version 2\n' 1<>"$www/kept.txt"   # in place: no truncation, no new inode
conn_write $'GET /kept.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
conn_wait_closed 50
check_eq "small settled file: four responses on one connection" 4 "$(count_status "$CONN_OUT")"
check_eq "... the file twice as it was" 2 "$(LC_ALL=C grep -ac 'kept version 1' "$CONN_OUT")"
check_eq "... and once written in place, its new bytes at once" 1 "$(LC_ALL=C grep -ac 'kept version 2' "$CONN_OUT")"
conn_close
check_eq "... and to a new connection too" "kept version 2" "$(tcurl "$base/kept.txt" --resolve "localhost:$port:127.0.0.1")"

# ---- a file no longer asked for is not held open: deleted after its last
# request, its descriptor is closed (its space freed) within two seconds.
random_file "$www/gone.bin" $((1024 * 1024))
check_status "a file about to be deleted is served" 200 https /gone.bin
rm -f "$www/gone.bin"
held=1
for _ in $(seq $((40 * SLOW))); do   # 4 s (times SLOW) at most
	ls -l "/proc/$SERVER_PID/fd" 2>/dev/null | grep -q 'gone\.bin (deleted)' || { held=0; break; }
	sleep 0.1
done
check_eq "... and once deleted it is not held open (the open-file cache lets go)" 0 "$held"

# ---- FIFOs and sockets under root: 403, the connection kept; a FIFO is never
# opened in a way that blocks.
mkfifo "$www/pipe"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$www/sock" ||
	fail "a unix socket file is made in root (python3)"
for f in pipe sock; do
	send https "GET /$f HTTP/1.1"$'\r\nHost: localhost\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
	check_eq "a $f under root: 403, and the connection goes on (then 200)" "403 200" \
		"$(LC_ALL=C grep -aoE '^HTTP/1\.1 [0-9]{3}' "$RESP" | awk '{ print $2 }' | tr '\n' ' ' | sed 's/ $//')"
done
if [ "$(id -u)" = 0 ]; then
	mknod "$www/null" c 1 3
	send https $'GET /null HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
	check_eq "a character device under root: 403" 403 "$(resp_status "$RESP")"
fi

# ---- the directory redirect's Location is never cut, whatever its length.
long=$(printf '%0250d' 0 | tr 0 ' ')
mkdir -p "$www/$long/$long/$long/$long"
lpath="/$long/$long/$long/$long"
esc=${lpath// /%20}
q="q=$(head -c 4000 /dev/zero | tr '\0' 'x')"
send https "GET $esc?$q HTTP/1.1"$'\r\nHost: localhost\r\nConnection: close\r\n\r\n'
check_eq "a long directory path with a long query: 301" 301 "$(resp_status "$RESP")"
loc=$(resp_header "$RESP" Location)
want="$esc/?$q"
check_eq "... the Location has all ${#want} bytes (the path escaped, the slash, the query)" "${#want}" "${#loc}"
check_true "... and is exactly the path, the slash and the query" test "$loc" = "$want"

# ---- plain HTTP to the TLS port costs one short connection; the server stays up.
if command -v curl >/dev/null; then
	curl -s --max-time 5 --noproxy '*' -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null
	check_status "the server still serves after plaintext HTTP was sent to it" 200 https /a.txt
fi

# ---- a redirect whose Location cannot fit the response buffer (64 KiB) is a
# 414, never a Location cut short.
stop_server
conf_big=$TMP/files-big.yaml
write_config "$conf_big" <<EOF
limits: {idle_timeout: 30s, header_timeout: 10s, max_request_head: 128k}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
start_server "$conf_big" || finish
q="q=$(head -c 70000 /dev/zero | tr '\0' 'x')"
SCLIENT_TIMEOUT=$((10 * SLOW)) send https "GET /sub?$q HTTP/1.1"$'\r\nHost: localhost\r\nConnection: close\r\n\r\n'
check_eq "a directory redirect whose Location would pass 64 KiB: 414" 414 "$(resp_status "$RESP")"
check_eq "... with no Location at all" "" "$(resp_header "$RESP" Location)"

finish
