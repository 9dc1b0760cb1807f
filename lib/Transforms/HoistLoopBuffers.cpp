//===- HoistLoopBuffers.cpp - per-iteration buffers out of scf.for --------===//
//
// The tile program's key loop allocates its temporary tiles in every
// iteration after bufferization. Those that never carry a value from one
// iteration to the next move out of the sequential loops that hold them,
// stopping at the work-item loops (scf.forall, scf.parallel): their
// iterations run on different threads and each needs its own buffer.
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/BufferViewFlowAnalysis.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace attn {
#define GEN_PASS_DEF_HOISTLOOPBUFFERS
#include "attn/Transforms/Passes.h.inc"
} // namespace attn

using namespace mlir;

/// Whether `alloc` may move before `region` (an scf.for or scf.if around
/// it): its sizes are defined outside, and for a loop none of its aliases
/// crosses an iteration (a loop result or a region iteration argument).
static bool canHoistOutOf(memref::AllocOp alloc, Operation *region,
                          const BufferViewFlowAnalysis &flow) {
  for (Value size : alloc.getDynamicSizes())
    if (region->isAncestor(size.getParentRegion()->getParentOp()))
      return false;
  auto loop = dyn_cast<scf::ForOp>(region);
  if (!loop)
    return true;
  for (Value alias : flow.resolve(alloc.getResult())) {
    if (auto result = dyn_cast<OpResult>(alias))
      if (result.getOwner() == loop)
        return false;
    if (llvm::is_contained(loop.getRegionIterArgs(), alias))
      return false;
  }
  return true;
}

/// The outermost scf.for / scf.if `alloc` may move before, inside its
/// nearest region of any other kind (a parallel loop, a function).
static Operation *hoistTarget(memref::AllocOp alloc,
                              const BufferViewFlowAnalysis &flow) {
  Operation *target = nullptr;
  for (Operation *parent = alloc->getParentOp();
       isa_and_present<scf::ForOp, scf::IfOp>(parent);
       parent = parent->getParentOp()) {
    if (!canHoistOutOf(alloc, parent, flow))
      break;
    target = parent;
  }
  return target;
}

namespace {
struct HoistLoopBuffersPass
    : public attn::impl::HoistLoopBuffersBase<HoistLoopBuffersPass> {
  void runOnOperation() override {
    BufferViewFlowAnalysis flow(getOperation());
    SmallVector<std::pair<memref::AllocOp, Operation *>> moves;
    getOperation().walk([&](memref::AllocOp alloc) {
      if (Operation *target = hoistTarget(alloc, flow))
        moves.emplace_back(alloc, target);
    });
    // Moving an allocation changes no alias: the analysis stays valid.
    for (auto [alloc, target] : moves)
      alloc->moveBefore(target);
  }
};
} // namespace
