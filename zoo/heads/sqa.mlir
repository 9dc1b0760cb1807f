// SQA: sparse query attention, fewer query heads than the model's heads.
// ZOO.md: H06 `sqa`.
//
// Paper: "Sparse Query Attention (SQA): A Computationally Efficient
//   Attention Mechanism with Query Heads Reduction", Filipek, 2025.
// Formula: with H the baseline head count, SQA uses H_q < H query heads and
//   H_kv <= H_q key/value heads (query head h reads K/V head
//   h / (H_q / H_kv), as in GQA), so the score FLOPs scale with H_q
//   (speed-up ~ H / H_q in compute-bound settings):
//     o_ih = sum_j softmax_j(q_ih . k_{j, h / (H_q/H_kv)} / sqrt(d)) v_{j, ...}
//   the output projection maps H_q * d back to the model width.
// Parameters: H_q, H_kv: the shapes of q and k/v (variants: symmetric
//   H_q = H_kv = H/2, extreme H_q = H/4 [verify]); scale 1/sqrt(d); causal.
// Choices: nothing in the op depends on H: SQA is GQA shapes with a reduced
//   query head count, which the dialect takes from the shapes; the test runs
//   the symmetric (H_q = H_kv) and a grouped (H_q = 2 H_kv) configuration.
func.func @sqa(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
