/* Not a test: the measurement behind the trainer's matrix-product choice (docs/emerge.md "Speed").
 * Tokens per second of a full training step (forward, backward, AdamW) with our own loops and with
 * OpenBLAS's cblas_sgemm, on 1 and 2 threads, for the shapes the study trains. Median of 5 timed
 * blocks after a warm-up. SINKBENCH_MEASURE_QUICK=1: the first shape only, one step per block (the smoke test).
 * usage: measure_emerge */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emerge.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    int quick = getenv("SINKBENCH_MEASURE_QUICK") != NULL;
    printf("measure_emerge: seed 20261129; tokens/s of a training step (forward + backward + AdamW)\n");
    static const struct { size_t L, H, T, tok; } shapes[] = {
        {1, 1, 64, 1024}, {2, 4, 64, 2048}, {4, 1, 256, 1024}, {2, 1, 128, 1024}};
    sb_emerge_data d;
    if (sb_emerge_data_bb(&d, 20261129) != SB_OK)
        return 3;
    printf("| layers | heads | width | T | tokens/step | threads | own loops | OpenBLAS | BLAS / own |\n"
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (size_t s = 0; s < (quick ? 1 : sizeof shapes / sizeof *shapes); s++)
        for (size_t threads = 1; threads <= 2; threads++) {
            double rate[2] = {0, 0};
            for (int how = 0; how <= sb_emerge_have_blas(); how++) {
                sb_emerge_config c;
                sb_emerge_config_default(&c);
                c.layers = shapes[s].L;
                c.heads = shapes[s].H;
                c.context = shapes[s].T;
                sb_emerge_train_options o;
                sb_emerge_train_options_default(&o);
                o.seed = 20261129;
                o.tokens_per_step = shapes[s].tok;
                o.threads = threads;
                o.matmul = (sb_emerge_matmul)how;
                o.eval_every = 1000000;
                size_t per = quick ? 1 : 6, blocks = quick ? 1 : 5;
                o.steps = 2 + per * blocks;
                sb_emerge_model m;
                sb_emerge_trainer *t;
                if (sb_emerge_model_init(&m, &c, 1) != SB_OK || sb_emerge_trainer_create(&m, &d, &o, &t) != SB_OK)
                    return 3;
                for (int w = 0; w < 2; w++) /* warm-up (and the step-0 measurement) */
                    if (sb_emerge_trainer_step(t, NULL) != SB_OK)
                        return 3;
                double r[8];
                for (size_t b = 0; b < blocks; b++) {
                    double t0 = now();
                    for (size_t i = 0; i < per; i++)
                        if (sb_emerge_trainer_step(t, NULL) != SB_OK)
                            return 3;
                    r[b] = (double)(per * (o.tokens_per_step / c.context) * c.context) / (now() - t0);
                }
                qsort(r, blocks, sizeof *r, cmp);
                rate[how] = r[blocks / 2];
                sb_emerge_trainer_destroy(t);
                sb_emerge_model_free(&m);
            }
            printf("| %zu | %zu | 64 | %zu | %zu | %zu | %.0f | %s%.0f | %.2f |\n", shapes[s].L, shapes[s].H, shapes[s].T,
                   shapes[s].tok, threads, rate[0], sb_emerge_have_blas() ? "" : "(not built) ", rate[1],
                   rate[0] > 0 ? rate[1] / rate[0] : 0.0);
            fflush(stdout);
        }
    sb_emerge_data_free(&d);
    return 0;
}
