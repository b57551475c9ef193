/* The model in binary32: training and the kernel-rounding passes (model_impl.h). */
#include <stdlib.h>

#define SB_EMERGE_REAL float
#define SB_EMERGE_SUFFIX f32
#define SB_EMERGE_IS_F32 1
#include "model_impl.h"

int sb_emerge_have_blas(void)
{
#ifdef SB_EMERGE_HAVE_BLAS
    return 1;
#else
    return 0;
#endif
}
