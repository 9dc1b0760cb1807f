//===- QuantizedScores.cpp - INT8 Q K^T in the GPU kernel -----------------===//
//
// See QuantizedScores.h. The semantics are attn_tile.load_quantized's and
// attn_tile.quantized_scores' (AttnTileOps.td), element by element, as
// convert-attn-tile-to-loops lowers them for the CPU.
//
//===----------------------------------------------------------------------===//

#include "QuantizedScores.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace attn;
using namespace attn::gpu_kernel;

Value attn::gpu_kernel::loadQuantizedValue(OpBuilder &b, Location loc,
                                           codegen::ScalarEmitter &e,
                                           Value mem, Value batch, Value head,
                                           Value row, Value x, Value inside) {
  Type i8 = b.getI8Type();
  Value v = memref::LoadOp::create(b, loc, mem,
                                   ValueRange{batch, head, row, x});
  // -128 has no positive counterpart: the symmetric range reads it as -127.
  v = arith::MaxSIOp::create(b, loc, v,
                             arith::ConstantIntOp::create(b, loc, i8, -127));
  return e.select(inside, v, arith::ConstantIntOp::create(b, loc, i8, 0));
}

Value attn::gpu_kernel::quantizedRowScale(OpBuilder &b, Location loc,
                                          codegen::ScalarEmitter &e,
                                          const QuantizedRows &rows,
                                          Value scalesMem, Value batch,
                                          Value head, Value row,
                                          Value inside) {
  if (!scalesMem)
    return e.select(inside, e.f32(1.0), e.f32(0.0));
  auto type = cast<MemRefType>(scalesMem.getType());
  // Extent-1 dims broadcast; the token index is the row's block.
  Value block = arith::DivUIOp::create(b, loc, row, e.idx(rows.block));
  SmallVector<Value, 3> at = {batch, head, block};
  for (int64_t dim = 0; dim < 3; ++dim)
    if (type.getDimSize(dim) == 1)
      at[dim] = e.idx(0);
  Value s = e.toF32(memref::LoadOp::create(b, loc, scalesMem, at));
  return e.select(inside, s, e.f32(0.0));
}

Value attn::gpu_kernel::dequantizedScore(OpBuilder &b, Location loc,
                                         codegen::ScalarEmitter &e, Value dot,
                                         Value sq, Value sk, double scale) {
  Value s = arith::SIToFPOp::create(b, loc, b.getF32Type(), dot);
  s = arith::MulFOp::create(b, loc, s, sq);
  s = arith::MulFOp::create(b, loc, s, sk);
  return arith::MulFOp::create(b, loc, s, e.f32(scale));
}

Value attn::gpu_kernel::multiplyAccumulateBytes(OpBuilder &b, Location loc,
                                                Value q, Value k, Value acc) {
  Type i32 = b.getI32Type();
  Value product =
      arith::MulIOp::create(b, loc, arith::ExtSIOp::create(b, loc, i32, q),
                            arith::ExtSIOp::create(b, loc, i32, k));
  return arith::AddIOp::create(b, loc, acc, product);
}

Value attn::gpu_kernel::loadDotWord(OpBuilder &b, Location loc, Value tile,
                                    Value row, Value col) {
  // The alignment lets the GPU read the word with one ld.shared.b32 (an
  // unaligned vector<4xi8> load is split into bytes).
  return vector::LoadOp::create(
      b, loc, VectorType::get({kDotBytes}, b.getI8Type()), tile,
      ValueRange{row, col}, /*nontemporal=*/false,
      llvm::MaybeAlign(kDotBytes));
}

Value attn::gpu_kernel::multiplyAccumulateWords(OpBuilder &b, Location loc,
                                                Value q, Value k, Value acc) {
  auto words = VectorType::get({kDotBytes}, b.getI32Type());
  Value product =
      arith::MulIOp::create(b, loc, arith::ExtSIOp::create(b, loc, words, q),
                            arith::ExtSIOp::create(b, loc, words, k));
  return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                     product, acc);
}
