// A complete program using the C++ JIT API: compile a spec (Gemma 2's local
// attention with a small window) for given shapes, run it on caller-owned
// buffers, and check one output row against a direct computation.
//
// Built and run by ctest (test docs/jit_example).

#include "attn/JIT.h"

#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <vector>

static const char *kSpec = R"mlir(
func.func @local(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
         mask(#attn.and<[#attn.causal, #attn.window<left = 15, right = 0>]>)
         score_mods([#attn.softcap<50.0>])
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
)mlir";

int main() {
  const int64_t B = 1, Hq = 4, Hkv = 2, N = 100, D = 32;
  attn::NDArray q(attn::DType::F32, {B, Hq, N, D}), k(attn::DType::F32, {B, Hkv, N, D}),
      v(attn::DType::F32, {B, Hkv, N, D}), out(attn::DType::F32, {B, Hq, N, D});
  std::mt19937_64 rng(42);
  q.fillNormal(rng);
  k.fillNormal(rng);
  v.fillNormal(rng);

  attn::KernelCache cache;
  attn::CompileOptions options; // tiled, host vector width, all threads
  auto kernel = cache.getOrCompile(
      kSpec, "local",
      {{attn::DType::F32, {B, Hq, N, D}},
       {attn::DType::F32, {B, Hkv, N, D}},
       {attn::DType::F32, {B, Hkv, N, D}}},
      options);
  if (!kernel) {
    llvm::errs() << "compile error: " << llvm::toString(kernel.takeError()) << "\n";
    return 1;
  }
  if (llvm::Error err = (*kernel)->run(
          {attn::BufferView::of(q), attn::BufferView::of(k), attn::BufferView::of(v)},
          {attn::BufferView::of(out)})) {
    llvm::errs() << "run error: " << llvm::toString(std::move(err)) << "\n";
    return 1;
  }

  // Row (h = 3, i = 57) by hand: keys 42..57, kv head 3 / 2 = 1.
  const int64_t h = 3, i = 57, hk = h / (Hq / Hkv);
  // Element [0, hh, t, d] of a [1, H, N, D] array.
  auto at = [&](const attn::NDArray &a, int64_t hh, int64_t t, int64_t d) {
    return a.getDouble((hh * N + t) * D + d);
  };
  std::vector<double> s;
  double m = -INFINITY;
  for (int64_t j = i - 15; j <= i; ++j) {
    double dot = 0;
    for (int64_t d = 0; d < D; ++d)
      dot += at(q, h, i, d) * at(k, hk, j, d);
    double score = 50.0 * std::tanh(dot / std::sqrt(double(D)) / 50.0);
    s.push_back(score);
    m = std::max(m, score);
  }
  double maxErr = 0;
  for (int64_t d = 0; d < D; ++d) {
    double num = 0, den = 0;
    for (int64_t j = i - 15, t = 0; j <= i; ++j, ++t) {
      double p = std::exp(s[t] - m);
      num += p * at(v, hk, j, d);
      den += p;
    }
    maxErr = std::max(maxErr, std::abs(num / den - at(out, h, i, d)));
  }
  // A second request with the same key is a cache hit.
  auto again = cache.getOrCompile(kSpec, "local",
                                  {{attn::DType::F32, {B, Hq, N, D}},
                                   {attn::DType::F32, {B, Hkv, N, D}},
                                   {attn::DType::F32, {B, Hkv, N, D}}},
                                  options);
  llvm::outs() << "max error of row (h=3, i=57): " << maxErr
               << "; cache entries " << cache.size() << ", hits " << cache.hits()
               << "\n";
  return (maxErr < 1e-5 && again && cache.hits() == 1) ? 0 : 1;
}
