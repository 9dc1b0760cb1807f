//===- AttnTileDialect.h - the tile-level attention dialect ----*- C++ -*-===//
#ifndef ATTN_DIALECT_ATTNTILE_ATTNTILEDIALECT_H
#define ATTN_DIALECT_ATTNTILE_ATTNTILEDIALECT_H

#include "attn/Dialect/Attn/AttnDialect.h"

#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "attn/Dialect/AttnTile/AttnTileDialect.h.inc"

#define GET_OP_CLASSES
#include "attn/Dialect/AttnTile/AttnTileOps.h.inc"

namespace attn::tile {
/// Whether a tile op's `normalization` (absent: the default) is softmax.
inline bool isSoftmax(NormalizationAttr norm) {
  return !norm || norm.getKind() == NormalizationKind::Softmax;
}
} // namespace attn::tile

#endif // ATTN_DIALECT_ATTNTILE_ATTNTILEDIALECT_H
