//===- NDArray.h - host tensors and NumPy .npy I/O -------------*- C++ -*-===//
//
// A minimal owning host tensor (row-major, contiguous) used by the runner,
// the reference and the tests, and reading/writing of NumPy .npy files.
// bfloat16 has no NumPy dtype: it is stored as uint16 ('<u2') and marked
// as bfloat16 by the caller (attn-run's --bf16 flag).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_SUPPORT_NDARRAY_H
#define ATTN_SUPPORT_NDARRAY_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace attn {

enum class DType { F64, F32, F16, BF16, I64, I32, I8, I1 };

/// Bytes per element of `dtype` (i1 is stored as one byte).
size_t dtypeSize(DType dtype);
llvm::StringRef dtypeName(DType dtype);
bool isFloatDType(DType dtype);

/// Conversions between the 16-bit float formats and float (round to nearest
/// even on the way down).
float halfToFloat(uint16_t bits);
uint16_t floatToHalf(float value);
float bf16ToFloat(uint16_t bits);
uint16_t floatToBf16(float value);

class NDArray {
public:
  NDArray() = default;
  NDArray(DType dtype, std::vector<int64_t> shape);

  DType dtype() const { return dtype_; }
  llvm::ArrayRef<int64_t> shape() const { return shape_; }
  int64_t rank() const { return shape_.size(); }
  int64_t numElements() const;
  void *data() { return bytes_.data(); }
  const void *data() const { return bytes_.data(); }
  size_t sizeInBytes() const { return bytes_.size(); }

  /// Element `i` (row-major linear index) converted to double.
  double getDouble(int64_t i) const;
  /// Stores `value` converted (rounded) to the array's dtype.
  void setDouble(int64_t i, double value);

  /// The whole array as doubles.
  std::vector<double> toDoubles() const;
  /// A copy converted to `dtype`.
  NDArray cast(DType dtype) const;

  /// Fills with N(0, 1) samples (floats) rounded to the dtype.
  void fillNormal(std::mt19937_64 &rng, double stddev = 1.0);
  /// Fills with integers uniformly drawn from [lo, hi].
  void fillUniformInt(std::mt19937_64 &rng, int64_t lo, int64_t hi);

private:
  DType dtype_ = DType::F32;
  std::vector<int64_t> shape_;
  std::vector<uint8_t> bytes_;
};

/// Reads a .npy file (version 1/2/3, C order, little endian). `asBf16`
/// reinterprets a uint16 array as bfloat16.
llvm::Expected<NDArray> readNpy(llvm::StringRef path, bool asBf16 = false);
/// Writes `array` as .npy; bfloat16 is written as uint16.
llvm::Error writeNpy(llvm::StringRef path, const NDArray &array);

} // namespace attn

#endif // ATTN_SUPPORT_NDARRAY_H
