#include <math.h>
#include <stdio.h>

#include <sinkbench/sinkbench.h>

int main(void)
{
    float x[5] = {8.0f, 0.5f, 0.25f, -1.0f, -INFINITY}, y[5];
    sb_softmax_params sink = {SB_SINK_LOGIT, 0.0f}; /* softmax_1 */
    sb_status st = sb_softmax_f32(x, y, 5, &sink);
    if (st != SB_OK) {
        fprintf(stderr, "consumer: %s\n", sb_status_str(st));
        return 1;
    }
    double sum = 0;
    for (int i = 0; i < 5; i++)
        sum += y[i];
    double want = 1.0 - 1.0 / (1.0 + exp(8.0) + exp(0.5) + exp(0.25) + exp(-1.0));
    printf("consumer: sinkbench %s, %zu kernels, sum %.9f (want %.9f), y[4] = %g\n", sb_version(),
           sb_softmax_kernel_count(), sum, want, y[4]);
    return fabs(sum - want) < 1e-6 && y[4] == 0.0f ? 0 : 1;
}
