/* What every peer adapter shares: the API rules of docs/numerics.md ("Arguments") and the one way a
 * peer without sink support is given a learned sink.
 *
 * The adapters report the peer's real behaviour on every row (NaN, masked, fully masked, huge gaps):
 * nothing here inspects the values. Only the argument rules every registered kernel follows
 * (sb_softmax_check_args) are applied before the peer runs. */
#ifndef SINKBENCH_PEER_COMMON_H
#define SINKBENCH_PEER_COMMON_H

#include <stddef.h>
#include <sinkbench/sinkbench.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The peer's softmax of one row without a sink; y == x must work. */
typedef sb_status (*sb_peer_row_fn)(const float *x, float *y, size_t n);

/* Checks the arguments, then runs the row. A learned sink (SB_SINK_LOGIT) is handled as users of
 * these libraries do it (gpt-oss's reference code concatenates the sink logit to the scores and drops
 * its column): the row is copied with the sink logit appended, the peer runs on n + 1 entries and
 * the first n outputs are kept. That copy allocates; a failed allocation is SB_ENOMEM. */
sb_status sb_peer_softmax(sb_peer_row_fn row, const float *x, float *y, size_t n, const sb_softmax_params *p);

/* The peer's own batched softmax: `rows` rows of n logits (row r at x + r * x_stride, output at
 * y + r * y_stride, x_stride >= n), no sink, scale or mask, on `threads` threads of the peer's own
 * threading (OpenMP, pthreadpool). y == x with equal strides must work. */
typedef sb_status (*sb_peer_batch_fn)(const float *x, size_t x_stride, float *y, size_t y_stride, size_t rows, size_t n,
                                      size_t threads);

/* A batched call on a peer (sinkbench/softmax_batch.h): checks the descriptor, then runs the peer on
 * it directly when it asks for nothing the peer lacks (scale 1, no mask, no sink, rows not broadcast),
 * else as the peer's users do: each row's scaled and masked logits (sb_softmax_batch_row) and its
 * sink logit as an extra column go into a temporary [rows x (n + 1)] matrix, the peer runs on it and
 * the sink column is dropped. That copy allocates; a failed allocation is SB_ENOMEM. The benchmarks
 * give peers the direct path (scores already scaled and masked, no sink). */
sb_status sb_peer_softmax_batch(sb_peer_batch_fn run, const sb_softmax_batch_desc *d);

/* The CPU check of every peer: a peer dispatches by itself and runs on any CPU this build runs on. */
int sb_peer_runs_here(void);

/* The widest of our ISA names ("avx512", "avx2", "sse2", "neon", "scalar") this CPU runs: the peers
 * dispatch by themselves, and this is what they can use here. */
const char *sb_peer_cpu_isa(void);

#ifdef __cplusplus
}
#endif
#endif
