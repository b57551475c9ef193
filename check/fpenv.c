#include "check/fpenv.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
unsigned long sb_fp_control(void) { return _mm_getcsr() & ~0x3fu; } /* bits 0-5: sticky flags */
#elif defined(__aarch64__)
unsigned long sb_fp_control(void)
{
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    return fpcr;
}
#else
unsigned long sb_fp_control(void) { return 0; }
#endif
