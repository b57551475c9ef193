/* kernels/simd/vec.h and exp_f32.h on every ISA built: partial loads and stores (on exact-size
 * blocks, so ASan sees any access past the row), reductions, integer lanes, the table lookup, the
 * binary64 accumulator, TwoSum, whether fma is fused as SB_VEC_FUSED_FMA says, exp at its edges. */
#include "simd_isas.h"
#include "testkit.h"

int main(void)
{
    sb_test_init("test_vec", 7);
    for (size_t i = 0; i < SIMD_ISA_COUNT; i++) {
        const simd_isa *isa = &simd_isas[i];
        if (!isa->supported()) {
            printf("%-16s skipped (CPU)\n", isa->name);
            continue;
        }
        size_t fails = isa->vec(stderr, sb_test_seed + i);
        printf("%-16s %s (fused fma: %d)\n", isa->name, fails ? "FAILED" : "ok", isa->fused_fma());
        SB_TEST_CHECK(fails == 0, "%s: %zu vector API checks failed", isa->name, fails);
    }
    return sb_test_finish("test_vec");
}
