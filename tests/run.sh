#!/usr/bin/env bash
# tests/run.sh [UNIT_BIN...] — the runner `make test` calls.
#
# Runs each cmocka unit binary (its output is shown as it runs), then every
# tests/integration/[0-9][0-9]-*.sh in order. Ends with the cmocka summary
# lines of each binary, one integration summary line and, last, exactly
# "N passed, N failed, N skipped" counting unit test cases plus integration
# checks (cmocka's "[  SKIPPED ]" tests and the scripts' "# SKIP" checks are
# skips, not passes). Exits non-zero on any failure, and on any skip when
# TLSERVE_FAIL_ON_SKIP=1 or CI=true (`make ci` sets the former).
#
# Environment: TLSERVE_BIN (default ./tlserve), TLSERVE_WRAPPER (prepended to
# the server command by tests/integration/lib.sh), TLSERVE_TESTS (a glob of
# integration scripts to run instead of all, e.g. "0[12]-*"),
# TLSERVE_SCRIPT_TIMEOUT (seconds per integration script, default 300;
# tripled under a wrapper), TLSERVE_FAIL_ON_SKIP (1: a skip fails the run).
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1

TLSERVE_BIN=${TLSERVE_BIN:-./tlserve}
case $TLSERVE_BIN in /*) ;; *) TLSERVE_BIN=$REPO/${TLSERVE_BIN#./} ;; esac
TLSERVE_WRAPPER=${TLSERVE_WRAPPER:-}
export TLSERVE_BIN TLSERVE_WRAPPER
# cmocka's plain output, which the summaries below are read from.
export CMOCKA_MESSAGE_OUTPUT=STDOUT
unset CMOCKA_XML_FILE

script_timeout=${TLSERVE_SCRIPT_TIMEOUT:-300}
[ -n "$TLSERVE_WRAPPER" ] && script_timeout=$((script_timeout * 3))

logdir=$(mktemp -d "${TMPDIR:-/tmp}/tlserve-run.XXXXXX") || exit 1
trap 'rm -rf "$logdir"' EXIT

fail_on_skip=${TLSERVE_FAIL_ON_SKIP:-0}
[ "${CI:-}" = true ] && fail_on_skip=1

total_pass=0
total_fail=0
total_skip=0
unit_summary=""       # accumulated summary text for the end
failed_units=""

bar() { printf '\n======== %s ========\n' "$*"; }

# ------------------------------------------------------------------ unit tests

n=0
for bin in "$@"; do
	n=$((n + 1))
	log=$logdir/unit.$n.log
	bar "unit: $bin"
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin: not found or not executable" | tee "$log"
		rc=127
	else
		# Line-buffered stdout keeps cmocka's stdout and stderr lines in order.
		if command -v stdbuf >/dev/null 2>&1; then
			stdbuf -oL -eL "$bin" >"$log" 2>&1
		else
			"$bin" >"$log" 2>&1
		fi
		rc=$?
		cat "$log"
	fi
	# Every group a binary runs prints its own summary; add them up.
	summary=$(grep -aE '^\[(==========|  PASSED  |  FAILED  |  SKIPPED )\] [0-9]+ test' "$log")
	p=$(grep -aE '^\[  PASSED  \] [0-9]+ test' "$log" | awk '{ s += $4 } END { print s + 0 }')
	f=$(grep -aE '^\[  FAILED  \] [0-9]+ test' "$log" | awk '{ s += $4 } END { print s + 0 }')
	k=$(grep -aE '^\[  SKIPPED \] [0-9]+ test' "$log" | awk '{ s += $4 } END { print s + 0 }')
	runs=$(grep -acE '^\[==========\] [0-9]+ test\(s\) run\.' "$log")
	# A binary that crashed, printed no summary or exited non-zero without
	# reporting a failed test still counts as one failure.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		summary="$summary${summary:+$'\n'}[  FAILED  ] $bin exited with status $rc"
	elif [ "$runs" -eq 0 ]; then
		f=$((f + 1))
		summary="$summary${summary:+$'\n'}[  FAILED  ] $bin printed no cmocka summary"
	fi
	[ "$f" -gt 0 ] && failed_units="$failed_units ${bin##*/}"
	# The names of failed and skipped tests ("[  FAILED  ] test_name") help at the end too.
	names=$(grep -aE '^\[  (FAILED  |SKIPPED )\] [^0-9]' "$log" | awk '!seen[$0]++' | head -n 20)
	unit_summary="$unit_summary${bin}:"$'\n'"$summary"$'\n'"${names:+$names$'\n'}"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + k))
done
unit_skip=$total_skip

# ------------------------------------------------------------------ integration

shopt -s nullglob
# shellcheck disable=SC2206 # TLSERVE_TESTS is a glob on purpose
scripts=(tests/integration/${TLSERVE_TESTS:-[0-9][0-9]-*}.sh)
shopt -u nullglob

int_pass=0
int_fail=0
int_skip=0
int_skipped_scripts=""
int_failed_scripts=""
int_lines=""
for s in "${scripts[@]}"; do
	name=$(basename "$s" .sh)
	log=$logdir/int.$name.log
	bar "integration: $name${TLSERVE_WRAPPER:+ (under $TLSERVE_WRAPPER)}"
	start=$SECONDS
	timeout -k 10 "$script_timeout" bash "$s" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	# "# NAME: N passed, N failed, N skipped", or the older form without skips.
	line=$(grep -aE "^# $name: [0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?\$" "$log" | tail -n 1)
	if [ -n "$line" ]; then
		p=$(sed -E 's/^.*: ([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$/\1/' <<<"$line")
		f=$(sed -E 's/^.*: ([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$/\2/' <<<"$line")
		k=$(sed -E 's/^.*: ([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$/\4/' <<<"$line")
		k=${k:-0}
	else
		# No summary: count the lines printed so far, plus the crash itself.
		k=$(grep -aciE '^ok .* # skip( |$)' "$log")
		p=$(($(grep -acE '^ok ' "$log") - k))
		f=$(grep -acE '^not ok ' "$log")
		f=$((f + 1))
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "not ok - $name: timed out after ${script_timeout}s"
		else
			echo "not ok - $name: ended (status $rc) without its summary line"
		fi
		line="# $name: $p passed, $f failed, $k skipped (incomplete, status $rc)"
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		line="$line (but exited with status $rc)"
	fi
	[ "$f" -gt 0 ] && int_failed_scripts="$int_failed_scripts $name"
	[ "$k" -gt 0 ] && int_skipped_scripts="$int_skipped_scripts $name"
	int_lines="$int_lines$line ($((SECONDS - start))s)"$'\n'
	int_pass=$((int_pass + p))
	int_fail=$((int_fail + f))
	int_skip=$((int_skip + k))
done
total_pass=$((total_pass + int_pass))
total_fail=$((total_fail + int_fail))
total_skip=$((total_skip + int_skip))

# ------------------------------------------------------------------ summary

bar "summary"
if [ $# -eq 0 ]; then
	echo "unit: no unit test binaries"
else
	printf '%s' "$unit_summary"
	[ -n "$failed_units" ] && echo "unit: FAILED in:$failed_units"
fi
if [ ${#scripts[@]} -eq 0 ]; then
	echo "integration: no scripts in tests/integration"
else
	printf '%s' "$int_lines"
	echo "integration: ${#scripts[@]} scripts, $int_pass checks passed, $int_fail failed${int_failed_scripts:+ (in:$int_failed_scripts)}, $int_skip skipped${int_skipped_scripts:+ (in:$int_skipped_scripts)}"
fi
status=0
[ "$total_fail" -eq 0 ] || status=1
if [ "$total_skip" -gt 0 ]; then
	if [ "$fail_on_skip" = 1 ]; then
		echo "FAILED: $total_skip skipped ($unit_skip unit, $int_skip integration); no check may skip here"
		status=1
	else
		echo "note: $total_skip skipped ($unit_skip unit, $int_skip integration); TLSERVE_FAIL_ON_SKIP=1 (make ci) fails on them"
	fi
fi
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
exit $status
