//===- LinearKernel.h - the pre-mapping linear-attention kernel -*- C++ -*-===//
//
// The GPU kernel of the O(N) forms of linear attention (attn-to-tile with
// linear-chunk > 0), before thread mapping: one block per (batch, head,
// slice of Dv columns); the causal (chunked) form walks the key chunks in
// order carrying the state [F, W] (F features: D, or those of a map of
// whole rows) and its key sum in shared memory, the global form folds every
// key chunk into the state and then reads it for every query chunk. Feature
// maps elementwise or of whole rows, decays constant, per key position or
// per key channel, the rms_norm epilogue and output gates per row or per
// element. Built from a LinearSpec, which convert-attn-tile-to-gpu reads
// from the tile program (TileToGPU.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CONVERSION_TILETOGPU_LINEARKERNEL_H
#define ATTN_CONVERSION_TILETOGPU_LINEARKERNEL_H

#include "GPUKernel.h"

#include <optional>

namespace attn::gpu_kernel {

/// What the linear-attention kernel computes; static shapes.
struct LinearSpec {
  /// The tile program's work-item forall (its result `output`); the kernel
  /// is built before it, and diagnostics go to it.
  mlir::Operation *root = nullptr;
  mlir::Value output;
  /// Q, K, V: [B, H, N, D] tensors of static shape; the head maps of K and
  /// V (null: GQA groups).
  mlir::Value query, key, value, kHeadMap, vHeadMap;
  /// The elementwise feature maps of the query and key tiles (none: the
  /// rows as loaded).
  std::optional<FeatureMapKind> queryMap, keyMap;
  /// A map of whole rows (`expand_features`: hedgehog with its weight
  /// [Hq|1, F, D] and bias [Hq|1, F], taylor2, softmax) on the query or
  /// key tile instead of an elementwise one.
  struct Expansion {
    FeatureMapKind kind;
    mlir::Value weight, bias;
  };
  std::optional<Expansion> queryExpansion, keyExpansion;
  double scale = 1.0;
  /// Rows divided by their weight sum (`#attn.normalize<identity, l1>`).
  bool l1 = false;
  /// The chunked form (causal); otherwise the global one (no mask).
  bool causal = false;
  /// The decay of `decay_prefix` (null: none): [B|1, Hq|1, 1] a constant
  /// per (batch, head); [B|1, Hq|1, Nk] one per key position (Mamba-2's
  /// data-dependent decay); [B|1, Hq|1, Nk|1, D] a gate per key channel
  /// (GLA's diagonal decay, the chunk's scores `gated_scores`).
  mlir::Value decay;
  /// The output gate (null: none): one per row [B|1, Hq|1, Nq|1] or one
  /// per element [B|1, Hq|1, Nq|1, Dv|1].
  mlir::Value outputGate;
  /// The rms_norm row epilogue's eps (none: no epilogue): each row over
  /// its Dv columns, so a block holds all of them.
  std::optional<double> rmsEps;
};

/// The features of a row after `expansion` of a D-wide row (D without
/// one): 2F for hedgehog, 1 + D + D^2 for taylor2, D for softmax.
int64_t featureCount(const std::optional<LinearSpec::Expansion> &expansion,
                     int64_t d);

/// How the kernel takes `spec.decay`.
enum class DecayForm { None, Constant, PerToken, PerChannel };
DecayForm decayForm(const LinearSpec &spec);

/// Builds the kernel of `spec` in place of `spec.root`. The chunk is
/// `tile-kv` when given, else the largest of 64, 32, 16, 8 whose buffers fit
/// `max-shared-bytes`. Fails with an error on the root when none fits.
mlir::LogicalResult buildLinearKernel(const LinearSpec &spec,
                                      const KernelOptions &options);

} // namespace attn::gpu_kernel

#endif // ATTN_CONVERSION_TILETOGPU_LINEARKERNEL_H
