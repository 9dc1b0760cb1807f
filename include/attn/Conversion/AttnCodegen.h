//===- AttnCodegen.h - scalar code for masks, score mods, regions -*- C++ -*-===//
//
// Emits the per-(query, key) scalar code of an attn.attention: every mask
// attribute as index arithmetic, score modifications, and the inlined
// bodies of the mask_fn / score_mod regions. Shared by the untiled lowering
// and by the tiled lowering's partial tiles.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CONVERSION_ATTNCODEGEN_H
#define ATTN_CONVERSION_ATTNCODEGEN_H

#include "attn/Dialect/Attn/AttnDialect.h"

#include "mlir/IR/Builders.h"

namespace attn::codegen {

/// Values available while emitting the code of one (i, j) pair.
struct PairContext {
  /// The op carrying the mask, score modifications and their operands.
  mutable ScoreSpecOpInterface op;
  mlir::Value b, h, i, j;
  mlir::Value p;        // aligned query position i + Nk - Nq
  mlir::Value nq, nk;   // sequence lengths
  mlir::Value numHeads; // Hq
};

class ScalarEmitter {
public:
  ScalarEmitter(mlir::OpBuilder &builder, mlir::Location loc)
      : b(builder), loc(loc) {}

  mlir::Value idx(int64_t v);
  mlir::Value f32(double v);
  mlir::Value boolean(bool v);
  mlir::Value cmp(mlir::arith::CmpIPredicate pred, mlir::Value x, mlir::Value y);
  mlir::Value andi(mlir::Value x, mlir::Value y);
  mlir::Value ori(mlir::Value x, mlir::Value y);
  mlir::Value addi(mlir::Value x, mlir::Value y);
  mlir::Value subi(mlir::Value x, mlir::Value y);
  mlir::Value muli(mlir::Value x, mlir::Value y);
  mlir::Value floordiv(mlir::Value x, mlir::Value y);
  mlir::Value rem(mlir::Value x, mlir::Value y);
  mlir::Value maxsi(mlir::Value x, mlir::Value y);
  mlir::Value minsi(mlir::Value x, mlir::Value y);
  mlir::Value select(mlir::Value c, mlir::Value x, mlir::Value y);
  /// Reads `tensor[indices]` where extent-1 dimensions broadcast.
  mlir::Value extractBroadcast(mlir::Value tensor, llvm::ArrayRef<mlir::Value> indices);
  /// Converts a float or integer scalar to f32.
  mlir::Value toF32(mlir::Value v);
  /// `prefix[x]` of a 1-D f64 prefix of log decays (attn_tile.decay_prefix):
  /// 0 for x < 0 (the empty product), the last entry past the end: every
  /// read stays inside the prefix, also for padding rows and columns whose
  /// value a select drops afterwards.
  /// With `channel`, the prefix is 2-D (a gate per key channel) and the
  /// entry is `prefix[x, channel]`, with the same rules along x.
  mlir::Value decayPrefixAt(mlir::Value prefix, mlir::Value x,
                            mlir::Value channel = {});
  /// exp(prefix[to] - prefix[from]) in f32 (1 without a prefix): the decay
  /// between two positions, differenced in f64 and truncated once (of one
  /// channel with a 2-D prefix).
  mlir::Value decayBetween(mlir::Value prefix, mlir::Value from,
                           mlir::Value to, mlir::Value channel = {});
  /// The head of K (or V) read by query head `h` of batch `batch`:
  /// `map[batch, h]` (or `map[h]`) clamped into [0, heads) when a head map
  /// is given, else `h / (hq / heads)`.
  mlir::Value headIndex(mlir::Value map, mlir::Value heads, mlir::Value hq,
                        mlir::Value batch, mlir::Value h);

  /// The i1 predicate of `mask` at the pair.
  mlir::Value mask(MaskAttrInterface mask, const PairContext &c);
  /// The full predicate of the op: mask attribute and mask_fn region.
  mlir::Value keep(const PairContext &c);
  /// ALiBi slope of head c.h.
  mlir::Value alibiSlope(const PairContext &c);
  /// Applies the bias operand, the score_mods attributes and the score_mod
  /// region, in that order, to the scaled score `s`.
  mlir::Value modifyScore(mlir::Value s, const PairContext &c);
  /// The weight of the final score `s` under the op's non-softmax
  /// normalization (sigmoid with its bias, softplus, relu, identity),
  /// before any l1 re-normalization. `s` is f32 or a vector of f32.
  mlir::Value pointwiseWeight(AttentionOp op, mlir::Value s);
  mlir::Value pointwiseWeight(NormalizationAttr norm, mlir::Value s);
  /// An f32 constant shaped like `shaped` (f32 or a vector of f32).
  mlir::Value constantLike(mlir::Value shaped, double v);
  /// 1 / (1 + exp(-x)), 0 (not NaN) where exp(-x) overflows.
  mlir::Value sigmoid(mlir::Value x);
  /// phi(x) of a linear-attention feature map; `x` is f32 or a vector of f32.
  mlir::Value featureMap(FeatureMapKind kind, mlir::Value x);

  mlir::OpBuilder &b;
  mlir::Location loc;

private:
  mlir::Value neighborhood(NeighborhoodMaskAttr attr, const PairContext &c);
};

/// A mask leaf a caller evaluates itself on lanes (null: not handled).
using LaneLeafFn = llvm::function_ref<mlir::Value(MaskAttrInterface)>;

/// Whether laneMask evaluates `mask`: every leaf is an index-arithmetic
/// mask (full, causal, window, sinks, dilated, chunked, prefix_lm) under
/// and/or/not, or a leaf `extraLeaf` accepts.
bool isLaneMask(MaskAttrInterface mask,
                llvm::function_ref<bool(MaskAttrInterface)> extraLeaf =
                    nullptr);

/// The vector<W x i1> predicate of `mask` on lanes of pairs whose aligned
/// query positions are `p` and key indices `j` (vector<W x i64> each; one
/// of them is usually a broadcast): the same predicate whichever of the two
/// varies along the lanes. Leaves go to `leaf` first. Null when `mask` is
/// not a lane mask.
mlir::Value laneMask(mlir::OpBuilder &b, mlir::Location loc,
                     MaskAttrInterface mask, mlir::Value p, mlir::Value j,
                     LaneLeafFn leaf = nullptr);

/// A read-only memref of a statically shaped tensor operand.
mlir::Value readBuffer(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::Value tensor);

/// Replaces `op`'s results with tensors of the buffers a lowering wrote
/// (`lseBuffer` null when the op has no logsumexp) and erases `op`.
void replaceWithBuffers(mlir::OpBuilder &b, mlir::Location loc, AttentionOp op,
                        mlir::Value outBuffer, mlir::Value lseBuffer);

/// Clones a region body with its leading arguments bound to `leading` and
/// its capture arguments to `captures`; attn.query_length and
/// attn.key_length become `nq` and `nk`, attn.aligned_query `i + nk - nq`.
/// Returns the yielded value.
mlir::Value inlineRegion(mlir::OpBuilder &b, mlir::Region &region,
                         mlir::ValueRange leading, mlir::ValueRange captures,
                         mlir::Value nq, mlir::Value nk);

/// Whether inlineRegionOnLanes can clone `region` with the leading
/// arguments flagged in `varying` bound to vectors: every op that depends
/// on a varying value is an elementwise arith or math op (integer
/// divisions guarded per lane as inlineRegion guards them; no capture reads
/// at a varying index); the others (uniform: the same for every lane) may
/// be anything inlineRegion takes.
bool isLaneRegion(mlir::Region &region, llvm::ArrayRef<bool> varying);

/// inlineRegion for `width` lanes at once: leading arguments of vector type
/// vary across lanes, the others are uniform scalars. Ops that depend on a
/// varying value are built on vectors (uniform operands broadcast), the
/// others as inlineRegion builds them, once. The region must pass
/// isLaneRegion. Returns the yielded value, a vector or a uniform scalar.
mlir::Value inlineRegionOnLanes(mlir::OpBuilder &b, mlir::Region &region,
                                mlir::ValueRange leading,
                                mlir::ValueRange captures, mlir::Value nq,
                                mlir::Value nk, int64_t width);

} // namespace attn::codegen

#endif // ATTN_CONVERSION_ATTNCODEGEN_H
