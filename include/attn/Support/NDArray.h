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

/// I4 is signed 4-bit, packed two per byte in row-major order: element `i`
/// is the low nibble of byte `i / 2` for even `i`, the high nibble for odd
/// `i` (two's complement); the JIT passes it so to pre-quantized INT4
/// operands (attn-pack-int4-arguments).
///
/// F8E4M3 (f8E4M3FN: 4 exponent bits, bias 7, 3 mantissa bits, no
/// infinities, 0x7f/0xff NaN, largest finite 448) and F8E5M2 (5 exponent
/// bits, bias 15, 2 mantissa bits, IEEE infinities and NaNs, largest finite
/// 57344) are one byte each: the bit patterns of pre-quantized FP8 Q and K.
/// NumPy has no FP8 type: .npy stores them as uint8 ('|u1') bit patterns,
/// read as F8E4M3 (the runner retags them F8E5M2 for an f8E5M2 argument).
enum class DType { F64, F32, F16, BF16, I64, I32, I8, I1, I4, F8E4M3, F8E5M2 };

/// Bytes per element of `dtype` (i1 is stored as one byte); 1 for i4, whose
/// arrays take half of that (storageBytes).
size_t dtypeSize(DType dtype);
/// Bytes of `elements` elements of `dtype` (half a byte each for i4,
/// rounded up); the caller checks overflow of `elements * dtypeSize`.
uint64_t storageBytes(DType dtype, uint64_t elements);
llvm::StringRef dtypeName(DType dtype);
bool isFloatDType(DType dtype);

/// Conversions between the 16-bit float formats and float (round to nearest
/// even on the way down).
float halfToFloat(uint16_t bits);
uint16_t floatToHalf(float value);
float bf16ToFloat(uint16_t bits);
uint16_t floatToBf16(float value);
/// FP8 (e4m3fn, or e5m2 with `e5m2`) bit patterns to double (exact), and
/// a double rounded to FP8 (nearest, ties to even, finite values and
/// infinities saturating to the largest finite magnitude, subnormals kept,
/// NaN to a NaN pattern).
double fp8ToDouble(uint8_t bits, bool e5m2);
uint8_t doubleToFP8(double value, bool e5m2);
/// Whether `dtype` is F8E4M3 or F8E5M2.
inline bool isFP8DType(DType dtype) {
  return dtype == DType::F8E4M3 || dtype == DType::F8E5M2;
}

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
  /// The same bytes as `dtype`, which must have the same element size (an
  /// FP8 array read from uint8 bit patterns retagged as e5m2).
  NDArray reinterpret(DType dtype) const;

  /// Fills with N(0, 1) samples (floats) rounded to the dtype.
  void fillNormal(std::mt19937_64 &rng, double stddev = 1.0);
  /// Fills with integers uniformly drawn from [lo, hi].
  void fillUniformInt(std::mt19937_64 &rng, int64_t lo, int64_t hi);

private:
  DType dtype_ = DType::F32;
  std::vector<int64_t> shape_;
  std::vector<uint8_t> bytes_;
};

/// The byte size of an array of `dtype` and `shape`, or an error when a
/// dimension is negative or the element count or the byte size exceeds
/// int64: unchecked, a product such as 2^62 * 4 wraps to 0 and a huge shape
/// passes for an empty one. A zero extent does not excuse the others'
/// product overflowing (as in NumPy: (0, 2^62, 2^62) is refused like
/// (2^62, 2^62, 0)). Check a shape from outside with it before constructing
/// an NDArray, which allocates whatever it is asked.
llvm::Expected<uint64_t> checkedByteSize(DType dtype,
                                         llvm::ArrayRef<int64_t> shape);

/// Limits of the .npy reader. The longest header dict accepted: the limit
/// NumPy's np.load applies to files it does not trust (max_header_size).
constexpr uint64_t kMaxNpyHeaderBytes = 10000;
/// The most dimensions accepted: NumPy 2's NPY_MAXDIMS.
constexpr int64_t kMaxNpyRank = 64;

/// Parses a .npy image held in memory (version 1/2/3, C order, little
/// endian): the preamble, the header dict and the data it declares. `name`
/// (a path, or what the caller calls the buffer) starts every error message.
/// `asBf16` reinterprets a uint16 array as bfloat16. Every malformed input
/// is an error, never a crash, and nothing is allocated before the sizes
/// are known to be valid:
///  - a missing or wrong magic string, a version other than 1.0/2.0/3.0, a
///    header longer than kMaxNpyHeaderBytes or than the input;
///  - a header dict that is not exactly {'descr': STR, 'fortran_order':
///    BOOL, 'shape': TUPLE} in Python literal syntax (keys in any order, a
///    trailing comma allowed, nothing but whitespace after the closing
///    brace);
///  - a negative dimension, more than kMaxNpyRank of them, an element count
///    or byte size beyond int64 (a zero extent does not excuse the others'
///    product overflowing, as in NumPy);
///  - an unsupported dtype or Fortran order;
///  - declared data that extends past the end of `bytes`: the input's own
///    size caps what is allocated. Bytes after the data are ignored, as
///    np.load does.
llvm::Expected<NDArray> parseNpy(llvm::StringRef bytes, llvm::StringRef name,
                                 bool asBf16 = false);

/// Reads a .npy file with the rules of parseNpy, where the file's size caps
/// the data. The path must name a regular file (or a link to one): it is
/// checked before the file is opened, so that a device (/dev/zero) or a FIFO
/// is refused instead of read without end. Only the header and the data it
/// declares are read.
llvm::Expected<NDArray> readNpy(llvm::StringRef path, bool asBf16 = false);
/// Writes `array` as .npy; bfloat16 is written as uint16.
llvm::Error writeNpy(llvm::StringRef path, const NDArray &array);

} // namespace attn

#endif // ATTN_SUPPORT_NDARRAY_H
