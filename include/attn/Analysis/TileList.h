//===- TileList.h - compressed tile lists for tiled lowerings --*- C++ -*-===//
//
// The schedule every tiled lowering (CPU and GPU) shares: per query head
// class and query tile, the non-empty key tiles in increasing order with a
// full/partial flag, and the work items (batch, head, query tile) ordered
// heaviest first.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_ANALYSIS_TILELIST_H
#define ATTN_ANALYSIS_TILELIST_H

#include "attn/Dialect/Attn/AttnDialect.h"

#include <cstdint>
#include <vector>

namespace attn {

/// The most work items (batch x query heads x query tiles) a tiled kernel
/// takes: its schedule tables are i32 and built at compile time.
constexpr int64_t kMaxWorkItems = int64_t(1) << 26;

struct TileSchedule {
  int64_t numQTiles = 0, numKvTiles = 0;
  /// Per query head, the index of its class (heads with identical lists).
  std::vector<int32_t> headClass;
  /// offsets[c * numQTiles + qt] .. offsets[c * numQTiles + qt + 1] index
  /// `entries` for class c and query tile qt.
  std::vector<int32_t> offsets;
  /// kvTile * 2 + (1 if the tile is full, 0 if partial).
  std::vector<int32_t> entries;
  /// Work items b * Hq * numQTiles + h * numQTiles + qt, heaviest first.
  std::vector<int32_t> workOrder;
  /// Number of key tiles visited per work item, in workOrder's order.
  std::vector<int32_t> workCost;
};

/// Builds the schedule of `op` (static shapes) for tiles of bq x bk, from
/// the block classification. Emits an error on the op and fails when the
/// classification does.
mlir::FailureOr<TileSchedule> buildTileSchedule(AttentionOp op, int64_t bq,
                                                int64_t bk);
/// The same for the mask of `spec` (attn.attention, or the `attn_tile.mask`
/// of a tile program) on queries and keys of types `query` and `key`.
mlir::FailureOr<TileSchedule>
buildTileSchedule(ScoreSpecOpInterface spec, mlir::RankedTensorType query,
                  mlir::RankedTensorType key, int64_t bq, int64_t bk);

} // namespace attn

#endif // ATTN_ANALYSIS_TILELIST_H
