/* A tiny test harness: checks that print what failed (with the test's seed) and count failures.
 * Every test program prints its seed first, so any failure can be replayed with SINKBENCH_SEED. */
#ifndef SINKBENCH_TESTKIT_H
#define SINKBENCH_TESTKIT_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int sb_test_failures;
static int sb_test_checks;
static uint64_t sb_test_seed;

#define SB_TEST_CHECK(cond, ...)                                                        \
    do {                                                                                \
        sb_test_checks++;                                                               \
        if (!(cond)) {                                                                  \
            sb_test_failures++;                                                         \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);             \
            fprintf(stderr, __VA_ARGS__);                                               \
            fprintf(stderr, " (seed %" PRIu64 ")\n", sb_test_seed);                     \
        }                                                                               \
    } while (0)

/* The seed: SINKBENCH_SEED from the environment, else the given default. Printed. */
static inline uint64_t sb_test_init(const char *name, uint64_t default_seed)
{
    const char *s = getenv("SINKBENCH_SEED");
    sb_test_seed = s ? strtoull(s, NULL, 0) : default_seed;
    printf("%s: seed %" PRIu64 " (replay with SINKBENCH_SEED=%" PRIu64 ")\n", name, sb_test_seed, sb_test_seed);
    fflush(stdout);
    return sb_test_seed;
}

static inline int sb_test_finish(const char *name)
{
    printf("%s: %d checks, %d failures\n", name, sb_test_checks, sb_test_failures);
    if (sb_test_checks == 0) {
        fprintf(stderr, "%s: no checks ran\n", name);
        return 1;
    }
    return sb_test_failures ? 1 : 0;
}

#endif
