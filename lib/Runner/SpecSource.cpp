//===- SpecSource.cpp - read a spec with located diagnostics --------------===//

#include "attn/Runner/SpecSource.h"
#include "attn/Support/SourceNesting.h"

#include "attn/Dialect/Attn/AttnDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/SourceMgr.h"

#include <cassert>

using namespace mlir;
using namespace attn;

void attn::loadSpecDialects(MLIRContext &context) {
  context.loadDialect<AttnDialect, func::FuncDialect, arith::ArithDialect,
                      math::MathDialect, tensor::TensorDialect>();
}

void attn::locateImplicitModule(ModuleOp module) {
  auto loc = dyn_cast<FileLineColLoc>(module.getLoc());
  if (loc && loc.getLine() == 0)
    module->setLoc(FileLineColLoc::get(loc.getFilename(), 1, 1));
}

struct SpecSource::State {
  explicit State(MLIRContext &context)
      : context(context), handler(sourceMgr, &context) {}
  MLIRContext &context;
  // Declared before the handler, which refers to it.
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler;
};

SpecSource::SpecSource(MLIRContext &context)
    : state(std::make_unique<State>(context)) {
  // Diagnostics point at the spec; a dump of the generic form adds noise.
  context.printOpOnDiagnostic(false);
}

SpecSource::~SpecSource() = default;

OwningOpRef<ModuleOp> SpecSource::parseFile(llvm::StringRef path,
                                            std::string &readError) {
  // parseSourceFile parses the SourceMgr's main (first) buffer only.
  assert(state->sourceMgr.getNumBuffers() == 0 &&
         "one spec file per SpecSource");
  std::unique_ptr<llvm::MemoryBuffer> file = openInputFile(path, &readError);
  if (!file)
    return nullptr;
  llvm::StringRef text = file->getBuffer();
  std::string name = file->getBufferIdentifier().str();
  state->sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  if (std::optional<SourcePosition> deep = findExcessiveNesting(text)) {
    emitError(FileLineColLoc::get(&state->context, name, deep->line,
                                  deep->column))
        << excessiveNestingMessage();
    return nullptr;
  }
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(state->sourceMgr, &state->context);
  if (module)
    locateImplicitModule(*module);
  return module;
}
