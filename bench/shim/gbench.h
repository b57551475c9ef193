/* gbench: a small C API over Google Benchmark, so that every benchmark of sinkbench is written in C.
 *
 * The C++ side (bench/shim/gbench.cc) owns the timing loop: a benchmark function registered here
 * prepares its inputs (outside the timed region), then calls sb_gbench_run() once with a body
 * body(ctx, iterations) that does all the iterations Google Benchmark asks for in one C call, so the
 * cross-language call is not part of what is measured. After sb_gbench_run() the function sets counters.
 *
 *     static void body(void *ctx, uint64_t iterations) { ... the hot loop ... }
 *     static void bench_thing(sb_gbench_state *st, void *user)
 *     {
 *         prepare(user, sb_gbench_arg(st, 0));
 *         if (!ok) { sb_gbench_skip(st, "CPU lacks avx512"); return; }
 *         sb_gbench_run(st, body, user, NULL);
 *         sb_gbench_items_processed(st, (double)sb_gbench_iterations(st) * n);
 *         sb_gbench_counter(st, "max_ulp", max_ulp, 0);
 *     }
 *     sb_gbench_benchmark *b = sb_gbench_register("thing", bench_thing, user);
 *     static const char *const names[] = {"n"};
 *     sb_gbench_arg_names(b, names, 1);
 *     sb_gbench_args(b, (int64_t[]){4096}, 1);          -> runs as "thing/n:4096"
 *
 * A benchmark function must either call sb_gbench_skip() or sb_gbench_run() exactly once (Google Benchmark
 * reports a benchmark that does neither as an error). Nothing here is thread-safe: register from
 * one thread before sb_gbench_main(). */
#ifndef SINKBENCH_GBENCH_H
#define SINKBENCH_GBENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sb_gbench_state sb_gbench_state;          /* one run of one benchmark (a benchmark::State) */
typedef struct sb_gbench_benchmark sb_gbench_benchmark;  /* a registered benchmark (a benchmark::internal::Benchmark) */

typedef void (*sb_gbench_fn)(sb_gbench_state *st, void *user);
typedef void (*sb_gbench_body)(void *ctx, uint64_t iterations);

/* Registers a benchmark; fn is called for every run (estimation runs and each repetition), with user.
 * The name is copied. Returns NULL only when out of memory. */
sb_gbench_benchmark *sb_gbench_register(const char *name, sb_gbench_fn fn, void *user);
/* Names of the arguments ("n", "gap"): the run is then called "<name>/n:4096/gap:15". */
void sb_gbench_arg_names(sb_gbench_benchmark *b, const char *const *names, size_t count);
/* Adds one argument tuple; every tuple is a separate run. */
void sb_gbench_args(sb_gbench_benchmark *b, const int64_t *values, size_t count);
/* Per-benchmark overrides of the command-line defaults. */
void sb_gbench_min_time(sb_gbench_benchmark *b, double seconds);
void sb_gbench_repetitions(sb_gbench_benchmark *b, int repetitions);
void sb_gbench_use_real_time(sb_gbench_benchmark *b);
enum sb_gbench_unit { SB_GBENCH_NS, SB_GBENCH_US, SB_GBENCH_MS, SB_GBENCH_S };
void sb_gbench_unit(sb_gbench_benchmark *b, enum sb_gbench_unit unit);

/* The i-th argument of this run; i must be below the number of values given to sb_gbench_args(). */
int64_t sb_gbench_arg(const sb_gbench_state *st, size_t i);
/* Runs the timed loop: body(ctx, n) once with the iteration count Google Benchmark chose, timer
 * running. Returns n; *cpu_seconds (optional) receives the thread CPU time of the body alone, the
 * clock Google Benchmark reports by default. */
uint64_t sb_gbench_run(sb_gbench_state *st, sb_gbench_body body, void *ctx, double *cpu_seconds);
uint64_t sb_gbench_iterations(const sb_gbench_state *st);

/* Counter flags (combinable): SB_GBENCH_RATE divides by the run's time, SB_GBENCH_PER_ITERATION by the
 * iteration count, SB_GBENCH_INVERT inverts the result last (a rate of iterations becomes seconds each). */
enum { SB_GBENCH_RATE = 1u, SB_GBENCH_PER_ITERATION = 2u, SB_GBENCH_INVERT = 4u, SB_GBENCH_KIBI = 8u };
void sb_gbench_counter(sb_gbench_state *st, const char *name, double value, unsigned flags);
/* items_per_second and bytes_per_second, from totals over all iterations. */
void sb_gbench_items_processed(sb_gbench_state *st, double items);
void sb_gbench_bytes_processed(sb_gbench_state *st, double bytes);
void sb_gbench_label(sb_gbench_state *st, const char *label);
/* Marks the run skipped, with the reason in the report ("error_occurred" and "error_message" in
 * Google Benchmark 1.7.1's JSON, which has no separate skip state). Do not call sb_gbench_run() after it. */
void sb_gbench_skip(sb_gbench_state *st, const char *reason);

/* A key/value pair for the report's "context" object (machine, build, versions). */
void sb_gbench_context(const char *key, const char *value);

/* The Google Benchmark version this binary was configured with (the library has no runtime query;
 * its build type is in the report's context as "library_build_type"). */
const char *sb_gbench_library_version(void);

/* Parses Google Benchmark's --benchmark_* options out of argv (others are left in place, with
 * *argc updated), runs every registered benchmark and shuts the library down. Returns the number of
 * benchmarks run, or -1 when an option was not understood (a message was printed). */
long sb_gbench_main(int *argc, char **argv);

/* Keeps the compiler from deleting work whose result is otherwise unused. */
static inline void sb_gbench_use(const void *p)
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
