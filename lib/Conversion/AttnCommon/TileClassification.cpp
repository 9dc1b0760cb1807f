//===- TileClassification.cpp - tile classes evaluated at run time --------===//

#include "attn/Conversion/TileClassification.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace attn;
using namespace attn::codegen;

namespace {

/// Interval reasoning over one tile, with the aligned positions
/// p = i + nk - nq of its first and last query rows.
class Classifier {
public:
  Classifier(ScalarEmitter &e, const TileBounds &t) : e(e), t(t) {
    Value offset = e.subi(t.nk, t.nq);
    pFirst = e.addi(t.queryBegin, offset);
    pLast = e.addi(e.subi(t.queryEnd, e.idx(1)), offset);
    kFirst = t.keyBegin;
    kLast = e.subi(t.keyEnd, e.idx(1));
  }

  TileClass classify(MaskAttrInterface mask);

private:
  using P = arith::CmpIPredicate;
  TileClass constant(bool empty, bool full) {
    return {e.boolean(empty), e.boolean(full)};
  }
  /// Keys kept by `j <= hi` where hi grows with the query row (hiFirst on
  /// the first row, hiLast on the last).
  TileClass atMost(Value hiFirst, Value hiLast) {
    return {e.cmp(P::sgt, kFirst, hiLast), e.cmp(P::sle, kLast, hiFirst)};
  }
  /// Keys kept by `lo <= j` where lo grows with the query row.
  TileClass atLeast(Value loFirst, Value loLast) {
    return {e.cmp(P::slt, kLast, loFirst), e.cmp(P::sle, loLast, kFirst)};
  }
  /// Keys kept by `j < n`.
  TileClass below(Value n) {
    return {e.cmp(P::sge, kFirst, n), e.cmp(P::slt, kLast, n)};
  }
  /// Both kept (and a band of two monotone bounds is exact: the rows'
  /// intervals shift together).
  TileClass both(TileClass x, TileClass y) {
    return {e.ori(x.empty, y.empty), e.andi(x.full, y.full)};
  }
  TileClass either(TileClass x, TileClass y) {
    return {e.andi(x.empty, y.empty), e.ori(x.full, y.full)};
  }
  TileClass blockSparse(BlockSparseMaskAttr a);

  ScalarEmitter &e;
  const TileBounds &t;
  Value pFirst, pLast, kFirst, kLast;
};

} // namespace

TileClass Classifier::classify(MaskAttrInterface mask) {
  if (!mask)
    return constant(false, true);
  return llvm::TypeSwitch<Attribute, TileClass>(mask)
      .Case([&](FullMaskAttr) { return constant(false, true); })
      .Case([&](CausalMaskAttr) { return atMost(pFirst, pLast); })
      .Case([&](WindowMaskAttr a) {
        Value left = e.idx(a.getLeft()), right = e.idx(a.getRight());
        return both(atLeast(e.subi(pFirst, left), e.subi(pLast, left)),
                    atMost(e.addi(pFirst, right), e.addi(pLast, right)));
      })
      .Case([&](SinksMaskAttr a) { return below(e.idx(a.getCount())); })
      .Case([&](ChunkedMaskAttr a) {
        // floor(p / size) == floor(j / size).
        Value size = e.idx(a.getSize());
        Value pcFirst = e.floordiv(pFirst, size), pcLast = e.floordiv(pLast, size);
        Value kcFirst = e.floordiv(kFirst, size), kcLast = e.floordiv(kLast, size);
        Value empty = e.ori(e.cmp(P::slt, pcLast, kcFirst),
                            e.cmp(P::sgt, pcFirst, kcLast));
        Value full = e.andi(e.andi(e.cmp(P::eq, pcFirst, pcLast),
                                   e.cmp(P::eq, kcFirst, kcLast)),
                            e.cmp(P::eq, pcFirst, kcFirst));
        return TileClass{empty, full};
      })
      .Case([&](BlockSparseMaskAttr a) {
        return t.blockLayout ? blockSparse(a) : constant(false, false);
      })
      .Case([&](PrefixLMMaskAttr a) {
        return either(below(e.idx(a.getPrefix())), atMost(pFirst, pLast));
      })
      .Case([&](AndMaskAttr a) {
        ArrayRef<MaskAttrInterface> masks = a.getMasks();
        TileClass all = classify(masks.front());
        for (MaskAttrInterface m : masks.drop_front())
          all = both(all, classify(m));
        return all;
      })
      .Case([&](OrMaskAttr a) {
        ArrayRef<MaskAttrInterface> masks = a.getMasks();
        TileClass any = classify(masks.front());
        for (MaskAttrInterface m : masks.drop_front())
          any = either(any, classify(m));
        return any;
      })
      .Case([&](NotMaskAttr a) {
        TileClass c = classify(a.getMask());
        return TileClass{c.full, c.empty};
      })
      .Default([&](Attribute) { return constant(false, false); });
}

/// Reads the layout flags of every block the tile touches (usually one or
/// two: tiles are at most a few blocks wide): empty when none is set, full
/// when all are.
TileClass Classifier::blockSparse(BlockSparseMaskAttr a) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Value bq = e.idx(a.getBlockQ()), bk = e.idx(a.getBlockKv());
  Value one = e.idx(1);
  Value qbFirst = e.floordiv(t.queryBegin, bq);
  Value qbEnd = e.addi(e.floordiv(e.subi(t.queryEnd, one), bq), one);
  Value kbFirst = e.floordiv(t.keyBegin, bk);
  Value kbEnd = e.addi(e.floordiv(kLast, bk), one);
  auto rows = scf::ForOp::create(
      b, loc, qbFirst, qbEnd, one, ValueRange{e.boolean(false), e.boolean(true)},
      [&](OpBuilder &, Location, Value qb, ValueRange outer) {
        auto cols = scf::ForOp::create(
            b, loc, kbFirst, kbEnd, one, outer,
            [&](OpBuilder &, Location, Value kb, ValueRange inner) {
              Value flag = e.extractBroadcast(t.blockLayout,
                                              {t.batch, t.head, qb, kb});
              Value zero = arith::ConstantOp::create(
                  b, loc, b.getIntegerAttr(flag.getType(), 0));
              Value set = e.cmp(P::ne, flag, zero);
              scf::YieldOp::create(
                  b, loc, ValueRange{e.ori(inner[0], set), e.andi(inner[1], set)});
            });
        scf::YieldOp::create(b, loc, cols.getResults());
      });
  Value anySet = rows.getResult(0), allSet = rows.getResult(1);
  return {arith::XOrIOp::create(b, loc, anySet, e.boolean(true)), allSet};
}

TileClass attn::codegen::classifyTile(ScalarEmitter &e, MaskAttrInterface mask,
                                      const TileBounds &tile) {
  return Classifier(e, tile).classify(mask);
}

bool attn::codegen::hasClosedForm(MaskAttrInterface mask, bool withLayout) {
  if (!mask)
    return true;
  auto all = [&](ArrayRef<MaskAttrInterface> masks) {
    return llvm::all_of(masks, [&](MaskAttrInterface m) {
      return hasClosedForm(m, withLayout);
    });
  };
  return llvm::TypeSwitch<Attribute, bool>(mask)
      .Case<FullMaskAttr, CausalMaskAttr, WindowMaskAttr, SinksMaskAttr,
            ChunkedMaskAttr, PrefixLMMaskAttr>([](auto) { return true; })
      .Case([&](BlockSparseMaskAttr) { return withLayout; })
      .Case([&](AndMaskAttr a) { return all(a.getMasks()); })
      .Case([&](OrMaskAttr a) { return all(a.getMasks()); })
      .Case([&](NotMaskAttr a) { return hasClosedForm(a.getMask(), withLayout); })
      .Default([](Attribute) { return false; });
}
