//===- BF16DotToVector.cpp - vdpbf16ps kernels of the tile program --------===//
//
// See BF16DotToVector.h for the layouts. The kernels have the f32 kernels'
// register blocking (rows x vectors accumulators); a step consumes a pair
// of the reduction dimension, so they take half the f32 kernels' steps.
//
//===----------------------------------------------------------------------===//

#include "BF16DotToVector.h"

#include "QuantizedToVector.h"

#include "attn/Conversion/AttnCodegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/IR/AffineMap.h"

using namespace mlir;
using namespace attn;
using namespace attn::tile;
using codegen::ScalarEmitter;

static bool isBF16(Value shaped) {
  return getElementTypeOrSelf(shaped.getType()).isBF16();
}

/// Two bf16 bit patterns (i16) as one i32 word, `lo` in the low half (the
/// layout of a pair in a vector of bf16: element 2i is the low half of
/// 32-bit lane i).
static Value pairWord(OpBuilder &b, Location loc, Value lo, Value hi) {
  Type i32 = b.getI32Type();
  Value high = arith::ShLIOp::create(
      b, loc, arith::ExtUIOp::create(b, loc, i32, hi),
      arith::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(16)));
  return arith::OrIOp::create(b, loc, arith::ExtUIOp::create(b, loc, i32, lo),
                              high);
}

/// The bf16 bits (i16) of channel `x` of row `row` of `source` (indices
/// `prefix`, then row and channel; bf16, or f32 rounded to bf16), 0 past
/// `depth`. Selected as integers: without avx512bf16, LLVM legalizes a
/// bf16 select or shuffle through f32 and back (__truncsfbf2 calls).
static Value channelBitsOrZero(OpBuilder &b, Location loc, Value source,
                               ValueRange prefix, Value row, Value x,
                               Value depth) {
  ScalarEmitter e(b, loc);
  Value inside = e.cmp(arith::CmpIPredicate::slt, x, depth);
  SmallVector<Value> at(prefix);
  at.append({row, e.minsi(x, e.subi(depth, e.idx(1)))});
  Value v = tensor::ExtractOp::create(b, loc, source, at);
  if (!v.getType().isBF16())
    v = arith::TruncFOp::create(b, loc, b.getBF16Type(), v);
  Type i16 = b.getI16Type();
  Value bits = arith::BitcastOp::create(b, loc, i16, v);
  return e.select(inside, bits,
                  arith::ConstantOp::create(b, loc, i16, b.getI16IntegerAttr(0)));
}

//===----------------------------------------------------------------------===//
// Packing
//===----------------------------------------------------------------------===//

/// One head's bf16 keys as [T, Pp, tk] pair words into `init`: key tile t,
/// pair p, key jj holds (K[t tk + jj, 2p], K[t tk + jj, 2p + 1]); keys past
/// N read the last key (the score kernel masks them), channels past D read
/// 0. Scalar (one generic op): once per call, O(N D).
static Value packHead(OpBuilder &b, Location loc, Value keys, Value bi,
                      Value hi, int64_t tileKv, Value init) {
  ScalarEmitter e(b, loc);
  Value n = tensor::DimOp::create(b, loc, keys, 2);
  Value depth = tensor::DimOp::create(b, loc, keys, 3);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{}, ValueRange{init},
             ArrayRef<AffineMap>{b.getMultiDimIdentityMap(3)},
             SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
             [&](OpBuilder &, Location, ValueRange) {
               Value t = linalg::IndexOp::create(b, loc, 0);
               Value p = linalg::IndexOp::create(b, loc, 1);
               Value jj = linalg::IndexOp::create(b, loc, 2);
               Value key = e.minsi(e.addi(e.muli(t, e.idx(tileKv)), jj),
                                   e.subi(n, e.idx(1)));
               Value x = e.muli(p, e.idx(2));
               Value lo =
                   channelBitsOrZero(b, loc, keys, {bi, hi}, key, x, depth);
               Value hiv = channelBitsOrZero(b, loc, keys, {bi, hi}, key,
                                             e.addi(x, e.idx(1)), depth);
               linalg::YieldOp::create(b, loc, pairWord(b, loc, lo, hiv));
             })
      .getResult(0);
}

/// The pair words of a bf16 key operand, [B, H, ceil(N / tk), Pp, tk],
/// one (batch, head) per work item.
static Value packKeys(OpBuilder &b, Location loc, Value keys, int64_t width,
                      int64_t tileKv) {
  ScalarEmitter e(b, loc);
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, keys);
  Value n = tensor::DimOp::create(b, loc, keys, 2);
  Value depth = tensor::DimOp::create(b, loc, keys, 3);
  Value tiles = arith::CeilDivUIOp::create(b, loc, n, e.idx(tileKv));
  Value pairs = arith::CeilDivUIOp::create(b, loc, depth, e.idx(2));
  Value paddedPairs = e.muli(
      arith::CeilDivUIOp::create(b, loc, pairs, e.idx(width)), e.idx(width));
  Value init = tensor::EmptyOp::create(
      b, loc,
      ArrayRef<OpFoldResult>{sizes[0], sizes[1], tiles, paddedPairs,
                             b.getIndexAttr(tileKv)},
      b.getI32Type());
  return forEachHead(
      b, loc, sizes[0], sizes[1], init,
      [&](Value bi, Value hi, ValueRange heads) -> SmallVector<Value> {
        return {packHead(b, loc, keys, bi, hi, tileKv, heads[0])};
      })[0];
}

Value BF16DotLowering::packedKeys(Value source, int64_t tileKv) {
  Value &packed = keys[{source, tileKv}];
  if (!packed) {
    OpBuilder b(source.getContext());
    setInsertionAfterDefinition(b, source);
    packed = packKeys(b, source.getLoc(), source, width, tileKv);
  }
  return packed;
}

/// The query tile [tq, D] (f32 holding bf16 values: exact) as [tq, Pp]
/// pair words, where the tile is defined (once per query tile, not per key
/// tile).
Value BF16DotLowering::packedQuery(Value query) {
  Value &packed = queries[query];
  if (packed)
    return packed;
  OpBuilder b(query.getContext());
  setInsertionAfterDefinition(b, query);
  Location loc = query.getLoc();
  ScalarEmitter e(b, loc);
  int64_t tq = staticDim(query, 0);
  Value depth = tensor::DimOp::create(b, loc, query, 1);
  Value pairs = arith::CeilDivUIOp::create(b, loc, depth, e.idx(2));
  Value paddedPairs = e.muli(
      arith::CeilDivUIOp::create(b, loc, pairs, e.idx(width)), e.idx(width));
  Value init = tensor::EmptyOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(tq), paddedPairs},
      b.getI32Type());
  packed = linalg::GenericOp::create(
               b, loc, init.getType(), ValueRange{}, ValueRange{init},
               ArrayRef<AffineMap>{b.getMultiDimIdentityMap(2)},
               SmallVector<utils::IteratorType>(2,
                                                utils::IteratorType::parallel),
               [&](OpBuilder &, Location, ValueRange) {
                 Value i = linalg::IndexOp::create(b, loc, 0);
                 Value x = e.muli(linalg::IndexOp::create(b, loc, 1), e.idx(2));
                 Value lo = channelBitsOrZero(b, loc, query, {}, i, x, depth);
                 Value hi = channelBitsOrZero(b, loc, query, {}, i,
                                              e.addi(x, e.idx(1)), depth);
                 linalg::YieldOp::create(b, loc, pairWord(b, loc, lo, hi));
               })
               .getResult(0);
  return packed;
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

namespace {
/// Vector code on tensors for `width` f32 lanes, bf16 pairs as i32 words.
struct PairEmitter {
  PairEmitter(Operation *op, int64_t width)
      : b(op), loc(op->getLoc()), e(b, loc), width(width) {}

  VectorType words() { return VectorType::get({width}, b.getI32Type()); }
  VectorType pairs() { return VectorType::get({2 * width}, b.getBF16Type()); }
  VectorType floats() { return VectorType::get({width}, b.getF32Type()); }
  Value zeros() {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(floats(), b.getF32FloatAttr(0.0)));
  }
  /// The pair word at `indices` of `words` in every lane.
  Value broadcastPair(Value source, ValueRange indices) {
    Value word = tensor::ExtractOp::create(b, loc, source, indices);
    return vector::BitCastOp::create(
        b, loc, pairs(), vector::BroadcastOp::create(b, loc, words(), word));
  }
  /// `width` pair words along the last dimension of `source` at `indices`
  /// (lanes past `mask`'s read 0, none without a mask).
  Value readPairs(Value source, ValueRange indices, Value mask = {}) {
    Value pad = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
    auto rank = cast<ShapedType>(source.getType()).getRank();
    Value v =
        mask ? vector::TransferReadOp::create(
                   b, loc, words(), source, indices,
                   AffineMap::getMinorIdentityMap(rank, 1, b.getContext()),
                   pad, mask, b.getBoolArrayAttr({true}))
                   .getResult()
             : vector::TransferReadOp::create(b, loc, words(), source, indices,
                                              pad, ArrayRef<bool>{true})
                   .getResult();
    return vector::BitCastOp::create(b, loc, pairs(), v);
  }
  Value dot(Value acc, Value a, Value c) {
    return x86vector::DotBF16Op::create(b, loc, acc, a, c);
  }
  Value loop(Value lb, Value ub, ValueRange inits,
             function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    return loopAll(lb, ub, inits, body)[0];
  }
  ValueRange loopAll(Value lb, Value ub, ValueRange inits,
                     function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    return scf::ForOp::create(b, loc, lb, ub, e.idx(1), inits,
                              [&](OpBuilder &, Location, Value iv,
                                  ValueRange iter) {
                                scf::YieldOp::create(b, loc, body(iv, iter));
                              })
        .getResults();
  }

  OpBuilder b;
  Location loc;
  ScalarEmitter e;
  int64_t width;
};
} // namespace

/// rows x count accumulators over `steps` pair steps: acc[r][c] =
/// dot(acc[r][c], rowPair(r, step), columnPair(c, step)).
static SmallVector<Value>
pairSteps(PairEmitter &v, ArrayRef<Value> init, int64_t rows, int64_t count,
          Value steps, function_ref<Value(int64_t, Value)> rowPair,
          function_ref<Value(int64_t, Value)> columnPair) {
  ValueRange sums = v.loopAll(
      v.e.idx(0), steps, init, [&](Value p, ValueRange acc) {
        SmallVector<Value> next(acc);
        SmallVector<Value> broadcasts;
        for (int64_t r = 0; r < rows; ++r)
          broadcasts.push_back(rowPair(r, p));
        for (int64_t c = 0; c < count; ++c) {
          Value column = columnPair(c, p);
          for (int64_t r = 0; r < rows; ++r)
            next[r * count + c] =
                v.dot(next[r * count + c], broadcasts[r], column);
        }
        return next;
      });
  return SmallVector<Value>(sums);
}

bool BF16DotLowering::lowerScores(ScoresOp op) {
  auto key = op.getKey().getDefiningOp<LoadOp>();
  auto query = op.getQuery().getDefiningOp<LoadOp>();
  int64_t tq = staticDim(op.getResult(), 0), tk = staticDim(op.getResult(), 1);
  if (!key || !query || !isBF16(key.getSource()) ||
      !isBF16(query.getSource()) || !isKeyLoopTile(key) ||
      tq == ShapedType::kDynamic || tk == ShapedType::kDynamic ||
      tk % width != 0 || tk != static_cast<int64_t>(keyLoopOf(key).getTileKv()))
    return false;
  Value packed = packedKeys(key.getSource(), tk);
  Value qPairs = packedQuery(op.getQuery());
  PairEmitter v(op, width);
  ScalarEmitter &e = v.e;
  Value scale = vector::BroadcastOp::create(v.b, v.loc, v.floats(),
                                            op.getScale());
  Value depth = tensor::DimOp::create(v.b, v.loc, op.getQuery(), 1);
  Value steps = arith::CeilDivUIOp::create(v.b, v.loc, depth, e.idx(2));
  Value keysEnd = tensor::DimOp::create(v.b, v.loc, key.getSource(), 2);
  Value tile = e.floordiv(key.getRow(), e.idx(tk));
  Value s = tensor::EmptyOp::create(v.b, v.loc, ArrayRef<int64_t>{tq, tk},
                                    v.b.getF32Type());
  int64_t keyVectors = tk / width;
  Value result = overlappingRowBlocks(
      v.b, v.loc, tq, rows, s, [&](Value i0, int64_t blockRows, Value acc) {
        for (int64_t g = 0; g < keyVectors; g += vectors) {
          int64_t count = std::min(vectors, keyVectors - g);
          SmallVector<Value> columns, masks;
          for (int64_t c = 0; c < count; ++c) {
            columns.push_back(e.idx((g + c) * width));
            // Packed lanes of keys past N were never written.
            masks.push_back(vector::CreateMaskOp::create(
                v.b, v.loc, VectorType::get({width}, v.b.getI1Type()),
                ValueRange{e.subi(keysEnd,
                                  e.addi(key.getRow(), columns.back()))}));
          }
          SmallVector<Value> init(blockRows * count, v.zeros());
          SmallVector<Value> sums = pairSteps(
              v, init, blockRows, count, steps,
              [&](int64_t r, Value p) {
                return v.broadcastPair(qPairs, {e.addi(i0, e.idx(r)), p});
              },
              [&](int64_t c, Value p) {
                return v.readPairs(packed,
                                   {key.getBatch(), key.getHead(), tile, p,
                                    columns[c]},
                                   masks[c]);
              });
          for (int64_t r = 0; r < blockRows; ++r)
            for (int64_t c = 0; c < count; ++c)
              acc = vector::TransferWriteOp::create(
                        v.b, v.loc,
                        arith::MulFOp::create(v.b, v.loc, sums[r * count + c],
                                              scale),
                        acc, ValueRange{e.addi(i0, e.idx(r)), columns[c]},
                        ArrayRef<bool>{true})
                        .getResult();
        }
        return acc;
      });
  op.getResult().replaceAllUsesWith(result);
  op.erase();
  return true;
}

bool BF16DotLowering::takesAccumulate(AccumulateOp op) const {
  // P is rounded to bf16: softmax weights lie in [0, 1], so the rounding
  // costs a relative 2^-9 per weight; other weights (pointwise and affine
  // normalizations, weight_mod) can be large or cancel in the sum, and keep
  // the f32 kernel.
  auto update = op.getWeights().getDefiningOp<OnlineUpdateOp>();
  if (!update || !isSoftmax(update.getNormalizationAttr()))
    return false;
  auto load = op.getValue().getDefiningOp<LoadOp>();
  int64_t tq = staticDim(op.getWeights(), 0),
          tk = staticDim(op.getWeights(), 1);
  return load && isBF16(load.getSource()) && isKeyLoopTile(load) &&
         !op.getLowerTriangular() && tq != ShapedType::kDynamic &&
         tk != ShapedType::kDynamic && tk % (2 * width) == 0;
}

/// The weights [tq, tk] rounded to bf16 as [tq, tk / 2] pair words (P[i,
/// 2m], P[i, 2m + 1]), by vectors: two f32 vectors per 2 * width weights.
static Value packWeights(PairEmitter &v, Value weights) {
  ScalarEmitter &e = v.e;
  int64_t tq = staticDim(weights, 0), tk = staticDim(weights, 1);
  OpBuilder &b = v.b;
  auto halves = VectorType::get({v.width}, b.getBF16Type());
  auto concat = llvm::to_vector(llvm::seq<int64_t>(0, 2 * v.width));
  Value init = tensor::EmptyOp::create(b, v.loc, ArrayRef<int64_t>{tq, tk / 2},
                                       b.getI32Type());
  Value pad = arith::ConstantOp::create(b, v.loc, b.getF32FloatAttr(0.0));
  return v.loop(e.idx(0), e.idx(tq), init, [&](Value i, ValueRange iter) {
    Value out = iter[0];
    for (int64_t j0 = 0; j0 < tk; j0 += 2 * v.width) {
      auto half = [&](int64_t j) -> Value {
        Value f = vector::TransferReadOp::create(
            b, v.loc, v.floats(), weights, ValueRange{i, e.idx(j)}, pad,
            ArrayRef<bool>{true});
        return vector::BitCastOp::create(
            b, v.loc, VectorType::get({v.width}, b.getI16Type()),
            arith::TruncFOp::create(b, v.loc, halves, f));
      };
      // Concatenated as i16 (see channelBitsOrZero).
      Value both = vector::ShuffleOp::create(b, v.loc, half(j0),
                                             half(j0 + v.width), concat);
      Value words = vector::BitCastOp::create(b, v.loc, v.words(), both);
      out = vector::TransferWriteOp::create(b, v.loc, words, out,
                                            ValueRange{i, e.idx(j0 / 2)},
                                            ArrayRef<bool>{true})
                .getResult();
    }
    return SmallVector<Value>{out};
  });
}

Value BF16DotLowering::accumulate(AccumulateOp op) {
  PairEmitter v(op, width);
  ScalarEmitter &e = v.e;
  OpBuilder &b = v.b;
  auto load = op.getValue().getDefiningOp<LoadOp>();
  Value source = load.getSource();
  Value acc = op.getAcc(), alpha = op.getAlpha();
  int64_t tq = staticDim(op.getWeights(), 0);
  Value pPairs = packWeights(v, op.getWeights());
  // Value rows [first, first + count): the rows inside the sequence; the
  // pair (count - 1, count) of an odd count reads row count - 1 twice,
  // its second weight is 0.
  Value first = load.getRow();
  Value last = e.subi(tensor::DimOp::create(b, v.loc, source, 2), e.idx(1));
  Value count = e.maxsi(
      e.minsi(e.subi(e.addi(last, e.idx(1)), first),
              e.idx(staticDim(op.getWeights(), 1))),
      e.idx(0));
  Value steps = arith::CeilDivUIOp::create(b, v.loc, count, e.idx(2));
  Value cols = tensor::DimOp::create(b, v.loc, acc, 1);
  auto halves = VectorType::get({width}, b.getBF16Type());
  auto halfBits = VectorType::get({width}, b.getI16Type());
  SmallVector<int64_t> interleave;
  for (int64_t x = 0; x < width; ++x)
    interleave.append({x, width + x});
  Value bf16Pad =
      arith::ConstantOp::create(b, v.loc, b.getZeroAttr(b.getBF16Type()));
  Value zeroBits = arith::ConstantOp::create(
      b, v.loc, DenseElementsAttr::get(halfBits, b.getI16IntegerAttr(0)));
  // (V[2m, c], V[2m + 1, c]) for `width` channels from c0, selected and
  // interleaved as i16 (see channelBitsOrZero).
  auto valuePairs = [&](Value m, Value c0, Value mask) -> Value {
    Value row = e.addi(first, e.muli(m, e.idx(2)));
    auto read = [&](Value r) -> Value {
      SmallVector<Value> at = {load.getBatch(), load.getHead(),
                               e.minsi(r, last), c0};
      Value x =
          mask ? vector::TransferReadOp::create(
                     b, v.loc, halves, source, at,
                     AffineMap::getMinorIdentityMap(4, 1, b.getContext()),
                     bf16Pad, mask, b.getBoolArrayAttr({true}))
                     .getResult()
               : vector::TransferReadOp::create(b, v.loc, halves, source, at,
                                                bf16Pad, ArrayRef<bool>{true})
                     .getResult();
      return vector::BitCastOp::create(b, v.loc, halfBits, x);
    };
    // The second row of the last pair of an odd count is past the rows:
    // zeros (its weight is 0, and 0 * inf would be NaN).
    Value next = e.addi(row, e.idx(1));
    Value second = arith::SelectOp::create(
        b, v.loc, e.cmp(arith::CmpIPredicate::slt, next, e.addi(first, count)),
        read(next), zeroBits);
    Value bits =
        vector::ShuffleOp::create(b, v.loc, read(row), second, interleave);
    return vector::BitCastOp::create(b, v.loc, v.pairs(), bits);
  };
  // One pass: `count` vectors of columns from c0 for rows [i0, i0 + rows).
  auto pass = [&](Value i0, int64_t blockRows, Value c0, int64_t vecs,
                  Value mask, Value out) -> Value {
    SmallVector<Value> init;
    for (int64_t r = 0; r < blockRows; ++r) {
      Value row = e.addi(i0, e.idx(r));
      Value scale =
          alpha ? vector::BroadcastOp::create(
                      b, v.loc, v.floats(),
                      tensor::ExtractOp::create(b, v.loc, alpha, row))
                      .getResult()
                : Value();
      for (int64_t c = 0; c < vecs; ++c) {
        SmallVector<Value> at = {row, e.addi(c0, e.idx(c * width))};
        Value pad = arith::ConstantOp::create(b, v.loc, b.getF32FloatAttr(0.0));
        Value x =
            mask ? vector::TransferReadOp::create(
                       b, v.loc, v.floats(), out, at,
                       AffineMap::getMinorIdentityMap(2, 1, b.getContext()),
                       pad, mask, b.getBoolArrayAttr({true}))
                       .getResult()
                 : vector::TransferReadOp::create(b, v.loc, v.floats(), out,
                                                  at, pad, ArrayRef<bool>{true})
                       .getResult();
        init.push_back(scale ? arith::MulFOp::create(b, v.loc, x, scale)
                             : x);
      }
    }
    SmallVector<Value> sums = pairSteps(
        v, init, blockRows, vecs, steps,
        [&](int64_t r, Value m) {
          return v.broadcastPair(pPairs, {e.addi(i0, e.idx(r)), m});
        },
        [&](int64_t c, Value m) {
          return valuePairs(m, e.addi(c0, e.idx(c * width)), mask);
        });
    for (int64_t r = 0; r < blockRows; ++r)
      for (int64_t c = 0; c < vecs; ++c) {
        SmallVector<Value> at = {e.addi(i0, e.idx(r)),
                                 e.addi(c0, e.idx(c * width))};
        out = mask ? vector::TransferWriteOp::create(
                         b, v.loc, sums[r * vecs + c], out, at,
                         AffineMapAttr::get(AffineMap::getMinorIdentityMap(
                             2, 1, b.getContext())),
                         mask, b.getBoolArrayAttr({true}))
                         .getResult()
                   : vector::TransferWriteOp::create(b, v.loc,
                                                     sums[r * vecs + c], out,
                                                     at, ArrayRef<bool>{true})
                         .getResult();
      }
    return out;
  };
  int64_t group = vectors * width;
  return rowBlocks(b, v.loc, tq, rows, acc, [&](Value i0, int64_t blockRows,
                                                Value out) -> Value {
    Value whole = e.muli(e.floordiv(cols, e.idx(group)), e.idx(group));
    out = scf::ForOp::create(
              b, v.loc, e.idx(0), whole, e.idx(group), ValueRange{out},
              [&](OpBuilder &, Location, Value c0, ValueRange iter) {
                scf::YieldOp::create(
                    b, v.loc,
                    pass(i0, blockRows, c0, vectors, Value(), iter[0]));
              })
              .getResult(0);
    return scf::ForOp::create(
               b, v.loc, whole, cols, e.idx(width), ValueRange{out},
               [&](OpBuilder &, Location, Value c0, ValueRange iter) {
                 Value mask = vector::CreateMaskOp::create(
                     b, v.loc, VectorType::get({width}, b.getI1Type()),
                     ValueRange{e.subi(cols, c0)});
                 scf::YieldOp::create(
                     b, v.loc, pass(i0, blockRows, c0, 1, mask, iter[0]));
               })
        .getResult(0);
  });
}
