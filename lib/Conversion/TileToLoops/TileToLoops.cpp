//===- TileToLoops.cpp - portable lowering of the tile program ------------===//
//
// attn_tile ops -> linalg.generic / tensor.generate on tensors, and
// attn_tile.for_key_tiles -> scf.for. The result bufferizes with One-Shot
// Bufferize and runs on any target through convert-linalg-to-loops. The
// math of each step comes from the shared helpers (SoftmaxMath,
// ScalarEmitter).
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "attn/Conversion/AttnCodegen.h"
#include "attn/Conversion/SoftmaxMath.h"
#include "attn/Conversion/TileClassification.h"
#include "attn/Dialect/AttnTile/AttnTileDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/AffineMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <array>
#include <cmath>
#include <limits>

namespace attn {
#define GEN_PASS_DEF_CONVERTATTNTILETOLOOPS
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;
using namespace attn::tile;
using codegen::PairContext;
using codegen::ScalarEmitter;
using codegen::SoftmaxMath;

static constexpr double kNegInf = -std::numeric_limits<double>::infinity();

namespace {

/// Builds the linalg.generic ops of one tile op at its position.
class TileLowering {
public:
  explicit TileLowering(Operation *op)
      : b(op), loc(op->getLoc()), e(b, loc), math(b, loc) {}

  /// The body computes the yielded values from the block arguments (inputs
  /// then outputs) and (i, j, ...) from linalg.index.
  using Body = function_ref<SmallVector<Value>(ValueRange args,
                                               ValueRange indices)>;

  /// A linalg.generic over `loops` iterators (parallel, or reduction where
  /// `reduction[d]`) reading `inputs` through `inputMaps` and writing
  /// `outputs` through `outputMaps`.
  SmallVector<Value> generic(ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                             ValueRange outputs, ArrayRef<AffineMap> outputMaps,
                             ArrayRef<bool> reduction, Body body);

  /// Elementwise over a 2-D tile (rows broadcast along columns).
  SmallVector<Value> map2D(ValueRange tiles, ValueRange rows,
                           ValueRange outputs, Body body);
  /// Elementwise over rows.
  SmallVector<Value> map1D(ValueRange rows, ValueRange outputs, Body body);
  /// Elementwise over 2-D tiles: entries whose `tiles[flag]` is not -inf
  /// (kept pairs) get `kept(args, indices)` under an scf.if (a region may
  /// read captures only valid for kept pairs), the others `tiles[0]`.
  Value mapKept(ValueRange tiles, unsigned flag, Body kept);
  /// A row reduction of a 2-D tile into `init` (`combine(acc, x)`).
  Value reduceRows(Value tile, Value init,
                   function_ref<Value(Value acc, Value x)> combine);

  /// A tensor shaped like `like` (element type `elementType`, f32 when
  /// null), uninitialized or filled with `value`.
  Value emptyLike(Value like, Type elementType = {});
  Value filledLike(Value like, double value);
  Value filledRows(Value tile, double value);
  /// An f32 tensor of `sizes` filled with `value`.
  Value filled(ArrayRef<OpFoldResult> sizes, double value);
  /// A tensor of `type` computed elementwise by `element(index)` into a
  /// linalg.generic: unlike tensor.generate, which canonicalization folds
  /// into every tensor.extract of it, it is computed once.
  Value materialize(RankedTensorType type, ValueRange dynamicSizes,
                    function_ref<Value(ValueRange index)> element);

  /// The pair context of entry (i, j) of a tile op with (b, h, q0, k0,
  /// nq, nk, heads), indices clamped into the sequences (a region may read
  /// captures at them; out-of-range entries are excluded anyway).
  PairContext pair(ScoreSpecOpInterface op, Value bi, Value hi, Value q0,
                   Value k0, Value nq, Value nk, Value heads, Value i,
                   Value j);

  OpBuilder b;
  Location loc;
  ScalarEmitter e;
  SoftmaxMath math;
};

} // namespace

SmallVector<Value> TileLowering::generic(ValueRange inputs,
                                         ArrayRef<AffineMap> inputMaps,
                                         ValueRange outputs,
                                         ArrayRef<AffineMap> outputMaps,
                                         ArrayRef<bool> reduction, Body body) {
  SmallVector<AffineMap> maps(inputMaps);
  llvm::append_range(maps, outputMaps);
  SmallVector<utils::IteratorType> iterators;
  for (bool r : reduction)
    iterators.push_back(r ? utils::IteratorType::reduction
                          : utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, ValueRange(outputs).getTypes(), inputs, outputs, maps, iterators,
      [&](OpBuilder &nested, Location l, ValueRange args) {
        SmallVector<Value> indices;
        for (unsigned d = 0; d < reduction.size(); ++d)
          indices.push_back(linalg::IndexOp::create(nested, l, d));
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToEnd(nested.getInsertionBlock());
        linalg::YieldOp::create(b, l, body(args, indices));
      });
  return SmallVector<Value>(op.getResults());
}

SmallVector<Value> TileLowering::map2D(ValueRange tiles, ValueRange rows,
                                       ValueRange outputs, Body body) {
  MLIRContext *ctx = b.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap row = AffineMap::get(2, 0, getAffineDimExpr(0, ctx));
  SmallVector<AffineMap> inMaps(tiles.size(), id);
  inMaps.append(rows.size(), row);
  SmallVector<Value> inputs(tiles);
  llvm::append_range(inputs, rows);
  SmallVector<AffineMap> outMaps(outputs.size(), id);
  return generic(inputs, inMaps, outputs, outMaps, {false, false}, body);
}

SmallVector<Value> TileLowering::map1D(ValueRange rows, ValueRange outputs,
                                       Body body) {
  AffineMap id = AffineMap::getMultiDimIdentityMap(1, b.getContext());
  SmallVector<AffineMap> inMaps(rows.size(), id);
  SmallVector<AffineMap> outMaps(outputs.size(), id);
  return generic(rows, inMaps, outputs, outMaps, {false}, body);
}

Value TileLowering::mapKept(ValueRange tiles, unsigned flag, Body kept) {
  return map2D(
      tiles, {}, emptyLike(tiles[0]),
      [&](ValueRange args, ValueRange idx) -> SmallVector<Value> {
        Value isKept = arith::CmpFOp::create(
            b, loc, arith::CmpFPredicate::ONE, args[flag], e.f32(kNegInf));
        auto select = scf::IfOp::create(
            b, loc, isKept,
            [&](OpBuilder &, Location) {
              scf::YieldOp::create(b, loc, kept(args, idx));
            },
            [&](OpBuilder &, Location) {
              scf::YieldOp::create(b, loc, args[0]);
            });
        return {select.getResult(0)};
      })[0];
}

Value TileLowering::reduceRows(Value tile, Value init,
                               function_ref<Value(Value, Value)> combine) {
  MLIRContext *ctx = b.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap row = AffineMap::get(2, 0, getAffineDimExpr(0, ctx));
  return generic(tile, id, init, row, {false, true},
                 [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                   return {combine(args[1], args[0])};
                 })[0];
}

Value TileLowering::emptyLike(Value like, Type elementType) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, like);
  return tensor::EmptyOp::create(b, loc, sizes,
                                 elementType ? elementType : b.getF32Type());
}

Value TileLowering::filled(ArrayRef<OpFoldResult> sizes, double value) {
  Value empty = tensor::EmptyOp::create(b, loc, sizes, b.getF32Type());
  return linalg::FillOp::create(b, loc, ValueRange{e.f32(value)},
                                ValueRange{empty})
      .getResult(0);
}

Value TileLowering::materialize(RankedTensorType type,
                                ValueRange dynamicSizes,
                                function_ref<Value(ValueRange)> element) {
  Value empty = tensor::EmptyOp::create(b, loc, type, dynamicSizes);
  AffineMap id = AffineMap::getMultiDimIdentityMap(type.getRank(),
                                                   b.getContext());
  SmallVector<bool> parallel(type.getRank(), false);
  return generic({}, {}, empty, id, parallel,
                 [&](ValueRange, ValueRange index) -> SmallVector<Value> {
                   return {element(index)};
                 })[0];
}

Value TileLowering::filledLike(Value like, double value) {
  return filled(tensor::getMixedSizes(b, loc, like), value);
}

Value TileLowering::filledRows(Value tile, double value) {
  return filled({tensor::getMixedSize(b, loc, tile, 0)}, value);
}

PairContext TileLowering::pair(ScoreSpecOpInterface op, Value bi, Value hi,
                               Value q0, Value k0, Value nq, Value nk,
                               Value heads, Value i, Value j) {
  Value qi = e.addi(q0, i), kj = e.addi(k0, j);
  Value one = e.idx(1);
  return PairContext{op,
                     bi,
                     hi,
                     e.minsi(qi, e.subi(nq, one)),
                     e.minsi(kj, e.subi(nk, one)),
                     e.addi(qi, e.subi(nk, nq)),
                     nq,
                     nk,
                     heads};
}

//===----------------------------------------------------------------------===//
// One lowering per op
//===----------------------------------------------------------------------===//

static Value lowerLoad(LoadOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  auto type = cast<RankedTensorType>(op.getType());
  SmallVector<Value> dynamic;
  if (type.isDynamicDim(1))
    dynamic.push_back(tensor::DimOp::create(b, loc, op.getSource(), 3));
  Value rows = tensor::DimOp::create(b, loc, op.getSource(), 2);
  auto generate = tensor::GenerateOp::create(
      b, loc, type, dynamic, [&](OpBuilder &, Location, ValueRange index) {
        Value row = e.addi(op.getRow(), index[0]);
        Value inside = e.andi(e.cmp(arith::CmpIPredicate::sge, row, e.idx(0)),
                              e.cmp(arith::CmpIPredicate::slt, row, rows));
        auto read = scf::IfOp::create(
            b, loc, inside,
            [&](OpBuilder &, Location) {
              Value x = tensor::ExtractOp::create(
                  b, loc, op.getSource(),
                  ValueRange{op.getBatch(), op.getHead(), row, index[1]});
              scf::YieldOp::create(b, loc, e.toF32(x));
            },
            [&](OpBuilder &, Location) {
              scf::YieldOp::create(b, loc, e.f32(0.0));
            });
        tensor::YieldOp::create(b, loc, read.getResult(0));
      });
  return generate.getResult();
}

static Value lowerScores(ScoresOp op) {
  TileLowering t(op);
  MLIRContext *ctx = op.getContext();
  AffineExpr i = getAffineDimExpr(0, ctx), j = getAffineDimExpr(1, ctx),
             x = getAffineDimExpr(2, ctx);
  Value dot = t.generic(
      {op.getQuery(), op.getKey()},
      {AffineMap::get(3, 0, {i, x}, ctx), AffineMap::get(3, 0, {j, x}, ctx)},
      // S is query rows x key rows (sizes from the operands, not the result).
      t.filled({tensor::getMixedSize(t.b, t.loc, op.getQuery(), 0),
                tensor::getMixedSize(t.b, t.loc, op.getKey(), 0)},
               0.0),
      AffineMap::get(3, 0, {i, j}, ctx),
      {false, false, true},
      [&](ValueRange args, ValueRange) -> SmallVector<Value> {
        return {math::FmaOp::create(t.b, t.loc, args[0], args[1], args[2])};
      })[0];
  return t.map2D(dot, {}, t.emptyLike(dot),
                 [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                   return {arith::MulFOp::create(t.b, t.loc, args[0],
                                                 op.getScale())};
                 })[0];
}

static Value lowerMask(MaskOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  Value s = op.getScores();
  // Full tiles pass unchanged; partial ones evaluate range and mask.
  auto ifPartial = scf::IfOp::create(
      t.b, t.loc, op.getPartial(),
      [&](OpBuilder &, Location) {
        Value masked =
            t.map2D(s, {}, t.emptyLike(s),
                    [&](ValueRange args, ValueRange idx) -> SmallVector<Value> {
                      PairContext c = t.pair(
                          op, op.getBatch(), op.getHead(), op.getQuery(),
                          op.getKey(), op.getQueryLength(), op.getKeyLength(),
                          op.getNumHeads(), idx[0], idx[1]);
                      Value inRange = e.andi(
                          e.cmp(arith::CmpIPredicate::slt,
                                e.addi(op.getQuery(), idx[0]),
                                op.getQueryLength()),
                          e.cmp(arith::CmpIPredicate::slt,
                                e.addi(op.getKey(), idx[1]),
                                op.getKeyLength()));
                      Value keep = e.andi(inRange, e.keep(c));
                      return {e.select(keep, args[0], e.f32(kNegInf))};
                    })[0];
        scf::YieldOp::create(t.b, t.loc, masked);
      },
      [&](OpBuilder &, Location) { scf::YieldOp::create(t.b, t.loc, s); });
  return ifPartial.getResult(0);
}

static Value lowerModify(ModifyOp op) {
  TileLowering t(op);
  return t.mapKept(op.getScores(), 0,
                   [&](ValueRange args, ValueRange idx) -> SmallVector<Value> {
                     PairContext c = t.pair(
                         op, op.getBatch(), op.getHead(), op.getQuery(),
                         op.getKey(), op.getQueryLength(), op.getKeyLength(),
                         op.getNumHeads(), idx[0], idx[1]);
                     return {t.e.modifyScore(args[0], c)};
                   });
}

static Value lowerFeatureMap(FeatureMapOp op) {
  TileLowering t(op);
  FeatureMapKind kind = op.getMap().getKind();
  return t.map2D(op.getTile(), {}, t.emptyLike(op.getTile()),
                 [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                   return {t.e.featureMap(kind, args[0])};
                 })[0];
}

/// The softmax of each row of `tile` over its columns, exp(x - max) / sum
/// with the row's f32 maximum and an f32 sum in column order.
static Value lowerRowSoftmax(TileLowering &t, Value tile,
                             RankedTensorType type,
                             SmallVector<Value> sizes) {
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value rows = tensor::DimOp::create(b, loc, tile, 0);
  Value cols = tensor::DimOp::create(b, loc, tile, 1);
  auto rowType = RankedTensorType::get({type.getDimSize(0)}, b.getF32Type());
  SmallVector<Value> rowSizes;
  if (type.isDynamicDim(0))
    rowSizes.push_back(rows);
  // Reduces the columns of row r from `init` with `step(acc, x)`.
  auto overRow = [&](Value r, Value init,
                     function_ref<Value(Value, Value)> step) -> Value {
    return scf::ForOp::create(
               b, loc, e.idx(0), cols, e.idx(1), ValueRange{init},
               [&](OpBuilder &, Location, Value c, ValueRange acc) {
                 Value x =
                     tensor::ExtractOp::create(b, loc, tile, ValueRange{r, c});
                 scf::YieldOp::create(b, loc, step(acc[0], x));
               })
        .getResult(0);
  };
  Value max = t.materialize(rowType, rowSizes, [&](ValueRange index) {
    return overRow(index[0], e.f32(-INFINITY), [&](Value acc, Value x) {
      return arith::MaximumFOp::create(b, loc, acc, x).getResult();
    });
  });
  auto shifted = [&](Value r, Value x) -> Value {
    Value m = tensor::ExtractOp::create(b, loc, max, ValueRange{r});
    return math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, x, m));
  };
  Value sum = t.materialize(rowType, rowSizes, [&](ValueRange index) {
    return overRow(index[0], e.f32(0.0), [&](Value acc, Value x) {
      return arith::AddFOp::create(b, loc, acc, shifted(index[0], x))
          .getResult();
    });
  });
  return t.materialize(type, sizes, [&](ValueRange index) -> Value {
    Value x = tensor::ExtractOp::create(b, loc, tile, index);
    Value s = tensor::ExtractOp::create(b, loc, sum, ValueRange{index[0]});
    return arith::DivFOp::create(b, loc, shifted(index[0], x), s);
  });
}

/// phi of the maps that change the feature dimension: hedgehog (the head's
/// projection W x + b, then exp of it and of its negation) and taylor2
/// (1, x, then x_a x_c / sqrt(2)); see attn_tile.expand_features.
static Value lowerExpandFeatures(ExpandFeaturesOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  using P = arith::CmpIPredicate;
  Value tile = op.getTile();
  auto type = cast<RankedTensorType>(op.getType());
  Value d = tensor::DimOp::create(b, loc, tile, 1);
  auto dynamicSizes = [&](Value features) {
    SmallVector<Value> sizes;
    if (type.isDynamicDim(0))
      sizes.push_back(tensor::DimOp::create(b, loc, tile, 0));
    if (type.isDynamicDim(1))
      sizes.push_back(features);
    return sizes;
  };
  auto at = [&](Value source, Value r, Value c) -> Value {
    return tensor::ExtractOp::create(b, loc, source, ValueRange{r, c});
  };

  if (op.getMap().getKind() == FeatureMapKind::Softmax)
    return lowerRowSoftmax(t, tile, type, dynamicSizes(d));
  if (op.getMap().getKind() == FeatureMapKind::Taylor2) {
    Value linearEnd = e.addi(e.idx(1), d);
    Value features = e.addi(linearEnd, e.muli(d, d));
    Value lastColumn = e.subi(d, e.idx(1));
    return t.materialize(
        type, dynamicSizes(features), [&](ValueRange index) -> Value {
          Value r = index[0], c = index[1];
          // Every index is clamped into the tile: the selects below pick
          // the term that applies.
          Value x = at(tile, r, e.minsi(e.maxsi(e.subi(c, e.idx(1)),
                                                e.idx(0)),
                                        lastColumn));
          Value u = e.maxsi(e.subi(c, linearEnd), e.idx(0));
          Value a = e.minsi(e.floordiv(u, d), lastColumn);
          Value product = arith::MulFOp::create(
              b, loc, at(tile, r, a), at(tile, r, e.rem(u, d)));
          product = arith::MulFOp::create(b, loc, product,
                                          e.f32(1.0 / std::sqrt(2.0)));
          Value linear = e.select(e.cmp(P::slt, c, linearEnd), x, product);
          return e.select(e.cmp(P::eq, c, e.idx(0)), e.f32(1.0), linear);
        });
  }

  // hedgehog: the head's weight [F, D] and bias [F] (head 0 where the
  // operand's head extent is 1).
  Value weight = op.getWeight(), bias = op.getBias();
  auto headOf = [&](Value operand) {
    Value heads = tensor::DimOp::create(b, loc, operand, 0);
    return e.select(e.cmp(P::eq, heads, e.idx(1)), e.idx(0), op.getHead());
  };
  Value f = tensor::DimOp::create(b, loc, weight, 1);
  auto wType = cast<RankedTensorType>(weight.getType());
  OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
  Value w = tensor::ExtractSliceOp::create(
      b, loc,
      RankedTensorType::get({wType.getDimSize(1), wType.getDimSize(2)},
                            wType.getElementType()),
      weight, ArrayRef<OpFoldResult>{headOf(weight), zero, zero},
      ArrayRef<OpFoldResult>{one, tensor::getMixedSize(b, loc, weight, 1),
                             tensor::getMixedSize(b, loc, weight, 2)},
      ArrayRef<OpFoldResult>{one, one, one});
  Value hb = headOf(bias);
  // u[r, f] = b[f] + sum_x W[f, x] tile[r, x].
  auto projType = RankedTensorType::get(
      {type.getDimSize(0), wType.getDimSize(1)}, b.getF32Type());
  SmallVector<Value> projSizes;
  if (projType.isDynamicDim(0))
    projSizes.push_back(tensor::DimOp::create(b, loc, tile, 0));
  if (projType.isDynamicDim(1))
    projSizes.push_back(f);
  Value init = t.materialize(projType, projSizes, [&](ValueRange index) {
    return e.toF32(
        tensor::ExtractOp::create(b, loc, bias, ValueRange{hb, index[1]}));
  });
  MLIRContext *ctx = op.getContext();
  AffineExpr r = getAffineDimExpr(0, ctx), c = getAffineDimExpr(1, ctx),
             x = getAffineDimExpr(2, ctx);
  Value proj = t.generic(
      {tile, w},
      {AffineMap::get(3, 0, {r, x}, ctx), AffineMap::get(3, 0, {c, x}, ctx)},
      init, AffineMap::get(3, 0, {r, c}, ctx), {false, false, true},
      [&](ValueRange args, ValueRange) -> SmallVector<Value> {
        return {math::FmaOp::create(b, loc, args[0], e.toF32(args[1]),
                                    args[2])};
      })[0];
  return t.materialize(
      type, dynamicSizes(e.muli(e.idx(2), f)), [&](ValueRange index) -> Value {
        Value c = index[1];
        Value positive = e.cmp(P::slt, c, f);
        Value u = at(proj, index[0], e.select(positive, c, e.subi(c, f)));
        Value signedU =
            e.select(positive, u, arith::NegFOp::create(b, loc, u));
        return math::ExpOp::create(b, loc, signedU);
      });
}

/// A sequential scan: prefix[x] = prefix[x-1] + log(decay[b', h', x]), or
/// per channel c for a rank-4 decay (prefix[x, c], the channels inner,
/// each reading the row before).
static Value lowerDecayPrefix(DecayPrefixOp op) {
  TileLowering t(op);
  OpBuilder &b = t.b;
  Location loc = t.loc;
  ScalarEmitter &e = t.e;
  Type f64 = b.getF64Type();
  Value n = op.getKeyLength();
  auto logDecay = [&](SmallVector<Value> at) -> Value {
    Value a = e.extractBroadcast(op.getDecay(), at);
    return math::LogOp::create(b, loc,
                               arith::ExtFOp::create(b, loc, f64, e.toF32(a)));
  };
  Value zero = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0));
  if (op.getDecay().getType().getRank() == 3) {
    Value init = tensor::EmptyOp::create(b, loc, ArrayRef<OpFoldResult>{n}, f64);
    auto loop = scf::ForOp::create(
        b, loc, e.idx(0), n, e.idx(1), ValueRange{init, zero},
        [&](OpBuilder &, Location, Value x, ValueRange iter) {
          Value sum = arith::AddFOp::create(
              b, loc, iter[1], logDecay({op.getBatch(), op.getHead(), x}));
          Value prefix = tensor::InsertOp::create(b, loc, sum, iter[0], x);
          scf::YieldOp::create(b, loc, ValueRange{prefix, sum});
        });
    return loop.getResult(0);
  }
  Value depth = tensor::DimOp::create(b, loc, op.getDecay(), 3);
  Value init =
      tensor::EmptyOp::create(b, loc, ArrayRef<OpFoldResult>{n, depth}, f64);
  auto loop = scf::ForOp::create(
      b, loc, e.idx(0), n, e.idx(1), ValueRange{init},
      [&](OpBuilder &, Location, Value x, ValueRange rows) {
        Value previousRow = e.maxsi(e.subi(x, e.idx(1)), e.idx(0));
        Value first = e.cmp(arith::CmpIPredicate::eq, x, e.idx(0));
        auto channels = scf::ForOp::create(
            b, loc, e.idx(0), depth, e.idx(1), ValueRange{rows[0]},
            [&](OpBuilder &, Location, Value c, ValueRange iter) {
              Value previous = e.select(
                  first, zero,
                  tensor::ExtractOp::create(b, loc, iter[0],
                                            ValueRange{previousRow, c}));
              Value sum = arith::AddFOp::create(
                  b, loc, previous,
                  logDecay({op.getBatch(), op.getHead(), x, c}));
              scf::YieldOp::create(
                  b, loc,
                  ValueRange{tensor::InsertOp::create(b, loc, sum, iter[0],
                                                      ValueRange{x, c})});
            });
        scf::YieldOp::create(b, loc, channels.getResults());
      });
  return loop.getResult(0);
}

/// Per entry, a dot product over the channels with each channel's factor
/// exp(prefix[p, x] - prefix[j, x]) (exponent <= 0 inside the keys); the
/// entries outside 0 <= j <= p < key_length are 0.
static Value lowerGatedScores(GatedScoresOp op) {
  TileLowering t(op);
  MLIRContext *ctx = op.getContext();
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  using P = arith::CmpIPredicate;
  Value nk = op.getKeyLength();
  Value shift = e.subi(nk, op.getQueryLength());
  auto position = [&](ValueRange idx) {
    Value p = e.addi(e.addi(op.getQueryPos(), idx[0]), shift);
    Value j = e.addi(op.getKeyPos(), idx[1]);
    Value inside = e.andi(e.andi(e.cmp(P::sle, j, p), e.cmp(P::slt, p, nk)),
                          e.cmp(P::sge, j, e.idx(0)));
    return std::make_tuple(p, j, inside);
  };
  AffineExpr i = getAffineDimExpr(0, ctx), j = getAffineDimExpr(1, ctx),
             x = getAffineDimExpr(2, ctx);
  Value dot = t.generic(
      {op.getQuery(), op.getKey()},
      {AffineMap::get(3, 0, {i, x}, ctx), AffineMap::get(3, 0, {j, x}, ctx)},
      t.filled({tensor::getMixedSize(b, loc, op.getQuery(), 0),
                tensor::getMixedSize(b, loc, op.getKey(), 0)},
               0.0),
      AffineMap::get(3, 0, {i, j}, ctx), {false, false, true},
      [&](ValueRange args, ValueRange idx) -> SmallVector<Value> {
        auto [p, key, inside] = position(idx);
        // Outside, the factor would exceed 1: the select drops it.
        Value factor = e.select(
            inside, e.decayBetween(op.getPrefix(), key, p, idx[2]),
            e.f32(0.0));
        Value qk = arith::MulFOp::create(b, loc, args[0], args[1]);
        return {math::FmaOp::create(b, loc, qk, factor, args[2])};
      })[0];
  return t.map2D(dot, {}, t.emptyLike(dot),
                 [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                   return {arith::MulFOp::create(b, loc, args[0],
                                                 op.getScale())};
                 })[0];
}

static Value lowerDecay(DecayOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value nk = op.getKeyLength();
  Value shift = e.subi(nk, op.getQueryLength());
  return t.map2D(
      op.getScores(), {}, t.emptyLike(op.getScores()),
      [&](ValueRange args, ValueRange idx) -> SmallVector<Value> {
        Value p = e.addi(e.addi(op.getQuery(), idx[0]), shift);
        Value j = e.addi(op.getKey(), idx[1]);
        using P = arith::CmpIPredicate;
        Value inside = e.andi(e.andi(e.cmp(P::sle, j, p), e.cmp(P::slt, p, nk)),
                              e.cmp(P::sge, j, e.idx(0)));
        // The select drops the pairs outside the keys.
        Value factor = t.e.decayBetween(op.getPrefix(), j, p);
        Value decayed = arith::MulFOp::create(b, loc, args[0], factor);
        return {e.select(inside, decayed, args[0])};
      })[0];
}

//===----------------------------------------------------------------------===//
// Pooling and selection
//===----------------------------------------------------------------------===//

/// One f32 per row of `tile`: `body(r)`.
static Value generateRows(TileLowering &t, Value tile,
                          function_ref<Value(Value row)> body) {
  auto type = RankedTensorType::get(
      {cast<RankedTensorType>(tile.getType()).getDimSize(0)},
      t.b.getF32Type());
  SmallVector<Value> dynamic;
  if (type.isDynamicDim(0))
    dynamic.push_back(tensor::DimOp::create(t.b, t.loc, tile, 0));
  // A linalg.generic, not a tensor.generate: canonicalization inlines a
  // generate's body at every tensor.extract of it, which recomputed each
  // row's loop wherever an element was read.
  return t.materialize(type, dynamic, [&](ValueRange index) {
    return body(index[0]);
  });
}

/// The dynamic extents of a tensor of `type` whose extent d is `extents[d]`.
static SmallVector<Value> dynamicExtents(RankedTensorType type,
                                         ArrayRef<Value> extents) {
  SmallVector<Value> dynamic;
  for (auto [d, size] : llvm::enumerate(type.getShape()))
    if (ShapedType::isDynamic(size))
      dynamic.push_back(extents[d]);
  return dynamic;
}

/// One step of `kind` pooling; max and min propagate NaN like the sum.
static Value poolStep(TileLowering &t, PoolKind kind, Value acc, Value x) {
  switch (kind) {
  case PoolKind::Mean:
  case PoolKind::Sum:
    return arith::AddFOp::create(t.b, t.loc, acc, x);
  case PoolKind::Max:
    return arith::MaximumFOp::create(t.b, t.loc, acc, x);
  case PoolKind::Min:
    return arith::MinimumFOp::create(t.b, t.loc, acc, x);
  case PoolKind::First:
  case PoolKind::Last:
    break; // a representative key is read, not reduced (poolBlocks)
  }
  llvm_unreachable("no pooling step for this kind");
}

/// `result[b, h, c, x] = pool(input[b, h, t, x] for t in block c)`: each
/// pooled element is a loop over the actual tokens of its block (the last
/// block may be partial). Keys and queries pool alike.
static Value poolBlocks(TileLowering &t, Value input, int64_t size,
                        PoolKind kind, RankedTensorType type) {
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value block = e.idx(size);
  Value n = tensor::DimOp::create(b, loc, input, 2);
  Value blocks = arith::CeilDivUIOp::create(b, loc, n, block);
  Value extents[] = {tensor::DimOp::create(b, loc, input, 0),
                     tensor::DimOp::create(b, loc, input, 1), blocks,
                     tensor::DimOp::create(b, loc, input, 3)};
  auto generate = tensor::GenerateOp::create(
      b, loc, type, dynamicExtents(type, extents),
      [&](OpBuilder &, Location, ValueRange index) {
        auto read = [&](Value j) {
          return e.toF32(tensor::ExtractOp::create(
              b, loc, input, ValueRange{index[0], index[1], j, index[3]}));
        };
        Value first = e.muli(index[2], block);
        Value last = e.minsi(e.addi(first, block), n);
        // A representative key: the block's first or last actual key.
        if (kind == PoolKind::First || kind == PoolKind::Last) {
          tensor::YieldOp::create(
              b, loc,
              read(kind == PoolKind::First ? first : e.subi(last, e.idx(1))));
          return;
        }
        auto loop = scf::ForOp::create(
            b, loc, e.addi(first, e.idx(1)), last, e.idx(1),
            ValueRange{read(first)},
            [&](OpBuilder &, Location, Value j, ValueRange acc) {
              scf::YieldOp::create(b, loc,
                                   poolStep(t, kind, acc[0], read(j)));
            });
        Value pooled = loop.getResult(0);
        if (kind == PoolKind::Mean) {
          Value count = arith::UIToFPOp::create(
              b, loc, b.getF32Type(),
              arith::IndexCastUIOp::create(b, loc, b.getI64Type(),
                                           e.subi(last, first)));
          pooled = arith::DivFOp::create(b, loc, pooled, count);
        }
        tensor::YieldOp::create(b, loc, pooled);
      });
  return generate.getResult();
}

static Value averageGroups(TileLowering &t, Value perHead, Value groups,
                           RankedTensorType type);

/// One pool, or the concatenation of several (SeerAttention's [max, min,
/// mean]): each pool is D wide and goes to its slice of the result.
static Value lowerPoolKeys(PoolKeysOp op) {
  TileLowering t(op);
  TopKBlocksAttr selection = op.getSelection();
  auto type = cast<RankedTensorType>(op.getType());
  ArrayRef<PoolKind> pools = selection.getPool();
  // Proxy heads: pooled per key head, then averaged per group.
  if (Value groups = op.getGroups()) {
    auto keyType = cast<RankedTensorType>(op.getKey().getType());
    auto perHeadType = RankedTensorType::get(
        {keyType.getDimSize(0), keyType.getDimSize(1), ShapedType::kDynamic,
         keyType.getDimSize(3)},
        t.b.getF32Type());
    Value perHead = poolBlocks(t, op.getKey(), selection.getBlock(),
                               pools.front(), perHeadType);
    return averageGroups(t, perHead, groups, type);
  }
  if (pools.size() == 1)
    return poolBlocks(t, op.getKey(), selection.getBlock(), pools.front(),
                      type);
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value key = op.getKey();
  auto kType = cast<RankedTensorType>(key.getType());
  auto poolType = RankedTensorType::get(
      {type.getDimSize(0), type.getDimSize(1), type.getDimSize(2),
       kType.getDimSize(3)},
      b.getF32Type());
  Value d = tensor::DimOp::create(b, loc, key, 3);
  Value blocks = arith::CeilDivUIOp::create(
      b, loc, tensor::DimOp::create(b, loc, key, 2),
      t.e.idx(selection.getBlock()));
  Value extents[] = {tensor::DimOp::create(b, loc, key, 0),
                     tensor::DimOp::create(b, loc, key, 1), blocks,
                     t.e.muli(d, t.e.idx(pools.size()))};
  Value result = tensor::EmptyOp::create(b, loc, type,
                                         dynamicExtents(type, extents));
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  for (auto [p, kind] : llvm::enumerate(pools)) {
    Value pooled = poolBlocks(t, key, selection.getBlock(), kind, poolType);
    result = tensor::InsertSliceOp::create(
        b, loc, pooled, result,
        ArrayRef<OpFoldResult>{zero, zero, zero,
                               t.e.muli(d, t.e.idx(p))},
        tensor::getMixedSizes(b, loc, pooled),
        ArrayRef<OpFoldResult>{one, one, one, one});
  }
  return result;
}

/// `result[b, h, n, g] = sum_x pooled[b, h, n, x] * weight[h or 0, x, g]`:
/// a loop over x per element (computed once per call, O(n x Dg x width)
/// per head).
static Value lowerProjectPooled(ProjectPooledOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value pooled = op.getPooled(), weight = op.getWeight();
  auto type = cast<RankedTensorType>(op.getType());
  Value width = tensor::DimOp::create(b, loc, pooled, 3);
  Value shared = e.cmp(arith::CmpIPredicate::eq,
                       tensor::DimOp::create(b, loc, weight, 0), e.idx(1));
  Value extents[] = {tensor::DimOp::create(b, loc, pooled, 0),
                     tensor::DimOp::create(b, loc, pooled, 1),
                     tensor::DimOp::create(b, loc, pooled, 2),
                     tensor::DimOp::create(b, loc, weight, 2)};
  return tensor::GenerateOp::create(
             b, loc, type, dynamicExtents(type, extents),
             [&](OpBuilder &, Location, ValueRange index) {
               Value head = e.select(shared, e.idx(0), index[1]);
               auto loop = scf::ForOp::create(
                   b, loc, e.idx(0), width, e.idx(1), ValueRange{e.f32(0.0)},
                   [&](OpBuilder &, Location, Value x, ValueRange acc) {
                     Value row = tensor::ExtractOp::create(
                         b, loc, pooled,
                         ValueRange{index[0], index[1], index[2], x});
                     Value w = e.toF32(tensor::ExtractOp::create(
                         b, loc, weight, ValueRange{head, x, index[3]}));
                     scf::YieldOp::create(
                         b, loc,
                         math::FmaOp::create(b, loc, row, w, acc[0])
                             .getResult());
                   });
               tensor::YieldOp::create(b, loc, loop.getResult(0));
             })
      .getResult();
}

/// `result[b, g, r, x]`: the mean of `perHead[b, h, r, x]` over the heads
/// `[g * G, (g + 1) * G)` of group `g`, `G = heads / groups`.
static Value averageGroups(TileLowering &t, Value perHead, Value groups,
                           RankedTensorType type) {
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value size = arith::DivUIOp::create(
      b, loc, tensor::DimOp::create(b, loc, perHead, 1), groups);
  Value sizeF = arith::UIToFPOp::create(
      b, loc, b.getF32Type(),
      arith::IndexCastUIOp::create(b, loc, b.getI64Type(), size));
  Value extents[] = {tensor::DimOp::create(b, loc, perHead, 0), groups,
                     tensor::DimOp::create(b, loc, perHead, 2),
                     tensor::DimOp::create(b, loc, perHead, 3)};
  auto generate = tensor::GenerateOp::create(
      b, loc, type, dynamicExtents(type, extents),
      [&](OpBuilder &, Location, ValueRange index) {
        Value first = e.muli(index[1], size);
        auto loop = scf::ForOp::create(
            b, loc, first, e.addi(first, size), e.idx(1),
            ValueRange{e.f32(0.0)},
            [&](OpBuilder &, Location, Value h, ValueRange acc) {
              Value x = tensor::ExtractOp::create(
                  b, loc, perHead, ValueRange{index[0], h, index[2], index[3]});
              scf::YieldOp::create(
                  b, loc, arith::AddFOp::create(b, loc, acc[0], x).getResult());
            });
        tensor::YieldOp::create(
            b, loc,
            arith::DivFOp::create(b, loc, loop.getResult(0), sizeF).getResult());
      });
  return generate.getResult();
}

/// Query blocks are mean-pooled (SeerAttention, FlexPrefill, SpargeAttn);
/// with groups, then averaged over the heads of each group.
static Value lowerPoolQueries(PoolQueriesOp op) {
  TileLowering t(op);
  auto type = cast<RankedTensorType>(op.getType());
  int64_t qBlock = op.getSelection().getQBlock();
  Value groups = op.getGroups();
  if (!groups)
    return poolBlocks(t, op.getQuery(), qBlock, PoolKind::Mean, type);
  auto queryType = cast<RankedTensorType>(op.getQuery().getType());
  auto perHeadType = RankedTensorType::get(
      {queryType.getDimSize(0), queryType.getDimSize(1), ShapedType::kDynamic,
       queryType.getDimSize(3)},
      t.b.getF32Type());
  Value perHead =
      poolBlocks(t, op.getQuery(), qBlock, PoolKind::Mean, perHeadType);
  return averageGroups(t, perHead, groups, type);
}

/// Whether block `a` (gate `ga`, always kept `keptA`) ranks before block
/// `c` in row order: the always-kept blocks first (by index), then higher
/// gates, equal gates by lower index, NaN gates last (by index). Strict:
/// never for a == c.
static Value ranksBefore(TileLowering &t, Value a, Value ga, Value keptA,
                         Value c, Value gc, Value keptC) {
  ScalarEmitter &e = t.e;
  using P = arith::CmpIPredicate;
  using F = arith::CmpFPredicate;
  auto cmpf = [&](F pred, Value x, Value y) -> Value {
    return arith::CmpFOp::create(t.b, t.loc, pred, x, y);
  };
  Value aNaN = cmpf(F::UNO, ga, ga), cNaN = cmpf(F::UNO, gc, gc);
  Value lower = e.cmp(P::ult, a, c);
  Value numeric = e.ori(e.ori(cNaN, cmpf(F::OGT, ga, gc)),
                        e.andi(cmpf(F::OEQ, ga, gc), lower));
  Value byGate = e.select(aNaN, e.andi(cNaN, lower), numeric);
  Value sameKind = e.cmp(P::eq, keptA, keptC);
  return e.select(sameKind, e.select(keptA, lower, byGate), keptA);
}

namespace {
/// The blocks a row of a select_blocks tile may select: `[0, eligible)`
/// (c * block <= p1, or all with causal = false), the current ones
/// `[currentFirst, currentLast]` (none unless `anchored`, p1 >= 0), and
/// whether the row is a real query (inside query_length).
struct RowBlocks {
  Value eligible, currentFirst, currentLast, real, anchored;
};
} // namespace

/// Row `r`'s aligned positions [p0, p1] (its query block's with q_block,
/// else its own) give its eligible and current blocks.
static RowBlocks rowBlocks(TileLowering &t, SelectBlocksOp op, Value r,
                           Value blocks) {
  ScalarEmitter &e = t.e;
  using P = arith::CmpIPredicate;
  TopKBlocksAttr selection = op.getSelection();
  Value row = e.addi(op.getQueryStart(), r);
  Value first = row, last = row;
  if (selection.perQueryBlock()) {
    Value qBlock = e.idx(selection.getQBlock());
    first = e.muli(arith::DivUIOp::create(t.b, t.loc, row, qBlock), qBlock);
    last = e.subi(e.minsi(e.addi(first, qBlock), op.getQueryLength()),
                  e.idx(1));
  }
  Value shift = e.subi(op.getKeyLength(), op.getQueryLength());
  Value p0 = e.maxsi(e.addi(first, shift), e.idx(0));
  Value p1 = e.addi(last, shift);
  Value block = e.idx(selection.getBlock());
  Value currentLast =
      arith::DivUIOp::create(t.b, t.loc, e.maxsi(p1, e.idx(0)), block);
  Value beforeKeys = e.cmp(P::slt, p1, e.idx(0));
  Value eligible =
      selection.getCausal()
          ? e.select(beforeKeys, e.idx(0),
                     e.minsi(blocks, e.addi(currentLast, e.idx(1))))
          : blocks;
  return {eligible, arith::DivUIOp::create(t.b, t.loc, p0, block),
          currentLast, e.cmp(P::slt, row, op.getQueryLength()),
          e.cmp(P::sge, p1, e.idx(0))};
}

/// Whether block `c` is always kept for a row: current (keep_current), a
/// sink block, or one of the `local` blocks before the current ones.
static Value alwaysKept(TileLowering &t, TopKBlocksAttr selection,
                        const RowBlocks &row, Value c) {
  ScalarEmitter &e = t.e;
  using P = arith::CmpIPredicate;
  Value beforeCurrent = e.cmp(P::ult, c, row.currentFirst);
  Value inWindow = e.cmp(P::uge, e.addi(c, e.idx(selection.getLocal())),
                         row.currentFirst);
  Value nearCurrent = e.andi(beforeCurrent, inWindow);
  if (selection.getKeepCurrent())
    nearCurrent = e.ori(nearCurrent,
                        e.andi(e.cmp(P::uge, c, row.currentFirst),
                               e.cmp(P::ule, c, row.currentLast)));
  // A row before the keys (only eligible with causal = false) has no
  // current block and no local window.
  return e.ori(e.cmp(P::ult, c, e.idx(selection.getSinks())),
               e.andi(row.anchored, nearCurrent));
}

/// Each row's gate query: `query[r]` per token, else the pooled query of
/// the row's query block (clamped: rows past the end select nothing).
static Value gateQueries(TileLowering &t, SelectBlocksOp op) {
  Value query = op.getQuery(), queries = op.getQueries();
  if (!queries)
    return query;
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  // The width of the pooled queries: D, or Dg when they are projected.
  auto type = RankedTensorType::get(
      {cast<RankedTensorType>(query.getType()).getDimSize(0),
       cast<RankedTensorType>(queries.getType()).getDimSize(3)},
      b.getF32Type());
  Value extents[] = {tensor::DimOp::create(b, loc, query, 0),
                     tensor::DimOp::create(b, loc, queries, 3)};
  Value lastBlock =
      e.subi(tensor::DimOp::create(b, loc, queries, 2), e.idx(1));
  Value qBlock = e.idx(op.getSelection().getQBlock());
  return tensor::GenerateOp::create(
             b, loc, type, dynamicExtents(type, extents),
             [&](OpBuilder &, Location, ValueRange index) {
               Value row = e.addi(op.getQueryStart(), index[0]);
               Value block = e.minsi(
                   arith::DivUIOp::create(b, loc, row, qBlock), lastBlock);
               tensor::YieldOp::create(
                   b, loc,
                   tensor::ExtractOp::create(
                       b, loc, queries,
                       ValueRange{op.getBatch(), op.getQueryHead(), block,
                                  index[1]}));
             })
      .getResult();
}

/// A block's unnormalized softmax weight: 1 at the row maximum `m` (so
/// +inf gates and an all -inf row share the mass), `exp(u - m)` elsewhere.
static Value blockWeight(TileLowering &t, Value u, Value m) {
  Value atMax =
      arith::CmpFOp::create(t.b, t.loc, arith::CmpFPredicate::OEQ, u, m);
  Value w = math::ExpOp::create(t.b, t.loc,
                                arith::SubFOp::create(t.b, t.loc, u, m));
  return t.e.select(atMax, t.e.f32(1.0), w);
}

/// The softmax statistics of each row's scaled gates `u = g / sqrt(D)`
/// over its eligible blocks with a number as gate: the maximum `m` and
/// `sum e`, `e = 1` at the maximum and `exp(u - m)` elsewhere.
static std::pair<Value, Value> gateSoftmax(TileLowering &t, SelectBlocksOp op,
                                           Value gates, Value blocks,
                                           Value scale) {
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  auto overEligible = [&](Value r, Value init,
                          function_ref<Value(Value acc, Value u)> step) {
    RowBlocks row = rowBlocks(t, op, r, blocks);
    auto loop = scf::ForOp::create(
        b, loc, e.idx(0), row.eligible, e.idx(1), ValueRange{init},
        [&](OpBuilder &, Location, Value c, ValueRange acc) {
          Value g = tensor::ExtractOp::create(b, loc, gates, ValueRange{r, c});
          Value u = arith::MulFOp::create(b, loc, g, scale);
          scf::YieldOp::create(b, loc, step(acc[0], u));
        });
    return loop.getResult(0);
  };
  // maxnumf skips NaN gates.
  Value maxima = generateRows(t, gates, [&](Value r) {
    return overEligible(r, e.f32(kNegInf), [&](Value acc, Value u) -> Value {
      return arith::MaxNumFOp::create(b, loc, acc, u);
    });
  });
  Value sums = generateRows(t, gates, [&](Value r) {
    Value m = tensor::ExtractOp::create(b, loc, maxima, r);
    return overEligible(r, e.f32(0.0), [&](Value acc, Value u) -> Value {
      Value term = blockWeight(t, u, m);
      Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO,
                                          u, u);
      return arith::AddFOp::create(b, loc, acc,
                                   e.select(isNaN, e.f32(0.0), term));
    });
  });
  return {maxima, sums};
}

/// The cap of the rule for the op's rows: k, or with per-head budgets the
/// budget of its key head (`head`; budgets are refused with proxy heads), as
/// a chain of selects over the few entries. A head past the entries (never
/// reached: the verifier and the runner check one entry per key head) takes
/// the last one.
static Value ruleCap(TileLowering &t, SelectBlocksOp op) {
  ScalarEmitter &e = t.e;
  TopKBlocksAttr selection = op.getSelection();
  DenseI64ArrayAttr budgets = selection.getBudgets();
  if (!budgets)
    return e.idx(selection.getK());
  ArrayRef<int64_t> caps = budgets.asArrayRef();
  Value cap = e.idx(caps.back());
  for (int64_t hk = static_cast<int64_t>(caps.size()) - 2; hk >= 0; --hk)
    cap = e.select(e.cmp(arith::CmpIPredicate::eq, op.getHead(), e.idx(hk)),
                   e.idx(caps[hk]), cap);
  return cap;
}

/// Whether a block that is not always kept is selected: fewer than k
/// blocks rank before it (`before`), and its rule holds: a threshold on its
/// `mass`, or a cumulative mass whose blocks before it (`prefix`) stay
/// below gamma; a NaN mass never passes.
static Value passesRule(TileLowering &t, TopKBlocksAttr selection,
                        Value cap, Value before, Value mass, Value prefix,
                        Value gate) {
  ScalarEmitter &e = t.e;
  using F = arith::CmpFPredicate;
  auto cmpf = [&](F pred, Value x, double y) -> Value {
    return arith::CmpFOp::create(t.b, t.loc, pred, x, e.f32(y));
  };
  Value passes = e.cmp(arith::CmpIPredicate::ult, before, cap);
  // The score floor on the gate itself (OGE: a NaN gate fails).
  if (FloatAttr floor = selection.getMinScore())
    passes = e.andi(passes, cmpf(F::OGE, gate, floor.getValueAsDouble()));
  // A rank band [skip, cap): the top `skip` are left out.
  if (int64_t skip = selection.getSkip())
    passes = e.andi(passes,
                    e.cmp(arith::CmpIPredicate::uge, before, e.idx(skip)));
  if (FloatAttr threshold = selection.getThreshold())
    passes = e.andi(passes, cmpf(F::OGE, mass, threshold.getValueAsDouble()));
  if (FloatAttr gamma = selection.getMass()) {
    Value isNumber =
        arith::CmpFOp::create(t.b, t.loc, F::ORD, mass, mass);
    passes = e.andi(passes, e.andi(isNumber, cmpf(F::OLT, prefix,
                                                  gamma.getValueAsDouble())));
  }
  return passes;
}

/// visited[c] = or over the rows of members[r, c].
static Value anyRowSelects(TileLowering &t, Value members, Value blocks) {
  OpBuilder &b = t.b;
  MLIRContext *ctx = b.getContext();
  Value none = arith::ConstantOp::create(b, t.loc, b.getBoolAttr(false));
  Value visitedInit =
      linalg::FillOp::create(
          b, t.loc, ValueRange{none},
          ValueRange{tensor::EmptyOp::create(
              b, t.loc, ArrayRef<OpFoldResult>{blocks}, b.getI1Type())})
          .getResult(0);
  AffineMap rc = AffineMap::getMultiDimIdentityMap(2, ctx);
  return t.generic(members, rc, visitedInit,
                   AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx),
                   {true, false},
                   [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                     return {t.e.ori(args[0], args[1])};
                   })[0];
}

/// A block's place in the ranking as one unsigned 64-bit key, larger for
/// a block ranking earlier: the gate's bits made monotone (-0 as +0, NaN
/// below -inf) above the complement of the block index (equal gates: the
/// lower index first). The ranksBefore order of blocks that are not always
/// kept, as one integer comparison.
static Value rankKey(TileLowering &t, Value gate, Value c) {
  OpBuilder &b = t.b;
  Location loc = t.loc;
  ScalarEmitter &e = t.e;
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  auto i32c = [&](int64_t v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
  };
  auto i64c = [&](int64_t v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
  };
  Value isNaN =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, gate, gate);
  Value positiveZero = arith::AddFOp::create(b, loc, gate, e.f32(0.0));
  Value bits = arith::BitcastOp::create(b, loc, i32, positiveZero);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, bits, i32c(0));
  Value flipped =
      e.select(negative, arith::XOrIOp::create(b, loc, bits, i32c(-1)),
               arith::XOrIOp::create(b, loc, bits, i32c(INT32_MIN)));
  Value mapped = e.select(isNaN, i32c(0), flipped);
  Value high = arith::ShLIOp::create(
      b, loc, arith::ExtUIOp::create(b, loc, i64, mapped), i64c(32));
  Value index = arith::IndexCastUIOp::create(b, loc, i64, c);
  Value low = arith::SubIOp::create(b, loc, i64c(0xFFFFFFFFll), index);
  return arith::OrIOp::create(b, loc, high, low);
}

/// The top-k rule without masses, per row: the rank key (rankKey) of the
/// last block the top-k selects among the blocks that are not always kept,
/// so that such a block is selected when its key is at least this one
/// (0: all of them; all ones: none). Found by walking the ranking from the
/// top, one pass over the eligible blocks per selected block (the largest
/// key below the previous one): O(k x blocks) integer comparisons per row,
/// where counting the blocks ranking before each block is O(blocks^2).
/// `cap` is k, or the key head's budget (ruleCap).
static Value topKCutoffs(TileLowering &t, SelectBlocksOp op, Value gates,
                         Value blocks, Value cap) {
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  using P = arith::CmpIPredicate;
  TopKBlocksAttr selection = op.getSelection();
  Type i64 = b.getI64Type();
  auto type = RankedTensorType::get(
      {cast<RankedTensorType>(gates.getType()).getDimSize(0)}, i64);
  SmallVector<Value> dynamic;
  if (type.isDynamicDim(0))
    dynamic.push_back(tensor::DimOp::create(b, loc, gates, 0));
  auto i64c = [&](int64_t v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
  };
  return t.materialize(type, dynamic, [&](ValueRange index) -> Value {
    Value r = index[0];
    RowBlocks row = rowBlocks(t, op, r, blocks);
    auto keptCount = scf::ForOp::create(
        b, loc, e.idx(0), row.eligible, e.idx(1), ValueRange{e.idx(0)},
        [&](OpBuilder &, Location, Value c, ValueRange acc) {
          Value kept = alwaysKept(t, selection, row, c);
          scf::YieldOp::create(
              b, loc, e.select(kept, e.addi(acc[0], e.idx(1)), acc[0]));
        });
    Value kept = keptCount.getResult(0);
    Value others = e.subi(row.eligible, kept);
    Value k = cap;
    Value want = e.select(e.cmp(P::ugt, k, kept), e.subi(k, kept), e.idx(0));
    Value all = e.cmp(P::uge, want, others);
    auto walk = scf::ForOp::create(
        b, loc, e.idx(0), e.select(all, e.idx(0), want), e.idx(1),
        ValueRange{i64c(-1)},
        [&](OpBuilder &, Location, Value, ValueRange prev) {
          auto scan = scf::ForOp::create(
              b, loc, e.idx(0), row.eligible, e.idx(1), ValueRange{i64c(0)},
              [&](OpBuilder &, Location, Value c, ValueRange best) {
                Value gate =
                    tensor::ExtractOp::create(b, loc, gates, ValueRange{r, c});
                Value key = rankKey(t, gate, c);
                Value free = arith::XOrIOp::create(
                    b, loc, alwaysKept(t, selection, row, c), e.boolean(true));
                Value take = e.andi(free, e.andi(e.cmp(P::ult, key, prev[0]),
                                                 e.cmp(P::ugt, key, best[0])));
                scf::YieldOp::create(b, loc, e.select(take, key, best[0]));
              });
          scf::YieldOp::create(b, loc, scan.getResult(0));
        });
    return e.select(all, i64c(0), walk.getResult(0));
  });
}

/// select_queries: members[r, c] and the row's own block (that of its
/// aligned position p; none when p < 0) is among its members.
static Value keepSelectedQueries(TileLowering &t, SelectBlocksOp op,
                                 Value members, Value rows, Value blocks) {
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  using P = arith::CmpIPredicate;
  auto type = cast<RankedTensorType>(members.getType());
  Value block = e.idx(op.getSelection().getBlock());
  Value shift = e.subi(op.getKeyLength(), op.getQueryLength());
  return t.materialize(
      type, dynamicExtents(type, {rows, blocks}),
      [&](ValueRange index) -> Value {
        Value p = e.addi(e.addi(op.getQueryStart(), index[0]), shift);
        Value anchored = e.cmp(P::sge, p, e.idx(0));
        // Clamped: a row before the keys reads block 0, then drops.
        Value own =
            e.minsi(arith::DivUIOp::create(b, loc, e.maxsi(p, e.idx(0)), block),
                    e.subi(blocks, e.idx(1)));
        Value ownSelected = tensor::ExtractOp::create(
            b, loc, members, ValueRange{index[0], own});
        Value member = tensor::ExtractOp::create(b, loc, members, index);
        return e.andi(member, e.andi(anchored, ownSelected));
      });
}

/// members[r, c]: block c is eligible for row r and always kept, or fewer
/// than k blocks rank before it (ranksBefore order) and it passes the rule
/// (top-k; threshold on its mass; cumulative: the masses ranking before it
/// sum below gamma). Counted per (row, block) over the other blocks
/// (O(blocks^2) per row; deterministic, no sort). visited[c] = any row
/// selects c.
static SmallVector<Value> lowerSelectBlocks(SelectBlocksOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  MLIRContext *ctx = op.getContext();
  using P = arith::CmpIPredicate;
  using F = arith::CmpFPredicate;
  TopKBlocksAttr selection = op.getSelection();
  Value pooled = op.getPooled(), query = gateQueries(t, op);
  Value blocks = tensor::DimOp::create(b, loc, pooled, 2);
  Value rows = tensor::DimOp::create(b, loc, query, 0);
  auto keysType = RankedTensorType::get(
      {ShapedType::kDynamic,
       cast<RankedTensorType>(pooled.getType()).getDimSize(3)},
      b.getF32Type());
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  Value keys = tensor::ExtractSliceOp::create(
      b, loc, keysType, pooled,
      ArrayRef<OpFoldResult>{op.getBatch(), op.getHead(), zero, zero},
      ArrayRef<OpFoldResult>{one, one, blocks,
                             tensor::getMixedSize(b, loc, pooled, 3)},
      ArrayRef<OpFoldResult>{one, one, one, one});

  // gates[r, c] = query[r] . keys[c] (the raw dot product), or given.
  AffineExpr r = getAffineDimExpr(0, ctx), c = getAffineDimExpr(1, ctx),
             x = getAffineDimExpr(2, ctx);
  Value gates =
      op.getGates()
          ? tensor::ExtractSliceOp::create(b, loc, op.getGates(),
                                           ArrayRef<OpFoldResult>{zero, zero},
                                           ArrayRef<OpFoldResult>{rows, blocks},
                                           ArrayRef<OpFoldResult>{one, one})
                .getResult()
          : t.generic({query, keys},
                      {AffineMap::get(3, 0, {r, x}, ctx),
                       AffineMap::get(3, 0, {c, x}, ctx)},
                      t.filled({OpFoldResult(rows), OpFoldResult(blocks)}, 0.0),
                      AffineMap::get(3, 0, {r, c}, ctx), {false, false, true},
                      [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                        return {math::FmaOp::create(b, loc, args[0], args[1],
                                                    args[2])};
                      })[0];

  // The masses: softmax of gates / sqrt(D) over the eligible blocks.
  Value scale, maxima, sums;
  if (selection.hasMassRule()) {
    Value d = tensor::DimOp::create(b, loc, query, 1);
    scale = math::RsqrtOp::create(
        b, loc,
        arith::UIToFPOp::create(
            b, loc, b.getF32Type(),
            arith::IndexCastUIOp::create(b, loc, b.getI64Type(), d)));
    std::tie(maxima, sums) = gateSoftmax(t, op, gates, blocks, scale);
  }
  auto massOf = [&](Value row, Value gate) -> Value {
    Value u = arith::MulFOp::create(b, loc, gate, scale);
    Value m = tensor::ExtractOp::create(b, loc, maxima, row);
    Value sum = tensor::ExtractOp::create(b, loc, sums, row);
    return arith::DivFOp::create(b, loc, blockWeight(t, u, m), sum);
  };

  // complement = true keeps the eligible blocks the rules do not select.
  auto selected = [&](Value chosen) -> Value {
    if (!selection.getComplement())
      return chosen;
    return arith::XOrIOp::create(
        b, loc, chosen,
        arith::ConstantOp::create(b, loc, b.getBoolAttr(true)));
  };
  auto membersType = cast<RankedTensorType>(op.getMembers().getType());
  Value cap = ruleCap(t, op);
  if (!selection.hasMassRule() && selection.getSkip() == 0 &&
      !selection.getMinScore()) {
    // Top-k alone: each row's cutoff in the ranking, then one comparison
    // per (row, block). A rank band (skip) and a score floor count, as the
    // rules do.
    Value cutoffs = topKCutoffs(t, op, gates, blocks, cap);
    Value members = t.materialize(
        membersType, dynamicExtents(membersType, {rows, blocks}),
        [&](ValueRange index) -> Value {
          RowBlocks row = rowBlocks(t, op, index[0], blocks);
          Value candidate =
              e.andi(row.real, e.cmp(P::ult, index[1], row.eligible));
          Value kept = alwaysKept(t, selection, row, index[1]);
          Value cut = tensor::ExtractOp::create(b, loc, cutoffs, index[0]);
          Value gate = tensor::ExtractOp::create(b, loc, gates, index);
          Value passes = e.cmp(P::uge, rankKey(t, gate, index[1]), cut);
          return e.andi(candidate, selected(e.ori(kept, passes)));
        });
    if (selection.getSelectQueries())
      members = keepSelectedQueries(t, op, members, rows, blocks);
    return {members, anyRowSelects(t, members, blocks)};
  }
  // Materialized (see generateRows): keep_selected reads an element per
  // (row, key) pair, and an inlined generate recounted the ranking each time.
  Value members = t.materialize(
      membersType, dynamicExtents(membersType, {rows, blocks}),
      [&](ValueRange index) -> Value {
        RowBlocks row = rowBlocks(t, op, index[0], blocks);
        Value candidate =
            e.andi(row.real, e.cmp(P::ult, index[1], row.eligible));
        Value kept = alwaysKept(t, selection, row, index[1]);
        Value gate = tensor::ExtractOp::create(b, loc, gates, index);
        // Only a candidate counts the blocks ranking before it, and the
        // mass they hold (carried only by a cumulative rule).
        SmallVector<Value> init = {e.idx(0)};
        if (selection.getMass())
          init.push_back(e.f32(0.0));
        auto count = scf::ForOp::create(
            b, loc, e.idx(0), e.select(candidate, row.eligible, e.idx(0)),
            e.idx(1), init,
            [&](OpBuilder &, Location, Value other, ValueRange acc) {
              Value otherGate = tensor::ExtractOp::create(
                  b, loc, gates, ValueRange{index[0], other});
              Value before = ranksBefore(
                  t, other, otherGate, alwaysKept(t, selection, row, other),
                  index[1], gate, kept);
              SmallVector<Value> next = {
                  e.select(before, e.addi(acc[0], e.idx(1)), acc[0])};
              if (selection.getMass()) {
                Value m = massOf(index[0], otherGate);
                Value add = e.andi(before, arith::CmpFOp::create(
                                               b, loc, F::ORD, m, m));
                next.push_back(e.select(
                    add, arith::AddFOp::create(b, loc, acc[1], m), acc[1]));
              }
              scf::YieldOp::create(b, loc, next);
            });
        Value prefix = selection.getMass() ? count.getResult(1) : Value();
        Value mass = selection.hasMassRule() ? massOf(index[0], gate) : Value();
        Value passes =
            passesRule(t, selection, cap, count.getResult(0), mass, prefix,
                       gate);
        return e.andi(candidate, selected(e.ori(kept, passes)));
      });
  if (selection.getSelectQueries())
    members = keepSelectedQueries(t, op, members, rows, blocks);
  return {members, anyRowSelects(t, members, blocks)};
}

static Value lowerKeepSelected(KeepSelectedOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  Value members = op.getMembers();
  Value last = e.subi(tensor::DimOp::create(t.b, t.loc, members, 1), e.idx(1));
  Value block = e.idx(op.getBlock());
  return t.map2D(
      op.getScores(), {}, t.emptyLike(op.getScores()),
      [&](ValueRange args, ValueRange idx) -> SmallVector<Value> {
        Value j = e.addi(op.getKey(), idx[1]);
        Value inRange = e.cmp(arith::CmpIPredicate::slt, j, op.getKeyLength());
        // Clamped: padding keys past the end read a real flag, then drop.
        Value blockIndex = e.maxsi(
            e.minsi(arith::DivUIOp::create(t.b, t.loc, j, block), last),
            e.idx(0));
        Value member = tensor::ExtractOp::create(
            t.b, t.loc, members, ValueRange{idx[0], blockIndex});
        return {e.select(e.andi(inRange, member), args[0], e.f32(kNegInf))};
      })[0];
}

/// rows[count++] = r for the rows r >= max(first, 0) of the members'
/// column `block` that are set; branch-free (every row is written at the
/// current count, which moves on only for a member).
static SmallVector<Value> lowerBlockRows(BlockRowsOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value members = op.getMembers();
  Value n = tensor::DimOp::create(b, loc, members, 0);
  Value rows = tensor::EmptyOp::create(
      b, loc, ArrayRef<OpFoldResult>{OpFoldResult(n)}, b.getIndexType());
  Value first = e.minsi(e.maxsi(op.getFirst(), e.idx(0)), n);
  auto loop = scf::ForOp::create(
      b, loc, first, n, e.idx(1), ValueRange{rows, e.idx(0)},
      [&](OpBuilder &, Location, Value r, ValueRange iter) {
        Value member = tensor::ExtractOp::create(b, loc, members,
                                                 ValueRange{r, op.getBlock()});
        if (!member.getType().isInteger(1))
          member = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::ne, member,
              arith::ConstantOp::create(b, loc,
                                        b.getIntegerAttr(member.getType(), 0)));
        Value written =
            tensor::InsertOp::create(b, loc, r, iter[0], ValueRange{iter[1]});
        Value next = e.select(member, e.addi(iter[1], e.idx(1)), iter[1]);
        scf::YieldOp::create(b, loc, ValueRange{written, next});
      });
  return {loop.getResult(0), loop.getResult(1)};
}

/// result[r(, x)] = source[(b, h,) rows[start + r](, x)] as f32 for
/// start + r < count, else 0.
static Value lowerGatherRows(GatherRowsOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value source = op.getSource();
  auto type = cast<RankedTensorType>(op.getType());
  int64_t rank = cast<ShapedType>(source.getType()).getRank();
  SmallVector<Value> dynamic;
  if (type.getRank() == 2 && type.isDynamicDim(1))
    dynamic.push_back(tensor::DimOp::create(b, loc, source, rank - 1));
  if (type.isDynamicDim(0))
    dynamic.insert(dynamic.begin(),
                   e.maxsi(e.subi(op.getCount(), op.getStart()), e.idx(0)));
  auto generate = tensor::GenerateOp::create(
      b, loc, type, dynamic, [&](OpBuilder &, Location, ValueRange index) {
        Value position = e.addi(op.getStart(), index[0]);
        Value inside =
            e.cmp(arith::CmpIPredicate::slt, position, op.getCount());
        auto read = scf::IfOp::create(
            b, loc, inside,
            [&](OpBuilder &, Location) {
              Value row =
                  tensor::ExtractOp::create(b, loc, op.getRows(), position);
              SmallVector<Value> at;
              if (rank == 4)
                at = {op.getBatch(), op.getHead()};
              at.push_back(row);
              if (rank > 1)
                at.push_back(index[1]);
              Value x = tensor::ExtractOp::create(b, loc, source, at);
              scf::YieldOp::create(b, loc, e.toF32(x));
            },
            [&](OpBuilder &, Location) {
              scf::YieldOp::create(b, loc, e.f32(0.0));
            });
        tensor::YieldOp::create(b, loc, read.getResult(0));
      });
  return generate.getResult();
}

/// dest[rows[start + r]] = tile[r] (whole rows) for the tile rows r with
/// start + r < count.
static Value lowerScatterRows(ScatterRowsOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value tile = op.getTile();
  int64_t rank = cast<ShapedType>(tile.getType()).getRank();
  Value tileRows = tensor::DimOp::create(b, loc, tile, 0);
  Value valid = e.maxsi(e.minsi(e.subi(op.getCount(), op.getStart()), tileRows),
                        e.idx(0));
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  auto loop = scf::ForOp::create(
      b, loc, e.idx(0), valid, e.idx(1), ValueRange{op.getDest()},
      [&](OpBuilder &, Location, Value r, ValueRange iter) {
        Value row = tensor::ExtractOp::create(b, loc, op.getRows(),
                                              e.addi(op.getStart(), r));
        Value next;
        if (rank == 1) {
          Value x = tensor::ExtractOp::create(b, loc, tile, r);
          next = tensor::InsertOp::create(b, loc, x, iter[0], row);
        } else {
          OpFoldResult cols = tensor::getMixedSize(b, loc, tile, 1);
          auto rowType = RankedTensorType::get(
              {1, cast<RankedTensorType>(tile.getType()).getDimSize(1)},
              b.getF32Type());
          Value slice = tensor::ExtractSliceOp::create(
              b, loc, rowType, tile, ArrayRef<OpFoldResult>{r, zero},
              ArrayRef<OpFoldResult>{one, cols},
              ArrayRef<OpFoldResult>{one, one});
          next = tensor::InsertSliceOp::create(
              b, loc, slice, iter[0], ArrayRef<OpFoldResult>{row, zero},
              ArrayRef<OpFoldResult>{one, cols},
              ArrayRef<OpFoldResult>{one, one});
        }
        scf::YieldOp::create(b, loc, next);
      });
  return loop.getResult(0);
}

/// Whether any block overlapping keys [k0, kEnd) is set in `visited`.
static Value anyBlockVisited(TileLowering &t, Value visited, int64_t block,
                             Value k0, Value kEnd) {
  ScalarEmitter &e = t.e;
  Value size = e.idx(block);
  Value first = arith::DivUIOp::create(t.b, t.loc, k0, size);
  Value end = arith::CeilDivUIOp::create(t.b, t.loc, kEnd, size);
  auto loop = scf::ForOp::create(
      t.b, t.loc, first, end, e.idx(1), ValueRange{e.boolean(false)},
      [&](OpBuilder &, Location, Value c, ValueRange any) {
        Value set = tensor::ExtractOp::create(t.b, t.loc, visited, c);
        scf::YieldOp::create(t.b, t.loc, e.ori(any[0], set));
      });
  return loop.getResult(0);
}


/// Whether a linear-state op's prefix is a gate per key channel (2-D).
static bool isChannelPrefix(Value prefix) {
  return prefix && cast<ShapedType>(prefix.getType()).getRank() == 2;
}

static SmallVector<Value> lowerReadState(ReadStateOp op) {
  TileLowering t(op);
  MLIRContext *ctx = op.getContext();
  ScalarEmitter &e = t.e;
  Value chunk = op.getChunk(), query = op.getQuery();
  Value before = e.subi(chunk, e.idx(1));
  // A gate per channel decays each query feature since the state (rows
  // past the keys read the prefix's last entry); the row factor is then
  // the scale alone.
  Value rowPrefix = op.getPrefix();
  if (isChannelPrefix(rowPrefix)) {
    query = t.map2D(query, {}, t.emptyLike(query),
                    [&](ValueRange args, ValueRange idx) -> SmallVector<Value> {
                      Value f = e.decayBetween(rowPrefix, before,
                                               e.addi(chunk, idx[0]), idx[1]);
                      return {arith::MulFOp::create(t.b, t.loc, args[0], f)};
                    })[0];
    rowPrefix = Value();
  }
  // scale * (decay since the state) per query row.
  Value factors = generateRows(t, query, [&](Value r) {
    Value f = e.decayBetween(rowPrefix, before, e.addi(chunk, r));
    return arith::MulFOp::create(t.b, t.loc, f, op.getScale()).getResult();
  });
  AffineExpr r = getAffineDimExpr(0, ctx), y = getAffineDimExpr(1, ctx),
             x = getAffineDimExpr(2, ctx);
  auto fma = [&](ValueRange args, ValueRange) -> SmallVector<Value> {
    return {math::FmaOp::create(t.b, t.loc, args[0], args[1], args[2])};
  };
  Value accInit =
      t.filled({tensor::getMixedSize(t.b, t.loc, query, 0),
                tensor::getMixedSize(t.b, t.loc, op.getState(), 1)},
               0.0);
  Value acc = t.generic({query, op.getState()},
                        {AffineMap::get(3, 0, {r, x}, ctx),
                         AffineMap::get(3, 0, {x, y}, ctx)},
                        accInit, AffineMap::get(3, 0, {r, y}, ctx),
                        {false, false, true}, fma)[0];
  AffineExpr r2 = getAffineDimExpr(0, ctx), x2 = getAffineDimExpr(1, ctx);
  Value sum = t.generic({query, op.getKeySum()},
                        {AffineMap::get(2, 0, {r2, x2}, ctx),
                         AffineMap::get(2, 0, {x2}, ctx)},
                        t.filledRows(query, 0.0),
                        AffineMap::get(2, 0, {r2}, ctx), {false, true}, fma)[0];
  auto times = [&](ValueRange args, ValueRange) -> SmallVector<Value> {
    return {arith::MulFOp::create(t.b, t.loc, args[0], args[1])};
  };
  acc = t.map2D(acc, factors, t.emptyLike(acc), times)[0];
  sum = t.map1D({sum, factors}, t.emptyLike(sum), times)[0];
  return {acc, sum};
}

static SmallVector<Value> lowerUpdateState(UpdateStateOp op) {
  TileLowering t(op);
  MLIRContext *ctx = op.getContext();
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value chunk = op.getChunk(), prefix = op.getPrefix();
  bool channels = isChannelPrefix(prefix);
  Value rows = tensor::DimOp::create(b, loc, op.getKey(), 0);
  Value last = e.subi(e.minsi(e.addi(chunk, rows), op.getKeyLength()),
                      e.idx(1));
  Value before = e.subi(chunk, e.idx(1));
  Value sharedFactor = channels ? Value() : e.decayBetween(prefix, before, last);
  // Per key row (and channel, with a gate per channel): its decay to the
  // chunk's end, 0 past the keys.
  auto keyFactor = [&](Value c, Value x) -> Value {
    Value j = e.addi(chunk, c);
    return e.select(e.cmp(arith::CmpIPredicate::sle, j, last),
                    e.decayBetween(prefix, j, last, x), e.f32(0.0));
  };
  Value keyDecay =
      channels ? t.map2D(op.getKey(), {}, t.emptyLike(op.getKey()),
                         [&](ValueRange, ValueRange idx) -> SmallVector<Value> {
                           return {keyFactor(idx[0], idx[1])};
                         })[0]
               : generateRows(t, op.getKey(),
                              [&](Value c) { return keyFactor(c, Value()); });
  // The carried state decays over the chunk (row x of S with its channel).
  auto stateFactor = [&](Value x) {
    return channels ? e.decayBetween(prefix, before, last, x) : sharedFactor;
  };
  Value stateInit =
      t.map2D(op.getState(), {}, t.emptyLike(op.getState()),
              [&](ValueRange args, ValueRange idx) -> SmallVector<Value> {
                return {arith::MulFOp::create(b, loc, args[0],
                                              stateFactor(idx[0]))};
              })[0];
  Value sumInit =
      t.map1D(op.getKeySum(), t.emptyLike(op.getKeySum()),
              [&](ValueRange args, ValueRange idx) -> SmallVector<Value> {
                return {arith::MulFOp::create(b, loc, args[0],
                                              stateFactor(idx[0]))};
              })[0];
  // Terms of keys past the end are skipped (never 0 * inf).
  auto addTerm = [&](Value c, Value term, Value acc) -> Value {
    Value inside = e.cmp(arith::CmpIPredicate::sle, e.addi(chunk, c), last);
    return e.select(inside, arith::AddFOp::create(b, loc, acc, term), acc);
  };
  AffineExpr x = getAffineDimExpr(0, ctx), y = getAffineDimExpr(1, ctx),
             c = getAffineDimExpr(2, ctx);
  AffineMap decayMap = channels ? AffineMap::get(3, 0, {c, x}, ctx)
                                : AffineMap::get(3, 0, {c}, ctx);
  Value state = t.generic(
      {op.getKey(), op.getValue(), keyDecay},
      {AffineMap::get(3, 0, {c, x}, ctx), AffineMap::get(3, 0, {c, y}, ctx),
       decayMap},
      stateInit, AffineMap::get(3, 0, {x, y}, ctx), {false, false, true},
      [&](ValueRange args, ValueRange idx) -> SmallVector<Value> {
        Value kv = arith::MulFOp::create(b, loc, args[0], args[1]);
        Value term = arith::MulFOp::create(b, loc, kv, args[2]);
        return {addTerm(idx[2], term, args[3])};
      })[0];
  AffineExpr x2 = getAffineDimExpr(0, ctx), c2 = getAffineDimExpr(1, ctx);
  AffineMap sumDecayMap = channels ? AffineMap::get(2, 0, {c2, x2}, ctx)
                                   : AffineMap::get(2, 0, {c2}, ctx);
  Value keySum = t.generic(
      {op.getKey(), keyDecay},
      {AffineMap::get(2, 0, {c2, x2}, ctx), sumDecayMap},
      sumInit, AffineMap::get(2, 0, {x2}, ctx), {false, true},
      [&](ValueRange args, ValueRange idx) -> SmallVector<Value> {
        Value term = arith::MulFOp::create(b, loc, args[0], args[1]);
        return {addTerm(idx[1], term, args[2])};
      })[0];
  return {state, keySum};
}

static SmallVector<Value> lowerOnlineUpdate(OnlineUpdateOp op) {
  TileLowering t(op);
  Value s = op.getScores();
  auto rowSum = [&](Value weights) {
    return t.reduceRows(weights, t.filledRows(weights, 0.0),
                        [&](Value acc, Value x) -> Value {
                          return arith::AddFOp::create(t.b, t.loc, acc, x);
                        });
  };
  auto ones = [&] { return t.filledRows(s, 1.0); };
  if (!isSoftmax(op.getNormalizationAttr())) {
    Value weights =
        t.map2D(s, {}, t.emptyLike(s),
                [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                  return {t.e.pointwiseWeight(op.getNormalizationAttr(),
                                              args[0])};
                })[0];
    Value sum = t.map1D({op.getSum(), rowSum(weights)}, op.getSum(),
                        [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                          return {arith::AddFOp::create(t.b, t.loc, args[0],
                                                        args[1])};
                        })[0];
    return {weights, op.getMax(), sum, ones()};
  }

  Value tileMax = t.reduceRows(s, t.filledRows(s, kNegInf),
                               [&](Value acc, Value x) -> Value {
                                 return arith::MaximumFOp::create(t.b, t.loc,
                                                                  acc, x);
                               });
  // The new statistics overwrite the running ones (destination-passing
  // style): inside the key loop they bufferize in place, so no iteration
  // yields a fresh allocation.
  Value rows = op.getMax();
  SmallVector<Value> step = t.map1D(
      {rows, tileMax}, {rows, t.emptyLike(rows), t.emptyLike(rows)},
      [&](ValueRange args, ValueRange) -> SmallVector<Value> {
        SoftmaxMath::Step st = t.math.update(args[0], args[1]);
        return {st.newMax, st.offset, st.alpha};
      });
  Value weights =
      t.map2D(s, step[1], t.emptyLike(s),
              [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                return {t.math.weight(args[0], args[1])};
              })[0];
  Value sum = t.map1D({op.getSum(), step[2], rowSum(weights)}, op.getSum(),
                      [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                        return {t.math.rescaleSum(args[0], args[1], args[2])};
                      })[0];
  return {weights, step[0], sum, step[2]};
}

static Value lowerFinalWeights(FinalWeightsOp op) {
  TileLowering t(op);
  NormalizationAttr norm = op.getNormalizationAttr();
  Value s = op.getScores();
  return t.map2D(s, {op.getMax(), op.getSum()}, t.emptyLike(s),
                 [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                   Value w = isSoftmax(norm)
                                 ? t.math.weight(args[0],
                                                 t.math.offsetOf(args[1]))
                                 : t.e.pointwiseWeight(norm, args[0]);
                   return {arith::MulFOp::create(
                       t.b, t.loc, w, t.math.reciprocalOrZero(args[2]))};
                 })[0];
}

static Value lowerWeightMod(WeightModOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  // Pairs the mask keeps (raw score not -inf) take the region.
  return t.mapKept(
      {op.getWeights(), op.getRawScores()}, 1,
      [&](ValueRange args, ValueRange idx) -> SmallVector<Value> {
        Value one = e.idx(1);
        Value qi = e.minsi(e.addi(op.getQuery(), idx[0]),
                           e.subi(op.getQueryLength(), one));
        Value kj = e.minsi(e.addi(op.getKey(), idx[1]),
                           e.subi(op.getKeyLength(), one));
        Value result = codegen::inlineRegion(
            t.b, op.getBody(),
            {args[0], args[1], op.getBatch(), op.getHead(), qi, kj},
            op.getCaptures(), op.getQueryLength(), op.getKeyLength());
        return {e.toF32(result)};
      });
}

static Value lowerAccumulate(AccumulateOp op) {
  TileLowering t(op);
  MLIRContext *ctx = op.getContext();
  Value acc = op.getAcc();
  if (Value alpha = op.getAlpha())
    acc = t.map2D(acc, alpha, acc,
                  [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                    return {arith::MulFOp::create(t.b, t.loc, args[0],
                                                  args[1])};
                  })[0];
  AffineExpr i = getAffineDimExpr(0, ctx), c = getAffineDimExpr(1, ctx),
             j = getAffineDimExpr(2, ctx);
  AffineMap ij = AffineMap::get(3, 0, {i, j}, ctx);
  SmallVector<Value> inputs = {op.getWeights(), op.getValue()};
  SmallVector<AffineMap> maps = {ij, AffineMap::get(3, 0, {j, c}, ctx)};
  Value masked = op.getMaskedScores();
  if (masked) {
    inputs.push_back(masked);
    maps.push_back(ij);
  }
  return t.generic(
      inputs, maps, acc, AffineMap::get(3, 0, {i, c}, ctx),
      {false, false, true},
      [&](ValueRange args, ValueRange) -> SmallVector<Value> {
        Value sum = math::FmaOp::create(t.b, t.loc, args[0], args[1],
                                        args.back());
        if (!masked)
          return {sum};
        // An excluded pair adds nothing: its value row may hold anything.
        Value excluded = arith::CmpFOp::create(
            t.b, t.loc, arith::CmpFPredicate::OEQ, args[2], t.e.f32(kNegInf));
        return {t.e.select(excluded, args.back(), sum)};
      })[0];
}

static SmallVector<Value> lowerFoldSink(FoldSinkOp op) {
  TileLowering t(op);
  Value rows = op.getMax();
  return t.map1D({rows, op.getSum()},
                 {t.emptyLike(rows), t.emptyLike(rows), t.emptyLike(rows)},
                 [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                   SoftmaxMath::SinkFold fold =
                       t.math.foldSink(args[0], args[1], op.getSink());
                   return {fold.max, fold.sum, fold.accScale};
                 });
}

/// kept_sums: the row counts of the kept entries, and the value rows of the
/// kept keys summed into the value sums (excluded pairs skipped).
static SmallVector<Value> lowerKeptSums(KeptSumsOp op) {
  TileLowering t(op);
  MLIRContext *ctx = op.getContext();
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  auto isKept = [&](Value masked) -> Value {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE, masked,
                                 e.f32(kNegInf));
  };
  Value count = t.reduceRows(
      op.getMaskedScores(), op.getCount(), [&](Value sum, Value m) -> Value {
        return e.select(isKept(m),
                        arith::AddFOp::create(b, loc, sum, e.f32(1.0)), sum);
      });
  AffineExpr i = getAffineDimExpr(0, ctx), c = getAffineDimExpr(1, ctx),
             j = getAffineDimExpr(2, ctx);
  Value valueSum = t.generic(
      {op.getMaskedScores(), op.getValue()},
      {AffineMap::get(3, 0, {i, j}, ctx), AffineMap::get(3, 0, {j, c}, ctx)},
      op.getValueSum(), AffineMap::get(3, 0, {i, c}, ctx),
      {false, false, true},
      [&](ValueRange args, ValueRange) -> SmallVector<Value> {
        Value sum = arith::AddFOp::create(b, loc, args[2], args[1]);
        return {e.select(isKept(args[0]), sum, args[2])};
      })[0];
  return {count, valueSum};
}

/// affine_normalize: per row the factors (a, c) of `a * acc + c * vsum`
/// (subtractive: 1 and (1 - S) / N; mala: (1 + N / S) / N and -S / N^2;
/// both 0 for an empty row), then the rows.
static Value lowerAffineNormalize(AffineNormalizeOp op) {
  TileLowering t(op);
  OpBuilder &b = t.b;
  Location loc = t.loc;
  bool mala = op.getNormalization().getAffine() == AffineNormKind::Mala;
  Value acc = op.getAcc();
  SmallVector<Value> factors = t.map1D(
      {op.getSum(), op.getCount()},
      {t.emptyLike(op.getSum()), t.emptyLike(op.getSum())},
      [&](ValueRange args, ValueRange) -> SmallVector<Value> {
        SoftmaxMath::AffineFactors f =
            t.math.affineFactors(mala, args[0], args[1]);
        return {f.scale, f.valueScale};
      });
  return t.map2D({acc, op.getValueSum()}, factors, t.emptyLike(acc),
                 [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                   Value scaled = arith::MulFOp::create(b, loc, args[0], args[2]);
                   return {math::FmaOp::create(b, loc, args[3], args[1], scaled)};
                 })[0];
}

/// The gate of a finalize at row `i` (and column `c`, for an element-wise
/// gate): query rows clamped into [0, query_length).
static Value finalizeGate(TileLowering &t, FinalizeOp op, Value i, Value c) {
  ScalarEmitter &e = t.e;
  Value gate = op.getGate();
  Value qi = e.maxsi(e.minsi(e.addi(op.getQuery(), i),
                             e.subi(op.getQueryLength(), e.idx(1))),
                     e.idx(0));
  SmallVector<Value> at = {op.getBatch(), op.getHead(), qi};
  if (cast<RankedTensorType>(gate.getType()).getRank() == 4)
    at.push_back(c);
  return e.toF32(e.extractBroadcast(gate, at));
}

/// finalize with an epilogue or an element-wise gate: the scaled rows in
/// f32, each row's epilogue factor (rms_norm: 1 / sqrt(mean o^2 + eps)),
/// then the rows times it and the gate.
static SmallVector<Value> lowerFinalizeWithEpilogue(FinalizeOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value acc = op.getAcc();
  SmallVector<Value> rows = {op.getSum()};
  if (Value scale = op.getAccScale())
    rows.push_back(scale);
  Value scaled = t.map2D(
      acc, rows, t.emptyLike(acc),
      [&](ValueRange args, ValueRange) -> SmallVector<Value> {
        Value factor = op.getDivide() ? t.math.reciprocalOrZero(args[1])
                                      : e.f32(1.0);
        if (op.getAccScale())
          factor = arith::MulFOp::create(b, loc, factor, args[2]);
        return {arith::MulFOp::create(b, loc, args[0], factor)};
      })[0];
  SmallVector<Value> norms;
  if (EpilogueAttr epilogue = op.getEpilogueAttr()) {
    Value squares = t.reduceRows(scaled, t.filledRows(scaled, 0.0),
                                 [&](Value sum, Value x) -> Value {
                                   return math::FmaOp::create(b, loc, x, x,
                                                              sum);
                                 });
    Value cols = arith::UIToFPOp::create(
        b, loc, b.getF32Type(),
        arith::IndexCastUIOp::create(b, loc, b.getI64Type(),
                                     tensor::DimOp::create(b, loc, acc, 1)));
    norms.push_back(t.map1D(
        squares, t.emptyLike(squares),
        [&](ValueRange args, ValueRange) -> SmallVector<Value> {
          return {t.math.rmsFactor(args[0], cols, epilogue.getEpsValue())};
        })[0]);
  }
  Type elementType = getElementTypeOrSelf(op.getResult().getType());
  Value out = t.map2D(
      scaled, norms, t.emptyLike(acc, elementType),
      [&](ValueRange args, ValueRange idx) -> SmallVector<Value> {
        Value o = args[0];
        if (!norms.empty())
          o = arith::MulFOp::create(b, loc, o, args[1]);
        if (op.getGate())
          o = arith::MulFOp::create(b, loc, o,
                                    finalizeGate(t, op, idx[0], idx[1]));
        if (!elementType.isF32())
          o = arith::TruncFOp::create(b, loc, elementType, o);
        return {o};
      })[0];
  if (!op.getLse())
    return {out};
  Value lse = t.map1D({op.getMax(), op.getSum()}, t.emptyLike(op.getMax()),
                      [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                        return {t.math.logSumExp(args[0], args[1])};
                      })[0];
  return {out, lse};
}

static SmallVector<Value> lowerFinalize(FinalizeOp op) {
  Value gateOperand = op.getGate();
  if (op.getEpilogueAttr() ||
      (gateOperand &&
       cast<RankedTensorType>(gateOperand.getType()).getRank() == 4))
    return lowerFinalizeWithEpilogue(op);
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  Value acc = op.getAcc();
  SmallVector<Value> rows = {op.getSum()};
  if (Value scale = op.getAccScale())
    rows.push_back(scale);
  Type elementType = getElementTypeOrSelf(op.getResult().getType());
  Value out = t.map2D(
      acc, rows, t.emptyLike(acc, elementType),
      [&](ValueRange args, ValueRange idx) -> SmallVector<Value> {
        Value factor = op.getDivide() ? t.math.reciprocalOrZero(args[1])
                                      : e.f32(1.0);
        if (op.getAccScale())
          factor = arith::MulFOp::create(t.b, t.loc, factor, args[2]);
        if (op.getGate())
          factor = arith::MulFOp::create(t.b, t.loc, factor,
                                         finalizeGate(t, op, idx[0], Value()));
        Value o = arith::MulFOp::create(t.b, t.loc, args[0], factor);
        if (!elementType.isF32())
          o = arith::TruncFOp::create(t.b, t.loc, elementType, o);
        return {o};
      })[0];
  if (!op.getLse())
    return {out};
  Value lse = t.map1D({op.getMax(), op.getSum()}, t.emptyLike(op.getMax()),
                      [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                        return {t.math.logSumExp(args[0], args[1])};
                      })[0];
  return {out, lse};
}

/// merge -> scf.for over the splits, each folded into the running result
/// with the LSE merge step.
static SmallVector<Value> lowerMerge(MergeOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  bool softmax = isSoftmax(op.getNormalizationAttr());
  // Sizes from the operands: the results do not exist yet.
  Value accs = op.getAccs();
  Value acc0 = t.filled({tensor::getMixedSize(t.b, t.loc, accs, 1),
                         tensor::getMixedSize(t.b, t.loc, accs, 2)},
                        0.0);
  Value max0 = t.filledRows(acc0, softmax ? kNegInf : 0.0);
  Value sum0 = t.filledRows(acc0, 0.0);
  Value splits = tensor::DimOp::create(t.b, t.loc, op.getAccs(), 0);
  auto loop = scf::ForOp::create(t.b, t.loc, e.idx(0), splits, e.idx(1),
                                 ValueRange{acc0, max0, sum0});
  Block *body = loop.getBody();
  if (!body->empty() && isa<scf::YieldOp>(body->back()))
    body->back().erase();
  OpBuilder::InsertionGuard guard(t.b);
  t.b.setInsertionPointToEnd(body);
  Value s = loop.getInductionVar();
  ValueRange iter = loop.getRegionIterArgs();
  auto rowsOf = [&](Value stats) -> Value {
    auto type = cast<RankedTensorType>(op.getNewMax().getType());
    return tensor::ExtractSliceOp::create(
        t.b, t.loc, type, stats, ArrayRef<OpFoldResult>{s, t.b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{t.b.getIndexAttr(1),
                               tensor::getMixedSize(t.b, t.loc, stats, 1)},
        ArrayRef<OpFoldResult>{t.b.getIndexAttr(1), t.b.getIndexAttr(1)});
  };
  Value partialMax = rowsOf(op.getMaxes()), partialSum = rowsOf(op.getSums());
  Value partialAcc = tensor::ExtractSliceOp::create(
      t.b, t.loc, cast<RankedTensorType>(op.getAcc().getType()), op.getAccs(),
      ArrayRef<OpFoldResult>{s, t.b.getIndexAttr(0), t.b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{t.b.getIndexAttr(1),
                             tensor::getMixedSize(t.b, t.loc, op.getAccs(), 1),
                             tensor::getMixedSize(t.b, t.loc, op.getAccs(), 2)},
      ArrayRef<OpFoldResult>{t.b.getIndexAttr(1), t.b.getIndexAttr(1),
                             t.b.getIndexAttr(1)});
  Value max = iter[1], alpha, beta;
  if (softmax) {
    SmallVector<Value> step = t.map1D(
        {iter[1], partialMax},
        {t.emptyLike(max), t.emptyLike(max), t.emptyLike(max)},
        [&](ValueRange args, ValueRange) -> SmallVector<Value> {
          SoftmaxMath::MergeStep m = t.math.merge(args[0], args[1]);
          return {m.newMax, m.alpha, m.beta};
        });
    max = step[0];
    alpha = step[1];
    beta = step[2];
  } else {
    alpha = beta = t.filledLike(max, 1.0);
  }
  auto combine = [&](ValueRange args, ValueRange) -> SmallVector<Value> {
    Value running = arith::MulFOp::create(t.b, t.loc, args[0], args[2]);
    return {math::FmaOp::create(t.b, t.loc, args[1], args[3], running)};
  };
  Value sum = t.map1D({iter[2], partialSum, alpha, beta}, t.emptyLike(max),
                      combine)[0];
  Value acc = t.map2D({iter[0], partialAcc}, {alpha, beta},
                      t.emptyLike(iter[0]), combine)[0];
  scf::YieldOp::create(t.b, t.loc, ValueRange{acc, max, sum});
  return SmallVector<Value>(loop.getResults());
}

/// for_key_tiles -> scf.for over the key tiles. The tile's class under the
/// loop's mask is computed per tile on the actual lengths: empty tiles skip
/// the body (scf.if), full ones run it with partial = false.
static SmallVector<Value> lowerForKeyTiles(ForKeyTilesOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  using P = arith::CmpIPredicate;
  Value tileQ = e.idx(op.getTileQ()), tileKv = e.idx(op.getTileKv());
  Value nq = op.getQueryLength(), nk = op.getKeyLength(), q0 = op.getQuery();
  Value begin = op.getKeyBegin() ? op.getKeyBegin() : e.idx(0);
  Value end = op.getKeyEnd() ? op.getKeyEnd() : nk;
  auto loop = scf::ForOp::create(t.b, t.loc, begin, end, tileKv, op.getInits());
  Block *body = loop.getBody();
  if (!body->empty() && isa<scf::YieldOp>(body->back()))
    body->back().erase();
  OpBuilder::InsertionGuard guard(t.b);
  t.b.setInsertionPointToStart(body);
  Value k0 = loop.getInductionVar();
  Value kEnd = e.addi(k0, tileKv), qEnd = e.addi(q0, tileQ);
  Value crossesEnd = e.ori(e.cmp(P::sgt, kEnd, nk), e.cmp(P::sgt, qEnd, nq));
  codegen::TileClass cls = codegen::classifyTile(
      e, op.getMaskAttr(),
      {q0, e.minsi(qEnd, nq), k0, e.minsi(kEnd, nk), nq, nk,
       op.getBlockLayout(), op.getBatch(), op.getHead()});
  auto negate = [&](Value flag) -> Value {
    return arith::XOrIOp::create(t.b, t.loc, flag, e.boolean(true));
  };
  Value partial = op.getRegionMasked() ? e.boolean(true)
                                       : e.ori(crossesEnd, negate(cls.full));
  Value visitTile = negate(cls.empty);
  if (Value visited = op.getSelectedBlocks())
    visitTile = e.andi(visitTile,
                       anyBlockVisited(t, visited, *op.getSelectionBlock(),
                                       k0, e.minsi(kEnd, nk)));

  // The old body runs under `not empty`; its yield becomes scf.yield.
  Block &old = op.getBodyBlock();
  auto yield = cast<tile::YieldOp>(old.getTerminator());
  TypeRange types = op.getResultTypes();
  auto visit = scf::IfOp::create(t.b, t.loc, types, visitTile,
                                 /*withElseRegion=*/true);
  Block *then = &visit.getThenRegion().front();
  if (!then->empty())
    then->back().erase();
  SmallVector<Value> replacements = {k0, partial};
  llvm::append_range(replacements, loop.getRegionIterArgs());
  for (auto [arg, value] : llvm::zip(old.getArguments(), replacements))
    arg.replaceAllUsesWith(value);
  then->getOperations().splice(then->end(), old.getOperations());
  t.b.setInsertionPoint(yield);
  scf::YieldOp::create(t.b, t.loc, yield.getValues());
  yield.erase();
  Block *otherwise = &visit.getElseRegion().front();
  if (!otherwise->empty())
    otherwise->back().erase();
  t.b.setInsertionPointToEnd(otherwise);
  scf::YieldOp::create(t.b, t.loc, loop.getRegionIterArgs());
  t.b.setInsertionPointAfter(visit);
  scf::YieldOp::create(t.b, t.loc, visit.getResults());
  return SmallVector<Value>(loop.getResults());
}

//===----------------------------------------------------------------------===//
// Quantized Q K^T
//===----------------------------------------------------------------------===//

/// An i8 or i32 constant of `type`.
static Value intConstant(TileLowering &t, Type type, int64_t value) {
  return arith::ConstantOp::create(t.b, t.loc, type,
                                   t.b.getIntegerAttr(type, value));
}

/// The mean of `source` [B, H, N, D] over its tokens, [B, H, D] f32:
/// accumulated in f64 in token order, then rounded to f32 (the order and
/// roundings the reference uses, so both smooth identically).
static Value tokenMean(TileLowering &t, Value source) {
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Type f64 = b.getF64Type();
  Value n = tensor::DimOp::create(b, loc, source, 2);
  auto type = RankedTensorType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic, ShapedType::kDynamic},
      b.getF32Type());
  SmallVector<Value> dims = {tensor::DimOp::create(b, loc, source, 0),
                             tensor::DimOp::create(b, loc, source, 1),
                             tensor::DimOp::create(b, loc, source, 3)};
  return t.materialize(type, dims, [&](ValueRange index) -> Value {
    Value zero = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0));
    auto sum = scf::ForOp::create(
        b, loc, e.idx(0), n, e.idx(1), ValueRange{zero},
        [&](OpBuilder &, Location, Value j, ValueRange acc) {
          Value x = e.toF32(tensor::ExtractOp::create(
              b, loc, source, ValueRange{index[0], index[1], j, index[2]}));
          Value x64 = arith::ExtFOp::create(b, loc, f64, x);
          scf::YieldOp::create(
              b, loc, arith::AddFOp::create(b, loc, acc[0], x64).getResult());
        });
    Value count = arith::UIToFPOp::create(
        b, loc, f64, arith::IndexCastUIOp::create(b, loc, b.getI64Type(), n));
    Value mean = arith::DivFOp::create(b, loc, sum.getResult(0), count);
    return arith::TruncFOp::create(b, loc, b.getF32Type(), mean);
  });
}

/// The four extents of a [B, H, N, D] tensor.
static SmallVector<Value, 4> extentsOf(TileLowering &t, Value source) {
  SmallVector<Value, 4> extents;
  for (int64_t d = 0; d < 4; ++d)
    extents.push_back(tensor::DimOp::create(t.b, t.loc, source, d));
  return extents;
}

/// Smoothing: the f32-rounded f64 mean of each block of tokens (all tokens
/// without `block`), written to every token of the block, and the source
/// minus it in f32. The block means are materialized first ([B, H, C, D]),
/// so each is summed once, as tokenMean sums them.
static SmallVector<Value> lowerCenter(CenterOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Type f64 = b.getF64Type();
  Value source = op.getSource();
  SmallVector<Value, 4> extents = extentsOf(t, source);
  Value n = extents[2];
  // Without a block, one block of all N tokens (at least 1: no division
  // by zero when N = 0, where nothing is read).
  Value block = op.getBlock() ? e.idx(static_cast<int64_t>(*op.getBlock()))
                              : e.maxsi(n, e.idx(1));
  Value blockExtents[] = {extents[0], extents[1],
                          arith::CeilDivUIOp::create(b, loc, n, block),
                          extents[3]};
  auto dynamic4 = RankedTensorType::get(
      SmallVector<int64_t>(4, ShapedType::kDynamic), b.getF32Type());
  Value blockMeans = t.materialize(
      dynamic4, blockExtents, [&](ValueRange index) -> Value {
        Value first = e.muli(index[2], block);
        Value last = e.minsi(e.addi(first, block), n);
        Value zero = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0));
        auto sum = scf::ForOp::create(
            b, loc, first, last, e.idx(1), ValueRange{zero},
            [&](OpBuilder &, Location, Value j, ValueRange acc) {
              Value x = e.toF32(tensor::ExtractOp::create(
                  b, loc, source, ValueRange{index[0], index[1], j, index[3]}));
              Value x64 = arith::ExtFOp::create(b, loc, f64, x);
              scf::YieldOp::create(
                  b, loc,
                  arith::AddFOp::create(b, loc, acc[0], x64).getResult());
            });
        Value count = arith::UIToFPOp::create(
            b, loc, f64,
            arith::IndexCastUIOp::create(b, loc, b.getI64Type(),
                                         e.subi(last, first)));
        Value mean = arith::DivFOp::create(b, loc, sum.getResult(0), count);
        return arith::TruncFOp::create(b, loc, b.getF32Type(), mean);
      });
  auto meanOf = [&](ValueRange index) -> Value {
    Value c = arith::DivUIOp::create(b, loc, index[2], block);
    return tensor::ExtractOp::create(
        b, loc, blockMeans, ValueRange{index[0], index[1], c, index[3]});
  };
  auto residualType = cast<RankedTensorType>(op.getResidual().getType());
  auto meansType = cast<RankedTensorType>(op.getMeans().getType());
  Value residual = t.materialize(
      residualType, dynamicExtents(residualType, extents),
      [&](ValueRange index) -> Value {
        Value x = e.toF32(tensor::ExtractOp::create(b, loc, source, index));
        return arith::SubFOp::create(b, loc, x, meanOf(index));
      });
  Value means = t.materialize(meansType, dynamicExtents(meansType, extents),
                              meanOf);
  return {residual, means};
}

/// A key map over the whole sequence (attn_tile.sequence_map): per (b, h,
/// channel), sequence_softmax's f32 maximum and f64 sum of exp(x - max) in
/// token order, or sequence_scale's 1 / N; then every element.
static Value lowerSequenceMap(SequenceMapOp op) {
  TileLowering t(op);
  auto type = cast<RankedTensorType>(op.getType());
  Value source = op.getSource();
  SmallVector<Value, 4> extents = extentsOf(t, source);
  Value n = extents[2];
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  auto read = [&](Value bi, Value hi, Value j, Value c) {
    return e.toF32(
        tensor::ExtractOp::create(b, loc, source, ValueRange{bi, hi, j, c}));
  };
  if (op.getMap().getKeyKind() == FeatureMapKind::SequenceScale) {
    Value count = arith::UIToFPOp::create(
        b, loc, b.getF32Type(),
        arith::IndexCastUIOp::create(b, loc, b.getI64Type(), n));
    return t.materialize(type, dynamicExtents(type, extents),
                         [&](ValueRange index) -> Value {
                           Value x = read(index[0], index[1], index[2],
                                          index[3]);
                           return arith::DivFOp::create(b, loc, x, count);
                         });
  }
  auto channels = RankedTensorType::get(
      SmallVector<int64_t>(3, ShapedType::kDynamic), b.getF32Type());
  SmallVector<Value> channelExtents = {extents[0], extents[1], extents[3]};
  // Reduces the tokens of channel (b, h, c) from `init` with `step`.
  auto overTokens = [&](ValueRange index, Value init,
                        function_ref<Value(Value, Value)> step) -> Value {
    return scf::ForOp::create(
               b, loc, e.idx(0), n, e.idx(1), ValueRange{init},
               [&](OpBuilder &, Location, Value j, ValueRange acc) {
                 Value x = read(index[0], index[1], j, index[2]);
                 scf::YieldOp::create(b, loc, step(acc[0], x));
               })
        .getResult(0);
  };
  Value max = t.materialize(channels, channelExtents, [&](ValueRange index) {
    return overTokens(index, e.f32(-INFINITY), [&](Value acc, Value x) {
      return arith::MaximumFOp::create(b, loc, acc, x).getResult();
    });
  });
  auto shifted = [&](Value bi, Value hi, Value c, Value x) -> Value {
    Value m = tensor::ExtractOp::create(b, loc, max, ValueRange{bi, hi, c});
    return math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, x, m));
  };
  Value sum = t.materialize(channels, channelExtents, [&](ValueRange index) {
    Value zero = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0));
    Value total = overTokens(index, zero, [&](Value acc, Value x) {
      Value p = shifted(index[0], index[1], index[2], x);
      return arith::AddFOp::create(
                 b, loc, acc, arith::ExtFOp::create(b, loc, b.getF64Type(), p))
          .getResult();
    });
    return arith::TruncFOp::create(b, loc, b.getF32Type(), total).getResult();
  });
  return t.materialize(
      type, dynamicExtents(type, extents), [&](ValueRange index) -> Value {
        Value x = read(index[0], index[1], index[2], index[3]);
        Value s = tensor::ExtractOp::create(
            b, loc, sum, ValueRange{index[0], index[1], index[3]});
        return arith::DivFOp::create(
            b, loc, shifted(index[0], index[1], index[3], x), s);
      });
}

/// The keys weighted from the queries (attn_tile.key_weights: RALA's
/// query_weighted, Flowformer's flow), per (b, query head): phi(Q) and
/// phi(K) materialized first, then the token sums ([B, Hq, D], f64 in token order rounded to f32), then
/// the per-token flows and logits ([B, Hq, N], dot products over the
/// channels in f32), the logits' maximum and f64 exp-sum ([B, Hq]), and
/// last every weighted key element (and flow's row factors).
static SmallVector<Value> lowerKeyWeights(KeyWeightsOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value query = op.getQuery(), key = op.getKey();
  SmallVector<Value, 4> qExtents = extentsOf(t, query);
  SmallVector<Value, 4> kExtents = extentsOf(t, key);
  Value batch = qExtents[0], hq = qExtents[1], nq = qExtents[2];
  Value nk = kExtents[2], d = kExtents[3];
  FeatureMapKind phi = op.getMap().getKind();
  bool flow = op.getMap().hasRowGate();
  // phi(Q) and phi(K) once ([B, Hq, Nq, D], [B, Hk, Nk, D] in f32): every
  // flow below reads them again.
  auto mapped = [&](Value source, ArrayRef<Value> extents) {
    auto type = RankedTensorType::get(
        SmallVector<int64_t>(4, ShapedType::kDynamic), b.getF32Type());
    return t.materialize(type, extents, [&](ValueRange index) {
      return e.featureMap(
          phi, e.toF32(tensor::ExtractOp::create(b, loc, source, index)));
    });
  };
  Value phiQs = mapped(query, qExtents), phiKs = mapped(key, kExtents);
  // Query head h reads key head h / (Hq / Hk).
  auto keyHead = [&](Value hi) {
    return e.headIndex(Value(), kExtents[1], hq, Value(), hi);
  };
  auto phiQ = [&](Value bi, Value hi, Value i, Value c) -> Value {
    return tensor::ExtractOp::create(b, loc, phiQs, ValueRange{bi, hi, i, c});
  };
  auto phiK = [&](Value bi, Value hi, Value j, Value c) -> Value {
    return tensor::ExtractOp::create(b, loc, phiKs,
                                     ValueRange{bi, keyHead(hi), j, c});
  };
  auto asF32 = [&](Value n) {
    return arith::UIToFPOp::create(
               b, loc, b.getF32Type(),
               arith::IndexCastUIOp::create(b, loc, b.getI64Type(), n))
        .getResult();
  };
  // sum_{t < n} term(t) in f64, in token order, rounded to f32.
  auto tokenSum = [&](Value n, function_ref<Value(Value)> term) -> Value {
    Value zero = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0));
    Value total =
        scf::ForOp::create(
            b, loc, e.idx(0), n, e.idx(1), ValueRange{zero},
            [&](OpBuilder &, Location, Value tk, ValueRange acc) {
              Value x = arith::ExtFOp::create(b, loc, b.getF64Type(), term(tk));
              scf::YieldOp::create(
                  b, loc, arith::AddFOp::create(b, loc, acc[0], x).getResult());
            })
            .getResult(0);
    return arith::TruncFOp::create(b, loc, b.getF32Type(), total);
  };
  // sum_c term(c) over the D channels in f32.
  auto channelDot = [&](function_ref<Value(Value)> term) -> Value {
    return scf::ForOp::create(
               b, loc, e.idx(0), d, e.idx(1), ValueRange{e.f32(0.0)},
               [&](OpBuilder &, Location, Value c, ValueRange acc) {
                 scf::YieldOp::create(
                     b, loc,
                     arith::AddFOp::create(b, loc, acc[0], term(c))
                         .getResult());
               })
        .getResult(0);
  };
  auto type3 = RankedTensorType::get(SmallVector<int64_t>(3, ShapedType::kDynamic),
                                     b.getF32Type());
  auto type2 = RankedTensorType::get(SmallVector<int64_t>(2, ShapedType::kDynamic),
                                     b.getF32Type());
  auto at = [&](Value tensor, ValueRange index) -> Value {
    return tensor::ExtractOp::create(b, loc, tensor, index);
  };
  // [B, Hq, D] sums over the tokens of each channel.
  auto perChannel = [&](Value n, function_ref<Value(ValueRange, Value)> term) {
    return t.materialize(type3, ValueRange{batch, hq, d},
                         [&](ValueRange index) {
                           return tokenSum(n, [&](Value tk) {
                             return term(index, tk);
                           });
                         });
  };
  // [B, Hq, N] per token: a dot product over the channels.
  auto perToken = [&](Value n, function_ref<Value(ValueRange, Value)> term) {
    return t.materialize(type3, ValueRange{batch, hq, n},
                         [&](ValueRange index) {
                           return channelDot([&](Value c) {
                             return term(index, c);
                           });
                         });
  };

  Value logits, inflow, keyOverOutflow;
  if (!flow) {
    // u_j = q_bar . phi(k_j) / sqrt(D), q_bar the mean mapped query.
    Value qSum = perChannel(nq, [&](ValueRange x, Value i) {
      return phiQ(x[0], x[1], i, x[2]);
    });
    Value factor = arith::DivFOp::create(
        b, loc, e.f32(1.0),
        arith::MulFOp::create(b, loc, asF32(nq),
                              math::SqrtOp::create(b, loc, asF32(d))));
    logits = perToken(nk, [&](ValueRange x, Value c) {
      Value qBar = arith::MulFOp::create(b, loc, at(qSum, {x[0], x[1], c}),
                                         factor);
      return arith::MulFOp::create(b, loc, qBar, phiK(x[0], x[1], x[2], c))
          .getResult();
    });
  } else {
    Value qSum = perChannel(nq, [&](ValueRange x, Value i) {
      return phiQ(x[0], x[1], i, x[2]);
    });
    Value kSum = perChannel(nk, [&](ValueRange x, Value j) {
      return phiK(x[0], x[1], j, x[2]);
    });
    // Incoming flows I_i and outgoing flows O_j.
    inflow = perToken(nq, [&](ValueRange x, Value c) {
      return arith::MulFOp::create(b, loc, phiQ(x[0], x[1], x[2], c),
                                   at(kSum, {x[0], x[1], c}))
          .getResult();
    });
    Value outflow = perToken(nk, [&](ValueRange x, Value c) {
      return arith::MulFOp::create(b, loc, phiK(x[0], x[1], x[2], c),
                                   at(qSum, {x[0], x[1], c}))
          .getResult();
    });
    keyOverOutflow = perChannel(nk, [&](ValueRange x, Value j) {
      return arith::DivFOp::create(b, loc, phiK(x[0], x[1], j, x[2]),
                                   at(outflow, {x[0], x[1], j}))
          .getResult();
    });
    Value queryOverInflow = perChannel(nq, [&](ValueRange x, Value i) {
      return arith::DivFOp::create(b, loc, phiQ(x[0], x[1], i, x[2]),
                                   at(inflow, {x[0], x[1], i}))
          .getResult();
    });
    // The conserved outgoing flow O'_j, clamped into [-1, 1] (a NaN stays).
    logits = t.materialize(type3, ValueRange{batch, hq, nk},
                           [&](ValueRange x) -> Value {
                             Value o = channelDot([&](Value c) {
                               return arith::MulFOp::create(
                                          b, loc, phiK(x[0], x[1], x[2], c),
                                          at(queryOverInflow, {x[0], x[1], c}))
                                   .getResult();
                             });
                             Value low = arith::MaximumFOp::create(
                                 b, loc, o, e.f32(-1.0));
                             return arith::MinimumFOp::create(b, loc, low,
                                                              e.f32(1.0));
                           });
  }
  // Nk * softmax over the keys of the logits.
  Value max = t.materialize(type2, ValueRange{batch, hq}, [&](ValueRange x) {
    return scf::ForOp::create(
               b, loc, e.idx(0), nk, e.idx(1), ValueRange{e.f32(-INFINITY)},
               [&](OpBuilder &, Location, Value j, ValueRange acc) {
                 scf::YieldOp::create(
                     b, loc,
                     arith::MaximumFOp::create(b, loc, acc[0],
                                               at(logits, {x[0], x[1], j}))
                         .getResult());
               })
        .getResult(0);
  });
  auto shifted = [&](Value bi, Value hi, Value j) -> Value {
    return math::ExpOp::create(
        b, loc,
        arith::SubFOp::create(b, loc, at(logits, {bi, hi, j}),
                              at(max, {bi, hi})));
  };
  Value expSum = t.materialize(type2, ValueRange{batch, hq}, [&](ValueRange x) {
    return tokenSum(nk, [&](Value j) { return shifted(x[0], x[1], j); });
  });
  // One weight per key ([B, Hq, Nk]), then every element of its row.
  Value weights = t.materialize(
      type3, ValueRange{batch, hq, nk}, [&](ValueRange x) -> Value {
        return arith::DivFOp::create(
            b, loc,
            arith::MulFOp::create(b, loc, asF32(nk),
                                  shifted(x[0], x[1], x[2])),
            at(expSum, {x[0], x[1]}));
      });
  auto keysType = cast<RankedTensorType>(op.getKeys().getType());
  SmallVector<Value, 4> keyExtents = {batch, hq, nk, d};
  Value keys = t.materialize(
      keysType, dynamicExtents(keysType, keyExtents),
      [&](ValueRange x) -> Value {
        return arith::MulFOp::create(b, loc, at(weights, {x[0], x[1], x[2]}),
                                     phiK(x[0], x[1], x[2], x[3]));
      });
  if (!flow)
    return {keys};
  // Row i's allocation sigmoid(I'_i Nq / Nk) over its incoming flow I_i.
  auto gateType = cast<RankedTensorType>(op.getRowGate().getType());
  Value ratio = arith::DivFOp::create(b, loc, asF32(nq), asF32(nk));
  Value gate = t.materialize(
      gateType, dynamicExtents(gateType, {batch, hq, nq}),
      [&](ValueRange x) -> Value {
        Value conserved = channelDot([&](Value c) {
          return arith::MulFOp::create(b, loc, phiQ(x[0], x[1], x[2], c),
                                       at(keyOverOutflow, {x[0], x[1], c}))
              .getResult();
        });
        Value allocation =
            e.sigmoid(arith::MulFOp::create(b, loc, conserved, ratio));
        return arith::DivFOp::create(b, loc, allocation,
                                     at(inflow, {x[0], x[1], x[2]}));
      });
  return {keys, gate};
}

/// The block's absmax over its tokens [first, last) and all channels of
/// (bi, hi), read through `read`; a NaN propagates (maximumf).
static Value blockAbsMax(TileLowering &t, Value first, Value last,
                         Value channels,
                         function_ref<Value(Value j, Value x)> read) {
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  auto tokens = scf::ForOp::create(
      b, loc, first, last, e.idx(1), ValueRange{e.f32(0.0)},
      [&](OpBuilder &, Location, Value j, ValueRange tokenAcc) {
        auto inner = scf::ForOp::create(
            b, loc, e.idx(0), channels, e.idx(1), tokenAcc,
            [&](OpBuilder &, Location, Value x, ValueRange acc) {
              Value a = math::AbsFOp::create(b, loc, read(j, x));
              scf::YieldOp::create(
                  b, loc,
                  arith::MaximumFOp::create(b, loc, acc[0], a).getResult());
            });
        scf::YieldOp::create(b, loc, inner.getResults());
      });
  return tokens.getResult(0);
}

/// clamp(roundeven(x / scale), -range, range) as i8; 0 for a NaN quotient.
/// `range` is an f32 value (a block's own range with salient flags).
static Value quantizeElement(TileLowering &t, Value x, Value scale,
                             Value range, Value negatedRange) {
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value quotient = arith::DivFOp::create(b, loc, x, scale);
  Value rounded = math::RoundEvenOp::create(b, loc, quotient);
  Value clamped = arith::MinimumFOp::create(
      b, loc, arith::MaximumFOp::create(b, loc, rounded, negatedRange),
      range);
  Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO,
                                      quotient, quotient);
  Value q = t.e.select(isNaN, t.e.f32(0.0), clamped);
  return arith::FPToSIOp::create(b, loc, b.getI8Type(), q);
}

static Value quantizeElement(TileLowering &t, Value x, Value scale,
                             double range = 127.0) {
  return quantizeElement(t, x, scale, t.e.f32(range), t.e.f32(-range));
}

/// source[b, h, j, x] in f32, minus the token mean mean[b, h, x] when
/// `mean` is given (smooth_k): what the quantizers read.
static Value readCentered(TileLowering &t, Value source, Value mean,
                          std::array<Value, 4> index) {
  Value v = t.e.toF32(tensor::ExtractOp::create(t.b, t.loc, source, index));
  if (!mean)
    return v;
  Value m = tensor::ExtractOp::create(t.b, t.loc, mean,
                                      ValueRange{index[0], index[1], index[3]});
  return arith::SubFOp::create(t.b, t.loc, v, m);
}

/// scales[b, h, c] = absmax of the block's (centered) elements / range,
/// and the values quantized with them.
static SmallVector<Value> lowerQuantize(QuantizeOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  double range = static_cast<double>(op.getRange());
  Value source = op.getSource(), block = e.idx(op.getBlock());
  Value mean = op.getCenter() ? tokenMean(t, source) : Value();
  SmallVector<Value, 4> extents = extentsOf(t, source);
  Value n = extents[2];
  auto read = [&](Value bi, Value hi, Value j, Value x) {
    return readCentered(t, source, mean, {bi, hi, j, x});
  };

  // The range of block (bi, hi, c): the salient one where its flag is
  // nonzero (mixed precision), else `range`.
  Value salient = op.getSalient();
  auto rangeOf = [&](Value bi, Value hi, Value c,
                     double sign = 1.0) -> Value {
    if (!salient)
      return e.f32(sign * range);
    Value flag = e.extractBroadcast(salient, {bi, hi, c});
    Value isSalient = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ne, flag,
        intConstant(t, flag.getType(), 0));
    return e.select(
        isSalient, e.f32(sign * static_cast<double>(*op.getSalientRange())),
        e.f32(sign * range));
  };

  auto scalesType = cast<RankedTensorType>(op.getScales().getType());
  Value blockExtents[] = {extents[0], extents[1],
                          arith::CeilDivUIOp::create(b, loc, n, block)};
  Value scales = t.materialize(
      scalesType, dynamicExtents(scalesType, blockExtents),
      [&](ValueRange index) -> Value {
        Value first = e.muli(index[2], block);
        Value last = e.minsi(e.addi(first, block), n);
        Value absMax = blockAbsMax(t, first, last, extents[3],
                                   [&](Value j, Value x) {
                                     return read(index[0], index[1], j, x);
                                   });
        return arith::DivFOp::create(b, loc, absMax,
                                     rangeOf(index[0], index[1], index[2]));
      });

  auto valuesType = cast<RankedTensorType>(op.getValues().getType());
  Value values = t.materialize(
      valuesType, dynamicExtents(valuesType, extents),
      [&](ValueRange index) {
        Value blockIndex = arith::DivUIOp::create(b, loc, index[2], block);
        Value scale = tensor::ExtractOp::create(
            b, loc, scales, ValueRange{index[0], index[1], blockIndex});
        return quantizeElement(
            t, read(index[0], index[1], index[2], index[3]), scale,
            rangeOf(index[0], index[1], blockIndex),
            rangeOf(index[0], index[1], blockIndex, -1.0));
      });
  return {values, scales};
}

/// An FP8 element (f8E4M3FN, or f8E5M2 with `e5m2`) decoded exactly to f32
/// from its bit pattern with integer arithmetic (LLVM has no FP8 type):
/// normal values by moving the exponent and mantissa fields into f32's,
/// subnormals as mantissa * 2^(1 - bias - m), NaN (e4m3fn's S.1111.111,
/// e5m2's exponent 31 with a mantissa) and e5m2's infinities kept.
static Value decodeFP8(TileLowering &t, Value x, bool e5m2) {
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Type i32 = b.getI32Type();
  int64_t m = e5m2 ? 2 : 3, bias = e5m2 ? 15 : 7;
  int64_t exponentMask = e5m2 ? 31 : 15, mantissaMask = (1 << m) - 1;
  auto c = [&](int64_t v) { return intConstant(t, i32, v); };
  Value byte = arith::BitcastOp::create(b, loc, b.getI8Type(), x);
  Value u = arith::ExtUIOp::create(b, loc, i32, byte);
  Value sign = arith::ShLIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, u, c(7)), c(31));
  Value exponent = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, u, c(m)), c(exponentMask));
  Value mantissa = arith::AndIOp::create(b, loc, u, c(mantissaMask));
  Value normalBits = arith::OrIOp::create(
      b, loc, sign,
      arith::OrIOp::create(
          b, loc,
          arith::ShLIOp::create(
              b, loc, arith::AddIOp::create(b, loc, exponent, c(127 - bias)),
              c(23)),
          arith::ShLIOp::create(b, loc, mantissa, c(23 - m))));
  if (e5m2) {
    // Exponent 31: infinity (mantissa 0) or NaN, f32's exponent 255.
    Value specialBits = arith::OrIOp::create(
        b, loc, sign,
        arith::OrIOp::create(
            b, loc, c(0x7f800000),
            arith::ShLIOp::create(b, loc, mantissa, c(23 - m))));
    Value special = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                          exponent, c(exponentMask));
    normalBits = t.e.select(special, specialBits, normalBits);
  }
  Value normal = arith::BitcastOp::create(b, loc, b.getF32Type(), normalBits);
  Value subnormal = arith::MulFOp::create(
      b, loc, arith::UIToFPOp::create(b, loc, b.getF32Type(), mantissa),
      t.e.f32(std::ldexp(1.0, static_cast<int>(1 - bias - m))));
  subnormal = math::CopySignOp::create(b, loc, subnormal, normal);
  Value isSubnormal = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                            exponent, c(0));
  Value v = t.e.select(isSubnormal, subnormal, normal);
  if (!e5m2) {
    Value isNaN = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq,
        arith::AndIOp::create(b, loc, u, c(0x7f)), c(0x7f));
    v = t.e.select(isNaN, t.e.f32(std::numeric_limits<double>::quiet_NaN()),
                   v);
  }
  return v;
}

/// f32(max(v, -127)) * scales[b', h', t / block] (scales[b', h', x] with
/// `channels`; 1 without scales); an FP8 source decoded exactly instead.
static Value lowerDequantize(DequantizeOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value source = op.getSource();
  SmallVector<Value, 4> extents = extentsOf(t, source);
  Type i8 = b.getI8Type();
  auto type = cast<RankedTensorType>(op.getResult().getType());
  return t.materialize(
      type, dynamicExtents(type, extents), [&](ValueRange index) -> Value {
        Type element = cast<RankedTensorType>(source.getType()).getElementType();
        Value x;
        if (isFP8Type(element)) {
          x = decodeFP8(t, tensor::ExtractOp::create(b, loc, source, index),
                        isa<Float8E5M2Type>(element));
        } else {
          Value v = arith::MaxSIOp::create(
              b, loc, tensor::ExtractOp::create(b, loc, source, index),
              intConstant(t, i8, -127));
          x = arith::SIToFPOp::create(b, loc, b.getF32Type(), v);
        }
        if (!op.getScales())
          return x;
        // Per channel (a value cache): the element's channel; else its
        // token block.
        Value scaleIndex =
            op.getChannels()
                ? index[3]
                : arith::DivUIOp::create(b, loc, index[2],
                                         e.idx(op.getBlock()))
                      .getResult();
        Value scale = e.toF32(e.extractBroadcast(
            op.getScales(), {index[0], index[1], scaleIndex}));
        return arith::MulFOp::create(b, loc, x, scale);
      });
}

/// scales[b, h, c] = absmax of channel c over all tokens / 127, and the
/// values quantized with them (the values of quantized P V).
static SmallVector<Value> lowerQuantizeChannels(QuantizeChannelsOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value source = op.getSource();
  SmallVector<Value, 4> extents = extentsOf(t, source);
  auto read = [&](Value bi, Value hi, Value j, Value c) -> Value {
    return e.toF32(
        tensor::ExtractOp::create(b, loc, source, ValueRange{bi, hi, j, c}));
  };
  auto scalesType = cast<RankedTensorType>(op.getScales().getType());
  Value scaleExtents[] = {extents[0], extents[1], extents[3]};
  Value scales = t.materialize(
      scalesType, dynamicExtents(scalesType, scaleExtents),
      [&](ValueRange index) -> Value {
        // One channel: the tokens [0, N) of a single column.
        Value absMax =
            blockAbsMax(t, e.idx(0), extents[2], e.idx(1), [&](Value j, Value) {
              return read(index[0], index[1], j, index[2]);
            });
        return arith::DivFOp::create(b, loc, absMax, e.f32(127.0));
      });
  auto valuesType = cast<RankedTensorType>(op.getValues().getType());
  Value values = t.materialize(
      valuesType, dynamicExtents(valuesType, extents),
      [&](ValueRange index) {
        Value scale = tensor::ExtractOp::create(
            b, loc, scales, ValueRange{index[0], index[1], index[3]});
        return quantizeElement(
            t, read(index[0], index[1], index[2], index[3]), scale);
      });
  return {values, scales};
}

/// The largest finite value of FP8 e4m3 (e4m3fn) or e5m2.
static double fp8Max(bool e5m2) { return e5m2 ? 57344.0 : 448.0; }

/// `x` (f32) rounded to FP8 e4m3 or e5m2 in f32 arithmetic, as the CPU has
/// no FP8: the format's step at x's binade, 2^(max(e, emin) - mantissa
/// bits) with e the f32 exponent field (emin -6 or -14: subnormals below
/// it), divides |x| exactly, roundeven rounds to nearest even, the step
/// multiplies back exactly; then saturation to F (minimumf keeps a NaN,
/// an infinity becomes F) and x's sign.
static Value roundToFP8(TileLowering &t, Value x, bool e5m2) {
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Type i32 = b.getI32Type();
  int64_t mantissa = e5m2 ? 2 : 3, emin = e5m2 ? -14 : -6;
  Value a = math::AbsFOp::create(b, loc, x);
  Value bits = arith::BitcastOp::create(b, loc, i32, a);
  Value exponent = arith::SubIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, bits, intConstant(t, i32, 23)),
      intConstant(t, i32, 127));
  exponent = arith::MaxSIOp::create(b, loc, exponent, intConstant(t, i32, emin));
  Value stepBits = arith::ShLIOp::create(
      b, loc,
      arith::AddIOp::create(b, loc, exponent,
                            intConstant(t, i32, 127 - mantissa)),
      intConstant(t, i32, 23));
  Value step = arith::BitcastOp::create(b, loc, b.getF32Type(), stepBits);
  Value r = math::RoundEvenOp::create(
      b, loc, arith::DivFOp::create(b, loc, a, step));
  r = arith::MulFOp::create(b, loc, r, step);
  r = arith::MinimumFOp::create(b, loc, r, t.e.f32(fp8Max(e5m2)));
  return math::CopySignOp::create(b, loc, r, x);
}

/// V per channel: s = absmax / F, then fp8(x / s) * s in f32 (a NaN
/// quotient gives 0), as quantize_channels does for INT8.
static Value lowerFP8Channels(FP8ChannelsOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value source = op.getSource();
  SmallVector<Value, 4> extents = extentsOf(t, source);
  auto read = [&](Value bi, Value hi, Value j, Value c) -> Value {
    return e.toF32(
        tensor::ExtractOp::create(b, loc, source, ValueRange{bi, hi, j, c}));
  };
  auto scalesType = RankedTensorType::get(
      SmallVector<int64_t>(3, ShapedType::kDynamic), b.getF32Type());
  Value scaleExtents[] = {extents[0], extents[1], extents[3]};
  Value scales = t.materialize(
      scalesType, scaleExtents, [&](ValueRange index) -> Value {
        Value absMax =
            blockAbsMax(t, e.idx(0), extents[2], e.idx(1), [&](Value j, Value) {
              return read(index[0], index[1], j, index[2]);
            });
        return arith::DivFOp::create(b, loc, absMax,
                                     e.f32(fp8Max(op.getE5m2())));
      });
  auto resultType = cast<RankedTensorType>(op.getResult().getType());
  return t.materialize(
      resultType, dynamicExtents(resultType, extents),
      [&](ValueRange index) -> Value {
        Value scale = tensor::ExtractOp::create(
            b, loc, scales, ValueRange{index[0], index[1], index[3]});
        Value quotient = arith::DivFOp::create(
            b, loc, read(index[0], index[1], index[2], index[3]), scale);
        Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO,
                                            quotient, quotient);
        Value q = e.select(isNaN, e.f32(0.0),
                           roundToFP8(t, quotient, op.getE5m2()));
        return arith::MulFOp::create(b, loc, q, scale);
      });
}

/// Per (b, h, token block): s = absmax / F of the (centered) block, then
/// fp8(x / s) * s in f32 (a NaN quotient gives 0): the compiler's FP8 Q
/// and K.
static Value lowerQuantizeFP8(QuantizeFP8Op op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  bool e5m2 = op.getE5m2();
  Value source = op.getSource(), block = e.idx(op.getBlock());
  Value mean = op.getCenter() ? tokenMean(t, source) : Value();
  SmallVector<Value, 4> extents = extentsOf(t, source);
  Value n = extents[2];
  auto read = [&](Value bi, Value hi, Value j, Value x) {
    return readCentered(t, source, mean, {bi, hi, j, x});
  };
  auto scalesType = RankedTensorType::get(
      SmallVector<int64_t>(3, ShapedType::kDynamic), b.getF32Type());
  Value blockExtents[] = {extents[0], extents[1],
                          arith::CeilDivUIOp::create(b, loc, n, block)};
  Value scales = t.materialize(
      scalesType, blockExtents, [&](ValueRange index) -> Value {
        Value first = e.muli(index[2], block);
        Value last = e.minsi(e.addi(first, block), n);
        Value absMax = blockAbsMax(t, first, last, extents[3],
                                   [&](Value j, Value x) {
                                     return read(index[0], index[1], j, x);
                                   });
        return arith::DivFOp::create(b, loc, absMax, e.f32(fp8Max(e5m2)));
      });
  auto resultType = cast<RankedTensorType>(op.getResult().getType());
  return t.materialize(
      resultType, dynamicExtents(resultType, extents),
      [&](ValueRange index) -> Value {
        Value blockIndex = arith::DivUIOp::create(b, loc, index[2], block);
        Value scale = tensor::ExtractOp::create(
            b, loc, scales, ValueRange{index[0], index[1], blockIndex});
        Value quotient = arith::DivFOp::create(
            b, loc, read(index[0], index[1], index[2], index[3]), scale);
        Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO,
                                            quotient, quotient);
        Value q = e.select(isNaN, e.f32(0.0), roundToFP8(t, quotient, e5m2));
        return arith::MulFOp::create(b, loc, q, scale);
      });
}

/// fp8(F * w) / F per weight.
static Value lowerRoundFP8(RoundFP8Op op) {
  TileLowering t(op);
  OpBuilder &b = t.b;
  Location loc = t.loc;
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, op.getContext());
  Value weights = op.getWeights();
  double f = fp8Max(op.getE5m2());
  return t.generic(
      {weights}, {id}, t.emptyLike(weights), id, {false, false},
      [&](ValueRange args, ValueRange) -> SmallVector<Value> {
        Value scaled = arith::MulFOp::create(b, loc, args[0], t.e.f32(f));
        return {arith::DivFOp::create(
            b, loc, roundToFP8(t, scaled, op.getE5m2()), t.e.f32(f))};
      })[0];
}

/// u(w) = min(max(roundeven(w * 255), 0), 255) as i32; NaN gives 0
/// (maxnumf returns the number).
static Value weightByte(TileLowering &t, Value w) {
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value scaled = arith::MulFOp::create(b, loc, w, t.e.f32(255.0));
  Value rounded = math::RoundEvenOp::create(b, loc, scaled);
  Value clamped = arith::MinNumFOp::create(
      b, loc, arith::MaxNumFOp::create(b, loc, rounded, t.e.f32(0.0)),
      t.e.f32(255.0));
  return arith::FPToSIOp::create(b, loc, b.getI32Type(), clamped);
}

/// acc * alpha + f32(sum_j u(w[i, j]) * v[j, c]) * (scales[c] / 255).
static Value lowerQuantizedAccumulate(QuantizedAccumulateOp op) {
  TileLowering t(op);
  OpBuilder &b = t.b;
  Location loc = t.loc;
  MLIRContext *ctx = op.getContext();
  Type i32 = b.getI32Type();
  Value weights = op.getWeights();
  Value bytes = t.map2D(weights, {}, t.emptyLike(weights, i32),
                        [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                          return {weightByte(t, args[0])};
                        })[0];
  AffineExpr i = getAffineDimExpr(0, ctx), c = getAffineDimExpr(1, ctx),
             j = getAffineDimExpr(2, ctx);
  Value zeros = linalg::FillOp::create(
                    b, loc, ValueRange{intConstant(t, i32, 0)},
                    ValueRange{t.emptyLike(op.getAcc(), i32)})
                    .getResult(0);
  Value dot = t.generic(
      {bytes, op.getValue()},
      {AffineMap::get(3, 0, {i, j}, ctx), AffineMap::get(3, 0, {j, c}, ctx)},
      zeros, AffineMap::get(3, 0, {i, c}, ctx), {false, false, true},
      [&](ValueRange args, ValueRange) -> SmallVector<Value> {
        Value v = arith::ExtSIOp::create(b, loc, i32, args[1]);
        Value product = arith::MulIOp::create(b, loc, args[0], v);
        return {arith::AddIOp::create(b, loc, args[2], product).getResult()};
      })[0];
  AffineMap ic = AffineMap::get(2, 0, {i, c}, ctx);
  SmallVector<Value> inputs = {op.getAcc(), dot, op.getScales()};
  SmallVector<AffineMap> maps = {ic, ic, AffineMap::get(2, 0, {c}, ctx)};
  Value alpha = op.getAlpha();
  if (alpha) {
    inputs.push_back(alpha);
    maps.push_back(AffineMap::get(2, 0, {i}, ctx));
  }
  return t.generic(
      inputs, maps, t.emptyLike(op.getAcc()), ic, {false, false},
      [&](ValueRange args, ValueRange) -> SmallVector<Value> {
        Value acc = args[0];
        if (alpha)
          acc = arith::MulFOp::create(b, loc, acc, args[3]);
        Value factor = arith::MulFOp::create(b, loc, args[2],
                                             t.e.f32(1.0 / 255.0));
        Value sum = arith::SIToFPOp::create(b, loc, b.getF32Type(), args[1]);
        sum = arith::MulFOp::create(b, loc, sum, factor);
        return {arith::AddFOp::create(b, loc, acc, sum).getResult()};
      })[0];
}

/// x < 0 ? -1 : +1 (0, -0 and NaN give +1).
static Value lowerSign(SignOp op) {
  TileLowering t(op);
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value source = op.getSource();
  auto type = cast<RankedTensorType>(op.getType());
  SmallVector<Value> extents;
  for (int64_t d = 0; d < 4; ++d)
    extents.push_back(tensor::DimOp::create(b, loc, source, d));
  Type i8 = b.getI8Type();
  return t.materialize(
      type, dynamicExtents(type, extents), [&](ValueRange index) {
        Value x = t.e.toF32(tensor::ExtractOp::create(b, loc, source, index));
        Value negative = arith::CmpFOp::create(
            b, loc, arith::CmpFPredicate::OLT, x, t.e.f32(0.0));
        return t.e.select(negative, intConstant(t, i8, -1),
                          intConstant(t, i8, 1));
      });
}

/// Each row times its head's matrix: products exact in f64, summed in
/// channel order, rounded once to f32 (the reference's arithmetic).
static Value lowerRotate(RotateOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Type f64 = b.getF64Type();
  Value source = op.getSource(), rotation = op.getRotation();
  auto type = cast<RankedTensorType>(op.getType());
  SmallVector<Value, 4> extents = extentsOf(t, source);
  // The result has the matrix's R columns ([Hr, D, R]); the sum runs over
  // the source's D channels.
  Value channels = extents[3];
  extents[3] = tensor::DimOp::create(b, loc, rotation, 2);
  // Heads per matrix: H / Hr (a shared matrix when Hr is 1).
  Value matrices = tensor::DimOp::create(b, loc, rotation, 0);
  Value perMatrix = arith::DivUIOp::create(b, loc, extents[1],
                                           e.maxsi(matrices, e.idx(1)));
  Value shared = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                       matrices, e.idx(1));
  return t.materialize(
      type, dynamicExtents(type, extents), [&](ValueRange index) -> Value {
        Value matrix = arith::SelectOp::create(
            b, loc, shared, e.idx(0),
            arith::DivUIOp::create(b, loc, index[1],
                                   e.maxsi(perMatrix, e.idx(1))));
        Value zero = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0));
        auto sum = scf::ForOp::create(
            b, loc, e.idx(0), channels, e.idx(1), ValueRange{zero},
            [&](OpBuilder &, Location, Value x, ValueRange acc) {
              Value v = e.toF32(tensor::ExtractOp::create(
                  b, loc, source,
                  ValueRange{index[0], index[1], index[2], x}));
              Value r = e.toF32(tensor::ExtractOp::create(
                  b, loc, rotation, ValueRange{matrix, x, index[3]}));
              Value product = arith::MulFOp::create(
                  b, loc, arith::ExtFOp::create(b, loc, f64, v),
                  arith::ExtFOp::create(b, loc, f64, r));
              scf::YieldOp::create(
                  b, loc,
                  arith::AddFOp::create(b, loc, acc[0], product).getResult());
            });
        return arith::TruncFOp::create(b, loc, b.getF32Type(),
                                       sum.getResult(0));
      });
}

/// Signed 4-bit values into i8 lanes, -8 read as -7: from an i4 tensor, or
/// from its packed bytes (channel x in the low nibble of byte x / 2 for even
/// x, the high one for odd x).
static Value lowerUnpackInt4(UnpackInt4Op op) {
  TileLowering t(op);
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value source = op.getSource();
  auto type = cast<RankedTensorType>(op.getType());
  bool packed = op.isPacked();
  SmallVector<Value, 4> extents = extentsOf(t, source);
  Value two = arith::ConstantIndexOp::create(b, loc, 2);
  if (packed)
    extents[3] = arith::MulIOp::create(b, loc, extents[3], two);
  Type i8 = b.getI8Type();
  return t.materialize(
      type, dynamicExtents(type, extents), [&](ValueRange index) {
        Value value;
        if (packed) {
          SmallVector<Value> at(index);
          at[3] = arith::DivUIOp::create(b, loc, index[3], two);
          Value byte = tensor::ExtractOp::create(b, loc, source, at);
          // Odd channels: the high nibble, sign-extended by the arithmetic
          // shift; even ones: the low nibble moved up first.
          Value odd = arith::IndexCastUIOp::create(
              b, loc, i8, arith::RemUIOp::create(b, loc, index[3], two));
          Value four = intConstant(t, i8, 4);
          Value up = arith::ShLIOp::create(
              b, loc, byte,
              arith::MulIOp::create(
                  b, loc, arith::SubIOp::create(b, loc, intConstant(t, i8, 1),
                                                odd),
                  four));
          value = arith::ShRSIOp::create(b, loc, up, four);
        } else {
          value = arith::ExtSIOp::create(
              b, loc, i8, tensor::ExtractOp::create(b, loc, source, index));
        }
        return arith::MaxSIOp::create(b, loc, value, intConstant(t, i8, -7))
            .getResult();
      });
}

/// The tile's i8 rows (-128 read as -127, rows outside the sequence 0) and
/// their scales (1 without a scale tensor, 0 outside the sequence).
static SmallVector<Value> lowerLoadQuantized(LoadQuantizedOp op) {
  TileLowering t(op);
  ScalarEmitter &e = t.e;
  OpBuilder &b = t.b;
  Location loc = t.loc;
  Value source = op.getSource();
  Value rows = tensor::DimOp::create(b, loc, source, 2);
  auto inside = [&](Value row) {
    return e.andi(e.cmp(arith::CmpIPredicate::sge, row, e.idx(0)),
                  e.cmp(arith::CmpIPredicate::slt, row, rows));
  };
  /// `read()` where the row is inside the sequence, else `outside`.
  auto guarded = [&](Value row, Type type, function_ref<Value()> read,
                     Value outside) {
    auto branch = scf::IfOp::create(
        b, loc, inside(row),
        [&](OpBuilder &, Location) { scf::YieldOp::create(b, loc, read()); },
        [&](OpBuilder &, Location) { scf::YieldOp::create(b, loc, outside); });
    return branch.getResult(0);
  };
  Type i8 = b.getI8Type();
  auto valuesType = cast<RankedTensorType>(op.getValues().getType());
  SmallVector<Value> dynamic;
  if (valuesType.isDynamicDim(1))
    dynamic.push_back(tensor::DimOp::create(b, loc, source, 3));
  Value values = tensor::GenerateOp::create(
      b, loc, valuesType, dynamic,
      [&](OpBuilder &, Location, ValueRange index) {
        Value row = e.addi(op.getRow(), index[0]);
        Value v = guarded(
            row, i8,
            [&] {
              Value x = tensor::ExtractOp::create(
                  b, loc, source,
                  ValueRange{op.getBatch(), op.getHead(), row, index[1]});
              return arith::MaxSIOp::create(b, loc, x,
                                            intConstant(t, i8, -127))
                  .getResult();
            },
            intConstant(t, i8, 0));
        tensor::YieldOp::create(b, loc, v);
      });
  auto scalesType = cast<RankedTensorType>(op.getRowScales().getType());
  Value scales = tensor::GenerateOp::create(
      b, loc, scalesType, ValueRange{},
      [&](OpBuilder &, Location, ValueRange index) {
        Value row = e.addi(op.getRow(), index[0]);
        Value scale = guarded(
            row, b.getF32Type(),
            [&] {
              if (!op.getScales())
                return e.f32(1.0);
              Value blockIndex =
                  arith::DivUIOp::create(b, loc, row, e.idx(op.getBlock()));
              return e.toF32(e.extractBroadcast(
                  op.getScales(), {op.getBatch(), op.getHead(), blockIndex}));
            },
            e.f32(0.0));
        tensor::YieldOp::create(b, loc, scale);
      });
  return {values, scales};
}

/// The exact i32 dot products, then f32(dot) * sq[i] * sk[j] * scale.
static Value lowerQuantizedScores(QuantizedScoresOp op) {
  TileLowering t(op);
  OpBuilder &b = t.b;
  Location loc = t.loc;
  MLIRContext *ctx = op.getContext();
  Type i32 = b.getI32Type();
  AffineExpr i = getAffineDimExpr(0, ctx), j = getAffineDimExpr(1, ctx),
             x = getAffineDimExpr(2, ctx);
  Value zeros = linalg::FillOp::create(
                    b, loc, ValueRange{intConstant(t, i32, 0)},
                    ValueRange{tensor::EmptyOp::create(
                        b, loc,
                        ArrayRef<OpFoldResult>{
                            tensor::getMixedSize(b, loc, op.getQuery(), 0),
                            tensor::getMixedSize(b, loc, op.getKey(), 0)},
                        i32)})
                    .getResult(0);
  Value dot = t.generic(
      {op.getQuery(), op.getKey()},
      {AffineMap::get(3, 0, {i, x}, ctx), AffineMap::get(3, 0, {j, x}, ctx)},
      zeros, AffineMap::get(3, 0, {i, j}, ctx), {false, false, true},
      [&](ValueRange args, ValueRange) -> SmallVector<Value> {
        Value qx = arith::ExtSIOp::create(b, loc, i32, args[0]);
        Value kx = arith::ExtSIOp::create(b, loc, i32, args[1]);
        return {arith::AddIOp::create(
            b, loc, args[2], arith::MulIOp::create(b, loc, qx, kx))};
      })[0];
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  Value scaled = t.generic(
      {dot, op.getQScales(), op.getKScales()},
      {id, AffineMap::get(2, 0, {i}, ctx), AffineMap::get(2, 0, {j}, ctx)},
      t.emptyLike(dot), id, {false, false},
      [&](ValueRange args, ValueRange) -> SmallVector<Value> {
        Value d = arith::SIToFPOp::create(b, loc, b.getF32Type(), args[0]);
        Value s = arith::MulFOp::create(b, loc, d, args[1]);
        s = arith::MulFOp::create(b, loc, s, args[2]);
        return {arith::MulFOp::create(b, loc, s, op.getScale())};
      })[0];
  if (!op.getPlus())
    return scaled;
  // Q smoothing's float correction, added after the product.
  return t.generic({scaled, op.getPlus()}, {id, id}, t.emptyLike(scaled), id,
                   {false, false},
                   [&](ValueRange args, ValueRange) -> SmallVector<Value> {
                     return {arith::AddFOp::create(b, loc, args[0], args[1])};
                   })[0];
}

/// Lowers `op` (an attn_tile op) and replaces it.
static void lowerTileOp(Operation *op) {
  SmallVector<Value> replacements =
      llvm::TypeSwitch<Operation *, SmallVector<Value>>(op)
          .Case([](LoadOp o) { return SmallVector<Value>{lowerLoad(o)}; })
          .Case([](ScoresOp o) { return SmallVector<Value>{lowerScores(o)}; })
          .Case([](MaskOp o) { return SmallVector<Value>{lowerMask(o)}; })
          .Case([](ModifyOp o) { return SmallVector<Value>{lowerModify(o)}; })
          .Case([](FeatureMapOp o) {
            return SmallVector<Value>{lowerFeatureMap(o)};
          })
          .Case([](ExpandFeaturesOp o) {
            return SmallVector<Value>{lowerExpandFeatures(o)};
          })
          .Case([](DecayPrefixOp o) {
            return SmallVector<Value>{lowerDecayPrefix(o)};
          })
          .Case([](DecayOp o) { return SmallVector<Value>{lowerDecay(o)}; })
          .Case([](GatedScoresOp o) {
            return SmallVector<Value>{lowerGatedScores(o)};
          })
          .Case([](QuantizeOp o) { return lowerQuantize(o); })
          .Case([](QuantizeChannelsOp o) { return lowerQuantizeChannels(o); })
          .Case([](DequantizeOp o) {
            return SmallVector<Value>{lowerDequantize(o)};
          })
          .Case([](CenterOp o) { return lowerCenter(o); })
          .Case([](SequenceMapOp o) {
            return SmallVector<Value>{lowerSequenceMap(o)};
          })
          .Case([](KeyWeightsOp o) { return lowerKeyWeights(o); })
          .Case([](QuantizeFP8Op o) {
            return SmallVector<Value>{lowerQuantizeFP8(o)};
          })
          .Case([](FP8ChannelsOp o) {
            return SmallVector<Value>{lowerFP8Channels(o)};
          })
          .Case(
              [](RoundFP8Op o) { return SmallVector<Value>{lowerRoundFP8(o)}; })
          .Case([](QuantizedAccumulateOp o) {
            return SmallVector<Value>{lowerQuantizedAccumulate(o)};
          })
          .Case([](SignOp o) { return SmallVector<Value>{lowerSign(o)}; })
          .Case([](RotateOp o) { return SmallVector<Value>{lowerRotate(o)}; })
          .Case([](UnpackInt4Op o) {
            return SmallVector<Value>{lowerUnpackInt4(o)};
          })
          .Case([](LoadQuantizedOp o) { return lowerLoadQuantized(o); })
          .Case([](QuantizedScoresOp o) {
            return SmallVector<Value>{lowerQuantizedScores(o)};
          })
          .Case(
              [](PoolKeysOp o) { return SmallVector<Value>{lowerPoolKeys(o)}; })
          .Case([](PoolQueriesOp o) {
            return SmallVector<Value>{lowerPoolQueries(o)};
          })
          .Case([](ProjectPooledOp o) {
            return SmallVector<Value>{lowerProjectPooled(o)};
          })
          .Case([](SelectBlocksOp o) { return lowerSelectBlocks(o); })
          .Case([](KeepSelectedOp o) {
            return SmallVector<Value>{lowerKeepSelected(o)};
          })
          .Case([](BlockRowsOp o) { return lowerBlockRows(o); })
          .Case([](GatherRowsOp o) {
            return SmallVector<Value>{lowerGatherRows(o)};
          })
          .Case([](ScatterRowsOp o) {
            return SmallVector<Value>{lowerScatterRows(o)};
          })
          .Case([](ReadStateOp o) { return lowerReadState(o); })
          .Case([](UpdateStateOp o) { return lowerUpdateState(o); })
          .Case([](OnlineUpdateOp o) { return lowerOnlineUpdate(o); })
          .Case([](FinalWeightsOp o) {
            return SmallVector<Value>{lowerFinalWeights(o)};
          })
          .Case([](WeightModOp o) {
            return SmallVector<Value>{lowerWeightMod(o)};
          })
          .Case([](AccumulateOp o) {
            return SmallVector<Value>{lowerAccumulate(o)};
          })
          .Case([](FoldSinkOp o) { return lowerFoldSink(o); })
          .Case([](MergeOp o) { return lowerMerge(o); })
          .Case([](FinalizeOp o) { return lowerFinalize(o); })
          .Case([](KeptSumsOp o) { return lowerKeptSums(o); })
          .Case([](AffineNormalizeOp o) {
            return SmallVector<Value>{lowerAffineNormalize(o)};
          })
          .Case([](ForKeyTilesOp o) { return lowerForKeyTiles(o); })
          .Default([](Operation *) { return SmallVector<Value>{}; });
  // A lowering may size a result from operands that are less static than
  // the op's declared result (read_state's state is ?x?): users keep
  // seeing the declared type.
  OpBuilder b(op);
  for (auto [value, result] : llvm::zip(replacements, op->getResults()))
    if (value.getType() != result.getType())
      value = tensor::CastOp::create(b, op->getLoc(), result.getType(), value);
  op->replaceAllUsesWith(replacements);
  op->erase();
}

namespace {
struct ConvertAttnTileToLoopsPass
    : public attn::impl::ConvertAttnTileToLoopsBase<ConvertAttnTileToLoopsPass> {
  void runOnOperation() override {
    // Post-order: a key loop's body is lowered before the loop moves it.
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa_and_nonnull<AttnTileDialect>(op->getDialect()) &&
          !isa<tile::YieldOp, DotBytesOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops)
      lowerTileOp(op);
  }
};
} // namespace
