//===- TileToVector.cpp - vector micro-kernels for the tile program -------===//
//
// The CPU fast path of the tile program: the ops of the key loop (loads,
// Q K^T, lane masks, the online update, P V) become register-blocked vector
// code on tensors (vector.transfer_read/write, vector FMAs), written for
// `width` f32 lanes. Everything this pass does not take stays an attn_tile
// op for convert-attn-tile-to-loops, the portable lowering, which runs
// next: the two passes together lower every tile program.
//
// Layout: score tiles keep the tile IR's [query, key] layout with keys
// along the lanes. Q K^T then needs each key tile transposed; the pass
// transposes every key operand once per call, before the work items
// ([B, H, N, D] -> [B, H, D, N] in f32), so every query tile of a head
// reads the same transposed keys. Query tiles narrower than a vector
// (decode) take row dot products over the head dimension instead.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "attn/Conversion/AttnCodegen.h"
#include "attn/Conversion/SoftmaxMath.h"
#include "attn/Dialect/AttnTile/AttnTileDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseMap.h"

#include <limits>

namespace attn {
#define GEN_PASS_DEF_CONVERTATTNTILETOVECTOR
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;
using namespace attn::tile;
using codegen::ScalarEmitter;
using codegen::SoftmaxMath;

static constexpr double kNegInf = -std::numeric_limits<double>::infinity();

namespace {

/// Register blocking: `rows` tile rows times at most `vectors` lane vectors
/// of accumulators per micro-kernel pass (rows * vectors accumulators plus
/// `rows` broadcasts and one operand vector fit the register file).
struct Blocking {
  int64_t rows, vectors;
};

/// Vector code on tensors at one op's position.
class VectorEmitter {
public:
  VectorEmitter(Operation *op, int64_t width)
      : b(op), loc(op->getLoc()), e(b, loc), math(b, loc), width(width) {}

  VectorType vectorType(Type element = {}) {
    return VectorType::get({width}, element ? element : b.getF32Type());
  }
  Value splat(double v) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vectorType(), b.getF32FloatAttr(v)));
  }
  Value broadcast(Value scalar) {
    return vector::BroadcastOp::create(b, loc, vectorType(scalar.getType()),
                                       scalar);
  }
  /// `width` elements along the last dimension of `source` at `indices`
  /// as f32; lanes past the end of that dimension read 0 unless
  /// `inBounds`.
  Value read(Value source, ValueRange indices, bool inBounds) {
    Type element = getElementTypeOrSelf(source.getType());
    Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
    Value v = vector::TransferReadOp::create(
        b, loc, vectorType(element), source, indices, pad,
        ArrayRef<bool>{inBounds});
    if (!element.isF32())
      v = arith::ExtFOp::create(b, loc, vectorType(), v);
    return v;
  }
  /// `dest` with `v` written at `indices` (lanes past the end dropped
  /// unless `inBounds`).
  Value write(Value v, Value dest, ValueRange indices, bool inBounds) {
    return vector::TransferWriteOp::create(b, loc, v, dest, indices,
                                           ArrayRef<bool>{inBounds})
        .getResult();
  }
  Value extract(Value tensor, ValueRange indices) {
    return tensor::ExtractOp::create(b, loc, tensor, indices);
  }
  Value insert(Value scalar, Value tensor, ValueRange indices) {
    return tensor::InsertOp::create(b, loc, scalar, tensor, indices);
  }
  Value reduce(vector::CombiningKind kind, Value v) {
    return vector::ReductionOp::create(b, loc, kind, v);
  }
  Value empty(ArrayRef<OpFoldResult> sizes) {
    return tensor::EmptyOp::create(b, loc, sizes, b.getF32Type());
  }
  Value dim(Value tensor, int64_t d) {
    return tensor::DimOp::create(b, loc, tensor, d);
  }

  /// An scf.for over [lb, ub) by `step` threading `inits`; `body` returns
  /// the next values.
  using LoopBody = function_ref<SmallVector<Value>(Value iv, ValueRange)>;
  ValueRange loop(Value lb, Value ub, int64_t step, ValueRange inits,
                  LoopBody body) {
    auto forOp = scf::ForOp::create(
        b, loc, lb, ub, e.idx(step), inits,
        [&](OpBuilder &, Location, Value iv, ValueRange iter) {
          scf::YieldOp::create(b, loc, body(iv, iter));
        });
    return forOp.getResults();
  }
  /// Blocks of `block` rows over [0, rows) (rows static): a loop over the
  /// whole blocks, then one shorter block for the rest.
  Value rowBlocks(int64_t rows, int64_t block, Value init,
                  function_ref<Value(Value row, int64_t count, Value)> body) {
    int64_t whole = rows / block * block;
    Value acc = init;
    if (whole > 0)
      acc = loop(e.idx(0), e.idx(whole), block, acc,
                 [&](Value row, ValueRange iter) -> SmallVector<Value> {
                   return {body(row, block, iter[0])};
                 })[0];
    if (whole < rows)
      acc = body(e.idx(whole), rows - whole, acc);
    return acc;
  }

  OpBuilder b;
  Location loc;
  ScalarEmitter e;
  SoftmaxMath math;
  int64_t width;
};

int64_t staticDim(Value tensor, int64_t d) {
  return cast<RankedTensorType>(tensor.getType()).getDimSize(d);
}

/// One step of an outer-product micro-kernel over `rows` x `count`
/// accumulators (row-major in `acc`): acc[r][c] += rowScalar(r) *
/// columnVector(c), each scalar broadcast once and each vector read once.
SmallVector<Value> outerProductStep(VectorEmitter &v, ValueRange acc,
                                    int64_t rows, int64_t count,
                                    function_ref<Value(int64_t)> rowScalar,
                                    function_ref<Value(int64_t)> columnVector) {
  SmallVector<Value> next(acc);
  SmallVector<Value> broadcasts;
  for (int64_t r = 0; r < rows; ++r)
    broadcasts.push_back(v.broadcast(rowScalar(r)));
  for (int64_t c = 0; c < count; ++c) {
    Value column = columnVector(c);
    for (int64_t r = 0; r < rows; ++r)
      next[r * count + c] = math::FmaOp::create(v.b, v.loc, broadcasts[r],
                                                column, next[r * count + c]);
  }
  return next;
}

} // namespace

//===----------------------------------------------------------------------===//
// Loads
//===----------------------------------------------------------------------===//

/// Rows [row, row + T) of source[b, h] as an f32 tile: row vectors read
/// with the conversion, zero rows outside the sequence.
static Value lowerLoad(LoadOp op, int64_t width) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  Value source = op.getSource();
  Value depth = v.dim(source, 3), length = v.dim(source, 2);
  int64_t rows = staticDim(op.getResult(), 0);
  // The result's type exactly (a static head dimension stays static).
  int64_t staticDepth = staticDim(op.getResult(), 1);
  Value tile = v.empty(
      {v.b.getIndexAttr(rows), staticDepth == ShapedType::kDynamic
                                   ? OpFoldResult(depth)
                                   : v.b.getIndexAttr(staticDepth)});
  Value zero = v.splat(0.0);
  return v.loop(
      e.idx(0), e.idx(rows), 1, tile,
      [&](Value r, ValueRange iter) -> SmallVector<Value> {
        Value row = e.addi(op.getRow(), r);
        using P = arith::CmpIPredicate;
        Value inside = e.andi(e.cmp(P::sge, row, e.idx(0)),
                              e.cmp(P::slt, row, length));
        auto copy = scf::IfOp::create(
            v.b, v.loc, inside,
            [&](OpBuilder &, Location) {
              Value t = v.loop(e.idx(0), depth, width, iter[0],
                               [&](Value d, ValueRange it) -> SmallVector<Value> {
                                 Value x = v.read(
                                     source,
                                     {op.getBatch(), op.getHead(), row, d},
                                     false);
                                 return {v.write(x, it[0], {r, d}, false)};
                               })[0];
              scf::YieldOp::create(v.b, v.loc, t);
            },
            [&](OpBuilder &, Location) {
              Value t = v.loop(e.idx(0), depth, width, iter[0],
                               [&](Value d, ValueRange it) -> SmallVector<Value> {
                                 return {v.write(zero, it[0], {r, d}, false)};
                               })[0];
              scf::YieldOp::create(v.b, v.loc, t);
            });
        return {copy.getResult(0)};
      })[0];
}

//===----------------------------------------------------------------------===//
// Q K^T
//===----------------------------------------------------------------------===//

/// S[i, j] = scale * sum_d Q[i, d] KT[b, h, d, k0 + j]: key vectors of the
/// transposed keys against broadcast query elements, `rows` x `vectors`
/// accumulators per pass.
static Value scoresFromTransposedKeys(ScoresOp op, LoadOp key, Value keysT,
                                      int64_t width, Blocking blocking) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  Value q = op.getQuery();
  int64_t tq = staticDim(op.getResult(), 0), tk = staticDim(op.getResult(), 1);
  Value depth = v.dim(q, 1);
  Value scale = v.broadcast(op.getScale());
  Value s = v.empty({v.b.getIndexAttr(tq), v.b.getIndexAttr(tk)});
  int64_t keyVectors = tk / width;
  return v.rowBlocks(tq, blocking.rows, s, [&](Value i0, int64_t rows,
                                               Value acc) {
    for (int64_t g = 0; g < keyVectors; g += blocking.vectors) {
      int64_t count = std::min(blocking.vectors, keyVectors - g);
      SmallVector<Value> init(rows * count, v.splat(0.0));
      ValueRange sums = v.loop(
          e.idx(0), depth, 1, init,
          [&](Value d, ValueRange iter) -> SmallVector<Value> {
            return outerProductStep(
                v, iter, rows, count,
                [&](int64_t r) {
                  return v.extract(q, {e.addi(i0, e.idx(r)), d});
                },
                [&](int64_t c) {
                  Value k0 = e.addi(key.getRow(), e.idx((g + c) * width));
                  return v.read(keysT,
                                {key.getBatch(), key.getHead(), d, k0}, false);
                });
          });
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < count; ++c) {
          Value scaled =
              arith::MulFOp::create(v.b, v.loc, sums[r * count + c], scale);
          acc = v.write(scaled, acc,
                        {e.addi(i0, e.idx(r)), e.idx((g + c) * width)}, true);
        }
    }
    return acc;
  });
}

/// S[i, j] = scale * (Q[i, :] . K[j, :]) by vectors along the head
/// dimension and one horizontal sum per entry: for query tiles narrower
/// than a vector, where transposing the keys would cost more than it saves.
static Value scoresFromRowDots(ScoresOp op, int64_t width) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  Value q = op.getQuery(), k = op.getKey();
  int64_t tq = staticDim(op.getResult(), 0), tk = staticDim(op.getResult(), 1);
  Value depth = v.dim(q, 1);
  Value s = v.empty({v.b.getIndexAttr(tq), v.b.getIndexAttr(tk)});
  return v.loop(
      e.idx(0), e.idx(tq), 1, s,
      [&](Value i, ValueRange iter) -> SmallVector<Value> {
        return {v.loop(
            e.idx(0), e.idx(tk), 1, iter[0],
            [&](Value j, ValueRange it) -> SmallVector<Value> {
              Value dot = v.loop(
                  e.idx(0), depth, width, v.splat(0.0),
                  [&](Value d, ValueRange sum) -> SmallVector<Value> {
                    return {math::FmaOp::create(v.b, v.loc,
                                                v.read(q, {i, d}, false),
                                                v.read(k, {j, d}, false),
                                                sum[0])};
                  })[0];
              Value total = v.reduce(vector::CombiningKind::ADD, dot);
              Value scaled =
                  arith::MulFOp::create(v.b, v.loc, total, op.getScale());
              return {v.insert(scaled, it[0], {i, j})};
            })[0]};
      })[0];
}

//===----------------------------------------------------------------------===//
// Masks
//===----------------------------------------------------------------------===//

/// Partial tiles: per row, lanes of keys against the row's aligned query
/// position; full tiles pass unchanged.
static Value lowerMask(MaskOp op, int64_t width) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  OpBuilder &b = v.b;
  Location loc = v.loc;
  Value s = op.getScores();
  int64_t tq = staticDim(s, 0), tk = staticDim(s, 1);
  auto i64Lanes = v.vectorType(b.getI64Type());
  auto toI64 = [&](Value index) -> Value {
    return arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
  };
  Value iota = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          i64Lanes, llvm::to_vector(llvm::map_range(
                        llvm::seq<int64_t>(0, width), [&](int64_t x) {
                          return Attribute(b.getI64IntegerAttr(x));
                        }))));
  auto ifPartial = scf::IfOp::create(
      b, loc, op.getPartial(),
      [&](OpBuilder &, Location) {
        Value nq = op.getQueryLength(), nk = op.getKeyLength();
        Value nkLanes = v.broadcast(toI64(nk));
        Value shift = e.subi(nk, nq);
        Value masked = v.loop(
            e.idx(0), e.idx(tq), 1, s,
            [&](Value i, ValueRange iter) -> SmallVector<Value> {
              Value query = e.addi(op.getQuery(), i);
              Value rowInside = v.broadcast(
                  e.cmp(arith::CmpIPredicate::slt, query, nq));
              Value p = v.broadcast(toI64(e.addi(query, shift)));
              Value tile = iter[0];
              for (int64_t c = 0; c < tk / width; ++c) {
                Value j = arith::AddIOp::create(
                    b, loc,
                    v.broadcast(toI64(e.addi(op.getKey(), e.idx(c * width)))),
                    iota);
                Value keep = e.andi(
                    e.andi(rowInside, arith::CmpIOp::create(
                                          b, loc, arith::CmpIPredicate::slt,
                                          j, nkLanes)),
                    codegen::laneMask(b, loc, *op.getMask(), p, j));
                Value x = v.read(tile, {i, e.idx(c * width)}, true);
                tile = v.write(e.select(keep, x, v.splat(kNegInf)), tile,
                               {i, e.idx(c * width)}, true);
              }
              return {tile};
            })[0];
        scf::YieldOp::create(b, loc, masked);
      },
      [&](OpBuilder &, Location) { scf::YieldOp::create(b, loc, s); });
  return ifPartial.getResult(0);
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

/// One row at a time: the row's max and sum by vector reductions, the
/// weights by vector exponentials (or the pointwise normalization).
static SmallVector<Value> lowerOnlineUpdate(OnlineUpdateOp op, int64_t width) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  OpBuilder &b = v.b;
  Location loc = v.loc;
  NormalizationAttr norm = op.getNormalizationAttr();
  bool softmax = isSoftmax(norm);
  Value s = op.getScores();
  int64_t tq = staticDim(s, 0), tk = staticDim(s, 1);
  int64_t vectors = tk / width;
  Value weights0 = v.empty({b.getIndexAttr(tq), b.getIndexAttr(tk)});
  auto rowsLike = [&]() { return v.empty({b.getIndexAttr(tq)}); };
  // New statistics overwrite the running ones in place (as in the portable
  // lowering): no iteration of the key loop yields a fresh allocation.
  SmallVector<Value> inits = {weights0, op.getMax(), op.getSum(), rowsLike()};
  ValueRange results = v.loop(
      e.idx(0), e.idx(tq), 1, inits,
      [&](Value i, ValueRange iter) -> SmallVector<Value> {
        SmallVector<Value> row;
        for (int64_t c = 0; c < vectors; ++c)
          row.push_back(v.read(s, {i, e.idx(c * width)}, true));
        Value oldMax = v.extract(iter[1], {i});
        Value newMax = oldMax, alpha = e.f32(1.0);
        SmallVector<Value> w;
        if (softmax) {
          Value rowMax = row[0];
          for (int64_t c = 1; c < vectors; ++c)
            rowMax = arith::MaximumFOp::create(b, loc, rowMax, row[c]);
          SoftmaxMath::Step step = v.math.update(
              oldMax, v.reduce(vector::CombiningKind::MAXIMUMF, rowMax));
          newMax = step.newMax;
          alpha = step.alpha;
          Value offset = v.broadcast(step.offset);
          for (Value x : row)
            w.push_back(v.math.weight(x, offset));
        } else {
          for (Value x : row)
            w.push_back(e.pointwiseWeight(norm, x));
        }
        Value rowSum = w[0];
        for (int64_t c = 1; c < vectors; ++c)
          rowSum = arith::AddFOp::create(b, loc, rowSum, w[c]);
        Value sum = v.math.rescaleSum(
            v.extract(iter[2], {i}), alpha,
            v.reduce(vector::CombiningKind::ADD, rowSum));
        Value tile = iter[0];
        for (int64_t c = 0; c < vectors; ++c)
          tile = v.write(w[c], tile, {i, e.idx(c * width)}, true);
        return {tile, v.insert(newMax, iter[1], {i}),
                v.insert(sum, iter[2], {i}), v.insert(alpha, iter[3], {i})};
      });
  return SmallVector<Value>(results);
}

//===----------------------------------------------------------------------===//
// P V
//===----------------------------------------------------------------------===//

/// 0 when every element of `tile` is finite, NaN otherwise (x * 0 is NaN
/// exactly for infinities and NaNs).
static Value nonFiniteProbe(VectorEmitter &v, Value tile) {
  ScalarEmitter &e = v.e;
  Value cols = v.dim(tile, 1);
  Value probe = v.loop(
      e.idx(0), e.idx(staticDim(tile, 0)), 1, v.splat(0.0),
      [&](Value j, ValueRange acc) -> SmallVector<Value> {
        return {v.loop(e.idx(0), cols, v.width, acc[0],
                       [&](Value c, ValueRange a) -> SmallVector<Value> {
                         return {math::FmaOp::create(
                             v.b, v.loc, v.read(tile, {j, c}, false),
                             v.splat(0.0), a[0])};
                       })[0]};
      })[0];
  return v.reduce(vector::CombiningKind::ADD, probe);
}

/// acc[i, c] = acc[i, c] * alpha[i] + sum_j P[i, j] V[j, c]: value vectors
/// against broadcast weights, `rows` x `vectors` accumulators per pass over
/// whole groups of columns, then single (masked) vectors for the rest.
static Value accumulateKernel(AccumulateOp op, int64_t width,
                              Blocking blocking) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  OpBuilder &b = v.b;
  Location loc = v.loc;
  Value p = op.getWeights(), value = op.getValue(), alpha = op.getAlpha();
  int64_t tq = staticDim(p, 0), tk = staticDim(p, 1);
  Value cols = v.dim(op.getAcc(), 1);
  int64_t group = blocking.vectors * width;
  Value wholeCols = e.muli(e.floordiv(cols, e.idx(group)), e.idx(group));

  // One pass: `count` vectors from column c0 for rows [i0, i0 + rows).
  auto pass = [&](Value i0, int64_t rows, Value c0, int64_t count,
                  bool inBounds, Value acc) -> Value {
    SmallVector<Value> init;
    for (int64_t r = 0; r < rows; ++r) {
      Value row = e.addi(i0, e.idx(r));
      Value scale = alpha ? v.broadcast(v.extract(alpha, {row})) : Value();
      for (int64_t c = 0; c < count; ++c) {
        Value x = v.read(acc, {row, e.addi(c0, e.idx(c * width))}, inBounds);
        init.push_back(scale ? arith::MulFOp::create(b, loc, x, scale) : x);
      }
    }
    ValueRange sums = v.loop(
        e.idx(0), e.idx(tk), 1, init,
        [&](Value j, ValueRange iter) -> SmallVector<Value> {
          return outerProductStep(
              v, iter, rows, count,
              [&](int64_t r) {
                return v.extract(p, {e.addi(i0, e.idx(r)), j});
              },
              [&](int64_t c) {
                return v.read(value, {j, e.addi(c0, e.idx(c * width))},
                              inBounds);
              });
        });
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < count; ++c)
        acc = v.write(sums[r * count + c], acc,
                      {e.addi(i0, e.idx(r)), e.addi(c0, e.idx(c * width))},
                      inBounds);
    return acc;
  };
  return v.rowBlocks(
      tq, blocking.rows, op.getAcc(), [&](Value i0, int64_t rows, Value acc) {
        acc = v.loop(e.idx(0), wholeCols, group, acc,
                     [&](Value c0, ValueRange it) -> SmallVector<Value> {
                       return {pass(i0, rows, c0, blocking.vectors, true,
                                    it[0])};
                     })[0];
        return v.loop(wholeCols, cols, width, acc,
                      [&](Value c0, ValueRange it) -> SmallVector<Value> {
                        return {pass(i0, rows, c0, 1, false, it[0])};
                      })[0];
      });
}

/// An excluded pair must add nothing even where its value row holds an
/// infinity or NaN (0 * inf is NaN): tiles whose values are all finite run
/// the kernel, where an excluded pair's weight of 0 adds exactly 0; others
/// keep the op for the portable lowering's per-pair select.
static Value lowerAccumulate(AccumulateOp op, int64_t width,
                             Blocking blocking) {
  if (!op.getMaskedScores())
    return accumulateKernel(op, width, blocking);
  VectorEmitter v(op, width);
  Value probe = nonFiniteProbe(v, op.getValue());
  Value finite = arith::CmpFOp::create(v.b, v.loc, arith::CmpFPredicate::OEQ,
                                       probe, v.e.f32(0.0));
  auto choice = scf::IfOp::create(v.b, v.loc, op.getType(), finite,
                                  /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(v.b);
    v.b.setInsertionPointToStart(&choice.getThenRegion().front());
    auto yield = scf::YieldOp::create(v.b, v.loc, op.getAcc());
    v.b.setInsertionPoint(yield);
    // Built at the yield: the kernel's own builder starts there.
    auto kernelAt = cast<AccumulateOp>(v.b.clone(*op));
    yield->setOperand(0, accumulateKernel(kernelAt, width, blocking));
    kernelAt.erase();
    v.b.setInsertionPointToStart(&choice.getElseRegion().front());
    Operation *portable = v.b.clone(*op);
    scf::YieldOp::create(v.b, v.loc, portable->getResult(0));
  }
  return choice.getResult(0);
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

/// f32 keys with the head dimension before the sequence: [B, H, D, N].
static Value transposeKeys(OpBuilder &b, Location loc, Value keys) {
  MLIRContext *ctx = b.getContext();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, keys);
  std::swap(sizes[2], sizes[3]);
  Value init = tensor::EmptyOp::create(b, loc, sizes, b.getF32Type());
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx), d3 = getAffineDimExpr(3, ctx);
  SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {d0, d1, d3, d2}, ctx),
                                 AffineMap::getMultiDimIdentityMap(4, ctx)};
  SmallVector<utils::IteratorType> parallel(4, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, init.getType(), keys, init, maps, parallel,
             [&](OpBuilder &nested, Location l, ValueRange args) {
               Value x = args[0];
               if (!x.getType().isF32())
                 x = arith::ExtFOp::create(nested, l, nested.getF32Type(), x);
               linalg::YieldOp::create(nested, l, x);
             })
      .getResult(0);
}

namespace {
struct ConvertAttnTileToVectorPass
    : public attn::impl::ConvertAttnTileToVectorBase<
          ConvertAttnTileToVectorPass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorWidth != 4 && vectorWidth != 8 && vectorWidth != 16) {
      getOperation().emitError("convert-attn-tile-to-vector: vector-width "
                               "must be 4, 8 or 16, got ")
          << static_cast<int64_t>(vectorWidth);
      return signalPassFailure();
    }
    blocking = vectorWidth == 16 ? Blocking{4, 4} : Blocking{3, 4};
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<LoadOp, ScoresOp, MaskOp, OnlineUpdateOp, AccumulateOp>(op))
        ops.push_back(op);
    });
    // Scores first: they decide which key loads die.
    for (Operation *op : ops)
      if (auto scores = dyn_cast<ScoresOp>(op))
        lowerScores(scores);
    for (Operation *op : ops) {
      if (isa<ScoresOp>(op))
        continue;
      if (auto load = dyn_cast<LoadOp>(op)) {
        if (load->use_empty()) {
          load.erase();
          continue;
        }
        if (lanesDivide(load.getResult(), /*d=*/-1) &&
            isa<FloatType>(getElementTypeOrSelf(load.getSource().getType())))
          replace(op, {lowerLoad(load, vectorWidth)});
      } else if (auto mask = dyn_cast<MaskOp>(op)) {
        if (isLaneMaskOp(mask))
          replace(op, {lowerMask(mask, vectorWidth)});
      } else if (auto update = dyn_cast<OnlineUpdateOp>(op)) {
        if (lanesDivide(update.getScores(), 1))
          replace(op, lowerOnlineUpdate(update, vectorWidth));
      } else if (auto acc = dyn_cast<AccumulateOp>(op)) {
        if (staticDim(acc.getWeights(), 0) != ShapedType::kDynamic &&
            staticDim(acc.getWeights(), 1) != ShapedType::kDynamic)
          replace(op, {lowerAccumulate(acc, vectorWidth, blocking)});
      }
    }
  }

private:
  /// Static tile rows, and a static dimension `d` that whole vectors
  /// divide (d = -1: rows only).
  bool lanesDivide(Value tile, int64_t d) {
    if (staticDim(tile, 0) == ShapedType::kDynamic)
      return false;
    if (d < 0)
      return true;
    int64_t size = staticDim(tile, d);
    return size != ShapedType::kDynamic && size % vectorWidth == 0;
  }

  bool isLaneMaskOp(MaskOp mask) {
    return lanesDivide(mask.getScores(), 1) && mask.getMask() &&
           mask.getMaskFn().empty() && !mask.getQSegmentIds() &&
           !mask.getBlockLayout() && mask.getCaptures().empty() &&
           codegen::isLaneMask(*mask.getMask());
  }

  void lowerScores(ScoresOp op) {
    if (!lanesDivide(op.getResult(), 1))
      return;
    int64_t tq = staticDim(op.getResult(), 0);
    auto key = op.getKey().getDefiningOp<LoadOp>();
    // Keys read at a key loop's tile start (never negative, never past the
    // transposed keys' start) may come from the transposed copy.
    auto start = key ? dyn_cast<BlockArgument>(key.getRow()) : BlockArgument();
    bool keyLoopTile = start && start.getArgNumber() == 0 &&
                       isa<ForKeyTilesOp>(start.getOwner()->getParentOp());
    if (tq < vectorWidth || !keyLoopTile) {
      replace(op, {scoresFromRowDots(op, vectorWidth)});
      return;
    }
    Value keysT = transposedKeys(key.getSource());
    replace(op, {scoresFromTransposedKeys(op, key, keysT, vectorWidth,
                                          blocking)});
  }

  /// One transposed copy per key operand, where the operand is defined.
  Value transposedKeys(Value keys) {
    Value &t = transposed[keys];
    if (t)
      return t;
    OpBuilder b(keys.getContext());
    if (Operation *def = keys.getDefiningOp())
      b.setInsertionPointAfter(def);
    else
      b.setInsertionPointToStart(cast<BlockArgument>(keys).getOwner());
    t = transposeKeys(b, keys.getLoc(), keys);
    return t;
  }

  static void replace(Operation *op, ArrayRef<Value> values) {
    op->replaceAllUsesWith(values);
    op->erase();
  }

  Blocking blocking{4, 4};
  llvm::DenseMap<Value, Value> transposed;
};
} // namespace
