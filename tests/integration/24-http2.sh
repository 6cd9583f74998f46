#!/usr/bin/env bash
# 24-http2: HTTP/2 on files listeners, end to end — ALPN (h2, http2: false,
# echo listeners, TLS 1.2), the files matrix over h2 compared with what
# HTTP/1.1 gives for the same request (bytes, HEAD, ranges, conditionals,
# dotfiles, traversal, redirects, listings, MIME, sidecars, methods, error
# pages, headers), many streams on one connection (h2load, curl --parallel),
# the access log (one line per stream, HTTP/2.0), a graceful stop with a
# download in flight, and headless Chromium loading a page and its scripts
# over one h2 connection.
# Clients: curl, openssl s_client, nghttp and h2load (nghttp2-client),
# chromium, python3. About 20 s.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
require_cmd curl openssl h2load nghttp
require_exec "$PY" "Debian's python3; scripts/deps.sh test installs it"

www=$TMP/www
mkdir -p "$www/sub" "$www/list/.git" "$www/.git" "$www/mime" "$www/chrome"
printf '<!doctype html>\n<title>tlserve</title>\n<p>index page</p>\n' >"$www/index.html"
printf 'alpha\n' >"$www/a.txt"
touch -d '2024-02-29 12:34:56 UTC' "$www/a.txt"
printf 'x' >"$www/one.txt"
: >"$www/empty.txt"
BIG=$((4 * 1024 * 1024 + 1234))
random_file "$www/big.bin" "$BIG"
printf 'sub index\n' >"$www/sub/index.html"
printf 'apple\n' >"$www/list/apple.txt"
printf 'banana\n' >"$www/list/banana.txt"
printf 'hidden\n' >"$www/list/.hidden"
printf 'secret\n' >"$www/.hidden"
printf '[core]\n' >"$www/.git/config"
for ((i = 0; i < 200; i++)); do printf '.rule-%d { margin: %dpx }\n' "$i" "$i"; done >"$www/style.css"
gzip -9 -n -c "$www/style.css" >"$www/style.css.gz"
for e in html css js json svg png wasm txt unknownext; do
	printf 'content of %s\n' "$e" >"$www/mime/t.$e"
done
head -c 100 /dev/zero | tr '\0' 'h' >"$www/h2l.txt"

# The page Chromium loads: 20 scripts, then an inline script that writes what
# the browser's performance timeline says about the navigation and the
# scripts — the protocol of each, and how many of them needed a connection of
# their own (connectEnd > connectStart; a reused connection has them equal).
NSCRIPTS=20
for ((i = 1; i <= NSCRIPTS; i++)); do
	printf 'window.loadedScripts = (window.loadedScripts || 0) + 1;\n' >"$www/chrome/s$i.js"
done
{
	printf '<!doctype html>\n<html><head><meta charset="utf-8"><title>h2 page</title><link rel="icon" href="data:,"></head><body>\n'
	for ((i = 1; i <= NSCRIPTS; i++)); do printf '<script src="s%d.js"></script>\n' "$i"; done
	cat <<'EOF'
<p id="out">not run</p>
<script>
var nav = performance.getEntriesByType('navigation')[0];
var res = performance.getEntriesByType('resource').filter(function (e) { return /\/s[0-9]+\.js$/.test(e.name); });
var h2 = res.filter(function (e) { return e.nextHopProtocol === 'h2'; }).length;
var fresh = res.filter(function (e) { return e.connectEnd > e.connectStart; }).length;
document.getElementById('out').textContent = 'nav=' + nav.nextHopProtocol + ' scripts=' + (window.loadedScripts || 0) +
	' resources=' + res.length + ' h2=' + h2 + ' newconn=' + fresh;
</script>
</body></html>
EOF
} >"$www/chrome/index.html"

conf=$TMP/h2.yaml
{
	printf 'workers: 2\n'
	printf 'log: {level: debug, error: stderr, access: %s, access_format: json}\n' "$TMP/access.json"
	printf 'tls: {certificate: %s, key: %s}\n' "$CERTS/server.crt" "$CERTS/server.key"
	cat <<EOF
limits: {idle_timeout: 30s, header_timeout: 10s}
listeners:
  - {name: h2, host: 127.0.0.1, port: 0, mode: files, root: $www, listing: true}
  - {name: h1only, host: 127.0.0.1, port: 0, mode: files, root: $www, http2: false}
  - {name: echo, host: 127.0.0.1, port: 0, mode: echo}
EOF
} >"$conf"
start_server "$conf" || finish
port=$(port_of h2)
# hc PATH [CURL ARGS...] — hcurl h2 PATH, the port looked up once.
hc() {
	local path=$1
	shift
	tcurl --resolve "localhost:$port:127.0.0.1" "$@" "https://localhost:$port$path"
}

# alpn NAME S_CLIENT-ARGS... — the session summary of an s_client handshake
# (stdin empty: it connects, prints and quits).
alpn() {
	local name=$1
	shift
	timeout -k 2 "$NET_TIMEOUT" openssl s_client -CAfile "$CERTS/ca.crt" -verify_return_error \
		-connect "127.0.0.1:$(port_of "$name")" -servername localhost "$@" </dev/null 2>&1 | tr -d '\0'
}

# ================================================================ ALPN
v=$(hc /a.txt --http2 -o "$TMP/alpn.body" -w '%{http_version}')
check_eq "curl --http2 negotiates h2 (http_version 2)" 2 "$v"
check_same_file "... and gets the file" "$www/a.txt" "$TMP/alpn.body"
out=$(alpn h2 -alpn h2)
check_contains "s_client -alpn h2: ALPN protocol: h2" "$out" "ALPN protocol: h2"
out=$(alpn h2 -alpn h2,http/1.1)
check_contains "s_client -alpn h2,http/1.1: h2 is chosen" "$out" "ALPN protocol: h2"
out=$(alpn h2 -alpn http/1.1)
check_contains "s_client -alpn http/1.1 on the h2 listener: http/1.1" "$out" "ALPN protocol: http/1.1"
v=$(hc /a.txt --http1.1 -o "$TMP/alpn.body" -w '%{http_version}')
check_eq "curl --http1.1 on the h2 listener still gets HTTP/1.1" 1.1 "$v"
check_same_file "... and the file" "$www/a.txt" "$TMP/alpn.body"
v=$(hc /a.txt --http2 --tls-max 1.2 -o "$TMP/alpn.body" -w '%{http_version}')
check_eq "curl --http2 --tls-max 1.2: h2 over TLS 1.2" 2 "$v"
check_same_file "... and the file" "$www/a.txt" "$TMP/alpn.body"
out=$(alpn h2 -alpn h2 -tls1_2)
check_match "s_client -tls1_2 -alpn h2: TLS 1.2 ..." "$out" '^ *Protocol *: TLSv1\.2$'
check_contains "... and ALPN protocol: h2" "$out" "ALPN protocol: h2"
v=$(hcurl h1only /a.txt --http2 -o "$TMP/alpn.body" -w '%{http_version}')
check_eq "http2: false: curl --http2 gets HTTP/1.1" 1.1 "$v"
check_same_file "... and the file" "$www/a.txt" "$TMP/alpn.body"
out=$(alpn h1only -alpn h2)
check_not_contains "http2: false: s_client -alpn h2 gets no h2" "$out" "ALPN protocol: h2"
out=$(alpn h1only -alpn h2,http/1.1)
check_contains "http2: false: s_client -alpn h2,http/1.1 gets http/1.1" "$out" "ALPN protocol: http/1.1"
out=$(alpn echo -alpn h2)
check_not_contains "an echo listener offers no h2" "$out" "ALPN protocol: h2"
check_contains "... and still completes the handshake" "$out" "Verify return code: 0 (ok)"

# The server's SETTINGS: at most 128 concurrent streams.
nghttp -v -y -t 10 "https://127.0.0.1:$port/a.txt" >"$TMP/ng.settings" 2>&1
check_file_contains "the server's SETTINGS announce MAX_CONCURRENT_STREAMS 128 (nghttp -v)" "$TMP/ng.settings" \
	"[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):128]"

# ================================================================ the files matrix
N_F=0
# get PROTO PATH [CURL ARGS...] — one request to the h2 listener with
# curl --PROTO (http2 or http1.1); sets H (head, CRs removed), B (body
# file), ST (status), V (the HTTP version curl used), CRC (curl's status).
# Heads of h2 responses are kept as $TMP/f.N.h2.head for the checks at the end.
get() {
	local proto=$1 path=$2 tag
	shift 2
	N_F=$((N_F + 1))
	tag=$TMP/f.$N_F.${proto#http}
	B=$tag.body
	: >"$B"   # curl makes no file for an empty body
	V=$(hc "$path" "--$proto" -D "$tag.head" -o "$B" -w '%{http_version}' "$@" 2>"$tag.err")
	CRC=$?
	H=$(tr -d '\r' <"$tag.head" 2>/dev/null)
	ST=$(sed -nE '1s/^HTTP\/[0-9.]+ ([0-9]{3}).*/\1/p' <<<"$H")
}
hdr() { awk -v n="$1" -F': ' 'BEGIN { n = tolower(n) } tolower($1) == n { print substr($0, length($1) + 3); exit }' <<<"$H"; }
# The header lines without Date and the HTTP/1.1 connection headers, names
# lowercased, sorted: what must be the same over both protocols.
norm_head() {
	tail -n +2 <<<"$1" | awk '{ i = index($0, ":"); if (i == 0) next
		n = tolower(substr($0, 1, i - 1)); v = substr($0, i + 1); sub(/^[ \t]+/, "", v)
		if (n != "date" && n != "connection" && n != "keep-alive") print n ": " v }' | sort
}

# both DESC WANT-STATUS PATH [CURL ARGS...] — the request over HTTP/1.1 and
# over h2: h2 was used, its status is WANT-STATUS, and its status, headers
# (but Date) and body are those of HTTP/1.1. H, B, ST are the h2 response's.
both() {
	local desc=$1 want=$2 path=$3 st1 h1 b1 crc1 d nobody=0
	shift 3
	case " $* " in *" -I "*) nobody=1 ;; esac
	get http1.1 "$path" "$@"
	st1=$ST h1=$(norm_head "$H") b1=$B crc1=$CRC
	get http2 "$path" "$@"
	if [ "$V" != 2 ] || [ "$CRC" != 0 ]; then
		fail "h2: $desc: $want over h2" "curl --http2 status $CRC, HTTP version '$V'" "$(cat "$TMP/f.$N_F.2.err")"
		return 1
	fi
	check_eq "h2: $desc: $want" "$want" "$ST"
	d=$(diff <(echo "$h1") <(norm_head "$H"))
	if [ "$st1" = "$ST" ] && [ "$crc1" = 0 ] && [ -z "$d" ]; then
		pass "h2: $desc: status and headers (but Date) are HTTP/1.1's"
	else
		fail "h2: $desc: status and headers (but Date) are HTTP/1.1's" "HTTP/1.1: $st1 (curl $crc1), h2: $ST" \
			"< HTTP/1.1  > h2" "$d"
	fi
	[ "$nobody" = 1 ] || check_same_file "h2: $desc: the body is HTTP/1.1's" "$b1" "$B"
}

# slice FILE FIRST LAST — bytes FIRST..LAST (inclusive) of FILE.
slice() { tail -c +$(($2 + 1)) "$1" | head -c $(($3 - $2 + 1)); }

# ---- bytes.
both "GET /" 200 /
check_same_file "h2: GET / is index.html" "$www/index.html" "$B"
both "a 4 MiB file" 200 /big.bin
check_same_file "h2: the 4 MiB file arrives byte-exact (sha256)" "$www/big.bin" "$B"
both "an empty file" 200 /empty.txt
check_eq "h2: the empty file: content-length 0" 0 "$(hdr content-length)"
check_eq "h2: the empty file: no body bytes" 0 "$(file_size "$B")"
both "a 1-byte file" 200 /one.txt
check_same_file "h2: the 1-byte file" "$www/one.txt" "$B"
check_eq "h2: the 1-byte file: content-length 1" 1 "$(hdr content-length)"
nghttp -y -t 20 -w 14 -W 15 "https://127.0.0.1:$port/big.bin" >"$TMP/ng.big" 2>"$TMP/ng.big.err"
check_same_file "h2 with small windows (nghttp -w 14 -W 15: 16 KiB stream, 32 KiB connection): the 4 MiB file byte-exact" \
	"$www/big.bin" "$TMP/ng.big"

# ---- headers.
both "a.txt" 200 /a.txt
check_match "h2: the status line is HTTP/2 200" "$(head -n 1 <<<"$H")" '^HTTP/2 200 *$'
check_eq "h2: server: tlserve" tlserve "$(hdr server)"
check_match "h2: date: an IMF-fixdate" "$(hdr date)" \
	'^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$'
check_eq "h2: last-modified is the file's mtime" "Thu, 29 Feb 2024 12:34:56 GMT" "$(hdr last-modified)"
check_eq "h2: accept-ranges: bytes" bytes "$(hdr accept-ranges)"
etag=$(hdr etag)
lm=$(hdr last-modified)
check_match "h2: a strong etag" "$etag" '^"[^"]+"$'

# ---- HEAD.
both "HEAD of the 4 MiB file" 200 /big.bin -I
check_eq "h2: HEAD: content-length of the file" "$BIG" "$(hdr content-length)"
nghttp -v -y -t 10 -H ':method: HEAD' "https://127.0.0.1:$port/a.txt" >"$TMP/ng.head" 2>&1
ng_head=$(cat "$TMP/ng.head")
check_match "h2: HEAD (nghttp): the response HEADERS frame ends the stream" "$ng_head" '; END_STREAM \| END_HEADERS'
check_not_contains "h2: HEAD (nghttp): no DATA frame" "$ng_head" "recv DATA frame"
check_match "h2: HEAD (nghttp): content-length: 6" "$ng_head" 'recv \(stream_id=[0-9]+\) content-length: 6$'

# ---- ranges.
both "Range: bytes=0-99" 206 /big.bin -H "Range: bytes=0-99"
check_eq "h2: the 206's content-range" "bytes 0-99/$BIG" "$(hdr content-range)"
slice "$www/big.bin" 0 99 >"$TMP/want"
check_same_file "h2: the 206's body is bytes 0-99" "$TMP/want" "$B"
both "Range deep in the file" 206 /big.bin -H "Range: bytes=3000000-3200000"
slice "$www/big.bin" 3000000 3200000 >"$TMP/want"
check_same_file "h2: the 206's body is bytes 3000000-3200000" "$TMP/want" "$B"
both "a suffix range bytes=-10" 206 /big.bin -H "Range: bytes=-10"
check_eq "h2: the suffix range's content-range" "bytes $((BIG - 10))-$((BIG - 1))/$BIG" "$(hdr content-range)"
tail -c 10 "$www/big.bin" >"$TMP/want"
check_same_file "h2: the suffix range's body is the last 10 bytes" "$TMP/want" "$B"
both "an unsatisfiable range" 416 /big.bin -H "Range: bytes=$BIG-"
check_eq "h2: the 416's content-range is bytes */SIZE" "bytes */$BIG" "$(hdr content-range)"

# ---- conditionals.
both "If-None-Match with the ETag" 304 /a.txt -H "If-None-Match: $etag"
check_eq "h2: the 304 has no body" 0 "$(file_size "$B")"
check_eq "h2: the 304 carries the etag" "$etag" "$(hdr etag)"
both "If-Modified-Since the Last-Modified" 304 /a.txt -H "If-Modified-Since: $lm"
both "If-None-Match with another ETag" 200 /a.txt -H 'If-None-Match: "nope"'
both "If-Match with another ETag" 412 /a.txt -H 'If-Match: "nope"'
both "If-Match with the ETag" 200 /a.txt -H "If-Match: $etag"

# ---- dotfiles, traversal.
both "a dotfile" 404 /.hidden
both "a file in a dot directory" 404 /.git/config
both "a dotfile in a listed directory" 404 /list/.hidden
for p in /../etc/passwd /../../../../etc/passwd /%2e%2e/%2e%2e/etc/passwd /sub/%2e%2e/%2e%2e/%2e%2e/etc/passwd /sub/..%2f..%2f..%2fetc/passwd; do
	get http2 "$p" --path-as-is
	case $ST in
	400 | 404) pass "h2: traversal $p is refused ($ST)" ;;
	*) fail "h2: traversal $p is refused (400 or 404)" "status '$ST' (curl $CRC, HTTP version '$V')" "$(excerpt "$B")" ;;
	esac
	check_file_not_contains "h2: traversal $p: no passwd content" "$B" "root:"
done

# ---- directories and listings.
both "a directory without its slash" 301 /sub
check_match "h2: the 301's location ends in /sub/" "$(hdr location)" '^([a-z]+://[^/]+)?/sub/$'
both "a directory without its slash, with a query" 301 "/sub?x=1"
check_match "h2: the 301's location keeps the query" "$(hdr location)" '^([a-z]+://[^/]+)?/sub/\?x=1$'
both "a directory's index" 200 /sub/
check_same_file "h2: the directory's index.html" "$www/sub/index.html" "$B"
both "a listing (listing: true)" 200 /list/
check_eq "h2: the listing is text/html" "text/html; charset=utf-8" "$(hdr content-type)"
check_file_contains "h2: the listing links apple.txt" "$B" 'href="apple.txt"'
check_file_contains "h2: the listing links banana.txt" "$B" 'href="banana.txt"'
check_file_not_contains "h2: the listing hides .hidden" "$B" '.hidden'
check_file_not_contains "h2: the listing hides .git" "$B" '.git'

# ---- MIME.
while read -r ext want; do
	check_eq "h2: content-type of .$ext" "$want" \
		"$(hc "/mime/t.$ext" --http2 -o /dev/null -w '%{http_version} %{content_type}')"
done <<'EOF'
html 2 text/html; charset=utf-8
css 2 text/css; charset=utf-8
js 2 text/javascript; charset=utf-8
json 2 application/json; charset=utf-8
svg 2 image/svg+xml; charset=utf-8
png 2 image/png
wasm 2 application/wasm
txt 2 text/plain; charset=utf-8
unknownext 2 application/octet-stream
EOF

# ---- precompressed sidecars.
both "gzip accepted, a .gz sidecar" 200 /style.css -H "Accept-Encoding: gzip"
check_eq "h2: content-encoding: gzip" gzip "$(hdr content-encoding)"
check_eq "h2: vary: Accept-Encoding" Accept-Encoding "$(hdr vary)"
check_eq "h2: the content-type of the original" "text/css; charset=utf-8" "$(hdr content-type)"
check_same_file "h2: the body is the .gz's bytes" "$www/style.css.gz" "$B"
both "no Accept-Encoding, a file with a sidecar" 200 /style.css
check_eq "h2: no content-encoding without Accept-Encoding" "" "$(hdr content-encoding)"
check_eq "h2: ... but vary: Accept-Encoding" Accept-Encoding "$(hdr vary)"
hc /style.css --http2 --compressed -o "$TMP/dec.css"
check_same_file "h2: curl --compressed yields the original" "$www/style.css" "$TMP/dec.css"

# ---- methods.
both "OPTIONS" 204 /a.txt -X OPTIONS
check_eq "h2: OPTIONS: allow" "GET, HEAD, OPTIONS" "$(hdr allow)"
for m in POST PUT DELETE PATCH; do
	both "$m" 405 /a.txt -X "$m"
	check_eq "h2: $m: allow: GET, HEAD" "GET, HEAD" "$(hdr allow)"
done
both "POST with a body" 405 /a.txt --data x
both "an unknown method (BREW)" 501 /a.txt -X BREW
both "a GET with a body" 413 /a.txt -X GET --data x
both "a missing file" 404 /no/such/file.html
check_eq "h2: the 404 page is text/html" "text/html; charset=utf-8" "$(hdr content-type)"
check_file_contains "h2: the 404 page says so" "$B" "404 Not Found"

# ---- the connection is still good: everything above on one h2 connection.
u=https://localhost:$port
o=(-sS --max-time "$NET_TIMEOUT" --noproxy '*' --http2 --cacert "$CERTS/ca.crt" --resolve "localhost:$port:127.0.0.1" -w '%{http_code} %{http_version} %{num_connects}\n')
nc=$(tcurl "${o[@]}" -o /dev/null "$u/a.txt" \
	-: "${o[@]}" -o /dev/null -X POST --data x "$u/a.txt" \
	-: "${o[@]}" -o /dev/null -H "Range: bytes=$BIG-" "$u/big.bin" \
	-: "${o[@]}" -o /dev/null "$u/missing" \
	-: "${o[@]}" -o /dev/null -X GET --data x "$u/a.txt" \
	-: "${o[@]}" -o "$TMP/after.body" "$u/one.txt" 2>&1 | tr '\n' ' ')
check_eq "h2: 200, 405, 416, 404, 413 and 200 on one connection (one curl call)" \
	"200 2 1 405 2 0 416 2 0 404 2 0 413 2 0 200 2 0 " "$nc"
check_same_file "... the last response is whole" "$www/one.txt" "$TMP/after.body"

# ---- every h2 response head: server, date, no connection-specific header.
heads=()
for f in "$TMP"/f.*.2.head; do [ -s "$f" ] && heads+=("$f"); done   # responses that came (a failed curl was counted)
bad=""
for f in "${heads[@]}"; do
	if LC_ALL=C grep -aiqE '^(connection|keep-alive|proxy-connection|transfer-encoding|upgrade):' "$f"; then
		bad="$bad $(basename "$f"): $(LC_ALL=C grep -aiE '^(connection|keep-alive|proxy-connection|transfer-encoding|upgrade):' "$f" | tr -d '\r' | tr '\n' ' ')"
	fi
done
check_eq "no connection/keep-alive/transfer-encoding/upgrade header in any of ${#heads[@]} h2 responses" "" "$bad"
bad=""
for f in "${heads[@]}"; do
	LC_ALL=C grep -aqx 'server: tlserve.\{0,1\}' "$f" && LC_ALL=C grep -aqE '^date: [A-Z][a-z]{2}, ' "$f" ||
		bad="$bad $(basename "$f")"
done
check_eq "server: tlserve and a date: in every one of ${#heads[@]} h2 responses" "" "$bad"

# ================================================================ many streams
# h2load_run DESC RUN ARGS... — h2load offering only h2 on /h2l.txt?run=RUN;
# every request succeeds with 200, over h2.
h2load_run() {
	local desc=$1 run=$2 out=$TMP/h2load.$2.out n
	shift 2
	timeout -k 5 $((60 * SLOW)) h2load --npn-list=h2 "$@" "https://127.0.0.1:$port/h2l.txt?run=$run" >"$out" 2>&1
	n=$(sed -nE 's/^requests: ([0-9]+) total.*/\1/p' "$out")
	check_file_contains "h2load $desc: the protocol is h2" "$out" "Application protocol: h2"
	check_match "h2load $desc: all $n requests succeeded" "$(cat "$out")" \
		"^requests: $n total, $n started, $n done, $n succeeded, 0 failed, 0 errored, 0 timeout\$"
	check_match "h2load $desc: all $n are 2xx" "$(cat "$out")" "^status codes: $n 2xx, 0 3xx, 0 4xx, 0 5xx\$"
}
h2load_run "-n 2000 -c 4 -m 32" 1 -n 2000 -c 4 -m 32
h2load_run "-n 2000 -c 2 -m 200 (more streams than the 128 the server allows)" 2 -n 2000 -c 2 -m 200

# 100 URLs on one connection, 50 streams at a time.
mkdir -p "$TMP/par"
hc "/a.txt?n=[1-100]" --http2 --parallel --parallel-max 50 -o "$TMP/par/#1.out" \
	-w '%{http_code} %{http_version} %{num_connects}\n' >"$TMP/par.out" 2>"$TMP/par.err"
check_eq "curl --parallel: 100 transfers over h2, all 200" 100 "$(grep -c '^200 2 [01]$' "$TMP/par.out")"
check_eq "curl --parallel: one connection for the 100 (sum of num_connects)" 1 \
	"$(awk '{ s += $3 } END { print s + 0 }' "$TMP/par.out")"
want=$(sha256sum <"$www/a.txt" | cut -d' ' -f1)
check_eq "curl --parallel: all 100 bodies whole" 100 \
	"$(cd "$TMP/par" && sha256sum -- $(seq -f '%g.out' 1 100) 2>/dev/null | awk -v w="$want" '$1 == w' | wc -l)"

# ================================================================ Chromium
if require_cmd chromium; then
	mkdir -p "$TMP/chr"
	# --no-sandbox: root in a container; --disable-dev-shm-usage: a small /dev/shm;
	# the network flags keep the browser to this server alone.
	HOME=$TMP/chr timeout -k 5 $((60 * SLOW)) chromium --headless=new --no-sandbox --disable-gpu \
		--disable-dev-shm-usage --ignore-certificate-errors --user-data-dir="$TMP/chr/profile" \
		--no-first-run --no-default-browser-check --disable-background-networking \
		--disable-component-update --disable-sync --disable-extensions --disable-default-apps \
		--no-proxy-server --host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE localhost' \
		--dump-dom "https://localhost:$port/chrome/" >"$TMP/chr/dom" 2>"$TMP/chr/err"
	crc=$?
	result=$(sed -nE 's/.*<p id="out">([^<]*)<\/p>.*/\1/p' "$TMP/chr/dom")
	note "chromium: status $crc, page says: ${result:-nothing}"
	if [ -z "$result" ]; then
		fail "chromium loads the page" "status $crc" "$(excerpt "$TMP/chr/dom")" "$(grep -v dbus "$TMP/chr/err" | tail -n 5)"
	else
		check_contains "chromium: the navigation's nextHopProtocol is h2" "$result " "nav=h2 "
		check_contains "chromium: all $NSCRIPTS scripts ran" "$result " "scripts=$NSCRIPTS "
		check_contains "chromium: all $NSCRIPTS scripts came over h2" "$result " "h2=$NSCRIPTS "
		check_contains "chromium: no script needed a connection of its own" "$result " "newconn=0 "
	fi
fi

stop_server
stopline=$(grep -a 'access log: .* written' "$SERVER_LOG" | tail -n 1)
note "server: ${stopline#*\] }"

# ================================================================ the access log
# A writer that falls behind a burst drops whole lines and says so (11-access-log):
# every line is either in the file or counted as dropped.
check_match "access log: the stop line counts every line written (and any dropped)" "$stopline" \
	"access log: $(wc -l <"$TMP/access.json" | tr -d ' ') lines? written, [0-9]+ dropped"
dropped=$(sed -nE 's/.*written, ([0-9]+) dropped.*/\1/p' <<<"$stopline")
# One line per stream: exact counts for the h2load runs and the --parallel
# run, the request line says HTTP/2.0, statuses and byte counts are right.
out=$("$PY" - "$TMP/access.json" "$NSCRIPTS" "${dropped:-0}" <<'PY' 2>&1
import json, re, sys
lines = open(sys.argv[1], "rb").read().decode("utf-8").splitlines()
nscripts = int(sys.argv[2])
dropped = int(sys.argv[3])
objs = [json.loads(l) for l in lines]
def check(name, ok, detail=""):
    print(("ok - " if ok else "not ok - ") + "access log: " + name)
    if not ok and detail:
        print("#   " + detail[:500])
def count(req, status=None, nbytes=None):
    return sum(1 for o in objs if o["request"] == req and (status is None or o["status"] == status)
               and (nbytes is None or o["bytes"] == nbytes))
print("# %d lines" % len(objs))
for run in (1, 2):
    req = "GET /h2l.txt?run=%d HTTP/2.0" % run
    n = count(req, 200, 100)
    check("h2load run %d: 2000 lines \"%s\" 200 100 (less only the lines reported dropped: %d)"
          % (run, req, dropped), n == count(req) and n <= 2000 and n + dropped >= 2000,
          "%d such lines, %d with that request line" % (n, count(req)))
par = [count("GET /a.txt?n=%d HTTP/2.0" % i, 200, 6) for i in range(1, 101)]
check("curl --parallel: one line \"GET /a.txt?n=N HTTP/2.0\" 200 6 for each N of 1..100", par == [1] * 100,
      "counts: %r" % par)
check("a 206 over h2: \"GET /big.bin HTTP/2.0\" 206 100",
      count("GET /big.bin HTTP/2.0", 206, 100) >= 1)
check("a 416 over h2", count("GET /big.bin HTTP/2.0", 416) >= 1)
check("a 304 over h2: \"GET /a.txt HTTP/2.0\" 304 0", count("GET /a.txt HTTP/2.0", 304, 0) >= 1)
check("a HEAD over h2: \"HEAD /big.bin HTTP/2.0\" 200 0", count("HEAD /big.bin HTTP/2.0", 200, 0) >= 1)
check("a 413 over h2", count("GET /a.txt HTTP/2.0", 413) >= 1)
check("a 501 over h2: \"BREW /a.txt HTTP/2.0\" 501", count("BREW /a.txt HTTP/2.0", 501) >= 1)
check("the 4 MiB file over h2: bytes is its size", any(o["request"] == "GET /big.bin HTTP/2.0" and o["status"] == 200
      and o["bytes"] == 4 * 1024 * 1024 + 1234 for o in objs))
check("HTTP/1.1 requests still say HTTP/1.1", count("GET /a.txt HTTP/1.1", 200, 6) >= 1)
check("h2 lines say tls TLSv1.3 (or TLSv1.2 for the --tls-max 1.2 one)",
      all(o["tls"] in ("TLSv1.3", "TLSv1.2") for o in objs if o["request"].endswith(" HTTP/2.0")))
check("no request line says HTTP/2 without .0, or HTTP/2.1",
      not any(re.search(r" HTTP/2(\.[1-9])?$", o["request"]) for o in objs))
scripts = [count("GET /chrome/s%d.js HTTP/2.0" % i, 200) for i in range(1, nscripts + 1)]
check("chromium: one \"GET /chrome/sN.js HTTP/2.0\" 200 line per script", scripts == [1] * nscripts,
      "counts: %r" % scripts)
check("chromium: the page itself over h2", count("GET /chrome/ HTTP/2.0", 200) == 1)
PY
)
while IFS= read -r l; do
	case $l in
	"ok - "*) pass "${l#ok - }" ;;
	"not ok - "*) fail "${l#not ok - }" ;;
	"#"*) printf '%s\n' "$l" ;;
	*) fail "access log: parsed by python3" "$l" ;;
	esac
done <<<"$out"

# ================================================================ graceful stop
# SIGTERM while a 50 MiB download runs over h2 (about 2.5 s at 20 MB/s): the
# server sends GOAWAY, finishes the stream, then exits 0.
random_file "$www/50m.bin" $((50 * 1024 * 1024))
conf=$TMP/stop.yaml
CFG_WORKERS=2 write_config "$conf" <<EOF
limits: {shutdown_timeout: 30s}
listeners:
  - {name: h2, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
if start_server "$conf"; then
	port=$(port_of h2)
	tcurl --http2 --max-time $((60 * SLOW)) --resolve "localhost:$port:127.0.0.1" --limit-rate 20M \
		-o "$TMP/dl.out" -w '%{http_code} %{http_version}' "https://localhost:$port/50m.bin" >"$TMP/dl.code" 2>"$TMP/dl.err" &
	cpid=$!
	track_bg "$cpid"
	for ((i = 0; i < 100 * SLOW; i++)); do
		sz=$(stat -c %s "$TMP/dl.out" 2>/dev/null)
		[ "${sz:-0}" -ge $((1024 * 1024)) ] && break
		sleep 0.1
	done
	note "SIGTERM after $(stat -c %s "$TMP/dl.out" 2>/dev/null) bytes of $((50 * 1024 * 1024))"
	pid=$SERVER_PID
	SERVER_PID=""
	kill -TERM "$pid"
	wait "$cpid"
	crc=$?
	check_eq "graceful stop: the h2 download in flight completes (curl status)" 0 "$crc"
	check_eq "... with 200 over h2" "200 2" "$(cat "$TMP/dl.code")"
	check_same_file "... byte-exact (sha256 of 50 MiB)" "$www/50m.bin" "$TMP/dl.out"
	[ "$crc" = 0 ] || note "curl: $(tail -n 3 "$TMP/dl.err")"
	for ((i = 0; i < 200 * SLOW; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		fail "graceful stop: the server exits after the download" "still running 20 s after it; killed" "$(server_log_tail)"
	else
		wait "$pid"
		check_eq "graceful stop: the server exits with status 0" 0 "$?"
	fi
	check_file_contains "graceful stop: the combined access log line says HTTP/2.0, 200 and all the bytes" \
		"$TMP/access.log" "\"GET /50m.bin HTTP/2.0\" 200 $((50 * 1024 * 1024)) "
fi

finish
