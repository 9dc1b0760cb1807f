//===- CPUJit.cpp - compile specs for the CPU and run them ----------------===//

#include "attn/JIT.h"
#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/TargetSelect.h"

using namespace mlir;
using namespace attn;

CompiledFunction::~CompiledFunction() = default;

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

static std::optional<DType> dtypeOf(Type type) {
  if (type.isF64()) return DType::F64;
  if (type.isF32()) return DType::F32;
  if (type.isF16()) return DType::F16;
  if (type.isBF16()) return DType::BF16;
  if (type.isInteger(64) || type.isIndex()) return DType::I64;
  if (type.isInteger(32)) return DType::I32;
  if (type.isInteger(8)) return DType::I8;
  if (type.isInteger(1)) return DType::I1;
  return std::nullopt;
}

llvm::Expected<std::unique_ptr<CompiledFunction>>
CompiledFunction::compile(ModuleOp spec, llvm::StringRef funcName) {
  static const bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;

  MLIRContext *ctx = spec.getContext();
  OwningOpRef<ModuleOp> module(cast<ModuleOp>(spec->clone()));
  auto func = module->lookupSymbol<func::FuncOp>(funcName);
  if (!func)
    return makeError("no function '" + funcName + "' in the spec");

  std::unique_ptr<CompiledFunction> result(new CompiledFunction());
  for (Type t : func.getArgumentTypes()) {
    auto shaped = dyn_cast<RankedTensorType>(t);
    std::optional<DType> dt = shaped ? dtypeOf(shaped.getElementType())
                                     : std::nullopt;
    if (!dt)
      return makeError("unsupported argument type in '" + funcName + "'");
    result->argInfo.push_back({*dt, shaped.getRank()});
  }
  for (Type t : func.getResultTypes()) {
    auto shaped = dyn_cast<RankedTensorType>(t);
    std::optional<DType> dt = shaped ? dtypeOf(shaped.getElementType())
                                     : std::nullopt;
    if (!dt)
      return makeError("unsupported result type in '" + funcName + "'");
    result->resultInfo.push_back({*dt, shaped.getRank()});
  }
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
  PassManager pm(ctx, ModuleOp::getOperationName());
  buildCPUUntiledPipeline(pm);
  if (failed(pm.run(*module)))
    return makeError("lowering to LLVM failed:\n" + diagnostics);

  ExecutionEngineOptions options;
  options.transformer = makeOptimizingTransformer(3, 0, nullptr);
  options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(*module, options);
  if (!engine)
    return makeError("JIT compilation failed: " +
                     llvm::toString(engine.takeError()) + "\n" + diagnostics);
  result->engine = std::move(*engine);
  result->entry = ("_mlir_ciface_" + funcName).str();
  return result;
}

llvm::Error CompiledFunction::run(llvm::ArrayRef<const NDArray *> args,
                                  llvm::ArrayRef<NDArray *> results) {
  if (args.size() != argInfo.size() || results.size() != resultInfo.size())
    return makeError("expected " + llvm::Twine(argInfo.size()) +
                     " arguments and " + llvm::Twine(resultInfo.size()) +
                     " results, got " + llvm::Twine(args.size()) + " and " +
                     llvm::Twine(results.size()));
  // One strided memref descriptor per buffer: {allocated, aligned, offset,
  // sizes[rank], strides[rank]}, all 64-bit.
  std::vector<std::vector<int64_t>> descriptors;
  auto addDescriptor = [&](const NDArray &array, const ArgInfo &info,
                           llvm::StringRef what, size_t index) -> llvm::Error {
    if (array.dtype() != info.dtype || array.rank() != info.rank)
      return makeError(what + " " + llvm::Twine(index) + " must be a rank-" +
                       llvm::Twine(info.rank) + " " + dtypeName(info.dtype) +
                       " array, got rank " + llvm::Twine(array.rank()) + " " +
                       dtypeName(array.dtype()));
    std::vector<int64_t> desc(3 + 2 * info.rank);
    auto ptr = reinterpret_cast<int64_t>(array.data());
    desc[0] = desc[1] = ptr;
    desc[2] = 0;
    int64_t stride = 1;
    for (int64_t d = info.rank - 1; d >= 0; --d) {
      desc[3 + d] = array.shape()[d];
      desc[3 + info.rank + d] = stride;
      stride *= array.shape()[d];
    }
    descriptors.push_back(std::move(desc));
    return llvm::Error::success();
  };
  for (auto [i, a] : llvm::enumerate(args))
    if (llvm::Error err = addDescriptor(*a, argInfo[i], "argument", i))
      return err;
  for (auto [i, r] : llvm::enumerate(results))
    if (llvm::Error err = addDescriptor(*r, resultInfo[i], "result", i))
      return err;

  std::vector<void *> descriptorPointers;
  for (auto &d : descriptors)
    descriptorPointers.push_back(d.data());
  llvm::SmallVector<void *> packed;
  for (void *&p : descriptorPointers)
    packed.push_back(&p);
  if (llvm::Error err = engine->invokePacked(entry, packed))
    return err;
  return llvm::Error::success();
}
