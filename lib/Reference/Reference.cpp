//===- Reference.cpp - float64 reference evaluator ------------------------===//
//
// A deliberately naive oracle: one loop nest over (b, h, i, j), masks and
// regions evaluated per element in double precision. Shares no code with
// the compiler so that a bug there cannot hide in both.
//
//===----------------------------------------------------------------------===//

#include "attn/Reference/Reference.h"
#include "attn/Dialect/Attn/AttnDialect.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <variant>

using namespace mlir;
using namespace attn;
using namespace attn::reference;

namespace {

//===----------------------------------------------------------------------===//
// Small helpers
//===----------------------------------------------------------------------===//

template <typename... Ts> llvm::Error fail(const Ts &...parts) {
  std::string msg;
  llvm::raw_string_ostream os(msg);
  (os << ... << parts);
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

std::string locStr(Location loc) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << loc;
  return s;
}

std::string shapeStr(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [k, d] : llvm::enumerate(shape))
    s += (k ? ", " : "") + std::to_string(d);
  return s + "]";
}

/// Mathematical modulo: the result is in [0, m) for m > 0.
int64_t mathMod(int64_t a, int64_t m) {
  int64_t r = a % m;
  return r < 0 ? r + m : r;
}

int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/// Element `idx` of an integer-valued array, exact for 64-bit integers
/// (NDArray::getDouble would round above 2^53).
int64_t readInt(const NDArray &a, int64_t idx) {
  const uint8_t *p = static_cast<const uint8_t *>(a.data());
  switch (a.dtype()) {
  case DType::I64: {
    int64_t v;
    std::memcpy(&v, p + 8 * idx, 8);
    return v;
  }
  case DType::I32: {
    int32_t v;
    std::memcpy(&v, p + 4 * idx, 4);
    return v;
  }
  case DType::I8:
    return static_cast<int8_t>(p[idx]);
  case DType::I1:
    return p[idx] != 0;
  default:
    return static_cast<int64_t>(a.getDouble(idx));
  }
}

//===----------------------------------------------------------------------===//
// Region interpreter
//===----------------------------------------------------------------------===//

/// A scalar (integer, float, i1) or a tensor (capture or dense constant).
/// Integers are kept sign-extended from their type's width.
using RVal = std::variant<int64_t, double, bool, const NDArray *>;

unsigned intWidth(Type t) {
  if (auto it = dyn_cast<IntegerType>(t))
    return it.getWidth();
  return 64; // index
}

/// Wraps `bits` to the width of `t` (i1 becomes bool).
RVal makeInt(uint64_t bits, Type t) {
  unsigned w = intWidth(t);
  if (w == 1)
    return static_cast<bool>(bits & 1);
  if (w < 64) {
    uint64_t sign = uint64_t(1) << (w - 1);
    bits &= (sign << 1) - 1;
    bits = (bits ^ sign) - sign;
  }
  return static_cast<int64_t>(bits);
}

uint64_t rawBits(const RVal &v) {
  if (auto *i = std::get_if<int64_t>(&v))
    return static_cast<uint64_t>(*i);
  if (auto *b = std::get_if<bool>(&v))
    return *b ? ~uint64_t(0) : 0;
  if (auto *d = std::get_if<double>(&v))
    return static_cast<uint64_t>(static_cast<int64_t>(*d));
  return 0;
}

double floatOf(const RVal &v) {
  if (auto *d = std::get_if<double>(&v))
    return *d;
  return static_cast<double>(static_cast<int64_t>(rawBits(v)));
}

double maximumF(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  if (a == b) // +0 is greater than -0
    return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

double minimumF(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  if (a == b)
    return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

using UnaryF = double (*)(double);
using BinaryF = double (*)(double, double);

const std::pair<llvm::StringLiteral, UnaryF> kUnaryF[] = {
    {"arith.negf", [](double x) { return -x; }},
    {"arith.extf", [](double x) { return x; }},
    // The reference is float64 on purpose: narrowing is not modelled.
    {"arith.truncf", [](double x) { return x; }},
    {"math.tanh", [](double x) { return std::tanh(x); }},
    {"math.exp", [](double x) { return std::exp(x); }},
    {"math.exp2", [](double x) { return std::exp2(x); }},
    {"math.expm1", [](double x) { return std::expm1(x); }},
    {"math.log", [](double x) { return std::log(x); }},
    {"math.log2", [](double x) { return std::log2(x); }},
    {"math.log10", [](double x) { return std::log10(x); }},
    {"math.log1p", [](double x) { return std::log1p(x); }},
    {"math.sqrt", [](double x) { return std::sqrt(x); }},
    {"math.rsqrt", [](double x) { return 1.0 / std::sqrt(x); }},
    {"math.cbrt", [](double x) { return std::cbrt(x); }},
    {"math.absf", [](double x) { return std::fabs(x); }},
    {"math.erf", [](double x) { return std::erf(x); }},
    {"math.erfc", [](double x) { return std::erfc(x); }},
    {"math.sin", [](double x) { return std::sin(x); }},
    {"math.cos", [](double x) { return std::cos(x); }},
    {"math.tan", [](double x) { return std::tan(x); }},
    {"math.sinh", [](double x) { return std::sinh(x); }},
    {"math.cosh", [](double x) { return std::cosh(x); }},
    {"math.asin", [](double x) { return std::asin(x); }},
    {"math.acos", [](double x) { return std::acos(x); }},
    {"math.atan", [](double x) { return std::atan(x); }},
    {"math.asinh", [](double x) { return std::asinh(x); }},
    {"math.acosh", [](double x) { return std::acosh(x); }},
    {"math.atanh", [](double x) { return std::atanh(x); }},
    {"math.floor", [](double x) { return std::floor(x); }},
    {"math.ceil", [](double x) { return std::ceil(x); }},
    {"math.trunc", [](double x) { return std::trunc(x); }},
    {"math.round", [](double x) { return std::round(x); }},
    {"math.roundeven", [](double x) { return std::nearbyint(x); }},
};

const std::pair<llvm::StringLiteral, BinaryF> kBinaryF[] = {
    {"arith.addf", [](double a, double b) { return a + b; }},
    {"arith.subf", [](double a, double b) { return a - b; }},
    {"arith.mulf", [](double a, double b) { return a * b; }},
    {"arith.divf", [](double a, double b) { return a / b; }},
    {"arith.remf", [](double a, double b) { return std::fmod(a, b); }},
    {"arith.maximumf", maximumF},
    {"arith.minimumf", minimumF},
    {"arith.maxnumf", [](double a, double b) { return std::fmax(a, b); }},
    {"arith.minnumf", [](double a, double b) { return std::fmin(a, b); }},
    {"math.powf", [](double a, double b) { return std::pow(a, b); }},
    {"math.atan2", [](double a, double b) { return std::atan2(a, b); }},
    {"math.copysign", [](double a, double b) { return std::copysign(a, b); }},
};

bool isScalar(Type t) { return t.isIntOrIndexOrFloat(); }

class Interpreter {
public:
  Interpreter(Region &region, unsigned numLeading,
              llvm::ArrayRef<NDArray> captures)
      : region(region), numLeading(numLeading), captures(captures) {}

  bool empty() const { return region.empty(); }

  /// The sequence lengths that attn.query_length, attn.key_length and
  /// attn.aligned_query read.
  void setLengths(int64_t nq, int64_t nk) {
    queryLength = nq;
    keyLength = nk;
  }

  /// Runs the block on the leading arguments and returns the yielded value.
  llvm::Expected<RVal> run(llvm::ArrayRef<RVal> leading) {
    Block &block = region.front();
    // `values` is not cleared between runs: the block is straight-line SSA,
    // so every value is written before it is read; constants (which do not
    // depend on the arguments) are kept from the first run.
    for (auto [k, v] : llvm::enumerate(leading))
      values[block.getArgument(k)] = v;
    for (auto [c, array] : llvm::enumerate(captures))
      values[block.getArgument(numLeading + c)] = &array;
    for (Operation &op : block.without_terminator())
      if (llvm::Error e = exec(op))
        return std::move(e);
    return values.lookup(block.getTerminator()->getOperand(0));
  }

private:
  llvm::Error exec(Operation &op);
  llvm::Error execConstant(arith::ConstantOp op);
  llvm::Error execExtract(tensor::ExtractOp op);

  RVal get(Value v) const { return values.lookup(v); }

  Region &region;
  unsigned numLeading;
  llvm::ArrayRef<NDArray> captures;
  int64_t queryLength = 0, keyLength = 0;
  llvm::DenseMap<Value, RVal> values;
  /// Dense tensor constants, converted once per op.
  llvm::DenseMap<Operation *, NDArray> constants;
  /// Per op, its entry of the unary/binary float tables (both null when it
  /// has none), looked up by name once.
  llvm::DenseMap<Operation *, std::pair<UnaryF, BinaryF>> floatFns;
};

llvm::Error Interpreter::execConstant(arith::ConstantOp op) {
  Attribute attr = op.getValue();
  Value res = op.getResult();
  if (auto f = dyn_cast<FloatAttr>(attr)) {
    values[res] = f.getValueAsDouble();
    return llvm::Error::success();
  }
  if (auto i = dyn_cast<IntegerAttr>(attr)) {
    values[res] = makeInt(i.getValue().getZExtValue(), i.getType());
    return llvm::Error::success();
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense || !isa<RankedTensorType>(dense.getType()))
    return fail("unsupported constant ", attr, " in attn region at ",
                locStr(op.getLoc()));
  auto it = constants.find(op);
  if (it == constants.end()) {
    auto type = cast<RankedTensorType>(dense.getType());
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    Type elt = type.getElementType();
    NDArray array(isa<FloatType>(elt) ? DType::F64 : DType::I64, shape);
    int64_t k = 0;
    if (isa<FloatType>(elt)) {
      for (APFloat v : dense.getValues<APFloat>()) {
        bool lost;
        v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
        array.setDouble(k++, v.convertToDouble());
      }
    } else {
      for (APInt v : dense.getValues<APInt>()) {
        int64_t x = intWidth(elt) == 1 ? v.getBoolValue() : v.getSExtValue();
        std::memcpy(static_cast<uint8_t *>(array.data()) + 8 * k++, &x, 8);
      }
    }
    it = constants.try_emplace(op, std::move(array)).first;
  }
  values[res] = &it->second;
  return llvm::Error::success();
}

llvm::Error Interpreter::execExtract(tensor::ExtractOp op) {
  const NDArray *const *src =
      std::get_if<const NDArray *>(&values[op.getTensor()]);
  if (!src || !*src)
    return fail("tensor.extract reads a tensor that is not a capture or a "
                "constant in attn region at ",
                locStr(op.getLoc()));
  const NDArray &array = **src;
  if (static_cast<int64_t>(op.getIndices().size()) != array.rank())
    return fail("tensor.extract has ", op.getIndices().size(),
                " indices but the tensor has rank ", array.rank(),
                " in attn region at ", locStr(op.getLoc()));
  int64_t linear = 0;
  for (auto [d, index] : llvm::enumerate(op.getIndices())) {
    int64_t x = static_cast<int64_t>(rawBits(get(index)));
    int64_t n = array.shape()[d];
    if (x < 0 || x >= n)
      return fail("tensor.extract index ", x, " out of range [0, ", n,
                  ") in dimension ", d, " of a tensor of shape ",
                  shapeStr(array.shape()), " in attn region at ",
                  locStr(op.getLoc()));
    linear = linear * n + x;
  }
  Type elt = op.getResult().getType();
  if (isa<FloatType>(elt))
    values[op.getResult()] = array.getDouble(linear);
  else if (intWidth(elt) == 1)
    values[op.getResult()] = readInt(array, linear) != 0;
  else
    values[op.getResult()] =
        makeInt(static_cast<uint64_t>(readInt(array, linear)), elt);
  return llvm::Error::success();
}

llvm::Error Interpreter::exec(Operation &op) {
  StringRef name = op.getName().getStringRef();
  auto unsupported = [&] {
    return fail("unsupported op '", name, "' in attn region at ",
                locStr(op.getLoc()));
  };
  if (op.getNumResults() != 1 || op.getNumRegions() != 0)
    return unsupported();
  for (Type t : op.getOperandTypes())
    if (t.isInteger() && intWidth(t) > 64)
      return fail("integers wider than 64 bits are not supported in attn "
                  "region at ",
                  locStr(op.getLoc()));
  if (auto c = dyn_cast<arith::ConstantOp>(op)) {
    if (values.count(c.getResult()))
      return llvm::Error::success(); // evaluated by an earlier run
    return execConstant(c);
  }
  if (auto e = dyn_cast<tensor::ExtractOp>(op))
    return execExtract(e);
  Type indexType = IndexType::get(op.getContext());
  if (isa<QueryLengthOp>(op)) {
    values[op.getResult(0)] = makeInt(queryLength, indexType);
    return llvm::Error::success();
  }
  if (isa<KeyLengthOp>(op)) {
    values[op.getResult(0)] = makeInt(keyLength, indexType);
    return llvm::Error::success();
  }
  if (auto aligned = dyn_cast<AlignedQueryOp>(op)) {
    int64_t i = static_cast<int64_t>(rawBits(get(aligned.getQueryIndex())));
    values[op.getResult(0)] = makeInt(i + keyLength - queryLength, indexType);
    return llvm::Error::success();
  }

  Value res = op.getResult(0);
  Type rt = res.getType();
  if (!isScalar(rt) || (rt.isInteger() && intWidth(rt) > 64))
    return unsupported();
  if (!llvm::all_of(op.getOperandTypes(), isScalar) && !isa<tensor::DimOp>(op))
    return unsupported();

  auto setF = [&](double x) {
    values[res] = x;
    return llvm::Error::success();
  };
  auto setI = [&](uint64_t bits) {
    values[res] = makeInt(bits, rt);
    return llvm::Error::success();
  };
  auto setB = [&](bool b) {
    values[res] = b;
    return llvm::Error::success();
  };
  auto F = [&](unsigned k) { return floatOf(get(op.getOperand(k))); };
  auto R = [&](unsigned k) { return rawBits(get(op.getOperand(k))); };
  auto S = [&](unsigned k) { return static_cast<int64_t>(R(k)); };
  auto U = [&](unsigned k) {
    unsigned w = intWidth(op.getOperand(k).getType());
    uint64_t r = R(k);
    return w >= 64 ? r : r & ((uint64_t(1) << w) - 1);
  };
  auto at = [&] { return locStr(op.getLoc()); };

  auto cached = floatFns.find(&op);
  if (cached == floatFns.end()) {
    std::pair<UnaryF, BinaryF> fns{nullptr, nullptr};
    for (const auto &[n, fn] : kUnaryF)
      if (name == n)
        fns.first = fn;
    for (const auto &[n, fn] : kBinaryF)
      if (name == n)
        fns.second = fn;
    cached = floatFns.try_emplace(&op, fns).first;
  }
  if (UnaryF fn = cached->second.first)
    return setF(fn(F(0)));
  if (BinaryF fn = cached->second.second)
    return setF(fn(F(0), F(1)));
  if (name == "math.fma")
    return setF(std::fma(F(0), F(1), F(2)));

  // Integer ops: computed on 64-bit patterns, then wrapped to the width.
  if (name == "arith.addi")
    return setI(R(0) + R(1));
  if (name == "arith.subi")
    return setI(R(0) - R(1));
  if (name == "arith.muli")
    return setI(R(0) * R(1));
  if (name == "arith.andi")
    return setI(R(0) & R(1));
  if (name == "arith.ori")
    return setI(R(0) | R(1));
  if (name == "arith.xori")
    return setI(R(0) ^ R(1));
  if (name == "arith.maxsi")
    return setI(std::max(S(0), S(1)));
  if (name == "arith.minsi")
    return setI(std::min(S(0), S(1)));
  if (name == "arith.maxui")
    return setI(std::max(U(0), U(1)));
  if (name == "arith.minui")
    return setI(std::min(U(0), U(1)));
  if (name == "math.absi")
    return setI(S(0) < 0 ? uint64_t(0) - R(0) : R(0));
  if (name == "math.ctlz") { // leading zeros at the operand's width
    unsigned w = intWidth(rt);
    uint64_t x = U(0);
    if (x == 0)
      return setI(w);
    return setI(static_cast<uint64_t>(__builtin_clzll(x)) - (64 - w));
  }
  if (name == "arith.shli" || name == "arith.shrsi" || name == "arith.shrui") {
    uint64_t amount = U(1);
    if (amount >= intWidth(rt))
      return fail("shift amount ", amount, " is not below the bit width ",
                  intWidth(rt), " in attn region at ", at());
    if (name == "arith.shli")
      return setI(R(0) << amount);
    if (name == "arith.shrsi")
      return setI(static_cast<uint64_t>(S(0) >> amount));
    return setI(U(0) >> amount);
  }
  if (name == "arith.divsi" || name == "arith.remsi" ||
      name == "arith.floordivsi" || name == "arith.ceildivsi") {
    int64_t a = S(0), b = S(1);
    if (b == 0)
      return fail("division by zero in attn region at ", at());
    if (b == -1 && a == std::numeric_limits<int64_t>::min()) {
      if (name == "arith.remsi")
        return setI(0);
      return fail("signed division overflow in attn region at ", at());
    }
    if (name == "arith.remsi")
      return setI(static_cast<uint64_t>(a % b));
    int64_t q = a / b;
    if (a % b != 0) {
      if (name == "arith.floordivsi" && ((a < 0) != (b < 0)))
        --q;
      if (name == "arith.ceildivsi" && ((a < 0) == (b < 0)))
        ++q;
    }
    // The quotient must be representable at the type's width (LLVM: poison).
    if (static_cast<int64_t>(rawBits(makeInt(q, rt))) != q)
      return fail("signed division overflow in attn region at ", at());
    return setI(static_cast<uint64_t>(q));
  }
  if (name == "arith.divui" || name == "arith.remui" ||
      name == "arith.ceildivui") {
    uint64_t a = U(0), b = U(1);
    if (b == 0)
      return fail("division by zero in attn region at ", at());
    if (name == "arith.divui")
      return setI(a / b);
    if (name == "arith.remui")
      return setI(a % b);
    return setI(a / b + (a % b != 0));
  }
  if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
    int64_t a = S(0), b = S(1);
    uint64_t ua = U(0), ub = U(1);
    switch (cmp.getPredicate()) {
    case arith::CmpIPredicate::eq:
      return setB(a == b);
    case arith::CmpIPredicate::ne:
      return setB(a != b);
    case arith::CmpIPredicate::slt:
      return setB(a < b);
    case arith::CmpIPredicate::sle:
      return setB(a <= b);
    case arith::CmpIPredicate::sgt:
      return setB(a > b);
    case arith::CmpIPredicate::sge:
      return setB(a >= b);
    case arith::CmpIPredicate::ult:
      return setB(ua < ub);
    case arith::CmpIPredicate::ule:
      return setB(ua <= ub);
    case arith::CmpIPredicate::ugt:
      return setB(ua > ub);
    case arith::CmpIPredicate::uge:
      return setB(ua >= ub);
    }
    return unsupported();
  }
  if (auto cmp = dyn_cast<arith::CmpFOp>(op)) {
    double a = F(0), b = F(1);
    bool unordered = std::isnan(a) || std::isnan(b);
    using P = arith::CmpFPredicate;
    switch (cmp.getPredicate()) {
    case P::AlwaysFalse:
      return setB(false);
    case P::AlwaysTrue:
      return setB(true);
    case P::OEQ:
      return setB(!unordered && a == b);
    case P::OGT:
      return setB(!unordered && a > b);
    case P::OGE:
      return setB(!unordered && a >= b);
    case P::OLT:
      return setB(!unordered && a < b);
    case P::OLE:
      return setB(!unordered && a <= b);
    case P::ONE:
      return setB(!unordered && a != b);
    case P::ORD:
      return setB(!unordered);
    case P::UEQ:
      return setB(unordered || a == b);
    case P::UGT:
      return setB(unordered || a > b);
    case P::UGE:
      return setB(unordered || a >= b);
    case P::ULT:
      return setB(unordered || a < b);
    case P::ULE:
      return setB(unordered || a <= b);
    case P::UNE:
      return setB(unordered || a != b);
    case P::UNO:
      return setB(unordered);
    }
    return unsupported();
  }
  if (name == "arith.select") {
    bool cond = rawBits(get(op.getOperand(0))) & 1;
    values[res] = get(op.getOperand(cond ? 1 : 2));
    return llvm::Error::success();
  }
  // Casts. Stored integers are sign-extended, so raw bits already give sign
  // extension; U() gives zero extension; makeInt truncates.
  if (name == "arith.index_cast" || name == "arith.extsi" ||
      name == "arith.trunci")
    return setI(R(0));
  if (name == "arith.index_castui" || name == "arith.extui")
    return setI(U(0));
  if (name == "arith.sitofp")
    return setF(static_cast<double>(S(0)));
  if (name == "arith.uitofp")
    return setF(static_cast<double>(U(0)));
  if (name == "arith.fptosi" || name == "arith.fptoui") {
    double x = std::trunc(F(0));
    unsigned w = intWidth(rt);
    bool isSigned = name == "arith.fptosi";
    double lo = isSigned ? -std::ldexp(1.0, w - 1) : 0.0;
    double hi = isSigned ? std::ldexp(1.0, w - 1) : std::ldexp(1.0, w);
    if (!(x >= lo && x < hi))
      return fail(name, " of ", F(0), " is out of range for ", rt,
                  " in attn region at ", at());
    if (isSigned)
      return setI(static_cast<uint64_t>(static_cast<int64_t>(x)));
    return setI(static_cast<uint64_t>(x));
  }
  if (auto dim = dyn_cast<tensor::DimOp>(op)) {
    const NDArray *const *src =
        std::get_if<const NDArray *>(&values[dim.getSource()]);
    if (!src || !*src)
      return unsupported();
    int64_t d = static_cast<int64_t>(rawBits(get(dim.getIndex())));
    if (d < 0 || d >= (*src)->rank())
      return fail("tensor.dim index ", d, " out of range [0, ", (*src)->rank(),
                  ") in attn region at ", at());
    return setI(static_cast<uint64_t>((*src)->shape()[d]));
  }
  return unsupported();
}

//===----------------------------------------------------------------------===//
// Evaluator
//===----------------------------------------------------------------------===//

/// Slopes of Press et al.'s reference get_slopes(n).
std::vector<double> alibiSlopes(int64_t n) {
  auto powerOf2 = [](int64_t m) {
    std::vector<double> s;
    for (int64_t h = 0; h < m; ++h)
      s.push_back(std::exp2(-8.0 * static_cast<double>(h + 1) / m));
    return s;
  };
  if (n <= 0)
    return {};
  int64_t n0 = 1;
  while (n0 * 2 <= n)
    n0 *= 2;
  std::vector<double> slopes = powerOf2(n0);
  if (n0 == n)
    return slopes;
  std::vector<double> extra = alibiSlopes(2 * n0);
  for (size_t k = 0; static_cast<int64_t>(slopes.size()) < n; k += 2)
    slopes.push_back(extra[k]);
  return slopes;
}

class Evaluator {
public:
  Evaluator(AttentionOp op, const Inputs &in)
      : op(op), in(in), maskFn(op.getMaskFn(), 4, in.captures),
        scoreMod(op.getScoreMod(), 5, in.captures),
        weightMod(op.getWeightMod(), 6, in.captures),
        selection(op.getSelectionAttr()), quant(op.getQuantizationAttr()) {}

  llvm::Expected<Outputs> run();
  /// The selection's flags [B, Hq, Nq, blocks] (1: selected).
  llvm::Expected<NDArray> selectedBlocks();

private:
  llvm::Error validate();
  llvm::Error validateMask(MaskAttrInterface mask);
  bool keepAttr(MaskAttrInterface mask, int64_t b, int64_t h, int64_t i,
                int64_t j) const;
  bool keepNeighborhood(NeighborhoodMaskAttr nb, int64_t i, int64_t j) const;
  llvm::Expected<bool> keep(int64_t b, int64_t h, int64_t i, int64_t j);
  llvm::Expected<double> score(int64_t b, int64_t h, int64_t i, int64_t j,
                               double *raw = nullptr);
  /// Multiplies the weights of row (b, h, i) by prod_{r=j+1..p} decay[r].
  void applyDecay(int64_t b, int64_t h, int64_t i, std::vector<double> &w);
  /// With a gate per key channel: the products prod_{r=j+1..p} a[r, c] of
  /// row (b, h, i) into channelGates (0 for keys after p), multiplied out
  /// directly from the last key down, no logarithms.
  void rowChannelGates(int64_t b, int64_t h, int64_t i);
  /// Key (or value) head read by query head h of batch b.
  llvm::Expected<int64_t> headFor(const std::optional<NDArray> &map,
                                  int64_t heads, int64_t b, int64_t h) const;
  /// Pooled keys of every (batch, key head, block) of the selection.
  void poolKeys();
  /// The head groups of a head_group selection: proxy_heads, else the key
  /// heads (GQA groups).
  int64_t gateGroups() const {
    return selection.getProxyHeads() > 0 ? selection.getProxyHeads() : Hkv;
  }
  std::vector<double> groupMeans(const std::vector<double> &perHead,
                                 int64_t heads, int64_t groups,
                                 int64_t stride) const;
  /// With a learned gate: checks its projections and keeps them.
  llvm::Error validateGate();
  /// The gate of row (b, h) against every eligible block: the raw dot
  /// product of the gate query `qr` with the pooled keys, or of their
  /// learned projections.
  std::vector<double> blockGates(const double *qr, int64_t b, int64_t h,
                                 int64_t hk, int64_t queryBlock,
                                 int64_t eligible) const;
  /// Pooled queries of every (batch, head, query block) with q_block.
  void poolQueries();
  void poolQueryGroups();
  /// Checks the quantization's scale operands and i8 values.
  llvm::Error validateQuantization();
  /// A pre-quantized V: v_scale's shape and values, V's values.
  llvm::Error validateValueQuantization();
  /// v times its scales, exactly (an i8 or FP8 value times an f32 scale
  /// fits a double's mantissa).
  void dequantizeValues();
  /// Replaces q and k by their quantized integers and sets the row scales.
  void quantizeQK();
  /// smooth_q: replaces q by its residual from the query block means,
  /// keeping the means [B, Hq, blocks, D] and the float keys k' (smoothed
  /// with smooth_k) [B, Hkv, Nk, D] of the correction.
  void smoothQuery();
  std::vector<double> qBlockMean, kFloat;
  /// qm[b, h, i / q_block] . k'[b, hk, j] (without the softmax scale).
  double smoothingCorrection(int64_t b, int64_t h, int64_t hk, int64_t i,
                             int64_t j) const;
  /// The key blocks the selection keeps for row (b, h, i) into rowBlocks.
  llvm::Error selectBlocks(int64_t b, int64_t h, int64_t i);


  AttentionOp op;
  const Inputs &in;
  Interpreter maskFn, scoreMod, weightMod;
  int64_t B = 0, Hq = 0, Hkv = 0, Hv = 0, Nq = 0, Nk = 0, D = 0, Dv = 0;
  double scale = 1.0;
  std::vector<double> q, k, v, bias, slopes;
  /// A decay per key channel (rank 4, GLA), and the current row's products
  /// of the gates [Nk x D].
  bool channelDecay = false;
  std::vector<double> channelGates;
  llvm::DenseMap<Attribute, llvm::SmallVector<int64_t, 3>> grids;
  llvm::SmallVector<BlockSparseMaskAttr> blockSparse;
  /// The selection (null without one), its block count, pooled keys
  /// [B, Hkv, blocks, D] and the blocks of the row being evaluated.
  TopKBlocksAttr selection;
  int64_t numBlocks = 0;
  /// The width of a pooled key: the pools times D.
  int64_t pooledWidth = 0;
  /// The pooled keys' heads: Hkv, or the proxy heads (their means).
  int64_t keyHeads = 0;
  std::vector<double> pooled;
  /// With a learned gate: Wq [Hq|1, D, Dg], Wk [Hk|1, P*D, Dg] and Dg.
  std::vector<double> gateQWeight, gateKWeight;
  int64_t gateDim = 0;
  bool sharedGateQ = false, sharedGateK = false;
  /// With a given gate: the scores [B|1, Hk|1, blocks] and their extents.
  std::vector<double> blockScores;
  int64_t scoreBatches = 0, scoreHeads = 0, scoreBlocks = 0;
  /// Per query block: the scores' query blocks (1 per token).
  int64_t scoreQueryBlocks = 1;
  std::vector<char> rowBlocks;
  /// A per-token selection's float queries when quantization replaces q by
  /// its integers (the gate is float).
  std::vector<double> gateQueries;
  /// With q_block: the query block count and pooled queries
  /// [B, Hq, query blocks, D].
  int64_t numQueryBlocks = 0;
  std::vector<double> pooledQueries;
  /// With quantized Q K^T: the scale of every query row [B, Hq, Nq] and
  /// key row [B, Hkv, Nk] (q and k then hold the integers).
  QuantizedQKAttr quant;
  std::vector<double> qRowScale, kRowScale;
  /// With a low_rank term: the projected rows q U [B, Hq, Nq, R] and
  /// k W [B, Hk, Nk, R].
  std::vector<double> qLowRank, kLowRank;
  /// With pv = int8: v holds the integers and vScale [B, Hv, Dv] the
  /// scale of each channel.
  bool int8PV = false;
  std::vector<double> vScale;
  /// With pv = fp8_*: v holds the FP8 values (as doubles) and vScale the
  /// channel scales absmax / F.
  bool fp8PV = false;
  /// Quantizes v per (b, value head, channel): vScale = absmax / `max`
  /// (NaN if the channel has one), v = `round`(v / scale), 0 for a NaN
  /// quotient (pv = int8: max 127, round to the nearest even, clamped;
  /// pv = fp8_*: the format's max and rounding).
  void quantizeValues(float max, llvm::function_ref<double(float)> round);

  /// With a feature map that changes the feature dimension (hedgehog,
  /// taylor2): F' features per row, and phi of the query rows [Nq, F'] and
  /// of the key rows [Nk, F'] (read by query head h) of the (b, h) last
  /// mapped.
  bool expandedFeatures = false, taylorFeatures = false;
  int64_t numFeatures = 0;
  int64_t phiB = -1, phiH = -1;
  std::vector<double> phiQ, phiK, featureWeight, featureBias;
  /// Checks the feature map's weight and bias operands and sets F'.
  llvm::Error validateFeatureMap();
  /// phi of the D elements at `x` for query head h, into `out` (F').
  void expandRow(const double *x, int64_t h, double *out) const;
  /// Maps the query rows of (b, h) and the key rows it reads.
  void expandHead(int64_t b, int64_t h, int64_t hk);
  /// phi of a map that keeps D on `x` ([B, H, n, D] in place): element by
  /// element, softmax over each row's D features, or (key maps) over the
  /// n tokens of each (b, h, feature).
  void mapRows(std::vector<double> &x, FeatureMapKind kind, int64_t n) const;

  /// With a key map that reads the queries (query_weighted, flow): the
  /// factor of each mapped key row per query head ([B, Hq, Nk]) and, for
  /// flow, of each output row ([B, Hq, Nq]); empty otherwise.
  std::vector<double> keyWeights, rowGates;
  /// Computes them from the mapped q and k (phi(q), phi(k)).
  void weighKeys(FeatureMapKind kind);
};

/// The feature map of linear attention, in double precision.
double featureMap(FeatureMapKind kind, double x) {
  switch (kind) {
  case FeatureMapKind::EluPlusOne:
    return x > 0 ? x + 1.0 : std::exp(x);
  case FeatureMapKind::Relu:
    return x > 0 ? x : 0.0;
  case FeatureMapKind::Sigmoid:
    return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
  case FeatureMapKind::Exp:
    return std::exp(x);
  case FeatureMapKind::Silu:
    return x >= 0 ? x / (1.0 + std::exp(-x)) : x * std::exp(x) / (1.0 + std::exp(x));
  case FeatureMapKind::Identity:
    return x;
  case FeatureMapKind::Hedgehog:
  case FeatureMapKind::Taylor2:
  case FeatureMapKind::Softmax:
  case FeatureMapKind::SequenceSoftmax:
  case FeatureMapKind::SequenceScale:
  case FeatureMapKind::QueryWeighted:
  case FeatureMapKind::Flow:
    break; // rows or sequences: Evaluator::expandRow, Evaluator::mapRows,
           // Evaluator::weighKeys
  }
  return x;
}

/// Checks `array` against the static dims of `value`'s tensor type.
llvm::Error checkType(StringRef name, const NDArray &array, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  if (array.rank() != type.getRank())
    return fail(name, " has rank ", array.rank(), " (shape ",
                shapeStr(array.shape()), ") but the op's type ", type,
                " has rank ", type.getRank());
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (!type.isDynamicDim(d) && type.getDimSize(d) != array.shape()[d])
      return fail(name, " has shape ", shapeStr(array.shape()),
                  " but the op's type is ", type);
  return llvm::Error::success();
}

/// Checks `array`'s extents against `expected`; `broadcast` allows 1.
llvm::Error checkShape(StringRef name, const NDArray &array,
                       llvm::ArrayRef<int64_t> expected,
                       llvm::ArrayRef<bool> broadcast = {}) {
  if (array.rank() != static_cast<int64_t>(expected.size()))
    return fail(name, " must have rank ", expected.size(), ", got shape ",
                shapeStr(array.shape()));
  for (auto [d, e] : llvm::enumerate(expected)) {
    int64_t a = array.shape()[d];
    bool bc = d < broadcast.size() && broadcast[d];
    if (a != e && !(bc && a == 1))
      return fail(name, " has shape ", shapeStr(array.shape()), " but ",
                  bc ? "each dimension must be 1 or match " : "must be ",
                  shapeStr(expected));
  }
  return llvm::Error::success();
}

llvm::Error Evaluator::validateGate() {
  if (selection && selection.isGiven()) {
    const NDArray &scores = *in[OperandRole::BlockScores];
    int64_t blocks = Nk == 0 ? 0 : (Nk - 1) / selection.getBlock() + 1;
    // Per query block one score row per (key head, query block).
    int64_t qBlock = selection.getQBlock();
    int64_t rank = qBlock > 0 ? 4 : 3;
    if (scores.rank() != rank)
      return fail("the selection's block_scores must have rank ", rank,
                  qBlock > 0 ? " (per query block)" : "", ", got shape ",
                  shapeStr(scores.shape()));
    if (qBlock > 0) {
      int64_t queryBlocks = Nq == 0 ? 0 : (Nq - 1) / qBlock + 1;
      if (llvm::Error e =
              checkShape("block_scores", scores, {B, Hkv, queryBlocks, blocks},
                         {true, true, false, false}))
        return e;
      scoreQueryBlocks = queryBlocks;
    } else if (llvm::Error e = checkShape("block_scores", scores,
                                          {B, Hkv, blocks},
                                          {true, true, false})) {
      return e;
    }
    scoreBatches = scores.shape()[0];
    scoreHeads = scores.shape()[1];
    scoreBlocks = blocks;
    blockScores = scores.toDoubles();
    return llvm::Error::success();
  }
  if (!selection || !selection.isLearned())
    return llvm::Error::success();
  const NDArray &wq = *in[OperandRole::GateQWeight], &wk = *in[OperandRole::GateKWeight];
  if (wq.rank() != 3 || wk.rank() != 3)
    return fail("the selection's gate_q_weight and gate_k_weight must have "
                "rank 3, got shapes ",
                shapeStr(wq.shape()), " and ", shapeStr(wk.shape()));
  gateDim = wq.shape()[2];
  if (gateDim < 1)
    return fail("the selection's gate_q_weight has gate width ", gateDim,
                " (Dg, dimension 2): Dg must be at least 1");
  int64_t width = selection.numPools() * D;
  if (llvm::Error e = checkShape("gate_q_weight", wq, {Hq, D, gateDim},
                                 {true, false, false}))
    return e;
  if (llvm::Error e = checkShape("gate_k_weight", wk, {Hkv, width, gateDim},
                                 {true, false, false}))
    return e;
  sharedGateQ = wq.shape()[0] == 1;
  sharedGateK = wk.shape()[0] == 1;
  gateQWeight = wq.toDoubles();
  gateKWeight = wk.toDoubles();
  return llvm::Error::success();
}

llvm::Error Evaluator::validateFeatureMap() {
  FeatureMapAttr map = op.getFeatureMapAttr();
  expandedFeatures = map && !map.keepsFeatureDim();
  if (!expandedFeatures)
    return llvm::Error::success();
  if (!map.hasWeights()) {
    taylorFeatures = true;
    numFeatures = 1 + D + D * D;
    return llvm::Error::success();
  }
  if (!in[OperandRole::FeatureWeight] || !in[OperandRole::FeatureBias])
    return fail("#attn.feature_map<hedgehog> needs the feature_map weight "
                "and bias operands");
  const NDArray &w = *in[OperandRole::FeatureWeight], &bias = *in[OperandRole::FeatureBias];
  if (w.rank() != 3 || bias.rank() != 2)
    return fail("the feature_map weight must have rank 3 [Hq|1, F, D] and "
                "its bias rank 2 [Hq|1, F], got shapes ",
                shapeStr(w.shape()), " and ", shapeStr(bias.shape()));
  int64_t f = w.shape()[1];
  if (f < 1)
    return fail("the feature_map weight has ", f,
                " features (F, dimension 1): F must be at least 1");
  if (llvm::Error e = checkShape("feature_map weight", w, {Hq, f, D},
                                 {true, false, false}))
    return e;
  if (llvm::Error e = checkShape("feature_map bias", bias, {Hq, f},
                                 {true, false}))
    return e;
  numFeatures = 2 * f;
  featureWeight = w.toDoubles();
  featureBias = bias.toDoubles();
  return llvm::Error::success();
}

void Evaluator::expandRow(const double *x, int64_t h, double *out) const {
  if (taylorFeatures) {
    out[0] = 1.0;
    for (int64_t a = 0; a < D; ++a)
      out[1 + a] = x[a];
    for (int64_t a = 0; a < D; ++a)
      for (int64_t c = 0; c < D; ++c)
        out[1 + D + a * D + c] = x[a] * x[c] / std::sqrt(2.0);
    return;
  }
  // hedgehog: [exp(W x + b) || exp(-W x - b)] with head h's W and b.
  int64_t f = numFeatures / 2;
  int64_t hw = in[OperandRole::FeatureWeight]->shape()[0] == 1 ? 0 : h;
  int64_t hb = in[OperandRole::FeatureBias]->shape()[0] == 1 ? 0 : h;
  for (int64_t r = 0; r < f; ++r) {
    double u = featureBias[hb * f + r];
    for (int64_t a = 0; a < D; ++a)
      u += featureWeight[(hw * f + r) * D + a] * x[a];
    out[r] = std::exp(u);
    out[f + r] = std::exp(-u);
  }
}

void Evaluator::expandHead(int64_t b, int64_t h, int64_t hk) {
  if (phiB == b && phiH == h)
    return;
  phiB = b;
  phiH = h;
  phiQ.assign(Nq * numFeatures, 0.0);
  phiK.assign(Nk * numFeatures, 0.0);
  for (int64_t i = 0; i < Nq; ++i)
    expandRow(&q[((b * Hq + h) * Nq + i) * D], h, &phiQ[i * numFeatures]);
  for (int64_t j = 0; j < Nk; ++j)
    expandRow(&k[((b * Hkv + hk) * Nk + j) * D], h, &phiK[j * numFeatures]);
}

llvm::Error Evaluator::validateMask(MaskAttrInterface mask) {
  if (auto bs = dyn_cast<BlockSparseMaskAttr>(mask)) {
    blockSparse.push_back(bs);
    return llvm::Error::success();
  }
  if (isa<FullMaskAttr, CausalMaskAttr, WindowMaskAttr, SinksMaskAttr,
          StridedMaskAttr, DilatedMaskAttr, ChunkedMaskAttr, PrefixLMMaskAttr,
          DocumentMaskAttr>(mask))
    return llvm::Error::success();
  if (auto a = dyn_cast<AndMaskAttr>(mask)) {
    for (MaskAttrInterface m : a.getMasks())
      if (llvm::Error e = validateMask(m))
        return e;
    return llvm::Error::success();
  }
  if (auto o = dyn_cast<OrMaskAttr>(mask)) {
    for (MaskAttrInterface m : o.getMasks())
      if (llvm::Error e = validateMask(m))
        return e;
    return llvm::Error::success();
  }
  if (auto n = dyn_cast<NotMaskAttr>(mask))
    return validateMask(n.getMask());
  if (auto ph = dyn_cast<PerHeadMaskAttr>(mask)) {
    if (ph.getNumHeads() != Hq)
      return fail("#attn.per_head describes ", ph.getNumHeads(),
                  " heads but the query has ", Hq);
    for (Attribute m : ph.getMasks())
      if (llvm::Error e = validateMask(cast<MaskAttrInterface>(m)))
        return e;
    return llvm::Error::success();
  }
  if (auto nb = dyn_cast<NeighborhoodMaskAttr>(mask)) {
    if (Nq != Nk)
      return fail("#attn.neighborhood needs equal query and key lengths, got ",
                  Nq, " and ", Nk);
    llvm::SmallVector<int64_t, 3> grid(nb.getGrid().asArrayRef());
    int64_t product = 1;
    int64_t inferred = -1;
    for (auto [axis, extent] : llvm::enumerate(grid)) {
      if (extent == -1)
        inferred = axis;
      else
        product *= extent;
    }
    if (inferred >= 0) {
      if (product == 0 || Nq % product != 0)
        return fail("#attn.neighborhood cannot infer a grid extent: sequence "
                    "length ",
                    Nq, " is not a multiple of ", product);
      grid[inferred] = Nq / product;
      product *= grid[inferred];
    }
    if (product != Nq)
      return fail("#attn.neighborhood grid ", shapeStr(grid), " has ", product,
                  " tokens but the sequence has ", Nq);
    grids[nb] = grid;
    return llvm::Error::success();
  }
  return fail("the reference evaluator does not know mask ", mask);
}

llvm::Error Evaluator::validate() {
  if (llvm::Error e = checkType("query", in.query, op.getQuery()))
    return e;
  if (llvm::Error e = checkType("key", in.key, op.getKey()))
    return e;
  if (llvm::Error e = checkType("value", in.value, op.getValue()))
    return e;
  auto qs = in.query.shape(), ks = in.key.shape(), vs = in.value.shape();
  B = qs[0];
  Hq = qs[1];
  Nq = qs[2];
  D = qs[3];
  Hkv = ks[1];
  Nk = ks[2];
  Dv = vs[3];
  for (Interpreter *region : {&maskFn, &scoreMod, &weightMod})
    region->setLengths(Nq, Nk);
  if (ks[0] != B || ks[3] != D)
    return fail("key shape ", shapeStr(ks), " does not match query shape ",
                shapeStr(qs), " in batch or head_dim");
  Hv = vs[1];
  bool kMap = static_cast<bool>(op.getKHeadMap());
  bool vMap = static_cast<bool>(op.getVHeadMap());
  if (vs[0] != B || (!vMap && vs[1] != Hkv) || vs[2] != Nk)
    return fail("value shape ", shapeStr(vs), " does not match key shape ",
                shapeStr(ks), " in batch, heads or length");
  if (Hkv <= 0 || (!kMap && Hq % Hkv != 0))
    return fail("query heads (", Hq,
                ") must be a multiple of key/value heads (", Hkv, ")");
  if (Hv <= 0)
    return fail("value heads must be positive, got ", Hv);
  if (int64_t g = selection ? selection.getProxyHeads() : 0;
      g > 0 && (Hq % g != 0 || Hkv % g != 0))
    return fail("selection proxy_heads = ", g, " must divide the query heads (",
                Hq, ") and the key heads (", Hkv, ")");
  if (DenseI64ArrayAttr budgets = selection ? selection.getBudgets() : nullptr;
      budgets && static_cast<int64_t>(budgets.size()) != Hkv)
    return fail("selection budgets has ", budgets.size(),
                " entries but there are ", Hkv,
                " key heads (one budget per key head)");
  if (D <= 0)
    return fail("head_dim must be positive, got ", D);

  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  int64_t outShape[4] = {B, Hq, Nq, Dv};
  for (int64_t d = 0; d < 4; ++d)
    if (!outType.isDynamicDim(d) && outType.getDimSize(d) != outShape[d])
      return fail("the output type ", outType, " does not match the shape ",
                  shapeStr(outShape), " implied by the inputs");
  if (Value lse = op.getLse()) {
    auto lseType = cast<RankedTensorType>(lse.getType());
    int64_t lseShape[3] = {B, Hq, Nq};
    if (lseType.getRank() != 3)
      return fail("the logsumexp type ", lseType, " must have rank 3");
    for (int64_t d = 0; d < 3; ++d)
      if (!lseType.isDynamicDim(d) && lseType.getDimSize(d) != lseShape[d])
        return fail("the logsumexp type ", lseType,
                    " does not match the shape ", shapeStr(lseShape),
                    " implied by the inputs");
    if (op.getNormalizationKind() != NormalizationKind::Softmax)
      return fail("the logsumexp result is only defined for softmax");
  }

  for (const OperandRoleInfo &info : operandRoles()) {
    if (!info.optionalOperand())
      continue;
    Value operand = operandOf(op, info.role);
    const std::optional<NDArray> &array = in[info.role];
    if (static_cast<bool>(operand) != array.has_value())
      return operand ? fail("the op has a ", info.name,
                            " operand but no array was given for it")
                     : fail("an array was given for ", info.name,
                            " but the op has no such operand");
    if (operand)
      if (llvm::Error e = checkType(info.name, *array, operand))
        return e;
  }
  if (in[OperandRole::Bias])
    if (llvm::Error e = checkShape("bias", *in[OperandRole::Bias], {B, Hq, Nq, Nk},
                                   {true, true, true, true}))
      return e;
  if (in[OperandRole::QSegmentIds])
    if (llvm::Error e = checkShape("q_segment_ids", *in[OperandRole::QSegmentIds], {B, Nq}))
      return e;
  if (in[OperandRole::KvSegmentIds])
    if (llvm::Error e = checkShape("kv_segment_ids", *in[OperandRole::KvSegmentIds], {B, Nk}))
      return e;
  if (in[OperandRole::AlibiSlopes])
    if (llvm::Error e = checkShape("alibi_slopes", *in[OperandRole::AlibiSlopes], {Hq}))
      return e;
  for (auto [name, map] : {std::make_pair("k_head_map", &in[OperandRole::KHeadMap]),
                            std::make_pair("v_head_map", &in[OperandRole::VHeadMap])}) {
    if (!*map)
      continue;
    if ((*map)->rank() == 1) {
      if (llvm::Error e = checkShape(name, **map, {Hq}))
        return e;
    } else if (llvm::Error e = checkShape(name, **map, {B, Hq}, {true, false})) {
      return e;
    }
  }
  if (in[OperandRole::SinkLogits])
    if (llvm::Error e = checkShape("sink_logits", *in[OperandRole::SinkLogits], {Hq}))
      return e;
  if (in[OperandRole::OutputGate]) {
    // Rank 4: one gate per output element.
    bool elementwise = in[OperandRole::OutputGate]->rank() == 4;
    std::vector<int64_t> gateShape = {B, Hq, Nq};
    if (elementwise)
      gateShape.push_back(Dv);
    if (llvm::Error e = checkShape("output_gate", *in[OperandRole::OutputGate], gateShape,
                                   {true, true, true, true}))
      return e;
  }
  if (in[OperandRole::SinkLogits] && op.getNormalizationKind() != NormalizationKind::Softmax)
    return fail("sink_logits are only defined for softmax");
  if (in[OperandRole::Decay]) {
    channelDecay = in[OperandRole::Decay]->rank() == 4;
    std::vector<int64_t> decayShape = {B, Hq, Nk};
    if (channelDecay)
      decayShape.push_back(D);
    if (llvm::Error e = checkShape("decay", *in[OperandRole::Decay], decayShape,
                                   {true, true, true, false}))
      return e;
    for (int64_t x = 0, n = in[OperandRole::Decay]->numElements(); x < n; ++x) {
      double a = in[OperandRole::Decay]->getDouble(x);
      if (!(a > 0.0 && a <= 1.0))
        return fail("decay element ", x, " is ", a,
                    ": a decay must lie in (0, 1]");
    }
  }

  if (llvm::Error e = validateValueQuantization())
    return e;
  if (llvm::Error e = validateQuantization())
    return e;
  if (llvm::Error e = validateFeatureMap())
    return e;
  if (llvm::Error e = validateGate())
    return e;

  if (in.captures.size() != op.getNumCaptures())
    return fail("the op has ", op.getNumCaptures(), " captures but ",
                in.captures.size(), " arrays were given");
  for (auto [c, array] : llvm::enumerate(in.captures))
    if (llvm::Error e = checkType("capture " + std::to_string(c), array,
                                  op.getCaptures()[c]))
      return e;

  if (MaskAttrInterface mask = op.getMaskAttr()) {
    if (llvm::Error e = validateMask(mask))
      return e;
    // Layout extents depend on the block sizes (one per op, verified).
    for (BlockSparseMaskAttr bs : blockSparse) {
      if (!in[OperandRole::BlockLayout])
        return fail("#attn.block_sparse needs the block_layout operand");
      int64_t nqb = (Nq + bs.getBlockQ() - 1) / bs.getBlockQ();
      int64_t nkb = (Nk + bs.getBlockKv() - 1) / bs.getBlockKv();
      if (llvm::Error e =
              checkShape("block_layout", *in[OperandRole::BlockLayout], {B, Hq, nqb, nkb},
                         {true, true, false, false}))
        return e;
    }
  }

  // The op may not have been verified: never walk a malformed region.
  for (auto [name, region, numLeading] :
       {std::make_tuple("mask_fn", &op.getMaskFn(), 4u),
        std::make_tuple("score_mod", &op.getScoreMod(), 5u),
        std::make_tuple("weight_mod", &op.getWeightMod(), 6u)}) {
    if (region->empty())
      continue;
    Block &block = region->front();
    if (!region->hasOneBlock() ||
        block.getNumArguments() != numLeading + op.getNumCaptures() ||
        block.empty() || !isa<YieldOp>(block.back()) ||
        block.back().getNumOperands() != 1)
      return fail("region '", name, "' is malformed; verify the op first");
  }

  if (ArrayAttr mods = op.getScoreModsAttr())
    for (Attribute m : mods)
      if (!isa<SoftcapAttr, AlibiAttr>(m))
        return fail("the reference evaluator does not know score mod ", m);

  if (FloatAttr s = op.getScaleAttr())
    scale = s.getValueAsDouble();
  else
    scale = 1.0 / std::sqrt(static_cast<double>(D));
  if (in[OperandRole::AlibiSlopes])
    slopes = in[OperandRole::AlibiSlopes]->toDoubles();
  else
    slopes = alibiSlopes(Hq);
  return llvm::Error::success();
}

bool Evaluator::keepNeighborhood(NeighborhoodMaskAttr nb, int64_t i,
                                 int64_t j) const {
  const llvm::SmallVector<int64_t, 3> &grid = grids.find(nb)->second;
  int64_t rank = grid.size();
  // Row-major coordinates: the last axis varies fastest.
  for (int64_t axis = rank - 1; axis >= 0; --axis) {
    int64_t n = grid[axis];
    int64_t x = i % n, y = j % n;
    i /= n;
    j /= n;
    int64_t k = nb.getKernel()[axis];
    int64_t d = nb.getDilationAt(axis);
    if (x % d != y % d)
      return false;
    int64_t g = x % d;
    int64_t length = (n - g + d - 1) / d;
    int64_t xg = x / d, yg = y / d;
    // GNA stride: the queries of a stride group share their leader's window.
    int64_t st = nb.getStrideAt(axis);
    int64_t leader = std::min<int64_t>(
        (xg / st) * st + (nb.getCausalAt(axis) ? st - 1 : st / 2), length - 1);
    if (nb.getCausalAt(axis)) {
      if (yg < leader - k + 1 || yg > xg)
        return false;
    } else {
      int64_t start = std::clamp<int64_t>(leader - k / 2, 0,
                                          std::max<int64_t>(length - k, 0));
      if (yg < start || yg >= start + k)
        return false;
    }
  }
  return true;
}

bool Evaluator::keepAttr(MaskAttrInterface mask, int64_t b, int64_t h,
                         int64_t i, int64_t j) const {
  int64_t p = i + (Nk - Nq);
  if (isa<FullMaskAttr>(mask))
    return true;
  if (isa<CausalMaskAttr>(mask))
    return j <= p;
  if (auto w = dyn_cast<WindowMaskAttr>(mask))
    return p - j <= w.getLeft() && j - p <= w.getRight();
  if (auto s = dyn_cast<SinksMaskAttr>(mask))
    return j < s.getCount();
  if (auto s = dyn_cast<StridedMaskAttr>(mask)) {
    int64_t offset = s.getOffset() + h * s.getHeadStep();
    return mathMod(j / s.getBlock() - offset, s.getStride()) == 0;
  }
  if (auto d = dyn_cast<DilatedMaskAttr>(mask))
    return mathMod(p - j, d.getRate()) == 0;
  if (auto c = dyn_cast<ChunkedMaskAttr>(mask))
    return floorDiv(p, c.getSize()) == floorDiv(j, c.getSize());
  if (auto pl = dyn_cast<PrefixLMMaskAttr>(mask))
    return j < pl.getPrefix() || j <= p;
  if (isa<DocumentMaskAttr>(mask))
    return readInt(*in[OperandRole::QSegmentIds], b * Nq + i) ==
           readInt(*in[OperandRole::KvSegmentIds], b * Nk + j);
  if (auto bs = dyn_cast<BlockSparseMaskAttr>(mask)) {
    const NDArray &layout = *in[OperandRole::BlockLayout];
    auto shape = layout.shape();
    int64_t bb = shape[0] == 1 ? 0 : b, hh = shape[1] == 1 ? 0 : h;
    int64_t qb = i / bs.getBlockQ(), kb = j / bs.getBlockKv();
    int64_t idx = ((bb * shape[1] + hh) * shape[2] + qb) * shape[3] + kb;
    return layout.getDouble(idx) != 0.0;
  }
  if (auto nb = dyn_cast<NeighborhoodMaskAttr>(mask))
    return keepNeighborhood(nb, i, j);
  if (auto a = dyn_cast<AndMaskAttr>(mask))
    return llvm::all_of(a.getMasks(), [&](MaskAttrInterface m) {
      return keepAttr(m, b, h, i, j);
    });
  if (auto o = dyn_cast<OrMaskAttr>(mask))
    return llvm::any_of(o.getMasks(), [&](MaskAttrInterface m) {
      return keepAttr(m, b, h, i, j);
    });
  if (auto n = dyn_cast<NotMaskAttr>(mask))
    return !keepAttr(n.getMask(), b, h, i, j);
  if (auto ph = dyn_cast<PerHeadMaskAttr>(mask))
    return keepAttr(ph.getMaskForHead(h), b, h, i, j);
  llvm_unreachable("mask kinds are checked by validateMask");
}

std::string where(const std::string &region, int64_t b, int64_t h, int64_t i,
                  int64_t j) {
  return " (evaluating " + region + " at b = " + std::to_string(b) +
         ", h = " + std::to_string(h) + ", i = " + std::to_string(i) +
         ", j = " + std::to_string(j) + ")";
}

llvm::Expected<bool> Evaluator::keep(int64_t b, int64_t h, int64_t i,
                                     int64_t j) {
  if (MaskAttrInterface mask = op.getMaskAttr())
    if (!keepAttr(mask, b, h, i, j))
      return false; // the region is not evaluated where the attribute masks
  if (selection && !rowBlocks[j / selection.getBlock()])
    return false; // nor where the selection drops the key's block
  if (maskFn.empty())
    return true;
  RVal args[4] = {b, h, i, j};
  llvm::Expected<RVal> r = maskFn.run(args);
  if (!r)
    return fail(llvm::toString(r.takeError()), where("mask_fn", b, h, i, j));
  return static_cast<bool>(rawBits(*r) & 1);
}

llvm::Expected<int64_t> Evaluator::headFor(const std::optional<NDArray> &map,
                                           int64_t heads, int64_t b,
                                           int64_t h) const {
  if (!map)
    return h / (Hq / heads);
  int64_t idx = map->rank() == 1 ? h : (map->shape()[0] == 1 ? 0 : b) * Hq + h;
  int64_t head = readInt(*map, idx);
  if (head < 0 || head >= heads)
    return fail(&map == &in[OperandRole::KHeadMap] ? "k_head_map" : "v_head_map", " entry ",
                head, " of query head ", h, " (batch ", b,
                ") is outside [0, ", heads, ")");
  return head;
}

void Evaluator::rowChannelGates(int64_t b, int64_t h, int64_t i) {
  auto shape = in[OperandRole::Decay]->shape();
  int64_t base = ((shape[0] == 1 ? 0 : b) * shape[1] + (shape[1] == 1 ? 0 : h)) *
                 shape[2];
  auto gateAt = [&](int64_t r, int64_t c) {
    return in[OperandRole::Decay]->getDouble((base + (shape[2] == 1 ? 0 : r)) * D + c);
  };
  channelGates.assign(Nk * D, 0.0);
  int64_t p = std::min(i + Nk - Nq, Nk - 1);
  std::vector<double> product(D, 1.0);
  for (int64_t j = p; j >= 0; --j)
    for (int64_t c = 0; c < D; ++c) {
      channelGates[j * D + c] = product[c];
      product[c] *= gateAt(j, c);
    }
}

void Evaluator::applyDecay(int64_t b, int64_t h, int64_t i,
                           std::vector<double> &w) {
  auto shape = in[OperandRole::Decay]->shape();
  int64_t base = ((shape[0] == 1 ? 0 : b) * shape[1] + (shape[1] == 1 ? 0 : h)) *
                 shape[2];
  auto decayAt = [&](int64_t r) {
    return in[OperandRole::Decay]->getDouble(base + (shape[2] == 1 ? 0 : r));
  };
  // The verifier requires a causal mask: keys after p have weight 0.
  int64_t p = std::min(i + Nk - Nq, Nk - 1);
  double product = 1.0;
  for (int64_t j = p; j >= 0; --j) {
    w[j] *= product;
    product *= decayAt(j);
  }
}

/// pool over the block's keys; a NaN element propagates (max and min
/// included), as the gate's NaN rule expects.
void Evaluator::poolKeys() {
  int64_t block = selection.getBlock();
  numBlocks = Nk == 0 ? 0 : (Nk - 1) / block + 1;
  pooledWidth = selection.numPools() * D;
  keyHeads = Hkv;
  pooled.assign(B * Hkv * numBlocks * pooledWidth, 0.0);
  for (auto [p, kind] : llvm::enumerate(selection.getPool()))
    for (int64_t bh = 0; bh < B * Hkv; ++bh)
      for (int64_t c = 0; c < numBlocks; ++c)
        for (int64_t x = 0; x < D; ++x) {
          int64_t first = c * block, last = std::min(first + block, Nk);
          // A representative key: the block's first or last actual key.
          if (kind == PoolKind::First || kind == PoolKind::Last) {
            int64_t j = kind == PoolKind::First ? first : last - 1;
            pooled[(bh * numBlocks + c) * pooledWidth + p * D + x] =
                k[(bh * Nk + j) * D + x];
            continue;
          }
          double acc = k[(bh * Nk + first) * D + x];
          for (int64_t j = first + 1; j < last; ++j) {
            double y = k[(bh * Nk + j) * D + x];
            if (std::isnan(acc) || std::isnan(y))
              acc = acc + y;
            else if (kind == PoolKind::Mean || kind == PoolKind::Sum)
              acc += y;
            else if (kind == PoolKind::Max)
              acc = std::max(acc, y);
            else
              acc = std::min(acc, y);
          }
          if (kind == PoolKind::Mean)
            acc /= static_cast<double>(last - first);
          // The pools are concatenated in the order written.
          pooled[(bh * numBlocks + c) * pooledWidth + p * D + x] = acc;
        }
  // Proxy heads: one pooled key per group of key heads, their mean.
  if (selection.getProxyHeads() > 0) {
    keyHeads = selection.getProxyHeads();
    pooled = groupMeans(pooled, Hkv, keyHeads, numBlocks * pooledWidth);
  }
}

std::vector<double> Evaluator::blockGates(const double *qr, int64_t b,
                                          int64_t h, int64_t hk,
                                          int64_t queryBlock,
                                          int64_t eligible) const {
  std::vector<double> gate(eligible, 0.0);
  if (selection.isGiven()) {
    // The caller's score of each block, for every row of the key head (per
    // query block: of the row's query block).
    const double *row =
        &blockScores[(((scoreBatches == 1 ? 0 : b) * scoreHeads +
                       (scoreHeads == 1 ? 0 : hk)) *
                          scoreQueryBlocks +
                      (scoreQueryBlocks == 1 ? 0 : queryBlock)) *
                     scoreBlocks];
    for (int64_t c = 0; c < eligible; ++c)
      gate[c] = row[c];
    return gate;
  }
  auto keyRow = [&](int64_t c) {
    return &pooled[((b * keyHeads + hk) * numBlocks + c) * pooledWidth];
  };
  if (!selection.isLearned()) {
    for (int64_t c = 0; c < eligible; ++c)
      for (int64_t x = 0; x < D; ++x)
        gate[c] += qr[x] * keyRow(c)[x];
    return gate;
  }
  // (qbar Wq) . (kbar Wk): both projections, then their dot product.
  const double *wq = &gateQWeight[(sharedGateQ ? 0 : h) * D * gateDim];
  const double *wk =
      &gateKWeight[(sharedGateK ? 0 : hk) * pooledWidth * gateDim];
  std::vector<double> qg(gateDim, 0.0);
  for (int64_t x = 0; x < D; ++x)
    for (int64_t g = 0; g < gateDim; ++g)
      qg[g] += qr[x] * wq[x * gateDim + g];
  for (int64_t c = 0; c < eligible; ++c) {
    const double *kr = keyRow(c);
    for (int64_t g = 0; g < gateDim; ++g) {
      double kg = 0.0;
      for (int64_t y = 0; y < pooledWidth; ++y)
        kg += kr[y] * wk[y * gateDim + g];
      gate[c] += qg[g] * kg;
    }
  }
  return gate;
}

/// The mean of the actual queries of every query block (q_block > 0); a
/// NaN propagates.
void Evaluator::poolQueries() {
  int64_t qBlock = selection.getQBlock();
  numQueryBlocks = Nq == 0 ? 0 : (Nq - 1) / qBlock + 1;
  pooledQueries.assign(B * Hq * numQueryBlocks * D, 0.0);
  for (int64_t bh = 0; bh < B * Hq; ++bh)
    for (int64_t r = 0; r < numQueryBlocks; ++r) {
      int64_t first = r * qBlock, last = std::min(first + qBlock, Nq);
      for (int64_t x = 0; x < D; ++x) {
        double sum = 0.0;
        for (int64_t i = first; i < last; ++i)
          sum += q[(bh * Nq + i) * D + x];
        pooledQueries[(bh * numQueryBlocks + r) * D + x] =
            sum / static_cast<double>(last - first);
      }
    }
  if (selection.getHeadGroup())
    poolQueryGroups();
}

/// With head_group: the mean of the pooled queries over the query heads of
/// each key head's GQA group (h / (Hq / Hkv)), [B, Hkv, query blocks, D].
void Evaluator::poolQueryGroups() {
  pooledQueries =
      groupMeans(pooledQueries, Hq, gateGroups(), numQueryBlocks * D);
}

/// The mean over contiguous groups of heads: [B, heads, stride] to
/// [B, groups, stride], group g holding heads [g * G, (g + 1) * G).
std::vector<double> Evaluator::groupMeans(const std::vector<double> &perHead,
                                          int64_t heads, int64_t groups,
                                          int64_t stride) const {
  int64_t group = heads / groups;
  std::vector<double> means(B * groups * stride, 0.0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t e = 0; e < stride; ++e)
        means[(b * groups + h / group) * stride + e] +=
            perHead[(b * heads + h) * stride + e] / static_cast<double>(group);
  return means;
}

/// The softmax masses of the scaled gates (NaN gates have none, NaN): the
/// entries at the maximum weigh 1 before normalization, so +inf gates and
/// an all -inf row share the mass equally.
static std::vector<double> blockMasses(const std::vector<double> &gate,
                                       int64_t headDim) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  double scale = 1.0 / std::sqrt(static_cast<double>(headDim));
  double m = -std::numeric_limits<double>::infinity();
  bool any = false;
  for (double g : gate)
    if (!std::isnan(g)) {
      m = any ? std::max(m, g * scale) : g * scale;
      any = true;
    }
  std::vector<double> w(gate.size(), nan);
  double sum = 0.0;
  for (size_t c = 0; c < gate.size(); ++c)
    if (!std::isnan(gate[c])) {
      double u = gate[c] * scale;
      w[c] = u == m ? 1.0 : std::exp(u - m);
      sum += w[c];
    }
  for (double &x : w)
    x /= sum;
  return w;
}

/// Selects for row (b, h, i), or for its query block with q_block, the
/// eligible blocks (c * block <= p1, or all of them with causal = false):
/// the always-kept ones (current, sinks, local), then in ranking order (gates highest first, equal gates
/// by lower index, NaN last) those with fewer than k blocks before them
/// that pass the rule (top-k, threshold on the mass, cumulative mass).
llvm::Error Evaluator::selectBlocks(int64_t b, int64_t h, int64_t i) {
  rowBlocks.assign(numBlocks, 0);
  llvm::Expected<int64_t> hk = headFor(in[OperandRole::KHeadMap], Hkv, b, h);
  if (!hk)
    return hk.takeError();
  int64_t block = selection.getBlock(), qBlock = selection.getQBlock();
  int64_t firstRow = qBlock ? i / qBlock * qBlock : i;
  int64_t lastRow = qBlock ? std::min(firstRow + qBlock, Nq) - 1 : i;
  int64_t p0 = firstRow + Nk - Nq, p1 = lastRow + Nk - Nq;
  bool causal = selection.getCausal();
  if (causal && p1 < 0)
    return llvm::Error::success();
  int64_t eligible = causal ? std::min(numBlocks, p1 / block + 1) : numBlocks;
  // Rows whose aligned positions are all before the keys (p1 < 0, only
  // eligible without causality) have no current block, hence no local one.
  bool anchored = p1 >= 0;
  int64_t currentFirst = std::max<int64_t>(p0, 0) / block;
  int64_t currentLast = std::max<int64_t>(p1, 0) / block;
  auto alwaysKept = [&](int64_t c) {
    return c < selection.getSinks() ||
           (anchored &&
            ((selection.getKeepCurrent() && c >= currentFirst &&
              c <= currentLast) ||
             (c < currentFirst && c >= currentFirst - selection.getLocal())));
  };
  // Per query block the gate query is the pooled one, of the head or of
  // its group (the key head's GQA group, or its proxy head's).
  int64_t proxies = selection.getProxyHeads();
  int64_t gateHead = !selection.getHeadGroup() ? h
                     : proxies > 0           ? h / (Hq / proxies)
                                             : *hk;
  int64_t gateHeads = selection.getHeadGroup() ? gateGroups() : Hq;
  int64_t keyHead = proxies > 0 ? gateHead : *hk;
  const double *qr =
      qBlock ? &pooledQueries[((b * gateHeads + gateHead) * numQueryBlocks +
                               i / qBlock) *
                              D]
             : &(gateQueries.empty() ? q : gateQueries)[((b * Hq + h) * Nq +
                                                          i) *
                                                         D];
  std::vector<double> gate =
      blockGates(qr, b, h, keyHead, qBlock ? i / qBlock : 0, eligible);
  // A strict total order: whether block a ranks before block c.
  auto before = [&](int64_t a, int64_t c) {
    bool aKept = alwaysKept(a), cKept = alwaysKept(c);
    if (aKept != cKept)
      return aKept;
    bool aNaN = std::isnan(gate[a]), cNaN = std::isnan(gate[c]);
    if (!aKept && aNaN != cNaN)
      return cNaN;
    if (!aKept && !aNaN && gate[a] != gate[c])
      return gate[a] > gate[c];
    return a < c;
  };
  std::vector<int64_t> order(eligible);
  for (int64_t c = 0; c < eligible; ++c)
    order[c] = c;
  std::sort(order.begin(), order.end(), before);
  std::vector<double> mass =
      blockMasses(gate, selection.isLearned() ? gateDim
                        : selection.isGiven()   ? 1
                                                : D);
  FloatAttr threshold = selection.getThreshold(), gamma = selection.getMass();
  double prefix = 0.0; // mass of the blocks ranking before order[r]
  for (int64_t r = 0; r < eligible; ++r) {
    int64_t c = order[r];
    bool passes = r >= selection.getSkip() && r < selection.capFor(keyHead);
    // The score floor compares the gate itself (NaN never passes).
    if (FloatAttr floor = selection.getMinScore())
      passes &= gate[c] >= floor.getValueAsDouble();
    if (threshold)
      passes &= mass[c] >= threshold.getValueAsDouble();
    if (gamma)
      passes &= !std::isnan(mass[c]) && prefix < gamma.getValueAsDouble();
    rowBlocks[c] = alwaysKept(c) || passes;
    if (!std::isnan(mass[c]))
      prefix += mass[c];
  }
  // Query selection: the row is kept only when its own block (that of its
  // aligned position) is selected for it; otherwise it selects nothing.
  if (selection.getSelectQueries() &&
      (p1 < 0 || !rowBlocks[std::min(p1 / block, numBlocks - 1)]))
    rowBlocks.assign(numBlocks, 0);
  // complement = true: the eligible blocks the rules do not select.
  if (selection.getComplement())
    for (int64_t c = 0; c < eligible; ++c)
      rowBlocks[c] = !rowBlocks[c];
  return llvm::Error::success();
}

llvm::Expected<NDArray> Evaluator::selectedBlocks() {
  if (!selection)
    return fail("the op has no selection");
  if (llvm::Error e = validate())
    return std::move(e);
  q = in.query.toDoubles();
  k = in.key.toDoubles();
  poolKeys();
  if (selection.perQueryBlock())
    poolQueries();
  NDArray flags(DType::I8, {B, Hq, Nq, numBlocks});
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hq; ++h)
      for (int64_t i = 0; i < Nq; ++i) {
        if (llvm::Error e = selectBlocks(b, h, i))
          return std::move(e);
        int64_t row = (b * Hq + h) * Nq + i;
        for (int64_t c = 0; c < numBlocks; ++c)
          flags.setDouble(row * numBlocks + c, rowBlocks[c]);
      }
  return std::move(flags);
}

llvm::Error Evaluator::validateQuantization() {
  if (!quant)
    return llvm::Error::success();
  for (auto [name, array, heads, length, block] :
       {std::make_tuple("q_scale", &in[OperandRole::QScale], Hq, Nq, quant.getQBlock()),
        std::make_tuple("k_scale", &in[OperandRole::KScale], Hkv, Nk, quant.getKBlock())}) {
    if (!*array)
      continue;
    if (llvm::Error e = checkShape(name, **array,
                                   {B, heads, (length + block - 1) / block},
                                   {true, true, true}))
      return e;
    for (int64_t x = 0, n = (*array)->numElements(); x < n; ++x) {
      double a = (*array)->getDouble(x);
      if (!(a > 0.0 && std::isfinite(a)))
        return fail(name, " element ", x, " is ", a,
                    ": a quantization scale must be finite and positive");
    }
  }
  if (in[OperandRole::Rotation])
    if (llvm::Error e = checkShape("rotation", *in[OperandRole::Rotation], {Hkv, D, D},
                                   {true, false, false}))
      return e;
  if (in[OperandRole::LowRankU]) {
    int64_t rank = in[OperandRole::LowRankU]->shape().size() == 3 ? in[OperandRole::LowRankU]->shape()[2]
                                                     : 0;
    if (llvm::Error e = checkShape("low_rank U", *in[OperandRole::LowRankU], {Hq, D, rank},
                                   {true, false, false}))
      return e;
    if (llvm::Error e = checkShape("low_rank W", *in[OperandRole::LowRankW], {Hkv, D, rank},
                                   {true, false, false}))
      return e;
  }
  if (in[OperandRole::KSalient]) {
    int64_t block = quant.getKBlock();
    if (llvm::Error e = checkShape("k_salient", *in[OperandRole::KSalient],
                                   {B, Hkv, (Nk + block - 1) / block},
                                   {true, true, true}))
      return e;
    for (int64_t x = 0, n = in[OperandRole::KSalient]->numElements(); x < n; ++x) {
      double a = in[OperandRole::KSalient]->getDouble(x);
      if (a != 0.0 && a != 1.0)
        return fail("k_salient element ", x, " is ", a,
                    ": a salient flag is 0 or 1");
    }
  }
  for (auto [name, array] : {std::make_pair("query", &in.query),
                             std::make_pair("key", &in.key)}) {
    if (isFP8DType(array->dtype())) {
      // Pre-quantized FP8: any finite pattern is a value of the format.
      for (int64_t x = 0, n = array->numElements(); x < n; ++x)
        if (!std::isfinite(array->getDouble(x)))
          return fail(name, " element ", x, " is ", array->getDouble(x),
                      ": pre-quantized FP8 values must be finite (NaN and "
                      "infinity patterns are not allowed)");
      continue;
    }
    if (array->dtype() != DType::I8 && array->dtype() != DType::I4)
      continue;
    int64_t m = array->dtype() == DType::I8 ? 127 : 7;
    for (int64_t x = 0, n = array->numElements(); x < n; ++x)
      if (array->getDouble(x) < static_cast<double>(-m))
        return fail(name, " element ", x, " is ", array->getDouble(x),
                    ": quantized values are symmetric, in [", -m, ", ", m,
                    "]");
  }
  return llvm::Error::success();
}

llvm::Error Evaluator::validateValueQuantization() {
  QuantizedVAttr vQuant = op.getValueQuantizationAttr();
  if (!vQuant)
    return llvm::Error::success();
  bool channels = vQuant.getPer() == VScaleGranularity::Channel;
  int64_t block = vQuant.getBlock();
  if (llvm::Error e = checkShape(
          "v_scale", *in[OperandRole::VScale],
          {B, Hv, channels ? Dv : (Nk + block - 1) / block},
          {true, true, true}))
    return e;
  for (int64_t x = 0, n = in[OperandRole::VScale]->numElements(); x < n; ++x) {
    double a = in[OperandRole::VScale]->getDouble(x);
    if (!(a > 0.0 && std::isfinite(a)))
      return fail("v_scale element ", x, " is ", a,
                  ": a quantization scale must be finite and positive");
  }
  bool fp8 = isFP8DType(in.value.dtype());
  for (int64_t x = 0, n = in.value.numElements(); x < n; ++x) {
    double a = in.value.getDouble(x);
    if (fp8 && !std::isfinite(a))
      return fail("value element ", x, " is ", a,
                  ": pre-quantized FP8 values must be finite (NaN and "
                  "infinity patterns are not allowed)");
    if (!fp8 && a < -127.0)
      return fail("value element ", x, " is ", a,
                  ": quantized values are symmetric, in [-127, 127]");
  }
  return llvm::Error::success();
}

void Evaluator::dequantizeValues() {
  QuantizedVAttr vQuant = op.getValueQuantizationAttr();
  if (!vQuant)
    return;
  bool channels = vQuant.getPer() == VScaleGranularity::Channel;
  int64_t block = vQuant.getBlock();
  std::vector<double> scales = in[OperandRole::VScale]->toDoubles();
  auto shape = in[OperandRole::VScale]->shape();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hv; ++h)
      for (int64_t j = 0; j < Nk; ++j)
        for (int64_t c = 0; c < Dv; ++c) {
          // Extent-1 dimensions of v_scale broadcast.
          int64_t last = channels ? c : j / block;
          int64_t index =
              ((shape[0] == 1 ? 0 : b) * shape[1] + (shape[1] == 1 ? 0 : h)) *
                  shape[2] +
              (shape[2] == 1 ? 0 : last);
          v[((b * Hv + h) * Nk + j) * Dv + c] *= scales[index];
        }
}

namespace {
/// FP8 e4m3 (e4m3fn) or e5m2 as the attribute defines it: round to
/// nearest, ties to even, at the format's spacing in x's binade (the
/// subnormal spacing below the smallest normal), saturating to the largest
/// finite value F; a NaN stays NaN. Written with frexp/ldexp, in double.
struct FP8Format {
  int mantissa, emin;
  double max;
  explicit FP8Format(bool e5m2)
      : mantissa(e5m2 ? 2 : 3), emin(e5m2 ? -14 : -6),
        max(e5m2 ? 57344.0 : 448.0) {}
  double round(double x) const {
    if (std::isnan(x))
      return x;
    double a = std::fabs(x);
    if (a == 0.0)
      return x;
    int exponent;
    std::frexp(a, &exponent); // a = f * 2^exponent, f in [0.5, 1)
    int e = std::max(exponent - 1, emin);
    double step = std::ldexp(1.0, e - mantissa);
    double r = std::min(std::nearbyint(a / step) * step, max);
    return std::copysign(r, x);
  }
  /// Relative rounding error bound (half an ulp) and the absolute one of
  /// the subnormals (half the smallest subnormal step).
  double relative() const { return std::ldexp(1.0, -mantissa - 1); }
  double absolute() const { return std::ldexp(1.0, emin - mantissa - 1); }
};
} // namespace

namespace {
/// Quantizes one [B, H, N, D] operand of quantized Q K^T in place (to the
/// integers, as doubles) and returns its row scales [B, H, N]. Written
/// from the semantics of #attn.quantized_qk, not from the compiler's code.
struct RowQuantizer {
  int64_t B, H, N, D;
  QuantScheme scheme;
  int64_t block;
  /// Mixed precision: flags [B|1, H|1, T] of the blocks quantized to
  /// [-salientRange, salientRange] (null: none).
  const NDArray *salient = nullptr;
  float salientRange = 0.0f;

  /// The symmetric range of block `c` of row group `bh` = b * H + h.
  float rangeOf(int64_t bh, int64_t c) const {
    float range = scheme == QuantScheme::Int4       ? 7.0f
                  : scheme == QuantScheme::Fp8E4M3 ? 448.0f
                  : scheme == QuantScheme::Fp8E5M2 ? 57344.0f
                                                   : 127.0f;
    if (!salient)
      return range;
    auto shape = salient->shape();
    int64_t idx[3] = {bh / H, bh % H, c}, linear = 0;
    for (int d = 0; d < 3; ++d)
      linear = linear * shape[d] + (shape[d] == 1 ? 0 : idx[d]);
    return salient->getDouble(linear) != 0.0 ? salientRange : range;
  }

  /// Scale operand entry of row (b, h, t); 1 without an operand.
  double scaleAt(const std::optional<NDArray> &scales, int64_t b, int64_t h,
                 int64_t t) const {
    if (!scales)
      return 1.0;
    auto shape = scales->shape();
    int64_t idx[3] = {b, h, t / block}, linear = 0;
    for (int d = 0; d < 3; ++d)
      linear = linear * shape[d] + (shape[d] == 1 ? 0 : idx[d]);
    return scales->getDouble(linear);
  }

  /// The f32 mean over the tokens of (b, h, channel x): summed in double
  /// in token order, then rounded to float.
  std::vector<float> tokenMeans(const std::vector<double> &x) const {
    std::vector<float> mean(B * H * D);
    for (int64_t bh = 0; bh < B * H; ++bh)
      for (int64_t c = 0; c < D; ++c) {
        double sum = 0.0;
        for (int64_t t = 0; t < N; ++t)
          sum += static_cast<double>(static_cast<float>(x[(bh * N + t) * D + c]));
        mean[bh * D + c] = static_cast<float>(sum / static_cast<double>(N));
      }
    return mean;
  }

  /// In-spec INT8 (INT4): per block, s = absmax / M in float and
  /// q = clamp(roundeven(x / s), -M, M), a NaN quotient giving 0, with
  /// M = 127 (7). FP8: s = absmax / F and q = fp8(x / s).
  std::vector<double> integers(std::vector<double> &x, bool smooth) const {
    std::vector<float> mean = smooth ? tokenMeans(x) : std::vector<float>();
    auto valueAt = [&](int64_t bh, int64_t t, int64_t c) {
      float v = static_cast<float>(x[(bh * N + t) * D + c]);
      return smooth ? v - mean[bh * D + c] : v;
    };
    std::vector<double> rowScale(B * H * N);
    std::vector<double> out(x.size());
    for (int64_t bh = 0; bh < B * H; ++bh)
      for (int64_t first = 0; first < N; first += block) {
        int64_t last = std::min(first + block, N);
        float range = rangeOf(bh, first / block);
        float absmax = 0.0f;
        bool nan = false;
        for (int64_t t = first; t < last; ++t)
          for (int64_t c = 0; c < D; ++c) {
            float a = std::fabs(valueAt(bh, t, c));
            nan |= std::isnan(a);
            absmax = std::max(absmax, a);
          }
        float s = nan ? std::numeric_limits<float>::quiet_NaN()
                      : absmax / range;
        for (int64_t t = first; t < last; ++t) {
          rowScale[bh * N + t] = s;
          for (int64_t c = 0; c < D; ++c) {
            float quotient = valueAt(bh, t, c) / s;
            float r = std::nearbyint(quotient); // ties to even
            // FP8: fp8(x / s), nearest even at the format's spacing,
            // saturating to F (the attribute's rounding).
            if (isFP8Scheme(scheme))
              out[(bh * N + t) * D + c] =
                  std::isnan(quotient)
                      ? 0.0
                      : FP8Format(scheme == QuantScheme::Fp8E5M2)
                            .round(quotient);
            else
              out[(bh * N + t) * D + c] =
                  std::isnan(quotient) ? 0.0 : std::clamp(r, -range, range);
          }
        }
      }
    x = std::move(out);
    return rowScale;
  }

  std::vector<double> run(std::vector<double> &x, bool preQuantized,
                          const std::optional<NDArray> &scales,
                          bool smooth) const {
    if (scheme != QuantScheme::Sign && !preQuantized)
      return integers(x, smooth);
    if (scheme == QuantScheme::Sign)
      for (double &v : x)
        v = v < 0.0 ? -1.0 : 1.0; // 0, -0 and NaN are +1
    std::vector<double> rowScale(B * H * N);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t t = 0; t < N; ++t)
          rowScale[(b * H + h) * N + t] = scaleAt(scales, b, h, t);
    return rowScale;
  }
};
} // namespace


void Evaluator::quantizeValues(float max,
                               llvm::function_ref<double(float)> round) {
  vScale.assign(B * Hv * Dv, 0.0);
  for (int64_t bh = 0; bh < B * Hv; ++bh)
    for (int64_t c = 0; c < Dv; ++c) {
      auto at = [&](int64_t t) -> double & { return v[(bh * Nk + t) * Dv + c]; };
      float absmax = 0.0f;
      bool nan = false;
      for (int64_t t = 0; t < Nk; ++t) {
        float a = std::fabs(static_cast<float>(at(t)));
        nan |= std::isnan(a);
        absmax = std::max(absmax, a);
      }
      float s = nan ? std::numeric_limits<float>::quiet_NaN() : absmax / max;
      vScale[bh * Dv + c] = s;
      for (int64_t t = 0; t < Nk; ++t) {
        float quotient = static_cast<float>(at(t)) / s;
        at(t) = std::isnan(quotient) ? 0.0 : round(quotient);
      }
    }
}

void Evaluator::smoothQuery() {
  int64_t block = quant.getQBlock();
  int64_t blocks = (Nq + block - 1) / block;
  qBlockMean.assign(B * Hq * blocks * D, 0.0);
  for (int64_t bh = 0; bh < B * Hq; ++bh)
    for (int64_t c = 0; c < blocks; ++c) {
      int64_t first = c * block, last = std::min(first + block, Nq);
      for (int64_t x = 0; x < D; ++x) {
        // The block mean: f64 sum in token order of the f32 values, rounded
        // to f32; each row keeps its f32 residual.
        double sum = 0.0;
        for (int64_t t = first; t < last; ++t)
          sum += static_cast<double>(static_cast<float>(q[(bh * Nq + t) * D + x]));
        float mean = static_cast<float>(sum / static_cast<double>(last - first));
        qBlockMean[(bh * blocks + c) * D + x] = mean;
        for (int64_t t = first; t < last; ++t) {
          double &v = q[(bh * Nq + t) * D + x];
          v = static_cast<float>(v) - mean;
        }
      }
    }
  // The float keys of the correction, as the scores see them.
  RowQuantizer keys{B, Hkv, Nk, D, quant.getScheme(), quant.getKBlock()};
  std::vector<float> kMean =
      quant.getSmoothK() ? keys.tokenMeans(k) : std::vector<float>();
  kFloat.resize(k.size());
  for (int64_t bh = 0; bh < B * Hkv; ++bh)
    for (int64_t t = 0; t < Nk; ++t)
      for (int64_t x = 0; x < D; ++x) {
        float v = static_cast<float>(k[(bh * Nk + t) * D + x]);
        kFloat[(bh * Nk + t) * D + x] =
            quant.getSmoothK() ? v - kMean[bh * D + x] : v;
      }
}

double Evaluator::smoothingCorrection(int64_t b, int64_t h, int64_t hk,
                                      int64_t i, int64_t j) const {
  int64_t block = quant.getQBlock();
  int64_t blocks = (Nq + block - 1) / block;
  const double *m = &qBlockMean[((b * Hq + h) * blocks + i / block) * D];
  const double *kr = &kFloat[((b * Hkv + hk) * Nk + j) * D];
  double dot = 0.0;
  for (int64_t x = 0; x < D; ++x)
    dot += m[x] * kr[x];
  return dot;
}

/// Rows [B, H, N, D] of `x` times their head's [D, R] matrix of `factors`
/// ([H|1, D, R]): f32(sum_c x[c] * M[c, y]), products exact and the sum in
/// double in channel order (the low_rank term's projections).
static std::vector<double> projectRows(const std::vector<double> &x,
                                       const NDArray &factors, int64_t B,
                                       int64_t H, int64_t N, int64_t D) {
  std::vector<double> m = factors.toDoubles();
  int64_t matrices = factors.shape()[0], rank = factors.shape()[2];
  std::vector<double> out(B * H * N * rank);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      const double *mh = &m[(matrices == 1 ? 0 : h) * D * rank];
      for (int64_t t = 0; t < N; ++t) {
        const double *v = &x[((b * H + h) * N + t) * D];
        for (int64_t y = 0; y < rank; ++y) {
          double sum = 0.0;
          for (int64_t c = 0; c < D; ++c)
            sum += static_cast<double>(static_cast<float>(v[c])) *
                   static_cast<double>(static_cast<float>(mh[c * rank + y]));
          out[((b * H + h) * N + t) * rank + y] = static_cast<float>(sum);
        }
      }
    }
  return out;
}

/// Rows [B, H, N, D] of `x` times the rotation of their key head:
/// f32(sum_c x[c] * R[c, y]), products exact and the sum in double in
/// channel order, as the attribute defines it.
static void rotateRows(std::vector<double> &x, const NDArray &rotation,
                       int64_t B, int64_t H, int64_t N, int64_t D,
                       int64_t headsPerRotation) {
  std::vector<double> r = rotation.toDoubles(), row(D);
  int64_t rotations = rotation.shape()[0];
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      const double *m = &r[(rotations == 1 ? 0 : h / headsPerRotation) * D * D];
      for (int64_t t = 0; t < N; ++t) {
        double *v = &x[((b * H + h) * N + t) * D];
        for (int64_t y = 0; y < D; ++y) {
          double sum = 0.0;
          for (int64_t c = 0; c < D; ++c)
            sum += static_cast<double>(static_cast<float>(v[c])) *
                   static_cast<double>(static_cast<float>(m[c * D + y]));
          row[y] = static_cast<float>(sum);
        }
        std::copy(row.begin(), row.end(), v);
      }
    }
}

void Evaluator::quantizeQK() {
  // Pre-quantized: i8 (int8) or i4 (int4) operands with their scales.
  auto given = [](const NDArray &a) {
    return a.dtype() == DType::I8 || a.dtype() == DType::I4 ||
           isFP8DType(a.dtype());
  };
  // The low-rank term projects the float operands as given.
  if (in[OperandRole::LowRankU]) {
    qLowRank = projectRows(q, *in[OperandRole::LowRankU], B, Hq, Nq, D);
    kLowRank = projectRows(k, *in[OperandRole::LowRankW], B, Hkv, Nk, D);
  }
  if (in[OperandRole::Rotation]) {
    rotateRows(q, *in[OperandRole::Rotation], B, Hq, Nq, D, Hq / std::max<int64_t>(Hkv, 1));
    // A pre-quantized key (keys_only) was rotated before it was quantized.
    if (!given(in.key))
      rotateRows(k, *in[OperandRole::Rotation], B, Hkv, Nk, D, 1);
  }
  if (quant.getSmoothQ())
    smoothQuery(); // q becomes the residual, quantized below
  RowQuantizer queries{B, Hq, Nq, D, quant.getScheme(), quant.getQBlock()};
  if (quant.getKeysOnly())
    // The float query: its row scale is 1 and q keeps its values.
    qRowScale.assign(B * Hq * Nq, 1.0);
  else
    qRowScale = queries.run(q, given(in.query), in[OperandRole::QScale], false);
  RowQuantizer keys{B, Hkv, Nk, D, quant.getScheme(), quant.getKBlock()};
  if (in[OperandRole::KSalient]) {
    keys.salient = &*in[OperandRole::KSalient];
    keys.salientRange =
        static_cast<float>((int64_t(1) << (quant.getSalientBits() - 1)) - 1);
  }
  kRowScale = keys.run(k, given(in.key), in[OperandRole::KScale],
                       quant.getSmoothK());
}

llvm::Expected<double> Evaluator::score(int64_t b, int64_t h, int64_t i,
                                        int64_t j, double *raw) {
  llvm::Expected<int64_t> hk = headFor(in[OperandRole::KHeadMap], Hkv, b, h);
  if (!hk)
    return hk.takeError();
  const double *qr = &q[((b * Hq + h) * Nq + i) * D];
  const double *kr = &k[((b * Hkv + *hk) * Nk + j) * D];
  int64_t depth = D;
  if (expandedFeatures) {
    // phi(q) . phi(k) over the F' features of the map.
    expandHead(b, h, *hk);
    qr = &phiQ[i * numFeatures];
    kr = &phiK[j * numFeatures];
    depth = numFeatures;
  }
  // Quantized rows hold integers: the sum is exact in double
  // (|dot| <= D * 127^2 < 2^53), then the row scales apply. FP8 rows: each
  // product of two FP8 values is exact, the sum in double.
  double dot = 0.0;
  if (channelDecay)
    for (int64_t d = 0; d < depth; ++d)
      dot += qr[d] * kr[d] * channelGates[j * D + d];
  else
    for (int64_t d = 0; d < depth; ++d)
      dot += qr[d] * kr[d];
  if (!keyWeights.empty())
    dot *= keyWeights[(b * Hq + h) * Nk + j];
  double s = scale * dot;
  if (quant)
    s *= qRowScale[(b * Hq + h) * Nq + i] * kRowScale[(b * Hkv + *hk) * Nk + j];
  if (quant && quant.getSmoothQ())
    s += scale * smoothingCorrection(b, h, *hk, i, j);
  if (in[OperandRole::LowRankU]) {
    // The factored term qu_i . kw_j (f32-rounded projections, f64 dot).
    int64_t rank = in[OperandRole::LowRankU]->shape()[2];
    const double *qu = &qLowRank[((b * Hq + h) * Nq + i) * rank];
    const double *kw = &kLowRank[((b * Hkv + *hk) * Nk + j) * rank];
    double term = 0.0;
    for (int64_t y = 0; y < rank; ++y)
      term += qu[y] * kw[y];
    s += scale * term;
  }
  if (raw)
    *raw = s;
  if (in[OperandRole::Bias]) {
    auto shape = in[OperandRole::Bias]->shape();
    int64_t idx[4] = {b, h, i, j};
    int64_t linear = 0;
    for (int d = 0; d < 4; ++d)
      linear = linear * shape[d] + (shape[d] == 1 ? 0 : idx[d]);
    s += bias[linear];
  }
  if (ArrayAttr mods = op.getScoreModsAttr()) {
    for (Attribute m : mods) {
      if (auto cap = dyn_cast<SoftcapAttr>(m)) {
        double c = cap.getCapValue();
        s = c * std::tanh(s / c);
      } else if (isa<AlibiAttr>(m)) {
        int64_t p = i + (Nk - Nq);
        s -= slopes[h] * static_cast<double>(std::llabs(p - j));
      }
    }
  }
  if (!scoreMod.empty()) {
    RVal args[5] = {s, b, h, i, j};
    llvm::Expected<RVal> r = scoreMod.run(args);
    if (!r)
      return fail(llvm::toString(r.takeError()),
                  where("score_mod", b, h, i, j));
    s = floatOf(*r);
  }
  return s;
}

/// The affine row correction (subtractive, mala) of the weights `w` of one
/// row; `kept` flags the keys the masks keep.
static void affineWeights(AffineNormKind kind, std::vector<double> &w,
                          const std::vector<char> &kept) {
  // N kept keys, their weight sum S.
  double count = 0.0, sum = 0.0;
  for (size_t j = 0; j < w.size(); ++j)
    if (kept[j]) {
      count += 1.0;
      sum += w[j];
    }
  for (size_t j = 0; j < w.size(); ++j) {
    if (!kept[j])
      continue;
    if (kind == AffineNormKind::Subtractive) {
      // w - S / N + 1 / N.
      w[j] = w[j] - sum / count + 1.0 / count;
    } else if (kind == AffineNormKind::Mala) {
      // s = w / N, z = S / N: (1 + 1 / z) s - z / N; 0 when z = 0.
      double z = sum / count;
      w[j] = z == 0.0 ? 0.0 : (1.0 + 1.0 / z) * (w[j] / count) - z / count;
    }
  }
}

/// rms_norm of one output row: x / sqrt(mean x^2 + eps).
static void rmsNorm(std::vector<double> &row, double eps) {
  double squares = 0.0;
  for (double x : row)
    squares += x * x;
  double factor =
      1.0 / std::sqrt(squares / static_cast<double>(row.size()) + eps);
  for (double &x : row)
    x *= factor;
}

/// exp(x_i - max) / sum_j exp(x_j - max) over the `count` values at
/// `x` with stride `stride`.
static void softmaxInPlace(double *x, int64_t count, int64_t stride) {
  double max = -std::numeric_limits<double>::infinity(), sum = 0.0;
  for (int64_t i = 0; i < count; ++i)
    max = std::max(max, x[i * stride]);
  for (int64_t i = 0; i < count; ++i)
    sum += std::exp(x[i * stride] - max);
  for (int64_t i = 0; i < count; ++i)
    x[i * stride] = std::exp(x[i * stride] - max) / sum;
}

void Evaluator::mapRows(std::vector<double> &x, FeatureMapKind kind,
                        int64_t n) const {
  int64_t heads = static_cast<int64_t>(x.size()) / std::max<int64_t>(
                      1, B * n * D);
  switch (kind) {
  case FeatureMapKind::Identity:
    return;
  case FeatureMapKind::Softmax:
    for (int64_t row = 0; row < B * heads * n; ++row)
      softmaxInPlace(&x[row * D], D, 1);
    return;
  case FeatureMapKind::SequenceSoftmax:
    for (int64_t bh = 0; bh < B * heads; ++bh)
      for (int64_t a = 0; a < D; ++a)
        softmaxInPlace(&x[bh * n * D + a], n, D);
    return;
  case FeatureMapKind::SequenceScale:
    for (double &value : x)
      value /= static_cast<double>(n);
    return;
  default:
    for (double &value : x)
      value = featureMap(kind, value);
  }
}

void Evaluator::weighKeys(FeatureMapKind kind) {
  keyWeights.assign(B * Hq * Nk, 0.0);
  if (kind == FeatureMapKind::Flow)
    rowGates.assign(B * Hq * Nq, 0.0);
  int64_t group = Hq / std::max<int64_t>(Hkv, 1);
  auto dot = [&](const double *x, const std::vector<double> &y) {
    double sum = 0.0;
    for (int64_t c = 0; c < D; ++c)
      sum += x[c] * y[c];
    return sum;
  };
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hq; ++h) {
      const double *qh = &q[(b * Hq + h) * Nq * D];
      const double *kh = &k[(b * Hkv + h / group) * Nk * D];
      std::vector<double> qSum(D, 0.0), kSum(D, 0.0), logits(Nk);
      for (int64_t i = 0; i < Nq; ++i)
        for (int64_t c = 0; c < D; ++c)
          qSum[c] += qh[i * D + c];
      for (int64_t j = 0; j < Nk; ++j)
        for (int64_t c = 0; c < D; ++c)
          kSum[c] += kh[j * D + c];
      if (kind == FeatureMapKind::QueryWeighted) {
        // RALA: alpha_j = Nk softmax_j(q_bar . phi(k_j) / sqrt(D)).
        std::vector<double> qBar(D);
        for (int64_t c = 0; c < D; ++c)
          qBar[c] = qSum[c] / static_cast<double>(Nq);
        for (int64_t j = 0; j < Nk; ++j)
          logits[j] = dot(&kh[j * D], qBar) / std::sqrt(static_cast<double>(D));
      } else {
        // Flowformer: incoming I_i = phi(q_i) . sum phi(k), outgoing
        // O_j = phi(k_j) . sum phi(q); conserved I'_i = phi(q_i) . sum_j
        // phi(k_j) / O_j and O'_j = phi(k_j) . sum_i phi(q_i) / I_i.
        std::vector<double> inflow(Nq), outflow(Nk);
        for (int64_t i = 0; i < Nq; ++i)
          inflow[i] = dot(&qh[i * D], kSum);
        for (int64_t j = 0; j < Nk; ++j)
          outflow[j] = dot(&kh[j * D], qSum);
        std::vector<double> kOverO(D, 0.0), qOverI(D, 0.0);
        for (int64_t j = 0; j < Nk; ++j)
          for (int64_t c = 0; c < D; ++c)
            kOverO[c] += kh[j * D + c] / outflow[j];
        for (int64_t i = 0; i < Nq; ++i)
          for (int64_t c = 0; c < D; ++c)
            qOverI[c] += qh[i * D + c] / inflow[i];
        for (int64_t j = 0; j < Nk; ++j)
          logits[j] = std::clamp(dot(&kh[j * D], qOverI), -1.0, 1.0);
        // Allocation of row i over its incoming flow.
        double ratio = static_cast<double>(Nq) / static_cast<double>(Nk);
        for (int64_t i = 0; i < Nq; ++i) {
          double t = dot(&qh[i * D], kOverO) * ratio;
          double allocation = t >= 0 ? 1.0 / (1.0 + std::exp(-t))
                                     : std::exp(t) / (1.0 + std::exp(t));
          rowGates[(b * Hq + h) * Nq + i] = allocation / inflow[i];
        }
      }
      // Nk times the softmax of the logits over the keys.
      softmaxInPlace(logits.data(), Nk, 1);
      for (int64_t j = 0; j < Nk; ++j)
        keyWeights[(b * Hq + h) * Nk + j] = static_cast<double>(Nk) * logits[j];
    }
}

llvm::Expected<Outputs> Evaluator::run() {
  for (auto [name, array] :
       {std::make_pair("query", &in.query), std::make_pair("key", &in.key),
        std::make_pair("value", &in.value)})
    if (array->rank() != 4)
      return fail(name,
                  " must have rank 4 [batch, heads, seq, head_dim], "
                  "got shape ",
                  shapeStr(array->shape()));
  if (llvm::Error e = validate())
    return std::move(e);
  q = in.query.toDoubles();
  k = in.key.toDoubles();
  v = in.value.toDoubles();
  dequantizeValues();
  // The selection ranks the raw rows: pooled, and the per-token gate
  // queries kept, before a feature map maps q and k (SLA ranks
  // pool(Q) pool(K)^T, not the kernel's features) or quantization rounds
  // them.
  if (selection)
    poolKeys();
  if (selection && selection.perQueryBlock())
    poolQueries();
  if (selection && !selection.perQueryBlock() &&
      (quant || op.getFeatureMapAttr()))
    gateQueries = q;
  if (FeatureMapAttr map = op.getFeatureMapAttr();
      map && map.keepsFeatureDim()) {
    mapRows(q, map.getQueryKind(), Nq);
    mapRows(k, map.getKeyRowKind(), Nk);
    if (map.hasCrossKeys())
      weighKeys(map.getKeyKind());
  }
  if (in[OperandRole::Bias])
    bias = in[OperandRole::Bias]->toDoubles();
  if (quant)
    quantizeQK();
  int8PV = quant && quant.getPv() == PVPrecision::Int8;
  fp8PV = quant && (quant.getPv() == PVPrecision::Fp8E4M3 ||
                    quant.getPv() == PVPrecision::Fp8E5M2);
  if (int8PV)
    quantizeValues(127.0f, [](float q) -> double {
      return std::clamp(std::nearbyint(q), -127.0f, 127.0f);
    });
  if (fp8PV) {
    FP8Format fp8(quant.getPv() == PVPrecision::Fp8E5M2);
    quantizeValues(static_cast<float>(fp8.max),
                   [&](float q) { return fp8.round(q); });
  }

  Outputs out{NDArray(DType::F64, {B, Hq, Nq, Dv}), std::nullopt};
  if (op.getLse())
    out.lse = NDArray(DType::F64, {B, Hq, Nq});
  if (int8PV || fp8PV)
    out.quantizedPVBound = NDArray(DType::F64, {B, Hq, Nq, Dv});
  NormalizationKind kind = op.getNormalizationKind();
  NormalizationAttr norm = op.getNormalizationAttr();
  bool l1 = norm && norm.getL1();
  double sigmoidBias = norm ? norm.getBiasValue() : 0.0;
  const double inf = std::numeric_limits<double>::infinity();

  std::vector<double> s(Nk), w(Nk), raw(Nk);
  std::vector<char> kept(Nk);
  std::vector<double> sinks, gates;
  if (in[OperandRole::SinkLogits])
    sinks = in[OperandRole::SinkLogits]->toDoubles();
  if (in[OperandRole::OutputGate])
    gates = in[OperandRole::OutputGate]->toDoubles();
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < Hq; ++h) {
      llvm::Expected<int64_t> hvOr = headFor(in[OperandRole::VHeadMap], Hv, b, h);
      if (!hvOr)
        return hvOr.takeError();
      int64_t hv = *hvOr;
      for (int64_t i = 0; i < Nq; ++i) {
        if (selection)
          if (llvm::Error e = selectBlocks(b, h, i))
            return std::move(e);
        if (channelDecay)
          rowChannelGates(b, h, i);
        for (int64_t j = 0; j < Nk; ++j) {
          llvm::Expected<bool> kp = keep(b, h, i, j);
          if (!kp)
            return kp.takeError();
          kept[j] = *kp;
          w[j] = 0.0;
          if (!kept[j])
            continue; // score_mod only runs on kept entries
          llvm::Expected<double> sc = score(b, h, i, j, &raw[j]);
          if (!sc)
            return sc.takeError();
          s[j] = *sc;
        }

        double lse = -inf;
        double rowNormalizer = 0.0; // l of softmax (0: an empty row)
        std::vector<double> unroundedWeights; // p with pv = fp8_*
        if (kind == NormalizationKind::Softmax) {
          double m = -inf; // NaN scores propagate to the row
          for (int64_t j = 0; j < Nk; ++j)
            if (kept[j])
              m = std::isnan(m) || std::isnan(s[j]) ? s[j] + m
                                                    : std::max(m, s[j]);
          // The null key of sink_logits joins the normalizer only.
          double sink = in[OperandRole::SinkLogits] ? sinks[h] : -inf;
          if (in[OperandRole::SinkLogits])
            m = std::isnan(m) || std::isnan(sink) ? m + sink
                                                  : std::max(m, sink);
          // All keys masked (or all scores -inf): the row is 0, lse -inf.
          if (m != -inf) {
            double sum = 0.0;
            for (int64_t j = 0; j < Nk; ++j)
              if (kept[j])
                sum += w[j] = std::exp(s[j] - m);
            if (in[OperandRole::SinkLogits])
              sum += std::exp(sink - m);
            // pv = int8: the numerator weighs by u / 255 with
            // u = roundeven(255 p), the normalizer keeps p.
            if (int8PV)
              for (int64_t j = 0; j < Nk; ++j)
                w[j] = std::nearbyint(255.0 * w[j]) / 255.0;
            // pv = fp8_*: u = fp8(F p) weighs V's FP8 values, the
            // normalizer keeps p; the unrounded p is kept for the bound.
            if (fp8PV) {
              FP8Format fp8(quant.getPv() == PVPrecision::Fp8E5M2);
              unroundedWeights = w;
              for (int64_t j = 0; j < Nk; ++j)
                w[j] = fp8.round(fp8.max * w[j]) / fp8.max;
            }
            for (int64_t j = 0; j < Nk; ++j)
              w[j] /= sum;
            rowNormalizer = sum;
            lse = m + std::log(sum);
          }
        } else {
          for (int64_t j = 0; j < Nk; ++j) {
            if (!kept[j])
              continue;
            double x = s[j];
            switch (kind) {
            case NormalizationKind::Sigmoid: {
              double t = x + sigmoidBias;
              w[j] = t >= 0 ? 1.0 / (1.0 + std::exp(-t))
                            : std::exp(t) / (1.0 + std::exp(t));
              break;
            }
            case NormalizationKind::Softplus:
              w[j] = x > 0 ? x + std::log1p(std::exp(-x))
                           : std::log1p(std::exp(x));
              break;
            case NormalizationKind::Relu:
              w[j] = x > 0 ? x : 0.0;
              break;
            case NormalizationKind::Identity:
              // -inf is a masked score: weight 0 as in the limits above.
              w[j] = x == -inf ? 0.0 : x;
              break;
            case NormalizationKind::Softmax:
              break;
            }
          }
          if (in[OperandRole::Decay] && !channelDecay)
            applyDecay(b, h, i, w);
          if (l1) {
            double sum = 0.0;
            for (int64_t j = 0; j < Nk; ++j)
              sum += w[j];
            for (int64_t j = 0; j < Nk; ++j)
              w[j] = sum == 0.0 ? 0.0 : w[j] / sum;
          }
          if (norm && norm.hasAffine())
            affineWeights(norm.getAffine(), w, kept);
        }

        // Post-normalization weight modification, on kept keys only.
        if (!weightMod.empty()) {
          for (int64_t j = 0; j < Nk; ++j) {
            if (!kept[j])
              continue;
            RVal args[6] = {w[j], raw[j], b, h, i, j};
            llvm::Expected<RVal> r = weightMod.run(args);
            if (!r)
              return fail(llvm::toString(r.takeError()),
                          where("weight_mod", b, h, i, j));
            w[j] = floatOf(*r);
          }
        }
        // The gate of element (b, h, i, d): one per row (rank 3) or per
        // element (rank 4); extent-1 dimensions broadcast.
        auto gateAt = [&](int64_t d) {
          if (!rowGates.empty())
            return rowGates[(b * Hq + h) * Nq + i];
          if (!in[OperandRole::OutputGate])
            return 1.0;
          auto shape = in[OperandRole::OutputGate]->shape();
          int64_t idx[4] = {b, h, i, d};
          int64_t linear = 0;
          for (size_t x = 0; x < shape.size(); ++x)
            linear = linear * shape[x] + (shape[x] == 1 ? 0 : idx[x]);
          return gates[linear];
        };

        int64_t row = (b * Hq + h) * Nq + i;
        std::vector<double> outRow(Dv);
        for (int64_t d = 0; d < Dv; ++d) {
          double gate = gateAt(d);
          double acc = 0.0;
          for (int64_t j = 0; j < Nk; ++j)
            if (kept[j])
              acc += w[j] * v[((b * Hv + hv) * Nk + j) * Dv + d];
          if (int8PV) {
            double sv = vScale[(b * Hv + hv) * Dv + d], spread = 0.0;
            for (int64_t j = 0; j < Nk; ++j)
              if (kept[j])
                spread += std::fabs(v[((b * Hv + hv) * Nk + j) * Dv + d] * sv);
            // w[j] is u / 255 / l: 1 / l is the weight of u = 255.
            double perWeight = rowNormalizer > 0 ? 1.0 / 255.0 / rowNormalizer
                                                 : 0.0;
            out.quantizedPVBound->setDouble(row * Dv + d,
                                       std::fabs(gate) * perWeight * spread);
            acc *= sv;
          }
          if (fp8PV) {
            // Each weight of the reference and of a kernel rounding with a
            // running max is within r p + h of p: 2 (r p + h) apart.
            FP8Format fp8(quant.getPv() == PVPrecision::Fp8E5M2);
            double sv = vScale[(b * Hv + hv) * Dv + d], spread = 0.0;
            for (int64_t j = 0; j < Nk && rowNormalizer > 0; ++j)
              if (kept[j])
                spread += 2.0 *
                          (fp8.relative() * unroundedWeights[j] +
                           fp8.absolute() / fp8.max) *
                          std::fabs(v[((b * Hv + hv) * Nk + j) * Dv + d] * sv);
            double bound = rowNormalizer > 0 ? spread / rowNormalizer : 0.0;
            out.quantizedPVBound->setDouble(row * Dv + d, std::fabs(gate) * bound);
            acc *= sv;
          }
          outRow[d] = acc;
        }
        // The row epilogue, then the gate.
        if (EpilogueAttr epilogue = op.getEpilogueAttr())
          rmsNorm(outRow, epilogue.getEpsValue());
        for (int64_t d = 0; d < Dv; ++d)
          out.output.setDouble(row * Dv + d, gateAt(d) * outRow[d]);
        if (out.lse)
          out.lse->setDouble(row, lse);
      }
    }
  }
  return std::move(out);
}

} // namespace

llvm::Expected<NDArray> attn::reference::selectedBlocks(AttentionOp op,
                                                       const Inputs &inputs) {
  if (!op)
    return fail("no attn.attention op to evaluate");
  Evaluator evaluator(op, inputs);
  return evaluator.selectedBlocks();
}

llvm::Expected<Outputs> attn::reference::evaluate(AttentionOp op,
                                                  const Inputs &inputs) {
  if (!op)
    return fail("no attn.attention op to evaluate");
  Evaluator evaluator(op, inputs);
  return evaluator.run();
}
