/* The reference: every row evaluated in binary64 (materialised scores, exact max, compensated sums,
 * one division, one final rounding): within one rounding of the exact result. It ignores n_splits
 * and n_threads (it computes the exact unsplit result) and never allocates. */
#include "attention/attention_internal.h"
#include "attention/attention_kernels.h"

sb_status sb_attention_each_row(const sb_attention_desc *d, void (*row)(const sb_attention_desc *d, size_t i, size_t h))
{
    int empty;
    sb_status st = sb_attention_validate(d, &empty);
    if (st != SB_OK || empty)
        return st;
    for (size_t i = 0; i < d->n_queries; i++)
        for (size_t h = 0; h < d->n_heads; h++)
            row(d, i, h);
    return SB_OK;
}

sb_status sb_attention_reference_f64(const sb_attention_desc *d) { return sb_attention_each_row(d, sb_attention_row_f64_store); }
