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
static cl::opt<std::string>
    shapeOpt("shape", cl::desc("B,Hq,Hkv,Nq,Nk,D[,Dv] for --random"));
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
    cl::desc("compile through the tile program (attn-to-tile): vector "
             "kernels for the key loop, the portable lowering for the rest"));
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
    cl::desc("f32 lanes per vector of the tiled path and the tile "
             "program's kernels: 8 or 16 (0: the "
             "host's, 16 with AVX-512F, else 8, and 8 when 16 does not "
             "divide --tile-q)"),
    cl::init(0));
static cl::opt<CompileOptions::BF16Dot> bf16Dot(
    "bf16-dot",
    cl::desc("bf16 dot products (vdpbf16ps) for bf16 inputs on the tiled path"),
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

  // Inputs: files or random.
  std::vector<NDArray> args;
  ProblemSize size;
  if (randomSeed >= 0) {
    if (!qFile.empty() || !kFile.empty() || !vFile.empty() ||
        !operandFiles.empty())
      return fail("--random and input files are exclusive");
    size = defaultProblemSize(*binding);
    if (!shapeOpt.empty()) {
      llvm::SmallVector<llvm::StringRef> parts;
      llvm::StringRef(shapeOpt).split(parts, ',');
      std::vector<int64_t> v;
      for (llvm::StringRef p : parts) {
        int64_t x;
        if (p.trim().getAsInteger(10, x) || x <= 0)
          return fail("--shape entries must be positive integers, got '" + p +
                      "'");
        v.push_back(x);
      }
      if (v.size() != 6 && v.size() != 7)
        return fail("--shape takes B,Hq,Hkv,Nq,Nk,D[,Dv]");
      size = {v[0], v[1], v[2], v[3], v[4], v[5], v.size() == 7 ? v[6] : v[5]};
    }
    auto inputs = makeRandomInputs(*binding, size, randomSeed);
    if (!inputs)
      return failWith(inputs.takeError());
    args = std::move(*inputs);
  } else {
    std::vector<std::string> files(binding->names.size());
    std::string repeated;
    auto setFile = [&](llvm::StringRef name, llvm::StringRef path) -> bool {
      for (auto [n, argName] : llvm::enumerate(binding->names))
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
        return fail(llvm::Twine("the spec has no argument named '") + name +
                    "'");
    for (const std::string &spec : operandFiles) {
      auto [name, path] = llvm::StringRef(spec).split('=');
      if (path.empty())
        return fail("--operand expects NAME=FILE.npy, got '" + spec + "'");
      if (!setFile(name, path)) {
        std::string known;
        for (auto &n : binding->names)
          known += " " + n;
        return fail("the spec has no argument named '" + name +
                    "'; its arguments are:" + known);
      }
    }
    if (!repeated.empty())
      return fail("argument '" + repeated +
                  "' is given twice (--q/--k/--v and --operand name one "
                  "argument each)");
    for (auto [n, path] : llvm::enumerate(files)) {
      if (path.empty())
        return fail("no input for argument '" + binding->names[n] +
                    "' (use --q/--k/--v, --operand NAME=FILE.npy or --random)");
      auto array = readNpy(path, bf16);
      if (!array)
        return failWith(array.takeError());
      args.push_back(std::move(*array));
    }
    auto s = problemSizeOf(*binding, args);
    if (!s)
      return failWith(s.takeError());
    size = *s;
    if (llvm::Error err = checkProblemSize(*binding, size))
      return failWith(std::move(err));
  }

  if (llvm::Error err = checkOperandValues(*binding, args))
    return failWith(std::move(err));

  if (!dumpInputs.empty())
    for (auto [n, a] : llvm::enumerate(args))
      if (llvm::Error err = writeNpy(dumpInputs + binding->names[n] + ".npy", a))
        return failWith(std::move(err));

  // Specializing to the actual shapes makes the verifier check them.
  auto specialized = specializeToShapes(*binding, args);
  if (failed(specialized))
    return 1;
  FailureOr<SpecBinding> concrete = bindSpec(**specialized,
                                             binding->func.getSymName());
  if (failed(concrete))
    return 1;

  std::vector<NDArray> results = allocateResults(*concrete, size);

  // CPU time of the process (all threads) per run: on a shared machine it
  // does not grow with time slicing the way wall time does.
  double compileSeconds = 0, runSeconds = 0, runCpuSeconds = 0;
  std::string path;
  std::shared_ptr<const CompiledFunction> kernel;
  if (!writeReference) {
    auto t0 = std::chrono::steady_clock::now();
    CompileOptions options;
    options.threads = threads;
    options.tiled = !untiled;
    options.tileProgram = tileProgram;
    options.portableTiles = portableTiles;
    options.splitKv = splitKv;
    options.linearChunk = linearChunk;
    options.tileQ = tileQ;
    options.tileKv = tileKv;
    options.vectorWidth = vectorWidth;
    options.bf16Dot = bf16Dot;
    options.int8Dot = int8Dot;
    auto compiled = CompiledFunction::compile(
        **specialized, concrete->func.getSymName(), options);
    if (!compiled)
      return failWith(compiled.takeError());
    compileSeconds = secondsSince(t0);
    kernel = std::move(*compiled);
    int64_t tiledOps = kernel->numTiledOps(),
            untiledOps = kernel->numUntiledOps();
    path = kernel->numTileProgramOps() ? "tile program"
           : untiledOps == 0           ? "tiled"
           : tiledOps == 0   ? "untiled"
                             : "mixed (" + std::to_string(untiledOps) +
                                 " untiled ops)";
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
    auto evaluated =
        reference::evaluate(concrete->op, referenceInputs(*concrete, args));
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
    llvm::outs() << llvm::format("compile %.3f s  run %.6f s  path ",
                                 compileSeconds, runSeconds)
                 << path << llvm::format("  run-cpu %.6f s\n", runCpuSeconds);
  if (kernel && kernel->numTiledOps() > 0)
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
          c.tolerance, c.passed ? "PASS" : "FAIL");
      if (c.nonFinite)
        llvm::outs() << "  " << c.nonFinite
                     << " non-finite values where the reference is finite "
                        "(or mismatched -inf)\n";
      ok &= c.passed;
    }
    if (!ok)
      return 2;
  }
  return 0;
}
