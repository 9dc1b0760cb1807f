//===- Passes.td - tile-level transforms -------------------*- tablegen -*-===//
#ifndef ATTN_TRANSFORMS_PASSES_TD
#define ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnToTile : Pass<"attn-to-tile", "::mlir::func::FuncOp"> {
  let summary = "Build the tile program (attn_tile) of every attn.attention";
  let description = [{
    Rewrites every `attn.attention` into its FlashAttention program in the
    `attn_tile` dialect: an `scf.forall` over the work items (batch, query
    head, query tile of `tile-q` rows) whose body loads the query tile,
    walks the key tiles with `attn_tile.for_key_tiles` (scores, mask, score
    modifications, online update, `P V`) and ends the rows
    (`attn_tile.fold_sink`, `attn_tile.finalize`), inserting the finished
    rows into the output (and logsumexp) with
    `tensor.parallel_insert_slice`.

    The form is decided here, once for every target: one pass over the keys
    (online softmax, or pointwise weights), or two passes when a
    `weight_mod` region must see normalized weights (softmax or l1): the
    first computes the row statistics, the second the final weights, the
    region and `P V`. Head maps, sink logits, the output gate, the bias,
    segment ids, block layouts, ALiBi slopes and region captures are
    carried to the tile ops that read them, so every spec the dialect
    verifies has a tile program. Shapes may be dynamic: the program reads
    the extents with `tensor.dim`.

    With `split-kv` > 1 (one-pass specs), the split-KV form: work items
    (batch, head, query tile, split) each run one range of the key tiles
    into an unnormalized partial result, and a second `scf.forall` merges
    the splits of each query tile (`attn_tile.merge`, the LSE merge) before
    the sink fold and the finalization. It is the decode form (few queries,
    long keys): more work items than query tiles.

    The key-tile schedule is evaluated at run time by
    `attn_tile.for_key_tiles` from the spec's mask attribute.

    A `selection` (`#attn.topk_blocks`) pools the keys once per call
    (`attn_tile.pool_keys`, before the work items), and with `q_block` the
    queries too (`attn_tile.pool_queries`: a query block may straddle query
    tiles); each work item selects the blocks of its query rows
    (`attn_tile.select_blocks`, reading a row's pooled query per query
    block), its key loops
    visit only the tiles that overlap a block some row selected
    (`for_key_tiles ... selected(...)`), and `attn_tile.keep_selected`
    excludes, after the mask, the pairs whose block the row did not
    select. Such specs are not split (`split-kv` is ignored).

    A per-token selection that keeps the current block (no `q_block`,
    `keep_current`), under `#attn.causal` or no mask, with softmax and
    none of mask_fn, score_mod, weight_mod, score mods, bias, ALiBi,
    segment ids, block layout, decay, feature map, quantization or sinks,
    and a `tile-kv` dividing the selection's block, takes the regrouped
    form instead (MoBA's and FlashMoBA's kernels): (1) work items (batch,
    head, query tile) select their rows' blocks and attend the current
    block contiguously (the spec's mask and `#attn.chunked<block>`),
    leaving unnormalized row state; (2) work items (batch, head) run the
    key blocks in order: `attn_tile.block_rows` lists the rows that
    selected the block as a past block, and each gathered query tile
    (`attn_tile.gather_rows`) attends the block's keys whole and continues
    its rows' online state, gathered and scattered back
    (`attn_tile.scatter_rows`); (3) work items (batch, head, query tile)
    finalize. No pair a row did not select is computed, where the union
    form visits every block some row of the query tile selected.

    An affine normalization (`#attn.normalize<..., subtractive | mala>`)
    threads two more values through the key loop, the count of the kept
    keys and the sum of their value rows (`attn_tile.kept_sums`), and
    corrects the accumulator before the finalization
    (`attn_tile.affine_normalize`); such specs are not split either. A row
    `epilogue` and an element-wise (rank-4) `output_gate` are applied by
    `attn_tile.finalize`, in every form.

    Linear attention (the identity normalization, optionally with `l1`,
    `subtractive` or `mala`, under exactly `#attn.causal`, with a
    `feature_map` and/or `decay` or neither, and no bias, score
    modification, region or logsumexp; an output gate and an epilogue are
    applied per chunk) takes the chunked O(N) form when `linear-chunk` > 0: work
    items (batch, head), each walking its keys in order in chunks of
    `linear-chunk` positions with an `scf.for` that carries the state
    `S = sum_j d_j phi(k_j) v_j^T`, its key sum and the output rows. Per
    chunk: the quadratic part inside the chunk with the score-tile ops
    (`scores`, causal `mask`, `decay`, `online_update`, `accumulate`) on top
    of the state's part (`attn_tile.read_state`), `finalize`, then
    `attn_tile.update_state`. An affine normalization carries the value sum
    `[1, Dv]` and the key count `[1]` as the state of the constant feature
    1 (read with a ones query, the chunk's kept keys added by `kept_sums`,
    folded with ones keys, no decay). Non-causal linear attention without
    any mask (the identity normalization, optionally `l1`; no decay, bias,
    score modification, region, sink, affine correction or logsumexp)
    takes the global O(N) form for `linear-chunk` > 0: per (batch, head)
    `update_state` folds every key chunk into one state, then every query
    chunk reads it (`read_state`, `finalize`). Other specs, and
    `linear-chunk` = 0, keep the quadratic form above (which is also the
    one under `split-kv`).

    Feature maps: the elementwise ones are `attn_tile.feature_map` on each
    loaded Q and K tile; `hedgehog` and `taylor2`, which change the feature
    dimension, are `attn_tile.expand_features` (hedgehog with the query
    head's weight and bias). The score tiles are then `phi(Q) phi(K)^T`
    over the `F'` features, and the chunked form's state is `[F' x Dv]`
    and its key sum `[F']` (`F' = 2F` for hedgehog, `1 + D + D^2` for
    taylor2, `D` otherwise). A spec with a key map of its own
    (`#attn.feature_map<Q, keys = K>`) maps each tile with its role's map;
    `softmax` (a row map keeping `D`) is `expand_features`, and the key
    maps over the whole sequence (`sequence_softmax`, `sequence_scale`:
    Efficient Attention) are one `attn_tile.sequence_map` of all the keys
    before the work items, whose result the key tiles load (non-causal:
    never the chunked form).
  }];
  let options = [
    Option<"tileQ", "tile-q", "int64_t", "32",
           "Queries per tile (1-4096; tile-q x tile-kv <= 2^20); an upper "
           "bound: a static query length below it is the tile">,
    Option<"tileKv", "tile-kv", "int64_t", "32", "Keys per tile (1-4096)">,
    Option<"splitKv", "split-kv", "int64_t", "1",
           "Split the key tiles of each query tile into at most this many "
           "ranges run as separate work items, merged by their logsumexp "
           "(1: no split; the count is min(split-kv, key tiles) at run "
           "time; 0: automatic, about 64 first-phase work items, at least 4 "
           "key tiles per split; two-pass specs are not split)">,
    Option<"regroupSelection", "regroup-selection", "bool", "false",
           "Take the regrouped form for the per-token selections it "
           "computes (the CPU pipelines set it; see above)">,
    Option<"linearChunk", "linear-chunk", "int64_t", "64",
           "Positions per chunk of the chunked linear-attention form "
           "(0-1024; 0: the quadratic form)">
  ];
  let dependentDialects = [
    "::attn::tile::AttnTileDialect", "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def PackInt4Arguments : Pass<"attn-pack-int4-arguments", "::mlir::func::FuncOp"> {
  let summary = "Pass i4 arguments as packed bytes, two values per byte";
  let description = [{
    A pre-quantized INT4 query or key (`tensor<B x H x N x D x i4>`, see
    `#attn.quantized_qk`) reaches the compiled function packed: its
    argument becomes `tensor<B x H x N x D/2 x i8>`, channel `x` in the low
    nibble of byte `x / 2` for even `x` and in the high nibble for odd `x`
    (two's complement). This is the calling convention of the runner and
    the JIT (`DType::I4`, `NDArray`): half the bytes of an i8 cache.

    Run after `attn-to-tile`, which reads such an argument only through
    `attn_tile.unpack_int4` (rewired to the packed bytes) and `tensor.dim`
    (rewritten: the head dimension is twice the packed extent). Any other
    user, an odd static head dimension, or a rank-0 i4 argument is a
    located error.
  }];
  let dependentDialects = [
    "::attn::tile::AttnTileDialect", "::mlir::arith::ArithDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def LowerBranches : Pass<"attn-lower-branches", "::mlir::func::FuncOp"> {
  let summary = "Lower attn.merge, attn.gated_sum and attn.pool_blocks to tensor code";
  let description = [{
    The ops that combine the branches of a spec (several `attn.attention`
    ops in one function) and pool keys and values for a branch are not
    part of any attention's tile program: they run once per call, before
    (`attn.pool_blocks`) or after (`attn.merge`, `attn.gated_sum`) the
    branches' work items. Each becomes one `tensor.generate` (bufferized to
    a `linalg.map`, then loops) over its result, computing in f32:

    * `attn.merge`: per row `m = max_k lse_k` (0 as the offset while it is
      `-inf`), `w_k = exp(lse_k - m)`, `out = sum_k w_k out_k / sum_k w_k`
      (0 when the sum is 0: every branch fully masked), and the merged
      logsumexp `m + log(sum_k w_k)` (`-inf` then);
    * `attn.gated_sum`: `sum_k g_k out_k`, a gate dimension of extent 1
      (static, or dynamic and 1 at run time) read at 0;
    * `attn.pool_blocks`: the mean of each block's actual tokens (an
      `scf.for` over the block, f32 sums) and `log(n_c)`.

    Runs in every CPU pipeline before bufferization (after `attn-to-tile`
    or the tiled kernel, before `convert-attn-to-loops`).

    ```mlir
    %o, %l = attn.merge %oa, %ob lse(%la, %lb) : ...
    // becomes
    %o = tensor.generate %b, %h, %n, %d {
    ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
      ... tensor.extract %la[%i0, %i1, %i2], math.exp, arith.divf ...
      tensor.yield %x : f32
    } : tensor<?x?x?x?xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect"
  ];
}

def CopiesToLinalg : Pass<"attn-copies-to-linalg", "::mlir::func::FuncOp"> {
  let summary = "Rewrite memref.copy into vector moves or linalg.copy";
  let description = [{
    memref-to-llvm lowers a `memref.copy` between non-contiguous memrefs
    (a tile into a strided view of a result, after bufferization) to a
    call of the `memrefCopy` runtime function, which neither the JIT nor a
    generated library links. A copy whose last dimension is contiguous on
    both sides (static stride 1) becomes a loop nest over the other
    dimensions around `vector-width`-element vector moves (whole vectors,
    then one masked vector): the tile program's tiles into the output and
    the transposed keys into their buffer, which as scalar loops
    (`linalg.copy` through `convert-linalg-to-loops`, dynamic strides that
    LLVM does not vectorize) cost a few percent of an attention. Other
    copies become `linalg.copy`, a loop nest through
    `convert-linalg-to-loops`. `vector-width=0` keeps every copy a
    `linalg.copy`.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"8",
           "elements per vector move (0: linalg.copy only)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
}

def HoistLoopBuffers : Pass<"attn-hoist-loop-buffers", "::mlir::func::FuncOp"> {
  let summary = "Hoist per-iteration buffers out of sequential loops, not "
                "out of parallel ones";
  let description = [{
    After bufferization, every temporary tile of the tile program's key loop
    (the score tile, the weights, row statistics) is a `memref.alloc` inside
    the loop body: one malloc and free per key tile. This pass moves such an
    allocation before the `scf.for` (or `scf.if`) that holds it, as far out
    as it stays legal, so one buffer serves every iteration:

    * only out of `scf.for` and `scf.if`: never out of `scf.forall` or
      `scf.parallel`, whose iterations run concurrently and need a buffer
      each (upstream `buffer-loop-hoisting` treats every loop alike and
      would share one buffer between threads), nor out of any other region;
    * only a buffer that no iteration passes to the next or out of the loop:
      no alias of it (`BufferViewFlowAnalysis`) is a loop result or a region
      iteration argument, so a fresh allocation per iteration and one reused
      allocation hold the same values wherever they are read;
    * only when the sizes are defined outside the loop.

    Run it after one-shot bufferization and before the deallocation
    pipeline, which then frees each hoisted buffer once, after its loop.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

#endif // ATTN_TRANSFORMS_PASSES_TD
