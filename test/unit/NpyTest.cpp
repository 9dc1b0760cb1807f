//===- NpyTest.cpp - the .npy reader on valid and hostile inputs ----------===//
//
// Every error of parseNpy/readNpy on an image built here byte by byte (no
// NumPy needed), the valid variants a NumPy writer produces, and readNpy on
// paths that are not regular files. The malformed cases are the ones that
// crashed or were accepted before the reader checked its sizes: a header
// declaring far more data than the file holds, element counts whose byte
// size wraps around int64, /dev/zero, unclosed dicts and tuples.
//
//===----------------------------------------------------------------------===//

#include "attn/Support/NDArray.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <cstring>
#include <string>

using namespace attn;
using ::testing::HasSubstr;

namespace {

const char *const kF32x2x3 = "{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (2, 3), }";
const std::string k2Pow62 = "4611686018427387904";

/// A .npy image: magic, version `major`.0, the header length (2 bytes for
/// version 1, 4 otherwise), `header` and a newline, then `data`.
std::string npyImage(const std::string &header, const std::string &data = "",
                     uint8_t major = 1) {
  std::string text = header + "\n";
  std::string image = "\x93NUMPY";
  image += static_cast<char>(major);
  image += '\0';
  int lengthBytes = major == 1 ? 2 : 4;
  for (int i = 0; i < lengthBytes; ++i)
    image += static_cast<char>((text.size() >> (8 * i)) & 0xff);
  return image + text + data;
}

/// The header dict NumPy writes, with a given dtype, shape and order.
std::string dict(const std::string &descr, const std::string &shape,
                 const std::string &fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran +
         ", 'shape': " + shape + ", }";
}

/// The error message of `result`, or "" when it holds an array.
std::string errorOf(llvm::Expected<NDArray> result) {
  if (result)
    return "";
  return llvm::toString(result.takeError());
}

std::string parseError(const std::string &image, bool asBf16 = false) {
  return errorOf(parseNpy(image, "buf", asBf16));
}

std::string bytesOf(std::initializer_list<float> values) {
  std::string bytes(values.size() * 4, '\0');
  std::memcpy(bytes.data(), values.begin(), bytes.size());
  return bytes;
}

//===----------------------------------------------------------------------===//
// Valid images
//===----------------------------------------------------------------------===//

TEST(NpyParse, ReadsTheDataOfAVersion1Image) {
  auto array = parseNpy(npyImage(kF32x2x3, bytesOf({0, 1, 2, 3, 4, 5})), "buf");
  ASSERT_TRUE(static_cast<bool>(array)) << llvm::toString(array.takeError());
  EXPECT_EQ(array->dtype(), DType::F32);
  EXPECT_EQ(array->shape().vec(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(array->getDouble(5), 5.0);
}

TEST(NpyParse, ReadsVersion2And3Images) {
  for (uint8_t major : {2, 3}) {
    auto array = parseNpy(npyImage(kF32x2x3, bytesOf({0, 1, 2, 3, 4, 5}), major),
                          "buf");
    ASSERT_TRUE(static_cast<bool>(array)) << llvm::toString(array.takeError());
    EXPECT_EQ(array->getDouble(4), 4.0);
  }
}

TEST(NpyParse, AcceptsThePythonSpellingsOfTheDict) {
  // Double quotes, another key order, no trailing commas, spread over lines.
  std::string header = "{ \"shape\" : ( 2 ,3 ) ,\n \"fortran_order\":False,"
                       "\t\"descr\":\"<f4\" }   ";
  auto array = parseNpy(npyImage(header, bytesOf({0, 1, 2, 3, 4, 5})), "buf");
  ASSERT_TRUE(static_cast<bool>(array)) << llvm::toString(array.takeError());
  EXPECT_EQ(array->shape().vec(), (std::vector<int64_t>{2, 3}));
}

TEST(NpyParse, ReadsZeroDimensionalAndEmptyArrays) {
  auto scalar = parseNpy(npyImage(dict("<f4", "()"), bytesOf({7})), "buf");
  ASSERT_TRUE(static_cast<bool>(scalar)) << llvm::toString(scalar.takeError());
  EXPECT_EQ(scalar->rank(), 0);
  EXPECT_EQ(scalar->getDouble(0), 7.0);
  // 2^60 * 4 bytes fit in int64: the zero makes it empty.
  for (const char *shape : {"(0,)", "(3, 0)", "(0, 1152921504606846976)"}) {
    auto empty = parseNpy(npyImage(dict("<f4", shape)), "buf");
    ASSERT_TRUE(static_cast<bool>(empty)) << llvm::toString(empty.takeError());
    EXPECT_EQ(empty->numElements(), 0) << shape;
    EXPECT_EQ(empty->sizeInBytes(), 0u) << shape;
  }
}

TEST(NpyParse, IgnoresBytesAfterTheData) {
  auto array = parseNpy(npyImage(dict("<f4", "(1,)"), bytesOf({3, 4, 5})), "buf");
  ASSERT_TRUE(static_cast<bool>(array)) << llvm::toString(array.takeError());
  EXPECT_EQ(array->numElements(), 1);
}

TEST(NpyParse, AcceptsAHeaderOfExactlyTheLimit) {
  std::string header = dict("<f4", "(1,)");
  header.append(kMaxNpyHeaderBytes - 1 - header.size(), ' ');
  EXPECT_EQ(parseError(npyImage(header, bytesOf({1}), 2)), "");
  EXPECT_THAT(parseError(npyImage(header + " ", bytesOf({1}), 2)),
              HasSubstr("buf: header of 10001 bytes exceeds the limit of "
                        "10000"));
}

TEST(NpyParse, MapsEveryDTypeAndBf16OnRequest) {
  const std::pair<const char *, DType> cases[] = {
      {"<f8", DType::F64}, {"<f4", DType::F32}, {"<f2", DType::F16},
      {"<i8", DType::I64}, {"<i4", DType::I32}, {"|i1", DType::I8},
      {"|b1", DType::I1}};
  for (auto [descr, dtype] : cases) {
    auto array = parseNpy(npyImage(dict(descr, "(1,)"), std::string(8, '\1')),
                          "buf");
    ASSERT_TRUE(static_cast<bool>(array)) << llvm::toString(array.takeError());
    EXPECT_EQ(array->dtype(), dtype) << descr;
  }
  auto bf16 = parseNpy(npyImage(dict("<u2", "(1,)"), "\x80\x3f"), "buf",
                       /*asBf16=*/true);
  ASSERT_TRUE(static_cast<bool>(bf16)) << llvm::toString(bf16.takeError());
  EXPECT_EQ(bf16->dtype(), DType::BF16);
  EXPECT_EQ(bf16->getDouble(0), 1.0);
}

//===----------------------------------------------------------------------===//
// The preamble
//===----------------------------------------------------------------------===//

TEST(NpyParse, RefusesInputsWithoutTheMagicString) {
  for (const char *bytes : {"", "\x93NUM", "PK\x03\x04 not numpy"})
    EXPECT_EQ(parseError(bytes),
              "buf: not a .npy file (no \\x93NUMPY magic string)");
}

TEST(NpyParse, RefusesTruncatedPreambles) {
  EXPECT_EQ(parseError("\x93NUMPY\x01"), "buf: truncated preamble");
  EXPECT_EQ(parseError(npyImage(kF32x2x3, "", 1).substr(0, 9)),
            "buf: truncated preamble");
  EXPECT_EQ(parseError(npyImage(kF32x2x3, "", 2).substr(0, 11)),
            "buf: truncated preamble");
}

TEST(NpyParse, RefusesUnknownVersions) {
  std::string image = npyImage(kF32x2x3, bytesOf({0, 1, 2, 3, 4, 5}));
  image[6] = 4;
  EXPECT_EQ(parseError(image), "buf: unsupported .npy version 4.0");
  image[6] = 1;
  image[7] = 1;
  EXPECT_EQ(parseError(image), "buf: unsupported .npy version 1.1");
}

TEST(NpyParse, RefusesAHeaderLongerThanTheInput) {
  std::string image = npyImage(kF32x2x3);
  EXPECT_THAT(parseError(image.substr(0, 30)),
              HasSubstr("buf: truncated header: 60 bytes declared, 20 present"));
}

TEST(NpyParse, RefusesAHeaderOverTheLimitBeforeReadingIt) {
  // Version 2 may declare up to 4 GiB of header.
  std::string image = "\x93NUMPY\x02";
  image += std::string("\0\xff\xff\xff\xff", 5);
  EXPECT_EQ(parseError(image), "buf: header of 4294967295 bytes exceeds the "
                               "limit of 10000");
}

//===----------------------------------------------------------------------===//
// The header dict
//===----------------------------------------------------------------------===//

TEST(NpyParse, RefusesADictWithoutItsClosingBrace) {
  std::string unclosed = kF32x2x3;
  unclosed.pop_back(); // ", " stays: the dict ends after its trailing comma
  EXPECT_THAT(parseError(npyImage(unclosed, bytesOf({0, 1, 2, 3, 4, 5}))),
              HasSubstr("expected '}' closing the dict"));
  EXPECT_THAT(parseError(npyImage("{'descr': '<f4', 'fortran_order': False, "
                                  "'shape': (2, 3)",
                                  bytesOf({0, 1, 2, 3, 4, 5}))),
              HasSubstr("expected ',' or '}' after a dict entry"));
}

TEST(NpyParse, NamesWhereTheDictGoesWrong) {
  EXPECT_EQ(parseError(npyImage("{'descr' '<f4'}")),
            "buf: malformed header at character 10: expected ':' after the key");
  EXPECT_THAT(parseError(npyImage("'descr': '<f4'")),
              HasSubstr("expected '{' opening the dict"));
  EXPECT_THAT(parseError(npyImage(kF32x2x3 + std::string(" junk"))),
              HasSubstr("unexpected text after the dict"));
  EXPECT_THAT(parseError(npyImage("{'descr: '<f4'}")),
              HasSubstr("expected ':' after the key"));
  EXPECT_THAT(parseError(npyImage("{'descr': '<f4}")),
              HasSubstr("unterminated string"));
  EXPECT_THAT(parseError(npyImage("{descr: '<f4'}")),
              HasSubstr("expected a quoted dict key"));
  EXPECT_THAT(parseError(npyImage("{'descr': 4}")),
              HasSubstr("expected a quoted dtype string"));
  EXPECT_THAT(parseError(npyImage(dict("<f4", "(1,)", "false"))),
              HasSubstr("expected True or False"));
}

TEST(NpyParse, RefusesUnknownDuplicateAndMissingKeys) {
  EXPECT_THAT(parseError(npyImage("{'descr': '<f4', 'kind': 'x'}")),
              HasSubstr("unexpected key 'kind' (a .npy header holds 'descr', "
                        "'fortran_order' and 'shape')"));
  EXPECT_THAT(parseError(npyImage("{'shape': (1,), 'shape': (1,)}")),
              HasSubstr("duplicate key 'shape'"));
  EXPECT_EQ(parseError(npyImage("{'fortran_order': False, 'shape': (1,)}")),
            "buf: header has no 'descr'");
  EXPECT_EQ(parseError(npyImage("{'descr': '<f4', 'shape': (1,)}")),
            "buf: header has no 'fortran_order'");
  EXPECT_EQ(parseError(npyImage("{'descr': '<f4', 'fortran_order': False}")),
            "buf: header has no 'shape'");
}

TEST(NpyParse, RefusesUnsupportedDTypesAndFortranOrder) {
  EXPECT_EQ(parseError(npyImage(dict(">f4", "(1,)"), bytesOf({1}))),
            "buf: unsupported .npy dtype '>f4'");
  EXPECT_EQ(parseError(npyImage(dict("<u2", "(1,)"), "ab")),
            "buf: unsupported .npy dtype '<u2' (pass --bf16 for bfloat16 "
            "stored as uint16)");
  EXPECT_EQ(parseError(npyImage(dict("<f4", "(1,)", "True"), bytesOf({1}))),
            "buf: Fortran-ordered arrays are not supported");
}

//===----------------------------------------------------------------------===//
// The shape
//===----------------------------------------------------------------------===//

TEST(NpyParse, RefusesAShapeWithoutItsClosingParenthesis) {
  EXPECT_THAT(parseError(npyImage("{'descr': '<f4', 'fortran_order': False, "
                                  "'shape': (2, 3}")),
              HasSubstr("expected ',' or ')' in the shape tuple"));
  EXPECT_THAT(parseError(npyImage("{'descr': '<f4', 'fortran_order': False, "
                                  "'shape': (2, 3,")),
              HasSubstr("expected ')' closing the shape tuple"));
  EXPECT_THAT(parseError(npyImage(dict("<f4", "[2, 3]"))),
              HasSubstr("expected '(' opening the shape tuple"));
}

TEST(NpyParse, RefusesMalformedDimensions) {
  EXPECT_THAT(parseError(npyImage(dict("<f4", "(2, -1)"))),
              HasSubstr("negative dimension -1"));
  EXPECT_THAT(parseError(npyImage(dict("<f4", "(two,)"))),
              HasSubstr("expected a dimension (a non-negative integer)"));
  EXPECT_THAT(parseError(npyImage(dict("<f4", "(99999999999999999999,)"))),
              HasSubstr("dimension 99999999999999999999 does not fit in "
                        "int64"));
  EXPECT_THAT(parseError(npyImage(dict("<f4", "(3)"))),
              HasSubstr("'(N)' is not a tuple: a 1-d shape is written '(N,)'"));
}

TEST(NpyParse, RefusesMoreThan64Dimensions) {
  std::string shape = "(";
  for (int i = 0; i < kMaxNpyRank; ++i)
    shape += "1, ";
  EXPECT_EQ(parseError(npyImage(dict("<f4", shape + ")"), bytesOf({1}))), "");
  EXPECT_THAT(parseError(npyImage(dict("<f4", shape + "1)"), bytesOf({1}))),
              HasSubstr("more than 64 dimensions (NumPy's limit)"));
}

TEST(NpyParse, RefusesElementCountsBeyondInt64) {
  // Unchecked, 2^62 * 4 wraps to 0 and the array passes for an empty one.
  EXPECT_EQ(parseError(npyImage(dict("<f4", "(" + k2Pow62 + ", 4)"))),
            "buf: shape (" + k2Pow62 + ", 4) has more than 2^63 - 1 elements");
  // A zero extent does not excuse the others' overflow.
  EXPECT_THAT(
      parseError(npyImage(dict("<f4", "(" + k2Pow62 + ", 4, 0)"))),
      HasSubstr("has more than 2^63 - 1 elements"));
}

TEST(NpyParse, RefusesByteSizesBeyondInt64) {
  EXPECT_EQ(parseError(npyImage(dict("<f4", "(" + k2Pow62 + ",)"))),
            "buf: shape (" + k2Pow62 + ") of f32 takes more than 2^63 - 1 "
            "bytes");
}

TEST(CheckedByteSize, CountsBytesAndRefusesNegativeDimensions) {
  auto bytes = [](DType dtype, std::vector<int64_t> shape) {
    llvm::Expected<uint64_t> size = checkedByteSize(dtype, shape);
    return size ? std::to_string(*size) : llvm::toString(size.takeError());
  };
  EXPECT_EQ(bytes(DType::F32, {2, 3}), "24");
  EXPECT_EQ(bytes(DType::F64, {}), "8");
  EXPECT_EQ(bytes(DType::BF16, {5, 0}), "0");
  EXPECT_EQ(bytes(DType::F32, {2, -1}), "shape (2, -1) has a negative dimension");
  EXPECT_EQ(bytes(DType::I8, {int64_t(1) << 61, 2}), k2Pow62);
}

TEST(NpyParse, RefusesDataShorterThanDeclared) {
  // 2^40 floats declared over 64 bytes: refused before allocating 4 TiB.
  std::string image = npyImage(dict("<f4", "(1, 1, 1048576, 1048576)"),
                               std::string(64, '\0'));
  EXPECT_EQ(parseError(image), "buf: data is shorter than the header says: "
                               "4398046511104 bytes declared, 64 present");
  EXPECT_EQ(parseError(npyImage(kF32x2x3, bytesOf({0, 1, 2, 3, 4}))),
            "buf: data is shorter than the header says: 24 bytes declared, "
            "20 present");
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

class NpyFile : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("npytest", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string path(llvm::StringRef name) const {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  std::string write(llvm::StringRef name, const std::string &bytes) const {
    std::error_code ec;
    llvm::raw_fd_ostream os(path(name), ec);
    EXPECT_FALSE(ec);
    os << bytes;
    return path(name);
  }

  llvm::SmallString<128> dir;
};

TEST_F(NpyFile, RoundTripsEveryDType) {
  for (DType dtype : {DType::F64, DType::F32, DType::F16, DType::BF16,
                      DType::I64, DType::I32, DType::I8, DType::I1}) {
    NDArray array(dtype, {2, 3});
    for (int64_t i = 0; i < 6; ++i)
      array.setDouble(i, dtype == DType::I1 ? i % 2 : i - 2);
    std::string file = path("a.npy");
    ASSERT_FALSE(static_cast<bool>(writeNpy(file, array)));
    auto back = readNpy(file, dtype == DType::BF16);
    ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
    EXPECT_EQ(back->dtype(), dtype);
    EXPECT_EQ(back->toDoubles(), array.toDoubles()) << dtypeName(dtype).str();
  }
}

// FP8 (f8E4M3FN, f8E5M2): every bit pattern decodes to its value and a
// finite one encodes back to itself; rounding is to nearest even at the
// format's spacing, saturating at F; '|u1' .npy files hold the bit
// patterns (read as e4m3, retagged e5m2 by the caller).
TEST(FP8, DecodesAndEncodesEveryBitPattern) {
  for (bool e5m2 : {false, true})
    for (int bits = 0; bits < 256; ++bits) {
      double v = fp8ToDouble(static_cast<uint8_t>(bits), e5m2);
      if (!std::isfinite(v))
        continue;
      uint8_t back = doubleToFP8(v, e5m2);
      // -0 and +0 are both zero; every other pattern is its own value.
      EXPECT_EQ(fp8ToDouble(back, e5m2), v) << bits;
      if (v != 0.0)
        EXPECT_EQ(back, bits) << bits << (e5m2 ? " e5m2" : " e4m3");
    }
  // e4m3fn: 0x7f and 0xff are NaN, no infinities; 0x7e is 448; the
  // smallest subnormal 2^-9, the smallest normal 2^-6.
  EXPECT_TRUE(std::isnan(fp8ToDouble(0x7f, false)));
  EXPECT_TRUE(std::isnan(fp8ToDouble(0xff, false)));
  EXPECT_EQ(fp8ToDouble(0x7e, false), 448.0);
  EXPECT_EQ(fp8ToDouble(0x01, false), std::ldexp(1.0, -9));
  EXPECT_EQ(fp8ToDouble(0x08, false), std::ldexp(1.0, -6));
  EXPECT_EQ(fp8ToDouble(0xb8, false), -1.0);
  // e5m2: 0x7c is infinity, 0x7d NaN, 0x7b 57344, subnormal 2^-16.
  EXPECT_EQ(fp8ToDouble(0x7c, true), std::numeric_limits<double>::infinity());
  EXPECT_EQ(fp8ToDouble(0xfc, true), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(fp8ToDouble(0x7d, true)));
  EXPECT_EQ(fp8ToDouble(0x7b, true), 57344.0);
  EXPECT_EQ(fp8ToDouble(0x01, true), std::ldexp(1.0, -16));
  // Ties to even: 1 + 1/16 lies between 1 and 1 + 1/8 (e4m3): even is 1;
  // 1 + 3/16 goes up to 1 + 1/4. Saturation: 464 (between 448 and the
  // next step) and 1e9 give 448; infinity too; NaN gives a NaN pattern.
  EXPECT_EQ(fp8ToDouble(doubleToFP8(1.0625, false), false), 1.0);
  EXPECT_EQ(fp8ToDouble(doubleToFP8(1.1875, false), false), 1.25);
  EXPECT_EQ(fp8ToDouble(doubleToFP8(464.0, false), false), 448.0);
  EXPECT_EQ(fp8ToDouble(doubleToFP8(-1e9, false), false), -448.0);
  EXPECT_EQ(fp8ToDouble(doubleToFP8(1e9, true), true), 57344.0);
  EXPECT_EQ(fp8ToDouble(
                doubleToFP8(std::numeric_limits<double>::infinity(), true),
                true),
            57344.0);
  EXPECT_TRUE(std::isnan(fp8ToDouble(doubleToFP8(NAN, false), false)));
  // Below half the smallest subnormal: 0; exactly half: ties to even (0).
  EXPECT_EQ(fp8ToDouble(doubleToFP8(std::ldexp(1.0, -10), false), false), 0.0);
  EXPECT_EQ(fp8ToDouble(doubleToFP8(std::ldexp(1.5, -10), false), false),
            std::ldexp(1.0, -9));
}

TEST_F(NpyFile, RoundTripsFP8AsUint8BitPatterns) {
  for (DType dtype : {DType::F8E4M3, DType::F8E5M2}) {
    NDArray array(dtype, {2, 3});
    for (int64_t i = 0; i < 6; ++i)
      array.setDouble(i, (i - 2) * 0.75);
    std::string file = path("f8.npy");
    ASSERT_FALSE(static_cast<bool>(writeNpy(file, array)));
    auto back = readNpy(file);
    ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
    EXPECT_EQ(back->dtype(), DType::F8E4M3); // '|u1': e4m3 until retagged
    NDArray retagged = back->reinterpret(dtype);
    EXPECT_EQ(retagged.dtype(), dtype);
    EXPECT_EQ(retagged.toDoubles(), array.toDoubles()) << dtypeName(dtype).str();
  }
}

TEST_F(NpyFile, ReadsOnlyTheDeclaredPrefixOfALargeFile) {
  std::string file = write("big.npy", npyImage(dict("<f4", "(1,)"), bytesOf({9})) +
                                          std::string(1 << 20, 'x'));
  auto array = readNpy(file);
  ASSERT_TRUE(static_cast<bool>(array)) << llvm::toString(array.takeError());
  EXPECT_EQ(array->getDouble(0), 9.0);
}

TEST_F(NpyFile, RefusesAHeaderDeclaringMoreThanTheFileHolds) {
  std::string file = write("huge.npy", npyImage(dict("<f4", "(1, 1, 1048576, "
                                                           "1048576)"),
                                                std::string(64, '\0')));
  EXPECT_EQ(errorOf(readNpy(file)),
            file + ": data is shorter than the header says: 4398046511104 "
                   "bytes declared, 64 present");
}

TEST_F(NpyFile, ReportsHeaderErrorsWithThePath) {
  std::string file = write("bad.npy", npyImage("{'descr': '<f4'"));
  EXPECT_EQ(errorOf(readNpy(file)),
            file + ": malformed header at its end: expected ',' or '}' after "
                   "a dict entry");
  EXPECT_EQ(errorOf(readNpy(write("empty.npy", ""))),
            path("empty.npy") + ": not a .npy file (no \\x93NUMPY magic "
                                "string)");
}

TEST_F(NpyFile, RefusesAMissingFile) {
  EXPECT_THAT(errorOf(readNpy(path("missing.npy"))),
              HasSubstr("missing.npy: cannot open: "));
}

TEST_F(NpyFile, RefusesADirectory) {
  EXPECT_EQ(errorOf(readNpy(dir)),
            std::string(dir) + ": not a regular file (a directory)");
}

TEST_F(NpyFile, RefusesAFifoWithoutBlocking) {
  std::string fifo = path("fifo.npy");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(errorOf(readNpy(fifo)), fifo + ": not a regular file (a FIFO)");
}

TEST_F(NpyFile, RefusesASocket) {
  std::string socketPath = path("s.npy");
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(socketPath.size(), sizeof(address.sun_path));
  std::strcpy(address.sun_path, socketPath.c_str());
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)),
            0);
  EXPECT_EQ(errorOf(readNpy(socketPath)),
            socketPath + ": not a regular file (a socket)");
  close(fd);
}

TEST_F(NpyFile, RefusesACharacterDevice) {
  // Read to its end, /dev/zero exhausted the memory.
  if (!llvm::sys::fs::exists("/dev/zero"))
    GTEST_SKIP() << "no /dev/zero";
  EXPECT_EQ(errorOf(readNpy("/dev/zero")),
            "/dev/zero: not a regular file (a character device)");
}

} // namespace
