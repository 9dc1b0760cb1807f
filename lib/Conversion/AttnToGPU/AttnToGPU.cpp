//===- AttnToGPU.cpp - attention as pre-mapping GPU kernel IR -------------===//
//
// attn.attention (static shapes) -> one block-level scf.forall over the work
// items (batch, head, query tile) holding shared-memory tiles and sibling
// thread-level scf.foralls, one per stage of FlashAttention-2. A barrier is
// implied between sibling thread-level foralls: sequentially (on the CPU,
// after scf-forall-to-for) and on the GPU (map_nested_forall_to_threads
// inserts gpu.barrier after each). See the pass description in Passes.td.
//
// Work items, the key tiles each one visits and whether a tile is full or
// partial come from the shared tile schedule (attn/Analysis/TileList.h);
// masks and score modifications from the shared scalar emitter
// (attn/Conversion/AttnCodegen.h).
//
//===----------------------------------------------------------------------===//

#include "attn/Analysis/TileList.h"
#include "attn/Conversion/AttnCodegen.h"
#include "attn/Conversion/Passes.h"
#include "attn/Conversion/TiledSupport.h"
#include "attn/Dialect/Attn/AttnDialect.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"

#include <cmath>
#include <limits>

namespace attn {
#define GEN_PASS_DEF_CONVERTATTNTOGPU
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;
using namespace attn::codegen;

namespace {

struct GPUTileConfig {
  int64_t bq = 0, bk = 0, threads = 128;
};

/// Shared-memory layout of one work item (f32 elements). K and the score
/// tile get one padding column so that threads walking a column of them
/// (S = Q K^T: consecutive threads take consecutive keys; the softmax: one
/// thread per query row) hit distinct banks.
struct SharedLayout {
  int64_t bq, bk, d, dv;
  int64_t kStride() const { return d + 1; }
  int64_t sStride() const { return bk + 1; }
  static int64_t align(int64_t bytes) { return (bytes + 15) / 16 * 16; }
  int64_t bytes() const {
    return align(4 * bq * d) + align(4 * bk * kStride()) +
           align(4 * bk * dv) + align(4 * bq * sStride()) +
           align(4 * bq * dv) + 3 * align(4 * bq);
  }
};

class GPULowering {
public:
  GPULowering(AttentionOp op, GPUTileConfig cfg)
      : op(op), cfg(cfg), b(op), loc(op.getLoc()), e(b, loc) {}

  LogicalResult run();

private:
  Value idx(int64_t v) { return e.idx(v); }
  /// A constant i32 table (a tensor constant: One-Shot Bufferize turns it
  /// into a memref.global read where the constant is, i.e. inside the
  /// kernel, so that outlining clones it into the GPU module).
  Value table(ArrayRef<int32_t> data) {
    auto type = RankedTensorType::get({static_cast<int64_t>(data.size())},
                                      b.getI32Type());
    return arith::ConstantOp::create(b, loc, type,
                                     DenseElementsAttr::get(type, data));
  }
  Value lookup(Value table, Value index) {
    return arith::IndexCastOp::create(
        b, loc, b.getIndexType(),
        tensor::ExtractOp::create(b, loc, table, ValueRange{index}));
  }
  Value load(Value memref, ValueRange indices) {
    return memref::LoadOp::create(b, loc, memref, indices);
  }
  void store(Value v, Value memref, ValueRange indices) {
    memref::StoreOp::create(b, loc, v, memref, indices);
  }
  Value divui(Value x, int64_t y) {
    return arith::DivUIOp::create(b, loc, x, idx(y));
  }
  Value remui(Value x, int64_t y) {
    return arith::RemUIOp::create(b, loc, x, idx(y));
  }
  Value sharedBuffer(ArrayRef<int64_t> shape) {
    auto space = gpu::AddressSpaceAttr::get(b.getContext(),
                                            gpu::AddressSpace::Workgroup);
    return memref::AllocOp::create(
        b, loc,
        MemRefType::get(shape, b.getF32Type(), MemRefLayoutAttrInterface(),
                        space));
  }
  /// exp(x) as exp2(x * log2(e)): PTX ex2.approx on the GPU.
  Value exp(Value x) {
    return math::Exp2Op::create(
        b, loc, arith::MulFOp::create(b, loc, x, e.f32(1.4426950408889634)));
  }
  /// A loop nest `for (lb..ub)` with `body(iv)`.
  void forLoop(Value lb, Value ub, int64_t step,
               function_ref<void(Value)> body) {
    auto loop = scf::ForOp::create(b, loc, lb, ub, idx(step));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    body(loop.getInductionVar());
  }
  /// A reduction loop over [0, n) with one f32 accumulator.
  Value reduce(int64_t n, Value init,
               function_ref<Value(Value iv, Value acc)> body) {
    auto loop = scf::ForOp::create(
        b, loc, idx(0), idx(n), idx(1), ValueRange{init},
        [&](OpBuilder &, Location, Value iv, ValueRange acc) {
          scf::YieldOp::create(b, loc, ValueRange{body(iv, acc[0])});
        });
    return loop.getResult(0);
  }
  /// A thread-level stage over [0, n): a `#gpu.thread<x>` forall of
  /// min(n, threads) iterations, each striding over the elements.
  void threadLoop(int64_t n, function_ref<void(Value)> body);
  /// `if (cond) body()`.
  void ifThen(Value cond, function_ref<void()> body) {
    auto ifOp = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    body();
  }
  /// `cond ? then() : otherwise` with `then` evaluated only when needed.
  Value ifElse(Value cond, function_ref<Value()> then, Value otherwise) {
    auto ifOp = scf::IfOp::create(b, loc, TypeRange{otherwise.getType()},
                                  cond, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    scf::YieldOp::create(b, loc, ValueRange{then()});
    b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(b, loc, ValueRange{otherwise});
    return ifOp.getResult(0);
  }

  AttentionOp op;
  GPUTileConfig cfg;
  OpBuilder b;
  Location loc;
  ScalarEmitter e;
};

} // namespace

void GPULowering::threadLoop(int64_t n, function_ref<void(Value)> body) {
  int64_t t = std::min(n, cfg.threads);
  auto mapping = b.getArrayAttr(
      {gpu::GPUThreadMappingAttr::get(b.getContext(), gpu::MappingId::DimX)});
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(t)}, ValueRange{},
      mapping);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  Value tid = forall.getInductionVar(0);
  if (n <= t)
    body(tid);
  else
    forLoop(tid, idx(n), t, body);
}

static bool isStatic(Value v) {
  return cast<RankedTensorType>(v.getType()).hasStaticShape();
}

LogicalResult GPULowering::run() {
  auto qType = cast<RankedTensorType>(op.getQuery().getType());
  auto kType = cast<RankedTensorType>(op.getKey().getType());
  auto vType = cast<RankedTensorType>(op.getValue().getType());
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  const int64_t Hq = qType.getDimSize(1), Nq = qType.getDimSize(2),
                D = qType.getDimSize(3), Hkv = kType.getDimSize(1),
                Nk = kType.getDimSize(2), Dv = vType.getDimSize(3);
  const int64_t group = Hq / Hkv, Bq = cfg.bq, Bk = cfg.bk;
  const int64_t numQT = (Nq + Bq - 1) / Bq;
  const float negInf = -std::numeric_limits<float>::infinity();
  SharedLayout layout{Bq, Bk, D, Dv};

  FailureOr<TileSchedule> schedule = buildTileSchedule(op, Bq, Bk);
  if (failed(schedule))
    return failure();
  std::vector<int32_t> entries = schedule->entries;
  if (entries.empty())
    entries.push_back(0); // tables must not be empty
  const std::vector<int32_t> &order = schedule->workOrder;
  int64_t numItems = order.size();


  auto memrefOf = [&](Value tensor) -> Value {
    auto t = cast<RankedTensorType>(tensor.getType());
    return bufferization::ToBufferOp::create(
        b, loc, MemRefType::get(t.getShape(), t.getElementType()), tensor,
        b.getUnitAttr());
  };
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

  NormalizationKind norm = op.getNormalizationKind();
  NormalizationAttr normAttr = op.getNormalizationAttr();
  bool softmax = norm == NormalizationKind::Softmax;
  bool l1 = normAttr && normAttr.getL1();
  double sigmoidBias = normAttr ? normAttr.getBiasValue() : 0.0;
  double scale = op.getScaleAttr() ? op.getScaleAttr().getValueAsDouble()
                                   : 1.0 / std::sqrt(static_cast<double>(D));
  bool hasMods = op.getBias() || !op.getScoreMod().empty() ||
                 (op.getScoreModsAttr() && !op.getScoreModsAttr().empty());
  bool hasMask = op.getMaskAttr() || !op.getMaskFn().empty();

  auto blockMapping = b.getArrayAttr(
      {gpu::GPUBlockMappingAttr::get(b.getContext(), gpu::MappingId::DimX)});
  auto blocks = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(numItems)}, ValueRange{},
      blockMapping);
  if (auto func = op->getParentOfType<func::FuncOp>()) {
    func->setAttr("attn.gpu.tile_q", b.getI64IntegerAttr(Bq));
    func->setAttr("attn.gpu.tile_kv", b.getI64IntegerAttr(Bk));
  }
  blocks->setAttr("attn.gpu.tile_q", b.getI64IntegerAttr(Bq));
  blocks->setAttr("attn.gpu.tile_kv", b.getI64IntegerAttr(Bk));
  blocks->setAttr("attn.gpu.threads", b.getI64IntegerAttr(cfg.threads));
  blocks->setAttr("attn.gpu.shared_bytes",
                  b.getI64IntegerAttr(layout.bytes()));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(blocks.getBody()->getTerminator());
    Value w = blocks.getInductionVar(0);
    Value orderTable = table(order);
    Value offsetTable = table(schedule->offsets);
    Value entryTable = table(entries);
    Value classTable = table(schedule->headClass);

    // The work item: heaviest first, then its class's tile list.
    Value item = lookup(orderTable, w);
    Value qt = remui(item, numQT);
    Value bh = divui(item, numQT);
    Value h = remui(bh, Hq);
    Value bb = divui(bh, Hq);
    Value hk = divui(h, group);
    Value q0 = e.muli(qt, idx(Bq));
    Value cls = lookup(classTable, h);
    Value row = e.addi(e.muli(cls, idx(numQT)), qt);
    Value eBegin = lookup(offsetTable, row);
    Value eEnd = lookup(offsetTable, e.addi(row, idx(1)));

    Value qs = sharedBuffer({Bq, D});
    Value ks = sharedBuffer({Bk, layout.kStride()});
    Value vs = sharedBuffer({Bk, Dv});
    Value ss = sharedBuffer({Bq, layout.sStride()});
    Value os = sharedBuffer({Bq, Dv});
    Value mBuf = sharedBuffer({Bq});
    Value lBuf = sharedBuffer({Bq});
    Value alphaBuf = sharedBuffer({Bq});

    // Q tile, scaled; padding queries are zero.
    threadLoop(Bq * D, [&](Value x) {
      Value i = divui(x, D), d = remui(x, D);
      Value qi = e.addi(q0, i);
      Value inside = e.cmp(arith::CmpIPredicate::slt, qi, idx(Nq));
      Value v = e.toF32(load(qMem, {bb, h, e.minsi(qi, idx(Nq - 1)), d}));
      v = arith::MulFOp::create(b, loc, v, e.f32(scale));
      store(e.select(inside, v, e.f32(0.0)), qs, {i, d});
    });
    threadLoop(Bq, [&](Value i) {
      store(e.f32(softmax ? negInf : 0.0), mBuf, {i});
      store(e.f32(0.0), lBuf, {i});
    });
    threadLoop(Bq * Dv, [&](Value x) {
      store(e.f32(0.0), os, {divui(x, Dv), remui(x, Dv)});
    });

    forLoop(eBegin, eEnd, 1, [&](Value entry) {
      Value code = lookup(entryTable, entry);
      Value kt = divui(code, 2);
      Value isFull =
          e.cmp(arith::CmpIPredicate::eq, remui(code, 2), idx(1));
      Value isPartial = arith::XOrIOp::create(b, loc, isFull, e.boolean(true));
      Value k0 = e.muli(kt, idx(Bk));

      // K and V tiles; rows past the sequence end are zero.
      auto loadTile = [&](Value src, Value dst, int64_t cols) {
        threadLoop(Bk * cols, [&](Value x) {
          Value j = divui(x, cols), c = remui(x, cols);
          Value kj = e.addi(k0, j);
          Value inside = e.cmp(arith::CmpIPredicate::slt, kj, idx(Nk));
          Value v =
              e.toF32(load(src, {bb, hk, e.minsi(kj, idx(Nk - 1)), c}));
          store(e.select(inside, v, e.f32(0.0)), dst, {j, c});
        });
      };
      loadTile(kMem, ks, D);
      loadTile(vMem, vs, Dv);

      // S = Q K^T, masked on partial tiles (and past the sequence end),
      // then modified; masked scores are -inf.
      threadLoop(Bq * Bk, [&](Value x) {
        Value i = divui(x, Bk), j = remui(x, Bk);
        Value qi = e.addi(q0, i), kj = e.addi(k0, j);
        Value s = reduce(D, e.f32(0.0), [&](Value d, Value acc) {
          return math::FmaOp::create(b, loc, load(qs, {i, d}),
                                     load(ks, {j, d}), acc);
        });
        PairContext ctx{op,
                        bb,
                        h,
                        e.minsi(qi, idx(Nq - 1)),
                        e.minsi(kj, idx(Nk - 1)),
                        e.addi(qi, idx(Nk - Nq)),
                        idx(Nq),
                        idx(Nk),
                        idx(Hq)};
        Value keep = e.cmp(arith::CmpIPredicate::slt, kj, idx(Nk));
        if (hasMask)
          keep = e.andi(keep, ifElse(isPartial, [&] { return e.keep(ctx); },
                                     e.boolean(true)));
        // Masked pairs never evaluate the modification (a region may index
        // captures only valid for kept pairs).
        if (hasMods)
          s = ifElse(keep, [&] { return e.modifyScore(s, ctx); }, s);
        store(e.select(keep, s, e.f32(negInf)), ss, {i, j});
      });

      // Online normalization, one thread per query row: P overwrites S.
      threadLoop(Bq, [&](Value i) {
        Value mOld = load(mBuf, {i});
        Value mNew = mOld, alpha = e.f32(1.0), isEmpty;
        if (softmax) {
          mNew = reduce(Bk, mOld, [&](Value j, Value acc) {
            return arith::MaximumFOp::create(b, loc, acc, load(ss, {i, j}));
          });
          isEmpty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                          mNew, e.f32(negInf));
          alpha = e.select(isEmpty, e.f32(1.0),
                           exp(arith::SubFOp::create(b, loc, mOld, mNew)));
        }
        Value sum = reduce(Bk, e.f32(0.0), [&](Value j, Value acc) {
          Value s = load(ss, {i, j});
          Value masked = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::OEQ, s, e.f32(negInf));
          Value w;
          switch (norm) {
          case NormalizationKind::Softmax:
            w = e.select(isEmpty, e.f32(0.0),
                         exp(arith::SubFOp::create(b, loc, s, mNew)));
            break;
          case NormalizationKind::Sigmoid: {
            Value x = arith::AddFOp::create(b, loc, s, e.f32(sigmoidBias));
            Value ex =
                math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
            w = arith::DivFOp::create(
                b, loc, e.f32(1.0),
                arith::AddFOp::create(b, loc, e.f32(1.0), ex));
            break;
          }
          case NormalizationKind::Softplus: {
            Value absS = math::AbsFOp::create(b, loc, s);
            Value tail = math::Log1pOp::create(
                b, loc,
                math::ExpOp::create(b, loc,
                                    arith::NegFOp::create(b, loc, absS)));
            w = arith::AddFOp::create(
                b, loc, tail,
                arith::MaximumFOp::create(b, loc, s, e.f32(0.0)));
            break;
          }
          case NormalizationKind::Relu:
            w = arith::MaximumFOp::create(b, loc, s, e.f32(0.0));
            break;
          case NormalizationKind::Identity:
            w = s;
            break;
          }
          w = e.select(masked, e.f32(0.0), w);
          store(w, ss, {i, j});
          return arith::AddFOp::create(b, loc, acc, w);
        });
        Value lOld = load(lBuf, {i});
        store(math::FmaOp::create(b, loc, lOld, alpha, sum), lBuf, {i});
        store(mNew, mBuf, {i});
        store(alpha, alphaBuf, {i});
      });

      // O = alpha O + P V.
      threadLoop(Bq * Dv, [&](Value x) {
        Value i = divui(x, Dv), c = remui(x, Dv);
        Value init = arith::MulFOp::create(b, loc, load(os, {i, c}),
                                           load(alphaBuf, {i}));
        Value o = reduce(Bk, init, [&](Value j, Value acc) {
          return math::FmaOp::create(b, loc, load(ss, {i, j}),
                                     load(vs, {j, c}), acc);
        });
        store(o, os, {i, c});
      });
    });

    // Finalize: O / l (0 for rows without a kept key), logsumexp.
    threadLoop(Bq * Dv, [&](Value x) {
      Value i = divui(x, Dv), c = remui(x, Dv);
      Value qi = e.addi(q0, i);
      ifThen(e.cmp(arith::CmpIPredicate::slt, qi, idx(Nq)), [&] {
        Value o = load(os, {i, c});
        if (softmax || l1) {
          Value l = load(lBuf, {i});
          Value nonZero = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::ONE, l, e.f32(0.0));
          o = e.select(nonZero, arith::DivFOp::create(b, loc, o, l),
                       e.f32(0.0));
        }
        if (!elementType.isF32())
          o = arith::TruncFOp::create(b, loc, elementType, o);
        store(o, outBuffer, {bb, h, qi, c});
      });
    });
    if (lseBuffer) {
      threadLoop(Bq, [&](Value i) {
        Value qi = e.addi(q0, i);
        ifThen(e.cmp(arith::CmpIPredicate::slt, qi, idx(Nq)), [&] {
          Value l = load(lBuf, {i});
          Value positive = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::OGT, l, e.f32(0.0));
          Value lse = arith::AddFOp::create(b, loc, load(mBuf, {i}),
                                            math::LogOp::create(b, loc, l));
          store(e.select(positive, lse, e.f32(negInf)), lseBuffer,
                {bb, h, qi});
        });
      });
    }
  }

  Value out = bufferization::ToTensorOp::create(b, loc, outType, outBuffer,
                                                /*restrict=*/true,
                                                /*writable=*/true);
  op.getOutput().replaceAllUsesWith(out);
  if (lseBuffer) {
    Value lse = bufferization::ToTensorOp::create(
        b, loc, op.getLse().getType(), lseBuffer, true, true);
    op.getLse().replaceAllUsesWith(lse);
  }
  op.erase();
  return success();
}

namespace {
struct ConvertAttnToGPUPass
    : public attn::impl::ConvertAttnToGPUBase<ConvertAttnToGPUPass> {
  using ConvertAttnToGPUBase::ConvertAttnToGPUBase;
  void runOnOperation() override {
    if (threads <= 0 || tileQ < 0 || tileKv < 0 || (tileQ == 0) != (tileKv == 0)) {
      getOperation().emitError()
          << "convert-attn-to-gpu: threads must be positive and tile-q, "
             "tile-kv both positive or both 0 (automatic)";
      return signalPassFailure();
    }
    SmallVector<AttentionOp> ops;
    getOperation().walk([&](AttentionOp op) {
      if (isStatic(op.getQuery()) && isStatic(op.getKey()) &&
          isStatic(op.getValue()) && isStatic(op.getOutput()))
        ops.push_back(op);
    });
    for (AttentionOp op : ops) {
      // The GPU kernel shares the tiled lowering's structure and its limits;
      // there is no untiled GPU fallback.
      if (!isSupportedByTiledLowering(op)) {
        op.emitOpError()
            << "is not supported by the GPU lowering yet: it uses a head map "
               "(k_head_map/v_head_map or a value head count different from "
               "the key's), sink_logits, output_gate or a weight_mod region";
        return signalPassFailure();
      }
      GPUTileConfig cfg;
      cfg.threads = threads;
      int64_t d = cast<RankedTensorType>(op.getQuery().getType()).getDimSize(3);
      int64_t dv = cast<RankedTensorType>(op.getValue().getType()).getDimSize(3);
      if (tileQ) {
        cfg.bq = tileQ;
        cfg.bk = tileKv;
      } else {
        static const int64_t candidates[][2] = {{64, 64}, {64, 32}, {32, 32},
                                                {32, 16}, {16, 16}, {16, 8}};
        for (auto [bq, bk] : candidates) {
          cfg.bq = bq;
          cfg.bk = bk;
          if (SharedLayout{bq, bk, d, dv}.bytes() <=
              static_cast<int64_t>(maxSharedBytes))
            break;
        }
      }
      if (SharedLayout{cfg.bq, cfg.bk, d, dv}.bytes() > maxSharedBytes) {
        op.emitOpError() << "needs "
                         << SharedLayout{cfg.bq, cfg.bk, d, dv}.bytes()
                         << " bytes of shared memory per block with tiles of "
                         << cfg.bq << "x" << cfg.bk << " (head dims " << d
                         << ", " << dv << "), more than max-shared-bytes = "
                         << static_cast<int64_t>(maxSharedBytes);
        return signalPassFailure();
      }
      if (failed(GPULowering(op, cfg).run()))
        return signalPassFailure();
    }
    // |x| on index (ALiBi distances) has no NVVM lowering: max(x, -x).
    SmallVector<math::AbsIOp> absOps;
    getOperation().walk([&](math::AbsIOp abs) {
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
};
} // namespace
