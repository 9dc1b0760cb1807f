//===- Workspace.h - the JIT kernels' buffer allocator ---------*- C++ -*-===//
//
// The allocation functions of JIT-compiled kernels: the CPU pipelines lower
// memref.alloc / memref.dealloc with finalize-memref-to-llvm's
// use-generic-functions, and the JIT binds the generic names to these.
//
// Why not malloc: a shape-generic kernel allocates its per-call buffers
// (the tile program's packed keys: 32 MiB at B1 H16 N4096 D128) on every
// call. glibc serves blocks that large with mmap and unmaps them on free, so
// every call faulted its buffers in page by page again (about 15 ms of a
// 53 ms call on one thread, and page faults serialize the threads of a
// process). Large blocks are therefore kept after free and reused.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_JIT_WORKSPACE_H
#define ATTN_LIB_JIT_WORKSPACE_H

#include <cstdint>

namespace attn {

/// _mlir_memref_to_llvm_alloc, _aligned_alloc and _free for JIT kernels.
/// Thread-safe. A null result means out of memory.
extern "C" void *attnJitAlloc(uint64_t size);
extern "C" void *attnJitAlignedAlloc(uint64_t alignment, uint64_t size);
extern "C" void attnJitFree(void *ptr);

} // namespace attn

#endif // ATTN_LIB_JIT_WORKSPACE_H
