//===- AttnTileOps.td - the tile-level attention dialect ---*- tablegen -*-===//
#ifndef ATTN_TILE_OPS_TD
#define ATTN_TILE_OPS_TD

include "attn/Dialect/Attn/AttnAttrs.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def AttnTile_Dialect : Dialect {
  let name = "attn_tile";
  let cppNamespace = "::attn::tile";
  let summary = "The target-neutral FlashAttention program of a spec";
  let description = [{
    `attn_tile` is the layer between a spec (`attn.attention`) and the
    targets: the FlashAttention program of one spec, written once, that the
    CPU, GPU and portable lowerings consume. `attn-to-tile` builds it; the
    decisions that do not depend on the target (one pass or two passes over
    the keys, which key tiles a query tile visits and whether a tile needs
    its mask, later split-KV, quantized tiles and chunked recurrences) are
    made here, so each is written once.

    A tile program is made of upstream ops for what upstream already says
    (`scf.forall` over the work items with `tensor.parallel_insert_slice`
    of each finished query tile, `linalg.fill` for the initial state,
    `arith` for indices and head maps) and of the ops below for the
    attention-specific steps. Tiles are values: ranked f32 tensors of
    `tile_q x D` queries, `tile_kv x D` keys, `tile_q x tile_kv` scores or
    weights, `tile_q x Dv` accumulators and `tile_q` row statistics (the
    running max `m`, the running sum `l`, the rescale factor `alpha`).
    Entry `(i, j)` of a score tile is query `q0 + i` and key `k0 + j`; rows
    and columns past the sequence ends are padding, excluded like masked
    entries.

    The online softmax state is explicit, as in IREE's `online_attention`:
    `attn_tile.online_update` turns a score tile into weights and new row
    statistics, `attn_tile.accumulate` adds `P V` into the rescaled
    accumulator, `attn_tile.fold_sink` and `attn_tile.finalize` end a row.
    The math of each step exists once, in the lowering helpers
    (`attn/Conversion/SoftmaxMath.h`, `attn/Conversion/AttnCodegen.h`).
  }];
  let dependentDialects = [
    "::attn::AttnDialect", "::mlir::arith::ArithDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

class AttnTile_Op<string mnemonic, list<Trait> traits = []>
    : Op<AttnTile_Dialect, mnemonic, traits>;

def AttnTile_F32Tile2D : 2DTensorOf<[F32]>;
def AttnTile_F32Rows : 1DTensorOf<[F32]>;

//===----------------------------------------------------------------------===//
// Tile loads
//===----------------------------------------------------------------------===//

def AttnTile_LoadOp : AttnTile_Op<"load", [Pure]> {
  let summary = "Rows of one head of a [B, H, N, D] tensor as an f32 tile";
  let description = [{
    `result[r, x] = source[batch, head, row + r, x]` widened to f32, for
    `r` in `[0, R)` where `R` is the result's first extent; rows outside
    `[0, N)` read as 0 (the padding of the last tile, and of the first
    query chunk of the chunked linear form, whose rows may start before 0).

    ```mlir
    %kt = attn_tile.load %k[%b, %hk, %k0]
        : tensor<2x4x1000x64xbf16> -> tensor<32x64xf32>
    ```
  }];
  let arguments = (ins 4DTensorOf<[F32, F16, BF16]>:$source, Index:$batch,
                       Index:$head, Index:$row);
  let results = (outs AttnTile_F32Tile2D:$result);
  let assemblyFormat = [{
    $source `[` $batch `,` $head `,` $row `]` attr-dict
    `:` type($source) `->` type($result)
  }];
  let hasVerifier = 1;
}

def AttnTile_FeatureMapOp : AttnTile_Op<"feature_map", [
    Pure, AllTypesMatch<["tile", "result"]>]> {
  let summary = "Applies an elementwise kernel feature map phi to every element of a tile";
  let description = [{
    `result[r, x] = phi(tile[r, x])` with `phi` the `#attn.feature_map` of
    the spec (linear attention: `phi(Q) phi(K)^T` replaces `Q K^T`). The
    padding rows of a loaded tile become `phi(0)`; the mask excludes the
    padded keys, and padded queries are not written.

    ```mlir
    %fk = attn_tile.feature_map %kt map(<elu_plus_one>) : tensor<32x64xf32>
    ```

    `map` is one elementwise map (no `keys`: the builder passes the query
    or the key map of the spec).
  }];
  let arguments = (ins AttnTile_F32Tile2D:$tile, Attn_FeatureMapAttr:$map);
  let results = (outs AttnTile_F32Tile2D:$result);
  let assemblyFormat = "$tile `map` `(` $map `)` attr-dict `:` type($tile)";
  let hasVerifier = 1;
}

def AttnTile_ExpandFeaturesOp : AttnTile_Op<"expand_features", [
    Pure, AttrSizedOperandSegments]> {
  let summary = "Maps every row of a tile to a feature vector of another length";
  let description = [{
    The feature maps of `#attn.feature_map` that act on whole rows: row `r`
    of `tile` (`[R, D]`) becomes row `r` of the result (`[R, F']`).

    * `hedgehog`: `result[r, f] = exp(u)` and `result[r, F + f] = exp(-u)`
      for `f` in `[0, F)`, with
      `u = sum_x weight[h', f, x] * tile[r, x] + bias[h', f]` and
      `h' = head` (`0` where the weight's, or the bias's, head extent is 1);
      `F' = 2F`. Needs `weights(...)` and `head`.
    * `taylor2`: `result[r, 0] = 1`, `result[r, 1 + x] = tile[r, x]`,
      `result[r, 1 + D + a * D + c] = tile[r, a] * tile[r, c] / sqrt(2)`;
      `F' = 1 + D + D^2`. Takes no weights.
    * `softmax`: `result[r, x] = exp(tile[r, x] - m_r) / sum_c exp(tile[r,
      c] - m_r)`, `m_r` the row's maximum; `F' = D`. Takes no weights.

    `map` is one map (no `keys`). The elementwise maps are `attn_tile.feature_map`. The padding rows of
    a loaded tile become `phi(0)` (as there).

    ```mlir
    %fk = attn_tile.expand_features %kt map(<hedgehog>)
        weights(%w, %bias : tensor<?x?x?xf32>, tensor<?x?xf32>) head %h
        : tensor<32x16xf32> -> tensor<32x?xf32>
    %fq = attn_tile.expand_features %qt map(<taylor2>)
        : tensor<32x16xf32> -> tensor<32x273xf32>
    ```
  }];
  let arguments = (ins AttnTile_F32Tile2D:$tile, Attn_FeatureMapAttr:$map,
                       Optional<3DTensorOf<[F32, F16, BF16]>>:$weight,
                       Optional<2DTensorOf<[F32, F16, BF16]>>:$bias,
                       Optional<Index>:$head);
  let results = (outs AttnTile_F32Tile2D:$result);
  let assemblyFormat = [{
    $tile `map` `(` $map `)`
    (`weights` `(` $weight^ `,` $bias `:` type($weight) `,` type($bias) `)`
        `head` $head)?
    attr-dict `:` type($tile) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Scores: Q K^T, masking, modification
//===----------------------------------------------------------------------===//

def AttnTile_ScoresOp : AttnTile_Op<"scores", [Pure]> {
  let summary = "The score tile scale * Q K^T";
  let description = [{
    `result[i, j] = scale * sum_x query[i, x] * key[j, x]`. With
    `lower_triangular` (a square tile whose row `i` and key `i` are the same
    position: a chunk of the causal linear form) only the entries with
    `j <= i` are defined; the others are finite but unspecified (the causal
    mask that follows excludes them), so a lowering may skip them.
  }];
  let arguments = (ins AttnTile_F32Tile2D:$query, AttnTile_F32Tile2D:$key,
                       F32:$scale, UnitAttr:$lower_triangular);
  let results = (outs AttnTile_F32Tile2D:$result);
  let assemblyFormat = [{
    $query `,` $key `scale` $scale attr-dict
    `:` type($query) `,` type($key) `->` type($result)
  }];
  let hasVerifier = 1;
}

def AttnTile_MaskOp : AttnTile_Op<"mask", [
    Pure, IsolatedFromAbove, AttrSizedOperandSegments, Attn_SpecRegionHolder,
    AllTypesMatch<["scores", "result"]>,
    DeclareOpInterfaceMethods<Attn_ScoreSpecOpInterface,
        ["getScoreModsAttr", "getScoreModRegion", "getBias",
         "getAlibiSlopes"]>]> {
  let summary = "Excludes the entries of a score tile a spec's mask removes";
  let description = [{
    Entry `(i, j)` (query `query + i`, key `key + j`) becomes `-inf` when it
    lies past `query_length` or `key_length`, or when the `mask` attribute
    or the `mask_fn` region (same meaning as on `attn.attention`, regions
    taking `(b, h, i, j, captures...)`) exclude it; the others pass
    unchanged. With `%partial` false the producer of the tile list
    guarantees that every entry is in range and kept, and a lowering may
    skip the predicate (a *full* tile); true means *partial*.
  }];
  let arguments = (ins AttnTile_F32Tile2D:$scores, Index:$batch, Index:$head,
                       Index:$query, Index:$key, Index:$query_length,
                       Index:$key_length, Index:$num_heads, I1:$partial,
                       Optional<AnyRankedTensor>:$q_segment_ids,
                       Optional<AnyRankedTensor>:$kv_segment_ids,
                       Optional<AnyRankedTensor>:$block_layout,
                       Variadic<AnyRankedTensor>:$captures,
                       OptionalAttr<Attn_MaskAttrInterface>:$mask);
  let results = (outs AttnTile_F32Tile2D:$result);
  let regions = (region AnyRegion:$mask_fn);
  let hasRegionVerifier = 1;
  let assemblyFormat = [{
    $scores `at` `(` $batch `,` $head `,` $query `,` $key `)`
    `lengths` `(` $query_length `,` $key_length `)`
    `heads` $num_heads `partial` $partial
    (`segment_ids` `(` $q_segment_ids^ `,` $kv_segment_ids `:`
        type($q_segment_ids) `,` type($kv_segment_ids) `)`)?
    (`block_layout` `(` $block_layout^ `:` type($block_layout) `)`)?
    (`captures` `(` $captures^ `:` type($captures) `)`)?
    (`mask` `(` $mask^ `)`)?
    (`mask_fn` $mask_fn^)?
    attr-dict `:` type($scores)
  }];
}

def AttnTile_ModifyOp : AttnTile_Op<"modify", [
    Pure, IsolatedFromAbove, AttrSizedOperandSegments, Attn_SpecRegionHolder,
    AllTypesMatch<["scores", "result"]>,
    DeclareOpInterfaceMethods<Attn_ScoreSpecOpInterface,
        ["getMaskAttr", "getMaskFnRegion", "getQSegmentIds",
         "getKvSegmentIds", "getBlockLayout"]>]> {
  let summary = "Applies a spec's score modifications to a score tile";
  let description = [{
    Entries that are not `-inf` (the kept ones) get the additive `bias`
    operand, the `score_mods` in order and the `score_mod` region (same
    meaning as on `attn.attention`); `-inf` entries stay `-inf` and never
    evaluate a modification (a region may read captures only valid for
    kept pairs).
  }];
  let arguments = (ins AttnTile_F32Tile2D:$scores, Index:$batch, Index:$head,
                       Index:$query, Index:$key, Index:$query_length,
                       Index:$key_length, Index:$num_heads,
                       Optional<AnyRankedTensor>:$bias,
                       Optional<AnyRankedTensor>:$alibi_slopes,
                       Variadic<AnyRankedTensor>:$captures,
                       OptionalAttr<TypedArrayAttrBase<
                           Attn_ScoreModAttrInterface,
                           "array of score modifications">>:$score_mods);
  let results = (outs AttnTile_F32Tile2D:$result);
  let regions = (region AnyRegion:$score_mod);
  let hasRegionVerifier = 1;
  let assemblyFormat = [{
    $scores `at` `(` $batch `,` $head `,` $query `,` $key `)`
    `lengths` `(` $query_length `,` $key_length `)` `heads` $num_heads
    (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`alibi_slopes` `(` $alibi_slopes^ `:` type($alibi_slopes) `)`)?
    (`captures` `(` $captures^ `:` type($captures) `)`)?
    (`score_mods` `(` $score_mods^ `)`)?
    (`score_mod` $score_mod^)?
    attr-dict `:` type($scores)
  }];
}

def AttnTile_DecayPrefixOp : AttnTile_Op<"decay_prefix", [Pure]> {
  let summary = "Prefix sums of the log decay of one (batch, head), in f64";
  let description = [{
    `result[x] = sum_{r <= x} log(decay[b', h', r])` for `x` in
    `[0, key_length)`, with `b' = 0` (`h' = 0`) where the decay's batch (head)
    extent is 1. Computed once per work item; f64 keeps the differences of
    two long sums exact enough for `exp(result[p] - result[j])`, the product
    of the decays of keys `j+1 .. p`. A rank-4 decay (a gate per key
    channel, `[B|1, H|1, N|1, D]`) gives one sum per channel,
    `result[x, c] = sum_{r <= x} log(decay[b', h', r, c])`.

    ```mlir
    %c = attn_tile.decay_prefix %a[%b, %h] length %nk
        : tensor<?x?x?xf32> -> tensor<?xf64>
    %g = attn_tile.decay_prefix %gate[%b, %h] length %nk
        : tensor<?x?x?x?xf32> -> tensor<?x?xf64>
    ```
  }];
  let arguments = (ins TensorRankOf<[F32, F16, BF16], [3, 4]>:$decay,
                       Index:$batch, Index:$head, Index:$key_length);
  let results = (outs TensorRankOf<[F64], [1, 2]>:$result);
  let assemblyFormat = [{
    $decay `[` $batch `,` $head `]` `length` $key_length attr-dict
    `:` type($decay) `->` type($result)
  }];
  let hasVerifier = 1;
}

def AttnTile_GatedScoresOp : AttnTile_Op<"gated_scores", [Pure]> {
  let summary = "The score tile with a gate per key channel inside the dot product";
  let description = [{
    For the entry `(r, c)` of the tile at query `query` and key `key`, with
    the aligned query position `p = query + r + key_length - query_length`
    and the key `j = key + c`: `result = scale * sum_x query[r, x] *
    key[c, x] * exp(prefix[p, x] - prefix[j, x])` (the product of the
    channel's gates over the keys `j+1 .. p`, GLA's diagonal decay) when
    `0 <= j <= p < key_length`, and 0 otherwise (the causal mask the spec
    must have excludes those). Every exponent is `<= 0`: the factors never
    overflow, whatever the length (no factorization through the chunk's
    start, whose inverse factors would).

    ```mlir
    %s = attn_tile.gated_scores %fq, %fk, %g scale %c at(%q0, %k0)
        lengths(%nq, %nk) : tensor<64x16xf32>, tensor<64x16xf32>,
        tensor<?x?xf64> -> tensor<64x64xf32>
    ```
  }];
  let arguments = (ins AttnTile_F32Tile2D:$query, AttnTile_F32Tile2D:$key,
                       2DTensorOf<[F64]>:$prefix, F32:$scale, Index:$query_pos,
                       Index:$key_pos, Index:$query_length, Index:$key_length);
  let results = (outs AttnTile_F32Tile2D:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $prefix `scale` $scale `at` `(` $query_pos `,`
    $key_pos `)` `lengths` `(` $query_length `,` $key_length `)` attr-dict
    `:` type($query) `,` type($key) `,` type($prefix) `->` type($result)
  }];
  let hasVerifier = 1;
}

def AttnTile_DecayOp : AttnTile_Op<"decay", [
    Pure, AllTypesMatch<["scores", "result"]>]> {
  let summary = "Multiplies a score tile by the decay between key and query";
  let description = [{
    For the entry `(r, c)` of the tile at query `query` and key `key`, with
    the aligned query position `p = query + r + key_length - query_length`
    and the key `j = key + c`: `result = scores * exp(prefix[p] -
    prefix[j])` when `j <= p` and both lie in `[0, key_length)`; other
    entries are unchanged (the causal mask the spec must have made them
    `-inf`). Only meaningful with the identity normalization, whose weights
    are the scores (the verifier of `attn.attention` requires it).

    ```mlir
    %d = attn_tile.decay %s, %c at(%q0, %k0) lengths(%nq, %nk)
        : tensor<32x64xf32>, tensor<?xf64>
    ```
  }];
  let arguments = (ins AttnTile_F32Tile2D:$scores, 1DTensorOf<[F64]>:$prefix,
                       Index:$query, Index:$key, Index:$query_length,
                       Index:$key_length);
  let results = (outs AttnTile_F32Tile2D:$result);
  let assemblyFormat = [{
    $scores `,` $prefix `at` `(` $query `,` $key `)`
    `lengths` `(` $query_length `,` $key_length `)` attr-dict
    `:` type($scores) `,` type($prefix)
  }];
}

def AttnTile_ReadStateOp : AttnTile_Op<"read_state", [Pure]> {
  let summary = "The carried linear-attention state's part of a query chunk";
  let description = [{
    The chunked (O(N)) form of linear attention keeps, per work item, the
    state `S = sum_j d_j phi(k_j) v_j^T` (`[D, Dv]`) and its key sum
    `z = sum_j d_j phi(k_j)` (`[D]`) of the keys before the chunk at `chunk`.
    For query row `r` of the chunk (aligned position `p = chunk + r`):
    `acc[r, :] = scale * f_r * sum_x query[r, x] S[x, :]` and
    `sum[r] = scale * f_r * sum_x query[r, x] z[x]`, with the decay since the
    state, `f_r = exp(prefix[p] - prefix[chunk - 1])` (`prefix[-1] = 0`;
    1 without a prefix; `p` clamped into `[0, key_length)`). With a prefix
    per key channel (`[key_length, D]`, a rank-4 decay) the decay is per
    channel: `acc[r, :] = scale * sum_x query[r, x] exp(prefix[p, x] -
    prefix[chunk - 1, x]) S[x, :]`, and the same weights for `sum`.

    ```mlir
    %acc, %sum = attn_tile.read_state %fq, %s, %z scale %c1 at %c0
        length %nk decay(%prefix : tensor<?xf64>)
        : tensor<64x16xf32>, tensor<16x?xf32>, tensor<16xf32>
          -> tensor<64x?xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins AttnTile_F32Tile2D:$query, AttnTile_F32Tile2D:$state,
                       AttnTile_F32Rows:$key_sum, F32:$scale, Index:$chunk,
                       Index:$key_length, Optional<TensorRankOf<[F64], [1, 2]>>:$prefix);
  let results = (outs AttnTile_F32Tile2D:$acc, AttnTile_F32Rows:$sum);
  let assemblyFormat = [{
    $query `,` $state `,` $key_sum `scale` $scale `at` $chunk
    `length` $key_length (`decay` `(` $prefix^ `:` type($prefix) `)`)?
    attr-dict `:` type($query) `,` type($state) `,` type($key_sum)
    `->` type($acc) `,` type($sum)
  }];
  let hasVerifier = 1;
}

def AttnTile_UpdateStateOp : AttnTile_Op<"update_state", [
    Pure, AllTypesMatch<["state", "new_state"]>,
    AllTypesMatch<["key_sum", "new_key_sum"]>]> {
  let summary = "Folds a key chunk into the carried linear-attention state";
  let description = [{
    With `last = min(chunk + C, key_length) - 1` (`C` the chunk's rows):
    `S' = e * S + sum_{c : chunk + c <= last} g_c key[c]^T value[c]` and
    `z' = e * z + sum_c g_c key[c]`, where `e = exp(prefix[last] -
    prefix[chunk - 1])` and `g_c = exp(prefix[last] - prefix[chunk + c])`
    (1 without a prefix). Padding rows past `key_length` are not read, so a
    non-finite padding never reaches the state. With a prefix per key
    channel (`[key_length, D]`) `e` and `g_c` are per channel `x` (row `x`
    of `S`, entry `x` of `key` and `z`): `e_x = exp(prefix[last, x] -
    prefix[chunk - 1, x])`, `g_cx = exp(prefix[last, x] - prefix[chunk + c,
    x])`, every exponent `<= 0`.

    ```mlir
    %s2, %z2 = attn_tile.update_state %s, %z, %fk, %vt at %c0 length %nk
        decay(%prefix : tensor<?xf64>)
        : tensor<16x?xf32>, tensor<16xf32>, tensor<64x16xf32>, tensor<64x?xf32>
    ```
  }];
  let arguments = (ins AttnTile_F32Tile2D:$state, AttnTile_F32Rows:$key_sum,
                       AttnTile_F32Tile2D:$key, AttnTile_F32Tile2D:$value,
                       Index:$chunk, Index:$key_length,
                       Optional<TensorRankOf<[F64], [1, 2]>>:$prefix);
  let results = (outs AttnTile_F32Tile2D:$new_state,
                      AttnTile_F32Rows:$new_key_sum);
  let assemblyFormat = [{
    $state `,` $key_sum `,` $key `,` $value `at` $chunk `length` $key_length
    (`decay` `(` $prefix^ `:` type($prefix) `)`)?
    attr-dict `:` type($state) `,` type($key_sum) `,` type($key) `,`
    type($value)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Quantized Q K^T
//===----------------------------------------------------------------------===//

def AttnTile_QuantizeOp : AttnTile_Op<"quantize", [Pure]> {
  let summary = "Symmetric INT8 (or INT4 in i8 lanes) quantization of a [B, H, N, D] tensor per block of tokens";
  let description = [{
    Per (b, h, token block `c`) of `block` tokens (the last block may be
    shorter), with `x` the source widened to f32 (minus the token mean
    with `center`, see below) and `M` the `range` (127 unless given; 7
    for INT4, whose values are held one per i8 lane):

    `scales[b, h, c] = absmax(x over the block's tokens and all D) / M`
    (f32; a NaN propagates) and
    `values[b, h, t, :] = clamp(roundeven(x / scales[b, h, t / block]),
    -M, M)` with the f32 quotient; a NaN quotient (a zero block, or a
    NaN element) gives 0.

    `center` (K smoothing): `x = source - mean` with
    `mean[b, h, :]` the f32-rounded f64 mean of the source over all `N`
    tokens. Computed once per call, before the work items (O(N D)).

    `salient(%m salient_range(M'))` (mixed precision, ZipCache's salient
    tokens at more bits): `%m` holds integer flags `[B|1, H|1, T]` (`T` 1
    or the number of blocks; extent-1 dimensions broadcast); a block whose
    flag is nonzero uses `M'` in place of `M` (both for its scale and its
    clamp).

    ```mlir
    %kq, %ks = attn_tile.quantize %k block(64) center
        : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xi8>, tensor<?x?x?xf32>
    %qq, %qs = attn_tile.quantize %q block(32) range(7)
        : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xi8>, tensor<?x?x?xf32>
    ```
  }];
  let arguments = (ins 4DTensorOf<[F32, F16, BF16]>:$source,
                       ConfinedAttr<I64Attr, [IntPositive]>:$block,
                       UnitAttr:$center,
                       DefaultValuedAttr<ConfinedAttr<I64Attr,
                           [IntMinValue<1>, IntMaxValue<127>]>, "127">:$range,
                       Optional<3DTensorOf<[I1, I8]>>:$salient,
                       OptionalAttr<ConfinedAttr<I64Attr,
                           [IntMinValue<1>, IntMaxValue<127>]>>:$salient_range);
  let results = (outs 4DTensorOf<[I8]>:$values, 3DTensorOf<[F32]>:$scales);
  let assemblyFormat = [{
    $source `block` `(` $block `)` (`range` `(` $range^ `)`)?
    (`center` $center^)?
    (`salient` `(` $salient^ `salient_range` `(` $salient_range `)` `)`)?
    attr-dict `:` type($source) (`,` type($salient)^)? `->` type($values)
    `,` type($scales)
  }];
  let hasVerifier = 1;
}

def AttnTile_DequantizeOp : AttnTile_Op<"dequantize", [Pure]> {
  let summary = "An i8 or FP8 [B, H, N, D] tensor times its token-block scales, in f32";
  let description = [{
    `result[b, h, t, x] = f32(max(source[b, h, t, x], -127)) *
    scales[b', h', t / block]` (one f32 rounding per element), where
    extent-1 dimensions of `scales` broadcast; without `scales` the factor
    is 1. With `channels`, `scales` is `[B|1, H|1, D]` and element
    `x` reads `scales[b', h', x]` (`block` is then 1): a value cache
    quantized per channel. -128 is read as -127, as `load_quantized` reads it. Computed once
    per call, before the work items (O(N D)): the key of
    `#attn.quantized_qk<keys_only>`, scored against the float query by
    the float kernels.

    An `f8E4M3FN` or `f8E5M2` source (pre-quantized FP8 Q or K) is decoded
    exactly to f32 from its bit pattern (subnormals, NaN and, for e5m2,
    infinities included; the CPU has no FP8 arithmetic) and multiplied by
    its scale: the Q and K of `#attn.quantized_qk<scheme = fp8_*>`.

    ```mlir
    %kf = attn_tile.dequantize %kq scales(%ks block 64)
        : tensor<?x?x?x?xi8>, tensor<?x?x?xf32> -> tensor<?x?x?x?xf32>
    %qf = attn_tile.dequantize %q8 scales(%qs block 1)
        : tensor<?x?x?x?xf8E4M3FN>, tensor<?x?x?xf32> -> tensor<?x?x?x?xf32>
    %vf = attn_tile.dequantize %v8 scales(%vs block 1) channels
        : tensor<?x?x?x?xi8>, tensor<?x?x?xf32> -> tensor<?x?x?x?xf32>
    ```
  }];
  let arguments = (ins 4DTensorOf<[I8, F8E4M3FN, F8E5M2]>:$source,
                       Optional<3DTensorOf<[F32, F16, BF16]>>:$scales,
                       DefaultValuedAttr<ConfinedAttr<I64Attr, [IntPositive]>,
                                         "1">:$block,
                       UnitAttr:$channels);
  let results = (outs 4DTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $source (`scales` `(` $scales^ `block` $block `)`)? (`channels` $channels^)?
    attr-dict
    `:` type($source) (`,` type($scales)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def AttnTile_QuantizeFP8Op : AttnTile_Op<"quantize_fp8", [Pure]> {
  let summary = "FP8 quantization of a [B, H, N, D] tensor per block of tokens, held dequantized in f32";
  let description = [{
    The compiler's FP8 Q and K (`#attn.quantized_qk<scheme = fp8_e4m3 |
    fp8_e5m2>`): per (b, h, token block `c`) of `block` tokens (the last
    block may be shorter), with `x` the source widened to f32 (minus the
    token mean with `center`, as in `attn_tile.quantize`) and `F` the
    format's largest finite value (448 for e4m3, the default; 57344 with
    `e5m2`): `s = absmax(x over the block's tokens and all D) / F` (f32; a
    NaN propagates) and `result[b, h, t, :] = fp8(x / s) * s` in f32, with
    `fp8` as in `attn_tile.fp8_channels` (nearest, ties to even,
    saturating, subnormals kept) and a NaN quotient (a zero block, or a NaN
    element) giving 0. Emulated in f32 arithmetic. Computed once per call,
    before the work items (O(N D)).

    ```mlir
    %kf = attn_tile.quantize_fp8 %k block(64) center
        : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
    %qf = attn_tile.quantize_fp8 %q block(1) e5m2
        : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
    ```
  }];
  let arguments = (ins 4DTensorOf<[F32, F16, BF16]>:$source,
                       ConfinedAttr<I64Attr, [IntPositive]>:$block,
                       UnitAttr:$center, UnitAttr:$e5m2);
  let results = (outs 4DTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $source `block` `(` $block `)` (`center` $center^)? (`e5m2` $e5m2^)?
    attr-dict `:` type($source) `->` type($result)
  }];
  let hasVerifier = 1;
}

def AttnTile_SequenceMapOp : AttnTile_Op<"sequence_map", [Pure]> {
  let summary = "A key feature map over the whole key sequence of a [B, H, N, D] tensor";
  let description = [{
    The key maps of `#attn.feature_map<..., keys = sequence_softmax |
    sequence_scale>`, once per call before the work items, with `x` the
    source widened to f32, per (b, h, channel `c`) over all `N` tokens:

    * `sequence_softmax`: `result[b, h, t, c] = exp(x[b, h, t, c] - m) / s`
      with `m` the channel's maximum (f32) and `s = sum_u exp(x[b, h, u, c]
      - m)` summed in f64 in token order, rounded to f32 (Efficient
      Attention's `rho_k`);
    * `sequence_scale`: `result = x / N` (f32).

    The key tiles of the work items are loaded from the result.

    ```mlir
    %pk = attn_tile.sequence_map %k map(<identity, keys = sequence_softmax>)
        : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
    ```
  }];
  let arguments = (ins 4DTensorOf<[F32, F16, BF16]>:$source,
                       Attn_FeatureMapAttr:$map);
  let results = (outs 4DTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $source `map` `(` $map `)` attr-dict `:` type($source) `->` type($result)
  }];
  let hasVerifier = 1;
}

def AttnTile_KeyWeightsOp : AttnTile_Op<"key_weights", [Pure]> {
  let summary = "Keys weighted from all the queries and keys of a head (RALA, Flowformer)";
  let description = [{
    The key maps of `#attn.feature_map<PHI, keys = query_weighted | flow>`,
    once per call before the work items. With `phi` the elementwise query
    map `PHI` applied to Q `[B, Hq, Nq, D]` and K `[B, Hk, Nk, D]` (widened
    to f32), for each (b, query head h) and its key head
    `hk = h / (Hq / Hk)`, all `Nq` queries and `Nk` keys:

    * `query_weighted`: `q_bar = (1 / Nq) sum_i phi(q_i)`, `u_j = q_bar .
      phi(k_j) / sqrt(D)`, `keys[b, h, j] = Nk * exp(u_j - max u) /
      sum_t exp(u_t - max u) * phi(k_j)`;
    * `flow`: `I_i = phi(q_i) . sum_j phi(k_j)`, `O_j = phi(k_j) . sum_i
      phi(q_i)`, `I'_i = phi(q_i) . sum_j phi(k_j) / O_j`, `O'_j =
      clamp(phi(k_j) . sum_i phi(q_i) / I_i, -1, 1)`, `keys[b, h, j] = Nk *
      softmax_j(O'_j) * phi(k_j)`, and the second result `row_gate[b, h,
      i] = sigmoid(I'_i * Nq / Nk) / I_i`.

    Sums over tokens are in f64 in token order, rounded to f32; dot products
    over the `D` channels in f32. The key tiles of the work items load the
    result unmapped at the query head, and `row_gate` is the finalization's
    gate.

    ```mlir
    %kw, %g = attn_tile.key_weights %q, %k map(<sigmoid, keys = flow>)
        : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
          -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
    ```
  }];
  let arguments = (ins 4DTensorOf<[F32, F16, BF16]>:$query,
                       4DTensorOf<[F32, F16, BF16]>:$key,
                       Attn_FeatureMapAttr:$map);
  let results = (outs 4DTensorOf<[F32]>:$keys,
                      Optional<3DTensorOf<[F32]>>:$row_gate);
  let assemblyFormat = [{
    $query `,` $key `map` `(` $map `)` attr-dict `:` type($query) `,`
    type($key) `->` type($keys) (`,` type($row_gate)^)?
  }];
  let hasVerifier = 1;
}

def AttnTile_CenterOp : AttnTile_Op<"center", [Pure]> {
  let summary = "A [B, H, N, D] tensor minus its token means, per block of tokens or over all";
  let description = [{
    Q and K smoothing before quantization (`#attn.quantized_qk<smooth_q>`,
    and `smooth_k` when Q is smoothed too), with `x` the source widened to
    f32: per (b, h, channel), the mean over each block of `block`
    consecutive tokens (the last one may be shorter; without `block`, over
    all `N` tokens), summed in f64 in token order and rounded to f32, is
    written to every token of the block,
    `means[b, h, t, x] = f32(sum_{u in block(t)} f64(x[b, h, u, x]) / count)`,
    and `residual = x - means` in f32 (bit for bit what
    `attn_tile.quantize ... center` subtracts). Computed once per call.

    ```mlir
    %r, %m = attn_tile.center %q block(32)
        : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
    ```
  }];
  let arguments = (ins 4DTensorOf<[F32, F16, BF16]>:$source,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$block);
  let results = (outs 4DTensorOf<[F32]>:$residual, 4DTensorOf<[F32]>:$means);
  let assemblyFormat = [{
    $source (`block` `(` $block^ `)`)? attr-dict
    `:` type($source) `->` type($residual) `,` type($means)
  }];
  let hasVerifier = 1;
}

def AttnTile_QuantizeChannelsOp : AttnTile_Op<"quantize_channels", [Pure]> {
  let summary = "Symmetric INT8 quantization of a [B, H, N, D] tensor per channel";
  let description = [{
    The values of quantized P V (`#attn.quantized_qk<pv = int8>`): per
    (b, h, channel `c`) over all `N` tokens, with `x` the source widened
    to f32, `scales[b, h, c] = absmax(x[b, h, :, c]) / 127` (f32; a NaN
    propagates) and `values[b, h, t, c] = clamp(roundeven(x / scales[b, h,
    c]), -127, 127)` with the f32 quotient; a NaN quotient (a zero
    channel, or a NaN element) gives 0. Computed once per call, before the
    work items.

    ```mlir
    %vq, %vs = attn_tile.quantize_channels %v
        : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xi8>, tensor<?x?x?xf32>
    ```
  }];
  let arguments = (ins 4DTensorOf<[F32, F16, BF16]>:$source);
  let results = (outs 4DTensorOf<[I8]>:$values, 3DTensorOf<[F32]>:$scales);
  let assemblyFormat = [{
    $source attr-dict `:` type($source) `->` type($values) `,` type($scales)
  }];
  let hasVerifier = 1;
}

def AttnTile_FP8ChannelsOp : AttnTile_Op<"fp8_channels", [Pure]> {
  let summary = "V rounded to FP8 per channel scale, held dequantized in f32";
  let description = [{
    The values of FP8 P V (`#attn.quantized_qk<pv = fp8_e4m3 | fp8_e5m2>`):
    per (b, h, channel `c`) over all `N` tokens, with `x` the source widened
    to f32 and `F` the format's largest finite value (448 for e4m3, the
    default; 57344 with `e5m2`), `s = absmax(x[b, h, :, c]) / F` (f32; a NaN
    propagates) and `result[b, h, t, c] = fp8(x / s) * s` in f32, where
    `fp8` rounds to the format (nearest, ties to even, saturating to
    `[-F, F]`, subnormals kept) and a NaN quotient (a zero channel, or a
    NaN element) gives 0. Emulated in f32 arithmetic (no FP8 type is
    involved). Computed once per call.

    ```mlir
    %vf = attn_tile.fp8_channels %v e5m2
        : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
    ```
  }];
  let arguments = (ins 4DTensorOf<[F32, F16, BF16]>:$source, UnitAttr:$e5m2);
  let results = (outs 4DTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $source (`e5m2` $e5m2^)? attr-dict `:` type($source) `->` type($result)
  }];
  let hasVerifier = 1;
}

def AttnTile_RoundFP8Op : AttnTile_Op<"round_fp8", [Pure,
    AllTypesMatch<["weights", "result"]>]> {
  let summary = "Softmax weights in [0, 1] rounded to FP8 at the fixed scale F";
  let description = [{
    `result[i, j] = fp8(F * weights[i, j]) / F` in f32 (`F` = 448 for e4m3,
    the default, 57344 with `e5m2`; `fp8` as in `attn_tile.fp8_channels`):
    the weights of FP8 P V, each key tile's `exp(s - m_t)` before
    `attn_tile.accumulate`. Emulated in f32 arithmetic.

    ```mlir
    %w8 = attn_tile.round_fp8 %w : tensor<32x64xf32>
    ```
  }];
  let arguments = (ins AttnTile_F32Tile2D:$weights, UnitAttr:$e5m2);
  let results = (outs AttnTile_F32Tile2D:$result);
  let assemblyFormat = [{
    $weights (`e5m2` $e5m2^)? attr-dict `:` type($weights)
  }];
}

def AttnTile_SignOp : AttnTile_Op<"sign", [Pure]> {
  let summary = "The signs of a [B, H, N, D] tensor as i8 +1/-1";
  let description = [{
    `result = source < 0 ? -1 : +1` elementwise (0, -0 and NaN give +1):
    the 1-bit Q and K of BinaryAttention, whose dot product is
    `D - 2 * popcount(bits(q) xor bits(k))`. Computed once per call.

    ```mlir
    %qs = attn_tile.sign %q : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xi8>
    ```
  }];
  let arguments = (ins 4DTensorOf<[F32, F16, BF16]>:$source);
  let results = (outs 4DTensorOf<[I8]>:$result);
  let assemblyFormat = "$source attr-dict `:` type($source) `->` type($result)";
  let hasVerifier = 1;
}

def AttnTile_RotateOp : AttnTile_Op<"rotate", [Pure]> {
  let summary = "Rows of a [B, H, N, D] tensor times a [Hr, D, R] matrix per head";
  let description = [{
    `result[b, h, t, y] = f32(sum_x f64(source[b, h, t, x]) *
    f64(rotation[r, x, y]))` with `r = h / (H / Hr)` (0 when `Hr` is 1),
    the sum in channel order: each product of two f32 values is exact in
    f64 and the sum is rounded once, so an FMA gives the same bits (the
    reference's arithmetic). The rotation of quantized Q K^T (OSCAR,
    `R = D`), and the projections of a `low_rank` score term (BiPFT, any
    `R`), computed once per call, before the work items (O(N D R) per
    head).

    ```mlir
    %qr = attn_tile.rotate %q, %r : tensor<?x?x?x?xbf16>, tensor<?x?x?xf32> -> tensor<?x?x?x?xf32>
    ```
  }];
  let arguments = (ins 4DTensorOf<[F32, F16, BF16]>:$source,
                       3DTensorOf<[F32, F16, BF16]>:$rotation);
  let results = (outs 4DTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $source `,` $rotation attr-dict `:` type($source) `,` type($rotation)
    `->` type($result)
  }];
  let hasVerifier = 1;
}

def AttnTile_UnpackInt4Op : AttnTile_Op<"unpack_int4", [Pure]> {
  let summary = "Pre-quantized i4 Q or K [B, H, N, D] into i8 lanes";
  let description = [{
    `result[b, h, t, x]` is the signed 4-bit value of channel `x` of the
    source, one per i8 lane, with -8 read as -7 (the symmetric range of
    `scheme = int4`; the runner and the reference refuse -8). The source is
    either the `i4` operand of the spec (`[B, H, N, D]`) or, after
    `attn-pack-int4-arguments`, its packed bytes `[B, H, N, D / 2]` (`i8`):
    channel `x` is the low nibble of byte `x / 2` for even `x`, the high
    nibble for odd `x`, in two's complement. Computed once per call, before
    the work items (O(N D)).

    ```mlir
    %kq = attn_tile.unpack_int4 %k : tensor<?x?x?x?xi4> -> tensor<?x?x?x?xi8>
    %kq = attn_tile.unpack_int4 %kbytes : tensor<1x2x64x8xi8> -> tensor<1x2x64x16xi8>
    ```
  }];
  let arguments = (ins 4DTensorOf<[I<4>, I8]>:$source);
  let results = (outs 4DTensorOf<[I8]>:$result);
  let assemblyFormat = "$source attr-dict `:` type($source) `->` type($result)";
  let extraClassDeclaration = [{
    /// Whether the source holds two values per byte (packed i8).
    bool isPacked() {
      return getSource().getType().getElementType().isInteger(8);
    }
  }];
  let hasVerifier = 1;
}

def AttnTile_LoadQuantizedOp : AttnTile_Op<"load_quantized", [Pure]> {
  let summary = "Rows of one head of an i8 tensor and their dequantization scales";
  let description = [{
    `values[r, x] = max(source[batch, head, row + r, x], -127)` and
    `row_scales[r] = scales[batch', head', (row + r) / block]` for `r` in
    `[0, R)`, where extent-1 dimensions of `scales` broadcast (`batch'`,
    `head'` are 0 there, and a token extent of 1 is one scale for all
    tokens). Without `scales` every row scale is 1. Rows outside `[0, N)`
    read value 0 and scale 0. -128 is read as -127 (the symmetric range;
    the runner and the reference refuse it).

    ```mlir
    %kt, %ks = attn_tile.load_quantized %kq[%b, %hk, %k0] scales(%s block 64)
        : tensor<?x?x?x?xi8>, tensor<?x?x?xf32> -> tensor<64x?xi8>, tensor<64xf32>
    ```
  }];
  let arguments = (ins 4DTensorOf<[I8]>:$source, Index:$batch, Index:$head,
                       Index:$row, Optional<3DTensorOf<[F32, F16, BF16]>>:$scales,
                       DefaultValuedAttr<ConfinedAttr<I64Attr, [IntPositive]>,
                                         "1">:$block);
  let results = (outs 2DTensorOf<[I8]>:$values, AttnTile_F32Rows:$row_scales);
  let assemblyFormat = [{
    $source `[` $batch `,` $head `,` $row `]`
    (`scales` `(` $scales^ `block` $block `)`)? attr-dict
    `:` type($source) (`,` type($scales)^)? `->` type($values) `,` type($row_scales)
  }];
  let hasVerifier = 1;
}

def AttnTile_QuantizedScoresOp : AttnTile_Op<"quantized_scores", [Pure]> {
  let summary = "The score tile of quantized rows: scale * sq * sk * (Q K^T in i32)";
  let description = [{
    `result[i, j] = f32(dot) * q_scales[i] * k_scales[j] * scale` with
    `dot = sum_x i32(query[i, x]) * i32(key[j, x])` accumulated exactly in
    i32: with values in `[-127, 127]`, `|dot| <= D * 127^2 < 2^31` for
    `D <= 133144` (the verifier refuses a larger static `D`; the spec's
    verifier has already refused it for every shape the runner compiles).
    With `plus`, `result[i, j] += plus[i, j]` after the product (in f32):
    the float correction of Q smoothing, `scale * qm . k'`.

    ```mlir
    %s = attn_tile.quantized_scores %qt, %kt rows(%qs, %ks) scale %scale
        : tensor<32x?xi8>, tensor<64x?xi8>, tensor<32xf32>, tensor<64xf32>
          -> tensor<32x64xf32>
    %t = attn_tile.quantized_scores %qt, %kt rows(%qs, %ks) scale %scale
        plus %c : tensor<32x?xi8>, tensor<64x?xi8>, tensor<32xf32>,
        tensor<64xf32>, tensor<32x64xf32> -> tensor<32x64xf32>
    ```
  }];
  let arguments = (ins 2DTensorOf<[I8]>:$query, 2DTensorOf<[I8]>:$key,
                       AttnTile_F32Rows:$q_scales, AttnTile_F32Rows:$k_scales,
                       F32:$scale, Optional<AttnTile_F32Tile2D>:$plus);
  let results = (outs AttnTile_F32Tile2D:$result);
  let assemblyFormat = [{
    $query `,` $key `rows` `(` $q_scales `,` $k_scales `)` `scale` $scale
    (`plus` $plus^)?
    attr-dict `:` type($query) `,` type($key) `,` type($q_scales) `,`
    type($k_scales) (`,` type($plus)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def AttnTile_DotBytesOp : AttnTile_Op<"dot_bytes", [Pure,
    AllTypesMatch<["acc", "result"]>,
    AllTypesMatch<["unsigned_bytes", "signed_bytes"]>]> {
  let summary = "Per i32 lane: the accumulator plus 4 unsigned-by-signed byte products";
  let description = [{
    `result[l] = acc[l] + sum_{t < 4} zext(unsigned_bytes[4 l + t]) *
    sext(signed_bytes[4 l + t])` in i32, wrapping (AVX512-VNNI
    `vpdpbusd`'s semantics). Not a tile op: the vector code of
    `convert-attn-tile-to-vector`'s quantized Q K^T kernel, which the
    portable lowering leaves alone. `attn-lower-int8-dot` turns it into
    `vpdpbusd` or portable vector code after bufferization; it stays a pure
    op until then because buffer deallocation refuses
    `llvm.call_intrinsic` (its memory effects are unknown).

    ```mlir
    %r = attn_tile.dot_bytes %acc, %keys, %query : vector<64xi8> -> vector<16xi32>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I32]>:$acc,
                       VectorOfRankAndType<[1], [I8]>:$unsigned_bytes,
                       VectorOfRankAndType<[1], [I8]>:$signed_bytes);
  let results = (outs VectorOfRankAndType<[1], [I32]>:$result);
  let assemblyFormat = [{
    $acc `,` $unsigned_bytes `,` $signed_bytes attr-dict
    `:` type($unsigned_bytes) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Pooling and selection
//===----------------------------------------------------------------------===//

def AttnTile_PoolKeysOp : AttnTile_Op<"pool_keys", [Pure]> {
  let summary = "The pooled key of every block of every (batch, key head)";
  let description = [{
    `result[b, h, c, x] = pool(key[b, h, j, x] for j in [c * block,
    min((c + 1) * block, N)))` with the `block` and `pool` of the
    selection: `mean` or `sum` over the block's actual keys (the last
    block may be partial), `max` or `min` elementwise; a NaN element
    propagates. With several pools (`pool = [max, min, mean]`) the pooled
    key is their concatenation in the order written,
    `result[b, h, c, p * D + x]` for pool `p`, `P * D` wide. The
    result has `ceil(N / block)` blocks. Computed once per call, before the
    work items, which read it. With `proxy_heads` the `groups` operand (the
    proxy head count `G`) is required and the result has one entry per
    group: the mean of the pooled keys of heads `[g * G', (g + 1) * G')`,
    `G' = H / groups`.

    ```mlir
    %kbar = attn_tile.pool_keys %k
        selection(<block = 64, k = 3, pool = mean>)
        : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
    ```
  }];
  let arguments = (ins 4DTensorOf<[F32, F16, BF16]>:$key,
                       Optional<Index>:$groups,
                       Attn_TopKBlocksAttr:$selection);
  let results = (outs 4DTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $key (`groups` $groups^)? `selection` `(` $selection `)` attr-dict
    `:` type($key) `->` type($result)
  }];
  let hasVerifier = 1;
}

def AttnTile_PoolQueriesOp : AttnTile_Op<"pool_queries", [Pure]> {
  let summary = "The mean query of every query block of every (batch, head)";
  let description = [{
    `result[b, h, r, x] = mean(query[b, h, i, x] for i in [r * q_block,
    min((r + 1) * q_block, N)))` with the `q_block` of a per-query-block
    selection: over the block's actual queries (the last block may be
    partial); a NaN element propagates. The result has `ceil(N / q_block)`
    blocks. Computed once per call, before the work items: a query block
    may straddle query tiles, and every row of it must read the same gate
    query. With `head_group` the `groups` operand (the key heads, or the
    `proxy_heads`) is required and the result has one entry per group: the mean of the
    pooled queries of heads `[g * G, (g + 1) * G)`, `G = H / groups`.

    ```mlir
    %qbar = attn_tile.pool_queries %q
        selection(<block = 64, k = 3, pool = mean, q_block = 64>)
        : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
    %qgroup = attn_tile.pool_queries %q groups %hk
        selection(<block = 64, k = 3, pool = mean, q_block = 64,
                   head_group = true>)
        : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
    ```
  }];
  let arguments = (ins 4DTensorOf<[F32, F16, BF16]>:$query,
                       Optional<Index>:$groups,
                       Attn_TopKBlocksAttr:$selection);
  let results = (outs 4DTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $query (`groups` $groups^)? `selection` `(` $selection `)` attr-dict
    `:` type($query) `->` type($result)
  }];
  let hasVerifier = 1;
}

def AttnTile_ProjectPooledOp : AttnTile_Op<"project_pooled", [Pure]> {
  let summary = "Pooled rows times a learned projection per head";
  let description = [{
    `result[b, h, n, g] = sum_x pooled[b, h, n, x] * weight[w, x, g]` with
    `w = h`, or 0 when the weight's first extent is 1 (one projection for
    all heads): the learned gate of a selection (`gate = learned`,
    SeerAttention's AttnGate) projects the pooled keys by `Wk` and the
    pooled queries by `Wq` to the gate width `Dg`. Computed once per call,
    before the work items, so that `attn_tile.select_blocks` reads the
    projected rows (`[B, Hk, blocks, Dg]` for the keys).

    ```mlir
    %kg = attn_tile.project_pooled %kbar, %wk
        : tensor<?x?x?x?xf32>, tensor<?x?x?xbf16> -> tensor<?x?x?x?xf32>
    ```
  }];
  let arguments = (ins 4DTensorOf<[F32]>:$pooled,
                       3DTensorOf<[F32, F16, BF16]>:$weight);
  let results = (outs 4DTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $pooled `,` $weight attr-dict `:` type($pooled) `,` type($weight)
    `->` type($result)
  }];
  let hasVerifier = 1;
}

def AttnTile_SelectBlocksOp : AttnTile_Op<"select_blocks", [
    Pure, AttrSizedOperandSegments]> {
  let summary = "The key blocks each query row of a tile selects";
  let description = [{
    For row `r` of the query tile at `query_start`, the blocks that
    `#attn.topk_blocks` selects (see its description: gates, eligible
    blocks, always-kept blocks, ranking, top-k / threshold / cumulative
    mass): `members[r, c]` is true for a selected block. Per token the
    gate query is `query[r]` and the aligned position is
    `p = query_start + r + key_length - query_length`. Per query block
    (`q_block > 0`) the `queries` operand is required: the gate query is
    `queries[batch, query_head, (query_start + r) / q_block]` (from
    `attn_tile.pool_queries`; `query_head` is the key head with
    `head_group`) and the positions are those of the row's
    query block, so the rows of a query block select the same blocks.
    With a learned gate (`gate = learned`) `pooled` and `queries` are the
    projected rows (`attn_tile.project_pooled`, width `Dg`): the gate is
    their dot product, the masses scale it by `1 / sqrt(Dg)`, and the query
    tile gives only the rows' positions.
    Rows past `query_length` select nothing; with `select_queries`, neither
    does a row whose own block (`floor(p / block)`, none when `p < 0`) is
    not among its selected blocks. `visited[c]` is true when any
    row selects block `c`: the key tiles the query tile must visit.
    With `gates(%g)` (per token, one pool, no learned gate) the gates are
    given: `g[r, c]` must be `query[r] . pooled[batch, head, c]` for the
    blocks `c` (extra columns are ignored), computed by the caller as score
    tiles (the CPU vector kernels); otherwise the op computes them. A
    given gate per query block (`gate = given`, `q_block > 0`) takes no
    pooled queries: `g[r, c]` is the caller's score of block `c` for the
    query block of row `r`, and `query` a column of ones (the masses
    scale by `1 / sqrt(1)`).

    ```mlir
    %members, %visited = attn_tile.select_blocks %qt, %kbar[%b, %hk]
        at %q0 lengths(%nq, %nk) selection(<block = 64, k = 3, pool = mean>)
        : tensor<32x?xf32>, tensor<?x?x?x?xf32>
          -> tensor<32x?xi1>, tensor<?xi1>
    ```
  }];
  let arguments = (ins AttnTile_F32Tile2D:$query, 4DTensorOf<[F32]>:$pooled,
                       Index:$batch, Index:$head,
                       Optional<4DTensorOf<[F32]>>:$queries,
                       Optional<Index>:$query_head,
                       Optional<AttnTile_F32Tile2D>:$gates,
                       Index:$query_start,
                       Index:$query_length, Index:$key_length,
                       Attn_TopKBlocksAttr:$selection);
  let results = (outs 2DTensorOf<[I1]>:$members, 1DTensorOf<[I1]>:$visited);
  let assemblyFormat = [{
    $query `,` $pooled `[` $batch `,` $head `]`
    (`queries` $queries^ `[` $query_head `]`)?
    (`gates` `(` $gates^ `:` type($gates) `)`)?
    `at` $query_start
    `lengths` `(` $query_length `,` $key_length `)`
    `selection` `(` $selection `)` attr-dict
    `:` type($query) `,` type($pooled) (`,` type($queries)^)?
    `->` type($members) `,` type($visited)
  }];
  let hasVerifier = 1;
}

def AttnTile_KeepSelectedOp : AttnTile_Op<"keep_selected", [
    Pure, AllTypesMatch<["scores", "result"]>]> {
  let summary = "Excludes the entries whose key block the row did not select";
  let description = [{
    Entry `(r, c)` of the score tile at key `key` passes unchanged when
    `key + c < key_length` and `members[r, (key + c) / block]` (the output
    of `attn_tile.select_blocks`); otherwise it becomes `-inf`, like an
    entry the mask excludes.

    ```mlir
    %s2 = attn_tile.keep_selected %s, %members at %k0 length %nk block 64
        : tensor<32x64xf32>, tensor<32x?xi1>
    ```
  }];
  let arguments = (ins AttnTile_F32Tile2D:$scores, 2DTensorOf<[I1]>:$members,
                       Index:$key, Index:$key_length, I64Attr:$block);
  let results = (outs AttnTile_F32Tile2D:$result);
  let assemblyFormat = [{
    $scores `,` $members `at` $key `length` $key_length `block` $block
    attr-dict `:` type($scores) `,` type($members)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Regrouped selections: the queries of a key block, gathered by index
//===----------------------------------------------------------------------===//

def AttnTile_BlockRowsOp : AttnTile_Op<"block_rows", [Pure]> {
  let summary = "The rows that select a key block, as an index list";
  let description = [{
    The regrouped form of a per-token selection (MoBA's and FlashMoBA's
    kernels) attends, per key block, the queries that selected it. This op
    builds that list from the `members` flags of the selection (one row per
    query, one column per key block, as `attn_tile.select_blocks` writes
    them, as i1 or as i8 bytes, nonzero for a member): `rows[0 .. count)`
    are the rows `r >= first` (and below the
    members' first extent) with `members[r, block]` set, in increasing
    order; `rows[count ..)` are unspecified (never read: the gathers take
    `count`). `first` lets the caller leave out rows for which the block is
    the current one (those attend it contiguously, under the causal mask);
    a negative `first` is 0. `rows` has the members' first extent.

    ```mlir
    %rows, %count = attn_tile.block_rows %members column %c from %first
        : tensor<?x?xi1> -> tensor<?xindex>
    ```
  }];
  let arguments = (ins 2DTensorOf<[I1, I8]>:$members, Index:$block,
                       Index:$first);
  let results = (outs 1DTensorOf<[Index]>:$rows, Index:$count);
  let assemblyFormat = [{
    $members `column` $block `from` $first attr-dict
    `:` type($members) `->` type($rows)
  }];
  let hasVerifier = 1;
}

def AttnTile_GatherRowsOp : AttnTile_Op<"gather_rows", [
    Pure, AttrSizedOperandSegments]> {
  let summary = "Rows of a tensor read through an index list, as an f32 tile";
  let description = [{
    A tile load with an index indirection:
    `result[r, x] = source[batch, head, rows[start + r], x]` (a 4-D source,
    `[B, H, N, D]`, with `batch` and `head`), `source[rows[start + r], x]`
    (a 2-D source `[N, D]`), or `result[r] = source[rows[start + r]]` (a
    1-D source `[N]`, a 1-D result), widened to f32, for the `r` with
    `start + r < count`; the other rows (the padding of the last gathered
    tile) read as 0. `rows` is an index list such as `attn_tile.block_rows`
    builds; its entries below `count` must be inside `[0, N)`. The regrouped
    selection gathers the query rows that selected a key block (a 4-D
    source) and their running row statistics and accumulators (1-D and 2-D
    sources), which `attn_tile.scatter_rows` writes back.

    ```mlir
    %qt = attn_tile.gather_rows %q[%b, %h] rows %rows[%g0] count %n
        : tensor<?x?x?x?xbf16>, tensor<?xindex> -> tensor<64x128xf32>
    %mt = attn_tile.gather_rows %max rows %rows[%g0] count %n
        : tensor<?xf32>, tensor<?xindex> -> tensor<64xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32, F16, BF16]>:$source,
                       Optional<Index>:$batch, Optional<Index>:$head,
                       1DTensorOf<[Index]>:$rows, Index:$start,
                       Index:$count);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $source (`[` $batch^ `,` $head `]`)? `rows` $rows `[` $start `]`
    `count` $count attr-dict
    `:` type($source) `,` type($rows) `->` type($result)
  }];
  let hasVerifier = 1;
}

def AttnTile_ScatterRowsOp : AttnTile_Op<"scatter_rows", [
    Pure, AllTypesMatch<["dest", "result"]>]> {
  let summary = "Rows of a tile written back through an index list";
  let description = [{
    The inverse of `attn_tile.gather_rows` on 1-D and 2-D f32 tensors:
    `result` is `dest` with `result[rows[start + r]] = tile[r]` (a whole row
    of a 2-D `dest`) for the `r` with `start + r < count` and `r` below the
    tile's rows; the other rows of `dest` are unchanged. The entries of
    `rows` below `count` must be distinct and inside `dest`.

    ```mlir
    %acc2 = attn_tile.scatter_rows %acct into %acc rows %rows[%g0] count %n
        : tensor<64x128xf32> into tensor<?x128xf32>, tensor<?xindex>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$tile,
                       RankedTensorOf<[F32]>:$dest,
                       1DTensorOf<[Index]>:$rows, Index:$start,
                       Index:$count);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $tile `into` $dest `rows` $rows `[` $start `]` `count` $count attr-dict
    `:` type($tile) `into` type($dest) `,` type($rows)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalization: the online update and the two-pass weights
//===----------------------------------------------------------------------===//

def AttnTile_OnlineUpdateOp : AttnTile_Op<"online_update", [
    Pure, AllTypesMatch<["scores", "weights"]>,
    AllTypesMatch<["max", "sum", "new_max", "new_sum", "alpha"]>]> {
  let summary = "Weights of a score tile and the new row statistics";
  let description = [{
    One step of the online normalization over the key tiles of a row.

    * `softmax` (the default): `new_max = max(max, rowmax(scores))`,
      `alpha = exp(max - o)`, `weights = exp(scores - o)` where the offset
      `o` is `new_max`, or 0 while `new_max` is `-inf` (no kept score yet:
      every weight and `alpha` are then 0, never NaN);
    * a pointwise `normalization` (sigmoid, softplus, relu, identity):
      `weights = f(scores)` (0 for `-inf` scores), `new_max = max`,
      `alpha = 1`;

    and in both cases `new_sum = sum * alpha + rowsum(weights)`. The caller
    rescales its accumulator by `alpha`.
  }];
  let arguments = (ins AttnTile_F32Tile2D:$scores, AttnTile_F32Rows:$max,
                       AttnTile_F32Rows:$sum,
                       OptionalAttr<Attn_NormalizationAttr>:$normalization);
  let results = (outs AttnTile_F32Tile2D:$weights, AttnTile_F32Rows:$new_max,
                      AttnTile_F32Rows:$new_sum, AttnTile_F32Rows:$alpha);
  let assemblyFormat = [{
    $scores `,` $max `,` $sum (`normalization` `(` $normalization^ `)`)?
    attr-dict `:` type($scores) `,` type($max)
  }];
  let hasVerifier = 1;
}

def AttnTile_FinalWeightsOp : AttnTile_Op<"final_weights", [
    Pure, AllTypesMatch<["scores", "weights"]>,
    AllTypesMatch<["max", "sum"]>]> {
  let summary = "Final weights of a score tile from a row's final statistics";
  let description = [{
    The second pass of the two-pass form (a `weight_mod` that must see
    normalized weights): `weights = exp(scores - o) / sum` for softmax (`o`
    the final max, or 0 when it is `-inf`) and `f(scores) / sum` for a
    pointwise normalization with l1; a row whose sum is 0 gets weights 0.
  }];
  let arguments = (ins AttnTile_F32Tile2D:$scores, AttnTile_F32Rows:$max,
                       AttnTile_F32Rows:$sum,
                       OptionalAttr<Attn_NormalizationAttr>:$normalization);
  let results = (outs AttnTile_F32Tile2D:$weights);
  let assemblyFormat = [{
    $scores `,` $max `,` $sum
    (`normalization` `(` $normalization^ `)`)? attr-dict
    `:` type($scores) `,` type($max)
  }];
  let hasVerifier = 1;
}

def AttnTile_WeightModOp : AttnTile_Op<"weight_mod", [
    Pure, IsolatedFromAbove, Attn_SpecRegionHolder,
    AllTypesMatch<["weights", "raw_scores", "result"]>]> {
  let summary = "Applies a spec's weight_mod region to a weight tile";
  let description = [{
    For every entry whose `raw_scores` entry is not `-inf` (a pair the mask
    keeps), `result = weight_mod(w, raw, b, h, i, j, captures...)` with the
    region of `attn.attention`; excluded entries stay 0.
  }];
  let arguments = (ins AttnTile_F32Tile2D:$weights,
                       AttnTile_F32Tile2D:$raw_scores, Index:$batch,
                       Index:$head, Index:$query, Index:$key,
                       Index:$query_length, Index:$key_length,
                       Variadic<AnyRankedTensor>:$captures);
  let results = (outs AttnTile_F32Tile2D:$result);
  let regions = (region SizedRegion<1>:$body);
  let hasRegionVerifier = 1;
  let assemblyFormat = [{
    $weights `,` $raw_scores `at` `(` $batch `,` $head `,` $query `,` $key `)`
    `lengths` `(` $query_length `,` $key_length `)`
    (`captures` `(` $captures^ `:` type($captures) `)`)?
    $body attr-dict `:` type($weights)
  }];
}

//===----------------------------------------------------------------------===//
// Accumulation and the end of a row
//===----------------------------------------------------------------------===//

def AttnTile_AccumulateOp : AttnTile_Op<"accumulate", [
    Pure, AttrSizedOperandSegments, AllTypesMatch<["acc", "result"]>]> {
  let summary = "acc * alpha + P V";
  let description = [{
    `result[i, c] = acc[i, c] * alpha[i] + sum_j weights[i, j] * value[j, c]`
    (without `alpha`: no rescaling). With `excluding(%masked)` (the output
    of `attn_tile.mask`), the pairs whose masked score is `-inf` (excluded
    by the mask, or past the sequence ends) contribute nothing, whatever
    their value row holds: a NaN or infinity in the value row of a key the
    mask excludes never reaches the rows that exclude it, as in the
    reference. Kept pairs multiply by IEEE rules (a kept key's infinite
    value times a weight of 0 is NaN). With `lower_triangular` the weights
    `(i, j)` with `j > i` are excluded as well (a chunk of the causal linear
    form, whose row `i` and key `i` are the same position): a lowering
    need not read them nor their value rows for row `i`.
  }];
  let arguments = (ins AttnTile_F32Tile2D:$weights, AttnTile_F32Tile2D:$value,
                       AttnTile_F32Tile2D:$acc,
                       Optional<AttnTile_F32Rows>:$alpha,
                       Optional<AttnTile_F32Tile2D>:$masked_scores,
                       UnitAttr:$lower_triangular);
  let results = (outs AttnTile_F32Tile2D:$result);
  let assemblyFormat = [{
    $weights `,` $value `into` $acc
    (`rescale` `(` $alpha^ `:` type($alpha) `)`)?
    (`excluding` `(` $masked_scores^ `:` type($masked_scores) `)`)?
    attr-dict `:` type($weights) `,` type($value) `->` type($acc)
  }];
  let hasVerifier = 1;
}

def AttnTile_QuantizedAccumulateOp : AttnTile_Op<"quantized_accumulate", [
    Pure, AllTypesMatch<["acc", "result"]>]> {
  let summary = "acc * alpha + P V with u8 weights and i8 values, i32 sums";
  let description = [{
    `result[i, c] = acc[i, c] * alpha[i] + f32(dot[i, c]) * (scales[c] *
    f32(1 / 255))` (without `alpha`: no rescaling; one f32 rounding per
    step in this order) with
    `dot[i, c] = sum_j u(weights[i, j]) * i32(value[j, c])` exact in i32
    and `u(w) = min(max(roundeven(w * 255), 0), 255)` (NaN gives 0): the
    softmax weights `exp(s - max)` of the tile, in `[0, 1]`, as unsigned
    bytes of fixed scale 1/255. `value` holds the tile's quantized value
    rows (`attn_tile.quantize_channels`, 0 past the sequence) and `scales`
    their channel scales. An excluded pair has weight 0 and an integer
    value: it adds exactly 0, so there is no `excluding` operand.
    `|dot| <= rows(value) * 255 * 127`: the verifier refuses a static key
    extent above 66311, where i32 could overflow.

    ```mlir
    %acc1 = attn_tile.quantized_accumulate %p, %vt scales(%vs) into %acc
        rescale(%alpha : tensor<32xf32>)
        : tensor<32x64xf32>, tensor<64x?xi8>, tensor<?xf32> -> tensor<32x?xf32>
    ```
  }];
  let arguments = (ins AttnTile_F32Tile2D:$weights, 2DTensorOf<[I8]>:$value,
                       AttnTile_F32Rows:$scales, AttnTile_F32Tile2D:$acc,
                       Optional<AttnTile_F32Rows>:$alpha);
  let results = (outs AttnTile_F32Tile2D:$result);
  let assemblyFormat = [{
    $weights `,` $value `scales` `(` $scales `)` `into` $acc
    (`rescale` `(` $alpha^ `:` type($alpha) `)`)?
    attr-dict `:` type($weights) `,` type($value) `,` type($scales)
    `->` type($acc)
  }];
  let hasVerifier = 1;
}

def AttnTile_KeptSumsOp : AttnTile_Op<"kept_sums", [
    Pure, AllTypesMatch<["count", "new_count"]>,
    AllTypesMatch<["value_sum", "new_value_sum"]>]> {
  let summary = "Counts the kept keys of each row and sums their values";
  let description = [{
    The row state of an affine normalization (`subtractive`, `mala`): for
    the entries whose `masked_scores` (the output of `attn_tile.mask`) is
    not `-inf` (the keys the masks keep; padding past the sequence ends is
    `-inf` there),
    `new_count[i] = count[i] + #{j kept}` and
    `new_value_sum[i, c] = value_sum[i, c] + sum_{j kept} value[j, c]`.
    Excluded pairs add nothing, whatever their value row holds.

    ```mlir
    %n1, %vs1 = attn_tile.kept_sums %m, %vt into %n, %vs
        : tensor<32x64xf32>, tensor<64x?xf32> -> tensor<32xf32>, tensor<32x?xf32>
    ```
  }];
  let arguments = (ins AttnTile_F32Tile2D:$masked_scores,
                       AttnTile_F32Tile2D:$value, AttnTile_F32Rows:$count,
                       AttnTile_F32Tile2D:$value_sum);
  let results = (outs AttnTile_F32Rows:$new_count,
                      AttnTile_F32Tile2D:$new_value_sum);
  let assemblyFormat = [{
    $masked_scores `,` $value `into` $count `,` $value_sum attr-dict
    `:` type($masked_scores) `,` type($value) `->` type($count) `,`
    type($value_sum)
  }];
  let hasVerifier = 1;
}

def AttnTile_AffineNormalizeOp : AttnTile_Op<"affine_normalize", [
    Pure, AllTypesMatch<["acc", "value_sum", "result"]>,
    AllTypesMatch<["sum", "count"]>]> {
  let summary = "The affine row correction of pointwise weights";
  let description = [{
    The end of a row under `#attn.normalize<..., subtractive | mala>`, from
    the accumulator `A = sum_j w_ij v_j`, the weight sum `S = sum_j w_ij`,
    the count `N` of kept keys and their value sum `V` (`attn_tile.kept_sums`):

    * `subtractive`: `result = A + (1 - S) / N * V`;
    * `mala`: `result = (1 + N / S) / N * A - S / N^2 * V`.

    A row with `N = 0` (or, for `mala`, `S = 0`) gives 0. The normalization
    attribute must carry the correction.

    ```mlir
    %o = attn_tile.affine_normalize %acc, %sum, %n, %vs
        normalization(#attn.normalize<identity, subtractive>)
        : tensor<32x?xf32>, tensor<32xf32>
    ```
  }];
  let arguments = (ins AttnTile_F32Tile2D:$acc, AttnTile_F32Rows:$sum,
                       AttnTile_F32Rows:$count, AttnTile_F32Tile2D:$value_sum,
                       Attn_NormalizationAttr:$normalization);
  let results = (outs AttnTile_F32Tile2D:$result);
  let assemblyFormat = [{
    $acc `,` $sum `,` $count `,` $value_sum
    `normalization` `(` $normalization `)` attr-dict
    `:` type($acc) `,` type($sum)
  }];
  let hasVerifier = 1;
}

def AttnTile_FoldSinkOp : AttnTile_Op<"fold_sink", [
    Pure, AllTypesMatch<["max", "sum", "new_max", "new_sum", "acc_scale"]>]> {
  let summary = "A sink logit joins each row's softmax normalizer";
  let description = [{
    `new_max = max(max, sink)`, `new_sum = sum * exp(max - o) +
    exp(sink - o)` and `acc_scale = exp(max - o)`, with `o` the new max (0
    when it is `-inf`: the row stays empty). The sink adds to the
    normalizer only, never to the accumulator, which the caller rescales by
    `acc_scale`.
  }];
  let arguments = (ins AttnTile_F32Rows:$max, AttnTile_F32Rows:$sum, F32:$sink);
  let results = (outs AttnTile_F32Rows:$new_max, AttnTile_F32Rows:$new_sum,
                      AttnTile_F32Rows:$acc_scale);
  let assemblyFormat = "$max `,` $sum `,` $sink attr-dict `:` type($max)";
}

def AttnTile_FinalizeOp : AttnTile_Op<"finalize", [
    Pure, AttrSizedOperandSegments,
    AllTypesMatch<["max", "sum"]>]> {
  let summary = "The output rows (and logsumexp) of a finished query tile";
  let description = [{
    `result[i, c] = gate[b, h, query + i(, c)] * E(o)[i, c]` converted to
    the result's element type, with `o[i, c] = acc[i, c] * acc_scale[i] *
    r[i]`, where `r[i] = 1 / sum[i]` with `divide` (0 for an empty row
    whose sum is 0) and 1 without, and a missing `acc_scale` or `gate` is
    1. `E` is the `epilogue` (the identity without one):
    `rms_norm` gives `o[i, c] / sqrt(mean_c' o[i, c']^2 + eps)` over the
    row's columns. The gate tensor is `[B|1, H|1, N|1]` (one factor per
    row) or `[B|1, H|1, N|1, C|1]` (one per element; extents of 1
    broadcast); rows outside `[0, query_length)` read its nearest row (a
    chunk of the linear form may start before row 0; those rows are not
    written). With a second result, it is the logsumexp `max + log(sum)` of
    each row (`-inf` for a row without weight).
  }];
  let arguments = (ins AttnTile_F32Tile2D:$acc, AttnTile_F32Rows:$max,
                       AttnTile_F32Rows:$sum,
                       Optional<AttnTile_F32Rows>:$acc_scale,
                       Optional<AnyRankedTensor>:$gate,
                       Optional<Index>:$batch, Optional<Index>:$head,
                       Optional<Index>:$query, Optional<Index>:$query_length,
                       UnitAttr:$divide,
                       OptionalAttr<Attn_EpilogueAttr>:$epilogue);
  let results = (outs 2DTensorOf<[F32, F16, BF16]>:$result,
                      Optional<AttnTile_F32Rows>:$lse);
  let assemblyFormat = [{
    $acc `,` $max `,` $sum
    (`rescale` `(` $acc_scale^ `:` type($acc_scale) `)`)?
    (`gate` `(` $gate^ `:` type($gate) `at` $batch `,` $head `,` $query
        `,` $query_length `)`)?
    attr-dict `:` type($acc) `,` type($max) `->` type($result)
    (`,` type($lse)^)?
  }];
  let hasVerifier = 1;
}

def AttnTile_MergeOp : AttnTile_Op<"merge", [
    Pure, AllTypesMatch<["maxes", "sums"]>,
    AllTypesMatch<["new_max", "new_sum"]>]> {
  let summary = "Merges the partial results of the splits of the keys";
  let description = [{
    The split-KV form runs the key tiles of a query tile in `S` splits,
    each ending with an unnormalized accumulator and its row statistics;
    this op combines them (the LSE merge): with `M = max_s maxes[s]` (0 as
    the offset while it is `-inf`), `sum = sum_s sums[s] exp(maxes[s] - M)`
    and `acc = sum_s accs[s] exp(maxes[s] - M)`; for a pointwise
    normalization the factors are 1 and the merge is a plain sum. The
    result finalizes like the accumulator of one unsplit loop.
  }];
  let arguments = (ins 3DTensorOf<[F32]>:$accs, 2DTensorOf<[F32]>:$maxes,
                       2DTensorOf<[F32]>:$sums,
                       OptionalAttr<Attn_NormalizationAttr>:$normalization);
  let results = (outs AttnTile_F32Tile2D:$acc, AttnTile_F32Rows:$new_max,
                      AttnTile_F32Rows:$new_sum);
  let assemblyFormat = [{
    $accs `,` $maxes `,` $sums (`normalization` `(` $normalization^ `)`)?
    attr-dict `:` type($accs) `,` type($maxes) `->` type($acc) `,`
    type($new_max)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// The loop over the key tiles of a work item
//===----------------------------------------------------------------------===//

def AttnTile_ForKeyTilesOp : AttnTile_Op<"for_key_tiles", [
    RecursiveMemoryEffects, AttrSizedOperandSegments,
    SingleBlockImplicitTerminator<"::attn::tile::YieldOp">]> {
  let summary = "The loop over the key tiles one query tile visits";
  let description = [{
    Runs the body once per key tile `k0 = 0, tile_kv, 2 tile_kv, ...`
    below `key_length` (with `range(%begin, %end)`: the tiles starting in
    `[begin, end)`, `begin` a multiple of `tile_kv`, one split of the keys
    of the split-KV form), in increasing order, for the query tile starting at
    `query` of a sequence of `query_length` queries of `tile_q` rows,
    threading `inits` through the iterations like `scf.for`. The body's
    block arguments are `(k0 : index, partial : i1, iter_args...)`:
    `partial` is false only for a tile the schedule proves full (every
    entry in range and kept), so that `attn_tile.mask` may skip its
    predicate.

    The schedule is evaluated at run time, on the actual lengths, so one
    program serves every length:

    * without `mask` and `region_masked`, every tile is visited and a tile
      is partial only when it crosses the end of the keys or of the
      queries;
    * with `mask` (the spec's mask attribute), the tile's class under the
      mask's closed form is computed per tile: tiles the mask keeps nothing
      of are skipped, tiles it keeps whole (and inside both sequences) are
      full, the others partial. Position masks (causal, window, sinks,
      chunked, prefix_lm and their and/or/not) are classified exactly; the
      others make every tile partial (sound, nothing skipped);
    * with `layout(%l : type at %b, %h)` (the spec's `block_layout`
      operand), a `#attn.block_sparse` in the mask is classified from the
      layout's flags at the work item's batch and head: tiles whose layout
      blocks are all 0 are not visited (the layout is the run-time tile
      list), tiles whose blocks are all set are full;
    * `region_masked` says that a `mask_fn` region also applies: no tile is
      proven full (the region is not classified at run time);
    * with `selected(%v : type block B)` (the `visited` flags of
      `attn_tile.select_blocks`), a tile that overlaps no block `c` with
      `v[c]` set is not visited: the selection is the run-time tile list.
      The selection does not make a tile full or partial; the body
      excludes the unselected pairs (`attn_tile.keep_selected`).
  }];
  let arguments = (ins Index:$key_length, Index:$query, Index:$query_length,
                       Optional<Index>:$key_begin, Optional<Index>:$key_end,
                       Optional<AnyRankedTensor>:$block_layout,
                       Optional<Index>:$batch, Optional<Index>:$head,
                       Optional<1DTensorOf<[I1]>>:$selected_blocks,
                       Variadic<AnyType>:$inits, I64Attr:$tile_q,
                       I64Attr:$tile_kv,
                       OptionalAttr<Attn_MaskAttrInterface>:$mask,
                       UnitAttr:$region_masked,
                       OptionalAttr<I64Attr>:$selection_block);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `keys` `(` $key_length `)`
    (`range` `(` $key_begin^ `,` $key_end `)`)?
    `queries` `(` $query `,` $query_length `)`
    (`layout` `(` $block_layout^ `:` type($block_layout) `at` $batch `,`
        $head `)`)?
    (`selected` `(` $selected_blocks^ `:` type($selected_blocks) `block`
        $selection_block `)`)?
    (`iter_args` `(` $inits^ `:` type($inits) `)`)?
    attr-dict-with-keyword $body (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Value":$keyLength, "::mlir::Value":$query,
                   "::mlir::Value":$queryLength, "::mlir::ValueRange":$inits,
                   "int64_t":$tileQ, "int64_t":$tileKv,
                   "::attn::MaskAttrInterface":$mask, "bool":$regionMasked)>
  ];
  let extraClassDeclaration = [{
    /// The keys one split visits, when the op has a range.
    void setKeyRange(mlir::Value begin, mlir::Value end);
    /// The block_sparse layout the schedule reads, at the work item's
    /// batch and head.
    void setBlockLayout(mlir::Value layout, mlir::Value batch,
                        mlir::Value head);
    /// The key blocks of a selection (one flag per block of `block` keys):
    /// tiles overlapping none of the set blocks are not visited.
    void setSelectedBlocks(mlir::Value visited, int64_t block);
    mlir::Block &getBodyBlock() { return getBody().front(); }
    mlir::Value getKeyTileStart() { return getBodyBlock().getArgument(0); }
    mlir::Value getPartial() { return getBodyBlock().getArgument(1); }
    mlir::Block::BlockArgListType getRegionIterArgs() {
      return getBodyBlock().getArguments().drop_front(2);
    }
  }];
}

def AttnTile_YieldOp : AttnTile_Op<"yield", [
    Pure, ReturnLike, Terminator,
    HasParent<"ForKeyTilesOp">]> {
  let summary = "Yields the iteration values of attn_tile.for_key_tiles";
  let arguments = (ins Variadic<AnyType>:$values);
  let builders = [
    OpBuilder<(ins), [{ build($_builder, $_state, ::mlir::ValueRange()); }]>
  ];
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

#endif // ATTN_TILE_OPS_TD
