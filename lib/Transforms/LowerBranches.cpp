//===- LowerBranches.cpp - attn.merge / gated_sum / pool_blocks -----------===//
//
// The ops around the branches of a spec function (several attn.attention
// ops combined exactly through their logsumexps or by gates, pooled keys
// and values of a branch) become tensor.generate ops computing in f32.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

namespace attn {
#define GEN_PASS_DEF_LOWERBRANCHES
#include "attn/Transforms/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;

namespace {
/// The dynamic extents of `type` read off `source` (same rank).
SmallVector<Value> dynamicExtents(OpBuilder &b, Location loc,
                                  RankedTensorType type, Value source) {
  SmallVector<Value> dims;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      dims.push_back(tensor::DimOp::create(b, loc, source, d));
  return dims;
}

/// `v` as f32.
Value toF32(OpBuilder &b, Location loc, Value v) {
  if (v.getType().isF32())
    return v;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
}

/// `v` (f32) as `type`.
Value fromF32(OpBuilder &b, Location loc, Value v, Type type) {
  if (type.isF32())
    return v;
  return arith::TruncFOp::create(b, loc, type, v);
}

Value f32(OpBuilder &b, Location loc, double x) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(float(x)));
}

/// The element of `t` at `idx` (its rank's leading indices), reading a
/// dimension of extent 1 at 0 (static, or dynamic and 1 at run time).
Value broadcastExtract(OpBuilder &b, Location loc, Value t, ValueRange idx) {
  auto type = cast<RankedTensorType>(t.getType());
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<Value> at;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (type.getDimSize(d) == 1) {
      at.push_back(zero);
    } else if (type.isDynamicDim(d)) {
      Value extent = tensor::DimOp::create(b, loc, t, d);
      Value unit = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                         extent, one);
      at.push_back(arith::SelectOp::create(b, loc, unit, zero, idx[d]));
    } else {
      at.push_back(idx[d]);
    }
  }
  return tensor::ExtractOp::create(b, loc, t, at);
}

/// The row statistics of a merge at `row` ([b, h, i]): the offset `m`
/// (the max logsumexp, 0 while it is -inf) and the weights exp(lse_k - m).
std::pair<Value, SmallVector<Value>> mergeWeights(OpBuilder &b, Location loc,
                                                  BranchMergeOp op, ValueRange row) {
  SmallVector<Value> lses;
  for (Value l : op.getLses())
    lses.push_back(tensor::ExtractOp::create(b, loc, l, row));
  Value m = lses.front();
  for (Value l : llvm::drop_begin(lses))
    m = arith::MaximumFOp::create(b, loc, m, l);
  Value negInf = f32(b, loc, -std::numeric_limits<float>::infinity());
  Value empty =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, m, negInf);
  m = arith::SelectOp::create(b, loc, empty, f32(b, loc, 0.0), m);
  SmallVector<Value> weights;
  for (Value l : lses)
    weights.push_back(
        math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, l, m)));
  return {m, weights};
}

Value sumOf(OpBuilder &b, Location loc, ArrayRef<Value> xs) {
  Value s = xs.front();
  for (Value x : xs.drop_front())
    s = arith::AddFOp::create(b, loc, s, x);
  return s;
}

void lowerMerge(BranchMergeOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  Value first = op.getOutputs().front();
  auto output = tensor::GenerateOp::create(
      b, loc, outType, dynamicExtents(b, loc, outType, first),
      [&](OpBuilder &nb, Location l, ValueRange idx) {
        auto [m, weights] = mergeWeights(nb, l, op, idx.take_front(3));
        (void)m;
        SmallVector<Value> terms;
        for (auto [w, o] : llvm::zip(weights, op.getOutputs()))
          terms.push_back(arith::MulFOp::create(
              nb, l, w,
              toF32(nb, l, tensor::ExtractOp::create(nb, l, o, idx))));
        Value sum = sumOf(nb, l, weights);
        Value value =
            arith::DivFOp::create(nb, l, sumOf(nb, l, terms), sum);
        // Every branch fully masked: 0 (not 0 / 0).
        Value none = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ,
                                           sum, f32(nb, l, 0.0));
        value = arith::SelectOp::create(nb, l, none, f32(nb, l, 0.0), value);
        tensor::YieldOp::create(
            nb, l, fromF32(nb, l, value, outType.getElementType()));
      });
  op.getOutput().replaceAllUsesWith(output.getResult());
  if (Value lse = op.getLse()) {
    auto lseType = cast<RankedTensorType>(lse.getType());
    auto merged = tensor::GenerateOp::create(
        b, loc, lseType, dynamicExtents(b, loc, lseType, first),
        [&](OpBuilder &nb, Location l, ValueRange idx) {
          auto [m, weights] = mergeWeights(nb, l, op, idx);
          // log(0) = -inf for a row that every branch masks.
          Value value = arith::AddFOp::create(
              nb, l, m, math::LogOp::create(nb, l, sumOf(nb, l, weights)));
          tensor::YieldOp::create(nb, l, value);
        });
    lse.replaceAllUsesWith(merged.getResult());
  }
  op.erase();
}

void lowerGatedSum(GatedSumOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  Value first = op.getOutputs().front();
  auto output = tensor::GenerateOp::create(
      b, loc, outType, dynamicExtents(b, loc, outType, first),
      [&](OpBuilder &nb, Location l, ValueRange idx) {
        SmallVector<Value> terms;
        for (auto [o, g] : llvm::zip(op.getOutputs(), op.getGates())) {
          Value gate = toF32(nb, l, broadcastExtract(nb, l, g, idx));
          terms.push_back(arith::MulFOp::create(
              nb, l, gate,
              toF32(nb, l, tensor::ExtractOp::create(nb, l, o, idx))));
        }
        tensor::YieldOp::create(
            nb, l,
            fromF32(nb, l, sumOf(nb, l, terms), outType.getElementType()));
      });
  op.getOutput().replaceAllUsesWith(output.getResult());
  op.erase();
}

void lowerPoolBlocks(PoolBlocksOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value input = op.getInput();
  Value block = arith::ConstantIndexOp::create(b, loc, op.getBlock());
  Value n = tensor::DimOp::create(b, loc, input, 2);
  Value blocks = arith::CeilDivUIOp::create(b, loc, n, block);
  // Tokens of block c: min(block, n - c * block), as f32.
  auto count = [&](OpBuilder &nb, Location l, Value c) {
    Value start = arith::MulIOp::create(nb, l, c, block);
    Value end = arith::MinUIOp::create(
        nb, l, arith::AddIOp::create(nb, l, start, block), n);
    return std::make_tuple(
        start, end,
        arith::UIToFPOp::create(
            nb, l, nb.getF32Type(),
            arith::IndexCastUIOp::create(
                nb, l, nb.getI64Type(),
                arith::SubIOp::create(nb, l, end, start))));
  };
  auto pooledType = cast<RankedTensorType>(op.getPooled().getType());
  SmallVector<Value> dims;
  for (int64_t d = 0; d < 4; ++d)
    if (pooledType.isDynamicDim(d))
      dims.push_back(d == 2 ? blocks
                            : tensor::DimOp::create(b, loc, input, d));
  auto pooled = tensor::GenerateOp::create(
      b, loc, pooledType, dims,
      [&](OpBuilder &nb, Location l, ValueRange idx) {
        auto [start, end, tokens] = count(nb, l, idx[2]);
        Value one = arith::ConstantIndexOp::create(nb, l, 1);
        auto loop = scf::ForOp::create(
            nb, l, start, end, one, ValueRange{f32(nb, l, 0.0)},
            [&](OpBuilder &lb, Location ll, Value j, ValueRange acc) {
              Value x = tensor::ExtractOp::create(
                  lb, ll, input, ValueRange{idx[0], idx[1], j, idx[3]});
              scf::YieldOp::create(
                  lb, ll,
                  ValueRange{arith::AddFOp::create(lb, ll, acc[0],
                                                   toF32(lb, ll, x))});
            });
        tensor::YieldOp::create(
            nb, l,
            fromF32(nb, l,
                    arith::DivFOp::create(nb, l, loop.getResult(0), tokens),
                    pooledType.getElementType()));
      });
  op.getPooled().replaceAllUsesWith(pooled.getResult());
  if (Value logCounts = op.getLogCounts()) {
    auto type = cast<RankedTensorType>(logCounts.getType());
    SmallVector<Value> countDims;
    if (type.isDynamicDim(3))
      countDims.push_back(blocks);
    auto logs = tensor::GenerateOp::create(
        b, loc, type, countDims,
        [&](OpBuilder &nb, Location l, ValueRange idx) {
          auto [start, end, tokens] = count(nb, l, idx[3]);
          tensor::YieldOp::create(nb, l, math::LogOp::create(nb, l, tokens));
        });
    logCounts.replaceAllUsesWith(logs.getResult());
  }
  op.erase();
}

struct LowerBranchesPass
    : public attn::impl::LowerBranchesBase<LowerBranchesPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<BranchMergeOp, GatedSumOp, PoolBlocksOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (auto merge = dyn_cast<BranchMergeOp>(op))
        lowerMerge(merge);
      else if (auto sum = dyn_cast<GatedSumOp>(op))
        lowerGatedSum(sum);
      else
        lowerPoolBlocks(cast<PoolBlocksOp>(op));
    }
  }
};
} // namespace
