#!/usr/bin/env bash
# rustc wrapper for the fuzz builds of the targets that judge C revisions,
# `lockstep` and `meaning` (RUSTC_WRAPPER; see oss-fuzz/build.sh): Rust is
# compiled without SanitizerCoverage, and with everything else cargo fuzz
# asks for (--cfg fuzzing, a sanitizer, debug assertions). The C keeps its
# coverage: build.rs compiles it with clang and -fsanitize=fuzzer-no-link.
#
# What guides libFuzzer in those targets is the C revision's edges and
# comparisons and the interleaving feedback's counters
# (src/fuzz/feedback.rs). The edges of the Rust around them (the world, the
# scheduler, the oracles, the decoder and its `arbitrary`) are the same for
# most inputs, yet libFuzzer's bookkeeping grows with every edge an input
# touches: with them an input costs several times as much, and races are
# found later. `scenario_text`, which fuzzes the scenario parser, is built
# without this wrapper.
rustc=$1
shift
args=()
for arg in "$@"; do
	case $arg in
	-Cpasses=sancov-module | -Cllvm-args=-sanitizer-coverage-*) ;;
	*) args+=("$arg") ;;
	esac
done
exec "$rustc" "${args[@]}"
