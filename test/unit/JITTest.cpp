//===- JITTest.cpp - the C++ JIT API: cache, errors as values, threads ----===//

#include "attn/JIT.h"

#include "llvm/Support/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <malloc.h>
#include <limits>

#include <cmath>
#include <thread>

using namespace attn;

namespace {

/// A causal spec with `elem` (f32, bf16, ...) Q, K, V and output.
std::string causalSpec(const std::string &elem) {
  std::string t = "tensor<?x?x?x?x" + elem + ">";
  return "func.func @causal(%q: " + t + ", %k: " + t + ", %v: " + t +
         ") -> " + t + " {\n  %o = attn.attention %q, %k, %v "
         "mask(#attn.causal)\n       : " + t + ", " + t + ", " + t + " -> " +
         t + "\n  return %o : " + t + "\n}\n";
}

const std::string kCausal = causalSpec("f32");

using ArgTypes = std::vector<std::pair<DType, llvm::SmallVector<int64_t, 4>>>;

ArgTypes shapes(int64_t n, int64_t d = 16, DType dtype = DType::F32) {
  return {{dtype, {1, 2, n, d}}, {dtype, {1, 2, n, d}}, {dtype, {1, 2, n, d}}};
}

struct Buffers {
  NDArray q, k, v, out;
  explicit Buffers(int64_t n, int64_t d = 16) : Buffers(n, n, d, n) {}
  /// Nq queries and Nk keys (a decode step: Nq = 1).
  Buffers(int64_t nq, int64_t nk, int64_t d, uint64_t seed)
      : q(DType::F32, {1, 2, nq, d}), k(DType::F32, {1, 2, nk, d}),
        v(DType::F32, {1, 2, nk, d}), out(DType::F32, {1, 2, nq, d}) {
    std::mt19937_64 rng(seed);
    q.fillNormal(rng);
    k.fillNormal(rng);
    v.fillNormal(rng);
  }
  llvm::Error run(const CompiledFunction &f) {
    return f.run({BufferView::of(q), BufferView::of(k), BufferView::of(v)},
                 {BufferView::of(out)});
  }
};

TEST(KernelCacheTest, CompilesOnceUnderConcurrentRequests) {
  KernelCache cache;
  std::vector<std::thread> threads;
  std::vector<const CompiledFunction *> got(6, nullptr);
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      auto k = cache.getOrCompile(kCausal, "causal", shapes(40));
      if (k)
        got[t] = k->get();
      else
        llvm::consumeError(k.takeError());
    });
  for (auto &t : threads)
    t.join();
  for (int t = 0; t < 6; ++t) {
    ASSERT_NE(got[t], nullptr);
    EXPECT_EQ(got[t], got[0]);
  }
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.hits(), 5u);
}

TEST(KernelCacheTest, KeyIncludesShapesAndOptions) {
  KernelCache cache;
  CompileOptions untiled;
  untiled.lowering = CompileOptions::Lowering::Untiled;
  auto a = cache.getOrCompile(kCausal, "causal", shapes(40));
  auto b = cache.getOrCompile(kCausal, "causal", shapes(41));
  auto c = cache.getOrCompile(kCausal, "causal", shapes(40), untiled);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ((*a)->numTileProgramOps(), 1); // the default lowering
  EXPECT_EQ((*c)->numUntiledOps(), 1);
  // The tile program and the untiled loops agree.
  Buffers x(40), y(40);
  y.q = x.q;
  y.k = x.k;
  y.v = x.v;
  ASSERT_FALSE(static_cast<bool>(x.run(**a)));
  ASSERT_FALSE(static_cast<bool>(y.run(**c)));
  for (int64_t i = 0; i < x.out.numElements(); ++i)
    ASSERT_NEAR(x.out.getDouble(i), y.out.getDouble(i), 1e-5) << i;
}

TEST(KernelCacheTest, DynamicExtentsCompileOnceForEveryLength) {
  KernelCache cache;
  CompileOptions options;
  options.lowering = CompileOptions::Lowering::TileProgram;
  options.tileQ = 8;
  options.tileKv = 16;
  // -1 keeps the spec's dynamic extents: one kernel, a key without lengths.
  ArgTypes dynamic(3, {DType::F32, {-1, -1, -1, -1}});
  auto a = cache.getOrCompile(kCausal, "causal", dynamic, options);
  auto b = cache.getOrCompile(kCausal, "causal", dynamic, options);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ((*a)->numTileProgramOps(), 1);
  // Every length agrees with the kernel compiled for its static shapes.
  for (int64_t n : {1, 37, 100}) {
    SCOPED_TRACE(n);
    auto fixed = cache.getOrCompile(kCausal, "causal", shapes(n));
    ASSERT_TRUE(static_cast<bool>(fixed));
    Buffers x(n), y(n);
    y.q = x.q;
    y.k = x.k;
    y.v = x.v;
    ASSERT_FALSE(static_cast<bool>(x.run(**a)));
    ASSERT_FALSE(static_cast<bool>(y.run(**fixed)));
    for (int64_t i = 0; i < x.out.numElements(); ++i)
      ASSERT_NEAR(x.out.getDouble(i), y.out.getDouble(i), 1e-5) << i;
  }
  EXPECT_EQ(cache.size(), 4u);
  // A static extent of the spec stays static under -1 and is checked when
  // the kernel runs; other negative extents are refused.
  std::string staticD = kCausal;
  for (size_t at; (at = staticD.find("?x?x?x?xf32")) != std::string::npos;)
    staticD.replace(at, 11, "?x?x?x16xf32");
  auto d16 = cache.getOrCompile(staticD, "causal", dynamic, options);
  ASSERT_TRUE(static_cast<bool>(d16)) << llvm::toString(d16.takeError());
  Buffers ok(5), wrongD(5, 8);
  EXPECT_FALSE(static_cast<bool>(ok.run(**d16)));
  llvm::Error err = wrongD.run(**d16);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(llvm::toString(std::move(err)).find("dimension 3 is 8"),
            std::string::npos);
  ArgTypes negative(3, {DType::F32, {1, 2, -2, 16}});
  auto refused = cache.getOrCompile(kCausal, "causal", negative, options);
  ASSERT_FALSE(static_cast<bool>(refused));
  EXPECT_NE(llvm::toString(refused.takeError()).find("dimension 2 is -2"),
            std::string::npos);
}

/// Every buffer the tile program allocates per work item and key tile is
/// freed: the heap does not grow over repeated calls. (The deallocation
/// pipeline needs scf's and arith's deallocation interfaces registered in
/// the JIT's context; without them it left the work items' buffers alive.)
/// mallinfo2 counts the calling thread's arena, so the kernel runs there.
TEST(CompiledFunctionTest, TileProgramFreesItsBuffers) {
  for (int64_t splitKv : {1, 3}) {
    SCOPED_TRACE(splitKv);
    KernelCache cache;
    CompileOptions options;
    options.lowering = CompileOptions::Lowering::TileProgram;
    options.tileQ = 6;
    options.tileKv = 7;
    options.splitKv = splitKv;
    options.threads = 1;
    auto kernel = cache.getOrCompile(kCausal, "causal", shapes(40), options);
    ASSERT_TRUE(static_cast<bool>(kernel)) << llvm::toString(kernel.takeError());
    // The compile time's phases (attn-run --compile-phases) are parts of it.
    const CompiledFunction &fn = **kernel;
    EXPECT_GT(fn.llvmInstructions(), 0);
    EXPECT_GT(fn.pipelineSeconds(), 0.0);
    EXPECT_GT(fn.llvmOptSeconds(), 0.0);
    EXPECT_GT(fn.codegenSeconds(), 0.0);
    Buffers b(40);
    ASSERT_FALSE(static_cast<bool>(b.run(**kernel)));
    size_t before = mallinfo2().uordblks;
    for (int i = 0; i < 20; ++i)
      ASSERT_FALSE(static_cast<bool>(b.run(**kernel)));
    EXPECT_EQ(mallinfo2().uordblks, before);
  }
}

/// Buffers of B1 H2 D16 with Nq queries and Nk keys.
Buffers decodeBuffers(int64_t nq, int64_t nk) {
  return Buffers(nq, nk, 16, nq * 1000 + nk);
}

CompileOptions tileProgramThreads(int64_t splitKv, unsigned threads) {
  CompileOptions options;
  options.lowering = CompileOptions::Lowering::TileProgram;
  options.tileQ = 8;
  options.tileKv = 16;
  options.splitKv = splitKv;
  options.threads = threads;
  return options;
}

void expectSameBits(const NDArray &a, const NDArray &b) {
  ASSERT_EQ(a.numElements(), b.numElements());
  for (int64_t i = 0; i < a.numElements(); ++i)
    ASSERT_EQ(a.getDouble(i), b.getDouble(i)) << i;
}

/// The tile program's work items (and split-KV's partials and merge) run on
/// 1, 2 or 5 threads with the same bits: each item is computed the same way
/// wherever it runs. Shape-generic and static kernels; lengths that the
/// tiles do not divide, a single token, and a decode shape (1 query, many
/// keys) where the splits are the only parallelism.
TEST(CompiledFunctionTest, TileProgramThreadCountDoesNotChangeResults) {
  ArgTypes dynamic(3, {DType::F32, {-1, -1, -1, -1}});
  const std::pair<int64_t, int64_t> lengths[] = {{1, 1}, {37, 37}, {100, 100},
                                                 {1, 100}, {5, 77}};
  for (int64_t splitKv : {1, 3}) {
    for (bool shapeGeneric : {true, false}) {
      KernelCache cache;
      for (auto [nq, nk] : lengths) {
        // Static kernels compile per length: fewer of them.
        if (!shapeGeneric && nq == 100)
          continue;
        SCOPED_TRACE(testing::Message()
                     << "split-kv " << splitKv << " generic " << shapeGeneric
                     << " Nq " << nq << " Nk " << nk);
        ArgTypes fixed = {{DType::F32, {1, 2, nq, 16}},
                          {DType::F32, {1, 2, nk, 16}},
                          {DType::F32, {1, 2, nk, 16}}};
        std::vector<NDArray> outs;
        for (unsigned threads : {1u, 2u, 5u}) {
          auto kernel = cache.getOrCompile(
              kCausal, "causal", shapeGeneric ? dynamic : fixed,
              tileProgramThreads(splitKv, threads));
          ASSERT_TRUE(static_cast<bool>(kernel))
              << llvm::toString(kernel.takeError());
          Buffers b = decodeBuffers(nq, nk);
          ASSERT_FALSE(static_cast<bool>(b.run(**kernel)));
          outs.push_back(b.out);
        }
        for (size_t r = 1; r < outs.size(); ++r)
          expectSameBits(outs[0], outs[r]);
      }
    }
  }
}

/// A shape-generic split-KV tile program on `threads` threads and the output
/// of the same program on one thread for (nq, nk).
struct ThreadedTileProgram {
  KernelCache cache;
  std::shared_ptr<const CompiledFunction> kernel;
  Buffers expected;

  ThreadedTileProgram(unsigned threads, int64_t nq, int64_t nk)
      : expected(decodeBuffers(nq, nk)) {
    ArgTypes dynamic(3, {DType::F32, {-1, -1, -1, -1}});
    auto single = cache.getOrCompile(kCausal, "causal", dynamic,
                                     tileProgramThreads(3, 1));
    auto threaded = cache.getOrCompile(kCausal, "causal", dynamic,
                                       tileProgramThreads(3, threads));
    EXPECT_TRUE(single && threaded);
    if (!single || !threaded) {
      llvm::consumeError(single.takeError());
      llvm::consumeError(threaded.takeError());
      return;
    }
    kernel = *threaded;
    EXPECT_FALSE(static_cast<bool>(expected.run(**single)));
  }

  /// Runs on `b`, counting failures (callable from any thread).
  void run(Buffers &b, std::atomic<int> &failures) const {
    if (llvm::Error err = b.run(*kernel)) {
      llvm::consumeError(std::move(err));
      ++failures;
    }
  }
};

/// One tile-program kernel called from several threads at once: each call
/// dispatches its own work items and waits for its own, with the same bits
/// as a call on one thread.
TEST(CompiledFunctionTest, TileProgramConcurrentCallsAgree) {
  ThreadedTileProgram program(2, 45, 90);
  ASSERT_TRUE(program.kernel);
  std::vector<Buffers> buffers(6, decodeBuffers(45, 90));
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (Buffers &b : buffers)
    callers.emplace_back([&] {
      for (int i = 0; i < 3; ++i)
        program.run(b, failures);
    });
  for (std::thread &t : callers)
    t.join();
  EXPECT_EQ(failures, 0);
  for (Buffers &b : buffers)
    expectSameBits(program.expected.out, b.out);
}

/// Kernels called from tasks of the pool that runs their work items: more
/// callers than pool threads, each waiting for its own items. Waiting from a
/// pool thread runs pending tasks instead of blocking, so this returns.
TEST(CompiledFunctionTest, TileProgramCalledFromItsOwnPool) {
  ThreadedTileProgram program(5, 30, 61);
  ASSERT_TRUE(program.kernel);
  unsigned callers = 2 * workerThreadPool().getMaxConcurrency() + 1;
  std::vector<Buffers> buffers(callers, decodeBuffers(30, 61));
  std::atomic<int> failures{0};
  llvm::ThreadPoolTaskGroup group(workerThreadPool());
  for (Buffers &b : buffers)
    group.async([&] { program.run(b, failures); });
  group.wait();
  EXPECT_EQ(failures, 0);
  for (Buffers &b : buffers)
    expectSameBits(program.expected.out, b.out);
}

TEST(KernelCacheTest, ErrorsAreValues) {
  KernelCache cache;
  // Malformed text: the error carries the location.
  auto bad = cache.getOrCompile("func.func @f(", "f", shapes(8));
  ASSERT_FALSE(static_cast<bool>(bad));
  std::string message = llvm::toString(bad.takeError());
  EXPECT_NE(message.find("loc("), std::string::npos) << message;
  // Shapes the verifier rejects (Hq = 3 is not a multiple of Hkv = 2).
  ArgTypes gqa = {{DType::F32, {1, 3, 8, 16}},
                  {DType::F32, {1, 2, 8, 16}},
                  {DType::F32, {1, 2, 8, 16}}};
  auto rejected = cache.getOrCompile(kCausal, "causal", gqa);
  ASSERT_FALSE(static_cast<bool>(rejected));
  message = llvm::toString(rejected.takeError());
  EXPECT_NE(message.find("must be a multiple of key/value heads"),
            std::string::npos)
      << message;
  // Wrong dtype and unknown function.
  ArgTypes half = {{DType::F16, {1, 2, 8, 16}},
                   {DType::F32, {1, 2, 8, 16}},
                   {DType::F32, {1, 2, 8, 16}}};
  auto wrongType = cache.getOrCompile(kCausal, "causal", half);
  ASSERT_FALSE(static_cast<bool>(wrongType));
  EXPECT_NE(llvm::toString(wrongType.takeError()).find("dtype f16"),
            std::string::npos);
  auto missing = cache.getOrCompile(kCausal, "nope", shapes(8));
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("no function named"),
            std::string::npos);
  // Failed compilations are not kept: a retry reports the error again and
  // the cache holds nothing.
  auto again = cache.getOrCompile(kCausal, "causal", gqa);
  ASSERT_FALSE(static_cast<bool>(again));
  EXPECT_NE(llvm::toString(again.takeError()).find("must be a multiple"),
            std::string::npos);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(KernelCacheTest, EvictsLeastRecentlyUsed) {
  KernelCache cache(2);
  auto a = cache.getOrCompile(kCausal, "causal", shapes(8));
  ASSERT_TRUE(static_cast<bool>(a)) << llvm::toString(a.takeError());
  auto b = cache.getOrCompile(kCausal, "causal", shapes(9));
  ASSERT_TRUE(static_cast<bool>(b)) << llvm::toString(b.takeError());
  // Touch a: b becomes the least recently used.
  auto a2 = cache.getOrCompile(kCausal, "causal", shapes(8));
  ASSERT_TRUE(static_cast<bool>(a2));
  EXPECT_EQ(a2->get(), a->get());
  auto c = cache.getOrCompile(kCausal, "causal", shapes(10));
  ASSERT_TRUE(static_cast<bool>(c)) << llvm::toString(c.takeError());
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.evictions(), 1u);
  // a is still cached (a hit), b was evicted (compiled anew) yet the kernel
  // the caller holds stays valid and runs.
  size_t hitsBefore = cache.hits();
  auto a3 = cache.getOrCompile(kCausal, "causal", shapes(8));
  ASSERT_TRUE(static_cast<bool>(a3));
  EXPECT_EQ(cache.hits(), hitsBefore + 1);
  EXPECT_EQ(a3->get(), a->get());
  Buffers buffers(9);
  ASSERT_FALSE(static_cast<bool>(buffers.run(**b)));
  auto b2 = cache.getOrCompile(kCausal, "causal", shapes(9));
  ASSERT_TRUE(static_cast<bool>(b2));
  EXPECT_NE(b2->get(), b->get());
}

TEST(CompiledFunctionTest, RunChecksBuffers) {
  KernelCache cache;
  auto kernel = cache.getOrCompile(kCausal, "causal", shapes(16));
  ASSERT_TRUE(static_cast<bool>(kernel));
  Buffers ok(16), wrongLength(17);
  EXPECT_FALSE(static_cast<bool>(ok.run(**kernel)));
  llvm::Error err = wrongLength.run(**kernel);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(llvm::toString(std::move(err)).find("compiled for 16"),
            std::string::npos);
  // Negative strides are refused, not misread.
  BufferView negative = BufferView::of(ok.q);
  negative.strides[2] = -negative.strides[2];
  err = (*kernel)->run({negative, BufferView::of(ok.k), BufferView::of(ok.v)},
                       {BufferView::of(ok.out)});
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(llvm::toString(std::move(err)).find("negative strides"),
            std::string::npos);
  // Argument count.
  err = (*kernel)->run({BufferView::of(ok.q)}, {BufferView::of(ok.out)});
  ASSERT_TRUE(static_cast<bool>(err));
  llvm::consumeError(std::move(err));
}

/// Kernels write their results in place, so a result buffer whose extents
/// differ from those the arguments give is refused before the kernel runs
/// (it would be written out of bounds): shape-generic kernels (tile
/// program and untiled loops) and a static result extent against a dynamic
/// argument.
TEST(CompiledFunctionTest, ResultExtentsAreCheckedAgainstTheArguments) {
  KernelCache cache;
  ArgTypes dynamic(3, {DType::F32, {-1, -1, -1, -1}});
  CompileOptions tileProgram, untiled;
  tileProgram.lowering = CompileOptions::Lowering::TileProgram;
  untiled.lowering = CompileOptions::Lowering::Untiled;
  for (const CompileOptions &options : {tileProgram, untiled}) {
    SCOPED_TRACE(options.key());
    auto kernel = cache.getOrCompile(kCausal, "causal", dynamic, options);
    ASSERT_TRUE(static_cast<bool>(kernel)) << llvm::toString(kernel.takeError());
    Buffers b(9);
    ASSERT_FALSE(static_cast<bool>(b.run(**kernel)));
    for (auto [dim, extent] : {std::pair<int64_t, int64_t>{2, 8}, {2, 10},
                               {0, 2}, {1, 1}, {3, 15}}) {
      std::vector<int64_t> shape = {1, 2, 9, 16};
      shape[dim] = extent;
      NDArray wrong(DType::F32, shape);
      llvm::Error err = (*kernel)->run(
          {BufferView::of(b.q), BufferView::of(b.k), BufferView::of(b.v)},
          {BufferView::of(wrong)});
      ASSERT_TRUE(static_cast<bool>(err)) << dim << " " << extent;
      std::string text = llvm::toString(std::move(err));
      EXPECT_NE(text.find("result 0 dimension " + std::to_string(dim) +
                          " is " + std::to_string(extent) + " but must be"),
                std::string::npos)
          << text;
    }
  }
  // Output length fixed at 9 by the signature, queries dynamic.
  std::string fixedOut = kCausal;
  size_t arrow = fixedOut.find(") -> ");
  fixedOut.replace(fixedOut.find("?x?x?x?xf32", arrow), 11, "1x2x9x16xf32");
  size_t resultType = fixedOut.rfind("-> tensor<?x?x?x?xf32>");
  fixedOut.replace(resultType, 22, "-> tensor<1x2x9x16xf32>");
  fixedOut.replace(fixedOut.rfind("return %o : tensor<?x?x?x?xf32>"), 31,
                   "return %o : tensor<1x2x9x16xf32>");
  auto kernel = cache.getOrCompile(fixedOut, "causal", dynamic, tileProgram);
  ASSERT_TRUE(static_cast<bool>(kernel)) << llvm::toString(kernel.takeError());
  Buffers nine(9), ten(10);
  ten.out = NDArray(DType::F32, {1, 2, 9, 16});
  EXPECT_FALSE(static_cast<bool>(nine.run(**kernel)));
  llvm::Error err = ten.run(**kernel);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(llvm::toString(std::move(err))
                .find("result 0 dimension 2 is 9 but must be 10 (argument 0 "
                      "dimension 2)"),
            std::string::npos);
}

/// A shape-generic kernel's large per-call buffers (the packed keys, 2 MiB
/// here) come back from the workspace cache on the next call instead of
/// being mapped and faulted in again; the results do not change, and
/// releasing the cache frees its blocks.
TEST(CompiledFunctionTest, TileProgramReusesItsLargeBuffers) {
  if (!workspaceCacheStats().caching)
    GTEST_SKIP() << "the workspace cache is off (AddressSanitizer)";
  KernelCache cache;
  CompileOptions options;
  options.lowering = CompileOptions::Lowering::TileProgram;
  options.vectorWidth = 8;
  options.threads = 1; // the heads' blocks in the same order on every call
  ArgTypes dynamic(3, {DType::F32, {-1, -1, -1, -1}});
  auto kernel = cache.getOrCompile(kCausal, "causal", dynamic, options);
  ASSERT_TRUE(static_cast<bool>(kernel)) << llvm::toString(kernel.takeError());
  releaseWorkspaceCache();
  EXPECT_EQ(workspaceCacheStats().blocks, 0u);
  Buffers first(2048, 2048, 128, 7);
  ASSERT_FALSE(static_cast<bool>(first.run(**kernel)));
  WorkspaceCacheStats afterFirst = workspaceCacheStats();
  EXPECT_GE(afterFirst.blocks, 1u);
  EXPECT_GE(afterFirst.bytes, size_t(2) << 20);
  NDArray firstOut = first.out;
  ASSERT_FALSE(static_cast<bool>(first.run(**kernel)));
  WorkspaceCacheStats afterSecond = workspaceCacheStats();
  EXPECT_GT(afterSecond.reuses, afterFirst.reuses);
  EXPECT_EQ(afterSecond.blocks, afterFirst.blocks);
  expectSameBits(first.out, firstOut);
  // A shorter call fits the cached blocks; a much shorter one does not take
  // a block more than twice its size.
  Buffers shorter(1500, 1500, 128, 8);
  ASSERT_FALSE(static_cast<bool>(shorter.run(**kernel)));
  EXPECT_GT(workspaceCacheStats().reuses, afterSecond.reuses);
  releaseWorkspaceCache();
  EXPECT_EQ(workspaceCacheStats().blocks, 0u);
  EXPECT_EQ(workspaceCacheStats().bytes, 0u);
}

TEST(CompiledFunctionTest, ThreadCountDoesNotChangeResults) {
  std::vector<NDArray> outs;
  for (unsigned threads : {1u, 2u, 5u}) {
    KernelCache cache;
    CompileOptions o;
    o.threads = threads;
    auto kernel = cache.getOrCompile(kCausal, "causal", shapes(150), o);
    ASSERT_TRUE(static_cast<bool>(kernel));
    Buffers b(150);
    ASSERT_FALSE(static_cast<bool>(b.run(**kernel)));
    outs.push_back(b.out);
  }
  for (size_t r = 1; r < outs.size(); ++r)
    for (int64_t i = 0; i < outs[0].numElements(); ++i)
      ASSERT_EQ(outs[0].getDouble(i), outs[r].getDouble(i)) << i;
}

/// [B, N, H, D] buffers (the layout of most frameworks) passed as strided
/// [B, H, N, D] views give the same result as packed copies.
TEST(CompiledFunctionTest, StridedViews) {
  KernelCache cache;
  auto kernel = cache.getOrCompile(kCausal, "causal", shapes(23));
  ASSERT_TRUE(static_cast<bool>(kernel));
  Buffers packed(23);
  ASSERT_FALSE(static_cast<bool>(packed.run(**kernel)));
  // Transposed storage [1, 23, 2, 16] for q, k, v and the output.
  auto transposed = [](const NDArray &a) {
    NDArray t(DType::F32, {1, 23, 2, 16});
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t n = 0; n < 23; ++n)
        for (int64_t d = 0; d < 16; ++d)
          t.setDouble((n * 2 + h) * 16 + d, a.getDouble((h * 23 + n) * 16 + d));
    return t;
  };
  NDArray q = transposed(packed.q), k = transposed(packed.k),
          v = transposed(packed.v), out(DType::F32, {1, 23, 2, 16});
  auto view = [](NDArray &t) {
    BufferView b;
    b.data = t.data();
    b.dtype = DType::F32;
    b.shape = {1, 2, 23, 16};
    b.strides = {23 * 2 * 16, 16, 2 * 16, 1};
    return b;
  };
  llvm::Error err = (*kernel)->run({view(q), view(k), view(v)}, {view(out)});
  ASSERT_FALSE(static_cast<bool>(err)) << llvm::toString(std::move(err));
  NDArray back = transposed(packed.out);
  for (int64_t i = 0; i < out.numElements(); ++i)
    ASSERT_EQ(out.getDouble(i), back.getDouble(i)) << i;
}

/// The AVX-512 configuration (16 lanes, 64-query tiles) is legal on any
/// x86 host (LLVM splits the vectors) and must agree with 8 lanes.
TEST(CompiledFunctionTest, VectorWidthsAgree) {
  std::vector<NDArray> outs;
  for (int64_t width : {8, 16}) {
    KernelCache cache;
    CompileOptions o;
    o.vectorWidth = width;
    auto kernel = cache.getOrCompile(kCausal, "causal", shapes(99, 24), o);
    ASSERT_TRUE(static_cast<bool>(kernel))
        << llvm::toString(kernel.takeError());
    Buffers b(99, 24);
    ASSERT_FALSE(static_cast<bool>(b.run(**kernel)));
    outs.push_back(b.out);
  }
  for (int64_t i = 0; i < outs[0].numElements(); ++i)
    ASSERT_NEAR(outs[0].getDouble(i), outs[1].getDouble(i), 1e-5) << i;
}

/// A query tile is never an error for a valid positive size: the tile
/// program keeps an explicit width and query tile (the automatic width is
/// the host's, the automatic tile four vectors); the kernel reports what it
/// runs. Invalid widths and tiles are refused with a message.
TEST(CompiledFunctionTest, QueryTilesAtEveryWidth) {
  struct Case {
    int64_t tileQ, width, lanes, tile;
  } cases[] = {{24, 8, 8, 24},   {40, 8, 8, 40},   {12, 8, 8, 12},
               {24, 16, 16, 24}, {16, 16, 16, 16}, {0, 8, 8, 32},
               {0, 16, 16, 64},  {5, 4, 4, 5}};
  for (const Case &c : cases) {
    SCOPED_TRACE(testing::Message() << "tile-q " << c.tileQ << " width "
                                    << c.width);
    KernelCache cache;
    CompileOptions o;
    o.tileQ = c.tileQ;
    o.vectorWidth = c.width;
    o.tileKv = 16;
    auto kernel = cache.getOrCompile(kCausal, "causal", shapes(45), o);
    ASSERT_TRUE(static_cast<bool>(kernel))
        << llvm::toString(kernel.takeError());
    EXPECT_EQ((*kernel)->vectorWidth(), c.lanes);
    EXPECT_EQ((*kernel)->queryTile(), c.tile);
    EXPECT_EQ((*kernel)->keyTile(), 16);
    EXPECT_EQ((*kernel)->bf16DotKind(), "off");
    Buffers b(45);
    ASSERT_FALSE(static_cast<bool>(b.run(**kernel)));
  }
  // The automatic width is the host's, the automatic tile four vectors.
  KernelCache cache;
  auto host = cache.getOrCompile(kCausal, "causal", shapes(45), {});
  ASSERT_TRUE(static_cast<bool>(host)) << llvm::toString(host.takeError());
  EXPECT_EQ((*host)->vectorWidth(), hostVectorWidth());
  EXPECT_EQ((*host)->queryTile(), 4 * hostVectorWidth());

  struct Refused {
    int64_t tileQ, tileKv, width;
    const char *message;
  } refused[] = {
      {0, 64, 12, "vector width must be 0 (automatic), 4, 8 or 16 f32 lanes, "
                  "got 12"},
      {-8, 64, 0, "tile-program tiles must be in [1, 4096], got tile-q -8, "
                  "tile-kv 64"},
      {0, 0, 8, "got tile-q 32, tile-kv 0"},
      {0, 32768, 8, "got tile-q 32, tile-kv 32768"},
      {int64_t(1) << 62, 64, 0, "got tile-q 4611686018427387904, tile-kv 64"},
      {0, std::numeric_limits<int64_t>::max() - 1, 0,
       "tile-kv 9223372036854775806"}};
  for (auto [tileQ, tileKv, width, message] : refused) {
    CompileOptions o;
    o.tileQ = tileQ;
    o.tileKv = tileKv;
    o.vectorWidth = width;
    auto kernel = cache.getOrCompile(kCausal, "causal", shapes(45), o);
    ASSERT_FALSE(static_cast<bool>(kernel));
    std::string err = llvm::toString(kernel.takeError());
    EXPECT_NE(err.find(message), std::string::npos) << err;
  }
}

/// An option of one lowering path set for the other is refused by name: it
/// would be ignored and the kernel would not be the one asked for.
TEST(CompiledFunctionTest, OptionsOfTheOtherPathAreRefused) {
  KernelCache cache;
  struct Refused {
    std::function<void(CompileOptions &)> set;
    const char *message;
  } refused[] = {
      {[](CompileOptions &o) { o.portableTiles = true; },
       "portable tiles apply to the tile program only"},
      {[](CompileOptions &o) { o.splitKv = 3; },
       "split-kv applies to the tile program only"},
      {[](CompileOptions &o) { o.linearChunk = 16; },
       "linear-chunk applies to the tile program only"},
      {[](CompileOptions &o) { o.int8Dot = CompileOptions::Int8Dot::Emulated; },
       "int8-dot applies to the tile program only"},
      {[](CompileOptions &o) {
         o.lowering = CompileOptions::Lowering::Untiled;
         o.bf16Dot = CompileOptions::BF16Dot::Emulate;
       },
       "bf16-dot=on and bf16-dot=emulate apply to the tiled lowerings only"},
      {[](CompileOptions &o) {
         o.lowering = CompileOptions::Lowering::TileProgram;
         o.portableTiles = true;
         o.bf16Dot = CompileOptions::BF16Dot::On;
       },
       "bf16-dot=on and bf16-dot=emulate need the vector kernels"},
  };
  for (const Refused &r : refused) {
    CompileOptions o;
    o.lowering = CompileOptions::Lowering::Untiled;
    r.set(o);
    auto kernel = cache.getOrCompile(kCausal, "causal", shapes(20), o);
    ASSERT_FALSE(static_cast<bool>(kernel)) << r.message;
    std::string err = llvm::toString(kernel.takeError());
    EXPECT_NE(err.find(r.message), std::string::npos) << err;
  }
  // The same options where they apply compile.
  CompileOptions tileProgram;
  tileProgram.lowering = CompileOptions::Lowering::TileProgram;
  tileProgram.splitKv = 3;
  tileProgram.int8Dot = CompileOptions::Int8Dot::Emulated;
  auto kernel = cache.getOrCompile(kCausal, "causal", shapes(20), tileProgram);
  EXPECT_TRUE(static_cast<bool>(kernel)) << llvm::toString(kernel.takeError());
}

/// ATTN_HOST_CPU=haswell (the host-avx2/ tests) simulates an AVX2-only host:
/// the automatic width is 8 and there is no vdpbf16ps, whatever the machine.
TEST(CompiledFunctionTest, SimulatedAVX2Host) {
  const char *cpu = std::getenv("ATTN_HOST_CPU");
  if (!cpu || std::string(cpu) != "haswell")
    GTEST_SKIP() << "runs under ATTN_HOST_CPU=haswell (host-avx2/JITTest)";
  EXPECT_EQ(hostVectorWidth(), 8);
  EXPECT_FALSE(hostHasBF16Dot(8));
  EXPECT_FALSE(hostHasBF16Dot(16));
  KernelCache cache;
  auto kernel = cache.getOrCompile(kCausal, "causal", shapes(45), {});
  ASSERT_TRUE(static_cast<bool>(kernel)) << llvm::toString(kernel.takeError());
  EXPECT_EQ((*kernel)->vectorWidth(), 8);
  EXPECT_EQ((*kernel)->queryTile(), 32);
}

/// An explicit target (CPU name and features) compiles and runs. Without a
/// vector width the target decides it, not the host the JIT runs on (the
/// AVX-512 kernel is only compiled: this host may not run it).
TEST(CompiledFunctionTest, ExplicitTarget) {
  KernelCache cache;
  CompileOptions avx2;
  avx2.cpu = "x86-64";
  avx2.features = "+avx2,+fma";
  auto narrow = cache.getOrCompile(kCausal, "causal", shapes(20), avx2);
  ASSERT_TRUE(static_cast<bool>(narrow)) << llvm::toString(narrow.takeError());
  EXPECT_EQ((*narrow)->vectorWidth(), 8);
  Buffers b(20);
  EXPECT_FALSE(static_cast<bool>(b.run(**narrow)));
  CompileOptions avx512 = avx2;
  avx512.features = "+avx2,+fma,+avx512f";
  auto wide = cache.getOrCompile(kCausal, "causal", shapes(20), avx512);
  ASSERT_TRUE(static_cast<bool>(wide)) << llvm::toString(wide.takeError());
  EXPECT_EQ((*wide)->vectorWidth(), 16);
  auto host = cache.getOrCompile(kCausal, "causal", shapes(20), {});
  ASSERT_TRUE(static_cast<bool>(host)) << llvm::toString(host.takeError());
  EXPECT_EQ((*host)->vectorWidth(), hostVectorWidth());
}

/// Runs the bf16 causal kernel compiled with `options` on fixed inputs.
llvm::Expected<NDArray> runBF16(const CompileOptions &options,
                                int64_t n = 37) {
  CompileOptions o = options;
  KernelCache cache;
  auto kernel = cache.getOrCompile(causalSpec("bf16"), "causal",
                                   shapes(n, 16, DType::BF16), o);
  if (!kernel)
    return kernel.takeError();
  std::mt19937_64 rng(5);
  NDArray q(DType::BF16, {1, 2, n, 16}), k(DType::BF16, {1, 2, n, 16}),
      v(DType::BF16, {1, 2, n, 16}), out(DType::BF16, {1, 2, n, 16});
  q.fillNormal(rng);
  k.fillNormal(rng);
  v.fillNormal(rng);
  if (llvm::Error err =
          (*kernel)->run({BufferView::of(q), BufferView::of(k),
                          BufferView::of(v)},
                         {BufferView::of(out)}))
    return std::move(err);
  return out;
}

std::string errorText(llvm::Expected<NDArray> r) {
  if (r)
    return "";
  return llvm::toString(r.takeError());
}

/// bf16-dot=on for a target without avx512bf16 is an error at compile time,
/// never an illegal instruction at run time.
TEST(BF16DotTest, OnRefusedForTargetWithoutAVX512BF16) {
  CompileOptions o;
  o.cpu = "x86-64";
  o.features = "+avx2,+fma";
  o.vectorWidth = 8;
  o.bf16Dot = CompileOptions::BF16Dot::On;
  std::string err = errorText(runBF16(o));
  EXPECT_NE(err.find("bf16-dot=on: the target (cpu 'x86-64'"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("lacks +avx512bf16,+avx512vl"), std::string::npos) << err;
  // 16 lanes need avx512f rather than avx512vl.
  o.vectorWidth = 16;
  err = errorText(runBF16(o));
  EXPECT_NE(err.find("lacks +avx512bf16,+avx512f"), std::string::npos) << err;
}

/// A target with avx512bf16 is still refused when this host lacks it: the
/// JIT runs the kernel in this process.
TEST(BF16DotTest, OnNeedsTheHostToo) {
  CompileOptions o;
  o.cpu = "x86-64";
  o.features = "+avx2,+fma,+avx512f,+avx512bw,+avx512vl,+avx512bf16";
  o.vectorWidth = 16;
  o.bf16Dot = CompileOptions::BF16Dot::On;
  auto result = runBF16(o);
  if (hostHasBF16Dot(16)) {
    EXPECT_TRUE(static_cast<bool>(result))
        << llvm::toString(result.takeError());
    return;
  }
  std::string err = errorText(std::move(result));
  EXPECT_NE(err.find("bf16-dot=on: this host"), std::string::npos) << err;
}

/// The host as target: `on` works exactly where the host has the
/// instructions.
TEST(BF16DotTest, OnForTheHost) {
  for (int64_t width : {8, 16}) {
    CompileOptions o;
    o.vectorWidth = width;
    o.bf16Dot = CompileOptions::BF16Dot::On;
    auto result = runBF16(o);
    EXPECT_EQ(static_cast<bool>(result), hostHasBF16Dot(width)) << width;
    if (!result)
      llvm::consumeError(result.takeError());
  }
}

/// The kernel says which bf16 kernels it runs: off widens, auto is native
/// where the host has vdpbf16ps and widens elsewhere, emulate emulates, on
/// is native (where the host has it).
TEST(BF16DotTest, KernelReportsItsBF16Kernels) {
  using Mode = CompileOptions::BF16Dot;
  for (int64_t width : {8, 16})
    for (Mode mode : {Mode::Auto, Mode::Off, Mode::Emulate}) {
      KernelCache cache;
      CompileOptions o;
      o.vectorWidth = width;
      o.bf16Dot = mode;
      auto kernel = cache.getOrCompile(causalSpec("bf16"), "causal",
                                       shapes(37, 16, DType::BF16), o);
      ASSERT_TRUE(static_cast<bool>(kernel))
          << llvm::toString(kernel.takeError());
      // Auto: the native kernels where this host has them at full rate.
      llvm::StringRef expected =
          mode == Mode::Emulate ? "emulated"
          : mode == Mode::Auto && hostPrefersBF16Dot(width) ? "native"
                                                             : "off";
      EXPECT_EQ((*kernel)->bf16DotKind(), expected)
          << "width " << width << " mode " << static_cast<int>(mode);
    }
  // on: the native instruction, where the host has it.
  for (int64_t width : {8, 16}) {
    if (!hostHasBF16Dot(width))
      continue;
    KernelCache cache;
    CompileOptions o;
    o.vectorWidth = width;
    o.bf16Dot = Mode::On;
    auto kernel = cache.getOrCompile(causalSpec("bf16"), "causal",
                                     shapes(37, 16, DType::BF16), o);
    ASSERT_TRUE(static_cast<bool>(kernel))
        << llvm::toString(kernel.takeError());
    EXPECT_EQ((*kernel)->bf16DotKind(), "native") << "width " << width;
  }
  // f32 ops never use them.
  KernelCache cache;
  CompileOptions o;
  o.bf16Dot = Mode::Emulate;
  auto f32 = cache.getOrCompile(kCausal, "causal", shapes(20), o);
  ASSERT_TRUE(static_cast<bool>(f32)) << llvm::toString(f32.takeError());
  EXPECT_EQ((*f32)->bf16DotKind(), "off");
}

TEST(BF16DotTest, OnNeedsEightOrSixteenLanes) {
  CompileOptions o;
  o.vectorWidth = 4;
  o.bf16Dot = CompileOptions::BF16Dot::On;
  std::string err = errorText(runBF16(o));
  EXPECT_NE(err.find("needs 8 or 16 f32 lanes"), std::string::npos) << err;
  // The pass itself refuses too (emulation skips the target checks).
  o.bf16Dot = CompileOptions::BF16Dot::Emulate;
  err = errorText(runBF16(o));
  EXPECT_NE(err.find("bf16-dot needs vector-width 8 or 16 (vdpbf16ps), got 4"),
            std::string::npos)
      << err;
}

/// Auto never fails: it is the widening path bit for bit on a host without
/// vdpbf16ps, and the native kernels, which compute what the emulation does
/// (bit for bit: products exact in f32), where the host has it. Emulate
/// runs anywhere and rounds P to bf16, so it differs from the widening path
/// a little.
TEST(BF16DotTest, AutoAndEmulate) {
  CompileOptions off, autoMode, emulate;
  off.bf16Dot = CompileOptions::BF16Dot::Off;
  emulate.bf16Dot = CompileOptions::BF16Dot::Emulate;
  auto a = runBF16(off), b = runBF16(autoMode), c = runBF16(emulate);
  ASSERT_TRUE(static_cast<bool>(a)) << llvm::toString(a.takeError());
  ASSERT_TRUE(static_cast<bool>(b)) << llvm::toString(b.takeError());
  ASSERT_TRUE(static_cast<bool>(c)) << llvm::toString(c.takeError());
  const NDArray &autoTwin = hostPrefersBF16Dot(hostVectorWidth()) ? *c : *a;
  double maxDiff = 0;
  for (int64_t i = 0; i < a->numElements(); ++i) {
    ASSERT_EQ(autoTwin.getDouble(i), b->getDouble(i)) << i;
    maxDiff = std::max(maxDiff, std::abs(a->getDouble(i) - c->getDouble(i)));
  }
  EXPECT_GT(maxDiff, 0.0) << "emulate should round P to bf16";
  EXPECT_LT(maxDiff, 0.05);
  // The mode is part of the cache key.
  EXPECT_NE(off.key(), emulate.key());
}

} // namespace
