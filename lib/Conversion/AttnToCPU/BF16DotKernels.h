//===- BF16DotKernels.h - vdpbf16ps micro-kernels for the tiled CPU path --===//
//
// The bf16-dot variant of convert-attn-to-cpu's two micro-kernels and the
// packing they need. x86vector.avx512.dot (vdpbf16ps) computes
//   dst[i] += a[2i] * b[2i] + a[2i+1] * b[2i+1]
// on bf16 pairs, so operands are laid out as pairs along the reduction
// dimension, with the query lanes outermost:
//   S^T = K Q^T:  qPairs[d/2][2i + d%2] = Q[i, d]           (once per item)
//                 (K[j,d], K[j,d+1]) broadcast as one 32-bit element;
//   O^T = V^T P^T: pPairs[j/2][2i + j%2] = bf16(P^T[j, i])  (per key tile)
//                 vPairs[j/2][2c + j%2] = V[k0 + j, c]       (per key tile),
//                 a (V[j,c], V[j+1,c]) pair broadcast.
// Odd D, odd tile-kv and keys past the sequence end are zero-padded, so the
// padding contributes exact zeros.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_CONVERSION_ATTNTOCPU_BF16DOTKERNELS_H
#define ATTN_LIB_CONVERSION_ATTNTOCPU_BF16DOTKERNELS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace attn::cpu {

/// Scratch buffers up to this size live on the stack (one frame per call
/// of the work function, per worker thread); larger ones (big head dims or
/// tiles) on the heap, freed by the buffer deallocation pipeline, since a
/// worker thread's stack is only a few MiB.
constexpr int64_t kMaxStackScratchBytes = 64 * 1024;

/// A per-call scratch buffer of `type` aligned to a cache line (vectors of
/// queries never straddle two lines): on the stack up to
/// kMaxStackScratchBytes, else on the heap.
mlir::Value allocateScratch(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::MemRefType type);

/// Sizes of one tiled attention op, as seen by the bf16-dot kernels.
struct BF16DotShape {
  int64_t width; // f32 lanes per vector (8 or 16)
  int64_t nv;    // query vectors per tile (bq = nv * width)
  int64_t bq, bk;
  int64_t nq, nk, d, dv;
};

/// Stack buffers of the bf16-dot path, allocated once per call; they hold
/// bf16 bit patterns as i16.
struct BF16DotScratch {
  mlir::Value qPairs; // memref<ceil(D/2) x 2Bq x i16>
  mlir::Value pPairs; // memref<ceil(Bk/2) x 2Bq x i16>
  mlir::Value vPairs; // memref<ceil(Bk/2) x 2Dv x i16>
};

class BF16DotEmitter {
public:
  BF16DotEmitter(mlir::OpBuilder &b, mlir::Location loc, BF16DotShape shape)
      : b(b), loc(loc), s(shape) {}

  BF16DotScratch allocateScratch();

  /// qPairs <- Q[bb, h, q0 + i, d], unscaled (exact in bf16); padding
  /// queries and the odd-D pad are zero.
  void packQuery(const BF16DotScratch &scratch, mlir::Value qMem,
                 mlir::Value bb, mlir::Value h, mlir::Value q0);

  /// st[rowOffset + r, :] = scale * sum_d K[k0 + rowOffset + r, d] Q^T[d, :]
  /// for r < rows; keys past the end read the last key (masked later).
  void emitQKMicroKernel(const BF16DotScratch &scratch, mlir::Value kMem,
                         mlir::Value bb, mlir::Value hk, mlir::Value k0,
                         mlir::Value rowOffset, int64_t rows, double scale,
                         mlir::Value st);

  /// pPairs <- bf16(st) and vPairs <- V[bb, hv, k0 + j, :] for the current
  /// key tile (`cols` valid keys).
  void packPV(const BF16DotScratch &scratch, mlir::Value st, mlir::Value vMem,
              mlir::Value bb, mlir::Value hv, mlir::Value k0, mlir::Value cols);

  /// OT[c, :] = alpha * OT[c, :] + sum_j V[k0 + j, c] P^T[j, :] for
  /// c in [colOffset, colOffset + count), over the packed pairs.
  void emitPVMicroKernel(const BF16DotScratch &scratch, mlir::Value ot,
                         mlir::Value cols, mlir::Value alphaBuf,
                         mlir::Value colOffset, int64_t count);

private:
  mlir::Value idx(int64_t v);
  mlir::VectorType f32Vec();
  mlir::VectorType pairVec(); // 2 * width bf16
  mlir::VectorType bitsVec(int64_t n); // n x i16 (bf16 bit patterns)
  /// The i16 bit pattern of a bf16 scalar or vector.
  mlir::Value bits(mlir::Value bf16);
  /// 2 * width bf16 from a packed i16 buffer.
  mlir::Value loadPairs(mlir::Value buffer, mlir::ValueRange indices);
  /// A (lo, hi) pair (2 x 16 bits) broadcast to every 32-bit lane of a
  /// pairVec.
  mlir::Value broadcastPair(mlir::Value pair);
  void forLoop(mlir::Value lb, mlir::Value ub, int64_t step,
               llvm::function_ref<void(mlir::Value)> body);

  mlir::OpBuilder &b;
  mlir::Location loc;
  BF16DotShape s;
};

} // namespace attn::cpu

#endif // ATTN_LIB_CONVERSION_ATTNTOCPU_BF16DOTKERNELS_H
