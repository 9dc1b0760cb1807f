//===- ReferenceTest.cpp - float64 reference evaluator tests --------------===//
//
// Checks the oracle against closed forms. Masks are checked through uniform
// scores (Q = 0) and V = identity, so that out[b, h, i, :] is the indicator
// of the kept keys divided by their count, compared with an enumeration
// written independently here.
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

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace mlir;
using namespace attn;
using namespace attn::reference;

namespace {

const double kInf = std::numeric_limits<double>::infinity();
const char *const kT4 = "tensor<?x?x?x?xf32>";

struct Spec {
  std::unique_ptr<MLIRContext> ctx; // declared first: destroyed last
  OwningOpRef<ModuleOp> module;
  AttentionOp op;
  std::string diagnostics;
};

std::unique_ptr<Spec> parseSpec(const std::string &src) {
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

/// A function around one attn.attention on dynamic Q, K, V. `extraArgs`
/// declares more function arguments; `clauses` is the text after `%v`.
std::string specText(const std::string &clauses, bool lse = true,
                     const std::string &extraArgs = "") {
  std::string t = kT4;
  return "func.func @f(%q: " + t + ", %k: " + t + ", %v: " + t + extraArgs +
         ") {\n  %o" + (lse ? ", %l" : "") + " = attn.attention %q, %k, %v " +
         clauses + " : " + t + ", " + t + ", " + t + " -> " + t +
         (lse ? ", tensor<?x?x?xf32>" : "") + "\n  return\n}\n";
}

NDArray array(std::vector<int64_t> shape, std::vector<double> values = {},
              DType dtype = DType::F64) {
  NDArray a(dtype, std::move(shape));
  for (size_t k = 0; k < values.size(); ++k)
    a.setDouble(k, values[k]);
  return a;
}

NDArray randn(std::vector<int64_t> shape, uint64_t seed) {
  NDArray a(DType::F64, std::move(shape));
  std::mt19937_64 rng(seed);
  a.fillNormal(rng);
  return a;
}

int64_t linearIndex(const NDArray &a, std::initializer_list<int64_t> idx) {
  int64_t linear = 0, d = 0;
  for (int64_t x : idx)
    linear = linear * a.shape()[d++] + x;
  return linear;
}
double at(const NDArray &a, std::initializer_list<int64_t> idx) {
  return a.getDouble(linearIndex(a, idx));
}
void put(NDArray &a, std::initializer_list<int64_t> idx, double v) {
  a.setDouble(linearIndex(a, idx), v);
}

/// V[b, hk, j, d] = (d == j): the output row is the weight vector.
NDArray identityValues(int64_t B, int64_t Hkv, int64_t Nk) {
  NDArray v(DType::F64, {B, Hkv, Nk, Nk});
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hkv; ++h)
      for (int64_t j = 0; j < Nk; ++j)
        put(v, {b, h, j, j}, 1.0);
  return v;
}

Inputs qkv(NDArray q, NDArray k, NDArray v) {
  Inputs in;
  in.query = std::move(q);
  in.key = std::move(k);
  in.value = std::move(v);
  return in;
}

#define PARSE(spec, text)                                                      \
  std::unique_ptr<Spec> spec = parseSpec(text);                                \
  ASSERT_TRUE(spec->op) << spec->diagnostics

#define EVAL(out, spec, inputs)                                                \
  llvm::Expected<Outputs> out##OrErr = evaluate((spec)->op, inputs);           \
  ASSERT_TRUE(static_cast<bool>(out##OrErr))                                   \
      << llvm::toString(out##OrErr.takeError());                               \
  Outputs &out = *out##OrErr

/// The error message of a failing evaluation ("" and a test failure if it
/// succeeds).
std::string evalError(const Spec &spec, const Inputs &inputs) {
  llvm::Expected<Outputs> r = evaluate(spec.op, inputs);
  if (r) {
    ADD_FAILURE() << "evaluation unexpectedly succeeded";
    return "";
  }
  return llvm::toString(r.takeError());
}

using KeepFn = std::function<bool(int64_t b, int64_t h, int64_t i, int64_t j)>;

/// Evaluates `clauses` on Q = 0, V = identity and compares each row with the
/// uniform distribution over `keep`'s kept keys (0 and lse -inf when none).
void checkKeptSet(const std::string &clauses, int64_t B, int64_t Hq,
                  int64_t Hkv, int64_t Nq, int64_t Nk, const KeepFn &keep,
                  const std::string &extraArgs = "",
                  const std::function<void(Inputs &)> &fill = nullptr,
                  bool nonTrivial = true) {
  SCOPED_TRACE(clauses);
  PARSE(spec, specText(clauses, true, extraArgs));
  Inputs in = qkv(array({B, Hq, Nq, 2}), randn({B, Hkv, Nk, 2}, 7),
                  identityValues(B, Hkv, Nk));
  if (fill)
    fill(in);
  EVAL(out, spec, in);
  int64_t kept = 0;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hq; ++h)
      for (int64_t i = 0; i < Nq; ++i) {
        int64_t count = 0;
        for (int64_t j = 0; j < Nk; ++j)
          count += keep(b, h, i, j);
        kept += count;
        for (int64_t j = 0; j < Nk; ++j)
          EXPECT_NEAR(at(out.output, {b, h, i, j}),
                      keep(b, h, i, j) ? 1.0 / count : 0.0, 1e-12)
              << "b=" << b << " h=" << h << " i=" << i << " j=" << j;
        if (count)
          EXPECT_NEAR(at(*out.lse, {b, h, i}), std::log(double(count)), 1e-12)
              << "b=" << b << " h=" << h << " i=" << i;
        else
          EXPECT_EQ(at(*out.lse, {b, h, i}), -kInf)
              << "b=" << b << " h=" << h << " i=" << i;
      }
  if (nonTrivial) { // the case must tell kept from masked keys
    EXPECT_GT(kept, 0);
    EXPECT_LT(kept, B * Hq * Nq * Nk);
  }
}

/// Window of kept key coordinates per query coordinate, written out by hand.
using Table = std::vector<std::set<int64_t>>;
bool inTable(const Table &t, int64_t x, int64_t y) { return t[x].count(y); }

//===----------------------------------------------------------------------===//
// Basic closed forms
//===----------------------------------------------------------------------===//

TEST(Reference, ConstantValueRowsGiveThatConstant) {
  PARSE(spec, specText("mask(#attn.causal)", false));
  int64_t B = 2, Hq = 4, Hkv = 2, N = 5, D = 3, Dv = 4;
  NDArray v(DType::F64, {B, Hkv, N, Dv});
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hkv; ++h)
      for (int64_t j = 0; j < N; ++j)
        for (int64_t d = 0; d < Dv; ++d)
          put(v, {b, h, j, d}, 10.0 * b + 3.0 * h + d - 1.5);
  EVAL(out, spec,
       qkv(randn({B, Hq, N, D}, 1), randn({B, Hkv, N, D}, 2), std::move(v)));
  EXPECT_EQ(out.output.dtype(), DType::F64);
  EXPECT_FALSE(out.lse.has_value());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hq; ++h)
      for (int64_t i = 0; i < N; ++i)
        for (int64_t d = 0; d < Dv; ++d)
          EXPECT_NEAR(at(out.output, {b, h, i, d}),
                      10.0 * b + 3.0 * (h / 2) + d - 1.5, 1e-12);
}

TEST(Reference, SingleKeyGivesItsValueRowAndScoreAsLse) {
  PARSE(spec, specText("scale(0.5)"));
  NDArray q = randn({1, 2, 3, 4}, 3), k = randn({1, 2, 1, 4}, 4),
          v = randn({1, 2, 1, 5}, 5);
  EVAL(out, spec, qkv(q, k, v));
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < 3; ++i) {
      double dot = 0;
      for (int64_t d = 0; d < 4; ++d)
        dot += at(q, {0, h, i, d}) * at(k, {0, h, 0, d});
      EXPECT_NEAR(at(*out.lse, {0, h, i}), 0.5 * dot, 1e-12);
      for (int64_t d = 0; d < 5; ++d)
        EXPECT_NEAR(at(out.output, {0, h, i, d}), at(v, {0, h, 0, d}), 1e-12);
    }
}

TEST(Reference, SoftmaxOfTwoKeysByHand) {
  PARSE(spec, specText(""));
  // D = 2, default scale 1/sqrt(2): s = [1/sqrt(2), 0].
  Inputs in =
      qkv(array({1, 1, 1, 2}, {1, 0}), array({1, 1, 2, 2}, {1, 0, 0, 1}),
          array({1, 1, 2, 1}, {3, -1}));
  EVAL(out, spec, in);
  double e = std::exp(1 / std::sqrt(2.0));
  EXPECT_NEAR(at(out.output, {0, 0, 0, 0}), (3 * e - 1) / (e + 1), 1e-12);
  EXPECT_NEAR(at(*out.lse, {0, 0, 0}), std::log(e + 1), 1e-12);
}

TEST(Reference, SoftmaxMatchesDirectSumWithRandomInputs) {
  PARSE(spec, specText(""));
  NDArray q = randn({2, 2, 3, 4}, 11), k = randn({2, 2, 5, 4}, 12),
          v = randn({2, 2, 5, 3}, 13);
  EVAL(out, spec, qkv(q, k, v));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < 3; ++i) {
        std::vector<double> e(5);
        double sum = 0;
        for (int64_t j = 0; j < 5; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < 4; ++d)
            dot += at(q, {b, h, i, d}) * at(k, {b, h, j, d});
          sum += e[j] = std::exp(dot / 2.0);
        }
        EXPECT_NEAR(at(*out.lse, {b, h, i}), std::log(sum), 1e-12);
        for (int64_t d = 0; d < 3; ++d) {
          double o = 0;
          for (int64_t j = 0; j < 5; ++j)
            o += e[j] / sum * at(v, {b, h, j, d});
          EXPECT_NEAR(at(out.output, {b, h, i, d}), o, 1e-12);
        }
      }
}

TEST(Reference, GroupedQueryHeadMapping) {
  PARSE(spec, specText(""));
  // Hq = 6, Hkv = 2: heads 0-2 read kv head 0, heads 3-5 kv head 1.
  NDArray v = array({1, 2, 1, 2}, {1, 2, -5, 7});
  EVAL(out, spec, qkv(randn({1, 6, 2, 3}, 1), randn({1, 2, 1, 3}, 2), v));
  for (int64_t h = 0; h < 6; ++h)
    for (int64_t i = 0; i < 2; ++i) {
      EXPECT_EQ(at(out.output, {0, h, i, 0}), h < 3 ? 1.0 : -5.0) << h;
      EXPECT_EQ(at(out.output, {0, h, i, 1}), h < 3 ? 2.0 : 7.0) << h;
    }

  // Several keys: the kv head also selects the key rows.
  NDArray q = randn({1, 4, 2, 3}, 21), k = randn({1, 2, 3, 3}, 22),
          v2 = randn({1, 2, 3, 2}, 23);
  EVAL(out2, spec, qkv(q, k, v2));
  for (int64_t h = 0; h < 4; ++h)
    for (int64_t i = 0; i < 2; ++i) {
      double e[3], sum = 0;
      for (int64_t j = 0; j < 3; ++j) {
        double dot = 0;
        for (int64_t d = 0; d < 3; ++d)
          dot += at(q, {0, h, i, d}) * at(k, {0, h / 2, j, d});
        sum += e[j] = std::exp(dot / std::sqrt(3.0));
      }
      for (int64_t d = 0; d < 2; ++d) {
        double o = 0;
        for (int64_t j = 0; j < 3; ++j)
          o += e[j] / sum * at(v2, {0, h / 2, j, d});
        EXPECT_NEAR(at(out2.output, {0, h, i, d}), o, 1e-12) << h;
      }
    }
}

TEST(Reference, CausalIsBottomRightAligned) {
  // Nq = 2, Nk = 5: row 0 sees keys 0..3, row 1 keys 0..4.
  checkKeptSet("mask(#attn.causal)", 1, 2, 1, 2, 5,
               [](int64_t, int64_t, int64_t i, int64_t j) {
                 return j <= (i == 0 ? 3 : 4);
               });
}

TEST(Reference, FullyMaskedRowsGiveZeroAndNegativeInfinityLse) {
  // Nq = 4 > Nk = 2 under causal: rows 0 and 1 have no key.
  PARSE(spec, specText("mask(#attn.causal)"));
  EVAL(out, spec,
       qkv(randn({1, 1, 4, 3}, 1), randn({1, 1, 2, 3}, 2),
           randn({1, 1, 2, 3}, 3)));
  for (int64_t i = 0; i < 4; ++i) {
    for (int64_t d = 0; d < 3; ++d) {
      double o = at(out.output, {0, 0, i, d});
      if (i < 2)
        EXPECT_EQ(o, 0.0) << i;
      else
        EXPECT_NE(o, 0.0) << i;
    }
    if (i < 2)
      EXPECT_EQ(at(*out.lse, {0, 0, i}), -kInf) << i;
    else
      EXPECT_TRUE(std::isfinite(at(*out.lse, {0, 0, i}))) << i;
  }
  // A mask that keeps nothing at all.
  checkKeptSet(
      "mask(#attn.not<#attn.full>)", 1, 1, 1, 2, 3,
      [](int64_t, int64_t, int64_t, int64_t) { return false; }, "", nullptr,
      /*nonTrivial=*/false);
}

//===----------------------------------------------------------------------===//
// Mask attributes: kept sets against direct enumerations
//===----------------------------------------------------------------------===//

TEST(Reference, PositionalMaskKeptSets) {
  const int64_t Nq = 5, Nk = 8, off = Nk - Nq;
  checkKeptSet(
      "mask(#attn.window<left = 2, right = 1>)", 1, 1, 1, Nq, Nk,
      [&](int64_t, int64_t, int64_t i, int64_t j) {
        std::set<int64_t> w{i + off - 2, i + off - 1, i + off, i + off + 1};
        return w.count(j) > 0;
      });
  checkKeptSet("mask(#attn.sinks<3>)", 1, 1, 1, Nq, Nk,
               [](int64_t, int64_t, int64_t, int64_t j) { return j <= 2; });
  checkKeptSet("mask(#attn.dilated<3>)", 1, 1, 1, Nq, Nk,
               [&](int64_t, int64_t, int64_t i, int64_t j) {
                 int64_t p = i + off;
                 for (int64_t t = -9; t <= 9; ++t)
                   if (j == p + 3 * t)
                     return true;
                 return false;
               });
  checkKeptSet("mask(#attn.chunked<3>)", 1, 1, 1, Nq, Nk,
               [&](int64_t, int64_t, int64_t i, int64_t j) {
                 // chunks {0,1,2}, {3,4,5}, {6,7}
                 auto chunk = [](int64_t x) {
                   return x < 3 ? 0 : x < 6 ? 1 : 2;
                 };
                 return chunk(i + off) == chunk(j);
               });
  checkKeptSet("mask(#attn.prefix_lm<5>)", 1, 1, 1, Nq, Nk,
               [&](int64_t, int64_t, int64_t i, int64_t j) {
                 return j < 5 || j <= i + off;
               });
  checkKeptSet(
      "mask(#attn.full)", 1, 1, 1, Nq, Nk,
      [](int64_t, int64_t, int64_t, int64_t) { return true; }, "", nullptr,
      /*nonTrivial=*/false);
}

TEST(Reference, StridedMaskMatchesS2AttentionShards) {
  // S2-Attention: head h keeps key blocks J with (J + h*sigma + 1) mod S == 0.
  const int64_t S = 3, sigma = 1, block = 2;
  checkKeptSet("mask(#attn.strided<stride = 3, block = 2, offset = -1, "
               "head_step = -1>)",
               1, 3, 1, 2, 12, [&](int64_t, int64_t h, int64_t, int64_t j) {
                 return (j / block + h * sigma + 1) % S == 0;
               });
  checkKeptSet("mask(#attn.strided<stride = 2>)", 1, 2, 2, 2, 6,
               [](int64_t, int64_t, int64_t, int64_t j) { return j % 2 == 0; });
}

TEST(Reference, LogicalAndPerHeadMasks) {
  // StreamingLLM: causal and (sink or recent window).
  checkKeptSet("mask(#attn.and<[#attn.causal, #attn.or<[#attn.sinks<1>, "
               "#attn.window<left = 1, right = 0>]>]>)",
               1, 1, 1, 6, 6, [](int64_t, int64_t, int64_t i, int64_t j) {
                 return j == 0 || j == i || j == i - 1;
               });
  checkKeptSet("mask(#attn.not<#attn.causal>)", 1, 1, 1, 4, 4,
               [](int64_t, int64_t, int64_t i, int64_t j) { return j > i; });
  checkKeptSet("mask(#attn.per_head<masks = [#attn.causal, #attn.sinks<2>], "
               "heads = [1, 0, 0]>)",
               1, 3, 1, 4, 4, [](int64_t, int64_t h, int64_t i, int64_t j) {
                 return h == 0 ? j < 2 : j <= i;
               });
  checkKeptSet("mask(#attn.per_head<masks = [#attn.causal, #attn.sinks<1>, "
               "#attn.full]>)",
               1, 3, 3, 3, 3, [](int64_t, int64_t h, int64_t i, int64_t j) {
                 return h == 0 ? j <= i : h == 1 ? j == 0 : true;
               });
}

TEST(Reference, DocumentMaskUsesSegmentIds) {
  std::vector<double> qs = {0, 0, 1, 1, 7, 7, 7, 2};       // [2, 4]
  std::vector<double> ks = {0, 1, 1, 0, 1, 7, 7, 2, 2, 7}; // [2, 5]
  checkKeptSet(
      "segment_ids(%qs, %ks : tensor<?x?xi64>, tensor<?x?xi64>) "
      "mask(#attn.document)",
      2, 1, 1, 4, 5,
      [&](int64_t b, int64_t, int64_t i, int64_t j) {
        return qs[b * 4 + i] == ks[b * 5 + j];
      },
      ", %qs: tensor<?x?xi64>, %ks: tensor<?x?xi64>",
      [&](Inputs &in) {
        in[OperandRole::QSegmentIds] = array({2, 4}, qs, DType::I64);
        in[OperandRole::KvSegmentIds] = array({2, 5}, ks, DType::I64);
      });
}

TEST(Reference, BlockSparseMaskUsesRawQueryBlocks) {
  // Nq = 3, Nk = 7, blocks 2 x 3: layout [1 (batch broadcast), 2, 2, 3].
  std::vector<double> layout = {1, 0, 1, 0, 1, 0, /*head 1*/ 0, 0, 1, 1, 1, 0};
  checkKeptSet(
      "block_layout(%bl : tensor<?x?x?x?xi8>) "
      "mask(#attn.block_sparse<block_q = 2, block_kv = 3>)",
      2, 2, 1, 3, 7,
      [&](int64_t, int64_t h, int64_t i, int64_t j) {
        return layout[(h * 2 + i / 2) * 3 + j / 3] != 0;
      },
      ", %bl: tensor<?x?x?x?xi8>",
      [&](Inputs &in) {
        in[OperandRole::BlockLayout] = array({1, 2, 2, 3}, layout, DType::I8);
      });
}

TEST(Reference, NeighborhoodMask1D) {
  // n = 6, k = 3: shifted at the borders, always 3 keys.
  Table n6k3 = {{0, 1, 2}, {0, 1, 2}, {1, 2, 3},
                {2, 3, 4}, {3, 4, 5}, {3, 4, 5}};
  checkKeptSet("mask(#attn.neighborhood<grid = [6], kernel = [3]>)", 1, 1, 1, 6,
               6, [&](int64_t, int64_t, int64_t i, int64_t j) {
                 return inTable(n6k3, i, j);
               });
  // n = 7, k = 3, d = 2: groups {0,2,4,6} (L = 4) and {1,3,5} (L = 3).
  Table n7k3d2 = {{0, 2, 4}, {1, 3, 5}, {0, 2, 4}, {1, 3, 5},
                  {2, 4, 6}, {1, 3, 5}, {2, 4, 6}};
  checkKeptSet("mask(#attn.neighborhood<grid = [-1], kernel = [3], "
               "dilation = [2]>)",
               1, 1, 1, 7, 7, [&](int64_t, int64_t, int64_t i, int64_t j) {
                 return inTable(n7k3d2, i, j);
               });
}

TEST(Reference, NeighborhoodMask2DAnd3DRowMajor) {
  Table causal4k2 = {{0}, {0, 1}, {1, 2}, {2, 3}};
  Table n6k2d2 = {{0, 2}, {1, 3}, {0, 2}, {1, 3}, {2, 4}, {3, 5}};
  Table n2k1 = {{0}, {1}};
  Table n6k3 = {{0, 1, 2}, {0, 1, 2}, {1, 2, 3},
                {2, 3, 4}, {3, 4, 5}, {3, 4, 5}};
  // grid [4, 6] with the second extent inferred.
  checkKeptSet("mask(#attn.neighborhood<grid = [4, -1], kernel = [2, 2], "
               "dilation = [1, 2], causal = [true, false]>)",
               1, 1, 1, 24, 24, [&](int64_t, int64_t, int64_t i, int64_t j) {
                 return inTable(causal4k2, i / 6, j / 6) &&
                        inTable(n6k2d2, i % 6, j % 6);
               });
  checkKeptSet("mask(#attn.neighborhood<grid = [4, 2, 6], kernel = [2, 1, 3], "
               "causal = [true, false, false]>)",
               1, 1, 1, 48, 48, [&](int64_t, int64_t, int64_t i, int64_t j) {
                 return inTable(causal4k2, i / 12, j / 12) &&
                        inTable(n2k1, i / 6 % 2, j / 6 % 2) &&
                        inTable(n6k3, i % 6, j % 6);
               });
}

//===----------------------------------------------------------------------===//
// Score modifications and bias
//===----------------------------------------------------------------------===//

TEST(Reference, SoftcapByHand) {
  PARSE(spec, specText("score_mods([#attn.softcap<5.0>]) scale(1.0)"));
  // D = 1: s = q * k = [6, -1.5, 0].
  Inputs in = qkv(array({1, 1, 1, 1}, {2}), array({1, 1, 3, 1}, {3, -0.75, 0}),
                  identityValues(1, 1, 3));
  EVAL(out, spec, in);
  double s[3] = {5 * std::tanh(6 / 5.0), 5 * std::tanh(-1.5 / 5.0), 0};
  double sum = std::exp(s[0]) + std::exp(s[1]) + std::exp(s[2]);
  for (int64_t j = 0; j < 3; ++j)
    EXPECT_NEAR(at(out.output, {0, 0, 0, j}), std::exp(s[j]) / sum, 1e-12);
  EXPECT_NEAR(at(*out.lse, {0, 0, 0}), std::log(sum), 1e-12);
}

TEST(Reference, AlibiDefaultSlopesFollowPressEtAl) {
  // get_slopes(4) and get_slopes(6) from the reference implementation.
  std::vector<std::vector<double>> slopes = {
      {1 / 4.0, 1 / 16.0, 1 / 64.0, 1 / 256.0},
      {1 / 4.0, 1 / 16.0, 1 / 64.0, 1 / 256.0, 1 / 2.0, 1 / 8.0}};
  for (const std::vector<double> &m : slopes) {
    int64_t Hq = m.size(), Nq = 2, Nk = 4;
    SCOPED_TRACE(Hq);
    PARSE(spec, specText("score_mods([#attn.alibi])"));
    EVAL(out, spec,
         qkv(array({1, Hq, Nq, 2}), randn({1, 1, Nk, 2}, 3),
             identityValues(1, 1, Nk)));
    for (int64_t h = 0; h < Hq; ++h)
      for (int64_t i = 0; i < Nq; ++i) {
        int64_t p = i + Nk - Nq;
        double sum = 0;
        for (int64_t j = 0; j < Nk; ++j)
          sum += std::exp(-m[h] * std::abs(p - j));
        for (int64_t j = 0; j < Nk; ++j)
          EXPECT_NEAR(at(out.output, {0, h, i, j}),
                      std::exp(-m[h] * std::abs(p - j)) / sum, 1e-12)
              << "h=" << h << " i=" << i << " j=" << j;
      }
  }
}

TEST(Reference, AlibiSlopesOperandAndSoftcapOrder) {
  PARSE(spec, specText("alibi_slopes(%m : tensor<?xf32>) score_mods("
                       "[#attn.alibi, #attn.softcap<2.0>]) scale(1.0)",
                       true, ", %m: tensor<?xf32>"));
  // D = 1, q = 1, k = [1, 0, 2]: s = k, then - m_h |i - j|, then softcap.
  Inputs in = qkv(array({1, 2, 3, 1}, {1, 1, 1, 1, 1, 1}),
                  array({1, 1, 3, 1}, {1, 0, 2}), identityValues(1, 1, 3));
  in[OperandRole::AlibiSlopes] = array({2}, {0.5, 3.0});
  EVAL(out, spec, in);
  double k[3] = {1, 0, 2}, m[2] = {0.5, 3.0};
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < 3; ++i) {
      double e[3], sum = 0;
      for (int64_t j = 0; j < 3; ++j) {
        double s = k[j] - m[h] * std::abs(i - j);
        sum += e[j] = std::exp(2 * std::tanh(s / 2));
      }
      for (int64_t j = 0; j < 3; ++j)
        EXPECT_NEAR(at(out.output, {0, h, i, j}), e[j] / sum, 1e-12)
            << "h=" << h << " i=" << i << " j=" << j;
    }
}

TEST(Reference, BiasBroadcastsOverExtentOneDims) {
  // bias [1, 1, Nq, Nk] shared by batches and heads; Q = 0.
  PARSE(spec, specText("bias(%bias : tensor<1x1x?x?xf32>)", true,
                       ", %bias: tensor<1x1x?x?xf32>"));
  Inputs in =
      qkv(array({2, 2, 2, 3}), randn({2, 1, 3, 3}, 1), identityValues(2, 1, 3));
  std::vector<double> bias = {0.5, -1, 2, 0, 1, -3};
  in[OperandRole::Bias] = array({1, 1, 2, 3}, bias);
  EVAL(out, spec, in);
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < 2; ++i) {
        double sum = 0;
        for (int64_t j = 0; j < 3; ++j)
          sum += std::exp(bias[i * 3 + j]);
        EXPECT_NEAR(at(*out.lse, {b, h, i}), std::log(sum), 1e-12);
        for (int64_t j = 0; j < 3; ++j)
          EXPECT_NEAR(at(out.output, {b, h, i, j}),
                      std::exp(bias[i * 3 + j]) / sum, 1e-12);
      }
}

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

/// Runs `normalization` on s = [-2, 0.5, 3, 1] with key 3 masked (sinks<3>)
/// and returns the weights (V = identity).
std::vector<double> weightsFor(const std::string &normalization) {
  std::unique_ptr<Spec> spec = parseSpec(specText(
      "mask(#attn.sinks<3>) normalization(" + normalization + ") scale(1.0)",
      false));
  EXPECT_TRUE(spec->op) << spec->diagnostics;
  if (!spec->op)
    return {};
  llvm::Expected<Outputs> out =
      evaluate(spec->op, qkv(array({1, 1, 1, 1}, {1}),
                             array({1, 1, 4, 1}, {-2, 0.5, 3, 1}),
                             identityValues(1, 1, 4)));
  if (!out) {
    ADD_FAILURE() << llvm::toString(out.takeError());
    return {};
  }
  return out->output.toDoubles();
}

void expectWeights(const std::string &normalization,
                   std::vector<double> expected) {
  SCOPED_TRACE(normalization);
  std::vector<double> w = weightsFor(normalization);
  ASSERT_EQ(w.size(), expected.size());
  for (size_t j = 0; j < w.size(); ++j)
    EXPECT_NEAR(w[j], expected[j], 1e-12) << "j=" << j;
}

TEST(Reference, ElementwiseNormalizations) {
  auto sigmoid = [](double x) { return 1 / (1 + std::exp(-x)); };
  auto softplus = [](double x) { return std::log(1 + std::exp(x)); };
  expectWeights("#attn.normalize<sigmoid>",
                {sigmoid(-2), sigmoid(0.5), sigmoid(3), 0});
  expectWeights("#attn.normalize<sigmoid, bias = -1.0>",
                {sigmoid(-3), sigmoid(-0.5), sigmoid(2), 0});
  expectWeights("#attn.normalize<softplus>",
                {softplus(-2), softplus(0.5), softplus(3), 0});
  expectWeights("#attn.normalize<relu>", {0, 0.5, 3, 0});
  expectWeights("#attn.normalize<identity>", {-2, 0.5, 3, 0});
}

TEST(Reference, L1Renormalization) {
  auto softplus = [](double x) { return std::log(1 + std::exp(x)); };
  double sp = softplus(-2) + softplus(0.5) + softplus(3);
  expectWeights("#attn.normalize<softplus, l1>",
                {softplus(-2) / sp, softplus(0.5) / sp, softplus(3) / sp, 0});
  expectWeights("#attn.normalize<relu, l1>", {0, 0.5 / 3.5, 3 / 3.5, 0});
  expectWeights("#attn.normalize<identity, l1>",
                {-2 / 1.5, 0.5 / 1.5, 3 / 1.5, 0});

  // A relu row whose kept scores are all negative sums to 0: output 0.
  PARSE(spec,
        specText("normalization(#attn.normalize<relu, l1>) scale(1.0)", false));
  EVAL(out, spec,
       qkv(array({1, 1, 2, 1}, {-1, 1}), array({1, 1, 2, 1}, {1, 2}),
           array({1, 1, 2, 1}, {5, 7})));
  EXPECT_EQ(at(out.output, {0, 0, 0, 0}), 0.0);
  EXPECT_NEAR(at(out.output, {0, 0, 1, 0}), (5 + 2 * 7) / 3.0, 1e-12);
}

//===----------------------------------------------------------------------===//
// Regions
//===----------------------------------------------------------------------===//

TEST(Reference, RegionMaskReadsCaptureAndIsAndedWithAttribute) {
  // keep = causal and allow[j] != 0 and j < dim(allow, 0) - 1.
  std::vector<double> allow = {1, 0, 1, 1, 1};
  checkKeptSet(R"(captures(%a : tensor<?xi32>) mask(#attn.causal) mask_fn {
    ^bb0(%bb: index, %hh: index, %ii: index, %jj: index, %cap: tensor<?xi32>):
      %x = tensor.extract %cap[%jj] : tensor<?xi32>
      %z = arith.constant 0 : i32
      %ne = arith.cmpi ne, %x, %z : i32
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %n = tensor.dim %cap, %c0 : tensor<?xi32>
      %last = arith.subi %n, %c1 : index
      %before = arith.cmpi ult, %jj, %last : index
      %r = arith.andi %ne, %before : i1
      attn.yield %r : i1
    })",
               1, 1, 1, 5, 5,
               [&](int64_t, int64_t, int64_t i, int64_t j) {
                 return j <= i && allow[j] != 0 && j < 4;
               },
               ", %a: tensor<?xi32>",
               [&](Inputs &in) {
                 in.captures.push_back(array({5}, allow, DType::I32));
               });
}

TEST(Reference, RegionReadsDenseConstantTable) {
  checkKeptSet(R"(mask_fn {
    ^bb0(%bb: index, %hh: index, %ii: index, %jj: index):
      %table = arith.constant dense<[[true, false, false, true, true],
                                     [false, true, true, false, true]]> : tensor<2x5xi1>
      %keep = tensor.extract %table[%ii, %jj] : tensor<2x5xi1>
      attn.yield %keep : i1
    })",
               1, 2, 1, 2, 5, [](int64_t, int64_t, int64_t i, int64_t j) {
                 return i == 0 ? (j == 0 || j >= 3)
                               : (j == 1 || j == 2 || j == 4);
               });
}

TEST(Reference, RegionScoreModReadsCaptures) {
  // s' = s * t[h] + (i - j) / 2 + rel[h, j] on s = q * k (D = 1, scale 1).
  PARSE(
      spec,
      specText(
          R"(captures(%t, %rel : tensor<?xf32>, tensor<?x?xf32>) scale(1.0) score_mod {
    ^bb0(%s: f32, %bb: index, %hh: index, %ii: index, %jj: index, %cap: tensor<?xf32>, %relcap: tensor<?x?xf32>):
      %temp = tensor.extract %cap[%hh] : tensor<?xf32>
      %m = arith.mulf %s, %temp : f32
      %d = arith.subi %ii, %jj : index
      %di = arith.index_cast %d : index to i64
      %df = arith.sitofp %di : i64 to f32
      %half = arith.constant 0.5 : f32
      %f = math.fma %df, %half, %m : f32
      %rb = tensor.extract %relcap[%hh, %jj] : tensor<?x?xf32>
      %r = arith.addf %f, %rb : f32
      attn.yield %r : f32
    })",
          true, ", %t: tensor<?xf32>, %rel: tensor<?x?xf32>"));
  NDArray q = array({1, 2, 2, 1}, {1, -0.5, 2, 0.25});
  NDArray k = array({1, 1, 3, 1}, {0.5, -1, 2});
  Inputs in = qkv(q, k, identityValues(1, 1, 3));
  std::vector<double> temp = {2, -0.5};
  in.captures.push_back(array({2}, temp));
  std::vector<double> rel = {0.25, -1, 0, 3, 0.5, -2};
  in.captures.push_back(array({2, 3}, rel));
  EVAL(out, spec, in);
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < 2; ++i) {
      double e[3], sum = 0;
      for (int64_t j = 0; j < 3; ++j)
        sum += e[j] =
            std::exp(at(q, {0, h, i, 0}) * at(k, {0, 0, j, 0}) * temp[h] +
                     (i - j) * 0.5 + rel[h * 3 + j]);
      EXPECT_NEAR(at(*out.lse, {0, h, i}), std::log(sum), 1e-12);
      for (int64_t j = 0; j < 3; ++j)
        EXPECT_NEAR(at(out.output, {0, h, i, j}), e[j] / sum, 1e-12)
            << "h=" << h << " i=" << i << " j=" << j;
    }
}

TEST(Reference, RegionFloatOpsSelectAndCmpf) {
  // One key: lse is the final score. For s < 0: s; else
  // max(log1p(exp(2s)), s) + i.
  PARSE(spec, specText(R"(scale(1.0) score_mod {
    ^bb0(%s: f32, %bb: index, %hh: index, %ii: index, %jj: index):
      %two = arith.constant 2.0 : f32
      %zero = arith.constant 0.0 : f32
      %a = arith.mulf %s, %two : f32
      %e = math.exp %a : f32
      %l = math.log1p %e : f32
      %m = arith.maximumf %l, %s : f32
      %i64 = arith.index_castui %ii : index to i64
      %fi = arith.uitofp %i64 : i64 to f32
      %r = arith.addf %m, %fi : f32
      %neg = arith.cmpf olt, %s, %zero : f32
      %out = arith.select %neg, %s, %r : f32
      attn.yield %out : f32
    })"));
  std::vector<double> qs = {-1, 0, 0.5, 2};
  EVAL(out, spec,
       qkv(array({1, 1, 4, 1}, qs), array({1, 1, 1, 1}, {1}),
           array({1, 1, 1, 1}, {1})));
  for (int64_t i = 0; i < 4; ++i) {
    double s = qs[i];
    double expected = s < 0 ? s : std::max(std::log1p(std::exp(2 * s)), s) + i;
    EXPECT_NEAR(at(*out.lse, {0, 0, i}), expected, 1e-12) << i;
  }
}

TEST(Reference, RegionIntegerOpsWrapAtTheirWidth) {
  // j * 2^31 wraps to 0 in i32 for even j (it never does in i64).
  checkKeptSet(R"(mask_fn {
    ^bb0(%bb: index, %hh: index, %ii: index, %jj: index):
      %j32 = arith.index_cast %jj : index to i32
      %big = arith.constant -2147483648 : i32
      %p = arith.muli %j32, %big : i32
      %z = arith.constant 0 : i32
      %eq = arith.cmpi eq, %p, %z : i32
      attn.yield %eq : i1
    })",
               1, 1, 1, 2, 6,
               [](int64_t, int64_t, int64_t, int64_t j) { return j % 2 == 0; });
  // (j + 125) truncated to i8 is negative from j = 3 on; floordivsi rounds
  // towards -inf (divsi would give 0 for j - 4 = -1).
  checkKeptSet(R"(mask_fn {
    ^bb0(%bb: index, %hh: index, %ii: index, %jj: index):
      %c125 = arith.constant 125 : index
      %s = arith.addi %jj, %c125 : index
      %t = arith.index_cast %s : index to i8
      %z = arith.constant 0 : i8
      %pos = arith.cmpi sge, %t, %z : i8
      %c4 = arith.constant 4 : index
      %c2 = arith.constant 2 : index
      %d = arith.subi %jj, %c4 : index
      %f = arith.floordivsi %d, %c2 : index
      %m1 = arith.constant -1 : index
      %isM1 = arith.cmpi eq, %f, %m1 : index
      %r = arith.ori %pos, %isM1 : i1
      attn.yield %r : i1
    })",
               1, 1, 1, 1, 6, [](int64_t, int64_t, int64_t, int64_t j) {
                 return j <= 2 || j == 2 || j == 3; // i8 sign, floordiv
               });
}

TEST(Reference, RegionUnsupportedOpIsAnError) {
  PARSE(spec, specText(R"(mask_fn {
    ^bb0(%bb: index, %hh: index, %ii: index, %jj: index):
      %x = arith.index_cast %jj : index to i32
      %c = math.ctpop %x : i32
      %z = arith.constant 0 : i32
      %r = arith.cmpi ne, %c, %z : i32
      attn.yield %r : i1
    })"));
  std::string err =
      evalError(*spec, qkv(array({1, 1, 1, 2}), array({1, 1, 2, 2}),
                           array({1, 1, 2, 2})));
  EXPECT_NE(err.find("unsupported op 'math.ctpop' in attn region at"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find(":5:"), std::string::npos) << err; // its line
}

TEST(Reference, RegionOutOfBoundsCaptureIsAnError) {
  PARSE(spec, specText(R"(captures(%a : tensor<?xf32>) score_mod {
    ^bb0(%s: f32, %bb: index, %hh: index, %ii: index, %jj: index, %cap: tensor<?xf32>):
      %x = tensor.extract %cap[%jj] : tensor<?xf32>
      %r = arith.addf %s, %x : f32
      attn.yield %r : f32
    })",
                       true, ", %a: tensor<?xf32>"));
  Inputs in =
      qkv(array({1, 1, 1, 2}), array({1, 1, 3, 2}), array({1, 1, 3, 2}));
  in.captures.push_back(array({2}, {0, 1}));
  std::string err = evalError(*spec, in);
  EXPECT_NE(err.find("tensor.extract index 2 out of range [0, 2)"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find(":4:"), std::string::npos) << err;
  EXPECT_NE(err.find("score_mod at b = 0, h = 0, i = 0, j = 2"),
            std::string::npos)
      << err;

  // With a long enough capture the same spec evaluates.
  in.captures[0] = array({3}, {0, 1, 2});
  EXPECT_TRUE(static_cast<bool>(evaluate(spec->op, in)));
}

TEST(Reference, RegionDivisionByZeroIsAnError) {
  PARSE(spec, specText(R"(mask_fn {
    ^bb0(%bb: index, %hh: index, %ii: index, %jj: index):
      %d = arith.subi %jj, %ii : index
      %quot = arith.divsi %ii, %d : index
      %z = arith.constant 0 : index
      %r = arith.cmpi sge, %quot, %z : index
      attn.yield %r : i1
    })"));
  std::string err =
      evalError(*spec, qkv(array({1, 1, 2, 2}), array({1, 1, 3, 2}),
                           array({1, 1, 3, 2})));
  EXPECT_NE(err.find("division by zero"), std::string::npos) << err;
  EXPECT_NE(err.find("i = 0, j = 0"), std::string::npos) << err;
}

TEST(Reference, RowsWhoseScoresAreAllNegativeInfinityGiveZero) {
  // score_mod sends every score of rows i >= 1 to -inf: like a masked row.
  PARSE(spec, specText(R"(score_mod {
    ^bb0(%s: f32, %bb: index, %hh: index, %ii: index, %jj: index):
      %c1 = arith.constant 1 : index
      %ninf = arith.constant 0xFF800000 : f32
      %late = arith.cmpi uge, %ii, %c1 : index
      %r = arith.select %late, %ninf, %s : f32
      attn.yield %r : f32
    })"));
  EVAL(out, spec,
       qkv(randn({1, 1, 3, 2}, 1), randn({1, 1, 4, 2}, 2),
           randn({1, 1, 4, 3}, 3)));
  EXPECT_TRUE(std::isfinite(at(*out.lse, {0, 0, 0})));
  EXPECT_NE(at(out.output, {0, 0, 0, 0}), 0.0);
  for (int64_t i = 1; i < 3; ++i) {
    EXPECT_EQ(at(*out.lse, {0, 0, i}), -kInf) << i;
    for (int64_t d = 0; d < 3; ++d)
      EXPECT_EQ(at(out.output, {0, 0, i, d}), 0.0) << i; // not NaN
  }
}

//===----------------------------------------------------------------------===//
// Input validation
//===----------------------------------------------------------------------===//

TEST(Reference, InputValidationErrors) {
  PARSE(dyn, specText(""));
  std::string err = evalError(
      *dyn, qkv(array({1, 1, 2, 4}), array({2, 1, 2, 4}), array({2, 1, 2, 4})));
  EXPECT_NE(err.find("key shape [2, 1, 2, 4] does not match query"),
            std::string::npos)
      << err;
  err = evalError(
      *dyn, qkv(array({1, 3, 2, 4}), array({1, 2, 2, 4}), array({1, 2, 2, 4})));
  EXPECT_NE(err.find("multiple of key/value heads"), std::string::npos) << err;
  err = evalError(
      *dyn, qkv(array({1, 1, 2}), array({1, 1, 2, 4}), array({1, 1, 2, 4})));
  EXPECT_NE(err.find("query must have rank 4"), std::string::npos) << err;

  PARSE(fixed, "func.func @f(%q: tensor<1x1x2x4xf32>, %k: tensor<1x1x3x4xf32>,"
               " %v: tensor<1x1x3x4xf32>) {\n"
               "  %o = attn.attention %q, %k, %v : tensor<1x1x2x4xf32>, "
               "tensor<1x1x3x4xf32>, tensor<1x1x3x4xf32> -> "
               "tensor<1x1x2x4xf32>\n  return\n}\n");
  err = evalError(*fixed, qkv(array({1, 1, 3, 4}), array({1, 1, 3, 4}),
                              array({1, 1, 3, 4})));
  EXPECT_NE(err.find("query has shape [1, 1, 3, 4] but the op's type is"),
            std::string::npos)
      << err;
  EXPECT_TRUE(static_cast<bool>(
      evaluate(fixed->op, qkv(array({1, 1, 2, 4}), array({1, 1, 3, 4}),
                              array({1, 1, 3, 4})))));

  PARSE(biased, specText("bias(%bias : tensor<?x?x?x?xf32>)", false,
                         ", %bias: tensor<?x?x?x?xf32>"));
  Inputs in =
      qkv(array({1, 1, 2, 4}), array({1, 1, 3, 4}), array({1, 1, 3, 4}));
  err = evalError(*biased, in);
  EXPECT_NE(err.find("the op has a bias operand but no array"),
            std::string::npos)
      << err;
  in[OperandRole::Bias] = array({1, 1, 2, 2});
  err = evalError(*biased, in);
  EXPECT_NE(err.find("bias has shape [1, 1, 2, 2]"), std::string::npos) << err;

  err = evalError(*dyn, [] {
    Inputs i =
        qkv(array({1, 1, 2, 4}), array({1, 1, 3, 4}), array({1, 1, 3, 4}));
    i.captures.push_back(array({1}));
    return i;
  }());
  EXPECT_NE(err.find("the op has 0 captures but 1 arrays"), std::string::npos)
      << err;
}

} // namespace
