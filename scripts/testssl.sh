#!/usr/bin/env bash
# testssl.sh [TLSERVE-BINARY] — scan a local tlserve with testssl.sh (`make testssl`).
#
# Installs Debian's testssl.sh (command `testssl`) and jq when missing
# (apt-get; through sudo when not root, saying so), makes the development
# certificates in tests/certs, starts tlserve on 127.0.0.1 with port 0 (one
# files listener serving www/, default TLS settings), runs
#   testssl --quiet --color 0 --warnings off --add-ca tests/certs/ca.crt --jsonfile ... 127.0.0.1:PORT
# (at most 600 s), stops the server by its PID and judges the JSON findings.
#
# Fails when
#   - any finding is HIGH or CRITICAL (except the waivers below),
#   - SSLv2, SSLv3, TLS 1.0 or TLS 1.1 is offered, or TLS 1.2 / 1.3 is not,
#   - NULL, anonymous, export, LOW, 3DES/IDEA or CBC ("AVERAGE") suites are offered,
#   - a vulnerability check (heartbleed, CCS, ticketbleed, ROBOT, secure_renego,
#     secure_client_renego, CRIME_TLS, BREACH, POODLE_SSL, fallback_SCSV,
#     SWEET32, FREAK, DROWN, LOGJAM, BEAST, LUCKY13, RC4) is missing or is not
#     OK / not vulnerable.
#
# Waivers (printed, never silent):
#   - cert_revocation (HIGH, "Neither CRL nor OCSP URI provided"): a property of
#     the development certificate, not of the server; a certificate from a
#     public CA carries those URIs.
#   - BREACH "potentially VULNERABLE" (MEDIUM) when testssl saw gzip/br on "/":
#     tlserve compresses nothing per request; it only sends FILE.gz/FILE.br made
#     ahead of time beside static files. BREACH needs a compressed body that
#     mixes a secret with attacker-reflected input, which a static file cannot.
#     Anything worse than MEDIUM, or any other wording, still fails.
#
# The full report and the JSON are kept in build/testssl/. Nothing but
# 127.0.0.1 is contacted (testssl's DNS, CAA and OCSP look-ups have nothing to
# resolve for an IP address and are not asked to phone out).
set -u

prog=${0##*/}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1
BIN=${1:-./tlserve}
OUT=${TESTSSL_OUT:-build/testssl}
CERTS=tests/certs

die() { echo "$prog: $*" >&2; exit 1; }

# ---- dependencies
missing=""
command -v testssl >/dev/null 2>&1 || missing="$missing testssl.sh"
command -v jq >/dev/null 2>&1 || missing="$missing jq"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
if [ -n "$missing" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		sudo=""
	else
		command -v sudo >/dev/null 2>&1 || die "need root or sudo to install:$missing"
		sudo="sudo"
		echo "$prog: using sudo to install packages"
	fi
	echo "$prog: installing missing packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq || die "apt-get update failed"
	# shellcheck disable=SC2086 # a list of package names
	$sudo apt-get install -y -qq --no-install-recommends $missing || die "apt-get install failed:$missing"
	command -v testssl >/dev/null 2>&1 || die "testssl still not found after installing testssl.sh"
fi

[ -x "$BIN" ] || die "no executable $BIN (run make)"
scripts/make-certs.sh "$CERTS" >/dev/null || die "make-certs.sh $CERTS failed"

mkdir -p "$OUT" || die "cannot create $OUT"
work=$(mktemp -d "${TMPDIR:-/tmp}/tlserve-testssl.XXXXXX") || die "mktemp failed"
pid=""
cleanup() {
	local i
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the server: default TLS settings, files from www/
cat >"$work/tlserve.yaml" <<EOF
workers: 2
log: {level: info, error: $work/error.log, access: off}
tls: {certificate: $REPO/$CERTS/server.crt, key: $REPO/$CERTS/server.key}
listeners:
  - {name: https, host: 127.0.0.1, port: 0, mode: files, root: $REPO/www}
EOF
"$BIN" -c "$work/tlserve.yaml" >"$work/server.out" 2>&1 &
pid=$!
port=""
for ((i = 0; i < 100; i++)); do
	port=$(sed -nE 's/.*listening name=https address=127\.0\.0\.1 port=([0-9]+).*/\1/p' "$work/error.log" 2>/dev/null | head -n 1)
	[ -n "$port" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$port" ]; then
	cat "$work/error.log" "$work/server.out" 2>/dev/null >&2
	die "tlserve did not start"
fi
echo "$prog: tlserve (pid $pid) on 127.0.0.1:$port; running testssl (up to 600 s)..."

json=$OUT/report.json
report=$OUT/report.txt
rm -f "$json" "$report"
start=$SECONDS
timeout -k 10 600 testssl --quiet --color 0 --warnings off --add-ca "$REPO/$CERTS/ca.crt" \
	--jsonfile "$json" "127.0.0.1:$port" </dev/null >"$report" 2>&1
trc=$?
elapsed=$((SECONDS - start))

# ---- stop the server (by its PID) and check it stopped cleanly
kill -TERM "$pid"
for ((i = 0; i < 100; i++)); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
	kill -KILL "$pid"
	srv_status=killed
else
	wait "$pid"
	srv_status=$?
fi
pid=""

# ---- judge
fails=()
warns=()
[ "$trc" -eq 124 ] && fails+=("testssl did not finish within 600 s")
if [ ! -s "$json" ] || ! jq -e 'type == "array" and length > 0' "$json" >/dev/null 2>&1; then
	tail -n 30 "$report" >&2
	die "testssl wrote no JSON findings (status $trc); see $report"
fi

# finding ID — the finding text of id ID ("" when absent); sev ID — its severity.
finding() { jq -r --arg id "$1" 'map(select(.id == $id)) | .[0].finding // ""' "$json"; }
sev() { jq -r --arg id "$1" 'map(select(.id == $id)) | .[0].severity // ""' "$json"; }

# HIGH / CRITICAL anywhere, minus the waivers.
while IFS=$'\t' read -r id s f; do
	[ -n "$id" ] || continue
	case $id in
	cert_revocation) warns+=("waived $s $id: $f (development certificate)") ;;
	*) fails+=("$s $id: $f") ;;
	esac
done < <(jq -r '.[] | select(.severity == "HIGH" or .severity == "CRITICAL") | [.id, .severity, .finding] | @tsv' "$json")

# Protocols.
for p in SSLv2 SSLv3 TLS1 TLS1_1; do
	f=$(finding "$p")
	case $f in
	"not offered"*) ;;
	"") fails+=("$p: not tested") ;;
	*) fails+=("$p: $f (must be not offered)") ;;
	esac
done
for p in TLS1_2 TLS1_3; do
	f=$(finding "$p")
	case $f in
	offered*) ;;
	*) fails+=("$p: ${f:-not tested} (must be offered)") ;;
	esac
done

# Cipher categories: only strong AEAD suites.
for c in cipherlist_NULL cipherlist_aNULL cipherlist_EXPORT cipherlist_LOW cipherlist_3DES_IDEA cipherlist_AVERAGE; do
	f=$(finding "$c")
	case $f in
	"not offered"*) ;;
	*) fails+=("$c: ${f:-not tested} (must be not offered)") ;;
	esac
done
case $(finding PFS) in offered*) ;; *) fails+=("PFS: $(finding PFS) (must be offered)") ;; esac

# Vulnerabilities: present, and OK (or INFO saying not vulnerable / not applicable).
vulns="heartbleed CCS ticketbleed ROBOT secure_renego secure_client_renego CRIME_TLS BREACH POODLE_SSL
fallback_SCSV SWEET32 FREAK DROWN LOGJAM BEAST LUCKY13 RC4"
n_vuln_ok=0
for v in $vulns; do
	s=$(sev "$v")
	f=$(finding "$v")
	if [ -z "$s" ]; then
		fails+=("$v: check missing from the report")
		continue
	fi
	lower=$(tr '[:upper:]' '[:lower:]' <<<"$f")
	# "VULNERABLE" only counts when not negated.
	vuln=0
	if grep -q 'vulnerable' <<<"$lower" && ! grep -qE 'not vulnerable' <<<"$lower"; then vuln=1; fi
	if [ "$s" = OK ] && [ "$vuln" = 0 ]; then
		n_vuln_ok=$((n_vuln_ok + 1))
	elif [ "$s" = INFO ] && [ "$vuln" = 0 ]; then
		n_vuln_ok=$((n_vuln_ok + 1))
	elif [ "$v" = BREACH ] && [ "$s" = MEDIUM ] && grep -q 'potentially vulnerable' <<<"$lower" &&
		grep -qE 'gzip|br|compression' <<<"$lower"; then
		warns+=("accepted BREACH ($s): $f — only precompressed static files are ever compressed")
		n_vuln_ok=$((n_vuln_ok + 1))
	else
		fails+=("$v ($s): $f")
	fi
done

# Informational lines worth seeing.
while IFS=$'\t' read -r id s f; do
	[ -n "$id" ] || continue
	warns+=("note $s $id: $f")
done < <(jq -r '.[] | select(.severity == "MEDIUM" or .severity == "LOW") | select(.id != "BREACH") | [.id, .severity, .finding] | @tsv' "$json")

# ---- summary
echo
echo "======== testssl summary (127.0.0.1:$port, ${elapsed}s, testssl status $trc) ========"
jq -r '[.[] | .severity] | group_by(.) | map("\(.[0]): \(length)") | join(", ")' "$json" | sed 's/^/severities: /'
for p in SSLv2 SSLv3 TLS1 TLS1_1 TLS1_2 TLS1_3; do
	printf '  %-8s %s\n' "$p" "$(finding "$p")"
done
printf '  %-8s %s\n' "ciphers" "$(finding PFS_ciphers)"
printf '  %-8s %s\n' "order" "$(finding cipher_order)"
echo "vulnerability checks OK: $n_vuln_ok of $(wc -w <<<"$vulns")"
for w in "${warns[@]}"; do echo "  $w"; done
[ "$srv_status" = 0 ] || fails+=("tlserve did not stop cleanly after SIGTERM (status $srv_status)")
echo "report: $report, JSON: $json"
if [ ${#fails[@]} -gt 0 ]; then
	echo "FAILED (${#fails[@]}):"
	for f in "${fails[@]}"; do echo "  $f"; done
	exit 1
fi
echo "testssl: passed"
