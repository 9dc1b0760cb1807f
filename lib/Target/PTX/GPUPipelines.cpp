//===- GPUPipelines.cpp - the GPU pipelines (CPU view, launch, PTX) -------===//

#include "attn/Conversion/Passes.h"
#include "attn/Transforms/Passes.h"
#include "attn/Pipelines/Pipelines.h"
#include "attn/Target/GPU.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileSystem.h"

#include <cstdlib>

using namespace mlir;

static attn::ConvertAttnTileToGPUOptions tilingOptions(
    const attn::gpu::GPUTileOptions &tiles) {
  attn::ConvertAttnTileToGPUOptions o;
  o.tileQ = tiles.tileQ;
  o.tileKv = tiles.tileKv;
  o.threads = tiles.threads;
  o.splitKv = tiles.splitKv;
  o.maxSharedBytes = tiles.maxSharedBytes;
  o.useTensorCores = tiles.useTensorCores;
  o.asyncCopies = tiles.asyncCopies;
  o.accumulatorFragments = tiles.accumulatorFragments;
  o.registerSoftmax = tiles.registerSoftmax;
  return o;
}

/// attn-to-tile and convert-attn-tile-to-gpu: the pre-mapping kernel of
/// every spec, read from its tile program.
static void addKernelPasses(OpPassManager &pm,
                            const attn::gpu::GPUTileOptions &tiles) {
  // The forms the GPU kernels implement: one work item per query tile, the
  // split-KV form (whose splits the kernel chooses) and the O(N) forms of
  // linear attention (chunked causal, global), which the linear kernel runs
  // (LinearKernel.h). The kernels choose their own tiles, splits and chunk
  // (convert-attn-tile-to-gpu: the chunk is tile-kv); given ones go to
  // both.
  attn::AttnToTileOptions program;
  if (tiles.tileQ > 0) {
    program.tileQ = tiles.tileQ;
    program.tileKv = tiles.tileKv;
  }
  program.splitKv = tiles.splitKv == 1 ? 1 : 0; // 0: the split form
  // (The value only selects the O(N) forms; the kernel's chunk is its own,
  // so a tile-kv past attn-to-tile's limit is the kernel's to refuse.)
  program.linearChunk =
      tiles.tileKv > 0 ? std::min<int64_t>(tiles.tileKv, 1024) : 64;
  pm.addNestedPass<func::FuncOp>(attn::createAttnToTile(program));
  pm.addNestedPass<func::FuncOp>(
      attn::createConvertAttnTileToGPU(tilingOptions(tiles)));
}

void attn::gpu::buildPreMappingOnCPUPipeline(OpPassManager &pm,
                                             const GPUTileOptions &tiles) {
  addKernelPasses(pm, tiles);
  // Before the memory spaces go: the copies' verifier wants shared memory.
  pm.addPass(attn::createGPUSerializeAsyncCopies());
  // Sibling thread-level foralls run one after the other: the implied
  // barriers hold.
  pm.addPass(createForallToForLoopPass());
  pm.addPass(attn::createGPUEraseMemorySpaces());
  // The tensor-core stages' 2-D transfers: 1-D ones, which the CPU lowering
  // to LLVM handles (it lowers vector.contract itself).
  VectorTransferToSCFOptions toSCF;
  toSCF.enableFullUnroll(true);
  pm.addNestedPass<func::FuncOp>(createConvertVectorToSCFPass(toSCF));
  pm.addPass(attn::createGPUWidenContractions());
}

void attn::gpu::buildGPUOnCPUPipeline(OpPassManager &pm,
                                      const GPUTileOptions &tiles) {
  buildPreMappingOnCPUPipeline(pm, tiles);
  buildCPULoweringToLLVM(pm);
}

void attn::gpu::buildGPULaunchPipeline(OpPassManager &pm,
                                       const GPUTileOptions &tiles) {
  addKernelPasses(pm, tiles);
  bufferization::OneShotBufferizePassOptions bufferizeOptions;
  bufferizeOptions.bufferizeFunctionBoundaries = true;
  bufferizeOptions.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOptions));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.modifyPublicFunctions = true;
  outParams.hoistStaticAllocs = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  // No canonicalization before the mapping: it could fold or merge the
  // thread-level foralls.
  pm.addPass(attn::createGPULaneExchange());
  pm.addPass(attn::createGPUMapForalls());
  pm.addPass(attn::createGPUPrivatizeThreadState());
  pm.addPass(attn::createGPUDynamicSharedMemory());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Constants hoisted out of the launch by canonicalization go back in:
  // they must not become kernel parameters.
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
}

void attn::gpu::buildGPUToPTXPipeline(OpPassManager &pm,
                                      const GPUTileOptions &tiles,
                                      const PTXOptions &ptx,
                                      llvm::StringRef format) {
  buildGPULaunchPipeline(pm, tiles);
  pm.addPass(createGpuKernelOutliningPass());
  // A spec function's kernels (split-KV: two) in one PTX image.
  pm.addPass(attn::createGPUMergeKernelModules());
  // Shared memory per SM usable by blocks (CUDA's per-architecture limits).
  attn::GPUOccupancyHintOptions occupancy;
  llvm::StringRef chip = ptx.chip;
  if (chip == "sm_80" || chip == "sm_87")
    occupancy.sharedPerSM = 167936;
  else if (chip == "sm_86" || chip == "sm_89")
    occupancy.sharedPerSM = 102400;
  else if (chip.starts_with("sm_90"))
    occupancy.sharedPerSM = 233472;
  pm.addPass(attn::createGPUOccupancyHint(occupancy));
  GpuNVVMAttachTargetOptions target;
  target.chip = ptx.chip;
  target.features =
      ptx.features.empty() ? ptxFeaturesFor(ptx.chip) : ptx.features;
  target.optLevel = ptx.optLevel;
  pm.addPass(createGpuNVVMAttachTarget(target));

  OpPassManager &device = pm.nest<mlir::gpu::GPUModuleOp>();
  // Tensor-core stages: ldmatrix + mma.sync, before affine.apply (their
  // indices) is lowered.
  device.addPass(attn::createGPUWarpMMAToNVGPU());
  // INT8 Q K^T's word products: dp4a, before the vector ops are lowered.
  device.addPass(attn::createGPUDotAccumulate4Way());
  // O's accumulator tiles, now per-lane loads and stores: registers.
  device.addPass(attn::createGPUPrivatizeWarpState());
  device.addPass(createConvertNVGPUToNVVMPass());
  device.addPass(createSCFToControlFlowPass());
  device.addPass(memref::createExpandStridedMetadataPass());
  device.addPass(createLowerAffinePass());
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  // Kernel parameters are plain device pointers (static shapes): what the
  // generated launcher passes.
  nvvm.useBarePtrCallConv = true;
  device.addPass(createConvertGpuOpsToNVVMOps(nvvm));
  device.addPass(attn::createGPUFastExp2());
  device.addPass(createCanonicalizerPass());
  device.addPass(createCSEPass());
  device.addPass(createReconcileUnrealizedCastsPass());
  device.addPass(attn::createGPUExternDynamicSharedMemory());

  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = format.str();
  // The toolkit provides libdevice (linked for tanh, log, ...) and ptxas
  // (format=bin). MLIR looks at CUDA_ROOT, CUDA_HOME and CUDA_PATH; the
  // default install location comes last.
  for (const char *env : {"ATTN_CUDA_PATH", "CUDA_ROOT", "CUDA_HOME",
                          "CUDA_PATH"})
    if (const char *path = std::getenv(env); path && *path) {
      binary.toolkitPath = path;
      break;
    }
  if (binary.toolkitPath.empty() &&
      llvm::sys::fs::exists("/usr/local/cuda/nvvm/libdevice/libdevice.10.bc"))
    binary.toolkitPath = "/usr/local/cuda";
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

namespace {
struct GPUPipelineCLOptions
    : public PassPipelineOptions<GPUPipelineCLOptions> {
  Option<int64_t> tileQ{*this, "tile-q",
                        llvm::cl::desc("Queries per tile (0: automatic)"),
                        llvm::cl::init(0)};
  Option<int64_t> tileKv{*this, "tile-kv",
                         llvm::cl::desc("Keys per tile (0: automatic); the "
                                        "linear-attention kernel's chunk"),
                         llvm::cl::init(0)};
  Option<int64_t> threads{*this, "threads",
                          llvm::cl::desc("Threads per block"),
                          llvm::cl::init(128)};
  Option<int64_t> splitKv{
      *this, "split-kv",
      llvm::cl::desc("Key splits of one-pass specs (0: automatic, aiming at "
                     "264 blocks; N: at most N; 1: none)"),
      llvm::cl::init(1)};
  Option<int64_t> maxSharedBytes{
      *this, "max-shared-bytes",
      llvm::cl::desc("Shared-memory budget for automatic tiles"),
      llvm::cl::init(101376)};
  Option<bool> useTensorCores{
      *this, "use-tensor-cores",
      llvm::cl::desc("Tensor cores for f16/bf16 inputs"), llvm::cl::init(true)};
  Option<bool> asyncCopies{
      *this, "async-copies",
      llvm::cl::desc("Double-buffered K/V tiles copied with cp.async"),
      llvm::cl::init(true)};
  Option<bool> accumulatorFragments{
      *this, "accumulator-fragments",
      llvm::cl::desc("Tensor cores: O in mma accumulators across key tiles"),
      llvm::cl::init(true)};
  Option<bool> registerSoftmax{
      *this, "register-softmax",
      llvm::cl::desc("Tensor cores: S, P and the softmax in registers"),
      llvm::cl::init(true)};
  Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("sm_80, sm_86, sm_87, sm_89, sm_90, sm_90a, sm_100, "
                     "sm_100a, sm_120, sm_120a"),
      llvm::cl::init("sm_80")};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features (default: the PTX version the chip needs)"),
      llvm::cl::init("")};
  Option<int> optLevel{*this, "O", llvm::cl::desc("Optimization level"),
                       llvm::cl::init(3)};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("isa: PTX text; bin: cubin assembled by ptxas"),
      llvm::cl::init("isa")};

  attn::gpu::GPUTileOptions tiles() const {
    attn::gpu::GPUTileOptions o;
    o.tileQ = tileQ;
    o.tileKv = tileKv;
    o.threads = threads;
    o.splitKv = splitKv;
    o.maxSharedBytes = maxSharedBytes;
    o.useTensorCores = useTensorCores;
    o.asyncCopies = asyncCopies;
    o.accumulatorFragments = accumulatorFragments;
    o.registerSoftmax = registerSoftmax;
    return o;
  }
  attn::gpu::PTXOptions ptx() const {
    attn::gpu::PTXOptions o;
    o.chip = chip;
    o.features = features;
    o.optLevel = optLevel;
    return o;
  }
};
} // namespace

namespace {
/// Reports an invalid pipeline option as a located error on the module and
/// fails: pipeline registrations build passes and cannot fail themselves.
struct InvalidOptionPass
    : public PassWrapper<InvalidOptionPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(InvalidOptionPass)
  InvalidOptionPass(std::string pipeline, std::string message)
      : pipeline(std::move(pipeline)), message(std::move(message)) {}
  StringRef getArgument() const override { return "attn-invalid-option"; }
  void runOnOperation() override {
    getOperation().emitError() << pipeline << ": " << message;
    signalPassFailure();
  }
  std::string pipeline, message;
};

/// Adds the pipeline unless `options` are invalid, in which case the
/// pipeline reports why.
void buildChecked(OpPassManager &pm, StringRef name, llvm::Error error,
                  llvm::function_ref<void()> build) {
  if (error) {
    pm.addPass(std::make_unique<InvalidOptionPass>(
        name.str(), llvm::toString(std::move(error))));
    return;
  }
  build();
}
} // namespace

void attn::gpu::registerGPUPipelines() {
  PassPipelineRegistration<GPUPipelineCLOptions>(
      "attn-gpu-on-cpu",
      "Run the GPU kernels' pre-mapping IR on the CPU: attn-to-tile, "
      "convert-attn-tile-to-gpu, "
      "scf-forall-to-for, attn-gpu-erase-memory-spaces, CPU lowering to LLVM",
      [](OpPassManager &pm, const GPUPipelineCLOptions &o) {
        buildChecked(pm, "attn-gpu-on-cpu", checkGPUTileOptions(o.tiles()),
                     [&] { buildGPUOnCPUPipeline(pm, o.tiles()); });
      });
  PassPipelineRegistration<GPUPipelineCLOptions>(
      "attn-gpu-launch",
      "Lower attn specs to host functions with mapped gpu.launch kernels "
      "(shared memory, barriers), before outlining",
      [](OpPassManager &pm, const GPUPipelineCLOptions &o) {
        buildChecked(pm, "attn-gpu-launch", checkGPUTileOptions(o.tiles()),
                     [&] { buildGPULaunchPipeline(pm, o.tiles()); });
      });
  PassPipelineRegistration<GPUPipelineCLOptions>(
      "attn-gpu-ptx",
      "Lower attn specs to GPU kernels and compile them to PTX "
      "(gpu.binary with format=isa)",
      [](OpPassManager &pm, const GPUPipelineCLOptions &o) {
        llvm::Error error = checkGPUTileOptions(o.tiles());
        if (!error)
          error = checkPTXOptions(o.ptx());
        if (!error && o.format != "isa" && o.format != "bin")
          error = llvm::createStringError("format must be isa or bin, got '" +
                                          o.format + "'");
        buildChecked(pm, "attn-gpu-ptx", std::move(error), [&] {
          buildGPUToPTXPipeline(pm, o.tiles(), o.ptx(), o.format);
        });
      });
}
