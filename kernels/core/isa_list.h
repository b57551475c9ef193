/* The ISA copies this build compiles, as lists every registry, declaration, dispatcher, test and
 * benchmark expands (never restated by hand):
 *   SB_FOR_EACH_ISA(X)         every copy built: X(suffix, ISA its kernels report, CPU check, flags)
 *   SB_FOR_EACH_NATIVE_ISA(X)  the native ISAs, best first (the order dispatch tries them in)
 *   SB_ISA_NATIVE_NAMES        their names as one string, for messages
 * Generated from the one list in cmake/SinkbenchIsa.cmake. The SIMDe emulations (AVX-512 on AVX2,
 * NEON on x86) carry SB_KERNEL_EMULATED: tested, never dispatched. Not installed. */
#ifndef SINKBENCH_ISA_LIST_H
#define SINKBENCH_ISA_LIST_H

#include "sinkbench/cpu.h"
#include "sinkbench/softmax.h"
#include "sinkbench_isa_list.h"

#endif
