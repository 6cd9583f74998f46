#!/usr/bin/env bash
# 04-traversal: nothing outside root is ever served, however the path is
# encoded and wherever symlinks inside root point; dotfiles are 404.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

marker="TOPSECRET-$RANDOM$RANDOM$RANDOM"
www=$TMP/www
mkdir -p "$www/a/b" "$www/sub" "$TMP/outside"
printf 'public\n' >"$www/ok.txt"
printf 'deep\n' >"$www/a/b/deep.txt"
printf '%s secret\n' "$marker" >"$TMP/secret.txt"
printf '%s outside\n' "$marker" >"$TMP/outside/secret.txt"
printf '%s dotenv\n' "$marker" >"$www/.env"
printf '%s hidden\n' "$marker" >"$www/sub/.hidden"
mkdir -p "$www/.git"
printf '%s git\n' "$marker" >"$www/.git/config"
ln -s "$TMP/secret.txt" "$www/link-to-secret"
ln -s ../secret.txt "$www/rel-link"
ln -s "$TMP/outside" "$www/linkdir"
ln -s / "$www/rootlink"

conf=$TMP/trav.yaml
write_config "$conf" <<EOF
limits: {idle_timeout: 10s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
start_server "$conf" || finish

# Controls: the server serves what it should, so the refusals below mean something.
check_status "control: a file inside root is served" 200 https /ok.txt
check_status "control: a nested file is served" 200 https /a/b/deep.txt
check_status "control: .. that stays inside root is fine" 200 https /a/b/../../ok.txt --path-as-is

SCLIENT_TIMEOUT=$((10 * SLOW))
all=$TMP/all-responses
: >"$all"

# attack DESC TARGET — a raw GET of TARGET; 400, 403 or 404, never the marker.
attack() {
	local desc=$1 target=$2 st
	send https "GET $target HTTP/1.1"$'\r\nHost: localhost\r\nConnection: close\r\n\r\n'
	cat "$RESP" >>"$all"
	st=$(resp_status "$RESP")
	case $st in
	400 | 403 | 404) pass "$desc ($target) is refused with $st" ;;
	*) fail "$desc ($target) is refused with 400, 403 or 404" "got status '${st:-none}'" "$(excerpt "$RESP" 300)" ;;
	esac
	check_file_not_contains "$desc: the response does not contain the secret" "$RESP" "$marker"
}

attack "plain dot-dot" '/../secret.txt'
attack "dot-dot twice" '/../../secret.txt'
attack "dot-dot after a directory" '/a/../../secret.txt'
attack "encoded dots" '/%2e%2e/secret.txt'
attack "upper-case encoded dots and slash" '/%2E%2E%2Fsecret.txt'
attack "dots with an encoded slash" '/..%2fsecret.txt'
attack "double-encoded dots" '/%252e%252e/secret.txt'
attack "backslashes" '/a/..\..\secret.txt'
attack "encoded backslash" '/..%5csecret.txt'
attack "overlong UTF-8 dots" '/%c0%ae%c0%ae/secret.txt'
attack "overlong UTF-8 slash" '/..%c0%afsecret.txt'
attack "a symlink to a file outside root" '/link-to-secret'
attack "a relative symlink to a file outside root" '/rel-link'
attack "a symlinked directory pointing outside root" '/linkdir/secret.txt'
attack "a symlink to /" '/rootlink/etc/passwd'
attack "a dotfile" '/.env'
attack "a dotfile in a subdirectory" '/sub/.hidden'
attack "a dot-directory" '/.git/config'
attack "an encoded dotfile" '/%2eenv'
attack "absolute-form with dot-dot" 'http://localhost/../secret.txt'
attack "an encoded NUL" '/ok.txt%00.html'
attack "an invalid escape" '/ok%zz.txt'
attack "a truncated escape" '/ok.txt%2'
attack "no leading slash" '../secret.txt'
attack "dot-dot through the symlinked directory" '/linkdir/../secret.txt'

# Stricter statuses the contract names.
send https $'GET /.env HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
check_eq "a dotfile is 404" 404 "$(resp_status "$RESP")"
send https $'GET /sub/.hidden HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
check_eq "a dotfile in a subdirectory is 404" 404 "$(resp_status "$RESP")"
send https $'GET /ok.txt%00.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
check_eq "an encoded NUL is 400" 400 "$(resp_status "$RESP")"
send https $'GET /ok%zz.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
check_eq "an invalid escape is 400" 400 "$(resp_status "$RESP")"

# The same through curl (--path-as-is keeps the dot segments).
for p in '/../secret.txt' '/%2e%2e/secret.txt' '/link-to-secret' '/linkdir/secret.txt' '/.env'; do
	body=$(hcurl https "$p" --path-as-is 2>/dev/null)
	check_not_contains "curl $p does not get the secret" "$body" "$marker"
done

check_file_not_contains "no response at all contained the secret" "$all" "$marker"
check_status "the server still serves afterwards" 200 https /ok.txt

finish
