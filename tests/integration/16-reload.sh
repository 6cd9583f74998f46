#!/usr/bin/env bash
# 16-reload: SIGHUP swaps certificates without dropping established
# connections (an echo session, a keep-alive connection, a long download); a
# broken configuration is logged with its position and the old one keeps
# serving; SIGUSR1 reopens the access log; a certificate about to expire is
# warned about.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if [ ! -s "$CERTS/server2.crt" ]; then
	"$REPO/scripts/make-certs.sh" "$CERTS" >/dev/null || { fail "make-certs.sh $CERTS"; finish; }
fi

www=$TMP/www
mkdir -p "$www"
printf 'reload page\n' >"$www/index.html"
# The long download: 64 MiB at 20 MB/s (about 3 s); smaller and slower under a wrapper.
if [ -n "$TLSERVE_WRAPPER" ]; then
	big_mib=12
	rate=3M
else
	big_mib=64
	rate=20M
fi
random_file "$www/big.bin" $((big_mib * 1024 * 1024))

# The served certificate starts as copies of server.crt/key in $TMP.
cp "$CERTS/server.crt" "$TMP/cur.crt"
cp "$CERTS/server.key" "$TMP/cur.key"
conf=$TMP/reload.yaml
# write_reload_config CERT KEY — the configuration, with that certificate.
write_reload_config() {
	cat >"$conf.new" <<EOF
workers: 2
log: {level: debug, error: stderr, access: $TMP/access.log}
tls:
  certificate: $1
  key: $2
limits: {idle_timeout: 60s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
  - {name: echo, host: 127.0.0.1, port: 0, mode: echo}
EOF
	mv -f "$conf.new" "$conf"
}
write_reload_config "$TMP/cur.crt" "$TMP/cur.key"
start_server "$conf" || finish

# subject_of NAME — the RFC 2253 subject of the certificate a new connection gets.
subject_of() {
	timeout -k 2 $((10 * SLOW)) openssl s_client -connect "$(_host_of "$1"):$(port_of "$1")" \
		-servername localhost -CAfile "$CERTS/ca.crt" -verify_return_error </dev/null 2>/dev/null |
		openssl x509 -noout -subject -nameopt RFC2253 2>/dev/null | sed 's/^subject=//'
}

# hup WHAT — SIGHUP, then wait for the outcome line; sets HUP_LOG (the log lines it added).
hup() {
	local before i
	before=$(wc -l <"$SERVER_LOG")
	kill -HUP "$SERVER_PID"
	for ((i = 0; i < 100 * SLOW; i++)); do
		tail -n +$((before + 1)) "$SERVER_LOG" | grep -qE 'configuration reloaded|reload failed|reload refused' && break
		sleep 0.1
	done
	sleep 0.2
	HUP_LOG=$(tail -n +$((before + 1)) "$SERVER_LOG")
}

check_eq "before the reload: the first certificate (O=tlserve)" "CN=localhost,O=tlserve" "$(subject_of https)"
check_eq "before the reload: the echo listener has it too" "CN=localhost,O=tlserve" "$(subject_of echo)"

# ---- established connections: an echo session and a long download.
conn_open echo
conn_write $'before the reload\n'
if conn_wait_for "before the reload" 50; then
	pass "an echo session is open before the reload"
else
	fail "an echo session is open before the reload" "$(excerpt "$CONN_OUT.err")"
fi

hcurl https /big.bin --limit-rate "$rate" -o "$TMP/big.out" --max-time $((120 * SLOW)) 2>"$TMP/big.err" &
dl_pid=$!
track_bg "$dl_pid"
for ((i = 0; i < 50 * SLOW; i++)); do
	got=$(file_size "$TMP/big.out" 2>/dev/null)
	[ "${got:-0}" -gt 100000 ] && break
	sleep 0.1
done

# Reload 1: the certificate files are overwritten with server2 (O=tlserve-2).
cp "$CERTS/server2.crt" "$TMP/cur.crt"
cp "$CERTS/server2.key" "$TMP/cur.key"
if kill -0 "$dl_pid" 2>/dev/null; then
	pass "the download is in flight at the reload ($(file_size "$TMP/big.out") of $((big_mib * 1024 * 1024)) bytes)"
else
	fail "the download is in flight at the reload" "it had already ended: $(cat "$TMP/big.err")"
fi
hup
check_contains "SIGHUP (certificate files replaced): configuration reloaded" "$HUP_LOG" "configuration reloaded"
check_eq "after the reload: a new connection gets the new certificate (O=tlserve-2)" "CN=localhost,O=tlserve-2" \
	"$(subject_of https)"
check_eq "after the reload: the echo listener too" "CN=localhost,O=tlserve-2" "$(subject_of echo)"
check_status "after the reload: requests succeed (the new certificate verifies)" 200 https /

conn_write $'after the reload\n'
if conn_wait_for "after the reload" 50; then
	pass "the echo session opened before the reload still echoes after it"
else
	fail "the echo session opened before the reload still echoes after it" "$(excerpt "$CONN_OUT")" \
		"$(excerpt "$CONN_OUT.err")"
fi
conn_close

if _wait_gone "$dl_pid" $((150 * SLOW)); then
	wait "$dl_pid"
	rc=$?
else
	kill "$dl_pid" 2>/dev/null
	rc=timeout
fi
check_eq "the download started before the reload completes (curl status)" 0 "$rc"
check_same_file "... with every byte ($big_mib MiB, sha256)" "$www/big.bin" "$TMP/big.out"

# ---- reload 2: the configuration now names other files (server.crt again);
# a keep-alive connection opened before goes on after.
conn_open https
conn_write $'GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n'
conn_wait_for "reload page" 50
write_reload_config "$CERTS/server.crt" "$CERTS/server.key"
hup
check_contains "SIGHUP (configuration rewritten): configuration reloaded" "$HUP_LOG" "configuration reloaded"
check_eq "after reload 2: a new connection gets the certificate the file now names (O=tlserve)" \
	"CN=localhost,O=tlserve" "$(subject_of https)"
conn_write $'GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
conn_wait_closed 50
check_eq "a keep-alive connection opened before the reload answers a request sent after it" 2 \
	"$(count_status "$CONN_OUT")"
conn_close
good_subject=$(subject_of https)

# ---- broken configurations: logged with FILE:LINE:COLUMN, the old one keeps serving.
esc_conf=$(sed 's/[.[\*^$/]/\\&/g' <<<"$conf")
cp "$conf" "$TMP/good.yaml"

# A YAML syntax error.
{
	head -n 6 "$TMP/good.yaml"
	printf 'listeners:\n  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: %s\n' "$www"
	printf '  - {name: echo, host: 127.0.0.1, port: 0, mode: echo}\n'
} >"$conf"
hup
check_contains "SIGHUP with a YAML error: reload failed is logged" "$HUP_LOG" "reload failed"
check_match "... with FILE:LINE:COLUMN" "$HUP_LOG" "$esc_conf:[0-9]+:[0-9]+: "
check_eq "... and the old certificate is still presented" "$good_subject" "$(subject_of https)"
check_status "... and requests still succeed" 200 https /

# A key that does not match the certificate.
sed "s#key: .*server\\.key#key: $CERTS/rsa.key#" "$TMP/good.yaml" >"$conf"
keyline=$(grep -n 'key: .*rsa\.key' "$conf" | cut -d: -f1)
hup
check_contains "SIGHUP with a mismatched key: reload failed is logged" "$HUP_LOG" "reload failed"
check_match "... with FILE:LINE:COLUMN at the key's line ($keyline)" "$HUP_LOG" "$esc_conf:$keyline:[0-9]+: "
check_eq "... and the old certificate is still presented" "$good_subject" "$(subject_of https)"
check_status "... and requests still succeed" 200 https /

# An unknown key.
sed 's/^limits: {idle_timeout: 60s}/limits: {idle_timeout: 60s, idle_timeuot: 5s}/' "$TMP/good.yaml" >"$conf"
hup
check_contains "SIGHUP with an unknown key: reload failed is logged" "$HUP_LOG" "reload failed"
check_match "... with FILE:LINE:COLUMN" "$HUP_LOG" "$esc_conf:[0-9]+:[0-9]+: .*idle_timeuot"
check_status "... and requests still succeed" 200 https /

# A certificate file that vanished.
sed "s#certificate: .*server\\.crt#certificate: $TMP/no-such.crt#" "$TMP/good.yaml" >"$conf"
hup
check_contains "SIGHUP with a missing certificate file: reload failed is logged" "$HUP_LOG" "reload failed"
check_eq "... and the old certificate is still presented" "$good_subject" "$(subject_of https)"

# Back to a good file: the next reload works again.
cp "$TMP/good.yaml" "$conf"
hup
check_contains "SIGHUP with the good file again: configuration reloaded" "$HUP_LOG" "configuration reloaded"
printf 'echo after the failed reloads\n' >"$TMP/e.in"
echo_stream echo "$TMP/e.in" "$TMP/e.out"
check_same_file "echo works after the failed reloads" "$TMP/e.in" "$TMP/e.out"

# ---- SIGUSR1: the access log is reopened (logrotate moved it aside).
check_status "a request before the rotation" 200 https / -A "before-rotation"
wait_file_match "$TMP/access.log" "before-rotation" 30
mv "$TMP/access.log" "$TMP/access.log.1"
before=$(wc -l <"$SERVER_LOG")
kill -USR1 "$SERVER_PID"
for ((i = 0; i < 50 * SLOW; i++)); do
	tail -n +$((before + 1)) "$SERVER_LOG" | grep -q 'reopen' && break
	sleep 0.1
done
check_match "SIGUSR1 is logged" "$(tail -n +$((before + 1)) "$SERVER_LOG")" "reopen"
if [ -f "$TMP/access.log" ]; then
	pass "SIGUSR1 creates a new access.log"
else
	fail "SIGUSR1 creates a new access.log"
fi
check_status "a request after the rotation" 200 https / -A "after-rotation"
if wait_file_match "$TMP/access.log" "after-rotation" 30; then
	pass "the request after SIGUSR1 is logged in the new access.log"
else
	fail "the request after SIGUSR1 is logged in the new access.log" "$(excerpt "$TMP/access.log")"
fi
check_file_not_contains "... and not in the moved access.log.1" "$TMP/access.log.1" "after-rotation"
check_file_contains "the moved access.log.1 kept the earlier line" "$TMP/access.log.1" "before-rotation"
stop_server

# ---- a certificate that expires within 14 days: a warning at start.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/short.key" 2>/dev/null
openssl req -new -key "$TMP/short.key" -subj "/O=tlserve/CN=localhost" -out "$TMP/short.csr" 2>/dev/null
printf '%s\n' 'basicConstraints = critical, CA:false' 'keyUsage = critical, digitalSignature' \
	'extendedKeyUsage = serverAuth' 'subjectAltName = DNS:localhost, IP:127.0.0.1' >"$TMP/short.ext"
openssl x509 -req -in "$TMP/short.csr" -CA "$CERTS/ca.crt" -CAkey "$CERTS/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
	-days 3 -sha256 -extfile "$TMP/short.ext" -out "$TMP/short.crt" 2>/dev/null
check_true "a certificate valid for 3 days is made" test -s "$TMP/short.crt"
write_reload_config "$TMP/short.crt" "$TMP/short.key"
if start_server "$conf"; then
	if wait_log 'expire' 1 30; then
		pass "a certificate expiring within 14 days: warning at start"
	else
		fail "a certificate expiring within 14 days: warning at start" "$(server_log_tail)"
	fi
	check_match "... at level warn, naming the listener" "$(grep -a 'expire' "$SERVER_LOG")" 'warn.*https'
	check_eq "... and it is still served" "CN=localhost,O=tlserve" "$(subject_of https)"
	stop_server
fi
# A certificate with 825 days left gives no such warning.
write_reload_config "$CERTS/server.crt" "$CERTS/server.key"
if start_server "$conf"; then
	check_status "a long-lived certificate: serving" 200 https /
	check_file_not_contains "a long-lived certificate: no expiry warning" "$SERVER_LOG" "expire"
fi

# ---- what a reload cannot apply is compared with the configuration the
# process started with: the warning names the change at every reload
# until the file matches the running process again.
# write_workers_config N — the reload configuration with workers: N.
write_workers_config() {
	cat >"$conf.new" <<EOF
workers: $1
log: {level: info, error: stderr, access: off}
tls: {certificate: $CERTS/server.crt, key: $CERTS/server.key}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
EOF
	mv -f "$conf.new" "$conf"
}
write_workers_config 1
if start_server "$conf"; then
	write_workers_config 2
	hup
	check_match "reload with workers 1 -> 2: a warning names the change" "$HUP_LOG" \
		'warn.*"workers" changed \(1 -> 2\); takes effect after a restart'
	check_contains "... and the rest of the file is applied" "$HUP_LOG" "configuration reloaded"
	hup
	check_match "a second reload of the same file still warns (compared with the start-up configuration)" \
		"$HUP_LOG" 'warn.*"workers" changed \(1 -> 2\)'
	write_workers_config 1
	hup
	check_not_contains "back to the start-up value: no warning" "$HUP_LOG" '"workers" changed'
	stop_server
fi
write_reload_config "$CERTS/server.crt" "$CERTS/server.key"
start_server "$conf"

# ---- SIGHUP in quick pairs under load. Each reload publishes a generation
# and drops the previous one while two workers take the newest one as
# they turn: a worker that loaded a generation just before a second reload
# freed it would use freed memory (AddressSanitizer, `make asan`, reports
# it; a plain build may crash or serve on). New connections all along, so
# every worker keeps taking generations.
if server_alive; then
	port=$(port_of https)
	load_until=$((SECONDS + 20 * SLOW))
	for k in 1 2 3; do
		(
			n=0
			while [ "$SECONDS" -lt "$load_until" ] && [ "$n" -lt 2000 ] && [ ! -e "$TMP/load.stop" ]; do
				timeout -k 2 10 curl -s -o /dev/null --cacert "$CERTS/ca.crt" \
					--resolve "localhost:$port:127.0.0.1" "https://localhost:$port/" 2>/dev/null
				n=$((n + 1))
			done
		) &
		track_bg "$!"
		load_pids[k]=$!
	done
	before=$(grep -ac 'configuration reloaded' "$SERVER_LOG")
	now=$before
	pairs=40
	[ -n "$TLSERVE_WRAPPER" ] && pairs=10
	for ((p = 0; p < pairs; p++)); do
		server_alive || break
		start=$now
		kill -HUP "$SERVER_PID"
		sleep 0.002
		kill -HUP "$SERVER_PID"
		# each pair reloads once at least (twice when the second signal
		# comes while the first reload runs): wait for it, bounded
		for ((i = 0; i < 100 * SLOW; i++)); do
			now=$(grep -ac 'configuration reloaded' "$SERVER_LOG")
			[ "$now" -gt "$start" ] && break
			sleep 0.05
		done
	done
	# a pair's second reload may still be running: let the count settle
	prev=-1
	for ((i = 0; i < 50 * SLOW; i++)); do
		now=$(grep -ac 'configuration reloaded' "$SERVER_LOG")
		[ "$now" = "$prev" ] && break
		prev=$now
		sleep 0.2
	done
	reloads=$((now - before))
	touch "$TMP/load.stop"   # the reloads are done: the load ends with its next request
	note "SIGHUP sent in $pairs pairs: $reloads reloads"
	check_true "SIGHUP in pairs under load: the server is still running" server_alive
	in_range_ok=0
	[ "$reloads" -ge "$pairs" ] && [ "$reloads" -le $((2 * pairs)) ] && in_range_ok=1
	check_eq "... and reloaded once or twice per pair ($pairs pairs)" 1 "$in_range_ok"
	check_status "... and serves the new generation" 200 https /
	check_file_not_contains "... with no reload failure logged" "$SERVER_LOG" "reload failed"
	for k in 1 2 3; do
		wait "${load_pids[k]}" 2>/dev/null
	done
	stop_server
	check_eq "... and stops cleanly (status 0) after the reloads" 0 "$STOP_STATUS"
fi

finish
