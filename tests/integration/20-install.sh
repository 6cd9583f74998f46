#!/usr/bin/env bash
# 20-install: `make install DESTDIR=... PREFIX=/usr` lays out the binary, both
# man pages, the configuration (never overwriting one that is there), the
# systemd unit (its ExecStart following PREFIX), the sysusers.d user and the
# logrotate file; the installed binary runs; the unit passes
# `systemd-analyze verify` (`make verify-unit`); the logrotate file passes
# `logrotate -d`. systemd-analyze (package systemd) and logrotate come from
# `scripts/deps.sh test`; the test installs nothing and fails without them.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

root=$TMP/root

# make_in_repo ARGS... — make in the repository, bounded, output to $TMP/make.out.
make_in_repo() {
	timeout -k 10 $((600 * SLOW)) make -C "$REPO" --no-print-directory "$@" >"$TMP/make.out" 2>&1
}

if make_in_repo install DESTDIR="$root" PREFIX=/usr; then
	pass "make install DESTDIR=\$TMP/root PREFIX=/usr"
else
	fail "make install DESTDIR=\$TMP/root PREFIX=/usr" "$(tail -n 15 "$TMP/make.out")"
	finish
fi

for f in usr/bin/tlserve usr/share/man/man8/tlserve.8 usr/share/man/man5/tlserve.yaml.5 \
	etc/tlserve/tlserve.yaml lib/systemd/system/tlserve.service etc/logrotate.d/tlserve \
	usr/lib/sysusers.d/tlserve.conf; do
	if [ -f "$root/$f" ]; then pass "installed: /$f"; else fail "installed: /$f" "$(cd "$root" && find . -type f)"; fi
done
check_true "/usr/bin/tlserve is executable" test -x "$root/usr/bin/tlserve"
check_eq "nothing else is installed" 7 "$(find "$root" -type f | wc -l | tr -d ' ')"
check_eq "no configuration example beside a fresh configuration" "" \
	"$(ls "$root/etc/tlserve/tlserve.yaml.example" 2>/dev/null)"

ver=$(timeout 10 "$root/usr/bin/tlserve" -V 2>&1)
rc=$?
check_eq "the installed binary runs -V (status)" 0 "$rc"
check_match "... and prints its version" "$ver" '^tlserve [0-9]+\.[0-9]+'
check_match "... and the OpenSSL it runs with" "$ver" 'OpenSSL [0-9]'

unit=$root/lib/systemd/system/tlserve.service
check_file_contains "the unit runs /usr/bin/tlserve -c /etc/tlserve/tlserve.yaml" "$unit" \
	"ExecStart=/usr/bin/tlserve -c /etc/tlserve/tlserve.yaml"
check_file_contains "... checks the configuration first" "$unit" \
	"ExecStartPre=/usr/bin/tlserve -t -c /etc/tlserve/tlserve.yaml"
# shellcheck disable=SC2016 # the unit's own $MAINPID, literally
check_file_contains "... reloads with SIGHUP" "$unit" 'ExecReload=/bin/kill -HUP $MAINPID'
check_file_contains "... stops with SIGTERM" "$unit" "KillSignal=SIGTERM"
check_file_contains "... runs as the tlserve user" "$unit" "User=tlserve"
check_file_contains "... that user is in sysusers.d" "$root/usr/lib/sysusers.d/tlserve.conf" "u tlserve "
lr=$root/etc/logrotate.d/tlserve
check_file_contains "logrotate: /var/log/tlserve/*.log" "$lr" "/var/log/tlserve/*.log"
check_file_contains "logrotate: SIGUSR1 after rotation" "$lr" "USR1"
check_same_file "the man pages are the repository's (tlserve.8)" "$REPO/man/tlserve.8" \
	"$root/usr/share/man/man8/tlserve.8"

# The installed configuration: its development paths (../certs, ../www) are
# made fit for /etc/tlserve: with a certificate and key beside it, the check
# finds nothing wrong but the absent document root /srv/www.
cp "$CERTS/server.crt" "$CERTS/server.key" "$root/etc/tlserve/"
out=$(timeout 10 "$root/usr/bin/tlserve" -t -c "$root/etc/tlserve/tlserve.yaml" 2>&1)
note "tlserve -t of the installed configuration: $(head -n 3 <<<"$out")"
check_not_contains "the installed configuration finds the certificate beside it" "$out" "server.crt"
check_not_contains "... and the key" "$out" "server.key"
if [ -d /srv/www ]; then
	check_contains "... and checks out (/srv/www exists here)" "$out" ": ok"
else
	check_contains "... its document root is /srv/www" "$out" '"/srv/www"'
fi

# A second install keeps the configuration and puts the new one beside it.
printf '# edited by the administrator\n' >>"$root/etc/tlserve/tlserve.yaml"
if make_in_repo install DESTDIR="$root" PREFIX=/usr; then
	pass "a second make install"
else
	fail "a second make install" "$(tail -n 15 "$TMP/make.out")"
fi
check_file_contains "... keeps the existing /etc/tlserve/tlserve.yaml" "$root/etc/tlserve/tlserve.yaml" \
	"# edited by the administrator"
check_true "... and installs the new one as tlserve.yaml.example" test -f "$root/etc/tlserve/tlserve.yaml.example"
check_file_not_contains "... (which is the reference, unedited)" "$root/etc/tlserve/tlserve.yaml.example" \
	"# edited by the administrator"

# PREFIX=/usr/local: the binary and the unit's command follow it.
if make_in_repo install DESTDIR="$TMP/root2" PREFIX=/usr/local; then
	check_true "make install PREFIX=/usr/local: /usr/local/bin/tlserve" test -x "$TMP/root2/usr/local/bin/tlserve"
	check_file_contains "... and the unit runs it" "$TMP/root2/lib/systemd/system/tlserve.service" \
		"ExecStart=/usr/local/bin/tlserve -c /etc/tlserve/tlserve.yaml"
else
	fail "make install DESTDIR=\$TMP/root2 PREFIX=/usr/local" "$(tail -n 15 "$TMP/make.out")"
fi

# systemd-analyze verify on the installed unit, its binary the DESTDIR copy
# (systemd-analyze is there, so verify-unit installs nothing).
if require_cmd systemd-analyze; then
	if make_in_repo verify-unit VERIFY_UNIT="$unit" VERIFY_BIN="$root/usr/bin/tlserve"; then
		pass "systemd-analyze verify: the installed unit is clean"
	else
		fail "systemd-analyze verify: the installed unit is clean" "$(tail -n 15 "$TMP/make.out")"
	fi
fi

# logrotate's own parser, in debug mode (nothing is rotated or signalled).
# It lives in /usr/sbin, which a user's PATH may lack.
logrotate=$(command -v logrotate 2>/dev/null || { [ -x /usr/sbin/logrotate ] && echo /usr/sbin/logrotate; })
if [ -z "$logrotate" ]; then
	require_cmd logrotate
elif out=$(timeout 30 "$logrotate" -d -s "$TMP/logrotate.state" "$lr" 2>&1); then
	check_not_contains "logrotate -d: the logrotate file parses" "$out" "error:"
else
	fail "logrotate -d: the logrotate file parses" "$(tail -n 15 <<<"$out")"
fi

finish
