//===- AttnOps.td - attn dialect operations ----------------*- tablegen -*-===//
#ifndef ATTN_OPS_TD
#define ATTN_OPS_TD

include "attn/Dialect/Attn/AttnBase.td"
include "attn/Dialect/Attn/AttnAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/IR/RegionKindInterface.td"

def Attn_FloatTensor4D : 4DTensorOf<[F32, F16, BF16]>;
def Attn_ScoreModArray : TypedArrayAttrBase<Attn_ScoreModAttrInterface,
                                           "array of score modifications">;

def Attn_AttentionOp : Attn_Op<"attention", [
    Pure, IsolatedFromAbove, AttrSizedOperandSegments]> {
  let summary = "Scaled dot-product attention with declarative variations";
  let description = [{
    Computes, for every batch `b`, query head `h` and query `i`,
    `out[b,h,i] = sum_j w_ij * V[b, h/g, j]` with `g = Hq / Hkv` and weights
    `w_ij` obtained from the scores
    `s_ij = score_mod(mods(scale * Q[b,h,i] . K[b,h/g,j] + bias[b,h,i,j]))`
    by the `normalization` over the keys `j` the mask keeps.

    Operands (all but Q, K, V optional):
    * `bias(%b : tensor<B|1 x Hq|1 x Nq|1 x Nk|1 x f>)`: additive score bias,
      broadcast over dimensions of extent 1.
    * `segment_ids(%qs, %ks : tensor<BxNq x i>, tensor<BxNk x i>)`: for
      `#attn.document`.
    * `block_layout(%l : tensor<B|1 x Hq|1 x NQB x NKB x i>)`: for
      `#attn.block_sparse`.
    * `alibi_slopes(%m : tensor<Hq x f>)`: for `#attn.alibi`.
    * `captures(%t... : tensor<...>)`: tensors the regions read with
      `tensor.extract`; they are appended to the regions' block arguments.

    Regions (both optional, both bodies of `arith`/`math` ops, `tensor.extract`
    on captures, ended by `attn.yield`):
    * `mask_fn`: `(b, h, i, j : index, captures...) -> i1`, and-ed with `mask`.
    * `score_mod`: `(s : f32, b, h, i, j : index, captures...) -> f32`,
      applied after the `score_mods` attributes.

    The optional second result is the logsumexp `[B, Hq, Nq] x f32` of the
    final scores over the kept keys (`-inf` for a fully masked row); it is
    defined for softmax only.

    Shapes may be dynamic: a spec is compiled for the shapes of its inputs.

    ```mlir
    %o = attn.attention %q, %k, %v
           mask(#attn.and<[#attn.causal, #attn.window<left = 4095, right = 0>]>)
           score_mods([#attn.softcap<50.0>])
         : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>
           -> tensor<?x?x?x?xbf16>
    ```
  }];

  let arguments = (ins Attn_FloatTensor4D:$query,
                       Attn_FloatTensor4D:$key,
                       Attn_FloatTensor4D:$value,
                       Optional<AnyRankedTensor>:$bias,
                       Optional<AnyRankedTensor>:$q_segment_ids,
                       Optional<AnyRankedTensor>:$kv_segment_ids,
                       Optional<AnyRankedTensor>:$block_layout,
                       Optional<AnyRankedTensor>:$alibi_slopes,
                       Variadic<AnyRankedTensor>:$captures,
                       OptionalAttr<Attn_MaskAttrInterface>:$mask,
                       OptionalAttr<Attn_ScoreModArray>:$score_mods,
                       OptionalAttr<Attn_NormalizationAttr>:$normalization,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs Attn_FloatTensor4D:$output,
                      Optional<RankedTensorOf<[F32]>>:$lse);
  let regions = (region AnyRegion:$mask_fn, AnyRegion:$score_mod);

  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`segment_ids` `(` $q_segment_ids^ `,` $kv_segment_ids `:`
        type($q_segment_ids) `,` type($kv_segment_ids) `)`)?
    (`block_layout` `(` $block_layout^ `:` type($block_layout) `)`)?
    (`alibi_slopes` `(` $alibi_slopes^ `:` type($alibi_slopes) `)`)?
    (`captures` `(` $captures^ `:` type($captures) `)`)?
    (`mask` `(` $mask^ `)`)?
    (`score_mods` `(` $score_mods^ `)`)?
    (`normalization` `(` $normalization^ `)`)?
    (`scale` `(` $scale^ `)`)?
    (`mask_fn` $mask_fn^)?
    (`score_mod` $score_mod^)?
    attr-dict `:` type($query) `,` type($key) `,` type($value)
    `->` type($output) (`,` type($lse)^)?
  }];

  let hasVerifier = 1;
  let hasRegionVerifier = 1;

  let extraClassDeclaration = [{
    /// The normalization kind (softmax when the attribute is absent).
    NormalizationKind getNormalizationKind();
    /// Whether an explicit scale is given; otherwise 1/sqrt(D).
    bool hasExplicitScale() { return getScaleAttr() != nullptr; }
    /// Number of captures appended to each region's block arguments.
    unsigned getNumCaptures() { return getCaptures().size(); }
  }];
}

def Attn_YieldOp : Attn_Op<"yield", [Pure, Terminator, HasParent<"AttentionOp">]> {
  let summary = "Yields the value of an `attn.attention` region";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "$values attr-dict `:` type($values)";
}

#endif // ATTN_OPS_TD
