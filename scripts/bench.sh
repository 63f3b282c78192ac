#!/usr/bin/env bash
# Throughput of futex-diff, as the README's performance table reports it:
#  1. libFuzzer executions per second of the lockstep and meaning targets,
#     beside the empty target built the same way, without a sanitizer and
#     with ASan, and the resident size at warm-up and at the end;
#  2. interleavings per second of `futex-diff explore` on 1 and 2 threads;
#  3. time to first finding from an empty corpus, per known finding class of
#     the bundled revisions (median of SEEDS seeds; other classes passed
#     over through FUTEX_DIFF_KNOWN).
# Usage: scripts/bench.sh [SECONDS-PER-FUZZ-RUN] [SEEDS] [CAP-SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
seeds=${2:-5}
cap=${3:-60}
work=target/bench
mkdir -p "$work"
export RUSTC_BOOTSTRAP=1

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

# 1. exec/s (known findings passed over, so the seeds do not stop the run)
for sanitizer in none address; do
	cargo fuzz build -O -s "$sanitizer" --target-dir "$work/fuzz-$sanitizer" >/dev/null 2>&1
done
printf '\n%-10s %-8s %12s %10s %16s\n' target sanitizer exec/s vs-empty "rss warm->end MB"
for sanitizer in none address; do
	bin=$work/fuzz-$sanitizer/x86_64-unknown-linux-gnu/release
	empty_rate=
	for target in empty lockstep meaning; do
		corpus=$work/corpus-$target-$sanitizer
		rm -rf "$corpus" && mkdir -p "$corpus"
		FUTEX_DIFF_KNOWN=fuzz/known-findings.txt \
			"$bin/$target" -max_total_time="$secs" -max_len=1024 -print_final_stats=1 "$corpus" corpus/bin \
			>"$work/$target-$sanitizer.log" 2>&1 || true
		runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 \2/p' "$work/$target-$sanitizer.log")
		rate=$(echo "$runs" | awk '{ printf "%d", $1 / ($2 > 0 ? $2 : 1) }')
		[ "$target" = empty ] && empty_rate=$rate
		warm=$(grep -m1 -o 'rss: [0-9]*Mb' "$work/$target-$sanitizer.log" | grep -o '[0-9]*' || echo ?)
		end=$(grep -o 'rss: [0-9]*Mb' "$work/$target-$sanitizer.log" | tail -1 | grep -o '[0-9]*' || echo ?)
		ratio=$(awk -v r="$rate" -v e="$empty_rate" 'BEGIN { printf "%.4f", r / (e > 0 ? e : 1) }')
		printf '%-10s %-8s %12s %10s %16s\n' "$target" "$sanitizer" "$rate" "$ratio" "$warm -> $end"
	done
done

# 2. interleavings/s
cargo build --release -q
echo
for threads in 1 2; do
	printf 'explore, %d thread(s): ' "$threads"
	{ target/release/futex-diff explore --threads "$threads" || true; } | head -1
done

# 3. time to first finding, per known class, from an empty corpus
echo
printf '%-10s %-16s %s\n' revision class "seconds to first finding (median of $seeds; cap $cap s)"
bin=$work/fuzz-address/x86_64-unknown-linux-gnu/release/meaning
for pair in v3.12:livelock v3.12:use-after-free v3.12:warn rfc-2013:livelock rfc-2013:warn \
	v4.6:key-collision v4.6:wrong-key v4.6:warn v4.7:warn; do
	rev=${pair%%:*}
	class=${pair#*:}
	# Pass over every other class of this revision.
	known=$work/known-$rev-$class.txt
	: >"$known"
	for other in wrong-key spurious-error missing-error key-collision key-mismatch refcount-leak \
		refcount-underflow use-after-free warn livelock deadlock lock-imbalance rcu-imbalance; do
		[ "$other" = "$class" ] || echo "$rev $other " >>"$known"
	done
	times=()
	for seed in $(seq 1 "$seeds"); do
		corpus=$work/ttff-$rev-$class-$seed
		rm -rf "$corpus" && mkdir -p "$corpus"
		start=$(date +%s.%N)
		FUTEX_DIFF_REV=$rev FUTEX_DIFF_KNOWN=$known timeout $((cap + 30)) "$bin" -seed="$seed" \
			-max_total_time="$cap" -max_len=1024 -artifact_prefix="$corpus/" "$corpus" >"$corpus.log" 2>&1 || true
		end=$(date +%s.%N)
		if ls "$corpus"/crash-* >/dev/null 2>&1; then
			times+=("$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')")
		else
			times+=(">$cap")
		fi
	done
	median=$(printf '%s\n' "${times[@]}" | sed 's/^>/9999/' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	[ "$median" = 9999 ] || [ "${median%%.*}" -ge 9999 ] 2>/dev/null && median=">$cap"
	printf '%-10s %-16s %s   (%s)\n' "$rev" "$class" "$median" "${times[*]}"
done
