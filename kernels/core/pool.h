/* The library's thread pool: one per process, created on the first call that asks for more than one
 * thread and shared by every parallel entry point (the flash attention driver today, a batched
 * softmax later). Threads persist between calls, so a call pays a wake-up, not a thread start.
 *
 * Backends (docs/attention.md, "The thread pool"): our own small pool (condition variables, helpers that
 * sleep as soon as a call ends), and Debian's pthreadpool (XNNPACK's pool) where the build has it and
 * SINKBENCH_THREAD_POOL=pthreadpool asks for it. Ours is the default because it measured faster here:
 * a pthreadpool call waits until every pool thread has woken and checked in, even those with nothing
 * to do, and on a loaded 2-core machine that doubled the decode latency at 256 keys.
 *
 * Rules every caller can rely on:
 *   - fn(ctx, i) runs exactly once for every i in [0, count), on at most `threads` threads (the
 *     calling thread's included), and every call has returned when sb_pool_parallel_for returns.
 *     Which thread runs which index is unspecified: callers make each index's work depend on i only,
 *     and then the result is bit-identical for every thread count.
 *   - Helpers run with the caller's floating-point environment (rounding mode, flush-to-zero), as
 *     the threads started per call used to inherit it.
 *   - One call at a time uses the pool. A call that finds it busy (another application thread's
 *     call, or a call made from inside fn) runs all its indices on the calling thread: the same
 *     bits, no waiting and no deadlock; k application threads calling at once get k-way parallelism
 *     across their calls instead of oversubscribed cores.
 *   - Never fails: when helpers cannot be had (thread creation refused, a child after fork whose
 *     parent was mid-call, the library shutting down), the caller runs the indices left.
 *   - The pool grows to the largest `threads` asked for (up to SB_POOL_MAX_THREADS) and keeps its
 *     threads asleep between calls; it is shut down when the library is unloaded or the process
 *     exits, unless a call is running then (see pool.c). */
#ifndef SINKBENCH_CORE_POOL_H
#define SINKBENCH_CORE_POOL_H

#include <stddef.h>

#define SB_POOL_MAX_THREADS 256u /* = SB_ATTENTION_MAX_THREADS; larger requests are clamped */

typedef void (*sb_pool_fn)(void *ctx, size_t index);

void sb_pool_parallel_for(size_t count, size_t threads, sb_pool_fn fn, void *ctx);

/* The backend that serves (or will serve) calls: "sinkbench" (ours) or "pthreadpool". */
const char *sb_pool_backend(void);

/* Threads the pool holds, the callers' excluded (0 before the first parallel call): for tests. */
size_t sb_pool_helpers(void);

#endif
