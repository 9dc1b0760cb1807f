//===- TransferWriteBufferization.h - vector.transfer_write bufferization -===//
//
// attn's BufferizableOpInterface model of vector.transfer_write, registered
// ahead of upstream's (the first model attached to an op wins).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TRANSFORMS_TRANSFERWRITEBUFFERIZATION_H
#define ATTN_TRANSFORMS_TRANSFERWRITEBUFFERIZATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace attn {

/// Registers attn's bufferization model of vector.transfer_write. Call it
/// before `vector::registerBufferizableOpInterfaceExternalModels` (or
/// `registerAllDialects`), which it replaces for that one op.
///
/// Why: MLIR 22's model treats a write as overwriting the whole tensor when
/// its indices are 0 and it has no mask, comparing the tensor's shape with
/// the vector's by position. A vector<8xf32> written at [0, 0] of a
/// tensor<1x64xf32> compares 1 with 8 and passes, so an out-of-place write
/// drops the copy of the tensor's other 56 elements, and later reads of
/// them see an uninitialized buffer. The vector kernels write score tiles
/// of one row that way when a static shape narrows the query tile to one
/// row (one query). This model counts a write as a full overwrite only when
/// the vector covers every dimension of the tensor through the permutation
/// map.
void registerTransferWriteBufferization(mlir::DialectRegistry &registry);

} // namespace attn

#endif // ATTN_TRANSFORMS_TRANSFERWRITEBUFFERIZATION_H
