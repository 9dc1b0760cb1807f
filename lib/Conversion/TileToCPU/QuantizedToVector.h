//===- QuantizedToVector.h - INT8 Q K^T vector kernels ------------*- C++ -*-===//
//
// The vector code of convert-attn-tile-to-vector for quantized Q K^T: the
// kernel of attn_tile.quantized_scores, i8 dot products four bytes per i32
// lane (attn_tile.dot_bytes, which attn-lower-int8-dot turns into
// AVX512-VNNI vpdpbusd or portable vector code), attn_tile.quantize by
// vectors of channels, and the INT8 P V kernel of
// attn_tile.quantized_accumulate (u8 weights by i8 values, same op).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_CONVERSION_TILETOCPU_QUANTIZEDTOVECTOR_H
#define ATTN_LIB_CONVERSION_TILETOCPU_QUANTIZEDTOVECTOR_H

#include "attn/Dialect/AttnTile/AttnTileDialect.h"

#include "llvm/ADT/DenseMap.h"

namespace attn::tile {

/// Lowers quantized_scores ops of a function, sharing the packed keys of a
/// key operand and the packed rows of a query tile between the ops that
/// read them.
class QuantizedScoresLowering {
public:
  explicit QuantizedScoresLowering(int64_t width) : width(width) {}

  /// Replaces `op` by the kernel when its key tile is a load_quantized at a
  /// key loop's tile start and `width` divides its key extent; otherwise
  /// leaves it to the portable lowering and returns false.
  bool lower(QuantizedScoresOp op);

private:
  /// The query tile zero-padded to whole groups of 4 bytes, and each row's
  /// 128 * sum(q) (what the unsigned keys add to its dot products).
  struct PackedQuery {
    mlir::Value bytes, offsets;
  };
  mlir::Value packedKeys(mlir::Value keys);
  PackedQuery packedQuery(mlir::Value query);

  int64_t width;
  llvm::DenseMap<mlir::Value, mlir::Value> keys;
  llvm::DenseMap<mlir::Value, PackedQuery> queries;
};

/// Lowers quantized_accumulate ops of a function (pv = int8), sharing the
/// packed values of a value operand between the ops that read them
/// (QuantizedAccumulateToVector.cpp).
class QuantizedAccumulateLowering {
public:
  explicit QuantizedAccumulateLowering(int64_t width) : width(width) {}

  /// Replaces `op` by the kernel when its value tile is a load_quantized
  /// without scales at a key loop's tile start, and `width` and 4 divide
  /// its key extent; otherwise leaves it to the portable lowering and
  /// returns false.
  bool lower(QuantizedAccumulateOp op);

private:
  mlir::Value packedValues(mlir::Value values);

  int64_t width;
  llvm::DenseMap<mlir::Value, mlir::Value> values;
};

/// Whether `load` reads a key loop's tile: its row is the loop's tile
/// start (never negative, a multiple of the tile), so packed operands can
/// stand for it.
bool isKeyLoopTile(LoadQuantizedOp load);
/// The same for an f32/bf16/f16 tile load (TileToVector.cpp).
bool isKeyLoopTile(LoadOp load);
/// The key loop whose tile start `load` reads at (isKeyLoopTile).
ForKeyTilesOp keyLoopOf(LoadOp load);

/// Blocks of `block` rows over [0, rows): an scf.for over the whole blocks
/// threading `init`, then one shorter block; `body(first row, rows, acc)`.
mlir::Value
rowBlocks(mlir::OpBuilder &b, mlir::Location loc, int64_t rows, int64_t block,
          mlir::Value init,
          llvm::function_ref<mlir::Value(mlir::Value, int64_t, mlir::Value)>
              body);

/// Blocks of `block` rows over [0, rows) for a kernel that only writes its
/// rows, each entry always with the same value (no read-modify-write): the
/// whole blocks, then, where rows are left, one more whole block ending at
/// the last row, which recomputes and rewrites a few rows of the block
/// before it. One kernel body instead of rowBlocks' two: the shorter copy
/// for the rest cost as much compile time as the main one. Falls back to
/// rowBlocks when rows < block.
mlir::Value overlappingRowBlocks(
    mlir::OpBuilder &b, mlir::Location loc, int64_t rows, int64_t block,
    mlir::Value init,
    llvm::function_ref<mlir::Value(mlir::Value, int64_t, mlir::Value)> body);

/// Extent `d` of a ranked tensor value (ShapedType::kDynamic when dynamic).
int64_t staticDim(mlir::Value tensor, int64_t d);

/// An i8 constant.
mlir::Value i8Constant(mlir::OpBuilder &b, mlir::Location loc, int64_t v);

/// Bytes [4 * group, 4 * group + 4) of row `row` of the i8 tile `bytes`,
/// broadcast as one i32 word to `width` lanes (vector<4 * width x i8>):
/// the broadcast operand of attn_tile.dot_bytes.
mlir::Value broadcastGroup(mlir::OpBuilder &b, mlir::Location loc,
                           int64_t width, mlir::Value bytes, mlir::Value row,
                           mlir::Value group);

/// Where a value used by the ops of a whole call is best computed: right
/// after its definition (a block argument: the block's start).
void setInsertionAfterDefinition(mlir::OpBuilder &b, mlir::Value v);

/// An scf.forall over (batch, head) in [0, batches) x [0, heads) whose
/// items write `body(bi, hi, destinations)`'s tensors as the [bi, hi, 0,
/// ...] slices of `inits` (each of rank 2 less than its init): one (batch,
/// head) per work item, which the work-item runtime spreads over the
/// threads like the attention. `destinations` are those slices of the
/// shared outputs: the body writes into them (its results of their types),
/// so that bufferization neither allocates per head nor copies. Returns
/// the forall's results.
mlir::ValueRange forEachHead(
    mlir::OpBuilder &b, mlir::Location loc, mlir::OpFoldResult batches,
    mlir::OpFoldResult heads, mlir::ValueRange inits,
    llvm::function_ref<llvm::SmallVector<mlir::Value>(
        mlir::Value bi, mlir::Value hi, mlir::ValueRange destinations)>
        body);

/// Replaces `op` by vector code over `width` channels, one (batch, head)
/// per work item of an scf.forall, with the portable lowering's results
/// bit for bit (QuantizeToVector.cpp).
void lowerQuantizeToVector(QuantizeOp op, int64_t width);

/// The same for quantize_channels: per (batch, head) work item, the
/// channels' absmax by vectors token by token, then the values.
void lowerQuantizeChannelsToVector(QuantizeChannelsOp op, int64_t width);

} // namespace attn::tile

#endif // ATTN_LIB_CONVERSION_TILETOCPU_QUANTIZEDTOVECTOR_H
