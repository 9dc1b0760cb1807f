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

/// The op's bytes as i32 lanes, 4 bytes each (byte 4l + t is bits
/// [8t, 8t + 8) of lane l: little-endian, as x86).
static Value lanesOf(RewriterBase &rewriter, Location loc, Value bytes,
                     VectorType i32s) {
  return vector::BitCastOp::create(rewriter, loc, i32s, bytes);
}

/// For each byte position t of the 4: the lanes' bytes t, widened to i32
/// by shifts (unsigned: shift right and mask; signed: shift it to the top,
/// then arithmetic shift right), multiplied and added. Exact: |sum| < 2^17.
/// Shifts rather than byte shuffles: they keep the IR (and the compile
/// time of the unrolled kernels) small and run as plain vector shifts.
static Value emulatedDot(RewriterBase &rewriter, DotBytesOp op) {
  Location loc = op.getLoc();
  VectorType i32s = op.getType();
  auto splat = [&](int64_t v) -> Value {
    return arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(i32s, rewriter.getI32IntegerAttr(v)));
  };
  Value u = lanesOf(rewriter, loc, op.getUnsignedBytes(), i32s);
  Value s = lanesOf(rewriter, loc, op.getSignedBytes(), i32s);
  Value acc = op.getAcc();
  for (int64_t t = 0; t < 4; ++t) {
    Value ut = t == 0 ? u : arith::ShRUIOp::create(rewriter, loc, u,
                                                   splat(8 * t));
    if (t < 3)
      ut = arith::AndIOp::create(rewriter, loc, ut, splat(255));
    Value st = t == 3 ? s : arith::ShLIOp::create(rewriter, loc, s,
                                                  splat(24 - 8 * t));
    st = arith::ShRSIOp::create(rewriter, loc, st, splat(24));
    acc = arith::AddIOp::create(rewriter, loc, acc,
                                arith::MulIOp::create(rewriter, loc, ut, st));
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
