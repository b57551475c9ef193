#include "io/outputs_file.h"

#include <stdlib.h>
#include <string.h>

#include "check/rng.h"
#include "check/rowgen.h"
#include "sinkbench/softmax.h"

static const char MAGIC[8] = {'S', 'B', 'O', 'U', 'T', 'S', '0', '1'};

/* The fixed rows: short and medium lengths (every tail path of every ISA), sink places and gaps that
 * cover the subnormal and flush thresholds. About 4 K floats in all. */
static const uint32_t lengths[] = {1, 3, 8, 17, 31, 64, 100, 257, 1000};
static const double gaps[] = {0, 10, 20, 88, 100};
#define NROWS (sizeof lengths / sizeof lengths[0] * 2)

static void row_spec(size_t i, sb_row_spec *s)
{
    memset(s, 0, sizeof *s);
    s->n = lengths[i / 2];
    s->gap = gaps[(i * 3 + i / 5) % (sizeof gaps / sizeof gaps[0])];
    s->place = (sb_sink_place)(1 + i % 5); /* first, middle, last, learned, softmax1 */
    s->tail = (sb_tail)(i % SB_TAIL_COUNT);
}

int sb_outputs_collect(sb_outputs *o, uint64_t seed, int include_emulated)
{
    memset(o, 0, sizeof *o);
    o->seed = seed;
    o->rows = NROWS;
    o->row_n = calloc(NROWS, sizeof *o->row_n);
    size_t total = 0;
    for (size_t i = 0; i < NROWS; i++) {
        sb_row_spec s;
        row_spec(i, &s);
        o->row_n[i] = (uint32_t)s.n;
        total += s.n;
    }
    o->total_floats = (uint32_t)total;
    size_t nk = sb_softmax_kernel_count();
    o->k = calloc(nk, sizeof *o->k);
    float *x = malloc(total * sizeof *x);
    sb_softmax_params *p = malloc(NROWS * sizeof *p);
    if (!o->row_n || !o->k || !x || !p) {
        free(x);
        free(p);
        sb_outputs_free(o);
        return 0;
    }
    for (size_t i = 0, off = 0; i < NROWS; off += o->row_n[i], i++) {
        sb_row_spec s;
        row_spec(i, &s);
        uint64_t mix = seed + 0x9e3779b97f4a7c15ull * (i + 1);
        sb_row_generate(&s, sb_splitmix64(&mix), x + off, &p[i]);
    }
    for (size_t k = 0; k < nk; k++) {
        const sb_softmax_kernel *kk = sb_softmax_kernel_at(k);
        if (!kk->supported() || kk->ulp_bound < 0 || (!include_emulated && (kk->flags & SB_KERNEL_EMULATED)))
            continue;
        sb_outputs_kernel *ok = &o->k[o->kernels];
        snprintf(ok->name, sizeof ok->name, "%s", kk->name);
        snprintf(ok->isa, sizeof ok->isa, "%s", kk->isa);
        snprintf(ok->algorithm, sizeof ok->algorithm, "%s", kk->algorithm);
        ok->y = malloc(total * sizeof(float));
        if (!ok->y)
            break;
        o->kernels++;
        for (size_t i = 0, off = 0; i < NROWS; off += o->row_n[i], i++)
            if (kk->fn(x + off, ok->y + off, o->row_n[i], &p[i]) != SB_OK)
                memset(ok->y + off, 0xff, o->row_n[i] * sizeof(float)); /* NaN marks a refused row */
    }
    free(x);
    free(p);
    return 1;
}

static int put32(FILE *f, uint32_t v) { return fwrite(&v, 4, 1, f) == 1; }

int sb_outputs_write(FILE *f, const sb_outputs *o)
{
    int ok = fwrite(MAGIC, 8, 1, f) == 1 && put32(f, 1) && put32(f, o->rows) && put32(f, o->kernels) &&
             put32(f, o->total_floats) && fwrite(&o->seed, 8, 1, f) == 1;
    ok = ok && fwrite(o->row_n, 4, o->rows, f) == o->rows;
    for (uint32_t k = 0; ok && k < o->kernels; k++) {
        ok = fwrite(o->k[k].name, 64, 1, f) == 1 && fwrite(o->k[k].isa, 16, 1, f) == 1 &&
             fwrite(o->k[k].algorithm, 16, 1, f) == 1 &&
             fwrite(o->k[k].y, sizeof(float), o->total_floats, f) == o->total_floats;
    }
    return ok;
}

static int fail(char *err, size_t size, const char *path, const char *why)
{
    if (err && size)
        snprintf(err, size, "%s: %s", path, why);
    return 0;
}

int sb_outputs_read(const char *path, sb_outputs *o, char *err, size_t err_size)
{
    memset(o, 0, sizeof *o);
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, err_size, path, "cannot open");
    char magic[8];
    uint32_t version = 0;
    int ok = fread(magic, 8, 1, f) == 1 && memcmp(magic, MAGIC, 8) == 0 && fread(&version, 4, 1, f) == 1 &&
             version == 1 && fread(&o->rows, 4, 1, f) == 1 && fread(&o->kernels, 4, 1, f) == 1 &&
             fread(&o->total_floats, 4, 1, f) == 1 && fread(&o->seed, 8, 1, f) == 1;
    if (!ok || o->rows > 1u << 20 || o->kernels > 4096 || o->total_floats > 1u << 26) {
        fclose(f);
        memset(o, 0, sizeof *o);
        return fail(err, err_size, path, "not a sinkbench outputs file (version 1)");
    }
    /* The header must describe exactly this file: nothing is allocated for data that is not there. */
    long here = ftell(f);
    uint64_t want = (uint64_t)here + 4ull * o->rows + (uint64_t)o->kernels * (96ull + 4ull * o->total_floats);
    if (here < 0 || fseek(f, 0, SEEK_END) != 0 || (uint64_t)ftell(f) != want || fseek(f, here, SEEK_SET) != 0) {
        fclose(f);
        memset(o, 0, sizeof *o);
        return fail(err, err_size, path, "truncated or inconsistent outputs file (size does not match its header)");
    }
    o->row_n = calloc(o->rows ? o->rows : 1, sizeof *o->row_n);
    o->k = calloc(o->kernels ? o->kernels : 1, sizeof *o->k);
    ok = o->row_n && o->k && fread(o->row_n, 4, o->rows, f) == o->rows;
    uint64_t sum = 0;
    for (uint32_t i = 0; ok && i < o->rows; i++)
        sum += o->row_n[i];
    ok = ok && sum == o->total_floats;
    uint32_t got = 0;
    for (; ok && got < o->kernels; got++) {
        sb_outputs_kernel *k = &o->k[got];
        k->y = malloc((size_t)o->total_floats * sizeof(float) + 1);
        ok = k->y && fread(k->name, 64, 1, f) == 1 && fread(k->isa, 16, 1, f) == 1 &&
             fread(k->algorithm, 16, 1, f) == 1 && fread(k->y, sizeof(float), o->total_floats, f) == o->total_floats;
        k->name[63] = k->isa[15] = k->algorithm[15] = 0;
    }
    fclose(f);
    if (!ok) {
        o->kernels = got;
        sb_outputs_free(o);
        return fail(err, err_size, path, "truncated or inconsistent outputs file");
    }
    return 1;
}

void sb_outputs_free(sb_outputs *o)
{
    for (uint32_t k = 0; o->k && k < o->kernels; k++)
        free(o->k[k].y);
    free(o->k);
    free(o->row_n);
    memset(o, 0, sizeof *o);
}

const sb_outputs_kernel *sb_outputs_find(const sb_outputs *o, const char *name)
{
    for (uint32_t k = 0; k < o->kernels; k++)
        if (strcmp(o->k[k].name, name) == 0)
            return &o->k[k];
    return NULL;
}
