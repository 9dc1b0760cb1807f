//===- AttnTileOps.cpp - the tile-level attention dialect -----------------===//

#include "attn/Dialect/AttnTile/AttnTileDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace attn;
using namespace attn::tile;

#include "attn/Dialect/AttnTile/AttnTileDialect.cpp.inc"

void AttnTileDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "attn/Dialect/AttnTile/AttnTileOps.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "attn/Dialect/AttnTile/AttnTileOps.cpp.inc"

/// Whether two extents may be equal (either is dynamic, or they are).
static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

static int64_t extent(Value v, unsigned dim) {
  return cast<ShapedType>(v.getType()).getDimSize(dim);
}

/// Checks that extent `dimA` of `a` matches extent `dimB` of `b`.
static LogicalResult checkExtent(Operation *op, Value a, unsigned dimA,
                                 StringRef nameA, Value b, unsigned dimB,
                                 StringRef nameB) {
  if (compatible(extent(a, dimA), extent(b, dimB)))
    return success();
  return op->emitOpError() << nameA << " extent " << dimA << " ("
                           << extent(a, dimA) << ") does not match " << nameB
                           << " extent " << dimB << " (" << extent(b, dimB)
                           << ")";
}

LogicalResult LoadOp::verify() {
  return checkExtent(*this, getResult(), 1, "result", getSource(), 3,
                     "source");
}

/// A tile op applies one map: the spec's query map or its key map.
static LogicalResult checkOneMap(Operation *op, FeatureMapAttr map) {
  if (map.getKeys() == map.getKind())
    return success();
  return op->emitOpError() << "applies one feature map, got "
                           << Attribute(map)
                           << " (pass the query or the key map alone)";
}

LogicalResult FeatureMapOp::verify() {
  FeatureMapAttr map = getMap();
  if (failed(checkOneMap(*this, map)))
    return failure();
  if (!FeatureMapAttr::isElementwiseKind(map.getKind()))
    return emitOpError() << "takes the elementwise maps; #attn.feature_map<"
                         << stringifyFeatureMapKind(map.getKind()) << "> is "
                         << (FeatureMapAttr::isSequenceKind(map.getKind())
                                 ? "attn_tile.sequence_map"
                                 : "attn_tile.expand_features");
  return success();
}

LogicalResult SequenceMapOp::verify() {
  if (!getMap().hasSequenceKeys())
    return emitOpError() << "applies a sequence key map (keys = "
                            "sequence_softmax or sequence_scale), got "
                         << Attribute(getMap());
  for (unsigned d = 0; d < 4; ++d)
    if (failed(checkExtent(*this, getResult(), d, "result", getSource(), d,
                           "source")))
      return failure();
  return success();
}

LogicalResult KeyWeightsOp::verify() {
  FeatureMapAttr map = getMap();
  if (!map.hasCrossKeys())
    return emitOpError() << "applies a key map that reads the queries (keys "
                            "= query_weighted or flow), got "
                         << Attribute(map);
  if (map.hasRowGate() != static_cast<bool>(getRowGate()))
    return emitOpError() << (map.hasRowGate()
                                 ? "with keys = flow has a row_gate result"
                                 : "has a row_gate result with keys = flow "
                                   "only");
  // keys: [B, Hq, Nk, D] (the query's batch and heads, the key's tokens).
  if (failed(checkExtent(*this, getKeys(), 0, "keys", getQuery(), 0,
                         "query")) ||
      failed(checkExtent(*this, getKeys(), 1, "keys", getQuery(), 1,
                         "query")) ||
      failed(checkExtent(*this, getKeys(), 2, "keys", getKey(), 2, "key")) ||
      failed(checkExtent(*this, getKeys(), 3, "keys", getKey(), 3, "key")) ||
      failed(checkExtent(*this, getKey(), 3, "key", getQuery(), 3, "query")) ||
      failed(checkExtent(*this, getKey(), 0, "key", getQuery(), 0, "query")))
    return failure();
  if (Value gate = getRowGate())
    for (unsigned d = 0; d < 3; ++d)
      if (failed(checkExtent(*this, gate, d, "row_gate", getQuery(), d,
                             "query")))
        return failure();
  return success();
}

/// The extent F' of a row map without weights (taylor2, softmax).
static int64_t unweightedFeatures(FeatureMapKind kind, int64_t d) {
  if (ShapedType::isDynamic(d))
    return d;
  return kind == FeatureMapKind::Taylor2 ? 1 + d + d * d : d;
}

LogicalResult ExpandFeaturesOp::verify() {
  FeatureMapAttr map = getMap();
  if (failed(checkOneMap(*this, map)))
    return failure();
  FeatureMapKind kind = map.getKind();
  if (FeatureMapAttr::isElementwiseKind(kind) ||
      FeatureMapAttr::isSequenceKind(kind))
    return emitOpError() << "takes the maps of whole rows (hedgehog, "
                            "taylor2, softmax); #attn.feature_map<"
                         << stringifyFeatureMapKind(kind) << "> is "
                         << (FeatureMapAttr::isSequenceKind(kind)
                                 ? "attn_tile.sequence_map"
                                 : "attn_tile.feature_map");
  if (failed(checkExtent(*this, getResult(), 0, "result", getTile(), 0,
                         "tile")))
    return failure();
  int64_t d = extent(getTile(), 1), features = extent(getResult(), 1);
  if (!map.hasWeights()) {
    if (getWeight())
      return emitOpError() << "#attn.feature_map<"
                           << stringifyFeatureMapKind(kind)
                           << "> takes no weights";
    int64_t expected = unweightedFeatures(kind, d);
    if (!ShapedType::isDynamic(expected) && !ShapedType::isDynamic(features) &&
        features != expected)
      return emitOpError() << "result extent 1 (" << features << ") must be "
                           << (kind == FeatureMapKind::Taylor2
                                   ? "1 + D + D^2 = "
                                   : "D = ")
                           << expected;
    return success();
  }
  if (!getWeight() || !getBias() || !getHead())
    return emitOpError() << "#attn.feature_map<hedgehog> needs weights(...) "
                            "and a head";
  if (failed(checkExtent(*this, getWeight(), 2, "weight", getTile(), 1,
                         "tile")) ||
      failed(checkExtent(*this, getBias(), 1, "bias", getWeight(), 1,
                         "weight")))
    return failure();
  int64_t f = extent(getWeight(), 1);
  if (!ShapedType::isDynamic(f) && !ShapedType::isDynamic(features) &&
      features != 2 * f)
    return emitOpError() << "result extent 1 (" << features
                         << ") must be twice the weight's features ("
                         << 2 * f << ")";
  return success();
}

LogicalResult ScoresOp::verify() {
  if (failed(checkExtent(*this, getQuery(), 1, "query", getKey(), 1, "key")) ||
      failed(checkExtent(*this, getResult(), 0, "result", getQuery(), 0,
                         "query")))
    return failure();
  return checkExtent(*this, getResult(), 1, "result", getKey(), 0, "key");
}

LogicalResult GatedScoresOp::verify() {
  if (failed(checkExtent(*this, getQuery(), 1, "query", getKey(), 1, "key")) ||
      failed(checkExtent(*this, getPrefix(), 1, "prefix", getKey(), 1,
                         "key")) ||
      failed(checkExtent(*this, getResult(), 0, "result", getQuery(), 0,
                         "query")))
    return failure();
  return checkExtent(*this, getResult(), 1, "result", getKey(), 0, "key");
}

LogicalResult DecayPrefixOp::verify() {
  int64_t rank = getDecay().getType().getRank();
  if (getResult().getType().getRank() != rank - 2)
    return emitOpError() << "a rank-" << rank << " decay has a rank-"
                         << rank - 2 << " prefix (one sum per key"
                         << (rank == 4 ? " and channel)" : ")");
  return success();
}

/// A prefix per key channel has one column per feature row of `what`.
static LogicalResult checkChannelPrefix(Operation *op, Value prefix,
                                        Value tile, unsigned dim,
                                        StringRef what) {
  if (!prefix || cast<ShapedType>(prefix.getType()).getRank() != 2)
    return success();
  return checkExtent(op, prefix, 1, "prefix", tile, dim, what);
}

/// Row statistics have one entry per row of `tile`.
static LogicalResult checkRows(Operation *op, Value rows, StringRef name,
                               Value tile) {
  return checkExtent(op, rows, 0, name, tile, 0, "score tile");
}

LogicalResult OnlineUpdateOp::verify() {
  return checkRows(*this, getMax(), "max", getScores());
}

LogicalResult FinalWeightsOp::verify() {
  return checkRows(*this, getMax(), "max", getScores());
}

/// P V's operands: weights [R, K], value [K, C], accumulator [R, C] and
/// the rescale [R] when given.
static LogicalResult checkAccumulateShapes(Operation *op, Value weights,
                                           Value value, Value acc,
                                           Value alpha) {
  if (failed(checkExtent(op, weights, 1, "weights", value, 0, "value")) ||
      failed(checkExtent(op, acc, 0, "accumulator", weights, 0, "weights")) ||
      failed(checkExtent(op, acc, 1, "accumulator", value, 1, "value")))
    return failure();
  if (alpha)
    return checkExtent(op, alpha, 0, "rescale", acc, 0, "accumulator");
  return success();
}

LogicalResult AccumulateOp::verify() {
  if (failed(checkAccumulateShapes(*this, getWeights(), getValue(), getAcc(),
                                   getAlpha())))
    return failure();
  if (Value masked = getMaskedScores())
    if (masked.getType() != getWeights().getType())
      return emitOpError("masked scores must have the weights' type ")
             << getWeights().getType() << ", got " << masked.getType();
  return success();
}

LogicalResult FinalizeOp::verify() {
  if (failed(checkExtent(*this, getResult(), 0, "result", getAcc(), 0,
                         "accumulator")) ||
      failed(checkExtent(*this, getResult(), 1, "result", getAcc(), 1,
                         "accumulator")) ||
      failed(checkExtent(*this, getMax(), 0, "max", getAcc(), 0,
                         "accumulator")))
    return failure();
  if (getGate() && (!getBatch() || !getHead() || !getQuery() ||
                    !getQueryLength()))
    return emitOpError("a gate needs the batch, head, query and query length "
                       "it is read at");
  if (Value gate = getGate()) {
    auto type = cast<RankedTensorType>(gate.getType());
    if (type.getRank() != 3 && type.getRank() != 4)
      return emitOpError("the gate must be a 3-D tensor [B|1, H|1, N|1] or a "
                         "4-D tensor [B|1, H|1, N|1, C|1], got ")
             << type;
    int64_t columns = type.getRank() == 4 ? type.getDimSize(3) : 1;
    if (columns != 1 && failed(checkExtent(*this, gate, 3, "gate", getAcc(),
                                           1, "accumulator")))
      return failure();
  }
  if (Value lse = getLse())
    return checkExtent(*this, lse, 0, "logsumexp", getAcc(), 0,
                       "accumulator");
  return success();
}

LogicalResult KeptSumsOp::verify() {
  if (failed(checkExtent(*this, getMaskedScores(), 1, "masked scores",
                         getValue(), 0, "value")) ||
      failed(checkExtent(*this, getCount(), 0, "count", getMaskedScores(), 0,
                         "masked scores")) ||
      failed(checkExtent(*this, getValueSum(), 0, "value sum",
                         getMaskedScores(), 0, "masked scores")))
    return failure();
  return checkExtent(*this, getValueSum(), 1, "value sum", getValue(), 1,
                     "value");
}

LogicalResult AffineNormalizeOp::verify() {
  if (!getNormalization().hasAffine())
    return emitOpError("needs a normalization with an affine correction "
                       "(subtractive or mala), got ")
           << getNormalization();
  return checkExtent(*this, getSum(), 0, "sum", getAcc(), 0, "accumulator");
}

LogicalResult MergeOp::verify() {
  if (failed(checkExtent(*this, getAccs(), 0, "accumulators", getMaxes(), 0,
                         "maxes")) ||
      failed(checkExtent(*this, getAccs(), 1, "accumulators", getMaxes(), 1,
                         "maxes")) ||
      failed(checkExtent(*this, getAcc(), 0, "result", getAccs(), 1,
                         "accumulators")) ||
      failed(checkExtent(*this, getAcc(), 1, "result", getAccs(), 2,
                         "accumulators")))
    return failure();
  return checkExtent(*this, getNewMax(), 0, "max", getMaxes(), 1, "maxes");
}

//===----------------------------------------------------------------------===//
// Ops carrying spec regions
//===----------------------------------------------------------------------===//

LogicalResult MaskOp::verifyRegions() {
  Type index = IndexType::get(getContext());
  return verifySpecRegion(*this, getMaskFn(), "mask_fn",
                          {index, index, index, index}, getCaptures(),
                          IntegerType::get(getContext(), 1));
}

ArrayAttr MaskOp::getScoreModsAttr() { return nullptr; }
Region *MaskOp::getScoreModRegion() { return nullptr; }
Value MaskOp::getBias() { return nullptr; }
Value MaskOp::getAlibiSlopes() { return nullptr; }

LogicalResult ModifyOp::verifyRegions() {
  Type index = IndexType::get(getContext());
  Type f32 = Float32Type::get(getContext());
  return verifySpecRegion(*this, getScoreMod(), "score_mod",
                          {f32, index, index, index, index}, getCaptures(),
                          f32);
}

MaskAttrInterface ModifyOp::getMaskAttr() { return nullptr; }
Region *ModifyOp::getMaskFnRegion() { return nullptr; }
Value ModifyOp::getQSegmentIds() { return nullptr; }
Value ModifyOp::getKvSegmentIds() { return nullptr; }
Value ModifyOp::getBlockLayout() { return nullptr; }

LogicalResult WeightModOp::verifyRegions() {
  Type index = IndexType::get(getContext());
  Type f32 = Float32Type::get(getContext());
  if (getBody().empty())
    return emitOpError("needs its weight_mod region");
  return verifySpecRegion(*this, getBody(), "weight_mod",
                          {f32, f32, index, index, index, index},
                          getCaptures(), f32);
}

//===----------------------------------------------------------------------===//
// ForKeyTilesOp
//===----------------------------------------------------------------------===//

void ForKeyTilesOp::build(OpBuilder &b, OperationState &state, Value keyLength,
                          Value query, Value queryLength, ValueRange inits,
                          int64_t tileQ, int64_t tileKv,
                          MaskAttrInterface mask, bool regionMasked) {
  state.addOperands({keyLength, query, queryLength});
  state.addOperands(inits);
  state.addAttribute(
      getOperandSegmentSizesAttrName(state.name),
      b.getDenseI32ArrayAttr({1, 1, 1, 0, 0, 0, 0, 0, 0, int32_t(inits.size())}));
  state.addAttribute(getTileQAttrName(state.name), b.getI64IntegerAttr(tileQ));
  state.addAttribute(getTileKvAttrName(state.name),
                     b.getI64IntegerAttr(tileKv));
  if (mask)
    state.addAttribute(getMaskAttrName(state.name), mask);
  if (regionMasked)
    state.addAttribute(getRegionMaskedAttrName(state.name), b.getUnitAttr());
  state.addTypes(inits.getTypes());
  Region *body = state.addRegion();
  Block *block = new Block();
  body->push_back(block);
  block->addArgument(b.getIndexType(), state.location);
  block->addArgument(b.getI1Type(), state.location);
  for (Value init : inits)
    block->addArgument(init.getType(), state.location);
}

void ForKeyTilesOp::setKeyRange(Value begin, Value end) {
  getKeyBeginMutable().assign(begin);
  getKeyEndMutable().assign(end);
}

void ForKeyTilesOp::setBlockLayout(Value layout, Value batch, Value head) {
  getBlockLayoutMutable().assign(layout);
  getBatchMutable().assign(batch);
  getHeadMutable().assign(head);
}

void ForKeyTilesOp::setSelectedBlocks(Value visited, int64_t block) {
  getSelectedBlocksMutable().assign(visited);
  setSelectionBlockAttr(OpBuilder(getContext()).getI64IntegerAttr(block));
}

LogicalResult ForKeyTilesOp::verify() {
  if (bool(getSelectedBlocks()) != bool(getSelectionBlockAttr()))
    return emitOpError("selected blocks need their block size and a block "
                       "size needs the selected blocks");
  if (getSelectionBlockAttr() && *getSelectionBlock() < 1)
    return emitOpError("the selection block must be positive, got ")
           << *getSelectionBlock();
  if (bool(getKeyBegin()) != bool(getKeyEnd()))
    return emitOpError("a key range needs its begin and its end");
  if (bool(getBlockLayout()) != bool(getBatch()) ||
      bool(getBlockLayout()) != bool(getHead()))
    return emitOpError("a block layout needs the batch and head it is read at");
  if (Value layout = getBlockLayout())
    if (cast<RankedTensorType>(layout.getType()).getRank() != 4)
      return emitOpError("the block layout must be a 4-D tensor, got ")
             << layout.getType();
  if (getTileQ() < 1 || getTileKv() < 1)
    return emitOpError("tile sizes must be positive, got tile_q = ")
           << getTileQ() << ", tile_kv = " << getTileKv();
  Block &block = getBodyBlock();
  SmallVector<Type> expected = {IndexType::get(getContext()),
                                IntegerType::get(getContext(), 1)};
  llvm::append_range(expected, getInits().getTypes());
  if (block.getArgumentTypes() != ArrayRef<Type>(expected))
    return emitOpError("body must take (index, i1) then the types of the "
                       "iteration values");
  if (getResultTypes() != getInits().getTypes())
    return emitOpError("results must have the types of the iteration values");
  auto yield = cast<YieldOp>(block.getTerminator());
  if (yield.getValues().getTypes() != getInits().getTypes())
    return yield.emitOpError("must yield the types of the iteration values");
  return success();
}

LogicalResult ReadStateOp::verify() {
  if (failed(checkExtent(*this, getQuery(), 1, "query", getState(), 0,
                         "state")) ||
      failed(checkExtent(*this, getKeySum(), 0, "key sum", getState(), 0,
                         "state")) ||
      failed(checkExtent(*this, getAcc(), 0, "accumulator", getQuery(), 0,
                         "query")) ||
      failed(checkExtent(*this, getAcc(), 1, "accumulator", getState(), 1,
                         "state")))
    return failure();
  if (failed(checkChannelPrefix(*this, getPrefix(), getState(), 0, "state")))
    return failure();
  return checkExtent(*this, getSum(), 0, "sum", getQuery(), 0, "query");
}

LogicalResult UpdateStateOp::verify() {
  if (failed(checkExtent(*this, getKey(), 1, "key", getState(), 0, "state")) ||
      failed(checkExtent(*this, getValue(), 1, "value", getState(), 1,
                         "state")) ||
      failed(checkExtent(*this, getValue(), 0, "value", getKey(), 0, "key")))
    return failure();
  if (failed(checkChannelPrefix(*this, getPrefix(), getState(), 0, "state")))
    return failure();
  return checkExtent(*this, getKeySum(), 0, "key sum", getState(), 0, "state");
}

//===----------------------------------------------------------------------===//
// Pooling and selection
//===----------------------------------------------------------------------===//

LogicalResult PoolKeysOp::verify() {
  bool proxies = getSelection().getProxyHeads() > 0;
  if (bool(getGroups()) != proxies)
    return emitOpError(proxies
                           ? "needs the group count of a proxy_heads selection"
                           : "takes a group count only with proxy_heads");
  // With groups, the result's heads are the groups.
  for (unsigned d : {0u, 1u})
    if ((d != 1 || !getGroups()) &&
        failed(checkExtent(*this, getResult(), d, "result", getKey(), d,
                           "key")))
      return failure();
  // Concatenated pools: P key rows side by side.
  int64_t pools = getSelection().numPools();
  int64_t d = extent(getKey(), 3), width = extent(getResult(), 3);
  if (!ShapedType::isDynamic(d) && !ShapedType::isDynamic(width) &&
      width != pools * d)
    return emitOpError("result extent 3 (")
           << width << ") must be the " << pools << " pools x key extent 3 ("
           << d << ")";
  return success();
}

LogicalResult ProjectPooledOp::verify() {
  int64_t heads = extent(getWeight(), 0);
  if (heads != 1 &&
      failed(checkExtent(*this, getWeight(), 0, "weight", getPooled(), 1,
                         "pooled")))
    return failure();
  for (unsigned d : {0u, 1u, 2u})
    if (failed(checkExtent(*this, getResult(), d, "result", getPooled(), d,
                           "pooled")))
      return failure();
  if (failed(checkExtent(*this, getWeight(), 1, "weight", getPooled(), 3,
                         "pooled")))
    return failure();
  return checkExtent(*this, getResult(), 3, "result", getWeight(), 2,
                     "weight");
}

LogicalResult PoolQueriesOp::verify() {
  if (!getSelection().perQueryBlock())
    return emitOpError("needs a per-query-block selection (q_block > 0)");
  if (bool(getGroups()) != getSelection().getHeadGroup())
    return emitOpError(getSelection().getHeadGroup()
                           ? "needs the group count of a head_group selection"
                           : "takes a group count only with head_group");
  // With groups, the result's heads are the groups.
  for (unsigned d : {0u, 1u, 3u})
    if ((d != 1 || !getGroups()) &&
        failed(checkExtent(*this, getResult(), d, "result", getQuery(), d,
                           "query")))
      return failure();
  return success();
}

LogicalResult SelectBlocksOp::verify() {
  // The pooled queries come with their head, and only per query block.
  if (bool(getQueries()) != bool(getQueryHead()))
    return emitOpError("takes the pooled queries with their query head");
  // Given scores per query block come as gates: no pooled query to read.
  bool needsQueries =
      getSelection().perQueryBlock() && !getSelection().isGiven();
  if (bool(getQueries()) != needsQueries)
    return emitOpError(needsQueries
                           ? "needs the pooled queries of a per-query-block "
                             "selection"
                           : "takes pooled queries only with q_block > 0 "
                             "and a gate that is not given");
  if (Value queries = getQueries())
    if (failed(checkExtent(*this, queries, 3, "pooled queries", getPooled(),
                           3, "pooled keys")))
      return failure();
  if (Value gates = getGates()) {
    TopKBlocksAttr selection = getSelection();
    if ((selection.perQueryBlock() && !selection.isGiven()) ||
        selection.isLearned() || selection.numPools() != 1)
      return emitOpError("takes given gates only per token or from given "
                         "scores, with one pool and no learned gate");
    if (failed(checkExtent(*this, gates, 0, "gates", getQuery(), 0, "query")))
      return failure();
  }
  // A learned gate reads projected rows, not the query tile's.
  if ((!getSelection().isLearned() &&
       failed(checkExtent(*this, getQuery(), 1, "query", getPooled(), 3,
                          "pooled keys"))) ||
      failed(checkExtent(*this, getMembers(), 0, "members", getQuery(), 0,
                         "query")) ||
      failed(checkExtent(*this, getMembers(), 1, "members", getPooled(), 2,
                         "pooled keys")))
    return failure();
  return checkExtent(*this, getVisited(), 0, "visited", getPooled(), 2,
                     "pooled keys");
}

LogicalResult KeepSelectedOp::verify() {
  if (getBlock() < 1)
    return emitOpError("block must be positive, got ") << getBlock();
  return checkExtent(*this, getMembers(), 0, "members", getScores(), 0,
                     "scores");
}

LogicalResult BlockRowsOp::verify() {
  return checkExtent(*this, getRows(), 0, "rows", getMembers(), 0, "members");
}

LogicalResult GatherRowsOp::verify() {
  int64_t rank = cast<ShapedType>(getSource().getType()).getRank();
  bool headed = getBatch() && getHead();
  if (headed != (rank == 4) || (rank != 4 && rank != 2 && rank != 1))
    return emitOpError() << "takes a 4-D source with [batch, head] or a 1-D "
                            "or 2-D source without, got rank "
                         << rank << (headed ? " with" : " without")
                         << " [batch, head]";
  int64_t resultRank = cast<ShapedType>(getType()).getRank();
  int64_t expected = rank == 1 ? 1 : 2;
  if (resultRank != expected)
    return emitOpError() << "result must have rank " << expected
                         << " for a source of rank " << rank << ", got "
                         << resultRank;
  if (rank == 1)
    return success();
  return checkExtent(*this, getResult(), 1, "result", getSource(), rank - 1,
                     "source");
}

LogicalResult ScatterRowsOp::verify() {
  int64_t rank = cast<ShapedType>(getDest().getType()).getRank();
  if (rank != 1 && rank != 2)
    return emitOpError() << "dest must have rank 1 or 2, got " << rank;
  int64_t tileRank = cast<ShapedType>(getTile().getType()).getRank();
  if (tileRank != rank)
    return emitOpError() << "tile rank (" << tileRank
                         << ") does not match dest rank (" << rank << ")";
  if (rank == 1)
    return success();
  return checkExtent(*this, getTile(), 1, "tile", getDest(), 1, "dest");
}

/// The values of a quantization op have the source's shape, its scales the
/// source's batch and head extents.
static LogicalResult checkQuantizedShapes(Operation *op, Value source,
                                          Value values, Value scales) {
  for (unsigned d = 0; d < 4; ++d)
    if (failed(checkExtent(op, values, d, "values", source, d, "source")))
      return failure();
  for (unsigned d = 0; d < 2; ++d)
    if (failed(checkExtent(op, scales, d, "scales", source, d, "source")))
      return failure();
  return success();
}

LogicalResult QuantizeOp::verify() {
  if (failed(checkQuantizedShapes(*this, getSource(), getValues(),
                                  getScales())))
    return failure();
  int64_t n = extent(getSource(), 2), blocks = extent(getScales(), 2);
  int64_t block = static_cast<int64_t>(getBlock());
  if (!ShapedType::isDynamic(n) && !ShapedType::isDynamic(blocks) &&
      blocks != (n + block - 1) / block)
    return emitOpError() << "scales extent 2 (" << blocks
                         << ") must be ceil(source tokens / block) = "
                         << (n + block - 1) / block;
  // Flags and their range come together: one without the other has no
  // meaning (the assembly format pairs them, the generic form may not).
  if (static_cast<bool>(getSalient()) != getSalientRange().has_value())
    return emitOpError() << "salient flags and salient_range must be given "
                            "together";
  return success();
}

LogicalResult DequantizeOp::verify() {
  for (unsigned d = 0; d < 4; ++d)
    if (failed(checkExtent(*this, getResult(), d, "result", getSource(), d,
                           "source")))
      return failure();
  if (!getChannels())
    return success();
  // Channel scales: one per element of D over all tokens.
  if (!getScales())
    return emitOpError() << "channels needs scales";
  if (getBlock() != 1)
    return emitOpError() << "channels needs block 1, got " << getBlock();
  int64_t scales =
      cast<RankedTensorType>(getScales().getType()).getDimSize(2);
  int64_t d = cast<RankedTensorType>(getSource().getType()).getDimSize(3);
  if (!ShapedType::isDynamic(scales) && !ShapedType::isDynamic(d) &&
      scales != 1 && scales != d)
    return emitOpError() << "channels scales extent 2 (" << scales
                         << ") must be 1 or the source's D (" << d << ")";
  return success();
}

LogicalResult CenterOp::verify() {
  for (auto [result, name] : {std::make_pair(getResidual(), "residual"),
                              std::make_pair(getMeans(), "means")})
    for (unsigned d = 0; d < 4; ++d)
      if (failed(checkExtent(*this, result, d, name, getSource(), d,
                             "source")))
        return failure();
  return success();
}

LogicalResult FP8ChannelsOp::verify() {
  for (unsigned d = 0; d < 4; ++d)
    if (failed(checkExtent(*this, getResult(), d, "result", getSource(), d,
                           "source")))
      return failure();
  return success();
}

LogicalResult QuantizeFP8Op::verify() {
  for (unsigned d = 0; d < 4; ++d)
    if (failed(checkExtent(*this, getResult(), d, "result", getSource(), d,
                           "source")))
      return failure();
  return success();
}

LogicalResult QuantizeChannelsOp::verify() {
  if (failed(checkQuantizedShapes(*this, getSource(), getValues(),
                                  getScales())))
    return failure();
  return checkExtent(*this, getScales(), 2, "scales", getSource(), 3,
                     "source");
}

LogicalResult QuantizedAccumulateOp::verify() {
  if (failed(checkAccumulateShapes(*this, getWeights(), getValue(), getAcc(),
                                   getAlpha())) ||
      failed(checkExtent(*this, getScales(), 0, "scales", getValue(), 1,
                         "value")))
    return failure();
  // Each key adds at most 255 * 127 to an i32 sum.
  constexpr int64_t kMaxKeys = ((int64_t(1) << 31) - 1) / (255 * 127);
  int64_t keys = extent(getValue(), 0);
  if (!ShapedType::isDynamic(keys) && keys > kMaxKeys)
    return emitOpError() << "key extent " << keys
                         << " could overflow the i32 sums (255 * 127 per "
                            "key); at most "
                         << kMaxKeys;
  return success();
}

LogicalResult SignOp::verify() {
  for (unsigned d = 0; d < 4; ++d)
    if (failed(checkExtent(*this, getResult(), d, "result", getSource(), d,
                           "source")))
      return failure();
  return success();
}

LogicalResult RotateOp::verify() {
  for (unsigned d = 0; d < 3; ++d)
    if (failed(checkExtent(*this, getResult(), d, "result", getSource(), d,
                           "source")))
      return failure();
  // [Hr, D, R]: D rows against the source's channels, R result channels.
  if (failed(checkExtent(*this, getRotation(), 1, "rotation", getSource(), 3,
                         "source")) ||
      failed(checkExtent(*this, getResult(), 3, "result", getRotation(), 2,
                         "rotation")))
    return failure();
  return success();
}

LogicalResult UnpackInt4Op::verify() {
  for (unsigned d = 0; d < 3; ++d)
    if (failed(checkExtent(*this, getResult(), d, "result", getSource(), d,
                           "source")))
      return failure();
  int64_t channels = getResult().getType().getDimSize(3);
  int64_t source = getSource().getType().getDimSize(3);
  if (!isPacked())
    return checkExtent(*this, getResult(), 3, "result", getSource(), 3,
                       "source");
  // Packed: two channels per byte.
  if (!ShapedType::isDynamic(channels) && channels % 2 != 0)
    return emitOpError() << "packed i4 values fill whole bytes: the result's "
                            "head dimension must be even, got "
                         << channels;
  if (!ShapedType::isDynamic(channels) && !ShapedType::isDynamic(source) &&
      channels != 2 * source)
    return emitOpError() << "packed source extent 3 (" << source
                         << " bytes) must hold the result's " << channels
                         << " channels, two per byte";
  return success();
}

LogicalResult LoadQuantizedOp::verify() {
  if (failed(checkExtent(*this, getValues(), 1, "values", getSource(), 3,
                         "source")))
    return failure();
  return checkExtent(*this, getRowScales(), 0, "row_scales", getValues(), 0,
                     "values");
}

LogicalResult DotBytesOp::verify() {
  int64_t lanes = getAcc().getType().getDimSize(0);
  int64_t bytes = getUnsignedBytes().getType().getDimSize(0);
  if (bytes != 4 * lanes)
    return emitOpError("needs 4 bytes per i32 lane: ")
           << bytes << " bytes for " << lanes << " lanes";
  return success();
}

LogicalResult QuantizedScoresOp::verify() {
  if (failed(checkExtent(*this, getQuery(), 1, "query", getKey(), 1, "key")) ||
      failed(checkExtent(*this, getResult(), 0, "result", getQuery(), 0,
                         "query")) ||
      failed(checkExtent(*this, getResult(), 1, "result", getKey(), 0,
                         "key")) ||
      failed(checkExtent(*this, getQScales(), 0, "q_scales", getQuery(), 0,
                         "query")) ||
      failed(checkExtent(*this, getKScales(), 0, "k_scales", getKey(), 0,
                         "key")))
    return failure();
  if (Value plus = getPlus())
    for (unsigned d = 0; d < 2; ++d)
      if (failed(checkExtent(*this, plus, d, "plus", getResult(), d,
                             "result")))
        return failure();
  // The i32 accumulator holds D * 127^2 only up to this D.
  constexpr int64_t kMaxHeadDim = ((int64_t(1) << 31) - 1) / (127 * 127);
  int64_t d = extent(getQuery(), 1);
  if (!ShapedType::isDynamic(d) && d > kMaxHeadDim)
    return emitOpError() << "head_dim " << d
                         << " could overflow the i32 accumulator (D * 127^2 "
                            ">= 2^31); at most "
                         << kMaxHeadDim;
  return success();
}
