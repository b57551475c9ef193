/* The emerge trainer: data rules, determinism (same seed, same bits, whatever the thread count),
 * checkpoints (a resumed run equals an uninterrupted one bit for bit; truncated, foreign, corrupted,
 * other-version and mismatched files refused with the reason), argument checks, and the study's
 * claim in miniature: on Bigram-Backcopy at a fixed seed a BOS sink forms (Sink_1^0.3 >= 50 %), while
 * the same criterion is false for the untrained model and on repeated tokens (so the assertion can fail).
 * usage: test_emerge_train [--short]   --short (sanitizer builds) trains 60 steps and skips the sink check. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emerge_io.h"
#include "emerge_probe.h"
#include "emerge_study.h"
#include "testkit.h"

static char dir[256];

static void tiny(sb_emerge_config *c, sb_emerge_train_options *o, sb_emerge_sink sink, uint64_t seed)
{
    sb_emerge_config_default(c);
    c->layers = 2;
    c->heads = 2;
    c->width = 16;
    c->hidden = 32;
    c->context = 16;
    c->sink = sink;
    sb_emerge_train_options_default(o);
    o->seed = seed;
    o->steps = 24;
    o->tokens_per_step = 128;
    o->chunks = 4;
    o->threads = 1;
    o->warmup = 4;
    o->eval_every = 8;
    o->eval_sequences = 4;
}

static int train(const sb_emerge_config *c, const sb_emerge_train_options *o, const sb_emerge_data *d,
                 sb_emerge_model *m, sb_emerge_trainer **t, size_t steps, double *losses)
{
    if (sb_emerge_model_init(m, c, o->seed) != SB_OK || sb_emerge_trainer_create(m, d, o, t) != SB_OK)
        return 0;
    for (size_t s = 0; s < steps; s++)
        if (sb_emerge_trainer_step(*t, losses ? &losses[s] : NULL) != SB_OK)
            return 0;
    return 1;
}

static void test_data(uint64_t seed)
{
    sb_emerge_data d;
    TK_CHECK(sb_emerge_data_bb(&d, seed) == SB_OK, "Bigram-Backcopy table");
    TK_CHECK(d.bigram_entropy > 1.0 && d.bigram_entropy < 6.0, "bigram entropy %g bits", d.bigram_entropy);
    enum { T = 200 };
    uint32_t ids[T], ids2[T];
    int32_t tg[T];
    unsigned char trig[T];
    size_t copies = 0;
    for (int v = 0; v < SB_EMERGE_SINK_COUNT; v++)
        for (uint64_t i = 0; i < 20; i++) {
            sb_emerge_data_sequence(&d, (sb_emerge_sink)v, T, 0, seed, i, ids, tg, trig);
            sb_emerge_data_sequence(&d, (sb_emerge_sink)v, T, 0, seed, i, ids2, tg, NULL);
            TK_CHECK(memcmp(ids, ids2, sizeof ids) == 0, "a sequence is a pure function of its index");
            TK_CHECK((ids[0] == SB_EMERGE_BOS) == (v == SB_EMERGE_SINK_BOS), "BOS at position 0 only for bos");
            if (v == SB_EMERGE_SINK_FIRST)
                TK_CHECK(ids[0] == d.byte_of[SB_EMERGE_BB_TRIGGERS], "fixed first token");
            for (size_t t = 1; t < T; t++) {
                TK_CHECK(ids[t] < 256 && d.symbol_of[ids[t]] >= 0, "content tokens are symbols");
                TK_CHECK(tg[t - 1] == (int32_t)ids[t], "targets are the next token");
                if (trig[t - 1]) { /* the backcopy rule */
                    TK_CHECK(ids[t] == ids[t - 2], "after a trigger the token before it is copied");
                    copies++;
                }
            }
            TK_CHECK(tg[T - 1] == -1, "no target at the last position");
        }
    TK_CHECK(copies > 100, "triggers occur (%zu copies)", copies);
    sb_emerge_data_free(&d);

    char err[256];
    sb_emerge_data text;
    sb_status st = sb_emerge_data_text(&text, NULL, err, sizeof err);
    if (st == SB_EUNSUPPORTED) {
        printf("skip: fortune text (%s)\n", err);
    } else {
        TK_CHECK(st == SB_OK, "fortune text: %s", err);
        TK_CHECK(text.docs[1] * 20 > text.docs[0] && text.docs[1] * 5 < text.docs[0], "one document in ten for "
                 "validation: %zu / %zu", text.docs[1], text.docs[0]);
        printf("text: %s\n", text.source);
        sb_emerge_data_sequence(&text, SB_EMERGE_SINK_FIRST, T, 1, seed, 3, ids, tg, NULL);
        TK_CHECK(ids[0] == '\n', "first-token template on text");
        sb_emerge_data_free(&text);
    }
    TK_CHECK(sb_emerge_data_text(&text, "/nonexistent-fortunes", err, sizeof err) == SB_EUNSUPPORTED && strstr(err, "fortunes"),
             "a missing folder is reported: %s", err);
}

static void test_arguments(void)
{
    sb_emerge_config c;
    sb_emerge_train_options o;
    tiny(&c, &o, SB_EMERGE_SINK_BOS, 1);
    TK_CHECK(!sb_emerge_config_problem(&c), "tiny config valid");
    c.heads = 3;
    TK_CHECK(sb_emerge_config_problem(&c) != NULL, "heads must divide width");
    c.heads = 8; /* head width 2: fine; 16 heads of width 1 are not (rotary pairs) */
    TK_CHECK(!sb_emerge_config_problem(&c), "head width 2");
    c.heads = 16;
    TK_CHECK(sb_emerge_config_problem(&c) != NULL, "odd head width refused");
    tiny(&c, &o, SB_EMERGE_SINK_BOS, 1);
    o.lr = -1;
    TK_CHECK(sb_emerge_train_options_problem(&o, &c) != NULL, "negative learning rate refused");
    sb_emerge_model m;
    c.layers = 0;
    TK_CHECK(sb_emerge_model_init(&m, &c, 1) == SB_EINVAL, "zero layers refused");
    sb_emerge_sink s;
    TK_CHECK(sb_emerge_sink_parse("bogus", &s) == SB_EINVAL && sb_emerge_sink_parse("gate", &s) == SB_OK &&
                 s == SB_EMERGE_SINK_GATE,
             "variant names");
    /* the forward pass refuses token ids outside the vocabulary instead of reading past the table */
    tiny(&c, &o, SB_EMERGE_SINK_NONE, 1);
    sb_emerge_acts a;
    TK_CHECK(sb_emerge_model_init(&m, &c, 1) == SB_OK && sb_emerge_acts_alloc(&a, &c, 1, 16, 4) == SB_OK, "alloc");
    uint32_t ids[16] = {0};
    ids[5] = SB_EMERGE_VOCAB;
    TK_CHECK(sb_emerge_forward_f32(&c, m.params, NULL, &a, ids, 1, 16, NULL, NULL) == SB_EINVAL, "id out of range");
    sb_emerge_acts_free(&a);
    sb_emerge_model_free(&m);
}

static int same_logs(const sb_emerge_trainer *a, const sb_emerge_trainer *b)
{
    size_t na, nb;
    const sb_emerge_record *ra = sb_emerge_trainer_log(a, &na), *rb = sb_emerge_trainer_log(b, &nb);
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (ra[i].step != rb[i].step || memcmp(&ra[i].val_loss, &rb[i].val_loss, sizeof(double)) != 0 ||
            memcmp(ra[i].alpha, rb[i].alpha, sizeof ra[i].alpha) != 0 ||
            memcmp(&ra[i].sink_rate, &rb[i].sink_rate, sizeof ra[i].sink_rate) != 0)
            return 0;
    return 1;
}

static void test_determinism(uint64_t seed)
{
    sb_emerge_data d;
    sb_emerge_data_bb(&d, seed);
    for (int v = 0; v < SB_EMERGE_SINK_COUNT; v++) {
        sb_emerge_config c;
        sb_emerge_train_options o;
        tiny(&c, &o, (sb_emerge_sink)v, seed);
        double l1[24], l2[24], l3[24];
        sb_emerge_model m1, m2, m3;
        sb_emerge_trainer *t1 = NULL, *t2 = NULL, *t3 = NULL;
        TK_CHECK(train(&c, &o, &d, &m1, &t1, o.steps, l1), "train 1 thread");
        o.threads = 3; /* 4 chunks over 3 threads */
        TK_CHECK(train(&c, &o, &d, &m2, &t2, o.steps, l2), "train 3 threads");
        TK_CHECK(memcmp(l1, l2, sizeof l1) == 0 && memcmp(m1.params, m2.params, m1.n_params * sizeof(float)) == 0 &&
                     same_logs(t1, t2),
                 "%s: 1 and 3 threads give different bits", sb_emerge_sink_name((sb_emerge_sink)v));
        o.seed = seed + 1;
        TK_CHECK(train(&c, &o, &d, &m3, &t3, o.steps, l3), "train another seed");
        TK_CHECK(memcmp(l1, l3, sizeof l1) != 0, "another seed gives another loss trace");
        TK_CHECK(l1[o.steps - 1] < l1[0] - 0.2, "%s: the loss falls (%.3f -> %.3f)", sb_emerge_sink_name((sb_emerge_sink)v),
                 l1[0], l1[o.steps - 1]);
        if (sb_emerge_have_blas()) { /* BLAS is deterministic too, for a given machine */
            sb_emerge_model m4;
            sb_emerge_trainer *t4 = NULL;
            double l4[24], l5[24];
            o.seed = seed;
            o.matmul = SB_EMERGE_MATMUL_BLAS;
            o.threads = 1;
            TK_CHECK(train(&c, &o, &d, &m4, &t4, o.steps, l4), "train with BLAS");
            sb_emerge_trainer_destroy(t4);
            sb_emerge_model_free(&m4);
            o.threads = 2;
            TK_CHECK(train(&c, &o, &d, &m4, &t4, o.steps, l5), "train with BLAS, 2 threads");
            TK_CHECK(memcmp(l4, l5, sizeof l4) == 0, "BLAS: 1 and 2 threads give different bits");
            TK_CHECK(fabs(l4[o.steps - 1] - l1[o.steps - 1]) < 0.05, "BLAS and own loops train alike (%.4f vs %.4f)",
                     l4[o.steps - 1], l1[o.steps - 1]);
            sb_emerge_trainer_destroy(t4);
            sb_emerge_model_free(&m4);
        }
        sb_emerge_trainer_destroy(t1);
        sb_emerge_trainer_destroy(t2);
        sb_emerge_trainer_destroy(t3);
        sb_emerge_model_free(&m1);
        sb_emerge_model_free(&m2);
        sb_emerge_model_free(&m3);
    }
    sb_emerge_data_free(&d);
}

static int refused(const char *path, const sb_emerge_data *d, const sb_emerge_config *c,
                   const sb_emerge_train_options *o, const char *want)
{
    sb_emerge_model m;
    sb_emerge_trainer *t = NULL;
    char err[512] = "";
    sb_status st = sb_emerge_checkpoint_load(path, d, c, o, &m, &t, err, sizeof err);
    int ok = st == SB_EINVAL && !t && strstr(err, want) != NULL;
    printf("  refused as expected? %s: %s\n", ok ? "yes" : "NO", err);
    if (st == SB_OK) {
        sb_emerge_trainer_destroy(t);
        sb_emerge_model_free(&m);
    }
    return ok;
}

static void test_checkpoints(uint64_t seed)
{
    sb_emerge_data d;
    sb_emerge_data_bb(&d, seed);
    sb_emerge_config c;
    sb_emerge_train_options o;
    tiny(&c, &o, SB_EMERGE_SINK_LEARNED, seed);
    o.threads = 2;
    sb_emerge_model whole, half;
    sb_emerge_trainer *tw = NULL, *th = NULL;
    TK_CHECK(train(&c, &o, &d, &whole, &tw, o.steps, NULL), "uninterrupted run");
    TK_CHECK(train(&c, &o, &d, &half, &th, 13, NULL), "half a run");
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    TK_CHECK(sb_emerge_checkpoint_save(th, path, err, sizeof err) == SB_OK, "save: %s", err);
    sb_emerge_trainer_destroy(th);
    sb_emerge_model_free(&half);
    sb_emerge_model back;
    sb_emerge_trainer *tb = NULL;
    o.threads = 1; /* resuming on another thread count is allowed: it does not change the results */
    TK_CHECK(sb_emerge_checkpoint_load(path, &d, &c, &o, &back, &tb, err, sizeof err) == SB_OK, "load: %s", err);
    if (tb) {
        TK_CHECK(sb_emerge_trainer_steps_done(tb) == 13, "resumes at step 13");
        while (sb_emerge_trainer_steps_done(tb) < o.steps)
            TK_CHECK(sb_emerge_trainer_step(tb, NULL) == SB_OK, "step after resume");
        TK_CHECK(memcmp(back.params, whole.params, whole.n_params * sizeof(float)) == 0 && same_logs(tb, tw),
                 "a resumed run differs from the uninterrupted one");
        sb_emerge_trainer_destroy(tb);
        sb_emerge_model_free(&back);
    }

    /* refusals */
    unsigned char *buf;
    size_t size;
    TK_CHECK(sb_read_file(path, &buf, &size, (size_t)1 << 30), "read back");
    char bad[512];
    snprintf(bad, sizeof bad, "%s/bad.ckpt", dir);
    char e2[256];
    sb_atomic_write_bytes(bad, buf, size / 2, NULL, 0, e2, sizeof e2);
    TK_CHECK(refused(bad, &d, &c, &o, "truncated"), "a truncated checkpoint");
    sb_atomic_write_bytes(bad, buf, 20, NULL, 0, e2, sizeof e2);
    TK_CHECK(refused(bad, &d, &c, &o, "truncated"), "a checkpoint cut inside the header");
    sb_atomic_write_bytes(bad, "{\"not\": \"a checkpoint\"}\n", 25, NULL, 0, e2, sizeof e2);
    TK_CHECK(refused(bad, &d, &c, &o, "not an emerge checkpoint"), "a foreign file");
    buf[size - 7] ^= 0x10;
    sb_atomic_write_bytes(bad, buf, size, NULL, 0, e2, sizeof e2);
    TK_CHECK(refused(bad, &d, &c, &o, "checksum mismatch"), "a flipped bit");
    buf[size - 7] ^= 0x10;
    buf[8] = 9;
    sb_atomic_write_bytes(bad, buf, size, NULL, 0, e2, sizeof e2);
    TK_CHECK(refused(bad, &d, &c, &o, "version 9"), "another version");
    buf[8] = 1;
    sb_atomic_write_bytes(bad, buf, size, "xx", 2, e2, sizeof e2);
    TK_CHECK(refused(bad, &d, &c, &o, "trailing bytes"), "trailing bytes");
    sb_emerge_config c2 = c;
    c2.layers = 3;
    TK_CHECK(refused(path, &d, &c2, &o, "another model configuration"), "a checkpoint of another model");
    sb_emerge_train_options o2 = o;
    o2.lr *= 2;
    TK_CHECK(refused(path, &d, &c, &o2, "other training options"), "a checkpoint with other options");
    snprintf(bad, sizeof bad, "%s/missing.ckpt", dir);
    TK_CHECK(refused(bad, &d, &c, &o, "cannot read"), "a missing file");
    free(buf);
    unlink(path);
    snprintf(bad, sizeof bad, "%s/bad.ckpt", dir);
    unlink(bad);
    sb_emerge_trainer_destroy(tw);
    sb_emerge_model_free(&whole);
    sb_emerge_data_free(&d);
}

/* The study's default quick setting for the bos variant: 1 layer of 1 head, width 64, context 64. */
static void test_sink_forms(uint64_t seed, int short_run)
{
    sb_emerge_data d;
    sb_emerge_data_bb(&d, seed);
    sb_emerge_study_options so;
    sb_emerge_study_options_default(&so, SB_EMERGE_QUICK);
    sb_emerge_config c;
    sb_emerge_config_default(&c);
    c.layers = 1;
    c.heads = 1;
    c.width = 64;
    c.hidden = 256;
    c.context = 64;
    c.sink = SB_EMERGE_SINK_BOS;
    sb_emerge_train_options o;
    sb_emerge_train_options_default(&o);
    o.seed = seed;
    o.steps = short_run ? 60 : so.steps;
    o.tokens_per_step = so.tokens_per_step;
    o.lr = so.lr;
    o.warmup = o.steps / 10;
    o.eval_every = 25;
    o.matmul = so.matmul;
    sb_emerge_model m;
    sb_emerge_trainer *t = NULL;
    TK_CHECK(train(&c, &o, &d, &m, &t, o.steps, NULL), "quick training");
    size_t n;
    const sb_emerge_record *r = sb_emerge_trainer_log(t, &n);
    TK_CHECK(n >= 2 && r[0].step == 0, "measured at step 0 and later");
    printf("bos, 1 layer, T = 64: step 0: Sink_1^0.3 = %.2f, alpha_1 = %.3f; step %zu: Sink_1^0.3 = %.2f, alpha_1 = %.3f, "
           "copy loss %.3f\n", r[0].sink_rate[0][0], r[0].first_mass, r[n - 1].step, r[n - 1].sink_rate[0][0],
           r[n - 1].first_mass, r[n - 1].val_copy_loss);
    /* the control: the criterion is false before training (uniform-ish causal attention: alpha ~ ln(T)/T) */
    TK_CHECK(r[0].sink_rate[0][0] < SB_EMERGE_FORMED, "an untrained model already has a sink: %g", r[0].sink_rate[0][0]);
    if (!short_run) {
        TK_CHECK(r[n - 1].sink_rate[0][0] >= SB_EMERGE_FORMED, "no sink formed at seed %llu: Sink_1^0.3 = %g, alpha %g",
                 (unsigned long long)seed, r[n - 1].sink_rate[0][0], r[n - 1].first_mass);
        TK_CHECK(r[n - 1].first_value_ratio < 0.8, "the BOS value shrinks (value drain): ratio %g", r[n - 1].first_value_ratio);
    }
    /* probes on the trained weights: the repeated-token control forms no sink; removing BOS changes drift */
    sb_emerge_probe_options po;
    sb_emerge_probe_options_default(&po);
    po.sequences = 2;
    po.probes = 2;
    po.kernel_sequences = 1;
    sb_emerge_probe_result p;
    TK_CHECK(sb_emerge_probe(&m, &d, o.matmul, &po, &p) == SB_OK, "probes");
    printf("probes: repeated-token Sink_1^0.3 %.2f (template kept), %.2f (everywhere); drift %.3g trained, %.3g removed; loss %.4f -> %.4f; %zu kernel runs, "
           "%zu skipped\n", p.repeated_rate, p.repeated_plain_rate, p.drift[0][1], p.drift[1][1], p.val_loss[0], p.val_loss[1], p.n_kernels,
           p.n_skipped);
    /* Repeated tokens: a measurement, not an assertion (docs/emerge.md: with BOS kept the dormant head still
     * parks on it); the values must be rates. */
    TK_CHECK(p.repeated_rate >= 0 && p.repeated_rate <= 1 && p.repeated_plain_rate >= 0 && p.repeated_plain_rate <= 1,
             "repeated-token rates %g %g", p.repeated_rate, p.repeated_plain_rate);
    TK_CHECK(p.sink_rate[1] == 0.0, "with BOS masked no head attends to position 0: %g", p.sink_rate[1]);
    TK_CHECK(p.sens[1][0] == 0.0 && p.sens[0][0] > 0.0, "a masked BOS has no influence, an unmasked one has");
    TK_CHECK(p.n_kernels >= 4 * (sb_softmax_kernel_count() - p.n_skipped), "every runnable kernel measured");
    for (size_t i = 0; i < p.n_kernels; i++)
        TK_CHECK(isfinite(p.kernel[i].error[1]) && p.kernel[i].error[1] < 0.05, "%s %s: error %g", p.kernel[i].kernel,
                 p.kernel[i].precision, p.kernel[i].error[1]);
    sb_emerge_probe_result_free(&p);
    sb_emerge_trainer_destroy(t);
    sb_emerge_model_free(&m);
    sb_emerge_data_free(&d);
}

int main(int argc, char **argv)
{
    uint64_t seed = tk_init("test_emerge_train", 20261129);
    int short_run = argc > 1 && !strcmp(argv[1], "--short");
    snprintf(dir, sizeof dir, "%s/sinkbench-emerge-test-%ld", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (long)getpid());
    TK_CHECK(sb_mkdir_p(dir), "scratch folder %s", dir);
    test_data(seed);
    test_arguments();
    test_determinism(seed);
    test_checkpoints(seed);
    test_sink_forms(seed, short_run);
    rmdir(dir);
    return tk_finish("test_emerge_train");
}
