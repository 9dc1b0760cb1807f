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

#include <limits>

using namespace mlir;
using namespace attn;
using namespace attn::codegen;
using namespace attn::gpu_kernel;

std::string attn::gpu_kernel::unsupportedSelection(TopKBlocksAttr selection) {
  if (selection.isLearned())
    return "block selection by a learned gate";
  if (selection.numPools() != 1)
    return "block selection by concatenated pools";
  return "";
}

namespace {

class SelectionLowering : public KernelBuilder {
public:
  SelectionLowering(const GPUSpec &spec, const TileSchedule &schedule,
                    int64_t bq, int64_t bk, int64_t threads);
  RuntimeTiles run();

private:
  /// A row's eligible blocks [0, eligible), its current blocks
  /// [currentFirst, currentLast] (those of its query block with q_block),
  /// whether it is a query (qi < Nq) and whether its last aligned position
  /// is inside the keys (p1 >= 0).
  struct Row {
    Value eligible, currentFirst, currentLast, real, anchored;
  };
  Row rowBlocks(Value qi);
  /// Block c is always kept: the current block (keep_current), a sink, or
  /// one of the `local` blocks before the current one.
  Value alwaysKept(const Row &row, Value c);
  /// Rows [first, first + size) of src[b, h] pooled by `kind` per element,
  /// for every (b, h, block): a block-level forall (pool_keys and, with
  /// q_block, pool_queries).
  Value pooledRows(Value src, int64_t heads, int64_t n, int64_t size,
                   PoolKind kind, StringRef stage);
  /// The mean of `perHead` [B, H, n, D] over each of `groups` contiguous
  /// groups of heads, in head order (the CPU's averageGroups): a
  /// block-level forall.
  Value averagedGroups(Value perHead, int64_t heads, int64_t n,
                       int64_t groups, StringRef stage);
  /// Stage (with a threshold or mass rule): each row's softmax statistics
  /// of its scaled eligible gates into rowMax and rowSum.
  void gateSoftmax(Value gates, Value item, Value q0);
  /// A block's unnormalized weight: 1 at the row maximum, exp(u - m) else.
  Value blockWeight(Value u, Value m);
  /// The rule's cap: k, or the key head's budget.
  Value ruleCap(Value hk);
  /// Stage (select_queries): a row keeps its blocks only when its own
  /// block is among them.
  void keepSelectedQueries(Value members, Value bb, Value h, Value q0);
  /// Block a (gate ga, always kept keptA) ranks before block c.
  Value ranksBefore(Value a, Value ga, Value keptA, Value c, Value gc,
                    Value keptC);
  void selectionKernel(Value pooled, Value pooledQueries, RuntimeTiles &tiles);
  /// Stage: gates[item, r, c] from the given scores.
  void givenGates(Value gates, Value item, Value bb, Value hk, Value q0);
  /// Stages: the gate queries into shared memory, then gates[item, r, c] =
  /// q_r . kbar_c (one fma chain in x, as on the CPU).
  void dotGates(Value gates, Value pooled, Value pooledQueries, Value item,
                Value bb, Value h, Value hk, Value q0);
  /// Stage: members[bb, h, q0 + r, c] for every (row r, block c).
  void selectBlocks(Value gates, Value members, Value item, Value bb, Value h,
                    Value hk, Value q0);
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
  /// Query blocks with q_block (0: per token) and their count.
  int64_t Qb = 0, queryBlocks = 0;
  /// head_group: the groups of query heads sharing a selection (the key
  /// heads, or proxy_heads); proxy heads average the keys per group too.
  int64_t groups = 0;
  bool proxies = false;
  Value qMem, kMem;
  /// A given gate's scores (null: q . kbar) and the width of the gate's
  /// dot product, whose 1 / sqrt scales the masses (1 for given scores).
  Value scoresMem;
  int64_t gateWidth = 0;
  /// Per row of the work item (mass rules): the maximum scaled gate and the
  /// sum of the block weights.
  Value rowMax, rowSum;
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
  Qb = selection.getQBlock();
  gateWidth = spec.blockScores ? 1 : D;
  proxies = selection.getProxyHeads() > 0;
  if (selection.getHeadGroup())
    groups = proxies ? selection.getProxyHeads() : Hkv;
  queryBlocks = Qb ? (Nq + Qb - 1) / Qb : 0;
  numQT = (Nq + Bq - 1) / Bq;
}

SelectionLowering::Row SelectionLowering::rowBlocks(Value qi) {
  using P = arith::CmpIPredicate;
  Value first = qi, last = qi;
  if (Qb) {
    first = e.muli(divui(qi, Qb), idx(Qb));
    last = e.subi(e.minsi(e.addi(first, idx(Qb)), idx(Nq)), idx(1));
  }
  Value p0 = e.maxsi(e.addi(first, idx(Nk - Nq)), idx(0));
  Value p1 = e.addi(last, idx(Nk - Nq));
  Value currentLast = divui(e.maxsi(p1, idx(0)), Bs);
  Value anchored = e.cmp(P::sge, p1, idx(0));
  Value eligible =
      selection.getCausal()
          ? e.select(anchored,
                     e.minsi(idx(blocks), e.addi(currentLast, idx(1))), idx(0))
          : idx(blocks);
  return {eligible, divui(p0, Bs), currentLast, e.cmp(P::slt, qi, idx(Nq)),
          anchored};
}

Value SelectionLowering::alwaysKept(const Row &row, Value c) {
  using P = arith::CmpIPredicate;
  Value beforeCurrent = e.cmp(P::ult, c, row.currentFirst);
  Value inWindow =
      e.cmp(P::uge, e.addi(c, idx(selection.getLocal())), row.currentFirst);
  Value near = e.andi(beforeCurrent, inWindow);
  if (selection.getKeepCurrent())
    near = e.ori(near, e.andi(e.cmp(P::uge, c, row.currentFirst),
                              e.cmp(P::ule, c, row.currentLast)));
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

// pooled[b, h, c, x]: a loop over the block's actual rows per element, as
// the CPU's pool_keys and pool_queries (the same order of additions, mean
// divided last).
Value SelectionLowering::pooledRows(Value src, int64_t heads, int64_t n,
                                    int64_t size, PoolKind kind,
                                    StringRef stage) {
  int64_t count = (n + size - 1) / size;
  Value pooled = memref::AllocOp::create(
      b, loc, MemRefType::get({B, heads, count, D}, b.getF32Type()));
  scf::ForallOp forall = blockForall(B * heads * count);
  forall->setAttr("attn.gpu.selection_stage", b.getStringAttr(stage));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  Value w = forall.getInductionVar(0);
  Value c = remui(w, count), bh = divui(w, count);
  Value hk = remui(bh, heads), bb = divui(bh, heads);
  threadLoop(D, [&](Value x) {
    Value first = e.muli(c, idx(size));
    Value last = e.minsi(e.addi(first, idx(size)), idx(n));
    auto read = [&](Value j) { return e.toF32(load(src, {bb, hk, j, x})); };
    // A representative row: the block's first or last actual one.
    if (kind == PoolKind::First || kind == PoolKind::Last) {
      store(read(kind == PoolKind::First ? first : e.subi(last, idx(1))),
            pooled, {bb, hk, c, x});
      return;
    }
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

Value SelectionLowering::blockWeight(Value u, Value m) {
  Value atMax = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, u, m);
  Value w = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, u, m));
  return e.select(atMax, e.f32(1.0), w);
}

// The masses' softmax over each row's eligible blocks with a number as gate
// (as gateSoftmax of the CPU lowering: maxnumf skips NaN gates).
void SelectionLowering::gateSoftmax(Value gates, Value item, Value q0) {
  threadLoop(Bq, [&](Value r) {
    Row row = rowBlocks(e.addi(q0, r));
    Value scale = math::RsqrtOp::create(b, loc, e.f32(double(gateWidth)));
    auto scaled = [&](Value c) { return mulf(load(gates, {item, r, c}), scale); };
    auto loop = [&](Value init, function_ref<Value(Value, Value)> step) {
      auto forOp = scf::ForOp::create(
          b, loc, idx(0), row.eligible, idx(1), ValueRange{init},
          [&](OpBuilder &, Location, Value c, ValueRange acc) {
            scf::YieldOp::create(b, loc, step(acc[0], scaled(c)));
          });
      return forOp.getResult(0);
    };
    Value m = loop(e.f32(-std::numeric_limits<float>::infinity()),
                   [&](Value acc, Value u) -> Value {
                     return arith::MaxNumFOp::create(b, loc, acc, u);
                   });
    Value sum = loop(e.f32(0.0), [&](Value acc, Value u) -> Value {
      Value isNaN =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, u, u);
      return addf(acc, e.select(isNaN, e.f32(0.0), blockWeight(u, m)));
    });
    store(m, rowMax, {r});
    store(sum, rowSum, {r});
  });
}

Value SelectionLowering::ruleCap(Value hk) {
  DenseI64ArrayAttr budgets = selection.getBudgets();
  if (!budgets)
    return idx(selection.getK());
  ArrayRef<int64_t> caps = budgets.asArrayRef();
  Value cap = idx(caps.back());
  for (int64_t head = int64_t(caps.size()) - 2; head >= 0; --head)
    cap = e.select(e.cmp(arith::CmpIPredicate::eq, hk, idx(head)),
                   idx(caps[head]), cap);
  return cap;
}

// members[r, c]: c eligible for row r, and always kept, or fewer than the
// cap rank before it and it passes the rule (the CPU's counting form and
// passesRule: score floor, rank band, threshold on its mass, cumulative mass
// of the blocks before it); complement = true keeps the others.
void SelectionLowering::selectBlocks(Value gates, Value members, Value item,
                                     Value bb, Value h, Value hk, Value q0) {
  using P = arith::CmpIPredicate;
  using F = arith::CmpFPredicate;
  Type i8 = b.getI8Type();
  Value cap = ruleCap(hk);
  FloatAttr minScore = selection.getMinScore(),
            threshold = selection.getThreshold(), gamma = selection.getMass();
  auto cmpf = [&](F pred, Value x, double y) -> Value {
    return arith::CmpFOp::create(b, loc, pred, x, e.f32(y));
  };
  threadLoop(Bq * blocks, [&](Value x) {
    Value r = divui(x, blocks), c = remui(x, blocks);
    Row row = rowBlocks(e.addi(q0, r));
    Value candidate = e.andi(row.real, e.cmp(P::ult, c, row.eligible));
    Value kept = alwaysKept(row, c);
    Value gate = load(gates, {item, r, c});
    Value scale = math::RsqrtOp::create(b, loc, e.f32(double(gateWidth)));
    auto massOf = [&](Value g) -> Value {
      return arith::DivFOp::create(
          b, loc, blockWeight(mulf(g, scale), load(rowMax, {r})),
          load(rowSum, {r}));
    };
    // Only a candidate that is not always kept counts the eligible blocks
    // ranking before it (the cap counts the always-kept ones) and, with a
    // cumulative rule, the mass they hold.
    Value counted =
        e.select(e.andi(candidate, arith::XOrIOp::create(b, loc, kept,
                                                         e.boolean(true))),
                 row.eligible, idx(0));
    SmallVector<Value> init = {idx(0)};
    if (gamma)
      init.push_back(e.f32(0.0));
    auto loop = scf::ForOp::create(
        b, loc, idx(0), counted, idx(1), init,
        [&](OpBuilder &, Location, Value a, ValueRange acc) {
          Value other = load(gates, {item, r, a});
          Value ahead =
              ranksBefore(a, other, alwaysKept(row, a), c, gate, kept);
          SmallVector<Value> next = {
              e.select(ahead, e.addi(acc[0], idx(1)), acc[0])};
          if (gamma) {
            Value m = massOf(other);
            Value add = e.andi(ahead, arith::CmpFOp::create(b, loc, F::ORD,
                                                            m, m));
            next.push_back(e.select(add, addf(acc[1], m), acc[1]));
          }
          scf::YieldOp::create(b, loc, next);
        });
    Value before = loop.getResult(0);
    Value passes = e.cmp(P::ult, before, cap);
    if (minScore)
      passes = e.andi(passes, cmpf(F::OGE, gate, minScore.getValueAsDouble()));
    if (int64_t skip = selection.getSkip())
      passes = e.andi(passes, e.cmp(P::uge, before, idx(skip)));
    if (threshold)
      passes = e.andi(passes, cmpf(F::OGE, massOf(gate),
                                   threshold.getValueAsDouble()));
    if (gamma) {
      Value mass = massOf(gate);
      passes = e.andi(
          passes,
          e.andi(arith::CmpFOp::create(b, loc, F::ORD, mass, mass),
                 cmpf(F::OLT, loop.getResult(1), gamma.getValueAsDouble())));
    }
    Value chosen = e.ori(kept, passes);
    if (selection.getComplement())
      chosen = arith::XOrIOp::create(b, loc, chosen, e.boolean(true));
    store(arith::ExtUIOp::create(b, loc, i8, e.andi(candidate, chosen)),
          members, {bb, h, e.addi(q0, r), c});
  });
}

// select_queries: the row keeps its blocks only when the block of its own
// aligned position is among them (none for p < 0).
void SelectionLowering::keepSelectedQueries(Value members, Value bb, Value h,
                                            Value q0) {
  using P = arith::CmpIPredicate;
  threadLoop(Bq, [&](Value r) {
    Value qi = e.addi(q0, r);
    Value p = e.addi(qi, idx(Nk - Nq));
    Value own = e.minsi(divui(e.maxsi(p, idx(0)), Bs), idx(blocks - 1));
    Value ownSelected = arith::CmpIOp::create(
        b, loc, P::ne, load(members, {bb, h, qi, own}),
        arith::ConstantIntOp::create(b, loc, 0, 8));
    Value drop = arith::XOrIOp::create(
        b, loc, e.andi(e.cmp(P::sge, p, idx(0)), ownSelected),
        e.boolean(true));
    ifThen(drop, [&] {
      forLoop(idx(0), idx(blocks), 1, [&](Value c) {
        store(arith::ConstantIntOp::create(b, loc, 0, 8), members,
              {bb, h, qi, c});
      });
    });
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

void SelectionLowering::selectionKernel(Value pooled, Value pooledQueries,
                                        RuntimeTiles &tiles) {
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
  if (scoresMem)
    givenGates(gates, item, bb, hk, q0);
  else
    dotGates(gates, pooled, pooledQueries, item, bb, h, hk, q0);
  if (selection.hasMassRule()) {
    rowMax = sharedBuffer({Bq});
    rowSum = sharedBuffer({Bq});
    gateSoftmax(gates, item, q0);
  }
  selectBlocks(gates, tiles.members, item, bb, h, hk, q0);
  if (selection.getSelectQueries())
    keepSelectedQueries(tiles.members, bb, h, q0);
  listTiles(tiles.members, tiles, item, bb, h, qt);
}

// gates[item, r, c] = scores[b, hk, c] (per query block: of the row's query
// block, the last for rows past Nq); extent-1 dimensions broadcast.
void SelectionLowering::givenGates(Value gates, Value item, Value bb,
                                   Value hk, Value q0) {
  auto type = cast<MemRefType>(scoresMem.getType());
  auto at = [&](int64_t dim, Value i) {
    return type.getDimSize(dim) == 1 ? idx(0) : i;
  };
  threadLoop(Bq * blocks, [&](Value x) {
    Value r = divui(x, blocks), c = remui(x, blocks);
    SmallVector<Value> index = {at(0, bb), at(1, hk)};
    if (Qb)
      index.push_back(e.minsi(divui(e.addi(q0, r), Qb),
                              idx(type.getDimSize(2) - 1)));
    index.push_back(c);
    store(e.toF32(load(scoresMem, index)), gates, {item, r, c});
  });
}

Value SelectionLowering::averagedGroups(Value perHead, int64_t heads,
                                        int64_t n, int64_t groupCount,
                                        StringRef stage) {
  int64_t size = heads / groupCount;
  Value averaged = memref::AllocOp::create(
      b, loc, MemRefType::get({B, groupCount, n, D}, b.getF32Type()));
  scf::ForallOp forall = blockForall(B * groupCount * n);
  forall->setAttr("attn.gpu.selection_stage", b.getStringAttr(stage));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  Value w = forall.getInductionVar(0);
  Value r = remui(w, n), bg = divui(w, n);
  Value g = remui(bg, groupCount), bb = divui(bg, groupCount);
  threadLoop(D, [&](Value x) {
    Value first = e.muli(g, idx(size));
    auto loop = scf::ForOp::create(
        b, loc, first, e.addi(first, idx(size)), idx(1),
        ValueRange{e.f32(0.0)},
        [&](OpBuilder &, Location, Value hh, ValueRange acc) {
          scf::YieldOp::create(
              b, loc, addf(acc[0], load(perHead, {bb, hh, r, x})));
        });
    store(arith::DivFOp::create(b, loc, loop.getResult(0),
                                e.f32(double(size))),
          averaged, {bb, g, r, x});
  });
  return averaged;
}

void SelectionLowering::dotGates(Value gates, Value pooled,
                                 Value pooledQueries, Value item, Value bb,
                                 Value h, Value hk, Value q0) {
  // A head group's rows read their group's pooled query (and with proxy
  // heads its pooled key).
  Value group = groups ? divui(h, Hq / groups) : Value();
  Value queryHead = groups ? group : h;
  Value keyHead = proxies ? group : hk;
  // The gate queries: each row's query (unscaled), or with q_block the
  // pooled query of its query block. Rows past Nq read the last one and
  // select nothing.
  Value qs = sharedBuffer({Bq, D});
  threadLoop(Bq * D, [&](Value x) {
    Value r = divui(x, D), d = remui(x, D);
    Value qi = e.minsi(e.addi(q0, r), idx(Nq - 1));
    Value v = pooledQueries
                  ? load(pooledQueries, {bb, queryHead, divui(qi, Qb), d})
                  : e.toF32(load(qMem, {bb, h, qi, d}));
    store(v, qs, {r, d});
  });
  // gates[item, r, c] = q_r . kbar_c, one fma chain in x as on the CPU.
  threadLoop(Bq * blocks, [&](Value x) {
    Value r = divui(x, blocks), c = remui(x, blocks);
    Value g = reduce(D, e.f32(0.0), [&](Value d, Value acc) {
      return math::FmaOp::create(b, loc, load(qs, {r, d}),
                                 load(pooled, {bb, keyHead, c, d}), acc);
    });
    store(g, gates, {item, r, c});
  });
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
  // Given scores need no pooling.
  if (spec.blockScores)
    scoresMem = readBuffer(b, loc, spec.blockScores);
  Value pooled = scoresMem ? Value()
                           : pooledRows(kMem, Hkv, Nk, Bs,
                                        selection.getPool().front(),
                                        "pool_keys");
  Value pooledQueries =
      Qb && !scoresMem
          ? pooledRows(qMem, Hq, Nq, Qb, PoolKind::Mean, "pool_queries")
          : Value();
  // A head group ranks its heads' mean pooled query (and with proxy heads
  // against its key heads' mean pooled key).
  if (groups && pooledQueries)
    pooledQueries = averagedGroups(pooledQueries, Hq, queryBlocks, groups,
                                   "group_queries");
  if (groups && proxies && pooled)
    pooled = averagedGroups(pooled, Hkv, blocks, groups, "group_keys");
  selectionKernel(pooled, pooledQueries, tiles);
  return tiles;
}

RuntimeTiles attn::gpu_kernel::buildSelectionKernels(
    const GPUSpec &spec, const TileSchedule &schedule, int64_t bq, int64_t bk,
    int64_t threads) {
  return SelectionLowering(spec, schedule, bq, bk, threads).run();
}
