//===- PackInt4Arguments.cpp - i4 arguments as packed bytes ---------------===//
//
// LLVM stores an i4 in a byte of its own, so a memref<...xi4> argument would
// take as much memory as an i8 one. The calling convention for a
// pre-quantized INT4 Q or K is its packed bytes instead (two values per
// byte along the head dimension); this pass rewrites the function's i4
// arguments into those bytes and the ops that read them, which after
// attn-to-tile are attn_tile.unpack_int4 (the values) and tensor.dim (the
// extents).
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

namespace attn {
#define GEN_PASS_DEF_PACKINT4ARGUMENTS
#include "attn/Transforms/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;

namespace {

/// The packed form of an i4 tensor type: i8, the last extent halved.
static RankedTensorType packedType(RankedTensorType type) {
  SmallVector<int64_t> shape(type.getShape());
  if (!ShapedType::isDynamic(shape.back()))
    shape.back() /= 2;
  return RankedTensorType::get(shape, IntegerType::get(type.getContext(), 8));
}

/// Whether `argument` can be packed: a ranked i4 tensor with an even (or
/// dynamic) last extent, read only by unpack_int4 and by tensor.dim at a
/// constant index. Emits the located error otherwise.
static LogicalResult checkPackable(func::FuncOp func, BlockArgument argument,
                                   RankedTensorType type) {
  if (type.getRank() == 0)
    return func.emitError() << "argument " << argument.getArgNumber()
                            << " is a rank-0 i4 tensor: i4 arguments are "
                               "packed two per byte along their last "
                               "dimension";
  int64_t last = type.getShape().back();
  if (!ShapedType::isDynamic(last) && last % 2 != 0)
    return func.emitError() << "argument " << argument.getArgNumber()
                            << " is an i4 tensor whose last extent " << last
                            << " is odd: i4 arguments are packed two values "
                               "per byte along it";
  for (Operation *user : argument.getUsers()) {
    if (isa<tile::UnpackInt4Op>(user))
      continue;
    if (auto dim = dyn_cast<tensor::DimOp>(user))
      if (dim.getConstantIndex())
        continue;
    return user->emitError()
           << "reads the i4 argument " << argument.getArgNumber()
           << ", which is passed packed two values per byte: only "
              "attn_tile.unpack_int4 (attn-to-tile's form of a pre-quantized "
              "INT4 operand) and tensor.dim at a constant index may read it";
  }
  return success();
}

/// Rewires the users of `argument`, whose type is now `packed`: unpack ops
/// read the bytes, and the last extent is twice the packed one.
static void rewriteUsers(BlockArgument argument, RankedTensorType original) {
  int64_t lastDim = original.getRank() - 1;
  for (Operation *user : llvm::make_early_inc_range(argument.getUsers())) {
    auto dim = dyn_cast<tensor::DimOp>(user);
    if (!dim || *dim.getConstantIndex() != lastDim)
      continue; // unpack_int4 takes the bytes; other extents are unchanged
    OpBuilder b(dim);
    Value bytes =
        tensor::DimOp::create(b, dim.getLoc(), argument, dim.getIndex());
    Value two = arith::ConstantIndexOp::create(b, dim.getLoc(), 2);
    dim.replaceAllUsesWith(
        arith::MulIOp::create(b, dim.getLoc(), bytes, two).getResult());
    dim.erase();
  }
}

struct PackInt4Arguments
    : public attn::impl::PackInt4ArgumentsBase<PackInt4Arguments> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &entry = func.getBody().front();
    SmallVector<Type> argumentTypes(func.getArgumentTypes());
    bool changed = false;
    for (BlockArgument argument : entry.getArguments()) {
      auto type = dyn_cast<RankedTensorType>(argument.getType());
      if (!type || !type.getElementType().isInteger(4))
        continue;
      if (failed(checkPackable(func, argument, type)))
        return signalPassFailure();
      RankedTensorType packed = packedType(type);
      argument.setType(packed);
      argumentTypes[argument.getArgNumber()] = packed;
      rewriteUsers(argument, type);
      changed = true;
    }
    if (changed)
      func.setType(FunctionType::get(&getContext(), argumentTypes,
                                     func.getResultTypes()));
  }
};

} // namespace
