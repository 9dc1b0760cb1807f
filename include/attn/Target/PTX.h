//===- PTX.h - PTX emission for attn specs ---------------------*- C++ -*-===//
//
// Contract between the GPU lowering (lib/Conversion/AttnToGPU,
// lib/Target/PTX) and its users (attn-opt pipelines, the library emitter,
// the Python bindings).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TARGET_PTX_H
#define ATTN_TARGET_PTX_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace attn::gpu {

struct PTXOptions {
  /// One of supportedChips().
  std::string chip = "sm_80";
  /// PTX features; empty: the PTX version the chip needs
  /// (ptxFeaturesFor).
  std::string features;
  int optLevel = 3;
};

/// The architectures the kernels are compiled for: sm_80 and newer (they
/// use cp.async and bf16 mma.sync), as far as LLVM 22 and the CUDA 13
/// ptxas know them: sm_80, sm_86, sm_87, sm_89, sm_90, sm_90a, sm_100,
/// sm_100a, sm_120, sm_120a.
llvm::ArrayRef<llvm::StringRef> supportedChips();

/// The PTX ISA version `chip` needs, as an LLVM feature: +ptx80 up to
/// sm_90a, +ptx86 for sm_100, +ptx87 for sm_120.
std::string ptxFeaturesFor(llvm::StringRef chip);

/// Checks a PTX target: the chip is supported (an older or unknown one is
/// refused by name), the optimization level is 0-3 and explicit features
/// name a PTX version. The pipelines, compileKernel, attn-emit-lib and the
/// Python package call it before compiling.
llvm::Error checkPTXOptions(const PTXOptions &options);

/// The PTX text of function `funcName` of `spec`, whose attn.attention has
/// static shapes (specialize first, see attn/Runner/Runner.h). The module is
/// cloned, not modified.
llvm::Expected<std::string> emitPTX(mlir::ModuleOp spec,
                                    llvm::StringRef funcName,
                                    const PTXOptions &options = {});

} // namespace attn::gpu

#endif // ATTN_TARGET_PTX_H
