//===- NDArray.cpp - host tensors and NumPy .npy I/O ----------------------===//

#include "attn/Support/NDArray.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>

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
    return 1;
  }
  return 0;
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

NDArray::NDArray(DType dtype, std::vector<int64_t> shape)
    : dtype_(dtype), shape_(std::move(shape)) {
  bytes_.assign(numElements() * dtypeSize(dtype_), 0);
}

int64_t NDArray::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape_)
    n *= d;
  return n;
}

double NDArray::getDouble(int64_t i) const {
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
  }
  return 0.0;
}

void NDArray::setDouble(int64_t i, double value) {
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
  }
}

std::vector<double> NDArray::toDoubles() const {
  std::vector<double> out(numElements());
  for (int64_t i = 0, e = out.size(); i < e; ++i)
    out[i] = getDouble(i);
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

static llvm::Expected<DType> dtypeFromDescr(llvm::StringRef descr, bool asBf16,
                                            llvm::StringRef path) {
  if (descr == "<f8") return DType::F64;
  if (descr == "<f4") return DType::F32;
  if (descr == "<f2") return DType::F16;
  if (descr == "<u2" && asBf16) return DType::BF16;
  if (descr == "<i8") return DType::I64;
  if (descr == "<i4") return DType::I32;
  if (descr == "|i1") return DType::I8;
  if (descr == "|b1") return DType::I1;
  return createStringError(inconvertibleErrorCode(),
                           "%s: unsupported .npy dtype '%s'%s", path.str().c_str(),
                           descr.str().c_str(),
                           descr == "<u2" ? " (pass --bf16 for bfloat16 stored as uint16)" : "");
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
  }
  return "";
}

llvm::Expected<NDArray> attn::readNpy(llvm::StringRef path, bool asBf16) {
  auto fail = [&](const llvm::Twine &msg) {
    return createStringError(inconvertibleErrorCode(), "%s: %s",
                             path.str().c_str(), msg.str().c_str());
  };
  auto bufferOr = llvm::MemoryBuffer::getFile(path);
  if (!bufferOr)
    return fail("cannot open: " + bufferOr.getError().message());
  llvm::StringRef buf = (*bufferOr)->getBuffer();
  if (buf.size() < 10 || !buf.starts_with("\x93NUMPY"))
    return fail("not a .npy file");
  uint8_t major = buf[6];
  size_t headerLen, offset;
  if (major == 1) {
    headerLen = static_cast<uint8_t>(buf[8]) | (static_cast<uint8_t>(buf[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (buf.size() < 12)
      return fail("truncated header");
    headerLen = 0;
    for (int i = 0; i < 4; ++i)
      headerLen |= static_cast<size_t>(static_cast<uint8_t>(buf[8 + i])) << (8 * i);
    offset = 12;
  } else {
    return fail("unsupported .npy version " + llvm::Twine(major));
  }
  if (offset + headerLen > buf.size())
    return fail("truncated header");
  llvm::StringRef header = buf.substr(offset, headerLen);
  auto field = [&](llvm::StringRef key) -> llvm::StringRef {
    size_t pos = header.find(("'" + key + "'").str());
    if (pos == llvm::StringRef::npos)
      return {};
    llvm::StringRef rest = header.drop_front(pos + key.size() + 2).ltrim(" :");
    return rest;
  };
  llvm::StringRef descrField = field("descr");
  if (descrField.empty() || descrField.front() != '\'')
    return fail("header has no 'descr'");
  llvm::StringRef descr = descrField.drop_front().split('\'').first;
  if (!field("fortran_order").starts_with("False"))
    return fail("Fortran-ordered arrays are not supported");
  llvm::StringRef shapeField = field("shape");
  if (shapeField.empty() || shapeField.front() != '(')
    return fail("header has no 'shape'");
  llvm::StringRef shapeText = shapeField.drop_front().split(')').first;
  std::vector<int64_t> shape;
  llvm::SmallVector<llvm::StringRef> parts;
  shapeText.split(parts, ',');
  for (llvm::StringRef p : parts) {
    p = p.trim();
    if (p.empty())
      continue;
    int64_t d;
    if (p.getAsInteger(10, d) || d < 0)
      return fail("bad shape entry '" + p + "'");
    shape.push_back(d);
  }
  auto dtypeOr = dtypeFromDescr(descr, asBf16, path);
  if (!dtypeOr)
    return dtypeOr.takeError();
  NDArray array(*dtypeOr, shape);
  size_t dataOffset = offset + headerLen;
  if (buf.size() - dataOffset < array.sizeInBytes())
    return fail("data is shorter than the shape says");
  std::memcpy(array.data(), buf.data() + dataOffset, array.sizeInBytes());
  return array;
}

llvm::Error attn::writeNpy(llvm::StringRef path, const NDArray &array) {
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
