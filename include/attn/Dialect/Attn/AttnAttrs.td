//===- AttnAttrs.td - masks, score modifications, normalization -*- tablegen -*-===//
#ifndef ATTN_ATTRS_TD
#define ATTN_ATTRS_TD

include "attn/Dialect/Attn/AttnBase.td"
include "attn/Dialect/Attn/AttnInterfaces.td"

//===----------------------------------------------------------------------===//
// Masks
//===----------------------------------------------------------------------===//

class Attn_MaskAttr<string name, string mnemonic, list<Trait> traits = []>
    : Attn_Attr<name, mnemonic,
                !listconcat([DeclareAttrInterfaceMethods<Attn_MaskAttrInterface>], traits)>;

def Attn_FullMaskAttr : Attn_MaskAttr<"FullMask", "full"> {
  let summary = "Every query attends to every key";
  let description = [{ `keep(b, h, i, j) = true`. Useful inside `#attn.per_head`. }];
}

def Attn_CausalMaskAttr : Attn_MaskAttr<"CausalMask", "causal"> {
  let summary = "Causal mask, bottom-right aligned";
  let description = [{
    `keep = j <= p` with the aligned query position `p = i + Nk - Nq`.
    ```mlir
    mask(#attn.causal)
    ```
  }];
}

def Attn_WindowMaskAttr : Attn_MaskAttr<"WindowMask", "window"> {
  let summary = "Sliding window around the aligned query position";
  let description = [{
    `keep = p - left <= j <= p + right`. A causal sliding window of `W`
    tokens (the query included) is `#attn.window<left = W-1, right = 0>`.
    Both bounds are non-negative.
  }];
  let parameters = (ins "int64_t":$left, "int64_t":$right);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_SinksMaskAttr : Attn_MaskAttr<"SinksMask", "sinks"> {
  let summary = "The first `count` keys (attention sinks)";
  let description = [{
    `keep = j < count`. Combine with a window through `#attn.or` and with
    causality through `#attn.and` (StreamingLLM).
  }];
  let parameters = (ins "int64_t":$count);
  // `#attn.sinks<N>` or `#attn.sinks<count = N>` (printed short).
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Attn_StridedMaskAttr : Attn_MaskAttr<"StridedMask", "strided"> {
  let summary = "Keys in every `stride`-th block, offset per head";
  let description = [{
    With key block `J = floor(j / block)` and the per-head offset
    `o_h = offset + h * head_step`:
    `keep = (J - o_h) mod stride == 0` (mathematical modulo, never negative).
    S2-Attention's shard of head `h`, `(J + h*sigma + 1) mod S == 0`, is
    `#attn.strided<stride = S, block = B, offset = -1, head_step = -sigma>`.
  }];
  let parameters = (ins "int64_t":$stride,
                        DefaultValuedParameter<"int64_t", "1">:$block,
                        DefaultValuedParameter<"int64_t", "0">:$offset,
                        DefaultValuedParameter<"int64_t", "0">:$head_step);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_DilatedMaskAttr : Attn_MaskAttr<"DilatedMask", "dilated"> {
  let summary = "Keys at a distance that is a multiple of `rate`";
  let description = [{
    `keep = (p - j) mod rate == 0`, the dilated pattern of dilated sliding
    windows and LongNet; combine with `#attn.window` or `#attn.chunked` to
    bound it.
  }];
  let parameters = (ins "int64_t":$rate);
  // `#attn.dilated<N>` or `#attn.dilated<rate = N>` (printed short).
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Attn_ChunkedMaskAttr : Attn_MaskAttr<"ChunkedMask", "chunked"> {
  let summary = "Block-diagonal attention within chunks of `size` tokens";
  let description = [{ `keep = floor(p / size) == floor(j / size)`. }];
  let parameters = (ins "int64_t":$size);
  // `#attn.chunked<N>` or `#attn.chunked<size = N>` (printed short).
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Attn_PrefixLMMaskAttr : Attn_MaskAttr<"PrefixLMMask", "prefix_lm"> {
  let summary = "Bidirectional over a prefix of `prefix` keys, causal after";
  let description = [{ `keep = j < prefix or j <= p`. }];
  let parameters = (ins "int64_t":$prefix);
  // `#attn.prefix_lm<N>` or `#attn.prefix_lm<prefix = N>` (printed short).
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Attn_DocumentMaskAttr : Attn_MaskAttr<"DocumentMask", "document"> {
  let summary = "Queries attend only to keys of the same document/segment";
  let description = [{
    `keep = q_segment_ids[b, i] == kv_segment_ids[b, j]`. Requires the op's
    `segment_ids` operands (integer tensors `[B, Nq]` and `[B, Nk]`).
  }];
  let extraClassDeclaration = [{ bool usesSegmentIds() const { return true; } }];
}

def Attn_BlockSparseMaskAttr : Attn_MaskAttr<"BlockSparseMask", "block_sparse"> {
  let summary = "Block-sparse layout given by an operand";
  let description = [{
    `keep = layout[b', h', floor(i / block_q), floor(j / block_kv)] != 0`
    where the op's `block_layout` operand is an integer (or i1) tensor
    `[B or 1, Hq or 1, ceil(Nq / block_q), ceil(Nk / block_kv)]`, broadcast
    over batch and heads when the leading extents are 1. Block indices use
    the raw query index `i`.
  }];
  let parameters = (ins "int64_t":$block_q, "int64_t":$block_kv);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{ bool usesBlockLayout() const { return true; } }];
}

def Attn_NeighborhoodMaskAttr : Attn_MaskAttr<"NeighborhoodMask", "neighborhood"> {
  let summary = "Neighborhood attention over a 1-D, 2-D or 3-D token grid";
  let description = [{
    Tokens are laid out row-major on `grid` (one extent may be `-1`, inferred
    from the sequence length; the grid must cover the sequence exactly).
    Per axis with kernel `k`, dilation `d` and coordinates `x` (query) and
    `y` (key), following NATTEN: both must be in the same dilation group
    (`x mod d == y mod d`); inside the group (`x' = x div d`, group length
    `L`), the window is `[s, s + k)` with
    `s = clamp(x' - k div 2, 0, L - k)` (shifted, not truncated, at borders,
    so every query sees exactly `k` keys per axis when `L >= k`); with
    `causal` for that axis the window is `[x' - k + 1, x']`.
    `dilation` defaults to 1 and `causal` to false on every axis.

    `stride` (`1 <= s <= k`, default 1; Generalized Neighborhood Attention,
    NATTEN's definition) makes the queries of one stride group share the
    window of the group's leader: inside the dilation group, query `x'`
    belongs to group `floor(x' / s)` whose leader is
    `l = min(floor(x' / s) * s + s div 2, L - 1)`, and the window is
    `[clamp(l - k div 2, 0, L - k), +k)`; with `causal` the leader is
    `l = min(floor(x' / s) * s + s - 1, L - 1)` and the window
    `[max(l - k + 1, 0), x']`. `stride = kernel` on a grid divisible by the
    kernel is blocked (window-partition) attention, as in Swin or Twins.
    Requires `Nq == Nk`. Positions use the raw query index.
  }];
  let parameters = (ins "::mlir::DenseI64ArrayAttr":$grid,
                        "::mlir::DenseI64ArrayAttr":$kernel,
                        OptionalParameter<"::mlir::DenseI64ArrayAttr">:$dilation,
                        OptionalParameter<"::mlir::DenseBoolArrayAttr">:$causal,
                        OptionalParameter<"::mlir::DenseI64ArrayAttr">:$stride);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getRank() const { return getGrid().size(); }
    int64_t getDilationAt(unsigned axis) const {
      return getDilation() ? getDilation()[axis] : 1;
    }
    bool getCausalAt(unsigned axis) const {
      return getCausal() ? getCausal()[axis] : false;
    }
    int64_t getStrideAt(unsigned axis) const {
      return getStride() ? getStride()[axis] : 1;
    }
  }];
}

def Attn_AndMaskAttr : Attn_MaskAttr<"AndMask", "and"> {
  let summary = "Conjunction of masks";
  let parameters = (ins ArrayRefParameter<"::attn::MaskAttrInterface">:$masks);
  // `<[mask, ...]>`; a malformed operand is reported once, not once per
  // enclosing level.
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    bool usesSegmentIds() const;
    bool usesBlockLayout() const;
  }];
}

def Attn_OrMaskAttr : Attn_MaskAttr<"OrMask", "or"> {
  let summary = "Disjunction of masks";
  let parameters = (ins ArrayRefParameter<"::attn::MaskAttrInterface">:$masks);
  // `<[mask, ...]>`; a malformed operand is reported once, not once per
  // enclosing level.
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    bool usesSegmentIds() const;
    bool usesBlockLayout() const;
  }];
}

def Attn_NotMaskAttr : Attn_MaskAttr<"NotMask", "not"> {
  let summary = "Complement of a mask";
  let parameters = (ins "::attn::MaskAttrInterface":$mask);
  let hasCustomAssemblyFormat = 1;
  let extraClassDeclaration = [{
    bool usesSegmentIds() const;
    bool usesBlockLayout() const;
  }];
}

def Attn_PerHeadMaskAttr : Attn_MaskAttr<"PerHeadMask", "per_head"> {
  let summary = "A different mask per query head";
  let description = [{
    Query head `h` uses `masks[heads[h]]`; without `heads`, head `h` uses
    `masks[h]`. The number of query heads must equal the length of `heads`
    (or of `masks`). DuoAttention's retrieval and streaming heads:
    ```mlir
    #attn.per_head<masks = [#attn.causal,
                            #attn.and<[#attn.causal, #attn.or<[#attn.sinks<4>,
                                       #attn.window<left = 255, right = 0>]>]>],
                   heads = [0, 1, 1, 0]>
    ```
  }];
  let parameters = (ins "::mlir::ArrayAttr":$masks,
                        OptionalParameter<"::mlir::DenseI64ArrayAttr">:$heads);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    bool usesSegmentIds() const;
    bool usesBlockLayout() const;
    /// Number of query heads this mask is written for.
    int64_t getNumHeads() const {
      return getHeads() ? getHeads().size() : getMasks().size();
    }
    MaskAttrInterface getMaskForHead(int64_t h) const {
      return ::llvm::cast<MaskAttrInterface>(
          getMasks()[getHeads() ? getHeads()[h] : h]);
    }
  }];
}

//===----------------------------------------------------------------------===//
// Score modifications
//===----------------------------------------------------------------------===//

def Attn_SoftcapAttr : Attn_Attr<"Softcap", "softcap",
    [DeclareAttrInterfaceMethods<Attn_ScoreModAttrInterface>]> {
  let summary = "Logit soft-capping `s <- cap * tanh(s / cap)`";
  let parameters = (ins "::llvm::APFloat":$cap);
  let hasCustomAssemblyFormat = 1;
  let extraClassDeclaration = [{
    double getCapValue() const { return getCap().convertToDouble(); }
  }];
  let genVerifyDecl = 1;
}

def Attn_AlibiAttr : Attn_Attr<"Alibi", "alibi",
    [DeclareAttrInterfaceMethods<Attn_ScoreModAttrInterface>]> {
  let summary = "ALiBi linear distance bias `s <- s - m_h * |p - j|`";
  let description = [{
    `m_h` comes from the op's `alibi_slopes` operand (`[Hq]`) when present;
    otherwise it is the paper's geometric sequence for `Hq` heads:
    `m_h = 2^(-8 (h + 1) / n)` for `n = Hq` a power of two, and for other
    head counts the slopes of the closest smaller power of two `n` followed by
    every other slope of `2n` (Press et al., reference implementation).
    Under a causal mask `|p - j| = p - j`, the paper's form.
  }];
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

def Attn_NormalizationKind : I32EnumAttr<"NormalizationKind",
    "how scores become attention weights", [
  I32EnumAttrCase<"Softmax", 0, "softmax">,
  I32EnumAttrCase<"Sigmoid", 1, "sigmoid">,
  I32EnumAttrCase<"Softplus", 2, "softplus">,
  I32EnumAttrCase<"Relu", 3, "relu">,
  I32EnumAttrCase<"Identity", 4, "identity">]> {
  let cppNamespace = "::attn";
  let genSpecializedAttr = 0;
}

def Attn_AffineNormKind : I32EnumAttr<"AffineNormKind",
    "an affine row correction of pointwise weights (subtractive, MALA)", [
  I32EnumAttrCase<"None", 0, "none">,
  I32EnumAttrCase<"Subtractive", 1, "subtractive">,
  I32EnumAttrCase<"Mala", 2, "mala">]> {
  let cppNamespace = "::attn";
  let genSpecializedAttr = 0;
}

def Attn_NormalizationAttr : Attn_Attr<"Normalization", "normalize"> {
  let summary = "Normalization of scores into weights";
  let description = [{
    * `softmax`: `w_ij = exp(s_ij) / sum_j exp(s_ij)` (online, max-subtracted).
    * `sigmoid`: `w_ij = sigmoid(s_ij + bias)` (`bias` defaults to 0).
    * `softplus`: `w_ij = log(1 + exp(s_ij))`.
    * `relu`: `w_ij = max(s_ij, 0)`.
    * `identity` (no normalization): `w_ij = s_ij`.

    With `l1`, the weights of a row are divided by their sum (a row whose
    sum is 0 gives 0). Masked entries have weight 0. `l1` is implied by and
    not allowed with `softmax`; `bias` is only meaningful for `sigmoid`.

    Affine row corrections (instead of `l1`, pointwise kinds only): with
    `w_ij` the pointwise weights of row `i` (after the `decay`),
    `N_i` the number of keys the masks keep for the row (`mask`, `mask_fn`,
    a block layout, a selection; a kept key whose score is `-inf` counts,
    with weight 0), `S_i = sum_j w_ij` and `V_i = sum_j v_j` over those
    keys (a row with `N_i = 0` is 0):

    * `subtractive` (InLine attention): `a_ij = w_ij - S_i / N_i + 1 / N_i`,
      i.e. `out_i = sum_j w_ij v_j + (1 - S_i) / N_i * V_i`. The weights of
      a row sum to 1 and are injective in the scores. Under a causal mask
      `N_i = p + 1` (the keys `0 .. p` of the aligned query position `p`).
    * `mala` (Magnitude-Aware Linear Attention): with `s_ij = w_ij / N_i`
      and `z_i = sum_j s_ij = S_i / N_i`,
      `a_ij = (1 + 1 / z_i) s_ij - z_i / N_i`, i.e.
      `out_i = (1 + 1 / z_i) / N_i * sum_j w_ij v_j - z_i / N_i * V_i`
      (the weights of a row sum to 1; a row with `z_i = 0` is 0).

    Neither is combined with `weight_mod`. They are lowered through the
    tile program only.
    ```mlir
    normalization(#attn.normalize<sigmoid, bias = -5.0>)
    normalization(#attn.normalize<softplus, l1>)
    normalization(#attn.normalize<identity, subtractive>)
    ```
  }];
  let parameters = (ins "::attn::NormalizationKind":$kind,
                        DefaultValuedParameter<"::llvm::APFloat", "::llvm::APFloat(0.0)">:$bias,
                        DefaultValuedParameter<"bool", "false">:$l1,
                        DefaultValuedParameter<"::attn::AffineNormKind", "::attn::AffineNormKind::None">:$affine);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    double getBiasValue() const { return getBias().convertToDouble(); }
    /// Whether the weights take an affine row correction (subtractive,
    /// mala): the count of kept keys and the sum of their values join the
    /// row state.
    bool hasAffine() const { return getAffine() != AffineNormKind::None; }
  }];
}

//===----------------------------------------------------------------------===//
// Kernels (linear attention)
//===----------------------------------------------------------------------===//

def Attn_FeatureMapKind : I32EnumAttr<"FeatureMapKind",
    "feature map phi applied to queries and keys", [
  I32EnumAttrCase<"EluPlusOne", 0, "elu_plus_one">,
  I32EnumAttrCase<"Relu", 1, "relu">,
  I32EnumAttrCase<"Sigmoid", 2, "sigmoid">,
  I32EnumAttrCase<"Exp", 3, "exp">,
  I32EnumAttrCase<"Silu", 4, "silu">,
  I32EnumAttrCase<"Hedgehog", 5, "hedgehog">,
  I32EnumAttrCase<"Taylor2", 6, "taylor2">,
  I32EnumAttrCase<"Identity", 7, "identity">,
  I32EnumAttrCase<"Softmax", 8, "softmax">,
  I32EnumAttrCase<"SequenceSoftmax", 9, "sequence_softmax">,
  I32EnumAttrCase<"SequenceScale", 10, "sequence_scale">,
  I32EnumAttrCase<"QueryWeighted", 11, "query_weighted">,
  I32EnumAttrCase<"Flow", 12, "flow">]> {
  let cppNamespace = "::attn";
  let genSpecializedAttr = 0;
}

def Attn_FeatureMapAttr : Attn_Attr<"FeatureMap", "feature_map"> {
  let summary = "Kernel feature map phi on queries and keys (linear attention)";
  let description = [{
    Replaces the dot product `Q[i] . K[j]` of the scores by
    `phi(Q[i]) . phi(K[j])`, with `phi` applied to every element:

    * `elu_plus_one`: `phi(x) = x + 1` for `x > 0`, `exp(x)` otherwise
      (Katharopoulos et al.);
    * `relu`: `max(x, 0)`;
    * `sigmoid`: `1 / (1 + exp(-x))`;
    * `exp`: `exp(x)`;
    * `silu`: `x * sigmoid(x)` (Swish, TransNormerLLM/Lightning).

    Two maps act on a whole row `x` (`D` elements) and give a feature
    vector of another length `F'`, independent of `D`; the score is
    `scale * phi(q_i) . phi(k_j)` over the `F'` features, and the chunked
    form's state is `[F' x Dv]`:

    * `hedgehog` (Hedgehog, Zhang et al. 2024; learned):
      `phi_h(x) = [exp(W[h] x + b[h]) || exp(-W[h] x - b[h])]`, `F' = 2F`,
      with the op's `feature_map(..., %w, %b : ...)` operands `W`
      (`[Hq|1, F, D]`) and `b` (`[Hq|1, F]`), `F >= 1`; a head extent of 1
      shares one map by all heads. Query head `h` maps its query rows and
      the key rows it reads (its GQA key head, or `k_head_map`'s) with
      `W[h]`, `b[h]`. Every feature is positive, so the `l1` normalizer is.
    * `taylor2` (Based, Arora et al. 2024: the second-order Taylor
      expansion of `exp`): `phi(x) = [1, x, vec(x x^T) / sqrt(2)]`,
      `F' = 1 + D + D^2` (feature `1 + D + a * D + c` is
      `x_a x_c / sqrt(2)`), so that
      `phi(q) . phi(k) = 1 + q . k + (q . k)^2 / 2` (positive). Based
      divides `q` and `k` by `D^(1/4)` first (then `phi(q) . phi(k)` is the
      expansion of `exp(q . k / sqrt(D))`); that prescaling is the caller's
      (it folds into the projections).

    `softmax` acts on a whole row too and keeps its length: `phi(x)_a =
    exp(x_a) / sum_c exp(x_c)` over the `D` features of the row (Efficient
    Attention's `rho_q`, Shen et al. 2021).

    **A key map of its own.** `#attn.feature_map<QMAP, keys = KMAP>` maps
    the queries with `QMAP` and the keys with `KMAP` (without `keys`, both
    with the one map). `identity` is `phi(x) = x`. Two key maps read the
    whole key sequence of a (batch, key head) (all `Nk` keys, whatever the
    mask keeps) and exist only as `keys = ...`:

    * `sequence_softmax` (Efficient Attention's `rho_k`): each key feature
      normalized over the sequence, `phi(K)[j, a] = exp(K[j, a]) /
      sum_{t < Nk} exp(K[t, a])`;
    * `sequence_scale` (its scaling variant, `rho_q(Y) = rho_k(Y) = Y /
      sqrt(n)`, written with the whole `1/n` on the keys):
      `phi(K)[j, a] = K[j, a] / Nk`.

    **Key maps that read the queries too** (a per-call prologue over all
    the queries and keys of a (batch, query head), whatever the mask
    keeps). They exist only as `keys = ...` next to an elementwise query
    map `phi` (or `identity`); the keys are mapped with `phi` too, then
    each key row is weighted by a factor of its own, so the result is per
    query head. With `F = D` features, `Nq` queries and `Nk` keys:

    * `query_weighted` (RALA, "Breaking the Low-Rank Dilemma of Linear
      Attention", Fan et al., arXiv 2411.07635):
      `q_bar = (1 / Nq) sum_i phi(q_i)`,
      `alpha_j = Nk * softmax_j(q_bar . phi(k_j) / sqrt(D))`, and the key
      map is `alpha_j phi(k_j)`.
    * `flow` (Flowformer, Wu et al. 2022, the flow conservation of the
      authors' code without its `1e-6` stabilizers): incoming flows
      `I_i = phi(q_i) . sum_j phi(k_j)`, outgoing flows
      `O_j = phi(k_j) . sum_i phi(q_i)`, conserved ones
      `I'_i = phi(q_i) . sum_j phi(k_j) / O_j` and
      `O'_j = clamp(phi(k_j) . sum_i phi(q_i) / I_i, -1, 1)`; the key map
      is `c_j phi(k_j)` with the competition
      `c_j = Nk * softmax_j(O'_j)`, and output row `i` is multiplied by
      the allocation over the incoming flow,
      `g_i = sigmoid(I'_i * Nq / Nk) / I_i` (the place of a rank-3
      `output_gate`, which it cannot be combined with). Flowformer is
      `#attn.feature_map<sigmoid, keys = flow>` with the identity
      normalization and `scale(1.0)`:
      `o_i = g_i sum_j (phi(q_i) . phi(k_j)) c_j v_j`.

    Both are refused with a causal mask, a `decay` and a `k_head_map`
    (the prologue reads the key head of the GQA shapes). Lowered through
    the tile program only (`attn_tile.key_weights`).

    Efficient Attention, `E = rho_q(Q) (rho_k(K)^T V)`, is
    `#attn.feature_map<softmax, keys = sequence_softmax>` with the identity
    normalization and `scale(1.0)`. The two maps must keep the feature
    dimension (elementwise maps, `identity`, `softmax`: not `hedgehog` or
    `taylor2` next to another map), and a sequence map is refused with a
    causal mask and with a `decay` (it is a non-causal normalization: a
    query would read every key through it).

    With `normalization(#attn.normalize<identity, l1>)` and `scale(1.0)` the
    spec is normalized linear attention,
    `o_i = sum_j phi(q_i).phi(k_j) v_j / sum_j phi(q_i).phi(k_j)`; with
    `identity` alone it is unnormalized linear attention. Everything else
    (masks, score modifications, the `decay` operand) composes as for any
    score. Lowered through the tile program only.
    ```mlir
    feature_map(#attn.feature_map<elu_plus_one>)
    feature_map(#attn.feature_map<taylor2>)
    feature_map(#attn.feature_map<hedgehog>, %w, %b
                : tensor<?x?x?xf32>, tensor<?x?xf32>)
    feature_map(#attn.feature_map<softmax, keys = sequence_softmax>)
    ```
  }];
  // `keys` equals `kind` when the keys take the query map.
  let parameters = (ins EnumParameter<Attn_FeatureMapKind>:$kind,
                        EnumParameter<Attn_FeatureMapKind>:$keys);
  let builders = [
    AttrBuilder<(ins "::attn::FeatureMapKind":$kind), [{
      return $_get($_ctxt, kind, kind);
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// phi(x) of each element alone (identity included).
    static bool isElementwiseKind(FeatureMapKind kind) {
      return kind != FeatureMapKind::Hedgehog &&
             kind != FeatureMapKind::Taylor2 &&
             kind != FeatureMapKind::Softmax && !isSequenceKind(kind) &&
             !isCrossKind(kind);
    }
    /// A key map that reads the queries too (query_weighted, flow): a
    /// per-call prologue weighting phi(k_j) per query head.
    static bool isCrossKind(FeatureMapKind kind) {
      return kind == FeatureMapKind::QueryWeighted ||
             kind == FeatureMapKind::Flow;
    }
    /// A key map only (sequence or cross), never a query map.
    static bool isKeyOnlyKind(FeatureMapKind kind) {
      return isSequenceKind(kind) || isCrossKind(kind);
    }
    /// A key map over the whole key sequence (a per-call prologue).
    static bool isSequenceKind(FeatureMapKind kind) {
      return kind == FeatureMapKind::SequenceSoftmax ||
             kind == FeatureMapKind::SequenceScale;
    }
    /// Whether the feature dimension stays D for queries and keys;
    /// hedgehog and taylor2 map whole rows to F' features.
    bool keepsFeatureDim() const {
      return getKind() != FeatureMapKind::Hedgehog &&
             getKind() != FeatureMapKind::Taylor2;
    }
    /// The map of the queries and of the keys.
    FeatureMapKind getQueryKind() const { return getKind(); }
    FeatureMapKind getKeyKind() const { return getKeys(); }
    bool hasSequenceKeys() const { return isSequenceKind(getKeys()); }
    /// Whether the keys are weighted from the queries (query_weighted,
    /// flow); their rows are mapped with the query map first.
    bool hasCrossKeys() const { return isCrossKind(getKeys()); }
    /// Whether output rows take flow's allocation factor.
    bool hasRowGate() const { return getKeys() == FeatureMapKind::Flow; }
    /// The elementwise map of the key rows: the query map for the cross
    /// kinds, the key map otherwise.
    FeatureMapKind getKeyRowKind() const {
      return hasCrossKeys() ? getKind() : getKeys();
    }
    /// Whether phi reads the op's feature_map weight and bias operands.
    bool hasWeights() const { return getKind() == FeatureMapKind::Hedgehog; }
  }];
}

//===----------------------------------------------------------------------===//
// Output epilogues
//===----------------------------------------------------------------------===//

def Attn_EpilogueKind : I32EnumAttr<"EpilogueKind",
    "a normalization of each output row", [
  I32EnumAttrCase<"RmsNorm", 0, "rms_norm">]> {
  let cppNamespace = "::attn";
  let genSpecializedAttr = 0;
}

def Attn_EpilogueAttr : Attn_Attr<"Epilogue", "epilogue"> {
  let summary = "A normalization of each output row before the output gate";
  let description = [{
    Applied to each output row `o = out[b, h, i, :]` (`Dv` values, after
    the normalization's division, the affine correction and the sink)
    before the `output_gate`:

    * `rms_norm` (TransNormerLLM's SRMSNorm, Lightning Attention; RetNet
      and GLA normalize each head the same way):
      `o_c <- o_c / sqrt(mean_c' o_c'^2 + eps)` over the value dimension
      `Dv` of one head. No learned weight: a per-channel weight `w[c]`
      folds into an element-wise `output_gate` (`g * w`).

    `eps` (default `1e-6`, TransNormerLLM's) must be positive and finite.
    The logsumexp is not affected. Lowered through the tile program only.
    ```mlir
    epilogue(#attn.epilogue<rms_norm, eps = 1.0e-06>)
    ```
  }];
  let parameters = (ins EnumParameter<Attn_EpilogueKind>:$kind,
                        DefaultValuedParameter<"::llvm::APFloat", "::llvm::APFloat(1.0e-6)">:$eps);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    double getEpsValue() const { return getEps().convertToDouble(); }
  }];
}

//===----------------------------------------------------------------------===//
// Pooling and selection
//===----------------------------------------------------------------------===//

def Attn_PoolKind : I32EnumAttr<"PoolKind",
    "how the keys of a block are pooled into one key", [
  I32EnumAttrCase<"Mean", 0, "mean">,
  I32EnumAttrCase<"Max", 1, "max">,
  I32EnumAttrCase<"Min", 2, "min">,
  I32EnumAttrCase<"Sum", 3, "sum">,
  I32EnumAttrCase<"First", 4, "first">,
  I32EnumAttrCase<"Last", 5, "last">]> {
  let cppNamespace = "::attn";
  let genSpecializedAttr = 0;
}

def Attn_GateKind : I32EnumAttr<"GateKind",
    "how the block gate is computed from the pooled queries and keys", [
  I32EnumAttrCase<"Dot", 0, "dot">,
  I32EnumAttrCase<"Learned", 1, "learned">,
  I32EnumAttrCase<"Given", 2, "given">]> {
  let cppNamespace = "::attn";
  let genSpecializedAttr = 0;
}

// `pool` of #attn.topk_blocks: one kind (`pool = mean`) or a concatenation
// (`pool = [max, min, mean]`), printed the way it is written.
def Attn_PoolListParameter : ArrayRefParameter<"::attn::PoolKind",
                                               "pooling kinds"> {
  let parser = "::attn::parsePoolList($_parser)";
  let printer = "::attn::printPoolList($_printer, $_self)";
}

def Attn_TopKBlocksAttr : Attn_Attr<"TopKBlocks", "topk_blocks"> {
  let summary = "Key blocks selected per query token or per query block by a pooled gate (MoBA, FlexPrefill, SpargeAttn)";
  let description = [{
    A data-dependent selection of key blocks, and-ed with the op's mask: a
    key `j` is kept for query `i` only if its block `floor(j / block)` is
    among the blocks selected for `(b, h, i)`.

    * Blocks: block `c` holds keys `[c * block, min((c + 1) * block, Nk))`;
      there are `ceil(Nk / block)` of them, the last one partial when
      `block` does not divide `Nk`.
    * Pooled keys: `kbar[b, hk, c, x] = pool(K[b, hk, j, x] for j in c)`
      over the block's actual keys (`mean` divides by their count, `sum`
      does not, so a partial last block weighs less; `max`, `min`
      elementwise), with `hk` the key head of query head `h` (GQA,
      `k_head_map`). `first` and `last` take the block's first or last
      actual key as its representative (Landmark Attention's landmark
      token closes each block): the key of a partial last block is its
      last actual key. A NaN key element makes
      that element of its block's pooled key NaN (for `first` and `last`
      only when it is in the representative key).
    * Concatenated pools (`pool = [max, min, mean]`, needs
      `gate = learned`): the pooled key is the concatenation of the pools
      in the order written, `kbar[b, hk, c, p * D + x] = pool_p(...)`,
      `P * D` wide for `P` pools (SeerAttention's AttnGate).
    * Granularity. Without `q_block` (or `q_block = 0`) the selection is
      per query token: the gate query of row `i` is `Q[b, h, i]` and its
      aligned positions are `[p, p]` with `p = i + Nk - Nq`. With
      `q_block = Bq > 0` it is per query block: block `r` holds queries
      `[r * Bq, min((r + 1) * Bq, Nq))`, its gate query is their mean
      `qbar[b, h, r, x]` (over the block's actual queries; a NaN
      propagates), its aligned positions are `[p0, p1]` (`p0`, `p1` of its
      first and last query), and every row of the block shares one
      selection (SeerAttention, FlexPrefill, SpargeAttn: a query tile
      inside one query block visits only that block's key tiles).
    * Head group (`head_group = true`, needs `q_block`): one selection per
      (b, key head, query block), shared by the query heads that read the
      key head (`h / (Hq / Hk)`, the GQA of the shapes; not with
      `k_head_map`): the gate query is the mean of `qbar` over those heads,
      so the gate is the group's mean gate (and the mass the softmax of
      that mean gate, not a mean of per-head masses).
    * Proxy heads (`proxy_heads = G > 0`, with `head_group`; ProxyAttn's
      pooled heads): the groups are `G` contiguous groups of heads instead,
      query head `h` in group `h / (Hq / G)` with the key heads
      `hk / (Hk / G)` of the same group; the gate query is the mean of the
      group's pooled queries and the gate key of block `c` is the mean of
      the pooled keys of the group's key heads (one pooled "proxy head"),
      so every head of a group shares one selection. `Hq` and `Hk` must be
      multiples of `G`; `proxy_heads = 0` (the default) is the GQA group
      above (`G = Hk`, one key head per group).
    * Gate (block score): `g[c] = sum_x gq[x] * kbar[b, hk, c, x]` with the
      gate query `gq`: the raw dot product (no `scale`, bias or score
      modification).
    * Learned gate (`gate = learned`, SeerAttention's AttnGate): the op
      takes two projection operands after the attribute,
      `selection(#attn.topk_blocks<...>, %wq, %wk : tensor<Hq|1 x D x Dg x f>,
      tensor<Hk|1 x P*D x Dg x f>)`, and the gate is
      `g[c] = sum_e (sum_x gq[x] Wq[h, x, e]) (sum_y kbar[b, hk, c, y]
      Wk[hk, y, e])` (`h`, `hk` are 0 for an extent-1 first dimension),
      a dot product of width `Dg`. It needs `q_block` (the gate query is
      the pooled one; `q_block = 1` is per token) and is not combined with
      `head_group`. The masses of the rules below scale it by `1 / sqrt(Dg)`
      instead of `1 / sqrt(D)`. RoPE on the gate's pooled rows is not
      expressed.
    * Given gate (`gate = given`, scores computed by the caller: DMA's
      value-derived key scores, heavy-hitter or observation-window key
      scores): the op takes one operand,
      `block_scores(%s : tensor<B|1 x Hk|1 x ceil(Nk / block) x f>)`, and
      the gate of block `c` for every row of query head `h` is
      `g[c] = s[b, hk, c]` (`hk` the key head of `h`, GQA or
      `k_head_map`; extent-1 dimensions broadcast): one score per
      (b, key head, block), shared by the queries. No pooling is read
      (`pool` must name one kind, which is ignored); the masses of the
      rules below are the softmax of the scores themselves (no
      `1 / sqrt(D)`). Per token every row of a key head ranks the same
      scores, and the rows differ only in their eligible and always-kept
      blocks. Per query block (`q_block = Bq > 0`) the operand is
      `block_scores(%s : tensor<B|1 x Hk|1 x ceil(Nq / Bq) x
      ceil(Nk / block) x f>)` and the rows of query block `r` rank
      `s[b, hk, r, c]` (a caller's route per block pair: SVG-EAR's
      error-aware routing). Not with `head_group` (the scores are per key
      head already).
    * Eligible blocks: with `causal = true` (the default) those not
      entirely in the future of the last aligned position:
      `c * block <= p1` (none when `p1 < 0`). With `causal = false` every
      block is eligible (non-causal models: BiFormer's regions, SpargeAttn
      on image and video models); the op's mask still applies to the keys.
    * Always-kept blocks (among the eligible ones): with `keep_current`
      (the default) the current blocks, those holding an aligned position
      of the row or query block, `floor(max(p0, 0) / block)` to
      `floor(p1 / block)` (one block per token; none when `p1 < 0`); the
      `sinks` first blocks (`c < sinks`, default 0); the `local` blocks
      before the first current block (default 0, none without a current
      block). They are always selected, even beyond `k`.
    * Empty selections: a row whose rule passes no block and that keeps
      none (`keep_current = false`, no sinks) selects nothing; it attends
      to no key and is a fully masked row (0 for softmax, logsumexp
      `-inf`).
    * Ranking of the eligible blocks: the always-kept blocks first (by
      index), then gates highest first, equal gates by lower block index,
      NaN gates after every number (including `-inf`), among themselves by
      index. A block is selected if it is always kept, or if fewer than
      `k` blocks rank before it and it passes the rule:
      - top-k (neither `threshold` nor `mass`): no further condition. `k`
        counts the always-kept blocks (MoBA's code forces the current
        gate to `+inf` before the top-k); `k` above the eligible blocks
        takes all of them.
      - `threshold = t` (in `[0, 1]`): its mass `w[c] >= t`;
      - `mass = gamma` (in `(0, 1]`), cumulative: the masses of the blocks
        ranking before it sum to less than `gamma`, i.e. the shortest
        prefix of the ranking whose mass reaches `gamma` (FlexPrefill,
        SpargeAttn); `k` caps it.
      The mass is the softmax of the scaled gates over the eligible blocks
      with a number as gate: `u[c] = g[c] / sqrt(D)` (D the query head
      dim, `Dg` with a learned gate), `m = max u`, `e[c] = 1` where `u[c] == m` (so `+inf` and an
      all `-inf` row share the mass equally) and `exp(u[c] - m)`
      otherwise, `w[c] = e[c] / sum e`. A NaN gate has no mass and never
      passes a rule (it is selected only when always kept). The compiled
      code computes gates and masses in f32, the reference in f64: a mass
      within rounding of `t` or a prefix sum within rounding of `gamma`
      may select differently.

    * Query selection (`select_queries = true`; MoSA's expert choice):
      the row of query `i` is kept only when the block holding its own
      aligned position `p = i + Nk - Nq` is among the blocks selected for
      it; otherwise the row selects nothing and is a fully masked row (0
      for softmax, logsumexp `-inf`; so is a row with `p < 0`). With
      one-token blocks and a given gate, `causal = false`, the selected
      tokens of a head attend among themselves and the others are 0 (the
      scatter of an expert-choice routing). Needs `keep_current = false`
      (the own block would always be kept) and per-token rows (no
      `q_block`).

    * Complement (`complement = true`): the op keeps the eligible blocks
      that the rules above do not select (always-kept blocks count as
      selected, so they are left out), and only those: the other branch of
      a spec that merges exact attention on the selected blocks with an
      approximation of the rest (PISA's Taylor term, SVG-EAR's centroid
      compensation; see `attn.merge` and `attn.pool_blocks`). A row with
      no eligible block keeps nothing. The selection and its complement
      partition the eligible blocks.

    * Per-head budgets (`budgets = [n_0, n_1, ...]`, one per key head; TCA's
      head-specific sparsity budgets): the cap of the rule for the rows of
      key head `hk` is `budgets[hk]` instead of `k` (`hk` the key head of
      the query head, GQA or `k_head_map`; with `head_group` the group's
      key head). One entry per key head (the op's verifier on static or
      specialized shapes, the runner and the reference at run time), each
      in `[0, k]`: `k` stays the largest cap. A budget of 0 keeps only the
      always-kept blocks. Not with `proxy_heads` (a proxy group spans
      several key heads).

    * Rank band (`skip = s`, default 0; SLA's marginal blocks): a block
      that is not always kept is selected only when at least `s` blocks
      rank before it, so the rules select ranks `[s, k)` of the ranking
      (the always-kept blocks counted as `k` counts them) instead of
      `[0, k)`: with `keep_current = false` and no sinks, the blocks after
      the top `s` and within the top `k`. `0 <= s < k`; with `budgets` the
      band of key head `hk` is `[s, budgets[hk])`, empty when the budget is
      at most `s`. With `complement = true` the op keeps the rest (the
      top `s` and the blocks after the band).

    * Score floor (`min_score = t`, a finite float; Rectified SpaAttn's
      gain test, a caller's decision as a given score): a block that is
      not always kept passes only when its gate (the raw dot gate, the
      learned gate, or the given score, not the mass) is at least `t`; a
      NaN gate never passes. It is and-ed with the other rules (`k`,
      `skip`, `threshold`, `mass`). The compiled code compares the f32
      gate, the reference the f64 one: a gate within rounding of `t` may
      select differently (a given score is exact in both).

    The current block stays causal inside through the op's mask
    (`mask(#attn.causal)`): MoBA is
    ```mlir
    mask(#attn.causal)
    selection(#attn.topk_blocks<block = 64, k = 3, pool = mean>)
    ```
    and a query-block cumulative selection (FlexPrefill's query-aware
    pattern per query block) is
    ```mlir
    mask(#attn.causal)
    selection(#attn.topk_blocks<block = 128, k = 1000000, pool = mean,
                                q_block = 128, mass = 0.9, sinks = 1>)
    ```
    and BiFormer's bi-level routing (regions of 49 tokens laid out region
    by region, each region's mean query against every region's mean key,
    top-4 regions, the own region not forced) is
    ```mlir
    selection(#attn.topk_blocks<block = 49, k = 4, pool = mean,
                                q_block = 49, keep_current = false,
                                causal = false>)
    ```
    and SeerAttention's learned gate (per query block of 64, threshold
    on the block softmax) is
    ```mlir
    mask(#attn.causal)
    selection(#attn.topk_blocks<block = 64, k = 1000000,
                                pool = [max, min, mean], q_block = 64,
                                threshold = 0.01, gate = learned>,
              %wq, %wk : tensor<?x?x?xf32>, tensor<?x?x?xf32>)
    ```
    Lowered through the tile program only: the blocks a query tile's rows
    select are its run-time key-tile list.
  }];
  let parameters = (ins "int64_t":$block, "int64_t":$k,
                        Attn_PoolListParameter:$pool,
                        DefaultValuedParameter<"bool", "true">:$keep_current,
                        DefaultValuedParameter<"int64_t", "0">:$q_block,
                        OptionalParameter<"::mlir::FloatAttr">:$threshold,
                        OptionalParameter<"::mlir::FloatAttr">:$mass,
                        DefaultValuedParameter<"int64_t", "0">:$sinks,
                        DefaultValuedParameter<"int64_t", "0">:$local,
                        DefaultValuedParameter<"bool", "false">:$head_group,
                        DefaultValuedParameter<"int64_t", "0">:$proxy_heads,
                        DefaultValuedParameter<"::attn::GateKind", "::attn::GateKind::Dot">:$gate,
                        DefaultValuedParameter<"bool", "true">:$causal,
                        DefaultValuedParameter<"bool", "false">:$select_queries,
                        DefaultValuedParameter<"bool", "false">:$complement,
                        OptionalParameter<"::mlir::DenseI64ArrayAttr">:$budgets,
                        DefaultValuedParameter<"int64_t", "0">:$skip,
                        OptionalParameter<"::mlir::FloatAttr">:$min_score);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Whether the gate projects the pooled rows by learned weights.
    bool isLearned() const { return getGate() == GateKind::Learned; }
    /// Whether the gate is the caller's block_scores operand.
    bool isGiven() const { return getGate() == GateKind::Given; }
    /// The number of pools concatenated into a pooled key.
    int64_t numPools() const { return getPool().size(); }
    /// Whether one selection is shared by the rows of a query block.
    bool perQueryBlock() const { return getQBlock() > 0; }
    /// Whether a rule (threshold or cumulative mass) needs the masses.
    bool hasMassRule() const { return getThreshold() || getMass(); }
    /// The cap of the rule for the rows of key head `hk`: its budget, or k.
    int64_t capFor(int64_t hk) const {
      ::mlir::DenseI64ArrayAttr budgets = getBudgets();
      return budgets ? budgets[hk] : getK();
    }
  }];
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def Attn_QuantScheme : I32EnumAttr<"QuantScheme",
    "how Q and K are reduced to integers (or FP8) for Q K^T", [
  I32EnumAttrCase<"Int8", 0, "int8">,
  I32EnumAttrCase<"Sign", 1, "sign">,
  I32EnumAttrCase<"Int4", 2, "int4">,
  I32EnumAttrCase<"Fp8E4M3", 3, "fp8_e4m3">,
  I32EnumAttrCase<"Fp8E5M2", 4, "fp8_e5m2">]> {
  let cppNamespace = "::attn";
  let genSpecializedAttr = 0;
}

def Attn_PVPrecision : I32EnumAttr<"PVPrecision",
    "the arithmetic of P V under quantized Q K^T", [
  I32EnumAttrCase<"F32", 0, "f32">,
  I32EnumAttrCase<"Int8", 1, "int8">,
  I32EnumAttrCase<"Fp8E4M3", 2, "fp8_e4m3">,
  I32EnumAttrCase<"Fp8E5M2", 3, "fp8_e5m2">]> {
  let cppNamespace = "::attn";
  let genSpecializedAttr = 0;
}

// `pv` of #attn.quantized_qk: f32 unless given.
def Attn_PVPrecisionParameter : EnumParameter<Attn_PVPrecision> {
  let defaultValue = "::attn::PVPrecision::F32";
}

def Attn_QuantizedQKAttr : Attn_Attr<"QuantizedQK", "quantized_qk"> {
  let summary = "Q K^T on quantized Q and K: INT8, INT4 or FP8 with scales, or 1-bit signs";
  let description = [{
    Replaces `Q[b,h,i] . K[b,hk,j]` in the score by the integer dot product
    of quantized rows times their scales:

    `s_ij = scale * sq[b,h,i] * sk[b,hk,j] * sum_x qq[b,h,i,x] * kq[b,hk,j,x]`

    with the sum exact in integers; then bias, `score_mods`, `score_mod`,
    mask, normalization, `weight_mod` (whose raw score `r` is this
    dequantized `scale * sq * sk * dot`), sinks, gates and the logsumexp
    apply exactly as for a float spec. `hk` is the key head of query head
    `h` (GQA, `k_head_map`).

    Token granularity: `q_block` (`k_block`) consecutive query (key)
    tokens share one scale: token `t` has scale index `t / q_block`
    (floor). Both default to 1 (one scale per token).

    `scheme = int8`, per operand by its element type:
    * an `i8` query (key) is already quantized: `qq = Q` and its scales
      come from the `q_scale` (`k_scale`) operand, a float tensor
      `[B|1, Hq|1, T]` (`[B|1, Hk|1, T]` for keys) with `T` 1 or
      `ceil(N / block)`; extent-1 dimensions broadcast, so `[1, 1, 1]` is
      per tensor, `[1, H, 1]` per head, `[B, H, N]` with block 1 per
      token. Values must lie in `[-127, 127]` (symmetric): the reference
      and the runner report -128, compiled code reads it as -127. Scales
      must be finite and positive (reported by the reference and the
      runner, like a decay out of range).
    * an f32/f16/bf16 query (key) is quantized by the compiler (SageAttention's
      scheme, no scale operand): per (b, head, block of `block` tokens),
      `s = absmax / 127` over the block's actual tokens and all `D`
      channels (the last block may be shorter), computed in f32, and
      `qq = clamp(roundeven(x / s), -127, 127)` with the f32 quotient
      (round to nearest, ties to even). A block of zeros has `s = 0` and
      `qq = 0`. A NaN in a block makes its `s` NaN (scores reading it are
      NaN), and a NaN quotient quantizes to 0.
    * `smooth_k` (float keys only, softmax only): before quantizing, the
      per-(b, key head, channel) mean of K over all `Nk` tokens
      (accumulated in f64, rounded to f32) is subtracted from every key
      (in f32). The scores are those of the smoothed keys: under softmax
      this shifts each row by `q . mean`, which the normalization cancels
      (SageAttention's K smoothing), but the logsumexp, a bias,
      `score_mods` or regions see the shifted scores.

    Overflow: `|sum| <= D * 127^2 < 2^31` for `D <= 133144`, so the integer
    dot product accumulates in i32; the verifier refuses a larger static
    `D` (the runner specializes every spec to static shapes first).

    `smooth_q` (SageAttention2's Q smoothing; float query and float key,
    `int8` or `int4`): per (b, query head h, query block `c` of `q_block`
    tokens) the block mean `qm[b, h, c, :]` of the query (summed in f64 in
    token order over the block's actual tokens, rounded to f32) is
    subtracted from each of the block's rows (in f32) before quantizing,
    so `qq` and `sq` are those of the residual `q - qm`, and the exact
    correction is added back to every score of the block's rows:

    `s_ij = scale * (sq_i * sk_j * sum_x qq_ix kq_jx + qm[c(i)] . k'_j)`

    with `k'_j` the float key as the scores see it (widened to f32; minus
    the `smooth_k` mean in f32 when `smooth_k` is set) and `c(i) = i /
    q_block`. The correction is a float dot product (f32 in compiled code,
    f64 in the reference), so the scores are those of the unsmoothed query
    up to the quantization of the residual only (not an approximation
    that softmax cancels): any normalization, bias or `score_mods` see
    them. A NaN in a block makes its mean NaN (its rows' scores NaN).

    `scheme = int4` (SageAttention2's INT4 Q K^T): as `int8` with the
    symmetric range `[-7, 7]` instead of `[-127, 127]`: a float query
    (key) is quantized by the compiler with `s = absmax / 7` per block
    and `qq = clamp(roundeven(x / s), -7, 7)` (same blocks, NaN and zero
    rules, same `smooth_k`); a pre-quantized operand is an `i4` tensor
    with its `q_scale` (`k_scale`) operand, values in `[-7, 7]` (-8 is
    reported by the reference and the runner and read as -7 by compiled
    code). Overflow: `|sum| <= D * 49 < 2^31` for `D <= 43826196` (the
    verifier's bound). On CPU the int4 values are held one per i8 lane
    and go through the same VNNI or emulated i8 dot product as int8
    (no packed nibble arithmetic): int4 changes the accuracy, not the
    speed.

    `scheme = fp8_e4m3` / `scheme = fp8_e5m2` (FP8 Q K^T): with `F` the
    format's largest finite value (448 for `f8E4M3FN`, 57344 for `f8E5M2`)
    and `fp8(x)` as for `pv = fp8_*` below (round to nearest, ties to even,
    saturating to `[-F, F]`, subnormals kept, a NaN stays NaN):
    * an `f8E4M3FN` (`fp8_e4m3`) or `f8E5M2` (`fp8_e5m2`) query (key) is
      already quantized: `qq = Q` and its scales come from the `q_scale`
      (`k_scale`) operand, with the shapes and broadcasting of `int8`
      (per tensor, head, token or block of `q_block` / `k_block` tokens).
      NaN (and, for e5m2, infinite) elements are reported by the
      reference and the runner; compiled code reads them as NaN (and
      infinity), which reaches the scores of the rows and keys reading
      them. Scales must be finite and positive, as for `int8`.
    * a float query (key) is quantized by the compiler: per (b, head,
      block of `block` tokens), `s = absmax / F` over the block's tokens
      and all `D` channels (f32), and `qq = fp8(x / s)` with the f32
      quotient (a zero block gives `s = 0`, `qq = 0`; a NaN quotient gives
      0; a NaN element makes its block's scale NaN). `smooth_k` as for
      `int8`. `smooth_q`, `salient_bits`, `low_rank` and a selection are
      not declared with FP8 (refused).
    The sum `sum_x qq_ix kq_jx` is of products of two FP8 values, each
    exact in f32 and in f64: the float64 reference sums them in f64;
    compiled code dequantizes Q and K once per call, `f32(qq) * sq` (one
    f32 rounding per element), and forms the scores with the float
    kernels (f32 products and sums), so the difference from the reference
    is f32 rounding only. No i32 bound applies. With `keys_only` only the
    key is FP8 (an FP8 key cache against a float query).

    `scheme = sign` (1-bit, BinaryAttention): Q and K are float and are
    reduced to signs, `qq = x < 0 ? -1 : +1` (0, -0 and NaN map to +1), so
    the dot product is `D - 2 * popcount(bits(q) xor bits(k))`; the scales
    default to 1, and optional `q_scale` / `k_scale` operands (same shapes
    as for int8) give per-tensor, per-head or per-token factors. A
    learnable bias is the op's `bias` operand. `smooth_k` is refused.

    `pv` (the arithmetic of P V, either scheme): `f32` (the default) weighs
    the float values by the float weights. `pv = int8` quantizes both
    operands of P V (softmax only, without `weight_mod`; V must be float):
    * V per (b, value head, channel `c`) over all `Nk` tokens:
      `sv[b, hv, c] = absmax(V[b, hv, :, c]) / 127` and
      `vq = clamp(roundeven(v / sv), -127, 127)`, in f32 as for Q and K
      (a zero channel has `sv = 0`, `vq = 0`; a NaN or infinity anywhere in
      a channel, even in a key no row keeps, makes its output NaN in every
      row that keeps a key; a row that keeps none may read 0 or NaN).
    * the weights, with `m` the row's final softmax max (over its kept
      scores and the sink) and `p_j = exp(s_j - m)` in `[0, 1]`:
      `u_j = roundeven(255 * p_j)` (an unsigned byte, fixed scale 1/255,
      no offset), and
      `out[c] = sum_j u_j * vq[j, c] * sv[c] / 255 / l` with the unquantized
      normalizer `l = sum_j p_j (+ the sink's)`; the logsumexp, gates and
      sinks are as with f32.
    This is what the float64 reference computes. The compiled kernel
    quantizes each key tile with the running max `m_t <= m` instead (the
    online softmax does not know `m` yet) and rescales by `exp(m_t - m)`:
    each of its weights is within `0.5 / 255` of `p_j` as the reference's
    is, so the two differ by at most `1 / 255` per weight (plus the f32
    rounding of the exponentials), i.e. per output
    `|out - ref| <= (1 / 255) * sum_j |vq[j, c] * sv[c]| / l` plus f32
    rounding; the tile order changes nothing else. The i32 sums are exact
    (`|sum| <= tile_kv * 255 * 127` per key tile).

    `pv = fp8_e4m3` / `pv = fp8_e5m2` (SageAttention2's FP8 P V; softmax
    only, without `weight_mod` or an epilogue, V float): with `F` the
    format's largest finite value (448 for e4m3, 57344 for e5m2) and
    `fp8(x)` rounding an f32 to the format (round to nearest, ties to
    even, saturating to `[-F, F]`; subnormals kept; a NaN stays NaN):
    * V per (b, value head, channel `c`) over all `Nk` tokens:
      `sv[c] = absmax(V[:, c]) / F` (f32) and `vq = fp8(v / sv)` (a zero
      channel gives `sv = 0`, `vq = 0`; NaN as for `pv = int8`);
    * the weights `u_j = fp8(F * p_j)` with `p_j = exp(s_j - m)`, `m` the
      row's final max, and
      `out[c] = sum_j u_j * vq[j, c] * sv[c] / F / l` with the unquantized
      `l`; the logsumexp, gates and sinks are as with f32.
    The float64 reference computes this. The compiled kernel rounds each
    key tile's weights with its running max `m_t <= m` and rescales by
    `exp(m_t - m)`; each of its weights and each of the reference's is
    within a relative `r` (2^-4 for e4m3, 2^-3 for e5m2) of `p_j` plus half
    the smallest subnormal step over `F` (2^-10 / 448, 2^-17 / 57344), so
    per output `|out - ref| <= sum_j (2 r p_j + 2 h) |vq[j, c] sv[c]| / l`
    plus f32 rounding (the reference reports it as its P V bound). The
    products of two FP8 values are exact in f32; the sums are f32. The CPU
    has no FP8 arithmetic: the rounding is emulated in f32 arithmetic
    (exponent from the bit pattern, `roundeven` at the format's step,
    saturation), and V and the weights are held as f32 values.

    `keys_only` (KV-cache quantization, ZipCache and OSCAR; `int8` or
    `int4`): only the key is quantized (pre-quantized `i8`/`i4` with its
    `k_scale`, or float and quantized by the compiler as above); the query
    stays float and is not rounded to integers:

    `s_ij = scale * sk[b,hk,j] * sum_x q[b,h,i,x] * kq[b,hk,j,x]`

    with `q` the float query widened to f32 (f64 in the reference, where
    the products of the integers and the query are exact). Compiled code
    dequantizes the key once per call, `f32(kq) * sk` (one f32 rounding per
    element), and forms the float scores; the difference from the
    reference is f32 rounding only. Refused with a float `q_scale`,
    `q_block` other than 1, `smooth_q` (there is no query quantization) and
    `scheme = sign`. With a `rotation` and a pre-quantized key the
    rotation applies to the query only (the cache holds keys already
    rotated offline, OSCAR); with a float key it rotates both.

    `salient_bits = b` (mixed precision per key token, block or head,
    ZipCache's salient tokens at more bits; `scheme = int4` and a float key
    only): the `k_salient` operand, integers `[B|1, Hk|1, T]` with `T` 1
    or `ceil(Nk / k_block)` and values 0 or 1, flags key blocks (extent-1
    dimensions broadcast: `[1, Hk, 1]` flags whole heads); a flagged block
    is quantized to the symmetric range `[-M, M]`, `M = 2^(b-1) - 1`,
    `b` in 5..8 (`s = absmax / M`), the others to int4's `[-7, 7]`. The
    integer dot product, its i32 bound (int8's) and everything after it are
    unchanged. A flag other than 0 or 1 is reported by the reference and
    the runner; compiled code reads any nonzero flag as 1.

    Not combined with `feature_map`, `decay` or `selection` (except as
    stated above). Lowered through the tile program only.

    ```mlir
    quantization(#attn.quantized_qk<scheme = int8, q_block = 128,
                                    k_block = 64, smooth_k = true, pv = int8>)
    quantization(#attn.quantized_qk<scheme = int4, q_block = 32,
                                    k_block = 64, smooth_k = true,
                                    smooth_q = true>)
    ```
  }];
  let parameters = (ins EnumParameter<Attn_QuantScheme>:$scheme,
                        DefaultValuedParameter<"int64_t", "1">:$q_block,
                        DefaultValuedParameter<"int64_t", "1">:$k_block,
                        DefaultValuedParameter<"bool", "false">:$smooth_k,
                        Attn_PVPrecisionParameter:$pv,
                        DefaultValuedParameter<"bool", "false">:$smooth_q,
                        DefaultValuedParameter<"bool", "false">:$keys_only,
                        DefaultValuedParameter<"int64_t", "0">:$salient_bits);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_VScaleGranularity : I32EnumAttr<"VScaleGranularity",
    "which elements of a pre-quantized V share one scale", [
  I32EnumAttrCase<"Token", 0, "token">,
  I32EnumAttrCase<"Channel", 1, "channel">]> {
  let cppNamespace = "::attn";
  let genSpecializedAttr = 0;
}

def Attn_QuantizedVAttr : Attn_Attr<"QuantizedV", "quantized_v"> {
  let summary = "A pre-quantized V (a value cache): INT8 or FP8 values with scales";
  let description = [{
    Declares the op's `value` operand already quantized: an `i8`
    (`scheme = int8`), `f8E4M3FN` (`fp8_e4m3`) or `f8E5M2` (`fp8_e5m2`)
    tensor `[B, Hv, Nk, Dv]` whose dequantization scales come from the
    `v_scale` operand (a float tensor; extent-1 dimensions broadcast, as
    for `q_scale` / `k_scale`):

    * `per = token`: `v_scale` is `[B|1, Hv|1, T]` with `T` 1 or
      `ceil(Nk / block)`; key `j` has scale index `j / block` (floor).
      `[1, 1, 1]` is per tensor, `[1, Hv, 1]` per head, `[B, Hv, Nk]`
      with `block = 1` (the default) per token.
    * `per = channel`: `v_scale` is `[B|1, Hv|1, Dv]` (each channel of
      the value head, KIVI's per-channel values); `block` must be 1.

    The value the weights multiply is `v[b, hv, j, c] * sv` with `sv` the
    element's scale: exactly (float64) in the reference, `f32(v) * sv`
    (one f32 rounding per element) in compiled code, which dequantizes V
    once per call (`attn_tile.dequantize`) and then runs the float P V
    kernels; the difference from the reference is f32 rounding only.
    INT8 values must lie in `[-127, 127]` (-128 is reported by the
    reference and the runner and read as -127 by compiled code); FP8 NaN
    (and, for e5m2, infinite) elements are reported by the reference and
    the runner, compiled code reads them as NaN (infinity). Scales must be
    finite and positive (reported by the reference and the runner).

    The output's float type is the result type of `attn.attention`
    (f32, f16 or bf16); a float query and key must have it. Independent of
    `#attn.quantized_qk` (a float Q K^T, `keys_only` on an INT8 key cache,
    or INT8/FP8 Q K^T), except that its `pv = int8 | fp8_*` (which
    quantizes a float V itself) is refused with a pre-quantized V.
    Lowered through the tile program only.

    ```mlir
    value_quantization(#attn.quantized_v<scheme = int8, per = channel>)
    value_quantization(#attn.quantized_v<scheme = fp8_e4m3, per = token,
                                         block = 32>)
    ```
  }];
  let parameters = (ins EnumParameter<Attn_QuantScheme>:$scheme,
                        EnumParameter<Attn_VScaleGranularity>:$per,
                        DefaultValuedParameter<"int64_t", "1">:$block);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // ATTN_ATTRS_TD
