//===- PTX.h - PTX emission for attn specs ---------------------*- C++ -*-===//
//
// Contract between the GPU lowering (lib/Conversion/AttnToGPU,
// lib/Target/PTX) and its users (attn-opt pipelines, the library emitter,
// the Python bindings).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TARGET_PTX_H
#define ATTN_TARGET_PTX_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace attn::gpu {

struct PTXOptions {
  std::string chip = "sm_80";    // sm_80, sm_90, sm_90a
  std::string features = "+ptx80";
  int optLevel = 3;
};

/// The PTX text of function `funcName` of `spec`, whose attn.attention has
/// static shapes (specialize first, see attn/Runner/Runner.h). The module is
/// cloned, not modified.
llvm::Expected<std::string> emitPTX(mlir::ModuleOp spec,
                                    llvm::StringRef funcName,
                                    const PTXOptions &options = {});

} // namespace attn::gpu

#endif // ATTN_TARGET_PTX_H
