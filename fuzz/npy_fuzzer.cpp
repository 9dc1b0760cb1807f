//===- npy_fuzzer.cpp - libFuzzer target: the in-memory .npy parser -------===//
//
// Each input is parsed by attn::parseNpy, as a plain array and as bfloat16
// (the reader takes a different dtype path for '<u2'). A refusal is fine; a
// crash, a sanitizer report, an allocation over libFuzzer's -rss_limit_mb
// or -malloc_limit_mb, or an accepted array that breaks the invariants
// below is a finding.
//
//===----------------------------------------------------------------------===//

#include "attn/Support/NDArray.h"

#include "llvm/Support/Error.h"

#include <cstddef>
#include <cstdint>

/// An array parseNpy accepted holds at most the input's bytes, as many as
/// its shape and dtype say, and every element reads back (ASan checks the
/// reads stay in the buffer).
static void checkAccepted(const attn::NDArray &array, size_t inputSize) {
  uint64_t expected =
      static_cast<uint64_t>(array.numElements()) * attn::dtypeSize(array.dtype());
  if (array.sizeInBytes() != expected || array.sizeInBytes() > inputSize ||
      array.rank() > attn::kMaxNpyRank)
    __builtin_trap();
  double sum = 0;
  for (int64_t i = 0, e = array.numElements(); i < e; ++i)
    sum += array.getDouble(i);
  // Keeps the reads from being optimized away.
  asm volatile("" : : "r"(&sum) : "memory");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  for (bool asBf16 : {false, true}) {
    llvm::Expected<attn::NDArray> array =
        attn::parseNpy(bytes, "fuzz-input", asBf16);
    if (array)
      checkAccepted(*array, size);
    else
      llvm::consumeError(array.takeError());
  }
  return 0;
}
