//===- QuantizedAccumulateToVector.cpp - INT8 P V vector kernel -----------===//
//
// acc * alpha + f32(sum_j u(w[i, j]) * v[j, c]) * (scales[c] / 255) with
// the byte sums exact in i32, as the portable lowering computes it (same
// products, same order of the float operations: the two agree bit for bit).
//
// Layout: value channels along the lanes, as the f32 P V kernel. vpdpbusd
// multiplies four unsigned bytes of one operand by four signed bytes of the
// other, so the i8 values are packed once per call, before the work items,
// into [B, H, ceil(N/4), 4D] (for each group of 4 keys, each channel's 4
// bytes one channel after the other: a vector of `width` channels is
// 4 * width contiguous bytes; 0 past N), by vectors: a byte-by-byte scalar
// packing cost about 15 ms of a 4096-token, 16-head call on two threads.
// The weights are already in
// [0, 1]: their bytes u = roundeven(255 w) are unsigned without an offset,
// a row's 4 bytes of a group broadcast to every lane.
//
//===----------------------------------------------------------------------===//

#include "QuantizedToVector.h"

#include "attn/Conversion/AttnCodegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace attn;
using namespace attn::tile;
using codegen::ScalarEmitter;

//===----------------------------------------------------------------------===//
// Packing
//===----------------------------------------------------------------------===//

/// Interleaves 4 vectors of `width` bytes: result[4c + t] = rows[t][c].
static Value interleave4(OpBuilder &b, Location loc, ArrayRef<Value> rows,
                         int64_t width) {
  SmallVector<int64_t> pairs, quads;
  for (int64_t c = 0; c < width; ++c)
    pairs.append({c, width + c});
  for (int64_t c = 0; c < width; ++c)
    quads.append({2 * c, 2 * c + 1, 2 * width + 2 * c, 2 * width + 2 * c + 1});
  Value low = vector::ShuffleOp::create(b, loc, rows[0], rows[1], pairs);
  Value high = vector::ShuffleOp::create(b, loc, rows[2], rows[3], pairs);
  return vector::ShuffleOp::create(b, loc, low, high, quads);
}

/// One head's values [N, D] as [ceil(N/4), 4D]: byte 4c + t of group g is
/// v[4g + t, c], 0 past N. By vectors of `width` channels: the 4 rows of a
/// group read whole and interleaved (two rounds of shuffles), instead of a
/// scalar loop over every byte. The values come from quantize_channels,
/// in [-127, 127] (no -128 to read as -127).
static Value packHeadValues(OpBuilder &b, Location loc, int64_t width,
                            Value values, Value bi, Value hi, Value groups,
                            Value tokens, Value depth, Value init) {
  ScalarEmitter e(b, loc);
  auto rowType = VectorType::get({width}, b.getI8Type());
  Value zeros = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(rowType, b.getI8IntegerAttr(0)));
  auto forLoop = [&](Value ub, int64_t step, Value acc,
                     function_ref<Value(Value, Value)> body) {
    return scf::ForOp::create(
               b, loc, e.idx(0), ub, e.idx(step), ValueRange{acc},
               [&](OpBuilder &, Location, Value iv, ValueRange iter) {
                 scf::YieldOp::create(b, loc, body(iv, iter[0]));
               })
        .getResult(0);
  };
  return forLoop(groups, 1, init, [&](Value g, Value packed) {
    return forLoop(depth, width, packed, [&](Value x0, Value packed) {
      SmallVector<Value> rows;
      for (int64_t t = 0; t < 4; ++t) {
        Value j = e.addi(e.muli(g, e.idx(4)), e.idx(t));
        Value inside = e.cmp(arith::CmpIPredicate::slt, j, tokens);
        Value row = vector::TransferReadOp::create(
            b, loc, rowType, values,
            ValueRange{bi, hi, e.minsi(j, e.subi(tokens, e.idx(1))), x0},
            i8Constant(b, loc, 0), ArrayRef<bool>{false});
        rows.push_back(arith::SelectOp::create(b, loc, inside, row, zeros));
      }
      return vector::TransferWriteOp::create(
                 b, loc, interleave4(b, loc, rows, width), packed,
                 ValueRange{g, e.muli(x0, e.idx(4))}, ArrayRef<bool>{false})
          .getResult();
    });
  });
}

/// The packed values [B, H, ceil(N/4), 4D] of an i8 value operand, one
/// (batch, head) per work item.
static Value packValues(OpBuilder &b, Location loc, int64_t width,
                        Value values) {
  ScalarEmitter e(b, loc);
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, values);
  Value tokens = tensor::DimOp::create(b, loc, values, 2);
  Value depth = tensor::DimOp::create(b, loc, values, 3);
  Value groups = arith::CeilDivUIOp::create(b, loc, tokens, e.idx(4));
  SmallVector<OpFoldResult> packedSizes = {sizes[0], sizes[1], groups,
                                           e.muli(depth, e.idx(4))};
  Value init = tensor::EmptyOp::create(b, loc, packedSizes, b.getI8Type());
  return forEachHead(
      b, loc, sizes[0], sizes[1], init,
      [&](Value bi, Value hi, ValueRange heads) -> SmallVector<Value> {
        return {packHeadValues(b, loc, width, values, bi, hi, groups, tokens,
                               depth, heads[0])};
      })[0];
}

Value QuantizedAccumulateLowering::packedValues(Value source) {
  Value &packed = values[source];
  if (!packed) {
    OpBuilder b(source.getContext());
    setInsertionAfterDefinition(b, source);
    packed = packValues(b, source.getLoc(), width, source);
  }
  return packed;
}

//===----------------------------------------------------------------------===//
// The kernel
//===----------------------------------------------------------------------===//

namespace {
/// The vector code of one quantized_accumulate op over `width` channels.
class BytePVEmitter {
public:
  BytePVEmitter(QuantizedAccumulateOp op, int64_t width)
      : b(op), loc(op.getLoc()), e(b, loc), width(width) {}

  VectorType lanes(Type element) { return VectorType::get({width}, element); }
  VectorType byteLanes() { return VectorType::get({4 * width}, b.getI8Type()); }
  Value f32s(double v) {
    return vector::BroadcastOp::create(b, loc, lanes(b.getF32Type()),
                                       e.f32(v));
  }

  /// The tile's weights as bytes [rows, keys]: u(w) =
  /// min(max(roundeven(255 w), 0), 255), NaN giving 0 (maxnumf), by vectors
  /// of `width` keys.
  Value weightBytes(Value weights, int64_t rows, int64_t keys) {
    Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{rows, keys},
                                         b.getI8Type());
    auto loop = scf::ForOp::create(
        b, loc, e.idx(0), e.idx(rows), e.idx(1), ValueRange{init},
        [&](OpBuilder &, Location, Value row, ValueRange iter) {
          Value bytes = iter[0];
          for (int64_t k = 0; k < keys; k += width) {
            Value w = vector::TransferReadOp::create(
                b, loc, lanes(b.getF32Type()), weights,
                ValueRange{row, e.idx(k)}, e.f32(0.0), ArrayRef<bool>{true});
            Value u = arith::MulFOp::create(b, loc, w, f32s(255.0));
            u = math::RoundEvenOp::create(b, loc, u);
            u = arith::MaxNumFOp::create(b, loc, u, f32s(0.0));
            u = arith::MinNumFOp::create(b, loc, u, f32s(255.0));
            u = arith::FPToSIOp::create(b, loc, lanes(b.getI32Type()), u);
            u = arith::TruncIOp::create(b, loc, lanes(b.getI8Type()), u);
            bytes = vector::TransferWriteOp::create(b, loc, u, bytes,
                                                    ValueRange{row, e.idx(k)},
                                                    ArrayRef<bool>{true})
                        .getResult();
          }
          scf::YieldOp::create(b, loc, bytes);
        });
    return loop.getResult(0);
  }

  OpBuilder b;
  Location loc;
  ScalarEmitter e;
  int64_t width;
};
} // namespace

bool QuantizedAccumulateLowering::lower(QuantizedAccumulateOp op) {
  int64_t tq = staticDim(op.getWeights(), 0), tk = staticDim(op.getWeights(), 1);
  auto load = op.getValue().getDefiningOp<LoadQuantizedOp>();
  // Groups of 4 keys must not straddle key tiles (tile starts are
  // multiples of tk), and the weight rows convert by whole vectors.
  if (tq == ShapedType::kDynamic || tk == ShapedType::kDynamic ||
      tk % width != 0 || tk % 4 != 0 || !load || load.getScales() ||
      !isKeyLoopTile(load))
    return false;
  Value packed = packedValues(load.getSource());

  BytePVEmitter v(op, width);
  OpBuilder &b = v.b;
  Location loc = v.loc;
  ScalarEmitter &e = v.e;
  int64_t blockRows = width == 16 ? 6 : 3, blockVectors = 4;
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  VectorType f32s = v.lanes(f32), i32s = v.lanes(i32);
  Value bytes = v.weightBytes(op.getWeights(), tq, tk);
  // The tile's groups inside the packed values (a last tile is shorter).
  Value firstGroup = e.floordiv(load.getRow(), e.idx(4));
  Value groups = e.minsi(
      e.idx(tk / 4),
      e.subi(tensor::DimOp::create(b, loc, packed, 2), firstGroup));
  Value cols = tensor::DimOp::create(b, loc, op.getAcc(), 1);
  Value zeroAcc = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(i32s, b.getI32IntegerAttr(0)));
  Value alpha = op.getAlpha();

  // One pass: `count` vectors of channels from c0 for rows [i0, i0 + rows);
  // `inBounds`: all inside D (else masked by the transfers' bounds).
  auto pass = [&](Value i0, int64_t rows, Value c0, int64_t count,
                  bool inBounds, Value acc) -> Value {
    SmallVector<Value> inits(rows * count, zeroAcc);
    auto loop = scf::ForOp::create(
        b, loc, e.idx(0), groups, e.idx(1), inits,
        [&](OpBuilder &, Location, Value g, ValueRange sums) {
          SmallVector<Value> next(sums);
          SmallVector<Value> rowBytes;
          for (int64_t r = 0; r < rows; ++r)
            rowBytes.push_back(
                broadcastGroup(b, loc, width, bytes, e.addi(i0, e.idx(r)), g));
          for (int64_t c = 0; c < count; ++c) {
            Value start = e.muli(e.addi(c0, e.idx(c * width)), e.idx(4));
            Value valueBytes = vector::TransferReadOp::create(
                b, loc, v.byteLanes(), packed,
                ValueRange{load.getBatch(), load.getHead(),
                           e.addi(firstGroup, g), start},
                i8Constant(b, loc, 0), ArrayRef<bool>{inBounds});
            for (int64_t r = 0; r < rows; ++r)
              next[r * count + c] =
                  DotBytesOp::create(b, loc, i32s, next[r * count + c],
                                     rowBytes[r], valueBytes);
          }
          scf::YieldOp::create(b, loc, next);
        });
    for (int64_t c = 0; c < count; ++c) {
      Value column = e.addi(c0, e.idx(c * width));
      // scales[c] * f32(1/255): the portable lowering's order.
      Value factor = vector::TransferReadOp::create(
          b, loc, f32s, op.getScales(), ValueRange{column}, e.f32(0.0),
          ArrayRef<bool>{inBounds});
      factor = arith::MulFOp::create(b, loc, factor, v.f32s(1.0 / 255.0));
      for (int64_t r = 0; r < rows; ++r) {
        Value row = e.addi(i0, e.idx(r));
        Value old = vector::TransferReadOp::create(
            b, loc, f32s, acc, ValueRange{row, column}, e.f32(0.0),
            ArrayRef<bool>{inBounds});
        if (alpha)
          old = arith::MulFOp::create(
              b, loc, old,
              vector::BroadcastOp::create(
                  b, loc, f32s,
                  tensor::ExtractOp::create(b, loc, alpha, ValueRange{row})));
        Value sum = arith::SIToFPOp::create(b, loc, f32s,
                                            loop.getResult(r * count + c));
        sum = arith::MulFOp::create(b, loc, sum, factor);
        sum = arith::AddFOp::create(b, loc, old, sum);
        acc = vector::TransferWriteOp::create(b, loc, sum, acc,
                                              ValueRange{row, column},
                                              ArrayRef<bool>{inBounds})
                  .getResult();
      }
    }
    return acc;
  };
  int64_t group = blockVectors * width;
  Value wholeCols = e.muli(e.floordiv(cols, e.idx(group)), e.idx(group));
  auto block = [&](Value i0, int64_t rows, Value acc) -> Value {
    acc = scf::ForOp::create(
              b, loc, e.idx(0), wholeCols, e.idx(group), ValueRange{acc},
              [&](OpBuilder &, Location, Value c0, ValueRange it) {
                scf::YieldOp::create(
                    b, loc, pass(i0, rows, c0, blockVectors, true, it[0]));
              })
              .getResult(0);
    return scf::ForOp::create(
               b, loc, wholeCols, cols, e.idx(width), ValueRange{acc},
               [&](OpBuilder &, Location, Value c0, ValueRange it) {
                 scf::YieldOp::create(b, loc,
                                      pass(i0, rows, c0, 1, false, it[0]));
               })
        .getResult(0);
  };
  Value acc = rowBlocks(b, loc, tq, blockRows, op.getAcc(), block);
  op.getResult().replaceAllUsesWith(acc);
  op.erase();
  return true;
}
