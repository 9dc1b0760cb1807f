//===- TiledSupport.cpp - which ops the tiled CPU lowering handles --------===//

#include "attn/Conversion/TiledSupport.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

bool attn::isSupportedByTiledLowering(AttentionOp op) {
  if (op.getKHeadMap() || op.getVHeadMap() || op.getSinkLogits() ||
      op.getOutputGate() || !op.getWeightMod().empty())
    return false;
  // The tiled lowering reads K and V rows of the same head.
  auto k = cast<RankedTensorType>(op.getKey().getType());
  auto v = cast<RankedTensorType>(op.getValue().getType());
  return k.getDimSize(1) == v.getDimSize(1);
}
