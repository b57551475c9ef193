/* The library's persistent thread pool (rules in pool.h, the measurements behind it in
 * docs/attention.md). One call at a time holds `call_lock`; the call hands its job to the backend,
 * whose helpers take indices from the job's atomic counter alongside the caller.
 *
 * Lifetime: the pool is created by the first call with threads > 1, grown (never shrunk) when a call
 * asks for more, and shut down by the library's destructor: when the process exits or the library is
 * unloaded with dlclose, so no helper is left sleeping in code that is about to be unmapped, and
 * valgrind and LeakSanitizer see no threads. A call still running on another thread at exit keeps the
 * pool (joining would wait for it). */
#define _GNU_SOURCE /* pthread_getattr_default_np */
#include "core/pool.h"

#include <fenv.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#ifdef SB_HAVE_PTHREADPOOL
#include <pthreadpool.h>
#endif

/* A work unit of the flash kernels takes about 160 KB of stack (tile state, partial rows); helpers
 * get 1 MB, whatever the platform's default (musl's is 128 KB). */
#define SB_POOL_STACK ((size_t)1 << 20)

typedef struct job {
    sb_pool_fn fn;
    void *ctx;
    size_t count;
    atomic_size_t next;
    fenv_t env;       /* the caller's floating-point environment */
    pthread_t caller;
} job;

/* Takes indices until none are left, in the caller's floating-point environment. */
static void run_job(job *j)
{
    int helper = !pthread_equal(pthread_self(), j->caller);
    fenv_t saved;
    if (helper) {
        fegetenv(&saved);
        fesetenv(&j->env);
    }
    for (size_t i; (i = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed)) < j->count;)
        j->fn(j->ctx, i);
    if (helper)
        fesetenv(&saved);
}

static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_size_t helpers_now; /* for sb_pool_helpers() */

/* Helpers take no process signals: a handler the application installs runs on its own threads, as
 * it did before the pool kept threads around. Helpers inherit the mask of the thread creating them. */
static void block_signals(sigset_t *old)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, old);
}

/* ---- our own pool: condition variables, no spinning --------------------------------------------- */

static struct {
    pthread_mutex_t m;
    pthread_cond_t wake, idle;
    pthread_t tid[SB_POOL_MAX_THREADS - 1];
    size_t workers;      /* helper threads started (changed only by the holder of call_lock) */
    unsigned long round; /* bumped by every call, so a helper joins each call at most once */
    job *job;            /* the running call's job; NULL between calls */
    size_t seats;        /* helpers the running call still admits */
    size_t active;       /* helpers inside the job */
    int stop;
} own = {.m = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER};

static void *own_worker(void *arg)
{
    (void)arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&own.m);
    for (;;) {
        while (!own.stop && (!own.job || own.round == seen))
            pthread_cond_wait(&own.wake, &own.m);
        if (own.stop)
            break;
        seen = own.round;
        if (own.seats == 0)
            continue;
        own.seats--;
        own.active++;
        job *j = own.job;
        pthread_mutex_unlock(&own.m);
        run_job(j);
        pthread_mutex_lock(&own.m);
        if (--own.active == 0)
            pthread_cond_signal(&own.idle);
    }
    pthread_mutex_unlock(&own.m);
    return NULL;
}

/* Starts helpers until there are `want`; a refused start leaves fewer (the callers do their share). */
static void own_grow(size_t want)
{
    if (own.workers >= want)
        return;
    pthread_attr_t attr;
    int have_attr = pthread_attr_init(&attr) == 0;
    if (have_attr)
        pthread_attr_setstacksize(&attr, SB_POOL_STACK);
    sigset_t old;
    block_signals(&old);
    while (own.workers < want && pthread_create(&own.tid[own.workers], have_attr ? &attr : NULL, own_worker, NULL) == 0)
        own.workers++;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (have_attr)
        pthread_attr_destroy(&attr);
    atomic_store(&helpers_now, own.workers);
}

static void own_run(job *j, size_t helpers)
{
    own_grow(helpers);
    pthread_mutex_lock(&own.m);
    own.job = j;
    own.round++;
    own.seats = helpers;
    for (size_t i = 0; i < helpers; i++)
        pthread_cond_signal(&own.wake);
    pthread_mutex_unlock(&own.m);
    run_job(j);
    /* Close the job to late helpers, then wait for those inside it: j lives on the caller's stack. */
    pthread_mutex_lock(&own.m);
    own.job = NULL;
    own.seats = 0;
    while (own.active)
        pthread_cond_wait(&own.idle, &own.m);
    pthread_mutex_unlock(&own.m);
}

static void own_shutdown(void)
{
    pthread_mutex_lock(&own.m);
    own.stop = 1;
    pthread_cond_broadcast(&own.wake);
    pthread_mutex_unlock(&own.m);
    for (size_t i = 0; i < own.workers; i++)
        pthread_join(own.tid[i], NULL);
    own.workers = 0;
    own.stop = 0;
}

/* ---- pthreadpool ---------------------------------------------------------------------------------- */

#ifdef SB_HAVE_PTHREADPOOL
static pthreadpool_t pp;
static size_t pp_threads; /* pp's threads, the caller's slot included */

static void pp_slot(void *arg, size_t slot)
{
    (void)slot;
    run_job(arg);
}

/* pthreadpool has a fixed thread count: growing means a new pool. A call asking for fewer threads
 * than the pool has gets `threads` slots, each taking indices from the job, so at most `threads`
 * threads work on it (all of them still wake and check in). PTHREADPOOL_FLAG_YIELD_WORKERS: helpers
 * sleep as soon as a call ends instead of spinning for the next one (docs/attention.md: on a loaded
 * machine the spin made small decode calls take scheduler ticks, 10 to 25 ms). Never
 * PTHREADPOOL_FLAG_DISABLE_DENORMALS: the caller's environment is the contract. */
static void pp_run(job *j, size_t threads)
{
    if (pp_threads < threads) {
        if (pp)
            pthreadpool_destroy(pp);
        sigset_t old;
        block_signals(&old);
        pp = pthreadpool_create(threads);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pp_threads = pp ? threads : 0;
        atomic_store(&helpers_now, pp_threads ? pp_threads - 1 : 0);
    }
    if (!pp) {
        run_job(j);
        return;
    }
    pthreadpool_parallelize_1d(pp, pp_slot, j, threads, PTHREADPOOL_FLAG_YIELD_WORKERS);
}
#endif

/* ---- the backend, fork and shutdown -------------------------------------------------------------- */

static int use_pp;
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static int fork_took_call_lock;

/* Fork copies only the forking thread: the child forgets the parent's helpers (without freeing or
 * joining them, they do not exist there) and starts its own on its first parallel call. A call in
 * flight on another thread at fork time leaves call_lock held in the child, whose calls then run on
 * the calling thread. */
static void fork_prepare(void)
{
    fork_took_call_lock = pthread_mutex_trylock(&call_lock) == 0;
    pthread_mutex_lock(&own.m); /* held briefly by helpers, never across a job */
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&own.m);
    if (fork_took_call_lock)
        pthread_mutex_unlock(&call_lock);
}

static void fork_child(void)
{
    pthread_mutex_unlock(&own.m);
    pthread_cond_init(&own.wake, NULL); /* their waiters were the parent's helpers */
    pthread_cond_init(&own.idle, NULL);
    own.workers = 0;
    own.job = NULL;
    own.seats = own.active = 0;
#ifdef SB_HAVE_PTHREADPOOL
    pp = NULL;
    pp_threads = 0;
#endif
    atomic_store(&helpers_now, 0);
    if (fork_took_call_lock)
        pthread_mutex_unlock(&call_lock);
}

static void setup(void)
{
#ifdef SB_HAVE_PTHREADPOOL
    /* pthreadpool only when asked for (pool.h says why), and only where the default thread stack
     * holds a work unit: it starts its threads with the default attributes (glibc: the stack rlimit,
     * 8 MB on Debian). */
    const char *e = getenv("SINKBENCH_THREAD_POOL");
    if (e && strcmp(e, "pthreadpool") == 0) {
        size_t stack = 0;
        pthread_attr_t a;
        if (pthread_getattr_default_np(&a) == 0) {
            pthread_attr_getstacksize(&a, &stack);
            pthread_attr_destroy(&a);
        }
        use_pp = stack >= SB_POOL_STACK;
    }
#endif
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

const char *sb_pool_backend(void)
{
    pthread_once(&setup_once, setup);
    return use_pp ? "pthreadpool" : "sinkbench";
}

size_t sb_pool_helpers(void) { return atomic_load(&helpers_now); }

void sb_pool_parallel_for(size_t count, size_t threads, sb_pool_fn fn, void *ctx)
{
    if (threads > SB_POOL_MAX_THREADS)
        threads = SB_POOL_MAX_THREADS;
    if (threads > count)
        threads = count;
    if (threads > 1)
        pthread_once(&setup_once, setup);
    if (threads <= 1 || pthread_mutex_trylock(&call_lock) != 0) {
        for (size_t i = 0; i < count; i++)
            fn(ctx, i);
        return;
    }
    job j;
    j.fn = fn;
    j.ctx = ctx;
    j.count = count;
    atomic_init(&j.next, 0);
    fegetenv(&j.env);
    j.caller = pthread_self();
#ifdef SB_HAVE_PTHREADPOOL
    if (use_pp)
        pp_run(&j, threads);
    else
#endif
        own_run(&j, threads - 1);
    pthread_mutex_unlock(&call_lock);
}

/* Runs when the process exits or the library is unloaded. call_lock stays held afterwards, so a call
 * made later (another library's destructor, a thread still running) computes on its own thread. */
__attribute__((destructor)) static void pool_shutdown(void)
{
    if (pthread_mutex_trylock(&call_lock) != 0)
        return; /* a call is running on another thread: leave its helpers to the exit */
#ifdef SB_HAVE_PTHREADPOOL
    if (pp)
        pthreadpool_destroy(pp);
    pp = NULL;
    pp_threads = 0;
#endif
    own_shutdown();
    atomic_store(&helpers_now, 0);
}
