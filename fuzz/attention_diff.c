/* attention_diff: every supported registered attention kernel (built-in, SIMDe-emulated, plugin) on a
 * problem decoded from the input (fuzz/fuzz_attention.h: shapes, MHA/GQA/MQA, f32/f16/bf16 KV, strides
 * with padding, causal/padding/window/sink-token/additive masks, sinks, scale, special values), each
 * against the binary64 reference through the one attention contract checker
 * (sb_attention_contract_run: status, every row written, nothing between rows written, inputs
 * unchanged, FP control state, NaN/zero/+inf rules, the kernel's error bound), plus guard canaries
 * around the output span. Flash kernels get the header's split and thread counts (the references
 * ignore them). With selector 0, the public entry point sb_attention must return bit for bit what
 * the kernel sb_attention_dispatch names returns (rule dispatch-mismatch). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_attention.h"
#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sb_fuzz_attention_init("attention_diff");
    return 0;
}

#define MAX_KERNELS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sb_fuzz_attn a;
    sb_fuzz_attn_decode(data, size, 0, &a);
    const sb_attention_kernel *ks[MAX_KERNELS];
    size_t nk = sb_fuzz_attention_kernels(a.h.kernel, ks, MAX_KERNELS);
    size_t rows = a.e.rows * a.p.d.head_dim;
    float *dispatched = NULL;
    const sb_attention_kernel *chosen = a.h.kernel == 0 ? sb_attention_dispatch() : NULL;
    for (size_t i = 0; i < nk; i++) {
        sb_fuzz_attn_run_checked(&a, ks[i], &a.p.d, "");
        if (ks[i] == chosen && (dispatched = malloc((rows ? rows : 1) * sizeof *dispatched)) != NULL)
            sb_fuzz_attn_rows(&a.p.d, dispatched);
    }
    if (dispatched) {
        sb_status st = sb_attention(&a.p.d);
        float *got = malloc((rows ? rows : 1) * sizeof *got);
        if (!got) {
            fprintf(stderr, "attention_diff: out of memory\n");
            exit(3);
        }
        sb_fuzz_attn_rows(&a.p.d, got);
        if (st != SB_OK || memcmp(got, dispatched, rows * sizeof *got) != 0) {
            size_t at = 0;
            while (at < rows && !memcmp(&got[at], &dispatched[at], sizeof *got))
                at++;
            char detail[256];
            snprintf(detail, sizeof detail, "sb_attention returned %s; output float %zu is %a, %s gives %a",
                     sb_status_str(st), at, at < rows ? (double)got[at] : 0.0, chosen->name,
                     at < rows ? (double)dispatched[at] : 0.0);
            sb_fuzz_attn_violation(&a, "sb_attention", "dispatch-mismatch", detail);
        }
        free(got);
        free(dispatched);
    }
    sb_fuzz_attn_free(&a);
    return 0;
}
