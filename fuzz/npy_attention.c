/* npy_attention: the .npy reader of attention dumps (studies/emerge/npy.c, `sinkbench sinkmetric`) on
 * arbitrary bytes. It must never crash, read out of bounds or leak (ASan); a refusal must say why and
 * leave the result zeroed; what it accepts must be what it promises — shape [layers, heads, T, T],
 * every value finite in [0, 1], zero above the diagonal, rows summing to at most 1 + 1e-3 — and the
 * metrics computed from it must succeed with values in range. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "emerge.h"
#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sb_fuzz_set_target("npy_attention");
    return 0;
}

static _Noreturn void broken(const char *rule, const char *detail)
{
    sb_fuzz_violation(NULL, "sb_emerge_npy_read_attention", rule, SIZE_MAX, detail);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_emerge_attn_maps m;
    char err[300] = "";
    sb_status st = sb_emerge_npy_read_attention(data, size, &m, err, sizeof err);
    if (st != SB_OK) {
        if (!err[0])
            broken("no-reason", "refused a file without saying why");
        if (m.p || m.layers || m.heads || m.tokens)
            broken("not-zeroed", "refused a file but left its result filled in");
        return 0;
    }
    size_t L = m.layers, H = m.heads, T = m.tokens;
    if (!m.p || !L || !H || !T)
        broken("inconsistent", "accepted a file with an empty shape");
    for (size_t k = 0; k < L * H; k++)
        for (size_t t = 0; t < T; t++) {
            double s = 0;
            for (size_t j = 0; j < T; j++) {
                double v = m.p[(k * T + t) * T + j];
                if (!isfinite(v) || v < 0 || v > 1 + 1e-6 || (j > t && v != 0))
                    broken("accepted-invalid", "accepted a value that is not a causal probability");
                s += v;
            }
            if (s > 1 + 1e-3)
                broken("accepted-invalid", "accepted a row summing above 1");
        }
    if (T >= 2) {
        sb_emerge_map_metrics mm;
        if (sb_emerge_map_metrics_compute(&m, T < 64 ? T : 64, &mm) != SB_OK)
            broken("metrics", "the metrics failed on maps the reader accepted");
        for (size_t i = 0; i < L * H; i++)
            for (int r = 0; r < 2; r++)
                if (!(mm.alpha[r][i] >= 0 && mm.alpha[r][i] <= 1 + 1e-3))
                    broken("metrics", "alpha_1 outside [0, 1]");
        for (int r = 0; r < 2; r++)
            for (int e = 0; e < 2; e++)
                if (!(mm.sink_rate[r][e] >= 0 && mm.sink_rate[r][e] <= 1))
                    broken("metrics", "Sink_1^eps outside [0, 1]");
        for (size_t j = 0; j < T; j++)
            if (!(mm.path_last[j] >= 0 && mm.path_last[j] <= 1 + 1e-3))
                broken("metrics", "the path product left [0, 1]");
        if (!(mm.path_first_share >= 0 && mm.path_first_share <= 1))
            broken("metrics", "the path product's first share left [0, 1]");
        sb_emerge_map_metrics_free(&mm);
    }
    sb_emerge_attn_maps_free(&m);
    return 0;
}
