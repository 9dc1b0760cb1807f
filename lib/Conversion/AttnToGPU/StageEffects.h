//===- StageEffects.h - shared memory a stage touches ------------*- C++
//-*-===//
//
// Which block-shared buffers a thread- or warp-level stage of the
// pre-mapping IR reads and writes: what decides whether two stages need a
// barrier between them (attn-gpu-map-foralls) or may be merged
// (attn-gpu-lane-exchange). Thread- and warp-private buffers are left out:
// each of their elements has one owning thread (ThreadPrivate.h, WarpMMA.h;
// the privatization passes check it).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_STAGEEFFECTS_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_STAGEEFFECTS_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace attn::gpu_codegen {

/// Block-shared (or global) buffers read and written, by their base
/// allocation or argument.
struct SharedAccesses {
  llvm::SmallPtrSet<void *, 8> reads, writes;
  bool unknown = false; ///< an effect not attributed to a buffer
  bool empty() const { return reads.empty() && writes.empty() && !unknown; }
  /// Whether one side writes a buffer the other touches (or either has an
  /// unknown effect): the accesses need a barrier between them.
  bool conflictsWith(const SharedAccesses &other) const;
  void merge(const SharedAccesses &other);
};

/// The buffer a memref value views (through view-like ops and casts).
mlir::Value bufferBase(mlir::Value memref);

/// A buffer marked thread- or warp-private.
bool isPrivateBuffer(mlir::Value base);

/// Adds the block-shared memory `op` and its regions read and write to
/// `acc`, leaving out private buffers and `ignored`. `asyncDestinations`:
/// the buffers the kernel's asynchronous copies write, which a wait for
/// copies in flight writes too (the data lands then).
void collectSharedAccesses(mlir::Operation *op, SharedAccesses &acc,
                           llvm::ArrayRef<void *> asyncDestinations,
                           mlir::Value ignored = {});

/// The bases of the buffers asynchronous copies under `root` write.
llvm::SmallVector<void *> asyncCopyDestinations(mlir::Operation *root);

} // namespace attn::gpu_codegen

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_STAGEEFFECTS_H
