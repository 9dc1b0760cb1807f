//===- TestBlockMap.cpp - test-attn-block-map -----------------------------===//
//
// Prints the block classification of every attn.attention of a module.
//
//===----------------------------------------------------------------------===//

#include "attn/Analysis/BlockClassification.h"
#include "attn/Analysis/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "llvm/Support/Format.h"

namespace attn {
#define GEN_PASS_DECL_TESTATTNBLOCKMAP
#define GEN_PASS_DEF_TESTATTNBLOCKMAP
#include "Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;

namespace {
struct TestAttnBlockMapPass
    : public attn::impl::TestAttnBlockMapBase<TestAttnBlockMapPass> {
  using TestAttnBlockMapBase::TestAttnBlockMapBase;

  void runOnOperation() override {
    llvm::raw_ostream &os = llvm::outs();
    unsigned index = 0;
    WalkResult result = getOperation().walk([&](AttentionOp op) {
      auto qType = cast<RankedTensorType>(op.getQuery().getType());
      auto kType = cast<RankedTensorType>(op.getKey().getType());
      auto pick = [](int64_t option, int64_t dim) -> int64_t {
        if (option > 0)
          return option;
        return ShapedType::isDynamic(dim) ? -1 : dim;
      };
      ClassificationProblem problem{pick(heads, qType.getDimSize(1)),
                                    pick(nq, qType.getDimSize(2)),
                                    pick(nk, kType.getDimSize(2))};
      if (!ShapedType::isDynamic(qType.getDimSize(0)))
        problem.batch = qType.getDimSize(0);
      if (problem.numHeads < 0 || problem.nq < 0 || problem.nk < 0) {
        op.emitError() << "test-attn-block-map: dynamic extents need the "
                          "heads, nq and nk options";
        return WalkResult::interrupt();
      }
      ClassificationOptions options;
      options.maxBruteForceElements = maxBruteForce;
      options.exactCountsForCompositions = exactCounts;
      TileSizes tiles{tileQ, tileKv};

      std::string where = "?";
      if (auto func = op->getParentOfType<func::FuncOp>())
        where = "@" + func.getSymName().str();
      bool invariant = isHeadInvariant(op);
      os << "block-map " << where << " #" << index++ << ": heads "
         << problem.numHeads << ", nq " << problem.nq << ", nk " << problem.nk
         << ", tiles " << tiles.q << "x" << tiles.kv
         << (invariant ? ", head-invariant" : "") << "\n";
      int64_t numMaps = invariant ? 1 : problem.numHeads;
      for (int64_t h = 0; h < numMaps; ++h) {
        FailureOr<BlockMap> map =
            classifyBlocks(op, h, problem, tiles, options);
        if (failed(map))
          return WalkResult::interrupt();
        if (invariant)
          os << "heads 0-" << problem.numHeads - 1 << ":\n";
        else
          os << "head " << h << ":\n";
        map->print(os);
        os << "density " << llvm::format("%.6f", map->density())
           << (map->isDensityExact() ? " exact" : " upper-bound") << ", "
           << map->count(TileKind::Empty) << " empty, "
           << map->count(TileKind::Full) << " full, "
           << map->count(TileKind::Partial) << " partial\n";
      }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
    markAllAnalysesPreserved();
  }
};
} // namespace

namespace attn {
namespace {
#define GEN_PASS_REGISTRATION
#include "Passes.h.inc"
} // namespace
} // namespace attn

void attn::registerAttnAnalysisTestPasses() { registerAttnAnalysisPasses(); }
