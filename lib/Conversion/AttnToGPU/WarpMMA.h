//===- WarpMMA.h - warp-level tile products for tensor cores ----*- C++ -*-===//
//
// Emits C (+)= A B over shared-memory tiles as a warp-level scf.forall
// (#gpu.warp<x>) of vector.transfer_read / vector.contract (16x8x16, 16-bit
// inputs, f32 accumulation) / vector.transfer_write. The form runs on the CPU
// as is; on the GPU, convert-vector-to-gpu{use-nvgpu} turns it into
// nvgpu.ldmatrix + nvgpu.mma.sync (see docs/gpu.md for why every transfer
// index is an affine.apply).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_WARPMMA_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_WARPMMA_H

#include "mlir/IR/Builders.h"

namespace attn::gpu_codegen {

/// m16n8k16: the mma.sync shape used for f16 and bf16.
constexpr int64_t kMmaM = 16, kMmaN = 8, kMmaK = 16;

/// Marks the loop of a warp-level tile product: the root on which
/// attn-gpu-warp-mma-to-nvgpu runs upstream's vector-to-nvgpu conversion.
constexpr llvm::StringLiteral kWarpMMAAttr = "attn.gpu.warp_mma";

struct WarpMatmul {
  mlir::Value a; ///< M x K, 16-bit elements, row-major
  mlir::Value b; ///< N x K if bIsNK (keys: Q K^T), else K x N (values: P V)
  mlir::Value c; ///< M x N, f32
  int64_t m = 0, n = 0, k = 0; ///< multiples of 16, 8 and 16
  bool bIsNK = true;
  bool accumulate = false; ///< C += A B (else C = A B)
  /// B's first row (a double-buffered K or V tile's slot); none: row 0.
  mlir::Value bRow0 = {};
  /// C is warp-private (kWarpPrivateAttr): W x tilesPerWarp x 16 x 8, tile
  /// n of warp w being output tile w + n W, or with rowBlocked w
  /// tilesPerWarp + n (else C is the M x N tile).
  bool cWarpPrivate = false;
  /// With cWarpPrivate: each warp owns whole rows of 16 (M / 16 a multiple
  /// of W), so that a row's reductions stay within its warp.
  bool rowBlocked = false;
  /// A is warp-private too (rowBlocked): W x R x 16 x K of the 16-bit type,
  /// warp w's rows (w R + r) 16.. at [w, r]. The A fragment of an m16n8k16
  /// mma is the accumulator layout of two adjacent 16x8 tiles, so stages
  /// that wrote C's layout can feed A without shared memory.
  bool aWarpPrivate = false;
};

/// Marks a memref.alloc of W x N x 16 x 8 f32 mma accumulator tiles (or,
/// for the register softmax's P, W x R x 16 x K A-fragment rows), tile
/// n of warp w read and written only by warp w: by emitWarpMatmul
/// (cWarpPrivate) and by thread-level stages in the m16n8 accumulator
/// layout (forEachAccumulatorElement in AttnToGPU.cpp). On the CPU it is an
/// ordinary array; on the GPU attn-gpu-privatize-warp-state gives each lane
/// its elements as a stack array that LLVM keeps in registers.
constexpr llvm::StringLiteral kWarpPrivateAttr = "attn.gpu.warp_private";

/// The warp-level stage: `warps` warps take the 16x8 output tiles in turn;
/// each accumulates over K in registers and writes its tile once.
void emitWarpMatmul(mlir::OpBuilder &b, mlir::Location loc, int64_t warps,
                    const WarpMatmul &mm);

} // namespace attn::gpu_codegen

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_WARPMMA_H
