//===- LinearKernel.cpp - the pre-mapping linear-attention kernel ---------===//
//
// A LinearSpec -> one block-level scf.forall over (batch, head, slice of W
// value columns), each holding its chunk tiles and the carried state in
// shared memory, with sibling thread-level scf.foralls as stages (a barrier
// is implied between siblings, as in the FlashAttention-2 kernel of
// GPUKernel.cpp, whose building blocks it shares: KernelBuilder.h).
//
// Causal (chunked) form, per block, chunks of C keys in order:
//   load:   phi(q) * scale, phi(k) (0 past Nk), V's W columns (0 past Nk,
//           and with l1 a column of ones: the key sum z is the state's
//           last column, the weight sum the output's)
//   scores: S[i][j] = q_i . k_j * lambda^(i - j) for j <= i (0 above the
//           diagonal)
//   output: O[i][c] = sum_j S[i][j] V[j][c] + lambda^(i + 1) q_i . state[:, c]
//   state:  state = lambda^n state + sum_{j < n} lambda^(n - 1 - j) k_j V_j
//           (n the chunk's keys)
//   store:  out = O (/ the weight sum with l1, * the gate), rows in range
// Global form: every key chunk into the state (no decay), then per query
// chunk O = q . state and the store.
//
// A decay constant per (batch, head) is taken in log space like the CPU's
// prefix sums: every factor is exp(d log lambda) with 0 <= d <= C, so no
// factor exceeds 1 and none depends on the position in the sequence.
//
// A data-dependent decay (one per key position, Mamba-2) or a gate per key
// channel (GLA) is a per-chunk prefix sum L[i] (L[i][x] per channel) of the
// log decays of the chunk's keys 0..i, in shared memory (the CPU's f64
// prefix over the sequence, differenced, is the same L relative to the
// chunk's start). Every factor is exp of a difference that is <= 0 for
// decays <= 1:
//   scores: S[i][j] = q_i . k_j exp(L[i] - L[j])   (per token), or
//           sum_x q_i[x] k_j[x] exp(L[i][x] - L[j][x])   (per channel: the
//           CPU's direct form; the factorization q e^L times k e^-L would
//           overflow f32 for gates near 0)
//   then, in place (the chunk's products are done):
//           q_i[x] *= exp(L[i][x]),  k_j[x] *= exp(L[n-1][x] - L[j][x])
//   output: O[i][c] = sum_j S[i][j] V[j][c] + q_i . state[:, c]
//   state:  state[x][c] = exp(L[n-1][x]) state[x][c] + sum_j k_j[x] V[j][c]
// (x = 0 for all channels per token).
//
// Maps of whole rows (hedgehog, taylor2, the row softmax) read raw rows
// from shared memory in a stage of their own (after the softmax's row
// statistics) and write F features per row: the state has F rows. The
// rms_norm epilogue needs whole rows in a block (W = Dv) and a stage of row
// factors before the store; element-wise gates are read per (row, column).
//
//===----------------------------------------------------------------------===//

#include "LinearKernel.h"
#include "KernelBuilder.h"

#include "attn/Conversion/SoftmaxMath.h"

#include "../AttnToGPU/WarpMMA.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cmath>

using namespace mlir;
using namespace attn;
using namespace attn::codegen;
using namespace attn::gpu_kernel;

namespace {

/// The kernel's tiles: C keys (and queries) per chunk, W value columns per
/// block, Wa = W plus the column of ones with l1.
struct LinearConfig {
  int64_t chunk = 0, width = 0, threads = 128;
  bool ones = false;
  /// The chunk's two products (scores, scores x V) on tensor cores: 16-bit
  /// copies of phi(q), phi(k), V and the decayed scores, f32 accumulation
  /// (causal form, 16-bit inputs, chunks of a multiple of 16).
  bool tensorCores = false;
  /// The columns of the per-chunk log-decay prefix L: 1 per token, D per
  /// channel, 0 without (or with a constant) decay.
  int64_t gateCols = 0;
  /// Maps of whole rows: the raw rows of each expanded side ([C][D] each,
  /// `headDim` = D) and the softmax statistics ([C][2]) of those that are
  /// softmax.
  int64_t headDim = 0, rawSides = 0, softmaxSides = 0;
  /// The rms_norm epilogue: each row's factor [C] (W = Dv).
  bool rowNorm = false;
  int64_t widthAug() const { return width + (ones ? 1 : 0); }
  /// The columns the loads write: D and Wa, padded with zeros to the mma
  /// shape (k = 16, n = 8) on tensor cores.
  int64_t dCols(int64_t d) const { return tensorCores ? (d + 15) / 16 * 16 : d; }
  int64_t wCols() const {
    return tensorCores ? (widthAug() + 7) / 8 * 8 : widthAug();
  }
  /// S's row stride: one padding column (SIMT), two on tensor cores (the
  /// 8-byte aligned fragment stores).
  int64_t sStride() const { return chunk + (tensorCores ? 2 : 1); }
  /// Shared bytes (d: the features F, D without a map of whole rows): Q
  /// [C][F'], K [C][F'+1], V and O [C][W'], S (causal), the state [F][Wa],
  /// L [C][G], the raw rows and statistics, the row norms, and on tensor
  /// cores the 16-bit Q, K [C][F'+8], V [C][W'+8] and P [C][C+8]; each
  /// 16-byte aligned.
  int64_t sharedBytes(int64_t d, bool causal) const {
    auto align = [](int64_t bytes) { return (bytes + 15) / 16 * 16; };
    int64_t c = chunk, dc = dCols(d), wc = wCols();
    int64_t bytes = align(4 * c * dc) + align(4 * c * (dc + 1)) +
                    2 * align(4 * c * wc) +
                    (causal ? align(4 * c * sStride()) : 0) +
                    align(4 * d * widthAug()) + align(4 * c * gateCols) +
                    rawSides * align(4 * c * headDim) +
                    softmaxSides * align(4 * c * 2) +
                    (rowNorm ? align(4 * c) : 0);
    if (tensorCores)
      bytes += 2 * align(2 * c * (dc + 8)) + align(2 * c * (wc + 8)) +
               align(2 * c * (c + 8));
    return bytes;
  }
};

class LinearLowering : public KernelBuilder {
public:
  LinearLowering(const LinearSpec &spec, LinearConfig cfg);
  LogicalResult run();

private:
  /// Rows `r0 + i` of Q (phi, times the scale) into qs; rows outside
  /// [0, Nq) read 0 before phi (never written out).
  void loadQueries(Value t, Value r0);
  /// Keys and values `k0 + j` into ks and vs, 0 past Nk (so that padding
  /// never reaches the state), the column of ones with l1.
  void loadKeysValues(Value t, Value k0);
  /// phi(k) of keys `k0 + j` into ks (0 past Nk).
  void loadKeys(Value t, Value k0);
  /// Rows `first + i` of a tensor (Q or K, `rows` long) into the raw
  /// buffer of its map of whole rows (0 outside [0, rows)).
  void loadRaw(Value t, Value mem, Value head, Value first, int64_t rows,
               Value raw);
  /// The maps of whole rows of the chunk's queries (rows r0 + i) and keys
  /// (k0 + j) that `queries` and `keys` ask for, from the raw rows: the
  /// softmax statistics, then the features into qs (times the scale) and
  /// ks (0 past Nk), and their 16-bit copies.
  void expandStages(Value r0, Value k0, bool queries, bool keys);
  /// Feature f of raw row i.
  Value expandedFeature(const LinearSpec::Expansion &x, Value raw,
                        Value stats, Value i, Value f);
  /// phi(x) of the map, or x.
  Value phi(std::optional<FeatureMapKind> map, Value x) {
    return map ? e.featureMap(*map, x) : x;
  }
  /// lambda^d = exp(d log lambda) for an index d >= 0 (1 without a
  /// constant decay).
  Value decayPow(Value d);
  /// The chunk's log decays log a[k0 + j] into L (0 past Nk: the padding
  /// keys keep L at its last key's).
  void loadDecays(Value t, Value k0);
  /// L[j] = the sum of the log decays of the chunk's keys 0..j, per column.
  void prefixStage();
  /// L[i][x] (x the channel; column 0 per token).
  Value logDecayAt(Value i, Value x) {
    return load(prefix, {i, cfg.gateCols == 1 ? idx(0) : x});
  }
  /// The decay of the chunk's keys j+1..i for j <= i (a scalar decay):
  /// lambda^(i-j) or exp(L[i] - L[j]); 1 without decay or with channels.
  Value decayBetween(Value i, Value j);
  /// The chunk's scores of row i and key j <= i: q_i . k_j, per channel
  /// gated, times decayBetween.
  Value chunkScore(Value i, Value j);
  /// Q and K rescaled in place by the decays from the state and to the
  /// chunk's end (data-dependent decays, after the chunk's scores).
  void decayFactorStage(Value k0);
  /// q_i . row x of a [.][F(+1)] buffer.
  Value dot(Value a, Value i, Value bBuf, Value j);
  /// The chunk's scores (causal form).
  void scoreStage();
  /// O[i][c] for the chunk: the state's part (causal: decayed since the
  /// state, plus the chunk's own keys).
  void outputStage(bool causal);
  /// The state (and key sum) folds the chunk's n = min(C, Nk - k0) keys.
  void stateStage(Value k0);
  /// O[i][c] divided by the row's weight sum with l1 (0 for a row without
  /// weight), else as is.
  Value normalized(Value i, Value c);
  /// The rms_norm factor of each row of the chunk, 1 / sqrt(mean_c o^2 +
  /// eps) over its Dv columns (all in this block).
  void rowNormStage();
  /// out rows r0 + i that are in range (times the row's epilogue factor
  /// and the gate).
  void storeStage(Value r0);
  /// Rows [0, Nq - Nk) of the slice: no key reaches them.
  void zeroLeadingRows();

  const LinearSpec &spec;
  LinearConfig cfg;
  SoftmaxMath sm;
  int64_t Hq, Nq, D, F, Hkv, Hv, Nk, Dv, C, W, Wa;
  Value qMem, kMem, vMem, outBuffer;
  // The work item: batch, query head, key and value heads, first column.
  Value bb, h, hk, hv, col0, logDecay;
  Value qs, ks, vs, ss, os, state, prefix;
  // Maps of whole rows: the raw Q and K rows, their softmax statistics.
  Value qRaw, kRaw, qStats, kStats;
  // The rms_norm factor of each row.
  Value rowNorms;
  // Tensor cores: the 16-bit copies (the input type) and the decayed
  // scores P; the padded columns.
  Value qh, kh, vh, ph;
  Type inElem;
  int64_t Dc = 0, Wc = 0;
};

} // namespace

LinearLowering::LinearLowering(const LinearSpec &spec, LinearConfig cfg)
    : KernelBuilder(spec.root, cfg.threads), spec(spec), cfg(cfg),
      sm(b, loc, [this](Value x) { return exp(x); }) {
  auto qType = cast<RankedTensorType>(spec.query.getType());
  auto kType = cast<RankedTensorType>(spec.key.getType());
  auto vType = cast<RankedTensorType>(spec.value.getType());
  Hq = qType.getDimSize(1), Nq = qType.getDimSize(2), D = qType.getDimSize(3);
  F = featureCount(spec.queryExpansion, D);
  Hkv = kType.getDimSize(1), Nk = kType.getDimSize(2);
  Hv = vType.getDimSize(1), Dv = vType.getDimSize(3);
  C = cfg.chunk, W = cfg.width, Wa = cfg.widthAug();
  Dc = cfg.dCols(F), Wc = cfg.wCols();
  inElem = qType.getElementType();
}

Value LinearLowering::decayPow(Value d) {
  if (!logDecay)
    return e.f32(1.0);
  Value df = arith::UIToFPOp::create(
      b, loc, b.getF32Type(),
      arith::IndexCastUIOp::create(b, loc, b.getI32Type(), d));
  return exp(mulf(df, logDecay));
}

Value LinearLowering::dot(Value a, Value i, Value bBuf, Value j) {
  return reduce(F, e.f32(0.0), [&](Value x, Value acc) {
    return math::FmaOp::create(b, loc, load(a, {i, x}), load(bBuf, {j, x}),
                               acc);
  });
}

void LinearLowering::loadRaw(Value t, Value mem, Value head, Value first,
                             int64_t rows, Value raw) {
  using P = arith::CmpIPredicate;
  forLoop(t, idx(C * D), cfg.threads, [&](Value x) {
    Value i = divui(x, D), d = remui(x, D);
    Value row = e.addi(first, i);
    Value inside =
        e.andi(e.cmp(P::sge, row, idx(0)), e.cmp(P::slt, row, idx(rows)));
    Value clamped = e.maxsi(e.minsi(row, idx(rows - 1)), idx(0));
    Value v = e.toF32(load(mem, {bb, head, clamped, d}));
    store(e.select(inside, v, e.f32(0.0)), raw, {i, d});
  });
}

void LinearLowering::loadQueries(Value t, Value r0) {
  if (qRaw)
    return loadRaw(t, qMem, h, r0, Nq, qRaw);
  forLoop(t, idx(C * Dc), cfg.threads, [&](Value x) {
    Value i = divui(x, Dc), d = remui(x, Dc);
    Value qi = e.addi(r0, i);
    using P = arith::CmpIPredicate;
    Value inside =
        e.andi(e.cmp(P::sge, qi, idx(0)), e.cmp(P::slt, qi, idx(Nq)));
    Value row = e.maxsi(e.minsi(qi, idx(Nq - 1)), idx(0));
    Value v = e.toF32(load(qMem, {bb, h, row, e.minsi(d, idx(D - 1))}));
    v = e.select(inside, v, e.f32(0.0));
    v = mulf(phi(spec.queryMap, v), e.f32(spec.scale));
    // The mma's padding columns are 0 (phi(0) need not be).
    if (Dc != D)
      v = e.select(e.cmp(P::slt, d, idx(D)), v, e.f32(0.0));
    store(v, qs, {i, d});
    if (qh)
      store(arith::TruncFOp::create(b, loc, inElem, v), qh, {i, d});
  });
}

void LinearLowering::loadKeys(Value t, Value k0) {
  using P = arith::CmpIPredicate;
  forLoop(t, idx(C * Dc), cfg.threads, [&](Value x) {
    Value j = divui(x, Dc), d = remui(x, Dc);
    Value kj = e.addi(k0, j);
    Value inside = e.cmp(P::slt, kj, idx(Nk));
    if (Dc != D)
      inside = e.andi(inside, e.cmp(P::slt, d, idx(D)));
    Value v = e.toF32(load(kMem, {bb, hk, e.minsi(kj, idx(Nk - 1)),
                                  e.minsi(d, idx(D - 1))}));
    v = e.select(inside, phi(spec.keyMap, v), e.f32(0.0));
    store(v, ks, {j, d});
    if (kh)
      store(arith::TruncFOp::create(b, loc, inElem, v), kh, {j, d});
  });
}

void LinearLowering::loadKeysValues(Value t, Value k0) {
  using P = arith::CmpIPredicate;
  if (kRaw)
    loadRaw(t, kMem, hk, k0, Nk, kRaw);
  else
    loadKeys(t, k0);
  forLoop(t, idx(C * Wc), cfg.threads, [&](Value x) {
    Value j = divui(x, Wc), c = remui(x, Wc);
    Value kj = e.addi(k0, j);
    Value col = e.addi(col0, c);
    Value inside = e.andi(e.cmp(P::slt, kj, idx(Nk)), e.cmp(P::slt, c, idx(W)));
    inside = e.andi(inside, e.cmp(P::slt, col, idx(Dv)));
    Value v = ifElse(
        inside,
        [&] {
          return e.toF32(load(vMem, {bb, hv, e.minsi(kj, idx(Nk - 1)),
                                     e.minsi(col, idx(Dv - 1))}));
        },
        e.f32(0.0));
    if (cfg.ones) // the key sum's column: 1 for the keys in range
      v = e.select(e.andi(e.cmp(P::eq, c, idx(W)), e.cmp(P::slt, kj, idx(Nk))),
                   e.f32(1.0), v);
    store(v, vs, {j, c});
    if (vh)
      store(arith::TruncFOp::create(b, loc, inElem, v), vh, {j, c});
  });
}

Value LinearLowering::expandedFeature(const LinearSpec::Expansion &x,
                                      Value raw, Value stats, Value i,
                                      Value f) {
  using P = arith::CmpIPredicate;
  Value last = idx(D - 1);
  if (x.kind == FeatureMapKind::Softmax) {
    Value v = load(raw, {i, e.minsi(f, last)});
    Value shifted = arith::SubFOp::create(b, loc, v, load(stats, {i, idx(0)}));
    return mulf(exp(shifted), load(stats, {i, idx(1)}));
  }
  if (x.kind == FeatureMapKind::Taylor2) {
    // 1, x, then x_a x_c / sqrt(2); every index clamped into the row, the
    // selects pick the term.
    Value linearEnd = idx(1 + D);
    Value lin = load(raw, {i, e.minsi(e.maxsi(e.subi(f, idx(1)), idx(0)),
                                      last)});
    Value u = e.maxsi(e.subi(f, linearEnd), idx(0));
    Value a = e.minsi(divui(u, D), last);
    Value product = mulf(mulf(load(raw, {i, a}), load(raw, {i, remui(u, D)})),
                         e.f32(1.0 / std::sqrt(2.0)));
    Value v = e.select(e.cmp(P::slt, f, linearEnd), lin, product);
    return e.select(e.cmp(P::eq, f, idx(0)), e.f32(1.0), v);
  }
  // hedgehog: u = W[h, g] . x + b[h, g] (g = f mod F/2: the weight's F
  // rows), exp(u) for the first half of the features, exp(-u) for the
  // other.
  int64_t half = F / 2;
  Value second = e.cmp(P::sge, f, idx(half));
  Value g = e.minsi(e.select(second, e.subi(f, idx(half)), f), idx(half - 1));
  Value bias = e.toF32(e.extractBroadcast(x.bias, {h, g}));
  Value u = reduce(D, bias, [&](Value c, Value acc) {
    Value w = e.toF32(e.extractBroadcast(x.weight, {h, g, c}));
    return math::FmaOp::create(b, loc, w, load(raw, {i, c}), acc);
  });
  return exp(e.select(second, arith::NegFOp::create(b, loc, u), u));
}

void LinearLowering::expandStages(Value r0, Value k0, bool queries,
                                  bool keys) {
  using P = arith::CmpIPredicate;
  struct Side {
    const LinearSpec::Expansion *x;
    Value raw, stats, out, half;
    bool query;
  };
  SmallVector<Side> sides;
  if (queries && qRaw)
    sides.push_back({&*spec.queryExpansion, qRaw, qStats, qs, qh, true});
  if (keys && kRaw)
    sides.push_back({&*spec.keyExpansion, kRaw, kStats, ks, kh, false});
  if (sides.empty())
    return;
  // The softmax's row maximum and 1 / sum (a sum in column order, as the
  // CPU's).
  if (llvm::any_of(sides, [](const Side &s) { return s.stats; }))
    threadForall(cfg.threads, [&](Value t) {
      for (const Side &side : sides) {
        if (!side.stats)
          continue;
        forLoop(t, idx(C), cfg.threads, [&](Value i) {
          Value m = reduce(D, e.f32(-INFINITY), [&](Value c, Value acc) {
            return arith::MaximumFOp::create(b, loc, acc,
                                             load(side.raw, {i, c}));
          });
          Value sum = reduce(D, e.f32(0.0), [&](Value c, Value acc) {
            Value v = arith::SubFOp::create(b, loc, load(side.raw, {i, c}), m);
            return addf(acc, exp(v));
          });
          store(m, side.stats, {i, idx(0)});
          store(arith::DivFOp::create(b, loc, e.f32(1.0), sum), side.stats,
                {i, idx(1)});
        });
      }
    });
  threadForall(cfg.threads, [&](Value t) {
    for (const Side &side : sides)
      forLoop(t, idx(C * Dc), cfg.threads, [&](Value x) {
        Value i = divui(x, Dc), f = remui(x, Dc);
        Value v = expandedFeature(*side.x, side.raw, side.stats, i, f);
        if (side.query) {
          v = mulf(v, e.f32(spec.scale));
        } else {
          // Keys past Nk are 0 after the map: padding never reaches the
          // state.
          v = e.select(e.cmp(P::slt, e.addi(k0, i), idx(Nk)), v, e.f32(0.0));
        }
        // The mma's padding columns are 0.
        if (Dc != F)
          v = e.select(e.cmp(P::slt, f, idx(F)), v, e.f32(0.0));
        store(v, side.out, {i, f});
        if (side.half)
          store(arith::TruncFOp::create(b, loc, inElem, v), side.half, {i, f});
      });
  });
}

void LinearLowering::scoreStage() {
  if (qh) {
    // S = phi(q) phi(k)^T on tensor cores, then P = the decayed scores below
    // the diagonal in the input type (0 above), for P V. Gates per channel
    // weigh the dot product's terms: those scores come from the f32 tiles
    // (SIMT), only P V runs on tensor cores.
    bool gated = cfg.gateCols > 1;
    if (!gated)
      gpu_codegen::emitWarpMatmul(b, loc, cfg.threads / 32,
                                  {qh, kh, ss, C, C, Dc, /*bIsNK=*/true,
                                   /*accumulate=*/false});
    threadLoop(C * C, [&](Value x) {
      Value i = divui(x, C), j = remui(x, C);
      Value below = e.cmp(arith::CmpIPredicate::ule, j, i);
      Value s = ifElse(
          below,
          [&] {
            return gated ? chunkScore(i, j)
                         : mulf(load(ss, {i, j}), decayBetween(i, j));
          },
          e.f32(0.0));
      store(arith::TruncFOp::create(b, loc, inElem, s), ph, {i, j});
    });
    return;
  }
  threadLoop(C * C, [&](Value x) {
    Value i = divui(x, C), j = remui(x, C);
    Value below = e.cmp(arith::CmpIPredicate::ule, j, i);
    Value s = ifElse(
        below, [&] { return chunkScore(i, j); }, e.f32(0.0));
    store(s, ss, {i, j});
  });
}

Value LinearLowering::decayBetween(Value i, Value j) {
  if (logDecay)
    return decayPow(e.subi(i, j));
  if (cfg.gateCols != 1)
    return e.f32(1.0);
  return exp(arith::SubFOp::create(b, loc, logDecayAt(i, idx(0)),
                                   logDecayAt(j, idx(0))));
}

Value LinearLowering::chunkScore(Value i, Value j) {
  if (cfg.gateCols <= 1)
    return mulf(dot(qs, i, ks, j), decayBetween(i, j));
  return reduce(F, e.f32(0.0), [&](Value x, Value acc) {
    Value gate = exp(arith::SubFOp::create(b, loc, logDecayAt(i, x),
                                           logDecayAt(j, x)));
    Value qk = mulf(load(qs, {i, x}), load(ks, {j, x}));
    return math::FmaOp::create(b, loc, qk, gate, acc);
  });
}

void LinearLowering::loadDecays(Value t, Value k0) {
  int64_t g = cfg.gateCols;
  forLoop(t, idx(C * g), cfg.threads, [&](Value x) {
    Value j = divui(x, g), channel = remui(x, g);
    Value kj = e.addi(k0, j);
    SmallVector<Value> at = {bb, h, e.minsi(kj, idx(Nk - 1))};
    if (g > 1)
      at.push_back(channel);
    Value a = e.toF32(e.extractBroadcast(spec.decay, at));
    Value inside = e.cmp(arith::CmpIPredicate::slt, kj, idx(Nk));
    store(e.select(inside, math::LogOp::create(b, loc, a), e.f32(0.0)),
          prefix, {j, channel});
  });
}

void LinearLowering::prefixStage() {
  // One thread per column walks the chunk (C <= 64 adds).
  threadLoop(cfg.gateCols, [&](Value x) {
    scf::ForOp::create(
        b, loc, idx(0), idx(C), idx(1), ValueRange{e.f32(0.0)},
        [&](OpBuilder &, Location, Value j, ValueRange acc) {
          Value sum = addf(acc[0], load(prefix, {j, x}));
          store(sum, prefix, {j, x});
          scf::YieldOp::create(b, loc, ValueRange{sum});
        });
  });
}

void LinearLowering::decayFactorStage(Value k0) {
  Value last = e.subi(e.minsi(idx(C), e.subi(idx(Nk), k0)), idx(1));
  threadLoop(C * F, [&](Value x) {
    Value i = divui(x, F), d = remui(x, F);
    Value li = logDecayAt(i, d);
    store(mulf(load(qs, {i, d}), exp(li)), qs, {i, d});
    Value toEnd = arith::SubFOp::create(b, loc, logDecayAt(last, d), li);
    store(mulf(load(ks, {i, d}), exp(toEnd)), ks, {i, d});
  });
}

void LinearLowering::outputStage(bool causal) {
  if (ph) {
    // O = P V on tensor cores (the chunk's keys), then the state's part.
    gpu_codegen::emitWarpMatmul(b, loc, cfg.threads / 32,
                                {ph, vh, os, C, Wc, C, /*bIsNK=*/false,
                                 /*accumulate=*/false});
    threadLoop(C * Wa, [&](Value x) {
      Value i = divui(x, Wa), c = remui(x, Wa);
      Value fromState = reduce(F, e.f32(0.0), [&](Value d, Value acc) {
        return math::FmaOp::create(b, loc, load(qs, {i, d}),
                                   load(state, {d, c}), acc);
      });
      fromState = mulf(fromState, decayPow(e.addi(i, idx(1))));
      store(addf(load(os, {i, c}), fromState), os, {i, c});
    });
    return;
  }
  threadLoop(C * Wa, [&](Value x) {
    Value i = divui(x, Wa), c = remui(x, Wa);
    // The state's part (decayed since the state: lambda^(i + 1)).
    Value fromState = reduce(F, e.f32(0.0), [&](Value d, Value acc) {
      return math::FmaOp::create(b, loc, load(qs, {i, d}), load(state, {d, c}),
                                 acc);
    });
    if (!causal) {
      store(fromState, os, {i, c});
      return;
    }
    fromState = mulf(fromState, decayPow(e.addi(i, idx(1))));
    // The chunk's own keys j <= i (S is 0 above the diagonal).
    auto loop = scf::ForOp::create(
        b, loc, idx(0), e.addi(i, idx(1)), idx(1), ValueRange{fromState},
        [&](OpBuilder &, Location, Value j, ValueRange acc) {
          scf::YieldOp::create(
              b, loc,
              ValueRange{math::FmaOp::create(b, loc, load(ss, {i, j}),
                                             load(vs, {j, c}), acc[0])});
        });
    store(loop.getResult(0), os, {i, c});
  });
}

void LinearLowering::stateStage(Value k0) {
  Value n = e.minsi(idx(C), e.subi(idx(Nk), k0));
  threadLoop(F * Wa, [&](Value x) {
    Value d = divui(x, Wa), c = remui(x, Wa);
    Value old = mulf(load(state, {d, c}), decayPow(n));
    if (prefix) // the chunk's decays, all of its keys
      old = mulf(old, exp(logDecayAt(e.subi(n, idx(1)), d)));
    auto loop = scf::ForOp::create(
        b, loc, idx(0), n, idx(1), ValueRange{old},
        [&](OpBuilder &, Location, Value j, ValueRange acc) {
          Value kv = mulf(load(ks, {j, d}), load(vs, {j, c}));
          if (logDecay)
            kv = mulf(kv, decayPow(e.subi(e.subi(n, idx(1)), j)));
          scf::YieldOp::create(b, loc, ValueRange{addf(acc[0], kv)});
        });
    store(loop.getResult(0), state, {d, c});
  });
}

Value LinearLowering::normalized(Value i, Value c) {
  Value o = load(os, {i, c});
  if (cfg.ones) // l1: the weight sum, 0 for a row without weight
    o = mulf(o, sm.reciprocalOrZero(load(os, {i, idx(W)})));
  return o;
}

void LinearLowering::rowNormStage() {
  threadLoop(C, [&](Value i) {
    Value squares = reduce(W, e.f32(0.0), [&](Value c, Value acc) {
      Value o = normalized(i, c);
      return math::FmaOp::create(b, loc, o, o, acc);
    });
    store(sm.rmsFactor(squares, e.f32(static_cast<double>(Dv)), *spec.rmsEps),
          rowNorms, {i});
  });
}

void LinearLowering::storeStage(Value r0) {
  Type elementType = cast<MemRefType>(outBuffer.getType()).getElementType();
  if (rowNorms)
    rowNormStage();
  threadLoop(C * W, [&](Value x) {
    Value i = divui(x, W), c = remui(x, W);
    Value qi = e.addi(r0, i), col = e.addi(col0, c);
    using P = arith::CmpIPredicate;
    Value inside =
        e.andi(e.andi(e.cmp(P::sge, qi, idx(0)), e.cmp(P::slt, qi, idx(Nq))),
               e.cmp(P::slt, col, idx(Dv)));
    ifThen(inside, [&] {
      Value o = normalized(i, c);
      if (rowNorms)
        o = mulf(o, load(rowNorms, {i}));
      if (Value gate = spec.outputGate) {
        SmallVector<Value> at = {bb, h, qi};
        if (cast<RankedTensorType>(gate.getType()).getRank() == 4)
          at.push_back(col); // one gate per element
        o = mulf(o, e.toF32(e.extractBroadcast(gate, at)));
      }
      if (!elementType.isF32())
        o = arith::TruncFOp::create(b, loc, elementType, o);
      store(o, outBuffer, {bb, h, qi, col});
    });
  });
}

void LinearLowering::zeroLeadingRows() {
  Type elementType = cast<MemRefType>(outBuffer.getType()).getElementType();
  int64_t rows = Nq - Nk;
  threadLoop(rows * W, [&](Value x) {
    Value i = divui(x, W), col = e.addi(col0, remui(x, W));
    ifThen(e.cmp(arith::CmpIPredicate::slt, col, idx(Dv)), [&] {
      store(arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType)),
            outBuffer, {bb, h, i, col});
    });
  });
}

LogicalResult LinearLowering::run() {
  auto outType = cast<RankedTensorType>(spec.output.getType());
  int64_t B = outType.getDimSize(0);
  int64_t slices = (Dv + W - 1) / W;
  qMem = readBuffer(b, loc, spec.query);
  kMem = readBuffer(b, loc, spec.key);
  vMem = readBuffer(b, loc, spec.value);
  outBuffer = memref::AllocOp::create(
      b, loc, MemRefType::get(outType.getShape(), outType.getElementType()));

  scf::ForallOp blocks = blockForall(B * Hq * slices);
  if (auto func = spec.root->getParentOfType<func::FuncOp>()) {
    func->setAttr("attn.gpu.tile_q", b.getI64IntegerAttr(C));
    func->setAttr("attn.gpu.tile_kv", b.getI64IntegerAttr(C));
    func->setAttr("attn.gpu.linear_chunk", b.getI64IntegerAttr(C));
    func->setAttr("attn.gpu.linear_columns", b.getI64IntegerAttr(W));
    if (cfg.tensorCores)
      func->setAttr("attn.gpu.tensor_cores", b.getUnitAttr());
  }
  blocks->setAttr("attn.gpu.linear_chunk", b.getI64IntegerAttr(C));
  blocks->setAttr("attn.gpu.threads", b.getI64IntegerAttr(cfg.threads));
  blocks->setAttr("attn.gpu.shared_bytes",
                  b.getI64IntegerAttr(cfg.sharedBytes(F, spec.causal)));

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(blocks.getBody()->getTerminator());
  Value item = blocks.getInductionVar(0);
  Value slice = remui(item, slices);
  Value bh = divui(item, slices);
  h = remui(bh, Hq);
  bb = divui(bh, Hq);
  hk = e.headIndex(spec.kHeadMap, idx(Hkv), idx(Hq), bb, h);
  hv = e.headIndex(spec.vHeadMap, idx(Hv), idx(Hq), bb, h);
  col0 = e.muli(slice, idx(W));
  if (spec.decay && decayForm(spec) == DecayForm::Constant)
    logDecay = math::LogOp::create(
        b, loc, e.toF32(e.extractBroadcast(spec.decay, {bb, h, idx(0)})));

  qs = sharedBuffer({C, Dc});
  ks = sharedBuffer({C, Dc + 1});
  vs = sharedBuffer({C, Wc});
  if (spec.causal)
    ss = sharedBuffer({C, cfg.sStride()});
  os = sharedBuffer({C, Wc});
  state = sharedBuffer({F, Wa});
  if (cfg.gateCols)
    prefix = sharedBuffer({C, cfg.gateCols});
  auto softmax = [](const std::optional<LinearSpec::Expansion> &x) {
    return x && x->kind == FeatureMapKind::Softmax;
  };
  if (spec.queryExpansion)
    qRaw = sharedBuffer({C, D});
  if (spec.keyExpansion)
    kRaw = sharedBuffer({C, D});
  if (softmax(spec.queryExpansion))
    qStats = sharedBuffer({C, 2});
  if (softmax(spec.keyExpansion))
    kStats = sharedBuffer({C, 2});
  if (cfg.rowNorm)
    rowNorms = sharedBuffer({C});
  if (cfg.tensorCores) {
    qh = sharedBuffer({C, Dc + 8}, inElem);
    kh = sharedBuffer({C, Dc + 8}, inElem);
    vh = sharedBuffer({C, Wc + 8}, inElem);
    ph = sharedBuffer({C, C + 8}, inElem);
  }

  threadLoop(F * Wa, [&](Value x) {
    store(e.f32(0.0), state, {divui(x, Wa), remui(x, Wa)});
  });
  if (spec.causal) {
    if (Nq > Nk)
      zeroLeadingRows();
    // Chunk k0's queries are the aligned positions of its keys.
    forLoop(idx(0), idx(Nk), C, [&](Value k0) {
      Value r0 = e.subi(k0, idx(Nk - Nq));
      threadForall(cfg.threads, [&](Value t) {
        loadQueries(t, r0);
        loadKeysValues(t, k0);
        if (prefix)
          loadDecays(t, k0);
      });
      expandStages(r0, k0, /*queries=*/true, /*keys=*/true);
      if (prefix)
        prefixStage();
      scoreStage();
      if (prefix)
        decayFactorStage(k0);
      outputStage(/*causal=*/true);
      stateStage(k0);
      storeStage(r0);
    });
  } else {
    forLoop(idx(0), idx(Nk), C, [&](Value k0) {
      threadForall(cfg.threads, [&](Value t) { loadKeysValues(t, k0); });
      expandStages(Value(), k0, /*queries=*/false, /*keys=*/true);
      stateStage(k0);
    });
    forLoop(idx(0), idx(Nq), C, [&](Value r0) {
      threadForall(cfg.threads, [&](Value t) { loadQueries(t, r0); });
      expandStages(r0, Value(), /*queries=*/true, /*keys=*/false);
      outputStage(/*causal=*/false);
      storeStage(r0);
    });
  }
  b.setInsertionPoint(blocks);
  replaceByBuffers(spec.root, {{spec.output, outBuffer}}, b);
  return success();
}

int64_t attn::gpu_kernel::featureCount(
    const std::optional<LinearSpec::Expansion> &expansion, int64_t d) {
  if (!expansion)
    return d;
  switch (expansion->kind) {
  case FeatureMapKind::Hedgehog:
    return 2 * cast<RankedTensorType>(expansion->weight.getType())
                   .getDimSize(1);
  case FeatureMapKind::Taylor2:
    return 1 + d + d * d;
  default:
    return d;
  }
}

DecayForm attn::gpu_kernel::decayForm(const LinearSpec &spec) {
  if (!spec.decay)
    return DecayForm::None;
  auto type = cast<RankedTensorType>(spec.decay.getType());
  if (type.getRank() == 4)
    return DecayForm::PerChannel;
  return type.getDimSize(2) == 1 ? DecayForm::Constant : DecayForm::PerToken;
}

LogicalResult
attn::gpu_kernel::buildLinearKernel(const LinearSpec &spec,
                                    const KernelOptions &options) {
  auto qType = cast<RankedTensorType>(spec.query.getType());
  auto vType = cast<RankedTensorType>(spec.value.getType());
  int64_t d = qType.getDimSize(3), dv = vType.getDimSize(3);
  LinearConfig cfg;
  cfg.threads = options.threads;
  cfg.ones = spec.l1;
  DecayForm form = decayForm(spec);
  cfg.gateCols = form == DecayForm::PerToken     ? 1
                 : form == DecayForm::PerChannel ? d
                                                 : 0;
  // The state's rows: the features of the query and key maps, which
  // attn-to-tile gives the same count (the verifier's rules); a gate per
  // channel weighs feature x with channel x (maps that keep D).
  int64_t features = featureCount(spec.queryExpansion, d);
  if (featureCount(spec.keyExpansion, d) != features ||
      (cfg.gateCols > 1 && features != d))
    return spec.root->emitError()
           << "the linear-attention kernel needs the query and key maps to "
              "give the same feature count (and D features with a gate per "
              "key channel), got "
           << features << " and " << featureCount(spec.keyExpansion, d);
  cfg.headDim = d;
  cfg.rowNorm = spec.rmsEps.has_value();
  for (const auto &x : {spec.queryExpansion, spec.keyExpansion}) {
    cfg.rawSides += x ? 1 : 0;
    cfg.softmaxSides += x && x->kind == FeatureMapKind::Softmax ? 1 : 0;
  }
  // Tensor cores for the chunk's products: 16-bit inputs, the causal form
  // (the global one has none), whole warps and chunks of a multiple of 16
  // (a given tile-kv that is not: the SIMT kernel).
  Type elem = qType.getElementType();
  cfg.tensorCores = options.useTensorCores && (elem.isF16() || elem.isBF16()) &&
                    spec.causal && options.threads % 32 == 0 &&
                    options.tileKv % 16 == 0;
  // W: the value columns of a block (the state's), at most 64 so that the
  // state of D = 128 leaves room for chunks of 32; fewer when nothing fits.
  // The row epilogue reads a whole row: W = Dv, however wide. Tensor cores
  // whose 16-bit copies leave no configuration that fits fall back to the
  // SIMT stages (a whole row of Dv = 128 with D = 128).
  auto fits = [&]() {
    SmallVector<int64_t> chunks =
        options.tileKv   ? SmallVector<int64_t>{options.tileKv}
        : cfg.tensorCores ? SmallVector<int64_t>{64, 32, 16}
                          : SmallVector<int64_t>{64, 32, 16, 8};
    for (int64_t width = cfg.rowNorm ? dv : std::min<int64_t>(dv, 64);
         width >= 1; width = width > 8 && !cfg.rowNorm ? width / 2 : 0) {
      cfg.width = width;
      for (int64_t chunk : chunks) {
        cfg.chunk = chunk;
        if (cfg.sharedBytes(features, spec.causal) <= options.maxSharedBytes)
          return true;
      }
      if (width <= 8 || cfg.rowNorm)
        break;
    }
    return false;
  };
  if (fits())
    return LinearLowering(spec, cfg).run();
  if (cfg.tensorCores) {
    cfg.tensorCores = false;
    if (fits())
      return LinearLowering(spec, cfg).run();
  }
  InFlightDiagnostic error = spec.root->emitError();
  error << "the linear-attention kernel needs "
        << cfg.sharedBytes(features, spec.causal)
        << " bytes of shared memory per block with chunks of " << cfg.chunk
        << " and " << cfg.width << " value columns (head dim " << d;
  if (features != d)
    error << ", " << features << " features";
  if (cfg.rowNorm)
    error << "; the row epilogue needs all " << dv
          << " value columns in one block";
  error << "), more than max-shared-bytes = " << options.maxSharedBytes;
  return failure();
}
