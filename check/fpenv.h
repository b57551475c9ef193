/* The floating-point control state a kernel must leave as it found it (rounding mode, FTZ/DAZ on
 * x86's MXCSR; rounding mode, FZ, DN on aarch64's FPCR). Sticky exception flags are excluded. */
#ifndef SINKBENCH_FPENV_H
#define SINKBENCH_FPENV_H
unsigned long sb_fp_control(void);
#endif
