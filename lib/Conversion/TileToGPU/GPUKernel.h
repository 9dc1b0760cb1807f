//===- GPUKernel.h - the pre-mapping GPU kernel of one spec -----*- C++ -*-===//
//
// The FlashAttention-2 kernel in its form before thread mapping (a
// block-level scf.forall over the work items, shared-memory tiles, sibling
// thread-level scf.foralls; see convert-attn-tile-to-gpu in Passes.td),
// built from a GPUSpec: what one work item computes, as
// convert-attn-tile-to-gpu reads it from the tile program.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CONVERSION_TILETOGPU_GPUKERNEL_H
#define ATTN_CONVERSION_TILETOGPU_GPUKERNEL_H

#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/AttnDialect.h"

#include "mlir/IR/Builders.h"

namespace attn::gpu_kernel {

/// The kernel's options: those of convert-attn-tile-to-gpu.
using KernelOptions = ConvertAttnTileToGPUOptions;

/// One pre-quantized operand of INT8 Q K^T (attn_tile.load_quantized): its
/// dequantization scales (a [B', H', T'] tensor whose extent-1 dims
/// broadcast; null: every scale is 1) per `block` tokens.
struct QuantizedRows {
  mlir::Value scales;
  int64_t block = 1;
};

/// What the kernel computes: the operands and the per-pair and per-row
/// steps of one spec, with static shapes.
struct GPUSpec {
  /// The op the kernel replaces (its results `output` and `lse`); the
  /// kernel is built before it, and diagnostics go to it.
  mlir::Operation *root = nullptr;
  mlir::Value output, lse;
  /// The split-KV form: the work items' forall writing the splits' partial
  /// results (root is then the forall that merges them and finishes the
  /// rows); erased with root. Null for the one-forall program.
  mlir::Operation *partialRoot = nullptr;
  /// The ops that computed root's operands and the values its regions
  /// use are erased with it once dead.
  /// Q, K, V: [B, H, N, D] tensors of static shape.
  mlir::Value query, key, value;
  /// Pre-quantized INT8 Q K^T (attn_tile.quantized_scores): Q and K are i8
  /// and a score is scale * sq_i * sk_j * (Q K^T in i32); see
  /// QuantizedScores.h.
  bool quantizedQK = false;
  QuantizedRows qRows, kRows;
  /// The head maps of K and V (null: GQA groups).
  mlir::Value kHeadMap, vHeadMap;
  double scale = 1.0;
  NormalizationAttr normalization;
  /// The mask (attribute, mask_fn region, their operands).
  ScoreSpecOpInterface mask;
  /// The score modifications (null without any).
  ScoreSpecOpInterface scoreMods;
  /// The weight_mod region and its captures (null without one).
  mlir::Region *weightMod = nullptr;
  mlir::ValueRange weightModCaptures;
  /// A weight_mod under softmax or l1: statistics, then final weights.
  bool twoPasses = false;
  /// Per-head sink logits [Hq] and the per-row output gate (null: none).
  mlir::Value sinkLogits, outputGate;
  /// A block selection (null: none): the selection kernels
  /// (SelectionKernel.h) run first and the kernel visits the key tiles they
  /// list, testing each pair's block on partial tiles.
  TopKBlocksAttr selection;
  /// A given gate's scores (`block_scores`, static shape [B|1, Hk|1,
  /// (query blocks,) blocks]; null: the gate is q . kbar).
  mlir::Value blockScores;
};

/// Builds the kernel of `spec` in place of `spec.root` (shapes must be
/// static). Fails with an error on the root when the options or the shared
/// memory do not allow a kernel.
mlir::LogicalResult buildGPUKernel(const GPUSpec &spec,
                                   const KernelOptions &options);

/// |x| on index (ALiBi distances) has no NVVM lowering: max(x, -x) in the
/// kernels of `root`.
void expandIndexAbs(mlir::Operation *root);

} // namespace attn::gpu_kernel

#endif // ATTN_CONVERSION_TILETOGPU_GPUKERNEL_H
