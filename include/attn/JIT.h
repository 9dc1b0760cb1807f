//===- JIT.h - compile attn specs for the CPU and run them -----*- C++ -*-===//
//
// In-process compilation of a spec function to native code through MLIR's
// ExecutionEngine, a thread-safe cache of compiled kernels, and execution on
// caller-owned buffers. Errors are values (llvm::Error), never aborts.
//
//   attn::KernelCache cache;
//   auto kernel = cache.getOrCompile(specText, "gemma2_local", argTypes, {});
//   if (!kernel) ... llvm::toString(kernel.takeError()) ...
//   llvm::Error err = (*kernel)->run(args, results);
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_JIT_H
#define ATTN_JIT_H

#include "attn/Support/NDArray.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace llvm {
class ThreadPoolInterface;
} // namespace llvm

namespace mlir {
class ModuleOp;
class ExecutionEngine;
} // namespace mlir

namespace attn {

/// How a spec is compiled for the CPU.
struct CompileOptions {
  /// Which lowering compiles the attention ops.
  enum class Lowering {
    /// The tile program (attn-to-tile), the default: shape-generic, so a
    /// spec with dynamic shapes compiles once for every length; the key
    /// loop's vector kernels (convert-attn-tile-to-vector) at `vectorWidth`
    /// lanes, everything else through the portable lowering; work items on
    /// `threads` threads. tileQ and tileKv give its tiles (tileQ 0: four
    /// vectors, 32 rows with portableTiles).
    TileProgram,
    /// The untiled baseline (convert-attn-to-loops).
    Untiled,
  };
  Lowering lowering = Lowering::TileProgram;
  /// Whether `lowering` is the tile program.
  bool tileProgram() const { return lowering == Lowering::TileProgram; }
  /// Tile program only: the portable scalar lowering alone, without the
  /// vector kernels (the tile IR's correctness baseline). compile() refuses
  /// this and the other "tile program only" options below (splitKv,
  /// linearChunk, int8Dot) when they differ from their defaults with another
  /// lowering, and bf16Dot On or Emulate with it or with the untiled
  /// lowering: each would be ignored.
  bool portableTiles = false;
  /// Tile program only: the split-KV form with at most this many key splits
  /// per query tile, merged by their logsumexp (1: no split; 0: automatic,
  /// chosen at run time for about 64 work items: the decode setting).
  int64_t splitKv = 1;
  /// Tile program only: positions per chunk of the chunked (O(N)) form of
  /// causal linear attention (0: its quadratic form).
  int64_t linearChunk = 64;
  /// Queries per tile of the tile program (0: four vectors, 32 rows with
  /// portableTiles) and keys per tile.
  int64_t tileQ = 0;
  int64_t tileKv = 64;
  /// f32 lanes per vector; 0 takes it from the target (`cpu` and
  /// `features` when given, else the host): 16 with AVX-512F, else 8.
  /// vectorWidth(), queryTile() and keyTile() of the compiled function say
  /// what ran.
  int64_t vectorWidth = 0;
  /// Worker threads (the calling one included); 0 uses every hardware
  /// thread, 1 runs everything on the calling thread. The tile program runs
  /// the work items of each of its parallel loops (both split-KV phases) on
  /// them, from inside one kernel call.
  unsigned threads = 0;
  /// LLVM CPU name and features; empty selects the host.
  std::string cpu, features;
  /// bf16 dot products (vdpbf16ps) in the vector kernels' Q K^T (bf16 Q
  /// and K) and P V (bf16 V) (otherwise bf16 is widened to f32).
  /// Auto: the faster kernels as measured: the tile program's bf16-dot
  /// kernels where the target and this host have avx512bf16 and the CPU
  /// runs vdpbf16ps at the f32 FMA rate (AMD Zen 4 and 5: 0.58-0.74x the
  /// widening kernels' time), widening elsewhere (Intel's parts run it at
  /// half rate; docs/performance.md). On: the
  /// bf16-dot kernels, which need avx512bf16 (plus avx512vl for 8 lanes)
  /// on both the target and this host (the JIT runs the code here), an error
  /// when that is not met (never an illegal instruction at run time).
  /// Emulate: the same kernels with the dot products rewritten into
  /// portable vector code (attn-emulate-bf16-dot), for testing on any
  /// x86-64.
  enum class BF16Dot { Auto, On, Off, Emulate };
  BF16Dot bf16Dot = BF16Dot::Auto;
  /// Tile program with vector kernels only: the i8 dot products of
  /// quantized Q K^T (attn_tile.quantized_scores). Auto: VNNI where the
  /// target and this host have it (avx512vnni, plus avx512vl below 16
  /// lanes), else emulated. VNNI: vpdpbusd, an error where that is not met.
  /// Emulated: the same exact sums in portable vector code (any x86-64).
  enum class Int8Dot { Auto, VNNI, Emulated };
  Int8Dot int8Dot = Int8Dot::Auto;

  /// A stable text form, part of the cache key.
  std::string key() const;
};

/// A caller-owned buffer: element type, shape and strides in elements.
struct BufferView {
  void *data = nullptr;
  DType dtype = DType::F32;
  llvm::SmallVector<int64_t, 4> shape, strides;

  static BufferView of(NDArray &array);
  static BufferView of(const NDArray &array);
};

/// The host's f32 vector width (16 with AVX-512F, else 8).
int64_t hostVectorWidth();

/// Whether vdpbf16ps on `vectorWidth` f32 lanes (8 or 16) can run on this
/// host: avx512bf16, plus avx512vl for 8 lanes.
bool hostHasBF16Dot(int64_t vectorWidth);

/// Whether CompileOptions::BF16Dot::Auto selects the bf16-dot kernels for
/// the host at `vectorWidth` lanes: it has them (hostHasBF16Dot) and runs
/// vdpbf16ps at the f32 FMA rate.
bool hostPrefersBF16Dot(int64_t vectorWidth);

/// Whether vpdpbusd on `vectorWidth` i32 lanes (4, 8 or 16) can run on this
/// host: avx512vnni, plus avx512vl below 16 lanes.
bool hostHasInt8Dot(int64_t vectorWidth);

/// JIT kernels allocate their buffers through the runtime, which keeps
/// freed blocks of 1 MiB or more (up to 16 blocks and 1 GiB) for the next
/// allocation they fit: a kernel's per-call buffers (the tile program's
/// packed keys) are then not faulted in again on every call. Not under
/// AddressSanitizer, which must see every free.
struct WorkspaceCacheStats {
  bool caching = false; // blocks are kept at all (not under ASan)
  size_t blocks = 0;    // cached, free blocks
  size_t bytes = 0;  // their capacity
  size_t reuses = 0; // allocations served from the cache so far
};
WorkspaceCacheStats workspaceCacheStats();
/// Frees every cached block (blocks in use by running kernels are not
/// cached, so this is safe at any time).
void releaseWorkspaceCache();

/// The pool that runs kernels' work items (one thread per hardware thread).
/// Its tasks may call kernels: waiting for their own work items runs
/// pending tasks instead of blocking.
llvm::ThreadPoolInterface &workerThreadPool();

/// A spec function compiled for the host CPU. Safe to run from several
/// threads at once.
class CompiledFunction {
public:
  ~CompiledFunction();

  /// Compiles function `funcName` of `spec` (attn ops on tensors). The module
  /// is cloned; `spec` is not modified. options.lowering says how.
  static llvm::Expected<std::unique_ptr<CompiledFunction>>
  compile(mlir::ModuleOp spec, llvm::StringRef funcName,
          const CompileOptions &options = {});

  /// Runs with `args` (the function's arguments, in order) and `results`
  /// (its results, shaped by the caller). Element types, ranks and static
  /// extents are checked against the signature. Views with any non-negative
  /// strides are accepted: non-contiguous ones are packed into row-major
  /// temporaries (results scattered back after the run), a copy that
  /// contiguous buffers avoid.
  llvm::Error run(llvm::ArrayRef<BufferView> args,
                  llvm::ArrayRef<BufferView> results) const;
  llvm::Error run(llvm::ArrayRef<const NDArray *> args,
                  llvm::ArrayRef<NDArray *> results) const;

  /// Attention ops compiled by the untiled lowering (every op with
  /// Lowering::Untiled) and through the tile program.
  int64_t numUntiledOps() const { return untiledOps; }
  int64_t numTileProgramOps() const { return tileProgramOps; }
  /// f32 lanes per vector of the tile program's vector kernels (0 for the
  /// untiled path and the portable tiles).
  int64_t vectorWidth() const { return lanes; }
  /// Queries and keys per tile of the tile program (0 for the untiled
  /// path; tile-kv 0: the automatic tile).
  int64_t queryTile() const { return tileQ; }
  int64_t keyTile() const { return tileKv; }
  /// How bf16 dot products run: "native" (vdpbf16ps), "emulated" or "off"
  /// (bf16 widened to f32, or no bf16 operands).
  llvm::StringRef bf16DotKind() const { return bf16Dot; }
  /// How the tile program's quantized Q K^T kernel computes its i8 dot
  /// products: "vnni", "emulated", or "off" (the portable lowering).
  llvm::StringRef int8DotKind() const { return int8Dot; }
  /// Seconds spent in the pipeline and in LLVM.
  double compileSeconds() const { return seconds; }
  /// The phases of compileSeconds (wall): the MLIR pass pipeline (spec to
  /// LLVM dialect), LLVM's IR optimizer, and the rest of the JIT (translation
  /// to LLVM IR, code generation, linking). bench/compile_time.py reads them.
  double pipelineSeconds() const { return mlirSeconds; }
  double llvmOptSeconds() const { return optSeconds; }
  double codegenSeconds() const { return seconds - mlirSeconds - optSeconds; }
  /// LLVM IR instructions handed to the optimizer (its input size).
  int64_t llvmInstructions() const { return irInstructions; }

private:
  CompiledFunction() = default;
  struct ArgInfo {
    DType dtype;
    llvm::SmallVector<int64_t, 4> shape; // -1 for dynamic
    /// Results: per dimension, the (argument, dimension) whose extent it
    /// has, checked before every run (the kernel writes the caller's
    /// buffer in place); argument -1 for a static extent of the signature.
    llvm::SmallVector<std::pair<int, int64_t>, 4> extentOf;
  };
  std::unique_ptr<mlir::ExecutionEngine> engine;
  std::string entry;
  void (*packedEntry)(void **) = nullptr;
  std::vector<ArgInfo> argInfo, resultInfo;
  int64_t untiledOps = 0, tileProgramOps = 0;
  int64_t lanes = 0;
  int64_t tileQ = 0, tileKv = 0;
  const char *bf16Dot = "off";
  const char *int8Dot = "off";
  unsigned threads = 1;
  double seconds = 0;
  double mlirSeconds = 0, optSeconds = 0;
  int64_t irInstructions = 0;
};

/// Compiled kernels keyed by spec text, function, argument types and
/// options. Thread-safe; a kernel is compiled once even when several
/// threads ask for it at the same time.
class KernelCache {
public:
  /// Keeps at most `capacity` kernels, evicting the least recently used
  /// (kernels still held by callers stay alive until released). Failed
  /// compilations are not kept: the next request retries.
  explicit KernelCache(size_t capacity = 64) : capacity(capacity) {}

  /// `specText` is parsed, the function specialized to `argTypes` (one
  /// (dtype, shape) per argument), verified and compiled on a miss. An
  /// extent of -1 keeps the spec's (specializeToTypes): with the tile
  /// program, shapes of -1 wherever the spec is dynamic give one kernel for
  /// every length, and a key without the lengths.
  llvm::Expected<std::shared_ptr<const CompiledFunction>>
  getOrCompile(llvm::StringRef specText, llvm::StringRef funcName,
               llvm::ArrayRef<std::pair<DType, llvm::SmallVector<int64_t, 4>>>
                   argTypes,
               const CompileOptions &options = {});

  size_t size() const;
  size_t hits() const;
  size_t evictions() const;
  /// The most kernels kept at once.
  size_t maxSize() const { return capacity; }

private:
  struct Entry {
    std::once_flag once;
    std::shared_ptr<const CompiledFunction> kernel;
    std::string error;
    uint64_t lastUse = 0;
  };
  mutable std::mutex mutex;
  std::map<std::string, std::shared_ptr<Entry>> entries;
  size_t capacity;
  size_t hitCount = 0, evictionCount = 0;
  uint64_t clock = 0;
};

} // namespace attn

#endif // ATTN_JIT_H
