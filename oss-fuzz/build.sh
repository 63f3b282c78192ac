#!/bin/bash -eu
# OSS-Fuzz build script (projects/futex-diff/build.sh), and ClusterFuzzLite's
# (.clusterfuzzlite/build.sh runs this one). Builds every fuzz target with
# cargo fuzz (the C revisions with clang and -fsanitize=fuzzer-no-link, see
# build.rs), and puts each binary in $OUT with its options file and seed
# corpus: the corpus scenarios' encoded twins for the binary-input targets,
# the readable scenarios for scenario_text; the binary-input targets also
# get the dictionary of statements (TARGET.dict, which OSS-Fuzz passes as
# -dict). The bundled revisions' known findings go beside the targets,
# which read them from there (src/fuzz/mod.rs), so that a fuzzing run
# stops only on something new. scripts/oss-fuzz-local.sh runs the same
# steps here, in CI.
cd "$SRC/futex-diff"

cargo fuzz build -O
release=fuzz/target/x86_64-unknown-linux-gnu/release

# `empty` is the benchmarks' baseline, not a fuzzer.
for target in $(cargo fuzz list | grep -v '^empty$'); do
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
