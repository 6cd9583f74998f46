#!/usr/bin/env bash
# 02-echo: the TLS echo service — a line, a large binary stream, TLS policy.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

conf=$TMP/echo.yaml
write_config "$conf" <<EOF
limits: {idle_timeout: 30s}
listeners:
  - {name: echo, host: 127.0.0.1, port: 0, mode: echo}
EOF
start_server "$conf" || finish

# ---- one line, round trip.
printf 'hello, tlserve echo\n' >"$TMP/line.in"
echo_stream echo "$TMP/line.in" "$TMP/line.out"
rc=$?
check_eq "s_client round trip of a line ends cleanly" 0 "$rc"
check_same_file "a line comes back unchanged" "$TMP/line.in" "$TMP/line.out"

# ---- every byte value, in order.
printf '%b' "$(printf '\\0%03o' {0..255})" >"$TMP/bytes.in"
echo_stream echo "$TMP/bytes.in" "$TMP/bytes.out"
check_same_file "all 256 byte values come back unchanged" "$TMP/bytes.in" "$TMP/bytes.out"

# ---- a multi-megabyte random binary stream, compared by sha256.
if [ -n "$TLSERVE_WRAPPER" ]; then mib=4; else mib=8; fi
random_file "$TMP/big.in" $((mib * 1024 * 1024))
start=$SECONDS
echo_stream echo "$TMP/big.in" "$TMP/big.out" $((60 * SLOW))
rc=$?
note "$mib MiB echoed in $((SECONDS - start))s"
check_eq "the $mib MiB stream ends cleanly" 0 "$rc"
check_same_file "$mib MiB of random bytes come back unchanged (sha256)" "$TMP/big.in" "$TMP/big.out"

# ---- two connections at once, interleaved, each gets its own bytes.
random_file "$TMP/a.in" 300000
random_file "$TMP/b.in" 300000
echo_stream echo "$TMP/a.in" "$TMP/a.out" &
apid=$!
echo_stream echo "$TMP/b.in" "$TMP/b.out"
wait "$apid"
check_same_file "concurrent stream A comes back unchanged" "$TMP/a.in" "$TMP/a.out"
check_same_file "concurrent stream B comes back unchanged" "$TMP/b.in" "$TMP/b.out"

# ---- with tls_pipe: the client closes its side (close_notify, or a bare TCP
# FIN) while the echo is still under way; everything still comes back, then
# the server's close_notify.
if have_tls_pipe; then
	pipe_stream echo "$TMP/big.in" "$TMP/pipe.out"
	rc=$?
	check_same_file "tls_pipe: $mib MiB come back unchanged after the client's close_notify" \
		"$TMP/big.in" "$TMP/pipe.out"
	check_eq "tls_pipe: the server answers the client's close_notify with its own (status 0)" 0 "$rc" \
		|| note "$(cat "$TMP/pipe.out.err")"
	pipe_stream echo "$TMP/a.in" "$TMP/pipe-fin.out" -f
	rc=$?
	check_same_file "tls_pipe -f: the stream comes back unchanged after a bare TCP FIN" \
		"$TMP/a.in" "$TMP/pipe-fin.out"
	check_eq "tls_pipe -f: then the server sends close_notify (status 0)" 0 "$rc" \
		|| note "$(cat "$TMP/pipe-fin.out.err")"
	for v in 1.2 1.3; do
		pipe_stream echo "$TMP/b.in" "$TMP/pipe-$v.out" -v "$v"
		rc=$?
		check_same_file "tls_pipe -v $v: the stream comes back unchanged" "$TMP/b.in" "$TMP/pipe-$v.out"
		check_eq "tls_pipe -v $v: clean close (status 0)" 0 "$rc"
	done
	: >"$TMP/empty.in"
	pipe_stream echo "$TMP/empty.in" "$TMP/empty.out"
	rc=$?
	check_eq "tls_pipe: an empty stream gets nothing back" 0 "$(file_size "$TMP/empty.out")"
	check_eq "tls_pipe: an empty stream closes cleanly (status 0)" 0 "$rc"
else
	fail "tls_pipe half-close checks" "no $TLS_PIPE (make unit-bins builds it)"
fi

# ---- TLS policy: 1.2 and 1.3 work, 1.0 and 1.1 and non-AEAD ciphers do not.
# SECLEVEL=0 lets this client offer the old protocols, so a refusal is the server's.
for v in 1_2 1_3; do
	out=$(printf 'v%s\n' "$v" | timeout $((20 * SLOW)) openssl s_client -tls"$v" -no_ign_eof -nocommands \
		-CAfile "$CERTS/ca.crt" -verify_return_error -connect "127.0.0.1:$(port_of echo)" \
		-servername localhost 2>&1)
	check_match "echo accepts TLS ${v/_/.}" "$out" "^New, TLSv${v/_/\\.}, Cipher is [A-Z]"
done

for v in 1 1_1; do
	out=$(timeout $((20 * SLOW)) openssl s_client -tls"$v" -cipher 'DEFAULT:@SECLEVEL=0' \
		-CAfile "$CERTS/ca.crt" -connect "127.0.0.1:$(port_of echo)" -servername localhost \
		</dev/null 2>&1)
	rc=$?
	name="TLS 1.${v#1_}"
	[ "$v" = 1 ] && name="TLS 1.0"
	if grep -q 'no protocols available' <<<"$out"; then
		fail "echo refuses $name" "this openssl cannot offer $name"
	elif [ "$rc" -ne 0 ] && ! grep -qE 'Cipher is [A-Z]' <<<"$out"; then
		pass "echo refuses $name"
	else
		fail "echo refuses $name (s_client status $rc)" "$(grep -E 'Protocol|Cipher' <<<"$out")"
	fi
done

out=$(timeout $((20 * SLOW)) openssl s_client -tls1_2 -cipher 'ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA' \
	-CAfile "$CERTS/ca.crt" -connect "127.0.0.1:$(port_of echo)" -servername localhost \
	</dev/null 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && ! grep -qE 'Cipher is [A-Z]' <<<"$out"; then
	pass "echo refuses non-AEAD (CBC) TLS 1.2 ciphers"
else
	fail "echo refuses non-AEAD (CBC) TLS 1.2 ciphers" "$(grep -E 'Protocol|Cipher' <<<"$out")"
fi

# ---- the server is still healthy after the refused handshakes.
printf 'still here\n' >"$TMP/line2.in"
echo_stream echo "$TMP/line2.in" "$TMP/line2.out"
check_same_file "echo still works after refused handshakes" "$TMP/line2.in" "$TMP/line2.out"

finish
