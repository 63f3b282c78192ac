#!/usr/bin/env bash
# The OSS-Fuzz and ClusterFuzzLite steps, run here: check the project files
# of both, build every target with the build script they share
# (.clusterfuzzlite/build.sh, which runs oss-fuzz/build.sh; into
# fuzz/out/), run each target for a bounded time over its seed corpus, fail
# on any crash, and keep the artefacts (fuzz/out/artifacts/TARGET/). As on
# those services, no FUTEX_DIFF_KNOWN is set: the targets pass over the
# bundled revisions' known findings from the file the build put beside
# them, so only something new fails the run. Then check that libFuzzer
# counts edges of the C revisions, not only of the Rust code.
#
# Usage: scripts/oss-fuzz-local.sh [SECONDS-PER-TARGET]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
root=$PWD
out=$root/fuzz/out
mkdir -p "$out"
unset FUTEX_DIFF_KNOWN

# The services' project files: both images copy the shared build script,
# both say Rust, and the workflows are YAML that run ClusterFuzzLite's
# actions in their modes, uploading the SARIF they write.
status=0
check() { "$@" >/dev/null 2>&1 || { echo "project files: failed: $*"; status=1; }; }
check grep -q '^COPY oss-fuzz/build.sh \$SRC/$' oss-fuzz/Dockerfile
check grep -q '^COPY .clusterfuzzlite/build.sh \$SRC/$' .clusterfuzzlite/Dockerfile
check grep -q 'oss-fuzz/build.sh' .clusterfuzzlite/build.sh
check grep -q '^language: rust$' oss-fuzz/project.yaml
check grep -q '^language: rust$' .clusterfuzzlite/project.yaml
check python3 - <<'PY'
import yaml
modes = {}
for name in ["cflite_pr", "cflite_batch", "cflite_cron"]:
    flow = yaml.safe_load(open(f".github/workflows/{name}.yml"))
    for job in flow["jobs"].values():
        uses = [s["uses"].split("@")[0] for s in job["steps"]]
        assert uses[:2] == ["google/clusterfuzzlite/actions/build_fuzzers",
                            "google/clusterfuzzlite/actions/run_fuzzers"], uses
        assert job["steps"][0]["with"]["language"] == "rust"
        run = job["steps"][1]["with"]
        modes.setdefault(name, []).append(run["mode"])
        # A job that writes SARIF uploads it to code scanning.
        if run.get("output-sarif"):
            assert uses[2:] == ["github/codeql-action/upload-sarif"], uses
            assert job["steps"][2]["with"]["sarif_file"] == "cifuzz-sarif/results.sarif"
            assert job["permissions"]["security-events"] == "write"
        else:
            assert uses[2:] == [], uses
assert modes == {"cflite_pr": ["code-change"], "cflite_batch": ["batch"],
                 "cflite_cron": ["prune", "coverage"]}, modes
PY
[ $status -eq 0 ] && echo "=== project files: OSS-Fuzz and ClusterFuzzLite share oss-fuzz/build.sh"

# The services check the project out at $SRC/futex-diff.
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
ln -s "$root" "$src/futex-diff"
# cargo fuzz wants nightly; on stable, RUSTC_BOOTSTRAP lets it through.
RUSTC_BOOTSTRAP=1 SRC=$src OUT=$out bash .clusterfuzzlite/build.sh
[ -f "$out/futex-diff-known-findings.txt" ] || { echo "the build put no known findings beside the targets"; status=1; }
for options in "$out"/*.options; do
	target=$(basename "$options" .options)
	corpus=$out/corpus/$target
	artifacts=$out/artifacts/$target
	mkdir -p "$corpus" "$artifacts"
	unzip -q -o "$out/${target}_seed_corpus.zip" -d "$corpus"
	max_len=$(sed -n 's/^max_len *= *//p' "$options")
	dict=()
	[ -f "$out/$target.dict" ] && dict=(-dict="$out/$target.dict")
	echo "=== $target: ${seconds}s over $(ls "$corpus" | wc -l) inputs"
	# A fixed seed makes a smoke run repeatable.
	if ! "$out/$target" -seed=1 -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=4096 "${dict[@]}" \
		-artifact_prefix="$artifacts/" "$corpus" >"$out/$target.log" 2>&1; then
		echo "$target crashed: $(grep -m1 -A1 panicked "$out/$target.log" | tail -1)"
		ls "$artifacts"
		status=1
	fi
	tail -n 1 "$out/$target.log"
done

# libFuzzer must see the C: each bundled revision's source lines are
# instrumented (they appear among the PCs), and the revisions' entry points,
# into which get_futex_key() is inlined, have covered edges.
"$out/lockstep" -runs=0 -print_coverage=1 "$out/corpus/lockstep" >"$out/coverage.log" 2>&1 || true
revisions="v3.12 rfc-2013 v4.6 v4.7 v5.6 v5.10 v5.13 v6.8 v6.13 v6.19 v7.1"
for rev in $revisions; do
	if ! grep -q "PC: .*csrc/revisions/$rev.c:" "$out/coverage.log"; then
		echo "csrc/revisions/$rev.c is not instrumented: is the C built with -fsanitize=fuzzer-no-link?"
		status=1
	fi
done
covered=$(grep -cE "^COVERED_FUNC: hits: [0-9]+ edges: ([2-9]|[1-9][0-9]+)/[0-9]+ fd_rev_[0-9]+_get" "$out/coverage.log" || true)
if [ "$covered" -lt "$(echo $revisions | wc -w)" ]; then
	echo "only $covered revision entry points have covered C edges"
	status=1
fi
[ $status -eq 0 ] && echo "=== C edges are counted: $covered revision entry points covered"

# A kernel tree as the meaning target's revision (FUTEX_DIFF_KERNEL): it is
# compiled at start, instrumented, and its edges counted as a module of its
# own. The tree is the test fixture: our v4.6 among unrelated code.
tree=$(mktemp -d)
mkdir -p "$tree/kernel"
cp tests/trees/Makefile.4.6 "$tree/Makefile"
cat tests/trees/futex-head.c csrc/revisions/v4.6.c tests/trees/futex-tail.c >"$tree/kernel/futex.c"
# The tree's v4.6 has its known strict bugs: a run may stop at the first,
# which shows the tree's code ran just as well as a clean start does.
FUTEX_DIFF_KERNEL=$tree FUTEX_DIFF_KNOWN=/dev/null "$out/meaning" -runs=200 -seed=1 \
	-artifact_prefix="$tree/" "$out/corpus/meaning" >"$out/kernel.log" 2>&1 || true
rm -rf "$tree"
if grep -q "Loaded 2 modules" "$out/kernel.log" && grep -qE "(INITED|linux-4\.6\.0 \[)" "$out/kernel.log"; then
	echo "=== a --kernel tree's C is counted: $(grep -m1 'Loaded 2 modules' "$out/kernel.log")"
else
	echo "the kernel tree's C is not instrumented, or did not run:"
	tail -n 5 "$out/kernel.log"
	status=1
fi
# From an empty corpus, the meaning target reaches a race window: 6.19's
# two calls on one word that land in different nodes' hash tables, with
# its other classes passed over (scripts/ttff.sh times every class).
empty=$(mktemp -d)
known=$empty/known.txt
for class in wrong-key spurious-error missing-error key-collision refcount-leak refcount-underflow \
	use-after-free warn livelock deadlock lock-imbalance rcu-imbalance; do
	echo "v6.19 $class" >>"$known"
done
mkdir -p "$empty/corpus"
FUTEX_DIFF_REV=v6.19 FUTEX_DIFF_KNOWN=$known "$out/meaning" -seed=1 -max_total_time=120 -max_len=1024 \
	-dict="$out/meaning.dict" -artifact_prefix="$empty/" "$empty/corpus" >"$out/race.log" 2>&1 || true
if grep -q "key-mismatch" "$out/race.log"; then
	echo "=== from an empty corpus, meaning found v6.19's key mismatch by input $(grep -o '^#[0-9]*' "$out/race.log" | tail -1)"
else
	echo "meaning did not find v6.19's key mismatch from an empty corpus in 120 s:"
	tail -n 5 "$out/race.log"
	status=1
fi
rm -rf "$empty"
exit $status
