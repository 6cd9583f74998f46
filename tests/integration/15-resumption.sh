#!/usr/bin/env bash
# 15-resumption: TLS session resumption — session IDs, tickets, TLS 1.3 PSKs;
# sessions never cross listeners with another client-certificate policy or
# SNI certificates; ticket_key_file shared by separate instances (a fleet).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

www=$TMP/www
mkdir -p "$www"
printf 'resume\n' >"$www/index.html"

# Ticket keys: 80 bytes each (nginx's format). PQ and QP hold the same two keys
# in either order; other is unrelated.
head -c 80 /dev/urandom >"$TMP/key.p"
head -c 80 /dev/urandom >"$TMP/key.q"
head -c 80 /dev/urandom >"$TMP/fleet.key"
cp "$TMP/fleet.key" "$TMP/fleet-copy.key"
cat "$TMP/key.p" "$TMP/key.q" >"$TMP/pq.key"
cat "$TMP/key.q" "$TMP/key.p" >"$TMP/qp.key"
head -c 80 /dev/urandom >"$TMP/other.key"

ca=$CERTS/ca.crt
conf=$TMP/resume.yaml
write_config "$conf" <<EOF
limits: {idle_timeout: 30s}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $www}
  - {name: noticket, host: 127.0.0.1, port: 0, mode: files, root: $www, tls: {session_tickets: false}}
  - {name: a, host: 127.0.0.1, port: 0, mode: files, root: $www, tls: {ticket_key_file: $TMP/fleet.key}}
  - {name: b, host: 127.0.0.1, port: 0, mode: files, root: $www, tls: {ticket_key_file: $TMP/fleet.key, client_ca: $ca, verify_client: require}}
  - name: sni
    host: 127.0.0.1
    port: 0
    root: $www
    sni:
      - {names: [example.test, "*.example.test"], certificate: $CERTS/example.crt, key: $CERTS/example.key}
  - {name: ida, host: 127.0.0.1, port: 0, mode: files, root: $www, tls: {session_tickets: false}}
  - {name: idb, host: 127.0.0.1, port: 0, mode: files, root: $www, tls: {session_tickets: false, client_ca: $ca, verify_client: require}}
  - name: snid
    host: 127.0.0.1
    port: 0
    root: $www
    tls: {session_tickets: false}
    sni:
      - {names: [example.test, "*.example.test"], certificate: $CERTS/example.crt, key: $CERTS/example.key}
  - {name: fleet, host: 127.0.0.1, port: 0, mode: files, root: $www, tls: {ticket_key_file: $TMP/fleet.key}}
  - {name: pair, host: 127.0.0.1, port: 0, mode: files, root: $www, tls: {ticket_key_file: $TMP/pq.key}}
  - {name: echo, host: 127.0.0.1, port: 0, mode: echo}
EOF
start_server "$conf" || finish

# Making a TLS 1.3 session, s_client stays connected HOLD seconds (stdin open,
# nothing sent) so that the tickets, sent after the handshake, reach it.
HOLD=$(awk -v s="$SLOW" 'BEGIN { print 0.5 * s }')
S_HOLD=0
S_T=$((10 * SLOW))
mine=(-cert "$CERTS/client.crt" -key "$CERTS/client.key")

# sess PORT SERVERNAME [S_CLIENT ARGS...] — one connection with -trace; sets
# S_OUT (its output) and S_LINE ("New, ..." or "Reused, ...").
sess() {
	local port=$1 sn=$2
	shift 2
	S_OUT=$(sleep "$S_HOLD" | timeout -k 2 "$S_T" openssl s_client -trace -connect "127.0.0.1:$port" \
		-servername "$sn" -CAfile "$ca" -verify_return_error "$@" 2>&1)
	S_LINE=$(grep -m 1 -E '^(New|Reused), ' <<<"$S_OUT")
}

# new_session PORT VERSION FILE [SERVERNAME] [S_CLIENT ARGS...] — a full
# handshake; the session (with its ticket) saved to FILE.
new_session() {
	local port=$1 v=$2 file=$3 sn=${4:-localhost}
	shift 3
	[ $# -gt 0 ] && shift
	rm -f "$file"
	[ "$v" = 1.3 ] && S_HOLD=$HOLD
	sess "$port" "$sn" -tls"${v/./_}" -sess_out "$file" "$@"
	S_HOLD=0
	if [[ $S_LINE == "New, TLSv$v,"* ]] && [ -s "$file" ]; then
		return 0
	fi
	fail "a first TLS $v session could be made on port $port ($sn)" "${S_LINE:-no New, line}" \
		"$(grep -aiE 'alert|error' <<<"$S_OUT" | head -n 3)"
	return 1
}

# offered VERSION — did the last ClientHello offer the saved session?
# (TLS 1.3: a pre_shared_key extension; TLS 1.2: a ticket or a session id.)
offered() {
	local hello
	hello=$(sed -n '/ClientHello, Length/,/^Received Record/p' <<<"$S_OUT")
	if [ "$1" = 1.3 ]; then
		grep -q 'extension_type=psk(41)' <<<"$hello"
	else
		grep -m 1 'extension_type=session_ticket(35)' <<<"$hello" | grep -qv 'length=0$' ||
			grep -m 1 'session_id (len=' <<<"$hello" | grep -qv 'len=0)'
	fi
}

# check_resumed DESC PORT VERSION FILE [SERVERNAME] [S_CLIENT ARGS...]
check_resumed() {
	local desc=$1 port=$2 v=$3 file=$4 sn=${5:-localhost}
	shift 4
	[ $# -gt 0 ] && shift
	[ -s "$file" ] || { fail "$desc" "no saved session (the first handshake failed)"; return 1; }
	sess "$port" "$sn" -tls"${v/./_}" -sess_in "$file" "$@"
	if [[ $S_LINE == "Reused, TLSv$v,"* ]]; then
		pass "$desc"
	else
		fail "$desc" "${S_LINE:-no New/Reused line}" "$(grep -aiE 'alert|error' <<<"$S_OUT" | head -n 3)"
	fi
}

# check_not_resumed DESC PORT VERSION FILE [SERVERNAME] [S_CLIENT ARGS...] —
# the client offers the session and the server makes a new one (the handshake
# itself succeeds).
check_not_resumed() {
	local desc=$1 port=$2 v=$3 file=$4 sn=${5:-localhost}
	shift 4
	[ $# -gt 0 ] && shift
	[ -s "$file" ] || { fail "$desc" "no saved session (the first handshake failed)"; return 1; }
	sess "$port" "$sn" -tls"${v/./_}" -sess_in "$file" "$@"
	if ! offered "$v"; then
		fail "$desc" "this openssl s_client did not offer the session"
	elif [[ $S_LINE == "New, TLSv$v,"* ]] && ! grep -q 'Cipher is (NONE)' <<<"$S_LINE"; then
		pass "$desc"
	else
		fail "$desc" "${S_LINE:-no New/Reused line}" "$(grep -aiE 'alert|error' <<<"$S_OUT" | head -n 3)"
	fi
}

p_https=$(port_of https)
p_a=$(port_of a)
p_b=$(port_of b)
p_sni=$(port_of sni)

# ---- one listener: session ID cache, tickets, TLS 1.3.
new_session "$p_https" 1.2 "$TMP/t12.sess"
check_contains "TLS 1.2: the server issues a session ticket" "$S_OUT" "TLS session ticket:"
check_resumed "TLS 1.2: a ticket resumes (Reused)" "$p_https" 1.2 "$TMP/t12.sess"
# With tickets on, the client holds the session: the server keeps no cache,
# and a TLS 1.2 client without ticket support is told so by an empty session
# ID (RFC 5246 7.4.1.3), a full handshake each time.
sess "$p_https" localhost -tls1_2 -no_ticket
check_contains "TLS 1.2 without a ticket (tickets on): the handshake succeeds" "$S_LINE" "New, TLSv1.2,"
check_match "... with an empty session ID: no server-side session cache" "$S_OUT" '^ *Session-ID: *$'
new_session "$p_https" 1.3 "$TMP/t13.sess"
check_resumed "TLS 1.3: a ticket (PSK) resumes" "$p_https" 1.3 "$TMP/t13.sess"
# A resumed TLS 1.3 connection gets a fresh ticket (a client uses each once,
# RFC 8446 C.4): resume from the first ticket, save the new one, resume again.
rm -f "$TMP/t13b.sess"
S_HOLD=$HOLD
sess "$p_https" localhost -tls1_3 -sess_in "$TMP/t13.sess" -sess_out "$TMP/t13b.sess"
S_HOLD=0
check_contains "TLS 1.3: a resumed connection is sent a new ticket" "$S_OUT" "NewSessionTicket"
check_resumed "TLS 1.3: that new ticket resumes in turn" "$p_https" 1.3 "$TMP/t13b.sess"

# A session of one listener is not resumed on another listener (different
# session context), although the certificate and the policy are the same.
check_not_resumed "TLS 1.2: a ticket from one listener is not resumed on another" \
	"$(port_of fleet)" 1.2 "$TMP/t12.sess"
check_not_resumed "TLS 1.3: a ticket from one listener is not resumed on another" \
	"$(port_of fleet)" 1.3 "$TMP/t13.sess"

# ---- session_tickets: false — no tickets, the session ID cache still works.
new_session "$(port_of noticket)" 1.2 "$TMP/nt12.sess"
check_not_contains "session_tickets: false: no TLS 1.2 ticket is issued" "$S_OUT" "TLS session ticket:"
check_resumed "session_tickets: false: TLS 1.2 resumes by session ID" "$(port_of noticket)" 1.2 "$TMP/nt12.sess"
new_session "$(port_of noticket)" 1.2 "$TMP/nt12b.sess" localhost -no_ticket
check_resumed "session_tickets: false: TLS 1.2 resumes by session ID (client -no_ticket too)" \
	"$(port_of noticket)" 1.2 "$TMP/nt12b.sess" localhost -no_ticket

# ---- client-certificate policy: a session made where no certificate was
# asked for must not open a listener that requires one, even when both share
# ticket_key_file (the ticket decrypts there).
for v in 1.2 1.3; do
	new_session "$p_a" "$v" "$TMP/a$v.sess"
	check_resumed "listener a (ticket_key_file): TLS $v resumes on itself" "$p_a" "$v" "$TMP/a$v.sess"
	new_session "$p_a" "$v" "$TMP/a$v.sess"
	check_not_resumed "TLS $v: a ticket from a (no client verification) is not resumed on b (verify_client: require, same ticket_key_file)" \
		"$p_b" "$v" "$TMP/a$v.sess" localhost "${mine[@]}"
	new_session "$p_a" "$v" "$TMP/a$v.sess"
	sess "$p_b" localhost -tls"${v/./_}" -sess_in "$TMP/a$v.sess"
	check_not_contains "TLS $v: ... nor without a client certificate" "$S_LINE" "Reused"
	new_session "$p_b" "$v" "$TMP/b$v.sess" localhost "${mine[@]}"
	check_resumed "listener b: TLS $v with the client certificate resumes on itself" \
		"$p_b" "$v" "$TMP/b$v.sess" localhost "${mine[@]}"
done
# Session IDs (session_tickets: false, the server-side cache): the same rule.
new_session "$(port_of ida)" 1.2 "$TMP/aid.sess" localhost -no_ticket
check_resumed "session_tickets: false: a session ID resumes on its own listener" \
	"$(port_of ida)" 1.2 "$TMP/aid.sess" localhost -no_ticket
new_session "$(port_of ida)" 1.2 "$TMP/aid.sess" localhost -no_ticket
check_not_resumed "TLS 1.2: a session ID from ida is not resumed on idb (verify_client: require)" \
	"$(port_of idb)" 1.2 "$TMP/aid.sess" localhost -no_ticket "${mine[@]}"

# ---- SNI: a session made for localhost (default certificate) is not resumed
# for a name that selects the SNI certificate, nor the other way round.
for v in 1.2 1.3; do
	new_session "$p_sni" "$v" "$TMP/sni-l$v.sess" localhost
	check_not_resumed "SNI, TLS $v: a session for localhost is not resumed for a.example.test" \
		"$p_sni" "$v" "$TMP/sni-l$v.sess" a.example.test
	check_match "... and a.example.test gets the example certificate" "$S_OUT" '^subject=.*CN ?= ?example\.test' 
	new_session "$p_sni" "$v" "$TMP/sni-l$v.sess" localhost
	check_resumed "SNI, TLS $v: a session for localhost resumes for localhost" "$p_sni" "$v" "$TMP/sni-l$v.sess" localhost
	new_session "$p_sni" "$v" "$TMP/sni-e$v.sess" a.example.test
	check_resumed "SNI, TLS $v: a session for a.example.test resumes for a.example.test" \
		"$p_sni" "$v" "$TMP/sni-e$v.sess" a.example.test
	new_session "$p_sni" "$v" "$TMP/sni-e$v.sess" a.example.test
	check_not_resumed "SNI, TLS $v: a session for a.example.test is not resumed for localhost" \
		"$p_sni" "$v" "$TMP/sni-e$v.sess" localhost
done
new_session "$(port_of snid)" 1.2 "$TMP/sni-id.sess" localhost -no_ticket
check_not_resumed "SNI, TLS 1.2: a session ID for localhost is not resumed for a.example.test" \
	"$(port_of snid)" 1.2 "$TMP/sni-id.sess" a.example.test -no_ticket

# ---- the echo listener resumes too.
new_session "$(port_of echo)" 1.3 "$TMP/echo.sess"
check_resumed "echo: TLS 1.3 resumes" "$(port_of echo)" 1.3 "$TMP/echo.sess"

# ---- a fleet: separate tlserve instances with the same ticket_key_file
# contents resume each other's sessions; with different keys they do not.
EX_PIDS=()
# start_extra CONF LOG — another instance beside the first; 0 when its
# listeners are up. Sets EX_PID.
start_extra() {
	local conf=$1 log=$2 i
	# shellcheck disable=SC2086 # the wrapper is a command line on purpose
	$TLSERVE_PREFIX $TLSERVE_WRAPPER "$TLSERVE_BIN" -c "$conf" >"$log.out" 2>"$log" &
	EX_PID=$!
	watch_log "$log"
	watch_log "$log.out"
	track_bg "$EX_PID"
	EX_PIDS+=("$EX_PID")
	for ((i = 0; i < START_TRIES; i++)); do
		[ "$(grep -c 'listening name=' "$log" 2>/dev/null)" -ge "$(_config_names "$conf" | wc -l)" ] && break
		kill -0 "$EX_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$EX_PID" 2>/dev/null && [ "$i" -lt "$START_TRIES" ]; then
		pass "another instance started ($(basename "$conf"))"
		return 0
	fi
	fail "another instance started ($(basename "$conf"))" "$(tail -n 10 "$log")"
	return 1
}
ex_port() {   # LOG NAME
	awk -v n="name=$2" '$0 ~ /listening/ && index($0, n " ") {
		for (i = 1; i <= NF; i++) if ($i ~ /^port=/) { print substr($i, 6); exit } }' "$1"
}
stop_extra() {   # PID DESC
	local i st
	kill -TERM "$1" 2>/dev/null
	for ((i = 0; i < 100 * SLOW; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1"
	st=$?
	check_eq "$2 exits with status 0 after SIGTERM" 0 "$st"
}

# The second instance: the same listener names and certificates (the session
# context), its own copies of the key files; pair has the two keys swapped.
conf2=$TMP/second.yaml
{
	printf 'workers: 1\n'
	printf 'log: {level: debug, error: stderr, access: %s}\n' "$TMP/access2.log"
	printf 'tls: {certificate: %s, key: %s}\n' "$CERTS/server.crt" "$CERTS/server.key"
	cat <<EOF
listeners:
  - {name: fleet, host: 127.0.0.1, port: 0, mode: files, root: $www, tls: {ticket_key_file: $TMP/fleet-copy.key}}
  - {name: pair, host: 127.0.0.1, port: 0, mode: files, root: $www, tls: {ticket_key_file: $TMP/qp.key}}
EOF
} >"$conf2"
conf3=$TMP/third.yaml
sed "s#$TMP/fleet-copy.key#$TMP/other.key#; s#$TMP/qp.key#$TMP/other.key#; s#access2#access3#" "$conf2" >"$conf3"

if start_extra "$conf2" "$TMP/second.log"; then
	pid2=$EX_PID
	p1_fleet=$(port_of fleet)
	p1_pair=$(port_of pair)
	p2_fleet=$(ex_port "$TMP/second.log" fleet)
	p2_pair=$(ex_port "$TMP/second.log" pair)
	for v in 1.2 1.3; do
		new_session "$p1_fleet" "$v" "$TMP/f1-$v.sess"
		check_resumed "fleet, TLS $v: a ticket from instance 1 resumes on instance 2 (same key file)" \
			"$p2_fleet" "$v" "$TMP/f1-$v.sess"
		new_session "$p2_fleet" "$v" "$TMP/f2-$v.sess"
		check_resumed "fleet, TLS $v: a ticket from instance 2 resumes on instance 1" \
			"$p1_fleet" "$v" "$TMP/f2-$v.sess"
		new_session "$p1_pair" "$v" "$TMP/p1-$v.sess"
		check_resumed "fleet, TLS $v: keys P,Q on instance 1 and Q,P on instance 2: 1's ticket (key P) resumes on 2" \
			"$p2_pair" "$v" "$TMP/p1-$v.sess"
		new_session "$p2_pair" "$v" "$TMP/p2-$v.sess"
		check_resumed "fleet, TLS $v: ... and 2's ticket (key Q) resumes on 1" \
			"$p1_pair" "$v" "$TMP/p2-$v.sess"
	done
	# ticket_key_file is re-read on SIGHUP: instance 2 now holds other keys.
	cp "$TMP/other.key" "$TMP/fleet-copy.key"
	new_session "$p1_fleet" 1.3 "$TMP/f1-hup.sess"
	n=$(grep -c 'reloaded' "$TMP/second.log")
	kill -HUP "$pid2"
	for ((i = 0; i < 50 * SLOW; i++)); do
		[ "$(grep -c 'reloaded\|reload failed\|reload refused' "$TMP/second.log")" -gt "$n" ] && break
		sleep 0.1
	done
	check_match "instance 2 reloads on SIGHUP" "$(tail -n 5 "$TMP/second.log")" "configuration reloaded"
	check_not_resumed "after SIGHUP with a new ticket_key_file, instance 1's tickets no longer resume on instance 2" \
		"$p2_fleet" 1.3 "$TMP/f1-hup.sess"
	stop_extra "$pid2" "instance 2"
fi

if start_extra "$conf3" "$TMP/third.log"; then
	pid3=$EX_PID
	p3_fleet=$(ex_port "$TMP/third.log" fleet)
	p3_pair=$(ex_port "$TMP/third.log" pair)
	for v in 1.2 1.3; do
		new_session "$(port_of fleet)" "$v" "$TMP/g1-$v.sess"
		check_not_resumed "fleet, TLS $v: a ticket from instance 1 is not resumed by an instance with other keys" \
			"$p3_fleet" "$v" "$TMP/g1-$v.sess"
		new_session "$(port_of pair)" "$v" "$TMP/g2-$v.sess"
		check_not_resumed "fleet, TLS $v: ... (two-key file vs other keys)" "$p3_pair" "$v" "$TMP/g2-$v.sess"
	done
	stop_extra "$pid3" "instance 3"
fi

# ---- a ticket_key_file of the wrong size is a configuration error with its position.
head -c 79 /dev/urandom >"$TMP/short.key"
bad=$TMP/bad.yaml
write_config "$bad" <<EOF
listeners:
  - name: https
    host: 127.0.0.1
    port: 0
    root: $www
    tls:
      ticket_key_file: $TMP/short.key
EOF
keyline=$(grep -n 'ticket_key_file:' "$bad" | cut -d: -f1)
out=$(run_tlserve -t -c "$bad" 2>&1)
check_eq "a 79-byte ticket_key_file: tlserve -t exits 1" 1 "$?"
check_match "... with FILE:LINE:COLUMN at its line ($keyline)" "$out" "^$(sed 's/[.[\*^$/]/\\&/g' <<<"$bad"):$keyline:[0-9]+: "

if server_alive; then pass "the server is still running"; else fail "the server is still running"; fi
finish
