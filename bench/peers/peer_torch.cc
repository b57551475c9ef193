// PyTorch's CPU kernels (libtorch, Debian's libtorch-dev) as a sinkbench plugin: its softmax and the
// attention its users write. C++ is allowed here only because libtorch's API is C++ (docs/benchmarks.md).
//
//   peer_torch_softmax    at::_softmax over one contiguous row: ATen's last-dimension kernel (max; exp
//                         stored; sum; scale by 1/sum, with SLEEF's 1-ulp expf), four passes.
//   peer_torch_softmax_batch  at::_softmax over a [rows x n] tensor with the descriptor's row strides
//                         (dim -1), with ATen's intra-op thread count set to the descriptor's threads:
//                         PyTorch's softmax on a tensor, as an engine calls it.
//   peer_torch_attention  the attention of gpt-oss's PyTorch reference (and of PyTorch's math SDPA, the
//                         only SDPA this libtorch has on CPU): scores = scale q k^T materialised by a
//                         matmul, masks added, the sink logit concatenated as a column, softmax, the
//                         sink's column dropped, then a matmul with V. 16-bit KV caches are converted to
//                         binary32 first (.to(kFloat), exact), as a CPU user does.
//
// Like every peer, no special cases are added: NaN, -inf masks, fully masked rows and huge gaps give
// what PyTorch gives. One thread for the row and attention adapters, the descriptor's count for the
// batch one: ATen's intra-op (OpenMP) thread count is set before each call when it differs; when
// Debian's BLAS alternative is OpenBLAS, its threads are set to 1 on the calling thread.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <cmath>
#include <cstring>
#include <new>

#include "peer_common.h"

namespace {

// ATen's intra-op thread count is one setting for the process: the count last set, 0 before the first.
int threads_set = 0;
thread_local bool blas_one_thread = false;

void use_threads(int threads) {
  if (threads_set != threads) {
    at::set_num_threads(threads);
    threads_set = threads;
  }
  if (blas_one_thread) return;
  // libtorch reaches BLAS through libblas.so.3, whichever alternative is installed: only OpenBLAS
  // starts threads of its own, and it has this entry point. The plugin is loaded with RTLD_LOCAL, so
  // the symbol is looked up in the library itself, not in the global scope.
  if (void* blas = dlopen("libblas.so.3", RTLD_NOW | RTLD_NOLOAD)) {
    using set_fn = void (*)(int);
    if (auto f = reinterpret_cast<set_fn>(dlsym(blas, "openblas_set_num_threads"))) f(1);
    dlclose(blas);
  }
  blas_one_thread = true;
}

// Every libtorch failure (c10::Error, std::bad_alloc) as a status: a peer never throws into C.
template <typename F>
sb_status guarded(F&& f, int threads = 1) {
  try {
    use_threads(threads);
    f();
    return SB_OK;
  } catch (const std::bad_alloc&) {
    return SB_ENOMEM;
  } catch (...) {
    return SB_EUNSUPPORTED;
  }
}

// ---- softmax ------------------------------------------------------------------------------------

sb_status torch_row(const float* x, float* y, size_t n) {
  return guarded([&] {
    at::Tensor in = at::from_blob(const_cast<float*>(x), {static_cast<int64_t>(n)}, at::kFloat);
    if (x == y) {  // ATen refuses an output that aliases its input: in place goes through a copy
      at::Tensor r = at::_softmax(in, 0, false);
      std::memcpy(y, r.data_ptr<float>(), n * sizeof(float));
    } else {
      at::Tensor out = at::from_blob(y, {static_cast<int64_t>(n)}, at::kFloat);
      at::_softmax_out(out, in, 0, false);
    }
  });
}

sb_status peer_torch_softmax(const float* x, float* y, size_t n, const sb_softmax_params* p) {
  return sb_peer_softmax(torch_row, x, y, n, p);
}

sb_status torch_batch(const float* x, size_t xs, float* y, size_t ys, size_t rows, size_t n, size_t threads) {
  return guarded(
      [&] {
        const int64_t r = static_cast<int64_t>(rows), c = static_cast<int64_t>(n);
        at::Tensor in = at::from_blob(const_cast<float*>(x), {r, c}, {static_cast<int64_t>(xs), 1}, at::kFloat);
        at::Tensor out = at::from_blob(y, {r, c}, {static_cast<int64_t>(ys), 1}, at::kFloat);
        if (x == y)  // ATen refuses an output that aliases its input: in place goes through a copy
          out.copy_(at::_softmax(in, 1, false));
        else
          at::_softmax_out(out, in, 1, false);
      },
      static_cast<int>(threads));
}

sb_status peer_torch_softmax_batch(const sb_softmax_batch_desc* d) { return sb_peer_softmax_batch(torch_batch, d); }

// ---- attention ----------------------------------------------------------------------------------

at::ScalarType kv_scalar(sb_kv_type t) {
  return t == SB_KV_F16 ? at::kHalf : t == SB_KV_BF16 ? at::kBFloat16 : at::kFloat;
}

// The cache of all KV heads [H_kv][n][d] as binary32: a view of an f32 cache, a converted copy of a
// 16-bit one.
at::Tensor kv_cache(const void* base, const sb_attention_desc* d, size_t stride_head, size_t stride_token) {
  const int64_t hkv = static_cast<int64_t>(d->n_kv_heads), n = static_cast<int64_t>(d->n_keys),
                hd = static_cast<int64_t>(d->head_dim);
  if (n == 0) return at::zeros({hkv, 0, hd}, at::kFloat);
  at::Tensor t = at::from_blob(const_cast<void*>(base), {hkv, n, hd},
                               {static_cast<int64_t>(stride_head), static_cast<int64_t>(stride_token), 1},
                               at::TensorOptions().dtype(kv_scalar(d->kv_type)));
  return d->kv_type == SB_KV_F32 ? t : t.to(at::kFloat);
}

// Keys a query may not see under the structural rules (causal, window with sink tokens): true where
// hidden, [n_queries][n]; an undefined tensor when neither rule is set. The rule is the library's own
// (sb_attention_key_visible), so the peer gets exactly the keys the contract says are visible.
at::Tensor structural_mask(const sb_attention_desc* d) {
  if (!(d->flags & SB_ATTENTION_CAUSAL) && d->window == 0) return at::Tensor();
  const int64_t nq = static_cast<int64_t>(d->n_queries), n = static_cast<int64_t>(d->n_keys);
  at::Tensor m = at::zeros({nq, n}, at::kBool);
  bool* p = m.data_ptr<bool>();
  for (int64_t i = 0; i < nq; ++i) {
    for (int64_t j = 0; j < n; ++j)
      p[i * n + j] = !sb_attention_key_visible(d, static_cast<size_t>(i), static_cast<size_t>(j));
  }
  return m;
}

sb_status peer_torch_attention(const sb_attention_desc* d) {
  sb_status st = sb_attention_check(d);
  if (st != SB_OK || d->n_queries == 0) return st;
  return guarded([&] {
    const int64_t h = static_cast<int64_t>(d->n_heads), hkv = static_cast<int64_t>(d->n_kv_heads),
                  grp = h / hkv, hd = static_cast<int64_t>(d->head_dim), n = static_cast<int64_t>(d->n_keys),
                  nq = static_cast<int64_t>(d->n_queries);
    const auto f32 = at::TensorOptions().dtype(at::kFloat);
    at::Tensor q = at::from_blob(const_cast<float*>(d->q), {nq, h, hd},
                                 {static_cast<int64_t>(d->q_stride_token), static_cast<int64_t>(d->q_stride_head), 1}, f32);
    at::Tensor out = at::from_blob(d->out, {nq, h, hd},
                                   {static_cast<int64_t>(d->out_stride_token), static_cast<int64_t>(d->out_stride_head), 1}, f32);
    at::Tensor k = kv_cache(d->k, d, d->k_stride_head, d->k_stride_token);
    at::Tensor v = kv_cache(d->v, d, d->v_stride_head, d->v_stride_token);
    at::Tensor hidden = structural_mask(d);
    at::Tensor add_mask;
    if (d->mask && n > 0)
      add_mask = at::from_blob(const_cast<float*>(d->mask), {nq, n}, {static_cast<int64_t>(d->mask_stride), 1}, f32);
    at::Tensor sinks;
    if (d->sink == SB_ATTENTION_SINK_LOGITS)
      sinks = at::from_blob(const_cast<float*>(d->sink_logits), {h, 1, 1}, f32);
    else if (d->sink == SB_ATTENTION_SINK_SOFTMAX1)
      sinks = at::zeros({h, 1, 1}, f32);

    // One KV head at a time: its query heads' scores [grp][nq][n] stay the only large temporary.
    for (int64_t g = 0; g < hkv; ++g) {
      at::Tensor qg = q.narrow(1, g * grp, grp).permute({1, 0, 2}).reshape({grp * nq, hd});
      at::Tensor s = at::matmul(qg, k[g].t()).mul_(d->scale).view({grp, nq, n});
      if (add_mask.defined()) s.add_(add_mask);
      if (hidden.defined()) s.masked_fill_(hidden, -INFINITY);
      if (sinks.defined()) s = at::cat({s, sinks.narrow(0, g * grp, grp).expand({grp, nq, 1})}, -1);
      at::Tensor w = at::softmax(s, -1).narrow(-1, 0, n);
      out.narrow(1, g * grp, grp).permute({1, 0, 2}).copy_(at::matmul(w, v[g]));
    }
  });
}

}  // namespace

extern "C" sb_status sinkbench_plugin_register(void);
extern "C" sb_status sinkbench_plugin_register(void) {
  sb_softmax_kernel sk = {"peer_torch_softmax", sb_peer_cpu_isa(), "four_pass", sb_peer_runs_here,
                          peer_torch_softmax, -1.0, SB_KERNEL_PEER};
  sb_status st = sb_softmax_register(&sk);
  if (st != SB_OK) return st;
  sb_softmax_batch_kernel bk = {"peer_torch_softmax_batch", sb_peer_cpu_isa(), "four_pass", sb_peer_runs_here,
                                peer_torch_softmax_batch, -1.0, SB_KERNEL_PEER, nullptr};
  st = sb_softmax_batch_register(&bk);
  if (st != SB_OK) return st;
  sb_attention_kernel ak = {"peer_torch_attention", sb_peer_cpu_isa(), "materialized", sb_peer_runs_here,
                            peer_torch_attention, nullptr, "study (a peer: claims nothing, measured)",
                            SB_KERNEL_PEER};
  return sb_attention_register(&ak);
}
