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

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace attn {
#define GEN_PASS_DEF_COPIESTOLINALG
#include "attn/Transforms/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {
struct CopiesToLinalgPass
    : public attn::impl::CopiesToLinalgBase<CopiesToLinalgPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) { copies.push_back(copy); });
    for (memref::CopyOp copy : copies) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }
  }
};
} // namespace
