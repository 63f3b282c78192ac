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
# Defaults: 20 5 60 600 (about 30 minutes on 2 cores).
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

# Built as oss-fuzz/build.sh builds the targets that judge C revisions:
# the model's crate without SanitizerCoverage (scripts/fuzz-rustc.sh).
for sanitizer in none address; do
	RUSTC_WRAPPER="$PWD/scripts/fuzz-rustc.sh" \
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
	# The phase's last line, its own rate; the lines before it are
	# progress, each the rate of the moment.
	{ target/release/futex-diff hunt --seconds 20 --threads "$threads" --out "$work/hunt-findings" 2>&1 || true; } |
		grep '^random' | tail -1 || echo '?'
done

# 2b. in process (cargo bench): the same paths without libFuzzer, as ratios
# to the empty target, and the cost of one execution by scenario size
echo
FUTEX_DIFF_EMPTY_RATE=$empty_none cargo bench -q --bench throughput 2>/dev/null | grep -v '^$' || true

# 3. time to first finding, per recorded class, from an empty corpus
echo
scripts/ttff.sh "$seeds" "$cap" "$work/fuzz-none/x86_64-unknown-linux-gnu/release/meaning"

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
