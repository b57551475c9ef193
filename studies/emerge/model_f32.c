/* The model in binary32: training and the kernel-rounding passes (model_impl.h). */
#include <stdlib.h>

#define SB_EMERGE_REAL float
#define SB_EMERGE_SUFFIX f32
#define SB_EMERGE_IS_F32 1
#include "model_impl.h"
