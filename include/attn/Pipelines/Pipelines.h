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

/// Options of the tiled CPU pipeline.
struct CPUPipelineOptions {
  int64_t tileQ = 0;       // 0: four vectors
  int64_t tileKv = 64;
  int64_t vectorWidth = 8; // f32 lanes: 8 for AVX2, 16 for AVX-512
  bool workPartition = false;
};

/// The tiled path: convert-attn-to-cpu (static shapes), then everything
/// else as in the untiled pipeline (ops left untiled go through
/// convert-attn-to-loops), vector math approximated by polynomials and the
/// vector dialect lowered to LLVM.
void buildCPUTiledPipeline(mlir::OpPassManager &pm,
                           const CPUPipelineOptions &options);

/// The part of the CPU pipelines after the attn lowerings.
void buildCPULoweringToLLVM(mlir::OpPassManager &pm);

/// Dialects and external interface models (bufferization of arith, tensor,
/// scf, func) the CPU pipelines need; attn-opt gets them from
/// registerAllExtensions, a JIT context from here.
void registerCPUPipelineDependencies(mlir::DialectRegistry &registry);

/// Registers the pipelines above with the pass registry
/// (`attn-opt --attn-cpu-untiled`, `attn-opt --attn-cpu`).
void registerAttnPipelines();

} // namespace attn

#endif // ATTN_PIPELINES_PIPELINES_H
