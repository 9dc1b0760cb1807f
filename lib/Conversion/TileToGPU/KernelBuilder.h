//===- KernelBuilder.h - building blocks of the GPU kernels ---*- C++ -*-===//
//
// What the pre-mapping GPU kernels of convert-attn-tile-to-gpu (the
// FlashAttention-2 kernel, GPUKernel.cpp, and the linear-attention kernel,
// LinearKernel.cpp) build their stages from: shared-memory buffers,
// thread-level scf.foralls (a barrier is implied between siblings), loops,
// reductions and branches, and the replacement of the tile program by the
// kernel's buffers.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CONVERSION_TILETOGPU_KERNELBUILDER_H
#define ATTN_CONVERSION_TILETOGPU_KERNELBUILDER_H

#include "attn/Conversion/AttnCodegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace attn::gpu_kernel {

class KernelBuilder {
public:
  /// Builds before `root` (the op the kernel replaces); thread-level
  /// stages have at most `threads` iterations.
  KernelBuilder(mlir::Operation *root, int64_t threads)
      : b(root), loc(root->getLoc()), e(b, loc), threadCount(threads) {}

protected:
  mlir::Value idx(int64_t v) { return e.idx(v); }
  /// A constant i32 table (a tensor constant: One-Shot Bufferize turns it
  /// into a memref.global read where the constant is, i.e. inside the
  /// kernel, so that outlining clones it into the GPU module).
  mlir::Value table(llvm::ArrayRef<int32_t> data);
  mlir::Value lookup(mlir::Value table, mlir::Value index);
  mlir::Value load(mlir::Value memref, mlir::ValueRange indices) {
    return mlir::memref::LoadOp::create(b, loc, memref, indices);
  }
  void store(mlir::Value v, mlir::Value memref, mlir::ValueRange indices) {
    mlir::memref::StoreOp::create(b, loc, v, memref, indices);
  }
  mlir::Value divui(mlir::Value x, int64_t y) {
    return mlir::arith::DivUIOp::create(b, loc, x, idx(y));
  }
  mlir::Value remui(mlir::Value x, int64_t y) {
    return mlir::arith::RemUIOp::create(b, loc, x, idx(y));
  }
  mlir::Value mulf(mlir::Value x, mlir::Value y) {
    return mlir::arith::MulFOp::create(b, loc, x, y);
  }
  mlir::Value addf(mlir::Value x, mlir::Value y) {
    return mlir::arith::AddFOp::create(b, loc, x, y);
  }
  /// A workgroup (shared-memory) buffer, f32 unless `elementType` is given.
  mlir::Value sharedBuffer(llvm::ArrayRef<int64_t> shape,
                           mlir::Type elementType = {});
  /// exp(x) as exp2(x * log2(e)): PTX ex2.approx on the GPU.
  mlir::Value exp(mlir::Value x);
  /// A loop `for (lb..ub step)` with `body(iv)`.
  void forLoop(mlir::Value lb, mlir::Value ub, int64_t step,
               llvm::function_ref<void(mlir::Value)> body);
  /// A reduction loop over [0, n) with one f32 accumulator.
  mlir::Value reduce(int64_t n, mlir::Value init,
                     llvm::function_ref<mlir::Value(mlir::Value iv,
                                                    mlir::Value acc)>
                         body);
  /// `if (cond) body()`.
  void ifThen(mlir::Value cond, llvm::function_ref<void()> body);
  /// `cond ? then() : otherwise` with `then` evaluated only when needed.
  mlir::Value ifElse(mlir::Value cond, llvm::function_ref<mlir::Value()> then,
                     mlir::Value otherwise);
  /// A `#gpu.thread<x>` forall of `count` iterations: body(thread).
  void threadForall(int64_t count, llvm::function_ref<void(mlir::Value)> body);
  /// A thread-level stage over [0, n): a `#gpu.thread<x>` forall of
  /// min(n, threads) iterations, each striding over the elements.
  void threadLoop(int64_t n, llvm::function_ref<void(mlir::Value)> body);
  /// The block-level `#gpu.block<x>` forall over `items` work items.
  mlir::scf::ForallOp blockForall(int64_t items);

  mlir::OpBuilder b;
  mlir::Location loc;
  codegen::ScalarEmitter e;
  int64_t threadCount;
};

/// Replaces each result of `root` by a tensor of its buffer, erases `root`
/// and `earlierRoots` (ops before it whose results only the roots read),
/// and then the producers of their operands and of the values their
/// regions used once they are dead.
void replaceByBuffers(
    mlir::Operation *root,
    llvm::ArrayRef<std::pair<mlir::Value, mlir::Value>> resultBuffers,
    mlir::OpBuilder &b, llvm::ArrayRef<mlir::Operation *> earlierRoots = {});

} // namespace attn::gpu_kernel

#endif // ATTN_CONVERSION_TILETOGPU_KERNELBUILDER_H
