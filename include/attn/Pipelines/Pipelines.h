//===- Pipelines.h - named attn-opt pipelines ------------------*- C++ -*-===//
#ifndef ATTN_PIPELINES_PIPELINES_H
#define ATTN_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

namespace attn {

/// Spec (attn on tensors) -> LLVM dialect for the host CPU through the
/// untiled lowering: convert-attn-to-loops, One-Shot Bufferize with
/// identity-layout function boundaries, results as out-params, buffer
/// deallocation, and the upstream conversions to LLVM.
/// `runtimeAllocator`: allocations call the generic
/// _mlir_memref_to_llvm_alloc/_free functions, which the caller provides
/// (the JIT's workspace cache), instead of malloc and free.
void buildCPUUntiledPipeline(mlir::OpPassManager &pm,
                             bool runtimeAllocator = false);

/// Options of the tile-program pipeline.
struct TileLoopsPipelineOptions {
  int64_t tileQ = 32;
  int64_t tileKv = 32;
  /// The split-KV form with at most this many key splits (1: none).
  int64_t splitKv = 1;
  /// Chunk of the chunked linear-attention form (0: quadratic form).
  int64_t linearChunk = 64;
  /// f32 lanes of the key loop's vector kernels
  /// (convert-attn-tile-to-vector); 0 keeps the portable scalar lowering
  /// only.
  int64_t vectorWidth = 0;
  /// The vector kernels' i8 dot products (quantized Q K^T): vpdpbusd
  /// (needs avx512vnni, plus avx512vl below 16 lanes) or emulated.
  bool vnniInt8Dot = false;
  /// bf16 operands: the vdpbf16ps kernels (convert-attn-tile-to-vector's
  /// bf16-dot; vector width 8 or 16), which need avx512bf16 (and
  /// avx512vl for 8 lanes) unless emulated.
  bool bf16Dot = false;
  /// Rewrite the AVX512-BF16 ops into portable vector code
  /// (attn-emulate-bf16-dot): the bf16-dot kernels run on any x86-64.
  bool emulateBF16Dot = false;
  /// See buildCPUUntiledPipeline.
  bool runtimeAllocator = false;
  /// attn-to-tile's regroup-selection: per-token selections gather the
  /// queries of each key block instead of visiting the union of a query
  /// tile's blocks.
  bool regroupSelection = true;
};
/// Through the tile program: attn-to-tile, convert-attn-tile-to-vector (with
/// a vector width), convert-attn-tile-to-loops, then the rest as in the
/// untiled pipeline. Shape-generic (dynamic B, H, Nq, Nk, D).
void buildCPUTileLoopsPipeline(mlir::OpPassManager &pm,
                               const TileLoopsPipelineOptions &options);
/// The part of the CPU pipelines after the attn lowerings. x86vector ops
/// lower to LLVM's x86 intrinsics, or to portable vector code with
/// `emulateBF16Dot`.
void buildCPULoweringToLLVM(mlir::OpPassManager &pm,
                            bool emulateBF16Dot = false,
                            bool runtimeAllocator = false);

/// Dialects and external interface models (bufferization of arith, tensor,
/// scf, func) the CPU pipelines need; attn-opt gets them from
/// registerAllExtensions, a JIT context from here.
void registerCPUPipelineDependencies(mlir::DialectRegistry &registry);

/// Registers the pipelines above with the pass registry
/// (`attn-opt --attn-cpu-untiled`, `attn-opt --attn-cpu-tile-loops`,
/// `attn-opt --attn-cpu-tile-vector`).
void registerAttnPipelines();

} // namespace attn

#endif // ATTN_PIPELINES_PIPELINES_H
