/* The attention tests' problems come from the shared generator (check/attention_problem.h);
 * this header only adds what differs under qemu. */
#ifndef SINKBENCH_TEST_ATTENTION_PROBLEM_H
#define SINKBENCH_TEST_ATTENTION_PROBLEM_H

#include "check/attention_problem.h"

/* Sizes shrink under qemu (about 30x slower than native). Threads stay at one there: Debian 12's
 * qemu-aarch64 (7.2) hangs in pthread_create (even a minimal program), so the threaded paths are
 * tested natively only. */
#if defined(SB_TEST_EMULATED)
#define TA_BIG 0
#define TA_THREADS(t) ((void)(t), (size_t)1)
#else
#define TA_BIG 1
#define TA_THREADS(t) ((size_t)(t))
#endif

#endif
