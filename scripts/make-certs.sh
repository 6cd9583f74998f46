#!/usr/bin/env bash
# make-certs.sh DIR — development certificates for tlserve (never for production).
#
# Creates in DIR, with openssl (OpenSSL 3):
#   ca.crt ca.key           development CA, ECDSA P-256, CN "tlserve development CA"
#   server.crt server.key   ECDSA P-256 leaf: DNS:localhost, IP:127.0.0.1, IP:::1, serverAuth
#   client.crt client.key   ECDSA P-256 client: CN "tlserve test client", clientAuth
#   example.crt example.key ECDSA P-256 leaf for SNI tests: example.test, *.example.test
#   rsa.crt rsa.key         RSA 2048 leaf: DNS:localhost, IP:127.0.0.1, serverAuth
#   server2.crt server2.key a second ECDSA P-256 localhost leaf, O "tlserve-2" (reload tests)
#   revoked.crt revoked.key a client certificate (CN "tlserve revoked client") that
#   ca.crl                  ... this CRL of the CA revokes (next update in 825 days)
#   expired.crt expired.key a client certificate (CN "tlserve expired client") valid
#                           only in January 2020
#   stranger.crt stranger.key a client certificate from an unrelated CA that is not
#                           kept (CN "tlserve stranger client")
#
# Does nothing when DIR/server.crt exists, is valid for more than one more day
# and all the other files are present, unless FORCE=1. Keys are mode 600.
# Quiet unless something fails; prints one line saying what it created.
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "usage: $prog DIR" >&2; exit 2; }
dir=$1
command -v openssl >/dev/null 2>&1 || die "openssl not found (apt-get install openssl)"

files="ca.crt ca.key server.crt server.key client.crt client.key example.crt example.key rsa.crt rsa.key
server2.crt server2.key revoked.crt revoked.key ca.crl expired.crt expired.key stranger.crt stranger.key"

complete=1
for f in $files; do
	[ -s "$dir/$f" ] || complete=0
done
# The CRL must not be stale either: with CRL checking on, an expired CRL
# makes every client certificate fail.
crl_fresh() {
	local next
	next=$(openssl crl -in "$dir/ca.crl" -noout -nextupdate 2>/dev/null) || return 1
	next=$(date -d "${next#nextUpdate=}" +%s 2>/dev/null) || return 1
	[ "$next" -gt $(($(date +%s) + 86400)) ]
}
if [ "${FORCE:-0}" != 1 ] && [ "$complete" = 1 ] &&
	openssl x509 -in "$dir/server.crt" -noout -checkend 86400 >/dev/null 2>&1 && crl_fresh; then
	exit 0
fi

mkdir -p "$dir" || die "cannot create $dir"
work=$(mktemp -d "${TMPDIR:-/tmp}/make-certs.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$work"' EXIT
log=$work/openssl.log

# Run openssl with its chatter captured; show it only when it fails.
ossl() {
	if ! openssl "$@" >>"$log" 2>&1; then
		cat "$log" >&2
		die "openssl $1 failed"
	fi
}

# A random positive 128-bit serial number (leading nibble 1..7 keeps it positive).
serial() {
	printf '0x%x%s' $((RANDOM % 7 + 1)) "$(openssl rand -hex 15)"
}

umask 077

genkey_ec() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/$1.key"; }
genkey_rsa() { ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/$1.key"; }

# sign NAME SUBJECT DAYS EXTENSIONS... : CSR for NAME.key, signed by the CA.
sign() {
	local name=$1 subj=$2 days=$3
	shift 3
	printf '%s\n' "$@" >"$work/$name.ext"
	ossl req -new -key "$work/$name.key" -subj "$subj" -out "$work/$name.csr"
	ossl x509 -req -in "$work/$name.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
		-set_serial "$(serial)" -days "$days" -sha256 -extfile "$work/$name.ext" \
		-out "$work/$name.crt"
}

# The CA: 10 years, self-signed with a minimal config (no openssl.cnf defaults).
genkey_ec ca
printf '%s\n' \
	'[req]' \
	'distinguished_name = dn' \
	'x509_extensions = v3_ca' \
	'prompt = no' \
	'[dn]' \
	'O = tlserve' \
	'CN = tlserve development CA' \
	'[v3_ca]' \
	'basicConstraints = critical, CA:true' \
	'keyUsage = critical, keyCertSign, cRLSign' \
	'subjectKeyIdentifier = hash' >"$work/ca.cnf"
ossl req -new -x509 -config "$work/ca.cnf" -key "$work/ca.key" -days 3650 -sha256 \
	-set_serial "$(serial)" -out "$work/ca.crt"

leaf_common=(
	'basicConstraints = critical, CA:false'
	'subjectKeyIdentifier = hash'
	'authorityKeyIdentifier = keyid, issuer'
)

# Leaf certificates: 825 days, the most browsers and Apple platforms accept.
genkey_ec server
sign server "/O=tlserve/CN=localhost" 825 "${leaf_common[@]}" \
	'keyUsage = critical, digitalSignature' \
	'extendedKeyUsage = serverAuth' \
	'subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1'

genkey_ec client
sign client "/O=tlserve/CN=tlserve test client" 825 "${leaf_common[@]}" \
	'keyUsage = critical, digitalSignature' \
	'extendedKeyUsage = clientAuth'

genkey_ec example
sign example "/O=tlserve/CN=example.test" 825 "${leaf_common[@]}" \
	'keyUsage = critical, digitalSignature' \
	'extendedKeyUsage = serverAuth' \
	'subjectAltName = DNS:example.test, DNS:*.example.test'

genkey_rsa rsa
sign rsa "/O=tlserve/CN=localhost" 825 "${leaf_common[@]}" \
	'keyUsage = critical, digitalSignature, keyEncipherment' \
	'extendedKeyUsage = serverAuth' \
	'subjectAltName = DNS:localhost, IP:127.0.0.1'

genkey_ec server2
sign server2 "/O=tlserve-2/CN=localhost" 825 "${leaf_common[@]}" \
	'keyUsage = critical, digitalSignature' \
	'extendedKeyUsage = serverAuth' \
	'subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1'

client_ext=("${leaf_common[@]}" 'keyUsage = critical, digitalSignature' 'extendedKeyUsage = clientAuth')

genkey_ec revoked
sign revoked "/O=tlserve/CN=tlserve revoked client" 825 "${client_ext[@]}"

# `openssl ca` for what `x509 -req` cannot do: a validity period in the past,
# and a CRL. Its database lives in the work directory only ($dir below is
# openssl's config variable, not the shell's).
mkdir -p "$work/ca-db"
: >"$work/ca-db/index.txt"
# shellcheck disable=SC2016
printf '%s\n' \
	'[ca]' \
	'default_ca = dev' \
	'[dev]' \
	"dir = $work/ca-db" \
	'database = $dir/index.txt' \
	'new_certs_dir = $dir' \
	'rand_serial = yes' \
	'unique_subject = no' \
	"certificate = $work/ca.crt" \
	"private_key = $work/ca.key" \
	'default_md = sha256' \
	'default_crl_days = 825' \
	'policy = any' \
	'copy_extensions = none' \
	'crl_extensions = crl_ext' \
	'[any]' \
	'O = optional' \
	'CN = supplied' \
	'[crl_ext]' \
	'authorityKeyIdentifier = keyid:always' >"$work/ca-db/ca.cnf"

# expired: valid for January 2020 only.
genkey_ec expired
printf '%s\n' '[ext]' "${client_ext[@]}" >"$work/expired.ext"
ossl req -new -key "$work/expired.key" -subj "/O=tlserve/CN=tlserve expired client" -out "$work/expired.csr"
ossl ca -batch -notext -config "$work/ca-db/ca.cnf" -in "$work/expired.csr" -out "$work/expired.crt" \
	-startdate 20200101000000Z -enddate 20200201000000Z -extfile "$work/expired.ext" -extensions ext

# revoked: listed in ca.crl (reason keyCompromise).
ossl ca -batch -config "$work/ca-db/ca.cnf" -revoke "$work/revoked.crt" -crl_reason keyCompromise
ossl ca -batch -config "$work/ca-db/ca.cnf" -gencrl -out "$work/ca.crl"

# stranger: a client certificate from a CA tlserve is never told about.
genkey_ec stranger-ca
ossl req -new -x509 -config "$work/ca.cnf" -key "$work/stranger-ca.key" -days 3650 -sha256 \
	-set_serial "$(serial)" -subj "/O=elsewhere/CN=unrelated CA" -out "$work/stranger-ca.crt"
genkey_ec stranger
printf '%s\n' "${client_ext[@]}" >"$work/stranger.ext"
ossl req -new -key "$work/stranger.key" -subj "/O=elsewhere/CN=tlserve stranger client" \
	-out "$work/stranger.csr"
ossl x509 -req -in "$work/stranger.csr" -CA "$work/stranger-ca.crt" -CAkey "$work/stranger-ca.key" \
	-set_serial "$(serial)" -days 825 -sha256 -extfile "$work/stranger.ext" -out "$work/stranger.crt"

# Sanity: every leaf verifies against the CA for its purpose; the three bad
# client certificates fail as intended.
for name in server server2 example rsa; do
	ossl verify -CAfile "$work/ca.crt" -purpose sslserver "$work/$name.crt"
done
ossl verify -CAfile "$work/ca.crt" -purpose sslclient "$work/client.crt"
ossl verify -CAfile "$work/ca.crt" -purpose sslclient "$work/revoked.crt"
ossl verify -CAfile "$work/ca.crt" -CRLfile "$work/ca.crl" -crl_check -purpose sslclient "$work/client.crt"
ossl verify -CAfile "$work/stranger-ca.crt" -purpose sslclient "$work/stranger.crt"
must_fail() {   # WHAT ARGS... — openssl verify must refuse
	local what=$1
	shift
	if openssl verify "$@" >>"$log" 2>&1; then
		die "sanity check failed: $what verifies"
	fi
}
must_fail "revoked.crt with ca.crl" -CAfile "$work/ca.crt" -CRLfile "$work/ca.crl" -crl_check \
	-purpose sslclient "$work/revoked.crt"
must_fail "expired.crt" -CAfile "$work/ca.crt" -purpose sslclient "$work/expired.crt"
must_fail "stranger.crt" -CAfile "$work/ca.crt" -purpose sslclient "$work/stranger.crt"

chmod 600 "$work"/*.key
chmod 644 "$work"/*.crt "$work"/*.crl
# Each file by an atomic rename within DIR.
for f in $files; do
	cp -p "$work/$f" "$dir/.$f.tmp" || die "cannot write $dir/$f"
	mv -f "$dir/.$f.tmp" "$dir/$f" || die "cannot write $dir/$f"
done

echo "$prog: created development CA, server (ECDSA, localhost), server2, client, revoked (with ca.crl), expired, stranger, example.test (SNI) and RSA certificates in $dir"
