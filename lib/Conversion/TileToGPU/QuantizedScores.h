//===- QuantizedScores.h - INT8 Q K^T in the GPU kernel ---------*- C++ -*-===//
//
// The pieces of the FlashAttention-2 kernel's score stage for pre-quantized
// INT8 Q and K (attn_tile.load_quantized, attn_tile.quantized_scores): the
// i8 rows and their dequantization scales as the tile program reads them,
// the exact i32 dot product and the dequantized score. The SIMT kernel
// keeps the i8 Q and K tiles and their row scales in shared memory and
// builds its score stage from these (GPUKernel.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CONVERSION_TILETOGPU_QUANTIZEDSCORES_H
#define ATTN_CONVERSION_TILETOGPU_QUANTIZEDSCORES_H

#include "GPUKernel.h"

#include "attn/Conversion/AttnCodegen.h"

namespace attn::gpu_kernel {

/// Element x of row `row` of `mem` ([B, H, N, D] i8, head `head`), as
/// attn_tile.load_quantized reads it: -128 as -127 (the symmetric range),
/// 0 when `inside` is false (the row is past the sequence; `row` must be
/// clamped into it).
mlir::Value loadQuantizedValue(mlir::OpBuilder &b, mlir::Location loc,
                               codegen::ScalarEmitter &e, mlir::Value mem,
                               mlir::Value batch, mlir::Value head,
                               mlir::Value row, mlir::Value x,
                               mlir::Value inside);

/// Row `row`'s dequantization scale in f32: scales[batch', head',
/// row / block] with extent-1 dims broadcast (`scalesMem` is the memref of
/// rows.scales; null: 1), 0 when `inside` is false.
mlir::Value quantizedRowScale(mlir::OpBuilder &b, mlir::Location loc,
                              codegen::ScalarEmitter &e,
                              const QuantizedRows &rows, mlir::Value scalesMem,
                              mlir::Value batch, mlir::Value head,
                              mlir::Value row, mlir::Value inside);

/// The score of attn_tile.quantized_scores from the exact i32 dot product:
/// f32(dot) * sq * sk * scale, in that order (the tile program's, so that
/// the CPU and the GPU round alike).
mlir::Value dequantizedScore(mlir::OpBuilder &b, mlir::Location loc,
                             codegen::ScalarEmitter &e, mlir::Value dot,
                             mlir::Value sq, mlir::Value sk, double scale);

/// Bytes of a row a 4-byte load of the dot product reads (vector<4xi8>):
/// when D is a multiple of 4, the i8 tiles' rows start at multiples of 4
/// bytes (SharedLayout's strides) and the dot product reads whole words.
constexpr int64_t kDotBytes = 4;

/// A word of 4 i8 values of `tile` from [row, col] (col a multiple of 4,
/// the row start 4-byte aligned): one 32-bit shared-memory load on the GPU.
mlir::Value loadDotWord(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value tile, mlir::Value row, mlir::Value col);

/// Four steps of the i32 dot product at once: acc + sum_t i32(q[t]) *
/// i32(k[t]) for vector<4xi8> words q and k.
mlir::Value multiplyAccumulateWords(mlir::OpBuilder &b, mlir::Location loc,
                                    mlir::Value q, mlir::Value k,
                                    mlir::Value acc);

/// One step of the i32 dot product: acc + i32(q) * i32(k) (i8 operands).
mlir::Value multiplyAccumulateBytes(mlir::OpBuilder &b, mlir::Location loc,
                                    mlir::Value q, mlir::Value k,
                                    mlir::Value acc);

} // namespace attn::gpu_kernel

#endif // ATTN_CONVERSION_TILETOGPU_QUANTIZEDSCORES_H
