//===- LaneExchange.cpp - quad exchanges through shared memory to shuffles ===//
//
// The register softmax reduces a row over the 4 lanes that hold it. In the
// pre-mapping IR, which must run sequentially on the CPU, that is a shared
// buffer (ThreadPrivate.h, kLaneExchangeAttr): one stage writes each
// thread's values, the next sibling stage reads those of the thread's quad.
// On the GPU the two stages become one and the reads warp shuffles of the
// written values: no shared memory, no barrier between them.
//
// The rewrite is checked, not assumed: the writer stores row t at its top
// level (one store per column), the reader loads at its top level (all
// lanes of a warp reach every shuffle), and evaluating each load's row for
// every thread shows it to be a thread of the same warp. Merging the stages
// drops the barrier between them, so neither stage may write block-shared
// memory the other touches. Where a check fails the exchange stays in
// shared memory, which is correct, only slower.
//
//===----------------------------------------------------------------------===//

#include "IndexEvaluation.h"
#include "StageEffects.h"
#include "ThreadPrivate.h"

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace attn {
#define GEN_PASS_DEF_GPULANEEXCHANGE
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {

/// The value of index `v` for thread `t` of a stage whose thread index is
/// `iv`.
std::optional<int64_t> evaluate(Value v, Value iv, int64_t t) {
  return attn::gpu_codegen::evaluateIndex(v, [&](Value x) {
    return x == iv ? std::optional<int64_t>(t) : std::nullopt;
  });
}

bool isThreadStage(Operation *op, int64_t &count) {
  auto forall = dyn_cast_or_null<scf::ForallOp>(op);
  if (!forall || !forall.getMapping() || forall.getMapping()->size() != 1 ||
      !isa<gpu::GPUThreadMappingAttr>((*forall.getMapping())[0]) ||
      !forall.isNormalized())
    return false;
  ArrayRef<int64_t> ubs = forall.getStaticUpperBound();
  if (ubs.size() != 1 || ShapedType::isDynamic(ubs[0]))
    return false;
  count = ubs[0];
  return true;
}

struct GPULaneExchangePass
    : public attn::impl::GPULaneExchangeBase<GPULaneExchangePass> {
  void runOnOperation() override {
    SmallVector<memref::AllocOp> buffers;
    getOperation()->walk([&](memref::AllocOp alloc) {
      if (alloc->hasAttr(attn::gpu_codegen::kLaneExchangeAttr))
        buffers.push_back(alloc);
    });
    for (memref::AllocOp alloc : buffers)
      exchangeThroughShuffles(alloc);
  }

  /// Leaves the exchange in shared memory, saying why (a remark: correct,
  /// only slower).
  static void keepInSharedMemory(memref::AllocOp alloc, const Twine &why) {
    alloc.emitRemark("attn-gpu-lane-exchange: the exchange stays in shared "
                     "memory: ")
        << why;
  }

  /// Rewrites every (writer, reader) stage pair of `alloc`, or none.
  void exchangeThroughShuffles(memref::AllocOp alloc) {
    MemRefType type = alloc.getType();
    if (type.getRank() != 2 || !type.hasStaticShape() ||
        !type.getElementType().isIntOrFloat() ||
        type.getElementType().getIntOrFloatBitWidth() != 32)
      return keepInSharedMemory(alloc, "not a static T x S buffer of 32-bit "
                                       "elements");
    // The stages that store into it, in order; each followed by its reader.
    SmallVector<std::pair<scf::ForallOp, scf::ForallOp>> pairs;
    for (Operation *user : alloc->getUsers()) {
      if (isa<memref::DeallocOp>(user))
        continue;
      auto store = dyn_cast<memref::StoreOp>(user);
      auto load = dyn_cast<memref::LoadOp>(user);
      if (!store && !load)
        return keepInSharedMemory(alloc, "a use other than loads and stores");
      auto stage = dyn_cast<scf::ForallOp>(user->getParentOp());
      int64_t count;
      if (!stage || !isThreadStage(stage, count) ||
          count != type.getDimSize(0) || count % 32)
        return keepInSharedMemory(
            alloc, "an access not at the top level of a thread stage of T "
                   "(whole warps) threads");
      if (store) {
        if (store.getValueToStore() == alloc.getResult())
          return keepInSharedMemory(alloc, "the buffer itself is stored");
        auto reader = dyn_cast_or_null<scf::ForallOp>(stage->getNextNode());
        int64_t readers;
        if (!reader || !isThreadStage(reader, readers) || readers != count)
          return keepInSharedMemory(
              alloc, "a writer not followed by a thread stage of T threads");
        if (!llvm::is_contained(pairs, std::make_pair(stage, reader)))
          pairs.push_back({stage, reader});
      }
    }
    // Every load is in the reader of some writer.
    for (Operation *user : alloc->getUsers())
      if (auto load = dyn_cast<memref::LoadOp>(user))
        if (!llvm::any_of(pairs, [&](auto &p) {
              return load->getParentOp() == p.second.getOperation();
            }))
          return keepInSharedMemory(alloc, "a load outside the stage after a "
                                           "writer");
    // Check all pairs before rewriting any.
    SmallVector<DenseMap<int64_t, Value>> stored(pairs.size());
    for (auto [n, p] : llvm::enumerate(pairs))
      if (std::optional<std::string> why =
              checkPair(alloc, p.first, p.second, stored[n]))
        return keepInSharedMemory(alloc, *why);
    for (auto [n, p] : llvm::enumerate(pairs))
      rewritePair(alloc, p.first, p.second, stored[n]);
    for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
      user->erase(); // deallocs: the stores and loads are gone
    alloc.erase();
  }

  /// The writer's stored value per column (`stored`); why the pair cannot
  /// become one stage with shuffles, or nothing when it can.
  std::optional<std::string> checkPair(memref::AllocOp alloc,
                                       scf::ForallOp writer,
                                       scf::ForallOp reader,
                                       DenseMap<int64_t, Value> &stored) {
    Value tw = writer.getInductionVar(0), tr = reader.getInductionVar(0);
    const int64_t count = alloc.getType().getDimSize(0);
    for (Operation *user : alloc->getUsers()) {
      auto store = dyn_cast<memref::StoreOp>(user);
      if (!store || store->getParentOp() != writer.getOperation())
        continue;
      std::optional<int64_t> col = getConstantIntValue(store.getIndices()[1]);
      if (store.getIndices()[0] != tw || !col || stored.count(*col))
        return "a store not at row t and a constant column of its own";
      stored[*col] = store.getValueToStore();
    }
    for (Operation *user : alloc->getUsers()) {
      auto load = dyn_cast<memref::LoadOp>(user);
      if (!load || load->getParentOp() != reader.getOperation())
        continue;
      std::optional<int64_t> col = getConstantIntValue(load.getIndices()[1]);
      if (!col || !stored.count(*col))
        return "a load of a column the writer does not store";
      for (int64_t t = 0; t < count; ++t) {
        std::optional<int64_t> src = evaluate(load.getIndices()[0], tr, t);
        if (!src || *src < 0 || *src >= count || *src / 32 != t / 32)
          return "thread " + std::to_string(t) +
                 " loads a row that is not a thread of its warp";
      }
    }
    // Without the barrier between them, neither stage may write
    // block-shared memory the other touches.
    Operation *kernel = writer->getParentOfType<FunctionOpInterface>();
    SmallVector<void *> async = attn::gpu_codegen::asyncCopyDestinations(
        kernel ? kernel : getOperation());
    attn::gpu_codegen::SharedAccesses first, second;
    attn::gpu_codegen::collectSharedAccesses(writer, first, async, alloc);
    attn::gpu_codegen::collectSharedAccesses(reader, second, async, alloc);
    if (first.conflictsWith(second))
      return "one stage writes shared memory the other touches (merging "
             "them drops the barrier between them)";
    return std::nullopt;
  }

  void rewritePair(memref::AllocOp alloc, scf::ForallOp writer,
                   scf::ForallOp reader, DenseMap<int64_t, Value> &stored) {
    const int64_t count = alloc.getType().getDimSize(0);
    Value tw = writer.getInductionVar(0), tr = reader.getInductionVar(0);
    // The reader's body after the writer's, on the writer's thread index.
    Block *body = writer.getBody();
    Block *readerBody = reader.getBody();
    body->getOperations().splice(
        Block::iterator(body->getTerminator()), readerBody->getOperations(),
        readerBody->begin(), Block::iterator(readerBody->getTerminator()));
    tr.replaceAllUsesWith(tw);
    reader.erase();
    for (Operation *user : llvm::make_early_inc_range(alloc->getUsers())) {
      if (auto store = dyn_cast<memref::StoreOp>(user);
          store && store->getParentOp() == writer.getOperation()) {
        store.erase();
        continue;
      }
      auto load = dyn_cast<memref::LoadOp>(user);
      if (!load || load->getParentOp() != writer.getOperation())
        continue;
      Value value = stored[*getConstantIntValue(load.getIndices()[1])];
      Value row = load.getIndices()[0];
      // The source lane: t itself, t xor c, or any lane of the warp.
      bool self = true, xorOfT = true;
      int64_t mask = *evaluate(row, tw, 0);
      for (int64_t t = 0; t < count; ++t) {
        int64_t src = *evaluate(row, tw, t);
        self &= src == t;
        xorOfT &= src == (t ^ mask);
      }
      if (self) {
        load.replaceAllUsesWith(value);
        load.erase();
        continue;
      }
      OpBuilder b(load);
      Location loc = load.getLoc();
      Type i32 = b.getI32Type();
      Value width = arith::ConstantIntOp::create(b, loc, i32, 32);
      Value offset =
          xorOfT ? arith::ConstantIntOp::create(b, loc, i32, mask).getResult()
                 : arith::IndexCastOp::create(
                       b, loc, i32,
                       arith::RemUIOp::create(
                           b, loc, row,
                           arith::ConstantIndexOp::create(b, loc, 32)))
                       .getResult();
      auto shuffle = gpu::ShuffleOp::create(b, loc, value, offset, width,
                                            xorOfT ? gpu::ShuffleMode::XOR
                                                   : gpu::ShuffleMode::IDX);
      load.replaceAllUsesWith(shuffle.getShuffleResult());
      load.erase();
    }
  }
};

} // namespace
