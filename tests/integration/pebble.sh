# shellcheck shell=bash
# shellcheck disable=SC2034 # variables for the script that sources this file
# pebble.sh — sourced (after lib.sh) by the ACME scripts, never run by itself
# (tests/run.sh runs only tests/integration/[0-9][0-9]-*.sh): a local ACME CA.
#
# Debian's pebble (the Let's Encrypt test CA) with pebble-challtestsrv as its
# DNS server, so that every name resolves to 127.0.0.1 and the CA's
# validation authority connects to the server under test: to pebble's
# httpPort for http-01 and its tlsPort for tls-alpn-01. Validation is real
# (never PEBBLE_VA_ALWAYS_VALID) and pebble keeps rejecting 5 % of good nonces
# (PEBBLE_WFE_NONCEREJECT at its default): the client must retry badNonce.
# PEBBLE_VA_NOSLEEP=1 only removes pebble's random sleeps before validating.
#
#   pebble_ports            pick the loopback ports: PB_DNS, PB_CTS (the DNS
#                           server and its management port), TLS_PORT and
#                           HTTP_PORT (pebble's tlsPort and httpPort, where the
#                           server under test must listen)
#   pebble_api_cert         a throwaway CA ($PB_CA, for `acme: ca_file:` and
#                           curl --cacert) and the certificate of pebble's HTTPS
#                           API (IP:127.0.0.1, DNS:localhost)
#   challtestsrv_start      start the DNS server and wait until it answers
#   pebble_config TAG       pick the API and management ports of a pebble
#                           (PB_API_TAG, PB_MGMT_TAG) and write its configuration
#   pebble_start TAG        start it (pebble_config first if not done) and wait
#                           until its directory answers; PB_PID_TAG is its PID
#   pebble_dir TAG          its directory URL, https://127.0.0.1:PORT/dir
#   pebble_roots TAG FILE   its issuing root (/roots/0 on the management port)
#                           into FILE, and the intermediate into FILE.int
#   pebble_stop TAG         stop it by its PID (bounded wait)
# Every process started here is tracked (track_bg): the script's exit stops
# it. Only 127.0.0.1 is used; every wait is bounded.

PEBBLE=${PEBBLE:-pebble}
CHALLTESTSRV=${CHALLTESTSRV:-pebble-challtestsrv}
PB_USED=" "

# pebble_free_port VAR — set VAR to a loopback TCP port nobody listens on
# now and that no other port picked here has, below the ephemeral range (a
# port a client connection holds could not be bound). Bounded tries.
pebble_free_port() {
	local p i lo=32768
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null
	[ "${lo:-0}" -gt 11000 ] 2>/dev/null || lo=32768
	for ((i = 0; i < 50; i++)); do
		p=$((10000 + RANDOM % (lo - 10000)))
		case $PB_USED in *" $p "*) continue ;; esac
		# shellcheck disable=SC2016 # $1 is the inner shell's
		if ! timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1' _ "$p" 2>/dev/null; then
			PB_USED="$PB_USED$p "
			printf -v "$1" '%s' "$p"
			return 0
		fi
	done
	return 1
}

# pebble_ports — one check: the ports are found.
pebble_ports() {
	local v
	for v in PB_DNS PB_CTS TLS_PORT HTTP_PORT; do
		pebble_free_port "$v" || {
			fail "free loopback ports for pebble and tlserve"
			return 1
		}
	done
	pass "free loopback ports: DNS $PB_DNS, tlsPort $TLS_PORT, httpPort $HTTP_PORT"
}

# pebble_api_cert — one check. $PB_CA is the CA that signed pebble's API
# certificate ($PB_CERT, $PB_KEY).
pebble_api_cert() {
	local d=$TMP/pebble-api log
	mkdir -p "$d"
	PB_CA=$d/ca.pem
	PB_CERT=$d/cert.pem
	PB_KEY=$d/key.pem
	log=$d/openssl.log
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n' \
		>"$d/ext.cnf"
	if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca.key" \
		-out "$PB_CA" -days 2 -subj "/CN=tlserve test pebble API CA" >"$log" 2>&1 &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$PB_KEY" \
			-out "$d/leaf.csr" -subj "/CN=localhost" >>"$log" 2>&1 &&
		openssl x509 -req -in "$d/leaf.csr" -CA "$PB_CA" -CAkey "$d/ca.key" -CAcreateserial \
			-days 2 -extfile "$d/ext.cnf" -out "$PB_CERT" >>"$log" 2>&1; then
		pass "a throwaway CA and pebble's API certificate (IP:127.0.0.1, DNS:localhost)"
	else
		fail "a throwaway CA and pebble's API certificate" "$(excerpt "$log")"
	fi
}

# challtestsrv_start — one check: the DNS server (A queries answered with
# 127.0.0.1, no AAAA, no challenge servers of its own) is up and its
# management port answers HTTP.
challtestsrv_start() {
	local i code=000
	"$CHALLTESTSRV" -defaultIPv4 127.0.0.1 -defaultIPv6 "" -dns01 "127.0.0.1:$PB_DNS" \
		-http01 "" -https01 "" -tlsalpn01 "" -management "127.0.0.1:$PB_CTS" \
		>"$TMP/challtestsrv.log" 2>&1 &
	PB_CTS_PID=$!
	track_bg "$PB_CTS_PID"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$PB_CTS_PID" 2>/dev/null || break
		code=$(curl -s --max-time 2 --noproxy '*' -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PB_CTS/" 2>/dev/null)
		[ "$code" != 000 ] && break
		sleep 0.1
	done
	if [ "$code" != 000 ] && kill -0 "$PB_CTS_PID" 2>/dev/null; then
		pass "pebble-challtestsrv is up (DNS on 127.0.0.1:$PB_DNS)"
	else
		fail "pebble-challtestsrv is up (DNS on 127.0.0.1:$PB_DNS)" "$(excerpt "$TMP/challtestsrv.log")"
		return 1
	fi
}

# pebble_config TAG — pick TAG's ports and write its configuration.
pebble_config() {
	local tag=$1 api mgmt
	pebble_free_port api && pebble_free_port mgmt || return 1
	printf -v "PB_API_$tag" '%s' "$api"
	printf -v "PB_MGMT_$tag" '%s' "$mgmt"
	cat >"$TMP/pebble.$tag.json" <<EOF
{"pebble": {"listenAddress": "127.0.0.1:$api", "managementListenAddress": "127.0.0.1:$mgmt",
 "certificate": "$PB_CERT", "privateKey": "$PB_KEY", "httpPort": $HTTP_PORT, "tlsPort": $TLS_PORT,
 "ocspResponderURL": "", "externalAccountBindingRequired": false}}
EOF
}

# pebble_dir TAG — the directory URL of pebble TAG (configured, not
# necessarily started).
pebble_dir() {
	local v=PB_API_$1
	printf 'https://127.0.0.1:%s/dir' "${!v}"
}

# pebble_start TAG — one check: pebble TAG started and its directory answers
# through curl --cacert $PB_CA (bounded wait).
pebble_start() {
	local tag=$1 v=PB_API_$1 url i pid ok=0
	if [ -z "${!v:-}" ] && ! pebble_config "$tag"; then
		fail "pebble $tag: free ports"
		return 1
	fi
	url=$(pebble_dir "$tag")
	PEBBLE_VA_NOSLEEP=1 "$PEBBLE" -config "$TMP/pebble.$tag.json" -dnsserver "127.0.0.1:$PB_DNS" \
		>"$TMP/pebble.$tag.log" 2>&1 &
	pid=$!
	track_bg "$pid"
	printf -v "PB_PID_$tag" '%s' "$pid"
	for ((i = 0; i < 150; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		if curl -sS --max-time 2 --noproxy '*' --cacert "$PB_CA" -o "$TMP/pebble.$tag.dir" "$url" 2>/dev/null &&
			grep -q '"newOrder"' "$TMP/pebble.$tag.dir"; then
			ok=1
			break
		fi
		sleep 0.1
	done
	if [ "$ok" = 1 ]; then
		pass "pebble $tag is up: its directory $url answers (curl --cacert, newOrder listed)"
	else
		fail "pebble $tag is up: its directory $url answers (curl --cacert)" "$(excerpt "$TMP/pebble.$tag.log")"
		return 1
	fi
}

# pebble_roots TAG FILE — one check: pebble TAG's issuing root into FILE and
# its intermediate into FILE.int, both CA certificates.
pebble_roots() {
	local v=PB_MGMT_$1 f=$2 base
	base="https://127.0.0.1:${!v}"
	if curl -sS --max-time 10 --noproxy '*' --cacert "$PB_CA" -o "$f" "$base/roots/0" &&
		curl -sS --max-time 10 --noproxy '*' --cacert "$PB_CA" -o "$f.int" "$base/intermediates/0" &&
		openssl x509 -in "$f" -noout -ext basicConstraints 2>/dev/null | grep -q 'CA:TRUE' &&
		openssl verify -CAfile "$f" "$f.int" >/dev/null 2>&1; then
		pass "pebble $1's root and intermediate ($(openssl x509 -in "$f" -noout -subject 2>/dev/null))"
	else
		fail "pebble $1's root (/roots/0) and intermediate (/intermediates/0)" "$(excerpt "$f")"
		return 1
	fi
}

# pebble_stop TAG — stop pebble TAG by its PID (bounded; SIGKILL after 5 s).
pebble_stop() {
	local v=PB_PID_$1 pid
	pid=${!v:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	_wait_gone "$pid" 50 || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	printf -v "$v" '%s' ""
}

# pebble_dirid URL — the storage directory name tlserve uses for a directory
# URL: without "https://", every character outside [A-Za-z0-9.-] made '_'.
pebble_dirid() {
	local u=${1#https://}
	printf '%s' "${u//[^A-Za-z0-9.-]/_}"
}
