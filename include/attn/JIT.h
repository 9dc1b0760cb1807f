//===- JIT.h - compile attn specs for the CPU and run them -----*- C++ -*-===//
//
// In-process compilation of a spec function to native code through MLIR's
// ExecutionEngine. Errors are values (llvm::Error), never aborts.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_JIT_H
#define ATTN_JIT_H

#include "attn/Support/NDArray.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace mlir {
class ModuleOp;
class ExecutionEngine;
} // namespace mlir

namespace attn {

/// A spec function compiled for the host CPU.
class CompiledFunction {
public:
  ~CompiledFunction();

  /// Compiles function `funcName` of `spec` (attn ops on tensors). The module
  /// is cloned; `spec` is not modified.
  static llvm::Expected<std::unique_ptr<CompiledFunction>>
  compile(mlir::ModuleOp spec, llvm::StringRef funcName);

  /// Runs the function. `args` are its arguments in order; `results` its
  /// results, already shaped by the caller. Element types and ranks are
  /// checked against the signature.
  llvm::Error run(llvm::ArrayRef<const NDArray *> args,
                  llvm::ArrayRef<NDArray *> results);

private:
  CompiledFunction() = default;
  struct ArgInfo {
    DType dtype;
    int64_t rank;
  };
  std::unique_ptr<mlir::ExecutionEngine> engine;
  std::string entry;
  std::vector<ArgInfo> argInfo, resultInfo;
};

} // namespace attn

#endif // ATTN_JIT_H
