#!/usr/bin/env bash
# 23-sandbox: files are served, and kept beneath root, when openat2(2) is
# refused the way a sandbox refuses it. systemd's RestrictSUIDSGID= (in the
# shipped unit) makes openat2 fail with EPERM; a kernel or filter that does
# not know the call gives ENOSYS. Either way the server falls back to its
# component walk and says at start-up, per files listener, which one serves.
#
# tests/tools/nosys (a seccomp filter, `make unit-bins` builds it) stands in
# for the sandbox: it goes before the server and before $TLSERVE_WRAPPER
# (nosys -- valgrind ... tlserve), so the filter covers the wrapper too. What
# openat2 does in each setting is probed first (`nosys --probe`, under the
# same prefix and wrapper), and the server's start-up line must match it:
# valgrind (3.19) answers ENOSYS itself for openat2, so under `make valgrind`
# every case is the ENOSYS one.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

NOSYS=${NOSYS:-$REPO/build/tools/nosys}
case $NOSYS in /*) ;; *) NOSYS=$REPO/${NOSYS#./} ;; esac
require_exec "$NOSYS" "make unit-bins builds it" || finish
require_cmd curl || finish

marker="OUTSIDE-$RANDOM$RANDOM"
www=$TMP/www
mkdir -p "$www/sub" "$TMP/outside"
random_file "$www/blob.bin" 70000
printf 'nested\n' >"$www/sub/page.txt"
printf '%s\n' "$marker" >"$TMP/outside/secret.txt"
ln -s "$TMP/outside/secret.txt" "$www/escape"
ln -s ../outside "$www/escapedir"

conf=$TMP/sandbox.yaml
write_config "$conf" <<EOF
limits: {idle_timeout: 10s}
listeners:
  - {name: site, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF

OPENAT2_LINE='site: paths resolved beneath root with openat2'
WALK_LINE='site: paths resolved beneath root with a component walk'

# serves WHY — what every mode must do: the bytes of a file, a nested file,
# and no way out of root through a symlink.
serves() {
	local why=$1 st
	hcurl site /blob.bin -o "$TMP/got.bin" 2>/dev/null
	check_same_file "$why: a file is served with its bytes" "$www/blob.bin" "$TMP/got.bin"
	check_status "$why: a nested file is 200" 200 site /sub/page.txt
	for p in /escape /escapedir/secret.txt; do
		st=$(hcurl site "$p" -o "$TMP/esc.out" -w '%{http_code}' 2>/dev/null)
		case $st in
		403 | 404) pass "$why: the symlink out of root ($p) is refused with $st" ;;
		*) fail "$why: the symlink out of root ($p) is refused with 403 or 404" "got status '${st:-none}'" ;;
		esac
		check_file_not_contains "$why: ... and nothing from outside comes back" "$TMP/esc.out" "$marker"
	done
}

# mode_line — the start-up line saying how paths are resolved (waits for it).
mode_line() {
	wait_log 'site: paths resolved beneath root with' 1 30
	grep -aE 'site: paths resolved beneath root with' "$SERVER_LOG" | head -n 1
}

# probe — what openat2 gives a process started as the server is: "ok" or a
# strerror text (valgrind's own warnings go to stderr).
probe() {
	# shellcheck disable=SC2086 # prefix and wrapper are command lines on purpose
	timeout -k 5 $((30 * SLOW)) $TLSERVE_PREFIX $TLSERVE_WRAPPER "$NOSYS" --probe 2>/dev/null
}

# check_mode WHY PROBED — the start-up line is the one for what the probe saw.
check_mode() {
	case $2 in
	ok) check_match "$1: openat2 works here, and the log says openat2 serves" "$(mode_line)" "$OPENAT2_LINE\$" ;;
	'') fail "$1: nosys --probe printed nothing" ;;
	*) check_match "$1: openat2 fails here ($2), and the log says the component walk serves, and why" \
		"$(mode_line)" "$WALK_LINE \\(openat2: $2\\)\$" ;;
	esac
}

# ---- no sandbox: openat2 where the kernel has it (Linux 5.6).
probed=$(probe)
start_server "$conf" || finish
check_mode "no sandbox" "$probed"
serves "no sandbox"
stop_server

# ---- openat2 refused with EPERM, then ENOSYS.
for err in EPERM ENOSYS; do
	case $err in
	EPERM) why="Operation not permitted" ;;
	ENOSYS) why="Function not implemented" ;;
	esac
	TLSERVE_PREFIX="$NOSYS $err --"
	probed=$(probe)
	# The filter works: openat2 fails with the errno asked for (or ENOSYS
	# from a wrapper that does not know openat2).
	if [ "$probed" = "$why" ] ||
		{ [ -n "$TLSERVE_WRAPPER" ] && [ "$probed" = "Function not implemented" ]; }; then
		pass "$err: nosys makes openat2 fail ($probed)"
	else
		fail "$err: nosys makes openat2 fail with $why" "nosys --probe printed: '${probed}'"
	fi
	start_server "$conf" || continue
	# The filter is on the server process itself (nosys execs through).
	check_match "$err: the server runs under a seccomp filter" \
		"$(grep -E '^Seccomp:' "/proc/$SERVER_PID/status" 2>/dev/null)" '^Seccomp:[[:space:]]+2$'
	check_mode "$err" "$probed"
	serves "$err"
	stop_server
done
TLSERVE_PREFIX=""

finish
