//===- attn-emit-lib.cpp - emit a loadable GPU library for attn specs -----===//
//
//   attn-emit-lib SPEC.mlir... [--shape B,Hq,Hkv,Nq,Nk,D[,Dv]]
//                 [--arch sm_80,sm_90] [--entry NAME] -o OUTDIR
//                 [--tile-q N --tile-kv N --block-threads N] [--resource-usage]
//
// For every spec: the spec function is specialized to the shape, compiled
// to PTX per architecture (attn::gpu::compileKernel) and written as
//   OUTDIR/NAME.ARCH.ptx     the PTX text
//   OUTDIR/NAME.ARCH.cubin   assembled by ptxas (when the CUDA toolkit is
//                            present; otherwise skipped with a note)
//   OUTDIR/NAME.h            the typed launch API
//   OUTDIR/NAME.c            the host launcher (CUDA driver API, every call
//                            checked, the PTX of each architecture embedded
//                            and the best one for the device JIT-loaded)
//   OUTDIR/NAME.json         the same facts for programs (launch symbols,
//                            grid, block, shared memory, tiles, images and
//                            each buffer's name, role, type, shape)
// --resource-usage prints ptxas's registers, spills, stack and the shared
// memory per kernel and architecture.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/Runner/Runner.h"
#include "attn/Runner/SpecSource.h"
#include "attn/Target/GPU.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/SmallSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <limits>
#include <optional>

using namespace mlir;
using namespace attn;
namespace cl = llvm::cl;

static cl::list<std::string> specFiles(cl::Positional, cl::OneOrMore,
                                       cl::desc("<spec.mlir>..."));
static cl::opt<std::string> outDir("o", cl::desc("output directory"),
                                   cl::Required);
static cl::opt<std::string>
    shapeOpt("shape", cl::desc("B,Hq,Hkv,Nq,Nk,D[,Dv] (default: the spec's "
                               "small default problem size)"));
static cl::opt<std::string> archOpt(
    "arch",
    cl::desc("comma-separated, of sm_80, sm_86, sm_87, sm_89, sm_90, sm_90a, "
             "sm_100, sm_100a, sm_120, sm_120a"),
    cl::init("sm_80"));
static cl::opt<std::string>
    ptxFeatures("ptx-features",
                cl::desc("PTX features (default: the PTX version each "
                         "--arch needs: +ptx80, +ptx86 for sm_100, +ptx87 "
                         "for sm_120)"),
                cl::init(""));
static cl::opt<std::string> entry("entry",
                                  cl::desc("spec function (default: the one "
                                           "holding attn.attention)"));
static cl::opt<int64_t> tileQ("tile-q", cl::desc("queries per tile (0: auto)"),
                              cl::init(0));
static cl::opt<int64_t> tileKv("tile-kv", cl::desc("keys per tile (0: auto)"),
                               cl::init(0));
static cl::opt<int64_t> threadsPerBlock("block-threads", cl::desc("threads per block"),
                                cl::init(128));
static cl::opt<bool> accumulatorFragments(
    "accumulator-fragments",
    cl::desc("tensor cores: O in the mma accumulators across key tiles "
             "(else in shared memory)"),
    cl::init(true));
static cl::opt<bool> registerSoftmax(
    "register-softmax",
    cl::desc("tensor cores with O in the accumulators: S, P and the online "
             "softmax in registers too (else S and P in shared memory)"),
    cl::init(true));
static cl::opt<int64_t> maxSharedBytes(
    "max-shared-bytes",
    cl::desc("shared memory per block the automatic tiles may use (0: per "
             "--arch, the smallest: two blocks per SM on sm_90/sm_100, "
             "115712 B; 99 KiB otherwise; at most 232448)"),
    cl::init(0));
static cl::opt<bool> tensorCores(
    "tensor-cores",
    cl::desc("Q K^T and P V on tensor cores (mma.sync) for f16/bf16 inputs"),
    cl::init(true));
static cl::opt<bool> asyncCopies(
    "async-copies",
    cl::desc("double-buffered K/V tiles filled by cp.async where the layout "
             "allows it"),
    cl::init(true));
static cl::opt<int64_t> splitKv(
    "split-kv",
    cl::desc("key splits of one-pass specs (1: none; 0: automatic; N: at "
             "most N): two kernels and a workspace the caller allocates"),
    cl::init(1));
static cl::opt<std::string> elementTypeOpt(
    "element-type",
    cl::desc("f16 or bf16: retype Q, K, V and the output of each entry first "
             "(compile an f32 spec as a 16-bit kernel)"),
    cl::init(""));
static cl::opt<bool> resourceUsage("resource-usage",
                                   cl::desc("print ptxas -v resource usage"));
static cl::opt<std::string> ptxasPath("ptxas",
                                      cl::desc("ptxas binary (default: from "
                                               "CUDA_HOME, PATH or "
                                               "/usr/local/cuda/bin)"));

static int fail(const llvm::Twine &msg) {
  llvm::errs() << "attn-emit-lib: error: " << msg << "\n";
  return 1;
}

static std::string cIdentifier(llvm::StringRef s) {
  std::string out;
  for (char c : s)
    out += llvm::isAlnum(c) || c == '_' ? c : '_';
  if (out.empty() || llvm::isDigit(out[0]))
    out = "_" + out;
  return out;
}

static std::optional<std::string> findPtxas() {
  if (!ptxasPath.empty())
    return ptxasPath.getValue();
  for (const char *env : {"ATTN_CUDA_PATH", "CUDA_ROOT", "CUDA_HOME",
                          "CUDA_PATH"})
    if (const char *root = std::getenv(env); root && *root) {
      std::string p = (llvm::Twine(root) + "/bin/ptxas").str();
      if (llvm::sys::fs::can_execute(p))
        return p;
    }
  if (auto p = llvm::sys::findProgramByName("ptxas"))
    return *p;
  if (llvm::sys::fs::can_execute("/usr/local/cuda/bin/ptxas"))
    return std::string("/usr/local/cuda/bin/ptxas");
  return std::nullopt;
}

static bool writeFile(llvm::StringRef path, llvm::StringRef text) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec) {
    llvm::errs() << "attn-emit-lib: error: cannot write " << path << ": "
                 << ec.message() << "\n";
    return false;
  }
  os << text;
  return true;
}

struct PtxasResult {
  bool ok = false;
  std::string log;
};

/// ptxas -v -arch=ARCH PTX -o CUBIN; returns its log.
static PtxasResult runPtxas(llvm::StringRef ptxas, llvm::StringRef arch,
                            llvm::StringRef ptx, llvm::StringRef cubin) {
  PtxasResult r;
  llvm::SmallString<128> logPath;
  if (llvm::sys::fs::createTemporaryFile("attn-ptxas", "log", logPath))
    return r;
  std::string archArg = ("-arch=" + arch).str();
  llvm::SmallVector<llvm::StringRef> args = {ptxas, "-v", archArg, ptx, "-o",
                                             cubin};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, logPath.str(),
                                                logPath.str()};
  std::string err;
  int rc = llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, redirects, 0,
                                     0, &err);
  if (auto buf = llvm::MemoryBuffer::getFile(logPath))
    r.log = (*buf)->getBuffer().str();
  llvm::sys::fs::remove(logPath);
  r.ok = rc == 0;
  if (!err.empty())
    r.log += err;
  return r;
}

/// Numbers from ptxas -v.
struct Resources {
  int64_t registers = -1, spillStores = -1, spillLoads = -1, stack = -1,
          staticSmem = 0;
};

/// The resources of PTX entry `entry` in a `ptxas -v` log.
static Resources parseResources(llvm::StringRef log, llvm::StringRef entry) {
  Resources r;
  // The entry's own part of the log: from its "Compiling entry function"
  // line to the next one.
  std::string marker = ("Compiling entry function '" + entry + "'").str();
  size_t begin = log.find(marker);
  if (begin == llvm::StringRef::npos)
    return r;
  log = log.drop_front(begin + marker.size());
  log = log.take_front(log.find("Compiling entry function"));
  llvm::SmallVector<llvm::StringRef> groups;
  if (llvm::Regex("Used ([0-9]+) registers").match(log, &groups))
    r.registers = std::stoll(groups[1].str());
  if (llvm::Regex("([0-9]+) bytes stack frame, ([0-9]+) bytes spill stores, "
                  "([0-9]+) bytes spill loads")
          .match(log, &groups)) {
    r.stack = std::stoll(groups[1].str());
    r.spillStores = std::stoll(groups[2].str());
    r.spillLoads = std::stoll(groups[3].str());
  }
  if (llvm::Regex("([0-9]+) bytes smem").match(log, &groups))
    r.staticSmem = std::stoll(groups[1].str());
  return r;
}

/// `--resource-usage`: one line per kernel of `k` (the first named `name`,
/// the others `name.1`, `name.2`, ... in launch order) from ptxas's log.
static void printResources(llvm::StringRef name, llvm::StringRef arch,
                           const gpu::KernelInfo &k, llvm::StringRef log) {
  for (auto [i, l] : llvm::enumerate(k.launches)) {
    Resources res = parseResources(log, l.kernelName);
    llvm::outs() << name;
    if (i)
      llvm::outs() << "." << i;
    llvm::outs() << " " << arch << ": registers " << res.registers
                 << ", spill stores " << res.spillStores
                 << " B, spill loads " << res.spillLoads << " B, stack "
                 << res.stack << " B, shared " << l.dynamicSharedBytes
                 << " B dynamic + " << res.staticSmem << " B static, block "
                 << l.block[0] << ", grid " << l.grid[0] << ", tiles "
                 << k.tileQ << "x" << k.tileKv << ", K/V copies "
                 << (k.asyncCopies ? "async" : "sync")
                 << (k.registerSoftmax ? ", softmax in registers" : "")
                 << "\n";
  }
}

/// A NUL-terminated byte array initializer (portable to any C compiler,
/// unlike string literals past 4095 characters).
static std::string cBytes(llvm::StringRef text) {
  std::string out;
  llvm::raw_string_ostream os(out);
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i % 16 == 0)
      os << (i ? "\n  " : "  ");
    unsigned char c = i < text.size() ? text[i] : 0;
    os << llvm::format_hex(c, 4) << (i < text.size() ? "," : "");
  }
  return out;
}

/// NAME.json: what the header says, for programs that load the library
/// without parsing C (bench/gpu/run_gpu_check.py): the launch symbols, the
/// launch configuration (the first kernel's, then every kernel's), the
/// workspace size, the images and, per buffer in launch order, its name,
/// role, element type, shape and alignment.
static std::string emitManifest(const gpu::KernelInfo &k,
                                llvm::ArrayRef<std::string> roles,
                                llvm::ArrayRef<std::string> archs,
                                bool hasCubin, llvm::StringRef specPath,
                                llvm::ArrayRef<int64_t> shape) {
  std::string name = cIdentifier(k.funcName);
  std::string prefix = "attn_" + name;
  llvm::json::Array buffers;
  for (auto [buf, role] : llvm::zip_equal(k.buffers, roles))
    buffers.push_back(llvm::json::Object{
        {"name", cIdentifier(buf.name)},
        {"role", role},
        {"element_type", buf.elementType},
        {"shape", llvm::json::Array(buf.shape)},
        {"output", buf.isResult},
        {"alignment", buf.alignment}});
  llvm::json::Array kernels;
  for (const gpu::KernelInfo::Launch &l : k.launches)
    kernels.push_back(llvm::json::Object{
        {"entry", l.kernelName},
        {"grid", llvm::json::Array(l.grid)},
        {"block", llvm::json::Array(l.block)},
        {"dynamic_shared_bytes", l.dynamicSharedBytes}});
  llvm::json::Object images;
  for (const std::string &arch : archs) {
    llvm::json::Object image{{"ptx", name + "." + arch + ".ptx"}};
    if (hasCubin)
      image["cubin"] = name + "." + arch + ".cubin";
    images[arch] = std::move(image);
  }
  llvm::json::Object manifest{
      {"spec", specPath},
      {"function", k.funcName},
      {"header", name + ".h"},
      {"source", name + ".c"},
      {"launch", prefix + "_launch"},
      {"load", prefix + "_load"},
      {"last_error", prefix + "_last_error"},
      {"unload", prefix + "_unload"},
      {"problem", llvm::json::Object{{"b", shape[0]},
                                     {"hq", shape[1]},
                                     {"hkv", shape[2]},
                                     {"nq", shape[3]},
                                     {"nk", shape[4]},
                                     {"d", shape[5]},
                                     {"dv", shape[6]}}},
      {"grid", llvm::json::Array(k.launches.front().grid)},
      {"block", llvm::json::Array(k.launches.front().block)},
      {"dynamic_shared_bytes", k.launches.front().dynamicSharedBytes},
      {"kernels", std::move(kernels)},
      {"workspace_bytes", k.workspaceBytes},
      {"tile_q", k.tileQ},
      {"tile_kv", k.tileKv},
      {"tensor_cores", k.tensorCores},
      {"register_softmax", k.registerSoftmax},
      {"async_copies", k.asyncCopies},
      {"images", std::move(images)},
      {"buffers", std::move(buffers)}};
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(manifest))) << "\n";
  return text;
}

/// The C header and launcher of one kernel.
static void emitSources(const gpu::KernelInfo &k,
                        llvm::ArrayRef<std::pair<std::string, std::string>>
                            ptxPerArch,
                        llvm::StringRef specPath, llvm::StringRef shape,
                        std::string &header, std::string &source) {
  std::string name = cIdentifier(k.funcName);
  std::string prefix = "attn_" + name;
  std::string macro = "ATTN_" + llvm::StringRef(name).upper();
  llvm::raw_string_ostream h(header), c(source);

  const gpu::KernelInfo::Launch &first = k.launches.front();
  const size_t numLaunches = k.launches.size();
  int64_t mostSharedBytes = 0;
  for (const gpu::KernelInfo::Launch &l : k.launches)
    mostSharedBytes = std::max(mostSharedBytes, l.dynamicSharedBytes);
  std::string params;
  for (const auto &buf : k.buffers)
    params += "CUdeviceptr " + cIdentifier(buf.name) + ", ";
  if (k.workspaceBytes)
    params += "CUdeviceptr workspace, ";
  params += "CUstream stream";

  h << "/* Generated by attn-emit-lib from " << specPath << " (function @"
    << k.funcName << ", --shape " << shape << "). Do not edit.\n"
    << " *\n"
    << " * " << prefix << "_launch runs the attention kernel"
    << (numLaunches > 1 ? "s" : "") << " on device\n"
    << " * buffers (contiguous, row-major):\n";
  for (const auto &buf : k.buffers) {
    h << " *   " << cIdentifier(buf.name) << ": " << buf.elementType;
    for (int64_t d : buf.shape)
      h << "[" << d << "]";
    h << (buf.isResult ? "  (output" : "  (input");
    if (buf.alignment)
      h << ", " << buf.alignment << "-byte aligned";
    h << ")\n";
  }
  if (k.workspaceBytes)
    h << " *   workspace: " << k.workspaceBytes
      << " bytes of device memory, 256-byte aligned, that the kernels pass\n"
      << " *     between them (the split-KV partial results); "
      << macro << "_WORKSPACE_BYTES\n";
  if (numLaunches > 1)
    h << " * It enqueues " << numLaunches
      << " kernels on `stream`, in order (split-KV: the key splits, then\n"
      << " * their merge).\n";
  h << " * Errors are CUresult values; " << prefix
    << "_last_error() describes the\n"
    << " * failing call (e.g. cuInit or cuDeviceGet when there is no device).\n"
    << " */\n"
    << "#ifndef " << macro << "_H\n#define " << macro << "_H\n\n"
    << "#include <cuda.h>\n\n"
    << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
    << "/* The first kernel's launch configuration. */\n"
    << "#define " << macro << "_GRID_X " << first.grid[0] << "\n"
    << "#define " << macro << "_BLOCK_X " << first.block[0] << "\n"
    << "#define " << macro << "_DYNAMIC_SHARED_BYTES "
    << first.dynamicSharedBytes << "\n"
    << "#define " << macro << "_TILE_Q " << k.tileQ << "\n"
    << "#define " << macro << "_TILE_KV " << k.tileKv << "\n"
    << "/* Kernels per launch call; bytes of its workspace argument (0:\n"
    << " * none). */\n"
    << "#define " << macro << "_KERNELS " << numLaunches << "\n"
    << "#define " << macro << "_WORKSPACE_BYTES " << k.workspaceBytes
    << "\n\n"
    << "/* Loads the kernel into the current context (the primary context\n"
    << " * of device 0 when none is current). Called by " << prefix
    << "_launch\n * on first use; not thread-safe. */\n"
    << "CUresult " << prefix << "_load(void);\n"
    << "/* Enqueues the kernel on `stream`. */\n"
    << "CUresult " << prefix << "_launch(" << params << ");\n"
    << "/* The last error, or \"\". */\n"
    << "const char *" << prefix << "_last_error(void);\n"
    << "/* Unloads the module. */\n"
    << "void " << prefix << "_unload(void);\n\n"
    << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";

  c << "/* Generated by attn-emit-lib from " << specPath << " (function @"
    << k.funcName << "). Do not edit. */\n"
    << "#include \"" << name << ".h\"\n\n"
    << "#include <stdio.h>\n#include <string.h>\n\n";
  for (const auto &[arch, ptx] : ptxPerArch)
    c << "/* PTX for " << arch << " (also in " << name << "." << arch
      << ".ptx). */\n"
      << "static const unsigned char " << prefix << "_ptx_" << arch
      << "[] = {\n" << cBytes(ptx) << "\n};\n\n";
  c << "static const struct { int cc; const unsigned char *ptx; } " << prefix
    << "_images[] = {\n";
  for (const auto &[arch, ptx] : ptxPerArch)
    c << "  {" << llvm::StringRef(arch).drop_front(3).take_while(llvm::isDigit)
      << ", " << prefix << "_ptx_" << arch << "},\n";
  c << "};\n\n"
    << "static CUmodule " << prefix << "_module;\n"
    << "static CUfunction " << prefix << "_functions[" << numLaunches
    << "];\n"
    << "static char " << prefix << "_error[1024];\n\n"
    << "/* The name of `r`; the driver stub library answers no names. */\n"
    << "static const char *" << prefix << "_name(CUresult r) {\n"
    << "  const char *name = NULL;\n"
    << "  if (cuGetErrorName(r, &name) == CUDA_SUCCESS && name)\n"
    << "    return name;\n"
    << "  switch ((int)r) {\n"
    << "  case 3: return \"CUDA_ERROR_NOT_INITIALIZED\";\n"
    << "  case 34: return \"CUDA_ERROR_STUB_LIBRARY (the CUDA driver stub, "
       "not a driver)\";\n"
    << "  case 35: return \"CUDA_ERROR_INSUFFICIENT_DRIVER\";\n"
    << "  case 100: return \"CUDA_ERROR_NO_DEVICE\";\n"
    << "  case 101: return \"CUDA_ERROR_INVALID_DEVICE\";\n"
    << "  case 209: return \"CUDA_ERROR_NO_BINARY_FOR_GPU\";\n"
    << "  case 222: return \"CUDA_ERROR_UNSUPPORTED_PTX_VERSION\";\n"
    << "  default: return \"CUresult\";\n"
    << "  }\n}\n\n"
    << "static CUresult " << prefix
    << "_fail(const char *call, CUresult r, const char *hint) {\n"
    << "  const char *name = " << prefix << "_name(r), *text = NULL;\n"
    << "  if (cuGetErrorString(r, &text) != CUDA_SUCCESS || !text)\n"
    << "    text = \"\";\n"
    << "  snprintf(" << prefix << "_error, sizeof " << prefix
    << "_error, \"" << prefix << ": %s failed: %s (%d)%s%s%s%s\", call, name,\n"
    << "           (int)r, *text ? \": \" : \"\", text, hint ? \"; \" : \"\",\n"
    << "           hint ? hint : \"\");\n"
    << "  return r;\n}\n\n"
    << "#define ATTN_CHECK(call, hint) \\\n"
    << "  do { \\\n"
    << "    CUresult attn_r_ = (call); \\\n"
    << "    if (attn_r_ != CUDA_SUCCESS) \\\n"
    << "      return " << prefix << "_fail(#call, attn_r_, hint); \\\n"
    << "  } while (0)\n\n"
    << "const char *" << prefix << "_last_error(void) { return " << prefix
    << "_error; }\n\n"
    << "CUresult " << prefix << "_load(void) {\n"
    << "  CUcontext ctx = NULL;\n"
    << "  CUdevice dev;\n"
    << "  int major = 0, minor = 0, optin = 0;\n"
    << "  unsigned i, best = 0;\n"
    << "  char log[4096];\n"
    << "  CUjit_option opts[2];\n"
    << "  void *values[2];\n"
    << "  CUresult r;\n"
    << "  if (" << prefix << "_functions[0])\n    return CUDA_SUCCESS;\n"
    << "  ATTN_CHECK(cuInit(0), \"no usable CUDA driver or device\");\n"
    << "  ATTN_CHECK(cuCtxGetCurrent(&ctx), NULL);\n"
    << "  if (!ctx) {\n"
    << "    ATTN_CHECK(cuDeviceGet(&dev, 0), \"no CUDA device\");\n"
    << "    ATTN_CHECK(cuDevicePrimaryCtxRetain(&ctx, dev), NULL);\n"
    << "    ATTN_CHECK(cuCtxSetCurrent(ctx), NULL);\n"
    << "  }\n"
    << "  ATTN_CHECK(cuCtxGetDevice(&dev), NULL);\n"
    << "  ATTN_CHECK(cuDeviceGetAttribute(&major, "
       "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev), NULL);\n"
    << "  ATTN_CHECK(cuDeviceGetAttribute(&minor, "
       "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev), NULL);\n"
    << "  /* The newest embedded architecture the device runs. */\n"
    << "  for (i = 0; i < sizeof " << prefix << "_images / sizeof "
    << prefix << "_images[0]; ++i)\n"
    << "    if (" << prefix << "_images[i].cc <= major * 10 + minor &&\n"
    << "        (!best || " << prefix << "_images[i].cc > " << prefix
    << "_images[best - 1].cc))\n"
    << "      best = i + 1;\n"
    << "  if (!best) {\n"
    << "    snprintf(" << prefix << "_error, sizeof " << prefix
    << "_error, \"" << prefix << ": the device (sm_%d%d) is older than every "
       "embedded architecture\", major, minor);\n"
    << "    return CUDA_ERROR_NO_BINARY_FOR_GPU;\n  }\n"
    << "  ATTN_CHECK(cuDeviceGetAttribute(&optin, "
       "CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, dev), NULL);\n"
    << "  if (optin < " << mostSharedBytes << ") {\n"
    << "    snprintf(" << prefix << "_error, sizeof " << prefix
    << "_error, \"" << prefix << ": the kernel needs %d bytes of shared "
       "memory, the device allows %d\", " << mostSharedBytes
    << ", optin);\n"
    << "    return CUDA_ERROR_INVALID_VALUE;\n  }\n"
    << "  log[0] = 0;\n"
    << "  opts[0] = CU_JIT_ERROR_LOG_BUFFER;\n"
    << "  values[0] = log;\n"
    << "  opts[1] = CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES;\n"
    << "  values[1] = (void *)(size_t)sizeof log;\n"
    << "  r = cuModuleLoadDataEx(&" << prefix << "_module, " << prefix
    << "_images[best - 1].ptx, 2, opts, values);\n"
    << "  if (r != CUDA_SUCCESS)\n"
    << "    return " << prefix << "_fail(\"cuModuleLoadDataEx\", r, log);\n"
    ;
  // Every kernel from the one module, with its shared memory allowed.
  for (auto [i, l] : llvm::enumerate(k.launches))
    c << "  ATTN_CHECK(cuModuleGetFunction(&" << prefix << "_functions[" << i
      << "], " << prefix << "_module, \"" << l.kernelName << "\"), NULL);\n"
      << "  ATTN_CHECK(cuFuncSetAttribute(" << prefix << "_functions[" << i
      << "], CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, "
      << l.dynamicSharedBytes << "), NULL);\n";
  c     << "  " << prefix << "_error[0] = 0;\n"
    << "  return CUDA_SUCCESS;\n}\n\n"
    << "CUresult " << prefix << "_launch(" << params << ") {\n";
  // cp.async reads K and V (and Q on tensor cores) in pieces of
  // `alignment` bytes.
  for (const auto &buf : k.buffers)
    if (buf.alignment)
      c << "  if (" << cIdentifier(buf.name) << " % " << buf.alignment
        << " != 0) {\n"
        << "    snprintf(" << prefix << "_error, sizeof " << prefix
        << "_error, \"" << prefix << "_launch: " << cIdentifier(buf.name)
        << " (0x%llx) is not " << buf.alignment
        << "-byte aligned; the kernel copies it with cp.async\",\n"
        << "             (unsigned long long)" << cIdentifier(buf.name)
        << ");\n"
        << "    return CUDA_ERROR_INVALID_VALUE;\n  }\n";
  if (k.workspaceBytes)
    c << "  if (!workspace || workspace % 256 != 0) {\n"
      << "    snprintf(" << prefix << "_error, sizeof " << prefix
      << "_error, \"" << prefix << "_launch: the workspace (0x%llx) must be "
      << k.workspaceBytes << " bytes, 256-byte aligned\",\n"
      << "             (unsigned long long)workspace);\n"
      << "    return CUDA_ERROR_INVALID_VALUE;\n  }\n";
  // Each kernel's parameters: buffers, or slices of the workspace.
  llvm::SmallSet<int64_t, 8> usedArgs;
  for (auto [i, l] : llvm::enumerate(k.launches)) {
    for (auto [j, p] : llvm::enumerate(l.params))
      if (p.workspace)
        c << "  CUdeviceptr k" << i << "_ws" << j << " = workspace + "
          << p.index << ";\n";
    c << "  void *k" << i << "_params[" << std::max<size_t>(l.params.size(), 1)
      << "] = {";
    for (auto [j, p] : llvm::enumerate(l.params)) {
      c << (j ? ", " : "") << "&";
      if (p.workspace) {
        c << "k" << i << "_ws" << j;
      } else {
        c << cIdentifier(k.buffers[p.index].name);
        usedArgs.insert(p.index);
      }
    }
    c << "};\n";
  }
  for (auto [i, buf] : llvm::enumerate(k.buffers))
    if (!usedArgs.contains(i))
      c << "  (void)" << cIdentifier(buf.name) << "; /* not read */\n";
  c << "  CUresult r = " << prefix << "_load();\n"
    << "  if (r != CUDA_SUCCESS)\n    return r;\n";
  for (auto [i, l] : llvm::enumerate(k.launches))
    c << "  ATTN_CHECK(cuLaunchKernel(" << prefix << "_functions[" << i
      << "], " << l.grid[0] << ", " << l.grid[1] << ", " << l.grid[2] << ", "
      << l.block[0] << ", " << l.block[1] << ", " << l.block[2] << ", "
      << l.dynamicSharedBytes << ", stream, k" << i
      << "_params, NULL), NULL);\n";
  c << "  return CUDA_SUCCESS;\n}\n\n"
    << "void " << prefix << "_unload(void) {\n"
    << "  if (" << prefix << "_module)\n    cuModuleUnload(" << prefix
    << "_module);\n"
    << "  " << prefix << "_module = NULL;\n"
    << "  memset(" << prefix << "_functions, 0, sizeof " << prefix
    << "_functions);\n}\n";
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv,
                              "attn-emit-lib: PTX, cubin, header and CUDA "
                              "driver launcher for attn specs\n");

  std::optional<ProblemSize> givenSize;
  if (!shapeOpt.empty()) {
    auto size = parseProblemSize(shapeOpt, "--shape");
    if (!size)
      return fail(llvm::toString(size.takeError()));
    givenSize = *size;
  }
  llvm::SmallVector<llvm::StringRef> archs;
  llvm::StringRef(archOpt).split(archs, ',', -1, false);
  if (archs.empty())
    return fail("--arch names no architecture");
  for (llvm::StringRef a : archs) {
    gpu::PTXOptions options;
    options.chip = a.str();
    options.features = ptxFeatures;
    if (llvm::Error err = gpu::checkPTXOptions(options))
      return fail("--arch: " + llvm::toString(std::move(err)));
  }
  if (maxSharedBytes < 0)
    return fail("--max-shared-bytes must be >= 0 (0: per --arch), got " +
                llvm::Twine(maxSharedBytes));
  if (std::error_code ec = llvm::sys::fs::create_directories(outDir))
    return fail("cannot create " + outDir + ": " + ec.message());
  std::optional<std::string> ptxas = findPtxas();
  if (!ptxas)
    llvm::errs() << "attn-emit-lib: note: ptxas not found (no CUDA "
                    "toolkit): no .cubin written\n";

  MLIRContext context;
  DialectRegistry registry;
  gpu::registerGPUDependencies(registry);
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();

  Type retypeTo;
  if (!elementTypeOpt.empty()) {
    retypeTo = sixteenBitElementType(&context, elementTypeOpt);
    if (!retypeTo)
      return fail("--element-type takes f16 or bf16, got '" + elementTypeOpt +
                  "'");
  }

  gpu::GPUTileOptions tiles;
  tiles.tileQ = tileQ;
  tiles.tileKv = tileKv;
  tiles.threads = threadsPerBlock;
  tiles.useTensorCores = tensorCores;
  tiles.asyncCopies = asyncCopies;
  tiles.maxSharedBytes = maxSharedBytes;
  tiles.accumulatorFragments = accumulatorFragments;
  tiles.registerSoftmax = registerSoftmax;
  tiles.splitKv = splitKv;
  if (maxSharedBytes == 0) {
    tiles.maxSharedBytes = std::numeric_limits<int64_t>::max();
    for (llvm::StringRef a : archs)
      tiles.maxSharedBytes =
          std::min(tiles.maxSharedBytes, gpu::maxSharedBytesFor(a));
  }
  if (llvm::Error err = gpu::checkGPUTileOptions(tiles))
    return fail(llvm::toString(std::move(err)));

  int status = 0;
  for (const std::string &specPath : specFiles) {
    SpecSource spec(context);
    std::string readError;
    OwningOpRef<ModuleOp> module = spec.parseFile(specPath, readError);
    if (!module) {
      status = readError.empty() ? 1 : fail(readError);
      continue;
    }
    // Every function holding an attention op, or --entry.
    std::vector<std::string> entries;
    if (!entry.empty())
      entries.push_back(entry);
    else
      module->walk([&](func::FuncOp f) {
        if (!f.getOps<AttentionOp>().empty() ||
            f.walk([](AttentionOp) { return WalkResult::interrupt(); })
                .wasInterrupted())
          entries.push_back(f.getSymName().str());
      });
    if (entries.empty())
      entries.push_back(""); // bindSpec reports it
    for (const std::string &entryName : entries) {
      if (retypeTo) {
        if (failed(retypeAttentionInputs(*module, entryName, retypeTo))) {
          status = fail(specPath + ": cannot retype " + entryName +
                        " (Q, K and V must be arguments of the function)");
          continue;
        }
      }
      FailureOr<SpecBinding> binding = bindSpec(*module, entryName);
      if (failed(binding)) {
        status = 1;
        continue;
      }
      ProblemSize size = givenSize ? *givenSize : defaultProblemSize(*binding);
      std::string shapeText =
          (llvm::Twine(size.b) + "," + llvm::Twine(size.hq) + "," +
           llvm::Twine(size.hkv) + "," + llvm::Twine(size.nq) + "," +
           llvm::Twine(size.nk) + "," + llvm::Twine(size.d) + "," +
           llvm::Twine(size.dv))
              .str();
      std::vector<std::pair<DType, llvm::SmallVector<int64_t, 4>>> argTypes;
      bool ok = true;
      for (unsigned n = 0, e = binding->func.getNumArguments(); n < e; ++n) {
        auto type = cast<RankedTensorType>(binding->func.getArgumentTypes()[n]);
        std::optional<DType> dtype = dtypeOfElement(type.getElementType());
        auto shape = argShape(*binding, n, size);
        if (!dtype || !shape) {
          if (!shape)
            fail(specPath + ": " + llvm::toString(shape.takeError()));
          else
            fail(specPath + ": unsupported element type of argument '" +
                 binding->names[n] + "'");
          ok = false;
          break;
        }
        argTypes.push_back({*dtype, llvm::SmallVector<int64_t, 4>(
                                        shape->begin(), shape->end())});
      }
      if (!ok) {
        status = 1;
        continue;
      }
      auto specialized = specializeToTypes(*binding, argTypes);
      if (failed(specialized)) {
        status = 1;
        continue;
      }
      std::string funcName = binding->func.getSymName().str();
      std::string name = cIdentifier(funcName);

      std::vector<std::pair<std::string, std::string>> ptxPerArch;
      std::optional<gpu::KernelInfo> info;
      for (llvm::StringRef arch : archs) {
        gpu::PTXOptions options;
        options.chip = arch.str();
        options.features = ptxFeatures;
        auto kernel =
            gpu::compileKernel(**specialized, funcName, options, tiles);
        if (!kernel) {
          fail(specPath + ": " + llvm::toString(kernel.takeError()));
          ok = false;
          break;
        }
        std::string base =
            (llvm::Twine(outDir) + "/" + name + "." + arch).str();
        if (!writeFile(base + ".ptx", kernel->ptx)) {
          ok = false;
          break;
        }
        if (ptxas) {
          PtxasResult r =
              runPtxas(*ptxas, arch, base + ".ptx", base + ".cubin");
          if (!r.ok) {
            fail(specPath + ": ptxas rejected " + base + ".ptx:\n" + r.log);
            ok = false;
            break;
          }
          if (resourceUsage)
            printResources(name, arch, *kernel, r.log);
        } else if (resourceUsage) {
          llvm::outs() << name << " " << arch
                       << ": no ptxas, no resource usage\n";
        }
        ptxPerArch.push_back({arch.str(), kernel->ptx});
        info = std::move(*kernel);
      }
      if (!ok) {
        status = 1;
        continue;
      }
      // Buffer names: the spec's argument names, then out and lse.
      for (unsigned n = 0; n < binding->names.size(); ++n)
        info->buffers[n].name = binding->names[n];
      unsigned numResults = info->buffers.size() - binding->names.size();
      for (unsigned r = 0; r < numResults; ++r)
        info->buffers[binding->names.size() + r].name = r == 0 ? "out" : "lse";

      std::vector<std::string> roles, archNames;
      for (ArgRole role : binding->roles)
        roles.push_back(argRoleName(role).str());
      for (unsigned r = 0; r < numResults; ++r)
        roles.push_back(r == 0 ? "output" : "lse");
      for (const auto &[arch, ptx] : ptxPerArch)
        archNames.push_back(arch);
      std::string header, source;
      emitSources(*info, ptxPerArch, specPath, shapeText, header, source);
      std::string manifest = emitManifest(
          *info, roles, archNames, ptxas.has_value(), specPath,
          {size.b, size.hq, size.hkv, size.nq, size.nk, size.d, size.dv});
      if (!writeFile(outDir + "/" + name + ".h", header) ||
          !writeFile(outDir + "/" + name + ".c", source) ||
          !writeFile(outDir + "/" + name + ".json", manifest)) {
        status = 1;
        continue;
      }
      llvm::outs() << "wrote " << outDir << "/" << name << ".{h,c,json} and "
                   << ptxPerArch.size() << " PTX" << (ptxas ? " + cubin" : "")
                   << " image(s): grid " << info->launches[0].grid[0]
                   << ", block " << info->launches[0].block[0]
                   << ", dynamic shared "
                   << info->launches[0].dynamicSharedBytes << " B"
                   << (info->launches.size() > 1
                           ? ", " + std::to_string(info->launches.size()) +
                                 " kernels, workspace " +
                                 std::to_string(info->workspaceBytes) + " B"
                           : std::string())
                   << ", shape " << shapeText
                   << "\n";
    }
  }
  return status;
}
