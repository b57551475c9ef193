/* The same model in binary64: gradient checks and the reference pass of every measurement
 * (model_impl.h). */
#include <stdlib.h>

#define SB_EMERGE_REAL double
#define SB_EMERGE_SUFFIX f64
#define SB_EMERGE_IS_F32 0
#include "model_impl.h"

/* Scratch of the own matmul: a transposed copy of B (K x N values). */
size_t sb_emerge_matmul_scratch(size_t K, size_t N) { return K * N; }
