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

#endif // ATTN_INTERFACES_TD
