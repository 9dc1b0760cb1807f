//===- CopiesToLinalg.cpp - memref.copy as linalg.copy ---------------------===//
//
// Bufferization copies tiles into strided views of the results (the tile
// program's tensor.parallel_insert_slice). memref-to-llvm lowers a copy
// between non-contiguous memrefs to a call of the `memrefCopy` runtime
// function, which neither the JIT nor a generated library links; as
// linalg.copy the copy becomes a loop nest (convert-linalg-to-loops).
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace attn {
#define GEN_PASS_DEF_COPIESTOLINALG
#include "attn/Transforms/Passes.h.inc"
} // namespace attn

using namespace mlir;

/// Whether the last dimension of `type` is contiguous (static stride 1).
static bool hasUnitInnerStride(MemRefType type) {
  if (type.getRank() == 0)
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(type.getStridesAndOffset(strides, offset)) &&
         strides.back() == 1;
}

/// `copy` as a loop nest over the outer dimensions around `width`-element
/// vector moves along the contiguous last one: whole vectors, then one
/// masked vector for the rest. (convert-linalg-to-loops would leave a
/// scalar loop that LLVM does not vectorize: the strides are dynamic.)
static void copyByVectors(memref::CopyOp copy, int64_t width) {
  OpBuilder b(copy);
  Location loc = copy.getLoc();
  Value source = copy.getSource(), target = copy.getTarget();
  auto type = cast<MemRefType>(source.getType());
  int64_t rank = type.getRank();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value step = arith::ConstantIndexOp::create(b, loc, width);
  SmallVector<Value> lbs(rank - 1, zero), ubs, steps(rank - 1, one);
  for (int64_t d = 0; d + 1 < rank; ++d)
    ubs.push_back(memref::DimOp::create(b, loc, source, d));
  Value n = memref::DimOp::create(b, loc, source, rank - 1);
  Value whole = arith::MulIOp::create(
      b, loc, arith::DivUIOp::create(b, loc, n, step), step);
  auto vectorType = VectorType::get({width}, type.getElementType());
  Value pad = arith::ConstantOp::create(b, loc,
                                        b.getZeroAttr(type.getElementType()));
  scf::buildLoopNest(
      b, loc, lbs, ubs, steps,
      [&](OpBuilder &nb, Location l, ValueRange outer) {
        auto move = [&](Value c, bool inBounds) {
          SmallVector<Value> at(outer);
          at.push_back(c);
          Value v = vector::TransferReadOp::create(
              nb, l, vectorType, source, at, pad, ArrayRef<bool>{inBounds});
          vector::TransferWriteOp::create(nb, l, v, target, at,
                                          ArrayRef<bool>{inBounds});
        };
        scf::ForOp::create(nb, l, zero, whole, step, ValueRange{},
                           [&](OpBuilder &, Location, Value c, ValueRange) {
                             move(c, true);
                             scf::YieldOp::create(nb, l);
                           });
        Value tail = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult,
                                           whole, n);
        scf::IfOp::create(nb, l, tail, [&](OpBuilder &, Location) {
          move(whole, false);
          scf::YieldOp::create(nb, l);
        });
      });
  copy.erase();
}

namespace {
struct CopiesToLinalgPass
    : public attn::impl::CopiesToLinalgBase<CopiesToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) { copies.push_back(copy); });
    for (memref::CopyOp copy : copies) {
      auto source = dyn_cast<MemRefType>(copy.getSource().getType());
      auto target = dyn_cast<MemRefType>(copy.getTarget().getType());
      if (vectorWidth > 0 && source && target && hasUnitInnerStride(source) &&
          hasUnitInnerStride(target) && source.getElementType().isIntOrFloat()) {
        copyByVectors(copy, vectorWidth);
        continue;
      }
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }
  }
};
} // namespace
