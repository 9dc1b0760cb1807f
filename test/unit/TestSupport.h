//===- TestSupport.h - what the numerics tests share ------------*- C++ -*-===//
//
// The unit tests that parse specs, JIT-compile them for the CPU and compare
// them with the float64 reference share their context and their
// run-and-compare step.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TEST_UNIT_TESTSUPPORT_H
#define ATTN_TEST_UNIT_TESTSUPPORT_H

#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/JIT.h"
#include "attn/Pipelines/Pipelines.h"
#include "attn/Reference/Reference.h"
#include "attn/Runner/Runner.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <cmath>

// Region bodies shared by the CPU and GPU numerics tests.
//
// -inf scores are masked scores on every path: at the first key (the
// running max is still -inf when the first kept score arrives), at the
// middle key (Nk / 2, read with attn.key_length), and at every key of the
// odd rows (fully masked rows: 0 output, lse -inf).
#define ATTN_TEST_NEG_INF_SCORE_MOD(CONDITION)                                 \
  "score_mod {\n^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):\n" \
  "  %c0 = arith.constant 0 : index\n  %c1 = arith.constant 1 : index\n"      \
  "  %c2 = arith.constant 2 : index\n"                                        \
  "  %ninf = arith.constant 0xFF800000 : f32\n" CONDITION                      \
  "  %r = arith.select %at, %ninf, %s : f32\n  attn.yield %r : f32\n}"
#define ATTN_TEST_NEG_INF_FIRST_KEY                                            \
  ATTN_TEST_NEG_INF_SCORE_MOD("  %at = arith.cmpi eq, %j, %c0 : index\n")
#define ATTN_TEST_NEG_INF_MIDDLE_KEY                                           \
  ATTN_TEST_NEG_INF_SCORE_MOD("  %nk = attn.key_length : index\n"             \
                              "  %mid = arith.divui %nk, %c2 : index\n"       \
                              "  %at = arith.cmpi eq, %j, %mid : index\n")
#define ATTN_TEST_NEG_INF_ODD_ROWS                                             \
  ATTN_TEST_NEG_INF_SCORE_MOD("  %odd = arith.remui %i, %c2 : index\n"        \
                              "  %at = arith.cmpi eq, %odd, %c1 : index\n")
// #attn.causal and #attn.window<left = 4, right = 0> written as a region on
// the bottom-right aligned position (attn.aligned_query): the same mask when
// Nq != Nk.
#define ATTN_TEST_ALIGNED_WINDOW_REGION                                        \
  "mask_fn {\n^bb0(%b: index, %h: index, %i: index, %j: index):\n"            \
  "  %p = attn.aligned_query %i : index\n"                                     \
  "  %c4 = arith.constant 4 : index\n  %lo = arith.subi %p, %c4 : index\n"    \
  "  %upper = arith.cmpi sle, %j, %p : index\n"                               \
  "  %lower = arith.cmpi sle, %lo, %j : index\n"                              \
  "  %ok = arith.andi %upper, %lower : i1\n  attn.yield %ok : i1\n}"
// A shape-generic score_mod: s - log(Nk) + (Nq - Nk) / 16, from
// attn.key_length and attn.query_length.
#define ATTN_TEST_LENGTH_SCORE_MOD                                             \
  "score_mod {\n^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):\n" \
  "  %nk = attn.key_length : index\n  %nq = attn.query_length : index\n"      \
  "  %nki = arith.index_cast %nk : index to i64\n"                             \
  "  %nkf = arith.sitofp %nki : i64 to f32\n  %l = math.log %nkf : f32\n"      \
  "  %d = arith.subi %nq, %nk : index\n"                                      \
  "  %di = arith.index_cast %d : index to i64\n"                               \
  "  %df = arith.sitofp %di : i64 to f32\n"                                   \
  "  %c = arith.constant 0.0625 : f32\n  %t = arith.mulf %df, %c : f32\n"     \
  "  %u = arith.subf %s, %l : f32\n  %r = arith.addf %u, %t : f32\n"          \
  "  attn.yield %r : f32\n}"

namespace attn::test {

/// The spec dialects and the CPU pipeline's (loaded up front: passes run on
/// several threads), and `Extra...` dialects.
template <typename... Extra>
void setUpCompileContext(mlir::MLIRContext &context) {
  mlir::DialectRegistry registry;
  registry.insert<AttnDialect, mlir::func::FuncDialect, Extra...>();
  registerCPUPipelineDependencies(registry);
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();
}

/// Runs `kernel` on `args`, its outputs poisoned with NaN first so that an
/// unwritten element cannot pass, and compares them with the float64
/// reference of `concrete` evaluated on `refArgs`: the output within the
/// tolerance of its dtype, the logsumexp (when the spec returns one) within
/// 1e-5. `output`, if given, receives the output's comparison.
/// `results`: `kernel` run on `args`, into arrays first filled with NaN
/// (an element the kernel does not write shows).
inline void runKernel(const CompiledFunction &kernel,
                      const SpecBinding &concrete, const ProblemSize &size,
                      llvm::ArrayRef<NDArray> args,
                      std::vector<NDArray> &results) {
  results = allocateResults(concrete, size);
  for (NDArray &r : results)
    for (int64_t i = 0; i < r.numElements(); ++i)
      r.setDouble(i, std::nan(""));
  std::vector<const NDArray *> argPtrs;
  for (const NDArray &a : args)
    argPtrs.push_back(&a);
  std::vector<NDArray *> resultPtrs;
  for (NDArray &r : results)
    resultPtrs.push_back(&r);
  llvm::Error err = kernel.run(argPtrs, resultPtrs);
  ASSERT_FALSE(static_cast<bool>(err)) << llvm::toString(std::move(err));
}

inline void runAndCompare(const CompiledFunction &kernel,
                          const SpecBinding &concrete, const ProblemSize &size,
                          llvm::ArrayRef<NDArray> args,
                          llvm::ArrayRef<NDArray> refArgs,
                          Comparison *output = nullptr) {
  std::vector<NDArray> results;
  runKernel(kernel, concrete, size, args, results);
  if (testing::Test::HasFatalFailure())
    return;

  auto ref = reference::evaluate(concrete.op,
                                 referenceInputs(concrete, refArgs));
  ASSERT_TRUE(static_cast<bool>(ref)) << llvm::toString(ref.takeError());
  Comparison out = compareArrays(results[0], ref->output,
                                 toleranceFor(results[0].dtype()));
  if (output)
    *output = out;
  EXPECT_TRUE(out.passed) << "output rel_fro " << out.relFrobeniusError
                          << " max_abs " << out.maxAbsError << " non-finite "
                          << out.nonFinite;
  if (results.size() > 1) {
    ASSERT_TRUE(ref->lse.has_value()) << "the reference has no logsumexp";
    Comparison l = compareArrays(results[1], *ref->lse, 1e-5);
    EXPECT_TRUE(l.passed) << "lse rel_fro " << l.relFrobeniusError
                          << " non-finite " << l.nonFinite;
  }
}

} // namespace attn::test

#endif // ATTN_TEST_UNIT_TESTSUPPORT_H
