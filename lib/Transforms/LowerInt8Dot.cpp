//===- LowerInt8Dot.cpp - attn_tile.dot_bytes to VNNI or vector code ------===//
//
// The byte dot products of the quantized Q K^T vector kernel, after
// bufferization: vpdpbusd where the target has AVX512-VNNI (the JIT asks
// for it from the host's features), else the same exact i32 sums in
// portable vector code, so the kernel runs, and is tested, on any host.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "attn/Dialect/AttnTile/AttnTileDialect.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/PatternMatch.h"

namespace attn {
#define GEN_PASS_DEF_LOWERINT8DOT
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;
using attn::tile::DotBytesOp;

/// vpdpbusd on the op's lanes (16: zmm, 8: ymm, 4: xmm).
static Value vnniDot(RewriterBase &rewriter, DotBytesOp op) {
  int64_t lanes = op.getAcc().getType().getDimSize(0);
  std::string name =
      ("llvm.x86.avx512.vpdpbusd." + llvm::Twine(32 * lanes)).str();
  return LLVM::CallIntrinsicOp::create(
             rewriter, op.getLoc(), op.getType(), rewriter.getStringAttr(name),
             ValueRange{op.getAcc(), op.getUnsignedBytes(),
                        op.getSignedBytes()})
      .getResult(0);
}

/// For each byte position t of the 4: the lanes' bytes t, widened to i32
/// (unsigned and signed), multiplied and added. Exact: |sum| < 2^17.
static Value emulatedDot(RewriterBase &rewriter, DotBytesOp op) {
  Location loc = op.getLoc();
  VectorType i32s = op.getType();
  int64_t lanes = i32s.getDimSize(0);
  Value acc = op.getAcc();
  for (int64_t t = 0; t < 4; ++t) {
    SmallVector<int64_t> picks;
    for (int64_t l = 0; l < lanes; ++l)
      picks.push_back(4 * l + t);
    auto pick = [&](Value bytes) {
      return vector::ShuffleOp::create(rewriter, loc, bytes, bytes, picks);
    };
    Value u = arith::ExtUIOp::create(rewriter, loc, i32s,
                                     pick(op.getUnsignedBytes()));
    Value s =
        arith::ExtSIOp::create(rewriter, loc, i32s, pick(op.getSignedBytes()));
    acc = arith::AddIOp::create(rewriter, loc, acc,
                                arith::MulIOp::create(rewriter, loc, u, s));
  }
  return acc;
}

namespace {
struct LowerInt8DotPass
    : public attn::impl::LowerInt8DotBase<LowerInt8DotPass> {
  using Base::Base;

  void runOnOperation() override {
    if (int8Dot != "vnni" && int8Dot != "emulated") {
      getOperation()->emitError("attn-lower-int8-dot: int8-dot must be vnni "
                                "or emulated, got '")
          << int8Dot << "'";
      return signalPassFailure();
    }
    bool vnni = int8Dot == "vnni";
    SmallVector<DotBytesOp> ops;
    getOperation()->walk([&](DotBytesOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (DotBytesOp op : ops) {
      int64_t lanes = op.getAcc().getType().getDimSize(0);
      if (vnni && lanes != 4 && lanes != 8 && lanes != 16) {
        op.emitOpError("has no vpdpbusd form for ")
            << lanes << " lanes (4, 8 or 16)";
        return signalPassFailure();
      }
      rewriter.setInsertionPoint(op);
      rewriter.replaceOp(op, vnni ? vnniDot(rewriter, op)
                                  : emulatedDot(rewriter, op));
    }
  }
};
} // namespace
