//===- DynamicSharedMemory.cpp - workgroup buffers in dynamic smem --------===//
//
// attn-gpu-dynamic-shared-memory: the workgroup memref.allocs of a
// gpu.launch body become views of gpu.dynamic_shared_memory (static shared
// memory is limited to 48 KiB), and the launch gets the dynamic size.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace attn {
#define GEN_PASS_DEF_GPUDYNAMICSHAREDMEMORY
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {

static bool isWorkgroup(MemRefType type) {
  auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(type.getMemorySpace());
  return space && space.getValue() == gpu::AddressSpace::Workgroup;
}

struct GPUDynamicSharedMemoryPass
    : public attn::impl::GPUDynamicSharedMemoryBase<
          GPUDynamicSharedMemoryPass> {
  void runOnOperation() override {
    WalkResult result = getOperation().walk([&](gpu::LaunchOp launch) {
      return succeeded(promote(launch)) ? WalkResult::advance()
                                        : WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }

  LogicalResult promote(gpu::LaunchOp launch) {
    SmallVector<Operation *> allocs;
    WalkResult walk = launch.getBody().walk([&](Operation *op) {
      if (!isa<memref::AllocOp, memref::AllocaOp>(op))
        return WalkResult::advance();
      auto type = cast<MemRefType>(op->getResult(0).getType());
      if (!isWorkgroup(type))
        return WalkResult::advance();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
          op->getNumOperands() != 0 ||
          op->getBlock() != &launch.getBody().front()) {
        op->emitOpError("attn-gpu-dynamic-shared-memory: workgroup buffers "
                        "must be static, identity-layout and at the top of "
                        "the launch body");
        return WalkResult::interrupt();
      }
      allocs.push_back(op);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    if (allocs.empty())
      return success();

    MLIRContext *ctx = launch.getContext();
    OpBuilder b(ctx);
    Block &body = launch.getBody().front();
    b.setInsertionPointToStart(&body);
    Location loc = launch.getLoc();
    auto space = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    auto baseType = MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                                    MemRefLayoutAttrInterface(), space);
    Value base = gpu::DynamicSharedMemoryOp::create(b, loc, baseType);
    int64_t offset = 0;
    for (Operation *alloc : allocs) {
      auto type = cast<MemRefType>(alloc->getResult(0).getType());
      int64_t bytes = type.getNumElements() *
                      (type.getElementType().getIntOrFloatBitWidth() / 8);
      Value offsetValue = arith::ConstantIndexOp::create(b, loc, offset);
      Value view = memref::ViewOp::create(b, loc, type, base, offsetValue,
                                          ValueRange{});
      // Deallocations of the buffer go away with it.
      for (Operation *user :
           llvm::make_early_inc_range(alloc->getResult(0).getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      alloc->getResult(0).replaceAllUsesWith(view);
      alloc->erase();
      offset += (bytes + 15) / 16 * 16;
    }
    b.setInsertionPoint(launch);
    Value size = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(offset));
    launch.getDynamicSharedMemorySizeMutable().assign(size);
    return success();
  }
};

} // namespace
