#!/usr/bin/env bash
# Resident size of a command over its run: samples VmRSS every INTERVAL
# seconds and prints one line, "warm -> end (max) MB", where warm is the
# first sample after WARMUP seconds. The command's own output goes to LOG.
# Usage: scripts/rss.sh INTERVAL WARMUP LOG COMMAND [ARGS...]
set -euo pipefail
interval=$1 warmup=$2 log=$3
shift 3
"$@" >"$log" 2>&1 &
pid=$!
start=$(date +%s)
samples=()
warm=
while kill -0 "$pid" 2>/dev/null; do
	rss=$(awk '/^VmRSS:/ { print int($2 / 1024) }' "/proc/$pid/status" 2>/dev/null || true)
	if [ -n "$rss" ]; then
		samples+=("$rss")
		if [ -z "$warm" ] && [ $(($(date +%s) - start)) -ge "$warmup" ]; then
			warm=$rss
		fi
	fi
	sleep "$interval"
done
wait "$pid" || true
[ ${#samples[@]} -gt 0 ] || { echo "no samples"; exit 0; }
end=${samples[-1]}
max=$(printf '%s\n' "${samples[@]}" | sort -n | tail -1)
echo "${warm:-${samples[0]}} -> $end (max $max) MB over $(($(date +%s) - start)) s"
