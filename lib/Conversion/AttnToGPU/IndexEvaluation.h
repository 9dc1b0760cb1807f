//===- IndexEvaluation.h - index arithmetic per thread -----------*- C++
//-*-===//
//
// The GPU-path passes prove their rewrites by evaluating index arithmetic
// for every thread of a block instead of pattern-matching the producers'
// expressions: which elements a thread touches (attn-gpu-privatize-warp-
// state), which thread's row a load reads (attn-gpu-lane-exchange).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_INDEXEVALUATION_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_INDEXEVALUATION_H

#include "mlir/IR/ValueRange.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace attn::gpu_codegen {

/// The value of a leaf of the arithmetic (a thread id, a forall's induction
/// variable) for the thread being evaluated, or nullopt for other values.
using IndexLeaf = llvm::function_ref<std::optional<int64_t>(mlir::Value)>;

/// The value of an index computed from the leaves and constants with
/// integer arith ops (add, sub, mul, div, rem, min, max, bitwise, shifts,
/// compare, select, casts) and affine.apply; nullopt when it depends on
/// anything else or divides by zero.
std::optional<int64_t> evaluateIndex(mlir::Value v, const IndexLeaf &leaf);
std::optional<llvm::SmallVector<int64_t>>
evaluateIndices(mlir::ValueRange values, const IndexLeaf &leaf);

/// The leaf for thread `tid` of a mapped kernel: gpu.thread_id x (other
/// dimensions 0) and gpu.lane_id.
std::optional<int64_t> threadIdLeaf(mlir::Value v, int64_t tid);

} // namespace attn::gpu_codegen

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_INDEXEVALUATION_H
