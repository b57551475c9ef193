/* softmax_chunked_<isa>: the rows that exercise its chunk bookkeeping, through the shared checker
 * (sb_contract_run, in place and out of place, misaligned): a reference that rises in every chunk,
 * a sink token in the last chunk far above the rest (the per-chunk factors underflow binary32), the
 * rows the reference decides (+inf, a huge logit, NaN) showing up only in the last chunk, leading
 * chunks without a finite logit, and a first finite chunk beyond the exp's range. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check/contract.h"
#include "check/oracle.h"
#include "check/rng.h"
#include "testkit.h"

#define N (3 * 16384 + 5) /* three chunks and a tail */

typedef enum shape {
    RAMP, SINK_TOKEN_LAST, POS_INF_LAST, HUGE_LAST, NAN_LAST, MASKED_FIRST, VERY_NEGATIVE_FIRST, LEARNED_SINK_GAP,
    SHAPE_COUNT
} shape;
static const char *const shape_name[] = {"ramp", "sink token last (gap 90)", "+inf in the last chunk",
                                         "logit 2^28 in the last chunk", "NaN in the last chunk",
                                         "first chunks all -inf", "first chunk below -2^27", "learned sink gap 60"};

static void make_row(shape s, sb_rng *rng, float *x, sb_softmax_params *p)
{
    p->sink = SB_SINK_NONE;
    p->sink_logit = 0.0f;
    for (size_t i = 0; i < N; i++)
        x[i] = (float)sb_rng_normal(rng);
    switch (s) {
    case RAMP:
        for (size_t i = 0; i < N; i++)
            x[i] = (float)i * 0x1p-10f + x[i] * 0x1p-4f;
        break;
    case SINK_TOKEN_LAST:
        x[N - 3] = 90.0f;
        break;
    case POS_INF_LAST:
        x[N - 2] = INFINITY;
        x[N - 9] = INFINITY;
        break;
    case HUGE_LAST:
        x[N - 1] = 0x1p28f;
        x[N - 4] = 0x1p28f - 64.0f;
        break;
    case NAN_LAST:
        x[N - 1] = NAN;
        break;
    case MASKED_FIRST:
        for (size_t i = 0; i < 2 * 16384 + 100; i++)
            x[i] = -INFINITY;
        break;
    case VERY_NEGATIVE_FIRST:
        for (size_t i = 0; i < 16384; i++)
            x[i] = -0x1p28f - (float)i * 512.0f;
        break;
    case LEARNED_SINK_GAP:
        p->sink = SB_SINK_LOGIT;
        p->sink_logit = 60.0f;
        break;
    default:
        break;
    }
}

int main(void)
{
    uint64_t seed = sb_test_init("test_softmax_chunked", 11);
    static float x[N], want[N];
    size_t kernels = 0;
    for (size_t k = 0; k < sb_softmax_kernel_count(); k++) {
        const sb_softmax_kernel *kern = sb_softmax_kernel_at(k);
        if (strcmp(kern->algorithm, "chunked") != 0 || !kern->supported())
            continue;
        kernels++;
        for (int s = 0; s < SHAPE_COUNT; s++) {
            sb_rng rng;
            sb_rng_seed(&rng, seed + (uint64_t)s);
            sb_softmax_params p;
            make_row((shape)s, &rng, x, &p);
            sb_oracle o;
            memset(&o, 0, sizeof o);
            o.y = want;
            o.sink_index = SIZE_MAX;
            SB_TEST_CHECK(sb_oracle_softmax(x, N, &p, &o, 0) == SB_OK, "oracle");
            sb_contract_result r;
            sb_run_options opt = {(size_t)s % 4, 1};
            SB_TEST_CHECK(sb_contract_run(kern, x, N, &p, &o, &opt, &r, NULL), "%s on '%s': %s", kern->name,
                     shape_name[s], r.message);
        }
    }
    SB_TEST_CHECK(kernels >= 1, "%zu chunked kernels supported", kernels);
    return sb_test_finish("test_softmax_chunked");
}
