//===- SoftmaxMath.h - online softmax and finalization math -----*- C++ -*-===//
//
// The arithmetic of FlashAttention's row statistics, written once for every
// lowering: the online update of the running max and sum, the sink fold and
// the finalization (1 / l, logsumexp). Every function takes f32 scalars or
// vectors of f32; constants are splat to the operand's type.
//
// Conventions (the dialect reference, "Non-finite values", states them for
// users): a running max of -inf means "no kept score yet"; exponentials are
// then taken relative to 0 instead of the max, so exp(-inf - -inf) = NaN
// never appears and every weight and rescale factor of such a row is 0. A
// row whose sum is 0 finalizes to 0 with logsumexp -inf.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CONVERSION_SOFTMAXMATH_H
#define ATTN_CONVERSION_SOFTMAXMATH_H

#include "mlir/IR/Builders.h"

#include <functional>

namespace attn::codegen {

class SoftmaxMath {
public:
  /// `exp` computes e^x of an f32 scalar or vector (default math.exp; the
  /// GPU lowering passes exp2(x log2 e)).
  using ExpFn = std::function<mlir::Value(mlir::Value)>;
  SoftmaxMath(mlir::OpBuilder &b, mlir::Location loc, ExpFn exp = nullptr);

  /// One step of the online update: the running max after `candidateMax`
  /// joins `oldMax`, the offset its weights are taken relative to, and the
  /// factor alpha that rescales the running sum and accumulator.
  struct Step {
    mlir::Value newMax, offset, alpha;
  };
  Step update(mlir::Value oldMax, mlir::Value candidateMax);
  /// The exponent offset of a running max: the max, or 0 while it is -inf.
  mlir::Value offsetOf(mlir::Value max);
  /// The softmax weight exp(s - offset) of a score.
  mlir::Value weight(mlir::Value score, mlir::Value offset);
  /// exp(s - max), 0 for a masked score (-inf) and while the row is empty
  /// (max = -inf): the values of weight(s, offsetOf(max)) in more
  /// instructions. The GPU's register softmax keeps this form because
  /// ptxas allocates its kernels fewer registers with it, not for a reason
  /// in the math: with weight(), zoo ir_isolation f16/bf16 takes 172
  /// registers instead of 168 on sm_80 (2 blocks per SM instead of 3);
  /// with only the masked select, mla takes 66 instead of 64 (7 instead
  /// of 8). Recheck with scripts/gpu_resources.py before changing it.
  mlir::Value maskedWeight(mlir::Value score, mlir::Value max);
  /// The running sum after a step: l alpha + tileSum.
  mlir::Value rescaleSum(mlir::Value sum, mlir::Value alpha,
                         mlir::Value tileSum);

  /// Merging a partial result whose max is `partialMax` into a running one
  /// whose max is `max` (the LSE merge of split-KV): the new max and the
  /// factors rescaling the running side (alpha) and the partial (beta).
  struct MergeStep {
    mlir::Value newMax, alpha, beta;
  };
  MergeStep merge(mlir::Value max, mlir::Value partialMax);

  /// A sink logit joins the normalizer only: m' = max(m, sink),
  /// l' = l exp(m - m') + exp(sink - m'); the accumulator is rescaled by
  /// exp(m - m'). A row whose m' is -inf stays empty (l' = 0).
  struct SinkFold {
    mlir::Value max, sum, accScale;
  };
  SinkFold foldSink(mlir::Value max, mlir::Value sum, mlir::Value sink);

  /// 1 / l, or 0 for an empty row (l = 0).
  mlir::Value reciprocalOrZero(mlir::Value sum);
  /// max + log(sum), or -inf for a row without weight (sum <= 0).
  mlir::Value logSumExp(mlir::Value max, mlir::Value sum);

  /// The row factors of an affine normalization's output
  /// `scale * acc + valueScale * valueSum`, from the row's weight sum `S`
  /// and kept-key count `N`: subtractive `1` and `(1 - S) / N`; mala
  /// `1 / N + 1 / S` and `-S / N^2`. Both are 0 for a row with `N = 0`
  /// (mala: or `S = 0`), whose accumulator and value sum are 0.
  struct AffineFactors {
    mlir::Value scale, valueScale;
  };
  AffineFactors affineFactors(bool mala, mlir::Value sum, mlir::Value count);
  /// rms_norm's row factor `1 / sqrt(sumOfSquares / columns + eps)`.
  mlir::Value rmsFactor(mlir::Value sumOfSquares, mlir::Value columns,
                        double eps);
  /// An f32 constant of `like`'s type (scalar or splat vector).
  mlir::Value constant(mlir::Type like, double value);
  mlir::Value exp(mlir::Value x);

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
  ExpFn expFn;
};

} // namespace attn::codegen

#endif // ATTN_CONVERSION_SOFTMAXMATH_H
