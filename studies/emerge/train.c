/* Training (docs/emerge.md "Training"): next-token cross-entropy, AdamW with linear warm-up and cosine
 * decay, global gradient-norm clipping. Each step's batch is cut into a fixed number of micro-batches
 * ("chunks"); their gradients are summed in chunk order, so the result does not depend on how many
 * threads ran them: the same seed gives the same bits with 1 or 2 threads. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emerge_train.h"

#ifdef SB_EMERGE_HAVE_BLAS
#include <cblas.h>
#endif

void sb_emerge_train_options_default(sb_emerge_train_options *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->steps = 300;
    o->tokens_per_step = 2048;
    o->chunks = 2;
    o->threads = 2;
    o->warmup = 30;
    o->lr = 3e-3;
    o->final_lr_ratio = 0.1;
    o->weight_decay = 0.01;
    o->beta1 = 0.9;
    o->beta2 = 0.99;
    o->adam_eps = 1e-8;
    o->clip = 1.0;
    o->eval_every = 25;
    o->eval_sequences = 16;
    o->matmul = SB_EMERGE_MATMUL_OWN;
}

const char *sb_emerge_train_options_problem(const sb_emerge_train_options *o, const sb_emerge_config *c)
{
    if (!o)
        return "no training options";
    const char *why = sb_emerge_config_problem(c);
    if (why)
        return why;
    if (o->steps < 1 || o->steps > 100000000)
        return "steps must be 1..1e8";
    if (o->tokens_per_step < 1 || o->tokens_per_step > ((size_t)1 << 24))
        return "tokens per step must be 1..16777216";
    if (o->chunks < 1 || o->chunks > SB_EMERGE_MAX_CHUNKS)
        return "chunks must be 1..64";
    if (o->threads < 1 || o->threads > SB_EMERGE_MAX_CHUNKS)
        return "threads must be 1..64";
    if (!(o->lr > 0) || !isfinite(o->lr) || !(o->final_lr_ratio >= 0 && o->final_lr_ratio <= 1))
        return "the learning rate must be finite and > 0, its final ratio in [0, 1]";
    if (!(o->weight_decay >= 0) || !isfinite(o->weight_decay))
        return "weight decay must be finite and >= 0";
    if (!(o->beta1 >= 0 && o->beta1 < 1) || !(o->beta2 >= 0 && o->beta2 < 1) || !(o->adam_eps > 0))
        return "Adam's betas must be in [0, 1) and its epsilon > 0";
    if (!(o->clip > 0))
        return "the clipping norm must be > 0";
    if (o->eval_every < 1 || o->eval_sequences < 1 || o->eval_sequences > 4096)
        return "measurements need eval_every >= 1 and 1..4096 sequences";
    if (o->matmul == SB_EMERGE_MATMUL_BLAS && !sb_emerge_have_blas())
        return "this build has no OpenBLAS (install libopenblas-dev and reconfigure)";
    if ((unsigned)o->matmul > SB_EMERGE_MATMUL_BLAS)
        return "unknown matrix product";
    return NULL;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void free_parts(sb_emerge_trainer *t)
{
    for (size_t c = 0; c < SB_EMERGE_MAX_CHUNKS; c++) {
        sb_emerge_acts_free(&t->chunk[c].acts);
        free(t->chunk[c].grad);
        free(t->chunk[c].ids);
        free(t->chunk[c].targets);
    }
    sb_emerge_acts_free(&t->eval);
    free(t->eval_ids);
    free(t->eval_targets);
    free(t->eval_trigger);
    free(t->eval_nll);
    free(t->first_mass);
    free(t->mom);
    free(t->vel);
    free(t->grad);
    free(t->decay);
    free(t->log);
}

void sb_emerge_trainer_destroy(sb_emerge_trainer *t)
{
    if (!t)
        return;
    free_parts(t);
    free(t);
}

sb_status sb_emerge_trainer_create(sb_emerge_model *m, const sb_emerge_data *d, const sb_emerge_train_options *o,
                                   sb_emerge_trainer **out)
{
    if (!out)
        return SB_EINVAL;
    *out = NULL;
    if (!m || !m->params || !d || !o || sb_emerge_train_options_problem(o, &m->config) ||
        m->n_params != sb_emerge_param_count(&m->config))
        return o && o->matmul == SB_EMERGE_MATMUL_BLAS && !sb_emerge_have_blas() ? SB_EUNSUPPORTED : SB_EINVAL;
    sb_emerge_trainer *t = calloc(1, sizeof *t);
    if (!t)
        return SB_ENOMEM;
    const sb_emerge_config *c = &m->config;
    size_t T = c->context, np = m->n_params;
    t->m = m;
    t->d = d;
    t->o = *o;
    t->batch = o->tokens_per_step / T ? o->tokens_per_step / T : 1;
    t->n_chunks = o->chunks < t->batch ? o->chunks : t->batch;
    if (t->o.threads > t->n_chunks)
        t->o.threads = t->n_chunks;
    t->targets_per_step = t->batch * (T - 1);
    t->data_seed = sb_emerge_hash(o->seed, 0xda7a, 1);
    t->mom = calloc(np, sizeof *t->mom);
    t->vel = calloc(np, sizeof *t->vel);
    t->grad = calloc(np, sizeof *t->grad);
    t->decay = calloc(np, 1);
    int ok = t->mom && t->vel && t->grad && t->decay;
    for (size_t i = 0; ok && i < sb_emerge_tensor_count(c); i++) {
        sb_emerge_tensor ten;
        sb_emerge_tensor_at(c, i, &ten);
        memset(t->decay + ten.offset, ten.decay, ten.rows * ten.cols);
    }
    size_t per = (t->batch + t->n_chunks - 1) / t->n_chunks;
    for (size_t k = 0; ok && k < t->n_chunks; k++) {
        sb_emerge_chunk *ch = &t->chunk[k];
        ch->first = k * t->batch / t->n_chunks;
        ch->count = (k + 1) * t->batch / t->n_chunks - ch->first;
        ok = sb_emerge_acts_alloc(&ch->acts, c, per, T, sizeof(float)) == SB_OK;
        ch->grad = malloc(np * sizeof *ch->grad);
        ch->ids = malloc(per * T * sizeof *ch->ids);
        ch->targets = malloc(per * T * sizeof *ch->targets);
        ok = ok && ch->grad && ch->ids && ch->targets;
    }
    size_t E = o->eval_sequences;
    ok = ok && sb_emerge_acts_alloc(&t->eval, c, E, T, sizeof(float)) == SB_OK;
    t->eval_ids = malloc(E * T * sizeof *t->eval_ids);
    t->eval_targets = malloc(E * T * sizeof *t->eval_targets);
    t->eval_trigger = malloc(E * T);
    t->eval_nll = malloc(E * T * sizeof *t->eval_nll);
    t->first_mass = malloc(c->layers * c->heads * T * sizeof *t->first_mass);
    ok = ok && t->eval_ids && t->eval_targets && t->eval_trigger && t->eval_nll && t->first_mass;
    if (!ok) {
        sb_emerge_trainer_destroy(t);
        return SB_ENOMEM;
    }
    for (size_t i = 0; i < E; i++)
        sb_emerge_data_sequence(d, c->sink, T, 1, SB_EMERGE_EVAL_SEED, i, t->eval_ids + i * T, t->eval_targets + i * T,
                                t->eval_trigger + i * T);
#ifdef SB_EMERGE_HAVE_BLAS
    /* Our threads already run the micro-batches in parallel; OpenBLAS's own would oversubscribe. */
    if (o->matmul == SB_EMERGE_MATMUL_BLAS)
        openblas_set_num_threads(1);
#endif
    *out = t;
    return SB_OK;
}

static double lr_at(const sb_emerge_train_options *o, size_t step)
{
    if (step < o->warmup)
        return o->lr * (double)(step + 1) / (double)o->warmup;
    double span = (double)(o->steps > o->warmup ? o->steps - o->warmup : 1);
    double x = (double)(step - o->warmup) / span;
    if (x > 1)
        x = 1;
    double lo = o->lr * o->final_lr_ratio;
    return lo + 0.5 * (o->lr - lo) * (1.0 + cos(3.141592653589793 * x));
}

typedef struct job {
    sb_emerge_trainer *t;
    size_t first_chunk, stride;
} job;

static void run_chunk(sb_emerge_trainer *t, sb_emerge_chunk *ch)
{
    const sb_emerge_config *c = &t->m->config;
    size_t T = c->context;
    for (size_t i = 0; i < ch->count; i++)
        sb_emerge_data_sequence(t->d, c->sink, T, 0, t->data_seed, (uint64_t)t->step * t->batch + ch->first + i,
                                ch->ids + i * T, ch->targets + i * T, NULL);
    memset(ch->grad, 0, t->m->n_params * sizeof *ch->grad);
    sb_emerge_exec e = {NULL, 0, NULL, SB_EMERGE_STORE_NATIVE, t->o.matmul};
    sb_emerge_loss l = {0, 0, NULL};
    ch->st = sb_emerge_forward_f32(c, t->m->params, &e, &ch->acts, ch->ids, ch->count, T, ch->targets, &l);
    if (ch->st == SB_OK)
        ch->st = sb_emerge_backward_f32(c, t->m->params, &e, &ch->acts, ch->ids, ch->count, T, ch->targets,
                                        1.0 / (double)t->targets_per_step, NULL, ch->grad);
    ch->loss = l.sum;
}

static void *worker(void *arg)
{
    job *j = arg;
    for (size_t k = j->first_chunk; k < j->t->n_chunks; k += j->stride)
        run_chunk(j->t, &j->t->chunk[k]);
    return NULL;
}

sb_status sb_emerge_trainer_append(sb_emerge_trainer *t, const sb_emerge_record *r)
{
    if (t->n_log == t->cap_log) {
        size_t cap = t->cap_log ? 2 * t->cap_log : 64;
        sb_emerge_record *p = realloc(t->log, cap * sizeof *p);
        if (!p)
            return SB_ENOMEM;
        t->log = p;
        t->cap_log = cap;
    }
    t->log[t->n_log++] = *r;
    return SB_OK;
}

sb_status sb_emerge_trainer_step(sb_emerge_trainer *t, double *loss)
{
    if (!t || t->step >= t->o.steps)
        return SB_EINVAL;
    if (t->step == 0 && t->n_log == 0) {
        sb_status st = sb_emerge_trainer_measure(t);
        if (st != SB_OK)
            return st;
    }
    double t0 = now();
    /* Under qemu-user (Debian 12's qemu-aarch64 hangs in pthread_create) the chunks run on this thread:
     * the result is the same bits, only slower. */
    size_t np = t->m->n_params, nth = sb_cpu()->emulated ? 1 : t->o.threads;
    job jobs[SB_EMERGE_MAX_CHUNKS];
    pthread_t tid[SB_EMERGE_MAX_CHUNKS];
    size_t started = 0;
    for (size_t k = 1; k < nth; k++) {
        jobs[k] = (job){t, k, nth};
        if (pthread_create(&tid[k], NULL, worker, &jobs[k]) != 0)
            break;
        started = k;
    }
    /* chunks of threads that failed to start run here, so the result does not change */
    for (size_t k = 0; k < t->n_chunks; k++)
        if (k % nth == 0 || k % nth > started)
            run_chunk(t, &t->chunk[k]);
    for (size_t k = 1; k <= started; k++)
        pthread_join(tid[k], NULL);
    double lsum = 0.0;
    for (size_t k = 0; k < t->n_chunks; k++) {
        if (t->chunk[k].st != SB_OK)
            return t->chunk[k].st;
        lsum += t->chunk[k].loss;
    }
    /* gradients summed in chunk order */
    memcpy(t->grad, t->chunk[0].grad, np * sizeof *t->grad);
    for (size_t k = 1; k < t->n_chunks; k++) {
        const float *g = t->chunk[k].grad;
        for (size_t i = 0; i < np; i++)
            t->grad[i] += g[i];
    }
    double norm = 0.0;
    for (size_t i = 0; i < np; i++)
        norm += (double)t->grad[i] * (double)t->grad[i];
    norm = sqrt(norm);
    if (!isfinite(norm) || !isfinite(lsum))
        return SB_EUNSUPPORTED; /* diverged: the caller says so */
    float clip = norm > t->o.clip ? (float)(t->o.clip / norm) : 1.0f;
    double lr = lr_at(&t->o, t->step);
    size_t s = t->step + 1;
    float b1 = (float)t->o.beta1, b2 = (float)t->o.beta2;
    float c1 = (float)(1.0 / (1.0 - pow(t->o.beta1, (double)s))), c2 = (float)(1.0 / (1.0 - pow(t->o.beta2, (double)s)));
    float flr = (float)lr, wd = (float)(lr * t->o.weight_decay), eps = (float)t->o.adam_eps;
    float *p = t->m->params;
    for (size_t i = 0; i < np; i++) {
        float g = t->grad[i] * clip;
        if (t->decay[i])
            p[i] -= wd * p[i]; /* decoupled weight decay (AdamW) */
        t->mom[i] = b1 * t->mom[i] + (1 - b1) * g;
        t->vel[i] = b2 * t->vel[i] + (1 - b2) * g * g;
        p[i] -= flr * (t->mom[i] * c1) / (sqrtf(t->vel[i] * c2) + eps);
    }
    t->step = s;
    double batch_loss = lsum / (double)t->targets_per_step;
    t->loss_accum += batch_loss;
    t->loss_steps++;
    t->last_grad_norm = norm;
    t->last_lr = lr;
    t->seconds += now() - t0;
    t->tokens += (double)(t->batch * t->m->config.context);
    if (loss)
        *loss = batch_loss;
    if (t->step % t->o.eval_every == 0 || t->step == t->o.steps)
        return sb_emerge_trainer_measure(t);
    return SB_OK;
}

size_t sb_emerge_trainer_steps_done(const sb_emerge_trainer *t) { return t ? t->step : 0; }

const sb_emerge_record *sb_emerge_trainer_log(const sb_emerge_trainer *t, size_t *count)
{
    if (count)
        *count = t ? t->n_log : 0;
    return t ? t->log : NULL;
}

void sb_emerge_trainer_speed(const sb_emerge_trainer *t, double *seconds, double *tokens)
{
    if (seconds)
        *seconds = t ? t->seconds : 0;
    if (tokens)
        *tokens = t ? t->tokens : 0;
}

sb_status sb_emerge_trainer_measure(sb_emerge_trainer *t)
{
    if (!t)
        return SB_EINVAL;
    const sb_emerge_config *c = &t->m->config;
    size_t T = c->context, E = t->o.eval_sequences, L = c->layers, H = c->heads;
    sb_emerge_exec e = {NULL, 0, NULL, SB_EMERGE_STORE_NATIVE, t->o.matmul};
    sb_emerge_loss l = {0, 0, t->eval_nll};
    sb_status st = sb_emerge_forward_f32(c, t->m->params, &e, &t->eval, t->eval_ids, E, T, t->eval_targets, &l);
    if (st != SB_OK)
        return st;
    sb_emerge_record r;
    memset(&r, 0, sizeof r);
    r.step = t->step;
    r.train_loss = t->loss_steps ? t->loss_accum / (double)t->loss_steps : NAN;
    r.val_loss = l.count ? l.sum / (double)l.count : NAN;
    double copy = 0, other = 0;
    size_t nc = 0, no = 0;
    for (size_t i = 0; i < E * T; i++) {
        if (t->eval_targets[i] < 0)
            continue;
        if (t->eval_trigger[i]) {
            copy += t->eval_nll[i];
            nc++;
        } else {
            other += t->eval_nll[i];
            no++;
        }
    }
    int bb = t->d->kind == SB_EMERGE_DATA_BB;
    r.val_copy_loss = bb && nc ? copy / (double)nc : NAN;
    r.val_bigram_loss = bb && no ? other / (double)no : NAN;
    double logit[SB_EMERGE_MAX_LAYERS * SB_EMERGE_MAX_HEADS], gate[SB_EMERGE_MAX_LAYERS * SB_EMERGE_MAX_HEADS],
        vr[SB_EMERGE_MAX_LAYERS], alpha[SB_EMERGE_MAX_LAYERS * SB_EMERGE_MAX_HEADS];
    sb_emerge_acts_sink_stats(c, &t->eval, t->first_mass, logit, gate, vr, &r.first_norm_ratio);
    size_t window = T < 64 ? T : 64;
    for (int row0 = 0; row0 <= 1; row0++) {
        st = sb_stack_sink_alpha(t->first_mass, L, H, T, window, row0, alpha);
        if (st != SB_OK)
            return st;
        r.sink_rate[row0][0] = sb_stack_sink_rate(alpha, L * H, 0.3);
        r.sink_rate[row0][1] = sb_stack_sink_rate(alpha, L * H, 0.8);
        if (row0 == 0) {
            double s = 0;
            for (size_t i = 0; i < L * H; i++) {
                r.alpha[i] = (float)alpha[i];
                s += alpha[i];
            }
            r.first_mass = s / (double)(L * H);
        }
    }
    double ls = 0, gc = 0, v = 0;
    for (size_t i = 0; i < L * H; i++) {
        ls += logit[i];
        gc += gate[i];
    }
    for (size_t i = 0; i < L; i++)
        v += vr[i];
    r.logit_sink_mass = ls / (double)(L * H);
    r.gate_closure = gc / (double)(L * H);
    r.first_value_ratio = v / (double)L;
    r.grad_norm = t->last_grad_norm;
    r.lr = t->last_lr;
    t->loss_accum = 0;
    t->loss_steps = 0;
    return sb_emerge_trainer_append(t, &r);
}
