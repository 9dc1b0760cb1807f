//===- QuantizedScoresToVector.cpp - INT8 Q K^T vector kernel -------------===//
//
// S[i, j] = f32(q_i . k_j) * sq[i] * sk[j] * scale with the i8 dot product
// exact in i32, as the portable lowering computes it (same products, same
// order of the float multiplications: the two agree bit for bit).
//
// Layout: keys along the lanes, as the f32 kernel. vpdpbusd multiplies
// four unsigned bytes of one operand by four signed bytes of the other and
// adds the four products to an i32 lane, so each key operand is packed once
// per call, before the work items, into [B, H, ceil(D/4), 4N] i8 (for each
// group of 4 head-dimension channels, the keys' 4 bytes one key after the
// other: a vector of `width` keys is 4 * width contiguous bytes) with every
// key byte offset by 128 (k + 128 in [1, 255], unsigned; 128 is k = 0 past
// D). A query tile row's 4 bytes of a group are broadcast to all lanes
// (signed). The offset adds 128 * sum_x q[i, x] to row i, subtracted before
// the conversion: with values in [-127, 127] every step is exact.
//
//===----------------------------------------------------------------------===//

#include "QuantizedToVector.h"

#include "attn/Conversion/AttnCodegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/AffineMap.h"

using namespace mlir;
using namespace attn;
using namespace attn::tile;
using codegen::ScalarEmitter;

int64_t attn::tile::staticDim(Value tensor, int64_t d) {
  return cast<RankedTensorType>(tensor.getType()).getDimSize(d);
}

Value attn::tile::i8Constant(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantOp::create(b, loc, b.getI8Type(),
                                   b.getIntegerAttr(b.getI8Type(), v));
}

void attn::tile::setInsertionAfterDefinition(OpBuilder &b, Value v) {
  if (Operation *def = v.getDefiningOp())
    b.setInsertionPointAfter(def);
  else
    b.setInsertionPointToStart(cast<BlockArgument>(v).getOwner());
}

//===----------------------------------------------------------------------===//
// Packing
//===----------------------------------------------------------------------===//

/// One head's keys [N, D] as [ceil(D/4), 4N], written into `init`: byte
/// 4j + t of group g is u8(max(k[j, 4g + t], -127) + 128), 128 past D.
/// -128 reads as -127, as load_quantized reads it.
static Value packHead(OpBuilder &b, Location loc, Value keys, Value bi,
                      Value hi, Value depth, Value init) {
  ScalarEmitter e(b, loc);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{}, ValueRange{init},
             ArrayRef<AffineMap>{b.getMultiDimIdentityMap(2)},
             SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
             [&](OpBuilder &, Location, ValueRange) {
               Value group = linalg::IndexOp::create(b, loc, 0);
               Value byte = linalg::IndexOp::create(b, loc, 1);
               Value j = arith::DivUIOp::create(b, loc, byte, e.idx(4));
               Value t = arith::RemUIOp::create(b, loc, byte, e.idx(4));
               Value x = e.addi(e.muli(group, e.idx(4)), t);
               Value inside = e.cmp(arith::CmpIPredicate::slt, x, depth);
               Value clamped = e.minsi(x, e.subi(depth, e.idx(1)));
               Value k = tensor::ExtractOp::create(
                   b, loc, keys, ValueRange{bi, hi, j, clamped});
               k = arith::MaxSIOp::create(b, loc, k, i8Constant(b, loc, -127));
               k = e.select(inside, k, i8Constant(b, loc, 0));
               // k + 128 as an unsigned byte: flipping the sign bit.
               Value u =
                   arith::XOrIOp::create(b, loc, k, i8Constant(b, loc, -128));
               linalg::YieldOp::create(b, loc, u);
             })
      .getResult(0);
}

/// The packed keys [B, H, ceil(D/4), 4N] of an i8 key operand, one
/// (batch, head) per work item.
static Value packKeys(OpBuilder &b, Location loc, Value keys) {
  ScalarEmitter e(b, loc);
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, keys);
  Value depth = tensor::DimOp::create(b, loc, keys, 3);
  Value groups = arith::CeilDivUIOp::create(b, loc, depth, e.idx(4));
  Value bytes = e.muli(tensor::DimOp::create(b, loc, keys, 2), e.idx(4));
  SmallVector<OpFoldResult> packedSizes = {sizes[0], sizes[1], groups, bytes};
  Value init = tensor::EmptyOp::create(b, loc, packedSizes, b.getI8Type());
  return forEachHead(
      b, loc, sizes[0], sizes[1], init,
      [&](Value bi, Value hi, ValueRange heads) -> SmallVector<Value> {
        return {packHead(b, loc, keys, bi, hi, depth, heads[0])};
      })[0];
}

Value QuantizedScoresLowering::packedKeys(Value source) {
  Value &packed = keys[source];
  if (!packed) {
    OpBuilder b(source.getContext());
    setInsertionAfterDefinition(b, source);
    packed = packKeys(b, source.getLoc(), source);
  }
  return packed;
}

/// 128 * sum_x q[i, x] per row of `query` [T, D] i8, as i32.
static Value rowOffsets(OpBuilder &b, Location loc, Value query) {
  MLIRContext *ctx = b.getContext();
  Type i32 = b.getI32Type();
  int64_t rows = staticDim(query, 0);
  Value zero = arith::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(0));
  Value init =
      linalg::FillOp::create(
          b, loc, ValueRange{zero},
          ValueRange{tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{rows},
                                             i32)})
          .getResult(0);
  AffineExpr i = getAffineDimExpr(0, ctx), x = getAffineDimExpr(1, ctx);
  SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {i, x}, ctx),
                                 AffineMap::get(2, 0, {i}, ctx)};
  return linalg::GenericOp::create(
             b, loc, init.getType(), query, init, maps,
             {utils::IteratorType::parallel, utils::IteratorType::reduction},
             [&](OpBuilder &nested, Location l, ValueRange args) {
               Value q = arith::ExtSIOp::create(nested, l, i32, args[0]);
               Value c128 = arith::ConstantOp::create(
                   nested, l, i32, nested.getI32IntegerAttr(128));
               Value sum = arith::AddIOp::create(
                   nested, l, args[1], arith::MulIOp::create(nested, l, q, c128));
               linalg::YieldOp::create(nested, l, sum);
             })
      .getResult(0);
}

QuantizedScoresLowering::PackedQuery
QuantizedScoresLowering::packedQuery(Value query) {
  auto it = queries.find(query);
  if (it != queries.end())
    return it->second;
  OpBuilder b(query.getContext());
  setInsertionAfterDefinition(b, query);
  Location loc = query.getLoc();
  ScalarEmitter e(b, loc);
  int64_t rows = staticDim(query, 0);
  Value depth = tensor::DimOp::create(b, loc, query, 1);
  Value padded = e.muli(
      arith::CeilDivUIOp::create(b, loc, depth, e.idx(4)), e.idx(4));
  Value zeros =
      linalg::FillOp::create(
          b, loc, ValueRange{i8Constant(b, loc, 0)},
          ValueRange{tensor::EmptyOp::create(
              b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(rows), padded},
              b.getI8Type())})
          .getResult(0);
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  Value bytes = tensor::InsertSliceOp::create(
      b, loc, query, zeros, ArrayRef<OpFoldResult>{zero, zero},
      ArrayRef<OpFoldResult>{b.getIndexAttr(rows),
                             tensor::getMixedSize(b, loc, query, 1)},
      ArrayRef<OpFoldResult>{one, one});
  PackedQuery packed{bytes, rowOffsets(b, loc, query)};
  queries[query] = packed;
  return packed;
}

Value attn::tile::rowBlocks(OpBuilder &b, Location loc, int64_t rows,
                            int64_t block, Value init,
                            function_ref<Value(Value, int64_t, Value)> body) {
  ScalarEmitter e(b, loc);
  int64_t whole = rows / block * block;
  Value acc = init;
  if (whole > 0)
    acc = scf::ForOp::create(
              b, loc, e.idx(0), e.idx(whole), e.idx(block), acc,
              [&](OpBuilder &, Location, Value row, ValueRange iter) {
                scf::YieldOp::create(b, loc, body(row, block, iter[0]));
              })
              .getResult(0);
  if (whole < rows)
    acc = body(e.idx(whole), rows - whole, acc);
  return acc;
}

Value attn::tile::overlappingRowBlocks(
    OpBuilder &b, Location loc, int64_t rows, int64_t block, Value init,
    function_ref<Value(Value, int64_t, Value)> body) {
  if (rows <= block || rows % block == 0)
    return rowBlocks(b, loc, rows, block, init, body);
  ScalarEmitter e(b, loc);
  return scf::ForOp::create(
             b, loc, e.idx(0), e.idx(rows), e.idx(block), init,
             [&](OpBuilder &, Location, Value row, ValueRange iter) {
               // The last block starts at rows - block, not at a multiple
               // of block.
               Value start =
                   arith::MinSIOp::create(b, loc, row, e.idx(rows - block));
               scf::YieldOp::create(b, loc, body(start, block, iter[0]));
             })
      .getResult(0);
}

Value attn::tile::broadcastGroup(OpBuilder &b, Location loc, int64_t width,
                                 Value bytes, Value row, Value group) {
  ScalarEmitter e(b, loc);
  Value quad = vector::TransferReadOp::create(
      b, loc, VectorType::get({4}, b.getI8Type()), bytes,
      ValueRange{row, e.muli(group, e.idx(4))}, i8Constant(b, loc, 0),
      ArrayRef<bool>{true});
  Value word = vector::ExtractOp::create(
      b, loc,
      vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI32Type()),
                                quad),
      ArrayRef<int64_t>{0});
  Value words = vector::BroadcastOp::create(
      b, loc, VectorType::get({width}, b.getI32Type()), word);
  return vector::BitCastOp::create(
      b, loc, VectorType::get({4 * width}, b.getI8Type()), words);
}

//===----------------------------------------------------------------------===//
// The kernel
//===----------------------------------------------------------------------===//

namespace {
/// The vector code of one quantized_scores op: `width` i32 lanes, each the
/// dot product of 4-byte groups (attn_tile.dot_bytes).
class Int8DotEmitter {
public:
  Int8DotEmitter(QuantizedScoresOp op, int64_t width)
      : b(op), loc(op.getLoc()), e(b, loc), width(width) {}

  VectorType lanes(Type element) {
    return VectorType::get({width}, element);
  }
  VectorType byteLanes() { return VectorType::get({4 * width}, b.getI8Type()); }

  /// acc + sum_t u8(keys[4l + t]) * s8(query[4l + t]) per lane l.
  Value accumulate(Value acc, Value keys, Value query) {
    return DotBytesOp::create(b, loc, acc.getType(), acc, keys, query);
  }

  /// Group `group` (4 bytes) of query row `row`, broadcast to every lane.
  Value queryGroup(Value bytes, Value row, Value group) {
    return broadcastGroup(b, loc, width, bytes, row, group);
  }

  /// Blocks of `block` rows over [0, rows): a loop over the whole blocks,
  /// then one shorter block.
  Value rowBlocks(int64_t rows, int64_t block, Value init,
                  function_ref<Value(Value, int64_t, Value)> body) {
    return attn::tile::rowBlocks(b, loc, rows, block, init, body);
  }

  OpBuilder b;
  Location loc;
  ScalarEmitter e;
  int64_t width;
};
} // namespace

bool attn::tile::isKeyLoopTile(LoadQuantizedOp load) {
  auto start = dyn_cast<BlockArgument>(load.getRow());
  return start && start.getArgNumber() == 0 &&
         isa<ForKeyTilesOp>(start.getOwner()->getParentOp());
}

bool QuantizedScoresLowering::lower(QuantizedScoresOp op) {
  int64_t tq = staticDim(op.getResult(), 0), tk = staticDim(op.getResult(), 1);
  auto key = op.getKey().getDefiningOp<LoadQuantizedOp>();
  if (tq == ShapedType::kDynamic || tk == ShapedType::kDynamic ||
      tk % width != 0 || !key || !isKeyLoopTile(key))
    return false;
  Value packed = packedKeys(key.getSource());
  PackedQuery query = packedQuery(op.getQuery());

  Int8DotEmitter v(op, width);
  OpBuilder &b = v.b;
  Location loc = v.loc;
  ScalarEmitter &e = v.e;
  // Accumulators per pass: rows x key vectors (as the f32 kernel).
  int64_t blockRows = width == 16 ? 6 : 3, blockVectors = 4;
  VectorType f32s = v.lanes(b.getF32Type()), i32s = v.lanes(b.getI32Type());
  Value groups = tensor::DimOp::create(b, loc, packed, 2);
  Value keyBytes = tensor::DimOp::create(b, loc, packed, 3);
  Value scale = vector::BroadcastOp::create(b, loc, f32s, op.getScale());
  Value zeroAcc = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(i32s, b.getI32IntegerAttr(0)));
  Value keyPad = i8Constant(b, loc, -128);
  auto byteMaskType = VectorType::get({4 * width}, b.getI1Type());
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{tq, tk},
                                       b.getF32Type());
  int64_t keyVectors = tk / width;

  auto block = [&](Value i0, int64_t rows, Value tile) -> Value {
    for (int64_t g = 0; g < keyVectors; g += blockVectors) {
      int64_t count = std::min(blockVectors, keyVectors - g);
      // Byte offsets of the key vectors, and masks of the bytes inside the
      // sequence (the keys past its end have scale 0: their scores are 0,
      // as in the portable lowering), made outside the loop over groups.
      SmallVector<Value> starts, masks;
      for (int64_t c = 0; c < count; ++c) {
        starts.push_back(e.muli(
            e.addi(key.getRow(), e.idx((g + c) * width)), e.idx(4)));
        masks.push_back(vector::CreateMaskOp::create(
            b, loc, byteMaskType, ValueRange{e.subi(keyBytes, starts[c])}));
      }
      SmallVector<Value> inits(rows * count, zeroAcc);
      auto loop = scf::ForOp::create(
          b, loc, e.idx(0), groups, e.idx(1), inits,
          [&](OpBuilder &, Location, Value group, ValueRange acc) {
            SmallVector<Value> next(acc);
            SmallVector<Value> rowsBytes;
            for (int64_t r = 0; r < rows; ++r)
              rowsBytes.push_back(v.queryGroup(
                  query.bytes, e.addi(i0, e.idx(r)), group));
            for (int64_t c = 0; c < count; ++c) {
              Value keyBytesVec = vector::TransferReadOp::create(
                  b, loc, v.byteLanes(), packed,
                  ValueRange{key.getBatch(), key.getHead(), group, starts[c]},
                  AffineMap::getMinorIdentityMap(4, 1, b.getContext()), keyPad,
                  masks[c], b.getBoolArrayAttr({true}));
              for (int64_t r = 0; r < rows; ++r)
                next[r * count + c] =
                    v.accumulate(next[r * count + c], keyBytesVec, rowsBytes[r]);
            }
            scf::YieldOp::create(b, loc, next);
          });
      for (int64_t r = 0; r < rows; ++r) {
        Value row = e.addi(i0, e.idx(r));
        Value offset = vector::BroadcastOp::create(
            b, loc, i32s,
            tensor::ExtractOp::create(b, loc, query.offsets, ValueRange{row}));
        Value rowScale = vector::BroadcastOp::create(
            b, loc, f32s,
            tensor::ExtractOp::create(b, loc, op.getQScales(), ValueRange{row}));
        for (int64_t c = 0; c < count; ++c) {
          Value column = e.idx((g + c) * width);
          Value dotProducts = arith::SubIOp::create(
              b, loc, loop.getResult(r * count + c), offset);
          // f32(dot) * sq * sk * scale: the portable lowering's order.
          Value s = arith::SIToFPOp::create(b, loc, f32s, dotProducts);
          s = arith::MulFOp::create(b, loc, s, rowScale);
          Value keyScales = vector::TransferReadOp::create(
              b, loc, f32s, op.getKScales(), ValueRange{column},
              arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0)),
              ArrayRef<bool>{true});
          s = arith::MulFOp::create(b, loc, s, keyScales);
          s = arith::MulFOp::create(b, loc, s, scale);
          if (Value plus = op.getPlus()) // Q smoothing's float correction
            s = arith::AddFOp::create(
                b, loc, s,
                vector::TransferReadOp::create(
                    b, loc, f32s, plus, ValueRange{row, column},
                    arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0)),
                    ArrayRef<bool>{true}));
          tile = vector::TransferWriteOp::create(b, loc, s, tile,
                                                 ValueRange{row, column},
                                                 ArrayRef<bool>{true})
                     .getResult();
        }
      }
    }
    return tile;
  };
  // Each entry is written with the same value by every block covering its
  // row: the blocks may overlap.
  Value result =
      attn::tile::overlappingRowBlocks(b, loc, tq, blockRows, init, block);
  op.getResult().replaceAllUsesWith(result);
  op.erase();
  return true;
}
