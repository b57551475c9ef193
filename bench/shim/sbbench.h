/* sbbench: a small C API over Google Benchmark, so that every benchmark of sinkbench is written in C.
 *
 * The C++ side (bench/shim/sbbench.cc) owns the timing loop: a benchmark function registered here
 * prepares its inputs (outside the timed region), then calls sbb_run() once with a body
 * body(ctx, iterations) that does all the iterations Google Benchmark asks for in one C call, so the
 * cross-language call is not part of what is measured. After sbb_run() the function sets counters.
 *
 *     static void body(void *ctx, uint64_t iterations) { ... the hot loop ... }
 *     static void bench_thing(sbb_state *st, void *user)
 *     {
 *         prepare(user, sbb_arg(st, 0));
 *         if (!ok) { sbb_skip(st, "CPU lacks avx512"); return; }
 *         sbb_run(st, body, user, NULL);
 *         sbb_items_processed(st, (double)sbb_iterations(st) * n);
 *         sbb_counter(st, "max_ulp", max_ulp, 0);
 *     }
 *     sbb_benchmark *b = sbb_register("thing", bench_thing, user);
 *     static const char *const names[] = {"n"};
 *     sbb_arg_names(b, names, 1);
 *     sbb_args(b, (int64_t[]){4096}, 1);          -> runs as "thing/n:4096"
 *
 * A benchmark function must either call sbb_skip() or sbb_run() exactly once (Google Benchmark
 * reports a benchmark that does neither as an error). Nothing here is thread-safe: register from
 * one thread before sbb_main(). */
#ifndef SINKBENCH_SBBENCH_H
#define SINKBENCH_SBBENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sbb_state sbb_state;          /* one run of one benchmark (a benchmark::State) */
typedef struct sbb_benchmark sbb_benchmark;  /* a registered benchmark (a benchmark::internal::Benchmark) */

typedef void (*sbb_fn)(sbb_state *st, void *user);
typedef void (*sbb_body)(void *ctx, uint64_t iterations);

/* Registers a benchmark; fn is called for every run (estimation runs and each repetition), with user.
 * The name is copied. Returns NULL only when out of memory. */
sbb_benchmark *sbb_register(const char *name, sbb_fn fn, void *user);
/* Names of the arguments ("n", "gap"): the run is then called "<name>/n:4096/gap:15". */
void sbb_arg_names(sbb_benchmark *b, const char *const *names, size_t count);
/* Adds one argument tuple; every tuple is a separate run. */
void sbb_args(sbb_benchmark *b, const int64_t *values, size_t count);
/* Per-benchmark overrides of the command-line defaults. */
void sbb_min_time(sbb_benchmark *b, double seconds);
void sbb_repetitions(sbb_benchmark *b, int repetitions);
void sbb_use_real_time(sbb_benchmark *b);
enum sbb_unit { SBB_NS, SBB_US, SBB_MS, SBB_S };
void sbb_unit(sbb_benchmark *b, enum sbb_unit unit);

/* The i-th argument of this run; i must be below the number of values given to sbb_args(). */
int64_t sbb_arg(const sbb_state *st, size_t i);
/* Runs the timed loop: body(ctx, n) once with the iteration count Google Benchmark chose, timer
 * running. Returns n; *cpu_seconds (optional) receives the thread CPU time of the body alone, the
 * clock Google Benchmark reports by default. */
uint64_t sbb_run(sbb_state *st, sbb_body body, void *ctx, double *cpu_seconds);
uint64_t sbb_iterations(const sbb_state *st);

/* Counter flags (combinable): SBB_RATE divides by the run's time, SBB_PER_ITERATION by the
 * iteration count, SBB_INVERT inverts the result last (a rate of iterations becomes seconds each). */
enum { SBB_RATE = 1u, SBB_PER_ITERATION = 2u, SBB_INVERT = 4u, SBB_KIBI = 8u };
void sbb_counter(sbb_state *st, const char *name, double value, unsigned flags);
/* items_per_second and bytes_per_second, from totals over all iterations. */
void sbb_items_processed(sbb_state *st, double items);
void sbb_bytes_processed(sbb_state *st, double bytes);
void sbb_label(sbb_state *st, const char *label);
/* Marks the run skipped, with the reason in the report ("error_occurred" and "error_message" in
 * Google Benchmark 1.7.1's JSON, which has no separate skip state). Do not call sbb_run() after it. */
void sbb_skip(sbb_state *st, const char *reason);

/* A key/value pair for the report's "context" object (machine, build, versions). */
void sbb_context(const char *key, const char *value);

/* The Google Benchmark version this binary was configured with (the library has no runtime query;
 * its build type is in the report's context as "library_build_type"). */
const char *sbb_library_version(void);

/* Parses Google Benchmark's --benchmark_* options out of argv (others are left in place, with
 * *argc updated), runs every registered benchmark and shuts the library down. Returns the number of
 * benchmarks run, or -1 when an option was not understood (a message was printed). */
long sbb_main(int *argc, char **argv);

/* Keeps the compiler from deleting work whose result is otherwise unused. */
static inline void sbb_use(const void *p)
{
#if defined(__GNUC__)
    __asm__ volatile("" : : "r"(p) : "memory");
#else
    volatile const void *sink = p;
    (void)sink;
#endif
}

#ifdef __cplusplus
}
#endif
#endif
