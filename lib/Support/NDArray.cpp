//===- NDArray.cpp - host tensors and NumPy .npy I/O ----------------------===//

#include "attn/Support/NDArray.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

using namespace attn;
using llvm::createStringError;
using llvm::inconvertibleErrorCode;

size_t attn::dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::I8:
  case DType::I1:
  case DType::I4:
  case DType::F8E4M3:
  case DType::F8E5M2:
    return 1;
  }
  return 0;
}

uint64_t attn::storageBytes(DType dtype, uint64_t elements) {
  return dtype == DType::I4 ? (elements + 1) / 2 : elements * dtypeSize(dtype);
}

llvm::StringRef attn::dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F64: return "f64";
  case DType::F32: return "f32";
  case DType::F16: return "f16";
  case DType::BF16: return "bf16";
  case DType::I64: return "i64";
  case DType::I32: return "i32";
  case DType::I8: return "i8";
  case DType::I1: return "i1";
  case DType::I4: return "i4";
  case DType::F8E4M3: return "f8E4M3FN";
  case DType::F8E5M2: return "f8E5M2";
  }
  return "?";
}

bool attn::isFloatDType(DType dtype) {
  return dtype == DType::F64 || dtype == DType::F32 || dtype == DType::F16 ||
         dtype == DType::BF16;
}

float attn::halfToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else { // subnormal: normalize
      exp = 127 - 15 + 1;
      while (!(mant & 0x400)) {
        mant <<= 1;
        --exp;
      }
      mant &= 0x3ff;
      bits = sign | (exp << 23) | (mant << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t attn::floatToHalf(float value) {
  uint32_t x;
  std::memcpy(&x, &value, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) // inf or nan
    return sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0u);
  if (absx >= 0x477ff000u) // rounds to >= 65520: overflow to inf
    return sign | 0x7c00u;
  if (absx < 0x38800000u) { // subnormal or zero in half
    if (absx < 0x33000000u)
      return sign;
    uint32_t e = absx >> 23;
    uint32_t m = (absx & 0x7fffffu) | 0x800000u;
    // value = m * 2^(e-150) and the half subnormal unit is 2^-24.
    int s = 126 - static_cast<int>(e); // in [14, 24]
    uint32_t q = m >> s;
    uint32_t rem = m & ((1u << s) - 1);
    uint32_t halfway = 1u << (s - 1);
    if (rem > halfway || (rem == halfway && (q & 1)))
      ++q;
    return sign | q;
  }
  uint32_t rounded = absx + 0xfffu + ((absx >> 13) & 1u);
  return sign | static_cast<uint16_t>((rounded - 0x38000000u) >> 13);
}

float attn::bf16ToFloat(uint16_t bits) {
  uint32_t x = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

uint16_t attn::floatToBf16(float value) {
  uint32_t x;
  std::memcpy(&x, &value, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) // nan
    return static_cast<uint16_t>((x >> 16) | 0x40u);
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}

double attn::fp8ToDouble(uint8_t bits, bool e5m2) {
  int mantissaBits = e5m2 ? 2 : 3, bias = e5m2 ? 15 : 7;
  double sign = bits & 0x80 ? -1.0 : 1.0;
  int exponent = (bits & 0x7f) >> mantissaBits;
  int mantissa = bits & ((1 << mantissaBits) - 1);
  int maxExponent = e5m2 ? 31 : 15;
  if (e5m2 && exponent == maxExponent)
    return mantissa ? std::numeric_limits<double>::quiet_NaN()
                    : sign * std::numeric_limits<double>::infinity();
  if (!e5m2 && exponent == maxExponent && mantissa == 7)
    return std::numeric_limits<double>::quiet_NaN();
  if (exponent == 0)
    return sign * std::ldexp(mantissa, 1 - bias - mantissaBits);
  return sign * std::ldexp((1 << mantissaBits) + mantissa,
                           exponent - bias - mantissaBits);
}

uint8_t attn::doubleToFP8(double value, bool e5m2) {
  int mantissaBits = e5m2 ? 2 : 3, bias = e5m2 ? 15 : 7, emin = 1 - bias;
  double largest = e5m2 ? 57344.0 : 448.0;
  if (std::isnan(value))
    return 0x7f; // a NaN in both formats
  uint8_t sign = std::signbit(value) ? 0x80 : 0;
  double a = std::min(std::fabs(value), largest);
  if (a == 0.0)
    return sign;
  int e;
  std::frexp(a, &e); // a = f 2^e, f in [0.5, 1): binade 2^(e - 1)
  double step = std::ldexp(1.0, std::max(e - 1, emin) - mantissaBits);
  double q = std::nearbyint(a / step) * step; // ties to even
  q = std::min(q, largest);
  if (q == 0.0) // below half the smallest subnormal (or a tie to 0)
    return sign;
  std::frexp(q, &e);
  if (e - 1 < emin) // subnormal
    return sign | static_cast<uint8_t>(std::ldexp(q, bias - 1 + mantissaBits));
  int mantissa = static_cast<int>(std::ldexp(q, mantissaBits - (e - 1))) -
                 (1 << mantissaBits);
  return sign | static_cast<uint8_t>(((e - 1 + bias) << mantissaBits) |
                                     mantissa);
}

NDArray::NDArray(DType dtype, std::vector<int64_t> shape)
    : dtype_(dtype), shape_(std::move(shape)) {
  bytes_.assign(storageBytes(dtype_, numElements()), 0);
}

int64_t NDArray::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape_)
    n *= d;
  return n;
}

/// The signed nibble of element `i` of packed i4 `bytes`.
static int8_t nibbleAt(const uint8_t *bytes, int64_t i) {
  uint8_t byte = bytes[i / 2];
  uint8_t nibble = i % 2 ? byte >> 4 : byte & 0xf;
  return static_cast<int8_t>(nibble << 4) >> 4;
}

double NDArray::getDouble(int64_t i) const {
  if (dtype_ == DType::I4)
    return nibbleAt(bytes_.data(), i);
  const uint8_t *p = bytes_.data() + i * dtypeSize(dtype_);
  switch (dtype_) {
  case DType::F64: { double v; std::memcpy(&v, p, 8); return v; }
  case DType::F32: { float v; std::memcpy(&v, p, 4); return v; }
  case DType::F16: { uint16_t v; std::memcpy(&v, p, 2); return halfToFloat(v); }
  case DType::BF16: { uint16_t v; std::memcpy(&v, p, 2); return bf16ToFloat(v); }
  case DType::I64: { int64_t v; std::memcpy(&v, p, 8); return static_cast<double>(v); }
  case DType::I32: { int32_t v; std::memcpy(&v, p, 4); return v; }
  case DType::I8: { int8_t v; std::memcpy(&v, p, 1); return v; }
  case DType::I1: return *p ? 1.0 : 0.0;
  case DType::I4: break; // above
  case DType::F8E4M3: return fp8ToDouble(*p, false);
  case DType::F8E5M2: return fp8ToDouble(*p, true);
  }
  return 0.0;
}

void NDArray::setDouble(int64_t i, double value) {
  if (dtype_ == DType::I4) {
    // The low 4 bits of the integer (values outside [-8, 7] wrap).
    auto nibble = static_cast<uint8_t>(static_cast<int64_t>(value) & 0xf);
    uint8_t &byte = bytes_[i / 2];
    byte = i % 2 ? (byte & 0x0f) | (nibble << 4) : (byte & 0xf0) | nibble;
    return;
  }
  uint8_t *p = bytes_.data() + i * dtypeSize(dtype_);
  switch (dtype_) {
  case DType::F64: std::memcpy(p, &value, 8); return;
  case DType::F32: { float v = static_cast<float>(value); std::memcpy(p, &v, 4); return; }
  case DType::F16: { uint16_t v = floatToHalf(static_cast<float>(value)); std::memcpy(p, &v, 2); return; }
  case DType::BF16: { uint16_t v = floatToBf16(static_cast<float>(value)); std::memcpy(p, &v, 2); return; }
  case DType::I64: { int64_t v = static_cast<int64_t>(value); std::memcpy(p, &v, 8); return; }
  case DType::I32: { int32_t v = static_cast<int32_t>(value); std::memcpy(p, &v, 4); return; }
  case DType::I8: { int8_t v = static_cast<int8_t>(value); std::memcpy(p, &v, 1); return; }
  case DType::I1: *p = value != 0.0; return;
  case DType::I4: return; // above
  case DType::F8E4M3: *p = doubleToFP8(value, false); return;
  case DType::F8E5M2: *p = doubleToFP8(value, true); return;
  }
}

std::vector<double> NDArray::toDoubles() const {
  std::vector<double> out(numElements());
  for (int64_t i = 0, e = out.size(); i < e; ++i)
    out[i] = getDouble(i);
  return out;
}

NDArray NDArray::reinterpret(DType dtype) const {
  NDArray out = *this;
  if (dtypeSize(dtype) == dtypeSize(dtype_) && dtype != DType::I4 &&
      dtype_ != DType::I4)
    out.dtype_ = dtype;
  return out;
}

NDArray NDArray::cast(DType dtype) const {
  NDArray out(dtype, shape_);
  for (int64_t i = 0, e = numElements(); i < e; ++i)
    out.setDouble(i, getDouble(i));
  return out;
}

void NDArray::fillNormal(std::mt19937_64 &rng, double stddev) {
  std::normal_distribution<double> dist(0.0, stddev);
  for (int64_t i = 0, e = numElements(); i < e; ++i)
    setDouble(i, dist(rng));
}

void NDArray::fillUniformInt(std::mt19937_64 &rng, int64_t lo, int64_t hi) {
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  for (int64_t i = 0, e = numElements(); i < e; ++i)
    setDouble(i, static_cast<double>(dist(rng)));
}

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

/// An error with message `msg`; parseNpy and readNpy put the input's name
/// in front.
static llvm::Error npyError(const llvm::Twine &msg) {
  return llvm::make_error<llvm::StringError>(msg, inconvertibleErrorCode());
}

/// `err` with "NAME: " in front of its message.
static llvm::Error prefixed(llvm::StringRef name, llvm::Error err) {
  return npyError(name + ": " + llvm::toString(std::move(err)));
}

static llvm::Expected<DType> dtypeFromDescr(llvm::StringRef descr,
                                            bool asBf16) {
  if (descr == "<f8") return DType::F64;
  if (descr == "<f4") return DType::F32;
  if (descr == "<f2") return DType::F16;
  if (descr == "<u2" && asBf16) return DType::BF16;
  if (descr == "<i8") return DType::I64;
  if (descr == "<i4") return DType::I32;
  if (descr == "|i1") return DType::I8;
  if (descr == "|b1") return DType::I1;
  // FP8 bit patterns (NumPy has no FP8): e4m3fn until the caller retags.
  if (descr == "|u1") return DType::F8E4M3;
  return npyError("unsupported .npy dtype '" + descr + "'" +
                  (descr == "<u2"
                       ? " (pass --bf16 for bfloat16 stored as uint16)"
                       : ""));
}

static llvm::StringRef descrFromDType(DType dtype) {
  switch (dtype) {
  case DType::F64: return "<f8";
  case DType::F32: return "<f4";
  case DType::F16: return "<f2";
  case DType::BF16: return "<u2";
  case DType::I64: return "<i8";
  case DType::I32: return "<i4";
  case DType::I8: return "|i1";
  case DType::I1: return "|b1";
  case DType::I4: return ""; // no NumPy dtype: written as |i1 (writeNpy)
  case DType::F8E4M3:
  case DType::F8E5M2:
    return "|u1"; // no NumPy dtype: the bit patterns as uint8
  }
  return "";
}

namespace {
/// Where the header dict of a .npy image lies.
struct NpyPreamble {
  uint64_t headerOffset; // 10 (version 1) or 12 (versions 2 and 3)
  uint64_t headerLength;
};

/// The entries of a header dict, each present at most once.
struct HeaderFields {
  std::optional<llvm::StringRef> descr;
  std::optional<bool> fortranOrder;
  std::optional<std::vector<int64_t>> shape;
};

/// What a valid .npy header declares.
struct NpyHeader {
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t dataOffset; // the preamble and the header
  uint64_t dataBytes;  // fits in int64
};

/// A recursive-descent parser of the header dict, a Python literal such as
///   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
/// restricted to what .npy headers hold: string keys; a string, a bool and
/// a tuple of non-negative integers as values. NumPy evaluates the same text
/// with ast.literal_eval, so anything Python would not parse is refused;
/// errors name the character (1-based) where the text goes wrong, or its
/// end.
class HeaderParser {
public:
  explicit HeaderParser(llvm::StringRef text) : text(text) {}
  llvm::Expected<HeaderFields> parse();

private:
  llvm::Error error(const llvm::Twine &msg) const;
  void skipSpace();
  bool atEnd();
  bool consume(char c);
  llvm::Error expect(char c, const llvm::Twine &what);
  llvm::Error parseEntry(HeaderFields &fields);
  llvm::Expected<llvm::StringRef> parseString(const llvm::Twine &what);
  llvm::Expected<bool> parseBool();
  llvm::Expected<std::vector<int64_t>> parseShape();
  llvm::Expected<int64_t> parseDimension();
  template <typename T>
  llvm::Error store(std::optional<T> &slot, llvm::StringRef key,
                    llvm::Expected<T> value);

  llvm::StringRef text;
  size_t pos = 0;
};
} // namespace

llvm::Error HeaderParser::error(const llvm::Twine &msg) const {
  if (pos >= text.size())
    return npyError("malformed header at its end: " + msg);
  return npyError("malformed header at character " + llvm::Twine(pos + 1) +
                  ": " + msg);
}

void HeaderParser::skipSpace() {
  while (pos < text.size() && llvm::isSpace(text[pos]))
    ++pos;
}

bool HeaderParser::atEnd() {
  skipSpace();
  return pos == text.size();
}

bool HeaderParser::consume(char c) {
  if (atEnd() || text[pos] != c)
    return false;
  ++pos;
  return true;
}

llvm::Error HeaderParser::expect(char c, const llvm::Twine &what) {
  if (consume(c))
    return llvm::Error::success();
  return error("expected " + what);
}

llvm::Expected<HeaderFields> HeaderParser::parse() {
  HeaderFields fields;
  if (llvm::Error err = expect('{', "'{' opening the dict"))
    return std::move(err);
  while (!consume('}')) {
    if (atEnd())
      return error("expected '}' closing the dict");
    if (llvm::Error err = parseEntry(fields))
      return std::move(err);
    if (consume(','))
      continue;
    if (llvm::Error err = expect('}', "',' or '}' after a dict entry"))
      return std::move(err);
    break;
  }
  if (!atEnd())
    return error("unexpected text after the dict");
  return fields;
}

llvm::Error HeaderParser::parseEntry(HeaderFields &fields) {
  size_t keyPos = pos;
  llvm::Expected<llvm::StringRef> key = parseString("a quoted dict key");
  if (!key)
    return key.takeError();
  if (llvm::Error err = expect(':', "':' after the key"))
    return err;
  if (*key == "descr")
    return store(fields.descr, *key, parseString("a quoted dtype string"));
  if (*key == "fortran_order")
    return store(fields.fortranOrder, *key, parseBool());
  if (*key == "shape")
    return store(fields.shape, *key, parseShape());
  pos = keyPos;
  return error("unexpected key '" + *key +
               "' (a .npy header holds 'descr', 'fortran_order' and 'shape')");
}

template <typename T>
llvm::Error HeaderParser::store(std::optional<T> &slot, llvm::StringRef key,
                                llvm::Expected<T> value) {
  if (!value)
    return value.takeError();
  if (slot)
    return error("duplicate key '" + key + "'");
  slot = std::move(*value);
  return llvm::Error::success();
}

llvm::Expected<llvm::StringRef>
HeaderParser::parseString(const llvm::Twine &what) {
  if (atEnd() || (text[pos] != '\'' && text[pos] != '"'))
    return error("expected " + what);
  size_t end = text.find(text[pos], pos + 1);
  if (end == llvm::StringRef::npos)
    return error("unterminated string");
  llvm::StringRef value = text.slice(pos + 1, end);
  pos = end + 1;
  return value;
}

llvm::Expected<bool> HeaderParser::parseBool() {
  skipSpace();
  for (auto [word, value] : {std::pair<llvm::StringRef, bool>{"True", true},
                             std::pair<llvm::StringRef, bool>{"False", false}})
    if (text.substr(pos).starts_with(word)) {
      pos += word.size();
      return value;
    }
  return error("expected True or False");
}

llvm::Expected<std::vector<int64_t>> HeaderParser::parseShape() {
  if (llvm::Error err = expect('(', "'(' opening the shape tuple"))
    return std::move(err);
  std::vector<int64_t> shape;
  bool trailingComma = false;
  while (!consume(')')) {
    if (atEnd())
      return error("expected ')' closing the shape tuple");
    // Checked before the push: the header may hold thousands of entries.
    if (static_cast<int64_t>(shape.size()) == kMaxNpyRank)
      return error("more than " + llvm::Twine(kMaxNpyRank) +
                   " dimensions (NumPy's limit)");
    llvm::Expected<int64_t> dim = parseDimension();
    if (!dim)
      return dim.takeError();
    shape.push_back(*dim);
    trailingComma = consume(',');
    if (trailingComma)
      continue;
    if (llvm::Error err = expect(')', "',' or ')' in the shape tuple"))
      return std::move(err);
    break;
  }
  // Python reads "(3)" as the integer 3, which np.load refuses as a shape.
  if (shape.size() == 1 && !trailingComma)
    return error("'(N)' is not a tuple: a 1-d shape is written '(N,)'");
  return shape;
}

llvm::Expected<int64_t> HeaderParser::parseDimension() {
  bool negative = consume('-');
  size_t start = pos;
  int64_t value = 0;
  bool overflow = false;
  for (; pos < text.size() && llvm::isDigit(text[pos]); ++pos)
    overflow |= __builtin_mul_overflow(value, 10, &value) ||
                __builtin_add_overflow(value, text[pos] - '0', &value);
  llvm::StringRef digits = text.slice(start, pos);
  if (digits.empty())
    return error("expected a dimension (a non-negative integer)");
  if (negative)
    return error("negative dimension -" + digits);
  if (overflow)
    return error("dimension " + digits + " does not fit in int64");
  return value;
}

static std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string text = "(";
  for (int64_t d : shape)
    text += std::to_string(d) + ", ";
  if (!shape.empty())
    text.resize(text.size() - 2);
  return text + ")";
}

llvm::Expected<uint64_t> attn::checkedByteSize(DType dtype,
                                               llvm::ArrayRef<int64_t> shape) {
  int64_t elements = 1;
  bool empty = false;
  for (int64_t d : shape) {
    if (d < 0)
      return npyError("shape " + formatShape(shape) +
                      " has a negative dimension");
    empty |= d == 0;
    // Zero extents stay out of the product, as in NumPy.
    if (d != 0 && __builtin_mul_overflow(elements, d, &elements))
      return npyError("shape " + formatShape(shape) +
                      " has more than 2^63 - 1 elements");
  }
  int64_t bytes;
  if (__builtin_mul_overflow(elements, static_cast<int64_t>(dtypeSize(dtype)),
                             &bytes))
    return npyError("shape " + formatShape(shape) + " of " + dtypeName(dtype) +
                    " takes more than 2^63 - 1 bytes");
  return empty ? 0 : static_cast<int64_t>(storageBytes(dtype, elements));
}

static constexpr llvm::StringLiteral kNpyMagic("\x93NUMPY");
/// The longest preamble: magic, version, 4-byte header length.
static constexpr uint64_t kMaxNpyPreambleBytes = 12;

static uint64_t readLittleEndian(llvm::StringRef bytes) {
  uint64_t value = 0;
  for (char c : llvm::reverse(bytes))
    value = value << 8 | static_cast<uint8_t>(c);
  return value;
}

static llvm::Expected<NpyPreamble> parsePreamble(llvm::StringRef bytes) {
  if (!bytes.starts_with(kNpyMagic))
    return npyError("not a .npy file (no \\x93NUMPY magic string)");
  if (bytes.size() < kNpyMagic.size() + 2)
    return npyError("truncated preamble");
  unsigned major = static_cast<uint8_t>(bytes[6]);
  unsigned minor = static_cast<uint8_t>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    return npyError("unsupported .npy version " + llvm::Twine(major) + "." +
                    llvm::Twine(minor));
  // Version 1 stores the header length in 2 bytes, versions 2 and 3 in 4.
  uint64_t headerOffset = major == 1 ? 10 : 12;
  if (bytes.size() < headerOffset)
    return npyError("truncated preamble");
  uint64_t length = readLittleEndian(bytes.slice(8, headerOffset));
  if (length > kMaxNpyHeaderBytes)
    return npyError("header of " + llvm::Twine(length) +
                    " bytes exceeds the limit of " +
                    llvm::Twine(kMaxNpyHeaderBytes));
  if (length > bytes.size() - headerOffset)
    return npyError("truncated header: " + llvm::Twine(length) +
                    " bytes declared, " +
                    llvm::Twine(bytes.size() - headerOffset) + " present");
  return NpyPreamble{headerOffset, length};
}

/// The header of the .npy image that starts `bytes`, checked for everything
/// but the presence of its data (`bytes` may be only the file's beginning).
static llvm::Expected<NpyHeader> parseNpyHeader(llvm::StringRef bytes,
                                                bool asBf16) {
  llvm::Expected<NpyPreamble> preamble = parsePreamble(bytes);
  if (!preamble)
    return preamble.takeError();
  llvm::Expected<HeaderFields> fields =
      HeaderParser(bytes.substr(preamble->headerOffset,
                                preamble->headerLength))
          .parse();
  if (!fields)
    return fields.takeError();
  for (auto [present, key] :
       {std::pair{fields->descr.has_value(), "descr"},
        std::pair{fields->fortranOrder.has_value(), "fortran_order"},
        std::pair{fields->shape.has_value(), "shape"}})
    if (!present)
      return npyError(llvm::Twine("header has no '") + key + "'");
  llvm::Expected<DType> dtype = dtypeFromDescr(*fields->descr, asBf16);
  if (!dtype)
    return dtype.takeError();
  if (*fields->fortranOrder)
    return npyError("Fortran-ordered arrays are not supported");
  llvm::Expected<uint64_t> dataBytes = checkedByteSize(*dtype, *fields->shape);
  if (!dataBytes)
    return dataBytes.takeError();
  return NpyHeader{*dtype, std::move(*fields->shape),
                   preamble->headerOffset + preamble->headerLength,
                   *dataBytes};
}

/// Refuses a header whose data extends past the `available` bytes of its
/// input: the input's size caps every allocation.
static llvm::Error checkDataPresent(const NpyHeader &header,
                                    uint64_t available) {
  uint64_t present =
      available > header.dataOffset ? available - header.dataOffset : 0;
  if (header.dataBytes <= present)
    return llvm::Error::success();
  return npyError("data is shorter than the header says: " +
                  llvm::Twine(header.dataBytes) + " bytes declared, " +
                  llvm::Twine(present) + " present");
}

llvm::Expected<NDArray> attn::parseNpy(llvm::StringRef bytes,
                                       llvm::StringRef name, bool asBf16) {
  llvm::Expected<NpyHeader> header = parseNpyHeader(bytes, asBf16);
  if (!header)
    return prefixed(name, header.takeError());
  if (llvm::Error err = checkDataPresent(*header, bytes.size()))
    return prefixed(name, std::move(err));
  NDArray array(header->dtype, std::move(header->shape));
  // An empty array has no buffer, and memcpy wants non-null pointers.
  if (header->dataBytes != 0)
    std::memcpy(array.data(), bytes.data() + header->dataOffset,
                header->dataBytes);
  return array;
}

static const char *fileTypeName(llvm::sys::fs::file_type type) {
  using llvm::sys::fs::file_type;
  switch (type) {
  case file_type::directory_file: return "a directory";
  case file_type::character_file: return "a character device";
  case file_type::block_file: return "a block device";
  case file_type::fifo_file: return "a FIFO";
  case file_type::socket_file: return "a socket";
  default: return "of unknown type";
  }
}

/// The size of the regular file `status` describes, or why it is not one:
/// a device such as /dev/zero or a FIFO has no size to check the header
/// against, and reading it may never end.
static llvm::Expected<uint64_t>
regularFileSize(const llvm::sys::fs::file_status &status) {
  if (status.type() == llvm::sys::fs::file_type::regular_file)
    return status.getSize();
  return npyError(llvm::Twine("not a regular file (") +
                  fileTypeName(status.type()) + ")");
}

/// The first `size` bytes of the open file `fd`. Large slices are mapped,
/// not copied, as MemoryBuffer does for files.
static llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readPrefix(llvm::sys::fs::file_t fd, llvm::StringRef path, uint64_t size) {
  auto buffer = llvm::MemoryBuffer::getOpenFileSlice(fd, path, size, 0);
  if (!buffer)
    return npyError("cannot read: " + buffer.getError().message());
  return std::move(*buffer);
}

/// Opens `path` for reading once it is known to be a regular file: opening
/// a FIFO would block until a writer comes.
static llvm::Expected<llvm::sys::fs::file_t> openRegularFile(llvm::StringRef path) {
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return npyError("cannot open: " + ec.message());
  if (llvm::Expected<uint64_t> size = regularFileSize(status); !size)
    return size.takeError();
  llvm::Expected<llvm::sys::fs::file_t> fd =
      llvm::sys::fs::openNativeFileForRead(path);
  if (!fd)
    return npyError("cannot open: " + llvm::toString(fd.takeError()));
  return *fd;
}

/// The header and the data it declares of the open .npy file `fd`, no more
/// (the rest of the file is never read). The size is taken again from the
/// open file: the path may name another file since it was checked.
static llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readNpyImage(llvm::sys::fs::file_t fd, llvm::StringRef path, bool asBf16) {
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(fd, status))
    return npyError("cannot read: " + ec.message());
  llvm::Expected<uint64_t> fileSize = regularFileSize(status);
  if (!fileSize)
    return fileSize.takeError();
  auto head = readPrefix(
      fd, path, std::min(*fileSize, kMaxNpyPreambleBytes + kMaxNpyHeaderBytes));
  if (!head)
    return head.takeError();
  llvm::Expected<NpyHeader> header =
      parseNpyHeader((*head)->getBuffer(), asBf16);
  if (!header)
    return header.takeError();
  if (llvm::Error err = checkDataPresent(*header, *fileSize))
    return std::move(err);
  return readPrefix(fd, path, header->dataOffset + header->dataBytes);
}

llvm::Expected<NDArray> attn::readNpy(llvm::StringRef path, bool asBf16) {
  llvm::Expected<llvm::sys::fs::file_t> fd = openRegularFile(path);
  if (!fd)
    return prefixed(path, fd.takeError());
  auto image = readNpyImage(*fd, path, asBf16);
  // A mapped image stays valid once the file is closed.
  llvm::sys::fs::closeFile(*fd);
  if (!image)
    return prefixed(path, image.takeError());
  return parseNpy((*image)->getBuffer(), path, asBf16);
}

llvm::Error attn::writeNpy(llvm::StringRef path, const NDArray &array) {
  // NumPy has no 4-bit integers: i4 is written unpacked, one per byte.
  if (array.dtype() == DType::I4)
    return writeNpy(path, array.cast(DType::I8));
  std::string header = "{'descr': '" + descrFromDType(array.dtype()).str() +
                       "', 'fortran_order': False, 'shape': (";
  for (int64_t d : array.shape())
    header += std::to_string(d) + ", ";
  if (array.rank() > 0)
    header.resize(header.size() - (array.rank() == 1 ? 1 : 2));
  header += "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return createStringError(ec, "%s: cannot write: %s", path.str().c_str(),
                             ec.message().c_str());
  os << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff)
     << char((header.size() >> 8) & 0xff) << header;
  os.write(static_cast<const char *>(array.data()), array.sizeInBytes());
  return llvm::Error::success();
}
