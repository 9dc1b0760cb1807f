//===- spec_fuzzer.cpp - libFuzzer target: parse, verify and bind a spec --===//
//
// Each input is parsed as an MLIR module in a fresh context holding the
// dialects a spec is written in (attn, func, arith, math, tensor), as the
// tools read a spec; the parser runs the verifier. A module that verifies
// is taken further the way attn-run and attn-blockmap take a spec: every
// function holding an attn.attention is bound (bindSpec), specialized to a
// small problem (the op verifier then checks every extent) and its block
// classification is computed for a few heads. Diagnostics go to a handler
// that drops them: a refusal is fine, a crash, a sanitizer report or a hang
// is a finding.
//
// A fresh context per input keeps the inputs independent (a reproducer
// crashes alone) and the memory flat: a context never frees the types and
// attributes it uniqued.
//
//===----------------------------------------------------------------------===//

#include "attn/Analysis/BlockClassification.h"
#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/Runner/Runner.h"
#include "attn/Runner/SpecSource.h"
#include "attn/Support/SourceNesting.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

using namespace mlir;
using namespace attn;

namespace {
/// Bounds on the problem an input is classified for, so that each input
/// stays cheap: static extents in a spec may be anything.
constexpr int64_t kMaxLength = 1024;
constexpr int64_t kMaxHeads = 64;
constexpr int64_t kMaxOther = 256;
/// Heads classified per op and the tile size (a 64 x 64 grid at most).
constexpr int64_t kHeadsClassified = 4;
constexpr TileSizes kTiles{16, 16};
} // namespace

static bool isSmall(const ProblemSize &size) {
  auto within = [](int64_t extent, int64_t limit) {
    return extent > 0 && extent <= limit;
  };
  return within(size.nq, kMaxLength) && within(size.nk, kMaxLength) &&
         within(size.hq, kMaxHeads) && within(size.hkv, kMaxHeads) &&
         within(size.b, kMaxOther) && within(size.d, kMaxOther) &&
         within(size.dv, kMaxOther);
}

/// The element type and shape of every argument of the bound function for
/// `size`, as specializeToTypes wants them; failure when an argument has no
/// host dtype or no shape for this size.
static FailureOr<SmallVector<std::pair<DType, SmallVector<int64_t, 4>>>>
argumentTypes(const SpecBinding &binding, const ProblemSize &size) {
  SmallVector<std::pair<DType, SmallVector<int64_t, 4>>> types;
  for (auto [n, type] : llvm::enumerate(binding.func.getArgumentTypes())) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    std::optional<DType> dtype =
        tensor ? dtypeOfElement(tensor.getElementType()) : std::nullopt;
    llvm::Expected<std::vector<int64_t>> shape = argShape(binding, n, size);
    if (!dtype || !shape) {
      if (!shape)
        llvm::consumeError(shape.takeError());
      return failure();
    }
    types.push_back({*dtype, SmallVector<int64_t, 4>(shape->begin(), shape->end())});
  }
  return types;
}

/// Classifies the tiles of the first heads of the specialized module's op.
static void classifyHeads(ModuleOp specialized, const ProblemSize &size) {
  specialized.walk([&](AttentionOp op) {
    ClassificationProblem problem{size.hq, size.nq, size.nk, size.b};
    for (int64_t h = 0; h < std::min(size.hq, kHeadsClassified); ++h)
      (void)classifyBlocks(op, h, problem, kTiles);
  });
}

/// What attn-run does to a spec before compiling it: bind, choose a
/// problem size, specialize and verify; then classify its blocks.
static void exerciseFunction(ModuleOp module, func::FuncOp func) {
  FailureOr<SpecBinding> binding = bindSpec(module, func.getSymName());
  if (failed(binding))
    return;
  ProblemSize size = defaultProblemSize(*binding);
  if (!isSmall(size))
    return;
  auto types = argumentTypes(*binding, size);
  if (failed(types))
    return;
  auto specialized = specializeToTypes(*binding, *types);
  if (succeeded(specialized))
    classifyHeads(**specialized, size);
}

static void exerciseModule(ModuleOp module) {
  SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
  for (func::FuncOp func : funcs) {
    bool hasAttention = false;
    func.walk([&](AttentionOp) { hasAttention = true; });
    if (hasAttention)
      exerciseFunction(module, func);
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext context(MLIRContext::Threading::DISABLED);
  loadSpecDialects(context);
  // The verifier would print the offending op with each diagnostic.
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler dropAll(&context,
                                  [](Diagnostic &) { return success(); });
  // Every tool refuses a source nested too deep before parsing it (the
  // parser's recursion would overflow the stack; SourceNesting.h).
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  if (attn::findExcessiveNesting(text))
    return 0;
  // A copy: the lexer, like the tools' MemoryBuffer, relies on a trailing
  // NUL that libFuzzer's buffer lacks.
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "fuzz-input.mlir"),
      llvm::SMLoc());
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (module)
    exerciseModule(*module);
  return 0;
}
