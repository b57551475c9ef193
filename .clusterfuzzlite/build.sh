#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build (docs/fuzzing.md): every harness in fuzz/ linked with the engine
# the infrastructure chose ($LIB_FUZZING_ENGINE), compiled with its flags ($CC, $CFLAGS: sanitizer and
# coverage), the whole library static and instrumented, MPFR and GMP static, json-c built from its
# source ($SRC/json-c, fetched by the Dockerfile) static and instrumented too. For each target, $OUT
# gets the fuzzer, <target>_seed_corpus.zip (seeds and regressions) and <target>.dict.
set -eu
cd "$SRC/sinkbench"
# The compiler knows where its target's static libraries are (multiarch folders included).
mpfr=$($CC -print-file-name=libmpfr.a)
gmp=$($CC -print-file-name=libgmp.a)
if [ ! -f "$mpfr" ] || [ ! -f "$gmp" ]; then
  echo "build.sh: libmpfr.a / libgmp.a not found (install libmpfr-dev libgmp-dev)" >&2
  exit 1
fi
# Division by zero in binary32/binary64 is defined (IEEE 754, C11 Annex F) and the numerics contract
# relies on it (inf/inf = NaN in the study kernel, 1/0 = inf): OSS-Fuzz's UBSan flags would report it.
extra="-fno-sanitize=float-divide-by-zero"
# The contract checker judges; it is not what is fuzzed (fuzz/uninstrumented.txt).
if [ "${FUZZING_ENGINE:-libfuzzer}" = libfuzzer ] && [ "${SANITIZER:-address}" != coverage ]; then
  extra="$extra -fsanitize-coverage-ignorelist=$SRC/sinkbench/fuzz/uninstrumented.txt"
fi
# json-c with the same compiler and flags, so the fuzzers see (and sanitize) its parser.
cmake -S "$SRC/json-c" -B "$WORK/json-c" -G Ninja -DCMAKE_BUILD_TYPE= -DBUILD_SHARED_LIBS=OFF \
  -DBUILD_STATIC_LIBS=ON -DBUILD_TESTING=OFF -DBUILD_APPS=OFF -DDISABLE_EXTRA_LIBS=ON -DDISABLE_WERROR=ON \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS $extra" -DCMAKE_INSTALL_PREFIX="$WORK/json-c-install" \
  -DCMAKE_INSTALL_LIBDIR=lib
cmake --build "$WORK/json-c" -j "$(nproc)"
cmake --install "$WORK/json-c"
cmake -S . -B "$WORK/build" -G Ninja -DCMAKE_BUILD_TYPE= -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS $extra" \
  -DSINKBENCH_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  -DMPFR_LIBRARY="$mpfr" -DGMP_LIBRARY="$gmp" -DSIMDE_ROOT="$SRC/simde" \
  -DJSONC_INCLUDE_DIR="$WORK/json-c-install/include" -DJSONC_LIBRARY="$WORK/json-c-install/lib/libjson-c.a"
cmake --build "$WORK/build" --target fuzzers -j "$(nproc)"

for dir in corpus/*/; do
  t=$(basename "$dir")
  cp "$WORK/build/fuzz/fuzz_$t" "$OUT/$t"
  if [ -f "fuzz/$t.dict" ]; then cp "fuzz/$t.dict" "$OUT/$t.dict"; else cp fuzz/softmax.dict "$OUT/$t.dict"; fi
  rm -f "$OUT/${t}_seed_corpus.zip"
  zip -q -j "$OUT/${t}_seed_corpus.zip" "corpus/$t"/seeds/* $(ls "corpus/$t"/regressions/* | grep -v README)
done
