//===- WidenContractions.cpp - mixed-precision contractions for the CPU ---===//
//
// vector.contract with 16-bit operands and an f32 accumulator means "extend,
// then multiply-accumulate"; MLIR 22's contraction lowerings (used by
// convert-vector-to-llvm) only take one element type. Spelling the
// extension out lets the tensor-core stages of the pre-mapping GPU IR run on
// the CPU with the same arithmetic (products of the 16-bit values, f32 sums).
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attn {
#define GEN_PASS_DEF_GPUWIDENCONTRACTIONS
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {

struct WidenContraction : public OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::ContractionOp op,
                                PatternRewriter &rewriter) const override {
    auto accType = dyn_cast<VectorType>(op.getAcc().getType());
    if (!accType || !isa<FloatType>(accType.getElementType()))
      return failure();
    Type acc = accType.getElementType();
    auto widen = [&](Value v) -> Value {
      auto type = cast<VectorType>(v.getType());
      if (type.getElementType() == acc)
        return v;
      return arith::ExtFOp::create(rewriter, op.getLoc(),
                                   type.clone(acc), v);
    };
    if (op.getLhsType().getElementType() == acc &&
        op.getRhsType().getElementType() == acc)
      return failure();
    if (!isa<FloatType>(op.getLhsType().getElementType()) ||
        !isa<FloatType>(op.getRhsType().getElementType()))
      return failure();
    rewriter.replaceOpWithNewOp<vector::ContractionOp>(
        op, widen(op.getLhs()), widen(op.getRhs()), op.getAcc(),
        op.getIndexingMaps(), op.getIteratorTypes(), op.getKind());
    return success();
  }
};

struct GPUWidenContractionsPass
    : public attn::impl::GPUWidenContractionsBase<GPUWidenContractionsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<WidenContraction>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
