//===- GPUKernel.cpp - the pre-mapping GPU kernel of one spec -------------===//
//
// A GPUSpec -> one block-level scf.forall over the work items (batch, head,
// query tile) holding shared-memory tiles and sibling thread-level
// scf.foralls, one per stage of FlashAttention-2. A barrier is implied
// between sibling thread-level foralls: sequentially (on the CPU, after
// scf-forall-to-for) and on the GPU (map_nested_forall_to_threads inserts
// gpu.barrier after each). See convert-attn-tile-to-gpu in Passes.td.
//
// Work items, the key tiles each one visits and whether a tile is full or
// partial come from the shared tile schedule (attn/Analysis/TileList.h);
// masks and score modifications from the shared scalar emitter
// (attn/Conversion/AttnCodegen.h), row statistics from SoftmaxMath.
//
//===----------------------------------------------------------------------===//

#include "GPUKernel.h"
#include "KernelBuilder.h"
#include "QuantizedScores.h"
#include "SelectionKernel.h"


#include "attn/Analysis/TileList.h"
#include "attn/Conversion/AttnCodegen.h"
#include "attn/Conversion/SoftmaxMath.h"
#include "attn/Transforms/TileProgramLimits.h"
#include "attn/Dialect/Attn/AttnDialect.h"

#include "../AttnToGPU/ThreadPrivate.h"
#include "../AttnToGPU/WarpMMA.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

#include <array>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace attn;
using namespace attn::codegen;
using namespace attn::gpu_kernel;

namespace {

struct GPUTileConfig {
  int64_t bq = 0, bk = 0, threads = 128;
  /// Q K^T and P V on tensor cores (16-bit inputs; see TensorCoreLayout).
  bool tensorCores = false;
  /// K and V tiles double-buffered and copied with nvgpu.device_async_copy
  /// (cp.async) of kWidth / vWidth elements each (see asyncCopyWidth).
  bool asyncCopies = false;
  int64_t kWidth = 0, vWidth = 0;
  int64_t slots() const { return asyncCopies ? 2 : 1; }
  /// SIMT: O elements per thread when O lives in registers (0: in shared
  /// memory); see oRegisterCount.
  int64_t oPerThread = 0;
  /// Tensor cores: 16x8 O tiles per warp kept in mma accumulator fragments
  /// across key tiles (0: O in shared memory); see oFragmentCount.
  int64_t oFragments = 0;
  /// A mask can exclude pairs: the SIMT kernel's partial key tiles probe
  /// their value tile for non-finite numbers (one shared i32, see
  /// probeValues).
  bool valueProbe = false;
  /// Tensor cores with O in fragments: S, P and the row statistics stay in
  /// registers too (FlashAttention-2): each warp owns whole 16-row
  /// blocks of S and O, the softmax works on the accumulator layout and a
  /// row's max is reduced over the 4 lanes that hold it; see
  /// registerSoftmaxFits.
  bool registerSoftmax = false;
  /// Key splits asked for (convert-attn-tile-to-gpu's split-kv) for a
  /// split-KV tile program; 1 for the others.
  int64_t splitKv = 1;
  /// Pre-quantized INT8 Q K^T (GPUSpec::quantizedQK): the SIMT kernel with
  /// i8 Q and K tiles and their row scales (SharedLayout::quantized).
  bool quantized = false;
  int64_t warps() const { return threads / 32; }
  /// Register softmax: 16-row blocks per warp and query rows per thread.
  int64_t rowBlocksPerWarp() const { return bq / gpu_codegen::kMmaM / warps(); }
  int64_t rowsPerThread() const { return 2 * rowBlocksPerWarp(); }
};

/// Shared-memory layout of one work item (f32 elements). K and the score
/// tile get one padding column so that threads walking a column of them
/// (S = Q K^T: consecutive threads take consecutive keys; the softmax: one
/// thread per query row) hit distinct banks.
struct SharedLayout {
  int64_t bq, bk, d, dv;
  /// K and V tiles per buffer: 2 when double-buffered.
  int64_t slots = 1;
  /// The O accumulator in shared memory (else in registers).
  bool sharedO = true;
  /// The value probe's flag (GPUTileConfig::valueProbe).
  bool valueProbe = false;
  /// INT8 Q K^T: Q and K tiles in i8, plus a f32 scale per Q and K row.
  bool quantized = false;
  /// K rows: one extra word (f32, or 4 i8 keeping rows word-aligned for
  /// the dot product's word loads).
  int64_t kStride() const { return quantized ? d + kDotBytes : d + 1; }
  int64_t sStride() const { return bk + 1; }
  static int64_t align(int64_t bytes) { return (bytes + 15) / 16 * 16; }
  int64_t bytes() const {
    int64_t qk = quantized ? 1 : 4;
    return align(qk * bq * d) + align(qk * slots * bk * kStride()) +
           align(4 * slots * bk * dv) + align(4 * bq * sStride()) +
           (sharedO ? align(4 * bq * dv) : 0) + 3 * align(4 * bq) +
           (valueProbe ? align(4) : 0) +
           (quantized ? align(4 * bq) + align(4 * slots * bk) : 0);
  }
};

/// Shared-memory layout of the tensor-core kernel: Q, K, V and P in the
/// 16-bit input type, S and O in f32. Head dims are padded with zeros to the
/// mma shape (D to 16 for the reduction of Q K^T, Dv to 8 for P V's output
/// tiles). Rows of 16-bit tiles get 8 extra elements: ldmatrix reads eight
/// 16-byte rows at once, which then fall in distinct bank groups and stay
/// 16-byte aligned. S gets 2 extra floats (8-byte aligned vector<2xf32>
/// fragment stores; the softmax's column walk is 2-way conflicted), O 8.
struct TensorCoreLayout {
  int64_t bq, bk, d, dv;
  int64_t slots = 1;
  /// The O accumulator in shared memory (else in mma fragments).
  bool sharedO = true;
  /// The value probe's flag (GPUTileConfig::valueProbe).
  bool valueProbe = false;
  /// S and P in shared memory (else in registers, with a lane-exchange
  /// buffer of exchangeBytes for the row reductions).
  bool sharedScores = true;
  int64_t exchangeBytes = 0;
  static int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }
  int64_t dPad() const { return roundUp(d, gpu_codegen::kMmaK); }
  int64_t dvPad() const { return roundUp(dv, gpu_codegen::kMmaN); }
  int64_t qStride() const { return dPad() + 8; }
  int64_t kStride() const { return dPad() + 8; }
  int64_t vStride() const { return dvPad() + 8; }
  int64_t pStride() const { return bk + 8; }
  int64_t sStride() const { return bk + 2; }
  int64_t oStride() const { return dvPad() + 8; }
  int64_t bytes() const {
    auto align = SharedLayout::align;
    return align(2 * bq * qStride()) + align(2 * slots * bk * kStride()) +
           align(2 * slots * bk * vStride()) +
           (sharedScores
                ? align(4 * bq * sStride()) + align(2 * bq * pStride())
                : align(exchangeBytes)) +
           (sharedO ? align(4 * bq * oStride()) : 0) + 3 * align(4 * bq) +
           (valueProbe ? align(4) : 0);
  }
};

static TensorCoreLayout tensorCoreLayout(const GPUTileConfig &cfg, int64_t d,
                                         int64_t dv) {
  TensorCoreLayout l{cfg.bq, cfg.bk, d, dv, cfg.slots(), cfg.oFragments == 0};
  l.sharedScores = !cfg.registerSoftmax;
  l.valueProbe = cfg.valueProbe;
  if (cfg.registerSoftmax)
    l.exchangeBytes = 4 * cfg.threads * cfg.rowsPerThread();
  return l;
}

static int64_t sharedBytes(const GPUTileConfig &cfg, int64_t d, int64_t dv) {
  return cfg.tensorCores
             ? tensorCoreLayout(cfg, d, dv).bytes()
             : SharedLayout{cfg.bq,          cfg.bk,
                            d,               dv,
                            cfg.slots(),     cfg.oPerThread == 0,
                            cfg.valueProbe,  cfg.quantized}
                   .bytes();
}

/// The register softmax needs O in fragments and whole 16-row blocks per
/// warp.
static bool registerSoftmaxFits(const GPUTileConfig &cfg) {
  return cfg.tensorCores && cfg.oFragments && cfg.warps() > 0 &&
         cfg.bq % gpu_codegen::kMmaM == 0 &&
         (cfg.bq / gpu_codegen::kMmaM) % cfg.warps() == 0;
}

/// The most O elements a SIMT thread keeps in registers across key tiles
/// (FlashAttention-2's register-resident accumulator); more and O stays in
/// shared memory.
constexpr int64_t kMaxORegisters = 64;

/// O elements per thread of the SIMT kernel with O in registers (each thread
/// owns elements t, t + T, ... of the Bq x Dv tile), or 0 when that is more
/// than kMaxORegisters.
static int64_t oRegisterCount(int64_t bq, int64_t dv, int64_t threads) {
  int64_t n = (bq * dv + threads - 1) / threads;
  return n <= kMaxORegisters ? n : 0;
}

/// 16x8 O tiles per warp of the tensor-core kernel with O in accumulator
/// fragments (each of the W warps owns tiles w, w + W, ... of the
/// (Bq / 16) x (Dv / 8) grid; 4 floats per lane per tile), or 0 when the
/// tiles do not divide evenly among the warps or need more than
/// kMaxORegisters floats per lane.
static int64_t oFragmentCount(int64_t bq, int64_t dvPad, int64_t threads) {
  int64_t warps = threads / 32;
  int64_t tiles = (bq / gpu_codegen::kMmaM) * (dvPad / gpu_codegen::kMmaN);
  if (threads % 32 || warps == 0 || bq % gpu_codegen::kMmaM ||
      tiles % warps)
    return 0;
  int64_t n = tiles / warps;
  return 4 * n <= kMaxORegisters ? n : 0;
}

/// Elements per cp.async (4, 8 or 16 bytes) for a tile of `cols` valid
/// columns stored with row stride `stride` and `paddedCols` written columns
/// (the padding is zero-filled by the same copies): the widest whose copies
/// never straddle the valid columns' end and whose shared and global
/// addresses stay aligned (row starts are multiples of the width). 0 when
/// none fits.
static int64_t asyncCopyWidth(int64_t elementBytes, int64_t cols,
                              int64_t stride, int64_t paddedCols) {
  for (int64_t bytes : {16, 8, 4}) {
    if (bytes % elementBytes)
      continue;
    int64_t w = bytes / elementBytes;
    if (cols % w == 0 && stride % w == 0 && paddedCols % w == 0)
      return w;
  }
  return 0;
}

/// Whether `mods` changes a score: a bias, a named modification or a
/// score_mod region.
static bool hasScoreMods(ScoreSpecOpInterface mods) {
  if (!mods)
    return false;
  ArrayAttr named = mods.getScoreModsAttr();
  Region *region = mods.getScoreModRegion();
  return mods.getBias() || (named && !named.empty()) ||
         (region && !region->empty());
}

/// Whether `mask` excludes pairs: a mask attribute or a mask_fn region.
static bool hasMaskOf(ScoreSpecOpInterface mask) {
  Region *region = mask.getMaskFnRegion();
  return mask.getMaskAttr() || (region && !region->empty());
}

/// How one pass over a work item's key tiles uses them.
enum class KeyPass {
  /// The one-pass form: S, the online row statistics (running max and sum,
  /// rescale factor alpha) with P overwriting S, then O = alpha O + P V.
  Online,
  /// Pass 1 of the two-pass form (a weight_mod under softmax or l1): S and
  /// the row statistics only; V is not read.
  Statistics,
  /// The row normalizer is known before the pass (pass 2 of the two-pass
  /// form, or a weight_mod under a normalization without one): the score
  /// stage writes the final, modified weights into P, then O = O + P V.
  FinalWeights,
};

class GPULowering : public KernelBuilder {
public:
  GPULowering(const GPUSpec &spec, GPUTileConfig cfg);

  LogicalResult run();

private:
  /// A reduction over [0, n) in `ways` interleaved partial accumulators
  /// (element j into accumulator j mod ways, all starting from `init`),
  /// combined at the end: independent dependency chains for the GPU's
  /// latency. Needs `combine` associative and commutative and `init` its
  /// identity or idempotent under it; a plain reduce when ways does not
  /// divide n.
  Value reduceInterleaved(int64_t n, Value init, int64_t ways,
                          function_ref<Value(Value iv, Value acc)> body,
                          function_ref<Value(Value, Value)> combine) {
    if (ways <= 1 || n % ways)
      return reduce(n, init, body);
    SmallVector<Value> inits(ways, init);
    auto loop = scf::ForOp::create(
        b, loc, idx(0), idx(n), idx(ways), inits,
        [&](OpBuilder &, Location, Value iv, ValueRange acc) {
          SmallVector<Value> next;
          for (int64_t w = 0; w < ways; ++w)
            next.push_back(body(w ? e.addi(iv, idx(w)) : iv, acc[w]));
          scf::YieldOp::create(b, loc, next);
        });
    SmallVector<Value> parts(loop.getResults());
    while (parts.size() > 1) {
      SmallVector<Value> next;
      for (size_t i = 0; i + 1 < parts.size(); i += 2)
        next.push_back(combine(parts[i], parts[i + 1]));
      if (parts.size() % 2)
        next.push_back(parts.back());
      parts = std::move(next);
    }
    return parts.front();
  }
  /// A thread-level stage over the O elements in registers: thread t owns
  /// elements x = t + k T of the Bq x Dv tile, k < oPerThread (slot k of
  /// its row of oRegs); `body(k, x)` for those below Bq Dv.
  void ownedOElements(function_ref<void(Value t, Value k, Value x)> body);
  /// A thread-level stage over the O elements in mma accumulator fragments
  /// (oFrags): thread t = 32 w + lane holds, of each of warp w's tiles n
  /// (O tile w + n W, or w N + n with the register softmax), the elements
  /// of the m16n8 accumulator layout: rows lane / 4 and lane / 4 + 8,
  /// columns 2 (lane % 4) and 2 (lane % 4) + 1.
  /// `body(indices into oFrags, row and column in the Bq x Dv tile)`.
  void forEachAccumulatorElement(
      function_ref<void(ValueRange frag, Value i, Value c)> body);
  /// The same elements of thread t, inside a stage.
  void accumulatorElementsOf(
      Value t, function_ref<void(ValueRange frag, Value i, Value c)> body);
  // Stages of one work item, in the block-level forall (see run()).
  /// One pass over the work item's key tiles.
  void keyTiles(KeyPass pass);
  /// Rows [k0, k0 + Bk) of `src` (K or V of head `head`) into `dst`.
  void loadTile(Value src, Value dst, int64_t cols, Value head, Value k0);
  /// A 16-bit tile for the tensor cores, copied as is: `rows` x `cols` from
  /// rows r0.. of src[bb, head], zero past `nRows` and `valid` columns.
  void loadTile16(Value src, Value dst, Value head, Value r0, int64_t nRows,
                  int64_t rows, int64_t cols, int64_t valid);
  /// Double buffering: one thread-level stage that starts the asynchronous
  /// copies of the K (and with `withV` the V) tile of list entry `entry`
  /// into the buffers' rows from `slotRow` (if `valid`; the entry is clamped
  /// into the table), commits them as one group per thread and, with
  /// `waitPrevious`, waits until only that group is in flight.
  void asyncCopyStage(Value entry, Value valid, Value slotRow, bool withV,
                      bool waitPrevious);
  /// Asynchronous copies of a `rows` x `cols` tile (`valid` columns, `width`
  /// elements per copy) of src[bb, head] from row r0, zero-filled past
  /// `nRows` and `valid`, into dst's rows from `dstRow`; thread `t` of `T`.
  void asyncCopyTile(Value t, Value src, Value dst, Value head, Value r0,
                     int64_t nRows, int64_t rows, Value dstRow, int64_t cols,
                     int64_t valid, int64_t width);
  /// The key tile of list entry `entry`: (its first key, whether it is
  /// partial).
  std::pair<Value, Value> decodeEntry(Value entry);
  // INT8 Q K^T (cfg.quantized; QuantizedScores.h).
  /// `rows` i8 rows of `mem` (Q or K of head `head`) from row r0 into
  /// `dst` from row dstRow0 (null: 0) and their scales into `scaleDst`;
  /// rows past nRows are 0 with scale 0.
  void loadQuantizedRows(Value mem, Value head, Value r0, int64_t nRows,
                         int64_t rows, const QuantizedRows &quant,
                         Value scalesMem, Value dst, Value scaleDst,
                         Value dstRow0);
  /// Row i's unmasked score for K tile row `kRow`: the exact i32 dot
  /// product of the i8 rows times their scales and the spec's scale.
  Value quantizedScore(Value i, Value kRow);
  /// S = Q K^T (masked on partial tiles, then modified), or with
  /// FinalWeights the final weights of the kept pairs.
  void scoreStage(Value k0, Value isPartial, KeyPass pass);
  /// Whether pair `ctx` (key kj) is kept: inside the sequence and, on a
  /// partial tile, by the mask.
  Value keepPair(const PairContext &ctx, Value kj, Value isPartial);
  /// On a partial tile: the mask and the row's block selection.
  Value maskedOrSelected(const PairContext &ctx);
  /// Row i's score `s` (scaled) for key kj: modified if kept, else -inf.
  Value maskAndModify(Value s, Value i, Value kj, Value isPartial);

  // The register softmax (cfg.registerSoftmax): thread t = 32 w + lane holds
  // the m16n8 accumulator elements of lane in warp w's row blocks of S, P
  // and O: rows lane / 4 and lane / 4 + 8 of each block, columns
  // 2 (lane % 4) and 2 (lane % 4) + 1 of each 8-column tile.
  /// `body(slot, rb, r, i)` for the rows thread t holds: its slot (0 ..
  /// rowsPerThread - 1) in mPriv, lPriv and the exchange, the warp's row
  /// block rb, the row r in the block and i in the Bq tile.
  void forEachLaneRow(Value t,
                      function_ref<void(int64_t, int64_t, Value, Value)> body);
  /// 32-bit registers a thread keeps its accumulators in across stages: O
  /// (SIMT or tensor cores), and with the register softmax S and P (two
  /// 16-bit values a register).
  int64_t accumulatorRegisters() const {
    int64_t regs = cfg.oPerThread + 4 * cfg.oFragments;
    if (cfg.registerSoftmax)
      regs += cfg.rowBlocksPerWarp() * (4 * (Bk / gpu_codegen::kMmaN) +
                                        Bk / 4);
    return regs;
  }
  /// The two columns of an 8-column tile thread t holds.
  std::array<Value, 2> laneColumns(Value t);
  /// A reduction over the columns thread t holds of a row, through
  /// `tiles` 8-column tiles: body(tile, column in the tile, column, acc).
  Value reduceLaneColumns(Value t, int64_t tiles, Value init,
                          function_ref<Value(Value, Value, Value, Value)> body);
  /// Softmax, first half: S scaled, masked and modified in place; each
  /// thread's partial row max into the lane exchange.
  void registerScoresStage(Value k0, Value isPartial);
  /// Online: the row max over the 4 lanes of the row, alpha, P = exp(S -
  /// max) into the warp-private P, the thread's partial row sum, O scaled
  /// by alpha (without softmax: masked and modified pointwise weights and
  /// their sum). Statistics: the max and sum only. FinalWeights: P = the
  /// final weights (the normalizer known).
  void registerWeightsStage(Value k0, Value isPartial, KeyPass pass);
  /// `combine` over the exchange's column `slot` of the rows of t's quad
  /// (t xor 0..3), starting from `init` if given.
  Value acrossQuad(Value t, int64_t slot, Value init,
                   function_ref<Value(Value, Value)> combine);
  /// After the key loop: the partial row sums added over each row's 4 lanes,
  /// m and l of each row into mBuf and lBuf (for finishRows).
  void publishRowStats();
  /// The weight of a kept pair once the row normalizer is known: the
  /// normalized weight of the modified score, passed through weight_mod with
  /// the raw score `raw`.
  Value finalWeight(Value raw, Value i, const PairContext &ctx);
  /// The pointwise normalization's weight of a masked and modified score,
  /// 0 where it is masked (-inf): f(-inf) is not 0 for every f (softmax's
  /// weights come from SoftmaxMath).
  Value pointwiseOnlineWeight(Value s);
  /// Pair (i, kj)'s final weight from its scaled raw score, 0 if not kept.
  Value keptFinalWeight(Value s, Value i, Value kj, Value isPartial);
  /// The online row statistics; with `storeWeights` P overwrites S and the
  /// rescale factor goes to alpha.
  void rowStatsStage(bool storeWeights);
  /// O = alpha O + P V (`rescale`) or O = O + P V. With a mask, on a
  /// partial key tile (list entry `entry`, first key k0) whose values are
  /// not all finite, the pairs the mask excludes add nothing (see
  /// probeValues).
  void accumulateStage(bool rescale, Value entry, Value k0, Value isPartial);
  /// An excluded pair's weight is 0, but 0 times a NaN or infinity in its
  /// value row is NaN. So before P V the SIMT kernel probes a partial key
  /// tile's values (one stage): whether one is not finite (uniform over the
  /// block). Rare, and then P V skips the excluded pairs
  /// (markKeptZeroWeights).
  Value probeValues(Value entry);
  /// NaN or +-infinity.
  Value notFinite(Value v);
  /// The tensor cores' P V on a tile whose values are not all finite (they
  /// cannot skip single products): after O's rescale each O element adds
  /// the non-finite values of the keys its row keeps (whatever the weight),
  /// then those values become 0 in the tile. One stage whose loop over the
  /// tile's keys holds the thread's elements (not the other way round: a
  /// loop per element cost ~90 registers and 25x the compile time).
  void excludeNonFiniteValues(Value k0);
  /// The SIMT kernel's P V on a tile whose values are not all finite: the
  /// zero weights of kept pairs become -0, so that the excluded pairs are
  /// those whose weight is +0.
  void markKeptZeroWeights(Value k0);
  /// After the key loop of the statistics: the sink logit joins the
  /// normalizer, the logsumexp is written, and alpha becomes the output
  /// factor (one pass) or the inverse normalizer of pass 2 (two passes, the
  /// final max then in m).
  void finishRows(bool twoPasses);
  /// out = O (times alpha with `scaled`, times the output gate); O read
  /// where the kernel keeps it, or from `mergedO(i, c)` (the merge kernel).
  void storeOutput(bool scaled,
                   function_ref<Value(Value i, Value c)> mergedO = nullptr);
  /// `body(i, c, qi, loadO)` in thread-level stages for each element (i, c)
  /// of the Bq x Dv output tile with qi = q0 + i inside the sequence, where
  /// `loadO` reads O: from `mergedO` if given, else where the kernel keeps
  /// it (fragments, registers or shared memory).
  void forEachOutputElement(
      function_ref<void(Value i, Value c, Value qi, function_ref<Value()> loadO)>
          body,
      function_ref<Value(Value i, Value c)> mergedO = nullptr);

  // Split-KV (splits > 1): the first kernel's blocks run one part of a work
  // item's key tiles; the merge kernel combines the parts per row.
  /// The key splits of the program: 1 unless it is a split-KV program;
  /// split-kv = 0 aims at kGPUSplitTargetBlocks blocks, with at least
  /// kMinTilesPerSplit key tiles per split.
  int64_t keySplits(const TileSchedule &schedule, int64_t numItems) const;
  /// The end of a split's block: its unnormalized O and (with `withStats`)
  /// its rows' running max and sum into the partial buffers at `split`.
  void storePartials(Value split, bool withStats);
  /// The merge kernel: one block per (batch, head, query tile); per row the
  /// LSE merge of the splits' statistics (SoftmaxMath::merge, as
  /// attn_tile.merge on the CPU), then finishRows and the output.
  void buildMergeKernel(int64_t splits, bool normalized);

  /// The row of K or V tile row `j` in the current slot.
  Value kvRow(Value j) { return kvRow0 ? e.addi(kvRow0, j) : j; }

  /// The pair's score modifications (the spec's scoreMods op; the
  /// context's op carries the mask).
  Value modifyScore(Value s, PairContext ctx) {
    ctx.op = spec.scoreMods;
    return e.modifyScore(s, ctx);
  }
  /// The kernel's buffers replace the root's results; the root goes.
  void replaceRoot();

  PairContext pair(Value qi, Value kj) {
    return PairContext{spec.mask,
                       bb,
                       h,
                       e.minsi(qi, idx(Nq - 1)),
                       e.minsi(kj, idx(Nk - 1)),
                       e.addi(qi, idx(Nk - Nq)),
                       idx(Nq),
                       idx(Nk),
                       idx(Hq)};
  }

  const GPUSpec &spec;
  GPUTileConfig cfg;
  SoftmaxMath sm;

  // The problem.
  int64_t Hq, Nq, D, Hkv, Hv, Nk, Dv, Bq, Bk;
  bool softmax, l1, hasMods, hasMask;
  double scale;
  Value qMem, kMem, vMem, outBuffer, lseBuffer;
  // Split-KV: O, max and sum of each split's rows ([S, B, Hq, Nq(, Dv)],
  // f32, global memory).
  Value partialO, partialM, partialL;
  // INT8 Q K^T: the scale operands (null: scales of 1) and the shared row
  // scales of the Q and K tiles.
  Value qScalesMem, kScalesMem, qScaleBuf, kScaleBuf;

  // The work item (values of the block-level forall's body): batch, query
  // head, key and value heads, first query, its key-tile list.
  Value bb, h, hk, hv, q0, eBegin, eEnd, entryTable;
  int64_t numEntries = 0;
  // With a block selection: the key tiles listed at run time (instead of
  // entryTable) and the work item's row in that list.
  std::optional<RuntimeTiles> runtimeTiles;
  Value itemRow;
  // Double buffering: the first K/V buffer row of the current key tile.
  Value kvRow0;
  // Tensor cores with async copies: the Q tile joins the first key tile's
  // copies (the first pass's prologue).
  bool qWithFirstTile = false;
  // Its shared buffers: Q, K, V, S/P, O tiles; per row the running max m,
  // the running sum l and the factor alpha.
  Value qs, ks, vs, ss, os, mBuf, lBuf, alphaBuf;
  // With a mask (cfg.valueProbe): the last key-tile entry (i32) whose value
  // tile held a non-finite number; -1 before the first.
  Value nonFiniteEntry;
  // SIMT with O in registers: T x oPerThread, row t private to thread t
  // (attn.gpu.thread_private; attn-gpu-privatize-thread-state makes it a
  // per-thread array on the GPU).
  Value oRegs;
  // Tensor cores with O in accumulator fragments: W x oFragments x 16 x 8,
  // attn.gpu.warp_private (attn-gpu-privatize-warp-state gives each lane
  // its fragments as registers on the GPU).
  Value oFrags;
  // Register softmax: S (W x R Bk/8 x 16 x 8 f32) and P (W x R x 16 x Bk,
  // input type) warp-private; each thread's row max and sum (T x 2R,
  // thread-private); the lane exchange (T x 2R, shared; row t written by
  // thread t, read by the 4 lanes of its quad: attn.gpu.lane_exchange).
  Value sFrags, pFrags, mPriv, lPriv, xbuf;
  // Tensor cores: P in the input type; the input type; O's columns.
  bool tc = false;
  Value ps;
  Type inElem;
  int64_t oCols = 0;
  TensorCoreLayout tcLayout{0, 0, 0, 0};
};

} // namespace

GPULowering::GPULowering(const GPUSpec &spec, GPUTileConfig cfg)
    : KernelBuilder(spec.root, cfg.threads), spec(spec), cfg(cfg),
      sm(b, loc, [this](Value x) { return exp(x); }) {
  auto qType = cast<RankedTensorType>(spec.query.getType());
  auto kType = cast<RankedTensorType>(spec.key.getType());
  auto vType = cast<RankedTensorType>(spec.value.getType());
  Hq = qType.getDimSize(1), Nq = qType.getDimSize(2), D = qType.getDimSize(3);
  Hkv = kType.getDimSize(1), Nk = kType.getDimSize(2);
  Hv = vType.getDimSize(1), Dv = vType.getDimSize(3);
  Bq = cfg.bq, Bk = cfg.bk;
  NormalizationAttr normAttr = spec.normalization;
  softmax = !normAttr || normAttr.getKind() == NormalizationKind::Softmax;
  l1 = normAttr && normAttr.getL1();
  scale = spec.scale;
  hasMods = hasScoreMods(spec.scoreMods);
  hasMask = hasMaskOf(spec.mask);
  tc = cfg.tensorCores;
  inElem = qType.getElementType();
  tcLayout = tensorCoreLayout(cfg, D, Dv);
  oCols = tc ? tcLayout.dvPad() : Dv;
}

void GPULowering::ownedOElements(
    function_ref<void(Value t, Value k, Value x)> body) {
  threadForall(cfg.threads, [&](Value t) {
    forLoop(idx(0), idx(cfg.oPerThread), 1, [&](Value k) {
      Value x = e.addi(t, e.muli(k, idx(cfg.threads)));
      if (cfg.oPerThread * cfg.threads == Bq * Dv)
        body(t, k, x);
      else
        ifThen(e.cmp(arith::CmpIPredicate::ult, x, idx(Bq * Dv)),
               [&] { body(t, k, x); });
    });
  });
}

void GPULowering::forEachAccumulatorElement(
    function_ref<void(ValueRange frag, Value i, Value c)> body) {
  threadForall(cfg.threads,
               [&](Value t) { accumulatorElementsOf(t, body); });
}

void GPULowering::accumulatorElementsOf(
    Value t, function_ref<void(ValueRange frag, Value i, Value c)> body) {
  int64_t warps = cfg.warps(), tilesN = oCols / gpu_codegen::kMmaN;
  {
    Value w = divui(t, 32), lane = remui(t, 32);
    Value laneRow = divui(lane, 4), laneCol = e.muli(remui(lane, 4), idx(2));
    for (int64_t n = 0; n < cfg.oFragments; ++n) {
      // Register softmax: warp w owns whole row blocks (see WarpMatmul).
      Value tile = cfg.registerSoftmax
                       ? e.addi(e.muli(w, idx(cfg.oFragments)), idx(n))
                       : e.addi(w, idx(n * warps));
      Value row0 = e.muli(divui(tile, tilesN), idx(gpu_codegen::kMmaM));
      Value col0 = e.muli(remui(tile, tilesN), idx(gpu_codegen::kMmaN));
      for (int64_t half = 0; half < 2; ++half)
        for (int64_t pair = 0; pair < 2; ++pair) {
          Value r = half ? e.addi(laneRow, idx(8)) : laneRow;
          Value c = pair ? e.addi(laneCol, idx(1)) : laneCol;
          body({w, idx(n), r, c}, e.addi(row0, r), e.addi(col0, c));
        }
    }
  }
}

static const float negInf = -std::numeric_limits<float>::infinity();

LogicalResult GPULowering::run() {
  auto outType = cast<RankedTensorType>(spec.output.getType());
  const int64_t numQT = (Nq + Bq - 1) / Bq;
  SharedLayout layout{Bq, Bk, D, Dv, cfg.slots()};
  layout.quantized = cfg.quantized;

  FailureOr<TileSchedule> schedule =
      buildTileSchedule(spec.mask, cast<RankedTensorType>(spec.query.getType()),
                        cast<RankedTensorType>(spec.key.getType()), Bq, Bk);
  if (failed(schedule))
    return failure();
  std::vector<int32_t> entries = schedule->entries;
  if (entries.empty())
    entries.push_back(0); // tables must not be empty
  numEntries = entries.size();
  // A selection: the selection kernels run first and list, per work item,
  // the static entries it visits.
  if (spec.selection) {
    runtimeTiles = buildSelectionKernels(spec, *schedule, Bq, Bk, cfg.threads);
    numEntries = runtimeTiles->width;
    if (auto func = spec.root->getParentOfType<func::FuncOp>())
      func->setAttr("attn.gpu.selection_kernels", b.getUnitAttr());
  }
  const std::vector<int32_t> &order = schedule->workOrder;
  int64_t numItems = order.size();
  const int64_t splits = keySplits(*schedule, numItems);
  // Split parts carry row statistics when the rows are normalized by them
  // (a one-pass weight_mod has none: its parts are summed).
  const bool splitStats = (softmax || l1) && !spec.weightMod;

  auto memrefOf = [&](Value tensor) { return readBuffer(b, loc, tensor); };
  qMem = memrefOf(spec.query);
  kMem = memrefOf(spec.key);
  vMem = memrefOf(spec.value);
  if (cfg.quantized) {
    if (spec.qRows.scales)
      qScalesMem = memrefOf(spec.qRows.scales);
    if (spec.kRows.scales)
      kScalesMem = memrefOf(spec.kRows.scales);
  }

  outBuffer = memref::AllocOp::create(
      b, loc, MemRefType::get(outType.getShape(), outType.getElementType()));
  if (Value lse = spec.lse)
    lseBuffer = memref::AllocOp::create(
        b, loc,
        MemRefType::get(cast<RankedTensorType>(lse.getType()).getShape(),
                        b.getF32Type()));

  if (splits > 1) {
    int64_t batch = outType.getDimSize(0);
    auto partial = [&](ArrayRef<int64_t> shape) -> Value {
      return memref::AllocOp::create(
          b, loc, MemRefType::get(shape, b.getF32Type()));
    };
    partialO = partial({splits, batch, Hq, Nq, Dv});
    partialM = partial({splits, batch, Hq, Nq});
    partialL = partial({splits, batch, Hq, Nq});
  }

  scf::ForallOp blocks = blockForall(numItems * splits);
  if (auto func = spec.root->getParentOfType<func::FuncOp>()) {
    func->setAttr("attn.gpu.tile_q", b.getI64IntegerAttr(Bq));
    func->setAttr("attn.gpu.tile_kv", b.getI64IntegerAttr(Bk));
    if (tc)
      func->setAttr("attn.gpu.tensor_cores", b.getUnitAttr());
    if (cfg.registerSoftmax)
      func->setAttr("attn.gpu.register_softmax", b.getUnitAttr());
    // Registers a thread needs beyond its accumulators (addresses, indices,
    // row statistics, score modifications): up to about 96 in the zoo
    // (ptxas -v; with 64, RCMHA's gathered bias spilled in the register
    // softmax at 170 registers).
    if (int64_t acc = accumulatorRegisters())
      func->setAttr("attn.gpu.min_registers", b.getI64IntegerAttr(96 + acc));
  }
  blocks->setAttr("attn.gpu.tile_q", b.getI64IntegerAttr(Bq));
  blocks->setAttr("attn.gpu.tile_kv", b.getI64IntegerAttr(Bk));
  blocks->setAttr("attn.gpu.threads", b.getI64IntegerAttr(cfg.threads));
  blocks->setAttr("attn.gpu.shared_bytes",
                  b.getI64IntegerAttr(sharedBytes(cfg, D, Dv)));
  if (tc)
    blocks->setAttr("attn.gpu.tensor_cores", b.getUnitAttr());
  if (cfg.asyncCopies) {
    blocks->setAttr("attn.gpu.async_copies", b.getUnitAttr());
    // cp.async of w elements needs w-element aligned addresses: the base
    // pointers of K and V must be (the launcher checks).
    if (auto func = spec.root->getParentOfType<func::FuncOp>()) {
      int64_t bytes = inElem.getIntOrFloatBitWidth() / 8;
      func->setAttr("attn.gpu.async_copies", b.getUnitAttr());
      func->setAttr("attn.gpu.key_alignment",
                    b.getI64IntegerAttr(cfg.kWidth * bytes));
      func->setAttr("attn.gpu.value_alignment",
                    b.getI64IntegerAttr(cfg.vWidth * bytes));
      if (tc) // Q joins the first tile's copies
        func->setAttr("attn.gpu.query_alignment",
                      b.getI64IntegerAttr(cfg.kWidth * bytes));
    }
  }
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(blocks.getBody()->getTerminator());
    Value w = blocks.getInductionVar(0);
    Value orderTable = table(order);
    Value offsetTable = table(schedule->offsets);
    entryTable = table(entries);
    Value classTable = table(schedule->headClass);

    // Split-KV: block w runs split w mod S of work item w / S.
    Value split;
    if (splits > 1) {
      split = remui(w, splits);
      w = divui(w, splits);
    }
    // The work item: heaviest first, then its class's tile list.
    Value item = lookup(orderTable, w);
    Value qt = remui(item, numQT);
    Value bh = divui(item, numQT);
    h = remui(bh, Hq);
    bb = divui(bh, Hq);
    // Key and value heads: the head maps (clamped into range) or GQA groups.
    hk = e.headIndex(spec.kHeadMap, idx(Hkv), idx(Hq), bb, h);
    hv = e.headIndex(spec.vHeadMap, idx(Hv), idx(Hq), bb, h);
    q0 = e.muli(qt, idx(Bq));
    Value cls = lookup(classTable, h);
    Value row = e.addi(e.muli(cls, idx(numQT)), qt);
    if (runtimeTiles) {
      // A selection's run-time list (selections have no split-KV form).
      itemRow = item;
      eBegin = idx(0);
      eEnd = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                        load(runtimeTiles->counts, {item}));
    } else {
      eBegin = lookup(offsetTable, row);
      eEnd = lookup(offsetTable, e.addi(row, idx(1)));
    }
    if (splits > 1) {
      // Split s of S takes entries [n s / S, n (s + 1) / S) of the item's n:
      // contiguous, balanced, empty when n < S.
      Value n = arith::SubIOp::create(b, loc, eEnd, eBegin);
      auto bound = [&](Value part) {
        return e.addi(eBegin, divui(e.muli(n, part), splits));
      };
      Value first = bound(split);
      eEnd = bound(e.addi(split, idx(1)));
      eBegin = first;
    }

    auto privateBuffer = [&](ArrayRef<int64_t> shape, Type type,
                             StringRef attr) -> Value {
      auto alloc =
          memref::AllocOp::create(b, loc, MemRefType::get(shape, type));
      alloc->setAttr(attr, b.getUnitAttr());
      return alloc;
    };
    if (tc) {
      qs = sharedBuffer({Bq, tcLayout.qStride()}, inElem);
      ks = sharedBuffer({cfg.slots() * Bk, tcLayout.kStride()}, inElem);
      vs = sharedBuffer({cfg.slots() * Bk, tcLayout.vStride()}, inElem);
      if (cfg.registerSoftmax) {
        int64_t rb = cfg.rowBlocksPerWarp(), rows = cfg.rowsPerThread();
        sFrags = privateBuffer({cfg.warps(), rb * (Bk / gpu_codegen::kMmaN),
                                gpu_codegen::kMmaM, gpu_codegen::kMmaN},
                               b.getF32Type(), gpu_codegen::kWarpPrivateAttr);
        pFrags = privateBuffer({cfg.warps(), rb, gpu_codegen::kMmaM, Bk},
                               inElem, gpu_codegen::kWarpPrivateAttr);
        mPriv = privateBuffer({cfg.threads, rows}, b.getF32Type(),
                              gpu_codegen::kThreadPrivateAttr);
        lPriv = privateBuffer({cfg.threads, rows}, b.getF32Type(),
                              gpu_codegen::kThreadPrivateAttr);
        xbuf = sharedBuffer({cfg.threads, rows});
        xbuf.getDefiningOp()->setAttr(gpu_codegen::kLaneExchangeAttr,
                                      b.getUnitAttr());
      } else {
        ss = sharedBuffer({Bq, tcLayout.sStride()});
        ps = sharedBuffer({Bq, tcLayout.pStride()}, inElem);
      }
      if (cfg.oFragments) {
        oFrags = privateBuffer({cfg.warps(), cfg.oFragments,
                                gpu_codegen::kMmaM, gpu_codegen::kMmaN},
                               b.getF32Type(), gpu_codegen::kWarpPrivateAttr);
      } else {
        os = sharedBuffer({Bq, tcLayout.oStride()});
      }
    } else {
      // INT8 Q K^T keeps Q and K as they come (i8) and their row scales.
      Type qkElem = cfg.quantized ? b.getI8Type() : Type();
      qs = sharedBuffer({Bq, D}, qkElem);
      ks = sharedBuffer({cfg.slots() * Bk, layout.kStride()}, qkElem);
      if (cfg.quantized) {
        qScaleBuf = sharedBuffer({Bq});
        kScaleBuf = sharedBuffer({cfg.slots() * Bk});
      }
      vs = sharedBuffer({cfg.slots() * Bk, Dv});
      ss = sharedBuffer({Bq, layout.sStride()});
      if (cfg.oPerThread) {
        auto regs = memref::AllocOp::create(
            b, loc,
            MemRefType::get({cfg.threads, cfg.oPerThread}, b.getF32Type()));
        regs->setAttr(gpu_codegen::kThreadPrivateAttr, b.getUnitAttr());
        oRegs = regs;
      } else {
        os = sharedBuffer({Bq, Dv});
      }
    }
    mBuf = sharedBuffer({Bq});
    lBuf = sharedBuffer({Bq});
    alphaBuf = sharedBuffer({Bq});
    if (cfg.valueProbe) {
      nonFiniteEntry = sharedBuffer({1}, b.getI32Type());
      threadLoop(1, [&](Value) {
        store(arith::ConstantIntOp::create(b, loc, -1, 32), nonFiniteEntry,
              {idx(0)});
      });
    }

    // Q tile, scaled; padding queries are zero. The tensor-core kernel keeps
    // Q in the input type and scales S in f32 instead.
    if (tc && cfg.asyncCopies)
      qWithFirstTile = true; // Q is not used before the first key tile
    else if (tc)
      loadTile16(qMem, qs, h, q0, Nq, Bq, tcLayout.dPad(), D);
    else if (cfg.quantized)
      loadQuantizedRows(qMem, h, q0, Nq, Bq, spec.qRows, qScalesMem, qs,
                        qScaleBuf, Value());
    else
      threadLoop(Bq * D, [&](Value x) {
        Value i = divui(x, D), d = remui(x, D);
        Value qi = e.addi(q0, i);
        Value inside = e.cmp(arith::CmpIPredicate::slt, qi, idx(Nq));
        Value v = e.toF32(load(qMem, {bb, h, e.minsi(qi, idx(Nq - 1)), d}));
        v = arith::MulFOp::create(b, loc, v, e.f32(scale));
        store(e.select(inside, v, e.f32(0.0)), qs, {i, d});
      });

    // A weight_mod needs the final weights, i.e. the row normalizer
    // (softmax, l1) before the accumulation: two passes over the key tiles.
    // Without a normalizer its weights are final in one pass.
    bool twoPasses = spec.twoPasses;
    bool weightMod = spec.weightMod != nullptr;
    bool normalized = softmax || l1;
    if (cfg.registerSoftmax && (!weightMod || twoPasses))
      threadForall(cfg.threads, [&](Value t) {
        forEachLaneRow(t, [&](int64_t slot, int64_t, Value, Value) {
          store(e.f32(softmax ? negInf : 0.0), mPriv, {t, idx(slot)});
          store(e.f32(0.0), lPriv, {t, idx(slot)});
        });
      });
    else if (!weightMod || twoPasses)
      threadLoop(Bq, [&](Value i) {
        store(e.f32(softmax ? negInf : 0.0), mBuf, {i});
        store(e.f32(0.0), lBuf, {i});
      });
    if (oRegs)
      ownedOElements([&](Value t, Value k, Value) {
        store(e.f32(0.0), oRegs, {t, k});
      });
    else if (oFrags)
      forEachAccumulatorElement([&](ValueRange frag, Value, Value) {
        store(e.f32(0.0), oFrags, frag);
      });
    else
      threadLoop(Bq * oCols, [&](Value x) {
        store(e.f32(0.0), os, {divui(x, oCols), remui(x, oCols)});
      });
    if (twoPasses) {
      keyTiles(KeyPass::Statistics);
      if (cfg.registerSoftmax)
        publishRowStats();
      finishRows(/*twoPasses=*/true);
      keyTiles(KeyPass::FinalWeights);
    } else if (weightMod) {
      keyTiles(KeyPass::FinalWeights);
    } else {
      keyTiles(KeyPass::Online);
      if (normalized && cfg.registerSoftmax)
        publishRowStats();
      if (normalized && splits == 1)
        finishRows(/*twoPasses=*/false);
    }
    if (splits > 1)
      storePartials(split, /*withStats=*/splitStats);
    else
      storeOutput(/*scaled=*/normalized && !twoPasses);
  }
  if (splits > 1)
    buildMergeKernel(splits, /*normalized=*/splitStats);

  replaceRoot();
  return success();
}

std::pair<Value, Value> GPULowering::decodeEntry(Value entry) {
  Value code = runtimeTiles
                   ? arith::IndexCastOp::create(
                         b, loc, b.getIndexType(),
                         load(runtimeTiles->list, {itemRow, entry}))
                         .getResult()
                   : lookup(entryTable, entry);
  Value kt = divui(code, 2);
  Value isFull = e.cmp(arith::CmpIPredicate::eq, remui(code, 2), idx(1));
  Value isPartial = arith::XOrIOp::create(b, loc, isFull, e.boolean(true));
  return {e.muli(kt, idx(Bk)), isPartial};
}

void GPULowering::keyTiles(KeyPass pass) {
  const bool withV = pass != KeyPass::Statistics;
  // Double buffering: tile e + 1 streams into one slot while tile e is
  // used from the other. The first tile is started before the loop.
  if (cfg.asyncCopies)
    asyncCopyStage(eBegin, e.cmp(arith::CmpIPredicate::ult, eBegin, eEnd),
                   idx(0), withV, /*waitPrevious=*/false);
  forLoop(eBegin, eEnd, 1, [&](Value entry) {
    auto [k0, isPartial] = decodeEntry(entry);
    if (cfg.asyncCopies) {
      Value slot = remui(arith::SubIOp::create(b, loc, entry, eBegin), 2);
      kvRow0 = e.muli(slot, idx(Bk));
      Value next = e.addi(entry, idx(1));
      // The stage also waits for this tile's copies; the barrier after it
      // makes them visible to the whole block. The slot it fills was last
      // read before the previous iteration's final barrier.
      asyncCopyStage(next, e.cmp(arith::CmpIPredicate::ult, next, eEnd),
                     e.muli(arith::SubIOp::create(b, loc, idx(1), slot),
                            idx(Bk)),
                     withV, /*waitPrevious=*/true);
    } else if (tc) {
      loadTile16(kMem, ks, hk, k0, Nk, Bk, tcLayout.dPad(), D);
      if (withV)
        loadTile16(vMem, vs, hv, k0, Nk, Bk, tcLayout.dvPad(), Dv);
    } else {
      if (cfg.quantized)
        loadQuantizedRows(kMem, hk, k0, Nk, Bk, spec.kRows, kScalesMem, ks,
                          kScaleBuf, kvRow0);
      else
        loadTile(kMem, ks, D, hk, k0);
      if (withV)
        loadTile(vMem, vs, Dv, hv, k0);
    }
    if (cfg.registerSoftmax) {
      // S, P and O in registers: Q K^T into the warp's S tiles, the softmax
      // on them, P V from the warp's P tiles.
      gpu_codegen::WarpMatmul scores{qs, ks, sFrags, Bq, Bk, tcLayout.dPad(),
                                     /*bIsNK=*/true, /*accumulate=*/false,
                                     kvRow0};
      scores.cWarpPrivate = scores.rowBlocked = true;
      gpu_codegen::emitWarpMatmul(b, loc, cfg.warps(), scores);
      if (softmax && pass != KeyPass::FinalWeights)
        registerScoresStage(k0, isPartial);
      registerWeightsStage(k0, isPartial, pass);
      if (withV) {
        if (cfg.valueProbe)
          ifThen(isPartial, [&] {
            ifThen(probeValues(entry), [&] { excludeNonFiniteValues(k0); });
          });
        gpu_codegen::WarpMatmul values{pFrags, vs, oFrags, Bq, oCols, Bk,
                                       /*bIsNK=*/false, /*accumulate=*/true,
                                       kvRow0};
        values.cWarpPrivate = values.rowBlocked = values.aWarpPrivate = true;
        gpu_codegen::emitWarpMatmul(b, loc, cfg.warps(), values);
      }
      kvRow0 = Value();
      return;
    }
    if (tc)
      gpu_codegen::emitWarpMatmul(b, loc, cfg.warps(),
                                  {qs, ks, ss, Bq, Bk, tcLayout.dPad(),
                                   /*bIsNK=*/true, /*accumulate=*/false,
                                   kvRow0});
    scoreStage(k0, isPartial, pass);
    if (pass != KeyPass::FinalWeights)
      rowStatsStage(/*storeWeights=*/pass == KeyPass::Online);
    if (withV)
      accumulateStage(/*rescale=*/pass == KeyPass::Online, entry, k0,
                      isPartial);
    kvRow0 = Value();
  });
}

void GPULowering::asyncCopyStage(Value entry, Value valid, Value slotRow,
                                 bool withV, bool waitPrevious) {
  // Every thread commits a group (possibly empty) and waits, so that the
  // count of groups in flight is the same in all threads.
  bool withQ = qWithFirstTile;
  qWithFirstTile = false;
  threadForall(cfg.threads, [&](Value t) {
    ifThen(valid, [&] {
      Value k0 = decodeEntry(e.minsi(entry, idx(numEntries - 1))).first;
      int64_t kCols = tc ? tcLayout.dPad() : D;
      // Q has K's row layout (tensor cores): the same copy width.
      if (withQ)
        asyncCopyTile(t, qMem, qs, h, q0, Nq, Bq, idx(0), kCols, D,
                      cfg.kWidth);
      asyncCopyTile(t, kMem, ks, hk, k0, Nk, Bk, slotRow, kCols, D,
                    cfg.kWidth);
      if (withV) {
        int64_t vCols = tc ? tcLayout.dvPad() : Dv;
        asyncCopyTile(t, vMem, vs, hv, k0, Nk, Bk, slotRow, vCols, Dv,
                      cfg.vWidth);
      }
    });
    Type token = nvgpu::DeviceAsyncTokenType::get(b.getContext());
    Value group =
        nvgpu::DeviceAsyncCreateGroupOp::create(b, loc, token, ValueRange{});
    if (waitPrevious)
      nvgpu::DeviceAsyncWaitOp::create(b, loc, group, b.getI32IntegerAttr(1));
  });
}

void GPULowering::asyncCopyTile(Value t, Value src, Value dst, Value head,
                                Value r0, int64_t nRows, int64_t rows,
                                Value dstRow, int64_t cols, int64_t valid,
                                int64_t width) {
  const int64_t perRow = cols / width;
  forLoop(t, idx(rows * perRow), cfg.threads, [&](Value x) {
    Value j = divui(x, perRow);
    Value c = e.muli(remui(x, perRow), idx(width));
    Value r = e.addi(r0, j);
    Value inside = e.cmp(arith::CmpIPredicate::slt, r, idx(nRows));
    if (valid < cols)
      inside = e.andi(inside, e.cmp(arith::CmpIPredicate::slt, c, idx(valid)));
    // Zero-filled copies (no source bytes) still get an address inside the
    // tensor.
    Value count = e.select(inside, idx(width), idx(0));
    nvgpu::DeviceAsyncCopyOp::create(
        b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()), dst,
        ValueRange{e.addi(dstRow, j), c}, src,
        ValueRange{bb, head, e.minsi(r, idx(nRows - 1)),
                   e.minsi(c, idx(valid - width))},
        b.getIndexAttr(width), count, /*bypassL1=*/
        width * cast<MemRefType>(dst.getType()).getElementTypeBitWidth() ==
                128
            ? b.getUnitAttr()
            : UnitAttr());
  });
}

// K and V tiles; rows past the sequence end are zero.
void GPULowering::loadTile(Value src, Value dst, int64_t cols, Value head,
                           Value k0) {
  threadLoop(Bk * cols, [&](Value x) {
    Value j = divui(x, cols), c = remui(x, cols);
    Value kj = e.addi(k0, j);
    Value inside = e.cmp(arith::CmpIPredicate::slt, kj, idx(Nk));
    Value v = e.toF32(load(src, {bb, head, e.minsi(kj, idx(Nk - 1)), c}));
    store(e.select(inside, v, e.f32(0.0)), dst, {j, c});
  });
}

void GPULowering::loadTile16(Value src, Value dst, Value head, Value r0,
                             int64_t nRows, int64_t rows, int64_t cols,
                             int64_t valid) {
  threadLoop(rows * cols, [&](Value x) {
    Value r = divui(x, cols), c = remui(x, cols);
    Value gr = e.addi(r0, r);
    Value inside = e.cmp(arith::CmpIPredicate::slt, gr, idx(nRows));
    if (valid < cols)
      inside =
          e.andi(inside, e.cmp(arith::CmpIPredicate::slt, c, idx(valid)));
    Value v = load(src, {bb, head, e.minsi(gr, idx(nRows - 1)),
                         e.minsi(c, idx(valid - 1))});
    store(e.select(inside, v,
                   arith::ConstantOp::create(b, loc, b.getZeroAttr(inElem))),
          dst, {r, c});
  });
}

// S = Q K^T, masked on partial tiles (and past the sequence end), then
// modified; masked scores are -inf. With final weights, masked pairs get
// weight 0.
void GPULowering::scoreStage(Value k0, Value isPartial, KeyPass pass) {
  threadLoop(Bq * Bk, [&](Value x) {
    Value i = divui(x, Bk), j = remui(x, Bk);
    Value kj = e.addi(k0, j);
    // Tensor cores: S is there (warp stage), unscaled.
    Value s;
    if (tc) {
      s = arith::MulFOp::create(b, loc, load(ss, {i, j}), e.f32(scale));
    } else if (cfg.quantized) {
      s = quantizedScore(i, kvRow(j));
    } else {
      Value kRow = kvRow(j);
      s = reduce(D, e.f32(0.0), [&](Value d, Value acc) {
        return math::FmaOp::create(b, loc, load(qs, {i, d}),
                                   load(ks, {kRow, d}), acc);
      });
    }
    if (pass != KeyPass::FinalWeights) {
      store(maskAndModify(s, i, kj, isPartial), ss, {i, j});
      return;
    }
    Value w = keptFinalWeight(s, i, kj, isPartial);
    if (tc) // P in the input type for the tensor cores
      store(arith::TruncFOp::create(b, loc, inElem, w), ps, {i, j});
    else
      store(w, ss, {i, j});
  });
}

void GPULowering::loadQuantizedRows(Value mem, Value head, Value r0,
                                    int64_t nRows, int64_t rows,
                                    const QuantizedRows &quant,
                                    Value scalesMem, Value dst,
                                    Value scaleDst, Value dstRow0) {
  // One stage (one barrier) for the values and the row scales.
  auto rowOf = [&](Value r) {
    Value gr = e.addi(r0, r);
    return std::pair<Value, Value>(
        e.minsi(gr, idx(nRows - 1)),
        e.cmp(arith::CmpIPredicate::slt, gr, idx(nRows)));
  };
  auto dstRow = [&](Value r) { return dstRow0 ? e.addi(dstRow0, r) : r; };
  threadForall(cfg.threads, [&](Value t) {
    forLoop(t, idx(rows * D), cfg.threads, [&](Value x) {
      Value r = divui(x, D), c = remui(x, D);
      auto [row, inside] = rowOf(r);
      store(loadQuantizedValue(b, loc, e, mem, bb, head, row, c, inside), dst,
            {dstRow(r), c});
    });
    forLoop(t, idx(rows), cfg.threads, [&](Value r) {
      auto [row, inside] = rowOf(r);
      store(quantizedRowScale(b, loc, e, quant, scalesMem, bb, head, row,
                              inside),
            scaleDst, {dstRow(r)});
    });
  });
}

Value GPULowering::quantizedScore(Value i, Value kRow) {
  Value zero = arith::ConstantIntOp::create(b, loc, b.getI32Type(), 0);
  // Whole words where the rows allow (a quarter of the loads), else bytes.
  Value dot =
      D % kDotBytes == 0
          ? reduce(D / kDotBytes, zero,
                   [&](Value w, Value acc) {
                     Value c = e.muli(w, idx(kDotBytes));
                     return multiplyAccumulateWords(
                         b, loc, loadDotWord(b, loc, qs, i, c),
                         loadDotWord(b, loc, ks, kRow, c), acc);
                   })
          : reduce(D, zero, [&](Value d, Value acc) {
              return multiplyAccumulateBytes(b, loc, load(qs, {i, d}),
                                             load(ks, {kRow, d}), acc);
            });
  return dequantizedScore(b, loc, e, dot, load(qScaleBuf, {i}),
                          load(kScaleBuf, {kRow}), scale);
}

Value GPULowering::keepPair(const PairContext &ctx, Value kj, Value isPartial) {
  Value keep = e.cmp(arith::CmpIPredicate::slt, kj, idx(Nk));
  if (!hasMask && !runtimeTiles)
    return keep;
  return e.andi(keep, ifElse(isPartial, [&] { return maskedOrSelected(ctx); },
                             e.boolean(true)));
}

Value GPULowering::maskedOrSelected(const PairContext &ctx) {
  Value keep = hasMask ? e.keep(ctx) : e.boolean(true);
  if (!runtimeTiles)
    return keep;
  // The row's selection of the key's block (attn_tile.keep_selected).
  Value member = load(runtimeTiles->members,
                      {bb, h, ctx.i, divui(ctx.j, runtimeTiles->block)});
  return e.andi(keep, arith::CmpIOp::create(
                          b, loc, arith::CmpIPredicate::ne, member,
                          arith::ConstantIntOp::create(b, loc, 0, 8)));
}

Value GPULowering::keptFinalWeight(Value s, Value i, Value kj,
                                   Value isPartial) {
  PairContext ctx = pair(e.addi(q0, i), kj);
  return ifElse(keepPair(ctx, kj, isPartial),
                [&] { return finalWeight(s, i, ctx); }, e.f32(0.0));
}

Value GPULowering::pointwiseOnlineWeight(Value s) {
  Value masked = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, s,
                                       e.f32(negInf));
  return e.select(masked, e.f32(0.0),
                  e.pointwiseWeight(spec.normalization, s));
}

Value GPULowering::maskAndModify(Value s, Value i, Value kj,
                                 Value isPartial) {
  PairContext ctx = pair(e.addi(q0, i), kj);
  Value keep = keepPair(ctx, kj, isPartial);
  // Masked pairs never evaluate the modification (a region may index
  // captures only valid for kept pairs).
  if (hasMods)
    s = ifElse(keep, [&] { return modifyScore(s, ctx); }, s);
  return e.select(keep, s, e.f32(negInf));
}

Value GPULowering::finalWeight(Value raw, Value i, const PairContext &ctx) {
  Value s = hasMods ? modifyScore(raw, ctx) : raw;
  // m holds the final max's exponent offset, alpha 1 / the normalizer (0
  // for an empty row); see finishRows.
  Value w = softmax ? sm.weight(s, load(mBuf, {i}))
                    : e.pointwiseWeight(spec.normalization, s);
  if (softmax || l1)
    w = arith::MulFOp::create(b, loc, w, load(alphaBuf, {i}));
  return inlineRegion(b, *spec.weightMod,
                      {w, raw, ctx.b, ctx.h, ctx.i, ctx.j},
                      spec.weightModCaptures,
                      ctx.nq, ctx.nk);
}

/// Partial accumulators of the softmax's row max and sum: four independent
/// chains instead of one loop-carried dependency per element (the stage is
/// one thread per row, latency-bound on the GPU).
constexpr int64_t kRowChains = 4;

// Online normalization, one thread per query row.
void GPULowering::rowStatsStage(bool storeWeights) {
  threadLoop(Bq, [&](Value i) {
    Value mOld = load(mBuf, {i});
    Value mNew = mOld, alpha = e.f32(1.0), offset;
    if (softmax) {
      auto maximum = [&](Value x, Value y) -> Value {
        return arith::MaximumFOp::create(b, loc, x, y);
      };
      Value tileMax = reduceInterleaved(
          Bk, e.f32(negInf), kRowChains,
          [&](Value j, Value acc) { return maximum(acc, load(ss, {i, j})); },
          maximum);
      SoftmaxMath::Step step = sm.update(mOld, tileMax);
      mNew = step.newMax;
      alpha = step.alpha;
      offset = step.offset;
    }
    auto add = [&](Value x, Value y) -> Value {
      return arith::AddFOp::create(b, loc, x, y);
    };
    Value sum = reduceInterleaved(Bk, e.f32(0.0), kRowChains, [&](Value j, Value acc) {
      Value s = load(ss, {i, j});
      Value w = softmax ? sm.weight(s, offset) : pointwiseOnlineWeight(s);
      if (storeWeights && tc) // P in the input type for the tensor cores
        store(arith::TruncFOp::create(b, loc, inElem, w), ps, {i, j});
      else if (storeWeights)
        store(w, ss, {i, j});
      return add(acc, w);
    }, add);
    Value lOld = load(lBuf, {i});
    store(sm.rescaleSum(lOld, alpha, sum), lBuf, {i});
    store(mNew, mBuf, {i});
    if (storeWeights)
      store(alpha, alphaBuf, {i});
  });
}

void GPULowering::forEachLaneRow(
    Value t, function_ref<void(int64_t, int64_t, Value, Value)> body) {
  Value w = divui(t, 32), laneRow = divui(remui(t, 32), 4);
  const int64_t blocks = cfg.rowBlocksPerWarp();
  for (int64_t rb = 0; rb < blocks; ++rb)
    for (int64_t half = 0; half < 2; ++half) {
      Value r = half ? e.addi(laneRow, idx(8)) : laneRow;
      Value block = e.addi(e.muli(w, idx(blocks)), idx(rb));
      body(2 * rb + half, rb, r,
           e.addi(e.muli(block, idx(gpu_codegen::kMmaM)), r));
    }
}

std::array<Value, 2> GPULowering::laneColumns(Value t) {
  Value c = e.muli(remui(remui(t, 32), 4), idx(2));
  return {c, e.addi(c, idx(1))};
}

Value GPULowering::reduceLaneColumns(
    Value t, int64_t tiles, Value init,
    function_ref<Value(Value, Value, Value, Value)> body) {
  return reduce(tiles, init, [&](Value tile, Value acc) {
    for (Value c : laneColumns(t))
      acc = body(tile, c, e.addi(e.muli(tile, idx(gpu_codegen::kMmaN)), c),
                 acc);
    return acc;
  });
}

// The register softmax's first stage: the thread's partial row max goes to
// the lane exchange (shuffles on the GPU, see attn-gpu-lane-exchange).
void GPULowering::registerScoresStage(Value k0, Value isPartial) {
  const int64_t tilesS = Bk / gpu_codegen::kMmaN;
  threadForall(cfg.threads, [&](Value t) {
    Value w = divui(t, 32);
    forEachLaneRow(t, [&](int64_t slot, int64_t rb, Value r, Value i) {
      Value max = reduceLaneColumns(
          t, tilesS, e.f32(negInf),
          [&](Value tile, Value c, Value j, Value acc) -> Value {
            SmallVector<Value> at = {
                w, e.addi(idx(rb * tilesS), tile), r, c};
            Value s = arith::MulFOp::create(b, loc, load(sFrags, at),
                                            e.f32(scale));
            s = maskAndModify(s, i, e.addi(k0, j), isPartial);
            store(s, sFrags, at);
            return arith::MaximumFOp::create(b, loc, acc, s);
          });
      store(max, xbuf, {t, idx(slot)});
    });
  });
}

void GPULowering::registerWeightsStage(Value k0, Value isPartial,
                                       KeyPass pass) {
  const int64_t tilesS = Bk / gpu_codegen::kMmaN;
  const int64_t tilesO = oCols / gpu_codegen::kMmaN;
  threadForall(cfg.threads, [&](Value t) {
    Value w = divui(t, 32);
    forEachLaneRow(t, [&](int64_t slot, int64_t rb, Value r, Value i) {
      auto sAt = [&](Value tile, Value c) -> SmallVector<Value> {
        return {w, e.addi(idx(rb * tilesS), tile), r, c};
      };
      auto storeP = [&](Value p, Value j) {
        store(arith::TruncFOp::create(b, loc, inElem, p), pFrags,
              {w, idx(rb), r, j});
      };
      if (pass == KeyPass::FinalWeights) {
        // The normalizer is known (finishRows): P = the final weights.
        forLoop(idx(0), idx(tilesS), 1, [&](Value tile) {
          for (Value c : laneColumns(t)) {
            Value j = e.addi(e.muli(tile, idx(gpu_codegen::kMmaN)), c);
            Value s = arith::MulFOp::create(b, loc, load(sFrags, sAt(tile, c)),
                                            e.f32(scale));
            storeP(keptFinalWeight(s, i, e.addi(k0, j), isPartial), j);
          }
        });
        return;
      }
      Value rowSlot = idx(slot);
      Value alpha, mNew;
      if (softmax) {
        // The tile's row max over the row's 4 lanes.
        Value mOld = load(mPriv, {t, rowSlot});
        Value tileMax =
            acrossQuad(t, slot, Value(), [&](Value x, Value y) -> Value {
              return arith::MaximumFOp::create(b, loc, x, y);
            });
        SoftmaxMath::Step step = sm.update(mOld, tileMax);
        alpha = step.alpha;
        mNew = step.newMax;
        store(mNew, mPriv, {t, rowSlot});
      }
      Value sum = reduceLaneColumns(
          t, tilesS, e.f32(0.0),
          [&](Value tile, Value c, Value j, Value acc) -> Value {
            Value s = load(sFrags, sAt(tile, c));
            // Without softmax the scores are scaled, masked and modified
            // here (there is no max stage).
            if (!softmax)
              s = maskAndModify(
                  arith::MulFOp::create(b, loc, s, e.f32(scale)), i,
                  e.addi(k0, j), isPartial);
            Value p = softmax ? sm.maskedWeight(s, mNew)
                              : pointwiseOnlineWeight(s);
            if (pass == KeyPass::Online)
              storeP(p, j);
            return arith::AddFOp::create(b, loc, acc, p);
          });
      Value lOld = load(lPriv, {t, rowSlot});
      store(alpha ? sm.rescaleSum(lOld, alpha, sum)
                  : arith::AddFOp::create(b, loc, lOld, sum).getResult(),
            lPriv, {t, rowSlot});
      if (!alpha || pass != KeyPass::Online)
        return;
      // O's elements of this row to the new max.
      forLoop(idx(0), idx(tilesO), 1, [&](Value tile) {
        for (Value c : laneColumns(t)) {
          SmallVector<Value> at = {w, e.addi(idx(rb * tilesO), tile), r, c};
          store(arith::MulFOp::create(b, loc, load(oFrags, at), alpha),
                oFrags, at);
        }
      });
    });
  });
}

Value GPULowering::acrossQuad(Value t, int64_t slot, Value init,
                              function_ref<Value(Value, Value)> combine) {
  Value acc = init;
  for (int64_t lane = 0; lane < 4; ++lane) {
    Value row = lane ? arith::XOrIOp::create(b, loc, t, idx(lane)) : t;
    Value x = load(xbuf, {row, idx(slot)});
    acc = acc ? combine(acc, x) : x;
  }
  return acc;
}

void GPULowering::publishRowStats() {
  threadForall(cfg.threads, [&](Value t) {
    forEachLaneRow(t, [&](int64_t slot, int64_t, Value, Value) {
      store(load(lPriv, {t, idx(slot)}), xbuf, {t, idx(slot)});
    });
  });
  threadForall(cfg.threads, [&](Value t) {
    Value isFirstLane =
        e.cmp(arith::CmpIPredicate::eq, remui(t, 4), idx(0));
    forEachLaneRow(t, [&](int64_t slot, int64_t, Value, Value i) {
      Value l = acrossQuad(t, slot, Value(), [&](Value x, Value y) -> Value {
        return arith::AddFOp::create(b, loc, x, y);
      });
      Value m = load(mPriv, {t, idx(slot)});
      ifThen(isFirstLane, [&] {
        store(m, mBuf, {i});
        store(l, lBuf, {i});
      });
    });
  });
}

// O = alpha O + P V.
void GPULowering::accumulateStage(bool rescale, Value entry, Value k0,
                                  Value isPartial) {
  Value excluding;
  if (cfg.valueProbe)
    excluding = ifElse(isPartial, [&] { return probeValues(entry); },
                       e.boolean(false));
  if (tc) {
    // O of row i at `at` (in os or in the accumulator tiles) times alpha.
    auto scale = [&](Value o, ValueRange at, Value i) {
      store(arith::MulFOp::create(b, loc, load(o, at), load(alphaBuf, {i})), o,
            at);
    };
    if (rescale && oFrags)
      forEachAccumulatorElement([&](ValueRange frag, Value i, Value) {
        scale(oFrags, frag, i);
      });
    else if (rescale)
      threadLoop(Bq * oCols, [&](Value x) {
        Value i = divui(x, oCols);
        scale(os, {i, remui(x, oCols)}, i);
      });
    if (excluding)
      ifThen(excluding, [&] { excludeNonFiniteValues(k0); });
    gpu_codegen::WarpMatmul mm{ps, vs, oFrags ? oFrags : os, Bq, oCols, Bk,
                               /*bIsNK=*/false, /*accumulate=*/true, kvRow0};
    mm.cWarpPrivate = static_cast<bool>(oFrags);
    gpu_codegen::emitWarpMatmul(b, loc, cfg.warps(), mm);
    return;
  }
  // O in registers: each thread keeps its elements across key tiles. With
  // `keptOnly`, pairs whose weight is +0 (the excluded ones, once
  // markKeptZeroWeights made the kept ones -0) add nothing: 0 x NaN would.
  auto accumulate = [&](Value x, Value init, bool keptOnly) {
    Value i = divui(x, Dv), c = remui(x, Dv);
    if (rescale)
      init = arith::MulFOp::create(b, loc, init, load(alphaBuf, {i}));
    return reduce(Bk, init, [&](Value j, Value acc) -> Value {
      Value p = load(ss, {i, j});
      Value sum = math::FmaOp::create(b, loc, p, load(vs, {kvRow(j), c}), acc);
      if (!keptOnly)
        return sum;
      Value bits = arith::BitcastOp::create(b, loc, b.getI32Type(), p);
      Value excluded =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, bits,
                                arith::ConstantIntOp::create(b, loc, 0, 32));
      return e.select(excluded, acc, sum);
    });
  };
  auto stage = [&](bool keptOnly) {
    if (oRegs) {
      ownedOElements([&](Value t, Value k, Value x) {
        store(accumulate(x, load(oRegs, {t, k}), keptOnly), oRegs, {t, k});
      });
      return;
    }
    threadLoop(Bq * Dv, [&](Value x) {
      Value i = divui(x, Dv), c = remui(x, Dv);
      store(accumulate(x, load(os, {i, c}), keptOnly), os, {i, c});
    });
  };
  if (!excluding) {
    stage(/*keptOnly=*/false);
    return;
  }
  // A tile whose values are not all finite (rare, a uniform branch).
  auto branch = scf::IfOp::create(b, loc, excluding, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(branch.thenBlock()->getTerminator());
  markKeptZeroWeights(k0);
  stage(/*keptOnly=*/true);
  b.setInsertionPoint(branch.elseBlock()->getTerminator());
  stage(/*keptOnly=*/false);
}

void GPULowering::markKeptZeroWeights(Value k0) {
  // The mask only where the weight is 0: an excluded pair's, or a kept
  // one's (an underflow, a -inf score) that becomes -0.
  threadLoop(Bq * Bk, [&](Value x) {
    Value i = divui(x, Bk), j = remui(x, Bk);
    Value p = load(ss, {i, j});
    Value zero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, p,
                                       e.f32(0.0));
    ifThen(zero, [&] {
      Value kj = e.addi(k0, j);
      Value keep = keepPair(pair(e.addi(q0, i), kj), kj, e.boolean(true));
      store(e.select(keep, e.f32(-0.0), e.f32(0.0)), ss, {i, j});
    });
  });
}

Value GPULowering::notFinite(Value v) {
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UGE,
                               math::AbsFOp::create(b, loc, v),
                               e.f32(std::numeric_limits<float>::infinity()));
}

Value GPULowering::probeValues(Value entry) {
  // Any thread that sees one writes the entry (all the same value); the
  // flag is never reset: an entry is probed once per pass.
  Value tag = arith::IndexCastOp::create(b, loc, b.getI32Type(), entry);
  threadLoop(Bk * Dv, [&](Value x) {
    Value j = divui(x, Dv), c = remui(x, Dv);
    ifThen(notFinite(e.toF32(load(vs, {kvRow(j), c}))),
           [&] { store(tag, nonFiniteEntry, {idx(0)}); });
  });
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                               load(nonFiniteEntry, {idx(0)}), tag);
}

void GPULowering::excludeNonFiniteValues(Value k0) {
  Type vElem = cast<MemRefType>(vs.getType()).getElementType();
  threadForall(cfg.threads, [&](Value t) {
    forLoop(idx(0), idx(Bk), 1, [&](Value j) {
      Value kj = e.addi(k0, j), row = kvRow(j);
      // O element (i, c) at `at` of `o` adds V[j, c] if it is not finite
      // and row i keeps key kj (padding columns c >= Dv never do).
      auto add = [&](Value o, ValueRange at, Value i, Value c) {
        Value inside = e.cmp(arith::CmpIPredicate::ult, c, idx(Dv));
        Value v = e.toF32(load(vs, {row, e.minsi(c, idx(Dv - 1))}));
        Value keep = keepPair(pair(e.addi(q0, i), kj), kj, e.boolean(true));
        Value take = e.andi(e.andi(inside, notFinite(v)), keep);
        Value acc = load(o, at);
        store(e.select(take, arith::AddFOp::create(b, loc, acc, v), acc), o,
              at);
      };
      if (oFrags) {
        accumulatorElementsOf(t, [&](ValueRange frag, Value i, Value c) {
          add(oFrags, frag, i, c);
        });
        return;
      }
      forLoop(t, idx(Bq * oCols), cfg.threads, [&](Value x) {
        Value i = divui(x, oCols), c = remui(x, oCols);
        add(os, {i, c}, i, c);
      });
    });
  });
  threadLoop(Bk * Dv, [&](Value x) {
    Value j = divui(x, Dv), c = remui(x, Dv);
    Value row = kvRow(j);
    ifThen(notFinite(e.toF32(load(vs, {row, c}))), [&] {
      store(arith::ConstantOp::create(b, loc, b.getZeroAttr(vElem)), vs,
            {row, c});
    });
  });
}

void GPULowering::finishRows(bool twoPasses) {
  threadLoop(Bq, [&](Value i) {
    Value m = load(mBuf, {i}), l = load(lBuf, {i});
    Value accScale; // rescale of O to the max including the sink
    if (Value sinks = spec.sinkLogits) {
      Value sink =
          e.toF32(tensor::ExtractOp::create(b, loc, sinks, ValueRange{h}));
      SoftmaxMath::SinkFold fold = sm.foldSink(m, l, sink);
      m = fold.max;
      l = fold.sum;
      accScale = fold.accScale;
    }
    // Softmax and l1 divide by the row sum.
    Value inv = sm.reciprocalOrZero(l);
    if (twoPasses) {
      store(sm.offsetOf(m), mBuf, {i});
      store(inv, alphaBuf, {i});
    } else {
      store(accScale ? arith::MulFOp::create(b, loc, accScale, inv) : inv,
            alphaBuf, {i});
    }
    if (lseBuffer) {
      Value qi = e.addi(q0, i);
      ifThen(e.cmp(arith::CmpIPredicate::slt, qi, idx(Nq)),
             [&] { store(sm.logSumExp(m, l), lseBuffer, {bb, h, qi}); });
    }
  });
}

void GPULowering::forEachOutputElement(
    function_ref<void(Value i, Value c, Value qi, function_ref<Value()> loadO)>
        body,
    function_ref<Value(Value i, Value c)> mergedO) {
  auto at = [&](Value i, Value c, function_ref<Value()> loadO) {
    Value qi = e.addi(q0, i);
    Value inside = e.cmp(arith::CmpIPredicate::slt, qi, idx(Nq));
    if (oFrags && !mergedO) // the fragments also cover the padding columns
      inside = e.andi(inside, e.cmp(arith::CmpIPredicate::slt, c, idx(Dv)));
    ifThen(inside, [&] { body(i, c, qi, loadO); });
  };
  if (mergedO) {
    threadLoop(Bq * Dv, [&](Value x) {
      Value i = divui(x, Dv), c = remui(x, Dv);
      at(i, c, [&] { return mergedO(i, c); });
    });
    return;
  }
  if (oFrags) {
    forEachAccumulatorElement([&](ValueRange frag, Value i, Value c) {
      at(i, c, [&] { return load(oFrags, frag); });
    });
    return;
  }
  if (oRegs) {
    ownedOElements([&](Value t, Value k, Value x) {
      at(divui(x, Dv), remui(x, Dv), [&] { return load(oRegs, {t, k}); });
    });
    return;
  }
  threadLoop(Bq * Dv, [&](Value x) {
    Value i = divui(x, Dv), c = remui(x, Dv);
    at(i, c, [&] { return load(os, {i, c}); });
  });
}

// Finalize: rows past Nq are not written.
void GPULowering::storeOutput(bool scaled,
                              function_ref<Value(Value i, Value c)> mergedO) {
  Type elementType = cast<MemRefType>(outBuffer.getType()).getElementType();
  forEachOutputElement(
      [&](Value i, Value c, Value qi, function_ref<Value()> loadO) {
        Value o = loadO();
        if (scaled)
          o = arith::MulFOp::create(b, loc, o, load(alphaBuf, {i}));
        if (Value gate = spec.outputGate)
          o = arith::MulFOp::create(
              b, loc, o, e.toF32(e.extractBroadcast(gate, {bb, h, qi})));
        if (!elementType.isF32())
          o = arith::TruncFOp::create(b, loc, elementType, o);
        store(o, outBuffer, {bb, h, qi, c});
      },
      mergedO);
}

//===----------------------------------------------------------------------===//
// Split-KV
//===----------------------------------------------------------------------===//

/// Blocks the automatic split aims at: two per SM of an H100 (132 SMs), so
/// that a decode step (one query tile per head) fills the GPU.
static constexpr int64_t kGPUSplitTargetBlocks = 264;

int64_t GPULowering::keySplits(const TileSchedule &schedule,
                               int64_t numItems) const {
  if (!spec.partialRoot || cfg.splitKv == 1)
    return 1;
  int64_t mostTiles = 0;
  for (size_t r = 0; r + 1 < schedule.offsets.size(); ++r)
    mostTiles = std::max<int64_t>(
        mostTiles, schedule.offsets[r + 1] - schedule.offsets[r]);
  int64_t splits = cfg.splitKv;
  if (splits == 0) {
    int64_t wanted =
        numItems >= kGPUSplitTargetBlocks
            ? 1
            : (kGPUSplitTargetBlocks + numItems - 1) / std::max<int64_t>(numItems, 1);
    splits = std::min(wanted, mostTiles / kMinTilesPerSplit);
  }
  return std::max<int64_t>(1, std::min(splits, mostTiles));
}

void GPULowering::storePartials(Value split, bool withStats) {
  if (withStats)
    threadLoop(Bq, [&](Value i) {
      Value qi = e.addi(q0, i);
      ifThen(e.cmp(arith::CmpIPredicate::slt, qi, idx(Nq)), [&] {
        store(load(mBuf, {i}), partialM, {split, bb, h, qi});
        store(load(lBuf, {i}), partialL, {split, bb, h, qi});
      });
    });
  forEachOutputElement(
      [&](Value, Value c, Value qi, function_ref<Value()> loadO) {
        store(loadO(), partialO, {split, bb, h, qi, c});
      });
}

void GPULowering::buildMergeKernel(int64_t splits, bool normalized) {
  int64_t batch = cast<MemRefType>(outBuffer.getType()).getDimSize(0);
  int64_t numQT = (Nq + Bq - 1) / Bq;
  scf::ForallOp blocks = blockForall(batch * Hq * numQT);
  blocks->setAttr("attn.gpu.threads", b.getI64IntegerAttr(cfg.threads));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(blocks.getBody()->getTerminator());
  Value w = blocks.getInductionVar(0);
  Value qt = remui(w, numQT), bh = divui(w, numQT);
  h = remui(bh, Hq);
  bb = divui(bh, Hq);
  q0 = e.muli(qt, idx(Bq));
  mBuf = sharedBuffer({Bq});
  lBuf = sharedBuffer({Bq});
  alphaBuf = sharedBuffer({Bq});
  // The rows past Nq read row Nq - 1 (never stored).
  auto rowOf = [&](Value i) { return e.minsi(e.addi(q0, i), idx(Nq - 1)); };
  // Split s's factor in the merged row: e^(m_s - M) under softmax (0 for
  // an empty split), 1 otherwise.
  auto factor = [&](Value s, Value row, Value max) -> Value {
    if (!softmax)
      return e.f32(1.0);
    return sm.merge(max, load(partialM, {s, bb, h, row})).beta;
  };
  if (normalized) {
    threadLoop(Bq, [&](Value i) {
      Value row = rowOf(i);
      Value max = e.f32(0.0);
      if (softmax)
        max = reduce(splits, e.f32(negInf), [&](Value s, Value acc) -> Value {
          return arith::MaximumFOp::create(b, loc, acc,
                                           load(partialM, {s, bb, h, row}));
        });
      Value sum = reduce(splits, e.f32(0.0), [&](Value s, Value acc) -> Value {
        return math::FmaOp::create(b, loc, load(partialL, {s, bb, h, row}),
                                   factor(s, row, max), acc);
      });
      store(max, mBuf, {i});
      store(sum, lBuf, {i});
    });
    finishRows(/*twoPasses=*/false);
  }
  // O of the merge kernel is computed where it is stored.
  oFrags = oRegs = Value();
  storeOutput(normalized, [&](Value i, Value c) -> Value {
    Value row = rowOf(i);
    Value max = normalized ? load(mBuf, {i}) : Value();
    return reduce(splits, e.f32(0.0), [&](Value s, Value acc) -> Value {
      Value o = load(partialO, {s, bb, h, row, c});
      if (!normalized)
        return addf(acc, o);
      return math::FmaOp::create(b, loc, factor(s, row, max), o, acc);
    });
  });
}

void GPULowering::replaceRoot() {
  SmallVector<std::pair<Value, Value>> results = {{spec.output, outBuffer}};
  if (lseBuffer)
    results.push_back({spec.lse, lseBuffer});
  SmallVector<Operation *> partials;
  if (spec.partialRoot)
    partials.push_back(spec.partialRoot);
  replaceByBuffers(spec.root, results, b, partials);
}

//===----------------------------------------------------------------------===//
// The kernel's configuration
//===----------------------------------------------------------------------===//

namespace {
/// Chooses the GPUTileConfig of a spec from the options: the kernel
/// variant (SIMT or tensor cores), the copies, the tiles and where O, S and
/// P live.
class KernelConfigurator {
public:
  KernelConfigurator(const GPUSpec &spec, const KernelOptions &options)
      : spec(spec), options(options) {
    auto qType = cast<RankedTensorType>(spec.query.getType());
    elem = qType.getElementType();
    nq = qType.getDimSize(2);
    d = qType.getDimSize(3);
    dv = cast<RankedTensorType>(spec.value.getType()).getDimSize(3);
  }

  FailureOr<GPUTileConfig> choose();

private:
  /// Tensor cores for f16/bf16 inputs, the SIMT kernel for f32.
  FailureOr<bool> useTensorCores();
  /// Double-buffered asynchronous K/V copies where the tiles are copied as
  /// is (no conversion on load) in whole 4-, 8- or 16-byte pieces.
  void setAsyncCopies();
  void setTiles(int64_t bq, int64_t bk);
  /// The given tiles, or the largest candidates that fit, with the query
  /// tile cut to a short query sequence.
  void chooseTiles();
  bool fits() const {
    return sharedBytes(cfg, d, dv) <= options.maxSharedBytes;
  }
  /// Whether the f32 SIMT kernel with double buffers would take the tiles:
  /// the automatic tiles of INT8 Q K^T. Its stages hold as many registers
  /// as the f32 kernel's, so the smaller i8 tiles must not buy larger key
  /// tiles (64x64 at D = 128 spilled 936 B on sm_90, where three blocks
  /// per SM cap a thread at 168 registers).
  bool fitsAsFloat() const {
    GPUTileConfig f = cfg;
    f.quantized = false;
    f.asyncCopies = true;
    return sharedBytes(f, d, dv) <= options.maxSharedBytes;
  }

  const GPUSpec &spec;
  const KernelOptions &options;
  GPUTileConfig cfg;
  Type elem;
  int64_t nq = 0, d = 0, dv = 0;
};
} // namespace

FailureOr<bool> KernelConfigurator::useTensorCores() {
  if (!options.useTensorCores)
    return false;
  // INT8 Q K^T runs on the SIMT kernel (mma.sync m16n8k32 s8 is not
  // lowered yet; docs/gpu.md).
  if (spec.quantizedQK)
    return false;
  if (!elem.isF16() && !elem.isBF16())
    return false; // f32: the SIMT kernel
  if (options.threads % 32) {
    spec.root->emitError()
        << "tensor cores need whole warps, got threads = " << options.threads
        << " (use-tensor-cores=false for the SIMT kernel)";
    return failure();
  }
  return true;
}

void KernelConfigurator::setAsyncCopies() {
  if (!cfg.tensorCores && !elem.isF32())
    return; // the SIMT kernel extends 16-bit K and V to f32 on load
  int64_t bytes = elem.getIntOrFloatBitWidth() / 8;
  if (cfg.tensorCores) {
    TensorCoreLayout l{0, 0, d, dv};
    cfg.kWidth = asyncCopyWidth(bytes, d, l.kStride(), l.dPad());
    cfg.vWidth = asyncCopyWidth(bytes, dv, l.vStride(), l.dvPad());
  } else {
    SharedLayout l{0, 0, d, dv};
    cfg.kWidth = asyncCopyWidth(bytes, d, l.kStride(), d);
    cfg.vWidth = asyncCopyWidth(bytes, dv, dv, dv);
  }
  cfg.asyncCopies = cfg.kWidth && cfg.vWidth;
}

void KernelConfigurator::setTiles(int64_t bq, int64_t bk) {
  cfg.bq = bq;
  cfg.bk = bk;
  // The SIMT kernel keeps O in registers when it is small enough.
  cfg.oPerThread = cfg.tensorCores ? 0 : oRegisterCount(bq, dv, cfg.threads);
  // The tensor-core kernel keeps O in its mma accumulators.
  cfg.oFragments =
      cfg.tensorCores && options.accumulatorFragments
          ? oFragmentCount(bq, TensorCoreLayout{0, 0, d, dv}.dvPad(),
                           cfg.threads)
          : 0;
  cfg.registerSoftmax = options.registerSoftmax && registerSoftmaxFits(cfg);
}

void KernelConfigurator::chooseTiles() {
  if (options.tileQ) {
    setTiles(options.tileQ, options.tileKv);
    return;
  }
  static const int64_t simtCandidates[][2] = {
      {64, 64}, {64, 32}, {64, 16}, {32, 32}, {32, 16}, {16, 16}, {16, 8}};
  // m16n8k16: multiples of 16. No 64x64: on an H200, 64x32 ran 20%
  // faster for D = 64 and 128 (shorter softmax rows, more blocks per
  // SM; docs/gpu.md, "On a GPU"); the SIMT kernel ran as fast either way.
  static const int64_t tensorCoreCandidates[][2] = {
      {64, 32}, {64, 16}, {32, 32}, {32, 16}, {16, 16}};
  ArrayRef<int64_t[2]> candidates =
      cfg.tensorCores ? ArrayRef<int64_t[2]>(tensorCoreCandidates)
                      : ArrayRef<int64_t[2]>(simtCandidates);
  // A short query sequence (a decode step: one row) gets a query tile of
  // its size, not 64 rows of padding: the next power of two, a multiple of
  // the mma's 16 rows on tensor cores; the shared memory it frees goes to
  // longer key tiles.
  int64_t rows = llvm::PowerOf2Ceil(std::max<int64_t>(nq, 1));
  // Tensor cores: one 16-row block, or a block per warp at least (fewer row
  // blocks than warps, e.g. 32 rows on 4 warps, do not map to mma.sync:
  // attn-gpu-warp-mma-to-nvgpu refuses them).
  if (cfg.tensorCores)
    rows = rows <= gpu_codegen::kMmaM
               ? gpu_codegen::kMmaM
               : std::max<int64_t>(rows, gpu_codegen::kMmaM * cfg.warps());
  for (const auto &[bq, bk] : candidates) {
    setTiles(std::min(bq, rows), bk);
    if (cfg.quantized ? fitsAsFloat() : fits())
      break;
  }
}

FailureOr<GPUTileConfig> KernelConfigurator::choose() {
  cfg.threads = options.threads;
  cfg.splitKv = spec.partialRoot ? options.splitKv : 1;
  FailureOr<bool> tensorCores = useTensorCores();
  if (failed(tensorCores))
    return failure();
  cfg.tensorCores = *tensorCores;
  cfg.valueProbe = hasMaskOf(spec.mask) || spec.selection;
  cfg.quantized = spec.quantizedQK;
  // The SIMT kernel's copies convert on load (i8 rows clamp to -127).
  if (options.asyncCopies && !cfg.quantized)
    setAsyncCopies();
  chooseTiles();
  // Double buffers that do not fit: single buffers, synchronous copies.
  if (cfg.asyncCopies && !fits()) {
    cfg.asyncCopies = false;
    chooseTiles();
  }
  if (cfg.tensorCores &&
      (cfg.bq % gpu_codegen::kMmaM || cfg.bk % gpu_codegen::kMmaK)) {
    spec.root->emitError()
        << "tensor cores need tile-q and tile-kv multiples of 16, got "
        << cfg.bq << "x" << cfg.bk
        << " (use-tensor-cores=false for the SIMT kernel)";
    return failure();
  }
  if (!fits()) {
    spec.root->emitError()
        << "needs " << sharedBytes(cfg, d, dv)
        << " bytes of shared memory per block with tiles of " << cfg.bq
        << "x" << cfg.bk << " (head dims " << d << ", " << dv
        << "), more than max-shared-bytes = " << options.maxSharedBytes;
    return failure();
  }
  return cfg;
}

LogicalResult attn::gpu_kernel::buildGPUKernel(const GPUSpec &spec,
                                               const KernelOptions &options) {
  FailureOr<GPUTileConfig> cfg = KernelConfigurator(spec, options).choose();
  if (failed(cfg))
    return failure();
  return GPULowering(spec, *cfg).run();
}

void attn::gpu_kernel::expandIndexAbs(Operation *root) {
  SmallVector<math::AbsIOp> absOps;
  root->walk([&](math::AbsIOp abs) {
    if (abs.getType().isIndex() && abs->getParentOfType<scf::ForallOp>())
      absOps.push_back(abs);
  });
  for (math::AbsIOp abs : absOps) {
    OpBuilder b(abs);
    Value x = abs.getOperand();
    Value zero = arith::ConstantIndexOp::create(b, abs.getLoc(), 0);
    Value neg = arith::SubIOp::create(b, abs.getLoc(), zero, x);
    abs.replaceAllUsesWith(
        arith::MaxSIOp::create(b, abs.getLoc(), x, neg).getResult());
    abs.erase();
  }
}
