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
// progress. The analysis is per buffer and conservative: an effect it
// cannot attribute to a buffer needs a barrier.
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
/// next stage's, and after the last stage of every block but the block
/// forall's body (a loop's next iteration, or what follows an if, is not
/// analysed: it gets a barrier as before).
static void placeBarriers(Block &block, bool isBlockBody,
                          ArrayRef<void *> asyncDestinations) {
  attn::gpu_codegen::SharedAccesses since; // since the last barrier
  auto barrierBefore = [&](Operation *op) {
    OpBuilder b(op);
    gpu::BarrierOp::create(b, op->getLoc());
    since = attn::gpu_codegen::SharedAccesses();
  };
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (isStage(&op) || !containsStage(&op)) {
      attn::gpu_codegen::SharedAccesses mine;
      attn::gpu_codegen::collectSharedAccesses(&op, mine, asyncDestinations);
      if (mine.empty())
        continue;
      if (since.conflictsWith(mine))
        barrierBefore(&op);
      since.merge(mine);
      continue;
    }
    // Control flow holding stages: a barrier before it if anything since
    // the last one is not yet published; its blocks end with one.
    if (!since.empty())
      barrierBefore(&op);
    for (Region &region : op.getRegions())
      for (Block &nested : region)
        placeBarriers(nested, /*isBlockBody=*/false, asyncDestinations);
  }
  if (!since.empty() && !isBlockBody) {
    OpBuilder b(block.getTerminator());
    gpu::BarrierOp::create(b, block.getTerminator()->getLoc());
  }
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
    placeBarriers(*forall.getBody(), /*isBlockBody=*/true,
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
