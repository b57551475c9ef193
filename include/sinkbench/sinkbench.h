/* sinkbench: softmax and attention kernels for sink-dominated rows. Umbrella header. */
#ifndef SINKBENCH_SINKBENCH_H
#define SINKBENCH_SINKBENCH_H
#include "sinkbench/version.h"
#include "sinkbench/status.h"
#include "sinkbench/cpu.h"
#include "sinkbench/softmax.h"
#include "sinkbench/softmax_batch.h"
#include "sinkbench/convert.h"
#include "sinkbench/plugin.h"
#include "sinkbench/attention.h"
#include "sinkbench/dispatch.h"
#endif
