//===- TiledSupport.h - which ops the tiled CPU lowering handles -*- C++ -*-===//
//
// The tiled CPU lowering (convert-attn-to-cpu) implements the core of the
// dialect: masks (through the block classification and the shared scalar
// codegen), score modifications, the normalizations, GQA head grouping and
// the logsumexp. Some operand kinds and regions are implemented only by the
// untiled lowering (convert-attn-to-loops) and the reference so far; an op
// using one of them must be left to the untiled lowering, which handles
// every op.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CONVERSION_TILEDSUPPORT_H
#define ATTN_CONVERSION_TILEDSUPPORT_H

#include "attn/Dialect/Attn/AttnDialect.h"

namespace attn {

/// False when `op` uses a feature the tiled lowering does not implement:
/// a `k_head_map` / `v_head_map` operand (data-dependent head maps), a value
/// whose head count differs from the key's, `sink_logits`, `output_gate`,
/// or a `weight_mod` region. Such ops must go through convert-attn-to-loops.
bool isSupportedByTiledLowering(AttentionOp op);

} // namespace attn

#endif // ATTN_CONVERSION_TILEDSUPPORT_H
