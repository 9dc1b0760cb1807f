//===- WarpMMA.cpp - warp-level tile products for tensor cores ------------===//

#include "WarpMMA.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

void attn::gpu_codegen::emitWarpMatmul(OpBuilder &b, Location loc,
                                       int64_t warps, const WarpMatmul &mm) {
  MLIRContext *ctx = b.getContext();
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  // MLIR 22's convert-vector-to-gpu pulls arith index ops (muli, addi, ...)
  // that compute a transfer index into the contraction's slice and then
  // fails on them ("unhandled vector to mma type"); affine.apply stays out
  // of the slice. So every computed index below is an affine.apply.
  auto apply = [&](AffineExpr expr, ValueRange operands) -> Value {
    return affine::AffineApplyOp::create(
        b, loc, AffineMap::get(operands.size(), 0, expr), operands);
  };
  Type aElem = cast<MemRefType>(mm.a.getType()).getElementType();
  Type bElem = cast<MemRefType>(mm.b.getType()).getElementType();
  Type f32 = b.getF32Type();
  auto aType = VectorType::get({kMmaM, kMmaK}, aElem);
  auto bType = mm.bIsNK ? VectorType::get({kMmaN, kMmaK}, bElem)
                        : VectorType::get({kMmaK, kMmaN}, bElem);
  auto cType = VectorType::get({kMmaM, kMmaN}, f32);
  const int64_t tilesN = mm.n / kMmaN, tiles = (mm.m / kMmaM) * tilesN;
  assert((!mm.cWarpPrivate || tiles % warps == 0) &&
         "warp-private C needs the same tile count per warp");
  assert((!mm.rowBlocked || (mm.m / kMmaM) % warps == 0) &&
         "row-blocked C needs whole 16-row blocks per warp");
  assert((!mm.aWarpPrivate || (mm.cWarpPrivate && mm.rowBlocked)) &&
         "warp-private A needs row-blocked warp-private C");
  const int64_t perWarp = tiles / warps;

  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(warps)}, ValueRange{},
      b.getArrayAttr({gpu::GPUWarpMappingAttr::get(ctx, gpu::MappingId::DimX)}));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  Value warp = forall.getInductionVar(0);
  AffineExpr d0 = getAffineDimExpr(0, ctx);
  // Warp-private C: the warp's n-th tile is w + n W, with n counted from 0
  // so that the privatization sees constant tile indices once unrolled.
  auto tileLoop =
      mm.cWarpPrivate
          ? scf::ForOp::create(b, loc, cst(0), cst(perWarp), cst(1))
          : scf::ForOp::create(b, loc, warp, cst(tiles), cst(warps));
  tileLoop->setAttr(kWarpMMAAttr, b.getUnitAttr());
  b.setInsertionPoint(tileLoop.getBody()->getTerminator());
  Value tileIv = tileLoop.getInductionVar();
  AffineExpr d1 = getAffineDimExpr(1, ctx);
  Value t = !mm.cWarpPrivate ? tileIv
            : mm.rowBlocked  ? apply(d0 * perWarp + d1, {warp, tileIv})
                             : apply(d0 + d1 * warps, {warp, tileIv});
  Value row = apply(d0.floorDiv(tilesN) * kMmaM, t);
  Value col = apply((d0 % tilesN) * kMmaN, t);
  SmallVector<bool> inBounds = {true, true};
  Value zeroF32 = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
  Value zeroIdx = cst(0);
  SmallVector<Value> cIndices =
      mm.cWarpPrivate ? SmallVector<Value>{warp, tileIv, zeroIdx, zeroIdx}
                      : SmallVector<Value>{row, col};
  Value init;
  if (mm.accumulate)
    init = vector::TransferReadOp::create(b, loc, cType, mm.c, cIndices,
                                          zeroF32, inBounds);
  else
    init = arith::ConstantOp::create(b, loc, cType,
                                     DenseElementsAttr::get(
                                         cType, b.getF32FloatAttr(0.0)));

  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  auto maps = AffineMap::inferFromExprList(
      ArrayRef<ArrayRef<AffineExpr>>{
          {m, k}, mm.bIsNK ? ArrayRef<AffineExpr>{n, k} : ArrayRef<AffineExpr>{k, n},
          {m, n}},
      ctx);
  Attribute parallel = vector::IteratorTypeAttr::get(
      ctx, vector::IteratorType::parallel);
  Attribute reduction = vector::IteratorTypeAttr::get(
      ctx, vector::IteratorType::reduction);
  auto kLoop = scf::ForOp::create(
      b, loc, cst(0), cst(mm.k), cst(kMmaK), ValueRange{init},
      [&](OpBuilder &, Location, Value kk, ValueRange acc) {
        Value padA = arith::ConstantOp::create(b, loc, b.getZeroAttr(aElem));
        Value padB = arith::ConstantOp::create(b, loc, b.getZeroAttr(bElem));
        // A warp-private A: the warp's row block of this tile.
        SmallVector<Value> aIndices =
            mm.aWarpPrivate
                ? SmallVector<Value>{warp, apply(d0.floorDiv(tilesN), tileIv),
                                     zeroIdx, kk}
                : SmallVector<Value>{row, kk};
        Value aTile = vector::TransferReadOp::create(b, loc, aType, mm.a,
                                                     aIndices, padA, inBounds);
        // B's row: the tile's key (n) or reduction (k) index, offset by
        // the slot of a double-buffered tile.
        Value bRow = mm.bIsNK ? col : kk;
        if (mm.bRow0)
          bRow = apply(d0 + getAffineDimExpr(1, ctx), {bRow, mm.bRow0});
        Value bTile = vector::TransferReadOp::create(
            b, loc, bType, mm.b,
            mm.bIsNK ? ValueRange{bRow, kk} : ValueRange{bRow, col}, padB,
            inBounds);
        Value d = vector::ContractionOp::create(
            b, loc, aTile, bTile, acc[0], b.getAffineMapArrayAttr(maps),
            b.getArrayAttr({parallel, parallel, reduction}));
        scf::YieldOp::create(b, loc, d);
      });
  vector::TransferWriteOp::create(b, loc, kLoop.getResult(0), mm.c, cIndices,
                                  inBounds);
}
