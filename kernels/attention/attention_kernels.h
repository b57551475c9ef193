/* The built-in attention kernels and their error bounds, for the attention registry. Not installed. */
#ifndef SINKBENCH_ATTENTION_KERNELS_H
#define SINKBENCH_ATTENTION_KERNELS_H

#include "core/isa_list.h"
#include "sinkbench/attention.h"

sb_status sb_attention_reference_f64(const sb_attention_desc *d);
sb_status sb_attention_scalar_f32(const sb_attention_desc *d);

/* attention_flash.c, compiled once per ISA */
#define SB_DECLARE_FLASH(isa, isa_name, supported, flags) sb_status sb_attention_flash_##isa(const sb_attention_desc *d);
SB_FOR_EACH_ISA(SB_DECLARE_FLASH)
#undef SB_DECLARE_FLASH

/* Error bounds (attention.h, sb_attention_bound_fn; derived in docs/numerics.md). */
sb_attention_bound sb_attention_bound_reference(const sb_attention_desc *d, double score_size);
sb_attention_bound sb_attention_bound_textbook(const sb_attention_desc *d, double score_size);
sb_attention_bound sb_attention_bound_flash(const sb_attention_desc *d, double score_size);

#endif
