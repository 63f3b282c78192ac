#!/bin/bash -eu
# ClusterFuzzLite's build script is OSS-Fuzz's: one build, one set of
# targets, options, seeds, dictionaries and known findings in $OUT.
exec bash "$SRC/futex-diff/oss-fuzz/build.sh"
