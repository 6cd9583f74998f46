#!/usr/bin/env bash
# 06-conditional: validators and conditional GET — the strong ETag and
# Last-Modified, If-None-Match (weak comparison, lists, *), If-Modified-Since,
# If-Match and If-Unmodified-Since (412), their precedence (RFC 9110 13.2.2),
# 304 framing, and curl round trips.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

www=$TMP/www
mkdir -p "$www"
printf 'alpha\n' >"$www/a.txt"
printf 'bravo\n' >"$www/b.txt"
printf '<p>index</p>\n' >"$www/index.html"
touch -d '2024-02-29 12:34:56 UTC' "$www/a.txt"

conf=$TMP/cond.yaml
write_config "$conf" <<EOF
limits: {idle_timeout: 30s, header_timeout: 10s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
start_server "$conf" || finish
SCLIENT_TIMEOUT=$((10 * SLOW))
export SCLIENT_TIMEOUT

# ---- the validators.
hcurl https /a.txt -D "$TMP/a.head" -o "$TMP/a.out"
head_a=$(tr -d '\r' <"$TMP/a.head")
etag=$(awk -F': ' 'tolower($1) == "etag" { print $2; exit }' <<<"$head_a")
lm=$(awk -F': ' 'tolower($1) == "last-modified" { print $2; exit }' <<<"$head_a")
check_eq "Last-Modified is the file's mtime" "Thu, 29 Feb 2024 12:34:56 GMT" "$lm"
etag_prefix=$(printf '"%x-%x-%x' "$(stat -c %i "$www/a.txt")" "$(stat -c %s "$www/a.txt")" "$(stat -c %Y "$www/a.txt")")
# The mtime part may carry the nanoseconds after a dot.
check_match "ETag is strong and made of inode-size-mtime in hex" "$etag" "^${etag_prefix}(\\.[0-9a-f]+)?\"\$"
note "ETag of /a.txt: $etag"
check_eq "HEAD gives the same ETag as GET" "$etag" \
	"$(hcurl https /a.txt -I | tr -d '\r' | awk -F': ' 'tolower($1) == "etag" { print $2; exit }')"

# cond DESC WANT-STATUS HEADER-LINES [METHOD] — a conditional request for
# /a.txt followed, on the same connection, by GET /b.txt: the second
# response must begin right where the first one's framing says it ends.
cond() {
	local desc=$1 want=$2 hdrs=$3 method=${4:-GET} st rest cl
	send https "$method /a.txt HTTP/1.1"$'\r\nHost: localhost\r\n'"$hdrs"$'\r\n'"GET /b.txt HTTP/1.1"$'\r\nHost: localhost\r\nConnection: close\r\n\r\n'
	st=$(resp_status "$RESP")
	check_eq "$desc: $want" "$want" "$st"
	[ "$st" = "$want" ] || return 1
	rest=$(resp_body "$RESP" | head -c 13)
	case $want in
	304)
		if [ "$rest" = "HTTP/1.1 200 " ]; then
			pass "$desc: the 304 has no body (the next response follows its head directly)"
		else
			fail "$desc: the 304 has no body (the next response follows its head directly)" "$(excerpt "$RESP")"
		fi
		check_eq "$desc: the 304 carries the ETag" "$etag" "$(resp_header "$RESP" ETag)"
		check_eq "$desc: the 304 carries Last-Modified" "$lm" "$(resp_header "$RESP" Last-Modified)"
		check_eq "$desc: the 304 has no Content-Type (RFC 9110 15.4.5)" "" "$(resp_header "$RESP" Content-Type)"
		check_eq "$desc: the 304 has no Content-Encoding" "" "$(resp_header "$RESP" Content-Encoding)"
		cl=$(resp_header "$RESP" Content-Length)
		if [ -z "$cl" ] || [ "$cl" = 6 ]; then
			pass "$desc: the 304 announces no body of its own (Content-Length absent or the 200's)"
		else
			fail "$desc: the 304 announces no body of its own" "Content-Length: $cl"
		fi
		;;
	200)
		if [ "$method" = HEAD ]; then
			check_eq "$desc: HEAD 200 has no body" "HTTP/1.1 200 " "$rest"
		else
			check_eq "$desc: the full body" "alpha
HTTP/1.1 200 " "$(resp_body "$RESP" | head -c 19)"
		fi
		;;
	esac
	check_eq "$desc: the connection goes on to the next request" 2 "$(count_status "$RESP")"
}

# ---- If-None-Match.
cond "If-None-Match with the exact ETag" 304 "If-None-Match: $etag"$'\r\n'
cond "If-None-Match with the W/ form of the ETag (weak comparison)" 304 "If-None-Match: W/$etag"$'\r\n'
cond "If-None-Match with a list holding the ETag" 304 "If-None-Match: \"x\", $etag"$'\r\n'
cond "If-None-Match with a list, no spaces" 304 "If-None-Match: \"x\",$etag,\"y\""$'\r\n'
cond "If-None-Match: *" 304 $'If-None-Match: *\r\n'
cond "If-None-Match with a list not holding the ETag" 200 $'If-None-Match: "x", "y"\r\n'
cond "If-None-Match with an ETag of other content" 200 "If-None-Match: ${etag%\"}0\""$'\r\n'
cond "HEAD with If-None-Match matching" 304 "If-None-Match: $etag"$'\r\n' HEAD

# A list split over two field lines is one list (RFC 9110 5.3).
cond "If-None-Match with the ETag on a second If-None-Match line" 304 \
	$'If-None-Match: "x"\r\n'"If-None-Match: $etag"$'\r\n'

# ---- If-Match (strong comparison) and If-Unmodified-Since: 412 when they
# fail (RFC 9110 13.1.1, 13.1.4), evaluated first (13.2.2).
cond "If-Match with the exact ETag" 200 "If-Match: $etag"$'\r\n'
cond "If-Match with a list holding the ETag" 200 "If-Match: \"x\", $etag"$'\r\n'
cond "If-Match: * (the file exists)" 200 $'If-Match: *\r\n'
cond "If-Match with another ETag" 412 $'If-Match: "x"\r\n'
cond "If-Match with the W/ form of the ETag (strong comparison)" 412 "If-Match: W/$etag"$'\r\n'
cond "If-Match with the ETag on a second If-Match line" 200 $'If-Match: "x"\r\n'"If-Match: $etag"$'\r\n'
cond "HEAD with If-Match not matching" 412 $'If-Match: "x"\r\n' HEAD
cond "If-Match failing wins over a matching If-None-Match" 412 $'If-Match: "x"\r\n'"If-None-Match: $etag"$'\r\n'
cond "If-Match failing wins over a Range" 412 $'If-Match: "x"\r\nRange: bytes=0-1\r\n'
tu=$(stat -c %Y "$www/a.txt")
cond "If-Unmodified-Since equal to Last-Modified" 200 "If-Unmodified-Since: $lm"$'\r\n'
cond "If-Unmodified-Since a day later" 200 "If-Unmodified-Since: $(http_date_at $((tu + 86400)))"$'\r\n'
cond "If-Unmodified-Since a second earlier" 412 "If-Unmodified-Since: $(http_date_at $((tu - 1)))"$'\r\n'
cond "If-Unmodified-Since not a date (ignored)" 200 $'If-Unmodified-Since: soon\r\n'
cond "If-Match matching makes If-Unmodified-Since ignored" 200 \
	"If-Match: $etag"$'\r\n'"If-Unmodified-Since: $(http_date_at $((tu - 86400)))"$'\r\n'
send https $'GET /missing HTTP/1.1\r\nHost: localhost\r\nIf-Match: *\r\nConnection: close\r\n\r\n'
check_eq "If-Match: * on a missing file: 404 (nothing to match; the 404 comes first)" 404 "$(resp_status "$RESP")"

# ---- If-Modified-Since.
t=$(stat -c %Y "$www/a.txt")
cond "If-Modified-Since equal to Last-Modified" 304 "If-Modified-Since: $lm"$'\r\n'
cond "If-Modified-Since a day later" 304 "If-Modified-Since: $(http_date_at $((t + 86400)))"$'\r\n'
cond "If-Modified-Since a second earlier" 200 "If-Modified-Since: $(http_date_at $((t - 1)))"$'\r\n'
cond "If-Modified-Since a day earlier" 200 "If-Modified-Since: $(http_date_at $((t - 86400)))"$'\r\n'
cond "If-Modified-Since not a date" 200 $'If-Modified-Since: yesterday-ish\r\n'
cond "If-Modified-Since in the RFC 850 form, equal" 304 $'If-Modified-Since: Thursday, 29-Feb-24 12:34:56 GMT\r\n'
cond "If-Modified-Since in the asctime form, equal" 304 $'If-Modified-Since: Thu Feb 29 12:34:56 2024\r\n'

# ---- precedence: If-None-Match present means If-Modified-Since is ignored.
cond "If-None-Match not matching + If-Modified-Since that would give 304" 200 \
	$'If-None-Match: "nope"\r\n'"If-Modified-Since: $lm"$'\r\n'
cond "If-None-Match matching + If-Modified-Since earlier" 304 \
	"If-None-Match: $etag"$'\r\n'"If-Modified-Since: $(http_date_at $((t - 86400)))"$'\r\n'

# ---- round trips with curl.
hcurl https /a.txt -R -D "$TMP/rt.head" -o "$TMP/rt.out"
rt_etag=$(tr -d '\r' <"$TMP/rt.head" | awk -F': ' 'tolower($1) == "etag" { print $2; exit }')
check_status "curl: re-request with the saved ETag gets 304" 304 https /a.txt -H "If-None-Match: $rt_etag"
check_status "curl -z FILE (fetched with -R) gets 304" 304 https /a.txt -z "$TMP/rt.out"
check_status "curl --time-cond DATE (the Last-Modified) gets 304" 304 https /a.txt --time-cond "$lm"
check_status "curl --time-cond with an earlier date gets 200" 200 https /a.txt --time-cond "$(http_date_at $((t - 3600)))"
if curl --help all 2>/dev/null | grep -q -- '--etag-compare'; then
	hcurl https /a.txt --etag-save "$TMP/etag.txt" -o /dev/null
	check_status "curl --etag-save then --etag-compare gets 304" 304 https /a.txt --etag-compare "$TMP/etag.txt"
else
	fail "curl --etag-save then --etag-compare gets 304" "curl lacks --etag-compare"
fi
hcurl https / -D "$TMP/idx.head" -o /dev/null
idx_etag=$(tr -d '\r' <"$TMP/idx.head" | awk -F': ' 'tolower($1) == "etag" { print $2; exit }')
check_status "a directory's index answers If-None-Match with 304 too" 304 https / -H "If-None-Match: $idx_etag"

# ---- a changed file changes its validators.
printf 'alpha, changed\n' >"$www/a.txt"
touch -d '2024-03-01 00:00:00 UTC' "$www/a.txt"
hcurl https /a.txt -D "$TMP/a2.head" -o "$TMP/a2.out"
etag2=$(tr -d '\r' <"$TMP/a2.head" | awk -F': ' 'tolower($1) == "etag" { print $2; exit }')
check_ne "a changed file gets a new ETag" "$etag" "$etag2"
check_status "the old ETag no longer gives 304" 200 https /a.txt -H "If-None-Match: $etag"
check_status "the new ETag gives 304" 304 https /a.txt -H "If-None-Match: $etag2"
check_status "If-Modified-Since of the old date now gives 200" 200 https /a.txt -H "If-Modified-Since: $lm"

finish
