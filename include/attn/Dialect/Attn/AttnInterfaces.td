//===- AttnInterfaces.td - attn attribute interfaces -------*- tablegen -*-===//
#ifndef ATTN_INTERFACES_TD
#define ATTN_INTERFACES_TD

include "mlir/IR/OpBase.td"

//===----------------------------------------------------------------------===//
// Interfaces
//===----------------------------------------------------------------------===//

def Attn_MaskAttrInterface : AttrInterface<"MaskAttrInterface"> {
  let cppNamespace = "::attn";
  let description = [{
    A mask: a predicate over (batch, head, query index, key index) that says
    which scores take part in the normalization. Implemented by every
    `#attn.*` mask attribute so that they compose through `#attn.and`,
    `#attn.or`, `#attn.not` and `#attn.per_head`.
  }];
  let methods = [
    InterfaceMethod<"Whether the predicate reads the segment-id operands.",
      "bool", "usesSegmentIds", (ins), [{}], [{ return false; }]>,
    InterfaceMethod<"Whether the predicate reads the block-layout operand.",
      "bool", "usesBlockLayout", (ins), [{}], [{ return false; }]>,
  ];
}

def Attn_ScoreModAttrInterface : AttrInterface<"ScoreModAttrInterface"> {
  let cppNamespace = "::attn";
  let description = [{
    A named elementwise modification of the attention score, applied after
    scaling and the additive bias, in the order of the op's `score_mods`.
  }];
}

def Attn_ScoreSpecOpInterface : OpInterface<"ScoreSpecOpInterface"> {
  let cppNamespace = "::attn";
  let description = [{
    An op that carries the per-(query, key) part of a spec: the mask
    (attribute and `mask_fn` region), the score modifications (bias operand,
    `score_mods`, `score_mod` region) and the operands they read. Implemented
    by `attn.attention` and by `attn_tile.mask_scores`, so that one scalar
    emitter (lib/Conversion/AttnCommon) lowers masks and score modifications
    for every lowering. The regions take the captures as trailing block
    arguments.
  }];
  let methods = [
    InterfaceMethod<"The mask attribute (null when absent).",
      "::attn::MaskAttrInterface", "getMaskAttr", (ins), [{}],
      [{ return $_op.getMaskAttr(); }]>,
    InterfaceMethod<"The score modifications (null when absent).",
      "::mlir::ArrayAttr", "getScoreModsAttr", (ins), [{}],
      [{ return $_op.getScoreModsAttr(); }]>,
    InterfaceMethod<"The mask_fn region (null when the op has none).",
      "::mlir::Region *", "getMaskFnRegion", (ins), [{}],
      [{ return &$_op.getMaskFn(); }]>,
    InterfaceMethod<"The score_mod region (null when the op has none).",
      "::mlir::Region *", "getScoreModRegion", (ins), [{}],
      [{ return &$_op.getScoreMod(); }]>,
    InterfaceMethod<"The tensors the regions capture.",
      "::mlir::ValueRange", "getCaptures", (ins), [{}],
      [{ return $_op.getCaptures(); }]>,
    InterfaceMethod<"The additive bias operand (null when absent).",
      "::mlir::Value", "getBias", (ins), [{}], [{ return $_op.getBias(); }]>,
    InterfaceMethod<"Segment ids of the queries (null when absent).",
      "::mlir::Value", "getQSegmentIds", (ins), [{}],
      [{ return $_op.getQSegmentIds(); }]>,
    InterfaceMethod<"Segment ids of the keys (null when absent).",
      "::mlir::Value", "getKvSegmentIds", (ins), [{}],
      [{ return $_op.getKvSegmentIds(); }]>,
    InterfaceMethod<"The block-sparse layout operand (null when absent).",
      "::mlir::Value", "getBlockLayout", (ins), [{}],
      [{ return $_op.getBlockLayout(); }]>,
    InterfaceMethod<"Per-head ALiBi slopes (null when absent).",
      "::mlir::Value", "getAlibiSlopes", (ins), [{}],
      [{ return $_op.getAlibiSlopes(); }]>,
  ];
}

/// Ops whose regions hold spec code (attn.yield, attn.query_length, ...):
/// attn.attention and the attn_tile ops that carry its regions.
def Attn_SpecRegionHolder : NativeOpTrait<"SpecRegionHolder"> {
  let cppNamespace = "::attn";
}
/// The op's parent carries spec regions (Attn_SpecRegionHolder).
def Attn_HasSpecRegionParent : NativeOpTrait<"HasSpecRegionParent"> {
  let cppNamespace = "::attn";
}

#endif // ATTN_INTERFACES_TD
