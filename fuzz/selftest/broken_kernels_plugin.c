/* Deliberately broken kernels, for the harnesses' self-tests (corpus/CMakeLists.txt): each breaks one
 * rule the fuzzers must catch. SINKBENCH_SELFTEST_BUG picks the one registered (default sink_twice):
 *   sink_twice  a learned sink added to the denominator twice: the split-KV bug of adding the sink
 *               once per partition (the reference run with the sink logit raised by ln 2)
 *   swap_order  y[0] and y[n-1] swapped when x[0] < x[n-1]          -> softmax_invariants "order"
 *   shift_bias  outputs 2^-10 too large when a logit exceeds 100     -> "shift"
 *   chunk_bias  outputs 2^-10 too large when called without params   -> "split-merge"
 *   scaled      outputs always 2^-20 too large (8 ulp, bound 1)      -> "sum"
 * Each delegates to softmax_reference_f64 and then breaks its rule. The attention bugs (for
 * attention_diff and split_merge) delegate to attention_flash_scalar:
 *   attn_sink_per_split  the sink added once per split instead of once in the merge (its logit raised
 *                        by ln S)                                   -> error-bound
 *   attn_thread_bits     the first output 1 ulp off when run on more than one thread -> threads-differ
 *   attn_write_past      writes the float just past the last output row             -> guard
 * The batched bugs (for softmax_batch) delegate to sb_softmax_batch:
 *   batch_mask_once      the mask of row 0 applied to every row (mask_rows ignored)  -> a contract rule
 *   batch_thread_bits    every output in (0, 1) 1 ulp up when run on more than one thread -> threads */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sinkbench/sinkbench.h>

static sb_status reference(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    return sb_softmax_kernel_find("softmax_reference_f64")->fn(x, y, n, p);
}

static void scale(float *y, size_t n, float f)
{
    for (size_t i = 0; i < n; i++)
        y[i] *= f;
}

static sb_status sink_twice(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_softmax_params doubled = {SB_SINK_NONE, 0.0f};
    if (p) {
        doubled = *p;
        if (p->sink == SB_SINK_LOGIT)
            doubled.sink_logit = p->sink_logit + 0.6931472f;   /* exp(s + ln 2) = 2 exp(s) */
    }
    return reference(x, y, n, p ? &doubled : NULL);
}

static sb_status swap_order(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    if (sb_softmax_check_args(x, y, n, p) != SB_OK || n == 0)
        return reference(x, y, n, p);
    float x0 = n ? x[0] : 0.0f, xl = n ? x[n - 1] : 0.0f;   /* read before an in-place call overwrites x */
    sb_status st = reference(x, y, n, p);
    if (st == SB_OK && n >= 2 && x0 < xl) {
        float t = y[0];
        y[0] = y[n - 1];
        y[n - 1] = t;
    }
    return st;
}

static sb_status shift_bias(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    if (sb_softmax_check_args(x, y, n, p) != SB_OK || n == 0)
        return reference(x, y, n, p);
    int big = 0;
    for (size_t i = 0; i < n; i++)
        big |= isfinite(x[i]) && x[i] > 100.0f;
    sb_status st = reference(x, y, n, p);
    if (st == SB_OK && big)
        scale(y, n, 1.0f + 0x1p-10f);
    return st;
}

static sb_status chunk_bias(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = reference(x, y, n, p);
    if (st == SB_OK && !p)
        scale(y, n, 1.0f + 0x1p-10f);
    return st;
}

static sb_status scaled(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = reference(x, y, n, p);
    if (st == SB_OK)
        scale(y, n, 1.0f + 0x1p-20f);
    return st;
}

static int always(void) { return 1; }

static const sb_attention_kernel *flash_scalar(void) { return sb_attention_kernel_find("attention_flash_scalar"); }

static sb_status attn_sink_per_split(const sb_attention_desc *d)
{
    if (d->n_splits <= 1 || d->sink == SB_ATTENTION_SINK_NONE || sb_attention_check(d) != SB_OK)
        return flash_scalar()->fn(d);
    float *logits = malloc(d->n_heads * sizeof *logits);
    if (!logits)
        return SB_ENOMEM;
    for (size_t h = 0; h < d->n_heads; h++)   /* S e^sigma = e^(sigma + ln S) */
        logits[h] = (d->sink == SB_ATTENTION_SINK_LOGITS ? d->sink_logits[h] : 0.0f) + logf((float)d->n_splits);
    sb_attention_desc twice = *d;
    twice.sink = SB_ATTENTION_SINK_LOGITS;
    twice.sink_logits = logits;
    sb_status st = flash_scalar()->fn(&twice);
    free(logits);
    return st;
}

static sb_status attn_thread_bits(const sb_attention_desc *d)
{
    sb_status st = flash_scalar()->fn(d);
    if (st == SB_OK && d->n_threads > 1 && d->n_queries > 0 && isfinite(d->out[0]) && d->out[0] != 0.0f)
        d->out[0] = nextafterf(d->out[0], INFINITY);
    return st;
}

static sb_status attn_write_past(const sb_attention_desc *d)
{
    sb_status st = flash_scalar()->fn(d);
    if (st == SB_OK && d->n_queries > 0)
        d->out[(d->n_queries - 1) * d->out_stride_token + (d->n_heads - 1) * d->out_stride_head + d->head_dim] = 0.0f;
    return st;
}

static sb_status register_attention_bug(const char *bug)
{
    static const struct { const char *name; sb_attention_fn fn; } bugs[] = {
        {"plugin_bug_attn_sink_per_split", attn_sink_per_split},
        {"plugin_bug_attn_thread_bits", attn_thread_bits},
        {"plugin_bug_attn_write_past", attn_write_past},
    };
    const sb_attention_kernel *base = flash_scalar();
    for (size_t i = 0; base && i < sizeof bugs / sizeof bugs[0]; i++)
        if (strcmp(bugs[i].name + strlen("plugin_bug_"), bug) == 0) {
            sb_attention_kernel k = *base;
            k.name = bugs[i].name;
            k.fn = bugs[i].fn;
            k.flags = 0;
            return sb_attention_register(&k);
        }
    return SB_EINVAL;
}

static sb_status batch_mask_once(const sb_softmax_batch_desc *d)
{
    if (sb_softmax_batch_check(d) != SB_OK)
        return sb_softmax_batch(d); /* the descriptor rules it keeps */
    sb_softmax_batch_desc c = *d;
    c.mask_rows = 1;
    return sb_softmax_batch(&c);
}

static sb_status batch_thread_bits(const sb_softmax_batch_desc *d)
{
    sb_status st = sb_softmax_batch(d);
    if (st != SB_OK || d->n_threads <= 1)
        return st;
    for (size_t r = 0; r < d->rows; r++)
        for (size_t j = 0; j < d->n; j++) {
            float *y = d->y + r * d->y_stride + j;
            if (*y > 0.0f && *y < 1.0f)
                *y = nextafterf(*y, 2.0f);
        }
    return SB_OK;
}

static const sb_softmax_kernel *batch_row_kernel(size_t n) { return sb_softmax_dispatch(n); }

static sb_status register_batch_bug(const char *bug)
{
    static const sb_softmax_batch_kernel kernels[] = {
        {"plugin_bug_batch_mask_once", "scalar", "batched", always, batch_mask_once, 2.0, 0, batch_row_kernel},
        {"plugin_bug_batch_thread_bits", "scalar", "batched", always, batch_thread_bits, 2.0, 0, batch_row_kernel},
    };
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        if (strcmp(kernels[i].name + strlen("plugin_bug_"), bug) == 0)
            return sb_softmax_batch_register(&kernels[i]);
    return SB_EINVAL;
}

sb_status sinkbench_plugin_register(void);
sb_status sinkbench_plugin_register(void)
{
    static const sb_softmax_kernel kernels[] = {
        {"plugin_bug_sink_twice", "scalar", "reference", always, sink_twice, 1.0, 0},
        {"plugin_bug_swap_order", "scalar", "reference", always, swap_order, 1.0, 0},
        {"plugin_bug_shift_bias", "scalar", "reference", always, shift_bias, 1.0, 0},
        {"plugin_bug_chunk_bias", "scalar", "reference", always, chunk_bias, 1.0, 0},
        {"plugin_bug_scaled", "scalar", "reference", always, scaled, 1.0, 0},
    };
    const char *bug = getenv("SINKBENCH_SELFTEST_BUG");
    if (bug && strncmp(bug, "attn_", 5) == 0)
        return register_attention_bug(bug);
    if (bug && strncmp(bug, "batch_", 6) == 0)
        return register_batch_bug(bug);
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        if (strcmp(kernels[i].name + strlen("plugin_bug_"), bug && *bug ? bug : "sink_twice") == 0)
            return sb_softmax_register(&kernels[i]);
    return SB_EINVAL;
}
