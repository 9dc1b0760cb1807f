//===- TileClassificationTest.cpp - run-time tile classes vs brute force --===//
//
// The tile classes that attn_tile.for_key_tiles computes at run time
// (attn/Conversion/TileClassification.h) against the per-pair mask of the
// same emitter, both folded to constants for small problems: a tile called
// empty must keep no pair, a tile called full every pair, and for the
// masks classified exactly the classes must be exact (an empty tile never
// called partial, which would visit it for nothing).
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/TileClassification.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace attn;
using namespace attn::codegen;

namespace {

struct Problem {
  int64_t nq, nk, tileQ, tileKv;
};

const Problem kProblems[] = {{12, 12, 3, 4}, {5, 13, 2, 3}, {13, 5, 4, 2},
                             {1, 9, 4, 4}, {7, 7, 7, 7}};

/// The classes of every tile and the keep bit of every pair, as constants.
struct Folded {
  std::vector<bool> empty, full, keep;
};

class TileClassificationTest : public ::testing::Test {
protected:
  void SetUp() override {
    context.loadDialect<AttnDialect, func::FuncDialect, arith::ArithDialect,
                        tensor::TensorDialect, math::MathDialect,
                        scf::SCFDialect>();
  }

  MaskAttrInterface parseMask(StringRef text) {
    Attribute a = parseAttribute(text, &context);
    return dyn_cast_or_null<MaskAttrInterface>(a);
  }

  /// Emits the classes and pair bits into one function, canonicalizes it
  /// and reads the returned constants. `layout` (row-major flags of
  /// ceil(nq / tileQ) x ceil(nk / tileKv) blocks, or empty) becomes the
  /// op's block_layout constant: with one block per tile, the layout loops
  /// run once and fold.
  Folded fold(MaskAttrInterface mask, const Problem &p,
              ArrayRef<int8_t> layout = {}) {
    OpBuilder b(&context);
    Location loc = b.getUnknownLoc();
    OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
    b.setInsertionPointToEnd(module->getBody());
    // A spec op gives the pair context its operand accessors (none used by
    // position masks).
    auto qType = RankedTensorType::get({1, 1, p.nq, 4}, b.getF32Type());
    auto kType = RankedTensorType::get({1, 1, p.nk, 4}, b.getF32Type());
    auto fn = func::FuncOp::create(b, loc, "f",
                                   b.getFunctionType({qType, kType}, {}));
    Block *entry = fn.addEntryBlock();
    b.setInsertionPointToStart(entry);
    Value q = entry->getArgument(0), k = entry->getArgument(1);
    Value layoutValue;
    if (!layout.empty()) {
      auto type = RankedTensorType::get(
          {1, 1, (p.nq + p.tileQ - 1) / p.tileQ, (p.nk + p.tileKv - 1) / p.tileKv},
          b.getI8Type());
      layoutValue = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(type, layout));
    }
    auto spec = AttentionOp::create(
        b, loc, TypeRange{qType}, q, k, k, Value(), Value(), Value(),
        layoutValue, Value(), Value(), Value(), Value(), Value(), Value(),
        Value(), Value(), Value(), Value(), Value(), Value(), Value(),
        Value(), Value(), Value(), Value(), Value(), ValueRange{}, mask,
        nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
        nullptr);
    ScalarEmitter e(b, loc);
    Value nq = e.idx(p.nq), nk = e.idx(p.nk);
    Value zero = e.idx(0);
    SmallVector<Value> results;
    for (int64_t q0 = 0; q0 < p.nq; q0 += p.tileQ)
      for (int64_t k0 = 0; k0 < p.nk; k0 += p.tileKv) {
        TileClass c = classifyTile(
            e, mask,
            {e.idx(q0), e.idx(std::min(q0 + p.tileQ, p.nq)), e.idx(k0),
             e.idx(std::min(k0 + p.tileKv, p.nk)), nq, nk, layoutValue, zero,
             zero});
        results.push_back(c.empty);
        results.push_back(c.full);
      }
    for (int64_t i = 0; i < p.nq; ++i)
      for (int64_t j = 0; j < p.nk; ++j) {
        PairContext ctx{spec, zero, zero, e.idx(i), e.idx(j),
                        e.idx(i + p.nk - p.nq), nq, nk, e.idx(1)};
        results.push_back(e.mask(mask, ctx));
      }
    fn.setType(
        b.getFunctionType({qType, kType}, TypeRange(ValueRange(results))));
    func::ReturnOp::create(b, loc, results);

    PassManager pm(&context);
    pm.addPass(createCanonicalizerPass());
    EXPECT_TRUE(succeeded(pm.run(*module)));
    Folded out;
    auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
    size_t n = 0, tiles = results.size() - p.nq * p.nk;
    for (Value v : ret.getOperands()) {
      auto c = v.getDefiningOp<arith::ConstantOp>();
      EXPECT_TRUE(c) << "not folded to a constant";
      bool bit = c && cast<BoolAttr>(c.getValue()).getValue();
      if (n < tiles)
        (n % 2 ? out.full : out.empty).push_back(bit);
      else
        out.keep.push_back(bit);
      ++n;
    }
    return out;
  }

  /// `closedForm`: hasClosedForm's answer; `exact`: the classes equal the
  /// brute-force ones on every tile.
  void check(StringRef maskText, bool closedForm, bool exact,
             ArrayRef<Problem> problems = kProblems,
             function_ref<std::vector<int8_t>(const Problem &)> layoutOf = {}) {
    MaskAttrInterface mask = parseMask(maskText);
    ASSERT_TRUE(mask) << maskText.str();
    EXPECT_EQ(hasClosedForm(mask, bool(layoutOf)), closedForm)
        << maskText.str();
    for (const Problem &p : problems) {
      SCOPED_TRACE(testing::Message() << maskText.str() << " Nq=" << p.nq
                                      << " Nk=" << p.nk << " tiles " << p.tileQ
                                      << "x" << p.tileKv);
      std::vector<int8_t> layout;
      if (layoutOf)
        layout = layoutOf(p);
      Folded f = fold(mask, p, layout);
      if (testing::Test::HasFailure())
        return;
      size_t t = 0;
      for (int64_t q0 = 0; q0 < p.nq; q0 += p.tileQ)
        for (int64_t k0 = 0; k0 < p.nk; k0 += p.tileKv, ++t) {
          int64_t kept = 0, pairs = 0;
          for (int64_t i = q0; i < std::min(q0 + p.tileQ, p.nq); ++i)
            for (int64_t j = k0; j < std::min(k0 + p.tileKv, p.nk); ++j) {
              kept += f.keep[i * p.nk + j];
              ++pairs;
            }
          SCOPED_TRACE(testing::Message() << "tile q0=" << q0 << " k0=" << k0
                                          << " kept " << kept << "/" << pairs);
          if (f.empty[t])
            EXPECT_EQ(kept, 0) << "an empty tile keeps pairs";
          if (f.full[t])
            EXPECT_EQ(kept, pairs) << "a full tile drops pairs";
          if (exact) {
            EXPECT_EQ(bool(f.empty[t]), kept == 0);
            EXPECT_EQ(bool(f.full[t]), kept == pairs);
          }
        }
    }
  }

  MLIRContext context;
};

TEST_F(TileClassificationTest, PositionMasksAreExact) {
  for (StringRef m : {"#attn.full", "#attn.causal",
                      "#attn.window<left = 2, right = 1>",
                      "#attn.window<left = 0, right = 0>", "#attn.sinks<3>",
                      "#attn.chunked<4>", "#attn.prefix_lm<5>"})
    check(m, /*closedForm=*/true, /*exact=*/true);
}

TEST_F(TileClassificationTest, CompositionsAreSound) {
  // An and of bands is exact (the rows' intervals shift together), as is
  // the not of one band; other compositions are sound.
  check("#attn.and<[#attn.causal, #attn.window<left = 3, right = 0>]>", true,
        true);
  check("#attn.not<#attn.causal>", true, true);
  for (StringRef m :
       {"#attn.and<[#attn.causal, #attn.or<[#attn.sinks<2>, "
        "#attn.window<left = 3, right = 0>]>]>",
        "#attn.or<[#attn.chunked<4>, #attn.sinks<1>]>",
        "#attn.not<#attn.and<[#attn.causal, #attn.window<left = 1, right = 0>]>>"})
    check(m, /*closedForm=*/true, /*exact=*/false);
}

TEST_F(TileClassificationTest, OtherMasksArePartial) {
  for (StringRef m : {"#attn.dilated<3>",
                      "#attn.strided<stride = 3, block = 2, offset = 0, "
                      "head_step = 0>"})
    check(m, /*closedForm=*/false, /*exact=*/false);
}

TEST_F(TileClassificationTest, BlockLayoutIsTheTileList) {
  // Blocks the size of the tiles, a pseudo-random layout: empty tiles are
  // exactly the unset blocks, full ones the set blocks; composed with a
  // causal bound the classes stay sound.
  auto layoutOf = [](const Problem &p) {
    int64_t blocks = ((p.nq + p.tileQ - 1) / p.tileQ) *
                     ((p.nk + p.tileKv - 1) / p.tileKv);
    std::vector<int8_t> flags;
    for (int64_t i = 0; i < blocks; ++i)
      flags.push_back((i * 7 + 3) % 5 < 3);
    return flags;
  };
  for (Problem p : kProblems) {
    std::string mask = "#attn.block_sparse<block_q = " + std::to_string(p.tileQ) +
                       ", block_kv = " + std::to_string(p.tileKv) + ">";
    check(mask, true, true, p, layoutOf);
    check("#attn.and<[#attn.causal, " + mask + "]>", true, false, p, layoutOf);
  }
  // Without the layout operand the schedule cannot read it.
  EXPECT_FALSE(hasClosedForm(
      parseMask("#attn.block_sparse<block_q = 2, block_kv = 2>")));
}

} // namespace
