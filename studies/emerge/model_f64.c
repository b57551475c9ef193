/* The same model in binary64: gradient checks and the reference pass of every measurement
 * (model_impl.h). */
#include <stdlib.h>

#define SB_EMERGE_REAL double
#define SB_EMERGE_SUFFIX f64
#define SB_EMERGE_IS_F32 0
#include "model_impl.h"
