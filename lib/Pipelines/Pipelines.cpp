//===- Pipelines.cpp - named attn-opt pipelines ---------------------------===//

#include "attn/Pipelines/Pipelines.h"
#include "attn/Conversion/Passes.h"
#include "attn/Transforms/Passes.h"
#include "attn/Transforms/TransferWriteBufferization.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/Arith/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

/// From attn ops on tensors to loops on buffers (scf.parallel for work
/// items), every buffer freed.
static void addBufferizationToLoops(OpPassManager &pm) {
  // The branch combinations and pooled operands of multi-branch specs.
  pm.addNestedPass<func::FuncOp>(attn::createLowerBranches());
  pm.addNestedPass<func::FuncOp>(attn::createConvertAttnToLoops());
  pm.addPass(createCanonicalizerPass());

  bufferization::OneShotBufferizePassOptions bufferizeOptions;
  bufferizeOptions.bufferizeFunctionBoundaries = true;
  // The tile program threads row statistics through scf.for as new tensors.
  bufferizeOptions.allowReturnAllocsFromLoops = true;
  bufferizeOptions.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOptions));
  // One buffer per key loop instead of a malloc per key tile.
  pm.addNestedPass<func::FuncOp>(attn::createHoistLoopBuffers());
  // Results become caller-owned out-params, written in place instead of
  // copied (dynamic shapes too: the caller's buffer has the result's
  // extents, which CompiledFunction::run checks against the arguments').
  bufferization::BufferResultsToOutParamsPassOptions outParamOptions;
  outParamOptions.modifyPublicFunctions = true;
  outParamOptions.hoistStaticAllocs = true;
  outParamOptions.hoistDynamicAllocs = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParamOptions));
  bufferization::BufferDeallocationPipelineOptions deallocOptions;
  bufferization::buildBufferDeallocationPipeline(pm, deallocOptions);
  // The tile program's linalg ops and work-item loop (no-ops otherwise).
  pm.addNestedPass<func::FuncOp>(attn::createCopiesToLinalg());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
}

/// From loops on buffers to the LLVM dialect.
static void addLoopsToLLVM(OpPassManager &pm, bool emulateBF16Dot,
                           bool runtimeAllocator, bool vnniInt8Dot = false,
                           bool cse = false) {
  // The quantized Q K^T kernel's byte dot products: buffer deallocation
  // (above) refuses llvm.call_intrinsic, so vpdpbusd is emitted here.
  attn::LowerInt8DotOptions int8Options;
  int8Options.int8Dot = vnniInt8Dot ? "vnni" : "emulated";
  pm.addPass(attn::createLowerInt8Dot(int8Options));
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // Before arith-expand: the emulation widens and narrows with arith ops.
  if (emulateBF16Dot)
    pm.addPass(attn::createEmulateBF16Dot());
  // bf16 conversions become integer code: the JIT has no bf16 libcalls.
  arith::ArithExpandOpsPassOptions expandOptions;
  expandOptions.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expandOptions));
  pm.addPass(attn::createApproximateVectorMath());
  // x86vector ops (the bf16-dot kernels) become x86 intrinsics.
  ConvertVectorToLLVMPassOptions vectorOptions;
  vectorOptions.x86Vector = true;
  pm.addPass(createConvertVectorToLLVMPass(vectorOptions));
  // Lowered vector.contracts (the GPU kernels' warp-level tile products run
  // on the CPU) start from ub.poison.
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  // What LLVM has no intrinsic for (tanh, erf, atan, ...) calls libm.
  pm.addPass(createConvertMathToLibmPass());
  // With a runtime allocator, memref.alloc / dealloc call the generic
  // _mlir_memref_to_llvm_* functions, which the JIT binds to its workspace
  // cache (lib/JIT/Workspace.h); otherwise malloc and free.
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  memrefOptions.useGenericFunctions = runtimeAllocator;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  // Every memref access lowers to its own extractvalues of the descriptor
  // and its own index arithmetic; on shape-generic code (dynamic strides)
  // that is most of the module. One CSE here removes about a fifth of the
  // LLVM IR that translation, LLVM's optimizer and code generation would
  // otherwise carry until their own CSE (compile time, docs/performance.md).
  if (cse)
    pm.addPass(createCSEPass());
}

void attn::buildCPUUntiledPipeline(OpPassManager &pm, bool runtimeAllocator) {
  buildCPULoweringToLLVM(pm, /*emulateBF16Dot=*/false, runtimeAllocator);
}

void attn::buildCPUTileLoopsPipeline(OpPassManager &pm,
                                     const TileLoopsPipelineOptions &options) {
  AttnToTileOptions tiling;
  tiling.tileQ = options.tileQ;
  tiling.tileKv = options.tileKv;
  tiling.splitKv = options.splitKv;
  tiling.linearChunk = options.linearChunk;
  tiling.regroupSelection = options.regroupSelection;
  pm.addNestedPass<func::FuncOp>(createAttnToTile(tiling));
  // Pre-quantized INT4 operands arrive packed two per byte.
  pm.addNestedPass<func::FuncOp>(createPackInt4Arguments());
  if (options.vectorWidth) {
    ConvertAttnTileToVectorOptions vectorOptions;
    vectorOptions.vectorWidth = options.vectorWidth;
    vectorOptions.bf16Dot = options.bf16Dot;
    pm.addNestedPass<func::FuncOp>(
        createConvertAttnTileToVector(vectorOptions));
  }
  pm.addNestedPass<func::FuncOp>(createConvertAttnTileToLoops());
  addBufferizationToLoops(pm);
  // Work items allocate and free their own buffers by now: independent.
  pm.addPass(createParallelLoopsToRuntime());
  addLoopsToLLVM(pm, options.emulateBF16Dot, options.runtimeAllocator,
                 options.vnniInt8Dot, /*cse=*/true);
}

void attn::buildCPULoweringToLLVM(OpPassManager &pm, bool emulateBF16Dot,
                                  bool runtimeAllocator) {
  addBufferizationToLoops(pm);
  addLoopsToLLVM(pm, emulateBF16Dot, runtimeAllocator);
}

void attn::registerCPUPipelineDependencies(DialectRegistry &registry) {
  registry.insert<vector::VectorDialect, x86vector::X86VectorDialect,
                  arith::ArithDialect, bufferization::BufferizationDialect,
                  func::FuncDialect, LLVM::LLVMDialect, math::MathDialect,
                  memref::MemRefDialect, scf::SCFDialect,
                  tensor::TensorDialect, linalg::LinalgDialect,
                  tile::AttnTileDialect>();
  // Ahead of vector's models: it replaces upstream's transfer_write model.
  registerTransferWriteBufferization(registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  // Out-param hoisting and deallocation need memref.alloc's interface.
  memref::registerAllocationOpInterfaceExternalModels(registry);
  // Without these, ownership-based deallocation cannot see through
  // scf.forall's in_parallel terminator or arith.select of buffers, and
  // silently leaves the tile program's per-work-item buffers unfreed.
  scf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  arith::registerBufferDeallocationOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  // The tile program's vector kernels read and write tensors.
  vector::registerBufferizableOpInterfaceExternalModels(registry);
}

namespace {
/// The textual options of attn-cpu-tile-vector.
struct TileVectorPipelineOptions
    : public PassPipelineOptions<TileVectorPipelineOptions> {
  Option<int64_t> tileQ{*this, "tile-q", llvm::cl::desc("queries per tile"),
                        llvm::cl::init(32)};
  Option<int64_t> tileKv{*this, "tile-kv", llvm::cl::desc("keys per tile"),
                         llvm::cl::init(64)};
  Option<int64_t> vectorWidth{*this, "vector-width",
                              llvm::cl::desc("f32 lanes (4, 8 or 16)"),
                              llvm::cl::init(8)};
  Option<bool> vnniInt8Dot{
      *this, "vnni-int8-dot",
      llvm::cl::desc("quantized Q K^T by vpdpbusd (needs avx512vnni, and "
                     "avx512vl below 16 lanes) instead of its emulation"),
      llvm::cl::init(false)};
  Option<bool> bf16Dot{
      *this, "bf16-dot",
      llvm::cl::desc("Q K^T and P V of bf16 operands by vdpbf16ps (needs "
                     "avx512bf16, and avx512vl for 8 lanes)"),
      llvm::cl::init(false)};
  Option<bool> emulateBF16Dot{
      *this, "emulate-bf16-dot",
      llvm::cl::desc("with bf16-dot: the dot products as portable vector "
                     "code (attn-emulate-bf16-dot)"),
      llvm::cl::init(false)};
};
} // namespace

void attn::registerAttnPipelines() {
  PassPipelineRegistration<>(
      "attn-cpu-untiled",
      "Lower attn specs to the LLVM dialect for the CPU (untiled lowering)",
      [](OpPassManager &pm) { buildCPUUntiledPipeline(pm); });
  PassPipelineRegistration<>(
      "attn-cpu-tile-loops",
      "Lower attn specs to the LLVM dialect for the CPU through the tile "
      "program (attn-to-tile) and its portable loops lowering: "
      "shape-generic, not vectorized",
      [](OpPassManager &pm) { buildCPUTileLoopsPipeline(pm, {}); });
  PassPipelineRegistration<TileVectorPipelineOptions>(
      "attn-cpu-tile-vector",
      "Lower attn specs to the LLVM dialect for the CPU through the tile "
      "program with the key loop's vector kernels",
      [](OpPassManager &pm, const TileVectorPipelineOptions &textOptions) {
        TileLoopsPipelineOptions options;
        options.tileQ = textOptions.tileQ;
        options.tileKv = textOptions.tileKv;
        options.vectorWidth = textOptions.vectorWidth;
        options.vnniInt8Dot = textOptions.vnniInt8Dot;
        options.bf16Dot = textOptions.bf16Dot;
        options.emulateBF16Dot = textOptions.emulateBF16Dot;
        buildCPUTileLoopsPipeline(pm, options);
      });
}
