/* The study behind `sinkbench emerge` (docs/emerge.md "The study"): a list of training runs (data x
 * sink variant x context length x depth x seed), each trained with checkpoints, measured during
 * training and probed on its trained weights; per-run JSON, aggregates over seeds with 95 %
 * intervals, emerge.json. Finished runs are read back and checkpointed runs resume, so a killed
 * `--full` continues where it stopped. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "emerge_io.h"
#include "emerge_probe.h"
#include "emerge_study.h"

void sb_emerge_study_options_default(sb_emerge_study_options *o, sb_emerge_level level)
{
    memset(o, 0, sizeof *o);
    o->level = level;
    o->seed = 20261129;
    o->task_seed = 20261129;
    o->width = 64;
    o->heads = 1;
    o->tokens_per_step = 1024;
    o->threads = 2;
    o->eval_every = 25;
    o->lr = 1e-2;
    o->matmul = sb_emerge_have_blas() ? SB_EMERGE_MATMUL_BLAS : SB_EMERGE_MATMUL_OWN;
    o->checkpoint_every = 100;
    o->progress = 1;
    o->n_depths = 1;
    o->depths[0] = 1;
    o->text_depth = 2;
    o->text_context = 128;
    if (level == SB_EMERGE_QUICK) {
        o->seeds = 1;
        o->steps = 800;
        o->n_contexts = 1;
        o->contexts[0] = 64;
        o->variants = 1u << SB_EMERGE_SINK_BOS | 1u << SB_EMERGE_SINK_NONE;
    } else {
        o->seeds = 3;
        o->steps = 1000;
        o->n_contexts = 4;
        o->contexts[0] = 32;
        o->contexts[1] = 64;
        o->contexts[2] = 128;
        o->contexts[3] = 256;
        o->variants = (1u << SB_EMERGE_SINK_COUNT) - 1;
        o->n_deep = 2;
        o->deep[0] = 2;
        o->deep[1] = 4;
        o->deep_variants = 1u << SB_EMERGE_SINK_BOS | 1u << SB_EMERGE_SINK_NONE;
        o->text = 1;
    }
}

const char *sb_emerge_study_options_problem(const sb_emerge_study_options *o)
{
    if (!o)
        return "no options";
    if (o->seeds < 1 || o->seeds > 100)
        return "--seeds must be 1..100";
    if (o->steps < 1 || o->steps > 1000000)
        return "--steps must be 1..1000000";
    if (o->tokens_per_step < 2 || o->tokens_per_step > ((size_t)1 << 22))
        return "--tokens-per-step must be 2..4194304";
    if (o->threads < 1 || o->threads > 64)
        return "--threads must be 1..64";
    if (o->eval_every < 1)
        return "--eval-every must be >= 1";
    if (!(o->lr > 0 && o->lr < 1))
        return "--lr must be in (0, 1)";
    if (o->n_contexts < 1 || o->n_contexts > SB_EMERGE_MAX_LIST || o->n_depths > SB_EMERGE_MAX_LIST ||
        o->n_deep > SB_EMERGE_MAX_LIST)
        return "at most 8 context lengths and 8 depths";
    if (!o->variants || o->variants >= 1u << SB_EMERGE_SINK_COUNT || o->deep_variants >= 1u << SB_EMERGE_SINK_COUNT)
        return "--variants names no known variant";
    if (o->n_depths < 1 && !o->n_deep)
        return "no depth to train at";
    sb_emerge_config c;
    sb_emerge_config_default(&c);
    c.width = o->width;
    c.heads = o->heads;
    c.hidden = 4 * o->width;
    for (size_t i = 0; i < o->n_contexts + 1; i++) {
        c.context = i < o->n_contexts ? o->contexts[i] : o->text_context;
        if (c.context < 4 || c.context > 1024)
            return "context lengths must be 4..1024";
        for (size_t k = 0; k < o->n_depths + o->n_deep + 1; k++) {
            c.layers = k < o->n_depths ? o->depths[k] : k < o->n_depths + o->n_deep ? o->deep[k - o->n_depths]
                                                                                      : o->text_depth;
            const char *why = sb_emerge_config_problem(&c);
            if (why)
                return why; /* width, heads or depth */
        }
    }
    if (o->matmul == SB_EMERGE_MATMUL_BLAS && !sb_emerge_have_blas())
        return "--matmul blas: this build has no OpenBLAS (install libopenblas-dev and reconfigure)";
    return NULL;
}

/* ---- small helpers ----------------------------------------------------------------------------------- */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static json_object *jd(double v) { return isfinite(v) ? json_object_new_double(v) : NULL; }

static json_object *jarr(const double *v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, jd(v[i]));
    return a;
}

static double num(json_object *o, const char *key)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v) || !v)
        return NAN;
    return json_object_get_double(v);
}

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (o)
        json_object_object_get_ex(o, key, &v);
    return v;
}

static double at_index(json_object *arr, size_t i)
{
    json_object *v = arr ? json_object_array_get_idx(arr, i) : NULL;
    return v ? json_object_get_double(v) : NAN;
}

static sb_status write_json(json_object *o, const char *path, char *err, size_t err_size)
{
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!s) {
        snprintf(err, err_size, "out of memory while writing %s", path);
        return SB_ENOMEM;
    }
    return sb_atomic_write_bytes(path, s, strlen(s), "\n", 1, err, err_size) ? SB_OK : SB_EINVAL;
}

static void duration(double s, char *buf, size_t size)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, size, "?");
    else if (s < 60)
        snprintf(buf, size, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

/* ---- the run list ------------------------------------------------------------------------------------ */

static sb_status add_run(sb_emerge_study *s, sb_emerge_data_kind data, sb_emerge_sink sink, size_t T, size_t L,
                         size_t k)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        sb_emerge_run *r = realloc(s->runs, cap * sizeof *r);
        if (!r)
            return SB_ENOMEM;
        s->runs = r;
        s->cap = cap;
    }
    sb_emerge_run *r = &s->runs[s->n++];
    memset(r, 0, sizeof *r);
    r->data = data;
    r->sink = sink;
    r->context = T;
    r->layers = L;
    r->seed_index = k;
    r->seed = s->o.seed + k;
    snprintf(r->id, sizeof r->id, "%s-%s-T%zu-L%zu-s%zu", data == SB_EMERGE_DATA_BB ? "bb" : "text",
             sb_emerge_sink_name(sink), T, L, k);
    return SB_OK;
}

static sb_status plan(sb_emerge_study *s)
{
    const sb_emerge_study_options *o = &s->o;
    sb_status st = SB_OK;
    /* main grid, then the depth sweep, then text: the cheap, central runs first */
    for (size_t di = 0; di < o->n_depths; di++)
        for (size_t ti = 0; ti < o->n_contexts; ti++)
            for (int v = 0; v < SB_EMERGE_SINK_COUNT; v++)
                if (o->variants >> v & 1)
                    for (size_t k = 0; k < o->seeds && st == SB_OK; k++)
                        st = add_run(s, SB_EMERGE_DATA_BB, (sb_emerge_sink)v, o->contexts[ti], o->depths[di], k);
    for (size_t di = 0; di < o->n_deep; di++)
        for (size_t ti = 0; ti < o->n_contexts; ti++)
            for (int v = 0; v < SB_EMERGE_SINK_COUNT; v++)
                if (o->deep_variants >> v & 1)
                    for (size_t k = 0; k < o->seeds && st == SB_OK; k++)
                        st = add_run(s, SB_EMERGE_DATA_BB, (sb_emerge_sink)v, o->contexts[ti], o->deep[di], k);
    if (o->text)
        for (int v = SB_EMERGE_SINK_NONE; v <= SB_EMERGE_SINK_BOS; v++)
            for (size_t k = 0; k < o->seeds && st == SB_OK; k++)
                st = add_run(s, SB_EMERGE_DATA_TEXT, (sb_emerge_sink)v, o->text_context, o->text_depth, k);
    return st;
}

static void run_config(const sb_emerge_study *s, const sb_emerge_run *r, sb_emerge_config *c,
                       sb_emerge_train_options *t)
{
    sb_emerge_config_default(c);
    c->layers = r->layers;
    c->heads = s->o.heads;
    c->width = s->o.width;
    c->hidden = 4 * s->o.width;
    c->context = r->context;
    c->sink = r->sink;
    sb_emerge_train_options_default(t);
    t->seed = r->seed;
    t->steps = s->o.steps;
    t->tokens_per_step = s->o.tokens_per_step;
    t->chunks = 2;
    t->threads = s->o.threads;
    t->warmup = s->o.steps / 10 ? s->o.steps / 10 : 1;
    t->lr = s->o.lr;
    t->eval_every = s->o.eval_every;
    t->matmul = s->o.matmul;
}

/* Everything that changes a run's numbers, as text: a finished run is reused only when it matches. */
static void settings_key(const sb_emerge_study *s, const sb_emerge_run *r, char *buf, size_t size)
{
    sb_emerge_config c;
    sb_emerge_train_options t;
    run_config(s, r, &c, &t);
    snprintf(buf, size,
             "v1 %s L%zu H%zu d%zu F%zu T%zu seed %llu task %llu steps %zu tok %zu chunks %zu warm %zu lr %.9g "
             "final %.9g wd %.9g b %.9g %.9g clip %.9g eval %zu/%zu matmul %d",
             r->id, c.layers, c.heads, c.width, c.hidden, c.context, (unsigned long long)t.seed,
             (unsigned long long)s->o.task_seed, t.steps, t.tokens_per_step, t.chunks, t.warmup, t.lr,
             t.final_lr_ratio, t.weight_decay, t.beta1, t.beta2, t.clip, t.eval_every, t.eval_sequences, (int)t.matmul);
}

/* ---- one run's JSON ---------------------------------------------------------------------------------- */

static json_object *log_json(const sb_emerge_record *rec, size_t n, size_t LH)
{
    json_object *o = json_object_new_object();
    static const char *const names[] = {"step",         "train_loss",       "val_loss",         "copy_loss",
                                        "bigram_loss",  "sink_rate_03",     "sink_rate_08",     "sink_rate_03_row0",
                                        "sink_rate_08_row0", "first_mass",  "logit_sink_mass",  "gate_closure",
                                        "norm_ratio",   "value_ratio",      "grad_norm",        "lr"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
            const sb_emerge_record *r = &rec[i];
            double v[] = {(double)r->step,     r->train_loss,      r->val_loss,         r->val_copy_loss,
                          r->val_bigram_loss,  r->sink_rate[0][0], r->sink_rate[0][1],  r->sink_rate[1][0],
                          r->sink_rate[1][1],  r->first_mass,      r->logit_sink_mass,  r->gate_closure,
                          r->first_norm_ratio, r->first_value_ratio, r->grad_norm,      r->lr};
            json_object_array_add(a, k == 0 ? json_object_new_int64((int64_t)r->step) : jd(v[k]));
        }
        json_object_object_add(o, names[k], a);
    }
    json_object *al = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        double v[SB_EMERGE_MAX_LAYERS * SB_EMERGE_MAX_HEADS];
        for (size_t j = 0; j < LH; j++)
            v[j] = rec[i].alpha[j];
        json_object_array_add(al, jarr(v, LH));
    }
    json_object_object_add(o, "alpha", al);
    return o;
}

#define FORMED SB_EMERGE_FORMED

static json_object *probe_json(const sb_emerge_probe_result *p, sb_emerge_sink sink)
{
    json_object *o = json_object_new_object();
    size_t L = p->layers, T = p->tokens;
    json_object_object_add(o, "removal", json_object_new_string(sb_emerge_removal_name(sink)));
    json_object_object_add(o, "perturbed_token", json_object_new_int64((int64_t)p->perturbed));
    json_object_object_add(o, "val_loss", jarr(p->val_loss, 2));
    json_object_object_add(o, "sink_rate_03", jarr(p->sink_rate, 2));
    json_object *dr = json_object_new_object();
    json_object_object_add(dr, "trained", jarr(p->drift[0], L + 1));
    json_object_object_add(dr, "removed", jarr(p->drift[1], L + 1));
    json_object_object_add(o, "drift", dr);
    json_object_object_add(o, "off_token_share", jarr(p->off_token_share, 2));
    json_object *se = json_object_new_object();
    json_object_object_add(se, "trained", jarr(p->sens[0], T));
    json_object_object_add(se, "removed", jarr(p->sens[1], T));
    json_object_object_add(o, "sensitivity", se);
    json_object_object_add(o, "sensitivity_first_share", jarr(p->sens_first_share, 2));
    json_object_object_add(o, "repeated_rate", jd(p->repeated_rate));
    json_object_object_add(o, "repeated_alpha", jd(p->repeated_alpha));
    json_object_object_add(o, "repeated_plain_rate", jd(p->repeated_plain_rate));
    json_object_object_add(o, "repeated_plain_alpha", jd(p->repeated_plain_alpha));
    json_object *ks = json_object_new_array();
    for (size_t i = 0; i < p->n_kernels; i++) {
        json_object *k = json_object_new_object();
        json_object_object_add(k, "kernel", json_object_new_string(p->kernel[i].kernel));
        json_object_object_add(k, "precision", json_object_new_string(p->kernel[i].precision));
        json_object_object_add(k, "removed", json_object_new_boolean(p->kernel[i].removed));
        json_object_object_add(k, "error", jarr(p->kernel[i].error, L + 1));
        json_object_array_add(ks, k);
    }
    json_object_object_add(o, "kernels", ks);
    json_object *sk = json_object_new_array();
    for (size_t i = 0; i < p->n_skipped; i++) {
        json_object *k = json_object_new_object();
        json_object_object_add(k, "kernel", json_object_new_string(p->skipped[i].kernel));
        json_object_object_add(k, "why", json_object_new_string(p->skipped[i].why));
        json_object_array_add(sk, k);
    }
    json_object_object_add(o, "skipped_kernels", sk);
    return o;
}

static json_object *run_json(const sb_emerge_study *s, const sb_emerge_run *r, const sb_emerge_model *m,
                             const sb_emerge_trainer *t, const sb_emerge_probe_result *p, double wall)
{
    const sb_emerge_config *c = &m->config;
    size_t n, LH = c->layers * c->heads;
    const sb_emerge_record *rec = sb_emerge_trainer_log(t, &n);
    char key[1024];
    settings_key(s, r, key, sizeof key);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(r->id));
    json_object_object_add(o, "complete", json_object_new_boolean(1));
    json_object_object_add(o, "settings", json_object_new_string(key));
    json_object_object_add(o, "data", json_object_new_string(r->data == SB_EMERGE_DATA_BB ? "bb" : "text"));
    json_object_object_add(o, "variant", json_object_new_string(sb_emerge_sink_name(r->sink)));
    json_object_object_add(o, "context", json_object_new_int64((int64_t)c->context));
    json_object_object_add(o, "layers", json_object_new_int64((int64_t)c->layers));
    json_object_object_add(o, "heads", json_object_new_int64((int64_t)c->heads));
    json_object_object_add(o, "width", json_object_new_int64((int64_t)c->width));
    json_object_object_add(o, "hidden", json_object_new_int64((int64_t)c->hidden));
    json_object_object_add(o, "params", json_object_new_int64((int64_t)m->n_params));
    json_object_object_add(o, "seed", json_object_new_int64((int64_t)r->seed));
    json_object_object_add(o, "seed_index", json_object_new_int64((int64_t)r->seed_index));
    json_object_object_add(o, "steps", json_object_new_int64((int64_t)s->o.steps));
    json_object_object_add(o, "tokens_per_step", json_object_new_int64((int64_t)s->o.tokens_per_step));
    double secs, toks;
    sb_emerge_trainer_speed(t, &secs, &toks);
    json_object_object_add(o, "train_seconds", jd(secs));
    json_object_object_add(o, "tokens", jd(toks));
    json_object_object_add(o, "tokens_per_second", jd(secs > 0 ? toks / secs : NAN));
    json_object_object_add(o, "wall_seconds", jd(wall));
    json_object_object_add(o, "log", log_json(rec, n, LH));
    json_object *f = json_object_new_object();
    const sb_emerge_record *last = n ? &rec[n - 1] : NULL;
    if (last) {
        json_object_object_add(f, "sink_rate_03", jd(last->sink_rate[0][0]));
        json_object_object_add(f, "sink_rate_08", jd(last->sink_rate[0][1]));
        json_object_object_add(f, "sink_rate_03_row0", jd(last->sink_rate[1][0]));
        json_object_object_add(f, "sink_rate_08_row0", jd(last->sink_rate[1][1]));
        json_object_object_add(f, "first_mass", jd(last->first_mass));
        json_object_object_add(f, "logit_sink_mass", jd(last->logit_sink_mass));
        json_object_object_add(f, "gate_closure", jd(last->gate_closure));
        json_object_object_add(f, "norm_ratio", jd(last->first_norm_ratio));
        json_object_object_add(f, "value_ratio", jd(last->first_value_ratio));
        json_object_object_add(f, "val_loss", jd(last->val_loss));
        json_object_object_add(f, "copy_loss", jd(last->val_copy_loss));
        json_object_object_add(f, "bigram_loss", jd(last->val_bigram_loss));
        double al[SB_EMERGE_MAX_LAYERS * SB_EMERGE_MAX_HEADS];
        for (size_t j = 0; j < LH; j++)
            al[j] = last->alpha[j];
        json_object_object_add(f, "alpha", jarr(al, LH));
    }
    json_object *formed = NULL;
    for (size_t i = 0; i < n && !formed; i++)
        if (rec[i].sink_rate[0][0] >= FORMED)
            formed = json_object_new_int64((int64_t)rec[i].step);
    json_object_object_add(f, "formed_step", formed);
    json_object_object_add(f, "formed", json_object_new_boolean(last && last->sink_rate[0][0] >= FORMED));
    json_object_object_add(o, "final", f);
    json_object_object_add(o, "probe", probe_json(p, r->sink));
    return o;
}

/* The numbers the aggregates and the page use, read from a run's JSON (fresh or read back). */
static void extract(sb_emerge_run *r)
{
    json_object *f = member(r->json, "final"), *p = member(r->json, "probe");
    r->rate03 = num(f, "sink_rate_03");
    r->rate08 = num(f, "sink_rate_08");
    r->first_mass = num(f, "first_mass");
    r->formed_step = num(f, "formed_step");
    r->logit_mass = num(f, "logit_sink_mass");
    r->gate_closure = num(f, "gate_closure");
    r->norm_ratio = num(f, "norm_ratio");
    r->value_ratio = num(f, "value_ratio");
    r->copy_loss = num(f, "copy_loss");
    r->tokens_per_second = num(r->json, "tokens_per_second");
    r->train_seconds = num(r->json, "train_seconds");
    r->wall_seconds = num(r->json, "wall_seconds");
    json_object *vl = member(p, "val_loss"), *dr = member(p, "drift"), *ot = member(p, "off_token_share"),
                *ss = member(p, "sensitivity_first_share");
    for (int k = 0; k < 2; k++) {
        r->val_loss[k] = at_index(vl, (size_t)k);
        json_object *d = member(dr, k ? "removed" : "trained");
        r->drift_last[k] = d ? at_index(d, json_object_array_length(d) - 1) : NAN;
        r->off_share[k] = at_index(ot, (size_t)k);
        r->sens_share[k] = at_index(ss, (size_t)k);
    }
    r->repeated_rate = num(p, "repeated_rate");
    r->repeated_plain_rate = num(p, "repeated_plain_rate");
    r->done = 1;
}

/* ---- progress ----------------------------------------------------------------------------------------- */

typedef struct progress {
    double start, last, units_total, units_done;
    size_t runs_total;
} progress;

static double run_units(const sb_emerge_study *s, const sb_emerge_run *r, size_t steps)
{
    /* cost of a step grows with depth; the embeddings and the vocabulary projection add about a layer */
    return (double)steps * (double)s->o.tokens_per_step * (double)(r->layers + 1);
}

static void show(const sb_emerge_study *s, progress *pg, size_t i, const sb_emerge_trainer *t, double loss, int force)
{
    if (!s->o.progress)
        return;
    double tn = now();
    if (!force && tn - pg->last < 5.0)
        return;
    pg->last = tn;
    double secs, toks;
    sb_emerge_trainer_speed(t, &secs, &toks);
    double rate = pg->units_done > 0 ? (tn - pg->start) / pg->units_done : NAN;
    char el[32], eta[32];
    duration(tn - pg->start, el, sizeof el);
    duration(rate * (pg->units_total - pg->units_done), eta, sizeof eta);
    fprintf(stderr, "emerge: run %zu/%zu %s step %zu/%zu loss %.3f | %.1fk tokens/s | elapsed %s, ETA %s\n", i + 1,
            pg->runs_total, s->runs[i].id, sb_emerge_trainer_steps_done(t), s->o.steps, loss,
            secs > 0 ? toks / secs / 1e3 : 0.0, el, eta);
}

/* ---- one run -------------------------------------------------------------------------------------------- */

static sb_status train_run(sb_emerge_study *s, size_t i, progress *pg, char *err, size_t err_size)
{
    sb_emerge_run *r = &s->runs[i];
    sb_emerge_config c;
    sb_emerge_train_options t;
    run_config(s, r, &c, &t);
    const sb_emerge_data *d = r->data == SB_EMERGE_DATA_BB ? &s->bb : &s->text;
    char ckpt[4400], path[4400];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoints/%s.ckpt", s->dir, r->id);
    snprintf(path, sizeof path, "%s/runs/%s.json", s->dir, r->id);
    double t0 = now();
    sb_emerge_model m;
    sb_emerge_trainer *tr = NULL;
    sb_status st;
    struct stat sbuf;
    if (stat(ckpt, &sbuf) == 0) {
        st = sb_emerge_checkpoint_load(ckpt, d, &c, &t, &m, &tr, err, err_size);
        if (st != SB_OK)
            return st; /* a foreign or broken checkpoint is an error, never silently overwritten */
        if (s->o.progress)
            fprintf(stderr, "emerge: %s resumes at step %zu\n", r->id, sb_emerge_trainer_steps_done(tr));
        pg->units_total -= run_units(s, r, sb_emerge_trainer_steps_done(tr));
    } else {
        if ((st = sb_emerge_model_init(&m, &c, r->seed)) != SB_OK ||
            (st = sb_emerge_trainer_create(&m, d, &t, &tr)) != SB_OK) {
            snprintf(err, err_size, "%s: cannot set up the run: %s", r->id, sb_status_str(st));
            sb_emerge_model_free(&m);
            return st;
        }
    }
    double loss = NAN;
    while (sb_emerge_trainer_steps_done(tr) < t.steps) {
        st = sb_emerge_trainer_step(tr, &loss);
        if (st != SB_OK) {
            snprintf(err, err_size, "%s: training stopped at step %zu: %s", r->id, sb_emerge_trainer_steps_done(tr),
                     st == SB_EUNSUPPORTED ? "the loss or gradient is not finite (diverged)" : sb_status_str(st));
            goto fail;
        }
        pg->units_done += run_units(s, r, 1);
        size_t done = sb_emerge_trainer_steps_done(tr);
        if (s->o.checkpoint_every && done % s->o.checkpoint_every == 0 && done < t.steps &&
            (st = sb_emerge_checkpoint_save(tr, ckpt, err, err_size)) != SB_OK)
            goto fail;
        show(s, pg, i, tr, loss, 0);
    }
    show(s, pg, i, tr, loss, 1);
    if (s->o.keep_checkpoints && (st = sb_emerge_checkpoint_save(tr, ckpt, err, err_size)) != SB_OK)
        goto fail;
    sb_emerge_probe_options po;
    sb_emerge_probe_options_default(&po);
    if (s->o.level == SB_EMERGE_QUICK)
        po.sequences = 4;
    sb_emerge_probe_result p;
    if ((st = sb_emerge_probe(&m, d, t.matmul, &po, &p)) != SB_OK) {
        snprintf(err, err_size, "%s: the measurements on the trained weights failed: %s", r->id, sb_status_str(st));
        goto fail;
    }
    r->json = run_json(s, r, &m, tr, &p, now() - t0);
    sb_emerge_probe_result_free(&p);
    if (!r->json) {
        st = SB_ENOMEM;
        snprintf(err, err_size, "out of memory");
        goto fail;
    }
    if ((st = write_json(r->json, path, err, err_size)) != SB_OK)
        goto fail;
    if (!s->o.keep_checkpoints)
        unlink(ckpt);
    extract(r);
    sb_emerge_trainer_destroy(tr);
    sb_emerge_model_free(&m);
    return SB_OK;
fail:
    sb_emerge_trainer_destroy(tr);
    sb_emerge_model_free(&m);
    return st;
}

static int usable(json_object *o, const char *key)
{
    json_object *k = member(o, "settings"), *c = member(o, "complete");
    return o && k && c && json_object_get_boolean(c) && !strcmp(json_object_get_string(k), key);
}

/* A finished run in the folder with the same settings is read back instead of trained again: from
 * runs/<id>.json, else from the runs of an earlier emerge.json (a committed sample keeps only that). */
static int read_back(sb_emerge_study *s, sb_emerge_run *r, json_object *earlier)
{
    char path[4400], key[1024];
    settings_key(s, r, key, sizeof key);
    snprintf(path, sizeof path, "%s/runs/%s.json", s->dir, r->id);
    struct stat sbuf;
    json_object *o = stat(path, &sbuf) == 0 ? json_object_from_file(path) : NULL;
    if (!usable(o, key)) {
        json_object_put(o);
        o = NULL;
        json_object *runs = member(earlier, "runs");
        size_t n = runs ? json_object_array_length(runs) : 0;
        for (size_t i = 0; i < n && !o; i++) {
            json_object *x = json_object_array_get_idx(runs, i);
            if (usable(x, key))
                o = json_object_get(x);
        }
        if (!o)
            return 0;
    }
    r->json = o;
    extract(r);
    r->read_back = 1;
    return 1;
}

/* ---- aggregates ------------------------------------------------------------------------------------------- */

void sb_emerge_stat_compute(const double *v, size_t n, sb_emerge_stat *out)
{
    memset(out, 0, sizeof *out);
    double s = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            s += v[i];
            k++;
        }
    out->n = k;
    out->mean = k ? s / (double)k : NAN;
    out->lo = out->hi = out->mean;
    if (k < 2)
        return;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            ss += (v[i] - out->mean) * (v[i] - out->mean);
    static const double t975[] = {0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228};
    double t = k - 1 <= 10 ? t975[k - 1] : 1.96 + 2.5 / (double)(k - 1);
    double half = t * sqrt(ss / (double)(k - 1)) / sqrt((double)k);
    out->lo = out->mean - half;
    out->hi = out->mean + half;
}

static json_object *stat_json(const sb_emerge_stat *st, const double *v, size_t n)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "mean", jd(st->mean));
    json_object_object_add(o, "lo", jd(st->lo));
    json_object_object_add(o, "hi", jd(st->hi));
    json_object_object_add(o, "n", json_object_new_int64((int64_t)st->n));
    json_object_object_add(o, "values", jarr(v, n));
    return o;
}

size_t sb_emerge_cells(const sb_emerge_study *s, sb_emerge_cell *cells, size_t cap)
{
    size_t nc = 0;
    for (size_t i = 0; i < s->n; i++) {
        const sb_emerge_run *r = &s->runs[i];
        if (!r->done)
            continue;
        size_t c;
        for (c = 0; c < nc; c++)
            if (cells[c].data == r->data && cells[c].sink == r->sink && cells[c].context == r->context &&
                cells[c].layers == r->layers)
                break;
        if (c == nc) {
            if (nc == cap)
                continue;
            memset(&cells[nc], 0, sizeof cells[nc]);
            cells[nc].data = r->data;
            cells[nc].sink = r->sink;
            cells[nc].context = r->context;
            cells[nc].layers = r->layers;
            nc++;
        }
        if (cells[c].n < SB_EMERGE_MAX_SEEDS)
            cells[c].run[cells[c].n++] = r;
    }
    for (size_t c = 0; c < nc; c++) {
        sb_emerge_cell *cl = &cells[c];
        for (int mtr = 0; mtr < SB_EMERGE_METRICS; mtr++) {
            double v[SB_EMERGE_MAX_SEEDS];
            for (size_t k = 0; k < cl->n; k++) {
                const sb_emerge_run *r = cl->run[k];
                double x[SB_EMERGE_METRICS] = {r->rate03,        r->rate08,       r->first_mass,
                                               r->formed_step,   r->val_loss[0],  r->val_loss[1] - r->val_loss[0],
                                               r->drift_last[0], r->drift_last[1],
                                               r->drift_last[0] > 0 ? r->drift_last[1] / r->drift_last[0] : NAN,
                                               r->off_share[0],  r->off_share[1], r->sens_share[0],
                                               r->sens_share[1], r->repeated_rate, r->value_ratio,
                                               r->norm_ratio,    r->logit_mass,   r->gate_closure,
                                               r->copy_loss,     r->tokens_per_second, r->repeated_plain_rate};
                v[k] = x[mtr];
            }
            memcpy(cl->values[mtr], v, cl->n * sizeof *v);
            sb_emerge_stat_compute(v, cl->n, &cl->stat[mtr]);
        }
    }
    return nc;
}

const char *const sb_emerge_metric_names[SB_EMERGE_METRICS] = {
    "sink_rate_03",       "sink_rate_08",        "first_mass",          "formed_step",
    "val_loss",           "loss_increase_removed", "drift_trained",     "drift_removed",
    "drift_ratio_removed_over_trained", "off_token_share_trained", "off_token_share_removed",
    "sensitivity_first_share_trained", "sensitivity_first_share_removed", "repeated_rate", "value_ratio",
    "norm_ratio",         "logit_sink_mass",     "gate_closure",        "copy_loss",
    "tokens_per_second",  "repeated_plain_rate"};

static json_object *study_json(const sb_emerge_study *s)
{
    json_object *o = json_object_new_object();
    json_object *cfg = json_object_new_object();
    const sb_emerge_study_options *op = &s->o;
    json_object_object_add(cfg, "level", json_object_new_string(op->level == SB_EMERGE_FULL ? "full" : "quick"));
    json_object_object_add(cfg, "seed", json_object_new_int64((int64_t)op->seed));
    json_object_object_add(cfg, "task_seed", json_object_new_int64((int64_t)op->task_seed));
    json_object_object_add(cfg, "seeds", json_object_new_int64((int64_t)op->seeds));
    json_object_object_add(cfg, "steps", json_object_new_int64((int64_t)op->steps));
    json_object_object_add(cfg, "tokens_per_step", json_object_new_int64((int64_t)op->tokens_per_step));
    json_object_object_add(cfg, "width", json_object_new_int64((int64_t)op->width));
    json_object_object_add(cfg, "heads", json_object_new_int64((int64_t)op->heads));
    json_object_object_add(cfg, "lr", jd(op->lr));
    json_object_object_add(cfg, "threads", json_object_new_int64((int64_t)op->threads));
    json_object_object_add(cfg, "matmul", json_object_new_string(op->matmul == SB_EMERGE_MATMUL_BLAS ? "openblas" : "own"));
    json_object_object_add(cfg, "bb_source", json_object_new_string(s->bb.source));
    json_object_object_add(cfg, "bb_bigram_entropy_bits", jd(s->bb.bigram_entropy));
    json_object_object_add(cfg, "text_source", json_object_new_string(s->text.source));
    json_object_object_add(cfg, "formed_threshold", jd(FORMED));
    json_object_object_add(o, "config", cfg);
    json_object_object_add(o, "seconds", jd(s->seconds));
    json_object *runs = json_object_new_array();
    for (size_t i = 0; i < s->n; i++)
        if (s->runs[i].done)
            json_object_array_add(runs, json_object_get(s->runs[i].json));
    json_object_object_add(o, "runs", runs);
    sb_emerge_cell *cells = calloc(s->n ? s->n : 1, sizeof *cells);
    json_object *agg = json_object_new_array();
    size_t nc = cells ? sb_emerge_cells(s, cells, s->n) : 0;
    for (size_t c = 0; c < nc; c++) {
        json_object *cl = json_object_new_object();
        json_object_object_add(cl, "data", json_object_new_string(cells[c].data == SB_EMERGE_DATA_BB ? "bb" : "text"));
        json_object_object_add(cl, "variant", json_object_new_string(sb_emerge_sink_name(cells[c].sink)));
        json_object_object_add(cl, "context", json_object_new_int64((int64_t)cells[c].context));
        json_object_object_add(cl, "layers", json_object_new_int64((int64_t)cells[c].layers));
        json_object_object_add(cl, "seeds", json_object_new_int64((int64_t)cells[c].n));
        for (int mtr = 0; mtr < SB_EMERGE_METRICS; mtr++)
            json_object_object_add(cl, sb_emerge_metric_names[mtr],
                                   stat_json(&cells[c].stat[mtr], cells[c].values[mtr], cells[c].n));
        json_object_array_add(agg, cl);
    }
    free(cells);
    json_object_object_add(o, "cells", agg);
    return o;
}

/* ---- the study ------------------------------------------------------------------------------------------- */

void sb_emerge_study_free(sb_emerge_study *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        json_object_put(s->runs[i].json);
    free(s->runs);
    sb_emerge_data_free(&s->bb);
    sb_emerge_data_free(&s->text);
    free(s);
}

sb_status sb_emerge_study_run(const sb_emerge_study_options *o, const char *out_dir, sb_emerge_study **out, char *err,
                              size_t err_size)
{
    if (out)
        *out = NULL;
    const char *why = sb_emerge_study_options_problem(o);
    if (why || !out_dir || !out) {
        snprintf(err, err_size, "%s", why ? why : "missing argument");
        return SB_EINVAL;
    }
    double t0 = now();
    sb_emerge_study *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_size, "out of memory");
        return SB_ENOMEM;
    }
    s->o = *o;
    snprintf(s->dir, sizeof s->dir, "%s", out_dir);
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/runs", out_dir);
    int made = sb_mkdir_p(sub);
    snprintf(sub, sizeof sub, "%s/checkpoints", out_dir);
    if (!made || !sb_mkdir_p(sub)) {
        snprintf(err, err_size, "cannot create %s: %s", sub, strerror(errno));
        sb_emerge_study_free(s);
        return SB_EINVAL;
    }
    json_c_set_serialization_double_format("%.6g", JSON_C_OPTION_GLOBAL);
    sb_status st = sb_emerge_data_bb(&s->bb, o->task_seed);
    if (st == SB_OK && o->text && (st = sb_emerge_data_text(&s->text, o->text_dir, err, err_size)) != SB_OK) {
        sb_emerge_study_free(s);
        return st;
    }
    if (st != SB_OK || (st = plan(s)) != SB_OK) {
        snprintf(err, err_size, "out of memory");
        sb_emerge_study_free(s);
        return st;
    }
    progress pg = {now(), 0, 0, 0, s->n};
    char path[4200];
    snprintf(path, sizeof path, "%s/emerge.json", out_dir);
    struct stat sbuf;
    json_object *earlier = stat(path, &sbuf) == 0 ? json_object_from_file(path) : NULL;
    for (size_t i = 0; i < s->n; i++)
        if (!read_back(s, &s->runs[i], earlier))
            pg.units_total += run_units(s, &s->runs[i], o->steps);
    json_object_put(earlier);
    if (o->progress) {
        size_t again = 0;
        for (size_t i = 0; i < s->n; i++)
            again += s->runs[i].read_back;
        fprintf(stderr, "emerge: %zu runs (%zu finished earlier and read back), %zu steps of %zu tokens each\n", s->n,
                again, o->steps, o->tokens_per_step);
    }
    for (size_t i = 0; i < s->n; i++) {
        if (s->runs[i].done)
            continue;
        if ((st = train_run(s, i, &pg, err, err_size)) != SB_OK) {
            sb_emerge_study_free(s);
            return st;
        }
        s->seconds = now() - t0;
        json_object *j = study_json(s); /* after every run: an interrupted study still leaves its data */
        st = write_json(j, path, err, err_size);
        json_object_put(j);
        if (st != SB_OK) {
            sb_emerge_study_free(s);
            return st;
        }
    }
    s->seconds = now() - t0;
    json_object *j = study_json(s);
    st = write_json(j, path, err, err_size);
    json_object_put(j);
    if (st != SB_OK) {
        sb_emerge_study_free(s);
        return st;
    }
    *out = s;
    return SB_OK;
}

int sb_emerge_study_bos_formed(const sb_emerge_study *s)
{
    int any = 0;
    for (size_t i = 0; s && i < s->n; i++)
        if (s->runs[i].done && s->runs[i].sink == SB_EMERGE_SINK_BOS && s->runs[i].data == SB_EMERGE_DATA_BB) {
            if (!(s->runs[i].rate03 >= FORMED))
                return 0;
            any = 1;
        }
    return any;
}

void sb_emerge_study_summary(const sb_emerge_study *s, char *buf, size_t size)
{
    size_t used = 0;
    if (!buf || !size)
        return;
    buf[0] = 0;
    for (size_t i = 0; s && i < s->n && used < size; i++) {
        const sb_emerge_run *r = &s->runs[i];
        if (!r->done || r->seed_index != 0 || r->layers != s->o.depths[0] || r->data != SB_EMERGE_DATA_BB ||
            r->context != s->o.contexts[s->o.n_contexts > 1 ? 1 : 0])
            continue;
        char formed[64] = "";
        if (isfinite(r->formed_step))
            snprintf(formed, sizeof formed, "; first >= 50 %% at step %.0f", r->formed_step);
        used += (size_t)snprintf(buf + used, size - used,
                                 "- `%s` (%zu layer%s, T = %zu): %s: Sink_1^0.3 = %.0f %%, alpha_1 = %.3f after %zu steps%s; "
                                 "last-token drift %.3g as trained, %.3g with the sink removed (%s)\n",
                                 sb_emerge_sink_name(r->sink), r->layers, r->layers > 1 ? "s" : "", r->context,
                                 r->rate03 >= FORMED ? "**a sink formed**" : "**no sink formed**", 100 * r->rate03,
                                 r->first_mass, s->o.steps, formed, r->drift_last[0], r->drift_last[1],
                                 sb_emerge_removal_name(r->sink));
        if (used >= size)
            used = size - 1;
    }
}
