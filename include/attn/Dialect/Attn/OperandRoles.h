//===- OperandRoles.h - the roles of a spec's operands ----------*- C++ -*-===//
//
// One table of the roles a spec function's arguments play: the operands of
// attn.attention in its ODS order (AttnOps.td), then the gates of
// attn.gated_sum. The runner (binding, names, shapes, random inputs), the
// reference's inputs, the C++ and Python APIs read it; a new operand is a
// new row here, and the static_assert in OperandRoles.cpp fails until the
// table and the op's operand groups agree.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_OPERANDROLES_H
#define ATTN_DIALECT_ATTN_OPERANDROLES_H

#include "mlir/IR/Value.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace attn {
class AttentionOp;

/// attn.attention's operand groups in ODS order (each the index of its
/// group: `AttentionOp::getODSOperands(role)`), then `BranchGate`, which is
/// not an attn.attention operand (a gate of attn.gated_sum).
enum class OperandRole : unsigned {
  Query,
  Key,
  Value,
  Bias,
  QSegmentIds,
  KvSegmentIds,
  BlockLayout,
  AlibiSlopes,
  KHeadMap,
  VHeadMap,
  SinkLogits,
  OutputGate,
  Decay,
  QScale,
  KScale,
  VScale,
  KSalient,
  Rotation,
  LowRankU,
  LowRankW,
  FeatureWeight,
  FeatureBias,
  GateQWeight,
  GateKWeight,
  BlockScores,
  /// The variadic `captures` group (region captures), attn.attention's last.
  Capture,
  BranchGate,
};

/// The number of attn.attention operand groups (Query ... Capture).
inline constexpr unsigned kNumAttentionOperandGroups =
    static_cast<unsigned>(OperandRole::Capture) + 1;

/// What an operand's elements are.
enum class OperandElements { Float, Integer, QueryKeyValue };

struct OperandRoleInfo {
  OperandRole role;
  /// The operand's name in the op (its ODS name, the keyword of its group
  /// in the syntax where the group has one), the runner's and the Python
  /// API's name.
  llvm::StringLiteral name;
  /// The accepted shapes, for messages and docs ("[B|1, Hq|1, Nq|1]").
  llvm::StringLiteral shape;
  OperandElements elements;
  /// Whether the operand is optional (all but Q, K, V).
  bool optional() const {
    return role != OperandRole::Query && role != OperandRole::Key &&
           role != OperandRole::Value;
  }
  /// Whether the role is one attn.attention operand group of at most one
  /// operand (all but Capture and BranchGate): operandOf reads it.
  bool singleOperand() const {
    return role != OperandRole::Capture && role != OperandRole::BranchGate;
  }
  /// An optional single operand (Bias ... BlockScores): what
  /// reference::Inputs holds by role.
  bool optionalOperand() const { return optional() && singleOperand(); }
};

/// Every role, in enum order.
llvm::ArrayRef<OperandRoleInfo> operandRoles();
/// The row of `role`.
const OperandRoleInfo &operandRoleInfo(OperandRole role);
/// The role named `name` (OperandRoleInfo::name), if any.
std::optional<OperandRole> operandRoleNamed(llvm::StringRef name);

/// The operand of `op` in the single-operand group `role` (null when the
/// optional operand is absent). Not for Capture or BranchGate.
mlir::Value operandOf(AttentionOp op, OperandRole role);

} // namespace attn

#endif // ATTN_DIALECT_ATTN_OPERANDROLES_H
