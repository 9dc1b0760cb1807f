//===- GPUNumericsTest.cpp - GPU kernels' pre-mapping IR vs the reference -===//
//
// The GPU lowering (convert-attn-to-gpu) is written so that its IR before
// thread mapping runs on the CPU: scf-forall-to-for turns the block- and
// thread-level foralls into sequential loops (the barriers implied between
// sibling thread-level foralls hold), attn-gpu-erase-memory-spaces drops the
// workgroup address space, and the CPU lowering compiles the rest. Every zoo
// spec (zoo/**/*.mlir, found when the test starts) and a set of inline specs
// covering every normalization, lse, regions and score mods run that way on
// lengths that are not multiples of the tiles, with several tile
// configurations, and are compared with the float64 reference.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/TiledSupport.h"
#include "attn/JIT.h"
#include "attn/Pipelines/Pipelines.h"
#include "attn/Reference/Reference.h"
#include "attn/Runner/Runner.h"
#include "attn/Target/GPU.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

using namespace mlir;
using namespace attn;

namespace {

/// Tile configurations: the automatic one (whole sequence in one tile for
/// the small test sizes), several key tiles with strided thread loops, and
/// more query tiles than threads per row stage.
struct TileCase {
  const char *name;
  attn::gpu::GPUTileOptions tiles;
};
const TileCase kTiles[] = {
    {"auto", {0, 0, 128, 101376}},
    {"q16_kv8_t32", {16, 8, 32, 101376}},
    {"q8_kv16_t64", {8, 16, 64, 101376}},
};

void setUpContext(MLIRContext &context) {
  DialectRegistry registry;
  registry.insert<AttnDialect, func::FuncDialect, mlir::gpu::GPUDialect>();
  registerCPUPipelineDependencies(registry);
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();
}

/// Runs `binding`'s function at `size` through the GPU lowering on the CPU
/// and compares with the reference.
void checkSpec(const SpecBinding &binding, const ProblemSize &size,
               const attn::gpu::GPUTileOptions &tiles, uint64_t seed) {
  StringRef funcName = binding.func.getSymName();
  auto args = makeRandomInputs(binding, size, seed);
  ASSERT_TRUE(static_cast<bool>(args)) << llvm::toString(args.takeError());
  auto specialized = specializeToShapes(binding, *args);
  ASSERT_TRUE(succeeded(specialized));
  auto concrete = bindSpec(**specialized, funcName);
  ASSERT_TRUE(succeeded(concrete));

  OwningOpRef<ModuleOp> lowered(cast<ModuleOp>((*specialized)->clone()));
  PassManager pm(lowered->getContext(), ModuleOp::getOperationName());
  attn::gpu::buildPreMappingOnCPUPipeline(pm, tiles);
  ASSERT_TRUE(succeeded(pm.run(*lowered)));
  // The GPU lowering was taken: no attention op is left and the function
  // records its tiles.
  bool leftover = false;
  lowered->walk([&](AttentionOp) { leftover = true; });
  ASSERT_FALSE(leftover) << "convert-attn-to-gpu left the op";
  auto func = lowered->lookupSymbol<func::FuncOp>(funcName);
  ASSERT_TRUE(func && func->hasAttr("attn.gpu.tile_q"));

  CompileOptions options;
  options.tiled = false; // only the CPU lowering of what is already there
  auto compiled = CompiledFunction::compile(*lowered, funcName, options);
  ASSERT_TRUE(static_cast<bool>(compiled))
      << llvm::toString(compiled.takeError());
  std::vector<NDArray> results = allocateResults(*concrete, size);
  // Poison the outputs so an unwritten element cannot pass.
  for (NDArray &r : results)
    for (int64_t i = 0; i < r.numElements(); ++i)
      r.setDouble(i, std::nan(""));
  std::vector<const NDArray *> argPtrs;
  for (auto &a : *args)
    argPtrs.push_back(&a);
  std::vector<NDArray *> resultPtrs;
  for (auto &r : results)
    resultPtrs.push_back(&r);
  llvm::Error err = (*compiled)->run(argPtrs, resultPtrs);
  ASSERT_FALSE(static_cast<bool>(err)) << llvm::toString(std::move(err));

  auto ref =
      reference::evaluate(concrete->op, referenceInputs(*concrete, *args));
  ASSERT_TRUE(static_cast<bool>(ref)) << llvm::toString(ref.takeError());
  Comparison out = compareArrays(results[0], ref->output,
                                 toleranceFor(results[0].dtype()));
  EXPECT_TRUE(out.passed) << "output rel_fro " << out.relFrobeniusError
                          << " max_abs " << out.maxAbsError << " non-finite "
                          << out.nonFinite;
  if (results.size() > 1 && ref->lse) {
    Comparison l = compareArrays(results[1], *ref->lse, 1e-5);
    EXPECT_TRUE(l.passed) << "lse rel_fro " << l.relFrobeniusError
                          << " non-finite " << l.nonFinite;
  }
}

//===----------------------------------------------------------------------===//
// Every zoo spec
//===----------------------------------------------------------------------===//

std::vector<std::string> zooSpecs() {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(ATTN_ZOO_DIR,
                                                                ec);
       !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file() && it->path().extension() == ".mlir")
      files.push_back(
          std::filesystem::relative(it->path(), ATTN_ZOO_DIR).string());
  std::sort(files.begin(), files.end());
  return files;
}

class GPUZooTest : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override { setUpContext(context); }
  MLIRContext context;
};

TEST_P(GPUZooTest, PreMappingIRMatchesReference) {
  std::string path = std::string(ATTN_ZOO_DIR) + "/" + GetParam();
  auto buffer = llvm::MemoryBuffer::getFile(path);
  ASSERT_TRUE(static_cast<bool>(buffer)) << path;
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>((*buffer)->getBuffer(), &context);
  ASSERT_TRUE(module) << path;
  FailureOr<SpecBinding> binding = bindSpec(*module, "");
  ASSERT_TRUE(succeeded(binding)) << path;
  // Head maps, sink logits, output gates and weight_mod regions are only
  // implemented by the untiled CPU lowering so far (the GPU lowering shares
  // the tiled lowering's structure and its limits).
  if (!isSupportedByTiledLowering(binding->op))
    GTEST_SKIP() << path << " uses operands or regions the tiled/GPU "
                            "lowerings do not implement yet";

  // The spec's default size (lengths 37: not a multiple of any tile) and,
  // where the lengths are free, Nq < Nk and Nq > Nk.
  std::vector<ProblemSize> sizes = {defaultProblemSize(*binding)};
  auto q = cast<RankedTensorType>(binding->op.getQuery().getType());
  auto k = cast<RankedTensorType>(binding->op.getKey().getType());
  if (q.isDynamicDim(2) && k.isDynamicDim(2) && sizes[0].nq == sizes[0].nk &&
      sizes[0].nq == ProblemSize().nq) {
    ProblemSize a = sizes[0], b = sizes[0];
    a.nq = 13, a.nk = 45;
    b.nq = 45, b.nk = 19;
    sizes.push_back(a);
    sizes.push_back(b);
  }
  // Every tile configuration at the default size; the other lengths with
  // the configuration that has the most tiles.
  for (const TileCase &t : kTiles)
    for (const ProblemSize &s : sizes) {
      if (&s != &sizes[0] && &t != &kTiles[1])
        continue;
      SCOPED_TRACE(testing::Message()
                   << GetParam() << " tiles " << t.name << " B=" << s.b
                   << " Hq=" << s.hq << " Hkv=" << s.hkv << " Nq=" << s.nq
                   << " Nk=" << s.nk << " D=" << s.d << " Dv=" << s.dv);
      checkSpec(*binding, s, t.tiles, /*seed=*/3);
    }
}

std::string zooName(const ::testing::TestParamInfo<std::string> &info) {
  std::string name = info.param.substr(0, info.param.size() - 5);
  for (char &c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Zoo, GPUZooTest, ::testing::ValuesIn(zooSpecs()),
                         zooName);

TEST(GPUZooTest, FindsTheZoo) { EXPECT_GE(zooSpecs().size(), 6u); }

//===----------------------------------------------------------------------===//
// Inline specs: every normalization, lse, regions, bias, dtypes
//===----------------------------------------------------------------------===//

struct SpecCase {
  const char *name;
  const char *body;
  bool lse = false;
  const char *elementType = "f32";
};

const SpecCase kCases[] = {
    {"dense", ""},
    {"dense_lse", "", true},
    {"causal_lse", "mask(#attn.causal)", true},
    {"window", "mask(#attn.window<left = 5, right = 3>)"},
    {"strided", "mask(#attn.and<[#attn.causal, #attn.strided<stride = 3, "
                "block = 4, offset = -1, head_step = -1>]>)"},
    {"dilated_chunked", "mask(#attn.or<[#attn.dilated<3>, #attn.chunked<8>]>)"},
    {"prefix_lm", "mask(#attn.prefix_lm<7>)"},
    {"not_causal_lse", "mask(#attn.not<#attn.causal>)", true},
    {"nothing_visible_lse", "mask(#attn.not<#attn.full>)", true},
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
    {"causal_f16", "mask(#attn.causal)", false, "f16"},
    {"softcap_bf16", "mask(#attn.causal) score_mods([#attn.softcap<5.0>])",
     false, "bf16"},
};

std::string makeSpec(const SpecCase &c) {
  std::string t = std::string("tensor<?x?x?x?x") + c.elementType + ">";
  std::string results = c.lse ? t + ", tensor<?x?x?xf32>" : t;
  std::string s = "func.func @spec(%q: " + t + ", %k: " + t + ", %v: " + t +
                  ") -> (" + results + ") {\n";
  s += std::string("  ") + (c.lse ? "%o, %l" : "%o") +
       " = attn.attention %q, %k, %v " + c.body + " : " + t + ", " + t +
       ", " + t + " -> " + results + "\n";
  s += std::string("  return ") + (c.lse ? "%o, %l : " : "%o : ") + results +
       "\n}\n";
  return s;
}

class GPUCaseTest : public ::testing::TestWithParam<int> {
protected:
  void SetUp() override { setUpContext(context); }
  MLIRContext context;
};

TEST_P(GPUCaseTest, PreMappingIRMatchesReference) {
  const SpecCase &c = kCases[GetParam()];
  std::string source = makeSpec(c);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << source;
  FailureOr<SpecBinding> binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  const ProblemSize sizes[] = {
      {1, 4, 2, 37, 37, 16, 16}, // GQA, lengths not multiples of the tiles
      {2, 4, 4, 5, 29, 8, 12},   // Nq < Nk, Dv != D
      {1, 4, 1, 23, 9, 16, 8},   // Nq > Nk: causal rows with no key
  };
  for (const TileCase &t : kTiles)
    for (const ProblemSize &s : sizes) {
      SCOPED_TRACE(testing::Message()
                   << c.name << " tiles " << t.name << " B=" << s.b
                   << " Hq=" << s.hq << " Hkv=" << s.hkv << " Nq=" << s.nq
                   << " Nk=" << s.nk);
      checkSpec(*binding, s, t.tiles, /*seed=*/5);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Inline, GPUCaseTest, ::testing::Range(0, int(std::size(kCases))),
    [](const ::testing::TestParamInfo<int> &info) {
      return std::string(kCases[info.param].name);
    });

} // namespace
