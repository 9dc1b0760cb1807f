//===- BF16DotKernels.cpp - vdpbf16ps micro-kernels -----------------------===//
//
// See BF16DotKernels.h for the packed layouts. The register blocking is the
// f32 path's (3 key rows or value columns x nv query vectors): with 32
// AVX-512 registers it leaves room, and it keeps the two paths comparable.
//
// Packing moves bf16 bit patterns as i16: only the dot and conversion ops
// see bf16 vectors. Targets without avx512bf16 (the emulated kernels) would
// otherwise legalize bf16 selects and shuffles through f32 and back, with
// __truncsfbf2 libcalls the JIT cannot resolve.
//
//===----------------------------------------------------------------------===//

#include "BF16DotKernels.h"

#include "attn/Conversion/AttnCodegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"

using namespace mlir;
using namespace attn::cpu;

Value BF16DotEmitter::idx(int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

VectorType BF16DotEmitter::f32Vec() {
  return VectorType::get({s.width}, b.getF32Type());
}

VectorType BF16DotEmitter::pairVec() {
  return VectorType::get({2 * s.width}, b.getBF16Type());
}

VectorType BF16DotEmitter::bitsVec(int64_t n) {
  return VectorType::get({n}, b.getI16Type());
}

Value BF16DotEmitter::bits(Value bf16) {
  if (auto v = dyn_cast<VectorType>(bf16.getType()))
    return vector::BitCastOp::create(b, loc, bitsVec(v.getNumElements()),
                                     bf16);
  return arith::BitcastOp::create(b, loc, b.getI16Type(), bf16);
}

Value BF16DotEmitter::loadPairs(Value buffer, ValueRange indices) {
  Value raw = vector::LoadOp::create(b, loc, bitsVec(2 * s.width), buffer,
                                     indices);
  return vector::BitCastOp::create(b, loc, pairVec(), raw);
}

void BF16DotEmitter::forLoop(Value lb, Value ub, int64_t step,
                             function_ref<void(Value)> body) {
  scf::ForOp::create(b, loc, lb, ub, idx(step), ValueRange{},
                     [&](OpBuilder &, Location, Value iv, ValueRange) {
                       body(iv);
                       scf::YieldOp::create(b, loc);
                     });
}

Value BF16DotEmitter::broadcastPair(Value pair) {
  // vpbroadcastd: the pair travels as one i32.
  Value asI32 = vector::BitCastOp::create(
      b, loc, VectorType::get({1}, b.getI32Type()), pair);
  Value scalar =
      vector::ExtractOp::create(b, loc, asI32, ArrayRef<int64_t>{0});
  Value splat = vector::BroadcastOp::create(
      b, loc, VectorType::get({s.width}, b.getI32Type()), scalar);
  return vector::BitCastOp::create(b, loc, pairVec(), splat);
}

Value attn::cpu::allocateScratch(OpBuilder &b, Location loc, MemRefType type) {
  int64_t bytes = type.getNumElements() * type.getElementTypeBitWidth() / 8;
  IntegerAttr cacheLine = b.getI64IntegerAttr(64);
  if (bytes > kMaxStackScratchBytes)
    return memref::AllocOp::create(b, loc, type, cacheLine);
  return memref::AllocaOp::create(b, loc, type, cacheLine);
}

BF16DotScratch BF16DotEmitter::allocateScratch() {
  Type i16 = b.getI16Type();
  // 64-byte aligned like the f32 scratch: the pair loads are whole vectors.
  auto buffer = [&](int64_t rows, int64_t cols) -> Value {
    return attn::cpu::allocateScratch(b, loc,
                                      MemRefType::get({rows, cols}, i16));
  };
  return {buffer((s.d + 1) / 2, 2 * s.bq), buffer((s.bk + 1) / 2, 2 * s.bq),
          buffer((s.bk + 1) / 2, 2 * s.dv)};
}

void BF16DotEmitter::packQuery(const BF16DotScratch &scratch, Value qMem,
                               Value bb, Value h, Value q0) {
  codegen::ScalarEmitter e(b, loc);
  Value zero = arith::ConstantOp::create(b, loc, b.getI16IntegerAttr(0));
  forLoop(idx(0), idx((s.d + 1) / 2), 1, [&](Value d2) {
    forLoop(idx(0), idx(s.bq), 1, [&](Value i) {
      Value qi = e.addi(q0, i);
      Value inside = e.cmp(arith::CmpIPredicate::slt, qi, idx(s.nq));
      Value clamped = e.minsi(qi, idx(s.nq - 1));
      for (int64_t t = 0; t < 2; ++t) {
        Value d = e.addi(e.muli(d2, idx(2)), idx(t));
        Value valid =
            e.andi(inside, e.cmp(arith::CmpIPredicate::slt, d, idx(s.d)));
        Value x = bits(memref::LoadOp::create(
            b, loc, qMem,
            ValueRange{bb, h, clamped, e.minsi(d, idx(s.d - 1))}));
        memref::StoreOp::create(
            b, loc, e.select(valid, x, zero), scratch.qPairs,
            ValueRange{d2, e.addi(e.muli(i, idx(2)), idx(t))});
      }
    });
  });
}

void BF16DotEmitter::emitQKMicroKernel(const BF16DotScratch &scratch,
                                       Value kMem, Value bb, Value hk, Value k0,
                                       Value rowOffset, int64_t rows,
                                       double scale, Value st) {
  codegen::ScalarEmitter e(b, loc);
  int64_t nv = s.nv, W = s.width;
  SmallVector<Value> keyRows, tileRows;
  for (int64_t r = 0; r < rows; ++r) {
    Value tileRow = e.addi(rowOffset, idx(r));
    tileRows.push_back(tileRow);
    keyRows.push_back(e.minsi(e.addi(k0, tileRow), idx(s.nk - 1)));
  }
  auto pairType = VectorType::get({2}, b.getBF16Type());
  // One d-pair step; `lastOdd`: the pair (K[j, D-1], 0) of an odd D, whose
  // second element lies outside the row.
  auto step = [&](Value d2, ValueRange acc, bool lastOdd) {
    SmallVector<Value> next(acc.begin(), acc.end());
    SmallVector<Value> kb;
    for (int64_t r = 0; r < rows; ++r) {
      Value pair;
      if (lastOdd) {
        Value x = bits(memref::LoadOp::create(
            b, loc, kMem, ValueRange{bb, hk, keyRows[r], idx(s.d - 1)}));
        Value zero = arith::ConstantOp::create(b, loc, b.getI16IntegerAttr(0));
        pair = vector::FromElementsOp::create(b, loc, bitsVec(2),
                                              ValueRange{x, zero});
      } else {
        pair = vector::LoadOp::create(
            b, loc, pairType, kMem,
            ValueRange{bb, hk, keyRows[r], e.muli(d2, idx(2))});
      }
      kb.push_back(broadcastPair(pair));
    }
    for (int64_t v = 0; v < nv; ++v) {
      Value qv = loadPairs(scratch.qPairs, ValueRange{d2, idx(2 * v * W)});
      for (int64_t r = 0; r < rows; ++r)
        next[r * nv + v] = x86vector::DotBF16Op::create(
            b, loc, next[r * nv + v], qv, kb[r]);
    }
    return next;
  };
  Value zeroV = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(f32Vec(), b.getF32FloatAttr(0.0)));
  SmallVector<Value> init(rows * nv, zeroV);
  auto loop = scf::ForOp::create(
      b, loc, idx(0), idx(s.d / 2), idx(1), init,
      [&](OpBuilder &, Location, Value d2, ValueRange acc) {
        scf::YieldOp::create(b, loc, step(d2, acc, /*lastOdd=*/false));
      });
  SmallVector<Value> acc(loop.getResults().begin(), loop.getResults().end());
  if (s.d % 2)
    acc = step(idx(s.d / 2), acc, /*lastOdd=*/true);
  // Q is packed unscaled (bf16-exact): scale the scores instead.
  Value scaleV = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(f32Vec(), b.getF32FloatAttr(scale)));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t v = 0; v < nv; ++v)
      vector::StoreOp::create(
          b, loc, arith::MulFOp::create(b, loc, acc[r * nv + v], scaleV), st,
          ValueRange{tileRows[r], idx(v * W)});
}

void BF16DotEmitter::packPV(const BF16DotScratch &scratch, Value st,
                            Value vMem, Value bb, Value hv, Value k0,
                            Value cols) {
  codegen::ScalarEmitter e(b, loc);
  int64_t W = s.width;
  auto halfType = VectorType::get({W}, b.getBF16Type());
  Value zeroHalf = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(bitsVec(W), b.getI16IntegerAttr(0)));
  // P^T rows past `cols` hold exact zeros (masked weights), so whole key
  // pairs are packed; only an odd tile-kv needs a zero row.
  auto packP = [&](Value j2, bool lastOdd) {
    for (int64_t v = 0; v < s.nv; ++v) {
      auto row = [&](int64_t t) -> Value {
        Value f = vector::LoadOp::create(
            b, loc, f32Vec(), st,
            ValueRange{e.addi(e.muli(j2, idx(2)), idx(t)), idx(v * W)});
        return bits(
            x86vector::CvtPackedF32ToBF16Op::create(b, loc, halfType, f));
      };
      Value lo = row(0), hi = lastOdd ? zeroHalf : row(1);
      vector::StoreOp::create(b, loc,
                              vector::InterleaveOp::create(b, loc, lo, hi),
                              scratch.pPairs, ValueRange{j2, idx(2 * v * W)});
    }
  };
  forLoop(idx(0), idx(s.bk / 2), 1, [&](Value j2) { packP(j2, false); });
  if (s.bk % 2)
    packP(idx(s.bk / 2), true);

  // V pairs for the key pairs the PV kernel reads; keys at or past `cols`
  // are zero (an odd tile-kv or the sequence end).
  Value pairs = arith::DivUIOp::create(b, loc, e.addi(cols, idx(1)), idx(2));
  Value zero = arith::ConstantOp::create(b, loc, b.getI16IntegerAttr(0));
  forLoop(idx(0), pairs, 1, [&](Value j2) {
    Value rows[2], valid[2];
    for (int64_t t = 0; t < 2; ++t) {
      Value j = e.addi(e.muli(j2, idx(2)), idx(t));
      valid[t] = e.cmp(arith::CmpIPredicate::slt, j, cols);
      rows[t] = e.minsi(e.addi(k0, j), idx(s.nk - 1));
    }
    if (s.dv % W == 0) {
      for (int64_t c = 0; c < s.dv; c += W) {
        Value half[2];
        for (int64_t t = 0; t < 2; ++t)
          half[t] = e.select(
              valid[t],
              bits(vector::LoadOp::create(b, loc, halfType, vMem,
                                          ValueRange{bb, hv, rows[t], idx(c)})),
              zeroHalf);
        vector::StoreOp::create(
            b, loc, vector::InterleaveOp::create(b, loc, half[0], half[1]),
            scratch.vPairs, ValueRange{j2, idx(2 * c)});
      }
      return;
    }
    forLoop(idx(0), idx(s.dv), 1, [&](Value c) {
      for (int64_t t = 0; t < 2; ++t) {
        Value x = bits(memref::LoadOp::create(b, loc, vMem,
                                              ValueRange{bb, hv, rows[t], c}));
        memref::StoreOp::create(
            b, loc, e.select(valid[t], x, zero), scratch.vPairs,
            ValueRange{j2, e.addi(e.muli(c, idx(2)), idx(t))});
      }
    });
  });
}

void BF16DotEmitter::emitPVMicroKernel(const BF16DotScratch &scratch,
                                       Value ot, Value cols, Value alphaBuf,
                                       Value colOffset, int64_t count) {
  codegen::ScalarEmitter e(b, loc);
  int64_t nv = s.nv, W = s.width;
  SmallVector<Value> columns;
  for (int64_t c = 0; c < count; ++c)
    columns.push_back(e.addi(colOffset, idx(c)));
  SmallVector<Value> init;
  for (int64_t c = 0; c < count; ++c)
    for (int64_t v = 0; v < nv; ++v) {
      Value alpha = vector::LoadOp::create(b, loc, f32Vec(), alphaBuf,
                                           ValueRange{idx(v * W)});
      Value o = vector::LoadOp::create(b, loc, f32Vec(), ot,
                                       ValueRange{columns[c], idx(v * W)});
      init.push_back(arith::MulFOp::create(b, loc, o, alpha));
    }
  Value pairs = arith::DivUIOp::create(b, loc, e.addi(cols, idx(1)), idx(2));
  auto loop = scf::ForOp::create(
      b, loc, idx(0), pairs, idx(1), init,
      [&](OpBuilder &, Location, Value j2, ValueRange acc) {
        SmallVector<Value> next(acc.begin(), acc.end());
        SmallVector<Value> vb;
        for (int64_t c = 0; c < count; ++c)
          vb.push_back(broadcastPair(vector::LoadOp::create(
              b, loc, bitsVec(2), scratch.vPairs,
              ValueRange{j2, e.muli(columns[c], idx(2))})));
        for (int64_t v = 0; v < nv; ++v) {
          Value pv = loadPairs(scratch.pPairs, ValueRange{j2, idx(2 * v * W)});
          for (int64_t c = 0; c < count; ++c)
            next[c * nv + v] = x86vector::DotBF16Op::create(
                b, loc, next[c * nv + v], pv, vb[c]);
        }
        scf::YieldOp::create(b, loc, next);
      });
  for (int64_t c = 0; c < count; ++c)
    for (int64_t v = 0; v < nv; ++v)
      vector::StoreOp::create(b, loc, loop.getResult(c * nv + v), ot,
                              ValueRange{columns[c], idx(v * W)});
}
