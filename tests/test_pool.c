/* The library's thread pool (kernels/core/pool.h) and the attention calls that use it:
 *   - every index runs exactly once, for any count and thread count (clamped ones included);
 *   - the pool starts on the first parallel call and grows to the largest thread count asked for;
 *   - concurrent callers (application threads) and nested calls (from inside a task) finish, cover
 *     their indices, and their attention results are bit-identical to one thread's;
 *   - helpers run in the caller's floating-point environment (the rounding mode here), so a call
 *     under round-toward-zero gives the same bits with 1 and 3 threads;
 *   - after fork, the child's parallel calls work (its pool starts afresh).
 * ctest runs it with our own pool (pool) and, where the build has pthreadpool, with
 * SINKBENCH_THREAD_POOL=pthreadpool (pool_pthreadpool). Under qemu-user (SB_TEST_EMULATED) only the
 * calling-thread paths run: qemu cannot start threads there (tests/test_attention_problem.h). */
#define _POSIX_C_SOURCE 200809L
#include <fenv.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/pool.h"
#include "sinkbench/sinkbench.h"
#include "test_attention_problem.h"
#include "testkit.h"

#ifdef SB_TEST_EMULATED
#define THREADS_RUN 0
#else
#define THREADS_RUN 1
#endif

/* ---- coverage ----------------------------------------------------------------------------------- */

typedef struct cover {
    atomic_uint *hits;
    size_t count;
} cover;

static void hit(void *ctx, size_t i)
{
    cover *c = ctx;
    atomic_fetch_add(&c->hits[i], 1u);
}

/* Runs a parallel for of count indices on `threads` threads; 1 when every index ran exactly once. */
static int covered_once(size_t count, size_t threads)
{
    cover c = {calloc(count ? count : 1, sizeof(atomic_uint)), count};
    if (!c.hits)
        return 0;
    for (size_t i = 0; i < count; i++)
        atomic_init(&c.hits[i], 0u);
    sb_pool_parallel_for(count, threads, hit, &c);
    int ok = 1;
    for (size_t i = 0; i < count; i++)
        ok &= atomic_load(&c.hits[i]) == 1u;
    free(c.hits);
    return ok;
}

static void test_coverage_and_growth(void)
{
    TK_CHECK(sb_pool_helpers() == 0, "no helper before the first parallel call (%zu)", sb_pool_helpers());
    TK_CHECK(covered_once(100, 1), "one thread");
    TK_CHECK(sb_pool_helpers() == 0, "one thread starts no helper");
    if (!THREADS_RUN)
        return;
    TK_CHECK(covered_once(1, 4), "one index: the caller alone");
    TK_CHECK(sb_pool_helpers() == 0, "one index starts no helper");
    TK_CHECK(covered_once(100, 4), "4 threads");
    TK_CHECK(sb_pool_helpers() == 3, "4 threads: 3 helpers (%zu)", sb_pool_helpers());
    TK_CHECK(covered_once(100, 2), "2 threads");
    TK_CHECK(sb_pool_helpers() == 3, "a smaller call keeps the pool (%zu)", sb_pool_helpers());
    TK_CHECK(covered_once(3, 6), "more threads than indices");
    TK_CHECK(sb_pool_helpers() == 3, "threads are clamped to the count first (%zu)", sb_pool_helpers());
    TK_CHECK(covered_once(1000, 6), "6 threads");
    TK_CHECK(sb_pool_helpers() == 5, "6 threads grow the pool to 5 helpers (%zu)", sb_pool_helpers());
    static const size_t counts[] = {0, 1, 2, 3, 7, 64, 1000, 100000}, threads[] = {1, 2, 3, 4, 7, 1000};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++)
        for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++)
            TK_CHECK(covered_once(counts[c], threads[t]), "count %zu, %zu threads", counts[c], threads[t]);
    TK_CHECK(sb_pool_helpers() <= SB_POOL_MAX_THREADS - 1, "1000 threads are clamped (%zu)", sb_pool_helpers());
}

/* ---- nested and concurrent calls ------------------------------------------------------------------ */

typedef struct nest {
    atomic_uint inner_ok;
} nest;

static void outer_task(void *ctx, size_t i)
{
    nest *n = ctx;
    if (covered_once(10 + i, THREADS_RUN ? 3 : 1)) /* the pool is busy with this very call: runs here */
        atomic_fetch_add(&n->inner_ok, 1u);
}

static void test_nested(void)
{
    nest n;
    atomic_init(&n.inner_ok, 0u);
    sb_pool_parallel_for(16, THREADS_RUN ? 4 : 1, outer_task, &n);
    TK_CHECK(atomic_load(&n.inner_ok) == 16u, "nested calls: %u of 16 covered", atomic_load(&n.inner_ok));
}

typedef struct caller {
    const sb_attention_desc *d;
    const float *expect; /* one thread's output */
    size_t span, threads;
    int ok, calls;
} caller;

static void *concurrent_caller(void *arg)
{
    caller *c = arg;
    sb_attention_desc d = *c->d;
    float *out = malloc(c->span * sizeof(float));
    c->ok = out != NULL;
    d.out = out;
    d.n_threads = c->threads;
    for (int r = 0; r < c->calls && c->ok; r++) {
        memset(out, 0, c->span * sizeof(float));
        c->ok = sb_attention(&d) == SB_OK && memcmp(out, c->expect, c->span * sizeof(float)) == 0 &&
                covered_once(500, c->threads);
    }
    free(out);
    return NULL;
}

/* A decode and a prefill problem with splits (two parallel phases per call). */
static int build(sb_attention_problem *p, int which, sb_rng *rng)
{
    sb_attention_spec s = which == 0 ? sb_attention_spec_default(16, 4, 64, TA_BIG ? 3000 : 300, 1)
                                : sb_attention_spec_default(4, 2, 32, TA_BIG ? 300 : 60, TA_BIG ? 40 : 8);
    s.sink = SB_ATTENTION_SINK_LOGITS;
    s.causal = which == 1;
    s.splits = 4;
    if (!sb_attention_problem_build(p, &s, rng))
        return 0;
    p->d.n_splits = 4;
    return 1;
}

static size_t out_span(const sb_attention_desc *d)
{
    return sb_attention_span(d->n_queries, d->out_stride_token, d->n_heads, d->out_stride_head, d->head_dim);
}

static void test_concurrent_callers(sb_rng *rng)
{
    if (!THREADS_RUN) {
        printf("concurrent callers: skipped under emulation (qemu-user cannot start threads here)\n");
        return;
    }
    for (int which = 0; which < 2; which++) {
        sb_attention_problem p;
        if (!build(&p, which, rng)) {
            TK_CHECK(0, "out of memory");
            return;
        }
        size_t span = out_span(&p.d);
        float *one = malloc(span * sizeof(float));
        p.d.n_threads = 1;
        TK_CHECK(one && sb_attention(&p.d) == SB_OK, "one thread");
        if (one)
            memcpy(one, p.d.out, span * sizeof(float));
        enum { CALLERS = 4 };
        caller c[CALLERS];
        pthread_t tid[CALLERS];
        int started[CALLERS];
        for (int i = 0; i < CALLERS; i++) {
            c[i] = (caller){&p.d, one, span, (size_t)(2 + i % 3), 0, TA_BIG ? 20 : 5};
            started[i] = one && pthread_create(&tid[i], NULL, concurrent_caller, &c[i]) == 0;
        }
        for (int i = 0; i < CALLERS; i++) {
            if (started[i])
                pthread_join(tid[i], NULL);
            TK_CHECK(started[i] && c[i].ok, "problem %d, caller %d (%zu threads): result differs from one thread's",
                     which, i, c[i].threads);
        }
        free(one);
        sb_attention_problem_free(&p);
    }
}

/* ---- floating-point environment ------------------------------------------------------------------- */

typedef struct rounding {
    volatile float third[64];
    pthread_t caller;
    atomic_uint by_helpers;
} rounding;

/* volatile operands: GCC ignores FENV_ACCESS, but never folds a division it cannot see. Each index
 * waits a little, so that helpers get some of them. */
static void divide(void *ctx, size_t i)
{
    rounding *r = ctx;
    struct timespec pause = {0, 200000};
    nanosleep(&pause, NULL);
    volatile float one = 1.0f, three = 3.0f;
    r->third[i] = one / three;
    if (!pthread_equal(pthread_self(), r->caller))
        atomic_fetch_add(&r->by_helpers, 1u);
}

static void test_fp_environment(sb_rng *rng)
{
    if (!THREADS_RUN)
        return;
    int saved = fegetround();
    /* 1/3 rounds up to nearest, so toward zero gives another float */
    if (fesetround(FE_TOWARDZERO) != 0) {
        printf("fp environment: FE_TOWARDZERO not available, skipped\n");
        return;
    }
    rounding r;
    r.caller = pthread_self();
    atomic_init(&r.by_helpers, 0u);
    sb_pool_parallel_for(64, 4, divide, &r);
    volatile float one = 1.0f, three = 3.0f;
    float down = one / three;
    int same = 1;
    for (size_t i = 0; i < 64; i++)
        same &= r.third[i] == down;
    fesetround(saved);
    TK_CHECK(same, "a helper divided in another rounding mode than the caller's");
    printf("fp environment: %u of 64 divisions on helpers\n", atomic_load(&r.by_helpers));

    /* end to end: attention under round-toward-zero, 1 and 3 threads */
    sb_attention_problem p;
    if (!build(&p, 0, rng)) {
        TK_CHECK(0, "out of memory");
        return;
    }
    size_t span = out_span(&p.d);
    float *a = malloc(span * sizeof(float));
    fesetround(FE_TOWARDZERO);
    p.d.n_threads = 1;
    int ok = a && sb_attention(&p.d) == SB_OK;
    if (ok)
        memcpy(a, p.d.out, span * sizeof(float));
    p.d.n_threads = 3;
    ok = ok && sb_attention(&p.d) == SB_OK;
    fesetround(saved);
    TK_CHECK(ok && memcmp(a, p.d.out, span * sizeof(float)) == 0,
             "round toward zero: 3 threads differ from one thread");
    free(a);
    sb_attention_problem_free(&p);
}

/* ---- fork ------------------------------------------------------------------------------------------- */

static void test_fork(void)
{
    if (!THREADS_RUN)
        return;
    TK_CHECK(covered_once(100, 3), "before fork");
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) /* the child: its pool has no threads yet; a parallel call must start them */
        _exit(covered_once(1000, 3) && covered_once(100, 2) ? 0 : 1);
    int status = 0;
    TK_CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
             "parallel calls in a forked child");
    TK_CHECK(covered_once(100, 3), "after fork, in the parent");
}

int main(void)
{
    sb_rng rng;
    sb_rng_seed(&rng, tk_init("test_pool", 20260720));
    const char *env = getenv("SINKBENCH_THREAD_POOL");
    printf("backend: %s (SINKBENCH_THREAD_POOL=%s)\n", sb_pool_backend(), env ? env : "(unset)");
#ifdef SB_TEST_HAVE_PTHREADPOOL
    const char *want = env && strcmp(env, "pthreadpool") == 0 ? "pthreadpool" : "sinkbench";
#else
    const char *want = "sinkbench";
#endif
    TK_CHECK(strcmp(sb_pool_backend(), want) == 0, "backend %s, expected %s", sb_pool_backend(), want);
    test_coverage_and_growth();
    test_nested();
    test_concurrent_callers(&rng);
    test_fp_environment(&rng);
    test_fork();
    return tk_finish("test_pool");
}
