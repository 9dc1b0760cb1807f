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
// packs every key operand once per call, before the work items, by key
// tiles with the head dimension first ([B, H, N, D] -> [B, H, ceil(N /
// tile_kv), D, tile_kv] in f32), so every query tile of a head reads the
// same packed keys, each key tile one contiguous panel. Query tiles
// narrower than a vector (decode) take row dot products over the head
// dimension instead.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "BF16DotToVector.h"
#include "QuantizedToVector.h"

#include "attn/Conversion/AttnCodegen.h"
#include "attn/Conversion/SoftmaxMath.h"
#include "attn/Dialect/AttnTile/AttnTileDialect.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseMap.h"

#include <cmath>
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
  /// At `builder`'s insertion point.
  VectorEmitter(const OpBuilder &builder, Location loc, int64_t width)
      : b(builder), loc(loc), e(b, loc), math(b, loc), width(width) {}

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
  /// The lane indices 0, 1, ..., width - 1 as i64.
  Value laneIndices() {
    auto lanes = vectorType(b.getI64Type());
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(lanes, llvm::to_vector(llvm::map_range(
                                          llvm::seq<int64_t>(0, width),
                                          [&](int64_t x) -> Attribute {
                                            return b.getI64IntegerAttr(x);
                                          }))));
  }
  Value toI64(Value index) {
    return arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
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
  /// The lanes of a read at `index` along a dimension of `size`: a mask
  /// to compute once outside a loop that reads there repeatedly.
  Value lanesBefore(Value size, Value index) {
    return vector::CreateMaskOp::create(
        b, loc, VectorType::get({width}, b.getI1Type()),
        ValueRange{e.subi(size, index)});
  }
  /// A read of the lanes `mask` sets (the others 0), as f32.
  Value readMasked(Value source, ValueRange indices, Value mask) {
    Type element = getElementTypeOrSelf(source.getType());
    Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
    auto rank = cast<ShapedType>(source.getType()).getRank();
    Value v = vector::TransferReadOp::create(
        b, loc, vectorType(element), source, indices,
        AffineMap::getMinorIdentityMap(rank, 1, b.getContext()), pad, mask,
        b.getBoolArrayAttr({true}));
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
  /// The horizontal ADD or MAXIMUMF of `v` by a tree of halves (log2
  /// steps): LLVM lowers an f32 vector.reduction without reassociation to
  /// a serial chain of scalar adds, which the online update would pay
  /// for every row of every tile.
  Value reduce(vector::CombiningKind kind, Value v) {
    auto type = cast<VectorType>(v.getType());
    for (int64_t n = type.getDimSize(0); n > 1; n /= 2) {
      auto half = [&](int64_t offset) -> Value {
        return vector::ExtractStridedSliceOp::create(b, loc, v, {offset},
                                                     {n / 2}, {1});
      };
      Value lo = half(0), hi = half(n / 2);
      v = kind == vector::CombiningKind::ADD
              ? Value(arith::AddFOp::create(b, loc, lo, hi))
              : Value(arith::MaximumFOp::create(b, loc, lo, hi));
    }
    return vector::ExtractOp::create(b, loc, v, ArrayRef<int64_t>{0});
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

  /// Whole blocks that may overlap (attn::tile::overlappingRowBlocks).
  Value overlappingRowBlocks(
      int64_t rows, int64_t block, Value init,
      function_ref<Value(Value row, int64_t count, Value)> body) {
    return attn::tile::overlappingRowBlocks(b, loc, rows, block, init, body);
  }

  /// The same over a dynamic count of rows: whole blocks, then the rest
  /// one row at a time.
  Value rowBlocks(Value rows, int64_t block, Value init,
                  function_ref<Value(Value row, int64_t count, Value)> body) {
    Value whole = e.muli(e.floordiv(rows, e.idx(block)), e.idx(block));
    Value acc = loop(e.idx(0), whole, block, init,
                     [&](Value row, ValueRange iter) -> SmallVector<Value> {
                       return {body(row, block, iter[0])};
                     })[0];
    return loop(whole, rows, 1, acc,
                [&](Value row, ValueRange iter) -> SmallVector<Value> {
                  return {body(row, 1, iter[0])};
                })[0];
  }

  OpBuilder b;
  Location loc;
  ScalarEmitter e;
  SoftmaxMath math;
  int64_t width;
};

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

/// attn_tile.gather_rows of whole rows (a 4-D or 2-D source): per tile row,
/// the source row its index names copied by vectors along the last
/// dimension; rows past `count` are 0.
static Value lowerGatherRows(GatherRowsOp op, int64_t width) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  Value source = op.getSource();
  int64_t rank = cast<ShapedType>(source.getType()).getRank();
  Value depth = v.dim(source, rank - 1);
  int64_t rows = staticDim(op.getResult(), 0);
  int64_t staticDepth = staticDim(op.getResult(), 1);
  Value tile =
      v.empty({v.b.getIndexAttr(rows), staticDepth == ShapedType::kDynamic
                                           ? OpFoldResult(depth)
                                           : v.b.getIndexAttr(staticDepth)});
  Value zero = v.splat(0.0);
  // Rows [0, valid) are gathered, [valid, rows) are padding.
  Value valid = e.maxsi(
      e.minsi(e.subi(op.getCount(), op.getStart()), e.idx(rows)), e.idx(0));
  auto copyRows = [&](Value lb, Value ub, Value init, bool gather) {
    return v.loop(
        lb, ub, 1, init, [&](Value r, ValueRange iter) -> SmallVector<Value> {
          Value row;
          if (gather)
            row = v.extract(op.getRows(), {e.addi(op.getStart(), r)});
          return v.loop(
              e.idx(0), depth, width, iter[0],
              [&](Value d, ValueRange it) -> SmallVector<Value> {
                Value x = zero;
                if (gather)
                  x = rank == 4
                          ? v.read(source,
                                   {op.getBatch(), op.getHead(), row, d}, true)
                          : v.read(source, {row, d}, true);
                return {v.write(x, it[0], {r, d}, true)};
              });
        })[0];
  };
  tile = copyRows(e.idx(0), valid, tile, /*gather=*/true);
  return copyRows(valid, e.idx(rows), tile, /*gather=*/false);
}

/// attn_tile.scatter_rows of whole rows (2-D): per gathered row, the tile
/// row written back by vectors to the row its index names.
static Value lowerScatterRows(ScatterRowsOp op, int64_t width) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  Value tile = op.getTile();
  Value depth = v.dim(tile, 1);
  int64_t rows = staticDim(tile, 0);
  Value valid = e.maxsi(
      e.minsi(e.subi(op.getCount(), op.getStart()), e.idx(rows)), e.idx(0));
  return v.loop(
      e.idx(0), valid, 1, op.getDest(),
      [&](Value r, ValueRange iter) -> SmallVector<Value> {
        Value row = v.extract(op.getRows(), {e.addi(op.getStart(), r)});
        return v.loop(e.idx(0), depth, width, iter[0],
                      [&](Value d, ValueRange it) -> SmallVector<Value> {
                        return {v.write(v.read(tile, {r, d}, true), it[0],
                                        {row, d}, true)};
                      });
      })[0];
}

//===----------------------------------------------------------------------===//
// Q K^T
//===----------------------------------------------------------------------===//

/// One block of the score tile against the packed keys (see packKeys):
/// S[i, j] = sum_d Q[i, d] KP[b, h, tile, d, j], `rows` x `columns.size()`
/// accumulators over the head dimension, key vectors of the tile's panel
/// against broadcast query elements. With `masks`, keys past the sequence
/// end read 0 (the mask drops them later).
static SmallVector<Value> packedKeysBlock(VectorEmitter &v, ScoresOp op,
                                          LoadOp key, Value packed, Value tile,
                                          Value i0, int64_t rows,
                                          ArrayRef<Value> columns,
                                          ArrayRef<Value> masks) {
  ScalarEmitter &e = v.e;
  Value q = op.getQuery();
  int64_t count = columns.size();
  SmallVector<Value> init(rows * count, v.splat(0.0));
  return v.loop(e.idx(0), v.dim(q, 1), 1, init,
                [&](Value d, ValueRange iter) -> SmallVector<Value> {
                  return outerProductStep(
                      v, iter, rows, count,
                      [&](int64_t r) {
                        return v.extract(q, {e.addi(i0, e.idx(r)), d});
                      },
                      [&](int64_t c) {
                        SmallVector<Value> at = {key.getBatch(), key.getHead(),
                                                 tile, d, columns[c]};
                        return masks.empty()
                                   ? v.read(packed, at, true)
                                   : v.readMasked(packed, at, masks[c]);
                      });
                });
}

/// The score tile against the packed keys, by register blocks. Key
/// vectors inside the sequence take the block without lane masks (a
/// branch per block, on vectors): the masks would cost a compare per key
/// vector and head-dimension step (LLVM rematerializes them there, with 24
/// accumulators no register is left to keep them in) and spills. Only the
/// last key tile of a sequence masks.
static Value scoresFromPackedKeys(ScoresOp op, LoadOp key, Value packed,
                                  int64_t width, Blocking blocking) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  int64_t tq = staticDim(op.getResult(), 0), tk = staticDim(op.getResult(), 1);
  Value scale = v.broadcast(op.getScale());
  Value s = v.empty({v.b.getIndexAttr(tq), v.b.getIndexAttr(tk)});
  Value keys = v.dim(key.getSource(), 2);
  // Key tiles start at multiples of tk (attn_tile.for_key_tiles).
  Value tile = e.floordiv(key.getRow(), e.idx(tk));
  int64_t keyVectors = tk / width;
  // Each entry is written once per block that covers its row, always with
  // the same value (the same FMA order): blocks may overlap.
  return v.overlappingRowBlocks(
      tq, blocking.rows, s, [&](Value i0, int64_t rows, Value acc) {
        for (int64_t g = 0; g < keyVectors; g += blocking.vectors) {
          int64_t count = std::min(blocking.vectors, keyVectors - g);
          SmallVector<Value> starts, columns;
          for (int64_t c = 0; c < count; ++c) {
            columns.push_back(e.idx((g + c) * width));
            starts.push_back(e.addi(key.getRow(), columns.back()));
          }
          Value inside = e.cmp(arith::CmpIPredicate::sle,
                               e.addi(starts.back(), e.idx(width)), keys);
          SmallVector<Type> types(rows * count, v.vectorType());
          auto block = scf::IfOp::create(v.b, v.loc, types, inside,
                                         /*withElseRegion=*/true);
          {
            OpBuilder::InsertionGuard guard(v.b);
            v.b.setInsertionPointToStart(&block.getThenRegion().front());
            scf::YieldOp::create(v.b, v.loc,
                                 packedKeysBlock(v, op, key, packed, tile, i0,
                                                 rows, columns, {}));
            v.b.setInsertionPointToStart(&block.getElseRegion().front());
            SmallVector<Value> masks;
            for (Value start : starts)
              masks.push_back(v.lanesBefore(keys, start));
            scf::YieldOp::create(v.b, v.loc,
                                 packedKeysBlock(v, op, key, packed, tile, i0,
                                                 rows, columns, masks));
          }
          ValueRange sums = block.getResults();
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < count; ++c) {
              Value scaled =
                  arith::MulFOp::create(v.b, v.loc, sums[r * count + c], scale);
              acc =
                  v.write(scaled, acc,
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

/// A region with a body (region operands of attn_tile ops are optional).
static bool hasRegion(Region &region) {
  return !region.empty() && !region.front().empty();
}

/// Partial tiles: per row, lanes of keys against the row's aligned query
/// position (the mask attribute's closed form) and the mask_fn region on
/// lanes; full tiles pass unchanged.
static Value lowerMask(MaskOp op, int64_t width) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  OpBuilder &b = v.b;
  Location loc = v.loc;
  Value s = op.getScores();
  int64_t tq = staticDim(s, 0), tk = staticDim(s, 1);
  auto toI64 = [&](Value index) { return v.toI64(index); };
  Value iota = v.laneIndices();
  auto ifPartial = scf::IfOp::create(
      b, loc, op.getPartial(),
      [&](OpBuilder &, Location) {
        Value nq = op.getQueryLength(), nk = op.getKeyLength();
        Value nkLanes = v.broadcast(toI64(nk));
        Value shift = e.subi(nk, nq);
        Value lastQuery = e.subi(nq, e.idx(1));
        auto indexLanes = VectorType::get({width}, b.getIndexType());
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
                    rowInside, arith::CmpIOp::create(
                                   b, loc, arith::CmpIPredicate::slt, j, nkLanes));
                if (op.getMask())
                  keep = e.andi(keep,
                                codegen::laneMask(b, loc, *op.getMask(), p, j));
                if (hasRegion(op.getMaskFn())) {
                  // Arguments (b, h, i, j) as the portable form binds them
                  // for kept pairs.
                  Value keys = arith::IndexCastOp::create(b, loc, indexLanes, j);
                  Value fn = codegen::inlineRegionOnLanes(
                      b, op.getMaskFn(),
                      {op.getBatch(), op.getHead(), e.minsi(query, lastQuery),
                       keys},
                      op.getCaptures(), nq, nk, width);
                  if (!isa<VectorType>(fn.getType()))
                    fn = v.broadcast(fn);
                  keep = e.andi(keep, fn);
                }
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
// Score modifications
//===----------------------------------------------------------------------===//

/// What lowerModify takes: softcap, ALiBi and a score_mod region whose ops
/// on the score and the key index are elementwise (captures read at the
/// batch, head and query only). A bias operand (read per element) and
/// other regions stay for the portable lowering.
static bool isLaneModifyOp(ModifyOp op) {
  if (op.getBias())
    return false;
  Region &region = op.getScoreMod();
  if (!hasRegion(region))
    return op.getScoreModsAttr() != nullptr;
  // Arguments (s, b, h, i, j): the score and the key vary across lanes.
  return codegen::isLaneRegion(region, {true, false, false, false, true});
}

/// The score modifications of kept entries on key vectors, in the order of
/// `score_mods`: softcap c * tanh(s / c); ALiBi s - slope * |p - j| with
/// the distance in i64 lanes, converted once (as the scalar form); then the
/// score_mod region on lanes (codegen::inlineRegionOnLanes). -inf (masked)
/// and NaN entries keep their value, as the portable lowering, which skips
/// them (a region sees their lanes, but only elementwise ops on them).
static Value lowerModify(ModifyOp op, int64_t width) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  OpBuilder &b = v.b;
  Location loc = v.loc;
  Value s = op.getScores();
  int64_t tq = staticDim(s, 0), tk = staticDim(s, 1);
  ArrayRef<Attribute> mods;
  if (ArrayAttr attr = op.getScoreModsAttr())
    mods = attr.getValue();
  Value slope, iota = v.laneIndices();
  Region &region = op.getScoreMod();
  if (llvm::any_of(mods, [](Attribute m) { return isa<AlibiAttr>(m); })) {
    // The slope reads the head (and the slopes operand) only.
    codegen::PairContext head;
    head.op = op;
    head.b = op.getBatch();
    head.h = op.getHead();
    head.numHeads = op.getNumHeads();
    slope = v.broadcast(e.alibiSlope(head));
  }
  Value lastQuery = e.subi(op.getQueryLength(), e.idx(1));
  auto indexLanes = VectorType::get({width}, b.getIndexType());
  Value shift = e.subi(op.getKeyLength(), op.getQueryLength());
  return v.loop(
      e.idx(0), e.idx(tq), 1, s,
      [&](Value i, ValueRange iter) -> SmallVector<Value> {
        Value query = e.addi(op.getQuery(), i);
        Value p = e.addi(query, shift);
        Value tile = iter[0];
        for (int64_t c = 0; c < tk / width; ++c) {
          Value col = e.idx(c * width);
          Value score = v.read(tile, {i, col}, true);
          Value x = score;
          for (Attribute mod : mods) {
            if (auto cap = dyn_cast<SoftcapAttr>(mod)) {
              Value capValue = v.splat(cap.getCapValue());
              x = arith::MulFOp::create(
                  b, loc, capValue,
                  math::TanhOp::create(
                      b, loc, arith::DivFOp::create(b, loc, x, capValue)));
            } else if (isa<AlibiAttr>(mod)) {
              // p - j for the lanes' keys j = key + col + lane.
              Value first = v.toI64(e.subi(p, e.addi(op.getKey(), col)));
              Value dist = math::AbsIOp::create(
                  b, loc,
                  arith::SubIOp::create(b, loc, v.broadcast(first), iota));
              Value distF =
                  arith::SIToFPOp::create(b, loc, v.vectorType(), dist);
              x = arith::SubFOp::create(
                  b, loc, x, arith::MulFOp::create(b, loc, slope, distF));
            }
          }
          if (hasRegion(region)) {
            Value keys = arith::AddIOp::create(
                b, loc, v.broadcast(e.addi(op.getKey(), col)),
                arith::IndexCastOp::create(b, loc, indexLanes, iota));
            x = codegen::inlineRegionOnLanes(
                b, region,
                {x, op.getBatch(), op.getHead(), e.minsi(query, lastQuery),
                 keys},
                op.getCaptures(), op.getQueryLength(), op.getKeyLength(),
                width);
            if (!isa<VectorType>(x.getType()))
              x = v.broadcast(x);
          }
          Value kept = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE,
                                             score, v.splat(kNegInf));
          tile = v.write(e.select(kept, x, score), tile, {i, col}, true);
        }
        return {tile};
      })[0];
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

/// `body(r0, inBounds)` over the rows of a [rows] statistics tensor, a
/// vector of rows at a time (the last vector masked when `width` does not
/// divide `rows`), threading `inits`.
static ValueRange overRowVectors(
    VectorEmitter &v, int64_t rows, ValueRange inits,
    function_ref<SmallVector<Value>(Value r0, bool inBounds, ValueRange)>
        body) {
  bool inBounds = rows % v.width == 0;
  return v.loop(v.e.idx(0), v.e.idx(rows), v.width, inits,
                [&](Value r0, ValueRange iter) {
                  return body(r0, inBounds, iter);
                });
}

/// A pointwise normalization: weights f(s) row by row, no rescaling.
static SmallVector<Value> pointwiseUpdate(OnlineUpdateOp op, VectorEmitter &v) {
  ScalarEmitter &e = v.e;
  Value s = op.getScores();
  int64_t tq = staticDim(s, 0), tk = staticDim(s, 1);
  Value weights0 = v.empty({v.b.getIndexAttr(tq), v.b.getIndexAttr(tk)});
  ValueRange results = v.loop(
      e.idx(0), e.idx(tq), 1, {weights0, op.getSum()},
      [&](Value i, ValueRange iter) -> SmallVector<Value> {
        Value tile = iter[0], rowSum = v.splat(0.0);
        for (int64_t c = 0; c < tk / v.width; ++c) {
          Value w = e.pointwiseWeight(op.getNormalizationAttr(),
                                      v.read(s, {i, e.idx(c * v.width)}, true));
          rowSum = arith::AddFOp::create(v.b, v.loc, rowSum, w);
          tile = v.write(w, tile, {i, e.idx(c * v.width)}, true);
        }
        Value sum = arith::AddFOp::create(
            v.b, v.loc, v.extract(iter[1], {i}),
            v.reduce(vector::CombiningKind::ADD, rowSum));
        return {tile, v.insert(sum, iter[1], {i})};
      });
  Value ones = linalg::FillOp::create(v.b, v.loc, ValueRange{e.f32(1.0)},
                                      ValueRange{v.empty({v.b.getIndexAttr(tq)})})
                   .getResult(0);
  return {results[0], op.getMax(), results[1], ones};
}

/// Softmax: row maxima row by row (vector reductions), the statistics step
/// for a vector of rows at a time (its exponentials stay vector code),
/// then the weights and row sums row by row, and the new sums by row
/// vectors again.
static SmallVector<Value> softmaxUpdate(OnlineUpdateOp op, VectorEmitter &v) {
  ScalarEmitter &e = v.e;
  OpBuilder &b = v.b;
  Location loc = v.loc;
  Value s = op.getScores();
  int64_t tq = staticDim(s, 0), tk = staticDim(s, 1);
  int64_t vectors = tk / v.width;
  auto rowsTensor = [&]() { return v.empty({b.getIndexAttr(tq)}); };
  auto rowVector = [&](Value i, int64_t c) {
    return v.read(s, {i, e.idx(c * v.width)}, true);
  };

  Value tileMax = v.loop(
      e.idx(0), e.idx(tq), 1, rowsTensor(),
      [&](Value i, ValueRange iter) -> SmallVector<Value> {
        Value m = rowVector(i, 0);
        for (int64_t c = 1; c < vectors; ++c)
          m = arith::MaximumFOp::create(b, loc, m, rowVector(i, c));
        return {v.insert(v.reduce(vector::CombiningKind::MAXIMUMF, m), iter[0],
                         {i})};
      })[0];
  // The new maxima overwrite the running ones in place (as in the portable
  // lowering): no iteration of the key loop yields a fresh allocation.
  ValueRange step = overRowVectors(
      v, tq, {op.getMax(), rowsTensor(), rowsTensor()},
      [&](Value r0, bool inBounds, ValueRange iter) -> SmallVector<Value> {
        SoftmaxMath::Step st = v.math.update(v.read(iter[0], {r0}, inBounds),
                                             v.read(tileMax, {r0}, inBounds));
        return {v.write(st.newMax, iter[0], {r0}, inBounds),
                v.write(st.offset, iter[1], {r0}, inBounds),
                v.write(st.alpha, iter[2], {r0}, inBounds)};
      });
  Value newMax = step[0], offsets = step[1], alpha = step[2];
  Value weights0 = v.empty({b.getIndexAttr(tq), b.getIndexAttr(tk)});
  ValueRange weighted = v.loop(
      e.idx(0), e.idx(tq), 1, {weights0, rowsTensor()},
      [&](Value i, ValueRange iter) -> SmallVector<Value> {
        Value offset = v.broadcast(v.extract(offsets, {i}));
        Value tile = iter[0], rowSum = v.splat(0.0);
        for (int64_t c = 0; c < vectors; ++c) {
          Value w = v.math.weight(rowVector(i, c), offset);
          rowSum = arith::AddFOp::create(b, loc, rowSum, w);
          tile = v.write(w, tile, {i, e.idx(c * v.width)}, true);
        }
        return {tile, v.insert(v.reduce(vector::CombiningKind::ADD, rowSum),
                               iter[1], {i})};
      });
  Value sum = overRowVectors(
      v, tq, op.getSum(),
      [&](Value r0, bool inBounds, ValueRange iter) -> SmallVector<Value> {
        Value next = v.math.rescaleSum(v.read(iter[0], {r0}, inBounds),
                                       v.read(alpha, {r0}, inBounds),
                                       v.read(weighted[1], {r0}, inBounds));
        return {v.write(next, iter[0], {r0}, inBounds)};
      })[0];
  return {weighted[0], newMax, sum, alpha};
}

static SmallVector<Value> lowerOnlineUpdate(OnlineUpdateOp op, int64_t width) {
  VectorEmitter v(op, width);
  return isSoftmax(op.getNormalizationAttr()) ? softmaxUpdate(op, v)
                                              : pointwiseUpdate(op, v);
}

//===----------------------------------------------------------------------===//
// P V
//===----------------------------------------------------------------------===//

/// Whether `load` reads a key loop's tile: its row is the loop's tile
/// start (never negative).
bool attn::tile::isKeyLoopTile(LoadOp load) {
  auto start = dyn_cast<BlockArgument>(load.getRow());
  return start && start.getArgNumber() == 0 &&
         isa<ForKeyTilesOp>(start.getOwner()->getParentOp());
}

/// The key loop whose tile start `load` reads at (isKeyLoopTile).
ForKeyTilesOp attn::tile::keyLoopOf(LoadOp load) {
  return cast<ForKeyTilesOp>(
      cast<BlockArgument>(load.getRow()).getOwner()->getParentOp());
}

namespace {
/// The value rows P V reads: the value tile, or, for a tile loaded at a key
/// loop's tile start, the loaded rows of the source itself (no copy). Rows
/// past the sequence end are never read: their weights are 0 (the mask
/// drops them), so skipping them adds exactly what they would.
struct ValueRows {
  Value tensor;              // [rows, Dv] tile, or the [B, H, N, Dv] source
  SmallVector<Value> prefix; // (batch, head) of the source
  Value first, count;        // the rows read: [first, first + count)

  ValueRows(VectorEmitter &v, Value value) {
    ScalarEmitter &e = v.e;
    auto load = value.getDefiningOp<LoadOp>();
    if (!load || !isKeyLoopTile(load)) {
      tensor = value;
      first = e.idx(0);
      count = v.dim(value, 0);
      return;
    }
    tensor = load.getSource();
    prefix = {load.getBatch(), load.getHead()};
    first = load.getRow();
    Value left = e.subi(v.dim(tensor, 2), first);
    count = e.maxsi(e.minsi(left, e.idx(staticDim(value, 0))), e.idx(0));
  }
  /// Rows [first, first + rows) of the source [B, H, N, Dv] at `prefix`,
  /// clipped to N.
  ValueRows(VectorEmitter &v, Value source, ValueRange prefix, Value first,
            int64_t rows)
      : tensor(source), prefix(prefix), first(first) {
    ScalarEmitter &e = v.e;
    Value left = e.subi(v.dim(source, 2), first);
    count = e.maxsi(e.minsi(left, e.idx(rows)), e.idx(0));
  }
  /// The first `count` rows of a tile.
  ValueRows(VectorEmitter &v, Value tile, Value count)
      : tensor(tile), first(v.e.idx(0)), count(count) {}
  Value columns(VectorEmitter &v) const {
    return v.dim(tensor, cast<ShapedType>(tensor.getType()).getRank() - 1);
  }
  Value read(VectorEmitter &v, Value j, Value c, bool inBounds) const {
    SmallVector<Value> indices(prefix);
    indices.push_back(v.e.addi(first, j));
    indices.push_back(c);
    return v.read(tensor, indices, inBounds);
  }
};
} // namespace

/// 0 when every value the P V kernel reads is finite, NaN otherwise (x * 0
/// is NaN exactly for infinities and NaNs).
static Value nonFiniteProbe(VectorEmitter &v, const ValueRows &rows) {
  ScalarEmitter &e = v.e;
  Value cols = rows.columns(v);
  Value probe = v.loop(
      e.idx(0), rows.count, 1, v.splat(0.0),
      [&](Value j, ValueRange acc) -> SmallVector<Value> {
        return {v.loop(e.idx(0), cols, v.width, acc[0],
                       [&](Value c, ValueRange a) -> SmallVector<Value> {
                         return {math::FmaOp::create(
                             v.b, v.loc, rows.read(v, j, c, false),
                             v.splat(0.0), a[0])};
                       })[0]};
      })[0];
  return v.reduce(vector::CombiningKind::ADD, probe);
}

/// acc[i, c] = acc[i, c] * alpha(i) + sum_j weight(i, j) V[j, c] over the
/// rows j of `value`: value vectors against broadcast weights, `rows` x
/// `vectors` accumulators per pass over whole groups of columns, then single
/// (masked) vectors for the rest. `alpha` may be null (no rescaling).
/// `triangle` skips what a lower-triangular product (the chunks of the
/// causal linear form: row i and index i are the same position) never
/// needs for the rows [i0, i0 + rows) of a block: the value rows j past
/// the block's last row (`ValueRows`: P V, where those weights are 0), or
/// the columns past it (`Columns`: scores, whose entries there the mask
/// excludes; whole vectors only, so a vector that crosses the diagonal is
/// computed in full).
using RowScalar = function_ref<Value(Value row)>;
using PairScalar = function_ref<Value(Value row, Value j)>;
enum class Triangle { Full, ValueRows, Columns };
static Value outerProductAccumulate(VectorEmitter &v, Value acc,
                                    const ValueRows &value, PairScalar weight,
                                    RowScalar alpha, Blocking blocking,
                                    Triangle triangle = Triangle::Full) {
  ScalarEmitter &e = v.e;
  int64_t width = v.width;
  Value cols = v.dim(acc, 1);
  int64_t group = blocking.vectors * width;

  // One pass: `count` vectors from column c0 for rows [i0, i0 + rows).
  auto pass = [&](Value i0, int64_t rows, Value c0, int64_t count,
                  bool inBounds, Value acc) -> Value {
    SmallVector<Value> init;
    for (int64_t r = 0; r < rows; ++r) {
      Value row = e.addi(i0, e.idx(r));
      Value scale = alpha ? v.broadcast(alpha(row)) : Value();
      for (int64_t c = 0; c < count; ++c) {
        Value x = v.read(acc, {row, e.addi(c0, e.idx(c * width))}, inBounds);
        init.push_back(scale ? arith::MulFOp::create(v.b, v.loc, x, scale)
                             : x);
      }
    }
    Value steps = triangle == Triangle::ValueRows
                      ? e.minsi(value.count, e.addi(i0, e.idx(rows)))
                      : value.count;
    ValueRange sums = v.loop(
        e.idx(0), steps, 1, init,
        [&](Value j, ValueRange iter) -> SmallVector<Value> {
          return outerProductStep(
              v, iter, rows, count,
              [&](int64_t r) { return weight(e.addi(i0, e.idx(r)), j); },
              [&](int64_t c) {
                return value.read(v, j, e.addi(c0, e.idx(c * width)),
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
  auto block = [&](Value i0, int64_t rows, Value acc) {
    Value end = triangle == Triangle::Columns
                    ? e.minsi(cols, e.addi(i0, e.idx(rows)))
                    : cols;
    Value wholeCols = e.muli(e.floordiv(end, e.idx(group)), e.idx(group));
    acc = v.loop(e.idx(0), wholeCols, group, acc,
                 [&](Value c0, ValueRange it) -> SmallVector<Value> {
                   return {pass(i0, rows, c0, blocking.vectors, true, it[0])};
                 })[0];
    return v.loop(wholeCols, end, width, acc,
                  [&](Value c0, ValueRange it) -> SmallVector<Value> {
                    return {pass(i0, rows, c0, 1, false, it[0])};
                  })[0];
  };
  int64_t staticRows = staticDim(acc, 0);
  return staticRows != ShapedType::kDynamic
             ? v.rowBlocks(staticRows, blocking.rows, acc, block)
             : v.rowBlocks(v.dim(acc, 0), blocking.rows, acc, block);
}

static SmallVector<Value> transposeInRegisters(VectorEmitter &v,
                                               SmallVector<Value> rows);

/// `scale * key^T` ([D, tk], tk a multiple of the width): blocks of width x
/// width transposed in registers, the channels past the last whole vector
/// copied one by one. Both run as loops over the key positions, not
/// unrolled: a chunk of the linear form is up to 1024 keys, and an unrolled
/// body (64 transposed blocks, 1024 scalar inserts per channel) made
/// One-Shot Bufferize's analysis take minutes.
static Value transposedKeys(VectorEmitter &v, Value k, Value scale,
                            int64_t tk) {
  ScalarEmitter &e = v.e;
  OpBuilder &b = v.b;
  Location loc = v.loc;
  int64_t width = v.width;
  Value depth = v.dim(k, 1);
  Value whole = e.muli(e.floordiv(depth, e.idx(width)), e.idx(width));
  bool unscaled = matchPattern(scale, m_OneFloat());
  Value lanes = unscaled ? Value() : v.broadcast(scale);
  auto scaled = [&](Value x) -> Value {
    if (unscaled)
      return x;
    return arith::MulFOp::create(b, loc, x,
                                 isa<VectorType>(x.getType()) ? lanes : scale);
  };
  Value kT = v.empty({depth, b.getIndexAttr(tk)});
  auto transposeBlock = [&](Value c0, Value x0, Value t) -> Value {
    SmallVector<Value> rows;
    for (int64_t i = 0; i < width; ++i)
      rows.push_back(scaled(v.read(k, {e.addi(c0, e.idx(i)), x0}, true)));
    SmallVector<Value> columns = transposeInRegisters(v, rows);
    for (int64_t i = 0; i < width; ++i)
      t = v.write(columns[i], t, {e.addi(x0, e.idx(i)), c0}, true);
    return t;
  };
  kT = v.loop(e.idx(0), e.idx(tk), width, kT,
              [&](Value c0, ValueRange outer) -> SmallVector<Value> {
                return {v.loop(e.idx(0), whole, width, outer[0],
                               [&](Value x0, ValueRange iter)
                                   -> SmallVector<Value> {
                                 return {transposeBlock(c0, x0, iter[0])};
                               })[0]};
              })[0];
  return v.loop(
      whole, depth, 1, kT, [&](Value x, ValueRange outer) -> SmallVector<Value> {
        return {v.loop(e.idx(0), e.idx(tk), 1, outer[0],
                       [&](Value c, ValueRange iter) -> SmallVector<Value> {
                         return {v.insert(scaled(v.extract(k, {c, x})),
                                          iter[0], {x, c})};
                       })[0]};
      })[0];
}

/// S = scale * Q K^T for a key tile no key loop packed (the chunks of the
/// linear form): the tile transposed once into [D, tk] (times the scale),
/// then the P V kernel's register-blocked outer products with Q's entries
/// as the broadcast weights (the row-dot form pays a horizontal sum and a
/// serial FMA chain per entry). With `lower_triangular`, a row block stops
/// at the vector that holds its last row's diagonal.
static Value scoresFromTransposedKeys(ScoresOp op, int64_t width,
                                      Blocking blocking) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  OpBuilder &b = v.b;
  Value q = op.getQuery(), k = op.getKey();
  int64_t tq = staticDim(op.getResult(), 0), tk = staticDim(op.getResult(), 1);
  Value depth = v.dim(k, 1);
  Value transposed = transposedKeys(v, k, op.getScale(), tk);
  Value zeros = linalg::FillOp::create(
                    b, v.loc, ValueRange{e.f32(0.0)},
                    ValueRange{tensor::EmptyOp::create(
                        b, v.loc, ArrayRef<int64_t>{tq, tk}, b.getF32Type())})
                    .getResult(0);
  return outerProductAccumulate(
      v, zeros, ValueRows(v, transposed, depth),
      [&](Value r, Value x) { return v.extract(q, {r, x}); }, RowScalar(),
      blocking, op.getLowerTriangular() ? Triangle::Columns : Triangle::Full);
}

/// acc * alpha + P V.
static Value accumulateKernel(AccumulateOp op, int64_t width,
                              Blocking blocking) {
  VectorEmitter v(op, width);
  Value p = op.getWeights(), alpha = op.getAlpha();
  auto rescale = [&](Value row) { return v.extract(alpha, {row}); };
  return outerProductAccumulate(
      v, op.getAcc(), ValueRows(v, op.getValue()),
      [&](Value row, Value j) { return v.extract(p, {row, j}); },
      alpha ? RowScalar(rescale) : RowScalar(), blocking,
      op.getLowerTriangular() ? Triangle::ValueRows : Triangle::Full);
}

/// An excluded pair must add nothing even where its value row holds an
/// infinity or NaN (0 * inf is NaN): tiles whose values are all finite run
/// the kernel, where an excluded pair's weight of 0 adds exactly 0; others
/// keep the op for the portable lowering's per-pair select. `finiteTiles`,
/// when given, holds the probe of every key tile of the value source
/// (computed once per call, see `probeValueTiles`); otherwise each tile
/// probes its own rows.
using AccumulateKernel = function_ref<Value(AccumulateOp)>;
static Value lowerAccumulate(AccumulateOp op, int64_t width,
                             AccumulateKernel kernel, Value finiteTiles) {
  if (!op.getMaskedScores())
    return kernel(op);
  VectorEmitter v(op, width);
  Value probe;
  if (finiteTiles) {
    auto load = op.getValue().getDefiningOp<LoadOp>();
    Value tile =
        v.e.floordiv(load.getRow(), v.e.idx(keyLoopOf(load).getTileKv()));
    probe = v.extract(finiteTiles, {load.getBatch(), load.getHead(), tile});
  } else {
    probe = nonFiniteProbe(v, ValueRows(v, op.getValue()));
  }
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
    yield->setOperand(0, kernel(kernelAt));
    kernelAt.erase();
    v.b.setInsertionPointToStart(&choice.getElseRegion().front());
    // The value tile is loaded there only: the kernel reads the source.
    IRMapping mapping;
    if (auto load = op.getValue().getDefiningOp<LoadOp>())
      v.b.clone(*load, mapping);
    Operation *portable = v.b.clone(*op, mapping);
    scf::YieldOp::create(v.b, v.loc, portable->getResult(0));
  }
  return choice.getResult(0);
}

//===----------------------------------------------------------------------===//
// The end of a query tile
//===----------------------------------------------------------------------===//

/// finalize: each row's factor (1 / sum, the rescale, the gate) once as a
/// scalar, then the row times it by vectors (whole vectors, then one masked
/// vector for the last columns), converted to the result's element type;
/// the logsumexp row by row. With an epilogue (rms_norm) a first pass over
/// the row's vectors sums the squares of the scaled row into the factor;
/// an element-wise gate is read by vectors along the columns.
static SmallVector<Value> lowerFinalize(FinalizeOp op, int64_t width) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  OpBuilder &b = v.b;
  Location loc = v.loc;
  Value acc = op.getAcc();
  int64_t tq = staticDim(acc, 0);
  Type elementType = getElementTypeOrSelf(op.getResult().getType());
  Value cols = v.dim(acc, 1);
  Value wholeCols = e.muli(e.floordiv(cols, e.idx(width)), e.idx(width));
  // Static columns stay static: the result replaces the op's.
  Value out0 = tensor::EmptyOp::create(
      b, loc,
      ArrayRef<OpFoldResult>{b.getIndexAttr(tq),
                             tensor::getMixedSize(b, loc, acc, 1)},
      elementType);
  Value gate = op.getGate();
  auto gateType = gate ? cast<RankedTensorType>(gate.getType())
                       : RankedTensorType();
  bool elementGate = gate && gateType.getRank() == 4;
  EpilogueAttr epilogue = op.getEpilogueAttr();
  // The gate's indices of row i: extents of 1 broadcast, rows clamped into
  // [0, query_length) (rows before 0, of a chunk of the linear form, are
  // not written).
  auto gateRow = [&](Value i) {
    Value qi = e.maxsi(e.minsi(e.addi(op.getQuery(), i),
                               e.subi(op.getQueryLength(), e.idx(1))),
                       e.idx(0));
    // Named: a braced list inside the range expression would not outlive
    // the loop's first step.
    SmallVector<Value, 3> indices = {op.getBatch(), op.getHead(), qi};
    SmallVector<Value> at;
    for (auto [d, index] : llvm::enumerate(indices)) {
      int64_t size = gateType.getDimSize(d);
      if (size == 1)
        at.push_back(e.idx(0));
      else if (ShapedType::isDynamic(size))
        at.push_back(e.select(
            e.cmp(arith::CmpIPredicate::eq, v.dim(gate, d), e.idx(1)),
            e.idx(0), index));
      else
        at.push_back(index);
    }
    return at;
  };
  // The element-wise gate's lanes at column c of row `at`.
  auto gateLanes = [&](ArrayRef<Value> at, Value c, bool inBounds) -> Value {
    int64_t size = gateType.getDimSize(3);
    SmallVector<Value> first(at);
    first.push_back(e.idx(0));
    if (size == 1)
      return v.broadcast(e.toF32(v.extract(gate, first)));
    SmallVector<Value> here(at);
    here.push_back(c);
    if (!ShapedType::isDynamic(size))
      return v.read(gate, here, inBounds);
    // Dynamic: an extent of 1 broadcasts (the masked read stays in bounds).
    Value one = e.cmp(arith::CmpIPredicate::eq, v.dim(gate, 3), e.idx(1));
    return e.select(one, v.broadcast(e.toF32(v.extract(gate, first))),
                    v.read(gate, here, false));
  };
  auto rowFactor = [&](Value i) {
    Value factor = op.getDivide()
                       ? v.math.reciprocalOrZero(v.extract(op.getSum(), {i}))
                       : e.f32(1.0);
    if (Value scale = op.getAccScale())
      factor = arith::MulFOp::create(b, loc, factor, v.extract(scale, {i}));
    if (epilogue) {
      // Sum of the squares of the scaled row, then the norm's factor.
      Value scaled = v.broadcast(factor);
      auto squares = [&](Value from, Value to, bool inBounds, Value sum) {
        return v.loop(from, to, width, sum,
                      [&](Value c, ValueRange it) -> SmallVector<Value> {
                        Value o = arith::MulFOp::create(
                            b, loc, v.read(acc, {i, c}, inBounds), scaled);
                        return {math::FmaOp::create(b, loc, o, o, it[0])
                                    .getResult()};
                      })[0];
      };
      Value sum = squares(e.idx(0), wholeCols, true, v.splat(0.0));
      sum = squares(wholeCols, cols, false, sum);
      Value columns = arith::UIToFPOp::create(
          b, loc, b.getF32Type(),
          arith::IndexCastUIOp::create(b, loc, b.getI64Type(), cols));
      factor = arith::MulFOp::create(
          b, loc, factor,
          v.math.rmsFactor(v.reduce(vector::CombiningKind::ADD, sum), columns,
                           epilogue.getEpsValue()));
    }
    if (gate && !elementGate)
      factor = arith::MulFOp::create(
          b, loc, factor, e.toF32(v.extract(gate, gateRow(i))));
    return v.broadcast(factor);
  };
  Value out = v.loop(
      e.idx(0), e.idx(tq), 1, out0,
      [&](Value i, ValueRange iter) -> SmallVector<Value> {
        Value factor = rowFactor(i);
        SmallVector<Value> at;
        if (elementGate)
          at = gateRow(i);
        auto scaleColumns = [&](Value from, Value to, bool inBounds,
                                Value tile) {
          return v.loop(
              from, to, width, tile,
              [&](Value c, ValueRange it) -> SmallVector<Value> {
                Value o = arith::MulFOp::create(
                    b, loc, v.read(acc, {i, c}, inBounds), factor);
                if (elementGate)
                  o = arith::MulFOp::create(b, loc, o,
                                            gateLanes(at, c, inBounds));
                if (!elementType.isF32())
                  o = arith::TruncFOp::create(b, loc,
                                              v.vectorType(elementType), o);
                return {v.write(o, it[0], {i, c}, inBounds)};
              })[0];
        };
        Value tile = scaleColumns(e.idx(0), wholeCols, true, iter[0]);
        return {scaleColumns(wholeCols, cols, false, tile)};
      })[0];
  if (!op.getLse())
    return {out};
  Value lse = v.loop(
      e.idx(0), e.idx(tq), 1, v.empty({b.getIndexAttr(tq)}),
      [&](Value i, ValueRange iter) -> SmallVector<Value> {
        Value row = v.math.logSumExp(v.extract(op.getMax(), {i}),
                                     v.extract(op.getSum(), {i}));
        return {v.insert(row, iter[0], {i})};
      })[0];
  return {out, lse};
}

//===----------------------------------------------------------------------===//
// Affine normalizations: kept-key sums and the row correction
//===----------------------------------------------------------------------===//

/// kept_sums: per row, the kept keys counted by scalars and, per vector of
/// columns, their value rows summed in a register (an excluded pair adds
/// 0 by a select, never reading its value into the sum).
static SmallVector<Value> lowerKeptSums(KeptSumsOp op, int64_t width) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  OpBuilder &b = v.b;
  Location loc = v.loc;
  Value masked = op.getMaskedScores(), values = op.getValue();
  int64_t tq = staticDim(masked, 0);
  Value keys = v.dim(masked, 1);
  Value cols = v.dim(values, 1);
  Value wholeCols = e.muli(e.floordiv(cols, e.idx(width)), e.idx(width));
  auto isKept = [&](Value i, Value j) -> Value {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE,
                                 v.extract(masked, {i, j}), e.f32(kNegInf));
  };
  ValueRange rows = v.loop(
      e.idx(0), e.idx(tq), 1, ValueRange{op.getCount(), op.getValueSum()},
      [&](Value i, ValueRange iter) -> SmallVector<Value> {
        Value count = v.loop(e.idx(0), keys, 1, v.extract(iter[0], {i}),
                             [&](Value j, ValueRange it) -> SmallVector<Value> {
                               Value more = arith::AddFOp::create(
                                   b, loc, it[0], e.f32(1.0));
                               return {e.select(isKept(i, j), more, it[0])};
                             })[0];
        auto sumColumns = [&](Value from, Value to, bool inBounds,
                              Value tile) {
          return v.loop(
              from, to, width, tile,
              [&](Value c, ValueRange it) -> SmallVector<Value> {
                Value sum = v.loop(
                    e.idx(0), keys, 1, v.read(it[0], {i, c}, inBounds),
                    [&](Value j, ValueRange s) -> SmallVector<Value> {
                      Value added = arith::AddFOp::create(
                          b, loc, s[0], v.read(values, {j, c}, inBounds));
                      return {e.select(isKept(i, j), added, s[0])};
                    })[0];
                return {v.write(sum, it[0], {i, c}, inBounds)};
              })[0];
        };
        Value tile = sumColumns(e.idx(0), wholeCols, true, iter[1]);
        tile = sumColumns(wholeCols, cols, false, tile);
        return {v.insert(count, iter[0], {i}), tile};
      });
  return {rows[0], rows[1]};
}

/// affine_normalize: per row the two factors as scalars, then
/// `a * acc + c * value_sum` by vectors along the columns.
static Value lowerAffineNormalize(AffineNormalizeOp op, int64_t width) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  OpBuilder &b = v.b;
  Location loc = v.loc;
  Value acc = op.getAcc(), valueSum = op.getValueSum();
  int64_t tq = staticDim(acc, 0);
  bool mala = op.getNormalization().getAffine() == AffineNormKind::Mala;
  Value cols = v.dim(acc, 1);
  Value wholeCols = e.muli(e.floordiv(cols, e.idx(width)), e.idx(width));
  return v.loop(
      e.idx(0), e.idx(tq), 1, acc,
      [&](Value i, ValueRange iter) -> SmallVector<Value> {
        SoftmaxMath::AffineFactors f = v.math.affineFactors(
            mala, v.extract(op.getSum(), {i}), v.extract(op.getCount(), {i}));
        Value scale = v.broadcast(f.scale);
        Value valueScale = v.broadcast(f.valueScale);
        auto columns = [&](Value from, Value to, bool inBounds, Value tile) {
          return v.loop(
              from, to, width, tile,
              [&](Value c, ValueRange it) -> SmallVector<Value> {
                Value scaled = arith::MulFOp::create(
                    b, loc, v.read(acc, {i, c}, inBounds), scale);
                Value o = math::FmaOp::create(
                    b, loc, v.read(valueSum, {i, c}, inBounds), valueScale,
                    scaled);
                return {v.write(o, it[0], {i, c}, inBounds)};
              })[0];
        };
        Value tile = columns(e.idx(0), wholeCols, true, iter[0]);
        return {columns(wholeCols, cols, false, tile)};
      })[0];
}

//===----------------------------------------------------------------------===//
// Linear attention: decays and the carried state
//===----------------------------------------------------------------------===//

/// Per row, key lanes: the f64 prefix of W keys read at once, its
/// difference to the row's, then one vector exponential.
static Value lowerDecay(DecayOp op, int64_t width) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  OpBuilder &b = v.b;
  Location loc = v.loc;
  Value s = op.getScores(), prefix = op.getPrefix();
  int64_t tq = staticDim(s, 0), tk = staticDim(s, 1);
  Value nk = op.getKeyLength();
  Value shift = e.subi(nk, op.getQueryLength());
  auto toI64 = [&](Value index) { return v.toI64(index); };
  Value iota = v.laneIndices();
  Value zero64 = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0));
  auto f64Lanes = v.vectorType(b.getF64Type());
  using P = arith::CmpIPredicate;
  return v.loop(
      e.idx(0), e.idx(tq), 1, s,
      [&](Value i, ValueRange iter) -> SmallVector<Value> {
        Value p = e.addi(e.addi(op.getQuery(), i), shift);
        Value rowPrefix = v.broadcast(v.e.decayPrefixAt(prefix, p));
        Value rowInside = v.broadcast(e.cmp(P::slt, p, nk));
        Value pLanes = v.broadcast(toI64(p));
        Value tile = iter[0];
        for (int64_t c = 0; c < tk / width; ++c) {
          Value j0 = e.addi(op.getKey(), e.idx(c * width));
          Value j = arith::AddIOp::create(b, loc, v.broadcast(toI64(j0)), iota);
          // Keys past the end read 0; the select below drops them.
          Value keyPrefix = vector::TransferReadOp::create(
              b, loc, f64Lanes, prefix, ValueRange{j0}, zero64,
              ArrayRef<bool>{false});
          Value diff = arith::SubFOp::create(b, loc, rowPrefix, keyPrefix);
          Value factor = math::ExpOp::create(
              b, loc, arith::TruncFOp::create(b, loc, v.vectorType(), diff));
          Value inside = e.andi(
              e.andi(arith::CmpIOp::create(b, loc, P::sle, j, pLanes),
                     rowInside),
              arith::CmpIOp::create(b, loc, P::sge, j, v.broadcast(toI64(
                                                           e.idx(0)))));
          Value x = v.read(tile, {i, e.idx(c * width)}, true);
          Value decayed = arith::MulFOp::create(b, loc, x, factor);
          tile = v.write(e.select(inside, decayed, x), tile,
                         {i, e.idx(c * width)}, true);
        }
        return {tile};
      })[0];
}

/// Whether a linear-state op's prefix is a gate per key channel (2-D).
static bool isChannelPrefix(Value prefix) {
  return prefix && cast<ShapedType>(prefix.getType()).getRank() == 2;
}

/// exp(prefix[to, x..] - prefix[from, x..]) as f32 lanes: the gates of the
/// channels from x between two positions (ScalarEmitter::decayPrefixAt's
/// rules per row: 0 before the first key, the last row past the end;
/// channels past the end read 0, a factor of 1).
static Value channelDecayLanes(VectorEmitter &v, Value prefix, Value from,
                               Value to, Value x) {
  ScalarEmitter &e = v.e;
  OpBuilder &b = v.b;
  Location loc = v.loc;
  auto f64Lanes = v.vectorType(b.getF64Type());
  Value zero64 = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0));
  Value last = e.subi(v.dim(prefix, 0), e.idx(1));
  auto row = [&](Value pos) -> Value {
    Value clamped = e.maxsi(e.minsi(pos, last), e.idx(0));
    Value lanes = vector::TransferReadOp::create(
        b, loc, f64Lanes, prefix, ValueRange{clamped, x}, zero64,
        ArrayRef<bool>{false});
    Value before = v.broadcast(e.cmp(arith::CmpIPredicate::slt, pos, e.idx(0)));
    return arith::SelectOp::create(b, loc, before, v.broadcast(zero64), lanes);
  };
  Value diff = arith::SubFOp::create(b, loc, row(to), row(from));
  return math::ExpOp::create(
      b, loc, arith::TruncFOp::create(b, loc, v.vectorType(), diff));
}

/// `tile[r, x] * exp(prefix[to(r), x] - prefix[from(r), x])`: each row's
/// features decayed per channel (a query since the state, a key to the
/// chunk's end), vectors along the features.
static Value decayRowChannels(VectorEmitter &v, Value tile, Value prefix,
                              function_ref<Value(Value)> from,
                              function_ref<Value(Value)> to) {
  ScalarEmitter &e = v.e;
  Value depth = v.dim(tile, 1);
  return v.loop(
      e.idx(0), e.idx(staticDim(tile, 0)), 1, tile,
      [&](Value r, ValueRange iter) -> SmallVector<Value> {
        Value f = from(r), t = to(r);
        return {v.loop(e.idx(0), depth, v.width, iter[0],
                       [&](Value x, ValueRange it) -> SmallVector<Value> {
                         Value decayed = arith::MulFOp::create(
                             v.b, v.loc, v.read(tile, {r, x}, false),
                             channelDecayLanes(v, prefix, f, t, x));
                         return {v.write(decayed, it[0], {r, x}, false)};
                       })[0]};
      })[0];
}

/// Per query row, the keys up to its position only (the others stay 0):
/// the dot product along the channels with each channel's factor
/// exp(prefix[p, x] - prefix[j, x]) as f32 lanes, reduced by halves.
static Value lowerGatedScores(GatedScoresOp op, int64_t width) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  OpBuilder &b = v.b;
  Location loc = v.loc;
  Value q = op.getQuery(), k = op.getKey(), prefix = op.getPrefix();
  int64_t tq = staticDim(q, 0), tk = staticDim(k, 0);
  Value nk = op.getKeyLength();
  Value shift = e.subi(nk, op.getQueryLength());
  Value depth = v.dim(q, 1);
  Value zeros = linalg::FillOp::create(
                    b, loc, ValueRange{e.f32(0.0)},
                    ValueRange{tensor::EmptyOp::create(
                        b, loc, ArrayRef<int64_t>{tq, tk}, b.getF32Type())})
                    .getResult(0);
  return v.loop(
      e.idx(0), e.idx(tq), 1, zeros,
      [&](Value r, ValueRange iter) -> SmallVector<Value> {
        Value p = e.addi(e.addi(op.getQueryPos(), r), shift);
        // Keys j in [max(0, k0), min(p, nk - 1)], as tile columns.
        Value first = e.maxsi(e.subi(e.idx(0), op.getKeyPos()), e.idx(0));
        Value end = e.minsi(
            e.subi(e.addi(e.minsi(p, e.subi(nk, e.idx(1))), e.idx(1)),
                   op.getKeyPos()),
            e.idx(tk));
        end = e.select(e.cmp(arith::CmpIPredicate::slt, p, nk), end, first);
        end = e.maxsi(end, first);
        return {v.loop(
            first, end, 1, iter[0],
            [&](Value c, ValueRange it) -> SmallVector<Value> {
              Value j = e.addi(op.getKeyPos(), c);
              Value dot = v.loop(
                  e.idx(0), depth, width, v.splat(0.0),
                  [&](Value x, ValueRange acc) -> SmallVector<Value> {
                    Value qk = arith::MulFOp::create(
                        b, loc, v.read(q, {r, x}, false),
                        v.read(k, {c, x}, false));
                    return {math::FmaOp::create(
                        b, loc, qk, channelDecayLanes(v, prefix, j, p, x),
                        acc[0])};
                  })[0];
              Value s = arith::MulFOp::create(
                  b, loc, v.reduce(vector::CombiningKind::ADD, dot),
                  op.getScale());
              return {v.insert(s, it[0], {r, c})};
            })[0]};
      })[0];
}

/// phi of a Q or K tile, row vectors along the head dimension.
static Value lowerFeatureMap(FeatureMapOp op, int64_t width) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  Value tile = op.getTile();
  Value depth = v.dim(tile, 1);
  return v.loop(
      e.idx(0), e.idx(staticDim(tile, 0)), 1, tile,
      [&](Value r, ValueRange iter) -> SmallVector<Value> {
        return {v.loop(e.idx(0), depth, width, iter[0],
                       [&](Value d, ValueRange it) -> SmallVector<Value> {
                         Value x = v.read(tile, {r, d}, false);
                         Value phi = e.featureMap(op.getMap().getKind(), x);
                         return {v.write(phi, it[0], {r, d}, false)};
                       })[0]};
      })[0];
}

/// `v` written at `indices` of `dest` on the lanes `mask` sets (the last
/// dimension), the others left as they are.
static Value writeMasked(VectorEmitter &v, Value vec, Value dest,
                         ValueRange indices, Value mask) {
  auto rank = cast<ShapedType>(dest.getType()).getRank();
  return vector::TransferWriteOp::create(
             v.b, v.loc, vec, dest, indices,
             AffineMapAttr::get(
                 AffineMap::getMinorIdentityMap(rank, 1, v.b.getContext())),
             mask, v.b.getBoolArrayAttr({true}))
      .getResult();
}

/// phi of the maps that change the feature dimension, row by row (see
/// attn_tile.expand_features). taylor2: 1, then x, then the products
/// x_a * x / sqrt(2) as vectors along the head dimension. hedgehog: each
/// feature's projection u_f = W[h', f] . x + b[h', f] as a dot product
/// along the head dimension (rows of W are contiguous), then exp(u) and
/// exp(-u) as vectors along the features.
static Value lowerExpandFeatures(ExpandFeaturesOp op, int64_t width) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  OpBuilder &b = v.b;
  Location loc = v.loc;
  using P = arith::CmpIPredicate;
  Value tile = op.getTile();
  int64_t rows = staticDim(tile, 0);
  Value depth = v.dim(tile, 1);
  bool taylor = op.getMap().getKind() == FeatureMapKind::Taylor2;
  Value weight = op.getWeight(), bias = op.getBias();
  Value f = taylor ? Value() : v.dim(weight, 1);
  Value features = taylor ? e.addi(e.addi(e.idx(1), depth),
                                   e.muli(depth, depth))
                          : e.muli(e.idx(2), f);
  int64_t staticFeatures = staticDim(op.getResult(), 1);
  Value result = v.empty(
      {b.getIndexAttr(rows), staticFeatures == ShapedType::kDynamic
                                 ? OpFoldResult(features)
                                 : b.getIndexAttr(staticFeatures)});
  // Along the head dimension: `body(x, lanes)` for every vector of a row.
  auto overDepth = [&](Value init, function_ref<Value(Value, Value, Value)> body) {
    return v.loop(e.idx(0), depth, width, init,
                  [&](Value x, ValueRange it) -> SmallVector<Value> {
                    return {body(x, v.lanesBefore(depth, x), it[0])};
                  })[0];
  };

  if (taylor) {
    Value invSqrt2 = e.f32(1.0 / std::sqrt(2.0));
    Value linearEnd = e.addi(e.idx(1), depth);
    return v.loop(
        e.idx(0), e.idx(rows), 1, result,
        [&](Value r, ValueRange iter) -> SmallVector<Value> {
          Value res = v.insert(e.f32(1.0), iter[0], {r, e.idx(0)});
          res = overDepth(res, [&](Value x, Value lanes, Value acc) {
            return writeMasked(v, v.readMasked(tile, {r, x}, lanes), acc,
                               {r, e.addi(e.idx(1), x)}, lanes);
          });
          return {v.loop(
              e.idx(0), depth, 1, res,
              [&](Value a, ValueRange it) -> SmallVector<Value> {
                Value xa = v.broadcast(arith::MulFOp::create(
                    b, loc, v.extract(tile, {r, a}), invSqrt2));
                Value base = e.addi(linearEnd, e.muli(a, depth));
                return {overDepth(it[0], [&](Value x, Value lanes, Value acc) {
                  Value product = arith::MulFOp::create(
                      b, loc, xa, v.readMasked(tile, {r, x}, lanes));
                  return writeMasked(v, product, acc, {r, e.addi(base, x)},
                                     lanes);
                })};
              })[0]};
        })[0];
  }

  auto headOf = [&](Value operand) {
    return e.select(e.cmp(P::eq, v.dim(operand, 0), e.idx(1)), e.idx(0),
                    op.getHead());
  };
  Value hw = headOf(weight), hb = headOf(bias);
  return v.loop(
      e.idx(0), e.idx(rows), 1, result,
      [&](Value r, ValueRange iter) -> SmallVector<Value> {
        // u_f into the first F entries of the row, then exp(-u) into the
        // second half and exp(u) over u.
        Value res = v.loop(
            e.idx(0), f, 1, iter[0],
            [&](Value c, ValueRange it) -> SmallVector<Value> {
              Value dot = overDepth(v.splat(0.0), [&](Value x, Value lanes,
                                                      Value acc) {
                return math::FmaOp::create(
                           b, loc, v.readMasked(tile, {r, x}, lanes),
                           v.readMasked(weight, {hw, c, x}, lanes), acc)
                    .getResult();
              });
              Value u = arith::AddFOp::create(
                  b, loc, v.reduce(vector::CombiningKind::ADD, dot),
                  e.toF32(v.extract(bias, {hb, c})));
              return {v.insert(u, it[0], {r, c})};
            })[0];
        return {v.loop(
            e.idx(0), f, width, res,
            [&](Value c, ValueRange it) -> SmallVector<Value> {
              Value lanes = v.lanesBefore(f, c);
              Value u = v.readMasked(it[0], {r, c}, lanes);
              Value out = writeMasked(
                  v, math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, u)),
                  it[0], {r, e.addi(f, c)}, lanes);
              return {writeMasked(v, math::ExpOp::create(b, loc, u), out,
                                  {r, c}, lanes)};
            })[0]};
      })[0];
}

/// A [rows] f32 tensor of `body(r)`.
static Value rowsOf(VectorEmitter &v, int64_t rows,
                    function_ref<Value(Value row)> body) {
  return v.loop(v.e.idx(0), v.e.idx(rows), 1,
                v.empty({v.b.getIndexAttr(rows)}),
                [&](Value r, ValueRange iter) -> SmallVector<Value> {
                  return {v.insert(body(r), iter[0], {r})};
                })[0];
}

/// `tile[r, :] * factor(r)` (vectors along the row): the weights of an
/// outer-product kernel scaled once, so that it broadcasts them straight
/// from memory instead of multiplying each one in its inner loop.
static Value scaleRows(VectorEmitter &v, Value tile,
                       function_ref<Value(Value row)> factor) {
  ScalarEmitter &e = v.e;
  int64_t rows = staticDim(tile, 0);
  Value depth = v.dim(tile, 1);
  return v.loop(
      e.idx(0), e.idx(rows), 1, v.empty({v.b.getIndexAttr(rows), depth}),
      [&](Value r, ValueRange iter) -> SmallVector<Value> {
        Value f = v.broadcast(factor(r));
        return {v.loop(e.idx(0), depth, v.width, iter[0],
                       [&](Value x, ValueRange it) -> SmallVector<Value> {
                         Value scaled = arith::MulFOp::create(
                             v.b, v.loc, v.read(tile, {r, x}, false), f);
                         return {v.write(scaled, it[0], {r, x}, false)};
                       })[0]};
      })[0];
}

/// acc = f * (phi(q) S), sum = f * (phi(q) . z) per query row, f the
/// row's scale and decay since the state.
static SmallVector<Value> lowerReadState(ReadStateOp op, int64_t width,
                                         Blocking blocking) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  Value q = op.getQuery(), chunk = op.getChunk(), prefix = op.getPrefix();
  Value before = e.subi(chunk, e.idx(1));
  int64_t rows = staticDim(q, 0);
  // A gate per channel decays each query feature since the state first.
  if (isChannelPrefix(prefix)) {
    q = decayRowChannels(
        v, q, prefix, [&](Value) { return before; },
        [&](Value r) { return e.addi(chunk, r); });
    prefix = Value();
  }
  Value factors = rowsOf(v, rows, [&](Value r) -> Value {
    Value f = v.e.decayBetween(prefix, before, e.addi(chunk, r));
    return arith::MulFOp::create(v.b, v.loc, f, op.getScale());
  });
  auto accType = cast<RankedTensorType>(op.getAcc().getType());
  Value dv = v.dim(op.getState(), 1);
  Value zeros = linalg::FillOp::create(
                    v.b, v.loc, ValueRange{e.f32(0.0)},
                    ValueRange{tensor::EmptyOp::create(
                        v.b, v.loc, accType.getShape(), v.b.getF32Type(),
                        accType.isDynamicDim(1) ? ValueRange{dv}
                                                : ValueRange{})})
                    .getResult(0);
  // The rows' factors go into the broadcast weights, once.
  Value weights =
      scaleRows(v, q, [&](Value r) { return v.extract(factors, {r}); });
  Value acc = outerProductAccumulate(
      v, zeros, ValueRows(v, op.getState()),
      [&](Value r, Value x) { return v.extract(weights, {r, x}); },
      RowScalar(), blocking);
  Value depth = v.dim(q, 1);
  Value sum = rowsOf(v, rows, [&](Value r) -> Value {
    Value dot = v.loop(e.idx(0), depth, width, v.splat(0.0),
                       [&](Value x, ValueRange a) -> SmallVector<Value> {
                         return {math::FmaOp::create(
                             v.b, v.loc, v.read(q, {r, x}, false),
                             v.read(op.getKeySum(), {x}, false), a[0])};
                       })[0];
    return arith::MulFOp::create(v.b, v.loc,
                                 v.reduce(vector::CombiningKind::ADD, dot),
                                 v.extract(factors, {r}));
  });
  return {acc, sum};
}

/// S' = e S + sum_c g_c phi(k_c)^T v_c and z' = e z + sum_c g_c phi(k_c)
/// over the chunk's rows inside the keys (padding rows are never read).
static SmallVector<Value> lowerUpdateState(UpdateStateOp op, int64_t width,
                                           Blocking blocking) {
  VectorEmitter v(op, width);
  ScalarEmitter &e = v.e;
  Value chunk = op.getChunk(), prefix = op.getPrefix(), k = op.getKey();
  int64_t rows = staticDim(k, 0);
  Value last = e.subi(e.minsi(e.addi(chunk, e.idx(rows)), op.getKeyLength()),
                      e.idx(1));
  Value count = e.maxsi(e.addi(e.subi(last, chunk), e.idx(1)), e.idx(0));
  Value before = e.subi(chunk, e.idx(1));
  Value depth = v.dim(k, 1);
  // The keys decayed to the chunk's end (per feature with a gate per
  // channel, per row with a scalar decay) once, so that the outer products
  // broadcast them straight from memory; the state rows decayed over the
  // chunk (one factor per channel, or one for all). Nothing without a
  // decay.
  Value channelDecay, stateDecay;
  if (isChannelPrefix(prefix)) {
    k = decayRowChannels(
        v, k, prefix, [&](Value c) { return e.addi(chunk, c); },
        [&](Value) { return last; });
    channelDecay = v.loop(
        e.idx(0), depth, width, v.empty({depth}),
        [&](Value x, ValueRange iter) -> SmallVector<Value> {
          return {v.write(channelDecayLanes(v, prefix, before, last, x),
                          iter[0], {x}, false)};
        })[0];
  } else if (prefix) {
    stateDecay = v.e.decayBetween(prefix, before, last);
    k = scaleRows(v, k, [&](Value c) {
      return v.e.decayBetween(prefix, e.addi(chunk, c), last);
    });
  }
  auto stateFactor = [&](Value x) {
    return channelDecay ? v.extract(channelDecay, {x}) : stateDecay;
  };
  Value state = outerProductAccumulate(
      v, op.getState(), ValueRows(v, op.getValue(), count),
      [&](Value x, Value c) { return v.extract(k, {c, x}); },
      channelDecay || stateDecay ? RowScalar(stateFactor) : RowScalar(),
      blocking);
  Value keySum = v.loop(
      e.idx(0), depth, width, op.getKeySum(),
      [&](Value x, ValueRange iter) -> SmallVector<Value> {
        Value z = v.read(iter[0], {x}, false);
        if (channelDecay || stateDecay)
          z = arith::MulFOp::create(
              v.b, v.loc, z,
              channelDecay ? v.read(channelDecay, {x}, false)
                           : v.broadcast(stateDecay));
        z = v.loop(e.idx(0), count, 1, z,
                   [&](Value c, ValueRange a) -> SmallVector<Value> {
                     return {arith::AddFOp::create(
                         v.b, v.loc, v.read(k, {c, x}, false), a[0])};
                   })[0];
        return {v.write(z, iter[0], {x}, false)};
      })[0];
  return {state, keySum};
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

/// `rows` (a square block of `width` vectors) transposed in registers:
/// log2(width) rounds of perfect shuffles, each pairing row k with row
/// k + width / 2 and interleaving their low and high halves (one two-source
/// permute per output vector on AVX-512).
static SmallVector<Value> transposeInRegisters(VectorEmitter &v,
                                               SmallVector<Value> rows) {
  int64_t n = v.width;
  SmallVector<int64_t> low, high;
  for (int64_t x = 0; x < n / 2; ++x) {
    low.append({x, n + x});
    high.append({n / 2 + x, n + n / 2 + x});
  }
  for (int64_t round = 1; round < n; round *= 2) {
    SmallVector<Value> next(n);
    for (int64_t k = 0; k < n / 2; ++k) {
      Value a = rows[k], c = rows[k + n / 2];
      next[2 * k] = vector::ShuffleOp::create(v.b, v.loc, a, c, low);
      next[2 * k + 1] = vector::ShuffleOp::create(v.b, v.loc, a, c, high);
    }
    rows = std::move(next);
  }
  return rows;
}

/// One head's keys [N, D] packed into `init` [T, Dp, tileKv] as f32: key
/// tile t holds keys [t * tileKv, (t + 1) * tileKv) with the head dimension
/// first, D padded to whole vectors (Dp). By square blocks of `width` x
/// `width` transposed in registers: rows past N read the last row (a valid
/// address), channels past D read 0; the score kernel reads neither (its
/// head-dimension loop stops at D, its last key vectors are masked).
static Value packHeadByBlocks(VectorEmitter &v, Value keys, Value init,
                              int64_t tileKv) {
  ScalarEmitter &e = v.e;
  int64_t w = v.width;
  Value n = v.dim(keys, 0), d = v.dim(keys, 1);
  Value paddedD = v.dim(init, 1);
  Value lastRow = e.subi(n, e.idx(1));
  return v.loop(e.idx(0), n, w, init, [&](Value j0, ValueRange outer) {
    Value tile = e.floordiv(j0, e.idx(tileKv));
    Value column = e.subi(j0, e.muli(tile, e.idx(tileKv)));
    return SmallVector<Value>{v.loop(
        e.idx(0), paddedD, w, outer[0],
        [&](Value d0, ValueRange inner) -> SmallVector<Value> {
          Value channels = v.lanesBefore(d, d0);
          SmallVector<Value> rows;
          for (int64_t r = 0; r < w; ++r)
            rows.push_back(v.readMasked(
                keys, {e.minsi(e.addi(j0, e.idx(r)), lastRow), d0}, channels));
          Value out = inner[0];
          for (auto [c, vec] : llvm::enumerate(transposeInRegisters(v, rows)))
            out = v.write(
                vec, out,
                {tile, e.addi(d0, e.idx(static_cast<int64_t>(c))), column},
                true);
          return {out};
        })[0]};
  })[0];
}

/// f32 keys packed by key tiles, [B, H, ceil(N / tileKv), Dp, tileKv] (see
/// packHeadByBlocks), one (batch, head) per work item of an scf.forall, so
/// the work-item runtime spreads the packing over the threads like the
/// attention itself. A key tile is one contiguous panel: the score kernel
/// steps through it by `tileKv` floats per channel, where [B, H, D, N]
/// strided by N floats (16 KiB at N = 4096) mapped every channel of a tile
/// to the same L1 sets.
static Value packKeys(OpBuilder &b, Location loc, Value keys, int64_t width,
                      int64_t tileKv) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, keys);
  ScalarEmitter e(b, loc);
  Value n = getValueOrCreateConstantIndexOp(b, loc, sizes[2]);
  Value d = getValueOrCreateConstantIndexOp(b, loc, sizes[3]);
  OpFoldResult tiles =
      arith::CeilDivUIOp::create(b, loc, n, e.idx(tileKv)).getResult();
  OpFoldResult paddedD =
      e.muli(arith::CeilDivUIOp::create(b, loc, d, e.idx(width)), e.idx(width));
  OpFoldResult tk = b.getIndexAttr(tileKv);
  Value init = tensor::EmptyOp::create(
      b, loc, ArrayRef<OpFoldResult>{sizes[0], sizes[1], tiles, paddedD, tk},
      b.getF32Type());
  auto keyType = cast<RankedTensorType>(keys.getType());
  auto headType = RankedTensorType::get(
      {keyType.getDimSize(2), keyType.getDimSize(3)}, keyType.getElementType());
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  return forEachHead(
      b, loc, sizes[0], sizes[1], init,
      [&](Value bi, Value hi, ValueRange heads) -> SmallVector<Value> {
        Value head = tensor::ExtractSliceOp::create(
            b, loc, headType, keys, ArrayRef<OpFoldResult>{bi, hi, zero, zero},
            ArrayRef<OpFoldResult>{one, one, sizes[2], sizes[3]},
            ArrayRef<OpFoldResult>{one, one, one, one});
        VectorEmitter v(b, loc, width);
        return {packHeadByBlocks(v, head, heads[0], tileKv)};
      })[0];
}

/// The non-finite probe (see `nonFiniteProbe`) of every `tileKv`-row tile
/// of every (batch, head) of `values` [B, H, N, Dv]: [B, H, ceil(N / tileKv)]
/// f32, 0 for a tile whose values are all finite. One pass over the values
/// per call instead of one per (query tile, key tile) pair; an scf.forall
/// over (batch, head) like the key packing.
static Value probeValueTiles(OpBuilder &b, Location loc, Value values,
                             int64_t tileKv, int64_t width) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, values);
  ScalarEmitter e(b, loc);
  Value rows = getValueOrCreateConstantIndexOp(b, loc, sizes[2]);
  Value tiles = arith::CeilDivUIOp::create(b, loc, rows, e.idx(tileKv));
  Value init = tensor::EmptyOp::create(
      b, loc, ArrayRef<OpFoldResult>{sizes[0], sizes[1], tiles},
      b.getF32Type());
  return forEachHead(
      b, loc, sizes[0], sizes[1], init,
      [&](Value bi, Value hi, ValueRange heads) -> SmallVector<Value> {
        VectorEmitter v(b, loc, width);
        return {v.loop(
            v.e.idx(0), tiles, 1, heads[0],
            [&](Value t, ValueRange iter) -> SmallVector<Value> {
              ValueRows tileRows(v, values, {bi, hi},
                                 v.e.muli(t, v.e.idx(tileKv)), tileKv);
              return {v.insert(nonFiniteProbe(v, tileRows), iter[0], {t})};
            })[0]};
      })[0];
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
    blocking = vectorWidth == 16 ? Blocking{6, 4} : Blocking{3, 4};
    // The pass instance runs on one function after another: packed copies
    // of an earlier function are not this one's (a key operand's Value may
    // even reuse the memory of an erased one: a stale hit would read a
    // value of another function).
    packed.clear();
    probed.clear();
    QuantizedScoresLowering quantized(vectorWidth);
    QuantizedAccumulateLowering quantizedPV(vectorWidth);
    if (bf16Dot && vectorWidth != 8 && vectorWidth != 16) {
      getOperation().emitError("convert-attn-tile-to-vector: bf16-dot needs "
                               "vector-width 8 or 16 (vdpbf16ps), got ")
          << static_cast<int64_t>(vectorWidth);
      return signalPassFailure();
    }
    BF16DotLowering bf16(vectorWidth, blocking.rows, blocking.vectors);
    // Scores and P V first: they read keys and values from the sources
    // where they can, so the loads they leave unused die instead of being
    // copied.
    SmallVector<Operation *> readers, ops;
    getOperation().walk([&](Operation *op) {
      if (isa<ScoresOp, AccumulateOp, QuantizedScoresOp,
              QuantizedAccumulateOp>(op))
        readers.push_back(op);
      else if (isa<LoadOp, GatherRowsOp, ScatterRowsOp, MaskOp, ModifyOp,
                   OnlineUpdateOp, DecayOp, GatedScoresOp, ReadStateOp,
                   UpdateStateOp, FeatureMapOp, ExpandFeaturesOp, FinalizeOp,
                   QuantizeOp, QuantizeChannelsOp, KeptSumsOp,
                   AffineNormalizeOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : readers) {
      if (auto scores = dyn_cast<ScoresOp>(op)) {
        if (!bf16Dot || !bf16.lowerScores(scores)) // BF16DotToVector.cpp
          lowerScores(scores);
      }
      else if (auto qk = dyn_cast<QuantizedScoresOp>(op))
        quantized.lower(qk); // QuantizedScoresToVector.cpp
      else if (auto pv = dyn_cast<QuantizedAccumulateOp>(op))
        quantizedPV.lower(pv); // QuantizedAccumulateToVector.cpp
      else if (auto acc = dyn_cast<AccumulateOp>(op))
        lowerAccumulateOp(acc, bf16);
    }
    for (Operation *op : ops) {
      if (auto load = dyn_cast<LoadOp>(op)) {
        if (load->use_empty()) {
          load.erase();
          continue;
        }
        if (lanesDivide(load.getResult(), /*d=*/-1) &&
            isa<FloatType>(getElementTypeOrSelf(load.getSource().getType())))
          replace(op, {lowerLoad(load, vectorWidth)});
      } else if (auto gather = dyn_cast<GatherRowsOp>(op)) {
        // Whole rows of a vector multiple; 1-D rows stay portable.
        if (cast<ShapedType>(gather.getType()).getRank() == 2 &&
            lanesDivide(gather.getResult(), 1))
          replace(op, {lowerGatherRows(gather, vectorWidth)});
      } else if (auto scatter = dyn_cast<ScatterRowsOp>(op)) {
        if (cast<ShapedType>(scatter.getTile().getType()).getRank() == 2 &&
            lanesDivide(scatter.getTile(), 1))
          replace(op, {lowerScatterRows(scatter, vectorWidth)});
      } else if (auto mask = dyn_cast<MaskOp>(op)) {
        if (isLaneMaskOp(mask))
          replace(op, {lowerMask(mask, vectorWidth)});
      } else if (auto modify = dyn_cast<ModifyOp>(op)) {
        if (lanesDivide(modify.getScores(), 1) && isLaneModifyOp(modify))
          replace(op, {lowerModify(modify, vectorWidth)});
      } else if (auto update = dyn_cast<OnlineUpdateOp>(op)) {
        if (lanesDivide(update.getScores(), 1))
          replace(op, lowerOnlineUpdate(update, vectorWidth));
      } else if (auto phi = dyn_cast<FeatureMapOp>(op)) {
        if (lanesDivide(phi.getTile(), -1))
          replace(op, {lowerFeatureMap(phi, vectorWidth)});
      } else if (auto expand = dyn_cast<ExpandFeaturesOp>(op)) {
        // The row softmax (Efficient Attention's query map, once per work
        // item) stays portable.
        if (lanesDivide(expand.getTile(), -1) &&
            expand.getMap().getKind() != FeatureMapKind::Softmax)
          replace(op, {lowerExpandFeatures(expand, vectorWidth)});
      } else if (auto decay = dyn_cast<DecayOp>(op)) {
        if (lanesDivide(decay.getScores(), 1))
          replace(op, {lowerDecay(decay, vectorWidth)});
      } else if (auto gated = dyn_cast<GatedScoresOp>(op)) {
        if (lanesDivide(gated.getQuery(), -1) && lanesDivide(gated.getKey(), -1))
          replace(op, {lowerGatedScores(gated, vectorWidth)});
      } else if (auto read = dyn_cast<ReadStateOp>(op)) {
        if (lanesDivide(read.getQuery(), -1))
          replace(op, lowerReadState(read, vectorWidth, blocking));
      } else if (auto finalize = dyn_cast<FinalizeOp>(op)) {
        if (lanesDivide(finalize.getAcc(), -1))
          replace(op, lowerFinalize(finalize, vectorWidth));
      } else if (auto fold = dyn_cast<UpdateStateOp>(op)) {
        if (lanesDivide(fold.getKey(), -1))
          replace(op, lowerUpdateState(fold, vectorWidth, blocking));
      } else if (auto kept = dyn_cast<KeptSumsOp>(op)) {
        if (lanesDivide(kept.getMaskedScores(), -1))
          replace(op, lowerKeptSums(kept, vectorWidth));
      } else if (auto affine = dyn_cast<AffineNormalizeOp>(op)) {
        if (lanesDivide(affine.getAcc(), -1))
          replace(op, {lowerAffineNormalize(affine, vectorWidth)});
      } else if (auto quantize = dyn_cast<QuantizeOp>(op)) {
        // Mixed precision (salient flags) keeps the portable lowering.
        if (!quantize.getSalient())
          lowerQuantizeToVector(quantize, vectorWidth); // QuantizeToVector.cpp
      } else if (auto channels = dyn_cast<QuantizeChannelsOp>(op)) {
        lowerQuantizeChannelsToVector(channels, vectorWidth);
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

  /// A mask attribute of closed forms and a mask_fn region elementwise in
  /// the key index (captures read at uniform indices only); segment ids
  /// and block layouts stay for the portable lowering.
  bool isLaneMaskOp(MaskOp mask) {
    if (!lanesDivide(mask.getScores(), 1) || mask.getQSegmentIds() ||
        mask.getKvSegmentIds() || mask.getBlockLayout())
      return false;
    if (mask.getMask() && !codegen::isLaneMask(*mask.getMask()))
      return false;
    if (!hasRegion(mask.getMaskFn()))
      return mask.getMask() && mask.getCaptures().empty();
    // Arguments (b, h, i, j): the key varies across lanes.
    return codegen::isLaneRegion(mask.getMaskFn(), {false, false, false, true});
  }

  void lowerScores(ScoresOp op) {
    if (!lanesDivide(op.getResult(), 1))
      return;
    int64_t tq = staticDim(op.getResult(), 0);
    auto key = op.getKey().getDefiningOp<LoadOp>();
    // Keys read at a key loop's tile start (never negative) may come from
    // the packed copy, whose panels are the loop's tiles.
    if (tq < vectorWidth) {
      replace(op, {scoresFromRowDots(op, vectorWidth)});
      return;
    }
    if (!key || !isKeyLoopTile(key) ||
        staticDim(op.getResult(), 1) !=
            static_cast<int64_t>(keyLoopOf(key).getTileKv())) {
      replace(op, {scoresFromTransposedKeys(op, vectorWidth, blocking)});
      return;
    }
    Value packed = packedKeys(key.getSource(), keyLoopOf(key).getTileKv());
    replace(op,
            {scoresFromPackedKeys(op, key, packed, vectorWidth, blocking)});
  }

  /// P V by the bf16-dot kernel where it takes the op, else the f32 one;
  /// weights of dynamic extents stay for the portable lowering.
  void lowerAccumulateOp(AccumulateOp acc, BF16DotLowering &bf16) {
    if (staticDim(acc.getWeights(), 0) == ShapedType::kDynamic ||
        staticDim(acc.getWeights(), 1) == ShapedType::kDynamic)
      return;
    auto f32Kernel = [&](AccumulateOp op) {
      return accumulateKernel(op, vectorWidth, blocking);
    };
    auto bf16Kernel = [&](AccumulateOp op) { return bf16.accumulate(op); };
    bool pairs = bf16Dot && bf16.takesAccumulate(acc);
    replace(acc, {lowerAccumulate(
                     acc, vectorWidth,
                     pairs ? AccumulateKernel(bf16Kernel)
                           : AccumulateKernel(f32Kernel),
                     valueProbes(acc))});
  }

  /// The per-call probes of the value tiles `acc` reads, where they pay:
  /// values loaded at a key loop's tile start, for query tiles of at least
  /// a vector (a decode step would read the values twice).
  Value valueProbes(AccumulateOp acc) {
    auto load = acc.getValue().getDefiningOp<LoadOp>();
    if (!acc.getMaskedScores() || !load || !isKeyLoopTile(load) ||
        staticDim(acc.getWeights(), 0) < vectorWidth)
      return {};
    ForKeyTilesOp loop = keyLoopOf(load);
    Value &probes = probed[{load.getSource(), loop.getTileKv()}];
    if (probes)
      return probes;
    Value values = load.getSource();
    OpBuilder b(values.getContext());
    if (Operation *def = values.getDefiningOp())
      b.setInsertionPointAfter(def);
    else
      b.setInsertionPointToStart(cast<BlockArgument>(values).getOwner());
    probes = probeValueTiles(b, values.getLoc(), values, loop.getTileKv(),
                             vectorWidth);
    return probes;
  }

  /// One packed copy per key operand and tile size, where the operand is
  /// defined.
  Value packedKeys(Value keys, int64_t tileKv) {
    Value &t = packed[{keys, tileKv}];
    if (t)
      return t;
    OpBuilder b(keys.getContext());
    if (Operation *def = keys.getDefiningOp())
      b.setInsertionPointAfter(def);
    else
      b.setInsertionPointToStart(cast<BlockArgument>(keys).getOwner());
    t = packKeys(b, keys.getLoc(), keys, vectorWidth, tileKv);
    return t;
  }

  static void replace(Operation *op, ArrayRef<Value> values) {
    op->replaceAllUsesWith(values);
    op->erase();
  }

  Blocking blocking{4, 4};
  llvm::DenseMap<std::pair<Value, int64_t>, Value> packed;
  llvm::DenseMap<std::pair<Value, int64_t>, Value> probed;
};
} // namespace
