#!/usr/bin/env bash
# The README's performance table, from one command on a fresh machine:
#  1. libFuzzer executions per second of the lockstep and meaning targets,
#     beside the empty target built the same way, without a sanitizer and
#     with ASan;
#  2. interleavings per second of `explore` (exhaustive, bound 2: every
#     schedule, and reduced: run and covered) and of `hunt`'s random
#     phase, on 1 thread and on every core, as ratios to the empty target;
#  2b. `cargo bench`'s in-process figures, its ratios to the empty target
#     and its table of the cost of one execution by scenario size;
#  3. time to first finding from an empty corpus (no seeds), for each
#     finding class the corpus records on a bundled revision (its
#     `# expect` lines), with the revision's other classes passed over
#     through FUTEX_DIFF_KNOWN, the `meaning` target without a sanitizer,
#     with fuzz/scenario.dict: the median of SEEDS seeds, capped at CAP
#     seconds, runs spread over every core;
#  4. resident size of a MEMORY-second `lockstep` fuzz run and of a
#     MEMORY-second `hunt`, after a minute's warm-up (half of a shorter
#     run) and at the end.
# Usage: scripts/bench.sh [SECONDS-PER-FUZZ-RUN [SEEDS [CAP [MEMORY]]]]
# Defaults: 20 5 60 600 (about 75 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
seeds=${2:-5}
cap=${3:-60}
memory=${4:-600}
work=target/bench
mkdir -p "$work"
export RUSTC_BOOTSTRAP=1
cores=$(nproc)

echo "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo)"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

for sanitizer in none address; do
	cargo fuzz build -O -s "$sanitizer" --target-dir "$work/fuzz-$sanitizer" >/dev/null 2>&1
done
cargo build --release -q

# 1. exec/s (known findings passed over, so the seeds do not stop the run)
printf '\n%-10s %-9s %12s %10s\n' target sanitizer exec/s vs-empty
for sanitizer in none address; do
	bin=$work/fuzz-$sanitizer/x86_64-unknown-linux-gnu/release
	empty_rate=
	for target in empty lockstep meaning; do
		corpus=$work/corpus-$target-$sanitizer
		rm -rf "$corpus" && mkdir -p "$corpus"
		dict=()
		[ "$target" = empty ] || dict=(-dict=fuzz/scenario.dict)
		FUTEX_DIFF_KNOWN=fuzz/known-findings.txt "$bin/$target" "${dict[@]}" \
			-max_total_time="$secs" -max_len=1024 -print_final_stats=1 "$corpus" corpus/bin \
			>"$work/$target-$sanitizer.log" 2>&1 || true
		runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 \2/p' "$work/$target-$sanitizer.log")
		rate=$(echo "$runs" | awk '{ printf "%d", $1 / ($2 > 0 ? $2 : 1) }')
		[ "$target" = empty ] && empty_rate=$rate
		[ "$target" = empty ] && [ "$sanitizer" = none ] && empty_none=$rate
		ratio=$(awk -v r="$rate" -v e="$empty_rate" 'BEGIN { printf "%.4f", r / (e > 0 ? e : 1) }')
		printf '%-10s %-9s %12s %10s\n' "$target" "$sanitizer" "$rate" "$ratio"
	done
done

# 2. interleavings/s, on 1 thread and on every core, every schedule and
# reduced (run, and covered: run plus those known to run alike), as
# ratios to the empty target without a sanitizer
echo
ratio() { awk -v r="$1" -v e="$empty_none" 'BEGIN { printf "%.4f", r / (e > 0 ? e : 1) }'; }
for threads in $(printf '%s\n' 1 "$cores" | sort -un); do
	full=$({ target/release/futex-diff explore --full --threads "$threads" || true; } | head -1)
	rate=$(echo "$full" | sed -n 's/.*: \([0-9]*\) schedules\/s$/\1/p')
	printf 'explore, %d thread(s), every schedule: %s (%s of empty)\n' "$threads" "$full" "$(ratio "$rate")"
	reduced=$({ target/release/futex-diff explore --threads "$threads" || true; } | head -2)
	run=$(echo "$reduced" | sed -n '1s/.*: \([0-9]*\) schedules\/s$/\1/p')
	covered=$(echo "$reduced" | sed -n '2s/.*, \([0-9]*\) covered\/s$/\1/p')
	printf 'explore, %d thread(s), reduced: %s\n    run %s of empty, covered %s of empty\n' \
		"$threads" "$(echo "$reduced" | tr '\n' ' ')" "$(ratio "$run")" "$(ratio "$covered")"
	printf 'hunt,    %d thread(s): ' "$threads"
	{ target/release/futex-diff hunt --seconds 20 --threads "$threads" --out "$work/hunt-findings" 2>&1 || true; } |
		grep -m1 '^random' || echo '?'
done

# 2b. in process (cargo bench): the same paths without libFuzzer, as ratios
# to the empty target, and the cost of one execution by scenario size
echo
FUTEX_DIFF_EMPTY_RATE=$empty_none cargo bench -q --bench throughput 2>/dev/null | grep -v '^$' || true

# 3. time to first finding, per recorded class, from an empty corpus
echo
printf '%-10s %-20s %s\n' revision class "seconds to first finding: median of $seeds seeds (each), cap $cap s"
pairs=$(grep -h '^# expect [a-z]' corpus/*.scn | sed 's/^# expect //' |
	awk -F': ' '{ n = split($2, c, " "); for (i = 1; i <= n; i++) print $1 ":" c[i] }' | sort -u)
classes="wrong-key spurious-error missing-error key-collision key-mismatch refcount-leak
	refcount-underflow use-after-free warn livelock deadlock lock-imbalance rcu-imbalance"
bin=$work/fuzz-none/x86_64-unknown-linux-gnu/release/meaning
ttff=$work/ttff
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
	FUTEX_DIFF_REV=$rev FUTEX_DIFF_KNOWN=$ttff/known-$rev-$class.txt timeout $((cap + 30)) "$bin" \
		-seed="$seed" -max_total_time="$cap" -max_len=1024 -dict=fuzz/scenario.dict -artifact_prefix="$dir/" "$dir" \
		>"$dir.log" 2>&1 || true
	end=$(date +%s.%N)
	if ls "$dir"/crash-* >/dev/null 2>&1; then
		awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f\n", e - s }' >"$dir.time"
	else
		echo ">$cap" >"$dir.time"
	fi
}
export -f one_run
export ttff cap bin
printf '%s\n' "${jobs[@]}" | xargs -P "$cores" -L 1 bash -c 'one_run $0 $1 $2'
for pair in $pairs; do
	rev=${pair%%:*} class=${pair#*:}
	times=()
	for seed in $(seq 1 "$seeds"); do
		times+=("$(cat "$ttff/$rev-$class-$seed.time")")
	done
	median=$(printf '%s\n' "${times[@]}" | sed "s/^>.*/999999/" | sort -g |
		awk -v cap="$cap" '{ a[NR] = $1 } END { m = a[int((NR + 1) / 2)]; if (m == 999999) print ">" cap; else print m }')
	printf '%-10s %-20s %6s   (%s)\n' "$rev" "$class" "$median" "${times[*]}"
done

# 4. memory over long runs, side by side
echo
mem=$work/memory
rm -rf "$mem" && mkdir -p "$mem/corpus"
# A minute's warm-up, or half of a shorter run.
warmup=$((memory < 120 ? memory / 2 : 60))
FUTEX_DIFF_KNOWN=fuzz/known-findings.txt scripts/rss.sh 10 "$warmup" "$mem/fuzz.log" \
	"$work/fuzz-none/x86_64-unknown-linux-gnu/release/lockstep" -max_total_time="$memory" \
	-max_len=1024 -dict=fuzz/scenario.dict "$mem/corpus" corpus/bin >"$mem/fuzz.rss" &
scripts/rss.sh 10 "$warmup" "$mem/hunt.log" target/release/futex-diff hunt --seconds "$memory" --threads 1 \
	--out "$mem/findings" >"$mem/hunt.rss"
wait
echo "resident size, lockstep fuzzing for $memory s: $(cat "$mem/fuzz.rss")"
echo "resident size, hunt for $memory s:             $(cat "$mem/hunt.rss")"
