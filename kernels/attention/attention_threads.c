/* A minimal parallel for over POSIX threads: the caller and up to threads - 1 helpers take indices
 * from one atomic counter. Threads are started per call (attention calls are long enough that this
 * does not show); if starting one fails, the others do its share, so the result never depends on it. */
#include <pthread.h>
#include <stdatomic.h>

#include "attention/attention_internal.h"

typedef struct pool {
    atomic_size_t next;
    size_t count;
    void (*fn)(void *, size_t);
    void *ctx;
} pool;

static void *worker(void *arg)
{
    pool *p = arg;
    for (size_t i; (i = atomic_fetch_add(&p->next, 1)) < p->count;)
        p->fn(p->ctx, i);
    return NULL;
}

void sb_attn_parallel_for(size_t count, size_t threads, void (*fn)(void *ctx, size_t index), void *ctx)
{
    if (threads > count)
        threads = count;
    if (threads <= 1) {
        for (size_t i = 0; i < count; i++)
            fn(ctx, i);
        return;
    }
    pool p;
    atomic_init(&p.next, 0);
    p.count = count;
    p.fn = fn;
    p.ctx = ctx;
    /* a work unit uses about 160 KB of stack (tile state, partial rows): ask for enough everywhere,
     * whatever the platform's default (musl's is 128 KB) */
    pthread_attr_t attr;
    int have_attr = pthread_attr_init(&attr) == 0;
    if (have_attr)
        pthread_attr_setstacksize(&attr, (size_t)1 << 20);
    pthread_t tid[SB_ATTENTION_MAX_THREADS];
    size_t started = 0;
    while (started < threads - 1 && pthread_create(&tid[started], have_attr ? &attr : NULL, worker, &p) == 0)
        started++;
    if (have_attr)
        pthread_attr_destroy(&attr);
    worker(&p);
    for (size_t i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
}
