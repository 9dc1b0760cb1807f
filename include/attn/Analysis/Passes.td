//===- Passes.td - attn analysis test passes ---------------*- tablegen -*-===//
#ifndef ATTN_ANALYSIS_PASSES_TD
#define ATTN_ANALYSIS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TestAttnBlockMap : Pass<"test-attn-block-map", "::mlir::ModuleOp"> {
  let summary = "Print the block classification of every attn.attention";
  let description = [{
    For every `attn.attention` in the module (in walk order) and every query
    head, prints the classification of its (q-tile, kv-tile) pairs as a grid,
    one q-tile per line: `.` empty, `#` full, `+` partial, followed by the
    density (fraction of kept elements; `exact` or `upper-bound`). When the
    op is head-invariant the grid is printed once for all heads. The module
    itself is left unchanged. Extents default to the op's static shapes;
    `nq`, `nk` and `heads` override them (and are required for dynamic
    shapes). Output goes to stdout:

    ```
    attn-opt spec.mlir --test-attn-block-map="tile-q=2 tile-kv=2" -o /dev/null
    ```
  }];
  let options = [
    Option<"tileQ", "tile-q", "int64_t", /*default=*/"16",
           "query rows per tile">,
    Option<"tileKv", "tile-kv", "int64_t", /*default=*/"16",
           "keys per tile">,
    Option<"nq", "nq", "int64_t", /*default=*/"0",
           "query length (0: the op's static Nq)">,
    Option<"nk", "nk", "int64_t", /*default=*/"0",
           "key length (0: the op's static Nk)">,
    Option<"heads", "heads", "int64_t", /*default=*/"0",
           "query heads (0: the op's static Hq)">,
    Option<"maxBruteForce", "max-brute-force", "int64_t",
           /*default=*/"65536",
           "largest tile (in elements) enumerated to refine compositions">,
    Option<"exactCounts", "exact-counts", "bool", /*default=*/"false",
           "count kept elements of partial tiles of compositions exactly">,
  ];
}

#endif // ATTN_ANALYSIS_PASSES_TD
