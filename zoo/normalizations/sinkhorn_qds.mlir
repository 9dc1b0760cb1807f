// Doubly stochastic attention by Sinkhorn iterations (classical comparator
// of quantum doubly stochastic transformers). ZOO.md: N08 `sinkhorn_qds`.
//
// Paper: "Quantum Doubly Stochastic Transformers", Born et al., 2025. The
//   quantum circuit does not compile; the spec is its classical comparator,
//   Sinkformer-style Sinkhorn normalization (Sander, Ablin, Blondel and
//   Peyre, "Sinkformers", AISTATS 2022).
// Formula: starting from E = exp(S), S = Q K^T / sqrt(d), alternate row and
//   column normalizations for T iterations. Every iterate is a diagonal
//   scaling of E (Sinkhorn's theorem): E^(t) = diag(u) E diag(c), so
//     row step:    u_i = 1 / sum_j exp(s_ij + log c_j)    -> log u_i = -lse_i
//     column step: c_j = 1 / sum_i exp(s_ij + log u_i)    -> log c_j = -lse_j
//   and the attention after a final row step is
//     P_ij = u_i exp(s_ij) c_j = softmax_j(s_ij + log c_j),  o = P V.
// Exact formulation: each half step is *this* op with its logsumexp result:
//   - row step / final output: @sinkhorn_step(q, k, v, log_c) gives
//     o = softmax_j(s_ij + log c_j) v and lse_i = -log u_i;
//   - column step: the same function with the roles of Q and K swapped
//     (queries = keys, keys = queries, log_c := log u, any v): its lse_j is
//     -log c_j (s_ij is symmetric in the dot product, the scale is the same).
//   The T iterations are 2T calls of one compiled kernel in the log domain
//   (numerically stable: max-subtracted), then the final call's output.
// Parameters: T (the number of Sinkhorn iterations, Sinkformer uses a
//   handful, e.g. 3); log_c [B, Hq, Nk] is the current log column scaling
//   (log c = 0 on the first row step); scale 1/sqrt(d); no mask
//   (Sinkformers are encoder attention).
// Choices: if the recipe ends with a column step, the rows of P sum to
//   u_i r_i instead of 1 (r_i the last row sums): that per-row factor is an
//   output_gate on this same spec. Exact for the classical Sinkhorn
//   comparator; the QR-decomposition-based doubly stochastic Transformer
//   and the variational quantum circuit are not covered.
func.func @sinkhorn_step(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                         %v: tensor<?x?x?x?xf32>,
                         %log_c: tensor<?x?x?xf32> {attn.dims = ["B", "Hq", "Nk"]})
    -> (tensor<?x?x?x?xf32>, tensor<?x?x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v captures(%log_c : tensor<?x?x?xf32>)
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index,
            %lc: tensor<?x?x?xf32>):
         %c = tensor.extract %lc[%b, %h, %j] : tensor<?x?x?xf32>
         %r = arith.addf %s, %c : f32
         attn.yield %r : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  return %o, %lse : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}
