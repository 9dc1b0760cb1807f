//===- SoftmaxMath.cpp - online softmax and finalization math -------------===//

#include "attn/Conversion/SoftmaxMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include <limits>

using namespace mlir;
using namespace attn::codegen;

static constexpr double kNegInf = -std::numeric_limits<double>::infinity();

SoftmaxMath::SoftmaxMath(OpBuilder &b, Location loc, ExpFn exp)
    : b(b), loc(loc), expFn(std::move(exp)) {}

Value SoftmaxMath::constant(Type like, double value) {
  auto f32 = b.getF32FloatAttr(value);
  if (auto vec = dyn_cast<VectorType>(like))
    return arith::ConstantOp::create(b, loc,
                                     DenseElementsAttr::get(vec, f32.getValue()));
  return arith::ConstantOp::create(b, loc, f32);
}

Value SoftmaxMath::exp(Value x) {
  if (expFn)
    return expFn(x);
  return math::ExpOp::create(b, loc, x);
}

Value SoftmaxMath::offsetOf(Value max) {
  Type t = max.getType();
  Value finite = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, max,
                                       constant(t, kNegInf));
  return arith::SelectOp::create(b, loc, finite, max, constant(t, 0.0));
}

SoftmaxMath::Step SoftmaxMath::update(Value oldMax, Value candidateMax) {
  Step step;
  step.newMax = arith::MaximumFOp::create(b, loc, oldMax, candidateMax);
  step.offset = offsetOf(step.newMax);
  step.alpha = exp(arith::SubFOp::create(b, loc, oldMax, step.offset));
  return step;
}

Value SoftmaxMath::weight(Value score, Value offset) {
  return exp(arith::SubFOp::create(b, loc, score, offset));
}

Value SoftmaxMath::maskedWeight(Value score, Value max) {
  Type t = score.getType();
  Value zero = constant(t, 0.0), negInf = constant(t, kNegInf);
  Value masked =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, score, negInf);
  Value empty =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, max, negInf);
  Value w = arith::SelectOp::create(b, loc, empty, zero, weight(score, max));
  return arith::SelectOp::create(b, loc, masked, zero, w);
}

Value SoftmaxMath::rescaleSum(Value sum, Value alpha, Value tileSum) {
  return math::FmaOp::create(b, loc, sum, alpha, tileSum);
}

SoftmaxMath::MergeStep SoftmaxMath::merge(Value max, Value partialMax) {
  Step step = update(max, partialMax);
  return {step.newMax, step.alpha, weight(partialMax, step.offset)};
}

SoftmaxMath::SinkFold SoftmaxMath::foldSink(Value max, Value sum, Value sink) {
  SinkFold fold;
  fold.max = arith::MaximumFOp::create(b, loc, max, sink);
  Value offset = offsetOf(fold.max);
  fold.accScale = exp(arith::SubFOp::create(b, loc, max, offset));
  fold.sum = math::FmaOp::create(b, loc, sum, fold.accScale,
                                 weight(sink, offset));
  return fold;
}

Value SoftmaxMath::reciprocalOrZero(Value sum) {
  Type t = sum.getType();
  Value nonZero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE, sum,
                                        constant(t, 0.0));
  Value inv = arith::DivFOp::create(b, loc, constant(t, 1.0), sum);
  return arith::SelectOp::create(b, loc, nonZero, inv, constant(t, 0.0));
}

Value SoftmaxMath::logSumExp(Value max, Value sum) {
  Type t = sum.getType();
  Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                         sum, constant(t, 0.0));
  Value lse = arith::AddFOp::create(b, loc, max, math::LogOp::create(b, loc, sum));
  return arith::SelectOp::create(b, loc, positive, lse, constant(t, kNegInf));
}

SoftmaxMath::AffineFactors SoftmaxMath::affineFactors(bool mala, Value sum,
                                                      Value count) {
  Type t = sum.getType();
  Value zero = constant(t, 0.0), one = constant(t, 1.0);
  Value nonEmpty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                         count, zero);
  Value scale, valueScale;
  if (mala) {
    // 1 / N + 1 / S and -S / N^2.
    nonEmpty = arith::AndIOp::create(
        b, loc, nonEmpty,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, sum, zero));
    scale = arith::AddFOp::create(b, loc,
                                  arith::DivFOp::create(b, loc, one, count),
                                  arith::DivFOp::create(b, loc, one, sum));
    Value perKey = arith::DivFOp::create(b, loc, sum, count);
    valueScale = arith::NegFOp::create(
        b, loc, arith::DivFOp::create(b, loc, perKey, count));
  } else {
    // 1 and (1 - S) / N.
    scale = one;
    valueScale = arith::DivFOp::create(
        b, loc, arith::SubFOp::create(b, loc, one, sum), count);
  }
  return {arith::SelectOp::create(b, loc, nonEmpty, scale, zero),
          arith::SelectOp::create(b, loc, nonEmpty, valueScale, zero)};
}

Value SoftmaxMath::rmsFactor(Value sumOfSquares, Value columns, double eps) {
  Value mean = arith::DivFOp::create(b, loc, sumOfSquares, columns);
  return math::RsqrtOp::create(
      b, loc,
      arith::AddFOp::create(b, loc, mean, constant(sumOfSquares.getType(), eps)));
}
