#!/usr/bin/env bash
# 07-ranges: byte ranges — a-b, a-, -n, clipping, 416, invalid headers
# ignored, merged and disjoint lists, HEAD, If-Range, and resuming a large
# download with curl -C -.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

www=$TMP/www
mkdir -p "$www"
SIZE=10000
random_file "$www/r.bin" "$SIZE"
printf 'bravo\n' >"$www/b.txt"
: >"$www/empty.txt"
BIG=$((5 * 1024 * 1024 + 12345))
random_file "$www/big.bin" "$BIG"
touch -d '2024-02-29 12:34:56 UTC' "$www/r.bin"
# A Last-Modified on a Wednesday: its HTTP date starts with "W", like a weak tag.
random_file "$www/wed.bin" "$SIZE"
touch -d '2024-02-28 09:08:07 UTC' "$www/wed.bin"

conf=$TMP/ranges.yaml
write_config "$conf" <<EOF
limits: {idle_timeout: 30s, header_timeout: 10s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
start_server "$conf" || finish
SCLIENT_TIMEOUT=$((10 * SLOW))
export SCLIENT_TIMEOUT

# slice FILE FIRST LAST — bytes FIRST..LAST (inclusive) of FILE.
slice() { tail -c +$(($2 + 1)) "$1" | head -c $(($3 - $2 + 1)); }

N_RG=0
# fetch PATH [CURL ARGS...] — GET with curl; sets H (head, CRs removed), B (body file), ST (status).
fetch() {
	local path=$1
	shift
	N_RG=$((N_RG + 1))
	B=$TMP/rg.$N_RG.body
	hcurl https "$path" -D "$TMP/rg.$N_RG.head" -o "$B" "$@"
	H=$(tr -d '\r' <"$TMP/rg.$N_RG.head")
	ST=$(sed -nE '1s/^HTTP\/1\.1 ([0-9]{3}).*/\1/p' <<<"$H")
}
hdr() { awk -v n="$1" -F': ' 'BEGIN { n = tolower(n) } tolower($1) == n { print $2; exit }' <<<"$H"; }

# partial DESC RANGE-HEADER FIRST LAST [FILE SIZE [CURL ARGS...]] — expect 206 with bytes FIRST..LAST.
partial() {
	local desc=$1 range=$2 first=$3 last=$4 file=${5:-r.bin} size=${6:-$SIZE}
	shift 4
	[ $# -gt 0 ] && shift
	[ $# -gt 0 ] && shift
	fetch "/$file" -H "Range: $range" "$@"
	check_eq "$desc ($range): 206" 206 "$ST"
	check_eq "$desc: Content-Range" "bytes $first-$last/$size" "$(hdr Content-Range)"
	check_eq "$desc: Content-Length" $((last - first + 1)) "$(hdr Content-Length)"
	slice "$www/$file" "$first" "$last" >"$TMP/rg.want"
	check_same_file "$desc: the body is bytes $first-$last of the file" "$TMP/rg.want" "$B"
}

# full DESC RANGE-HEADER [CURL ARGS] — expect the whole file as 200.
full() {
	local desc=$1 range=$2
	shift 2
	fetch /r.bin -H "Range: $range" "$@"
	check_eq "$desc ($range): 200" 200 "$ST"
	check_eq "$desc: no Content-Range" "" "$(hdr Content-Range)"
	check_eq "$desc: Content-Length of the whole file" "$SIZE" "$(hdr Content-Length)"
	check_same_file "$desc: the whole file" "$www/r.bin" "$B"
}

# unsatisfiable DESC RANGE-HEADER [FILE [SIZE]] — expect 416 with bytes */SIZE.
unsatisfiable() {
	local desc=$1 range=$2 file=${3:-r.bin} size=${4:-$SIZE}
	fetch "/$file" -H "Range: $range"
	check_eq "$desc ($range): 416" 416 "$ST"
	check_eq "$desc: Content-Range bytes */SIZE" "bytes */$size" "$(hdr Content-Range)"
}

# ---- single ranges.
partial "first 100 bytes" "bytes=0-99" 0 99
partial "a range in the middle" "bytes=1234-5678" 1234 5678
partial "one byte at the start" "bytes=0-0" 0 0
partial "the last byte" "bytes=9999-9999" 9999 9999
partial "an open range a-" "bytes=9990-" 9990 9999
partial "a suffix range -n" "bytes=-10" 9990 9999
partial "a range whose end is past the end is clipped" "bytes=9000-20000" 9000 9999
partial "a suffix longer than the file is the whole file" "bytes=-20000" 0 9999
partial "the range unit is case-insensitive" "Bytes=10-19" 10 19
partial "spaces around the range" "bytes= 10-19 " 10 19

# ---- unsatisfiable.
unsatisfiable "a start at the size" "bytes=10000-"
unsatisfiable "a start past the end" "bytes=20000-20010"
unsatisfiable "a zero-length suffix" "bytes=-0"
unsatisfiable "any range of an empty file" "bytes=0-" empty.txt 0
send https $'GET /r.bin HTTP/1.1\r\nHost: localhost\r\nRange: bytes=20000-\r\n\r\nGET /b.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
# Whether a 416 ends the connection is the server's choice; either way it must be framed right.
n416=$(count_status "$RESP")
if { [ "$n416" = 2 ] && grep -aq '^bravo' "$RESP"; } ||
	{ [ "$n416" = 1 ] && [ "$(resp_header "$RESP" Connection)" = close ] && [ "$RESP_RC" != 124 ]; }; then
	pass "a 416 is framed right: the next request is answered, or the connection is closed (Connection: close)"
else
	fail "a 416 is framed right: the next request is answered, or the connection is closed (Connection: close)" \
		"$(excerpt "$RESP")"
fi

# ---- invalid Range headers are ignored.
full "a reversed range" "bytes=5-2"
full "a non-numeric range" "bytes=abc"
full "another unit" "items=0-1"
full "no dash" "bytes=5"
full "an empty range set" "bytes="
full "a negative start" "bytes=-5-10"

# ---- lists.
partial "two touching ranges merge" "bytes=0-9,10-19" 0 19
partial "two overlapping ranges merge" "bytes=0-50, 20-30" 0 50
partial "overlapping ranges out of order merge" "bytes=100-199,50-150" 50 199
partial "a suffix overlapping an open range merges" "bytes=9000-,-500" 9000 9999
full "two disjoint ranges: the whole file (no multipart)" "bytes=0-9,100-109"
partial "an unsatisfiable element is dropped from a list" "bytes=0-9,20000-20010" 0 9

# ---- HEAD ignores Range.
hcurl https /r.bin -I -H "Range: bytes=0-9" >"$TMP/head.out"
H=$(tr -d '\r' <"$TMP/head.out")
check_match "HEAD with Range: 200" "$H" '^HTTP/1\.1 200'
check_eq "HEAD with Range: Content-Length of the whole file" "$SIZE" "$(hdr Content-Length)"
check_eq "HEAD with Range: no Content-Range" "" "$(hdr Content-Range)"
check_eq "responses advertise Accept-Ranges: bytes" bytes "$(hdr Accept-Ranges)"

# ---- framing: a 206 followed by another request on the same connection.
send https $'GET /r.bin HTTP/1.1\r\nHost: localhost\r\nRange: bytes=100-109\r\n\r\nGET /b.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
check_eq "206 then another request: two responses" 2 "$(LC_ALL=C grep -aoE 'HTTP/1\.1 [0-9]{3} ' "$RESP" | wc -l)"
body1=$(resp_body "$RESP" | head -c 10 | od -An -tx1 | tr -d ' \n')
check_eq "... the first carries exactly the 10 bytes" "$(slice "$www/r.bin" 100 109 | od -An -tx1 | tr -d ' \n')" "$body1"
check_eq "... and the second follows them directly" "HTTP/1.1 200 " "$(resp_body "$RESP" | tail -c +11 | head -c 13)"

# ---- If-Range.
fetch /r.bin
etag=$(hdr ETag)
lm=$(hdr Last-Modified)
partial "If-Range with the current ETag" "bytes=0-99" 0 99 r.bin "$SIZE" -H "If-Range: $etag"
full "If-Range with another ETag" "bytes=0-99" -H 'If-Range: "0-0-0"'
full "If-Range with the weak form of the ETag (strong comparison)" "bytes=0-99" -H "If-Range: W/$etag"
partial "If-Range with the exact Last-Modified" "bytes=0-99" 0 99 r.bin "$SIZE" -H "If-Range: $lm"
t=$(stat -c %Y "$www/r.bin")
full "If-Range with an earlier date" "bytes=0-99" -H "If-Range: $(http_date_at $((t - 1)))"
full "If-Range with a later date" "bytes=0-99" -H "If-Range: $(http_date_at $((t + 60)))"
fetch /wed.bin
check_eq "a file last modified on a Wednesday: Last-Modified says Wed" "Wed, 28 Feb 2024 09:08:07 GMT" "$(hdr Last-Modified)"
partial "If-Range with a Wednesday Last-Modified" "bytes=0-99" 0 99 wed.bin "$SIZE" -H "If-Range: Wed, 28 Feb 2024 09:08:07 GMT"
fetch /wed.bin -H "Range: bytes=0-99" -H "If-Range: Wed, 28 Feb 2024 09:08:08 GMT"
check_eq "If-Range with a Wednesday date one second off: 200" 200 "$ST"
full "If-Range with a W/ tag (a tag, never a date)" "bytes=0-99" -H 'If-Range: W/"Wed"'
old_etag=$etag
cp "$www/r.bin" "$TMP/r.old"
random_file "$www/r.bin" "$SIZE"
full "If-Range with the ETag from before the file changed" "bytes=0-99" -H "If-Range: $old_etag"

# ---- large files: a range deep inside, and resuming with curl -C -.
partial "a range deep in a 5 MiB file" "bytes=3000000-3200000" 3000000 3200000 big.bin "$BIG"
partial "the tail of a 5 MiB file" "bytes=-70000" $((BIG - 70000)) $((BIG - 1)) big.bin "$BIG"
cp "$www/big.bin" "$TMP/big.copy"
truncate -s $((BIG / 2)) "$TMP/big.copy"
code=$(hcurl https /big.bin -C - -o "$TMP/big.copy" -w '%{http_code}')
check_eq "curl -C - resumes a half download with 206" 206 "$code"
check_same_file "the resumed 5 MiB download is byte-exact (sha256)" "$www/big.bin" "$TMP/big.copy"
# Resuming at an odd offset, in a fresh copy, through -C OFFSET.
head -c 777777 "$www/big.bin" >"$TMP/big.copy2"
code=$(hcurl https /big.bin -C 777777 -o "$TMP/big.tail" -w '%{http_code}')
check_eq "curl -C OFFSET gets 206" 206 "$code"
cat "$TMP/big.tail" >>"$TMP/big.copy2"
check_same_file "curl -C OFFSET appended to a partial copy is byte-exact" "$www/big.bin" "$TMP/big.copy2"

finish
