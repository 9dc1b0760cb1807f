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
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "attn/Dialect/Attn/AttnDialect.h.inc"
#include "attn/Dialect/Attn/AttnEnums.h.inc"
#include "attn/Dialect/Attn/AttnAttrInterfaces.h.inc"

namespace attn {
/// `pool` of #attn.topk_blocks: one kind (`mean`) or a bracketed list of
/// kinds (`[max, min, mean]`, a concatenation of pools).
mlir::FailureOr<llvm::SmallVector<PoolKind>>
parsePoolList(mlir::AsmParser &parser);
void printPoolList(mlir::AsmPrinter &printer, llvm::ArrayRef<PoolKind> pools);
} // namespace attn

#define GET_ATTRDEF_CLASSES
#include "attn/Dialect/Attn/AttnAttrs.h.inc"

#include "attn/Dialect/Attn/AttnOpInterfaces.h.inc"

namespace attn {
/// Marks ops whose regions hold spec code: attn.attention and the attn_tile
/// ops that carry its mask_fn, score_mod and weight_mod regions.
template <typename ConcreteType>
class SpecRegionHolder
    : public mlir::OpTrait::TraitBase<ConcreteType, SpecRegionHolder> {};

/// Ops that only make sense directly inside a spec region (attn.yield,
/// attn.query_length, attn.key_length, attn.aligned_query).
template <typename ConcreteType>
class HasSpecRegionParent
    : public mlir::OpTrait::TraitBase<ConcreteType, HasSpecRegionParent> {
public:
  static mlir::LogicalResult verifyTrait(mlir::Operation *op) {
    mlir::Operation *parent = op->getParentOp();
    if (parent && parent->hasTrait<SpecRegionHolder>())
      return mlir::success();
    return op->emitOpError("expects parent op 'attn.attention' (or an "
                           "attn_tile op carrying its regions)");
  }
};
} // namespace attn

#define GET_OP_CLASSES
#include "attn/Dialect/Attn/AttnOps.h.inc"

namespace attn {
/// Verifies a spec region of `op` (mask_fn, score_mod, weight_mod): one
/// block taking `leadingTypes` then the captures' types, scalar arith/math
/// code, tensor reads and the region context ops, ending with one attn.yield
/// of `resultType`. An empty region is valid (absent).
mlir::LogicalResult verifySpecRegion(mlir::Operation *op, mlir::Region &region,
                                     llvm::StringRef name,
                                     llvm::ArrayRef<mlir::Type> leadingTypes,
                                     mlir::ValueRange captures,
                                     mlir::Type resultType);

/// Calls `fn` on `mask` and on every mask nested in it (and/or/not operands,
/// per_head entries), parents first. A null mask visits nothing.
void walkMasks(MaskAttrInterface mask,
               llvm::function_ref<void(MaskAttrInterface)> fn);

/// Whether `t` is an FP8 element type of pre-quantized Q or K (f8E4M3FN or
/// f8E5M2): a FloatType, but not a float the compiler quantizes.
inline bool isFP8Type(mlir::Type t) {
  return llvm::isa<mlir::Float8E4M3FNType, mlir::Float8E5M2Type>(t);
}
/// Whether `t` is a float element type the compiler may quantize (f32,
/// f16, bf16, ...; not FP8).
inline bool isUnquantizedFloatType(mlir::Type t) {
  return llvm::isa<mlir::FloatType>(t) && !isFP8Type(t);
}
/// Whether `scheme` is one of the FP8 schemes of #attn.quantized_qk.
inline bool isFP8Scheme(QuantScheme scheme) {
  return scheme == QuantScheme::Fp8E4M3 || scheme == QuantScheme::Fp8E5M2;
}
} // namespace attn

#endif // ATTN_DIALECT_ATTN_ATTNDIALECT_H
