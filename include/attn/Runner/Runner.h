//===- Runner.h - bind a spec to concrete inputs and run it ----*- C++ -*-===//
//
// What attn-run and the numeric tests share: find the attention op of a
// spec function, name the role of each function argument, choose problem
// sizes, make valid random inputs for every operand, specialize the spec to
// concrete shapes (so the op verifier checks them), and compare results.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUNNER_RUNNER_H
#define ATTN_RUNNER_RUNNER_H

#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/Reference/Reference.h"
#include "attn/Support/NDArray.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <optional>
#include <string>
#include <vector>

namespace attn {

/// The host array type of a tensor element type (index as i64), if any.
std::optional<DType> dtypeOfElement(mlir::Type type);

/// Named extents of one attention problem.
struct ProblemSize {
  int64_t b = 2, hq = 4, hkv = 2, nq = 37, nk = 37, d = 16, dv = 16;
};

enum class ArgRole {
  Query, Key, Value, Bias, QSegmentIds, KvSegmentIds, BlockLayout,
  AlibiSlopes, KHeadMap, VHeadMap, SinkLogits, OutputGate, Decay, QScale,
  KScale, KSalient, Rotation, LowRankU, LowRankW, FeatureWeight, FeatureBias,
  GateQWeight, GateKWeight, BlockScores, Capture,
  /// The scales of a pre-quantized V (#attn.quantized_v).
  VScale,
  /// A gate of attn.gated_sum (a multi-branch spec), shaped as an
  /// output_gate.
  BranchGate
};

/// "query", "key", "value", "bias", "q_segment_ids", ..., "capture".
llvm::StringRef argRoleName(ArgRole role);

/// A spec function whose arguments feed one attn.attention and whose
/// results are that op's results; or a multi-branch spec: several
/// attn.attention ops (branches) with attn.pool_blocks before them and
/// attn.merge / attn.gated_sum combining them, the function returning the
/// results of its last op. `op` is then the first branch that reads Q, K
/// and V from the arguments (the problem's sizes are its own).
struct SpecBinding {
  mutable mlir::func::FuncOp func;
  mutable AttentionOp op;
  /// Whether the function holds more than one op (branches, combinations):
  /// its reference is reference::evaluateFunction.
  bool multiBranch = false;
  std::vector<ArgRole> roles;         // per function argument
  std::vector<unsigned> captureIndex; // per argument (captures only)
  std::vector<std::string> names;     // per argument, for --operand
};

/// The attention op of function `entry` (or, when empty, of the only
/// function holding an attn.attention), which must hold exactly one. Errors
/// are emitted as diagnostics at the offending location (the module's for
/// a missing function) and returned as failure.
mlir::FailureOr<AttentionOp> findSpecAttention(mlir::ModuleOp module,
                                               llvm::StringRef entry);

/// Binds function `entry` (or, when empty, the only function holding an
/// attn.attention; see findSpecAttention). Errors are emitted as diagnostics at the offending
/// location and returned as failure.
mlir::FailureOr<SpecBinding> bindSpec(mlir::ModuleOp module,
                                      llvm::StringRef entry);

/// The 16-bit input type an --element-type names: "f16" or "bf16"; null
/// for anything else.
mlir::Type sixteenBitElementType(mlir::MLIRContext *context,
                                 llvm::StringRef name);

/// Gives Q, K, V (when they are arguments of `funcName`) and the output of
/// the function's attention ops the element type `elementType` (f16, bf16),
/// in the function's signature too; other operands, and integer
/// (quantized) Q and K, keep their types. Lets
/// the f32 specs of the zoo be compiled and tested as 16-bit kernels
/// (attn-emit-lib and attn-run --element-type). Fails when Q, K or V is not
/// an argument or the result does not verify.
mlir::LogicalResult retypeAttentionInputs(mlir::ModuleOp module,
                                          llvm::StringRef funcName,
                                          mlir::Type elementType);

/// `B,Hq,Hkv,Nq,Nk,D[,Dv]` (Dv defaults to D; spaces around entries are
/// allowed), as the tools' `--shape` takes it: an error naming `option` if
/// an entry is not a positive integer or there are not 6 or 7 of them
/// (`alternative`, e.g. "default", is named as the other accepted form).
/// Whether the spec accepts the size is checkProblemSize's business.
llvm::Expected<ProblemSize> parseProblemSize(llvm::StringRef text,
                                             llvm::StringRef option,
                                             llvm::StringRef alternative = "");

/// A small problem size the spec accepts: static dims of the signature,
/// the head count of #attn.per_head and the grid of #attn.neighborhood are
/// honoured.
ProblemSize defaultProblemSize(const SpecBinding &binding);

/// Shape of argument `arg` for `size`.
llvm::Expected<std::vector<int64_t>> argShape(const SpecBinding &binding,
                                              unsigned arg,
                                              const ProblemSize &size);

/// Random inputs for every argument in a valid range: N(0,1) for Q/K/V,
/// bias, sink logits and float captures; sorted document ids; random block
/// layouts with the diagonal kept; positive ALiBi slopes; head maps uniform
/// over the key (value) heads; output gates uniform in [0, 1) with about a
/// quarter of them exactly 0 (pruned or unrouted heads); integer captures
/// uniform in the argument's `attn.range = [lo, hi]` (default [0, 1]).
/// `attn.range` on a float argument (Q/K/V or a capture) draws uniform
/// values in [lo, hi] instead of N(0,1): integer-valued when both bounds are
/// integers (e.g. binary spikes with [0, 1]), real otherwise. A bound may
/// also name an extent, "Nk" or "Nk-1" (B, Hq, Hkv, Nq, Nk, D, Dv, plus or
/// minus an integer).
///
/// Any argument may carry `attn.dims` (integers or extent names) to override
/// its shape; captures with dynamic dimensions need it, and a value with its
/// own head count (with v_head_map) uses it. Sizes are checked first
/// (checkProblemSize).
llvm::Expected<std::vector<NDArray>>
makeRandomInputs(const SpecBinding &binding, const ProblemSize &size,
                 uint64_t seed);

/// Checks, before anything is allocated, that the arrays of `size` (every
/// argument, the output and the lse) can be held: no extent negative, no
/// byte count overflowing, and their total within `budgetBytes` (0: this
/// machine's physical memory). The error names the largest array.
llvm::Error checkProblemSize(const SpecBinding &binding,
                             const ProblemSize &size,
                             uint64_t budgetBytes = 0);

/// Problem size read off the shapes of Q, K and V.
llvm::Expected<ProblemSize> problemSizeOf(const SpecBinding &binding,
                                          llvm::ArrayRef<NDArray> args);

/// The spec with function `binding.func` specialized to the shapes of
/// `args` and verified (the verifier reports shape errors at their spec
/// location). Regions' capture arguments follow the new types.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
specializeToShapes(const SpecBinding &binding, llvm::ArrayRef<NDArray> args);

/// An extent of specializeToTypes' shapes that keeps the spec's own.
constexpr int64_t kDynamicExtent = -1;

/// Same, from argument element types and shapes. An extent of -1
/// (kDynamicExtent) keeps the spec's extent as it is declared: dynamic
/// extents stay dynamic (the result then compiles once for every length
/// with the tile program, the default lowering), static ones stay static;
/// the output and lse take the extents of q, k and v that are known.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>> specializeToTypes(
    const SpecBinding &binding,
    llvm::ArrayRef<std::pair<DType, llvm::SmallVector<int64_t, 4>>> argTypes);

/// Result arrays (output, then lse if present) for `size`.
std::vector<NDArray> allocateResults(const SpecBinding &binding,
                                     const ProblemSize &size);

/// Reference inputs for the bound op.
/// Checks the values of operands whose domain is restricted (a decay lies in
/// (0, 1], quantization scales are finite and positive, i8 Q and K avoid
/// -128) before they reach a compiled kernel, which does not check them.
llvm::Error checkOperandValues(const SpecBinding &binding,
                               llvm::ArrayRef<NDArray> args);

reference::Inputs referenceInputs(const SpecBinding &binding,
                                  llvm::ArrayRef<NDArray> args);

/// The float64 reference of the whole spec function on `args`: the bound
/// op's `reference::evaluate`, or for a multi-branch spec
/// `reference::evaluateFunction` (output, then the lse when the function
/// returns one).
llvm::Expected<reference::Outputs>
referenceOutputs(const SpecBinding &binding, llvm::ArrayRef<NDArray> args);

struct Comparison {
  double maxAbsError = 0, relFrobeniusError = 0, tolerance = 0;
  int64_t nonFinite = 0; // NaN/inf where the reference is finite
  bool passed = false;
};

/// Tolerance on the relative Frobenius error for results of `dtype`:
/// 1e-5 for f32, 1e-2 for f16/bf16.
double toleranceFor(DType dtype);

/// Compares `actual` with `expected` (same shape). Where `expected` is not
/// finite, `actual` must be the same: an infinity of the same sign (the
/// -inf lse of fully masked rows), or a NaN (any NaN).
Comparison compareArrays(const NDArray &actual, const NDArray &expected,
                         double tolerance);

} // namespace attn

#endif // ATTN_RUNNER_RUNNER_H
