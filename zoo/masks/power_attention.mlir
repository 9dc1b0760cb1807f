// PowerAttention: local window plus keys at power-of-two block distances.
// ZOO.md: M02 `power_attention`.
//
// Paper: "PowerAttention: Exponentially Scaling of Receptive Fields for
//   Effective Sparse Attention", Chen et al., 2025.
// Formula (block granularity, blocks I = floor(i/B), J = floor(j/B),
//   distance t = I - J):
//     keep(i, j) = j <= i and (t < W or t is a power of two)
//   o_i = sum_j softmax_j(q_i . k_j / sqrt(d)) v_j over the kept keys.
//   After d layers a token reaches 2^d blocks back through chains of
//   power-of-two hops (complete and continuous receptive field); each query
//   block reads W + log2(N/B) blocks, about the cost of a sliding window.
// Parameters: B = 64 (block), W = 1 (local window: the query's own block;
//   with causality inside it), scale 1/sqrt(d).
// Choices and [verify] items:
//   - The pattern is ZOO.md's reading ("local window plus positions at
//     power-of-two distances, at block granularity, causal") [verify]: the
//     abstract gives only the receptive-field claim. W and B are not in the
//     abstract; B = 64 matches the block-sparse kernels the paper compares
//     with, W = 1 block is the smallest local window that keeps the diagonal
//     [verify: the paper's experiments may use a larger local window and
//     sink blocks; W is the constant %w below].
//   - t is a power of two iff t > 0 and t & (t - 1) == 0, index arithmetic
//     the block classification decides exactly when B is a multiple of the
//     tile size (see docs/zoo/M02_power_attention.png).
//   - Raw indices: written for Nq = Nk (prefill); causality is the
//     #attn.causal attribute (bottom-right aligned).
func.func @power_attention(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                           %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         %blk = arith.constant 64 : index
         %w = arith.constant 1 : index
         %c0 = arith.constant 0 : index
         %c1 = arith.constant 1 : index
         %qb = arith.divui %i, %blk : index
         %kb = arith.divui %j, %blk : index
         // Causality (attribute) gives J <= I, so t = I - J >= 0.
         %t = arith.subi %qb, %kb : index
         %local = arith.cmpi ult, %t, %w : index
         %tm1 = arith.subi %t, %c1 : index
         %and = arith.andi %t, %tm1 : index
         %pow = arith.cmpi eq, %and, %c0 : index
         %pos = arith.cmpi ugt, %t, %c0 : index
         %pow2 = arith.andi %pow, %pos : i1
         %keep = arith.ori %local, %pow2 : i1
         attn.yield %keep : i1
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
