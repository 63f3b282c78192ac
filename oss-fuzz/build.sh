#!/bin/bash -eu
# OSS-Fuzz build script (projects/futex-diff/build.sh), and ClusterFuzzLite's
# (.clusterfuzzlite/build.sh runs this one). Builds every fuzz target with
# cargo fuzz (the C revisions with clang and -fsanitize=fuzzer-no-link, see
# build.rs; the model's crate without coverage for the targets that judge
# them), and puts each binary in $OUT with its options file and seed
# corpus: the corpus scenarios' encoded twins for the binary-input targets,
# the readable scenarios for scenario_text; the binary-input targets also
# get the dictionary of statements (TARGET.dict, which OSS-Fuzz passes as
# -dict). The bundled revisions' known findings go beside the targets,
# which read them from there (src/fuzz/mod.rs), so that a fuzzing run
# stops only on something new. scripts/oss-fuzz-local.sh runs the same
# steps here, in CI.
cd "$SRC/futex-diff"

# scenario_text fuzzes the scenario parser: every crate instrumented.
cargo fuzz build -O scenario_text
# The others judge C revisions: the model's crate is built without
# SanitizerCoverage (scripts/fuzz-rustc.sh says why), into a target
# directory of its own, as cargo does not rebuild when the wrapper changes.
RUSTC_WRAPPER="$PWD/scripts/fuzz-rustc.sh" cargo fuzz build -O --target-dir fuzz/target/model

# `empty` is the benchmarks' baseline, not a fuzzer.
for target in $(cargo fuzz list | grep -v '^empty$'); do
	release=fuzz/target/model/x86_64-unknown-linux-gnu/release
	[ "$target" = scenario_text ] && release=fuzz/target/x86_64-unknown-linux-gnu/release
	cp "$release/$target" "$OUT/"
	cp "fuzz/options/$target.options" "$OUT/"
done

rm -f "$OUT"/*_seed_corpus.zip
zip -q -j "$OUT/lockstep_seed_corpus.zip" corpus/bin/*.bin
cp "$OUT/lockstep_seed_corpus.zip" "$OUT/meaning_seed_corpus.zip"
zip -q -j "$OUT/scenario_text_seed_corpus.zip" corpus/*.scn
cp fuzz/scenario.dict "$OUT/lockstep.dict"
cp fuzz/scenario.dict "$OUT/meaning.dict"
cp fuzz/known-findings.txt "$OUT/futex-diff-known-findings.txt"
