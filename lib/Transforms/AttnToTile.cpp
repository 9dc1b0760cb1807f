//===- AttnToTile.cpp - spec -> tile program ------------------------------===//
//
// attn.attention -> scf.forall over (batch, query head, query tile) holding
// the attn_tile program of one work item. The one-pass / two-pass choice is
// made here; see the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/Passes.h"

#include "attn/Conversion/AttnCodegen.h"
#include "attn/Transforms/TileProgramLimits.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

#include <limits>

namespace attn {
#define GEN_PASS_DEF_ATTNTOTILE
#include "attn/Transforms/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;
using namespace attn::tile;

namespace {

/// The row statistics and accumulator a key loop threads.
struct RowState {
  RowState(Value max, Value sum, Value acc, Value count = {},
           Value valueSum = {})
      : max(max), sum(sum), acc(acc), count(count), valueSum(valueSum) {}
  Value max, sum, acc;
  /// With an affine normalization (subtractive, mala): the count of kept
  /// keys and the sum of their value rows.
  Value count, valueSum;
};

class TileProgramBuilder {
public:
  TileProgramBuilder(AttentionOp op, int64_t tileQ, int64_t tileKv,
                     int64_t splitKv, int64_t linearChunk,
                     bool regroupSelection = false)
      : op(op), b(op), loc(op.getLoc()), e(b, loc), tileQ(tileQ),
        tileKv(tileKv), splitKv(splitKv), linearChunk(linearChunk),
        regroupSelection(regroupSelection) {}

  void build() {
    buildForms();
    // The value head dim is read only where it is dynamic: not left dead
    // (the GPU kernel replaces the program and its producers, not this).
    if (Operation *d = dv.getDefiningOp(); d && d->use_empty()) {
      Operation *index = d->getOperand(1).getDefiningOp();
      d->erase();
      if (index && index->use_empty())
        index->erase();
    }
  }

private:
  /// The program of the form the spec takes.
  void buildForms();
  Value dim(Value tensor, int64_t d) {
    return tensor::DimOp::create(b, loc, tensor, d);
  }
  /// A `rows x extent(source, 3)` f32 tile type.
  RankedTensorType tileType(int64_t rows, Value source) {
    return RankedTensorType::get(
        {rows, cast<RankedTensorType>(source.getType()).getDimSize(3)},
        b.getF32Type());
  }
  /// A `rows x extent(source, 3)` i8 tile type (quantized rows).
  RankedTensorType quantizedTileType(int64_t rows, Value source) {
    return RankedTensorType::get(
        {rows, cast<RankedTensorType>(source.getType()).getDimSize(3)},
        b.getI8Type());
  }
  /// With quantized Q K^T: the i8 Q and K of the whole call (given, or
  /// quantized/signed once before the work items) and their scales.
  void quantizeOperands();
  /// With a rotation: Q and K times their key head's matrix, once per call
  /// (qSource, kSource: what smoothing and quantization read).
  void rotate();
  /// With smooth_q: centers Q per query block (and K over all tokens with
  /// smooth_k) once per call, recording the residuals to quantize, the
  /// query means and the float keys of the correction.
  void smoothQuery();
  /// The float Q and K that quantized Q K^T starts from: the operands, or
  /// their rotations.
  Value qSource, kSource;
  /// The residuals smoothQuery recorded to quantize (null: the operand).
  Value qResidual, kResidual;
  /// The i8 rows of `values` (Q or K) at `row` of (bi, head) and their
  /// scales.
  std::pair<Value, Value> loadQuantized(Value values, Value scales,
                                        int64_t block, Value head, Value row,
                                        int64_t rows);
  /// The score tile of key tile `k0` before the mask: scale * Q K^T, or
  /// its quantized form.
  Value rawScores(Value k0);
  /// A tensor of `type` filled with `value` (dynamic extents from `dims`).
  Value filled(RankedTensorType type, double value, ValueRange dims = {});
  Value scale();
  /// A forall over (batch, query head, query tile[, split]) writing `outs`;
  /// `body` fills one iteration (its shared outs as arguments).
  scf::ForallOp workLoop(ArrayRef<OpFoldResult> extraUpperBound,
                         ValueRange outs,
                         function_ref<void(ValueRange ivs, ValueRange)> body);
  /// Sets the per-work-item values (indices, head maps, the query tile).
  void beginWorkItem(ValueRange ivs);
  RowState initialState();
  /// Folds the head's sink logit (if the op has one) into the row
  /// statistics of `state`; returns the accumulator's rescale (null
  /// without sinks).
  Value foldSink(RowState &state);
  /// Sink fold, finalization and the insertion of the tile's rows into the
  /// output (and logsumexp) `sharedOuts`.
  void finishWorkItem(RowState state, Value accScale, ValueRange sharedOuts);
  void buildOnePassOrTwoPasses(ValueRange ivs, ValueRange sharedOuts);
  void buildSplitKv(ValueRange outs);
  /// split-kv = 0: ceil(target items / query-tile items), at most one split
  /// per kMinTilesPerSplit key tiles (run time).
  Value automaticSplits(Value numKTiles) {
    Value items = e.muli(e.muli(batch, hq), numQTiles);
    Value wanted = arith::CeilDivUIOp::create(
        b, loc, e.idx(kSplitKvTargetItems), e.maxsi(items, e.idx(1)));
    Value most = arith::CeilDivUIOp::create(b, loc, numKTiles,
                                            e.idx(kMinTilesPerSplit));
    return e.minsi(wanted, most);
  }
  /// Whether the spec is causal linear attention that the chunked form
  /// computes exactly (see the pass description).
  bool isChunkableLinear();
  /// The chunked O(N) form: work items (batch, head), chunks in order.
  void buildChunkedLinear(ValueRange outs);
  /// Whether the spec is non-causal linear attention without a mask that
  /// the global form computes exactly (one state of all the keys).
  bool isGlobalLinear();
  /// The global O(N) form: per (batch, head) the state of all the keys,
  /// then every query chunk reads it.
  void buildGlobalLinear(ValueRange outs);
  /// The scf.forall over (batch, head) of the linear forms, its output
  /// rows [Nq, Dv] (0 where no chunk writes) computed by `body` from the
  /// zero rows, the zero state [F' x Dv] and key sum [F'].
  void buildLinearWorkItems(
      ValueRange outs,
      function_ref<Value(Value rows, Value state, Value keySum)> body);
  /// `finalized` (the rows of the query chunk from q0) inserted into
  /// `rows`: rows [max(q0, 0), min(q0 + C, Nq)).
  Value insertChunkRows(Value finalized, Value rows);
  /// The finalization of a query chunk's accumulator (l1 division, gate,
  /// epilogue) in the output's element type.
  Value finalizeChunk(Value acc, Value max, Value sum);
  /// One chunk at key position `c0`: its output rows inserted into `rows`;
  /// returns the new (state, key sum, rows) and, with an affine
  /// normalization, the advanced `affineCarry`.
  SmallVector<Value> chunkStep(Value c0, Value state, Value keySum,
                               Value rows, ValueRange affineCarry = {});
  /// With an affine normalization, the chunk's kept-key counts and value
  /// sums (the carried ones read, the chunk's own keys on top, as for
  /// the feature state) and the corrected accumulator; `affineCarry`
  /// (value sum [1, Dv], count [1]) is advanced past the chunk.
  Value affineChunkRows(Value c0, Value masked, Value vTile, Value acc,
                        Value weightSum, SmallVector<Value> &affineCarry);
  /// The affine correction (subtractive, mala) of a finished accumulator;
  /// `acc` itself without one.
  Value affineNormalize(Value acc, Value sum, Value count, Value valueSum) {
    if (!op.hasAffineNormalization())
      return acc;
    return AffineNormalizeOp::create(b, loc, acc.getType(), acc, sum, count,
                                     valueSum, op.getNormalizationAttr());
  }

  /// Scores of key tile `k0` after the mask (the raw scores weight_mod
  /// reads) and after the score modifications.
  std::pair<Value, Value> scoreTile(Value k0, Value partial);
  /// One pass over the key tiles in [keyBegin, keyEnd) (all when null).
  RowState onePass(RowState init, Value keyBegin = {}, Value keyEnd = {});
  RowState twoPasses(RowState init);
  Value applyWeightMod(Value weights, Value masked, Value k0);
  /// acc * alpha + P V on the value tile at k0 (f32, or quantized with
  /// pv = int8).
  Value accumulate(Value weights, Value acc, Value alpha, Value masked,
                   Value k0);
  /// phi of the spec's feature map on a loaded Q or K tile (linear
  /// attention); the tile itself without one.
  Value applyFeatureMap(Value tile, bool keys) {
    FeatureMapAttr map = op.getFeatureMapAttr();
    if (!map)
      return tile;
    FeatureMapKind kind = keys ? map.getKeyKind() : map.getQueryKind();
    // Sequence and cross key maps were applied to all the keys before the
    // work items.
    if (kind == FeatureMapKind::Identity ||
        FeatureMapAttr::isKeyOnlyKind(kind))
      return tile;
    auto one = FeatureMapAttr::get(b.getContext(), kind);
    if (!FeatureMapAttr::isElementwiseKind(kind))
      return expandFeatures(tile, one);
    return FeatureMapOp::create(b, loc, tile.getType(), tile, one).getResult();
  }
  /// The keys the score tiles load: K, or with a sequence key map
  /// (Efficient Attention) K mapped over its whole sequence, or with a
  /// cross key map (RALA, Flowformer) the weighted keys of every query
  /// head, once per call.
  Value keysForScores();
  /// The head of `keySource` that the work item's key tiles read.
  Value keyHead() { return keysByQueryHead ? hi : hk; }
  /// The finalization's gate: flow's row factors or the output gate.
  Value outputGate() { return rowGate ? rowGate : op.getOutputGate(); }
  /// phi of a map that changes the feature dimension (hedgehog, taylor2):
  /// `rows x F'` (the query head's weights for hedgehog).
  Value expandFeatures(Value tile, FeatureMapAttr map);
  /// The extent F' of phi's features (D for the elementwise maps).
  Value featureDim();
  /// F' when the spec's types give it statically.
  int64_t staticFeatureDim();
  /// The decay between each key and query of the tile at `k0` (identity
  /// normalization: the weights are these scores); `scores` without one.
  Value applyDecay(Value scores, Value k0) {
    // A gate per channel is inside the score already (gatedOrPlainScores).
    if (!decayPrefix || op.hasChannelDecay())
      return scores;
    return DecayOp::create(b, loc, scores.getType(), scores, decayPrefix, q0,
                           k0, nq, nk);
  }
  /// `scale * phi(Q) phi(K)^T` of the query tile at `qPos` and the key
  /// tile at `kPos`, with a gate per key channel inside the dot product
  /// when the spec has one (GLA).
  Value gatedOrPlainScores(Value qt, Value kt, Value qPos, Value kPos) {
    if (!op.hasChannelDecay())
      return ScoresOp::create(b, loc, scoreType, qt, kt, scaleValue);
    return GatedScoresOp::create(b, loc, scoreType, qt, kt, decayPrefix,
                                 scaleValue, qPos, kPos, nq, nk);
  }
  /// The f64 prefix sums of the log decay of the work item (per key, or
  /// per key and channel for a gate per channel).
  Value buildDecayPrefix() {
    Value decay = op.getDecay();
    if (!decay)
      return Value();
    SmallVector<int64_t> shape = {ShapedType::kDynamic};
    if (op.hasChannelDecay())
      shape.push_back(ShapedType::kDynamic);
    return DecayPrefixOp::create(
        b, loc, RankedTensorType::get(shape, b.getF64Type()), decay, bi, hi,
        nk);
  }
  /// The masked scores whose -inf entries P V skips (excluded keys never
  /// read their value rows); null without a mask, where only the padding
  /// past the ends is excluded and it reads as 0.
  Value exclusions(Value masked) {
    return op.getMaskAttr() || !op.getMaskFn().empty() || op.hasSelection()
               ? masked
               : Value();
  }
  /// A block layout the mask reads becomes the loop's run-time tile list.
  void scheduleLayout(ForKeyTilesOp loop) {
    if (Value layout = op.getBlockLayout())
      loop.setBlockLayout(layout, bi, hi);
    if (TopKBlocksAttr selection = op.getSelectionAttr();
        selection && !currentBlockMask)
      loop.setSelectedBlocks(visitedBlocks, selection.getBlock());
  }
  /// The selection's blocks for the work item's query rows (members per
  /// row, and the blocks any row visits), from the pooled keys.
  void selectBlocks();
  /// The gates `rows . pooled[bi, head, c]` of every block as score tiles
  /// against the pooled keys ([tileQ, blocks rounded up to tile-kv]): the
  /// vector kernels compute them, where select_blocks' own contraction is
  /// scalar.
  Value gateTiles(Value rows, Value head);
  /// Whether a per-token selection takes the regrouped form (see the pass
  /// description): the current block per query tile, then per key block
  /// the queries that selected it, gathered.
  bool isRegroupedSelection();
  void buildRegroupedSelection(ValueRange outs);
  /// i1 flags as an i8 tensor of the same shape (0 or 1).
  Value asBytes(Value flags);
  /// The regrouped form's past blocks of one (batch, head): per key block
  /// the gathered query tiles continue the rows' online statistics in
  /// `state` (acc [rows, Dv], max, sum [rows]); returns the new state.
  SmallVector<Value> regroupedPastBlocks(Value members, ValueRange state);
  /// One gathered query tile (`rows[g0 ..)` of `count`) against the key
  /// tiles of [keyBegin, keyEnd): its rows' state gathered, updated by the
  /// online update and P V, and scattered back.
  SmallVector<Value> regroupedTile(Value rows, Value count, Value g0,
                                   Value keyBegin, Value keyEnd,
                                   ValueRange state);
  /// The mask the key loops and mask ops apply: the spec's, or in the
  /// regrouped form's first phase the current block's.
  MaskAttrInterface loopMask() {
    return currentBlockMask ? currentBlockMask : op.getMaskAttr();
  }
  /// The selection's pooled keys (and queries per query block), once per
  /// call; with a learned gate, projected to the gate width.
  void poolSelection();
  /// `pooled` times the learned weight `w` per head: [B, H, n, Dg].
  Value projectPooled(Value pooled, Value w);
  /// A given gate's block_scores as one-wide pooled keys.
  void givenScoresAsPooledKeys();
  /// Given scores per query block: the work item's rows of them, as
  /// select_blocks' given gates.
  Value givenGateRows(Value head);
  /// Excludes the pairs whose key block the row did not select.
  Value keepSelected(Value masked, Value k0) {
    TopKBlocksAttr selection = op.getSelectionAttr();
    if (!selection || currentBlockMask)
      return masked;
    return KeepSelectedOp::create(b, loc, masked.getType(), masked,
                                  memberBlocks, k0, nk,
                                  selection.getBlock());
  }

  AttentionOp op;
  OpBuilder b;
  Location loc;
  codegen::ScalarEmitter e;
  int64_t tileQ, tileKv, splitKv, linearChunk;
  bool regroupSelection;

  // Problem extents and per-work-item values.
  Value batch, hq, nq, nk, dv, scaleValue, numQTiles;
  Value bi, hi, q0, hk, hv, qTile;
  /// Prefix sums of the log decay of (bi, hi), with a decay operand.
  Value decayPrefix;
  /// With a selection: the pooled keys of the call, and the work item's
  /// selected blocks per row and in any row.
  Value pooledKeys, memberBlocks, visitedBlocks;
  /// In the regrouped form's first phase: the mask of the current block
  /// (the spec's mask and chunked<block>), which replaces the selection.
  MaskAttrInterface currentBlockMask;
  /// With a per-query-block selection: the mean query of every query block.
  Value pooledQueries;
  /// With quantized Q K^T: i8 Q and K of the call, their scales (null:
  /// 1), and the work item's query row scales.
  Value qValues, qScales, kValues, kScales, qRowScales;
  /// With smooth_q: the query block means of the call (each token's row
  /// its block's mean, [B, Hq, Nq, D] f32), the float keys the correction
  /// reads (K, or K minus its token mean with smooth_k) and the work
  /// item's tile of query means.
  Value qMeans, kFloat, qMeanTile;
  /// With pv = int8: the i8 V of the call, its channel scales [B, Hv, Dv]
  /// and the work item's value head's scales [Dv].
  Value vValues, vScales, vChannelScales;
  /// With pv = fp8_e4m3 / fp8_e5m2: V rounded to FP8 per channel scale,
  /// dequantized in f32 [B, Hv, Nk, Dv], and the format.
  Value vFP8;
  /// The V the weights multiply: the operand, or with a value cache
  /// (value_quantization) the values times their scales in f32, once per
  /// call (valuesOfCall).
  Value valueSource;
  Value valuesOfCall();
  /// The keys of the score tiles (keysForScores; the dequantized keys
  /// with keys_only).
  Value keySource;
  /// With keys_only: the float query of the scores (rotated when the spec
  /// rotates).
  Value floatQuery;
  /// With a low_rank term: q U and k W of the call ([B, H, N, R] f32) and
  /// the work item's tile of q U.
  Value qLowRank, kLowRank, qLowRankTile;
  /// With a cross key map: keySource is per query head, and flow's row
  /// factors [B, Hq, Nq] (null otherwise).
  bool keysByQueryHead = false;
  Value rowGate;
  bool fp8E5M2 = false;
  RankedTensorType rowsType, scoreType;
};

} // namespace

Value TileProgramBuilder::filled(RankedTensorType type, double value,
                                 ValueRange dims) {
  Value empty = tensor::EmptyOp::create(b, loc, type, dims);
  return linalg::FillOp::create(b, loc, ValueRange{e.f32(value)},
                                ValueRange{empty})
      .getResult(0);
}

Value TileProgramBuilder::scale() {
  if (FloatAttr s = op.getScaleAttr())
    return e.f32(s.getValueAsDouble());
  Value d = dim(op.getQuery(), 3);
  Value df = arith::UIToFPOp::create(
      b, loc, b.getF32Type(),
      arith::IndexCastUIOp::create(b, loc, b.getI64Type(), d));
  return math::RsqrtOp::create(b, loc, df);
}

void TileProgramBuilder::rotate() {
  Value rotation = op.getRotation();
  if (!rotation)
    return;
  // A pre-quantized key (keys_only) holds keys rotated offline: only the
  // query is rotated.
  bool keyRotated = !isUnquantizedFloatType(
      cast<RankedTensorType>(kSource.getType()).getElementType());
  auto rotated = [&](Value operand) -> Value {
    auto type = cast<RankedTensorType>(operand.getType());
    return RotateOp::create(
        b, loc, RankedTensorType::get(type.getShape(), b.getF32Type()),
        operand, rotation);
  };
  qSource = rotated(qSource);
  if (!keyRotated)
    kSource = rotated(kSource);
}

void TileProgramBuilder::smoothQuery() {
  QuantizedQKAttr quant = op.getQuantizationAttr();
  auto centered = [&](Value operand, std::optional<int64_t> block) {
    auto type = cast<RankedTensorType>(operand.getType());
    auto f32Type = RankedTensorType::get(type.getShape(), b.getF32Type());
    auto center = CenterOp::create(
        b, loc, f32Type, f32Type, operand,
        block ? b.getI64IntegerAttr(*block) : IntegerAttr());
    return std::make_pair(center.getResidual(), center.getMeans());
  };
  std::tie(qResidual, qMeans) = centered(qSource, quant.getQBlock());
  kFloat = kSource;
  if (quant.getSmoothK())
    kFloat = kResidual = centered(kSource, std::nullopt).first;
}

void TileProgramBuilder::quantizeOperands() {
  QuantizedQKAttr quant = op.getQuantizationAttr();
  qSource = op.getQuery();
  kSource = op.getKey();
  if (Value u = op.getLowRankU()) {
    // The low-rank term's projections of the float operands as given, once
    // per call (the rotation op's arithmetic with R-wide matrices).
    auto project = [&](Value operand, Value factors) -> Value {
      auto type = cast<RankedTensorType>(operand.getType());
      auto fType = cast<RankedTensorType>(factors.getType());
      return RotateOp::create(
          b, loc,
          RankedTensorType::get({type.getDimSize(0), type.getDimSize(1),
                                 type.getDimSize(2), fType.getDimSize(2)},
                                b.getF32Type()),
          operand, factors);
    };
    qLowRank = project(qSource, u);
    kLowRank = project(kSource, op.getLowRankW());
  }
  rotate();
  if (quant.getSmoothQ())
    smoothQuery();
  auto prepare = [&](Value operand, Value scaleOperand, int64_t block,
                     bool center, Value residual,
                     Value salient) -> std::pair<Value, Value> {
    auto type = cast<RankedTensorType>(operand.getType());
    if (type.getElementType().isInteger(8) ||
        isFP8Type(type.getElementType()))
      return {operand, scaleOperand};
    auto valuesType = RankedTensorType::get(type.getShape(), b.getI8Type());
    // Pre-quantized INT4: held in i8 lanes, as the compiler's own INT4.
    if (type.getElementType().isInteger(4))
      return {UnpackInt4Op::create(b, loc, valuesType, operand), scaleOperand};
    if (residual) {
      // Quantize the residual of Q (smooth_q) or of K (smooth_k next to
      // smooth_q: the correction needs the centered float keys).
      operand = residual;
      center = false;
    }
    if (quant.getScheme() == QuantScheme::Sign)
      return {SignOp::create(b, loc, valuesType, operand), scaleOperand};
    if (isFP8Scheme(quant.getScheme())) {
      // FP8 per block of tokens, held dequantized in f32 (no scales left).
      bool e5m2 = quant.getScheme() == QuantScheme::Fp8E5M2;
      return {QuantizeFP8Op::create(
                  b, loc,
                  RankedTensorType::get(type.getShape(), b.getF32Type()),
                  operand, b.getI64IntegerAttr(block),
                  center ? b.getUnitAttr() : UnitAttr(),
                  e5m2 ? b.getUnitAttr() : UnitAttr()),
              Value()};
    }
    auto scalesType = RankedTensorType::get(
        {type.getDimSize(0), type.getDimSize(1), ShapedType::kDynamic},
        b.getF32Type());
    // INT4 is the same quantization to [-7, 7], held in i8 lanes.
    int64_t range = quant.getScheme() == QuantScheme::Int4 ? 7 : 127;
    // Salient key blocks (mixed precision): 2^(b-1) - 1 for b bits.
    IntegerAttr salientRange =
        salient ? b.getI64IntegerAttr((int64_t(1) << (quant.getSalientBits() -
                                                      1)) -
                                      1)
                : IntegerAttr();
    auto quantize = QuantizeOp::create(
        b, loc, valuesType, scalesType, operand, b.getI64IntegerAttr(block),
        center ? b.getUnitAttr() : UnitAttr(), b.getI64IntegerAttr(range),
        salient, salientRange);
    return {quantize.getValues(), quantize.getScales()};
  };
  // keys_only: the query stays float (rotated when the spec rotates).
  if (!quant.getKeysOnly())
    std::tie(qValues, qScales) =
        prepare(qSource, op.getQScale(), quant.getQBlock(), false, qResidual,
                Value());
  std::tie(kValues, kScales) = prepare(kSource, op.getKScale(),
                                       quant.getKBlock(), quant.getSmoothK(),
                                       kResidual, op.getKSalient());
  // The f32 form of a quantized operand: the compiler's FP8 is already
  // dequantized (f32); i8/i4 values and FP8 operands times their scales.
  auto dequantized = [&](Value values, Value scales, int64_t block) -> Value {
    auto type = cast<RankedTensorType>(values.getType());
    if (type.getElementType().isF32())
      return values;
    return DequantizeOp::create(
        b, loc, RankedTensorType::get(type.getShape(), b.getF32Type()),
        values, scales, b.getI64IntegerAttr(block));
  };
  if (quant.getKeysOnly() || isFP8Scheme(quant.getScheme())) {
    // The float scores read the dequantized keys, f32(kq) * sk, once per
    // call; the integer kernels are not used. FP8 Q K^T: the query too
    // (products of two FP8 values are exact in f32; the f32 kernels).
    keySource = dequantized(kValues, kScales, quant.getKBlock());
    floatQuery = quant.getKeysOnly()
                     ? qSource
                     : dequantized(qValues, qScales, quant.getQBlock());
  }
  auto vType = cast<RankedTensorType>(valueSource.getType());
  if (quant.getPv() == PVPrecision::Fp8E4M3 ||
      quant.getPv() == PVPrecision::Fp8E5M2) {
    // FP8 V, held dequantized in f32 (the CPU has no FP8 arithmetic).
    fp8E5M2 = quant.getPv() == PVPrecision::Fp8E5M2;
    vFP8 = FP8ChannelsOp::create(
        b, loc, RankedTensorType::get(vType.getShape(), b.getF32Type()),
        valueSource, fp8E5M2);
    return;
  }
  if (quant.getPv() != PVPrecision::Int8)
    return;
  auto quantize = QuantizeChannelsOp::create(
      b, loc, RankedTensorType::get(vType.getShape(), b.getI8Type()),
      RankedTensorType::get({vType.getDimSize(0), vType.getDimSize(1),
                             vType.getDimSize(3)},
                            b.getF32Type()),
      valueSource);
  vValues = quantize.getValues();
  vScales = quantize.getScales();
}

Value TileProgramBuilder::valuesOfCall() {
  Value value = op.getValue();
  QuantizedVAttr quant = op.getValueQuantizationAttr();
  if (!quant)
    return value;
  // The simple form: f32(v) * sv once per call (O(Nk Dv), before the work
  // items), then the float P V kernels; the difference from the exact
  // reference is one f32 rounding per element.
  auto type = cast<RankedTensorType>(value.getType());
  bool channels = quant.getPer() == VScaleGranularity::Channel;
  return DequantizeOp::create(
      b, loc, RankedTensorType::get(type.getShape(), b.getF32Type()), value,
      op.getVScale(), b.getI64IntegerAttr(channels ? 1 : quant.getBlock()),
      channels ? b.getUnitAttr() : UnitAttr());
}

/// acc * alpha + P V on the value tile at k0, in f32 or (pv = int8) on u8
/// weights and i8 values.
Value TileProgramBuilder::accumulate(Value weights, Value acc, Value alpha,
                                     Value masked, Value k0) {
  if (vValues) {
    Value vTile = loadQuantized(vValues, Value(), 1, hv, k0, tileKv).first;
    return QuantizedAccumulateOp::create(b, loc, acc.getType(), weights, vTile,
                                         vChannelScales, acc, alpha);
  }
  Value values = valueSource;
  if (vFP8) {
    // FP8 P V: the tile's weights exp(s - m_t) rounded at scale F, the
    // FP8 values of the call.
    values = vFP8;
    weights = RoundFP8Op::create(b, loc, weights.getType(), weights, fp8E5M2);
  }
  Value vTile =
      LoadOp::create(b, loc, tileType(tileKv, values), values, bi, hv, k0);
  return AccumulateOp::create(b, loc, acc.getType(), weights, vTile, acc,
                              alpha, masked);
}

std::pair<Value, Value>
TileProgramBuilder::loadQuantized(Value values, Value scales, int64_t block,
                                  Value head, Value row, int64_t rows) {
  auto load = LoadQuantizedOp::create(
      b, loc, quantizedTileType(rows, values),
      RankedTensorType::get({rows}, b.getF32Type()), values, bi, head, row,
      scales, block);
  return {load.getValues(), load.getRowScales()};
}

Value TileProgramBuilder::rawScores(Value k0) {
  QuantizedQKAttr quant = op.getQuantizationAttr();
  if (quant && !quant.getKeysOnly() && !isFP8Scheme(quant.getScheme())) {
    auto [kTile, kRowScales] =
        loadQuantized(kValues, kScales, quant.getKBlock(), hk, k0, tileKv);
    Value correction;
    if (qMeanTile) {
      // smooth_q: scale * qm . k' on the float keys, added to the tile.
      Value kFloatTile = LoadOp::create(b, loc, tileType(tileKv, kFloat),
                                        kFloat, bi, hk, k0);
      correction = ScoresOp::create(b, loc, scoreType, qMeanTile, kFloatTile,
                                    scaleValue);
    } else if (qLowRankTile) {
      // low_rank: scale * (q U) . (k W), added to the tile the same way.
      Value kLowRankTile = LoadOp::create(b, loc, tileType(tileKv, kLowRank),
                                          kLowRank, bi, hk, k0);
      correction = ScoresOp::create(b, loc, scoreType, qLowRankTile,
                                    kLowRankTile, scaleValue);
    }
    return QuantizedScoresOp::create(b, loc, scoreType, qTile, kTile,
                                     qRowScales, kRowScales, scaleValue,
                                     correction);
  }
  Value kTile = applyFeatureMap(
      LoadOp::create(b, loc, tileType(tileKv, keySource), keySource, bi,
                     keyHead(), k0),
      /*keys=*/true);
  return gatedOrPlainScores(qTile, kTile, q0, k0);
}

std::pair<Value, Value> TileProgramBuilder::scoreTile(Value k0,
                                                      Value partial) {
  Value s = rawScores(k0);

  bool maskFn = !op.getMaskFn().empty();
  auto mask = MaskOp::create(
      b, loc, scoreType, s, bi, hi, q0, k0, nq, nk, hq, partial,
      op.getQSegmentIds(), op.getKvSegmentIds(), op.getBlockLayout(),
      maskFn ? op.getCaptures() : ValueRange{}, loopMask());
  if (maskFn) {
    IRMapping mapping;
    op.getMaskFn().cloneInto(&mask.getMaskFn(), mapping);
  }
  Value masked = keepSelected(mask.getResult(), k0);

  bool scoreMod = !op.getScoreMod().empty();
  if (!op.getBias() && !op.getScoreModsAttr() && !scoreMod)
    return {masked, applyDecay(masked, k0)};
  auto modify = ModifyOp::create(
      b, loc, scoreType, masked, bi, hi, q0, k0, nq, nk, hq, op.getBias(),
      op.getAlibiSlopes(), scoreMod ? op.getCaptures() : ValueRange{},
      op.getScoreModsAttr());
  if (scoreMod) {
    IRMapping mapping;
    op.getScoreMod().cloneInto(&modify.getScoreMod(), mapping);
  }
  return {masked, applyDecay(modify.getResult(), k0)};
}

Value TileProgramBuilder::applyWeightMod(Value weights, Value masked,
                                         Value k0) {
  auto mod = WeightModOp::create(b, loc, scoreType, weights, masked, bi, hi,
                                 q0, k0, nq, nk, op.getCaptures());
  IRMapping mapping;
  op.getWeightMod().cloneInto(&mod.getBody(), mapping);
  return mod.getResult();
}

/// One pass over the keys: online statistics and P V.
RowState TileProgramBuilder::onePass(RowState init, Value keyBegin,
                                     Value keyEnd) {
  bool softmax = op.getNormalizationKind() == NormalizationKind::Softmax;
  SmallVector<Value> inits = {init.max, init.sum, init.acc};
  if (init.count)
    inits.append({init.count, init.valueSum});
  auto loop = ForKeyTilesOp::create(b, loc, nk, q0, nq, inits, tileQ, tileKv,
                                    loopMask(), !op.getMaskFn().empty());
  if (keyBegin)
    loop.setKeyRange(keyBegin, keyEnd);
  scheduleLayout(loop);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&loop.getBodyBlock());
    auto iter = loop.getRegionIterArgs();
    Value k0 = loop.getKeyTileStart();
    auto [masked, scores] = scoreTile(k0, loop.getPartial());
    auto update = OnlineUpdateOp::create(
        b, loc, TypeRange{scoreType, rowsType, rowsType, rowsType}, scores,
        iter[0], iter[1], op.getNormalizationAttr());
    Value weights = update.getWeights();
    if (!op.getWeightMod().empty())
      weights = applyWeightMod(weights, masked, k0);
    Value acc = accumulate(weights, iter[2],
                           softmax ? update.getAlpha() : Value(),
                           exclusions(masked), k0);
    SmallVector<Value> next = {update.getNewMax(), update.getNewSum(), acc};
    if (init.count) {
      Value vTile = LoadOp::create(b, loc, tileType(tileKv, valueSource),
                                   valueSource, bi, hv, k0);
      auto kept = KeptSumsOp::create(
          b, loc, TypeRange{iter[3].getType(), iter[4].getType()}, masked,
          vTile, iter[3], iter[4]);
      next.append({kept.getNewCount(), kept.getNewValueSum()});
    }
    tile::YieldOp::create(b, loc, next);
  }
  RowState result{loop.getResult(0), loop.getResult(1), loop.getResult(2)};
  if (init.count) {
    result.count = loop.getResult(3);
    result.valueSum = loop.getResult(4);
  }
  return result;
}

int64_t TileProgramBuilder::staticFeatureDim() {
  int64_t d = cast<RankedTensorType>(op.getQuery().getType()).getDimSize(3);
  FeatureMapAttr map = op.getFeatureMapAttr();
  if (!map || map.keepsFeatureDim())
    return d;
  if (map.hasWeights()) {
    int64_t f =
        cast<RankedTensorType>(op.getFeatureWeight().getType()).getDimSize(1);
    return ShapedType::isDynamic(f) ? f : 2 * f;
  }
  return ShapedType::isDynamic(d) ? d : 1 + d + d * d;
}

Value TileProgramBuilder::featureDim() {
  Value d = dim(op.getQuery(), 3);
  FeatureMapAttr map = op.getFeatureMapAttr();
  if (!map || map.keepsFeatureDim())
    return d;
  if (map.hasWeights())
    return e.muli(e.idx(2), dim(op.getFeatureWeight(), 1));
  return e.addi(e.addi(e.idx(1), d), e.muli(d, d));
}

Value TileProgramBuilder::expandFeatures(Value tile, FeatureMapAttr map) {
  auto type = RankedTensorType::get(
      {cast<RankedTensorType>(tile.getType()).getDimSize(0),
       staticFeatureDim()},
      b.getF32Type());
  if (!map.hasWeights())
    return ExpandFeaturesOp::create(b, loc, type, tile, map, Value(), Value(),
                                    Value());
  return ExpandFeaturesOp::create(b, loc, type, tile, map,
                                  op.getFeatureWeight(), op.getFeatureBias(),
                                  hi);
}

/// Two passes: the row statistics, then final weights, weight_mod and P V.
RowState TileProgramBuilder::twoPasses(RowState init) {
  bool regionMasked = !op.getMaskFn().empty();
  auto stats = ForKeyTilesOp::create(b, loc, nk, q0, nq,
                                     ValueRange{init.max, init.sum}, tileQ,
                                     tileKv, op.getMaskAttr(), regionMasked);
  scheduleLayout(stats);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&stats.getBodyBlock());
    auto iter = stats.getRegionIterArgs();
    Value scores = scoreTile(stats.getKeyTileStart(), stats.getPartial()).second;
    auto update = OnlineUpdateOp::create(
        b, loc, TypeRange{scoreType, rowsType, rowsType, rowsType}, scores,
        iter[0], iter[1], op.getNormalizationAttr());
    tile::YieldOp::create(b, loc, ValueRange{update.getNewMax(), update.getNewSum()});
  }
  Value max = stats.getResult(0), sum = stats.getResult(1);
  RowState folded{max, sum, Value()};
  foldSink(folded);
  max = folded.max;
  sum = folded.sum;

  auto accumulate = ForKeyTilesOp::create(b, loc, nk, q0, nq,
                                          ValueRange{init.acc}, tileQ, tileKv,
                                          op.getMaskAttr(), regionMasked);
  scheduleLayout(accumulate);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&accumulate.getBodyBlock());
    Value k0 = accumulate.getKeyTileStart();
    auto [maskedScores, scores] = scoreTile(k0, accumulate.getPartial());
    Value weights = FinalWeightsOp::create(b, loc, scoreType, scores, max, sum,
                                           op.getNormalizationAttr());
    weights = applyWeightMod(weights, maskedScores, k0);
    Value vTile = LoadOp::create(b, loc, tileType(tileKv, valueSource),
                                 valueSource, bi, hv, k0);
    Value acc = AccumulateOp::create(b, loc, init.acc.getType(), weights,
                                     vTile, accumulate.getRegionIterArgs()[0],
                                     Value(), exclusions(maskedScores));
    tile::YieldOp::create(b, loc, acc);
  }
  return {max, sum, accumulate.getResult(0)};
}

void TileProgramBuilder::beginWorkItem(ValueRange ivs) {
  bi = ivs[0];
  hi = ivs[1];
  q0 = e.muli(ivs[2], e.idx(tileQ));
  Value hkv = dim(op.getKey(), 1), hvv = dim(valueSource, 1);
  hk = e.headIndex(op.getKHeadMap(), hkv, hq, bi, hi);
  hv = e.headIndex(op.getVHeadMap(), hvv, hq, bi, hi);
  QuantizedQKAttr quant = op.getQuantizationAttr();
  if (quant && !quant.getKeysOnly() && !isFP8Scheme(quant.getScheme())) {
    std::tie(qTile, qRowScales) =
        loadQuantized(qValues, qScales, quant.getQBlock(), hi, q0, tileQ);
    if (qMeans)
      qMeanTile = LoadOp::create(b, loc, tileType(tileQ, qMeans), qMeans, bi,
                                 hi, q0);
    if (qLowRank)
      qLowRankTile = LoadOp::create(b, loc, tileType(tileQ, qLowRank),
                                    qLowRank, bi, hi, q0);
  } else if (floatQuery)
    // keys_only: the float (possibly rotated) query; FP8 Q K^T: the
    // dequantized query.
    qTile = LoadOp::create(b, loc, tileType(tileQ, floatQuery), floatQuery,
                           bi, hi, q0);
  else
    qTile = applyFeatureMap(LoadOp::create(b, loc,
                                           tileType(tileQ, op.getQuery()),
                                           op.getQuery(), bi, hi, q0),
                            /*keys=*/false);
  if (vScales) {
    // The value head's channel scales, read by every key tile.
    OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
    auto vType = cast<RankedTensorType>(valueSource.getType());
    vChannelScales = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({vType.getDimSize(3)}, b.getF32Type()),
        vScales, ArrayRef<OpFoldResult>{bi, hv, zero},
        ArrayRef<OpFoldResult>{one, one, tensor::getMixedSize(b, loc, vScales, 2)},
        ArrayRef<OpFoldResult>{one, one, one});
  }
  decayPrefix = buildDecayPrefix();
  if (op.hasSelection())
    selectBlocks();
}

void TileProgramBuilder::poolSelection() {
  TopKBlocksAttr selection = op.getSelectionAttr();
  if (selection.isGiven()) {
    givenScoresAsPooledKeys();
    return;
  }
  auto kType = cast<RankedTensorType>(op.getKey().getType());
  int64_t d = kType.getDimSize(3);
  auto pooledType = RankedTensorType::get(
      {kType.getDimSize(0), kType.getDimSize(1), ShapedType::kDynamic,
       ShapedType::isDynamic(d) ? d : selection.numPools() * d},
      b.getF32Type());
  // Proxy heads: the pooled keys of each group of key heads, averaged.
  int64_t proxies = selection.getProxyHeads();
  Value keyGroups = proxies > 0 ? e.idx(proxies) : Value();
  if (proxies > 0)
    pooledType = RankedTensorType::get(
        {pooledType.getDimSize(0), proxies, ShapedType::kDynamic,
         pooledType.getDimSize(3)},
        b.getF32Type());
  pooledKeys = PoolKeysOp::create(b, loc, pooledType, op.getKey(), keyGroups,
                                  selection);
  if (selection.isLearned())
    pooledKeys = projectPooled(pooledKeys, op.getGateKWeight());
  if (!selection.perQueryBlock())
    return;
  // A query block may straddle query tiles: pooled once, like the keys.
  // A head group's rows read one pooled query per key head.
  auto qType = cast<RankedTensorType>(op.getQuery().getType());
  bool grouped = selection.getHeadGroup();
  int64_t groupCount = proxies > 0 ? proxies : kType.getDimSize(1);
  auto pooledQType = RankedTensorType::get(
      {qType.getDimSize(0), grouped ? groupCount : qType.getDimSize(1),
       ShapedType::kDynamic, qType.getDimSize(3)},
      b.getF32Type());
  Value groups = !grouped       ? Value()
                 : proxies > 0 ? keyGroups
                               : dim(op.getKey(), 1);
  pooledQueries = PoolQueriesOp::create(b, loc, pooledQType, op.getQuery(),
                                        groups, selection);
  if (selection.isLearned())
    pooledQueries = projectPooled(pooledQueries, op.getGateQWeight());
}

// A given gate reuses select_blocks unchanged: the scores become one-wide
// pooled keys [B, Hk, blocks, 1] (extent-1 dimensions broadcast) and the
// gate rows a column of ones, so each gate is 1 * score exactly and the
// mass scale 1 / sqrt(1) leaves the scores as they are.
void TileProgramBuilder::givenScoresAsPooledKeys() {
  Value scores = op.getBlockScores();
  auto kType = cast<RankedTensorType>(op.getKey().getType());
  auto type = RankedTensorType::get(
      {kType.getDimSize(0), kType.getDimSize(1), ShapedType::kDynamic, 1},
      b.getF32Type());
  SmallVector<Value> extents;
  if (type.isDynamicDim(0))
    extents.push_back(dim(op.getKey(), 0));
  if (type.isDynamicDim(1))
    extents.push_back(dim(op.getKey(), 1));
  // Per query block ([B, Hk, query blocks, blocks]) the gates are the work
  // item's rows of the scores (givenGateRows); the pooled keys only carry
  // the block count and read query block 0.
  bool perQueryBlock = op.getSelectionAttr().perQueryBlock();
  extents.push_back(dim(scores, perQueryBlock ? 3 : 2));
  pooledKeys = tensor::GenerateOp::create(
                   b, loc, type, extents,
                   [&](OpBuilder &, Location, ValueRange index) {
                     SmallVector<Value> at = {index[0], index[1], index[2]};
                     if (perQueryBlock)
                       at.insert(at.begin() + 2, e.idx(0));
                     Value score = e.extractBroadcast(scores, at);
                     tensor::YieldOp::create(b, loc, e.toF32(score));
                   })
                   .getResult();
}

// Given scores per query block: row r of the query tile ranks the scores of
// its query block, gates[r, c] = scores[b, hk, (q0 + r) / q_block, c] (the
// last query block for rows past the queries, which select nothing), so
// select_blocks takes them as given gates.
Value TileProgramBuilder::givenGateRows(Value head) {
  Value scores = op.getBlockScores();
  Value blocks = dim(pooledKeys, 2);
  auto type =
      RankedTensorType::get({tileQ, ShapedType::kDynamic}, b.getF32Type());
  Value lastBlock = e.subi(dim(scores, 2), e.idx(1));
  Value qBlock = e.idx(op.getSelectionAttr().getQBlock());
  return tensor::GenerateOp::create(
             b, loc, type, ValueRange{blocks},
             [&](OpBuilder &, Location, ValueRange index) {
               Value row = e.addi(q0, index[0]);
               Value block = e.minsi(
                   arith::DivUIOp::create(b, loc, row, qBlock), lastBlock);
               Value score = e.extractBroadcast(
                   scores, {bi, head, block, index[1]});
               tensor::YieldOp::create(b, loc, e.toF32(score));
             })
      .getResult();
}

Value TileProgramBuilder::projectPooled(Value pooled, Value w) {
  auto pType = cast<RankedTensorType>(pooled.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  auto type = RankedTensorType::get({pType.getDimSize(0), pType.getDimSize(1),
                                     pType.getDimSize(2), wType.getDimSize(2)},
                                    b.getF32Type());
  return ProjectPooledOp::create(b, loc, type, pooled, w);
}

Value TileProgramBuilder::gateTiles(Value rows, Value head) {
  Value blocks = dim(pooledKeys, 2);
  Value padded = e.muli(
      arith::CeilDivUIOp::create(b, loc, blocks, e.idx(tileKv)), e.idx(tileKv));
  auto type =
      RankedTensorType::get({tileQ, ShapedType::kDynamic}, b.getF32Type());
  Value init = tensor::EmptyOp::create(b, loc, type, ValueRange{padded});
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  auto loop = scf::ForOp::create(
      b, loc, e.idx(0), blocks, e.idx(tileKv), ValueRange{init},
      [&](OpBuilder &, Location, Value c0, ValueRange iter) {
        // Pooled keys past the last block read 0: ignored columns.
        Value keys = LoadOp::create(b, loc, tileType(tileKv, pooledKeys),
                                    pooledKeys, bi, head, c0);
        Value tile =
            ScoresOp::create(b, loc, scoreType, rows, keys, e.f32(1.0));
        scf::YieldOp::create(b, loc,
                             tensor::InsertSliceOp::create(
                                 b, loc, tile, iter[0],
                                 ArrayRef<OpFoldResult>{zero, c0},
                                 ArrayRef<OpFoldResult>{b.getIndexAttr(tileQ),
                                                        b.getIndexAttr(tileKv)},
                                 ArrayRef<OpFoldResult>{one, one})
                                 .getResult());
      });
  return loop.getResult(0);
}

void TileProgramBuilder::selectBlocks() {
  auto members = RankedTensorType::get({tileQ, ShapedType::kDynamic},
                                       b.getI1Type());
  auto visited = RankedTensorType::get({ShapedType::kDynamic}, b.getI1Type());
  // Per query block: the rows read their block's mean query, by query head,
  // or by group (the key head's, or the proxy head's: h / (Hq / G)).
  TopKBlocksAttr selection = op.getSelectionAttr();
  int64_t proxies = selection.getProxyHeads();
  Value proxy = proxies > 0 ? arith::DivUIOp::create(
                                  b, loc, hi,
                                  arith::DivUIOp::create(b, loc, hq,
                                                         e.idx(proxies)))
                                  .getResult()
                            : Value();
  Value queryHead = !pooledQueries             ? Value()
                   : !selection.getHeadGroup() ? hi
                   : proxy                     ? proxy
                                               : hk;
  // The gate is float and raw: a quantized spec's rows, and a feature
  // map's (qTile holds phi(q)), are reloaded from the query. A
  // given gate's rows are ones against its one-wide "pooled keys".
  Value gateRows = qTile;
  if (selection.isGiven())
    gateRows = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get({tileQ, 1},
                                                     b.getF32Type()),
                               b.getF32FloatAttr(1.0f)));
  else if (op.hasQuantizedQK() || op.getFeatureMapAttr())
    gateRows = LoadOp::create(b, loc, tileType(tileQ, op.getQuery()),
                              op.getQuery(), bi, hi, q0);
  Value gates;
  if (selection.isGiven() && selection.perQueryBlock())
    gates = givenGateRows(hk);
  else if (regroupSelection && !selection.perQueryBlock() &&
           !selection.isLearned() && selection.numPools() == 1)
    gates = gateTiles(gateRows, proxy ? proxy : hk);
  auto select = SelectBlocksOp::create(
      b, loc, TypeRange{members, visited}, gateRows, pooledKeys, bi,
      proxy ? proxy : hk, pooledQueries, queryHead, gates, q0, nq, nk,
      op.getSelectionAttr());
  memberBlocks = select.getMembers();
  visitedBlocks = select.getVisited();
}

bool TileProgramBuilder::isRegroupedSelection() {
  TopKBlocksAttr selection = op.getSelectionAttr();
  // Past blocks only (causal eligibility), gated by the queries: a
  // non-causal selection may pick later blocks, and given block scores
  // were not measured in this form (both keep the union form).
  if (!regroupSelection || !selection || selection.perQueryBlock() ||
      !selection.getKeepCurrent() || selection.getBlock() % tileKv != 0 ||
      !selection.getCausal() || selection.isGiven() ||
      selection.getComplement())
    return false;
  // The past blocks are attended whole: only a causal mask (or none) keeps
  // every pair of a block before the current one.
  MaskAttrInterface mask = op.getMaskAttr();
  if (mask && !isa<CausalMaskAttr>(mask))
    return false;
  return op.getNormalizationKind() == NormalizationKind::Softmax &&
         !op.needsTwoPasses() && op.getMaskFn().empty() &&
         op.getScoreMod().empty() && op.getWeightMod().empty() &&
         !op.getScoreModsAttr() && !op.getBias() && !op.getAlibiSlopes() &&
         !op.getQSegmentIds() && !op.getBlockLayout() && !op.getDecay() &&
         !op.getFeatureMapAttr() && !op.hasQuantizedQK() &&
         !op.getSinkLogits() && !op.hasAffineNormalization() &&
         !op.getRotation() && !op.getLowRankU() && !op.getKSalient();
}

/// The regrouped form of a per-token selection (MoBA's and FlashMoBA's
/// kernels), in three phases:
///  1. work items (batch, head, query tile): the tile's selection, and its
///     rows against their current block (contiguous, under the spec's mask
///     and chunked<block>), as unnormalized row state;
///  2. work items (batch, head): per key block c, the rows that selected c
///     as a past block (attn_tile.block_rows), gathered by query tiles,
///     attend c's keys whole and continue their state (gather, online
///     update, P V, scatter);
///  3. work items (batch, head, query tile): the finalization.
/// Each row's keys are visited once, in the order current block, then its
/// past blocks by index: the same online update as the one-pass form, in
/// another order, and no pair a row did not select is computed.
void TileProgramBuilder::buildRegroupedSelection(ValueRange outs) {
  TopKBlocksAttr selection = op.getSelectionAttr();
  MLIRContext *ctx = b.getContext();
  int64_t block = selection.getBlock();
  MaskAttrInterface chunked = ChunkedMaskAttr::get(ctx, block);
  MaskAttrInterface mask = op.getMaskAttr();

  Value paddedRows = e.muli(numQTiles, e.idx(tileQ));
  Value blocks = dim(pooledKeys, 2);
  auto accType = tileType(tileQ, valueSource);
  int64_t dvStatic = accType.getDimSize(1);
  auto accBufType =
      RankedTensorType::get({ShapedType::kDynamic, ShapedType::kDynamic,
                             ShapedType::kDynamic, dvStatic},
                            b.getF32Type());
  auto rowsBufType = RankedTensorType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic, ShapedType::kDynamic},
      b.getF32Type());
  auto membersBufType =
      RankedTensorType::get({ShapedType::kDynamic, ShapedType::kDynamic,
                             ShapedType::kDynamic, ShapedType::kDynamic},
                            b.getI8Type());
  SmallVector<Value> accDims = {batch, hq, paddedRows};
  if (ShapedType::isDynamic(dvStatic))
    accDims.push_back(dv);
  SmallVector<Value> inits = {
      tensor::EmptyOp::create(b, loc, accBufType, accDims),
      tensor::EmptyOp::create(b, loc, rowsBufType,
                              ValueRange{batch, hq, paddedRows}),
      tensor::EmptyOp::create(b, loc, rowsBufType,
                              ValueRange{batch, hq, paddedRows}),
      tensor::EmptyOp::create(b, loc, membersBufType,
                              ValueRange{batch, hq, paddedRows, blocks})};
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  OpFoldResult rowsQ = b.getIndexAttr(tileQ);

  // 1. The selection and the current block, per query tile.
  scf::ForallOp current =
      workLoop({}, inits, [&](ValueRange ivs, ValueRange sharedOuts) {
        beginWorkItem(ivs);
        currentBlockMask =
            mask ? MaskAttrInterface(AndMaskAttr::get(ctx, {mask, chunked}))
                 : chunked;
        RowState state = onePass(initialState());
        currentBlockMask = {};
        // The flags as bytes: copies of i1 buffers whose rows are a
        // multiple of 8 flags lower to packed-bit vector loads (one byte
        // for eight flags) on the way to LLVM.
        Value memberFlags = asBytes(memberBlocks);
        // Extents first: the in_parallel region holds the inserts only.
        OpFoldResult accCols = tensor::getMixedSize(b, loc, state.acc, 1);
        OpFoldResult memberCols = tensor::getMixedSize(b, loc, memberBlocks, 1);
        auto terminator =
            cast<scf::InParallelOp>(b.getInsertionBlock()->getTerminator());
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(terminator.getBody());
        auto insert2D = [&](Value tile, Value out, OpFoldResult cols) {
          tensor::ParallelInsertSliceOp::create(
              b, loc, tile, out, ArrayRef<OpFoldResult>{bi, hi, q0, zero},
              ArrayRef<OpFoldResult>{one, one, rowsQ, cols},
              ArrayRef<OpFoldResult>{one, one, one, one});
        };
        // In the order of the shared outs: the forall's cast folding
        // pairs the terminator's inserts with its outs by position.
        insert2D(state.acc, sharedOuts[0], accCols);
        SmallVector<Value> stats = {state.max, state.sum};
        for (auto [rows, out] : llvm::zip(stats, sharedOuts.slice(1, 2)))
          tensor::ParallelInsertSliceOp::create(
              b, loc, rows, out, ArrayRef<OpFoldResult>{bi, hi, q0},
              ArrayRef<OpFoldResult>{one, one, rowsQ},
              ArrayRef<OpFoldResult>{one, one, one});
        insert2D(memberFlags, sharedOuts[3], memberCols);
      });

  // 2. The past blocks, per (batch, head).
  SmallVector<OpFoldResult> lower(2, zero), steps(2, one);
  auto past = scf::ForallOp::create(
      b, loc, lower, ArrayRef<OpFoldResult>{batch, hq}, steps,
      current.getResults().take_front(3), std::nullopt);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(past.getBody()->getTerminator());
    bi = past.getInductionVars()[0];
    hi = past.getInductionVars()[1];
    hk = e.headIndex(op.getKHeadMap(), dim(op.getKey(), 1), hq, bi, hi);
    hv = e.headIndex(op.getVHeadMap(), dim(valueSource, 1), hq, bi, hi);
    auto shared = past.getRegionIterArgs();
    OpFoldResult cols = tensor::getMixedSize(b, loc, shared[0], 3);
    auto headAcc = tensor::ExtractSliceOp::create(
        b, loc,
        RankedTensorType::get({ShapedType::kDynamic, dvStatic}, b.getF32Type()),
        shared[0], ArrayRef<OpFoldResult>{bi, hi, zero, zero},
        ArrayRef<OpFoldResult>{one, one, paddedRows, cols},
        ArrayRef<OpFoldResult>{one, one, one, one});
    auto headRowsType =
        RankedTensorType::get({ShapedType::kDynamic}, b.getF32Type());
    SmallVector<Value> state = {headAcc};
    for (Value rows : shared.drop_front())
      state.push_back(tensor::ExtractSliceOp::create(
          b, loc, headRowsType, rows, ArrayRef<OpFoldResult>{bi, hi, zero},
          ArrayRef<OpFoldResult>{one, one, paddedRows},
          ArrayRef<OpFoldResult>{one, one, one}));
    // The real rows only: the padding rows of the last query tile are
    // never gathered.
    Value members = tensor::ExtractSliceOp::create(
        b, loc,
        RankedTensorType::get({ShapedType::kDynamic, ShapedType::kDynamic},
                              b.getI8Type()),
        current.getResult(3), ArrayRef<OpFoldResult>{bi, hi, zero, zero},
        ArrayRef<OpFoldResult>{one, one, nq, blocks},
        ArrayRef<OpFoldResult>{one, one, one, one});
    SmallVector<Value> result = regroupedPastBlocks(members, state);
    auto terminator = past.getTerminator();
    b.setInsertionPointToStart(terminator.getBody());
    tensor::ParallelInsertSliceOp::create(
        b, loc, result[0], shared[0],
        ArrayRef<OpFoldResult>{bi, hi, zero, zero},
        ArrayRef<OpFoldResult>{one, one, paddedRows, cols},
        ArrayRef<OpFoldResult>{one, one, one, one});
    for (auto [rows, out] :
         llvm::zip(ArrayRef<Value>(result).drop_front(), shared.drop_front()))
      tensor::ParallelInsertSliceOp::create(
          b, loc, rows, out, ArrayRef<OpFoldResult>{bi, hi, zero},
          ArrayRef<OpFoldResult>{one, one, paddedRows},
          ArrayRef<OpFoldResult>{one, one, one});
  }

  // 3. The finalization, per query tile.
  scf::ForallOp finished =
      workLoop({}, outs, [&](ValueRange ivs, ValueRange sharedOuts) {
        bi = ivs[0];
        hi = ivs[1];
        q0 = e.muli(ivs[2], e.idx(tileQ));
        Value acc = tensor::ExtractSliceOp::create(
            b, loc, accType, past.getResult(0),
            ArrayRef<OpFoldResult>{bi, hi, q0, zero},
            ArrayRef<OpFoldResult>{
                one, one, rowsQ,
                tensor::getMixedSize(b, loc, past.getResult(0), 3)},
            ArrayRef<OpFoldResult>{one, one, one, one});
        SmallVector<Value> stats;
        for (Value rows : past.getResults().drop_front())
          stats.push_back(tensor::ExtractSliceOp::create(
              b, loc, rowsType, rows, ArrayRef<OpFoldResult>{bi, hi, q0},
              ArrayRef<OpFoldResult>{one, one, rowsQ},
              ArrayRef<OpFoldResult>{one, one, one}));
        finishWorkItem(RowState{stats[0], stats[1], acc}, Value(), sharedOuts);
      });
  op.getOutput().replaceAllUsesWith(finished.getResult(0));
  if (Value lse = op.getLse())
    lse.replaceAllUsesWith(finished.getResult(1));
  op.erase();
}

Value TileProgramBuilder::asBytes(Value flags) {
  auto type = cast<RankedTensorType>(flags.getType());
  auto bytesType = RankedTensorType::get(type.getShape(), b.getI8Type());
  SmallVector<Value> dims;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      dims.push_back(dim(flags, d));
  Value empty = tensor::EmptyOp::create(b, loc, bytesType, dims);
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  SmallVector<utils::IteratorType> parallel(type.getRank(),
                                            utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, bytesType, flags, empty, ArrayRef<AffineMap>{id, id},
             parallel,
             [&](OpBuilder &nested, Location l, ValueRange args) {
               Value byte = arith::ExtUIOp::create(nested, l,
                                                   nested.getI8Type(), args[0]);
               linalg::YieldOp::create(nested, l, byte);
             })
      .getResult(0);
}

SmallVector<Value> TileProgramBuilder::regroupedPastBlocks(Value members,
                                                           ValueRange state) {
  int64_t block = op.getSelectionAttr().getBlock();
  Value blocks = dim(members, 1);
  // Row i's aligned position is i + shift; block c is a past block of the
  // rows whose position is at least (c + 1) * block.
  Value shift = e.subi(nk, nq);
  auto loop = scf::ForOp::create(
      b, loc, e.idx(0), blocks, e.idx(1), state,
      [&](OpBuilder &, Location, Value c, ValueRange iter) {
        Value keyBegin = e.muli(c, e.idx(block));
        Value keyEnd = e.minsi(e.addi(keyBegin, e.idx(block)), nk);
        Value first = e.subi(e.addi(keyBegin, e.idx(block)), shift);
        auto list = BlockRowsOp::create(
            b, loc,
            TypeRange{
                RankedTensorType::get({ShapedType::kDynamic}, b.getIndexType()),
                b.getIndexType()},
            members, c, first);
        Value rows = list.getRows(), count = list.getCount();
        auto tiles = scf::ForOp::create(
            b, loc, e.idx(0), count, e.idx(tileQ), iter,
            [&](OpBuilder &, Location, Value g0, ValueRange tileIter) {
              scf::YieldOp::create(
                  b, loc,
                  regroupedTile(rows, count, g0, keyBegin, keyEnd, tileIter));
            });
        scf::YieldOp::create(b, loc, tiles.getResults());
      });
  return SmallVector<Value>(loop.getResults());
}

SmallVector<Value> TileProgramBuilder::regroupedTile(Value rows, Value count,
                                                     Value g0, Value keyBegin,
                                                     Value keyEnd,
                                                     ValueRange state) {
  auto accType = tileType(tileQ, valueSource);
  Value queries = GatherRowsOp::create(b, loc, tileType(tileQ, op.getQuery()),
                                       op.getQuery(), bi, hi, rows, g0, count);
  Value acc = GatherRowsOp::create(b, loc, accType, state[0], Value(), Value(),
                                   rows, g0, count);
  Value max = GatherRowsOp::create(b, loc, rowsType, state[1], Value(), Value(),
                                   rows, g0, count);
  Value sum = GatherRowsOp::create(b, loc, rowsType, state[2], Value(), Value(),
                                   rows, g0, count);
  // A past block is whole for every gathered row: no mask, no exclusions
  // (the gathered padding rows are never scattered).
  auto loop =
      ForKeyTilesOp::create(b, loc, nk, e.idx(0), nq, ValueRange{max, sum, acc},
                            tileQ, tileKv, MaskAttrInterface(), false);
  loop.setKeyRange(keyBegin, keyEnd);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&loop.getBodyBlock());
    auto iter = loop.getRegionIterArgs();
    Value k0 = loop.getKeyTileStart();
    Value kTile = LoadOp::create(b, loc, tileType(tileKv, keySource), keySource,
                                 bi, hk, k0);
    Value scores =
        ScoresOp::create(b, loc, scoreType, queries, kTile, scaleValue);
    auto update = OnlineUpdateOp::create(
        b, loc, TypeRange{scoreType, rowsType, rowsType, rowsType}, scores,
        iter[0], iter[1], op.getNormalizationAttr());
    Value next = accumulate(update.getWeights(), iter[2], update.getAlpha(),
                            Value(), k0);
    tile::YieldOp::create(
        b, loc, ValueRange{update.getNewMax(), update.getNewSum(), next});
  }
  auto scatter = [&](Value tile, Value dest) -> Value {
    return ScatterRowsOp::create(b, loc, dest.getType(), tile, dest, rows, g0,
                                 count);
  };
  return {scatter(loop.getResult(2), state[0]),
          scatter(loop.getResult(0), state[1]),
          scatter(loop.getResult(1), state[2])};
}

RowState TileProgramBuilder::initialState() {
  bool softmax = op.getNormalizationKind() == NormalizationKind::Softmax;
  auto accType = tileType(tileQ, valueSource);
  SmallVector<Value> accDims;
  if (accType.isDynamicDim(1))
    accDims.push_back(dv);
  RowState state{
      filled(rowsType, softmax ? -std::numeric_limits<double>::infinity() : 0.0),
      filled(rowsType, 0.0), filled(accType, 0.0, accDims)};
  if (op.hasAffineNormalization()) {
    state.count = filled(rowsType, 0.0);
    state.valueSum = filled(accType, 0.0, accDims);
  }
  return state;
}

Value TileProgramBuilder::foldSink(RowState &state) {
  Value sinks = op.getSinkLogits();
  if (!sinks)
    return Value();
  Value sink = e.toF32(tensor::ExtractOp::create(b, loc, sinks, hi));
  auto fold = FoldSinkOp::create(b, loc,
                                 TypeRange{rowsType, rowsType, rowsType},
                                 state.max, state.sum, sink);
  state.max = fold.getNewMax();
  state.sum = fold.getNewSum();
  return fold.getAccScale();
}

void TileProgramBuilder::buildOnePassOrTwoPasses(ValueRange ivs,
                                                 ValueRange sharedOuts) {
  beginWorkItem(ivs);
  RowState init = initialState();
  bool twoPass = op.needsTwoPasses();
  RowState state = twoPass ? twoPasses(init) : onePass(init);
  // The two-pass form folds the sink before its second loop.
  Value accScale = twoPass ? Value() : foldSink(state);
  finishWorkItem(state, accScale, sharedOuts);
}

void TileProgramBuilder::finishWorkItem(RowState state, Value accScale,
                                        ValueRange sharedOuts) {
  bool softmax = op.getNormalizationKind() == NormalizationKind::Softmax;
  NormalizationAttr norm = op.getNormalizationAttr();
  bool divide = (softmax || (norm && norm.getL1())) && !op.needsTwoPasses();
  auto accType = cast<RankedTensorType>(state.acc.getType());
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  auto resultType = RankedTensorType::get(accType.getShape(),
                                          outType.getElementType());
  Value gate = outputGate();
  Type lseType = op.getLse() ? Type(rowsType) : Type();
  Value acc = affineNormalize(state.acc, state.sum, state.count,
                              state.valueSum);
  auto finalize = FinalizeOp::create(
      b, loc, resultType, lseType, acc, state.max, state.sum, accScale,
      gate, gate ? bi : Value(), gate ? hi : Value(), gate ? q0 : Value(),
      gate ? nq : Value(), divide, op.getEpilogueAttr());

  // The rows of the tile inside the sequence go to the results.
  Value rows = e.minsi(e.idx(tileQ), e.subi(nq, q0));
  auto terminator =
      cast<scf::InParallelOp>(b.getInsertionBlock()->getTerminator());
  OpBuilder::InsertionGuard guard(b);
  Value outRows = tensor::ExtractSliceOp::create(
      b, loc, finalize.getResult(),
      ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{rows, tensor::getMixedSize(b, loc,
                                                        finalize.getResult(), 1)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  Value lseRows;
  if (Value lse = finalize.getLse())
    lseRows = tensor::ExtractSliceOp::create(
        b, loc, lse, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{rows}, ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  OpFoldResult cols = tensor::getMixedSize(b, loc, outRows, 1);
  b.setInsertionPointToStart(terminator.getBody());
  OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
  tensor::ParallelInsertSliceOp::create(
      b, loc, outRows, sharedOuts[0],
      ArrayRef<OpFoldResult>{bi, hi, q0, zero},
      ArrayRef<OpFoldResult>{one, one, rows, cols},
      ArrayRef<OpFoldResult>{one, one, one, one});
  if (lseRows)
    tensor::ParallelInsertSliceOp::create(
        b, loc, lseRows, sharedOuts[1], ArrayRef<OpFoldResult>{bi, hi, q0},
        ArrayRef<OpFoldResult>{one, one, rows},
        ArrayRef<OpFoldResult>{one, one, one});
}

scf::ForallOp TileProgramBuilder::workLoop(
    ArrayRef<OpFoldResult> extraUpperBound, ValueRange outs,
    function_ref<void(ValueRange, ValueRange)> body) {
  SmallVector<OpFoldResult> upper = {batch, hq, numQTiles};
  llvm::append_range(upper, extraUpperBound);
  SmallVector<OpFoldResult> lower(upper.size(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> steps(upper.size(), b.getIndexAttr(1));
  auto forall =
      scf::ForallOp::create(b, loc, lower, upper, steps, outs, std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  body(forall.getInductionVars(), forall.getRegionIterArgs());
  return forall;
}

/// The split-KV form: work items (batch, head, query tile, split), each
/// running the key tiles of its split into an unnormalized partial result
/// (accumulator and row statistics, whole tiles of rows), then one work
/// item per query tile merging its splits (attn_tile.merge) and finishing
/// the rows. The split count is min(split-kv, key tiles) at run time, or
/// with split-kv = 0 the one that brings the first phase to about
/// kSplitKvTargetItems work items (1 for long query sequences).
void TileProgramBuilder::buildSplitKv(ValueRange outs) {
  Value numKTiles = arith::CeilDivUIOp::create(b, loc, nk, e.idx(tileKv));
  Value requested = splitKv > 0 ? e.idx(splitKv) : automaticSplits(numKTiles);
  Value splits = e.maxsi(e.idx(1), e.minsi(requested, numKTiles));
  Value tilesPerSplit = arith::CeilDivUIOp::create(b, loc, numKTiles, splits);
  Value paddedRows = e.muli(numQTiles, e.idx(tileQ));
  auto accType = tileType(tileQ, valueSource);
  int64_t dvStatic = accType.getDimSize(1);
  auto partialAccType = RankedTensorType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic, ShapedType::kDynamic,
       ShapedType::kDynamic, dvStatic},
      b.getF32Type());
  auto partialRowsType = RankedTensorType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic, ShapedType::kDynamic,
       ShapedType::kDynamic},
      b.getF32Type());
  SmallVector<Value> accDims = {batch, hq, splits, paddedRows};
  if (ShapedType::isDynamic(dvStatic))
    accDims.push_back(dv);
  SmallVector<Value> partialInits = {
      tensor::EmptyOp::create(b, loc, partialAccType, accDims),
      tensor::EmptyOp::create(b, loc, partialRowsType,
                              ValueRange{batch, hq, splits, paddedRows}),
      tensor::EmptyOp::create(b, loc, partialRowsType,
                              ValueRange{batch, hq, splits, paddedRows})};
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  OpFoldResult rowsQ = b.getIndexAttr(tileQ);

  scf::ForallOp partials = workLoop(
      {splits}, partialInits, [&](ValueRange ivs, ValueRange sharedOuts) {
        beginWorkItem(ivs);
        Value split = ivs[3];
        Value span = e.muli(tilesPerSplit, e.idx(tileKv));
        Value keyBegin = e.minsi(e.muli(split, span), nk);
        Value keyEnd = e.minsi(e.addi(keyBegin, span), nk);
        RowState state = onePass(initialState(), keyBegin, keyEnd);
        OpFoldResult cols = tensor::getMixedSize(b, loc, state.acc, 1);
        auto terminator =
            cast<scf::InParallelOp>(b.getInsertionBlock()->getTerminator());
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(terminator.getBody());
        tensor::ParallelInsertSliceOp::create(
            b, loc, state.acc, sharedOuts[0],
            ArrayRef<OpFoldResult>{bi, hi, split, q0, zero},
            ArrayRef<OpFoldResult>{one, one, one, rowsQ, cols},
            ArrayRef<OpFoldResult>{one, one, one, one, one});
        SmallVector<Value> stats = {state.max, state.sum};
        for (auto [rows, out] : llvm::zip(stats, sharedOuts.drop_front()))
          tensor::ParallelInsertSliceOp::create(
              b, loc, rows, out, ArrayRef<OpFoldResult>{bi, hi, split, q0},
              ArrayRef<OpFoldResult>{one, one, one, rowsQ},
              ArrayRef<OpFoldResult>{one, one, one, one});
      });

  scf::ForallOp merged = workLoop(
      {}, outs, [&](ValueRange ivs, ValueRange sharedOuts) {
        beginWorkItem(ivs);
        OpFoldResult cols = tensor::getMixedSize(b, loc, partials.getResult(0), 4);
        auto accsType = RankedTensorType::get(
            {ShapedType::kDynamic, tileQ, dvStatic}, b.getF32Type());
        auto statsType =
            RankedTensorType::get({ShapedType::kDynamic, tileQ}, b.getF32Type());
        Value accs = tensor::ExtractSliceOp::create(
            b, loc, accsType, partials.getResult(0),
            ArrayRef<OpFoldResult>{bi, hi, zero, q0, zero},
            ArrayRef<OpFoldResult>{one, one, splits, rowsQ, cols},
            ArrayRef<OpFoldResult>{one, one, one, one, one});
        SmallVector<Value> stats;
        for (Value partial : partials.getResults().drop_front())
          stats.push_back(tensor::ExtractSliceOp::create(
              b, loc, statsType, partial,
              ArrayRef<OpFoldResult>{bi, hi, zero, q0},
              ArrayRef<OpFoldResult>{one, one, splits, rowsQ},
              ArrayRef<OpFoldResult>{one, one, one, one}));
        auto merge = MergeOp::create(
            b, loc, TypeRange{accType, rowsType, rowsType}, accs, stats[0],
            stats[1], op.getNormalizationAttr());
        RowState state{merge.getNewMax(), merge.getNewSum(), merge.getAcc()};
        Value accScale = foldSink(state);
        finishWorkItem(state, accScale, sharedOuts);
      });
  op.getOutput().replaceAllUsesWith(merged.getResult(0));
  if (Value lse = op.getLse())
    lse.replaceAllUsesWith(merged.getResult(1));
  op.erase();
}

Value TileProgramBuilder::keysForScores() {
  FeatureMapAttr map = op.getFeatureMapAttr();
  if (map && map.hasCrossKeys()) {
    // [B, Hq, Nk, D]: the query's batch and heads, the key's tokens.
    auto qType = cast<RankedTensorType>(op.getQuery().getType());
    auto kType = cast<RankedTensorType>(op.getKey().getType());
    auto keysType = RankedTensorType::get(
        {qType.getDimSize(0), qType.getDimSize(1), kType.getDimSize(2),
         kType.getDimSize(3)},
        b.getF32Type());
    Type gateType;
    if (map.hasRowGate())
      gateType = RankedTensorType::get(qType.getShape().take_front(3),
                                       b.getF32Type());
    auto weights = KeyWeightsOp::create(b, loc, keysType, gateType,
                                        op.getQuery(), op.getKey(), map);
    keysByQueryHead = true;
    rowGate = weights.getRowGate();
    return weights.getKeys();
  }
  if (!map || !map.hasSequenceKeys())
    return op.getKey();
  auto kType = cast<RankedTensorType>(op.getKey().getType());
  return SequenceMapOp::create(
      b, loc, RankedTensorType::get(kType.getShape(), b.getF32Type()),
      op.getKey(), map);
}

bool TileProgramBuilder::isChunkableLinear() {
  FeatureMapAttr map = op.getFeatureMapAttr();
  return linearChunk > 0 &&
         !(map && (map.hasSequenceKeys() || map.hasCrossKeys())) &&
         op.getNormalizationKind() == NormalizationKind::Identity &&
         isa_and_nonnull<CausalMaskAttr>(op.getMaskAttr()) &&
         !op.hasSelection() && op.getMaskFn().empty() &&
         op.getScoreMod().empty() &&
         op.getWeightMod().empty() && !op.getScoreModsAttr() &&
         !op.getBias() && !op.getLse();
}

SmallVector<Value> TileProgramBuilder::chunkStep(Value c0, Value state,
                                                 Value keySum, Value rows,
                                                 ValueRange affineCarry) {
  NormalizationAttr norm = op.getNormalizationAttr();
  // The chunk's queries: aligned positions c0 .. c0 + C - 1, i.e. query
  // rows from q0 = c0 - (Nk - Nq), which may start before row 0 (those
  // rows read 0 and are not written).
  q0 = e.subi(c0, e.subi(nk, nq));
  qTile = applyFeatureMap(LoadOp::create(b, loc,
                                         tileType(linearChunk, op.getQuery()),
                                         op.getQuery(), bi, hi, q0),
                          /*keys=*/false);
  Value kTile = applyFeatureMap(LoadOp::create(b, loc,
                                               tileType(linearChunk, op.getKey()),
                                               op.getKey(), bi, hk, c0),
                                /*keys=*/true);
  Value vTile = LoadOp::create(b, loc, tileType(linearChunk, valueSource),
                               valueSource, bi, hv, c0);
  Value s = gatedOrPlainScores(qTile, kTile, q0, c0);
  // Row r and key r of a chunk are the same position: under the causal
  // mask the products above the diagonal are never needed.
  if (auto plain = s.getDefiningOp<ScoresOp>())
    plain.setLowerTriangular(true);
  Value masked = MaskOp::create(b, loc, scoreType, s, bi, hi, q0, c0, nq, nk,
                                hq, e.boolean(true), Value(), Value(), Value(),
                                ValueRange{}, op.getMaskAttr());
  Value scores = applyDecay(masked, c0);
  // The state's part first; the chunk's own keys accumulate on top of it.
  auto stateRead = ReadStateOp::create(
      b, loc, TypeRange{tileType(linearChunk, valueSource), rowsType},
      qTile, state, keySum, scaleValue, c0, nk, decayPrefix);
  auto update = OnlineUpdateOp::create(
      b, loc, TypeRange{scoreType, rowsType, rowsType, rowsType}, scores,
      filled(rowsType, 0.0), stateRead.getSum(), norm);
  auto accumulate = AccumulateOp::create(
      b, loc, stateRead.getAcc().getType(), update.getWeights(), vTile,
      stateRead.getAcc(), Value(), masked);
  accumulate.setLowerTriangular(true);
  Value acc = accumulate;
  SmallVector<Value> carry(affineCarry);
  if (!carry.empty())
    acc = affineChunkRows(c0, masked, vTile, acc, update.getNewSum(), carry);
  Value newRows = insertChunkRows(
      finalizeChunk(acc, update.getNewMax(), update.getNewSum()), rows);
  auto stateUpdate = UpdateStateOp::create(
      b, loc, TypeRange{state.getType(), keySum.getType()}, state, keySum,
      kTile, vTile, c0, nk, decayPrefix);
  SmallVector<Value> next = {stateUpdate.getNewState(),
                             stateUpdate.getNewKeySum(), newRows};
  llvm::append_range(next, carry);
  return next;
}

Value TileProgramBuilder::finalizeChunk(Value acc, Value max, Value sum) {
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  auto accType = cast<RankedTensorType>(acc.getType());
  NormalizationAttr norm = op.getNormalizationAttr();
  Value gate = outputGate();
  return FinalizeOp::create(
             b, loc,
             RankedTensorType::get(accType.getShape(),
                                   outType.getElementType()),
             Type(), acc, max, sum, Value(), gate, gate ? bi : Value(),
             gate ? hi : Value(), gate ? q0 : Value(), gate ? nq : Value(),
             norm && norm.getL1(), op.getEpilogueAttr())
      .getResult();
}

Value TileProgramBuilder::insertChunkRows(Value finalized, Value rows) {
  Value first = e.maxsi(q0, e.idx(0));
  Value count = e.maxsi(
      e.subi(e.minsi(e.addi(q0, e.idx(linearChunk)), nq), first), e.idx(0));
  OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
  OpFoldResult cols = tensor::getMixedSize(b, loc, rows, 1);
  Value written = tensor::ExtractSliceOp::create(
      b, loc, finalized, ArrayRef<OpFoldResult>{e.subi(first, q0), zero},
      ArrayRef<OpFoldResult>{count, cols}, ArrayRef<OpFoldResult>{one, one});
  return tensor::InsertSliceOp::create(
      b, loc, written, rows, ArrayRef<OpFoldResult>{first, zero},
      ArrayRef<OpFoldResult>{count, cols}, ArrayRef<OpFoldResult>{one, one});
}

Value TileProgramBuilder::affineChunkRows(Value c0, Value masked, Value vTile,
                                          Value acc, Value weightSum,
                                          SmallVector<Value> &affineCarry) {
  // The kept keys' count and value sum are the state of the constant
  // feature 1, undecayed: read with a ones query, folded with ones keys.
  Value ones = filled(RankedTensorType::get({linearChunk, 1}, b.getF32Type()),
                      1.0);
  Value valueSum = affineCarry[0], count = affineCarry[1];
  auto carried = ReadStateOp::create(
      b, loc, TypeRange{acc.getType(), rowsType}, ones, valueSum, count,
      e.f32(1.0), c0, nk, Value());
  // Under the causal mask the chunk's row r keeps its keys up to p.
  auto kept = KeptSumsOp::create(b, loc, TypeRange{rowsType, acc.getType()},
                                 masked, vTile, carried.getSum(),
                                 carried.getAcc());
  auto fold = UpdateStateOp::create(
      b, loc, TypeRange{valueSum.getType(), count.getType()}, valueSum, count,
      ones, vTile, c0, nk, Value());
  affineCarry = {fold.getNewState(), fold.getNewKeySum()};
  return affineNormalize(acc, weightSum, kept.getNewCount(),
                         kept.getNewValueSum());
}

void TileProgramBuilder::buildLinearWorkItems(
    ValueRange outs,
    function_ref<Value(Value rows, Value state, Value keySum)> body) {
  rowsType = RankedTensorType::get({linearChunk}, b.getF32Type());
  scoreType = RankedTensorType::get({linearChunk, linearChunk}, b.getF32Type());
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  SmallVector<OpFoldResult> lower(2, b.getIndexAttr(0)), steps(2, b.getIndexAttr(1));
  auto forall = scf::ForallOp::create(
      b, loc, lower, ArrayRef<OpFoldResult>{batch, hq}, steps, outs,
      std::nullopt);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(forall.getBody()->getTerminator());
    bi = forall.getInductionVars()[0];
    hi = forall.getInductionVars()[1];
    hk = e.headIndex(op.getKHeadMap(), dim(op.getKey(), 1), hq, bi, hi);
    hv = e.headIndex(op.getVHeadMap(), dim(valueSource, 1), hq, bi, hi);
    auto dynamic2D = RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic}, b.getF32Type());
    // The state is [F' x Dv] (F' = D for the maps that keep D).
    Value features = featureDim();
    Value state = filled(dynamic2D, 0.0, ValueRange{features, dv});
    Value keySum = filled(RankedTensorType::get({ShapedType::kDynamic},
                                                b.getF32Type()),
                          0.0, ValueRange{features});
    // The (batch, head)'s output rows; rows no chunk reaches (queries
    // before the first key under the bottom-right alignment) stay 0.
    auto rowsOutType = RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic}, outType.getElementType());
    Value zero = arith::ConstantOp::create(
        b, loc, b.getZeroAttr(outType.getElementType()));
    Value rows = linalg::FillOp::create(
                     b, loc, ValueRange{zero},
                     ValueRange{tensor::EmptyOp::create(b, loc, rowsOutType,
                                                        ValueRange{nq, dv})})
                     .getResult(0);
    Value result = body(rows, state, keySum);
    auto terminator = forall.getTerminator();
    b.setInsertionPointToStart(terminator.getBody());
    OpFoldResult one = b.getIndexAttr(1), zeroIndex = b.getIndexAttr(0);
    tensor::ParallelInsertSliceOp::create(
        b, loc, result, forall.getRegionIterArgs()[0],
        ArrayRef<OpFoldResult>{bi, hi, zeroIndex, zeroIndex},
        ArrayRef<OpFoldResult>{one, one, nq, dv},
        ArrayRef<OpFoldResult>{one, one, one, one});
  }
  op.getOutput().replaceAllUsesWith(forall.getResult(0));
  op.erase();
}

void TileProgramBuilder::buildChunkedLinear(ValueRange outs) {
  buildLinearWorkItems(outs, [&](Value rows, Value state, Value keySum) {
    decayPrefix = buildDecayPrefix();
    SmallVector<Value> inits = {state, keySum, rows};
    if (op.hasAffineNormalization())
      inits.append(
          {filled(RankedTensorType::get({1, ShapedType::kDynamic},
                                        b.getF32Type()),
                  0.0, ValueRange{dv}),
           filled(RankedTensorType::get({1}, b.getF32Type()), 0.0)});
    auto chunks = scf::ForOp::create(
        b, loc, e.idx(0), nk, e.idx(linearChunk), inits,
        [&](OpBuilder &, Location, Value c0, ValueRange iter) {
          scf::YieldOp::create(b, loc,
                               chunkStep(c0, iter[0], iter[1], iter[2],
                                         iter.drop_front(3)));
        });
    return chunks.getResult(2);
  });
}

bool TileProgramBuilder::isGlobalLinear() {
  NormalizationAttr norm = op.getNormalizationAttr();
  return linearChunk > 0 &&
         op.getNormalizationKind() == NormalizationKind::Identity &&
         !(norm && norm.hasAffine()) && !op.getMaskAttr() &&
         !op.getDecay() && !op.getSinkLogits() && !op.hasSelection() &&
         op.getMaskFn().empty() && op.getScoreMod().empty() &&
         op.getWeightMod().empty() && !op.getScoreModsAttr() &&
         !op.getBias() && !op.getLse();
}

void TileProgramBuilder::buildGlobalLinear(ValueRange outs) {
  buildLinearWorkItems(outs, [&](Value rows, Value state, Value keySum) {
    // The state of all the keys: S = sum_j phi(k_j) v_j^T, z = sum_j phi(k_j).
    auto keyChunks = scf::ForOp::create(
        b, loc, e.idx(0), nk, e.idx(linearChunk), ValueRange{state, keySum},
        [&](OpBuilder &, Location, Value c0, ValueRange iter) {
          Value kTile = applyFeatureMap(
              LoadOp::create(b, loc, tileType(linearChunk, keySource),
                             keySource, bi, keyHead(), c0),
              /*keys=*/true);
          Value vTile = LoadOp::create(
              b, loc, tileType(linearChunk, valueSource), valueSource, bi,
              hv, c0);
          auto update = UpdateStateOp::create(
              b, loc, TypeRange{iter[0].getType(), iter[1].getType()},
              iter[0], iter[1], kTile, vTile, c0, nk, Value());
          scf::YieldOp::create(b, loc, update.getResults());
        });
    // Every query row reads it: scale * phi(q) S and phi(q) z.
    auto queryChunks = scf::ForOp::create(
        b, loc, e.idx(0), nq, e.idx(linearChunk), ValueRange{rows},
        [&](OpBuilder &, Location, Value c0, ValueRange iter) {
          q0 = c0;
          qTile = applyFeatureMap(
              LoadOp::create(b, loc, tileType(linearChunk, op.getQuery()),
                             op.getQuery(), bi, hi, q0),
              /*keys=*/false);
          auto read = ReadStateOp::create(
              b, loc, TypeRange{tileType(linearChunk, valueSource), rowsType},
              qTile, keyChunks.getResult(0), keyChunks.getResult(1),
              scaleValue, nk, nk, Value());
          Value finalized =
              finalizeChunk(read.getAcc(), filled(rowsType, 0.0), read.getSum());
          scf::YieldOp::create(b, loc, insertChunkRows(finalized, iter[0]));
        });
    return queryChunks.getResult(0);
  });
}

void TileProgramBuilder::buildForms() {
  Value q = op.getQuery();
  batch = dim(q, 0);
  hq = dim(q, 1);
  nq = dim(q, 2);
  nk = dim(op.getKey(), 2);
  valueSource = valuesOfCall();
  dv = dim(valueSource, 3);
  scaleValue = scale();
  // tile-q is an upper bound: a tile taller than a static query length is
  // padding only (a decode step: one query).
  int64_t staticNq = cast<RankedTensorType>(q.getType()).getDimSize(2);
  if (!ShapedType::isDynamic(staticNq) && staticNq > 0 && staticNq < tileQ)
    tileQ = staticNq;
  rowsType = RankedTensorType::get({tileQ}, b.getF32Type());
  scoreType = RankedTensorType::get({tileQ, tileKv}, b.getF32Type());

  // Result tensors, each filled row by row by the work items.
  SmallVector<Value> outs;
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  SmallVector<Value> outDims;
  Value extents[] = {batch, hq, nq, dv};
  for (auto [index, size] : llvm::enumerate(outType.getShape()))
    if (ShapedType::isDynamic(size))
      outDims.push_back(extents[index]);
  outs.push_back(tensor::EmptyOp::create(b, loc, outType, outDims));
  if (Value lse = op.getLse()) {
    auto lseType = cast<RankedTensorType>(lse.getType());
    SmallVector<Value> lseDims;
    for (auto [index, size] : llvm::enumerate(lseType.getShape()))
      if (ShapedType::isDynamic(size))
        lseDims.push_back(extents[index]);
    outs.push_back(tensor::EmptyOp::create(b, loc, lseType, lseDims));
  }

  if (isChunkableLinear()) {
    buildChunkedLinear(outs);
    return;
  }
  keySource = keysForScores();
  if (isGlobalLinear()) {
    buildGlobalLinear(outs);
    return;
  }
  numQTiles = arith::CeilDivUIOp::create(b, loc, nq, e.idx(tileQ));
  // Quantized once per call, before the work items that load the rows.
  if (op.hasQuantizedQK())
    quantizeOperands();
  // Pooled once per call, before the work items that select from them.
  if (op.hasSelection())
    poolSelection();
  if (isRegroupedSelection()) {
    buildRegroupedSelection(outs);
    return;
  }
  // A selection's key tiles are its own run-time list: not split (yet).
  // Nor are the kept-key sums of an affine normalization (the merge does
  // not carry them).
  if ((splitKv == 0 || splitKv > 1) && !op.needsTwoPasses() &&
      !op.hasSelection() && !op.hasAffineNormalization()) {
    buildSplitKv(outs);
    return;
  }
  scf::ForallOp forall =
      workLoop({}, outs, [&](ValueRange ivs, ValueRange sharedOuts) {
        buildOnePassOrTwoPasses(ivs, sharedOuts);
      });
  op.getOutput().replaceAllUsesWith(forall.getResult(0));
  if (Value lse = op.getLse())
    lse.replaceAllUsesWith(forall.getResult(1));
  op.erase();
}

namespace {
struct AttnToTilePass : public attn::impl::AttnToTileBase<AttnToTilePass> {
  using Base::Base;
  void runOnOperation() override {
    std::string invalid =
        checkTileProgramOptions(tileQ, tileKv, splitKv, linearChunk);
    if (!invalid.empty()) {
      getOperation().emitError() << "attn-to-tile: " << invalid;
      return signalPassFailure();
    }
    SmallVector<AttentionOp> ops;
    getOperation().walk([&](AttentionOp op) { ops.push_back(op); });
    for (AttentionOp op : ops)
      TileProgramBuilder(op, tileQ, tileKv, splitKv, linearChunk,
                         regroupSelection)
          .build();
  }
};
} // namespace
