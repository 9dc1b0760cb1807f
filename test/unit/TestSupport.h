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
inline void runAndCompare(const CompiledFunction &kernel,
                          const SpecBinding &concrete, const ProblemSize &size,
                          llvm::ArrayRef<NDArray> args,
                          llvm::ArrayRef<NDArray> refArgs,
                          Comparison *output = nullptr) {
  std::vector<NDArray> results = allocateResults(concrete, size);
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
