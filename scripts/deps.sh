#!/bin/sh
# Install the Debian/Ubuntu packages a make target needs, and only the missing ones.
# Usage: scripts/deps.sh build|certs|test|fuzz|valgrind|verify ...
# Each need is "check:package" where check is pc:NAME (pkg-config), cmd:NAME
# (in PATH, /usr/sbin or /sbin) or hdr:PATH.
#
# `test` is every tool the unit and integration tests run: the tests install
# nothing themselves and fail when one is missing. Besides what every Debian
# system has (coreutils, grep, sed, gzip, mawk, findutils, libc-bin's getent):
#   curl, openssl     HTTP and TLS clients of every integration script
#   haproxy           22-fleet (the balancer in front of two instances)
#   python3           11-access-log (parses the JSON access log)
#   python3-h2        the hostile HTTP/2 tests (frames written by hand with Python's h2)
#   h2load, nghttp    24-http2 (nghttp2-client: many streams on few connections; frames seen)
#   chromium          24-http2 (a headless browser loads a page over h2)
#   ss (iproute2)     18-hostile (finds a port without the log)
#   systemd-analyze   20-install (`make verify-unit` on the installed unit)
#   logrotate         20-install (`logrotate -d` on dist/tlserve.logrotate)
#   promtool, prometheus  28-metrics (`promtool check metrics` on a scrape; a real
#                     Prometheus scrapes the metrics listener)
#   timeout, stdbuf   every script, tests/run.sh (coreutils, listed to be sure)
set -eu

needs=""
for group in "$@"; do
	case "$group" in
	build) needs="$needs cmd:cc:gcc cmd:make:make cmd:pkg-config:pkg-config pc:openssl:libssl-dev pc:yaml-0.1:libyaml-dev pc:libnghttp2:libnghttp2-dev
		pc:libcurl:libcurl4-openssl-dev pc:jansson:libjansson-dev" ;;
	certs) needs="$needs cmd:openssl:openssl" ;;
	test) needs="$needs pc:cmocka:libcmocka-dev cmd:curl:curl cmd:openssl:openssl cmd:haproxy:haproxy
		cmd:python3:python3 cmd:ss:iproute2 cmd:systemd-analyze:systemd cmd:logrotate:logrotate
		cmd:timeout:coreutils cmd:stdbuf:coreutils cmd:gzip:gzip cmd:awk:mawk cmd:getent:libc-bin
		cmd:h2load:nghttp2-client cmd:nghttp:nghttp2-client cmd:chromium:chromium
		cmd:promtool:prometheus cmd:prometheus:prometheus cmd:pebble:pebble cmd:pebble-challtestsrv:pebble
		hdr:/usr/lib/python3/dist-packages/h2/__init__.py:python3-h2" ;;
	fuzz) needs="$needs cmd:clang:clang hdr:/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-dev" ;;
	valgrind) needs="$needs cmd:valgrind:valgrind" ;;
	verify) needs="$needs cmd:systemd-analyze:systemd" ;;
	*) echo "deps.sh: unknown group $group" >&2; exit 2 ;;
	esac
done

missing=""
for n in $needs; do
	kind=${n%%:*}; rest=${n#*:}; what=${rest%:*}; pkg=${rest##*:}
	case "$kind" in
	pc) pkg-config --exists "$what" 2>/dev/null && continue ;;
	cmd) { command -v "$what" || [ -x "/usr/sbin/$what" ] || [ -x "/sbin/$what" ]; } >/dev/null 2>&1 && continue ;;
	hdr) for f in $what; do [ -e "$f" ] && continue 2; done ;;
	esac
	case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=""
else
	command -v sudo >/dev/null 2>&1 || { echo "deps.sh: need root or sudo to install:$missing" >&2; exit 1; }
	sudo="sudo"
	echo "deps.sh: using sudo to install packages"
fi
echo "deps.sh: installing missing packages:$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
