#!/usr/bin/env bash
# rustc wrapper for the fuzz builds of the model's targets (RUSTC_WRAPPER,
# see oss-fuzz/build.sh): the futex-diff crate is compiled without
# SanitizerCoverage, every other crate as cargo fuzz asks.
#
# The `lockstep` and `meaning` targets judge C revisions. What guides
# libFuzzer there is the C revision's coverage (build.rs instruments it)
# and the interleaving feedback's counters (src/fuzz/feedback.rs); the
# edges and comparisons of the model around them (the world, the
# scheduler, the oracles) are the same for most inputs and cost more than
# the run itself: libFuzzer's bookkeeping grows with the edges an input
# touches. `scenario_text`, which fuzzes the scenario parser, is built
# without this wrapper.
rustc=$1
shift
case " $* " in
*" --crate-name futex_diff "*)
	args=()
	for arg in "$@"; do
		case $arg in
		-Cpasses=sancov-module | -Cllvm-args=-sanitizer-coverage-*) ;;
		*) args+=("$arg") ;;
		esac
	done
	exec "$rustc" "${args[@]}"
	;;
esac
exec "$rustc" "$@"
