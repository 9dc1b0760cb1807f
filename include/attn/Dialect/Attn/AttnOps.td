//===- AttnOps.td - attn dialect operations ----------------*- tablegen -*-===//
#ifndef ATTN_OPS_TD
#define ATTN_OPS_TD

include "attn/Dialect/Attn/AttnBase.td"
include "attn/Dialect/Attn/AttnAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/IR/RegionKindInterface.td"

def Attn_FloatTensor4D : 4DTensorOf<[F32, F16, BF16]>;
// Q and K may be pre-quantized (i8 or i4, with a `quantization` declaration).
def Attn_QKTensor4D : 4DTensorOf<[F32, F16, BF16, I8, I<4>, F8E4M3FN, F8E5M2]>;
// V may be pre-quantized (i8 or FP8, with a `value_quantization` declaration).
def Attn_ValueTensor4D : 4DTensorOf<[F32, F16, BF16, I8, F8E4M3FN, F8E5M2]>;
def Attn_ScoreModArray : TypedArrayAttrBase<Attn_ScoreModAttrInterface,
                                           "array of score modifications">;

def Attn_AttentionOp : Attn_Op<"attention", [
    Pure, IsolatedFromAbove, AttrSizedOperandSegments,
    Attn_ScoreSpecOpInterface, Attn_SpecRegionHolder,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
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
    * `k_head_map(%m : tensor<[B|1 x] Hq x i>)` and
      `v_head_map(%m : tensor<[B|1 x] Hq x i>)`: data-dependent head
      structure. Query head `h` of batch `b` reads key head `k_head_map[b, h]`
      (in `[0, Hk)`) instead of `h / (Hq / Hk)`, and value head
      `v_head_map[b, h]` (in `[0, Hv)`) instead of `h / (Hq / Hv)`. Each map
      is independent (pass the same tensor twice for a shared K/V map); a
      rank-1 map `[Hq]` (or leading extent 1) is shared by the batch. Without
      `k_head_map`, `Hq` must be a multiple of `Hk`; without `v_head_map` the
      value must have the key's head count. With `v_head_map`, V may have any
      number of heads `Hv` (separate key and value groupings, DHA/Sigma).
      Entries outside the range are an error: the reference reports them,
      compiled code clamps them into range (it never reads out of bounds).
    * `sink_logits(%s : tensor<Hq x f>)`: a per-head logit of a null key
      ("softmax with a null logit", attention sinks as learned logits): for
      softmax, `w_ij = exp(s_ij) / (exp(sink_h) + sum_j' exp(s_ij'))` and the
      null key contributes no value, so a row's weights sum to less than 1
      (a fully masked row gives 0). The logsumexp includes the sink term
      (`log(exp(sink_h) + sum_j exp(s_ij))`, `sink_h` for a fully masked
      row). Softmax only.
    * `output_gate(%g : tensor<B|1 x Hq|1 x Nq|1 x f>)`: a per-(b, h, i)
      factor on the output row, `out[b,h,i,:] = g[b,h,i] * sum_j w_ij v_j`
      (head routing/pruning: MoH, MoA, SHRP; extent-1 dimensions broadcast).
      The logsumexp is not affected. A rank-4 gate
      `tensor<B|1 x Hq|1 x Nq|1 x Dv|1 x f>` is element-wise,
      `out[b,h,i,c] = g[b,h,i,c] * o[b,h,i,c]` (TransNormerLLM's output
      gate; lowered through the tile program only). With an `epilogue`,
      `o` is the normalized row: `out = g * epilogue(sum_j w_ij v_j)`.
    * `decay(%a : tensor<B|1 x Hq|1 x Nk|1 x f>)`: a decay per key position,
      `a[b, h, r]` in `(0, 1]` (linear attention and state-space duality:
      RetNet/Lightning with a constant per head, Mamba-2 SSD with
      `a_r = exp(dt_r * A_h)`); extent-1 dimensions broadcast (`[1, Hq, 1]`
      is a constant per head). The weight of a kept key `j` is multiplied by
      `prod_{r = j+1 .. p} a[b, h, r]` with `p = i + Nk - Nq` the aligned
      query position, before the `l1` division. Needs the `identity`
      normalization (optionally `l1`) and a causal mask (`#attn.causal`,
      alone or inside `#attn.and`): the product is over the keys after `j`
      up to the query. A decay outside `(0, 1]` is an error that the
      reference and the runner report. Lowered through the tile program only.
    * `decay(%a : tensor<B|1 x Hq|1 x Nk|1 x D x f>)`: a gate per key
      channel (data-dependent diagonal decay: GLA, Gated Slot Attention's
      passes), `a[b, h, r, c]` in `(0, 1]`. The state recurrence is
      `S_t = diag(a_t) S_{t-1} + phi(k_t) v_t^T`, i.e. the score of a kept
      key `j` for the query at aligned position `p` is
      `scale * sum_c phi(q_i)_c phi(k_j)_c prod_{r = j+1 .. p} a[b, h, r, c]`.
      The gate acts inside the score, so it needs a feature map that keeps
      the head dimension and takes no bias, `score_mods`, `score_mod` or
      `weight_mod`; otherwise as the decay per key above (identity
      normalization, optionally `l1`, a causal mask).
    * `q_scale(%s : tensor<B|1 x Hq|1 x T x f>)`,
      `k_scale(%s : tensor<B|1 x Hk|1 x T x f>)`: dequantization scales of
      an `i8`, `i4`, `f8E4M3FN` or `f8E5M2` query or key (or optional
      factors of `scheme = sign`),
      with `T` 1 or `ceil(N / block)`; see `#attn.quantized_qk`.
    * `v_scale(%s : tensor<B|1 x Hv|1 x T|Dv x f>)`: dequantization
      scales of an `i8`, `f8E4M3FN` or `f8E5M2` value (a value cache),
      per block of tokens (`T` 1 or `ceil(Nk / block)`) or per channel
      (`Dv`); see `#attn.quantized_v`.
    * `k_salient(%m : tensor<B|1 x Hk|1 x T x i1|i8>)`: with
      `#attn.quantized_qk<scheme = int4, salient_bits = b>`, the key blocks
      (`T` 1 or `ceil(Nk / k_block)`) quantized at `b` bits instead of 4
      (ZipCache's salient tokens; 0 or 1 per block, per head with `T` 1).
    * `rotation(%r : tensor<Hk|1 x D x D x f>)`: with quantized Q K^T
      (float Q and K), every query and key row is multiplied by the
      matrix of its key head before anything else of the quantization
      (smoothing, quantizing, signs): `q'[y] = f32(sum_x q[x] * R[hk, x,
      y])` and `k'` alike, each product exact and the sum in f64 in
      channel order, rounded once to f32 (OSCAR's and QuaRot's offline
      rotations). For an orthogonal `R`, `q' . k' = q . k`: the rotation
      changes only what the quantization loses (it spreads outlier
      channels). Any `R` is computed as declared (the scores are those of
      `q R` and `k R`; orthogonality is not checked). `hk` is the key head
      of query head `h` by the GQA of the shapes (`h / (Hq / Hk)`); with a
      `k_head_map` the rotation must be shared (`[1, D, D]`). Not combined
      with a `selection`, nor with pre-quantized operands, except a
      pre-quantized key under `keys_only`: the cache then holds keys
      rotated offline and only the (float) query is rotated.
    * `low_rank(%u, %w : tensor<Hq|1 x D x R x f>, tensor<Hk|1 x D x R x f>)`:
      with quantized Q K^T on float Q and K (BiPFT's low-rank estimate of
      the binarization residual), a factored float term added to every
      quantized score before the scale:
      `s_ij = scale * (sq_i * sk_j * (qq_i . kq_j) + qu_i . kw_j)` with
      `qu_i[y] = f32(sum_x q[b,h,i,x] * U[h, x, y])` and
      `kw_j[y] = f32(sum_x k[b,hk,j,x] * W[hk, x, y])` (each product exact,
      the sum in f64 in channel order, rounded once to f32: the rotation's
      arithmetic) on the operands as given (not rotated, smoothed or
      quantized); the dot product of the two R-wide rows is f32 in compiled
      code, f64 in the reference. O(N D R) once per call and an R-wide
      score tile per key tile, instead of an `[B, H, Nq, Nk]` bias. Not
      combined with `smooth_q`, `keys_only`, a `rotation` or a `selection`.
    * `feature_map(#attn.feature_map<hedgehog>, %w, %b : tensor<Hq|1 x F x D
      x f>, tensor<Hq|1 x F x f>)`: the weight and bias of a learned
      feature map, given after the attribute in the same group (see
      `#attn.feature_map`); only `hedgehog` takes them, and it needs them.
    * `selection(#attn.topk_blocks<..., gate = learned>, %wq, %wk :
      tensor<Hq|1 x D x Dg x f>, tensor<Hk|1 x P*D x Dg x f>)`: the
      projections of a learned block gate (SeerAttention's AttnGate), given
      after the attribute in the same group: `Wq` projects the pooled
      queries, `Wk` the pooled keys (`P` concatenated pools of width `D`)
      to the gate width `Dg` (see `#attn.topk_blocks`); only a learned gate
      takes them, and it needs them.
    * `block_scores(%s : tensor<B|1 x Hk|1 x NKB x f>)`: the caller's
      score of every key block (`NKB = ceil(Nk / block)`), the gate of a
      `selection(#attn.topk_blocks<..., gate = given>)` (DMA's
      value-derived key scores with `block = 1`); per query block
      (`q_block > 0`) `tensor<B|1 x Hk|1 x NQB x NKB x f>` with
      `NQB = ceil(Nq / q_block)`, one score row per query block (SVG-EAR's
      route); only a given gate takes it, and it needs it.
    * `captures(%t... : tensor<...>)`: tensors the regions read with
      `tensor.extract`; they are appended to the regions' block arguments.

    Selection (optional): `selection(#attn.topk_blocks<...>)` keeps, for
    each query token, only the keys of the key blocks it selects by a gate
    on pooled keys (MoBA); it is and-ed with `mask` and `mask_fn` (see
    `#attn.topk_blocks` for the pooling, the gate, the eligible blocks and
    the tie-break). Not combined with `feature_map` or `decay`. Lowered
    through the tile program only.

    Epilogue (optional): `epilogue(#attn.epilogue<rms_norm, eps = e>)`
    normalizes each output row over `Dv` before the `output_gate`:
    `out[b,h,i,:] = g * o / sqrt(mean_c o_c^2 + e)` with
    `o = sum_j w_ij v_j` (normalized, corrected and sink-folded as the
    normalization says). A row epilogue composes with every normalization
    (softmax included) and mask. Not combined with `pv = int8`. Lowered
    through the tile program only.

    Quantization (optional): `quantization(#attn.quantized_qk<...>)`
    computes `Q . K` as an exact integer dot product of INT8, INT4 or
    1-bit (sign) rows times their scales (SageAttention, BinaryAttention),
    or of FP8 rows (`fp8_e4m3`, `fp8_e5m2`); Q and K may then be `i8`
    (`int8`), `i4` (`int4`, passed packed two per byte), `f8E4M3FN`
    (`fp8_e4m3`) or `f8E5M2` (`fp8_e5m2`) tensors, pre-quantized with
    `q_scale`/`k_scale`, or float ones that the compiler quantizes. The output has V's element type,
    unless V is pre-quantized.

    Value quantization (optional): `value_quantization(#attn.quantized_v<...>)`
    declares an `i8`, `f8E4M3FN` or `f8E5M2` V with its `v_scale` operand
    (per token, block of tokens or channel): the weights multiply the
    dequantized values `v * sv`. The output's float type (f32, f16 or bf16)
    is then the result type, declared apart from V's; a float query or key
    has it. Lowered through the tile program only.
    Everything after the dot product (bias, score modifications, masks,
    normalization) is unchanged. Not combined with `feature_map` or
    `decay`; with a `selection` the blocks are ranked on the float rows
    (SpargeAttn). Lowered through the tile program only.

    Regions (all optional, bodies of scalar `arith`/`math` ops, constant
    tensor tables, `tensor.extract` and `tensor.dim` on captures and tables,
    ended by `attn.yield`).
    A capture read with an index outside the capture, and an integer
    division or remainder by 0 (or of INT_MIN by -1), are errors that the
    reference reports; compiled code cannot fault on them: it clamps the
    index into the capture and divides by 1 instead.

    * `mask_fn`: `(b, h, i, j : index, captures...) -> i1`, and-ed with `mask`.
    * `score_mod`: `(s : f32, b, h, i, j : index, captures...) -> f32`,
      applied after the `score_mods` attributes.
    * `weight_mod`: `(w : f32, r : f32, b, h, i, j : index, captures...) ->
      f32`, a post-normalization weight modification: for every kept key,
      `w` is the final normalized weight (after softmax including the sink,
      or after the l1 division) and `r = scale * Q[b,h,i] . K[b,hk,j]` is the
      raw score (before the bias, `score_mods` and `score_mod`); the yielded
      `w'` replaces `w` in `out = sum_j w'_ij v_j` (no re-normalization, so
      weights may be negative or not sum to 1: signed or affine weights).
      Masked keys keep weight 0 and are not passed to the region. Since `w`
      needs the final normalizer, softmax and l1 normalizations with a
      `weight_mod` are lowered in two passes over the keys (pass 1: max and
      sum; pass 2: weights, `weight_mod`, accumulation).

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

  let arguments = (ins Attn_QKTensor4D:$query,
                       Attn_QKTensor4D:$key,
                       Attn_ValueTensor4D:$value,
                       Optional<AnyRankedTensor>:$bias,
                       Optional<AnyRankedTensor>:$q_segment_ids,
                       Optional<AnyRankedTensor>:$kv_segment_ids,
                       Optional<AnyRankedTensor>:$block_layout,
                       Optional<AnyRankedTensor>:$alibi_slopes,
                       Optional<AnyRankedTensor>:$k_head_map,
                       Optional<AnyRankedTensor>:$v_head_map,
                       Optional<AnyRankedTensor>:$sink_logits,
                       Optional<AnyRankedTensor>:$output_gate,
                       Optional<AnyRankedTensor>:$decay,
                       Optional<AnyRankedTensor>:$q_scale,
                       Optional<AnyRankedTensor>:$k_scale,
                       Optional<AnyRankedTensor>:$v_scale,
                       Optional<AnyRankedTensor>:$k_salient,
                       Optional<AnyRankedTensor>:$rotation,
                       Optional<AnyRankedTensor>:$low_rank_u,
                       Optional<AnyRankedTensor>:$low_rank_w,
                       Optional<AnyRankedTensor>:$feature_weight,
                       Optional<AnyRankedTensor>:$feature_bias,
                       Optional<AnyRankedTensor>:$gate_q_weight,
                       Optional<AnyRankedTensor>:$gate_k_weight,
                       Optional<AnyRankedTensor>:$block_scores,
                       Variadic<AnyRankedTensor>:$captures,
                       OptionalAttr<Attn_MaskAttrInterface>:$mask,
                       OptionalAttr<Attn_ScoreModArray>:$score_mods,
                       OptionalAttr<Attn_NormalizationAttr>:$normalization,
                       OptionalAttr<F64Attr>:$scale,
                       OptionalAttr<Attn_FeatureMapAttr>:$feature_map,
                       OptionalAttr<Attn_TopKBlocksAttr>:$selection,
                       OptionalAttr<Attn_QuantizedQKAttr>:$quantization,
                       OptionalAttr<Attn_QuantizedVAttr>:$value_quantization,
                       OptionalAttr<Attn_EpilogueAttr>:$epilogue);
  let results = (outs Attn_FloatTensor4D:$output,
                      Optional<RankedTensorOf<[F32]>>:$lse);
  let regions = (region AnyRegion:$mask_fn, AnyRegion:$score_mod,
                        AnyRegion:$weight_mod);

  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`segment_ids` `(` $q_segment_ids^ `,` $kv_segment_ids `:`
        type($q_segment_ids) `,` type($kv_segment_ids) `)`)?
    (`block_layout` `(` $block_layout^ `:` type($block_layout) `)`)?
    (`alibi_slopes` `(` $alibi_slopes^ `:` type($alibi_slopes) `)`)?
    (`k_head_map` `(` $k_head_map^ `:` type($k_head_map) `)`)?
    (`v_head_map` `(` $v_head_map^ `:` type($v_head_map) `)`)?
    (`sink_logits` `(` $sink_logits^ `:` type($sink_logits) `)`)?
    (`output_gate` `(` $output_gate^ `:` type($output_gate) `)`)?
    (`decay` `(` $decay^ `:` type($decay) `)`)?
    (`q_scale` `(` $q_scale^ `:` type($q_scale) `)`)?
    (`k_scale` `(` $k_scale^ `:` type($k_scale) `)`)?
    (`v_scale` `(` $v_scale^ `:` type($v_scale) `)`)?
    (`k_salient` `(` $k_salient^ `:` type($k_salient) `)`)?
    (`rotation` `(` $rotation^ `:` type($rotation) `)`)?
    (`low_rank` `(` $low_rank_u^ `,` $low_rank_w `:` type($low_rank_u) `,`
        type($low_rank_w) `)`)?
    (`captures` `(` $captures^ `:` type($captures) `)`)?
    (`feature_map` `(` $feature_map^
        (`,` $feature_weight^ `,` $feature_bias `:` type($feature_weight) `,`
            type($feature_bias))? `)`)?
    (`mask` `(` $mask^ `)`)?
    (`selection` `(` $selection^
        (`,` $gate_q_weight^ `,` $gate_k_weight `:` type($gate_q_weight) `,`
            type($gate_k_weight))? `)`)?
    (`block_scores` `(` $block_scores^ `:` type($block_scores) `)`)?
    (`quantization` `(` $quantization^ `)`)?
    (`value_quantization` `(` $value_quantization^ `)`)?
    (`score_mods` `(` $score_mods^ `)`)?
    (`normalization` `(` $normalization^ `)`)?
    (`scale` `(` $scale^ `)`)?
    (`epilogue` `(` $epilogue^ `)`)?
    (`mask_fn` $mask_fn^)?
    (`score_mod` $score_mod^)?
    (`weight_mod` $weight_mod^)?
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
    /// Whether the weights need the final normalizer before the accumulation
    /// (a weight_mod with softmax or l1): the two-pass form.
    bool needsTwoPasses();
    /// Whether the spec declares a kernel (feature map or decay): lowered
    /// through the tile program only.
    bool hasLinearKernel() { return getFeatureMapAttr() || getDecay(); }
    /// Whether the decay is a gate per key channel (rank 4, GLA) rather
    /// than a scalar per key.
    bool hasChannelDecay() {
      return getDecay() &&
             ::llvm::cast<::mlir::RankedTensorType>(getDecay().getType())
                     .getRank() == 4;
    }
    /// Whether Q K^T is quantized (a quantization attribute): lowered
    /// through the tile program only.
    bool hasQuantizedQK() { return getQuantizationAttr() != nullptr; }
    /// Whether the spec selects key blocks per query (a selection
    /// attribute): lowered through the tile program only.
    bool hasSelection() { return getSelectionAttr() != nullptr; }
    /// Whether the output rows take an epilogue or an element-wise (rank-4)
    /// output gate: lowered through the tile program only.
    bool hasRowEpilogue();
    /// Whether the normalization has an affine row correction
    /// (subtractive, mala): lowered through the tile program only.
    bool hasAffineNormalization() {
      NormalizationAttr norm = getNormalizationAttr();
      return norm && norm.hasAffine();
    }
  }];
}

//===----------------------------------------------------------------------===//
// Branches: several attention ops of one spec, combined
//===----------------------------------------------------------------------===//

def Attn_BranchMergeOp : Attn_Op<"merge", [
    Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "Exact combination of softmax branches over disjoint key sets through their logsumexp";
  let description = [{
    Combines the results of `n >= 2` softmax attention branches (each an
    `attn.attention` returning its output and logsumexp) as if their keys
    had been one softmax: with `m = max_k lse_k`,
    `w_k = exp(lse_k - m)`,
    `out = sum_k w_k out_k / sum_k w_k` and `lse = m + log(sum_k w_k)`.
    This is exact when the branches attend to disjoint sets of keys (or of
    pooled keys, whose logits carry their own weight): NSA-style
    compressed, selected and window branches, exact attention on critical
    blocks merged with a pooled (Taylor, centroid) term for the others
    (PISA, SVG-EAR). A branch whose row is fully masked (`lse = -inf`)
    contributes nothing; when every branch is, the row is 0 and its
    logsumexp `-inf`. NaN propagates.

    Outputs must have one shape `[B, Hq, Nq, Dv]` and element type (the
    result's), logsumexps `[B, Hq, Nq] x f32`. The optional second result
    is the merged logsumexp (for merging again, or for the caller).

    ```mlir
    %o, %lse = attn.merge %oa, %ob
        lse(%la, %lb : tensor<?x?x?xf32>, tensor<?x?x?xf32>)
        : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
        -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
    ```
  }];
  let arguments = (ins Variadic<Attn_FloatTensor4D>:$outputs,
                       Variadic<RankedTensorOf<[F32]>>:$lses);
  let results = (outs Attn_FloatTensor4D:$output,
                      Optional<RankedTensorOf<[F32]>>:$lse);
  let assemblyFormat = [{
    $outputs `lse` `(` $lses `:` type($lses) `)` attr-dict `:` type($outputs)
    `->` type($output) (`,` type($lse)^)?
  }];
  let hasVerifier = 1;
}

def Attn_GatedSumOp : Attn_Op<"gated_sum", [
    Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "Gated combination sum_k g_k * out_k of attention branches";
  let description = [{
    `out[b,h,i,c] = sum_k g_k[b,h,i] * out_k[b,h,i,c]` for row gates
    `g_k : tensor<B|1 x Hq|1 x Nq|1 x f>`, or
    `sum_k g_k[b,h,i,c] * out_k[b,h,i,c]` for element-wise gates
    `tensor<B|1 x Hq|1 x Nq|1 x Dv|1 x f>` (extent-1 dimensions broadcast,
    also when they are dynamic and 1 at run time): NSA's gated
    compressed, selected and sliding-window branches, a branch added with
    weight 1 (a gate of ones), a learned per-channel mix. The sum is
    computed in f32 and rounded once to the result's element type. Outputs
    must have one shape and element type (the result's); each branch has
    one gate, in order.

    ```mlir
    %o = attn.gated_sum %o1, %o2, %o3
        gates(%g1, %g2, %g3 : tensor<?x?x?xf32>, tensor<?x?x?xf32>,
                              tensor<?x?x?xf32>)
        : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
        -> tensor<?x?x?x?xf32>
    ```
  }];
  let arguments = (ins Variadic<Attn_FloatTensor4D>:$outputs,
                       Variadic<AnyRankedTensor>:$gates);
  let results = (outs Attn_FloatTensor4D:$output);
  let assemblyFormat = [{
    $outputs `gates` `(` $gates `:` type($gates) `)` attr-dict `:`
    type($outputs) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Attn_PoolBlocksOp : Attn_Op<"pool_blocks", [
    Pure,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "Block means of a [B, H, N, D] tensor (pooled keys or values of a branch)";
  let description = [{
    `pooled[b, h, c, x] = mean(input[b, h, j, x] for j in [c * block,
    min((c + 1) * block, N)))`: the mean over the block's actual tokens
    (the last block may be partial), `ceil(N / block)` blocks, summed in
    f32 and rounded once to the result's element type (f32, or the 16-bit
    type of a 16-bit spec, whose branches need one element type). With
    the optional second result, `log_counts[0, 0, 0, c] = log(n_c)`, the
    log of the number of tokens of block `c`, shaped as an
    `attn.attention` bias (`[1, 1, 1, ceil(N / block)]`).

    One pooled key `kbar_c` with value `vbar_c` (the means) and logit
    `scale * q . kbar_c + log(n_c)` stands for the `n_c` keys of block `c`
    to 0th order: `exp(logit) vbar_c = exp(scale * q . kbar_c) * sum_j v_j`
    with normalizer weight `n_c exp(scale * q . kbar_c)` (PISA's Taylor
    term, SVG-EAR's centroid compensation). An `attn.attention` over the
    pooled keys with `selection(#attn.topk_blocks<block = 1, ...,
    complement = true>)` keeps the blocks another branch does not select
    (the ranking over pooled keys of one block each is the ranking over
    the original blocks, for `causal = false`).

    ```mlir
    %kbar, %logn = attn.pool_blocks %k block(64)
        : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>, tensor<1x1x1x?xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor4D:$input, I64Attr:$block);
  let results = (outs RankedTensorOf<[F32, F16, BF16]>:$pooled,
                      Optional<RankedTensorOf<[F32]>>:$log_counts);
  let assemblyFormat = [{
    $input `block` `(` $block `)` attr-dict `:` type($input) `->`
    type($pooled) (`,` type($log_counts)^)?
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Region context: the sequence lengths and the aligned query position
//===----------------------------------------------------------------------===//

class Attn_RegionContextOp<string mnemonic, list<Trait> traits = []>
    : Attn_Op<mnemonic, !listconcat([Pure, Attn_HasSpecRegionParent], traits)>;

def Attn_QueryLengthOp : Attn_RegionContextOp<"query_length"> {
  let summary = "The query sequence length `Nq`, inside an `attn.attention` region";
  let description = [{
    The length of the query sequence of the enclosing `attn.attention`
    (dimension 2 of Q), so that regions stay shape-generic: a sigmoid bias of
    `-log(Nk)`, a predicate that depends on the lengths.

    ```mlir
    %nq = attn.query_length : index
    ```
  }];
  let results = (outs Index:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

def Attn_KeyLengthOp : Attn_RegionContextOp<"key_length"> {
  let summary = "The key sequence length `Nk`, inside an `attn.attention` region";
  let description = [{
    The length of the key sequence of the enclosing `attn.attention`
    (dimension 2 of K and V).

    ```mlir
    %nk = attn.key_length : index
    ```
  }];
  let results = (outs Index:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

def Attn_AlignedQueryOp : Attn_RegionContextOp<"aligned_query"> {
  let summary = "The bottom-right aligned query position `i + Nk - Nq`";
  let description = [{
    Region arguments are raw indices: query `i` in `[0, Nq)`, key `j` in
    `[0, Nk)`. Attribute masks (`#attn.causal`, `#attn.window`,
    `#attn.prefix_lm`, `#attn.chunked`, `#attn.dilated`, `#attn.alibi`)
    align the last query with the last key instead: they see the query at
    position `p = i + Nk - Nq`. This op computes `p` from a query index, so a
    region can use either convention (see "Index conventions" in the dialect
    reference).

    ```mlir
    // #attn.causal written as a region: keys up to the aligned position.
    %p = attn.aligned_query %i : index
    %keep = arith.cmpi sle, %j, %p : index
    ```
  }];
  let arguments = (ins Index:$query_index);
  let results = (outs Index:$result);
  let assemblyFormat = "$query_index attr-dict `:` type($result)";
}

def Attn_YieldOp : Attn_Op<"yield", [Pure, Terminator, Attn_HasSpecRegionParent]> {
  let summary = "Yields the value of an `attn.attention` region";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "$values attr-dict `:` type($values)";
}

#endif // ATTN_OPS_TD
