//===- ParallelRuntime.h - the JIT's attn_parallel_for ---------*- C++ -*-===//
//
// The JIT's definition of the runtime entry point that
// attn-parallel-loops-to-runtime calls (attn/Conversion/ParallelRuntime.h).
// A kernel call learns its pool and thread count from the
// ParallelForScope that CompiledFunction::run opens around it on the calling
// thread; without one, the items run inline.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_JIT_PARALLELRUNTIME_H
#define ATTN_LIB_JIT_PARALLELRUNTIME_H

#include <cstdint>

namespace llvm {
class ThreadPoolInterface;
} // namespace llvm

namespace attn {

/// attn_parallel_for on the calling thread's scope.
extern "C" void attnJitParallelFor(int64_t count,
                                   void (*body)(void *, int64_t),
                                   void *context);

/// While alive, attn_parallel_for calls on this thread run on `pool` with at
/// most `threads` workers (the calling thread included). Nests: the
/// previous scope comes back on destruction.
class ParallelForScope {
public:
  ParallelForScope(llvm::ThreadPoolInterface &pool, unsigned threads);
  ~ParallelForScope();
  ParallelForScope(const ParallelForScope &) = delete;
  ParallelForScope &operator=(const ParallelForScope &) = delete;

  llvm::ThreadPoolInterface &pool;
  unsigned threads;

private:
  const ParallelForScope *previous;
};

} // namespace attn

#endif // ATTN_LIB_JIT_PARALLELRUNTIME_H
