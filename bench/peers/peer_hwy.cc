// A softmax built on Highway's Exp (hwy/contrib/math, 1 ulp), with Highway's dynamic dispatch, as a
// sinkbench plugin. Structure as in gemma.cpp: three passes (max; exp(x - max) stored and summed in
// binary32 lanes; multiply by 1/sum). No special cases: NaN, -inf and huge gaps give whatever this
// code gives. C++ is allowed here only because Highway is a C++ library (docs/benchmarks.md).

#include <math.h>
#include <stddef.h>
#include <string.h>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "peer_hwy.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace sinkbench_peer {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void HwySoftmaxRow(const float* x, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  HWY_ALIGN float tail[HWY_MAX_BYTES / sizeof(float)];
  const size_t body = n - n % N, rest = n - body;

  auto vmax = hn::Set(d, -INFINITY);
  for (size_t i = 0; i < body; i += N) vmax = hn::Max(vmax, hn::LoadU(d, x + i));
  float m = hn::GetLane(hn::MaxOfLanes(d, vmax));
  for (size_t i = body; i < n; ++i) m = x[i] > m ? x[i] : m;

  const auto vm = hn::Set(d, m);
  auto vsum = hn::Zero(d);
  for (size_t i = 0; i < body; i += N) {
    const auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, x + i), vm));
    hn::StoreU(e, d, y + i);
    vsum = hn::Add(vsum, e);
  }
  if (rest) {
    // The remainder in a vector of its own (unused lanes zeroed after exp), never read past the row.
    for (size_t j = 0; j < N; ++j) tail[j] = j < rest ? x[body + j] : m;
    const auto e = hn::IfThenElseZero(hn::FirstN(d, rest), hn::Exp(d, hn::Sub(hn::Load(d, tail), vm)));
    hn::Store(e, d, tail);
    memcpy(y + body, tail, rest * sizeof(float));
    vsum = hn::Add(vsum, e);
  }
  const float s = hn::GetLane(hn::SumOfLanes(d, vsum));

  const auto inv = hn::Set(d, 1.0f / s);
  for (size_t i = 0; i < body; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, y + i), inv), d, y + i);
  for (size_t i = body; i < n; ++i) y[i] *= 1.0f / s;
}

}  // namespace HWY_NAMESPACE
}  // namespace sinkbench_peer
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "peer_common.h"

namespace sinkbench_peer {
HWY_EXPORT(HwySoftmaxRow);

static sb_status hwy_row(const float* x, float* y, size_t n) {
  HWY_DYNAMIC_DISPATCH(HwySoftmaxRow)(x, y, n);
  return SB_OK;
}

static sb_status peer_hwy(const float* x, float* y, size_t n, const sb_softmax_params* p) {
  return sb_peer_softmax(hwy_row, x, y, n, p);
}

// Our ISA name for the target Highway's dispatch picks on this CPU (the best one compiled in).
static const char* isa_name(void) {
  const int64_t targets = hwy::SupportedTargets() & HWY_TARGETS;
  const int64_t best = targets & -targets;
#if HWY_ARCH_X86
  if (best == HWY_AVX3 || best == HWY_AVX3_DL) return "avx512";
  if (best == HWY_AVX2) return "avx2";
  if (best == HWY_SSE4 || best == HWY_SSSE3) return "sse4";
#endif
#if HWY_ARCH_ARM
  if (best == HWY_NEON) return "neon";
#endif
  return "scalar";
}
}  // namespace sinkbench_peer

extern "C" sb_status sinkbench_plugin_register(void);
extern "C" sb_status sinkbench_plugin_register(void) {
  sb_softmax_kernel k = {"peer_hwy_exp", sinkbench_peer::isa_name(), "three_pass", sb_peer_runs_here,
                         sinkbench_peer::peer_hwy, -1.0, SB_KERNEL_PEER};
  return sb_softmax_register(&k);
}
#endif  // HWY_ONCE
