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

#endif // ATTN_DIALECT_ATTNTILE_ATTNTILEDIALECT_H
