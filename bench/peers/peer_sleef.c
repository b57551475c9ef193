/* The SLEEF-based softmax (sleef_softmax_row.c, one copy per ISA) as a sinkbench plugin: one kernel
 * per ISA, each registered with its CPU check so the benchmarks skip what the CPU cannot run. */
#include "peer_common.h"

sb_status sb_peer_sleef_row_sse2(const float *x, float *y, size_t n);
sb_status sb_peer_sleef_row_avx2(const float *x, float *y, size_t n);
sb_status sb_peer_sleef_row_avx512(const float *x, float *y, size_t n);

static sb_status sleef_sse2(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    return sb_peer_softmax(sb_peer_sleef_row_sse2, x, y, n, p);
}
static sb_status sleef_avx2(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    return sb_peer_softmax(sb_peer_sleef_row_avx2, x, y, n, p);
}
static sb_status sleef_avx512(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    return sb_peer_softmax(sb_peer_sleef_row_avx512, x, y, n, p);
}

sb_status sinkbench_plugin_register(void);
sb_status sinkbench_plugin_register(void)
{
    static const sb_softmax_kernel kernels[] = {
        {"peer_sleef_expf_u10_sse2", "sse2", "three_pass", sb_cpu_supports_sse2, sleef_sse2, -1.0, SB_KERNEL_PEER},
        {"peer_sleef_expf_u10_avx2", "avx2", "three_pass", sb_cpu_supports_avx2, sleef_avx2, -1.0, SB_KERNEL_PEER},
        {"peer_sleef_expf_u10_avx512", "avx512", "three_pass", sb_cpu_supports_avx512, sleef_avx512, -1.0,
         SB_KERNEL_PEER},
    };
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++) {
        sb_status st = sb_softmax_register(&kernels[i]);
        if (st != SB_OK)
            return st;
    }
    return SB_OK;
}
