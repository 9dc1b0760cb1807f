//===- AttnCodegen.cpp - scalar code for masks, score mods, regions -------===//

#include "attn/Conversion/AttnCodegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/TypeSwitch.h"

#include <limits>

using namespace mlir;
using namespace attn;
using namespace attn::codegen;

Value ScalarEmitter::idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
Value ScalarEmitter::f32(double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}
Value ScalarEmitter::boolean(bool v) {
  return arith::ConstantOp::create(b, loc, b.getBoolAttr(v));
}
Value ScalarEmitter::cmp(arith::CmpIPredicate pred, Value x, Value y) {
  return arith::CmpIOp::create(b, loc, pred, x, y);
}
Value ScalarEmitter::andi(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
Value ScalarEmitter::ori(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
Value ScalarEmitter::addi(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
Value ScalarEmitter::subi(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
Value ScalarEmitter::muli(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
Value ScalarEmitter::floordiv(Value x, Value y) {
  return arith::FloorDivSIOp::create(b, loc, x, y);
}
Value ScalarEmitter::rem(Value x, Value y) { return arith::RemSIOp::create(b, loc, x, y); }
Value ScalarEmitter::maxsi(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }
Value ScalarEmitter::minsi(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
Value ScalarEmitter::select(Value c, Value x, Value y) {
  return arith::SelectOp::create(b, loc, c, x, y);
}

Value ScalarEmitter::extractBroadcast(Value tensor, ArrayRef<Value> indices) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<Value> actual;
  for (auto [d, index] : llvm::enumerate(indices)) {
    int64_t size = type.getDimSize(d);
    if (size == 1) {
      actual.push_back(idx(0));
    } else if (ShapedType::isDynamic(size)) {
      Value dim = tensor::DimOp::create(b, loc, tensor, d);
      actual.push_back(
          select(cmp(arith::CmpIPredicate::eq, dim, idx(1)), idx(0), index));
    } else {
      actual.push_back(index);
    }
  }
  return tensor::ExtractOp::create(b, loc, tensor, actual);
}

Value ScalarEmitter::headIndex(Value map, Value heads, Value hq, Value batch,
                               Value h) {
  if (!map)
    return arith::DivUIOp::create(b, loc, h,
                                  arith::DivUIOp::create(b, loc, hq, heads));
  auto type = cast<RankedTensorType>(map.getType());
  Value raw = type.getRank() == 1
                  ? tensor::ExtractOp::create(b, loc, map, ValueRange{h})
                        .getResult()
                  : extractBroadcast(map, {batch, h});
  Value index = raw.getType().isIndex()
                    ? raw
                    : arith::IndexCastOp::create(b, loc, b.getIndexType(), raw)
                          .getResult();
  // Out-of-range entries are clamped: compiled code never reads outside K/V.
  return maxsi(minsi(index, subi(heads, idx(1))), idx(0));
}

Value ScalarEmitter::toF32(Value v) {
  if (v.getType().isF32())
    return v;
  if (auto ft = dyn_cast<FloatType>(v.getType()))
    return ft.getWidth() < 32
               ? Value(arith::ExtFOp::create(b, loc, b.getF32Type(), v))
               : Value(arith::TruncFOp::create(b, loc, b.getF32Type(), v));
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), v);
}

Value ScalarEmitter::decayPrefixAt(Value prefix, Value x, Value channel) {
  Value last = subi(tensor::DimOp::create(b, loc, prefix, 0), idx(1));
  SmallVector<Value, 2> at = {maxsi(minsi(x, last), idx(0))};
  if (channel)
    at.push_back(channel);
  Value value = tensor::ExtractOp::create(b, loc, prefix, at);
  Value zero = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0));
  return select(cmp(arith::CmpIPredicate::slt, x, idx(0)), zero, value);
}

Value ScalarEmitter::decayBetween(Value prefix, Value from, Value to,
                                  Value channel) {
  if (!prefix)
    return f32(1.0);
  Value diff = arith::SubFOp::create(b, loc, decayPrefixAt(prefix, to, channel),
                                     decayPrefixAt(prefix, from, channel));
  return math::ExpOp::create(
      b, loc, arith::TruncFOp::create(b, loc, b.getF32Type(), diff));
}

Value ScalarEmitter::keep(const PairContext &c) {
  Value keep = boolean(true);
  if (MaskAttrInterface m = c.op.getMaskAttr())
    keep = mask(m, c);
  if (Region *maskFn = c.op.getMaskFnRegion(); maskFn && !maskFn->empty())
    keep = andi(keep, inlineRegion(b, *maskFn, {c.b, c.h, c.i, c.j},
                                   c.op.getCaptures(), c.nq, c.nk));
  return keep;
}

Value ScalarEmitter::modifyScore(Value s, const PairContext &c) {
  if (Value bias = c.op.getBias())
    s = arith::AddFOp::create(
        b, loc, s, toF32(extractBroadcast(bias, {c.b, c.h, c.i, c.j})));
  if (ArrayAttr mods = c.op.getScoreModsAttr()) {
    for (Attribute mod : mods) {
      if (auto cap = dyn_cast<SoftcapAttr>(mod)) {
        Value capValue = f32(cap.getCapValue());
        Value t = math::TanhOp::create(
            b, loc, arith::DivFOp::create(b, loc, s, capValue));
        s = arith::MulFOp::create(b, loc, capValue, t);
      } else if (isa<AlibiAttr>(mod)) {
        Value dist = math::AbsIOp::create(b, loc, subi(c.p, c.j));
        Value distF = arith::SIToFPOp::create(
            b, loc, b.getF32Type(),
            arith::IndexCastOp::create(b, loc, b.getI64Type(), dist));
        Value penalty = arith::MulFOp::create(b, loc, alibiSlope(c), distF);
        s = arith::SubFOp::create(b, loc, s, penalty);
      }
    }
  }
  if (Region *scoreMod = c.op.getScoreModRegion();
      scoreMod && !scoreMod->empty())
    s = inlineRegion(b, *scoreMod, {s, c.b, c.h, c.i, c.j},
                     c.op.getCaptures(), c.nq, c.nk);
  return s;
}

Value ScalarEmitter::pointwiseWeight(AttentionOp op, Value s) {
  return pointwiseWeight(op.getNormalizationAttr(), s);
}

Value ScalarEmitter::constantLike(Value shaped, double v) {
  // f32 scalars or vectors of f32 (the tiled CPU kernel's query lanes).
  if (auto vec = dyn_cast<VectorType>(shaped.getType()))
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vec, b.getF32FloatAttr(v)));
  return f32(v);
}

Value ScalarEmitter::sigmoid(Value x) {
  // exp(-x) overflows to inf for very negative x, which gives the limit 0.
  Value ex = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(
      b, loc, constantLike(x, 1.0),
      arith::AddFOp::create(b, loc, constantLike(x, 1.0), ex));
}

Value ScalarEmitter::pointwiseWeight(NormalizationAttr norm, Value s) {
  auto like = [&](double v) { return constantLike(s, v); };
  switch (norm ? norm.getKind() : NormalizationKind::Softmax) {
  case NormalizationKind::Sigmoid:
    return sigmoid(
        arith::AddFOp::create(b, loc, s, like(norm.getBiasValue())));
  case NormalizationKind::Softplus: {
    // log1p(exp(-|s|)) + max(s, 0) never overflows.
    Value absS = math::AbsFOp::create(b, loc, s);
    Value tail = math::Log1pOp::create(
        b, loc,
        math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, absS)));
    return arith::AddFOp::create(
        b, loc, tail, arith::MaximumFOp::create(b, loc, s, like(0.0)));
  }
  case NormalizationKind::Relu:
    return arith::MaximumFOp::create(b, loc, s, like(0.0));
  case NormalizationKind::Identity: {
    // A -inf score is a masked key under every normalization (the others
    // reach 0 as their limit): weight 0, not -inf.
    Value masked = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, s,
                                         like(-std::numeric_limits<double>::infinity()));
    return arith::SelectOp::create(b, loc, masked, like(0.0), s);
  }
  case NormalizationKind::Softmax:
    break;
  }
  llvm_unreachable("softmax has no pointwise weight");
}

Value ScalarEmitter::featureMap(FeatureMapKind kind, Value x) {
  auto like = [&](double v) { return constantLike(x, v); };
  switch (kind) {
  case FeatureMapKind::EluPlusOne: {
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, like(0.0));
    return arith::SelectOp::create(
        b, loc, positive, arith::AddFOp::create(b, loc, x, like(1.0)),
        math::ExpOp::create(b, loc, x));
  }
  case FeatureMapKind::Relu:
    return arith::MaximumFOp::create(b, loc, x, like(0.0));
  case FeatureMapKind::Sigmoid:
    return sigmoid(x);
  case FeatureMapKind::Exp:
    return math::ExpOp::create(b, loc, x);
  case FeatureMapKind::Silu:
    return arith::MulFOp::create(b, loc, x, sigmoid(x));
  case FeatureMapKind::Identity:
    return x;
  case FeatureMapKind::Hedgehog:
  case FeatureMapKind::Taylor2:
  case FeatureMapKind::Softmax:
    // Not elementwise: attn_tile.expand_features.
  case FeatureMapKind::SequenceSoftmax:
  case FeatureMapKind::SequenceScale:
    // Over the key sequence: attn_tile.sequence_map.
  case FeatureMapKind::QueryWeighted:
  case FeatureMapKind::Flow:
    // Over the queries and keys: attn_tile.key_weights.
    break;
  }
  llvm_unreachable("not an elementwise feature map");
}

Value ScalarEmitter::neighborhood(NeighborhoodMaskAttr attr, const PairContext &c) {
  using P = arith::CmpIPredicate;
  ArrayRef<int64_t> grid = attr.getGrid().asArrayRef();
  // Resolve the inferred extent (-1) from the sequence length at run time.
  int64_t known = 1;
  for (int64_t e : grid)
    if (e != -1)
      known *= e;
  SmallVector<Value> extents;
  for (int64_t e : grid)
    extents.push_back(e == -1 ? arith::DivUIOp::create(b, loc, c.nk, idx(known))
                                    .getResult()
                              : idx(e));
  Value keep = boolean(true);
  Value tq = c.i, tk = c.j;
  for (int64_t axis = attr.getRank() - 1; axis >= 0; --axis) {
    Value n = extents[axis];
    Value x = arith::RemUIOp::create(b, loc, tq, n);
    Value y = arith::RemUIOp::create(b, loc, tk, n);
    tq = arith::DivUIOp::create(b, loc, tq, n);
    tk = arith::DivUIOp::create(b, loc, tk, n);
    int64_t k = attr.getKernel()[axis];
    int64_t dil = attr.getDilationAt(axis);
    Value xs = x, ys = y;
    if (dil != 1) {
      Value d = idx(dil);
      Value g = arith::RemUIOp::create(b, loc, x, d);
      keep = andi(keep, cmp(P::eq, g, arith::RemUIOp::create(b, loc, y, d)));
      xs = arith::DivUIOp::create(b, loc, x, d);
      ys = arith::DivUIOp::create(b, loc, y, d);
      // Group length: coordinates c in [0, n) with c mod d == g.
      n = arith::DivUIOp::create(b, loc, addi(subi(n, g), idx(dil - 1)), d);
    }
    int64_t st = attr.getStrideAt(axis);
    // The stride group's leader (NATTEN's GNA): the query itself for s = 1.
    Value leader = xs;
    if (st != 1) {
      Value base = muli(arith::DivUIOp::create(b, loc, xs, idx(st)), idx(st));
      int64_t shift = attr.getCausalAt(axis) ? st - 1 : st / 2;
      leader = minsi(addi(base, idx(shift)), subi(n, idx(1)));
    }
    if (attr.getCausalAt(axis)) {
      keep = andi(keep, cmp(P::sle, subi(leader, idx(k - 1)), ys));
      keep = andi(keep, cmp(P::sle, ys, xs));
    } else {
      Value start = subi(leader, idx(k / 2));
      start = maxsi(minsi(start, subi(n, idx(k))), idx(0));
      keep = andi(keep, cmp(P::sle, start, ys));
      keep = andi(keep, cmp(P::slt, ys, addi(start, idx(k))));
    }
  }
  return keep;
}

Value ScalarEmitter::mask(MaskAttrInterface mask, const PairContext &c) {
  using P = arith::CmpIPredicate;
  return llvm::TypeSwitch<Attribute, Value>(mask)
      .Case([&](FullMaskAttr) { return boolean(true); })
      .Case([&](CausalMaskAttr) { return cmp(P::sle, c.j, c.p); })
      .Case([&](WindowMaskAttr a) {
        Value lo = cmp(P::sle, subi(c.p, idx(a.getLeft())), c.j);
        Value hi = cmp(P::sle, c.j, addi(c.p, idx(a.getRight())));
        return andi(lo, hi);
      })
      .Case([&](SinksMaskAttr a) {
        return cmp(P::slt, c.j, idx(a.getCount()));
      })
      .Case([&](StridedMaskAttr a) {
        Value block = floordiv(c.j, idx(a.getBlock()));
        Value offset =
            addi(idx(a.getOffset()), muli(c.h, idx(a.getHeadStep())));
        // Divisibility does not depend on the sign convention of remsi.
        return cmp(P::eq, rem(subi(block, offset), idx(a.getStride())),
                   idx(0));
      })
      .Case([&](DilatedMaskAttr a) {
        return cmp(P::eq, rem(subi(c.p, c.j), idx(a.getRate())), idx(0));
      })
      .Case([&](ChunkedMaskAttr a) {
        Value size = idx(a.getSize());
        return cmp(P::eq, floordiv(c.p, size), floordiv(c.j, size));
      })
      .Case([&](PrefixLMMaskAttr a) {
        return ori(cmp(P::slt, c.j, idx(a.getPrefix())),
                   cmp(P::sle, c.j, c.p));
      })
      .Case([&](DocumentMaskAttr) {
        Value qs = tensor::ExtractOp::create(b, loc, c.op.getQSegmentIds(),
                                             ValueRange{c.b, c.i});
        Value ks = tensor::ExtractOp::create(b, loc, c.op.getKvSegmentIds(),
                                             ValueRange{c.b, c.j});
        if (qs.getType() != ks.getType()) {
          Type i64 = b.getI64Type();
          qs = arith::ExtSIOp::create(b, loc, i64, qs);
          ks = arith::ExtSIOp::create(b, loc, i64, ks);
        }
        return cmp(P::eq, qs, ks);
      })
      .Case([&](BlockSparseMaskAttr a) {
        Value qb = arith::DivUIOp::create(b, loc, c.i, idx(a.getBlockQ()));
        Value kb = arith::DivUIOp::create(b, loc, c.j, idx(a.getBlockKv()));
        Value flag = extractBroadcast(c.op.getBlockLayout(), {c.b, c.h, qb, kb});
        Value zero = arith::ConstantOp::create(
            b, loc, b.getIntegerAttr(flag.getType(), 0));
        return cmp(P::ne, flag, zero);
      })
      .Case([&](NeighborhoodMaskAttr a) { return neighborhood(a, c); })
      .Case([&](AndMaskAttr a) {
        Value keep = boolean(true);
        for (MaskAttrInterface m : a.getMasks())
          keep = andi(keep, this->mask(m, c));
        return keep;
      })
      .Case([&](OrMaskAttr a) {
        Value keep = boolean(false);
        for (MaskAttrInterface m : a.getMasks())
          keep = ori(keep, this->mask(m, c));
        return keep;
      })
      .Case([&](NotMaskAttr a) {
        return arith::XOrIOp::create(b, loc, this->mask(a.getMask(), c),
                                     boolean(true))
            .getResult();
      })
      .Case([&](PerHeadMaskAttr a) {
        // Selected mask index for head h: heads[h] (or h itself).
        Value selected = c.h;
        if (DenseI64ArrayAttr heads = a.getHeads()) {
          selected = idx(heads[0]);
          for (int64_t head = 1, e = heads.size(); head < e; ++head)
            selected = select(cmp(P::eq, c.h, idx(head)), idx(heads[head]),
                              selected);
        }
        Value keep = boolean(false);
        for (auto [index, m] : llvm::enumerate(a.getMasks())) {
          Value chosen = cmp(P::eq, selected, idx(index));
          keep = ori(keep,
                     andi(chosen, this->mask(cast<MaskAttrInterface>(m), c)));
        }
        return keep;
      })
      .Default([&](Attribute) -> Value {
        llvm_unreachable("mask attribute without a lowering");
      });
}

Value ScalarEmitter::alibiSlope(const PairContext &c) {
  if (Value slopes = c.op.getAlibiSlopes())
    return toF32(tensor::ExtractOp::create(b, loc, slopes, ValueRange{c.h}));
  // Press et al.'s slopes for n heads: with n0 the largest power of two
  // <= n, head h < n0 gets 2^(-8(h+1)/n0) and head h >= n0 gets
  // 2^(-8(2(h-n0)+1)/(2 n0)).
  Type i64 = b.getI64Type();
  Value n = arith::IndexCastOp::create(b, loc, i64, c.numHeads);
  Value lz = math::CountLeadingZerosOp::create(b, loc, n);
  Value c63 = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(63));
  Value one = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(1));
  Value n0 = arith::ShLIOp::create(b, loc, one,
                                   arith::SubIOp::create(b, loc, c63, lz));
  Value h = arith::IndexCastOp::create(b, loc, i64, c.h);
  Value low = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, h, n0);
  Value numLow = arith::AddIOp::create(b, loc, h, one);
  Value numHigh = arith::AddIOp::create(
      b, loc,
      arith::ShLIOp::create(b, loc, arith::SubIOp::create(b, loc, h, n0), one),
      one);
  Value num = arith::SelectOp::create(b, loc, low, numLow, numHigh);
  Value den = arith::SelectOp::create(
      b, loc, low, n0, arith::ShLIOp::create(b, loc, n0, one));
  Value ratio = arith::DivFOp::create(
      b, loc, arith::SIToFPOp::create(b, loc, b.getF32Type(), num),
      arith::SIToFPOp::create(b, loc, b.getF32Type(), den));
  Value exponent = arith::MulFOp::create(b, loc, f32(-8.0), ratio);
  return math::Exp2Op::create(b, loc, exponent);
}

/// Region ops whose plain lowering could fault on data the compiler cannot
/// see: capture reads with out-of-range indices and integer divisions by
/// zero (or INT_MIN / -1), which trap on x86. Compiled code clamps the
/// indices into the tensor and divides by 1 instead; the reference reports
/// both as errors. Clones `op` in guarded form and returns success, or
/// returns failure when `op` needs no guard.
static bool isSignedDivision(Operation &op) {
  return isa<arith::DivSIOp, arith::RemSIOp, arith::FloorDivSIOp,
             arith::CeilDivSIOp>(op);
}

static bool isIntegerDivision(Operation &op) {
  return isSignedDivision(op) ||
         isa<arith::DivUIOp, arith::RemUIOp, arith::CeilDivUIOp>(op);
}

/// The divisor `d` of integer division `op` of `x`, with 1 where it would
/// be undefined (d = 0, or signed INT_MIN / -1): the quotient is then x, the
/// remainder 0 (the dialect's documented region semantics). Scalars or
/// vectors of integers.
static Value safeDivisor(OpBuilder &b, Location loc, Operation &op, Value x,
                         Value d) {
  Type type = d.getType();
  Type element = getElementTypeOrSelf(type);
  unsigned width = element.isIndex() ? 64 : element.getIntOrFloatBitWidth();
  auto constant = [&](const APInt &v) -> Value {
    TypedAttr value = b.getIntegerAttr(element, v);
    if (auto vec = dyn_cast<VectorType>(type))
      value = DenseElementsAttr::get(vec, cast<Attribute>(value));
    return arith::ConstantOp::create(b, loc, type, value);
  };
  Value bad = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, d,
                                    constant(APInt(width, 0)));
  if (isSignedDivision(op)) {
    Value minusOne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                           d, constant(APInt::getAllOnes(width)));
    Value isMin =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x,
                              constant(APInt::getSignedMinValue(width)));
    bad = arith::OrIOp::create(b, loc, bad,
                               arith::AndIOp::create(b, loc, minusOne, isMin));
  }
  return arith::SelectOp::create(b, loc, bad, constant(APInt(width, 1)), d);
}

static LogicalResult cloneGuarded(OpBuilder &b, Operation &op,
                                  IRMapping &mapping) {
  Location loc = op.getLoc();
  if (auto extract = dyn_cast<tensor::ExtractOp>(op)) {
    Value tensor = mapping.lookup(extract.getTensor());
    auto type = cast<RankedTensorType>(tensor.getType());
    SmallVector<Value> indices;
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    for (auto [d, index] : llvm::enumerate(extract.getIndices())) {
      Value dim = type.isDynamicDim(d)
                      ? Value(tensor::DimOp::create(b, loc, tensor, d))
                      : Value(arith::ConstantIndexOp::create(
                            b, loc, type.getDimSize(d)));
      Value last = arith::SubIOp::create(b, loc, dim, one);
      Value clamped = arith::MinSIOp::create(b, loc, mapping.lookup(index), last);
      indices.push_back(arith::MaxSIOp::create(b, loc, clamped, zero));
    }
    mapping.map(extract.getResult(),
                tensor::ExtractOp::create(b, loc, tensor, indices).getResult());
    return success();
  }
  if (!isIntegerDivision(op))
    return failure();
  Type type = op.getResult(0).getType();
  if (!type.isIntOrIndex())
    return failure(); // vector divisions are rejected by the verifier
  Value x = mapping.lookup(op.getOperand(0));
  IRMapping operands;
  operands.map(op.getOperand(0), x);
  operands.map(op.getOperand(1),
               safeDivisor(b, loc, op, x, mapping.lookup(op.getOperand(1))));
  Operation *clone = b.clone(op, operands);
  mapping.map(op.getResult(0), clone->getResult(0));
  return success();
}

/// Binds the result of a region context op (attn.query_length, ...) to its
/// value at the pair; fails for other ops.
static LogicalResult mapRegionContext(OpBuilder &b, Operation &op,
                                      IRMapping &mapping, Value nq, Value nk) {
  if (isa<QueryLengthOp>(op)) {
    mapping.map(op.getResult(0), nq);
  } else if (isa<KeyLengthOp>(op)) {
    mapping.map(op.getResult(0), nk);
  } else if (auto aligned = dyn_cast<AlignedQueryOp>(op)) {
    Location loc = op.getLoc();
    Value offset = arith::SubIOp::create(b, loc, nk, nq);
    mapping.map(aligned.getResult(),
                arith::AddIOp::create(
                    b, loc, mapping.lookup(aligned.getQueryIndex()), offset));
  } else {
    return failure();
  }
  return success();
}

/// The region's leading arguments bound to `leading`, its capture
/// arguments to `captures`.
static IRMapping bindArguments(Block &block, ValueRange leading,
                               ValueRange captures) {
  IRMapping mapping;
  unsigned n = leading.size();
  for (unsigned a = 0; a < n; ++a)
    mapping.map(block.getArgument(a), leading[a]);
  for (auto [a, capture] : llvm::enumerate(captures))
    mapping.map(block.getArgument(n + a), capture);
  return mapping;
}

/// One region op as inlineRegion builds it (context ops bound, captures
/// read clamped, divisions guarded, anything else cloned).
static void cloneRegionOp(OpBuilder &b, Operation &op, IRMapping &mapping,
                          Value nq, Value nk) {
  if (succeeded(mapRegionContext(b, op, mapping, nq, nk)) ||
      succeeded(cloneGuarded(b, op, mapping)))
    return;
  b.clone(op, mapping);
}

Value attn::codegen::inlineRegion(OpBuilder &b, Region &region, ValueRange leading,
                          ValueRange captures, Value nq, Value nk) {
  Block &block = region.front();
  IRMapping mapping = bindArguments(block, leading, captures);
  for (Operation &op : block.without_terminator())
    cloneRegionOp(b, op, mapping, nq, nk);
  return mapping.lookup(block.getTerminator()->getOperand(0));
}

/// The ops inlineRegionOnLanes may build on vectors: elementwise arith and
/// math ops (integer divisions with their divisor guarded per lane).
static bool isLaneOp(Operation &op) {
  return op.getNumRegions() == 0 && op.getNumResults() == 1 &&
         op.hasTrait<OpTrait::Elementwise>() &&
         isa<arith::ArithDialect, math::MathDialect>(op.getDialect());
}

/// The values of `block` that vary across lanes when the leading arguments
/// flagged in `varying` do; null when an op depending on them is not a
/// lane op.
static std::optional<llvm::DenseSet<Value>>
varyingValues(Block &block, ArrayRef<bool> varying) {
  llvm::DenseSet<Value> result;
  for (auto [a, isVarying] : llvm::enumerate(varying))
    if (isVarying)
      result.insert(block.getArgument(a));
  for (Operation &op : block.without_terminator()) {
    if (llvm::none_of(op.getOperands(),
                      [&](Value v) { return result.contains(v); }))
      continue;
    if (!isLaneOp(op))
      return std::nullopt;
    result.insert(op.getResult(0));
  }
  return result;
}

bool attn::codegen::isLaneRegion(Region &region, ArrayRef<bool> varying) {
  return region.hasOneBlock() &&
         varyingValues(region.front(), varying).has_value();
}

Value attn::codegen::inlineRegionOnLanes(OpBuilder &b, Region &region,
                                         ValueRange leading,
                                         ValueRange captures, Value nq,
                                         Value nk, int64_t width) {
  Block &block = region.front();
  SmallVector<bool> varying;
  for (Value v : leading)
    varying.push_back(isa<VectorType>(v.getType()));
  llvm::DenseSet<Value> lanes = *varyingValues(block, varying);
  IRMapping mapping = bindArguments(block, leading, captures);
  auto onLanes = [&](Type t) { return VectorType::get({width}, t); };
  for (Operation &op : block.without_terminator()) {
    Location loc = op.getLoc();
    if (op.getNumResults() != 1 || !lanes.contains(op.getResult(0))) {
      cloneRegionOp(b, op, mapping, nq, nk);
      continue;
    }
    SmallVector<Value> operands;
    for (Value operand : op.getOperands()) {
      Value mapped = mapping.lookup(operand);
      if (!isa<VectorType>(mapped.getType()))
        mapped = vector::BroadcastOp::create(
            b, loc, onLanes(mapped.getType()), mapped);
      operands.push_back(mapped);
    }
    if (isIntegerDivision(op))
      operands[1] = safeDivisor(b, loc, op, operands[0], operands[1]);
    OperationState state(loc, op.getName(), operands,
                         {onLanes(op.getResult(0).getType())},
                         op.getAttrs());
    mapping.map(op.getResult(0), b.create(state)->getResult(0));
  }
  return mapping.lookup(block.getTerminator()->getOperand(0));
}

Value attn::codegen::readBuffer(OpBuilder &b, Location loc, Value tensor) {
  auto t = cast<RankedTensorType>(tensor.getType());
  return bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(t.getShape(), t.getElementType()), tensor,
      /*readOnly=*/b.getUnitAttr());
}

void attn::codegen::replaceWithBuffers(OpBuilder &b, Location loc,
                                       AttentionOp op, Value outBuffer,
                                       Value lseBuffer) {
  Value out = bufferization::ToTensorOp::create(
      b, loc, op.getOutput().getType(), outBuffer, /*restrict=*/true,
      /*writable=*/true);
  op.getOutput().replaceAllUsesWith(out);
  if (lseBuffer) {
    Value lse = bufferization::ToTensorOp::create(
        b, loc, op.getLse().getType(), lseBuffer, /*restrict=*/true,
        /*writable=*/true);
    op.getLse().replaceAllUsesWith(lse);
  }
  op.erase();
}

bool attn::codegen::isLaneMask(
    MaskAttrInterface mask,
    function_ref<bool(MaskAttrInterface)> extraLeaf) {
  if (extraLeaf && extraLeaf(mask))
    return true;
  if (isa<FullMaskAttr, CausalMaskAttr, WindowMaskAttr, SinksMaskAttr,
          DilatedMaskAttr, ChunkedMaskAttr, PrefixLMMaskAttr>(mask))
    return true;
  auto all = [&](ArrayRef<MaskAttrInterface> masks) {
    return llvm::all_of(masks, [&](MaskAttrInterface m) {
      return isLaneMask(m, extraLeaf);
    });
  };
  if (auto a = dyn_cast<AndMaskAttr>(mask))
    return all(a.getMasks());
  if (auto o = dyn_cast<OrMaskAttr>(mask))
    return all(o.getMasks());
  if (auto n = dyn_cast<NotMaskAttr>(mask))
    return isLaneMask(n.getMask(), extraLeaf);
  return false;
}

Value attn::codegen::laneMask(OpBuilder &b, Location loc,
                              MaskAttrInterface mask, Value p, Value j,
                              LaneLeafFn leaf) {
  if (leaf)
    if (Value v = leaf(mask))
      return v;
  using P = arith::CmpIPredicate;
  auto laneType = cast<VectorType>(p.getType());
  auto boolType = VectorType::get(laneType.getShape(), b.getI1Type());
  auto cmp = [&](P pred, Value x, Value y) -> Value {
    return arith::CmpIOp::create(b, loc, pred, x, y);
  };
  auto splat = [&](int64_t v) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(laneType, b.getI64IntegerAttr(v)));
  };
  auto constant = [&](bool v) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(boolType, b.getBoolAttr(v)));
  };
  auto add = [&](Value x, Value y) -> Value {
    return arith::AddIOp::create(b, loc, x, y);
  };
  auto sub = [&](Value x, Value y) -> Value {
    return arith::SubIOp::create(b, loc, x, y);
  };
  auto recurse = [&](MaskAttrInterface m) {
    return laneMask(b, loc, m, p, j, leaf);
  };
  if (isa<FullMaskAttr>(mask))
    return constant(true);
  if (isa<CausalMaskAttr>(mask))
    return cmp(P::sle, j, p);
  if (auto w = dyn_cast<WindowMaskAttr>(mask))
    return arith::AndIOp::create(
        b, loc, cmp(P::sle, sub(p, splat(w.getLeft())), j),
        cmp(P::sle, j, add(p, splat(w.getRight()))));
  if (auto sk = dyn_cast<SinksMaskAttr>(mask))
    return cmp(P::slt, j, splat(sk.getCount()));
  if (auto d = dyn_cast<DilatedMaskAttr>(mask))
    return cmp(P::eq,
               arith::RemSIOp::create(b, loc, sub(p, j), splat(d.getRate())),
               splat(0));
  if (auto ch = dyn_cast<ChunkedMaskAttr>(mask))
    return cmp(P::eq, arith::FloorDivSIOp::create(b, loc, p, splat(ch.getSize())),
               arith::FloorDivSIOp::create(b, loc, j, splat(ch.getSize())));
  if (auto pl = dyn_cast<PrefixLMMaskAttr>(mask))
    return arith::OrIOp::create(b, loc, cmp(P::slt, j, splat(pl.getPrefix())),
                                cmp(P::sle, j, p));
  if (auto a = dyn_cast<AndMaskAttr>(mask)) {
    Value keep = constant(true);
    for (MaskAttrInterface m : a.getMasks()) {
      Value leafKeep = recurse(m);
      if (!leafKeep)
        return Value();
      keep = arith::AndIOp::create(b, loc, keep, leafKeep);
    }
    return keep;
  }
  if (auto o = dyn_cast<OrMaskAttr>(mask)) {
    Value keep = constant(false);
    for (MaskAttrInterface m : o.getMasks()) {
      Value leafKeep = recurse(m);
      if (!leafKeep)
        return Value();
      keep = arith::OrIOp::create(b, loc, keep, leafKeep);
    }
    return keep;
  }
  if (auto n = dyn_cast<NotMaskAttr>(mask)) {
    Value inner = recurse(n.getMask());
    return inner ? arith::XOrIOp::create(b, loc, inner, constant(true))
                 : Value();
  }
  return Value();
}
