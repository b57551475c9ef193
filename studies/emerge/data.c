/* Training data that needs no network (docs/emerge.md "Data"):
 *  - Bigram-Backcopy (Guo et al. 2024, "Active-dormant attention heads"): a bigram (Markov) chain over
 *    64 symbols, except that after one of 3 trigger symbols the next token copies the token before the
 *    trigger. Generated on the fly from seeds.
 *  - natural text: the fortune cookie files of Debian's fortunes packages, split by document.
 * Every sequence is a pure function of (task, template, T, split, seed, index): batches do not depend
 * on the order in which they are drawn, the thread count, or a resume. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emerge_model.h"

/* The first token of the Qwen-style template: an ordinary token that also occurs inside sequences. */
#define TEXT_FIRST_BYTE '\n'
#define BB_FIRST_SYMBOL SB_EMERGE_BB_TRIGGERS /* the most frequent non-trigger symbol */

static const char alphabet[SB_EMERGE_BB_SYMBOLS + 1] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

sb_status sb_emerge_data_bb(sb_emerge_data *d, uint64_t task_seed)
{
    if (!d)
        return SB_EINVAL;
    memset(d, 0, sizeof *d);
    d->kind = SB_EMERGE_DATA_BB;
    d->task_seed = task_seed;
    enum { S = SB_EMERGE_BB_SYMBOLS };
    /* Rows of log-normal weights (sigma 2): a few likely successors per symbol, a long tail of others. */
    static double w[S][S];
    sb_emerge_rng r = {sb_emerge_hash(task_seed, 0xb1, 0x9a)};
    for (size_t i = 0; i < S; i++) {
        double s = 0.0;
        for (size_t j = 0; j < S; j++)
            s += w[i][j] = exp(2.0 * sb_emerge_rng_normal(&r));
        for (size_t j = 0; j < S; j++)
            w[i][j] /= s;
    }
    /* Stationary distribution by power iteration; Guo et al. take the most frequent tokens as triggers,
     * so symbols are renumbered by frequency and the first SB_EMERGE_BB_TRIGGERS are the triggers. */
    double pi[S], next[S];
    for (size_t i = 0; i < S; i++)
        pi[i] = 1.0 / S;
    for (int it = 0; it < 500; it++) {
        memset(next, 0, sizeof next);
        for (size_t i = 0; i < S; i++)
            for (size_t j = 0; j < S; j++)
                next[j] += pi[i] * w[i][j];
        memcpy(pi, next, sizeof pi);
    }
    size_t order[S];
    for (size_t i = 0; i < S; i++)
        order[i] = i;
    for (size_t i = 1; i < S; i++) /* insertion sort by frequency, descending; ties by index */
        for (size_t j = i; j > 0 && pi[order[j]] > pi[order[j - 1]]; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (size_t i = 0; i < 256; i++)
        d->symbol_of[i] = -1;
    double H = 0.0;
    for (size_t a = 0; a < S; a++) {
        d->byte_of[a] = (unsigned char)alphabet[a];
        d->symbol_of[(unsigned char)alphabet[a]] = (int)a;
        double c = 0.0, h = 0.0;
        for (size_t b = 0; b < S; b++) {
            double p = w[order[a]][order[b]];
            c += p;
            d->cdf[a][b] = c;
            h -= p > 0 ? p * log2(p) : 0.0;
        }
        d->cdf[a][S - 1] = 1.0;
        H += pi[order[a]] * h;
    }
    d->bigram_entropy = H;
    snprintf(d->source, sizeof d->source, "Bigram-Backcopy, 64 symbols, 3 triggers, task seed %llu",
             (unsigned long long)task_seed);
    return SB_OK;
}

static size_t draw(const double *cdf, double u)
{
    size_t lo = 0, hi = SB_EMERGE_BB_SYMBOLS - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (u < cdf[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* ---- text ----------------------------------------------------------------------------------------- */

typedef struct buf {
    unsigned char *p;
    size_t n, cap;
} buf;

static int append(buf *b, const void *s, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->n + n)
            cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q)
            return 0;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    return 1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

sb_status sb_emerge_data_text(sb_emerge_data *d, const char *dir, char *err, size_t err_size)
{
    if (!d)
        return SB_EINVAL;
    memset(d, 0, sizeof *d);
    d->kind = SB_EMERGE_DATA_TEXT;
    if (!dir)
        dir = "/usr/share/games/fortunes";
    DIR *dp = opendir(dir);
    if (!dp) {
        snprintf(err, err_size, "cannot open %s (install the Debian package 'fortunes')", dir);
        return SB_EUNSUPPORTED;
    }
    /* A fortune file is a regular file `name` beside its index `name.dat`; names with a dot (the
     * indexes, the .u8 links) are not text files. Sorted, so the corpus does not depend on readdir. */
    char *names[512];
    size_t nn = 0;
    struct dirent *de;
    while ((de = readdir(dp)) && nn < 512)
        if (de->d_name[0] != '.' && !strchr(de->d_name, '.'))
            names[nn++] = strdup(de->d_name);
    closedir(dp);
    qsort(names, nn, sizeof *names, cmp_str);
    buf split[2] = {{NULL, 0, 0}, {NULL, 0, 0}};
    size_t doc = 0;
    int ok = 1;
    for (size_t i = 0; i < nn && ok; i++) {
        char path[4096], dat[4200];
        snprintf(path, sizeof path, "%s/%s", dir, names[i] ? names[i] : "");
        snprintf(dat, sizeof dat, "%s.dat", path);
        struct stat st;
        if (!names[i] || stat(dat, &st) != 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        d->files++;
        char line[8192];
        buf cur = {NULL, 0, 0};
        for (;;) {
            char *got = fgets(line, sizeof line, f);
            if (!got || strcmp(line, "%\n") == 0 || strcmp(line, "%") == 0) {
                if (cur.n) { /* a document ends: "%\n" kept between documents, as in the files */
                    int v = sb_emerge_mix(doc * 0x10001u + 77) % 10 == 0;
                    ok = ok && append(&split[v], cur.p, cur.n) && append(&split[v], "%\n", 2);
                    d->docs[v]++;
                    doc++;
                    cur.n = 0;
                }
                if (!got)
                    break;
                continue;
            }
            ok = ok && append(&cur, line, strlen(line));
        }
        free(cur.p);
        fclose(f);
    }
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    if (!ok) {
        free(split[0].p);
        free(split[1].p);
        return SB_ENOMEM;
    }
    if (split[0].n < 2 * SB_EMERGE_MAX_CONTEXT || split[1].n < 2 * SB_EMERGE_MAX_CONTEXT) {
        free(split[0].p);
        free(split[1].p);
        snprintf(err, err_size, "%s has too little fortune text (%zu files; install the Debian package 'fortunes')",
                 dir, d->files);
        return SB_EUNSUPPORTED;
    }
    for (int v = 0; v < 2; v++) {
        d->text[v] = split[v].p;
        d->text_len[v] = split[v].n;
    }
    snprintf(d->source, sizeof d->source, "%zu fortune files in %.150s: %zu + %zu documents, %zu + %zu bytes", d->files,
             dir, d->docs[0], d->docs[1], d->text_len[0], d->text_len[1]);
    return SB_OK;
}

void sb_emerge_data_free(sb_emerge_data *d)
{
    if (!d)
        return;
    free(d->text[0]);
    free(d->text[1]);
    memset(d, 0, sizeof *d);
}

/* ---- sequences ------------------------------------------------------------------------------------ */

static int uses_bos(sb_emerge_sink s) { return s == SB_EMERGE_SINK_BOS; }

void sb_emerge_data_sequence(const sb_emerge_data *d, sb_emerge_sink sink, size_t T, int split, uint64_t seed,
                             uint64_t index, uint32_t *ids, int32_t *targets, unsigned char *trigger)
{
    sb_emerge_rng r = {sb_emerge_hash(seed, index, 0x5e9u + (uint64_t)(split != 0))};
    size_t start = 0;
    if (uses_bos(sink))
        ids[start++] = SB_EMERGE_BOS;
    if (d->kind == SB_EMERGE_DATA_BB) {
        int sym[SB_EMERGE_MAX_CONTEXT];
        for (size_t t = 0; t < T; t++)
            sym[t] = -1;
        for (size_t t = start; t < T; t++) {
            int s;
            if (t == start) /* the first content token: fixed (Qwen template) or a random start state */
                s = sink == SB_EMERGE_SINK_FIRST ? BB_FIRST_SYMBOL
                                                 : (int)(sb_emerge_rng_next(&r) % SB_EMERGE_BB_SYMBOLS);
            else if (sym[t - 1] < (int)SB_EMERGE_BB_TRIGGERS && t >= start + 2)
                s = sym[t - 2]; /* after a trigger: copy the token before the trigger */
            else
                s = (int)draw(d->cdf[sym[t - 1]], sb_emerge_rng_uniform(&r));
            sym[t] = s;
            ids[t] = d->byte_of[s];
        }
        if (trigger)
            for (size_t t = 0; t < T; t++) /* the prediction at t is a copy */
                trigger[t] = t + 1 < T && t >= start + 1 && sym[t] >= 0 && sym[t] < (int)SB_EMERGE_BB_TRIGGERS;
    } else {
        int v = split != 0;
        size_t n = T - start - (sink == SB_EMERGE_SINK_FIRST);
        size_t off = (size_t)(sb_emerge_rng_next(&r) % (d->text_len[v] - n));
        if (sink == SB_EMERGE_SINK_FIRST)
            ids[start++] = TEXT_FIRST_BYTE;
        for (size_t t = 0; t < n; t++)
            ids[start + t] = d->text[v][off + t];
        if (trigger)
            memset(trigger, 0, T);
    }
    for (size_t t = 0; t < T; t++)
        targets[t] = t + 1 < T ? (int32_t)ids[t + 1] : -1;
}
