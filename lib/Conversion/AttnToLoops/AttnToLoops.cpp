//===- AttnToLoops.cpp - untiled lowering of attn.attention ---------------===//
//
// attn.attention -> scf.parallel over (b, h, i) + sequential online softmax
// over j. Masks, score modifications, regions and normalizations are emitted
// inline per (i, j) pair.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/AttnDialect.h"

#include "attn/Conversion/AttnCodegen.h"
#include "attn/Conversion/SoftmaxMath.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

namespace attn {
#define GEN_PASS_DEF_CONVERTATTNTOLOOPS
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;
using namespace attn::codegen;

static LogicalResult lowerAttention(AttentionOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  ScalarEmitter e(b, loc);
  SoftmaxMath sm(b, loc);

  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  auto dim = [&](Value t, int64_t d) -> Value {
    return tensor::DimOp::create(b, loc, t, d);
  };
  Value batch = dim(q, 0), hq = dim(q, 1), nq = dim(q, 2), d = dim(q, 3);
  Value hkv = dim(k, 1), nk = dim(k, 2), dv = dim(v, 3), hvv = dim(v, 1);
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
  bool softmax = norm == NormalizationKind::Softmax;
  const float negInf = -std::numeric_limits<float>::infinity();
  bool twoPasses = op.needsTwoPasses();
  Region &weightMod = op.getWeightMod();

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
    Value hk = e.headIndex(op.getKHeadMap(), hkv, hq, bi, hi);
    Value hv = e.headIndex(op.getVHeadMap(), hvv, hq, bi, hi);
    Value pos = e.addi(ii, offset);
    Value sink;
    if (Value sinks = op.getSinkLogits())
      sink = e.toF32(tensor::ExtractOp::create(b, loc, sinks, ValueRange{hi}));

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

    // Raw score scale * q.k of key j.
    auto rawScore = [&](Value j) -> Value {
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
      return arith::MulFOp::create(b, loc, dot.getResult(0), scale);
    };
    // acc[x] = acc[x] * alpha + weight * V[hv, j, x] (alpha may be null).
    auto accumulate = [&](Value j, Value weight, Value alpha) {
      scf::ForOp::create(
          b, loc, c0, dv, c1, ValueRange{},
          [&](OpBuilder &, Location, Value x, ValueRange) {
            Value vv = e.toF32(tensor::ExtractOp::create(
                b, loc, v, ValueRange{bi, hv, j, x}));
            Value a = memref::LoadOp::create(b, loc, acc, accRow(b, x));
            if (alpha)
              a = arith::MulFOp::create(b, loc, a, alpha);
            Value next = math::FmaOp::create(b, loc, weight, vv, a);
            memref::StoreOp::create(b, loc, next, acc, accRow(b, x));
            scf::YieldOp::create(b, loc);
          });
    };

    // Pass over the keys: (running max, running sum). With `accumulateV`
    // the value rows are accumulated online (one-pass form); otherwise only
    // the normalizer is computed (pass 1 of the two-pass form).
    auto statsLoop = [&](bool accumulateV) {
      Value initMax = e.f32(softmax ? negInf : 0.0);
      return scf::ForOp::create(
          b, loc, c0, nk, c1, ValueRange{initMax, e.f32(0.0)},
          [&](OpBuilder &, Location, Value j, ValueRange iter) {
            Value runMax = iter[0], runSum = iter[1];
            PairContext ctx{op, bi, hi, ii, j, pos, nq, nk, hq};
            Value keep = e.keep(ctx);
            auto ifOp = scf::IfOp::create(
                b, loc, keep,
                [&](OpBuilder &, Location) {
                  Value raw = rawScore(j);
                  Value s = e.modifyScore(raw, ctx);
                  // Weight of this key and the rescale factor of the
                  // accumulator (1 outside softmax).
                  Value weight, alpha, newMax = runMax, newSum;
                  if (softmax) {
                    SoftmaxMath::Step step = sm.update(runMax, s);
                    newMax = step.newMax;
                    alpha = step.alpha;
                    weight = sm.weight(s, step.offset);
                    newSum = sm.rescaleSum(runSum, alpha, weight);
                  } else {
                    weight = e.pointwiseWeight(op, s);
                    newSum = arith::AddFOp::create(b, loc, runSum, weight);
                  }
                  if (accumulateV) {
                    if (!weightMod.empty())
                      weight = inlineRegion(b, weightMod,
                                            {weight, raw, bi, hi, ii, j},
                                            op.getCaptures(), nq, nk);
                    accumulate(j, weight, alpha);
                  }
                  scf::YieldOp::create(b, loc, ValueRange{newMax, newSum});
                },
                [&](OpBuilder &, Location) {
                  scf::YieldOp::create(b, loc, ValueRange{runMax, runSum});
                });
            scf::YieldOp::create(b, loc, ifOp.getResults());
          });
    };

    auto keyLoop = statsLoop(/*accumulateV=*/!twoPasses);
    Value finalMax = keyLoop.getResult(0), finalSum = keyLoop.getResult(1);
    // The accumulator holds sum_j exp(s_j - finalMax) v_j for softmax.
    Value accScale = e.f32(1.0);
    if (sink) {
      SoftmaxMath::SinkFold fold = sm.foldSink(finalMax, finalSum, sink);
      finalMax = fold.max;
      finalSum = fold.sum;
      accScale = fold.accScale;
    }
    // Softmax and l1 divide by the row sum.
    Value inv = e.f32(1.0);
    if (softmax || l1)
      inv = sm.reciprocalOrZero(finalSum);

    Value outScale;
    if (twoPasses) {
      // Pass 2: final weights, weight_mod, accumulation (no rescaling).
      Value offset = softmax ? sm.offsetOf(finalMax) : Value();
      scf::ForOp::create(
          b, loc, c0, nk, c1, ValueRange{},
          [&](OpBuilder &, Location, Value j, ValueRange) {
            PairContext ctx{op, bi, hi, ii, j, pos, nq, nk, hq};
            Value keep = e.keep(ctx);
            scf::IfOp::create(b, loc, keep, [&](OpBuilder &, Location) {
              Value raw = rawScore(j);
              Value s = e.modifyScore(raw, ctx);
              Value weight = softmax ? sm.weight(s, offset)
                                     : e.pointwiseWeight(op, s);
              weight = arith::MulFOp::create(b, loc, weight, inv);
              weight = inlineRegion(b, weightMod, {weight, raw, bi, hi, ii, j},
                                    op.getCaptures(), nq, nk);
              accumulate(j, weight, Value());
              scf::YieldOp::create(b, loc);
            });
            scf::YieldOp::create(b, loc);
          });
      outScale = e.f32(1.0);
    } else {
      outScale = arith::MulFOp::create(b, loc, accScale, inv);
    }
    if (Value gate = op.getOutputGate())
      outScale = arith::MulFOp::create(
          b, loc, outScale, e.toF32(e.extractBroadcast(gate, {bi, hi, ii})));

    scf::ForOp::create(
        b, loc, c0, dv, c1, ValueRange{},
        [&](OpBuilder &, Location, Value x, ValueRange) {
          Value a = memref::LoadOp::create(b, loc, acc, accRow(b, x));
          Value o = arith::MulFOp::create(b, loc, a, outScale);
          if (!elementType.isF32())
            o = arith::TruncFOp::create(b, loc, elementType, o);
          memref::StoreOp::create(b, loc, o, outBuffer,
                                  ValueRange{bi, hi, ii, x});
          scf::YieldOp::create(b, loc);
        });
    if (lseBuffer)
      memref::StoreOp::create(b, loc, sm.logSumExp(finalMax, finalSum),
                              lseBuffer, ValueRange{bi, hi, ii});
  }

  b.setInsertionPointAfter(parallel);
  replaceWithBuffers(b, loc, op, outBuffer, lseBuffer);
  return success();
}

namespace {
struct ConvertAttnToLoopsPass
    : public attn::impl::ConvertAttnToLoopsBase<ConvertAttnToLoopsPass> {
  void runOnOperation() override {
    SmallVector<AttentionOp> ops;
    getOperation().walk([&](AttentionOp op) { ops.push_back(op); });
    for (AttentionOp op : ops) {
      // Kernels are a tile-program feature; this lowering is being retired.
      if (op.hasLinearKernel()) {
        op.emitOpError() << "declares a kernel (feature_map or decay): linear attention is lowered "
            "through the tile program only (attn-to-tile; the JIT's, "
            "attn-run's and ao.compile's default lowering)";
        return signalPassFailure();
      }
      if (op.hasSelection()) {
        op.emitOpError() << "declares a selection (#attn.topk_blocks): block "
            "selection is lowered through the tile program only "
            "(attn-to-tile; the JIT's, attn-run's and ao.compile's default "
            "lowering)";
        return signalPassFailure();
      }
      if (op.hasQuantizedQK()) {
        op.emitOpError() << "declares quantized Q K^T (#attn.quantized_qk): "
            "quantization is lowered through the tile program only "
            "(attn-to-tile; the JIT's, attn-run's and ao.compile's default "
            "lowering)";
        return signalPassFailure();
      }
      if (op.getValueQuantizationAttr()) {
        op.emitOpError() << "declares a pre-quantized value "
            "(#attn.quantized_v): a value cache is lowered through the tile "
            "program only (attn-to-tile; the JIT's, attn-run's and "
            "ao.compile's default lowering)";
        return signalPassFailure();
      }
      if (op.hasRowEpilogue() || op.hasAffineNormalization()) {
        op.emitOpError() << "declares "
            << (op.hasRowEpilogue()
                    ? "a row epilogue or an element-wise output_gate"
                    : "an affine normalization (subtractive or mala)")
            << ": it is lowered through the tile program only "
               "(attn-to-tile; the JIT's, attn-run's and ao.compile's default "
               "lowering)";
        return signalPassFailure();
      }
      if (failed(lowerAttention(op)))
        return signalPassFailure();
    }
  }
};
} // namespace
