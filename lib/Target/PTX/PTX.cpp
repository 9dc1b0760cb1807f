//===- PTX.cpp - compile attn specs to PTX kernels ------------------------===//

#include "attn/Target/PTX.h"
#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/Transforms/TransferWriteBufferization.h"
#include "attn/Target/GPU.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

using namespace mlir;

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

llvm::ArrayRef<llvm::StringRef> attn::gpu::supportedChips() {
  static const llvm::StringRef chips[] = {
      "sm_80", "sm_86",   "sm_87",  "sm_89",  "sm_90",
      "sm_90a", "sm_100", "sm_100a", "sm_120", "sm_120a"};
  return chips;
}

std::string attn::gpu::ptxFeaturesFor(llvm::StringRef chip) {
  if (chip.starts_with("sm_100"))
    return "+ptx86";
  if (chip.starts_with("sm_120"))
    return "+ptx87";
  return "+ptx80";
}

llvm::Error attn::gpu::checkPTXOptions(const PTXOptions &options) {
  llvm::StringRef chip = options.chip;
  if (!llvm::is_contained(supportedChips(), chip)) {
    std::string list;
    for (llvm::StringRef c : supportedChips())
      list += (list.empty() ? "" : ", ") + c.str();
    unsigned cc = 0;
    llvm::StringRef digits = chip;
    if (digits.consume_front("sm_") &&
        !digits.take_while(llvm::isDigit).getAsInteger(10, cc) && cc < 80)
      return makeError("GPU architecture '" + chip +
                       "' is older than sm_80, which the kernels need "
                       "(cp.async, bf16 mma.sync); supported: " +
                       list);
    return makeError("unsupported GPU architecture '" + chip +
                     "'; supported: " + list);
  }
  if (options.optLevel < 0 || options.optLevel > 3)
    return makeError("the PTX optimization level must be 0-3, got " +
                     llvm::Twine(options.optLevel));
  llvm::StringRef features = options.features;
  if (!features.empty() && !features.contains("+ptx"))
    return makeError("PTX features must name a PTX version (e.g. " +
                     ptxFeaturesFor(chip) + "), got '" + features + "'");
  return llvm::Error::success();
}

llvm::Error attn::gpu::checkGPUTileOptions(const GPUTileOptions &tiles) {
  if (tiles.tileQ < 0 || tiles.tileKv < 0 ||
      (tiles.tileQ == 0) != (tiles.tileKv == 0))
    return makeError("GPU tiles: tile-q and tile-kv must be both positive or "
                     "both 0 (automatic), got " +
                     llvm::Twine(tiles.tileQ) + " and " +
                     llvm::Twine(tiles.tileKv));
  if (tiles.threads <= 0 || tiles.threads % 32 != 0 ||
      tiles.threads > kMaxThreadsPerBlock)
    return makeError("GPU threads per block must be a positive multiple of 32 "
                     "up to " +
                     llvm::Twine(kMaxThreadsPerBlock) + ", got " +
                     llvm::Twine(tiles.threads));
  if (tiles.maxSharedBytes <= 0 ||
      tiles.maxSharedBytes > kMaxSharedBytesPerBlock)
    return makeError("GPU shared memory per block must be in [1, " +
                     llvm::Twine(kMaxSharedBytesPerBlock) + "] bytes, got " +
                     llvm::Twine(tiles.maxSharedBytes));
  return llvm::Error::success();
}

int64_t attn::gpu::maxSharedBytesFor(llvm::StringRef chip) {
  unsigned cc = 0;
  if (chip.consume_front("sm_") &&
      !chip.take_while(llvm::isDigit).getAsInteger(10, cc) &&
      (cc == 90 || cc == 100))
    return 115712;
  return 101376;
}

void attn::gpu::registerGPUDependencies(DialectRegistry &registry) {
  registry.insert<attn::AttnDialect>();
  // Before registerAllDialects: replaces upstream's transfer_write model.
  attn::registerTransferWriteBufferization(registry);
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
}

static std::string typeName(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

llvm::Expected<attn::gpu::KernelInfo>
attn::gpu::compileKernel(ModuleOp spec, llvm::StringRef funcName,
                         const PTXOptions &ptx, const GPUTileOptions &tiles) {
  if (llvm::Error err = checkPTXOptions(ptx))
    return std::move(err);
  if (llvm::Error err = checkGPUTileOptions(tiles))
    return std::move(err);
  MLIRContext *ctx = spec.getContext();
  DialectRegistry registry;
  registerGPUDependencies(registry);
  ctx->appendDialectRegistry(registry);

  OwningOpRef<ModuleOp> module(cast<ModuleOp>(spec->clone()));
  auto func = module->lookupSymbol<func::FuncOp>(funcName);
  if (!func)
    return makeError("no function '" + funcName + "' in the spec");
  // Only the kernel and what it references are compiled: another function
  // of the spec (e.g. one with dynamic shapes) is not this kernel's concern
  // and would fail the GPU pipeline.
  llvm::SmallPtrSet<Operation *, 8> used = {func};
  SmallVector<Operation *> work = {func};
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (auto uses = SymbolTable::getSymbolUses(op))
      for (const SymbolTable::SymbolUse &use : *uses)
        if (Operation *callee =
                SymbolTable::lookupSymbolIn(*module, use.getSymbolRef()))
          if (used.insert(callee).second)
            work.push_back(callee);
  }
  for (auto other :
       llvm::make_early_inc_range(module->getOps<FunctionOpInterface>()))
    if (!used.contains(other))
      other->erase();
  KernelInfo info;
  info.funcName = funcName.str();
  // Several branches combined (issue 16) run on the CPU only so far.
  bool multiBranch = false;
  func.walk([&](Operation *op) {
    multiBranch |= isa<BranchMergeOp, GatedSumOp, PoolBlocksOp>(op);
  });
  if (multiBranch)
    return makeError("'" + funcName +
                     "': a multi-branch spec (attn.merge, attn.gated_sum, "
                     "attn.pool_blocks) has no GPU lowering yet (it runs on "
                     "the CPU tile program)");
  unsigned numAttn = 0;
  func.walk([&](AttentionOp op) {
    ++numAttn;
    for (Value v : op->getOperands())
      if (!cast<ShapedType>(v.getType()).hasStaticShape())
        numAttn = 1000;
  });
  if (numAttn != 1)
    return makeError("'" + funcName +
                     "' must hold exactly one attn.attention with static "
                     "shapes (specialize the spec to shapes first)");
  // Host arguments that are Q, K and V (cp.async needs them aligned).
  std::optional<unsigned> queryArg, keyArg, valueArg;
  func.walk([&](AttentionOp op) {
    auto argOf = [&](Value v) -> std::optional<unsigned> {
      if (auto arg = dyn_cast<BlockArgument>(v))
        if (arg.getOwner() == &func.getBody().front())
          return arg.getArgNumber();
      return std::nullopt;
    };
    queryArg = argOf(op.getQuery());
    keyArg = argOf(op.getKey());
    valueArg = argOf(op.getValue());
  });
  for (auto [i, t] : llvm::enumerate(func.getArgumentTypes())) {
    auto shaped = dyn_cast<RankedTensorType>(t);
    if (!shaped)
      return makeError("argument " + llvm::Twine(i) + " is not a tensor");
    KernelInfo::Buffer buf;
    buf.elementType = typeName(shaped.getElementType());
    buf.shape.assign(shaped.getShape().begin(), shaped.getShape().end());
    if (auto name = func.getArgAttrOfType<StringAttr>(i, "attn.name"))
      buf.name = name.str();
    info.buffers.push_back(buf);
  }
  for (auto [i, t] : llvm::enumerate(func.getResultTypes())) {
    auto shaped = cast<RankedTensorType>(t);
    KernelInfo::Buffer buf;
    buf.elementType = typeName(shaped.getElementType());
    buf.shape.assign(shaped.getShape().begin(), shaped.getShape().end());
    buf.isResult = true;
    info.buffers.push_back(buf);
  }

  std::string diagnostics;
  llvm::raw_string_ostream diagStream(diagnostics);
  ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error ||
        diag.getSeverity() == DiagnosticSeverity::Warning)
      diagStream << diag.getLocation() << ": " << diag << "\n";
    return success();
  });
  PassManager pm(ctx, ModuleOp::getOperationName());
  buildGPUToPTXPipeline(pm, tiles, ptx);
  if (failed(pm.run(*module)))
    return makeError("GPU compilation of '" + funcName + "' failed:\n" +
                     (diagnostics.empty()
                          ? std::string("a pass of the GPU pipeline failed "
                                        "without a diagnostic (a bug: please "
                                        "report the spec)")
                          : diagnostics));

  func = module->lookupSymbol<func::FuncOp>(funcName);
  if (auto t = func->getAttrOfType<IntegerAttr>("attn.gpu.tile_q"))
    info.tileQ = t.getInt();
  if (auto t = func->getAttrOfType<IntegerAttr>("attn.gpu.tile_kv"))
    info.tileKv = t.getInt();
  info.asyncCopies = func->hasAttr("attn.gpu.async_copies");
  info.tensorCores = func->hasAttr("attn.gpu.tensor_cores");
  info.registerSoftmax = func->hasAttr("attn.gpu.register_softmax");
  for (auto [arg, attr] : {std::pair{queryArg, "attn.gpu.query_alignment"},
                           std::pair{keyArg, "attn.gpu.key_alignment"},
                           std::pair{valueArg, "attn.gpu.value_alignment"}})
    if (auto a = func->getAttrOfType<IntegerAttr>(attr)) {
      if (!arg)
        return makeError("Q, K or V of '" + funcName +
                         "' is not a function argument; asynchronous copies "
                         "need its alignment checked (async-copies=false)");
      info.buffers[*arg].alignment = a.getInt();
    }
  SmallVector<mlir::gpu::LaunchFuncOp> launches;
  func.walk([&](mlir::gpu::LaunchFuncOp op) { launches.push_back(op); });
  // A block selection adds its pooling and selection kernels and their
  // global buffers before the attention kernel (SelectionKernel.h): the
  // library's one-launch host code does not run them yet.
  if (func->hasAttr("attn.gpu.selection_kernels"))
    return makeError("'" + funcName + "' has a block selection: its pooling "
                     "and selection kernels run before the attention kernel, "
                     "and the library form (one launch, no scratch buffers) "
                     "has no such host code yet (attn-opt --attn-gpu-ptx "
                     "compiles all three kernels)");
  if (launches.size() != 1)
    return makeError("expected one kernel launch in '" + funcName + "', got " +
                     llvm::Twine(launches.size()));
  mlir::gpu::LaunchFuncOp launch = launches.front();
  info.kernelName = launch.getKernelName().str();
  auto constant = [](Value v) -> std::optional<int64_t> {
    APInt value;
    if (v && matchPattern(v, m_ConstantInt(&value)))
      return value.getSExtValue();
    return std::nullopt;
  };
  mlir::gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
  mlir::gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
  Value dims[6] = {grid.x, grid.y, grid.z, block.x, block.y, block.z};
  for (int d = 0; d < 6; ++d) {
    std::optional<int64_t> c = constant(dims[d]);
    if (!c)
      return makeError("non-constant launch dimensions");
    (d < 3 ? info.grid[d] : info.block[d - 3]) = *c;
  }
  if (Value smem = launch.getDynamicSharedMemorySize()) {
    std::optional<int64_t> c = constant(smem);
    if (!c)
      return makeError("non-constant dynamic shared memory size");
    info.dynamicSharedBytes = *c;
  }
  for (Value operand : launch.getKernelOperands()) {
    auto arg = dyn_cast<BlockArgument>(operand);
    if (!arg || arg.getOwner() != &func.getBody().front())
      return makeError("kernel parameter is not an argument of '" + funcName +
                       "' (constant tensors captured by the spec are not "
                       "supported on the GPU yet)");
    info.params.push_back(arg.getArgNumber());
  }
  if (func.getNumArguments() != info.buffers.size())
    return makeError("unexpected host signature after bufferization");

  auto binary = module->lookupSymbol<mlir::gpu::BinaryOp>(
      launch.getKernelModuleName());
  if (!binary || binary.getObjects().empty())
    return makeError("no gpu.binary for kernel module " +
                     launch.getKernelModuleName().getValue());
  auto object = cast<mlir::gpu::ObjectAttr>(binary.getObjects()[0]);
  info.ptx = object.getObject().getValue().str();
  // gpu-module-to-binary links libdevice from the CUDA toolkit; without it
  // the PTX keeps unresolved __nv_* externs that ptxas rejects.
  size_t pos = info.ptx.find(".extern .func");
  if (pos != std::string::npos) {
    size_t end = info.ptx.find('\n', pos);
    return makeError(
        "the PTX of '" + funcName + "' calls an undefined function (" +
        info.ptx.substr(pos, end - pos) +
        "): libdevice was not linked; set CUDA_PATH to the CUDA toolkit" +
        (diagnostics.empty() ? "" : ":\n" + diagnostics));
  }
  return info;
}

llvm::Expected<std::string> attn::gpu::emitPTX(ModuleOp spec,
                                               llvm::StringRef funcName,
                                               const PTXOptions &options) {
  auto info = compileKernel(spec, funcName, options);
  if (!info)
    return info.takeError();
  return info->ptx;
}
