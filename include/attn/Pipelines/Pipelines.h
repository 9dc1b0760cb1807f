//===- Pipelines.h - named attn-opt pipelines ------------------*- C++ -*-===//
#ifndef ATTN_PIPELINES_PIPELINES_H
#define ATTN_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

namespace attn {

/// Spec (attn on tensors) -> LLVM dialect for the host CPU through the
/// untiled lowering: convert-attn-to-loops, One-Shot Bufferize with
/// identity-layout function boundaries, results as out-params, buffer
/// deallocation, and the upstream conversions to LLVM.
void buildCPUUntiledPipeline(mlir::OpPassManager &pm);

/// Dialects and external interface models (bufferization of arith, tensor,
/// scf, func) the CPU pipelines need; attn-opt gets them from
/// registerAllExtensions, a JIT context from here.
void registerCPUPipelineDependencies(mlir::DialectRegistry &registry);

/// Registers the pipelines above with the pass registry
/// (`attn-opt --attn-cpu-untiled`).
void registerAttnPipelines();

} // namespace attn

#endif // ATTN_PIPELINES_PIPELINES_H
