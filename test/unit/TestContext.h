//===- TestContext.h - the context the numerics tests compile in -*- C++ -*-===//
//
// The unit tests that parse specs and JIT-compile them for the CPU all need
// the same context: the attn and func dialects plus everything the CPU
// pipeline creates (loaded up front, since passes run on several threads).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TEST_UNIT_TESTCONTEXT_H
#define ATTN_TEST_UNIT_TESTCONTEXT_H

#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

namespace attn::test {

/// Registers and loads the spec dialects and the CPU pipeline's, and
/// `Extra...` dialects.
template <typename... Extra>
void setUpCompileContext(mlir::MLIRContext &context) {
  mlir::DialectRegistry registry;
  registry.insert<AttnDialect, mlir::func::FuncDialect, Extra...>();
  registerCPUPipelineDependencies(registry);
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();
}

} // namespace attn::test

#endif // ATTN_TEST_UNIT_TESTCONTEXT_H
