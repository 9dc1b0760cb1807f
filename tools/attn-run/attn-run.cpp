//===- attn-run.cpp - run an attn spec on the CPU -------------------------===//
//
//   attn-run SPEC.mlir --q q.npy --k k.npy --v v.npy [--operand NAME=F.npy]
//            -o out.npy [--check] [--reference]
//   attn-run SPEC.mlir --random SEED [--shape B,Hq,Hkv,Nq,Nk,D[,Dv]] --check
//
// The spec is specialized to the input shapes (the verifier checks them),
// compiled through the JIT and run; --check compares with the float64
// reference and fails past the dtype's tolerance.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/JIT.h"
#include "attn/Reference/Reference.h"
#include "attn/Runner/Runner.h"
#include "attn/Runner/SpecSource.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <ctime>

using namespace mlir;
using namespace attn;
namespace cl = llvm::cl;

static cl::opt<std::string> specFile(cl::Positional, cl::desc("<spec.mlir>"),
                                     cl::Required);
static cl::opt<std::string> qFile("q", cl::desc("query .npy"));
static cl::opt<std::string> kFile("k", cl::desc("key .npy"));
static cl::opt<std::string> vFile("v", cl::desc("value .npy"));
static cl::list<std::string>
    operandFiles("operand", cl::desc("NAME=FILE.npy for another argument"));
static cl::opt<std::string> outFile("o", cl::desc("output .npy"));
static cl::opt<std::string> lseFile("lse-out",
                                    cl::desc("logsumexp .npy (if the spec "
                                             "returns it)"));
static cl::opt<std::string> entry("entry", cl::desc("function to run"));
static cl::opt<int64_t> randomSeed("random",
                                   cl::desc("random inputs from this seed"),
                                   cl::init(-1));
static cl::list<std::string> shapeOpts(
    "shape",
    cl::desc("B,Hq,Hkv,Nq,Nk,D[,Dv] for --random, or `default` (the spec's "
             "default size); repeated, one run per shape with seeds SEED, "
             "SEED + 1, ..., compiled once through the tile program (the "
             "kernel is shape-generic), once per shape with --untiled"));
static cl::opt<bool> check("check",
                           cl::desc("compare with the float64 reference"));
static cl::opt<bool> writeReference(
    "reference", cl::desc("write the reference output instead of running "
                          "the compiled code"));
static cl::opt<bool> bf16("bf16", cl::desc("read uint16 .npy inputs as "
                                           "bfloat16"));
static cl::opt<std::string> elementTypeOpt(
    "element-type",
    cl::desc("f16 or bf16: retype Q, K, V and the output first (run an f32 "
             "spec as a 16-bit one, as attn-emit-lib --element-type)"));
static cl::opt<std::string> dumpInputs(
    "dump-inputs", cl::desc("write every input as <PREFIX><name>.npy"));
static cl::opt<unsigned> threads("num-threads",
                                 cl::desc("worker threads (0: all)"),
                                 cl::init(0));
static cl::opt<bool> untiled("untiled",
                             cl::desc("use the untiled baseline lowering"));
static cl::opt<bool> tileProgram(
    "tile-program",
    cl::desc("compile through the tile program (attn-to-tile; the default): "
             "vector kernels for the key loop, the portable lowering for the "
             "rest"),
    cl::init(true));
static cl::opt<bool> portableTiles(
    "portable-tiles",
    cl::desc("with --tile-program: the portable scalar lowering only (no "
             "vector kernels)"));
static cl::opt<int64_t> splitKv(
    "split-kv",
    cl::desc("with --tile-program: the split-KV form with at most this many "
             "key splits per query tile (1: none; 0: automatic, for decode)"),
    cl::init(1));
static cl::opt<int64_t> linearChunk(
    "linear-chunk",
    cl::desc("with --tile-program: positions per chunk of the chunked form "
             "of causal linear attention (0: the quadratic form)"),
    cl::init(64));
static cl::opt<int64_t> tileQ("tile-q", cl::desc("queries per tile"),
                              cl::init(0));
static cl::opt<int64_t> tileKv("tile-kv", cl::desc("keys per tile"),
                               cl::init(64));
static cl::opt<int64_t> vectorWidth(
    "vector-width",
    cl::desc("f32 lanes per vector of the tile program's kernels: 4, 8 or "
             "16 (0: the host's, 16 with AVX-512F, else 8)"),
    cl::init(0));
static cl::opt<CompileOptions::BF16Dot> bf16Dot(
    "bf16-dot",
    cl::desc("bf16 dot products (vdpbf16ps) for bf16 inputs in the vector "
             "kernels"),
    cl::values(clEnumValN(CompileOptions::BF16Dot::Auto, "auto",
                          "the faster kernels as measured: widening (default)"),
               clEnumValN(CompileOptions::BF16Dot::On, "on",
                          "vdpbf16ps kernels: an error without avx512bf16"),
               clEnumValN(CompileOptions::BF16Dot::Off, "off",
                          "widen bf16 to f32"),
               clEnumValN(CompileOptions::BF16Dot::Emulate, "emulate",
                          "the bf16-dot kernels with emulated dot products")),
    cl::init(CompileOptions::BF16Dot::Auto));
static cl::opt<CompileOptions::Int8Dot> int8Dot(
    "int8-dot",
    cl::desc("i8 dot products of quantized Q K^T in the tile program's "
             "vector kernels"),
    cl::values(clEnumValN(CompileOptions::Int8Dot::Auto, "auto",
                          "vpdpbusd where the host has avx512vnni (and "
                          "avx512vl below 16 lanes), else emulated (default)"),
               clEnumValN(CompileOptions::Int8Dot::VNNI, "vnni",
                          "vpdpbusd: an error without avx512vnni"),
               clEnumValN(CompileOptions::Int8Dot::Emulated, "emulated",
                          "portable vector code, any host")),
    cl::init(CompileOptions::Int8Dot::Auto));
static cl::opt<int> repeat("repeat", cl::desc("timed runs (best is shown)"),
                           cl::init(1));
static cl::opt<bool> compilePhases(
    "compile-phases",
    cl::desc("print the compile time's phases (MLIR pipeline, LLVM "
             "optimizer, translation and code generation) and the LLVM IR "
             "size (bench/compile_time.py)"));

static int fail(const llvm::Twine &msg) {
  llvm::errs() << "attn-run: error: " << msg << "\n";
  return 1;
}

static int failWith(llvm::Error err) {
  return fail(llvm::toString(std::move(err)));
}

static double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

/// The problem size `--shape` gives: B,Hq,Hkv,Nq,Nk,D[,Dv], or `default`.
static llvm::Expected<ProblemSize> parseShape(llvm::StringRef text,
                                              const SpecBinding &binding) {
  if (text.trim() == "default")
    return defaultProblemSize(binding);
  return parseProblemSize(text, "--shape", "default");
}

/// NumPy has no 4-bit integers: an i4 argument is read from an int8 .npy
/// of its values (in [-8, 7]) and packed; other arguments pass unchanged.
static llvm::Expected<NDArray> packInt4Argument(const SpecBinding &binding,
                                                size_t n, NDArray array) {
  auto type = dyn_cast<RankedTensorType>(
      binding.func.getArgumentTypes()[n]);
  if (!type || !type.getElementType().isInteger(4) ||
      array.dtype() != DType::I8)
    return std::move(array);
  for (int64_t i = 0, e = array.numElements(); i < e; ++i) {
    double a = array.getDouble(i);
    if (a < -8.0 || a > 7.0)
      return llvm::createStringError(
          "argument '" + binding.names[n] + "': element " + llvm::Twine(i) +
          " is " + llvm::Twine(static_cast<int64_t>(a)) +
          ", outside the i4 range [-8, 7] (an i4 argument is read from an "
          "int8 .npy of its values)");
  }
  return array.cast(DType::I4);
}

/// NumPy has no FP8 type: an f8E4M3FN or f8E5M2 argument is read from a
/// uint8 ('|u1') .npy of its bit patterns (read as e4m3, retagged e5m2 for
/// an f8E5M2 argument); any other .npy for it, and a uint8 .npy for an
/// argument that is not FP8, is an error.
static llvm::Expected<NDArray> retagFP8Argument(const SpecBinding &binding,
                                                size_t n, NDArray array) {
  auto type = dyn_cast<RankedTensorType>(binding.func.getArgumentTypes()[n]);
  bool fp8Argument = type && isFP8Type(type.getElementType());
  if (!fp8Argument && !isFP8DType(array.dtype()))
    return std::move(array);
  if (!fp8Argument)
    return llvm::createStringError(
        "argument '" + binding.names[n] +
        "': a uint8 .npy holds FP8 bit patterns, for an f8E4M3FN or f8E5M2 "
        "argument only");
  if (!isFP8DType(array.dtype()))
    return llvm::createStringError(
        "argument '" + binding.names[n] + "' is " +
        llvm::Twine(dtypeName(*dtypeOfElement(type.getElementType()))) +
        ": it is read from a uint8 .npy of its bit patterns (NumPy has no "
        "FP8 type), got " + dtypeName(array.dtype()));
  return array.reinterpret(*dtypeOfElement(type.getElementType()));
}

/// The arguments read from --q/--k/--v and --operand, and their size.
static llvm::Expected<std::pair<std::vector<NDArray>, ProblemSize>>
readInputFiles(const SpecBinding &binding) {
  std::vector<std::string> files(binding.names.size());
  std::string repeated;
  auto setFile = [&](llvm::StringRef name, llvm::StringRef path) -> bool {
    for (auto [n, argName] : llvm::enumerate(binding.names))
      if (argName == name) {
        if (!files[n].empty() && repeated.empty())
          repeated = name.str();
        files[n] = path.str();
        return true;
      }
    return false;
  };
  for (auto [name, path] : {std::make_pair("q", &qFile),
                            std::make_pair("k", &kFile),
                            std::make_pair("v", &vFile)})
    if (!path->empty() && !setFile(name, *path))
      return llvm::createStringError(
          llvm::Twine("the spec has no argument named '") + name + "'");
  for (const std::string &spec : operandFiles) {
    auto [name, path] = llvm::StringRef(spec).split('=');
    if (path.empty())
      return llvm::createStringError("--operand expects NAME=FILE.npy, got '" +
                                     spec + "'");
    if (!setFile(name, path)) {
      std::string known;
      for (auto &n : binding.names)
        known += " " + n;
      return llvm::createStringError("the spec has no argument named '" +
                                     name + "'; its arguments are:" + known);
    }
  }
  if (!repeated.empty())
    return llvm::createStringError(
        "argument '" + repeated +
        "' is given twice (--q/--k/--v and --operand name one argument each)");
  std::vector<NDArray> args;
  for (auto [n, path] : llvm::enumerate(files)) {
    if (path.empty())
      return llvm::createStringError(
          "no input for argument '" + binding.names[n] +
          "' (use --q/--k/--v, --operand NAME=FILE.npy or --random)");
    auto array = readNpy(path, bf16);
    if (!array)
      return array.takeError();
    auto retagged = retagFP8Argument(binding, n, std::move(*array));
    if (!retagged)
      return retagged.takeError();
    auto packed = packInt4Argument(binding, n, std::move(*retagged));
    if (!packed)
      return packed.takeError();
    args.push_back(std::move(*packed));
  }
  auto size = problemSizeOf(binding, args);
  if (!size)
    return size.takeError();
  if (llvm::Error err = checkProblemSize(binding, *size))
    return std::move(err);
  return std::make_pair(std::move(args), *size);
}

static CompileOptions compileOptions() {
  CompileOptions options;
  options.threads = threads;
  options.lowering = untiled ? CompileOptions::Lowering::Untiled
                             : CompileOptions::Lowering::TileProgram;
  options.portableTiles = portableTiles;
  options.splitKv = splitKv;
  options.linearChunk = linearChunk;
  options.tileQ = tileQ;
  options.tileKv = tileKv;
  options.vectorWidth = vectorWidth;
  options.bf16Dot = bf16Dot;
  options.int8Dot = int8Dot;
  return options;
}

/// The lowering a compiled function took, as printed.
static std::string pathOf(const CompiledFunction &kernel) {
  if (kernel.numTileProgramOps())
    return "tile program";
  return "untiled";
}

/// Quantized P V (pv = int8 / fp8_*): the kernel rounds each key tile's
/// weights with its running max, the reference with the row's final max,
/// so the two may differ by up to the reference's derived bound per
/// element (#attn.quantized_qk); the relative Frobenius check above then
/// only holds for a single key tile. Each element must be within the bound
/// plus the dtype's tolerance relative to it.
static bool checkPVBound(const NDArray &actual, const NDArray &expected,
                         const NDArray &bound, double tol) {
  double worst = 0.0;
  int64_t over = 0;
  for (int64_t i = 0, n = expected.numElements(); i < n; ++i) {
    double a = actual.getDouble(i), r = expected.getDouble(i);
    if (!std::isfinite(r)) {
      // As compareArrays: NaN matches any NaN, an infinity the same one
      // (the check above is excused for the bound, not for these).
      over += std::isnan(r) ? !std::isnan(a) : a != r;
      continue;
    }
    double slack = 1.001 * bound.getDouble(i) + tol * std::fabs(r) + 1e-6;
    double err = std::fabs(a - r);
    worst = std::max(worst, err / slack);
    over += !(err <= slack);
  }
  llvm::outs() << llvm::format(
      "check output within the quantized P V bound: worst err / (bound + tol "
      "|ref|) %.3f  %s\n",
      worst, over ? "FAIL" : "PASS");
  return over == 0;
}

/// One problem: specialized to its shapes (the verifier checks them),
/// compiled (or run with `shared`, a shape-generic kernel), run, written,
/// printed and checked. The exit status: 0, 1 (an error) or 2 (a check
/// failed).
static int runProblem(const SpecBinding &binding, std::vector<NDArray> args,
                      const ProblemSize &size,
                      std::shared_ptr<const CompiledFunction> kernel) {
  const bool shared = static_cast<bool>(kernel);
  if (llvm::Error err = checkOperandValues(binding, args))
    return failWith(std::move(err));

  if (!dumpInputs.empty())
    for (auto [n, a] : llvm::enumerate(args))
      if (llvm::Error err = writeNpy(dumpInputs + binding.names[n] + ".npy", a))
        return failWith(std::move(err));

  // Specializing to the actual shapes makes the verifier check them.
  auto specialized = specializeToShapes(binding, args);
  if (failed(specialized))
    return 1;
  FailureOr<SpecBinding> concrete = bindSpec(**specialized,
                                             binding.func.getSymName());
  if (failed(concrete))
    return 1;

  std::vector<NDArray> results = allocateResults(*concrete, size);

  // CPU time of the process (all threads) per run: on a shared machine it
  // does not grow with time slicing the way wall time does.
  double compileSeconds = 0, runSeconds = 0, runCpuSeconds = 0;
  std::string path;
  if (!writeReference) {
    auto t0 = std::chrono::steady_clock::now();
    if (!kernel) {
      auto compiled = CompiledFunction::compile(
          **specialized, concrete->func.getSymName(), compileOptions());
      if (!compiled)
        return failWith(compiled.takeError());
      kernel = std::move(*compiled);
      compileSeconds = secondsSince(t0);
    }
    path = pathOf(*kernel);
    std::vector<const NDArray *> argPtrs;
    for (auto &a : args)
      argPtrs.push_back(&a);
    std::vector<NDArray *> resultPtrs;
    for (auto &r : results)
      resultPtrs.push_back(&r);
    runSeconds = std::numeric_limits<double>::infinity();
    runCpuSeconds = std::numeric_limits<double>::infinity();
    for (int r = 0; r < std::max(1, repeat.getValue()); ++r) {
      auto t1 = std::chrono::steady_clock::now();
      std::clock_t c1 = std::clock();
      if (llvm::Error err = kernel->run(argPtrs, resultPtrs))
        return failWith(std::move(err));
      runSeconds = std::min(runSeconds, secondsSince(t1));
      runCpuSeconds = std::min(
          runCpuSeconds, double(std::clock() - c1) / CLOCKS_PER_SEC);
    }
  }

  std::optional<reference::Outputs> ref;
  if (check || writeReference) {
    auto evaluated = referenceOutputs(*concrete, args);
    if (!evaluated)
      return failWith(evaluated.takeError());
    ref = std::move(*evaluated);
  }
  if (writeReference) {
    results[0] = ref->output.cast(results[0].dtype());
    if (ref->lse && results.size() > 1)
      results[1] = ref->lse->cast(DType::F32);
  }

  if (!outFile.empty())
    if (llvm::Error err = writeNpy(outFile, results[0]))
      return failWith(std::move(err));
  if (!lseFile.empty()) {
    if (results.size() < 2)
      return fail("--lse-out: the spec does not return a logsumexp");
    if (llvm::Error err = writeNpy(lseFile, results[1]))
      return failWith(std::move(err));
  }

  llvm::outs() << "spec " << specFile << " @" << concrete->func.getSymName()
               << "  shape B=" << size.b << " Hq=" << size.hq
               << " Hkv=" << size.hkv << " Nq=" << size.nq << " Nk=" << size.nk
               << " D=" << size.d << " Dv=" << size.dv << "  dtype "
               << dtypeName(results[0].dtype()) << "\n";
  if (!writeReference)
    llvm::outs() << (shared ? std::string("compile shared")
                            : llvm::formatv("compile {0:F3} s", compileSeconds)
                                  .str())
                 << llvm::format("  run %.6f s  path ", runSeconds) << path
                 << llvm::format("  run-cpu %.6f s\n", runCpuSeconds);
  if (kernel && compilePhases && !shared)
    llvm::outs() << llvm::format(
        "compile phases  mlir %.4f s  llvm-opt %.4f s  codegen %.4f s  "
        "llvm-ir %lld instructions\n",
        kernel->pipelineSeconds(), kernel->llvmOptSeconds(),
        kernel->codegenSeconds(), (long long)kernel->llvmInstructions());
  if (kernel && kernel->numTileProgramOps() > 0)
    llvm::outs() << "kernel lanes " << kernel->vectorWidth() << "  tile-q "
                 << kernel->queryTile() << "  tile-kv " << kernel->keyTile()
                 << "  bf16-dot " << kernel->bf16DotKind() << "\n";
  if (check && !writeReference) {
    bool ok = true;
    double tol = toleranceFor(results[0].dtype());
    for (size_t r = 0; r < results.size(); ++r) {
      const NDArray &expected = r == 0 ? ref->output : *ref->lse;
      Comparison c = compareArrays(results[r], expected,
                                   r == 0 ? tol : toleranceFor(DType::F32));
      llvm::outs() << llvm::format(
          "check %-6s max_abs_err %.3e  rel_fro_err %.3e  tol %.0e  %s\n",
          r == 0 ? "output" : "lse", c.maxAbsError, c.relFrobeniusError,
          c.tolerance,
          c.passed                                   ? "PASS"
          : r == 0 && ref->quantizedPVBound.has_value() ? "(quantized P V: see its bound)"
                                                   : "FAIL");
      if (c.nonFinite)
        llvm::outs() << "  " << c.nonFinite
                     << " non-finite values where the reference is finite "
                        "(or mismatched -inf)\n";
      // With quantized P V the output is judged by its bound below.
      ok &= c.passed || (r == 0 && ref->quantizedPVBound.has_value());
    }
    if (ref->quantizedPVBound)
      ok &= checkPVBound(results[0], ref->output, *ref->quantizedPVBound, tol);
    if (!ok)
      return 2;
  }
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // LLVM registers an unrelated `--threads`; hidden, and refused below, so
  // that it is not mistaken for --num-threads (it would run on every core).
  auto &registered = cl::getRegisteredOptions();
  cl::Option *llvmThreads = registered.lookup("threads");
  if (llvmThreads)
    llvmThreads->setHiddenFlag(cl::ReallyHidden);
  cl::ParseCommandLineOptions(argc, argv, "attn-run: run an attn spec\n");
  if (llvmThreads && llvmThreads->getNumOccurrences())
    return fail("--threads is not an attn-run option; the worker threads are "
                "--num-threads");
  if (!tileProgram)
    return fail("--tile-program=false selected the monolithic tiled kernel, "
                "which was removed: the tile program (the default) replaces "
                "it; --untiled selects the untiled baseline");
  if (untiled && tileProgram.getNumOccurrences())
    return fail("--tile-program and --untiled select two lowerings: pass one");

  MLIRContext context;
  loadSpecDialects(context);
  SpecSource spec(context);
  std::string readError;
  OwningOpRef<ModuleOp> module = spec.parseFile(specFile, readError);
  if (!module)
    return readError.empty() ? 1 : fail(readError);
  if (!elementTypeOpt.empty()) {
    Type t = sixteenBitElementType(&context, elementTypeOpt);
    if (!t)
      return fail("--element-type takes f16 or bf16, got '" + elementTypeOpt +
                  "'");
    FailureOr<SpecBinding> f32Binding = bindSpec(*module, entry);
    if (failed(f32Binding))
      return 1;
    if (failed(retypeAttentionInputs(*module, f32Binding->func.getSymName(),
                                     t)))
      return fail("cannot retype @" + f32Binding->func.getSymName() +
                  " (Q, K and V must be arguments of the function)");
  }
  FailureOr<SpecBinding> binding = bindSpec(*module, entry);
  if (failed(binding))
    return 1;

  if (randomSeed < 0) {
    if (!shapeOpts.empty())
      return fail("--shape takes effect with --random only");
    auto inputs = readInputFiles(*binding);
    if (!inputs)
      return failWith(inputs.takeError());
    return runProblem(*binding, std::move(inputs->first), inputs->second,
                      nullptr);
  }
  if (!qFile.empty() || !kFile.empty() || !vFile.empty() ||
      !operandFiles.empty())
    return fail("--random and input files are exclusive");
  std::vector<ProblemSize> sizes;
  for (const std::string &shape : shapeOpts) {
    auto size = parseShape(shape, *binding);
    if (!size)
      return failWith(size.takeError());
    sizes.push_back(*size);
  }
  if (sizes.empty())
    sizes.push_back(defaultProblemSize(*binding));
  if (sizes.size() > 1 &&
      (!outFile.empty() || !lseFile.empty() || !dumpInputs.empty()))
    return fail("-o, --lse-out and --dump-inputs write one run's arrays: "
                "give one --shape with them");
  // Several shapes through the tile program share one shape-generic
  // compilation (the JIT's cache holds one kernel per spec and options).
  std::shared_ptr<const CompiledFunction> shared;
  if (sizes.size() > 1 && compileOptions().tileProgram() && !writeReference) {
    auto t0 = std::chrono::steady_clock::now();
    auto compiled = CompiledFunction::compile(
        *module, binding->func.getSymName(), compileOptions());
    if (!compiled)
      return failWith(compiled.takeError());
    shared = std::move(*compiled);
    llvm::outs() << llvm::format("compile %.3f s", secondsSince(t0))
                 << "  one shape-generic kernel for " << sizes.size()
                 << " shapes\n";
  }
  int status = 0;
  for (auto [n, size] : llvm::enumerate(sizes)) {
    auto inputs = makeRandomInputs(*binding, size, randomSeed + n);
    if (!inputs)
      return failWith(inputs.takeError());
    int runStatus = runProblem(*binding, std::move(*inputs), size, shared);
    if (runStatus == 1)
      return 1;
    status = std::max(status, runStatus);
  }
  return status;
}
