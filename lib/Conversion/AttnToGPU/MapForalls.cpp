//===- MapForalls.cpp - foralls to gpu.launch -----------------------------===//
//
// attn-gpu-map-foralls: the block- and thread-level scf.foralls of the
// pre-mapping kernel IR to one gpu.launch, through upstream's transform ops
// (map_forall_to_blocks, map_nested_forall_to_threads).
//
// Sibling stages are separated by barriers in the pre-mapping semantics.
// Upstream's mapping puts one after every stage; this pass places them
// itself (sync_after_distribute = false) and leaves out those that order
// nothing: between stages that only share reads of block-shared memory and
// write only thread- or warp-private buffers (whose elements one thread
// owns: ThreadPrivate.h, WarpMMA.h), no thread can observe another's
// progress. The same holds at uniform control flow holding stages (the
// key-tile loop, a partial tile's branch): a barrier before it only where
// its contents conflict with what is not yet published. The analysis is
// per buffer and conservative: an effect it cannot attribute to a buffer
// needs a barrier.
//
//===----------------------------------------------------------------------===//

#include "StageEffects.h"

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/TransformOps/GPUTransformOps.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

namespace attn {
#define GEN_PASS_DEF_GPUMAPFORALLS
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {

static bool hasMapping(scf::ForallOp forall, bool blocks) {
  std::optional<ArrayAttr> mapping = forall.getMapping();
  if (!mapping || mapping->empty())
    return false;
  return blocks ? isa<gpu::GPUBlockMappingAttr>((*mapping)[0])
                : isa<gpu::GPUThreadMappingAttr>((*mapping)[0]);
}

/// A forall executed by the threads or warps of a block (a stage).
static bool isStage(Operation *op) {
  auto forall = dyn_cast<scf::ForallOp>(op);
  if (!forall || !forall.getMapping() || forall.getMapping()->empty())
    return false;
  Attribute m = (*forall.getMapping())[0];
  return isa<gpu::GPUThreadMappingAttr, gpu::GPUWarpMappingAttr>(m);
}

static bool containsStage(Operation *op) {
  return op
      ->walk([](Operation *nested) {
        return isStage(nested) ? WalkResult::interrupt()
                               : WalkResult::advance();
      })
      .wasInterrupted();
}

/// Puts a gpu.barrier between the stages of `block` (and of the regions of
/// its ops) where the accesses since the last barrier conflict with the
/// next stage's. `since` holds the accesses not yet published when the
/// block starts (those before a control-flow op that needed no barrier).
/// The block ends with a barrier if its own accesses since its last one are
/// not yet published and conflict with `following` (a loop's body: its next
/// iteration is not analysed, so `following` is unknown); else they are
/// returned, for the parent to track.
static attn::gpu_codegen::SharedAccesses
placeBarriers(Block &block, const attn::gpu_codegen::SharedAccesses &following,
              ArrayRef<void *> asyncDestinations,
              attn::gpu_codegen::SharedAccesses since = {}) {
  attn::gpu_codegen::SharedAccesses own; // this block's, since its last barrier
  auto barrierBefore = [&](Operation *op) {
    OpBuilder b(op);
    gpu::BarrierOp::create(b, op->getLoc());
    since = own = attn::gpu_codegen::SharedAccesses();
  };
  for (Operation &op : llvm::make_early_inc_range(block)) {
    attn::gpu_codegen::SharedAccesses mine;
    attn::gpu_codegen::collectSharedAccesses(&op, mine, asyncDestinations);
    if (isStage(&op) || !containsStage(&op)) {
      if (mine.empty())
        continue;
      if (since.conflictsWith(mine))
        barrierBefore(&op);
      since.merge(mine);
      own.merge(mine);
      continue;
    }
    // Control flow holding stages (uniform across the block): a barrier
    // before it only if something inside conflicts with what is not yet
    // published (e.g. a partial key tile's value probe needs none after
    // the softmax); its blocks start from that state. A branch (run once,
    // then this block goes on) publishes at its end only what the rest of
    // this block would conflict with, so that the barrier is paid where the
    // branch is taken; the rest joins ours. A loop's body publishes its own
    // at its end.
    if (since.conflictsWith(mine))
      barrierBefore(&op);
    attn::gpu_codegen::SharedAccesses following;
    if (isa<scf::IfOp>(op))
      for (Operation &next :
           llvm::make_range(std::next(op.getIterator()), block.end()))
        attn::gpu_codegen::collectSharedAccesses(&next, following,
                                                 asyncDestinations);
    else
      following.unknown = true;
    attn::gpu_codegen::SharedAccesses left;
    for (Region &region : op.getRegions())
      for (Block &nested : region)
        left.merge(placeBarriers(nested, following, asyncDestinations, since));
    since.merge(left);
    own.merge(left);
  }
  if (!own.empty() && own.conflictsWith(following)) {
    OpBuilder b(block.getTerminator());
    gpu::BarrierOp::create(b, block.getTerminator()->getLoc());
    own = attn::gpu_codegen::SharedAccesses();
  }
  return own;
}

struct GPUMapForallsPass
    : public attn::impl::GPUMapForallsBase<GPUMapForallsPass> {
  void getDependentDialects(DialectRegistry &registry) const override {
    GPUMapForallsBase::getDependentDialects(registry);
    gpu::registerTransformDialectExtension(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<scf::ForallOp> roots;
    module.walk([&](scf::ForallOp forall) {
      if (hasMapping(forall, /*blocks=*/true) &&
          !forall->getParentOfType<scf::ForallOp>() &&
          !forall->getParentOfType<gpu::LaunchOp>())
        roots.push_back(forall);
    });
    for (scf::ForallOp forall : roots)
      if (failed(mapOne(forall)))
        return signalPassFailure();
  }

  LogicalResult mapOne(scf::ForallOp forall) {
    // Threads per block: the widest thread-level forall.
    int64_t threads = 1;
    WalkResult walk = forall.walk([&](scf::ForallOp nested) {
      // A warp-level forall (tensor-core stages) needs 32 threads a warp.
      bool warps = nested.getMapping() && !nested.getMapping()->empty() &&
                   isa<gpu::GPUWarpMappingAttr>((*nested.getMapping())[0]);
      if (!warps && !hasMapping(nested, /*blocks=*/false))
        return WalkResult::advance();
      ArrayRef<int64_t> ubs = nested.getStaticUpperBound();
      if (!nested.isNormalized() || llvm::any_of(ubs, ShapedType::isDynamic)) {
        nested.emitOpError("attn-gpu-map-foralls: thread-level foralls need "
                           "static, normalized bounds");
        return WalkResult::interrupt();
      }
      int64_t n = 1;
      for (int64_t ub : ubs)
        n *= ub;
      threads = std::max(threads, warps ? 32 * n : n);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    if (threads > 1024)
      return forall.emitOpError() << "attn-gpu-map-foralls: " << threads
                                  << " threads per block, more than 1024";
    // The block forall's body: nothing follows it.
    placeBarriers(*forall.getBody(), attn::gpu_codegen::SharedAccesses(),
                  attn::gpu_codegen::asyncCopyDestinations(forall));

    // The schedule: the upstream GPU transform ops, through the interpreter.
    std::string schedule =
        "module attributes {transform.with_named_sequence} {\n"
        "  transform.named_sequence @__transform_main(\n"
        "      %root: !transform.any_op {transform.readonly},\n"
        "      %forall: !transform.any_op {transform.consumed}) {\n"
        "    %launch = transform.gpu.map_forall_to_blocks %forall "
        "generate_gpu_launch : (!transform.any_op) -> !transform.any_op\n"
        "    %mapped = transform.gpu.map_nested_forall_to_threads %launch "
        "block_dims = [" +
        std::to_string(threads) +
        ", 1, 1] sync_after_distribute = false"
        " : (!transform.any_op) -> !transform.any_op\n"
        "    transform.yield\n"
        "  }\n"
        "}\n";
    OwningOpRef<ModuleOp> transformModule =
        parseSourceString<ModuleOp>(schedule, ParserConfig(&getContext()));
    if (!transformModule)
      return forall.emitOpError("attn-gpu-map-foralls: invalid schedule");
    auto entry = transformModule->lookupSymbol<transform::NamedSequenceOp>(
        "__transform_main");
    Operation *payloadRoot = forall->getParentOfType<FunctionOpInterface>();
    if (!payloadRoot)
      payloadRoot = getOperation();
    RaggedArray<transform::MappedValue> bindings;
    bindings.push_back(ArrayRef<Operation *>{payloadRoot});
    bindings.push_back(ArrayRef<Operation *>{forall.getOperation()});
    return transform::applyTransformNamedSequence(
        bindings, cast<transform::TransformOpInterface>(entry.getOperation()),
        *transformModule, transform::TransformOptions());
  }
};

} // namespace
