//===- SpecSource.h - read a spec with located diagnostics -----*- C++ -*-===//
//
// How the command-line tools read a spec. The file's text is kept for as
// long as the module is worked on, so that every diagnostic of the context,
// from the parser and from whatever later looks at the module (binding,
// the verifier, lowering), is printed as FILE:LINE:COL with its source line.
//
// Only forward declarations of MLIR here: the tools that include this are
// slow enough to compile already.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUNNER_SPECSOURCE_H
#define ATTN_RUNNER_SPECSOURCE_H

#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>

namespace mlir {
class MLIRContext;
class ModuleOp;
} // namespace mlir

namespace attn {

/// Loads the dialects a spec is written in: attn, func, arith, math and
/// tensor. The one list, shared by the tools and the unit tests that parse
/// specs (ReferenceTest, ReferenceExtensionsTest, BlockClassificationTest).
void loadSpecDialects(mlir::MLIRContext &context);

/// Moves the module the parser wraps around a file's top-level operations
/// from FILE:0:0, a position no diagnostic printer can show, to FILE:1:1, so
/// that errors about the module as a whole (binding: no or no such entry
/// function) point into the file too. Modules with any other location,
/// e.g. a `module` written in the file, are left alone.
void locateImplicitModule(mlir::ModuleOp module);

/// One spec file and the diagnostic handler that points into it. While it
/// lives, diagnostics emitted in its context go to stderr (without a dump of
/// the offending op: they point into the file); keep it at least as long as
/// the module it parsed.
class SpecSource {
public:
  explicit SpecSource(mlir::MLIRContext &context);
  ~SpecSource();
  SpecSource(const SpecSource &) = delete;
  SpecSource &operator=(const SpecSource &) = delete;

  /// Reads and parses `path` ("-" reads stdin); one file per SpecSource.
  /// Null when the file cannot be read, with `readError` saying why (the
  /// tool words its own error from it), or when it does not parse, with the
  /// parser's diagnostics already printed and `readError` left empty. The
  /// module is located with locateImplicitModule.
  mlir::OwningOpRef<mlir::ModuleOp> parseFile(llvm::StringRef path,
                                              std::string &readError);

private:
  struct State;
  std::unique_ptr<State> state;
};

} // namespace attn

#endif // ATTN_RUNNER_SPECSOURCE_H
