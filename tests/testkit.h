/* A tiny test harness: checks that print what failed (with the test's seed) and count failures.
 * Every test program prints its seed first, so any failure can be replayed with SINKBENCH_SEED. */
#ifndef SINKBENCH_TESTKIT_H
#define SINKBENCH_TESTKIT_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int tk_failures;
static int tk_checks;
static uint64_t tk_seed;

#define TK_CHECK(cond, ...)                                                        \
    do {                                                                           \
        tk_checks++;                                                               \
        if (!(cond)) {                                                             \
            tk_failures++;                                                         \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);        \
            fprintf(stderr, __VA_ARGS__);                                          \
            fprintf(stderr, " (seed %" PRIu64 ")\n", tk_seed);                   \
        }                                                                          \
    } while (0)

/* The seed: SINKBENCH_SEED from the environment, else the given default. Printed. */
static inline uint64_t tk_init(const char *name, uint64_t default_seed)
{
    const char *s = getenv("SINKBENCH_SEED");
    tk_seed = s ? strtoull(s, NULL, 0) : default_seed;
    printf("%s: seed %" PRIu64 " (replay with SINKBENCH_SEED=%" PRIu64 ")\n", name, tk_seed, tk_seed);
    fflush(stdout);
    return tk_seed;
}

static inline int tk_finish(const char *name)
{
    printf("%s: %d checks, %d failures\n", name, tk_checks, tk_failures);
    if (tk_checks == 0) {
        fprintf(stderr, "%s: no checks ran\n", name);
        return 1;
    }
    return tk_failures ? 1 : 0;
}

#endif
