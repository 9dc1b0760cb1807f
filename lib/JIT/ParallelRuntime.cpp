//===- ParallelRuntime.cpp - the JIT's attn_parallel_for ------------------===//

#include "ParallelRuntime.h"

#include "llvm/Support/ThreadPool.h"

#include <algorithm>
#include <atomic>

using namespace attn;

/// The innermost scope on this thread; null outside CompiledFunction::run.
static thread_local const ParallelForScope *currentScope = nullptr;

ParallelForScope::ParallelForScope(llvm::ThreadPoolInterface &pool,
                                   unsigned threads)
    : pool(pool), threads(threads), previous(currentScope) {
  currentScope = this;
}

ParallelForScope::~ParallelForScope() { currentScope = previous; }

/// Claims items one at a time until none is left: dynamic scheduling, so a
/// causal mask's heavy and light items balance.
static void runItems(std::atomic<int64_t> &next, int64_t count,
                     void (*body)(void *, int64_t), void *context) {
  for (int64_t item = next.fetch_add(1, std::memory_order_relaxed);
       item < count; item = next.fetch_add(1, std::memory_order_relaxed))
    body(context, item);
}

void attn::attnJitParallelFor(int64_t count,
                              void (*body)(void *, int64_t),
                              void *context) {
  const ParallelForScope *scope = currentScope;
  int64_t workers = scope ? std::min<int64_t>(scope->threads, count) : 1;
  std::atomic<int64_t> next{0};
  if (workers <= 1)
    return runItems(next, count, body, context);
  // The caller is one of the workers. Waiting on the group from a pool
  // thread (a kernel called from a task of this pool) runs pending tasks
  // instead of blocking (ThreadPoolInterface::wait(ThreadPoolTaskGroup &)),
  // and every task ends once the counter runs out: no deadlock.
  llvm::ThreadPoolTaskGroup group(scope->pool);
  for (int64_t w = 1; w < workers; ++w)
    group.async([&] { runItems(next, count, body, context); });
  runItems(next, count, body, context);
  // The barrier: the items' writes happen-before the return (the pool's
  // mutex orders them).
  group.wait();
}
