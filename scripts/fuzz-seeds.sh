#!/bin/sh
# Regenerates the generated part of the seed corpus, corpus/<target>/seeds/gen-*, and the self-test
# inputs fuzz/selftest/inputs/*, with fuzz_seedgen
# (fuzz/seedgen.c: rows from the shared row generator, fixed seeds). The output is deterministic:
# run it after changing the generator or the input format, and commit the result.
# usage: scripts/fuzz-seeds.sh [build-dir]      default build/release (configured and built if needed)
set -eu
cd "$(dirname "$0")/.."
build="${1:-build/release}"
[ -f "$build/CMakeCache.txt" ] || cmake --preset release >/dev/null
cmake --build "$build" --target fuzz_seedgen -j "${JOBS:-2}" >/dev/null
for dir in corpus/*/seeds; do
  rm -f "$dir"/gen-*
done
"$build/fuzz/fuzz_seedgen" corpus
for f in bench/tests/data/*.json; do   # real Google Benchmark reports (and broken ones) for json_parse
  cp "$f" "corpus/json_parse/seeds/gen-bench-data-$(basename "$f")"
done
"$build/fuzz/fuzz_seedgen" --selftest fuzz/selftest/inputs
