//===- EmulateBF16Dot.cpp - AVX512-BF16 ops as portable vector code -------===//
//
// Runs the bf16-dot micro-kernels on hosts without avx512bf16, so that their
// packing and indexing are tested against the reference. A bf16 x bf16
// product is exact in f32, so an FMA per pair reproduces vdpbf16ps (odd
// pair first, as Intel's pseudo-code accumulates) up to its flushing of
// denormals.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace attn {
#define GEN_PASS_DEF_EMULATEBF16DOT
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {
struct EmulateBF16DotPass
    : public attn::impl::EmulateBF16DotBase<EmulateBF16DotPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<x86vector::DotBF16Op, x86vector::CvtPackedF32ToBF16Op>(op))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : ops) {
      rewriter.setInsertionPoint(op);
      Location loc = op->getLoc();
      if (auto cvt = dyn_cast<x86vector::CvtPackedF32ToBF16Op>(op)) {
        rewriter.replaceOpWithNewOp<arith::TruncFOp>(cvt, cvt.getType(),
                                                     cvt.getA());
        continue;
      }
      auto dot = cast<x86vector::DotBF16Op>(op);
      auto wide = VectorType::get(
          cast<VectorType>(dot.getA().getType()).getShape(),
          rewriter.getF32Type());
      auto split = [&](Value v) {
        Value f = arith::ExtFOp::create(rewriter, loc, wide, v);
        return vector::DeinterleaveOp::create(rewriter, loc, f);
      };
      auto a = split(dot.getA()), b = split(dot.getB());
      Value acc = math::FmaOp::create(rewriter, loc, a.getRes2(), b.getRes2(),
                                      dot.getSrc());
      acc = math::FmaOp::create(rewriter, loc, a.getRes1(), b.getRes1(), acc);
      rewriter.replaceOp(dot, acc);
    }
  }
};
} // namespace
