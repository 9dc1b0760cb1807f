//===- ReferenceExtensionsTest.cpp - reference semantics of the wave-1 ops -===//
//
// Closed-form checks of the float64 reference for the operand kinds and
// regions added for the zoo's first wave: k_head_map / v_head_map,
// sink_logits, output_gate, weight_mod, and the GNA stride of
// #attn.neighborhood; and of linear attention's decay, affine
// normalizations (subtractive, mala) and row epilogue (rms_norm, element-wise
// gates). Each expectation is computed here by hand.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/Reference/Reference.h"
#include "attn/Runner/SpecSource.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
using namespace attn;
using namespace attn::reference;

namespace {

const double kInf = std::numeric_limits<double>::infinity();

struct Spec {
  std::unique_ptr<MLIRContext> ctx;
  OwningOpRef<ModuleOp> module;
  AttentionOp op;
  std::string diagnostics;
};

std::unique_ptr<Spec> parse(const std::string &src) {
  auto spec = std::make_unique<Spec>();
  spec->ctx = std::make_unique<MLIRContext>();
  loadSpecDialects(*spec->ctx);
  ScopedDiagnosticHandler handler(spec->ctx.get(), [&](Diagnostic &d) {
    spec->diagnostics += d.str() + "\n";
    return success();
  });
  spec->module =
      parseSourceString<ModuleOp>(src, ParserConfig(spec->ctx.get()));
  if (spec->module)
    spec->module->walk([&](AttentionOp a) { spec->op = a; });
  return spec;
}

NDArray randn(std::vector<int64_t> shape, uint64_t seed) {
  NDArray a(DType::F64, std::move(shape));
  std::mt19937_64 rng(seed);
  a.fillNormal(rng);
  return a;
}

NDArray ints(std::vector<int64_t> shape, std::vector<int64_t> values) {
  NDArray a(DType::I64, std::move(shape));
  for (size_t k = 0; k < values.size(); ++k)
    a.setDouble(k, static_cast<double>(values[k]));
  return a;
}

NDArray floats(std::vector<int64_t> shape, std::vector<double> values) {
  NDArray a(DType::F64, std::move(shape));
  for (size_t k = 0; k < values.size(); ++k)
    a.setDouble(k, values[k]);
  return a;
}

double at4(const NDArray &a, int64_t b, int64_t h, int64_t i, int64_t d) {
  auto s = a.shape();
  return a.getDouble(((b * s[1] + h) * s[2] + i) * s[3] + d);
}

Inputs qkv(NDArray q, NDArray k, NDArray v) {
  Inputs in;
  in.query = std::move(q);
  in.key = std::move(k);
  in.value = std::move(v);
  return in;
}

/// Plain softmax attention of query head h (batch b, row i) over key head hk
/// and value head hv, optional causal mask, by hand.
std::vector<double> plainRow(const Inputs &in, int64_t b, int64_t h,
                             int64_t i, int64_t hk, int64_t hv, bool causal,
                             double sink = -kInf, double *lse = nullptr) {
  auto qs = in.query.shape(), ks = in.key.shape(), vs = in.value.shape();
  int64_t D = qs[3], Nk = ks[2], Nq = qs[2], Dv = vs[3];
  std::vector<double> s(Nk);
  double m = sink;
  for (int64_t j = 0; j < Nk; ++j) {
    double dot = 0;
    for (int64_t d = 0; d < D; ++d)
      dot += at4(in.query, b, h, i, d) * at4(in.key, b, hk, j, d);
    s[j] = dot / std::sqrt(double(D));
    if (!(causal && j > i + Nk - Nq))
      m = std::max(m, s[j]);
  }
  double sum = sink == -kInf ? 0.0 : std::exp(sink - m);
  std::vector<double> w(Nk, 0.0);
  for (int64_t j = 0; j < Nk; ++j)
    if (!(causal && j > i + Nk - Nq))
      sum += w[j] = std::exp(s[j] - m);
  std::vector<double> o(Dv, 0.0);
  for (int64_t j = 0; j < Nk; ++j)
    for (int64_t d = 0; d < Dv; ++d)
      o[d] += w[j] / sum * at4(in.value, b, hv, j, d);
  if (lse)
    *lse = m + std::log(sum);
  return o;
}

#define PARSE(spec, text)                                                      \
  std::unique_ptr<Spec> spec = parse(text);                                    \
  ASSERT_TRUE(spec->op) << spec->diagnostics

#define EVAL(out, spec, inputs)                                                \
  llvm::Expected<Outputs> out##OrErr = evaluate((spec)->op, inputs);           \
  ASSERT_TRUE(static_cast<bool>(out##OrErr))                                   \
      << llvm::toString(out##OrErr.takeError());                               \
  Outputs &out = *out##OrErr

const char *const kT = "tensor<?x?x?x?xf32>";

TEST(ReferenceExtensions, HeadMapsSelectKeyAndValueHeads) {
  std::string t = kT;
  PARSE(spec, "func.func @f(%q: " + t + ", %k: " + t + ", %v: " + t +
                  ", %km: tensor<2x3xi64>, %vm: tensor<3xi64>) {\n"
                  "  %o = attn.attention %q, %k, %v k_head_map(%km : "
                  "tensor<2x3xi64>) v_head_map(%vm : tensor<3xi64>) "
                  "mask(#attn.causal) : " +
                  t + ", " + t + ", " + t + " -> " + t + "\n  return\n}\n");
  // Hq = 3 (not a multiple of Hk = 2), V with its own 4 heads.
  Inputs in = qkv(randn({2, 3, 5, 4}, 1), randn({2, 2, 5, 4}, 2),
                  randn({2, 4, 5, 3}, 3));
  in[OperandRole::KHeadMap] = ints({2, 3}, {1, 0, 1, 0, 0, 1});
  in[OperandRole::VHeadMap] = ints({3}, {3, 0, 2});
  EVAL(out, spec, in);
  int64_t kmap[2][3] = {{1, 0, 1}, {0, 0, 1}}, vmap[3] = {3, 0, 2};
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 3; ++h)
      for (int64_t i = 0; i < 5; ++i) {
        std::vector<double> o =
            plainRow(in, b, h, i, kmap[b][h], vmap[h], /*causal=*/true);
        for (int64_t d = 0; d < 3; ++d)
          EXPECT_NEAR(at4(out.output, b, h, i, d), o[d], 1e-12);
      }
  // Out-of-range entries are an error of the reference.
  in[OperandRole::VHeadMap] = ints({3}, {3, 4, 2});
  llvm::Expected<Outputs> bad = evaluate(spec->op, in);
  ASSERT_FALSE(static_cast<bool>(bad));
  std::string msg = llvm::toString(bad.takeError());
  EXPECT_NE(msg.find("v_head_map entry 4 of query head 1"), std::string::npos)
      << msg;
}

TEST(ReferenceExtensions, SinkLogitJoinsTheDenominatorOnly) {
  std::string t = kT;
  PARSE(spec, "func.func @f(%q: " + t + ", %k: " + t + ", %v: " + t +
                  ", %s: tensor<?xf32>) {\n"
                  "  %o, %l = attn.attention %q, %k, %v sink_logits(%s : "
                  "tensor<?xf32>) mask(#attn.causal) : " +
                  t + ", " + t + ", " + t + " -> " + t +
                  ", tensor<?x?x?xf32>\n  return\n}\n");
  // Nq = 6 > Nk = 4: the first two rows have no key at all.
  Inputs in = qkv(randn({1, 2, 6, 3}, 4), randn({1, 2, 4, 3}, 5),
                  randn({1, 2, 4, 2}, 6));
  in[OperandRole::SinkLogits] = floats({2}, {0.5, -1.5});
  EVAL(out, spec, in);
  double sinks[2] = {0.5, -1.5};
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < 6; ++i) {
      double lse = 0;
      std::vector<double> o =
          plainRow(in, 0, h, i, h, h, /*causal=*/true, sinks[h], &lse);
      for (int64_t d = 0; d < 2; ++d)
        EXPECT_NEAR(at4(out.output, 0, h, i, d), i < 2 ? 0.0 : o[d], 1e-12);
      double got = out.lse->getDouble(h * 6 + i);
      EXPECT_NEAR(got, i < 2 ? sinks[h] : lse, 1e-12) << "h=" << h << " i=" << i;
    }
}

TEST(ReferenceExtensions, OutputGateScalesRowsWithBroadcast) {
  std::string t = kT;
  PARSE(spec, "func.func @f(%q: " + t + ", %k: " + t + ", %v: " + t +
                  ", %g: tensor<1x?x?xf32>) {\n"
                  "  %o = attn.attention %q, %k, %v output_gate(%g : "
                  "tensor<1x?x?xf32>) : " +
                  t + ", " + t + ", " + t + " -> " + t + "\n  return\n}\n");
  Inputs in = qkv(randn({2, 2, 3, 4}, 7), randn({2, 1, 5, 4}, 8),
                  randn({2, 1, 5, 3}, 9));
  in[OperandRole::OutputGate] = floats({1, 2, 3}, {0.0, 1.0, 2.0, -1.0, 0.5, 3.0});
  EVAL(out, spec, in);
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < 3; ++i) {
        double g = in[OperandRole::OutputGate]->getDouble(h * 3 + i);
        std::vector<double> o = plainRow(in, b, h, i, 0, 0, false);
        for (int64_t d = 0; d < 3; ++d)
          EXPECT_NEAR(at4(out.output, b, h, i, d), g * o[d], 1e-12);
      }
}

TEST(ReferenceExtensions, WeightModSeesNormalizedWeightAndRawScore) {
  std::string t = kT;
  // w' = w * r + 1 on kept keys: out = sum_j (w_ij r_ij + 1) v_j.
  PARSE(spec, "func.func @f(%q: " + t + ", %k: " + t + ", %v: " + t +
                  ") {\n"
                  "  %o = attn.attention %q, %k, %v mask(#attn.causal) "
                  "score_mods([#attn.softcap<2.0>]) weight_mod {\n"
                  "  ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, "
                  "%j: index):\n"
                  "    %one = arith.constant 1.0 : f32\n"
                  "    %x = math.fma %w, %r, %one : f32\n"
                  "    attn.yield %x : f32\n  } : " +
                  t + ", " + t + ", " + t + " -> " + t + "\n  return\n}\n");
  Inputs in = qkv(randn({1, 1, 4, 3}, 10), randn({1, 1, 4, 3}, 11),
                  randn({1, 1, 4, 2}, 12));
  EVAL(out, spec, in);
  for (int64_t i = 0; i < 4; ++i) {
    // Softmax over the soft-capped scores; the region gets the raw score.
    std::vector<double> raw(4), s(4);
    double m = -kInf;
    for (int64_t j = 0; j <= i; ++j) {
      double dot = 0;
      for (int64_t d = 0; d < 3; ++d)
        dot += at4(in.query, 0, 0, i, d) * at4(in.key, 0, 0, j, d);
      raw[j] = dot / std::sqrt(3.0);
      s[j] = 2.0 * std::tanh(raw[j] / 2.0);
      m = std::max(m, s[j]);
    }
    double sum = 0;
    for (int64_t j = 0; j <= i; ++j)
      sum += std::exp(s[j] - m);
    for (int64_t d = 0; d < 2; ++d) {
      double o = 0;
      for (int64_t j = 0; j <= i; ++j)
        o += (std::exp(s[j] - m) / sum * raw[j] + 1.0) * at4(in.value, 0, 0, j, d);
      EXPECT_NEAR(at4(out.output, 0, 0, i, d), o, 1e-12) << "i=" << i;
    }
  }
}

TEST(ReferenceExtensions, NeighborhoodStrideSharesTheLeaderWindow) {
  std::string t = kT;
  // 1-D grid of 10, window 4, stride 3: groups {0,1,2}, {3,4,5}, {6,7,8},
  // {9}; leaders min(3g + 1, 9) = 1, 4, 7, 9; windows start at
  // clamp(leader - 2, 0, 6) = 0, 2, 5, 6.
  PARSE(spec, "func.func @f(%q: " + t + ", %k: " + t + ", %v: " + t +
                  ") {\n  %o = attn.attention %q, %k, %v "
                  "mask(#attn.neighborhood<grid = [10], kernel = [4], "
                  "stride = [3]>) : " +
                  t + ", " + t + ", " + t + " -> " + t + "\n  return\n}\n");
  // Q = 0 and V = identity: the output row is the uniform weight over the
  // kept keys.
  NDArray v(DType::F64, {1, 1, 10, 10});
  for (int64_t j = 0; j < 10; ++j)
    v.setDouble(j * 10 + j, 1.0);
  Inputs in = qkv(NDArray(DType::F64, {1, 1, 10, 2}), randn({1, 1, 10, 2}, 13),
                  std::move(v));
  EVAL(out, spec, in);
  int64_t start[4] = {0, 2, 5, 6};
  for (int64_t i = 0; i < 10; ++i)
    for (int64_t j = 0; j < 10; ++j) {
      int64_t s0 = start[i / 3];
      bool kept = j >= s0 && j < s0 + 4;
      EXPECT_NEAR(at4(out.output, 0, 0, i, j), kept ? 0.25 : 0.0, 1e-12)
          << "i=" << i << " j=" << j;
    }
}

} // namespace

namespace {

/// Causal linear attention by its recurrence, independently of the
/// reference's quadratic form: S_t = a_t S_{t-1} + phi(k_t) v_t^T,
/// z_t = a_t z_{t-1} + phi(k_t), o_t = phi(q_t)^T S_t (/ phi(q_t)^T z_t).
/// A rank-4 decay gates each channel x (row x of S): diag(a_t) S_{t-1}.
std::vector<double> recurrentLinear(const Inputs &in, int64_t b, int64_t h,
                                    bool l1) {
  auto qs = in.query.shape(), vs = in.value.shape();
  int64_t N = qs[2], D = qs[3], Dv = vs[3];
  bool channels = in[OperandRole::Decay]->rank() == 4;
  auto phi = [](double x) { return x > 0 ? x + 1.0 : std::exp(x); };
  std::vector<double> state(D * Dv, 0.0), z(D, 0.0), out(N * Dv, 0.0);
  for (int64_t t = 0; t < N; ++t) {
    int64_t token = (b * qs[1] + h) * N + t;
    for (int64_t x = 0; x < D; ++x) {
      double a = in[OperandRole::Decay]->getDouble(channels ? token * D + x : token);
      double fk = phi(at4(in.key, b, h, t, x));
      z[x] = a * z[x] + fk;
      for (int64_t y = 0; y < Dv; ++y)
        state[x * Dv + y] = a * state[x * Dv + y] + fk * at4(in.value, b, h, t, y);
    }
    double denominator = 0.0;
    for (int64_t x = 0; x < D; ++x)
      denominator += phi(at4(in.query, b, h, t, x)) * z[x];
    for (int64_t y = 0; y < Dv; ++y) {
      double o = 0.0;
      for (int64_t x = 0; x < D; ++x)
        o += phi(at4(in.query, b, h, t, x)) * state[x * Dv + y];
      out[t * Dv + y] = l1 ? o / denominator : o;
    }
  }
  return out;
}

std::string linearSpec(const char *normalization,
                       const char *decayType = "tensor<?x?x?xf32>") {
  std::string t = kT, a = decayType;
  return "func.func @f(%q: " + t + ", %k: " + t + ", %v: " + t +
         ", %a: " + a + ") {\n"
         "  %o = attn.attention %q, %k, %v decay(%a : " + a + ") "
         "feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal) "
         "normalization(" +
         normalization + ") scale(1.0) : " + t + ", " + t + ", " + t +
         " -> " + t + "\n  return\n}\n";
}

} // namespace

/// The reference (quadratic form) against the recurrence, with and without
/// the l1 denominator, for decays of `decayShape` from 0.05 to 1 (every
/// `ones`-th one exactly 1), B = H = 2, N = 9, D = 4, Dv = 3.
static void expectDecayedIsTheRecurrence(std::vector<int64_t> decayShape,
                                  const char *decayType, int64_t ones,
                                  unsigned seed) {
  for (bool l1 : {false, true}) {
    PARSE(spec, linearSpec(l1 ? "#attn.normalize<identity, l1>"
                              : "#attn.normalize<identity>",
                           decayType));
    Inputs in = qkv(randn({2, 2, 9, 4}, seed), randn({2, 2, 9, 4}, seed + 1),
                    randn({2, 2, 9, 3}, seed + 2));
    NDArray decay(DType::F64, decayShape);
    std::mt19937_64 rng(seed + 3);
    std::uniform_real_distribution<double> dist(0.05, 1.0);
    for (int64_t x = 0; x < decay.numElements(); ++x)
      decay.setDouble(x, x % ones == 0 ? 1.0 : dist(rng));
    in[OperandRole::Decay] = decay;
    EVAL(out, spec, in);
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t h = 0; h < 2; ++h) {
        std::vector<double> expected = recurrentLinear(in, b, h, l1);
        for (int64_t t = 0; t < 9; ++t)
          for (int64_t y = 0; y < 3; ++y)
            EXPECT_NEAR(at4(out.output, b, h, t, y), expected[t * 3 + y],
                        1e-10 * (1.0 + std::abs(expected[t * 3 + y])))
                << "l1 " << l1 << " b " << b << " h " << h << " t " << t;
      }
  }
}

// The quadratic form with the product of decays equals the recurrence.
TEST(ReferenceExtensions, DecayedLinearAttentionIsTheRecurrence) {
  expectDecayedIsTheRecurrence({2, 2, 9}, "tensor<?x?x?xf32>", 5, 11);
}

// A gate per key channel (GLA): the quadratic form, whose score multiplies
// each channel's gates out directly, equals the recurrence
// S_t = diag(a_t) S_{t-1} + phi(k_t) v_t^T, some channels never decaying.
TEST(ReferenceExtensions, ChannelGatedLinearAttentionIsTheRecurrence) {
  expectDecayedIsTheRecurrence({2, 2, 9, 4}, "tensor<?x?x?x?xf32>", 7, 21);
}

// A gate of the wrong width or outside (0, 1] is an error of the reference.
TEST(ReferenceExtensions, ChannelGateShapesAndValuesAreChecked) {
  PARSE(spec, linearSpec("#attn.normalize<identity>", "tensor<?x?x?x?xf32>"));
  Inputs in = qkv(randn({1, 1, 4, 2}, 1), randn({1, 1, 4, 2}, 2),
                  randn({1, 1, 4, 2}, 3));
  in[OperandRole::Decay] = floats({1, 1, 4, 1}, {0.9, 0.9, 0.9, 0.9});
  llvm::Expected<Outputs> narrow = evaluate(spec->op, in);
  ASSERT_FALSE(static_cast<bool>(narrow));
  EXPECT_NE(llvm::toString(narrow.takeError()).find("decay has shape"),
            std::string::npos);
  in[OperandRole::Decay] = floats({1, 1, 1, 2}, {0.9, 1.5});
  llvm::Expected<Outputs> big = evaluate(spec->op, in);
  ASSERT_FALSE(static_cast<bool>(big));
  EXPECT_NE(llvm::toString(big.takeError()).find("a decay must lie in (0, 1]"),
            std::string::npos);
}

TEST(ReferenceExtensions, DecayOutsideTheUnitIntervalIsAnError) {
  PARSE(spec, linearSpec("#attn.normalize<identity>"));
  for (double bad : {0.0, -0.5, 1.5, std::nan("")}) {
    Inputs in = qkv(randn({1, 1, 4, 2}, 1), randn({1, 1, 4, 2}, 2),
                    randn({1, 1, 4, 2}, 3));
    in[OperandRole::Decay] = floats({1, 1, 4}, {0.9, 0.9, bad, 0.9});
    llvm::Expected<Outputs> out = evaluate(spec->op, in);
    ASSERT_FALSE(static_cast<bool>(out));
    EXPECT_NE(llvm::toString(out.takeError()).find("a decay must lie in (0, 1]"),
              std::string::npos);
  }
}

// taylor2: phi(q) . phi(k) = 1 + s + s^2 / 2 with s = q . k, checked against
// that closed form (causal, l1, scale 0.5, GQA, Nq < Nk).
TEST(ReferenceExtensions, Taylor2FeatureMapIsTheSecondOrderExpansion) {
  std::string t = kT;
  PARSE(spec, "func.func @f(%q: " + t + ", %k: " + t + ", %v: " + t +
                  ") {\n  %o = attn.attention %q, %k, %v "
                  "feature_map(#attn.feature_map<taylor2>) mask(#attn.causal) "
                  "normalization(#attn.normalize<identity, l1>) scale(0.5) : " +
                  t + ", " + t + ", " + t + " -> " + t + "\n  return\n}\n");
  Inputs in = qkv(randn({1, 2, 5, 3}, 21), randn({1, 1, 7, 3}, 22),
                  randn({1, 1, 7, 2}, 23));
  EVAL(out, spec, in);
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < 5; ++i) {
      std::vector<double> w(7, 0.0);
      double sum = 0.0;
      for (int64_t j = 0; j <= i + 2; ++j) {
        double s = 0.0;
        for (int64_t x = 0; x < 3; ++x)
          s += at4(in.query, 0, h, i, x) * at4(in.key, 0, 0, j, x);
        sum += w[j] = 0.5 * (1.0 + s + s * s / 2.0);
      }
      for (int64_t y = 0; y < 2; ++y) {
        double o = 0.0;
        for (int64_t j = 0; j < 7; ++j)
          o += w[j] / sum * at4(in.value, 0, 0, j, y);
        EXPECT_NEAR(at4(out.output, 0, h, i, y), o, 1e-12 * (1.0 + std::abs(o)))
            << "h " << h << " i " << i;
      }
    }
}

namespace {
std::string hedgehogSpec(const char *weightType, const char *biasType) {
  std::string t = kT;
  return "func.func @f(%q: " + t + ", %k: " + t + ", %v: " + t +
         ", %w: " + weightType + ", %b: " + biasType +
         ") {\n  %o = attn.attention %q, %k, %v "
         "feature_map(#attn.feature_map<hedgehog>, %w, %b : " +
         weightType + ", " + biasType +
         ") mask(#attn.causal) normalization(#attn.normalize<identity, l1>) "
         "scale(1.0) : " +
         t + ", " + t + ", " + t + " -> " + t + "\n  return\n}\n";
}
} // namespace

// hedgehog: the causal recurrence over phi_h(x) = [exp(W_h x + b_h) ||
// exp(-W_h x - b_h)] (2F = 6 features for D = 4), each query head with its
// own W and b, also on the keys of the shared key head (GQA), computed here.
TEST(ReferenceExtensions, HedgehogIsTheRecurrenceOverItsLearnedFeatures) {
  PARSE(spec, hedgehogSpec("tensor<?x?x?xf32>", "tensor<?x?xf32>"));
  const int64_t N = 6, D = 4, F = 3, Dv = 2;
  Inputs in = qkv(randn({1, 2, N, D}, 31), randn({1, 1, N, D}, 32),
                  randn({1, 1, N, Dv}, 33));
  in[OperandRole::FeatureWeight] = randn({2, F, D}, 34);
  in[OperandRole::FeatureBias] = randn({2, F}, 35);
  EVAL(out, spec, in);
  for (int64_t h = 0; h < 2; ++h) {
    auto phi = [&](const NDArray &x, int64_t head, int64_t t) {
      std::vector<double> f(2 * F);
      for (int64_t r = 0; r < F; ++r) {
        double u = in[OperandRole::FeatureBias]->getDouble(h * F + r);
        for (int64_t a = 0; a < D; ++a)
          u += in[OperandRole::FeatureWeight]->getDouble((h * F + r) * D + a) *
               at4(x, 0, head, t, a);
        f[r] = std::exp(u);
        f[F + r] = std::exp(-u);
      }
      return f;
    };
    std::vector<double> state(2 * F * Dv, 0.0), z(2 * F, 0.0);
    for (int64_t t = 0; t < N; ++t) {
      std::vector<double> fk = phi(in.key, 0, t), fq = phi(in.query, h, t);
      for (int64_t x = 0; x < 2 * F; ++x) {
        z[x] += fk[x];
        for (int64_t y = 0; y < Dv; ++y)
          state[x * Dv + y] += fk[x] * at4(in.value, 0, 0, t, y);
      }
      double denominator = 0.0;
      for (int64_t x = 0; x < 2 * F; ++x)
        denominator += fq[x] * z[x];
      for (int64_t y = 0; y < Dv; ++y) {
        double o = 0.0;
        for (int64_t x = 0; x < 2 * F; ++x)
          o += fq[x] * state[x * Dv + y];
        o /= denominator;
        EXPECT_NEAR(at4(out.output, 0, h, t, y), o,
                    1e-10 * (1.0 + std::abs(o)))
            << "h " << h << " t " << t;
      }
    }
  }
}

// A weight or bias whose arrays do not match the spec's other operands, or
// F = 0, is an error (the types are dynamic: the verifier cannot see them).
TEST(ReferenceExtensions, HedgehogWeightShapesAreChecked) {
  PARSE(spec, hedgehogSpec("tensor<?x?x?xf32>", "tensor<?x?xf32>"));
  struct Case {
    std::vector<int64_t> weight, bias;
    const char *message;
  } cases[] = {
      {{2, 3, 5}, {2, 3}, "feature_map weight has shape [2, 3, 5]"},
      {{3, 3, 4}, {2, 3}, "feature_map weight has shape [3, 3, 4]"},
      {{2, 3, 4}, {2, 2}, "feature_map bias has shape [2, 2]"},
      {{2, 0, 4}, {2, 0}, "F must be at least 1"},
  };
  for (const Case &c : cases) {
    Inputs in = qkv(randn({1, 2, 3, 4}, 1), randn({1, 1, 3, 4}, 2),
                    randn({1, 1, 3, 2}, 3));
    in[OperandRole::FeatureWeight] = randn(c.weight, 4);
    in[OperandRole::FeatureBias] = randn(c.bias, 5);
    llvm::Expected<Outputs> out = evaluate(spec->op, in);
    ASSERT_FALSE(static_cast<bool>(out)) << c.message;
    std::string message = llvm::toString(out.takeError());
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
  }
  // A missing array is an error too.
  Inputs in = qkv(randn({1, 2, 3, 4}, 1), randn({1, 1, 3, 4}, 2),
                  randn({1, 1, 3, 2}, 3));
  llvm::Expected<Outputs> out = evaluate(spec->op, in);
  ASSERT_FALSE(static_cast<bool>(out));
  EXPECT_NE(llvm::toString(out.takeError())
                .find("the op has a feature_weight operand but no array"),
            std::string::npos);
}

namespace {

std::string affineSpec(const char *normalization, const char *mask) {
  std::string t = kT;
  return "func.func @f(%q: " + t + ", %k: " + t + ", %v: " + t +
         ") {\n  %o = attn.attention %q, %k, %v "
         "feature_map(#attn.feature_map<elu_plus_one>) " +
         mask + " normalization(" + normalization + ") scale(1.0) : " + t +
         ", " + t + ", " + t + " -> " + t + "\n  return\n}\n";
}

} // namespace

// The affine normalizations by hand from their papers' formulas, causal
// (N = i + 1 keys for row i, Nq = Nk): InLine's
// o_i = sum_j [s_ij - (1/N) sum_s s_is + 1/N] v_j and MALA's
// o_i = (1 + 1/z_i) sum_j (s_ij / N) v_j - (z_i / N) sum_j v_j with
// z_i = sum_j s_ij / N; and their weights sum to 1 (ones as values give 1).
TEST(ReferenceExtensions, SubtractiveAndMalaNormalizations) {
  for (const char *kind : {"subtractive", "mala"}) {
    bool mala = std::string(kind) == "mala";
    std::string norm = std::string("#attn.normalize<identity, ") + kind + ">";
    PARSE(spec, affineSpec(norm.c_str(), "mask(#attn.causal)"));
    Inputs in = qkv(randn({1, 2, 7, 4}, 21), randn({1, 2, 7, 4}, 22),
                    randn({1, 2, 7, 3}, 23));
    EVAL(out, spec, in);
    auto phi = [](double x) { return x > 0 ? x + 1.0 : std::exp(x); };
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < 7; ++i) {
        double n = static_cast<double>(i + 1), total = 0.0;
        std::vector<double> s(i + 1);
        for (int64_t j = 0; j <= i; ++j) {
          for (int64_t x = 0; x < 4; ++x)
            s[j] += phi(at4(in.query, 0, h, i, x)) * phi(at4(in.key, 0, h, j, x));
          total += s[j];
        }
        for (int64_t y = 0; y < 3; ++y) {
          double expected = 0.0, values = 0.0, weighted = 0.0;
          for (int64_t j = 0; j <= i; ++j) {
            double v = at4(in.value, 0, h, j, y);
            values += v;
            weighted += s[j] / n * v;
            expected += (s[j] - total / n + 1.0 / n) * v;
          }
          if (mala) {
            double z = total / n;
            expected = (1.0 + 1.0 / z) * weighted - z / n * values;
          }
          EXPECT_NEAR(at4(out.output, 0, h, i, y), expected,
                      1e-10 * (1.0 + std::abs(expected)))
              << kind << " h " << h << " i " << i;
        }
      }
    // Ones as values: every row's weights sum to 1, also under a window
    // (N varies by row) and with Nq > Nk (rows without a key give 0).
    PARSE(windowed, affineSpec(norm.c_str(),
                               "mask(#attn.and<[#attn.causal, "
                               "#attn.window<left = 2, right = 0>]>)"));
    NDArray ones(DType::F64, {1, 1, 5, 2});
    for (int64_t x = 0; x < ones.numElements(); ++x)
      ones.setDouble(x, 1.0);
    Inputs shifted = qkv(randn({1, 1, 8, 3}, 24), randn({1, 1, 5, 3}, 25),
                         std::move(ones));
    EVAL(sums, windowed, shifted);
    for (int64_t i = 0; i < 8; ++i)
      for (int64_t y = 0; y < 2; ++y)
        EXPECT_NEAR(at4(sums.output, 0, 0, i, y), i < 3 ? 0.0 : 1.0, 1e-12)
            << kind << " row " << i;
  }
}

// rms_norm over Dv of the softmax row, then the element-wise gate with its
// extent-1 dimensions broadcast ([1, H, N, Dv] and [B, H, N, 1]).
TEST(ReferenceExtensions, RmsNormEpilogueThenElementwiseGate) {
  for (bool perChannel : {true, false}) {
    std::string t = kT, g = "tensor<?x?x?x?xf32>";
    PARSE(spec, "func.func @f(%q: " + t + ", %k: " + t + ", %v: " + t +
                    ", %g: " + g + ") {\n  %o = attn.attention %q, %k, %v "
                    "output_gate(%g : " + g + ") mask(#attn.causal) "
                    "epilogue(#attn.epilogue<rms_norm, eps = 1.0e-02>) : " +
                    t + ", " + t + ", " + t + " -> " + t +
                    "\n  return\n}\n");
    Inputs in = qkv(randn({2, 2, 5, 4}, 31), randn({2, 2, 5, 4}, 32),
                    randn({2, 2, 5, 3}, 33));
    in[OperandRole::OutputGate] = perChannel ? randn({1, 2, 5, 3}, 34) : randn({2, 2, 5, 1}, 35);
    EVAL(out, spec, in);
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t i = 0; i < 5; ++i) {
          std::vector<double> o = plainRow(in, b, h, i, h, h, true);
          double squares = 0.0;
          for (double x : o)
            squares += x * x;
          double factor = 1.0 / std::sqrt(squares / 3.0 + 1e-2);
          for (int64_t y = 0; y < 3; ++y) {
            double gate = perChannel ? at4(*in[OperandRole::OutputGate], 0, h, i, y)
                                     : at4(*in[OperandRole::OutputGate], b, h, i, 0);
            EXPECT_NEAR(at4(out.output, b, h, i, y), gate * factor * o[y],
                        1e-12)
                << "b " << b << " h " << h << " i " << i;
          }
        }
  }
}

namespace {
std::string crossKeySpec(const char *map, const char *normalization) {
  std::string t = kT;
  return "func.func @f(%q: " + t + ", %k: " + t + ", %v: " + t +
         ") {\n  %o = attn.attention %q, %k, %v feature_map(" + map +
         ") normalization(" + normalization + ") scale(1.0) : " + t + ", " +
         t + ", " + t + " -> " + t + "\n  return\n}\n";
}

double sigmoidOf(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double eluPlusOne(double x) { return x > 0 ? x + 1.0 : std::exp(x); }
} // namespace

// Flowformer's flow conservation: the reference's quadratic form (each
// score phi(q_i) . phi(k_j) times the key's competition, each row times its
// allocation over the incoming flow) against the authors' Flow_Attention
// written in its own factorized order (eps = 0), GQA with Nq != Nk.
TEST(ReferenceExtensions, FlowIsTheAuthorsFlowAttention) {
  PARSE(spec, crossKeySpec("#attn.feature_map<sigmoid, keys = flow>",
                           "#attn.normalize<identity>"));
  const int64_t hq = 2, nq = 5, nk = 7, d = 3, dv = 2;
  Inputs in = qkv(randn({1, hq, nq, d}, 31), randn({1, 1, nk, d}, 32),
                  randn({1, 1, nk, dv}, 33));
  EVAL(out, spec, in);
  for (int64_t h = 0; h < hq; ++h) {
    auto q = [&](int64_t i, int64_t x) { return sigmoidOf(at4(in.query, 0, h, i, x)); };
    auto k = [&](int64_t j, int64_t x) { return sigmoidOf(at4(in.key, 0, 0, j, x)); };
    std::vector<double> qs(d, 0.0), ks(d, 0.0);
    for (int64_t x = 0; x < d; ++x) {
      for (int64_t i = 0; i < nq; ++i)
        qs[x] += q(i, x);
      for (int64_t j = 0; j < nk; ++j)
        ks[x] += k(j, x);
    }
    // sink_incoming = 1 / I, source_outgoing = 1 / O.
    std::vector<double> sinkIncoming(nq), sourceOutgoing(nk);
    for (int64_t i = 0; i < nq; ++i) {
      double s = 0.0;
      for (int64_t x = 0; x < d; ++x)
        s += q(i, x) * ks[x];
      sinkIncoming[i] = 1.0 / s;
    }
    for (int64_t j = 0; j < nk; ++j) {
      double s = 0.0;
      for (int64_t x = 0; x < d; ++x)
        s += k(j, x) * qs[x];
      sourceOutgoing[j] = 1.0 / s;
    }
    // conserved_sink, conserved_source (clamped), allocation, competition.
    std::vector<double> kw(d, 0.0), qw(d, 0.0);
    for (int64_t x = 0; x < d; ++x) {
      for (int64_t j = 0; j < nk; ++j)
        kw[x] += k(j, x) * sourceOutgoing[j];
      for (int64_t i = 0; i < nq; ++i)
        qw[x] += q(i, x) * sinkIncoming[i];
    }
    std::vector<double> allocation(nq), competition(nk);
    for (int64_t i = 0; i < nq; ++i) {
      double s = 0.0;
      for (int64_t x = 0; x < d; ++x)
        s += q(i, x) * kw[x];
      allocation[i] = sigmoidOf(s * double(nq) / double(nk));
    }
    double total = 0.0;
    for (int64_t j = 0; j < nk; ++j) {
      double s = 0.0;
      for (int64_t x = 0; x < d; ++x)
        s += k(j, x) * qw[x];
      total += competition[j] = std::exp(std::clamp(s, -1.0, 1.0));
    }
    for (double &c : competition)
      c = c / total * double(nk);
    // x = (q * sink_incoming) (k^T (v * competition)) * allocation.
    for (int64_t i = 0; i < nq; ++i)
      for (int64_t y = 0; y < dv; ++y) {
        double o = 0.0;
        for (int64_t x = 0; x < d; ++x) {
          double kv = 0.0;
          for (int64_t j = 0; j < nk; ++j)
            kv += k(j, x) * at4(in.value, 0, 0, j, y) * competition[j];
          o += q(i, x) * sinkIncoming[i] * kv;
        }
        o *= allocation[i];
        EXPECT_NEAR(at4(out.output, 0, h, i, y), o, 1e-12 * (1.0 + std::abs(o)))
            << "h " << h << " i " << i;
      }
  }
}

// RALA: o_i = phi(q_i) . (sum_j k~_j v_j^T / N) / (phi(q_i) . mean_j k~_j)
// with k~_j = N softmax_j(q_bar . phi(k_j) / sqrt d) phi(k_j), against the
// reference's l1-normalized scores with the key weights.
TEST(ReferenceExtensions, QueryWeightedKeysAreRala) {
  PARSE(spec, crossKeySpec("#attn.feature_map<elu_plus_one, keys = "
                           "query_weighted>",
                           "#attn.normalize<identity, l1>"));
  const int64_t hq = 2, nq = 6, nk = 4, d = 3, dv = 2;
  Inputs in = qkv(randn({1, hq, nq, d}, 41), randn({1, 1, nk, d}, 42),
                  randn({1, 1, nk, dv}, 43));
  EVAL(out, spec, in);
  for (int64_t h = 0; h < hq; ++h) {
    auto q = [&](int64_t i, int64_t x) { return eluPlusOne(at4(in.query, 0, h, i, x)); };
    auto k = [&](int64_t j, int64_t x) { return eluPlusOne(at4(in.key, 0, 0, j, x)); };
    std::vector<double> qBar(d, 0.0), alpha(nk);
    for (int64_t x = 0; x < d; ++x)
      for (int64_t i = 0; i < nq; ++i)
        qBar[x] += q(i, x) / double(nq);
    double total = 0.0;
    for (int64_t j = 0; j < nk; ++j) {
      double s = 0.0;
      for (int64_t x = 0; x < d; ++x)
        s += qBar[x] * k(j, x);
      total += alpha[j] = std::exp(s / std::sqrt(double(d)));
    }
    for (double &a : alpha)
      a = a / total * double(nk);
    for (int64_t i = 0; i < nq; ++i) {
      double denominator = 0.0;
      for (int64_t x = 0; x < d; ++x) {
        double mean = 0.0;
        for (int64_t j = 0; j < nk; ++j)
          mean += alpha[j] * k(j, x) / double(nk);
        denominator += q(i, x) * mean;
      }
      for (int64_t y = 0; y < dv; ++y) {
        double numerator = 0.0;
        for (int64_t x = 0; x < d; ++x) {
          double kv = 0.0;
          for (int64_t j = 0; j < nk; ++j)
            kv += alpha[j] * k(j, x) * at4(in.value, 0, 0, j, y) / double(nk);
          numerator += q(i, x) * kv;
        }
        double o = numerator / denominator;
        EXPECT_NEAR(at4(out.output, 0, h, i, y), o, 1e-12 * (1.0 + std::abs(o)))
            << "h " << h << " i " << i;
      }
    }
  }
}
