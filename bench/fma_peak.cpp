//===- fma_peak.cpp - measured f32 FMA peak of the host -------------------===//
//
// The denominator of "% of FMA peak" in docs/performance.md: independent
// chains of f32 fused multiply-adds, enough of them (12, each FMA has a
// latency of 4-5 cycles and the core issues up to two per cycle) that the
// FMA pipes, not the dependency chains, are the limit: 256-bit
// (vfmadd231ps ymm, fma_peak/f32/avx2) and, where the host has AVX-512F,
// 512-bit (zmm, fma_peak/f32/avx512: the peak of the 16-lane kernels), and
// where it has AVX512-BF16 the bf16 dot product vdpbf16ps zmm
// (fma_peak/bf16dot/avx512: 32 bf16 products per instruction). Run
// single-threaded and with one thread per hardware thread; the `flops`
// counter (FLOP/s) counts 2 FLOPs per multiply-add.
//
// The host's AVX-512 and bf16 dot-product support is reported in the context
// (printed at the top of the output, stored in the JSON): without
// avx512_bf16 (vdpbf16ps) or AMX there is no bf16 arithmetic, so bf16
// attention can only convert to f32 and run f32 FMAs.
//
//===----------------------------------------------------------------------===//

#include <benchmark/benchmark.h>

#include <immintrin.h>

#include <cstdint>
#include <thread>

namespace {

constexpr int kChains = 12;       // independent accumulators
constexpr int64_t kInner = 1024;  // FMAs per chain per call

__attribute__((target("avx2,fma"), noinline)) float fmaChains(float seed) {
  // acc = acc * m + c converges to c / (1 - m) = 1: no overflow, no
  // denormals, and the compiler cannot fold or reassociate FMAs without
  // fast-math.
  const __m256 m = _mm256_set1_ps(0.999f);
  const __m256 c = _mm256_set1_ps(0.001f);
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm256_set1_ps(seed + 0.01f * i);
  for (int64_t n = 0; n < kInner; ++n) {
#pragma clang loop unroll(full)
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm256_fmadd_ps(acc[i], m, c);
  }
  __m256 sum = acc[0];
  for (int i = 1; i < kChains; ++i)
    sum = _mm256_add_ps(sum, acc[i]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  float total = 0;
  for (float x : lanes)
    total += x;
  return total;
}

__attribute__((target("avx512f"), noinline)) float fmaChains512(float seed) {
  const __m512 m = _mm512_set1_ps(0.999f);
  const __m512 c = _mm512_set1_ps(0.001f);
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm512_set1_ps(seed + 0.01f * i);
  for (int64_t n = 0; n < kInner; ++n) {
#pragma clang loop unroll(full)
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm512_fmadd_ps(acc[i], m, c);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < kChains; ++i)
    sum = _mm512_add_ps(sum, acc[i]);
  return _mm512_reduce_add_ps(sum);
}

/// acc += a.b over bf16 pairs: 0.5 * 0.001 twice per lane keeps the sums
/// small and finite.
__attribute__((target("avx512f,avx512bf16"), noinline)) float
bf16DotChains(float seed) {
  const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f),
                                         _mm512_set1_ps(0.5f));
  const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.001f),
                                         _mm512_set1_ps(0.001f));
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm512_set1_ps(seed + 0.01f * i);
  for (int64_t n = 0; n < kInner; ++n) {
#pragma clang loop unroll(full)
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < kChains; ++i)
    sum = _mm512_add_ps(sum, acc[i]);
  return _mm512_reduce_add_ps(sum);
}

/// Runs `chains` (kChains x kInner instructions of `flopsPerInstruction`)
/// while the state says so.
template <float (*chains)(float)>
void runChains(benchmark::State &state, double flopsPerInstruction) {
  float seed = 1.0f + 0.001f * state.thread_index();
  for (auto _ : state) {
    // The call is pure: make its argument opaque so it is not hoisted.
    benchmark::DoNotOptimize(seed);
    float r = chains(seed);
    benchmark::DoNotOptimize(r);
  }
  // This thread's FLOPs; Google Benchmark sums counters over threads and
  // divides rates by the wall time (UseRealTime). (kIsIterationInvariantRate
  // would multiply by the iterations of all threads: the 2-thread figure was
  // counted twice.)
  state.counters["flops"] = benchmark::Counter(
      flopsPerInstruction * kChains * kInner * state.iterations(),
      benchmark::Counter::kIsRate);
}

void BM_FmaPeakF32(benchmark::State &state) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    state.SkipWithError("the host has no AVX2+FMA");
    return;
  }
  runChains<fmaChains>(state, 2.0 * 8);
}

void BM_FmaPeakF32x16(benchmark::State &state) {
  runChains<fmaChains512>(state, 2.0 * 16);
}

void BM_BF16DotPeak(benchmark::State &state) {
  runChains<bf16DotChains>(state, 2.0 * 32);
}

unsigned hardwareThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}

void registerBenchmarks() {
  auto add = [](const char *name, void (*fn)(benchmark::State &)) {
    auto *b = benchmark::RegisterBenchmark(name, fn);
    b->UseRealTime()->Threads(1);
    if (hardwareThreads() > 1)
      b->Threads(static_cast<int>(hardwareThreads()));
  };
  add("fma_peak/f32/avx2", BM_FmaPeakF32);
  if (__builtin_cpu_supports("avx512f"))
    add("fma_peak/f32/avx512", BM_FmaPeakF32x16);
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16"))
    add("fma_peak/bf16dot/avx512", BM_BF16DotPeak);
}

const char *yesNo(bool b) { return b ? "yes" : "no"; }

} // namespace

int main(int argc, char **argv) {
  __builtin_cpu_init();
  benchmark::AddCustomContext("avx2_fma", yesNo(__builtin_cpu_supports("avx2") &&
                                                __builtin_cpu_supports("fma")));
  benchmark::AddCustomContext("avx512f", yesNo(__builtin_cpu_supports("avx512f")));
  benchmark::AddCustomContext("avx512_bf16",
                              yesNo(__builtin_cpu_supports("avx512bf16")));
  benchmark::AddCustomContext(
      "bf16_note", __builtin_cpu_supports("avx512bf16")
                       ? "bf16 dot products (vdpbf16ps) available"
                       : "no avx512_bf16: bf16 dot products are unavailable, "
                         "bf16 runs as f32 FMAs after conversion");
  benchmark::AddCustomContext("hardware_threads",
                              std::to_string(hardwareThreads()));
  registerBenchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
