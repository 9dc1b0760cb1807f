//===- ParallelRuntime.h - the parallel-for runtime entry point -*- C++ -*-===//
//
// The contract between `attn-parallel-loops-to-runtime`, which emits calls
// of this entry point, and whoever runs the code (the JIT defines it):
//
//   extern "C" void attn_parallel_for(int64_t count,
//                                     void (*body)(void *ctx, int64_t item),
//                                     void *ctx);
//
// runs body(ctx, i) for every i in [0, count), in any order and on any
// threads, and returns when all have finished (the return is the barrier
// between two parallel loops, e.g. split-KV's partials and their merge).
// The pass only emits it for count > 1.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_PARALLELRUNTIME_H
#define ATTN_CONVERSION_PARALLELRUNTIME_H

#include "llvm/ADT/StringRef.h"

namespace attn {

inline constexpr llvm::StringLiteral kParallelForFunction = "attn_parallel_for";

} // namespace attn

#endif // ATTN_CONVERSION_PARALLELRUNTIME_H
