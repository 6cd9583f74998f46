#!/usr/bin/env bash
# make-certs.sh DIR — development certificates for tlserve (never for production).
#
# Creates in DIR, with openssl (OpenSSL 3):
#   ca.crt ca.key           development CA, ECDSA P-256, CN "tlserve development CA"
#   server.crt server.key   ECDSA P-256 leaf: DNS:localhost, IP:127.0.0.1, IP:::1, serverAuth
#   client.crt client.key   ECDSA P-256 client: CN "tlserve test client", clientAuth
#   example.crt example.key ECDSA P-256 leaf for SNI tests: example.test, *.example.test
#   rsa.crt rsa.key         RSA 2048 leaf: DNS:localhost, IP:127.0.0.1, serverAuth
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

files="ca.crt ca.key server.crt server.key client.crt client.key example.crt example.key rsa.crt rsa.key"

complete=1
for f in $files; do
	[ -s "$dir/$f" ] || complete=0
done
if [ "${FORCE:-0}" != 1 ] && [ "$complete" = 1 ] &&
	openssl x509 -in "$dir/server.crt" -noout -checkend 86400 >/dev/null 2>&1; then
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

# Sanity: every leaf verifies against the CA for its purpose.
for name in server example rsa; do
	ossl verify -CAfile "$work/ca.crt" -purpose sslserver "$work/$name.crt"
done
ossl verify -CAfile "$work/ca.crt" -purpose sslclient "$work/client.crt"

chmod 600 "$work"/*.key
chmod 644 "$work"/*.crt
# Each file by an atomic rename within DIR.
for f in $files; do
	cp -p "$work/$f" "$dir/.$f.tmp" || die "cannot write $dir/$f"
	mv -f "$dir/.$f.tmp" "$dir/$f" || die "cannot write $dir/$f"
done

echo "$prog: created development CA, server (ECDSA, localhost), client, example.test (SNI) and RSA certificates in $dir"
