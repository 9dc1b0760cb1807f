//===- PrivatizeWarpState.cpp - accumulator tiles to per-lane registers ---===//
//
// A warp-private buffer (WarpMMA.h) holds a W x ... block of mma fragments:
// O's or S's accumulator tiles (W x N x 16 x 8 f32), the register softmax's
// P (W x R x 16 x Bk, 16-bit). In the kernel, after
// attn-gpu-warp-mma-to-nvgpu, it is only read and written by per-lane
// loads and stores whose indices are functions of the thread id: the tile
// products' fragment transfers and the thread-level stages written in the
// same layouts. Each thread's elements become a per-thread stack array
// indexed by constants, which LLVM keeps in registers.
//
// Rather than pattern-matching the index arithmetic of two different
// producers, the pass evaluates every access's indices for every thread of
// the block and derives each access's slot from the result, checking that
// the threads partition the buffer and that a slot is the same for all of
// them (else the layouts of the producers disagree: an error, not a silent
// wrong answer).
//
//===----------------------------------------------------------------------===//

#include "IndexEvaluation.h"
#include "ThreadPrivate.h"
#include "WarpMMA.h"

#include "attn/Conversion/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"


#include <set>

namespace attn {
#define GEN_PASS_DEF_GPUPRIVATIZEWARPSTATE
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {

/// One read or write of the buffer: `width` consecutive elements of the
/// innermost dimension from `indices` (1 for memref.load/store).
struct Access {
  Operation *op;
  ValueRange indices;
  int64_t width = 1;
};

FailureOr<SmallVector<Access>> accessesOf(Value buffer) {
  SmallVector<Access> accesses;
  for (OpOperand &use : buffer.getUses()) {
    Operation *user = use.getOwner();
    auto vectorWidth = [](VectorType t) -> int64_t {
      return t.getRank() == 1 ? t.getNumElements() : 0;
    };
    if (auto load = dyn_cast<memref::LoadOp>(user)) {
      accesses.push_back({user, load.getIndices()});
    } else if (auto store = dyn_cast<memref::StoreOp>(user);
               store && use.get() == store.getMemRef()) {
      accesses.push_back({user, store.getIndices()});
    } else if (auto load = dyn_cast<vector::LoadOp>(user);
               load && vectorWidth(load.getVectorType())) {
      accesses.push_back(
          {user, load.getIndices(), vectorWidth(load.getVectorType())});
    } else if (auto store = dyn_cast<vector::StoreOp>(user);
               store && use.get() == store.getBase() &&
               vectorWidth(store.getVectorType())) {
      accesses.push_back(
          {user, store.getIndices(), vectorWidth(store.getVectorType())});
    } else if (isa<memref::DeallocOp>(user)) {
      continue;
    } else {
      return user->emitOpError()
             << "attn-gpu-privatize-warp-state: a warp-private buffer must "
                "only be read and written by memref/vector loads and stores";
    }
  }
  return accesses;
}

/// Unrolls the constant-bound scf.for loops whose induction variables the
/// buffer's access indices depend on; fails on one without constant bounds.
LogicalResult unrollIndexingLoops(Value buffer) {
  while (true) {
    FailureOr<SmallVector<Access>> accesses = accessesOf(buffer);
    if (failed(accesses))
      return failure();
    // The first loop whose induction variable an index depends on.
    scf::ForOp loop;
    for (const Access &a : *accesses) {
      SetVector<Operation *> slice;
      BackwardSliceOptions options;
      options.inclusive = true;
      SmallVector<Value> values(a.indices.begin(), a.indices.end());
      for (Value index : a.indices)
        if (Operation *def = index.getDefiningOp())
          (void)getBackwardSlice(def, &slice, options);
      for (Operation *op : slice)
        values.append(op->operand_begin(), op->operand_end());
      for (Value v : values)
        if ((loop = scf::getForInductionVarOwner(v)))
          break;
      if (loop)
        break;
    }
    if (!loop)
      return success();
    if (failed(attn::gpu_codegen::unrollIndexingLoop(
            loop, "attn-gpu-privatize-warp-state", "warp-private")))
      return failure();
  }
}

struct GPUPrivatizeWarpStatePass
    : public attn::impl::GPUPrivatizeWarpStateBase<GPUPrivatizeWarpStatePass> {
  void runOnOperation() override {
    // After outlining (the pass runs in the gpu.module) or before.
    for (memref::AllocOp alloc : attn::gpu_codegen::markedKernelAllocs(
             getOperation(), attn::gpu_codegen::kWarpPrivateAttr,
             /*inGPUFunc=*/true))
      if (failed(privatize(alloc)))
        return signalPassFailure();
  }

  LogicalResult privatize(memref::AllocOp alloc) {
    MemRefType type = alloc.getType();
    if (type.getRank() < 2 || !type.hasStaticShape() ||
        type.getNumElements() % (32 * type.getDimSize(0)))
      return alloc.emitOpError("attn-gpu-privatize-warp-state: expected a "
                               "static W x ... buffer with a whole number of "
                               "elements per thread");
    if (failed(unrollIndexingLoops(alloc)))
      return failure();
    FailureOr<SmallVector<Access>> accesses = accessesOf(alloc);
    if (failed(accesses))
      return failure();

    const int64_t warps = type.getDimSize(0), threads = 32 * warps;
    const int64_t total = type.getNumElements();
    const int64_t perThread = total / threads;
    // Elements (linearized) per access and thread.
    auto linear = [&](ArrayRef<int64_t> idx) {
      int64_t x = 0;
      for (auto [i, d] : llvm::zip_equal(idx, type.getShape()))
        x = x * d + i;
      return x;
    };
    std::vector<std::vector<int64_t>> first(accesses->size(),
                                            std::vector<int64_t>(threads));
    std::vector<std::set<int64_t>> owned(threads);
    for (auto [n, a] : llvm::enumerate(*accesses)) {
      for (int64_t tid = 0; tid < threads; ++tid) {
        std::optional<SmallVector<int64_t>> idx =
            attn::gpu_codegen::evaluateIndices(a.indices, [&](Value v) {
              return attn::gpu_codegen::threadIdLeaf(v, tid);
            });
        if (!idx)
          return a.op->emitOpError()
                 << "attn-gpu-privatize-warp-state: the indices of a "
                    "warp-private access are not functions of the thread id";
        if ((*idx)[0] != tid / 32)
          return a.op->emitOpError()
                 << "attn-gpu-privatize-warp-state: thread " << tid
                 << " touches tiles of warp " << (*idx)[0];
        bool inBounds = true;
        for (int64_t d = 1; d < type.getRank(); ++d)
          inBounds &= (*idx)[d] >= 0 &&
                      (*idx)[d] + (d + 1 == type.getRank() ? a.width : 1) <=
                          type.getDimSize(d);
        if (!inBounds)
          return a.op->emitOpError()
                 << "attn-gpu-privatize-warp-state: thread " << tid
                 << " accesses the buffer out of bounds";
        first[n][tid] = linear(*idx);
        for (int64_t k = 0; k < a.width; ++k)
          owned[tid].insert(first[n][tid] + k);
      }
    }
    // A partition: each thread owns perThread elements, no two threads the
    // same one (with the sizes, every element is owned once).
    std::set<int64_t> all;
    for (int64_t tid = 0; tid < threads; ++tid) {
      if (static_cast<int64_t>(owned[tid].size()) != perThread)
        return alloc.emitOpError()
               << "attn-gpu-privatize-warp-state: thread " << tid
               << " touches " << owned[tid].size() << " elements, not "
               << perThread
               << ": the accesses are not in one per-thread layout";
      all.insert(owned[tid].begin(), owned[tid].end());
    }
    if (static_cast<int64_t>(all.size()) != total)
      return alloc.emitOpError("attn-gpu-privatize-warp-state: threads share "
                               "elements of a warp-private buffer");
    // Each access's slot: its element's position in the thread's sorted
    // list, the same for every thread.
    std::vector<int64_t> slots(accesses->size());
    for (auto [n, a] : llvm::enumerate(*accesses)) {
      for (int64_t tid = 0; tid < threads; ++tid) {
        const std::set<int64_t> &mine = owned[tid];
        int64_t pos = std::distance(mine.begin(), mine.find(first[n][tid]));
        // A vector access needs consecutive slots.
        for (int64_t k = 1; k < a.width; ++k)
          if (!mine.count(first[n][tid] + k) ||
              std::distance(mine.begin(), mine.find(first[n][tid] + k)) !=
                  pos + k)
            pos = -1;
        if (tid == 0)
          slots[n] = pos;
        if (pos < 0 || pos != slots[n])
          return a.op->emitOpError()
                 << "attn-gpu-privatize-warp-state: the element this access "
                    "reaches is not at the same position for every thread";
      }
    }

    // The per-thread array, at the top of the kernel.
    Region *body = alloc->getParentOfType<gpu::GPUFuncOp>()
                       ? &alloc->getParentOfType<gpu::GPUFuncOp>().getBody()
                       : &alloc->getParentOfType<gpu::LaunchOp>().getBody();
    OpBuilder b(&body->front(), body->front().begin());
    auto arrayType = MemRefType::get({perThread}, type.getElementType());
    Value array = memref::AllocaOp::create(b, alloc.getLoc(), arrayType);
    for (auto [n, a] : llvm::enumerate(*accesses)) {
      b.setInsertionPoint(a.op);
      Value slot = arith::ConstantIndexOp::create(b, a.op->getLoc(), slots[n]);
      Location loc = a.op->getLoc();
      if (auto load = dyn_cast<memref::LoadOp>(a.op))
        load.replaceAllUsesWith(
            memref::LoadOp::create(b, loc, array, slot).getResult());
      else if (auto store = dyn_cast<memref::StoreOp>(a.op))
        memref::StoreOp::create(b, loc, store.getValue(), array, slot);
      else if (auto load = dyn_cast<vector::LoadOp>(a.op))
        load.replaceAllUsesWith(vector::LoadOp::create(
                                    b, loc, load.getVectorType(), array, slot)
                                    .getResult());
      else if (auto store = dyn_cast<vector::StoreOp>(a.op))
        vector::StoreOp::create(b, loc, store.getValueToStore(), array, slot);
      a.op->erase();
    }
    for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
      user->erase(); // deallocs
    alloc.erase();
    return success();
  }
};

} // namespace
