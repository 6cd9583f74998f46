#!/usr/bin/env bash
# 01-config-check: -t (configuration check), -V, -h and usage errors.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/www"
echo hello >"$TMP/www/index.html"

# ---- a good configuration: "FILE: ok", exit 0, nothing bound.
# Hold a port with a socket that does not use SO_REUSEPORT (s_server): if -t
# bound the listener's port it would fail with "address in use".
held=""
for _ in 1 2 3 4 5; do
	p=$((20000 + RANDOM % 30000))
	timeout 120 openssl s_server -accept "127.0.0.1:$p" -cert "$CERTS/server.crt" \
		-key "$CERTS/server.key" </dev/null >"$TMP/s_server.out" 2>&1 &
	spid=$!
	track_bg "$spid"
	for ((i = 0; i < 30; i++)); do
		grep -q ACCEPT "$TMP/s_server.out" 2>/dev/null && break
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$spid" 2>/dev/null && grep -q ACCEPT "$TMP/s_server.out"; then
		held=$p
		break
	fi
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
done

good=$TMP/good.yaml
write_config "$good" <<EOF
listeners:
  - {name: https, host: 127.0.0.1, port: ${held:-0}, mode: files, root: $TMP/www}
  - {name: echo, host: 127.0.0.1, port: 0, mode: echo}
EOF
out=$(run_tlserve -t -c "$good" 2>&1)
rc=$?
check_eq "-t on a good configuration exits 0" 0 "$rc"
check_has_line "-t prints 'FILE: ok'" "$out" "$good: ok"
if [ -n "$held" ]; then
	check_not_contains "-t binds nothing (port $held is held by another socket)" "$out" "in use"
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
else
	fail "-t binds nothing" "could not hold a port with s_server"
fi
if [ -s "$TMP/access.log" ]; then
	fail "-t writes no access log" "$(excerpt "$TMP/access.log")"
else
	pass "-t writes no access log"
fi

# ---- two errors in different places: both reported, with the right lines.
bad=$TMP/bad.yaml
cat >"$bad" <<EOF
workers: 1
log: {level: info, error: stderr, access: off}
limits:
  idle_timeout: 10 parsecs
tls: {certificate: $CERTS/server.crt, key: $CERTS/server.key}
listners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $TMP/www}
EOF
out=$(run_tlserve -t -c "$bad" 2>&1)
rc=$?
check_eq "-t on a bad configuration exits 1" 1 "$rc"
check_match "the bad value is reported at bad.yaml:4 (key or value column)" "$out" 'bad\.yaml:4:(3|17): '
check_match "the unknown key is reported at bad.yaml:6:1" "$out" 'bad\.yaml:6:1: '
check_match "the unknown key gets a 'did you mean \"listeners\"' hint" "$out" \
	'bad\.yaml:6:1: .*did you mean.*listeners'
check_not_contains "-t on a bad configuration does not say ok" "$out" ": ok"
n=$(grep -cE '^[^ ]*bad\.yaml:[0-9]+:[0-9]+: ' <<<"$out")
if [ "$n" -ge 2 ]; then pass "at least two FILE:LINE:COLUMN errors ($n)"; else fail "at least two FILE:LINE:COLUMN errors" "$out"; fi

# ---- a wrong type and an out-of-range value, on lines 1 and 3.
bad2=$TMP/bad2.yaml
cat >"$bad2" <<EOF
workers: [1, 2]
tls: {certificate: $CERTS/server.crt, key: $CERTS/server.key}
limits: {max_headers: -5}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: filez, root: $TMP/www}
EOF
out=$(run_tlserve -t -c "$bad2" 2>&1)
rc=$?
check_eq "-t with wrong types exits 1" 1 "$rc"
check_match "a sequence where a number belongs is reported at line 1" "$out" 'bad2\.yaml:1:(1|10): '
check_match "a negative max_headers is reported at line 3" "$out" 'bad2\.yaml:3:(10|23): '
check_match "an unknown mode is reported at line 5" "$out" 'bad2\.yaml:5:(45|51): .*filez'

# ---- YAML syntax error.
bad3=$TMP/bad3.yaml
printf 'workers: 1\nlisteners: [\n  {name: x\n' >"$bad3"
out=$(run_tlserve -t -c "$bad3" 2>&1)
rc=$?
check_eq "-t on broken YAML exits 1" 1 "$rc"
check_match "broken YAML is reported as FILE:LINE:COLUMN" "$out" 'bad3\.yaml:[0-9]+:[0-9]+: '

# ---- a certificate file that does not exist.
nocert=$TMP/nocert.yaml
cat >"$nocert" <<EOF
workers: 1
tls:
  certificate: $TMP/missing.crt
  key: $CERTS/server.key
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $TMP/www}
EOF
out=$(run_tlserve -t -c "$nocert" 2>&1)
rc=$?
check_eq "-t with a missing certificate exits 1" 1 "$rc"
check_match "the missing certificate is named, at nocert.yaml:3" "$out" 'nocert\.yaml:3:(3|16): .*missing\.crt'

# ---- a key that does not match its certificate.
mismatch=$TMP/mismatch.yaml
cat >"$mismatch" <<EOF
workers: 1
tls:
  certificate: $CERTS/server.crt
  key: $CERTS/rsa.key
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $TMP/www}
EOF
out=$(run_tlserve -t -c "$mismatch" 2>&1)
rc=$?
check_eq "-t with a key not matching its certificate exits 1" 1 "$rc"
check_match "the key mismatch is reported at the key (mismatch.yaml:4) or the certificate (:3)" "$out" \
	'mismatch\.yaml:(4:(3|8)|3:(3|16)): '
check_match "the key mismatch message says so" "$out" '[Mm]atch'

# ---- the same key mismatch also stops a real start, with exit 1.
out=$(run_tlserve -c "$mismatch" 2>&1)
rc=$?
check_eq "starting with a key mismatch exits 1" 1 "$rc"

# ---- a missing document root.
noroot=$TMP/noroot.yaml
write_config "$noroot" <<EOF
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $TMP/no-such-dir}
EOF
out=$(run_tlserve -t -c "$noroot" 2>&1)
rc=$?
check_eq "-t with a missing root exits 1" 1 "$rc"
check_contains "the missing root is named" "$out" "no-such-dir"

# ---- a configuration file that does not exist.
out=$(run_tlserve -t -c "$TMP/nope.yaml" 2>&1)
rc=$?
check_eq "-t with a missing configuration file exits 1" 1 "$rc"
check_contains "the missing configuration file is named" "$out" "nope.yaml"

# ---- relative paths are relative to the configuration file's directory.
mkdir -p "$TMP/rel/www" "$TMP/rel/certs"
cp "$CERTS/server.crt" "$CERTS/server.key" "$TMP/rel/certs/"
cat >"$TMP/rel/tlserve.yaml" <<EOF
tls: {certificate: certs/server.crt, key: certs/server.key}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: www}
EOF
out=$(cd / && run_tlserve -t -c "$TMP/rel/tlserve.yaml" 2>&1)
rc=$?
check_eq "relative paths resolve against the configuration's directory" 0 "$rc"

# ---- a configuration path that is a FIFO: refused at once, never waited on.
mkfifo "$TMP/fifo.yaml"
# shellcheck disable=SC2086 # the wrapper is a command line on purpose
out=$(timeout -k 2 $((10 * SLOW)) $TLSERVE_WRAPPER "$TLSERVE_BIN" -t -c "$TMP/fifo.yaml" 2>&1)
rc=$?
check_eq "-t on a FIFO exits 1 (124 would mean it hung on open)" 1 "$rc"
check_contains "-t on a FIFO says it is not a regular file" "$out" "not a regular file"

# ---- what start-up needs, checked by -t: the user exists.
nouser=$TMP/nouser.yaml
write_config "$nouser" <<EOF
user: no-such-user-tlserve
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $TMP/www}
EOF
out=$(run_tlserve -t -c "$nouser" 2>&1)
rc=$?
check_eq "-t with a user that does not exist exits 1" 1 "$rc"
check_match "the unknown user is reported at nouser.yaml:4" "$out" \
	'nouser\.yaml:4:7: .*"no-such-user-tlserve".*no such user'

# ---- the log files can be opened: a directory that does not exist.
for which in error access; do
	nolog=$TMP/nolog-$which.yaml
	if [ "$which" = error ]; then
		logline="log: {error: $TMP/no-such-dir/error.log, access: off}"
	else
		logline="log: {error: stderr, access: $TMP/no-such-dir/access.log}"
	fi
	cat >"$nolog" <<EOF
workers: 1
$logline
tls: {certificate: $CERTS/server.crt, key: $CERTS/server.key}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $TMP/www}
EOF
	out=$(run_tlserve -t -c "$nolog" 2>&1)
	rc=$?
	check_eq "-t with the $which log in a missing directory exits 1" 1 "$rc"
	check_match "the $which log is reported at its position" "$out" \
		"nolog-$which\.yaml:2:[0-9]+: .*no-such-dir/$which\.log"
done

# ... and -t creates no log file where it could.
mkdir -p "$TMP/logs"
mklog=$TMP/mklog.yaml
cat >"$mklog" <<EOF
log: {error: $TMP/logs/error.log, access: $TMP/logs/access.log}
tls: {certificate: $CERTS/server.crt, key: $CERTS/server.key}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $TMP/www}
EOF
out=$(run_tlserve -t -c "$mklog" 2>&1)
rc=$?
check_eq "-t with log files in a writable directory exits 0" 0 "$rc"
check_false "-t does not create the error log" test -e "$TMP/logs/error.log"
check_false "-t does not create the access log" test -e "$TMP/logs/access.log"

# ---- a host that does not resolve (RFC 6761: .invalid never does) and an
# unknown service name.
nohost=$TMP/nohost.yaml
write_config "$nohost" <<EOF
listeners:
  - {name: https, host: "no-such-host.invalid", port: 0, mode: files, root: $TMP/www}
  - {name: echo, host: 127.0.0.1, port: no-such-service-tlserve, mode: echo}
EOF
out=$(run_tlserve -t -c "$nohost" 2>&1)
rc=$?
check_eq "-t with an unresolvable host and an unknown service exits 1" 1 "$rc"
check_match "the unresolvable host is reported at nohost.yaml:5" "$out" \
	'nohost\.yaml:5:[0-9]+: .*no-such-host\.invalid'
check_match "the unknown service is reported at nohost.yaml:6" "$out" \
	'nohost\.yaml:6:[0-9]+: .*no-such-service-tlserve'

# ---- YAML tags are refused (a !!binary port used to pass).
tagged=$TMP/tagged.yaml
write_config "$tagged" <<EOF
listeners:
  - {name: https, host: 127.0.0.1, port: !!binary MTIz, mode: files, root: $TMP/www}
EOF
out=$(run_tlserve -t -c "$tagged" 2>&1)
rc=$?
check_eq "-t with a YAML tag exits 1" 1 "$rc"
check_match "the tag is reported at its position" "$out" \
	'tagged\.yaml:5:[0-9]+: YAML tags are not supported'

# ---- private keys readable by others: a warning, exit 0; world-writable: an error.
cp "$CERTS/server.key" "$TMP/open.key"
chmod 0644 "$TMP/open.key"
openkey=$TMP/openkey.yaml
cat >"$openkey" <<EOF
log: {error: stderr, access: off}
tls:
  certificate: $CERTS/server.crt
  key: $TMP/open.key
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $TMP/www}
EOF
out=$(run_tlserve -t -c "$openkey" 2>&1)
rc=$?
check_eq "-t with a key readable by others exits 0 (a warning)" 0 "$rc"
check_match "the readable key is warned about as FILE:LINE:COL: warning:" "$out" \
	'openkey\.yaml:4:[0-9]+: warning: .*open\.key.*readable by group or others'
check_has_line "-t with only warnings still says ok" "$out" "$openkey: ok"
chmod 0602 "$TMP/open.key"
out=$(run_tlserve -t -c "$openkey" 2>&1)
rc=$?
check_eq "-t with a world-writable key exits 1" 1 "$rc"
check_match "the world-writable key is an error" "$out" \
	'openkey\.yaml:4:[0-9]+: .*open\.key.*writable by others'
check_not_contains "-t with a world-writable key does not say ok" "$out" ": ok"

# ---- -V, -h, unknown flags.
out=$(run_tlserve -V 2>&1)
rc=$?
check_eq "-V exits 0" 0 "$rc"
check_contains "-V names tlserve" "$out" "tlserve"
check_match "-V prints a version number" "$out" '[0-9]+\.[0-9]+\.[0-9]+'
check_contains "-V mentions the OpenSSL it runs with" "$out" "OpenSSL"

out=$(run_tlserve -h 2>&1)
rc=$?
check_eq "-h exits 0" 0 "$rc"
check_match "-h prints a usage line" "$out" '[Uu]sage'
check_contains "-h mentions -c" "$out" "-c"

out=$(run_tlserve -Z 2>&1)
rc=$?
check_eq "an unknown flag exits 2" 2 "$rc"
check_match "an unknown flag prints the usage" "$out" '[Uu]sage'

out=$(run_tlserve -c 2>&1)
rc=$?
check_eq "-c without its argument exits 2" 2 "$rc"

out=$(run_tlserve -t -c "$good" extra-argument 2>&1)
rc=$?
check_eq "a stray argument exits 2" 2 "$rc"

finish
