//===- GPUNumericsTest.cpp - GPU kernels' pre-mapping IR vs the reference -===//
//
// The GPU lowering (attn-to-tile, then convert-attn-tile-to-gpu) is written
// so that its IR before
// thread mapping runs on the CPU: scf-forall-to-for turns the block- and
// thread-level foralls into sequential loops (the barriers implied between
// sibling thread-level foralls hold), attn-gpu-erase-memory-spaces drops the
// workgroup address space, and the CPU lowering compiles the rest. Every zoo
// spec (zoo/**/*.mlir, found when the test starts) and a set of inline specs
// covering every normalization, lse, regions, score mods, head maps, sink
// logits, output gates and weight_mod regions run that way on lengths that
// are not multiples of the tiles (and on one token), with several tile
// configurations and seeds, and are compared with the float64 reference.
//
//===----------------------------------------------------------------------===//

#include "attn/JIT.h"
#include "attn/Pipelines/Pipelines.h"
#include "attn/Reference/Reference.h"
#include "attn/Runner/Runner.h"
#include "attn/Target/GPU.h"

#include "TestSupport.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
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
/// more query tiles than threads per row stage. For f16/bf16 specs the
/// tiles that are not multiples of 16 run the SIMT kernel
/// (use-tensor-cores=false) and two more run the tensor-core kernel with
/// one and two warps and several warp tiles per warp; f32 specs skip those.
/// All of these double-buffer K and V with asynchronous copies where the
/// kernel allows it (the default) and keep the tensor-core kernel's S, P
/// and O in its accumulator tiles (register-softmax); the inline specs
/// also run two with synchronous copies into single buffers, one
/// tensor-core one with O in shared memory (accumulator-fragments=false)
/// and one with S and P in shared memory (register-softmax=false).
struct TileCase {
  const char *name;
  attn::gpu::GPUTileOptions tiles;
  bool tensorCoresOnly = false;
  bool inlineOnly = false;
};
const TileCase kTiles[] = {
    {"auto", {0, 0, 128, 101376}},
    {"q16_kv8_t32", {16, 8, 32, 101376, false}},
    {"q8_kv16_t64", {8, 16, 64, 101376, false}},
    {"tc_q16_kv16_t32", {16, 16, 32, 101376}, true},
    {"tc_q32_kv16_t64", {32, 16, 64, 101376}, true},
    {"sync_q16_kv8_t32", {16, 8, 32, 101376, false, false}, false, true},
    {"tc_sync_q16_kv16_t32", {16, 16, 32, 101376, true, false}, true, true},
    {"tc_shared_o_q32_kv16_t64", {32, 16, 64, 101376, true, true, false}, true,
     true},
    {"tc_shared_s_q32_kv16_t64",
     {32, 16, 64, 101376, true, true, true, false}, true, true},
};

bool isSixteenBit(const SpecBinding &binding) {
  Type t = cast<RankedTensorType>(binding.op.getQuery().getType())
               .getElementType();
  return t.isF16() || t.isBF16();
}

/// Whether Q K^T is INT8 on pre-quantized i8 Q and K with their scales and
/// P V in the float type: what convert-attn-tile-to-gpu lowers of
/// #attn.quantized_qk (the SIMT kernel; QuantizedScores.h).
bool preQuantizedInt8OnGPU(AttentionOp op) {
  QuantizedQKAttr quant = op.getQuantizationAttr();
  auto elementOf = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getElementType();
  };
  return quant && quant.getScheme() == QuantScheme::Int8 &&
         elementOf(op.getQuery()).isInteger(8) &&
         elementOf(op.getKey()).isInteger(8) && !quant.getSmoothQ() &&
         quant.getPv() == PVPrecision::F32 && !quant.getKeysOnly() &&
         !op.getValueQuantizationAttr() && !op.getRotation() &&
         !op.getLowRankU() && !op.getKSalient();
}

/// A spec function specialized to one problem size, lowered by attn-to-tile
/// and convert-attn-tile-to-gpu and compiled for the CPU.
struct GPUOnCPU {
  OwningOpRef<ModuleOp> specialized;
  SpecBinding concrete; // bound to `specialized`
  std::unique_ptr<CompiledFunction> compiled;
};

/// The form of the FlashAttention-2 kernel's pre-mapping IR: copies,
/// tensor cores and the register softmax as the tiles ask.
void checkSoftmaxKernelForm(const SpecBinding &binding,
                            const attn::gpu::GPUTileOptions &tiles,
                            ModuleOp lowered, func::FuncOp func,
                            RankedTensorType q, RankedTensorType v) {
  // Double-buffered asynchronous copies wherever the tiles are copied as is
  // (f32, or 16-bit on tensor cores) in pieces of 4 bytes or more: every
  // f32 shape, 16-bit head dims that are even (all the tests' sizes fit
  // the shared memory with double buffers).
  // INT8 Q K^T: i8 rows clamp to -127 on load (SIMT, synchronous).
  bool copiedAsIs = isSixteenBit(binding) ? tiles.useTensorCores
                                          : !binding.op.hasQuantizedQK();
  bool wholeWords = !isSixteenBit(binding) ||
                    (q.getDimSize(3) % 2 == 0 && v.getDimSize(3) % 2 == 0);
  EXPECT_EQ(func->hasAttr("attn.gpu.async_copies"),
            tiles.asyncCopies && copiedAsIs && wholeWords);
  // The tensor-core kernel (warp-level vector.contract) exactly when asked
  // for with 16-bit inputs.
  bool hasContract = false;
  lowered.walk([&](vector::ContractionOp) { hasContract = true; });
  EXPECT_EQ(hasContract, tiles.useTensorCores && isSixteenBit(binding));
  // INT8 Q K^T: the SIMT kernel's exact i32 dot products of i8 rows.
  if (binding.op.hasQuantizedQK()) {
    bool intDot = false;
    // Bytes, or words of 4 bytes (vector<4xi8>).
    lowered.walk([&](arith::ExtSIOp ext) {
      intDot |= getElementTypeOrSelf(ext.getIn().getType()).isInteger(8) &&
                getElementTypeOrSelf(ext.getType()).isInteger(32);
    });
    EXPECT_TRUE(intDot) << "no i8 x i8 -> i32 products";
  }
  // The register softmax wherever it was asked for, the explicit tiles give
  // each warp whole 16-row blocks and O fits the accumulators (at most 16
  // tiles of 16x8 a warp).
  int64_t warps = tiles.threads / 32;
  int64_t oTiles = tiles.tileQ / 16 * ((v.getDimSize(3) + 7) / 8);
  bool registerSoftmax = tiles.tileQ && hasContract &&
                         tiles.accumulatorFragments && tiles.registerSoftmax &&
                         (tiles.tileQ / 16) % warps == 0 &&
                         oTiles / warps <= 16;
  if (tiles.tileQ)
    EXPECT_EQ(func->hasAttr("attn.gpu.register_softmax"), registerSoftmax);
}

/// Lowers `binding`'s function at the shapes of `args` through the GPU
/// lowering and compiles the pre-mapping IR for the CPU.
void compileOnCPU(const SpecBinding &binding, ArrayRef<NDArray> args,
                  const attn::gpu::GPUTileOptions &tiles, GPUOnCPU &k) {
  StringRef funcName = binding.func.getSymName();
  auto specialized = specializeToShapes(binding, args);
  ASSERT_TRUE(succeeded(specialized));
  k.specialized = std::move(*specialized);
  auto concrete = bindSpec(*k.specialized, funcName);
  ASSERT_TRUE(succeeded(concrete));
  k.concrete = *concrete;

  OwningOpRef<ModuleOp> lowered(cast<ModuleOp>(k.specialized->clone()));
  PassManager pm(lowered->getContext(), ModuleOp::getOperationName());
  attn::gpu::buildPreMappingOnCPUPipeline(pm, tiles);
  ASSERT_TRUE(succeeded(pm.run(*lowered)));
  // The GPU lowering was taken: no attention op or tile program is left
  // and the function records its tiles.
  bool leftover = false;
  lowered->walk([&](Operation *op) {
    StringRef dialect = op->getName().getDialectNamespace();
    leftover |= dialect == "attn" || dialect == "attn_tile";
  });
  ASSERT_FALSE(leftover) << "the GPU lowering left attn or attn_tile ops";
  auto func = lowered->lookupSymbol<func::FuncOp>(funcName);
  ASSERT_TRUE(func && func->hasAttr("attn.gpu.tile_q"));
  auto q = cast<RankedTensorType>(k.concrete.op.getQuery().getType());
  auto v = cast<RankedTensorType>(k.concrete.op.getValue().getType());
  // The linear-attention kernel (the O(N) forms): chunks of tile-kv,
  // synchronous copies, the chunk's products on tensor cores for 16-bit
  // inputs in the causal form with whole warps and chunks of a multiple
  // of 16, SIMT otherwise.
  if (func->hasAttr("attn.gpu.linear_chunk")) {
    if (tiles.tileKv)
      EXPECT_EQ(func->getAttrOfType<IntegerAttr>("attn.gpu.linear_chunk")
                    .getInt(),
                tiles.tileKv);
    bool hasContract = false;
    lowered->walk([&](vector::ContractionOp) { hasContract = true; });
    bool tensorCores = isSixteenBit(binding) && tiles.useTensorCores &&
                       tiles.threads % 32 == 0 && tiles.tileKv % 16 == 0 &&
                       k.concrete.op.getMaskAttr();
    EXPECT_EQ(hasContract, tensorCores);
    EXPECT_EQ(func->hasAttr("attn.gpu.tensor_cores"), tensorCores);
    EXPECT_FALSE(func->hasAttr("attn.gpu.async_copies"));
  } else {
    checkSoftmaxKernelForm(binding, tiles, *lowered, func, q, v);
  }

  CompileOptions options;
  // Only the CPU lowering of what is already there.
  options.lowering = CompileOptions::Lowering::Untiled;
  auto compiled = CompiledFunction::compile(*lowered, funcName, options);
  ASSERT_TRUE(static_cast<bool>(compiled))
      << llvm::toString(compiled.takeError());
  k.compiled = std::move(*compiled);
}

/// Runs `binding`'s function at `size` through the GPU lowering on the CPU
/// and compares with the reference, on fresh random inputs for each seed
/// (compiled once).
void checkSpec(const SpecBinding &binding, const ProblemSize &size,
               const attn::gpu::GPUTileOptions &tiles,
               ArrayRef<uint64_t> seeds) {
  GPUOnCPU kernel;
  for (uint64_t seed : seeds) {
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    auto args = makeRandomInputs(binding, size, seed);
    ASSERT_TRUE(static_cast<bool>(args)) << llvm::toString(args.takeError());
    if (!kernel.compiled) {
      compileOnCPU(binding, *args, tiles, kernel);
      if (testing::Test::HasFatalFailure())
        return;
    }
    attn::test::runAndCompare(*kernel.compiled, kernel.concrete, size, *args,
                              *args);
    if (testing::Test::HasFatalFailure())
      return;
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

/// Selections, quantized Q K^T other than pre-quantized INT8
/// (preQuantizedInt8OnGPU), row epilogues, affine normalizations and
/// the linear-attention forms the GPU kernels lack (feature maps that are
/// not elementwise or read the sequence, the quadratic form under a mask
/// other than causal) are lowered by the
/// tile program only; convert-attn-tile-to-gpu refuses them
/// (test/Conversion/TileToGPU/unsupported*.mlir, linear-unsupported.mlir).
const char *const kNoGPUKernels =
    "block selection by learned gates, quantization (but pre-quantized "
    "INT8 Q K^T), row epilogues, affine normalizations, "
    "multi-branch specs and these linear-attention forms have no GPU "
    "lowering yet (CPU tile program only)";

/// Whether the linear kernel runs the spec's feature map and decay: an
/// elementwise map or a map of whole rows (hedgehog, taylor2, softmax) of
/// q and k, any decay (constant, per key position or per key channel), and
/// the chunked (causal) or global (no mask) form.
bool linearOnGPU(AttentionOp op) {
  FeatureMapAttr map = op.getFeatureMapAttr();
  auto onGPU = [](FeatureMapKind kind) {
    return FeatureMapAttr::isElementwiseKind(kind) ||
           kind == FeatureMapKind::Hedgehog ||
           kind == FeatureMapKind::Taylor2 || kind == FeatureMapKind::Softmax;
  };
  if (map && !(onGPU(map.getKind()) && onGPU(map.getKeys())))
    return false;
  MaskAttrInterface mask = op.getMaskAttr();
  bool noMods = op.getMaskFn().empty() && op.getScoreMod().empty() &&
                op.getWeightMod().empty() && !op.getScoreModsAttr() &&
                !op.getBias() && !op.getLse();
  if (!mask)
    return noMods && !op.getDecay() && !op.getSinkLogits();
  return noMods && isa<CausalMaskAttr>(mask);
}

/// Whether the selection kernels run the spec's selection (the list of
/// convert-attn-tile-to-gpu's unsupportedSelection): the dot gate on one
/// pool or given scores, per token or per query block (shared by a head
/// group or not).
bool selectionOnGPU(AttentionOp op) {
  TopKBlocksAttr s = op.getSelectionAttr();
  if (!s)
    return true;
  return !s.isLearned() && s.numPools() == 1;
}

/// Whether the GPU conversion refuses the spec (see kNoGPUKernels). A
/// multi-branch spec is refused whatever its first branch is (Flux
/// Attention's first branch is plain causal attention).
bool hasNoGPULowering(const SpecBinding &binding) {
  AttentionOp op = binding.op;
  // The linear kernel takes row epilogues and element-wise gates; the
  // FlashAttention-2 kernel does not.
  bool linear = op.hasLinearKernel();
  return binding.multiBranch || (linear && !linearOnGPU(op)) ||
         !selectionOnGPU(op) ||
         (op.hasQuantizedQK() && !preQuantizedInt8OnGPU(op)) ||
         (op.hasRowEpilogue() && !linear) ||
         op.hasAffineNormalization();
}

/// The spec's default size, with one key head per query head when the
/// spec's own checks refuse GQA there (MoSA's routing scores serve as the
/// keys' block scores and the output gate: one per query head).
bool specializesAt(const SpecBinding &binding, const ProblemSize &size) {
  auto args = makeRandomInputs(binding, size, 0);
  if (!args) {
    llvm::consumeError(args.takeError());
    return false;
  }
  return succeeded(specializeToShapes(binding, *args));
}

ProblemSize zooProblemSize(const SpecBinding &binding) {
  ProblemSize size = defaultProblemSize(binding);
  if (!specializesAt(binding, size))
    size.hkv = size.hq;
  return size;
}

/// The zoo spec at `relPath` (under zoo/), or null with the reason logged.
OwningOpRef<ModuleOp> parseZooSpec(const std::string &relPath,
                                   MLIRContext &context) {
  std::string path = std::string(ATTN_ZOO_DIR) + "/" + relPath;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    ADD_FAILURE() << "cannot read " << path;
    return nullptr;
  }
  return parseSourceString<ModuleOp>((*buffer)->getBuffer(), &context);
}

class GPUZooTest : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    attn::test::setUpCompileContext<mlir::gpu::GPUDialect>(context);
  }
  MLIRContext context;
};

TEST_P(GPUZooTest, PreMappingIRMatchesReference) {
  OwningOpRef<ModuleOp> module = parseZooSpec(GetParam(), context);
  ASSERT_TRUE(module) << GetParam();
  FailureOr<SpecBinding> binding = bindSpec(*module, "");
  ASSERT_TRUE(succeeded(binding)) << GetParam();
  if (hasNoGPULowering(*binding))
    GTEST_SKIP() << kNoGPUKernels;
  // The spec's default size (lengths 37: not a multiple of any tile) and,
  // where the lengths are free (not tied by the spec's own operands, as
  // MoSA's routing scores), Nq < Nk and Nq > Nk.
  std::vector<ProblemSize> sizes = {zooProblemSize(*binding)};
  auto q = cast<RankedTensorType>(binding->op.getQuery().getType());
  auto k = cast<RankedTensorType>(binding->op.getKey().getType());
  if (q.isDynamicDim(2) && k.isDynamicDim(2) && sizes[0].nq == sizes[0].nk &&
      sizes[0].nq == ProblemSize().nq) {
    ProblemSize a = sizes[0], b = sizes[0];
    a.nq = 13, a.nk = 45;
    b.nq = 45, b.nk = 19;
    for (const ProblemSize &other : {a, b})
      if (specializesAt(*binding, other))
        sizes.push_back(other);
  }
  // Every tile configuration at the default size; the other lengths with
  // the configuration that has the most tiles.
  for (const TileCase &t : kTiles)
    for (const ProblemSize &s : sizes) {
      if ((t.tensorCoresOnly && !isSixteenBit(*binding)) || t.inlineOnly)
        continue;
      // The other lengths with the configuration that has the most tiles
      // (and its tensor-core counterpart).
      if (&s != &sizes[0] && &t != &kTiles[1] && &t != &kTiles[3])
        continue;
      SCOPED_TRACE(testing::Message()
                   << GetParam() << " tiles " << t.name << " B=" << s.b
                   << " Hq=" << s.hq << " Hkv=" << s.hkv << " Nq=" << s.nq
                   << " Nk=" << s.nk << " D=" << s.d << " Dv=" << s.dv);
      checkSpec(*binding, s, t.tiles, /*seeds=*/{3, 4});
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

/// Every zoo spec with f16 Q, K, V and output (retypeAttentionInputs), on
/// the tensor cores: automatic tiles or 16x16 tiles with one warp.
class GPUZooF16Test : public GPUZooTest {};

TEST_P(GPUZooF16Test, TensorCoreIRMatchesReference) {
  OwningOpRef<ModuleOp> module = parseZooSpec(GetParam(), context);
  ASSERT_TRUE(module) << GetParam();
  FailureOr<SpecBinding> f32Binding = bindSpec(*module, "");
  ASSERT_TRUE(succeeded(f32Binding)) << GetParam();
  if (hasNoGPULowering(*f32Binding))
    GTEST_SKIP() << kNoGPUKernels;
  std::string funcName = f32Binding->func.getSymName().str();
  ASSERT_TRUE(succeeded(attn::retypeAttentionInputs(
      *module, funcName, Float16Type::get(&context))))
      << GetParam();
  FailureOr<SpecBinding> binding = bindSpec(*module, funcName);
  ASSERT_TRUE(succeeded(binding)) << GetParam();
  ProblemSize size = zooProblemSize(*binding);
  // The automatic tiles and 16 x 16 tiles with one warp alternate between
  // the specs in file order (one kernel per spec; each tiling runs on half
  // of the zoo).
  const std::vector<std::string> &specs = zooSpecs();
  auto position = std::find(specs.begin(), specs.end(), GetParam());
  const TileCase &t =
      (position - specs.begin()) % 2 == 0 ? kTiles[0] : kTiles[3];
  SCOPED_TRACE(testing::Message() << GetParam() << " f16 tiles " << t.name);
  checkSpec(*binding, size, t.tiles, /*seeds=*/{7});
}

INSTANTIATE_TEST_SUITE_P(ZooF16, GPUZooF16Test,
                         ::testing::ValuesIn(zooSpecs()), zooName);

TEST(GPUZooTest, FindsTheZoo) { EXPECT_GE(zooSpecs().size(), 6u); }

//===----------------------------------------------------------------------===//
// Inline specs: every normalization, lse, regions, bias, dtypes, head maps,
// sink logits, output gates, weight_mod
//===----------------------------------------------------------------------===//

struct SpecCase {
  const char *name;
  const char *body;
  bool lse = false;
  const char *elementType = "f32";
  /// Extra function arguments (", %x: type {attrs}") the body refers to.
  const char *args = "";
  /// Attributes of the value argument (a value head count of its own).
  const char *valueAttrs = "";
};

// weight_mod regions: w' = w r + 1 (reads the raw score; affine, so a masked
// key passed to the region would change the result), and w' = a[b, h, i] w +
// j / 100 (a capture and the indices).
#define WEIGHT_MOD_RAW                                                         \
  "weight_mod {\n^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, "     \
  "%j: index):\n  %one = arith.constant 1.0 : f32\n"                           \
  "  %x = math.fma %w, %r, %one : f32\n  attn.yield %x : f32\n}"
#define WEIGHT_MOD_CAPTURE                                                     \
  "weight_mod {\n^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, "     \
  "%j: index, %ta: tensor<?x?x?xf32>):\n"                                      \
  "  %a = tensor.extract %ta[%b, %h, %i] : tensor<?x?x?xf32>\n"                \
  "  %jj = arith.index_cast %j : index to i64\n"                               \
  "  %jf = arith.sitofp %jj : i64 to f32\n"                                    \
  "  %c = arith.constant 0.01 : f32\n  %t = arith.mulf %jf, %c : f32\n"        \
  "  %x = math.fma %a, %w, %t : f32\n  attn.yield %x : f32\n}"
#define CAPTURE_ARG                                                            \
  ", %cap: tensor<?x?x?xf32> {attn.dims = [\"B\", \"Hq\", \"Nq\"]}"
#define OWN_VALUE_HEADS "{attn.dims = [\"B\", \"Hq-1\", \"Nk\", \"Dv\"]}"

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
    {"dense_lse_f16", "", true, "f16"},
    {"window_lse_bf16", "mask(#attn.window<left = 5, right = 3>)", true,
     "bf16"},
    {"nothing_visible_lse_f16", "mask(#attn.not<#attn.full>)", true, "f16"},
    {"sigmoid_f16", "mask(#attn.causal) normalization(#attn.normalize<"
                    "sigmoid, bias = -1.0>)",
     false, "f16"},
    {"relu_l1_bf16", "normalization(#attn.normalize<relu, l1>)", false,
     "bf16"},
    {"softcap_alibi_f16",
     "mask(#attn.causal) score_mods([#attn.softcap<2.0>, #attn.alibi])",
     false, "f16"},
    {"softcap_bf16", "mask(#attn.causal) score_mods([#attn.softcap<5.0>])",
     false, "bf16"},

    // Head maps: per-head key heads (any Hk), a value head count of its own
    // (Hv = Hq - 1), a batch-dependent i64 map, a batch-shared rank-2 map
    // used for K and V.
    {"k_head_map_lse", "k_head_map(%km : tensor<?xi32>) mask(#attn.causal)",
     true, "f32", ", %km: tensor<?xi32>"},
    {"v_head_map_own_heads",
     "v_head_map(%vm : tensor<?x?xi64>) mask(#attn.window<left = 5, right = "
     "3>)",
     false, "f32", ", %vm: tensor<?x?xi64>", OWN_VALUE_HEADS},
    {"k_and_v_head_maps",
     "k_head_map(%km : tensor<?xi32>) v_head_map(%vm : tensor<?xi32>) "
     "mask(#attn.causal) score_mods([#attn.softcap<2.0>])",
     false, "f32", ", %km: tensor<?xi32>, %vm: tensor<?xi32>", OWN_VALUE_HEADS},
    {"shared_head_map_sigmoid",
     "k_head_map(%m : tensor<1x?xi32>) v_head_map(%m : tensor<1x?xi32>) "
     "normalization(#attn.normalize<sigmoid, bias = -1.0>)",
     false, "f32", ", %m: tensor<1x?xi32>"},
    // Sink logits: the null key joins the normalizer and the lse only.
    {"sink_lse", "sink_logits(%s : tensor<?xf32>)", true, "f32",
     ", %s: tensor<?xf32>"},
    {"sink_causal_lse", "sink_logits(%s : tensor<?xf32>) mask(#attn.causal)",
     true, "f32", ", %s: tensor<?xf32>"},
    {"sink_nothing_visible_lse",
     "sink_logits(%s : tensor<?xf32>) mask(#attn.not<#attn.full>)", true,
     "f32", ", %s: tensor<?xf32>"},
    {"sink_softcap_alibi",
     "sink_logits(%s : tensor<?xf32>) mask(#attn.and<[#attn.causal, "
     "#attn.window<left = 6, right = 0>]>) score_mods([#attn.softcap<2.0>, "
     "#attn.alibi])",
     false, "f32", ", %s: tensor<?xf32>"},
    // Output gates: per (b, h, i), broadcast, with lse (not gated), with a
    // normalization without a normalizer.
    {"gate", "output_gate(%g : tensor<?x?x?xf32>)", false, "f32",
     ", %g: tensor<?x?x?xf32>"},
    {"gate_broadcast_causal_lse",
     "output_gate(%g : tensor<1x?x1xf32>) mask(#attn.causal)", true, "f32",
     ", %g: tensor<1x?x1xf32>"},
    {"gate_rows_sigmoid",
     "output_gate(%g : tensor<?x1x?xf32>) mask(#attn.causal) "
     "normalization(#attn.normalize<sigmoid, bias = -1.0>)",
     false, "f32", ", %g: tensor<?x1x?xf32>"},
    // weight_mod: two passes under softmax and l1, one pass otherwise.
    {"weight_mod_causal", "mask(#attn.causal) " WEIGHT_MOD_RAW},
    {"weight_mod_window_lse",
     "mask(#attn.window<left = 5, right = 3>) score_mods([#attn.softcap<2.0>]) "
     WEIGHT_MOD_RAW,
     true},
    {"weight_mod_nothing_visible_lse",
     "mask(#attn.not<#attn.full>) " WEIGHT_MOD_RAW, true},
    {"weight_mod_capture_causal",
     "captures(%cap : tensor<?x?x?xf32>) mask(#attn.causal) "
     WEIGHT_MOD_CAPTURE,
     false, "f32", CAPTURE_ARG},
    {"weight_mod_softplus_l1",
     "mask(#attn.causal) normalization(#attn.normalize<softplus, l1>) "
     WEIGHT_MOD_RAW},
    {"weight_mod_sigmoid",
     "mask(#attn.causal) normalization(#attn.normalize<sigmoid, bias = "
     "-1.0>) " WEIGHT_MOD_RAW},
    {"weight_mod_relu_region_mask",
     "normalization(#attn.normalize<relu>) mask_fn {\n^bb0(%b: index, %h: "
     "index, %i: index, %j: index):\n"
     "  %c3 = arith.constant 3 : index\n  %r = arith.remui %j, %c3 : index\n"
     "  %c0 = arith.constant 0 : index\n"
     "  %ok = arith.cmpi ne, %r, %c0 : index\n  attn.yield %ok : i1\n} "
     WEIGHT_MOD_RAW},
    {"weight_mod_sink_lse",
     "sink_logits(%s : tensor<?xf32>) mask(#attn.causal) " WEIGHT_MOD_RAW, true,
     "f32", ", %s: tensor<?xf32>"},
    // Everything at once.
    {"all_features_lse",
     "k_head_map(%km : tensor<?x?xi32>) v_head_map(%vm : tensor<?xi64>) "
     "sink_logits(%s : tensor<?xf32>) output_gate(%g : tensor<?x?x?xf32>) "
     "captures(%cap : tensor<?x?x?xf32>) mask(#attn.causal) "
     "score_mods([#attn.softcap<2.0>]) " WEIGHT_MOD_CAPTURE,
     true, "f32",
     ", %km: tensor<?x?xi32>, %vm: tensor<?xi64>, %s: tensor<?xf32>, "
     "%g: tensor<?x?x?xf32>" CAPTURE_ARG,
     OWN_VALUE_HEADS},
    // -inf scores (first key, middle key, every key of the odd rows) under
    // every normalization, and the region context ops.
    {"neg_inf_first_key_lse", ATTN_TEST_NEG_INF_FIRST_KEY, true},
    {"neg_inf_middle_key_causal_lse",
     "mask(#attn.causal) " ATTN_TEST_NEG_INF_MIDDLE_KEY, true},
    {"neg_inf_odd_rows_lse", ATTN_TEST_NEG_INF_ODD_ROWS, true},
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
    {"neg_inf_first_key_weight_mod_lse",
     ATTN_TEST_NEG_INF_FIRST_KEY " " WEIGHT_MOD_RAW, true},
    {"neg_inf_first_key_lse_f16", ATTN_TEST_NEG_INF_FIRST_KEY, true, "f16"},
    {"neg_inf_odd_rows_lse_bf16", ATTN_TEST_NEG_INF_ODD_ROWS, true, "bf16"},
    {"aligned_window_region", ATTN_TEST_ALIGNED_WINDOW_REGION},
    {"aligned_window_region_f16", ATTN_TEST_ALIGNED_WINDOW_REGION, false,
     "f16"},
    {"length_score_mod_lse", "mask(#attn.causal) " ATTN_TEST_LENGTH_SCORE_MOD,
     true},
    // 16-bit inputs (and 16-bit sink logits and gates).
    {"maps_sink_gate_f16",
     "k_head_map(%km : tensor<?xi32>) v_head_map(%vm : tensor<?xi32>) "
     "sink_logits(%s : tensor<?xf16>) output_gate(%g : tensor<?x?x?xf16>) "
     "mask(#attn.causal)",
     true, "f16",
     ", %km: tensor<?xi32>, %vm: tensor<?xi32>, %s: tensor<?xf16>, "
     "%g: tensor<?x?x?xf16>",
     OWN_VALUE_HEADS},
    {"weight_mod_gate_bf16",
     "output_gate(%g : tensor<?x?x?xbf16>) mask(#attn.causal) " WEIGHT_MOD_RAW,
     false, "bf16", ", %g: tensor<?x?x?xbf16>"},
    {"sink_weight_mod_bf16_lse",
     "sink_logits(%s : tensor<?xbf16>) mask(#attn.causal) "
     "score_mods([#attn.softcap<5.0>]) " WEIGHT_MOD_RAW,
     true, "bf16", ", %s: tensor<?xbf16>"},
};

std::string makeSpec(const SpecCase &c) {
  std::string t = std::string("tensor<?x?x?x?x") + c.elementType + ">";
  std::string results = c.lse ? t + ", tensor<?x?x?xf32>" : t;
  std::string s = "func.func @spec(%q: " + t + ", %k: " + t + ", %v: " + t +
                  " " + c.valueAttrs + c.args + ") -> (" + results + ") {\n";
  s += std::string("  ") + (c.lse ? "%o, %l" : "%o") +
       " = attn.attention %q, %k, %v " + c.body + " : " + t + ", " + t +
       ", " + t + " -> " + results + "\n";
  s += std::string("  return ") + (c.lse ? "%o, %l : " : "%o : ") + results +
       "\n}\n";
  return s;
}

class GPUCaseTest : public ::testing::TestWithParam<int> {
protected:
  void SetUp() override {
    attn::test::setUpCompileContext<mlir::gpu::GPUDialect>(context);
  }
  MLIRContext context;
};

TEST_P(GPUCaseTest, PreMappingIRMatchesReference) {
  const SpecCase &c = kCases[GetParam()];
  std::string source = makeSpec(c);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << source;
  FailureOr<SpecBinding> binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  std::vector<ProblemSize> sizes = {
      {1, 4, 2, 37, 37, 16, 16}, // GQA, lengths not multiples of the tiles
      {2, 4, 4, 5, 29, 8, 12},   // Nq < Nk, Dv != D
      {1, 4, 1, 23, 9, 16, 8},   // Nq > Nk: causal rows with no key
      {2, 4, 2, 1, 1, 8, 8},     // one token (automatic tiles only)
  };
  // Tensor cores: head dims that are not multiples of the mma shape (24 and
  // 20: padded to 32 and 24), also at one token.
  if (isSixteenBit(*binding)) {
    sizes.push_back({1, 2, 1, 1, 1, 24, 20});
    sizes.push_back({1, 2, 2, 50, 33, 24, 20});
  }
  // The automatic tiles run on every case; the explicit tilings that apply
  // to the case's inputs alternate between consecutive cases (each runs on
  // half of the cases of its input type: the tiling x feature cross product
  // compiled one kernel per pair, about 30 per 16-bit case).
  int64_t applicable = 0;
  for (const TileCase &t : kTiles) {
    if (t.tensorCoresOnly && !isSixteenBit(*binding))
      continue;
    if (isSixteenBit(*binding) && &t == &kTiles[2])
      continue; // SIMT 16-bit: q16_kv8_t32 covers it
    const bool syncSimt = &t == &kTiles[5];
    if (syncSimt && isSixteenBit(*binding))
      continue; // 16-bit SIMT kernels copy synchronously anyway
    if (&t != &kTiles[0] && (applicable++ + GetParam()) % 2)
      continue;
    for (const ProblemSize &s : sizes) {
      if (s.nk == 1 && &t != &kTiles[0] &&
          !(isSixteenBit(*binding) && &t == &kTiles[4]))
        continue;
      // Synchronous copies: the first shape (several key tiles), and for
      // the SIMT kernel the one with rows that see no key.
      if (t.inlineOnly && &s != &sizes[0] && !(syncSimt && &s == &sizes[2]))
        continue;
      SCOPED_TRACE(testing::Message()
                   << c.name << " tiles " << t.name << " B=" << s.b
                   << " Hq=" << s.hq << " Hkv=" << s.hkv << " Nq=" << s.nq
                   << " Nk=" << s.nk << " D=" << s.d << " Dv=" << s.dv);
      checkSpec(*binding, s, t.tiles, /*seeds=*/{5, 6, 7});
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Inline, GPUCaseTest, ::testing::Range(0, int(std::size(kCases))),
    [](const ::testing::TestParamInfo<int> &info) {
      return std::string(kCases[info.param].name);
    });

/// Split-KV (attn-to-tile's split form, convert-attn-tile-to-gpu's
/// split-kv): every inline case with each work item's key tiles cut into
/// parts whose partial results a second kernel merges by their logsumexp.
/// A decode step (one query row, 9-18 key tiles) for every case, the
/// automatic count (2-4 splits there) and 3 splits alternating; every
/// fourth case also with several query tiles, Dv != D and 3 splits. Two-pass
/// cases (weight_mod under softmax or l1) are not split and must still
/// match. test/Conversion/TileToGPU/split-kv.mlir checks the kernels'
/// structure.
class GPUSplitKvTest : public GPUCaseTest {};

TEST_P(GPUSplitKvTest, MergedSplitsMatchReference) {
  const SpecCase &c = kCases[GetParam()];
  std::string source = makeSpec(c);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << source;
  FailureOr<SpecBinding> binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  std::vector<ProblemSize> sizes = {{2, 4, 2, 1, 140, 16, 16}};
  if (GetParam() % 4 == 1)
    sizes.push_back({1, 4, 4, 21, 53, 8, 12});
  attn::gpu::GPUTileOptions tiles =
      (isSixteenBit(*binding) ? kTiles[3] : kTiles[1]).tiles;
  tiles.splitKv = GetParam() % 2 ? 3 : 0;
  for (const ProblemSize &s : sizes) {
    SCOPED_TRACE(testing::Message()
                 << c.name << " split-kv " << tiles.splitKv << " B=" << s.b
                 << " Hq=" << s.hq << " Hkv=" << s.hkv << " Nq=" << s.nq
                 << " Nk=" << s.nk << " D=" << s.d << " Dv=" << s.dv);
    checkSpec(*binding, s, tiles, /*seeds=*/{5, 6});
  }
}

INSTANTIATE_TEST_SUITE_P(
    Inline, GPUSplitKvTest, ::testing::Range(0, int(std::size(kCases))),
    [](const ::testing::TestParamInfo<int> &info) {
      return std::string(kCases[info.param].name);
    });

//===----------------------------------------------------------------------===//
// INT8 Q K^T (pre-quantized i8 Q and K with scale operands)
//===----------------------------------------------------------------------===//

/// A spec of i8 Q and K and a float V (and output) of `elementType`.
struct QuantizedSpecCase {
  const char *name;
  const char *body; // op operands/attributes/regions before ':'
  const char *args; // the scale (and other) operands
  bool lse = false;
  const char *elementType = "f32";
};

const QuantizedSpecCase kQuantizedCases[] = {
    // Query scales per (head, block of 16 tokens), key scales per (batch,
    // head, token); causal (rows with no key when Nq > Nk).
    {"block_and_token_scales_causal_lse",
     "q_scale(%sq : tensor<1x?x?xf32>) k_scale(%sk : tensor<?x?x?xf32>) "
     "mask(#attn.causal) quantization(#attn.quantized_qk<scheme = int8, "
     "q_block = 16>)",
     ", %sq: tensor<1x?x?xf32>, %sk: tensor<?x?x?xf32>", true},
    // Per-tensor query scale, per-head key scale; a sliding window and a
    // softcap; P V in bf16.
    {"tensor_and_head_scales_window_softcap_bf16",
     "q_scale(%sq : tensor<1x1x1xf32>) k_scale(%sk : tensor<1x?x1xf32>) "
     "mask(#attn.and<[#attn.causal, #attn.window<left = 20, right = 0>]>) "
     "quantization(#attn.quantized_qk<scheme = int8>) "
     "score_mods([#attn.softcap<20.0>])",
     ", %sq: tensor<1x1x1xf32>, %sk: tensor<1x?x1xf32>", false, "bf16"},
    // Key scales per block of 7 keys (not a divisor of the tiles), an f16
    // query scale per tensor, no mask, sinks, the two-pass form (weight_mod); f16 P V.
    {"key_blocks_sinks_weight_mod_f16",
     "sink_logits(%s : tensor<?xf16>) q_scale(%sq : tensor<1x1x1xf16>) "
     "k_scale(%sk : tensor<?x?x?xf32>) "
     "quantization(#attn.quantized_qk<scheme = int8, k_block = 7>) "
     "weight_mod {\n^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: "
     "index, %j: index):\n  %t = math.tanh %r : f32\n  %y = arith.mulf "
     "%w, %t : f32\n  attn.yield %y : f32\n}",
     ", %sq: tensor<1x1x1xf16>, %sk: tensor<?x?x?xf32>, %s: tensor<?xf16>",
     false, "f16"},
    // A sigmoid normalization (no row statistics) under a causal mask.
    {"sigmoid_causal",
     "q_scale(%sq : tensor<1x?x?xf32>) k_scale(%sk : tensor<?x?x?xf32>) "
     "mask(#attn.causal) quantization(#attn.quantized_qk<scheme = int8, "
     "q_block = 5, k_block = 3>) normalization(#attn.normalize<sigmoid>)",
     ", %sq: tensor<1x?x?xf32>, %sk: tensor<?x?x?xf32>"},
};

std::string makeQuantizedSpec(const QuantizedSpecCase &c) {
  std::string i8 = "tensor<?x?x?x?xi8>";
  std::string t = std::string("tensor<?x?x?x?x") + c.elementType + ">";
  std::string results = c.lse ? t + ", tensor<?x?x?xf32>" : t;
  return "func.func @spec(%q: " + i8 + ", %k: " + i8 + ", %v: " + t +
         c.args + ") -> (" + results + ") {\n  " +
         (c.lse ? "%o, %l" : "%o") + " = attn.attention %q, %k, %v " +
         c.body + " : " + i8 + ", " + i8 + ", " + t + " -> " + results +
         "\n  return " + (c.lse ? "%o, %l : " : "%o : ") + results + "\n}\n";
}

class GPUQuantizedTest : public ::testing::TestWithParam<int> {
protected:
  void SetUp() override {
    attn::test::setUpCompileContext<mlir::gpu::GPUDialect>(context);
  }
  MLIRContext context;
};

/// The SIMT kernel's INT8 Q K^T against the reference of the quantized math
/// (integer products exact, then the scales): lengths that are not
/// multiples of the tiles or the scale blocks, GQA, Nq < Nk, Nq > Nk (rows
/// with no key under a causal mask), one token, head dims that are
/// multiples of 4 (word products) and one that is not (byte products); the automatic tiles,
/// several key tiles, more query tiles than threads per row stage, and
/// tensor cores asked for (the kernel stays SIMT for i8).
TEST_P(GPUQuantizedTest, PreMappingIRMatchesReference) {
  const QuantizedSpecCase &c = kQuantizedCases[GetParam()];
  std::string source = makeQuantizedSpec(c);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << source;
  FailureOr<SpecBinding> binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  ASSERT_TRUE(preQuantizedInt8OnGPU(binding->op));
  const ProblemSize sizes[] = {
      {1, 4, 2, 37, 37, 16, 16}, // GQA, lengths not multiples of the tiles
      {2, 4, 4, 5, 29, 8, 12},   // Nq < Nk, Dv != D
      {1, 4, 1, 23, 9, 16, 8},   // Nq > Nk: causal rows with no key
      {2, 4, 2, 1, 1, 8, 8},     // one token
      {1, 2, 1, 19, 21, 18, 10}, // D not a multiple of 4: byte products
  };
  for (const TileCase *t : {&kTiles[0], &kTiles[1], &kTiles[2], &kTiles[3]})
    for (const ProblemSize &s : sizes) {
      SCOPED_TRACE(testing::Message()
                   << c.name << " tiles " << t->name << " B=" << s.b
                   << " Hq=" << s.hq << " Hkv=" << s.hkv << " Nq=" << s.nq
                   << " Nk=" << s.nk << " D=" << s.d << " Dv=" << s.dv);
      checkSpec(*binding, s, t->tiles, /*seeds=*/{5, 6});
    }
  // Split-KV: a decode step's key tiles in 3 parts merged by their
  // logsumexp (the two-pass case is not split).
  attn::gpu::GPUTileOptions split = kTiles[1].tiles;
  split.splitKv = 3;
  SCOPED_TRACE(testing::Message() << c.name << " split-kv 3, Nq 1, Nk 140");
  checkSpec(*binding, {2, 4, 2, 1, 140, 16, 16}, split, /*seeds=*/{5, 6});
}

INSTANTIATE_TEST_SUITE_P(
    Inline, GPUQuantizedTest,
    ::testing::Range(0, int(std::size(kQuantizedCases))),
    [](const ::testing::TestParamInfo<int> &info) {
      return std::string(kQuantizedCases[info.param].name);
    });

// A NaN (head 0) and an infinity (head 1) in value rows that the causal
// mask excludes for the rows before them: those rows must stay finite, the
// rows that keep them NaN or infinite, as the reference (see
// ExcludedValuesTest in NumericsTest.cpp), on the SIMT kernel (O in
// registers, and in shared memory with Dv = 136) and the tensor-core ones
// (O in fragments, in shared memory, S in shared memory, the register
// softmax): partial key tiles probe their values (GPULowering::probeValues)
// and P V excludes the pairs the mask drops (markKeptZeroWeights,
// excludeNonFiniteValues).
TEST(GPUExcludedValuesTest, NonFiniteValuesOfExcludedKeysDoNotLeak) {
  MLIRContext context;
  attn::test::setUpCompileContext<mlir::gpu::GPUDialect>(context);
  struct Run {
    const char *type;
    int64_t dv;
  };
  for (Run run : {Run{"f32", 16}, Run{"f16", 16}, Run{"f32", 136}}) {
    const char *type = run.type;
    SpecCase c{"excluded", "mask(#attn.causal)", false, type};
    std::string source = makeSpec(c);
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(source, &context);
    ASSERT_TRUE(module) << source;
    FailureOr<SpecBinding> binding = bindSpec(*module, "spec");
    ASSERT_TRUE(succeeded(binding));
    const int64_t n = 37, dv = run.dv;
    ProblemSize size{1, 2, 2, n, n, 16, dv};
    auto args = makeRandomInputs(*binding, size, 5);
    ASSERT_TRUE(static_cast<bool>(args)) << llvm::toString(args.takeError());
    NDArray &v = (*args)[2];
    for (int64_t x = 0; x < dv; ++x) {
      v.setDouble(5 * dv + x, std::nan(""));
      v.setDouble((n + 20) * dv + x, std::numeric_limits<double>::infinity());
    }
    for (const TileCase &t : kTiles) {
      if (t.tensorCoresOnly != (StringRef(type) == "f16"))
        continue;
      // Dv = 136: the tilings with O in shared memory (64 x 136 / 128 and
      // 16 x 136 / 32 threads are more than 64 registers a thread).
      if (dv != 16 && StringRef(t.name) != "auto" &&
          StringRef(t.name) != "q16_kv8_t32")
        continue;
      SCOPED_TRACE(testing::Message() << type << " Dv " << dv << " tiles "
                                      << t.name);
      GPUOnCPU kernel;
      compileOnCPU(*binding, *args, t.tiles, kernel);
      ASSERT_FALSE(testing::Test::HasFatalFailure());
      Comparison out;
      attn::test::runAndCompare(*kernel.compiled, kernel.concrete, size,
                                *args, *args, &out);
      EXPECT_EQ(out.nonFinite, 0);
    }
  }
}

// Head map entries outside [0, heads) are an error of the reference; the
// compiled kernel clamps them into range (it never reads outside K or V):
// it matches the reference run on the clamped maps.
TEST(GPUHeadMapTest, OutOfRangeEntriesAreClamped) {
  MLIRContext context;
  attn::test::setUpCompileContext<mlir::gpu::GPUDialect>(context);
  SpecCase c{"clamped",
             "k_head_map(%km : tensor<?x?xi32>) v_head_map(%vm : "
             "tensor<?xi64>) mask(#attn.causal)",
             false,
             "f32",
             ", %km: tensor<?x?xi32>, %vm: tensor<?xi64>",
             OWN_VALUE_HEADS};
  std::string source = makeSpec(c);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << source;
  FailureOr<SpecBinding> binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  ProblemSize size{2, 4, 2, 37, 37, 16, 16}; // Hk = 2, Hv = Hq - 1 = 3
  auto args = makeRandomInputs(*binding, size, 9);
  ASSERT_TRUE(static_cast<bool>(args)) << llvm::toString(args.takeError());
  std::vector<NDArray> clamped = *args;
  const std::pair<ArgRole, std::vector<double>> maps[] = {
      {ArgRole::KHeadMap, {-3, 0, 5, 1, 100, -1, 1, 2}}, // [B, Hq], Hk = 2
      {ArgRole::VHeadMap, {7, -2, 1, 3}},                // [Hq], Hv = 3
  };
  for (const auto &[role, entries] : maps) {
    auto it = std::find(binding->roles.begin(), binding->roles.end(), role);
    ASSERT_NE(it, binding->roles.end());
    unsigned n = it - binding->roles.begin();
    int64_t heads = role == ArgRole::KHeadMap ? 2 : 3;
    ASSERT_EQ((*args)[n].numElements(), static_cast<int64_t>(entries.size()));
    for (auto [e, v] : llvm::enumerate(entries)) {
      (*args)[n].setDouble(e, v);
      clamped[n].setDouble(e, std::clamp<double>(v, 0, heads - 1));
    }
  }
  GPUOnCPU kernel;
  compileOnCPU(*binding, *args, kTiles[1].tiles, kernel);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  // The entries are out of range: the reference refuses them.
  auto refused = reference::evaluate(
      kernel.concrete.op, referenceInputs(kernel.concrete, *args));
  ASSERT_FALSE(static_cast<bool>(refused));
  llvm::consumeError(refused.takeError());
  attn::test::runAndCompare(*kernel.compiled, kernel.concrete, size, *args,
                            clamped);
}


//===----------------------------------------------------------------------===//
// Linear attention: the chunked causal and the global O(N) forms
//===----------------------------------------------------------------------===//

/// Inline linear-attention specs (SpecCase): elementwise feature maps, l1
/// or none, a decay constant per head or per (batch, head), a decay per key
/// position (Mamba-2; shared by the batch too) and a gate per key channel
/// (GLA; also constant along the keys), an output gate, causal (chunked)
/// and unmasked (global), f32, bf16 and f16.
const SpecCase kLinearCases[] = {
    {"elu_l1_causal",
     "feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity, l1>) scale(1.0)"},
    {"relu_causal_default_scale",
     "feature_map(#attn.feature_map<relu>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity>)"},
    {"sigmoid_silu_causal_gate",
     "output_gate(%g : tensor<?x?x?xf32>) "
     "feature_map(#attn.feature_map<sigmoid, keys = silu>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity>) scale(0.5)",
     false, "f32", ", %g: tensor<?x?x?xf32>"},
    {"decay_per_head",
     "decay(%a : tensor<1x?x1xf32>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity>) scale(1.0)",
     false, "f32", ", %a: tensor<1x?x1xf32>"},
    {"decay_per_batch_head_elu_l1",
     "decay(%a : tensor<?x?x1xf32>) "
     "feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity, l1>) scale(1.0)",
     false, "f32", ", %a: tensor<?x?x1xf32>"},
    {"elu_l1_global",
     "feature_map(#attn.feature_map<elu_plus_one>) "
     "normalization(#attn.normalize<identity, l1>) scale(1.0)"},
    {"exp_global_gate",
     "output_gate(%g : tensor<?x?x?xf32>) "
     "feature_map(#attn.feature_map<exp>) "
     "normalization(#attn.normalize<identity>)",
     false, "f32", ", %g: tensor<?x?x?xf32>"},
    {"elu_l1_causal_bf16",
     "feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity, l1>) scale(1.0)",
     false, "bf16"},
    {"decay_per_head_bf16",
     "decay(%a : tensor<1x?x1xbf16>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity>) scale(1.0)",
     false, "bf16", ", %a: tensor<1x?x1xbf16>"},
    {"relu_global_f16",
     "feature_map(#attn.feature_map<relu>) "
     "normalization(#attn.normalize<identity>) scale(1.0)",
     false, "f16"},
    {"decay_per_token",
     "decay(%a : tensor<?x?x?xf32>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity>) scale(1.0)",
     false, "f32", ", %a: tensor<?x?x?xf32>"},
    {"decay_per_head_token_elu_l1",
     "decay(%a : tensor<1x?x?xf32>) "
     "feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity, l1>) scale(1.0)",
     false, "f32", ", %a: tensor<1x?x?xf32>"},
    {"decay_per_token_bf16",
     "decay(%a : tensor<?x?x?xbf16>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity>) scale(1.0)",
     false, "bf16", ", %a: tensor<?x?x?xbf16>"},
    {"channel_gates",
     "decay(%a : tensor<?x?x?x?xf32>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity>)",
     false, "f32", ", %a: tensor<?x?x?x?xf32>"},
    {"channel_gates_per_head_silu_gate",
     "output_gate(%g : tensor<?x?x?xf32>) decay(%a : tensor<1x?x1x?xf32>) "
     "feature_map(#attn.feature_map<silu>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity>) scale(0.25)",
     false, "f32", ", %a: tensor<1x?x1x?xf32>, %g: tensor<?x?x?xf32>"},
    // Row epilogues (rms_norm over all Dv columns: one block per row, 80
    // columns too) and element-wise gates: GLA's and TNL's outputs.
    {"channel_gates_rms_gate4",
     "output_gate(%g : tensor<?x?x?x?xf32>) decay(%a : tensor<?x?x?x?xf32>) "
     "mask(#attn.causal) normalization(#attn.normalize<identity>) "
     "epilogue(#attn.epilogue<rms_norm, eps = 1.0e-05>)",
     false, "f32", ", %a: tensor<?x?x?x?xf32>, %g: tensor<?x?x?x?xf32>"},
    {"silu_head_decay_rms_gate4_bf16",
     "output_gate(%g : tensor<?x?x?x?xbf16>) decay(%a : tensor<1x?x1xbf16>) "
     "feature_map(#attn.feature_map<silu>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity>) scale(1.0) "
     "epilogue(#attn.epilogue<rms_norm, eps = 1.0e-06>)",
     false, "bf16", ", %a: tensor<1x?x1xbf16>, %g: tensor<?x?x?x?xbf16>"},
    {"elu_l1_global_rms_gate4_shared",
     "output_gate(%g : tensor<1x?x1x?xf32>) "
     "feature_map(#attn.feature_map<elu_plus_one>) "
     "normalization(#attn.normalize<identity, l1>) scale(1.0) "
     "epilogue(#attn.epilogue<rms_norm, eps = 1.0e-06>)",
     false, "f32", ", %g: tensor<1x?x1x?xf32>"},
    {"relu_causal_gate4",
     "output_gate(%g : tensor<?x?x?x?xf32>) "
     "feature_map(#attn.feature_map<relu>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity, l1>) scale(1.0)",
     false, "f32", ", %g: tensor<?x?x?x?xf32>"},
    {"channel_gates_elu_l1_bf16",
     "decay(%a : tensor<?x?x?x?xbf16>) "
     "feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity, l1>) scale(1.0)",
     false, "bf16", ", %a: tensor<?x?x?x?xbf16>"},
};

/// Chunks: the automatic one (64 or what fits), 5 (not a power of two:
/// lengths end inside chunks), 8 with 32 threads (strided stages) and 16.
const TileCase kLinearTiles[] = {
    {"auto", {0, 0, 128, 101376}},
    {"chunk5_t64", {5, 5, 64, 101376}},
    {"chunk8_t32", {8, 8, 32, 101376}},
    {"chunk16_t128", {16, 16, 128, 101376}},
};

class GPULinearTest : public ::testing::TestWithParam<int> {
protected:
  void SetUp() override {
    attn::test::setUpCompileContext<mlir::gpu::GPUDialect>(context);
  }
  MLIRContext context;
};

TEST_P(GPULinearTest, PreMappingIRMatchesReference) {
  const SpecCase &c = kLinearCases[GetParam()];
  std::string source = makeSpec(c);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << source;
  FailureOr<SpecBinding> binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  ASSERT_TRUE(linearOnGPU(binding->op));
  std::vector<ProblemSize> sizes = {
      {1, 4, 2, 37, 37, 16, 16}, // GQA, lengths not multiples of the chunks
      {2, 4, 4, 5, 29, 8, 12},   // Nq < Nk, Dv != D
      {1, 4, 1, 23, 9, 16, 8},   // Nq > Nk: causal rows with no key
      {2, 4, 2, 1, 1, 8, 8},     // one token
      {1, 2, 2, 70, 70, 24, 80}, // Dv > 64: two blocks of value columns
  };
  for (const TileCase &t : kLinearTiles)
    for (const ProblemSize &s : sizes) {
      SCOPED_TRACE(testing::Message()
                   << c.name << " chunk " << t.name << " B=" << s.b
                   << " Hq=" << s.hq << " Hkv=" << s.hkv << " Nq=" << s.nq
                   << " Nk=" << s.nk << " D=" << s.d << " Dv=" << s.dv);
      checkSpec(*binding, s, t.tiles, /*seeds=*/{5, 6});
    }
}

INSTANTIATE_TEST_SUITE_P(
    Linear, GPULinearTest,
    ::testing::Range(0, int(std::size(kLinearCases))),
    [](const ::testing::TestParamInfo<int> &info) {
      return std::string(kLinearCases[info.param].name);
    });

/// Maps of whole rows (attn_tile.expand_features): hedgehog's learned
/// exp map with F != D (6 below every D of the shapes, 24 above; a map per
/// head or one shared), Based's taylor2 (1 + D + D^2 features), the row
/// softmax of the queries (GSA's readout: keys as loaded, a gate per key
/// channel; and on both sides), chunked and global, l1 or none, with
/// decays, f32, bf16 and f16.
#define GPU_HEDGEHOG(w, b)                                                     \
  "feature_map(#attn.feature_map<hedgehog>, %w, %fb : tensor<" w               \
  "xf32>, tensor<" b "xf32>) "
#define GPU_HEDGEHOG_ARGS(w, b) ", %w: tensor<" w "xf32>, %fb: tensor<" b "xf32>"
const SpecCase kExpandedCases[] = {
    {"hedgehog_l1",
     GPU_HEDGEHOG("?x6x?", "?x6") "mask(#attn.causal) "
     "normalization(#attn.normalize<identity, l1>) scale(1.0)",
     false, "f32", GPU_HEDGEHOG_ARGS("?x6x?", "?x6")},
    {"hedgehog_shared_global_l1_bf16",
     GPU_HEDGEHOG("1x24x?", "1x24")
     "normalization(#attn.normalize<identity, l1>)",
     false, "bf16", GPU_HEDGEHOG_ARGS("1x24x?", "1x24")},
    {"hedgehog_token_decay_bf16",
     "decay(%a : tensor<?x?x?xbf16>) " GPU_HEDGEHOG("?x6x?", "?x6")
     "mask(#attn.causal) normalization(#attn.normalize<identity>) scale(0.5)",
     false, "bf16", GPU_HEDGEHOG_ARGS("?x6x?", "?x6") ", %a: tensor<?x?x?xbf16>"},
    {"taylor2_l1",
     "feature_map(#attn.feature_map<taylor2>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity, l1>) scale(1.0)"},
    {"taylor2_head_decay_f16",
     "decay(%a : tensor<1x?x1xf16>) feature_map(#attn.feature_map<taylor2>) "
     "mask(#attn.causal) normalization(#attn.normalize<identity>) "
     "scale(0.125)",
     false, "f16", ", %a: tensor<1x?x1xf16>"},
    {"taylor2_global_l1",
     "feature_map(#attn.feature_map<taylor2>) "
     "normalization(#attn.normalize<identity, l1>)"},
    {"softmax_queries_channel_gates",
     "decay(%a : tensor<?x?x?x?xf32>) "
     "feature_map(#attn.feature_map<softmax, keys = identity>) "
     "mask(#attn.causal) normalization(#attn.normalize<identity>) scale(1.0)",
     false, "f32", ", %a: tensor<?x?x?x?xf32>"},
    {"softmax_queries_channel_gates_bf16",
     "decay(%a : tensor<?x?x?x?xbf16>) "
     "feature_map(#attn.feature_map<softmax, keys = identity>) "
     "mask(#attn.causal) normalization(#attn.normalize<identity>) scale(1.0)",
     false, "bf16", ", %a: tensor<?x?x?x?xbf16>"},
    {"softmax_l1",
     "feature_map(#attn.feature_map<softmax>) mask(#attn.causal) "
     "normalization(#attn.normalize<identity, l1>) scale(1.0)"},
};

class GPULinearExpandedTest : public GPULinearTest {};

// The shapes of GPULinearTest but D <= 16 (taylor2's 273 features fit
// every chunk's shared memory).
TEST_P(GPULinearExpandedTest, PreMappingIRMatchesReference) {
  const SpecCase &c = kExpandedCases[GetParam()];
  std::string source = makeSpec(c);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << source;
  FailureOr<SpecBinding> binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  ASSERT_FALSE(hasNoGPULowering(*binding));
  std::vector<ProblemSize> sizes = {
      {1, 4, 2, 37, 37, 16, 16}, // GQA, lengths not multiples of the chunks
      {2, 4, 4, 5, 29, 8, 12},   // Nq < Nk, Dv != D
      {1, 4, 1, 23, 9, 16, 8},   // Nq > Nk: causal rows with no key
      {2, 4, 2, 1, 1, 8, 8},     // one token
      {1, 2, 2, 70, 70, 12, 80}, // Dv > 64: several blocks of value columns
  };
  for (const TileCase &t : kLinearTiles)
    for (const ProblemSize &s : sizes) {
      SCOPED_TRACE(testing::Message()
                   << c.name << " chunk " << t.name << " B=" << s.b
                   << " Hq=" << s.hq << " Hkv=" << s.hkv << " Nq=" << s.nq
                   << " Nk=" << s.nk << " D=" << s.d << " Dv=" << s.dv);
      checkSpec(*binding, s, t.tiles, /*seeds=*/{5, 6});
    }
}

INSTANTIATE_TEST_SUITE_P(
    Expanded, GPULinearExpandedTest,
    ::testing::Range(0, int(std::size(kExpandedCases))),
    [](const ::testing::TestParamInfo<int> &info) {
      return std::string(kExpandedCases[info.param].name);
    });

// Decays near 0 and near 1 (the data-dependent forms' log-space prefix per
// chunk): per key position, head 0 keeps decays 1, 0.999 and 1 - 2^-12
// (300 tokens: the state carries nearly everything across the chunks),
// head 1 has 1e-3 every fourth key (one step is 1e-3, two underflow) and
// 0.9 between; per key channel, 0.999, 1e-3, 1 - 2^-12, 0.5 and 1 side by
// side in every row. One token, 300 tokens and Nq < Nk, chunks automatic,
// 5 and 16, f32 and bf16 (tensor cores at 16), two seeds; every output
// finite.
TEST(GPULinearDecayEdgeTest, DecaysNearZeroAndOne) {
  MLIRContext context;
  attn::test::setUpCompileContext<mlir::gpu::GPUDialect>(context);
  const double channelGates[] = {0.999, 1e-3, 1.0 - 1.0 / 4096, 0.5, 1.0};
  auto setDecays = [&](NDArray &a, int64_t heads) {
    bool channels = a.shape().size() == 4;
    int64_t d = channels ? a.shape()[3] : 1, n = a.shape()[2];
    for (int64_t x = 0, total = a.numElements(); x < total; ++x) {
      int64_t p = x / d % n, h = x / (d * n) % heads;
      double v = channels ? channelGates[x % d % 5]
                 : h % 2 == 0
                     ? (p % 3 == 0 ? 1.0 : p % 3 == 1 ? 0.999 : 1.0 - 1.0 / 4096)
                     : (p % 4 == 0 ? 1e-3 : 0.9);
      a.setDouble(x, v);
    }
  };
  const ProblemSize sizes[] = {{1, 2, 2, 1, 1, 8, 8},
                               {1, 2, 1, 300, 300, 8, 6},
                               {1, 2, 2, 7, 70, 16, 4}};
  const TileCase tiles[] = {kLinearTiles[0], kLinearTiles[1], kLinearTiles[3]};
  for (const char *type : {"f32", "bf16"})
    for (const char *decay : {"tensor<?x?x?xT>", "tensor<?x?x?x?xT>"}) {
      std::string decayType = decay;
      decayType.replace(decayType.find('T'), 1, type);
      std::string body = "decay(%a : " + decayType +
                         ") mask(#attn.causal) "
                         "normalization(#attn.normalize<identity>) scale(0.5)";
      std::string args = ", %a: " + decayType;
      SpecCase c{"edge", body.c_str(), false, type, args.c_str()};
      std::string source = makeSpec(c);
      OwningOpRef<ModuleOp> module =
          parseSourceString<ModuleOp>(source, &context);
      ASSERT_TRUE(module) << source;
      FailureOr<SpecBinding> binding = bindSpec(*module, "spec");
      ASSERT_TRUE(succeeded(binding));
      for (const TileCase &t : tiles)
        for (const ProblemSize &size : sizes) {
          SCOPED_TRACE(testing::Message()
                       << decayType << " chunk " << t.name << " Nq=" << size.nq
                       << " Nk=" << size.nk);
          GPUOnCPU kernel;
          for (uint64_t seed : {5, 6}) {
            auto inputs = makeRandomInputs(*binding, size, seed);
            ASSERT_TRUE(static_cast<bool>(inputs))
                << llvm::toString(inputs.takeError());
            setDecays((*inputs)[3], size.hq);
            if (!kernel.compiled) {
              compileOnCPU(*binding, *inputs, t.tiles, kernel);
              ASSERT_FALSE(testing::Test::HasFatalFailure());
            }
            Comparison out;
            attn::test::runAndCompare(*kernel.compiled, kernel.concrete, size,
                                      *inputs, *inputs, &out);
            EXPECT_EQ(out.nonFinite, 0);
          }
        }
    }
}

// A NaN (head 0, key 5) and an infinity (head 1, key 20) in value rows: the
// causal rows before them stay finite and the later ones are NaN or
// infinite as in the reference, in both the chunk's own products (which
// stop at the diagonal) and the carried state (which folds a key only once
// its chunk is done); the padding keys past Nk never reach the state.
// Positive feature maps only (ELU+1, with and without a decay): the state is
// the factorized order sum_j phi(k_j) v_j^T, so with features of both signs
// (or zeros) an infinite value makes state entries +inf, -inf (or NaN, 0 x
// inf) that phi(q) . state sums to NaN where the reference's (phi(q) .
// phi(k_j)) v_j is +-inf; the CPU's chunked form has the same order.
TEST(GPULinearExcludedValuesTest, NonFiniteValuesReachOnlyLaterRows) {
  MLIRContext context;
  attn::test::setUpCompileContext<mlir::gpu::GPUDialect>(context);
  for (const SpecCase &c : {kLinearCases[0], kLinearCases[4]}) {
    std::string source = makeSpec(c);
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(source, &context);
    ASSERT_TRUE(module) << source;
    FailureOr<SpecBinding> binding = bindSpec(*module, "spec");
    ASSERT_TRUE(succeeded(binding));
    const int64_t n = 37, dv = 16;
    ProblemSize size{1, 2, 2, n, n, 16, dv};
    auto args = makeRandomInputs(*binding, size, 5);
    ASSERT_TRUE(static_cast<bool>(args)) << llvm::toString(args.takeError());
    NDArray &v = (*args)[2];
    for (int64_t x = 0; x < dv; ++x) {
      v.setDouble(5 * dv + x, std::nan(""));
      v.setDouble((n + 20) * dv + x, std::numeric_limits<double>::infinity());
    }
    for (const TileCase &t : kLinearTiles) {
      SCOPED_TRACE(testing::Message() << c.name << " chunk " << t.name);
      GPUOnCPU kernel;
      compileOnCPU(*binding, *args, t.tiles, kernel);
      ASSERT_FALSE(testing::Test::HasFatalFailure());
      Comparison out;
      attn::test::runAndCompare(*kernel.compiled, kernel.concrete, size,
                                *args, *args, &out);
      EXPECT_EQ(out.nonFinite, 0);
    }
  }
}

//===----------------------------------------------------------------------===//
// Block selection: the pooling and selection kernels, then the run-time tile
// list of the attention kernel
//===----------------------------------------------------------------------===//

/// Specs with a selection the selection kernels run (per token, top-k by the
/// dot gate; SelectionKernel.cpp), at lengths that are not multiples of the
/// block or the tiles, one token, Nq < Nk and Nq > Nk (rows before the keys
/// select nothing), f32 (SIMT) and bf16 (SIMT and tensor cores).
const SpecCase kSelectionCases[] = {
    {"moba_mean_k3", "mask(#attn.causal) selection(#attn.topk_blocks<"
                     "block = 16, k = 3, pool = mean>)",
     true},
    // No mask: the current block is whole (future blocks not eligible).
    {"max_k2_no_current", "selection(#attn.topk_blocks<block = 8, k = 2, "
                          "pool = max, keep_current = false>)"},
    {"min_k1_current_only", "mask(#attn.causal) selection(#attn.topk_blocks<"
                            "block = 5, k = 1, pool = min>)"},
    // Sinks and a local window, always kept beyond k.
    {"sum_k2_sinks_local", "mask(#attn.causal) selection(#attn.topk_blocks<"
                           "block = 8, k = 2, pool = sum, sinks = 1, "
                           "local = 1>)"},
    // Every block eligible; the causal mask still drops the future keys.
    {"mean_k2_non_causal", "mask(#attn.causal) selection(#attn.topk_blocks<"
                           "block = 8, k = 2, pool = mean, causal = false>)"},
    {"moba_mean_k3_bf16", "mask(#attn.causal) selection(#attn.topk_blocks<"
                          "block = 16, k = 3, pool = mean>)",
     true, "bf16"},
    // Per query block (pooled queries; q_block 16 divides the test tiles,
    // 24 and 20 do not): top-k, the cumulative mass with a sink, a
    // threshold without the current block, non-causal eligibility.
    {"query_block_topk", "mask(#attn.causal) selection(#attn.topk_blocks<"
                         "block = 16, k = 3, pool = mean, q_block = 16>)",
     true},
    {"query_block_mass_sinks",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 1000, "
     "pool = mean, q_block = 24, mass = 0.8, sinks = 1>)"},
    {"query_block_threshold_no_current",
     "selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, "
     "keep_current = false, q_block = 20, threshold = 0.2>)"},
    {"noncausal_query_block_topk",
     "selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, "
     "keep_current = false, q_block = 16, causal = false>)",
     true},
    {"noncausal_token_mass_local",
     "selection(#attn.topk_blocks<block = 8, k = 1000, pool = max, "
     "mass = 0.7, local = 1, causal = false>)"},
    // A representative key and query selection; a rank band with a score
    // floor; the complement.
    {"select_queries_first_topk",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 3, "
     "pool = first, keep_current = false, select_queries = true>)",
     true},
    {"last_skip_min_score",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 4, "
     "pool = last, skip = 1, min_score = 0.0>)"},
    {"complement_k2", "mask(#attn.causal) selection(#attn.topk_blocks<"
                      "block = 8, k = 2, pool = mean, complement = true>)"},
    // Given block scores: one-token blocks per token, a mass rule with
    // scores shared by the batch, a route per query block.
    {"given_scores_topk",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 1, k = 20, "
     "pool = mean, gate = given, keep_current = false, causal = false>) "
     "block_scores(%s : tensor<?x?x?xf32>)",
     true, "f32", ", %s: tensor<?x?x?xf32>"},
    {"given_scores_mass_current",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 1000, "
     "pool = max, gate = given, mass = 0.7>) "
     "block_scores(%s : tensor<1x?x?xf32>)",
     false, "f32", ", %s: tensor<1x?x?xf32>"},
    {"given_scores_query_block",
     "selection(#attn.topk_blocks<block = 8, k = 2, pool = mean, "
     "q_block = 16, keep_current = false, causal = false, gate = given>) "
     "block_scores(%s : tensor<?x?x?x?xf32>)",
     false, "f32", ", %s: tensor<?x?x?x?xf32>"},
    {"given_scores_topk_bf16",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 1, k = 20, "
     "pool = mean, gate = given, keep_current = false, causal = false>) "
     "block_scores(%s : tensor<?x?x?xf32>)",
     false, "bf16", ", %s: tensor<?x?x?xf32>"},
    // Shared by a head group: the GQA group's mean pooled query, or one
    // proxy head averaging every query and key head.
    {"query_block_head_group",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 2, "
     "pool = mean, q_block = 16, mass = 0.9, head_group = true>)"},
    {"query_block_proxy_heads",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 3, "
     "pool = max, q_block = 16, head_group = true, proxy_heads = 1>)"},
    {"query_block_mass_sinks_bf16",
     "mask(#attn.causal) selection(#attn.topk_blocks<block = 16, k = 1000, "
     "pool = mean, q_block = 24, mass = 0.8, sinks = 1>)",
     false, "bf16"},
    {"max_k2_no_current_bf16", "selection(#attn.topk_blocks<block = 8, "
                               "k = 2, pool = max, keep_current = false>)",
     false, "bf16"},
};

const ProblemSize kSelectionShapes[] = {
    {1, 2, 1, 1, 1, 8, 8},       // one token
    {1, 4, 2, 37, 37, 16, 16},   // GQA, not a multiple of blocks or tiles
    {1, 2, 2, 100, 100, 16, 12}, // Dv != D
    {1, 2, 1, 20, 90, 16, 16},   // Nq < Nk (decode-like)
    {1, 2, 1, 90, 20, 16, 16},   // Nq > Nk: early rows have no eligible block
};

/// Keys with a few strong directions per block (SelectionNumericsTest's
/// inputs): gates a whole unit apart, so that f32 and the reference's f64
/// rank the blocks alike and the selection is neither every block nor none.
void addStrongDirections(NDArray &q, NDArray &k, int64_t block,
                         uint64_t seed) {
  auto ks = k.shape(), qs = q.shape();
  int64_t d = ks[3];
  for (int64_t row = 0; row < ks[0] * ks[1] * ks[2]; ++row) {
    int64_t c = (row % ks[2]) / block;
    double s = static_cast<double>((c * 7919 + seed * 104729) % 13) / 2.0 - 3.0;
    int64_t x = (c % 3) % d;
    k.setDouble(row * d + x, k.getDouble(row * d + x) + s);
  }
  for (int64_t row = 0; row < qs[0] * qs[1] * qs[2]; ++row)
    for (int64_t x = 0; x < std::min<int64_t>(3, d); ++x)
      q.setDouble(row * d + x, q.getDouble(row * d + x) + 1.0 + x);
}

int64_t selectionBlock(const SpecBinding &binding) {
  return binding.op.getSelectionAttr().getBlock();
}

class GPUSelectionTest : public ::testing::TestWithParam<int> {
protected:
  void SetUp() override {
    attn::test::setUpCompileContext<mlir::gpu::GPUDialect>(context);
  }
  MLIRContext context;
};

TEST_P(GPUSelectionTest, PreMappingIRMatchesReference) {
  const SpecCase &c = kSelectionCases[GetParam()];
  std::string source = makeSpec(c);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << source;
  FailureOr<SpecBinding> binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  ASSERT_FALSE(hasNoGPULowering(*binding));
  int64_t block = selectionBlock(*binding);
  for (const TileCase &t : kTiles) {
    if (t.tensorCoresOnly && !isSixteenBit(*binding))
      continue;
    // Tiles smaller and larger than the blocks, single and double buffers,
    // SIMT and tensor cores (the other tensor-core forms share the entry
    // source and the pair test).
    if (&t == &kTiles[6] || &t == &kTiles[7] || &t == &kTiles[8])
      continue;
    for (const ProblemSize &s : kSelectionShapes) {
      SCOPED_TRACE(testing::Message()
                   << c.name << " tiles " << t.name << " Hq=" << s.hq
                   << " Hkv=" << s.hkv << " Nq=" << s.nq << " Nk=" << s.nk
                   << " D=" << s.d << " Dv=" << s.dv);
      GPUOnCPU kernel;
      for (uint64_t seed : {1u, 2u}) {
        SCOPED_TRACE(testing::Message() << "seed " << seed);
        auto args = makeRandomInputs(*binding, s, seed);
        ASSERT_TRUE(static_cast<bool>(args));
        addStrongDirections((*args)[0], (*args)[1], block, seed);
        if (!kernel.compiled) {
          compileOnCPU(*binding, *args, t.tiles, kernel);
          ASSERT_FALSE(testing::Test::HasFatalFailure());
        }
        attn::test::runAndCompare(*kernel.compiled, kernel.concrete, s,
                                  *args, *args);
        ASSERT_FALSE(testing::Test::HasFatalFailure());
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Selection, GPUSelectionTest,
    ::testing::Range(0, int(std::size(kSelectionCases))),
    [](const ::testing::TestParamInfo<int> &info) {
      return std::string(kSelectionCases[info.param].name);
    });

/// The selected block sets: one-hot values per block (V[j] = e_{j / block},
/// Dv = blocks) and a small scale, so that output column c of row i is
/// positive exactly when the row selects block c and sees one of its keys;
/// compared with reference::selectedBlocks. Equal gates (every key of a
/// block equal, blocks alike) check the tie-break: the lower block index.
void checkSelectedBlocks(MLIRContext &context, const char *selection,
                         const ProblemSize &shape, uint64_t seed,
                         const attn::gpu::GPUTileOptions &tiles,
                         bool equalGates = false) {
  std::string body = std::string(selection) + " scale(0.05)";
  SpecCase c{"probe", body.c_str()};
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(makeSpec(c), &context);
  ASSERT_TRUE(module);
  FailureOr<SpecBinding> binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  bool causal = StringRef(selection).contains("#attn.causal");
  int64_t block = selectionBlock(*binding);
  int64_t blocks = (shape.nk + block - 1) / block;
  ProblemSize size = shape;
  size.dv = blocks;
  auto args = makeRandomInputs(*binding, size, seed);
  ASSERT_TRUE(static_cast<bool>(args));
  if (equalGates) {
    NDArray &k = (*args)[1];
    for (int64_t i = 0; i < k.numElements(); ++i)
      k.setDouble(i, (i % size.d) == 0 ? 1.0 : 0.0);
  } else {
    addStrongDirections((*args)[0], (*args)[1], block, seed);
  }
  NDArray &v = (*args)[2];
  for (int64_t row = 0; row < size.b * size.hkv * size.nk; ++row)
    for (int64_t x = 0; x < blocks; ++x)
      v.setDouble(row * blocks + x, x == (row % size.nk) / block ? 1.0 : 0.0);
  GPUOnCPU kernel;
  compileOnCPU(*binding, *args, tiles, kernel);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  std::vector<NDArray> results;
  attn::test::runKernel(*kernel.compiled, kernel.concrete, size, *args,
                        results);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  auto flags = reference::selectedBlocks(
      kernel.concrete.op, referenceInputs(kernel.concrete, *args));
  ASSERT_TRUE(static_cast<bool>(flags)) << llvm::toString(flags.takeError());
  int64_t selectedPairs = 0, lowerTies = 0;
  for (int64_t row = 0; row < size.b * size.hq * size.nq; ++row) {
    int64_t position = row % size.nq + size.nk - size.nq;
    for (int64_t x = 0; x < blocks; ++x) {
      bool compiledSelects = results[0].getDouble(row * blocks + x) > 0;
      bool referenceSelects = flags->getDouble(row * blocks + x) != 0;
      bool visible = !causal || x * block <= position;
      EXPECT_EQ(compiledSelects, referenceSelects && visible)
          << "row " << row << " block " << x;
      selectedPairs += referenceSelects;
      lowerTies += referenceSelects && x == 0;
    }
  }
  EXPECT_GT(selectedPairs, 0);
  EXPECT_LT(selectedPairs, size.b * size.hq * size.nq * blocks);
  if (equalGates) // with equal gates the top-k takes block 0 first
    EXPECT_GT(lowerTies, 0);
}

TEST(GPUSelectionBlocksTest, SelectedBlocksAreTheReferences) {
  MLIRContext context;
  attn::test::setUpCompileContext<mlir::gpu::GPUDialect>(context);
  const attn::gpu::GPUTileOptions tileSets[] = {kTiles[1].tiles,
                                                kTiles[2].tiles};
  for (const char *selection :
       {"mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 3, "
        "pool = mean>)",
        "selection(#attn.topk_blocks<block = 8, k = 2, pool = max, "
        "keep_current = false>)",
        "mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 2, "
        "pool = sum, sinks = 1, local = 1>)"})
    for (const attn::gpu::GPUTileOptions &tiles : tileSets)
      for (uint64_t seed : {1u, 2u}) {
        SCOPED_TRACE(testing::Message() << selection << " seed " << seed
                                        << " tiles " << tiles.tileQ << "x"
                                        << tiles.tileKv);
        checkSelectedBlocks(context, selection, {1, 2, 1, 77, 77, 16, 0},
                            seed, tiles);
        ASSERT_FALSE(testing::Test::HasFatalFailure());
      }
}

/// Per-head budgets (one per key head: shapes with two key heads only).
TEST(GPUSelectionBlocksTest, PerHeadBudgetsMatchReference) {
  MLIRContext context;
  attn::test::setUpCompileContext<mlir::gpu::GPUDialect>(context);
  SpecCase c{"budgets", "mask(#attn.causal) selection(#attn.topk_blocks<"
                        "block = 8, k = 4, pool = mean, budgets = [1, 4]>)"};
  std::string source = makeSpec(c);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << source;
  FailureOr<SpecBinding> binding = bindSpec(*module, "spec");
  ASSERT_TRUE(succeeded(binding));
  for (const TileCase *t : {&kTiles[0], &kTiles[1], &kTiles[2]})
    for (const ProblemSize &s :
         {ProblemSize{1, 4, 2, 37, 37, 16, 16},
          ProblemSize{1, 2, 2, 100, 100, 16, 12}}) {
      SCOPED_TRACE(testing::Message() << t->name << " Nq=" << s.nq);
      GPUOnCPU kernel;
      for (uint64_t seed : {1u, 2u}) {
        auto args = makeRandomInputs(*binding, s, seed);
        ASSERT_TRUE(static_cast<bool>(args));
        addStrongDirections((*args)[0], (*args)[1], 8, seed);
        if (!kernel.compiled) {
          compileOnCPU(*binding, *args, t->tiles, kernel);
          ASSERT_FALSE(testing::Test::HasFatalFailure());
        }
        attn::test::runAndCompare(*kernel.compiled, kernel.concrete, s,
                                  *args, *args);
        ASSERT_FALSE(testing::Test::HasFatalFailure());
      }
    }
}

/// The block sets of the per-query-block and mass rules.
TEST(GPUSelectionBlocksTest, QueryBlockRulesAreTheReferences) {
  MLIRContext context;
  attn::test::setUpCompileContext<mlir::gpu::GPUDialect>(context);
  for (const char *selection :
       {"mask(#attn.causal) selection(#attn.topk_blocks<block = 8, k = 1000, "
        "pool = mean, q_block = 12, mass = 0.8, sinks = 1>)",
        "selection(#attn.topk_blocks<block = 8, k = 3, pool = mean, "
        "keep_current = false, q_block = 10, threshold = 0.2, "
        "causal = false>)"})
    for (uint64_t seed : {1u, 2u}) {
      SCOPED_TRACE(testing::Message() << selection << " seed " << seed);
      checkSelectedBlocks(context, selection, {1, 2, 1, 77, 77, 16, 0}, seed,
                          kTiles[1].tiles);
      ASSERT_FALSE(testing::Test::HasFatalFailure());
    }
}

TEST(GPUSelectionBlocksTest, EqualGatesPreferTheLowerBlock) {
  MLIRContext context;
  attn::test::setUpCompileContext<mlir::gpu::GPUDialect>(context);
  checkSelectedBlocks(context,
                      "mask(#attn.causal) selection(#attn.topk_blocks<"
                      "block = 8, k = 2, pool = mean>)",
                      {1, 2, 1, 61, 61, 8, 0}, 3, kTiles[1].tiles,
                      /*equalGates=*/true);
}

} // namespace

