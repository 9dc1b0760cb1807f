//===- SelectionKernel.cpp - block selection before the GPU kernel --------===//
//
// Two block-level scf.foralls before the attention kernel of a spec with a
// block selection:
//
//  1. pooling, one block per (batch, key head, key block): kbar[b, hk, c, x]
//     = pool(K[b, hk, j, x] for the block's actual keys), one thread per x
//     (attn_tile.pool_keys);
//  2. selection, one block per work item (batch, query head, query tile) of
//     the attention kernel: the Q tile into shared memory; the gates
//     q_i . kbar_c into a global scratch; per (row, block) whether the row
//     selects the block, counted like attn_tile.select_blocks' CPU
//     lowering (the same ranking: always-kept blocks first, by index; then
//     higher gates, equal gates by lower index, NaN gates last, by index);
//     then the work item's key tiles: the entries of its static schedule
//     that overlap a block some row selected, full only where the mask
//     class is full and every row selected every block the tile overlaps.
//
// The attention kernel reads its key tiles from that list and, on partial
// tiles, tests each pair's block against the row's selection (GPUKernel.cpp,
// keepPair). The query tiles of the selection are the attention kernel's,
// so a selection per token needs no regrouping: each row carries its own
// block set, as attn_tile.keep_selected does on the CPU.
//
//===----------------------------------------------------------------------===//

#include "SelectionKernel.h"
#include "KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace attn;
using namespace attn::codegen;
using namespace attn::gpu_kernel;

std::string attn::gpu_kernel::unsupportedSelection(TopKBlocksAttr selection) {
  if (selection.isLearned())
    return "block selection by a learned gate";
  if (selection.isGiven())
    return "block selection by given block scores";
  if (selection.perQueryBlock())
    return "block selection per query block (q_block)";
  if (selection.numPools() != 1)
    return "block selection by concatenated pools";
  PoolKind pool = selection.getPool().front();
  if (pool == PoolKind::First || pool == PoolKind::Last)
    return "block selection by a representative key (pool = first or last)";
  if (selection.hasMassRule())
    return "block selection by a threshold or cumulative mass";
  if (selection.getSkip() || selection.getMinScore())
    return "block selection with a rank band (skip) or a score floor "
           "(min_score)";
  if (selection.getBudgets())
    return "block selection with per-head budgets";
  if (selection.getComplement())
    return "the complement of a block selection";
  if (selection.getSelectQueries())
    return "query selection (select_queries)";
  return "";
}

namespace {

class SelectionLowering : public KernelBuilder {
public:
  SelectionLowering(const GPUSpec &spec, const TileSchedule &schedule,
                    int64_t bq, int64_t bk, int64_t threads);
  RuntimeTiles run();

private:
  /// A row's eligible blocks [0, eligible), its current block, whether it
  /// is a query (qi < Nq) and has an aligned position (p >= 0).
  struct Row {
    Value eligible, current, real, anchored;
  };
  Row rowBlocks(Value qi);
  /// Block c is always kept: the current block (keep_current), a sink, or
  /// one of the `local` blocks before the current one.
  Value alwaysKept(const Row &row, Value c);
  /// Block a (gate ga, always kept keptA) ranks before block c.
  Value ranksBefore(Value a, Value ga, Value keptA, Value c, Value gc,
                    Value keptC);
  Value pooledKeys();
  void selectionKernel(Value pooled, RuntimeTiles &tiles);
  /// Stage: members[bb, h, q0 + r, c] for every (row r, block c).
  void selectBlocks(Value gates, Value members, Value item, Value bb, Value h,
                    Value q0);
  /// Stages: the item's static entries filtered by the selection into
  /// list[item] and counts[item].
  void listTiles(Value members, RuntimeTiles &tiles, Value item, Value bb,
                 Value h, Value qt);
  Value i32(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, v, 32);
  }
  Value toIndex(Value v) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  }
  Value toI32(Value v) {
    return arith::IndexCastOp::create(b, loc, b.getI32Type(), v);
  }
  /// A loop over [lb, ub) carrying one index: body(iv, acc) -> acc.
  Value count(Value lb, Value ub, Value init,
              function_ref<Value(Value, Value)> body) {
    auto loop = scf::ForOp::create(
        b, loc, lb, ub, idx(1), ValueRange{init},
        [&](OpBuilder &, Location, Value iv, ValueRange acc) {
          scf::YieldOp::create(b, loc, ValueRange{body(iv, acc[0])});
        });
    return loop.getResult(0);
  }

  const GPUSpec &spec;
  const TileSchedule &schedule;
  TopKBlocksAttr selection;
  int64_t B, Hq, Nq, D, Hkv, Nk, Bq, Bk, Bs, blocks, numQT;
  Value qMem, kMem;
};

} // namespace

SelectionLowering::SelectionLowering(const GPUSpec &spec,
                                     const TileSchedule &schedule, int64_t bq,
                                     int64_t bk, int64_t threads)
    : KernelBuilder(spec.root, threads), spec(spec), schedule(schedule),
      selection(spec.selection), Bq(bq), Bk(bk) {
  auto qType = cast<RankedTensorType>(spec.query.getType());
  auto kType = cast<RankedTensorType>(spec.key.getType());
  B = qType.getDimSize(0), Hq = qType.getDimSize(1);
  Nq = qType.getDimSize(2), D = qType.getDimSize(3);
  Hkv = kType.getDimSize(1), Nk = kType.getDimSize(2);
  Bs = selection.getBlock();
  blocks = (Nk + Bs - 1) / Bs;
  numQT = (Nq + Bq - 1) / Bq;
}

SelectionLowering::Row SelectionLowering::rowBlocks(Value qi) {
  using P = arith::CmpIPredicate;
  Value p = e.addi(qi, idx(Nk - Nq));
  Value current = divui(e.maxsi(p, idx(0)), Bs);
  Value anchored = e.cmp(P::sge, p, idx(0));
  Value eligible =
      selection.getCausal()
          ? e.select(anchored, e.minsi(idx(blocks), e.addi(current, idx(1))),
                     idx(0))
          : idx(blocks);
  return {eligible, current, e.cmp(P::slt, qi, idx(Nq)), anchored};
}

Value SelectionLowering::alwaysKept(const Row &row, Value c) {
  using P = arith::CmpIPredicate;
  Value beforeCurrent = e.cmp(P::ult, c, row.current);
  Value inWindow =
      e.cmp(P::uge, e.addi(c, idx(selection.getLocal())), row.current);
  Value near = e.andi(beforeCurrent, inWindow);
  if (selection.getKeepCurrent())
    near = e.ori(near, e.cmp(P::eq, c, row.current));
  // A row before the keys has no current block and no local window.
  return e.ori(e.cmp(P::ult, c, idx(selection.getSinks())),
               e.andi(row.anchored, near));
}

Value SelectionLowering::ranksBefore(Value a, Value ga, Value keptA, Value c,
                                     Value gc, Value keptC) {
  using P = arith::CmpIPredicate;
  using F = arith::CmpFPredicate;
  auto cmpf = [&](F pred, Value x, Value y) -> Value {
    return arith::CmpFOp::create(b, loc, pred, x, y);
  };
  Value aNaN = cmpf(F::UNO, ga, ga), cNaN = cmpf(F::UNO, gc, gc);
  Value lower = e.cmp(P::ult, a, c);
  Value numeric = e.ori(e.ori(cNaN, cmpf(F::OGT, ga, gc)),
                        e.andi(cmpf(F::OEQ, ga, gc), lower));
  Value byGate = e.select(aNaN, e.andi(cNaN, lower), numeric);
  Value sameKind = e.cmp(P::eq, keptA, keptC);
  return e.select(sameKind, e.select(keptA, lower, byGate), keptA);
}

// kbar[b, hk, c, x]: a loop over the block's actual keys per element, as
// the CPU's pool_keys (the same order of additions, mean divided last).
Value SelectionLowering::pooledKeys() {
  Value pooled = memref::AllocOp::create(
      b, loc, MemRefType::get({B, Hkv, blocks, D}, b.getF32Type()));
  scf::ForallOp forall = blockForall(B * Hkv * blocks);
  forall->setAttr("attn.gpu.selection_stage", b.getStringAttr("pool_keys"));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  Value w = forall.getInductionVar(0);
  Value c = remui(w, blocks), bh = divui(w, blocks);
  Value hk = remui(bh, Hkv), bb = divui(bh, Hkv);
  PoolKind kind = selection.getPool().front();
  threadLoop(D, [&](Value x) {
    Value first = e.muli(c, idx(Bs));
    Value last = e.minsi(e.addi(first, idx(Bs)), idx(Nk));
    auto read = [&](Value j) { return e.toF32(load(kMem, {bb, hk, j, x})); };
    auto loop = scf::ForOp::create(
        b, loc, e.addi(first, idx(1)), last, idx(1), ValueRange{read(first)},
        [&](OpBuilder &, Location, Value j, ValueRange acc) {
          Value v = read(j), next;
          if (kind == PoolKind::Max)
            next = arith::MaximumFOp::create(b, loc, acc[0], v);
          else if (kind == PoolKind::Min)
            next = arith::MinimumFOp::create(b, loc, acc[0], v);
          else
            next = addf(acc[0], v);
          scf::YieldOp::create(b, loc, next);
        });
    Value result = loop.getResult(0);
    if (kind == PoolKind::Mean) {
      Value n = arith::UIToFPOp::create(
          b, loc, b.getF32Type(),
          arith::IndexCastUIOp::create(b, loc, b.getI64Type(),
                                       e.subi(last, first)));
      result = arith::DivFOp::create(b, loc, result, n);
    }
    store(result, pooled, {bb, hk, c, x});
  });
  return pooled;
}

void SelectionLowering::selectBlocks(Value gates, Value members, Value item,
                                     Value bb, Value h, Value q0) {
  using P = arith::CmpIPredicate;
  Type i8 = b.getI8Type();
  threadLoop(Bq * blocks, [&](Value x) {
    Value r = divui(x, blocks), c = remui(x, blocks);
    Row row = rowBlocks(e.addi(q0, r));
    Value candidate = e.andi(row.real, e.cmp(P::ult, c, row.eligible));
    Value kept = alwaysKept(row, c);
    Value gate = load(gates, {item, r, c});
    // Only a candidate that is not always kept counts the eligible blocks
    // ranking before it; k counts the always-kept ones.
    Value counted =
        e.select(e.andi(candidate, arith::XOrIOp::create(b, loc, kept,
                                                         e.boolean(true))),
                 row.eligible, idx(0));
    Value before = count(idx(0), counted, idx(0), [&](Value a, Value acc) {
      Value ahead = ranksBefore(a, load(gates, {item, r, a}),
                                alwaysKept(row, a), c, gate, kept);
      return e.select(ahead, e.addi(acc, idx(1)), acc);
    });
    Value chosen = e.andi(
        candidate,
        e.ori(kept, e.cmp(P::ult, before, idx(selection.getK()))));
    store(arith::ExtUIOp::create(b, loc, i8, chosen), members,
          {bb, h, e.addi(q0, r), c});
  });
}

void SelectionLowering::listTiles(Value members, RuntimeTiles &tiles,
                                  Value item, Value bb, Value h, Value qt) {
  using P = arith::CmpIPredicate;
  std::vector<int32_t> entries = schedule.entries;
  if (entries.empty())
    entries.push_back(0); // tables must not be empty
  Value entryTable = table(entries);
  Value offsetTable = table(schedule.offsets);
  Value classTable = table(schedule.headClass);
  Value row = e.addi(e.muli(lookup(classTable, h), idx(numQT)), qt);
  Value begin = lookup(offsetTable, row);
  Value end = lookup(offsetTable, e.addi(row, idx(1)));
  Value q0 = e.muli(qt, idx(Bq));
  // Per static entry: its code, the code made partial, or -1 (not visited).
  Value codes = sharedBuffer({tiles.width}, b.getI32Type());
  threadLoop(tiles.width, [&](Value x) {
    Value entry = e.addi(begin, x);
    Value valid = e.cmp(P::ult, entry, end);
    Value code = lookup(entryTable,
                        e.minsi(entry, idx(int64_t(entries.size()) - 1)));
    Value k0 = e.muli(divui(code, 2), idx(Bk));
    Value cFirst = divui(k0, Bs);
    Value cEnd = e.addi(
        divui(e.subi(e.minsi(e.addi(k0, idx(Bk)), idx(Nk)), idx(1)), Bs),
        idx(1));
    // any: some row selects a block of the tile; missing: some real row
    // misses one.
    Value flags = count(idx(0), idx(Bq), idx(0), [&](Value r, Value acc) {
      Value qi = e.addi(q0, r);
      Value real = e.cmp(P::slt, qi, idx(Nq));
      return count(cFirst, cEnd, acc, [&](Value c, Value acc2) {
        Value m = e.cmp(P::ne,
                        arith::ExtUIOp::create(b, loc, b.getI32Type(),
                                               load(members, {bb, h, qi, c})),
                        i32(0));
        Value any = e.select(m, idx(1), idx(0));
        Value missing = e.select(e.andi(real, arith::XOrIOp::create(
                                                  b, loc, m, e.boolean(true))),
                                 idx(2), idx(0));
        return arith::OrIOp::create(b, loc, acc2,
                                    arith::OrIOp::create(b, loc, any, missing));
      });
    });
    Value any = e.cmp(P::ne, remui(flags, 2), idx(0));
    Value missing = e.cmp(P::ne, divui(flags, 2), idx(0));
    Value partialCode = e.muli(divui(code, 2), idx(2));
    Value out = e.select(missing, partialCode, code);
    store(toI32(e.select(e.andi(valid, any), out, idx(-1))), codes, {x});
  });
  // Compaction, one thread: the kept entries in order.
  threadLoop(1, [&](Value) {
    Value n = count(idx(0), idx(tiles.width), idx(0), [&](Value x, Value acc) {
      Value code = load(codes, {x});
      Value keep = arith::CmpIOp::create(b, loc, P::sge, code, i32(0));
      ifThen(keep, [&] { store(code, tiles.list, {item, acc}); });
      return e.select(keep, e.addi(acc, idx(1)), acc);
    });
    store(toI32(n), tiles.counts, {item});
  });
}

void SelectionLowering::selectionKernel(Value pooled, RuntimeTiles &tiles) {
  int64_t items = B * Hq * numQT;
  Value gates = memref::AllocOp::create(
      b, loc, MemRefType::get({items, Bq, blocks}, b.getF32Type()));
  scf::ForallOp forall = blockForall(items);
  forall->setAttr("attn.gpu.selection_stage",
                  b.getStringAttr("select_blocks"));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  Value item = forall.getInductionVar(0);
  Value qt = remui(item, numQT), bh = divui(item, numQT);
  Value h = remui(bh, Hq), bb = divui(bh, Hq);
  Value hk = e.headIndex(spec.kHeadMap, idx(Hkv), idx(Hq), bb, h);
  Value q0 = e.muli(qt, idx(Bq));
  // The gate queries (unscaled; rows past Nq read the last query and
  // select nothing).
  Value qs = sharedBuffer({Bq, D});
  threadLoop(Bq * D, [&](Value x) {
    Value r = divui(x, D), d = remui(x, D);
    Value qi = e.minsi(e.addi(q0, r), idx(Nq - 1));
    store(e.toF32(load(qMem, {bb, h, qi, d})), qs, {r, d});
  });
  // gates[item, r, c] = q_r . kbar_c, one fma chain in x as on the CPU.
  threadLoop(Bq * blocks, [&](Value x) {
    Value r = divui(x, blocks), c = remui(x, blocks);
    Value g = reduce(D, e.f32(0.0), [&](Value d, Value acc) {
      return math::FmaOp::create(b, loc, load(qs, {r, d}),
                                 load(pooled, {bb, hk, c, d}), acc);
    });
    store(g, gates, {item, r, c});
  });
  selectBlocks(gates, tiles.members, item, bb, h, q0);
  listTiles(tiles.members, tiles, item, bb, h, qt);
}

RuntimeTiles SelectionLowering::run() {
  qMem = readBuffer(b, loc, spec.query);
  kMem = readBuffer(b, loc, spec.key);
  RuntimeTiles tiles;
  tiles.block = Bs;
  tiles.width = 1;
  for (size_t i = 0; i + 1 < schedule.offsets.size(); ++i)
    tiles.width = std::max<int64_t>(
        tiles.width, schedule.offsets[i + 1] - schedule.offsets[i]);
  int64_t items = B * Hq * numQT;
  tiles.list = memref::AllocOp::create(
      b, loc, MemRefType::get({items, tiles.width}, b.getI32Type()));
  tiles.counts = memref::AllocOp::create(
      b, loc, MemRefType::get({items}, b.getI32Type()));
  tiles.members = memref::AllocOp::create(
      b, loc,
      MemRefType::get({B, Hq, numQT * Bq, blocks}, b.getI8Type()));
  Value pooled = pooledKeys();
  selectionKernel(pooled, tiles);
  return tiles;
}

RuntimeTiles attn::gpu_kernel::buildSelectionKernels(
    const GPUSpec &spec, const TileSchedule &schedule, int64_t bq, int64_t bk,
    int64_t threads) {
  return SelectionLowering(spec, schedule, bq, bk, threads).run();
}
