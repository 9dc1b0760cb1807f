//===- TransferWriteBufferization.cpp - vector.transfer_write bufferization ===//
//
// See include/attn/Transforms/TransferWriteBufferization.h for why attn
// carries its own model of this one op.
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/TransferWriteBufferization.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace mlir::bufferization;

namespace {

/// Whether `write` replaces every element of its destination tensor: a
/// static destination, no mask, all indices 0, and for each tensor
/// dimension the vector dimension the permutation map sends there at least
/// as long (a dimension the map does not reach is covered by one element).
bool overwritesWholeTensor(vector::TransferWriteOp write) {
  auto tensorType = dyn_cast<RankedTensorType>(write.getBase().getType());
  if (!tensorType || !tensorType.hasStaticShape() || write.getMask())
    return false;
  if (!llvm::all_of(write.getIndices(),
                    [](Value index) { return isZeroInteger(index); }))
    return false;
  SmallVector<int64_t> covered(tensorType.getRank(), 1);
  AffineMap map = write.getPermutationMap();
  ArrayRef<int64_t> vectorShape = write.getVectorType().getShape();
  for (auto [vectorDim, expr] : llvm::enumerate(map.getResults())) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim)
      return false;
    covered[dim.getPosition()] = vectorShape[vectorDim];
  }
  for (auto [extent, size] : llvm::zip_equal(covered, tensorType.getShape()))
    if (extent < size)
      return false;
  return true;
}

/// Upstream's model of vector.transfer_write with the whole-tensor test
/// above; the rest (destination-style aliasing, the memref form) as
/// upstream.
struct TransferWriteModel
    : public DstBufferizableOpInterfaceExternalModel<TransferWriteModel,
                                                     vector::TransferWriteOp> {
  bool bufferizesToMemoryRead(Operation *op, OpOperand &,
                              const AnalysisState &) const {
    return !overwritesWholeTensor(cast<vector::TransferWriteOp>(op));
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto write = cast<vector::TransferWriteOp>(op);
    FailureOr<Value> buffer =
        getBuffer(rewriter, write.getBase(), options, state);
    if (failed(buffer))
      return failure();
    vector::TransferWriteOp::create(
        rewriter, write.getLoc(), write.getVector(), *buffer,
        write.getIndices(), write.getPermutationMapAttr(), write.getMask(),
        write.getInBoundsAttr());
    replaceOpWithBufferizedValues(rewriter, op, *buffer);
    return success();
  }
};

} // namespace

void attn::registerTransferWriteBufferization(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, vector::VectorDialect *) {
    vector::TransferWriteOp::attachInterface<TransferWriteModel>(*context);
  });
}
