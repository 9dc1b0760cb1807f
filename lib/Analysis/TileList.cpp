//===- TileList.cpp - compressed tile lists for tiled lowerings -----------===//

#include "attn/Analysis/TileList.h"
#include "attn/Analysis/BlockClassification.h"

#include <algorithm>
#include <map>
#include <numeric>

using namespace mlir;
using namespace attn;

FailureOr<TileSchedule> attn::buildTileSchedule(AttentionOp op, int64_t bq,
                                                int64_t bk) {
  return buildTileSchedule(cast<ScoreSpecOpInterface>(op.getOperation()),
                           cast<RankedTensorType>(op.getQuery().getType()),
                           cast<RankedTensorType>(op.getKey().getType()), bq,
                           bk);
}

FailureOr<TileSchedule>
attn::buildTileSchedule(ScoreSpecOpInterface op, RankedTensorType qType,
                        RankedTensorType kType, int64_t bq, int64_t bk) {
  if (!qType.hasStaticShape() || !kType.hasStaticShape())
    return op->emitOpError("tile schedules need static shapes");
  int64_t B = qType.getDimSize(0), Hq = qType.getDimSize(1),
          Nq = qType.getDimSize(2), Nk = kType.getDimSize(2);
  if (bq < 1 || bk < 1)
    return op->emitOpError("tile sizes must be positive, got ")
           << bq << " x " << bk;
  TileSchedule s;
  s.numQTiles = llvm::divideCeil(Nq, bq);
  s.numKvTiles = llvm::divideCeil(Nk, bk);
  // The work items index i32 tables: refuse what cannot fit before
  // building them.
  int64_t numItems;
  if (__builtin_mul_overflow(B, Hq, &numItems) ||
      __builtin_mul_overflow(numItems, s.numQTiles, &numItems) ||
      numItems > kMaxWorkItems)
    return op->emitOpError("too many work items: batch ")
           << B << " x " << Hq << " heads x " << s.numQTiles
           << " query tiles exceeds " << kMaxWorkItems;
  s.headClass.assign(Hq, 0);
  s.offsets.push_back(0);
  ClassificationProblem problem{Hq, Nq, Nk};
  problem.batch = B;
  std::map<std::vector<int32_t>, int32_t> classes;
  std::vector<std::vector<int32_t>> costPerClass;
  bool headInvariant = isHeadInvariant(op);
  for (int64_t h = 0; h < Hq; ++h) {
    if (headInvariant && h > 0) {
      s.headClass[h] = s.headClass[0];
      continue;
    }
    FailureOr<BlockMap> map =
        classifyBlocks(op, qType, kType, h, problem, TileSizes{bq, bk});
    if (failed(map))
      return failure();
    // Key of the class: the per-tile entries with query-tile separators.
    std::vector<int32_t> key;
    std::vector<int32_t> costs;
    for (int64_t qt = 0; qt < s.numQTiles; ++qt) {
      auto tiles = map->nonEmptyKvTiles(qt);
      costs.push_back(tiles.size());
      for (const TileEntry &t : tiles)
        key.push_back(static_cast<int32_t>(t.kvTile * 2 +
                                           (t.kind == TileKind::Full)));
      key.push_back(-1);
    }
    auto [it, inserted] = classes.try_emplace(key, classes.size());
    s.headClass[h] = it->second;
    if (!inserted)
      continue;
    costPerClass.push_back(costs);
    for (int32_t code : key) {
      if (code == -1)
        s.offsets.push_back(s.entries.size());
      else
        s.entries.push_back(code);
    }
  }
  s.workOrder.resize(numItems);
  std::iota(s.workOrder.begin(), s.workOrder.end(), 0);
  auto cost = [&](int32_t item) {
    int64_t qt = item % s.numQTiles, h = (item / s.numQTiles) % Hq;
    return costPerClass[s.headClass[h]][qt];
  };
  std::stable_sort(s.workOrder.begin(), s.workOrder.end(),
                   [&](int32_t x, int32_t y) { return cost(x) > cost(y); });
  for (int32_t item : s.workOrder)
    s.workCost.push_back(cost(item));
  return s;
}
