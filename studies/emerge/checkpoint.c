/* Checkpoints (docs/emerge.md "Checkpoint format"): everything a run needs to continue bit for bit —
 * configuration, training options, step, weights, AdamW moments, the measurement log — in one small
 * little-endian file with a magic, a version and an FNV-1a checksum of the payload. A file that is
 * truncated, foreign, of another version, corrupted or inconsistent is refused with a reason. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emerge_io.h"
#include "emerge_train.h"

#define MAGIC "SBEMERGE"
#define VERSION 1u
#define HEADER 32u

/* ---- little-endian writer / reader ------------------------------------------------------------------ */

typedef struct wbuf {
    unsigned char *p;
    size_t n, cap;
    int failed;
} wbuf;

static void put(wbuf *w, const void *src, size_t n)
{
    if (w->failed)
        return;
    if (w->n + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->n + n)
            cap *= 2;
        unsigned char *q = realloc(w->p, cap);
        if (!q) {
            w->failed = 1;
            return;
        }
        w->p = q;
        w->cap = cap;
    }
    memcpy(w->p + w->n, src, n);
    w->n += n;
}

static void put_u64(wbuf *w, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, 8);
}

static void put_u32(wbuf *w, uint32_t v)
{
    unsigned char b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, 4);
}

static void put_f64(wbuf *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    put_u64(w, u);
}

static void put_f32s(wbuf *w, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        put_u32(w, u);
    }
}

typedef struct rbuf {
    const unsigned char *p;
    size_t n, at;
    int short_read;
} rbuf;

static int get(rbuf *r, void *dst, size_t n)
{
    if (r->short_read || r->n - r->at < n) {
        r->short_read = 1;
        memset(dst, 0, n);
        return 0;
    }
    memcpy(dst, r->p + r->at, n);
    r->at += n;
    return 1;
}

static uint64_t get_u64(rbuf *r)
{
    unsigned char b[8];
    get(r, b, 8);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

static uint32_t get_u32(rbuf *r)
{
    unsigned char b[4];
    get(r, b, 4);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static double get_f64(rbuf *r)
{
    uint64_t u = get_u64(r);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

static void get_f32s(rbuf *r, float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u = get_u32(r);
        memcpy(&v[i], &u, 4);
    }
}

uint64_t sb_emerge_fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* ---- the payload ---------------------------------------------------------------------------------- */

static void put_options(wbuf *w, const sb_emerge_train_options *o)
{
    put_u64(w, o->seed);
    put_u64(w, o->steps);
    put_u64(w, o->tokens_per_step);
    put_u64(w, o->chunks);
    put_u64(w, o->threads);
    put_u64(w, o->warmup);
    put_u64(w, o->eval_every);
    put_u64(w, o->eval_sequences);
    put_u32(w, (uint32_t)o->matmul);
    put_f64(w, o->lr);
    put_f64(w, o->final_lr_ratio);
    put_f64(w, o->weight_decay);
    put_f64(w, o->beta1);
    put_f64(w, o->beta2);
    put_f64(w, o->adam_eps);
    put_f64(w, o->clip);
}

static void get_options(rbuf *r, sb_emerge_train_options *o)
{
    memset(o, 0, sizeof *o);
    o->seed = get_u64(r);
    o->steps = (size_t)get_u64(r);
    o->tokens_per_step = (size_t)get_u64(r);
    o->chunks = (size_t)get_u64(r);
    o->threads = (size_t)get_u64(r);
    o->warmup = (size_t)get_u64(r);
    o->eval_every = (size_t)get_u64(r);
    o->eval_sequences = (size_t)get_u64(r);
    o->matmul = (sb_emerge_matmul)get_u32(r);
    o->lr = get_f64(r);
    o->final_lr_ratio = get_f64(r);
    o->weight_decay = get_f64(r);
    o->beta1 = get_f64(r);
    o->beta2 = get_f64(r);
    o->adam_eps = get_f64(r);
    o->clip = get_f64(r);
}

/* Everything that changes the numbers; the thread count does not (fixed chunks). */
static int same_options(const sb_emerge_train_options *a, const sb_emerge_train_options *b)
{
    return a->seed == b->seed && a->steps == b->steps && a->tokens_per_step == b->tokens_per_step &&
           a->chunks == b->chunks && a->warmup == b->warmup && a->eval_every == b->eval_every &&
           a->eval_sequences == b->eval_sequences && a->matmul == b->matmul && a->lr == b->lr &&
           a->final_lr_ratio == b->final_lr_ratio && a->weight_decay == b->weight_decay && a->beta1 == b->beta1 &&
           a->beta2 == b->beta2 && a->adam_eps == b->adam_eps && a->clip == b->clip;
}

static int same_config(const sb_emerge_config *a, const sb_emerge_config *b)
{
    return a->layers == b->layers && a->heads == b->heads && a->width == b->width && a->hidden == b->hidden &&
           a->context == b->context && a->sink == b->sink && a->rope_base == b->rope_base;
}

sb_status sb_emerge_checkpoint_save(const sb_emerge_trainer *t, const char *path, char *err, size_t err_size)
{
    if (!t || !path) {
        snprintf(err, err_size, "no trainer or path");
        return SB_EINVAL;
    }
    const sb_emerge_config *c = &t->m->config;
    size_t np = t->m->n_params, LH = c->layers * c->heads;
    wbuf w = {NULL, 0, 0, 0};
    put_u32(&w, (uint32_t)c->layers);
    put_u32(&w, (uint32_t)c->heads);
    put_u32(&w, (uint32_t)c->width);
    put_u32(&w, (uint32_t)c->hidden);
    put_u32(&w, (uint32_t)c->context);
    put_u32(&w, (uint32_t)c->sink);
    put_f64(&w, c->rope_base);
    put_options(&w, &t->o);
    put_u64(&w, t->step);
    put_f64(&w, t->loss_accum);
    put_u64(&w, t->loss_steps);
    put_f64(&w, t->last_grad_norm);
    put_f64(&w, t->last_lr);
    put_f64(&w, t->seconds);
    put_f64(&w, t->tokens);
    put_u64(&w, np);
    put_f32s(&w, t->m->params, np);
    put_f32s(&w, t->mom, np);
    put_f32s(&w, t->vel, np);
    put_u64(&w, t->n_log);
    for (size_t i = 0; i < t->n_log; i++) {
        const sb_emerge_record *r = &t->log[i];
        put_u64(&w, r->step);
        const double v[15] = {r->train_loss,      r->val_loss,          r->val_copy_loss,    r->val_bigram_loss,
                              r->sink_rate[0][0], r->sink_rate[0][1],   r->sink_rate[1][0],  r->sink_rate[1][1],
                              r->first_mass,      r->logit_sink_mass,   r->gate_closure,     r->first_norm_ratio,
                              r->first_value_ratio, r->grad_norm,       r->lr};
        for (int k = 0; k < 15; k++)
            put_f64(&w, v[k]);
        put_f32s(&w, r->alpha, LH);
    }
    if (w.failed) {
        free(w.p);
        snprintf(err, err_size, "out of memory");
        return SB_ENOMEM;
    }
    unsigned char head[HEADER];
    memcpy(head, MAGIC, 8);
    wbuf h = {NULL, 0, 0, 0};
    put_u32(&h, VERSION);
    put_u32(&h, 0);
    put_u64(&h, w.n);
    put_u64(&h, sb_emerge_fnv1a(w.p, w.n));
    if (h.failed) {
        free(w.p);
        snprintf(err, err_size, "out of memory");
        return SB_ENOMEM;
    }
    memcpy(head + 8, h.p, 24);
    free(h.p);
    sb_status st = sb_atomic_write_bytes(path, head, HEADER, w.p, w.n, err, err_size) ? SB_OK : SB_EINVAL;
    free(w.p);
    return st;
}

static sb_status refuse(char *err, size_t err_size, const char *path, const char *fmt, const char *detail)
{
    char what[300];
    snprintf(what, sizeof what, fmt, detail ? detail : "");
    snprintf(err, err_size, "%s: %s", path, what);
    return SB_EINVAL;
}

sb_status sb_emerge_checkpoint_load(const char *path, const sb_emerge_data *d, const sb_emerge_config *want_config,
                                    const sb_emerge_train_options *want_options, sb_emerge_model *m,
                                    sb_emerge_trainer **out, char *err, size_t err_size)
{
    if (out)
        *out = NULL;
    if (!path || !d || !m || !out) {
        snprintf(err, err_size, "missing argument");
        return SB_EINVAL;
    }
    memset(m, 0, sizeof *m);
    unsigned char *file = NULL;
    size_t size = 0;
    if (!sb_read_file(path, &file, &size, (size_t)1 << 31)) {
        snprintf(err, err_size, "%s: cannot read: %s", path, strerror(errno));
        return SB_EINVAL;
    }
    sb_status st = SB_EINVAL;
    char num[96];
    if (size < 8 || memcmp(file, MAGIC, 8) != 0) {
        st = refuse(err, err_size, path, "not an emerge checkpoint (no SBEMERGE magic)%s", NULL);
        goto done;
    }
    if (size < HEADER) {
        snprintf(num, sizeof num, "%zu of %u header bytes", size, HEADER);
        st = refuse(err, err_size, path, "truncated: %s", num);
        goto done;
    }
    rbuf hr = {file + 8, 24, 0, 0};
    uint32_t version = get_u32(&hr), flags = get_u32(&hr);
    uint64_t payload = get_u64(&hr), sum = get_u64(&hr);
    if (version != VERSION) {
        snprintf(num, sizeof num, "%u (this program reads %u)", version, VERSION);
        st = refuse(err, err_size, path, "checkpoint version %s", num);
        goto done;
    }
    if (flags != 0) {
        st = refuse(err, err_size, path, "unknown flags in the header%s", NULL);
        goto done;
    }
    if (payload != size - HEADER) {
        snprintf(num, sizeof num, "%zu payload bytes, the header says %llu", size - HEADER, (unsigned long long)payload);
        st = refuse(err, err_size, path, payload > size - HEADER ? "truncated: %s" : "trailing bytes: %s", num);
        goto done;
    }
    if (sb_emerge_fnv1a(file + HEADER, (size_t)payload) != sum) {
        st = refuse(err, err_size, path, "checksum mismatch: the file is corrupted%s", NULL);
        goto done;
    }
    rbuf r = {file + HEADER, (size_t)payload, 0, 0};
    sb_emerge_config c;
    c.layers = get_u32(&r);
    c.heads = get_u32(&r);
    c.width = get_u32(&r);
    c.hidden = get_u32(&r);
    c.context = get_u32(&r);
    c.sink = (sb_emerge_sink)get_u32(&r);
    c.rope_base = get_f64(&r);
    const char *why = sb_emerge_config_problem(&c);
    if (why) {
        st = refuse(err, err_size, path, "invalid model configuration: %s", why);
        goto done;
    }
    if (want_config && !same_config(&c, want_config)) {
        st = refuse(err, err_size, path, "written for another model configuration%s", NULL);
        goto done;
    }
    sb_emerge_train_options o;
    get_options(&r, &o);
    why = sb_emerge_train_options_problem(&o, &c);
    if (why) {
        st = refuse(err, err_size, path, "invalid training options: %s", why);
        goto done;
    }
    if (want_options && !same_options(&o, want_options)) {
        st = refuse(err, err_size, path, "written with other training options (seed, steps, rates, ...)%s", NULL);
        goto done;
    }
    if (want_options)
        o.threads = want_options->threads; /* the thread count does not change the results */
    uint64_t step = get_u64(&r);
    double loss_accum = get_f64(&r);
    uint64_t loss_steps = get_u64(&r);
    double gn = get_f64(&r), lr = get_f64(&r), secs = get_f64(&r), toks = get_f64(&r);
    uint64_t np = get_u64(&r);
    if (np != sb_emerge_param_count(&c) || step > o.steps) {
        st = refuse(err, err_size, path, "inconsistent contents (parameter count or step)%s", NULL);
        goto done;
    }
    if (r.n - r.at < np * 12) {
        st = refuse(err, err_size, path, "inconsistent contents (too short for its parameters)%s", NULL);
        goto done;
    }
    st = sb_emerge_model_init(m, &c, 0);
    if (st != SB_OK) {
        snprintf(err, err_size, "%s: out of memory", path);
        goto done;
    }
    get_f32s(&r, m->params, np);
    sb_emerge_trainer *t = NULL;
    st = sb_emerge_trainer_create(m, d, &o, &t);
    if (st != SB_OK) {
        snprintf(err, err_size, "%s: cannot set up the trainer: %s", path, sb_status_str(st));
        sb_emerge_model_free(m);
        goto done;
    }
    get_f32s(&r, t->mom, np);
    get_f32s(&r, t->vel, np);
    t->step = (size_t)step;
    t->loss_accum = loss_accum;
    t->loss_steps = (size_t)loss_steps;
    t->last_grad_norm = gn;
    t->last_lr = lr;
    t->seconds = secs;
    t->tokens = toks;
    uint64_t nlog = get_u64(&r);
    size_t LH = c.layers * c.heads;
    if (nlog > (r.n - r.at) / (8 + 15 * 8 + 4 * LH)) {
        st = refuse(err, err_size, path, "inconsistent contents (log longer than the file)%s", NULL);
        sb_emerge_trainer_destroy(t);
        sb_emerge_model_free(m);
        goto done;
    }
    for (uint64_t i = 0; i < nlog; i++) {
        sb_emerge_record rec;
        memset(&rec, 0, sizeof rec);
        rec.step = (size_t)get_u64(&r);
        double v[15];
        for (int k = 0; k < 15; k++)
            v[k] = get_f64(&r);
        rec.train_loss = v[0];
        rec.val_loss = v[1];
        rec.val_copy_loss = v[2];
        rec.val_bigram_loss = v[3];
        rec.sink_rate[0][0] = v[4];
        rec.sink_rate[0][1] = v[5];
        rec.sink_rate[1][0] = v[6];
        rec.sink_rate[1][1] = v[7];
        rec.first_mass = v[8];
        rec.logit_sink_mass = v[9];
        rec.gate_closure = v[10];
        rec.first_norm_ratio = v[11];
        rec.first_value_ratio = v[12];
        rec.grad_norm = v[13];
        rec.lr = v[14];
        get_f32s(&r, rec.alpha, LH);
        if (sb_emerge_trainer_append(t, &rec) != SB_OK) {
            st = SB_ENOMEM;
            snprintf(err, err_size, "%s: out of memory", path);
            sb_emerge_trainer_destroy(t);
            sb_emerge_model_free(m);
            goto done;
        }
    }
    if (r.short_read || r.at != r.n) {
        st = refuse(err, err_size, path, "inconsistent contents (length does not match the fields)%s", NULL);
        sb_emerge_trainer_destroy(t);
        sb_emerge_model_free(m);
        goto done;
    }
    *out = t;
    st = SB_OK;
done:
    free(file);
    return st;
}
