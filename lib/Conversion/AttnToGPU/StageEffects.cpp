//===- StageEffects.cpp - shared memory a stage touches -------------------===//

#include "StageEffects.h"

#include "ThreadPrivate.h"
#include "WarpMMA.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

namespace attn::gpu_codegen {

bool SharedAccesses::conflictsWith(const SharedAccesses &other) const {
  if (unknown || other.unknown)
    return true;
  for (void *w : writes)
    if (other.reads.contains(w) || other.writes.contains(w))
      return true;
  for (void *w : other.writes)
    if (reads.contains(w))
      return true;
  return false;
}

void SharedAccesses::merge(const SharedAccesses &other) {
  reads.insert(other.reads.begin(), other.reads.end());
  writes.insert(other.writes.begin(), other.writes.end());
  unknown |= other.unknown;
}

Value bufferBase(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto view = dyn_cast<ViewLikeOpInterface>(def))
      v = view.getViewSource();
    else if (isa<memref::CastOp>(def))
      v = def->getOperand(0);
    else
      break;
  }
  return v;
}

bool isPrivateBuffer(Value base) {
  Operation *def = base.getDefiningOp();
  return def && isa<memref::AllocOp, memref::AllocaOp>(def) &&
         (def->hasAttr(kThreadPrivateAttr) || def->hasAttr(kWarpPrivateAttr));
}

void collectSharedAccesses(Operation *op, SharedAccesses &acc,
                           ArrayRef<void *> asyncDestinations, Value ignored) {
  if (isa<nvgpu::DeviceAsyncWaitOp>(op)) {
    acc.writes.insert(asyncDestinations.begin(), asyncDestinations.end());
    return;
  }
  if (isa<nvgpu::DeviceAsyncCreateGroupOp>(op))
    return; // the group's copies have their own effects
  bool recursive = op->hasTrait<OpTrait::HasRecursiveMemoryEffects>();
  if (auto iface = dyn_cast<MemoryEffectOpInterface>(op)) {
    SmallVector<MemoryEffects::EffectInstance> effects;
    iface.getEffects(effects);
    for (const MemoryEffects::EffectInstance &effect : effects) {
      if (isa<MemoryEffects::Allocate, MemoryEffects::Free>(effect.getEffect()))
        continue; // a buffer's own lifetime, not its contents
      Value v = effect.getValue();
      if (!v || !isa<BaseMemRefType>(v.getType())) {
        acc.unknown = true;
        continue;
      }
      Value base = bufferBase(v);
      if (base == ignored || isPrivateBuffer(base))
        continue;
      (isa<MemoryEffects::Write>(effect.getEffect()) ? acc.writes : acc.reads)
          .insert(base.getAsOpaquePointer());
    }
  } else if (!recursive) {
    acc.unknown = true; // no declared effects: anything
    return;
  }
  for (Region &region : op->getRegions())
    for (Operation &nested : region.getOps())
      collectSharedAccesses(&nested, acc, asyncDestinations, ignored);
}

SmallVector<void *> asyncCopyDestinations(Operation *root) {
  SmallVector<void *> destinations;
  root->walk([&](nvgpu::DeviceAsyncCopyOp copy) {
    void *dst = bufferBase(copy.getDst()).getAsOpaquePointer();
    if (!llvm::is_contained(destinations, dst))
      destinations.push_back(dst);
  });
  return destinations;
}

} // namespace attn::gpu_codegen
