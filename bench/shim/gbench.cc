// The C++ side of bench/gbench.h: thin forwarding to Google Benchmark 1.7.1. The only C++ in the
// benchmark suite besides the Highway peer adapter; everything else is C.
#include "gbench.h"

#include <benchmark/benchmark.h>
#include <time.h>

#include <new>
#include <string>
#include <vector>

#ifndef SB_GBENCH_LIBRARY_VERSION
#define SB_GBENCH_LIBRARY_VERSION "unknown"
#endif

namespace {

benchmark::State &state_of(sb_gbench_state *st) { return *reinterpret_cast<benchmark::State *>(st); }
const benchmark::State &state_of(const sb_gbench_state *st) { return *reinterpret_cast<const benchmark::State *>(st); }
benchmark::internal::Benchmark *bench_of(sb_gbench_benchmark *b) {
  return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}

double thread_cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

}  // namespace

extern "C" {

sb_gbench_benchmark *sb_gbench_register(const char *name, sb_gbench_fn fn, void *user) {
  try {
    auto *b = benchmark::RegisterBenchmark(name, [fn, user](benchmark::State &st) {
      fn(reinterpret_cast<sb_gbench_state *>(&st), user);
    });
    return reinterpret_cast<sb_gbench_benchmark *>(b);
  } catch (const std::bad_alloc &) {
    return nullptr;
  }
}

void sb_gbench_arg_names(sb_gbench_benchmark *b, const char *const *names, size_t count) {
  std::vector<std::string> v(names, names + count);
  bench_of(b)->ArgNames(v);
}

void sb_gbench_args(sb_gbench_benchmark *b, const int64_t *values, size_t count) {
  bench_of(b)->Args(std::vector<int64_t>(values, values + count));
}

void sb_gbench_min_time(sb_gbench_benchmark *b, double seconds) { bench_of(b)->MinTime(seconds); }
void sb_gbench_repetitions(sb_gbench_benchmark *b, int repetitions) { bench_of(b)->Repetitions(repetitions); }
void sb_gbench_use_real_time(sb_gbench_benchmark *b) { bench_of(b)->UseRealTime(); }

void sb_gbench_unit(sb_gbench_benchmark *b, enum sb_gbench_unit unit) {
  static const benchmark::TimeUnit units[] = {benchmark::kNanosecond, benchmark::kMicrosecond,
                                              benchmark::kMillisecond, benchmark::kSecond};
  bench_of(b)->Unit(units[unit <= SB_GBENCH_S ? unit : SB_GBENCH_NS]);
}

int64_t sb_gbench_arg(const sb_gbench_state *st, size_t i) { return state_of(st).range(i); }

uint64_t sb_gbench_run(sb_gbench_state *st, sb_gbench_body body, void *ctx, double *cpu_seconds) {
  benchmark::State &s = state_of(st);
  const benchmark::IterationCount n = s.max_iterations;
  double spent = 0.0;
  // One batch of all the iterations: the C body runs them in one call, under the running timer.
  while (s.KeepRunningBatch(n)) {
    const double t0 = thread_cpu_seconds();
    body(ctx, static_cast<uint64_t>(n));
    spent += thread_cpu_seconds() - t0;
  }
  if (cpu_seconds) *cpu_seconds = spent;
  return static_cast<uint64_t>(s.iterations());
}

uint64_t sb_gbench_iterations(const sb_gbench_state *st) { return static_cast<uint64_t>(state_of(st).iterations()); }

void sb_gbench_counter(sb_gbench_state *st, const char *name, double value, unsigned flags) {
  int f = benchmark::Counter::kDefaults;
  if (flags & SB_GBENCH_RATE) f |= benchmark::Counter::kIsRate;
  if (flags & SB_GBENCH_PER_ITERATION) f |= benchmark::Counter::kAvgIterations;
  if (flags & SB_GBENCH_INVERT) f |= benchmark::Counter::kInvert;
  state_of(st).counters[name] = benchmark::Counter(
      value, static_cast<benchmark::Counter::Flags>(f),
      (flags & SB_GBENCH_KIBI) ? benchmark::Counter::kIs1024 : benchmark::Counter::kIs1000);
}

void sb_gbench_items_processed(sb_gbench_state *st, double items) {
  state_of(st).counters["items_per_second"] = benchmark::Counter(items, benchmark::Counter::kIsRate);
}

void sb_gbench_bytes_processed(sb_gbench_state *st, double bytes) {
  state_of(st).counters["bytes_per_second"] =
      benchmark::Counter(bytes, benchmark::Counter::kIsRate, benchmark::Counter::kIs1024);
}

void sb_gbench_label(sb_gbench_state *st, const char *label) { state_of(st).SetLabel(label); }
void sb_gbench_skip(sb_gbench_state *st, const char *reason) { state_of(st).SkipWithError(reason); }
void sb_gbench_context(const char *key, const char *value) { benchmark::AddCustomContext(key, value); }
const char *sb_gbench_library_version(void) { return SB_GBENCH_LIBRARY_VERSION; }

long sb_gbench_main(int *argc, char **argv) {
  benchmark::Initialize(argc, argv);
  if (benchmark::ReportUnrecognizedArguments(*argc, argv)) return -1;
  const long ran = static_cast<long>(benchmark::RunSpecifiedBenchmarks());
  benchmark::Shutdown();
  return ran;
}

}  // extern "C"
