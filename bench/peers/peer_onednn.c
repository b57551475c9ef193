/* oneDNN's softmax (v2 C API, dnnl_softmax_accurate, forward inference) as a sinkbench plugin kernel.
 *
 * oneDNN runs a JIT three-pass softmax (max; exp + sum; scale) for the widest ISA it finds. It claims
 * nothing under our contract (ulp_bound -1); the contract check measures it.
 *
 * One thread, for a fair single-core comparison: this Debian build uses OpenMP, so the calling
 * thread's OpenMP thread count is set to 1 (with 2 threads one row is slower, not faster: the
 * research brief measured 3,182 vs 2,177 ns for 4096 floats). One primitive per row length is kept
 * per thread; the data pointers are set per call, as a user with varying buffers does.
 *
 * peer_onednn_batch: the same primitive over a [rows x n] tensor with the descriptor's row strides
 * (softmax over axis 1), on d->n_threads OpenMP threads: oneDNN's batch softmax. One primitive per
 * shape is kept per thread. */
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include <string.h>

#include "peer_common.h"

static dnnl_engine_t engine;

/* A primitive for one shape: rows x n, source and destination row strides. */
typedef struct prim {
    size_t rows, n, xs, ys;
    dnnl_primitive_t prim;
    dnnl_memory_t src, dst;
} prim;

static _Thread_local struct {
    prim row, batch;   /* the single-row kernel's and the batched kernel's, kept apart */
    dnnl_stream_t stream;
    int threads;       /* the OpenMP thread count last set on this thread (0: never) */
} cached;

static void drop(prim *c)
{
    if (c->prim)
        dnnl_primitive_destroy(c->prim);
    if (c->src)
        dnnl_memory_destroy(c->src);
    if (c->dst)
        dnnl_memory_destroy(c->dst);
    memset(c, 0, sizeof *c);
}

static int build(prim *c, size_t rows, size_t n, size_t xs, size_t ys)
{
    dnnl_dims_t dims = {(dnnl_dim_t)rows, (dnnl_dim_t)n};
    dnnl_dims_t src_strides = {(dnnl_dim_t)xs, 1}, dst_strides = {(dnnl_dim_t)ys, 1};
    dnnl_memory_desc_t src_md, dst_md;
    dnnl_softmax_v2_desc_t sd;
    dnnl_primitive_desc_t pd;
    if (dnnl_memory_desc_init_by_strides(&src_md, 2, dims, dnnl_f32, src_strides) != dnnl_success ||
        dnnl_memory_desc_init_by_strides(&dst_md, 2, dims, dnnl_f32, dst_strides) != dnnl_success ||
        dnnl_softmax_v2_forward_desc_init(&sd, dnnl_forward_inference, dnnl_softmax_accurate, &src_md, &dst_md, 1) !=
            dnnl_success ||
        dnnl_primitive_desc_create(&pd, &sd, NULL, engine, NULL) != dnnl_success)
        return 0;
    dnnl_status_t s = dnnl_primitive_create(&c->prim, pd);
    dnnl_primitive_desc_destroy(pd);
    if (s != dnnl_success) {
        c->prim = NULL;
        return 0;
    }
    if (dnnl_memory_create(&c->src, &src_md, engine, DNNL_MEMORY_NONE) != dnnl_success ||
        dnnl_memory_create(&c->dst, &dst_md, engine, DNNL_MEMORY_NONE) != dnnl_success) {
        drop(c);
        return 0;
    }
    c->rows = rows, c->n = n, c->xs = xs, c->ys = ys;
    return 1;
}

/* Runs the primitive of shape (rows, n, xs, ys) on threads OpenMP threads. */
static sb_status run(prim *c, const float *x, size_t xs, float *y, size_t ys, size_t rows, size_t n, size_t threads)
{
    if (cached.threads != (int)threads) {
        omp_set_num_threads((int)threads);
        cached.threads = (int)threads;
    }
    if (!cached.stream && dnnl_stream_create(&cached.stream, engine, dnnl_stream_default_flags) != dnnl_success) {
        cached.stream = NULL;
        return SB_ENOMEM;
    }
    if (!c->prim || c->rows != rows || c->n != n || c->xs != xs || c->ys != ys) {
        drop(c);
        if (!build(c, rows, n, xs, ys))
            return SB_ENOMEM;
    }
    /* oneDNN only reads the source; its handle type has no const. */
    if (dnnl_memory_set_data_handle(c->src, (void *)(size_t)x) != dnnl_success ||
        dnnl_memory_set_data_handle(c->dst, y) != dnnl_success)
        return SB_EINVAL;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_SRC, c->src}, {DNNL_ARG_DST, c->dst}};
    if (dnnl_primitive_execute(c->prim, cached.stream, 2, args) != dnnl_success ||
        dnnl_stream_wait(cached.stream) != dnnl_success)
        return SB_EUNSUPPORTED;
    return SB_OK;
}

static sb_status onednn_row(const float *x, float *y, size_t n) { return run(&cached.row, x, n, y, n, 1, n, 1); }

static sb_status onednn_batch(const float *x, size_t xs, float *y, size_t ys, size_t rows, size_t n, size_t threads)
{
    return run(&cached.batch, x, xs, y, ys, rows, n, threads);
}

static sb_status peer_onednn(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    return sb_peer_softmax(onednn_row, x, y, n, p);
}

static sb_status peer_onednn_batch(const sb_softmax_batch_desc *d) { return sb_peer_softmax_batch(onednn_batch, d); }

__attribute__((destructor)) static void release(void)
{
    drop(&cached.row);
    drop(&cached.batch);
    if (cached.stream)
        dnnl_stream_destroy(cached.stream);
    cached.stream = NULL;
    if (engine)
        dnnl_engine_destroy(engine);
    engine = NULL;
}

static const char *isa_name(void)
{
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    if ((isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core)
        return "avx512";
    if ((isa & dnnl_cpu_isa_avx2) == dnnl_cpu_isa_avx2)
        return "avx2";
    if ((isa & dnnl_cpu_isa_sse41) == dnnl_cpu_isa_sse41)
        return "sse2";
    return "scalar";
}

sb_status sinkbench_plugin_register(void);
sb_status sinkbench_plugin_register(void)
{
    if (!engine && dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success)
        return SB_EUNSUPPORTED;
    sb_softmax_kernel k = {"peer_onednn_f32", isa_name(), "three_pass", sb_peer_runs_here, peer_onednn, -1.0,
                           SB_KERNEL_PEER};
    sb_status st = sb_softmax_register(&k);
    if (st != SB_OK)
        return st;
    sb_softmax_batch_kernel b = {"peer_onednn_batch", isa_name(), "three_pass", sb_peer_runs_here, peer_onednn_batch,
                                 -1.0, SB_KERNEL_PEER, NULL};
    return sb_softmax_batch_register(&b);
}
