//===- PrivatizeThreadState.cpp - per-thread rows to per-thread arrays ----===//
//
// After mapping, a thread-private buffer (ThreadPrivate.h) is a T x S...
// memref.alloc in the gpu.launch body whose accesses all index row
// gpu.thread_id x. Each thread gets its own S... stack array instead (a
// memref.alloca at the top of the body), and the loops that index it are
// unrolled so that every index is a constant: LLVM then keeps the array in
// registers (SROA), which is the point of the buffer.
//
//===----------------------------------------------------------------------===//

#include "ThreadPrivate.h"

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace attn {
#define GEN_PASS_DEF_GPUPRIVATIZETHREADSTATE
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {

bool isThreadIdX(Value v) {
  auto id = v.getDefiningOp<gpu::ThreadIdOp>();
  return id && id.getDimension() == gpu::Dimension::x;
}

/// The loads and stores of `alloc` (row = thread id x), or failure with an
/// error on the offending use.
FailureOr<SmallVector<Operation *>> rowAccesses(memref::AllocOp alloc) {
  SmallVector<Operation *> accesses;
  for (OpOperand &use : alloc->getUses()) {
    Operation *user = use.getOwner();
    ValueRange indices;
    if (auto load = dyn_cast<memref::LoadOp>(user))
      indices = load.getIndices();
    else if (auto store = dyn_cast<memref::StoreOp>(user);
             store && use.get() == store.getMemRef())
      indices = store.getIndices();
    else if (isa<memref::DeallocOp>(user))
      continue;
    if (indices.empty() || !isThreadIdX(indices.front()))
      return user->emitOpError()
             << "attn-gpu-privatize-thread-state: a thread-private buffer "
                "must be read and written at row gpu.thread_id x only";
    accesses.push_back(user);
  }
  return accesses;
}

struct GPUPrivatizeThreadStatePass
    : public attn::impl::GPUPrivatizeThreadStateBase<
          GPUPrivatizeThreadStatePass> {
  void runOnOperation() override {
    // In gpu.launch bodies only: the pass runs right after the mapping.
    for (memref::AllocOp alloc : attn::gpu_codegen::markedKernelAllocs(
             getOperation(), attn::gpu_codegen::kThreadPrivateAttr,
             /*inGPUFunc=*/false))
      if (failed(privatize(alloc)))
        return signalPassFailure();
  }

  LogicalResult privatize(memref::AllocOp alloc) {
    MemRefType type = alloc.getType();
    if (type.getRank() < 2 || !type.hasStaticShape())
      return alloc.emitOpError("attn-gpu-privatize-thread-state: expected a "
                               "static T x ... buffer");
    FailureOr<SmallVector<Operation *>> accesses = rowAccesses(alloc);
    if (failed(accesses))
      return failure();

    Block &body = alloc->getParentOfType<gpu::LaunchOp>().getBody().front();
    OpBuilder b(&body, body.begin());
    auto rowType =
        MemRefType::get(type.getShape().drop_front(), type.getElementType());
    Value row = memref::AllocaOp::create(b, alloc.getLoc(), rowType);

    // Loops whose induction variable indexes the row: unrolled below.
    SetVector<scf::ForOp> loops;
    for (Operation *access : *accesses) {
      b.setInsertionPoint(access);
      SmallVector<Value> indices;
      if (auto load = dyn_cast<memref::LoadOp>(access)) {
        indices.assign(load.getIndices().begin() + 1, load.getIndices().end());
        load.replaceAllUsesWith(
            memref::LoadOp::create(b, load.getLoc(), row, indices).getResult());
      } else {
        auto store = cast<memref::StoreOp>(access);
        indices.assign(store.getIndices().begin() + 1,
                       store.getIndices().end());
        memref::StoreOp::create(b, store.getLoc(), store.getValue(), row,
                                indices);
      }
      access->erase();
      for (Value index : indices)
        if (auto loop = scf::getForInductionVarOwner(index))
          loops.insert(loop);
    }
    for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
      user->erase(); // deallocs
    alloc.erase();
    for (scf::ForOp loop : loops)
      if (failed(attn::gpu_codegen::unrollIndexingLoop(
              loop, "attn-gpu-privatize-thread-state", "thread-private")))
        return failure();
    return success();
  }
};

} // namespace
