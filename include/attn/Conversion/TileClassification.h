//===- TileClassification.h - tile classes evaluated at run time -*- C++ -*-===//
//
// Emits the closed-form classification of one (query tile, key tile) pair
// for a mask attribute as index arithmetic on the actual lengths, so that a
// shape-generic kernel skips the tiles the mask leaves empty and runs the
// tiles it keeps whole without the mask (attn_tile.for_key_tiles with a
// `mask`). Masks that compare positions (causal, window, sinks, chunked,
// prefix_lm, full) and their and/or/not compositions are classified
// exactly; the others (strided, dilated, document, block_sparse,
// neighborhood, per_head) classify every tile as partial, which is sound.
// The compile-time analysis (attn/Analysis/BlockClassification.h) is the
// exact, richer version for static shapes.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CONVERSION_TILECLASSIFICATION_H
#define ATTN_CONVERSION_TILECLASSIFICATION_H

#include "attn/Conversion/AttnCodegen.h"

namespace attn::codegen {

/// The tile: query rows [queryBegin, queryEnd) and keys [keyBegin, keyEnd),
/// both non-empty and inside the sequences of nq queries and nk keys. With
/// `blockLayout` (the op's block_layout operand) and the tile's batch and
/// head, `#attn.block_sparse` is classified from the layout's flags too.
struct TileBounds {
  mlir::Value queryBegin, queryEnd, keyBegin, keyEnd, nq, nk;
  mlir::Value blockLayout = {}, batch = {}, head = {};
};

/// i1 values: `empty` when the mask keeps no pair of the tile, `full` when
/// it keeps every pair. Both false means partial (or unknown).
struct TileClass {
  mlir::Value empty, full;
};

/// The class of `tile` under `mask` (a null mask keeps everything).
TileClass classifyTile(ScalarEmitter &e, MaskAttrInterface mask,
                       const TileBounds &tile);

/// Whether classifyTile can prove tiles of `mask` empty or full (it has a
/// closed form for every mask in it, `block_sparse` counting when
/// `withLayout`); otherwise every tile is partial.
bool hasClosedForm(MaskAttrInterface mask, bool withLayout = false);

} // namespace attn::codegen

#endif // ATTN_CONVERSION_TILECLASSIFICATION_H
