//===- IndexEvaluation.cpp - index arithmetic per thread ------------------===//

#include "IndexEvaluation.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/AffineExpr.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace attn::gpu_codegen {

namespace {
std::optional<int64_t> evaluate(Value v, const IndexLeaf &leaf);

std::optional<int64_t> evaluateExpr(AffineExpr expr, ArrayRef<int64_t> dims,
                                    ArrayRef<int64_t> syms) {
  if (auto c = dyn_cast<AffineConstantExpr>(expr))
    return c.getValue();
  if (auto d = dyn_cast<AffineDimExpr>(expr))
    return dims[d.getPosition()];
  if (auto s = dyn_cast<AffineSymbolExpr>(expr))
    return syms[s.getPosition()];
  auto bin = cast<AffineBinaryOpExpr>(expr);
  std::optional<int64_t> l = evaluateExpr(bin.getLHS(), dims, syms);
  std::optional<int64_t> r = evaluateExpr(bin.getRHS(), dims, syms);
  if (!l || !r)
    return std::nullopt;
  switch (bin.getKind()) {
  case AffineExprKind::Add:
    return *l + *r;
  case AffineExprKind::Mul:
    return *l * *r;
  case AffineExprKind::Mod:
    return *r > 0 ? std::optional<int64_t>((*l % *r + *r) % *r) : std::nullopt;
  case AffineExprKind::FloorDiv:
    return *r > 0 ? std::optional<int64_t>(llvm::divideFloorSigned(*l, *r))
                  : std::nullopt;
  case AffineExprKind::CeilDiv:
    return *r > 0 ? std::optional<int64_t>(llvm::divideCeilSigned(*l, *r))
                  : std::nullopt;
  default:
    return std::nullopt;
  }
}

std::optional<SmallVector<int64_t>> evaluateAll(ValueRange values,
                                                const IndexLeaf &leaf) {
  SmallVector<int64_t> out;
  for (Value v : values) {
    std::optional<int64_t> x = evaluate(v, leaf);
    if (!x)
      return std::nullopt;
    out.push_back(*x);
  }
  return out;
}

std::optional<int64_t> evaluate(Value v, const IndexLeaf &leaf) {
  if (std::optional<int64_t> x = leaf(v))
    return x;
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return c;
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
          arith::ExtUIOp, arith::TruncIOp>(def))
    return evaluate(def->getOperand(0), leaf);
  if (auto apply = dyn_cast<affine::AffineApplyOp>(def)) {
    AffineMap map = apply.getAffineMap();
    auto operands = evaluateAll(apply.getMapOperands(), leaf);
    if (!operands)
      return std::nullopt;
    ArrayRef<int64_t> all = *operands;
    return evaluateExpr(map.getResult(0), all.take_front(map.getNumDims()),
                        all.drop_front(map.getNumDims()));
  }
  if (auto select = dyn_cast<arith::SelectOp>(def)) {
    std::optional<int64_t> cond = evaluate(select.getCondition(), leaf);
    if (!cond)
      return std::nullopt;
    return evaluate(*cond ? select.getTrueValue() : select.getFalseValue(),
                    leaf);
  }
  if (def->getNumOperands() != 2 || def->getNumResults() != 1)
    return std::nullopt;
  std::optional<int64_t> a = evaluate(def->getOperand(0), leaf);
  std::optional<int64_t> b = evaluate(def->getOperand(1), leaf);
  if (!a || !b)
    return std::nullopt;
  if (auto cmp = dyn_cast<arith::CmpIOp>(def)) {
    switch (cmp.getPredicate()) {
    case arith::CmpIPredicate::eq:
      return *a == *b;
    case arith::CmpIPredicate::ne:
      return *a != *b;
    case arith::CmpIPredicate::slt:
      return *a < *b;
    case arith::CmpIPredicate::sle:
      return *a <= *b;
    case arith::CmpIPredicate::sgt:
      return *a > *b;
    case arith::CmpIPredicate::sge:
      return *a >= *b;
    case arith::CmpIPredicate::ult:
      return uint64_t(*a) < uint64_t(*b);
    case arith::CmpIPredicate::ule:
      return uint64_t(*a) <= uint64_t(*b);
    case arith::CmpIPredicate::ugt:
      return uint64_t(*a) > uint64_t(*b);
    case arith::CmpIPredicate::uge:
      return uint64_t(*a) >= uint64_t(*b);
    }
  }
  bool divByZero = *b == 0;
  return llvm::TypeSwitch<Operation *, std::optional<int64_t>>(def)
      .Case([&](arith::AddIOp) { return *a + *b; })
      .Case([&](arith::SubIOp) { return *a - *b; })
      .Case([&](arith::MulIOp) { return *a * *b; })
      .Case([&](arith::AndIOp) { return *a & *b; })
      .Case([&](arith::OrIOp) { return *a | *b; })
      .Case([&](arith::XOrIOp) { return *a ^ *b; })
      .Case([&](arith::ShLIOp) { return *a << *b; })
      .Case([&](arith::ShRUIOp) { return int64_t(uint64_t(*a) >> *b); })
      .Case([&](arith::ShRSIOp) { return *a >> *b; })
      .Case([&](arith::MinSIOp) { return std::min(*a, *b); })
      .Case([&](arith::MaxSIOp) { return std::max(*a, *b); })
      .Case([&](arith::MinUIOp) {
        return int64_t(std::min(uint64_t(*a), uint64_t(*b)));
      })
      .Case([&](arith::MaxUIOp) {
        return int64_t(std::max(uint64_t(*a), uint64_t(*b)));
      })
      .Case([&](arith::DivUIOp) -> std::optional<int64_t> {
        if (divByZero)
          return std::nullopt;
        return int64_t(uint64_t(*a) / uint64_t(*b));
      })
      .Case([&](arith::RemUIOp) -> std::optional<int64_t> {
        if (divByZero)
          return std::nullopt;
        return int64_t(uint64_t(*a) % uint64_t(*b));
      })
      .Case([&](arith::DivSIOp) -> std::optional<int64_t> {
        if (divByZero)
          return std::nullopt;
        return *a / *b;
      })
      .Case([&](arith::RemSIOp) -> std::optional<int64_t> {
        if (divByZero)
          return std::nullopt;
        return *a % *b;
      })
      .Case([&](arith::FloorDivSIOp) -> std::optional<int64_t> {
        if (divByZero)
          return std::nullopt;
        return llvm::divideFloorSigned(*a, *b);
      })
      .Case([&](arith::CeilDivSIOp) -> std::optional<int64_t> {
        if (divByZero)
          return std::nullopt;
        return llvm::divideCeilSigned(*a, *b);
      })
      .Default([](Operation *) { return std::nullopt; });
}

} // namespace

std::optional<int64_t> evaluateIndex(Value v, const IndexLeaf &leaf) {
  return evaluate(v, leaf);
}

std::optional<SmallVector<int64_t>> evaluateIndices(ValueRange values,
                                                    const IndexLeaf &leaf) {
  return evaluateAll(values, leaf);
}

std::optional<int64_t> threadIdLeaf(Value v, int64_t tid) {
  Operation *def = v.getDefiningOp();
  if (auto id = dyn_cast_or_null<gpu::ThreadIdOp>(def))
    return id.getDimension() == gpu::Dimension::x ? tid : 0;
  if (isa_and_nonnull<gpu::LaneIdOp>(def))
    return tid % 32;
  return std::nullopt;
}

} // namespace attn::gpu_codegen
