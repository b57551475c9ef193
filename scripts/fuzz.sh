#!/bin/bash
# Continuous fuzzing of every harness (docs/fuzzing.md): builds instrumented fuzzers, runs all targets
# for a given time across N cores, headless, then collects what was found (afl-fuzz exits 0 even when
# it saved crashes), deduplicates it by the harness's report, minimises it, files new cases under
# corpus/<target>/regressions/, minimises the queues back into corpus/<target>/seeds/, and prints a
# summary. Exit: 0 nothing found, 1 findings, 2 usage, 3 a build or tool failed.
#
# usage: scripts/fuzz.sh [options]
#   --engine afl|libfuzzer   AFL++ (default; -M/-S instances: CMPLOG, ASan+UBSan build, power schedules)
#                            or libFuzzer (ASan+UBSan, parallel processes sharing a corpus)
#   --time SECONDS           fuzzing time per target (default 600)
#   --jobs N                 cores to use (default: all); targets share them, and run in turns when
#                            there are fewer cores than targets
#   --targets "A B"          harnesses to run (default: every corpus/<target>)
#   --no-update              leave corpus/ alone (findings stay in the output folder)
#   --smoke                  CI smoke test: --time 30 --jobs 1 --no-update
#   --out DIR                output folder (default fuzz/out; emptied first)
#   --no-build               reuse the fuzz builds from an earlier run
# Examples:
#   scripts/fuzz.sh --time 1800 --jobs 1                  # a 30-minute campaign per target, one core
#   scripts/fuzz.sh --engine libfuzzer --time 600 --jobs 2
#   scripts/fuzz.sh --smoke                               # what .ci/run does
set -u
cd "$(dirname "$0")/.."
root=$PWD

engine=afl time=600 jobs=$(nproc) targets="" update=1 out=fuzz/out build=1
usage() { sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --engine) engine="${2:-}"; shift 2;;
    --time) time="${2:-}"; shift 2;;
    --jobs) jobs="${2:-}"; shift 2;;
    --targets) targets="${2:-}"; shift 2;;
    --no-update) update=0; shift;;
    --smoke) time=30 jobs=1 update=0; shift;;
    --out) out="${2:-}"; shift 2;;
    --no-build) build=0; shift;;
    -h|--help) usage; exit 0;;
    *) echo "fuzz.sh: unknown option '$1' (try --help)" >&2; exit 2;;
  esac
done
case "$engine" in afl|libfuzzer) ;; *) echo "fuzz.sh: --engine must be afl or libfuzzer" >&2; exit 2;; esac
case "$time$jobs" in *[!0-9]*|"") echo "fuzz.sh: --time and --jobs need positive integers" >&2; exit 2;; esac
[ "$time" -gt 0 ] && [ "$jobs" -gt 0 ] || { echo "fuzz.sh: --time and --jobs must be > 0" >&2; exit 2; }
if [ -z "$targets" ]; then
  for d in corpus/*/; do d=${d%/}; targets="$targets ${d#corpus/}"; done
fi
for t in $targets; do
  [ -d "corpus/$t/seeds" ] || { echo "fuzz.sh: no corpus/$t/seeds: unknown target '$t'" >&2; exit 2; }
done

die() { echo "fuzz.sh: $*" >&2; exit 3; }
log() { echo "fuzz.sh: $*"; }
dict_of() { # the target's dictionary: fuzz/<target>.dict, else the softmax one
  if [ -f "$root/fuzz/$1.dict" ]; then echo "$root/fuzz/$1.dict"; else echo "$root/fuzz/softmax.dict"; fi
}
ignore="$root/fuzz/uninstrumented.txt"
ntargets=$(echo $targets | wc -w)

# ---- builds ---------------------------------------------------------------------------------------
# The whole project is compiled with the fuzz compiler into a static library, so the kernels are
# instrumented; the contract checker is not (fuzz/uninstrumented.txt).
configure_build() { # dir, then env assignments for the compiler
  local dir="$1"; shift
  local cflags="${FUZZ_CFLAGS:-}" sanitize="${FUZZ_SANITIZE:-OFF}" type="${FUZZ_BUILD_TYPE:-Release}"
  env "$@" cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF \
      -DSINKBENCH_SANITIZE="$sanitize" -DSINKBENCH_FUZZ_ENGINE=-fsanitize=fuzzer -DCMAKE_C_FLAGS="$cflags" \
      >"$dir.log" 2>&1 &&
    env "$@" cmake --build "$dir" --target fuzzers -j "$jobs" >>"$dir.log" 2>&1 ||
    die "building $dir failed; see $dir.log"
}
if [ "$engine" = afl ]; then
  command -v afl-fuzz >/dev/null && command -v afl-clang-fast >/dev/null ||
    die "AFL++ is missing: scripts/install-deps.sh installs Debian's afl++"
  per_target=$(( jobs / ntargets )); [ "$per_target" -ge 1 ] || per_target=1
  afl_builds="fuzz-afl fuzz-afl-cmplog"
  [ "$per_target" -ge 2 ] && afl_builds="$afl_builds fuzz-afl-asan"
  if [ "$build" = 1 ]; then
    for b in $afl_builds; do
      mkdir -p build; log "building build/$b"
      case "$b" in
        fuzz-afl) configure_build "build/$b" CC=afl-clang-fast AFL_QUIET=1 AFL_LLVM_DENYLIST="$ignore";;
        fuzz-afl-cmplog) configure_build "build/$b" CC=afl-clang-fast AFL_QUIET=1 AFL_LLVM_DENYLIST="$ignore" AFL_LLVM_CMPLOG=1;;
        fuzz-afl-asan) configure_build "build/$b" CC=afl-clang-fast AFL_QUIET=1 AFL_LLVM_DENYLIST="$ignore" AFL_USE_ASAN=1 AFL_USE_UBSAN=1;;
      esac
    done
  fi
else
  command -v clang >/dev/null || die "clang is missing: scripts/install-deps.sh installs it"
  if [ "$build" = 1 ]; then
    mkdir -p build; log "building build/fuzz-libfuzzer"
    # Without trace-cmp hooks: 2.5x the execs/s on these numeric loops (docs/fuzzing.md); AFL++'s
    # CMPLOG instance is the one that solves comparisons.
    FUZZ_CFLAGS="-fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp -fsanitize-coverage-ignorelist=$ignore" \
      FUZZ_SANITIZE=ON \
      FUZZ_BUILD_TYPE=RelWithDebInfo configure_build build/fuzz-libfuzzer CC=clang
  fi
fi

for t in $targets; do
  if [ "$engine" = afl ]; then want="build/fuzz-afl/fuzz/fuzz_$t build/fuzz-afl-cmplog/fuzz/fuzz_$t"
  else want="build/fuzz-libfuzzer/fuzz/fuzz_$t"; fi
  for b in $want; do [ -x "$b" ] || die "$b is missing (run without --no-build)"; done
done

# ---- fuzzing --------------------------------------------------------------------------------------
rm -rf "$out"; mkdir -p "$out" || die "cannot create $out"
out=$(cd "$out" && pwd)
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_TRY_AFFINITY=1 \
       AFL_FAST_CAL=1 AFL_CMPLOG_ONLY_NEW=1 AFL_NO_WARN_INSTABILITY=1
unset ASAN_OPTIONS UBSAN_OPTIONS   # AFL++ and libFuzzer set what they need
schedules=(explore fast coe rare exploit seek mmopt)

start_afl() { # target, instances
  local t="$1" k="$2" i
  local in="$out/$t/in" o="$out/$t/afl"
  mkdir -p "$in" "$o"
  cp corpus/"$t"/seeds/* "$in"/ 2>/dev/null; cp corpus/"$t"/regressions/* "$in"/ 2>/dev/null
  rm -f "$in"/README*
  for ((i = 0; i < k; i++)); do
    local name opts bin="build/fuzz-afl/fuzz/fuzz_$t"
    if [ "$i" -eq 0 ]; then
      name=main; opts=(-M main -c "build/fuzz-afl-cmplog/fuzz/fuzz_$t")
    else
      name="s$i"; opts=(-S "s$i" -p "${schedules[$(( (i - 1) % ${#schedules[@]} ))]}")
      if [ $(( i % 2 )) -eq 1 ] && [ -x "build/fuzz-afl-asan/fuzz/fuzz_$t" ]; then
        bin="build/fuzz-afl-asan/fuzz/fuzz_$t"    # odd secondaries: ASan + UBSan
      elif [ $(( i % 4 )) -eq 2 ]; then
        opts+=(-L 0)                               # MOpt mutator scheduling
      fi
    fi
    timeout -k 10 $(( time + 300 )) afl-fuzz "${opts[@]}" -V "$time" -t 2000 -x "$(dict_of "$t")" -i "$in" -o "$o" \
      -- "$bin" >"$out/$t/afl-$name.log" 2>&1 &
  done
}

start_libfuzzer() { # target, instances
  local t="$1" k="$2" i bin="build/fuzz-libfuzzer/fuzz/fuzz_$t"
  mkdir -p "$out/$t/lf/corpus" "$out/$t/lf/crashes"
  for ((i = 0; i < k; i++)); do
    timeout -k 10 $(( time + 300 )) "$bin" -max_total_time="$time" -dict="$(dict_of "$t")" -seed=$(( 1000 + i )) \
      -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$out/$t/lf/crashes/" \
      "$out/$t/lf/corpus" "corpus/$t/seeds" "corpus/$t/regressions" >"$out/$t/lf-$i.log" 2>&1 &
  done
}

# Targets share the cores; with fewer cores than targets they run in turns.
set -- $targets
while [ $# -gt 0 ]; do
  batch="" n=0
  while [ $# -gt 0 ] && [ "$n" -lt "$jobs" ]; do batch="$batch $1"; shift; n=$((n + 1)); done
  per=$(( jobs / n )) extra=$(( jobs % n ))
  for t in $batch; do
    k=$per; [ "$extra" -gt 0 ] && { k=$((k + 1)); extra=$((extra - 1)); }
    mkdir -p "$out/$t"; echo "$k" >"$out/$t/instances"
    log "fuzzing $t for $time s with $k $engine instance(s)"
    if [ "$engine" = afl ]; then start_afl "$t" "$k"; else start_libfuzzer "$t" "$k"; fi
  done
  wait
done

# ---- collection -----------------------------------------------------------------------------------
# The signature of a crash: the harness's "VIOLATION kernel=K rule=R" line, else the sanitizer's or
# signal's description. Replayed with the plain replay binary first, then with the sanitizer build.
signature() { # target, file -> prints "kernel rule" or "" when it does not reproduce
  local t="$1" f="$2" bin outp
  for bin in build/fuzz-afl/fuzz/fuzz_${t}_replay build/fuzz-afl-asan/fuzz/fuzz_${t}_replay \
             build/fuzz-libfuzzer/fuzz/fuzz_${t}_replay; do
    [ -x "$bin" ] || continue
    outp=$(timeout 60 "$bin" "$f" 2>&1); rc=$?
    [ "$rc" -eq 0 ] && continue
    local v; v=$(printf '%s\n' "$outp" | sed -n 's/.*VIOLATION kernel=\([^ ]*\) rule=\([^ ]*\).*/\1 \2/p' | head -1)
    if [ -z "$v" ]; then
      v=$(printf '%s\n' "$outp" | sed -n 's/.*ERROR: \(AddressSanitizer\|LeakSanitizer\): \([a-z-]*\).*/harness asan-\2/p;
                                         s/.*runtime error: .*/harness ubsan/p' | head -1)
    fi
    [ -z "$v" ] && { [ "$rc" -eq 124 ] && v="harness timeout" || v="harness exit-$rc"; }
    echo "$v"; return
  done
}

minimise() { # target, file, signature, output
  local t="$1" f="$2" sig="$3" o="$4"
  if [ "$sig" = "harness timeout" ]; then
    cp "$f" "$o"; return
  elif [ "$engine" = afl ]; then
    local bin=build/fuzz-afl/fuzz/fuzz_$t
    timeout 600 afl-tmin -t 5000 -i "$f" -o "$o" -- "$bin" >/dev/null 2>&1 ||
      { [ -x build/fuzz-afl-asan/fuzz/fuzz_$t ] &&
        timeout 600 afl-tmin -t 5000 -i "$f" -o "$o" -- build/fuzz-afl-asan/fuzz/fuzz_$t >/dev/null 2>&1; }
  else
    timeout 600 build/fuzz-libfuzzer/fuzz/fuzz_$t -minimize_crash=1 -max_total_time=120 \
      -exact_artifact_path="$o" "$f" >/dev/null 2>&1
  fi
  # Keep the minimised input only when it still breaks the same rule.
  if [ ! -s "$o" ] || [ "$(signature "$t" "$o")" != "$sig" ]; then cp "$f" "$o"; fi
  # A kernel selector names a registry index, which moves as kernels are added: select every kernel
  # instead (header byte 0 = 0) when the input still breaks the same rule that way.
  local all="$o.all"
  { printf '\000'; tail -c +2 "$o"; } >"$all"
  if [ "$(signature "$t" "$all")" = "$sig" ]; then mv "$all" "$o"; else rm -f "$all"; fi
}

findings=0 broken=0
summary="$out/summary.txt"
: >"$summary"
printf '%-20s %5s %12s %10s %8s %9s %8s %s\n' target inst execs execs/s run_s edges crashes findings | tee -a "$summary"
for t in $targets; do
  k=$(cat "$out/$t/instances")
  execs=0 eps=0 cpu=0 edges=0 raw=0
  crashes=()
  if [ "$engine" = afl ]; then
    for s in "$out/$t"/afl/*/fuzzer_stats; do
      [ -f "$s" ] || continue
      execs=$(( execs + $(awk '$1=="execs_done"{print $3}' "$s") ))
      cpu=$(( cpu + $(awk '$1=="run_time"{print $3}' "$s") ))
      e=$(awk '$1=="edges_found"{print $3}' "$s"); [ "$e" -gt "$edges" ] && edges=$e
    done
    while IFS= read -r f; do crashes+=("$f"); done < <(find "$out/$t"/afl/*/crashes "$out/$t"/afl/*/hangs \
      -type f -name 'id:*' 2>/dev/null | sort)
  else
    for l in "$out/$t"/lf-*.log; do
      x=$(sed -n 's/^stat::number_of_executed_units: *//p' "$l"); execs=$(( execs + ${x:-0} ))
      cpu=$(( cpu + time ))
      e=$(grep -o 'cov: [0-9]*' "$l" | tail -1 | cut -d' ' -f2); [ "${e:-0}" -gt "$edges" ] && edges=$e
    done
    while IFS= read -r f; do crashes+=("$f"); done < <(find "$out/$t/lf/crashes" -type f 2>/dev/null | sort)
  fi
  [ "$cpu" -gt 0 ] && eps=$(( execs / cpu ))
  raw=${#crashes[@]}
  if [ "$execs" -eq 0 ] && [ "$raw" -eq 0 ]; then   # the fuzzer never ran: not a clean result
    log "$t: the fuzzer did not run; its log ends with:"
    tail -5 "$out/$t"/*.log >&2
    broken=$((broken + 1))
  fi
  # Deduplicate by signature, keeping the smallest input of each.
  declare -A best=()
  for f in "${crashes[@]}"; do
    sig=$(signature "$t" "$f")
    [ -z "$sig" ] && { log "$t: $(basename "$f") does not reproduce outside the fuzzer (flaky hang?), ignored"; continue; }
    if [ -z "${best[$sig]:-}" ] || [ "$(stat -c %s "$f")" -lt "$(stat -c %s "${best[$sig]}")" ]; then best[$sig]=$f; fi
  done
  found=0
  mkdir -p "$out/$t/findings"
  for sig in "${!best[@]}"; do
    found=$((found + 1))
    name=$(echo "$sig" | tr ' ' '-' | tr -c 'A-Za-z0-9._\n-' '-')
    min="$out/$t/findings/$name"
    minimise "$t" "${best[$sig]}" "$sig" "$min"
    hash=$(sha1sum "$min" | cut -c1-8)
    log "$t: FOUND $sig (from $(basename "${best[$sig]}"), minimised to $(stat -c %s "$min") bytes): $min"
    if [ "$update" = 1 ]; then
      if ls corpus/"$t"/regressions/"$name"-* >/dev/null 2>&1; then
        log "$t: a regression for $name already exists; not adding another"
      else
        cp "$min" "corpus/$t/regressions/$name-$hash"; log "$t: added corpus/$t/regressions/$name-$hash"
      fi
    fi
  done
  unset best
  findings=$((findings + found))
  printf '%-20s %5s %12s %10s %8s %9s %8s %s\n' "$t" "$k" "$execs" "$eps" "$cpu" "$edges" "$raw" "$found" | tee -a "$summary"

  # Minimise everything the fuzzers kept, seeds included, back into the seeds: the generated seeds
  # (gen-*) stay; earlier cmin-* seeds are replaced by the new minimal set.
  if [ "$update" = 1 ]; then
    pool="$out/$t/pool" min="$out/$t/cmin"
    mkdir -p "$pool"; rm -rf "$min"
    cp corpus/"$t"/seeds/* "$pool"/ 2>/dev/null
    if [ "$engine" = afl ]; then
      find "$out/$t"/afl/*/queue -maxdepth 1 -type f -name 'id:*' -size -16k -exec cp {} "$pool"/ \; 2>/dev/null
      AFL_QUIET=1 timeout 1800 afl-cmin -i "$pool" -o "$min" -- build/fuzz-afl/fuzz/fuzz_$t - >"$out/$t/cmin.log" 2>&1
    else
      find "$out/$t/lf/corpus" -type f -size -16k -exec cp {} "$pool"/ \; 2>/dev/null
      mkdir -p "$min"
      timeout 1800 build/fuzz-libfuzzer/fuzz/fuzz_$t -merge=1 "$min" "$pool" >"$out/$t/cmin.log" 2>&1
    fi
    if [ -d "$min" ] && [ -n "$(ls "$min")" ]; then
      declare -A keep=()
      for f in corpus/"$t"/seeds/gen-*; do keep[$(sha1sum <"$f" | cut -c1-40)]=1; done
      rm -f corpus/"$t"/seeds/cmin-*
      added=0
      for f in "$min"/*; do
        h=$(sha1sum <"$f" | cut -c1-40)
        [ -n "${keep[$h]:-}" ] && continue
        keep[$h]=1; cp "$f" "corpus/$t/seeds/cmin-${h:0:12}"; added=$((added + 1))
      done
      unset keep
      log "$t: seeds now $(ls corpus/"$t"/seeds | wc -l) files ($added kept from the queue by corpus minimisation)"
    else
      log "$t: corpus minimisation failed; see $out/$t/cmin.log (seeds unchanged)"
    fi
  fi
done
log "engine $engine, $time s per target on $jobs core(s); summary in $summary"
[ "$broken" -eq 0 ] || die "$broken target(s) did not fuzz at all"
if [ "$findings" -gt 0 ]; then
  log "$findings finding(s): see above and $out/*/findings/"
  exit 1
fi
log "no findings"
exit 0
