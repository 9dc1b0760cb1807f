//===- AttnToCPU.cpp - tiled, vectorized attention for CPUs ---------------===//
//
// attn.attention (static shapes) -> FlashAttention-2 loop nest over
// (batch, head, query tile) work items. Queries are the vector dimension:
// S^T = K Q^T broadcasts key elements against vectors of queries, so the
// online softmax reduces vertically over key rows, and O^T = V^T P^T
// broadcasts value elements. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "BF16DotKernels.h"

#include "attn/Analysis/TileList.h"
#include "attn/Conversion/AttnCodegen.h"
#include "attn/Conversion/Passes.h"
#include "attn/Conversion/SoftmaxMath.h"
#include "attn/Dialect/Attn/AttnDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

#include <limits>

namespace attn {
#define GEN_PASS_DEF_CONVERTATTNTOCPU
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;
using namespace attn::codegen;

namespace {

/// Query vectors per micro-kernel pass: 3 x 4 accumulators, 3 broadcasts
/// and one operand vector fill the 16 AVX2 registers.
constexpr int64_t kVectorBlock = 4;

struct TileConfig {
  int64_t bq, bk, width, nv;
  int64_t mr = 3; // key rows (S^T) / value columns (O^T) per micro-kernel
  bool bf16Dot = false; // vdpbf16ps micro-kernels for bf16 inputs
};

class TiledLowering {
public:
  TiledLowering(AttentionOp op, TileConfig cfg, SymbolTable &symbols)
      : op(op), cfg(cfg), b(op), loc(op.getLoc()), e(b, loc), sm(b, loc),
        symbols(symbols) {}

  LogicalResult run(bool workPartition);

private:
  Value idx(int64_t v) { return e.idx(v); }
  VectorType vecType() { return VectorType::get({cfg.width}, b.getF32Type()); }
  Value vsplat(double v) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vecType(), b.getF32FloatAttr(v)));
  }
  Value loadF32(Value memref, ValueRange indices) {
    return e.toF32(memref::LoadOp::create(b, loc, memref, indices));
  }
  Value scratch(MemRefType type) { return cpu::allocateScratch(b, loc, type); }
  Value vload(Value memref, ValueRange indices) {
    return vector::LoadOp::create(b, loc, vecType(), memref, indices);
  }
  void vstore(Value v, Value memref, ValueRange indices) {
    vector::StoreOp::create(b, loc, v, memref, indices);
  }
  Value global(StringRef prefix, ArrayRef<int32_t> data);
  /// Loops [lb, ub) step `step` with `body(iv)`.
  void forLoop(Value lb, Value ub, int64_t step,
               function_ref<void(Value)> body) {
    scf::ForOp::create(b, loc, lb, ub, idx(step), ValueRange{},
                       [&](OpBuilder &, Location, Value iv, ValueRange) {
                         body(iv);
                         scf::YieldOp::create(b, loc);
                       });
  }

  /// Calls `body(firstLane, vectors)` for each group of at most
  /// kVectorBlock query vectors of the tile: a loop over groups when they
  /// are all full (one copy of the kernel), else unrolled.
  void forEachVectorGroup(function_ref<void(Value, int64_t)> body) {
    if (cfg.nv > kVectorBlock && cfg.nv % kVectorBlock == 0) {
      forLoop(idx(0), idx(cfg.nv * cfg.width), kVectorBlock * cfg.width,
              [&](Value laneBase) { body(laneBase, kVectorBlock); });
      return;
    }
    for (int64_t v0 = 0; v0 < cfg.nv; v0 += kVectorBlock)
      body(idx(v0 * cfg.width), std::min(kVectorBlock, cfg.nv - v0));
  }
  void emitQKMicroKernel(Value qt, Value kMem, Value k0, Value rowOffset,
                         Value bb, Value hk, int64_t rows, Value st);
  void emitPVMicroKernel(Value ot, Value vMem, Value bb, Value hk, Value k0,
                         Value cols, Value pt, Value alphaBuf, Value colOffset,
                         int64_t count);

  /// Lanes of a vector of queries against one key, as i64 vectors.
  struct LaneContext {
    Value p;    // aligned query positions
    Value j;    // the key index, broadcast
    Value h;    // scalar head index
    Value jIdx; // the key index, scalar
  };
  /// The vector<W x i1> predicate of `mask`, or null when the mask needs
  /// per-element scalar code (operands, grids, per-head selection, regions).
  Value vectorMask(MaskAttrInterface mask, const LaneContext &c);
  static bool isVectorizableMask(MaskAttrInterface mask);
  VectorType laneIndexType() {
    return VectorType::get({cfg.width}, b.getI64Type());
  }
  Value vsplatI(int64_t v) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(laneIndexType(), b.getI64IntegerAttr(v)));
  }
  Value toI64(Value index) {
    return arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
  }

  /// f32 copies of the current K and V tiles when the inputs are f16/bf16:
  /// widening once per tile keeps conversions out of the micro-kernels.
  Value kTileF32, vTileF32;

  AttentionOp op;
  TileConfig cfg;
  OpBuilder b;
  Location loc;
  ScalarEmitter e;
  SoftmaxMath sm;
  /// The module's symbol table: the schedule tables are module globals.
  SymbolTable &symbols;
  int64_t B, Hq, Hkv, Hv, Nq, Nk, D, Dv;
};

} // namespace

Value TiledLowering::global(StringRef prefix, ArrayRef<int32_t> data) {
  auto type = MemRefType::get({static_cast<int64_t>(data.size())},
                              b.getI32Type());
  auto tensorType =
      RankedTensorType::get({static_cast<int64_t>(data.size())}, b.getI32Type());
  // Created detached, then inserted by the symbol table, which renames it
  // when another function's tables already use the name.
  OpBuilder detached(b.getContext());
  auto g = memref::GlobalOp::create(
      detached, loc, prefix, detached.getStringAttr("private"), type,
      DenseElementsAttr::get(tensorType, data), /*constant=*/true,
      /*alignment=*/IntegerAttr());
  auto module = cast<ModuleOp>(symbols.getOp());
  symbols.insert(g, module.getBody()->begin());
  return memref::GetGlobalOp::create(b, loc, type, g.getSymName());
}

// S^T[rowOffset + r, v] = sum_d K[k0 + rowOffset + r, d] * QT[d, v] for
// r < rows: broadcast key elements against query vectors, in groups of at
// most `kVectorBlock` query vectors so the accumulators stay in registers
// whatever the query tile (a wider tile re-reads the key rows from L1 once
// per group but streams K and V from memory half as often).
void TiledLowering::emitQKMicroKernel(Value qt, Value kMem, Value k0,
                                      Value rowOffset, Value bb, Value hk,
                                      int64_t rows, Value st) {
  SmallVector<Value> keyRows, tileRows;
  for (int64_t r = 0; r < rows; ++r) {
    // Rows past the sequence end read the last key; they are masked later.
    Value tileRow = e.addi(rowOffset, idx(r));
    tileRows.push_back(tileRow);
    keyRows.push_back(e.minsi(e.addi(k0, tileRow), idx(Nk - 1)));
  }
  forEachVectorGroup([&](Value laneBase, int64_t nv) {
    auto lane = [&](int64_t v) { return e.addi(laneBase, idx(v * cfg.width)); };
    SmallVector<Value> init(rows * nv, vsplat(0.0));
    auto loop = scf::ForOp::create(
        b, loc, idx(0), idx(D), idx(1), init,
        [&](OpBuilder &, Location, Value d, ValueRange acc) {
          SmallVector<Value> next(acc.begin(), acc.end());
          // rows broadcasts + one query vector + rows * nv accumulators fit
          // the 16 AVX2 registers for rows = 3, nv = 4.
          SmallVector<Value> kb;
          for (int64_t r = 0; r < rows; ++r)
            kb.push_back(vector::BroadcastOp::create(
                b, loc, vecType(),
                kTileF32 ? Value(memref::LoadOp::create(
                               b, loc, kTileF32, ValueRange{tileRows[r], d}))
                         : loadF32(kMem, {bb, hk, keyRows[r], d})));
          for (int64_t v = 0; v < nv; ++v) {
            Value qv = vload(qt, {d, lane(v)});
            for (int64_t r = 0; r < rows; ++r)
              next[r * nv + v] =
                  math::FmaOp::create(b, loc, kb[r], qv, next[r * nv + v]);
          }
          scf::YieldOp::create(b, loc, next);
        });
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t v = 0; v < nv; ++v)
        vstore(loop.getResult(r * nv + v), st, {tileRows[r], lane(v)});
  });
}

// OT[c, :] = alpha * OT[c, :] + sum_{j < cols} V[k0 + j, c] * PT[j, :] for
// c in [colOffset, colOffset + count), in groups of query vectors as above.
void TiledLowering::emitPVMicroKernel(Value ot, Value vMem, Value bb, Value hk,
                                      Value k0, Value cols, Value pt,
                                      Value alphaBuf, Value colOffset,
                                      int64_t count) {
  SmallVector<Value> columns;
  for (int64_t c = 0; c < count; ++c)
    columns.push_back(e.addi(colOffset, idx(c)));
  forEachVectorGroup([&](Value laneBase, int64_t nv) {
    auto lane = [&](int64_t v) { return e.addi(laneBase, idx(v * cfg.width)); };
    SmallVector<Value> alpha;
    for (int64_t v = 0; v < nv; ++v)
      alpha.push_back(vload(alphaBuf, {lane(v)}));
    SmallVector<Value> init;
    for (int64_t c = 0; c < count; ++c)
      for (int64_t v = 0; v < nv; ++v)
        init.push_back(arith::MulFOp::create(
            b, loc, vload(ot, {columns[c], lane(v)}), alpha[v]));
    auto loop = scf::ForOp::create(
        b, loc, idx(0), cols, idx(1), init,
        [&](OpBuilder &, Location, Value j, ValueRange acc) {
          SmallVector<Value> next(acc.begin(), acc.end());
          Value row = e.addi(k0, j);
          SmallVector<Value> vb;
          for (int64_t c = 0; c < count; ++c)
            vb.push_back(vector::BroadcastOp::create(
                b, loc, vecType(),
                vTileF32 ? Value(memref::LoadOp::create(
                               b, loc, vTileF32, ValueRange{j, columns[c]}))
                         : loadF32(vMem, {bb, hk, row, columns[c]})));
          for (int64_t v = 0; v < nv; ++v) {
            Value pv = vload(pt, {j, lane(v)});
            for (int64_t c = 0; c < count; ++c)
              next[c * nv + v] =
                  math::FmaOp::create(b, loc, vb[c], pv, next[c * nv + v]);
          }
          scf::YieldOp::create(b, loc, next);
        });
    for (int64_t c = 0; c < count; ++c)
      for (int64_t v = 0; v < nv; ++v)
        vstore(loop.getResult(c * nv + v), ot, {columns[c], lane(v)});
  });
}

bool TiledLowering::isVectorizableMask(MaskAttrInterface mask) {
  return isLaneMask(mask, [](MaskAttrInterface m) {
    return isa<StridedMaskAttr>(m);
  });
}

Value TiledLowering::vectorMask(MaskAttrInterface mask, const LaneContext &c) {
  // Strided depends on the key and head only: scalar, then broadcast.
  auto strided = [&](MaskAttrInterface m) -> Value {
    auto st = dyn_cast<StridedMaskAttr>(m);
    if (!st)
      return Value();
    PairContext ctx{op, Value(), c.h, Value(), c.jIdx, Value(), Value(),
                    Value(), Value()};
    return vector::BroadcastOp::create(
        b, loc, VectorType::get({cfg.width}, b.getI1Type()), e.mask(st, ctx));
  };
  return laneMask(b, loc, mask, c.p, c.j, strided);
}

static bool isStatic(Value v) {
  return cast<RankedTensorType>(v.getType()).hasStaticShape();
}

LogicalResult TiledLowering::run(bool workPartition) {
  auto qType = cast<RankedTensorType>(op.getQuery().getType());
  auto kType = cast<RankedTensorType>(op.getKey().getType());
  auto vType = cast<RankedTensorType>(op.getValue().getType());
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  B = qType.getDimSize(0);
  Hq = qType.getDimSize(1);
  Nq = qType.getDimSize(2);
  D = qType.getDimSize(3);
  Hkv = kType.getDimSize(1);
  Hv = vType.getDimSize(1);
  Nk = kType.getDimSize(2);
  Dv = vType.getDimSize(3);
  const int64_t W = cfg.width, nv = cfg.nv, Bq = cfg.bq, Bk = cfg.bk;
  int64_t numQT = (Nq + Bq - 1) / Bq, numKT = (Nk + Bk - 1) / Bk;
  const float negInf = -std::numeric_limits<float>::infinity();

  // The shared schedule: compressed tile lists per class of heads and work
  // items heaviest first, so that dynamic scheduling balances the threads.
  FailureOr<TileSchedule> schedule = buildTileSchedule(op, Bq, Bk);
  if (failed(schedule))
    return failure();
  std::vector<int32_t> entries = schedule->entries;
  if (entries.empty())
    entries.push_back(0); // globals must not be empty
  const std::vector<int32_t> &offsets = schedule->offsets;
  const std::vector<int32_t> &order = schedule->workOrder;
  const std::vector<int32_t> &headClass = schedule->headClass;
  int64_t numItems = order.size();
  (void)numKT;

  auto func = op->getParentOfType<func::FuncOp>();
  Value workBegin = idx(0), workEnd = idx(numItems);
  if (workPartition) {
    unsigned n = func.getNumArguments();
    if (failed(func.insertArgument(n, b.getIndexType(), {}, loc)) ||
        failed(func.insertArgument(n + 1, b.getIndexType(), {}, loc)))
      return op.emitOpError("cannot add work-range arguments");
    workBegin = func.getArgument(n);
    workEnd = func.getArgument(n + 1);
    func->setAttr("attn.num_work_items", b.getI64IntegerAttr(numItems));
  }

  Value orderTable = global("__attn_work_order", order);
  Value offsetTable = global("__attn_tile_offsets", offsets);
  Value entryTable = global("__attn_tiles", entries);
  Value classTable = global("__attn_head_class", headClass);

  auto memrefOf = [&](Value tensor) { return readBuffer(b, loc, tensor); };
  Value qMem = memrefOf(op.getQuery()), kMem = memrefOf(op.getKey()),
        vMem = memrefOf(op.getValue());

  Type elementType = outType.getElementType();
  Value outBuffer = memref::AllocOp::create(
      b, loc, MemRefType::get(outType.getShape(), elementType));
  Value lseBuffer;
  if (Value lse = op.getLse())
    lseBuffer = memref::AllocOp::create(
        b, loc,
        MemRefType::get(cast<RankedTensorType>(lse.getType()).getShape(),
                        b.getF32Type()));

  // Per-thread scratch, allocated once per call (each thread's call has its
  // own frame): no stack growth inside the loops.
  Type f32 = b.getF32Type();
  Value qt = scratch(MemRefType::get({D, Bq}, f32));
  Value st = scratch(MemRefType::get({Bk, Bq}, f32));
  Value ot = scratch(MemRefType::get({Dv, Bq}, f32));
  Value mBuf = scratch(MemRefType::get({Bq}, f32));
  Value lBuf = scratch(MemRefType::get({Bq}, f32));
  Value alphaBuf =
      scratch(MemRefType::get({Bq}, f32));
  // bf16 inputs with bf16-dot: micro-kernels on packed bf16 pairs
  // (BF16DotKernels.h) instead of f32 copies of the K and V tiles.
  std::optional<cpu::BF16DotEmitter> dot;
  cpu::BF16DotScratch dotScratch;
  if (cfg.bf16Dot && qType.getElementType().isBF16() &&
      kType.getElementType().isBF16() && vType.getElementType().isBF16()) {
    if (W != 8 && W != 16)
      return op.emitOpError("bf16-dot needs vector-width 8 (avx512vl) or 16, "
                            "got ")
             << W;
    dot.emplace(b, loc, cpu::BF16DotShape{W, nv, Bq, Bk, Nq, Nk, D, Dv});
    dotScratch = dot->allocateScratch();
  }
  bool widenTiles = !qType.getElementType().isF32() && !dot;
  if (widenTiles) {
    kTileF32 = scratch(MemRefType::get({Bk, D}, f32));
    vTileF32 = scratch(MemRefType::get({Bk, Dv}, f32));
  }

  NormalizationKind norm = op.getNormalizationKind();
  NormalizationAttr normAttr = op.getNormalizationAttr();
  bool l1 = normAttr && normAttr.getL1();
  double scale = op.getScaleAttr() ? op.getScaleAttr().getValueAsDouble()
                                   : 1.0 / std::sqrt(static_cast<double>(D));
  bool scalarMods = op.getBias() || !op.getScoreMod().empty();
  bool hasMods = op.getScoreModsAttr() && !op.getScoreModsAttr().empty();
  bool hasMask = op.getMaskAttr() || !op.getMaskFn().empty();

  auto toIndex = [&](Value i32) -> Value {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), i32);
  };

  // Optional operands: data-dependent heads, sink logits, output gates and
  // the weight_mod region (two passes over the tiles for softmax and l1).
  Value kHeadMap = op.getKHeadMap(), vHeadMap = op.getVHeadMap();
  Value sinkLogits = op.getSinkLogits(), outputGate = op.getOutputGate();
  Region &weightMod = op.getWeightMod();
  bool twoPasses = op.needsTwoPasses();
  bool softmax = norm == NormalizationKind::Softmax;
  // Kept entries hold the raw score scale * q.k (masked ones -inf) for the
  // weight_mod region.
  Value rawBuf;
  if (!weightMod.empty())
    rawBuf = scratch(MemRefType::get({Bk, Bq}, f32));
  Value invBuf;
  if (twoPasses)
    invBuf = scratch(MemRefType::get({Bq}, f32));

  forLoop(workBegin, workEnd, 1, [&](Value w) {
    Value item = toIndex(memref::LoadOp::create(b, loc, orderTable, w));
    Value qtIdx = arith::RemUIOp::create(b, loc, item, idx(numQT));
    Value bh = arith::DivUIOp::create(b, loc, item, idx(numQT));
    Value h = arith::RemUIOp::create(b, loc, bh, idx(Hq));
    Value bb = arith::DivUIOp::create(b, loc, bh, idx(Hq));
    Value hk = e.headIndex(kHeadMap, idx(Hkv), idx(Hq), bb, h);
    Value hv = e.headIndex(vHeadMap, idx(Hv), idx(Hq), bb, h);
    Value q0 = e.muli(qtIdx, idx(Bq));
    Value cls = toIndex(memref::LoadOp::create(b, loc, classTable, h));
    Value row = e.addi(e.muli(cls, idx(numQT)), qtIdx);
    Value eBegin = toIndex(memref::LoadOp::create(b, loc, offsetTable, row));
    Value eEnd = toIndex(
        memref::LoadOp::create(b, loc, offsetTable, e.addi(row, idx(1))));
    Value offsetNkNq = idx(Nk - Nq);
    Value negInfV = vsplat(negInf);

    // Pack Q^T, scaled (bf16-dot: unscaled bf16 pairs); padding queries
    // are zero.
    if (dot)
      dot->packQuery(dotScratch, qMem, bb, h, q0);
    else
      forLoop(idx(0), idx(D), 1, [&](Value d) {
        forLoop(idx(0), idx(Bq), 1, [&](Value i) {
          Value qi = e.addi(q0, i);
          Value inside = e.cmp(arith::CmpIPredicate::slt, qi, idx(Nq));
          Value clamped = e.minsi(qi, idx(Nq - 1));
          Value x = loadF32(qMem, {bb, h, clamped, d});
          x = arith::MulFOp::create(b, loc, x, e.f32(scale));
          x = e.select(inside, x, e.f32(0.0));
          memref::StoreOp::create(b, loc, x, qt, ValueRange{d, i});
        });
      });
    Value initM = vsplat(softmax ? negInf : 0.0);
    for (int64_t v = 0; v < nv; ++v) {
      vstore(initM, mBuf, {idx(v * W)});
      vstore(vsplat(0.0), lBuf, {idx(v * W)});
    }
    forLoop(idx(0), idx(Dv), 1, [&](Value c) {
      for (int64_t v = 0; v < nv; ++v)
        vstore(vsplat(0.0), ot, {c, idx(v * W)});
    });

    // The scores of one tile into S^T: products, mask, modifications.
    // Returns the tile's first key, its number of valid keys and whether
    // the mask keeps every pair of it.
    struct ScoreTile {
      Value k0, cols, isFull;
    };
    auto scoreTile = [&](Value entry) -> ScoreTile {
      Value code = toIndex(memref::LoadOp::create(b, loc, entryTable, entry));
      Value kt = arith::DivUIOp::create(b, loc, code, idx(2));
      Value isFull = e.cmp(arith::CmpIPredicate::eq,
                           arith::RemUIOp::create(b, loc, code, idx(2)),
                           idx(1));
      Value k0 = e.muli(kt, idx(Bk));
      Value cols = e.minsi(idx(Bk), e.subi(idx(Nk), k0));

      if (widenTiles) {
        // Rows past the sequence end repeat the last key; they are masked.
        // Whole vectors when the head dimension allows it.
        Type inType = qType.getElementType();
        auto widenRow = [&](Value src, Value head, Value row, Value dst,
                            Value j, int64_t width) {
          if (width % W == 0) {
            for (int64_t c = 0; c < width; c += W) {
              Value in = vector::LoadOp::create(
                  b, loc, VectorType::get({W}, inType), src,
                  ValueRange{bb, head, row, idx(c)});
              Value out = arith::ExtFOp::create(b, loc, vecType(), in);
              vstore(out, dst, {j, idx(c)});
            }
            return;
          }
          forLoop(idx(0), idx(width), 1, [&](Value c) {
            memref::StoreOp::create(b, loc, loadF32(src, {bb, head, row, c}),
                                    dst, ValueRange{j, c});
          });
        };
        forLoop(idx(0), idx(Bk), 1, [&](Value j) {
          Value row = e.minsi(e.addi(k0, j), idx(Nk - 1));
          widenRow(kMem, hk, row, kTileF32, j, D);
          widenRow(vMem, hv, row, vTileF32, j, Dv);
        });
      }

      // S^T = K Q^T.
      int64_t mainRows = Bk - Bk % cfg.mr;
      auto qk = [&](Value jb, int64_t rows) {
        if (dot)
          dot->emitQKMicroKernel(dotScratch, kMem, bb, hk, k0, jb, rows, scale,
                                 st);
        else
          emitQKMicroKernel(qt, kMem, k0, jb, bb, hk, rows, st);
      };
      forLoop(idx(0), idx(mainRows), cfg.mr,
              [&](Value jb) { qk(jb, cfg.mr); });
      if (Bk % cfg.mr)
        qk(idx(mainRows), Bk % cfg.mr);

      // Mask: partial tiles evaluate the predicate per element; every tile
      // masks key rows past the sequence end.
      Value needBounds = e.cmp(arith::CmpIPredicate::slt, cols, idx(Bk));
      Value needMask = hasMask ? e.ori(arith::XOrIOp::create(
                                           b, loc, isFull, e.boolean(true)),
                                       needBounds)
                               : needBounds;
      bool vectorMaskable =
          op.getMaskFn().empty() &&
          (!op.getMaskAttr() || isVectorizableMask(op.getMaskAttr()));
      scf::IfOp::create(b, loc, needMask, [&](OpBuilder &, Location) {
        if (vectorMaskable) {
          // Queries in lanes against one key: p = q0 + v*W + lane + Nk - Nq.
          SmallVector<int64_t> laneIds;
          for (int64_t l = 0; l < W; ++l)
            laneIds.push_back(l);
          Value lanes = arith::ConstantOp::create(
              b, loc, DenseElementsAttr::get(laneIndexType(),
                                             ArrayRef<int64_t>(laneIds)));
          Value pBase = vector::BroadcastOp::create(
              b, loc, laneIndexType(), toI64(e.addi(q0, offsetNkNq)));
          forLoop(idx(0), idx(Bk), 1, [&](Value j) {
            Value kj = e.addi(k0, j);
            Value inRange = e.cmp(arith::CmpIPredicate::slt, kj, idx(Nk));
            Value jv =
                vector::BroadcastOp::create(b, loc, laneIndexType(), toI64(kj));
            for (int64_t v = 0; v < nv; ++v) {
              Value p = arith::AddIOp::create(
                  b, loc, pBase,
                  arith::AddIOp::create(b, loc, lanes, vsplatI(v * W)));
              Value keep = vector::BroadcastOp::create(
                  b, loc, VectorType::get({W}, b.getI1Type()), inRange);
              if (MaskAttrInterface m = op.getMaskAttr())
                keep = arith::AndIOp::create(
                    b, loc, keep, vectorMask(m, LaneContext{p, jv, h, kj}));
              Value col = idx(v * W);
              Value sv = vload(st, {j, col});
              vstore(e.select(keep, sv, negInfV), st, {j, col});
            }
          });
          scf::YieldOp::create(b, loc);
          return;
        }
        forLoop(idx(0), idx(Bk), 1, [&](Value j) {
          forLoop(idx(0), idx(Bq), 1, [&](Value i) {
            Value qi = e.addi(q0, i), kj = e.addi(k0, j);
            Value inRange = e.cmp(arith::CmpIPredicate::slt, kj, idx(Nk));
            Value keep = inRange;
            if (hasMask) {
              PairContext ctx{op, bb, h, e.minsi(qi, idx(Nq - 1)),
                              e.minsi(kj, idx(Nk - 1)),
                              e.addi(qi, offsetNkNq), idx(Nq), idx(Nk),
                              idx(Hq)};
              keep = e.andi(keep, e.keep(ctx));
            }
            Value s = memref::LoadOp::create(b, loc, st, ValueRange{j, i});
            s = e.select(keep, s, e.f32(negInf));
            memref::StoreOp::create(b, loc, s, st, ValueRange{j, i});
          });
        });
        scf::YieldOp::create(b, loc);
      });
      if (rawBuf)
        forLoop(idx(0), idx(Bk), 1, [&](Value j) {
          for (int64_t v = 0; v < nv; ++v)
            vstore(vload(st, {j, idx(v * W)}), rawBuf, {j, idx(v * W)});
        });

      // Score modifications, after the mask. Softcap and ALiBi alone are
      // vectorized over queries; operands and regions are read per element.
      if (hasMods && !scalarMods) {
        Value slope;
        bool alibi = llvm::any_of(op.getScoreModsAttr(), [](Attribute a) {
          return isa<AlibiAttr>(a);
        });
        if (alibi) {
          PairContext ctx{op, bb, h, q0, k0, q0, idx(Nq), idx(Nk), idx(Hq)};
          slope = vector::BroadcastOp::create(b, loc, vecType(),
                                              e.alibiSlope(ctx));
        }
        SmallVector<Attribute> lanes;
        for (int64_t l = 0; l < W; ++l)
          lanes.push_back(b.getF32FloatAttr(static_cast<double>(l)));
        Value iota = arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(vecType(), lanes));
        forLoop(idx(0), idx(Bk), 1, [&](Value j) {
          // p - key = (q0 + i + Nk - Nq) - (k0 + j), exactly representable.
          Value base = arith::SIToFPOp::create(
              b, loc, b.getF32Type(),
              arith::IndexCastOp::create(
                  b, loc, b.getI64Type(),
                  e.subi(e.addi(q0, offsetNkNq), e.addi(k0, j))));
          for (int64_t v = 0; v < nv; ++v) {
            Value col = idx(v * W);
            Value sv = vload(st, {j, col});
            Value x = sv;
            for (Attribute mod : op.getScoreModsAttr()) {
              if (auto cap = dyn_cast<SoftcapAttr>(mod)) {
                Value c = vsplat(cap.getCapValue());
                x = arith::MulFOp::create(
                    b, loc, c,
                    math::TanhOp::create(b, loc,
                                         arith::DivFOp::create(b, loc, x, c)));
              } else if (isa<AlibiAttr>(mod)) {
                Value offsetV = arith::AddFOp::create(
                    b, loc,
                    vector::BroadcastOp::create(b, loc, vecType(), base),
                    arith::AddFOp::create(b, loc, iota,
                                          vsplat(static_cast<double>(v * W))));
                Value dist = math::AbsFOp::create(b, loc, offsetV);
                x = arith::SubFOp::create(
                    b, loc, x, arith::MulFOp::create(b, loc, slope, dist));
              }
            }
            // Masked entries stay masked (softcap(-inf) would be finite).
            Value masked = arith::CmpFOp::create(
                b, loc, arith::CmpFPredicate::OEQ, sv, negInfV);
            vstore(e.select(masked, negInfV, x), st, {j, col});
          }
        });
      } else if (scalarMods || hasMods) {
        forLoop(idx(0), idx(Bk), 1, [&](Value j) {
          forLoop(idx(0), idx(Bq), 1, [&](Value i) {
            Value qi = e.addi(q0, i), kj = e.addi(k0, j);
            PairContext ctx{op, bb, h, e.minsi(qi, idx(Nq - 1)),
                            e.minsi(kj, idx(Nk - 1)),
                            e.addi(qi, offsetNkNq), idx(Nq), idx(Nk), idx(Hq)};
            Value s = memref::LoadOp::create(b, loc, st, ValueRange{j, i});
            // Masked entries stay -inf and never evaluate the modification
            // (a region may index captures only valid for kept pairs).
            Value kept = arith::CmpFOp::create(
                b, loc, arith::CmpFPredicate::ONE, s, e.f32(negInf));
            scf::IfOp::create(b, loc, kept, [&](OpBuilder &, Location) {
              Value modified = e.modifyScore(s, ctx);
              memref::StoreOp::create(b, loc, modified, st, ValueRange{j, i});
              scf::YieldOp::create(b, loc);
            });
          });
        });
      }
      return {k0, cols, isFull};
    };

    // The pointwise weight of the non-softmax normalizations, on vectors.
    auto pointwise = [&](Value s) -> Value { return e.pointwiseWeight(op, s); };
    // Weight `w` of score `s`, 0 where s is masked (-inf): f(-inf) is not 0
    // for every pointwise normalization (softmax's exp is).
    auto zeroMasked = [&](Value s, Value w) -> Value {
      Value masked =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, s, negInfV);
      return e.select(masked, vsplat(0.0), w);
    };

    // Online normalization update, vertical over key rows: running max and
    // sum; S^T becomes the tile's weights (relative to the new max).
    auto updateStatistics = [&]() {
      for (int64_t v = 0; v < nv; ++v) {
        Value col = idx(v * W);
        Value mOld = vload(mBuf, {col});
        Value mNew = mOld, alpha = vsplat(1.0), offset;
        if (softmax) {
          auto maxLoop = scf::ForOp::create(
              b, loc, idx(0), idx(Bk), idx(1), ValueRange{negInfV},
              [&](OpBuilder &, Location, Value j, ValueRange acc) {
                Value s = vload(st, {j, col});
                scf::YieldOp::create(
                    b, loc,
                    ValueRange{arith::MaximumFOp::create(b, loc, acc[0], s)});
              });
          SoftmaxMath::Step step = sm.update(mOld, maxLoop.getResult(0));
          mNew = step.newMax;
          alpha = step.alpha;
          offset = step.offset;
        }
        auto sumLoop = scf::ForOp::create(
            b, loc, idx(0), idx(Bk), idx(1), ValueRange{vsplat(0.0)},
            [&](OpBuilder &, Location, Value j, ValueRange acc) {
              Value s = vload(st, {j, col});
              Value w = softmax ? sm.weight(s, offset)
                                : zeroMasked(s, pointwise(s));
              vstore(w, st, {j, col});
              scf::YieldOp::create(
                  b, loc, ValueRange{arith::AddFOp::create(b, loc, acc[0], w)});
            });
        Value lOld = vload(lBuf, {col});
        Value lNew = sm.rescaleSum(lOld, alpha, sumLoop.getResult(0));
        vstore(mNew, mBuf, {col});
        vstore(lNew, lBuf, {col});
        vstore(alpha, alphaBuf, {col});
      }
    };

    // weight_mod on the kept entries of the tile: S^T holds final weights.
    auto applyWeightMod = [&](Value k0) {
      forLoop(idx(0), idx(Bk), 1, [&](Value j) {
        forLoop(idx(0), idx(Bq), 1, [&](Value i) {
          Value raw = memref::LoadOp::create(b, loc, rawBuf, ValueRange{j, i});
          Value kept = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE,
                                             raw, e.f32(negInf));
          scf::IfOp::create(b, loc, kept, [&](OpBuilder &, Location) {
            Value qi = e.minsi(e.addi(q0, i), idx(Nq - 1));
            Value kj = e.minsi(e.addi(k0, j), idx(Nk - 1));
            Value wgt = memref::LoadOp::create(b, loc, st, ValueRange{j, i});
            Value modified =
                inlineRegion(b, weightMod, {wgt, raw, bb, h, qi, kj},
                             op.getCaptures(), idx(Nq), idx(Nk));
            memref::StoreOp::create(b, loc, e.toF32(modified), st,
                                    ValueRange{j, i});
            scf::YieldOp::create(b, loc);
          });
        });
      });
    };

    // Whether the values of keys [k0, k0 + cols) are all finite: sum(v * 0)
    // is 0 exactly then (x * 0 is NaN for infinities and NaNs).
    auto valuesFinite = [&](Value k0, Value cols) -> Value {
      Type element = cast<MemRefType>(vMem.getType()).getElementType();
      auto rowType = VectorType::get({W}, element);
      Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
      auto rows = scf::ForOp::create(
          b, loc, idx(0), cols, idx(1), ValueRange{vsplat(0.0)},
          [&](OpBuilder &, Location, Value j, ValueRange acc) {
            Value probe = acc[0];
            for (int64_t c = 0; c < Dv; c += W) {
              Value x = vector::TransferReadOp::create(
                  b, loc, rowType, vMem,
                  ValueRange{bb, hv, e.addi(k0, j), idx(c)}, pad,
                  ArrayRef<bool>{c + W <= Dv});
              if (!element.isF32())
                x = arith::ExtFOp::create(b, loc, vecType(), x);
              probe = math::FmaOp::create(b, loc, x, vsplat(0.0), probe);
            }
            scf::YieldOp::create(b, loc, probe);
          });
      Value sum = vector::ReductionOp::create(
          b, loc, vector::CombiningKind::ADD, rows.getResult(0));
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, sum,
                                   e.f32(0.0));
    };

    // O^T = alpha O^T + V^T P^T over the pairs the mask keeps only, one
    // element at a time: the kernels add 0 * V[j] for an excluded key j,
    // which is NaN where V[j] holds an infinity or NaN (the reference never
    // reads it). Taken by partial tiles whose values are not all finite.
    auto keptPairsAccumulate = [&](Value k0, Value cols) {
      forLoop(idx(0), idx(Dv), 1, [&](Value c) {
        forLoop(idx(0), idx(Bq), 1, [&](Value i) {
          Value qi = e.addi(q0, i);
          Value init = arith::MulFOp::create(
              b, loc, memref::LoadOp::create(b, loc, ot, ValueRange{c, i}),
              memref::LoadOp::create(b, loc, alphaBuf, ValueRange{i}));
          auto sum = scf::ForOp::create(
              b, loc, idx(0), cols, idx(1), ValueRange{init},
              [&](OpBuilder &, Location, Value j, ValueRange acc) {
                Value kj = e.addi(k0, j);
                PairContext ctx{op,  bb, h, e.minsi(qi, idx(Nq - 1)), kj,
                                e.addi(qi, offsetNkNq), idx(Nq), idx(Nk),
                                idx(Hq)};
                Value w = memref::LoadOp::create(b, loc, st, ValueRange{j, i});
                Value x = loadF32(vMem, {bb, hv, kj, c});
                Value added = math::FmaOp::create(b, loc, w, x, acc[0]);
                scf::YieldOp::create(b, loc,
                                     e.select(e.keep(ctx), added, acc[0]));
              });
          memref::StoreOp::create(b, loc, sum.getResult(0), ot,
                                  ValueRange{c, i});
        });
      });
    };

    // O^T = alpha O^T + V^T P^T.
    auto kernelAccumulate = [&](Value k0, Value cols) {
      int64_t mainCols = Dv - Dv % cfg.mr;
      if (dot)
        dot->packPV(dotScratch, st, vMem, bb, hv, k0, cols);
      auto pv = [&](Value c0, int64_t count) {
        if (dot)
          dot->emitPVMicroKernel(dotScratch, ot, cols, alphaBuf, c0, count);
        else
          emitPVMicroKernel(ot, vMem, bb, hv, k0, cols, st, alphaBuf, c0,
                            count);
      };
      forLoop(idx(0), idx(mainCols), cfg.mr,
              [&](Value c0) { pv(c0, cfg.mr); });
      if (Dv % cfg.mr)
        pv(idx(mainCols), Dv % cfg.mr);
    };
    auto accumulate = [&](const ScoreTile &tile) {
      if (!hasMask) {
        kernelAccumulate(tile.k0, tile.cols);
        return;
      }
      // Full tiles keep every pair; partial ones probe their values.
      auto probe = scf::IfOp::create(
          b, loc, tile.isFull,
          [&](OpBuilder &, Location) {
            scf::YieldOp::create(b, loc, e.boolean(true));
          },
          [&](OpBuilder &, Location) {
            scf::YieldOp::create(b, loc, valuesFinite(tile.k0, tile.cols));
          });
      scf::IfOp::create(
          b, loc, probe.getResult(0),
          [&](OpBuilder &, Location) {
            kernelAccumulate(tile.k0, tile.cols);
            scf::YieldOp::create(b, loc);
          },
          [&](OpBuilder &, Location) {
            keptPairsAccumulate(tile.k0, tile.cols);
            scf::YieldOp::create(b, loc);
          });
    };

    // The sink logit joins the softmax normalizer; the accumulator's
    // rescale waits in alphaBuf for the finalization.
    auto foldSink = [&]() {
      Value sink = e.toF32(
          tensor::ExtractOp::create(b, loc, sinkLogits, ValueRange{h}));
      forLoop(idx(0), idx(Bq), 1, [&](Value i) {
        Value m = memref::LoadOp::create(b, loc, mBuf, i);
        Value l = memref::LoadOp::create(b, loc, lBuf, i);
        SoftmaxMath::SinkFold fold = sm.foldSink(m, l, sink);
        memref::StoreOp::create(b, loc, fold.max, mBuf, i);
        memref::StoreOp::create(b, loc, fold.sum, lBuf, i);
        memref::StoreOp::create(b, loc, fold.accScale, alphaBuf, i);
      });
    };

    if (!twoPasses) {
      forLoop(eBegin, eEnd, 1, [&](Value entry) {
        ScoreTile tile = scoreTile(entry);
        updateStatistics();
        if (rawBuf)
          applyWeightMod(tile.k0);
        accumulate(tile);
      });
      if (sinkLogits)
        foldSink();
    } else {
      // Two walks over the tile list sharing one copy of the score code
      // (it dominates compile time): walk 0 gathers the row statistics;
      // walk 1 forms the final weights, applies weight_mod, accumulates
      // without rescaling.
      forLoop(idx(0), idx(2), 1, [&](Value walk) {
        Value second = e.cmp(arith::CmpIPredicate::eq, walk, idx(1));
        forLoop(eBegin, eEnd, 1, [&](Value entry) {
          ScoreTile tile = scoreTile(entry);
          scf::IfOp::create(
              b, loc, second,
              [&](OpBuilder &, Location) {
                for (int64_t v = 0; v < nv; ++v) {
                  Value col = idx(v * W);
                  Value offset =
                      softmax ? sm.offsetOf(vload(mBuf, {col})) : Value();
                  Value inv = vload(invBuf, {col});
                  forLoop(idx(0), idx(Bk), 1, [&](Value j) {
                    Value s = vload(st, {j, col});
                    Value wgt = softmax ? sm.weight(s, offset) : pointwise(s);
                    wgt = arith::MulFOp::create(b, loc, wgt, inv);
                    vstore(softmax ? wgt : zeroMasked(s, wgt), st, {j, col});
                  });
                }
                applyWeightMod(tile.k0);
                accumulate(tile);
                scf::YieldOp::create(b, loc);
              },
              [&](OpBuilder &, Location) {
                updateStatistics();
                scf::YieldOp::create(b, loc);
              });
        });
        Value first = e.cmp(arith::CmpIPredicate::eq, walk, idx(0));
        scf::IfOp::create(b, loc, first, [&](OpBuilder &, Location) {
          if (sinkLogits)
            foldSink();
          forLoop(idx(0), idx(Bq), 1, [&](Value i) {
            Value l = memref::LoadOp::create(b, loc, lBuf, i);
            memref::StoreOp::create(b, loc, sm.reciprocalOrZero(l), invBuf, i);
          });
          for (int64_t v = 0; v < nv; ++v)
            vstore(vsplat(1.0), alphaBuf, {idx(v * W)});
          scf::YieldOp::create(b, loc);
        });
      });
    }

    // Finalize: O = O^T / l (0 for empty rows; the two-pass form divided
    // already), the output gate, the logsumexp.
    Value rowsValid = e.minsi(idx(Bq), e.subi(idx(Nq), q0));
    forLoop(idx(0), rowsValid, 1, [&](Value i) {
      Value l = memref::LoadOp::create(b, loc, lBuf, i);
      Value outScale = e.f32(1.0);
      if (!twoPasses && (softmax || l1)) {
        outScale = sm.reciprocalOrZero(l);
        if (sinkLogits)
          outScale = arith::MulFOp::create(
              b, loc, outScale, memref::LoadOp::create(b, loc, alphaBuf, i));
      }
      Value qi = e.addi(q0, i);
      if (outputGate)
        outScale = arith::MulFOp::create(
            b, loc, outScale,
            e.toF32(e.extractBroadcast(outputGate, {bb, h, qi})));
      forLoop(idx(0), idx(Dv), 1, [&](Value c) {
        Value o = memref::LoadOp::create(b, loc, ot, ValueRange{c, i});
        o = arith::MulFOp::create(b, loc, o, outScale);
        if (!elementType.isF32())
          o = arith::TruncFOp::create(b, loc, elementType, o);
        memref::StoreOp::create(b, loc, o, outBuffer, ValueRange{bb, h, qi, c});
      });
      if (lseBuffer) {
        Value m = memref::LoadOp::create(b, loc, mBuf, i);
        memref::StoreOp::create(b, loc, sm.logSumExp(m, l), lseBuffer,
                                ValueRange{bb, h, qi});
      }
    });
  });

  replaceWithBuffers(b, loc, op, outBuffer, lseBuffer);
  return success();
}

int64_t attn::cpuQueryTile(int64_t tileQ, int64_t vectorWidth) {
  if (tileQ <= 0)
    return 4 * vectorWidth;
  return llvm::divideCeil(tileQ, vectorWidth) * vectorWidth;
}

namespace {
struct ConvertAttnToCPUPass
    : public attn::impl::ConvertAttnToCPUBase<ConvertAttnToCPUPass> {
  using ConvertAttnToCPUBase::ConvertAttnToCPUBase;
  void runOnOperation() override {
    if (vectorWidth <= 0 || vectorWidth > 64 || tileKv <= 0 || tileQ < 0 ||
        tileQ > kMaxCPUTileQ || tileKv > kMaxCPUTileKv) {
      getOperation().emitError()
          << "convert-attn-to-cpu: vector-width must be in [1, 64], tile-q in "
             "[0, "
          << kMaxCPUTileQ << "] (0: automatic) and tile-kv in [1, "
          << kMaxCPUTileKv << "], got " << vectorWidth.getValue() << ", "
          << tileQ.getValue() << " and " << tileKv.getValue();
      return signalPassFailure();
    }
    TileConfig cfg;
    cfg.width = vectorWidth;
    cfg.bq = cpuQueryTile(tileQ, vectorWidth);
    cfg.nv = cfg.bq / cfg.width;
    cfg.bk = tileKv;
    cfg.bf16Dot = bf16Dot;
    // A module pass: the schedule tables are module-level globals.
    SymbolTable symbols(getOperation());
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      SmallVector<AttentionOp> ops;
      func.walk([&](AttentionOp op) {
        // Kernels, selections, row epilogues and affine normalizations are
        // left to convert-attn-to-loops, which refuses them.
        if (isStatic(op.getQuery()) && isStatic(op.getKey()) &&
            isStatic(op.getValue()) && isStatic(op.getOutput()) &&
            !op.hasLinearKernel() && !op.hasSelection() &&
            !op.hasQuantizedQK() && !op.hasRowEpilogue() &&
            !op.hasAffineNormalization())
          ops.push_back(op);
      });
      // One work range per function: only a single op can own it.
      bool partition = workPartition && ops.size() == 1;
      for (AttentionOp op : ops)
        if (failed(TiledLowering(op, cfg, symbols).run(partition)))
          return signalPassFailure();
    }
  }
};
} // namespace
