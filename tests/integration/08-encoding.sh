#!/usr/bin/env bash
# 08-encoding: precompressed sidecars — FILE.gz / FILE.br chosen by
# Accept-Encoding (q-values, *, identity), Content-Encoding and Vary, the
# original Content-Type, stale sidecars ignored, ranges and ETags of the
# encoded representation, and curl --compressed.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

www=$TMP/www
mkdir -p "$www/dir"
for ((i = 0; i < 200; i++)); do printf '.rule-%d { color: #%06x; margin: %dpx }\n' "$i" $((i * 4099)) "$i"; done >"$www/style.css"
gzip -9 -n -c "$www/style.css" >"$www/style.css.gz"
# No brotli encoder is needed: the server sends the sidecar's bytes as they are.
{ printf 'BR-SIDECAR\0'; head -c 300 /dev/urandom; } >"$www/style.css.br"
for ((i = 0; i < 100; i++)); do printf '<p>paragraph %d of the page</p>\n' "$i"; done >"$www/page.html"
gzip -9 -n -c "$www/page.html" >"$www/page.html.gz"
printf 'fresh content\n' >"$www/stale.txt"
printf 'STALE GZIP BYTES' >"$www/stale.txt.gz"
touch -d '1 hour ago' "$www/stale.txt.gz"
printf 'var x = 1;\n' >"$www/app.js"
gzip -n -c "$www/app.js" >"$www/app.js.gz"
touch -d '2024-02-29 12:34:56 UTC' "$www/app.js" "$www/app.js.gz"   # same mtime: not older
printf '<p>dir index</p>\n' >"$www/dir/index.html"
gzip -n -c "$www/dir/index.html" >"$www/dir/index.html.gz"

conf=$TMP/enc.yaml
write_config "$conf" <<EOF
limits: {idle_timeout: 30s, header_timeout: 10s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
start_server "$conf" || finish

N_EN=0
# fetch PATH [CURL ARGS...] — sets H (head, CRs removed), B (body file), ST.
fetch() {
	local path=$1
	shift
	N_EN=$((N_EN + 1))
	B=$TMP/en.$N_EN.body
	hcurl https "$path" -D "$TMP/en.$N_EN.head" -o "$B" "$@"
	H=$(tr -d '\r' <"$TMP/en.$N_EN.head")
	ST=$(sed -nE '1s/^HTTP\/1\.1 ([0-9]{3}).*/\1/p' <<<"$H")
}
hdr() { awk -v n="$1" -F': ' 'BEGIN { n = tolower(n) } tolower($1) == n { print $2; exit }' <<<"$H"; }

# encoded DESC PATH ACCEPT-ENCODING CODING SIDECAR CONTENT-TYPE [CURL ARGS...]
encoded() {
	local desc=$1 path=$2 ae=$3 coding=$4 side=$5 ct=$6
	shift 6
	fetch "$path" -H "Accept-Encoding: $ae" "$@"
	check_eq "$desc ($ae): 200" 200 "$ST"
	check_eq "$desc: Content-Encoding: $coding" "$coding" "$(hdr Content-Encoding)"
	check_eq "$desc: Vary: Accept-Encoding" "Accept-Encoding" "$(hdr Vary)"
	check_eq "$desc: the Content-Type of the original" "$ct" "$(hdr Content-Type)"
	check_eq "$desc: Content-Length of the sidecar" "$(file_size "$www/$side")" "$(hdr Content-Length)"
	check_same_file "$desc: the sidecar's bytes" "$www/$side" "$B"
}

# identity DESC PATH ACCEPT-ENCODING|- ORIGINAL
identity() {
	local desc=$1 path=$2 ae=$3 orig=$4
	if [ "$ae" = - ]; then
		fetch "$path"
	else
		fetch "$path" -H "Accept-Encoding: $ae"
	fi
	check_eq "$desc: 200" 200 "$ST"
	check_eq "$desc: no Content-Encoding" "" "$(hdr Content-Encoding)"
	check_same_file "$desc: the original bytes" "$www/$orig" "$B"
}

css="text/css; charset=utf-8"
encoded "gzip accepted" /style.css "gzip" gzip style.css.gz "$css"
encoded "br accepted" /style.css "br" br style.css.br "$css"
encoded "br and gzip accepted" /style.css "br, gzip" br style.css.br "$css"
encoded "gzip ranked above br" /style.css "gzip;q=1, br;q=0.5" gzip style.css.gz "$css"
encoded "gzip ranked above br, spaces around ;" /style.css "br ; q=0.2, gzip ; q=0.9" gzip style.css.gz "$css"
encoded "br refused, gzip accepted" /style.css "br;q=0, gzip" gzip style.css.gz "$css"
encoded "coding names are case-insensitive" /style.css "GZIP" gzip style.css.gz "$css"
encoded "x-gzip counts as gzip" /style.css "x-gzip" gzip style.css.gz "$css"
fetch /style.css -H "Accept-Encoding: *"
case $(hdr Content-Encoding) in
br) check_same_file "* accepts the codings: br, the .br bytes" "$www/style.css.br" "$B" ;;
gzip) check_same_file "* accepts the codings: gzip, the .gz bytes" "$www/style.css.gz" "$B" ;;
*) fail "* accepts the codings (br or gzip)" "Content-Encoding: $(hdr Content-Encoding)" ;;
esac
encoded "a sidecar with the same mtime as the file is used" /app.js "gzip" gzip app.js.gz "text/javascript; charset=utf-8"
encoded "a directory index has its sidecar too" /dir/ "gzip" gzip dir/index.html.gz "text/html; charset=utf-8"
encoded "only .gz exists: br, gzip gets gzip" /page.html "br, gzip" gzip page.html.gz "text/html; charset=utf-8"

identity "gzip;q=0 is identity" /style.css "gzip;q=0" style.css
identity "gzip;q=0, br;q=0 is identity" /style.css "gzip;q=0, br;q=0" style.css
identity "*;q=0, identity is identity" /style.css "*;q=0, identity" style.css
identity "identity alone" /style.css "identity" style.css
identity "no Accept-Encoding is identity" /style.css - style.css
# A cache must not hand this identity response to a gzip client: Vary
# (RFC 9110 12.5.5) on every response of a file that has a sidecar.
check_eq "... the identity response of a file with sidecars says Vary: Accept-Encoding" Accept-Encoding "$(hdr Vary)"
identity "gzip;q=0 is identity (again)" /style.css "gzip;q=0" style.css
check_eq "... with Vary: Accept-Encoding" Accept-Encoding "$(hdr Vary)"
identity "an unknown coding is identity" /style.css "compress, zstd" style.css
identity "only .gz exists: br alone is identity" /page.html "br" page.html
check_eq "... with Vary: Accept-Encoding (the .gz exists)" Accept-Encoding "$(hdr Vary)"
identity "a stale sidecar (older than the file) is ignored" /stale.txt "gzip" stale.txt
identity "no sidecar: gzip accepted is identity" /page.html.gz "gzip" page.html.gz
check_eq "... and no Vary (nothing to choose from)" "" "$(hdr Vary)"

# ---- Accept-Encoding split over two lines is one list (RFC 9110 5.3).
encoded "Accept-Encoding over two lines: br;q=0, then gzip" /style.css "br;q=0" gzip style.css.gz "$css" -H "Accept-Encoding: gzip"
send https $'GET /style.css HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: identity\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n'
check_eq "Accept-Encoding: identity, then a second line with gzip: gzip" gzip "$(resp_header "$RESP" Content-Encoding)"

# ---- HEAD of the encoded representation.
hcurl https /style.css -I -H "Accept-Encoding: gzip" >"$TMP/head.out"
H=$(tr -d '\r' <"$TMP/head.out")
check_eq "HEAD with gzip accepted: Content-Encoding gzip" gzip "$(hdr Content-Encoding)"
check_eq "HEAD with gzip accepted: Content-Length of the .gz" "$(file_size "$www/style.css.gz")" "$(hdr Content-Length)"

# ---- ranges apply to the encoded representation.
fetch /style.css -H "Accept-Encoding: gzip" -H "Range: bytes=0-9"
gzsize=$(file_size "$www/style.css.gz")
check_eq "Range with gzip accepted: 206" 206 "$ST"
check_eq "... Content-Encoding gzip" gzip "$(hdr Content-Encoding)"
check_eq "... Content-Range of the .gz" "bytes 0-9/$gzsize" "$(hdr Content-Range)"
head -c 10 "$www/style.css.gz" >"$TMP/gz10"
check_same_file "... the first 10 bytes of the .gz" "$TMP/gz10" "$B"
fetch /style.css -H "Accept-Encoding: gzip" -H "Range: bytes=-5"
tail -c 5 "$www/style.css.gz" >"$TMP/gz5"
check_same_file "a suffix range with gzip accepted: the last 5 bytes of the .gz" "$TMP/gz5" "$B"

# ---- ETags differ between representations; each validates its own.
fetch /style.css
etag_id=$(hdr ETag)
fetch /style.css -H "Accept-Encoding: gzip"
etag_gz=$(hdr ETag)
fetch /style.css -H "Accept-Encoding: br"
etag_br=$(hdr ETag)
check_ne "the gzip representation's ETag differs from the identity one" "$etag_id" "$etag_gz"
check_ne "the br representation's ETag differs from the gzip one" "$etag_gz" "$etag_br"
check_status "If-None-Match with the gzip ETag, gzip accepted: 304" 304 https /style.css \
	-H "Accept-Encoding: gzip" -H "If-None-Match: $etag_gz"
check_status "If-None-Match with the gzip ETag, identity asked: 200" 200 https /style.css \
	-H "If-None-Match: $etag_gz"
fetch /style.css -H "Accept-Encoding: gzip" -H "If-None-Match: $etag_gz"
check_eq "the 304 of the gzip representation: 304" 304 "$ST"
check_eq "... no Content-Encoding (RFC 9110 15.4.5: no representation metadata)" "" "$(hdr Content-Encoding)"
check_eq "... no Content-Type" "" "$(hdr Content-Type)"
check_eq "... and Vary: Accept-Encoding" Accept-Encoding "$(hdr Vary)"
fetch /style.css -H "If-None-Match: $etag_id"
check_eq "the 304 of the identity representation of a file with sidecars: 304" 304 "$ST"
check_eq "... says Vary: Accept-Encoding" Accept-Encoding "$(hdr Vary)"

# ---- curl --compressed decodes to the original.
fetch /page.html --compressed
check_eq "curl --compressed: the server sent gzip" gzip "$(hdr Content-Encoding)"
check_same_file "curl --compressed yields the original content" "$www/page.html" "$B"
fetch /dir/ --compressed
check_same_file "curl --compressed on a directory index yields the original" "$www/dir/index.html" "$B"
hcurl https /style.css -H "Accept-Encoding: gzip" | gzip -dc >"$TMP/style.dec" 2>/dev/null
check_same_file "the .gz served decompresses to the original" "$www/style.css" "$TMP/style.dec"

finish
