#!/usr/bin/env bash
# `futex-diff prove` on the default scope (or SCOPE) for every bundled
# revision, one after the other on every core: the README's table of what
# each proof covered, how long it took and what it found.
# Usage: scripts/prove-all.sh [SCOPE]
set -euo pipefail
cd "$(dirname "$0")/.."
scope=${1:-}
cargo build --release -q
out=target/prove-all
rm -rf "$out" && mkdir -p "$out"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
first=1
for rev in $(target/release/futex-diff revisions | awk '$2 == "bundled" { print $1 }'); do
	target/release/futex-diff prove --rev "$rev" --scope "$scope" --out "$out/$rev" >"$out/$rev.txt" 2>/dev/null || true
	[ "$first" = 1 ] && sed -n '1,2p' "$out/$rev.txt" && first=0
	grep "^$rev: " "$out/$rev.txt"
	grep "^$rev \[" "$out/$rev.txt" | sed 's/^/    /' || true
done
