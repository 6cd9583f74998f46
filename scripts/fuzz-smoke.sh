#!/usr/bin/env bash
# fuzz-smoke.sh DIR SECONDS — a short libFuzzer run of every DIR/fuzz_NAME.
#
# For each harness: first a pass over its seed corpus fuzz/corpus/NAME (every
# input run once), then SECONDS of fuzzing from a scratch copy of that corpus
# (the repository's corpus is never written), with fuzz/NAME.dict when present,
# -timeout=10 -rss_limit_mb=2048, and artifacts in a temporary directory.
# Prints the number of executions per harness. Harnesses run side by side,
# one per CPU. Exits non-zero when any harness
# crashed, leaked, timed out or ran out of memory, and shows the artifact paths
# (copy one into fuzz/corpus/NAME/ and add a named unit test). Also exits
# non-zero when there is nothing to run: no harness in DIR, a fuzz/fuzz_NAME.c
# without its built DIR/fuzz_NAME, or a harness without a seed corpus
# directory fuzz/corpus/NAME (an empty smoke run proves nothing).
set -uo pipefail

prog=${0##*/}
if [ $# -ne 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then
	echo "usage: $prog DIR SECONDS" >&2
	exit 2
fi
dir=$1
seconds=$2

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

shopt -s nullglob
bins=("$dir"/fuzz_*)
srcs=(fuzz/fuzz_*.c)
shopt -u nullglob
if [ ${#bins[@]} -eq 0 ]; then
	echo "$prog: FAILED: no harnesses in $dir (run make fuzz)"
	exit 1
fi
# Every harness in the tree must have been built: a missing one is not fuzzed.
unbuilt=()
for src in "${srcs[@]}"; do
	b=${src##*/}
	[ -x "$dir/${b%.c}" ] || unbuilt+=("${b%.c}")
done
if [ ${#unbuilt[@]} -gt 0 ]; then
	echo "$prog: FAILED: not built in $dir: ${unbuilt[*]} (run make fuzz)"
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-smoke.XXXXXX") || exit 1
keep_work=0
trap '[ "$keep_work" = 1 ] || rm -rf "$work"' EXIT

failed=()
summary=()

# executions LOG — the executed-units count libFuzzer printed with -print_final_stats=1.
executions() {
	sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$1" | tail -n 1
}

# show_failure NAME PHASE LOG ARTIFACT_DIR (keeps the work directory: see
# $work/NAME/failed, read after the jobs end)
show_failure() {
	local arts
	echo "$prog: $1: $2 FAILED; the end of its output:"
	grep -aE 'ERROR|SUMMARY|Test unit written|==[0-9]+==|deadly signal|timeout|out-of-memory|leak' "$3" |
		head -n 20 | sed 's/^/    /'
	tail -n 25 "$3" | sed 's/^/    /'
	arts=$(find "$4" -type f 2>/dev/null)
	if [ -n "$arts" ]; then
		echo "$prog: $1: artifacts:"
		printf '%s\n' "$arts" | sed 's/^/    /'
	fi
	keep_work=1
}

# smoke_one BIN — the two runs of one harness. Runs in the background: its
# summary line goes to $work/NAME/summary, and $work/NAME/failed marks a
# failure (show_failure prints its own report).
smoke_one() {
	local bin=$1 name corpus dict scratch art args log seeds runs
	name=${bin##*/fuzz_}
	mkdir -p "$work/$name"
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
		echo "$prog: $name: $bin is not an executable file"
		echo "$name: FAILED: not an executable file" >"$work/$name/summary"
		: >"$work/$name/failed"
		return
	fi
	corpus=fuzz/corpus/$name
	dict=fuzz/$name.dict
	scratch=$work/$name/corpus
	art=$work/$name/artifacts
	if [ ! -d "$corpus" ] || [ -z "$(find "$corpus" -type f -print -quit)" ]; then
		echo "$prog: $name: no seed corpus: $corpus is missing or empty"
		echo "$name: FAILED: no seed corpus $corpus" >"$work/$name/summary"
		: >"$work/$name/failed"
		return
	fi
	mkdir -p "$scratch" "$art"
	cp -R "$corpus"/. "$scratch"/
	args=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/")
	if [ -f "$dict" ]; then
		args+=(-dict="$dict")
	else
		echo "$prog: $name: no dictionary $dict"
	fi

	# 1. Every seed once (-runs=0 runs the initial corpus and stops).
	log=$work/$name/seeds.log
	if ! timeout -k 10 $((seconds + 300)) "$bin" "${args[@]}" -runs=0 "$scratch" >"$log" 2>&1; then
		show_failure "$name" "seed corpus run" "$log" "$art"
		echo "$name: FAILED on its seed corpus" >"$work/$name/summary"
		: >"$work/$name/failed"
		return
	fi
	seeds=$(find "$scratch" -type f | wc -l)

	# 2. Fuzz for SECONDS; new inputs go to the scratch copy only.
	log=$work/$name/fuzz.log
	echo "$prog: $name: fuzzing for ${seconds}s ($seeds seeds)"
	if ! timeout -k 10 $((seconds + 120)) "$bin" "${args[@]}" -max_total_time="$seconds" \
		"$scratch" >"$log" 2>&1; then
		show_failure "$name" "fuzzing" "$log" "$art"
		echo "$name: FAILED after $(executions "$log") executions" >"$work/$name/summary"
		: >"$work/$name/failed"
		return
	fi
	runs=$(executions "$log")
	echo "$name: ${runs:-?} executions in ${seconds}s, $seeds seeds, ok" >"$work/$name/summary"
}

# One harness per CPU at a time: each is single-threaded.
jobs_max=$(nproc 2>/dev/null || echo 1)
running=0
for bin in "${bins[@]}"; do
	if [ "$running" -ge "$jobs_max" ]; then
		wait -n
		running=$((running - 1))
	fi
	smoke_one "$bin" &
	running=$((running + 1))
done
wait
for bin in "${bins[@]}"; do
	name=${bin##*/fuzz_}
	if [ -f "$work/$name/summary" ]; then
		summary+=("$(cat "$work/$name/summary")")
	else
		summary+=("$name: FAILED: no result")
		failed+=("$name")
	fi
	if [ -e "$work/$name/failed" ]; then
		failed+=("$name")
		keep_work=1  # its logs and artifacts
	fi
done

echo "$prog: summary"
printf '    %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
	if [ "$keep_work" = 1 ]; then
		echo "$prog: FAILED: ${failed[*]} (logs and artifacts kept in $work)"
	else
		echo "$prog: FAILED: ${failed[*]}"
	fi
	exit 1
fi
echo "$prog: ${#summary[@]} harnesses ok"
