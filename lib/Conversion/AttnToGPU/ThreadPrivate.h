//===- ThreadPrivate.h - per-thread state of the pre-mapping IR -*- C++ -*-===//
//
// A value a thread keeps across sibling thread-level stages (the SIMT
// kernel's O accumulator) cannot be an SSA value: the stages are separate
// foralls. It lives in a buffer of T rows, row t read and written only by
// thread t (the forall's induction variable is the first index). On the CPU
// that is an ordinary array; on the GPU attn-gpu-privatize-thread-state
// gives each thread its own row (a stack array that LLVM keeps in
// registers when every index is a constant).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_THREADPRIVATE_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_THREADPRIVATE_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/ADT/StringRef.h"

namespace attn::gpu_codegen {

/// Marks a memref.alloc of T x ... whose row t only thread t touches.
constexpr llvm::StringLiteral kThreadPrivateAttr = "attn.gpu.thread_private";

/// Marks a shared T x S memref.alloc through which the threads of a quad
/// (t xor 0..3) exchange values: in one thread-level stage thread t writes
/// its row, in the next sibling stage threads read the rows of their quad.
/// On the CPU the stages run one after the other; on the GPU
/// attn-gpu-lane-exchange merges the two stages and turns the reads into
/// warp shuffles of the written values.
constexpr llvm::StringLiteral kLaneExchangeAttr = "attn.gpu.lane_exchange";

/// The memref.allocs under `root` marked `attr` that lie in a kernel: a
/// gpu.launch body, and with `inGPUFunc` an outlined gpu.func too (marked
/// buffers outside kernels, e.g. the CPU form, are left alone).
inline llvm::SmallVector<mlir::memref::AllocOp>
markedKernelAllocs(mlir::Operation *root, llvm::StringRef attr,
                   bool inGPUFunc) {
  llvm::SmallVector<mlir::memref::AllocOp> allocs;
  root->walk([&](mlir::memref::AllocOp alloc) {
    if (alloc->hasAttr(attr) &&
        (alloc->getParentOfType<mlir::gpu::LaunchOp>() ||
         (inGPUFunc && alloc->getParentOfType<mlir::gpu::GPUFuncOp>())))
      allocs.push_back(alloc);
  });
  return allocs;
}

/// Fully unrolls `loop`, whose induction variable indexes a private buffer
/// (so that the indices become constants); an error from `pass` on a loop
/// without constant bounds.
inline mlir::LogicalResult unrollIndexingLoop(mlir::scf::ForOp loop,
                                              llvm::StringRef pass,
                                              llvm::StringRef buffer) {
  if (!mlir::getConstantIntValue(loop.getLowerBound()) ||
      !mlir::getConstantIntValue(loop.getUpperBound()) ||
      !mlir::getConstantIntValue(loop.getStep()))
    return loop.emitOpError()
           << pass << ": a loop indexing a " << buffer
           << " buffer needs constant bounds (it is unrolled)";
  if (mlir::failed(mlir::loopUnrollFull(loop)))
    return loop.emitOpError() << pass << ": could not unroll";
  return mlir::success();
}

} // namespace attn::gpu_codegen

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_THREADPRIVATE_H
