// Gemm (alpha, beta, transA, transB, unidirectionally broadcast C) and MatMul (numpy semantics:
// batched broadcast, 1-D operands; an optional third input from the fusion pass is a bias [N]
// added along the last axis). Sums accumulate in double. The fused epilogue (ds.activation;
// ref_fused.h) is applied to the output last.
#include "kernels/ref/ref_fused.h"
#include "kernels/ref/ref_ops.h"

namespace deepshark::ref {

Status run_Gemm(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(2, 1));
  DS_RETURN_IF_ERROR(a.require_dtype(0, DType::F32));
  DS_RETURN_IF_ERROR(a.require_dtype(1, DType::F32));
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, DType::F32));
  const Shape& sa = a.in(0).shape;
  const Shape& sb = a.in(1).shape;
  if (sa.size() != 2 || sb.size() != 2)
    return a.invalid("A and B must be 2-D " + expected_got("rank 2", shape_to_string(sa) + " and " + shape_to_string(sb)));
  const bool ta = a.attrs().get_int("transA", 0) != 0;
  const bool tb = a.attrs().get_int("transB", 0) != 0;
  const double alpha = a.attrs().get_float("alpha", 1.f);
  const double beta = a.attrs().get_float("beta", 1.f);
  const int64_t M = ta ? sa[1] : sa[0], K = ta ? sa[0] : sa[1];
  const int64_t Kb = tb ? sb[1] : sb[0], N = tb ? sb[0] : sb[1];
  if (K != Kb) return a.invalid("inner dimensions differ " + expected_got(std::to_string(K), std::to_string(Kb)));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, {M, N}));
  const bool has_c = a.has_input(2);
  if (has_c) {
    DS_RETURN_IF_ERROR(a.require_dtype(2, DType::F32));
    if (!broadcastable_to(a.in(2).shape, {M, N}))
      return a.invalid("C does not broadcast to the output " +
                       expected_got(shape_to_string({M, N}), shape_to_string(a.in(2).shape)));
  }
  const float* A = a.in(0).as<float>();
  const float* B = a.in(1).as<float>();
  float* Y = a.out(0).as<float>();
  std::optional<BroadcastIndex> ci;
  if (has_c) ci.emplace(a.in(2).shape, Shape{M, N});
  const float* C = has_c ? a.in(2).as<float>() : nullptr;
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0;
      for (int64_t k = 0; k < K; ++k) {
        double av = ta ? A[k * M + i] : A[i * K + k];
        double bv = tb ? B[j * K + k] : B[k * N + j];
        acc += av * bv;
      }
      double v = alpha * acc;
      if (has_c) {
        v += beta * C[ci->offset()];
        ci->next();
      }
      Y[i * N + j] = static_cast<float>(v);
    }
  return apply_fused_epilogue(a);
}

Status run_MatMul(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(2, 1));
  DS_RETURN_IF_ERROR(a.require_dtype(0, DType::F32));
  DS_RETURN_IF_ERROR(a.require_dtype(1, DType::F32));
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, DType::F32));
  Shape sa = a.in(0).shape, sb = a.in(1).shape;
  if (sa.empty() || sb.empty()) return a.invalid("MatMul operands must have rank >= 1");
  const bool a_vec = sa.size() == 1, b_vec = sb.size() == 1;
  if (a_vec) sa.insert(sa.begin(), 1);
  if (b_vec) sb.push_back(1);
  const int64_t M = sa[sa.size() - 2], K = sa.back(), Kb = sb[sb.size() - 2], N = sb.back();
  if (K != Kb) return a.invalid("inner dimensions differ " + expected_got(std::to_string(K), std::to_string(Kb)));
  Shape ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
  auto batch = broadcast_pair(ba, bb);
  if (!batch) return a.invalid("batch dimensions do not broadcast " + expected_got("broadcastable", shape_to_string(ba) + " vs " + shape_to_string(bb)));
  Shape out = *batch;
  if (!a_vec) out.push_back(M);
  if (!b_vec) out.push_back(N);
  DS_RETURN_IF_ERROR(a.check_out_shape(0, out));
  const bool has_bias = a.has_input(2);
  if (has_bias) {
    DS_RETURN_IF_ERROR(a.require_dtype(2, DType::F32));
    if (b_vec || a.in(2).shape != Shape{N})
      return a.invalid("bias must be [N] along the last axis " +
                       expected_got(b_vec ? "a 2-D B" : shape_to_string({N}), shape_to_string(a.in(2).shape)));
  }
  const float* bias = has_bias ? a.in(2).as<float>() : nullptr;

  const float* A = a.in(0).as<float>();
  const float* B = a.in(1).as<float>();
  float* Y = a.out(0).as<float>();
  // Broadcast over batch matrices: index in units of whole matrices.
  BroadcastIndex ia(ba, *batch), ib(bb, *batch);
  const int64_t nb = numel(*batch);
  for (int64_t t = 0; t < nb; ++t) {
    const float* Am = A + ia.offset() * M * K;
    const float* Bm = B + ib.offset() * K * N;
    float* Ym = Y + t * M * N;
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double acc = 0;
        for (int64_t k = 0; k < K; ++k) acc += static_cast<double>(Am[i * K + k]) * Bm[k * N + j];
        // Rounded to float before the bias, as MatMul followed by Add would be.
        Ym[i * N + j] = bias ? static_cast<float>(acc) + bias[j] : static_cast<float>(acc);
      }
    ia.next();
    ib.next();
  }
  return apply_fused_epilogue(a);
}

}  // namespace deepshark::ref
