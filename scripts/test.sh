#!/bin/sh
# Configures, builds and runs ctest for each build: release, asan (Debug + ASan + UBSan) and aarch64
# (cross build, tests under qemu-aarch64). Installs missing Debian packages first. Each phase's time
# is printed. usage: scripts/test.sh [preset...]      default: release asan aarch64
set -eu
cd "$(dirname "$0")/.."
t0=$(date +%s)
scripts/install-deps.sh
echo "=== packages: $(( $(date +%s) - t0 )) s"
presets="${*:-release asan aarch64}"
jobs="${JOBS:-$(nproc)}"
for preset in $presets; do
  start=$(date +%s)
  echo "=== $preset: configure, build, test"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  built=$(date +%s)
  ctest --preset "$preset" -j "$jobs"
  echo "=== $preset: passed in $(( $(date +%s) - start )) s (build $((built - start)) s, tests $(( $(date +%s) - built )) s)"
done
