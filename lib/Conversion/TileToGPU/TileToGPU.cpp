//===- TileToGPU.cpp - the tile program as pre-mapping GPU kernel IR ------===//
//
// convert-attn-tile-to-gpu: recognizes the tile program (attn_tile) of a
// static-shape spec, reads from its ops what a work item computes (the
// loads and their head maps, the scale, the mask and score modifications,
// the online update or the two-pass form, weight_mod, the sink fold, the
// output gate, the logsumexp) into a GPUSpec, and replaces the program's
// work-item scf.forall with the GPU kernel (GPUKernel.h). Forms the kernel
// does not implement are refused on the op that needs them.
//
//===----------------------------------------------------------------------===//

#include "GPUKernel.h"
#include "LinearKernel.h"
#include "SelectionKernel.h"

#include "attn/Conversion/Passes.h"
#include "attn/Dialect/AttnTile/AttnTileDialect.h"
#include "attn/Target/GPU.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

namespace attn {
#define GEN_PASS_DEF_CONVERTATTNTILETOGPU
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;
using namespace attn::tile;
using namespace attn::gpu_kernel;

namespace {

/// The forms of linear attention the kernels lack (empty: one they run):
/// in the O(N) forms (`linear`, LinearKernel.h) the feature maps
/// (elementwise, or of whole rows: hedgehog, taylor2, softmax), the row
/// epilogue and element-wise output gates of `finalize`, a decay constant per (batch, head), one per key position or a gate
/// per key channel (with its gated scores) and the carried state; in the
/// quadratic form (a mask other than causal, split-KV, linear-chunk = 0)
/// none of them.
std::string unsupportedLinearFeature(Operation *op, bool linear) {
  const char *quadratic =
      " in the quadratic form (a mask other than causal, split-KV or "
      "linear-chunk = 0; the GPU runs the chunked causal and the global "
      "forms)";
  return llvm::TypeSwitch<Operation *, std::string>(op)
      .Case<FeatureMapOp>([&](auto) -> std::string {
        return linear ? "" : std::string("a linear-attention feature map") +
                                 quadratic;
      })
      .Case<DecayOp>([&](auto) -> std::string {
        return linear ? "" : std::string("a decay") + quadratic;
      })
      .Case<DecayPrefixOp>([&](DecayPrefixOp prefix) -> std::string {
        if (linear)
          return "";
        auto type = cast<RankedTensorType>(prefix.getDecay().getType());
        if (type.getRank() == 4)
          return std::string("a gate per key channel (a rank-4 decay)") +
                 quadratic;
        return std::string("a decay") + quadratic;
      })
      .Case<ReadStateOp, UpdateStateOp>(
          [&](auto) -> std::string { return ""; })
      // The linear kernel's store takes the rms_norm epilogue (a block
      // holds whole rows) and gates per row or per element.
      .Case<FinalizeOp>([&](auto) -> std::string { return ""; })
      .Case<GatedScoresOp>([&](auto) -> std::string {
        return linear ? ""
                      : std::string("a gate per key channel (gated scores)") +
                            quadratic;
      })
      .Case<ExpandFeaturesOp>([&](auto) -> std::string {
        return linear ? ""
                      : std::string("a feature map of whole rows (hedgehog, "
                                    "taylor2, softmax)") +
                            quadratic;
      })
      .Case<SequenceMapOp>([](auto) {
        return "a key map over the sequence (sequence_softmax, "
               "sequence_scale)";
      })
      .Case<KeyWeightsOp>(
          [](auto) { return "key weights (query_weighted, flow)"; })
      .Default([](Operation *) { return "?"; });
}

/// The forms of quantization the GPU kernels lack, by the op that needs
/// them ("?": not a quantization op; empty: one they run). The kernel runs
/// pre-quantized INT8 Q and K with their scales (load_quantized,
/// quantized_scores without a correction; the reader checks the rest).
std::string unsupportedQuantization(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::string>(op)
      .Case<LoadQuantizedOp, QuantizedScoresOp>(
          [](auto) -> std::string { return ""; })
      .Case<QuantizeOp>([](QuantizeOp quantize) -> std::string {
        return quantize.getRange() == 7
                   ? "in-spec INT4 quantization (attn_tile.quantize range(7))"
                   : "in-spec INT8 quantization of a float Q or K "
                     "(attn_tile.quantize; the GPU runs pre-quantized i8 Q "
                     "and K with their scales)";
      })
      .Case<CenterOp>([](auto) { return "Q or K smoothing (attn_tile.center)"; })
      .Case<UnpackInt4Op>(
          [](auto) { return "INT4 Q K^T (pre-quantized i4 operands)"; })
      .Case<SignOp>([](auto) { return "1-bit (sign) Q K^T"; })
      .Case<QuantizeFP8Op, RoundFP8Op>(
          [](auto) { return "FP8 (e4m3, e5m2) Q K^T"; })
      .Case<QuantizeChannelsOp, FP8ChannelsOp, QuantizedAccumulateOp>(
          [](auto) { return "quantized P V (pv = int8 or fp8, value caches)"; })
      .Case<DequantizeOp>([](auto) {
        return "a dequantized operand (an FP8 Q or K, an INT8 key cache with "
               "keys_only, a value cache)";
      })
      .Case<RotateOp>(
          [](auto) { return "a rotation or a low-rank term (attn_tile.rotate)"; })
      .Case<DotBytesOp>([](auto) { return "the CPU's byte dot product"; })
      .Default([](Operation *) { return "?"; });
}

/// Why the GPU kernels cannot run an attn_tile op that appears in a tile
/// program (empty: they implement the op); `linear`: the program is an
/// O(N) form of linear attention.
std::string unsupportedFeature(Operation *op, bool linear) {
  if (isa<FeatureMapOp, ExpandFeaturesOp, SequenceMapOp, KeyWeightsOp,
          DecayPrefixOp, DecayOp, GatedScoresOp, ReadStateOp, UpdateStateOp>(
          op) ||
      (linear && isa<FinalizeOp>(op)))
    return unsupportedLinearFeature(op, linear);
  std::string quantization = unsupportedQuantization(op);
  if (quantization != "?")
    return quantization;
  return llvm::TypeSwitch<Operation *, std::string>(op)
      // Selections per token by the dot gate and top-k run in the
      // selection kernels (SelectionKernel.h); the other forms are named.
      .Case<PoolKeysOp, PoolQueriesOp, SelectBlocksOp>([](auto op) {
        return unsupportedSelection(op.getSelection());
      })
      .Case<ProjectPooledOp>(
          [](auto) { return "block selection by a learned gate"; })
      .Case<KeptSumsOp, AffineNormalizeOp>([](auto) {
        return "an affine normalization (subtractive or mala)";
      })
      .Case<FinalizeOp>([](FinalizeOp finalize) -> std::string {
        if (finalize.getEpilogueAttr())
          return "a row epilogue";
        if (Value gate = finalize.getGate();
            gate && cast<RankedTensorType>(gate.getType()).getRank() == 4)
          return "an element-wise output_gate";
        return "";
      })
      .Case<ForKeyTilesOp, LoadOp, ScoresOp, MaskOp, ModifyOp, OnlineUpdateOp,
            KeepSelectedOp, FinalWeightsOp, WeightModOp, AccumulateOp,
            FoldSinkOp, MergeOp,
            tile::YieldOp>([](auto) { return ""; })
      .Default([](Operation *) { return "this op"; });
}

/// The tensor a scalar of the tile program was extracted from (a head
/// map, the sink logits): the first tensor.extract among the ops inside
/// `root` that compute `v`; null when there is none.
Value extractedTensor(Value v, Operation *root) {
  SmallVector<Value> work{v};
  llvm::SmallPtrSet<Operation *, 8> seen;
  while (!work.empty()) {
    Operation *def = work.pop_back_val().getDefiningOp();
    if (!def || !root->isProperAncestor(def) || !seen.insert(def).second)
      continue;
    if (auto extract = dyn_cast<tensor::ExtractOp>(def))
      return extract.getTensor();
    llvm::append_range(work, def->getOperands());
  }
  return Value();
}

/// The first op of type OpTy in `region` (not nested deeper), or null.
template <typename OpTy> OpTy firstIn(Region &region) {
  for (Operation &op : region.front())
    if (auto typed = dyn_cast<OpTy>(op))
      return typed;
  return OpTy();
}

/// The scale of Q K^T (`scale` of `user`): a constant, or 1 / sqrt(D)
/// (rsqrt of the head dim).
FailureOr<double> scaleOf(Value scale, int64_t d, Operation *user) {
  if (auto constant = scale.getDefiningOp<arith::ConstantFloatOp>())
    return constant.value().convertToDouble();
  // attn-to-tile's default scale, rsqrt(D) at run time.
  if (scale.getDefiningOp<math::RsqrtOp>())
    return 1.0 / std::sqrt(static_cast<double>(d));
  user->emitOpError() << "has a scale that is neither a constant nor the "
                         "default 1 / sqrt(D): no GPU lowering yet";
  return failure();
}

/// Reads the GPUSpec of one tile program (the work-item forall `root`,
/// whose attn_tile ops the kernel implements).
class TileProgramReader {
public:
  /// `root` runs the key loops; `rowEnd` finishes the rows: root itself,
  /// or in the split-KV form the forall of attn_tile.merge.
  TileProgramReader(scf::ForallOp root, scf::ForallOp rowEnd)
      : root(root), rowEnd(rowEnd) {}

  /// Fails with an error on the op the kernel cannot run.
  FailureOr<GPUSpec> read();

private:
  LogicalResult fail(Operation *op, const Twine &message) {
    op->emitOpError() << message;
    return failure();
  }
  /// The source tensor of the attn_tile.load producing `tile`, and its
  /// head map (null: GQA groups).
  FailureOr<std::pair<Value, Value>> loadedTensor(Value tile,
                                                  Operation *user);
  /// The loops, their score, mask and update ops.
  LogicalResult readLoops(GPUSpec &spec);
  /// The block selection (select_blocks of the loaded Q tile against the
  /// pooled K, keep_selected in every loop), if any.
  LogicalResult readSelection(GPUSpec &spec);
  /// Pre-quantized INT8 Q K^T: the i8 Q and K, their scales and blocks.
  LogicalResult readQuantizedScores(QuantizedScoresOp scores, GPUSpec &spec);
  LogicalResult readRowEnd(GPUSpec &spec);

  scf::ForallOp root, rowEnd;
};

FailureOr<std::pair<Value, Value>>
TileProgramReader::loadedTensor(Value tile, Operation *user) {
  auto load = tile.getDefiningOp<LoadOp>();
  if (!load) {
    (void)fail(user, "reads a tile that is not an attn_tile.load: this form "
                     "has no GPU lowering yet");
    return failure();
  }
  return std::pair<Value, Value>(load.getSource(),
                                 extractedTensor(load.getHead(), root));
}

LogicalResult TileProgramReader::readLoops(GPUSpec &spec) {
  SmallVector<ForKeyTilesOp> loops;
  for (Operation &op : root.getBody()->without_terminator())
    if (auto loop = dyn_cast<ForKeyTilesOp>(op))
      loops.push_back(loop);
  if (loops.empty() || loops.size() > 2)
    return fail(root, "is not a tile program of one or two loops over the "
                      "key tiles: this form has no GPU lowering yet");
  // One pass, or the two-pass form: statistics, then the final weights.
  Region &first = loops.front().getBody(), &last = loops.back().getBody();
  spec.twoPasses = loops.size() == 2;
  auto scores = firstIn<ScoresOp>(first);
  auto quantized = firstIn<QuantizedScoresOp>(first);
  auto mask = firstIn<MaskOp>(first);
  auto update = firstIn<OnlineUpdateOp>(first);
  auto accumulate = firstIn<AccumulateOp>(last);
  if ((!scores && !quantized) || !mask || !update || !accumulate ||
      (spec.twoPasses && !firstIn<FinalWeightsOp>(last)))
    return fail(loops.front(), "is not a loop of the softmax or pointwise "
                               "forms: no GPU lowering yet");
  Operation *scoreOp = scores ? scores.getOperation() : quantized;
  if (quantized) {
    if (failed(readQuantizedScores(quantized, spec)))
      return failure();
  } else {
    FailureOr<std::pair<Value, Value>> q =
        loadedTensor(scores.getQuery(), scores);
    FailureOr<std::pair<Value, Value>> k =
        loadedTensor(scores.getKey(), scores);
    if (failed(q) || failed(k))
      return failure();
    spec.query = q->first;
    spec.key = k->first;
    spec.kHeadMap = k->second;
  }
  FailureOr<std::pair<Value, Value>> v =
      loadedTensor(accumulate.getValue(), accumulate);
  if (failed(v))
    return failure();
  spec.value = v->first;
  spec.vHeadMap = v->second;
  for (Value operand : {spec.query, spec.key, spec.value})
    if (!cast<RankedTensorType>(operand.getType()).hasStaticShape())
      return fail(root, "reads Q, K or V of dynamic shape: the GPU kernel "
                        "needs static shapes (specialize the spec first)");
  int64_t d = cast<RankedTensorType>(spec.query.getType()).getDimSize(3);
  FailureOr<double> scale =
      scaleOf(scores ? scores.getScale() : quantized.getScale(), d, scoreOp);
  if (failed(scale))
    return failure();
  spec.scale = *scale;
  spec.normalization = update.getNormalizationAttr();
  spec.mask = cast<ScoreSpecOpInterface>(mask.getOperation());
  if (auto modify = firstIn<ModifyOp>(first))
    spec.scoreMods = cast<ScoreSpecOpInterface>(modify.getOperation());
  if (auto weightMod = firstIn<WeightModOp>(last)) {
    spec.weightMod = &weightMod.getBody();
    spec.weightModCaptures = weightMod.getCaptures();
  }
  return success();
}

LogicalResult TileProgramReader::readQuantizedScores(QuantizedScoresOp scores,
                                                     GPUSpec &spec) {
  if (scores.getPlus())
    return fail(scores, "adds a float correction to the quantized scores (Q "
                        "smoothing, smooth_q): no GPU lowering yet");
  auto qLoad = scores.getQuery().getDefiningOp<LoadQuantizedOp>();
  auto kLoad = scores.getKey().getDefiningOp<LoadQuantizedOp>();
  if (!qLoad || !kLoad)
    return fail(scores, "reads rows that are not an attn_tile.load_quantized: "
                        "this form has no GPU lowering yet");
  spec.quantizedQK = true;
  spec.query = qLoad.getSource();
  spec.key = kLoad.getSource();
  spec.kHeadMap = extractedTensor(kLoad.getHead(), root);
  spec.qRows = {qLoad.getScales(), static_cast<int64_t>(qLoad.getBlock())};
  spec.kRows = {kLoad.getScales(), static_cast<int64_t>(kLoad.getBlock())};
  for (Value scales : {spec.qRows.scales, spec.kRows.scales})
    if (scales && !cast<RankedTensorType>(scales.getType()).hasStaticShape())
      return fail(scores, "reads Q or K scales of dynamic shape: the GPU "
                          "kernel needs static shapes (specialize the spec "
                          "first)");
  return success();
}

LogicalResult TileProgramReader::readRowEnd(GPUSpec &spec) {
  auto finalize = firstIn<FinalizeOp>(rowEnd.getBodyRegion());
  if (!finalize)
    return fail(rowEnd, "has no attn_tile.finalize: no GPU lowering yet");
  spec.outputGate = finalize.getGate();
  if (auto fold = firstIn<FoldSinkOp>(rowEnd.getBodyRegion())) {
    spec.sinkLogits = extractedTensor(fold.getSink(), rowEnd);
    if (!spec.sinkLogits)
      return fail(fold, "folds a sink that is not read from a tensor: no "
                        "GPU lowering yet");
  }
  spec.output = rowEnd.getResult(0);
  if (finalize.getLse())
    spec.lse = rowEnd.getResult(1);
  if (!cast<RankedTensorType>(spec.output.getType()).hasStaticShape())
    return fail(root, "has an output of dynamic shape: the GPU kernel needs "
                      "static shapes (specialize the spec first)");
  return success();
}

LogicalResult TileProgramReader::readSelection(GPUSpec &spec) {
  auto select = firstIn<SelectBlocksOp>(root.getBodyRegion());
  if (!select)
    return success();
  auto pool = select.getPooled().getDefiningOp<PoolKeysOp>();
  auto query = select.getQuery().getDefiningOp<LoadOp>();
  // A given gate: the tile program reads the scores through one-wide
  // pooled keys (and, per query block, gate rows) that extract from them.
  if (select.getSelection().isGiven()) {
    Value scores;
    if (auto generate = select.getPooled().getDefiningOp<tensor::GenerateOp>())
      generate.walk([&](tensor::ExtractOp extract) {
        scores = extract.getTensor();
      });
    if (!scores || !cast<RankedTensorType>(scores.getType()).hasStaticShape())
      return fail(select, "ranks given block scores that are not a tensor of "
                          "static shape: no GPU lowering yet");
    spec.blockScores = scores;
  }
  auto pooledQueries =
      select.getQueries() ? select.getQueries().getDefiningOp<PoolQueriesOp>()
                          : PoolQueriesOp();
  // Otherwise the gates are q . kbar (the selection kernel pools both).
  // (a head group: its queries averaged per group, proxy heads also the
  // keys; the selection kernel averages them itself).
  bool dotGate =
      pool && pool.getKey() == spec.key && query &&
      query.getSource() == spec.query && !select.getGates() &&
      (!select.getQueries() ||
       (pooledQueries && pooledQueries.getQuery() == spec.query));
  if (!spec.blockScores && !dotGate)
    return fail(select, "selects blocks from other than the pooled K and the "
                        "loaded (or pooled) Q: this form has no GPU lowering "
                        "yet");
  // Every key loop tests the pairs' blocks (keep_selected after the mask).
  for (Operation &op : root.getBody()->without_terminator())
    if (auto loop = dyn_cast<ForKeyTilesOp>(op);
        loop && !firstIn<KeepSelectedOp>(loop.getBody()))
      return fail(loop, "visits a selection without keep_selected: this "
                        "form has no GPU lowering yet");
  spec.selection = select.getSelection();
  return success();
}

FailureOr<GPUSpec> TileProgramReader::read() {
  GPUSpec spec;
  // The kernel is built before the last forall: every value the program
  // reads is defined there.
  spec.root = rowEnd;
  if (rowEnd != root)
    spec.partialRoot = root;
  if (failed(readLoops(spec)) || failed(readRowEnd(spec)) ||
      failed(readSelection(spec)))
    return failure();
  return spec;
}

/// The tile of `value` before its feature map: the load, the elementwise
/// map or the map of whole rows (expand_features) if any; a null load when
/// `value` is not a loaded tile.
struct MappedLoad {
  LoadOp load;
  std::optional<FeatureMapKind> map;
  std::optional<LinearSpec::Expansion> expansion;
};
MappedLoad mappedLoad(Value value) {
  MappedLoad result;
  if (auto phi = value.getDefiningOp<FeatureMapOp>()) {
    result.map = phi.getMap().getKind();
    value = phi.getTile();
  } else if (auto phi = value.getDefiningOp<ExpandFeaturesOp>()) {
    result.expansion = LinearSpec::Expansion{phi.getMap().getKind(),
                                             phi.getWeight(), phi.getBias()};
    value = phi.getTile();
  }
  result.load = value.getDefiningOp<LoadOp>();
  return result;
}

/// Reads the LinearSpec of an O(N) linear-attention tile program: the
/// chunked form (read_state, the chunk's scores, update_state in one loop)
/// or the global one (update_state over the key chunks, then read_state
/// over the query chunks).
FailureOr<LinearSpec> readLinearProgram(scf::ForallOp root) {
  LinearSpec spec;
  spec.root = root;
  ReadStateOp read;
  UpdateStateOp update;
  FinalizeOp finalize;
  ScoresOp scores;
  GatedScoresOp gatedScores;
  DecayPrefixOp prefix;
  root.walk([&](Operation *op) {
    if (auto o = dyn_cast<ReadStateOp>(op); o && !read)
      read = o;
    else if (auto o = dyn_cast<UpdateStateOp>(op); o && !update)
      update = o;
    else if (auto o = dyn_cast<FinalizeOp>(op); o && !finalize)
      finalize = o;
    else if (auto o = dyn_cast<ScoresOp>(op); o && !scores)
      scores = o;
    else if (auto o = dyn_cast<GatedScoresOp>(op); o && !gatedScores)
      gatedScores = o;
    else if (auto o = dyn_cast<DecayPrefixOp>(op); o && !prefix)
      prefix = o;
  });
  auto fail = [&](Operation *op, const Twine &message) {
    op->emitOpError() << message;
    return failure();
  };
  if (!read || !update || !finalize || root->getNumResults() != 1)
    return fail(root, "is not a chunked or global linear-attention program "
                      "of one output: no GPU lowering yet");
  auto [qLoad, qMap, qExpansion] = mappedLoad(read.getQuery());
  auto [kLoad, kMap, kExpansion] = mappedLoad(update.getKey());
  auto vLoad = update.getValue().getDefiningOp<LoadOp>();
  if (!qLoad || !kLoad || !vLoad)
    return fail(update, "reads a tile that is not a loaded (and mapped) Q, "
                        "K or V tile: this form has no GPU lowering yet");
  spec.query = qLoad.getSource();
  spec.key = kLoad.getSource();
  spec.value = vLoad.getSource();
  spec.kHeadMap = extractedTensor(kLoad.getHead(), root);
  spec.vHeadMap = extractedTensor(vLoad.getHead(), root);
  spec.queryMap = qMap;
  spec.keyMap = kMap;
  spec.queryExpansion = qExpansion;
  spec.keyExpansion = kExpansion;
  // The chunk's scores (gated per key channel with a rank-4 decay) make
  // the chunked form.
  spec.causal = scores || gatedScores;
  spec.l1 = finalize.getDivide();
  spec.outputGate = finalize.getGate();
  if (EpilogueAttr epilogue = finalize.getEpilogueAttr())
    spec.rmsEps = epilogue.getEpsValue();
  if (prefix)
    spec.decay = prefix.getDecay();
  spec.output = root.getResult(0);
  SmallVector<Value> operands = {spec.query, spec.key, spec.value,
                                 spec.output};
  for (const auto &x : {qExpansion, kExpansion})
    if (x && x->weight)
      operands.append({x->weight, x->bias});
  for (Value operand : operands)
    if (!cast<RankedTensorType>(operand.getType()).hasStaticShape())
      return fail(root, "reads or writes a tensor of dynamic shape: the GPU "
                        "kernel needs static shapes (specialize the spec "
                        "first)");
  int64_t d = cast<RankedTensorType>(spec.query.getType()).getDimSize(3);
  FailureOr<double> scale = scaleOf(read.getScale(), d, read);
  if (failed(scale))
    return failure();
  spec.scale = *scale;
  return spec;
}

/// The split-KV form's first forall, whose partial results `merge` reads
/// (through slices and casts); null if there is none.
scf::ForallOp partialResultsOf(MergeOp merge) {
  Value v = merge.getAccs();
  while (Operation *def = v.getDefiningOp()) {
    if (auto forall = dyn_cast<scf::ForallOp>(def))
      return forall;
    if (!isa<tensor::ExtractSliceOp, tensor::CastOp>(def))
      break;
    v = def->getOperand(0);
  }
  return scf::ForallOp();
}

/// A softmax tile program: the forall of the key loops and the one that
/// finishes the rows (the same, or the split-KV form's merge).
struct ProgramRoots {
  scf::ForallOp loops, rowEnd;
};

struct ConvertAttnTileToGPUPass
    : public attn::impl::ConvertAttnTileToGPUBase<ConvertAttnTileToGPUPass> {
  using Base::Base;

  KernelOptions kernelOptions() const {
    KernelOptions o;
    o.tileQ = tileQ;
    o.tileKv = tileKv;
    o.threads = threads;
    o.splitKv = splitKv;
    o.maxSharedBytes = maxSharedBytes;
    o.useTensorCores = useTensorCores;
    o.asyncCopies = asyncCopies;
    o.accumulatorFragments = accumulatorFragments;
    o.registerSoftmax = registerSoftmax;
    return o;
  }

  /// The tile programs' work-item foralls (the outermost scf.foralls
  /// holding attn_tile ops), the O(N) linear-attention ones (a carried
  /// state) in `linear`; fails on an attn_tile op the kernels do not
  /// implement, in them or outside of them (the per-call ops of
  /// quantization, selection, sequence maps and key weights).
  LogicalResult tilePrograms(SmallVectorImpl<ProgramRoots> &programs,
                             SmallVectorImpl<scf::ForallOp> &linear) {
    auto refuse = [](Operation *op, StringRef feature) {
      op->emitOpError() << feature
                        << " has no GPU lowering yet (it runs on the CPU "
                           "through the tile program)";
      return WalkResult::interrupt();
    };
    WalkResult walk = getOperation().walk<WalkOrder::PreOrder>(
        [&](Operation *op) {
          if (auto forall = dyn_cast<scf::ForallOp>(op)) {
            bool isLinear = false;
            forall.walk([&](Operation *inner) {
              isLinear |= isa<ReadStateOp, UpdateStateOp>(inner);
            });
            Operation *tileOp = nullptr, *unsupported = nullptr;
            std::string feature;
            forall.walk([&](Operation *inner) {
              if (!isa<AttnTileDialect>(inner->getDialect()))
                return WalkResult::advance();
              tileOp = tileOp ? tileOp : inner;
              feature = unsupportedFeature(inner, isLinear);
              if (feature.empty())
                return WalkResult::advance();
              unsupported = inner;
              return WalkResult::interrupt();
            });
            if (!tileOp)
              return WalkResult::advance();
            if (unsupported)
              return refuse(unsupported, feature);
            if (isLinear) {
              linear.push_back(forall);
              return WalkResult::skip();
            }
            if (auto merge = firstIn<MergeOp>(forall.getBodyRegion())) {
              scf::ForallOp partials = partialResultsOf(merge);
              auto it = llvm::find_if(programs, [&](const ProgramRoots &p) {
                return p.loops == partials && p.rowEnd == partials;
              });
              if (it == programs.end())
                return refuse(merge, "a merge of partial results not "
                                     "computed by a key-loop forall");
              it->rowEnd = forall;
              return WalkResult::skip();
            }
            if (!firstIn<ForKeyTilesOp>(forall.getBodyRegion()))
              return refuse(tileOp, "this form of the tile program");
            programs.push_back({forall, forall});
            return WalkResult::skip();
          }
          if (!isa<AttnTileDialect>(op->getDialect()))
            return WalkResult::advance();
          std::string feature = unsupportedFeature(op, /*linear=*/false);
          // The pooled keys of a selection the kernels run: the pooling
          // kernel computes them (readSelection checks the program).
          if (isa<PoolKeysOp, PoolQueriesOp>(op) && feature.empty())
            return WalkResult::advance();
          return refuse(op, feature.empty() ? "this op outside a work item"
                                            : feature);
        });
    if (walk.wasInterrupted())
      return failure();
    // The split-KV form's key loops write partial results: without their
    // merge there is no output.
    for (ProgramRoots p : programs) {
      auto loop = firstIn<ForKeyTilesOp>(p.loops.getBodyRegion());
      if (p.rowEnd == p.loops && loop.getKeyBegin()) {
        loop.emitOpError() << "runs a key range whose partial results no "
                              "attn_tile.merge reads: no GPU lowering";
        return failure();
      }
    }
    return success();
  }

  void runOnOperation() override {
    if (threads <= 0 || tileQ < 0 || tileKv < 0 ||
        (tileQ == 0) != (tileKv == 0) || splitKv < 0 ||
        splitKv > attn::gpu::kMaxKeySplits) {
      getOperation().emitError()
          << "convert-attn-tile-to-gpu: threads must be positive, tile-q and "
             "tile-kv both positive or both 0 (automatic), split-kv in [0, "
          << attn::gpu::kMaxKeySplits << "]";
      return signalPassFailure();
    }
    SmallVector<ProgramRoots> programs;
    SmallVector<scf::ForallOp> linearPrograms;
    if (failed(tilePrograms(programs, linearPrograms)))
      return signalPassFailure();
    // Read every program before building any kernel: a refusal leaves the
    // function as it was.
    SmallVector<GPUSpec> specs;
    for (const ProgramRoots &program : programs) {
      FailureOr<GPUSpec> spec =
          TileProgramReader(program.loops, program.rowEnd).read();
      if (failed(spec))
        return signalPassFailure();
      specs.push_back(*spec);
    }
    SmallVector<LinearSpec> linearSpecs;
    for (scf::ForallOp program : linearPrograms) {
      FailureOr<LinearSpec> spec = readLinearProgram(program);
      if (failed(spec))
        return signalPassFailure();
      linearSpecs.push_back(*spec);
    }
    KernelOptions options = kernelOptions();
    for (const GPUSpec &spec : specs)
      if (failed(buildGPUKernel(spec, options)))
        return signalPassFailure();
    for (const LinearSpec &spec : linearSpecs)
      if (failed(buildLinearKernel(spec, options)))
        return signalPassFailure();
    expandIndexAbs(getOperation());
  }
};

} // namespace
