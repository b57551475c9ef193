/* oneDNN's softmax (v2 C API, dnnl_softmax_accurate, forward inference) as a sinkbench plugin kernel.
 *
 * oneDNN runs a JIT three-pass softmax (max; exp + sum; scale) for the widest ISA it finds. It claims
 * nothing under our contract (ulp_bound -1); the contract check measures it.
 *
 * One thread, for a fair single-core comparison: this Debian build uses OpenMP, so the calling
 * thread's OpenMP thread count is set to 1 (with 2 threads one row is slower, not faster: the
 * research brief measured 3,182 vs 2,177 ns for 4096 floats). One primitive per row length is kept
 * per thread; the data pointers are set per call, as a user with varying buffers does. */
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include "peer_common.h"

static dnnl_engine_t engine;

static _Thread_local struct {
    size_t n;
    dnnl_primitive_t prim;
    dnnl_stream_t stream;
    dnnl_memory_t src, dst;
    int one_thread;
} cached;

static void drop(void)
{
    if (cached.prim)
        dnnl_primitive_destroy(cached.prim);
    if (cached.src)
        dnnl_memory_destroy(cached.src);
    if (cached.dst)
        dnnl_memory_destroy(cached.dst);
    cached.prim = NULL;
    cached.src = cached.dst = NULL;
    cached.n = 0;
}

static int build(size_t n)
{
    dnnl_dims_t dims = {1, (dnnl_dim_t)n};
    dnnl_memory_desc_t md;
    dnnl_softmax_v2_desc_t sd;
    dnnl_primitive_desc_t pd;
    if (dnnl_memory_desc_init_by_tag(&md, 2, dims, dnnl_f32, dnnl_ab) != dnnl_success ||
        dnnl_softmax_v2_forward_desc_init(&sd, dnnl_forward_inference, dnnl_softmax_accurate, &md, &md, 1) !=
            dnnl_success ||
        dnnl_primitive_desc_create(&pd, &sd, NULL, engine, NULL) != dnnl_success)
        return 0;
    dnnl_status_t s = dnnl_primitive_create(&cached.prim, pd);
    dnnl_primitive_desc_destroy(pd);
    if (s != dnnl_success) {
        cached.prim = NULL;
        return 0;
    }
    if (dnnl_memory_create(&cached.src, &md, engine, DNNL_MEMORY_NONE) != dnnl_success ||
        dnnl_memory_create(&cached.dst, &md, engine, DNNL_MEMORY_NONE) != dnnl_success) {
        drop();
        return 0;
    }
    cached.n = n;
    return 1;
}

static sb_status onednn_row(const float *x, float *y, size_t n)
{
    if (!cached.one_thread) {
        omp_set_num_threads(1);
        cached.one_thread = 1;
    }
    if (!cached.stream && dnnl_stream_create(&cached.stream, engine, dnnl_stream_default_flags) != dnnl_success) {
        cached.stream = NULL;
        return SB_ENOMEM;
    }
    if (cached.n != n) {
        drop();
        if (!build(n))
            return SB_ENOMEM;
    }
    /* oneDNN only reads the source; its handle type has no const. */
    if (dnnl_memory_set_data_handle(cached.src, (void *)(size_t)x) != dnnl_success ||
        dnnl_memory_set_data_handle(cached.dst, y) != dnnl_success)
        return SB_EINVAL;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_SRC, cached.src}, {DNNL_ARG_DST, cached.dst}};
    if (dnnl_primitive_execute(cached.prim, cached.stream, 2, args) != dnnl_success ||
        dnnl_stream_wait(cached.stream) != dnnl_success)
        return SB_EUNSUPPORTED;
    return SB_OK;
}

static sb_status peer_onednn(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    return sb_peer_softmax(onednn_row, x, y, n, p);
}

__attribute__((destructor)) static void release(void)
{
    drop();
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
    return sb_softmax_register(&k);
}
