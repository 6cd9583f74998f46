#!/usr/bin/env bash
# bench/run.sh [--quick] [--count] [--timed] [--keep] — tlserve side by side
# with nginx, lighttpd and h2o (and Caddy in the HTTP/2 row) on this machine:
# one server core (CPU 0), one client core (CPU 1).
#
# Timed rows: every row is measured in BENCH_ROUNDS rounds (3; 5 for the
# figures of record), the servers interleaved (each round starts with the
# next server); each figure is the median of the rounds, with their min-max.
# In rows 1-4 and 8 the servers of the row run side by side and each one's
# run in a round is cut into BENCH_SLICES slices (5 of 2 s) taken in turns.
# Prints one markdown table on stdout (progress goes to stderr) and writes
# bench/results.md and bench/results.png. bench/README.md explains every
# row. A full run takes about 21 minutes (3 rounds).
#
#   --quick   a short smoke pass of every timed row (2 s runs, 1,000 idle
#             connections; about 5-6 minutes)
#   --count   the counted table instead of the timed rows: instructions
#             (valgrind --tool=callgrind) and system calls (strace -f -c) of
#             each server per keep-alive request, per full and per resumed
#             handshake + 1 request and per MiB, with a serial client;
#             written to stdout and bench/count.md (about 3-4 minutes)
#   --timed   with --count: the timed rows too (results.md then holds both
#             tables)
#   --keep    keep the work directory (configurations, logs, raw outputs)
#
# Environment: BENCH_SERVERS (default "tlserve nginx lighttpd h2o
# tlserve+metrics"; caddy may be added; tlserve+metrics, tlserve with a
# metrics listener scraped once a second, runs row 3's 1k.bin line only),
# BENCH_H2_SERVERS (row 8, HTTP/2: default "tlserve nginx lighttpd
# h2o caddy"), BENCH_ROWS (the timed rows to run, default "1 2 3 4 5 6 7 8";
# "8" alone is the HTTP/2 row), BENCH_ROUNDS (3), BENCH_SECONDS (run
# length), BENCH_SLICES (rows 1-4 and 8: 5, 1 with --quick), BENCH_IDLE (idle
# connections), BENCH_RETRIES (how often a run that other processes disturbed
# is measured again; 1, or 0 with --quick), BENCH_OUT (where results.md,
# results.png and count.md go; default bench/), BENCH_TLSERVE,
# BENCH_TLS_PIPE, BENCH_HOSTILE (the binaries measured; default ./tlserve,
# build/tools/tls_pipe, build/tools/hostile, built when missing);
# --count: BENCH_COUNT_KA (1000 requests, also the HTTP/2 requests),
# BENCH_COUNT_HS (100 connections, full and resumed), BENCH_COUNT_DL (1 download of
# BENCH_COUNT_MIB, 16 MiB): the small load, the large one is three times as
# much.
set -uo pipefail

# bash reads a script while it runs it: an edit or a checkout of this file
# during a half-hour run would make the rest of the run read other lines
# (a syntax error at the end loses every figure). So it runs from a copy,
# made here and removed once bash has it open.
if [ -z "${BENCH_SELF_COPY:-}" ]; then
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	self_copy=$(mktemp "${TMPDIR:-/tmp}/bench-run.XXXXXX") && cp "$here/run.sh" "$self_copy" ||
		{ echo "bench/run.sh: cannot copy itself to ${TMPDIR:-/tmp}" >&2; exit 1; }
	BENCH_SELF_COPY=$self_copy BENCH_HERE=$here exec bash "$self_copy" "$@"
fi
rm -f "$BENCH_SELF_COPY"
here=$BENCH_HERE
unset BENCH_SELF_COPY BENCH_HERE
root=$(cd "$here/.." && pwd)
prog="bench/run.sh"

quick=0 keep=0 count=0 timed=1 timed_asked=0
for arg in "$@"; do
	case $arg in
	--quick) quick=1 ;;
	--keep) keep=1 ;;
	--count) count=1 ;;
	--timed) timed_asked=1 ;;
	-h | --help)
		sed -n '2,41p' "$here/run.sh" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "$prog: unknown argument $arg (try --help)" >&2
		exit 2
		;;
	esac
done
[ "$count" = 1 ] && [ "$timed_asked" = 0 ] && timed=0

if [ "$quick" = 1 ]; then
	secs=${BENCH_SECONDS:-2} warm=0 idle_n=${BENCH_IDLE:-1000} speed_secs=1 echo_runs=1
else
	secs=${BENCH_SECONDS:-10} warm=1 idle_n=${BENCH_IDLE:-10000} speed_secs=3 echo_runs=10
fi
servers=${BENCH_SERVERS:-tlserve nginx lighttpd h2o tlserve+metrics}
# tlserve+metrics: the same tlserve and configuration plus a `mode: metrics`
# listener on 127.0.0.1, scraped once a second (curl, on the client's core)
# while it runs: what counting costs when it is used. It runs in row 3's
# 1k.bin line only, interleaved with the other servers; every other row and
# the counted table leave it out.
variant() { [ "$1" = tlserve+metrics ]; }
scrape_every=1      # tlserve+metrics: seconds between two scrapes
h2_servers=${BENCH_H2_SERVERS:-tlserve nginx lighttpd h2o caddy}
bench_rows=" ${BENCH_ROWS:-1 2 3 4 5 6 7 8} "
for r in $bench_rows; do
	case $r in [1-8]) ;; *) echo "$prog: BENCH_ROWS: no row $r (rows are 1 to 8)" >&2; exit 2 ;; esac
done
want_row() { [[ $bench_rows == *" $1 "* ]]; }
rounds=${BENCH_ROUNDS:-3}
case $rounds in '' | *[!0-9]* | 0) echo "$prog: BENCH_ROUNDS must be a positive integer" >&2; exit 2 ;; esac
out_dir=${BENCH_OUT:-$here}
hs_conc=32          # handshake rows: connections in flight
ka_conc=50          # keep-alive rows: wrk -c50
h2_conns=50 h2_streams=10  # row 8: h2load -c50 -m10
big_file_mib=100
# rows 1-4 and 8: each server's run in a round is cut into this many slices, the
# servers of the row taking turns (run_sliced); a slice lasts secs / slices
slices=${BENCH_SLICES:-$((quick ? 1 : 5))}
case $slices in '' | *[!0-9]* | 0) echo "$prog: BENCH_SLICES must be a positive integer" >&2; exit 2 ;; esac
slice_secs=$((secs / slices))
[ "$slice_secs" -ge 1 ] || { echo "$prog: BENCH_SLICES ($slices) must not exceed the run length in seconds ($secs)" >&2; exit 2; }
retries=${BENCH_RETRIES:-$((1 - quick))}  # a run disturbed by other processes is measured again (full: once)
# --count: the small loads (the large ones are count_mult times as much)
count_ka=${BENCH_COUNT_KA:-1000}   # keep-alive requests of 1k.bin on one connection
count_hs=${BENCH_COUNT_HS:-100}    # connections, each a full (hs) or resumed (rs) handshake + GET 1k.bin
count_dl=${BENCH_COUNT_DL:-1}      # downloads of the count file on one connection
count_mib=${BENCH_COUNT_MIB:-16}   # the count file's size
count_mult=3
for v in count_ka count_hs count_dl count_mib; do
	case ${!v} in '' | *[!0-9]* | 0) echo "$prog: BENCH_${v^^} must be a positive integer" >&2; exit 2 ;; esac
done

log() { printf '[bench +%ss] %s\n' "$SECONDS" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# ---------------------------------------------------------------- installs --

# Each need is COMMAND-OR-FILE:PACKAGE; a missing one is installed with
# apt-get, one package at a time so that one failure costs only its column.
apt_updated=0
install_missing() {
	local need what pkg missing=() sudo=""
	for need in "$@"; do
		what=${need%%:*} pkg=${need#*:}
		case $what in
		/*) [ -e "$what" ] && continue ;;
		*) command -v "$what" >/dev/null 2>&1 && continue ;;
		esac
		missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	command -v apt-get >/dev/null 2>&1 || {
		log "cannot install ${missing[*]}: no apt-get"
		return 0
	}
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || {
			log "not root and no sudo: cannot install ${missing[*]}"
			return 0
		}
		sudo=sudo
		log "using sudo to install packages: ${missing[*]}"
	else
		log "installing packages: ${missing[*]}"
	fi
	if [ "$apt_updated" = 0 ]; then
		$sudo apt-get update -qq >/dev/null 2>&1 || log "apt-get update failed"
		apt_updated=1
	fi
	for pkg in "${missing[@]}"; do
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$pkg" \
			>/dev/null 2>&1 || log "could not install $pkg"
	done
}

install_missing openssl:openssl wrk:wrk taskset:util-linux ss:iproute2 nginx:nginx \
	lighttpd:lighttpd /usr/lib/lighttpd/mod_openssl.so:lighttpd-mod-openssl h2o:h2o socat:socat \
	gnuplot:gnuplot-nox cc:gcc pkg-config:pkg-config h2load:nghttp2-client caddy:caddy curl:curl
[ "$count" = 1 ] && install_missing valgrind:valgrind strace:strace
"$root/scripts/deps.sh" build >&2 || die "scripts/deps.sh build failed"
# nginx and h2o are started directly, never as the Debian services; a
# service a package's postinst may have started is left alone (they listen on
# :80 only).

for c in openssl wrk taskset ss cc; do
	command -v "$c" >/dev/null 2>&1 || die "$c is required and could not be installed"
done
if [ "$count" = 1 ]; then
	for c in valgrind strace; do
		command -v "$c" >/dev/null 2>&1 || die "$c is required by --count and could not be installed"
	done
fi

have_peer() {
	case $1 in
	tlserve) return 0 ;;
	tlserve+metrics) command -v curl >/dev/null 2>&1 ;;
	nginx) command -v nginx >/dev/null 2>&1 ;;
	lighttpd) command -v lighttpd >/dev/null 2>&1 && [ -e /usr/lib/lighttpd/mod_openssl.so ] ;;
	h2o) command -v h2o >/dev/null 2>&1 ;;
	caddy) command -v caddy >/dev/null 2>&1 ;;
	socat) command -v socat >/dev/null 2>&1 ;;
	*) return 1 ;;
	esac
}

# ------------------------------------------------------------- work area ---

work=$(mktemp -d "${TMPDIR:-/tmp}/tlserve-bench.XXXXXX") || die "mktemp failed"
chmod 755 "$work"
mkdir -p "$work/bin" "$work/www" "$work/out" "$work/nginx"

running=()  # PIDs of every server and background client started here
forget_pid() {
	local p keep_pids=()
	for p in "${running[@]}"; do [ "$p" != "$1" ] && keep_pids+=("$p"); done
	running=("${keep_pids[@]}")
}
cleanup() {
	local p i
	for p in "${running[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for i in $(seq 50); do
		local alive=0
		for p in "${running[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	for p in "${running[@]}"; do kill -KILL "$p" 2>/dev/null; done
	if [ "$keep" = 1 ]; then
		log "kept the work directory $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Limits: 10,000 idle connections need about as many descriptors in the
# client and in the server. Root may raise the hard limit; otherwise the
# existing hard limit is what every process gets.
ulimit -Hn 65536 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
[ "$nofile" = unlimited ] && nofile=65536
[ "$nofile" -gt 65536 ] && nofile=65536
maxconn=$((nofile - 100))
[ "$maxconn" -gt 20000 ] && maxconn=20000
if [ $((idle_n + 100)) -gt "$nofile" ]; then
	log "open-file limit $nofile: row 6 opens $((nofile - 200)) idle connections instead of $idle_n"
	idle_n=$((nofile - 200))
fi

# CPU pinning: the server on CPU 0, the client on CPU 1.
if [ "$(nproc)" -ge 2 ] && taskset -c 1 true 2>/dev/null; then
	srv_cpu=0 cli_cpu=1
else
	log "fewer than two usable CPUs: server and client share CPU 0, figures are not comparable"
	srv_cpu=0 cli_cpu=0
fi
# The client prefers TLS_AES_128_GCM_SHA256 (as browsers do), so every server
# negotiates the same suite whether it honours the client's order or its own.
cat >"$work/client-openssl.cnf" <<'EOF'
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
Ciphersuites = TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256
EOF
# (Background processes are started with taskset directly, never through a
# function, so that $! is the process itself and not a subshell.)
on_client() { OPENSSL_CONF="$work/client-openssl.cnf" taskset -c "$cli_cpu" "$@"; }
# The counted table's client offers only TLS_AES_128_GCM_SHA256 and X25519,
# so every server negotiates exactly those (tlsload prints what it got).
cat >"$work/count-openssl.cnf" <<'EOF'
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
Ciphersuites = TLS_AES_128_GCM_SHA256
Groups = X25519
EOF
on_count_client() { OPENSSL_CONF="$work/count-openssl.cnf" taskset -c "$cli_cpu" "$@"; }
hz=$(getconf CLK_TCK)
kernel_hz() {  # the kernel's tick rate and CPU accounting, from its configuration
	local cfg
	cfg=$({ zcat /proc/config.gz || cat "/boot/config-$(uname -r)"; } 2>/dev/null |
		grep -E '^CONFIG_(HZ|TICK_CPU_ACCOUNTING|VIRT_CPU_ACCOUNTING_GEN|IRQ_TIME_ACCOUNTING)=')
	if [ -z "$cfg" ]; then
		echo "HZ unknown: no kernel configuration found"
		return
	fi
	printf 'HZ=%s, %s' "$(sed -n 's/^CONFIG_HZ=//p' <<<"$cfg")" \
		"$(grep -q VIRT_CPU_ACCOUNTING_GEN <<<"$cfg" && echo "VIRT_CPU_ACCOUNTING_GEN" || echo "tick-based accounting")"
}

# ----------------------------------------------------------------- builds ---

# make, retried: the server's sources may be mid-edit while this runs.
make_retry() {
	local i
	for i in 1 2 3; do
		make -C "$root" --no-print-directory "$@" >"$work/out/make.log" 2>&1 && return 0
		log "make $* failed (attempt $i); retrying in 60 s"
		tail -5 "$work/out/make.log" >&2
		sleep 60
	done
	return 1
}
# binary VAR DEFAULT MAKE_TARGET: the path in VAR when set (it must exist),
# else DEFAULT under the checkout, built when missing.
binary() {
	local given=${!1:-}
	if [ -n "$given" ]; then
		[ -x "$given" ] || die "$1=$given is not an executable file"
		printf '%s' "$given"
		return
	fi
	[ -x "$root/$2" ] || make_retry "$3" || die "cannot build $2"
	printf '%s' "$root/$2"
}
tlserve_bin=$(binary BENCH_TLSERVE tlserve tlserve) || exit 1
tls_pipe_bin=$(binary BENCH_TLS_PIPE build/tools/tls_pipe build/tools/tls_pipe) || exit 1
hostile_bin=$(binary BENCH_HOSTILE build/tools/hostile build/tools/hostile) || exit 1
log "measuring $tlserve_bin (tls_pipe: $tls_pipe_bin, hostile: $hostile_bin)"
# Copies, so that a rebuild during the run does not change what is measured.
cp "$tlserve_bin" "$work/bin/tlserve"
cp "$tls_pipe_bin" "$work/bin/tls_pipe"
cp "$hostile_bin" "$work/bin/hostile"
# shellcheck disable=SC2046
cc -O2 -std=c17 -D_GNU_SOURCE -Wall -Wextra -o "$work/bin/tlsload" "$here/tlsload.c" \
	$(pkg-config --cflags --libs openssl) || die "cannot build bench/tlsload.c"

# ------------------------------------------------------ certificates, files --

if ! "$root/scripts/make-certs.sh" "$work/certs" >/dev/null 2>"$work/out/certs.log"; then
	log "scripts/make-certs.sh failed; making a CA and a server certificate directly"
	mkdir -p "$work/certs"
	(
		cd "$work/certs" &&
			openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key &&
			openssl req -new -x509 -key ca.key -subj "/CN=bench CA" -days 30 -out ca.crt &&
			openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server.key &&
			openssl req -new -key server.key -subj "/CN=localhost" -out server.csr &&
			printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:false\n' >ext &&
			openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
				-extfile ext -out server.crt
	) >>"$work/out/certs.log" 2>&1 || die "cannot make certificates"
fi
chmod 644 "$work/certs"/*.key

log "generating the docroot (1k.bin, 64k.bin$([ "$timed" = 1 ] && { want_row 4 || want_row 5; } && echo ", ${big_file_mib}m.bin")$([ "$count" = 1 ] && echo ", ${count_mib}m.bin") of random bytes)"
head -c 1024 /dev/urandom >"$work/www/1k.bin"
head -c 65536 /dev/urandom >"$work/www/64k.bin"
[ "$timed" = 1 ] && { want_row 4 || want_row 5; } &&
	head -c $((big_file_mib * 1048576)) /dev/urandom >"$work/www/${big_file_mib}m.bin"
[ "$count" = 1 ] && [ ! -e "$work/www/${count_mib}m.bin" ] &&
	head -c $((count_mib * 1048576)) /dev/urandom >"$work/www/${count_mib}m.bin"
big="$work/www/${big_file_mib}m.bin"

ktls=no
grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null && ktls=yes

# ------------------------------------------------------------------ ports ---

next_port=27400
srv_port="" srv_pid=""
port_free() { ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
alloc_port() {  # VAR: the next free port on 127.0.0.1
	while ! port_free "$next_port"; do next_port=$((next_port + 1)); done
	printf -v "$1" '%s' "$next_port"
	next_port=$((next_port + 1))
}

# -------------------------------------------------------------- servers ---

# After start_server NAME: srv_pid (the process to stop), srv_cpu_pids (whose
# CPU time counts, with every descendant's: nginx's worker, h2o's neverbleed
# signing process), srv_rss_pids (whose RSS counts), srv_port (files, or the
# echo port for socat), srv_echo_port (tlserve), srv_check_port (nginx),
# srv_children (1: count reaped children's CPU too), srv_metrics_port and
# srv_scrape_log (tlserve+metrics: its metrics port, and the file the scrape
# loop writes each scrape's HTTP status to).
# srv_wrap: a command the server runs under (--count: valgrind); srv_wait:
# how long, in tenths of a second, a start or a stop may take; srv_h2=1: the
# configuration for row 8 (nginx's listen gets http2; the others offer h2 in
# every row, and the HTTP/1.1 rows' clients do not ask for it).
srv_wrap=() srv_wait=100 srv_h2=0
scrape_pid="" srv_metrics_port="" srv_scrape_log=""
subst() {  # TEMPLATE OUT KEY=VALUE...
	local in=$1 out=$2 kv args=()
	shift 2
	for kv in "$@"; do args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
	sed "${args[@]}" "$in" >"$out"
}

wait_listening() {  # PORT: until the server listens (10 s), or it died
	local i
	for i in $(seq "$srv_wait"); do
		kill -0 "$srv_pid" 2>/dev/null || return 1
		port_free "$1" || return 0
		sleep 0.1
	done
	return 1
}

start_server() {
	local name=$1 w
	srv_children=0 srv_echo_port="" srv_check_port="" srv_metrics_port="" srv_scrape_log=""
	alloc_port srv_port
	case $name in
	tlserve | tlserve+metrics)
		alloc_port srv_echo_port
		subst "$here/conf/tlserve.yaml.in" "$work/tlserve.yaml" DIR="$work" PORT="$srv_port" \
			ECHOPORT="$srv_echo_port" MAXCONN="$maxconn"
		if variant "$name"; then  # listeners: is the configuration's last key
			alloc_port srv_metrics_port
			printf '  - name: metrics\n    host: 127.0.0.1\n    port: %s\n    mode: metrics\n' \
				"$srv_metrics_port" >>"$work/tlserve.yaml"
		fi
		taskset -c "$srv_cpu" "${srv_wrap[@]}" "$work/bin/tlserve" -c "$work/tlserve.yaml" >>"$work/out/tlserve.out" 2>&1 &
		srv_pid=$!
		;;
	nginx)
		alloc_port srv_check_port
		local kd=""
		[ "$ktls" = yes ] && kd="ssl_conf_command Options KTLS;"
		subst "$here/conf/nginx.conf.in" "$work/nginx/nginx.conf" DIR="$work" PORT="$srv_port" \
			CHECKPORT="$srv_check_port" MAXCONN="$maxconn" NOFILE="$nofile" KTLS="$ktls" \
			KTLS_DIRECTIVE="$kd" HTTP2="$([ "$srv_h2" = 1 ] && echo http2)"
		taskset -c "$srv_cpu" "${srv_wrap[@]}" nginx -c "$work/nginx/nginx.conf" -p "$work/nginx/" -e "$work/nginx/error.log" \
			>>"$work/out/nginx.out" 2>&1 &
		srv_pid=$!
		;;
	lighttpd)
		local lk=""
		[ "$ktls" = yes ] && lk=', "Options" => "KTLS"'
		subst "$here/conf/lighttpd.conf.in" "$work/lighttpd.conf" DIR="$work" PORT="$srv_port" \
			MAXCONN=$((nofile / 2)) NOFILE="$nofile" LIGHTTPD_KTLS="$lk"
		taskset -c "$srv_cpu" "${srv_wrap[@]}" lighttpd -D -f "$work/lighttpd.conf" >>"$work/out/lighttpd.out" 2>&1 &
		srv_pid=$!
		;;
	h2o)
		subst "$here/conf/h2o.conf.in" "$work/h2o.conf" DIR="$work" PORT="$srv_port" MAXCONN="$maxconn"
		OPENSSL_CONF="$here/conf/h2o-openssl.cnf" taskset -c "$srv_cpu" "${srv_wrap[@]}" h2o -c "$work/h2o.conf" \
			>>"$work/out/h2o.out" 2>&1 &
		srv_pid=$!
		;;
	caddy)
		# Caddy's storage (it writes nothing with these settings) and
		# config autosave go to the work directory, not ~/.
		mkdir -p "$work/caddy"
		subst "$here/conf/Caddyfile.in" "$work/Caddyfile" DIR="$work" PORT="$srv_port"
		HOME="$work/caddy" XDG_DATA_HOME="$work/caddy" XDG_CONFIG_HOME="$work/caddy" GOMAXPROCS=1 \
			taskset -c "$srv_cpu" "${srv_wrap[@]}" caddy run --config "$work/Caddyfile" --adapter caddyfile \
			>>"$work/out/caddy.out" 2>&1 &
		srv_pid=$!
		;;
	socat)
		taskset -c "$srv_cpu" socat -b 16384 "OPENSSL-LISTEN:$srv_port,bind=127.0.0.1,reuseaddr,fork,backlog=1024,cert=$work/certs/server.crt,key=$work/certs/server.key,verify=0,openssl-min-proto-version=TLS1.3" PIPE \
			>>"$work/out/socat.out" 2>&1 &
		srv_pid=$!
		srv_children=1
		;;
	esac
	running+=("$srv_pid")
	srv_cpu_pids=$srv_pid srv_rss_pids=$srv_pid
	if ! wait_listening "$srv_port"; then
		log "$name did not start (see its log below)"
		tail -5 "$work/out/$name.out" "$work/nginx/error.log" "$work/lighttpd.err" "$work/tlserve.err" "$work/h2o.err" \
			2>/dev/null >&2
		stop_server
		return 1
	fi
	if [ "$name" = nginx ]; then  # the worker does the work; the master's CPU counts too (cpu_ticks)
		for w in $(seq "$srv_wait"); do
			w=$(pgrep -P "$srv_pid" | head -1)
			[ -n "$w" ] && break
			sleep 0.1
		done
		[ -n "$w" ] || { stop_server; return 1; }
		srv_rss_pids=$w
	fi
	[ -n "$srv_echo_port" ] && { wait_listening "$srv_echo_port" || { stop_server; return 1; }; }
	if [ -n "$srv_metrics_port" ]; then
		wait_listening "$srv_metrics_port" || { stop_server; return 1; }
		start_scrapes
	fi
	return 0
}

# tlserve+metrics: a Prometheus stand-in on the client's core that fetches
# /metrics every $scrape_every s for as long as the server runs (at most
# 3,600 scrapes), one line per scrape in srv_scrape_log: curl's HTTP status
# (000: no answer). stop_server ends it; a TERM ends the curl or sleep it
# waits for too.
start_scrapes() {
	srv_scrape_log="$work/out/scrapes-$srv_metrics_port.out"
	: >"$srv_scrape_log"
	# shellcheck disable=SC2016
	taskset -c "$cli_cpu" bash -c 'trap '\''kill "$c" 2>/dev/null; exit 0'\'' TERM
		c=""
		for i in $(seq 3600); do
			curl -s -m 2 -o /dev/null -w "%{http_code}\n" "http://127.0.0.1:$1/metrics" & c=$!
			wait "$c"
			sleep "$2" & c=$!
			wait "$c"
		done' _ "$srv_metrics_port" "$scrape_every" >>"$srv_scrape_log" 2>&1 &
	scrape_pid=$!
	running+=("$scrape_pid")
}
stop_scrapes() {
	[ -n "$scrape_pid" ] || return 0
	kill -TERM "$scrape_pid" 2>/dev/null
	wait "$scrape_pid" 2>/dev/null
	forget_pid "$scrape_pid"
	scrape_pid=""
}
# scrapes_done: how many scrapes the loop has made so far, and how many of
# them were not answered 200: "N BAD"
scrapes_done() {
	awk '{ n++ } $1 != "200" { bad++ } END { printf "%d %d", n, bad }' "$srv_scrape_log" 2>/dev/null || echo "0 0"
}

stop_server() {
	local i
	stop_scrapes
	srv_metrics_port="" srv_scrape_log=""
	[ -n "${srv_pid:-}" ] || return 0
	kill -TERM "$srv_pid" 2>/dev/null
	for i in $(seq $((srv_wait / 2))); do
		kill -0 "$srv_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
	forget_pid "$srv_pid"
	srv_pid=""
}

# utime + stime of the PIDs and of every process descended from them (all
# threads of each; found by walking the parent PIDs in /proc/*/stat, so
# nginx's worker and h2o's neverbleed signing process count), and of their
# reaped children when srv_children=1, in clock ticks: /proc/PID/stat fields
# 14, 15 (16, 17).
proc_stats() {  # every process: PID PPID UTIME+STIME CUTIME+CSTIME
	cat /proc/[0-9]*/stat 2>/dev/null |
		awk '{ pid = $1; sub(/.*\) /, ""); print pid, $2, $12 + $13, $14 + $15 }'
}
tree_pids() {  # PID...: the PIDs and all their descendants now alive
	proc_stats | awk -v roots="$*" '
		{ pp[$1] = $2 }
		END {
			n = split(roots, r, " ")
			for (i = 1; i <= n; i++) if (r[i] in pp) t[r[i]] = 1
			do {
				more = 0
				for (p in pp) if (!(p in t) && (pp[p] in t)) { t[p] = 1; more = 1 }
			} while (more)
			for (p in t) print p
		}'
}
cpu_ticks() {  # PID...: utime + stime of them and their descendants (+ reaped children)
	local pids
	pids=$(tree_pids "$@" | tr '\n' ' ')
	proc_stats | awk -v pids="$pids" -v reaped="$srv_children" '
		BEGIN { n = split(pids, r, " "); for (i = 1; i <= n; i++) t[r[i]] = 1 }
		$1 in t { s += $3 + (reaped == 1 ? $4 : 0) }
		END { print s + 0 }'
}
rss_kib() {
	local p t=0 v
	for p in "$@"; do
		v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null)
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

# Interference: the busy ticks of the two cores (/proc/stat) over a run,
# less the server's own on its core and the client's on its core, is what
# other processes took. A process's stime includes the loopback softirq work
# done in its context, which /proc/stat counts as irq/softirq: so busy here is
# user + nice + system + irq + softirq. Time the hypervisor gave to other
# guests (steal) counts as taken by others too. /proc/stat is tick-sampled
# (HZ times a second), so this is an estimate within a few points; the
# server's and the client's own times are exact (see bench/README.md).
# Call run_begin just before a client run and run_end after it.
core_busy() {  # CPU: busy + steal ticks so far
	awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}
run_begin() {
	rb_srv=$(core_busy "$srv_cpu") rb_cli=$(core_busy "$cli_cpu") rb_t=$(date +%s%N)
}
run_stop() {
	re_srv=$(core_busy "$srv_cpu") re_cli=$(core_busy "$cli_cpu") re_t=$(date +%s%N)
}
# busy_info SERVER_TICKS CLIENT_SECONDS SERVER_CORE_TICKS CLIENT_CORE_TICKS
# WALL_SECONDS: the text of run_info
busy_info() {
	printf 'server busy %.0f%%, client busy %.0f%%; other processes: %.0f%% of CPU %s, %.0f%% of CPU %s' \
		"$(calc "100 * $1 / $hz / $5")" "$(calc "100 * $2 / $5")" "$(calc "100 * ($3 - $1) / $hz / $5")" "$srv_cpu" \
		"$(calc "100 * ($4 / $hz - $2) / $5")" "$cli_cpu"
}
# run_end SERVER_TICKS CLIENT_SECONDS: sets run_info, and disturbed=1 when
# other processes took more than 10% of either core between run_begin and
# run_stop (the caller then measures again, up to $retries times).
run_end() {
	local st=$1 cs=$2 wall sb cb
	wall=$(calc "($re_t - $rb_t) / 1e9")
	sb=$((re_srv - rb_srv)) cb=$((re_cli - rb_cli))
	run_st=$st run_cs=$cs run_sb=$sb run_cb=$cb run_wall=$wall
	run_o0=$(calc "100 * ($sb - $st) / $hz / $wall")
	run_o1=$(calc "100 * ($cb / $hz - $cs) / $wall")
	run_info=$(busy_info "$st" "$cs" "$sb" "$cb" "$wall")
	disturbed=0
	if awk -v a="$run_o0" -v b="$run_o1" 'BEGIN { exit !(a > 10 || b > 10) }'; then
		disturbed=1
	fi
}
# Of several measurements the least disturbed one is kept: after each,
# keep_least_disturbed VAR... saves the named variables when this measurement
# is the best so far, and restore_kept puts the best one's back.
keep_least_disturbed() {
	local v d
	d=$(awk -v a="$run_o0" -v b="$run_o1" 'BEGIN { print (a > b) ? a : b }')
	if [ -z "${kept_d:-}" ] || awk -v d="$d" -v k="$kept_d" 'BEGIN { exit !(d < k) }'; then
		kept_d=$d kept_vars=("$@" run_info run_o0 run_o1 disturbed run_st run_cs run_sb run_cb run_wall)
		for v in "${kept_vars[@]}"; do kept["$v"]=${!v}; done
	fi
}
restore_kept() {
	local v
	for v in "${kept_vars[@]}"; do printf -v "$v" '%s' "${kept["$v"]}"; done
	kept_d=""
}
declare -A kept
kept_d="" kept_vars=()
retry_or_note() {  # ROW SERVER ATTEMPT: 0 = measure again, 1 = done (with restore_kept)
	if [ "$disturbed" = 0 ]; then
		restore_kept
		return 1
	elif [ "$3" -le "$retries" ]; then
		log "row $1, $2: other processes took $(printf '%.0f%%' "$run_o0") of CPU $srv_cpu and $(printf '%.0f%%' "$run_o1") of CPU $cli_cpu; measuring again"
		return 0
	fi
	restore_kept
	note "row $1, $2: other processes took $(printf '%.0f%%' "$run_o0") of the server's core and $(printf '%.0f%%' "$run_o1") of the client's during the run$([ "$3" -gt 1 ] && echo " (the least disturbed of $3 measurements)"): the figure is disturbed, run again on a quiet machine"
	return 1
}
# measure ROW SERVER SECONDS CMD...: CMD on the client core under timeout
# SECONDS and time(1), measured again while other processes disturbed it
# (up to $retries times); the kept run's output in out, its figures in
# run_* (run_end), and the metrics scrapes made meanwhile in m_scrapes and
# m_scrapes_bad (tlserve+metrics).
measure() {
	local row=$1 s=$2 secs=$3 attempt c0 c1 sc0="0 0" sc1="0 0"
	shift 3
	for attempt in $(seq $((retries + 1))); do
		[ -n "$srv_scrape_log" ] && sc0=$(scrapes_done)
		c0=$(cpu_ticks $srv_cpu_pids)
		run_begin
		out=$({ time on_client timeout "$secs" "$@" 2>&1; } 2>&1)
		run_stop
		c1=$(cpu_ticks $srv_cpu_pids)
		[ -n "$srv_scrape_log" ] && sc1=$(scrapes_done)
		run_end $((c1 - c0)) "$(client_secs "$out")"
		keep_least_disturbed out sc0 sc1
		retry_or_note "$row" "$s" "$attempt" || break
	done
	m_scrapes=$((${sc1% *} - ${sc0% *})) m_scrapes_bad=$((${sc1#* } - ${sc0#* }))
}
client_secs() { sed -n 's/^CLIENTCPU \([0-9.]*\) \([0-9.]*\)$/\1 \2/p' <<<"$1" | awk '{ s += $1 + $2 } END { printf "%.3f", s + 0 }'; }
TIMEFORMAT='CLIENTCPU %3U %3S'

# ------------------------------------------------------------- results ---

# val[KEY,SERVER] and det[KEY,SERVER] hold the figures of the current round;
# end_round moves them to rval[KEY,SERVER,ROUND] and rdet[...]; summarise
# puts each figure's median in val and its min and max in vmin and vmax.
declare -A val det rval rdet vmin vmax
round=0
notes=()
commands=()
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
kv() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1" | head -1; }
note() {
	local n=$*
	[ "$round" -gt 0 ] && n="round $round: $n"
	notes+=("$n")
	log "note: $n"
}
cmd_log() {  # ROW TEXT: each distinct command once, with ports as PORT
	local c="$1: $2" x
	for x in "${commands[@]}"; do [ "$x" = "$c" ] && return; done
	commands+=("$c")
}

# detail ROW SERVER TEXT: one line of the per-run table
detail() { det["$1,$2"]=$3; }

# ---------------------------------------------------------------- rows ---

# Rows 1-4 and 8 are sliced: the servers of a row run side by side, all on CPU
# $srv_cpu and each on its own ports, and take turns: $slices turns in which
# each is measured for $slice_secs s, the order reversed every other turn
# (A B C, C B A, A B C ...). What the machine does to one slice (another
# guest on the host, a slow stretch) then falls on every server alike, where
# one long run each left it to whichever server ran then. A server's figure
# in the round is the sum of its slices. A server waiting for its turn costs
# nothing measurable (sampled every 2 s, none moved by one 10 ms tick).
# srv_save/srv_load keep each running server's start_server variables;
# acc[ROW,SERVER,FIELD] sums its slices.
srv_vars=(srv_pid srv_port srv_echo_port srv_check_port srv_metrics_port srv_scrape_log scrape_pid
	srv_children srv_cpu_pids srv_rss_pids)
declare -A srv_state acc
srv_save() {
	local v
	for v in "${srv_vars[@]}"; do srv_state["$1,$v"]=${!v-}; done
}
srv_load() {
	local v
	for v in "${srv_vars[@]}"; do printf -v "$v" '%s' "${srv_state["$1,$v"]-}"; done
}
acc_int() { acc["$1,$2"]=$((${acc["$1,$2"]:-0} + ${3:-0})); }  # KEY FIELD N
acc_num() { acc["$1,$2"]=$(calc "${acc["$1,$2"]:-0} + ${3:-0}"); }
# acc_busy KEY: adds the kept measurement's times (run_end) to KEY's sums;
# acc_info KEY: run_info over all of KEY's slices.
acc_busy() {
	acc_int "$1" st "$run_st"
	acc_num "$1" cs "$run_cs"
	acc_int "$1" sb "$run_sb"
	acc_int "$1" cb "$run_cb"
	acc_num "$1" wall "$run_wall"
}
acc_info() {
	busy_info "${acc["$1,st"]:-0}" "${acc["$1,cs"]:-0}" "${acc["$1,sb"]:-0}" "${acc["$1,cb"]:-0}" "${acc["$1,wall"]:-1}"
}
# med_min_max NUMBERS: the median, least and greatest of the space-separated
# numbers ("0 0 0" for none)
med_min_max() {
	tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '
		{ a[NR] = $1 }
		END { if (!NR) { print 0, 0, 0; exit }
		      print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2, a[1], a[NR] }'
}
acc_median() {  # KEY FIELD: the median of the space-separated list
	local m
	read -r m _ <<<"$(med_min_max "${acc["$1,$2"]:-}")"
	echo "$m"
}

# run_sliced ROW KIND SERVER...: KIND hs (rows 1, 2), ka (3, 3b), dl (4) or h2 (8),
# each with KIND_prep (the warm-up after the start), KIND_slice (one slice,
# added to acc) and KIND_done (the round's figures from the sums, while the
# server still runs).
run_sliced() {
	local row=$1 kind=$2 s i st up=() turn=()
	shift 2
	acc=()
	for s in "$@"; do
		[ "$kind" = h2 ] && srv_h2=1  # nginx: the listener with http2
		start_server "$s"
		st=$?
		srv_h2=0
		if [ "$st" = 0 ]; then
			"${kind}_prep" "$row" "$s"
			srv_save "$s"
			up+=("$s")
		else
			note "$s did not start for row $row"
		fi
	done
	for i in $(seq "$slices"); do
		turn=()
		for s in "${up[@]}"; do
			if [ $((i % 2)) = 1 ]; then turn+=("$s"); else turn=("$s" "${turn[@]}"); fi
		done
		for s in "${turn[@]}"; do
			srv_load "$s"
			"${kind}_slice" "$row" "$s"
			srv_save "$s"
		done
	done
	for s in "${up[@]}"; do
		srv_load "$s"
		"${kind}_done" "$row" "$s"
		stop_server
	done
}
slice_text() {  # how a row's runs were cut, for the command lines
	[ "$slices" -gt 1 ] && echo "   (x$slices slices, servers taking turns)"
}

hs_mode() { if [ "$1" = 1 ]; then echo full; else echo resume; fi; }
hs_prep() {  # ROW SERVER
	[ "$warm" -gt 0 ] || return 0
	on_client timeout 30 "$work/bin/tlsload" "$(hs_mode "$1")" 127.0.0.1 "$srv_port" "$warm" "$hs_conc" /1k.bin \
		>/dev/null 2>&1
}
hs_slice() {  # ROW SERVER
	local row=$1 s=$2 key="$1,$2" mode out f ok rate
	mode=$(hs_mode "$row")
	measure "$row" "$s" $((slice_secs + 30)) "$work/bin/tlsload" "$mode" 127.0.0.1 "$srv_port" \
		"$slice_secs" "$hs_conc" /1k.bin
	ok=$(kv "$out" ok) rate=$(kv "$out" rate)
	if [ -z "$ok" ] || [ "$ok" = 0 ] || [ -z "$rate" ]; then
		acc["$key,failed"]="tlsload failed: $(grep -v '^CLIENTCPU' <<<"$out" | tail -1)"
		return
	fi
	for f in ok full resumed tls13 errors reoffered tickets; do acc_int "$key" "$f" "$(kv "$out" "$f")"; done
	acc_num "$key" secs "$(calc "$ok / $rate")"
	acc["$key,cipher"]=$(kv "$out" cipher) acc["$key,group"]=$(kv "$out" group)
	acc_busy "$key"
}
hs_done() {  # ROW SERVER
	local row=$1 s=$2 key="$1,$2" mode ok full resumed tls13 errs reoff tickets run_info
	mode=$(hs_mode "$row")
	cmd_log "$row" "taskset -c $cli_cpu tlsload $mode 127.0.0.1 PORT $slice_secs $hs_conc /1k.bin$(slice_text)"
	if [ -n "${acc["$key,failed"]:-}" ] || [ -z "${acc["$key,ok"]:-}" ]; then
		note "row $row, $s: ${acc["$key,failed"]:-no slice was measured}"
		return
	fi
	ok=${acc["$key,ok"]} full=${acc["$key,full"]} resumed=${acc["$key,resumed"]} tls13=${acc["$key,tls13"]}
	errs=${acc["$key,errors"]} reoff=${acc["$key,reoffered"]} tickets=${acc["$key,tickets"]}
	run_info=$(acc_info "$key")
	val["$row,$s"]=$(calc "$ok / ${acc["$key,secs"]}")
	val["${row}cpu,$s"]=$(calc "${acc["$key,st"]} * 1e6 / $hz / $ok")
	val["${row}tk,$s"]=$(calc "$tickets / $ok")
	detail "$row" "$s" "$(printf '%.0f/s; %s ok, %s full, %s resumed, %s TLS 1.3, %s errors, %s re-offered tickets, %.2f tickets received per connection; %s %s; %s; one saturated server core would do about %.0f/s' \
		"${val["$row,$s"]}" "$ok" "$full" "$resumed" "$tls13" "$errs" "$reoff" "${val["${row}tk,$s"]}" \
		"${acc["$key,cipher"]}" "${acc["$key,group"]}" "$run_info" \
		"$(calc "(${val["${row}cpu,$s"]} > 0) ? 1e6 / ${val["${row}cpu,$s"]} : 0")")"
	if [ "$mode" = full ] && [ "$tickets" != "$ok" ]; then
		note "row $row, $s sent $tickets session tickets on $ok connections (expected one each: every server is set to NumTickets 1)"
	fi
	if [ "$mode" = full ] && [ "$resumed" != 0 ]; then
		note "row $row, $s: $resumed handshakes were resumed (expected none)"
	fi
	# (Each slice's tlsload first collects $hs_conc tickets with full
	# handshakes it does not count; the server's time for them is in the
	# slice's: under 1% of it.)
	if [ "$mode" = resume ] && [ $((resumed * 100)) -lt $(((full + resumed) * 99)) ]; then
		note "row $row, $s: only $resumed of $((full + resumed)) handshakes resumed"
	fi
	if [ "$mode" = resume ] && [ $((reoff * 2)) -gt "$ok" ]; then
		note "row $row, $s sends no fresh ticket on a resumed connection: $reoff of $ok connections re-offered an already used ticket (a client that uses each TLS 1.3 ticket once, as RFC 8446 C.4 asks and browsers and OpenSSL do, would make every other handshake a full one)"
	fi
	[ "$tls13" != $((full + resumed)) ] && note "row $row, $s: $((full + resumed - tls13)) handshakes were not TLS 1.3"
	[ $((errs * 100)) -gt "$ok" ] && note "row $row, $s: $errs errors for $ok connections"
}

ka_path() { if [ "$1" = 3 ]; then echo /1k.bin; else echo /64k.bin; fi; }
wrk_warm() {  # PATH CONNECTIONS
	[ "$warm" -gt 0 ] || return 0
	on_client timeout 30 wrk -t1 -c"$2" -d"${warm}s" --timeout 10s "https://127.0.0.1:$srv_port$1" >/dev/null 2>&1
}
# wrk_slice KEY SERVER PATH CONNECTIONS: one wrk run of $slice_secs s, added
# to acc[KEY,...] (KEY is the table row: 3, 3b, 4c1, 4c4)
wrk_slice() {
	local key=$1 s=$2 path=$3 conns=$4 out line reqs bytes f
	measure "$key" "$s" $((slice_secs + 30)) wrk -t1 -c"$conns" -d"${slice_secs}s" --latency \
		--timeout 10s -s "$here/report.lua" "https://127.0.0.1:$srv_port$path"
	line=$(grep '^WRKRESULT' <<<"$out")
	reqs=$(kv "$line" requests) bytes=$(kv "$line" bytes)
	if [ -z "$reqs" ] || [ -z "$bytes" ] || [ "$bytes" = 0 ]; then
		acc["$key,$s,failed"]="wrk failed: $(grep -v '^CLIENTCPU' <<<"$out" | tail -2 | tr '\n' ' ')"
		return
	fi
	acc_int "$key,$s" requests "$reqs"
	acc_int "$key,$s" bytes "$bytes"
	acc_int "$key,$s" dur "$(kv "$line" duration_us)"
	for f in connect read write status timeout; do acc_int "$key,$s" "$f" "$(kv "$line" "$f")"; done
	acc["$key,$s,p50s"]+="$(kv "$line" p50_us) " acc["$key,$s,p99s"]+="$(kv "$line" p99_us) "
	acc_int "$key,$s" scrapes "$m_scrapes"
	acc_int "$key,$s" scrapes_bad "$m_scrapes_bad"
	acc_busy "$key,$s"
}
# wrk_sums KEY SERVER PATH CONNECTIONS: 0 and wrk_* set from the sums, or a
# note and 1
wrk_sums() {
	local key=$1 s=$2 k="$1,$2" errs
	cmd_log "$key" "taskset -c $cli_cpu wrk -t1 -c$4 -d${slice_secs}s --latency --timeout 10s -s bench/report.lua https://127.0.0.1:PORT$3$(slice_text)"
	if [ -n "${acc["$k,failed"]:-}" ] || [ -z "${acc["$k,requests"]:-}" ]; then
		note "row $key, $s: ${acc["$k,failed"]:-no slice was measured}"
		return 1
	fi
	errs=$((acc["$k,connect"] + acc["$k,read"] + acc["$k,write"] + acc["$k,status"] + acc["$k,timeout"]))
	[ "$errs" -gt 0 ] && note "row $key, $s: wrk counted $errs errors (connect=${acc["$k,connect"]} read=${acc["$k,read"]} write=${acc["$k,write"]} status=${acc["$k,status"]} timeout=${acc["$k,timeout"]})"
	wrk_reqs=${acc["$k,requests"]} wrk_bytes=${acc["$k,bytes"]} wrk_dur=${acc["$k,dur"]} wrk_ticks=${acc["$k,st"]}
	wrk_p50=$(acc_median "$k" p50s) wrk_p99=$(acc_median "$k" p99s)
	run_info=$(acc_info "$k")
	return 0
}

ka_prep() { wrk_warm "$(ka_path "$1")" "$ka_conc"; }  # ROW SERVER
ka_slice() { wrk_slice "$1" "$2" "$(ka_path "$1")" "$ka_conc"; }
ka_done() {  # ROW SERVER
	local row=$1 s=$2 run_info scrapes="" bad counted=""
	wrk_sums "$row" "$s" "$(ka_path "$row")" "$ka_conc" || return
	# tlserve+metrics: the scrapes made during its slices, and how many
	# requests with code 200 the files listener had counted by the end
	# (warm-ups included, so at least as many as wrk completed).
	if [ -n "$srv_scrape_log" ]; then
		scrapes=${acc["$row,$s,scrapes"]} bad=${acc["$row,$s,scrapes_bad"]}
		counted=$(curl -s -m 5 "http://127.0.0.1:$srv_metrics_port/metrics" |
			awk '$1 == "tlserve_http_requests_total{listener=\"files\",code=\"200\"}" { print $2 }')
		cmd_log "$row" "taskset -c $cli_cpu curl -s -m 2 -o /dev/null http://127.0.0.1:METRICSPORT/metrics   (tlserve+metrics: every ${scrape_every} s while the server runs)"
	fi
	val["$row,$s"]=$(calc "$wrk_reqs / ($wrk_dur / 1e6)")
	val["${row}cpu,$s"]=$(calc "$wrk_ticks * 1e6 / $hz / $wrk_reqs")
	# wrk is closed-loop: at saturation its latency is the time a request
	# waits in the client's own queue, so it is shown here but not compared.
	detail "$row" "$s" "$(printf '%.0f req/s (%s requests, %.1f MiB), closed-loop p50 %.2f ms p99 %.2f ms%s; %s%s' \
		"${val["$row,$s"]}" "$wrk_reqs" "$(calc "$wrk_bytes / 1048576")" "$(calc "$wrk_p50 / 1000")" \
		"$(calc "$wrk_p99 / 1000")" "$([ "$slices" -gt 1 ] && echo " (medians of the slices)")" "$run_info" \
		"$([ -n "$scrapes" ] && printf '; %s scrapes of /metrics during its slices (%s not answered 200), %s requests with code 200 counted by the end' \
			"$scrapes" "$bad" "${counted:-none}")")"
	if [ -n "$scrapes" ]; then
		# a slice of N s sees N-1 to N+1 scrapes
		[ "$scrapes" -ge $((slices * (slice_secs / scrape_every - 1))) ] ||
			note "row $row, $s: only $scrapes scrapes of /metrics in $slices slices of ${slice_secs} s (one every ${scrape_every} s expected)"
		[ "$bad" = 0 ] || note "row $row, $s: $bad scrapes of /metrics were not answered 200"
		if [ -z "$counted" ] || [ "$counted" -lt "$wrk_reqs" ]; then
			note "row $row, $s: the metrics counted ${counted:-no} requests with code 200, wrk completed $wrk_reqs"
		fi
	fi
}

# Row 4: each slice downloads over one connection, then over four.
dl_prep() { wrk_warm "/${big_file_mib}m.bin" 1; }  # ROW SERVER
dl_slice() {  # ROW SERVER
	local conns
	for conns in 1 4; do wrk_slice "4c$conns" "$2" "/${big_file_mib}m.bin" "$conns"; done
}
dl_done() {  # ROW SERVER
	local s=$2 conns row run_info
	for conns in 1 4; do
		row=4c$conns
		wrk_sums "$row" "$s" "/${big_file_mib}m.bin" "$conns" || continue
		val["$row,$s"]=$(calc "$wrk_bytes / 1048576 / ($wrk_dur / 1e6)")
		val["${row}cpu,$s"]=$(calc "$wrk_ticks * 1e6 / $hz / ($wrk_bytes / 1048576)")
		detail "$row" "$s" "$(printf '%.0f MiB/s (%.0f MiB in %.1f s, %s complete responses); %s' \
			"${val["$row,$s"]}" "$(calc "$wrk_bytes / 1048576")" "$(calc "$wrk_dur / 1e6")" "$wrk_reqs" "$run_info")"
	done
}

run_echo() {  # SERVER: tlserve's echo listener or socat PIPE; 100 MiB each way, echo_runs times
	local s=$1 port c0 c1 t0 t1 i out bad=0 ticks secs_total cs=0 attempt
	start_server "$s" || { note "$s did not start for row 5"; return; }
	port=$srv_port
	[ "$s" = tlserve ] && port=$srv_echo_port
	for attempt in $(seq $((retries + 1))); do
		bad=0 cs=0
		c0=$(cpu_ticks $srv_cpu_pids)
		run_begin
		t0=$(date +%s%N)
		for i in $(seq "$echo_runs"); do
			out=$({ time on_client timeout 120 bash -c '"$1" -v 1.3 127.0.0.1 "$2" "$3" <"$4" | cmp - "$4" 2>&1;
				echo "rc=${PIPESTATUS[0]},${PIPESTATUS[1]}"' _ "$work/bin/tls_pipe" "$port" \
				"$work/certs/ca.crt" "$big" 2>&1; } 2>&1)
			cs=$(calc "$cs + $(client_secs "$out")")
			out=$(grep -v '^CLIENTCPU' <<<"$out")
			case $out in
			*rc=*,0) ;;
			*) bad=1 ;;
			esac
			[ "${out##*rc=}" != "0,0" ] && detail 5x "$s" "tls_pipe/cmp: $(tr '\n' ' ' <<<"$out")"
		done
		t1=$(date +%s%N)
		run_stop
		sleep 0.5  # socat: let the parent reap the connection's child
		c1=$(cpu_ticks $srv_cpu_pids)
		run_end $((c1 - c0)) "$cs"
		keep_least_disturbed out c0 c1 t0 t1 bad
		retry_or_note 5 "$s" "$attempt" || break
	done
	stop_server
	cmd_log 5 "taskset -c $cli_cpu tls_pipe -v 1.3 127.0.0.1 PORT ca.crt < ${big_file_mib}m.bin | cmp - ${big_file_mib}m.bin   (x$echo_runs)"
	if [ "$bad" = 1 ]; then
		note "row 5, $s: the echoed stream differed from what was sent: $(tr '\n' ' ' <<<"$out")"
		return
	fi
	ticks=$((c1 - c0))
	secs_total=$(calc "($t1 - $t0) / 1e9")
	val["5,$s"]=$(calc "$echo_runs * $big_file_mib / $secs_total")
	val["5cpu,$s"]=$(calc "$ticks * 1e6 / $hz / ($echo_runs * $big_file_mib)")
	detail 5 "$s" "$(printf '%.0f MiB/s (%d x %d MiB each way in %.2f s, bytes verified with cmp); %s' \
		"${val["5,$s"]}" "$echo_runs" "$big_file_mib" "$secs_total" "$run_info")"
}

run_idle() {  # SERVER
	local s=$1 r0 r1 cpid i out est alive
	start_server "$s" || { note "$s did not start for row 6"; return; }
	sleep 1
	r0=$(rss_kib $srv_rss_pids)
	OPENSSL_CONF="$work/client-openssl.cnf" taskset -c "$cli_cpu" "$work/bin/tlsload" idle 127.0.0.1 "$srv_port" \
		"$idle_n" 64 120 >"$work/out/idle-$s.out" 2>&1 &
	cpid=$!
	running+=("$cpid")
	for i in $(seq 1200); do
		grep -q established "$work/out/idle-$s.out" && break
		kill -0 "$cpid" 2>/dev/null || break
		sleep 0.1
	done
	sleep 1
	r1=$(rss_kib $srv_rss_pids)
	kill -USR1 "$cpid" 2>/dev/null
	for i in $(seq 100); do
		kill -0 "$cpid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	forget_pid "$cpid"
	stop_server
	cmd_log 6 "taskset -c $cli_cpu tlsload idle 127.0.0.1 PORT $idle_n 64 120   (VmRSS before and after; SIGUSR1 ends it)"
	out=$(cat "$work/out/idle-$s.out")
	est=$(kv "$out" established) alive=$(sed -n 's/.*alive=\([0-9]*\).*/\1/p' <<<"$out")
	if [ -z "$est" ] || [ "$est" = 0 ]; then
		note "row 6, $s: no idle connection established: $(tail -1 <<<"$out")"
		return
	fi
	val["6,$s"]=$(calc "($r1 - $r0) / $est")
	detail 6 "$s" "$(printf '%s established (%s errors), %s still open after the RSS reading; VmRSS %d -> %d KiB' \
		"$est" "$(kv "$out" errors)" "${alive:-?}" "$r0" "$r1")"
	[ "$est" -lt "$idle_n" ] && note "row 6, $s: only $est of $idle_n idle connections were established"
	[ -n "$alive" ] && [ "$alive" -lt "$est" ] && note "row 6, $s closed $((est - alive)) of the idle connections before the end"
}

# Row 7: a normal client's latency (new connection, full handshake, one GET
# of 1k.bin each) while attackers hold 500 slowloris connections (a request
# head trickled a byte a second) and 500 that complete the handshake and
# then say nothing. Attackers and the client share the client core.
run_attack() {  # SERVER
	local s=$1 a1 a2 out i n_att
	n_att=$([ "$quick" = 1 ] && echo 100 || echo 500)
	start_server "$s" || { note "$s did not start for row 7"; return; }
	on_client "$work/bin/hostile" -p "$srv_port" -c "$work/certs/ca.crt" -t 60 slowloris "$n_att" \
		>"$work/out/att1-$s.out" 2>&1 &
	a1=$!
	on_client "$work/bin/hostile" -p "$srv_port" -c "$work/certs/ca.crt" -t 60 silent-tls "$n_att" \
		>"$work/out/att2-$s.out" 2>&1 &
	a2=$!
	running+=("$a1" "$a2")
	for i in $(seq 300); do
		grep -q 'ready' "$work/out/att1-$s.out" && grep -q 'ready' "$work/out/att2-$s.out" && break
		sleep 0.1
	done
	out=$(on_client "$work/bin/hostile" -p "$srv_port" -c "$work/certs/ca.crt" -t 60 latency 300 /1k.bin 2>&1 |
		grep '^hostile: mode=latency')
	kill "$a1" "$a2" 2>/dev/null
	wait "$a1" "$a2" 2>/dev/null
	forget_pid "$a1"
	forget_pid "$a2"
	stop_server
	cmd_log 7 "taskset -c $cli_cpu hostile -p PORT -t 60 slowloris $n_att & hostile silent-tls $n_att & hostile latency 300 /1k.bin"
	val["7,$s"]=$(kv "$out" p99_ms)
	val["7p50,$s"]=$(kv "$out" p50_ms)
	detail 7 "$s" "$(printf '%s; attackers: %s | %s' "$out" \
		"$(grep -a '^hostile: ready' "$work/out/att1-$s.out" | tail -1)" \
		"$(grep -a '^hostile: ready' "$work/out/att2-$s.out" | tail -1)")"
	[ "$(kv "$out" failed)" = 0 ] || note "row 7, $s: some normal requests failed under attack: $out"
}

# Row 8: HTTP/2. h2load (one thread) holds $h2_conns connections with
# $h2_streams requests in flight on each, every one a GET of /1k.bin. A 1 s
# run (h2load -D 1, also the warm-up) gives the server's rate; the measured
# runs (slices) then ask for a fixed count, about $slice_secs seconds' worth (-n), so that
# every request counted was completed and the server's CPU time is divided by
# exactly the requests it served. The client offers only
# TLS_AES_128_GCM_SHA256 and X25519 (and ALPN h2, http/1.1), so every server
# negotiates the same; h2load prints what it got.
h2load_tls=(--tls13-ciphers=TLS_AES_128_GCM_SHA256 --groups=X25519)
h2load_res() {  # OUTPUT: "rate succeeded failed errored 2xx" from h2load's summary
	awk '
		/^finished in / { for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^req\/s/) rate = $i }
		/^requests: / { for (i = 2; i <= NF; i++) { v[$(i + 1)] = $i } }
		/^status codes: / { s2 = $3 }
		END { gsub(/,/, "", rate); printf "%s %s %s %s %s\n", rate + 0, v["succeeded,"] + 0, v["failed,"] + 0, v["errored,"] + 0, s2 + 0 }' <<<"$1"
}
h2load_tls_seen() {  # OUTPUT: "cipher group alpn" of h2load's first connection
	printf '%s %s %s' "$(sed -n 's/^Cipher: //p' <<<"$1" | head -1)" \
		"$(sed -n 's/^Server Temp Key: \([^ ]*\).*/\1/p' <<<"$1" | head -1)" \
		"$(sed -n 's/^Application protocol: //p' <<<"$1" | head -1)"
}
# Row 8 is sliced too: h2_prep checks h2 and measures the server's rate
# (the 1 s h2load run, also its warm-up); each slice then asks for a fixed
# count of about $slice_secs s at that rate.
h2_prep() {  # ROW SERVER
	local s=$2 cal rate batch
	h2_n["$s"]=""
	cal=$(on_client timeout 30 h2load -c "$h2_conns" -m "$h2_streams" -D 1 "${h2load_tls[@]}" \
		"https://127.0.0.1:$srv_port/1k.bin" 2>&1)
	if [ "$(sed -n 's/^Application protocol: //p' <<<"$cal" | head -1)" != h2 ]; then
		acc["8,$s,failed"]="no HTTP/2 (h2load: $(grep -v '^progress' <<<"$cal" | grep -iE 'protocol|error|fail|negotiat' | head -2 | tr '\n' ' '))"
		return
	fi
	read -r rate _ <<<"$(h2load_res "$cal")"
	batch=$((h2_conns * h2_streams))
	h2_n["$s"]=$(awk -v r="$rate" -v s="$slice_secs" -v b="$batch" 'BEGIN { n = r * s; if (n < 20 * b) n = 20 * b; printf "%.0f", int((n + b - 1) / b) * b }')
}
h2_slice() {  # ROW SERVER
	local s=$2 key="8,$2" n=${h2_n["$2"]} url="https://127.0.0.1:$srv_port/1k.bin" out rate ok failed errored s2
	[ -n "$n" ] && [ -z "${acc["$key,failed"]:-}" ] || return 0
	measure 8 "$s" $((slice_secs * 5 + 30)) h2load -c "$h2_conns" -m "$h2_streams" -n "$n" \
		"${h2load_tls[@]}" "$url"
	read -r rate ok failed errored s2 <<<"$(h2load_res "$out")"
	if [ "$ok" != "$n" ] || [ "$s2" != "$n" ]; then
		acc["$key,failed"]="h2load: $ok of $n requests succeeded ($failed failed, $errored errored, $s2 with 2xx): $(grep -v -e '^CLIENTCPU' -e '^progress' <<<"$out" | grep -iE 'error|fail|goaway|refused|^requests' | head -3 | tr '\n' ' ')"
		return
	fi
	acc_int "$key" ok "$n"
	acc_num "$key" secs "$(calc "($rate > 0) ? $n / $rate : 0")"
	acc["$key,tls"]=$(h2load_tls_seen "$out")
	acc_busy "$key"
}
h2_done() {  # ROW SERVER
	local s=$2 key="8,$2" n tls run_info
	cmd_log 8 "taskset -c $cli_cpu h2load -c$h2_conns -m$h2_streams -n N ${h2load_tls[*]} https://127.0.0.1:PORT/1k.bin   (N: ${slice_secs} s at the rate of an h2load -D 1 run after the start)$(slice_text)"
	if [ -n "${acc["$key,failed"]:-}" ] || [ -z "${acc["$key,ok"]:-}" ]; then
		note "row 8, $s: ${acc["$key,failed"]:-no slice was measured}"
		return
	fi
	n=${acc["$key,ok"]} tls=${acc["$key,tls"]}
	run_info=$(acc_info "$key")
	val["8,$s"]=$(calc "$n / ${acc["$key,secs"]}")
	val["8cpu,$s"]=$(calc "${acc["$key,st"]} * 1e6 / $hz / $n")
	detail 8 "$s" "$(printf '%.0f req/s (%s requests, all 2xx, on %s connections x %s streams); %s; %s; one saturated server core would do about %.0f/s' \
		"${val["8,$s"]}" "$n" "$h2_conns" "$h2_streams" "$tls" "$run_info" \
		"$(calc "(${val["8cpu,$s"]} > 0) ? 1e6 / ${val["8cpu,$s"]} : 0")")"
	[ "$tls" = "TLS_AES_128_GCM_SHA256 X25519 h2" ] || note "row 8, $s negotiated $tls (expected TLS_AES_128_GCM_SHA256 X25519 h2)"
}
declare -A h2_n

# The "no resumption" check on the server's side: nginx logs
# $ssl_session_reused for each request on its check port.
verify_resumption() {
	local out1 out2 dots rs
	have_peer nginx || return
	start_server nginx || return
	on_client timeout 20 "$work/bin/tlsload" full 127.0.0.1 "$srv_check_port" 1 8 /1k.bin >/dev/null 2>&1
	sleep 0.3
	out1=$(sort "$work/nginx/reuse.log" | uniq -c | tr -s ' ' | tr '\n' ';')
	: >"$work/nginx/reuse.log"
	on_client timeout 20 "$work/bin/tlsload" resume 127.0.0.1 "$srv_check_port" 1 8 /1k.bin >/dev/null 2>&1
	sleep 0.3
	out2=$(sort "$work/nginx/reuse.log" | uniq -c | tr -s ' ' | tr '\n' ';')
	stop_server
	resumption_check="nginx's \`\$ssl_session_reused \$ssl_protocol\` log (\`.\` = full, \`r\` = resumed): tlsload full:$out1 tlsload resume:$out2"
	dots=$(grep -o '[0-9]* \. TLSv1.3' <<<"$out1" | cut -d' ' -f1)
	rs=$(grep -o '[0-9]* r TLSv1' <<<"$out1" | cut -d' ' -f1)
	[ -n "$rs" ] && note "tlsload full resumed $rs sessions on nginx: row 1 is not all full handshakes"
	[ -z "$dots" ] && note "resumption check inconclusive: $out1"
	log "resumption check: $resumption_check"
}

# The ticket check: how many NewSessionTicket messages each server sends
# after a full handshake and after a resumed one, as openssl s_client -msg
# shows them (every server is set to one; OpenSSL's default is two).
count_tickets() {  # PORT [SESS_IN]: sends one GET and reads to the close
	local in=()
	[ -n "${2:-}" ] && in=(-sess_in "$2")
	printf 'GET /1k.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
		on_client timeout 10 openssl s_client -connect "127.0.0.1:$1" -servername localhost -tls1_3 \
			-msg -ign_eof -sess_out "$work/out/ticket.sess" "${in[@]}" >"$work/out/ticket.msg" 2>&1 ||
		true
	printf '%s ticket(s)%s' "$(grep -c '^<<< .*NewSessionTicket' "$work/out/ticket.msg")" \
		"$(grep -q '^Reused, TLSv1.3' "$work/out/ticket.msg" && echo ' (resumed)' || echo '')"
}
verify_tickets() {
	local s full res
	for s in "${peers[@]}"; do
		start_server "$s" || continue
		rm -f "$work/out/ticket.sess"
		full=$(count_tickets "$srv_port")
		cp "$work/out/ticket.sess" "$work/out/ticket.first" 2>/dev/null
		res=$(count_tickets "$srv_port" "$work/out/ticket.first")
		stop_server
		ticket_check+="${ticket_check:+; }$s: $full on a full handshake, $res on a resumed one"
		grep -q '^1 ticket' <<<"$full" || note "$s sent $full after a full handshake (expected 1)"
	done
	log "ticket check: $ticket_check"
}

# end_round: file this round's figures under its number.
end_round() {
	local k
	for k in "${!val[@]}"; do rval["$k,$round"]=${val["$k"]}; done
	for k in "${!det[@]}"; do rdet["$k,$round"]=${det["$k"]}; done
	val=() det=()
}

# summarise: val = median of the rounds, vmin/vmax = their range.
summarise() {
	local k key r v vs med lo hi
	declare -A seen
	for k in "${!rval[@]}"; do seen["${k%,*}"]=1; done
	for key in "${!seen[@]}"; do
		vs=""
		for r in $(seq "$rounds"); do
			v=${rval["$key,$r"]:-}
			[ -n "$v" ] && vs+="$v "
		done
		[ -n "$vs" ] || continue
		read -r med lo hi <<<"$(med_min_max "$vs")"
		val["$key"]=$med vmin["$key"]=$lo vmax["$key"]=$hi
	done
}

# rotate N WORD...: the words, starting with the (N mod count)-th.
rotate() {
	local n=$1
	shift
	local w=("$@") i
	for i in $(seq 0 $((${#w[@]} - 1))); do printf '%s ' "${w[$(((i + n) % ${#w[@]}))]}"; done
}

# ------------------------------------------------------------ --count ---

# The counted table: what each server executes and asks of the kernel per
# operation, figures a busy machine cannot blur. Each load runs against a
# fresh server, once small (count_ka requests, count_hs connections,
# count_dl downloads) and once count_mult times as large; the difference
# divided by the difference in operations is the cost of one, the start-up,
# shutdown and first-connection costs cancel out.
#   callgrind: the server under valgrind --tool=callgrind, every process it
#     forks followed (nginx's worker, h2o's neverbleed signing process), one
#     output file per process; the instructions of all of them are summed.
#   strace: strace -f -c attached (-p) to every process of the running server
#     just before the client starts and detached (SIGINT) after it ends; the
#     calls of all processes and threads are summed.
declare -A cnt cntdet
count_notes=()
count_note() { count_notes+=("$*"); log "note: $*"; }

# count_load TOOL SERVER LOAD MULT: runs one load against a fresh server
# under TOOL, sets cnt[TOOL,SERVER,LOAD,MULT] to the total instructions or
# system calls, and cntdet[...] to what the client reported.
count_load() {
	local tool=$1 s=$2 load=$3 m=$4 dir n path mode pids p spid args=() out total i st c g a
	dir="$work/count/$tool-$s-$load-$m"
	mkdir -p "$dir"
	case $load in
	ka) mode=ka n=$((count_ka * m)) path=/1k.bin ;;
	hs) mode=hs n=$((count_hs * m)) path=/1k.bin ;;
	rs) mode=rs n=$((count_hs * m)) path=/1k.bin ;;
	dl) mode=ka n=$((count_dl * m)) path=/${count_mib}m.bin ;;
	h2) mode=h2 n=$((count_ka * m)) path=/1k.bin ;;
	esac
	[ "$load" = h2 ] && srv_h2=1
	if [ "$tool" = callgrind ]; then
		# h2o's crash handler (a perl script waiting on a pipe) is not followed.
		srv_wrap=(valgrind --tool=callgrind --trace-children=yes
			"--trace-children-skip=*/perl,*/annotate-backtrace-symbols"
			"--callgrind-out-file=$dir/callgrind.out.%p" "--log-file=$dir/valgrind.log.%p")
		srv_wait=1200
	fi
	start_server "$s"
	st=$?
	srv_wrap=() srv_h2=0
	if [ "$st" != 0 ]; then
		srv_wait=100
		count_note "$s did not start under $tool for the $load load"
		return 1
	fi
	if [ "$tool" = strace ]; then
		pids=$(tree_pids "$srv_pid")
		for p in $pids; do args+=(-p "$p"); done
		strace -f -c -o "$dir/strace.txt" "${args[@]}" 2>"$dir/strace.err" &
		spid=$!
		running+=("$spid")
		for i in $(seq 100); do
			[ "$(grep -c 'attached' "$dir/strace.err")" -ge "$(wc -w <<<"$pids")" ] && break
			sleep 0.1
		done
		sleep 0.2
	fi
	pids=$(tree_pids "$srv_pid")
	if [ "$mode" = h2 ]; then
		# One connection, $count_h2_streams streams in flight: the HTTP/2
		# analogue of tlsload's serial keep-alive client.
		out=$(on_count_client timeout 900 h2load -c 1 -m "$count_h2_streams" -n "$n" "${h2load_tls[@]}" \
			"https://127.0.0.1:$srv_port$path" 2>&1)
		local r ok failed errored s2
		read -r r ok failed errored s2 <<<"$(h2load_res "$out")"
		read -r c g a <<<"$(h2load_tls_seen "$out")"
		out="H2LOAD ok=$([ "$s2" = "$ok" ] && echo "$ok" || echo "$ok(${s2}x2xx)") errors=$((failed + errored)) cipher=${c:-none} group=$(tr 'A-Z' 'a-z' <<<"${g:-none}") alpn=${a:-none} cert=not-shown seconds=$(sed -n 's/^finished in \([0-9.]*\)\(m*s\),.*/\1\2/p' <<<"$out")"
	else
		out=$(on_count_client timeout 900 "$work/bin/tlsload" "$mode" 127.0.0.1 "$srv_port" "$n" "$path" 2>&1)
	fi
	if [ "$tool" = strace ]; then
		kill -INT "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		forget_pid "$spid"
	fi
	stop_server
	# Every process of the server (callgrind: the forked ones write their
	# output as they exit, after the one stop_server waited for).
	for i in $(seq "$srv_wait"); do
		local alive=0
		for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	srv_wait=100
	if [ "$mode" = h2 ]; then
		cmd_log "count" "taskset -c $cli_cpu h2load -c1 -m$count_h2_streams -n $n ${h2load_tls[*]} https://127.0.0.1:PORT$path   (server under $tool)"
	else
		cmd_log "count" "taskset -c $cli_cpu tlsload $mode 127.0.0.1 PORT $n $path   (server under $tool)"
	fi
	cntdet["$tool,$s,$load,$m"]=$(grep -E '^(TLSLOAD|H2LOAD)' <<<"$out")
	if [ "$(kv "$out" ok)" != "$n" ] || [ "$(kv "$out" errors)" != 0 ]; then
		count_note "$s, $load x$n under $tool: the client failed: $(tr '\n' ' ' <<<"$out")"
		return 1
	fi
	if [ "$load" = rs ] && [ "$(kv "$out" resumed)" != $((n - 1)) ]; then
		count_note "$s, $load x$n under $tool: $(kv "$out" resumed) of the $((n - 1)) handshakes that offered a ticket were resumed"
		return 1
	fi
	if [ "$tool" = callgrind ]; then
		total=$(cat "$dir"/callgrind.out.* 2>/dev/null | awk '/^totals:/ { s += $2; n++ } END { if (n) printf "%.0f", s }')
	else
		total=$(awk '$NF == "total" { print $4 }' "$dir/strace.txt" 2>/dev/null)
	fi
	if [ -z "$total" ]; then
		count_note "$s, $load x$n: no $tool total (see $dir)"
		return 1
	fi
	cnt["$tool,$s,$load,$m"]=$total
	log "  $s $load x$n under $tool: $total $([ "$tool" = callgrind ] && echo instructions || echo "system calls") ($(kv "$out" seconds) s)"
}

# count_per KEY TOOL SERVER LOAD OPS: (large - small) / (OPS * (mult - 1))
count_per() {
	local a=${cnt["$2,$3,$4,1"]:-} b=${cnt["$2,$3,$4,$count_mult"]:-}
	[ -n "$a" ] && [ -n "$b" ] && cval["$1,$3"]=$(calc "($b - $a) / ($5 * ($count_mult - 1))")
}

declare -A cval
count_cols=()  # the table's columns: tlserve first, then the peers as given
# h2_counted SERVER: whether --count measures its HTTP/2 requests (h2load is
# installed and SERVER is one of BENCH_H2_SERVERS).
h2_counted() {
	local p
	for p in "${h2_peers[@]}"; do [ "$p" = "$1" ] && return 0; done
	return 1
}
count_h2_streams=10
run_count() {
	local s tool load m det c g alpn cert
	for s in "${peers[@]}"; do [ "$s" = tlserve ] && count_cols+=("$s"); done
	for s in "${peers[@]}"; do [ "$s" != tlserve ] && [ "$s" != socat ] && count_cols+=("$s"); done
	for s in "${count_cols[@]}"; do
		for tool in callgrind strace; do
			log "counting $s under $tool"
			for load in ka hs rs dl h2; do
				[ "$load" = h2 ] && ! h2_counted "$s" && continue
				for m in 1 "$count_mult"; do count_load "$tool" "$s" "$load" "$m"; done
			done
			local pre=i
			[ "$tool" = strace ] && pre=s
			count_per "${pre}ka" "$tool" "$s" ka "$count_ka"
			count_per "${pre}hs" "$tool" "$s" hs "$count_hs"
			count_per "${pre}rs" "$tool" "$s" rs "$count_hs"
			count_per "${pre}dl" "$tool" "$s" dl "$((count_dl * count_mib))"
			count_per "${pre}h2" "$tool" "$s" h2 "$count_ka"
		done
		# What was negotiated: every client run is checked.
		for det in "${!cntdet[@]}"; do
			[[ $det == *",$s,"* ]] || continue
			c=$(kv "${cntdet[$det]}" cipher) g=$(kv "${cntdet[$det]}" group)
			# h2load (the h2 load) does not show the certificate.
			if [[ $det == *,h2,* ]]; then
				alpn=h2 cert=not-shown
			else
				alpn=http/1.1 cert=EC-prime256v1
			fi
			if [ "$c" != TLS_AES_128_GCM_SHA256 ] || [ "$g" != x25519 ] ||
				[ "$(kv "${cntdet[$det]}" alpn)" != "$alpn" ] || [ "$(kv "${cntdet[$det]}" cert)" != "$cert" ]; then
				count_note "$s ($det): negotiated $c, $g, ALPN $(kv "${cntdet[$det]}" alpn), certificate $(kv "${cntdet[$det]}" cert)"
			fi
		done
		cneg["$s"]=$(for det in "${!cntdet[@]}"; do [[ $det == *",$s,"* ]] && sed 's/.* cipher=/cipher=/' <<<"${cntdet[$det]}"; done | sort | uniq -c | sed 's/^ *//' | tr '\n' ';' | sed 's/;$//')
	done
}
declare -A cneg

# fmt_count VALUE KIND: instructions as 21.1 k / 2.524 M, calls with decimals
fmt_count() {
	[ -z "$1" ] && { echo n/a; return; }
	case $2 in
	i) awk -v v="$1" 'BEGIN { if (v >= 1e6) printf "%.3f M", v / 1e6; else printf "%.1f k", v / 1e3 }' ;;
	s2) awk -v v="$1" 'BEGIN { printf "%.2f", v }' ;;
	*) awk -v v="$1" 'BEGIN { printf "%.1f", v }' ;;
	esac
}

count_table() {
	local r k kind label s line best v t
	echo "| per operation (counted: $count_ka/$((count_ka * count_mult)) requests, $count_hs/$((count_hs * count_mult)) connections, $((count_dl * count_mib))/$((count_dl * count_mib * count_mult)) MiB) | $(for s in "${count_cols[@]}"; do printf '%s | ' "$(peer_title "$s")"; done)best peer ÷ tlserve (>1: tlserve better) |"
	echo "| --- |$(for s in "${count_cols[@]}"; do printf ' ---: |'; done) ---: |"
	for r in "ika|i|instructions / keep-alive request (1k.bin)" "ihs|i|instructions / full handshake + 1 request" \
		"irs|i|instructions / resumed handshake + 1 request" \
		"idl|i|instructions / MiB (${count_mib}m.bin)" "ska|s2|system calls / keep-alive request" \
		"shs|s1|system calls / handshake connection" "srs|s1|system calls / resumed handshake connection" \
		"sdl|s1|system calls / MiB" \
		"ih2|i|instructions / HTTP/2 request (1k.bin, 1 connection, $count_h2_streams streams in flight)" \
		"sh2|s2|system calls / HTTP/2 request"; do
		IFS='|' read -r k kind label <<<"$r"
		line="| $label" best=""
		for s in "${count_cols[@]}"; do
			line+=" | $(fmt_count "${cval["$k,$s"]:-}" "$kind")"
			[ "$s" = tlserve ] && continue
			v=${cval["$k,$s"]:-}
			[ -z "$v" ] && continue
			if [ -z "$best" ] || awk -v v="$v" -v b="$best" 'BEGIN { exit !(v < b) }'; then best=$v; fi
		done
		t=${cval["$k,tlserve"]:-}
		if [ -n "$t" ] && [ -n "$best" ] && awk -v t="$t" 'BEGIN { exit !(t > 0) }'; then
			line+=" | $(calc "$best / $t" | awk '{ printf "%.2f", $1 }') |"
		else
			line+=" | n/a |"
		fi
		echo "$line"
	done
}

count_details() {
	local s tool load m
	echo "| server | tool | load | small | large | client (large load) |"
	echo "| --- | --- | --- | ---: | ---: | --- |"
	for s in "${count_cols[@]}"; do
		for tool in callgrind strace; do
			for load in ka hs rs dl h2; do
				echo "| $s | $tool | $load | ${cnt["$tool,$s,$load,1"]:-n/a} | ${cnt["$tool,$s,$load,$count_mult"]:-n/a} | ${cntdet["$tool,$s,$load,$count_mult"]:-} |"
			done
		done
	done
}

peer_title() {  # SERVER: the column title with the version
	case $1 in
	nginx) echo "nginx $(nginx -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')" ;;
	lighttpd) echo "lighttpd $(lighttpd -v 2>/dev/null | sed -n 's|^lighttpd/\([0-9.]*\).*|\1|p')" ;;
	h2o) echo "h2o $(h2o -v 2>/dev/null | awk 'NR == 1 { print $3 }')" ;;
	*) echo "$1" ;;
	esac
}

count_report() {  # the count.md text
	echo "Counted per operation by \`bench/run.sh --count\` (bench/README.md, \"The counted table\"): one serial client (bench/tlsload.c \`ka\`/\`hs\`/\`rs\`), offering only TLS_AES_128_GCM_SHA256, X25519 and ALPN http/1.1, and for the HTTP/2 lines h2load \`-c1 -m$count_h2_streams\` (one connection, $count_h2_streams streams in flight, ALPN h2); ECDSA P-256 certificate for all. Each figure is (large load − small load) ÷ the operations between them, each load against a fresh server."
	echo
	echo "$count_table_text"
	echo
	echo "- instructions: \`valgrind --tool=callgrind --trace-children=yes\` ($(valgrind --version 2>/dev/null)), the totals of every process of the server summed (nginx master + worker, h2o + its neverbleed signing process)"
	echo "- system calls: \`strace -f -c\` ($(strace -V 2>/dev/null | awk 'NR == 1 { print $NF }')) attached to every process and thread of the running server for the client run"
	echo "- negotiated (every client run): $(for s in "${count_cols[@]}"; do printf '%s: %s; ' "$s" "${cneg[$s]:-n/a}"; done | sed 's/; $//')"
	echo "- counting took ${count_elapsed} s"
	if [ ${#count_notes[@]} -gt 0 ]; then
		echo
		echo "Notes:"
		echo
		for n in "${count_notes[@]}"; do echo "- $n"; done
	fi
	echo
	echo "Raw totals (instructions or system calls of the whole server run):"
	echo
	count_details
}

# ------------------------------------------------------------------ run ---

resumption_check="(nginx not available: not checked on the server side)"
ticket_check=""
start_time=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
if [ "$timed" = 1 ]; then
	log "mode: $([ "$quick" = 1 ] && echo quick || echo full), $rounds rounds, ${secs} s runs, $idle_n idle connections, servers: $servers, work dir $work"
else
	log "mode: counted only, servers: $servers, work dir $work"
fi

# peers: the servers of every row; ka_peers: row 3's 1k.bin line, the same
# plus tlserve+metrics, in BENCH_SERVERS's order.
peers=() ka_peers=()
for s in $servers; do
	if ! have_peer "$s"; then
		note "$s is not installed$(variant "$s" && echo " (curl)"): its column is n/a"
		continue
	fi
	ka_peers+=("$s")
	variant "$s" || peers+=("$s")
done

echo_peers=()
if want_row 5; then
	for s in tlserve socat; do
		if have_peer "$s"; then echo_peers+=("$s"); else note "$s is not installed: row 5 column is n/a"; fi
	done
fi

h2_peers=()
if want_row 8 || [ "$count" = 1 ]; then
	if command -v h2load >/dev/null 2>&1; then
		for s in $h2_servers; do
			if have_peer "$s"; then h2_peers+=("$s"); else note "$s is not installed: its row 8 column is n/a"; fi
		done
	else
		note "h2load (nghttp2-client) is not installed: row 8 and the counted HTTP/2 line are n/a"
	fi
fi

verify_tickets
count_table_text=""
if [ "$count" = 1 ]; then
	count_start=$(date +%s)
	run_count
	count_elapsed=$(($(date +%s) - count_start))
	count_table_text=$(count_table)
	mkdir -p "${BENCH_OUT:-$here}"
	{
		echo "# tlserve counted benchmark"
		echo
		echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(uname -srm)"
		echo "- OpenSSL: $(openssl version); tlserve: $("$work/bin/tlserve" -V 2>&1 | head -1 | tr -d '\n'), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null)$(git -C "$root" diff --quiet HEAD -- src include 2>/dev/null || echo ' with uncommitted changes in src/ or include/')"
		echo "- ticket check: ${ticket_check:-not run}"
		echo
		count_report
	} >"${BENCH_OUT:-$here}/count.md"
	echo "$count_table_text"
	if [ "$timed" = 0 ]; then
		log "wrote ${BENCH_OUT:-$here}/count.md in $(($(date +%s) - start_time)) s"
		exit 0
	fi
	echo
fi
{ want_row 1 || want_row 2; } && verify_resumption

# Rounds: every row for every server, then again; each round starts with the
# next server, so that no server always runs first (or right after a given
# other) and a slow drift of the machine spreads over all of them.
orders=()
for round in $(seq "$rounds"); do
	read -r -a order <<<"$(rotate $((round - 1)) "${peers[@]}")"
	kaorder=()
	[ ${#ka_peers[@]} -gt 0 ] && read -r -a kaorder <<<"$(rotate $((round - 1)) "${ka_peers[@]}")"
	eorder=()
	[ ${#echo_peers[@]} -gt 0 ] && read -r -a eorder <<<"$(rotate $((round - 1)) "${echo_peers[@]}")"
	h2order=()
	[ ${#h2_peers[@]} -gt 0 ] && read -r -a h2order <<<"$(rotate $((round - 1)) "${h2_peers[@]}")"
	orders+=("round $round: ${order[*]}$(want_row 3 && [ ${#kaorder[@]} -gt ${#order[@]} ] && echo ", row 3 1k.bin: ${kaorder[*]}")$(want_row 8 && [ ${#h2order[@]} -gt 0 ] && echo ", row 8: ${h2order[*]}")")
	log "round $round of $rounds, servers in the order ${order[*]}"
	if want_row 1; then
		log "row 1: full TLS 1.3 handshakes"
		run_sliced 1 hs "${order[@]}"
	fi
	if want_row 2; then
		log "row 2: resumed TLS 1.3 handshakes"
		run_sliced 2 hs "${order[@]}"
	fi
	if want_row 3; then
		log "row 3: keep-alive requests, 1k.bin and 64k.bin$([ ${#kaorder[@]} -gt ${#order[@]} ] && echo "; 1k.bin in the order ${kaorder[*]}")"
		run_sliced 3 ka "${kaorder[@]}"
		run_sliced 3b ka "${order[@]}"
	fi
	if want_row 4; then
		log "row 4: ${big_file_mib} MiB download, 1 and 4 connections"
		run_sliced 4 dl "${order[@]}"
	fi
	if want_row 5; then
		log "row 5: echo of a ${big_file_mib} MiB stream"
		for s in "${eorder[@]}"; do run_echo "$s"; done
	fi
	if want_row 6; then
		log "row 6: RSS with $idle_n idle TLS connections"
		for s in "${order[@]}"; do run_idle "$s"; done
	fi
	if want_row 7; then
		log "row 7: a normal client's latency under a slowloris + silent-connection attack"
		for s in "${order[@]}"; do run_attack "$s"; done
	fi
	if want_row 8 && [ ${#h2order[@]} -gt 0 ]; then
		log "row 8: HTTP/2 requests, 1k.bin, $h2_conns connections x $h2_streams streams, servers in the order ${h2order[*]}"
		run_sliced 8 h2 "${h2order[@]}"
	fi
	end_round
done
round=0
summarise

log "crypto ceiling: openssl speed"
speed1=$(taskset -c "$srv_cpu" openssl speed -seconds "$speed_secs" ecdsap256 ecdhx25519 2>/dev/null)
speed2=$(taskset -c "$srv_cpu" openssl speed -seconds "$speed_secs" -evp aes-128-gcm -bytes 16384 2>/dev/null)
sign=$(awk '/ecdsa \(nistp256\)/ {print $(NF-1)}' <<<"$speed1")
verify=$(awk '/ecdsa \(nistp256\)/ {print $NF}' <<<"$speed1")
x25519=$(awk '/ecdh \(X25519\)/ {print $NF}' <<<"$speed1")
aes=$(awk '/^AES-128-GCM/ {v = $NF; sub(/k$/, "", v); printf "%.0f", v * 1000 / 1048576}' <<<"$speed2")
elapsed=$(($(date +%s) - start_time))

# ---------------------------------------------------------------- report ---

# Rows: key|direction (h: higher is better, l: lower)|label|chart label
rows=(
	"1|h|1. full TLS 1.3 handshakes/s, new connection per request (higher is better)|1 full hs/s"
	"1cpu|l|1. server CPU µs per full handshake (lower is better)|1 CPU/hs"
	"2|h|2. resumed TLS 1.3 handshakes/s (higher is better)|2 resumed hs/s"
	"2cpu|l|2. server CPU µs per resumed handshake (lower is better)|2 CPU/hs"
	"3|h|3. keep-alive requests/s, 1k.bin, $ka_conc connections (higher is better)|3 1k req/s"
	"3cpu|l|3. server CPU µs per request, 1k.bin (lower is better)|3 CPU/req"
	"3b|h|3b. keep-alive requests/s, 64k.bin, $ka_conc connections (higher is better)|3b 64k req/s"
	"3bcpu|l|3b. server CPU µs per request, 64k.bin (lower is better)|3b CPU/req"
	"4c1|h|4. MiB/s, ${big_file_mib}m.bin, 1 connection (higher is better)|4 MiB/s x1"
	"4c1cpu|l|4. server CPU µs per MiB, 1 connection (lower is better)|4 CPU/MiB x1"
	"4c4|h|4. MiB/s, ${big_file_mib}m.bin, 4 connections (higher is better)|4 MiB/s x4"
	"4c4cpu|l|4. server CPU µs per MiB, 4 connections (lower is better)|4 CPU/MiB x4"
	"5|h|5. echo MiB/s, ${big_file_mib} MiB stream each way; socat is a reference, not a peer (higher is better)|5 echo MiB/s"
	"5cpu|l|5. echo server CPU µs per MiB; socat a reference (lower is better)|5 CPU/MiB"
	"6|l|6. server RSS KiB per idle TLS connection, $idle_n connections (lower is better)|6 KiB/idle conn"
	"7p50|l|7. p50 ms of a normal client (new connection per GET) under slowloris + silent TLS connections, 500 of each (100 with --quick) (lower is better)|7 p50 attacked"
	"7|l|7. p99 ms of that client under attack (lower is better)|7 p99 attacked"
	"8|h|8. HTTP/2 requests/s, 1k.bin, h2load $h2_conns connections x $h2_streams streams (higher is better)|8 h2 req/s"
	"8cpu|l|8. server CPU µs per HTTP/2 request, 1k.bin (lower is better)|8 h2 CPU/req"
)
# Only the rows run (BENCH_ROWS): a row's number is its key's leading digits.
all_rows=("${rows[@]}")
rows=()
for r in "${all_rows[@]}"; do
	k=${r%%|*}
	want_row "${k%%[!0-9]*}" && rows+=("$r")
done
# The table's columns: tlserve+metrics beside tlserve when it ran (its cells
# outside row 3's 1k.bin line are "—", not measured); the chart leaves it out.
cols=(tlserve)
for s in "${ka_peers[@]}"; do variant "$s" && want_row 3 && cols+=("$s"); done
cols+=(nginx lighttpd h2o caddy socat)
chart_cols=(tlserve nginx lighttpd h2o caddy socat)

fmt() {  # VALUE KEY
	local v=$1 k=$2
	[ -z "$v" ] && { echo "n/a"; return; }
	case $k in
	1 | 2 | 3 | 3b | 4c1 | 4c4 | 5 | 8) awk -v v="$v" 'BEGIN { printf "%.0f", v }' ;;
	1tk | 2tk) awk -v v="$v" 'BEGIN { printf "%.2f", v }' ;;
	*) awk -v v="$v" 'BEGIN { printf "%.1f", v }' ;;
	esac
}

# cell KEY SERVER: "median (min–max)" over the rounds
cell() {
	local k=$1 c=$2 m lo hi
	if variant "$c" && [ "$k" != 3 ] && [ "$k" != 3cpu ]; then
		echo "—"
		return
	fi
	m=$(fmt "${val["$k,$c"]:-}" "$k")
	lo=$(fmt "${vmin["$k,$c"]:-}" "$k") hi=$(fmt "${vmax["$k,$c"]:-}" "$k")
	if [ "$m" = n/a ] || { [ "$lo" = "$m" ] && [ "$hi" = "$m" ]; }; then
		echo "$m"
	else
		echo "$m ($lo–$hi)"
	fi
}

# ratio KEY DIR: > 1 means tlserve's median is better than the best peer's
# median. The peers are nginx, lighttpd, h2o and Caddy (row 8 by default);
# socat (row 5) is a reference only: a one-connection PIPE is not a server
# doing the same job.
ratio() {
	local k=$1 dir=$2 t=${val["$1,tlserve"]:-} best="" p v
	for p in nginx lighttpd h2o caddy; do
		v=${val["$k,$p"]:-}
		[ -z "$v" ] && continue
		if [ -z "$best" ]; then
			best=$v
		elif [ "$dir" = h ]; then
			best=$(awk -v a="$best" -v b="$v" 'BEGIN { print (b > a) ? b : a }')
		else
			best=$(awk -v a="$best" -v b="$v" 'BEGIN { print (b < a) ? b : a }')
		fi
	done
	if [ -z "$t" ] || [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t <= 0 || b <= 0) }'; then
		echo "n/a"
	elif [ "$dir" = h ]; then
		awk -v t="$t" -v b="$best" 'BEGIN { printf "%.2f", t / b }'
	else
		awk -v t="$t" -v b="$best" 'BEGIN { printf "%.2f", b / t }'
	fi
}

table() {
	local r k dir label c line
	echo "| figure ($( [ "$rounds" -gt 1 ] && echo "median (min–max) of $rounds rounds" || echo "one round")) |$(for c in "${cols[@]}"; do printf ' %s |' "$([ "$c" = socat ] && echo "socat (reference)" || echo "$c")"; done) ratio of medians to best peer (>1: tlserve better) |"
	echo "| --- |$(for c in "${cols[@]}"; do printf ' ---: |'; done) ---: |"
	for r in "${rows[@]}"; do
		IFS='|' read -r k dir label _ <<<"$r"
		line="| $label"
		for c in "${cols[@]}"; do line+=" | $(cell "$k" "$c")"; done
		line+=" | $(ratio "$k" "$dir") |"
		echo "$line"
	done
}

# Chart data: each server's figure normalised to the best of the row (1 = best).
chart_data() {
	local r k dir label c v best short
	for r in "${rows[@]}"; do
		IFS='|' read -r k dir label short <<<"$r"
		best=""
		for c in "${chart_cols[@]}"; do
			v=${val["$k,$c"]:-}
			[ -z "$v" ] && continue
			if [ -z "$best" ]; then best=$v; else
				best=$(awk -v a="$best" -v b="$v" -v d="$dir" 'BEGIN { print (d == "h" ? (b > a) : (b < a)) ? b : a }')
			fi
		done
		printf '"%s"' "$short"
		for c in "${chart_cols[@]}"; do
			v=${val["$k,$c"]:-}
			if [ -z "$v" ] || [ -z "$best" ]; then
				printf ' NaN'
			else
				awk -v v="$v" -v b="$best" -v d="$dir" 'BEGIN { if (v <= 0 || b <= 0) printf " NaN"; else printf " %.4f", (d == "h") ? v / b : b / v }'
			fi
		done
		echo
	done
}

machine_info() {
	local cpu kernel
	cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
	kernel=$(uname -srm)
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); run took ${elapsed} s ($([ "$quick" = 1 ] && echo "quick pass, --quick" || echo "full run"))"
	echo "- machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, $kernel; load average before the run: $load_before"
	echo "- OpenSSL: $(openssl version); kernel TLS offered: $ktls"
	echo "- tlserve: $("$work/bin/tlserve" -V 2>&1 | head -1 | tr -d '\n'), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null)$(git -C "$root" diff --quiet HEAD -- src include 2>/dev/null || echo ' with uncommitted changes in src/ or include/')"
	echo "- nginx: $(nginx -v 2>&1 | sed 's/.*: //' || echo n/a); lighttpd: $(lighttpd -v 2>/dev/null | head -1 | sed 's/ - .*//' || echo n/a); h2o: $(h2o -v 2>/dev/null | head -1 | awk '{ print $3 }' || echo n/a) (rows 1-7 HTTP/1.1: their clients offer no h2; its neverbleed signing process's CPU counted); caddy: $(caddy version 2>/dev/null | awk 'NR == 1 { print $1 }' || echo n/a) (row 8, GOMAXPROCS=1); socat: $(socat -V 2>/dev/null | awk '/socat version/ {print $3; exit}'); wrk: $(wrk -v 2>&1 | awk 'NR == 1 {print $2}'); h2load: $(h2load --version 2>/dev/null | awk 'NR == 1 { print $NF }')"
	echo "- pinning: every server on CPU $srv_cpu (taskset; every process it forks inherits it), every client on CPU $cli_cpu; one worker/process/thread each; open-file limit $nofile"
	echo "- runs: ${secs} s each$([ "$warm" -gt 0 ] && echo ", after a ${warm} s unmeasured warm-up")$([ "$slices" -gt 1 ] && echo "; rows 1-4 and 8 in $slices slices of ${slice_secs} s, the servers of a row running side by side and taking turns (order reversed every other turn)"); handshake rows with $hs_conc connections in flight; keep-alive rows with wrk -c$ka_conc; row 8 with h2load -c$h2_conns -m$h2_streams, a fixed count of about ${slice_secs} s per run at the rate of a 1 s h2load run after the start"
	echo "- rows run: $(echo $bench_rows)"
	echo "- rounds: $rounds, every row for every server in each, servers interleaved ($(IFS=';'; echo "${orders[*]}" | sed 's/;/; /g')); each figure is the median of the rounds with their min–max"
	echo "- CPU time: /proc/PID/stat utime + stime, in 1/$hz s; the kernel ($(kernel_hz)) samples ticks only to split user from system time, the sum is the scheduler's exact run time (bench/README.md)"
}

crypto_table() {
	local full_ceiling res_ceiling best1="" best2="" bestd="" s v
	for s in "${peers[@]}"; do
		v=${val["1,$s"]:-}
		[ -n "$v" ] && best1=$(awk -v a="${best1:-0}" -v b="$v" 'BEGIN { print (b > a) ? b : a }')
		v=${val["2,$s"]:-}
		[ -n "$v" ] && best2=$(awk -v a="${best2:-0}" -v b="$v" 'BEGIN { print (b > a) ? b : a }')
		v=${val["4c1,$s"]:-}
		[ -n "$v" ] && bestd=$(awk -v a="${bestd:-0}" -v b="$v" 'BEGIN { print (b > a) ? b : a }')
	done
	echo "| crypto ceiling, one core (\`openssl speed -seconds $speed_secs\`) | per second | what it bounds |"
	echo "| --- | ---: | --- |"
	if [ -n "$sign" ] && [ -n "$x25519" ]; then
		full_ceiling=$(calc "1 / (1 / $sign + 2 / $x25519)")
		res_ceiling=$(calc "$x25519 / 2")
		printf '| ECDSA P-256 sign | %.0f | the server signs once per full handshake |\n' "$sign"
		printf '| ECDSA P-256 verify | %.0f | the client verifies once per full handshake |\n' "$verify"
		printf '| X25519 | %.0f | key generation + shared secret: two per handshake, full or resumed (psk_dhe_ke) |\n' "$x25519"
		printf '| full handshake ceiling = 1 / (1/sign + 2/X25519) | %.0f | row 1: best measured %s/s, i.e. %s of the ceiling |\n' \
			"$full_ceiling" "$(fmt "$best1" 1)" "$([ -n "$best1" ] && calc "$best1 * 100 / $full_ceiling" | awk '{printf "%.0f%%", $1}' || echo n/a)"
		printf '| resumed handshake ceiling = X25519 / 2 | %.0f | row 2: best measured %s/s, i.e. %s |\n' \
			"$res_ceiling" "$(fmt "$best2" 2)" "$([ -n "$best2" ] && calc "$best2 * 100 / $res_ceiling" | awk '{printf "%.0f%%", $1}' || echo n/a)"
	fi
	if [ -n "$aes" ]; then
		printf '| AES-128-GCM, 16 KiB records | %s MiB | rows 4-5: best one-connection download %s MiB/s, i.e. %s |\n' "$aes" \
			"$(fmt "$bestd" 4c1)" "$([ -n "$bestd" ] && calc "$bestd * 100 / $aes" | awk '{printf "%.0f%%", $1}' || echo n/a)"
	fi
}

details_table() {
	local key s r
	echo "| row | server | round | what was measured |"
	echo "| --- | --- | ---: | --- |"
	for key in 1 2 3 3b 4c1 4c4 5 5x 6 7 8; do
		for s in "${cols[@]}"; do
			for r in $(seq "$rounds"); do
				[ -n "${rdet["$key,$s,$r"]:-}" ] && echo "| $key | $s | $r | ${rdet["$key,$s,$r"]} |"
			done
		done
	done
}

# metrics_cost: row 3's 1k.bin line, tlserve+metrics against tlserve: the
# difference of the medians, and whether the rounds' ranges overlap (then
# the difference is within the spread: no measurable cost).
metrics_cost() {
	local m=tlserve+metrics k what d a b verdict="" rng
	if [ -z "${val["3,$m"]:-}" ] || [ -z "${val["3,tlserve"]:-}" ]; then return 0; fi
	# shellcheck disable=SC2016
	printf 'Cost of counting (row 3, 1k.bin keep-alive; tlserve+metrics: the same tlserve with a `mode: metrics` listener scraped every %s s):' "$scrape_every"
	for k in 3 3cpu; do
		a=${val["$k,tlserve"]:-} b=${val["$k,$m"]:-}
		if [ -z "$a" ] || [ -z "$b" ]; then continue; fi
		what=$([ "$k" = 3 ] && echo "requests/s" || echo "server CPU µs per request")
		d=$(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0) printf "%+.1f%%", 100 * (b - a) / a; else print "n/a" }')
		if [ "$rounds" -gt 1 ]; then
			if awk -v l1="${vmin["$k,tlserve"]}" -v h1="${vmax["$k,tlserve"]}" -v l2="${vmin["$k,$m"]}" -v h2="${vmax["$k,$m"]}" \
				'BEGIN { exit !(l1 <= h2 && l2 <= h1) }'; then
				rng="within the rounds' spread"
			else
				rng="outside the rounds' spread"
				verdict=measurable
			fi
		else
			rng="one round: no spread to judge by"
			verdict=unknown
		fi
		printf ' %s %s against %s (%s, %s);' "$what" "$(cell "$k" "$m")" "$(cell "$k" tlserve)" "$d" "$rng"
	done
	case $verdict in
	"") printf ' no measurable cost' ;;
	measurable) printf ' the ranges do not overlap: a measurable difference' ;;
	*) printf ' run with BENCH_ROUNDS=3 or more to judge it' ;;
	esac
	if printf '%s\n' "${notes[@]}" | grep -qE '^round [0-9]+: row 3, tlserve(\+metrics)?: other processes took'; then
		echo ", but other processes disturbed some of these runs (see the notes): judge it on a quiet machine."
	else
		echo "."
	fi
}

main_table=$(table)
echo "$main_table"
cost_text=$(metrics_cost)
[ -n "$cost_text" ] && printf '\n%s\n' "$cost_text"

mkdir -p "$out_dir"
chart_data >"$work/chart.dat"
chart=""
if command -v gnuplot >/dev/null 2>&1; then
	if gnuplot >"$work/out/gnuplot.log" 2>&1 <<EOF; then
set terminal pngcairo size 1400,720 font "sans,10"
set output "$out_dir/results.png"
set title "tlserve, nginx, lighttpd, h2o, caddy (row 8) (socat: echo reference): median of $rounds rounds, relative to the best server in its row (1 = best; lower-is-better rows inverted)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set yrange [0:1.15]
set ytics 0.1
set grid ytics
set key top right horizontal
set xtics rotate by -30 left
set bmargin 6
set rmargin 6
set datafile missing "NaN"
plot "$work/chart.dat" using 2:xtic(1) title "tlserve" lc rgb "#d62728", \
     "" using 3 title "nginx" lc rgb "#2ca02c", \
     "" using 4 title "lighttpd" lc rgb "#1f77b4", \
     "" using 5 title "h2o" lc rgb "#ff7f0e", \
     "" using 6 title "caddy" lc rgb "#9467bd", \
     "" using 7 title "socat" lc rgb "#7f7f7f"
EOF
		chart=yes
	else
		note "gnuplot failed: $(tail -2 "$work/out/gnuplot.log" | tr '\n' ' ')"
	fi
else
	note "gnuplot is not installed: no chart"
fi

{
	echo "# tlserve benchmark results"
	echo
	echo "Generated by \`bench/run.sh$([ "$quick" = 1 ] && echo " --quick")$([ "$count" = 1 ] && echo " --count --timed")\` (\`make bench\`); bench/README.md explains each row and how to read it."
	echo
	machine_info
	echo
	echo "## Results"
	echo
	echo "$main_table"
	echo
	echo "Each cell is the median of the $rounds rounds, with the lowest and highest in brackets. Ratio, of"
	echo "medians: higher-is-better rows give tlserve ÷ best peer, lower-is-better rows give best peer ÷ tlserve,"
	echo "so above 1 tlserve wins in every row. The peers are nginx, lighttpd, h2o and Caddy (row 8); socat (row 5) is a reference"
	echo "only, never in the ratio, so row 5's ratio is n/a. CPU figures are the server's own CPU time"
	echo "(utime + stime of every thread of every process of the server, from /proc/PID/stat: nginx master + worker,"
	echo "h2o + its neverbleed signing process; every thread of Caddy) over the client run,"
	echo "divided by the work done. Row 3's closed-loop latency is in \"Each run\" but not compared: with wrk"
	echo "saturating the server it is the time requests wait in the client's queue."
	echo
	if [ -n "$cost_text" ]; then
		echo "$cost_text"
		echo
	fi
	[ -n "$chart" ] && echo "![each figure relative to the best server in its row](results.png)" && echo
	if [ -n "$count_table_text" ]; then
		echo "## Counted"
		echo
		count_report
		echo
	fi
	echo "## Crypto ceiling"
	echo
	crypto_table
	echo
	echo "## Each run"
	echo
	details_table
	echo
	echo "No-resumption check on the server side: $resumption_check"
	echo
	echo "Ticket check (\`openssl s_client -tls1_3 -msg\`, NewSessionTicket messages received up to the server's close; every server is set to send one, OpenSSL's default is two): ${ticket_check:-not run}."
	echo "Tickets received per connection by tlsload, median of the rounds: row 1 $(for s in "${peers[@]}"; do printf '%s %s, ' "$s" "$(fmt "${val["1tk,$s"]:-}" 1tk)"; done | sed 's/, $//'); row 2 $(for s in "${peers[@]}"; do printf '%s %s, ' "$s" "$(fmt "${val["2tk,$s"]:-}" 2tk)"; done | sed 's/, $//')."
	echo
	if [ ${#notes[@]} -gt 0 ]; then
		echo "## Notes from this run"
		echo
		for n in "${notes[@]}"; do echo "- $n"; done
		echo
	fi
	echo "## Commands"
	echo
	echo "Servers (configurations in bench/conf/, filled in by run.sh; PORT is a free port from 27400 up):"
	echo
	echo '```'
	echo "taskset -c $srv_cpu ./tlserve -c tlserve.yaml"
	[ -n "$cost_text" ] && echo "taskset -c $srv_cpu ./tlserve -c tlserve.yaml   (tlserve+metrics: + a listener { host: 127.0.0.1, port: METRICSPORT, mode: metrics }, scraped every ${scrape_every} s)"
	echo "taskset -c $srv_cpu nginx -c nginx.conf -p WORK/nginx/ -e WORK/nginx/error.log"
	echo "taskset -c $srv_cpu lighttpd -D -f lighttpd.conf"
	echo "OPENSSL_CONF=bench/conf/h2o-openssl.cnf taskset -c $srv_cpu h2o -c h2o.conf"
	echo "GOMAXPROCS=1 taskset -c $srv_cpu caddy run --config Caddyfile --adapter caddyfile   (row 8)"
	echo "taskset -c $srv_cpu socat -b 16384 OPENSSL-LISTEN:PORT,bind=127.0.0.1,reuseaddr,fork,cert=server.crt,key=server.key,verify=0,openssl-min-proto-version=TLS1.3 PIPE"
	echo '```'
	echo
	echo "Clients (all with OPENSSL_CONF preferring TLS_AES_128_GCM_SHA256; tlsload is bench/tlsload.c):"
	echo
	echo '```'
	for c in "${commands[@]}"; do echo "row $c"; done
	echo "taskset -c $srv_cpu openssl speed -seconds $speed_secs ecdsap256 ecdhx25519"
	echo "taskset -c $srv_cpu openssl speed -seconds $speed_secs -evp aes-128-gcm -bytes 16384"
	echo '```'
} >"$out_dir/results.md"

log "wrote $out_dir/results.md$([ -n "$chart" ] && echo " and $out_dir/results.png") in ${elapsed} s"
