//===- GPUMapping.cpp - from pre-mapping kernel IR to the GPU and the CPU -===//
//
// Small passes around convert-attn-to-gpu's output:
//   attn-gpu-erase-memory-spaces          the CPU view (no address spaces)
//   attn-gpu-map-foralls                  foralls -> gpu.launch (transform ops)
//   attn-gpu-dynamic-shared-memory        workgroup allocs -> dynamic smem
//   attn-gpu-fast-exp2                    exp2 -> ex2.approx, fma -> fma.rn
//   attn-gpu-extern-dynamic-shared-memory .extern .shared for dynamic smem
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/TransformOps/GPUTransformOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

namespace attn {
#define GEN_PASS_DEF_GPUERASEMEMORYSPACES
#define GEN_PASS_DEF_GPUMAPFORALLS
#define GEN_PASS_DEF_GPUDYNAMICSHAREDMEMORY
#define GEN_PASS_DEF_GPUFASTEXP2
#define GEN_PASS_DEF_GPUEXTERNDYNAMICSHAREDMEMORY
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {

//===----------------------------------------------------------------------===//
// attn-gpu-erase-memory-spaces
//===----------------------------------------------------------------------===//

struct GPUEraseMemorySpacesPass
    : public attn::impl::GPUEraseMemorySpacesBase<GPUEraseMemorySpacesPass> {
  void runOnOperation() override {
    AttrTypeReplacer replacer;
    replacer.addReplacement([](BaseMemRefType type) -> std::optional<Type> {
      if (!isa_and_nonnull<gpu::AddressSpaceAttr>(type.getMemorySpace()))
        return std::nullopt;
      if (auto ranked = dyn_cast<MemRefType>(type))
        return MemRefType::get(ranked.getShape(), ranked.getElementType(),
                               ranked.getLayout());
      return UnrankedMemRefType::get(type.getElementType(), Attribute());
    });
    replacer.recursivelyReplaceElementsIn(getOperation(),
                                          /*replaceAttrs=*/true,
                                          /*replaceLocs=*/false,
                                          /*replaceTypes=*/true);
  }
};

//===----------------------------------------------------------------------===//
// attn-gpu-map-foralls
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// attn-gpu-dynamic-shared-memory
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// attn-gpu-fast-exp2, attn-gpu-extern-dynamic-shared-memory
//===----------------------------------------------------------------------===//

struct GPUFastExp2Pass
    : public attn::impl::GPUFastExp2Base<GPUFastExp2Pass> {
  void runOnOperation() override {
    SmallVector<LLVM::CallOp> calls;
    getOperation()->walk([&](LLVM::CallOp call) {
      std::optional<StringRef> callee = call.getCallee();
      if (callee && (*callee == "__nv_exp2f" || *callee == "__nv_fmaf") &&
          call.getNumResults() == 1)
        calls.push_back(call);
    });
    for (LLVM::CallOp call : calls) {
      OpBuilder b(call);
      Type t = call.getResult().getType();
      Value r = *call.getCallee() == "__nv_exp2f"
                    ? LLVM::Exp2Op::create(b, call.getLoc(), t,
                                           call.getOperand(0))
                          .getResult()
                    : LLVM::FMAOp::create(b, call.getLoc(), t,
                                          call.getOperand(0),
                                          call.getOperand(1),
                                          call.getOperand(2))
                          .getResult();
      call.getResult().replaceAllUsesWith(r);
      call.erase();
    }
    // Drop the declarations once unused.
    getOperation()->walk([&](LLVM::LLVMFuncOp func) {
      if ((func.getName() == "__nv_exp2f" || func.getName() == "__nv_fmaf") &&
          func.isExternal() &&
          SymbolTable::symbolKnownUseEmpty(func, func->getParentOp()))
        func.erase();
    });
  }
};

struct GPUExternDynamicSharedMemoryPass
    : public attn::impl::GPUExternDynamicSharedMemoryBase<
          GPUExternDynamicSharedMemoryPass> {
  void runOnOperation() override {
    getOperation()->walk([&](LLVM::GlobalOp global) {
      auto array = dyn_cast<LLVM::LLVMArrayType>(global.getGlobalType());
      if (global.getAddrSpace() == 3 && array && array.getNumElements() == 0 &&
          global.getSymName().starts_with("__dynamic_shmem__"))
        global.setLinkage(LLVM::Linkage::External);
    });
  }
};

} // namespace
