//===- AttnDialect.h - attn dialect ----------------------------*- C++ -*-===//
#ifndef ATTN_DIALECT_ATTN_ATTNDIALECT_H
#define ATTN_DIALECT_ATTN_ATTNDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "attn/Dialect/Attn/AttnDialect.h.inc"
#include "attn/Dialect/Attn/AttnEnums.h.inc"
#include "attn/Dialect/Attn/AttnAttrInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "attn/Dialect/Attn/AttnAttrs.h.inc"

#define GET_OP_CLASSES
#include "attn/Dialect/Attn/AttnOps.h.inc"

namespace attn {
/// Calls `fn` on `mask` and on every mask nested in it (and/or/not operands,
/// per_head entries), parents first. A null mask visits nothing.
void walkMasks(MaskAttrInterface mask,
               llvm::function_ref<void(MaskAttrInterface)> fn);
} // namespace attn

#endif // ATTN_DIALECT_ATTN_ATTNDIALECT_H
