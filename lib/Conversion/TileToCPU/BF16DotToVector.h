//===- BF16DotToVector.h - vdpbf16ps kernels of the tile program -*- C++ -*-===//
//
// The bf16-dot variant of convert-attn-tile-to-vector's Q K^T and P V
// kernels (option `bf16-dot`): x86vector.avx512.dot (vdpbf16ps) computes
//   dst[i] += a[2i] * b[2i] + a[2i+1] * b[2i+1]
// on bf16 pairs, so both operands are laid out as pairs along the reduction
// dimension, one pair per 32-bit lane:
//   Q K^T: keys packed once per call by key tiles, [B, H, ceil(N / tk),
//          Pp, tk] i32 (pair p of key j: (K[j, 2p], K[j, 2p + 1]), Pp the
//          head dimension's pairs padded to whole vectors); the query tile
//          packed once per work item's tile, [tq, Pp] i32, a pair broadcast
//          per step;
//   P V:   the weights rounded to bf16 and packed per key tile, [tq, tk / 2]
//          i32, a pair broadcast per step; the value pairs (V[2m, c],
//          V[2m + 1, c]) interleaved in registers from two rows of the bf16
//          source.
// Channels past D and value rows past the sequence read 0. The products
// are exact in f32, the pair sums round (vdpbf16ps): Q and K are bf16
// already (the kernels are chosen for bf16 operands only), P is rounded to
// bf16 (relative error 2^-9 per weight), which the bf16 tolerance covers.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_CONVERSION_TILETOCPU_BF16DOTTOVECTOR_H
#define ATTN_LIB_CONVERSION_TILETOCPU_BF16DOTTOVECTOR_H

#include "attn/Dialect/AttnTile/AttnTileDialect.h"

#include "llvm/ADT/DenseMap.h"

namespace attn::tile {

/// Lowers scores and accumulate ops of a function to vdpbf16ps kernels
/// where their operands are bf16 loads, sharing the packed keys of a key
/// operand and the packed pairs of a query tile between the ops that read
/// them.
class BF16DotLowering {
public:
  /// `rows` x `vectors` accumulators per register block.
  BF16DotLowering(int64_t width, int64_t rows, int64_t vectors)
      : width(width), rows(rows), vectors(vectors) {}

  /// Replaces `op` by the kernel when its query is a load of a bf16
  /// operand and its keys a bf16 load at a key loop's tile start whose
  /// extent is the loop's tile and a multiple of the width; otherwise
  /// returns false and leaves `op`.
  bool lowerScores(ScoresOp op);

  /// Whether `op`'s P V can take the kernel: softmax weights (of an
  /// online_update), values loaded from a bf16 operand at a key loop's tile
  /// start, static weights whose key extent is a multiple of two vectors,
  /// no lower-triangular form.
  bool takesAccumulate(AccumulateOp op) const;
  /// The kernel's result for `op` (takesAccumulate), built at `op`; the
  /// caller replaces `op` (see lowerAccumulate: the excluded pairs' probe).
  mlir::Value accumulate(AccumulateOp op);

private:
  mlir::Value packedKeys(mlir::Value keys, int64_t tileKv);
  mlir::Value packedQuery(mlir::Value query);

  int64_t width, rows, vectors;
  llvm::DenseMap<std::pair<mlir::Value, int64_t>, mlir::Value> keys;
  llvm::DenseMap<mlir::Value, mlir::Value> queries;
};

} // namespace attn::tile

#endif // ATTN_LIB_CONVERSION_TILETOCPU_BF16DOTTOVECTOR_H
