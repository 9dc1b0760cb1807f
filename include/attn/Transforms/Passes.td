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
  }];
  let options = [
    Option<"tileQ", "tile-q", "int64_t", "32",
           "Queries per tile (1-4096; tile-q x tile-kv <= 2^20)">,
    Option<"tileKv", "tile-kv", "int64_t", "32", "Keys per tile (1-4096)">,
    Option<"splitKv", "split-kv", "int64_t", "1",
           "Split the key tiles of each query tile into at most this many "
           "ranges run as separate work items, merged by their logsumexp "
           "(1: no split; the count is min(split-kv, key tiles) at run "
           "time; two-pass specs are not split)">
  ];
  let dependentDialects = [
    "::attn::tile::AttnTileDialect", "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def CopiesToLinalg : Pass<"attn-copies-to-linalg", "::mlir::func::FuncOp"> {
  let summary = "Rewrite memref.copy into linalg.copy";
  let description = [{
    memref-to-llvm lowers a `memref.copy` between non-contiguous memrefs
    (a tile into a strided view of a result, after bufferization) to a
    call of the `memrefCopy` runtime function, which neither the JIT nor a
    generated library links. As `linalg.copy` the copy becomes a loop nest
    through `convert-linalg-to-loops`.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

#endif // ATTN_TRANSFORMS_PASSES_TD
