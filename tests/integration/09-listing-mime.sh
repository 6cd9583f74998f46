#!/usr/bin/env bash
# 09-listing-mime: directory indexes tried in order, HTML listings (sorted,
# directories first, sizes, names escaped and hrefs percent-encoded,
# dotfiles hidden), 403 without listing, the 301 keeping the query, and
# Content-Type — the built-in table, case-insensitive extensions and the
# configuration's mime: map.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

www=$TMP/www
mkdir -p "$www/both" "$www/onlyindex" "$www/list/alpha" "$www/list/sub2" "$www/list/.git" \
	"$www/x<y>" "$www/mime"
printf 'default.htm here\n' >"$www/both/default.htm"
printf 'index.html in both\n' >"$www/both/index.html"
printf 'only index.html\n' >"$www/onlyindex/index.html"
head -c 1234 /dev/zero >"$www/list/apple.txt"
printf 'banana\n' >"$www/list/banana.txt"
printf 'cherry\n' >"$www/list/cherry.txt"
printf 'amp\n' >"$www/list/a&b <c>.txt"
printf 'query\n' >"$www/list/q?x#y.txt"
printf 'quote\n' >"$www/list/q\"uote'.txt"
printf 'xss\n' >"$www/list/<script>alert(1)<script> x.txt"
printf 'utf8\n' >"$www/list/café ünïcode.txt"
printf 'secret\n' >"$www/list/.hidden"
printf 'git\n' >"$www/list/.git/config"
printf 'in x<y>\n' >"$www/x<y>/f.txt"
printf 'x\n' >"$www/list/alpha/in-alpha.txt"
for e in html css js json svg png wasm woff2 mp4 pdf txt md tlsx unknownext; do
	printf 'content of %s\n' "$e" >"$www/mime/t.$e"
done
printf 'upper\n' >"$www/mime/UPPER.PNG"
printf 'mixed\n' >"$www/mime/Mixed.Css"
printf 'no extension\n' >"$www/mime/README"

conf=$TMP/list.yaml
write_config "$conf" <<EOF
limits: {idle_timeout: 30s, header_timeout: 10s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www, index: [default.htm, index.html], listing: true}
  - {name: plain, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
start_server "$conf" || finish

N_LS=0
# fetch LISTENER PATH [CURL ARGS...] — sets H (head, CRs removed), B (body file), ST.
fetch() {
	local name=$1 path=$2
	shift 2
	N_LS=$((N_LS + 1))
	B=$TMP/ls.$N_LS.body
	hcurl "$name" "$path" -D "$TMP/ls.$N_LS.head" -o "$B" "$@"
	H=$(tr -d '\r' <"$TMP/ls.$N_LS.head")
	ST=$(sed -nE '1s/^HTTP\/1\.1 ([0-9]{3}).*/\1/p' <<<"$H")
}
hdr() { awk -v n="$1" -F': ' 'BEGIN { n = tolower(n) } tolower($1) == n { print $2; exit }' <<<"$H"; }

# ---- index: tried in order.
fetch https /both/
check_same_file "index [default.htm, index.html]: a directory with both serves default.htm" "$www/both/default.htm" "$B"
fetch https /onlyindex/
check_same_file "index [default.htm, index.html]: a directory with only index.html serves it" "$www/onlyindex/index.html" "$B"
fetch plain /both/
check_same_file "the default index [index.html] ignores default.htm" "$www/both/index.html" "$B"

# ---- listing: true.
fetch https /list/
check_eq "a directory without index, listing: true: 200" 200 "$ST"
check_eq "the listing is text/html; charset=utf-8" "text/html; charset=utf-8" "$(hdr Content-Type)"
check_eq "the listing's Content-Length is its size" "$(file_size "$B")" "$(hdr Content-Length)"
list=$(cat "$B")
# The hrefs in document order.
hrefs=$(grep -oE 'href="[^"]*"' "$B" | sed -E 's/^href="//; s/"$//' | grep -vxF '../' | tr '\n' ' ')
note "listing hrefs: $hrefs"
pos() { grep -oE 'href="[^"]*"' "$B" | grep -nxF "href=\"$1\"" | head -n 1 | cut -d: -f1; }
p_alpha=$(pos alpha/) p_sub2=$(pos sub2/) p_apple=$(pos apple.txt) p_banana=$(pos banana.txt) p_cherry=$(pos cherry.txt)
if [ -n "$p_alpha" ] && [ -n "$p_sub2" ] && [ -n "$p_apple" ] && [ -n "$p_banana" ] && [ -n "$p_cherry" ]; then
	pass "the listing links every directory (with a trailing /) and file"
	if [ "$p_alpha" -lt "$p_sub2" ] && [ "$p_sub2" -lt "$p_apple" ]; then
		pass "directories come first, sorted"
	else
		fail "directories come first, sorted" "order: $hrefs"
	fi
	if [ "$p_apple" -lt "$p_banana" ] && [ "$p_banana" -lt "$p_cherry" ]; then
		pass "files are sorted by name"
	else
		fail "files are sorted by name" "order: $hrefs"
	fi
else
	fail "the listing links every directory (with a trailing /) and file" "hrefs: $hrefs" "$(excerpt "$B" 1500)"
fi
check_match "a directory's name is shown with a trailing /" "$list" '>alpha/<'
check_match "a file's size is shown in its row (1234 bytes)" "$list" 'href="apple\.txt".*[^0-9.]1234[^0-9]'
check_contains "a name with & < > is HTML-escaped" "$list" 'a&amp;b &lt;c&gt;.txt'
check_not_contains "... and never raw" "$list" 'a&b <c>'
check_contains "... its href is percent-encoded" "$list" 'href="a%26b%20%3Cc%3E.txt"'
check_match "a name with ? and # has them percent-encoded in its href" "$list" 'href="q%3Fx%23y\.txt"'
check_match "a name with a double quote has it percent-encoded in its href" "$list" 'href="q%22uote(%27|'"'"')\.txt"'
check_not_contains "a <script> file name never appears raw" "$list" '<script>'
check_contains "... it is shown HTML-escaped" "$list" '&lt;script&gt;alert(1)&lt;script&gt; x.txt'
check_contains "... and its href percent-encoded" "$list" 'href="%3Cscript%3Ealert%281%29%3Cscript%3E%20x.txt"'
check_contains "a non-ASCII name is shown as UTF-8" "$list" '>café ünïcode.txt<'
check_contains "... with its href percent-encoded byte by byte" "$list" 'href="caf%C3%A9%20%C3%BCn%C3%AFcode.txt"'
fetch https "/list/caf%C3%A9%20%C3%BCn%C3%AFcode.txt"
check_same_file "... and that href leads to the file" "$www/list/café ünïcode.txt" "$B"
check_not_contains "dotfiles are not listed (.hidden)" "$list" '.hidden'
check_not_contains "dot directories are not listed (.git)" "$list" '.git'
fetch https "/list/a%26b%20%3Cc%3E.txt"
check_same_file "the percent-encoded href of 'a&b <c>.txt' leads to the file" "$www/list/a&b <c>.txt" "$B"
fetch https "/list/q%3Fx%23y.txt"
check_same_file "the percent-encoded href of 'q?x#y.txt' leads to the file" "$www/list/q?x#y.txt" "$B"
fetch https "/x%3Cy%3E/"
check_eq "a directory named x<y> is listed: 200" 200 "$ST"
check_not_contains "... and its name is escaped in the page" "$(cat "$B")" 'x<y>'
check_contains "... showing x&lt;y&gt;" "$(cat "$B")" 'x&lt;y&gt;'
SCLIENT_TIMEOUT=$((10 * SLOW)) send https $'HEAD /list/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
check_eq "HEAD of a listing: 200" 200 "$(resp_status "$RESP")"
check_eq "HEAD of a listing: text/html" "text/html; charset=utf-8" "$(resp_header "$RESP" Content-Type)"
check_eq "HEAD of a listing: no body" 0 "$(resp_body "$RESP" | wc -c)"

# ---- a listing is capped (10000 entries) and streamed; a cut one says so.
mkdir -p "$www/many"
(cd "$www/many" && seq -f 'n%05g&<x>.txt' 1 10050 | xargs touch)
fetch https /many/
check_eq "a directory of 10050 entries: 200" 200 "$ST"
check_eq "... its Content-Length is the size of the page sent" "$(file_size "$B")" "$(hdr Content-Length)"
check_eq "... exactly 10000 entries are listed" 10000 "$(grep -c '<tr><td><a href="n' "$B")"
check_contains "... and the page says the listing was cut" "$(cat "$B")" 'listing truncated after 10000 entries'
check_eq "... the names are HTML-escaped in every row" 10000 "$(grep -c '>n[0-9]*&amp;&lt;x&gt;\.txt<' "$B")"
check_contains "... and the page is complete" "$(tail -c 100 "$B")" '</html>'
check_not_contains "a short listing says nothing about a cut" "$list" 'truncated'

# ---- listing: false (the default) is 403; dotfiles stay 404 either way.
check_status "a directory without index, listing: false (default): 403" 403 plain /list/
check_status "a dotfile is 404 even where listing is on" 404 https /list/.hidden
check_status "a dot directory is 404 even where listing is on" 404 https /list/.git/

# ---- the 301 keeps the query.
fetch https "/list?x=1"
check_eq "a directory without its slash: 301" 301 "$ST"
check_match "... Location keeps the query string" "$(hdr Location)" '^([a-z]+://[^/]+)?/list/\?x=1$'
fetch https "/list/alpha?a=1&b=2"
check_match "a nested directory's 301 keeps a two-parameter query" "$(hdr Location)" '^([a-z]+://[^/]+)?/list/alpha/\?a=1&b=2$'
fetch https "/onlyindex"
check_match "a 301 without a query has none" "$(hdr Location)" '^([a-z]+://[^/]+)?/onlyindex/$'

# ---- built-in Content-Types.
ctype() { hcurl "${2:-https}" "$1" -o /dev/null -w '%{content_type}'; }
while read -r ext want; do
	check_eq "Content-Type of .$ext" "$want" "$(ctype "/mime/t.$ext")"
done <<'EOF'
html text/html; charset=utf-8
css text/css; charset=utf-8
js text/javascript; charset=utf-8
json application/json; charset=utf-8
svg image/svg+xml; charset=utf-8
png image/png
wasm application/wasm
woff2 font/woff2
mp4 video/mp4
pdf application/pdf
txt text/plain; charset=utf-8
unknownext application/octet-stream
EOF
check_eq "the extension is case-insensitive (UPPER.PNG)" "image/png" "$(ctype /mime/UPPER.PNG)"
check_eq "the extension is case-insensitive (Mixed.Css)" "text/css; charset=utf-8" "$(ctype /mime/Mixed.Css)"
check_eq "a name without extension is application/octet-stream" "application/octet-stream" "$(ctype /mime/README)"
stop_server

# ---- the mime: map overrides and adds.
conf2=$TMP/mime.yaml
write_config "$conf2" <<EOF
limits: {idle_timeout: 30s, header_timeout: 10s}
mime: {md: "text/x-md-test; charset=utf-8", png: image/x-test, tlsx: application/x-tlserve-test}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
start_server "$conf2" || finish
check_eq "mime: overrides a built-in type (png)" "image/x-test" "$(ctype /mime/t.png)"
check_eq "mime: overrides a built-in text type (md)" "text/x-md-test; charset=utf-8" "$(ctype /mime/t.md)"
check_eq "mime: adds a type (tlsx)" "application/x-tlserve-test" "$(ctype /mime/t.tlsx)"
check_eq "mime: an override applies case-insensitively (UPPER.PNG)" "image/x-test" "$(ctype /mime/UPPER.PNG)"
check_eq "mime: other built-in types stay (css)" "text/css; charset=utf-8" "$(ctype /mime/t.css)"
check_eq "mime: unknown stays application/octet-stream" "application/octet-stream" "$(ctype /mime/t.unknownext)"

finish
