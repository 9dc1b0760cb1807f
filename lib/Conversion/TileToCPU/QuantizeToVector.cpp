//===- QuantizeToVector.cpp - in-spec INT8 quantization by vectors --------===//
//
// attn_tile.quantize (SageAttention's plug-and-play quantization: per block
// of tokens, absmax / 127, round to nearest even, K optionally centered)
// by vectors of channels, one (batch, head) per work item of an
// scf.forall. It runs once per call before the work items, but scalar it
// cost about a tenth of a whole INT8 attention at N = 4096 (a pass for the
// mean, one for the absmax, one for the values over all of Q and K). Every
// lane does the portable lowering's arithmetic in its order (the f64 mean
// in token order, maximumf, the f32 quotient), so both give the same bits.
// attn_tile.quantize_channels (the values of quantized P V: absmax per
// channel over all tokens) the same way, the channels along the lanes.
//
//===----------------------------------------------------------------------===//

#include "QuantizedToVector.h"

#include "attn/Conversion/AttnCodegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace attn;
using namespace attn::tile;
using codegen::ScalarEmitter;

namespace {
/// The vector code of one head's quantization: `width` channels per
/// vector, a partial last vector read with zero padding and written
/// clipped (transfer ops without in_bounds).
class HeadQuantizer {
public:
  HeadQuantizer(OpBuilder &b, Location loc, int64_t width, Value source,
                Value bi, Value hi)
      : b(b), loc(loc), e(b, loc), width(width), source(source), bi(bi),
        hi(hi) {
    tokens = tensor::DimOp::create(b, loc, source, 2);
    depth = tensor::DimOp::create(b, loc, source, 3);
  }

  VectorType lanes(Type element) { return VectorType::get({width}, element); }
  Value splat(double v) {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(lanes(b.getF32Type()), b.getF32FloatAttr(v)));
  }
  /// Lanes of `tensor` at `indices` widened to `as` (f32 by default).
  Value read(Value tensor, ValueRange indices, Type as = {}) {
    Type element = getElementTypeOrSelf(tensor.getType());
    Type wide = as ? as : b.getF32Type();
    Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
    Value v = vector::TransferReadOp::create(b, loc, lanes(element), tensor,
                                             indices, pad,
                                             ArrayRef<bool>{false});
    if (element != wide)
      v = arith::ExtFOp::create(b, loc, lanes(wide), v);
    return v;
  }
  Value write(Value v, Value tensor, ValueRange indices) {
    return vector::TransferWriteOp::create(b, loc, v, tensor, indices,
                                           ArrayRef<bool>{false})
        .getResult();
  }
  /// scf.for over [lb, ub) by `step` threading `inits`.
  ValueRange loop(Value lb, Value ub, int64_t step, ValueRange inits,
                  function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    return scf::ForOp::create(
               b, loc, lb, ub, e.idx(step), inits,
               [&](OpBuilder &, Location, Value iv, ValueRange iter) {
                 scf::YieldOp::create(b, loc, body(iv, iter));
               })
        .getResults();
  }

  /// Channels [x0, x0 + width) of token j as f32, minus the mean.
  Value centered(Value j, Value x0, Value mean) {
    Value x = read(source, {bi, hi, j, x0});
    if (!mean)
      return x;
    return arith::SubFOp::create(b, loc, x, read(mean, {x0}));
  }

  /// The f32-rounded f64 mean over the tokens, per channel [D]: sums
  /// token by token (the rows read in order), each channel in token order.
  Value mean() {
    Type f64 = b.getF64Type();
    Value zero = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0));
    Value sums0 =
        linalg::FillOp::create(
            b, loc, ValueRange{zero},
            ValueRange{tensor::EmptyOp::create(
                b, loc, ArrayRef<OpFoldResult>{depth}, f64)})
            .getResult(0);
    Value sums = loop(
        e.idx(0), tokens, 1, sums0, [&](Value j, ValueRange tokenIter) {
          return SmallVector<Value>{loop(
              e.idx(0), depth, width, tokenIter,
              [&](Value x0, ValueRange iter) -> SmallVector<Value> {
                Value x = arith::ExtFOp::create(b, loc, lanes(f64),
                                                read(source, {bi, hi, j, x0}));
                Value sum = arith::AddFOp::create(
                    b, loc, read(iter[0], {x0}, f64), x);
                return {write(sum, iter[0], {x0})};
              })[0]};
        })[0];
    Value count = arith::UIToFPOp::create(
        b, loc, f64,
        arith::IndexCastUIOp::create(b, loc, b.getI64Type(), tokens));
    Value counts = vector::BroadcastOp::create(b, loc, lanes(f64), count);
    Value init = tensor::EmptyOp::create(b, loc, ArrayRef<OpFoldResult>{depth},
                                         b.getF32Type());
    return loop(e.idx(0), depth, width, init,
                [&](Value x0, ValueRange iter) -> SmallVector<Value> {
                  Value m = arith::TruncFOp::create(
                      b, loc, lanes(b.getF32Type()),
                      arith::DivFOp::create(b, loc, read(sums, {x0}, f64),
                                            counts));
                  return {write(m, iter[0], {x0})};
                })[0];
  }

  /// max(0, |x| over the tokens [first, last) and all channels); a NaN
  /// propagates (maximumf), so the order of the lanes' reduction is free.
  Value absMax(Value first, Value last, Value mean) {
    Value lanesMax = loop(
        first, last, 1, splat(0.0), [&](Value j, ValueRange tokenAcc) {
          return SmallVector<Value>{loop(
              e.idx(0), depth, width, tokenAcc,
              [&](Value x0, ValueRange acc) -> SmallVector<Value> {
                Value a = math::AbsFOp::create(b, loc, centered(j, x0, mean));
                return {arith::MaximumFOp::create(b, loc, acc[0], a)};
              })[0]};
        })[0];
    return vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXIMUMF,
                                       lanesMax);
  }

  /// clamp(roundeven(x / scale), -range, range) as i8, 0 for a NaN
  /// quotient (range 127 for INT8, 7 for INT4 held in i8 lanes).
  Value quantize(Value x, Value scales, double range = 127.0) {
    Value quotient = arith::DivFOp::create(b, loc, x, scales);
    Value rounded = math::RoundEvenOp::create(b, loc, quotient);
    Value clamped = arith::MinimumFOp::create(
        b, loc, arith::MaximumFOp::create(b, loc, rounded, splat(-range)),
        splat(range));
    Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO,
                                        quotient, quotient);
    Value q = arith::SelectOp::create(b, loc, isNaN, splat(0.0), clamped);
    return arith::FPToSIOp::create(b, loc, lanes(b.getI8Type()), q);
  }

  /// The head's values [N, D] i8 and block scales [C] f32, written into
  /// `values` and `scales`.
  std::pair<Value, Value> run(int64_t block, bool center, double range,
                              Value blocks, Value values, Value scales) {
    Value mu = center ? mean() : Value();
    ValueRange results = loop(
        e.idx(0), blocks, 1, {values, scales},
        [&](Value c, ValueRange iter) -> SmallVector<Value> {
          Value first = e.muli(c, e.idx(block));
          Value last = e.minsi(e.addi(first, e.idx(block)), tokens);
          Value scale = arith::DivFOp::create(
              b, loc, absMax(first, last, mu), e.f32(range));
          Value scaleLanes =
              vector::BroadcastOp::create(b, loc, lanes(b.getF32Type()), scale);
          Value v = loop(first, last, 1, iter[0],
                         [&](Value j, ValueRange tokenIter) {
                           return SmallVector<Value>{loop(
                               e.idx(0), depth, width, tokenIter,
                               [&](Value x0, ValueRange it)
                                   -> SmallVector<Value> {
                                 Value q = quantize(centered(j, x0, mu),
                                                    scaleLanes, range);
                                 return {write(q, it[0], {j, x0})};
                               })[0]};
                         })[0];
          Value s = tensor::InsertOp::create(b, loc, scale, iter[1],
                                             ValueRange{c});
          return {v, s};
        });
    return {results[0], results[1]};
  }

  /// Per channel (quantize_channels): the head's values [N, D] i8 and
  /// channel scales [D] f32, absmax / 127 over all tokens, written into
  /// `values` and `scales`. Token by token, by vectors of channels: the
  /// rows are read in order.
  std::pair<Value, Value> runPerChannel(Value values, Value scales) {
    Value init = linalg::FillOp::create(b, loc, ValueRange{e.f32(0.0)},
                                        ValueRange{scales})
                     .getResult(0);
    Value absMax = loop(
        e.idx(0), tokens, 1, init, [&](Value j, ValueRange tokenIter) {
          return SmallVector<Value>{loop(
              e.idx(0), depth, width, tokenIter,
              [&](Value x0, ValueRange iter) -> SmallVector<Value> {
                Value a = math::AbsFOp::create(b, loc,
                                               read(source, {bi, hi, j, x0}));
                Value m = arith::MaximumFOp::create(
                    b, loc, read(iter[0], {x0}), a);
                return {write(m, iter[0], {x0})};
              })[0]};
        })[0];
    scales = loop(
        e.idx(0), depth, width, absMax,
        [&](Value x0, ValueRange iter) -> SmallVector<Value> {
          Value s = arith::DivFOp::create(b, loc, read(iter[0], {x0}),
                                          splat(127.0));
          return {write(s, iter[0], {x0})};
        })[0];
    values = loop(
        e.idx(0), tokens, 1, values, [&](Value j, ValueRange tokenIter) {
          return SmallVector<Value>{loop(
              e.idx(0), depth, width, tokenIter,
              [&](Value x0, ValueRange iter) -> SmallVector<Value> {
                Value q = quantize(read(source, {bi, hi, j, x0}),
                                   read(scales, {x0}));
                return {write(q, iter[0], {j, x0})};
              })[0]};
        })[0];
    return {values, scales};
  }

  OpBuilder &b;
  Location loc;
  ScalarEmitter e;
  int64_t width;
  Value source, bi, hi, tokens, depth;
};
} // namespace

/// `value` as `type` (a cast where the op's result is more static).
static Value castTo(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(b, loc, type, value);
}

/// Replaces the (values, scales) of a quantization op by `results` and
/// erases it.
static void replaceQuantization(OpBuilder &b, Location loc, Operation *op,
                                ValueRange results) {
  for (auto [old, result] : llvm::zip(op->getResults(), results))
    old.replaceAllUsesWith(castTo(b, loc, result, old.getType()));
  op->erase();
}

namespace {
/// The [bi, hi, 0, ...] slice of a shared output of forEachHead whose
/// trailing extents are `headSizes`.
struct HeadSlice {
  HeadSlice(OpBuilder &b, Value bi, Value hi, ArrayRef<OpFoldResult> headSizes)
      : offsets{bi, hi}, sizes(2, b.getIndexAttr(1)),
        strides(headSizes.size() + 2, b.getIndexAttr(1)) {
    offsets.append(headSizes.size(), b.getIndexAttr(0));
    sizes.append(headSizes.begin(), headSizes.end());
  }

  /// The slice of `shared`, its two unit dimensions dropped.
  Value extract(OpBuilder &b, Location loc, Value shared) const {
    SmallVector<int64_t> staticSizes;
    SmallVector<Value> dynamicSizes;
    dispatchIndexOpFoldResults(ArrayRef(sizes).drop_front(2), dynamicSizes,
                               staticSizes);
    auto type = RankedTensorType::get(
        staticSizes, cast<RankedTensorType>(shared.getType()).getElementType());
    return tensor::ExtractSliceOp::create(b, loc, type, shared, offsets, sizes,
                                          strides);
  }

  SmallVector<OpFoldResult> offsets, sizes, strides;
};
} // namespace

ValueRange attn::tile::forEachHead(
    OpBuilder &b, Location loc, OpFoldResult batches, OpFoldResult heads,
    ValueRange inits,
    function_ref<SmallVector<Value>(Value, Value, ValueRange)> body) {
  // The heads' extents before the loop, so that they dominate both the
  // destination slices and the parallel_insert_slice ops.
  SmallVector<SmallVector<OpFoldResult>> headSizes;
  for (Value init : inits)
    headSizes.push_back(llvm::to_vector(
        ArrayRef(tensor::getMixedSizes(b, loc, init)).drop_front(2)));
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{zero, zero},
      ArrayRef<OpFoldResult>{batches, heads}, ArrayRef<OpFoldResult>{one, one},
      inits, std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  Value bi = forall.getInductionVars()[0], hi = forall.getInductionVars()[1];
  // The bodies write into their slices of the shared outputs: with a
  // tensor.empty of their own, One-Shot Bufferize allocated a buffer per
  // (batch, head) and copied it into the shared one.
  SmallVector<HeadSlice> slices;
  SmallVector<Value> destinations;
  for (auto [shared, sizes] :
       llvm::zip(forall.getRegionIterArgs(), headSizes)) {
    slices.emplace_back(b, bi, hi, sizes);
    destinations.push_back(slices.back().extract(b, loc, shared));
  }
  SmallVector<Value> results = body(bi, hi, destinations);
  b.setInsertionPointToEnd(forall.getTerminator().getBody());
  for (auto [result, shared, destination, slice] : llvm::zip(
           results, forall.getRegionIterArgs(), destinations, slices)) {
    assert(result.getType() == destination.getType() &&
           "a head's result must have its destination's type");
    tensor::ParallelInsertSliceOp::create(b, loc, result, shared,
                                          slice.offsets, slice.sizes,
                                          slice.strides);
  }
  return forall.getResults();
}

void attn::tile::lowerQuantizeToVector(QuantizeOp op, int64_t width) {
  // Salient flags (a range per block): the portable lowering's.
  if (op.getSalient())
    return;
  OpBuilder b(op);
  Location loc = op.getLoc();
  ScalarEmitter e(b, loc);
  Value source = op.getSource();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, source);
  Value tokens = tensor::DimOp::create(b, loc, source, 2);
  Value blocks =
      arith::CeilDivUIOp::create(b, loc, tokens, e.idx(op.getBlock()));
  Value valuesInit = tensor::EmptyOp::create(b, loc, sizes, b.getI8Type());
  Value scalesInit = tensor::EmptyOp::create(
      b, loc, ArrayRef<OpFoldResult>{sizes[0], sizes[1], blocks},
      b.getF32Type());
  ValueRange results = forEachHead(
      b, loc, sizes[0], sizes[1], {valuesInit, scalesInit},
      [&](Value bi, Value hi, ValueRange heads) -> SmallVector<Value> {
        HeadQuantizer head(b, loc, width, source, bi, hi);
        auto [values, scales] = head.run(op.getBlock(), op.getCenter(),
                                          static_cast<double>(op.getRange()),
                                          blocks, heads[0], heads[1]);
        return {values, scales};
      });
  replaceQuantization(b, loc, op, results);
}

void attn::tile::lowerQuantizeChannelsToVector(QuantizeChannelsOp op,
                                               int64_t width) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value source = op.getSource();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, source);
  Value valuesInit = tensor::EmptyOp::create(b, loc, sizes, b.getI8Type());
  Value scalesInit = tensor::EmptyOp::create(
      b, loc, ArrayRef<OpFoldResult>{sizes[0], sizes[1], sizes[3]},
      b.getF32Type());
  ValueRange results = forEachHead(
      b, loc, sizes[0], sizes[1], {valuesInit, scalesInit},
      [&](Value bi, Value hi, ValueRange heads) -> SmallVector<Value> {
        HeadQuantizer head(b, loc, width, source, bi, hi);
        auto [values, scales] = head.runPerChannel(heads[0], heads[1]);
        return {values, scales};
      });
  replaceQuantization(b, loc, op, results);
}
