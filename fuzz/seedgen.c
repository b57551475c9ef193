/* The seed corpus generator (docs/fuzzing.md, "Seeds"): rows from the shared row generator
 * (check/rowgen.h) encoded in the fuzz input format — sink-dominated rows at every sink place
 * and tail, every edge class, every mask pattern, relative sink gaps up to 1e4, long rows at block
 * edges, transformed rows — written as <outdir>/<target>/seeds/gen-<what>; and outputs.bin files for
 * the outputs_file harness (one collected from the first registered kernel, small hand-made ones,
 * broken ones); JSON documents for the json_parse harness; stacks for stack_jvp; attention problems for
 * attention_diff and split_merge (fuzz/fuzz_attention.h). Deterministic (fixed seeds), so the committed corpus can be regenerated bit for bit:
 * scripts/fuzz-seeds.sh.
 *   fuzz_seedgen OUTDIR                 the seeds
 *   fuzz_seedgen --selftest OUTDIR      the self-test inputs (fuzz/selftest/inputs): one small row per
 *                                       relation of softmax_invariants, for fuzz/selftest's broken kernels */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/atomic_file.h"
#include "fuzz_attention.h"
#include "fuzz_batch.h"
#include "fuzz_input.h"
#include "check/rng.h"
#include "check/rowgen.h"
#include "io/outputs_file.h"

#define SEED_BASE 20261129u
#define MAX_RAW 300

static const char *const targets[] = {"softmax_diff", "softmax_invariants"};
#define NTARGETS (sizeof targets / sizeof targets[0])

static const char *outdir;
static int write_file(const char *dir, const char *name, const uint8_t *buf, size_t len);
static unsigned written, serial;

static int emit(const char *name, sb_fuzz_header h, const float *raw, size_t count)
{
    /* Fields only some harnesses read vary across seeds so the corpus covers them too. */
    static const float shifts[] = {0.0f, 1.0f, 0.5f, -3.0f, 1e6f, 0x1p-20f, 100.0f, -1e30f};
    unsigned i = serial++;
    h.flags = (uint8_t)((h.flags & 0x0fu) | (i & 1u) | (i % 4u == 2u ? SB_FUZZ_NULL_PARAMS : 0u) |
                        ((i % 16u) << SB_FUZZ_MISALIGN_SHIFT));
    h.split = (uint8_t)(i % 8u);
    h.aux = (uint16_t)(i * 7u);
    h.shift = shifts[i % 8u];
    uint8_t buf[SB_FUZZ_HEADER_SIZE + 4 * MAX_RAW];
    size_t len = sb_fuzz_encode(&h, raw, count, buf, sizeof buf);
    for (size_t t = 0; t < NTARGETS; t++) {
        char dir[2048], file[200];
        snprintf(dir, sizeof dir, "%s/%s/seeds", outdir, targets[t]);
        snprintf(file, sizeof file, "gen-%s", name);
        if (!len || !write_file(dir, file, buf, len))
            return 0;
    }
    written++;
    return 1;
}

/* A rowgen row as a seed: a sink token becomes the header's token (so harnesses know its index), a
 * learned or softmax_1 sink the header's sink; rows longer than raw_max are stored as their first
 * raw_max floats, which the decoder cycles. */
static int emit_row(const char *name, const sb_row_spec *spec, uint64_t seed, size_t raw_max)
{
    static float x[SB_FUZZ_LONG_MAX_N];
    sb_softmax_params p;
    sb_row_spec s = *spec;
    s.n = spec->n < raw_max ? spec->n : raw_max;
    size_t token = sb_row_generate(&s, seed, x, &p);
    sb_fuzz_header h;
    memset(&h, 0, sizeof h);
    h.length = sb_fuzz_length_code(spec->n);
    if (p.sink == SB_SINK_LOGIT) {
        h.sink_mode = spec->place == SB_PLACE_SOFTMAX1 && p.sink_logit == 0.0f ? SB_FUZZ_SINK_SOFTMAX1
                                                                                : SB_FUZZ_SINK_LEARNED;
        h.sink_logit = p.sink_logit;
    } else if (token != SIZE_MAX) {
        h.sink_mode = SB_FUZZ_SINK_TOKEN;
        h.sink_pos = (uint16_t)(spec->place == SB_PLACE_LAST ? spec->n - 1
                                : spec->place == SB_PLACE_MIDDLE ? spec->n / 2 : 0);
        h.sink_logit = x[token];
        if (s.n > 1 && s.n < spec->n)   /* keep cycled copies of the row free of extra sinks */
            x[token] = x[(token + 1) % s.n];
    }
    return emit(name, h, x, s.n);
}

static int write_file(const char *dir, const char *name, const uint8_t *buf, size_t len)
{
    char path[2304];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    sb_atomic_file a;
    if (!sb_mkdir_p(dir) || !sb_atomic_open(&a, path)) {
        fprintf(stderr, "fuzz_seedgen: cannot write %s\n", path);
        return 0;
    }
    fwrite(buf, 1, len, a.f);
    if (!sb_atomic_commit(&a)) {
        fprintf(stderr, "fuzz_seedgen: cannot write %s\n", path);
        return 0;
    }
    return 1;
}

/* Rows on which exactly one relation of softmax_invariants fails for one of fuzz/selftest's kernels:
 * x = 0, 1, 2, 3 with the relation's knob set. */
static int selftest_inputs(const char *dir)
{
    static const float x[] = {0.0f, 1.0f, 2.0f, 3.0f};
    struct { const char *name; uint8_t split, sink_mode; float sink, shift; } cases[] = {
        {"order", 0, SB_FUZZ_SINK_NONE, 0.0f, 0.0f},
        {"sum", 0, SB_FUZZ_SINK_NONE, 0.0f, 0.0f},
        {"shift", 0, SB_FUZZ_SINK_NONE, 0.0f, 1000.0f},
        {"split-merge", 1, SB_FUZZ_SINK_NONE, 0.0f, 0.0f},
        {"sink-token", 0, SB_FUZZ_SINK_LEARNED, 2.0f, 0.0f},
    };
    int ok = 1;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sb_fuzz_header h;
        memset(&h, 0, sizeof h);
        h.length = 4;
        h.split = cases[i].split;
        h.sink_mode = cases[i].sink_mode;
        h.sink_logit = cases[i].sink;
        h.shift = cases[i].shift;
        uint8_t buf[SB_FUZZ_HEADER_SIZE + sizeof x];
        size_t len = sb_fuzz_encode(&h, x, 4, buf, sizeof buf);
        ok &= write_file(dir, cases[i].name, buf, len);
    }
    return ok ? 0 : 3;
}

/* o written as an outputs.bin seed, less its last `cut` bytes. */
static int emit_outputs(const char *name, const sb_outputs *o, size_t cut)
{
    char dir[2048], *buf = NULL;
    size_t len = 0;
    snprintf(dir, sizeof dir, "%s/outputs_file/seeds", outdir);
    FILE *f = open_memstream(&buf, &len);
    int ok = f && sb_outputs_write(f, o);
    if (f)
        fclose(f);
    ok = ok && len > cut && write_file(dir, name, (const uint8_t *)buf, len - cut);
    free(buf);
    if (!ok)
        fprintf(stderr, "fuzz_seedgen: cannot write outputs seed %s\n", name);
    return ok;
}

static int outputs_seeds(void)
{
    int ok = 1;
    sb_outputs o;
    if (!sb_outputs_collect(&o, SEED_BASE, 0))
        return 0;
    uint32_t all = o.kernels;
    o.kernels = all ? 1 : 0;   /* the first registered kernel only: the seed stays as kernels are added */
    ok &= emit_outputs("gen-collected", &o, 0);
    o.kernels = all;
    sb_outputs_free(&o);

    uint32_t row_n[2] = {1, 2};
    float y[4] = {1.0f, 0.25f, 0.75f, 0.5f};   /* the 4th is written only by gen-bad-sum */
    sb_outputs_kernel k = {"softmax_example", "scalar", "three_pass", y};
    sb_outputs small = {SEED_BASE, 2, row_n, 3, 1, &k};
    ok &= emit_outputs("gen-small", &small, 0);
    ok &= emit_outputs("gen-small-truncated", &small, 4);
    small.kernels = 0;
    ok &= emit_outputs("gen-no-kernels", &small, 0);
    small.kernels = 1;
    small.total_floats = 4;   /* rows sum to 3: must be rejected (the file is also a float short) */
    ok &= emit_outputs("gen-bad-sum", &small, 0);
    return ok;
}

/* JSON documents for the json_parse harness (the benchmark reports of bench/tests/data are copied
 * beside them by scripts/fuzz-seeds.sh). */
static int json_seeds(void)
{
    static const struct { const char *name, *text; } docs[] = {
        {"gen-values.json", "{\"a\": [1, -2.5e3, true, false, null, \"x\\ty\\u00e9\\ud83d\\ude00\"],\n"
                            " \"b\": {\"c\": NaN, \"d\": Infinity, \"e\": -Infinity}, \"a\": 7, \"z\": 0.5E-1}"},
        {"gen-nested.json", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{\"k\": [0]}]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"},
        {"gen-nul-string.json", "\"a\\u0000b\""},
        {"gen-overflow.json", "[1e999, -1e999, 4.9e-324, 2.2250738585072014e-308, -0]"},
        {"gen-bench.json", "{\"context\": {\"host_name\": \"h\", \"num_cpus\": 2},\n \"benchmarks\": [\n"
                           "  {\"name\": \"softmax/ref/64\", \"run_name\": \"softmax/ref/64\", \"run_type\": \"iteration\",\n"
                           "   \"repetitions\": 2, \"repetition_index\": 0, \"iterations\": 100, \"real_time\": 1.5e2,\n"
                           "   \"cpu_time\": 1.4e2, \"time_unit\": \"ns\", \"label\": \"role=kernel isa=avx2\"},\n"
                           "  {\"name\": \"softmax/ref/64\", \"run_name\": \"softmax/ref/64\", \"run_type\": \"iteration\",\n"
                           "   \"repetitions\": 2, \"repetition_index\": 1, \"iterations\": 100, \"real_time\": 0.16,\n"
                           "   \"cpu_time\": 0.15, \"time_unit\": \"us\"},\n"
                           "  {\"name\": \"softmax/peer/64\", \"run_name\": \"softmax/peer/64\", \"run_type\": \"iteration\",\n"
                           "   \"error_occurred\": true, \"error_message\": \"peer missing\"}]}"},
    };
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/json_parse/seeds", outdir);
    int ok = 1;
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        ok &= write_file(dir, docs[i].name, (const uint8_t *)docs[i].text, strlen(docs[i].text));
    return ok;
}

/* Stacks for the stack_jvp harness: every sink mode with norm and MLP on and off (the byte layout is
 * documented in fuzz/stack_jvp.c; the other header bytes, tokens and tangent are random). */
static int stack_seeds(void)
{
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/stack_jvp/seeds", outdir);
    sb_rng r;
    sb_rng_seed(&r, SEED_BASE);
    int ok = 1;
    for (unsigned sink = 0; sink < 6; sink++)
        for (unsigned flags = 0; flags < 4; flags += 3) {
            uint8_t buf[32 + 4 * 16];
            for (size_t i = 0; i < sizeof buf; i++)
                buf[i] = (uint8_t)sb_rng_next(&r);
            buf[4] = (uint8_t)sink;
            buf[5] = (uint8_t)flags;
            float gap = sink == 4 ? 1.0f : 3.0f;   /* gated: a gate bias; otherwise a logit gap */
            memcpy(buf + 12, &gap, 4);
            for (size_t i = 0; i < 16; i++) {
                float v = (float)sb_rng_normal(&r);
                memcpy(buf + 32 + 4 * i, &v, 4);
            }
            char name[64];
            snprintf(name, sizeof name, "gen-sink%u-%s", sink, flags ? "norm-mlp" : "plain");
            ok &= write_file(dir, name, buf, sizeof buf);
        }
    return ok;
}

/* Attention problems for attention_diff and split_merge (the same files in both; fuzz/fuzz_attention.h):
 * MHA, GQA, MQA; head dims from 1 to 256; n = 0 .. 300 around the 64-key blocks; f32, f16, bf16 KV with
 * padding, misalignment and token-major layouts; learned sinks with gaps 0 .. 120 and non-finite
 * logits, softmax_1, sink tokens (+inf included); padding, fully masked, +inf, broadcast and additive
 * masks; causal prefill (more queries than keys too), windows with sink tokens; split counts with
 * empty and fully masked chunks; threads; explicit scales; NaN, infinities, FLT_MAX and subnormals
 * patched into q, k, v, the mask and the sinks. */
typedef struct attn_seed {
    const char *name;
    size_t H, Hkv, d, n, nq;
    unsigned kv, pad, mis, token_major, flags, sink, mask_inf, window, sink_tokens, splits, threads;
    float q_scale, sink_logit, token_gap, scale;
    /* up to 3 patches: part (0 none, 1 q, 2 k, 3 v, 4 mask, 5 sinks), element within the part, value */
    struct { unsigned part; size_t at; float value; } patch[3];
} attn_seed;

static uint8_t head_dim_code(size_t d)
{
    static const size_t big[] = {8, 16, 24, 32, 48, 64, 72, 96, 128, 256, 7, 9, 63, 65, 100, 17};
    if (d >= 1 && d <= 40)
        return (uint8_t)(d - 1);
    for (uint8_t i = 0; i < 16; i++)
        if (big[i] == d)
            return (uint8_t)(200 + i);
    return 0;
}

static int attention_seeds(void)
{
    const float inf = INFINITY, nan = NAN;
    const unsigned C = SB_FUZZ_ATTN_CAUSAL, M = SB_FUZZ_ATTN_MASK, L = SB_FUZZ_ATTN_TOKEN_LAST,
                   B = SB_FUZZ_ATTN_MASK_BROADCAST, X = SB_FUZZ_ATTN_SCALE, A = SB_FUZZ_ATTN_SINK_ABSOLUTE,
                   P = SB_FUZZ_ATTN_PLUS_INF_MASK;
    static attn_seed seeds[64];
    size_t ns = 0;
#define SEED(...) (seeds[ns++] = (attn_seed){__VA_ARGS__})
    /*    name                        H  Hkv d    n   nq kv pad mis tm flags sink minf win stok split thr q_scale sink_logit token_gap scale patches */
    SEED("mha-f32-d64-n100",          4, 4, 64, 100, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1.0f, 3.0f, 0, 0, {{0}});
    SEED("gqa-f16-d13-n65-pad",       8, 2, 13, 65, 1, 1, 1, 3, 0, 0, 1, 0, 0, 0, 3, 1, 1.0f, 10.5f, 0, 0, {{0}});
    SEED("mqa-bf16-d24-n129-tokmajor", 6, 1, 24, 129, 1, 2, 2, 5, 1, 0, 2, 0, 0, 0, 0, 0, 1.0f, 0, 0, 0, {{0}});
    SEED("d1-n1",                     1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1.0f, 0, 0, 0, {{0}});
    SEED("d3-n0-empty-cache",         3, 1, 3, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4, 2, 1.0f, 2.0f, 0, 0, {{0}});
    SEED("d128-n64-bf16",             2, 2, 128, 64, 1, 2, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1.0f, 15.2f, 0, 0, {{0}});
    SEED("d256-n63-f16",              1, 1, 256, 63, 1, 1, 3, 7, 0, 0, 0, 0, 0, 0, 2, 3, 1.0f, 0, 0, 0, {{0}});
    SEED("d72-n65-gqa",               4, 2, 72, 65, 1, 0, 1, 0, 1, 0, 2, 0, 0, 0, 1, 0, 1.0f, 0, 0, 0, {{0}});
    SEED("d9-n300-mqa",               3, 1, 9, 300, 1, 0, 0, 2, 0, 0, 1, 0, 0, 0, 4, 0, 1.0f, 30.0f, 0, 0, {{0}});
    /* sink-dominated rows: learned gaps, softmax_1, non-finite logits */
    SEED("sink-gap0",                 4, 2, 16, 200, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1.0f, 0.0f, 0, 0, {{0}});
    SEED("sink-gap30-f16",            4, 2, 16, 200, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 5, 1, 1.0f, 30.0f, 0, 0, {{0}});
    SEED("sink-gap60-bf16",           4, 1, 32, 150, 1, 2, 0, 0, 0, 0, 1, 0, 0, 0, 9, 2, 1.0f, 60.0f, 0, 0, {{0}});
    SEED("sink-gap120",               2, 1, 40, 257, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 15, 3, 1.0f, 120.0f, 0, 0, {{0}});
    SEED("sink-softmax1-small-scores", 4, 4, 8, 100, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0.01f, 0, 0, 0, {{0}});
    SEED("sink-logit-nan",            2, 1, 8, 50, 1, 0, 0, 0, 0, A, 1, 0, 0, 0, 2, 0, 1.0f, nan, 0, 0, {{0}});
    SEED("sink-logit-plus-inf",       2, 1, 8, 50, 1, 0, 0, 0, 0, A, 1, 0, 0, 0, 2, 1, 1.0f, inf, 0, 0, {{0}});
    SEED("sink-logit-minus-inf",      2, 1, 8, 50, 1, 1, 0, 0, 0, A, 1, 0, 0, 0, 2, 0, 1.0f, -inf, 0, 0, {{0}});
    SEED("sink-logit-fltmax",         2, 2, 8, 50, 1, 2, 0, 0, 0, A, 1, 0, 0, 0, 7, 0, 1.0f, FLT_MAX, 0, 0, {{0}});
    SEED("sink-logit-minus-fltmax",   2, 2, 8, 50, 1, 0, 0, 0, 0, A, 1, 0, 0, 0, 7, 0, 1.0f, -FLT_MAX, 0, 0, {{0}});
    SEED("sink-one-head-nan",         4, 2, 8, 30, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 1.0f, 5.0f, 0, 0, {{5, 2, nan}});
    /* sink tokens lifted by the mask */
    SEED("token-first-gap20",         4, 2, 16, 128, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1.0f, 0, 20.0f, 0, {{0}});
    SEED("token-last-gap90-softmax1", 4, 2, 16, 128, 1, 1, 0, 0, 0, L, 2, 0, 0, 0, 4, 1, 1.0f, 0, 90.0f, 0, {{0}});
    SEED("token-plus-inf",            2, 1, 8, 70, 1, 0, 0, 0, 0, M, 1, 0, 0, 0, 3, 0, 1.0f, 2.0f, inf, 0, {{0}});
    /* masks */
    SEED("mask-padding",              4, 2, 16, 100, 1, 0, 1, 2, 0, M, 1, 80, 0, 0, 5, 0, 1.0f, 3.0f, 0, 0, {{0}});
    SEED("mask-fully-masked",         4, 2, 16, 100, 1, 1, 0, 0, 0, 0, 0, 255, 0, 0, 5, 2, 1.0f, 0, 0, 0, {{0}});
    SEED("mask-fully-masked-sink",    4, 2, 16, 100, 1, 2, 0, 0, 0, 0, 1, 255, 0, 0, 5, 0, 1.0f, 3.0f, 0, 0, {{0}});
    SEED("mask-plus-inf",             2, 2, 8, 40, 3, 0, 0, 0, 0, M | P, 1, 60, 0, 0, 2, 0, 1.0f, 1.0f, 0, 0, {{0}});
    SEED("mask-broadcast-prefill",    2, 1, 8, 40, 6, 0, 2, 1, 0, M | B | C, 2, 40, 0, 0, 3, 1, 1.0f, 0, 0, 0, {{0}});
    SEED("mask-fltmax",               2, 1, 8, 40, 1, 0, 0, 0, 0, M, 0, 0, 0, 0, 0, 0, 1.0f, 0, 0, 0,
         {{4, 3, -FLT_MAX}, {4, 7, FLT_MAX}, {4, 9, -FLT_MAX}});
    /* causal prefill, windows and sink tokens */
    SEED("prefill-causal-17",         2, 1, 16, 17, 17, 0, 0, 0, 0, C, 1, 0, 0, 0, 0, 0, 1.0f, 2.0f, 0, 0, {{0}});
    SEED("prefill-more-queries-than-keys", 2, 2, 8, 5, 20, 1, 1, 0, 0, C, 0, 0, 0, 0, 3, 1, 1.0f, 0, 0, 0, {{0}});
    SEED("prefill-window7-tokens3",   2, 1, 16, 100, 8, 2, 0, 3, 1, C, 1, 0, 7, 3, 5, 3, 1.0f, 4.0f, 0, 0, {{0}});
    SEED("decode-window16-tokens4",   1, 1, 8, 300, 1, 0, 0, 0, 0, 0, 2, 0, 16, 4, 15, 0, 1.0f, 0, 0, 0, {{0}});
    SEED("cross-attention-no-causal", 4, 4, 12, 50, 10, 0, 1, 0, 0, M, 0, 10, 0, 0, 0, 0, 1.0f, 0, 0, 0, {{0}});
    /* splits: more chunks than keys (empty chunks), windows leaving whole chunks masked */
    SEED("splits-64-n5",              4, 2, 8, 5, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 63, 1, 1.0f, 2.0f, 0, 0, {{0}});
    SEED("splits-16-window10",        2, 1, 16, 300, 1, 1, 0, 0, 0, 0, 1, 0, 10, 2, 15, 3, 1.0f, 1.0f, 0, 0, {{0}});
    SEED("splits-7-padding-mask",     4, 2, 16, 150, 1, 2, 0, 0, 0, M, 2, 200, 0, 0, 6, 2, 1.0f, 0, 0, 0, {{0}});
    SEED("splits-32-prefill",         2, 1, 8, 64, 12, 0, 0, 0, 0, C, 1, 0, 0, 0, 31, 3, 1.0f, 8.0f, 0, 0, {{0}});
    /* scales */
    SEED("scale-zero",                2, 1, 8, 40, 1, 0, 0, 0, 0, X, 1, 0, 0, 0, 2, 0, 1.0f, 0, 0, 0.0f, {{0}});
    SEED("scale-negative",            2, 1, 8, 40, 1, 0, 0, 0, 0, X, 0, 0, 0, 0, 2, 0, 1.0f, 0, 0, -1.0f, {{0}});
    SEED("q-scale-50-spread",         4, 2, 16, 100, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 50.0f, 0, 0, 0, {{0}});
    SEED("q-scale-1e20-overflow",     2, 1, 8, 40, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1e20f, 0, 0, 0, {{0}});
    SEED("scale-huge-score-2p27",     2, 1, 8, 40, 1, 0, 0, 0, 0, X, 1, 0, 0, 0, 2, 0, 1.0f, 0, 0, 0x1p27f, {{0}});
    /* special values patched in (q at 0, k/v/mask/sinks by part) */
    SEED("nan-in-q",                  2, 1, 8, 40, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1.0f, 1.0f, 0, 0, {{1, 3, nan}});
    SEED("inf-in-k",                  2, 1, 8, 40, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1.0f, 1.0f, 0, 0, {{2, 20, inf}});
    SEED("minus-inf-in-k-f16",        2, 1, 8, 40, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1.0f, 0, 0, 0, {{2, 9, -inf}});
    SEED("nan-in-v-bf16",             2, 1, 8, 40, 1, 2, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1.0f, 1.0f, 0, 0, {{3, 17, nan}});
    SEED("nan-in-v-of-masked-key",    2, 1, 8, 40, 1, 0, 0, 0, 0, 0, 1, 0, 8, 0, 2, 0, 1.0f, 1.0f, 0, 0, {{3, 2, nan}});
    SEED("fltmax-v",                  2, 1, 8, 40, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1.0f, 1.0f, 0, 0,
         {{3, 5, FLT_MAX}, {3, 13, -FLT_MAX}});
    SEED("fltmax-v-f16-overflows",    2, 1, 8, 40, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1.0f, 1.0f, 0, 0, {{3, 5, FLT_MAX}});
    SEED("subnormal-v-and-q",         2, 1, 8, 40, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1.0f, 1.0f, 0, 0,
         {{3, 6, 0x1p-149f}, {3, 7, -0x1p-140f}, {1, 0, 0x1p-130f}});
    SEED("nan-mask-entry",            2, 1, 8, 40, 1, 0, 0, 0, 0, M, 1, 0, 0, 0, 2, 0, 1.0f, 1.0f, 0, 0, {{4, 11, nan}});
    SEED("huge-k-q",                  2, 1, 8, 40, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1.0f, 1.0f, 0, 0,
         {{2, 0, 1e19f}, {1, 0, 1e19f}});
#undef SEED
    int ok = 1;
    for (size_t i = 0; i < ns; i++) {
        const attn_seed *a = &seeds[i];
        sb_fuzz_attn_header h;
        memset(&h, 0, sizeof h);
        h.flags = (uint8_t)a->flags;
        h.heads = (uint8_t)((a->Hkv - 1) + 4 * (a->H / a->Hkv - 1));
        h.head_dim = head_dim_code(a->d);
        h.keys = (uint16_t)a->n;
        h.queries = (uint8_t)(a->nq == 1 ? 0 : 128 + (a->nq - 2));
        h.layout = (uint8_t)(a->kv | a->pad << 2 | a->mis << 4 | a->token_major << 7);
        h.sink = (uint8_t)a->sink;
        h.mask_inf = (uint8_t)a->mask_inf;
        h.window = (uint8_t)a->window;
        h.sink_tokens = (uint8_t)a->sink_tokens;
        h.splits = (uint8_t)a->splits;
        h.threads = (uint8_t)a->threads;
        h.seed = (uint16_t)(SEED_BASE + i);
        h.q_scale = a->q_scale;
        h.sink_logit = a->sink_logit;
        h.token_gap = a->token_gap;
        h.scale = a->scale;
        /* element offsets of the parts, as fuzz_attention.c numbers them */
        size_t nqe = a->nq * a->H * a->d, nke = a->Hkv * a->n * a->d;
        int mask = (a->flags & M) || a->mask_inf || a->token_gap > 0;
        size_t base[6] = {0, 0, nqe, nqe + nke, nqe + 2 * nke, nqe + 2 * nke + (mask ? a->nq * a->n : 0)};
        sb_fuzz_attn_patch patches[3];
        size_t np = 0;
        for (size_t k = 0; k < 3 && a->patch[k].part; k++)
            patches[np++] = (sb_fuzz_attn_patch){(uint16_t)(base[a->patch[k].part] + a->patch[k].at), a->patch[k].value};
        uint8_t buf[SB_FUZZ_ATTN_HEADER_SIZE + 3 * SB_FUZZ_ATTN_PATCH_SIZE];
        size_t len = sb_fuzz_attn_encode(&h, patches, np, buf, sizeof buf);
        char name[96];
        snprintf(name, sizeof name, "gen-%s", a->name);
        static const char *const attn_targets[] = {"attention_diff", "split_merge"};
        for (size_t t = 0; t < 2; t++) {
            char dir[2048];
            snprintf(dir, sizeof dir, "%s/%s/seeds", outdir, attn_targets[t]);
            ok &= len && write_file(dir, name, buf, len);
        }
    }
    return ok;
}

/* A rowgen row of spec->n floats and a zeroed header of that length, for the seeds below to adjust. */
static void generate(sb_row_spec spec, uint64_t seed, float *x, sb_softmax_params *p, sb_fuzz_header *h)
{
    sb_row_generate(&spec, seed, x, p);
    memset(h, 0, sizeof *h);
    h->length = sb_fuzz_length_code(spec.n);
}

/* Batched descriptors for softmax_batch (fuzz/fuzz_batch.h): every mask type and fill, sink kind and
 * layout, broadcast and in-place calls, long rows for the chunked kernel, raw sinks and masks holding
 * NaN and infinities, and invalid scales. Logits from the row generator. */
static int batch_seed(const char *name, sb_fuzz_batch_header h, const float *raw, size_t count)
{
    uint8_t buf[SB_FUZZ_BATCH_HEADER_SIZE + 4 * 1024];
    char dir[2048], file[200];
    snprintf(dir, sizeof dir, "%s/softmax_batch/seeds", outdir);
    snprintf(file, sizeof file, "gen-%s", name);
    size_t len = sb_fuzz_batch_encode(&h, raw, count, buf, sizeof buf);
    return len && write_file(dir, file, buf, len);
}

static int batch_seeds(void)
{
    int ok = 1;
    uint64_t seed = SEED_BASE + 7000;
    float x[600];
    sb_softmax_params p;
    sb_row_spec rows = {600, 15.0, SB_TAIL_GAUSSIAN, 0, SB_PLACE_FIRST, SB_EDGE_NONE, 0};
    sb_row_generate(&rows, seed++, x, &p);
    static const char *const masks[] = {"nomask", "f32", "f16"}, *const fills[] = {"random", "causal", "all"},
                             *const sinks[] = {"nosink", "logits", "softmax1"};
    unsigned i = 0;
    char name[160];
    /* mask type x fill x sink kind, small shapes with padding and misalignment */
    for (unsigned m = 0; m < 3; m++)
        for (unsigned f = 0; f < (m ? 3u : 1u); f++)
            for (unsigned k = 0; k < 3; k++, i++) {
                sb_fuzz_batch_header h;
                memset(&h, 0, sizeof h);
                h.flags = (uint8_t)(i % 2 ? SB_FUZZ_BATCH_IN_PLACE : 0);
                h.rows = (uint8_t)(3 + i % 9);
                h.mask = (uint8_t)(m + 3 * f);
                h.n = (uint16_t)(1 + (37 * i) % 300);
                h.x_pad = (uint8_t)(i % 4);
                h.y_pad = (uint8_t)(i % 3);
                h.misalign = (uint8_t)(i % 16);
                h.mask_rows = (uint8_t)(i % 6);
                h.rows_per_mask_row = (uint8_t)(i % 4);
                h.mask_pad = (uint8_t)(i % 4);
                h.sink = (uint8_t)k;
                h.n_heads = (uint8_t)(i % 8);
                h.rows_per_head = (uint8_t)(i % 5);
                h.threads = (uint8_t)(i % 4);
                h.scale = i % 3 == 0 ? 0.125f : i % 3 == 1 ? 0.0f : -2.0f;
                h.sink_gap = (float)(5 * (i % 20));
                h.mask_seed = (uint32_t)(SEED_BASE + i);
                snprintf(name, sizeof name, "%s-%s-%s", masks[m], fills[f], sinks[k]);
                ok &= batch_seed(name, h, x, 200);
            }
    /* layouts: [queries x heads] with a causal mask per query, broadcast logits, one long row, two */
    struct { const char *name; uint8_t flags, rows, mask, sink, rpm, mask_rows, heads, rph, threads; uint16_t n; } layouts[] = {
        {"queries-by-heads-causal-f16", 0, 11, 2 + 3, 1, 3, 4, 3, 1, 2, 64},
        {"heads-by-queries-causal-f32", SB_FUZZ_BATCH_IN_PLACE, 11, 1 + 3, 1, 0, 5, 2, 3, 1, 100},
        {"broadcast-logits", SB_FUZZ_BATCH_BROADCAST, 7, 1, 1, 1, 2, 7, 0, 3, 33},
        {"long-row-chunked", SB_FUZZ_BATCH_LONG | SB_FUZZ_BATCH_IN_PLACE, 0, 0, 1, 0, 0, 0, 0, 1, 5000},
        {"long-rows-masked", SB_FUZZ_BATCH_LONG, 1, 1 + 6, 2, 0, 1, 0, 0, 2, 777},
        {"rows-of-one", SB_FUZZ_BATCH_IN_PLACE, 10, 1, 1, 0, 2, 7, 0, 3, 1},
        {"rows-of-eight", 0, 10, 0, 1, 0, 0, 3, 1, 1, 8},
        {"empty-rows", 0, 4, 1, 1, 0, 0, 1, 0, 1, 0},
    };
    for (size_t l = 0; l < sizeof layouts / sizeof layouts[0]; l++) {
        sb_fuzz_batch_header h;
        memset(&h, 0, sizeof h);
        h.flags = layouts[l].flags;
        h.rows = layouts[l].rows;
        h.mask = layouts[l].mask;
        h.sink = layouts[l].sink;
        h.rows_per_mask_row = layouts[l].rpm;
        h.mask_rows = layouts[l].mask_rows;
        h.n_heads = layouts[l].heads;
        h.rows_per_head = layouts[l].rph;
        h.threads = layouts[l].threads;
        h.n = layouts[l].n;
        h.sink_gap = 20.0f;
        h.mask_seed = (uint32_t)(SEED_BASE + 100 + l);
        ok &= batch_seed(layouts[l].name, h, x, 600);
    }
    /* raw sinks and masks: NaN, infinities, huge values, thresholds */
    static const float specials[] = {NAN, INFINITY, -INFINITY, 0.0f, FLT_MAX, -FLT_MAX, 88.72284f, -103.97208f,
                                     1e4f, -0.0f, 0x1p-149f, 15.2f};
    for (unsigned v = 0; v < 4; v++) {
        float raw[12 + 64];
        for (unsigned j = 0; j < 12; j++)
            raw[j] = specials[(j + 3 * v) % 12];
        memcpy(raw + 12, x, 64 * sizeof *raw);
        sb_fuzz_batch_header h;
        memset(&h, 0, sizeof h);
        h.flags = (uint8_t)(SB_FUZZ_BATCH_RAW_SINKS | (v >= 2 ? SB_FUZZ_BATCH_RAW_MASK : 0) | (v % 2 ? SB_FUZZ_BATCH_IN_PLACE : 0));
        h.rows = 7;
        h.mask = (uint8_t)(v >= 2 ? 1 + v % 2 : 0);
        h.n = 40;
        h.sink = 1;
        h.n_heads = 5;
        h.rows_per_head = 0;
        h.mask_rows = 1;
        h.threads = (uint8_t)v;
        snprintf(name, sizeof name, "raw-specials-%u%s", v, v >= 2 ? "-mask" : "");
        ok &= batch_seed(name, h, raw, 12 + 64);
    }
    /* invalid descriptors: a non-finite scale must be refused */
    static const float bad[] = {NAN, INFINITY};
    for (unsigned v = 0; v < 2; v++) {
        sb_fuzz_batch_header h;
        memset(&h, 0, sizeof h);
        h.rows = 3;
        h.n = 20;
        h.mask = 1;
        h.scale = bad[v];
        ok &= batch_seed(v ? "invalid-scale-inf" : "invalid-scale-nan", h, x, 20);
    }
    return ok;
}

/* .npy attention dumps for npy_attention: valid maps (float32 and float64; format versions 1, 2, 3;
 * uniform, sink-dominated, a row left short by a logit sink) and broken ones (cut, bad dict, a NaN). */
static size_t npy_file(uint8_t *out, size_t cap, int major, const char *dict, const void *data, size_t n)
{
    size_t pre = major == 1 ? 10 : 12, dl = strlen(dict), hlen = dl + 1;
    while ((pre + hlen) % 64)
        hlen++;
    if (pre + hlen + n > cap)
        return 0;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (uint8_t)major;
    out[7] = 0;
    for (size_t i = 0; i < (major == 1 ? 2u : 4u); i++)
        out[8 + i] = (uint8_t)(hlen >> (8 * i));
    memcpy(out + pre, dict, dl);
    memset(out + pre + dl, ' ', hlen - dl - 1);
    out[pre + hlen - 1] = '\n';
    memcpy(out + pre + hlen, data, n);
    return pre + hlen + n;
}

static int npy_seeds(void)
{
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/npy_attention/seeds", outdir);
    enum { L = 2, H = 2, T = 6 };
    double p[L * H * T * T];
    float q[L * H * T * T];
    uint8_t buf[64 + sizeof p + 64];
    int ok = 1;
    for (int kind = 0; kind < 3; kind++) {
        for (size_t m = 0; m < L * H; m++)
            for (size_t t = 0; t < T; t++)
                for (size_t j = 0; j < T; j++) {
                    double v = j > t ? 0.0 : kind == 0 ? 1.0 / (double)(t + 1)
                                       : t == 0 ? (kind == 2 ? 0.25 : 1.0)
                                       : j == 0 ? 0.9 : (kind == 2 ? 0.05 : 0.1) / (double)t;
                    p[(m * T + t) * T + j] = v;
                    q[(m * T + t) * T + j] = (float)v;
                }
        static const char *const kinds[] = {"uniform", "sink", "logit-sink"};
        for (int major = 1; major <= 3; major++)
            for (int f32 = 0; f32 <= 1; f32++) {
                char dict[160], name[96];
                snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d, %d, %d), }",
                         f32 ? "<f4" : "<f8", L, H, T, T);
                size_t n = npy_file(buf, sizeof buf, major, dict, f32 ? (const void *)q : (const void *)p,
                                    f32 ? sizeof q : sizeof p);
                snprintf(name, sizeof name, "gen-%s-v%d-%s.npy", kinds[kind], major, f32 ? "f4" : "f8");
                ok &= n && write_file(dir, name, buf, n);
            }
    }
    size_t n = npy_file(buf, sizeof buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 6, 6)}", p,
                        sizeof p);
    ok &= write_file(dir, "gen-cut.npy", buf, n - 5);
    p[7] = NAN;
    n = npy_file(buf, sizeof buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 6, 6)}", p, sizeof p);
    ok &= write_file(dir, "gen-nan.npy", buf, n);
    n = npy_file(buf, sizeof buf, 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2, 6, 6), 'x': (1,)}", p,
                 sizeof p);
    ok &= write_file(dir, "gen-bad-dict.npy", buf, n);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--selftest") == 0)
        return selftest_inputs(argv[2]);
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: fuzz_seedgen OUTDIR              (writes OUTDIR/<target>/seeds/gen-*)\n"
                        "       fuzz_seedgen --selftest OUTDIR   (writes the self-test inputs)\n");
        return 2;
    }
    outdir = argv[1];
    int ok = 1;
    char name[160];
    uint64_t seed = SEED_BASE;

    /* Sink places x tails: the sink-dominated grid. */
    static const double gaps[] = {0.0, 10.5, 15.2, 30.0, 90.0, 110.0};
    static const size_t lengths[] = {1, 2, 7, 16, 31, 64, 100, 256};
    unsigned g = 0;
    for (int place = 0; place < SB_PLACE_COUNT; place++)
        for (int tail = 0; tail < SB_TAIL_COUNT; tail++, g++) {
            sb_row_spec spec = {lengths[g % 8], gaps[g % 6], (sb_tail)tail, 0, (sb_sink_place)place,
                                SB_EDGE_NONE, (g % 5 == 3) ? -50.0 : 0.0};
            snprintf(name, sizeof name, "grid-%s-%s-gap%g-n%zu", sb_place_name(spec.place), sb_tail_name(spec.tail),
                     spec.gap, spec.n);
            ok &= emit_row(name, &spec, seed++, MAX_RAW);
        }

    /* Every edge class of the contract. */
    for (int edge = 0; edge < SB_EDGE_COUNT; edge++) {
        sb_row_spec spec = {33, 12.9, SB_TAIL_GAUSSIAN, 0, (sb_sink_place)(edge % SB_PLACE_COUNT), (sb_edge)edge, 0};
        snprintf(name, sizeof name, "edge-%s-%s-n33", sb_edge_name(spec.edge), sb_place_name(spec.place));
        ok &= emit_row(name, &spec, seed++, MAX_RAW);
    }

    /* Long rows at the usual block edges, stored as 128 cycled floats. */
    static const size_t long_n[] = {4095, 4096, 4097};
    static const sb_sink_place long_place[] = {SB_PLACE_FIRST, SB_PLACE_LAST, SB_PLACE_LEARNED};
    for (int i = 0; i < 3; i++) {
        sb_row_spec spec = {long_n[i], 15.2, SB_TAIL_GAUSSIAN, 0, long_place[i], SB_EDGE_NONE, 0};
        snprintf(name, sizeof name, "long-%s-n%zu", sb_place_name(spec.place), spec.n);
        ok &= emit_row(name, &spec, seed++, 128);
    }

    /* Every mask pattern, with -inf and with -FLT_MAX, under a learned sink. */
    for (unsigned mask = 1; mask < SB_FUZZ_MASK_COUNT; mask++)
        for (unsigned big = 0; big < 2; big++) {
            float x[64];
            sb_softmax_params p;
            sb_fuzz_header h;
            generate((sb_row_spec){64, 12.9, SB_TAIL_GAUSSIAN, 0, SB_PLACE_LEARNED, SB_EDGE_NONE, 0}, seed++, x, &p, &h);
            h.sink_mode = SB_FUZZ_SINK_LEARNED;
            h.sink_logit = p.sink_logit;
            h.mask = (uint8_t)(mask | (big ? SB_FUZZ_MASK_FLT_MAX : 0));
            h.mask_param = (uint8_t)(37 * mask + 11);
            snprintf(name, sizeof name, "mask-%s%s", sb_fuzz_mask_name(mask), big ? "-fltmax" : "");
            ok &= emit(name, h, x, 64);
        }

    /* Sink gaps relative to the largest logit: past exp's subnormal and zero thresholds, and huge. */
    static const float rel[] = {10.5f, 87.5f, 104.5f, 1e4f, INFINITY, -20.0f};
    for (int i = 0; i < 6; i++) {
        float x[48];
        sb_softmax_params p;
        sb_fuzz_header h;
        generate((sb_row_spec){48, 0.0, i % 2 ? SB_TAIL_EQUAL : SB_TAIL_UNIFORM, 0, SB_PLACE_NONE, SB_EDGE_NONE, 0},
                 seed++, x, &p, &h);
        h.flags = SB_FUZZ_SINK_RELATIVE;
        h.sink_mode = i % 2 ? SB_FUZZ_SINK_TOKEN : SB_FUZZ_SINK_LEARNED;
        h.sink_pos = (uint16_t)(i * 9);
        h.sink_logit = rel[i];
        snprintf(name, sizeof name, "relative-%s-gap%g", sb_fuzz_sink_mode_name(h.sink_mode), (double)rel[i]);
        ok &= emit(name, h, x, 48);
    }

    /* Scaled and offset rows: logits near +-1e30 and tiny spreads. */
    static const float scale[] = {1.0f, 1e-30f, 1e30f, -1.0f}, offset[] = {-1e30f, 0.0f, 0.0f, 88.7f};
    for (int i = 0; i < 4; i++) {
        float x[32];
        sb_softmax_params p;
        sb_fuzz_header h;
        generate((sb_row_spec){32, 0.0, SB_TAIL_GAUSSIAN, 0, SB_PLACE_NONE, SB_EDGE_NONE, 0}, seed++, x, &p, &h);
        h.flags = SB_FUZZ_TRANSFORM;
        h.scale = scale[i];
        h.offset = offset[i];
        snprintf(name, sizeof name, "transform-scale%g-offset%g", (double)scale[i], (double)offset[i]);
        ok &= emit(name, h, x, 32);
    }

    /* The thresholds themselves, in one row, without and with a learned sink at FLT_MAX. */
    static const float marks[] = {FLT_MAX, -FLT_MAX, 0x1p-149f, -0x1p-149f, FLT_MIN, 88.72284f, -87.33655f,
                                  -103.97208f, -104.0f, 0.0f, -0.0f, 1.0f};
    for (int i = 0; i < 2; i++) {
        sb_fuzz_header h;
        memset(&h, 0, sizeof h);
        h.length = 12;
        h.sink_mode = i ? SB_FUZZ_SINK_LEARNED : SB_FUZZ_SINK_NONE;
        h.sink_logit = FLT_MAX;
        ok &= emit(i ? "thresholds-sink-fltmax" : "thresholds", h, marks, 12);
    }

    ok &= outputs_seeds();
    ok &= json_seeds();
    ok &= stack_seeds();
    ok &= attention_seeds();
    ok &= batch_seeds();
    ok &= npy_seeds();
    printf("fuzz_seedgen: %u seeds for each of %zu targets, and outputs.bin and JSON seeds, in %s\n", written, NTARGETS,
           outdir);
    return ok ? 0 : 3;
}
