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

# ---- KeyUpdate (RFC 8446 4.6.3) in the middle of an echo session, for each
# TLS 1.3 suite. tlserve seals TLS 1.3 records itself until the client asks it
# to update its keys too: s_client's "K" (update_requested). It then sends its
# own KeyUpdate and goes on with OpenSSL's record layer under the new key; "k"
# (update_not_requested) changes the client's key only. Every line, and a
# 48 KiB block of hex lines before the first K and after the last one, must
# come back in order. s_client takes command letters only without -quiet and
# with -no_ign_eof, and only from a read of stdin starting with the letter: so
# each line goes out once the previous one had its effect (its echo, or
# KEYUPDATE on stderr), waited for (bounded). stdbuf -o0 keeps s_client's
# session chatter and the echoed bytes in the order they happened; -msg goes
# to a file of its own. No line starts with a command letter (Q, R, K, k):
# the lines start with "echo-", the hex lines with a hex digit.
require_cmd stdbuf openssl
# hex_block FILE — 48 KiB of random bytes as 768 lines of 64 hex digits.
hex_block() {
	head -c 24576 /dev/urandom | od -An -v -tx1 | tr -d ' \n' | fold -w 64 >"$1"
	echo >>"$1"
}

for suite in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
	what="echo KeyUpdate ($suite)"
	expect=$TMP/ku.$suite.expect
	hex_block "$TMP/ku.$suite.hexa"
	hex_block "$TMP/ku.$suite.hexb"
	: >"$expect"
	ku_open echo -tls1_3 -ciphersuites "$suite"
	# the steps: a line, a hex block, K, a line, k, a line, K, a line, a hex block
	keyupdates=0
	n=0
	at="every step had its answer"
	for step in line hexa K line k line K line hexb; do
		case $step in
		line)
			n=$((n + 1))
			line="echo-$n-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
			printf '%s\n' "$line" >>"$expect"
			ku_write "$line"$'\n'
			ku_wait "$KU_OUT" "$line" 1 || { at="no answer to step $step"; break; }
			;;
		hex?)
			cat "$TMP/ku.$suite.$step" >>"$expect"
			(cat "$TMP/ku.$suite.$step" >&"$KU_FD") 2>/dev/null
			ku_wait "$KU_OUT" "$(tail -n 1 "$TMP/ku.$suite.$step")" 1 || { at="no answer to step $step"; break; }
			;;
		K | k)
			keyupdates=$((keyupdates + 1))
			ku_write "$step"$'\n'
			ku_wait "$KU_ERR" KEYUPDATE "$keyupdates" || { at="no KEYUPDATE for step $step"; break; }
			;;
		esac
	done
	ku_close
	check_eq "$what: the handshake is TLS 1.3 with $suite" "New, TLSv1.3, Cipher is $suite" \
		"$(LC_ALL=C grep -a -m 1 '^New, ' "$KU_OUT")"
	got=$(LC_ALL=C grep -aE '^(echo-[0-9]+-[0-9a-f]{16}|[0-9a-f]{64})$' "$KU_OUT")
	if [ "$got" = "$(cat "$expect")" ]; then
		pass "$what: 4 lines and 2 x 48 KiB of hex lines around K, k, K all come back, in order"
	else
		fail "$what: 4 lines and 2 x 48 KiB of hex lines around K, k, K all come back, in order" \
			"$at; $(wc -l <"$expect") lines sent, $(printf '%s' "$got" | grep -c .) came back" \
			"$(diff <(cat "$expect") <(printf '%s\n' "$got") | head -n 6)" \
			"$(grep -aiE 'error|alert' "$KU_ERR" | head -n 3)"
	fi
	check_eq "$what: s_client sent 3 KeyUpdates, the server answered the 2 that asked for one" \
		"sent 3, received 2" \
		"sent $(grep -c '^>>> TLS 1.3, Handshake \[length 0005\], KeyUpdate' "$KU_MSG" 2>/dev/null), received $(grep -c '^<<< TLS 1.3, Handshake \[length 0005\], KeyUpdate' "$KU_MSG" 2>/dev/null)"
	if [ "$KU_RC" -eq 0 ] && grep -qx DONE "$KU_ERR" && ! grep -qiE 'error|alert' "$KU_ERR" \
		&& ! grep -qiE 'fatal|bad_record_mac|decrypt' "$KU_MSG"; then
		pass "$what: no error, no alert: the session ends with our close (status 0)"
	else
		fail "$what: no error, no alert: the session ends with our close (status 0)" "s_client status $KU_RC" \
			"$(grep -aiE 'error|alert|DONE' "$KU_ERR" | head -n 4)" "$(grep -aiE 'fatal|alert' "$KU_MSG" | head -n 3)"
	fi
done

finish
