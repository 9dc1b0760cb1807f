// Routing Transformer (ZOO.md P07): content-based sparse attention by
// online k-means. Queries and keys are assigned to shared centroids; a
// query attends, causally, to the keys of its own cluster. Some heads are
// local (a causal window) instead.
//
// Paper: "Efficient Content-Based Sparse Attention with Routing
//   Transformers" (Roy, Saffar, Vaswani, Grangier), TACL 2021.
// Formula, per batch b and head h, centroids mu_1..mu_C of the head
//   (C about sqrt(N)), updated by online k-means during training:
//     cq_i = argmax_c (q_i / |q_i|) . mu_c        cluster of query i
//     ck_j = argmax_c (k_j / |k_j|) . mu_c        cluster of key j
//     o_i  = softmax_{j <= i, ck_j = cq_i}(q_i . k_j / sqrt(d)) v
//   and on the local heads
//     o_i  = softmax_{i - W < j <= i}(q_i . k_j / sqrt(d)) v
// Parameters: the number of clusters C (the cluster ids' range) and the
//   local window W = 256 [verify: the paper's local attention window and
//   which heads are local, half of them in the paper's models].
// This spec: mask(#attn.causal) and a mask_fn over captured tensors:
//   - %cq [B, Hq, Nq] and %ck [B, Hq, Nk] (i32): the clusters of each
//     query and key of query head h (the assignment argmax is the
//     caller's: the regions have no loop over centroids);
//   - %local [Hq] (i32, 0 or 1): the per-head choice of local attention.
//   keep(b, h, i, j) = local[h] ? p - j < 256 : cq[b, h, i] == ck[b, h, j]
//   with p = i + Nk - Nq the aligned position of query i (the causal
//   mask's convention, so a decode step Nq = 1 sees the last 256 keys).
//   A query whose cluster holds no key at or before it is a fully masked
//   row (0).
// Partial (not expressed):
//   - The balanced routing of the authors' code (each centroid takes the
//     w = N / C nearest queries and keys, so a token can be in several
//     clusters or none, and the results of a token's clusters are
//     combined): the paper's formula above is the argmax assignment.
//   - The sort by cluster that makes the attention O(N^1.5 d): the tile
//     program classifies a region mask as partial everywhere it cannot
//     prove empty, so it visits every causal tile; the output is exact.
//   - The k-means updates and the centroids are the caller's.
func.func @routing_transformer(
    %q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
    %v: tensor<?x?x?x?xf32>,
    %cq: tensor<?x?x?xi32> {attn.name = "query_clusters",
                            attn.dims = ["B", "Hq", "Nq"], attn.range = [0, 3]},
    %ck: tensor<?x?x?xi32> {attn.name = "key_clusters",
                            attn.dims = ["B", "Hq", "Nk"], attn.range = [0, 3]},
    %local: tensor<?xi32> {attn.name = "local_heads", attn.dims = ["Hq"],
                           attn.range = [0, 1]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       captures(%cq, %ck, %local
                : tensor<?x?x?xi32>, tensor<?x?x?xi32>, tensor<?xi32>)
       mask(#attn.causal)
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index,
            %qc: tensor<?x?x?xi32>, %kc: tensor<?x?x?xi32>,
            %loc: tensor<?xi32>):
         %window = arith.constant 256 : index
         %zero = arith.constant 0 : i32
         %ci = tensor.extract %qc[%b, %h, %i] : tensor<?x?x?xi32>
         %cj = tensor.extract %kc[%b, %h, %j] : tensor<?x?x?xi32>
         %same = arith.cmpi eq, %ci, %cj : i32
         %flag = tensor.extract %loc[%h] : tensor<?xi32>
         %is_local = arith.cmpi ne, %flag, %zero : i32
         %p = attn.aligned_query %i : index
         %d = arith.subi %p, %j : index
         %near = arith.cmpi slt, %d, %window : index
         %keep = arith.select %is_local, %near, %same : i1
         attn.yield %keep : i1
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
