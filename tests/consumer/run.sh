#!/bin/sh
# Installs the build tree into a scratch prefix, then builds a consumer against it twice: with CMake's
# find_package and with pkg-config. usage: run.sh <build dir> <source dir> <scratch dir> <C compiler>
set -eu
build="$1"; src="$2"; scratch="$3"; cc="$4"
rm -rf "$scratch"; mkdir -p "$scratch"
prefix="$scratch/prefix"
cmake --install "$build" --prefix "$prefix" >"$scratch/install.log"
cmake -S "$src/tests/consumer" -B "$scratch/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" >"$scratch/configure.log"
cmake --build "$scratch/cmake" >"$scratch/build.log"
LD_LIBRARY_PATH="$(dirname "$(find "$prefix" -name 'libsinkbench.so*' | head -1)")" "$scratch/cmake/consumer"
pc=$(find "$prefix" -name sinkbench.pc | head -1)
flags=$(PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config --cflags --libs sinkbench)
"$cc" -std=c11 "$src/tests/consumer/main.c" $flags -lm -o "$scratch/consumer-pc"
LD_LIBRARY_PATH="$(dirname "$(find "$prefix" -name 'libsinkbench.so*' | head -1)")" "$scratch/consumer-pc"
echo "consumer: find_package and pkg-config both work"
