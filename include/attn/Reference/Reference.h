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

#include "attn/Dialect/Attn/OperandRoles.h"
#include "attn/Support/NDArray.h"

#include "llvm/Support/Error.h"

#include <array>
#include <cassert>
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
/// present exactly when the op has them, each under its role (the shapes
/// of OperandRoleInfo::shape: bias [B|1, Hq|1, Nq|1, Nk|1], decay
/// [B|1, Hq|1, Nk|1(, D)], q_scale/k_scale [B|1, H|1, 1|ceil(N / block)],
/// ...); captures are in op order.
struct Inputs {
  NDArray query, key, value;
  std::vector<NDArray> captures;

  /// The optional operand in `role` (Bias ... BlockScores).
  std::optional<NDArray> &operator[](OperandRole role) {
    return optional[index(role)];
  }
  const std::optional<NDArray> &operator[](OperandRole role) const {
    return optional[index(role)];
  }

private:
  static unsigned index(OperandRole role) {
    assert(operandRoleInfo(role).optionalOperand() &&
           "an optional single operand of attn.attention");
    return static_cast<unsigned>(role);
  }
  std::array<std::optional<NDArray>, kNumAttentionOperandGroups> optional;
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
