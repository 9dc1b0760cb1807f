//===- ApproximateVectorMath.cpp - polynomial math on vectors -------------===//
//
// Vector math ops have no vector libm on x86 and LLVM would scalarize them
// into calls; MLIR's polynomial approximations vectorize. Scalars keep libm.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attn {
#define GEN_PASS_DEF_APPROXIMATEVECTORMATH
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {
struct ApproximateVectorMathPass
    : public attn::impl::ApproximateVectorMathBase<ApproximateVectorMathPass> {
  void runOnOperation() override {
    SmallVector<Operation *> vectorMathOps;
    getOperation()->walk([&](Operation *op) {
      if (op->getDialect() && op->getDialect()->getNamespace() == "math" &&
          op->getNumResults() == 1 && isa<VectorType>(op->getResult(0).getType()))
        vectorMathOps.push_back(op);
    });
    if (vectorMathOps.empty())
      return;
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(
        patterns, [](StringRef name) {
          name.consume_front("math.");
          return name == "exp" || name == "tanh" || name == "log" ||
                 name == "log1p" || name == "expm1" || name == "erf" ||
                 name == "log2" || name == "exp2";
        });
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    if (failed(applyOpPatternsGreedily(vectorMathOps, std::move(patterns),
                                       config)))
      return signalPassFailure();
  }
};
} // namespace
