#!/usr/bin/env bash
# Records, in each corpus scenario's header, the finding classes the oracles
# report on every bundled revision (`# expect REV: CLASS ...`, or
# `# expect: none`), and refreshes its encoded twin in corpus/bin/.
# tests/corpus_regressions.rs checks both. Review the diff before committing:
# a changed expectation is a changed verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release
bin=target/release/futex-diff
mkdir -p corpus/bin
for file in corpus/*.scn; do
	lines=()
	for rev in v3.12 rfc-2013 v4.6 v4.7 v5.6 v5.10 v5.13 v6.8 v6.13 v6.19 v7.1; do
		# A scenario the revision's era cannot hold (exit 2, "applies to
		# none") expects nothing of it.
		out=$("$bin" check "$file" --rev "$rev" 2>&1) || case $? in
			1) ;;
			*) grep -q 'applies to none of the revisions' <<<"$out" || { echo "$out" >&2; exit 1; } ;;
		esac
		classes=$(sed -n 's/^  \([a-z-]*\): .*/\1/p' <<<"$out" | sort -u | tr '\n' ' ')
		[ -n "$classes" ] && lines+=("# expect $rev: ${classes% }")
	done
	[ ${#lines[@]} -eq 0 ] && lines=("# expect: none")
	body=$(grep -v '^# expect' "$file")
	{
		# Header comments first, then the expectations, then the rest.
		printf '%s\n' "$body" | awk '/^#/ && !done { print; next } { done = 1; exit }'
		printf '%s\n' "${lines[@]}"
		printf '%s\n' "$body" | awk '/^#/ && !done { next } { done = 1; print }'
	} >"$file.new"
	mv "$file.new" "$file"
	"$bin" encode "$file" -o "corpus/bin/$(basename "$file" .scn).bin"
done
