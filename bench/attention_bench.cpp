//===- attention_bench.cpp - time and GFLOP/s of compiled attention -------===//
//
// Google Benchmark harness for the CPU JIT (include/attn/JIT.h). Every
// benchmark is named
//
//   attn/<path>/<config>/<dtype>/N:<N>/D:<D>/H:<H>       (B = 1, Hq = Hkv = H)
//
// with <path> one of
//   tile          the tile program (the CPU lowering) with its vector
//                 kernels and every hardware thread,
//   tile_1t       the same kernel run on one thread,
//   tile_w8       8 f32 lanes asked for (16 is automatic with AVX-512F),
//   tile_portable the tile program's portable scalar lowering alone,
//   tile_bf16dot  bf16-dot=on (vdpbf16ps) for bf16, hosts with avx512bf16,
//   tile_int8, tile_int8pv  INT8 Q K^T (and P V) declared on float inputs,
//   untiled       the convert-attn-to-loops baseline (one thread: its
//                 scf.parallel is lowered to sequential loops);
// and <config> one of dense, causal, sw256, sw1024 (causal sliding windows of
// 256 / 1024 tokens: #attn.window<left = W - 1, right = 0>), nbhd2d (2-D
// neighborhood attention, 13x13 kernel on a grid of 64 tokens per row).
//
// Counters: `useful` = 4 * B * H * Nq * Nk * D * density FLOPs per second
// (the work the mask keeps), `dense_eq` = the same with density 1 (the rate a
// dense kernel would need to finish in the same time), `density` (kept
// fraction of the score matrix, from the block classification), `compile_s`
// (seconds to compile the kernel, outside the timed loop).
// Times are wall-clock (UseRealTime); the CPU column is the CPU time of the
// whole process (every worker thread), which stays meaningful when other
// processes compete for the cores. The "density x dense time" reference
// of a sparse mask is the dense row of the same shape times `density`;
// bench/run_table.py computes that ratio.
//
// Compilation benchmarks: compile/zoo/<spec> compiles a zoo spec from its
// text (fresh KernelCache: parse, specialize to B=1, Hq=8, Hkv=4, N=4096,
// D=64 unless the spec fixes them, tile, lower, JIT) per iteration;
// cache_hit/zoo/<spec> is a KernelCache::getOrCompile that hits.
//
// A kernel and its inputs are prepared once per benchmark (Google Benchmark
// calls the function several times while it picks an iteration count); the
// inputs are shared by consecutive benchmarks of the same shape.
//
//===----------------------------------------------------------------------===//

#include "attn/Analysis/BlockClassification.h"
#include "attn/JIT.h"
#include "attn/Pipelines/Pipelines.h"
#include "attn/Runner/Runner.h"

#include "mlir/Parser/Parser.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#ifndef ATTN_ZOO_DIR
#define ATTN_ZOO_DIR "zoo"
#endif

using namespace mlir;
using namespace attn;

namespace {

//===----------------------------------------------------------------------===//
// Attention benchmarks
//===----------------------------------------------------------------------===//

struct MaskConfig {
  const char *name;
  const char *clause; // op clause between the operands and ':'
};

const MaskConfig kMasks[] = {
    {"dense", ""},
    {"causal", "mask(#attn.causal)"},
    {"sw256",
     "mask(#attn.and<[#attn.causal, #attn.window<left = 255, right = 0>]>)"},
    {"sw1024",
     "mask(#attn.and<[#attn.causal, #attn.window<left = 1023, right = 0>]>)"},
    {"nbhd2d", "mask(#attn.neighborhood<grid = [-1, 64], kernel = [13, 13]>)"},
};
constexpr int kDense = 0, kCausal = 1, kSw256 = 2, kSw1024 = 3, kNbhd = 4;

/// Tile, TilePortable: the tile program (shape-generic), the CPU's
/// lowering, with its vector kernels at the host's width, and with the
/// portable scalar lowering only; Tile1T: one thread; TileW8: 8 f32 lanes
/// asked for explicitly (on an AVX-512 host the automatic width is 16);
/// TileBF16Dot: the vdpbf16ps kernels (bf16-dot=on) for bf16, on hosts with
/// avx512bf16 (`auto` chooses per CPU). Untiled: the baseline.
/// TileInt8: the tile program's kernels on the same float inputs with
/// SageAttention's INT8 Q K^T declared (kInt8QK: the compiler quantizes Q
/// per 128 tokens and smoothed K per 64; P V stays f32), vpdpbusd where
/// the host has AVX512-VNNI; its counters cos_vs_f32 and rel_err_vs_f32
/// compare its output with the `tile` path's on the same inputs.
/// TileInt8PV: the same with INT8 P V too (kInt8QKPV: pv = int8, the
/// weights as u8 of scale 1/255, V per channel), same counters.
enum class Path {
  Untiled,
  Tile,
  Tile1T,
  TileW8,
  TilePortable,
  TileInt8,
  TileInt8PV,
  TileBF16Dot
};

const char *pathName(Path p) {
  switch (p) {
  case Path::Untiled: return "untiled";
  case Path::Tile: return "tile";
  case Path::Tile1T: return "tile_1t";
  case Path::TileW8: return "tile_w8";
  case Path::TilePortable: return "tile_portable";
  case Path::TileInt8: return "tile_int8";
  case Path::TileInt8PV: return "tile_int8pv";
  case Path::TileBF16Dot: return "tile_bf16dot";
  }
  return "?";
}

struct Case {
  Path path;
  int mask;
  const char *dtype; // "f32" or "bf16"
  int64_t n, d, h;

  std::string name() const {
    std::ostringstream os;
    os << "attn/" << pathName(path) << "/" << kMasks[mask].name << "/" << dtype
       << "/N:" << n << "/D:" << d << "/H:" << h;
    return os.str();
  }
  std::string shapeKey() const {
    std::ostringstream os;
    os << dtype << "/" << n << "/" << d << "/" << h;
    return os.str();
  }
};

const char *const kInt8QK =
    "quantization(#attn.quantized_qk<scheme = int8, q_block = 128, "
    "k_block = 64, smooth_k = true>)";
const char *const kInt8QKPV =
    "quantization(#attn.quantized_qk<scheme = int8, q_block = 128, "
    "k_block = 64, smooth_k = true, pv = int8>)";

bool isQuantized(Path p) { return p == Path::TileInt8 || p == Path::TileInt8PV; }

std::string makeSpec(const MaskConfig &mask, const std::string &dtype,
                     const std::string &quantization = "") {
  std::string t = "tensor<?x?x?x?x" + dtype + ">";
  return "func.func @bench(%q: " + t + ", %k: " + t + ", %v: " + t + ") -> " +
         t + " {\n  %o = attn.attention %q, %k, %v " + mask.clause + " " +
         quantization + " : " + t +
         ", " + t + ", " + t + " -> " + t + "\n  return %o : " + t + "\n}\n";
}

MLIRContext &context() {
  static MLIRContext *ctx = [] {
    DialectRegistry registry;
    registry.insert<AttnDialect, func::FuncDialect>();
    registerCPUPipelineDependencies(registry);
    auto *c = new MLIRContext(registry);
    c->loadAllAvailableDialects();
    return c;
  }();
  return *ctx;
}

/// Inputs and outputs of the last shape (one shape is alive at a time: at
/// N = 16K, H = 16, D = 128, f32 they take 512 MB).
struct Buffers {
  std::string key;
  std::vector<NDArray> args, results;
};
Buffers &buffers() {
  static Buffers b;
  return b;
}

/// The compiled kernel of the last benchmark.
struct Prepared {
  std::string key, error;
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<CompiledFunction> kernel;
  double density = 1;
  bool densityExact = true;
  /// TileInt8: against the f32 tile program's output (NaN otherwise).
  double cosine = std::nan(""), relativeError = std::nan("");
};
Prepared &prepared() {
  static Prepared p;
  return p;
}

/// Cosine similarity and relative Frobenius error of p's kernel (INT8
/// Q K^T) against the same spec without quantization through the tile
/// program, on the current inputs (as QuantizedNumericsTest measures them).
llvm::Error measureAccuracy(Prepared &p, const Case &c,
                            const CompileOptions &options) {
  OwningOpRef<ModuleOp> f32 = parseSourceString<ModuleOp>(
      makeSpec(kMasks[c.mask], c.dtype), &context());
  auto exact = CompiledFunction::compile(*f32, "bench", options);
  if (!exact)
    return exact.takeError();
  Buffers &buf = buffers();
  std::vector<const NDArray *> args;
  for (NDArray &a : buf.args)
    args.push_back(&a);
  FailureOr<SpecBinding> concrete = bindSpec(*p.module, "bench");
  if (failed(concrete))
    return llvm::createStringError("cannot bind the specialized spec");
  ProblemSize size{1, c.h, c.h, c.n, c.n, c.d, c.d};
  std::vector<NDArray> quantized = allocateResults(*concrete, size),
                       full = allocateResults(*concrete, size);
  if (llvm::Error err = p.kernel->run(args, {&quantized[0]}))
    return err;
  if (llvm::Error err = (*exact)->run(args, {&full[0]}))
    return err;
  double dot = 0, q2 = 0, f2 = 0, d2 = 0;
  for (int64_t i = 0; i < full[0].numElements(); ++i) {
    double q = quantized[0].getDouble(i), f = full[0].getDouble(i);
    dot += q * f;
    q2 += q * q;
    f2 += f * f;
    d2 += (q - f) * (q - f);
  }
  p.cosine = dot / std::sqrt(q2 * f2);
  p.relativeError = std::sqrt(d2 / f2);
  return llvm::Error::success();
}

/// Compiles the kernel of `c` and makes its inputs, unless already done.
const Prepared &prepare(const Case &c) {
  Prepared &p = prepared();
  std::string key = c.name();
  if (p.key == key)
    return p;
  p = Prepared();
  p.key = key;
  MLIRContext &ctx = context();
  std::string text = makeSpec(kMasks[c.mask], c.dtype,
                              c.path == Path::TileInt8     ? kInt8QK
                              : c.path == Path::TileInt8PV ? kInt8QKPV
                                                           : "");
  OwningOpRef<ModuleOp> generic = parseSourceString<ModuleOp>(text, &ctx);
  if (!generic) {
    p.error = "cannot parse the spec";
    return p;
  }
  FailureOr<SpecBinding> binding = bindSpec(*generic, "bench");
  if (failed(binding)) {
    p.error = "cannot bind the spec";
    return p;
  }
  ProblemSize size{1, c.h, c.h, c.n, c.n, c.d, c.d};
  Buffers &buf = buffers();
  if (buf.key != c.shapeKey()) {
    buf = Buffers();
    auto args = makeRandomInputs(*binding, size, /*seed=*/42);
    if (!args) {
      p.error = llvm::toString(args.takeError());
      return p;
    }
    buf.args = std::move(*args);
    buf.results = allocateResults(*binding, size);
    buf.key = c.shapeKey();
  }
  auto specialized = specializeToShapes(*binding, buf.args);
  if (failed(specialized)) {
    p.error = "cannot specialize the spec to the shapes";
    return p;
  }
  p.module = std::move(*specialized);
  FailureOr<SpecBinding> concrete = bindSpec(*p.module, "bench");
  if (failed(concrete)) {
    p.error = "cannot bind the specialized spec";
    return p;
  }
  if (c.mask != kDense) {
    ClassificationOptions options;
    options.exactCountsForCompositions = true;
    FailureOr<BlockMap> map = classifyBlocks(
        concrete->op, /*head=*/0, ClassificationProblem{c.h, c.n, c.n, 1},
        TileSizes{64, 64}, options);
    if (failed(map)) {
      p.error = "block classification failed";
      return p;
    }
    p.density = map->density();
    p.densityExact = map->isDensityExact();
  }
  CompileOptions options;
  options.lowering = c.path == Path::Untiled
                         ? CompileOptions::Lowering::Untiled
                         : CompileOptions::Lowering::TileProgram;
  options.threads = c.path == Path::Tile1T ? 1 : 0;
  options.portableTiles = c.path == Path::TilePortable;
  if (c.path == Path::TileW8)
    options.vectorWidth = 8;
  if (c.path == Path::TileBF16Dot)
    options.bf16Dot = CompileOptions::BF16Dot::On;
  auto kernel = CompiledFunction::compile(*p.module, "bench", options);
  if (!kernel) {
    p.error = llvm::toString(kernel.takeError());
    return p;
  }
  p.kernel = std::move(*kernel);
  if (isQuantized(c.path))
    if (llvm::Error err = measureAccuracy(p, c, options)) {
      p.error = llvm::toString(std::move(err));
      p.kernel.reset();
    }
  return p;
}

void runAttention(benchmark::State &state, Case c) {
  const Prepared &p = prepare(c);
  if (!p.kernel) {
    state.SkipWithError(p.error.c_str());
    return;
  }
  Buffers &buf = buffers();
  std::vector<const NDArray *> args;
  for (NDArray &a : buf.args)
    args.push_back(&a);
  std::vector<NDArray *> results;
  for (NDArray &r : buf.results)
    results.push_back(&r);
  for (auto _ : state) {
    if (llvm::Error err = p.kernel->run(args, results)) {
      std::string msg = llvm::toString(std::move(err));
      state.SkipWithError(msg.c_str());
      return;
    }
    benchmark::ClobberMemory();
  }
  double dense = 4.0 * 1 * c.h * double(c.n) * double(c.n) * c.d;
  state.counters["useful"] = benchmark::Counter(
      dense * p.density, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["dense_eq"] = benchmark::Counter(
      dense, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["density"] = p.density;
  state.counters["density_exact"] = p.densityExact ? 1 : 0;
  state.counters["compile_s"] = p.kernel->compileSeconds();
  if (isQuantized(c.path)) {
    state.counters["cos_vs_f32"] = p.cosine;
    state.counters["rel_err_vs_f32"] = p.relativeError;
    state.counters["vnni"] = p.kernel->int8DotKind() == "vnni" ? 1 : 0;
  }
}

void add(std::vector<Case> &cases, Case c) {
  if (std::find_if(cases.begin(), cases.end(), [&](const Case &o) {
        return o.name() == c.name();
      }) == cases.end())
    cases.push_back(c);
}

/// The benchmark set. Every shape that a sparse configuration runs at also
/// has a dense tile-program run (the "density x dense" reference), and benchmarks
/// of one shape are registered together so they share their inputs.
std::vector<Case> allCases() {
  std::vector<Case> cases;
  const char *dtypes[] = {"f32", "bf16"};
  struct DH { int64_t d, h; };
  const DH allDH[] = {{64, 8}, {64, 16}, {128, 8}, {128, 16}};
  const DH cornerDH[] = {{64, 8}, {128, 16}};
  const int sparse[] = {kSw256, kSw1024, kNbhd};

  // Smoke set (ctest bench/smoke, filter /H:2/): tiny, every path and mask
  // (N = 1024 for the neighborhood: its grid needs 13 rows of 64 tokens).
  for (const char *dt : dtypes)
    for (int m = 0; m < int(std::size(kMasks)); ++m)
      for (Path p : {Path::Tile, Path::Tile1T, Path::TileW8,
                     Path::TileBF16Dot, Path::Untiled, Path::TilePortable})
        if (p != Path::TileBF16Dot || (std::string(dt) == "bf16" &&
                                       hostHasBF16Dot(hostVectorWidth())))
          add(cases, {p, m, dt, m == kNbhd ? 1024 : 256, 64, 2});
  for (int m : {kDense, kCausal}) {
    add(cases, {Path::TileInt8, m, "f32", 256, 64, 2});
    add(cases, {Path::TileInt8PV, m, "f32", 256, 64, 2});
  }

  // Every mask at 1K-4K, every D/H/dtype; the untiled baseline and the
  // one-thread run at 1K (and a few more at D = 64, H = 8).
  for (const char *dt : dtypes)
    for (auto [d, h] : allDH)
      for (int64_t n : {1024, 2048, 4096})
        for (int m = 0; m < int(std::size(kMasks)); ++m) {
          add(cases, {Path::Tile, m, dt, n, d, h});
          bool corner = (d == 64 && h == 8) || (d == 128 && h == 16);
          if (n == 1024 && corner) {
            add(cases, {Path::Tile1T, m, dt, n, d, h});
            add(cases, {Path::TilePortable, m, dt, n, d, h});
            if ((d == 64 && h == 8) || m <= kCausal)
              add(cases, {Path::Untiled, m, dt, n, d, h});
          }
          if (n == 4096 && corner && m <= kSw256 && std::string(dt) == "f32")
            add(cases, {Path::Tile1T, m, dt, n, d, h});
          if (corner && (n == 1024 || n == 4096) && m <= kCausal) {
            add(cases, {Path::TileW8, m, dt, n, d, h});
            if (std::string(dt) == "bf16" && hostHasBF16Dot(hostVectorWidth()))
              add(cases, {Path::TileBF16Dot, m, dt, n, d, h});
          }
        }

  // INT8 Q K^T against f32 on the tile program (dense, causal, 1024-key
  // window).
  for (int m : {kDense, kCausal, kSw1024}) {
    add(cases, {Path::Tile, m, "f32", 4096, 128, 16});
    add(cases, {Path::TileInt8, m, "f32", 4096, 128, 16});
    add(cases, {Path::TileInt8PV, m, "f32", 4096, 128, 16});
  }

  // Long sequences: the cheap (sparse) masks at 8K and 16K; dense and
  // causal at 8K (f32) for the causal speed-up, dense at 16K (f32, D = 64,
  // H = 8) as the reference of the sliding windows.
  for (auto [d, h] : cornerDH)
    for (int64_t n : {8192, 16384})
      for (const char *dt : dtypes) {
        bool f32 = std::string(dt) == "f32";
        if (f32 && n == 8192) {
          add(cases, {Path::Tile, kDense, dt, n, d, h});
          add(cases, {Path::Tile, kCausal, dt, n, d, h});
        }
        if (f32 && n == 16384 && d == 64)
          add(cases, {Path::Tile, kDense, dt, n, d, h});
        for (int m : sparse)
          add(cases, {Path::Tile, m, dt, n, d, h});
      }
  return cases;
}

//===----------------------------------------------------------------------===//
// Compilation benchmarks
//===----------------------------------------------------------------------===//

struct ZooSpec {
  std::string name; // path under zoo/ without .mlir
  std::string text, func;
  std::vector<std::pair<DType, llvm::SmallVector<int64_t, 4>>> argTypes;
  std::string error;
  bool ready = false;
};

/// Reads a zoo spec and picks argument types: B = 1, Hq = 8, Hkv = 4,
/// N = 4096, D = 64 where the spec leaves them open.
void loadZooSpec(ZooSpec &z, const std::string &path) {
  if (z.ready || !z.error.empty())
    return;
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  z.text = ss.str();
  MLIRContext &ctx = context();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(z.text, &ctx);
  if (!module) {
    z.error = "cannot parse " + path;
    return;
  }
  FailureOr<SpecBinding> binding = bindSpec(*module, "");
  if (failed(binding)) {
    z.error = "cannot bind " + path;
    return;
  }
  z.func = binding->func.getSymName().str();
  ProblemSize s = defaultProblemSize(*binding), def;
  if (s.b == def.b) s.b = 1;
  if (s.hq == def.hq && s.hkv == def.hkv) { s.hq = 8; s.hkv = 4; }
  if (s.nq == def.nq && s.nk == def.nk) s.nq = s.nk = 4096;
  if (s.d == def.d) s.d = 64;
  if (s.dv == def.dv) s.dv = 64;
  auto args = makeRandomInputs(*binding, s, 1);
  if (!args) {
    z.error = llvm::toString(args.takeError());
    return;
  }
  for (const NDArray &a : *args)
    z.argTypes.push_back(
        {a.dtype(), llvm::SmallVector<int64_t, 4>(a.shape().begin(), a.shape().end())});
  z.ready = true;
}

void compileZoo(benchmark::State &state, std::shared_ptr<ZooSpec> z,
                std::string path) {
  loadZooSpec(*z, path);
  if (!z->ready) {
    state.SkipWithError(z->error.c_str());
    return;
  }
  double pipelineSeconds = 0;
  for (auto _ : state) {
    KernelCache cache; // a miss every time
    auto kernel = cache.getOrCompile(z->text, z->func, z->argTypes);
    if (!kernel) {
      std::string msg = llvm::toString(kernel.takeError());
      state.SkipWithError(msg.c_str());
      return;
    }
    pipelineSeconds += (*kernel)->compileSeconds();
  }
  state.counters["compile_s"] =
      pipelineSeconds / std::max<double>(1, state.iterations());
}

void cacheHit(benchmark::State &state, std::shared_ptr<ZooSpec> z,
              std::string path) {
  loadZooSpec(*z, path);
  if (!z->ready) {
    state.SkipWithError(z->error.c_str());
    return;
  }
  // Never destroyed: JIT-ed code must not be torn down during static
  // destruction.
  static KernelCache &cache = *new KernelCache;
  if (auto first = cache.getOrCompile(z->text, z->func, z->argTypes); !first) {
    std::string msg = llvm::toString(first.takeError());
    state.SkipWithError(msg.c_str());
    return;
  }
  for (auto _ : state) {
    auto kernel = cache.getOrCompile(z->text, z->func, z->argTypes);
    benchmark::DoNotOptimize(kernel);
  }
  state.counters["spec_bytes"] = double(z->text.size());
}

void registerZoo() {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(ATTN_ZOO_DIR, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file() && it->path().extension() == ".mlir")
      files.push_back(it->path());
  std::sort(files.begin(), files.end());
  for (const fs::path &f : files) {
    auto z = std::make_shared<ZooSpec>();
    z->name = fs::relative(f, ATTN_ZOO_DIR).replace_extension().string();
    // Three compilations each: enough for a stable mean, and the zoo is
    // large (the calibration runs of the default min-time would double it).
    benchmark::RegisterBenchmark(("compile/zoo/" + z->name).c_str(), compileZoo,
                                 z, f.string())
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(3);
    if (z->name == "hybrids/gemma2")
      benchmark::RegisterBenchmark(("cache_hit/zoo/" + z->name).c_str(),
                                   cacheHit, z, f.string())
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime();
  }
}

} // namespace

int main(int argc, char **argv) {
  benchmark::AddCustomContext("host_vector_width",
                              std::to_string(hostVectorWidth()));
  for (const Case &c : allCases())
    benchmark::RegisterBenchmark(c.name().c_str(), runAttention, c)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MeasureProcessCPUTime();
  registerZoo();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // Release the last kernel and buffers before static destruction.
  prepared() = Prepared();
  buffers() = Buffers();
  return 0;
}
