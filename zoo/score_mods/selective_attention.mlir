// Selective Self-Attention (SSA): query- and position-dependent temperature.
// ZOO.md: S04 `selective_attention`.
//
// Paper: "Selective Attention: Enhancing Transformer through Principled
//   Context Control", Zhang, Chang, Li, Roy-Chowdhury, Chen and Oymak,
//   NeurIPS 2024.
// Formula: softmax(tau(q_i, i) * K q_i): the softmax of query i gets its own
//   inverse temperature, a token-dependent term times/plus a position term
//   that grows with the position, so long contexts do not dilute attention:
//     s_ij = tau_i * q_i . k_j / sqrt(d),
//     tau_i = tok[b, h, i] + pos[h] * log(i + 1)
//   o_i = sum_j softmax_j(s_ij) v_j, causal.
// Parameters:
//   - tok[b, h, i]: the token-dependent inverse temperature, a function of
//     the query embedding computed by the caller (weight-shared small
//     projection in the paper; less than 0.5% extra parameters).
//   - pos[h]: the per-head weight of the log-position term.
//   - scale 1/sqrt(d).
// Choices and [verify] items:
//   - tau = tok + pos * log(i + 1) is ZOO.md's "token-dependent term x
//     position-dependent term that grows with position" in additive form
//     [verify: the paper's exact parameterisation (product vs sum, log n
//     scaling, activation on the token term)]; both are per-(b, h, i)
//     scalars, so any such form is the same spec with a different region.
//   - The value temperature ("temperature scaling is also applied to the
//     value embeddings") scales v_j before the op: a prologue.
func.func @selective_attention(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                               %v: tensor<?x?x?x?xf32>,
                               %tok: tensor<?x?x?xf32> {attn.dims = ["B", "Hq", "Nq"]},
                               %pos: tensor<?xf32> {attn.dims = ["Hq"]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v captures(%tok, %pos : tensor<?x?x?xf32>, tensor<?xf32>)
       mask(#attn.causal)
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index,
            %tk: tensor<?x?x?xf32>, %ps: tensor<?xf32>):
         %one = arith.constant 1.0 : f32
         %t = tensor.extract %tk[%b, %h, %i] : tensor<?x?x?xf32>
         %w = tensor.extract %ps[%h] : tensor<?xf32>
         %ii = arith.index_cast %i : index to i64
         %fi = arith.sitofp %ii : i64 to f32
         %fi1 = arith.addf %fi, %one : f32
         %lg = math.log %fi1 : f32
         %tp = arith.mulf %w, %lg : f32
         %tau = arith.addf %t, %tp : f32
         %r = arith.mulf %s, %tau : f32
         attn.yield %r : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
