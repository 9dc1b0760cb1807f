//===- AttnToLoops.cpp - untiled lowering of attn.attention ---------------===//
//
// attn.attention -> scf.parallel over (b, h, i) + sequential online softmax
// over j. Masks, score modifications, regions and normalizations are emitted
// inline per (i, j) pair.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/AttnDialect.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

namespace attn {
#define GEN_PASS_DEF_CONVERTATTNTOLOOPS
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;

namespace {

/// Values available while emitting the per-(i, j) code of one op.
struct PairContext {
  mutable AttentionOp op;
  Value b, h, i, j;
  Value p;       // aligned query position i + Nk - Nq
  Value nq, nk;  // sequence lengths
  Value numHeads;
};

class Emitter {
public:
  Emitter(OpBuilder &builder, Location loc) : b(builder), loc(loc) {}

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value boolean(bool v) {
    return arith::ConstantOp::create(b, loc, b.getBoolAttr(v));
  }
  Value cmp(arith::CmpIPredicate pred, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, pred, x, y);
  }
  Value andi(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value ori(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value addi(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value subi(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value muli(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value floordiv(Value x, Value y) {
    return arith::FloorDivSIOp::create(b, loc, x, y);
  }
  Value rem(Value x, Value y) { return arith::RemSIOp::create(b, loc, x, y); }
  Value maxsi(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }
  Value minsi(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }

  /// Reads `tensor[indices]` where extent-1 dimensions broadcast.
  Value extractBroadcast(Value tensor, ArrayRef<Value> indices) {
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

  Value toF32(Value v) {
    if (v.getType().isF32())
      return v;
    if (auto ft = dyn_cast<FloatType>(v.getType()))
      return ft.getWidth() < 32
                 ? Value(arith::ExtFOp::create(b, loc, b.getF32Type(), v))
                 : Value(arith::TruncFOp::create(b, loc, b.getF32Type(), v));
    return arith::SIToFPOp::create(b, loc, b.getF32Type(), v);
  }

  Value mask(MaskAttrInterface mask, const PairContext &c);
  Value neighborhood(NeighborhoodMaskAttr attr, const PairContext &c);
  Value alibiSlope(const PairContext &c);

  OpBuilder &b;
  Location loc;
};

} // namespace

Value Emitter::neighborhood(NeighborhoodMaskAttr attr, const PairContext &c) {
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
    if (attr.getCausalAt(axis)) {
      keep = andi(keep, cmp(P::sle, subi(xs, idx(k - 1)), ys));
      keep = andi(keep, cmp(P::sle, ys, xs));
    } else {
      Value start = subi(xs, idx(k / 2));
      start = maxsi(minsi(start, subi(n, idx(k))), idx(0));
      keep = andi(keep, cmp(P::sle, start, ys));
      keep = andi(keep, cmp(P::slt, ys, addi(start, idx(k))));
    }
  }
  return keep;
}

Value Emitter::mask(MaskAttrInterface mask, const PairContext &c) {
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

Value Emitter::alibiSlope(const PairContext &c) {
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

/// Clones a region body with its arguments bound to `args` (captures are
/// bound to the op's capture tensors) and returns the yielded value.
static Value inlineRegion(OpBuilder &b, Region &region, ValueRange leading,
                          ValueRange captures) {
  Block &block = region.front();
  IRMapping mapping;
  unsigned n = leading.size();
  for (unsigned a = 0; a < n; ++a)
    mapping.map(block.getArgument(a), leading[a]);
  for (auto [a, capture] : llvm::enumerate(captures))
    mapping.map(block.getArgument(n + a), capture);
  for (Operation &op : block.without_terminator())
    b.clone(op, mapping);
  return mapping.lookup(block.getTerminator()->getOperand(0));
}

static LogicalResult lowerAttention(AttentionOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Emitter e(b, loc);
  using P = arith::CmpIPredicate;

  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  auto dim = [&](Value t, int64_t d) -> Value {
    return tensor::DimOp::create(b, loc, t, d);
  };
  Value batch = dim(q, 0), hq = dim(q, 1), nq = dim(q, 2), d = dim(q, 3);
  Value hkv = dim(k, 1), nk = dim(k, 2), dv = dim(v, 3);
  Value group = arith::DivUIOp::create(b, loc, hq, hkv);
  Value offset = e.subi(nk, nq);

  Value scale;
  if (FloatAttr s = op.getScaleAttr()) {
    scale = e.f32(s.getValueAsDouble());
  } else {
    Value df = arith::UIToFPOp::create(
        b, loc, b.getF32Type(),
        arith::IndexCastUIOp::create(b, loc, b.getI64Type(), d));
    scale = math::RsqrtOp::create(b, loc, df);
  }

  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  Type elementType = outType.getElementType();
  SmallVector<Value> outDyn;
  for (auto [index, size] : llvm::enumerate(outType.getShape()))
    if (ShapedType::isDynamic(size))
      outDyn.push_back(index == 0 ? batch : index == 1 ? hq
                                          : index == 2 ? nq : dv);
  auto outMemrefType = MemRefType::get(outType.getShape(), elementType);
  Value outBuffer = memref::AllocOp::create(b, loc, outMemrefType, outDyn);
  Value acc = outBuffer;
  if (!elementType.isF32())
    acc = memref::AllocOp::create(
        b, loc, MemRefType::get(outType.getShape(), b.getF32Type()), outDyn);
  Value lseBuffer;
  RankedTensorType lseType;
  if (Value lse = op.getLse()) {
    lseType = cast<RankedTensorType>(lse.getType());
    SmallVector<Value> lseDyn;
    for (auto [index, size] : llvm::enumerate(lseType.getShape()))
      if (ShapedType::isDynamic(size))
        lseDyn.push_back(index == 0 ? batch : index == 1 ? hq : nq);
    lseBuffer = memref::AllocOp::create(
        b, loc, MemRefType::get(lseType.getShape(), b.getF32Type()), lseDyn);
  }

  NormalizationKind norm = op.getNormalizationKind();
  NormalizationAttr normAttr = op.getNormalizationAttr();
  bool l1 = normAttr && normAttr.getL1();
  double sigmoidBias = normAttr ? normAttr.getBiasValue() : 0.0;
  const float negInf = -std::numeric_limits<float>::infinity();

  Value c0 = e.idx(0), c1 = e.idx(1);
  auto parallel = scf::ParallelOp::create(
      b, loc, ValueRange{c0, c0, c0}, ValueRange{batch, hq, nq},
      ValueRange{c1, c1, c1});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(parallel.getBody());
    Value bi = parallel.getInductionVars()[0];
    Value hi = parallel.getInductionVars()[1];
    Value ii = parallel.getInductionVars()[2];
    Value hk = arith::DivUIOp::create(b, loc, hi, group);
    Value pos = e.addi(ii, offset);

    // The f32 accumulator row lives in the output itself when it is f32,
    // else in a scratch buffer: no per-row stack allocation.
    auto accRow = [&](OpBuilder &, Value x) -> SmallVector<Value> {
      return {bi, hi, ii, x};
    };
    scf::ForOp::create(b, loc, c0, dv, c1, ValueRange{},
                       [&](OpBuilder &nb, Location l, Value x, ValueRange) {
                         memref::StoreOp::create(nb, l, e.f32(0.0), acc,
                                                 accRow(nb, x));
                         scf::YieldOp::create(nb, l);
                       });

    Value initMax = e.f32(norm == NormalizationKind::Softmax ? negInf : 0.0);
    auto keyLoop = scf::ForOp::create(
        b, loc, c0, nk, c1, ValueRange{initMax, e.f32(0.0)},
        [&](OpBuilder &, Location, Value j, ValueRange iter) {
          Value runMax = iter[0], runSum = iter[1];
          PairContext ctx{op, bi, hi, ii, j, pos, nq, nk, hq};
          Value keep = e.boolean(true);
          if (MaskAttrInterface m = op.getMaskAttr())
            keep = e.mask(m, ctx);
          if (!op.getMaskFn().empty())
            keep = e.andi(keep, inlineRegion(b, op.getMaskFn(),
                                             {bi, hi, ii, j},
                                             op.getCaptures()));
          auto ifOp = scf::IfOp::create(
              b, loc, keep,
              [&](OpBuilder &, Location) {
                auto dot = scf::ForOp::create(
                    b, loc, c0, d, c1, ValueRange{e.f32(0.0)},
                    [&](OpBuilder &, Location, Value x, ValueRange sum) {
                      Value qv = e.toF32(tensor::ExtractOp::create(
                          b, loc, q, ValueRange{bi, hi, ii, x}));
                      Value kv = e.toF32(tensor::ExtractOp::create(
                          b, loc, k, ValueRange{bi, hk, j, x}));
                      Value next = math::FmaOp::create(b, loc, qv, kv, sum[0]);
                      scf::YieldOp::create(b, loc, next);
                    });
                Value s = arith::MulFOp::create(b, loc, dot.getResult(0),
                                                scale);
                if (Value bias = op.getBias())
                  s = arith::AddFOp::create(
                      b, loc, s,
                      e.toF32(e.extractBroadcast(bias, {bi, hi, ii, j})));
                if (ArrayAttr mods = op.getScoreModsAttr()) {
                  for (Attribute mod : mods) {
                    if (auto cap = dyn_cast<SoftcapAttr>(mod)) {
                      Value c = e.f32(cap.getCapValue());
                      Value t = math::TanhOp::create(
                          b, loc, arith::DivFOp::create(b, loc, s, c));
                      s = arith::MulFOp::create(b, loc, c, t);
                    } else if (isa<AlibiAttr>(mod)) {
                      Value dist = math::AbsIOp::create(b, loc, e.subi(pos, j));
                      Value distF = arith::SIToFPOp::create(
                          b, loc, b.getF32Type(),
                          arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                                     dist));
                      Value penalty =
                          arith::MulFOp::create(b, loc, e.alibiSlope(ctx), distF);
                      s = arith::SubFOp::create(b, loc, s, penalty);
                    }
                  }
                }
                if (!op.getScoreMod().empty())
                  s = inlineRegion(b, op.getScoreMod(), {s, bi, hi, ii, j},
                                   op.getCaptures());

                // Weight of this key and the rescale factor of the
                // accumulator (1 outside softmax).
                Value weight, alpha, newMax = runMax, newSum;
                switch (norm) {
                case NormalizationKind::Softmax: {
                  newMax = arith::MaximumFOp::create(b, loc, runMax, s);
                  alpha = math::ExpOp::create(
                      b, loc, arith::SubFOp::create(b, loc, runMax, newMax));
                  weight = math::ExpOp::create(
                      b, loc, arith::SubFOp::create(b, loc, s, newMax));
                  break;
                }
                case NormalizationKind::Sigmoid: {
                  Value x = arith::AddFOp::create(b, loc, s, e.f32(sigmoidBias));
                  Value ex = math::ExpOp::create(
                      b, loc, arith::NegFOp::create(b, loc, x));
                  weight = arith::DivFOp::create(
                      b, loc, e.f32(1.0),
                      arith::AddFOp::create(b, loc, e.f32(1.0), ex));
                  break;
                }
                case NormalizationKind::Softplus: {
                  // log1p(exp(-|s|)) + max(s, 0) never overflows.
                  Value absS = math::AbsFOp::create(b, loc, s);
                  Value tail = math::Log1pOp::create(
                      b, loc,
                      math::ExpOp::create(
                          b, loc, arith::NegFOp::create(b, loc, absS)));
                  weight = arith::AddFOp::create(
                      b, loc, tail,
                      arith::MaximumFOp::create(b, loc, s, e.f32(0.0)));
                  break;
                }
                case NormalizationKind::Relu:
                  weight = arith::MaximumFOp::create(b, loc, s, e.f32(0.0));
                  break;
                case NormalizationKind::Identity:
                  weight = s;
                  break;
                }
                if (alpha)
                  newSum = math::FmaOp::create(b, loc, runSum, alpha, weight);
                else
                  newSum = arith::AddFOp::create(b, loc, runSum, weight);
                scf::ForOp::create(
                    b, loc, c0, dv, c1, ValueRange{},
                    [&](OpBuilder &, Location, Value x, ValueRange) {
                      Value vv = e.toF32(tensor::ExtractOp::create(
                          b, loc, v, ValueRange{bi, hk, j, x}));
                      Value a =
                          memref::LoadOp::create(b, loc, acc, accRow(b, x));
                      if (alpha)
                        a = arith::MulFOp::create(b, loc, a, alpha);
                      Value next = math::FmaOp::create(b, loc, weight, vv, a);
                      memref::StoreOp::create(b, loc, next, acc, accRow(b, x));
                      scf::YieldOp::create(b, loc);
                    });
                scf::YieldOp::create(b, loc, ValueRange{newMax, newSum});
              },
              [&](OpBuilder &, Location) {
                scf::YieldOp::create(b, loc, ValueRange{runMax, runSum});
              });
          scf::YieldOp::create(b, loc, ifOp.getResults());
        });

    Value finalMax = keyLoop.getResult(0), finalSum = keyLoop.getResult(1);
    // Softmax and l1 divide by the row sum; an empty row (sum 0) gives 0.
    Value inv = e.f32(1.0);
    if (norm == NormalizationKind::Softmax || l1) {
      Value nonZero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE,
                                            finalSum, e.f32(0.0));
      inv = e.select(nonZero,
                     arith::DivFOp::create(b, loc, e.f32(1.0), finalSum),
                     e.f32(0.0));
    }
    scf::ForOp::create(
        b, loc, c0, dv, c1, ValueRange{},
        [&](OpBuilder &, Location, Value x, ValueRange) {
          Value a = memref::LoadOp::create(b, loc, acc, accRow(b, x));
          Value o = arith::MulFOp::create(b, loc, a, inv);
          if (!elementType.isF32())
            o = arith::TruncFOp::create(b, loc, elementType, o);
          memref::StoreOp::create(b, loc, o, outBuffer,
                                  ValueRange{bi, hi, ii, x});
          scf::YieldOp::create(b, loc);
        });
    if (lseBuffer) {
      Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                             finalSum, e.f32(0.0));
      Value lse = arith::AddFOp::create(
          b, loc, finalMax, math::LogOp::create(b, loc, finalSum));
      lse = e.select(positive, lse, e.f32(negInf));
      memref::StoreOp::create(b, loc, lse, lseBuffer, ValueRange{bi, hi, ii});
    }
  }

  b.setInsertionPointAfter(parallel);
  Value out = bufferization::ToTensorOp::create(
      b, loc, outType, outBuffer, /*restrict=*/true, /*writable=*/true);
  op.getOutput().replaceAllUsesWith(out);
  if (lseBuffer) {
    Value lse = bufferization::ToTensorOp::create(
        b, loc, lseType, lseBuffer, /*restrict=*/true, /*writable=*/true);
    op.getLse().replaceAllUsesWith(lse);
  }
  op.erase();
  return success();
}

namespace {
struct ConvertAttnToLoopsPass
    : public attn::impl::ConvertAttnToLoopsBase<ConvertAttnToLoopsPass> {
  void runOnOperation() override {
    SmallVector<AttentionOp> ops;
    getOperation().walk([&](AttentionOp op) { ops.push_back(op); });
    for (AttentionOp op : ops)
      if (failed(lowerAttention(op)))
        return signalPassFailure();
  }
};
} // namespace
