#!/bin/sh
# An optional peer can never break configuration, whatever its CMake package does: configures the
# project with a package config for oneDNN, Highway, PyTorch and Google Benchmark that each stop with
# FATAL_ERROR (as Debian's oneDNN config does without OpenCL) or require a missing package, and
# checks that configuration still succeeds and says why each one is off.
# usage: run.sh <source dir> <scratch dir> <C compiler>
set -eu
src="$1"; scratch="$2"; cc="$3"
rm -rf "$scratch"; mkdir -p "$scratch/fake"
for pkg in dnnl hwy Torch; do
  mkdir -p "$scratch/fake/$pkg"
  echo "message(FATAL_ERROR \"fake $pkg config: this package is broken on purpose\")" \
    >"$scratch/fake/$pkg/${pkg}Config.cmake"
done
mkdir -p "$scratch/fake/benchmark"
echo 'find_package(SinkbenchNoSuchPackage REQUIRED)' >"$scratch/fake/benchmark/benchmarkConfig.cmake"
if ! cmake -S "$src" -B "$scratch/build" -DCMAKE_C_COMPILER="$cc" -DBUILD_TESTING=OFF \
     -Ddnnl_DIR="$scratch/fake/dnnl" -Dhwy_DIR="$scratch/fake/hwy" -DTorch_DIR="$scratch/fake/Torch" \
     -Dbenchmark_DIR="$scratch/fake/benchmark" >"$scratch/configure.log" 2>&1; then
  tail -30 "$scratch/configure.log" >&2
  echo "configure test: FAIL: a broken optional package stopped configuration" >&2
  exit 1
fi
fails=0
check() { # pattern, description
  if grep -q -- "$1" "$scratch/configure.log"; then echo "ok: $2"
  else echo "FAIL: $2 (no line matching '$1')"; fails=$((fails + 1)); fi
}
check "peer oneDNN: off (find_package(dnnl CONFIG) fails: .*broken on purpose" "oneDNN off, with the config's message"
check "peer Highway: off (find_package(hwy CONFIG) fails: .*broken on purpose" "Highway off, with the config's message"
check "peer PyTorch: off (.*broken on purpose" "PyTorch off, with the config's message"
check "bench off" "the benchmarks off when Google Benchmark's config fails"
check "bench off: .*SinkbenchNoSuchPackage" "and the reason names the missing package"
check "peer XNNPACK: " "the other peers are still probed"
[ "$fails" -eq 0 ] && echo "configure test: all passed"
[ "$fails" -eq 0 ]
