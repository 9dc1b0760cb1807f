// Flowformer: linear attention with conservation flows (competition over
// the keys, allocation over the queries). ZOO.md: L05 `flowformer` (the
// non-causal form; exact up to the 1e-6 stabilizers of the authors' code).
//
// Paper: "Flowformer: Linearizing Transformers with Conservation Flows"
//   (Wu et al.), ICML 2022.
// Formula (the authors' Flow_Attention), phi = sigmoid:
//     I_i = phi(q_i) . sum_j phi(k_j)          (incoming flow of sink i)
//     O_j = phi(k_j) . sum_i phi(q_i)          (outgoing flow of source j)
//     I'_i = phi(q_i) . sum_j phi(k_j) / O_j   (conserved sink)
//     O'_j = clamp(phi(k_j) . sum_i phi(q_i) / I_i, -1, 1)
//     c_j = N_k softmax_j(O'_j)                (competition)
//     a_i = sigmoid(I'_i * N_q / N_k)          (allocation)
//     o_i = a_i (phi(q_i) / I_i) . sum_j phi(k_j) (c_j v_j)^T
// Parameters: none (phi = sigmoid).
// Choices:
//   - #attn.feature_map<sigmoid, keys = flow>: the keys are mapped with
//     sigmoid and weighted by c_j, and every output row is multiplied by
//     a_i / I_i, per query head, once per call (attn_tile.key_weights,
//     before the work items; the row factor is the finalization's gate).
//   - c_j v_j is written as (c_j phi(k_j)) v_j: the same sum.
//   - The identity normalization, scale 1.
//   - Left out: the authors add 1e-6 to phi(q), phi(k) and the sums of
//     every flow (against a division by 0); with sigmoid features every
//     flow is positive, so this spec computes the flows without them
//     (relative difference ~1e-6 / flow).
//   - Not expressed: the causal variant (cumulative sums of the flows and a
//     running softmax; the verifier refuses keys = flow under a causal
//     mask).
//   - Non-causal and without a mask: the tile program takes the global
//     O(N) form.
func.func @flowformer(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                      %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       feature_map(#attn.feature_map<sigmoid, keys = flow>)
       normalization(#attn.normalize<identity>)
       scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
