#!/usr/bin/env bash
# 26-sites: name-based sites on one files listener, seen from the outside
# over HTTP/1.1 and HTTP/2 — the site chosen by Host (exact, one-label
# wildcard, any case, with a port, with a trailing dot; unknown names get the
# default site), certificates chosen by SNI, 421 when Host and SNI name
# different sites (and the connection kept), headers: on every kind of
# response, cache: rules only where a pattern matches, error_pages: (custom
# bodies with their status and type, the built-in body when the page is
# missing), an SPA fallback:, /.well-known/ served under dotfiles: deny, the
# site in the access log (json and combined), -t's site lines and what it
# refuses, and SIGHUP applying new headers, roots and site certificates.
# Clients: curl (HTTP/1.1 and --http2), openssl s_client, python3. About 20 s.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
require_cmd curl openssl
require_exec "$PY" "Debian's python3; scripts/deps.sh test installs it"

HSTS="max-age=63072000"
IMMUTABLE="public, max-age=31536000, immutable"

# ---------------------------------------------------------------- the sites' files
www=$TMP/www   # the default site
ex=$TMP/ex     # example.test, *.example.test: its own certificate, an SPA fallback
bs=$TMP/b      # b.test: the listener's certificate, its own headers and cache rules
bs2=$TMP/b2    # b.test's root after the reload
mkdir -p "$www/sub/deep" "$www/assets/a/b" "$www/.errors" "$www/.git" "$www/.well-known/sub" \
	"$www/x/.well-known" "$ex/.git" "$ex/404.html" "$ex/list" "$www/list" "$bs/dir" "$bs/list" "$bs/blist" "$bs2"
printf 'default index\n' >"$www/index.html"
printf 'default a\n' >"$www/a.txt"
for ((i = 0; i < 50; i++)); do printf '.r%d { margin: %dpx }\n' "$i" "$i"; done >"$www/style.css"
gzip -9 -n -c "$www/style.css" >"$www/style.css.gz"
printf 'UPPER\n' >"$www/upper.CSS"
printf 'sub index\n' >"$www/sub/index.html"
printf 'sub x\n' >"$www/sub/x.txt"
printf 'p {}\n' >"$www/sub/style.css"
printf 'deep y\n' >"$www/sub/deep/y.txt"
printf 'top js\n' >"$www/assets/top.js"
printf 'deep js\n' >"$www/assets/a/b/c.js"
printf '<!doctype html>\n<p>custom not found</p>\n' >"$www/404.html"
printf 'custom 405 page\n' >"$www/.errors/405.txt"
printf 'custom 416 page\n' >"$www/416.txt"
printf '[core]\n' >"$www/.git/config"
printf 'SECRET=1\n' >"$www/.env"
printf 'Contact: mailto:security@example.test\n' >"$www/.well-known/security.txt"
printf 'hidden\n' >"$www/.well-known/.hidden"
printf 'hidden too\n' >"$www/.well-known/sub/.x"
printf 'well-known ok\n' >"$www/.well-known/sub/ok.txt"
printf 'not the first segment\n' >"$www/x/.well-known/security.txt"
printf 'example index\n' >"$ex/index.html"
printf '<!doctype html>\n<title>spa</title>\n<div id="app">spa shell</div>\n' >"$ex/app.html"
printf 'app js\n' >"$ex/app.js"
printf 'x {}\n' >"$ex/x.css"
printf '[core]\n' >"$ex/.git/config"
printf 'SECRET=ex\n' >"$ex/.env"
printf 'l\n' >"$ex/list/one.txt"
printf 'l\n' >"$www/list/one.txt"
printf 'hidden default\n' >"$www/.hidden.txt"
printf 'hidden b\n' >"$bs/.hidden.txt"
printf 'l\n' >"$bs/list/one.txt"
printf 'l\n' >"$bs/blist/one.txt"
printf 'b index\n' >"$bs/index.html"
printf 'b a\n' >"$bs/a.txt"
printf 'q {}\n' >"$bs/style.css"
printf 'b dir\n' >"$bs/dir/index.html"
printf '<!doctype html>\n<p>b custom 404</p>\n' >"$bs/404.html"
printf 'b2 index\n' >"$bs2/index.html"

conf=$TMP/sites.yaml
# write_sites HSTS B-ROOT EXAMPLE-CERT EXAMPLE-KEY — the configuration
# (written to a new file, then renamed: a reload never reads half of it).
write_sites() {
	cat >"$conf.new" <<EOF
workers: 2
log: {level: debug, error: stderr, access: $TMP/access.json, access_format: json}
tls: {certificate: $CERTS/server.crt, key: $CERTS/server.key}
limits: {idle_timeout: 30s, header_timeout: 10s}
listeners:
  - name: https
    host: 127.0.0.1
    port: 0
    mode: files
    root: $www
    headers:
      Strict-Transport-Security: "$1"
      X-Content-Type-Options: nosniff
    cache:
      - match: "*.css"
        control: "$IMMUTABLE"
      - match: "/sub/*"
        control: "no-cache"
      - match: "/assets/**"
        control: "public, max-age=600"
    error_pages:
      404: /404.html
      405: /.errors/405.txt
      416: /416.txt
    fallback: null
    sites:
      - names: [example.test, "*.example.test"]
        root: $ex
        certificate: $3
        key: $4
        fallback: /app.html
        listing: true
        cache:
          - {match: "/app.html", control: "no-store"}
          - {match: "*.js", control: "max-age=60"}
      - names: [b.test]
        root: $2
        headers:
          X-Site: b
          Strict-Transport-Security: "max-age=1"
        cache:
          - {match: "/list/", control: "max-age=5"}
          - {match: "**", control: "private"}
        listing: true
        dotfiles: allow
        fallback: /no-such-spa.html
EOF
	mv -f "$conf.new" "$conf"
}
write_sites "$HSTS" "$bs" "$CERTS/example.crt" "$CERTS/example.key"

# ================================================================ tlserve -t
out=$(run_tlserve -t -c "$conf" 2>&1)
rc=$?
check_eq "-t: the sites configuration passes (exit 0)" 0 "$rc"
[ "$rc" = 0 ] || note "$(head -n 5 <<<"$out")"
check_has_line "-t: the default site's line" "$out" "$conf: listener https: site default: root $(realpath "$www")"
check_has_line "-t: example.test's line (names, root, certificate)" "$out" \
	"$conf: listener https: site example.test, *.example.test: root $(realpath "$ex"), certificate $(realpath "$CERTS/example.crt")"
check_has_line "-t: b.test's line (no certificate)" "$out" "$conf: listener https: site b.test: root $(realpath "$bs")"
check_has_line "-t: ends with FILE: ok" "$(tail -n 1 <<<"$out")" "$conf: ok"
n=$(grep -n ': subject=' <<<"$out" | tail -n 1 | cut -d: -f1)
s=$(grep -n ': site default: ' <<<"$out" | head -n 1 | cut -d: -f1)
if [ -n "$n" ] && [ -n "$s" ] && [ "$s" -gt "$n" ]; then
	pass "-t: the site lines come after the certificate lines"
else
	fail "-t: the site lines come after the certificate lines" "$out"
fi
check_contains "-t: the certificate of example.test is described" "$out" "CN=example.test"
check_contains "-t: a missing error page (example.test's /.errors/405.txt) is warned about" "$out" ".errors/405.txt"

# refuse DESC ERE — the listeners: part of a configuration on stdin (after
# write_config's head); tlserve -t must exit 1 with a positioned message
# (FILE:LINE:COLUMN:) matching ERE (case-insensitive). Sets REF_OUT, REF_FILE.
NREF=0
# ref_check FILE — tlserve -t -c FILE. Under a wrapper (valgrind) only every
# 8th check runs wrapped: a hundred valgrind start-ups would take minutes,
# and the sanitizer run (make asan) checks every one of them.
ref_check() {
	if [ -n "$TLSERVE_WRAPPER" ] && [ $((NREF % 8)) -ne 0 ]; then
		# shellcheck disable=SC2086 # the prefix is a command line on purpose
		timeout -k 5 30 $TLSERVE_PREFIX "$TLSERVE_BIN" -t -c "$1"
	else
		run_tlserve -t -c "$1"
	fi
}
refuse() {
	local desc=$1 re=$2 rc
	NREF=$((NREF + 1))
	REF_FILE=$TMP/bad.$NREF.yaml
	write_config "$REF_FILE"
	REF_OUT=$(ref_check "$REF_FILE" 2>&1)
	rc=$?
	if [ "$rc" = 1 ] && grep -Eqi -- "$re" <<<"$REF_OUT" &&
		grep -Fq -- "$REF_FILE:" <<<"$REF_OUT" && grep -Eq -- ':[0-9]+:[0-9]+: ' <<<"$REF_OUT"; then
		pass "-t refuses $desc (exit 1, FILE:LINE:COL: ... /$re/)"
	else
		fail "-t refuses $desc (exit 1, FILE:LINE:COL: ... /$re/)" "exit $rc" "$REF_OUT"
	fi
}
# accept DESC — as refuse, but tlserve -t must exit 0.
accept() {
	local rc
	NREF=$((NREF + 1))
	REF_FILE=$TMP/good.$NREF.yaml
	write_config "$REF_FILE"
	REF_OUT=$(ref_check "$REF_FILE" 2>&1)
	rc=$?
	if [ "$rc" = 0 ]; then pass "-t accepts $1"; else fail "-t accepts $1" "exit $rc" "$REF_OUT"; fi
}
L="listeners:
  - name: https
    host: 127.0.0.1
    port: 0
    mode: files
    root: $www"
# line_of FILE FIXED [NTH] — the line number of the NTH (1) line of FILE containing FIXED.
line_of() { grep -nF -- "$2" "$1" | sed -n "${3:-1}p" | cut -d: -f1; }
# both_positions DESC — REF_OUT points at both lines L1 and L2 (as FILE:L:C or "line L").
both_positions() {
	local l1=$2 l2=$3
	if grep -Eq -- "(:|line )$l1([^0-9]|\$)" <<<"$REF_OUT" && grep -Eq -- "(:|line )$l2([^0-9]|\$)" <<<"$REF_OUT"; then
		pass "$1: the message gives both positions (lines $l1 and $l2)"
	else
		fail "$1: the message gives both positions (lines $l1 and $l2)" "$REF_OUT"
	fi
}

refuse "a name claimed by two sites" 'dup\.test' <<EOF
$L
    sites:
      - names: [dup.test]
        root: $bs
      - names: [other.test, dup.test]
        root: $bs
EOF
both_positions "a name claimed twice" "$(line_of "$REF_FILE" '[dup.test]')" "$(line_of "$REF_FILE" 'other.test, dup.test')"
refuse "a name claimed twice in different case" 'dup\.test' <<EOF
$L
    sites:
      - {names: [Dup.Test], root: $bs}
      - {names: [dup.test], root: $bs}
EOF
refuse "a wildcard claimed by two sites" '\*\.w\.test' <<EOF
$L
    sites:
      - {names: ["*.w.test"], root: $bs}
      - {names: ["*.w.test"]}
EOF
refuse "a site name with a certificate that is also an sni: entry's" 'example\.test' <<EOF
$L
    sni:
      - {names: [example.test], certificate: $CERTS/example.crt, key: $CERTS/example.key}
    sites:
      - names: [example.test]
        root: $ex
        certificate: $CERTS/example.crt
        key: $CERTS/example.key
EOF
both_positions "a site and an sni: entry for one name" "$(line_of "$REF_FILE" '{names: [example.test]')" \
	"$(line_of "$REF_FILE" '- names: [example.test]')"
accept "a site without a certificate whose name is an sni: entry's (it uses that certificate)" <<EOF
$L
    sni:
      - {names: [example.test], certificate: $CERTS/example.crt, key: $CERTS/example.key}
    sites:
      - {names: [example.test], root: $ex}
EOF
for n in '"a*.x.test"' '"*"' 'b.test.' '"b.test:443"' '""' '"*.*.x.test"'; do
	refuse "the site name $n" 'name' <<EOF
$L
    sites:
      - {names: [$n], root: $bs}
EOF
done
refuse "a site with a certificate but no key" 'key' <<EOF
$L
    sites:
      - {names: [c.test], root: $bs, certificate: $CERTS/example.crt}
EOF
for g in '"sub/*.css"' '"/a//b"' '""' '"/a/./b"' '"/a/../b"' '"a/b"'; do
	refuse "the cache glob $g (can never match)" 'cache|match' <<EOF
$L
    cache:
      - {match: "*.txt", control: "no-cache"}
      - {match: $g, control: "no-cache"}
EOF
done
refuse "a cache control with a newline" 'cache|control' <<EOF
$L
    cache:
      - {match: "*.txt", control: "no-cache\\nX-Evil: 1"}
EOF
for p in '"../x.html"' '"/../x.html"' '"/sub/../../x.html"' '"x.html"'; do
	refuse "the error page $p (outside the root or not absolute)" 'error_pages|x\.html' <<EOF
$L
    error_pages:
      404: $p
EOF
done
refuse "an error page outside a site's root" 'error_pages|x\.html' <<EOF
$L
    sites:
      - names: [b.test]
        root: $bs
        error_pages: {404: "/../x.html"}
EOF
for p in '"../app.html"' '"/../app.html"'; do
	refuse "the fallback $p (outside the root)" 'fallback' <<EOF
$L
    fallback: $p
EOF
done
refuse "a site's fallback outside its root" 'fallback' <<EOF
$L
    sites:
      - {names: [b.test], root: $bs, fallback: "/../../etc/passwd"}
EOF
for h in Content-Length Server Connection Transfer-Encoding Date Keep-Alive Upgrade TE Trailer \
	Proxy-Connection Content-Type Content-Encoding Content-Range ETag Last-Modified Accept-Ranges \
	Location Vary Allow Cache-Control content-length; do
	refuse "the header $h" "$h" <<EOF
$L
    headers:
      X-Fine: yes
      $h: "1"
EOF
done
refuse "a forbidden header in a site (Server)" 'Server' <<EOF
$L
    sites:
      - names: [b.test]
        headers: {Server: other}
EOF
refuse 'a header value with a newline ("a\nb")' 'X-Bad' <<EOF
$L
    headers:
      X-Bad: "a\\nb"
EOF
refuse 'a header value with a CR and a forged header ("a\r\nSet-Cookie: x=1")' 'X-Bad' <<EOF
$L
    headers:
      X-Bad: "a\\r\\nSet-Cookie: x=1"
EOF
refuse 'a header value with a NUL ("a\0b")' 'X-Bad' <<EOF
$L
    headers:
      X-Bad: "a\\0b"
EOF
refuse 'a header value with another control character ("a\x01b")' 'X-Bad' <<EOF
$L
    headers:
      X-Bad: "a\\x01b"
EOF
accept 'a header value with a tab ("a\tb")' <<EOF
$L
    headers:
      X-Tab: "a\\tb"
EOF
refuse 'a header name that is not a token ("Bad Name")' 'Bad Name' <<EOF
$L
    headers:
      "Bad Name": x
EOF
refuse 'a header name given twice in different case' 'X-A' <<EOF
$L
    headers:
      X-A: "1"
      x-a: "2"
EOF
{
	printf '%s\n    headers:\n' "$L"
	for ((i = 0; i < 65; i++)); do printf '      X-H%d: "v"\n' "$i"; done
} >"$TMP/many.yaml"
refuse "65 headers (at most 64)" 'header|64' <"$TMP/many.yaml"
# Headers whose lines take more than 8192 bytes would not fit beside a
# response head (a long Location, say): refused.
big=$(head -c 4100 /dev/zero | tr '\0' 'v')
refuse "headers of more than 8192 bytes in all" 'headers.*8192' <<EOF
$L
    headers:
      X-One: "$big"
      X-Two: "$big"
EOF
accept "headers of 8000 bytes in all" <<EOF
$L
    headers:
      X-One: "$(head -c 3980 /dev/zero | tr '\0' 'v')"
      X-Two: "$(head -c 3980 /dev/zero | tr '\0' 'v')"
EOF
{
	printf '%s\n    cache:\n' "$L"
	for ((i = 0; i < 257; i++)); do printf '      - {match: "/r%d", control: "no-cache"}\n' "$i"; done
} >"$TMP/many.yaml"
refuse "257 cache rules (at most 256)" 'cache|256' <"$TMP/many.yaml"
{
	printf '%s\n    headers:\n' "$L"
	for ((i = 0; i < 64; i++)); do printf '      X-H%d: "v"\n' "$i"; done
	printf '    cache:\n'
	for ((i = 0; i < 256; i++)); do printf '      - {match: "/r%d", control: "no-cache"}\n' "$i"; done
} >"$TMP/many.yaml"
accept "64 headers and 256 cache rules" <"$TMP/many.yaml"
for st in 200 399 600 302; do
	refuse "error_pages status $st" "$st" <<EOF
$L
    error_pages:
      $st: /404.html
EOF
done
for k in 'headers: {X-A: b}' 'cache: [{match: "*.css", control: no-cache}]' 'error_pages: {404: /404.html}' \
	'fallback: /index.html' 'sites: [{names: [b.test], root: '"$bs"'}]'; do
	refuse "${k%%:*} on an echo listener" "${k%%:*}" <<EOF
listeners:
  - {name: echo, host: 127.0.0.1, port: 0, mode: echo, $k}
EOF
done

# ================================================================ the server
write_sites "$HSTS" "$bs" "$CERTS/example.crt" "$CERTS/example.key"
start_server "$conf" || finish
port=$(port_of https)

# rq PROTO SNI PATH [CURL ARGS...] — one request to the listener over PROTO
# (http1.1 or http2). SNI is the server name curl connects with (its Host
# too unless ARGS set one: --resolve SNI:PORT:127.0.0.1); "" connects to
# https://127.0.0.1:PORT (no server name, Host 127.0.0.1:PORT). The test CA
# is trusted; pass -k for a name the certificate does not cover. Sets H (the
# head, CRs removed), B (body file), ST (status), V (HTTP version), CRC.
NR=0
rq() {
	local proto=$1 sni=$2 path=$3 tag
	local -a url
	shift 3
	NR=$((NR + 1))
	tag=$TMP/r.$NR
	B=$tag.body
	: >"$B"
	if [ -n "$sni" ]; then
		url=(--resolve "$sni:$port:127.0.0.1" "https://$sni:$port$path")
	else
		url=("https://127.0.0.1:$port$path")
	fi
	V=$(curl -sS --max-time "$NET_TIMEOUT" --connect-timeout 10 --noproxy '*' "--$proto" \
		--cacert "$CERTS/ca.crt" -D "$tag.head" -o "$B" -w '%{http_version}' "$@" "${url[@]}" 2>"$tag.err")
	CRC=$?
	H=$(tr -d '\r' <"$tag.head" 2>/dev/null)
	ST=$(sed -nE '1s/^HTTP\/[0-9.]+ ([0-9]{3}).*/\1/p' <<<"$H")
}
# s1 SNI REQUEST — REQUEST through one s_client session with that server name
# ("" = none); the server's bytes (CRs removed) in S1.
s1() {
	local -a sn=(-noservername)
	[ -n "$1" ] && sn=(-servername "$1")
	S1=$(printf '%b' "$2" | timeout -k 2 $((10 * SLOW)) openssl s_client -quiet -connect "127.0.0.1:$port" \
		"${sn[@]}" -CAfile "$CERTS/ca.crt" 2>/dev/null | tr -d '\r')
}
# hdr NAME — the first value of header NAME (any case) in H; hcount NAME — how many.
hdr() { awk -v n="$1" 'BEGIN { n = tolower(n) } { i = index($0, ":"); if (i > 0 && tolower(substr($0, 1, i - 1)) == n) {
	v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v; exit } }' <<<"$H"; }
hcount() { awk -v n="$1" 'BEGIN { n = tolower(n); c = 0 } { i = index($0, ":"); if (i > 0 && tolower(substr($0, 1, i - 1)) == n) c++ } END { print c }' <<<"$H"; }
pv() { case $1 in http2) echo 2 ;; *) echo 1.1 ;; esac; }
body() { LC_ALL=C tr -d '\0' <"$B"; }

# expect DESC STATUS PROTO — ST and V are STATUS over PROTO (with curl's error if not).
expect() {
	if [ "$ST $V" = "$2 $(pv "$3")" ]; then
		pass "$1: $2"
	else
		fail "$1: $2" "got status '$ST' over HTTP '$V' (curl $CRC): $(head -c 300 "$TMP/r.$NR.err")" "$H"
	fi
}
# sec_headers DESC [HSTS-VALUE] — H has Strict-Transport-Security: HSTS-VALUE
# and X-Content-Type-Options: nosniff, once each, names as configured over
# HTTP/1.1 and lower-case over h2.
sec_headers() {
	local s=Strict-Transport-Security x=X-Content-Type-Options
	if [ "$V" = 2 ]; then s=strict-transport-security x=x-content-type-options; fi
	if grep -Fxq -- "$s: ${2:-$HSTS}" <<<"$H" && grep -Fxq -- "$x: nosniff" <<<"$H" &&
		[ "$(hcount "$s")" = 1 ] && [ "$(hcount "$x")" = 1 ]; then
		pass "$1: $s and $x, once each"
	else
		fail "$1: $s: ${2:-$HSTS} and $x: nosniff, once each" "$H"
	fi
}
# hsts_is DESC VALUE — H has Strict-Transport-Security: VALUE, once.
hsts_is() {
	local s=Strict-Transport-Security
	[ "$V" = 2 ] && s=strict-transport-security
	if grep -Fxq -- "$s: $2" <<<"$H" && [ "$(hcount "$s")" = 1 ]; then
		pass "$1: $s: $2, once"
	else
		fail "$1: $s: $2, once" "$H"
	fi
}
# cc DESC EXPECTED — the Cache-Control value ("" = none) and how many.
cc() {
	local want=$2 got n
	got=$(hdr cache-control)
	n=$(hcount cache-control)
	if [ -z "$want" ]; then
		check_eq "$1: no Cache-Control" "0" "$n"
	elif [ "$n" = 1 ]; then
		check_eq "$1: Cache-Control: $want" "$want" "$got"
	else
		fail "$1: one Cache-Control: $want" "$H"
	fi
}
# body_is DESC FILE — the body is FILE's bytes.
body_is() { check_same_file "$1" "$2" "$B"; }

# ================================================================ every kind of response carries the headers
rq http1.1 "" /a.txt
etag=$(hdr etag)
for proto in http1.1 http2; do
	p=$(pv "$proto")
	rq $proto "" /a.txt
	expect "HTTP/$p GET /a.txt" 200 $proto
	sec_headers "HTTP/$p 200"
	cc "HTTP/$p 200 /a.txt (no rule matches)" ""
	rq $proto "" /a.txt -H "Range: bytes=0-2"
	expect "HTTP/$p a range" 206 $proto
	sec_headers "HTTP/$p 206"
	rq $proto "" /a.txt -H "If-None-Match: $etag"
	expect "HTTP/$p If-None-Match the ETag" 304 $proto
	sec_headers "HTTP/$p 304"
	rq $proto "" /sub
	expect "HTTP/$p a directory without its slash" 301 $proto
	sec_headers "HTTP/$p 301"
	rq $proto "" /no-such.txt
	expect "HTTP/$p a missing file" 404 $proto
	sec_headers "HTTP/$p 404"
	rq $proto "" /a.txt -X POST --data x
	expect "HTTP/$p POST" 405 $proto
	sec_headers "HTTP/$p 405"
	rq $proto "" /a.txt -H "Range: bytes=1000-"
	expect "HTTP/$p an unsatisfiable range" 416 $proto
	sec_headers "HTTP/$p 416"
	rq $proto "" /a.txt -H 'If-Match: "nope"'
	expect "HTTP/$p If-Match another ETag" 412 $proto
	sec_headers "HTTP/$p 412"
	rq $proto "" /a.txt -X OPTIONS
	expect "HTTP/$p OPTIONS" 204 $proto
	sec_headers "HTTP/$p 204"
	rq $proto "" /a.txt -X BREW
	expect "HTTP/$p an unknown method" 501 $proto
	sec_headers "HTTP/$p 501"
	rq $proto "" /a.txt -X GET --data x
	expect "HTTP/$p a GET with a body" 413 $proto
	sec_headers "HTTP/$p 413"
	rq $proto example.test / -H "Host: b.test"
	expect "HTTP/$p SNI example.test, Host b.test" 421 $proto
	sec_headers "HTTP/$p 421 (answered as example.test, which has the listener's headers)"
	check_eq "HTTP/$p 421: not b.test's headers (no X-Site)" 0 "$(hcount x-site)"
	check_eq "HTTP/$p 421: no Cache-Control" 0 "$(hcount cache-control)"
	check_contains "HTTP/$p 421: the built-in body says 421" "$(body)" "421"
	check_eq "HTTP/$p 421: text/html" "text/html; charset=utf-8" "$(hdr content-type)"
	rq $proto example.test /
	expect "HTTP/$p SNI example.test, Host example.test" 200 $proto
	check_eq "HTTP/$p SNI example.test: example.test's index" "example index" "$(body)"
	sec_headers "HTTP/$p example.test (the listener's headers)"
	rq $proto b.test / -k
	expect "HTTP/$p SNI b.test" 200 $proto
	check_eq "HTTP/$p SNI b.test: b.test's index" "b index" "$(body)"
	hsts_is "HTTP/$p b.test has its own HSTS value" "max-age=1"
	if [ "$V" = 2 ]; then x='x-site: b'; else x='X-Site: b'; fi
	check_has_line "HTTP/$p b.test: $x" "$H" "$x"
	check_eq "HTTP/$p b.test: its headers replace the listener's (no X-Content-Type-Options)" 0 "$(hcount x-content-type-options)"
done

s1 "" 'GET / HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n'
check_match "HTTP/1.1 an invalid Host: 400" "$(head -n 1 <<<"$S1")" '^HTTP/1\.1 400 '
check_has_line "HTTP/1.1 400: Strict-Transport-Security" "$S1" "Strict-Transport-Security: $HSTS"
check_has_line "HTTP/1.1 400: X-Content-Type-Options" "$S1" "X-Content-Type-Options: nosniff"

# ================================================================ cache rules
rq http1.1 "" /style.css
cc "/style.css (\"*.css\")" "$IMMUTABLE"
etag_css=$(hdr etag)
rq http1.1 "" /sub/style.css
cc "/sub/style.css (\"*.css\" comes first)" "$IMMUTABLE"
rq http1.1 "" /sub/x.txt
cc "/sub/x.txt (\"/sub/*\")" "no-cache"
rq http1.1 "" /sub/
expect "/sub/ (its index.html)" 200 http1.1
cc "/sub/ serves /sub/index.html (\"/sub/*\")" "no-cache"
rq http1.1 "" /sub/deep/y.txt
cc "/sub/deep/y.txt (\"*\" stays within a segment)" ""
rq http1.1 "" /assets/top.js
cc "/assets/top.js (\"/assets/**\")" "public, max-age=600"
rq http1.1 "" /assets/a/b/c.js
cc "/assets/a/b/c.js (\"**\" crosses \"/\")" "public, max-age=600"
rq http1.1 "" /
cc "/ (index.html, no rule)" ""
rq http1.1 "" /upper.CSS
expect "/upper.CSS" 200 http1.1
cc "/upper.CSS (matching is case-sensitive)" ""
rq http1.1 "" /style.css -H "Accept-Encoding: gzip"
check_eq "/style.css with gzip: the sidecar is sent" gzip "$(hdr content-encoding)"
cc "/style.css from its .gz sidecar (matched on the original name)" "$IMMUTABLE"
rq http1.1 "" /style.css -H "If-None-Match: $etag_css"
expect "/style.css If-None-Match" 304 http1.1
cc "a 304 of /style.css" "$IMMUTABLE"
rq http1.1 "" /style.css -H "Range: bytes=0-9"
expect "/style.css a range" 206 http1.1
cc "a 206 of /style.css" "$IMMUTABLE"
rq http1.1 "" /nope.css
expect "/nope.css" 404 http1.1
cc "a 404 for /nope.css" ""
rq http1.1 "" /sub/nope.txt
expect "/sub/nope.txt" 404 http1.1
cc "a 404 for /sub/nope.txt" ""
rq http1.1 "" /style.css -X POST --data x
expect "POST /style.css" 405 http1.1
cc "a 405 for /style.css" ""
rq http1.1 "" /style.css -H "Range: bytes=100000-"
expect "/style.css an unsatisfiable range" 416 http1.1
cc "a 416 for /style.css" ""
rq http1.1 "" /style.css -H 'If-Match: "nope"'
expect "/style.css If-Match another ETag" 412 http1.1
cc "a 412 for /style.css" ""
rq http2 "" /style.css
expect "h2 /style.css" 200 http2
cc "h2 /style.css" "$IMMUTABLE"
rq http2 "" /sub/x.txt
cc "h2 /sub/x.txt" "no-cache"
rq http2 "" /a.txt
cc "h2 /a.txt" ""
rq http2 "" /nope.css
cc "h2 a 404 for /nope.css" ""
# b.test: its rule "**" matches every path, but never an error or a redirect.
rq http1.1 "" /a.txt -H "Host: b.test"
expect "b.test /a.txt" 200 http1.1
check_eq "b.test /a.txt: b.test's file" "b a" "$(body)"
cc "b.test /a.txt (\"**\")" "private"
rq http1.1 "" /style.css -H "Host: b.test"
cc "b.test /style.css (its rules replace the listener's)" "private"
rq http1.1 "" / -H "Host: b.test"
cc "b.test / (\"**\")" "private"
rq http1.1 "" /dir -H "Host: b.test"
expect "b.test /dir" 301 http1.1
cc "b.test a 301 (\"**\" matches, but not on redirects)" ""
rq http1.1 "" /nope -H "Host: b.test"
expect "b.test /nope" 404 http1.1
cc "b.test a 404 (\"**\" matches, but not on errors)" ""
rq http1.1 "" /list/ -H "Host: b.test"
expect "b.test a listing (listing: true on the site)" 200 http1.1
check_contains "... lists one.txt" "$(body)" 'one.txt'
cc "b.test a listing: matched as its directory \"/list/\"" "max-age=5"
rq http1.1 "" /blist/ -H "Host: b.test"
cc "b.test a listing of /blist/ (\"**\")" "private"
rq http1.1 example.test /list/
expect "example.test a listing" 200 http1.1
cc "example.test a listing no rule matches: its built-in no-cache" "no-cache"
rq http1.1 "" /list/
expect "the default site: no listing (the listener's listing: false): a directory without index" 403 http1.1
check_not_contains "... and no list of its files" "$(body)" "one.txt"
rq http1.1 "" /.hidden.txt -H "Host: b.test"
expect "b.test dotfiles: allow: /.hidden.txt" 200 http1.1
rq http1.1 "" /.hidden.txt
expect "the default site (dotfiles: deny): /.hidden.txt" 404 http1.1
rq http2 b.test /nope -k
expect "h2 b.test /nope" 404 http2
cc "h2 b.test a 404" ""
rq http1.1 "" /a.txt -H "Host: b.test" -X POST --data x
expect "b.test POST" 405 http1.1
cc "b.test a 405" ""

# ================================================================ error pages
for proto in http1.1 http2; do
	p=$(pv "$proto")
	rq $proto "" /no/such/page.html
	expect "HTTP/$p error_pages 404" 404 $proto
	body_is "HTTP/$p the 404 is /404.html's body" "$www/404.html"
	check_eq "HTTP/$p the 404 page's Content-Type is from .html" "text/html; charset=utf-8" "$(hdr content-type)"
	check_eq "HTTP/$p the 404 page: no ETag, Last-Modified or Cache-Control" "0 0 0" \
		"$(hcount etag) $(hcount last-modified) $(hcount cache-control)"
	sec_headers "HTTP/$p the 404 page"
	rq $proto "" /a.txt -X POST --data x
	expect "HTTP/$p error_pages 405 (a file under a dot directory)" 405 $proto
	body_is "HTTP/$p the 405 is /.errors/405.txt's body" "$www/.errors/405.txt"
	check_eq "HTTP/$p the 405 page's Content-Type is from .txt" "text/plain; charset=utf-8" "$(hdr content-type)"
	check_eq "HTTP/$p the 405 page keeps Allow" "GET, HEAD" "$(hdr allow)"
	rq $proto "" /a.txt -H "Range: bytes=1000-"
	expect "HTTP/$p error_pages 416" 416 $proto
	body_is "HTTP/$p the 416 is /416.txt's body" "$www/416.txt"
	check_eq "HTTP/$p the 416 page keeps Content-Range" "bytes */10" "$(hdr content-range)"
done
rq http2 "" /no/such/page.html -I
expect "h2 HEAD of a missing page" 404 http2
s1 "" 'HEAD /no/such/page.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
check_match "HTTP/1.1 HEAD of a missing page: 404" "$(head -n 1 <<<"$S1")" '^HTTP/1\.1 404 '
check_eq "HTTP/1.1 HEAD: the Content-Length of the 404 page" "Content-Length: $(file_size "$www/404.html")" \
	"$(grep -i '^content-length:' <<<"$S1")"
check_eq "HTTP/1.1 HEAD: nothing after the head" "" "$(awk 'f { print } /^$/ { f = 1 }' <<<"$S1")"
rq http1.1 "" /.errors/405.txt
expect "the 405 page itself asked for (a dotfile)" 404 http1.1
body_is "... gets the custom 404" "$www/404.html"
rq http1.1 "" /404.html
expect "/404.html asked for" 200 http1.1
rq http1.1 "" /nope -H "Host: b.test"
body_is "b.test's 404 (its fallback file is missing) is its error page, read beneath b.test's root" "$bs/404.html"
rq http1.1 "" /a.txt -H "Host: b.test" -X POST --data x
check_contains "b.test's 405 page is missing in its root: the built-in body" "$(body)" "405 Method Not Allowed"
# example.test: /404.html is a directory, /.errors/405.txt is missing.
rq http1.1 example.test /.git/config
expect "example.test /.git/config" 404 http1.1
check_contains "example.test: 404.html is a directory: the built-in 404 body" "$(body)" "404 Not Found"
check_eq "... text/html" "text/html; charset=utf-8" "$(hdr content-type)"
rq http1.1 example.test /app.js -X POST --data x
expect "example.test POST" 405 http1.1
check_contains "example.test: its 405 page is missing: the built-in 405 body" "$(body)" "405 Method Not Allowed"
check_eq "... Allow stays" "GET, HEAD" "$(hdr allow)"

# ================================================================ the SPA fallback (example.test)
for proto in http1.1 http2; do
	p=$(pv "$proto")
	rq $proto example.test /deep/link
	expect "HTTP/$p fallback: /deep/link" 200 $proto
	body_is "HTTP/$p fallback: /deep/link is app.html" "$ex/app.html"
	rq $proto example.test /.git/config
	expect "HTTP/$p fallback: /.git/config stays" 404 $proto
	check_not_contains "HTTP/$p fallback: /.git/config is not the SPA" "$(body)" "spa shell"
done
rq http1.1 example.test /deep/link
check_eq "fallback: text/html" "text/html; charset=utf-8" "$(hdr content-type)"
spa_etag=$(hdr etag)
check_match "fallback: an ETag" "$spa_etag" '^"[^"]+"$'
check_ne "fallback: a Last-Modified" "" "$(hdr last-modified)"
cc "fallback: the rule for /app.html applies (the fallback's path)" "no-store"
sec_headers "fallback 200"
rq http1.1 example.test /other/thing.js
expect "fallback: /other/thing.js (missing)" 200 http1.1
cc "fallback for /other/thing.js: matched as /app.html, not \"*.js\"" "no-store"
rq http1.1 example.test /app.js
cc "example.test /app.js (\"*.js\")" "max-age=60"
rq http1.1 example.test /x.css
cc "example.test /x.css (its rules replace the listener's \"*.css\")" ""
for proto in http1.1 http2; do
	p=$(pv "$proto")
	rq $proto example.test /deep/link -H "If-None-Match: $spa_etag"
	expect "HTTP/$p fallback + If-None-Match" 304 $proto
	sec_headers "HTTP/$p fallback 304"
	cc "HTTP/$p fallback 304" "no-store"
done
rq http1.1 example.test /deep/link -H "If-Modified-Since: $(http_date_of "$ex/app.html")"
expect "fallback + If-Modified-Since" 304 http1.1
rq http1.1 example.test /deep/link -H "Range: bytes=0-4"
expect "fallback + Range" 206 http1.1
check_eq "fallback + Range: the first bytes of app.html" "<!doc" "$(body)"
rq http1.1 example.test /deep/link -I
expect "fallback HEAD" 200 http1.1
check_eq "fallback HEAD: Content-Length of app.html" "$(file_size "$ex/app.html")" "$(hdr content-length)"
rq http1.1 example.test /.env
expect "fallback: /.env stays" 404 http1.1
rq http1.1 example.test /
check_eq "fallback: / is still the index" "example index" "$(body)"
rq http1.1 "" /deep/link
expect "no fallback on the default site: /deep/link" 404 http1.1

# ================================================================ dotfiles and /.well-known/
for proto in http1.1 http2; do
	p=$(pv "$proto")
	rq $proto "" /.well-known/security.txt
	expect "HTTP/$p /.well-known/security.txt" 200 $proto
	body_is "HTTP/$p /.well-known/security.txt: the file" "$www/.well-known/security.txt"
	sec_headers "HTTP/$p /.well-known/security.txt"
	rq $proto "" /.git/config
	expect "HTTP/$p /.git/config" 404 $proto
	body_is "HTTP/$p /.git/config: the custom 404" "$www/404.html"
	rq $proto "" /.env
	expect "HTTP/$p /.env" 404 $proto
	rq $proto "" /.well-known/.hidden
	expect "HTTP/$p /.well-known/.hidden" 404 $proto
done
rq http1.1 "" /.well-known/sub/ok.txt
expect "/.well-known/sub/ok.txt" 200 http1.1
rq http1.1 "" /.well-known/sub/.x
expect "/.well-known/sub/.x (a later dot segment)" 404 http1.1
rq http1.1 "" /x/.well-known/security.txt
expect "/x/.well-known/security.txt (.well-known not first)" 404 http1.1
rq http1.1 "" /.well-known/../.env --path-as-is
case $ST in
400 | 404) pass "/.well-known/../.env is refused ($ST)" ;;
*) fail "/.well-known/../.env is refused (400 or 404)" "status '$ST'" "$(excerpt "$B")" ;;
esac
check_file_not_contains "/.well-known/../.env: no secret" "$B" "SECRET"
rq http1.1 "" /.well-known/%2e%2e/.env --path-as-is
check_file_not_contains "/.well-known/%2e%2e/.env: no secret" "$B" "SECRET"

# ================================================================ site choice by Host (no SNI: no 421 check)
while IFS='|' read -r host want; do
	rq http1.1 "" / -H "Host: $host"
	check_eq "no SNI, Host '$host': $want" "$want" "$(body)"
done <<'EOF'
example.test|example index
x.example.test|example index
EXAMPLE.TEST|example index
Www.Example.Test|example index
example.test:8443|example index
example.test.|example index
x.example.test.:443|example index
a.b.example.test|default index
xexample.test|default index
example.test.other|default index
b.test|b index
B.TEST:443|b index
b.test.|b index
unknown.test|default index
localhost|default index
EOF
rq http2 "" / -H "Host: b.test"
expect "h2 no SNI, :authority b.test" 200 http2
check_eq "h2 no SNI, :authority b.test: b.test's index" "b index" "$(body)"
rq http2 "" / -H "Host: X.Example.Test"
check_eq "h2 no SNI, :authority X.Example.Test: example.test's index" "example index" "$(body)"
rq http2 "" / -H "Host: unknown.test"
check_eq "h2 no SNI, :authority unknown.test: the default index" "default index" "$(body)"

s1 example.test 'GET / HTTP/1.0\r\n\r\n'
check_match "HTTP/1.0 without Host, SNI example.test: 200" "$(head -n 1 <<<"$S1")" '^HTTP/1\.[01] 200 '
check_eq "... the site the server name chose" "example index" "$(tail -n 1 <<<"$S1")"
s1 "" 'GET / HTTP/1.0\r\n\r\n'
check_eq "HTTP/1.0 without Host, no SNI: the default site" "default index" "$(tail -n 1 <<<"$S1")"

# ================================================================ certificates by SNI
# cert_of SERVERNAME — subject and issuer of what a handshake with that name gets ("" = none).
cert_of() {
	local -a sn=(-noservername)
	[ -n "$1" ] && sn=(-servername "$1")
	CERT=$(timeout -k 2 $((10 * SLOW)) openssl s_client -connect "127.0.0.1:$port" "${sn[@]}" \
		-CAfile "$CERTS/ca.crt" </dev/null 2>/dev/null |
		openssl x509 -noout -subject -issuer -nameopt RFC2253 2>/dev/null | tr '\n' ' ')
}
CA_ISSUER="issuer=CN=tlserve development CA,O=tlserve "
while read -r sn want; do
	cert_of "$sn"
	check_eq "SNI '$sn': the certificate $want" "subject=$want,O=tlserve $CA_ISSUER" "$CERT"
done <<'EOF'
example.test CN=example.test
x.example.test CN=example.test
EXAMPLE.test CN=example.test
b.test CN=localhost
a.b.example.test CN=localhost
unknown.test CN=localhost
EOF
cert_of ""
check_eq "no SNI: the listener's certificate" "subject=CN=localhost,O=tlserve $CA_ISSUER" "$CERT"
rq http1.1 x.example.test /
expect "curl https://x.example.test:PORT/ verifies with the test CA" 200 http1.1
check_eq "... and gets example.test's index" "example index" "$(body)"
rq http1.1 b.test /
check_eq "curl https://b.test:PORT/ without -k fails verification (the listener's certificate)" 000 "${ST:-000}"

# ================================================================ 421 Misdirected Request
while IFS='|' read -r sn host want; do
	if [ "$sn" = example.test ] || [ "$sn" = x.example.test ]; then k=(); else k=(-k); fi
	rq http1.1 "$sn" / "${k[@]}" -H "Host: $host"
	check_eq "SNI $sn, Host $host: $want" "$want" "$ST"
done <<'EOF'
example.test|b.test|421
example.test|unknown.test|421
example.test|localhost|421
example.test|x.example.test|200
x.example.test|example.test|200
example.test|EXAMPLE.TEST.|200
b.test|example.test|421
b.test|B.Test:443|200
unknown.test|example.test|421
unknown.test|b.test|421
unknown.test|other.test|200
localhost|localhost|200
EOF
rq http1.1 b.test / -k -H "Host: example.test"
expect "SNI b.test, Host example.test" 421 http1.1
check_has_line "... answered as b.test (its X-Site header)" "$H" "X-Site: b"
hsts_is "... with b.test's HSTS" "max-age=1"
rq http2 example.test /a.txt -H "Host: b.test"
expect "h2 SNI example.test, :authority b.test" 421 http2
rq http2 b.test / -k -H "Host: example.test"
expect "h2 SNI b.test, :authority example.test" 421 http2
check_has_line "... answered as b.test (x-site)" "$H" "x-site: b"
# The HTTP/1.1 connection stays open after a 421.
o=(-sS --max-time "$NET_TIMEOUT" --noproxy '*' --http1.1 --cacert "$CERTS/ca.crt" --resolve "example.test:$port:127.0.0.1"
	-o /dev/null -w '%{http_code} %{num_connects}\n')
out=$(curl "${o[@]}" -H "Host: b.test" "https://example.test:$port/" --next "${o[@]}" "https://example.test:$port/" 2>&1)
check_eq "curl --next: a 421, then a 200 on the same connection (num_connects 1, 0)" $'421 1\n200 0' "$out"
s1 example.test 'GET / HTTP/1.1\r\nHost: b.test\r\n\r\nGET / HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n'
check_eq "one s_client session: 421, then 200" "421 200" \
	"$(sed -nE 's/^HTTP\/1\.1 ([0-9]{3}) .*/\1/p' <<<"$S1" | tr '\n' ' ' | sed 's/ $//')"
check_eq "... the second response is example.test's index" "example index" "$(tail -n 1 <<<"$S1")"
check_eq "... the 421 did not say Connection: close" 1 "$(grep -ci '^connection: close' <<<"$S1")"

# ================================================================ the access log (json)
rq http1.1 "" "/?log=1" -H "Host: example.test"
rq http1.1 "" "/?log=2" -H "Host: x.example.test"
rq http1.1 "" "/?log=3" -H "Host: b.test"
rq http1.1 "" "/?log=4" -H "Host: Unknown.Test:8443"
rq http2 b.test "/?log=5" -k
rq http2 "" "/?log=6" -H "Host: Other.Test."
s1 "" 'GET /?log=7 HTTP/1.0\r\n\r\n'
s1 example.test 'GET /?log=8 HTTP/1.0\r\n\r\n'
rq http1.1 "" "/?log=9"
wait_file_match "$TMP/access.json" 'log=9' 30
out=$("$PY" - "$TMP/access.json" <<'PY' 2>&1
import json, sys
objs = []
for l in open(sys.argv[1], "rb").read().decode("utf-8").splitlines():
    objs.append(json.loads(l))
want = {1: "example.test", 2: "example.test", 3: "b.test", 4: "unknown.test", 5: "b.test",
        6: "other.test", 7: "", 8: "example.test", 9: "127.0.0.1"}
what = {1: "Host example.test", 2: "Host x.example.test: the site's first name", 3: "Host b.test",
        4: "default site, Host Unknown.Test:8443: the Host without port, lower-cased",
        5: "h2, b.test", 6: "h2, default site, :authority Other.Test.",
        7: "HTTP/1.0, no Host, no SNI: empty", 8: "HTTP/1.0, no Host, SNI example.test",
        9: "default site, Host 127.0.0.1:PORT"}
for n in sorted(want):
    lines = [o for o in objs if "?log=%d " % n in o.get("request", "")]
    got = [o.get("site") for o in lines]
    ok = len(lines) == 1 and got == [want[n]]
    print(("ok - " if ok else "not ok - ") + "access log (json): site of %s is %r" % (what[n], want[n]))
    if not ok:
        print("#   lines: %r" % lines)
print("ok - access log (json): every line has a site field" if all("site" in o for o in objs)
      else "not ok - access log (json): every line has a site field")
PY
)
while IFS= read -r l; do
	case $l in
	"ok - "*) pass "${l#ok - }" ;;
	"not ok - "*) fail "${l#not ok - }" ;;
	"#"*) printf '%s\n' "$l" ;;
	*) fail "access log (json): parsed by python3" "$l" "$(tail -n 3 "$TMP/access.json")" ;;
	esac
done <<<"$out"

# ================================================================ reload
# hup — SIGHUP, then wait (bounded) for the outcome line; HUP_LOG has the lines it added.
hup() {
	local before i
	before=$(wc -l <"$SERVER_LOG")
	kill -HUP "$SERVER_PID"
	for ((i = 0; i < 100 * SLOW; i++)); do
		tail -n +$((before + 1)) "$SERVER_LOG" | grep -qE 'configuration reloaded|reload failed|reload refused' && break
		sleep 0.1
	done
	sleep 0.3
	HUP_LOG=$(tail -n +$((before + 1)) "$SERVER_LOG")
}
write_sites "max-age=100" "$bs2" "$CERTS/server2.crt" "$CERTS/server2.key"
hup
check_contains "SIGHUP: the configuration is reloaded" "$HUP_LOG" "configuration reloaded"
for proto in http1.1 http2; do
	p=$(pv "$proto")
	rq $proto "" /a.txt
	sec_headers "HTTP/$p after the reload: the new HSTS value" "max-age=100"
	rq $proto "" /nope
	sec_headers "HTTP/$p after the reload: a 404 has the new value too" "max-age=100"
	rq $proto "" / -H "Host: b.test"
	check_eq "HTTP/$p after the reload: b.test's new root" "b2 index" "$(body)"
done
cert_of example.test
check_eq "after the reload: SNI example.test gets the site's new certificate" \
	"subject=CN=localhost,O=tlserve-2 $CA_ISSUER" "$CERT"
rq http1.1 example.test /deep/link -k
check_eq "after the reload: example.test's fallback still works" "200" "$ST"
sec_headers "after the reload: example.test inherits the new value" "max-age=100"
stop_server

# ================================================================ the access log (combined)
cconf=$TMP/combined.yaml
{
	printf 'workers: 1\n'
	printf 'log: {level: debug, error: stderr, access: %s, access_format: combined}\n' "$TMP/access.combined"
	printf 'tls: {certificate: %s, key: %s}\n' "$CERTS/server.crt" "$CERTS/server.key"
	cat <<EOF
listeners:
  - name: https
    host: 127.0.0.1
    port: 0
    mode: files
    root: $www
    sites:
      - names: [example.test, "*.example.test"]
        root: $ex
        certificate: $CERTS/example.crt
        key: $CERTS/example.key
      - names: [b.test]
        root: $bs
      - names: [long.test]
        root: $bs
        headers:
          X-Long: "$(head -c 7900 /dev/zero | tr '\0' 'L')"
EOF
} >"$cconf"
if start_server "$cconf"; then
	port=$(port_of https)
	rq http1.1 "" "/?c=1" -H "Host: b.test"
	rq http1.1 x.example.test "/?c=2"
	rq http1.1 "" "/?c=3" -H "Host: Localhost:99"
	s1 "" 'GET /?c=4 HTTP/1.0\r\n\r\n'
	rq http2 b.test "/?c=5" -k
	wait_file_match "$TMP/access.combined" 'c=5' 30
	while IFS='|' read -r n site what; do
		line=$(grep -F "?c=$n " "$TMP/access.combined")
		check_match "access log (combined): $what: the last field is \"$site\"" "$line" \
			" TLSv1\\.[23] \"-\" \"${site//./\\.}\"\$"
	done <<'EOF'
1|b.test|Host b.test
2|example.test|SNI and Host x.example.test (the site's first name)
3|localhost|the default site, Host Localhost:99
4|-|HTTP/1.0, no Host
5|b.test|h2, b.test
EOF
	# A 301's Location is built where the site's header lines cannot reach
	# it: 7.9 KB of headers used to overwrite it.
	rq http1.1 "" /dir -H "Host: long.test"
	expect "long.test (7.9 KB of headers): GET /dir" 301 http1.1
	check_eq "... Location: /dir/, whole" "/dir/" "$(hdr location)"
	check_eq "... and the long header, whole" 7900 "$(hdr x-long | tr -d '\n' | wc -c)"
	rq http2 "" /dir -H "Host: long.test"
	expect "h2 long.test: GET /dir" 301 http2
	check_eq "... location: /dir/" "/dir/" "$(hdr location)"
	# A 421 answers any method; the connection stays open unless a body came.
	s1 example.test 'DELETE / HTTP/1.1\r\nHost: b.test\r\n\r\nGET / HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n'
	check_eq "DELETE with SNI example.test, Host b.test: 421, then a 200 on the same connection" "421 200" \
		"$(sed -nE 's/^HTTP\/1\.1 ([0-9]{3}) .*/\1/p' <<<"$S1" | tr '\n' ' ' | sed 's/ $//')"
	# A server name with the DNS root's trailing dot is the name without it.
	cert_of example.test.
	check_eq "SNI 'example.test.': example.test's certificate" "subject=CN=example.test,O=tlserve $CA_ISSUER" "$CERT"
	stop_server
fi

finish
