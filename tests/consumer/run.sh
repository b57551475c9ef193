#!/bin/sh
# Installs the build tree into a scratch prefix and uses it the way a user would, with a clean
# environment (no LD_LIBRARY_PATH: installed programs and plugins find libsinkbench through their
# $ORIGIN-relative RPATH, pkg-config consumers through the rpath in sinkbench.pc):
#   1. the installed `sinkbench info` and `sinkbench-bench --list` start;
#   2. every installed peer plugin loads (`sinkbench --plugin P info` lists its kernels);
#   3. the installed sinkbench-bench loads the installed peer plugins, not the build tree's;
#   4. a consumer program builds against the installed package with CMake's find_package and with
#      pkg-config, and runs.
# The prefix is moved after installing, so nothing may depend on the path it was installed to.
# usage: run.sh <build dir> <source dir> <scratch dir> <C compiler> [peer plugin file names...]
set -eu
build="$1"; src="$2"; scratch="$3"; cc="$4"; shift 4
rm -rf "$scratch"; mkdir -p "$scratch"
cmake --install "$build" --prefix "$scratch/installed-here" >"$scratch/install.log"
mv "$scratch/installed-here" "$scratch/prefix"   # relocated: RPATHs must be relative
prefix="$scratch/prefix"
clean() { env -i PATH=/usr/bin:/bin HOME="$scratch" "$@"; }
fail() { echo "install test: $*" >&2; exit 1; }

clean "$prefix/bin/sinkbench" info >"$scratch/info.txt" 2>&1 || { cat "$scratch/info.txt" >&2; fail "installed sinkbench info does not run"; }
grep -q "softmax_reference_f64" "$scratch/info.txt" || fail "installed sinkbench info lists no kernels"
echo "install test: installed sinkbench info runs without LD_LIBRARY_PATH"
if [ -e "$build/bench/suite/sinkbench-bench" ]; then
  clean "$prefix/bin/sinkbench-bench" --list --no-peers >"$scratch/bench-list.txt" 2>&1 ||
    { cat "$scratch/bench-list.txt" >&2; fail "installed sinkbench-bench does not run"; }
  echo "install test: installed sinkbench-bench runs"
fi

for peer in "$@"; do
  p=$(find "$prefix" -name "$peer" | head -1)
  [ -n "$p" ] || fail "peer plugin $peer is not installed"
  clean "$prefix/bin/sinkbench" --plugin "$p" info >"$scratch/peer.txt" 2>&1 ||
    { cat "$scratch/peer.txt" >&2; fail "installed peer plugin $p does not load"; }
  grep -q "plugin peer" "$scratch/peer.txt" || fail "$p loaded but registered no peer kernel"
  echo "install test: peer plugin ${p#$prefix/} loads"
done

# 3. the installed sinkbench-bench loads the installed peers, never the build tree's: its "plugins loaded"
#    line names the install's copies only, it lists every peer's benchmarks, and with one installed
#    peer taken away (its build-tree copy still there) that peer's benchmarks are gone, the others stay.
if [ -e "$build/bench/suite/sinkbench-bench" ] && [ $# -gt 0 ]; then
  peerdir=$(dirname "$(find "$prefix" -name "$1" | head -1)")
  bench_list() { # bench_list <name>: the installed sinkbench-bench --list, stdout and stderr apart
    clean "$prefix/bin/sinkbench-bench" --list >"$scratch/$1.txt" 2>"$scratch/$1.err" ||
      { cat "$scratch/$1.err" >&2; fail "installed sinkbench-bench --list fails"; }
    grep "plugins loaded:" "$scratch/$1.err" >"$scratch/$1.loaded" || fail "sinkbench-bench does not say which plugins it loaded"
    ! grep -qF "$build/bench/peers/" "$scratch/$1.loaded" || fail "the installed sinkbench-bench loaded the build tree's peers: $(cat "$scratch/$1.loaded")"
  }
  kernel_prefix() { n=${1#libsinkbench_peer_}; echo "/peer_${n%.so}"; }   # libsinkbench_peer_x.so -> /peer_x
  bench_list bench-peers
  for peer in "$@"; do
    grep -qF "$peerdir/$peer" "$scratch/bench-peers.loaded" || fail "the installed $peer was not loaded: $(cat "$scratch/bench-peers.loaded")"
    grep -qF "$(kernel_prefix "$peer")" "$scratch/bench-peers.txt" || fail "no benchmark of the installed peer $peer is listed"
  done
  mv "$peerdir/$1" "$scratch/$1.away"
  bench_list bench-peers-less
  mv "$scratch/$1.away" "$peerdir/$1"
  ! grep -qF "$(kernel_prefix "$1")" "$scratch/bench-peers-less.txt" ||
    fail "without the installed $1, its benchmarks are still listed: loaded from somewhere else"
  for peer in "$@"; do
    [ "$peer" = "$1" ] || grep -qF "$(kernel_prefix "$peer")" "$scratch/bench-peers-less.txt" ||
      fail "with $1 taken away, the installed $peer is no longer listed"
  done
  echo "install test: installed sinkbench-bench lists the installed peers' benchmarks (${peerdir#$prefix/}), not the build tree's"
fi

cmake -S "$src/tests/consumer" -B "$scratch/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" >"$scratch/configure.log"
cmake --build "$scratch/cmake" >"$scratch/build.log"
clean "$scratch/cmake/consumer" || fail "the find_package consumer does not run"
pc=$(find "$prefix" -name sinkbench.pc | head -1)
flags=$(PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config --cflags --libs sinkbench)
"$cc" -std=c11 "$src/tests/consumer/main.c" $flags -lm -o "$scratch/consumer-pc"
clean "$scratch/consumer-pc" || fail "the pkg-config consumer does not run"
echo "install test: find_package and pkg-config consumers both run without LD_LIBRARY_PATH"
