/* A strict reader of NumPy .npy files holding causal attention probabilities, shape
 * [layers, heads, T, T], and the metrics that need only the maps (docs/emerge.md "sinkmetric").
 * Format (NumPy's NEP 1): "\x93NUMPY", major and minor version bytes, the header length (u16 for
 * version 1, u32 for 2 and 3, little-endian), an ASCII Python dict literal with exactly the keys
 * 'descr', 'fortran_order' and 'shape', ending in '\n'; then the data. Anything else is refused with
 * the first problem found: the reader runs on files from other tools and is fuzzed (fuzz/npy_attention.c). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emerge_io.h"
#include "emerge_model.h"

#define MAX_DIM 65536u
#define MAX_VALUES ((size_t)1 << 28)

static sb_status fail(char *err, size_t err_size, sb_emerge_attn_maps *out, const char *fmt, const char *a,
                      const char *b)
{
    free(out->p);
    memset(out, 0, sizeof *out);
    if (err && err_size)
        snprintf(err, err_size, fmt, a ? a : "", b ? b : "");
    return SB_EINVAL;
}

/* ---- the header's dict literal ---------------------------------------------------------------------- */

typedef struct parser {
    const char *s;
    size_t n, at;
} parser;

static void skip_space(parser *p)
{
    while (p->at < p->n && (p->s[p->at] == ' ' || p->s[p->at] == '\t'))
        p->at++;
}

static int accept(parser *p, char c)
{
    skip_space(p);
    if (p->at < p->n && p->s[p->at] == c) {
        p->at++;
        return 1;
    }
    return 0;
}

/* A quoted string without escapes (NumPy writes none in these three keys and values). */
static int string(parser *p, char *out, size_t size)
{
    skip_space(p);
    if (p->at >= p->n || (p->s[p->at] != '\'' && p->s[p->at] != '"'))
        return 0;
    char q = p->s[p->at++];
    size_t k = 0;
    while (p->at < p->n && p->s[p->at] != q) {
        if (p->s[p->at] == '\\' || k + 1 >= size)
            return 0;
        out[k++] = p->s[p->at++];
    }
    if (p->at >= p->n)
        return 0;
    p->at++;
    out[k] = 0;
    return 1;
}

static int word(parser *p, const char *w)
{
    skip_space(p);
    size_t len = strlen(w);
    if (p->n - p->at >= len && memcmp(p->s + p->at, w, len) == 0 &&
        (p->at + len == p->n || !isalnum((unsigned char)p->s[p->at + len]))) {
        p->at += len;
        return 1;
    }
    return 0;
}

/* "(a, b, c, d)" or "(a,)" or "()": up to 8 non-negative integers; count receives how many. */
static int shape_tuple(parser *p, uint64_t *dims, size_t *count)
{
    *count = 0;
    if (!accept(p, '('))
        return 0;
    for (;;) {
        if (accept(p, ')'))
            return 1;
        skip_space(p);
        if (p->at >= p->n || !isdigit((unsigned char)p->s[p->at]) || *count >= 8)
            return 0;
        uint64_t v = 0;
        while (p->at < p->n && isdigit((unsigned char)p->s[p->at])) {
            if (v > (UINT64_MAX - 9) / 10)
                return 0;
            v = v * 10 + (uint64_t)(p->s[p->at++] - '0');
        }
        if (p->at < p->n && (p->s[p->at] == 'L' || p->s[p->at] == 'l')) /* Python 2 longs */
            p->at++;
        dims[(*count)++] = v;
        if (accept(p, ','))
            continue;
        if (accept(p, ')'))
            return 1;
        return 0;
    }
}

sb_status sb_emerge_npy_read_attention(const unsigned char *bytes, size_t size, sb_emerge_attn_maps *out, char *err,
                                       size_t err_size)
{
    if (!out)
        return SB_EINVAL;
    memset(out, 0, sizeof *out);
    if (!bytes && size)
        return fail(err, err_size, out, "no data%s%s", NULL, NULL);
    if (size < 10 || memcmp(bytes, "\x93NUMPY", 6) != 0)
        return fail(err, err_size, out, "not an .npy file (no \\x93NUMPY magic)%s%s", NULL, NULL);
    unsigned major = bytes[6];
    size_t hlen, hstart;
    if (major == 1) {
        hlen = (size_t)bytes[8] | (size_t)bytes[9] << 8;
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (size < 12)
            return fail(err, err_size, out, "truncated header%s%s", NULL, NULL);
        hlen = (size_t)bytes[8] | (size_t)bytes[9] << 8 | (size_t)bytes[10] << 16 | (size_t)bytes[11] << 24;
        hstart = 12;
    } else {
        char v[16];
        snprintf(v, sizeof v, "%u", major);
        return fail(err, err_size, out, "unknown .npy format version %s%s", v, NULL);
    }
    if (hlen > size - hstart)
        return fail(err, err_size, out, "truncated header (the header length points past the end)%s%s", NULL, NULL);
    const char *h = (const char *)bytes + hstart;
    if (hlen == 0 || h[hlen - 1] != '\n')
        return fail(err, err_size, out, "malformed header: it must end with a newline%s%s", NULL, NULL);
    for (size_t i = 0; i + 1 < hlen; i++)
        if (!isprint((unsigned char)h[i]))
            return fail(err, err_size, out, "malformed header: a non-printable byte in the dict%s%s", NULL, NULL);
    parser p = {h, hlen - 1, 0};
    char descr[32] = "";
    int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0;
    uint64_t dims[8];
    size_t ndim = 0;
    if (!accept(&p, '{'))
        return fail(err, err_size, out, "malformed header: no dict%s%s", NULL, NULL);
    for (;;) {
        if (accept(&p, '}'))
            break;
        char key[32];
        if (!string(&p, key, sizeof key) || !accept(&p, ':'))
            return fail(err, err_size, out, "malformed header: expected 'key': value%s%s", NULL, NULL);
        if (!strcmp(key, "descr") && !have_descr) {
            if (!string(&p, descr, sizeof descr))
                return fail(err, err_size, out, "malformed header: descr is not a string%s%s", NULL, NULL);
            have_descr = 1;
        } else if (!strcmp(key, "fortran_order") && !have_order) {
            if (word(&p, "False"))
                fortran = 0;
            else if (word(&p, "True"))
                fortran = 1;
            else
                return fail(err, err_size, out, "malformed header: fortran_order is not True or False%s%s", NULL, NULL);
            have_order = 1;
        } else if (!strcmp(key, "shape") && !have_shape) {
            if (!shape_tuple(&p, dims, &ndim))
                return fail(err, err_size, out, "malformed header: shape is not a tuple of integers%s%s", NULL, NULL);
            have_shape = 1;
        } else {
            return fail(err, err_size, out, "malformed header: unexpected or repeated key '%s'%s", key, NULL);
        }
        if (accept(&p, ','))
            continue;
        if (accept(&p, '}'))
            break;
        return fail(err, err_size, out, "malformed header: expected ',' or '}'%s%s", NULL, NULL);
    }
    skip_space(&p);
    if (p.at != p.n)
        return fail(err, err_size, out, "malformed header: text after the dict%s%s", NULL, NULL);
    if (!have_descr || !have_order || !have_shape)
        return fail(err, err_size, out, "malformed header: descr, fortran_order and shape are all required%s%s", NULL,
                    NULL);
    size_t item;
    if (!strcmp(descr, "<f4"))
        item = 4;
    else if (!strcmp(descr, "<f8"))
        item = 8;
    else
        return fail(err, err_size, out, "dtype '%s' is not float32 or float64 little-endian ('<f4', '<f8')%s", descr,
                    NULL);
    if (fortran)
        return fail(err, err_size, out, "Fortran order: save the array in C order (np.ascontiguousarray)%s%s", NULL,
                    NULL);
    char shape[160];
    int used = snprintf(shape, sizeof shape, "(");
    for (size_t i = 0; i < ndim && used < (int)sizeof shape; i++)
        used += snprintf(shape + used, sizeof shape - (size_t)used, "%s%llu", i ? ", " : "", (unsigned long long)dims[i]);
    if (used < (int)sizeof shape)
        snprintf(shape + used, sizeof shape - (size_t)used, ")");
    if (ndim != 4 || dims[2] != dims[3])
        return fail(err, err_size, out, "shape %s is not [layers, heads, T, T]%s", shape, NULL);
    if (!dims[0] || !dims[1] || !dims[2] || dims[0] > MAX_DIM || dims[1] > MAX_DIM || dims[2] > MAX_DIM)
        return fail(err, err_size, out, "shape %s: every dimension must be 1..65536%s", shape, NULL);
    uint64_t count = dims[0] * dims[1];
    if (count > MAX_VALUES || count * dims[2] > MAX_VALUES || count * dims[2] * dims[3] > MAX_VALUES)
        return fail(err, err_size, out, "shape %s: more than 2^28 values%s", shape, NULL);
    count *= dims[2] * dims[3];
    size_t data = size - hstart - hlen;
    if (data != count * item) {
        char what[96];
        snprintf(what, sizeof what, "%zu data bytes, the shape needs %llu", data, (unsigned long long)(count * item));
        return fail(err, err_size, out, data < count * item ? "truncated: %s%s" : "trailing bytes: %s%s", what, NULL);
    }
    out->p = malloc((size_t)count * sizeof *out->p);
    if (!out->p) {
        memset(out, 0, sizeof *out);
        if (err && err_size)
            snprintf(err, err_size, "out of memory (%llu values)", (unsigned long long)count);
        return SB_ENOMEM;
    }
    const unsigned char *src = bytes + hstart + hlen;
    for (size_t i = 0; i < count; i++) {
        if (item == 4) {
            uint32_t u = (uint32_t)src[4 * i] | (uint32_t)src[4 * i + 1] << 8 | (uint32_t)src[4 * i + 2] << 16 |
                         (uint32_t)src[4 * i + 3] << 24;
            float f;
            memcpy(&f, &u, 4);
            out->p[i] = f;
        } else {
            uint64_t u = 0;
            for (int k = 7; k >= 0; k--)
                u = u << 8 | src[8 * i + (size_t)k];
            memcpy(&out->p[i], &u, 8);
        }
    }
    out->layers = (size_t)dims[0];
    out->heads = (size_t)dims[1];
    out->tokens = (size_t)dims[2];
    out->was_float32 = item == 4;
    size_t T = out->tokens;
    for (size_t m = 0; m < out->layers * out->heads; m++)
        for (size_t t = 0; t < T; t++) {
            const double *row = out->p + (m * T + t) * T;
            double sum = 0.0;
            for (size_t j = 0; j < T; j++) {
                double v = row[j];
                char where[160], val[48];
                snprintf(where, sizeof where, "[%zu, %zu, %zu, %zu]", m / out->heads, m % out->heads, t, j);
                snprintf(val, sizeof val, "%.9g", v);
                if (!isfinite(v))
                    return fail(err, err_size, out, "entry %s is %s: probabilities must be finite", where, val);
                if (v < 0.0 || v > 1.0 + 1e-6)
                    return fail(err, err_size, out, "entry %s = %s is outside [0, 1]", where, val);
                if (j > t && v != 0.0)
                    return fail(err, err_size, out, "entry %s = %s lies above the diagonal: not a causal map", where,
                                val);
                sum += v;
            }
            if (sum > 1.0 + 1e-3) {
                char where[96], val[48];
                snprintf(where, sizeof where, "[%zu, %zu, %zu]", m / out->heads, m % out->heads, t);
                snprintf(val, sizeof val, "%.9g", sum);
                return fail(err, err_size, out, "row %s sums to %s > 1", where, val);
            }
        }
    return SB_OK;
}

sb_status sb_emerge_npy_load_attention(const char *path, sb_emerge_attn_maps *out, char *err, size_t err_size)
{
    if (!out)
        return SB_EINVAL;
    memset(out, 0, sizeof *out);
    unsigned char *bytes;
    size_t size;
    if (!path || !sb_read_file(path, &bytes, &size, (size_t)1 << 32)) {
        if (err && err_size)
            snprintf(err, err_size, "cannot read %s", path ? path : "(null)");
        return SB_EINVAL;
    }
    sb_status st = sb_emerge_npy_read_attention(bytes, size, out, err, err_size);
    free(bytes);
    return st;
}

void sb_emerge_attn_maps_free(sb_emerge_attn_maps *m)
{
    if (!m)
        return;
    free(m->p);
    memset(m, 0, sizeof *m);
}

/* ---- metrics from maps ---------------------------------------------------------------------------- */

sb_status sb_emerge_map_metrics_compute(const sb_emerge_attn_maps *m, size_t window, sb_emerge_map_metrics *out)
{
    if (!out)
        return SB_EINVAL;
    memset(out, 0, sizeof *out);
    if (!m || !m->p || !m->layers || !m->heads || m->tokens < 2 || window < 2 || window > m->tokens)
        return SB_EINVAL;
    size_t L = m->layers, H = m->heads, T = m->tokens;
    double *first = malloc(L * H * T * sizeof *first), *row = malloc(T * sizeof *row), *next = malloc(T * sizeof *next);
    out->alpha[0] = malloc(L * H * sizeof(double));
    out->alpha[1] = malloc(L * H * sizeof(double));
    out->path_last = malloc(T * sizeof(double));
    if (!first || !row || !next || !out->alpha[0] || !out->alpha[1] || !out->path_last) {
        free(first);
        free(row);
        free(next);
        sb_emerge_map_metrics_free(out);
        return SB_ENOMEM;
    }
    for (size_t lh = 0; lh < L * H; lh++)
        for (size_t t = 0; t < T; t++)
            first[lh * T + t] = m->p[(lh * T + t) * T];
    out->window = window;
    sb_status st = SB_OK;
    for (int row0 = 0; row0 <= 1 && st == SB_OK; row0++) {
        st = sb_stack_sink_alpha(first, L, H, T, window, row0, out->alpha[row0]);
        out->sink_rate[row0][0] = sb_stack_sink_rate(out->alpha[row0], L * H, 0.3);
        out->sink_rate[row0][1] = sb_stack_sink_rate(out->alpha[row0], L * H, 0.8);
    }
    /* r = e_{T-1}^T prod over layers, last layer first, of (mean_h A_l + I) / 2 */
    for (size_t j = 0; j < T; j++)
        row[j] = j == T - 1;
    for (size_t l = L; l-- > 0;) {
        for (size_t j = 0; j < T; j++)
            next[j] = 0.5 * row[j];
        for (size_t t = 0; t < T; t++) {
            if (row[t] == 0.0)
                continue;
            for (size_t h = 0; h < H; h++) {
                const double *a = m->p + ((l * H + h) * T + t) * T;
                for (size_t j = 0; j <= t; j++)
                    next[j] += 0.5 * row[t] * a[j] / (double)H;
            }
        }
        memcpy(row, next, T * sizeof *row);
    }
    double s = 0.0;
    for (size_t j = 0; j < T; j++)
        s += row[j];
    memcpy(out->path_last, row, T * sizeof *row);
    out->path_first_share = s > 0 ? row[0] / s : 0.0;
    free(first);
    free(row);
    free(next);
    if (st != SB_OK)
        sb_emerge_map_metrics_free(out);
    return st;
}

void sb_emerge_map_metrics_free(sb_emerge_map_metrics *mm)
{
    if (!mm)
        return;
    free(mm->alpha[0]);
    free(mm->alpha[1]);
    free(mm->path_last);
    memset(mm, 0, sizeof *mm);
}
