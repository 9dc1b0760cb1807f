//===- GPU.h - GPU pipelines and kernel compilation -------------*- C++ -*-===//
//
// The GPU path: attn-to-tile builds the tile program, and
// convert-attn-tile-to-gpu the pre-mapping kernel IR from it (block-level
// scf.forall over shared-memory tiles and sibling thread-level
// scf.foralls); the pipelines below run it on the CPU (numerics) or map it
// to gpu.launch and compile it to PTX. attn/Target/PTX.h's emitPTX is the
// short form of compileKernel.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TARGET_GPU_H
#define ATTN_TARGET_GPU_H

#include "attn/Target/PTX.h"

#include "mlir/Pass/PassManager.h"

#include <array>
#include <string>
#include <vector>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace attn::gpu {

/// Tiling of the GPU kernels (convert-attn-tile-to-gpu's options).
struct GPUTileOptions {
  int64_t tileQ = 0, tileKv = 0; // 0: the largest tiles within maxSharedBytes
  int64_t threads = 128;
  int64_t maxSharedBytes = 101376;
  /// Tensor cores for f16/bf16 inputs (convert-attn-tile-to-gpu's
  /// use-tensor-cores).
  bool useTensorCores = true;
  /// Double-buffered K/V tiles copied with cp.async where the layout allows
  /// (convert-attn-tile-to-gpu's async-copies).
  bool asyncCopies = true;
  /// Tensor cores: O in mma accumulator fragments across key tiles
  /// (convert-attn-tile-to-gpu's accumulator-fragments).
  bool accumulatorFragments = true;
  /// Tensor cores with O in fragments: S, P and the online softmax in
  /// registers (convert-attn-tile-to-gpu's register-softmax).
  bool registerSoftmax = true;
  /// Key splits of one-pass specs (convert-attn-tile-to-gpu's split-kv on
  /// attn-to-tile's split-KV form): 1 none, 0 automatic, N at most N.
  int64_t splitKv = 1;
};

/// The most key splits a split-KV kernel may be asked for.
constexpr int64_t kMaxKeySplits = 1024;

/// The most threads per block (CUDA's limit) and shared memory per block
/// (sm_90's opt-in maximum) a kernel may ask for.
constexpr int64_t kMaxThreadsPerBlock = 1024;
constexpr int64_t kMaxSharedBytesPerBlock = 232448;

/// Checks tile options where they enter (the tools, the Python package,
/// the pipelines): tiles non-negative and both set or both 0, threads a
/// positive multiple of 32 up to kMaxThreadsPerBlock, splits in
/// [0, kMaxKeySplits], shared memory positive up to kMaxSharedBytesPerBlock.
llvm::Error checkGPUTileOptions(const GPUTileOptions &tiles);

/// The shared memory per block the automatic tiles of a kernel for `chip`
/// may use: two blocks per SM on sm_90/sm_100 (H100, H200, B200: 228 KiB
/// per SM, 1 KiB reserved per block: 115712 B; measured on an H200, one
/// 145 KiB block per SM ran slower than two of 99 KiB, docs/gpu.md), 99 KiB
/// otherwise (what sm_86/sm_89/sm_120 devices, which also run sm_80 PTX,
/// can opt in to; GPUTileOptions' default). A library for several chips
/// takes the smallest.
int64_t maxSharedBytesFor(llvm::StringRef chip);

/// attn-to-tile, convert-attn-tile-to-gpu, scf-forall-to-for and
/// attn-gpu-erase-memory-spaces: the pre-mapping kernel IR as a sequential
/// CPU loop nest, still on tensors at the function boundary (ready for the
/// CPU lowering, e.g. CompiledFunction::compile with Lowering::Untiled).
void buildPreMappingOnCPUPipeline(mlir::OpPassManager &pm,
                                  const GPUTileOptions &tiles);

/// The above followed by the CPU lowering to LLVM (`attn-opt
/// --attn-gpu-on-cpu`).
void buildGPUOnCPUPipeline(mlir::OpPassManager &pm,
                           const GPUTileOptions &tiles);

/// attn-to-tile, convert-attn-tile-to-gpu, One-Shot Bufferize (results as
/// out-params), attn-gpu-map-foralls and attn-gpu-dynamic-shared-memory:
/// host functions
/// with one gpu.launch per attention op (`attn-opt --attn-gpu-launch`).
void buildGPULaunchPipeline(mlir::OpPassManager &pm,
                            const GPUTileOptions &tiles);

/// The above followed by kernel outlining, nvvm-attach-target, the NVVM
/// conversion and gpu-module-to-binary{format=isa}: every kernel's PTX in a
/// gpu.binary (`attn-opt --attn-gpu-ptx`). `format` = "bin" assembles the
/// PTX with the CUDA toolkit's ptxas instead (a cubin in the gpu.binary).
void buildGPUToPTXPipeline(mlir::OpPassManager &pm, const GPUTileOptions &tiles,
                           const PTXOptions &ptx,
                           llvm::StringRef format = "isa");

/// Registers attn-gpu-on-cpu, attn-gpu-launch and attn-gpu-ptx.
void registerGPUPipelines();

/// Every dialect, interface and LLVM IR translation the GPU pipelines need.
void registerGPUDependencies(mlir::DialectRegistry &registry);

/// One compiled spec function: its kernels and how to launch them.
struct KernelInfo {
  std::string funcName; // the spec function
  /// One PTX image holding every kernel the function launches.
  std::string ptx;
  /// One kernel launch (launches run in order on one stream).
  struct Launch {
    std::string kernelName; // the PTX entry
    std::array<int64_t, 3> grid{1, 1, 1}, block{1, 1, 1};
    int64_t dynamicSharedBytes = 0;
    /// A kernel parameter (a device pointer): host function argument
    /// `index` (the spec function's arguments followed by its results,
    /// out-params), or with `workspace` the workspace plus `index` bytes.
    struct Param {
      bool workspace = false;
      int64_t index = 0;
    };
    std::vector<Param> params;
  };
  /// The launches in order: one, or for split-KV the splits' kernel and
  /// the merge kernel.
  std::vector<Launch> launches;
  /// Device memory the launches pass between them (split-KV's partial
  /// results), allocated by the caller; 0 when none.
  int64_t workspaceBytes = 0;
  int64_t tileQ = 0, tileKv = 0;
  /// Host function arguments: element type name (f32, f16, bf16, i32, ...)
  /// and shape.
  struct Buffer {
    std::string name, elementType;
    std::vector<int64_t> shape;
    bool isResult = false;
    /// Byte alignment the device pointer needs beyond its element size
    /// (K, V and on tensor cores Q filled by cp.async: the copy size); 0
    /// when none.
    int64_t alignment = 0;
  };
  /// K and V tiles double-buffered and filled by cp.async.
  bool asyncCopies = false;
  /// Q K^T and P V on tensor cores (mma.sync).
  bool tensorCores = false;
  /// Tensor cores with S, P and the softmax in registers (quad shuffles).
  bool registerSoftmax = false;
  std::vector<Buffer> buffers;
};

/// Compiles function `funcName` of `spec` (static shapes, one
/// attn.attention) to PTX. The module is cloned, not modified.
llvm::Expected<KernelInfo> compileKernel(mlir::ModuleOp spec,
                                         llvm::StringRef funcName,
                                         const PTXOptions &ptx,
                                         const GPUTileOptions &tiles = {});

} // namespace attn::gpu

#endif // ATTN_TARGET_GPU_H
