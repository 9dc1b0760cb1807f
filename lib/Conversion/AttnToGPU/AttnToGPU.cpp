//===- AttnToGPU.cpp - attn.attention as pre-mapping GPU kernel IR --------===//
//
// The old entry of the GPU kernel: reads the attn.attention op itself
// instead of its tile program (convert-attn-tile-to-gpu). Both build the
// kernel with lib/Conversion/TileToGPU/GPUKernel.cpp; this pass goes once
// the pipelines have moved to the tile program.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/AttnDialect.h"

#include "../TileToGPU/GPUKernel.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"

#include <cmath>

namespace attn {
#define GEN_PASS_DEF_CONVERTATTNTOGPU
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;
using namespace attn::gpu_kernel;

static bool isStatic(Value v) {
  return cast<RankedTensorType>(v.getType()).hasStaticShape();
}

/// The kernel's description read from the op.
static GPUSpec specOf(AttentionOp op) {
  GPUSpec spec;
  spec.root = op;
  spec.output = op.getOutput();
  spec.lse = op.getLse();
  spec.query = op.getQuery();
  spec.key = op.getKey();
  spec.value = op.getValue();
  spec.kHeadMap = op.getKHeadMap();
  spec.vHeadMap = op.getVHeadMap();
  int64_t d = cast<RankedTensorType>(op.getQuery().getType()).getDimSize(3);
  spec.scale = op.getScaleAttr() ? op.getScaleAttr().getValueAsDouble()
                                 : 1.0 / std::sqrt(static_cast<double>(d));
  spec.normalization = op.getNormalizationAttr();
  spec.mask = cast<ScoreSpecOpInterface>(op.getOperation());
  spec.scoreMods = spec.mask;
  if (!op.getWeightMod().empty()) {
    spec.weightMod = &op.getWeightMod();
    spec.weightModCaptures = op.getCaptures();
  }
  spec.twoPasses = op.needsTwoPasses();
  spec.sinkLogits = op.getSinkLogits();
  spec.outputGate = op.getOutputGate();
  return spec;
}

namespace {
struct ConvertAttnToGPUPass
    : public attn::impl::ConvertAttnToGPUBase<ConvertAttnToGPUPass> {
  using ConvertAttnToGPUBase::ConvertAttnToGPUBase;

  void runOnOperation() override {
    if (threads <= 0 || tileQ < 0 || tileKv < 0 ||
        (tileQ == 0) != (tileKv == 0)) {
      getOperation().emitError()
          << "convert-attn-to-gpu: threads must be positive and tile-q, "
             "tile-kv both positive or both 0 (automatic)";
      return signalPassFailure();
    }
    SmallVector<AttentionOp> ops;
    WalkResult kernels = getOperation().walk([&](AttentionOp op) {
      if (op.hasLinearKernel()) {
        op.emitOpError() << "declares a kernel (feature_map or decay): "
                            "linear attention has no GPU lowering yet (it "
                            "runs on the CPU through the tile program)";
        return WalkResult::interrupt();
      }
      if (op.hasSelection()) {
        op.emitOpError() << "declares a selection (#attn.topk_blocks): block "
                            "selection has no GPU lowering yet (it runs on "
                            "the CPU through the tile program)";
        return WalkResult::interrupt();
      }
      if (op.hasQuantizedQK()) {
        op.emitOpError() << "declares quantized Q K^T (#attn.quantized_qk): "
                            "quantization has no GPU lowering yet (it runs "
                            "on the CPU through the tile program)";
        return WalkResult::interrupt();
      }
      if (op.hasRowEpilogue() || op.hasAffineNormalization()) {
        op.emitOpError()
            << "declares "
            << (op.hasRowEpilogue()
                    ? "a row epilogue or an element-wise output_gate"
                    : "an affine normalization (subtractive or mala)")
            << ": it has no GPU lowering yet (it runs on the CPU through "
               "the tile program)";
        return WalkResult::interrupt();
      }
      if (isStatic(op.getQuery()) && isStatic(op.getKey()) &&
          isStatic(op.getValue()) && isStatic(op.getOutput()))
        ops.push_back(op);
      return WalkResult::advance();
    });
    if (kernels.wasInterrupted())
      return signalPassFailure();
    KernelOptions options;
    options.tileQ = tileQ;
    options.tileKv = tileKv;
    options.threads = threads;
    options.maxSharedBytes = maxSharedBytes;
    options.useTensorCores = useTensorCores;
    options.asyncCopies = asyncCopies;
    options.accumulatorFragments = accumulatorFragments;
    options.registerSoftmax = registerSoftmax;
    for (AttentionOp op : ops)
      if (failed(buildGPUKernel(specOf(op), options)))
        return signalPassFailure();
    expandIndexAbs(getOperation());
  }
};
} // namespace
