/* The attention registry (separate from the softmax one: different function type and bound; the one
 * dispatcher for both is kernels/core/dispatch.c). Adding a kernel is one line in builtin[]. */
#include <string.h>

#include "attention/attention_internal.h"
#include "attention/attention_kernels.h"
#include "core/isa_list.h"
#include "core/kernel_table.h"
#include "sinkbench/cpu.h"

#define FLASH_BOUND "(2(64 + ceil(ceil(n/S)/64) + 2) + 2(d+3)A + 16) u R max|v| + (n+1) 2^-137 R max|v|"

static const sb_attention_kernel builtin[] = {
    /* name                       isa       algorithm    supported               fn                           bound */
    {"attention_reference_f64", "scalar", "reference", sb_cpu_supports_scalar, sb_attention_reference_f64,
     sb_attention_bound_reference, "u R max|v|", 0},
    {"attention_scalar_f32", "scalar", "textbook", sb_cpu_supports_scalar, sb_attention_scalar_f32,
     sb_attention_bound_textbook, "(2n + 2(d+5)A + 2 max|sink| + 6) u R max|v| + (n+1) 2^-149 max|v|", 0},
    /* attention_flash.c, one copy per ISA built (cmake/SinkbenchIsa.cmake) */
#define FLASH(isa, isa_name, supported, flags) \
    {"attention_flash_" #isa, isa_name, "flash", supported, sb_attention_flash_##isa, sb_attention_bound_flash, FLASH_BOUND, flags},
    SB_FOR_EACH_ISA(FLASH)
#undef FLASH
};

static sb_attention_kernel registered[256];
static sb_kernel_table table = {builtin, sizeof builtin / sizeof builtin[0], registered, 0,
                                sizeof registered / sizeof registered[0], sizeof(sb_attention_kernel)};

size_t sb_attention_kernel_count(void) { return sb_kernel_table_count(&table); }
const sb_attention_kernel *sb_attention_kernel_at(size_t i) { return sb_kernel_table_at(&table, i); }
const sb_attention_kernel *sb_attention_kernel_find(const char *name) { return sb_kernel_table_find(&table, name); }

sb_status sb_attention_register(const sb_attention_kernel *k)
{
    if (!k || !k->name || !k->name[0] || !k->isa || !k->algorithm || !k->supported || !k->fn ||
        !k->bound_text)
        return SB_EINVAL;
    void *added;
    sb_status st = sb_kernel_table_add(&table, k, &added);
    if (st == SB_OK)
        ((sb_attention_kernel *)added)->flags |= SB_KERNEL_PLUGIN;
    return st;
}
