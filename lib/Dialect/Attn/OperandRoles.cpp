//===- OperandRoles.cpp - the roles of a spec's operands ------------------===//

#include "attn/Dialect/Attn/OperandRoles.h"

#include "attn/Dialect/Attn/AttnDialect.h"

#include <tuple>

using namespace attn;

// A new operand group of attn.attention needs its row below (at its ODS
// position): the op's operand segments and the table must agree.
static_assert(std::tuple_size<AttentionOp::Properties::operandSegmentSizesTy>::
                      value == kNumAttentionOperandGroups,
              "attn.attention's operand groups and OperandRole disagree");

namespace {
using R = OperandRole;
using E = OperandElements;
constexpr OperandRoleInfo kRoles[] = {
    {R::Query, "query", "[B, Hq, Nq, D]", E::QueryKeyValue},
    {R::Key, "key", "[B, Hk, Nk, D]", E::QueryKeyValue},
    {R::Value, "value", "[B, Hv, Nk, Dv]", E::QueryKeyValue},
    {R::Bias, "bias", "[B|1, Hq|1, Nq|1, Nk|1]", E::Float},
    {R::QSegmentIds, "q_segment_ids", "[B, Nq]", E::Integer},
    {R::KvSegmentIds, "kv_segment_ids", "[B, Nk]", E::Integer},
    {R::BlockLayout, "block_layout", "[B|1, Hq|1, NQB, NKB]", E::Integer},
    {R::AlibiSlopes, "alibi_slopes", "[Hq]", E::Float},
    {R::KHeadMap, "k_head_map", "[Hq] or [B|1, Hq]", E::Integer},
    {R::VHeadMap, "v_head_map", "[Hq] or [B|1, Hq]", E::Integer},
    {R::SinkLogits, "sink_logits", "[Hq]", E::Float},
    {R::OutputGate, "output_gate", "[B|1, Hq|1, Nq|1] or [B|1, Hq|1, Nq|1, Dv]",
     E::Float},
    {R::Decay, "decay", "[B|1, Hq|1, Nk|1] or [B|1, Hq|1, Nk|1, D]", E::Float},
    {R::QScale, "q_scale", "[B|1, Hq|1, T]", E::Float},
    {R::KScale, "k_scale", "[B|1, Hk|1, T]", E::Float},
    {R::VScale, "v_scale", "[B|1, Hv|1, T] or [B|1, Hv|1, Dv]", E::Float},
    {R::KSalient, "k_salient", "[B|1, Hk|1, T]", E::Integer},
    {R::Rotation, "rotation", "[Hk|1, D, D]", E::Float},
    {R::LowRankU, "low_rank_u", "[Hq|1, D, R]", E::Float},
    {R::LowRankW, "low_rank_w", "[Hk|1, D, R]", E::Float},
    {R::FeatureWeight, "feature_weight", "[Hq|1, F, D]", E::Float},
    {R::FeatureBias, "feature_bias", "[Hq|1, F]", E::Float},
    {R::GateQWeight, "gate_q_weight", "[Hq|1, D, Dg]", E::Float},
    {R::GateKWeight, "gate_k_weight", "[Hk|1, P*D, Dg]", E::Float},
    {R::BlockScores, "block_scores", "[B|1, Hk|1, NKB] or [B|1, Hk|1, NQB, NKB]",
     E::Float},
    {R::Capture, "capture", "any ranked tensor", E::Float},
    {R::BranchGate, "branch_gate", "[B|1, Hq|1, Nq|1] or [B|1, Hq|1, Nq|1, Dv]",
     E::Float},
};
} // namespace

static_assert(std::size(kRoles) ==
                  static_cast<size_t>(OperandRole::BranchGate) + 1,
              "one row per OperandRole");

llvm::ArrayRef<OperandRoleInfo> attn::operandRoles() { return kRoles; }

const OperandRoleInfo &attn::operandRoleInfo(OperandRole role) {
  const OperandRoleInfo &info = kRoles[static_cast<unsigned>(role)];
  assert(info.role == role && "the table is in enum order");
  return info;
}

std::optional<OperandRole> attn::operandRoleNamed(llvm::StringRef name) {
  for (const OperandRoleInfo &info : kRoles)
    if (info.name == name)
      return info.role;
  return std::nullopt;
}

mlir::Value attn::operandOf(AttentionOp op, OperandRole role) {
  assert(operandRoleInfo(role).singleOperand() &&
         "a single-operand group of attn.attention");
  mlir::Operation::operand_range group =
      op.getODSOperands(static_cast<unsigned>(role));
  return group.empty() ? mlir::Value() : group.front();
}
