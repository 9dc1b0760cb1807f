//===- CPUJit.cpp - compile specs for the CPU and run them ----------------===//

#include "attn/JIT.h"
#include "ParallelRuntime.h"
#include "Workspace.h"
#include "attn/Conversion/ParallelRuntime.h"
#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/Pipelines/Pipelines.h"
#include "attn/Transforms/TileProgramLimits.h"
#include "attn/Runner/Runner.h"
#include "attn/Support/SourceNesting.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <thread>

using namespace mlir;
using namespace attn;

/// Set by an atexit handler registered at the first compilation: kernels
/// destroyed after it (a static KernelCache) leak their engine, whose
/// destructor would run JIT deinitializers against LLVM statics that are
/// already gone.
static std::atomic<bool> processExiting{false};

CompiledFunction::~CompiledFunction() {
  if (processExiting)
    (void)engine.release();
}

/// LLVM's x86 backend legalizes vector bf16 selects (which the optimizer
/// forms from scalar ones, e.g. the NaN case of the expanded f32 -> bf16
/// truncation) through compiler-rt's __truncsfbf2, which neither libgcc 12
/// nor the JIT's process provides. Round to nearest even, NaN kept quiet.
extern "C" __bf16 attnJitTruncSFBF2(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  uint16_t out;
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    out = static_cast<uint16_t>((bits >> 16) | 0x40);
  else
    out = static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1)) >> 16);
  __bf16 result;
  std::memcpy(&result, &out, sizeof out);
  return result;
}

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

std::string CompileOptions::key() const {
  return ("lowering" + llvm::Twine(static_cast<int>(lowering)) +
          (portableTiles ? "/portable" : "") + "/split" +
          llvm::Twine(splitKv) + "/chunk" + llvm::Twine(linearChunk) + "/" +
          llvm::Twine(tileQ) + "/" +
          llvm::Twine(tileKv) + "/" + llvm::Twine(vectorWidth) + "/" +
          llvm::Twine(threads) + "/" + cpu + "/" + features + "/bf16dot" +
          llvm::Twine(static_cast<int>(bf16Dot)) + "/int8dot" +
          llvm::Twine(static_cast<int>(int8Dot)))
      .str();
}

static void initializeTargets() {
  static const bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;
}

/// The LLVM CPU named by ATTN_HOST_CPU, which the JIT then treats as the
/// host (its features, not the machine's): an AVX2 host (`haswell`) is
/// simulated on any newer x86-64, whose hardware runs the code. Empty when
/// unset.
static llvm::StringRef simulatedHostCPU() {
  static const std::string cpu = [] {
    const char *env = std::getenv("ATTN_HOST_CPU");
    return std::string(env ? env : "");
  }();
  return cpu;
}

/// The subtarget of the simulated host CPU (null when none is simulated or
/// LLVM does not know the name).
static const llvm::MCSubtargetInfo *simulatedHostSubtarget() {
  static const std::unique_ptr<llvm::MCSubtargetInfo> subtarget =
      []() -> std::unique_ptr<llvm::MCSubtargetInfo> {
    if (simulatedHostCPU().empty())
      return nullptr;
    initializeTargets();
    llvm::Triple triple(llvm::sys::getProcessTriple());
    std::string error;
    const llvm::Target *target =
        llvm::TargetRegistry::lookupTarget(triple, error);
    if (!target)
      return nullptr;
    std::unique_ptr<llvm::MCSubtargetInfo> info(
        target->createMCSubtargetInfo(triple, simulatedHostCPU(), ""));
    if (!info || !info->isCPUStringValid(simulatedHostCPU()))
      return nullptr;
    return info;
  }();
  return subtarget.get();
}

/// Whether the host (the simulated one under ATTN_HOST_CPU) has `feature`
/// (an LLVM feature name without '+').
static bool hostHasFeature(llvm::StringRef feature) {
  if (!simulatedHostCPU().empty()) {
    const llvm::MCSubtargetInfo *info = simulatedHostSubtarget();
    return info && info->checkFeatures(("+" + feature).str());
  }
  return llvm::sys::getHostCPUFeatures().lookup(feature);
}

static llvm::StringRef hostCPUName() {
  return simulatedHostCPU().empty() ? llvm::sys::getHostCPUName()
                                    : simulatedHostCPU();
}

int64_t attn::hostVectorWidth() {
  return hostHasFeature("avx512f") ? 16 : 8;
}

/// Whether an attention op of `module` has bf16 Q, K and V (the ops the
/// bf16-dot kernels apply to).
static bool usesBF16Operands(ModuleOp module) {
  bool found = false;
  module->walk([&](attn::AttentionOp op) {
    found |= llvm::all_of(
        ValueRange{op.getQuery(), op.getKey(), op.getValue()}, [](Value v) {
          return cast<ShapedType>(v.getType()).getElementType().isBF16();
        });
  });
  return found;
}

/// `features` as a target feature string: "+a,+b".
static std::string featureString(llvm::ArrayRef<llvm::StringRef> features) {
  std::string text;
  for (llvm::StringRef f : features)
    text += (text.empty() ? "+" : ",+") + f.str();
  return text;
}

/// The features vdpbf16ps needs on `vectorWidth` lanes, in LLVM's names.
static llvm::SmallVector<llvm::StringRef, 2> bf16DotFeatures(int64_t width) {
  if (width == 16)
    return {"avx512bf16", "avx512f"};
  return {"avx512bf16", "avx512vl"};
}

bool attn::hostHasBF16Dot(int64_t vectorWidth) {
  if (vectorWidth != 8 && vectorWidth != 16)
    return false;
  return llvm::all_of(bf16DotFeatures(vectorWidth), hostHasFeature);
}

/// Whether vdpbf16ps retires as many multiply-adds per cycle as f32 FMAs
/// on `cpu` (LLVM's name), so the bf16-dot kernels, which need half the
/// instructions, are the faster ones: AMD Zen 4 and 5 (measured on Zen 4:
/// 0.58-0.74x the widening kernels' time). Intel's AVX512-BF16 parts run it
/// at half the f32 FMA rate (measured on a Sapphire Rapids-class host: the
/// bf16-dot kernels at 0.66-1.0x the widening ones' speed).
static bool hasFullRateBF16Dot(llvm::StringRef cpu) {
  return cpu == "znver4" || cpu == "znver5";
}

bool attn::hostPrefersBF16Dot(int64_t vectorWidth) {
  return hostHasBF16Dot(vectorWidth) && hasFullRateBF16Dot(hostCPUName());
}

/// Whether the bf16-dot kernels are compiled. Auto: the vdpbf16ps kernels
/// where the target and this host have the instruction and the CPU runs it
/// at full rate (hasFullRateBF16Dot), widening elsewhere
/// (docs/performance.md). `target` is the explicit target machine,
/// null for the host. An explicit request that cannot run is an error: the
/// JIT executes the code in this process, so the host must have the
/// instructions too.
static llvm::Expected<bool>
resolveBF16Dot(const CompileOptions &options, int64_t width,
               const llvm::TargetMachine *target) {
  using Mode = CompileOptions::BF16Dot;
  if (options.bf16Dot == Mode::Off ||
      options.lowering == CompileOptions::Lowering::Untiled)
    return false;
  if (options.bf16Dot == Mode::Emulate)
    return true;
  bool widthFits = width == 8 || width == 16;
  std::string needed =
      widthFits ? featureString(bf16DotFeatures(width)) : std::string();
  bool hostHas = widthFits && hostHasBF16Dot(width);
  bool targetHas =
      widthFits &&
      (target ? target->getMCSubtargetInfo()->checkFeatures(needed) : hostHas);
  if (options.bf16Dot == Mode::Auto)
    return !options.portableTiles && targetHas && hostHas &&
           hasFullRateBF16Dot(options.cpu.empty() ? hostCPUName()
                                                  : llvm::StringRef(options.cpu));
  if (!widthFits)
    return makeError("bf16-dot=on needs 8 or 16 f32 lanes per vector, got " +
                     llvm::Twine(width));
  if (!targetHas)
    return makeError("bf16-dot=on: the target (cpu '" +
                     (options.cpu.empty() ? hostCPUName()
                                          : llvm::StringRef(options.cpu)) +
                     "', features '" + options.features + "') lacks " +
                     needed + " for " + llvm::Twine(width) +
                     "-lane vdpbf16ps; use bf16-dot=emulate or off");
  if (!hostHas)
    return makeError("bf16-dot=on: this host (" + hostCPUName() +
                     ") lacks " + needed +
                     " and the JIT runs the kernel here; cross-compile with "
                     "attn-opt or use bf16-dot=emulate");
  return true;
}

/// The features vpdpbusd needs on `vectorWidth` i32 lanes, in LLVM's names.
static llvm::SmallVector<llvm::StringRef, 2> int8DotFeatures(int64_t width) {
  if (width == 16)
    return {"avx512vnni"};
  return {"avx512vnni", "avx512vl"};
}

bool attn::hostHasInt8Dot(int64_t vectorWidth) {
  if (vectorWidth != 4 && vectorWidth != 8 && vectorWidth != 16)
    return false;
  return llvm::all_of(int8DotFeatures(vectorWidth), hostHasFeature);
}

/// Whether the quantized Q K^T kernel uses vpdpbusd (else its emulation).
/// Auto takes it where both the target and this host (which runs the JIT's
/// code) have the features; an explicit VNNI that cannot run is an error,
/// never an illegal instruction at run time.
static llvm::Expected<bool>
resolveInt8Dot(const CompileOptions &options, int64_t width,
               const llvm::TargetMachine *target) {
  using Mode = CompileOptions::Int8Dot;
  if (options.int8Dot == Mode::Emulated)
    return false;
  std::string needed = featureString(int8DotFeatures(width));
  bool targetHas = !target || target->getMCSubtargetInfo()->checkFeatures(needed);
  bool usable = targetHas && hostHasInt8Dot(width);
  if (options.int8Dot == Mode::Auto || usable)
    return usable;
  std::string who =
      targetHas ? "this host (" + hostCPUName().str() + ")" : "the target";
  return makeError("int8-dot=vnni: " + who + " lacks " + needed + " for " +
                   llvm::Twine(width) + "-lane vpdpbusd; use int8-dot=emulated");
}

BufferView BufferView::of(NDArray &array) {
  BufferView view;
  view.data = array.data();
  view.dtype = array.dtype();
  view.shape.assign(array.shape().begin(), array.shape().end());
  view.strides.resize(view.shape.size());
  int64_t stride = 1;
  for (int64_t d = view.shape.size() - 1; d >= 0; --d) {
    view.strides[d] = stride;
    stride *= view.shape[d];
  }
  return view;
}

BufferView BufferView::of(const NDArray &array) {
  return of(const_cast<NDArray &>(array));
}

/// An option of one lowering path set for another (empty when none): it
/// would be ignored, and the kernel would not be the one asked for.
static std::string optionsForOtherPath(const CompileOptions &options) {
  CompileOptions defaults;
  if (!options.tileProgram()) {
    if (options.portableTiles)
      return "portable tiles apply to the tile program only";
    if (options.splitKv != defaults.splitKv)
      return "split-kv applies to the tile program only";
    if (options.linearChunk != defaults.linearChunk)
      return "linear-chunk applies to the tile program only";
    if (options.int8Dot != defaults.int8Dot)
      return "int8-dot applies to the tile program only";
  }
  if (options.lowering == CompileOptions::Lowering::Untiled &&
      (options.bf16Dot == CompileOptions::BF16Dot::On ||
       options.bf16Dot == CompileOptions::BF16Dot::Emulate))
    return "bf16-dot=on and bf16-dot=emulate apply to the tiled lowerings "
           "only (the untiled lowering widens bf16 to f32)";
  if (options.tileProgram() && options.portableTiles &&
      (options.bf16Dot == CompileOptions::BF16Dot::On ||
       options.bf16Dot == CompileOptions::BF16Dot::Emulate))
    return "bf16-dot=on and bf16-dot=emulate need the vector kernels (the "
           "portable tiles widen bf16 to f32)";
  return {};
}

static double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

/// The (argument, dimension) of `func` whose extent dimension `dim` of
/// `value` has, through ops that reify their result shapes (attn.attention)
/// and elementwise ops; argument -1 when it is a constant of the
/// signature; nullopt when it cannot be told.
static std::optional<std::pair<int, int64_t>>
argumentExtent(func::FuncOp func, Value value, int64_t dim, OpBuilder &b) {
  for (int depth = 0; depth < 64; ++depth) {
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      if (arg.getOwner() != &func.getBody().front())
        return std::nullopt;
      return std::make_pair(static_cast<int>(arg.getArgNumber()), dim);
    }
    Operation *op = value.getDefiningOp();
    if (auto reify = dyn_cast<ReifyRankedShapedTypeOpInterface>(op)) {
      ReifiedRankedShapedTypeDims shapes;
      b.setInsertionPoint(op);
      if (failed(reify.reifyResultShapes(b, shapes)))
        return std::nullopt;
      OpFoldResult reified =
          shapes[cast<OpResult>(value).getResultNumber()][dim];
      // A constant: the extent the signature's static shapes fix.
      if (isa<Attribute>(reified))
        return std::make_pair(-1, int64_t(0));
      auto dimOp = cast<Value>(reified).getDefiningOp<tensor::DimOp>();
      std::optional<int64_t> index =
          dimOp ? dimOp.getConstantIndex() : std::nullopt;
      if (!index)
        return std::nullopt;
      value = dimOp.getSource();
      dim = *index;
      continue;
    }
    if (op->hasTrait<OpTrait::Elementwise>() && op->getNumOperands() > 0 &&
        isa<RankedTensorType>(op->getOperand(0).getType())) {
      value = op->getOperand(0);
      continue;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

using ResultExtents =
    llvm::SmallVector<llvm::SmallVector<std::pair<int, int64_t>, 4>>;

/// Per result and dimension of `func`, the argument extent it equals (see
/// argumentExtent), found on a clone: reifying creates tensor.dim ops.
static llvm::Expected<ResultExtents> resultExtents(func::FuncOp func) {
  OwningOpRef<func::FuncOp> copy(func.clone());
  OpBuilder b(copy->getContext());
  Operation *ret = copy->getBody().front().getTerminator();
  bool staticArguments = llvm::all_of(func.getArgumentTypes(), [](Type t) {
    auto shaped = dyn_cast<ShapedType>(t);
    return shaped && shaped.hasStaticShape();
  });
  ResultExtents extents;
  for (auto [i, value] : llvm::enumerate(ret->getOperands())) {
    auto type = cast<RankedTensorType>(value.getType());
    auto &dims = extents.emplace_back();
    for (int64_t d = 0; d < type.getRank(); ++d) {
      auto source = argumentExtent(*copy, value, d, b);
      // Static shapes throughout: the signature fixes every extent.
      if (!source && !type.isDynamicDim(d) && staticArguments)
        source = std::make_pair(-1, int64_t(0));
      if (!source)
        return makeError("result " + llvm::Twine(i) + " dimension " +
                         llvm::Twine(d) + " of '" + func.getName() +
                         "' is not an extent of an argument: the kernel "
                         "could not check the caller's result buffer");
      dims.push_back(*source);
    }
  }
  return extents;
}

llvm::Expected<std::unique_ptr<CompiledFunction>>
CompiledFunction::compile(ModuleOp spec, llvm::StringRef funcName,
                          const CompileOptions &options) {
  initializeTargets();
  static const bool exitHandler = [] {
    std::atexit([] { processExiting = true; });
    return true;
  }();
  (void)exitHandler;
  if (options.vectorWidth != 0 && options.vectorWidth != 4 &&
      options.vectorWidth != 8 && options.vectorWidth != 16)
    return makeError("vector width must be 0 (automatic), 4, 8 or 16 f32 "
                     "lanes, got " +
                     llvm::Twine(options.vectorWidth));
  if (std::string mismatch = optionsForOtherPath(options); !mismatch.empty())
    return makeError(mismatch);
  auto start = std::chrono::steady_clock::now();
  MLIRContext *ctx = spec.getContext();
  OwningOpRef<ModuleOp> module(cast<ModuleOp>(spec->clone()));
  auto func = module->lookupSymbol<func::FuncOp>(funcName);
  if (!func)
    return makeError("no function '" + funcName + "' in the spec");

  std::unique_ptr<CompiledFunction> result(new CompiledFunction());
  auto describe = [&](Type t, const char *what)
      -> llvm::Expected<ArgInfo> {
    auto shaped = dyn_cast<RankedTensorType>(t);
    std::optional<DType> dt =
        shaped ? dtypeOfElement(shaped.getElementType()) : std::nullopt;
    if (!dt)
      return makeError(llvm::Twine("unsupported ") + what + " type in '" +
                       funcName + "'");
    ArgInfo info{*dt, {}, {}};
    for (int64_t d : shaped.getShape())
      info.shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
    return info;
  };
  for (Type t : func.getArgumentTypes()) {
    auto info = describe(t, "argument");
    if (!info)
      return info.takeError();
    result->argInfo.push_back(*info);
  }
  for (Type t : func.getResultTypes()) {
    auto info = describe(t, "result");
    if (!info)
      return info.takeError();
    result->resultInfo.push_back(*info);
  }
  auto extents = resultExtents(func);
  if (!extents)
    return extents.takeError();
  for (auto [info, dims] : llvm::zip(result->resultInfo, *extents))
    info.extentOf = dims;
  func->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));

  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerCPUPipelineDependencies(registry);
  ctx->appendDialectRegistry(registry);

  std::string diagnostics;
  llvm::raw_string_ostream diagStream(diagnostics);
  ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &diag) {
    diagStream << diag.getLocation() << ": " << diag << "\n";
    return success();
  });
  int64_t attentionOps = 0;
  module->walk([&](attn::AttentionOp) { ++attentionOps; });
  result->untiledOps = attentionOps;
  // An explicit target is built first: the bf16-dot decision reads its
  // features.
  std::unique_ptr<llvm::TargetMachine> targetMachine;
  std::string cpu = options.cpu;
  if (cpu.empty() && options.features.empty() && !simulatedHostCPU().empty()) {
    if (!simulatedHostSubtarget())
      return makeError("ATTN_HOST_CPU='" + simulatedHostCPU() +
                       "' is not a CPU that LLVM knows for " +
                       llvm::sys::getProcessTriple());
    cpu = simulatedHostCPU().str();
  }
  if (!cpu.empty() || !options.features.empty()) {
    auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!builder)
      return builder.takeError();
    // A CPU name without features means that CPU's features, not the
    // host's (which detectHost filled in).
    if (!cpu.empty()) {
      builder->setCPU(cpu);
      builder->getFeatures() = llvm::SubtargetFeatures();
    }
    if (!options.features.empty()) {
      llvm::SubtargetFeatures features;
      features.addFeaturesVector(
          llvm::SmallVector<std::string>{options.features});
      builder->getFeatures() = features;
    }
    auto tm = builder->createTargetMachine();
    if (!tm)
      return tm.takeError();
    targetMachine = std::move(*tm);
  }

  PassManager pm(ctx, ModuleOp::getOperationName());
  // An explicit target decides the width, not the host it is built on.
  int64_t targetWidth =
      targetMachine
          ? (targetMachine->getMCSubtargetInfo()->checkFeatures("+avx512f")
                 ? 16
                 : 8)
          : hostVectorWidth();
  if (options.tileProgram()) {
    TileLoopsPipelineOptions tiles;
    if (!options.portableTiles)
      tiles.vectorWidth =
          options.vectorWidth ? options.vectorWidth : targetWidth;
    // Automatic query tiles: four vectors for the vector kernels, 32 rows
    // for the portable lowering.
    tiles.tileQ = options.tileQ ? options.tileQ
                  : tiles.vectorWidth ? 4 * tiles.vectorWidth
                                      : tiles.tileQ;
    tiles.tileKv = options.tileKv;
    if (tiles.vectorWidth) {
      llvm::Expected<bool> vnni =
          resolveInt8Dot(options, tiles.vectorWidth, targetMachine.get());
      if (!vnni)
        return vnni.takeError();
      tiles.vnniInt8Dot = *vnni;
      result->int8Dot = *vnni ? "vnni" : "emulated";
    }
    tiles.splitKv = options.splitKv;
    tiles.linearChunk = options.linearChunk;
    if (tiles.vectorWidth) {
      llvm::Expected<bool> bf16Dot =
          resolveBF16Dot(options, tiles.vectorWidth, targetMachine.get());
      if (!bf16Dot)
        return bf16Dot.takeError();
      tiles.bf16Dot = *bf16Dot;
      tiles.emulateBF16Dot =
          options.bf16Dot == CompileOptions::BF16Dot::Emulate;
      if (*bf16Dot && usesBF16Operands(*module))
        result->bf16Dot = tiles.emulateBF16Dot ? "emulated" : "native";
    }
    std::string invalid = checkTileProgramOptions(
        tiles.tileQ, tiles.tileKv, tiles.splitKv, tiles.linearChunk);
    if (!invalid.empty())
      return makeError(invalid);
    result->tileQ = tiles.tileQ;
    result->tileKv = tiles.tileKv;
    result->lanes = tiles.vectorWidth;
    result->untiledOps = 0;
    result->tileProgramOps = attentionOps;
    tiles.runtimeAllocator = true;
    buildCPUTileLoopsPipeline(pm, tiles);
  } else {
    buildCPUUntiledPipeline(pm, /*runtimeAllocator=*/true);
  }
  if (failed(pm.run(*module)))
    return makeError("lowering to LLVM failed:\n" + diagnostics);
  result->mlirSeconds = secondsSince(start);

  ExecutionEngineOptions engineOptions;
  // engineOptions holds a function_ref: the transformer must outlive it.
  // It is timed (and its input counted) for compile-time measurements.
  auto optimize = makeOptimizingTransformer(3, 0, nullptr);
  auto transformer = [&](llvm::Module *m) -> llvm::Error {
    auto t0 = std::chrono::steady_clock::now();
    for (const llvm::Function &f : *m)
      result->irInstructions += f.getInstructionCount();
    llvm::Error err = optimize(m);
    result->optSeconds += secondsSince(t0);
    return err;
  };
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = targetMachine
                    ? ExecutionEngine::create(*module, engineOptions,
                                              std::move(targetMachine))
                    : ExecutionEngine::create(*module, engineOptions);
  if (!engine)
    return makeError("JIT compilation failed: " +
                     llvm::toString(engine.takeError()) + "\n" + diagnostics);
  result->engine = std::move(*engine);
  result->engine->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    symbols[interner("__truncsfbf2")] = {
        llvm::orc::ExecutorAddr::fromPtr(&attnJitTruncSFBF2),
        llvm::JITSymbolFlags::Exported};
    // The tile program's work items (attn-parallel-loops-to-runtime).
    symbols[interner(kParallelForFunction)] = {
        llvm::orc::ExecutorAddr::fromPtr(&attnJitParallelFor),
        llvm::JITSymbolFlags::Exported};
    // memref.alloc / dealloc (use-generic-functions): Workspace.h.
    symbols[interner("_mlir_memref_to_llvm_alloc")] = {
        llvm::orc::ExecutorAddr::fromPtr(&attnJitAlloc),
        llvm::JITSymbolFlags::Exported};
    symbols[interner("_mlir_memref_to_llvm_aligned_alloc")] = {
        llvm::orc::ExecutorAddr::fromPtr(&attnJitAlignedAlloc),
        llvm::JITSymbolFlags::Exported};
    symbols[interner("_mlir_memref_to_llvm_free")] = {
        llvm::orc::ExecutorAddr::fromPtr(&attnJitFree),
        llvm::JITSymbolFlags::Exported};
    return symbols;
  });
  result->entry = ("_mlir_ciface_" + funcName).str();
  // Initialize and look up once: ExecutionEngine::invokePacked initializes
  // lazily and is not safe to call from several threads at first.
  result->engine->initialize();
  auto packed = result->engine->lookupPacked(result->entry);
  if (!packed)
    return packed.takeError();
  result->packedEntry = *packed;
  result->threads = options.threads ? options.threads
                                    : std::max(1u, std::thread::hardware_concurrency());
  result->seconds = secondsSince(start);
  return result;
}

llvm::ThreadPoolInterface &attn::workerThreadPool() {
  static llvm::DefaultThreadPool pool(llvm::hardware_concurrency());
  return pool;
}

llvm::Error CompiledFunction::run(llvm::ArrayRef<const NDArray *> args,
                                  llvm::ArrayRef<NDArray *> results) const {
  llvm::SmallVector<BufferView> argViews, resultViews;
  for (const NDArray *a : args)
    argViews.push_back(BufferView::of(*a));
  for (NDArray *r : results)
    resultViews.push_back(BufferView::of(*r));
  return run(argViews, resultViews);
}

/// Whether `view` has row-major contiguous strides.
static bool isContiguous(const BufferView &view) {
  int64_t stride = 1;
  for (int64_t d = view.shape.size() - 1; d >= 0; --d) {
    if (view.shape[d] > 1 && view.strides[d] != stride)
      return false;
    stride *= view.shape[d];
  }
  return true;
}

/// Copies between a strided view and a contiguous buffer of the same shape.
static void copyStrided(const BufferView &view, char *packed, bool toPacked) {
  size_t elem = dtypeSize(view.dtype);
  int64_t rank = view.shape.size(), total = 1;
  for (int64_t d : view.shape)
    total *= d;
  llvm::SmallVector<int64_t, 4> index(rank, 0);
  char *base = static_cast<char *>(view.data);
  for (int64_t linear = 0; linear < total; ++linear) {
    int64_t offset = 0;
    for (int64_t d = 0; d < rank; ++d)
      offset += index[d] * view.strides[d];
    char *strided = base + offset * static_cast<int64_t>(elem);
    if (toPacked)
      std::memcpy(packed + linear * elem, strided, elem);
    else
      std::memcpy(strided, packed + linear * elem, elem);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < view.shape[d])
        break;
      index[d] = 0;
    }
  }
}

llvm::Error CompiledFunction::run(llvm::ArrayRef<BufferView> args,
                                  llvm::ArrayRef<BufferView> results) const {
  // Strided views (e.g. [B, N, H, D] tensors seen as [B, H, N, D]) are packed
  // into contiguous temporaries and results scattered back: the kernel is
  // compiled for row-major buffers.
  bool anyStrided = false;
  for (const BufferView &v : llvm::concat<const BufferView>(args, results)) {
    if (v.strides.size() != v.shape.size())
      return makeError("a buffer view needs one stride per dimension");
    for (int64_t st : v.strides)
      if (st < 0)
        return makeError("negative strides are not supported");
    anyStrided |= !isContiguous(v);
    // Packed i4 (two per byte) has no per-element address to stride.
    if (v.dtype == DType::I4 && !isContiguous(v))
      return makeError("an i4 buffer must be contiguous (row-major): its "
                       "values are packed two per byte");
  }
  if (anyStrided) {
    std::vector<std::vector<char>> storage;
    llvm::SmallVector<BufferView> packedArgs, packedResults;
    auto pack = [&](const BufferView &v, bool copyIn) {
      if (isContiguous(v))
        return v;
      int64_t total = 1;
      for (int64_t d : v.shape)
        total *= d;
      storage.emplace_back(total * dtypeSize(v.dtype));
      if (copyIn)
        copyStrided(v, storage.back().data(), /*toPacked=*/true);
      BufferView c = v;
      c.data = storage.back().data();
      int64_t stride = 1;
      for (int64_t d = c.shape.size() - 1; d >= 0; --d) {
        c.strides[d] = stride;
        stride *= c.shape[d];
      }
      return c;
    };
    storage.reserve(args.size() + results.size());
    for (const BufferView &v : args)
      packedArgs.push_back(pack(v, true));
    for (const BufferView &v : results)
      packedResults.push_back(pack(v, false));
    if (llvm::Error err = run(packedArgs, packedResults))
      return err;
    for (auto [orig, packed] : llvm::zip(results, packedResults))
      if (orig.data != packed.data)
        copyStrided(orig, static_cast<char *>(packed.data), /*toPacked=*/false);
    return llvm::Error::success();
  }
  if (args.size() != argInfo.size() || results.size() != resultInfo.size())
    return makeError("expected " + llvm::Twine(argInfo.size()) +
                     " arguments and " + llvm::Twine(resultInfo.size()) +
                     " results, got " + llvm::Twine(args.size()) + " and " +
                     llvm::Twine(results.size()));
  // One strided memref descriptor per buffer: {allocated, aligned, offset,
  // sizes[rank], strides[rank]}, all 64-bit.
  std::vector<std::vector<int64_t>> descriptors;
  auto addDescriptor = [&](const BufferView &view, const ArgInfo &info,
                           llvm::StringRef what, size_t index) -> llvm::Error {
    int64_t rank = info.shape.size();
    if (view.dtype != info.dtype || static_cast<int64_t>(view.shape.size()) != rank)
      return makeError(what + " " + llvm::Twine(index) + " must be a rank-" +
                       llvm::Twine(rank) + " " + dtypeName(info.dtype) +
                       " buffer, got rank " + llvm::Twine(view.shape.size()) +
                       " " + dtypeName(view.dtype));
    if (!view.data)
      return makeError(what + " " + llvm::Twine(index) + " has no data");
    int64_t stride = 1;
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (info.shape[d] >= 0 && view.shape[d] != info.shape[d])
        return makeError(what + " " + llvm::Twine(index) + " dimension " +
                         llvm::Twine(d) + " is " + llvm::Twine(view.shape[d]) +
                         " but the kernel was compiled for " +
                         llvm::Twine(info.shape[d]));
      stride *= view.shape[d];
    }
    // i4 is passed as its packed bytes, half the last extent
    // (attn-pack-int4-arguments).
    llvm::SmallVector<int64_t, 4> sizes(view.shape);
    if (info.dtype == DType::I4) {
      if (rank == 0 || sizes.back() % 2 != 0)
        return makeError(what + " " + llvm::Twine(index) +
                         " is i4, packed two values per byte along its last "
                         "dimension, which must be even");
      sizes.back() /= 2;
    }
    std::vector<int64_t> desc(3 + 2 * rank);
    auto ptr = reinterpret_cast<int64_t>(view.data);
    desc[0] = desc[1] = ptr;
    desc[2] = 0;
    stride = 1;
    for (int64_t d = rank - 1; d >= 0; --d) {
      desc[3 + d] = sizes[d];
      desc[3 + rank + d] = stride;
      stride *= sizes[d];
    }
    descriptors.push_back(std::move(desc));
    return llvm::Error::success();
  };
  for (auto [i, a] : llvm::enumerate(args))
    if (llvm::Error err = addDescriptor(a, argInfo[i], "argument", i))
      return err;
  for (auto [i, r] : llvm::enumerate(results))
    if (llvm::Error err = addDescriptor(r, resultInfo[i], "result", i))
      return err;
  // The kernel writes each result in place with the extents the arguments
  // give it.
  for (auto [i, r] : llvm::enumerate(results))
    for (auto [d, source] : llvm::enumerate(resultInfo[i].extentOf)) {
      if (source.first < 0)
        continue;
      int64_t expected = args[source.first].shape[source.second];
      if (r.shape[d] != expected)
        return makeError("result " + llvm::Twine(i) + " dimension " +
                         llvm::Twine(d) + " is " + llvm::Twine(r.shape[d]) +
                         " but must be " + llvm::Twine(expected) +
                         " (argument " + llvm::Twine(source.first) +
                         " dimension " + llvm::Twine(source.second) + ")");
    }

  // The packed entry takes a pointer to each argument's descriptor pointer
  // (arguments, then results).
  std::vector<void *> descriptorPointers;
  for (auto &d : descriptors)
    descriptorPointers.push_back(const_cast<int64_t *>(d.data()));
  llvm::SmallVector<void *> packed;
  for (void *&pointer : descriptorPointers)
    packed.push_back(&pointer);
  // The kernel dispatches its own work items (attn_parallel_for) on the
  // worker pool, `threads` of them at most.
  ParallelForScope scope(workerThreadPool(), threads);
  packedEntry(packed.data());
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// KernelCache
//===----------------------------------------------------------------------===//

size_t KernelCache::size() const {
  std::lock_guard<std::mutex> lock(mutex);
  return entries.size();
}

size_t KernelCache::hits() const {
  std::lock_guard<std::mutex> lock(mutex);
  return hitCount;
}

size_t KernelCache::evictions() const {
  std::lock_guard<std::mutex> lock(mutex);
  return evictionCount;
}

llvm::Expected<std::shared_ptr<const CompiledFunction>>
KernelCache::getOrCompile(
    llvm::StringRef specText, llvm::StringRef funcName,
    llvm::ArrayRef<std::pair<DType, llvm::SmallVector<int64_t, 4>>> argTypes,
    const CompileOptions &options) {
  std::string key = (funcName + "\n" + options.key() + "\n").str();
  for (auto &[dtype, shape] : argTypes) {
    key += dtypeName(dtype).str() + ":";
    for (int64_t d : shape)
      key += std::to_string(d) + ",";
    key += ";";
  }
  key += "\n";
  key += specText.str();

  std::shared_ptr<Entry> entry;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto [it, inserted] = entries.try_emplace(key, nullptr);
    if (inserted)
      it->second = std::make_shared<Entry>();
    else
      ++hitCount;
    entry = it->second;
    entry->lastUse = ++clock;
    // Least recently used first; an entry still compiling is kept alive by
    // its waiters' shared_ptr and simply leaves the map.
    while (entries.size() > std::max<size_t>(capacity, 1)) {
      auto victim = entries.end();
      for (auto e = entries.begin(); e != entries.end(); ++e)
        if (e->second != entry &&
            (victim == entries.end() ||
             e->second->lastUse < victim->second->lastUse))
          victim = e;
      entries.erase(victim);
      ++evictionCount;
    }
  }
  std::call_once(entry->once, [&] {
    // Each kernel gets its own context: compilations never share state.
    auto context = std::make_unique<MLIRContext>();
    context->printOpOnDiagnostic(false);
    DialectRegistry registry;
    registry.insert<AttnDialect, func::FuncDialect>();
    registerCPUPipelineDependencies(registry);
    context->appendDialectRegistry(registry);
    context->loadAllAvailableDialects();
    std::string diagnostics;
    llvm::raw_string_ostream diagStream(diagnostics);
    ScopedDiagnosticHandler handler(context.get(), [&](Diagnostic &diag) {
      diagStream << diag.getLocation() << ": " << diag << "\n";
      return success();
    });
    if (std::optional<SourcePosition> deep = findExcessiveNesting(specText)) {
      entry->error = "cannot parse the spec: " + std::to_string(deep->line) +
                     ":" + std::to_string(deep->column) + ": " +
                     excessiveNestingMessage();
      return;
    }
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(specText, context.get());
    if (!module) {
      entry->error = "cannot parse the spec:\n" + diagnostics;
      return;
    }
    FailureOr<SpecBinding> binding = bindSpec(*module, funcName);
    if (failed(binding)) {
      entry->error = diagnostics;
      return;
    }
    auto specialized = specializeToTypes(*binding, argTypes);
    if (failed(specialized)) {
      entry->error = diagnostics;
      return;
    }
    auto compiled = CompiledFunction::compile(**specialized, funcName, options);
    if (!compiled) {
      entry->error = llvm::toString(compiled.takeError());
      return;
    }
    // The engine owns the generated code; the context may go.
    entry->kernel = std::shared_ptr<const CompiledFunction>(std::move(*compiled));
  });
  if (!entry->kernel) {
    // Not kept: a later request compiles again (the failure may have been
    // transient, and errors must not pin memory).
    std::lock_guard<std::mutex> lock(mutex);
    auto it = entries.find(key);
    if (it != entries.end() && it->second == entry)
      entries.erase(it);
    return makeError(entry->error);
  }
  return entry->kernel;
}
