//===- SelectionKernel.h - block selection before the GPU kernel -*- C++ -*-===//
//
// The pooling and selection kernels of a spec with a block selection
// (#attn.topk_blocks, the tile program's attn_tile.pool_keys and
// attn_tile.select_blocks): two block-level scf.foralls in the pre-mapping
// style (shared memory, thread-level foralls) built before the attention
// kernel. They write, per work item (batch, query head, query tile), the
// key tiles the attention kernel visits (a subset of the static schedule's
// list, with the full/partial flag) and, per query row, the blocks it
// selected (the per-pair test on partial tiles, attn_tile.keep_selected).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CONVERSION_TILETOGPU_SELECTIONKERNEL_H
#define ATTN_CONVERSION_TILETOGPU_SELECTIONKERNEL_H

#include "GPUKernel.h"

#include "attn/Analysis/TileList.h"

#include <string>

namespace attn::gpu_kernel {

/// The run-time key-tile schedule the selection kernels write (global
/// buffers, memrefs).
struct RuntimeTiles {
  /// [items x width] i32: per work item b * Hq * numQTiles + h * numQTiles
  /// + qt, its key tiles as kvTile * 2 + (1 if full), in the static
  /// schedule's order; `counts[item]` (i32) of them are valid.
  mlir::Value list, counts;
  /// [B x Hq x numQTiles * Bq x blocks] i8: 1 where the row selected the
  /// key block (rows past Nq: 0).
  mlir::Value members;
  int64_t width = 0;
  /// Keys per selection block.
  int64_t block = 0;
};

/// Why the selection kernels cannot run `selection` (empty: they can).
std::string unsupportedSelection(TopKBlocksAttr selection);

/// Builds the pooling and the selection kernels of `spec` (which has a
/// selection) before `spec.root`, for the attention kernel's tiles bq x bk
/// and static schedule `schedule`, with `threads` threads per block.
RuntimeTiles buildSelectionKernels(const GPUSpec &spec,
                                   const TileSchedule &schedule, int64_t bq,
                                   int64_t bk, int64_t threads);

} // namespace attn::gpu_kernel

#endif // ATTN_CONVERSION_TILETOGPU_SELECTIONKERNEL_H
