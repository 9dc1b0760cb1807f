//===- AttnOps.cpp - attn dialect operations ------------------------------===//

#include "attn/Dialect/Attn/AttnDialect.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace attn;

#define GET_OP_CLASSES
#include "attn/Dialect/Attn/AttnOpInterfaces.cpp.inc"
#include "attn/Dialect/Attn/AttnOps.cpp.inc"

NormalizationKind AttentionOp::getNormalizationKind() {
  if (NormalizationAttr norm = getNormalizationAttr())
    return norm.getKind();
  return NormalizationKind::Softmax;
}

bool AttentionOp::needsTwoPasses() {
  if (getWeightMod().empty())
    return false;
  NormalizationAttr norm = getNormalizationAttr();
  return getNormalizationKind() == NormalizationKind::Softmax ||
         (norm && norm.getL1());
}

namespace {
/// Named dimension extents of an attention problem; kDynamic when unknown.
struct Extents {
  int64_t b, hq, hkv, nq, nk, d, dv;
};
} // namespace

static bool known(int64_t v) { return !ShapedType::isDynamic(v); }

/// Checks that `actual` equals `expected` when both are static.
static LogicalResult checkDim(Operation *op, StringRef what, unsigned dim,
                              int64_t actual, int64_t expected,
                              StringRef meaning) {
  if (known(actual) && known(expected) && actual != expected)
    return op->emitOpError() << what << " dimension " << dim << " (" << meaning
                             << ") is " << actual << " but must be "
                             << expected;
  return success();
}

/// Like checkDim, but extent 1 broadcasts.
static LogicalResult checkBroadcastDim(Operation *op, StringRef what,
                                       unsigned dim, int64_t actual,
                                       int64_t expected, StringRef meaning) {
  if (actual == 1)
    return success();
  if (known(actual) && known(expected) && actual != expected) {
    InFlightDiagnostic diag = op->emitOpError();
    diag << what << " dimension " << dim << " (" << meaning << ") is "
         << actual << " but must be ";
    if (expected != 1)
      diag << "1 or ";
    return diag << expected;
  }
  return success();
}

static int64_t ceilDivStatic(int64_t a, int64_t b) {
  return known(a) ? (a + b - 1) / b : ShapedType::kDynamic;
}

void attn::walkMasks(MaskAttrInterface mask,
                     llvm::function_ref<void(MaskAttrInterface)> fn) {
  if (!mask)
    return;
  fn(mask);
  if (auto a = dyn_cast<AndMaskAttr>(mask))
    for (MaskAttrInterface m : a.getMasks())
      walkMasks(m, fn);
  else if (auto o = dyn_cast<OrMaskAttr>(mask))
    for (MaskAttrInterface m : o.getMasks())
      walkMasks(m, fn);
  else if (auto n = dyn_cast<NotMaskAttr>(mask))
    walkMasks(n.getMask(), fn);
  else if (auto p = dyn_cast<PerHeadMaskAttr>(mask))
    for (Attribute m : p.getMasks())
      walkMasks(cast<MaskAttrInterface>(m), fn);
}

/// A gate per key channel (GLA): one per feature of phi, so the map must
/// keep the head dimension, and the gate sits inside the score, so nothing
/// may modify the score after it.
static LogicalResult verifyChannelDecay(AttentionOp op, RankedTensorType dType,
                                        const Extents &e) {
  if (failed(checkDim(op, "decay", 3, dType.getDimSize(3), e.d,
                      "head_dim of the query: one gate per key channel")))
    return failure();
  FeatureMapAttr map = op.getFeatureMapAttr();
  if (map && !map.keepsFeatureDim())
    return op.emitOpError() << "a decay per key channel needs a feature map "
                               "that keeps the head dimension, not "
                            << map;
  if (op.getBias() || op.getScoreModsAttr() || !op.getScoreMod().empty() ||
      !op.getWeightMod().empty())
    return op.emitOpError() << "a decay per key channel (rank 4) gates the "
                               "score itself: it cannot be combined with a "
                               "bias, score_mods, a score_mod or a weight_mod";
  return success();
}

/// The decay operand: [B|1, Hq|1, Nk|1] floats (a scalar per key), or
/// [B|1, Hq|1, Nk|1, D] (a gate per key channel, GLA), with the identity
/// normalization and a causal mask (the product runs over keys j+1..p).
static LogicalResult verifyDecayOperand(AttentionOp op, Value decay,
                                        const Extents &e) {
  auto dType = cast<RankedTensorType>(decay.getType());
  if (!isa<FloatType>(dType.getElementType()) ||
      (dType.getRank() != 3 && dType.getRank() != 4))
    return op.emitOpError() << "decay must be a floating-point tensor of rank "
                               "3 [batch, query heads, key length] or 4 "
                               "[batch, query heads, key length, head_dim] "
                               "(extent 1 broadcasts but for head_dim), got "
                            << dType;
  if (failed(checkBroadcastDim(op, "decay", 0, dType.getDimSize(0), e.b,
                               "batch")) ||
      failed(checkBroadcastDim(op, "decay", 1, dType.getDimSize(1), e.hq,
                               "query heads")) ||
      failed(checkBroadcastDim(op, "decay", 2, dType.getDimSize(2), e.nk,
                               "key length")))
    return failure();
  if (dType.getRank() == 4 && failed(verifyChannelDecay(op, dType, e)))
    return failure();
  if (op.getNormalizationKind() != NormalizationKind::Identity)
    return op.emitOpError() << "decay needs the identity normalization "
                               "(optionally with l1), not "
                            << stringifyNormalizationKind(
                                   op.getNormalizationKind());
  auto isCausal = [](Attribute m) { return isa_and_nonnull<CausalMaskAttr>(m); };
  bool causal = isCausal(op.getMaskAttr());
  if (auto all = dyn_cast_or_null<AndMaskAttr>(op.getMaskAttr()))
    causal = llvm::any_of(all.getMasks(), isCausal);
  if (!causal)
    return op.emitOpError() << "decay needs a causal mask (#attn.causal, "
                               "alone or inside #attn.and): the decay of key "
                               "j runs over the keys after j up to the query";
  return success();
}

/// The feature map's weight [Hq|1, F, D] and bias [Hq|1, F] operands:
/// given exactly for a map that reads them (hedgehog), float, F >= 1.
static LogicalResult verifyFeatureMapOperands(AttentionOp op,
                                              const Extents &e) {
  FeatureMapAttr map = op.getFeatureMapAttr();
  Value weight = op.getFeatureWeight(), bias = op.getFeatureBias();
  if (!map || !map.hasWeights()) {
    if (!weight && !bias)
      return success();
    InFlightDiagnostic diag = op.emitOpError();
    diag << "feature_map weight and bias operands are given but ";
    if (!map)
      return diag << "there is no feature_map";
    return diag << "#attn.feature_map<"
                << stringifyFeatureMapKind(map.getKind())
                << "> takes none (only hedgehog does)";
  }
  if (!weight || !bias)
    return op.emitOpError()
           << "#attn.feature_map<hedgehog> needs its weight and bias "
              "operands: feature_map(#attn.feature_map<hedgehog>, %w, %b : "
              "tensor<Hq x F x D x f>, tensor<Hq x F x f>)";
  auto wType = cast<RankedTensorType>(weight.getType());
  auto bType = cast<RankedTensorType>(bias.getType());
  if (!isa<FloatType>(wType.getElementType()) || wType.getRank() != 3)
    return op.emitOpError() << "the feature_map weight must be a rank-3 "
                               "floating-point tensor [query heads (or 1), "
                               "features F, head_dim], got "
                            << wType;
  if (!isa<FloatType>(bType.getElementType()) || bType.getRank() != 2)
    return op.emitOpError() << "the feature_map bias must be a rank-2 "
                               "floating-point tensor [query heads (or 1), "
                               "features F], got "
                            << bType;
  int64_t f = wType.getDimSize(1);
  if (known(f) && f == 0)
    return op.emitOpError() << "the feature_map weight has 0 features (F, "
                               "dimension 1): F must be at least 1";
  if (failed(checkBroadcastDim(op, "feature_map weight", 0,
                               wType.getDimSize(0), e.hq, "query heads")) ||
      failed(checkDim(op, "feature_map weight", 2, wType.getDimSize(2), e.d,
                      "head_dim")) ||
      failed(checkBroadcastDim(op, "feature_map bias", 0, bType.getDimSize(0),
                               e.hq, "query heads")) ||
      failed(checkDim(op, "feature_map bias", 1, bType.getDimSize(1), f,
                      "features F of the weight")))
    return failure();
  return success();
}

/// A key map over the whole key sequence (sequence_softmax,
/// sequence_scale) is a non-causal normalization of K: every query would
/// read every key through it, so no causal mask anywhere in the mask (a
/// decay needs one, so it is refused too).
static LogicalResult verifySequenceKeyMap(AttentionOp op) {
  FeatureMapAttr map = op.getFeatureMapAttr();
  if (!map || !map.hasSequenceKeys())
    return success();
  StringRef name = stringifyFeatureMapKind(map.getKeyKind());
  bool causal = false;
  if (auto mask = dyn_cast_or_null<MaskAttrInterface>(op.getMaskAttr()))
    walkMasks(mask, [&](MaskAttrInterface m) {
      causal |= isa<CausalMaskAttr>(m);
    });
  if (causal)
    return op.emitOpError()
           << "keys = " << name
           << " normalizes each key feature over all the keys, which a "
              "causal mask forbids (there is no causal or chunked form of "
              "it); use it without #attn.causal";
  return success();
}

/// The key maps that read the queries (query_weighted, flow) reduce over
/// all the queries and keys of a head: non-causal, like the sequence
/// maps; their prologue reads the key head of the GQA shapes, and flow's
/// row factor takes the place of a rank-3 output gate.
static LogicalResult verifyCrossKeyMap(AttentionOp op) {
  FeatureMapAttr map = op.getFeatureMapAttr();
  if (!map || !map.hasCrossKeys())
    return success();
  StringRef name = stringifyFeatureMapKind(map.getKeyKind());
  bool causal = false;
  if (auto mask = dyn_cast_or_null<MaskAttrInterface>(op.getMaskAttr()))
    walkMasks(mask, [&](MaskAttrInterface m) {
      causal |= isa<CausalMaskAttr>(m);
    });
  if (causal || op.getDecay())
    return op.emitOpError()
           << "keys = " << name
           << " weights each key from all the queries and keys, which "
           << (causal ? "a causal mask" : "a decay (causal)")
           << " forbids (there is no causal or chunked form of it)";
  if (op.getKHeadMap())
    return op.emitOpError()
           << "keys = " << name
           << " reads the key head of the GQA shapes; a k_head_map is not "
              "supported with it";
  if (map.hasRowGate() && op.getOutputGate())
    return op.emitOpError()
           << "keys = flow multiplies each output row by its allocation "
              "factor, which takes the place of the output_gate; the two "
              "cannot be combined";
  return success();
}

/// The projections of a learned block gate: Wq [Hq|1, D, Dg] and Wk
/// [Hk|1, P*D, Dg], given exactly when the selection's gate is learned.
static LogicalResult verifyGateWeights(AttentionOp op, const Extents &e) {
  TopKBlocksAttr selection = op.getSelectionAttr();
  Value wq = op.getGateQWeight(), wk = op.getGateKWeight();
  if (!selection || !selection.isLearned()) {
    if (!wq && !wk)
      return success();
    return op.emitOpError()
           << "gate weight operands are given but "
           << (selection ? "the selection's gate is not learned (gate = "
                           "learned takes them)"
                         : "there is no selection");
  }
  if (!wq || !wk)
    return op.emitOpError()
           << "a learned selection gate needs its projections: "
              "selection(#attn.topk_blocks<..., gate = learned>, %wq, %wk : "
              "tensor<Hq x D x Dg x f>, tensor<Hk x P*D x Dg x f>)";
  auto wqType = cast<RankedTensorType>(wq.getType());
  auto wkType = cast<RankedTensorType>(wk.getType());
  for (auto [name, type] : {std::make_pair("gate_q_weight", wqType),
                            std::make_pair("gate_k_weight", wkType)})
    if (!isa<FloatType>(type.getElementType()) || type.getRank() != 3)
      return op.emitOpError()
             << "the selection's " << name
             << " must be a rank-3 floating-point tensor [heads (or 1), "
                "pooled width, gate width Dg], got "
             << type;
  int64_t dg = wqType.getDimSize(2);
  if (known(dg) && dg == 0)
    return op.emitOpError() << "the selection's gate_q_weight has gate width "
                               "0 (Dg, dimension 2): Dg must be at least 1";
  int64_t pooledWidth =
      known(e.d) ? selection.numPools() * e.d : ShapedType::kDynamic;
  if (failed(checkBroadcastDim(op, "gate_q_weight", 0, wqType.getDimSize(0),
                               e.hq, "query heads")) ||
      failed(checkDim(op, "gate_q_weight", 1, wqType.getDimSize(1), e.d,
                      "head_dim")) ||
      failed(checkBroadcastDim(op, "gate_k_weight", 0, wkType.getDimSize(0),
                               e.hkv, "key heads")) ||
      failed(checkDim(op, "gate_k_weight", 1, wkType.getDimSize(1),
                      pooledWidth, "pools x head_dim")) ||
      failed(checkDim(op, "gate_k_weight", 2, wkType.getDimSize(2), dg,
                      "gate width Dg of gate_q_weight")))
    return failure();
  return success();
}

/// The caller's block scores [B|1, Hk|1, ceil(Nk / block)], given exactly
/// when the selection's gate is given.
static LogicalResult verifyBlockScores(AttentionOp op, const Extents &e) {
  TopKBlocksAttr selection = op.getSelectionAttr();
  Value scores = op.getBlockScores();
  if (!selection || !selection.isGiven()) {
    if (!scores)
      return success();
    return op.emitOpError() << "block_scores is given but "
                            << (selection ? "the selection's gate is not "
                                            "given (gate = given takes it)"
                                          : "there is no selection");
  }
  if (!scores)
    return op.emitOpError()
           << "a given selection gate needs its scores: "
              "block_scores(%s : tensor<B x Hk x ceil(Nk / block) x f>)";
  auto type = cast<RankedTensorType>(scores.getType());
  // Per token one score row per key head; per query block one per (key
  // head, query block): the caller ranks the blocks for each query block.
  bool perQueryBlock = selection.perQueryBlock();
  if (!isa<FloatType>(type.getElementType()) ||
      type.getRank() != (perQueryBlock ? 4 : 3))
    return op.emitOpError()
           << "block_scores must be a "
           << (perQueryBlock
                   ? "rank-4 floating-point tensor [B|1, Hk|1, query blocks "
                     "ceil(Nq / q_block), key blocks] (q_block > 0)"
                   : "rank-3 floating-point tensor [B|1, Hk|1, key blocks]")
           << ", got " << type;
  int64_t blocks = known(e.nk) ? llvm::divideCeil(e.nk, selection.getBlock())
                               : ShapedType::kDynamic;
  int64_t blockDim = perQueryBlock ? 3 : 2;
  if (failed(checkBroadcastDim(op, "block_scores", 0, type.getDimSize(0), e.b,
                               "batch")) ||
      failed(checkBroadcastDim(op, "block_scores", 1, type.getDimSize(1),
                               e.hkv, "key heads")) ||
      failed(checkDim(op, "block_scores", blockDim,
                      type.getDimSize(blockDim), blocks,
                      "key blocks ceil(Nk / block)")))
    return failure();
  if (perQueryBlock) {
    int64_t queryBlocks =
        known(e.nq) ? llvm::divideCeil(e.nq, selection.getQBlock())
                    : ShapedType::kDynamic;
    if (failed(checkDim(op, "block_scores", 2, type.getDimSize(2),
                        queryBlocks, "query blocks ceil(Nq / q_block)")))
      return failure();
  }
  return success();
}

bool AttentionOp::hasRowEpilogue() {
  if (getEpilogueAttr())
    return true;
  Value gate = getOutputGate();
  return gate && cast<RankedTensorType>(gate.getType()).getRank() == 4;
}

/// The affine row corrections of the normalization (subtractive, mala) and
/// the row epilogue: what they do not combine with.
static LogicalResult verifyRowTerms(AttentionOp op) {
  NormalizationAttr norm = op.getNormalizationAttr();
  if (norm && norm.hasAffine() && !op.getWeightMod().empty())
    return op.emitOpError()
           << "the " << stringifyAffineNormKind(norm.getAffine())
           << " normalization cannot be combined with a weight_mod (its "
              "weights need the row's kept-key count and weight sum first)";
  QuantizedQKAttr quant = op.getQuantizationAttr();
  if (op.getEpilogueAttr() && quant && quant.getPv() != PVPrecision::F32)
    return op.emitOpError() << "an epilogue cannot be combined with pv = "
                            << stringifyPVPrecision(quant.getPv())
                            << " (the derived error bound of the quantized "
                               "weights does not hold through the row norm)";
  return success();
}

/// A scale operand of quantized Q K^T: [B|1, H|1, 1|ceil(N / block)]
/// floats.
static LogicalResult verifyScaleOperand(AttentionOp op, Value scale,
                                        StringRef name, int64_t batch,
                                        int64_t heads, int64_t length,
                                        int64_t block) {
  auto type = cast<RankedTensorType>(scale.getType());
  if (!isa<FloatType>(type.getElementType()) || type.getRank() != 3)
    return op.emitOpError() << name << " must be a rank-3 floating-point "
                               "tensor [batch, heads, token blocks] (any of "
                               "them may have extent 1), got "
                            << type;
  return failure(
      failed(checkBroadcastDim(op, name, 0, type.getDimSize(0), batch,
                               "batch")) ||
      failed(checkBroadcastDim(op, name, 1, type.getDimSize(1), heads,
                               "heads")) ||
      failed(checkBroadcastDim(op, name, 2, type.getDimSize(2),
                               ceilDivStatic(length, block),
                               "token blocks, ceil(length / block)")));
}

/// The largest head dimensions whose INT8 (INT4) dot product cannot
/// overflow an i32 accumulator: D * 127^2 (D * 7^2) < 2^31.
static constexpr int64_t kMaxInt8HeadDim = ((int64_t(1) << 31) - 1) / (127 * 127);
static constexpr int64_t kMaxInt4HeadDim = ((int64_t(1) << 31) - 1) / (7 * 7);

/// Pre-quantized i4 operands are passed packed two per byte along the head
/// dimension (attn-pack-int4-arguments), so a row must fill whole bytes.
static LogicalResult verifyPackedInt4(AttentionOp op, const Extents &e) {
  for (auto [operand, role] : {std::make_pair(op.getQuery(), "query"),
                               std::make_pair(op.getKey(), "key")}) {
    auto type = cast<RankedTensorType>(operand.getType());
    if (type.getElementType().isInteger(4) && known(e.d) && e.d % 2 != 0)
      return op.emitOpError()
             << "an i4 " << role << " is passed packed two values per byte "
             << "along the head dimension, which must be even, got head_dim "
             << e.d;
  }
  return success();
}

/// `rotation`: [Hk|1, D, D] floats applied to the float Q and K of quantized
/// Q K^T before they are quantized.
static LogicalResult verifyRotation(AttentionOp op, const Extents &e) {
  Value rotation = op.getRotation();
  if (!rotation)
    return success();
  if (!op.getQuantizationAttr())
    return op.emitOpError()
           << "rotation needs quantization(#attn.quantized_qk<...>): it "
              "rotates q and k before they are quantized (q R . k R = q . k "
              "for an orthogonal R)";
  // Under keys_only a pre-quantized key cache holds keys rotated offline
  // (OSCAR): only the float query is rotated.
  bool keysOnly = op.getQuantizationAttr().getKeysOnly();
  for (auto [operand, role] : {std::make_pair(op.getQuery(), "query"),
                               std::make_pair(op.getKey(), "key")})
    if (!isUnquantizedFloatType(
            cast<RankedTensorType>(operand.getType()).getElementType()) &&
        !(keysOnly && StringRef(role) == "key"))
      return op.emitOpError() << "rotation needs a float " << role
                              << " (the compiler rotates before it "
                                 "quantizes), got "
                              << operand.getType();
  if (op.hasSelection())
    return op.emitOpError() << "rotation cannot be combined with a selection";
  auto type = cast<RankedTensorType>(rotation.getType());
  if (!isa<FloatType>(type.getElementType()) || type.getRank() != 3)
    return op.emitOpError() << "rotation must be a rank-3 floating-point "
                               "tensor [key heads (or 1), head_dim, "
                               "head_dim], got "
                            << type;
  if (op.getKHeadMap() && type.getDimSize(0) != 1)
    return op.emitOpError() << "a rotation per key head needs the GQA of the "
                               "shapes: with a k_head_map the rotation must "
                               "be shared, [1, D, D], got "
                            << type;
  return failure(
      failed(checkBroadcastDim(op, "rotation", 0, type.getDimSize(0), e.hkv,
                               "key heads")) ||
      failed(checkDim(op, "rotation", 1, type.getDimSize(1), e.d,
                      "head_dim")) ||
      failed(checkDim(op, "rotation", 2, type.getDimSize(2), e.d,
                      "head_dim")));
}

/// `low_rank`: [Hq|1, D, R] and [Hk|1, D, R] floats projecting the float Q
/// and K of quantized Q K^T into a factored score term (BiPFT).
static LogicalResult verifyLowRank(AttentionOp op, const Extents &e) {
  Value u = op.getLowRankU(), w = op.getLowRankW();
  if (!u)
    return success();
  QuantizedQKAttr quant = op.getQuantizationAttr();
  if (!quant)
    return op.emitOpError()
           << "low_rank needs quantization(#attn.quantized_qk<...>): it "
              "estimates the quantization's residual of q . k";
  for (auto [operand, role] : {std::make_pair(op.getQuery(), "query"),
                               std::make_pair(op.getKey(), "key")})
    if (!isUnquantizedFloatType(
            cast<RankedTensorType>(operand.getType()).getElementType()))
      return op.emitOpError() << "low_rank needs a float " << role
                              << " (the factors project the float rows), got "
                              << operand.getType();
  if (isFP8Scheme(quant.getScheme()))
    return op.emitOpError() << "low_rank cannot be combined with scheme = "
                            << stringifyQuantScheme(quant.getScheme())
                            << " (not declared for FP8 Q K^T)";
  if (quant.getSmoothQ() || quant.getKeysOnly() || op.getRotation() ||
      op.hasSelection())
    return op.emitOpError()
           << "low_rank cannot be combined with "
           << (quant.getSmoothQ()    ? "smooth_q (one float score term)"
               : quant.getKeysOnly() ? "keys_only (the query is exact)"
               : op.getRotation()    ? "a rotation"
                                     : "a selection");
  auto uType = cast<RankedTensorType>(u.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  for (auto [type, name] : {std::make_pair(uType, "low_rank U"),
                            std::make_pair(wType, "low_rank W")})
    if (!isa<FloatType>(type.getElementType()) || type.getRank() != 3)
      return op.emitOpError() << name << " must be a rank-3 floating-point "
                                         "tensor [heads (or 1), head_dim, "
                                         "rank], got "
                              << type;
  if (op.getKHeadMap() && wType.getDimSize(0) != 1)
    return op.emitOpError() << "low_rank W per key head needs the GQA of the "
                               "shapes: with a k_head_map it must be shared, "
                               "[1, D, R], got "
                            << wType;
  return failure(
      failed(checkBroadcastDim(op, "low_rank U", 0, uType.getDimSize(0), e.hq,
                               "query heads")) ||
      failed(checkBroadcastDim(op, "low_rank W", 0, wType.getDimSize(0),
                               e.hkv, "key heads")) ||
      failed(checkDim(op, "low_rank U", 1, uType.getDimSize(1), e.d,
                      "head_dim")) ||
      failed(checkDim(op, "low_rank W", 1, wType.getDimSize(1), e.d,
                      "head_dim")) ||
      failed(checkDim(op, "low_rank W", 2, wType.getDimSize(2),
                      uType.getDimSize(2), "rank of U")));
}

/// `quantization` and its scale operands: which operands are i8 or i4, which
/// scales are given, their shapes, and what it does not combine with.
/// `keys_only` and `salient_bits` with `k_salient`: a float query, flags
/// of float keys.
static LogicalResult verifyKeyQuantization(AttentionOp op, const Extents &e) {
  QuantizedQKAttr quant = op.getQuantizationAttr();
  auto elementOf = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getElementType();
  };
  if (quant.getKeysOnly() &&
      !isUnquantizedFloatType(elementOf(op.getQuery())))
    return op.emitOpError() << "keys_only keeps the query float, got a "
                               "pre-quantized query "
                            << op.getQuery().getType();
  if (quant.getKeysOnly() && op.hasSelection())
    return op.emitOpError() << "keys_only cannot be combined with a "
                               "selection (not declared yet)";
  Value salient = op.getKSalient();
  if (!salient && quant.getSalientBits() != 0)
    return op.emitOpError() << "salient_bits = " << quant.getSalientBits()
                            << " needs a k_salient operand (the flags of "
                               "the key blocks quantized at more bits)";
  if (!salient)
    return success();
  if (quant.getSalientBits() == 0)
    return op.emitOpError() << "k_salient is given but the quantization "
                               "declares no salient_bits";
  if (!isUnquantizedFloatType(elementOf(op.getKey())))
    return op.emitOpError() << "k_salient needs a float key (the compiler "
                               "quantizes each block at its own precision), "
                               "got "
                            << op.getKey().getType();
  auto type = cast<RankedTensorType>(salient.getType());
  if (!(type.getElementType().isInteger(1) ||
        type.getElementType().isInteger(8)) ||
      type.getRank() != 3)
    return op.emitOpError() << "k_salient must be a rank-3 i1 or i8 tensor "
                               "[batch, key heads, key blocks] (any of them "
                               "may have extent 1), got "
                            << type;
  return failure(
      failed(checkBroadcastDim(op, "k_salient", 0, type.getDimSize(0), e.b,
                               "batch")) ||
      failed(checkBroadcastDim(op, "k_salient", 1, type.getDimSize(1), e.hkv,
                               "key heads")) ||
      failed(checkBroadcastDim(op, "k_salient", 2, type.getDimSize(2),
                               ceilDivStatic(e.nk, quant.getKBlock()),
                               "key blocks, ceil(length / k_block)")));
}

static LogicalResult verifyQuantization(AttentionOp op, const Extents &e) {
  QuantizedQKAttr quant = op.getQuantizationAttr();
  Value qScale = op.getQScale(), kScale = op.getKScale();
  if (!quant) {
    if (qScale || kScale || op.getKSalient())
      return op.emitOpError() << (qScale   ? "q_scale"
                                  : kScale ? "k_scale"
                                           : "k_salient")
                              << " is given but there is no "
                                 "quantization(#attn.quantized_qk<...>)";
    return success();
  }
  if (failed(verifyKeyQuantization(op, e)))
    return failure();
  if (op.hasLinearKernel())
    return op.emitOpError() << "quantization cannot be combined with a "
                               "kernel (feature_map or decay)";
  bool int8 = quant.getScheme() == QuantScheme::Int8;
  bool int4 = quant.getScheme() == QuantScheme::Int4;
  bool fp8 = isFP8Scheme(quant.getScheme());
  bool e5m2 = quant.getScheme() == QuantScheme::Fp8E5M2;
  // Pre-quantized: an i8 operand (int8), an i4 one (int4) or an FP8 one
  // (fp8_e4m3: f8E4M3FN, fp8_e5m2: f8E5M2).
  auto isPreQuantized = [](Value v) {
    Type t = cast<RankedTensorType>(v.getType()).getElementType();
    return isa<IntegerType>(t) || isFP8Type(t);
  };
  StringRef preType = int8 ? "i8" : int4 ? "i4" : e5m2 ? "f8E5M2" : "f8E4M3FN";
  StringRef maxText = int8 ? "127" : int4 ? "7" : e5m2 ? "57344" : "448";
  for (auto [operand, scale, role, name] :
       {std::make_tuple(op.getQuery(), qScale, "query", "q_scale"),
        std::make_tuple(op.getKey(), kScale, "key", "k_scale")}) {
    if ((int8 || int4 || fp8) && isPreQuantized(operand) && !scale)
      return op.emitOpError() << "an " << preType << " " << role
                              << " needs its " << name << " operand";
    if ((int8 || int4 || fp8) && !isPreQuantized(operand) && scale)
      return op.emitOpError()
             << name << " is given for a float " << role
             << ", which the compiler quantizes itself (absmax / " << maxText
             << " per block); pass an " << preType
             << " tensor to give the scales";
  }
  if (fp8 && op.hasSelection())
    return op.emitOpError() << "a selection cannot be combined with scheme = "
                            << stringifyQuantScheme(quant.getScheme())
                            << " (not declared for FP8 Q K^T)";
  if (failed(verifyPackedInt4(op, e)))
    return failure();
  // A selection ranks blocks by the float gate q . pool(K) (SpargeAttn's
  // stage 1 before its quantized attention): it needs the float rows.
  if (op.hasSelection())
    for (auto [operand, role] : {std::make_pair(op.getQuery(), "query"),
                                 std::make_pair(op.getKey(), "key")})
      if (isPreQuantized(operand))
        return op.emitOpError()
               << "a selection pools and ranks the float " << role
               << " rows, got a pre-quantized " << role << " "
               << operand.getType();
  if (qScale && failed(verifyScaleOperand(op, qScale, "q_scale", e.b, e.hq,
                                          e.nq, quant.getQBlock())))
    return failure();
  if (kScale && failed(verifyScaleOperand(op, kScale, "k_scale", e.b, e.hkv,
                                          e.nk, quant.getKBlock())))
    return failure();
  if (quant.getSmoothK()) {
    if (isPreQuantized(op.getKey()))
      return op.emitOpError() << "smooth_k needs a float key (the compiler "
                                 "smooths before it quantizes), got "
                              << op.getKey().getType();
    if (op.getNormalizationKind() != NormalizationKind::Softmax)
      return op.emitOpError() << "smooth_k needs softmax normalization (the "
                                 "per-row shift q . mean cancels only there), "
                                 "not "
                              << stringifyNormalizationKind(
                                     op.getNormalizationKind());
  }
  // Q smoothing subtracts the query's block means before quantizing and
  // adds back qm . k with the float keys: both must be float.
  if (quant.getSmoothQ())
    for (auto [operand, role] : {std::make_pair(op.getQuery(), "query"),
                                 std::make_pair(op.getKey(), "key")})
      if (isPreQuantized(operand))
        return op.emitOpError()
               << "smooth_q needs a float query and a float key (the "
                  "compiler subtracts the query block means before it "
                  "quantizes and adds back their dot products with the "
                  "float keys), got a pre-quantized "
               << role << " " << operand.getType();
  if (quant.getPv() == PVPrecision::Int8) {
    // u8 = roundeven(255 p) needs p in [0, 1]: softmax's exp(s - max).
    if (op.getNormalizationKind() != NormalizationKind::Softmax)
      return op.emitOpError()
             << "pv = int8 needs softmax normalization (its weights "
                "exp(s - max) lie in [0, 1], quantized with the fixed scale "
                "1/255), not "
             << stringifyNormalizationKind(op.getNormalizationKind());
    if (!op.getWeightMod().empty())
      return op.emitOpError() << "pv = int8 cannot be combined with a "
                                 "weight_mod (modified weights are not in "
                                 "[0, 1])";
  }
  if (quant.getPv() == PVPrecision::Fp8E4M3 ||
      quant.getPv() == PVPrecision::Fp8E5M2) {
    // fp8(FMAX p) needs p in [0, 1]: softmax's exp(s - max).
    StringRef pv = stringifyPVPrecision(quant.getPv());
    if (op.getNormalizationKind() != NormalizationKind::Softmax)
      return op.emitOpError()
             << "pv = " << pv
             << " needs softmax normalization (its weights exp(s - max) lie "
                "in [0, 1], scaled by the fixed FP8 maximum), not "
             << stringifyNormalizationKind(op.getNormalizationKind());
    if (!op.getWeightMod().empty())
      return op.emitOpError() << "pv = " << pv
                              << " cannot be combined with a weight_mod "
                                 "(modified weights are not in [0, 1])";
  }
  if (int8 && known(e.d) && e.d > kMaxInt8HeadDim)
    return op.emitOpError() << "head_dim " << e.d << " is too large for int8 "
                               "Q K^T: the i32 accumulator holds D * 127^2 "
                               "only for D <= "
                            << kMaxInt8HeadDim;
  if (int4 && known(e.d) && e.d > kMaxInt4HeadDim)
    return op.emitOpError() << "head_dim " << e.d << " is too large for int4 "
                               "Q K^T: the i32 accumulator holds D * 7^2 "
                               "only for D <= "
                            << kMaxInt4HeadDim;
  return success();
}

/// `value_quantization` and `v_scale`: an i8 or FP8 V of the declared
/// scheme with its scales per block of tokens or per channel, and what it
/// is not combined with.
static LogicalResult verifyValueQuantization(AttentionOp op,
                                             const Extents &e) {
  QuantizedVAttr quant = op.getValueQuantizationAttr();
  Value scale = op.getVScale();
  auto vType = cast<RankedTensorType>(op.getValue().getType());
  Type element = vType.getElementType();
  bool preQuantized = !isUnquantizedFloatType(element);
  if (!quant) {
    if (scale)
      return op.emitOpError() << "v_scale is given but there is no "
                                 "value_quantization(#attn.quantized_v<...>)";
    if (preQuantized)
      return op.emitOpError()
             << "an " << element
             << " value needs value_quantization(#attn.quantized_v<...>) "
                "and a v_scale operand";
    return success();
  }
  StringRef scheme = stringifyQuantScheme(quant.getScheme());
  if (!preQuantized)
    return op.emitOpError() << "value_quantization declares a pre-quantized "
                               "value, got a float value "
                            << vType;
  // The element type is the declared scheme's pre-quantized form.
  bool matches = quant.getScheme() == QuantScheme::Int8
                     ? element.isInteger(8)
                 : quant.getScheme() == QuantScheme::Fp8E5M2
                     ? isa<Float8E5M2Type>(element)
                     : isa<Float8E4M3FNType>(element);
  if (!matches)
    return op.emitOpError()
           << "value_quantization declares scheme = " << scheme
           << ", whose value is "
           << (quant.getScheme() == QuantScheme::Int8   ? "i8"
               : quant.getScheme() == QuantScheme::Fp8E5M2 ? "f8E5M2"
                                                           : "f8E4M3FN")
           << ", got " << vType;
  if (!scale)
    return op.emitOpError() << "an " << element
                            << " value needs its v_scale operand";
  // The weights are quantized from a float V by pv = int8 / fp8_*: a value
  // cache is already quantized (not lowered: two roundings of V).
  if (QuantizedQKAttr qk = op.getQuantizationAttr();
      qk && qk.getPv() != PVPrecision::F32)
    return op.emitOpError() << "a pre-quantized value cannot be combined with "
                               "pv = "
                            << stringifyPVPrecision(qk.getPv())
                            << " (which quantizes a float value itself)";
  // Linear kernels and selections read V through paths of their own (the
  // carried state, pooled values): not lowered with a value cache.
  if (op.hasLinearKernel() || op.hasSelection())
    return op.emitOpError() << "a pre-quantized value cannot be combined with "
                            << (op.hasLinearKernel()
                                    ? "a kernel (feature_map or decay)"
                                    : "a selection")
                            << " (not lowered)";
  auto type = cast<RankedTensorType>(scale.getType());
  bool perChannel = quant.getPer() == VScaleGranularity::Channel;
  if (!isa<FloatType>(type.getElementType()) ||
      isFP8Type(type.getElementType()) || type.getRank() != 3)
    return op.emitOpError()
           << "v_scale must be a rank-3 f32, f16 or bf16 tensor [batch, value "
              "heads, "
           << (perChannel ? "value head_dim" : "token blocks")
           << "] (any of them may have extent 1), got " << type;
  int64_t hv = vType.getDimSize(1);
  if (failed(checkBroadcastDim(op, "v_scale", 0, type.getDimSize(0), e.b,
                               "batch")) ||
      failed(checkBroadcastDim(op, "v_scale", 1, type.getDimSize(1), hv,
                               "value heads")))
    return failure();
  if (perChannel)
    return checkBroadcastDim(op, "v_scale", 2, type.getDimSize(2), e.dv,
                             "value head_dim (per = channel)");
  return checkBroadcastDim(op, "v_scale", 2, type.getDimSize(2),
                           ceilDivStatic(e.nk, quant.getBlock()),
                           "token blocks, ceil(key length / block)");
}

LogicalResult AttentionOp::verify() {
  Operation *op = getOperation();
  auto qType = cast<RankedTensorType>(getQuery().getType());
  auto kType = cast<RankedTensorType>(getKey().getType());
  auto vType = cast<RankedTensorType>(getValue().getType());
  auto oType = cast<RankedTensorType>(getOutput().getType());

  // The float type of the spec is V's: an i8 (pre-quantized) Q or K has
  // none of its own. A pre-quantized V has none either: the result type
  // declares it.
  bool quantizedValue = !isUnquantizedFloatType(vType.getElementType());
  Type elementType =
      quantizedValue ? oType.getElementType() : vType.getElementType();
  for (auto [type, name] : {std::make_pair(qType, "query"),
                            std::make_pair(kType, "key")}) {
    if (isFP8Type(type.getElementType())) {
      // f8E4M3FN is fp8_e4m3's pre-quantized form, f8E5M2 fp8_e5m2's.
      QuantScheme scheme = isa<Float8E5M2Type>(type.getElementType())
                               ? QuantScheme::Fp8E5M2
                               : QuantScheme::Fp8E4M3;
      if (!getQuantizationAttr() ||
          getQuantizationAttr().getScheme() != scheme)
        return emitOpError() << "an " << type.getElementType() << " " << name
                             << " needs "
                             << "quantization(#attn.quantized_qk<scheme = "
                             << stringifyQuantScheme(scheme)
                             << ", ...>) and a "
                             << (StringRef(name) == "query" ? "q_scale"
                                                            : "k_scale")
                             << " operand";
      continue;
    }
    if (auto integer = dyn_cast<IntegerType>(type.getElementType())) {
      // i8 is the int8 scheme's pre-quantized form, i4 the int4 one's.
      QuantScheme scheme =
          integer.getWidth() == 8 ? QuantScheme::Int8 : QuantScheme::Int4;
      if (!getQuantizationAttr() ||
          getQuantizationAttr().getScheme() != scheme)
        return emitOpError() << "an i" << integer.getWidth() << " " << name
                             << " needs "
                             << "quantization(#attn.quantized_qk<scheme = "
                             << stringifyQuantScheme(scheme)
                             << ", ...>) and a "
                             << (StringRef(name) == "query" ? "q_scale"
                                                            : "k_scale")
                             << " operand";
      continue;
    }
    if (type.getElementType() != elementType)
      return emitOpError() << "query, key and value must have the same "
                              "element type (or i8/i4/f8 for a quantized query "
                              "or key), got "
                           << qType.getElementType() << ", "
                           << kType.getElementType() << " and "
                           << elementType;
  }
  if (!quantizedValue && oType.getElementType() != elementType)
    return emitOpError() << "output element type " << oType.getElementType()
                         << " must match the value element type "
                         << elementType;

  Extents e{qType.getDimSize(0), qType.getDimSize(1), kType.getDimSize(1),
            qType.getDimSize(2), kType.getDimSize(2), qType.getDimSize(3),
            vType.getDimSize(3)};
  bool hasKMap = static_cast<bool>(getKHeadMap());
  bool hasVMap = static_cast<bool>(getVHeadMap());
  if (failed(checkDim(op, "key", 0, kType.getDimSize(0), e.b, "batch")) ||
      failed(checkDim(op, "value", 0, vType.getDimSize(0), e.b, "batch")) ||
      failed(checkDim(op, "key", 3, kType.getDimSize(3), e.d,
                      "head_dim of the query")) ||
      (!hasVMap && failed(checkDim(op, "value", 1, vType.getDimSize(1), e.hkv,
                                   "key/value heads of the key"))) ||
      failed(checkDim(op, "value", 2, vType.getDimSize(2), e.nk,
                      "key length of the key")))
    return failure();
  // Without a map, query head h reads the GQA group h / (Hq / H): the key
  // heads without a k_head_map, the value heads (then as many as the key
  // heads) without a v_head_map.
  if ((!hasKMap || !hasVMap) && known(e.hq) && known(e.hkv) &&
      (e.hkv == 0 || e.hq % e.hkv != 0))
    return emitOpError() << "query heads (" << e.hq
                         << ") must be a multiple of key/value heads ("
                         << e.hkv << ") for grouped-query attention"
                         << (hasKMap ? " (the value heads, without a "
                                       "v_head_map)"
                                     : "");
  int64_t hv = vType.getDimSize(1);
  if (hasVMap && known(hv) && hv == 0)
    return emitOpError() << "value heads must be positive";
  if (hasKMap && known(e.hkv) && e.hkv == 0)
    return emitOpError() << "key heads must be positive";
  // Head maps: integer tensors [Hq] or [B|1, Hq].
  for (auto [map, name] : {std::make_pair(getKHeadMap(), "k_head_map"),
                           std::make_pair(getVHeadMap(), "v_head_map")}) {
    if (!map)
      continue;
    auto mType = cast<RankedTensorType>(map.getType());
    if (!isa<IntegerType, IndexType>(mType.getElementType()))
      return emitOpError() << name << " must have an integer element type, "
                                      "got "
                           << mType.getElementType();
    if (mType.getRank() != 1 && mType.getRank() != 2)
      return emitOpError() << name << " must have rank 1 [query heads] or 2 "
                                      "[batch, query heads], got rank "
                           << mType.getRank();
    if (mType.getRank() == 2 &&
        failed(checkBroadcastDim(op, name, 0, mType.getDimSize(0), e.b,
                                 "batch")))
      return failure();
    if (failed(checkDim(op, name, mType.getRank() - 1,
                        mType.getDimSize(mType.getRank() - 1), e.hq,
                        "query heads")))
      return failure();
  }
  if (known(e.d) && e.d == 0)
    return emitOpError() << "head_dim must be positive";

  if (failed(checkDim(op, "output", 0, oType.getDimSize(0), e.b, "batch")) ||
      failed(checkDim(op, "output", 1, oType.getDimSize(1), e.hq,
                      "query heads")) ||
      failed(checkDim(op, "output", 2, oType.getDimSize(2), e.nq,
                      "query length")) ||
      failed(checkDim(op, "output", 3, oType.getDimSize(3), e.dv,
                      "value head_dim")))
    return failure();

  if (Value lse = getLse()) {
    auto lType = cast<RankedTensorType>(lse.getType());
    if (lType.getRank() != 3)
      return emitOpError() << "logsumexp result must have rank 3 "
                              "[batch, heads, query], got rank "
                           << lType.getRank();
    if (failed(checkDim(op, "logsumexp", 0, lType.getDimSize(0), e.b,
                        "batch")) ||
        failed(checkDim(op, "logsumexp", 1, lType.getDimSize(1), e.hq,
                        "query heads")) ||
        failed(checkDim(op, "logsumexp", 2, lType.getDimSize(2), e.nq,
                        "query length")))
      return failure();
    if (getNormalizationKind() != NormalizationKind::Softmax)
      return emitOpError() << "the logsumexp result is only defined for "
                              "softmax normalization, not "
                           << stringifyNormalizationKind(
                                  getNormalizationKind());
  }

  if (FloatAttr scale = getScaleAttr()) {
    double s = scale.getValueAsDouble();
    if (!std::isfinite(s) || s == 0.0)
      return emitOpError() << "scale must be finite and non-zero, got " << s;
  }

  // Extra operands.
  if (Value bias = getBias()) {
    auto bType = cast<RankedTensorType>(bias.getType());
    if (!isa<FloatType>(bType.getElementType()))
      return emitOpError() << "bias must have a floating-point element type, "
                              "got "
                           << bType.getElementType();
    if (bType.getRank() != 4)
      return emitOpError() << "bias must have rank 4 [batch, heads, query, "
                              "key] (extent-1 dimensions broadcast), got rank "
                           << bType.getRank();
    int64_t expected[4] = {e.b, e.hq, e.nq, e.nk};
    StringRef meaning[4] = {"batch", "query heads", "query length",
                            "key length"};
    for (unsigned i = 0; i < 4; ++i)
      if (failed(checkBroadcastDim(op, "bias", i, bType.getDimSize(i),
                                   expected[i], meaning[i])))
        return failure();
  }

  SmallVector<MaskAttrInterface> masks;
  if (MaskAttrInterface mask = getMaskAttr())
    walkMasks(mask, [&](MaskAttrInterface m) { masks.push_back(m); });
  bool usesSegments = llvm::any_of(
      masks, [](MaskAttrInterface m) { return isa<DocumentMaskAttr>(m); });
  SmallVector<BlockSparseMaskAttr> blockSparse;
  bool usesAlibi = false;
  if (ArrayAttr mods = getScoreModsAttr())
    usesAlibi = llvm::any_of(mods, [](Attribute a) { return isa<AlibiAttr>(a); });
  for (MaskAttrInterface m : masks) {
    if (auto bs = dyn_cast<BlockSparseMaskAttr>(m))
      blockSparse.push_back(bs);
    if (auto ph = dyn_cast<PerHeadMaskAttr>(m)) {
      if (known(e.hq) && ph.getNumHeads() != e.hq)
        return emitOpError() << "#attn.per_head describes " << ph.getNumHeads()
                             << " heads but the query has " << e.hq
                             << " heads";
    }
    if (auto nb = dyn_cast<NeighborhoodMaskAttr>(m)) {
      if (known(e.nq) && known(e.nk) && e.nq != e.nk)
        return emitOpError() << "#attn.neighborhood needs equal query and key "
                                "lengths, got "
                             << e.nq << " and " << e.nk;
      int64_t product = 1;
      bool inferred = false;
      for (int64_t extent : nb.getGrid().asArrayRef()) {
        if (extent == -1)
          inferred = true;
        else
          product *= extent;
      }
      int64_t n = known(e.nq) ? e.nq : e.nk;
      if (known(n)) {
        if (!inferred && product != n)
          return emitOpError() << "#attn.neighborhood grid has " << product
                               << " tokens but the sequence has " << n;
        if (inferred && n % product != 0)
          return emitOpError() << "#attn.neighborhood cannot infer a grid "
                                  "extent: sequence length "
                               << n << " is not a multiple of " << product;
        // The attribute verifier checks static extents; check the inferred
        // one here, now that the sequence length is known.
        for (auto [axis, extent] : llvm::enumerate(nb.getGrid().asArrayRef())) {
          int64_t window = nb.getKernel()[axis] * nb.getDilationAt(axis);
          if (extent == -1 && window > n / product)
            return emitOpError()
                   << "#attn.neighborhood kernel * dilation of axis " << axis
                   << " (" << window << ") exceeds the inferred grid extent "
                   << n / product;
        }
      }
    }
  }

  bool hasSegmentIds = getQSegmentIds() || getKvSegmentIds();
  if (usesSegments != hasSegmentIds)
    return usesSegments
               ? emitOpError() << "#attn.document needs the segment_ids "
                                  "operands"
               : emitOpError() << "segment_ids are given but no "
                                  "#attn.document mask reads them";
  if (hasSegmentIds) {
    if (!getQSegmentIds() || !getKvSegmentIds())
      return emitOpError() << "segment_ids needs both query and key ids";
    auto qs = cast<RankedTensorType>(getQSegmentIds().getType());
    auto ks = cast<RankedTensorType>(getKvSegmentIds().getType());
    for (auto [type, name, len] :
         {std::make_tuple(qs, "query segment_ids", e.nq),
          std::make_tuple(ks, "key segment_ids", e.nk)}) {
      if (!isa<IntegerType>(type.getElementType()))
        return emitOpError() << name << " must have an integer element type, "
                                        "got "
                             << type.getElementType();
      if (type.getRank() != 2)
        return emitOpError() << name << " must have rank 2 [batch, length], "
                                        "got rank "
                             << type.getRank();
      if (failed(checkDim(op, name, 0, type.getDimSize(0), e.b, "batch")) ||
          failed(checkDim(op, name, 1, type.getDimSize(1), len, "length")))
        return failure();
    }
  }

  if (!blockSparse.empty() != static_cast<bool>(getBlockLayout()))
    return blockSparse.empty()
               ? emitOpError() << "block_layout is given but no "
                                  "#attn.block_sparse mask reads it"
               : emitOpError() << "#attn.block_sparse needs the block_layout "
                                  "operand";
  if (Value layout = getBlockLayout()) {
    for (BlockSparseMaskAttr bs : blockSparse)
      if (bs != blockSparse.front())
        return emitOpError() << "every #attn.block_sparse of one op must use "
                                "the same block sizes";
    auto lType = cast<RankedTensorType>(layout.getType());
    if (!isa<IntegerType>(lType.getElementType()))
      return emitOpError() << "block_layout must have an integer or i1 "
                              "element type, got "
                           << lType.getElementType();
    if (lType.getRank() != 4)
      return emitOpError() << "block_layout must have rank 4 [batch, heads, "
                              "query blocks, key blocks], got rank "
                           << lType.getRank();
    BlockSparseMaskAttr bs = blockSparse.front();
    if (failed(checkBroadcastDim(op, "block_layout", 0, lType.getDimSize(0),
                                 e.b, "batch")) ||
        failed(checkBroadcastDim(op, "block_layout", 1, lType.getDimSize(1),
                                 e.hq, "query heads")) ||
        failed(checkDim(op, "block_layout", 2, lType.getDimSize(2),
                        ceilDivStatic(e.nq, bs.getBlockQ()),
                        "query blocks")) ||
        failed(checkDim(op, "block_layout", 3, lType.getDimSize(3),
                        ceilDivStatic(e.nk, bs.getBlockKv()), "key blocks")))
      return failure();
  }

  if (Value sinks = getSinkLogits()) {
    auto sType = cast<RankedTensorType>(sinks.getType());
    if (!isa<FloatType>(sType.getElementType()) || sType.getRank() != 1)
      return emitOpError() << "sink_logits must be a rank-1 floating-point "
                              "tensor [query heads], got "
                           << sType;
    if (failed(checkDim(op, "sink_logits", 0, sType.getDimSize(0), e.hq,
                        "query heads")))
      return failure();
    if (getNormalizationKind() != NormalizationKind::Softmax)
      return emitOpError() << "sink_logits are only defined for softmax "
                              "normalization, not "
                           << stringifyNormalizationKind(
                                  getNormalizationKind());
  }

  if (Value gate = getOutputGate()) {
    auto gType = cast<RankedTensorType>(gate.getType());
    if (!isa<FloatType>(gType.getElementType()))
      return emitOpError() << "output_gate must have a floating-point element "
                              "type, got "
                           << gType.getElementType();
    if (gType.getRank() != 3 && gType.getRank() != 4)
      return emitOpError() << "output_gate must have rank 3 [batch, heads, "
                              "query] or 4 [batch, heads, query, value "
                              "head_dim] (extent-1 dimensions broadcast), got "
                              "rank "
                           << gType.getRank();
    int64_t expected[4] = {e.b, e.hq, e.nq, e.dv};
    StringRef meaning[4] = {"batch", "query heads", "query length",
                            "value head_dim"};
    for (unsigned i = 0; i < gType.getRank(); ++i)
      if (failed(checkBroadcastDim(op, "output_gate", i, gType.getDimSize(i),
                                   expected[i], meaning[i])))
        return failure();
  }

  if (Value decay = getDecay())
    if (failed(verifyDecayOperand(*this, decay, e)))
      return failure();
  if (failed(verifyFeatureMapOperands(*this, e)) ||
      failed(verifySequenceKeyMap(*this)) ||
      failed(verifyCrossKeyMap(*this)))
    return failure();
  if (failed(verifyRowTerms(*this)))
    return failure();
  if (failed(verifyQuantization(*this, e)) ||
      failed(verifyValueQuantization(*this, e)) ||
      failed(verifyRotation(*this, e)) || failed(verifyLowRank(*this, e)))
    return failure();
  if (failed(verifyBlockScores(*this, e)))
    return failure();
  if (failed(verifyGateWeights(*this, e)))
    return failure();
  // A head group is the GQA group of the shapes; a map may make groups of
  // any size, which the pooled group query does not follow.
  if (TopKBlocksAttr selection = getSelectionAttr()) {
    if (selection.getHeadGroup() && getKHeadMap())
      return emitOpError() << "selection with head_group cannot be combined "
                              "with k_head_map";
    // Proxy heads split the query and the key heads into G equal groups.
    int64_t g = selection.getProxyHeads();
    for (auto [heads, what] : {std::make_pair(e.hq, "query heads"),
                               std::make_pair(e.hkv, "key heads")})
      if (g > 0 && known(heads) && heads % g != 0)
        return emitOpError() << "selection proxy_heads = " << g
                             << " must divide the " << what << " (" << heads
                             << ")";
    // One budget per key head.
    if (DenseI64ArrayAttr budgets = selection.getBudgets();
        budgets && known(e.hkv) &&
        static_cast<int64_t>(budgets.size()) != e.hkv)
      return emitOpError() << "selection budgets has " << budgets.size()
                           << " entries but there are " << e.hkv
                           << " key heads (one budget per key head)";
  }
  // The gate reads the raw q . kbar (before a feature map) and the keys it
  // keeps are a mask of the quadratic form: an elementwise or row map of
  // the same width composes (SLA's linear branch over selected blocks); a
  // decay (the chunked state), a map that changes the width or weighs the
  // keys by the whole sequence does not.
  if (hasSelection() && getDecay())
    return emitOpError() << "selection cannot be combined with a decay (the "
                            "decayed state runs over every earlier key)";
  if (FeatureMapAttr map = getFeatureMapAttr();
      hasSelection() && map &&
      (!map.keepsFeatureDim() || map.hasSequenceKeys() || map.hasCrossKeys()))
    return emitOpError()
           << "selection takes only a feature map that keeps the feature "
              "dimension and maps each key on its own (not hedgehog, taylor2 "
              "or keys = sequence or query-weighted kinds), got "
           << map;

  if (Value slopes = getAlibiSlopes()) {
    if (!usesAlibi)
      return emitOpError() << "alibi_slopes are given but score_mods has no "
                              "#attn.alibi";
    auto sType = cast<RankedTensorType>(slopes.getType());
    if (!isa<FloatType>(sType.getElementType()) || sType.getRank() != 1)
      return emitOpError() << "alibi_slopes must be a rank-1 floating-point "
                              "tensor [query heads], got "
                           << sType;
    if (failed(checkDim(op, "alibi_slopes", 0, sType.getDimSize(0), e.hq,
                        "query heads")))
      return failure();
  }
  return success();
}

/// Checks one region's signature and body.
LogicalResult attn::verifySpecRegion(Operation *op, Region &region,
                                     StringRef name,
                                     ArrayRef<Type> leadingTypes,
                                     ValueRange captures, Type resultType) {
  if (region.empty())
    return success();
  if (!region.hasOneBlock())
    return op->emitOpError() << "region '" << name
                             << "' must have exactly one block";
  Block &block = region.front();
  SmallVector<Type> expected(leadingTypes);
  for (Value capture : captures)
    expected.push_back(capture.getType());
  if (block.getNumArguments() != expected.size())
    return op->emitOpError()
           << "region '" << name << "' must take " << expected.size()
           << " arguments (" << leadingTypes.size() << " + "
           << captures.size() << " captures), got "
           << block.getNumArguments();
  for (auto [i, arg, type] : llvm::enumerate(block.getArguments(), expected))
    if (arg.getType() != type)
      return op->emitOpError() << "region '" << name << "' argument " << i
                              << " must have type " << type << ", got "
                              << arg.getType();
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield)
    return op->emitOpError() << "region '" << name
                             << "' must end with attn.yield";
  if (yield.getValues().size() != 1 ||
      yield.getValues().front().getType() != resultType)
    return yield.emitOpError() << "in region '" << name
                               << "' must yield exactly one " << resultType;
  for (Operation &nested : block.without_terminator()) {
    StringRef ns = nested.getDialect() ? nested.getDialect()->getNamespace()
                                       : StringRef();
    // Constant tables are read with tensor.extract like captures.
    if (isa<tensor::ExtractOp, tensor::DimOp, QueryLengthOp, KeyLengthOp,
            AlignedQueryOp>(nested) ||
        (isa<arith::ConstantOp>(nested) &&
         isa<RankedTensorType>(nested.getResult(0).getType())))
      continue;
    if (ns == "arith" || ns == "math") {
      // Regions are scalar code: the lowerings inline them per element.
      auto isScalar = [](Type t) { return t.isIntOrIndexOrFloat(); };
      if (!llvm::all_of(nested.getOperandTypes(), isScalar) ||
          !llvm::all_of(nested.getResultTypes(), isScalar))
        return nested.emitOpError()
               << "in an attn region must operate on scalars (integer, "
                  "index or float), not vectors or tensors (tensors are only "
                  "read, from captures or constant tables)";
      continue;
    }
    return nested.emitOpError()
           << "is not supported in an attn region; only arith and math ops, "
              "tensor.extract and tensor.dim on captures, attn.query_length, "
              "attn.key_length and attn.aligned_query are";
  }
  return success();
}

/// The output is [B, Hq, Nq, Dv] and the logsumexp [B, Hq, Nq]: B, Hq and Nq
/// are the query's extents, Dv the value's (the verifier's Extents).
LogicalResult
AttentionOp::reifyResultShapes(OpBuilder &b,
                               ReifiedRankedShapedTypeDims &shapes) {
  Location loc = getLoc();
  SmallVector<OpFoldResult> rows;
  for (int64_t d = 0; d < 3; ++d)
    rows.push_back(tensor::getMixedSize(b, loc, getQuery(), d));
  SmallVector<OpFoldResult> output = rows;
  output.push_back(tensor::getMixedSize(b, loc, getValue(), 3));
  shapes.push_back(output);
  if (getLse())
    shapes.push_back(rows);
  return success();
}

LogicalResult AttentionOp::verifyRegions() {
  Builder b(getContext());
  Type index = b.getIndexType();
  Type f32 = b.getF32Type();
  if (failed(verifySpecRegion(*this, getMaskFn(), "mask_fn",
                              {index, index, index, index}, getCaptures(),
                              b.getI1Type())))
    return failure();
  if (failed(verifySpecRegion(*this, getScoreMod(), "score_mod",
                              {f32, index, index, index, index}, getCaptures(),
                              f32)))
    return failure();
  return verifySpecRegion(*this, getWeightMod(), "weight_mod",
                          {f32, f32, index, index, index, index},
                          getCaptures(), f32);
}

//===----------------------------------------------------------------------===//
// Branch combinations and block pooling
//===----------------------------------------------------------------------===//

/// Checks that every branch output has the shape and element type of the
/// result (static extents equal), naming the operand.
static LogicalResult checkBranchOutputs(Operation *op, ValueRange outputs,
                                        RankedTensorType result) {
  if (outputs.size() < 2)
    return op->emitOpError() << "combines at least 2 branches, got "
                             << outputs.size();
  static const char *meanings[] = {"batch", "query heads", "queries",
                                   "value head dim"};
  for (auto [n, v] : llvm::enumerate(outputs)) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getElementType() != result.getElementType())
      return op->emitOpError()
             << "branch output #" << n << " has element type "
             << type.getElementType() << " but the result has "
             << result.getElementType();
    for (int64_t d = 0; d < 4; ++d)
      if (failed(checkDim(op, "branch output #" + std::to_string(n),
                          unsigned(d), type.getDimSize(d),
                          result.getDimSize(d), meanings[d])))
        return failure();
  }
  return success();
}

/// The [B, Hq, Nq] of a logsumexp against an output shape.
static LogicalResult checkRowShape(Operation *op, StringRef what,
                                   RankedTensorType type,
                                   RankedTensorType output) {
  if (type.getRank() != 3)
    return op->emitOpError() << what << " must have rank 3 [batch, heads, "
                                        "queries], got rank "
                             << type.getRank();
  static const char *meanings[] = {"batch", "query heads", "queries"};
  for (int64_t d = 0; d < 3; ++d)
    if (failed(checkDim(op, what, unsigned(d), type.getDimSize(d),
                        output.getDimSize(d), meanings[d])))
      return failure();
  return success();
}

LogicalResult BranchMergeOp::verify() {
  auto result = cast<RankedTensorType>(getOutput().getType());
  if (getOutputs().size() != getLses().size())
    return emitOpError() << "needs one logsumexp per branch output, got "
                         << getOutputs().size() << " outputs and "
                         << getLses().size() << " logsumexps";
  if (failed(checkBranchOutputs(*this, getOutputs(), result)))
    return failure();
  for (auto [n, lse] : llvm::enumerate(getLses()))
    if (failed(checkRowShape(*this, "logsumexp #" + std::to_string(n),
                             cast<RankedTensorType>(lse.getType()), result)))
      return failure();
  if (Value lse = getLse())
    if (failed(checkRowShape(*this, "the merged logsumexp",
                             cast<RankedTensorType>(lse.getType()), result)))
      return failure();
  return success();
}

LogicalResult GatedSumOp::verify() {
  auto result = cast<RankedTensorType>(getOutput().getType());
  if (getOutputs().size() != getGates().size())
    return emitOpError() << "needs one gate per branch output, got "
                         << getOutputs().size() << " outputs and "
                         << getGates().size() << " gates";
  if (failed(checkBranchOutputs(*this, getOutputs(), result)))
    return failure();
  static const char *meanings[] = {"batch", "query heads", "queries",
                                   "value head dim"};
  for (auto [n, gate] : llvm::enumerate(getGates())) {
    auto type = cast<RankedTensorType>(gate.getType());
    std::string what = "gate #" + std::to_string(n);
    if (!isa<FloatType>(type.getElementType()))
      return emitOpError() << what << " must have a floating-point element "
                                      "type, got "
                           << type.getElementType();
    if (type.getRank() != 3 && type.getRank() != 4)
      return emitOpError() << what
                           << " must have rank 3 [batch, heads, queries] or "
                              "4 [batch, heads, queries, value head dim], "
                              "got rank "
                           << type.getRank();
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (failed(checkBroadcastDim(*this, what, unsigned(d),
                                   type.getDimSize(d), result.getDimSize(d),
                                   meanings[d])))
        return failure();
  }
  return success();
}

LogicalResult PoolBlocksOp::verify() {
  int64_t block = getBlock();
  if (block < 1)
    return emitOpError() << "block must be at least 1, got " << block;
  auto input = cast<RankedTensorType>(getInput().getType());
  auto pooled = cast<RankedTensorType>(getPooled().getType());
  if (pooled.getRank() != 4)
    return emitOpError() << "the pooled result must have rank 4, got rank "
                         << pooled.getRank();
  int64_t n = input.getDimSize(2);
  int64_t blocks = known(n) ? (n + block - 1) / block : ShapedType::kDynamic;
  static const char *meanings[] = {"batch", "heads", "blocks", "head dim"};
  for (int64_t d = 0; d < 4; ++d)
    if (failed(checkDim(*this, "the pooled result", unsigned(d),
                        pooled.getDimSize(d),
                        d == 2 ? blocks : input.getDimSize(d), meanings[d])))
      return failure();
  if (Value counts = getLogCounts()) {
    auto type = cast<RankedTensorType>(counts.getType());
    if (type.getRank() != 4)
      return emitOpError() << "log_counts must have rank 4 [1, 1, 1, blocks] "
                              "(a bias), got rank "
                           << type.getRank();
    for (int64_t d = 0; d < 4; ++d)
      if (failed(checkDim(*this, "log_counts", unsigned(d), type.getDimSize(d),
                          d == 3 ? blocks : 1, d == 3 ? "blocks" : "broadcast")))
        return failure();
  }
  return success();
}

LogicalResult BranchMergeOp::reifyResultShapes(OpBuilder &b,
                                         ReifiedRankedShapedTypeDims &shapes) {
  Value first = getOutputs().front();
  SmallVector<OpFoldResult> output;
  for (int64_t d = 0; d < 4; ++d)
    output.push_back(tensor::getMixedSize(b, getLoc(), first, d));
  shapes.push_back(output);
  if (getLse())
    shapes.push_back(SmallVector<OpFoldResult>(output.begin(),
                                               output.begin() + 3));
  return success();
}

LogicalResult
GatedSumOp::reifyResultShapes(OpBuilder &b,
                              ReifiedRankedShapedTypeDims &shapes) {
  Value first = getOutputs().front();
  SmallVector<OpFoldResult> output;
  for (int64_t d = 0; d < 4; ++d)
    output.push_back(tensor::getMixedSize(b, getLoc(), first, d));
  shapes.push_back(output);
  return success();
}

LogicalResult
PoolBlocksOp::reifyResultShapes(OpBuilder &b,
                                ReifiedRankedShapedTypeDims &shapes) {
  Location loc = getLoc();
  SmallVector<OpFoldResult> pooled;
  for (int64_t d = 0; d < 4; ++d)
    pooled.push_back(tensor::getMixedSize(b, loc, getInput(), d));
  if (auto n = getConstantIntValue(pooled[2]))
    pooled[2] = b.getIndexAttr((*n + getBlock() - 1) / getBlock());
  else
    pooled[2] = arith::CeilDivUIOp::create(
                    b, loc, cast<Value>(pooled[2]),
                    arith::ConstantIndexOp::create(b, loc, getBlock()))
                    .getResult();
  shapes.push_back(pooled);
  if (getLogCounts())
    shapes.push_back({b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(1),
                      pooled[2]});
  return success();
}
