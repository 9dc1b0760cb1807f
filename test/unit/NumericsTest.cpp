//===- NumericsTest.cpp - compiled CPU path vs the float64 reference ------===//
//
// Every spec below is specialized to several shapes (lengths that are not
// powers of two, Nq != Nk, one token, rows with no visible key), compiled
// through the JIT and compared with the reference on fresh random inputs
// from several seeds.
//
//===----------------------------------------------------------------------===//

#include "attn/JIT.h"
#include "attn/Pipelines/Pipelines.h"
#include "attn/Reference/Reference.h"
#include "attn/Runner/Runner.h"

#include "TestSupport.h"

#include "attn/Conversion/Passes.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>

using namespace mlir;
using namespace attn;

namespace {

struct SpecCase {
  const char *name;
  const char *body; // op attributes/regions between the operands and ':'
  const char *extraArgs = "";     // extra function arguments
  const char *extraOperands = ""; // operand groups after %q, %k, %v
};

std::string makeSpec(const SpecCase &c, StringRef elementType, bool lse) {
  std::string t = ("tensor<?x?x?x?x" + elementType + ">").str();
  std::string results = lse ? t + ", tensor<?x?x?xf32>" : t;
  std::string s = "func.func @spec(%q: " + t + ", %k: " + t + ", %v: " + t +
                  std::string(c.extraArgs) + ") -> (" + results + ") {\n";
  s += std::string("  ") + (lse ? "%o, %l" : "%o") + " = attn.attention %q, %k, %v " +
       c.extraOperands + " " + c.body + " : " + t + ", " + t + ", " + t +
       " -> " + results + "\n";
  s += std::string("  return ") + (lse ? "%o, %l : " : "%o : ") + results +
       "\n}\n";
  return s;
}

const SpecCase kCases[] = {
    {"dense", ""},
    {"causal", "mask(#attn.causal)"},
    {"window", "mask(#attn.window<left = 5, right = 3>)"},
    {"streaming", "mask(#attn.and<[#attn.causal, #attn.or<[#attn.sinks<2>, "
                  "#attn.window<left = 6, right = 0>]>]>)"},
    {"strided", "mask(#attn.and<[#attn.causal, #attn.strided<stride = 3, "
                "block = 4, offset = -1, head_step = -1>]>)"},
    {"dilated_chunked",
     "mask(#attn.or<[#attn.dilated<3>, #attn.chunked<8>]>)"},
    {"prefix_lm", "mask(#attn.prefix_lm<7>)"},
    {"not_causal", "mask(#attn.not<#attn.causal>)"},
    {"per_head", "mask(#attn.per_head<masks = [#attn.causal, #attn.and<["
                 "#attn.causal, #attn.or<[#attn.sinks<3>, #attn.window<left "
                 "= 4, right = 0>]>]>], heads = [0, 1, 1, 0]>)"},
    {"softcap_alibi",
     "mask(#attn.causal) score_mods([#attn.softcap<2.0>, #attn.alibi])"},
    {"scale", "scale(0.3)"},
    {"sigmoid", "mask(#attn.causal) normalization(#attn.normalize<sigmoid, "
                "bias = -1.0>)"},
    {"softplus_l1", "normalization(#attn.normalize<softplus, l1>)"},
    {"relu_l1", "mask(#attn.causal) normalization(#attn.normalize<relu, l1>)"},
    {"identity", "normalization(#attn.normalize<identity>)"},
    {"region_mask",
     "mask_fn {\n^bb0(%b: index, %h: index, %i: index, %j: index):\n"
     "  %c3 = arith.constant 3 : index\n  %r = arith.remui %j, %c3 : index\n"
     "  %c0 = arith.constant 0 : index\n"
     "  %ok = arith.cmpi eq, %r, %c0 : index\n  attn.yield %ok : i1\n}"},
    {"region_score_mod",
     "score_mod {\n^bb0(%s: f32, %b: index, %h: index, %i: index, "
     "%j: index):\n  %t = math.tanh %s : f32\n"
     "  %c = arith.constant 1.5 : f32\n  %y = arith.mulf %t, %c : f32\n"
     "  attn.yield %y : f32\n}"},
    // Operand features (index kFirstOperandCase on): head maps, sink logits,
    // output gates, weight_mod (single- and two-pass forms).
    {"head_maps", "mask(#attn.causal)", ", %gk: tensor<?xi32>, %gv: tensor<?x?xi32>",
     "k_head_map(%gk : tensor<?xi32>) v_head_map(%gv : tensor<?x?xi32>)"},
    {"sinks", "mask(#attn.window<left = 6, right = 0>)", ", %s: tensor<?xf32>",
     "sink_logits(%s : tensor<?xf32>)"},
    {"gate", "mask(#attn.causal)", ", %g: tensor<?x?x?xf32>",
     "output_gate(%g : tensor<?x?x?xf32>)"},
    {"weight_mod_softmax",
     "mask(#attn.causal) weight_mod {\n^bb0(%w: f32, %r: f32, %b: index, "
     "%h: index, %i: index, %j: index):\n  %t = math.tanh %r : f32\n"
     "  %y = arith.mulf %w, %t : f32\n  attn.yield %y : f32\n}"},
    {"weight_mod_sinks_gate",
     "mask(#attn.and<[#attn.causal, #attn.not<#attn.sinks<1>>]>) weight_mod {\n"
     "^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):\n"
     "  %c2 = arith.constant 2 : index\n  %m = arith.remui %j, %c2 : index\n"
     "  %c0 = arith.constant 0 : index\n"
     "  %e = arith.cmpi eq, %m, %c0 : index\n  %n = arith.negf %w : f32\n"
     "  %y = arith.select %e, %w, %n : f32\n  attn.yield %y : f32\n}",
     ", %s: tensor<?xf32>, %g: tensor<?x?x?xf32>",
     "sink_logits(%s : tensor<?xf32>) output_gate(%g : tensor<?x?x?xf32>)"},
    {"weight_mod_relu_l1",
     "normalization(#attn.normalize<relu, l1>) weight_mod {\n^bb0(%w: f32, "
     "%r: f32, %b: index, %h: index, %i: index, %j: index):\n"
     "  %y = arith.addf %w, %r : f32\n  attn.yield %y : f32\n}"},
    {"weight_mod_sigmoid",
     "mask(#attn.window<left = 4, right = 4>) "
     "normalization(#attn.normalize<sigmoid>) weight_mod {\n^bb0(%w: f32, "
     "%r: f32, %b: index, %h: index, %i: index, %j: index):\n"
     "  %y = arith.mulf %w, %w : f32\n  attn.yield %y : f32\n}"},
    // ALiBi slopes from an operand, then a softcap, under a pointwise
    // normalization (the tile program's vector `modify`).
    {"alibi_slopes_softcap_sigmoid",
     "mask(#attn.causal) score_mods([#attn.alibi, #attn.softcap<3.0>]) "
     "normalization(#attn.normalize<sigmoid, bias = -1.0>)",
     ", %sl: tensor<?xf32>", "alibi_slopes(%sl : tensor<?xf32>)"},
    // -inf scores under every normalization; the region context ops
    // (index kFirstNegInfCase on; the first three are softmax).
    {"neg_inf_first_key", ATTN_TEST_NEG_INF_FIRST_KEY},
    {"neg_inf_middle_key_causal", "mask(#attn.causal) " ATTN_TEST_NEG_INF_MIDDLE_KEY},
    {"neg_inf_odd_rows", ATTN_TEST_NEG_INF_ODD_ROWS},
    {"neg_inf_first_key_sigmoid",
     "normalization(#attn.normalize<sigmoid, bias = -1.0>) "
     ATTN_TEST_NEG_INF_FIRST_KEY},
    {"neg_inf_middle_key_softplus_l1",
     "normalization(#attn.normalize<softplus, l1>) "
     ATTN_TEST_NEG_INF_MIDDLE_KEY},
    {"neg_inf_odd_rows_relu_l1",
     "normalization(#attn.normalize<relu, l1>) " ATTN_TEST_NEG_INF_ODD_ROWS},
    {"neg_inf_first_key_identity",
     "normalization(#attn.normalize<identity>) " ATTN_TEST_NEG_INF_FIRST_KEY},
    {"neg_inf_odd_rows_relu", "normalization(#attn.normalize<relu>) "
     ATTN_TEST_NEG_INF_ODD_ROWS},
    {"neg_inf_first_key_weight_mod",
     ATTN_TEST_NEG_INF_FIRST_KEY " weight_mod {\n^bb0(%w: f32, %r: f32, "
     "%b: index, %h: index, %i: index, %j: index):\n"
     "  %y = arith.mulf %w, %r : f32\n  attn.yield %y : f32\n}"},
    {"aligned_window_region", ATTN_TEST_ALIGNED_WINDOW_REGION},
    {"length_score_mod", "mask(#attn.causal) " ATTN_TEST_LENGTH_SCORE_MOD},
    // A random block layout (and a causal bound): the tile program reads
    // it as its run-time tile list.
    {"block_sparse_causal",
     "mask(#attn.and<[#attn.causal, #attn.block_sparse<block_q = 4, "
     "block_kv = 5>]>)",
     ", %l: tensor<?x?x?x?xi8>", "block_layout(%l : tensor<?x?x?x?xi8>)"},
};
const int kFirstOperandCase = 17;
/// The index of case `name` (the instantiations below name their first).
int caseIndex(StringRef name) {
  for (auto [n, c] : llvm::enumerate(kCases))
    if (name == c.name)
      return n;
  llvm::report_fatal_error("no numerics case named " + name);
}
const int kFirstNegInfCase = caseIndex("neg_inf_first_key");

struct Shape {
  int64_t b, hq, hkv, nq, nk, d, dv;
};

const Shape kShapes[] = {
    {1, 4, 2, 37, 37, 16, 16}, // GQA, length not a power of two
    {2, 4, 4, 5, 29, 8, 12},   // Nq < Nk (decode-like, bottom-right)
    {1, 4, 1, 1, 19, 16, 16},  // one query token, MQA
    {1, 4, 2, 23, 9, 16, 8},   // Nq > Nk: causal rows with no key
};

/// Compile configurations at `width` f32 lanes (asked for explicitly: the
/// suite runs both widths on every host, LLVM legalizes 16 lanes on AVX2):
/// the tile program's vector kernels on the spec specialized to the shapes
/// with default tiles, with one query vector per tile and an odd key tile
/// (the portable scores, many tiles) on two threads, and the untiled
/// baseline (width-independent, run once, at 8). The shape-generic tile
/// program has its own suites below.
CompileOptions optionsFor(int64_t width, int variant) {
  CompileOptions o;
  o.vectorWidth = width;
  if (variant == 1) {
    o.tileQ = width; // one query vector per tile
    o.tileKv = 7;    // no whole vector of keys: the portable kernels
    o.threads = 2;
  } else if (variant == 2) {
    o.lowering = CompileOptions::Lowering::Untiled;
  }
  return o;
}

using NumericsParam = std::tuple<int, const char *, bool, int64_t>;

class NumericsTest : public ::testing::TestWithParam<NumericsParam> {
protected:
  void SetUp() override {
    attn::test::setUpCompileContext(context);
  }
  MLIRContext context;
};

TEST_P(NumericsTest, MatchesReference) {
  auto [caseIndex, elementType, lse, width] = GetParam();
  const SpecCase &c = kCases[caseIndex];
  std::string source = makeSpec(c, elementType, lse);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << source;
  FailureOr<SpecBinding> binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));

  int variants = width == 8 ? 3 : 2;
  for (int variant = 0; variant < variants; ++variant) {
    for (const Shape &s : kShapes) {
      ProblemSize size{s.b, s.hq, s.hkv, s.nq, s.nk, s.d, s.dv};
      SCOPED_TRACE(testing::Message()
                   << c.name << " " << elementType << " width " << width
                   << " variant " << variant << " B=" << s.b
                   << " Hq=" << s.hq << " Hkv=" << s.hkv << " Nq=" << s.nq
                   << " Nk=" << s.nk);
      // The kernel depends on shapes only: compile once, run several seeds.
      auto shapeArgs = makeRandomInputs(*binding, size, 0);
      ASSERT_TRUE(static_cast<bool>(shapeArgs))
          << llvm::toString(shapeArgs.takeError());
      auto specialized = specializeToShapes(*binding, *shapeArgs);
      ASSERT_TRUE(succeeded(specialized));
      auto concrete = bindSpec(**specialized, "spec");
      ASSERT_TRUE(succeeded(concrete));
      auto compiled = CompiledFunction::compile(**specialized, "spec",
                                                optionsFor(width, variant));
      ASSERT_TRUE(static_cast<bool>(compiled))
          << llvm::toString(compiled.takeError());
      if (variant != 2) {
        EXPECT_EQ((*compiled)->numTileProgramOps(), 1);
        EXPECT_EQ((*compiled)->numUntiledOps(), 0) << "an op fell back";
        EXPECT_EQ((*compiled)->vectorWidth(), width);
      }
      for (uint64_t seed : {1u, 2u, 3u}) {
        SCOPED_TRACE(testing::Message() << "seed " << seed);
        auto args = makeRandomInputs(*binding, size, seed);
        ASSERT_TRUE(static_cast<bool>(args));
        attn::test::runAndCompare(**compiled, *concrete, size, *args, *args);
        if (testing::Test::HasFatalFailure())
          return;
      }
    }
  }
}

std::string caseName(const ::testing::TestParamInfo<NumericsParam> &info) {
  return std::string(kCases[std::get<0>(info.param)].name) + "_" +
         std::get<1>(info.param) + (std::get<2>(info.param) ? "_lse" : "") +
         "_w" + std::to_string(std::get<3>(info.param));
}

const auto kWidths = ::testing::Values(int64_t(8), int64_t(16));

INSTANTIATE_TEST_SUITE_P(
    F32, NumericsTest,
    ::testing::Combine(::testing::Range(0, int(std::size(kCases))),
                       ::testing::Values("f32"), ::testing::Values(false),
                       kWidths),
    caseName);

// logsumexp only exists for softmax: the first cases.
INSTANTIATE_TEST_SUITE_P(
    F32Lse, NumericsTest,
    ::testing::Combine(::testing::Range(0, 5), ::testing::Values("f32"),
                       ::testing::Values(true), kWidths),
    caseName);

// Softmax operand cases with the logsumexp (sinks join it).
INSTANTIATE_TEST_SUITE_P(
    F32OperandsLse, NumericsTest,
    ::testing::Combine(::testing::Range(kFirstOperandCase,
                                        kFirstOperandCase + 5),
                       ::testing::Values("f32"), ::testing::Values(true),
                       kWidths),
    caseName);

// The softmax -inf cases with the logsumexp (-inf for the fully masked rows).
INSTANTIATE_TEST_SUITE_P(
    F32NegInfLse, NumericsTest,
    ::testing::Combine(::testing::Range(kFirstNegInfCase, kFirstNegInfCase + 3),
                       ::testing::Values("f32"), ::testing::Values(true),
                       kWidths),
    caseName);

INSTANTIATE_TEST_SUITE_P(
    HalfNegInf, NumericsTest,
    ::testing::Combine(::testing::Values(kFirstNegInfCase,
                                         kFirstNegInfCase + 2,
                                         kFirstNegInfCase + 9),
                       ::testing::Values("f16", "bf16"),
                       ::testing::Values(false), kWidths),
    caseName);

INSTANTIATE_TEST_SUITE_P(
    HalfOperands, NumericsTest,
    ::testing::Combine(::testing::Values(kFirstOperandCase,
                                         kFirstOperandCase + 4,
                                         kFirstOperandCase + 5),
                       ::testing::Values("f16", "bf16"),
                       ::testing::Values(false), kWidths),
    caseName);

INSTANTIATE_TEST_SUITE_P(
    Half, NumericsTest,
    ::testing::Combine(::testing::Values(0, 1, 3, 9),
                       ::testing::Values("f16", "bf16"),
                       ::testing::Values(false), kWidths),
    caseName);

//===----------------------------------------------------------------------===//
// The tile program (attn-to-tile, convert-attn-tile-to-loops): compiled once
// from the shape-generic spec, run at every shape
//===----------------------------------------------------------------------===//

using TileProgramParam = std::tuple<int, const char *, bool>;

/// The tile program with tiles that divide none of the test lengths (every
/// tile crosses an end somewhere) and `splitKv` key splits, its work items on
/// 3 threads (on any host: the pool's threads and the caller).
CompileOptions tileProgramOptions(int64_t splitKv) {
  CompileOptions options;
  options.lowering = CompileOptions::Lowering::TileProgram;
  options.threads = 3;
  options.tileQ = 6;
  options.tileKv = 7;
  options.splitKv = splitKv;
  return options;
}

class TileProgramNumericsTest
    : public ::testing::TestWithParam<TileProgramParam> {
protected:
  void SetUp() override { attn::test::setUpCompileContext(context); }
  MLIRContext context;
};

/// Tiles and lowering of one tile-program compilation.
struct TileConfig {
  int64_t tileQ, tileKv;
  int64_t vectorWidth; // 0: the portable lowering only
  int64_t splitKv;
};

/// Tiles of the vector kernels, at both widths whatever the host (LLVM
/// legalizes 16 lanes on AVX2): transposed keys with row blocks that leave
/// a remainder (10 = 3 + 3 + 3 + 1 rows at 8 lanes), the same at 16 lanes,
/// and query tiles narrower than a vector (row dot products).
const TileConfig kVectorTiles[] = {{10, 16, 8, 0}, {20, 16, 16, 0},
                                   {6, 16, 8, 0}};

/// How the chunk sizes of the chunked linear form meet the tile
/// configurations.
enum class ChunkPairing {
  /// Every chunk size with every configuration.
  All,
  /// Configuration i with chunk (i + o) mod #chunks, o = 1 for bf16 and 0
  /// for f32: each configuration compiles once, and over the two element
  /// types every chunk size meets the portable and the vector lowering
  /// (a third of the compilations of All, which made the linear suites
  /// 18% of CI's test time).
  Rotate,
};

/// Tile-program compilations of `c` against the reference at every shape
/// of kShapes, two seeds each: the portable lowering with tiles dividing
/// none of the lengths at each of `splits` key splits, and each of
/// kVectorTiles at one of them in turn.
void checkTileProgramAtEveryShape(MLIRContext &context, const SpecCase &c,
                                  const char *elementType, bool lse,
                                  ArrayRef<int64_t> linearChunks = {64},
                                  ArrayRef<int64_t> splits = {1, 3},
                                  ArrayRef<Shape> shapes = kShapes,
                                  ChunkPairing pairing = ChunkPairing::All) {
  std::string source = makeSpec(c, elementType, lse);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << source;
  FailureOr<SpecBinding> binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));

  // Without and with the split-KV form (up to 3 key splits), and each
  // chunk size of the chunked linear form (0: its quadratic form).
  SmallVector<TileConfig> tileConfigs;
  for (int64_t splitKv : splits)
    tileConfigs.push_back({6, 7, 0, splitKv});
  for (auto [i, tiles] : llvm::enumerate(kVectorTiles)) {
    tileConfigs.push_back(tiles);
    tileConfigs.back().splitKv = splits[i % splits.size()];
  }
  SmallVector<std::pair<TileConfig, int64_t>> configs;
  size_t offset = StringRef(elementType) == "bf16" ? 1 : 0;
  for (auto [i, tiles] : llvm::enumerate(tileConfigs)) {
    if (pairing == ChunkPairing::Rotate) {
      configs.push_back(
          {tiles, linearChunks[(i + offset) % linearChunks.size()]});
      continue;
    }
    for (int64_t chunk : linearChunks)
      configs.push_back({tiles, chunk});
  }
  for (auto [tiles, chunk] : configs) {
    CompileOptions options = tileProgramOptions(tiles.splitKv);
    options.tileQ = tiles.tileQ;
    options.tileKv = tiles.tileKv;
    options.vectorWidth = tiles.vectorWidth;
    options.portableTiles = tiles.vectorWidth == 0;
    options.linearChunk = chunk;
    auto compiled = CompiledFunction::compile(*module, "spec", options);
    ASSERT_TRUE(static_cast<bool>(compiled))
        << llvm::toString(compiled.takeError());
    EXPECT_EQ((*compiled)->numTileProgramOps(), 1);
    EXPECT_EQ((*compiled)->queryTile(), tiles.tileQ);

    for (const Shape &s : shapes) {
      ProblemSize size{s.b, s.hq, s.hkv, s.nq, s.nk, s.d, s.dv};
      SCOPED_TRACE(testing::Message()
                   << c.name << " " << elementType << " tiles "
                   << tiles.tileQ << "x" << tiles.tileKv << " lanes "
                   << tiles.vectorWidth << " split-kv " << tiles.splitKv
                   << " linear-chunk " << chunk << " B=" << s.b
                   << " Hq=" << s.hq << " Hkv=" << s.hkv << " Nq=" << s.nq
                   << " Nk=" << s.nk << " D=" << s.d << " Dv=" << s.dv);
      auto shapeArgs = makeRandomInputs(*binding, size, 0);
      ASSERT_TRUE(static_cast<bool>(shapeArgs))
          << llvm::toString(shapeArgs.takeError());
      auto specialized = specializeToShapes(*binding, *shapeArgs);
      ASSERT_TRUE(succeeded(specialized));
      auto concrete = bindSpec(**specialized, "spec");
      ASSERT_TRUE(succeeded(concrete));
      for (uint64_t seed : {1u, 2u}) {
        SCOPED_TRACE(testing::Message() << "seed " << seed);
        auto args = makeRandomInputs(*binding, size, seed);
        ASSERT_TRUE(static_cast<bool>(args));
        attn::test::runAndCompare(**compiled, *concrete, size, *args, *args);
        if (testing::Test::HasFatalFailure())
          return;
      }
    }
  }
}

TEST_P(TileProgramNumericsTest, OneCompilationMatchesReferenceAtEveryShape) {
  auto [caseIndex, elementType, lse] = GetParam();
  checkTileProgramAtEveryShape(context, kCases[caseIndex], elementType, lse);
}

// split-kv = 0: the split count chosen at run time (decode shapes with many
// key tiles split, long query sequences do not), masks, sinks and the lse.
TEST(TileProgramAutoSplitTest, MatchesReferenceAtDecodeAndPrefillShapes) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  const Shape shapes[] = {
      {1, 2, 1, 1, 300, 16, 16},  // one query, 43 key tiles: 11 splits
      {2, 4, 2, 3, 200, 8, 12},   // three queries, GQA
      {1, 4, 2, 37, 37, 16, 16},  // prefill: 1 split
  };
  for (const char *name : {"dense", "causal", "streaming", "sinks"}) {
    SCOPED_TRACE(name);
    for (bool lse : {false, true})
      checkTileProgramAtEveryShape(context, kCases[caseIndex(name)], "f32",
                                   lse, {64}, {0}, shapes);
  }
}

// Head dimensions that whole vectors do not divide: the packed keys pad D
// to whole vectors (channels past D read as 0, never read by the score
// kernel), at 8 and 16 lanes, with key lengths that end inside a tile.
TEST(TileProgramPackedKeysTest, HeadDimsThatVectorsDoNotDivide) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  const Shape shapes[] = {
      {1, 2, 1, 21, 45, 20, 12}, // D = 16 + 4
      {1, 2, 2, 17, 33, 7, 8},   // D below one vector
      {1, 1, 1, 33, 50, 33, 5},  // D = 2 * 16 + 1
  };
  for (const char *name : {"dense", "causal"}) {
    SCOPED_TRACE(name);
    checkTileProgramAtEveryShape(context, kCases[caseIndex(name)], "f32",
                                 /*lse=*/false, {64}, {1}, shapes);
  }
}

//===----------------------------------------------------------------------===//
// Linear attention (feature maps, decay): the tile program is its only
// lowering
//===----------------------------------------------------------------------===//

#define ATTN_TEST_LINEAR "normalization(#attn.normalize<identity, l1>) scale(1.0)"
#define ATTN_TEST_DECAY_HEAD ", %a: tensor<1x?x1xf32>", "decay(%a : tensor<1x?x1xf32>)"
#define ATTN_TEST_DECAY_TOKEN ", %a: tensor<?x?x?xf32>", "decay(%a : tensor<?x?x?xf32>)"
// The weight and bias arguments of #attn.feature_map<hedgehog>.
#define ATTN_TEST_HEDGEHOG_ARGS(w, b)                                         \
  ", %w: tensor<" w "xf32>, %fb: tensor<" b "xf32>"

const SpecCase kLinearCases[] = {
    {"elu_causal_l1",
     "feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal) " ATTN_TEST_LINEAR},
    // The default scale 1/sqrt(D) applies to phi(q) . phi(k) too.
    {"relu_dense_l1",
     "feature_map(#attn.feature_map<relu>) normalization(#attn.normalize<identity, l1>)"},
    {"sigmoid_window_l1",
     "feature_map(#attn.feature_map<sigmoid>) "
     "mask(#attn.window<left = 5, right = 3>) " ATTN_TEST_LINEAR},
    {"exp_causal_unnormalized",
     "feature_map(#attn.feature_map<exp>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity>) scale(0.125)"},
    {"silu_causal_softmax",
     "feature_map(#attn.feature_map<silu>) mask(#attn.causal)"},
    {"decay_per_head",
     "mask(#attn.causal) normalization(#attn.normalize<identity>) scale(1.0)",
     ATTN_TEST_DECAY_HEAD},
    {"decay_per_token_elu_l1",
     "feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal) " ATTN_TEST_LINEAR,
     ATTN_TEST_DECAY_TOKEN},
    {"decay_causal_window",
     "mask(#attn.and<[#attn.causal, #attn.window<left = 4, right = 0>]>) "
     "normalization(#attn.normalize<identity>) scale(1.0)",
     ATTN_TEST_DECAY_TOKEN},
    // A -inf score of a kept key stays excluded under the decay. Positive
    // features keep the l1 normalizer away from 0: with signed raw scores
    // it can nearly cancel, and any change of summation order (the vector
    // kernels') moves the result by more than f32's tolerance.
    {"decay_neg_inf_first_key",
     "feature_map(#attn.feature_map<elu_plus_one>) "
     "mask(#attn.causal) normalization(#attn.normalize<identity, l1>) "
     ATTN_TEST_NEG_INF_FIRST_KEY,
     ATTN_TEST_DECAY_TOKEN},
    // Feature maps that change the feature dimension (index
    // kFirstExpandedCase on): hedgehog's learned exp map with F != D (a
    // static F in the weight's type: 6 below every D of the shapes, 24
    // above; a map per head or one shared) and Based's taylor2
    // (1 + D + D^2 features), in the chunked form (causal) and the
    // quadratic one (other masks), with l1, softmax, unnormalized and a
    // decay.
    {"hedgehog_causal_l1",
     "feature_map(#attn.feature_map<hedgehog>, %w, %fb : tensor<?x6x?xf32>, "
     "tensor<?x6xf32>) mask(#attn.causal) " ATTN_TEST_LINEAR,
     ATTN_TEST_HEDGEHOG_ARGS("?x6x?", "?x6")},
    {"hedgehog_shared_window_l1",
     "feature_map(#attn.feature_map<hedgehog>, %w, %fb : tensor<1x24x?xf32>, "
     "tensor<1x24xf32>) mask(#attn.window<left = 5, right = 3>) "
     "normalization(#attn.normalize<identity, l1>)",
     ATTN_TEST_HEDGEHOG_ARGS("1x24x?", "1x24")},
    {"hedgehog_causal_softmax",
     "feature_map(#attn.feature_map<hedgehog>, %w, %fb : tensor<?x?x?xf32>, "
     "tensor<?x?xf32>) mask(#attn.causal)",
     ATTN_TEST_HEDGEHOG_ARGS("?x?x?", "?x?")},
    {"hedgehog_decay_l1",
     "feature_map(#attn.feature_map<hedgehog>, %w, %fb : tensor<?x6x?xf32>, "
     "tensor<?x6xf32>) mask(#attn.causal) " ATTN_TEST_LINEAR,
     ATTN_TEST_HEDGEHOG_ARGS("?x6x?", "?x6") ", %a: tensor<?x?x?xf32>",
     "decay(%a : tensor<?x?x?xf32>)"},
    {"taylor2_causal_l1",
     "feature_map(#attn.feature_map<taylor2>) mask(#attn.causal) " ATTN_TEST_LINEAR},
    {"taylor2_window_l1",
     "feature_map(#attn.feature_map<taylor2>) "
     "mask(#attn.window<left = 5, right = 3>) " ATTN_TEST_LINEAR},
    {"taylor2_decay_unnormalized",
     "feature_map(#attn.feature_map<taylor2>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity>) scale(0.125)",
     ATTN_TEST_DECAY_HEAD},
    // Separate query and key maps (Efficient Attention, L06): the row
    // softmax on the queries, the key maps over the whole key sequence
    // (once per call: for Nq != Nk the keys' own length), unnormalized
    // (rows sum to 1 by construction), with l1 under a window (the mask
    // does not change the sequence normalization), under softmax, and the
    // 1/Nk scaling variant.
    {"efficient_softmax",
     "feature_map(#attn.feature_map<softmax, keys = sequence_softmax>) "
     "normalization(#attn.normalize<identity>) scale(1.0)"},
    {"efficient_window_l1",
     "feature_map(#attn.feature_map<softmax, keys = sequence_softmax>) "
     "mask(#attn.window<left = 5, right = 3>) " ATTN_TEST_LINEAR},
    {"sigmoid_sequence_softmax_keys_softmax",
     "feature_map(#attn.feature_map<sigmoid, keys = sequence_softmax>)"},
    {"efficient_scaled",
     "feature_map(#attn.feature_map<identity, keys = sequence_scale>) "
     "normalization(#attn.normalize<identity>) scale(1.0)"},
    // Key maps that read the queries (once per call, per query head: GQA
    // and Nq != Nk give each head its own weights): RALA's keys weighted
    // by the softmax against the mean query (l1; the global form without a
    // mask), under a window with softmax, and Flowformer's flows (key
    // weights and row factors), alone and with a window and l1.
    {"rala_l1",
     "feature_map(#attn.feature_map<elu_plus_one, keys = query_weighted>) "
     ATTN_TEST_LINEAR},
    {"query_weighted_window_softmax",
     "feature_map(#attn.feature_map<exp, keys = query_weighted>) "
     "mask(#attn.window<left = 5, right = 3>)"},
    {"flow",
     "feature_map(#attn.feature_map<sigmoid, keys = flow>) "
     "normalization(#attn.normalize<identity>) scale(1.0)"},
    {"flow_window_l1",
     "feature_map(#attn.feature_map<elu_plus_one, keys = flow>) "
     "mask(#attn.window<left = 5, right = 3>) " ATTN_TEST_LINEAR},
};
constexpr int kFirstExpandedCase = 9;
constexpr int kFirstSeparateMapsCase = 16;

class LinearAttentionNumericsTest
    : public ::testing::TestWithParam<std::tuple<int, const char *>> {
protected:
  void SetUp() override { attn::test::setUpCompileContext(context); }
  MLIRContext context;
};

TEST_P(LinearAttentionNumericsTest, OneCompilationMatchesReferenceAtEveryShape) {
  auto [caseIndex, elementType] = GetParam();
  // Chunks that divide none of the lengths, and wider than all of them.
  checkTileProgramAtEveryShape(context, kLinearCases[caseIndex], elementType,
                               false, {0, 5, 64}, {1, 3}, kShapes,
                               ChunkPairing::Rotate);
}

INSTANTIATE_TEST_SUITE_P(
    All, LinearAttentionNumericsTest,
    ::testing::Combine(::testing::Range(0, int(std::size(kLinearCases))),
                       ::testing::Values("f32", "bf16")),
    [](const ::testing::TestParamInfo<std::tuple<int, const char *>> &info) {
      return std::string(kLinearCases[std::get<0>(info.param)].name) + "_" +
             std::get<1>(info.param);
    });

// The maps that change the feature dimension at one token, at a head
// dimension no vector divides (5, and Dv 12), and at lengths of several
// chunks that no chunk divides: the state is [F' x Dv] whatever D is.
TEST(LinearAttentionEdgeTest, ExpandedFeatureMapsAtOneTokenAndOddDims) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  const Shape shapes[] = {
      {1, 2, 2, 1, 1, 8, 8},     // N = 1
      {2, 2, 1, 130, 130, 5, 12}, // D = 5, Dv = 12, 130 = 2 * 64 + 2
      {1, 2, 2, 3, 70, 4, 4},    // Nq < Nk (a decode step of 3 queries)
  };
  ASSERT_STREQ(kLinearCases[kFirstExpandedCase].name, "hedgehog_causal_l1");
  ASSERT_STREQ(kLinearCases[kFirstSeparateMapsCase].name, "efficient_softmax");
  for (int i = kFirstExpandedCase; i < kFirstSeparateMapsCase; ++i) {
    SCOPED_TRACE(kLinearCases[i].name);
    checkTileProgramAtEveryShape(context, kLinearCases[i], "f32", false,
                                 {0, 5, 64}, {1}, shapes);
    if (testing::Test::HasFatalFailure())
      return;
  }
}

// The maps over the key sequence, and the key maps that read the queries
// (RALA, Flowformer: per query head, GQA), at one key (the softmax over one
// key is 1), at a head dimension no vector divides, and with many more keys
// than queries (each key feature normalized over all Nk = 300 keys).
// Non-causal: the quadratic form (chunk 0) and, for the specs without a
// mask, the global form (64).
TEST(LinearAttentionEdgeTest, SequenceKeyMapsAtOneKeyAndOddDims) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  const Shape shapes[] = {
      {1, 2, 2, 1, 1, 8, 8},     // N = 1
      {2, 2, 1, 70, 70, 5, 12},  // D = 5, Dv = 12
      {1, 2, 2, 3, 300, 4, 4},   // Nq < Nk
  };
  ASSERT_STREQ(kLinearCases[kFirstSeparateMapsCase].name, "efficient_softmax");
  for (int i = kFirstSeparateMapsCase; i < int(std::size(kLinearCases)); ++i) {
    SCOPED_TRACE(kLinearCases[i].name);
    checkTileProgramAtEveryShape(context, kLinearCases[i], "f32", false,
                                 {0, 64}, {2}, shapes);
    if (testing::Test::HasFatalFailure())
      return;
  }
}

//===----------------------------------------------------------------------===//
// Gated linear attention: a decay per key channel (GLA's diagonal gates),
// tile program only
//===----------------------------------------------------------------------===//

#define ATTN_TEST_GATE_TOKEN ", %a: tensor<?x?x?x?xf32>", "decay(%a : tensor<?x?x?x?xf32>)"
#define ATTN_TEST_UNNORMALIZED "normalization(#attn.normalize<identity>) scale(1.0)"

const SpecCase kGatedCases[] = {
    // GLA itself: raw q, k, a gate per token and channel, no denominator.
    {"gla_causal", "mask(#attn.causal) " ATTN_TEST_UNNORMALIZED,
     ATTN_TEST_GATE_TOKEN},
    {"gla_elu_l1",
     "feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal) " ATTN_TEST_LINEAR,
     ATTN_TEST_GATE_TOKEN},
    // One gate per (head, channel), shared by the tokens and the batch.
    {"gla_head_channels_silu",
     "feature_map(#attn.feature_map<silu>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity>) scale(0.25)",
     ", %a: tensor<1x?x1x?xf32>", "decay(%a : tensor<1x?x1x?xf32>)"},
    // Another mask than causal alone: the quadratic form only.
    {"gla_causal_window",
     "mask(#attn.and<[#attn.causal, #attn.window<left = 4, right = 0>]>) " ATTN_TEST_UNNORMALIZED,
     ATTN_TEST_GATE_TOKEN},
    // GLA's output: the row's RMS norm times an element-wise gate.
    {"gla_rms_gate",
     "mask(#attn.causal) " ATTN_TEST_UNNORMALIZED
     " epilogue(#attn.epilogue<rms_norm, eps = 1.0e-06>)",
     ", %a: tensor<?x?x?x?xf32>, %g: tensor<?x?x?x?xf32>",
     "output_gate(%g : tensor<?x?x?x?xf32>) decay(%a : tensor<?x?x?x?xf32>)"},
};

class GatedLinearAttentionNumericsTest
    : public ::testing::TestWithParam<std::tuple<int, const char *>> {
protected:
  void SetUp() override { attn::test::setUpCompileContext(context); }
  MLIRContext context;
};

TEST_P(GatedLinearAttentionNumericsTest, OneCompilationMatchesReferenceAtEveryShape) {
  auto [caseIndex, elementType] = GetParam();
  checkTileProgramAtEveryShape(context, kGatedCases[caseIndex], elementType,
                               false, {0, 5, 64}, {1, 3}, kShapes,
                               ChunkPairing::Rotate);
}

INSTANTIATE_TEST_SUITE_P(
    All, GatedLinearAttentionNumericsTest,
    ::testing::Combine(::testing::Range(0, int(std::size(kGatedCases))),
                       ::testing::Values("f32", "bf16")),
    [](const ::testing::TestParamInfo<std::tuple<int, const char *>> &info) {
      return std::string(kGatedCases[std::get<0>(info.param)].name) + "_" +
             std::get<1>(info.param);
    });

/// Random inputs of `size` for the spec of `c` (f32) with every gate of
/// channel x set to gates[x % gates.size()].
static std::optional<std::vector<NDArray>>
gatedInputs(const SpecBinding &binding, const ProblemSize &size,
            ArrayRef<double> gates, unsigned seed) {
  auto args = makeRandomInputs(binding, size, seed);
  if (!args) {
    llvm::consumeError(args.takeError());
    return std::nullopt;
  }
  NDArray &decay = (*args)[3];
  int64_t channels = decay.shape()[3];
  for (int64_t x = 0, n = decay.numElements(); x < n; ++x)
    decay.setDouble(x, gates[(x % channels) % gates.size()]);
  return std::move(*args);
}

// N = 1, lengths no chunk divides, gates near 0 (1e-3: two steps
// underflow) and near 1 (0.999, 1 - 2^-12) in neighbouring channels of
// the same head, against the reference at chunks 0, 5 and 64.
TEST(GatedLinearAttentionEdgeTest, GatesNearZeroAndOneAtOneTokenAndOddLengths) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  std::string source = makeSpec(kGatedCases[0], "f32", false);
  auto module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module);
  auto binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  const ProblemSize sizes[] = {{1, 2, 2, 1, 1, 8, 8},
                               {1, 2, 1, 300, 300, 6, 5},
                               {1, 1, 1, 7, 70, 16, 4}};
  const double gates[] = {0.999, 1e-3, 1.0 - 1.0 / 4096, 0.5};
  // One compilation per chunk size serves every shape.
  for (int64_t chunk : {0, 5, 64}) {
    SCOPED_TRACE(testing::Message() << "linear-chunk " << chunk);
    CompileOptions options;
    options.lowering = CompileOptions::Lowering::TileProgram;
    options.linearChunk = chunk;
    auto compiled = CompiledFunction::compile(*module, "spec", options);
    ASSERT_TRUE(static_cast<bool>(compiled))
        << llvm::toString(compiled.takeError());
    for (const ProblemSize &size : sizes) {
      SCOPED_TRACE(testing::Message() << "N " << size.nk << " D " << size.d);
      auto args = gatedInputs(*binding, size, gates, 5);
      ASSERT_TRUE(args.has_value());
      auto specialized = specializeToShapes(*binding, *args);
      ASSERT_TRUE(succeeded(specialized));
      auto concrete = bindSpec(**specialized, "spec");
      ASSERT_TRUE(succeeded(concrete));
      Comparison out;
      attn::test::runAndCompare(**compiled, *concrete, size, *args, *args,
                                &out);
      EXPECT_EQ(out.nonFinite, 0);
    }
  }
}

// 16384 tokens through the chunked form against the gated recurrence in
// float64 (S_t = diag(a_t) S_{t-1} + k_t v_t^T, o_t = q_t S_t): gates 0.999,
// 1 - 2^-12, 1e-3 and 1 in the channels, no overflow, no NaN.
TEST(GatedLinearAttentionEdgeTest, SixteenThousandTokensMatchTheRecurrence) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  auto module = parseSourceString<ModuleOp>(
      makeSpec(kGatedCases[0], "f32", false), &context);
  ASSERT_TRUE(module);
  auto binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  const int64_t n = 16384, d = 4;
  ProblemSize size{1, 1, 1, n, n, d, d};
  const double gates[] = {0.999, 1.0 - 1.0 / 4096, 1e-3, 1.0};
  auto args = gatedInputs(*binding, size, gates, 7);
  ASSERT_TRUE(args.has_value());
  CompileOptions options;
  options.lowering = CompileOptions::Lowering::TileProgram;
  auto compiled = CompiledFunction::compile(*module, "spec", options);
  ASSERT_TRUE(static_cast<bool>(compiled)) << llvm::toString(compiled.takeError());
  NDArray out(DType::F32, {1, 1, n, d});
  ASSERT_FALSE(static_cast<bool>((*compiled)->run(
      {&(*args)[0], &(*args)[1], &(*args)[2], &(*args)[3]}, {&out})));
  auto at = [&](const NDArray &a, int64_t t, int64_t x) {
    return a.getDouble(t * d + x);
  };
  std::vector<double> state(d * d, 0.0);
  double worst = 0.0, largest = 0.0;
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t x = 0; x < d; ++x)
      for (int64_t y = 0; y < d; ++y)
        state[x * d + y] = gates[x] * state[x * d + y] +
                           at((*args)[1], t, x) * at((*args)[2], t, y);
    for (int64_t y = 0; y < d; ++y) {
      double o = 0.0;
      for (int64_t x = 0; x < d; ++x)
        o += at((*args)[0], t, x) * state[x * d + y];
      double got = at(out, t, y);
      ASSERT_TRUE(std::isfinite(got)) << "t " << t;
      worst = std::max(worst, std::abs(got - o));
      largest = std::max(largest, std::abs(o));
    }
  }
  // f32 sums over an effective window of 1 / (1 - a) tokens; the gate of
  // 1 sums every token.
  EXPECT_LT(worst, 1e-4 * largest) << "largest " << largest;
}

/// The zoo spec at `relPath` (under zoo/), compiled for the tile program.
static std::unique_ptr<CompiledFunction>
compileZooSpec(MLIRContext &context, const std::string &relPath,
               const char *entry) {
  std::string path = std::string(ATTN_ZOO_DIR) + "/" + relPath;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    ADD_FAILURE() << "cannot read " << path;
    return nullptr;
  }
  auto module = parseSourceString<ModuleOp>((*buffer)->getBuffer(), &context);
  if (!module) {
    ADD_FAILURE() << "cannot parse " << path;
    return nullptr;
  }
  CompileOptions options;
  options.lowering = CompileOptions::Lowering::TileProgram;
  auto compiled = CompiledFunction::compile(*module, entry, options);
  if (!compiled) {
    ADD_FAILURE() << llvm::toString(compiled.takeError());
    return nullptr;
  }
  return std::move(*compiled);
}

// L08 Gated Slot Attention end to end: the two zoo specs (the slot scores,
// one head per slot; the readout, GLA over the slots with the softmax as
// the query map) with the caller's reshapes between them, against the
// layer's recurrence in float64 (K~_t = diag(a_t) K~_{t-1} + (1 - a_t)
// k_t^T, V~_t likewise, o_t = V~_t^T softmax(K~_t q_t)).
TEST(GatedSlotAttentionTest, TwoPassesMatchTheSlotRecurrence) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  auto scores = compileZooSpec(context, "linear/gated_slot_scores.mlir",
                               "gsa_slots");
  auto readout = compileZooSpec(context, "linear/gated_slot_readout.mlir",
                                "gsa_readout");
  ASSERT_TRUE(scores && readout);
  const int64_t H = 2, m = 4, N = 70, D = 8, Dv = 6;
  std::mt19937_64 rng(31);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> gate(0.5, 0.99);
  NDArray q(DType::F32, {1, H, N, D}), k(DType::F32, {1, H, N, D}),
      v(DType::F32, {1, H, N, Dv}), alpha(DType::F32, {1, H, N, m});
  for (NDArray *a : {&q, &k, &v})
    for (int64_t x = 0; x < a->numElements(); ++x)
      a->setDouble(x, normal(rng));
  for (int64_t x = 0; x < alpha.numElements(); ++x)
    alpha.setDouble(x, gate(rng));
  // Pass 1: head h * m + c is slot c of head h.
  NDArray q1(DType::F32, {1, H * m, N, D}), g1(DType::F32, {1, H * m, N, 1}),
      map(DType::I32, {H * m}), a1(DType::F32, {1, H * m, N}),
      s1(DType::F32, {1, H * m, N, 1});
  for (int64_t h = 0; h < H; ++h)
    for (int64_t c = 0; c < m; ++c) {
      int64_t slot = h * m + c;
      map.setDouble(slot, slot);
      for (int64_t t = 0; t < N; ++t) {
        for (int64_t x = 0; x < D; ++x)
          q1.setDouble((slot * N + t) * D + x, q.getDouble((h * N + t) * D + x));
        double a = alpha.getDouble((h * N + t) * m + c);
        g1.setDouble(slot * N + t, 1.0 - a);
        a1.setDouble(slot * N + t, a);
      }
    }
  ASSERT_FALSE(static_cast<bool>(
      scores->run({&q1, &k, &g1, &map, &a1}, {&s1})));
  // Pass 2: the slot scores as [1, H, N, m] queries.
  NDArray s2(DType::F32, {1, H, N, m}), g2(DType::F32, {1, H, N, m}),
      out(DType::F32, {1, H, N, Dv});
  for (int64_t h = 0; h < H; ++h)
    for (int64_t t = 0; t < N; ++t)
      for (int64_t c = 0; c < m; ++c) {
        s2.setDouble((h * N + t) * m + c, s1.getDouble((h * m + c) * N + t));
        g2.setDouble((h * N + t) * m + c,
                     1.0 - alpha.getDouble((h * N + t) * m + c));
      }
  ASSERT_FALSE(static_cast<bool>(readout->run({&s2, &g2, &v, &alpha}, {&out})));
  double worst = 0.0, largest = 0.0;
  for (int64_t h = 0; h < H; ++h) {
    std::vector<double> slotKeys(m * D, 0.0), slotValues(m * Dv, 0.0);
    for (int64_t t = 0; t < N; ++t) {
      std::vector<double> logits(m, 0.0);
      for (int64_t c = 0; c < m; ++c) {
        double a = alpha.getDouble((h * N + t) * m + c);
        for (int64_t x = 0; x < D; ++x)
          slotKeys[c * D + x] = a * slotKeys[c * D + x] +
                                (1 - a) * k.getDouble((h * N + t) * D + x);
        for (int64_t y = 0; y < Dv; ++y)
          slotValues[c * Dv + y] = a * slotValues[c * Dv + y] +
                                   (1 - a) * v.getDouble((h * N + t) * Dv + y);
        for (int64_t x = 0; x < D; ++x)
          logits[c] += slotKeys[c * D + x] * q.getDouble((h * N + t) * D + x);
      }
      double top = *std::max_element(logits.begin(), logits.end()), sum = 0.0;
      for (double &l : logits)
        sum += l = std::exp(l - top);
      for (int64_t y = 0; y < Dv; ++y) {
        double o = 0.0;
        for (int64_t c = 0; c < m; ++c)
          o += logits[c] / sum * slotValues[c * Dv + y];
        worst = std::max(worst, std::abs(out.getDouble((h * N + t) * Dv + y) - o));
        largest = std::max(largest, std::abs(o));
      }
    }
  }
  EXPECT_LT(worst, 1e-5 * std::max(1.0, largest)) << "largest " << largest;
}

//===----------------------------------------------------------------------===//
// Row epilogues (rms_norm, element-wise output gates) and affine
// normalizations (subtractive, mala): tile program only
//===----------------------------------------------------------------------===//

#define ATTN_TEST_RMS "epilogue(#attn.epilogue<rms_norm, eps = 1.0e-06>)"
#define ATTN_TEST_GATE4 ", %g: tensor<?x?x?x?xf32>", "output_gate(%g : tensor<?x?x?x?xf32>)"

const SpecCase kLinearNormCases[] = {
    // L01 TNL: silu, a decay per head, no denominator, SRMSNorm times an
    // element-wise gate (the chunked form finalizes the norm and gate).
    {"tnl_rms_gate",
     "feature_map(#attn.feature_map<silu>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity>) scale(1.0) " ATTN_TEST_RMS,
     ", %a: tensor<1x?x1xf32>, %g: tensor<?x?x?x?xf32>",
     "output_gate(%g : tensor<?x?x?x?xf32>) decay(%a : tensor<1x?x1xf32>)"},
    // A gate broadcast over the batch and the rows ([1, H, 1, Dv]), a
    // larger eps, l1.
    {"l1_rms_gate_per_head_channel",
     "feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity, l1>) scale(1.0) "
     "epilogue(#attn.epilogue<rms_norm, eps = 1.0e-03>)",
     ", %g: tensor<1x?x1x?xf32>", "output_gate(%g : tensor<1x?x1x?xf32>)"},
    // Softmax composes: a window, a gate per row broadcast over channels
    // ([B, H, N, 1]).
    {"softmax_window_rms_gate",
     "mask(#attn.window<left = 5, right = 3>) " ATTN_TEST_RMS,
     ", %g: tensor<?x?x?x1xf32>", "output_gate(%g : tensor<?x?x?x1xf32>)"},
    // Sinks (the fold before the norm) and a per-row gate.
    {"softmax_sinks_rms_gate_row",
     "mask(#attn.causal) epilogue(#attn.epilogue<rms_norm>)",
     ", %s: tensor<?xf32>, %g: tensor<?x?x?xf32>",
     "sink_logits(%s : tensor<?xf32>) output_gate(%g : tensor<?x?x?xf32>)"},
    // The two-pass form (weight_mod) finalizes through the same op.
    {"weight_mod_rms",
     "mask(#attn.causal) " ATTN_TEST_RMS " weight_mod {\n^bb0(%w: f32, "
     "%r: f32, %b: index, %h: index, %i: index, %j: index):\n"
     "  %t = math.tanh %r : f32\n  %y = arith.mulf %w, %t : f32\n"
     "  attn.yield %y : f32\n}"},
    // L13 InLine: subtractive under the causal mask (the chunked form
    // carries the value sum and the count), without a mask (N = Nk), with
    // a window (N varies per row), with a per-token decay, and with the
    // epilogue and gate on top.
    {"subtractive_causal_relu",
     "feature_map(#attn.feature_map<relu>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity, subtractive>)"},
    {"subtractive_dense_elu",
     "feature_map(#attn.feature_map<elu_plus_one>) "
     "normalization(#attn.normalize<identity, subtractive>) scale(0.25)"},
    {"subtractive_window",
     "feature_map(#attn.feature_map<relu>) "
     "mask(#attn.window<left = 4, right = 2>) "
     "normalization(#attn.normalize<identity, subtractive>)"},
    {"subtractive_decay_token",
     "feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity, subtractive>) scale(0.25)",
     ATTN_TEST_DECAY_TOKEN},
    {"subtractive_rms_gate",
     "feature_map(#attn.feature_map<relu>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity, subtractive>) " ATTN_TEST_RMS,
     ATTN_TEST_GATE4},
    // A pointwise normalization other than identity, no feature map.
    {"sigmoid_subtractive_window",
     "mask(#attn.window<left = 3, right = 3>) "
     "normalization(#attn.normalize<sigmoid, bias = -1.0, subtractive>)"},
    // A kept key whose score is -inf counts in N with weight 0.
    {"subtractive_neg_inf_first_key",
     "feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity, subtractive>) "
     ATTN_TEST_NEG_INF_FIRST_KEY},
    // L10 MALA's affine form (without RoPE and LePE), global and causal
    // with a decay.
    {"mala_dense_elu",
     "feature_map(#attn.feature_map<elu_plus_one>) "
     "normalization(#attn.normalize<identity, mala>)"},
    {"mala_causal_decay",
     "feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity, mala>) scale(1.0)",
     ATTN_TEST_DECAY_HEAD},
};

/// kShapes and: one token (Nq = Nk = 1), and 70 tokens (two chunks of 64,
/// 14 of 5) with value channels that vectors do not divide.
const Shape kLinearNormShapes[] = {
    {1, 4, 2, 37, 37, 16, 16}, {2, 4, 4, 5, 29, 8, 12},
    {1, 4, 1, 1, 19, 16, 16},  {1, 4, 2, 23, 9, 16, 8},
    {1, 2, 2, 1, 1, 16, 16},   {1, 2, 1, 70, 70, 16, 20},
};

class LinearNormNumericsTest
    : public ::testing::TestWithParam<std::tuple<int, const char *>> {
protected:
  void SetUp() override { attn::test::setUpCompileContext(context); }
  MLIRContext context;
};

TEST_P(LinearNormNumericsTest, OneCompilationMatchesReferenceAtEveryShape) {
  auto [caseIndex, elementType] = GetParam();
  checkTileProgramAtEveryShape(context, kLinearNormCases[caseIndex],
                               elementType, false, {0, 5, 64}, {1, 3},
                               kLinearNormShapes, ChunkPairing::Rotate);
}

INSTANTIATE_TEST_SUITE_P(
    All, LinearNormNumericsTest,
    ::testing::Combine(::testing::Range(0, int(std::size(kLinearNormCases))),
                       ::testing::Values("f32", "bf16")),
    [](const ::testing::TestParamInfo<std::tuple<int, const char *>> &info) {
      return std::string(kLinearNormCases[std::get<0>(info.param)].name) +
             "_" + std::get<1>(info.param);
    });

// The logsumexp is not affected by the epilogue and the gate; the split-KV
// form (softmax) merges before the norm.
TEST(LinearNormEdgeTest, EpilogueWithLogsumexpAndSplits) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  SpecCase c{"softmax_rms_gate_lse", "mask(#attn.causal) " ATTN_TEST_RMS,
             ATTN_TEST_GATE4};
  checkTileProgramAtEveryShape(context, c, "f32", /*lse=*/true, {64}, {1, 3},
                               kLinearNormShapes);
}

// Long sequences: the decay products are differences of f64 prefix sums of
// the log decay, so neither decays near 1 over 4096 tokens (0.999^4096 =
// 0.017) nor near 0 (1e-3: one step is 1e-3, two underflow to 0) overflow,
// underflow into NaN or lose accuracy.
TEST(LinearAttentionEdgeTest, LongSequencesWithDecaysNearZeroAndOne) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  SpecCase c{"long", "mask(#attn.causal) normalization(#attn.normalize<identity>) scale(1.0)",
             ATTN_TEST_DECAY_HEAD};
  std::string source = makeSpec(c, "f32", false);
  auto module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module);
  auto binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  ProblemSize size{1, 2, 2, 4096, 4096, 8, 8};
  auto args = makeRandomInputs(*binding, size, 3);
  ASSERT_TRUE(static_cast<bool>(args));
  NDArray &decay = (*args)[3];
  decay.setDouble(0, 0.999);
  decay.setDouble(1, 1e-3);
  auto specialized = specializeToShapes(*binding, *args);
  ASSERT_TRUE(succeeded(specialized));
  auto concrete = bindSpec(**specialized, "spec");
  ASSERT_TRUE(succeeded(concrete));
  // The quadratic form and the chunked one.
  for (int64_t chunk : {0, 64}) {
    SCOPED_TRACE(testing::Message() << "linear-chunk " << chunk);
    CompileOptions options;
    options.lowering = CompileOptions::Lowering::TileProgram;
    options.tileQ = 64;
    options.tileKv = 64;
    options.linearChunk = chunk;
    auto compiled = CompiledFunction::compile(*module, "spec", options);
    ASSERT_TRUE(static_cast<bool>(compiled))
        << llvm::toString(compiled.takeError());
    Comparison out;
    attn::test::runAndCompare(**compiled, *concrete, size, *args, *args, &out);
    EXPECT_EQ(out.nonFinite, 0);
  }
}

// 65536 tokens through the chunked form, against the state recurrence in
// float64 (S_t = a S_{t-1} + k_t v_t^T, o_t = q_t S_t; the quadratic
// reference would take minutes and ReferenceExtensions checks it equals the
// recurrence): decays 0.999 and 1 - 2^-12 per head, no overflow, no NaN.
TEST(LinearAttentionEdgeTest, SixtyFiveThousandTokensMatchTheRecurrence) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  SpecCase c{"long", "mask(#attn.causal) normalization(#attn.normalize<identity>) scale(1.0)",
             ATTN_TEST_DECAY_HEAD};
  auto module = parseSourceString<ModuleOp>(makeSpec(c, "f32", false), &context);
  ASSERT_TRUE(module);
  auto binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  const int64_t n = 65536, heads = 2, d = 4;
  ProblemSize size{1, heads, heads, n, n, d, d};
  auto args = makeRandomInputs(*binding, size, 7);
  ASSERT_TRUE(static_cast<bool>(args));
  const double decays[heads] = {0.999, 1.0 - 1.0 / 4096};
  for (int64_t h = 0; h < heads; ++h)
    (*args)[3].setDouble(h, decays[h]);
  CompileOptions options;
  options.lowering = CompileOptions::Lowering::TileProgram;
  auto compiled = CompiledFunction::compile(*module, "spec", options);
  ASSERT_TRUE(static_cast<bool>(compiled)) << llvm::toString(compiled.takeError());
  NDArray out(DType::F32, {1, heads, n, d});
  ASSERT_FALSE(static_cast<bool>((*compiled)->run(
      {&(*args)[0], &(*args)[1], &(*args)[2], &(*args)[3]}, {&out})));
  auto at = [&](const NDArray &a, int64_t h, int64_t t, int64_t x) {
    return a.getDouble((h * n + t) * d + x);
  };
  for (int64_t h = 0; h < heads; ++h) {
    std::vector<double> state(d * d, 0.0);
    double worst = 0.0, largest = 0.0;
    for (int64_t t = 0; t < n; ++t) {
      for (int64_t x = 0; x < d; ++x)
        for (int64_t y = 0; y < d; ++y)
          state[x * d + y] = decays[h] * state[x * d + y] +
                             at((*args)[1], h, t, x) * at((*args)[2], h, t, y);
      for (int64_t y = 0; y < d; ++y) {
        double o = 0.0;
        for (int64_t x = 0; x < d; ++x)
          o += at((*args)[0], h, t, x) * state[x * d + y];
        double got = at(out, h, t, y);
        ASSERT_TRUE(std::isfinite(got)) << "h " << h << " t " << t;
        worst = std::max(worst, std::abs(got - o));
        largest = std::max(largest, std::abs(o));
      }
    }
    // f32 sums over an effective window of 1 / (1 - a) tokens.
    EXPECT_LT(worst, 1e-4 * largest) << "head " << h << " largest " << largest;
  }
}

// A NaN and an infinity in value rows that the mask excludes for some
// rows of a tile: P V skips excluded pairs (attn_tile.accumulate ...
// excluding: the vector kernels probe each key tile's values and leave a
// tile with a non-finite value to the portable per-pair select), so the
// rows that exclude those keys stay finite and equal the reference, and
// the rows that keep them get NaN / infinity as in the reference. The tile
// program with and without split-KV, portable and at 8 lanes with tiles
// that make the NaN's tile partial or full for some rows, and its bf16-dot
// kernels (emulated, on bf16 inputs); the untiled loops.
namespace {
struct CompiledPath {
  const char *name;
  CompileOptions options;
  bool specialized; // compiled for the shapes (the untiled loops)
};

void checkExcludedNonFiniteValues(MLIRContext &context, const char *mask,
                                  const char *type,
                                  std::vector<CompiledPath> paths) {
  std::string source = makeSpec({"edge", mask}, type, false);
  auto module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module);
  auto binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  ProblemSize size{1, 2, 2, 16, 16, 8, 8};
  auto args = makeRandomInputs(*binding, size, 5);
  ASSERT_TRUE(static_cast<bool>(args));
  NDArray &v = (*args)[2];
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t x = 0; x < 8; ++x) {
      v.setDouble(((h * 16) + 5) * 8 + x, std::nan(""));
      v.setDouble(((h * 16) + 9) * 8 + x,
                  std::numeric_limits<double>::infinity());
    }
  auto specialized = specializeToShapes(*binding, *args);
  ASSERT_TRUE(succeeded(specialized));
  auto concrete = bindSpec(**specialized, "spec");
  ASSERT_TRUE(succeeded(concrete));
  // The reference: rows keeping key 5 are NaN, the rows before it finite.
  auto ref =
      reference::evaluate(concrete->op, referenceInputs(*concrete, *args));
  ASSERT_TRUE(static_cast<bool>(ref)) << llvm::toString(ref.takeError());
  EXPECT_TRUE(std::isnan(ref->output.getDouble(5 * 8)));
  EXPECT_TRUE(std::isfinite(ref->output.getDouble(4 * 8)));
  if (StringRef(type) == "bf16") {
    CompiledPath dot = paths.back();
    dot.name = "tile program bf16-dot (emulated)";
    dot.options.bf16Dot = CompileOptions::BF16Dot::Emulate;
    paths.push_back(dot);
  }
  for (const CompiledPath &path : paths) {
    SCOPED_TRACE(testing::Message()
                 << mask << " " << type << " " << path.name << " tiles "
                 << path.options.tileQ << " x " << path.options.tileKv);
    auto compiled = CompiledFunction::compile(
        path.specialized ? **specialized : *module, "spec", path.options);
    ASSERT_TRUE(static_cast<bool>(compiled))
        << llvm::toString(compiled.takeError());
    // NaN matches NaN; a leak would be NaN where the reference is finite.
    Comparison out;
    attn::test::runAndCompare(**compiled, *concrete, size, *args, *args,
                              &out);
    EXPECT_EQ(out.nonFinite, 0);
  }
}
} // namespace

TEST(ExcludedValuesTest, NonFiniteValuesOfExcludedKeysDoNotLeak) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  CompileOptions untiled, portable = tileProgramOptions(1);
  untiled.lowering = CompileOptions::Lowering::Untiled;
  portable.portableTiles = true;
  std::vector<CompiledPath> paths = {
      {"untiled loops", untiled, true},
      {"tile program", tileProgramOptions(1), false},
      {"tile program portable", portable, false},
      {"tile program split-kv 2", tileProgramOptions(2), false}};
  // The vector kernels at 8 lanes with tiles that make the NaN's tile
  // partial or full for some rows; the last one (whole pairs of vectors)
  // also runs the bf16-dot kernels on bf16 inputs.
  for (auto [tileQ, tileKv] :
       {std::pair<int64_t, int64_t>{16, 64}, {8, 8}, {16, 16}}) {
    CompileOptions vector8 = tileProgramOptions(1);
    vector8.tileQ = tileQ;
    vector8.tileKv = tileKv;
    vector8.vectorWidth = 8;
    paths.push_back({"tile program 8 lanes", vector8, false});
  }
  for (const char *mask :
       {"mask(#attn.causal)",
        "mask(#attn.and<[#attn.causal, #attn.window<left = 3, right = 0>]>)"})
    for (const char *type : {"f32", "bf16"})
      checkExcludedNonFiniteValues(context, mask, type, paths);
}

TEST(TileProgramOptionsTest, BadTilesAndSplitsAreErrors) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  std::string source = makeSpec(kCases[1], "f32", false);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module);
  auto expectError = [&](CompileOptions options, StringRef message) {
    options.lowering = CompileOptions::Lowering::TileProgram;
    auto compiled = CompiledFunction::compile(*module, "spec", options);
    ASSERT_FALSE(static_cast<bool>(compiled));
    std::string text = llvm::toString(compiled.takeError());
    EXPECT_NE(text.find(message.str()), std::string::npos) << text;
  };
  CompileOptions o;
  o.splitKv = -1;
  expectError(o, "split-kv must be in [0, 4096] (0: automatic), got -1");
  o.splitKv = 5000;
  expectError(o, "split-kv must be in [0, 4096] (0: automatic), got 5000");
  o = CompileOptions();
  o.tileQ = 70000;
  expectError(o, "tile-program tiles must be in [1, 4096], got tile-q 70000");
  o = CompileOptions();
  o.tileQ = 4096;
  o.tileKv = 4096;
  expectError(o, "score tiles hold at most 1048576 elements");
  o = CompileOptions();
  o.tileKv = -3;
  o.portableTiles = true; // its automatic query tile: 32
  expectError(o, "got tile-q 32, tile-kv -3");
}

std::string tileProgramCaseName(
    const ::testing::TestParamInfo<TileProgramParam> &info) {
  return std::string(kCases[std::get<0>(info.param)].name) + "_" +
         std::get<1>(info.param) + (std::get<2>(info.param) ? "_lse" : "");
}

INSTANTIATE_TEST_SUITE_P(
    F32, TileProgramNumericsTest,
    ::testing::Combine(::testing::Range(0, int(std::size(kCases))),
                       ::testing::Values("f32"), ::testing::Values(false)),
    tileProgramCaseName);

// Softmax cases with the logsumexp: masks, operands (sinks join it), -inf.
INSTANTIATE_TEST_SUITE_P(
    F32Lse, TileProgramNumericsTest,
    ::testing::Combine(::testing::Values(0, 1, 2, kFirstOperandCase,
                                         kFirstOperandCase + 1,
                                         kFirstOperandCase + 4,
                                         kFirstNegInfCase,
                                         kFirstNegInfCase + 2),
                       ::testing::Values("f32"), ::testing::Values(true)),
    tileProgramCaseName);

INSTANTIATE_TEST_SUITE_P(
    Half, TileProgramNumericsTest,
    ::testing::Combine(::testing::Values(0, 1, 9, kFirstOperandCase + 1,
                                         kFirstOperandCase + 4,
                                         kFirstNegInfCase + 2),
                       ::testing::Values("f16", "bf16"),
                       ::testing::Values(false)),
    tileProgramCaseName);

//===----------------------------------------------------------------------===//
// bf16 dot products (vdpbf16ps micro-kernels)
//===----------------------------------------------------------------------===//

/// The tile program's bf16-dot kernels (keys, the query tile and P packed
/// as bf16 pairs, value pairs interleaved in registers; zero padding of odd
/// D, of an odd count of value rows at the sequence end) run here with the
/// dot products emulated (attn-emulate-bf16-dot), and natively too when
/// this host has avx512bf16. Shapes: odd head dims, one token, Nq > Nk (causal rows with
/// no key), lengths that are not multiples of the tiles.
const Shape kDotShapes[] = {
    {1, 4, 2, 37, 37, 16, 16}, // GQA, length not a power of two
    {1, 4, 2, 23, 9, 15, 8},   // odd D; Nq > Nk: causal rows with no key
    {2, 2, 1, 5, 70, 7, 12},   // odd D, decode-like, several key tiles
    {1, 2, 2, 1, 1, 1, 3},     // one token, D = 1 (only the odd-D pad)
    {1, 2, 1, 40, 131, 64, 64}, // whole-vector V packing (Dv % 16 == 0)
};

/// Whether the tile program's vector kernels for `module` (tiles tq x tk)
/// use x86vector.avx512.dot.
static bool usesBF16Dot(ModuleOp module, int64_t width, int64_t tq,
                        int64_t tk) {
  OwningOpRef<ModuleOp> clone(cast<ModuleOp>(module->clone()));
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  AttnToTileOptions tiles;
  tiles.tileQ = tq;
  tiles.tileKv = tk;
  pm.addNestedPass<func::FuncOp>(createAttnToTile(tiles));
  ConvertAttnTileToVectorOptions options;
  options.vectorWidth = width;
  options.bf16Dot = true;
  pm.addNestedPass<func::FuncOp>(createConvertAttnTileToVector(options));
  if (failed(pm.run(*clone)))
    return false;
  bool found = false;
  clone->walk([&](x86vector::DotBF16Op) { found = true; });
  return found;
}

class BF16DotNumericsTest
    : public ::testing::TestWithParam<std::tuple<int, int64_t, bool>> {
protected:
  void SetUp() override {
    attn::test::setUpCompileContext(context);
  }
  MLIRContext context;
};

TEST_P(BF16DotNumericsTest, MatchesReference) {
  auto [caseIndex, width, lse] = GetParam();
  const SpecCase &c = kCases[caseIndex];
  std::string source = makeSpec(c, "bf16", lse);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << source;
  FailureOr<SpecBinding> binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));

  // Off (widening to f32) is the baseline the printed errors compare with.
  using Mode = CompileOptions::BF16Dot;
  std::vector<Mode> modes = {Mode::Off, Mode::Emulate};
  if (hostHasBF16Dot(width))
    modes.push_back(Mode::On);
  std::map<Mode, double> worst;
  // The small tiles (variant 1) exercise the kernels' row remainders and
  // two threads; the widening baseline runs the default tiles only.
  for (Mode mode : modes)
    for (int variant = 0; variant < (mode == Mode::Off ? 1 : 2); ++variant) {
      SCOPED_TRACE(testing::Message()
                   << c.name << " width " << width << " mode "
                   << static_cast<int>(mode) << " variant " << variant);
      CompileOptions o;
      o.vectorWidth = width;
      o.bf16Dot = mode;
      o.tileQ = 4 * width;
      if (variant == 1) {
        // One query vector per tile and the smallest key tile the P V
        // kernel takes (two vectors: whole pairs), on two threads.
        o.tileQ = width;
        o.tileKv = 2 * width;
        o.threads = 2;
      }
      if (mode != Mode::Off)
        ASSERT_TRUE(usesBF16Dot(*module, width, o.tileQ, o.tileKv))
            << "the bf16-dot kernels were not generated";
      // Shape-generic: compiled once for every shape below.
      auto compiled = CompiledFunction::compile(*module, "spec", o);
      ASSERT_TRUE(static_cast<bool>(compiled))
          << llvm::toString(compiled.takeError());
      EXPECT_EQ((*compiled)->numTileProgramOps(), 1);
      EXPECT_EQ((*compiled)->bf16DotKind(),
                mode == Mode::Off       ? "off"
                : mode == Mode::Emulate ? "emulated"
                                        : "native");
      for (const Shape &s : kDotShapes) {
        ProblemSize size{s.b, s.hq, s.hkv, s.nq, s.nk, s.d, s.dv};
        SCOPED_TRACE(testing::Message()
                     << " B=" << s.b << " Hq=" << s.hq << " Hkv=" << s.hkv
                     << " Nq=" << s.nq << " Nk=" << s.nk << " D=" << s.d
                     << " Dv=" << s.dv);
        auto shapeArgs = makeRandomInputs(*binding, size, 0);
        ASSERT_TRUE(static_cast<bool>(shapeArgs))
            << llvm::toString(shapeArgs.takeError());
        auto specialized = specializeToShapes(*binding, *shapeArgs);
        ASSERT_TRUE(succeeded(specialized));
        auto concrete = bindSpec(**specialized, "spec");
        ASSERT_TRUE(succeeded(concrete));
        for (uint64_t seed : {1u, 2u, 3u}) {
          SCOPED_TRACE(testing::Message() << "seed " << seed);
          auto args = makeRandomInputs(*binding, size, seed);
          ASSERT_TRUE(static_cast<bool>(args));
          // The lse: scores are exact bf16 products accumulated in f32.
          Comparison out;
          attn::test::runAndCompare(**compiled, *concrete, size, *args, *args,
                                    &out);
          if (testing::Test::HasFatalFailure())
            return;
          worst[mode] = std::max(worst[mode], out.relFrobeniusError);
        }
      }
    }
  std::printf("[ bf16-dot ] %s width %lld: worst output rel_fro: off %.3g, "
              "emulate %.3g, on %s\n",
              c.name, static_cast<long long>(width), worst[Mode::Off],
              worst[Mode::Emulate],
              worst.count(Mode::On)
                  ? std::to_string(worst[Mode::On]).c_str()
                  : "not run (no avx512bf16 here)");
}

std::string dotCaseName(
    const ::testing::TestParamInfo<std::tuple<int, int64_t, bool>> &info) {
  return std::string(kCases[std::get<0>(info.param)].name) + "_w" +
         std::to_string(std::get<1>(info.param)) +
         (std::get<2>(info.param) ? "_lse" : "");
}

// Softmax with masks, score mods, GQA; the other normalizations; regions;
// head maps, sinks, gates and weight_mod (two passes over the tiles).
INSTANTIATE_TEST_SUITE_P(
    BF16Dot, BF16DotNumericsTest,
    ::testing::Combine(::testing::Values(0, 1, 3, 5, 9, 10, 11, 12, 15, 16, 17,
                                         18, 19, 20, 21, 22),
                       ::testing::Values(int64_t(8), int64_t(16)),
                       ::testing::Values(false)),
    dotCaseName);
INSTANTIATE_TEST_SUITE_P(
    BF16DotLse, BF16DotNumericsTest,
    ::testing::Combine(::testing::Values(1, 2), ::testing::Values(int64_t(8)),
                       ::testing::Values(true)),
    dotCaseName);

/// Rows with no visible key are exactly 0 on the bf16-dot path too.
TEST(NumericsEdgeTest, BF16DotFullyMaskedRowsAreZero) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  // Causal with Nq > Nk: the first Nq - Nk rows see no key.
  std::string source = makeSpec({"causal", "mask(#attn.causal)"}, "bf16",
                                true);
  auto module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module);
  auto binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  ProblemSize size{1, 2, 1, 19, 6, 5, 4};
  auto args = makeRandomInputs(*binding, size, 11);
  ASSERT_TRUE(static_cast<bool>(args));
  auto specialized = specializeToShapes(*binding, *args);
  ASSERT_TRUE(succeeded(specialized));
  auto concrete = bindSpec(**specialized, "spec");
  ASSERT_TRUE(succeeded(concrete));
  CompileOptions o;
  o.vectorWidth = 8;
  o.tileKv = 16;
  o.bf16Dot = CompileOptions::BF16Dot::Emulate;
  auto compiled = CompiledFunction::compile(**specialized, "spec", o);
  ASSERT_TRUE(static_cast<bool>(compiled))
      << llvm::toString(compiled.takeError());
  std::vector<NDArray> results = allocateResults(*concrete, size);
  for (NDArray &r : results)
    for (int64_t i = 0; i < r.numElements(); ++i)
      r.setDouble(i, 42.0);
  std::vector<const NDArray *> argPtrs;
  for (auto &a : *args)
    argPtrs.push_back(&a);
  std::vector<NDArray *> resultPtrs = {&results[0], &results[1]};
  ASSERT_FALSE(static_cast<bool>((*compiled)->run(argPtrs, resultPtrs)));
  int64_t emptyRows = size.nq - size.nk, dv = size.dv;
  for (int64_t h = 0; h < size.hq; ++h)
    for (int64_t i = 0; i < size.nq; ++i) {
      double l = results[1].getDouble(h * size.nq + i);
      for (int64_t c = 0; c < dv; ++c) {
        double o = results[0].getDouble((h * size.nq + i) * dv + c);
        if (i < emptyRows)
          ASSERT_EQ(o, 0.0) << "head " << h << " row " << i;
        else
          ASSERT_TRUE(std::isfinite(o)) << "head " << h << " row " << i;
      }
      if (i < emptyRows)
        ASSERT_TRUE(std::isinf(l) && l < 0) << "lse row " << i;
      else
        ASSERT_TRUE(std::isfinite(l)) << "lse row " << i;
    }
}

/// Fully masked rows give exactly 0 and a logsumexp of -inf, never NaN.
TEST(NumericsEdgeTest, FullyMaskedRowsAreZero) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  std::string source = makeSpec({"none", "mask(#attn.not<#attn.full>)"}, "f32",
                                true);
  auto module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module);
  auto binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  ProblemSize size{1, 2, 1, 7, 5, 4, 4};
  auto args = makeRandomInputs(*binding, size, 7);
  ASSERT_TRUE(static_cast<bool>(args));
  auto specialized = specializeToShapes(*binding, *args);
  ASSERT_TRUE(succeeded(specialized));
  auto concrete = bindSpec(**specialized, "spec");
  auto compiled = CompiledFunction::compile(**specialized, "spec");
  ASSERT_TRUE(static_cast<bool>(compiled));
  std::vector<NDArray> results = allocateResults(*concrete, size);
  for (NDArray &r : results)
    for (int64_t i = 0; i < r.numElements(); ++i)
      r.setDouble(i, 42.0);
  std::vector<const NDArray *> argPtrs;
  for (auto &a : *args)
    argPtrs.push_back(&a);
  std::vector<NDArray *> resultPtrs = {&results[0], &results[1]};
  ASSERT_FALSE(static_cast<bool>((*compiled)->run(argPtrs, resultPtrs)));
  for (int64_t i = 0; i < results[0].numElements(); ++i)
    ASSERT_EQ(results[0].getDouble(i), 0.0) << "element " << i;
  for (int64_t i = 0; i < results[1].numElements(); ++i)
    ASSERT_TRUE(std::isinf(results[1].getDouble(i)) &&
                results[1].getDouble(i) < 0)
        << "lse element " << i;
}

} // namespace

namespace {

/// A score_mod reading a capture at the key index and dividing by a
/// captured integer: with `captureLen` < Nk the reads run past the capture
/// and with divisor 0 the division would trap.
std::string guardedSpec(int64_t captureLen) {
  std::string t = "tensor<" + std::to_string(captureLen) + "xf32>";
  return "func.func @spec(%q: tensor<1x2x9x8xf32>, %k: tensor<1x2x9x8xf32>, "
         "%v: tensor<1x2x9x8xf32>, %t: " + t + ", %d: tensor<1xi32>) -> "
         "tensor<1x2x9x8xf32> {\n"
         "  %o = attn.attention %q, %k, %v captures(%t, %d : " + t +
         ", tensor<1xi32>) mask(#attn.causal) score_mod {\n"
         "  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index, %tt: " +
         t + ", %dd: tensor<1xi32>):\n"
         "    %c0 = arith.constant 0 : index\n"
         "    %x = tensor.extract %tt[%j] : " + t + "\n"
         "    %den = tensor.extract %dd[%c0] : tensor<1xi32>\n"
         "    %ji = arith.index_cast %j : index to i32\n"
         "    %qq = arith.divsi %ji, %den : i32\n"
         "    %rr = arith.remui %ji, %den : i32\n"
         "    %sum = arith.addi %qq, %rr : i32\n"
         "    %qf = arith.sitofp %sum : i32 to f32\n"
         "    %c = arith.constant 0.25 : f32\n"
         "    %y = math.fma %qf, %c, %x : f32\n"
         "    %r = arith.addf %s, %y : f32\n"
         "    attn.yield %r : f32\n"
         "  } : tensor<1x2x9x8xf32>, tensor<1x2x9x8xf32>, tensor<1x2x9x8xf32> "
         "-> tensor<1x2x9x8xf32>\n"
         "  return %o : tensor<1x2x9x8xf32>\n}\n";
}

/// Compiled regions never fault: capture indices are clamped into the
/// capture and integer divisions by zero divide by 1. The result equals the
/// reference of the sanitized problem (the capture padded with its last
/// element, the divisor 1); the reference itself reports the raw problem.
TEST(RegionGuardTest, OutOfRangeCapturesAndZeroDivisors) {
  MLIRContext context;
  attn::test::setUpCompileContext(context);
  auto raw = parseSourceString<ModuleOp>(guardedSpec(4), &context);
  auto sanitized = parseSourceString<ModuleOp>(guardedSpec(9), &context);
  ASSERT_TRUE(raw && sanitized);
  auto rawBinding = bindSpec(*raw, "spec");
  auto cleanBinding = bindSpec(*sanitized, "spec");
  ASSERT_TRUE(succeeded(rawBinding) && succeeded(cleanBinding));

  std::mt19937_64 rng(11);
  NDArray q(DType::F32, {1, 2, 9, 8}), k(DType::F32, {1, 2, 9, 8}),
      v(DType::F32, {1, 2, 9, 8});
  q.fillNormal(rng);
  k.fillNormal(rng);
  v.fillNormal(rng);
  NDArray t(DType::F32, {4}), padded(DType::F32, {9});
  t.fillNormal(rng);
  for (int64_t j = 0; j < 9; ++j)
    padded.setDouble(j, t.getDouble(std::min<int64_t>(j, 3)));
  NDArray zero(DType::I32, {1}), one(DType::I32, {1});
  zero.setDouble(0, 0);
  one.setDouble(0, 1);

  std::vector<NDArray> rawArgs = {q, k, v, t, zero};
  std::vector<NDArray> cleanArgs = {q, k, v, padded, one};
  auto refRaw = reference::evaluate(rawBinding->op,
                                    referenceInputs(*rawBinding, rawArgs));
  EXPECT_FALSE(static_cast<bool>(refRaw)) << "the reference must report it";
  if (!refRaw)
    llvm::consumeError(refRaw.takeError());
  auto ref = reference::evaluate(cleanBinding->op,
                                 referenceInputs(*cleanBinding, cleanArgs));
  ASSERT_TRUE(static_cast<bool>(ref)) << llvm::toString(ref.takeError());

  for (CompileOptions::Lowering lowering :
       {CompileOptions::Lowering::TileProgram,
        CompileOptions::Lowering::Untiled}) {
    SCOPED_TRACE(static_cast<int>(lowering));
    CompileOptions options;
    options.lowering = lowering;
    auto compiled = CompiledFunction::compile(*raw, "spec", options);
    ASSERT_TRUE(static_cast<bool>(compiled))
        << llvm::toString(compiled.takeError());
    NDArray out(DType::F32, {1, 2, 9, 8});
    std::vector<const NDArray *> argPtrs;
    for (auto &a : rawArgs)
      argPtrs.push_back(&a);
    std::vector<NDArray *> resultPtrs = {&out};
    llvm::Error err = (*compiled)->run(argPtrs, resultPtrs);
    ASSERT_FALSE(static_cast<bool>(err)) << llvm::toString(std::move(err));
    Comparison c = compareArrays(out, ref->output, 1e-5);
    EXPECT_TRUE(c.passed) << "rel_fro " << c.relFrobeniusError;
  }
}

} // namespace
