// Cog attention: signed attention weights (negative weights allowed).
// ZOO.md: N02 `cog`.
//
// Paper: "More Expressive Attention with Negative Weights", Lv et al., 2024.
// Formula ("SignExp", the name used by secondary summaries):
//     p_ij = sign(s_ij) exp(|s_ij|) / sum_j' exp(|s_ij'|)
//   i.e. a softmax over |s| whose weights get back the sign of the score:
//   positive scores copy, negative scores delete/subtract.
//   o_i = sum_j p_ij v_j, causal; s_ij = q_i . k_j / sqrt(d).
// Parameters: none beyond the standard ones; scale 1/sqrt(d).
// Choices:
//   - score_mod |s| feeds the (online, max-subtracted) softmax; the
//     weight_mod gets the normalized weight w and the raw score r and
//     returns copysign(w, r) (sign(0) = +, measure zero). Since weight_mod
//     needs the final normalizer this compiles to the two-pass form.
//   - [verify] the exact normalizer (|s| vs another magnitude) and whether
//     the paper adds further rescaling; "some layers keep softmax": those
//     layers are zoo/basics/causal.mlir.
//   - Uses weight_mod: compiled with the untiled lowering until the tiled
//     one supports it.
func.func @cog(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
         %a = math.absf %s : f32
         attn.yield %a : f32
       }
       weight_mod {
       ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index):
         %sw = math.copysign %w, %r : f32
         attn.yield %sw : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
