#include "fuzz_input.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "check/rng.h"

static const char *const sink_names[] = {"none", "learned", "softmax1", "token"};
static const char *const mask_names[SB_FUZZ_MASK_COUNT] = {"none",     "all",      "stride",      "causal",
                                                           "window",   "periodic", "all-but-one", "random"};

const char *sb_fuzz_sink_mode_name(unsigned mode) { return sink_names[mode % 4]; }
const char *sb_fuzz_mask_name(unsigned mask) { return mask_names[mask % SB_FUZZ_MASK_COUNT]; }

/* Fields are little-endian on every target sinkbench supports (x86-64, aarch64); assembling them byte
 * by byte keeps the format identical even on a big-endian host. */
static uint32_t take_le(sb_fuzz_reader *r, size_t bytes)
{
    uint8_t b[4] = {0, 0, 0, 0};
    size_t k = bytes < r->left ? bytes : r->left;
    memcpy(b, r->p, k);
    r->p += k;
    r->left -= k;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

uint8_t sb_fuzz_take_u8(sb_fuzz_reader *r) { return (uint8_t)take_le(r, 1); }
uint16_t sb_fuzz_take_u16(sb_fuzz_reader *r) { return (uint16_t)take_le(r, 2); }

float sb_fuzz_take_f32(sb_fuzz_reader *r)
{
    uint32_t u = take_le(r, 4);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

size_t sb_fuzz_take_floats(sb_fuzz_reader *r, float *dst, size_t n)
{
    size_t have = r->left / 4;
    if (have == 0) {
        memset(dst, 0, n * sizeof *dst);
        return 0;
    }
    size_t fill = have < n ? have : n;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(dst, r->p, fill * sizeof *dst);   /* the format's byte order: one copy */
    r->p += fill * sizeof *dst;
    r->left -= fill * sizeof *dst;
#else
    for (size_t i = 0; i < fill; i++)
        dst[i] = sb_fuzz_take_f32(r);
#endif
    for (size_t i = fill; i < n; i++)
        dst[i] = dst[i % have];
    return have;
}

void sb_fuzz_decode_header(sb_fuzz_reader *r, sb_fuzz_header *h)
{
    h->kernel = sb_fuzz_take_u8(r);
    h->flags = sb_fuzz_take_u8(r);
    h->length = sb_fuzz_take_u16(r);
    h->sink_mode = sb_fuzz_take_u8(r);
    h->mask = sb_fuzz_take_u8(r);
    h->mask_param = sb_fuzz_take_u8(r);
    h->split = sb_fuzz_take_u8(r);
    h->sink_pos = sb_fuzz_take_u16(r);
    h->aux = sb_fuzz_take_u16(r);
    h->sink_logit = sb_fuzz_take_f32(r);
    h->scale = sb_fuzz_take_f32(r);
    h->offset = sb_fuzz_take_f32(r);
    h->shift = sb_fuzz_take_f32(r);
}

static void apply_mask(float *x, size_t n, size_t token, unsigned mask, unsigned p)
{
    float v = (mask & SB_FUZZ_MASK_FLT_MAX) ? -FLT_MAX : -INFINITY;
    size_t visible = (size_t)p * n / 255;
    size_t keep = token != SIZE_MAX ? token : (n ? p % n : 0);
    sb_rng rng;
    sb_rng_seed(&rng, p);
    for (size_t i = 0; i < n; i++) {
        int masked;
        switch ((sb_fuzz_mask)(mask % SB_FUZZ_MASK_COUNT)) {
        case SB_FUZZ_MASK_ALL: x[i] = v; continue;   /* the sink token too */
        case SB_FUZZ_MASK_STRIDE: masked = i % (2 + p % 15) == 0; break;
        case SB_FUZZ_MASK_CAUSAL: masked = i >= visible; break;
        case SB_FUZZ_MASK_WINDOW: masked = i < n - visible; break;
        case SB_FUZZ_MASK_PERIODIC: masked = (p >> (i % 8)) & 1; break;
        case SB_FUZZ_MASK_ALL_BUT_ONE: masked = i != keep; break;
        case SB_FUZZ_MASK_RANDOM: masked = (int)(sb_rng_next(&rng) & 1); break;
        default: masked = 0; break;
        }
        if (masked && i != token)
            x[i] = v;
    }
}

void sb_fuzz_decode_row(const uint8_t *data, size_t size, float *x, sb_fuzz_row *row)
{
    sb_fuzz_reader r = {data, data ? size : 0};
    sb_fuzz_header *h = &row->h;
    sb_fuzz_decode_header(&r, h);

    size_t n = h->length < SB_FUZZ_LONG_CODE
                   ? h->length % (SB_FUZZ_SHORT_MAX_N + 1)
                   : SB_FUZZ_SHORT_MAX_N + 1 +
                         (h->length - SB_FUZZ_LONG_CODE) % (SB_FUZZ_LONG_MAX_N - SB_FUZZ_SHORT_MAX_N);
    row->n = n;
    row->x = x;
    row->in_place = (h->flags & SB_FUZZ_IN_PLACE) != 0;
    row->misalign = h->flags >> SB_FUZZ_MISALIGN_SHIFT;
    row->raw_floats = sb_fuzz_take_floats(&r, x, n);

    if (h->flags & SB_FUZZ_TRANSFORM)  /* the product of two binary32 values is exact in binary64 */
        for (size_t i = 0; i < n; i++)
            x[i] = (float)((double)x[i] * h->scale + h->offset);

    sb_fuzz_sink_mode mode = (sb_fuzz_sink_mode)(h->sink_mode % 4);
    row->sink_index = (mode == SB_FUZZ_SINK_TOKEN && n) ? h->sink_pos % n : SIZE_MAX;
    apply_mask(x, n, row->sink_index, h->mask, h->mask_param);

    float value = h->sink_logit;
    if (h->flags & SB_FUZZ_SINK_RELATIVE) {
        /* A gap above the largest unmasked logit: huge sink gaps in one field. */
        float top = -INFINITY;
        for (size_t i = 0; i < n; i++)
            if (i != row->sink_index && isfinite(x[i]) && x[i] > top)
                top = x[i];
        value = (float)((double)(top == -INFINITY ? 0.0f : top) + value);
    }
    row->params.sink = SB_SINK_NONE;
    row->params.sink_logit = 0.0f;
    if (mode == SB_FUZZ_SINK_LEARNED || mode == SB_FUZZ_SINK_SOFTMAX1) {
        row->params.sink = SB_SINK_LOGIT;
        row->params.sink_logit = mode == SB_FUZZ_SINK_SOFTMAX1 ? 0.0f : value;
    } else if (row->sink_index != SIZE_MAX && (h->mask % SB_FUZZ_MASK_COUNT) != SB_FUZZ_MASK_ALL) {
        x[row->sink_index] = value;
    }
    row->p = (row->params.sink == SB_SINK_NONE && (h->flags & SB_FUZZ_NULL_PARAMS)) ? NULL : &row->params;
}

uint16_t sb_fuzz_length_code(size_t n)
{
    return (uint16_t)(n <= SB_FUZZ_SHORT_MAX_N ? n : SB_FUZZ_LONG_CODE + (n - SB_FUZZ_SHORT_MAX_N - 1));
}

void sb_fuzz_put_le(uint8_t **p, uint32_t v, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++)
        *(*p)++ = (uint8_t)(v >> (8 * i));
}

void sb_fuzz_put_f32(uint8_t **p, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    sb_fuzz_put_le(p, u, 4);
}

size_t sb_fuzz_encode(const sb_fuzz_header *h, const float *raw, size_t count, uint8_t *out, size_t cap)
{
    if (cap < SB_FUZZ_HEADER_SIZE + 4 * count)
        return 0;
    uint8_t *p = out;
    sb_fuzz_put_le(&p, h->kernel, 1);
    sb_fuzz_put_le(&p, h->flags, 1);
    sb_fuzz_put_le(&p, h->length, 2);
    sb_fuzz_put_le(&p, h->sink_mode, 1);
    sb_fuzz_put_le(&p, h->mask, 1);
    sb_fuzz_put_le(&p, h->mask_param, 1);
    sb_fuzz_put_le(&p, h->split, 1);
    sb_fuzz_put_le(&p, h->sink_pos, 2);
    sb_fuzz_put_le(&p, h->aux, 2);
    sb_fuzz_put_f32(&p, h->sink_logit);
    sb_fuzz_put_f32(&p, h->scale);
    sb_fuzz_put_f32(&p, h->offset);
    sb_fuzz_put_f32(&p, h->shift);
    for (size_t i = 0; i < count; i++)
        sb_fuzz_put_f32(&p, raw[i]);
    return (size_t)(p - out);
}

void sb_fuzz_describe(const sb_fuzz_row *row, FILE *f)
{
    const sb_fuzz_header *h = &row->h;
    fprintf(f, "  row: n=%zu (%zu raw floats) kernel-selector=%u sink=%s", row->n, row->raw_floats,
            (unsigned)h->kernel, sb_fuzz_sink_mode_name(h->sink_mode));
    if (row->params.sink == SB_SINK_LOGIT)
        fprintf(f, " logit=%a", (double)row->params.sink_logit);
    if (row->sink_index != SIZE_MAX)
        fprintf(f, " token@%zu", row->sink_index);
    fprintf(f, "%s mask=%s%s(p=%u) misalign=%zu%s%s split=%u aux=%u shift=%a\n  x:", row->p ? "" : " params=NULL",
            sb_fuzz_mask_name(h->mask), (h->mask & SB_FUZZ_MASK_FLT_MAX) ? "/-FLT_MAX" : "",
            (unsigned)h->mask_param, row->misalign, row->in_place ? " in-place" : "",
            (h->flags & SB_FUZZ_TRANSFORM) ? " transformed" : "", (unsigned)h->split, (unsigned)h->aux,
            (double)h->shift);
    size_t show = row->n < 24 ? row->n : 24;
    for (size_t i = 0; i < show; i++)
        fprintf(f, " %a", (double)row->x[i]);
    fprintf(f, "%s\n", show < row->n ? " ..." : "");
}
