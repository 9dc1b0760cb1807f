//===- JITTest.cpp - the C++ JIT API: cache, errors as values, threads ----===//

#include "attn/JIT.h"

#include <gtest/gtest.h>

#include <thread>

using namespace attn;

namespace {

const char *kCausal = R"mlir(
func.func @causal(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                  %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
)mlir";

using ArgTypes = std::vector<std::pair<DType, llvm::SmallVector<int64_t, 4>>>;

ArgTypes shapes(int64_t n, int64_t d = 16) {
  return {{DType::F32, {1, 2, n, d}}, {DType::F32, {1, 2, n, d}},
          {DType::F32, {1, 2, n, d}}};
}

struct Buffers {
  NDArray q, k, v, out;
  explicit Buffers(int64_t n, int64_t d = 16)
      : q(DType::F32, {1, 2, n, d}), k(DType::F32, {1, 2, n, d}),
        v(DType::F32, {1, 2, n, d}), out(DType::F32, {1, 2, n, d}) {
    std::mt19937_64 rng(n);
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
  untiled.tiled = false;
  auto a = cache.getOrCompile(kCausal, "causal", shapes(40));
  auto b = cache.getOrCompile(kCausal, "causal", shapes(41));
  auto c = cache.getOrCompile(kCausal, "causal", shapes(40), untiled);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_GT((*a)->numWorkItems(), 0);
  EXPECT_EQ((*c)->numWorkItems(), 0);
  // Tiled and untiled agree.
  Buffers x(40), y(40);
  y.q = x.q;
  y.k = x.k;
  y.v = x.v;
  ASSERT_FALSE(static_cast<bool>(x.run(**a)));
  ASSERT_FALSE(static_cast<bool>(y.run(**c)));
  for (int64_t i = 0; i < x.out.numElements(); ++i)
    ASSERT_NEAR(x.out.getDouble(i), y.out.getDouble(i), 1e-5) << i;
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

/// An explicit target (CPU name and features) compiles and runs.
TEST(CompiledFunctionTest, ExplicitTarget) {
  KernelCache cache;
  CompileOptions generic;
  generic.cpu = "x86-64";
  generic.features = "+avx2,+fma";
  auto kernel = cache.getOrCompile(kCausal, "causal", shapes(20), generic);
  ASSERT_TRUE(static_cast<bool>(kernel)) << llvm::toString(kernel.takeError());
  Buffers b(20);
  EXPECT_FALSE(static_cast<bool>(b.run(**kernel)));
}

} // namespace
