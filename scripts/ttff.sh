#!/usr/bin/env bash
# Time to first finding from an empty corpus (no seeds), for each finding
# class the corpus records on a bundled revision (its `# expect` lines),
# with the revision's other classes passed over through FUTEX_DIFF_KNOWN:
# the `meaning` target BINARY (built without a sanitizer), with
# fuzz/scenario.dict, the median of SEEDS seeds capped at CAP seconds, runs
# spread over every core. PAIRS, a regular expression, keeps only the
# `revision:class` pairs it matches. TTFF_FLAGS (environment) replaces the
# libFuzzer flags the runs get besides the seed, the time and the
# dictionary (default: the options file's, fuzz/options/meaning.options).
# scripts/bench.sh runs it as its section 3.
#
# Usage: [TTFF_FLAGS=...] scripts/ttff.sh SEEDS CAP BINARY [PAIRS]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=$1 cap=$2 bin=$3 filter=${4:-.}
[ -x "$bin" ] || { echo "ttff.sh: $bin: no such fuzz target (RUSTC_WRAPPER=\$PWD/scripts/fuzz-rustc.sh cargo fuzz build -O -s none --target-dir fuzz/target/model meaning)" >&2; exit 2; }
bin=$(realpath "$bin")
ttff=target/bench/ttff
cores=$(nproc)
flags=${TTFF_FLAGS:-$(sed -n 's/^\([a-z_]*\) *= *\(.*\)/-\1=\2/p' fuzz/options/meaning.options | xargs)}

printf '%-10s %-20s %s\n' revision class "seconds to first finding: median of $seeds seeds (each), cap $cap s"
pairs=$(grep -h '^# expect [a-z]' corpus/*.scn | sed 's/^# expect //' |
	awk -F': ' '{ n = split($2, c, " "); for (i = 1; i <= n; i++) print $1 ":" c[i] }' | sort -u | grep -E -- "$filter" || true)
[ -n "$pairs" ] || { echo "ttff.sh: no recorded revision:class pair matches $filter" >&2; exit 2; }
classes="wrong-key spurious-error missing-error key-collision key-mismatch refcount-leak
	refcount-underflow use-after-free warn livelock deadlock lock-imbalance rcu-imbalance"
rm -rf "$ttff" && mkdir -p "$ttff"
jobs=()
for pair in $pairs; do
	rev=${pair%%:*} class=${pair#*:}
	known=$ttff/known-$rev-$class.txt
	for other in $classes; do
		[ "$other" = "$class" ] || echo "$rev $other " >>"$known"
	done
	for seed in $(seq 1 "$seeds"); do
		jobs+=("$rev $class $seed")
	done
done
one_run() {
	local rev=$1 class=$2 seed=$3
	local dir=$ttff/$rev-$class-$seed
	mkdir -p "$dir"
	local start end
	start=$(date +%s.%N)
	# $flags unquoted: one word per flag.
	# shellcheck disable=SC2086
	FUTEX_DIFF_REV=$rev FUTEX_DIFF_KNOWN=$ttff/known-$rev-$class.txt timeout $((cap + 30)) "$bin" \
		-seed="$seed" -max_total_time="$cap" $flags -dict=fuzz/scenario.dict -artifact_prefix="$dir/" "$dir" \
		>"$dir.log" 2>&1 || true
	end=$(date +%s.%N)
	if ls "$dir"/crash-* >/dev/null 2>&1; then
		awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f\n", e - s }' >"$dir.time"
	else
		echo ">$cap" >"$dir.time"
	fi
}
export -f one_run
export ttff cap bin flags
printf '%s\n' "${jobs[@]}" | xargs -P "$cores" -L 1 bash -c 'one_run $0 $1 $2'
under=0 total=0
for pair in $pairs; do
	rev=${pair%%:*} class=${pair#*:}
	times=()
	for seed in $(seq 1 "$seeds"); do
		times+=("$(cat "$ttff/$rev-$class-$seed.time")")
	done
	median=$(printf '%s\n' "${times[@]}" | sed "s/^>.*/999999/" | sort -g |
		awk -v cap="$cap" '{ a[NR] = $1 } END { m = a[int((NR + 1) / 2)]; if (m == 999999) print ">" cap; else print m }')
	printf '%-10s %-20s %6s   (%s)\n' "$rev" "$class" "$median" "${times[*]}"
	total=$((total + 1))
	case $median in ">"*) ;; *) under=$((under + 1)) ;; esac
done
echo "$under of $total classes found within $cap s (median of $seeds seeds)"
