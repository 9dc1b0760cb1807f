//===- SerializeAsyncCopies.cpp - cp.async as plain copies on the CPU -----===//
//
// The pre-mapping kernel IR starts its K/V tile copies with
// nvgpu.device_async_copy and waits for them with the group ops. Executed
// sequentially on the CPU (after scf-forall-to-for), a copy done at once is
// complete before any wait, so the copies become loads and stores and the
// group ops go away.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"

namespace attn {
#define GEN_PASS_DEF_GPUSERIALIZEASYNCCOPIES
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {

/// dst[..., c + i] = i < srcElements ? src[..., c + i] : 0 for i < n; the
/// source is read only for the copied elements (a zero-filling copy may
/// point anywhere).
void serialize(nvgpu::DeviceAsyncCopyOp copy) {
  OpBuilder b(copy);
  Location loc = copy.getLoc();
  Type elementType = copy.getDst().getType().getElementType();
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType));
  SmallVector<Value> src(copy.getSrcIndices()), dst(copy.getDstIndices());
  Value srcLast = src.back(), dstLast = dst.back();
  const int64_t n = copy.getDstElements().getZExtValue();
  for (int64_t i = 0; i < n; ++i) {
    Value offset = arith::ConstantIndexOp::create(b, loc, i);
    src.back() = arith::AddIOp::create(b, loc, srcLast, offset);
    dst.back() = arith::AddIOp::create(b, loc, dstLast, offset);
    Value v;
    if (Value count = copy.getSrcElements()) {
      Value copied = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                           offset, count);
      auto ifOp = scf::IfOp::create(b, loc, TypeRange{elementType}, copied,
                                    /*withElseRegion=*/true);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      scf::YieldOp::create(
          b, loc, ValueRange{memref::LoadOp::create(b, loc, copy.getSrc(), src)});
      b.setInsertionPointToStart(ifOp.elseBlock());
      scf::YieldOp::create(b, loc, ValueRange{zero});
      v = ifOp.getResult(0);
    } else {
      v = memref::LoadOp::create(b, loc, copy.getSrc(), src);
    }
    memref::StoreOp::create(b, loc, v, copy.getDst(), dst);
  }
}

/// Whether `op`'s token feeds `UserOp`s only; an error on `op` otherwise.
template <typename UserOp>
bool onlyUsedBy(Operation *op, StringRef what, StringRef user) {
  if (llvm::all_of(op->getUsers(),
                   [](Operation *u) { return isa<UserOp>(u); }))
    return true;
  op->emitOpError() << "attn-gpu-serialize-async-copies: a " << what
                    << " token used by something else than a " << user;
  return false;
}

struct GPUSerializeAsyncCopiesPass
    : public attn::impl::GPUSerializeAsyncCopiesBase<
          GPUSerializeAsyncCopiesPass> {
  void runOnOperation() override {
    SmallVector<Operation *> waits, groups;
    SmallVector<nvgpu::DeviceAsyncCopyOp> copies;
    WalkResult walk = getOperation()->walk([&](Operation *op) {
      // Tokens flow copy -> group -> wait and nowhere else.
      if (isa<nvgpu::DeviceAsyncWaitOp>(op)) {
        waits.push_back(op);
      } else if (isa<nvgpu::DeviceAsyncCreateGroupOp>(op)) {
        groups.push_back(op);
        if (!onlyUsedBy<nvgpu::DeviceAsyncWaitOp>(op, "group", "wait"))
          return WalkResult::interrupt();
      } else if (auto copy = dyn_cast<nvgpu::DeviceAsyncCopyOp>(op)) {
        copies.push_back(copy);
        if (!onlyUsedBy<nvgpu::DeviceAsyncCreateGroupOp>(op, "copy", "group"))
          return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    for (Operation *op : waits)
      op->erase();
    for (Operation *op : groups)
      op->erase();
    for (nvgpu::DeviceAsyncCopyOp copy : copies) {
      serialize(copy);
      copy->erase();
    }
  }
};

} // namespace
