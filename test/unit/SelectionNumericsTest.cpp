//===- SelectionNumericsTest.cpp - block selection vs the reference -------===//
//
// Specs with a selection (#attn.topk_blocks: MoBA per token, per query
// block with q_block, threshold and cumulative-mass rules, sinks and local
// blocks) compiled once through the
// tile program (its only lowering) and compared with the float64 reference
// on fresh inputs at lengths that are not multiples of the blocks or tiles;
// the keys have a few strong directions per block, so that the gates are
// well apart and the selection is far from "every block". The selected
// block sets themselves are compared through a probe (one-hot values per
// block), and the reference's selection is checked by hand on the
// documented rules (tie-break, k above the eligible blocks, NaN gates).
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlir;
using namespace attn;

namespace {

struct SelectionCase {
  const char *name;
  const char *body; // op attributes/regions between the operands and ':'
  const char *extraArgs = "";
  const char *extraOperands = "";
  bool lse = false; // the spec also returns the logsumexp
};

std::string makeSpec(const SelectionCase &c, StringRef elementType,
                     bool lse = false) {
  std::string t = ("tensor<?x?x?x?x" + elementType + ">").str();
  std::string results = lse ? t + ", tensor<?x?x?xf32>" : t;
  return "func.func @spec(%q: " + t + ", %k: " + t + ", %v: " + t +
         c.extraArgs + ") -> (" + results + ") {\n  " +
         (lse ? "%o, %l" : "%o") + " = attn.attention %q, %k, %v " +
         c.extraOperands + " " + c.body + " : " + t + ", " + t + ", " + t +
         " -> " + results + "\n  return " + (lse ? "%o, %l : " : "%o : ") +
         results + "\n}\n";
}

const SelectionCase kCases[] = {
    {"moba_mean_k3",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 3, "
     "pool = mean>)",
     "", "", /*lse=*/true},
    // No mask: the current block is whole, future blocks still excluded.
    {"max_k2_no_current_bidirectional",
     "selection(#attn.topk_blocks<block = 8, k = 2, pool = max, "
     "keep_current = false>)"},
    {"min_k1_current_only", "mask(#attn.causal) selection(#attn.topk_blocks<"
                            "block = 5, k = 1, pool = min>)"},
    // k above every block count of the shapes: every eligible block.
    {"k_above_blocks", "mask(#attn.causal) selection(#attn.topk_blocks<"
                       "block = 16, k = 1000, pool = mean>)"},
    // Blocks longer than every key tile and longer than some sequences.
    {"large_block_window",
     "mask(#attn.and<[#attn.causal, #attn.window<left = 40, right = 0>]>) "
     "selection(#attn.topk_blocks<block = 64, k = 2, pool = mean>)",
     "", "", /*lse=*/true},
    // The two-pass form (weight_mod) visits the selection in both loops.
    {"weight_mod_sinks",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 2, "
     "pool = mean>) weight_mod {\n^bb0(%w: f32, %r: f32, %b: index, "
     "%h: index, %i: index, %j: index):\n  %t = math.tanh %r : f32\n"
     "  %y = arith.mulf %w, %t : f32\n  attn.yield %y : f32\n}",
     ", %s: tensor<?xf32>", "sink_logits(%s : tensor<?xf32>)"},
    {"head_maps_sigmoid",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 2, "
     "pool = mean>) normalization(#attn.normalize<sigmoid>)",
     ", %gk: tensor<?xi32>", "k_head_map(%gk : tensor<?xi32>)"},
    // Per query block: query blocks equal to the key blocks (SeerAttention,
    // FlexPrefill), then longer than them and not a multiple of the tiles.
    {"query_block_topk",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 3, "
     "pool = mean, q_block = 16>)",
     "", "", /*lse=*/true},
    {"query_block_mass_sinks",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 1000, "
     "pool = mean, q_block = 24, mass = 0.8, sinks = 1>)"},
    // Bidirectional query blocks by threshold, no current block.
    {"query_block_threshold_no_current",
     "selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, "
     "keep_current = false, q_block = 20, threshold = 0.2>)"},
    // One selection per GQA group (the shapes' key heads).
    {"query_block_head_group",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 2, "
     "pool = mean, q_block = 16, mass = 0.9, head_group = true>)"},
    // Proxy heads (ProxyAttn): every head pooled into one proxy head, so
    // all heads of a (b, query block) share one selection.
    {"query_block_proxy_heads",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 3, "
     "pool = max, q_block = 16, head_group = true, proxy_heads = 1>)"},
    // Every block eligible (causal = false): BiFormer's region routing per
    // query block, a per-token cumulative mass with the current block and
    // a local one (rows before the keys, Nq > Nk, have neither), and
    // causal = false under a causal mask (future blocks selected, then
    // masked: DMA-style, selection before causality).
    {"noncausal_query_block_topk",
     "selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, "
     "keep_current = false, q_block = 16, causal = false>)",
     "", "", /*lse=*/true},
    {"noncausal_token_mass_local",
     "selection(#attn.topk_blocks<block = 8, k = 1000, pool = max, "
     "mass = 0.7, local = 1, causal = false>)"},
    {"noncausal_under_causal_mask",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 2, "
     "pool = mean, keep_current = false, causal = false>)",
     "", "", /*lse=*/true},
    // A given gate (DMA): the caller's scores per (b, key head, block),
    // every block eligible, then the causal mask; and shared by the batch
    // (static extent 1) under a cumulative mass with the current block.
    {"given_scores_topk",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 1, k = 20, "
     "pool = mean, gate = given, keep_current = false, causal = false>) "
     "block_scores(%s : tensor<?x?x?xf32>)",
     ", %s: tensor<?x?x?xf32>", "", /*lse=*/true},
    {"given_scores_mass_current",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 1000, "
     "pool = max, gate = given, mass = 0.7>) "
     "block_scores(%s : tensor<1x?x?xf32>)",
     ", %s: tensor<1x?x?xf32>"},
    // Representative keys (Landmark's last key, or the first) and the
    // query selection (MoSA): rows whose own block is not selected are 0,
    // rows before the keys (Nq > Nk) too.
    {"representative_last_topk",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 2, "
     "pool = last>)",
     "", "", /*lse=*/true},
    {"select_queries_first_topk",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 3, "
     "pool = first, keep_current = false, select_queries = true>)",
     "", "", /*lse=*/true},
    // Representative keys concatenated with a reduction under a learned
    // gate (the pooled key is 3 x D wide).
    {"learned_gate_first_last_max",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 3, "
     "pool = [first, last, max], q_block = 16, gate = learned>, %wq, %wk : "
     "tensor<?x?x?xf32>, tensor<?x?x?xf32>)",
     ", %wq: tensor<?x?x?xf32>, %wk: tensor<?x?x?xf32>"},
    {"select_queries_given_tokens",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 1, k = 20, "
     "pool = mean, gate = given, keep_current = false, causal = false, "
     "select_queries = true>) block_scores(%s : tensor<?x?x?xf32>)",
     ", %s: tensor<?x?x?xf32>"},
    // Per token, threshold with a local block.
    {"token_threshold_local",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 4, "
     "pool = max, threshold = 0.05, local = 1>)"},
    // Learned gates (SeerAttention's AttnGate): keys pooled by [max, min,
    // mean], per-head projections Wq [Hq, D, Dg] and Wk [Hk, 3D, Dg] of
    // dynamic width; a threshold on the block softmax of g / sqrt(Dg).
    {"learned_gate_threshold",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 1000, "
     "pool = [max, min, mean], q_block = 16, threshold = 0.15, "
     "gate = learned>, %wq, %wk : tensor<?x?x?xf32>, tensor<?x?x?xf32>)",
     ", %wq: tensor<?x?x?xf32>, %wk: tensor<?x?x?xf32>", "", /*lse=*/true},
    // Shared projections (extent-1 heads) of static width 8, per token
    // (q_block = 1), two pools, top-k without the current block.
    {"learned_gate_shared_topk",
     "selection(#attn.topk_blocks<block = 8, k = 2, pool = [mean, max], "
     "keep_current = false, q_block = 1, gate = learned>, %wq, %wk : "
     "tensor<1x?x8xbf16>, tensor<1x?x8xf32>)",
     ", %wq: tensor<1x?x8xbf16>, %wk: tensor<1x?x8xf32>"},
    // Issue 16's rules: a rank band per query block (SLA's marginal
    // blocks), and the same band per token under a feature map (linear
    // attention in its quadratic form, the gate on the raw rows, causal:
    // the chunked form is not taken with a selection).
    {"rank_band_query_block",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 4, "
     "pool = mean, q_block = 16, skip = 1>)",
     "", "", /*lse=*/true},
    {"rank_band_feature_map",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 3, "
     "pool = mean, keep_current = false, skip = 1>) "
     "normalization(#attn.normalize<identity, l1>) scale(1.0)",
     "", "feature_map(#attn.feature_map<elu_plus_one>)"},
    // Given scores per query block under a score floor (Rectified
    // SpaAttn's gain test; SVG-EAR's route), every block eligible.
    {"given_query_block_floor",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 3, "
     "pool = mean, q_block = 20, keep_current = false, causal = false, "
     "gate = given, min_score = 0.0>) block_scores(%s : "
     "tensor<?x?x?x?xf32>)",
     ", %s: tensor<?x?x?x?xf32>"},
    // Given scores per token row (q_block = 1: SEA's estimate), causal.
    {"given_token_rows",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 2, "
     "pool = mean, q_block = 1, keep_current = false, gate = given>) "
     "block_scores(%s : tensor<?x?x?x?xf32>)",
     ", %s: tensor<?x?x?x?xf32>", "", /*lse=*/true},
};

struct Shape {
  int64_t b, hq, hkv, nq, nk, d, dv;
};

const Shape kShapes[] = {
    {1, 2, 1, 1, 1, 8, 8},       // one token
    {1, 4, 2, 37, 37, 16, 16},   // GQA, not a multiple of blocks or tiles
    {1, 2, 2, 200, 200, 16, 12}, // Dv != D
    {1, 2, 1, 513, 513, 16, 16}, // one past a power of two
    {1, 2, 1, 50, 300, 16, 16},  // Nq < Nk (decode-like)
    {1, 2, 1, 300, 50, 16, 16},  // Nq > Nk: early rows have no eligible block
};

/// Keys with a few strong directions: every key of block c (of `block`
/// keys) gets strength s_c along direction c mod 3, and every query a
/// positive component along the three directions, so that the gates
/// differ by whole units between blocks and rank them clearly.
void addStrongDirections(NDArray &q, NDArray &k, int64_t block,
                         uint64_t seed) {
  auto ks = k.shape(), qs = q.shape();
  int64_t d = ks[3];
  for (int64_t row = 0; row < ks[0] * ks[1] * ks[2]; ++row) {
    int64_t c = (row % ks[2]) / block;
    // A fixed pseudo-random strength in [-3, 3] per (block, seed).
    double s = static_cast<double>((c * 7919 + seed * 104729) % 13) / 2.0 - 3.0;
    int64_t x = (c % 3) % d;
    k.setDouble(row * d + x, k.getDouble(row * d + x) + s);
  }
  for (int64_t row = 0; row < qs[0] * qs[1] * qs[2]; ++row)
    for (int64_t x = 0; x < std::min<int64_t>(3, d); ++x)
      q.setDouble(row * d + x, q.getDouble(row * d + x) + 1.0 + x);
}

int64_t blockOf(const SelectionCase &c) {
  StringRef body(c.body);
  size_t at = body.find("block = ");
  int64_t block = 0;
  body.drop_front(at + 8).consumeInteger(10, block);
  return block;
}

CompileOptions selectionOptions(int64_t tileQ, int64_t tileKv) {
  CompileOptions options;
  options.lowering = CompileOptions::Lowering::TileProgram;
  options.threads = 3;
  options.tileQ = tileQ;
  options.tileKv = tileKv;
  options.splitKv = 3; // a selection is not split: the option is ignored
  return options;
}

class SelectionNumericsTest
    : public ::testing::TestWithParam<std::tuple<int, const char *>> {
protected:
  void SetUp() override { attn::test::setUpCompileContext(context); }
  MLIRContext context;
};

/// One compilation per tile configuration (key tiles smaller than, equal
/// to and larger than the block, none dividing the lengths), every shape,
/// three seeds, against the reference.
TEST_P(SelectionNumericsTest, OneCompilationMatchesReferenceAtEveryShape) {
  auto [caseIndex, elementType] = GetParam();
  const SelectionCase &c = kCases[caseIndex];
  int64_t block = blockOf(c);
  std::string source = makeSpec(c, elementType, c.lse);
  auto module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << source;
  auto binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  for (auto [tileQ, tileKv] : {std::pair<int64_t, int64_t>{6, 7},
                               {8, block},
                               {32, 2 * block + 3}}) {
    auto compiled = CompiledFunction::compile(
        *module, "spec", selectionOptions(tileQ, tileKv));
    ASSERT_TRUE(static_cast<bool>(compiled))
        << llvm::toString(compiled.takeError());
    for (const Shape &s : kShapes) {
      ProblemSize size{s.b, s.hq, s.hkv, s.nq, s.nk, s.d, s.dv};
      SCOPED_TRACE(testing::Message()
                   << c.name << " " << elementType << " tiles " << tileQ
                   << "x" << tileKv << " Hq=" << s.hq << " Hkv=" << s.hkv
                   << " Nq=" << s.nq << " Nk=" << s.nk);
      auto shapeArgs = makeRandomInputs(*binding, size, 0);
      ASSERT_TRUE(static_cast<bool>(shapeArgs));
      auto specialized = specializeToShapes(*binding, *shapeArgs);
      ASSERT_TRUE(succeeded(specialized));
      auto concrete = bindSpec(**specialized, "spec");
      ASSERT_TRUE(succeeded(concrete));
      for (uint64_t seed : {1u, 2u, 3u}) {
        SCOPED_TRACE(testing::Message() << "seed " << seed);
        auto args = makeRandomInputs(*binding, size, seed);
        ASSERT_TRUE(static_cast<bool>(args));
        addStrongDirections((*args)[0], (*args)[1], block, seed);
        attn::test::runAndCompare(**compiled, *concrete, size, *args, *args);
        if (testing::Test::HasFatalFailure())
          return;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, SelectionNumericsTest,
    ::testing::Combine(::testing::Range(0, int(std::size(kCases))),
                       ::testing::Values("f32", "bf16")),
    [](const ::testing::TestParamInfo<std::tuple<int, const char *>> &info) {
      return std::string(kCases[std::get<0>(info.param)].name) + "_" +
             std::get<1>(info.param);
    });

//===----------------------------------------------------------------------===//
// The selected block sets
//===----------------------------------------------------------------------===//

/// Compiles `selection` with one-hot values per block (V[j] = e_{j / block},
/// Dv = blocks) and a small scale, so that output column c of row i is
/// positive exactly when the row selects block c (softmax weights do not
/// underflow), and compares those sets with reference::selectedBlocks.
/// Rows the compiled code makes NaN (a NaN key) must be those whose
/// reference selection holds `nanBlock`.
void checkSelectedBlocks(MLIRContext &context, const char *selection,
                         int64_t block, const Shape &s, uint64_t seed,
                         int64_t nanBlock = -1, const char *extraArgs = "",
                         std::pair<int64_t, int64_t> tiles = {6, 7}) {
  SelectionCase c{"probe", selection, extraArgs};
  bool causal = StringRef(selection).contains("#attn.causal");
  std::string body = std::string(selection) + " scale(0.05)";
  c.body = body.c_str();
  auto module = parseSourceString<ModuleOp>(makeSpec(c, "f32"), &context);
  ASSERT_TRUE(module);
  auto binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  int64_t blocks = (s.nk + block - 1) / block;
  ProblemSize size{s.b, s.hq, s.hkv, s.nq, s.nk, s.d, blocks};
  auto args = makeRandomInputs(*binding, size, seed);
  ASSERT_TRUE(static_cast<bool>(args));
  addStrongDirections((*args)[0], (*args)[1], block, seed);
  NDArray &v = (*args)[2];
  for (int64_t row = 0; row < s.b * s.hkv * s.nk; ++row)
    for (int64_t x = 0; x < blocks; ++x)
      v.setDouble(row * blocks + x, x == (row % s.nk) / block ? 1.0 : 0.0);
  if (nanBlock >= 0) // the block's first key: every row selecting it sees it
    for (int64_t bh = 0; bh < s.b * s.hkv; ++bh)
      (*args)[1].setDouble((bh * s.nk + nanBlock * block) * s.d, std::nan(""));
  auto specialized = specializeToShapes(*binding, *args);
  ASSERT_TRUE(succeeded(specialized));
  auto concrete = bindSpec(**specialized, "spec");
  ASSERT_TRUE(succeeded(concrete));
  auto compiled = CompiledFunction::compile(
      *module, "spec", selectionOptions(tiles.first, tiles.second));
  ASSERT_TRUE(static_cast<bool>(compiled))
      << llvm::toString(compiled.takeError());
  std::vector<NDArray> results = allocateResults(*concrete, size);
  std::vector<const NDArray *> inputs;
  for (const NDArray &a : *args)
    inputs.push_back(&a);
  ASSERT_FALSE(static_cast<bool>((*compiled)->run(inputs, {&results[0]})));
  auto flags = reference::selectedBlocks(concrete->op,
                                         referenceInputs(*concrete, *args));
  ASSERT_TRUE(static_cast<bool>(flags)) << llvm::toString(flags.takeError());
  ASSERT_EQ(std::vector<int64_t>(flags->shape().begin(), flags->shape().end()),
            (std::vector<int64_t>{s.b, s.hq, s.nq, blocks}));
  int64_t selectedPairs = 0, nanRows = 0;
  for (int64_t row = 0; row < s.b * s.hq * s.nq; ++row) {
    bool rowNaN = false;
    for (int64_t x = 0; x < blocks; ++x)
      rowNaN |= std::isnan(results[0].getDouble(row * blocks + x));
    if (nanBlock >= 0) {
      EXPECT_EQ(rowNaN, flags->getDouble(row * blocks + nanBlock) != 0)
          << "row " << row;
      nanRows += rowNaN;
      if (rowNaN)
        continue;
    }
    // Under a causal mask a selected block shows only if the row sees one
    // of its keys (per query block, a current block may lie in the row's
    // future).
    int64_t position = row % s.nq + s.nk - s.nq;
    for (int64_t x = 0; x < blocks; ++x) {
      bool compiledSelects = results[0].getDouble(row * blocks + x) > 0;
      bool referenceSelects = flags->getDouble(row * blocks + x) != 0;
      bool visible = !causal || x * block <= position;
      EXPECT_EQ(compiledSelects, referenceSelects && visible)
          << "row " << row << " block " << x;
      selectedPairs += referenceSelects;
    }
  }
  // A head group's heads share their rows' blocks (GQA by the shapes, or
  // proxy_heads groups).
  if (StringRef(selection).contains("head_group = true")) {
    int64_t groups = s.hkv;
    StringRef sel(selection);
    if (size_t at = sel.find("proxy_heads = "); at != StringRef::npos)
      sel.drop_front(at + 14).consumeInteger(10, groups);
    int64_t group = s.hq / groups, rowLength = s.nq * blocks;
    for (int64_t bh = 0; bh < s.b * s.hq; ++bh)
      for (int64_t e = 0; e < rowLength; ++e)
        EXPECT_EQ(flags->getDouble(bh * rowLength + e),
                  flags->getDouble((bh - bh % s.hq % group) * rowLength + e))
            << "head " << bh % s.hq;
  }
  // Not trivial: neither every block nor none.
  EXPECT_GT(selectedPairs, 0);
  EXPECT_LT(selectedPairs, s.b * s.hq * s.nq * blocks);
  if (nanBlock >= 0) {
    EXPECT_GT(nanRows, 0);
    EXPECT_LT(nanRows, s.b * s.hq * (s.nq - nanBlock * block));
  }
}

TEST(SelectionBlocksTest, CompiledSelectionIsTheReferences) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  const char *causal3 =
      "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 3, "
      "pool = mean>)";
  const char *bidirectional =
      "selection(#attn.topk_blocks<block = 9, k = 2, pool = max, "
      "keep_current = false>)";
  // Every block eligible, the current one kept (none for rows before the
  // keys when Nq > Nk).
  const char *everyBlock =
      "selection(#attn.topk_blocks<block = 9, k = 2, pool = mean, "
      "causal = false>)";
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(seed);
    checkSelectedBlocks(context, causal3, 16, {1, 4, 2, 200, 200, 16, 0},
                        seed);
    checkSelectedBlocks(context, causal3, 16, {1, 2, 1, 60, 513, 16, 0},
                        seed);
    checkSelectedBlocks(context, bidirectional, 9, {2, 2, 1, 37, 37, 8, 0},
                        seed);
    checkSelectedBlocks(context, everyBlock, 9, {2, 2, 1, 37, 37, 8, 0},
                        seed);
    checkSelectedBlocks(context, everyBlock, 9, {1, 2, 1, 70, 40, 8, 0},
                        seed);
  }
}

// Representative keys and the query selection: the compiled block sets
// (rows whose own block is not selected select nothing) are the
// reference's.
TEST(SelectionBlocksTest, RepresentativeKeysAndQuerySelectionAreTheReferences) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  const char *last = "mask(#attn.causal) selection(#attn.topk_blocks<"
                     "block = 16, k = 3, pool = last>)";
  const char *queries =
      "selection(#attn.topk_blocks<block = 9, k = 2, pool = first, "
      "keep_current = false, select_queries = true>)";
  const char *everyBlock =
      "mask(#attn.causal) selection(#attn.topk_blocks<block = 9, k = 3, "
      "pool = last, keep_current = false, causal = false, "
      "select_queries = true>)";
  for (uint64_t seed : {1u, 2u}) {
    SCOPED_TRACE(seed);
    checkSelectedBlocks(context, last, 16, {1, 4, 2, 200, 200, 16, 0}, seed);
    checkSelectedBlocks(context, queries, 9, {2, 2, 1, 37, 37, 8, 0}, seed);
    checkSelectedBlocks(context, everyBlock, 9,
                        seed == 1 ? Shape{1, 2, 1, 70, 40, 8, 0}
                                  : Shape{1, 2, 2, 40, 70, 8, 0},
                        seed);
  }
  // A NaN in the first key of block 2: with pool = first the block's gate
  // is NaN (ranked last, selected as the current block), with pool = last
  // the gate is a number; either way the rows that select the block read
  // the NaN key and are NaN, and only those.
  const char *firstK2 = "mask(#attn.causal) selection(#attn.topk_blocks<"
                        "block = 8, k = 2, pool = first>)";
  const char *lastK2 = "mask(#attn.causal) selection(#attn.topk_blocks<"
                       "block = 8, k = 2, pool = last>)";
  checkSelectedBlocks(context, firstK2, 8, {1, 2, 1, 120, 120, 8, 0}, 5,
                      /*nanBlock=*/2, "", {8, 8});
  checkSelectedBlocks(context, lastK2, 8, {1, 2, 1, 120, 120, 8, 0}, 5,
                      /*nanBlock=*/2, "", {8, 8});
}

// A learned gate (SeerAttention): the projected pooled rows rank the blocks;
// per query block by a cumulative mass, and per token (q_block = 1) by top-k
// with shared projections.
TEST(SelectionBlocksTest, LearnedGateSelectionIsTheReferences) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  const char *seer =
      "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 1000, "
      "pool = [max, min, mean], q_block = 16, mass = 0.7, gate = learned>, "
      "%wq, %wk : tensor<?x?x?xf32>, tensor<?x?x?xf32>)";
  const char *perToken =
      "selection(#attn.topk_blocks<block = 9, k = 2, pool = [min, mean], "
      "keep_current = false, q_block = 1, gate = learned>, %wq, %wk : "
      "tensor<1x?x?xf32>, tensor<1x?x?xf32>)";
  const char *args = ", %wq: tensor<?x?x?xf32>, %wk: tensor<?x?x?xf32>";
  const char *sharedArgs =
      ", %wq: tensor<1x?x?xf32>, %wk: tensor<1x?x?xf32>";
  // Shapes rotate over the seeds (each check compiles once).
  const Shape seerShapes[] = {{1, 4, 2, 200, 200, 16, 0},
                              {1, 2, 1, 60, 513, 16, 0},
                              {1, 2, 2, 130, 77, 16, 0}};
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(seed);
    checkSelectedBlocks(context, seer, 16, seerShapes[seed - 1], seed, -1,
                        args);
  }
  for (uint64_t seed : {1u, 2u})
    checkSelectedBlocks(context, perToken, 9, {2, 2, 1, 37, 37, 8, 0}, seed,
                        -1, sharedArgs);
}

// Proxy heads: two groups of pooled heads (Hq = 4, Hk = 2), each shared by
// its heads; the compiled block sets are the reference's.
TEST(SelectionBlocksTest, ProxyHeadSelectionIsTheReferences) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  const char *proxy =
      "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 1000, "
      "pool = mean, q_block = 16, mass = 0.8, head_group = true, "
      "proxy_heads = 2>)";
  for (uint64_t seed : {1u, 2u})
    checkSelectedBlocks(context, proxy, 16,
                        seed == 1 ? Shape{1, 4, 2, 200, 200, 16, 0}
                                  : Shape{2, 4, 4, 60, 513, 16, 0},
                        seed);
}

// Per query block, the rules and the always-kept blocks: the rows of a
// query block must select what the reference selects for the block.
TEST(SelectionBlocksTest, QueryBlockRulesAreTheReferences) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  const char *topk =
      "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 3, "
      "pool = mean, q_block = 16>)";
  const char *mass =
      "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 1000, "
      "pool = mean, q_block = 24, mass = 0.7, sinks = 1>)";
  const char *threshold =
      "selection(#attn.topk_blocks<block = 9, k = 4, pool = max, "
      "keep_current = false, q_block = 5, threshold = 0.1>)";
  const char *group =
      "mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 3, "
      "pool = max, q_block = 12, head_group = true>)";
  const char *tokenMass =
      "mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 3, "
      "pool = min, mass = 0.6, local = 2>)";
  const char *sum = "mask(#attn.causal) selection(#attn.topk_blocks<block = "
                    "10, k = 2, pool = sum, q_block = 6>)";
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(seed);
    checkSelectedBlocks(context, topk, 16, {1, 4, 2, 200, 200, 16, 0}, seed);
    checkSelectedBlocks(context, topk, 16, {1, 2, 1, 60, 513, 16, 0}, seed);
    checkSelectedBlocks(context, mass, 16, {1, 2, 1, 150, 150, 16, 0}, seed);
    checkSelectedBlocks(context, mass, 16, {1, 2, 2, 77, 101, 16, 0}, seed);
    checkSelectedBlocks(context, threshold, 9, {2, 2, 1, 37, 37, 8, 0}, seed);
    checkSelectedBlocks(context, tokenMass, 8, {1, 2, 1, 90, 90, 8, 0},
                        seed);
    checkSelectedBlocks(context, group, 8, {2, 6, 2, 70, 85, 8, 0}, seed);
    checkSelectedBlocks(context, sum, 10, {1, 2, 1, 95, 95, 8, 0}, seed);
  }
}

// A selection composed with quantized Q K^T (SpargeAttn, ZOO.md Q01): the
// gates and masses are computed on the float rows (the reference keeps a
// float copy of per-token queries), the scores of the kept keys on the
// quantized ones. Per query block by cumulative mass with SageAttention's
// INT8 blocks and K smoothing, and per token by top-k with INT4.
TEST(SelectionBlocksTest, QuantizedSpecSelectsTheReferencesBlocks) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  const char *sparge =
      "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 1000, "
      "pool = mean, q_block = 24, mass = 0.7>) "
      "quantization(#attn.quantized_qk<scheme = int8, q_block = 24, "
      "k_block = 16, smooth_k = true>)";
  const char *perToken =
      "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 3, "
      "pool = mean>) quantization(#attn.quantized_qk<scheme = int4>)";
  for (uint64_t seed : {1u, 2u}) {
    SCOPED_TRACE(seed);
    checkSelectedBlocks(context, sparge, 16, {1, 2, 1, 150, 150, 16, 0},
                        seed);
    checkSelectedBlocks(context, sparge, 16, {1, 4, 2, 77, 101, 16, 0}, seed);
    checkSelectedBlocks(context, perToken, 16, {1, 2, 1, 60, 213, 16, 0},
                        seed);
  }
}

// A NaN in a key makes its block's pooled key and gate NaN: the block ranks
// last (selected only as the current block or when fewer than k others are
// eligible), and rows that select it are NaN (its key's score is NaN).
TEST(SelectionBlocksTest, NaNGateRanksLast) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  checkSelectedBlocks(
      context,
      "mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 3, "
      "pool = mean>)",
      8, {1, 2, 1, 120, 120, 8, 0}, 5, /*nanBlock=*/2);
}

// Under a mass rule a NaN gate has no mass and never passes: the block is
// selected only as a current block (rows of its own query block).
TEST(SelectionBlocksTest, NaNGateHasNoMass) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  checkSelectedBlocks(
      context,
      "mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 100, "
      "pool = mean, q_block = 8, mass = 0.9>)",
      8, {1, 2, 1, 120, 120, 8, 0}, 5, /*nanBlock=*/2);
}

//===----------------------------------------------------------------------===//
// The regrouped form (per-token selections under a causal mask or none,
// key tiles dividing the block: the current block per query tile, then the
// queries of each past block gathered; see attn-to-tile)
//===----------------------------------------------------------------------===//

const SelectionCase kRegroupedCases[] = {
    {"moba_mean_k3",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 3, "
     "pool = mean>)",
     "", "", /*lse=*/true},
    {"current_only", "mask(#attn.causal) selection(#attn.topk_blocks<"
                     "block = 8, k = 1, pool = mean>)"},
    {"bidirectional_max_k2", "selection(#attn.topk_blocks<block = 16, k = 2, "
                             "pool = max>)"},
    {"every_block", "mask(#attn.causal) selection(#attn.topk_blocks<"
                    "block = 16, k = 1000, pool = mean>)"},
    {"threshold_local_sinks",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 4, "
     "pool = max, threshold = 0.05, local = 1, sinks = 1>)"},
};

/// Tile configurations whose key tiles divide `block`: half a block, a
/// block, and query tiles taller than the block.
std::vector<std::pair<int64_t, int64_t>> regroupedTiles(int64_t block) {
  return {{6, block / 2}, {8, block}, {32, block}};
}

/// Every regrouped case, f32 and bf16, at every shape (one token, lengths
/// not multiples of the blocks or tiles, Nq < Nk, Nq > Nk with rows that
/// see no key), three seeds, against the float64 reference.
TEST(RegroupedSelectionTest, MatchesReferenceAtEveryShape) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  for (const SelectionCase &c : kRegroupedCases)
    for (const char *elementType : {"f32", "bf16"}) {
      int64_t block = blockOf(c);
      std::string source = makeSpec(c, elementType, c.lse);
      auto module = parseSourceString<ModuleOp>(source, &context);
      ASSERT_TRUE(module) << source;
      auto binding = bindSpec(*module, "spec");
      ASSERT_TRUE(succeeded(binding));
      for (auto [tileQ, tileKv] : regroupedTiles(block)) {
        auto compiled = CompiledFunction::compile(
            *module, "spec", selectionOptions(tileQ, tileKv));
        ASSERT_TRUE(static_cast<bool>(compiled))
            << llvm::toString(compiled.takeError());
        for (const Shape &s : kShapes) {
          ProblemSize size{s.b, s.hq, s.hkv, s.nq, s.nk, s.d, s.dv};
          SCOPED_TRACE(testing::Message()
                       << c.name << " " << elementType << " tiles " << tileQ
                       << "x" << tileKv << " Hq=" << s.hq << " Hkv=" << s.hkv
                       << " Nq=" << s.nq << " Nk=" << s.nk);
          auto shapeArgs = makeRandomInputs(*binding, size, 0);
          ASSERT_TRUE(static_cast<bool>(shapeArgs));
          auto specialized = specializeToShapes(*binding, *shapeArgs);
          ASSERT_TRUE(succeeded(specialized));
          auto concrete = bindSpec(**specialized, "spec");
          ASSERT_TRUE(succeeded(concrete));
          for (uint64_t seed : {4u, 5u, 6u}) {
            SCOPED_TRACE(testing::Message() << "seed " << seed);
            auto args = makeRandomInputs(*binding, size, seed);
            ASSERT_TRUE(static_cast<bool>(args));
            addStrongDirections((*args)[0], (*args)[1], block, seed);
            attn::test::runAndCompare(**compiled, *concrete, size, *args,
                                      *args);
            if (testing::Test::HasFatalFailure())
              return;
          }
        }
      }
    }
}

/// Ties: every key block holds the same keys (the last one a prefix of
/// them), so the full blocks' gates are bit-equal and the lower block
/// index wins; the regrouped form must select as the reference does.
TEST(RegroupedSelectionTest, EqualGatesPreferTheLowerBlock) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  SelectionCase c{"ties", "mask(#attn.causal) selection(#attn.topk_blocks<"
                          "block = 8, k = 3, pool = mean>)"};
  auto module = parseSourceString<ModuleOp>(makeSpec(c, "f32"), &context);
  ASSERT_TRUE(module);
  auto binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  auto compiled =
      CompiledFunction::compile(*module, "spec", selectionOptions(8, 8));
  ASSERT_TRUE(static_cast<bool>(compiled))
      << llvm::toString(compiled.takeError());
  for (int64_t n : {64, 61}) {
    SCOPED_TRACE(testing::Message() << "N=" << n);
    ProblemSize size{1, 2, 1, n, n, 8, 8};
    auto args = makeRandomInputs(*binding, size, 7);
    ASSERT_TRUE(static_cast<bool>(args));
    NDArray &k = (*args)[1];
    for (int64_t j = 8; j < n; ++j)
      for (int64_t x = 0; x < 8; ++x)
        k.setDouble(j * 8 + x, k.getDouble((j % 8) * 8 + x));
    auto specialized = specializeToShapes(*binding, *args);
    ASSERT_TRUE(succeeded(specialized));
    auto concrete = bindSpec(**specialized, "spec");
    ASSERT_TRUE(succeeded(concrete));
    attn::test::runAndCompare(**compiled, *concrete, size, *args, *args);
  }
}

/// The selected block sets of the regrouped form through the one-hot
/// probe (blocks no query selects included: the probe checks every
/// (row, block)), and a NaN gate, which ranks last.
TEST(RegroupedSelectionTest, SelectedBlocksAreTheReferences) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  const char *causal3 =
      "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 3, "
      "pool = mean>)";
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    checkSelectedBlocks(context, causal3, 16, {1, 4, 2, 200, 200, 16, 0},
                        seed, -1, "", {8, 16});
    checkSelectedBlocks(context, causal3, 16, {1, 2, 1, 60, 513, 16, 0}, seed,
                        -1, "", {32, 8});
  }
  checkSelectedBlocks(context,
                      "mask(#attn.causal) selection(#attn.topk_blocks<"
                      "block = 8, k = 3, pool = mean>)",
                      8, {1, 2, 1, 120, 120, 8, 0}, 5, /*nanBlock=*/2, "",
                      {8, 8});
}

//===----------------------------------------------------------------------===//
// The reference's selection on hand-made gates
//===----------------------------------------------------------------------===//

/// The reference's flags of one head, D = 1, q = 1 (the gate is the pooled
/// key), for keys `keys`, as a string per query row ("1" = selected).
std::vector<std::string> referenceRows(MLIRContext &context,
                                       const char *selection,
                                       ArrayRef<double> keys, int64_t nq) {
  SelectionCase c{"hand", selection};
  auto module = parseSourceString<ModuleOp>(makeSpec(c, "f32"), &context);
  EXPECT_TRUE(module);
  auto binding = bindSpec(*module, "spec");
  EXPECT_TRUE(succeeded(binding));
  int64_t nk = keys.size();
  ProblemSize size{1, 1, 1, nq, nk, 1, 1};
  auto args = makeRandomInputs(*binding, size, 1);
  EXPECT_TRUE(static_cast<bool>(args));
  for (int64_t i = 0; i < nq; ++i)
    (*args)[0].setDouble(i, 1.0);
  for (int64_t j = 0; j < nk; ++j)
    (*args)[1].setDouble(j, keys[j]);
  auto specialized = specializeToShapes(*binding, *args);
  auto concrete = bindSpec(**specialized, "spec");
  auto flags = reference::selectedBlocks(concrete->op,
                                         referenceInputs(*concrete, *args));
  EXPECT_TRUE(static_cast<bool>(flags));
  int64_t blocks = flags->shape()[3];
  std::vector<std::string> rows;
  for (int64_t i = 0; i < nq; ++i) {
    std::string row;
    for (int64_t x = 0; x < blocks; ++x)
      row += flags->getDouble(i * blocks + x) != 0 ? '1' : '0';
    rows.push_back(row);
  }
  return rows;
}

TEST(SelectionReferenceTest, DocumentedRules) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  double nan = std::nan("");
  // Blocks of 2 over 9 keys (the last block is key 8 alone): pooled means
  // 1, 3, 3, 2, 5.
  std::vector<double> keys = {0, 2, 3, 3, 4, 2, 1, 3, 5};
  auto rows = referenceRows(
      context,
      "selection(#attn.topk_blocks<block = 2, k = 2, pool = mean>)", keys, 9);
  // Query 0-1: only block 0 eligible (k above the eligible blocks).
  EXPECT_EQ(rows[0], "10000");
  EXPECT_EQ(rows[1], "10000");
  // Query 4: current block 2 first, then the best other: 1 (gate 3).
  EXPECT_EQ(rows[4], "01100");
  // Query 6: current 3, then block 1 and 2 tie at 3: the lower index wins.
  EXPECT_EQ(rows[6], "01010");
  // Query 8: current 4 (the partial block, mean over its one key = 5).
  EXPECT_EQ(rows[8], "01001");

  // Without the current block, the two best gates (3 and 3: both).
  rows = referenceRows(context,
                       "selection(#attn.topk_blocks<block = 2, k = 2, "
                       "pool = mean, keep_current = false>)",
                       keys, 9);
  EXPECT_EQ(rows[8], "01001");
  EXPECT_EQ(rows[6], "01100");
  // max pooling: maxima 2, 3, 4, 3, 5.
  rows = referenceRows(context,
                       "selection(#attn.topk_blocks<block = 2, k = 1, "
                       "pool = max, keep_current = false>)",
                       keys, 9);
  EXPECT_EQ(rows[7], "00100");
  EXPECT_EQ(rows[8], "00001");
  // NaN gates rank after -inf ones; among NaNs the lower index.
  double inf = std::numeric_limits<double>::infinity();
  std::vector<double> special = {nan, 0, -inf, -inf, nan, 1, 7, 7};
  rows = referenceRows(context,
                       "selection(#attn.topk_blocks<block = 2, k = 3, "
                       "pool = min, keep_current = false>)",
                       special, 8);
  // Minima: NaN, -inf, NaN, 7. Query 7: 7, then -inf, then NaN (block 0).
  EXPECT_EQ(rows[7], "1101");
  // Query 5: eligible blocks 0-2: -inf, then NaN blocks 0 and 2 by index.
  EXPECT_EQ(rows[5], "1110");
  rows = referenceRows(context,
                       "selection(#attn.topk_blocks<block = 2, k = 2, "
                       "pool = min, keep_current = false>)",
                       special, 8);
  EXPECT_EQ(rows[5], "1100");
}

// causal = false: every block is eligible; the current block (and the
// local window) only for rows whose aligned positions reach the keys.
TEST(SelectionReferenceTest, NonCausalEligibility) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  // Pooled means 1, 3, 3, 2, 5 (blocks of 2 over 9 keys).
  std::vector<double> keys = {0, 2, 3, 3, 4, 2, 1, 3, 5};
  auto rows = referenceRows(context,
                            "selection(#attn.topk_blocks<block = 2, k = 2, "
                            "pool = mean, keep_current = false, "
                            "causal = false>)",
                            keys, 9);
  // Every row: the future block 4 (gate 5), then block 1 (ties with 2).
  for (int i = 0; i < 9; ++i)
    EXPECT_EQ(rows[i], "01001") << i;
  // The current block counts in k: row 0 keeps block 0 and block 4.
  rows = referenceRows(context,
                       "selection(#attn.topk_blocks<block = 2, k = 2, "
                       "pool = mean, causal = false>)",
                       keys, 9);
  EXPECT_EQ(rows[0], "10001");
  EXPECT_EQ(rows[4], "00101");
  EXPECT_EQ(rows[8], "01001");
  // Nq = 11 > Nk = 9: rows 0 and 1 are before the keys (p < 0): no current
  // or local block, the two best gates; row 2 (p = 0) keeps block 0.
  rows = referenceRows(context,
                       "selection(#attn.topk_blocks<block = 2, k = 2, "
                       "pool = mean, local = 1, causal = false>)",
                       keys, 11);
  EXPECT_EQ(rows[0], "01001");
  EXPECT_EQ(rows[1], "01001");
  EXPECT_EQ(rows[2], "10001");
  EXPECT_EQ(rows[6], "01100"); // current 2 and local 1 fill k
  // An empty selection: a threshold no mass reaches and nothing kept.
  rows = referenceRows(context,
                       "selection(#attn.topk_blocks<block = 2, k = 10, "
                       "pool = mean, keep_current = false, threshold = 1.0, "
                       "causal = false>)",
                       keys, 9);
  EXPECT_EQ(rows[4], "00000");
}

/// The reference's flags of a given-gate selection over `nk` keys in blocks
/// of 2, one head, for the block scores `scores` (the last row's blocks).
std::string givenRow(MLIRContext &context, const char *selection,
                     ArrayRef<double> scores, int64_t nq, int64_t nk) {
  SelectionCase c{"given", selection, ", %s: tensor<?x?x?xf32>"};
  auto module = parseSourceString<ModuleOp>(makeSpec(c, "f32"), &context);
  EXPECT_TRUE(module);
  auto binding = bindSpec(*module, "spec");
  EXPECT_TRUE(succeeded(binding));
  ProblemSize size{1, 1, 1, nq, nk, 1, 1};
  auto args = makeRandomInputs(*binding, size, 1);
  EXPECT_TRUE(static_cast<bool>(args));
  EXPECT_EQ((*args)[3].numElements(), static_cast<int64_t>(scores.size()));
  for (auto [c, score] : llvm::enumerate(scores))
    (*args)[3].setDouble(c, score);
  auto specialized = specializeToShapes(*binding, *args);
  auto concrete = bindSpec(**specialized, "spec");
  auto flags = reference::selectedBlocks(concrete->op,
                                         referenceInputs(*concrete, *args));
  EXPECT_TRUE(static_cast<bool>(flags));
  int64_t blocks = flags->shape()[3];
  std::string row;
  for (int64_t x = 0; x < blocks; ++x)
    row += flags->getDouble((nq - 1) * blocks + x) != 0 ? '1' : '0';
  return row;
}

// gate = given: the scores are the gates (same ranking, tie-break and NaN
// rules); the masses are the softmax of the scores without 1 / sqrt(D).
TEST(SelectionReferenceTest, GivenScores) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  double nan = std::nan("");
  // Five blocks of 2 over 10 keys: scores 1, NaN, 5, 5, 0.
  std::vector<double> scores = {1, nan, 5, 5, 0};
  auto spec = [](const char *rule) {
    return std::string("selection(#attn.topk_blocks<block = 2, pool = mean, "
                       "gate = given, keep_current = false, causal = false, ") +
           rule + ">) block_scores(%s : tensor<?x?x?xf32>)";
  };
  // Equal scores by the lower index, then 1, then 0, NaN last.
  EXPECT_EQ(givenRow(context, spec("k = 2").c_str(), scores, 3, 10), "00110");
  EXPECT_EQ(givenRow(context, spec("k = 3").c_str(), scores, 3, 10), "10110");
  EXPECT_EQ(givenRow(context, spec("k = 5").c_str(), scores, 3, 10), "11111");
  // Masses softmax(1, 5, 5, 0) unscaled: 0.0090, 0.4933, 0.4933, 0.0033;
  // a NaN score never passes a rule.
  EXPECT_EQ(givenRow(context, spec("k = 10, threshold = 0.005").c_str(),
                     scores, 3, 10),
            "10110");
  EXPECT_EQ(givenRow(context, spec("k = 10, threshold = 0.0").c_str(), scores,
                     3, 10),
            "10111");
}

// pool = first / last: the block's first or last actual key is its pooled
// key; select_queries empties the rows whose own block is not selected.
TEST(SelectionReferenceTest, RepresentativeKeysAndQuerySelection) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  // Blocks of 2 over 9 keys: first keys 0, 3, 4, 1, 5; last keys 2, 3, 2,
  // 3, 5 (the partial block's last key is its only one).
  std::vector<double> keys = {0, 2, 3, 3, 4, 2, 1, 3, 5};
  auto rows = referenceRows(context,
                            "selection(#attn.topk_blocks<block = 2, k = 2, "
                            "pool = first, keep_current = false>)",
                            keys, 9);
  EXPECT_EQ(rows[8], "00101");
  EXPECT_EQ(rows[6], "01100");
  rows = referenceRows(context,
                       "selection(#attn.topk_blocks<block = 2, k = 2, "
                       "pool = last, keep_current = false>)",
                       keys, 9);
  EXPECT_EQ(rows[8], "01001");
  EXPECT_EQ(rows[6], "01010"); // 3 and 3: blocks 1 and 3
  EXPECT_EQ(rows[4], "11000"); // 3, then 2 and 2: the lower index
  rows = referenceRows(context,
                       "selection(#attn.topk_blocks<block = 2, k = 2, "
                       "pool = last, keep_current = false, "
                       "select_queries = true>)",
                       keys, 9);
  EXPECT_EQ(rows[8], "01001"); // own block 4 selected
  EXPECT_EQ(rows[6], "01010"); // own block 3 selected
  EXPECT_EQ(rows[4], "00000"); // own block 2 not selected: an empty row
  EXPECT_EQ(rows[5], "00000");
  EXPECT_EQ(rows[2], "11000"); // both eligible blocks, own block 1
  EXPECT_EQ(rows[0], "10000");
  // Nq = 11 > Nk = 9, every block eligible: rows 0 and 1 are before the
  // keys (p < 0), so they have no own block and select nothing.
  rows = referenceRows(context,
                       "selection(#attn.topk_blocks<block = 2, k = 2, "
                       "pool = last, keep_current = false, causal = false, "
                       "select_queries = true>)",
                       keys, 11);
  EXPECT_EQ(rows[0], "00000");
  EXPECT_EQ(rows[1], "00000");
  EXPECT_EQ(rows[10], "01001"); // p = 8, block 4
  EXPECT_EQ(rows[4], "01001");  // p = 2, block 1
  EXPECT_EQ(rows[6], "00000");  // p = 4, block 2 not selected

  // MoSA's form: one-token blocks, given scores 1, NaN, 5, 5, 0; the last
  // row (p = Nk - 1) is kept only when its own token is selected.
  double nan = std::nan("");
  auto spec = [](const char *rule) {
    return std::string("selection(#attn.topk_blocks<block = 1, pool = mean, "
                       "gate = given, keep_current = false, causal = false, "
                       "select_queries = true, ") +
           rule + ">) block_scores(%s : tensor<?x?x?xf32>)";
  };
  std::vector<double> scores = {1, nan, 5, 5, 0};
  EXPECT_EQ(givenRow(context, spec("k = 2").c_str(), scores, 5, 5), "00000");
  EXPECT_EQ(givenRow(context, spec("k = 4").c_str(), scores, 5, 5), "10111");
  // k above the tokens: every token, the NaN one included.
  EXPECT_EQ(givenRow(context, spec("k = 9").c_str(), scores, 5, 5), "11111");
  std::vector<double> four = {1, nan, 5, 5};
  EXPECT_EQ(givenRow(context, spec("k = 2").c_str(), four, 4, 4), "0011");
  // The NaN token (ranked last) as the row's own token.
  std::vector<double> nanLast = {1, 5, nan};
  EXPECT_EQ(givenRow(context, spec("k = 2").c_str(), nanLast, 3, 3), "000");
  EXPECT_EQ(givenRow(context, spec("k = 3").c_str(), nanLast, 3, 3), "111");
}

TEST(SelectionReferenceTest, QueryBlocksRulesAndKeptBlocks) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  // Blocks of 2 over 9 keys: pooled means 1, 3, 3, 2, 5; D = 1, q = 1, so
  // the masses are softmax(1, 3, 3, 2, 5) over the eligible blocks:
  // 0.0137, 0.1011, 0.1011, 0.0372, 0.7470 for all five.
  std::vector<double> keys = {0, 2, 3, 3, 4, 2, 1, 3, 5};
  // Query blocks of 4 rows: rows 4-7 (positions 4..7) hold current blocks
  // 2 and 3, which k = 2 counts; row 8 alone: current 4, then block 1
  // (gate 3, tied with block 2: the lower index).
  auto rows = referenceRows(context,
                            "selection(#attn.topk_blocks<block = 2, k = 2, "
                            "pool = mean, q_block = 4>)",
                            keys, 9);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(rows[i], "11000") << i;
  for (int i = 4; i < 8; ++i)
    EXPECT_EQ(rows[i], "00110") << i;
  EXPECT_EQ(rows[8], "01001");
  // Cumulative mass: the shortest prefix of the ranking reaching gamma.
  const char *massRules[][2] = {{"0.5", "00001"},
                                {"0.8", "01001"},
                                {"0.9", "01101"},
                                {"1.0", "11111"}};
  for (auto [gamma, expected] : massRules) {
    std::string selection =
        std::string("selection(#attn.topk_blocks<block = 2, k = 10, pool = "
                    "mean, keep_current = false, mass = ") +
        gamma + ">)";
    EXPECT_EQ(referenceRows(context, selection.c_str(), keys, 9)[8], expected)
        << gamma;
  }
  // sum pooling: 2, 6, 6, 4, 5 (the partial last block, first with mean,
  // weighs less): row 8 keeps the two best, blocks 1 and 2.
  EXPECT_EQ(referenceRows(context,
                          "selection(#attn.topk_blocks<block = 2, k = 2, "
                          "pool = sum, keep_current = false>)",
                          keys, 9)[8],
            "01100");
  // k caps the cumulative set.
  EXPECT_EQ(referenceRows(context,
                          "selection(#attn.topk_blocks<block = 2, k = 2, "
                          "pool = mean, keep_current = false, mass = 0.9>)",
                          keys, 9)[8],
            "01001");
  // Threshold on each mass.
  EXPECT_EQ(referenceRows(context,
                          "selection(#attn.topk_blocks<block = 2, k = 10, "
                          "pool = mean, keep_current = false, threshold = "
                          "0.1>)",
                          keys, 9)[8],
            "01101");
  EXPECT_EQ(referenceRows(context,
                          "selection(#attn.topk_blocks<block = 2, k = 10, "
                          "pool = mean, keep_current = false, threshold = "
                          "0.2>)",
                          keys, 9)[8],
            "00001");
  // Sinks and local blocks are kept beyond k (k = 1: only them).
  rows = referenceRows(context,
                       "selection(#attn.topk_blocks<block = 2, k = 1, pool = "
                       "mean, sinks = 1, local = 1>)",
                       keys, 9);
  EXPECT_EQ(rows[8], "10011");
  EXPECT_EQ(rows[6], "10110");
  EXPECT_EQ(rows[1], "10000");
  // Infinite gates: the blocks at the maximum share the mass (+inf ones,
  // or every block of an all -inf row), the others have 0. A NaN gate has
  // no mass: never selected by a rule, the others' masses are those
  // without it. Each case: the last row's blocks, no current block.
  double inf = std::numeric_limits<double>::infinity();
  std::vector<double> plusInf = {inf, inf, 1, 1, inf, inf};
  std::vector<double> minusInf = {-inf, -inf, -inf, -inf};
  std::vector<double> withNaN = {std::nan(""), 0, 3, 3, 1, 1};
  struct SpecialCase {
    const char *rule;
    const std::vector<double> *keys;
    const char *expected;
  } specialCases[] = {{"threshold = 0.5", &plusInf, "101"},
                      {"mass = 0.5", &plusInf, "100"},
                      {"threshold = 0.5", &minusInf, "11"},
                      {"mass = 0.4", &minusInf, "10"},
                      {"mass = 1.0", &withNaN, "011"},
                      {"threshold = 0.0", &withNaN, "011"}};
  for (const SpecialCase &c : specialCases) {
    std::string selection = std::string("selection(#attn.topk_blocks<block "
                                        "= 2, k = 10, pool = mean, "
                                        "keep_current = false, ") +
                            c.rule + ">)";
    EXPECT_EQ(referenceRows(context, selection.c_str(), *c.keys,
                            c.keys->size())
                  .back(),
              c.expected)
        << c.rule;
  }
  // The current block passes a rule it fails: kept, and its mass counts.
  EXPECT_EQ(referenceRows(context,
                          "selection(#attn.topk_blocks<block = 2, k = 10, "
                          "pool = mean, threshold = 0.5>)",
                          keys, 9)[6],
            "00010");
}

} // namespace
