//===- Reference.h - float64 reference evaluator ---------------*- C++ -*-===//
//
// Evaluates an attn.attention op naively, element by element, in double
// precision: masks, score modifications and regions are interpreted per
// (b, h, i, j). It shares no code with tiling, vectorization or code
// generation: it is the oracle every numeric test compares against.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_REFERENCE_REFERENCE_H
#define ATTN_REFERENCE_REFERENCE_H

#include "attn/Support/NDArray.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <vector>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace attn {
class AttentionOp;

namespace reference {

/// Concrete operands of one attn.attention op. Arrays may have any dtype;
/// they are read through NDArray::getDouble. Optional operands must be
/// present exactly when the op has them; captures are in op order.
struct Inputs {
  NDArray query, key, value;
  std::optional<NDArray> bias, qSegmentIds, kvSegmentIds, blockLayout,
      alibiSlopes;
  std::vector<NDArray> captures;
  /// k_head_map, v_head_map, sink_logits, output_gate.
  std::optional<NDArray> kHeadMap, vHeadMap, sinkLogits, outputGate;
  /// The decay per key position of linear attention, [B|1, Hq|1, Nk].
  std::optional<NDArray> decay;
  /// Scales of quantized Q and K, [B|1, H|1, 1|ceil(N / block)].
  std::optional<NDArray> qScale, kScale;
  /// Scales of a pre-quantized V (#attn.quantized_v), [B|1, Hv|1, T] per
  /// token block (T 1 or ceil(Nk / block)) or [B|1, Hv|1, Dv] per channel.
  std::optional<NDArray> vScale;
  /// The salient flags of key blocks (mixed precision),
  /// [B|1, Hk|1, 1|ceil(Nk / k_block)], 0 or 1.
  std::optional<NDArray> kSalient;
  /// The rotation [Hk|1, D, D] of the float Q and K of quantized Q K^T.
  std::optional<NDArray> rotation;
  /// The factors [Hq|1, D, R] and [Hk|1, D, R] of a low_rank score term.
  std::optional<NDArray> lowRankU, lowRankW;
  /// The weight [Hq|1, F, D] and bias [Hq|1, F] of a learned feature map
  /// (#attn.feature_map<hedgehog>).
  std::optional<NDArray> featureWeight, featureBias;
  /// The projections [Hq|1, D, Dg] and [Hk|1, P*D, Dg] of a learned block
  /// gate (#attn.topk_blocks<..., gate = learned>).
  std::optional<NDArray> gateQWeight, gateKWeight;
  /// The caller's block scores [B|1, Hk|1, ceil(Nk / block)] of a given
  /// block gate (#attn.topk_blocks<..., gate = given>).
  std::optional<NDArray> blockScores;
};

/// Results in float64: output [B, Hq, Nq, Dv] and, when the op has it, the
/// logsumexp [B, Hq, Nq] (-inf for fully masked rows).
struct Outputs {
  NDArray output;
  std::optional<NDArray> lse;
  /// With #attn.quantized_qk<pv = int8>: per output element,
  /// |gate| * (1 / 255) * sum_j |vq[j, c] * sv[c]| / l over the row's kept
  /// keys, the derived bound between this output and a kernel that
  /// quantizes the weights with a running max (each weight within 1/255 of
  /// the reference's, see the attribute), before f32 rounding. With
  /// pv = fp8_e4m3 / fp8_e5m2, the same per element for FP8 weights and
  /// values (docs/pipeline.md, "FP8 P V on the CPU").
  std::optional<NDArray> quantizedPVBound = std::nullopt;
};

/// Evaluates `op` on `inputs`. Shape mismatches against the op's types and
/// between operands, out-of-range capture indices and unsupported region ops
/// are returned as errors (never asserts).
llvm::Expected<Outputs> evaluate(AttentionOp op, const Inputs &inputs);

/// The key blocks the op's selection (`#attn.topk_blocks`) keeps for every
/// query token, evaluated like `evaluate` does: flags [B, Hq, Nq,
/// ceil(Nk / block)] of dtype i8, 1 for a selected block. An error when the
/// op has no selection or the inputs do not match it.
llvm::Expected<NDArray> selectedBlocks(AttentionOp op, const Inputs &inputs);

/// Evaluates a whole spec function on `args` (one per function argument),
/// op by op: its attn.attention ops (branches) by `evaluate`, attn.merge,
/// attn.gated_sum and attn.pool_blocks element by element in float64.
/// Returns the function's results in float64 (f64 arrays), in order. An
/// error for any other op in the body, or operands that do not match.
llvm::Expected<std::vector<NDArray>> evaluateFunction(mlir::func::FuncOp func,
                                                      llvm::ArrayRef<NDArray> args);

} // namespace reference
} // namespace attn

#endif // ATTN_REFERENCE_REFERENCE_H
