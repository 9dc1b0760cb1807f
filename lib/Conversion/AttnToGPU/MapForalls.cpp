//===- MapForalls.cpp - foralls to gpu.launch -----------------------------===//
//
// attn-gpu-map-foralls: the block- and thread-level scf.foralls of the
// pre-mapping kernel IR to one gpu.launch, through upstream's transform ops
// (map_forall_to_blocks, map_nested_forall_to_threads).
//
//===----------------------------------------------------------------------===//

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
      if (!nested.isNormalized() ||
          llvm::any_of(ubs, ShapedType::isDynamic)) {
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
      return forall.emitOpError()
             << "attn-gpu-map-foralls: " << threads
             << " threads per block, more than 1024";

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
        ", 1, 1] : (!transform.any_op) -> !transform.any_op\n"
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
