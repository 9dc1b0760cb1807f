//===- DotAccumulate4Way.cpp - i8 word dot products as PTX dp4a -----------===//
//
// attn-gpu-dot-accumulate-4way: acc + reduce(add, extsi(a) * extsi(b)) over
// vector<4xi8> words becomes nvvm.dot.accumulate.4way (dp4a.s32.s32). See
// the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attn {
#define GEN_PASS_DEF_GPUDOTACCUMULATE4WAY
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {

/// The vector<4xi8> that `v` sign-extends to vector<4xi32>, or null.
Value signExtendedWord(Value v) {
  auto ext = v.getDefiningOp<arith::ExtSIOp>();
  if (!ext)
    return Value();
  auto type = dyn_cast<VectorType>(ext.getIn().getType());
  if (!type || type.getRank() != 1 || type.getNumElements() != 4 ||
      !type.getElementType().isInteger(8))
    return Value();
  return ext.getIn();
}

struct DotAccumulate4WayPattern : OpRewritePattern<vector::ReductionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::ReductionOp reduction,
                                PatternRewriter &rewriter) const override {
    if (reduction.getKind() != vector::CombiningKind::ADD ||
        !reduction.getAcc() || !reduction.getType().isInteger(32))
      return rewriter.notifyMatchFailure(reduction, "not an i32 add with acc");
    auto product = reduction.getVector().getDefiningOp<arith::MulIOp>();
    if (!product)
      return rewriter.notifyMatchFailure(reduction, "not a sum of products");
    Value a = signExtendedWord(product.getLhs());
    Value b = signExtendedWord(product.getRhs());
    if (!a || !b)
      return rewriter.notifyMatchFailure(reduction,
                                         "not products of signed bytes");
    auto signedType = NVVM::DotAccumulateTypeAttr::get(
        rewriter.getContext(), NVVM::DotAccumulateType::SIGNED);
    rewriter.replaceOpWithNewOp<NVVM::DotAccumulate4WayOp>(
        reduction, rewriter.getI32Type(), a, signedType, b, signedType,
        reduction.getAcc());
    return success();
  }
};

struct GPUDotAccumulate4WayPass
    : public attn::impl::GPUDotAccumulate4WayBase<GPUDotAccumulate4WayPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DotAccumulate4WayPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
